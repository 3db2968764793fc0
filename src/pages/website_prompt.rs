//! A website's question, in the extension's prompt window (`wallet.html?prompt=ID`, opened by the
//! extension's background when the node host asks: `crates/host/src/website_host.rs`): unlock the wallet,
//! let a site use it, pay a site's invoice or a node without one (keysend, with the records it
//! carries), or sign a site's message. The window answers once and closes; closed unanswered, the
//! answer is no.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::UnlockPage;
use crate::components::Alert;
use crate::context::use_app;
use crate::error_text;
use crate::i18n::sats;
use crate::node_state::NodePhase;
use crate::session::Phase;
use blixtra_host::node_client::NodeClient;
use blixtra_host::protocol::{AnswerPrompt, PromptDetails, PromptView, Question, ShownRecord};

/// How long the question is shown before "Allow" can be pressed: a window that opens under the
/// pointer must not take the rest of a double-click on the site as a yes.
const ALLOW_AFTER: Duration = Duration::from_millis(800);

/// The prompt this window was opened for, from its address (`?prompt=ID`).
pub fn prompt_id() -> Option<u64> {
    let search = web_sys::window()?.location().search().ok()?;
    search.strip_prefix('?')?.split('&').find_map(|pair| pair.strip_prefix("prompt="))?.parse().ok()
}

#[component]
pub fn WebsitePrompt(id: u64) -> impl IntoView {
    let ctx = use_app();
    let prompt = RwSignal::new(None::<PromptView>);
    let error = RwSignal::new(None::<String>);
    // Set once the answer is taken, for a window the browser does not let close itself.
    let answered = RwSignal::new(false);
    // "Allow" is enabled only [`ALLOW_AFTER`] the question shows; "Deny" at once.
    let allow_ready = RwSignal::new(false);
    // The window's own connection to the node host: the prompt is this connection's to answer, and
    // its closing says no.
    let client = StoredValue::new_local(None::<NodeClient>);
    spawn_local(async move {
        let connected = NodeClient::connect_extension_host(|_| {}).await;
        let asked = match connected {
            Ok(connected) => {
                let details = connected.call(PromptDetails { id }).await;
                client.set_value(Some(connected));
                details
            }
            Err(e) => Err(e),
        };
        match asked {
            Ok(view) => {
                let _ = prompt.try_set(Some(view));
                gloo_timers::future::sleep(ALLOW_AFTER).await;
                let _ = allow_ready.try_set(true);
            }
            Err(e) => {
                let _ = error.try_set(Some(error_text::describe(&e)));
            }
        }
    });
    let answer = move |allow: bool| {
        spawn_local(async move {
            let Some(connected) = client.get_value() else { return };
            match connected.call(AnswerPrompt { id, allow }).await {
                Ok(()) => {
                    let _ = answered.try_set(true);
                    if let Some(window) = web_sys::window() {
                        let _ = window.close();
                    }
                }
                Err(e) => {
                    let _ = error.try_set(Some(error_text::describe(&e)));
                }
            }
        });
    };
    // Asked to unlock: once the node runs, the site's call goes on (and may ask more in a new window).
    Effect::new(move |_| {
        let unlocked = ctx.phase.get() == Phase::Unlocked && ctx.node.with(|node| node.phase == NodePhase::Running);
        if unlocked && prompt.with(|p| matches!(p, Some(PromptView { question: Question::Unlock, .. }))) {
            answer(true);
        }
    });

    view! {
        <section class="website-prompt" data-testid="website-prompt">
            <Alert message=error/>
            <Show when=move || answered.get()>
                <p role="status" data-testid="prompt-answered">{move || t!("Answered. You can close this window.", "Besvarad. Du kan stänga fönstret.")}</p>
            </Show>
            {move || prompt.get().filter(|_| !answered.get()).map(|view| {
                let origin = view.origin.clone();
                let asks = !matches!(view.question, Question::Unlock);
                let question = match view.question {
                    Question::Unlock => view! {
                        <p data-testid="prompt-unlock">{move || t!(format!("{origin} asks for your wallet. Unlock it to answer."), format!("{origin} frågar efter din plånbok. Lås upp den för att svara."))}</p>
                        <UnlockPage/>
                    }.into_any(),
                    Question::Enable => view! {
                        <h1>{move || t!("Allow this website?", "Tillåta den här webbplatsen?")}</h1>
                        <p class="origin" data-testid="prompt-origin">{origin.clone()}</p>
                        <p>{move || t!("It will see your node's id and balance, and may ask you for invoices and payments. Every payment asks you first, unless you give the site a budget in settings.", "Den får se din nods id och saldo, och kan be dig om fakturor och betalningar. Varje betalning frågar dig först, om du inte ger webbplatsen en budget i inställningarna.")}</p>
                    }.into_any(),
                    Question::Pay { amount_sat, description, payee, estimated_fee_sat, max_fee_sat, keysend } => view! {
                        <h1>{move || t!("Pay this website?", "Betala den här webbplatsen?")}</h1>
                        <p class="origin" data-testid="prompt-origin">{origin.clone()}</p>
                        <p class="amount" data-testid="prompt-amount">{sats(amount_sat)}</p>
                        {description.map(|d| view! { <p data-testid="prompt-description">{d}</p> })}
                        {keysend.map(keysend_records)}
                        {payee.map(|p| view! { <p class="mono small">{move || t!("To node ", "Till nod ")}{p.clone()}</p> })}
                        <p>{move || match estimated_fee_sat {
                            Some(fee) => t!(format!("Fee about {}, at most {}.", sats(fee), sats(max_fee_sat)), format!("Avgift runt {}, högst {}.", sats(fee), sats(max_fee_sat))),
                            None => t!(format!("Fee at most {}.", sats(max_fee_sat)), format!("Avgift högst {}.", sats(max_fee_sat))),
                        }}</p>
                    }.into_any(),
                    Question::SignMessage { message } => view! {
                        <h1>{move || t!("Sign this message?", "Signera det här meddelandet?")}</h1>
                        <p class="origin" data-testid="prompt-origin">{origin.clone()}</p>
                        <pre class="signed-message" data-testid="prompt-message">{message}</pre>
                        <p>{move || t!("Your signature proves to anyone the site shows it to that your wallet said this. Sign only what you would say yourself.", "Din signatur visar för alla som webbplatsen visar den för att din plånbok sa detta. Signera bara det du själv skulle säga.")}</p>
                    }.into_any(),
                };
                view! {
                    {question}
                    <Show when=move || asks>
                        <div class="actions">
                            <button type="button" class="primary" data-testid="prompt-allow" disabled=move || !allow_ready.get() on:click=move |_| answer(true)>{move || t!("Allow", "Tillåt")}</button>
                            <button type="button" data-testid="prompt-deny" on:click=move |_| answer(false)>{move || t!("Deny", "Neka")}</button>
                        </div>
                    </Show>
                }
            })}
        </section>
    }
}

/// What a keysend carries, for its prompt: no invoice, and the site's records as it wrote them (or
/// that there is no description).
fn keysend_records(records: Vec<ShownRecord>) -> impl IntoView {
    let described = !records.is_empty();
    view! {
        <p data-testid="prompt-keysend">{move || t!("A keysend: paid straight to the node below, without an invoice.", "En keysend: betalas direkt till noden nedan, utan faktura.")}</p>
        <Show when=move || described fallback=|| view! { <p data-testid="prompt-description">{move || t!("No description.", "Ingen beskrivning.")}</p> }>
            <p>{move || t!("Sent with it:", "Skickas med:")}</p>
        </Show>
        <dl class="custom-records" data-testid="prompt-records">
            {records.into_iter().map(|record| view! { <dt class="code">{record.record_type}</dt><dd class="signed-message">{record.text}</dd> }).collect_view()}
        </dl>
    }
}
