//! WebLN as websites speak it (the browser extension's `window.webln`, `extension/webln/`): what a
//! page may ask, read and checked here before anything reaches the node, and the answers and errors
//! it gets back, named as WebLN's clients expect (`RejectionError`, `InvalidDataError`, …).
//!
//! A page's request is `{"id": 1, "method": "sendPayment", "args": ["lnbc…"]}` (the arguments as
//! the page passed them); the answer `{"id": 1, "result": {…}}` or
//! `{"id": 1, "error": {"name": "RejectionError", "message": "…"}}`. What the node does with a
//! request (permission, prompts, budgets) is `website_host.rs`'s.

use blixtra_core::node::error::{NodeError, PaymentFailure};
use blixtra_core::node::payment::keysend::{check_custom_records, MAX_CUSTOM_RECORDS};
use blixtra_core::node::payment::PaymentStatus;
use lightning::bitcoin::secp256k1::PublicKey;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::protocol::PaymentView;

/// The largest request a page may send: an invoice, or a message to sign, with room to spare.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// The longest message a page may have signed.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// The longest memo a page may put in an invoice (BOLT11 descriptions are at most 639 bytes).
pub const MAX_MEMO_BYTES: usize = 639;
/// The most an invoice a page asks for may be for: the wallet is for everyday sums.
pub const MAX_INVOICE_SAT: u64 = 100_000_000;
/// The most a page may keysend in one payment, for the same reason.
pub const MAX_KEYSEND_SAT: u64 = MAX_INVOICE_SAT;

/// The methods that work, as `getInfo` lists them. `lnurl` is not here yet: it answers
/// `UnsupportedMethodError`.
pub const METHODS: &[&str] = &[
    "enable",
    "isEnabled",
    "getInfo",
    "getBalance",
    "makeInvoice",
    "sendPayment",
    "keysend",
    "signMessage",
    "verifyMessage",
    "lookupInvoice",
    "on",
    "off",
];

/// One request of a page, as it arrives.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WeblnRequest {
    pub id: u64,
    pub method: String,
    #[serde(default)]
    pub args: Vec<Value>,
}

/// A request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeblnCall {
    Enable,
    IsEnabled,
    GetInfo,
    GetBalance,
    MakeInvoice(InvoiceAsked),
    SendPayment { invoice: String },
    Keysend(KeysendAsked),
    SignMessage { message: String },
    VerifyMessage { signature: String, message: String },
    LookupInvoice(Lookup),
}

/// What `makeInvoice` asks for, in sats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceAsked {
    /// `None`: the payer chooses.
    pub amount_sat: Option<u64>,
    pub memo: String,
}

/// What `keysend` asks for: a payment without an invoice, in sats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysendAsked {
    /// The payee's node id: 66 hex digits, lower case, a valid compressed public key.
    pub destination: String,
    pub amount_sat: u64,
    /// `(type, text)`, sorted by type: each value is sent as its text's UTF-8 bytes.
    pub custom_records: Vec<(u64, String)>,
}

impl KeysendAsked {
    /// Returns the custom records as the node sends them: each text as its UTF-8 bytes.
    pub fn custom_records_bytes(&self) -> Vec<(u64, Vec<u8>)> {
        self.custom_records.iter().map(|(record_type, text)| (*record_type, text.as_bytes().to_vec())).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    PaymentHash(String),
    PaymentRequest(String),
}

/// The error names WebLN's clients tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorName {
    RejectionError,
    UnsupportedMethodError,
    InvalidDataError,
    RoutingError,
    InternalError,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeblnError {
    pub name: ErrorName,
    pub message: String,
}

impl WeblnError {
    pub fn new(name: ErrorName, message: impl Into<String>) -> Self {
        WeblnError { name, message: message.into() }
    }

    pub fn rejected(message: impl Into<String>) -> Self {
        Self::new(ErrorName::RejectionError, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorName::InvalidDataError, message)
    }
}

/// The node's refusals in WebLN's words: a bad invoice is the page's data, a payment that found no
/// way a routing error, the rest internal. The message is the node's own plain sentence.
impl From<NodeError> for WeblnError {
    fn from(error: NodeError) -> Self {
        let name = match &error {
            NodeError::InvalidInvoice(_)
            | NodeError::WrongNetwork { .. }
            | NodeError::InvoiceExpired
            | NodeError::AmountNeeded
            | NodeError::ZeroAmount
            | NodeError::InvalidDestination
            | NodeError::PayingSelf
            | NodeError::InvalidCustomRecord(_) => ErrorName::InvalidDataError,
            NodeError::AlreadyPaid(_) => ErrorName::InvalidDataError,
            NodeError::InsufficientFunds { .. } => ErrorName::RoutingError,
            NodeError::PaymentFailed(
                PaymentFailure::NoRoute
                | PaymentFailure::RetriesExhausted
                | PaymentFailure::RecipientRejected
                | PaymentFailure::Expired
                | PaymentFailure::RouteTooLong,
            ) => ErrorName::RoutingError,
            NodeError::NotPermitted { .. } => ErrorName::RejectionError,
            _ => ErrorName::InternalError,
        };
        WeblnError::new(name, error.to_string())
    }
}

/// What a site's payment was asked as: `sendPayment` (an invoice) or `keysend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentAsked {
    Invoice,
    Keysend,
}

/// Whether a payment's failure means that nothing was paid: refused before it was handed to
/// Lightning (a check, the node's storage refusing to record it, a payment of the same hash), or
/// failed for good as LDK reported it. Only a stopped node leaves a payment's outcome open (it may
/// complete when the node starts again): that and anything unforeseen count as money that may move.
pub fn moved_nothing(error: &NodeError) -> bool {
    matches!(
        error,
        NodeError::PaymentFailed(_)
            // A send writes its record before handing the payment to LDK and after LDK refused it,
            // never once LDK took it: a storage failure is before anything left the wallet.
            | NodeError::Storage(_)
            | NodeError::InsufficientFunds { .. }
            | NodeError::InvalidInvoice(_)
            | NodeError::WrongNetwork { .. }
            | NodeError::InvoiceExpired
            | NodeError::AmountNeeded
            | NodeError::AlreadyPaid(_)
            | NodeError::ZeroAmount
            | NodeError::InvalidDestination
            | NodeError::PayingSelf
            | NodeError::InvalidCustomRecord(_)
            | NodeError::NotPermitted { .. }
    )
}

/// Returns what a page is told of a payment the node did not report made. One that may still
/// complete (the wallet stopped during it) says so and asks to check before paying again, never
/// inviting a blind retry; a keysend's refusals say what a keysend needs (one channel with the room,
/// records that leave the onion room for a route); the rest as [`WeblnError::from`] has them.
pub fn payment_error(error: NodeError, asked: PaymentAsked) -> WeblnError {
    const CHECK_FIRST: &str = "it may still complete: check before paying again";
    match (&error, asked) {
        (NodeError::Stopped, _) => WeblnError::new(ErrorName::InternalError, format!("the wallet stopped during the payment; {CHECK_FIRST}")),
        _ if !moved_nothing(&error) => WeblnError::new(ErrorName::InternalError, format!("{error}; {CHECK_FIRST}")),
        (NodeError::PaymentFailed(PaymentFailure::RouteTooLong), PaymentAsked::Keysend) => WeblnError::new(
            ErrorName::RoutingError,
            "the payment failed: the custom records are too large for the route to the node (fewer or shorter ones may fit); nothing was paid",
        ),
        (NodeError::InsufficientFunds { needed_msat, available_msat }, PaymentAsked::Keysend) => WeblnError::new(
            ErrorName::RoutingError,
            format!(
                "not enough funds in one channel: a keysend goes whole through one, and the largest can send {} sats now ({} needed)",
                available_msat / 1000,
                needed_msat.div_ceil(1000)
            ),
        ),
        _ => WeblnError::from(error),
    }
}

/// Returns what a page is told of a payment the node made (`payment`), and what to log: its
/// preimage, whatever became of the site's bookkeeping after it (`bookkeeping`). A failed write
/// there is only logged (the warning names no secret): an error would tell the site that a payment
/// it made failed, and invite it to pay again.
pub fn answer_paid(payment: &PaymentView, bookkeeping: Result<(), WeblnError>) -> (Result<Value, WeblnError>, Option<String>) {
    let warning = bookkeeping.err().map(|error| format!("a website's payment was made, but its record was not updated: {}", error.message));
    let answer = match &payment.preimage {
        Some(preimage) if payment.status == PaymentStatus::Succeeded => Ok(json!({ "preimage": preimage })),
        _ => Err(WeblnError::new(ErrorName::InternalError, "the payment ended without a proof of payment")),
    };
    (answer, warning)
}

/// An answer to a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeblnReply {
    pub id: u64,
    #[serde(flatten)]
    pub outcome: WeblnOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeblnOutcome {
    Result(Value),
    Error(WeblnError),
}

/// Reads a page's request: its size, its shape, then its method's arguments. The `id` comes back
/// with an error if it could be read, so that the page's promise settles.
pub fn read_request(text: &str) -> Result<(u64, WeblnCall), (Option<u64>, WeblnError)> {
    if text.len() > MAX_REQUEST_BYTES {
        return Err((None, WeblnError::invalid(format!("the request is {} bytes; at most {MAX_REQUEST_BYTES} are read", text.len()))));
    }
    let value: Value = serde_json::from_str(text).map_err(|_| (None, WeblnError::invalid("the request is not a WebLN call")))?;
    // The id first, so that a request of the wrong shape is still answered under its own id.
    let id = value.get("id").and_then(Value::as_u64);
    let request: WeblnRequest = serde_json::from_value(value).map_err(|_| (id, WeblnError::invalid("the request is not a WebLN call")))?;
    let call = read_call(&request.method, &request.args).map_err(|e| (Some(request.id), e))?;
    Ok((request.id, call))
}

fn read_call(method: &str, args: &[Value]) -> Result<WeblnCall, WeblnError> {
    Ok(match method {
        "enable" => WeblnCall::Enable,
        "isEnabled" => WeblnCall::IsEnabled,
        "getInfo" => WeblnCall::GetInfo,
        "getBalance" => WeblnCall::GetBalance,
        "makeInvoice" => WeblnCall::MakeInvoice(read_invoice_asked(args.first())?),
        "sendPayment" => WeblnCall::SendPayment { invoice: text_arg(args.first(), "sendPayment", "paymentRequest", MAX_REQUEST_BYTES)? },
        "signMessage" => WeblnCall::SignMessage { message: text_arg(args.first(), "signMessage", "message", MAX_MESSAGE_CHARS)? },
        "verifyMessage" => WeblnCall::VerifyMessage {
            signature: text_arg(args.first(), "verifyMessage", "signature", 200)?,
            message: text_arg(args.get(1), "verifyMessage", "message", MAX_MESSAGE_CHARS)?,
        },
        "lookupInvoice" => WeblnCall::LookupInvoice(read_lookup(args.first())?),
        "keysend" => WeblnCall::Keysend(read_keysend(args.first())?),
        "lnurl" | "request" => {
            return Err(WeblnError::new(ErrorName::UnsupportedMethodError, format!("{method} is not supported by this wallet yet")));
        }
        other => {
            let shown: String = other.chars().take(40).collect();
            return Err(WeblnError::new(ErrorName::UnsupportedMethodError, format!("{shown} is not a WebLN method")));
        }
    })
}

fn text_arg(value: Option<&Value>, method: &str, name: &str, max_chars: usize) -> Result<String, WeblnError> {
    match value {
        Some(Value::String(text)) if text.chars().count() <= max_chars && !text.trim().is_empty() => Ok(text.clone()),
        Some(Value::String(text)) if text.trim().is_empty() => Err(WeblnError::invalid(format!("{method}: {name} is empty"))),
        Some(Value::String(_)) => Err(WeblnError::invalid(format!("{method}: {name} is longer than {max_chars} characters"))),
        _ => Err(WeblnError::invalid(format!("{method}: {name} must be a string"))),
    }
}

/// An amount in sats as pages write it: a whole number, or a string of one; at most `max_sat`.
fn sats(value: &Value, method: &str, field: &str, max_sat: u64) -> Result<u64, WeblnError> {
    let bad = || WeblnError::invalid(format!("{method}: {field} must be a whole number of sats"));
    let sat = match value {
        Value::Number(number) => number.as_u64().ok_or_else(bad)?,
        Value::String(text) => text.trim().parse::<u64>().map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    if sat > max_sat {
        return Err(WeblnError::invalid(format!("{method}: {field} is more than {max_sat} sats")));
    }
    Ok(sat)
}

/// `makeInvoice(amount)` or `makeInvoice({ amount, defaultAmount, minimumAmount, maximumAmount,
/// defaultMemo })`. Without an amount the default is used; without either, the payer chooses (the
/// minimum and maximum are checked against the default, as no prompt asks for another amount).
fn read_invoice_asked(arg: Option<&Value>) -> Result<InvoiceAsked, WeblnError> {
    let Some(arg) = arg else { return Ok(InvoiceAsked { amount_sat: None, memo: String::new() }) };
    if !arg.is_object() {
        return Ok(InvoiceAsked {
            amount_sat: Some(sats(arg, "makeInvoice", "amount", MAX_INVOICE_SAT)?).filter(|&sat| sat > 0),
            memo: String::new(),
        });
    }
    let field = |name: &str| arg.get(name).filter(|value| !value.is_null());
    let amount = field("amount").map(|v| sats(v, "makeInvoice", "amount", MAX_INVOICE_SAT)).transpose()?;
    let default = field("defaultAmount").map(|v| sats(v, "makeInvoice", "defaultAmount", MAX_INVOICE_SAT)).transpose()?;
    let minimum = field("minimumAmount").map(|v| sats(v, "makeInvoice", "minimumAmount", MAX_INVOICE_SAT)).transpose()?;
    let maximum = field("maximumAmount").map(|v| sats(v, "makeInvoice", "maximumAmount", MAX_INVOICE_SAT)).transpose()?;
    let amount_sat = amount.or(default).filter(|&sat| sat > 0);
    if let (Some(min), Some(max)) = (minimum, maximum) {
        if min > max {
            return Err(WeblnError::invalid("makeInvoice: minimumAmount is more than maximumAmount"));
        }
    }
    if let Some(sat) = amount_sat {
        if minimum.is_some_and(|min| sat < min) || maximum.is_some_and(|max| sat > max) {
            return Err(WeblnError::invalid("makeInvoice: the amount is outside minimumAmount–maximumAmount"));
        }
    }
    let memo = match field("defaultMemo") {
        None => String::new(),
        Some(Value::String(memo)) if memo.len() <= MAX_MEMO_BYTES => memo.clone(),
        Some(Value::String(_)) => return Err(WeblnError::invalid(format!("makeInvoice: defaultMemo is longer than {MAX_MEMO_BYTES} bytes"))),
        Some(_) => return Err(WeblnError::invalid("makeInvoice: defaultMemo must be a string")),
    };
    Ok(InvoiceAsked { amount_sat, memo })
}

/// `keysend({ destination, amount, customRecords })`, as `@webbtc/webln-types` 3.0 has it: the
/// payee's node id (66 hex digits), an amount in sats (a number or a string of one, more than
/// zero), and optionally records to send with it, `{ "696969": "text" }`: each key a record type in
/// decimal, each value a text sent as its UTF-8 bytes (as Alby and Joule send them). At most
/// [`MAX_CUSTOM_RECORDS`] records, whose values take at most
/// [`blixtra_core::node::payment::keysend::MAX_CUSTOM_RECORDS_BYTES`] bytes together; the types
/// are checked as the node will (from 65536 up, none the protocol took).
fn read_keysend(arg: Option<&Value>) -> Result<KeysendAsked, WeblnError> {
    let Some(Value::Object(arg)) = arg else {
        return Err(WeblnError::invalid("keysend needs { destination, amount, customRecords }"));
    };
    let destination = match arg.get("destination") {
        Some(Value::String(text)) => text.trim().to_ascii_lowercase(),
        _ => return Err(WeblnError::invalid("keysend: destination must be a string")),
    };
    if destination.len() != 66 || !destination.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(WeblnError::invalid("keysend: destination must be a node id of 66 hex digits"));
    }
    if destination.parse::<PublicKey>().is_err() {
        return Err(WeblnError::invalid("keysend: destination is not a valid node id (not a public key)"));
    }
    let amount_sat = match arg.get("amount").filter(|v| !v.is_null()) {
        Some(value) => sats(value, "keysend", "amount", MAX_KEYSEND_SAT)?,
        None => return Err(WeblnError::invalid("keysend: amount is missing")),
    };
    if amount_sat == 0 {
        return Err(WeblnError::invalid("keysend: amount must be more than 0 sats"));
    }
    let mut asked = KeysendAsked { destination, amount_sat, custom_records: read_custom_records(arg.get("customRecords").filter(|v| !v.is_null()))? };
    check_custom_records(&asked.custom_records_bytes()).map_err(|problem| WeblnError::invalid(format!("keysend: {problem}")))?;
    asked.custom_records.sort_by_key(|(record_type, _)| *record_type);
    Ok(asked)
}

/// `customRecords`: `{ "696969": "text", … }`: each key a record type, each value a text; at most
/// [`MAX_CUSTOM_RECORDS`] of them.
fn read_custom_records(value: Option<&Value>) -> Result<Vec<(u64, String)>, WeblnError> {
    let records = match value {
        None => return Ok(Vec::new()),
        Some(Value::Object(records)) => records,
        Some(_) => return Err(WeblnError::invalid("keysend: customRecords must be an object of record types to texts")),
    };
    if records.len() > MAX_CUSTOM_RECORDS {
        return Err(WeblnError::invalid(format!("keysend: {} custom records: at most {MAX_CUSTOM_RECORDS} are sent", records.len())));
    }
    let mut read = Vec::with_capacity(records.len());
    for (key, value) in records {
        let shown: String = key.chars().take(24).collect();
        let record_type = Some(key.as_str())
            .filter(|key| !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|key| key.parse::<u64>().ok())
            .ok_or_else(|| WeblnError::invalid(format!("keysend: customRecords key \"{shown}\" is not a record type (a whole number)")))?;
        let Value::String(text) = value else {
            return Err(WeblnError::invalid(format!("keysend: customRecords value of {record_type} must be a string")));
        };
        read.push((record_type, text.clone()));
    }
    Ok(read)
}

/// `lookupInvoice({ paymentHash })` or `lookupInvoice({ paymentRequest })`.
fn read_lookup(arg: Option<&Value>) -> Result<Lookup, WeblnError> {
    let text = |name: &str| arg.and_then(|a| a.get(name)).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty());
    if let Some(hash) = text("paymentHash") {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(WeblnError::invalid("lookupInvoice: paymentHash must be 64 hex digits"));
        }
        return Ok(Lookup::PaymentHash(hash.to_ascii_lowercase()));
    }
    match text("paymentRequest") {
        Some(invoice) if invoice.len() <= MAX_REQUEST_BYTES => Ok(Lookup::PaymentRequest(invoice.to_owned())),
        _ => Err(WeblnError::invalid("lookupInvoice needs { paymentHash } or { paymentRequest }")),
    }
}

/// Whether `origin` is a web origin a site may use the wallet from: `https://host[:port]`, or plain
/// `http://` on loopback only (`localhost`, `127.0.0.1`, `[::1]`), where no network sits between the
/// page and the browser to spend a budget in its name; nothing after the port.
pub fn is_web_origin(origin: &str) -> bool {
    let well_formed =
        |rest: &str| origin.len() <= 300 && !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if let Some(rest) = origin.strip_prefix("https://") {
        return well_formed(rest);
    }
    let Some(rest) = origin.strip_prefix("http://") else { return false };
    let host = rest.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(rest, |(host, _)| host);
    well_formed(rest) && ["localhost", "127.0.0.1", "[::1]"].contains(&host)
}
