//! What a website may send through WebLN, read before it reaches the node: each method's arguments
//! as pages pass them, and every refusal named as WebLN's clients expect.

use blixtra_core::node::error::{NodeError, PaymentFailure, StorageFault};
use blixtra_core::node::payment::{PaymentDirection, PaymentStatus};
use blixtra_host::protocol::{PaymentKindView, PaymentView};
use blixtra_host::webln::{
    answer_paid, is_web_origin, moved_nothing, payment_error, read_request, ErrorName, InvoiceAsked, KeysendAsked, Lookup, PaymentAsked, WeblnCall,
    WeblnError, MAX_REQUEST_BYTES, METHODS,
};
use serde_json::json;

fn call(text: &str) -> WeblnCall {
    read_request(text).unwrap_or_else(|(_, e)| panic!("{text}: {e:?}")).1
}

fn refusal(text: &str) -> (Option<u64>, ErrorName, String) {
    match read_request(text) {
        Ok(call) => panic!("{text} was read as {call:?}"),
        Err((id, error)) => (id, error.name, error.message),
    }
}

#[test]
fn each_method_is_read_with_its_arguments() {
    assert_eq!(read_request(r#"{"id":7,"method":"enable"}"#).expect("read"), (7, WeblnCall::Enable));
    assert_eq!(call(r#"{"id":1,"method":"getInfo","args":[]}"#), WeblnCall::GetInfo);
    assert_eq!(call(r#"{"id":1,"method":"sendPayment","args":["lnbcrt1..."]}"#), WeblnCall::SendPayment { invoice: "lnbcrt1...".into() });
    assert_eq!(
        call(r#"{"id":1,"method":"verifyMessage","args":["sig","hello"]}"#),
        WeblnCall::VerifyMessage { signature: "sig".into(), message: "hello".into() }
    );
    let hash = "AB".repeat(32);
    assert_eq!(
        call(&format!(r#"{{"id":1,"method":"lookupInvoice","args":[{{"paymentHash":"{hash}"}}]}}"#)),
        WeblnCall::LookupInvoice(Lookup::PaymentHash(hash.to_ascii_lowercase()))
    );
}

#[test]
fn an_invoice_is_asked_for_by_amount_default_or_neither() {
    let asked = |args: &str| match call(&format!(r#"{{"id":1,"method":"makeInvoice","args":{args}}}"#)) {
        WeblnCall::MakeInvoice(asked) => asked,
        other => panic!("{other:?}"),
    };
    assert_eq!(asked("[1000]"), InvoiceAsked { amount_sat: Some(1000), memo: String::new() });
    assert_eq!(asked(r#"["250"]"#), InvoiceAsked { amount_sat: Some(250), memo: String::new() });
    assert_eq!(asked(r#"[{"amount":"21","defaultMemo":"tip"}]"#), InvoiceAsked { amount_sat: Some(21), memo: "tip".into() });
    assert_eq!(asked(r#"[{"defaultAmount":500,"minimumAmount":100,"maximumAmount":900}]"#).amount_sat, Some(500));
    assert_eq!(asked("[]"), InvoiceAsked { amount_sat: None, memo: String::new() });
}

#[test]
fn bad_arguments_are_invalid_data_and_keep_the_id() {
    for (text, says) in [
        (r#"{"id":3,"method":"sendPayment","args":[42]}"#, "must be a string"),
        (r#"{"id":3,"method":"sendPayment","args":["  "]}"#, "is empty"),
        (r#"{"id":3,"method":"makeInvoice","args":[{"amount":-5}]}"#, "whole number"),
        (r#"{"id":3,"method":"makeInvoice","args":[{"amount":1.5}]}"#, "whole number"),
        (r#"{"id":3,"method":"makeInvoice","args":[{"amount":100000001}]}"#, "more than"),
        (r#"{"id":3,"method":"makeInvoice","args":[{"amount":50,"minimumAmount":100}]}"#, "outside"),
        (r#"{"id":3,"method":"makeInvoice","args":[{"minimumAmount":9,"maximumAmount":1}]}"#, "minimumAmount is more"),
        (r#"{"id":3,"method":"makeInvoice","args":[{"amount":1,"defaultMemo":7}]}"#, "defaultMemo must be a string"),
        (r#"{"id":3,"method":"lookupInvoice","args":[{"paymentHash":"xyz"}]}"#, "64 hex digits"),
        (r#"{"id":3,"method":"lookupInvoice","args":[{}]}"#, "paymentHash"),
    ] {
        let (id, name, message) = refusal(text);
        assert_eq!((id, name), (Some(3), ErrorName::InvalidDataError), "{text}");
        assert!(message.contains(says), "{text}: {message}");
    }
    let long = format!(r#"{{"id":3,"method":"signMessage","args":["{}"]}}"#, "a".repeat(4097));
    assert!(refusal(&long).2.contains("longer than 4096"));
}

#[test]
fn what_is_not_supported_says_so_and_what_is_not_webln_is_not_read() {
    let (id, name, _) = refusal(r#"{"id":9,"method":"lnurl","args":[]}"#);
    assert_eq!((id, name), (Some(9), ErrorName::UnsupportedMethodError));
    assert!(METHODS.contains(&"keysend") && !METHODS.contains(&"lnurl"), "getInfo lists keysend, not lnurl: {METHODS:?}");
    let (_, name, message) = refusal(&format!(r#"{{"id":9,"method":"{}"}}"#, "x".repeat(500)));
    assert_eq!(name, ErrorName::UnsupportedMethodError);
    assert!(message.len() < 100, "a page's text is not echoed whole: {message}");
    assert_eq!(refusal("not json").0, None);
    assert_eq!(refusal(r#"{"method":"enable"}"#).0, None);
    assert_eq!(refusal(r#"{"id":4,"method":7}"#).0, Some(4), "a request of the wrong shape keeps its id");
    let huge = format!(r#"{{"id":1,"method":"sendPayment","args":["{}"]}}"#, "l".repeat(MAX_REQUEST_BYTES));
    assert_eq!(refusal(&huge).1, ErrorName::InvalidDataError);
}

#[test]
fn only_web_origins_are_websites() {
    assert!(is_web_origin("https://shop.example"));
    assert!(is_web_origin("http://127.0.0.1:8080"));
    assert!(is_web_origin("http://localhost"));
    for origin in [
        "chrome-extension://abc",
        "https://",
        "https://shop.example/path",
        "file:///x",
        "https://a b",
        "null",
        "http://shop.example",
        "http://127.0.0.2:80",
    ] {
        assert!(!is_web_origin(origin), "{origin}");
    }
}

/// The devnet hub's node id: a valid compressed public key.
const NODE: &str = "027cf7c81dc777e46572ff964f17650a0f6f783319fcc140fb9a69425e2fbdc93c";

fn keysend(args: &str) -> KeysendAsked {
    match call(&format!(r#"{{"id":1,"method":"keysend","args":[{args}]}}"#)) {
        WeblnCall::Keysend(asked) => asked,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_keysend_is_read_with_its_amount_as_number_or_string_and_its_records_sorted() {
    assert_eq!(
        keysend(&format!(r#"{{"destination":"{NODE}","amount":1000,"customRecords":{{"696969":"blixtra","100000":"hej då"}}}}"#)),
        KeysendAsked { destination: NODE.into(), amount_sat: 1000, custom_records: vec![(100_000, "hej då".into()), (696_969, "blixtra".into())] }
    );
    let by_string = keysend(&format!(r#"{{"destination":"{}","amount":"21"}}"#, NODE.to_ascii_uppercase()));
    assert_eq!(by_string, KeysendAsked { destination: NODE.into(), amount_sat: 21, custom_records: vec![] }, "a node id in upper case reads");
    assert_eq!(keysend(&format!(r#"{{"destination":"{NODE}","amount":5,"customRecords":null}}"#)).custom_records, vec![]);
    // The largest that fits: 16 records of 50 bytes, 800 bytes together.
    let sixteen: Vec<String> = (0..16).map(|n| format!(r#""{}":"{}""#, 65_536 + n, "x".repeat(50))).collect();
    let full = keysend(&format!(r#"{{"destination":"{NODE}","amount":5,"customRecords":{{{}}}}}"#, sixteen.join(",")));
    assert_eq!(full.custom_records.len(), 16);
}

#[test]
fn each_bad_keysend_argument_is_invalid_data_saying_what_is_wrong() {
    let bad_key = "02".to_owned() + &"ff".repeat(32);
    let seventeen: Vec<String> = (0..17).map(|n| format!(r#""{}":"x""#, 65_536 + n)).collect();
    let seventeen = format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{{}}}}}"#, seventeen.join(","));
    let too_large =
        format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{"65536":"{}","65537":"{}"}}}}"#, "a".repeat(400), "b".repeat(401));
    for (args, says) in [
        ("".to_owned(), "keysend needs { destination, amount, customRecords }"),
        (r#""02ab""#.to_owned(), "keysend needs { destination, amount, customRecords }"),
        (r#"{"amount":1}"#.to_owned(), "keysend: destination must be a string"),
        (r#"{"destination":42,"amount":1}"#.to_owned(), "keysend: destination must be a string"),
        (r#"{"destination":"02abc","amount":1}"#.to_owned(), "keysend: destination must be a node id of 66 hex digits"),
        (format!(r#"{{"destination":"{}","amount":1}}"#, "zz".repeat(33)), "keysend: destination must be a node id of 66 hex digits"),
        (format!(r#"{{"destination":"{bad_key}","amount":1}}"#), "keysend: destination is not a valid node id (not a public key)"),
        (format!(r#"{{"destination":"{NODE}"}}"#), "keysend: amount is missing"),
        (format!(r#"{{"destination":"{NODE}","amount":0}}"#), "keysend: amount must be more than 0 sats"),
        (format!(r#"{{"destination":"{NODE}","amount":"0"}}"#), "keysend: amount must be more than 0 sats"),
        (format!(r#"{{"destination":"{NODE}","amount":-5}}"#), "keysend: amount must be a whole number of sats"),
        (format!(r#"{{"destination":"{NODE}","amount":1.5}}"#), "keysend: amount must be a whole number of sats"),
        (format!(r#"{{"destination":"{NODE}","amount":"ten"}}"#), "keysend: amount must be a whole number of sats"),
        (format!(r#"{{"destination":"{NODE}","amount":100000001}}"#), "keysend: amount is more than 100000000 sats"),
        (
            format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":["x"]}}"#),
            "keysend: customRecords must be an object of record types to texts",
        ),
        (
            format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{"abc":"x"}}}}"#),
            r#"keysend: customRecords key "abc" is not a record type (a whole number)"#,
        ),
        (
            format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{"-70000":"x"}}}}"#),
            r#"keysend: customRecords key "-70000" is not a record type"#,
        ),
        (format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{"99999999999999999999":"x"}}}}"#), "is not a record type"),
        (
            format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{"696969":7}}}}"#),
            "keysend: customRecords value of 696969 must be a string",
        ),
        (
            format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{"5":"x"}}}}"#),
            "keysend: custom record type 5 is below 65536, the range reserved for the protocol",
        ),
        (
            format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{"5482373484":"x"}}}}"#),
            "keysend: custom record type 5482373484 is keysend's own",
        ),
        (
            format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{"77777":"x"}}}}"#),
            "keysend: custom record type 77777 is taken by the protocol",
        ),
        (
            format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{"696969":"x","0696969":"y"}}}}"#),
            "keysend: custom record type 696969 is given twice",
        ),
        (seventeen, "keysend: 17 custom records: at most 16 are sent"),
        (too_large, "keysend: the custom records' values are 801 bytes together: at most 800 fit in a payment"),
    ] {
        let text = format!(r#"{{"id":5,"method":"keysend","args":[{args}]}}"#);
        let (id, name, message) = refusal(&text);
        assert_eq!((id, name), (Some(5), ErrorName::InvalidDataError), "{text}");
        assert!(message.starts_with(says) || message.contains(says), "{args}: {message}");
    }
}

#[test]
fn a_keysends_records_are_sent_as_their_texts_bytes() {
    let asked = keysend(&format!(r#"{{"destination":"{NODE}","amount":1,"customRecords":{{"696969":"hej då","65536":""}}}}"#));
    assert_eq!(asked.custom_records_bytes(), vec![(65_536, vec![]), (696_969, "hej då".as_bytes().to_vec())]);
}

/// A payment cut off by the wallet stopping may still complete: the site is told to check first,
/// never to try again, and its budget keeps the charge.
#[test]
fn a_payment_whose_outcome_is_unknown_says_to_check_before_paying_again() {
    for asked in [PaymentAsked::Invoice, PaymentAsked::Keysend] {
        let error = payment_error(NodeError::Stopped, asked);
        assert_eq!(error.name, ErrorName::InternalError);
        assert_eq!(error.message, "the wallet stopped during the payment; it may still complete: check before paying again");
    }
    assert!(!moved_nothing(&NodeError::Stopped));
    // Anything unforeseen is taken as money that may have moved.
    let unforeseen = payment_error(NodeError::PromptGone, PaymentAsked::Invoice);
    assert!(unforeseen.message.ends_with("it may still complete: check before paying again"), "{}", unforeseen.message);
    assert!(!moved_nothing(&NodeError::PromptGone));
}

/// What failed before the payment was handed to Lightning, or failed for good, gives the budget
/// back and says what happened, with nothing about checking first.
#[test]
fn a_payment_that_moved_nothing_says_why_and_gives_the_budget_back() {
    let storage = NodeError::Storage(StorageFault::QuotaExceeded);
    assert!(moved_nothing(&storage), "the node refuses to send what it cannot record");
    assert!(moved_nothing(&NodeError::PaymentFailed(PaymentFailure::NoRoute)));
    assert!(moved_nothing(&NodeError::AlreadyPaid(PaymentStatus::Pending)));
    let told = payment_error(storage.clone(), PaymentAsked::Invoice);
    assert_eq!(told, WeblnError::from(storage));
    assert!(!told.message.contains("may still complete"));
}

#[test]
fn an_onion_without_room_is_a_routing_error_naming_the_records_for_a_keysend() {
    let too_long = NodeError::PaymentFailed(PaymentFailure::RouteTooLong);
    assert_eq!(WeblnError::from(too_long.clone()).name, ErrorName::RoutingError);
    let keysend = payment_error(too_long.clone(), PaymentAsked::Keysend);
    assert_eq!(keysend.name, ErrorName::RoutingError);
    assert!(keysend.message.contains("the custom records are too large for the route"), "{}", keysend.message);
    let invoice = payment_error(too_long, PaymentAsked::Invoice);
    assert_eq!(invoice, WeblnError::new(ErrorName::RoutingError, "the payment failed: the route is too long for one payment"));
}

#[test]
fn a_keysend_above_the_largest_channel_says_it_goes_whole_through_one() {
    let short = NodeError::InsufficientFunds { needed_msat: 600_000_000, available_msat: 500_000_000 };
    let keysend = payment_error(short.clone(), PaymentAsked::Keysend);
    assert_eq!(keysend.name, ErrorName::RoutingError);
    assert_eq!(
        keysend.message,
        "not enough funds in one channel: a keysend goes whole through one, and the largest can send 500000 sats now (600000 needed)"
    );
    assert_eq!(payment_error(short.clone(), PaymentAsked::Invoice), WeblnError::from(short));
}

fn paid(status: PaymentStatus, preimage: Option<&str>) -> PaymentView {
    PaymentView {
        id: "aa".repeat(32),
        kind: PaymentKindView::Spontaneous,
        direction: PaymentDirection::Outbound,
        status,
        payment_hash: Some("bb".repeat(32)),
        preimage: preimage.map(str::to_owned),
        txid: None,
        amount_msat: Some(1_000_000),
        fee_paid_msat: Some(1_000),
        payee: Some(NODE.into()),
        description: None,
        created_at_secs: 1,
        updated_at_secs: 2,
        received_while_away: false,
    }
}

/// Once the money moved, the site gets its preimage even when the bookkeeping after the payment
/// failed (the site forgotten meanwhile, a write refused): an error would invite it to pay again.
#[test]
fn a_payment_made_is_answered_with_its_preimage_whatever_the_bookkeeping_after_it() {
    let preimage = "cc".repeat(32);
    let payment = paid(PaymentStatus::Succeeded, Some(&preimage));
    assert_eq!(answer_paid(&payment, Ok(())), (Ok(json!({ "preimage": preimage })), None));
    let forgotten = WeblnError::rejected("this site was removed from the wallet's websites");
    let (answer, warning) = answer_paid(&payment, Err(forgotten));
    assert_eq!(answer, Ok(json!({ "preimage": preimage })));
    let warning = warning.expect("the failed bookkeeping is logged");
    assert!(warning.contains("this site was removed"), "{warning}");
    assert!(!warning.contains(&preimage), "no secret in the log: {warning}");
    let (answer, _) = answer_paid(&paid(PaymentStatus::Pending, None), Ok(()));
    assert_eq!(answer.map_err(|e| e.name), Err(ErrorName::InternalError));
}
