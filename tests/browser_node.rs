//! The light node in the browser against the devnet that `cargo xtask test` starts, from an empty
//! vault: fund the on-chain wallet, open a channel to hub, pay shop through hub (two hops, a fee),
//! receive from shop, restart the node from IndexedDB as after a reload, pay again, close the channel
//! cooperatively and see the funds back on chain (a tab closed at each commit of a payment is
//! `browser_commits.rs`; a restored backup file, `browser_backup.rs`). Each wait is bounded.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bitcoin::{Amount, Network};
use blixtra_core::node::error::{ChainFault, LspFault, PaymentCodeFault, StorageFault};
use blixtra_core::node::events::{InboundDecision, NodeEvent};
use blixtra_core::node::key_derivation::NodeKeys;
use blixtra_core::node::net::PeerUri;
use blixtra_core::node::onchain::SendAmount;
use blixtra_core::node::payment::jit::ReceivePlan;
use blixtra_core::node::payment::{PaymentKind, PaymentStatus};
use blixtra_core::node::NodeError;
use blixtra_core::{RecoveryPhrase, Vault};
use blixtra_host::browser::IdbStore;
use blixtra_host::node_host::NodeHost;
use blixtra_host::protocol::{
    answer, Balances, BalancesView, Call, Caller, Channels, CheckInvoice, Command, FromNode, NewAddress, OpenChannel, PayInvoice, Payments,
    StartError, StartNode, SyncChain, ToNode, PROTOCOL_VERSION,
};
use gloo_timers::future::TimeoutFuture;
use serde_json::{json, Value};
use wasm_bindgen_test::*;

mod support;

use support::node::*;
use support::{control, control_get, devnet, Devnet};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn a_new_wallet_funds_a_channel_pays_receives_survives_a_restart_and_closes() {
    let devnet = devnet().await;
    let NewWallet { name, keys, vault, node } = new_wallet(&devnet, "node").await;
    let mut events = node.subscribe();
    fund(&node, Amount::from_sat(500_000)).await;
    let too_big = node.open_channel(&devnet.hub, Amount::from_sat(2_000_000)).await.expect_err("above the maximum");
    assert!(matches!(too_big, NodeError::ChannelTooLarge { .. }), "{too_big}");
    let channel_id = open_confirmed_channel(&node, &mut events, &devnet, Amount::from_sat(300_000)).await;
    // Hub agreed to wait two weeks for its own funds after a force close: the time this wallet may
    // stay closed and still punish an old state (issue 13, item 7).
    let hub_view = control_get("nodes/hub").await;
    let ours = hub_view["channels"].as_array().expect("hub's channels").iter().find(|c| c["counterparty_node_id"] == node.node_id().to_string());
    assert_eq!(ours.map(|c| c["force_close_spend_delay"].clone()), Some(json!(2016)), "{hub_view}");

    // Bad input changes nothing: garbage, and more than the channel holds.
    let garbage = pay(&node, "lnbcrt1notaninvoice").await.expect_err("garbage");
    assert!(matches!(garbage, NodeError::InvalidInvoice(_)), "{garbage}");
    let too_much = pay(&node, &shop_invoice(400_000_000, "car").await).await.expect_err("above the channel");
    assert!(matches!(too_much, NodeError::InsufficientFunds { .. }), "{too_much}");
    assert!(node.payments().await.expect("history").is_empty(), "refused payments leave no record");

    // Pay a shop invoice: wallet → hub → shop, with hub's fee.
    eventually(Duration::from_secs(30), "learning hub's channel to shop", || node.known_network_channels() > 0).await;
    let coffee = shop_invoice(20_000_000, "coffee").await;
    let estimate = node.bolt11().estimate_fee_msat(&node.bolt11().check(&coffee, None).expect("a good invoice"), 20_000_000);
    let status = node.status();
    assert_eq!((status.peers_known, status.peers_connected), (1, 1), "hub, connected: {status:?}");
    let paid = pay(&node, &coffee).await.expect("paid");
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert!(paid.fee_paid_msat.is_some_and(|fee| fee > 0), "two hops cost a fee: {paid:?}");
    assert_eq!(estimate, paid.fee_paid_msat, "the estimate before paying is the fee the route took");
    assert!(paid.kind.preimage().is_some());

    // Receive from shop.
    let invoice = node.bolt11().receive(Some(5_000_000), "refund", Duration::from_secs(3600)).await.expect("an invoice");
    control("nodes/shop/pay", json!({ "invoice": invoice.to_string() })).await;
    wait_for(&mut events, Duration::from_secs(30), "PaymentReceived", |e| matches!(e, NodeEvent::PaymentReceived { amount_msat: 5_000_000, .. }))
        .await;
    let before_restart = node.balances().await;

    // Restart from IndexedDB, as after a reload.
    let (node, vault) = reload(node, vault, &devnet, &keys, &name).await;
    assert_eq!(node.channels().iter().map(|c| c.channel_id).collect::<Vec<_>>(), [channel_id]);
    assert_eq!(node.balances().await, before_restart);
    assert_eq!(node.payments().await.expect("history").len(), 2);
    eventually(Duration::from_secs(30), "the channel usable again", || node.channels().iter().any(|c| c.is_usable)).await;

    // Pay again.
    let again = pay(&node, &shop_invoice(1_000_000, "cookie").await).await.expect("paid again");
    assert_eq!(again.status, PaymentStatus::Succeeded);

    // Two pays of one invoice at once (a double click, two tabs' worth of commands) pay shop once,
    // and both callers see the same outcome.
    let clicked_twice = shop_invoice(1_500_000, "two clicks").await;
    let clicked_hash = node.bolt11().check(&clicked_twice, None).expect("an invoice").payment_hash().to_string();
    let (first, second) = futures::join!(pay(&node, &clicked_twice), pay(&node, &clicked_twice));
    let first = first.expect("paid");
    assert_eq!(second.expect("the same payment's outcome"), first);
    assert_eq!(shop_received(&clicked_hash).await, 1, "shop was paid once");

    // A reload as soon as a payment is recorded (it may be in flight, or not sent yet): afterwards it
    // is either paid once, and refused a second time, or failed with nothing paid, and payable again.
    let invoice = shop_invoice(2_000_000, "tea").await;
    let hash = node.bolt11().check(&invoice, None).expect("an invoice").payment_hash().to_string();
    let paying = node.clone();
    let in_flight = invoice.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = pay(&paying, &in_flight).await;
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
            let twice = pay(&node, &invoice).await.expect_err("already paid");
            assert!(matches!(twice, NodeError::AlreadyPaid(PaymentStatus::Succeeded)), "{twice}");
        }
        Some(PaymentStatus::Failed) => {
            assert_eq!(shop_received(&hash).await, 0, "a failed payment paid nothing");
            pay(&node, &invoice).await.expect("a payment that never left can be paid again");
        }
        other => panic!("the payment is still {other:?} after the reload"),
    }
    assert_eq!(shop_received(&hash).await, 1, "shop was paid exactly once");

    // Close cooperatively; the funds come back on chain.
    let onchain_before = node.balances().await.onchain_confirmed;
    node.close_channel(&channel_id, false).await.expect("closing");
    wait_for(&mut events, Duration::from_secs(30), "ChannelClosed", |e| matches!(e, NodeEvent::ChannelClosed { .. })).await;
    node.sync_chain().await.expect("the closing transaction is posted");
    control("mine", json!({ "blocks": 1 })).await;
    node.sync_chain().await.expect("sync");
    let back = node.balances().await.onchain_confirmed - onchain_before;
    assert!(back > Amount::from_sat(250_000), "the channel's funds came back on chain: {back}");

    // And they can be spent on chain.
    let stranger = control("nodes/hub/address", json!({})).await["address"].as_str().expect("an address").to_owned();
    let rate = bitcoin::FeeRate::from_sat_per_vb(2).expect("a rate");
    node.onchain().send(&stranger, SendAmount::Exactly(Amount::from_sat(100_000)), rate).await.expect("sent on chain");
    let refused = node
        .onchain()
        .send("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", SendAmount::Exactly(Amount::from_sat(1_000)), rate)
        .await
        .expect_err("a mainnet address");
    assert!(refused.to_string().contains("mainnet"), "{refused}");
    node.stop().await;
}

/// Issue 13: one coin, two opens at once (two clicks, two tabs' worth of commands): one channel
/// opens and confirms, the other is refused before any peer hears of it.
#[wasm_bindgen_test]
async fn of_two_opens_one_coin_can_pay_for_one_opens_and_the_other_is_refused() {
    let devnet = devnet().await;
    let NewWallet { node, .. } = new_wallet(&devnet, "one-coin").await;
    let mut events = node.subscribe();
    fund(&node, Amount::from_sat(400_000)).await;
    let amount = Amount::from_sat(250_000);
    let (first, second) = futures::join!(node.open_channel(&devnet.hub, amount), node.open_channel(&devnet.hub, amount));
    let (opened, refused) = match (first, second) {
        (Ok(id), Err(e)) | (Err(e), Ok(id)) => (id, e),
        other => panic!("one open and one refusal, not {other:?}"),
    };
    assert!(matches!(refused, NodeError::InsufficientFunds { .. }), "{refused}");
    wait_for(&mut events, Duration::from_secs(30), "ChannelPending", |e| matches!(e, NodeEvent::ChannelPending { .. })).await;
    // While the funding waits for its broadcast, its coin is not the on-chain wallet's to spend.
    let rate = bitcoin::FeeRate::from_sat_per_vb(2).expect("a rate");
    let stranger = control("nodes/hub/address", json!({})).await["address"].as_str().expect("an address").to_owned();
    let _ = node.onchain().send(&stranger, SendAmount::Exactly(Amount::from_sat(300_000)), rate).await.expect_err("the coin is the channel's");
    node.sync_chain().await.expect("the funding transaction is posted");
    control("mine", json!({ "blocks": 6 })).await;
    node.sync_chain().await.expect("sync");
    wait_for(&mut events, Duration::from_secs(30), "ChannelReady", |e| matches!(e, NodeEvent::ChannelReady { .. })).await;
    assert_eq!(node.channels().len(), 1, "only {opened} was opened");
}

/// Issue 13: with a second chain server that is down, a channel's funding is not taken as confirmed
/// on the first server's word: it waits, the status names the second server, and the channel opens
/// once both answer.
#[wasm_bindgen_test]
async fn a_funding_confirmed_by_one_server_waits_for_the_second() {
    let devnet = devnet().await;
    let NewWallet { name, keys, vault, node } = new_wallet(&devnet, "second-server").await;
    let mut events = node.subscribe();
    fund(&node, Amount::from_sat(300_000)).await;
    node.open_channel(&devnet.hub, Amount::from_sat(200_000)).await.expect("the channel opens");
    wait_for(&mut events, Duration::from_secs(30), "ChannelPending", |e| matches!(e, NodeEvent::ChannelPending { .. })).await;
    node.sync_chain().await.expect("the funding transaction is posted");
    node.stop().await;
    drop(node);

    let vault = reopen(vault, &name).await;
    let node = start_with_second_server(&devnet, &keys, &vault, "http://127.0.0.1:9").await;
    let fault = node.status().chain_fault;
    assert!(matches!(&fault, Some(ChainFault::SecondServer { cause }) if matches!(**cause, ChainFault::Unreachable { .. })), "{fault:?}");
    control("mine", json!({ "blocks": 6 })).await;
    node.sync_chain().await.expect("the first server answers");
    assert!(node.channels().iter().all(|c| !c.is_channel_ready && c.confirmations.unwrap_or(0) == 0), "confirmed on one server's word");
    assert!(node.status().chain_fault.is_some());
    let (node, _vault) = reload(node, vault, &devnet, &keys, &name).await;
    assert!(node.channels().iter().all(|c| c.confirmations.unwrap_or(0) >= 6), "both servers report the funding");
    eventually(Duration::from_secs(30), "the channel is ready", || node.channels().iter().any(|c| c.is_channel_ready)).await;
    assert_eq!(node.status().chain_fault, None);
    node.stop().await;
}

/// Issue 13: how long the wallet may stay closed is the delay it asked of hub less a day, and a start
/// after blocks were mined while it was closed knows how many.
#[wasm_bindgen_test]
async fn the_wallet_knows_how_long_it_may_stay_closed_and_how_long_it_was() {
    let devnet = devnet().await;
    let NewWallet { name, keys, vault, node } = new_wallet(&devnet, "away").await;
    assert_eq!(node.closed_safely().await.expect("read").blocks, None, "nothing at risk without a channel");
    let mut events = node.subscribe();
    fund(&node, Amount::from_sat(300_000)).await;
    open_confirmed_channel(&node, &mut events, &devnet, Amount::from_sat(200_000)).await;
    let open = node.closed_safely().await.expect("read");
    assert_eq!(open.blocks, Some(2016 - 144), "{open:?}");

    node.stop().await;
    drop(node);
    control("mine", json!({ "blocks": 1_000 })).await;
    let (node, _vault) = reload_stopped(vault, &devnet, &keys, &name).await;
    let back = node.closed_safely().await.expect("read");
    assert!((1_000..1_010).contains(&back.away_blocks), "{back:?}");
    assert_eq!(back.blocks, Some(2016 - 144));
    // Said if it does not happen: whether it waits for the peer, the channel's own state or the chain.
    // (It takes a fifth of a second here; once in CI it took more than 30 s, for a reason this says
    // next time. A minute leaves room for four reconnection attempts after a slow one.)
    let state = || {
        let channels: Vec<_> = node.channels().iter().map(|c| (c.is_channel_ready, c.is_usable, c.channel_shutdown_state)).collect();
        format!("hub connected: {}; channels (ready, usable, shutdown): {channels:?}; {:?}", node.is_connected(&devnet.hub.node_id), node.status())
    };
    eventually_described(Duration::from_secs(60), "the channel usable again", || node.channels().iter().any(|c| c.is_usable), state).await;
}

/// Issue 13: a channel hub opens to the wallet is refused while the wallet holds too few on-chain
/// coins to bump its force close, and taken once it holds them.
#[wasm_bindgen_test]
async fn a_channel_opened_to_the_wallet_needs_the_coins_to_bump_its_close() {
    let devnet = devnet().await;
    let NewWallet { node, .. } = new_wallet(&devnet, "inbound").await;
    let mut events = node.subscribe();
    node.connect(&devnet.hub).await.expect("connected to hub");
    let hub_opens = || control("nodes/hub/channels", json!({ "node": format!("{}@127.0.0.1:9", node.node_id()), "amount_sat": 100_000 }));

    hub_opens().await;
    let refused = wait_for(&mut events, Duration::from_secs(30), "hub's channel", |e| matches!(e, NodeEvent::InboundChannel { .. })).await;
    assert!(
        matches!(refused, NodeEvent::InboundChannel { decision: InboundDecision::RefusedNoReserve { reserve_sat: 25_000, available_sat: 0 }, .. }),
        "{refused:?}"
    );
    assert!(node.channels().is_empty());

    fund(&node, Amount::from_sat(30_000)).await;
    hub_opens().await;
    // (The first request's refusal may be told again as hub retries it: the accepted one is awaited.)
    let accepted = |e: &NodeEvent| matches!(e, NodeEvent::InboundChannel { decision: InboundDecision::Accepted, funding_sat: 100_000, .. });
    wait_for(&mut events, Duration::from_secs(30), "hub's channel taken", accepted).await;
    wait_for(&mut events, Duration::from_secs(30), "ChannelPending", |e| matches!(e, NodeEvent::ChannelPending { .. })).await;
    assert_eq!(node.channels().len(), 1);
}

/// Issue 13: a node whose storage fills up says so, takes no payment it could not keep, keeps its
/// channel, and works again once writes do (LDK's background processor, which stops at the first
/// failed write, is run again).
#[wasm_bindgen_test]
async fn a_node_that_cannot_write_says_so_refuses_payments_and_recovers() {
    let devnet = devnet().await;
    let NewWallet { vault, node, .. } = new_wallet(&devnet, "full").await;
    let mut events = node.subscribe();
    fund(&node, Amount::from_sat(300_000)).await;
    open_confirmed_channel(&node, &mut events, &devnet, Amount::from_sat(200_000)).await;
    eventually(Duration::from_secs(30), "learning hub's channel to shop", || node.known_network_channels() > 0).await;

    let backing = vault.shared_store().backing().clone();
    backing.pretend_full(true);
    // A block makes LDK write its monitors and manager.
    control("mine", json!({ "blocks": 1 })).await;
    let _ = node.sync_chain().await;
    let told = wait_for(&mut events, Duration::from_secs(30), "storage failing", |e| matches!(e, NodeEvent::Storage { failing: Some(_) })).await;
    assert_eq!(told, NodeEvent::Storage { failing: Some(StorageFault::QuotaExceeded) });
    let refused = pay(&node, &shop_invoice(1_000_000, "while full").await).await.expect_err("not while full");
    assert_eq!(refused, NodeError::Storage(StorageFault::QuotaExceeded));

    backing.pretend_full(false);
    wait_for(&mut events, Duration::from_secs(90), "storage working again", |e| matches!(e, NodeEvent::Storage { failing: None })).await;
    let paid = pay(&node, &shop_invoice(1_000_000, "after").await).await.expect("paid once writes work");
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert!(node.channels().iter().all(|c| c.is_usable), "the channel came through");
}

#[wasm_bindgen_test]
async fn a_force_closed_channel_comes_back_to_the_wallet_after_the_delay() {
    let devnet = devnet().await;
    let NewWallet { node, .. } = new_wallet(&devnet, "force-close").await;
    let mut events = node.subscribe();
    fund(&node, Amount::from_sat(400_000)).await;
    let channel_id = open_confirmed_channel(&node, &mut events, &devnet, Amount::from_sat(200_000)).await;
    let before = node.balances().await.onchain_confirmed;

    node.close_channel(&channel_id, true).await.expect("force-closing");
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

/// A wallet whose browser forgot everything comes back from its words alone: restored, it connects
/// to its LSP (hub), which names a channel the restored wallet does not know; LDK's answer makes hub
/// force-close with its latest state, and the wallet's share lands on a script derived from the
/// seed. The restored node finds it, sweeps it into its on-chain wallet, and says where it stands.
#[wasm_bindgen_test]
async fn a_wallet_restored_from_its_words_alone_gets_its_channel_funds_back() {
    let devnet = devnet().await;
    let phrase = RecoveryPhrase::generate();
    let keys = NodeKeys::derive(&phrase, Network::Regtest);
    let name = format!("blixtra-test-lost-{}", js_sys::Math::random());
    let lost = Vault::create(IdbStore::open(&name).await.expect("open"), &phrase, PASSPHRASE).await.expect("a vault");
    let node = start(&devnet, &keys, &lost).await;
    let mut events = node.subscribe();
    fund(&node, Amount::from_sat(300_000)).await;
    open_confirmed_channel(&node, &mut events, &devnet, Amount::from_sat(200_000)).await;
    eventually(Duration::from_secs(30), "learning hub's channel to shop", || node.known_network_channels() > 0).await;
    pay(&node, &shop_invoice(20_000_000, "before the loss").await).await.expect("paid");
    let balances = node.balances().await;
    let in_channel = Amount::from_sat((balances.lightning_msat + balances.lightning_reserve_msat) / 1000);
    let onchain = balances.onchain_confirmed;
    assert!(node.channel_recovery().is_none(), "a new wallet looks for nothing");
    node.stop().await;
    // The browser forgets the wallet's storage.
    Vault::wipe(&IdbStore::open(&name).await.expect("open")).await.expect("wiped");
    drop(lost);

    let name = format!("blixtra-test-restored-{}", js_sys::Math::random());
    let restored = Vault::restore(IdbStore::open(&name).await.expect("open"), &phrase, PASSPHRASE).await.expect("a vault");
    let node = start_with(&devnet, &keys, &restored, None, Some(devnet.hub.clone())).await;
    assert_eq!(node.balances().await.onchain_confirmed, onchain, "the words bring the on-chain coins back");
    assert!(node.channels().is_empty(), "the restored wallet knows no channel");
    assert!(hub_forgets_channel_with(node.node_id()).await, "hub force-closed the channel the restored wallet did not know");

    let mut progress = None;
    for _ in 0..60 {
        control("mine", json!({ "blocks": 1 })).await;
        node.sync_chain().await.expect("sync");
        TimeoutFuture::new(1_000).await;
        progress = node.channel_recovery();
        if progress.is_some_and(|p| p.found > 0 && p.back_in_blocks.is_none()) {
            break;
        }
    }
    let progress = progress.expect("a restored wallet watches");
    assert_eq!((progress.found, progress.back_in_blocks), (1, None), "one channel's share found and swept: {progress:?}");
    assert_eq!(progress.swept_sat, progress.found_sat);
    // Our share in hub's last state, less what the opener pays: the commitment's fee and anchors.
    let share = Amount::from_sat(progress.found_sat);
    assert!(share < in_channel && share > in_channel - Amount::from_sat(5_000), "{share} found of {in_channel}");
    node.sync_chain().await.expect("sync");
    let back = node.balances().await.onchain_confirmed - onchain;
    assert!(back < share && back > share - Amount::from_sat(2_000), "{back} back on chain of {share} found: less the sweep's fee");
    node.stop().await;

    // The watch is kept across starts, and a restart scans again (all 2,000 scripts, in the
    // background: a busy machine takes its time) without finding more.
    let node = start_with(&devnet, &keys, &reopen(restored, &name).await, None, Some(devnet.hub.clone())).await;
    eventually(Duration::from_secs(120), "the restart's scan", || node.channel_recovery().is_some_and(|p| p.found > 0)).await;
    assert_eq!(node.channel_recovery().map(|p| (p.found, p.swept_sat, p.back_in_blocks)), Some((1, share.to_sat(), None)));
    node.stop().await;
}

#[wasm_bindgen_test]
async fn the_ui_protocol_answers_with_data_and_refuses_bad_input_with_its_error() {
    let devnet = devnet().await;
    let NewWallet { node, .. } = new_wallet(&devnet, "protocol").await;
    // Every answer crosses as JSON, as it will through postMessage, and reads back as its call's type.
    let ask = |call: Command| {
        let node = node.clone();
        async move {
            let reply = FromNode::Reply { id: 1, result: answer(&node, &Caller::App, call).await };
            match serde_json::from_str(&serde_json::to_string(&reply).expect("json")).expect("parses") {
                FromNode::Reply { result, .. } => result,
                other => panic!("not a reply: {other:?}"),
            }
        }
    };
    async fn typed<C: Call, F: std::future::Future<Output = Result<serde_json::Value, NodeError>>>(_: &C, reply: F) -> Result<C::Answer, NodeError> {
        reply.await.map(|value| serde_json::from_value(value).expect("the call's answer type"))
    }
    macro_rules! ask {
        ($call:expr) => {{
            let call = $call;
            typed(&call, ask(call.clone().into())).await
        }};
    }

    let address = ask!(NewAddress {}).expect("an address");
    control("faucet", json!({ "address": address, "amount_sat": 100_000 })).await;
    assert!(ask!(SyncChain {}).is_ok());
    let balances = ask!(Balances {}).expect("balances");
    assert_eq!(balances, BalancesView { onchain_confirmed_sat: 100_000, onchain_pending_sat: 0, lightning_msat: 0, lightning_reserve_msat: 0 });

    let shop = shop_invoice(1_000_000, "tea").await;
    let details = ask!(CheckInvoice { invoice: shop.clone(), amount_msat: None }).expect("details");
    assert_eq!((details.amount_msat, details.description.as_deref()), (Some(1_000_000), Some("tea")));
    assert!(details.payee.is_some());
    let garbage = ask!(PayInvoice { invoice: "not an invoice".into(), amount_msat: None, max_fee_msat: 1_000 });
    assert!(matches!(garbage, Err(NodeError::InvalidInvoice(_))), "{garbage:?}");
    let no_channel = ask!(PayInvoice { invoice: shop, amount_msat: None, max_fee_msat: 1_000 });
    assert_eq!(no_channel, Err(NodeError::InsufficientFunds { needed_msat: 1_000_000, available_msat: 0 }));
    let bad_peer = ask!(OpenChannel { peer: "hub".into(), amount_sat: 50_000 });
    assert!(matches!(bad_peer, Err(NodeError::InvalidPeer(_))), "{bad_peer:?}");
    let too_much = ask!(OpenChannel { peer: devnet.hub.to_string(), amount_sat: 500_000 });
    assert_eq!(too_much, Err(NodeError::InsufficientFunds { needed_msat: 500_000_000, available_msat: 100_000_000 }));
    assert_eq!(ask!(Channels {}), Ok(vec![]));
    let payments = ask!(Payments {}).expect("payments");
    assert!(payments.is_empty(), "refusals leave no record: {payments:?}");

    // Two connects to one peer at once (the reconnect loop and a person's open, say) share one dial:
    // both succeed, over one connection, instead of racing through LDK's handshake.
    let (first, second) = futures::join!(node.connect(&devnet.hub), node.connect(&devnet.hub));
    assert_eq!((first, second), (Ok(()), Ok(())));
    let status = node.status();
    assert_eq!((status.peers_known, status.peers_connected), (1, 1), "{status:?}");
    node.stop().await;
}

#[wasm_bindgen_test]
async fn the_worker_host_starts_the_node_from_the_vault_and_speaks_the_protocol() {
    let devnet = devnet().await;
    let (name, host, sent) = stopped_wallet_and_host(&devnet, "host").await;
    let last = || sent.borrow().last().cloned().expect("an answer");
    let start = |passphrase: &str| host_start(&devnet, &name, passphrase, None);

    host.handle(ToNode::Hello { version: PROTOCOL_VERSION }).await;
    assert_eq!(last(), FromNode::Hello { version: PROTOCOL_VERSION, running: None });
    host.handle(ToNode::Hello { version: PROTOCOL_VERSION + 1 }).await;
    assert_eq!(last(), FromNode::StartFailed { error: StartError::Version { page: PROTOCOL_VERSION + 1, node: PROTOCOL_VERSION } });
    host.handle(ToNode::Request { id: 1, caller: Caller::App, command: Balances {}.into() }).await;
    assert_eq!(last(), FromNode::Reply { id: 1, result: Err(NodeError::Stopped) });
    host.handle(ToNode::Start(start("not the passphrase"))).await;
    assert_eq!(last(), FromNode::StartFailed { error: StartError::WrongPassphrase });

    host.handle(ToNode::Start(start(PASSPHRASE))).await;
    assert!(matches!(last(), FromNode::Started { node_id } if node_id.len() == 66));
    host.handle(ToNode::Start(start(PASSPHRASE))).await;
    assert_eq!(last(), FromNode::StartFailed { error: StartError::AlreadyRunning });
    host.handle(ToNode::Request { id: 2, caller: Caller::App, command: Balances {}.into() }).await;
    let zero = serde_json::to_value(BalancesView { onchain_confirmed_sat: 0, onchain_pending_sat: 0, lightning_msat: 0, lightning_reserve_msat: 0 })
        .expect("json");
    assert_eq!(last(), FromNode::Reply { id: 2, result: Ok(zero) });
    let website = Caller::Website { origin: "https://shop.example".into() };
    host.handle(ToNode::Request { id: 3, caller: website, command: Balances {}.into() }).await;
    assert_eq!(last(), FromNode::Reply { id: 3, result: Err(NodeError::NotPermitted { origin: "https://shop.example".into() }) });
    // Boxed: inline, the test's future outgrew the worker's stack.
    Box::pin(pages_share_the_node(&host, &sent)).await;
    Box::pin(a_start_by_a_page_is_heard_by_the_host(&host, &sent, start(PASSPHRASE))).await;
}

/// In the extension the node host spawned the worker and every page is a port of its own: a start
/// that a page asks for is told to the host as well (Firefox's background page keeps itself awake
/// while the node runs), and the page alone gets the answer.
async fn a_start_by_a_page_is_heard_by_the_host(host: &NodeHost, sent: &Rc<RefCell<Vec<FromNode>>>, start: StartNode) {
    let page_sent = Rc::new(RefCell::new(Vec::<FromNode>::new()));
    let page_outbox = page_sent.clone();
    let page = host.connect(move |message| page_outbox.borrow_mut().push(message));
    let host_had = sent.borrow().len();
    host.handle_from(page, ToNode::Start(start)).await;
    let node_id = match page_sent.borrow().last() {
        Some(FromNode::Started { node_id }) => node_id.clone(),
        other => panic!("the page that started the node hears it started: {other:?}"),
    };
    assert_eq!(sent.borrow()[host_had..].first(), Some(&FromNode::Started { node_id }), "the host hears the start");
    host.handle_from(page, ToNode::Stop).await;
    assert_eq!(sent.borrow().last(), Some(&FromNode::Stopped), "and the stop");
}

/// A new wallet whose node has stopped, and a worker's host for it whose messages are kept.
async fn stopped_wallet_and_host(devnet: &Devnet, label: &str) -> (String, NodeHost, Rc<RefCell<Vec<FromNode>>>) {
    let NewWallet { name, node, .. } = new_wallet(devnet, label).await;
    node.stop().await;
    drop(node);
    let sent: Rc<RefCell<Vec<FromNode>>> = Rc::default();
    let outbox = sent.clone();
    (name, NodeHost::new(move |message| outbox.borrow_mut().push(message)), sent)
}

/// What a page sends the host to start the node of wallet `name` on the devnet.
fn host_start(devnet: &Devnet, name: &str, passphrase: &str, auto_lock_after_secs: Option<u64>) -> StartNode {
    StartNode {
        database: name.to_owned(),
        passphrase: passphrase.to_owned(),
        network: Network::Regtest,
        esplora_url: devnet.esplora_url.clone(),
        proxy_url_template: devnet.proxy_url_template.clone(),
        max_channel_sat: 1_000_000,
        onchain_fee_percent: 2,
        onchain_fee_floor_sat: 5_000,
        trusted_peers: Vec::new(),
        second_esplora_url: None,
        auto_lock_after_secs,
        lsp: None,
        payment_code_server: None,
    }
}

/// The node locks itself after the idle time it was started with, whether or not a page is open to
/// time it (in the extension, none may be), and a page's activity keeps it running.
#[wasm_bindgen_test]
async fn the_node_locks_itself_when_nobody_uses_the_wallet() {
    let devnet = devnet().await;
    let (name, host, sent) = stopped_wallet_and_host(&devnet, "idle").await;
    let start = host_start(&devnet, &name, PASSPHRASE, Some(2));
    host.handle(ToNode::Start(start)).await;
    assert!(matches!(sent.borrow().last(), Some(FromNode::Started { .. })), "{:?}", sent.borrow().last());
    // Used every half second for five seconds: still running.
    for _ in 0..10 {
        TimeoutFuture::new(500).await;
        host.handle(ToNode::Activity { auto_lock_after_secs: Some(2) }).await;
    }
    assert!(!sent.borrow().contains(&FromNode::Stopped), "a node in use does not lock");
    host.handle(ToNode::Request { id: 1, caller: Caller::App, command: Balances {}.into() }).await;
    assert!(matches!(sent.borrow().last(), Some(FromNode::Reply { id: 1, result: Ok(_) })));
    // Then left alone: it locks within its idle time and the check after it.
    eventually(Duration::from_secs(6), "the idle node locking itself", || sent.borrow().contains(&FromNode::Stopped)).await;
    host.handle(ToNode::Request { id: 2, caller: Caller::App, command: Balances {}.into() }).await;
    assert_eq!(sent.borrow().last(), Some(&FromNode::Reply { id: 2, result: Err(NodeError::Stopped) }));
}

/// A second page (the extension's popup, on a port of its own) joins the running node: its hello
/// names it, its answers come to it alone, every page hears the node's events, a page that detaches
/// hears nothing more, and a stop is heard by all.
async fn pages_share_the_node(host: &NodeHost, sent: &Rc<RefCell<Vec<FromNode>>>) {
    let last = || sent.borrow().last().cloned().expect("an answer");
    let popup_sent = Rc::new(RefCell::new(Vec::<FromNode>::new()));
    let popup_outbox = popup_sent.clone();
    let popup = host.connect(move |message| popup_outbox.borrow_mut().push(message));
    let node_id = match sent.borrow().iter().find(|m| matches!(m, FromNode::Started { .. })) {
        Some(FromNode::Started { node_id }) => node_id.clone(),
        _ => unreachable!("started above"),
    };
    assert_eq!(popup_sent.borrow().first(), Some(&FromNode::Hello { version: PROTOCOL_VERSION, running: Some(node_id) }));
    let first_page_had = sent.borrow().len();
    host.handle_from(popup, ToNode::Request { id: 1, caller: Caller::App, command: Balances {}.into() }).await;
    assert!(matches!(popup_sent.borrow().last(), Some(FromNode::Reply { id: 1, result: Ok(_) })), "{:?}", popup_sent.borrow());
    assert_eq!(sent.borrow().len(), first_page_had, "the first page gets no answer it did not ask for");

    host.handle(ToNode::Request { id: 4, caller: Caller::App, command: SyncChain {}.into() }).await;
    TimeoutFuture::new(100).await; // The forwarding task runs after the reply.
    for page in [sent, &popup_sent] {
        assert!(page.borrow().iter().any(|m| matches!(m, FromNode::Event { event: NodeEvent::Synced { .. } })), "the node's events are forwarded");
    }
    // The popup closing leaves the node running; a stop from the other page is heard by all.
    host.handle_from(popup, ToNode::Detach).await;
    let popup_had = popup_sent.borrow().len();
    host.handle(ToNode::Request { id: 5, caller: Caller::App, command: Balances {}.into() }).await;
    assert!(matches!(last(), FromNode::Reply { id: 5, result: Ok(_) }), "the node runs on after a page detached");
    let third = Rc::new(RefCell::new(Vec::<FromNode>::new()));
    let third_outbox = third.clone();
    host.connect(move |message| third_outbox.borrow_mut().push(message));
    host.handle(ToNode::Stop).await;
    assert_eq!(last(), FromNode::Stopped);
    assert_eq!(third.borrow().last(), Some(&FromNode::Stopped), "every page hears the stop");
    assert_eq!(popup_sent.borrow().len(), popup_had, "a detached page hears nothing more");
}

/// Receiving with no channel, through a just-in-time channel bought from hub (LSPS2, LDK Node's
/// service): an amount outside hub's range and a price above the one agreed are refused with their
/// reasons and buy nothing; then 50,000 sats arrive less exactly the quoted fee, the channel is used
/// before it confirms, and pays shop. An LSP that does not answer is named as such.
#[wasm_bindgen_test]
async fn a_wallet_without_channels_receives_through_a_channel_from_its_lsp() {
    let devnet = devnet().await;
    let name = format!("blixtra-test-jit-{}", js_sys::Math::random());
    let phrase = RecoveryPhrase::generate();
    let keys = NodeKeys::derive(&phrase, Network::Regtest);
    let vault = Vault::create(IdbStore::open(&name).await.expect("open"), &phrase, PASSPHRASE).await.expect("a vault");
    let node = start_with(&devnet, &keys, &vault, None, Some(devnet.hub.clone())).await;
    let mut events = node.subscribe();
    let jit = node.jit();

    // hub's terms (crates/devnet/src/peers.rs): 1%, at least 2,000 sats, for 10,000 sats to 0.1 BTC.
    let too_small = jit.plan(5_000_000).await.expect_err("below hub's smallest payment");
    assert_eq!(too_small, NodeError::Lsp(LspFault::AmountOutOfRange { min_msat: 10_000_000, max_msat: 10_000_000_000 }));
    let ReceivePlan::NewChannel(quote) = jit.plan(50_000_000).await.expect("a price") else { panic!("no channel: a new one is needed") };
    assert_eq!((quote.fee_msat, quote.lsp), (2_000_000, devnet.hub.node_id));
    let expiry = Duration::from_secs(3600);
    let dearer = jit.receive(50_000_000, "jit", expiry, quote.fee_msat - 1).await.expect_err("the LSP asks more than agreed");
    assert_eq!(dearer, NodeError::Lsp(LspFault::FeeChanged { agreed_msat: quote.fee_msat - 1, asked_msat: quote.fee_msat }));
    assert!(node.payments().await.expect("history").is_empty(), "nothing was bought or recorded");

    let (invoice, bought) = jit.receive(50_000_000, "jit", expiry, quote.fee_msat).await.expect("an invoice through hub");
    assert_eq!(bought.fee_msat, quote.fee_msat);
    let hint = &invoice.route_hints()[0].0[0];
    assert_eq!(hint.src_node_id, devnet.hub.node_id, "the last hop is hub's channel to be");
    let paid = control("nodes/shop/pay", json!({ "invoice": invoice.to_string() })).await;
    assert_eq!(paid["status"], "succeeded", "shop's payment: {paid}");
    let received = wait_for(&mut events, Duration::from_secs(60), "PaymentReceived", |e| matches!(e, NodeEvent::PaymentReceived { .. })).await;
    assert!(matches!(received, NodeEvent::PaymentReceived { amount_msat: 48_000_000, .. }), "{received:?}");
    let record = node.payments().await.expect("history").into_iter().next().expect("the payment");
    assert_eq!((record.status, record.fee_paid_msat), (PaymentStatus::Succeeded, Some(2_000_000)));
    assert!(matches!(record.kind, PaymentKind::Jit { opening_fee_msat: Some(2_000_000), agreed_fee_msat: Some(2_000_000), .. }));
    let channel = node.channels().into_iter().next().expect("hub's channel");
    assert_eq!(channel.confirmations_required, Some(0), "used before it confirms: it comes from the LSP");
    let balances = node.balances().await;
    assert_eq!(balances.lightning_msat + balances.lightning_reserve_msat, 48_000_000, "50,000 sats less the 2,000 agreed");

    let invoice = shop_invoice(1_000_000, "from a jit channel").await;
    pay(&node, &invoice).await.expect("the new channel pays shop");
    node.stop().await;

    // An LSP at an address where nothing listens.
    let unreachable = PeerUri { host: "127.0.0.1".to_owned(), port: 9, ..devnet.hub.clone() };
    let node = start_with(&devnet, &keys, &reopen(vault, &name).await, None, Some(unreachable)).await;
    let refused = node.jit().plan(500_000_000).await.expect_err("nobody answers there");
    assert!(matches!(refused, NodeError::Lsp(LspFault::Unreachable { .. })), "{refused:?}");
    node.stop().await;
}

/// A wallet with a channel to hub hands out its payment code, is closed, and is paid to it: hub
/// gives shop the wallet's static invoice and keeps shop's note for the wallet; shop holds its
/// payment until the wallet opens again, asks for it and claims it. A server that is not there,
/// refuses, or answers something else, is said so.
#[wasm_bindgen_test]
async fn a_closed_wallet_is_paid_to_its_payment_code_when_it_opens() {
    let devnet = devnet().await;
    let name = format!("blixtra-test-async-{}", js_sys::Math::random());
    let phrase = RecoveryPhrase::generate();
    let keys = NodeKeys::derive(&phrase, Network::Regtest);
    let vault = Vault::create(IdbStore::open(&name).await.expect("open"), &phrase, PASSPHRASE).await.expect("a vault");
    let hub = Some(devnet.hub.clone());

    // Servers that cannot give paths: nothing listens, a refusal, an answer that is not paths.
    let node = start_with_payment_code(&devnet, &keys, &vault, None, hub.clone(), Some("http://127.0.0.1:9/paths")).await;
    let unreachable = node.payment_code().offer().await.expect_err("nobody answers there");
    assert!(matches!(unreachable, NodeError::PaymentCode(PaymentCodeFault::ServerUnreachable { .. })), "{unreachable:?}");
    node.stop().await;
    let vault = reopen(vault, &name).await;
    let not_a_server = format!("{}/devnet.json", support::devnet_url());
    let node = start_with_payment_code(&devnet, &keys, &vault, None, hub.clone(), Some(&not_a_server)).await;
    let refused = node.payment_code().offer().await.expect_err("devnet.json is read, not posted to");
    assert!(matches!(refused, NodeError::PaymentCode(PaymentCodeFault::Refused { ref detail }) if detail.starts_with("405")), "{refused:?}");
    node.stop().await;
    let vault = reopen(vault, &name).await;
    let not_paths = format!("{}/devnet/nodes/hub/address", support::devnet_url());
    let node = start_with_payment_code(&devnet, &keys, &vault, None, hub.clone(), Some(&not_paths)).await;
    let bad = node.payment_code().offer().await.expect_err("an address is not paths");
    assert!(matches!(bad, NodeError::PaymentCode(PaymentCodeFault::BadAnswer { .. })), "{bad:?}");

    // A channel with hub, bought as a newcomer buys it.
    let ReceivePlan::NewChannel(quote) = node.jit().plan(50_000_000).await.expect("a price") else { panic!("a new channel is needed") };
    let (invoice, _) = node.jit().receive(50_000_000, "jit", Duration::from_secs(3600), quote.fee_msat).await.expect("an invoice");
    let paid = control("nodes/shop/pay", json!({ "invoice": invoice.to_string() })).await;
    assert_eq!(paid["status"], "succeeded", "shop's payment: {paid}");
    // Room to receive: hub's side of a just-in-time channel holds little more than its over-provisioning.
    pay(&node, &shop_invoice(30_000_000, "room to receive").await).await.expect("the new channel pays shop");
    node.stop().await;

    let vault = reopen(vault, &name).await;
    let node = start_with_payment_code(&devnet, &keys, &vault, None, hub.clone(), Some(&devnet.payment_code_server)).await;
    let mut code = None;
    for _ in 0..300 {
        match node.payment_code().offer().await {
            Ok(offer) => {
                code = Some(offer);
                break;
            }
            Err(NodeError::PaymentCode(PaymentCodeFault::NotReady)) => TimeoutFuture::new(200).await,
            Err(e) => panic!("the payment code: {e}"),
        }
    }
    let code = code.expect("a payment code within 60 s of the start");
    assert!(!code.paths().is_empty(), "asked through paths to hub, which answers for the closed wallet");
    node.stop().await;
    drop(node);

    // Closed: shop pays the code and holds its payment; hub keeps the note for the wallet.
    let sent = control("nodes/shop/pay_offer", json!({ "offer": code.to_string(), "amount_msat": 20_000_000, "wait_secs": 5 })).await;
    assert_eq!(sent["status"], "pending", "held for the closed wallet: {sent}");

    let vault = reopen(vault, &name).await;
    let node = start_with_payment_code(&devnet, &keys, &vault, None, hub, Some(&devnet.payment_code_server)).await;
    let mut events = node.subscribe();
    let received = wait_for(&mut events, Duration::from_secs(60), "shop's PaymentReceived", |e| {
        matches!(e, NodeEvent::PaymentReceived { amount_msat: 20_000_000, .. })
    })
    .await;
    assert!(matches!(received, NodeEvent::PaymentReceived { while_away: true, .. }), "paid while the wallet was closed: {received:?}");
    let record = node.payments().await.expect("history").into_iter().find(|r| r.amount_msat == Some(20_000_000)).expect("the payment");
    assert_eq!((record.status, record.received_while_away), (PaymentStatus::Succeeded, true));
    assert!(matches!(record.kind, PaymentKind::Bolt12Offer { .. }), "{:?}", record.kind);
    let mut shops = Value::Null;
    for _ in 0..150 {
        let payments = control_get("nodes/shop/payments").await;
        shops = payments.as_array().expect("a list").iter().find(|p| p["id"] == sent["id"]).expect("shop's payment").clone();
        if shops["status"] != "pending" {
            break;
        }
        TimeoutFuture::new(200).await;
    }
    assert_eq!(shops["status"], "succeeded", "shop learns its payment arrived: {shops}");
    node.stop().await;
}
