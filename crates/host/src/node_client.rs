//! The pages' end of the UI protocol: spawns the node's Web Worker (`src/bin/node_worker.rs`, which
//! Trunk builds beside the app), says hello, starts the node, and turns requests into futures that
//! resolve on their replies. Events go to a callback. Single-threaded: the client lives on the page's
//! main thread and holds the worker through `Rc`, never `Send`.
//!
//! The worker belongs to this tab: it is started only after the tab holds the wallet's Web Lock
//! (`Wallet::open`) and dies with the tab, so the node can never run in two tabs.
//!
//! In the extension the node is not this page's: it runs in the extension's node host, shared by the
//! popup, the tab and the prompts, and the client reaches it through a port
//! ([`NodeClient::connect_extension_host`]). Then `stop` stops the node for every page, and a page
//! that goes away leaves it running.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use blixtra_core::node::events::NodeEvent;
use blixtra_core::node::NodeError;
use futures::channel::oneshot;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::browser::extension_host::HostPort;
use crate::protocol::{Call, Caller, FromNode, StartError, StartNode, ToNode, PROTOCOL_VERSION};

/// Where Trunk puts the worker's loader (`data-loader-shim` in index.html; workers are not hashed).
const WORKER_SCRIPT: &str = "/node_worker_loader.js";

/// What talking to the node can fail at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeCallError {
    /// The node answered with a refusal or a failure.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The node did not start; the worker says why.
    #[error("the node did not start: {0}")]
    StartFailed(StartError),
    /// The worker could not be created, or it failed and is gone; the browser's words.
    #[error("the node's worker failed: {0}")]
    WorkerFailed(String),
    /// The worker answered what this page cannot read: a page and a worker of different builds.
    #[error("the node's answer cannot be read ({0})")]
    Protocol(String),
}

/// What the client reports besides answers.
#[derive(Debug, Clone)]
pub enum NodeNotice {
    Event(NodeEvent),
    /// The worker failed (a panic, a script that did not load): the node is gone.
    WorkerFailed(String),
    /// Another page stopped the shared node (the extension's popup locked the wallet).
    Stopped,
    /// A website paid within its budget, without a prompt.
    WebsitePaid {
        origin: String,
        amount_sat: u64,
        fee_sat: u64,
    },
}

/// How the client reaches the node.
enum Transport {
    /// Its own worker, which ends with the client.
    Worker(Worker),
    /// The extension's shared node, which runs on.
    Extension(HostPort),
}

impl Transport {
    fn post(&self, text: &str) -> Result<(), NodeCallError> {
        match self {
            Transport::Worker(worker) => worker.post_message(&text.into()).map_err(|e| NodeCallError::WorkerFailed(format!("{e:?}"))),
            Transport::Extension(port) => port.post(text).map_err(NodeCallError::WorkerFailed),
        }
    }

    fn close(&self) {
        match self {
            Transport::Worker(worker) => {
                worker.set_onmessage(None);
                worker.set_onerror(None);
                worker.terminate();
            }
            Transport::Extension(port) => port.disconnect(),
        }
    }
}

#[derive(Clone)]
pub struct NodeClient {
    inner: Rc<Inner>,
}

struct Inner {
    transport: RefCell<Option<Transport>>,
    next_id: Cell<u64>,
    pending: RefCell<HashMap<u64, oneshot::Sender<Result<serde_json::Value, NodeCallError>>>>,
    /// The worker's unasked hello, once its wasm has loaded and it listens.
    hello: RefCell<Option<oneshot::Receiver<Result<FromNode, NodeCallError>>>>,
    /// What the hello said: `Some(node id)` when the node already ran (the extension's shared one).
    said_hello: RefCell<Option<Option<String>>>,
    /// Who waits for the next `Hello`, `Started`, `StartFailed` or `Stopped`.
    lifecycle: RefCell<Option<oneshot::Sender<Result<FromNode, NodeCallError>>>>,
    on_notice: Box<dyn Fn(NodeNotice)>,
    failed: RefCell<Option<String>>,
    _listeners: Option<WorkerListeners>,
}

/// A worker's `onmessage` and `onerror` handlers, kept as long as the client.
type WorkerListeners = (Closure<dyn FnMut(MessageEvent)>, Closure<dyn FnMut(ErrorEvent)>);

impl NodeClient {
    /// Spawns the node's worker. `on_notice` hears every event and the worker's failure.
    pub fn spawn(on_notice: impl Fn(NodeNotice) + 'static) -> Result<NodeClient, NodeCallError> {
        let worker = Worker::new(WORKER_SCRIPT).map_err(|e| NodeCallError::WorkerFailed(format!("{e:?}")))?;
        // The worker speaks first (see worker.rs): whatever the page sent before its
        // wasm loaded would be lost.
        let client = NodeClient::new(on_notice, |weak| {
            let on_message = {
                let weak = weak.clone();
                Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                    if let (Some(inner), Some(text)) = (weak.upgrade(), event.data().as_string()) {
                        inner.receive(&text);
                    }
                })
            };
            let on_error = {
                let weak = weak.clone();
                Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
                    if let Some(inner) = weak.upgrade() {
                        inner.fail(event.message());
                    }
                })
            };
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            Some((on_message, on_error))
        });
        *client.inner.transport.borrow_mut() = Some(Transport::Worker(worker));
        Ok(client)
    }

    /// Connects to the extension's shared node host (see `browser::extension_host`); it says hello
    /// on the new port as a worker does.
    pub async fn connect_extension_host(on_notice: impl Fn(NodeNotice) + 'static) -> Result<NodeClient, NodeCallError> {
        let client = NodeClient::new(on_notice, |_| None);
        let (on_message, on_gone) = (Rc::downgrade(&client.inner), Rc::downgrade(&client.inner));
        let port = HostPort::open(
            move |text| {
                if let Some(inner) = on_message.upgrade() {
                    inner.receive(&text);
                }
            },
            move |reason| {
                if let Some(inner) = on_gone.upgrade() {
                    inner.fail(reason);
                }
            },
        )
        .await
        .map_err(NodeCallError::WorkerFailed)?;
        *client.inner.transport.borrow_mut() = Some(Transport::Extension(port));
        Ok(client)
    }

    fn new(on_notice: impl Fn(NodeNotice) + 'static, listeners: impl FnOnce(&Weak<Inner>) -> Option<WorkerListeners>) -> NodeClient {
        let (hello_sender, hello) = oneshot::channel();
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| Inner {
            transport: RefCell::new(None),
            next_id: Cell::new(1),
            pending: RefCell::new(HashMap::new()),
            hello: RefCell::new(Some(hello)),
            said_hello: RefCell::new(None),
            lifecycle: RefCell::new(Some(hello_sender)),
            on_notice: Box::new(on_notice),
            failed: RefCell::new(None),
            _listeners: listeners(weak),
        });
        NodeClient { inner }
    }

    /// Waits for the host's hello and checks that it speaks this page's protocol. Returns the
    /// node's id if it already runs (the extension's node, started by another page).
    pub async fn hello(&self) -> Result<Option<String>, NodeCallError> {
        if let Some(running) = self.inner.said_hello.borrow().clone() {
            return Ok(running);
        }
        let hello = self.inner.hello.borrow_mut().take().ok_or_else(|| NodeCallError::WorkerFailed("hello awaited twice at once".into()))?;
        match hello.await.unwrap_or_else(|_| Err(NodeCallError::WorkerFailed("the worker went away".into())))? {
            FromNode::Hello { version, running } if version == PROTOCOL_VERSION => {
                *self.inner.said_hello.borrow_mut() = Some(running.clone());
                Ok(running)
            }
            FromNode::Hello { version, .. } => Err(NodeCallError::StartFailed(StartError::Version { page: PROTOCOL_VERSION, node: version })),
            other => Err(NodeCallError::Protocol(format!("the first message was {}", message_kind(&other)))),
        }
    }

    /// Starts the node, unless it already runs (then its id is all there is to it: the page has
    /// checked the passphrase against its own copy of the vault). Returns its node id.
    pub async fn start(&self, start: StartNode) -> Result<String, NodeCallError> {
        if let Some(node_id) = self.hello().await? {
            return Ok(node_id);
        }
        match self.inner.lifecycle_call(ToNode::Start(start)).await? {
            FromNode::Started { node_id } => Ok(node_id),
            FromNode::StartFailed { error } => Err(NodeCallError::StartFailed(error)),
            other => Err(NodeCallError::Protocol(format!("start was answered with {}", message_kind(&other)))),
        }
    }

    /// Asks the node, as the wallet's own UI, and waits for the answer of `call`'s type.
    pub async fn call<C: Call>(&self, call: C) -> Result<C::Answer, NodeCallError> {
        let id = self.inner.next_id.get();
        self.inner.next_id.set(id + 1);
        let (sender, reply) = oneshot::channel();
        self.inner.pending.borrow_mut().insert(id, sender);
        self.inner.post(&ToNode::Request { id, caller: Caller::App, command: call.into() })?;
        let answer = reply.await.unwrap_or_else(|_| Err(NodeCallError::WorkerFailed("the worker went away".into())))?;
        serde_json::from_value(answer).map_err(|e| NodeCallError::Protocol(e.to_string()))
    }

    /// Tells the node the person is using this page, so that it does not lock itself as idle
    /// (see `StartNode::auto_lock_after_secs`), with the page's current auto-lock setting.
    pub fn note_activity(&self, auto_lock_after_secs: Option<u64>) {
        let _ = self.inner.post(&ToNode::Activity { auto_lock_after_secs });
    }

    /// Stops the node (it writes its state on the way out), then ends the worker or the port.
    pub async fn stop(&self) {
        // A worker that already failed has nothing to write: end it at once.
        if self.inner.failed.borrow().is_none() {
            let _ = self.inner.lifecycle_call(ToNode::Stop).await;
        }
        self.close();
    }

    /// Lets go of the node without stopping it: the extension's node runs on for its other pages.
    /// (A worker of this page's own ends, as it would with the page.)
    pub fn close(&self) {
        if let Some(transport) = self.inner.transport.borrow_mut().take() {
            transport.close();
        }
    }
}

impl Inner {
    fn post(&self, message: &ToNode) -> Result<(), NodeCallError> {
        if let Some(reason) = self.failed.borrow().clone() {
            return Err(NodeCallError::WorkerFailed(reason));
        }
        // `Start` carries the passphrase: its encoding is wiped once handed to the browser.
        let text = zeroize::Zeroizing::new(
            serde_json::to_string(message).map_err(|e| NodeCallError::WorkerFailed(format!("cannot encode a message: {e}")))?,
        );
        match self.transport.borrow().as_ref() {
            Some(transport) => transport.post(&text),
            None => Err(NodeCallError::WorkerFailed("the node's connection is closed".into())),
        }
    }

    async fn lifecycle_call(&self, message: ToNode) -> Result<FromNode, NodeCallError> {
        if self.lifecycle.borrow().is_some() {
            return Err(NodeCallError::WorkerFailed("another start or stop is under way".into()));
        }
        let (sender, answer) = oneshot::channel();
        *self.lifecycle.borrow_mut() = Some(sender);
        if let Err(e) = self.post(&message) {
            self.lifecycle.borrow_mut().take();
            return Err(e);
        }
        answer.await.unwrap_or_else(|_| Err(NodeCallError::WorkerFailed("the worker went away".into())))
    }

    fn receive(&self, text: &str) {
        let message = match serde_json::from_str::<FromNode>(text) {
            Ok(message) => message,
            Err(e) => return self.fail(format!("not a message of the node protocol: {e}")),
        };
        match message {
            FromNode::Reply { id, result } => {
                if let Some(waiter) = self.pending.borrow_mut().remove(&id) {
                    let _ = waiter.send(result.map_err(NodeCallError::from));
                }
            }
            FromNode::Event { event } => (self.on_notice)(NodeNotice::Event(event)),
            FromNode::WebsitePaid { origin, amount_sat, fee_sat } => (self.on_notice)(NodeNotice::WebsitePaid { origin, amount_sat, fee_sat }),
            // For the extension's node host, which has the window opened; a page has none to open.
            FromNode::OpenPrompt { .. } => {}
            lifecycle @ (FromNode::Hello { .. } | FromNode::Started { .. } | FromNode::StartFailed { .. } | FromNode::Stopped) => {
                let waiter = self.lifecycle.borrow_mut().take();
                match waiter {
                    Some(waiter) => {
                        let _ = waiter.send(Ok(lifecycle));
                    }
                    // Unasked: another page of the extension stopped the node they share.
                    None if lifecycle == FromNode::Stopped => (self.on_notice)(NodeNotice::Stopped),
                    None => {}
                }
            }
        }
    }

    /// Marks the worker failed and tells everyone waiting.
    fn fail(&self, reason: String) {
        *self.failed.borrow_mut() = Some(reason.clone());
        let waiting: Vec<_> = self.pending.borrow_mut().drain().map(|(_, w)| w).collect();
        for waiter in waiting {
            let _ = waiter.send(Err(NodeCallError::WorkerFailed(reason.clone())));
        }
        if let Some(waiter) = self.lifecycle.borrow_mut().take() {
            let _ = waiter.send(Err(NodeCallError::WorkerFailed(reason.clone())));
        }
        (self.on_notice)(NodeNotice::WorkerFailed(reason));
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(transport) = self.transport.get_mut().take() {
            transport.close();
        }
    }
}

/// Names a lifecycle message without its contents (for an error that says what came instead).
fn message_kind(message: &FromNode) -> &'static str {
    match message {
        FromNode::Hello { .. } => "hello",
        FromNode::Started { .. } => "started",
        FromNode::StartFailed { .. } => "start_failed",
        FromNode::Reply { .. } => "reply",
        FromNode::Event { .. } => "event",
        FromNode::Stopped => "stopped",
        FromNode::OpenPrompt { .. } => "open_prompt",
        FromNode::WebsitePaid { .. } => "website_paid",
    }
}
