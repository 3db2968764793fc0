//! Receive: a Lightning invoice (optional amount and description) as a QR code to show or copy,
//! that turns into "received" the moment the payment arrives; or an on-chain address. An amount
//! the channels have no room for is received through a new channel from the channel provider
//! (LSPS2): its fee is shown first, and the invoice is made only once the person accepts it.
//! A payment code (a BOLT12 offer) works while Blixtra is closed: its server answers payers for the
//! wallet, and a payer's wallet keeps the payment until Blixtra opens and asks for it.

use blixtra_core::node::error::LspFault;
use blixtra_core::node::NodeError;
use blixtra_host::node_client::NodeCallError;
use blixtra_host::protocol::{CreateInvoice, CreateJitInvoice, JitQuote, NewAddress, PaymentCode, PlanReceive, ReceivePlan};
use leptos::prelude::*;

use crate::components::{Alert, CopyButton, QrCode};
use crate::context::use_app;
use crate::error_text::describe;
use crate::i18n::sats;
use crate::node_session::call;
use crate::pages::parse_sats;

/// How long an invoice stays payable.
const INVOICE_EXPIRY_SECS: u64 = 3600;

/// An invoice made on this page, and the payment it names; `provider_fee_msat`: what the channel
/// provider keeps of it, for one paid through a new channel.
#[derive(Clone)]
struct ShownInvoice {
    invoice: String,
    payment_id: String,
    amount_sat: Option<u64>,
    provider_fee_msat: Option<u64>,
}

/// What the person asked for, kept while a new channel's price is shown.
#[derive(Clone)]
struct Asked {
    amount_msat: u64,
    description: String,
}

/// What the form's button led to: an invoice, or a price to accept first.
#[derive(Clone)]
enum Made {
    Invoice(ShownInvoice),
    Quote(Asked, JitQuote),
}

#[component]
pub fn ReceivePage() -> impl IntoView {
    view! {
        <h1>{move || t!("Receive", "Ta emot")}</h1>
        <LightningReceive/>
        <PaymentCodeReceive/>
        <OnchainReceive/>
    }
}

#[component]
fn LightningReceive() -> impl IntoView {
    let ctx = use_app();
    let (amount, description) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let entry_error = RwSignal::new(None::<String>);
    // With an amount and a channel provider, the node first says whether the channels have room;
    // if not, the provider's price is shown and the invoice waits for the person's yes.
    let make_invoice = Action::new_local(move |(request, amount_sat): &(CreateInvoice, Option<u64>)| {
        let (request, amount_sat) = (request.clone(), *amount_sat);
        let with_provider = ctx.settings.get_untracked().lsp().is_some();
        async move {
            if let (Some(amount_msat), true) = (request.amount_msat, with_provider) {
                if let ReceivePlan::NewChannel(quote) = call(ctx, PlanReceive { amount_msat }).await.map_err(|e| describe(&e))? {
                    return Ok(Made::Quote(Asked { amount_msat, description: request.description }, quote));
                }
            }
            let made = call(ctx, request).await.map_err(|e| describe(&e))?;
            Ok::<_, String>(Made::Invoice(ShownInvoice { invoice: made.invoice, payment_id: made.payment_id, amount_sat, provider_fee_msat: None }))
        }
    });
    // Accepting the price: the invoice is made only at that fee or less; a dearer price now comes
    // back as the new quote to accept, with the reason.
    let accept = Action::new_local(move |(asked, quote): &(Asked, JitQuote)| {
        let (asked, agreed_fee_msat) = (asked.clone(), quote.fee_msat);
        async move {
            let request = CreateJitInvoice {
                amount_msat: asked.amount_msat,
                description: asked.description.clone(),
                expiry_secs: INVOICE_EXPIRY_SECS,
                agreed_fee_msat,
            };
            match call(ctx, request).await {
                Ok(made) => Ok(Made::Invoice(ShownInvoice {
                    invoice: made.invoice.invoice,
                    payment_id: made.invoice.payment_id,
                    amount_sat: Some(asked.amount_msat / 1000),
                    provider_fee_msat: Some(made.quote.fee_msat),
                })),
                Err(e @ NodeCallError::Node(NodeError::Lsp(LspFault::FeeChanged { .. }))) => {
                    let why = describe(&e);
                    match call(ctx, PlanReceive { amount_msat: asked.amount_msat }).await {
                        Ok(ReceivePlan::NewChannel(quote)) => Err((why, Some(Made::Quote(asked, quote)))),
                        _ => Err((why, None)),
                    }
                }
                Err(e) => Err((describe(&e), None)),
            }
        }
    });
    let made = RwSignal::new(None::<Made>);
    Effect::new(move |_| {
        if let Some(Ok(outcome)) = make_invoice.value().get() {
            made.set(Some(outcome));
        }
    });
    Effect::new(move |_| match accept.value().get() {
        Some(Ok(outcome)) => made.set(Some(outcome)),
        Some(Err((_, Some(new_quote)))) => made.set(Some(new_quote)),
        _ => {}
    });
    let shown = move || match made.get() {
        Some(Made::Invoice(invoice)) => Some(invoice),
        _ => None,
    };
    let quoted = move || match made.get() {
        Some(Made::Quote(asked, quote)) => Some((asked, quote)),
        _ => None,
    };
    let error = Signal::derive(move || {
        entry_error
            .get()
            .or_else(|| make_invoice.value().get().and_then(Result::err))
            .or_else(|| accept.value().get().and_then(Result::err).map(|(why, _)| why))
    });
    let busy = Signal::derive(move || make_invoice.pending().get() || accept.pending().get());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let amount_sat = match parse_sats(&amount.get_untracked()) {
            Ok(amount) => amount,
            Err(message) => return entry_error.set(Some(message)),
        };
        entry_error.set(None);
        made.set(None);
        accept.value().set(None);
        let request = CreateInvoice {
            amount_msat: amount_sat.map(|sat| sat * 1000),
            description: description.get_untracked().trim().to_owned(),
            expiry_secs: INVOICE_EXPIRY_SECS,
        };
        make_invoice.dispatch((request, amount_sat));
    };
    let received = move || shown().is_some_and(|s| ctx.node.with(|state| state.was_received(&s.payment_id)));
    let no_inbound = move || ctx.node.with(|state| state.channels.iter().all(|c| c.can_receive_msat == 0));
    let with_provider = move || ctx.settings.with(|s| s.lsp().is_some());

    view! {
        <section aria-labelledby="ln-receive-heading">
            <h2 id="ln-receive-heading">{move || t!("Over Lightning (instant)", "Via Lightning (direkt)")}</h2>
            <Show when=move || no_inbound() && !with_provider()>
                <p class="hint">{move || t!("To receive over Lightning you need a channel with room to receive: open one under Channels first.", "För att ta emot via Lightning behövs en kanal med utrymme att ta emot: öppna en under Kanaler först.")}</p>
            </Show>
            <Show when=move || no_inbound() && with_provider()>
                <p class="hint">{move || t!("No channel yet? Enter an amount: your channel provider opens one for the payment, for a fee you see before the invoice.", "Ingen kanal än? Ange ett belopp: din kanalleverantör öppnar en för betalningen, mot en avgift du ser före fakturan.")}</p>
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
            {move || quoted().map(|(asked, quote)| {
                let (amount, fee_sat) = (asked.amount_msat / 1000, quote.fee_msat.div_ceil(1000));
                let (amount, fee, rest) = (sats(amount), sats(fee_sat), sats((asked.amount_msat - quote.fee_msat) / 1000));
                let (min, max) = (sats(quote.min_payment_msat.div_ceil(1000)), sats(quote.max_payment_msat / 1000));
                let accepted = (asked.clone(), quote.clone());
                view! {
                    <div class="quote" data-testid="jit-quote" data-fee-msat=quote.fee_msat.to_string()>
                        <p>{t!(
                            format!("Receiving {amount} opens a channel; the provider keeps {fee}; you get {rest}."),
                            format!("Att ta emot {amount} öppnar en kanal; leverantören behåller {fee}; du får {rest}.")
                        )}</p>
                        <p class="hint">{t!(
                            format!("It opens channels for payments from {min} to {max}. The channel is yours to use at once."),
                            format!("Den öppnar kanaler för betalningar från {min} till {max}. Kanalen kan användas direkt.")
                        )}</p>
                        <div class="actions">
                            <button type="button" class="primary" data-testid="jit-accept" disabled=busy on:click=move |_| { accept.dispatch(accepted.clone()); }>
                                {t!("Accept and create invoice", "Godkänn och skapa faktura")}
                            </button>
                            <button type="button" data-testid="jit-cancel" on:click=move |_| made.set(None)>{t!("Cancel", "Avbryt")}</button>
                        </div>
                    </div>
                }
            })}
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
                        {s.provider_fee_msat.map(|fee_msat| view! {
                            <p class="hint">{t!(
                                format!("Paid through a new channel from your provider, which keeps {} of it.", sats(fee_msat.div_ceil(1000))),
                                format!("Betalas via en ny kanal från din leverantör, som behåller {} av den.", sats(fee_msat.div_ceil(1000)))
                            )}</p>
                        })}
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

/// The payment code that works while Blixtra is closed, with what it cannot do said plainly.
#[component]
fn PaymentCodeReceive() -> impl IntoView {
    let ctx = use_app();
    let fetch = Action::new_local(move |_: &()| async move { call(ctx, PaymentCode {}).await.map_err(|e| describe(&e)) });
    let code = move || fetch.value().get().and_then(Result::ok);
    let error = Signal::derive(move || fetch.value().get().and_then(Result::err));
    view! {
        <section aria-labelledby="code-receive-heading">
            <h2 id="code-receive-heading">{move || t!("A payment code that works while Blixtra is closed", "En betalkod som fungerar medan Blixtra är stängd")}</h2>
            <button type="button" data-testid="show-payment-code" disabled=move || fetch.pending().get() on:click=move |_| { fetch.dispatch(()); }>
                {move || t!("Show the payment code", "Visa betalkoden")}
            </button>
            <Alert message=error/>
            {move || code().map(|code| {
                let days = code.payer_waits_days;
                view! {
                    <div class="invoice">
                        <QrCode text=code.offer.clone() label=t!("Payment code (BOLT12 offer)".to_owned(), "Betalkod (BOLT12-erbjudande)".to_owned()) testid="payment-code-qr"/>
                        <p class="code" data-testid="payment-code">{code.offer.clone()}</p>
                        <CopyButton text=code.offer.clone()/>
                        <p class="hint" data-testid="payment-code-limits">{t!(
                            format!("It can be paid any number of times, any amount, even while Blixtra is closed: your provider tells the payer's wallet how, and the payment waits there until you open Blixtra (up to {days} days, if that wallet stays online). While Blixtra is open, payers get a fresh invoice from it instead. Only wallets built on LDK can pay it yet."),
                            format!("Den kan betalas hur många gånger som helst, valfritt belopp, även medan Blixtra är stängd: din leverantör berättar för betalarens plånbok hur, och betalningen väntar där tills du öppnar Blixtra (upp till {days} dagar, om den plånboken är online). Medan Blixtra är öppen får betalare en ny faktura direkt från den. Än så länge kan bara plånböcker byggda på LDK betala den.")
                        )}</p>
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
