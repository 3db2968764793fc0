//! Authenticated encryption (XChaCha20-Poly1305) of byte strings bound to their context, and the keyed
//! hash (HMAC-SHA256) that blinds record names. The keys come from the vault's random data key.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 24;
pub const TAG_LEN: usize = 16;
/// Bytes a sealed box adds to its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// Bytes of HMAC output kept in a blinded name: 128 bits, far past any chance of collision in one wallet.
const BLINDED_LEN: usize = 16;

/// A sealed box could not be opened: wrong key, or the bytes or their context were changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFailed;

/// A 256-bit symmetric key, wiped from memory when dropped.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl SecretKey {
    /// Makes a new key from the platform CSPRNG.
    pub fn random() -> Self {
        Self(Zeroizing::new(crate::random_bytes::<KEY_LEN>()))
    }

    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Derives an independent subkey for one purpose (HKDF-SHA256 with `purpose` as the info string).
    pub fn derive(&self, purpose: &str) -> SecretKey {
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        hkdf::Hkdf::<Sha256>::new(None, &self.0[..]).expand(purpose.as_bytes(), &mut out[..]).expect("32 bytes is a valid HKDF-SHA256 output length");
        SecretKey(out)
    }

    /// Encrypts `plaintext` with a fresh random nonce, authenticating `context` with it: the box opens
    /// only with the same key and the same context. Returns `nonce ‖ ciphertext ‖ tag`.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = crate::random_bytes::<NONCE_LEN>();
        let ciphertext = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: context })
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Opens a box made by [`SecretKey::seal`] with the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenFailed> {
        if sealed.len() < OVERHEAD {
            return Err(OpenFailed);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher().decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context }).map(Zeroizing::new).map_err(|_| OpenFailed)
    }

    /// Returns a keyed hash of `parts` as 32 lowercase hex digits. Parts are length-prefixed, so
    /// `["ab", "c"]` and `["a", "bc"]` blind differently.
    pub fn blind(&self, parts: &[&str]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0[..]).expect("HMAC takes a key of any length");
        for part in parts {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part.as_bytes());
        }
        let digest = mac.finalize().into_bytes();
        digest[..BLINDED_LEN].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Returns the keyed hash (HMAC-SHA256) of `bytes`: a tag only the holder of this key can make.
    pub fn mac(&self, bytes: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0[..]).expect("HMAC takes a key of any length");
        mac.update(bytes);
        mac.finalize().into_bytes().into()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.0).into())
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_box_opens_with_its_key_and_context() {
        let key = SecretKey::random();
        let sealed = key.seal(b"ctx", b"hello");
        assert_eq!(sealed.len(), 5 + OVERHEAD);
        assert_eq!(key.open(b"ctx", &sealed).as_deref().map(|v| v.as_slice()), Ok(&b"hello"[..]));
    }

    #[test]
    fn a_sealed_box_refuses_another_key_another_context_or_a_changed_byte() {
        let key = SecretKey::random();
        let sealed = key.seal(b"ctx", b"hello");
        assert_eq!(SecretKey::random().open(b"ctx", &sealed), Err(OpenFailed));
        assert_eq!(key.open(b"other", &sealed), Err(OpenFailed));
        for i in 0..sealed.len() {
            let mut changed = sealed.clone();
            changed[i] ^= 0x01;
            assert_eq!(key.open(b"ctx", &changed), Err(OpenFailed), "byte {i} flipped");
        }
        assert_eq!(key.open(b"ctx", &sealed[..sealed.len() - 1]), Err(OpenFailed));
        assert_eq!(key.open(b"ctx", &sealed[..10]), Err(OpenFailed));
    }

    #[test]
    fn sealing_twice_gives_different_boxes() {
        let key = SecretKey::random();
        assert_ne!(key.seal(b"", b"same"), key.seal(b"", b"same"));
    }

    #[test]
    fn blinding_is_keyed_deterministic_and_unambiguous() {
        let key = SecretKey::from_bytes([7; KEY_LEN]);
        assert_eq!(key.blind(&["a", "b"]), key.blind(&["a", "b"]));
        assert_eq!(key.blind(&["a", "b"]).len(), 32);
        assert_ne!(key.blind(&["ab", "c"]), key.blind(&["a", "bc"]));
        assert_ne!(key.blind(&["a"]), SecretKey::from_bytes([8; KEY_LEN]).blind(&["a"]));
    }

    #[test]
    fn derived_subkeys_differ_by_purpose() {
        let key = SecretKey::from_bytes([1; KEY_LEN]);
        assert_ne!(key.derive("one").as_bytes(), key.derive("two").as_bytes());
        assert_eq!(key.derive("one").as_bytes(), key.derive("one").as_bytes());
    }
}
