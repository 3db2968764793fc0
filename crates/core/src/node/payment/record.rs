//! One payment as the history keeps it: found by LDK's [`PaymentId`], with what kind of payment it
//! is in a [`PaymentKind`] (a BOLT12 payment's hash comes only with its invoice, an on-chain one has
//! a txid instead). Stored as JSON; [`decode`] also reads the format wallets wrote before payments had
//! kinds (keyed by the payment hash, which is the id this wallet gives a BOLT11 payment).

use std::time::Duration;

use bitcoin::hex::{DisplayHex, FromHex};
use bitcoin::secp256k1::PublicKey;
use bitcoin::Txid;
use lightning::ln::channelmanager::PaymentId;
use lightning::offers::offer::OfferId;
use lightning::types::payment::{PaymentHash, PaymentPreimage, PaymentSecret};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentDirection {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
}

impl std::fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "paid",
            PaymentStatus::Failed => "failed",
        })
    }
}

/// What kind of payment a record is, with what identifies it on its rails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentKind {
    Bolt11 {
        #[serde(with = "hex32")]
        hash: PaymentHash,
        #[serde(with = "opt_hex32", default)]
        preimage: Option<PaymentPreimage>,
        #[serde(with = "opt_hex32", default)]
        secret: Option<PaymentSecret>,
    },
    /// A payment for a BOLT12 offer: its hash is known only once the offer's invoice arrived.
    Bolt12Offer {
        #[serde(with = "opt_hex32", default)]
        hash: Option<PaymentHash>,
        #[serde(with = "opt_hex32", default)]
        preimage: Option<PaymentPreimage>,
        #[serde(with = "opt_hex32", default)]
        offer_id: Option<OfferId>,
        payer_note: Option<String>,
    },
    /// A payment for a BOLT12 refund.
    Bolt12Refund {
        #[serde(with = "opt_hex32", default)]
        hash: Option<PaymentHash>,
        #[serde(with = "opt_hex32", default)]
        preimage: Option<PaymentPreimage>,
    },
    /// A payment without an invoice (keysend): the payer chose the preimage.
    Spontaneous {
        #[serde(with = "hex32")]
        hash: PaymentHash,
        #[serde(with = "opt_hex32", default)]
        preimage: Option<PaymentPreimage>,
    },
    /// A BOLT11 payment received through a just-in-time channel that an LSP opened for it, which
    /// kept `opening_fee_msat` of it (known once claimed); `agreed_fee_msat` is the most it may keep,
    /// as the person agreed before the invoice was made.
    Jit {
        #[serde(with = "hex32")]
        hash: PaymentHash,
        #[serde(with = "opt_hex32", default)]
        preimage: Option<PaymentPreimage>,
        #[serde(with = "opt_hex32", default)]
        secret: Option<PaymentSecret>,
        opening_fee_msat: Option<u64>,
        #[serde(default)]
        agreed_fee_msat: Option<u64>,
    },
    Onchain {
        txid: Txid,
    },
}

impl PaymentKind {
    /// Returns the payment hash, once one is known (never for on-chain payments).
    pub fn hash(&self) -> Option<PaymentHash> {
        match self {
            PaymentKind::Bolt11 { hash, .. } | PaymentKind::Spontaneous { hash, .. } | PaymentKind::Jit { hash, .. } => Some(*hash),
            PaymentKind::Bolt12Offer { hash, .. } | PaymentKind::Bolt12Refund { hash, .. } => *hash,
            PaymentKind::Onchain { .. } => None,
        }
    }

    /// Returns the preimage, the proof of a Lightning payment, once known.
    pub fn preimage(&self) -> Option<PaymentPreimage> {
        match self {
            PaymentKind::Bolt11 { preimage, .. }
            | PaymentKind::Bolt12Offer { preimage, .. }
            | PaymentKind::Bolt12Refund { preimage, .. }
            | PaymentKind::Spontaneous { preimage, .. }
            | PaymentKind::Jit { preimage, .. } => *preimage,
            PaymentKind::Onchain { .. } => None,
        }
    }

    /// Records what a settled Lightning payment revealed: its preimage, and its hash where the kind
    /// learns it only then. An on-chain payment has neither and is left as it is.
    pub fn settle(&mut self, settled_hash: PaymentHash, settled_preimage: Option<PaymentPreimage>) {
        match self {
            PaymentKind::Bolt11 { preimage, .. } | PaymentKind::Spontaneous { preimage, .. } | PaymentKind::Jit { preimage, .. } => {
                *preimage = settled_preimage.or(*preimage);
            }
            PaymentKind::Bolt12Offer { hash, preimage, .. } | PaymentKind::Bolt12Refund { hash, preimage } => {
                *hash = Some(settled_hash);
                *preimage = settled_preimage.or(*preimage);
            }
            PaymentKind::Onchain { .. } => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    #[serde(with = "hex32")]
    pub id: PaymentId,
    pub kind: PaymentKind,
    pub direction: PaymentDirection,
    pub status: PaymentStatus,
    pub amount_msat: Option<u64>,
    pub fee_paid_msat: Option<u64>,
    /// Who is paid, for an outbound payment whose invoice names them.
    pub payee: Option<PublicKey>,
    pub description: Option<String>,
    pub created_at_secs: u64,
    pub updated_at_secs: u64,
    /// Paid to the payment code while the wallet was closed, held for it, and claimed as it opened
    /// ([`super::payment_code::received_while_away`]).
    #[serde(default)]
    pub received_while_away: bool,
}

impl PaymentRecord {
    /// A pending payment made at `now`.
    pub fn new(id: PaymentId, kind: PaymentKind, direction: PaymentDirection, amount_msat: Option<u64>, now: Duration) -> Self {
        Self {
            id,
            kind,
            direction,
            status: PaymentStatus::Pending,
            amount_msat,
            fee_paid_msat: None,
            payee: None,
            description: None,
            created_at_secs: now.as_secs(),
            updated_at_secs: now.as_secs(),
            received_while_away: false,
        }
    }

    /// The id this wallet gives a payment it knows by its hash before LDK names it (a BOLT11 payment
    /// either way, and every payment received): the payment hash itself, as LDK Node does.
    pub fn id_of_hash(hash: PaymentHash) -> PaymentId {
        PaymentId(hash.0)
    }
}

/// The record format before payments had kinds: BOLT11 only, keyed by the payment hash (hex).
#[derive(Deserialize)]
struct RecordWithoutKind {
    direction: PaymentDirection,
    status: PaymentStatus,
    payment_hash: String,
    amount_msat: Option<u64>,
    fee_paid_msat: Option<u64>,
    preimage: Option<String>,
    description: Option<String>,
    created_at_secs: u64,
    updated_at_secs: u64,
}

/// How a stored record was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    Current,
    /// Before payments had kinds: to be written again in the current format.
    WithoutKind,
}

/// Reads a stored record in either format. `None` when it is neither.
pub fn decode(bytes: &[u8]) -> Option<(PaymentRecord, RecordFormat)> {
    if let Ok(record) = serde_json::from_slice::<PaymentRecord>(bytes) {
        return Some((record, RecordFormat::Current));
    }
    let old = serde_json::from_slice::<RecordWithoutKind>(bytes).ok()?;
    let hash = PaymentHash(<[u8; 32]>::from_hex(&old.payment_hash).ok()?);
    let preimage = match old.preimage {
        Some(hex) => Some(PaymentPreimage(<[u8; 32]>::from_hex(&hex).ok()?)),
        None => None,
    };
    let record = PaymentRecord {
        id: PaymentRecord::id_of_hash(hash),
        kind: PaymentKind::Bolt11 { hash, preimage, secret: None },
        direction: old.direction,
        status: old.status,
        amount_msat: old.amount_msat,
        fee_paid_msat: old.fee_paid_msat,
        payee: None,
        description: old.description,
        created_at_secs: old.created_at_secs,
        updated_at_secs: old.updated_at_secs,
        received_while_away: false,
    };
    Some((record, RecordFormat::WithoutKind))
}

/// Writes a record in the current format.
pub fn encode(record: &PaymentRecord) -> Vec<u8> {
    serde_json::to_vec(record).expect("a payment record is plain data: it always serialises")
}

/// Returns the hex of a 32-byte id, hash or preimage (how they are shown and stored).
pub fn hex(bytes: &impl Bytes32) -> String {
    bytes.bytes().to_lower_hex_string()
}

/// LDK's 32-byte newtypes, read and written as hex.
pub trait Bytes32: Sized {
    fn bytes(&self) -> [u8; 32];
    fn from_bytes(bytes: [u8; 32]) -> Self;
}

macro_rules! bytes32 {
    ($($t:ty),*) => {$(
        impl Bytes32 for $t {
            fn bytes(&self) -> [u8; 32] { self.0 }
            fn from_bytes(bytes: [u8; 32]) -> Self { Self(bytes) }
        }
    )*};
}
bytes32!(PaymentId, PaymentHash, PaymentPreimage, PaymentSecret, OfferId, lightning::ln::types::ChannelId);

/// Parses a 32-byte value from hex (a payment id or hash as the UI names it).
pub fn parse_hex32<T: Bytes32>(text: &str) -> Option<T> {
    <[u8; 32]>::from_hex(text).ok().map(T::from_bytes)
}

/// Serde's `with` for a [`Bytes32`] as hex.
pub(crate) mod hex32 {
    use super::Bytes32;

    pub fn serialize<T: Bytes32, S: serde::Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::hex(value))
    }

    pub fn deserialize<'de, T: Bytes32, D: serde::Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        let text: String = serde::Deserialize::deserialize(deserializer)?;
        super::parse_hex32(&text).ok_or_else(|| serde::de::Error::custom("expected 32 bytes of hex"))
    }
}

mod opt_hex32 {
    use super::Bytes32;

    pub fn serialize<T: Bytes32, S: serde::Serializer>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_some(&super::hex(value)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Bytes32, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
        let text: Option<String> = serde::Deserialize::deserialize(deserializer)?;
        text.map(|text| super::parse_hex32(&text).ok_or_else(|| serde::de::Error::custom("expected 32 bytes of hex"))).transpose()
    }
}
