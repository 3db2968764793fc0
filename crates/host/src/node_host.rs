//! The node's end of the UI protocol in the browser (it runs in the node's Web Worker): takes
//! [`ToNode`] messages, starts the node from the wallet's IndexedDB vault, answers requests with
//! `protocol::answer`, forwards the node's events, and stops it. One node, any number of pages: the
//! web app's tab, or the extension's popup, tab and prompts, each on its own connection.
//! Single-threaded, like everything here.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use blixtra_core::node::key_derivation::NodeKeys;
use blixtra_core::node::lightning_node::{LightningNode, NodeConfig};
use blixtra_core::node::logger::Level;
use blixtra_core::node::onchain::FeeCap;
use blixtra_core::node::NodeError;
use blixtra_core::websites::WebsiteStore;
use blixtra_core::Vault;
use futures::StreamExt;
use lightning::bitcoin::Amount;

use crate::browser::platform::{console_logger, BrowserPlatform};
use crate::browser::timing;
use crate::browser::IdbStore;
use crate::protocol::{answer, permit, Caller, Command, FromNode, Metrics, NodeMetrics, Run, StartError, StartNode, ToNode, PROTOCOL_VERSION};
use crate::website_state::Websites;

type Node = Rc<LightningNode<BrowserPlatform>>;

/// How often the idle lock looks at the clock (more often when the idle time allowed is shorter).
const IDLE_CHECK_SECS: u64 = 10;

pub use crate::connection::ConnectionId;

type Connections = Rc<RefCell<BTreeMap<ConnectionId, Rc<dyn Fn(FromNode)>>>>;

/// When the node locks itself: the idle time allowed and when the person last used a page.
#[derive(Default)]
struct IdleLock {
    after_secs: Cell<Option<u64>>,
    last_activity_ms: Cell<f64>,
    /// Counts starts: only the watcher of the latest one acts.
    generation: Cell<u64>,
}

impl IdleLock {
    fn is_due(&self, now_ms: f64) -> bool {
        self.after_secs.get().is_some_and(|secs| now_ms - self.last_activity_ms.get() >= secs as f64 * 1000.0)
    }
}

pub struct NodeHost {
    pub(crate) node: Rc<RefCell<Option<Node>>>,
    /// Websites' permissions and open prompts (`website_host.rs`).
    pub(crate) websites: Rc<Websites>,
    idle: Rc<IdleLock>,
    /// How the last start went (vault unlock, node start), for `Command::Metrics`.
    start_timings: Cell<(Option<u64>, Option<u64>)>,
    /// Set while a start is under way, so that a second `Start` cannot race it into two nodes.
    starting: Cell<bool>,
    /// Where each connection's messages go. Replies go to the one that asked; events, and the
    /// node's stop, to all of them, so that every page of the extension shows the same node.
    connections: Connections,
    next_connection: Cell<u32>,
}

impl NodeHost {
    /// The connection of the page that spawned the worker.
    pub const FIRST: ConnectionId = ConnectionId(0);

    /// A host whose first connection sends with `send` (the worker's `postMessage`).
    pub fn new(send: impl Fn(FromNode) + 'static) -> Self {
        let send: Rc<dyn Fn(FromNode)> = Rc::new(send);
        Self {
            node: Rc::new(RefCell::new(None)),
            websites: Rc::new(Websites::default()),
            idle: Rc::new(IdleLock::default()),
            start_timings: Cell::new((None, None)),
            starting: Cell::new(false),
            connections: Rc::new(RefCell::new(BTreeMap::from([(Self::FIRST, send)]))),
            next_connection: Cell::new(1),
        }
    }

    /// Adds a connection whose messages go out with `send`, and says hello on it.
    pub fn connect(&self, send: impl Fn(FromNode) + 'static) -> ConnectionId {
        let id = ConnectionId(self.next_connection.get());
        self.next_connection.set(id.0 + 1);
        send(self.hello());
        self.connections.borrow_mut().insert(id, Rc::new(send));
        id
    }

    /// What the host says first: its protocol, and the node's id if it already runs.
    pub fn hello(&self) -> FromNode {
        FromNode::Hello { version: PROTOCOL_VERSION, running: self.node.borrow().as_ref().map(|node| node.node_id().to_string()) }
    }

    /// Handles one message of the first connection.
    pub async fn handle(&self, message: ToNode) {
        self.handle_from(Self::FIRST, message).await
    }

    /// Handles one message of connection `from`; its answer goes back there.
    pub async fn handle_from(&self, from: ConnectionId, message: ToNode) {
        let reply = |message: FromNode| self.send_to(from, message);
        match message {
            ToNode::Hello { version } if version == PROTOCOL_VERSION => reply(self.hello()),
            ToNode::Hello { version } => reply(FromNode::StartFailed { error: StartError::Version { page: version, node: PROTOCOL_VERSION } }),
            ToNode::Start(start) => {
                let outcome = self.start(start).await;
                // The page that spawned the worker hears of a start another page asked for too: in
                // the extension that is the node host, which keeps Firefox's background page awake
                // while the node runs (it hears the stop as every page does).
                if let (Ok(node_id), false) = (&outcome, from == Self::FIRST) {
                    self.send_to(Self::FIRST, FromNode::Started { node_id: node_id.clone() });
                }
                reply(match outcome {
                    Ok(node_id) => FromNode::Started { node_id },
                    Err(error) => FromNode::StartFailed { error },
                });
            }
            // A website speaks WebLN on a port of its own (`website_host.rs`), never this protocol:
            // a request that claims to be a website's is refused whatever it asks.
            ToNode::Request { id, caller: Caller::Website { origin }, .. } => {
                reply(FromNode::Reply { id, result: Err(NodeError::NotPermitted { origin }) });
            }
            ToNode::Request { id, caller, command } if command.for_host() => {
                let result = match permit(&caller, &command) {
                    Ok(()) => self.host_answer(from, command).await,
                    Err(refused) => Err(refused),
                };
                reply(FromNode::Reply { id, result });
            }
            ToNode::Request { id, caller, command } => {
                let node = self.node.borrow().clone();
                let result = match (node, command) {
                    (None, _) => Err(NodeError::Stopped),
                    (Some(node), Command::Metrics(metrics)) => self.metrics(&node, &caller, metrics).await,
                    (Some(node), command) => answer(&node, &caller, command).await,
                };
                reply(FromNode::Reply { id, result });
            }
            ToNode::Stop => {
                let node = self.node.borrow_mut().take();
                self.websites.store.borrow_mut().take();
                if let Some(node) = node {
                    node.stop().await;
                }
                broadcast(&self.connections, FromNode::Stopped);
            }
            ToNode::Detach => {
                self.connections.borrow_mut().remove(&from);
                self.prompts_closed_by(from);
            }
            ToNode::Activity { auto_lock_after_secs } => {
                self.idle.after_secs.set(auto_lock_after_secs);
                self.idle.last_activity_ms.set(crate::browser::now_ms());
            }
        }
    }

    /// The commands the host answers itself (websites' prompts and permissions).
    async fn host_answer(&self, from: ConnectionId, command: Command) -> Result<serde_json::Value, NodeError> {
        fn value<T: serde::Serialize>(answer: Result<T, NodeError>) -> Result<serde_json::Value, NodeError> {
            answer.map(|a| serde_json::to_value(a).expect("answers are plain data"))
        }
        match command {
            Command::PromptDetails(details) => value(self.prompt_details(from, details)),
            Command::AnswerPrompt(answered) => value(self.answer_prompt(answered)),
            Command::Websites(_) => value(self.website_views().await),
            Command::SetWebsite(set) => value(self.set_website(set).await),
            Command::ForgetWebsite(forget) => value(self.forget_website(&forget.origin).await),
            _ => Err(NodeError::Stopped),
        }
    }

    /// Sends `message` to every page.
    pub(crate) fn broadcast(&self, message: FromNode) {
        broadcast(&self.connections, message);
    }

    pub(crate) fn send_to(&self, to: ConnectionId, message: FromNode) {
        let send = self.connections.borrow().get(&to).cloned();
        if let Some(send) = send {
            send(message);
        }
    }

    async fn start(&self, start: StartNode) -> Result<String, StartError> {
        if self.node.borrow().is_some() || self.starting.replace(true) {
            return Err(StartError::AlreadyRunning);
        }
        let outcome = self.start_from_vault(start).await;
        self.starting.set(false);
        outcome
    }

    /// The node's own metrics, with what only the host knows added.
    async fn metrics(&self, node: &Node, caller: &Caller, metrics: Metrics) -> Result<serde_json::Value, NodeError> {
        permit(caller, &metrics.into())?;
        let (vault_unlock_ms, node_start_ms) = self.start_timings.get();
        let metrics = NodeMetrics { memory_bytes: Some(timing::wasm_memory_bytes()), vault_unlock_ms, node_start_ms, ..metrics.run(node).await? };
        Ok(serde_json::to_value(metrics).expect("metrics are plain data"))
    }

    async fn start_from_vault(&self, mut start: StartNode) -> Result<String, StartError> {
        let began = timing::elapsed_ms();
        let store = IdbStore::open(&start.database).await.map_err(|e| StartError::Vault(NodeError::Storage(e.into())));
        let vault = match store {
            Ok(store) => Vault::unlock(store, &start.passphrase).await.map_err(StartError::from),
            Err(e) => Err(e),
        };
        // Used once: wiped whether it opened the vault or not.
        zeroize::Zeroize::zeroize(&mut start.passphrase);
        let vault = vault?;
        let unlocked = timing::elapsed_ms();
        let keys = NodeKeys::derive(&vault.recovery_phrase().await?, start.network);
        let config = NodeConfig {
            network: start.network,
            esplora_url: start.esplora_url.clone(),
            second_esplora_url: start.second_esplora_url.clone(),
            max_channel: Amount::from_sat(start.max_channel_sat),
            onchain_fee_cap: FeeCap { percent: start.onchain_fee_percent, floor: Amount::from_sat(start.onchain_fee_floor_sat) },
            trusted_peers: start.trusted_peers.clone(),
            lsp: start.lsp.as_deref().map(str::parse).transpose().map_err(|e| StartError::Node(NodeError::InvalidPeer(e)))?,
            payment_code_server: start.payment_code_server.clone().filter(|url| !url.trim().is_empty()),
        };
        let platform = BrowserPlatform::new(&start.proxy_url_template);
        let node =
            LightningNode::start(platform, &keys, vault.shared_store(), config, console_logger(Level::Warn)).await.map_err(StartError::Node)?;
        self.start_timings.set((Some((unlocked - began) as u64), Some((timing::elapsed_ms() - unlocked) as u64)));
        self.forward_events(&node);
        let node_id = node.node_id().to_string();
        *self.websites.store.borrow_mut() = Some(Rc::new(WebsiteStore::new(vault.shared_store())));
        *self.node.borrow_mut() = Some(node);
        self.lock_when_idle(start.auto_lock_after_secs);
        Ok(node_id)
    }

    /// Stops the node once the person has not used a page of the wallet for `after_secs`, and tells
    /// every page. The pages' own timers do the same while one is open; this one also runs with none.
    fn lock_when_idle(&self, after_secs: Option<u64>) {
        let idle = self.idle.clone();
        idle.after_secs.set(after_secs);
        idle.last_activity_ms.set(crate::browser::now_ms());
        idle.generation.set(idle.generation.get() + 1);
        let (generation, node, connections, websites) = (idle.generation.get(), self.node.clone(), self.connections.clone(), self.websites.clone());
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let check_every = idle.after_secs.get().map_or(IDLE_CHECK_SECS, |secs| secs.clamp(1, IDLE_CHECK_SECS));
                gloo_timers::future::sleep(std::time::Duration::from_secs(check_every)).await;
                if idle.generation.get() != generation || node.borrow().is_none() {
                    return;
                }
                if idle.is_due(crate::browser::now_ms()) {
                    let running = node.borrow_mut().take();
                    websites.store.borrow_mut().take();
                    if let Some(running) = running {
                        running.stop().await;
                    }
                    broadcast(&connections, FromNode::Stopped);
                    return;
                }
            }
        });
    }

    fn forward_events(&self, node: &Node) {
        let (mut events, connections) = (node.subscribe(), self.connections.clone());
        wasm_bindgen_futures::spawn_local(async move {
            while let Some(event) = events.next().await {
                broadcast(&connections, FromNode::Event { event });
            }
        });
    }
}

/// Sends `message` to every connection.
fn broadcast(connections: &Connections, message: FromNode) {
    // Copied out first: a connection's `send` may run code that connects or detaches another.
    let all: Vec<Rc<dyn Fn(FromNode)>> = connections.borrow().values().cloned().collect();
    for send in all {
        send(message.clone());
    }
}
