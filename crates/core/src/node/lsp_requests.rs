//! The requests the node sent its LSP that wait for an answer (see [`super::liquidity`]), kept by
//! the node between the request and the liquidity manager's event that answers it.

use std::cell::RefCell;
use std::collections::HashMap;

use futures::channel::oneshot;
use lightning_liquidity::lsps0::ser::LSPSRequestId;
use lightning_liquidity::lsps2::msgs::LSPS2OpeningFeeParams;

use super::error::LspFault;

/// Where the LSP's answer to a channel purchase says to route the payment: the short channel id it
/// intercepts, and the CLTV delta of that last hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitRoute {
    pub intercept_scid: u64,
    pub cltv_expiry_delta: u32,
}

type Waiter<T> = oneshot::Sender<Result<T, LspFault>>;

/// The requests sent to the LSP that wait for its answer, by request id.
#[derive(Default)]
pub struct LspRequests {
    pub(super) menus: RefCell<HashMap<LSPSRequestId, Waiter<Vec<LSPS2OpeningFeeParams>>>>,
    pub(super) buys: RefCell<HashMap<LSPSRequestId, Waiter<JitRoute>>>,
}

/// Hands `outcome` to the request `id` waits in, if it still waits.
pub(super) fn answer<T>(waiting: &RefCell<HashMap<LSPSRequestId, Waiter<T>>>, id: &LSPSRequestId, outcome: Result<T, LspFault>) {
    if let Some(waiter) = waiting.borrow_mut().remove(id) {
        let _ = waiter.send(outcome);
    }
}
