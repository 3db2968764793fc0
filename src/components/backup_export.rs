//! The "Export backup file" button: asks the node for the wallet's backup file and saves it.

use blixtra_host::protocol::{BackupFileView, ExportBackup};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::components::Alert;
use crate::context::use_app;
use crate::node_session::call_then_refresh;

#[component]
pub fn BackupExport() -> impl IntoView {
    let ctx = use_app();
    let export = Action::new_local(move |_: &()| async move {
        let file = call_then_refresh(ctx, ExportBackup {}).await?;
        save(&file).map_err(|_| t!("The browser did not save the file.", "Webbläsaren sparade inte filen.").to_owned())?;
        Ok::<_, String>(file.file_name)
    });
    let error = Signal::derive(move || export.value().get().and_then(Result::err));
    let saved = move || export.value().get().and_then(Result::ok);
    view! {
        <div class="actions">
            <button type="button" data-testid="export-backup" prop:disabled=move || export.pending().get() on:click=move |_| {
                export.dispatch(());
            }>{move || t!("Export backup file", "Exportera säkerhetskopia")}</button>
        </div>
        {move || saved().map(|name| view! { <p role="status" data-testid="backup-saved">{move || t!(
            format!("Saved as {name}. Keep it somewhere this browser is not (another device, a USB stick): it opens only with your passphrase."),
            format!("Sparad som {name}. Förvara den där den här webbläsaren inte finns (en annan enhet, ett USB-minne): den öppnas bara med ditt lösenord.")
        )}</p> })}
        <Alert message=error/>
    }
}

/// Saves `file` through the browser's download (a link to the bytes, clicked).
fn save(file: &BackupFileView) -> Result<(), JsValue> {
    let bytes =
        lightning::bitcoin::hex::FromHex::from_hex(&file.hex).map_err(|_| JsValue::NULL).map(|b: Vec<u8>| js_sys::Uint8Array::from(&b[..]))?;
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&js_sys::Array::of1(&bytes), &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or(JsValue::NULL)?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    link.set_href(&url);
    link.set_download(&file.file_name);
    link.click();
    // The download reads the link's bytes after the click returns.
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}
