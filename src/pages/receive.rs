//! Receive: a Lightning invoice (optional amount and description) as a QR code to show or copy,
//! that turns into "received" the moment the payment arrives; or an on-chain address.

use blixtra_host::protocol::{CreateInvoice, NewAddress};
use leptos::prelude::*;

use crate::components::{Alert, CopyButton, QrCode};
use crate::context::use_app;
use crate::error_text::describe;
use crate::i18n::sats;
use crate::node_session::call;
use crate::pages::parse_sats;

/// How long an invoice stays payable.
const INVOICE_EXPIRY_SECS: u64 = 3600;

/// An invoice made on this page, and the payment it names.
#[derive(Clone)]
struct ShownInvoice {
    invoice: String,
    payment_id: String,
    amount_sat: Option<u64>,
}

#[component]
pub fn ReceivePage() -> impl IntoView {
    view! {
        <h1>{move || t!("Receive", "Ta emot")}</h1>
        <LightningReceive/>
        <OnchainReceive/>
    }
}

#[component]
fn LightningReceive() -> impl IntoView {
    let ctx = use_app();
    let (amount, description) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let entry_error = RwSignal::new(None::<String>);
    let make_invoice = Action::new_local(move |(request, amount_sat): &(CreateInvoice, Option<u64>)| {
        let (request, amount_sat) = (request.clone(), *amount_sat);
        async move {
            let made = call(ctx, request).await.map_err(|e| describe(&e))?;
            Ok::<_, String>(ShownInvoice { invoice: made.invoice, payment_id: made.payment_id, amount_sat })
        }
    });
    let shown = move || make_invoice.value().get().and_then(Result::ok);
    let error = Signal::derive(move || entry_error.get().or_else(|| make_invoice.value().get().and_then(Result::err)));
    let busy = make_invoice.pending();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let amount_sat = match parse_sats(&amount.get_untracked()) {
            Ok(amount) => amount,
            Err(message) => return entry_error.set(Some(message)),
        };
        entry_error.set(None);
        let request = CreateInvoice {
            amount_msat: amount_sat.map(|sat| sat * 1000),
            description: description.get_untracked().trim().to_owned(),
            expiry_secs: INVOICE_EXPIRY_SECS,
        };
        make_invoice.dispatch((request, amount_sat));
    };
    let received = move || shown().is_some_and(|s| ctx.node.with(|state| state.was_received(&s.payment_id)));
    let no_inbound = move || ctx.node.with(|state| state.channels.iter().all(|c| c.can_receive_msat == 0));

    view! {
        <section aria-labelledby="ln-receive-heading">
            <h2 id="ln-receive-heading">{move || t!("Over Lightning (instant)", "Via Lightning (direkt)")}</h2>
            <Show when=no_inbound>
                <p class="hint">{move || t!("To receive over Lightning you need a channel with room to receive: open one under Channels first.", "För att ta emot via Lightning behövs en kanal med utrymme att ta emot: öppna en under Kanaler först.")}</p>
            </Show>
            <form on:submit=create>
                <label for="receive-amount">{move || t!("Amount in sats (leave empty to let the payer choose)", "Belopp i sat (lämna tomt så väljer betalaren)")}</label>
                <input id="receive-amount" type="text" inputmode="numeric" autocomplete="off" bind:value=amount/>
                <label for="receive-description">{move || t!("What it is for (the payer sees it)", "Vad det gäller (betalaren ser det)")}</label>
                <input id="receive-description" type="text" maxlength="200" autocomplete="off" bind:value=description/>
                <div class="actions">
                    <button type="submit" class="primary" data-testid="create-invoice" disabled=busy>{move || t!("Create invoice", "Skapa faktura")}</button>
                </div>
            </form>
            <Alert message=error/>
            {move || shown().map(|s| {
                let text = s.invoice.clone();
                let label = match s.amount_sat {
                    Some(amount) => t!(format!("Lightning invoice for {}", sats(amount)), format!("Lightning-faktura på {}", sats(amount))),
                    None => t!("Lightning invoice, any amount".to_owned(), "Lightning-faktura, valfritt belopp".to_owned()),
                };
                view! {
                    <div class="invoice">
                        <QrCode text=text.clone() label=label testid="invoice-qr"/>
                        <p class="code" data-testid="invoice">{text.clone()}</p>
                        <CopyButton text=text/>
                        {move || if received() {
                            view! { <p class="success" role="status" data-testid="received">{t!("Received! The payment has arrived.", "Mottaget! Betalningen har kommit fram.")}</p> }.into_any()
                        } else {
                            view! { <p class="busy" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>{t!("Waiting for the payment…", "Väntar på betalningen…")}</p> }.into_any()
                        }}
                    </div>
                }
            })}
        </section>
    }
}

#[component]
fn OnchainReceive() -> impl IntoView {
    let ctx = use_app();
    let new_address = Action::new_local(move |_: &()| async move { call(ctx, NewAddress {}).await.map_err(|e| describe(&e)) });
    let address = move || new_address.value().get().and_then(Result::ok);
    let error = Signal::derive(move || new_address.value().get().and_then(Result::err));
    let show = move |_| {
        new_address.dispatch(());
    };
    view! {
        <section aria-labelledby="chain-receive-heading">
            <h2 id="chain-receive-heading">{move || t!("On chain (for larger amounts; takes a block or more)", "På kedjan (för större belopp; tar ett block eller mer)")}</h2>
            <button type="button" data-testid="show-address" on:click=show>{move || t!("Show an address", "Visa en adress")}</button>
            <Alert message=error/>
            {move || address().map(|address| view! {
                <div class="invoice">
                    <QrCode text=address.clone() label=t!("Bitcoin address".to_owned(), "Bitcoinadress".to_owned()) testid="address-qr"/>
                    <p class="code" data-testid="onchain-address">{address.clone()}</p>
                    <CopyButton text=address/>
                </div>
            })}
        </section>
    }
}
