//! The first page on a device without a wallet: make a new one, or restore one from its words or a
//! backup file.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::paths;

#[component]
pub fn WelcomePage() -> impl IntoView {
    view! {
        <h1>{move || t!("Welcome to Blixtra", "Välkommen till Blixtra")}</h1>
        <p>{move || t!("A Bitcoin Lightning wallet that lives in this browser. You alone hold its keys: no account, no server that can spend for you.", "En Bitcoin Lightning-plånbok som bor i den här webbläsaren. Bara du har nycklarna: inget konto, ingen server som kan spendera åt dig.")}</p>
        <nav class="choices" aria-label=move || t!("Get started", "Kom igång")>
            <A href=paths::CREATE attr:class="button primary" attr:data-testid="start-create">{move || t!("Create a new wallet", "Skapa en ny plånbok")}</A>
            <A href=paths::IMPORT attr:class="button" attr:data-testid="start-import">{move || t!("Restore from a recovery phrase", "Återställ från en återställningsfras")}</A>
            <A href=paths::RESTORE_BACKUP attr:class="button" attr:data-testid="start-restore-backup">{move || t!("Restore from a backup file", "Återställ från en säkerhetskopia")}</A>
        </nav>
    }
}
