//! What a person hands the node is checked before anything happens: invoices (form, network,
//! expiry, amount), keysends (amount, destination, custom records, refused as LDK would but each
//! saying why), peer addresses, the proxy URL template. Channel funds come back to the on-chain
//! wallet's script.

use std::rc::Rc;
use std::str::FromStr;
use std::time::Duration;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::PublicKey;
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Network, ScriptBuf};
use blixtra_core::node::error::CustomRecordProblem;
use blixtra_core::node::net::{proxy_url, ConnectError, PeerUri};
use blixtra_core::node::payment::bolt11::check_invoice;
use blixtra_core::node::payment::keysend::{check_custom_records, check_keysend, route_params, Keysend};
use blixtra_core::node::payment::{check_room, PaymentPaths};
use blixtra_core::node::signer::WalletSigner;
use blixtra_core::node::NodeError;
use lightning::ln::channelmanager::RecipientOnionFields;
use lightning::routing::router::Payee;
use lightning::sign::{KeysManager, SignerProvider};
use lightning_invoice::{Currency, InvoiceBuilder};
use lightning_types::payment::PaymentSecret;

const NOW: Duration = Duration::from_secs(1_800_000_000);
const HUB: &str = "027cf7c81dc777e46572ff964f17650a0f6f783319fcc140fb9a69425e2fbdc93c";

fn invoice(currency: Currency, amount_msat: Option<u64>, created: Duration, expiry: Duration) -> String {
    let key = SecretKey::from_slice(&[0x11; 32]).expect("a key");
    let builder = InvoiceBuilder::new(currency)
        .description("coffee".into())
        .payment_hash(sha256::Hash::from_byte_array([1; 32]))
        .payment_secret(PaymentSecret([2; 32]))
        .duration_since_epoch(created)
        .min_final_cltv_expiry_delta(144)
        .expiry_time(expiry);
    let signed = match amount_msat {
        Some(amount) => builder.amount_milli_satoshis(amount).build_signed(|hash| Secp256k1::new().sign_ecdsa_recoverable(hash, &key)),
        None => builder.build_signed(|hash| Secp256k1::new().sign_ecdsa_recoverable(hash, &key)),
    };
    signed.expect("a valid invoice").to_string()
}

#[test]
fn a_good_invoice_passes_with_or_without_the_lightning_prefix() {
    let text = invoice(Currency::Regtest, Some(21_000), NOW - Duration::from_secs(60), Duration::from_secs(3600));
    assert_eq!(check_invoice(&text, Network::Regtest, NOW, None).expect("valid").amount_milli_satoshis(), Some(21_000));
    assert!(check_invoice(&format!("  LIGHTNING:{text}\n"), Network::Regtest, NOW, None).is_ok());
}

#[test]
fn garbage_is_not_an_invoice() {
    let refused = check_invoice("lnbcrt1garbage", Network::Regtest, NOW, None).expect_err("garbage");
    assert!(matches!(refused, NodeError::InvalidInvoice(_)), "{refused}");
    assert!(refused.to_string().starts_with("not a valid Lightning invoice"));
}

#[test]
fn an_invoice_of_another_network_is_refused_naming_both() {
    let mainnet = invoice(Currency::Bitcoin, Some(21_000), NOW, Duration::from_secs(3600));
    let refused = check_invoice(&mainnet, Network::Regtest, NOW, None).expect_err("mainnet on regtest");
    assert_eq!(refused, NodeError::WrongNetwork { invoice: Network::Bitcoin, wallet: Network::Regtest });
}

#[test]
fn an_expired_invoice_is_refused() {
    let old = invoice(Currency::Regtest, Some(21_000), NOW - Duration::from_secs(7200), Duration::from_secs(3600));
    assert_eq!(check_invoice(&old, Network::Regtest, NOW, None).expect_err("expired"), NodeError::InvoiceExpired);
}

#[test]
fn an_invoice_without_an_amount_needs_one() {
    let open = invoice(Currency::Regtest, None, NOW, Duration::from_secs(3600));
    assert_eq!(check_invoice(&open, Network::Regtest, NOW, None).expect_err("no amount"), NodeError::AmountNeeded);
    assert_eq!(check_invoice(&open, Network::Regtest, NOW, Some(0)).expect_err("zero"), NodeError::AmountNeeded);
    assert!(check_invoice(&open, Network::Regtest, NOW, Some(5_000)).is_ok());
}

#[test]
fn peer_addresses_parse_and_print_back() {
    let peer = PeerUri::from_str(&format!(" {HUB}@127.0.0.1:9735 ")).expect("valid");
    assert_eq!((peer.host.as_str(), peer.port), ("127.0.0.1", 9735));
    assert_eq!(peer.to_string(), format!("{HUB}@127.0.0.1:9735"));
    let v6 = PeerUri::from_str(&format!("{HUB}@[2001:db8::1]:9735")).expect("valid");
    assert_eq!(v6.host, "2001:db8::1");
    assert_eq!(PeerUri::from_str(&v6.to_string()).expect("round trip"), v6);
}

#[test]
fn bad_peer_addresses_say_what_is_wrong() {
    for (text, why) in [
        ("127.0.0.1:9735", "no '@'"),
        ("02abc@127.0.0.1:9735", "not a public key"),
        (&format!("{HUB}@127.0.0.1") as &str, "no port"),
        (&format!("{HUB}@127.0.0.1:http") as &str, "not a number"),
    ] {
        let refused = PeerUri::from_str(text).expect_err(text);
        assert!(refused.to_string().contains(why), "{text}: {refused}");
    }
}

#[test]
fn the_proxy_template_is_filled_and_checked() {
    assert_eq!(proxy_url("ws://127.0.0.1:9736/v1/{host}/{port}", "127.0.0.1", 9735).expect("valid"), "ws://127.0.0.1:9736/v1/127.0.0.1/9735");
    assert_eq!(proxy_url("wss://p.example/v1/{host}/{port}", "2001:db8::1", 9735).expect("valid"), "wss://p.example/v1/[2001:db8::1]/9735");
    assert!(matches!(proxy_url("https://p.example/v1/{host}/{port}", "h", 1), Err(ConnectError::Invalid { .. })));
    assert!(matches!(proxy_url("ws://p.example/v1/", "h", 1), Err(ConnectError::Invalid { .. })));
}

#[test]
fn channel_funds_come_back_to_the_wallets_script() {
    let keys = Rc::new(KeysManager::new(&[7; 32], 1, 2, true));
    let wallet_script = ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([9; 20]));
    let signer = WalletSigner::new(keys.clone(), wallet_script.clone()).expect("P2WPKH can be closed to");
    assert_eq!(signer.get_shutdown_scriptpubkey().expect("a script").into_inner(), wallet_script);
    assert_eq!(signer.get_destination_script([0; 32]).expect("a script"), wallet_script);
    assert_ne!(keys.get_shutdown_scriptpubkey().expect("LDK's own").into_inner(), wallet_script);
    assert!(WalletSigner::new(keys, ScriptBuf::from_bytes(vec![0x6a, 0x01, 0x00])).is_err(), "an OP_RETURN cannot receive funds");
}

fn node(byte: u8) -> PublicKey {
    PublicKey::from_secret_key(&Secp256k1::new(), &SecretKey::from_slice(&[byte; 32]).expect("a key"))
}

#[test]
fn custom_records_are_taken_sorted_from_the_first_custom_type() {
    let records = vec![(696_969, b"blixtra".to_vec()), (65_536, vec![]), (7_629_169, b"podcast".to_vec())];
    let sorted = check_custom_records(&records).expect("custom types");
    assert_eq!(sorted.iter().map(|(t, _)| *t).collect::<Vec<_>>(), [65_536, 696_969, 7_629_169]);
    assert_eq!(check_custom_records(&[]), Ok(vec![]));
    let full: Vec<(u64, Vec<u8>)> = (0..16).map(|n| (100_000 + n, vec![b'x'; 50])).collect();
    assert_eq!(check_custom_records(&full).expect("16 records of 800 bytes fit").len(), 16);
}

#[test]
fn each_refused_custom_record_says_why() {
    let one = |t: u64| vec![(t, b"x".to_vec())];
    assert_eq!(check_custom_records(&one(5)), Err(CustomRecordProblem::Reserved { record_type: 5 }));
    assert_eq!(check_custom_records(&one(65_535)), Err(CustomRecordProblem::Reserved { record_type: 65_535 }));
    assert_eq!(check_custom_records(&one(5_482_373_484)), Err(CustomRecordProblem::KeysendPreimage));
    assert_eq!(check_custom_records(&one(77_777)), Err(CustomRecordProblem::AsyncPayments));
    let twice = vec![(70_000, b"a".to_vec()), (80_000, vec![]), (70_000, b"b".to_vec())];
    assert_eq!(check_custom_records(&twice), Err(CustomRecordProblem::Duplicate { record_type: 70_000 }));
    let seventeen: Vec<(u64, Vec<u8>)> = (0..17).map(|n| (100_000 + n, vec![])).collect();
    assert_eq!(check_custom_records(&seventeen), Err(CustomRecordProblem::TooMany { count: 17, max: 16 }));
    let large = vec![(70_000, vec![0; 500]), (70_001, vec![0; 301])];
    assert_eq!(check_custom_records(&large), Err(CustomRecordProblem::TooLarge { bytes: 801, max: 800 }));
    assert_eq!(
        CustomRecordProblem::Reserved { record_type: 5 }.to_string(),
        "custom record type 5 is below 65536, the range reserved for the protocol"
    );
}

/// The wallet's check and LDK's agree on every type: what passes here LDK sends, what is refused
/// here LDK would refuse too (with no word of why).
#[test]
fn the_record_check_refuses_exactly_what_ldk_refuses() {
    let cases: Vec<Vec<(u64, Vec<u8>)>> = vec![
        vec![(65_536, vec![1])],
        vec![(65_535, vec![1])],
        vec![(0, vec![])],
        vec![(5_482_373_484, vec![1])],
        vec![(5_482_373_485, vec![1])],
        vec![(77_777, vec![1])],
        vec![(77_778, vec![1])],
        vec![(70_000, vec![1]), (70_000, vec![2])],
        vec![(90_000, vec![1]), (70_000, vec![2])],
        vec![(u64::MAX, vec![1])],
    ];
    for records in cases {
        let ours = check_custom_records(&records);
        let ldk = RecipientOnionFields::spontaneous_empty().with_custom_tlvs(records.clone());
        assert_eq!(ours.is_ok(), ldk.is_ok(), "{records:?}: ours {ours:?}");
        if let (Ok(sorted), Ok(fields)) = (ours, ldk) {
            assert_eq!(fields.custom_tlvs(), &sorted, "LDK sends them in the order checked");
        }
    }
}

#[test]
fn a_keysend_needs_an_amount_another_node_and_good_records() {
    let (own, shop) = (node(1), node(2));
    let keysend = |amount_msat: u64, destination: PublicKey, custom_records: Vec<(u64, Vec<u8>)>| Keysend {
        destination,
        amount_msat,
        custom_records,
        preimage: None,
    };
    assert_eq!(check_keysend(&keysend(1_000_000, shop, vec![(696_969, b"blixtra".to_vec())]), own), Ok(vec![(696_969, b"blixtra".to_vec())]));
    assert_eq!(check_keysend(&keysend(0, shop, vec![]), own), Err(NodeError::ZeroAmount));
    assert_eq!(check_keysend(&keysend(1_000, own, vec![]), own), Err(NodeError::PayingSelf));
    assert_eq!(
        check_keysend(&keysend(1_000, shop, vec![(5, vec![])]), own),
        Err(NodeError::InvalidCustomRecord(CustomRecordProblem::Reserved { record_type: 5 }))
    );
    assert_eq!(NodeError::PayingSelf.to_string(), "the destination is this wallet's own node");
}

/// A keysend travels whole through one channel: the room is the largest channel's, not the sum,
/// so an amount only the channels together could carry is refused before a route is sought.
#[test]
fn a_keysend_must_fit_the_largest_channel_while_an_invoice_may_use_them_all() {
    let limits = [300_000, 500_000, 200_000];
    assert_eq!(check_room(&limits, PaymentPaths::Whole, 500_000), Ok(()));
    assert_eq!(
        check_room(&limits, PaymentPaths::Whole, 500_001),
        Err(NodeError::InsufficientFunds { needed_msat: 500_001, available_msat: 500_000 })
    );
    assert_eq!(check_room(&limits, PaymentPaths::Split, 1_000_000), Ok(()));
    assert_eq!(
        check_room(&limits, PaymentPaths::Split, 1_000_001),
        Err(NodeError::InsufficientFunds { needed_msat: 1_000_001, available_msat: 1_000_000 })
    );
    assert_eq!(check_room(&[], PaymentPaths::Whole, 1), Err(NodeError::InsufficientFunds { needed_msat: 1, available_msat: 0 }));
    assert_eq!(check_room(&[u64::MAX, 1], PaymentPaths::Split, u64::MAX), Ok(()), "no overflow in the sum");
}

/// The fee estimate and the payment ask for the same route: single-path, capped by the fee the
/// payment may pay, so a prompt never shows an estimate above that cap.
#[test]
fn a_keysend_route_is_single_path_and_capped_as_asked() {
    let capped = route_params(node(2), 1_000_000, Some(10_000));
    assert_eq!((capped.final_value_msat, capped.max_total_routing_fee_msat), (1_000_000, Some(10_000)));
    let Payee::Clear { node_id, features: Some(features), .. } = &capped.payment_params.payee else { panic!("a keysend's payee is a node") };
    assert_eq!(*node_id, node(2));
    assert!(!features.supports_basic_mpp(), "a keysend without a payment secret cannot be split");
    assert_ne!(route_params(node(2), 1_000_000, None).max_total_routing_fee_msat, Some(10_000), "without a cap, LDK's default");
}
