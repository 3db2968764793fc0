//! LDK's peer connections in the browser: a WebSocket to the proxy, which bridges it to the peer's TCP
//! port. Nothing here is `Send`: the socket, its event handlers and the channel they feed live on the
//! page's one thread, and clones of a descriptor share them through an `Rc`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use blixtra_core::node::net::{proxy_url, CloseReason, ConnectError, Connector, SocketEvent};
use futures::channel::mpsc::{self, UnboundedReceiver, UnboundedSender};
use futures::channel::oneshot;
use futures::{FutureExt, StreamExt};
use gloo_timers::future::TimeoutFuture;
use js_sys::{ArrayBuffer, Uint8Array};
use lightning::ln::peer_handler::SocketDescriptor;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// How long the proxy has to accept the WebSocket (it connects to the peer only afterwards).
const CONNECT_TIMEOUT_MS: u32 = 10_000;
/// RFC 6455's "normal closure".
const NORMAL_CLOSURE: u16 = 1000;
/// RFC 6455's "unsupported data": the proxy sends binary frames only.
const UNSUPPORTED_DATA: u16 = 1003;

/// Gives each connection its own identity, for LDK's `Eq`/`Hash` on descriptors.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Opens WebSockets to Lightning peers through the proxy.
pub struct WsConnector {
    proxy_template: String,
}

impl WsConnector {
    /// Returns a connector whose URLs fill `proxy_template` (`ws(s)://HOST/v1/{host}/{port}`).
    pub fn new(proxy_template: &str) -> Self {
        Self { proxy_template: proxy_template.to_owned() }
    }
}

impl Connector for WsConnector {
    type Socket = WsSocketDescriptor;

    /// Opens a WebSocket to the proxy for `host:port`; resolves once the proxy accepts it. The proxy
    /// resolves and connects to the peer only after that, so a peer it cannot reach shows as the
    /// stream's first event, `Closed(Remote { code: 1011, reason })`, not as an error here.
    async fn connect(&self, host: &str, port: u16) -> Result<(WsSocketDescriptor, UnboundedReceiver<SocketEvent>), ConnectError> {
        let address = if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        let url = proxy_url(&self.proxy_template, host, port)?;
        let ws = WebSocket::new(&url).map_err(|e| ConnectError::Invalid { address: address.clone(), reason: js_message(&e) })?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let (events_tx, mut events) = mpsc::unbounded();
        let (opened_tx, opened) = oneshot::channel();
        let pending = Pending(Some(WsSocketDescriptor::wire(ws, events_tx, opened_tx)));
        match wait_open(opened, &mut events).await {
            Ok(()) => Ok((pending.into_open(), events)),
            Err(reason) => Err(ConnectError::Unreachable { address, reason }),
        }
    }
}

/// Waits for the socket to open; fails with why if it closes first or takes too long.
async fn wait_open(opened: oneshot::Receiver<()>, events: &mut UnboundedReceiver<SocketEvent>) -> Result<(), String> {
    // Biased to the open: a socket that opened is not given up because the timer fired in the same turn.
    futures::select_biased! {
        result = opened.fuse() => if result.is_ok() { return Ok(()) },
        () = TimeoutFuture::new(CONNECT_TIMEOUT_MS).fuse() => return Err(format!("timed out after {} s", CONNECT_TIMEOUT_MS / 1000)),
    }
    // Closed before opening: the close handler reported why, then dropped the open handler's sender.
    match events.next().await {
        Some(SocketEvent::Closed(reason)) => Err(refusal(reason)),
        _ => Err("the connection ended while opening".to_owned()),
    }
}

/// Describes a close that came before the open: the proxy's refusal if it sent one.
fn refusal(reason: CloseReason) -> String {
    match reason {
        // Chromium reports an HTTP refusal at the handshake and an unreachable proxy alike: 1006, no reason.
        CloseReason::Remote { code, reason } if reason.is_empty() => {
            format!("the proxy refused the connection or could not be reached (close code {code})")
        }
        CloseReason::Remote { code, reason } => format!("the proxy refused: {reason} (close code {code})"),
        other => other.to_string(),
    }
}

/// Returns a thrown JS value's message (`new WebSocket` throws a `SyntaxError` for a bad URL).
fn js_message(error: &JsValue) -> String {
    error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| format!("{error:?}"))
}

/// Holds a socket while it opens, and closes it if the open fails or `connect` is abandoned.
struct Pending(Option<WsSocketDescriptor>);

impl Pending {
    /// Hands the opened socket over to the caller.
    fn into_open(mut self) -> WsSocketDescriptor {
        self.0.take().expect("the socket is held until it is handed over")
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(socket) = self.0.take() {
            socket.0.closed_by_us.set(true);
            socket.0.unwire();
            let _ = socket.0.ws.close();
        }
    }
}

/// One WebSocket to the proxy, as LDK's peer manager writes to it. Clones share the socket.
#[derive(Clone)]
pub struct WsSocketDescriptor(Rc<Connection>);

/// What the clones of a descriptor share.
struct Connection {
    id: u64,
    ws: WebSocket,
    closed_by_us: Cell<bool>,
    /// Set while the socket may fire events; emptied (and the handlers unset) on close.
    handlers: RefCell<Option<Handlers>>,
}

/// Keeps the socket's event handlers alive while they are installed.
struct Handlers {
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl WsSocketDescriptor {
    /// Installs the socket's handlers: `open` answers `opened`, messages and the close go to `events`.
    /// There is no `error` handler: a browser always follows `error` with `close`, which reports it.
    fn wire(ws: WebSocket, events: UnboundedSender<SocketEvent>, opened: oneshot::Sender<()>) -> Self {
        let connection =
            Rc::new(Connection { id: NEXT_ID.fetch_add(1, Ordering::Relaxed), ws, closed_by_us: Cell::new(false), handlers: RefCell::new(None) });
        let mut opened = Some(opened);
        let on_open = Closure::<dyn FnMut()>::new(move || {
            if let Some(opened) = opened.take() {
                let _ = opened.send(());
            }
        });
        let (receiving, data) = (Rc::clone(&connection), events.clone());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| receiving.on_message(&event, &data));
        let closing = Rc::clone(&connection);
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| closing.on_close(&event, &events));
        connection.ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        connection.ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        connection.ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        *connection.handlers.borrow_mut() = Some(Handlers { _on_open: on_open, _on_message: on_message, _on_close: on_close });
        Self(connection)
    }
}

impl Connection {
    /// Passes a binary frame on; anything else is not from our proxy, so the connection is closed.
    fn on_message(&self, event: &MessageEvent, events: &UnboundedSender<SocketEvent>) {
        match event.data().dyn_into::<ArrayBuffer>() {
            Ok(buffer) => {
                let _ = events.unbounded_send(SocketEvent::Data(Uint8Array::new(&buffer).to_vec()));
            }
            Err(_) => {
                self.closed_by_us.set(true);
                let _ = self.ws.close_with_code_and_reason(UNSUPPORTED_DATA, "binary frames only");
            }
        }
    }

    /// Reports the close as the last event, then drops the handlers (this one included).
    fn on_close(&self, event: &CloseEvent, events: &UnboundedSender<SocketEvent>) {
        let reason = if self.closed_by_us.get() { CloseReason::ByUs } else { CloseReason::Remote { code: event.code(), reason: event.reason() } };
        let _ = events.unbounded_send(SocketEvent::Closed(reason));
        events.close_channel();
        self.unwire();
    }

    /// Unsets the handlers and drops their closures, which breaks their `Rc` cycle back to `self`.
    /// Safe from inside a handler: wasm-bindgen frees a closure only once its running call returns.
    fn unwire(&self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let handlers = self.handlers.borrow_mut().take();
        drop(handlers);
    }
}

impl SocketDescriptor for WsSocketDescriptor {
    /// Sends all of `data` as one binary frame, or nothing (0) once the socket is closing or closed.
    /// `continue_read` is not honoured: a browser WebSocket cannot pause reading (see the core's `net`).
    fn send_data(&mut self, data: &[u8], _continue_read: bool) -> usize {
        if data.is_empty() || self.0.closed_by_us.get() || self.0.ws.ready_state() != WebSocket::OPEN {
            return 0;
        }
        match self.0.ws.send_with_u8_array(data) {
            Ok(()) => data.len(),
            Err(_) => 0,
        }
    }

    /// Closes the socket normally (1000); its close event then reports [`CloseReason::ByUs`].
    fn disconnect_socket(&mut self) {
        self.0.closed_by_us.set(true);
        let _ = self.0.ws.close_with_code(NORMAL_CLOSURE);
    }
}

impl PartialEq for WsSocketDescriptor {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for WsSocketDescriptor {}

impl Hash for WsSocketDescriptor {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.id.hash(state);
    }
}

impl fmt::Debug for WsSocketDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsSocketDescriptor").field("id", &self.0.id).field("url", &self.0.ws.url()).finish()
    }
}
