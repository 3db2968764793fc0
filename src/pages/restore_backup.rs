//! Restoring a wallet from a backup file (made in Settings), with the passphrase it had then.

use blixtra_core::backup::{BackupFile, MAX_FILE_BYTES};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

use super::yield_to_paint;
use crate::components::{Alert, Busy};
use crate::context::use_app;
use crate::error_text;
use crate::i18n::date_time;

#[component]
pub fn RestoreBackupPage() -> impl IntoView {
    let ctx = use_app();
    let file = RwSignal::new_local(None::<BackupFile>);
    let passphrase = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);

    let choose = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
        let Some(chosen) = input.files().and_then(|files| files.get(0)) else { return };
        file.set(None);
        error.set(None);
        leptos::task::spawn_local(async move {
            match read_backup(&chosen).await {
                Ok(backup) => file.set(Some(backup)),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    // The passphrase is read from its field inside the action, never kept as its input.
    let restore_wallet = Action::new_local(move |_: &()| async move {
        let (Some(wallet), Some(backup)) = (ctx.wallet(), file.get_untracked()) else { return };
        yield_to_paint().await;
        match wallet.restore_backup(backup, &passphrase.get_untracked()).await {
            Ok(()) => {
                ctx.request_persistence();
                crate::node_session::unlocked(ctx, passphrase.get_untracked());
            }
            Err(e) => {
                passphrase.set(String::new());
                error.set(Some(error_text::backup(&e)));
            }
        }
    });
    let pending = restore_wallet.pending();
    let busy = Signal::derive(move || pending.get().then(|| t!("Opening the backup…", "Öppnar säkerhetskopian…").to_owned()));
    let restore = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if file.with_untracked(Option::is_none) {
            return error.set(Some(t!("Choose the backup file first.", "Välj säkerhetskopian först.").to_owned()));
        }
        error.set(None);
        restore_wallet.dispatch(());
    };

    view! {
        <h1>{move || t!("Restore from a backup file", "Återställ från en säkerhetskopia")}</h1>
        // Two copies of one Lightning node each sign with the same keys but hold their own channel
        // states: whichever is behind can publish an old state, and its peer may then take the
        // channel's funds as a penalty.
        <p class="warning" data-testid="restore-warning">{move || t!(
            "Restore a backup here only if the wallet runs nowhere else. If its channels still run in another browser, tab or the Blixtra extension, close them there first: the same channels run in two places can lose their funds.",
            "Återställ en säkerhetskopia här bara om plånboken inte körs någon annanstans. Om dess kanaler fortfarande körs i en annan webbläsare, flik eller i Blixtra-tillägget, stäng dem där först: samma kanaler på två ställen kan förlora sina pengar."
        )}</p>
        <p data-testid="restore-backup-channels">{move || t!(
            "A backup brings back the wallet as it was when the file was made: coins, channels, history. Its channels are used again only once each peer confirms the backup holds their latest state. If a channel moved on after the backup, Blixtra asks the peer to close it with the latest state and the funds come back to your on-chain balance; a payment in flight at that moment is lost.",
            "En säkerhetskopia ger tillbaka plånboken som den var när filen gjordes: mynt, kanaler, historik. Kanalerna används igen först när varje motpart bekräftat att kopian har deras senaste läge. Om en kanal har ändrats efter kopian ber Blixtra motparten stänga den med det senaste läget och pengarna kommer tillbaka till ditt saldo på kedjan; en betalning som var på väg just då går förlorad."
        )}</p>
        <form on:submit=restore>
            <label for="backup-file">{move || t!("Backup file", "Säkerhetskopia")}</label>
            <input id="backup-file" type="file" data-testid="backup-file" on:change=choose/>
            {move || file.with(|backup| backup.as_ref().map(|backup| {
                let (node, made, records) = (backup.node_id.to_string()[..16].to_owned(), date_time(backup.made_at), backup.record_count());
                view! { <p role="status" data-testid="backup-chosen">{move || t!(
                    format!("The wallet of node {node}…, as it was on {made} ({records} records)."),
                    format!("Plånboken för nod {node}…, som den var {made} ({records} poster).")
                )}</p> }
            }))}
            <label for="backup-passphrase">{move || t!("The wallet's passphrase when the file was made", "Plånbokens lösenord när filen gjordes")}</label>
            <input id="backup-passphrase" type="password" autocomplete="current-password" required
                prop:value=move || passphrase.get() on:input=move |ev| passphrase.set(event_target_value(&ev))/>
            <div class="actions">
                <button type="submit" class="primary" data-testid="restore-backup" prop:disabled=move || busy.get().is_some()>{move || t!("Restore wallet", "Återställ plånbok")}</button>
            </div>
        </form>
        <Busy message=busy/>
        <Alert message=error/>
    }
}

/// Reads a chosen file and its backup's shape; the sentence to show if it is not one.
async fn read_backup(file: &web_sys::File) -> Result<BackupFile, String> {
    if file.size() > MAX_FILE_BYTES as f64 {
        return Err(error_text::backup(&blixtra_core::backup::BackupError::Damaged(blixtra_core::backup::Damage::TooLarge)));
    }
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| t!("The file could not be read.", "Filen kunde inte läsas.").to_owned())?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    BackupFile::read(&bytes).map_err(|e| error_text::backup(&e))
}
