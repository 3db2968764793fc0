//! Unlocking the wallet with its passphrase; the way out for a forgotten one is to wipe and restore.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::yield_to_paint;
use crate::components::{Alert, Busy, WipeWallet};
use crate::context::use_app;
use crate::error_text;
use crate::session::Phase;
use blixtra_host::browser::timing;

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
        busy.set(Some(t!("Unlocking…", "Låser upp…").into()));
        timing::mark("blixtra:unlock-submitted");
        crate::node_session::start_node(ctx, passphrase.get_untracked());
        spawn_local(async move {
            yield_to_paint().await;
            let result = wallet.unlock(&passphrase.get_untracked()).await;
            busy.set(None);
            match result {
                Ok(()) => {
                    timing::mark("blixtra:vault-unlocked");
                    ctx.phase.set(Phase::Unlocked);
                    passphrase.set(String::new());
                    ctx.request_persistence();
                }
                Err(e) => error.set(Some(error_text::vault(&e))),
            }
        });
    };

    view! {
        <h1>{move || t!("Unlock your wallet", "Lås upp din plånbok")}</h1>
        <form on:submit=unlock>
            <label for="passphrase">{move || t!("Passphrase", "Lösenord")}</label>
            <input id="passphrase" type="password" autocomplete="current-password" required autofocus bind:value=passphrase/>
            <div class="actions">
                <button type="submit" class="primary" data-testid="unlock" prop:disabled=move || busy.get().is_some()>{move || t!("Unlock", "Lås upp")}</button>
            </div>
        </form>
        <Busy message=busy/>
        <Alert message=error/>
        <Show when=move || forgot.get() fallback=move || view! {
            <button type="button" class="link" on:click=move |_| forgot.set(true)>{move || t!("Forgot your passphrase?", "Glömt lösenordet?")}</button>
        }>
            <p>{move || t!("The passphrase cannot be recovered. You can wipe this wallet and restore it from your recovery phrase, with a new passphrase.", "Lösenordet går inte att få tillbaka. Du kan radera plånboken och återställa den från återställningsfrasen, med ett nytt lösenord.")}</p>
            <WipeWallet/>
        </Show>
    }
}
