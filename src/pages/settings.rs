//! Settings: auto-lock, persistent storage, and wiping the wallet.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::app::use_app;
use crate::browser::storage_persistence::Persistence;
use crate::components::WipeWallet;
use crate::prefs;
use crate::session::{paths, AutoLock};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let ctx = use_app();
    let choose = move |ev: leptos::ev::Event| {
        let minutes = event_target_value(&ev).parse::<u32>().ok();
        let auto_lock = AutoLock { minutes };
        prefs::set_auto_lock(auto_lock);
        ctx.auto_lock.set(auto_lock);
    };
    let label = |minutes: Option<u32>| match minutes {
        Some(1) => "1 minute".to_string(),
        Some(m) => format!("{m} minutes"),
        None => "Never".to_string(),
    };

    view! {
        <h1>"Settings"</h1>
        <section aria-labelledby="auto-lock-heading">
            <h2 id="auto-lock-heading">"Auto-lock"</h2>
            <label for="auto-lock">"Lock the wallet after this long without use"</label>
            <select id="auto-lock" on:change=choose>
                {AutoLock::CHOICES.into_iter().map(|minutes| view! {
                    <option value=minutes.map(|m| m.to_string()).unwrap_or_else(|| "never".into())
                        selected=move || ctx.auto_lock.get().minutes == minutes>{label(minutes)}</option>
                }).collect_view()}
            </select>
        </section>
        <section aria-labelledby="storage-heading">
            <h2 id="storage-heading">"Storage"</h2>
            <p data-testid="persistence">{move || match ctx.persistence.get() {
                Some(Persistence::Granted) => "Persistent storage: granted. The browser will not clear the wallet to free space.",
                Some(Persistence::NotGranted) => "Persistent storage: not granted. When short of space the browser may clear this site's data, wallet included. Installing Blixtra or bookmarking it often helps.",
                Some(Persistence::Unsupported) => "Persistent storage: not supported by this browser.",
                None => "Persistent storage: asking…",
            }}</p>
            <Show when=move || ctx.persistence.get() == Some(Persistence::NotGranted)>
                <button type="button" on:click=move |_| ctx.request_persistence()>"Ask the browser again"</button>
            </Show>
        </section>
        <WipeWallet/>
        <div class="actions">
            <A href=paths::HOME attr:class="button">"Back"</A>
        </div>
    }
}
