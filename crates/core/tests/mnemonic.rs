//! Recovery phrases: BIP39's published vectors, and the errors a person typing words can meet.

use blixtra_core::{MnemonicError, RecoveryPhrase};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// (entropy, words, seed with the BIP39 passphrase "TREZOR"), from BIP39's published test vectors.
const VECTORS: [(&str, &str, &str); 4] = [
    (
        "00000000000000000000000000000000",
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
    ),
    (
        "ffffffffffffffffffffffffffffffff",
        "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
        "ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069",
    ),
    (
        "0000000000000000000000000000000000000000000000000000000000000000",
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art",
        "bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8",
    ),
    (
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote",
        "dd48c104698c30cfe2b6142103248622fb7bb0ff692eebb00089b32d22484e1613912f0a5b694407be899ffd31ed3992c456cdf60f5d4564b8ba3f05a69890ad",
    ),
];

#[test]
fn the_published_bip39_vectors_hold_both_ways() {
    for (entropy_hex, words, seed_hex) in VECTORS {
        let entropy: Vec<u8> = (0..entropy_hex.len()).step_by(2).map(|i| u8::from_str_radix(&entropy_hex[i..i + 2], 16).expect("hex")).collect();
        let from_entropy = RecoveryPhrase::from_entropy(&entropy).expect("valid entropy");
        assert_eq!(from_entropy.to_phrase().as_str(), words);
        let parsed = RecoveryPhrase::parse(words).expect("valid words");
        assert_eq!(hex(&parsed.to_entropy()), entropy_hex);
        assert_eq!(hex(&parsed.to_seed("TREZOR")[..]), seed_hex);
    }
}

#[test]
fn a_new_phrase_has_24_words_and_parses_back() {
    let phrase = RecoveryPhrase::generate();
    assert_eq!(phrase.words().len(), 24);
    let again = RecoveryPhrase::parse(&phrase.to_phrase()).expect("a generated phrase parses");
    assert_eq!(again.to_entropy(), phrase.to_entropy());
    assert_ne!(RecoveryPhrase::generate().to_entropy(), phrase.to_entropy(), "two phrases from the CSPRNG differ");
}

#[test]
fn typing_is_forgiven_for_case_and_spacing() {
    let typed = "  Abandon abandon\tABANDON abandon abandon abandon\nabandon abandon abandon abandon abandon about ";
    assert_eq!(RecoveryPhrase::parse(typed).expect("valid").to_phrase().as_str(), VECTORS[0].1);
}

#[test]
fn a_wrong_word_count_is_named() {
    let eleven = "abandon ".repeat(11);
    assert_eq!(RecoveryPhrase::parse(&eleven).unwrap_err(), MnemonicError::WordCount { found: 11 });
    // 18 words is valid BIP39 but not a phrase Blixtra makes or expects.
    let eighteen = "abandon ".repeat(17) + "agent";
    assert_eq!(RecoveryPhrase::parse(&eighteen).unwrap_err(), MnemonicError::WordCount { found: 18 });
    assert_eq!(RecoveryPhrase::parse("").unwrap_err(), MnemonicError::WordCount { found: 0 });
}

#[test]
fn an_unknown_word_is_named_by_its_position() {
    let typo = "abandon abandon abandon abandon abandon abandon abandn abandon abandon abandon abandon about";
    let err = RecoveryPhrase::parse(typo).unwrap_err();
    assert_eq!(err, MnemonicError::UnknownWord { position: 7 });
    assert!(err.to_string().contains("word 7"));
    assert!(!err.to_string().contains("abandn"), "the error does not repeat the word");
}

#[test]
fn a_bad_checksum_is_named() {
    let swapped_last = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon";
    assert_eq!(RecoveryPhrase::parse(swapped_last).unwrap_err(), MnemonicError::Checksum);
}

#[test]
fn debug_output_never_shows_the_words() {
    let phrase = RecoveryPhrase::parse(VECTORS[0].1).expect("valid");
    assert_eq!(format!("{phrase:?}"), "RecoveryPhrase(12 words, redacted)");
}
