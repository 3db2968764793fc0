//! Wiping the wallet off this device: asks twice, because it cannot be undone.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{sentence, Alert};
use crate::app::use_app;
use crate::session::Phase;

#[component]
pub fn WipeWallet() -> impl IntoView {
    let ctx = use_app();
    let asked_once = RwSignal::new(false);
    let understood = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let wipe = move |_| {
        let Some(wallet) = ctx.wallet() else { return };
        spawn_local(async move {
            match wallet.wipe().await {
                Ok(()) => ctx.phase.set(Phase::NoWallet),
                Err(e) => error.set(Some(sentence(&e))),
            }
        });
    };
    view! {
        <section class="danger" aria-labelledby="wipe-heading">
            <h2 id="wipe-heading">"Wipe this wallet"</h2>
            <p>"Deletes the wallet from this browser. Only your recovery phrase can bring back its funds."</p>
            <Show when=move || asked_once.get() fallback=move || view! {
                <button type="button" class="danger" on:click=move |_| asked_once.set(true)>"Wipe this wallet…"</button>
            }>
                <p role="alert" class="warning">"This cannot be undone. Without your recovery phrase, the funds in this wallet are lost."</p>
                <label class="check">
                    <input type="checkbox" bind:checked=understood/>
                    "I have my recovery phrase, or I accept losing these funds"
                </label>
                <div class="actions">
                    <button type="button" on:click=move |_| { asked_once.set(false); understood.set(false); }>"Keep the wallet"</button>
                    <button type="button" class="danger" prop:disabled=move || !understood.get() on:click=wipe>"Wipe everything"</button>
                </div>
            </Show>
            <Alert message=error/>
        </section>
    }
}
