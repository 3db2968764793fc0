//! How many guesses a passphrase would take someone who has the sealed store and tries the likeliest
//! passphrases first, estimated the way zxcvbn does it: the passphrase is cut into pieces, each piece
//! is costed as the cheapest pattern it fits (a common password or word, a keyboard run, a sequence, a
//! repeat, a year, or random characters), and the costs add up.
//!
//! Written here rather than taken from the `zxcvbn` crate: that crate carries dictionaries of some
//! 30,000 words and a regex engine, more than the whole page's WebAssembly is meant to weigh
//! (issue 18). This one knows the passwords that are guessed first and treats other words as words,
//! not as random letters, which keeps its estimate on the low side.

/// Below this many guesses a new passphrase is refused: about a day of a thousand cores, each doing a
/// few of the vault's Argon2id derivations (19 MiB, 12 passes) a second.
pub const MIN_GUESSES_LOG10: f64 = 8.0;

/// What a person is told about a new passphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    /// Refused: among the first guesses anyone tries.
    TooGuessable,
    Fair,
    Good,
    Strong,
}

/// The estimate: about `10^guesses_log10` guesses, and what that means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub guesses_log10: f64,
    pub strength: Strength,
}

/// The passwords and words tried first (leaked-password lists' head, and this wallet's own names),
/// most common first. Lower case, letters only: pieces are compared without their digits and symbols.
const COMMON: &[&str] = &[
    "password",
    "qwerty",
    "abc",
    "iloveyou",
    "admin",
    "welcome",
    "monkey",
    "dragon",
    "letmein",
    "football",
    "baseball",
    "master",
    "sunshine",
    "princess",
    "shadow",
    "superman",
    "michael",
    "login",
    "passw",
    "hello",
    "freedom",
    "whatever",
    "trustno",
    "starwars",
    "charlie",
    "secret",
    "jordan",
    "hunter",
    "ranger",
    "buster",
    "soccer",
    "harley",
    "batman",
    "andrew",
    "tigger",
    "jennifer",
    "joshua",
    "pepper",
    "summer",
    "ginger",
    "hockey",
    "killer",
    "george",
    "asshole",
    "computer",
    "michelle",
    "jessica",
    "pussy",
    "cheese",
    "daniel",
    "love",
    "lovely",
    "flower",
    "angel",
    "cookie",
    "chocolate",
    "pokemon",
    "naruto",
    "samsung",
    "apple",
    "google",
    "qazwsx",
    "zaq",
    "passwort",
    "motdepasse",
    "hej",
    "losenord",
    "bitcoin",
    "satoshi",
    "nakamoto",
    "lightning",
    "wallet",
    "blixtra",
    "crypto",
    "money",
    "ethereum",
    "changeme",
    "default",
    "test",
    "guest",
    "user",
    "root",
    "pass",
    "mypassword",
    "secure",
    "private",
    "access",
];

const KEYBOARD_ROWS: &[&str] = &["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "azertyuiop"];

/// Estimates how many guesses `passphrase` would take.
pub fn estimate(passphrase: &str) -> Estimate {
    let chars: Vec<char> = passphrase.chars().collect();
    let whole: String = chars.iter().filter(|c| c.is_alphabetic()).flat_map(|c| c.to_lowercase()).collect();
    let mut bits: f64 = if let Some(rank) = common_rank(&whole).filter(|_| chars.len() <= whole.len() + 4) {
        // A common password with a little decoration ("Password1!") costs its rank and the decoration.
        (rank as f64 + 2.0).log2() + 2.0 + (chars.len() - whole.len()) as f64 * 2.0
    } else {
        let pieces = pieces(&chars);
        let count = pieces.len() as f64;
        pieces.iter().map(|piece| cost(piece)).sum::<f64>() + count.log2()
    };
    bits = bits.max(0.0);
    let guesses_log10 = bits * std::f64::consts::LOG10_2;
    let strength = match guesses_log10 {
        g if g < MIN_GUESSES_LOG10 => Strength::TooGuessable,
        g if g < 10.0 => Strength::Fair,
        g if g < 14.0 => Strength::Good,
        _ => Strength::Strong,
    };
    Estimate { guesses_log10, strength }
}

/// Runs of letters, of digits, and of anything else.
fn pieces(chars: &[char]) -> Vec<Vec<char>> {
    let class = |c: char| {
        if c.is_alphabetic() {
            0
        } else if c.is_ascii_digit() {
            1
        } else {
            2
        }
    };
    let mut pieces: Vec<Vec<char>> = Vec::new();
    for &c in chars {
        match pieces.last_mut() {
            Some(last) if class(last[0]) == class(c) => last.push(c),
            _ => pieces.push(vec![c]),
        }
    }
    pieces
}

/// Bits of one piece: the cheapest pattern it fits.
fn cost(piece: &[char]) -> f64 {
    let len = piece.len() as f64;
    let lower: String = piece.iter().flat_map(|c| c.to_lowercase()).collect();
    let capitals = piece.iter().filter(|c| c.is_uppercase()).count();
    // Capitals: the first alone is one guess in two; more are a choice among positions.
    let capital_bits = match capitals {
        0 => 0.0,
        1 if piece[0].is_uppercase() => 1.0,
        n => (n as f64 + 1.0).log2() * 2.0,
    };
    let mut options = vec![];
    if let Some(rank) = common_rank(&lower) {
        options.push((rank as f64 + 2.0).log2() + capital_bits);
    }
    if piece.len() >= 3 && piece.windows(2).all(|w| w[0] == w[1]) {
        options.push(pool_bits(piece[0]) + len.log2());
    }
    if piece.len() >= 3 && is_sequence(piece) {
        options.push(len.log2() + 3.0);
    }
    if piece.len() >= 4
        && KEYBOARD_ROWS.iter().any(|row| row.contains(lower.as_str()) || row.chars().rev().collect::<String>().contains(lower.as_str()))
    {
        options.push(len.log2() + 4.0);
    }
    if piece.len() == 4 && (lower.starts_with("19") || lower.starts_with("20")) && piece.iter().all(char::is_ascii_digit) {
        // A year.
        options.push(7.0);
    }
    let random = if piece[0].is_alphabetic() {
        // Letters are costed as words, not random letters: about 2.5 bits a letter.
        len * 2.5 + capital_bits
    } else if piece[0] == ' ' && piece.len() == 1 {
        // A single space between words: the usual separator.
        1.0
    } else {
        len * pool_bits(piece[0])
    };
    options.push(random);
    options.into_iter().fold(f64::INFINITY, f64::min)
}

fn pool_bits(c: char) -> f64 {
    if c.is_ascii_digit() {
        10f64.log2()
    } else if c.is_alphabetic() {
        26f64.log2()
    } else {
        33f64.log2()
    }
}

fn is_sequence(piece: &[char]) -> bool {
    let steps: Vec<i64> = piece.windows(2).map(|w| w[1] as i64 - w[0] as i64).collect();
    steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == -1)
}

/// The rank of `word` among the common passwords, also with a common one as its start ("password123"
/// has been cut already; "passwordpassword" is one here).
fn common_rank(word: &str) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    COMMON.iter().position(|common| word == *common || word == common.repeat(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strength(passphrase: &str) -> Strength {
        estimate(passphrase).strength
    }

    #[test]
    fn the_first_guesses_anyone_tries_are_refused() {
        for weak in [
            "password",
            "Password1!",
            "password123",
            "12345678",
            "aaaaaaaa",
            "qwertyuiop",
            "abcdefgh",
            "iloveyou2024",
            "Blixtra2024",
            "bitcoin!",
            "hunter22",
            "asdfghjkl;",
            "passwordpassword",
            "87654321",
        ] {
            assert_eq!(strength(weak), Strength::TooGuessable, "{weak}: {:?}", estimate(weak));
        }
    }

    #[test]
    fn words_of_ones_own_and_random_characters_pass() {
        for fine in [
            "correct horse battery staple",
            "benchmark passphrase, not a secret",
            "Xk9#mQ2z!pL",
            "my cat eats ginger biscuits",
            "tre små grisar dansar",
        ] {
            assert_ne!(strength(fine), Strength::TooGuessable, "{fine}: {:?}", estimate(fine));
        }
        assert_eq!(strength("correct horse battery staple"), Strength::Strong);
    }

    #[test]
    fn longer_is_stronger() {
        let short = estimate("ginger biscuits").guesses_log10;
        let long = estimate("ginger biscuits for the cat").guesses_log10;
        assert!(long > short + 4.0, "{short} → {long}");
    }
}
