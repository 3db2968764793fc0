//! The node's background tasks: LDK's background processor (events, persistence of the channel
//! manager, graph, scorer and LSP client, timers, the output sweeper's rounds), the chain loop
//! (chain sync, fees, broadcasts, reconnects), the manager write for monitor writes LDK wrote none
//! for, and the LSP client's answers handed to their requests.
//! All end after their current step once the node is stopping.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use lightning::util::logger::Logger as _;
use lightning::{log_error, log_warn};
use lightning_background_processor::{process_events_async, GossipSync};

use super::lightning_node::LightningNode;
use super::peers::Backoff;
use super::platform::Platform;

/// How often fee estimates are refreshed, in chain polls.
const FEE_REFRESH_EVERY: u32 = 30;
/// How often the chain is polled.
const CHAIN_POLL: Duration = Duration::from_secs(2);
/// The longest pause before LDK's background processor is run again after a failed write.
const PROCESSOR_RESTART_MAX_PAUSE: Duration = Duration::from_secs(60);
/// How long LDK has to write the channel manager once a monitor write waits for one, before the
/// node writes it: LDK writes it at once after a channel update, not after a block.
const MANAGER_FOR_MONITORS_WAIT: Duration = Duration::from_millis(100);
/// How long that write waits after it failed before it is tried again.
const RELEASE_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(2);

/// Starts the tasks; each receiver completes when its task has ended.
pub(super) fn start<P: Platform>(node: &Rc<LightningNode<P>>) -> Vec<oneshot::Receiver<()>> {
    let spawner = node.platform.spawner();
    let (processor_done, processor_ended) = oneshot::channel();
    let (chain_done, chain_ended) = oneshot::channel();
    let (release_done, release_ended) = oneshot::channel();
    let processor = run_background_processor(node.clone());
    spawner.spawn_local(async move {
        processor.await;
        let _ = processor_done.send(());
    });
    let chain = run_chain_loop(node.clone());
    spawner.spawn_local(async move {
        chain.await;
        let _ = chain_done.send(());
    });
    let release = run_monitor_release(node.clone());
    spawner.spawn_local(async move {
        release.await;
        let _ = release_done.send(());
    });
    let (liquidity_done, liquidity_ended) = oneshot::channel();
    let liquidity = node.clone().run_liquidity_events();
    spawner.spawn_local(async move {
        liquidity.await;
        let _ = liquidity_done.send(());
    });
    vec![processor_ended, chain_ended, release_ended, liquidity_ended]
}

/// Writes the channel manager when monitor writes wait for one and LDK writes none (see `ldk_store`).
async fn run_monitor_release<P: Platform>(node: Rc<LightningNode<P>>) {
    while !node.stopping.get() {
        futures::future::select(Box::pin(node.parts.store.monitor_writes_held()), node.stop_signal.clone()).await;
        if node.sleep_unless_stopped(MANAGER_FOR_MONITORS_WAIT).await {
            break;
        }
        if node.parts.store.holds_monitor_writes() {
            if let Err(e) = node.write_manager().await {
                log_error!(node.parts.logger, "the channel manager was not written, monitor writes wait: {e}");
                // The writes stay held: tried again, but not ten times a second while storage is full.
                if node.sleep_unless_stopped(RELEASE_RETRY_AFTER_FAILURE).await {
                    break;
                }
            }
        }
    }
}

/// Runs LDK's background processor, and runs it again when it ends on a failed write (it stops at
/// the first channel manager it cannot persist): after a pause that grows to a minute, until the
/// node stops. Meanwhile the node takes no new payments (`LdkStore::write_failure`) and the wallet
/// is told why.
async fn run_background_processor<P: Platform>(node: Rc<LightningNode<P>>) {
    let mut pause = Duration::from_secs(1);
    loop {
        let result = process_events_once(&node).await;
        if node.stopping.get() {
            break;
        }
        let Err(e) = result else { break };
        log_error!(node.parts.logger, "LDK's background processing stopped on a failed write, again in {pause:?}: {e}");
        node.report_storage();
        if node.sleep_unless_stopped(pause).await {
            break;
        }
        pause = (pause * 2).min(PROCESSOR_RESTART_MAX_PAUSE);
    }
}

async fn process_events_once<P: Platform>(node: &Rc<LightningNode<P>>) -> Result<(), lightning::io::Error> {
    let parts = &node.parts;
    let handler_node = node.clone();
    let event_handler = move |event| {
        let node = handler_node.clone();
        async move { node.handle_event(event).await }
    };
    let sleeper_node = node.clone();
    let sleeper = move |duration: Duration| -> Pin<Box<dyn Future<Output = bool>>> {
        let node = sleeper_node.clone();
        Box::pin(async move { node.sleep_unless_stopped(duration).await })
    };
    let clock_node = node.clone();
    process_events_async(
        parts.store.clone(),
        event_handler,
        parts.chain_monitor.clone(),
        parts.channel_manager.clone(),
        Some(parts.onion_messenger.clone()),
        GossipSync::p2p(parts.gossip.clone()),
        parts.peer_manager.clone(),
        Some(parts.liquidity.clone()),
        Some(parts.sweeper.clone()),
        parts.logger.clone(),
        Some(parts.scorer.clone()),
        sleeper,
        // A tab or worker can be stopped at any moment: LDK then wakes every 100 ms at most
        // (its docs: set it when unsure).
        true,
        move || Some(clock_node.platform.now()),
    )
    .await
}

async fn run_chain_loop<P: Platform>(node: Rc<LightningNode<P>>) {
    let mut reconnects = Backoff::new();
    let mut round: u32 = 0;
    while !node.stopping.get() {
        // The node's start has just refreshed the fees and synced: the first round only reconnects,
        // at once, so that a started wallet can pay as soon as its peers answer.
        if round > 0 {
            if round % FEE_REFRESH_EVERY == 0 {
                if let Err(e) = node.parts.fees.refresh(&node.chain.primary).await {
                    log_warn!(node.parts.logger, "fee estimates not refreshed: {e}");
                }
            }
            if let Err(e) = node.sync_chain().await {
                log_warn!(node.parts.logger, "chain sync failed, trying again in {CHAIN_POLL:?}: {e}");
            }
        }
        node.reconnect_peers(&mut reconnects).await;
        if node.recovery.is_watching() {
            // Beside the loop: a scan is 2,000 lookups at the chain server.
            let recovering = node.clone();
            node.platform.spawner().spawn_local(async move {
                if let Err(e) = recovering.recover_channel_funds().await {
                    log_warn!(recovering.parts.logger, "looking for lost channels' funds: {e}");
                }
            });
        }
        let open: Vec<_> = node.parts.channel_manager.list_channels().iter().map(|c| c.channel_id).collect();
        node.parts.checks.forget_closed(&open, &node.parts.chain_monitor.list_monitors());
        if let Err(e) = node.parts.checks.write_if_changed().await {
            log_warn!(node.parts.logger, "the channel checks were not written, trying again in {CHAIN_POLL:?}: {e}");
        }
        node.report_storage();
        round = round.wrapping_add(1);
        node.sleep_unless_stopped(CHAIN_POLL).await;
    }
}
