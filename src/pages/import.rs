//! Restoring a wallet from its 12 or 24 words.

use blixtra_core::onboarding::check_new_passphrase;
use blixtra_core::RecoveryPhrase;
use leptos::prelude::*;

use super::yield_to_paint;
use crate::components::{Alert, Busy, NewPassphraseFields};
use crate::context::use_app;
use crate::error_text;
use blixtra_host::browser::timing;

#[component]
pub fn ImportPage() -> impl IntoView {
    let ctx = use_app();
    let words = RwSignal::new(String::new());
    let passphrase = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // The words and the passphrase are read from their fields inside the action, never kept as its input.
    let restore_vault = Action::new_local(move |_: &()| async move {
        let (Some(wallet), Ok(phrase)) = (ctx.wallet(), RecoveryPhrase::parse(&words.get_untracked())) else { return };
        yield_to_paint().await;
        match wallet.restore(&phrase, &passphrase.get_untracked()).await {
            Ok(()) => {
                words.set(String::new());
                ctx.request_persistence();
                crate::node_session::unlocked(ctx, passphrase.get_untracked());
            }
            Err(e) => error.set(Some(error_text::vault(&e))),
        }
    });
    let pending = restore_vault.pending();
    let busy = Signal::derive(move || pending.get().then(|| t!("Encrypting your wallet…", "Krypterar din plånbok…").to_owned()));

    let restore = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Err(e) = RecoveryPhrase::parse(&words.get_untracked()) {
            return error.set(Some(error_text::mnemonic(&e)));
        }
        if let Err(e) = check_new_passphrase(&passphrase.get_untracked(), &confirmation.get_untracked()) {
            return error.set(Some(error_text::new_passphrase(&e)));
        }
        error.set(None);
        timing::mark("blixtra:restore-submitted");
        restore_vault.dispatch(());
    };

    view! {
        <h1>{move || t!("Restore a wallet", "Återställ en plånbok")}</h1>
        // Two copies of one Lightning node each sign with the same keys but hold their own channel
        // states: whichever is behind can publish an old state, and its peer may then take the
        // channel's funds as a penalty.
        <p class="warning" data-testid="restore-warning">{move || t!(
            "Restore a wallet here only if it runs nowhere else. If its channels still run in another browser, tab or the Blixtra extension, close them there first: the same channels run in two places can lose their funds.",
            "Återställ en plånbok här bara om den inte körs någon annanstans. Om dess kanaler fortfarande körs i en annan webbläsare, flik eller i Blixtra-tillägget, stäng dem där först: samma kanaler på två ställen kan förlora sina pengar."
        )}</p>
        <p data-testid="restore-channels">{move || t!(
            "The words bring back your on-chain coins. A channel this wallet had with its channel provider (set in Settings) is closed by the provider when the wallet connects, and its funds come back to your on-chain balance a few blocks later, less the closing fee. A payment in flight at that moment is lost; channels with other peers come back only if those peers close them.",
            "Orden ger tillbaka dina mynt på kedjan. En kanal som plånboken hade med sin kanalleverantör (i Inställningar) stängs av leverantören när plånboken ansluter, och pengarna kommer tillbaka till ditt saldo på kedjan några block senare, minus stängningsavgiften. En betalning som var på väg just då går förlorad; kanaler med andra motparter kommer tillbaka bara om de stänger dem."
        )}</p>
        <form on:submit=restore>
            <label for="recovery-words">{move || t!("Recovery phrase (12 or 24 words)", "Återställningsfras (12 eller 24 ord)")}</label>
            <textarea id="recovery-words" rows="4" autocomplete="off" autocapitalize="none" spellcheck="false" required
                prop:value=move || words.get() on:input=move |ev| words.set(event_target_value(&ev))></textarea>
            <NewPassphraseFields passphrase=passphrase confirmation=confirmation/>
            <div class="actions">
                <button type="submit" class="primary" data-testid="restore-wallet" prop:disabled=move || busy.get().is_some()>{move || t!("Restore wallet", "Återställ plånbok")}</button>
            </div>
        </form>
        <Busy message=busy/>
        <Alert message=error/>
    }
}
