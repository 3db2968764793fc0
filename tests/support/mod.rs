//! What the browser tests share: the devnet that `cargo xtask test` starts (its URL arrives at compile
//! time in `BLIXTRA_DEVNET_URL`), its config and its control API.
#![allow(dead_code)] // Each test file uses its own part.

pub mod node;

use std::str::FromStr;

use blixtra_core::node::net::PeerUri;
use serde_json::Value;

pub fn devnet_url() -> &'static str {
    // A match, not `expect`: clippy denies `option_env!(..).expect(..)` (`option_env_unwrap`).
    match option_env!("BLIXTRA_DEVNET_URL") {
        Some(url) => url,
        None => panic!("BLIXTRA_DEVNET_URL: run the browser tests through `cargo xtask test`, which starts the devnet"),
    }
}

/// The devnet's addresses, from its `/devnet.json`.
#[derive(Clone)]
pub struct Devnet {
    pub esplora_url: String,
    pub proxy_url_template: String,
    pub hub: PeerUri,
    /// Where hub gives a wallet the paths to it for a payment code (async payments).
    pub payment_code_server: String,
}

pub async fn devnet() -> Devnet {
    let config: Value =
        gloo_net::http::Request::get(&format!("{}/devnet.json", devnet_url())).send().await.expect("the devnet answers").json().await.expect("json");
    let text = |key: &str| config[key].as_str().unwrap_or_else(|| panic!("devnet.json has {key}")).to_owned();
    Devnet {
        esplora_url: text("esplora_url"),
        proxy_url_template: text("proxy_url_template"),
        hub: PeerUri::from_str(&text("hub")).expect("hub's address"),
        payment_code_server: text("payment_code_server"),
    }
}

/// Calls the devnet's control API (`/devnet/{path}`) and returns its JSON answer; any other status
/// than 2xx fails the test with the devnet's message.
pub async fn control(path: &str, body: Value) -> Value {
    let response = gloo_net::http::Request::post(&format!("{}/devnet/{path}", devnet_url()))
        .json(&body)
        .expect("json")
        .send()
        .await
        .expect("the devnet answers");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!((200..300).contains(&status), "{path}: {status} {text}");
    serde_json::from_str(&text).expect("json")
}

/// Reads the devnet's control API (`GET /devnet/{path}`).
pub async fn control_get(path: &str) -> Value {
    let response = gloo_net::http::Request::get(&format!("{}/devnet/{path}", devnet_url())).send().await.expect("the devnet answers");
    assert!(response.ok(), "{path}: {}", response.status());
    response.json().await.expect("json")
}
