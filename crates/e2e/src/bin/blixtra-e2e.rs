//! `blixtra-e2e serve --dist DIR --addr HOST:PORT`: serves a built app as the end-to-end test does
//! (SPA fallback, WebAssembly's type), until Ctrl-C. `cargo xtask demo` serves the demo with it: it
//! serves what was built and never rebuilds or fetches anything.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use blixtra_e2e::server::AppServer;

const USAGE: &str = "usage: blixtra-e2e serve [--dist DIR] [--addr HOST:PORT]   (defaults: dist, 127.0.0.1:8080)";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("blixtra-e2e: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let (dist, addr) = parse_serve(&args)?;
    let server = AppServer::start(&dist, addr).await.map_err(|e| e.to_string())?;
    println!("serving {} at {}/ (Ctrl-C stops)", dist.display(), server.url);
    tokio::signal::ctrl_c().await.map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    Ok(())
}

/// Reads `serve [--dist DIR] [--addr HOST:PORT]`.
fn parse_serve(args: &[String]) -> Result<(PathBuf, SocketAddr), String> {
    let mut args = args.iter();
    if args.next().map(String::as_str) != Some("serve") {
        return Err(USAGE.to_owned());
    }
    let (mut dist, mut addr) = (PathBuf::from("dist"), SocketAddr::from(([127, 0, 0, 1], 8080)));
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--dist" => dist = PathBuf::from(value),
            "--addr" => addr = value.parse().map_err(|e| format!("--addr {value}: {e}"))?,
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    Ok((dist, addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn serve_takes_a_directory_and_an_address() {
        let (dist, addr) = parse_serve(&args("serve --dist /tmp/app --addr 127.0.0.1:9000")).expect("valid options");
        assert_eq!((dist, addr.to_string()), (PathBuf::from("/tmp/app"), "127.0.0.1:9000".to_owned()));
        assert_eq!(parse_serve(&args("serve")).expect("defaults").1.to_string(), "127.0.0.1:8080");
        assert!(parse_serve(&args("serve --port 1")).is_err());
        assert!(parse_serve(&args("serve --addr")).is_err());
        assert!(parse_serve(&args("build")).is_err());
    }
}
