//! What the node's host keeps for websites between their calls (`website_host.rs` acts on it): the
//! sealed list of sites while the wallet is unlocked, the prompts open, the sites denied.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use blixtra_core::websites::WebsiteStore;
use futures::channel::oneshot;

use crate::browser::IdbStore;
use crate::connection::ConnectionId;
use crate::protocol::Question;

pub(crate) struct Prompt {
    pub(crate) origin: String,
    pub(crate) question: Question,
    pub(crate) answer: Option<oneshot::Sender<bool>>,
    /// The connection (prompt window) that read it: if it goes unanswered, the answer is no.
    pub(crate) shown_by: Option<ConnectionId>,
}

/// What the host keeps for websites.
#[derive(Default)]
pub struct Websites {
    /// The sealed list of sites, while the wallet is unlocked.
    pub(crate) store: RefCell<Option<Rc<WebsiteStore<IdbStore>>>>,
    pub(crate) prompts: RefCell<BTreeMap<u64, Prompt>>,
    pub(crate) next_prompt: Cell<u64>,
    /// Sites the person denied, also known while the wallet is locked (the list is sealed).
    pub(crate) denied: RefCell<BTreeSet<String>>,
    /// Sites seen allowed since the worker started: while the wallet is locked, only these (and a
    /// site calling `enable()`) may ask to unlock it.
    pub(crate) allowed: RefCell<BTreeSet<String>>,
    /// When the person last said no to each site (`NodeHost::now_ms`), for `ASK_AGAIN_AFTER`.
    pub(crate) declined_at: RefCell<BTreeMap<String, f64>>,
    /// One change of a site's record at a time (`NodeHost::update_site`).
    pub(crate) writes: futures::lock::Mutex<()>,
}
