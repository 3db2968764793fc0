//! What a website may send through WebLN, read before it reaches the node: each method's arguments
//! as pages pass them, and every refusal named as WebLN's clients expect.

use blixtra_host::webln::{is_web_origin, read_request, ErrorName, InvoiceAsked, Lookup, WeblnCall, MAX_REQUEST_BYTES};

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
    for method in ["keysend", "lnurl"] {
        let (id, name, _) = refusal(&format!(r#"{{"id":9,"method":"{method}","args":[]}}"#));
        assert_eq!((id, name), (Some(9), ErrorName::UnsupportedMethodError));
    }
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
