//! `blixtra-devnet`: starts the local network in one process and serves it until Ctrl-C: the regtest
//! chain with its Esplora and control APIs, and the WebSocket proxy (private targets allowed).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use blixtra_devnet::control::{self, DevnetConfig};
use blixtra_devnet::esplora;
use blixtra_devnet::faucet::faucet_script;
use blixtra_devnet::miner::COINBASE_MATURITY;
use blixtra_devnet::regtest::Regtest;
use blixtra_proxy::policy::Policy;
use blixtra_proxy::server::Server;
use clap::Parser;

/// A local Lightning devnet: a regtest chain validated by Bitcoin Core's kernel, served over the
/// Esplora API, and a WebSocket-to-TCP proxy for browser wallets.
#[derive(Debug, Parser)]
#[command(name = "blixtra-devnet", version)]
struct Options {
    /// Where the Esplora and control APIs listen.
    #[arg(long, default_value = "127.0.0.1:3002")]
    http: SocketAddr,
    /// Where the WebSocket proxy listens.
    #[arg(long, default_value = "127.0.0.1:9736")]
    proxy: SocketAddr,
    /// Keep the chain in this directory across restarts (default: in memory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("blixtra-devnet: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    if let Some(dir) = &options.data_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut regtest = Regtest::open(options.data_dir.as_deref()).map_err(|e| e.to_string())?;
    // Past coinbase maturity, so the faucet has coins to give.
    let height = regtest.index().tip_height();
    if height <= COINBASE_MATURITY {
        regtest.mine(COINBASE_MATURITY + 1 - height, &faucet_script()).map_err(|e| e.to_string())?;
    }
    let regtest = Arc::new(Mutex::new(regtest));

    let http = tokio::net::TcpListener::bind(options.http).await.map_err(|e| format!("cannot listen on {}: {e}", options.http))?;
    let proxy = tokio::net::TcpListener::bind(options.proxy).await.map_err(|e| format!("cannot listen on {}: {e}", options.proxy))?;
    let (http_address, proxy_address) = (http.local_addr().map_err(|e| e.to_string())?, proxy.local_addr().map_err(|e| e.to_string())?);
    let config = DevnetConfig {
        network: "regtest",
        esplora_url: format!("http://{http_address}"),
        proxy_url_template: format!("ws://{proxy_address}/v1/{{host}}/{{port}}"),
        hub: None,
        control_url: format!("http://{http_address}/devnet"),
    };
    let app = esplora::router(regtest.clone()).merge(control::router(regtest.clone(), config));
    // The devnet's peers listen on loopback, so the proxy must reach private addresses; any port.
    let policy = Policy { allow_private: true, allowed_ports: (1..=u16::MAX).collect(), ..Policy::default() };
    let proxy_server = Server::new(policy);

    println!("esplora: http://{http_address}  (config: http://{http_address}/devnet.json)");
    println!("proxy:   ws://{proxy_address}/v1/{{host}}/{{port}}");
    println!("ready");
    tokio::select! {
        served = axum::serve(http, app) => served.map_err(|e| e.to_string()),
        () = proxy_server.serve(proxy) => Ok(()),
        _ = tokio::signal::ctrl_c() => {
            println!("stopping");
            Ok(())
        }
    }
}
