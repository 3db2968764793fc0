//! A QR code of a text (an invoice, an address), drawn as SVG for the payer's phone to scan.

use std::borrow::Cow;

use leptos::prelude::*;
use qrcode::render::svg;

/// The smallest side of the drawn code in CSS pixels: a phone reads it from arm's length.
const MIN_SIDE_PX: u32 = 240;

/// Shows `text` as a QR code; screen readers announce it as an image named `label`.
#[component]
pub fn QrCode(
    #[prop(into)] text: Signal<String>,
    #[prop(into)] label: Signal<String>,
    #[prop(optional, into)] testid: Option<String>,
) -> impl IntoView {
    let drawn = Memo::new(move |_| text.with(|text| svg_of(text)));
    move || {
        match drawn.get() {
        Some(svg) => view! { <div class="qr" role="img" aria-label=move || label.get() data-testid=testid.clone() inner_html=svg></div> }.into_any(),
        // Past about 4 000 characters no QR code holds it; the text beside it can still be copied.
        None => view! { <p class="hint" data-testid=testid.clone()>{move || t!("Too long for a QR code: copy the text instead.", "För lång för en QR-kod: kopiera texten i stället.")}</p> }.into_any(),
    }
    }
}

/// Returns `text` as an SVG QR code (without the XML declaration, which has no place inside HTML);
/// `None` when it is too long for one.
fn svg_of(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(qr_payload(text).as_bytes()).ok()?;
    let drawn = code.render::<svg::Color>().min_dimensions(MIN_SIDE_PX, MIN_SIDE_PX).build();
    let start = drawn.find("<svg").unwrap_or(0);
    Some(drawn[start..].to_owned())
}

/// Returns the text to encode: a BOLT11 invoice or a bech32 address, bare or behind `lightning:`
/// or `bitcoin:`, in upper case, which a QR code stores in its alphanumeric mode at 5.5 bits a
/// character instead of 8, for a smaller code that scans more easily. Bech32 and the schemes are
/// read in any case; a `bitcoin:` link's parameters and anything else are left as they are.
pub fn qr_payload(text: &str) -> Cow<'_, str> {
    let (head, query) = match text.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (text, None),
    };
    let body = ["lightning:", "bitcoin:"]
        .iter()
        .find_map(|scheme| head.get(..scheme.len()).filter(|h| h.eq_ignore_ascii_case(scheme)).map(|_| &head[scheme.len()..]))
        .unwrap_or(head);
    let one_case = !(body.bytes().any(|b| b.is_ascii_lowercase()) && body.bytes().any(|b| b.is_ascii_uppercase()));
    let bech32 = ["ln", "bc1", "tb1", "bcrt1"].iter().any(|hrp| body.get(..hrp.len()).is_some_and(|h| h.eq_ignore_ascii_case(hrp)));
    if !(bech32 && one_case && body.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Cow::Borrowed(text);
    }
    match query {
        Some(query) => Cow::Owned(format!("{}?{query}", head.to_ascii_uppercase())),
        None => Cow::Owned(head.to_ascii_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDRESS: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

    #[test]
    fn invoices_and_bech32_addresses_are_encoded_in_upper_case() {
        assert_eq!(qr_payload("lnbcrt210n1pjexample"), "LNBCRT210N1PJEXAMPLE");
        assert_eq!(qr_payload("lightning:lnbcrt210n1pjexample"), "LIGHTNING:LNBCRT210N1PJEXAMPLE");
        assert_eq!(qr_payload(ADDRESS), ADDRESS.to_uppercase());
        assert_eq!(qr_payload(&format!("bitcoin:{ADDRESS}?label=Caf%C3%A9")), format!("BITCOIN:{}?label=Caf%C3%A9", ADDRESS.to_uppercase()));
    }

    #[test]
    fn case_sensitive_or_unknown_text_is_left_as_it_is() {
        for text in [
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "lnbcRT210n1",
            "hello",
            "https://example.com/lnbc",
            "",
        ] {
            assert_eq!(qr_payload(text), text);
        }
    }

    #[test]
    fn an_upper_case_invoice_makes_a_smaller_code() {
        let invoice = format!("lnbcrt1{}", "qpzry9x8gf2tvdw0s3jn54khce6mua7l".repeat(10));
        let lower = qrcode::QrCode::new(invoice.as_bytes()).expect("fits");
        let upper = qrcode::QrCode::new(qr_payload(&invoice).as_bytes()).expect("fits");
        assert!(upper.width() < lower.width(), "{} modules upper, {} lower", upper.width(), lower.width());
    }

    #[test]
    fn the_svg_is_an_svg_element_and_too_long_a_text_has_none() {
        let svg = svg_of(ADDRESS).expect("an address fits");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert_eq!(svg_of(&"x".repeat(5_000)), None);
    }
}
