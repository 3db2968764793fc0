//! The `blixtra-proxy` command: parses the options, binds, serves until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use blixtra_proxy::policy::{Policy, LIGHTNING_PORT};
use blixtra_proxy::server::Server;
use clap::Parser;

/// A hardened WebSocket-to-TCP bridge for browser Lightning wallets: ws://HOST/v1/{host}/{port}.
///
/// Safe by default: only port 9735, only public addresses (checked after DNS resolution), capped
/// connections. Serve it behind a TLS-terminating reverse proxy for wss://, named with --trust-proxy
/// so that each client has its own places. Log level: RUST_LOG.
#[derive(Debug, Parser)]
#[command(name = "blixtra-proxy", version)]
struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9736")]
    listen: SocketAddr,
    /// A target port to allow (repeat for several). Default: 9735 only.
    #[arg(long = "allow-port", value_name = "PORT")]
    allow_ports: Vec<u16>,
    /// Also connect to loopback, private, CGNAT and link-local addresses (for a local devnet).
    #[arg(long)]
    allow_private: bool,
    /// A page origin to allow, e.g. https://wallet.example (repeat for several). Default: any.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// Most bridges open at once.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Most bridges and handshakes in progress at once from one client (an IPv4 address, an IPv6 /64).
    #[arg(long, default_value_t = 16)]
    max_per_client: usize,
    /// Most handshakes in progress at once, from everyone.
    #[arg(long, default_value_t = 256)]
    max_handshakes: usize,
    /// A reverse proxy in front of this one (repeat for several): its connections count against the
    /// client its `X-Forwarded-For` names. Other connections' `X-Forwarded-For` is ignored.
    #[arg(long = "trust-proxy", value_name = "ADDRESS")]
    trusted_proxies: Vec<IpAddr>,
    /// Seconds a client has to complete its WebSocket handshake.
    #[arg(long, default_value_t = 10)]
    handshake_timeout_secs: u64,
    /// Seconds to wait for a target to accept the connection.
    #[arg(long, default_value_t = 10)]
    connect_timeout_secs: u64,
    /// Seconds without a byte either way after which a bridge is closed.
    #[arg(long, default_value_t = 300)]
    idle_timeout_secs: u64,
    /// Seconds after which a bridge is closed whatever it carries (pings keep none open for ever).
    #[arg(long, default_value_t = 86_400)]
    max_lifetime_secs: u64,
}

impl Options {
    fn policy(self) -> Policy {
        Policy {
            allowed_ports: if self.allow_ports.is_empty() { vec![LIGHTNING_PORT] } else { self.allow_ports },
            allow_private: self.allow_private,
            allowed_origins: (!self.allow_origins.is_empty()).then_some(self.allow_origins),
            max_connections: self.max_connections,
            max_per_client: self.max_per_client,
            max_handshakes: self.max_handshakes,
            trusted_proxies: self.trusted_proxies,
            handshake_timeout: Duration::from_secs(self.handshake_timeout_secs.max(1)),
            max_lifetime: Duration::from_secs(self.max_lifetime_secs.max(1)),
            connect_timeout: Duration::from_secs(self.connect_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs.max(1)),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let options = Options::parse();
    let listen = options.listen;
    let policy = options.policy();
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("blixtra-proxy: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bound = listener.local_addr().map_or_else(|_| listen.to_string(), |a| a.to_string());
    log::info!("ports {:?}, private targets {}", policy.allowed_ports, if policy.allow_private { "allowed" } else { "refused" });
    let server = Server::new(policy);
    // Printed on stdout, alone on its line, for scripts that start the proxy on port 0.
    println!("listening on {bound}");
    tokio::select! {
        () = server.serve(listener) => ExitCode::SUCCESS,
        _ = tokio::signal::ctrl_c() => {
            log::info!("stopping");
            ExitCode::SUCCESS
        }
    }
}
