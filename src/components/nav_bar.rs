//! The unlocked wallet's navigation: its five pages, the current one marked for screen readers
//! (`aria-current`, which leptos_router's `A` sets).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::paths;

#[component]
pub fn NavBar() -> impl IntoView {
    view! {
        <nav class="navbar" aria-label=move || t!("Wallet", "Plånbok")>
            <A href=paths::HOME attr:data-testid="nav-home">{move || t!("Home", "Hem")}</A>
            <A href=paths::RECEIVE attr:data-testid="nav-receive">{move || t!("Receive", "Ta emot")}</A>
            <A href=paths::SEND attr:data-testid="nav-send">{move || t!("Send", "Skicka")}</A>
            <A href=paths::CHANNELS attr:data-testid="nav-channels">{move || t!("Channels", "Kanaler")}</A>
            <A href=paths::SETTINGS attr:data-testid="nav-settings">{move || t!("Settings", "Inställningar")}</A>
        </nav>
    }
}
