//! The UI–node protocol as JSON: every message survives the trip through `postMessage`'s string form,
//! errors keep their kind and their sentence, and the shapes are the documented ones.

use blixtra_core::node::lightning_node::NodeEvent;
use blixtra_core::node::payments::PaymentStatus;
use blixtra_core::node::protocol::{Answer, ChannelState, ChannelView, Command, FromNode, NodeMetrics, ToNode, PROTOCOL_VERSION};
use blixtra_core::node::NodeError;
use blixtra_core::store::sealed::StoreWrites;
use serde_json::json;

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: T) {
    let text = serde_json::to_string(&value).expect("serialises");
    assert_eq!(serde_json::from_str::<T>(&text).expect("parses back"), value, "{text}");
}

#[test]
fn requests_and_replies_survive_json() {
    round_trip(ToNode::Hello { version: PROTOCOL_VERSION });
    round_trip(ToNode::Request { id: 7, command: Command::PayInvoice { invoice: "lnbcrt1…".into(), amount_msat: None, max_fee_msat: 5_000 } });
    round_trip(ToNode::Stop);
    round_trip(FromNode::Reply { id: 7, result: Ok(Answer::Balances { onchain_confirmed_sat: 1, onchain_pending_sat: 2, lightning_msat: 3 }) });
    round_trip(FromNode::Reply { id: 8, result: Err(NodeError::InsufficientFunds { needed_msat: 10, available_msat: 5 }) });
    round_trip(FromNode::Reply { id: 9, result: Err(NodeError::AlreadyPaid(PaymentStatus::Succeeded)) });
    round_trip(FromNode::Reply { id: 11, result: Err(NodeError::InvalidInvoice("bad checksum".into())) });
    round_trip(FromNode::Event { event: NodeEvent::PaymentSent { payment_hash: "ab".repeat(32), fee_paid_msat: 1_000 } });
    let node_id = "027cf7c81dc777e46572ff964f17650a0f6f783319fcc140fb9a69425e2fbdc93c".parse().expect("a key");
    round_trip(FromNode::Event { event: NodeEvent::PeerConnected { node_id } });
    round_trip(FromNode::Event { event: NodeEvent::PeerDisconnected { node_id, reason: "closed by the other side".into() } });
    round_trip(FromNode::Event { event: NodeEvent::Synced { height: 101 } });
    let channel = ChannelView {
        channel_id: "cd".repeat(32),
        peer: "02".to_owned() + &"ef".repeat(32),
        capacity_sat: 300_000,
        can_send_msat: 1,
        can_receive_msat: 2,
        state: ChannelState::Opening,
        confirmations: Some(1),
        confirmations_required: Some(3),
    };
    round_trip(FromNode::Reply { id: 10, result: Ok(Answer::Channels { channels: vec![channel] }) });
    round_trip(FromNode::Reply { id: 12, result: Ok(Answer::Synced { height: 102, new_tip: true }) });
    let metrics = NodeMetrics {
        store: StoreWrites { transactions: 3, bytes: 4_096 },
        ldk_bytes: [("manager".to_owned(), 2_048)].into(),
        ldk_writes: [("manager".to_owned(), 2)].into(),
        memory_bytes: Some(1 << 24),
        vault_unlock_ms: Some(400),
        node_start_ms: None,
    };
    round_trip(FromNode::Reply { id: 13, result: Ok(Answer::Metrics(metrics)) });
}

#[test]
fn messages_have_their_documented_shape() {
    let request = serde_json::to_value(ToNode::Request { id: 1, command: Command::OpenChannel { peer: "id@host:9735".into(), amount_sat: 100_000 } })
        .expect("json");
    assert_eq!(
        request,
        json!({ "kind": "request", "id": 1, "command": { "command": "open_channel", "peer": "id@host:9735", "amount_sat": 100_000 } })
    );
    let failure = serde_json::to_value(FromNode::Reply { id: 2, result: Err(NodeError::InvoiceExpired) }).expect("json");
    assert_eq!(failure, json!({ "kind": "reply", "id": 2, "result": { "Err": { "error": "invoice_expired" } } }));
    // The benchmark's page reads these by hand (crates/e2e/bench/bench.js).
    let metrics = serde_json::to_value(Answer::Metrics(NodeMetrics { store: StoreWrites { transactions: 1, bytes: 2 }, ..NodeMetrics::default() }))
        .expect("json");
    assert_eq!(
        metrics,
        json!({ "answer": "metrics", "store": { "transactions": 1, "bytes": 2 }, "ldk_bytes": {}, "ldk_writes": {}, "memory_bytes": null, "vault_unlock_ms": null, "node_start_ms": null })
    );
    assert_eq!(serde_json::to_value(Command::Metrics).expect("json"), json!({ "command": "metrics" }));
}

#[test]
fn an_error_that_crossed_still_reads_as_a_sentence() {
    let crossed: NodeError =
        serde_json::from_value(json!({ "error": "insufficient_funds", "detail": { "needed_msat": 2_000, "available_msat": 1_000 } }))
            .expect("parses");
    assert_eq!(crossed.to_string(), "not enough funds: 2000 msat needed, 1000 msat available");
}
