//! Browser tests of the peer socket (`WsConnector`) against the devnet: through the proxy to hub, a
//! handshake hub refuses, our own disconnect, and connections the proxy refuses or cannot take.
//!
//! The devnet's URL arrives at compile time in `BLIXTRA_DEVNET_URL` (set by `cargo xtask test`).
#![cfg(target_arch = "wasm32")]

use blixtra_core::node::net::{CloseReason, ConnectError, Connector, SocketEvent};
use blixtra_host::browser::now_ms;
use blixtra_host::browser::ws_socket::WsConnector;
use futures::channel::mpsc::UnboundedReceiver;
use futures::{FutureExt, StreamExt};
use gloo_timers::future::TimeoutFuture;
use lightning::ln::peer_handler::SocketDescriptor;
use wasm_bindgen_test::*;

mod support;

use support::devnet;

wasm_bindgen_test_configure!(run_in_browser);

/// Longer than any close here should take, far shorter than the proxy's 300 s idle timeout.
const EVENT_WAIT_MS: u32 = 5_000;

/// Returns the next event, or `None` if none comes within `EVENT_WAIT_MS`.
async fn next_event(events: &mut UnboundedReceiver<SocketEvent>) -> Option<SocketEvent> {
    futures::select! {
        event = events.next() => event,
        () = TimeoutFuture::new(EVENT_WAIT_MS).fuse() => None,
    }
}

/// Collects events until the stream ends or `EVENT_WAIT_MS` passes without one.
async fn events_until_end(events: &mut UnboundedReceiver<SocketEvent>) -> Vec<SocketEvent> {
    let mut seen = Vec::new();
    while let Some(event) = next_event(events).await {
        seen.push(event);
    }
    seen
}

#[wasm_bindgen_test]
async fn hub_drops_a_connection_whose_handshake_is_garbage() {
    let devnet = devnet().await;
    let (mut socket, mut events) =
        WsConnector::new(&devnet.proxy_url_template).connect(&devnet.hub.host, devnet.hub.port).await.expect("the proxy bridges to hub");

    // Act one is 50 bytes starting with version 0; version 0xff makes hub give up at once.
    assert_eq!(socket.send_data(&[0xff; 50], true), 50, "the whole act goes out as one frame");
    let started = now_ms();
    let seen = events_until_end(&mut events).await;
    assert_eq!(
        seen,
        [SocketEvent::Closed(CloseReason::Remote { code: 1000, reason: "the target closed the connection".to_owned() })],
        "no bytes from hub, then the proxy's close"
    );
    assert!(now_ms() - started < 2_000.0, "hub drops it promptly, not by a timeout ({} ms)", now_ms() - started);
    assert_eq!(socket.send_data(&[0; 50], true), 0, "nothing is sent on a closed socket");
}

#[wasm_bindgen_test]
async fn disconnecting_reports_the_close_as_ours() {
    let devnet = devnet().await;
    let connector = WsConnector::new(&devnet.proxy_url_template);
    let (mut socket, mut events) = connector.connect(&devnet.hub.host, devnet.hub.port).await.expect("the proxy bridges to hub");
    let (mut other, mut other_events) = connector.connect(&devnet.hub.host, devnet.hub.port).await.expect("a second connection");
    assert!(socket == socket.clone() && socket != other, "a descriptor equals its clones only");

    socket.disconnect_socket();
    assert_eq!(socket.send_data(&[0; 50], true), 0, "nothing is sent once we have closed");
    assert_eq!(events_until_end(&mut events).await, [SocketEvent::Closed(CloseReason::ByUs)]);
    other.disconnect_socket();
    assert_eq!(events_until_end(&mut other_events).await, [SocketEvent::Closed(CloseReason::ByUs)], "the other connection, closed on its own");
}

#[wasm_bindgen_test]
async fn a_port_the_proxy_does_not_allow_is_refused() {
    let devnet = devnet().await;
    let error = WsConnector::new(&devnet.proxy_url_template).connect(&devnet.hub.host, 22).await.expect_err("port 22 is not a peer's");
    let ConnectError::Unreachable { address, reason } = &error else { panic!("unreachable, not {error:?}") };
    assert_eq!(address, &format!("{}:22", devnet.hub.host));
    // The proxy answers the handshake with 403 and a reason; Chromium gives the page neither, only close code 1006.
    assert!(reason.contains("1006"), "{reason}");
}

#[wasm_bindgen_test]
async fn a_target_the_proxy_cannot_reach_opens_then_closes_with_the_proxys_reason() {
    let devnet = devnet().await;
    // An allowed port, but a name that never resolves (RFC 6761). The proxy resolves only after the
    // handshake, so the socket opens; its close then carries the proxy's code and reason.
    let (_socket, mut events) = WsConnector::new(&devnet.proxy_url_template)
        .connect("blixtra-test.invalid", devnet.hub.port)
        .await
        .expect("the proxy accepts before resolving");
    let seen = events_until_end(&mut events).await;
    let [SocketEvent::Closed(CloseReason::Remote { code: 1011, reason })] = seen.as_slice() else { panic!("one close with 1011, not {seen:?}") };
    assert!(reason.starts_with("cannot resolve the host"), "{reason}");
}

#[wasm_bindgen_test]
async fn a_proxy_that_is_not_there_fails_quickly() {
    let devnet = devnet().await;
    let started = now_ms();
    // Chromium counts port 9 (discard) as unsafe and fails it without a network attempt; to the page
    // that looks exactly like a closed port (1006 within milliseconds), so the check holds either way.
    let error = WsConnector::new("ws://127.0.0.1:9/v1/{host}/{port}")
        .connect(&devnet.hub.host, devnet.hub.port)
        .await
        .expect_err("nothing listens on port 9");
    let ConnectError::Unreachable { reason, .. } = &error else { panic!("unreachable, not {error:?}") };
    assert!(reason.contains("1006"), "{reason}");
    assert!(now_ms() - started < 2_000.0, "failed in {} ms", now_ms() - started);
}
