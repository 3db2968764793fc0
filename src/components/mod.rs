//! Reusable pieces of the UI, one public component per file.

mod alert;
mod new_passphrase_fields;
mod wipe_wallet;

pub use alert::{Alert, Busy};
pub use new_passphrase_fields::NewPassphraseFields;
pub use wipe_wallet::WipeWallet;

/// Turns an error's `Display` (lower case, no stop, as Rust errors are written) into a sentence.
pub fn sentence(error: &impl std::fmt::Display) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
