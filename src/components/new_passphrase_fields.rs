//! The two fields of a new passphrase: the passphrase and its confirmation.

use blixtra_core::vault::MIN_PASSPHRASE_CHARS;
use leptos::prelude::*;

#[component]
pub fn NewPassphraseFields(passphrase: RwSignal<String>, confirmation: RwSignal<String>) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"Choose a passphrase"</legend>
            <p class="hint">
                {format!("It locks the wallet on this device: at least {MIN_PASSPHRASE_CHARS} characters. ")}
                "It is not part of your recovery phrase: if you forget it, you restore from the words."
            </p>
            <label for="new-passphrase">"Passphrase"</label>
            <input id="new-passphrase" type="password" autocomplete="new-password" minlength=MIN_PASSPHRASE_CHARS required bind:value=passphrase/>
            <label for="confirm-passphrase">"Passphrase again"</label>
            <input id="confirm-passphrase" type="password" autocomplete="new-password" required bind:value=confirmation/>
        </fieldset>
    }
}
