//! Settings: the websites allowed (or denied) the use of the wallet through WebLN, in the browser
//! extension: each one's budget (what it may pay without a prompt, per payment and per day), what it
//! spent today, and the way to take back what was given; and whether a click on a website's
//! `lightning:` link opens the Send page (off by default).

use leptos::prelude::*;

use super::parse_sats;
use crate::components::Alert;
use crate::context::use_app;
use crate::i18n::sats;
use crate::node_session::call;
use blixtra_host::browser::extension_host;
use blixtra_host::protocol::{Budget, ForgetWebsite, SetWebsite, WebsiteView, Websites};

#[component]
pub fn WebsitesSettings() -> impl IntoView {
    let ctx = use_app();
    let sites = RwSignal::new(Vec::<WebsiteView>::new());
    let error = RwSignal::new(None::<String>);
    let reload = Action::new_local(move |_: &()| async move {
        match call(ctx, Websites {}).await {
            Ok(list) => sites.set(list),
            Err(e) => error.set(Some(crate::error_text::describe(&e))),
        }
    });
    let links_open = RwSignal::new(false);
    if extension_host::node_host_available() {
        reload.dispatch(());
        leptos::task::spawn_local(async move {
            match extension_host::lightning_links_open().await {
                Ok(open) => links_open.set(open),
                Err(e) => error.set(Some(e)),
            }
        });
    }
    let set_links_open = move |open: bool| {
        leptos::task::spawn_local(async move {
            match extension_host::set_lightning_links_open(open).await {
                Ok(()) => links_open.set(open),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Show when=extension_host::node_host_available>
            <section aria-labelledby="websites-heading" data-testid="websites">
                <h2 id="websites-heading">{move || t!("Websites", "Webbplatser")}</h2>
                <p>{move || t!("Sites you answered when they asked to use the wallet. A budget lets a site pay that much without asking you; you are told after each such payment.", "Webbplatser du svarat när de bad att använda plånboken. En budget låter en webbplats betala så mycket utan att fråga dig; du får veta det efter varje sådan betalning.")}</p>
                <Show when=move || sites.with(Vec::is_empty)>
                    <p>{move || t!("No website has asked yet.", "Ingen webbplats har frågat ännu.")}</p>
                </Show>
                <ul class="websites">
                    <For each=move || sites.get() key=|site| (site.origin.clone(), site.allowed, site.budget, site.spent_today_sat) let:site>
                        <WebsiteRow site=site error=error on_change=Callback::new(move |()| { reload.dispatch(()); })/>
                    </For>
                </ul>
                <label class="check">
                    <input type="checkbox" data-testid="open-lightning-links" prop:checked=move || links_open.get()
                        on:change=move |event| set_links_open(event_target_checked(&event))/>
                    {move || t!("Open lightning: links on websites here", "Öppna lightning:-länkar på webbplatser här")}
                </label>
                <p>{move || t!("A link you click opens in Send, to check and confirm; nothing is paid without you. Off: links do what your browser does with them.", "En länk du klickar på öppnas under Skicka, för att granskas och bekräftas; inget betalas utan dig. Av: länkar gör det din webbläsare gör med dem.")}</p>
                <Alert message=error/>
            </section>
        </Show>
    }
}

#[component]
fn WebsiteRow(site: WebsiteView, error: RwSignal<Option<String>>, on_change: Callback<()>) -> impl IntoView {
    let ctx = use_app();
    let per_payment = RwSignal::new(site.budget.map(|b| b.per_payment_sat.to_string()).unwrap_or_default());
    let per_day = RwSignal::new(site.budget.map(|b| b.per_day_sat.to_string()).unwrap_or_default());
    let origin = site.origin.clone();
    let save = Action::new_local({
        let origin = origin.clone();
        move |allowed: &bool| {
            let (origin, allowed) = (origin.clone(), *allowed);
            async move {
                let budget = match (parse_sats(&per_payment.get_untracked()), parse_sats(&per_day.get_untracked())) {
                    (Ok(None), Ok(None)) => None,
                    (Ok(Some(per_payment_sat)), Ok(Some(per_day_sat))) => Some(Budget { per_payment_sat, per_day_sat }),
                    (Err(e), _) | (_, Err(e)) => return error.set(Some(e)),
                    _ => return error.set(Some(t!("Give both budget amounts, or neither.", "Ange båda budgetbeloppen, eller inget.").to_owned())),
                };
                match call(ctx, SetWebsite { origin, allowed, budget }).await {
                    Ok(()) => {
                        error.set(None);
                        on_change.run(());
                    }
                    Err(e) => error.set(Some(crate::error_text::describe(&e))),
                }
            }
        }
    });
    let forget = Action::new_local({
        let origin = origin.clone();
        move |_: &()| {
            let origin = origin.clone();
            async move {
                match call(ctx, ForgetWebsite { origin }).await {
                    Ok(()) => on_change.run(()),
                    Err(e) => error.set(Some(crate::error_text::describe(&e))),
                }
            }
        }
    });
    let allowed = site.allowed;
    let spent = site.spent_today_sat;
    let budget = site.budget;
    view! {
        <li data-testid="website" data-origin=origin.clone()>
            <strong>{origin.clone()}</strong>
            {move || if allowed { t!(" — allowed", " — tillåten") } else { t!(" — denied", " — nekad") }}
            {budget.map(|b| view! {
                <p data-testid="website-budget">{move || t!(
                    format!("Pays without asking up to {} a payment, {} a day.", sats(b.per_payment_sat), sats(b.per_day_sat)),
                    format!("Betalar utan att fråga upp till {} per betalning, {} per dag.", sats(b.per_payment_sat), sats(b.per_day_sat))
                )}</p>
            })}
            <Show when=move || allowed>
                <p data-testid="website-spent">{move || t!(format!("Spent today within its budget: {}", sats(spent)), format!("Spenderat i dag inom budgeten: {}", sats(spent)))}</p>
                <label>{move || t!("Budget per payment (sats)", "Budget per betalning (sat)")}
                    <input type="text" inputmode="numeric" data-testid="budget-per-payment" bind:value=per_payment/></label>
                <label>{move || t!("Budget per day (sats)", "Budget per dag (sat)")}
                    <input type="text" inputmode="numeric" data-testid="budget-per-day" bind:value=per_day/></label>
            </Show>
            <div class="actions">
                <Show when=move || allowed fallback=move || view! {
                    <button type="button" data-testid="website-allow" on:click=move |_| { save.dispatch(true); }>{move || t!("Allow", "Tillåt")}</button>
                }>
                    <button type="button" class="primary" data-testid="website-save" on:click=move |_| { save.dispatch(true); }>{move || t!("Save budget", "Spara budget")}</button>
                    <button type="button" data-testid="website-deny" on:click=move |_| { save.dispatch(false); }>{move || t!("Deny", "Neka")}</button>
                </Show>
                <button type="button" data-testid="website-forget" on:click=move |_| { forget.dispatch(()); }>{move || t!("Forget", "Glöm")}</button>
            </div>
        </li>
    }
}
