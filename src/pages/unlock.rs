//! Unlocking the wallet with its passphrase; the way out for a forgotten one is to wipe and restore.

use leptos::prelude::*;

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
    let forgot = RwSignal::new(false);
    // The passphrase is read from its field inside the action, never kept as the action's input.
    let unlock_vault = Action::new_local(move |_: &()| async move {
        let Some(wallet) = ctx.wallet() else { return };
        yield_to_paint().await;
        match wallet.unlock(&passphrase.get_untracked()).await {
            Ok(()) => {
                timing::mark("blixtra:vault-unlocked");
                ctx.phase.set(Phase::Unlocked);
                passphrase.set(String::new());
                ctx.request_persistence();
            }
            Err(e) => {
                // A wrong passphrase is not left in the page for the next try to start from.
                passphrase.set(String::new());
                error.set(Some(error_text::vault(&e)));
            }
        }
    });
    let pending = unlock_vault.pending();
    let busy = Signal::derive(move || pending.get().then(|| t!("Unlocking…", "Låser upp…").to_owned()));

    let unlock = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if ctx.wallet().is_none() {
            return;
        }
        error.set(None);
        timing::mark("blixtra:unlock-submitted");
        crate::node_session::start_node(ctx, passphrase.get_untracked());
        unlock_vault.dispatch(());
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
