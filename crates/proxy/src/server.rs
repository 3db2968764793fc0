//! Accepts WebSocket connections, checks each against the policy, connects to its target and runs
//! the bridge. Every check that can be made before the handshake is (the client gets an HTTP status);
//! name resolution and the connect happen after it (the client gets a close code and reason).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::bridge;
use crate::policy::{Admission, ConnectionLimits, PendingHandshake, Policy, Refusal};
use crate::target::{Target, TargetHost};

/// The largest WebSocket message accepted from a client. Lightning messages are at most 65,535 bytes
/// (plus 34 of encryption overhead); this leaves room for a client that sends several in one frame,
/// and bounds what one connection can make the proxy buffer.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

pub struct Server {
    policy: Arc<Policy>,
    limits: Arc<ConnectionLimits>,
}

impl Server {
    pub fn new(policy: Policy) -> Self {
        Self { policy: Arc::new(policy), limits: Arc::default() }
    }

    /// Returns the connection counter (for status and tests).
    pub fn limits(&self) -> Arc<ConnectionLimits> {
        self.limits.clone()
    }

    /// Serves connections from `listener` until the task is dropped.
    pub async fn serve(&self, listener: TcpListener) {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let (policy, limits) = (self.policy.clone(), self.limits.clone());
                    tokio::spawn(async move { handle(stream, peer, policy, limits).await });
                }
                Err(e) => {
                    // Out of file descriptors, most likely: back off instead of spinning.
                    log::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(2 * MAX_MESSAGE_BYTES)
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
}

async fn handle(stream: TcpStream, peer: SocketAddr, policy: Arc<Policy>, limits: Arc<ConnectionLimits>) {
    let _ = stream.set_nodelay(true);
    // A place is taken before a byte is read: a connection that never finishes its handshake holds
    // one of its client's places, and one of the proxy's, until the handshake timeout.
    let pending = match limits.start_handshake(peer.ip(), &policy) {
        Ok(pending) => pending,
        Err(refusal) => {
            log::info!("refused a connection from {peer} before its request: {refusal}");
            return refuse_before_request(stream, &refusal).await;
        }
    };
    let mut pending = Some(pending);
    let mut admitted: Option<(Target, Admission)> = None;
    // The signature is tungstenite's handshake callback; its large error type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let check = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        let pending = pending.take().expect("the handshake callback runs once");
        match admit(request, peer.ip(), pending, &policy, &limits) {
            Ok(decision) => {
                admitted = Some(decision);
                Ok(response)
            }
            Err(refusal) => {
                // The log may say what the client is not told (a resolved address).
                log::info!("refused a connection: {refusal:?}");
                Err(error_response(&refusal))
            }
        }
    };
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(websocket_config()));
    let ws = match tokio::time::timeout(policy.handshake_timeout, handshake).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => return log::debug!("handshake failed: {e}"),
        Err(_) => return log::debug!("handshake timed out"),
    };
    let Some((target, _admission)) = admitted else { return };
    match connect(&target, &policy).await {
        Ok(tcp) => {
            log::debug!("bridging to {target}");
            let report = bridge::run(ws, tcp, policy.idle_timeout, policy.max_lifetime).await;
            log::info!("bridge closed ({:?}): {} bytes to target, {} bytes to client", report.ending, report.bytes_to_target, report.bytes_to_client);
        }
        Err(refusal) => {
            log::info!("could not bridge: {refusal:?}");
            refuse_after_handshake(ws, &refusal).await;
        }
    }
}

/// The checks made during the handshake: origin, path, port, a literal address, the caps (for the
/// client a trusted reverse proxy names, or the peer).
fn admit(
    request: &Request,
    peer: IpAddr,
    pending: PendingHandshake,
    policy: &Policy,
    limits: &Arc<ConnectionLimits>,
) -> Result<(Target, Admission), Refusal> {
    policy.check_origin(request.headers().get(http::header::ORIGIN).and_then(|v| v.to_str().ok()))?;
    let target = Target::from_path(request.uri().path()).map_err(Refusal::BadPath)?;
    policy.check_port(target.port)?;
    if let TargetHost::Ip(ip) = target.host {
        policy.check_address(ip)?;
    }
    let forwarded_for = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let admission = limits.admit(pending, policy.client_of(peer, forwarded_for), policy)?;
    Ok((target, admission))
}

/// How long a connection refused before its request is read has to send it: read and dropped, so
/// that closing does not reset the connection before the client has read the refusal.
const REFUSAL_DRAIN: Duration = Duration::from_millis(500);

/// Answers a connection refused before its request (the caps) with the refusal's HTTP status, as
/// the handshake would have, then closes it.
async fn refuse_before_request(mut stream: TcpStream, refusal: &Refusal) {
    let reason = refusal.to_string();
    let status = http::StatusCode::from_u16(refusal.http_status()).expect("refusal statuses are valid HTTP statuses");
    let response = format!(
        "HTTP/1.1 {} {}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{reason}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        reason.len()
    );
    let _ = tokio::time::timeout(REFUSAL_DRAIN, async {
        if stream.write_all(response.as_bytes()).await.is_ok() && stream.shutdown().await.is_ok() {
            let mut sink = [0u8; 4096];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        }
    })
    .await;
}

/// Resolves the target, checks every address it resolves to (so a name cannot smuggle in a private
/// one), then connects to those same addresses, never resolving again.
async fn connect(target: &Target, policy: &Policy) -> Result<TcpStream, Refusal> {
    let addresses: Vec<SocketAddr> = match &target.host {
        TargetHost::Ip(ip) => vec![SocketAddr::new(*ip, target.port)],
        TargetHost::Name(name) => tokio::time::timeout(policy.connect_timeout, tokio::net::lookup_host((name.as_str(), target.port)))
            .await
            .map_err(|_| Refusal::ResolveFailed("timed out".into()))?
            .map_err(|e| Refusal::ResolveFailed(e.to_string()))?
            .collect(),
    };
    if addresses.is_empty() {
        return Err(Refusal::ResolveFailed("no addresses".into()));
    }
    for address in &addresses {
        policy.check_address(address.ip())?;
    }
    let mut last = Refusal::ConnectTimedOut;
    for address in addresses {
        match tokio::time::timeout(policy.connect_timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last = Refusal::ConnectFailed(e.kind().to_string()),
            Err(_) => last = Refusal::ConnectTimedOut,
        }
    }
    Err(last)
}

fn error_response(refusal: &Refusal) -> ErrorResponse {
    let mut response = http::Response::new(Some(refusal.to_string()));
    *response.status_mut() = http::StatusCode::from_u16(refusal.http_status()).expect("refusal statuses are valid HTTP statuses");
    response
}

async fn refuse_after_handshake<S>(mut ws: WebSocketStream<S>, refusal: &Refusal)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let frame = CloseFrame { code: CloseCode::from(refusal.close_code()), reason: refusal.to_string().into() };
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = ws.send(Message::Close(Some(frame))).await;
        let _ = ws.close(None).await;
    })
    .await;
}
