//! The pages' end of the UI protocol: spawns the node's Web Worker (`src/bin/node_worker.rs`, which
//! Trunk builds beside the app), says hello, starts the node, and turns requests into futures that
//! resolve on their replies. Events go to a callback. Single-threaded: the client lives on the page's
//! main thread and holds the worker through `Rc`, never `Send`.
//!
//! The worker belongs to this tab: it is started only after the tab holds the wallet's Web Lock
//! (`Wallet::open`) and dies with the tab, so the node can never run in two tabs.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use blixtra_core::node::events::NodeEvent;
use blixtra_core::node::NodeError;
use futures::channel::oneshot;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

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
}

#[derive(Clone)]
pub struct NodeClient {
    inner: Rc<Inner>,
}

struct Inner {
    worker: Worker,
    next_id: Cell<u64>,
    pending: RefCell<HashMap<u64, oneshot::Sender<Result<serde_json::Value, NodeCallError>>>>,
    /// The worker's unasked hello, once its wasm has loaded and it listens.
    hello: RefCell<Option<oneshot::Receiver<Result<FromNode, NodeCallError>>>>,
    /// Who waits for the next `Hello`, `Started`, `StartFailed` or `Stopped`.
    lifecycle: RefCell<Option<oneshot::Sender<Result<FromNode, NodeCallError>>>>,
    on_notice: Box<dyn Fn(NodeNotice)>,
    failed: RefCell<Option<String>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl NodeClient {
    /// Spawns the node's worker. `on_notice` hears every event and the worker's failure.
    pub fn spawn(on_notice: impl Fn(NodeNotice) + 'static) -> Result<NodeClient, NodeCallError> {
        let worker = Worker::new(WORKER_SCRIPT).map_err(|e| NodeCallError::WorkerFailed(format!("{e:?}")))?;
        // The worker speaks first (see worker.rs): whatever the page sent before its
        // wasm loaded would be lost.
        let (hello_sender, hello) = oneshot::channel();
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
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
            Inner {
                worker,
                next_id: Cell::new(1),
                pending: RefCell::new(HashMap::new()),
                hello: RefCell::new(Some(hello)),
                lifecycle: RefCell::new(Some(hello_sender)),
                on_notice: Box::new(on_notice),
                failed: RefCell::new(None),
                _on_message: on_message,
                _on_error: on_error,
            }
        });
        Ok(NodeClient { inner })
    }

    /// Waits for the worker's hello and checks that it speaks this page's protocol, then starts the
    /// node. Returns its node id.
    pub async fn start(&self, start: StartNode) -> Result<String, NodeCallError> {
        let hello = self.inner.hello.borrow_mut().take().ok_or_else(|| NodeCallError::WorkerFailed("started twice".into()))?;
        match hello.await.unwrap_or_else(|_| Err(NodeCallError::WorkerFailed("the worker went away".into())))? {
            FromNode::Hello { version } if version == PROTOCOL_VERSION => {}
            FromNode::Hello { version } => return Err(NodeCallError::StartFailed(StartError::Version { page: PROTOCOL_VERSION, node: version })),
            other => return Err(NodeCallError::Protocol(format!("the first message was {}", message_kind(&other)))),
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

    /// Stops the node (it writes its state on the way out), then ends the worker.
    pub async fn stop(&self) {
        // A worker that already failed has nothing to write: end it at once.
        if self.inner.failed.borrow().is_none() {
            let _ = self.inner.lifecycle_call(ToNode::Stop).await;
        }
        self.inner.worker.terminate();
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
        self.worker.post_message(&text.as_str().into()).map_err(|e| NodeCallError::WorkerFailed(format!("{e:?}")))
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
            lifecycle @ (FromNode::Hello { .. } | FromNode::Started { .. } | FromNode::StartFailed { .. } | FromNode::Stopped) => {
                let waiter = self.lifecycle.borrow_mut().take();
                if let Some(waiter) = waiter {
                    let _ = waiter.send(Ok(lifecycle));
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
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
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
    }
}
