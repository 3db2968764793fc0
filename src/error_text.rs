//! The sentences a person reads for what the node refuses or fails at, in the UI's language. The
//! core's errors carry the data; this file says it in English or Swedish. A detail that comes from
//! elsewhere (a server's or a peer's reason) is shown as it came.

use blixtra_core::mnemonic::MnemonicError;
use blixtra_core::node::NodeError;
use blixtra_core::onboarding::{NewPassphraseError, WordCheckError};
use blixtra_core::VaultError;

use crate::components::sentence;

use crate::i18n::sats;
use crate::node_client::NodeCallError;

/// Returns the sentence for `error`.
pub fn describe(error: &NodeCallError) -> String {
    match error {
        NodeCallError::Node(e) => node_error(e),
        NodeCallError::StartFailed(why) => t!(format!("The wallet could not start: {why}."), format!("Plånboken kunde inte starta: {why}.")),
        NodeCallError::WorkerFailed(why) => t!(
            format!("The wallet's background process failed ({why}). Reload the page."),
            format!("Plånbokens bakgrundsprocess slutade fungera ({why}). Ladda om sidan.")
        ),
    }
}

fn node_error(error: &NodeError) -> String {
    match error {
        NodeError::Storage(why) => t!(format!("The browser's storage failed: {why}."), format!("Webbläsarens lagring fungerade inte: {why}.")),
        NodeError::Chain(why) => t!(
            format!("The chain server could not be reached or answered wrongly: {why}."),
            format!("Blockkedjeservern gick inte att nå eller svarade fel: {why}.")
        ),
        NodeError::Onchain(why) => t!(format!("On-chain: {why}."), format!("På kedjan: {why}.")),
        NodeError::InvalidPeer(why) => {
            t!(format!("That is not a node address (node_id@host:port): {why}."), format!("Det är inte en nodadress (nod-id@värd:port): {why}."))
        }
        NodeError::PeerUnreachable(why) => t!(format!("The node could not be reached: {why}."), format!("Noden gick inte att nå: {why}.")),
        NodeError::InvalidInvoice(why) => {
            t!(format!("That is not a valid Lightning invoice: {why}."), format!("Det är ingen giltig Lightning-faktura: {why}."))
        }
        NodeError::WrongNetwork { invoice, wallet } => t!(
            format!("The invoice is for {invoice}, but this wallet is on {wallet}."),
            format!("Fakturan gäller {invoice}, men plånboken används på {wallet}.")
        ),
        NodeError::InvoiceExpired => t!("The invoice has expired: ask for a new one.".into(), "Fakturan har gått ut: be om en ny.".into()),
        NodeError::AmountNeeded => t!("The invoice has no amount: enter one.".into(), "Fakturan saknar belopp: ange ett.".into()),
        NodeError::InsufficientFunds { needed_msat, available_msat } => {
            let (needed, available) = (sats(needed_msat.div_ceil(1000)), sats(available_msat / 1000));
            t!(format!("Not enough funds: {needed} needed, {available} available."), format!("Det räcker inte: {needed} behövs, {available} finns."))
        }
        NodeError::AlreadyPaid(status) => t!(
            format!("This invoice was already paid or is being paid ({status})."),
            format!("Fakturan är redan betald eller håller på att betalas ({status}).")
        ),
        NodeError::PaymentFailed(why) => {
            t!(format!("The payment failed: {why}. Nothing was paid."), format!("Betalningen misslyckades: {why}. Inget betalades."))
        }
        NodeError::ChannelTooLarge { requested, max } => {
            let (requested, max) = (sats(requested.to_sat()), sats(max.to_sat()));
            t!(
                format!("A channel of {requested} is above this wallet's limit of {max} (see Settings)."),
                format!("En kanal på {requested} är över plånbokens gräns på {max} (se Inställningar).")
            )
        }
        NodeError::UnknownChannel(id) => t!(format!("There is no channel {id}."), format!("Det finns ingen kanal {id}.")),
        NodeError::Refused(why) => t!(format!("Lightning refused: {why}."), format!("Lightning vägrade: {why}.")),
        NodeError::Stopped => t!(
            "The wallet's node is not running (it starts after unlocking).".into(),
            "Plånbokens nod är inte igång (den startar efter upplåsning).".into()
        ),
    }
}

/// Returns the sentence for what the vault refused (a wrong passphrase, above all).
pub fn vault(error: &VaultError) -> String {
    match error {
        VaultError::NoVault => t!("There is no wallet on this device yet.".into(), "Det finns ingen plånbok på den här enheten ännu.".into()),
        VaultError::AlreadyExists => t!(
            "A wallet already exists on this device; wipe it first to make another.".into(),
            "Det finns redan en plånbok på enheten; radera den först för att skapa en ny.".into()
        ),
        VaultError::WrongPassphrase => t!("Wrong passphrase.".into(), "Fel lösenord.".into()),
        VaultError::PassphraseTooShort { min } => {
            t!(format!("The passphrase must have at least {min} characters."), format!("Lösenordet måste ha minst {min} tecken."))
        }
        VaultError::Integrity { kind } => t!(
            format!("A stored {kind} record failed its integrity check: it was changed or damaged outside Blixtra."),
            format!("En sparad post ({kind}) klarade inte integritetskontrollen: den har ändrats eller skadats utanför Blixtra.")
        ),
        VaultError::Store(e) => t!(sentence(e), format!("Lagringen fungerade inte: {e}.")),
    }
}

/// Returns the sentence for a recovery phrase that cannot be read.
pub fn mnemonic(error: &MnemonicError) -> String {
    match error {
        MnemonicError::WordCount { found } => t!(
            format!("A recovery phrase has 12 or 24 words; this one has {found}."),
            format!("En återställningsfras har 12 eller 24 ord; den här har {found}.")
        ),
        MnemonicError::UnknownWord { position } => t!(
            format!("Word {position} is not in the BIP39 English word list; check its spelling."),
            format!("Ord {position} finns inte i BIP39:s engelska ordlista; kontrollera stavningen.")
        ),
        MnemonicError::Checksum => t!(
            "These words fail the phrase's checksum: a word is wrong or two are swapped.".into(),
            "Orden klarar inte frasens kontrollsumma: ett ord är fel eller två har bytt plats.".into()
        ),
    }
}

/// Returns the sentence for a written-down word that does not match.
pub fn word_check(error: &WordCheckError) -> String {
    match error {
        WordCheckError::Mismatch { position } => t!(
            format!("Word #{position} does not match the phrase; look at what you wrote down again."),
            format!("Ord nr {position} stämmer inte med frasen; titta på det du skrev ner igen.")
        ),
    }
}

/// Returns the sentence for a new passphrase that cannot be used.
pub fn new_passphrase(error: &NewPassphraseError) -> String {
    match error {
        NewPassphraseError::TooShort { min } => {
            t!(format!("The passphrase must have at least {min} characters."), format!("Lösenordet måste ha minst {min} tecken."))
        }
        NewPassphraseError::Mismatch => t!("The two passphrases differ.".into(), "De två lösenorden skiljer sig åt.".into()),
    }
}
