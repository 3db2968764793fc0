//! The payment history: one sealed record per payment (by payment hash), written before a payment
//! is sent and updated as LDK reports on it, so a reload in the middle finds every payment.

use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::NodeError;
use crate::keys::PAYMENTS_NAMESPACE;
use crate::store::sealed::SealedStore;
use crate::store::KvStore;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub direction: PaymentDirection,
    pub status: PaymentStatus,
    /// Hex of the payment hash.
    pub payment_hash: String,
    pub amount_msat: Option<u64>,
    pub fee_paid_msat: Option<u64>,
    /// Hex of the preimage, once known: the proof of payment.
    pub preimage: Option<String>,
    pub description: Option<String>,
    pub created_at_secs: u64,
    pub updated_at_secs: u64,
}

impl PaymentRecord {
    pub fn new(direction: PaymentDirection, payment_hash: String, amount_msat: Option<u64>, now: Duration) -> Self {
        Self {
            direction,
            status: PaymentStatus::Pending,
            payment_hash,
            amount_msat,
            fee_paid_msat: None,
            preimage: None,
            description: None,
            created_at_secs: now.as_secs(),
            updated_at_secs: now.as_secs(),
        }
    }
}

pub struct PaymentStore<S> {
    sealed: Rc<SealedStore<S>>,
}

impl<S: KvStore> PaymentStore<S> {
    pub async fn open(sealed: Rc<SealedStore<S>>) -> Result<Self, NodeError> {
        Ok(Self { sealed })
    }

    pub async fn get(&self, payment_hash: &str) -> Result<Option<PaymentRecord>, NodeError> {
        let Some(bytes) = self.sealed.get(PAYMENTS_NAMESPACE, payment_hash).await.map_err(storage)? else { return Ok(None) };
        decode(&bytes).map(Some)
    }

    /// Writes `record` whole, replacing what was stored under its hash.
    pub async fn upsert(&self, record: PaymentRecord) -> Result<(), NodeError> {
        let bytes = serde_json::to_vec(&record).map_err(|e| NodeError::Storage(e.to_string()))?;
        self.sealed.put(PAYMENTS_NAMESPACE, &record.payment_hash, &bytes).await.map_err(storage)
    }

    /// Changes the stored record of `payment_hash` with `change`; returns it, or `None` if there is none.
    pub async fn update(&self, payment_hash: &str, change: impl FnOnce(&mut PaymentRecord)) -> Result<Option<PaymentRecord>, NodeError> {
        let Some(mut record) = self.get(payment_hash).await? else { return Ok(None) };
        change(&mut record);
        self.upsert(record.clone()).await?;
        Ok(Some(record))
    }

    /// Every payment, newest first.
    pub async fn all(&self) -> Result<Vec<PaymentRecord>, NodeError> {
        let entries = self.sealed.entries(PAYMENTS_NAMESPACE, "").await.map_err(storage)?;
        let mut records = entries.iter().map(|(_, bytes)| decode(bytes)).collect::<Result<Vec<_>, _>>()?;
        records.sort_by_key(|r| std::cmp::Reverse(r.created_at_secs));
        Ok(records)
    }
}

fn decode(bytes: &[u8]) -> Result<PaymentRecord, NodeError> {
    serde_json::from_slice(bytes).map_err(|e| NodeError::Storage(format!("a payment record cannot be read: {e}")))
}

fn storage(error: crate::store::sealed::SealedError) -> NodeError {
    NodeError::Storage(error.to_string())
}
