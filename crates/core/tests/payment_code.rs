//! The payment code's server answers with paths to it: what the node takes from that answer, and
//! each way an answer is refused.

use bitcoin::hex::DisplayHex as _;
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use blixtra_core::node::error::PaymentCodeFault;
use blixtra_core::node::payment::payment_code::paths_from_answer;
use lightning::blinded_path::message::{BlindedMessagePath, MessageContext, OffersContext};
use lightning::sign::{KeysManager, ReceiveAuthKey};
use lightning::util::ser::Writeable as _;

/// A path to a server, encoded as LDK Node's `blinded_paths_for_async_recipient` answer is.
fn paths(count: usize) -> (Vec<BlindedMessagePath>, String) {
    let secp = Secp256k1::new();
    let server = PublicKey::from_secret_key(&secp, &SecretKey::from_slice(&[3; 32]).expect("a key"));
    let keys = KeysManager::new(&[9; 32], 1, 2, true);
    let paths: Vec<BlindedMessagePath> = (0..count)
        .map(|_| {
            BlindedMessagePath::one_hop(
                server,
                ReceiveAuthKey([5; 32]),
                MessageContext::Offers(OffersContext::InvoiceRequest { nonce: lightning::offers::nonce::Nonce::from_entropy_source(&keys) }),
                &keys,
                &secp,
            )
        })
        .collect();
    let hex = paths.encode().to_lower_hex_string();
    (paths, hex)
}

fn answer(paths_hex: &str) -> Vec<u8> {
    serde_json::json!({ "paths": paths_hex }).to_string().into_bytes()
}

fn is_bad_answer(result: Result<Vec<BlindedMessagePath>, PaymentCodeFault>) -> bool {
    matches!(result, Err(PaymentCodeFault::BadAnswer { .. }))
}

#[test]
fn the_servers_paths_are_read_whole() {
    let (sent, hex) = paths(2);
    assert_eq!(paths_from_answer(&answer(&hex)).expect("two paths"), sent);
    assert_eq!(paths_from_answer(&answer(&format!(" {hex}\n"))).expect("spaces around are no matter"), sent);
}

#[test]
fn an_answer_that_is_not_paths_is_refused() {
    let (_, hex) = paths(1);
    assert!(is_bad_answer(paths_from_answer(b"<html>not found</html>")), "not JSON");
    assert!(is_bad_answer(paths_from_answer(br#"{"address": "bcrt1q..."}"#)), "JSON without paths");
    assert!(is_bad_answer(paths_from_answer(&answer("zz"))), "not hex");
    assert!(is_bad_answer(paths_from_answer(&answer(&hex[..hex.len() - 8]))), "cut short");
    assert!(is_bad_answer(paths_from_answer(&answer(&format!("{hex}00")))), "bytes after the paths");
    let (_, none) = paths(0);
    assert!(is_bad_answer(paths_from_answer(&answer(&none))), "no paths at all");
    let huge = answer(&"00".repeat(40_000));
    assert!(is_bad_answer(paths_from_answer(&huge)), "far larger than paths are");
}
