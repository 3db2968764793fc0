//! What a person pastes or scans on the Send page is read into a payment request, or refused with
//! the reason: invoices, `bitcoin:` links and bare addresses, in any case, on the right network.

use std::time::Duration;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Address, CompressedPublicKey, Network};
use blixtra_core::payment_request::{OnchainRequest, PaymentRequest, PaymentRequestError};
use lightning_invoice::{Currency, InvoiceBuilder};
use lightning_types::payment::PaymentSecret;

const REGTEST: Network = Network::Regtest;
/// A mainnet P2PKH address (base58, case-sensitive).
const MAINNET_BASE58: &str = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";

fn invoice(currency: Currency) -> String {
    let key = SecretKey::from_slice(&[0x11; 32]).expect("a key");
    InvoiceBuilder::new(currency)
        .description("coffee".into())
        .payment_hash(sha256::Hash::from_byte_array([1; 32]))
        .payment_secret(PaymentSecret([2; 32]))
        .duration_since_epoch(Duration::from_secs(1_800_000_000))
        .min_final_cltv_expiry_delta(144)
        .amount_milli_satoshis(21_000)
        .build_signed(|hash| Secp256k1::new().sign_ecdsa_recoverable(hash, &key))
        .expect("a valid invoice")
        .to_string()
}

fn address_on(network: Network) -> String {
    let key = SecretKey::from_slice(&[0x22; 32]).expect("a key");
    let public = CompressedPublicKey(key.public_key(&Secp256k1::new()));
    Address::p2wpkh(&public, network).to_string()
}

fn parse(text: &str) -> Result<PaymentRequest, PaymentRequestError> {
    PaymentRequest::parse(text, REGTEST)
}

fn lightning(invoice: String, fallback: Option<OnchainRequest>) -> PaymentRequest {
    PaymentRequest::Lightning { invoice, fallback }
}

#[test]
fn an_invoice_is_read_bare_or_with_the_lightning_scheme_in_any_case() {
    let text = invoice(Currency::Regtest);
    assert_eq!(parse(&text), Ok(lightning(text.clone(), None)));
    assert_eq!(parse(&format!("  lightning:{text}\n")), Ok(lightning(text.clone(), None)));
    assert_eq!(parse(&format!("LIGHTNING:{}", text.to_uppercase())), Ok(lightning(text.clone(), None)));
    assert_eq!(parse(&text.to_uppercase()), Ok(lightning(text, None)));
}

#[test]
fn an_unreadable_invoice_carries_the_parsers_reason() {
    let refused = parse("lnbcrt1garbage").expect_err("garbage");
    assert!(matches!(&refused, PaymentRequestError::InvalidInvoice(reason) if !reason.is_empty()), "{refused:?}");
    assert!(refused.to_string().starts_with("not a valid Lightning invoice: "), "{refused}");
    let text = invoice(Currency::Regtest);
    let mixed = format!("{}{}", &text[..10], text[10..].to_uppercase());
    assert!(matches!(parse(&mixed), Err(PaymentRequestError::InvalidInvoice(_))));
}

#[test]
fn an_invoice_of_another_network_is_refused_naming_both() {
    let refused = parse(&invoice(Currency::Bitcoin)).expect_err("mainnet on regtest");
    assert_eq!(refused, PaymentRequestError::InvoiceWrongNetwork { invoice: Network::Bitcoin, wallet: REGTEST });
    assert_eq!(refused.to_string(), "the invoice is for mainnet, but this wallet is on regtest");
}

#[test]
fn a_bare_address_is_an_onchain_request() {
    let address = address_on(REGTEST);
    assert_eq!(parse(&address), Ok(PaymentRequest::Onchain(OnchainRequest::to(address.clone()))));
    assert_eq!(parse(&address.to_uppercase()), Ok(PaymentRequest::Onchain(OnchainRequest::to(address))));
    let mainnet = PaymentRequest::parse(MAINNET_BASE58, Network::Bitcoin).expect("a mainnet address");
    assert_eq!(mainnet.onchain().map(|r| r.address.as_str()), Some(MAINNET_BASE58));
}

#[test]
fn an_address_of_another_network_is_refused_naming_both() {
    let refused = parse(&address_on(Network::Bitcoin)).expect_err("mainnet on regtest");
    assert_eq!(refused, PaymentRequestError::AddressWrongNetwork { address: Network::Bitcoin, wallet: REGTEST });
    assert_eq!(refused.to_string(), "the address is for mainnet, but this wallet is on regtest");
    let refused = PaymentRequest::parse(&address_on(REGTEST), Network::Bitcoin).expect_err("regtest on mainnet");
    assert_eq!(refused, PaymentRequestError::AddressWrongNetwork { address: Network::Regtest, wallet: Network::Bitcoin });
    assert_eq!(parse(MAINNET_BASE58), Err(PaymentRequestError::AddressWrongNetwork { address: Network::Bitcoin, wallet: REGTEST }));
}

#[test]
fn a_bitcoin_link_gives_address_amount_label_and_message() {
    let address = address_on(REGTEST);
    let request = parse(&format!("bitcoin:{address}?amount=0.00021&label=Caf%C3%A9%20Lund&message=Two%20coffees&foo=bar")).expect("a link");
    let expected = OnchainRequest { address, amount_sat: Some(21_000), label: Some("Café Lund".into()), message: Some("Two coffees".into()) };
    assert_eq!(request, PaymentRequest::Onchain(expected));
}

#[test]
fn a_bitcoin_link_without_parameters_is_just_its_address() {
    let address = address_on(REGTEST);
    assert_eq!(parse(&format!("bitcoin:{address}")), Ok(PaymentRequest::Onchain(OnchainRequest::to(address.clone()))));
    assert_eq!(parse(&format!("bitcoin:{address}?")), Ok(PaymentRequest::Onchain(OnchainRequest::to(address))));
}

#[test]
fn a_bitcoin_links_invoice_is_preferred_with_the_address_as_fallback() {
    let (address, text) = (address_on(REGTEST), invoice(Currency::Regtest));
    let request = parse(&format!("bitcoin:{address}?amount=1&lightning={text}")).expect("a unified link");
    let fallback = OnchainRequest { amount_sat: Some(100_000_000), ..OnchainRequest::to(address.clone()) };
    assert_eq!(request, lightning(text.clone(), Some(fallback.clone())));
    assert_eq!(request.onchain(), Some(&fallback));
    assert_eq!(parse(&format!("bitcoin:?lightning={text}")), Ok(lightning(text, None)));
}

#[test]
fn an_upper_case_qr_link_reads_like_a_lower_case_one() {
    let (address, text) = (address_on(REGTEST), invoice(Currency::Regtest));
    let scanned = format!("BITCOIN:{}?AMOUNT=0.001&LIGHTNING={}", address.to_uppercase(), text.to_uppercase());
    let fallback = OnchainRequest { amount_sat: Some(100_000), ..OnchainRequest::to(address) };
    assert_eq!(parse(&scanned), Ok(lightning(text, Some(fallback))));
}

#[test]
fn a_malformed_amount_is_refused_quoting_it() {
    let address = address_on(REGTEST);
    for amount in ["abc", "-1", "0.000000001", "1,5", ""] {
        let refused = parse(&format!("bitcoin:{address}?amount={amount}")).expect_err(amount);
        assert_eq!(refused, PaymentRequestError::InvalidAmount { value: amount.to_owned() });
    }
    assert!(parse(&format!("bitcoin:{address}?amount=abc")).expect_err("abc").to_string().contains("\"abc\""));
}

#[test]
fn an_unknown_required_parameter_refuses_the_link_but_an_optional_one_does_not() {
    let address = address_on(REGTEST);
    assert_eq!(parse(&format!("bitcoin:{address}?REQ-Pop=x")), Err(PaymentRequestError::UnknownRequirement { parameter: "req-pop".into() }));
    assert!(parse(&format!("bitcoin:{address}?pop=x&somethingelse")).is_ok());
}

#[test]
fn a_parameter_given_twice_is_refused() {
    let address = address_on(REGTEST);
    let refused = parse(&format!("bitcoin:{address}?amount=1&amount=2")).expect_err("two amounts");
    assert_eq!(refused, PaymentRequestError::RepeatedParameter { parameter: "amount".into() });
}

#[test]
fn a_parameter_that_is_not_text_is_refused() {
    let address = address_on(REGTEST);
    let refused = parse(&format!("bitcoin:{address}?label=%FF%FE")).expect_err("not UTF-8");
    assert_eq!(refused, PaymentRequestError::UnreadableParameter { parameter: "label".into() });
}

#[test]
fn a_bitcoin_link_with_a_bad_part_is_refused_for_that_part() {
    let address = address_on(REGTEST);
    assert!(matches!(parse("bitcoin:bcrt1qnotanaddress"), Err(PaymentRequestError::InvalidAddress(_))));
    assert!(matches!(parse(&format!("bitcoin:{address}?lightning=lnbcrt1garbage")), Err(PaymentRequestError::InvalidInvoice(_))));
    let mainnet_invoice = format!("bitcoin:{address}?lightning={}", invoice(Currency::Bitcoin));
    assert_eq!(parse(&mainnet_invoice), Err(PaymentRequestError::InvoiceWrongNetwork { invoice: Network::Bitcoin, wallet: REGTEST }));
    assert_eq!(
        parse(&format!("bitcoin:{}", address_on(Network::Bitcoin))),
        Err(PaymentRequestError::AddressWrongNetwork { address: Network::Bitcoin, wallet: REGTEST })
    );
    assert_eq!(parse("bitcoin:?label=nothing"), Err(PaymentRequestError::NothingToPay));
}

#[test]
fn empty_text_and_strangers_are_refused() {
    assert_eq!(parse(""), Err(PaymentRequestError::Empty));
    assert_eq!(parse(" \n\t"), Err(PaymentRequestError::Empty));
    assert_eq!(parse("hello world"), Err(PaymentRequestError::NotRecognised));
    assert_eq!(parse("https://example.com/pay"), Err(PaymentRequestError::NotRecognised));
    assert!(matches!(parse("bcrt1qtypo"), Err(PaymentRequestError::InvalidAddress(_))));
}
