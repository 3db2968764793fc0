//! A button that copies a text (an invoice, an address) to the clipboard and says so.

use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn CopyButton(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let text = text.get_untracked();
        spawn_local(async move {
            let Some(window) = web_sys::window() else { return };
            let done = wasm_bindgen_futures::JsFuture::from(window.navigator().clipboard().write_text(&text)).await;
            copied.set(Some(done.is_ok()));
        });
    };
    view! {
        <button type="button" on:click=copy>{move || t!("Copy", "Kopiera")}</button>
        <span role="status" aria-live="polite" class="hint">{move || match copied.get() {
            Some(true) => t!("Copied.", "Kopierat."),
            Some(false) => t!("The browser did not allow copying: select the text instead.", "Webbläsaren tillät inte kopiering: markera texten i stället."),
            None => "",
        }}</span>
    }
}
