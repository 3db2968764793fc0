//! The recovery phrase: a BIP39 English mnemonic of 12 or 24 words, made from the platform CSPRNG or
//! typed in by a person restoring a wallet, with an error that names what is wrong with the words.

use bip39::{Language, Mnemonic};
use zeroize::Zeroizing;

/// Word counts Blixtra accepts. BIP39 also defines 15, 18 and 21 words, but no wallet people use makes
/// them, so a count other than these is far more likely a missed or doubled word than a real phrase.
pub const ACCEPTED_WORD_COUNTS: [usize; 2] = [12, 24];

/// What is wrong with a phrase a person typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MnemonicError {
    #[error("a recovery phrase has 12 or 24 words; this one has {found}")]
    WordCount { found: usize },
    /// `position` counts from 1, as a person reads the words. The word itself is left out on purpose:
    /// errors may be shown or logged, and a misspelt word is still most of a secret word.
    #[error("word {position} is not in the BIP39 English word list; check its spelling")]
    UnknownWord { position: usize },
    #[error("these words fail the phrase's checksum: a word is wrong or two are swapped")]
    Checksum,
}

/// A BIP39 English recovery phrase. Its words are wiped from memory when it is dropped.
#[derive(Clone)]
pub struct RecoveryPhrase(Mnemonic);

impl RecoveryPhrase {
    /// Makes a new 24-word phrase from 256 bits of CSPRNG entropy.
    pub fn generate() -> Self {
        let entropy = Zeroizing::new(crate::random_bytes::<32>());
        Self::from_entropy(&entropy[..]).expect("32 bytes is a valid BIP39 entropy length")
    }

    /// Makes the phrase that encodes `entropy` (16 or 32 bytes).
    pub fn from_entropy(entropy: &[u8]) -> Result<Self, MnemonicError> {
        let found = entropy.len() * 3 / 4;
        if !ACCEPTED_WORD_COUNTS.contains(&found) {
            return Err(MnemonicError::WordCount { found });
        }
        Mnemonic::from_entropy_in(Language::English, entropy).map(Self).map_err(|_| MnemonicError::WordCount { found })
    }

    /// Parses words typed by a person: case and extra white space are forgiven, nothing else is.
    pub fn parse(typed: &str) -> Result<Self, MnemonicError> {
        let normalized = Zeroizing::new(typed.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" "));
        let found = normalized.split(' ').filter(|w| !w.is_empty()).count();
        if !ACCEPTED_WORD_COUNTS.contains(&found) {
            return Err(MnemonicError::WordCount { found });
        }
        Mnemonic::parse_in_normalized(Language::English, &normalized).map(Self).map_err(|e| match e {
            bip39::Error::UnknownWord(index) => MnemonicError::UnknownWord { position: index + 1 },
            bip39::Error::BadWordCount(found) => MnemonicError::WordCount { found },
            // Every other failure of a phrase of a valid length and known words is its checksum.
            _ => MnemonicError::Checksum,
        })
    }

    /// Returns the words in order.
    pub fn words(&self) -> Vec<&'static str> {
        self.0.words().collect()
    }

    /// Returns the phrase as one space-separated string, wiped from memory when dropped.
    pub fn to_phrase(&self) -> Zeroizing<String> {
        Zeroizing::new(self.words().join(" "))
    }

    /// Returns the phrase's entropy, wiped from memory when dropped.
    pub fn to_entropy(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.to_entropy())
    }

    /// Returns the 64-byte BIP39 seed. Blixtra's own wallets pass an empty `bip39_passphrase`: the vault
    /// passphrase only guards this device's storage and never enters the seed, so the words alone restore
    /// the funds anywhere.
    pub fn to_seed(&self, bip39_passphrase: &str) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.0.to_seed_normalized(bip39_passphrase))
    }
}

impl std::fmt::Debug for RecoveryPhrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryPhrase({} words, redacted)", self.0.word_count())
    }
}
