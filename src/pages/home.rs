//! The unlocked wallet's home: its state on this device, and the way to lock it.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::app::use_app;
use crate::browser::storage_persistence::Persistence;
use crate::session::paths;

#[component]
pub fn HomePage() -> impl IntoView {
    let ctx = use_app();
    let word_count = LocalResource::new(move || {
        let wallet = ctx.wallet();
        async move {
            match wallet {
                Some(wallet) => wallet.phrase_word_count().await,
                None => None,
            }
        }
    });
    let auto_lock = move || match ctx.auto_lock.get().minutes {
        Some(1) => "after 1 minute without use".to_string(),
        Some(m) => format!("after {m} minutes without use"),
        None => "only when you lock it".to_string(),
    };
    let storage = move || match ctx.persistence.get() {
        Some(Persistence::Granted) => "kept: the browser will not clear it to free space",
        Some(Persistence::NotGranted) => "not yet protected: the browser may clear it when short of space (see Settings)",
        Some(Persistence::Unsupported) | None => "without protection: this browser cannot promise to keep it",
    };

    view! {
        <h1>"Your wallet"</h1>
        <section class="card" aria-labelledby="wallet-state">
            <h2 id="wallet-state">"On this device"</h2>
            <dl>
                <dt>"Wallet"</dt>
                <dd data-testid="wallet-state">"Unlocked, encrypted with your passphrase"</dd>
                <dt>"Recovery phrase"</dt>
                <dd>{move || word_count.get().flatten().map(|n| format!("{n} words, kept offline by you")).unwrap_or_default()}</dd>
                <dt>"Locks itself"</dt>
                <dd>{auto_lock}</dd>
                <dt>"Storage"</dt>
                <dd>{storage}</dd>
            </dl>
        </section>
        <div class="actions">
            <button type="button" class="primary" on:click=move |_| ctx.lock()>"Lock"</button>
            <A href=paths::SETTINGS attr:class="button">"Settings"</A>
        </div>
    }
}
