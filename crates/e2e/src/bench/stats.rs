//! Latency samples summarised as the benchmark prints them.

use serde_json::{json, Value};

/// p50, p95 and max of a set of samples (nearest rank: each is one of the samples, none interpolated).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
    pub mean: f64,
}

impl Summary {
    /// Returns `None` for no samples.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
        Some(Summary {
            count: sorted.len(),
            p50: rank(0.50),
            p95: rank(0.95),
            max: sorted[sorted.len() - 1],
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
        })
    }

    pub fn to_json(self) -> Value {
        json!({ "count": self.count, "p50_ms": round(self.p50), "p95_ms": round(self.p95), "max_ms": round(self.max), "mean_ms": round(self.mean) })
    }
}

/// Milliseconds to two decimals, as the JSON keeps them.
pub fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

/// The middle value (the lower of the two middles for an even count); `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    Summary::of(values).map(|s| s.p50)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_samples() {
        let samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let summary = Summary::of(&samples).expect("samples");
        assert_eq!((summary.count, summary.p50, summary.p95, summary.max, summary.mean), (100, 50.0, 95.0, 100.0, 50.5));
        let few = Summary::of(&[3.0, 1.0, 2.0]).expect("samples");
        assert_eq!((few.p50, few.p95, few.max), (2.0, 3.0, 3.0));
        assert_eq!(Summary::of(&[7.5]).map(|s| (s.p50, s.p95)), Some((7.5, 7.5)));
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.0));
    }
}
