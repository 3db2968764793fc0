//! The wallet's network settings and limits: which chain, which Esplora server and WebSocket proxy,
//! the routing-fee cap, the largest channel, the high-balance notice. Kept in localStorage (they say
//! nothing about the wallet's funds or keys). The default is the local devnet this build was made
//! for (`BLIXTRA_DEVNET_URL` at compile time, else http://127.0.0.1:3002): signet or mainnet is a
//! change of settings, never of code.

use blixtra_core::node::net::PeerUri;
use blixtra_core::node::onchain::FeeCap;
use gloo_storage::{LocalStorage, Storage};
use lightning::bitcoin::Network;
use serde::{Deserialize, Serialize};

use crate::devnet_link::DevnetInfo;

const SETTINGS: &str = "blixtra.settings";

/// The devnet this build talks to by default.
pub const DEFAULT_DEVNET_URL: &str = match option_env!("BLIXTRA_DEVNET_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:3002",
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub network: Network,
    pub esplora_url: String,
    /// A second Esplora server run by someone else, or empty: confirmations and spends count only
    /// when both report them, and broadcasts go to both.
    #[serde(default)]
    pub second_esplora_url: String,
    /// `ws(s)://HOST/v1/{host}/{port}`: the proxy that carries Lightning's TCP over WebSockets.
    pub proxy_url_template: String,
    /// The most a payment may cost in routing fees, in percent of its amount…
    pub max_fee_percent: u32,
    /// …but never less than this many sats (tiny payments need a few sats of fees).
    pub min_fee_cap_sat: u64,
    pub max_channel_sat: u64,
    /// The most an on-chain transaction (a send, a channel's funding) may pay in fees, in percent of
    /// what it moves…
    #[serde(default = "default_onchain_fee_percent")]
    pub onchain_fee_percent: u8,
    /// …or this many sats, whichever is more.
    #[serde(default = "default_onchain_fee_floor_sat")]
    pub onchain_fee_floor_sat: u64,
    /// Above this total the wallet suggests moving savings elsewhere; 0 never does.
    pub balance_notice_sat: u64,
    /// A devnet's control URL (regtest only): enables the faucet and the one-click channel to hub.
    pub devnet_url: Option<String>,
    /// `node_id@host:port` of the Lightning Service Provider that opens a channel when a payment
    /// does not fit the wallet's channels (LSPS2), or empty. On a devnet, its hub.
    #[serde(default)]
    pub lsp: String,
    /// The HTTP address of the server that keeps the payment code working while the wallet is
    /// closed (an async payments server), or empty. On a devnet, its hub's.
    #[serde(default)]
    pub payment_code_server: String,
}

fn default_onchain_fee_percent() -> u8 {
    FeeCap::DEFAULT.percent
}

fn default_onchain_fee_floor_sat() -> u64 {
    FeeCap::DEFAULT.floor.to_sat()
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            network: Network::Regtest,
            esplora_url: DEFAULT_DEVNET_URL.to_owned(),
            second_esplora_url: String::new(),
            proxy_url_template: "ws://127.0.0.1:9736/v1/{host}/{port}".to_owned(),
            max_fee_percent: 1,
            min_fee_cap_sat: 10,
            max_channel_sat: 1_000_000,
            onchain_fee_percent: default_onchain_fee_percent(),
            onchain_fee_floor_sat: default_onchain_fee_floor_sat(),
            balance_notice_sat: 1_000_000,
            devnet_url: Some(DEFAULT_DEVNET_URL.to_owned()),
            lsp: String::new(),
            payment_code_server: String::new(),
        }
    }
}

/// Why a setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("the Esplora URL must start with http:// or https://")]
    EsploraUrl,
    #[error("the second Esplora URL must be empty, or start with http:// or https:// and name another server")]
    SecondEsploraUrl,
    #[error("the proxy URL must start with ws:// or wss:// and contain {{host}} and {{port}}")]
    ProxyTemplate,
    #[error("the fee cap must be between 0 and 100 percent")]
    FeePercent,
    #[error("the largest channel must be at least 20,000 sats")]
    ChannelSize,
    #[error("the smallest fee cap cannot be more than all the bitcoin there is")]
    FeeFloor,
    #[error("the channel provider must be empty or node_id@host:port")]
    Lsp,
    #[error("the payment code's server must be empty or start with http:// or https://")]
    PaymentCodeServer,
}

fn is_http_url(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://")) && url.len() >= 10
}

/// All the sats there will ever be: no amount a person types or stores is larger.
pub(crate) const ALL_SATS: u64 = 21_000_000 * 100_000_000;

impl Settings {
    /// Returns the saved settings, or the defaults if none were saved or they cannot be read.
    pub fn load() -> Settings {
        LocalStorage::get::<Settings>(SETTINGS).ok().filter(|s| s.validate().is_ok()).unwrap_or_default()
    }

    /// Tells whether the person ever saved settings (else the devnet's own addresses may fill them).
    pub fn saved() -> bool {
        LocalStorage::raw().get_item(SETTINGS).ok().flatten().is_some()
    }

    /// Takes the chain server, proxy, channel provider and payment code server (its hub) a devnet
    /// names, for a wallet that kept the defaults.
    pub fn use_devnet(&mut self, devnet: &DevnetInfo) {
        self.esplora_url = devnet.esplora_url.clone();
        self.proxy_url_template = devnet.proxy_url_template.clone();
        self.lsp = devnet.hub.clone().unwrap_or_default();
        self.payment_code_server = devnet.payment_code_server.clone().unwrap_or_default();
    }

    /// Checks, then saves. Nothing is saved when a value is refused.
    pub fn save(&self) -> Result<(), SettingsError> {
        self.validate()?;
        let _ = LocalStorage::set(SETTINGS, self);
        Ok(())
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        let url = self.esplora_url.trim();
        if !is_http_url(url) {
            return Err(SettingsError::EsploraUrl);
        }
        let second = self.second_esplora_url.trim();
        if !second.is_empty() && (!is_http_url(second) || second.trim_end_matches('/') == url.trim_end_matches('/')) {
            return Err(SettingsError::SecondEsploraUrl);
        }
        let proxy = self.proxy_url_template.trim();
        if !(proxy.starts_with("ws://") || proxy.starts_with("wss://")) || !proxy.contains("{host}") || !proxy.contains("{port}") {
            return Err(SettingsError::ProxyTemplate);
        }
        if self.max_fee_percent > 100 {
            return Err(SettingsError::FeePercent);
        }
        if self.max_channel_sat < 20_000 {
            return Err(SettingsError::ChannelSize);
        }
        // Checked so that its msat (a thousand times more) fit in a u64, as every sat amount does.
        if self.min_fee_cap_sat > ALL_SATS || self.onchain_fee_floor_sat > ALL_SATS {
            return Err(SettingsError::FeeFloor);
        }
        if self.onchain_fee_percent > 100 {
            return Err(SettingsError::FeePercent);
        }
        if self.lsp().is_some_and(|lsp| lsp.parse::<PeerUri>().is_err()) {
            return Err(SettingsError::Lsp);
        }
        if self.payment_code_server().is_some_and(|url| !is_http_url(&url)) {
            return Err(SettingsError::PaymentCodeServer);
        }
        Ok(())
    }

    /// The channel provider, if one is set.
    pub fn lsp(&self) -> Option<String> {
        let lsp = self.lsp.trim();
        (!lsp.is_empty()).then(|| lsp.to_owned())
    }

    /// The payment code's server, if one is set.
    pub fn payment_code_server(&self) -> Option<String> {
        let url = self.payment_code_server.trim();
        (!url.is_empty()).then(|| url.to_owned())
    }

    /// The second Esplora server, if one is set.
    pub fn second_esplora_url(&self) -> Option<String> {
        let url = self.second_esplora_url.trim();
        (!url.is_empty()).then(|| url.to_owned())
    }

    /// Returns the most a payment of `amount_msat` may pay in routing fees.
    pub fn max_fee_msat(&self, amount_msat: u64) -> u64 {
        (amount_msat / 100).saturating_mul(u64::from(self.max_fee_percent)).max(self.min_fee_cap_sat.saturating_mul(1000))
    }

    /// The devnet's control URL, when the wallet is on regtest.
    pub fn devnet(&self) -> Option<&str> {
        self.devnet_url.as_deref().filter(|_| self.network == Network::Regtest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_devnet_and_valid() {
        let settings = Settings::default();
        assert_eq!(settings.validate(), Ok(()));
        assert_eq!(settings.devnet(), Some(DEFAULT_DEVNET_URL));
    }

    #[test]
    fn a_devnet_counts_only_on_regtest() {
        let settings = Settings { network: Network::Signet, ..Settings::default() };
        assert_eq!(settings.devnet(), None);
    }

    #[test]
    fn each_bad_value_is_named() {
        let base = Settings::default();
        assert_eq!(Settings { esplora_url: "ftp://x.example".into(), ..base.clone() }.validate(), Err(SettingsError::EsploraUrl));
        assert_eq!(Settings { second_esplora_url: "esplora.example".into(), ..base.clone() }.validate(), Err(SettingsError::SecondEsploraUrl));
        let same_server = format!("{}/", base.esplora_url);
        assert_eq!(Settings { second_esplora_url: same_server, ..base.clone() }.validate(), Err(SettingsError::SecondEsploraUrl));
        let second = Settings { second_esplora_url: " https://mempool.example/api ".into(), ..base.clone() };
        assert_eq!(second.validate(), Ok(()));
        assert_eq!(second.second_esplora_url(), Some("https://mempool.example/api".to_owned()));
        assert_eq!(base.second_esplora_url(), None);
        assert_eq!(Settings { proxy_url_template: "ws://p.example/v1/{host}".into(), ..base.clone() }.validate(), Err(SettingsError::ProxyTemplate));
        assert_eq!(
            Settings { proxy_url_template: "https://p.example/{host}/{port}".into(), ..base.clone() }.validate(),
            Err(SettingsError::ProxyTemplate)
        );
        assert_eq!(Settings { max_fee_percent: 101, ..base.clone() }.validate(), Err(SettingsError::FeePercent));
        assert_eq!(Settings { max_channel_sat: 10_000, ..base.clone() }.validate(), Err(SettingsError::ChannelSize));
        assert_eq!(Settings { payment_code_server: "hub.example/paths".into(), ..base.clone() }.validate(), Err(SettingsError::PaymentCodeServer));
        assert_eq!(
            Settings { payment_code_server: " https://hub.example/paths ".into(), ..base.clone() }.payment_code_server().as_deref(),
            Some("https://hub.example/paths")
        );
        assert_eq!(Settings { payment_code_server: "  ".into(), ..base.clone() }.payment_code_server(), None);
        assert_eq!(Settings { lsp: "hub.example:9735".into(), ..base.clone() }.validate(), Err(SettingsError::Lsp));
        let hub = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798@127.0.0.1:9735";
        let lsp = Settings { lsp: format!(" {hub} "), ..base.clone() };
        assert_eq!((lsp.validate(), lsp.lsp()), (Ok(()), Some(hub.to_owned())));
        assert_eq!(base.lsp(), None);
        // A stored floor past every sat there is (a damaged or edited localStorage) is refused, and
        // the fee cap cannot overflow on it either way.
        let absurd = Settings { min_fee_cap_sat: u64::MAX / 10, ..base };
        assert_eq!(absurd.validate(), Err(SettingsError::FeeFloor));
        assert_eq!(absurd.max_fee_msat(1_000), u64::MAX);
    }

    #[test]
    fn the_fee_cap_is_a_percentage_with_a_floor() {
        let settings = Settings { max_fee_percent: 1, min_fee_cap_sat: 10, ..Settings::default() };
        assert_eq!(settings.max_fee_msat(100_000_000), 1_000_000);
        assert_eq!(settings.max_fee_msat(21_000), 10_000, "a tiny payment may still pay 10 sats");
    }
}
