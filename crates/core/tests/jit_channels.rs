//! Buying a just-in-time channel (LSPS2): which offer of an LSP's menu the wallet takes for an
//! amount, each refusal with its reason, and which payments through such a channel it claims.

use std::time::Duration;

use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use blixtra_core::node::error::LspFault;
use blixtra_core::node::payment::jit::{choose_offer, fee_taken_is_agreed};
use blixtra_core::node::payment::{PaymentDirection, PaymentKind, PaymentRecord};
use lightning::ln::channelmanager::PaymentId;
use lightning_liquidity::lsps0::ser::LSPSDateTime;
use lightning_liquidity::lsps2::msgs::LSPS2OpeningFeeParams;
use lightning_types::payment::PaymentHash;

const NOW: Duration = Duration::from_secs(1_800_000_000);
const HOUR: Duration = Duration::from_secs(3600);

fn lsp() -> PublicKey {
    SecretKey::from_slice(&[7; 32]).expect("a key").public_key(&Secp256k1::new())
}

/// An offer: `ppm` of the amount, at least `min_fee_msat`, for payments in `range_msat`.
fn offer(min_fee_msat: u64, ppm: u32, range_msat: (u64, u64), valid_for: Duration) -> LSPS2OpeningFeeParams {
    LSPS2OpeningFeeParams {
        min_fee_msat,
        proportional: ppm,
        valid_until: LSPSDateTime::new_from_duration_since_epoch(NOW + valid_for),
        min_lifetime: 144,
        max_client_to_self_delay: 2016,
        min_payment_size_msat: range_msat.0,
        max_payment_size_msat: range_msat.1,
        promise: "signed by the LSP".to_owned(),
    }
}

#[test]
fn the_cheapest_offer_for_the_amount_is_taken() {
    // hub's terms on the devnet: 1%, at least 2,000 sats, for 10,000 sats to 0.1 BTC.
    let hub = offer(2_000_000, 10_000, (10_000_000, 10_000_000_000), HOUR);
    let (quote, terms) = choose_offer(lsp(), std::slice::from_ref(&hub), 50_000_000, NOW).expect("an offer");
    assert_eq!((quote.fee_msat, quote.amount_msat), (2_000_000, 50_000_000), "50,000 sats: the minimum fee of 2,000 sats");
    assert_eq!((quote.min_payment_msat, quote.max_payment_msat), (10_000_000, 10_000_000_000));
    assert_eq!(quote.valid_until_secs, (NOW + HOUR).as_secs());
    assert_eq!(terms, hub, "bought on the terms the LSP signed, unchanged");
    let (large, _) = choose_offer(lsp(), std::slice::from_ref(&hub), 1_000_000_000, NOW).expect("an offer");
    assert_eq!(large.fee_msat, 10_000_000, "a million sats: 1%");

    // Of two offers for the amount, the one that costs less for it, whichever is listed first.
    let flat = offer(1_500_000, 0, (10_000_000, 100_000_000), HOUR);
    let (cheaper, terms) = choose_offer(lsp(), &[hub.clone(), flat.clone()], 50_000_000, NOW).expect("an offer");
    assert_eq!((cheaper.fee_msat, terms), (1_500_000, flat));
}

#[test]
fn an_offer_about_to_expire_is_not_taken() {
    let stale = offer(1_000_000, 0, (10_000_000, 100_000_000), Duration::from_secs(30));
    let fresh = offer(2_000_000, 0, (10_000_000, 100_000_000), HOUR);
    assert_eq!(choose_offer(lsp(), std::slice::from_ref(&stale), 50_000_000, NOW).unwrap_err(), LspFault::NoValidOffer);
    let (quote, _) = choose_offer(lsp(), &[stale, fresh], 50_000_000, NOW).expect("the fresh offer");
    assert_eq!(quote.fee_msat, 2_000_000, "the cheaper offer expires within a minute: the dearer one is quoted");
}

#[test]
fn an_amount_no_offer_takes_is_refused_with_the_range() {
    let menu = [offer(2_000_000, 10_000, (10_000_000, 100_000_000), HOUR), offer(2_000_000, 10_000, (50_000_000, 500_000_000), HOUR)];
    let range = LspFault::AmountOutOfRange { min_msat: 10_000_000, max_msat: 500_000_000 };
    assert_eq!(choose_offer(lsp(), &menu, 9_999_999, NOW).unwrap_err(), range);
    assert_eq!(choose_offer(lsp(), &menu, 500_000_001, NOW).unwrap_err(), range);
}

#[test]
fn a_fee_that_takes_all_of_the_payment_is_refused() {
    let menu = [offer(20_000_000, 0, (1_000_000, 100_000_000), HOUR)];
    assert_eq!(choose_offer(lsp(), &menu, 20_000_000, NOW).unwrap_err(), LspFault::FeeAboveAmount { fee_msat: 20_000_000, amount_msat: 20_000_000 });
}

fn received(kind: PaymentKind) -> PaymentRecord {
    PaymentRecord::new(PaymentId([1; 32]), kind, PaymentDirection::Inbound, Some(50_000_000), NOW)
}

#[test]
fn a_payment_is_claimed_short_only_of_the_fee_agreed() {
    let hash = PaymentHash([1; 32]);
    let jit = received(PaymentKind::Jit { hash, preimage: None, secret: None, opening_fee_msat: None, agreed_fee_msat: Some(2_000_000) });
    assert!(fee_taken_is_agreed(Some(&jit), 2_000_000), "the fee agreed");
    assert!(fee_taken_is_agreed(Some(&jit), 1_999_000), "less than agreed");
    assert!(!fee_taken_is_agreed(Some(&jit), 2_000_001), "one msat more than agreed");

    // A plain invoice arrives whole, and so does a payment the history does not know.
    let bolt11 = received(PaymentKind::Bolt11 { hash, preimage: None, secret: None });
    assert!(fee_taken_is_agreed(Some(&bolt11), 0));
    assert!(!fee_taken_is_agreed(Some(&bolt11), 1));
    assert!(!fee_taken_is_agreed(None, 1));
    assert!(fee_taken_is_agreed(None, 0));
}

#[test]
fn an_offer_that_allows_a_shorter_delay_than_the_wallet_asks_is_not_taken() {
    // The wallet asks every peer to wait 2016 blocks after a force close of its own.
    let short = LSPS2OpeningFeeParams { max_client_to_self_delay: 144, ..offer(1_000_000, 0, (10_000_000, 100_000_000), HOUR) };
    let long = offer(2_000_000, 0, (10_000_000, 100_000_000), HOUR);
    assert_eq!(
        choose_offer(lsp(), std::slice::from_ref(&short), 50_000_000, NOW).unwrap_err(),
        LspFault::DelayTooShort { max_blocks: 144, ours: 2016 }
    );
    let (quote, terms) = choose_offer(lsp(), &[short, long.clone()], 50_000_000, NOW).expect("the offer that allows 2016 blocks");
    assert_eq!((quote.fee_msat, terms), (2_000_000, long), "the cheaper offer cannot open the channel the wallet asks for");
}
