//! The app's pages, one per route (see `session::paths`).

mod channels;
mod create;
mod home;
mod import;
mod other_tab;
mod receive;
mod restore_backup;
mod send;
mod settings;
mod unavailable;
mod unlock;
mod website_prompt;
mod websites;
mod welcome;

pub use channels::ChannelsPage;
pub use create::CreatePage;
pub use home::HomePage;
pub use import::ImportPage;
pub use other_tab::OtherTabPage;
pub use receive::ReceivePage;
pub use restore_backup::RestoreBackupPage;
pub use send::{linked_request, SendPage};
pub use settings::SettingsPage;
pub use unavailable::UnavailablePage;
pub use unlock::UnlockPage;
pub use website_prompt::{prompt_id, WebsitePrompt};
pub use websites::WebsitesSettings;
pub use welcome::WelcomePage;

use std::time::Duration;

/// Lets the browser paint (a progress message) before work that blocks the thread, such as Argon2id.
pub(crate) async fn yield_to_paint() {
    gloo_timers::future::sleep(Duration::from_millis(30)).await;
}

/// Reads an amount in whole sats; empty means none.
pub(crate) fn parse_sats(text: &str) -> Result<Option<u64>, String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != ',').collect();
    if digits.is_empty() {
        return Ok(None);
    }
    match digits.parse::<u64>() {
        Ok(0) => Err(t!("The amount must be more than zero.".into(), "Beloppet måste vara större än noll.".into())),
        Ok(amount) if amount <= crate::settings::ALL_SATS => Ok(Some(amount)),
        _ => Err(t!(format!("“{text}” is not an amount in whole sats."), format!("”{text}” är inget belopp i hela sat."))),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_sats;

    #[test]
    fn amounts_are_whole_sats_with_optional_groups() {
        assert_eq!(parse_sats(""), Ok(None));
        assert_eq!(parse_sats(" 5 000 "), Ok(Some(5_000)));
        assert_eq!(parse_sats("1,000"), Ok(Some(1_000)));
        assert!(parse_sats("0").is_err());
        assert!(parse_sats("1.5").is_err());
        assert!(parse_sats("-3").is_err());
        assert!(parse_sats("2100000000000001").is_err());
    }
}
