//! The devnet as the browser tests and the demo use it: `blixtra-devnet` started on free loopback ports
//! (tests) or its default ones (demo), waited for until it prints `ready`, and stopped when the handle is
//! dropped, whatever the tests did.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Twice the devnet's own 60 s promise: a debug build on a busy two-core CI machine.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// A running `blixtra-devnet`; killed on drop, so no test run leaves one behind.
pub struct RunningDevnet {
    child: Child,
    /// The Esplora and control APIs' base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
}

impl Drop for RunningDevnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the devnet listens: its HTTP APIs, the WebSocket proxy and the two peers, and the benchmark's
/// native payer ("anchor") when it runs one.
pub struct DevnetAddresses {
    pub http: String,
    pub proxy: String,
    pub hub: String,
    pub shop: String,
    pub anchor: Option<String>,
}

/// How the devnet is compiled. The benchmark's anchor is timed against the wallet's release build, so
/// the full benchmark builds the devnet optimised (`bench-native` profile in Cargo.toml).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DevnetBuild {
    Debug,
    Optimised,
}

impl DevnetBuild {
    pub fn name(self) -> &'static str {
        match self {
            DevnetBuild::Debug => "debug",
            DevnetBuild::Optimised => "release",
        }
    }
}

impl DevnetAddresses {
    /// The devnet's own defaults, which README.md names (the demo's).
    pub fn defaults() -> Self {
        let at = |port: u16| format!("127.0.0.1:{port}");
        DevnetAddresses { http: at(3002), proxy: at(9736), hub: at(9735), shop: at(9737), anchor: None }
    }

    /// Free loopback ports, so that a test run never collides with a devnet already running.
    pub fn free() -> Result<Self, String> {
        // Port 0 lets the devnet pick (it prints its URL); the peers need theirs named before they start.
        Ok(DevnetAddresses { http: "127.0.0.1:0".to_owned(), proxy: "127.0.0.1:0".to_owned(), hub: free_port()?, shop: free_port()?, anchor: None })
    }

    /// Free loopback ports, with the benchmark's anchor.
    pub fn free_with_anchor() -> Result<Self, String> {
        Ok(DevnetAddresses { anchor: Some(free_port()?), ..Self::free()? })
    }
}

impl RunningDevnet {
    /// Builds and starts the devnet at `addresses` and returns once it is ready.
    pub fn start_at(root: &Path, addresses: &DevnetAddresses) -> Result<Self, String> {
        Self::start_built(root, addresses, DevnetBuild::Debug)
    }

    /// Builds the devnet as `build` says, starts it at `addresses` and returns once it is ready.
    pub fn start_built(root: &Path, addresses: &DevnetAddresses, build: DevnetBuild) -> Result<Self, String> {
        let binary = match build {
            DevnetBuild::Debug => {
                crate::shell::cargo(root, &["build", "-p", "devnet"])?;
                root.join("target/debug/blixtra-devnet")
            }
            DevnetBuild::Optimised => {
                crate::shell::cargo(root, &["build", "-p", "devnet", "--profile", "bench-native"])?;
                root.join("target/bench-native/blixtra-devnet")
            }
        };
        let DevnetAddresses { http, proxy, hub, shop, anchor } = addresses;
        let mut args = vec!["--http", http, "--proxy", proxy, "--hub", hub, "--shop", shop];
        if let Some(anchor) = anchor {
            args.extend(["--anchor", anchor]);
        }
        println!("$ {} {}", binary.display(), args.join(" "));
        let mut child =
            Command::new(&binary).args(&args).stdout(Stdio::piped()).spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().expect("stdout was piped");
        let (sender, receiver) = std::sync::mpsc::channel();
        // A thread reads the devnet's output for as long as it runs, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("devnet: {line}");
                let _ = sender.send(line);
            }
        });
        let devnet = RunningDevnet { child, url: String::new() };
        devnet.wait_until_ready(&receiver)
    }

    fn wait_until_ready(mut self, lines: &std::sync::mpsc::Receiver<String>) -> Result<Self, String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines.recv_timeout(left).map_err(|_| format!("the devnet was not ready within {READY_WITHIN:?} (or it exited)"))?;
            if let Some(url) = esplora_url(&line) {
                self.url = url.to_owned();
            }
            if line == "ready" {
                return if self.url.is_empty() { Err("the devnet said ready without printing its Esplora URL".to_owned()) } else { Ok(self) };
            }
        }
    }
}

/// Returns the URL of the devnet's `esplora: URL  (config: …)` line.
pub fn esplora_url(line: &str) -> Option<&str> {
    line.strip_prefix("esplora: ")?.split_whitespace().next()
}

/// A loopback port nothing listens on now: the peers need theirs named before they start.
fn free_port() -> Result<String, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot find a free port: {e}"))?;
    let port = listener.local_addr().map_err(|e| format!("cannot find a free port: {e}"))?.port();
    Ok(format!("127.0.0.1:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_esplora_url_is_read_from_the_devnets_banner() {
        assert_eq!(esplora_url("esplora: http://127.0.0.1:3002  (config: http://127.0.0.1:3002/devnet.json)"), Some("http://127.0.0.1:3002"));
        assert_eq!(esplora_url("proxy:   ws://127.0.0.1:9736/v1/{host}/{port}"), None);
    }
}
