//! The wallet session as the UI sees it: which phase the app is in, which page each phase may show,
//! and when an idle wallet locks itself. Plain types, tested natively.

/// Where the app stands. Every page is chosen from this (see [`Phase::redirect`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Opening storage and taking the tab lock.
    Starting,
    /// Another tab holds the wallet; this one offers nothing that writes.
    OtherTab,
    /// The browser's storage cannot be used; the message says why.
    Unavailable(String),
    /// No wallet on this device yet.
    NoWallet,
    Locked,
    Unlocked,
}

/// The pages, by path.
pub mod paths {
    pub const WELCOME: &str = "/";
    pub const CREATE: &str = "/create";
    pub const IMPORT: &str = "/import";
    pub const RESTORE_BACKUP: &str = "/restore-backup";
    pub const UNLOCK: &str = "/unlock";
    pub const HOME: &str = "/home";
    pub const SETTINGS: &str = "/settings";
    pub const RECEIVE: &str = "/receive";
    pub const SEND: &str = "/send";
    pub const CHANNELS: &str = "/channels";
    pub const OTHER_TAB: &str = "/other-tab";
    pub const UNAVAILABLE: &str = "/unavailable";
}

impl Phase {
    /// Returns where to go if `path` is not a page this phase may show.
    pub fn redirect(&self, path: &str) -> Option<&'static str> {
        use paths::*;
        let (allowed, home): (&[&str], &'static str) = match self {
            Phase::Starting => return None,
            Phase::OtherTab => (&[OTHER_TAB], OTHER_TAB),
            Phase::Unavailable(_) => (&[UNAVAILABLE], UNAVAILABLE),
            Phase::NoWallet => (&[WELCOME, CREATE, IMPORT, RESTORE_BACKUP], WELCOME),
            Phase::Locked => (&[UNLOCK], UNLOCK),
            Phase::Unlocked => (&[HOME, RECEIVE, SEND, CHANNELS, SETTINGS], HOME),
        };
        (!allowed.contains(&path)).then_some(home)
    }
}

/// The idle time after which an unlocked wallet locks itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoLock {
    /// `None`: never.
    pub minutes: Option<u32>,
}

impl AutoLock {
    pub const DEFAULT: AutoLock = AutoLock { minutes: Some(5) };
    /// The choices the settings page offers.
    pub const CHOICES: [Option<u32>; 6] = [Some(1), Some(5), Some(15), Some(30), Some(60), None];

    /// Tells whether a wallet last used at `last_activity_ms` should be locked at `now_ms`.
    /// The idle time in seconds, as the node's own idle lock takes it.
    pub fn after_secs(&self) -> Option<u64> {
        self.minutes.map(|m| u64::from(m) * 60)
    }

    pub fn is_due(&self, last_activity_ms: f64, now_ms: f64) -> bool {
        self.minutes.is_some_and(|m| now_ms - last_activity_ms >= f64::from(m) * 60_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_phase_keeps_to_its_own_pages() {
        assert_eq!(Phase::Starting.redirect("/home"), None);
        assert_eq!(Phase::NoWallet.redirect(paths::HOME), Some(paths::WELCOME));
        assert_eq!(Phase::NoWallet.redirect(paths::IMPORT), None);
        assert_eq!(Phase::Locked.redirect(paths::HOME), Some(paths::UNLOCK));
        assert_eq!(Phase::Locked.redirect(paths::CREATE), Some(paths::UNLOCK));
        assert_eq!(Phase::Unlocked.redirect(paths::UNLOCK), Some(paths::HOME));
        assert_eq!(Phase::Unlocked.redirect(paths::SETTINGS), None);
        assert_eq!(Phase::Unlocked.redirect(paths::SEND), None);
        assert_eq!(Phase::Locked.redirect(paths::SEND), Some(paths::UNLOCK));
        assert_eq!(Phase::OtherTab.redirect(paths::HOME), Some(paths::OTHER_TAB));
        assert_eq!(Phase::Unavailable("x".into()).redirect("/nonsense"), Some(paths::UNAVAILABLE));
    }

    #[test]
    fn auto_lock_fires_after_the_chosen_idle_time_only() {
        let five = AutoLock { minutes: Some(5) };
        assert!(!five.is_due(0.0, 299_999.0));
        assert!(five.is_due(0.0, 300_000.0));
        assert!(!AutoLock { minutes: None }.is_due(0.0, 1e12));
    }
}
