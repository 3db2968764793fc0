//! The two fields of a new passphrase: the passphrase and its confirmation.

use blixtra_core::passphrase_strength::{estimate, Strength};
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
            <input id="new-passphrase" type="password" autocomplete="new-password" minlength=MIN_PASSPHRASE_CHARS required
                aria-describedby="passphrase-strength" bind:value=passphrase/>
            <p id="passphrase-strength" class="hint" aria-live="polite" data-testid="passphrase-strength">{move || {
                let typed = passphrase.get();
                if typed.chars().count() < MIN_PASSPHRASE_CHARS {
                    return String::new();
                }
                match estimate(&typed).strength {
                    Strength::TooGuessable => t!("Too easy to guess: among the first passphrases anyone tries.", "För lätt att gissa: bland de första lösenord någon provar."),
                    Strength::Fair => t!("Fair: words of your own make it stronger.", "Godtagbart: egna ord gör det starkare."),
                    Strength::Good => t!("Good.", "Bra."),
                    Strength::Strong => t!("Strong.", "Starkt."),
                }
                .to_owned()
            }}</p>
            <label for="confirm-passphrase">{move || t!("Passphrase again", "Lösenordet igen")}</label>
            <input id="confirm-passphrase" type="password" autocomplete="new-password" required bind:value=confirmation/>
        </fieldset>
    }
}
