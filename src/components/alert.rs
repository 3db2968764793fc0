//! Messages that assistive technology announces: errors (`role="alert"`) and progress (`role="status"`).

use leptos::prelude::*;

/// Shows `message` as an error while it is `Some`.
#[component]
pub fn Alert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || message.get().map(|text| view! { <p role="alert" class="error" data-testid="error">{text}</p> })
}

/// Shows `message` as ongoing work while it is `Some`.
#[component]
pub fn Busy(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|text| view! { <p role="status" class="busy" aria-live="polite"><span class="spinner" aria-hidden="true"></span>{text}</p> })
    }
}
