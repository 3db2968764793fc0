//! Wiping the wallet off this device: asks twice, because it cannot be undone.

use leptos::prelude::*;

use super::Alert;
use crate::context::use_app;
use crate::error_text;
use crate::session::Phase;

#[component]
pub fn WipeWallet() -> impl IntoView {
    let ctx = use_app();
    let asked_once = RwSignal::new(false);
    let understood = RwSignal::new(false);
    let wipe_vault = Action::new_local(move |_: &()| async move {
        let Some(wallet) = ctx.wallet() else { return Ok(()) };
        wallet.wipe().await.map_err(|e| error_text::vault(&e))?;
        crate::node_session::forget_node(ctx);
        ctx.phase.set(Phase::NoWallet);
        Ok::<_, String>(())
    });
    let error = Signal::derive(move || wipe_vault.value().get().and_then(Result::err));
    let wipe = move |_| {
        wipe_vault.dispatch(());
    };
    view! {
        <section class="danger" aria-labelledby="wipe-heading">
            <h2 id="wipe-heading">{move || t!("Wipe this wallet", "Radera plånboken")}</h2>
            <p>{move || t!("Deletes the wallet from this browser. Only your recovery phrase can bring back its funds.", "Raderar plånboken från den här webbläsaren. Bara din återställningsfras kan få tillbaka pengarna.")}</p>
            <Show when=move || asked_once.get() fallback=move || view! {
                <button type="button" class="danger" on:click=move |_| asked_once.set(true)>{move || t!("Wipe this wallet…", "Radera plånboken…")}</button>
            }>
                <p role="alert" class="warning">{move || t!("This cannot be undone. Without your recovery phrase, the funds in this wallet are lost.", "Det går inte att ångra. Utan din återställningsfras är pengarna i plånboken förlorade.")}</p>
                <label class="check">
                    <input type="checkbox" bind:checked=understood/>
                    {move || t!("I have my recovery phrase, or I accept losing these funds", "Jag har min återställningsfras, eller accepterar att förlora pengarna")}
                </label>
                <div class="actions">
                    <button type="button" on:click=move |_| { asked_once.set(false); understood.set(false); }>{move || t!("Keep the wallet", "Behåll plånboken")}</button>
                    <button type="button" class="danger" prop:disabled=move || !understood.get() on:click=wipe>{move || t!("Wipe everything", "Radera allt")}</button>
                </div>
            </Show>
            <Alert message=error/>
        </section>
    }
}
