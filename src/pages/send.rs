//! Send: paste or scan a Lightning invoice, a `bitcoin:` URI (its `lightning=` invoice preferred) or
//! an address; review amount, description, payee, expiry and the fee before confirming; then the
//! result with the fee actually paid.

use blixtra_core::node::payment::PaymentStatus;
use blixtra_core::node::NodeError;
use blixtra_core::payment_request::{OnchainRequest, PaymentRequest};
use blixtra_host::protocol::{CheckInvoice, OnchainSendFee, PayInvoice, PaymentView, SendOnchain};
use leptos::prelude::*;

use crate::components::{sentence, Alert, Busy, QrScanner};
use crate::context::{use_app, AppContext};
use crate::error_text::describe;
use crate::i18n::{fee as fee_text, sats, short_id};
use crate::node_session::{call, refresh};
use crate::pages::parse_sats;
use blixtra_host::browser::{now_ms, timing};
use blixtra_host::node_client::NodeCallError;

/// The fee rate offered for an on-chain send (the person may change it).
const DEFAULT_SAT_PER_VB: &str = "2";

/// A Lightning payment as reviewed before confirming.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LightningReview {
    invoice: String,
    amount_msat: u64,
    /// `Some` when the invoice had no amount and the person gave one.
    given_amount_msat: Option<u64>,
    description: Option<String>,
    payee: Option<String>,
    expires_at_secs: u64,
    estimated_fee_msat: Option<u64>,
    max_fee_msat: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Entering,
    Lightning(LightningReview),
    Onchain(OnchainRequest),
    Paid(PaymentView),
    SentOnchain { txid: String },
}

/// What the extension's background opened the wallet page to pay (`wallet.html?send=…`, for a
/// `lightning:` link the person clicked on a website, `extension/shared/toolbar.js`), if it did.
pub fn linked_request() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let encoded = search.strip_prefix('?')?.split('&').find_map(|pair| pair.strip_prefix("send="))?;
    js_sys::decode_uri_component(encoded).ok()?.as_string().filter(|text| !text.trim().is_empty())
}

#[component]
pub fn SendPage() -> impl IntoView {
    let ctx = use_app();
    let (input, amount) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (stage, needs_amount) = (RwSignal::new(Stage::Entering), RwSignal::new(false));
    let (error, busy) = (RwSignal::new(None::<String>), RwSignal::new(None::<String>));
    let review_request = Action::new_local(move |(text, given): &(String, Option<u64>)| {
        let (text, given) = (text.clone(), *given);
        async move {
            match review(ctx, &text, given).await {
                Ok(next) => stage.set(next),
                Err(ReviewError::AmountNeeded) => {
                    needs_amount.set(true);
                    error.set(Some(describe(&NodeCallError::Node(NodeError::AmountNeeded))));
                }
                Err(ReviewError::Message(message)) => error.set(Some(message)),
            }
        }
    });
    let check = move |text: String| {
        error.set(None);
        let given = match parse_sats(&amount.get_untracked()) {
            Ok(given) => given,
            Err(message) => return error.set(Some(message)),
        };
        review_request.dispatch((text, given));
    };
    let check_typed = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        check(input.get_untracked());
    };
    let on_scan = Callback::new(move |text: String| {
        input.set(text.clone());
        check(text);
    });
    // A website's link the person clicked (the extension opened the wallet with it): read as if pasted.
    if let Some(text) = ctx.linked_request.try_update_value(Option::take).flatten() {
        input.set(text.clone());
        check(text);
    }
    let restart = move || {
        stage.set(Stage::Entering);
        input.set(String::new());
        amount.set(String::new());
        needs_amount.set(false);
        error.set(None);
    };

    view! {
        <h1>{move || t!("Send", "Skicka")}</h1>
        {move || match stage.get() {
            Stage::Entering => view! {
                <form on:submit=check_typed>
                    <label for="send-input">{move || t!("Lightning invoice, bitcoin: link or address", "Lightning-faktura, bitcoin:-länk eller adress")}</label>
                    <textarea id="send-input" rows="4" autocomplete="off" autocapitalize="none" spellcheck="false" bind:value=input></textarea>
                    <Show when=move || needs_amount.get()>
                        <label for="send-amount">{move || t!("Amount in sats", "Belopp i sat")}</label>
                        <input id="send-amount" type="text" inputmode="numeric" autocomplete="off" bind:value=amount/>
                    </Show>
                    <div class="actions">
                        <button type="submit" class="primary" data-testid="check-payment">{move || t!("Continue", "Fortsätt")}</button>
                    </div>
                </form>
                <QrScanner on_scan=on_scan/>
            }.into_any(),
            Stage::Lightning(review) => view! { <ReviewLightning review stage error busy/> }.into_any(),
            Stage::Onchain(request) => view! { <ReviewOnchain request stage error busy/> }.into_any(),
            Stage::Paid(payment) => view! { <PaidResult payment/> <div class="actions"><button type="button" on:click=move |_| restart()>{move || t!("Send another", "Skicka en till")}</button></div> }.into_any(),
            Stage::SentOnchain { txid } => view! {
                <div data-testid="payment-result" data-status="succeeded">
                    <p class="success" role="status">{move || t!("Sent. It is final once it is in a block.", "Skickat. Det är slutgiltigt när det finns i ett block.")}</p>
                    <p class="code">{txid}</p>
                </div>
                <div class="actions"><button type="button" on:click=move |_| restart()>{move || t!("Send another", "Skicka en till")}</button></div>
            }.into_any(),
        }}
        <Busy message=busy/>
        <Alert message=error/>
    }
}

enum ReviewError {
    AmountNeeded,
    Message(String),
}

/// Reads what was pasted or scanned; for an invoice, asks the node to check it and estimate the fee.
async fn review(ctx: AppContext, text: &str, given_sat: Option<u64>) -> Result<Stage, ReviewError> {
    let settings = ctx.settings.get_untracked();
    let request = PaymentRequest::parse(text, settings.network).map_err(|e| ReviewError::Message(sentence(&e)))?;
    let invoice = match request {
        PaymentRequest::Onchain(mut onchain) => {
            onchain.amount_sat = onchain.amount_sat.or(given_sat);
            return Ok(Stage::Onchain(onchain));
        }
        PaymentRequest::Lightning { invoice, .. } => invoice,
    };
    let given_amount_msat = given_sat.map(|sat| sat * 1000);
    match call(ctx, CheckInvoice { invoice: invoice.clone(), amount_msat: given_amount_msat }).await {
        Ok(details) => {
            let (amount_msat, description, payee, expires_at_secs, estimated_fee_msat) =
                (details.amount_msat, details.description, details.payee, details.expires_at_secs, details.estimated_fee_msat);
            // The node is told an amount only for an invoice that has none.
            let given_amount_msat = given_amount_msat.filter(|_| amount_msat.is_none());
            let amount_msat = amount_msat.or(given_amount_msat).ok_or(ReviewError::AmountNeeded)?;
            Ok(Stage::Lightning(LightningReview {
                invoice,
                amount_msat,
                given_amount_msat,
                description,
                payee,
                expires_at_secs,
                estimated_fee_msat,
                max_fee_msat: settings.max_fee_msat(amount_msat),
            }))
        }
        Err(NodeCallError::Node(NodeError::AmountNeeded)) => Err(ReviewError::AmountNeeded),
        Err(e) => Err(ReviewError::Message(describe(&e))),
    }
}

#[component]
fn ReviewLightning(
    review: LightningReview,
    stage: RwSignal<Stage>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = use_app();
    let minutes_left = (review.expires_at_secs as f64 - now_ms() / 1000.0) / 60.0;
    let fee = review.estimated_fee_msat.map(fee_text);
    let payee = review.payee.as_deref().map(short_id);
    let pay_invoice = Action::new_local(move |request: &PayInvoice| {
        let request = request.clone();
        async move {
            timing::mark("blixtra:pay-confirmed");
            match call(ctx, request).await {
                Ok(payment) => {
                    timing::mark("blixtra:payment-settled");
                    stage.set(Stage::Paid(payment));
                }
                Err(e) => error.set(Some(describe(&e))),
            }
            refresh(ctx);
        }
    });
    let paying = pay_invoice.pending();
    Effect::new(move |_| busy.set(paying.get().then(|| t!("Paying…".to_owned(), "Betalar…".to_owned()))));
    let pay = {
        let review = review.clone();
        move |_| {
            error.set(None);
            pay_invoice.dispatch(PayInvoice {
                invoice: review.invoice.clone(),
                amount_msat: review.given_amount_msat,
                max_fee_msat: review.max_fee_msat,
            });
        }
    };
    view! {
        <section class="card" data-testid="payment-summary" aria-labelledby="review-heading">
            <h2 id="review-heading">{move || t!("Pay over Lightning?", "Betala via Lightning?")}</h2>
            <dl>
                <dt>{move || t!("Amount", "Belopp")}</dt><dd data-testid="summary-amount">{sats(review.amount_msat / 1000)}</dd>
                <dt>{move || t!("For", "Avser")}</dt><dd>{review.description.clone().unwrap_or_else(|| t!("(no description)", "(ingen beskrivning)").to_owned())}</dd>
                <dt>{move || t!("To", "Till")}</dt><dd title=review.payee.clone().unwrap_or_default()>{payee}</dd>
                <dt>{move || t!("Expires", "Går ut")}</dt><dd>{t!(format!("in {} minutes", minutes_left.max(0.0).floor()), format!("om {} minuter", minutes_left.max(0.0).floor()))}</dd>
                <dt>{move || t!("Routing fee", "Routningsavgift")}</dt>
                <dd data-testid="summary-fee">{fee.map(|fee| t!(format!("about {fee}"), format!("ungefär {fee}"))).unwrap_or_else(|| t!("found when paying".to_owned(), "avgörs vid betalningen".to_owned()))}
                    {t!(format!(" (at most {})", fee_text(review.max_fee_msat)), format!(" (högst {})", fee_text(review.max_fee_msat)))}</dd>
            </dl>
            <div class="actions">
                <button type="button" class="primary" data-testid="confirm-pay" disabled=move || busy.get().is_some() on:click=pay>{move || t!("Pay", "Betala")}</button>
                <button type="button" on:click=move |_| stage.set(Stage::Entering)>{move || t!("Cancel", "Avbryt")}</button>
            </div>
        </section>
    }
}

#[component]
fn ReviewOnchain(request: OnchainRequest, stage: RwSignal<Stage>, error: RwSignal<Option<String>>, busy: RwSignal<Option<String>>) -> impl IntoView {
    let ctx = use_app();
    let amount = RwSignal::new(request.amount_sat.map(|a| a.to_string()).unwrap_or_default());
    let rate = RwSignal::new(DEFAULT_SAT_PER_VB.to_owned());
    let address = request.address.clone();
    let send_onchain = Action::new_local(move |request: &SendOnchain| {
        let request = request.clone();
        async move {
            match call(ctx, request).await {
                Ok(txid) => stage.set(Stage::SentOnchain { txid }),
                Err(e) => error.set(Some(describe(&e))),
            }
            refresh(ctx);
        }
    });
    let sending = send_onchain.pending();
    Effect::new(move |_| busy.set(sending.get().then(|| t!("Sending…".to_owned(), "Skickar…".to_owned()))));
    // The fee, asked of the node whenever the amount or the rate changes: seen (or refused over the
    // cap) before the person presses send.
    let fee = RwSignal::new(None::<Result<u64, String>>);
    let fee_address = request.address.clone();
    Effect::new(move |_| {
        let (amount_text, rate_text) = (amount.get(), rate.get());
        let (Ok(amount_sat), Ok(sat_per_vb)) = (parse_sats(&amount_text), rate_text.trim().parse::<u64>()) else {
            return fee.set(None);
        };
        let address = fee_address.clone();
        leptos::task::spawn_local(async move {
            let answer = call(ctx, OnchainSendFee { address, amount_sat, sat_per_vb }).await;
            // Only the answer for what the fields still say.
            // Only the answer for what the fields still say; none if the page is gone (its signals
            // disposed) by the time the node answers.
            if amount.try_get_untracked().as_ref() == Some(&amount_text) && rate.try_get_untracked().as_ref() == Some(&rate_text) {
                let _ = fee.try_set(Some(answer.map_err(|e| describe(&e))));
            }
        });
    });
    let send = move |_| {
        let amount_sat = match parse_sats(&amount.get_untracked()) {
            Ok(amount) => amount,
            Err(message) => return error.set(Some(message)),
        };
        let Ok(sat_per_vb) = rate.get_untracked().trim().parse::<u64>() else {
            return error
                .set(Some(t!("The fee rate is a whole number of sats per vbyte.".into(), "Avgiftsnivån är ett heltal sat per vbyte.".into())));
        };
        error.set(None);
        send_onchain.dispatch(SendOnchain { address: address.clone(), amount_sat, sat_per_vb });
    };
    view! {
        <section class="card" data-testid="payment-summary" aria-labelledby="review-heading">
            <h2 id="review-heading">{move || t!("Send on chain?", "Skicka på kedjan?")}</h2>
            <p class="hint">{move || t!("An on-chain payment takes a block or more and pays a miner's fee. Leave the amount empty to send everything.", "En betalning på kedjan tar ett block eller mer och kostar en avgift till minerarna. Lämna beloppet tomt för att skicka allt.")}</p>
            <dl>
                <dt>{move || t!("To", "Till")}</dt><dd class="code">{request.address.clone()}</dd>
                {request.message.clone().or(request.label.clone()).map(|note| view! { <dt>{move || t!("For", "Avser")}</dt><dd>{note}</dd> })}
            </dl>
            <label for="onchain-amount">{move || t!("Amount in sats", "Belopp i sat")}</label>
            <input id="onchain-amount" type="text" inputmode="numeric" bind:value=amount/>
            <label for="fee-rate">{move || t!("Fee rate (sats per vbyte)", "Avgiftsnivå (sat per vbyte)")}</label>
            <input id="fee-rate" type="text" inputmode="numeric" bind:value=rate/>
            {move || fee.get().map(|fee| match fee {
                Ok(fee_sat) => view! { <p data-testid="onchain-fee">{move || t!(format!("Fee: {}", sats(fee_sat)), format!("Avgift: {}", sats(fee_sat)))}</p> }.into_any(),
                Err(refused) => view! { <p class="error" role="alert" data-testid="onchain-fee">{refused}</p> }.into_any(),
            })}
            <div class="actions">
                <button type="button" class="primary" data-testid="confirm-pay" disabled=move || busy.get().is_some() on:click=send>{move || t!("Send", "Skicka")}</button>
                <button type="button" on:click=move |_| stage.set(Stage::Entering)>{move || t!("Cancel", "Avbryt")}</button>
            </div>
        </section>
    }
}

#[component]
fn PaidResult(payment: PaymentView) -> impl IntoView {
    let status = format!("{:?}", payment.status).to_lowercase();
    let text = match payment.status {
        PaymentStatus::Succeeded => t!(
            format!("Paid {}, fee {}.", sats(payment.amount_msat.unwrap_or(0) / 1000), fee_text(payment.fee_paid_msat.unwrap_or(0))),
            format!("Betalt {}, avgift {}.", sats(payment.amount_msat.unwrap_or(0) / 1000), fee_text(payment.fee_paid_msat.unwrap_or(0)))
        ),
        PaymentStatus::Pending => t!(
            "Sent, waiting for the final word from the network. It stays in your activity.".to_owned(),
            "Skickad, väntar på nätverkets slutliga besked. Den finns kvar bland dina händelser.".to_owned()
        ),
        PaymentStatus::Failed => t!("The payment failed. Nothing was paid.".to_owned(), "Betalningen misslyckades. Inget betalades.".to_owned()),
    };
    view! {
        <div data-testid="payment-result" data-status=status>
            <p class="success" role="status">{text}</p>
            {payment.preimage.map(|proof| view! { <p class="hint">{move || t!("Proof of payment: ", "Betalningsbevis: ")}<span class="code">{proof.clone()}</span></p> })}
        </div>
    }
}
