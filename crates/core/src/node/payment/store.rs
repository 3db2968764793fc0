//! The payment history in the sealed store: one record per payment, keyed by its [`PaymentId`]
//! (hex). Reading it whole rewrites, in one commit, the records older wallets wrote without a kind.

use std::rc::Rc;

use lightning::ln::channelmanager::PaymentId;

use super::record::{decode, encode, hex, PaymentRecord, RecordFormat};
use crate::node::error::{NodeError, StorageFault};
use crate::record_names::PAYMENTS_NAMESPACE;
use crate::store::sealed::SealedStore;
use crate::store::KvStore;

pub struct PaymentStore<S> {
    sealed: Rc<SealedStore<S>>,
}

impl<S: KvStore> PaymentStore<S> {
    pub async fn open(sealed: Rc<SealedStore<S>>) -> Result<Self, NodeError> {
        Ok(Self { sealed })
    }

    pub async fn get(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, NodeError> {
        let Some(bytes) = self.sealed.get(PAYMENTS_NAMESPACE, &hex(id)).await? else { return Ok(None) };
        decode(&bytes).map(|(record, _)| Some(record)).ok_or_else(unreadable)
    }

    /// Writes `record` whole, replacing what was stored under its id.
    pub async fn upsert(&self, record: &PaymentRecord) -> Result<(), NodeError> {
        Ok(self.sealed.put(PAYMENTS_NAMESPACE, &hex(&record.id), &encode(record)).await?)
    }

    /// Changes the stored record of `id` with `change`; returns it, or `None` if there is none.
    pub async fn update(&self, id: &PaymentId, change: impl FnOnce(&mut PaymentRecord)) -> Result<Option<PaymentRecord>, NodeError> {
        let Some(mut record) = self.get(id).await? else { return Ok(None) };
        change(&mut record);
        self.upsert(&record).await?;
        Ok(Some(record))
    }

    /// Every payment, newest first, in one read of the store. Records of the format before payment
    /// kinds are rewritten in the current one, in one commit (the node's start reads them all).
    pub async fn all(&self) -> Result<Vec<PaymentRecord>, NodeError> {
        let mut records = Vec::new();
        let mut rewrites = Vec::new();
        for (_, bytes) in self.sealed.entries(PAYMENTS_NAMESPACE, "").await? {
            let (record, format) = decode(&bytes).ok_or_else(unreadable)?;
            if format == RecordFormat::WithoutKind {
                // The old key is the payment hash, which is the id of a BOLT11 payment: the same key.
                rewrites.push(self.sealed.put_op(PAYMENTS_NAMESPACE, &hex(&record.id), &encode(&record)));
            }
            records.push(record);
        }
        if !rewrites.is_empty() {
            self.sealed.commit(rewrites).await?;
        }
        records.sort_by_key(|r| std::cmp::Reverse(r.created_at_secs));
        Ok(records)
    }
}

fn unreadable() -> NodeError {
    NodeError::Storage(StorageFault::Unreadable { kind: PAYMENTS_NAMESPACE.to_owned() })
}
