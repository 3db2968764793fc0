//! Unlocking the wallet with its passphrase; the way out for a forgotten one is to wipe and restore.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::yield_to_paint;
use crate::app::use_app;
use crate::components::{sentence, Alert, Busy, WipeWallet};

#[component]
pub fn UnlockPage() -> impl IntoView {
    let ctx = use_app();
    let passphrase = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<String>);
    let forgot = RwSignal::new(false);

    let unlock = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(wallet) = ctx.wallet() else { return };
        error.set(None);
        busy.set(Some("Unlocking…".into()));
        spawn_local(async move {
            yield_to_paint().await;
            let result = wallet.unlock(&passphrase.get_untracked()).await;
            busy.set(None);
            match result {
                Ok(()) => {
                    ctx.unlocked(passphrase.get_untracked());
                    passphrase.set(String::new());
                    ctx.request_persistence();
                }
                Err(e) => error.set(Some(sentence(&e))),
            }
        });
    };

    view! {
        <h1>"Unlock your wallet"</h1>
        <form on:submit=unlock>
            <label for="passphrase">"Passphrase"</label>
            <input id="passphrase" type="password" autocomplete="current-password" required autofocus bind:value=passphrase/>
            <div class="actions">
                <button type="submit" class="primary" data-testid="unlock" prop:disabled=move || busy.get().is_some()>"Unlock"</button>
            </div>
        </form>
        <Busy message=busy/>
        <Alert message=error/>
        <Show when=move || forgot.get() fallback=move || view! {
            <button type="button" class="link" on:click=move |_| forgot.set(true)>"Forgot your passphrase?"</button>
        }>
            <p>"The passphrase cannot be recovered. You can wipe this wallet and restore it from your recovery phrase, with a new passphrase."</p>
            <WipeWallet/>
        </Show>
    }
}
