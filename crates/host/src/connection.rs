//! `ConnectionId`: one page the node's host talks to, named apart so that what the host keeps for
//! pages (`node_host.rs`) and for websites' prompts (`website_state.rs`) can both say whose it is.

/// One page the host talks to: the one that spawned the worker ([`crate::node_host::NodeHost::FIRST`]), or, in the
/// extension, each page connected through a `MessagePort` of its own (`worker.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConnectionId(pub(crate) u32);
