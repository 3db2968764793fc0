//! A tab closed at every moment of a payment: the node started from the database as it stood after
//! each commit. In a test file of its own: it starts a node per commit, and one worker's memory does
//! not hold those and all of `browser_node.rs`'s.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bitcoin::Amount;
use blixtra_core::node::payment::record::hex;
use blixtra_core::node::payment::PaymentStatus;
use blixtra_core::{KvStore, Op, Vault};
use blixtra_host::browser::IdbStore;
use gloo_timers::future::TimeoutFuture;
use lightning::ln::channel_state::ChannelShutdownState;
use wasm_bindgen_test::*;

mod support;

use support::node::*;
use support::{devnet, Devnet};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Every moment a tab can be closed during a payment: the raw IndexedDB as it stood after each
/// commit of a payment through hub, started in turn as a node (offline, so that these old states
/// never meet hub). LDK 0.2 force-closes at start a channel whose monitor is ahead of the manager;
/// here every start keeps the channel open, and knows the payment as not begun, failed before it
/// left, pending or paid: never failed once it could have left, never lost once paid.
#[wasm_bindgen_test]
async fn a_node_started_from_the_database_after_any_commit_of_a_payment_keeps_its_channel() {
    let devnet = devnet().await;
    let NewWallet { name, keys, vault, node } = new_wallet(&devnet, "commits").await;
    let mut events = node.subscribe();
    fund(&node, Amount::from_sat(300_000)).await;
    let channel_id = open_confirmed_channel(&node, &mut events, &devnet, Amount::from_sat(200_000)).await;
    eventually(Duration::from_secs(30), "learning hub's channel to shop", || node.known_network_channels() > 0).await;

    let backing = vault.shared_store().backing().clone();
    let before: Vec<Op> = backing.scan("").await.expect("a scan").into_iter().map(|(key, value)| Op::Put { key, value }).collect();
    let commits: Rc<RefCell<Vec<Vec<Op>>>> = Rc::default();
    let log = commits.clone();
    backing.watch_commits(move |ops| log.borrow_mut().push(ops.to_vec()));
    let paid = pay(&node, &shop_invoice(3_000_000, "commit by commit").await).await.expect("paid");
    // LDK's writes go on a moment after the payment is reported: the last revocation, the scorer.
    TimeoutFuture::new(1_000).await;
    backing.unwatch_commits();
    node.stop().await;
    let hash = hex(&paid.kind.hash().expect("a BOLT11 payment has a hash"));
    let commits = commits.take();
    assert!(commits.len() >= 4, "a payment is several commits: {}", commits.len());

    let offline = Devnet { proxy_url_template: "ws://127.0.0.1:9/{host}/{port}".into(), ..devnet.clone() };
    let mut seen = Vec::new();
    for at in 0..=commits.len() {
        let snapshot_name = format!("{name}-after-{at}");
        let snapshot = IdbStore::open(&snapshot_name).await.expect("a database");
        snapshot.commit(before.iter().cloned().chain(commits[..at].iter().flatten().cloned()).collect()).await.expect("the snapshot");
        let vault = Vault::unlock(snapshot.clone(), PASSPHRASE).await.expect("unlock");
        let node = start(&offline, &keys, &vault).await;
        let channels = node.channels();
        assert!(
            channels.iter().any(|c| c.channel_id == channel_id && c.channel_shutdown_state == Some(ChannelShutdownState::NotShuttingDown)),
            "after commit {at} of {}: the channel is {channels:?}",
            commits.len()
        );
        seen.push(status_of(&node, &hash).await);
        node.stop().await;
        drop((node, vault));
        snapshot.close();
        IdbStore::delete_database(&snapshot_name).await.expect("deleted");
    }
    let left = seen.iter().position(|s| matches!(s, Some(PaymentStatus::Pending | PaymentStatus::Succeeded))).expect("the payment is seen in flight");
    assert!(seen[..left].iter().all(|s| matches!(s, None | Some(PaymentStatus::Failed))), "before it can have left: {seen:?}");
    assert!(seen[left..].iter().all(|s| matches!(s, Some(PaymentStatus::Pending | PaymentStatus::Succeeded))), "once it can have left: {seen:?}");
    assert_eq!(seen.last(), Some(&Some(PaymentStatus::Succeeded)), "{seen:?}");
    assert_eq!(shop_received(&hash).await, 1, "shop was paid once");
}
