//! The rules of making a wallet, apart from any UI: the check that the recovery phrase was written down,
//! and what a new passphrase must be.

use crate::mnemonic::RecoveryPhrase;
use crate::vault::MIN_PASSPHRASE_CHARS;

/// How many words the write-down check asks for.
pub const WORDS_CHECKED: usize = 3;

/// Asks for a few words of a new phrase, picked at random, before the vault is made: a phrase shown
/// once and never written down is lost money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordCheck {
    /// Zero-based word indices, ascending.
    positions: [usize; WORDS_CHECKED],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WordCheckError {
    /// `position` counts from 1.
    #[error("word #{position} does not match the phrase; look at what you wrote down again")]
    Mismatch { position: usize },
}

impl WordCheck {
    /// Picks distinct positions among `word_count` words with the platform CSPRNG.
    pub fn random(word_count: usize) -> Self {
        assert!(word_count >= WORDS_CHECKED, "a phrase has at least {WORDS_CHECKED} words");
        let mut positions = [usize::MAX; WORDS_CHECKED];
        let mut filled = 0;
        while filled < WORDS_CHECKED {
            let draw = u32::from_le_bytes(crate::random_bytes::<4>()) as usize % word_count;
            if !positions[..filled].contains(&draw) {
                positions[filled] = draw;
                filled += 1;
            }
        }
        positions.sort_unstable();
        Self { positions }
    }

    /// Returns the asked positions, counted from 1 as a person counts.
    pub fn positions(&self) -> [usize; WORDS_CHECKED] {
        self.positions.map(|p| p + 1)
    }

    /// Checks the answers (in the order of [`WordCheck::positions`]); case and spaces are forgiven.
    pub fn verify(&self, phrase: &RecoveryPhrase, answers: [&str; WORDS_CHECKED]) -> Result<(), WordCheckError> {
        let words = phrase.words();
        for (index, answer) in self.positions.iter().zip(answers) {
            if !words.get(*index).is_some_and(|w| w.eq_ignore_ascii_case(answer.trim())) {
                return Err(WordCheckError::Mismatch { position: index + 1 });
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewPassphraseError {
    #[error("the passphrase must have at least {min} characters")]
    TooShort { min: usize },
    /// Among the first passphrases anyone tries on a stolen store (see [`crate::passphrase_strength`]).
    #[error("the passphrase is too easy to guess")]
    TooGuessable,
    #[error("the two passphrases differ")]
    Mismatch,
}

/// Checks a new passphrase (long enough, not too easy to guess) and its confirmation.
pub fn check_new_passphrase(passphrase: &str, confirmation: &str) -> Result<(), NewPassphraseError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(NewPassphraseError::TooShort { min: MIN_PASSPHRASE_CHARS });
    }
    if crate::passphrase_strength::estimate(passphrase).strength == crate::passphrase_strength::Strength::TooGuessable {
        return Err(NewPassphraseError::TooGuessable);
    }
    if passphrase != confirmation {
        return Err(NewPassphraseError::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_asks_three_distinct_positions_in_range() {
        for _ in 0..200 {
            let [a, b, c] = WordCheck::random(24).positions();
            assert!(1 <= a && a < b && b < c && c <= 24, "{a} {b} {c}");
        }
    }

    #[test]
    fn the_check_passes_only_the_right_words() {
        let phrase = RecoveryPhrase::generate();
        let check = WordCheck::random(24);
        let words = phrase.words();
        let [a, b, c] = check.positions().map(|p| words[p - 1]);
        assert_eq!(check.verify(&phrase, [a, &b.to_uppercase(), &format!(" {c} ")]), Ok(()));
        let wrong = if b == "zoo" { "abandon" } else { "zoo" };
        assert_eq!(check.verify(&phrase, [a, wrong, c]), Err(WordCheckError::Mismatch { position: check.positions()[1] }));
        assert!(check.verify(&phrase, ["", "", ""]).is_err());
    }

    #[test]
    fn a_new_passphrase_must_be_long_enough_and_confirmed() {
        assert_eq!(check_new_passphrase("short", "short"), Err(NewPassphraseError::TooShort { min: 8 }));
        assert_eq!(check_new_passphrase("long enough", "long enougH"), Err(NewPassphraseError::Mismatch));
        assert_eq!(check_new_passphrase("long enough", "long enough"), Ok(()));
        // Characters, not bytes: seven accented letters are too few, eight are not.
        assert_eq!(check_new_passphrase("åäöåäöå", "åäöåäöå"), Err(NewPassphraseError::TooShort { min: 8 }));
        assert_ne!(check_new_passphrase("åäöåäöåä", "åäöåäöåä"), Err(NewPassphraseError::TooShort { min: 8 }));
        assert_eq!(check_new_passphrase("password1", "password1"), Err(NewPassphraseError::TooGuessable));
    }
}
