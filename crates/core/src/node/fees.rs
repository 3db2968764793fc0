//! Fee rates for LDK, from Esplora's estimates, with floors and a sanity cap.
//!
//! LDK asks synchronously (`FeeEstimator`), so estimates are fetched ahead ([`FeeEstimates::refresh`],
//! at start and then periodically) and answered from the cache. Before the first refresh, or when the
//! server has no estimate for a target (regtest has none), a fixed fallback answers.

use std::cell::RefCell;
use std::collections::HashMap;

use lightning::chain::chaininterface::{ConfirmationTarget, FeeEstimator, FEERATE_FLOOR_SATS_PER_KW};

use super::chain_sync::{ChainError, ChainSource};

/// Above this an estimate is taken for garbage, not for a fee market: 10,000 sat/vB.
pub const MAX_SANE_SAT_PER_VB: f64 = 10_000.0;

/// The fallback, in sat/vB: low for everything that can wait, higher for what must confirm soon.
const FALLBACK_SAT_PER_VB: f64 = 1.0;
const FALLBACK_URGENT_SAT_PER_VB: f64 = 20.0;

/// Which estimate (in blocks) answers each of LDK's questions.
pub fn target_blocks(target: ConfirmationTarget) -> u16 {
    match target {
        ConfirmationTarget::MaximumFeeEstimate => 1,
        ConfirmationTarget::UrgentOnChainSweep => 6,
        ConfirmationTarget::NonAnchorChannelFee | ConfirmationTarget::OutputSpendingFee => 12,
        ConfirmationTarget::MinAllowedNonAnchorChannelRemoteFee | ConfirmationTarget::ChannelCloseMinimum => 144,
        ConfirmationTarget::MinAllowedAnchorChannelRemoteFee | ConfirmationTarget::AnchorChannelFee => 1008,
    }
}

#[derive(Default)]
pub struct FeeEstimates {
    sat_per_vb: RefCell<HashMap<u16, f64>>,
}

impl FeeEstimates {
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the cache with the server's estimates. A reply with a value that is not a positive
    /// number of at most [`MAX_SANE_SAT_PER_VB`] is refused whole, and the cache kept.
    pub async fn refresh<C: ChainSource>(&self, source: &C) -> Result<(), ChainError> {
        let estimates = source.fee_estimates().await?;
        if let Some((target, rate)) = estimates.iter().find(|(_, rate)| !(rate.is_finite() && **rate > 0.0 && **rate <= MAX_SANE_SAT_PER_VB)) {
            return Err(ChainError::Malformed(format!("a fee estimate of {rate} sat/vB for {target} blocks")));
        }
        *self.sat_per_vb.borrow_mut() = estimates;
        Ok(())
    }

    /// The rate for confirmation within `blocks`: the estimate for the largest target not above it
    /// (a faster target's rate is always enough), else the fallback.
    pub fn sat_per_vb(&self, blocks: u16) -> f64 {
        let estimates = self.sat_per_vb.borrow();
        let best = estimates.iter().filter(|(target, _)| **target <= blocks).max_by_key(|(target, _)| **target).map(|(_, rate)| *rate);
        best.unwrap_or(if blocks <= 6 { FALLBACK_URGENT_SAT_PER_VB } else { FALLBACK_SAT_PER_VB })
    }
}

impl FeeEstimator for FeeEstimates {
    fn get_est_sat_per_1000_weight(&self, target: ConfirmationTarget) -> u32 {
        // 1 vB = 4 weight units: sat/vB × 250 = sat per 1000 weight.
        let per_kw = (self.sat_per_vb(target_blocks(target)) * 250.0).ceil() as u32;
        per_kw.max(FEERATE_FLOOR_SATS_PER_KW)
    }
}
