//! The app's pages, one per route (see `session::paths`).

mod create;
mod home;
mod import;
mod other_tab;
mod settings;
mod unavailable;
mod unlock;
mod welcome;

pub use create::CreatePage;
pub use home::HomePage;
pub use import::ImportPage;
pub use other_tab::OtherTabPage;
pub use settings::SettingsPage;
pub use unavailable::UnavailablePage;
pub use unlock::UnlockPage;
pub use welcome::WelcomePage;

use std::time::Duration;

/// Lets the browser paint (a progress message) before work that blocks the thread, such as Argon2id.
pub(crate) async fn yield_to_paint() {
    gloo_timers::future::sleep(Duration::from_millis(30)).await;
}
