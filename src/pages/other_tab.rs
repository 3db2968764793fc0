//! Shown when another tab holds the wallet: two tabs writing one wallet's state would corrupt it.

use leptos::prelude::*;

use crate::app::retry_start;
use crate::context::use_app;

#[component]
pub fn OtherTabPage() -> impl IntoView {
    let ctx = use_app();
    view! {
        <h1>{move || t!("Blixtra is open in another tab", "Blixtra är öppen i en annan flik")}</h1>
        <p>{move || t!("Only one tab at a time can use your wallet, so that two never change it at once. Use the other tab, or close it and try again here.", "Bara en flik åt gången kan använda plånboken, så att två aldrig ändrar den samtidigt. Använd den andra fliken, eller stäng den och försök igen här.")}</p>
        <div class="actions">
            <button type="button" class="primary" on:click=move |_| retry_start(ctx)>{move || t!("Try again", "Försök igen")}</button>
        </div>
    }
}
