//! Reading QR codes: frames from the camera (`getUserMedia`) or an image the person chooses are
//! drawn on a canvas, turned grey and decoded with `rqrr`. The camera, its stream and the elements
//! are browser objects, not `Send`: like every seam this is used from the page's one thread.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, CanvasRenderingContext2d, ContextAttributes2d, DomException, HtmlCanvasElement, HtmlImageElement, HtmlVideoElement, MediaDevices,
    MediaStream, MediaStreamConstraints, MediaStreamTrack, Url,
};

/// The longest side a chosen image is scaled to before it is searched: a phone photo has twelve
/// million pixels, while a code in it reads at far fewer, and searching costs time per pixel.
const IMAGE_SIDE_PX: u32 = 1600;
/// The longest side of a camera frame as searched, several times a second.
const FRAME_SIDE_PX: u32 = 800;

/// Why no text came out of the camera or an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("this device has no camera")]
    NoCamera,
    #[error("the camera was not allowed")]
    PermissionRefused,
    /// No `navigator.mediaDevices`: an old browser, or a page not served over HTTPS.
    #[error("this browser cannot use the camera here")]
    CameraUnsupported,
    #[error("the camera is in use by another app")]
    CameraBusy,
    #[error("the camera failed: {0}")]
    CameraFailed(String),
    #[error("no QR code was found in the image")]
    NoQrCode,
    /// A code was found but its modules did not decode (blurred, cut off, damaged); rqrr's reason.
    #[error("a QR code was found but could not be read: {0}")]
    CodeUnreadable(String),
    #[error("the image could not be read: {0}")]
    ImageUnreadable(String),
}

/// Returns the grey level of each RGBA pixel (BT.601 weights), as if drawn over white: a code
/// printed on a transparent background reads dark on light, not dark on black.
pub fn rgba_to_luma(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .map(|px| {
            let (r, g, b, a) = (u32::from(px[0]), u32::from(px[1]), u32::from(px[2]), u32::from(px[3]));
            let grey = (77 * r + 150 * g + 29 * b) >> 8;
            let over_white = (grey * a + 255 * (255 - a)) / 255;
            u8::try_from(over_white).unwrap_or(u8::MAX)
        })
        .collect()
}

/// Returns the text of the first readable QR code in a `width` × `height` grey image (row by row,
/// one byte a pixel; missing pixels count as white).
pub fn decode_luma(luma: &[u8], width: usize, height: usize) -> Result<String, ScanError> {
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma.get(y * width + x).copied().unwrap_or(u8::MAX));
    let mut unreadable = None;
    for grid in image.detect_grids() {
        match grid.decode() {
            Ok((_, text)) => return Ok(text),
            Err(e) => unreadable = Some(ScanError::CodeUnreadable(e.to_string())),
        }
    }
    Err(unreadable.unwrap_or(ScanError::NoQrCode))
}

/// Returns the text of the QR code in an image (a chosen `File` is a `Blob`), decoded by the
/// browser, so any format it shows can be read.
pub async fn decode_image(image: &Blob) -> Result<String, ScanError> {
    let url = Url::create_object_url_with_blob(image).map_err(|e| ScanError::ImageUnreadable(js_message(&e)))?;
    let pixels = image_pixels(&url).await;
    // The URL keeps the image alive until revoked; it is needed only for the drawing.
    let _ = Url::revoke_object_url(&url);
    let (luma, width, height) = pixels?;
    decode_luma(&luma, width, height)
}

/// Loads the image at `url` and returns its grey pixels, scaled to at most [`IMAGE_SIDE_PX`].
async fn image_pixels(url: &str) -> Result<(Vec<u8>, usize, usize), ScanError> {
    let unreadable = |e: JsValue| ScanError::ImageUnreadable(js_message(&e));
    let image = HtmlImageElement::new().map_err(unreadable)?;
    image.set_src(url);
    JsFuture::from(image.decode()).await.map_err(unreadable)?;
    let (width, height) = scaled(image.natural_width(), image.natural_height(), IMAGE_SIDE_PX);
    if width == 0 || height == 0 {
        return Err(ScanError::ImageUnreadable("it has no size".into()));
    }
    let canvas = Canvas::new().map_err(unreadable)?;
    canvas.resize(width, height);
    canvas.context.draw_image_with_html_image_element_and_dw_and_dh(&image, 0.0, 0.0, width.into(), height.into()).map_err(unreadable)?;
    Ok((canvas.luma(width, height).map_err(unreadable)?, width as usize, height as usize))
}

/// The back camera, shown in a `<video>`; stopped when dropped.
pub struct Camera {
    stream: MediaStream,
    video: HtmlVideoElement,
    canvas: Canvas,
}

impl Camera {
    /// Asks for the camera that faces away from the person (any camera where there is one only)
    /// and plays it in `video`.
    pub async fn open(video: HtmlVideoElement) -> Result<Camera, ScanError> {
        let devices = media_devices()?;
        let constraints = MediaStreamConstraints::new();
        let wanted = js_sys::Object::new();
        js_sys::Reflect::set(&wanted, &"facingMode".into(), &"environment".into()).map_err(|e| camera_error(&e))?;
        constraints.set_video(&wanted);
        let asked = devices.get_user_media_with_constraints(&constraints).map_err(|e| camera_error(&e))?;
        let stream: MediaStream = JsFuture::from(asked)
            .await
            .map_err(|e| camera_error(&e))?
            .dyn_into()
            .map_err(|_| ScanError::CameraFailed("the browser gave no video stream".into()))?;
        // Held from here on, so that a failure below stops the camera again (`Drop`).
        let camera = Camera { stream, video, canvas: Canvas::new().map_err(|e| camera_error(&e))? };
        // Muted and inline, or mobile Safari refuses to play without a tap, or goes full screen.
        camera.video.set_muted(true);
        let _ = camera.video.set_attribute("playsinline", "");
        camera.video.set_src_object(Some(&camera.stream));
        let playing = camera.video.play().map_err(|e| camera_error(&e))?;
        JsFuture::from(playing).await.map_err(|e| camera_error(&e))?;
        Ok(camera)
    }

    /// Returns the text of a QR code in the frame showing now; `None` when there is none (yet), or
    /// it does not read (the next frame may be sharper).
    pub fn scan_frame(&self) -> Result<Option<String>, ScanError> {
        let (width, height) = scaled(self.video.video_width(), self.video.video_height(), FRAME_SIDE_PX);
        if width == 0 || height == 0 {
            return Ok(None);
        }
        let failed = |e: JsValue| ScanError::CameraFailed(js_message(&e));
        self.canvas.resize(width, height);
        self.canvas.context.draw_image_with_html_video_element_and_dw_and_dh(&self.video, 0.0, 0.0, width.into(), height.into()).map_err(failed)?;
        let luma = self.canvas.luma(width, height).map_err(failed)?;
        match decode_luma(&luma, width as usize, height as usize) {
            Ok(text) => Ok(Some(text)),
            Err(ScanError::NoQrCode | ScanError::CodeUnreadable(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

impl Drop for Camera {
    /// Stops every track, which turns the camera (and its light) off, and empties the video.
    fn drop(&mut self) {
        for track in self.stream.get_tracks().iter() {
            if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
                track.stop();
            }
        }
        self.video.set_src_object(None);
    }
}

/// An off-screen canvas whose pixels are read back.
struct Canvas {
    element: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
}

impl Canvas {
    fn new() -> Result<Canvas, JsValue> {
        let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| JsValue::from_str("no document"))?;
        let element: HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
        // Pixels are read back every frame: a canvas kept in memory rather than on the GPU reads fast.
        let options = ContextAttributes2d::new();
        options.set_will_read_frequently(true);
        let context = element.get_context_with_context_options("2d", &options)?.ok_or_else(|| JsValue::from_str("no 2D canvas"))?.dyn_into()?;
        Ok(Canvas { element, context })
    }

    fn resize(&self, width: u32, height: u32) {
        // Setting a size clears the canvas even when it is unchanged; frames are drawn whole anyway.
        if self.element.width() != width || self.element.height() != height {
            self.element.set_width(width);
            self.element.set_height(height);
        }
    }

    fn luma(&self, width: u32, height: u32) -> Result<Vec<u8>, JsValue> {
        // Sides are at most IMAGE_SIDE_PX, far inside an i32.
        let side = |px: u32| i32::try_from(px).unwrap_or(i32::MAX);
        let data = self.context.get_image_data(0, 0, side(width), side(height))?;
        Ok(rgba_to_luma(&data.data()))
    }
}

/// Returns `width` × `height` scaled down, keeping its shape, so that neither side exceeds `max`.
fn scaled(width: u32, height: u32, max: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max {
        return (width, height);
    }
    let scale = |side: u32| u32::try_from(u64::from(side) * u64::from(max) / u64::from(longest)).unwrap_or(max).max(1);
    (scale(width), scale(height))
}

/// Returns the page's `navigator.mediaDevices`, which browsers leave out of pages not served
/// securely (HTTPS or localhost).
fn media_devices() -> Result<MediaDevices, ScanError> {
    let navigator = web_sys::window().ok_or(ScanError::CameraUnsupported)?.navigator();
    let devices = js_sys::Reflect::get(&navigator, &"mediaDevices".into()).map_err(|_| ScanError::CameraUnsupported)?;
    devices.dyn_into().map_err(|_| ScanError::CameraUnsupported)
}

/// Names what `getUserMedia` or `play` threw, by the DOM exception's name.
fn camera_error(error: &JsValue) -> ScanError {
    match error.dyn_ref::<DomException>().map(DomException::name).as_deref() {
        Some("NotAllowedError" | "SecurityError") => ScanError::PermissionRefused,
        Some("NotFoundError" | "OverconstrainedError") => ScanError::NoCamera,
        Some("NotReadableError") => ScanError::CameraBusy,
        _ => ScanError::CameraFailed(js_message(error)),
    }
}

/// Returns a thrown JS value's message.
fn js_message(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<DomException>() {
        return format!("{}: {}", e.name(), e.message());
    }
    error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| error.as_string()).unwrap_or_else(|| format!("{error:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders `text` as a QR code, `scale` pixels a module, with the four-module quiet zone.
    fn rendered(text: &str, scale: usize) -> (Vec<u8>, usize) {
        let code = qrcode::QrCode::new(text).expect("the text fits a QR code");
        let modules = code.width();
        let colors = code.to_colors();
        let side = (modules + 8) * scale;
        let luma = (0..side * side)
            .map(|i| {
                let (x, y) = ((i % side) / scale, (i / side) / scale);
                let dark =
                    (4..modules + 4).contains(&x) && (4..modules + 4).contains(&y) && colors[(y - 4) * modules + (x - 4)] == qrcode::Color::Dark;
                if dark {
                    0
                } else {
                    255
                }
            })
            .collect();
        (luma, side)
    }

    #[test]
    fn a_rendered_code_decodes_to_its_text() {
        let (luma, side) = rendered("bitcoin:bcrt1qexample?amount=0.001", 4);
        assert_eq!(decode_luma(&luma, side, side), Ok("bitcoin:bcrt1qexample?amount=0.001".to_owned()));
    }

    #[test]
    fn a_blank_image_has_no_code() {
        assert_eq!(decode_luma(&[255; 100 * 80], 100, 80), Err(ScanError::NoQrCode));
        assert_eq!(decode_luma(&[], 0, 0), Err(ScanError::NoQrCode));
    }

    #[test]
    fn transparent_pixels_read_as_white_and_colours_as_grey() {
        assert_eq!(rgba_to_luma(&[0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 255]), [255, 0, 255, 76]);
    }

    #[test]
    fn large_pictures_are_scaled_down_keeping_their_shape() {
        assert_eq!(scaled(4000, 3000, 1600), (1600, 1200));
        assert_eq!(scaled(640, 480, 800), (640, 480));
        assert_eq!(scaled(1, 10_000, 100), (1, 100));
    }
}
