//! The UI–node protocol as JSON: every message survives the trip through `postMessage`'s string form,
//! errors keep their kind and their sentence, each call's answer reads back as its own type, and the
//! shapes are the documented ones.

use blixtra_core::node::error::{InvoiceProblem, NodeError, PaymentFailure, PeerFailure};
use blixtra_core::node::events::{ChannelCloseReason, NodeEvent};
use blixtra_core::node::payment::{PaymentDirection, PaymentStatus};
use blixtra_core::store::sealed::StoreWrites;
use blixtra_host::protocol::{
    BalancesView, Call, Caller, ChannelState, ChannelView, Command, FromNode, JitQuote, Metrics, NodeMetrics, OpenChannel, PayInvoice, PaymentCode,
    PaymentCodeView, PaymentKindView, PaymentView, PlanReceive, ReceivePlan, StartError, SyncChain, Synced, ToNode, PROTOCOL_VERSION,
};
use serde_json::json;

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: T) {
    let text = serde_json::to_string(&value).expect("serialises");
    assert_eq!(serde_json::from_str::<T>(&text).expect("parses back"), value, "{text}");
}

/// What the node sends back for `answer`, read as the client reads it: as the call's own type.
fn answered<C: Call>(answer: C::Answer) -> C::Answer {
    let reply = FromNode::Reply { id: 1, result: Ok(serde_json::to_value(&answer).expect("json")) };
    let text = serde_json::to_string(&reply).expect("serialises");
    match serde_json::from_str::<FromNode>(&text).expect("parses") {
        FromNode::Reply { result: Ok(value), .. } => serde_json::from_value(value).expect("reads as the call's answer"),
        other => panic!("not a reply: {other:?}"),
    }
}

#[test]
fn requests_and_replies_survive_json() {
    round_trip(ToNode::Hello { version: PROTOCOL_VERSION });
    let pay = PayInvoice { invoice: "lnbcrt1…".into(), amount_msat: None, max_fee_msat: 5_000 };
    round_trip(ToNode::Request { id: 7, caller: Caller::App, command: pay.into() });
    round_trip(ToNode::Request { id: 8, caller: Caller::Website { origin: "https://shop.example".into() }, command: SyncChain {}.into() });
    round_trip(ToNode::Stop);
    round_trip(ToNode::Detach);
    round_trip(FromNode::Hello { version: PROTOCOL_VERSION, running: None });
    round_trip(FromNode::Hello { version: PROTOCOL_VERSION, running: Some("02ab".into()) });
    round_trip(FromNode::Reply { id: 8, result: Err(NodeError::InsufficientFunds { needed_msat: 10, available_msat: 5 }) });
    round_trip(FromNode::Reply { id: 9, result: Err(NodeError::AlreadyPaid(PaymentStatus::Succeeded)) });
    round_trip(FromNode::Reply { id: 11, result: Err(NodeError::InvalidInvoice(InvoiceProblem::Unreadable { detail: "bad checksum".into() })) });
    round_trip(FromNode::Reply { id: 12, result: Err(NodeError::PaymentFailed(PaymentFailure::NoRoute)) });
    let node_id: lightning::bitcoin::secp256k1::PublicKey =
        "027cf7c81dc777e46572ff964f17650a0f6f783319fcc140fb9a69425e2fbdc93c".parse().expect("a key");
    let unreachable = NodeError::PeerUnreachable { node_id: node_id.to_string(), failure: PeerFailure::HandshakeTimeout { secs: 10 } };
    round_trip(FromNode::Reply { id: 13, result: Err(unreachable) });
    round_trip(FromNode::StartFailed { error: StartError::WrongPassphrase });
    round_trip(FromNode::StartFailed { error: StartError::Version { page: 3, node: 4 } });
    round_trip(FromNode::Event {
        event: NodeEvent::PaymentSent { payment_id: "ab".repeat(32), payment_hash: "ab".repeat(32), fee_paid_msat: 1_000 },
    });
    round_trip(FromNode::Event {
        event: NodeEvent::PaymentFailed { payment_id: "cd".repeat(32), payment_hash: None, reason: PaymentFailure::RetriesExhausted },
    });
    round_trip(FromNode::Event { event: NodeEvent::ChannelClosed { channel_id: "ef".repeat(32), reason: ChannelCloseReason::Cooperative } });
    round_trip(FromNode::Event { event: NodeEvent::PeerConnected { node_id } });
    round_trip(FromNode::Event { event: NodeEvent::PeerDisconnected { node_id, reason: "closed by the other side".into() } });
    round_trip(FromNode::Event { event: NodeEvent::Synced { height: 101 } });
    round_trip(FromNode::Event {
        event: NodeEvent::PaymentReceived { payment_id: "ab".repeat(32), payment_hash: "ab".repeat(32), amount_msat: 20_000_000, while_away: true },
    });
}

#[test]
fn every_answer_reads_back_as_its_calls_type() {
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
    assert_eq!(answered::<blixtra_host::protocol::Channels>(vec![channel.clone()]), vec![channel]);
    assert_eq!(answered::<SyncChain>(Synced { height: 102, new_tip: true }), Synced { height: 102, new_tip: true });
    let balances = BalancesView { onchain_confirmed_sat: 1, onchain_pending_sat: 2, lightning_msat: 3, lightning_reserve_msat: 4 };
    assert_eq!(answered::<blixtra_host::protocol::Balances>(balances), balances);
    let lsp = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798".parse().expect("a node id");
    let quote = JitQuote { lsp, amount_msat: 50_000_000, fee_msat: 2_000_000, min_payment_msat: 1, max_payment_msat: 2, valid_until_secs: 3 };
    assert_eq!(answered::<PlanReceive>(ReceivePlan::NewChannel(quote.clone())), ReceivePlan::NewChannel(quote));
    assert_eq!(answered::<PlanReceive>(ReceivePlan::Direct { inbound_msat: 7 }), ReceivePlan::Direct { inbound_msat: 7 });
    let code = PaymentCodeView { offer: "lno1qgsq".to_owned(), payer_waits_days: 7 };
    assert_eq!(answered::<PaymentCode>(code.clone()), code);
    let payment = PaymentView {
        id: "ab".repeat(32),
        kind: PaymentKindView::Bolt11,
        direction: PaymentDirection::Outbound,
        status: PaymentStatus::Succeeded,
        payment_hash: Some("ab".repeat(32)),
        preimage: Some("cd".repeat(32)),
        txid: None,
        amount_msat: Some(21_000),
        fee_paid_msat: Some(1),
        payee: None,
        description: Some("coffee".into()),
        created_at_secs: 1,
        updated_at_secs: 2,
        received_while_away: false,
    };
    assert_eq!(answered::<PayInvoice>(payment.clone()), payment);
    answered::<blixtra_host::protocol::CloseChannel>(());
    let metrics = NodeMetrics {
        store: StoreWrites { transactions: 3, bytes: 4_096 },
        ldk_bytes: [("manager".to_owned(), 2_048)].into(),
        ldk_writes: [("manager".to_owned(), 2)].into(),
        memory_bytes: Some(1 << 24),
        vault_unlock_ms: Some(400),
        node_start_ms: None,
    };
    assert_eq!(answered::<Metrics>(metrics.clone()), metrics);
}

#[test]
fn messages_have_their_documented_shape() {
    let open = OpenChannel { peer: "id@host:9735".into(), amount_sat: 100_000 };
    let request = serde_json::to_value(ToNode::Request { id: 1, caller: Caller::App, command: open.into() }).expect("json");
    assert_eq!(
        request,
        json!({ "kind": "request", "id": 1, "caller": { "caller": "app" }, "command": { "command": "open_channel", "peer": "id@host:9735", "amount_sat": 100_000 } })
    );
    let failure = serde_json::to_value(FromNode::Reply { id: 2, result: Err(NodeError::InvoiceExpired) }).expect("json");
    assert_eq!(failure, json!({ "kind": "reply", "id": 2, "result": { "Err": { "error": "invoice_expired" } } }));
    // The benchmark's page reads these by hand (crates/e2e/bench/bench.js).
    let metrics = serde_json::to_value(NodeMetrics { store: StoreWrites { transactions: 1, bytes: 2 }, ..NodeMetrics::default() }).expect("json");
    assert_eq!(
        metrics,
        json!({ "store": { "transactions": 1, "bytes": 2 }, "ldk_bytes": {}, "ldk_writes": {}, "memory_bytes": null, "vault_unlock_ms": null, "node_start_ms": null })
    );
    assert_eq!(serde_json::to_value(Command::from(Metrics {})).expect("json"), json!({ "command": "metrics" }));
    assert_eq!(serde_json::to_value(Command::from(SyncChain {})).expect("json"), json!({ "command": "sync" }));
}

#[test]
fn an_error_that_crossed_still_reads_as_a_sentence() {
    let crossed: NodeError =
        serde_json::from_value(json!({ "error": "insufficient_funds", "detail": { "needed_msat": 2_000, "available_msat": 1_000 } }))
            .expect("parses");
    assert_eq!(crossed.to_string(), "not enough funds: 2000 msat needed, 1000 msat available");
    let crossed: NodeError = serde_json::from_value(json!({ "error": "payment_failed", "detail": "no_route" })).expect("parses");
    assert_eq!(crossed.to_string(), "the payment failed: no route to the recipient was found");
}

#[test]
fn a_website_may_ask_only_what_webln_offers_and_never_its_own_permissions() {
    use blixtra_host::protocol::{
        permit, AnswerPrompt, Balances, Channels, CheckKeysend, CloseChannel, PayInvoice, PayKeysend, SendOnchain, SetWebsite,
    };
    let website = Caller::Website { origin: "https://shop.example".into() };
    let refused = Err(NodeError::NotPermitted { origin: "https://shop.example".into() });
    let pay = Command::from(PayInvoice { invoice: "lnbcrt1".into(), amount_msat: None, max_fee_msat: 1 });
    let check_keysend = Command::from(CheckKeysend { destination: "02ab".into(), amount_msat: 1_000, custom_records: vec![], max_fee_msat: Some(1) });
    let keysend = Command::from(PayKeysend {
        destination: "02ab".into(),
        amount_msat: 1_000,
        custom_records: vec![(696_969, b"hi".to_vec())],
        max_fee_msat: 1,
        preimage: None,
    });
    for allowed in [Command::from(Balances {}), pay, check_keysend, keysend] {
        assert_eq!(permit(&Caller::App, &allowed), Ok(()));
        assert_eq!(permit(&website, &allowed), Ok(()), "{allowed:?}");
    }
    for never in [
        Command::from(Channels {}),
        Command::from(CloseChannel { channel_id: "00".into(), force: true }),
        Command::from(SendOnchain { address: "bcrt1".into(), amount_sat: None, sat_per_vb: 1 }),
        Command::from(AnswerPrompt { id: 1, allow: true }),
        Command::from(SetWebsite { origin: "https://shop.example".into(), allowed: true, budget: None }),
    ] {
        assert_eq!(permit(&Caller::App, &never), Ok(()));
        assert_eq!(permit(&website, &never), refused, "{never:?}");
    }
}

#[test]
fn a_keysend_and_its_question_have_their_documented_shape() {
    use blixtra_core::node::error::CustomRecordProblem;
    use blixtra_host::protocol::{CheckKeysend, KeysendDetails, PayKeysend, PromptView, Question, ShownRecord};
    let keysend = PayKeysend {
        destination: "02ab".into(),
        amount_msat: 1_000_000,
        custom_records: vec![(696_969, b"hi".to_vec())],
        max_fee_msat: 10_000,
        preimage: None,
    };
    round_trip(ToNode::Request { id: 3, caller: Caller::App, command: keysend.clone().into() });
    assert_eq!(
        serde_json::to_value(Command::from(keysend.clone())).expect("json"),
        json!({ "command": "pay_keysend", "destination": "02ab", "amount_msat": 1_000_000, "custom_records": [[696_969, [104, 105]]], "max_fee_msat": 10_000, "preimage": null })
    );
    // A caller that picked the preimage sends it as 32 bytes.
    round_trip(ToNode::Request { id: 3, caller: Caller::App, command: PayKeysend { preimage: Some([7; 32]), ..keysend }.into() });
    // The check carries the payment's fee cap, so that its estimate is of a route within it.
    let check = CheckKeysend { destination: "02ab".into(), amount_msat: 1_000_000, custom_records: vec![], max_fee_msat: Some(10_000) };
    assert_eq!(
        serde_json::to_value(Command::from(check.clone())).expect("json"),
        json!({ "command": "check_keysend", "destination": "02ab", "amount_msat": 1_000_000, "custom_records": [], "max_fee_msat": 10_000 })
    );
    round_trip(ToNode::Request { id: 4, caller: Caller::App, command: check.into() });
    assert_eq!(answered::<blixtra_host::protocol::CheckKeysend>(KeysendDetails { estimated_fee_msat: Some(1) }).estimated_fee_msat, Some(1));
    let record = NodeError::InvalidCustomRecord(CustomRecordProblem::Reserved { record_type: 5 });
    round_trip(FromNode::Reply { id: 4, result: Err(record.clone()) });
    assert_eq!(record.to_string(), "custom record type 5 is below 65536, the range reserved for the protocol");
    let question = Question::Pay {
        amount_sat: 1_000,
        description: None,
        payee: Some("02ab".into()),
        estimated_fee_sat: None,
        max_fee_sat: 10,
        keysend: Some(vec![ShownRecord { record_type: 696_969, text: "blixtra".into() }]),
    };
    round_trip(PromptView { origin: "https://shop.example".into(), question });
    // An invoice's question is written as before keysend had one.
    let invoice = Question::Pay { amount_sat: 1, description: None, payee: None, estimated_fee_sat: None, max_fee_sat: 10, keysend: None };
    assert_eq!(
        serde_json::to_value(&invoice).expect("json"),
        json!({ "question": "pay", "amount_sat": 1, "description": null, "payee": null, "estimated_fee_sat": null, "max_fee_sat": 10 })
    );
}
