//! What a person pastes or scans on the Send page, read into a [`PaymentRequest`]: a BOLT11 invoice
//! (with or without `lightning:`), a BIP21 `bitcoin:` link (its `lightning=` invoice preferred), or a
//! bare address; each checked for the wallet's network.
//!
//! Only reading happens here: whether an invoice has expired or still needs an amount is for the
//! node to check when it is paid ([`crate::node::lightning_node::check_invoice`]).
//!
//! (Why not the `bip21` crate: its errors are opaque, so a person could not be told whether the
//! amount, the address or the network was wrong, and it does not accept the upper-case parameter
//! names that QR codes use. A link is small: a scheme, an address and `&`-separated parameters.)

use std::borrow::Cow;
use std::str::FromStr;

use bitcoin::address::NetworkUnchecked;
use bitcoin::{Address, Amount, Denomination, Network};
use lightning_invoice::Bolt11Invoice;

const LIGHTNING_SCHEME: &str = "lightning:";
const BITCOIN_SCHEME: &str = "bitcoin:";
/// BIP21: a parameter whose name starts with this must be understood, or the link refused.
const REQUIRED_PREFIX: &str = "req-";

/// What to pay, as read from a pasted or scanned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentRequest {
    /// A BOLT11 invoice, written as the wallet writes it (lower case, no `lightning:`). `fallback`
    /// is the on-chain part of the `bitcoin:` link that carried it, if one did.
    Lightning { invoice: String, fallback: Option<OnchainRequest> },
    /// An address to pay on chain, with what a `bitcoin:` link said about the payment.
    Onchain(OnchainRequest),
}

/// An on-chain payment as a `bitcoin:` link (or a bare address) asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnchainRequest {
    /// The address, checked for the wallet's network, written as the wallet writes it (bech32 in
    /// lower case).
    pub address: String,
    /// The amount the link asks for; `None` when the payer chooses.
    pub amount_sat: Option<u64>,
    /// Who is paid, as the link names them.
    pub label: Option<String>,
    /// What the payment is for, as the link says.
    pub message: Option<String>,
}

/// Why a pasted or scanned text is not something this wallet can pay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentRequestError {
    #[error("there is nothing to read: paste or scan an invoice, a bitcoin: link or an address")]
    Empty,
    #[error("this is not a Lightning invoice, a bitcoin: link or a Bitcoin address")]
    NotRecognised,
    /// The text looked like an invoice; the invoice parser's reason.
    #[error("not a valid Lightning invoice: {0}")]
    InvalidInvoice(String),
    /// The text looked like an address; the address parser's reason.
    #[error("not a valid Bitcoin address: {0}")]
    InvalidAddress(String),
    #[error("the invoice is for {}, but this wallet is on {}", network_name(*.invoice), network_name(*.wallet))]
    InvoiceWrongNetwork { invoice: Network, wallet: Network },
    #[error("the address is for {}, but this wallet is on {}", network_name(*.address), network_name(*.wallet))]
    AddressWrongNetwork { address: Network, wallet: Network },
    #[error("the amount in the bitcoin: link (\"{value}\") is not an amount of bitcoin")]
    InvalidAmount { value: String },
    #[error("the bitcoin: link's {parameter} is not readable text")]
    UnreadableParameter { parameter: String },
    /// A link that says the same thing twice could mean either; neither is guessed.
    #[error("the bitcoin: link gives its {parameter} twice")]
    RepeatedParameter { parameter: String },
    #[error("the bitcoin: link requires \"{parameter}\", which this wallet does not understand")]
    UnknownRequirement { parameter: String },
    #[error("the bitcoin: link has neither an address nor a Lightning invoice")]
    NothingToPay,
}

impl PaymentRequest {
    /// Reads `text` (surrounding white space ignored, schemes in any case) as a payment request for
    /// a wallet on `network`.
    pub fn parse(text: &str, network: Network) -> Result<PaymentRequest, PaymentRequestError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PaymentRequestError::Empty);
        }
        if let Some(invoice) = strip_scheme(text, LIGHTNING_SCHEME) {
            return Ok(PaymentRequest::Lightning { invoice: parse_invoice(invoice, network)?, fallback: None });
        }
        if let Some(link) = strip_scheme(text, BITCOIN_SCHEME) {
            return parse_bitcoin_link(link, network);
        }
        if starts_with_ignoring_case(text, "ln") {
            return Ok(PaymentRequest::Lightning { invoice: parse_invoice(text, network)?, fallback: None });
        }
        match Address::from_str(text) {
            Ok(address) => Ok(PaymentRequest::Onchain(OnchainRequest::to(checked_address(address, network)?))),
            // A bech32 prefix says the person meant an address: the parser's reason helps more.
            Err(e) if ["bc1", "tb1", "bcrt1"].iter().any(|hrp| starts_with_ignoring_case(text, hrp)) => {
                Err(PaymentRequestError::InvalidAddress(e.to_string()))
            }
            Err(_) => Err(PaymentRequestError::NotRecognised),
        }
    }

    /// Returns the on-chain part: the request itself, or the fallback of a `bitcoin:` link's invoice.
    pub fn onchain(&self) -> Option<&OnchainRequest> {
        match self {
            PaymentRequest::Lightning { fallback, .. } => fallback.as_ref(),
            PaymentRequest::Onchain(request) => Some(request),
        }
    }
}

impl OnchainRequest {
    /// Returns a request to pay `address` with nothing else said.
    pub fn to(address: String) -> OnchainRequest {
        OnchainRequest { address, amount_sat: None, label: None, message: None }
    }
}

/// Returns the rest of `text` after `scheme`, which may be in any case (QR codes use upper case).
fn strip_scheme<'a>(text: &'a str, scheme: &str) -> Option<&'a str> {
    starts_with_ignoring_case(text, scheme).then(|| &text[scheme.len()..])
}

fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Parses a BOLT11 invoice and checks its network; returns it as the wallet writes it.
fn parse_invoice(text: &str, network: Network) -> Result<String, PaymentRequestError> {
    // Bech32 is read in one case; an invoice from an upper-case QR code is lowered whole (a mixed
    // case one is left for the parser to refuse, as bech32 says).
    let text = match text.bytes().any(|b| b.is_ascii_lowercase()) {
        true => Cow::Borrowed(text),
        false => Cow::Owned(text.to_ascii_lowercase()),
    };
    let invoice = Bolt11Invoice::from_str(&text).map_err(|e| PaymentRequestError::InvalidInvoice(e.to_string()))?;
    if invoice.network() != network {
        return Err(PaymentRequestError::InvoiceWrongNetwork { invoice: invoice.network(), wallet: network });
    }
    Ok(invoice.to_string())
}

/// Checks an address's network; returns it as the wallet writes it.
fn checked_address(address: Address<NetworkUnchecked>, network: Network) -> Result<String, PaymentRequestError> {
    if address.is_valid_for_network(network) {
        return Ok(address.assume_checked().to_string());
    }
    // Every address that parses is valid on one of these: `bc`, `tb` and `bcrt` are the only
    // prefixes bitcoin knows, and base58 ones are mainnet or test.
    let found =
        [Network::Bitcoin, Network::Testnet, Network::Regtest].into_iter().find(|n| address.is_valid_for_network(*n)).unwrap_or(Network::Testnet);
    Err(PaymentRequestError::AddressWrongNetwork { address: found, wallet: network })
}

/// The parameters of a `bitcoin:` link that this wallet reads.
#[derive(Default)]
struct LinkParameters {
    amount: Option<Amount>,
    label: Option<String>,
    message: Option<String>,
    lightning: Option<String>,
}

impl LinkParameters {
    /// Reads a query (`a=1&b=2`). Names are matched in any case: QR codes write them in upper case.
    fn parse(query: &str) -> Result<LinkParameters, PaymentRequestError> {
        let mut params = LinkParameters::default();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = name.to_ascii_lowercase();
            match name.as_str() {
                "amount" => {
                    let amount = Amount::from_str_in(value, Denomination::Bitcoin)
                        .map_err(|_| PaymentRequestError::InvalidAmount { value: value.to_owned() })?;
                    set_once(&mut params.amount, amount, "amount")?;
                }
                "label" => set_once(&mut params.label, decode(value, "label")?, "label")?,
                "message" => set_once(&mut params.message, decode(value, "message")?, "message")?,
                "lightning" => set_once(&mut params.lightning, decode(value, "lightning invoice")?, "lightning invoice")?,
                _ if name.starts_with(REQUIRED_PREFIX) => return Err(PaymentRequestError::UnknownRequirement { parameter: name }),
                // Anything else is optional by BIP21's rule and may be ignored.
                _ => {}
            }
        }
        Ok(params)
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, parameter: &str) -> Result<(), PaymentRequestError> {
    match slot.replace(value) {
        Some(_) => Err(PaymentRequestError::RepeatedParameter { parameter: parameter.to_owned() }),
        None => Ok(()),
    }
}

/// Percent-decodes a parameter's value, which must be UTF-8 text.
fn decode(value: &str, parameter: &str) -> Result<String, PaymentRequestError> {
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| PaymentRequestError::UnreadableParameter { parameter: parameter.to_owned() })
}

/// Reads what follows `bitcoin:`: an address (empty when only an invoice is given, as BIP321
/// allows) and the parameters.
fn parse_bitcoin_link(link: &str, network: Network) -> Result<PaymentRequest, PaymentRequestError> {
    let (address, query) = link.split_once('?').unwrap_or((link, ""));
    let params = LinkParameters::parse(query)?;
    let onchain = match address {
        "" => None,
        text => {
            let address = Address::from_str(text).map_err(|e| PaymentRequestError::InvalidAddress(e.to_string()))?;
            Some(OnchainRequest {
                address: checked_address(address, network)?,
                amount_sat: params.amount.map(Amount::to_sat),
                label: params.label,
                message: params.message,
            })
        }
    };
    // An invoice that does not read is refused rather than skipped for the address: the person
    // was shown a Lightning payment and should not find an on-chain one instead.
    match (params.lightning, onchain) {
        (Some(invoice), fallback) => Ok(PaymentRequest::Lightning { invoice: parse_invoice(&invoice, network)?, fallback }),
        (None, Some(onchain)) => Ok(PaymentRequest::Onchain(onchain)),
        (None, None) => Err(PaymentRequestError::NothingToPay),
    }
}

/// Returns a network's name as people say it.
fn network_name(network: Network) -> &'static str {
    match network {
        Network::Bitcoin => "mainnet",
        Network::Testnet => "testnet",
        Network::Testnet4 => "testnet4",
        Network::Signet => "signet",
        Network::Regtest => "regtest",
    }
}
