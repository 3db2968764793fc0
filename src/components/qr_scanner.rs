//! Scanning a QR code for the Send page: with the camera, or from an image the person chooses when
//! there is no camera, it is refused, or the code is on this very screen (a screenshot).

use std::rc::Rc;

use gloo_timers::callback::Interval;
use leptos::html::Video;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::HtmlInputElement;

use crate::components::{Alert, Busy};
use crate::qr_scan::{decode_image, Camera, ScanError};

/// How often a camera frame is searched: often enough to feel immediate, rarely enough to leave a
/// phone's processor to the preview.
const FRAME_INTERVAL_MS: u32 = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CameraState {
    Off,
    /// Waiting for the browser (and the person, asked for permission).
    Opening,
    On,
}

/// The camera while it scans. Dropping it stops the timer and then the camera.
struct Scanning {
    _ticks: Interval,
}

/// Offers "Scan with camera" and "Choose image"; hands the text of the first code read to `on_scan`.
/// The camera stops on success, on "Stop camera", and when the component goes away.
#[component]
pub fn QrScanner(on_scan: Callback<String>) -> impl IntoView {
    let state = RwSignal::new(CameraState::Off);
    let error = RwSignal::new(None::<ScanError>);
    let scanning = StoredValue::new_local(None::<Scanning>);
    let video = NodeRef::<Video>::new();

    let stop = move || {
        // `try_`: a code read as the page changes may land after the component has gone.
        let _ = scanning.try_set_value(None);
        let _ = state.try_set(CameraState::Off);
    };
    on_cleanup(move || {
        let _ = scanning.try_set_value(None);
    });
    let start = move |_| {
        let Some(element) = video.get_untracked() else { return };
        error.set(None);
        state.set(CameraState::Opening);
        spawn_local(async move {
            match Camera::open(element).await {
                Ok(camera) if state.try_get_untracked() == Some(CameraState::Opening) => {
                    let ticks = Interval::new(FRAME_INTERVAL_MS, on_frame(Rc::new(camera), stop, on_scan, error));
                    // A component that went away meanwhile hands the value back; dropping it stops the camera.
                    if scanning.try_set_value(Some(Scanning { _ticks: ticks })).is_none() {
                        state.set(CameraState::On);
                    }
                }
                // Stopped while the browser asked: dropping the camera turns it off again.
                Ok(_) => {}
                Err(e) => {
                    let _ = state.try_set(CameraState::Off);
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let choose = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        // Emptied, so that choosing the same image again is a change too.
        input.set_value("");
        stop();
        error.set(None);
        spawn_local(async move {
            match decode_image(&file).await {
                Ok(text) => on_scan.run(text),
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let message = Signal::derive(move || error.get().map(|e| scan_error_text(&e)));
    let opening = Signal::derive(move || (state.get() == CameraState::Opening).then(|| t!("Starting the camera…", "Startar kameran…").to_owned()));

    view! {
        <section class="qr-scanner" aria-label=move || t!("Scan a QR code", "Skanna en QR-kod")>
            <div class="actions">
                {move || match state.get() {
                    CameraState::Off => view! { <button type="button" data-testid="scan-camera" on:click=start>{move || t!("Scan with camera", "Skanna med kameran")}</button> }.into_any(),
                    _ => view! { <button type="button" data-testid="scan-stop" on:click=move |_| stop()>{move || t!("Stop camera", "Stäng av kameran")}</button> }.into_any(),
                }}
                <label for="qr-image">{move || t!("Choose image", "Välj bild")}</label>
                <input id="qr-image" type="file" accept="image/*" data-testid="scan-image" on:change=choose/>
            </div>
            <Busy message=opening/>
            <video node_ref=video class="qr-camera" data-testid="scan-preview" hidden=move || state.get() == CameraState::Off aria-label=move || t!("Camera view", "Kamerabild")></video>
            <Alert message=message/>
        </section>
    }
}

/// Returns what the timer does each tick: search the frame; on a code (or a failure) stop the
/// camera and say so. Both are left to a task of their own: the timer must not be dropped while
/// its own callback runs, and `on_scan` may well change the page.
fn on_frame(
    camera: Rc<Camera>,
    stop: impl Fn() + Copy + 'static,
    on_scan: Callback<String>,
    error: RwSignal<Option<ScanError>>,
) -> impl FnMut() + 'static {
    move || match camera.scan_frame() {
        Ok(None) => {}
        Ok(Some(text)) => spawn_local(async move {
            stop();
            on_scan.run(text);
        }),
        Err(e) => spawn_local(async move {
            stop();
            let _ = error.try_set(Some(e));
        }),
    }
}

/// Returns what went wrong as a sentence in the UI's language, with what to do instead.
fn scan_error_text(error: &ScanError) -> String {
    match error {
        ScanError::NoCamera => {
            t!("No camera was found. Choose an image of the code instead.", "Ingen kamera hittades. Välj en bild på koden i stället.").to_owned()
        }
        ScanError::PermissionRefused => t!(
            "The camera was not allowed. Allow it in the browser's settings for this site, or choose an image of the code.",
            "Kameran tilläts inte. Tillåt den i webbläsarens inställningar för den här webbplatsen, eller välj en bild på koden."
        )
        .to_owned(),
        ScanError::CameraUnsupported => t!(
            "This browser cannot use the camera here. Choose an image of the code instead.",
            "Den här webbläsaren kan inte använda kameran här. Välj en bild på koden i stället."
        )
        .to_owned(),
        ScanError::CameraBusy => t!(
            "The camera is in use by another app. Close that app and try again.",
            "Kameran används av en annan app. Stäng den appen och försök igen."
        )
        .to_owned(),
        ScanError::CameraFailed(detail) => t!(format!("The camera failed ({detail})."), format!("Kameran fungerade inte ({detail}).")),
        ScanError::NoQrCode => t!("No QR code was found in the image.", "Ingen QR-kod hittades i bilden.").to_owned(),
        ScanError::CodeUnreadable(_) => t!(
            "A QR code was found but could not be read. Try a sharper image.",
            "En QR-kod hittades men gick inte att läsa. Försök med en skarpare bild."
        )
        .to_owned(),
        ScanError::ImageUnreadable(_) => {
            t!("The image could not be read. Choose a photo or a screenshot.", "Bilden gick inte att läsa. Välj ett foto eller en skärmbild.")
                .to_owned()
        }
    }
}
