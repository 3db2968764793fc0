//! The node in the browser tests: started against the devnet from a vault, a wallet with coins and a
//! channel to hub, waits bounded in time, and what hub and shop say.

use std::rc::Rc;
use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, Network};
use blixtra_core::node::events::NodeEvent;
use blixtra_core::node::key_derivation::NodeKeys;
use blixtra_core::node::lightning_node::{LightningNode, NodeConfig};
use blixtra_core::node::logger::Level;
use blixtra_core::node::net::PeerUri;
use blixtra_core::node::onchain::FeeCap;
use blixtra_core::node::payment::bolt11::SendOptions;
use blixtra_core::node::payment::record::hex;
use blixtra_core::node::payment::PaymentStatus;
use blixtra_core::node::NodeError;
use blixtra_core::{RecoveryPhrase, Vault};
use blixtra_host::browser::platform::{console_logger, BrowserPlatform};
use blixtra_host::browser::IdbStore;
use futures::channel::mpsc::UnboundedReceiver;
use futures::{FutureExt, StreamExt};
use gloo_timers::future::TimeoutFuture;
use lightning::ln::types::ChannelId;
use serde_json::{json, Value};

use super::{control, control_get, Devnet};

pub const PASSPHRASE: &str = "node test passphrase";

pub type Node = Rc<LightningNode<BrowserPlatform>>;

pub async fn start(devnet: &Devnet, keys: &NodeKeys, vault: &Vault<IdbStore>) -> Node {
    // The same devnet again as the second server: two clients whose answers must agree, and
    // broadcasts to both.
    start_with_second_server(devnet, keys, vault, &devnet.esplora_url).await
}

pub async fn start_with_second_server(devnet: &Devnet, keys: &NodeKeys, vault: &Vault<IdbStore>, second: &str) -> Node {
    start_with(devnet, keys, vault, Some(second), None).await
}

/// Starts a node with `second` as its second chain server and `lsp` as its channel provider.
pub async fn start_with(devnet: &Devnet, keys: &NodeKeys, vault: &Vault<IdbStore>, second: Option<&str>, lsp: Option<PeerUri>) -> Node {
    start_with_payment_code(devnet, keys, vault, second, lsp, None).await
}

/// As [`start_with`], with `payment_code_server` as the server of the payment code.
pub async fn start_with_payment_code(
    devnet: &Devnet,
    keys: &NodeKeys,
    vault: &Vault<IdbStore>,
    second: Option<&str>,
    lsp: Option<PeerUri>,
    payment_code_server: Option<&str>,
) -> Node {
    start_through(&devnet.proxy_url_template, devnet, keys, vault, second, lsp, payment_code_server).await
}

/// As [`start_with_payment_code`], reaching peers through the proxy at `proxy_url_template`.
pub async fn start_through(
    proxy_url_template: &str,
    devnet: &Devnet,
    keys: &NodeKeys,
    vault: &Vault<IdbStore>,
    second: Option<&str>,
    lsp: Option<PeerUri>,
    payment_code_server: Option<&str>,
) -> Node {
    let config = NodeConfig {
        network: Network::Regtest,
        esplora_url: devnet.esplora_url.clone(),
        second_esplora_url: second.map(str::to_owned),
        max_channel: Amount::from_sat(1_000_000),
        onchain_fee_cap: FeeCap::DEFAULT,
        trusted_peers: Vec::new(),
        lsp,
        payment_code_server: payment_code_server.map(str::to_owned),
    };
    LightningNode::start(BrowserPlatform::new(proxy_url_template), keys, vault.shared_store(), config, console_logger(Level::Warn))
        .await
        .expect("the node starts")
}

/// Waits for the first event `wanted` accepts, for at most `limit`.
pub async fn wait_for(events: &mut UnboundedReceiver<NodeEvent>, limit: Duration, what: &str, wanted: impl Fn(&NodeEvent) -> bool) -> NodeEvent {
    let mut deadline = TimeoutFuture::new(limit.as_millis() as u32).fuse();
    loop {
        futures::select! {
            event = events.next() => {
                let event = event.expect("the node is running");
                if wanted(&event) {
                    return event;
                }
            }
            () = deadline => panic!("no {what} within {limit:?}"),
        }
    }
}

/// Polls `check` every 200 ms for at most `limit` (for states LDK raises no event for).
pub async fn eventually(limit: Duration, what: &str, check: impl Fn() -> bool) {
    eventually_described(limit, what, check, String::new).await
}

/// As [`eventually`], saying `state()` if it does not happen.
pub async fn eventually_described(limit: Duration, what: &str, check: impl Fn() -> bool, state: impl Fn() -> String) {
    let step = 200;
    for _ in 0..(limit.as_millis() as u32 / step) {
        if check() {
            return;
        }
        TimeoutFuture::new(step).await;
    }
    panic!("{what} did not happen within {limit:?} {}", state());
}

/// Stops the node and starts a new one from the same IndexedDB database, as after a page reload.
pub async fn reload(node: Node, vault: Vault<IdbStore>, devnet: &Devnet, keys: &NodeKeys, name: &str) -> (Node, Vault<IdbStore>) {
    node.stop().await;
    drop(node);
    reload_stopped(vault, devnet, keys, name).await
}

/// Starts the node again from IndexedDB after it was stopped.
pub async fn reload_stopped(vault: Vault<IdbStore>, devnet: &Devnet, keys: &NodeKeys, name: &str) -> (Node, Vault<IdbStore>) {
    let vault = reopen(vault, name).await;
    let node = start(devnet, keys, &vault).await;
    (node, vault)
}

/// Unlocks the wallet's vault again from IndexedDB, as a reloaded page does.
pub async fn reopen(vault: Vault<IdbStore>, name: &str) -> Vault<IdbStore> {
    drop(vault);
    Vault::unlock(IdbStore::open(name).await.expect("reopen"), PASSPHRASE).await.expect("unlock")
}

/// The wallet's record of a payment, by its payment hash (hex).
pub async fn status_of(node: &Node, hash: &str) -> Option<PaymentStatus> {
    node.payments().await.expect("history").into_iter().find(|p| p.kind.hash().is_some_and(|h| hex(&h) == hash)).map(|p| p.status)
}

/// Pays `invoice` with the test's fee cap.
pub async fn pay(node: &Node, invoice: &str) -> Result<blixtra_core::node::payment::PaymentRecord, NodeError> {
    node.bolt11().send(invoice, SendOptions { amount_msat: None, max_fee_msat: 50_000 }).await
}

/// How many times shop was paid for `hash`.
pub async fn shop_received(hash: &str) -> usize {
    let payments = control_get("nodes/shop/payments").await;
    payments.as_array().expect("a list").iter().filter(|p| p["payment_hash"] == hash && p["status"] == "succeeded").count()
}

/// A new wallet: its IndexedDB database's name, keys, vault and running node.
pub struct NewWallet {
    pub name: String,
    pub keys: NodeKeys,
    pub vault: Vault<IdbStore>,
    pub node: Node,
}

pub async fn new_wallet(devnet: &Devnet, label: &str) -> NewWallet {
    let name = format!("blixtra-test-{label}-{}", js_sys::Math::random());
    let phrase = RecoveryPhrase::generate();
    let keys = NodeKeys::derive(&phrase, Network::Regtest);
    let vault = Vault::create(IdbStore::open(&name).await.expect("open"), &phrase, PASSPHRASE).await.expect("a vault");
    let node = start(devnet, &keys, &vault).await;
    NewWallet { name, keys, vault, node }
}

/// Funds the on-chain wallet from the faucet with `amount` and waits until it is confirmed there.
pub async fn fund(node: &Node, amount: Amount) {
    let address = node.onchain().new_address().await.expect("an address");
    control("faucet", json!({ "address": address.to_string(), "amount_sat": amount.to_sat() })).await;
    node.sync_chain().await.expect("sync");
    assert_eq!(node.balances().await.onchain_confirmed, amount);
}

/// Opens a channel of `amount` to hub, confirms it, and returns its id once it is ready.
pub async fn open_confirmed_channel(node: &Node, events: &mut UnboundedReceiver<NodeEvent>, devnet: &Devnet, amount: Amount) -> ChannelId {
    node.open_channel(&devnet.hub, amount).await.expect("the channel opens");
    wait_for(events, Duration::from_secs(30), "ChannelPending", |e| matches!(e, NodeEvent::ChannelPending { .. })).await;
    node.sync_chain().await.expect("the funding transaction is posted");
    control("mine", json!({ "blocks": 6 })).await;
    node.sync_chain().await.expect("sync");
    wait_for(events, Duration::from_secs(30), "ChannelReady", |e| matches!(e, NodeEvent::ChannelReady { .. })).await;
    node.channels()[0].channel_id
}

pub async fn shop_invoice(amount_msat: u64, description: &str) -> String {
    control("nodes/shop/invoice", json!({ "amount_msat": amount_msat, "description": description })).await["invoice"]
        .as_str()
        .expect("an invoice")
        .to_owned()
}

/// A new wallet with 300,000 sats on chain and a channel of 200,000 to hub, ready.
pub async fn wallet_with_channel_to_hub(devnet: &Devnet, label: &str) -> (NewWallet, ChannelId) {
    let wallet = new_wallet(devnet, label).await;
    let mut events = wallet.node.subscribe();
    fund(&wallet.node, Amount::from_sat(300_000)).await;
    let channel_id = open_confirmed_channel(&wallet.node, &mut events, devnet, Amount::from_sat(200_000)).await;
    (wallet, channel_id)
}

/// Hub's channel with the node `ours`, as the devnet lists it.
pub async fn hub_channel_with(ours: PublicKey) -> Option<Value> {
    let hub = control_get("nodes/hub").await;
    hub["channels"].as_array().expect("hub's channels").iter().find(|c| c["counterparty_node_id"] == ours.to_string().as_str()).cloned()
}

/// Whether hub has closed its channel with `ours` within 30 s.
pub async fn hub_forgets_channel_with(ours: PublicKey) -> bool {
    for _ in 0..60 {
        if hub_channel_with(ours).await.is_none() {
            return true;
        }
        TimeoutFuture::new(500).await;
    }
    false
}
