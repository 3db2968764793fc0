//! The node as the pages use it: starting it after an unlock with the current settings, locking,
//! typed calls ([`call`]), and keeping the app's [`NodeState`] signal current from answers and events.

use std::cell::Cell;
use std::time::Duration;

use blixtra_core::node::events::NodeEvent;
use blixtra_core::node::NodeError;
use blixtra_host::browser::timing;
use blixtra_host::node_client::{NodeCallError, NodeNotice};
use blixtra_host::protocol::{Balances, Call, Channels, Payments, StartNode, Status};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::context::AppContext;
use crate::error_text::describe;
use crate::node_state::{NodePhase, NodeState, Problem};
use crate::session::Phase;

/// How often the pages ask the node for its state besides its events.
const POLL_EVERY: Duration = Duration::from_secs(3);

thread_local! {
    // Counts starts and locks: only the latest start may say how the node is, and only its poll runs.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
}

fn next_generation() -> u64 {
    GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    })
}

fn is_current(generation: u64) -> bool {
    GENERATION.with(|g| g.get() == generation)
}

/// Marks the wallet unlocked and starts its node with the passphrase that opened it.
pub fn unlocked(ctx: AppContext, passphrase: String) {
    ctx.phase.set(Phase::Unlocked);
    start_node(ctx, passphrase);
}

/// Locks the wallet now; its node stops.
pub fn lock(ctx: AppContext) {
    if let Some(wallet) = ctx.wallet() {
        wallet.lock();
    }
    forget_node(ctx);
    ctx.phase.set(Phase::Locked);
}

/// Starts the node with `passphrase` (the worker unlocks its own copy of the vault with it). The
/// unlock page calls it while it still checks the passphrase itself: the worker derives its key on
/// its own thread while the page derives its own, so unlocking costs one key derivation, not two.
pub fn start_node(ctx: AppContext, passphrase: String) {
    let Some(wallet) = ctx.wallet() else { return };
    let generation = next_generation();
    ctx.node.set(NodeState { phase: NodePhase::Starting, ..NodeState::default() });
    let settings = ctx.settings.get_untracked();
    let start = StartNode {
        database: wallet.database().to_owned(),
        passphrase,
        network: settings.network,
        esplora_url: settings.esplora_url.clone(),
        proxy_url_template: settings.proxy_url_template.clone(),
        max_channel_sat: settings.max_channel_sat,
        onchain_fee_percent: settings.onchain_fee_percent,
        onchain_fee_floor_sat: settings.onchain_fee_floor_sat,
        trusted_peers: Vec::new(),
        second_esplora_url: settings.second_esplora_url(),
        auto_lock_after_secs: ctx.auto_lock.get_untracked().after_secs(),
        lsp: settings.lsp(),
        payment_code_server: settings.payment_code_server(),
    };
    spawn_local(async move {
        let started = wallet.start_node(start, move |notice| on_notice(ctx, notice)).await;
        if !is_current(generation) {
            // A later start or a lock came meanwhile (a wrong passphrase retried): this one is old news.
            return;
        }
        match started {
            Ok(node_id) => {
                timing::mark("blixtra:node-started");
                ctx.node.update(|state| {
                    state.phase = NodePhase::Running;
                    state.node_id = Some(node_id);
                });
                refresh(ctx);
                spawn_local(poll_while_running(ctx, generation));
            }
            Err(e) => ctx.node.update(|state| state.phase = NodePhase::Failed(describe(&e))),
        }
    });
}

/// In the extension: joins the node another page started, if it runs (the popup opened again while
/// the wallet is unlocked). Returns whether it did; the wallet is then unlocked.
pub async fn join_running_node(ctx: AppContext) -> bool {
    let Some(wallet) = ctx.wallet() else { return false };
    let generation = next_generation();
    let Some(node_id) = wallet.join_running_node(move |notice| on_notice(ctx, notice)).await else { return false };
    if !is_current(generation) {
        return false;
    }
    ctx.node.set(NodeState { phase: NodePhase::Running, node_id: Some(node_id), ..NodeState::default() });
    refresh(ctx);
    spawn_local(poll_while_running(ctx, generation));
    true
}

/// Asks for the status, balances and channels every few seconds while the node runs. Events say
/// most changes, but not all: a balance settles a moment after its payment's event, when the peers
/// have exchanged their new commitments, and a peer's reconnection attempts show in the status only.
async fn poll_while_running(ctx: AppContext, generation: u64) {
    loop {
        gloo_timers::future::sleep(POLL_EVERY).await;
        if !is_current(generation) || ctx.node.with_untracked(|state| state.phase != NodePhase::Running) {
            return;
        }
        let _ = ask_state(ctx, false).await;
    }
}

/// Forgets the node's state (after a lock; the wallet stops the node itself).
pub fn forget_node(ctx: AppContext) {
    next_generation();
    ctx.node.set(NodeState::default());
}

fn on_notice(ctx: AppContext, notice: NodeNotice) {
    match notice {
        NodeNotice::Event(event) => {
            if let NodeEvent::PeerConnected { .. } = event {
                timing::mark("blixtra:peer-connected");
            }
            if ctx.node.try_update(|state| state.apply_event(&event)).unwrap_or(false) {
                refresh(ctx);
            }
        }
        // Another page of the extension locked the wallet: this one is locked too.
        NodeNotice::Stopped => {
            if let Some(wallet) = ctx.wallet() {
                wallet.forget_stopped_node();
            }
            forget_node(ctx);
            ctx.phase.set(Phase::Locked);
        }
        // A website paid within its budget: the history shows it (and the extension's badge says so).
        NodeNotice::WebsitePaid { .. } => refresh(ctx),
        NodeNotice::WorkerFailed(reason) => ctx.node.update(|state| state.phase = NodePhase::Failed(describe(&NodeCallError::WorkerFailed(reason)))),
    }
}

/// Asks the node, as the app; the answer is of the type `call` names.
pub async fn call<C: Call>(ctx: AppContext, call: C) -> Result<C::Answer, NodeCallError> {
    let client = ctx.wallet().and_then(|w| w.node()).ok_or(NodeCallError::Node(NodeError::Stopped))?;
    client.call(call).await
}

/// Asks the node, then refreshes what the pages show once it has done it; the error as a sentence.
/// For the writes that change balances or channels (open, close).
pub async fn call_then_refresh<C: Call>(ctx: AppContext, request: C) -> Result<C::Answer, String> {
    let answer = call(ctx, request).await.map_err(|e| describe(&e))?;
    refresh(ctx);
    Ok(answer)
}

/// Asks for status, balances and channels (and the history, with `payments`) and keeps each answer
/// in the app's [`NodeState`]. Stops at the first failure.
async fn ask_state(ctx: AppContext, payments: bool) -> Result<(), NodeCallError> {
    let status = call(ctx, Status {}).await?;
    ctx.node.update(|state| state.set_status(status));
    let balances = call(ctx, Balances {}).await?;
    ctx.node.update(|state| state.balances = Some(balances));
    let channels = call(ctx, Channels {}).await?;
    ctx.node.update(|state| state.channels = channels);
    if payments {
        let payments = call(ctx, Payments {}).await?;
        ctx.node.update(|state| state.set_payments(payments));
    }
    Ok(())
}

/// Asks again for status, balances, channels and payments. Calls that come while one runs make it
/// run once more after, rather than pile up.
pub fn refresh(ctx: AppContext) {
    if ctx.refresh_running.get_value() {
        ctx.refresh_again.set_value(true);
        return;
    }
    ctx.refresh_running.set_value(true);
    spawn_local(async move {
        loop {
            ctx.refresh_again.set_value(false);
            if let Err(e) = ask_state(ctx, true).await {
                ctx.node.update(|state| state.last_problem = Some(Problem::Said(describe(&e))));
            }
            if !ctx.refresh_again.get_value() {
                break;
            }
        }
        ctx.refresh_running.set_value(false);
    });
}
