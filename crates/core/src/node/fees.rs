//! Fee rates for LDK, from Esplora's estimates, with floors and caps.
//!
//! LDK asks synchronously (`FeeEstimator`), so estimates are fetched ahead ([`FeeEstimates::refresh`],
//! at start and then periodically) and answered from the cache. Before the first refresh, or when the
//! server has no estimate for a target (regtest has none), a fixed fallback answers.

use std::cell::RefCell;
use std::collections::HashMap;

use bitcoin::Network;
use lightning::chain::chaininterface::{ConfirmationTarget, FeeEstimator, FEERATE_FLOOR_SATS_PER_KW};

use super::chain_source::{ChainError, ChainSource};

/// Above this an estimate is taken for a lie or garbage, not for a fee market, and the whole reply is
/// refused. Mainnet's busiest blocks so far cleared at about 1,000 sat/vB (December 2017, April 2024);
/// the test networks' coins are worthless, and a fee there says nothing of mainnet's.
pub fn max_sat_per_vb(network: Network) -> f64 {
    match network {
        Network::Bitcoin => 2_000.0,
        _ => 1_000.0,
    }
}

/// How much an estimate may rise from one refresh to the next (about a minute apart); a higher one is
/// cut to this: a real spike gets there in a few refreshes, a lying server's jump does not get there
/// before the person sees the fee.
pub const MAX_RISE_PER_REFRESH: f64 = 4.0;

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

pub struct FeeEstimates {
    network: Network,
    sat_per_vb: RefCell<HashMap<u16, f64>>,
}

impl FeeEstimates {
    pub fn new(network: Network) -> Self {
        Self { network, sat_per_vb: RefCell::default() }
    }

    /// Replaces the cache with the server's estimates. A reply with a value that is not a positive
    /// number of at most [`max_sat_per_vb`] is refused whole, and the cache kept; an estimate more
    /// than [`MAX_RISE_PER_REFRESH`] times the last one for its target is cut to that.
    pub async fn refresh<C: ChainSource>(&self, source: &C) -> Result<(), ChainError> {
        let mut estimates = source.fee_estimates().await?;
        let cap = max_sat_per_vb(self.network);
        if let Some((target, rate)) = estimates.iter().find(|(_, rate)| !(rate.is_finite() && **rate > 0.0 && **rate <= cap)) {
            return Err(ChainError::Malformed(format!("a fee estimate of {rate} sat/vB for {target} blocks (at most {cap} is believed)")));
        }
        let last = self.sat_per_vb.borrow();
        for (target, rate) in estimates.iter_mut() {
            if let Some(last) = last.get(target) {
                *rate = rate.min(last * MAX_RISE_PER_REFRESH);
            }
        }
        drop(last);
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
