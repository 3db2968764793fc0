//! The payment history as a list: direction, amount, what it was for, its state and fee.

use blixtra_core::node::payment::{PaymentDirection, PaymentStatus};
use blixtra_host::protocol::{PaymentKindView, PaymentView};
use leptos::prelude::*;

use crate::context::use_app;
use crate::i18n::{fee, sats};

/// Shows the newest `limit` payments (sent ones, and received ones that arrived).
#[component]
pub fn ActivityList(limit: usize) -> impl IntoView {
    let ctx = use_app();
    let items = move || ctx.node.with(|state| state.activity().take(limit).cloned().collect::<Vec<_>>());
    view! {
        <Show when=move || !items().is_empty() fallback=move || view! { <p class="hint" data-testid="no-activity">{move || t!("Nothing yet.", "Inget ännu.")}</p> }>
            <ul class="activity" data-testid="activity">
                {move || items().into_iter().map(|payment| view! { <ActivityItem payment/> }).collect_view()}
            </ul>
        </Show>
    }
}

#[component]
fn ActivityItem(payment: PaymentView) -> impl IntoView {
    let amount = payment.amount_msat.map(|msat| sats(msat / 1000)).unwrap_or_default();
    let (sign, direction_class) = match payment.direction {
        PaymentDirection::Inbound => ("+", "in"),
        PaymentDirection::Outbound => ("−", "out"),
    };
    let what = payment.description.clone().unwrap_or_else(|| match payment.direction {
        PaymentDirection::Inbound if payment.received_while_away => t!("Received while you were away", "Mottaget medan du var borta").to_owned(),
        PaymentDirection::Inbound => t!("Received", "Mottaget").to_owned(),
        PaymentDirection::Outbound => t!("Sent", "Skickat").to_owned(),
    });
    let status = match payment.status {
        PaymentStatus::Pending => t!("in progress", "pågår"),
        PaymentStatus::Succeeded => t!("done", "klar"),
        PaymentStatus::Failed => t!("failed, nothing paid", "misslyckades, inget betalat"),
    };
    let fee = match payment.kind {
        // Received through a just-in-time channel: the fee is what the provider kept of it.
        PaymentKindView::Jit => payment.fee_paid_msat.map(|fee_msat| {
            t!(
                format!(" · through a new channel, the provider kept {}", fee(fee_msat)),
                format!(" · via en ny kanal, leverantören behöll {}", fee(fee_msat))
            )
        }),
        _ => payment
            .fee_paid_msat
            .filter(|fee| *fee > 0)
            .map(|fee_msat| t!(format!(" · fee {}", fee(fee_msat)), format!(" · avgift {}", fee(fee_msat)))),
    };
    let status_attr = format!("{:?}", payment.status).to_lowercase();
    view! {
        <li class=format!("payment {direction_class}") data-testid="payment" data-status=status_attr>
            <span class="what">{what}</span>
            <span class="amount">{format!("{sign}{amount}")}</span>
            <span class="hint">{status}{fee}</span>
        </li>
    }
}
