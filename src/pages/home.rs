//! The unlocked wallet's home: one balance up front with its on-chain / Lightning split, the node's
//! status, recent activity, the devnet's faucet for a newcomer, and the way to lock.

use blixtra_core::node::backups::BackupReminder;
use blixtra_core::node::channel_checks::CheckState;
use blixtra_host::protocol::{BalancesView, DismissBackupReminder, NewAddress, SyncChain};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{ActivityList, Alert, BackupExport, Busy, NodeStatusLine};
use crate::context::{use_app, AppContext};
use crate::devnet_link;
use crate::error_text::describe;
use crate::i18n::{days_of_blocks, sats, short_id};
use crate::node_session::{self, call, call_then_refresh, refresh};
use crate::node_state::{balance_is_high, AwayWarning, NodePhase};
use crate::session::paths;
use blixtra_host::browser::storage_persistence::Persistence;

/// What the faucet sends a newcomer: enough for a channel and a few coffees.
const FAUCET_SAT: u64 = 500_000;

#[component]
pub fn HomePage() -> impl IntoView {
    let ctx = use_app();
    let balances = move || ctx.node.get().balances;
    let amount = move |pick: fn(&BalancesView) -> u64| move || balances().map(|b| sats(pick(&b))).unwrap_or_else(|| "…".into());
    let pending = move || {
        balances().filter(|b| b.onchain_pending_sat > 0).map(|b| {
            t!(
                format!("{} waiting for a confirmation", sats(b.onchain_pending_sat)),
                format!("{} väntar på bekräftelse", sats(b.onchain_pending_sat))
            )
        })
    };
    // A channel keeps about 1% of it as a reserve that only its close gives back.
    let reserved = move || {
        balances().filter(|b| b.lightning_reserve_msat >= 1000).map(|b| {
            let (sendable, reserve) = (sats(b.lightning_msat / 1000), sats(b.lightning_reserve_msat / 1000));
            t!(
                format!("{sendable} can be sent now; {reserve} is the channels' reserve, yours when they close"),
                format!("{sendable} kan skickas nu; {reserve} är kanalernas reserv, din när de stängs")
            )
        })
    };
    let high = move || balances().is_some_and(|b| balance_is_high(b.total_sat(), ctx.settings.get().balance_notice_sat));

    view! {
        <h1>{move || t!("Your wallet", "Din plånbok")}</h1>
        <section class="card balance" aria-labelledby="balance-heading">
            <h2 id="balance-heading">{move || t!("Balance", "Saldo")}</h2>
            <p class="total" data-testid="total-balance">{amount(|b| b.total_sat())}</p>
            <dl>
                <dt>{move || t!("Lightning (instant payments)", "Lightning (direktbetalningar)")}</dt>
                <dd data-testid="lightning-balance">{amount(|b| b.lightning_owned_sat())}</dd>
                <dt>{move || t!("On chain (savings, channel funding)", "På kedjan (sparande, kanalfinansiering)")}</dt>
                <dd data-testid="onchain-balance">{amount(|b| b.onchain_sat())}</dd>
            </dl>
            {move || reserved().map(|text| view! { <p class="hint" data-testid="lightning-reserve">{text}</p> })}
            {move || pending().map(|text| view! { <p class="hint">{text}</p> })}
        </section>
        <Show when=high>
            <p class="notice" role="note" data-testid="high-balance">{move || t!(
                "Lightning is made for everyday amounts. Consider keeping larger savings in a wallet made for saving.",
                "Lightning är gjort för vardagsbelopp. Överväg att hålla större sparande i en plånbok gjord för sparande.")}</p>
        </Show>
        <AwayNotice/>
        {move || {
            let msat = ctx.node.get().received_while_away_msat;
            (msat > 0).then(|| {
                let amount = sats(msat / 1000);
                view! { <p class="success" role="status" data-testid="received-while-away">{move || t!(
                    format!("Received while you were away: {amount}."),
                    format!("Mottaget medan du var borta: {amount}.")
                )}</p> }
            })
        }}
        {move || ctx.node.get().channel_recovery.filter(|progress| progress.found > 0).map(|progress| {
            let found = progress.found;
            let (found_sat, swept_sat) = (sats(progress.found_sat), sats(progress.swept_sat));
            match progress.back_in_blocks {
                Some(blocks) => view! { <p class="notice" role="status" data-testid="channel-recovery">{move || t!(
                    format!("Recovering the funds of channels this wallet had before it was restored: {found} found ({found_sat}), back in your on-chain balance in about {blocks} blocks."),
                    format!("Hämtar tillbaka pengarna från kanaler som plånboken hade innan den återställdes: {found} hittade ({found_sat}), tillbaka i ditt saldo på kedjan om ungefär {blocks} block.")
                )}</p> }
                .into_any(),
                None => view! { <p class="success" role="status" data-testid="channel-recovery">{move || t!(
                    format!("The funds of channels this wallet had before it was restored are back in your on-chain balance: {swept_sat}, less the fee of moving them."),
                    format!("Pengarna från kanaler som plånboken hade innan den återställdes är tillbaka i ditt saldo på kedjan: {swept_sat}, minus avgiften för att flytta dem.")
                )}</p> }
                .into_any(),
            }
        })}
        <ChannelChecksNotice/>
        <BackupReminderNotice/>
        {move || ctx.node.get().storage_failing.map(|fault| {
            let why = crate::error_text::storage(&fault);
            view! { <p class="warning" role="alert" data-testid="storage-failing">{move || t!(
                format!("{why} Blixtra cannot store its channels' state, so it takes no new payments until it can; it keeps trying."),
                format!("{why} Blixtra kan inte spara kanalernas läge, så den tar inte emot nya betalningar förrän den kan; den fortsätter försöka.")
            )}</p> }
        })}
        <NodeStatusLine/>
        <GettingStarted/>
        <div class="actions">
            <A href=paths::RECEIVE attr:class="button primary">{move || t!("Receive", "Ta emot")}</A>
            <A href=paths::SEND attr:class="button primary">{move || t!("Send", "Skicka")}</A>
        </div>
        <section aria-labelledby="activity-heading">
            <h2 id="activity-heading">{move || t!("Recent activity", "Senaste händelser")}</h2>
            <ActivityList limit=10/>
        </section>
        <DeviceFacts/>
        <div class="actions">
            <button type="button" data-testid="lock" on:click=move |_| node_session::lock(ctx)>{move || t!("Lock", "Lås")}</button>
        </div>
    }
}

/// The next step for a newcomer: test coins from the devnet's faucet, then a channel.
#[component]
fn GettingStarted() -> impl IntoView {
    let ctx = use_app();
    let faucet = Action::new_local(move |_: &()| fund_from_faucet(ctx));
    let pending = faucet.pending();
    let busy = Signal::derive(move || pending.get().then(|| t!("Asking the devnet's faucet…".to_owned(), "Ber devnetets kran om mynt…".to_owned())));
    let error = Signal::derive(move || faucet.value().get().and_then(Result::err));
    let on_devnet = move || ctx.devnet.get().is_some() && ctx.settings.get().devnet().is_some();
    let running = move || ctx.node.get().phase == NodePhase::Running;
    let no_channel = move || ctx.node.get().channels.is_empty();
    let funded = move || ctx.node.get().balances.is_some_and(|b| b.onchain_sat() > 0);
    let get_coins = move |_| {
        faucet.dispatch(());
    };
    view! {
        <Show when=move || running() && no_channel()>
            <section class="card" aria-labelledby="start-heading">
                <h2 id="start-heading">{move || t!("Getting started", "Kom igång")}</h2>
                <Show when=move || !funded() fallback=move || view! {
                    <p>{move || t!("Next: open a channel, your road to instant payments.", "Nästa steg: öppna en kanal, din väg till direktbetalningar.")}</p>
                    <A href=paths::CHANNELS attr:class="button primary">{move || t!("Open a channel", "Öppna en kanal")}</A>
                }>
                    <p>{move || t!("First, put some bitcoin in the wallet: receive it to your on-chain address.", "Först behöver plånboken bitcoin: ta emot till din adress på kedjan.")}</p>
                    <Show when=on_devnet>
                        <p class="hint">{move || t!("This is a test network: its faucet gives free test coins.", "Det här är ett testnätverk: dess kran ger gratis testmynt.")}</p>
                        <button type="button" class="primary" data-testid="faucet" on:click=get_coins disabled=move || busy.get().is_some()>
                            {move || t!(format!("Get {} of test coins", sats(FAUCET_SAT)), format!("Hämta {} testmynt", sats(FAUCET_SAT)))}
                        </button>
                    </Show>
                </Show>
                <Busy message=busy/>
                <Alert message=error/>
            </section>
        </Show>
    }
}

async fn fund_from_faucet(ctx: AppContext) -> Result<(), String> {
    let devnet = ctx.devnet.get_untracked().ok_or_else(|| t!("No devnet is configured.".to_owned(), "Inget devnet är inställt.".to_owned()))?;
    let address = call(ctx, NewAddress {}).await.map_err(|e| describe(&e))?;
    devnet_link::faucet(&devnet, &address, FAUCET_SAT).await.map_err(|e| crate::components::sentence(&e))?;
    let synced = call(ctx, SyncChain {}).await.map_err(|e| describe(&e))?;
    ctx.node.update(|state| state.height = Some(synced.height));
    refresh(ctx);
    Ok(())
}

/// How the wallet is kept on this device.
#[component]
fn DeviceFacts() -> impl IntoView {
    let ctx = use_app();
    let auto_lock = move || match ctx.auto_lock.get().minutes {
        Some(1) => t!("after 1 minute without use".to_string(), "efter 1 minut utan användning".to_string()),
        Some(m) => t!(format!("after {m} minutes without use"), format!("efter {m} minuter utan användning")),
        None => t!("only when you lock it".to_string(), "bara när du låser den".to_string()),
    };
    let storage = move || match ctx.persistence.get() {
        Some(Persistence::Granted) => {
            t!("kept: the browser will not clear it to free space", "bevarad: webbläsaren rensar den inte för att frigöra utrymme")
        }
        Some(Persistence::NotGranted) => t!(
            "not yet protected: the browser may clear it when short of space (see Settings)",
            "inte skyddad ännu: webbläsaren kan rensa den vid platsbrist (se Inställningar)"
        ),
        Some(Persistence::Unsupported) | None => {
            t!("without protection: this browser cannot promise to keep it", "utan skydd: webbläsaren kan inte lova att bevara den")
        }
    };
    view! {
        <section aria-labelledby="device-heading">
            <h2 id="device-heading">{move || t!("On this device", "På den här enheten")}</h2>
            <dl>
                <dt>{move || t!("Wallet", "Plånbok")}</dt>
                <dd data-testid="wallet-state">{move || t!("Unlocked, encrypted with your passphrase", "Upplåst, krypterad med ditt lösenord")}</dd>
                <dt>{move || t!("Locks itself", "Låser sig")}</dt>
                <dd>{auto_lock}</dd>
                <dt>{move || t!("Storage", "Lagring")}</dt>
                <dd>{storage}</dd>
            </dl>
        </section>
    }
}

/// Said when the wallet was closed for half the time its channels allow, or longer: a peer may close
/// a channel with an old state while the wallet is closed, and only the wallet can punish that.
#[component]
fn AwayNotice() -> impl IntoView {
    let ctx = use_app();
    move || {
        ctx.node.get().away_warning().map(|warning| {
            let (text, class) = match warning {
                AwayWarning::Near { away_blocks, allowed_blocks } => {
                    let (away, allowed) = (days_of_blocks(away_blocks), days_of_blocks(allowed_blocks));
                    (t!(
                        format!("Blixtra was closed for about {away} days, more than half the {allowed} days your channels allow. Open it at least every {allowed} days: while it is closed, a node that closes a channel with an old state can take its funds."),
                        format!("Blixtra var stängd i ungefär {away} dagar, mer än hälften av de {allowed} dagar dina kanaler tillåter. Öppna den minst var {allowed}:e dag: medan den är stängd kan en nod som stänger en kanal med ett gammalt läge ta dess pengar.")
                    ), "notice")
                }
                AwayWarning::TooLong { away_blocks, allowed_blocks } => {
                    let (away, allowed) = (days_of_blocks(away_blocks), days_of_blocks(allowed_blocks));
                    (t!(
                        format!("Blixtra was closed for about {away} days, longer than the {allowed} days your channels allow: a node could have closed a channel with an old state. The wallet is checking the chain now; open it at least every {allowed} days."),
                        format!("Blixtra var stängd i ungefär {away} dagar, längre än de {allowed} dagar dina kanaler tillåter: en nod kan ha stängt en kanal med ett gammalt läge. Plånboken kontrollerar kedjan nu; öppna den minst var {allowed}:e dag.")
                    ), "warning")
                }
            };
            view! { <p class=class role="alert" data-testid="away-warning">{text}</p> }
        })
    }
}

/// Channels restored from a backup: waiting for their peer's word, or found old and being closed.
#[component]
fn ChannelChecksNotice() -> impl IntoView {
    let ctx = use_app();
    move || {
        ctx.node.get().channel_checks.into_iter().map(|channel| {
            let peer = short_id(&channel.counterparty.to_string());
            match channel.state {
                CheckState::Unconfirmed => view! { <p class="notice" role="status" data-testid="channel-unconfirmed">{move || t!(
                    format!("Restored from a backup: waiting for {peer} to confirm the backup holds your channel's latest state. The channel is not used until then."),
                    format!("Återställd från en säkerhetskopia: väntar på att {peer} bekräftar att kopian har kanalens senaste läge. Kanalen används inte förrän dess.")
                )}</p> }
                .into_any(),
                CheckState::Old => view! { <p class="warning" role="alert" data-testid="channel-old">{move || t!(
                    format!("This wallet's state of its channel with {peer} is older than {peer}'s (restored from an older backup, or the wallet ran elsewhere since): publishing it could have lost the channel's funds. Blixtra asked {peer} to close the channel with its latest state, and never published its own; the funds come back to your on-chain balance once the close confirms."),
                    format!("Plånbokens läge för kanalen med {peer} är äldre än {peer}s (återställd från en äldre säkerhetskopia, eller så har plånboken körts någon annanstans sedan): att publicera det kunde ha förlorat kanalens pengar. Blixtra bad {peer} stänga kanalen med dess senaste läge och publicerade aldrig sitt eget; pengarna kommer tillbaka till ditt saldo på kedjan när stängningen bekräftats.")
                )}</p> }
                .into_any(),
                CheckState::ClosedUnconfirmed => view! { <p class="notice" role="status" data-testid="channel-closed-unconfirmed">{move || t!(
                    format!("Your channel with {peer} closed before {peer} confirmed the backup's state. Blixtra did not publish the backup's state, which may be old; the funds come back to your on-chain balance from {peer}'s close."),
                    format!("Din kanal med {peer} stängdes innan {peer} bekräftat kopians läge. Blixtra publicerade inte kopians läge, som kan vara gammalt; pengarna kommer tillbaka till ditt saldo på kedjan från {peer}s stängning.")
                )}</p> }
                .into_any(),
            }
        }).collect_view()
    }
}

/// After a channel opens or closes: export a backup file now, or dismiss.
#[component]
fn BackupReminderNotice() -> impl IntoView {
    let ctx = use_app();
    let dismiss = Action::new_local(move |_: &()| call_then_refresh(ctx, DismissBackupReminder {}));
    move || {
        ctx.node.get().backup_reminder.map(|why| {
            let said = match why {
                BackupReminder::ChannelOpened => t!(
                    "A channel opened: export a backup file so that a browser that forgets this wallet does not take the channel with it.",
                    "En kanal öppnades: exportera en säkerhetskopia så att en webbläsare som glömmer plånboken inte tar kanalen med sig."
                ),
                BackupReminder::ChannelClosed => t!(
                    "A channel closed: export a new backup file, as the one you have still holds it.",
                    "En kanal stängdes: exportera en ny säkerhetskopia, eftersom den du har fortfarande innehåller den."
                ),
            };
            view! {
                <section class="notice" data-testid="backup-reminder">
                    <p>{said}</p>
                    <BackupExport/>
                    <div class="actions">
                        <button type="button" data-testid="dismiss-backup-reminder" on:click=move |_| {
                            dismiss.dispatch(());
                        }>{move || t!("Not now", "Inte nu")}</button>
                    </div>
                </section>
            }
        })
    }
}
