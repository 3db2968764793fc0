//! Pumps bytes between a WebSocket (binary frames) and a TCP stream, both ways, with backpressure: a
//! frame is read from one side only after the last one was written to the other, so a slow side slows
//! the other and a bridge never buffers more than one frame and one read chunk.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::WebSocketStream;

/// How much is read from the target at once: one Lightning message fits (65,535 bytes plus overhead
/// arrive in a few reads), and 500 bridges hold at most 8 MiB of read buffers.
const READ_CHUNK: usize = 16 * 1024;
/// How long a closing bridge waits for the other side's close.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Which side ended the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    ClientClosed,
    TargetClosed,
    Idle,
    ClientError,
    TargetError,
    /// The client sent a text frame; Lightning bytes travel in binary frames only.
    TextFrame,
    /// Open for the policy's longest time.
    Lifetime,
}

/// What a bridge carried, for the log (sizes only, never contents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BridgeReport {
    pub bytes_to_target: u64,
    pub bytes_to_client: u64,
    pub ending: Ending,
}

/// Runs the bridge until one side closes, fails, both are silent for `idle_timeout`, or it has been
/// open for `max_lifetime`.
pub async fn run<S>(ws: WebSocketStream<S>, tcp: TcpStream, idle_timeout: Duration, max_lifetime: Duration) -> BridgeReport
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut ws_tx, mut ws_rx) = ws.split();
    let (mut tcp_rx, mut tcp_tx) = tcp.into_split();
    let started = Instant::now();
    let last_activity_ms = AtomicU64::new(0);
    let touch = || last_activity_ms.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
    let (up, down) = (AtomicU64::new(0), AtomicU64::new(0));

    let client_to_target = async {
        while let Some(message) = ws_rx.next().await {
            match message {
                Ok(Message::Binary(bytes)) => {
                    touch();
                    if tcp_tx.write_all(&bytes).await.is_err() {
                        return Ending::TargetError;
                    }
                    up.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                }
                Ok(Message::Close(_)) => break,
                Ok(Message::Text(_)) => return Ending::TextFrame,
                // Pings are answered by tungstenite itself; pongs and raw frames carry nothing for us.
                Ok(_) => touch(),
                Err(_) => return Ending::ClientError,
            }
        }
        Ending::ClientClosed
    };
    let target_to_client = async {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            match tcp_rx.read(&mut buf).await {
                Ok(0) => return Ending::TargetClosed,
                Ok(n) => {
                    touch();
                    if ws_tx.send(Message::Binary(Bytes::copy_from_slice(&buf[..n]))).await.is_err() {
                        return Ending::ClientError;
                    }
                    down.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(_) => return Ending::TargetError,
            }
        }
    };
    let watchdog = async {
        loop {
            tokio::time::sleep(idle_timeout / 4).await;
            let idle_for = started.elapsed().saturating_sub(Duration::from_millis(last_activity_ms.load(Ordering::Relaxed)));
            if idle_for >= idle_timeout {
                return Ending::Idle;
            }
        }
    };
    let ending = tokio::select! {
        ending = client_to_target => ending,
        ending = target_to_client => ending,
        ending = watchdog => ending,
        () = tokio::time::sleep(max_lifetime) => Ending::Lifetime,
    };

    // Close both ways: FIN to the target, a close frame to the client (which also flushes the reply to
    // a client's own close), then a short wait for the client's answer.
    let _ = tcp_tx.shutdown().await;
    let (code, reason) = match ending {
        Ending::TargetClosed => (CloseCode::Normal, "the target closed the connection"),
        Ending::Idle => (CloseCode::Away, "idle timeout"),
        Ending::Lifetime => (CloseCode::Away, "open for the proxy's longest time; connect again"),
        Ending::TextFrame => (CloseCode::Unsupported, "only binary frames are bridged"),
        Ending::TargetError => (CloseCode::Error, "the connection to the target failed"),
        Ending::ClientClosed | Ending::ClientError => (CloseCode::Normal, ""),
    };
    let close = Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        if ending != Ending::ClientClosed && ending != Ending::ClientError {
            let _ = ws_tx.send(close).await;
            while let Some(Ok(message)) = ws_rx.next().await {
                if message.is_close() {
                    break;
                }
            }
        }
        let _ = ws_tx.close().await;
    })
    .await;
    BridgeReport { bytes_to_target: up.into_inner(), bytes_to_client: down.into_inner(), ending }
}
