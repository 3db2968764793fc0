//! The first page on a device without a wallet: make a new one, or restore one from its words.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::paths;

#[component]
pub fn WelcomePage() -> impl IntoView {
    view! {
        <h1>"Welcome to Blixtra"</h1>
        <p>"A Bitcoin Lightning wallet that lives in this browser. You alone hold its keys: no account, no server that can spend for you."</p>
        <nav class="choices" aria-label="Get started">
            <A href=paths::CREATE attr:class="button primary" attr:data-testid="start-create">"Create a new wallet"</A>
            <A href=paths::IMPORT attr:class="button" attr:data-testid="start-import">"Restore from a recovery phrase"</A>
        </nav>
    }
}
