//! The UI's two languages, English and Swedish. Every visible string is written as a pair with
//! [`t!`], next to the code that shows it: a string without its translation does not compile, and a
//! translator reads both languages side by side. The language is one app-wide signal, so a switch in
//! settings re-renders every string at once.
//!
//! (Why not a crate: `leptos_i18n` generates code from JSON locale files at build time; for two
//! languages, pairs checked by the compiler are leaner and keep each string beside its use.)

use leptos::prelude::*;

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Sv,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Sv];

    /// Returns the BCP 47 tag (the `lang` attribute, the saved preference).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Sv => "sv",
        }
    }

    /// Returns the language for a tag such as `sv-SE` or `en`; `None` for one the UI does not speak.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        match tag.split(['-', '_']).next()?.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "sv" => Some(Lang::Sv),
            _ => None,
        }
    }

    /// Returns the language's own name (what the language menu lists).
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Sv => "Svenska",
        }
    }
}

thread_local! {
    // One UI per page: the language is global to it. Created on first use, lives as long as the page.
    static LANG: RwSignal<Lang> = RwSignal::new(Lang::En);
}

/// Returns the UI's language, tracked: a view that reads it re-renders when it changes. Outside a
/// view (an event handler), reads it untracked: there is nothing to re-render, and Leptos warns.
pub fn lang() -> Lang {
    LANG.with(|lang| if leptos::reactive::graph::Observer::get().is_some() { lang.get() } else { lang.get_untracked() })
}

/// Switches the UI's language (and the document's `lang` attribute, for screen readers).
pub fn set_lang(new: Lang) {
    LANG.with(|lang| lang.set(new));
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", new.tag());
    }
}

/// Picks the English or the Swedish expression by the UI's language; only the chosen one is
/// evaluated. Inside `move ||` the text follows a language switch.
#[macro_export]
macro_rules! t {
    ($en:expr, $sv:expr $(,)?) => {
        match $crate::i18n::lang() {
            $crate::i18n::Lang::En => $en,
            $crate::i18n::Lang::Sv => $sv,
        }
    };
}

/// About how many days `blocks` blocks take (ten minutes each), rounded.
pub fn days_of_blocks(blocks: u32) -> u32 {
    (blocks + 72) / 144
}

/// The date about `blocks` blocks from now ("14 December"), as the UI's language writes it.
pub fn date_in_blocks(blocks: u32) -> String {
    local_date(js_sys::Date::now() + f64::from(blocks) * 600_000.0, &[])
}

/// The date and time of `unix_secs` ("7 December 2026, 14:05"), as the UI's language writes it.
pub fn date_time(unix_secs: u64) -> String {
    local_date(unix_secs as f64 * 1000.0, &[("hour", "2-digit"), ("minute", "2-digit")])
}

fn local_date(at_ms: f64, more: &[(&str, &str)]) -> String {
    let options = js_sys::Object::new();
    for (field, value) in [("day", "numeric"), ("month", "long"), ("year", "numeric")].iter().chain(more) {
        let _ = js_sys::Reflect::set(&options, &(*field).into(), &(*value).into());
    }
    js_sys::Date::new(&at_ms.into()).to_locale_string(lang().tag(), &options).into()
}

/// Shortens a long id (a node id, a channel id) for a sentence: its start and end are enough to tell
/// it apart. Counts characters, not bytes: an id that came from outside may not be hex.
pub fn short_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() > 20 {
        format!("{}…{}", chars[..10].iter().collect::<String>(), chars[chars.len() - 6..].iter().collect::<String>())
    } else {
        id.to_owned()
    }
}

/// Formats a number of satoshis with thin groups, as a person reads it: `1 234 567`.
pub fn group_digits(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// Returns `amount sats` in the UI's language (`1 sat`; `sat` always in Swedish, as Swedish wallets write it).
pub fn sats(amount_sat: u64) -> String {
    let n = group_digits(amount_sat);
    t!(if amount_sat == 1 { "1 sat".to_owned() } else { format!("{n} sats") }, format!("{n} sat"))
}

/// Returns a fee as a person reads it: whole sats, or msat below ten sats when not whole.
pub fn fee(fee_msat: u64) -> String {
    if fee_msat % 1000 == 0 || fee_msat >= 10_000 {
        sats(fee_msat.div_ceil(1000))
    } else {
        format!("{fee_msat} msat")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_id_is_shortened_by_characters_not_bytes() {
        assert_eq!(short_id(&"ab".repeat(32)), "ababababab…ababab");
        assert_eq!(short_id("0123456789"), "0123456789");
        let odd = "é".repeat(30);
        assert_eq!(short_id(&odd), format!("{}…{}", "é".repeat(10), "é".repeat(6)));
    }

    #[test]
    fn tags_name_the_two_languages_and_nothing_else() {
        assert_eq!(Lang::from_tag("sv-SE"), Some(Lang::Sv));
        assert_eq!(Lang::from_tag("EN_gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("de"), None);
        assert_eq!(Lang::from_tag(""), None);
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
    }

    #[test]
    fn digits_are_grouped_by_thousands() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1_000), "1\u{202f}000");
        assert_eq!(group_digits(1_234_567), "1\u{202f}234\u{202f}567");
    }
}
