//! Channels: what each can send and receive and its state; opening one (to any node, or to the
//! devnet's hub with one click); closing cooperatively or by force, with what each means.

use blixtra_core::node::error::OnchainFault;
use blixtra_core::node::NodeError;
use blixtra_host::node_client::NodeCallError;
use blixtra_host::protocol::{ChannelFundingFee, ChannelState, ChannelView, CloseChannel, OpenChannel};
use leptos::prelude::*;

use crate::components::{Alert, Busy};
use crate::context::use_app;
use crate::error_text::describe;
use crate::i18n::{date_in_blocks, days_of_blocks, sats, short_id};
use crate::node_session::{call, call_then_refresh};
use crate::node_state::NodePhase;
use crate::pages::parse_sats;

const DEFAULT_CHANNEL_SAT: &str = "300000";

#[component]
pub fn ChannelsPage() -> impl IntoView {
    let ctx = use_app();
    let channels = move || ctx.node.get().channels;
    view! {
        <h1>{move || t!("Channels", "Kanaler")}</h1>
        <p class="hint">{move || t!(
            "A channel is money you set aside with another Lightning node. Payments through it are instant and nearly free; it lives on chain only when opened and when closed.",
            "En kanal är pengar du avsätter tillsammans med en annan Lightning-nod. Betalningar genom den går direkt och nästan gratis; den syns på kedjan bara när den öppnas och stängs.")}</p>
        {move || ctx.node.get().closed_safely_blocks.map(|blocks| {
            let (date, days) = (date_in_blocks(blocks), days_of_blocks(blocks));
            view! { <p class="notice" role="note" data-testid="open-before">{move || t!(
                format!("Open Blixtra again before {date}. While it is closed, a node that closes a channel with an old state must wait {days} days for the funds, and only an open wallet can take them back in that time."),
                format!("Öppna Blixtra igen före {date}. Medan den är stängd måste en nod som stänger en kanal med ett gammalt läge vänta {days} dagar på pengarna, och bara en öppen plånbok kan ta tillbaka dem under den tiden.")
            )}</p> }
        })}
        <Show when=move || !channels().is_empty() fallback=move || view! { <p data-testid="no-channels">{move || t!("No channel yet.", "Ingen kanal ännu.")}</p> }>
            <ul class="channels">
                {move || channels().into_iter().map(|channel| view! { <ChannelItem channel/> }).collect_view()}
            </ul>
        </Show>
        <OpenChannel/>
    }
}

#[component]
fn ChannelItem(channel: ChannelView) -> impl IntoView {
    let ctx = use_app();
    let asked = RwSignal::new(None::<bool>);
    let close_channel = Action::new_local(move |request: &CloseChannel| {
        let request = request.clone();
        async move {
            let closed = call_then_refresh(ctx, request).await;
            asked.set(None);
            closed
        }
    });
    let error = Signal::derive(move || close_channel.value().get().and_then(Result::err));
    let state = match channel.state {
        ChannelState::Opening => match (channel.confirmations, channel.confirmations_required) {
            (Some(have), Some(need)) => t!(format!("Opening: {have} of {need} confirmations"), format!("Öppnas: {have} av {need} bekräftelser")),
            _ => t!("Opening: waiting for its first confirmation".to_owned(), "Öppnas: väntar på första bekräftelsen".to_owned()),
        },
        ChannelState::Usable => t!("Ready".to_owned(), "Redo".to_owned()),
        ChannelState::Offline => t!("Peer offline: reconnecting".to_owned(), "Motparten offline: återansluter".to_owned()),
    };
    let state_attr = match channel.state {
        ChannelState::Opening => "opening",
        ChannelState::Usable => "usable",
        ChannelState::Offline => "offline",
    };
    let channel_id = channel.channel_id.clone();
    let close = move |force: bool| {
        close_channel.dispatch(CloseChannel { channel_id: channel_id.clone(), force });
    };
    let close_now = close.clone();
    let peer = short_id(&channel.peer);
    view! {
        <li class="card channel" data-testid="channel" data-state=state_attr>
            <dl>
                <dt>{move || t!("With", "Med")}</dt><dd title=channel.peer.clone()>{peer}</dd>
                <dt>{move || t!("Size", "Storlek")}</dt><dd>{sats(channel.capacity_sat)}</dd>
                <dt>{move || t!("You can send", "Du kan skicka")}</dt><dd data-testid="can-send">{sats(channel.can_send_msat / 1000)}</dd>
                <dt>{move || t!("You can receive", "Du kan ta emot")}</dt><dd>{sats(channel.can_receive_msat / 1000)}</dd>
                <dt>{move || t!("State", "Läge")}</dt><dd>{state}</dd>
            </dl>
            <Show when=move || asked.get().is_none() fallback=move || view! {
                <p class="warning">{move || if asked.get() == Some(true) {
                    t!("Force close: the funds return on chain without the other node, but only after a waiting period of up to about two weeks (144 to 2016 blocks), and at a higher fee. Use it only if the other node is gone.",
                       "Tvångsstängning: pengarna kommer tillbaka på kedjan utan den andra noden, men först efter en väntetid på upp till ungefär två veckor (144 till 2016 block), och med högre avgift. Använd den bara om den andra noden är borta.")
                } else {
                    t!("Close: both nodes agree and the funds are back on chain in about one block. The other node must be online.",
                       "Stäng: båda noderna är överens och pengarna är tillbaka på kedjan efter ungefär ett block. Den andra noden måste vara ansluten.")
                }}</p>
                <div class="actions">
                    <button type="button" class="danger" data-testid="confirm-close" on:click={let close = close_now.clone(); move |_| close(asked.get_untracked() == Some(true))}>{move || t!("Yes, close it", "Ja, stäng den")}</button>
                    <button type="button" on:click=move |_| asked.set(None)>{move || t!("Keep it", "Behåll den")}</button>
                </div>
            }>
                <div class="actions">
                    <button type="button" data-testid="close-channel" on:click=move |_| asked.set(Some(false))>{move || t!("Close", "Stäng")}</button>
                    <button type="button" data-testid="force-close-channel" on:click=move |_| asked.set(Some(true))>{move || t!("Force close", "Tvångsstäng")}</button>
                </div>
            </Show>
            <Alert message=error/>
        </li>
    }
}

#[component]
fn OpenChannel() -> impl IntoView {
    let ctx = use_app();
    let (peer, amount) = (RwSignal::new(String::new()), RwSignal::new(DEFAULT_CHANNEL_SAT.to_owned()));
    let entry_error = RwSignal::new(None::<String>);
    let open_channel = Action::new_local(move |request: &OpenChannel| call_then_refresh(ctx, request.clone()));
    let error = Signal::derive(move || entry_error.get().or_else(|| open_channel.value().get().and_then(Result::err)));
    let pending = open_channel.pending();
    let busy = Signal::derive(move || {
        pending.get().then(|| t!("Connecting and funding the channel…".to_owned(), "Ansluter och finansierar kanalen…".to_owned()))
    });
    let open = move |peer: String| {
        let amount_sat = match parse_sats(&amount.get_untracked()) {
            Ok(Some(amount)) => amount,
            Ok(None) => return entry_error.set(Some(t!("Enter the channel's size in sats.".into(), "Ange kanalens storlek i sat.".into()))),
            Err(message) => return entry_error.set(Some(message)),
        };
        entry_error.set(None);
        open_channel.dispatch(OpenChannel { peer, amount_sat });
    };
    let hub = move || ctx.devnet.get().and_then(|d| d.hub).filter(|_| ctx.settings.get().devnet().is_some());
    // The funding's fee for the size typed, asked of the node as it changes: seen before opening.
    let funding_fee = RwSignal::new(None::<Result<u64, String>>);
    Effect::new(move |_| {
        let text = amount.get();
        // Asked again once the node runs and whenever the coins change.
        let (running, _) = ctx.node.with(|n| (n.phase == NodePhase::Running, n.balances));
        let (true, Ok(Some(amount_sat))) = (running, parse_sats(&text)) else { return funding_fee.set(None) };
        leptos::task::spawn_local(async move {
            let answer = match call(ctx, ChannelFundingFee { amount_sat }).await {
                Ok(fee_sat) => Some(Ok(fee_sat)),
                // The cap's refusal is said here, before the person opens; a shortfall is said when
                // they do (a wallet not funded yet has nothing to say sorry for).
                Err(e @ NodeCallError::Node(NodeError::Onchain(OnchainFault::FeeAboveCap { .. }))) => Some(Err(describe(&e))),
                Err(_) => None,
            };
            // The page may be gone by now (its signals disposed): then nobody is told.
            if amount.try_get_untracked().as_ref() == Some(&text) {
                let _ = funding_fee.try_set(answer);
            }
        });
    });
    let open_typed = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        open(peer.get_untracked().trim().to_owned());
    };
    view! {
        <section aria-labelledby="open-heading">
            <h2 id="open-heading">{move || t!("Open a channel", "Öppna en kanal")}</h2>
            <p class="hint">{move || t!(
                "The size comes from your on-chain balance. It is ready to use after 6 confirmations (about an hour on the real network).",
                "Storleken tas från ditt saldo på kedjan. Kanalen kan användas efter 6 bekräftelser (ungefär en timme på det riktiga nätverket).")}</p>
            <form on:submit=open_typed>
                <label for="channel-amount">{move || t!("Size in sats", "Storlek i sat")}</label>
                <input id="channel-amount" type="text" inputmode="numeric" autocomplete="off" bind:value=amount/>
                {move || funding_fee.get().map(|fee| match fee {
                    Ok(fee_sat) => view! { <p class="hint" data-testid="funding-fee">{move || t!(format!("Its funding pays about {} in on-chain fees.", sats(fee_sat)), format!("Finansieringen kostar ungefär {} i avgifter på kedjan.", sats(fee_sat)))}</p> }.into_any(),
                    Err(refused) => view! { <p class="error" role="alert" data-testid="funding-fee">{refused}</p> }.into_any(),
                })}
                {move || hub().map(|hub| view! {
                    <div class="actions">
                        <button type="button" class="primary" data-testid="open-hub" disabled=move || busy.get().is_some() on:click=move |_| open(hub.clone())>
                            {move || t!("Open a channel to the devnet's hub", "Öppna en kanal till devnetets hubb")}
                        </button>
                    </div>
                })}
                <label for="peer-uri">{move || t!("Or another node: node_id@host:port", "Eller en annan nod: nod-id@värd:port")}</label>
                <input id="peer-uri" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" bind:value=peer/>
                <div class="actions">
                    <button type="submit" data-testid="open-channel" disabled=move || busy.get().is_some()>{move || t!("Open channel", "Öppna kanal")}</button>
                </div>
            </form>
            <Busy message=busy/>
            <Alert message=error/>
        </section>
    }
}
