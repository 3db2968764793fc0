//! Browser tests (wasm-pack test --headless --chrome): QR codes read back through the scanner's
//! paths: an image the browser decodes and draws on a canvas, and grey pixels; an image without a
//! code, and one that is not an image, are told apart.
#![cfg(target_arch = "wasm32")]

use blixtra::qr_scan::{decode_image, decode_luma, ScanError};
use js_sys::{Array, Uint8Array};
use qrcode::render::svg;
use qrcode::QrCode;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sys::{Blob, BlobPropertyBag};

wasm_bindgen_test_configure!(run_in_browser);

/// Shaped like a regtest BOLT11 invoice (prefix, amount, bech32 body), as long as a real one.
const INVOICE: &str = "lnbcrt210n1pnexampleqpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsdq8vdhkven9v5sp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9qrsgqcqzysxqrrssrzjqvgptfurj3528snx6e3dtwepafxw5fpzdymw9pj20jj09sunnqmwqqqqqyqqqqqqqqqqqqlgqqqqqqgqjqf5y2h2qj8rl6n2ut3f3c6qm2q8yzz8k5gaz5jh0xdcy4ej2w6eu3gx";
const ADDRESS: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

/// Returns `bytes` as a blob of the given media type, as a chosen file would be.
fn blob(bytes: &[u8], media_type: &str) -> Blob {
    let options = BlobPropertyBag::new();
    options.set_type(media_type);
    let parts = Array::of1(&JsValue::from(Uint8Array::from(bytes)));
    Blob::new_with_u8_array_sequence_and_options(&parts, &options).expect("a blob")
}

/// Returns `text` drawn as an SVG QR code, as the Receive page draws it.
fn svg_of(text: &str) -> String {
    QrCode::new(text.as_bytes()).expect("fits a QR code").render::<svg::Color>().min_dimensions(240, 240).build()
}

/// Returns `text` as a QR code in grey pixels, `scale` a module, with the four-module quiet zone.
fn luma_of(text: &str, scale: usize) -> (Vec<u8>, usize) {
    let code = QrCode::new(text.as_bytes()).expect("fits a QR code");
    let (modules, colors) = (code.width(), code.to_colors());
    let side = (modules + 8) * scale;
    let dark = |x: usize, y: usize| {
        (4..modules + 4).contains(&x) && (4..modules + 4).contains(&y) && colors[(y - 4) * modules + (x - 4)] == qrcode::Color::Dark
    };
    let luma = (0..side * side).map(|i| if dark((i % side) / scale, (i / side) / scale) { 0 } else { 255 }).collect();
    (luma, side)
}

#[wasm_bindgen_test]
async fn an_invoice_drawn_as_an_image_reads_back_through_the_image_path() {
    let payload = INVOICE.to_uppercase();
    let image = blob(svg_of(&payload).as_bytes(), "image/svg+xml");
    assert_eq!(decode_image(&image).await, Ok(payload));
}

#[wasm_bindgen_test]
async fn an_address_in_grey_pixels_reads_back() {
    let (luma, side) = luma_of(ADDRESS, 3);
    assert_eq!(decode_luma(&luma, side, side), Ok(ADDRESS.to_owned()));
    let link = format!("bitcoin:{ADDRESS}?amount=0.001&label=Caf%C3%A9");
    let image = blob(svg_of(&link).as_bytes(), "image/svg+xml");
    assert_eq!(decode_image(&image).await, Ok(link));
}

#[wasm_bindgen_test]
async fn an_image_without_a_code_says_no_code_was_found() {
    let blank = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120"><rect width="200" height="120" fill="#fff"/><circle cx="60" cy="60" r="40" fill="#333"/></svg>"##;
    assert_eq!(decode_image(&blob(blank.as_bytes(), "image/svg+xml")).await, Err(ScanError::NoQrCode));
}

#[wasm_bindgen_test]
async fn a_file_that_is_not_an_image_is_unreadable() {
    let refused = decode_image(&blob(b"not a picture at all", "image/png")).await;
    assert!(matches!(refused, Err(ScanError::ImageUnreadable(_))), "{refused:?}");
}
