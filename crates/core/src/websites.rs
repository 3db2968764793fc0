//! The websites the person let use the wallet (through the browser extension's WebLN provider):
//! whether each may ask, the budget it may spend without a prompt, what it spent today, and the
//! payments it made or asked for (the only ones it may look up). One sealed record per site, so the
//! list of sites a person uses is as private as the rest of the wallet.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::node::error::{NodeError, StorageFault};
use crate::record_names::WEBSITES_NAMESPACE;
use crate::store::sealed::SealedStore;
use crate::store::KvStore;

/// A site's payments the wallet remembers for its lookups: enough for any shop's session, bounded so
/// that a site cannot grow its record without end.
pub const REMEMBERED_PAYMENTS: usize = 500;

/// What a site may pay without asking, in sats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Budget {
    pub per_payment_sat: u64,
    pub per_day_sat: u64,
}

/// One site, by its origin (`https://shop.example`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Website {
    pub origin: String,
    /// `false`: the person denied it, and its calls are refused until it is allowed again.
    pub allowed: bool,
    pub budget: Option<Budget>,
    /// The day (days since 1970, UTC) `spent_sat` counts.
    pub spent_day: u64,
    pub spent_sat: u64,
    /// Payment hashes (hex) of the invoices it made or paid, oldest first.
    pub payments: Vec<String>,
}

impl Website {
    pub fn new(origin: &str, allowed: bool) -> Self {
        Website { origin: origin.to_owned(), allowed, budget: None, spent_day: 0, spent_sat: 0, payments: Vec::new() }
    }

    /// What it spent within its budget on `day`.
    pub fn spent_on(&self, day: u64) -> u64 {
        if self.spent_day == day {
            self.spent_sat
        } else {
            0
        }
    }

    /// Whether paying `sat` on `day` (the amount with the most the fee may be) stays within its budget.
    pub fn budget_covers(&self, sat: u64, day: u64) -> bool {
        self.budget.is_some_and(|budget| sat <= budget.per_payment_sat && self.spent_on(day).saturating_add(sat) <= budget.per_day_sat)
    }

    /// Counts `sat` as spent on `day`.
    pub fn spend(&mut self, sat: u64, day: u64) {
        self.spent_sat = self.spent_on(day).saturating_add(sat);
        self.spent_day = day;
    }

    /// Gives back `sat` spent on `day` (a payment that failed moved no money).
    pub fn refund(&mut self, sat: u64, day: u64) {
        if self.spent_day == day {
            self.spent_sat = self.spent_sat.saturating_sub(sat);
        }
    }

    pub fn remember_payment(&mut self, payment_hash: &str) {
        if !self.payments.iter().any(|known| known == payment_hash) {
            self.payments.push(payment_hash.to_owned());
        }
        let excess = self.payments.len().saturating_sub(REMEMBERED_PAYMENTS);
        self.payments.drain(..excess);
    }

    pub fn knows_payment(&self, payment_hash: &str) -> bool {
        self.payments.iter().any(|known| known.eq_ignore_ascii_case(payment_hash))
    }
}

/// The day (UTC) of a time in seconds since 1970, as budgets count them.
pub fn day_of(secs: u64) -> u64 {
    secs / 86_400
}

/// The sites, as sealed records.
pub struct WebsiteStore<S> {
    sealed: Rc<SealedStore<S>>,
}

impl<S: KvStore> WebsiteStore<S> {
    pub fn new(sealed: Rc<SealedStore<S>>) -> Self {
        Self { sealed }
    }

    pub async fn get(&self, origin: &str) -> Result<Option<Website>, NodeError> {
        let Some(bytes) = self.sealed.get(WEBSITES_NAMESPACE, origin).await? else { return Ok(None) };
        serde_json::from_slice(&bytes).map(Some).map_err(|_| unreadable())
    }

    pub async fn put(&self, site: &Website) -> Result<(), NodeError> {
        let bytes = serde_json::to_vec(site).expect("a site is plain data");
        Ok(self.sealed.put(WEBSITES_NAMESPACE, &site.origin, &bytes).await?)
    }

    /// Forgets a site: it is asked again as if new.
    pub async fn remove(&self, origin: &str) -> Result<(), NodeError> {
        Ok(self.sealed.delete(WEBSITES_NAMESPACE, origin).await?)
    }

    /// Every site, by origin.
    pub async fn all(&self) -> Result<Vec<Website>, NodeError> {
        let mut sites = Vec::new();
        for (_, bytes) in self.sealed.entries(WEBSITES_NAMESPACE, "").await? {
            sites.push(serde_json::from_slice::<Website>(&bytes).map_err(|_| unreadable())?);
        }
        sites.sort_by(|a, b| a.origin.cmp(&b.origin));
        Ok(sites)
    }
}

fn unreadable() -> NodeError {
    NodeError::Storage(StorageFault::Unreadable { kind: WEBSITES_NAMESPACE.to_owned() })
}
