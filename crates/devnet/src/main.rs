//! `blixtra-devnet` (`cargo run -p devnet`): starts the local network in one process and serves it
//! until Ctrl-C: the regtest chain with its Esplora and control APIs, the peers hub and shop with a
//! channel between them (with `--anchor`, a third peer with a wallet's channel to hub, for
//! benchmarks), and the WebSocket proxy (to hub's and shop's ports only).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use blixtra_devnet::control::{self, DevnetConfig};
use blixtra_devnet::esplora::{self, RequestCounts, SharedRegtest};
use blixtra_devnet::faucet::faucet_script;
use blixtra_devnet::miner::COINBASE_MATURITY;
use blixtra_devnet::peers::{Peer, PeerRole, PeerSet, SharedPeers};
use blixtra_devnet::regtest::Regtest;
use blixtra_devnet::{bring_up, events, peer_api};
use blixtra_proxy::policy::Policy;
use blixtra_proxy::server::Server;
use clap::Parser;

/// A local Lightning devnet: a regtest chain validated by Bitcoin Core's kernel, served over the
/// Esplora API; two LDK Node peers (hub, shop) with a channel; a WebSocket-to-TCP proxy for browser
/// wallets.
#[derive(Debug, Parser)]
#[command(name = "blixtra-devnet", version)]
struct Options {
    /// Where the Esplora and control APIs listen.
    #[arg(long, default_value = "127.0.0.1:3002")]
    http: SocketAddr,
    /// Where the WebSocket proxy listens.
    #[arg(long, default_value = "127.0.0.1:9736")]
    proxy: SocketAddr,
    /// Where hub listens for Lightning peers.
    #[arg(long, default_value = "127.0.0.1:9735")]
    hub: SocketAddr,
    /// Where shop listens for Lightning peers.
    #[arg(long, default_value = "127.0.0.1:9737")]
    shop: SocketAddr,
    /// Also run "anchor", a native LDK Node with an unannounced channel to hub as a wallet has, for
    /// benchmarks (`/devnet/nodes/anchor/bench_pay`), listening here (e.g. 127.0.0.1:9738). Off by
    /// default: it adds to the start-up.
    #[arg(long, value_name = "ADDR")]
    anchor: Option<SocketAddr>,
    /// Keep the chain and the peers' state in this directory across restarts (default: in memory
    /// and a temporary directory, gone at exit).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

// LDK Node blocks inside tokio (`block_in_place`): it needs the multi-threaded runtime, and a few
// workers beyond this machine's two cores keep the Esplora API answering while nodes sync.
#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
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
    let started = std::time::Instant::now();
    if let Some(dir) = &options.data_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let temporary = match &options.data_dir {
        Some(_) => None,
        None => Some(tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?),
    };
    let peer_dir =
        options.data_dir.as_deref().or(temporary.as_ref().map(tempfile::TempDir::path)).map(Path::to_path_buf).ok_or("no directory for the peers")?;

    let mut regtest = Regtest::open(options.data_dir.as_deref().map(|d| d.join("chain")).as_deref()).map_err(|e| e.to_string())?;
    // Past coinbase maturity, so the faucet has coins to give.
    let height = regtest.index().tip_height();
    if height <= COINBASE_MATURITY {
        regtest.mine(COINBASE_MATURITY + 1 - height, &faucet_script()).map_err(|e| e.to_string())?;
    }
    let regtest: SharedRegtest = Arc::new(Mutex::new(regtest));

    let http = tokio::net::TcpListener::bind(options.http).await.map_err(|e| format!("cannot listen on {}: {e}", options.http))?;
    let proxy = tokio::net::TcpListener::bind(options.proxy).await.map_err(|e| format!("cannot listen on {}: {e}", options.proxy))?;
    let (http_address, proxy_address) = (http.local_addr().map_err(|e| e.to_string())?, proxy.local_addr().map_err(|e| e.to_string())?);
    let esplora_url = format!("http://{http_address}");

    let (hub_address, shop_address, anchor_address) = (options.hub, options.shop, options.anchor);
    let url = esplora_url.clone();
    let peers: SharedPeers = tokio::task::spawn_blocking(move || -> Result<SharedPeers, String> {
        let hub = Peer::build("hub", hub_address, &peer_dir.join("hub"), &url, PeerRole::Provider).map_err(|e| e.to_string())?;
        let shop = Peer::build("shop", shop_address, &peer_dir.join("shop"), &url, PeerRole::Plain).map_err(|e| e.to_string())?;
        let mut peers = vec![hub, shop];
        if let Some(address) = anchor_address {
            peers.push(Peer::build("anchor", address, &peer_dir.join("anchor"), &url, PeerRole::Plain).map_err(|e| e.to_string())?);
        }
        Ok(PeerSet::new(peers))
    })
    .await
    .map_err(|e| e.to_string())??;
    let (hub, shop) = (peers.get("hub").ok_or("no hub")?.uri(), peers.get("shop").ok_or("no shop")?.uri());
    let anchor = peers.get("anchor").map(|peer| peer.uri());

    let config = DevnetConfig {
        network: "regtest",
        esplora_url: esplora_url.clone(),
        proxy_url_template: format!("ws://{proxy_address}/v1/{{host}}/{{port}}"),
        hub: Some(hub.clone()),
        shop: Some(shop.clone()),
        anchor: anchor.clone(),
        payment_code_server: Some(format!("http://{http_address}/devnet/nodes/hub/async_recipient_paths")),
        control_url: format!("http://{http_address}/devnet"),
    };
    let esplora_requests = Arc::new(RequestCounts::default());
    let app = esplora::router(regtest.clone(), esplora_requests.clone())
        .merge(control::router(regtest.clone(), config, Some(peers.clone()), esplora_requests))
        .merge(peer_api::router(peers.clone()));
    // The peers listen on loopback, so the proxy must reach private addresses, but only the ports of
    // those a wallet connects to: the anchor is native.
    // Every browser of a test run is one client (loopback): room for several wallets' peers at once.
    let policy = Policy {
        allow_private: true,
        allowed_ports: [hub_address.port(), shop_address.port()].into_iter().collect(),
        max_per_client: 64,
        ..Policy::default()
    };
    let proxy_server = Server::new(policy);

    let serving = async {
        tokio::select! {
            served = axum::serve(http, app) => served.map_err(|e| e.to_string()),
            () = proxy_server.serve(proxy) => Ok(()),
        }
    };
    let starting = async {
        let starter = peers.clone();
        tokio::task::spawn_blocking(move || starter.peers.iter().try_for_each(|peer| peer.start()))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        for peer in &peers.peers {
            tokio::spawn(events::pump(peer.name, peer.node.clone(), peer.outcomes.clone()));
        }
        tokio::spawn(peers.clone().follow_tip(regtest.clone()));
        bring_up::bring_up(&regtest, &peers).await.map_err(|e| e.to_string())?;
        println!("esplora: {esplora_url}  (config: {esplora_url}/devnet.json)");
        println!("proxy:   ws://{proxy_address}/v1/{{host}}/{{port}}");
        println!("hub:     {hub}");
        println!("shop:    {shop}");
        if let Some(anchor) = &anchor {
            println!("anchor:  {anchor}");
        }
        println!("ready in {:.1} s", started.elapsed().as_secs_f64());
        println!("ready");
        std::future::pending::<Result<(), String>>().await
    };
    let outcome = tokio::select! {
        outcome = serving => outcome,
        outcome = starting => outcome,
        _ = tokio::signal::ctrl_c() => {
            println!("stopping");
            Ok(())
        }
    };
    // The nodes write their state and close their connections before the process ends.
    let stopping = peers.clone();
    let _ = tokio::task::spawn_blocking(move || stopping.stop_all()).await;
    drop(temporary);
    outcome
}
