//! Shown when the browser's storage cannot be used (a private window, a full disk, an old browser).

use leptos::prelude::*;

use crate::app::retry_start;
use crate::context::use_app;
use crate::session::Phase;

#[component]
pub fn UnavailablePage() -> impl IntoView {
    let ctx = use_app();
    let reason = move || match ctx.phase.get() {
        Phase::Unavailable(reason) => reason,
        _ => String::new(),
    };
    view! {
        <h1>{move || t!("Blixtra cannot store your wallet here", "Blixtra kan inte spara din plånbok här")}</h1>
        <p role="alert" class="error">{reason}</p>
        <p>{move || t!("Blixtra keeps your wallet, encrypted, in this browser's storage. Private windows and some privacy settings turn it off.", "Blixtra sparar plånboken, krypterad, i webbläsarens lagring. Privata fönster och vissa integritetsinställningar stänger av den.")}</p>
        <div class="actions">
            <button type="button" class="primary" on:click=move |_| retry_start(ctx)>{move || t!("Try again", "Försök igen")}</button>
        </div>
    }
}
