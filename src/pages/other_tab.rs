//! Shown when another tab holds the wallet: two tabs writing one wallet's state would corrupt it.

use leptos::prelude::*;

use crate::app::{retry_start, use_app};

#[component]
pub fn OtherTabPage() -> impl IntoView {
    let ctx = use_app();
    view! {
        <h1>"Blixtra is open in another tab"</h1>
        <p>"Only one tab at a time can use your wallet, so that two never change it at once. Use the other tab, or close it and try again here."</p>
        <div class="actions">
            <button type="button" class="primary" on:click=move |_| retry_start(ctx)>"Try again"</button>
        </div>
    }
}
