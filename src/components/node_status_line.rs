//! One line that says what the node is doing, in plain words: starting, connected or not, the
//! block height; and the latest problem, if any.

use leptos::prelude::*;

use crate::context::use_app;
use crate::node_state::NodePhase;

#[component]
pub fn NodeStatusLine() -> impl IntoView {
    let ctx = use_app();
    let text = move || {
        let state = ctx.node.get();
        match state.phase {
            NodePhase::Stopped => t!("Not running".to_owned(), "Inte igång".to_owned()),
            NodePhase::Starting => t!(
                "Starting: unlocking, reading channels, catching up with the chain…".to_owned(),
                "Startar: låser upp, läser kanaler, hämtar ikapp kedjan…".to_owned()
            ),
            NodePhase::Failed(why) => t!(format!("Stopped: {why}"), format!("Stoppad: {why}")),
            NodePhase::Running => {
                let height = state.height.map(|h| h.to_string()).unwrap_or_else(|| "…".into());
                match (state.peers_known, state.peers_connected) {
                    (0, _) => {
                        t!(format!("Running · no Lightning peer yet · block {height}"), format!("Igång · ingen Lightning-nod ännu · block {height}"))
                    }
                    (1, 1) => t!(format!("Online · connected to its peer · block {height}"), format!("Ansluten · till sin motpart · block {height}")),
                    (1, _) => t!(format!("Reconnecting to its peer · block {height}"), format!("Återansluter till sin motpart · block {height}")),
                    (known, connected) if connected >= known => t!(
                        format!("Online · connected to {connected} of {known} peers · block {height}"),
                        format!("Ansluten · {connected} av {known} noder · block {height}")
                    ),
                    (known, connected) => t!(
                        format!("Reconnecting · {connected} of {known} peers connected · block {height}"),
                        format!("Återansluter · {connected} av {known} noder anslutna · block {height}")
                    ),
                }
            }
        }
    };
    let state_attr = move || match ctx.node.get().phase {
        NodePhase::Stopped => "stopped",
        NodePhase::Starting => "starting",
        NodePhase::Running => "running",
        NodePhase::Failed(_) => "failed",
    };
    view! {
        <p class="status-line" role="status" aria-live="polite" data-testid="node-status" data-state=state_attr>
            {move || (ctx.node.get().phase == NodePhase::Starting).then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
            {text}
        </p>
        {move || ctx.node.get().chain_fault.map(|fault| { let fault = crate::error_text::chain(&fault); view! { <p class="warning" role="alert" data-testid="chain-fault">{t!(format!("Chain server: {fault}."), format!("Blockkedjeserver: {fault}."))}</p> } })}
        {move || ctx.node.get().last_problem.map(|problem| { let problem = crate::error_text::problem(&problem); view! { <p class="hint" data-testid="node-problem">{t!(format!("Last problem: {problem}"), format!("Senaste problem: {problem}"))}</p> } })}
    }
}
