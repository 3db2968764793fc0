//! The node as the pages use it: starting it after an unlock with the current settings, asking it
//! things, and keeping the app's [`NodeState`] signal current from its answers and events.

use std::cell::Cell;
use std::time::Duration;

use blixtra_core::node::lightning_node::NodeEvent;
use blixtra_core::node::protocol::{Answer, Command, StartNode};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::AppContext;
use crate::browser::timing;
use crate::error_text::describe;
use crate::node_client::{NodeCallError, NodeNotice};
use crate::node_state::{NodePhase, NodeState};

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

/// Starts the node with `passphrase` (the worker unlocks its own copy of the vault with it).
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

/// Asks for the status, balances and channels every few seconds while the node runs. Events say
/// most changes, but not all: a balance settles a moment after its payment's event, when the peers
/// have exchanged their new commitments, and a peer's reconnection attempts show in the status only.
async fn poll_while_running(ctx: AppContext, generation: u64) {
    loop {
        gloo_timers::future::sleep(POLL_EVERY).await;
        if !is_current(generation) || ctx.node.with_untracked(|state| state.phase != NodePhase::Running) {
            return;
        }
        for command in [Command::Status, Command::Balances, Command::Channels] {
            if ask(ctx, command).await.is_err() {
                break;
            }
        }
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
        NodeNotice::WorkerFailed(reason) => ctx.node.update(|state| state.phase = NodePhase::Failed(reason)),
    }
}

/// Asks the node; an answer that carries state also updates the app's [`NodeState`].
pub async fn ask(ctx: AppContext, command: Command) -> Result<Answer, NodeCallError> {
    let client = ctx.wallet().and_then(|w| w.node()).ok_or(NodeCallError::Node(blixtra_core::node::NodeError::Stopped))?;
    let answer = client.request(command).await?;
    ctx.node.update(|state| state.apply_answer(answer.clone()));
    Ok(answer)
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
            for command in [Command::Status, Command::Balances, Command::Channels, Command::Payments] {
                if let Err(e) = ask(ctx, command).await {
                    ctx.node.update(|state| state.last_problem = Some(e.to_string()));
                    break;
                }
            }
            if !ctx.refresh_again.get_value() {
                break;
            }
        }
        ctx.refresh_running.set_value(false);
    });
}
