//! The app root: the shared context made, start-up (tab lock, storage), the router and the phase
//! guard that keeps each phase on its own pages, and the idle auto-lock.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::{path, NavigateOptions};

use crate::components::NavBar;
use crate::context::{use_app, AppContext};
use crate::devnet_link;
use crate::node_session;
use crate::node_state::NodeState;
use crate::pages::{
    ChannelsPage, CreatePage, HomePage, ImportPage, OtherTabPage, ReceivePage, RestoreBackupPage, SendPage, SettingsPage, UnavailablePage,
    UnlockPage, WelcomePage,
};
use crate::prefs;
use crate::session::{paths, Phase};
use crate::settings::Settings;
use crate::wallet::{Opening, Wallet};
use blixtra_host::browser::now_ms;
use blixtra_host::browser::storage_persistence;

#[component]
pub fn App() -> impl IntoView {
    let ctx = AppContext {
        phase: RwSignal::new(Phase::Starting),
        auto_lock: RwSignal::new(prefs::auto_lock()),
        persistence: RwSignal::new(None),
        settings: RwSignal::new(Settings::load()),
        node: RwSignal::new(NodeState::default()),
        devnet: RwSignal::new(None),
        refresh_running: StoredValue::new(false),
        refresh_again: StoredValue::new(false),
        wallet: StoredValue::new_local(None),
        last_activity_ms: StoredValue::new(now_ms()),
        linked_request: StoredValue::new(crate::pages::linked_request()),
    };
    provide_context(ctx);
    crate::i18n::set_lang(prefs::language());
    spawn_local(start(ctx));
    watch_for_idleness(ctx);

    // The extension's prompt window for a website's question: that question only, no navigation.
    if let Some(id) = crate::pages::prompt_id() {
        return view! {
            <Router>
                <header class="topbar">
                    <span class="brand" aria-hidden="true">"⚡"</span>
                    <span class="brand">"Blixtra"</span>
                </header>
                <main id="main">
                    <Show when=move || ctx.phase.get() != Phase::Starting fallback=|| view! { <p role="status" class="busy">{move || t!("Opening your wallet…", "Öppnar din plånbok…")}</p> }>
                        <crate::pages::WebsitePrompt id=id/>
                    </Show>
                </main>
            </Router>
        }
        .into_any();
    }
    view! {
        <Router>
            <header class="topbar">
                <span class="brand" aria-hidden="true">"⚡"</span>
                <span class="brand">"Blixtra"</span>
            </header>
            <Show when=move || ctx.phase.get() == Phase::Unlocked>
                <NavBar/>
            </Show>
            <PhaseGuard/>
            <main id="main">
                <Show when=move || ctx.phase.get() != Phase::Starting fallback=|| view! { <p role="status" class="busy">{move || t!("Opening your wallet…", "Öppnar din plånbok…")}</p> }>
                    <Routes fallback=|| view! { <p>{move || t!("There is no such page.", "Den sidan finns inte.")}</p> }>
                        <Route path=path!("/") view=WelcomePage/>
                        <Route path=path!("/create") view=CreatePage/>
                        <Route path=path!("/import") view=ImportPage/>
                        <Route path=path!("/restore-backup") view=RestoreBackupPage/>
                        <Route path=path!("/unlock") view=UnlockPage/>
                        <Route path=path!("/home") view=HomePage/>
                        <Route path=path!("/receive") view=ReceivePage/>
                        <Route path=path!("/send") view=SendPage/>
                        <Route path=path!("/channels") view=ChannelsPage/>
                        <Route path=path!("/settings") view=SettingsPage/>
                        <Route path=path!("/other-tab") view=OtherTabPage/>
                        <Route path=path!("/unavailable") view=UnavailablePage/>
                    </Routes>
                </Show>
            </main>
        </Router>
    }
    .into_any()
}

/// Takes the tab lock and opens storage, then sets the phase. Meanwhile asks the devnet, if the
/// settings name one, for its addresses.
async fn start(ctx: AppContext) {
    if let Some(url) = ctx.settings.get_untracked().devnet().map(str::to_owned) {
        spawn_local(async move {
            if let Ok(info) = devnet_link::fetch_info(&url).await {
                if !Settings::saved() {
                    ctx.settings.update(|s| s.use_devnet(&info));
                }
                ctx.devnet.set(Some(info));
            }
        });
    }
    // A reload's old page frees the lock a moment after it goes: a few seconds' wait before saying
    // another tab holds it; then the wallet is taken as soon as that tab lets go.
    let mut opening = Wallet::open(Some(TAB_LOCK_WAIT)).await;
    if matches!(opening, Opening::OtherTab) {
        ctx.phase.set(Phase::OtherTab);
        opening = Wallet::open(None).await;
    }
    let phase = match opening {
        Opening::Ready(wallet, phase) => {
            ctx.wallet.set_value(Some(wallet));
            ctx.persistence.set(Some(storage_persistence::current().await));
            if phase == Phase::Locked && node_session::join_running_node(ctx).await {
                Phase::Unlocked
            } else {
                phase
            }
        }
        Opening::OtherTab => Phase::OtherTab,
        Opening::Unavailable(reason) => Phase::Unavailable(reason),
    };
    ctx.phase.set(phase);
}

/// How long a page waits for the tab lock before it says another tab holds the wallet.
const TAB_LOCK_WAIT: Duration = Duration::from_secs(3);

/// Retries start-up, for the page that says storage was unavailable.
pub fn retry_start(ctx: AppContext) {
    ctx.phase.set(Phase::Starting);
    spawn_local(start(ctx));
}

/// Sends each phase to its pages whenever the phase or the path changes.
#[component]
fn PhaseGuard() -> impl IntoView {
    let ctx = use_app();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        let path = location.pathname.get();
        if let Some(target) = ctx.phase.with(|phase| phase.redirect(&path)) {
            navigate(target, NavigateOptions { replace: true, ..Default::default() });
        } else if ctx.phase.get() == Phase::Unlocked && path != paths::SEND && ctx.linked_request.with_value(Option::is_some) {
            // A website's link the person clicked: the Send page shows it once the wallet is open.
            navigate(paths::SEND, NavigateOptions { replace: true, ..Default::default() });
        }
    });
}

/// Locks an unlocked wallet after the chosen idle time. Activity is any key or pointer press.
fn watch_for_idleness(ctx: AppContext) {
    // The handles live as long as the app, which is the page's life.
    std::mem::forget(window_event_listener(leptos::ev::keydown, move |_| ctx.note_activity()));
    std::mem::forget(window_event_listener(leptos::ev::pointerdown, move |_| ctx.note_activity()));
    Effect::new(move |_| {
        if ctx.phase.get() == Phase::Unlocked {
            ctx.note_activity();
        }
    });
    // A new auto-lock setting reaches the node's own idle lock at once, not at the next activity:
    // with no page open (the extension's popup closed) there may be none.
    Effect::new(move |_| {
        let after_secs = ctx.auto_lock.get().after_secs();
        if let Some(node) = ctx.wallet().and_then(|wallet| wallet.node()) {
            node.note_activity(after_secs);
        }
    });
    set_interval(
        move || {
            if ctx.phase.get_untracked() == Phase::Unlocked && ctx.auto_lock.get_untracked().is_due(ctx.last_activity_ms.get_value(), now_ms()) {
                node_session::lock(ctx);
            }
        },
        Duration::from_secs(10),
    );
}
