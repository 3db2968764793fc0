//! Shown when another tab holds the wallet: two tabs writing one wallet's state would corrupt it.
//! The page waits in the browser's queue for the lock and goes on by itself once the other tab
//! closes (`app::start`).

use leptos::prelude::*;

#[component]
pub fn OtherTabPage() -> impl IntoView {
    view! {
        <h1>{move || t!("Blixtra is open in another tab", "Blixtra är öppen i en annan flik")}</h1>
        <p data-testid="other-tab">{move || t!("Only one tab at a time can use your wallet, so that two never change it at once. Use the other tab, or close it: this one then opens the wallet by itself.", "Bara en flik åt gången kan använda plånboken, så att två aldrig ändrar den samtidigt. Använd den andra fliken, eller stäng den: den här öppnar då plånboken av sig själv.")}</p>
    }
}
