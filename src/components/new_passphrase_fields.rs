//! The two fields of a new passphrase: the passphrase and its confirmation.

use blixtra_core::vault::MIN_PASSPHRASE_CHARS;
use leptos::prelude::*;

#[component]
pub fn NewPassphraseFields(passphrase: RwSignal<String>, confirmation: RwSignal<String>) -> impl IntoView {
    view! {
        <fieldset>
            <legend>{move || t!("Choose a passphrase", "Välj ett lösenord")}</legend>
            <p class="hint">
                {move || t!(format!("It locks the wallet on this device: at least {MIN_PASSPHRASE_CHARS} characters. "), format!("Det låser plånboken på den här enheten: minst {MIN_PASSPHRASE_CHARS} tecken. "))}
                {move || t!("It is not part of your recovery phrase: if you forget it, you restore from the words.", "Det ingår inte i återställningsfrasen: glömmer du det återställer du från orden.")}
            </p>
            <label for="new-passphrase">{move || t!("Passphrase", "Lösenord")}</label>
            <input id="new-passphrase" type="password" autocomplete="new-password" minlength=MIN_PASSPHRASE_CHARS required bind:value=passphrase/>
            <label for="confirm-passphrase">{move || t!("Passphrase again", "Lösenordet igen")}</label>
            <input id="confirm-passphrase" type="password" autocomplete="new-password" required bind:value=confirmation/>
        </fieldset>
    }
}
