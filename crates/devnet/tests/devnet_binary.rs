//! The `blixtra-devnet` command: starts on loopback with its peers, serves its config, faucet and
//! control APIs, lets hub pay shop and open and close channels, bridges through its proxy to the
//! peers only, counts browsers' Esplora requests, and stops cleanly on SIGINT. With `--anchor`, a
//! third node pays hub and shop in timed runs.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Address, CompressedPublicKey, Network};
use serde_json::{json, Value};

struct Devnet {
    child: Child,
    http: String,
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on now (the peers need theirs before they start).
fn free_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    format!("127.0.0.1:{}", listener.local_addr().expect("addr").port())
}

fn start() -> Devnet {
    start_with(&[])
}

fn start_with(extra: &[&str]) -> Devnet {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_blixtra-devnet"))
        .args(["--http", "127.0.0.1:0", "--proxy", "127.0.0.1:0", "--hub", &free_port(), "--shop", &free_port()])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the devnet starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut http = None;
    for line in lines.by_ref() {
        let line = line.expect("readable");
        if let Some(rest) = line.strip_prefix("esplora: ") {
            http = rest.split_whitespace().next().map(str::to_owned);
        }
        if line == "ready" {
            break;
        }
    }
    // The issue's bound is 60 s from start to a proven route; a debug build on a loaded CI machine
    // gets twice that before this test calls it a failure.
    assert!(started.elapsed() < Duration::from_secs(120), "ready after {:?}", started.elapsed());
    // Keep draining stdout so the devnet never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Devnet { child, http: http.expect("the devnet prints its Esplora URL before 'ready'") }
}

fn get(url: &str) -> minreq::Response {
    minreq::get(url).with_timeout(10).send().expect("the request is answered")
}

fn post(url: &str, body: Value) -> minreq::Response {
    minreq::post(url).with_json(&body).expect("json").with_timeout(30).send().expect("the request is answered")
}

fn regtest_address() -> Address {
    let key = SecretKey::from_slice(&[0x33; 32]).expect("key");
    let public = CompressedPublicKey(key.public_key(&Secp256k1::new()));
    Address::p2wpkh(&public, Network::Regtest)
}

#[test]
fn the_devnet_serves_config_faucet_and_control_and_stops_on_sigint() {
    let devnet = start();
    let config: Value = get(&format!("{}/devnet.json", devnet.http)).json().expect("json");
    assert_eq!(config["network"], "regtest");
    assert_eq!(config["esplora_url"], devnet.http.as_str());
    assert!(config["anchor"].is_null(), "no anchor without --anchor: {config}");
    let height: u32 = get(&format!("{}/blocks/tip/height", devnet.http)).as_str().expect("text").parse().expect("a number");
    assert!(height > 100, "mined past coinbase maturity at start: {height}");

    let address = regtest_address();
    let sent = post(&format!("{}/devnet/faucet", devnet.http), json!({ "address": address.to_string(), "amount_sat": 250_000 }));
    assert_eq!(sent.status_code, 200, "{}", sent.as_str().unwrap_or_default());
    let txid = sent.json::<Value>().expect("json")["txid"].as_str().expect("txid").to_owned();
    let history: Value = get(&format!("{}/address/{address}/txs", devnet.http)).json().expect("json");
    assert_eq!(history[0]["txid"], txid.as_str());
    assert_eq!(history[0]["status"]["confirmed"], true);
    assert!(history[0]["vout"]
        .as_array()
        .expect("outputs")
        .iter()
        .any(|o| o["value"] == 250_000 && o["scriptpubkey_address"] == address.to_string().as_str()));

    let refused = post(&format!("{}/devnet/faucet", devnet.http), json!({ "address": "bc1qnotregtest", "amount_sat": 1000 }));
    assert_eq!(refused.status_code, 400);
    let too_much =
        post(&format!("{}/devnet/faucet", devnet.http), json!({ "address": address.to_string(), "amount_sat": 21_000_000u64 * 100_000_000 }));
    assert_eq!(too_much.status_code, 400);
    assert!(too_much.as_str().expect("text").contains("mine more blocks"));

    let mined: Value = post(&format!("{}/devnet/mine", devnet.http), json!({ "blocks": 3 })).json().expect("json");
    assert_eq!(mined["tip"], height + 1 + 3);
    let reorged: Value = post(&format!("{}/devnet/reorg", devnet.http), json!({ "depth": 2 })).json().expect("json");
    assert_eq!(reorged["tip"], height + 1 + 3 + 1);

    post(&format!("{}/devnet/automine", devnet.http), json!({ "enabled": true }));
    let auto: Value =
        post(&format!("{}/devnet/faucet", devnet.http), json!({ "address": address.to_string(), "amount_sat": 10_000, "confirm": false }))
            .json()
            .expect("json");
    let status: Value = get(&format!("{}/tx/{}/status", devnet.http, auto["txid"].as_str().expect("txid"))).json().expect("json");
    assert_eq!(status["confirmed"], true, "automine confirmed the broadcast at once");

    hub_pays_shop_and_the_control_api_reports_it(&devnet, &config);
    counts_esplora_requests_from_browsers(&devnet);
    hub_opens_and_closes_a_channel(&devnet, &config);
    bridges_through_the_proxy_to_the_peers_only(&config);
    stops_on_sigint(devnet);
}

#[test]
fn a_data_directory_keeps_the_chain_and_the_peers_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().to_str().expect("utf-8 path");
    let first = start_with(&["--data-dir", data_dir]);
    let tip_before = get(&format!("{}/blocks/tip/hash", first.http)).as_str().expect("text").to_owned();
    let hub_before: Value = get(&format!("{}/devnet/nodes/hub", first.http)).json().expect("json");
    stops_on_sigint(first);

    let second = start_with(&["--data-dir", data_dir]);
    assert_eq!(get(&format!("{}/blocks/tip/hash", second.http)).as_str().expect("text"), tip_before, "no new funding or channel on restart");
    let hub_after: Value = get(&format!("{}/devnet/nodes/hub", second.http)).json().expect("json");
    assert_eq!(hub_after["node_id"], hub_before["node_id"]);
    assert_eq!(hub_after["channels"].as_array().expect("channels").len(), 1);
    assert_eq!(hub_after["channels"][0]["channel_id"], hub_before["channels"][0]["channel_id"]);
    assert_eq!(hub_after["channels"][0]["is_usable"], true, "ready means shop is reachable again");
    stops_on_sigint(second);
}

#[test]
fn the_anchor_pays_hub_and_shop_in_timed_runs() {
    let devnet = start_with(&["--anchor", &free_port()]);
    let config: Value = get(&format!("{}/devnet.json", devnet.http)).json().expect("json");
    let anchor: Value = get(&format!("{}/devnet/nodes/anchor", devnet.http)).json().expect("json");
    assert_eq!(config["anchor"], anchor["uri"], "devnet.json names the anchor as node_id@host:port");
    // A wallet's channel: unannounced, to hub, of 1,000,000 sat.
    let hub_id = config["hub"].as_str().expect("hub").split('@').next().expect("id");
    let channel = &anchor["channels"][0];
    assert_eq!((channel["counterparty_node_id"].as_str(), channel["value_sat"].as_u64()), (Some(hub_id), Some(1_000_000)), "{anchor}");
    assert_eq!((channel["is_usable"].as_bool(), channel["is_announced"].as_bool()), (Some(true), Some(false)), "{anchor}");

    // Two hops: hub forwards, and charges for it.
    let amount_msat = 7_654_000;
    let run = bench_pay(&devnet, "anchor", json!({ "to": "shop", "count": 3, "amount_msat": amount_msat }));
    assert_eq!(run.status_code, 200, "{}", run.as_str().unwrap_or_default());
    let run: Value = run.json().expect("json");
    let latencies: Vec<f64> = run["latencies_ms"].as_array().expect("latencies").iter().map(|l| l.as_f64().expect("a number")).collect();
    let fees: Vec<u64> = run["fees_msat"].as_array().expect("fees").iter().map(|f| f.as_u64().expect("a whole number")).collect();
    assert_eq!((latencies.len(), fees.len()), (3, 3), "{run}");
    assert!(latencies.iter().all(|&ms| ms > 0.0 && ms < 60_000.0), "{run}");
    assert!(fees.iter().all(|&fee| fee > 0), "hub's forwarding fee: {run}");
    let received: Value = get(&format!("{}/devnet/nodes/shop/payments", devnet.http)).json().expect("json");
    let received = received
        .as_array()
        .expect("a list")
        .iter()
        .filter(|p| p["amount_msat"] == amount_msat && p["direction"] == "inbound" && p["status"] == "succeeded")
        .count();
    assert_eq!(received, 3, "shop received each payment");

    // One hop: no fee.
    let run: Value = bench_pay(&devnet, "anchor", json!({ "to": "hub", "count": 1, "amount_msat": 1000 })).json().expect("json");
    assert_eq!(run["fees_msat"], json!([0]), "{run}");

    let unknown = bench_pay(&devnet, "anchor", json!({ "to": "carol", "count": 1, "amount_msat": 1000 }));
    assert_eq!(unknown.status_code, 404);
    assert_eq!(unknown.as_str().expect("text"), r#"no node named "carol"; the devnet runs hub, shop, anchor"#);
    let itself = bench_pay(&devnet, "anchor", json!({ "to": "anchor", "count": 1, "amount_msat": 1000 }));
    assert_eq!((itself.status_code, itself.as_str().expect("text")), (400, "anchor cannot pay itself; choose another node for `to`"));
    let too_many = bench_pay(&devnet, "anchor", json!({ "to": "shop", "count": 5001, "amount_msat": 1000 }));
    assert_eq!((too_many.status_code, too_many.as_str().expect("text")), (400, "count must be from 1 to 5000"));
    // More than the anchor's channel holds: no route, and the answer names the payment.
    let unpayable = bench_pay(&devnet, "anchor", json!({ "to": "shop", "count": 2, "amount_msat": 2_000_000_000 }));
    assert_eq!(unpayable.status_code, 422);
    assert!(unpayable.as_str().expect("text").starts_with("anchor: payment 1 of 2 (hash "), "{}", unpayable.as_str().unwrap_or_default());
    stops_on_sigint(devnet);
}

fn bench_pay(devnet: &Devnet, payer: &str, body: Value) -> minreq::Response {
    post(&format!("{}/devnet/nodes/{payer}/bench_pay", devnet.http), body)
}

/// A request with an `Origin` header, as a page's cross-origin fetch sends, counts as a browser's; one
/// without (LDK Node's client, this test's) only in the total. The peers' syncs may add to the total
/// meanwhile, never to the browsers' count.
fn counts_esplora_requests_from_browsers(devnet: &Devnet) {
    let counts = || -> (u64, u64) {
        let counts: Value = get(&format!("{}/devnet/requests", devnet.http)).json().expect("json");
        (counts["from_browsers"].as_u64().expect("a count"), counts["total"].as_u64().expect("a count"))
    };
    let (browsers, total) = counts();
    let from_a_page = minreq::get(format!("{}/blocks/tip/height", devnet.http))
        .with_header("Origin", "http://127.0.0.1:8080")
        .with_timeout(10)
        .send()
        .expect("answered");
    assert_eq!(from_a_page.status_code, 200);
    assert_eq!(from_a_page.headers.get("access-control-allow-origin").map(String::as_str), Some("*"), "still answered with CORS");
    let (browsers_after, total_after) = counts();
    assert_eq!(browsers_after, browsers + 1);
    assert!(total_after > total, "{total} then {total_after}");

    assert_eq!(get(&format!("{}/blocks/tip/hash", devnet.http)).status_code, 200);
    let (browsers_last, total_last) = counts();
    assert_eq!(browsers_last, browsers_after, "a request without Origin is not a browser's");
    assert!(total_last > total_after, "{total_after} then {total_last}");
}

fn hub_pays_shop_and_the_control_api_reports_it(devnet: &Devnet, config: &Value) {
    let hub: Value = get(&format!("{}/devnet/nodes/hub", devnet.http)).json().expect("json");
    assert_eq!(config["hub"], hub["uri"], "devnet.json names hub as node_id@host:port");
    let channel = &hub["channels"][0];
    assert_eq!(channel["is_usable"], true, "{hub}");
    assert_eq!(channel["is_announced"], true, "{hub}");
    let before = channel["outbound_msat"].as_u64().expect("outbound");

    let invoice: Value = post(
        &format!("{}/devnet/nodes/shop/invoice", devnet.http),
        json!({ "amount_msat": 21_000_000, "description": "a coffee", "expiry_secs": 600 }),
    )
    .json()
    .expect("json");
    let paid = post(&format!("{}/devnet/nodes/hub/pay", devnet.http), json!({ "invoice": invoice["invoice"] }));
    assert_eq!(paid.status_code, 200, "{}", paid.as_str().unwrap_or_default());
    let paid: Value = paid.json().expect("json");
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["amount_msat"], 21_000_000);
    assert_eq!(paid["payment_hash"], invoice["payment_hash"]);
    let preimage = paid["preimage"].as_str().expect("a preimage once paid");

    let received: Value = get(&format!("{}/devnet/nodes/shop/payments", devnet.http)).json().expect("json");
    let received =
        received.as_array().expect("a list").iter().find(|p| p["payment_hash"] == invoice["payment_hash"]).expect("shop lists the payment").clone();
    assert_eq!(received["direction"], "inbound");
    assert_eq!(received["status"], "succeeded");
    assert_eq!(received["amount_msat"], 21_000_000);
    assert_eq!(received["preimage"], preimage);
    let sent: Value = get(&format!("{}/devnet/nodes/hub/payments", devnet.http)).json().expect("json");
    assert!(sent.as_array().expect("a list").iter().any(|p| p["payment_hash"] == invoice["payment_hash"] && p["direction"] == "outbound"));
    let hub: Value = get(&format!("{}/devnet/nodes/hub", devnet.http)).json().expect("json");
    assert_eq!(hub["channels"][0]["outbound_msat"].as_u64().expect("outbound"), before - 21_000_000);

    // Paying twice, garbage and unknown nodes: refused with words, nothing paid.
    let again = post(&format!("{}/devnet/nodes/hub/pay", devnet.http), json!({ "invoice": invoice["invoice"] }));
    assert_eq!(again.status_code, 400);
    let garbage = post(&format!("{}/devnet/nodes/hub/pay", devnet.http), json!({ "invoice": "lnbcrt1notaninvoice" }));
    assert_eq!(garbage.status_code, 400);
    assert!(garbage.as_str().expect("text").starts_with("not a BOLT11 invoice"));
    let carol = get(&format!("{}/devnet/nodes/carol", devnet.http));
    assert_eq!(carol.status_code, 404);
    assert_eq!(carol.as_str().expect("text"), r#"no node named "carol"; the devnet runs hub, shop"#);
    assert_eq!(get(&format!("{}/devnet/nodes/anchor", devnet.http)).status_code, 404, "no anchor without --anchor");
    let hub_after: Value = get(&format!("{}/devnet/nodes/hub", devnet.http)).json().expect("json");
    assert_eq!(hub_after["channels"][0]["outbound_msat"], hub["channels"][0]["outbound_msat"]);
}

/// Hub opens a second, unannounced channel to shop, as it would to give a wallet inbound liquidity,
/// then closes it cooperatively. Mining through the control API answers once the peers have synced.
fn hub_opens_and_closes_a_channel(devnet: &Devnet, config: &Value) {
    let opened =
        post(&format!("{}/devnet/nodes/hub/channels", devnet.http), json!({ "node": config["shop"], "amount_sat": 400_000, "push_msat": 0 }));
    assert_eq!(opened.status_code, 200, "{}", opened.as_str().unwrap_or_default());
    let user_channel_id = opened.json::<Value>().expect("json")["user_channel_id"].as_str().expect("id").to_owned();
    let channel = || -> Option<Value> {
        let hub: Value = get(&format!("{}/devnet/nodes/hub", devnet.http)).json().expect("json");
        hub["channels"].as_array().expect("channels").iter().find(|c| c["user_channel_id"] == user_channel_id.as_str()).cloned()
    };
    wait_until("the funding transaction", || channel().is_some_and(|c| c["funding_txid"].is_string()));
    // The funding transaction may reach the mempool a moment after hub records it.
    wait_until("the funding in the mempool", || {
        let txid = channel().and_then(|c| c["funding_txid"].as_str().map(str::to_owned)).expect("txid");
        get(&format!("{}/tx/{txid}/status", devnet.http)).status_code == 200
    });
    post(&format!("{}/devnet/mine", devnet.http), json!({ "blocks": 6 }));
    wait_until("the new channel to be usable", || channel().is_some_and(|c| c["is_usable"] == true && c["is_announced"] == false));

    let refused = post(&format!("{}/devnet/nodes/hub/channels", devnet.http), json!({ "node": "not-a-node", "amount_sat": 400_000 }));
    assert_eq!(refused.status_code, 400);

    let shop_id = config["shop"].as_str().expect("shop").split('@').next().expect("id");
    let closed = post(
        &format!("{}/devnet/nodes/hub/channels/close", devnet.http),
        json!({ "user_channel_id": user_channel_id, "counterparty_node_id": shop_id }),
    );
    assert_eq!(closed.status_code, 200, "{}", closed.as_str().unwrap_or_default());
    wait_until("the channel to close", || {
        post(&format!("{}/devnet/mine", devnet.http), json!({ "blocks": 1 }));
        channel().is_none()
    });
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(30), "{what} did not happen within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Opens a WebSocket through the proxy with a hand-written handshake; returns the stream after a
/// 101, or the status line.
fn websocket(config: &Value, host: &str, port: &str) -> Result<std::net::TcpStream, String> {
    let template = config["proxy_url_template"].as_str().expect("template");
    let url = template.replace("{host}", host).replace("{port}", port);
    let proxy = url.trim_start_matches("ws://").split('/').next().expect("host:port").to_owned();
    let path = url.trim_start_matches("ws://").trim_start_matches(&proxy).to_owned();
    let mut stream = std::net::TcpStream::connect(&proxy).expect("connect to the proxy");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {proxy}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").expect("write");
    let mut response = Vec::new();
    let mut byte = [0u8; 1];
    while !response.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("handshake response");
        response.push(byte[0]);
    }
    let response = String::from_utf8_lossy(&response).into_owned();
    if response.starts_with("HTTP/1.1 101") {
        Ok(stream)
    } else {
        Err(response.lines().next().unwrap_or_default().to_owned())
    }
}

fn bridges_through_the_proxy_to_the_peers_only(config: &Value) {
    // Any other loopback port is refused, even one that listens.
    let other = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let refused = websocket(config, "127.0.0.1", &other.local_addr().expect("addr").port().to_string());
    assert_eq!(refused.err().as_deref(), Some("HTTP/1.1 403 Forbidden"));

    // Hub's port is bridged: an invalid Noise act one (50 bytes, a zero public key) reaches hub,
    // which hangs up; the proxy passes the hang-up back as a close.
    let hub_port = config["hub"].as_str().expect("hub").rsplit(':').next().expect("port");
    let mut stream = websocket(config, "127.0.0.1", hub_port).expect("a bridge to hub");
    let mask = [1u8, 2, 3, 4];
    let act_one = [0u8; 50];
    let mut frame = vec![0x82, 0x80 | act_one.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(act_one.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).expect("frame");
    // The bridge tells apart a target that hung up (1000, "the target closed the connection") from
    // one it could not reach (1011).
    let mut header = [0u8; 2];
    stream.read_exact(&mut header).expect("a close frame");
    assert_eq!(header[0], 0x88, "a close frame, not data: {header:?}");
    let mut payload = vec![0u8; usize::from(header[1] & 0x7f)];
    stream.read_exact(&mut payload).expect("the close payload");
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1000);
    assert_eq!(String::from_utf8_lossy(&payload[2..]), "the target closed the connection");
}

fn stops_on_sigint(mut devnet: Devnet) {
    let pid = devnet.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().expect("kill runs").success());
    let started = Instant::now();
    loop {
        if let Some(status) = devnet.child.try_wait().expect("wait") {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the devnet did not stop within 10 s of SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
}
