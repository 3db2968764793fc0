//! Reusable pieces of the UI, one public component per file.

mod activity_list;
mod alert;
mod backup_export;
mod copy_button;
mod nav_bar;
mod new_passphrase_fields;
mod node_status_line;
mod qr_code;
mod qr_scanner;
mod wipe_wallet;

pub use activity_list::ActivityList;
pub use alert::{Alert, Busy};
pub use backup_export::BackupExport;
pub use copy_button::CopyButton;
pub use nav_bar::NavBar;
pub use new_passphrase_fields::NewPassphraseFields;
pub use node_status_line::NodeStatusLine;
pub use qr_code::QrCode;
pub use qr_scanner::QrScanner;
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
