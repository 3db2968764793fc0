//! A wallet's backup file restored in the browser against the devnet: a backup that is the
//! channel's latest state waits for hub's word and then pays; an old one (a payment after it) is
//! never broadcast, hub closes with the latest state and the later balance comes back; a restored
//! channel hub closes first stays unpublished. In a test file of their own: each test starts
//! several nodes, and one worker's memory does not hold all of `browser_node.rs` and these.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use bitcoin::Amount;
use blixtra_core::backup::BackupFile;
use blixtra_core::node::backups::BackupReminder;
use blixtra_core::node::channel_checks::CheckState;
use blixtra_core::node::error::Refusal;
use blixtra_core::node::events::NodeEvent;
use blixtra_core::node::payment::PaymentStatus;
use blixtra_core::node::NodeError;
use blixtra_core::Vault;
use blixtra_host::browser::IdbStore;
use gloo_timers::future::TimeoutFuture;
use serde_json::json;
use wasm_bindgen_test::*;

mod support;

use support::node::*;
use support::{control, devnet};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Writes the wallet's backup file and restores it into a new database, as a second browser would.
async fn backup_restored_elsewhere(node_id: PublicKey, vault: &Vault<IdbStore>, label: &str) -> (String, Vault<IdbStore>) {
    let file = BackupFile::export(vault.store(), node_id, 1_796_000_000).await.expect("exported");
    let name = format!("blixtra-test-{label}-{}", js_sys::Math::random());
    let restored =
        BackupFile::read(&file).expect("a backup").restore(IdbStore::open(&name).await.expect("open"), PASSPHRASE).await.expect("restored");
    (name, restored)
}

/// A backup that is the channel's latest state: restored, its channel waits for hub's word (a force
/// close is refused while hub cannot be reached), then runs as before, and pays.
#[wasm_bindgen_test]
async fn a_restored_backup_runs_its_channel_once_the_peer_confirms_its_state() {
    let devnet = devnet().await;
    let (NewWallet { node, vault, keys, .. }, channel_id) = wallet_with_channel_to_hub(&devnet, "backup-current").await;
    assert_eq!(node.backup_reminder(), Some(BackupReminder::ChannelOpened), "a channel opened: export a backup");
    let file = BackupFile::read(&node.backup_file().await.expect("the node's backup file")).expect("a backup");
    assert_eq!((file.node_id, node.backup_reminder()), (node.node_id(), None), "exported, the reminder goes");
    eventually(Duration::from_secs(30), "learning hub's channel to shop", || node.known_network_channels() > 0).await;
    pay(&node, &shop_invoice(10_000_000, "before the backup").await).await.expect("paid");
    assert!(node.channel_checks().is_empty(), "a wallet that was not restored holds nothing");
    // The backup of a stopped wallet: a running one may still be settling the payment with hub
    // (the next test's case). One running copy: the original does not start again.
    let node_id = node.node_id();
    node.stop().await;
    drop(node);
    let (name, restored) = backup_restored_elsewhere(node_id, &vault, "backup-current-restored").await;

    // Hub out of reach: the channel stays unconfirmed, and nothing may broadcast its state.
    let unreachable = "ws://127.0.0.1:9/v1/{host}/{port}";
    let node = start_through(unreachable, &devnet, &keys, &restored, Some(&devnet.esplora_url), None, None).await;
    TimeoutFuture::new(2_000).await;
    let held = node.channel_checks();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!((held[0].channel_id, held[0].state), (channel_id, CheckState::Unconfirmed));
    assert_eq!(node.close_channel(&channel_id, true).await.err(), Some(NodeError::Refused(Refusal::ChannelStateUnconfirmed)));
    node.stop().await;
    drop(node);

    let restored = reopen(restored, &name).await;
    let node = start(&devnet, &keys, &restored).await;
    eventually_described(
        Duration::from_secs(30),
        "hub confirming the restored state",
        || node.channel_checks().is_empty(),
        || format!("{:?}", node.channel_checks()),
    )
    .await;
    eventually(Duration::from_secs(30), "the channel usable again", || node.channels().iter().any(|c| c.is_usable)).await;
    let invoice = shop_invoice(5_000_000, "after the restore").await;
    let paid = pay(&node, &invoice).await.expect("the restored wallet pays");
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert_eq!(node.broadcasts_held_back(), 0);
    node.stop().await;
    // The confirmation is kept: the next start holds nothing.
    let node = start(&devnet, &keys, &reopen(restored, &name).await).await;
    assert!(node.channel_checks().is_empty());
    node.stop().await;
}

/// A restored backup's channel that its peer closes before the restored node reaches it: the close
/// is the peer's, and the backup's state, which may be old, stays unpublished.
#[wasm_bindgen_test]
async fn a_restored_channel_closed_by_its_peer_first_stays_unpublished() {
    let devnet = devnet().await;
    let (NewWallet { node, vault, keys, .. }, channel_id) = wallet_with_channel_to_hub(&devnet, "backup-closed").await;
    let node_id = node.node_id();
    node.stop().await;
    drop(node);
    let (_, restored) = backup_restored_elsewhere(node_id, &vault, "backup-closed-restored").await;
    let node = start_through("ws://127.0.0.1:9/v1/{host}/{port}", &devnet, &keys, &restored, Some(&devnet.esplora_url), None, None).await;
    let ours = hub_channel_with(node_id).await.expect("hub has the channel");
    control(
        "nodes/hub/channels/close",
        json!({ "user_channel_id": ours["user_channel_id"], "counterparty_node_id": node_id.to_string(), "force": true }),
    )
    .await;
    let mut events = node.subscribe();
    for _ in 0..30 {
        control("mine", json!({ "blocks": 1 })).await;
        node.sync_chain().await.expect("sync");
        if node.channels().is_empty() {
            break;
        }
        TimeoutFuture::new(500).await;
    }
    wait_for(&mut events, Duration::from_secs(30), "ChannelClosed", |e| matches!(e, NodeEvent::ChannelClosed { .. })).await;
    eventually_described(
        Duration::from_secs(10),
        "the closed channel kept unpublished",
        || node.channel_checks().iter().any(|c| c.channel_id == channel_id && c.state == CheckState::ClosedUnconfirmed),
        || format!("{:?}", node.channel_checks()),
    )
    .await;
    assert!(node.channels().is_empty());
    node.stop().await;
}

/// A backup older than the channel (a payment made after it): LDK 0.2 would panic on hub's
/// `channel_reestablish` ("We have fallen behind"). The restored node instead sees its state is old,
/// asks hub to close with the latest, never broadcasts its own, and gets the later balance back on
/// chain.
#[wasm_bindgen_test]
async fn an_old_backup_never_broadcasts_its_state_and_gets_the_latest_balance_back() {
    let devnet = devnet().await;
    let (NewWallet { node, vault, keys, .. }, channel_id) = wallet_with_channel_to_hub(&devnet, "backup-old").await;
    eventually(Duration::from_secs(30), "learning hub's channel to shop", || node.known_network_channels() > 0).await;
    let (_, restored) = backup_restored_elsewhere(node.node_id(), &vault, "backup-old-restored").await;
    // After the backup, the channel moves on: 40,000 sats leave it.
    pay(&node, &shop_invoice(40_000_000, "after the backup").await).await.expect("paid");
    let balances = node.balances().await;
    let latest = Amount::from_sat((balances.lightning_msat + balances.lightning_reserve_msat) / 1000);
    let onchain = balances.onchain_confirmed;
    node.stop().await;
    drop(node);

    let node = start(&devnet, &keys, &restored).await;
    eventually_described(
        Duration::from_secs(30),
        "the restored node finding its state old",
        || node.channel_checks().iter().any(|c| c.channel_id == channel_id && c.state == CheckState::Old),
        || format!("{:?}", node.channel_checks()),
    )
    .await;
    assert!(hub_forgets_channel_with(node.node_id()).await, "hub force-closed the channel at our request");

    // Hub's commitment pays our share to a key from the seed: the restore's watch (or the old
    // monitor) sweeps it into the on-chain wallet.
    let mut back = Amount::ZERO;
    for _ in 0..60 {
        control("mine", json!({ "blocks": 1 })).await;
        node.sync_chain().await.expect("sync");
        TimeoutFuture::new(1_000).await;
        back = node.balances().await.onchain_confirmed.checked_sub(onchain).unwrap_or(Amount::ZERO);
        if back > latest - Amount::from_sat(10_000) {
            break;
        }
    }
    // The latest state's balance, not the backup's (40,000 sats more), less the close's and the
    // sweep's fees; an old commitment of ours on chain would have given hub everything.
    assert!(back < latest && back > latest - Amount::from_sat(10_000), "{back} back of {latest} in the latest state");
    assert!(node.channels().is_empty());
    assert_eq!(node.backup_reminder(), Some(BackupReminder::ChannelClosed), "a channel closed: export a new backup");
    node.stop().await;
}
