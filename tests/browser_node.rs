//! The light node in the browser against the devnet that `cargo xtask test` starts, from an empty
//! vault: fund the on-chain wallet, open a channel to hub, pay shop through hub (two hops, a fee),
//! receive from shop, restart the node from IndexedDB as after a reload, pay again, close the channel
//! cooperatively and see the funds back on chain. Each wait is bounded.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bitcoin::{Amount, Network};
use blixtra::browser::platform::{console_logger, BrowserPlatform};
use blixtra::browser::IdbStore;
use blixtra::node_host::NodeHost;
use blixtra_core::node::key_derivation::NodeKeys;
use blixtra_core::node::lightning_node::{LightningNode, NodeConfig, NodeEvent};
use blixtra_core::node::logger::Level;
use blixtra_core::node::onchain::SendAmount;
use blixtra_core::node::payments::PaymentStatus;
use blixtra_core::node::protocol::{answer, Answer, Command, FromNode, StartNode, ToNode, PROTOCOL_VERSION};
use blixtra_core::node::NodeError;
use blixtra_core::{RecoveryPhrase, Vault};
use futures::channel::mpsc::UnboundedReceiver;
use futures::{FutureExt, StreamExt};
use gloo_timers::future::TimeoutFuture;
use serde_json::json;
use wasm_bindgen_test::*;

mod support;

use support::{control, control_get, devnet, Devnet};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const PASSPHRASE: &str = "node test passphrase";

type Node = Rc<LightningNode<BrowserPlatform>>;

async fn start(devnet: &Devnet, keys: &NodeKeys, vault: &Vault<IdbStore>) -> Node {
    let config = NodeConfig { network: Network::Regtest, esplora_url: devnet.esplora_url.clone(), max_channel: Amount::from_sat(1_000_000) };
    LightningNode::start(BrowserPlatform::new(&devnet.proxy_url_template), keys, vault.shared_store(), config, console_logger(Level::Warn))
        .await
        .expect("the node starts")
}

/// Waits for the first event `wanted` accepts, for at most `limit`.
async fn wait_for(events: &mut UnboundedReceiver<NodeEvent>, limit: Duration, what: &str, wanted: impl Fn(&NodeEvent) -> bool) -> NodeEvent {
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
async fn eventually(limit: Duration, what: &str, check: impl Fn() -> bool) {
    let step = 200;
    for _ in 0..(limit.as_millis() as u32 / step) {
        if check() {
            return;
        }
        TimeoutFuture::new(step).await;
    }
    panic!("{what} did not happen within {limit:?}");
}

/// Stops the node and starts a new one from the same IndexedDB database, as after a page reload.
async fn reload(node: Node, vault: Vault<IdbStore>, devnet: &Devnet, keys: &NodeKeys, name: &str) -> (Node, Vault<IdbStore>) {
    node.stop().await;
    drop((node, vault));
    let vault = Vault::unlock(IdbStore::open(name).await.expect("reopen"), PASSPHRASE).await.expect("unlock");
    let node = start(devnet, keys, &vault).await;
    (node, vault)
}

/// The wallet's record of a payment, by hash.
async fn status_of(node: &Node, hash: &str) -> Option<PaymentStatus> {
    node.payments().await.expect("history").into_iter().find(|p| p.payment_hash == hash).map(|p| p.status)
}

/// How many times shop was paid for `hash`.
async fn shop_received(hash: &str) -> usize {
    let payments = control_get("nodes/shop/payments").await;
    payments.as_array().expect("a list").iter().filter(|p| p["payment_hash"] == hash && p["status"] == "succeeded").count()
}

/// A new wallet: its IndexedDB database's name, keys, vault and running node.
struct NewWallet {
    name: String,
    keys: NodeKeys,
    vault: Vault<IdbStore>,
    node: Node,
}

async fn new_wallet(devnet: &Devnet, label: &str) -> NewWallet {
    let name = format!("blixtra-test-{label}-{}", js_sys::Math::random());
    let phrase = RecoveryPhrase::generate();
    let keys = NodeKeys::derive(&phrase, Network::Regtest);
    let vault = Vault::create(IdbStore::open(&name).await.expect("open"), &phrase, PASSPHRASE).await.expect("a vault");
    let node = start(devnet, &keys, &vault).await;
    NewWallet { name, keys, vault, node }
}

/// Funds the on-chain wallet from the faucet with `amount` and waits until it is confirmed there.
async fn fund(node: &Node, amount: Amount) {
    let address = node.onchain_address().await.expect("an address");
    control("faucet", json!({ "address": address.to_string(), "amount_sat": amount.to_sat() })).await;
    node.sync_chain().await.expect("sync");
    assert_eq!(node.balances().await.onchain_confirmed, amount);
}

/// Opens a channel of `amount` to hub, confirms it, and returns its id once it is ready.
async fn open_confirmed_channel(node: &Node, events: &mut UnboundedReceiver<NodeEvent>, devnet: &Devnet, amount: Amount) -> String {
    node.open_channel(&devnet.hub, amount).await.expect("the channel opens");
    wait_for(events, Duration::from_secs(30), "ChannelPending", |e| matches!(e, NodeEvent::ChannelPending { .. })).await;
    node.sync_chain().await.expect("the funding transaction is posted");
    control("mine", json!({ "blocks": 6 })).await;
    node.sync_chain().await.expect("sync");
    wait_for(events, Duration::from_secs(30), "ChannelReady", |e| matches!(e, NodeEvent::ChannelReady { .. })).await;
    node.channels()[0].channel_id.to_string()
}

async fn shop_invoice(amount_msat: u64, description: &str) -> String {
    control("nodes/shop/invoice", json!({ "amount_msat": amount_msat, "description": description })).await["invoice"]
        .as_str()
        .expect("an invoice")
        .to_owned()
}

#[wasm_bindgen_test]
async fn a_new_wallet_funds_a_channel_pays_receives_survives_a_restart_and_closes() {
    let devnet = devnet().await;
    let NewWallet { name, keys, vault, node } = new_wallet(&devnet, "node").await;
    let mut events = node.subscribe();
    fund(&node, Amount::from_sat(500_000)).await;
    let too_big = node.open_channel(&devnet.hub, Amount::from_sat(2_000_000)).await.expect_err("above the maximum");
    assert!(matches!(too_big, NodeError::ChannelTooLarge { .. }), "{too_big}");
    let channel_id = open_confirmed_channel(&node, &mut events, &devnet, Amount::from_sat(300_000)).await;

    // Bad input changes nothing: garbage, and more than the channel holds.
    let garbage = node.pay_invoice("lnbcrt1notaninvoice", None, 50_000).await.expect_err("garbage");
    assert!(matches!(garbage, NodeError::InvalidInvoice(_)), "{garbage}");
    let too_much = node.pay_invoice(&shop_invoice(400_000_000, "car").await, None, 50_000).await.expect_err("above the channel");
    assert!(matches!(too_much, NodeError::InsufficientFunds { .. }), "{too_much}");
    assert!(node.payments().await.expect("history").is_empty(), "refused payments leave no record");

    // Pay a shop invoice: wallet → hub → shop, with hub's fee.
    eventually(Duration::from_secs(30), "learning hub's channel to shop", || node.known_network_channels() > 0).await;
    let coffee = shop_invoice(20_000_000, "coffee").await;
    let estimate = node.estimate_fee_msat(&node.check_invoice(&coffee, None).expect("a good invoice"), 20_000_000);
    let status = node.status();
    assert_eq!((status.peers_known, status.peers_connected), (1, 1), "hub, connected: {status:?}");
    let paid = node.pay_invoice(&coffee, None, 50_000).await.expect("paid");
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert!(paid.fee_paid_msat.is_some_and(|fee| fee > 0), "two hops cost a fee: {paid:?}");
    assert_eq!(estimate, paid.fee_paid_msat, "the estimate before paying is the fee the route took");
    assert!(paid.preimage.is_some());

    // Receive from shop.
    let invoice = node.create_invoice(Some(5_000_000), "refund", Duration::from_secs(3600)).await.expect("an invoice");
    control("nodes/shop/pay", json!({ "invoice": invoice.to_string() })).await;
    wait_for(&mut events, Duration::from_secs(30), "PaymentReceived", |e| matches!(e, NodeEvent::PaymentReceived { amount_msat: 5_000_000, .. }))
        .await;
    let before_restart = node.balances().await;

    // Restart from IndexedDB, as after a reload.
    let (node, vault) = reload(node, vault, &devnet, &keys, &name).await;
    assert_eq!(node.channels().iter().map(|c| c.channel_id.to_string()).collect::<Vec<_>>(), std::slice::from_ref(&channel_id));
    assert_eq!(node.balances().await, before_restart);
    assert_eq!(node.payments().await.expect("history").len(), 2);
    eventually(Duration::from_secs(30), "the channel usable again", || node.channels().iter().any(|c| c.is_usable)).await;

    // Pay again.
    let again = node.pay_invoice(&shop_invoice(1_000_000, "cookie").await, None, 50_000).await.expect("paid again");
    assert_eq!(again.status, PaymentStatus::Succeeded);

    // A reload as soon as a payment is recorded (it may be in flight, or not sent yet): afterwards it
    // is either paid once, and refused a second time, or failed with nothing paid, and payable again.
    let invoice = shop_invoice(2_000_000, "tea").await;
    let hash = node.check_invoice(&invoice, None).expect("an invoice").payment_hash().to_string();
    let paying = node.clone();
    let in_flight = invoice.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = paying.pay_invoice(&in_flight, None, 50_000).await;
    });
    while status_of(&node, &hash).await.is_none() {
        TimeoutFuture::new(1).await;
    }
    let (node, _vault) = reload(node, vault, &devnet, &keys, &name).await;
    let mut events = node.subscribe();
    eventually(Duration::from_secs(30), "the channel usable again", || node.channels().iter().any(|c| c.is_usable)).await;
    let mut settled = status_of(&node, &hash).await;
    for _ in 0..150 {
        if settled != Some(PaymentStatus::Pending) {
            break;
        }
        TimeoutFuture::new(200).await;
        settled = status_of(&node, &hash).await;
    }
    match settled {
        Some(PaymentStatus::Succeeded) => {
            let twice = node.pay_invoice(&invoice, None, 50_000).await.expect_err("already paid");
            assert!(matches!(twice, NodeError::AlreadyPaid(PaymentStatus::Succeeded)), "{twice}");
        }
        Some(PaymentStatus::Failed) => {
            assert_eq!(shop_received(&hash).await, 0, "a failed payment paid nothing");
            node.pay_invoice(&invoice, None, 50_000).await.expect("a payment that never left can be paid again");
        }
        other => panic!("the payment is still {other:?} after the reload"),
    }
    assert_eq!(shop_received(&hash).await, 1, "shop was paid exactly once");

    // Close cooperatively; the funds come back on chain.
    let onchain_before = node.balances().await.onchain_confirmed;
    node.close_channel(&channel_id, false).expect("closing");
    wait_for(&mut events, Duration::from_secs(30), "ChannelClosed", |e| matches!(e, NodeEvent::ChannelClosed { .. })).await;
    node.sync_chain().await.expect("the closing transaction is posted");
    control("mine", json!({ "blocks": 1 })).await;
    node.sync_chain().await.expect("sync");
    let back = node.balances().await.onchain_confirmed - onchain_before;
    assert!(back > Amount::from_sat(250_000), "the channel's funds came back on chain: {back}");

    // And they can be spent on chain.
    let stranger = control("nodes/hub/address", json!({})).await["address"].as_str().expect("an address").to_owned();
    let rate = bitcoin::FeeRate::from_sat_per_vb(2).expect("a rate");
    node.send_onchain(&stranger, SendAmount::Exactly(Amount::from_sat(100_000)), rate).await.expect("sent on chain");
    let refused = node
        .send_onchain("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", SendAmount::Exactly(Amount::from_sat(1_000)), rate)
        .await
        .expect_err("a mainnet address");
    assert!(refused.to_string().contains("mainnet"), "{refused}");
    node.stop().await;
}

#[wasm_bindgen_test]
async fn a_force_closed_channel_comes_back_to_the_wallet_after_the_delay() {
    let devnet = devnet().await;
    let NewWallet { node, .. } = new_wallet(&devnet, "force-close").await;
    let mut events = node.subscribe();
    fund(&node, Amount::from_sat(400_000)).await;
    let channel_id = open_confirmed_channel(&node, &mut events, &devnet, Amount::from_sat(200_000)).await;
    let before = node.balances().await.onchain_confirmed;

    node.close_channel(&channel_id, true).expect("force-closing");
    wait_for(&mut events, Duration::from_secs(30), "ChannelClosed", |e| matches!(e, NodeEvent::ChannelClosed { .. })).await;
    // The commitment goes out with a fee-paying child from the wallet's coins; our share waits for
    // the delay hub set (144 blocks on LDK Node), then the sweeper spends it into the wallet.
    let mut back = Amount::ZERO;
    for _ in 0..40 {
        node.sync_chain().await.expect("sync");
        control("mine", json!({ "blocks": 10 })).await;
        node.sync_chain().await.expect("sync");
        back = node.balances().await.onchain_confirmed.checked_sub(before).unwrap_or(Amount::ZERO);
        if back > Amount::from_sat(150_000) {
            break;
        }
        TimeoutFuture::new(500).await;
    }
    assert!(back > Amount::from_sat(150_000), "the channel's funds came back on chain after the delay: {back}");
    assert!(node.channels().is_empty());
    node.stop().await;
}

#[wasm_bindgen_test]
async fn the_ui_protocol_answers_with_data_and_refuses_bad_input_with_its_error() {
    let devnet = devnet().await;
    let NewWallet { node, .. } = new_wallet(&devnet, "protocol").await;
    // Every answer crosses as JSON, as it will through postMessage.
    let ask = |command: Command| {
        let node = node.clone();
        async move {
            let reply = FromNode::Reply { id: 1, result: answer(&node, command).await };
            match serde_json::from_str(&serde_json::to_string(&reply).expect("json")).expect("parses") {
                FromNode::Reply { result, .. } => result,
                other => panic!("not a reply: {other:?}"),
            }
        }
    };

    let Ok(Answer::Address { address }) = ask(Command::NewAddress).await else { panic!("an address") };
    control("faucet", json!({ "address": address, "amount_sat": 100_000 })).await;
    assert!(matches!(ask(Command::Sync).await, Ok(Answer::Synced { .. })));
    let balances = ask(Command::Balances).await.expect("balances");
    assert_eq!(balances, Answer::Balances { onchain_confirmed_sat: 100_000, onchain_pending_sat: 0, lightning_msat: 0 });

    let shop = shop_invoice(1_000_000, "tea").await;
    let Ok(Answer::InvoiceDetails { amount_msat, description, payee, .. }) =
        ask(Command::CheckInvoice { invoice: shop.clone(), amount_msat: None }).await
    else {
        panic!("details")
    };
    assert_eq!((amount_msat, description.as_deref()), (Some(1_000_000), Some("tea")));
    assert!(payee.is_some());
    let garbage = ask(Command::PayInvoice { invoice: "not an invoice".into(), amount_msat: None, max_fee_msat: 1_000 }).await;
    assert!(matches!(garbage, Err(NodeError::InvalidInvoice(_))), "{garbage:?}");
    let no_channel = ask(Command::PayInvoice { invoice: shop, amount_msat: None, max_fee_msat: 1_000 }).await;
    assert_eq!(no_channel, Err(NodeError::InsufficientFunds { needed_msat: 1_000_000, available_msat: 0 }));
    let bad_peer = ask(Command::OpenChannel { peer: "hub".into(), amount_sat: 50_000 }).await;
    assert!(matches!(bad_peer, Err(NodeError::InvalidPeer(_))), "{bad_peer:?}");
    let too_much = ask(Command::OpenChannel { peer: devnet.hub.to_string(), amount_sat: 500_000 }).await;
    assert_eq!(too_much, Err(NodeError::InsufficientFunds { needed_msat: 500_000_000, available_msat: 100_000_000 }));
    assert_eq!(ask(Command::Channels).await, Ok(Answer::Channels { channels: vec![] }));
    let Ok(Answer::Payments { payments }) = ask(Command::Payments).await else { panic!("payments") };
    assert!(payments.is_empty(), "refusals leave no record: {payments:?}");
    node.stop().await;
}

#[wasm_bindgen_test]
async fn the_worker_host_starts_the_node_from_the_vault_and_speaks_the_protocol() {
    let devnet = devnet().await;
    let NewWallet { name, node, .. } = new_wallet(&devnet, "host").await;
    node.stop().await;
    drop(node);
    let sent: Rc<RefCell<Vec<FromNode>>> = Rc::default();
    let outbox = sent.clone();
    let host = NodeHost::new(move |message| outbox.borrow_mut().push(message));
    let last = || sent.borrow().last().cloned().expect("an answer");
    let start = |passphrase: &str| StartNode {
        database: name.clone(),
        passphrase: passphrase.to_owned(),
        network: Network::Regtest,
        esplora_url: devnet.esplora_url.clone(),
        proxy_url_template: devnet.proxy_url_template.clone(),
        max_channel_sat: 1_000_000,
    };

    host.handle(ToNode::Hello { version: PROTOCOL_VERSION }).await;
    assert_eq!(last(), FromNode::Hello { version: PROTOCOL_VERSION });
    host.handle(ToNode::Hello { version: PROTOCOL_VERSION + 1 }).await;
    assert!(matches!(last(), FromNode::StartFailed { error } if error.contains("reload the page")));
    host.handle(ToNode::Request { id: 1, command: Command::Balances }).await;
    assert_eq!(last(), FromNode::Reply { id: 1, result: Err(NodeError::Stopped) });
    host.handle(ToNode::Start(start("not the passphrase"))).await;
    assert_eq!(last(), FromNode::StartFailed { error: "wrong passphrase".to_owned() });

    host.handle(ToNode::Start(start(PASSPHRASE))).await;
    assert!(matches!(last(), FromNode::Started { node_id } if node_id.len() == 66));
    host.handle(ToNode::Start(start(PASSPHRASE))).await;
    assert!(matches!(last(), FromNode::StartFailed { error } if error.contains("already running")));
    host.handle(ToNode::Request { id: 2, command: Command::Balances }).await;
    assert_eq!(
        last(),
        FromNode::Reply { id: 2, result: Ok(Answer::Balances { onchain_confirmed_sat: 0, onchain_pending_sat: 0, lightning_msat: 0 }) }
    );
    host.handle(ToNode::Request { id: 3, command: Command::Sync }).await;
    TimeoutFuture::new(100).await; // The forwarding task runs after the reply.
    assert!(sent.borrow().iter().any(|m| matches!(m, FromNode::Event { event: NodeEvent::Synced { .. } })), "the node's events are forwarded");
    host.handle(ToNode::Stop).await;
    assert_eq!(last(), FromNode::Stopped);
}
