//! The `blixtra-devnet` command: starts on loopback, serves its config, faucet and control API, bridges
//! through its proxy, and stops cleanly on SIGINT.

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

fn start() -> Devnet {
    let mut child = Command::new(env!("CARGO_BIN_EXE_blixtra-devnet"))
        .args(["--http", "127.0.0.1:0", "--proxy", "127.0.0.1:0"])
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
    let height: u32 = get(&format!("{}/blocks/tip/height", devnet.http)).as_str().expect("text").parse().expect("a number");
    assert!(height > 100, "mined past coinbase maturity at start: {height}");

    let address = regtest_address();
    let sent = post(&format!("{}/devnet/faucet", devnet.http), json!({ "address": address.to_string(), "amount_sat": 250_000 }));
    assert_eq!(sent.status_code, 200, "{}", sent.as_str().unwrap_or_default());
    let txid = sent.json::<Value>().expect("json")["txid"].as_str().expect("txid").to_owned();
    let history: Value = get(&format!("{}/address/{address}/txs", devnet.http)).json().expect("json");
    assert_eq!(history[0]["txid"], txid.as_str());
    assert_eq!(history[0]["status"]["confirmed"], true);
    assert!(history[0]["vout"].as_array().expect("outputs").iter().any(|o| o["value"] == 250_000 && o["scriptpubkey_address"] == address.to_string().as_str()));

    let refused = post(&format!("{}/devnet/faucet", devnet.http), json!({ "address": "bc1qnotregtest", "amount_sat": 1000 }));
    assert_eq!(refused.status_code, 400);
    let too_much = post(&format!("{}/devnet/faucet", devnet.http), json!({ "address": address.to_string(), "amount_sat": 21_000_000u64 * 100_000_000 }));
    assert_eq!(too_much.status_code, 400);
    assert!(too_much.as_str().expect("text").contains("mine more blocks"));

    let mined: Value = post(&format!("{}/devnet/mine", devnet.http), json!({ "blocks": 3 })).json().expect("json");
    assert_eq!(mined["tip"], height + 1 + 3);
    let reorged: Value = post(&format!("{}/devnet/reorg", devnet.http), json!({ "depth": 2 })).json().expect("json");
    assert_eq!(reorged["tip"], height + 1 + 3 + 1);

    post(&format!("{}/devnet/automine", devnet.http), json!({ "enabled": true }));
    let auto: Value = post(&format!("{}/devnet/faucet", devnet.http), json!({ "address": address.to_string(), "amount_sat": 10_000, "confirm": false })).json().expect("json");
    let status: Value = get(&format!("{}/tx/{}/status", devnet.http, auto["txid"].as_str().expect("txid"))).json().expect("json");
    assert_eq!(status["confirmed"], true, "automine confirmed the broadcast at once");

    bridges_through_the_proxy(&config);
    stops_on_sigint(devnet);
}

fn bridges_through_the_proxy(config: &Value) {
    let echo = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = echo.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = echo.accept() {
            let mut buf = [0u8; 64];
            if let Ok(n) = stream.read(&mut buf) {
                let _ = stream.write_all(&buf[..n]);
            }
        }
    });
    let template = config["proxy_url_template"].as_str().expect("template");
    let url = template.replace("{host}", "127.0.0.1").replace("{port}", &port.to_string());
    let proxy = url.trim_start_matches("ws://").split('/').next().expect("host:port").to_owned();
    let path = url.trim_start_matches("ws://").trim_start_matches(&proxy).to_owned();
    // A hand-written WebSocket handshake and one masked binary frame: enough to see bytes cross.
    let mut stream = std::net::TcpStream::connect(&proxy).expect("connect to the proxy");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {proxy}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").expect("write");
    let mut response = Vec::new();
    let mut byte = [0u8; 1];
    while !response.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("handshake response");
        response.push(byte[0]);
    }
    assert!(String::from_utf8_lossy(&response).starts_with("HTTP/1.1 101"), "{}", String::from_utf8_lossy(&response));
    let mask = [1u8, 2, 3, 4];
    let payload = b"ping";
    let mut frame = vec![0x82, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).expect("frame");
    let mut header = [0u8; 2];
    stream.read_exact(&mut header).expect("echo frame");
    assert_eq!(header, [0x82, payload.len() as u8], "an unmasked binary frame from the server");
    let mut echoed = [0u8; 4];
    stream.read_exact(&mut echoed).expect("echo payload");
    assert_eq!(&echoed, payload);
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
