//! Settings: language, network (chain server, proxy), payment limits, auto-lock, persistent storage,
//! and wiping the wallet.

use leptos::prelude::*;
use lightning::bitcoin::Network;

use crate::components::{Alert, BackupExport, WipeWallet};
use crate::context::use_app;
use crate::i18n::{self, Lang};
use crate::prefs;
use crate::session::AutoLock;
use blixtra_host::browser::storage_persistence::Persistence;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <h1>{move || t!("Settings", "Inställningar")}</h1>
        <LanguageSetting/>
        <NetworkSettings/>
        <AutoLockSetting/>
        <StorageSetting/>
        <BackupSetting/>
        <super::WebsitesSettings/>
        <WipeWallet/>
    }
}

#[component]
fn LanguageSetting() -> impl IntoView {
    let choose = move |ev: leptos::ev::Event| {
        if let Some(lang) = Lang::from_tag(&event_target_value(&ev)) {
            prefs::set_language(lang);
            i18n::set_lang(lang);
        }
    };
    view! {
        <section aria-labelledby="language-heading">
            <h2 id="language-heading">{move || t!("Language", "Språk")}</h2>
            <label for="language">{move || t!("The wallet's language", "Plånbokens språk")}</label>
            <select id="language" on:change=choose>
                {Lang::ALL.into_iter().map(|lang| view! { <option value=lang.tag() selected=move || i18n::lang() == lang>{lang.name()}</option> }).collect_view()}
            </select>
        </section>
    }
}

#[component]
fn NetworkSettings() -> impl IntoView {
    let ctx = use_app();
    let draft = RwSignal::new(ctx.settings.get_untracked());
    let (error, saved) = (RwSignal::new(None::<String>), RwSignal::new(false));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let settings = draft.get_untracked();
        match settings.save() {
            Ok(()) => {
                ctx.settings.set(settings);
                error.set(None);
                saved.set(true);
            }
            Err(e) => {
                saved.set(false);
                error.set(Some(crate::error_text::settings(&e)));
            }
        }
    };
    let number = |text: String| text.trim().replace([' ', '\u{202f}', ','], "").parse::<u64>().unwrap_or(0);
    view! {
        <section aria-labelledby="network-heading">
            <h2 id="network-heading">{move || t!("Network and limits", "Nätverk och gränser")}</h2>
            <form on:submit=save>
                <label for="network">{move || t!("Network", "Nätverk")}</label>
                <select id="network" on:change=move |ev| {
                    let network = match event_target_value(&ev).as_str() { "signet" => Network::Signet, "bitcoin" => Network::Bitcoin, _ => Network::Regtest };
                    draft.update(|d| d.network = network);
                }>
                    {[(Network::Regtest, "regtest"), (Network::Signet, "signet"), (Network::Bitcoin, "bitcoin")].into_iter().map(|(network, value)| view! {
                        <option value=value selected=move || draft.get().network == network>{network_name(network)}</option>
                    }).collect_view()}
                </select>
                <label for="esplora-url">{move || t!("Chain server (Esplora URL)", "Blockkedjeserver (Esplora-URL)")}</label>
                <input id="esplora-url" type="text" autocomplete="off" spellcheck="false" prop:value=move || draft.get().esplora_url on:change=move |ev| draft.update(|d| d.esplora_url = event_target_value(&ev))/>
                <label for="second-esplora-url">{move || t!("Second chain server, run by someone else (optional): confirmations count only when both agree", "Andra blockkedjeserver, som någon annan driver (valfri): bekräftelser räknas bara när båda är överens")}</label>
                <input id="second-esplora-url" type="text" autocomplete="off" spellcheck="false" placeholder="https://…" prop:value=move || draft.get().second_esplora_url on:change=move |ev| draft.update(|d| d.second_esplora_url = event_target_value(&ev))/>
                <label for="proxy-url">{move || t!("Lightning proxy ({host} and {port} are the peer's)", "Lightning-proxy ({host} och {port} är motpartens)")}</label>
                <input id="proxy-url" type="text" autocomplete="off" spellcheck="false" prop:value=move || draft.get().proxy_url_template on:change=move |ev| draft.update(|d| d.proxy_url_template = event_target_value(&ev))/>
                <label for="max-fee">{move || t!("Most routing fee per payment, in percent (never less than 10 sats)", "Högsta routningsavgift per betalning, i procent (aldrig under 10 sat)")}</label>
                <input id="max-fee" type="text" inputmode="numeric" prop:value=move || draft.get().max_fee_percent.to_string() on:change=move |ev| draft.update(|d| d.max_fee_percent = u32::try_from(number(event_target_value(&ev))).unwrap_or(u32::MAX))/>
                <label for="max-channel">{move || t!("Largest channel, in sats", "Största kanal, i sat")}</label>
                <input id="max-channel" type="text" inputmode="numeric" prop:value=move || draft.get().max_channel_sat.to_string() on:change=move |ev| draft.update(|d| d.max_channel_sat = number(event_target_value(&ev)))/>
                <label for="onchain-fee">{move || t!("Most on-chain fee (a send, a channel's funding), in percent of the amount", "Högsta avgift på kedjan (en överföring, en kanals finansiering), i procent av beloppet")}</label>
                <input id="onchain-fee" type="text" inputmode="numeric" prop:value=move || draft.get().onchain_fee_percent.to_string() on:change=move |ev| draft.update(|d| d.onchain_fee_percent = u8::try_from(number(event_target_value(&ev))).unwrap_or(u8::MAX))/>
                <label for="onchain-fee-floor">{move || t!("…or at most this many sats, if that is more", "…eller högst så här många sat, om det är mer")}</label>
                <input id="onchain-fee-floor" type="text" inputmode="numeric" prop:value=move || draft.get().onchain_fee_floor_sat.to_string() on:change=move |ev| draft.update(|d| d.onchain_fee_floor_sat = number(event_target_value(&ev)))/>
                <label for="lsp">{move || t!("Channel provider (LSP), node_id@host:port: opens a channel when a payment to you does not fit yours, for a fee you see first", "Kanalleverantör (LSP), node_id@host:port: öppnar en kanal när en betalning till dig inte ryms i dina, mot en avgift du ser först")}</label>
                <input id="lsp" type="text" autocomplete="off" spellcheck="false" prop:value=move || draft.get().lsp on:change=move |ev| draft.update(|d| d.lsp = event_target_value(&ev))/>
                <p class="hint">{move || t!("Its channels are used at once, before they confirm: that trusts the provider not to spend their funding twice. Channels from anyone else wait for confirmations.", "Dess kanaler används direkt, innan de bekräftats: det litar på att leverantören inte spenderar finansieringen två gånger. Kanaler från andra väntar på bekräftelser.")}</p>
                <label for="payment-code-server">{move || t!("Payment code server, an https:// address: keeps your payment code working while Blixtra is closed", "Server för betalkoden, en https://-adress: håller din betalkod igång medan Blixtra är stängd")}</label>
                <input id="payment-code-server" type="url" autocomplete="off" spellcheck="false" prop:value=move || draft.get().payment_code_server on:change=move |ev| draft.update(|d| d.payment_code_server = event_target_value(&ev))/>
                <p class="hint">{move || t!("It learns your node's id and answers payers for you while you are away; it cannot take your funds.", "Den får veta din nods id och svarar betalare åt dig medan du är borta; den kan inte ta dina pengar.")}</p>
                <label for="balance-notice">{move || t!("Remind me that Lightning is for everyday amounts above (sats; 0: never)", "Påminn mig om att Lightning är för vardagsbelopp över (sat; 0: aldrig)")}</label>
                <input id="balance-notice" type="text" inputmode="numeric" prop:value=move || draft.get().balance_notice_sat.to_string() on:change=move |ev| draft.update(|d| d.balance_notice_sat = number(event_target_value(&ev)))/>
                <div class="actions">
                    <button type="submit" data-testid="save-settings">{move || t!("Save", "Spara")}</button>
                </div>
            </form>
            <Alert message=error/>
            <Show when=move || saved.get()>
                <p role="status" data-testid="settings-saved">{move || t!("Saved. A new network or server is used from the next unlock.", "Sparat. Nytt nätverk eller ny server används från nästa upplåsning.")}</p>
            </Show>
        </section>
    }
}

#[component]
fn BackupSetting() -> impl IntoView {
    view! {
        <section aria-labelledby="backup-heading">
            <h2 id="backup-heading">{move || t!("Backup file", "Säkerhetskopia")}</h2>
            <p>{move || t!(
                "Your recovery phrase brings back your coins, and your channels' funds through their peers' closes. A backup file brings back the wallet itself, channels open: export one after a channel opens or closes. It is encrypted: it opens only with your passphrase.",
                "Din återställningsfras ger tillbaka dina mynt, och kanalernas pengar när motparterna stänger dem. En säkerhetskopia ger tillbaka själva plånboken, med kanalerna öppna: exportera en efter att en kanal öppnats eller stängts. Den är krypterad: den öppnas bara med ditt lösenord."
            )}</p>
            <BackupExport/>
        </section>
    }
}

fn network_name(network: Network) -> &'static str {
    match network {
        Network::Bitcoin => t!("Bitcoin (real money)", "Bitcoin (riktiga pengar)"),
        Network::Signet => t!("Signet (test network)", "Signet (testnätverk)"),
        _ => t!("Regtest (local devnet)", "Regtest (lokalt devnet)"),
    }
}

#[component]
fn AutoLockSetting() -> impl IntoView {
    let ctx = use_app();
    let choose = move |ev: leptos::ev::Event| {
        let minutes = event_target_value(&ev).parse::<u32>().ok();
        let auto_lock = AutoLock { minutes };
        prefs::set_auto_lock(auto_lock);
        ctx.auto_lock.set(auto_lock);
    };
    let label = |minutes: Option<u32>| match minutes {
        Some(1) => t!("1 minute".to_string(), "1 minut".to_string()),
        Some(m) => t!(format!("{m} minutes"), format!("{m} minuter")),
        None => t!("Never".to_string(), "Aldrig".to_string()),
    };
    view! {
        <section aria-labelledby="auto-lock-heading">
            <h2 id="auto-lock-heading">{move || t!("Auto-lock", "Automatisk låsning")}</h2>
            <label for="auto-lock">{move || t!("Lock the wallet after this long without use", "Lås plånboken efter så här lång tid utan användning")}</label>
            <select id="auto-lock" on:change=choose>
                {AutoLock::CHOICES.into_iter().map(|minutes| view! {
                    <option value=minutes.map(|m| m.to_string()).unwrap_or_else(|| "never".into())
                        selected=move || ctx.auto_lock.get().minutes == minutes>{move || label(minutes)}</option>
                }).collect_view()}
            </select>
        </section>
    }
}

#[component]
fn StorageSetting() -> impl IntoView {
    let ctx = use_app();
    view! {
        <section aria-labelledby="storage-heading">
            <h2 id="storage-heading">{move || t!("Storage", "Lagring")}</h2>
            <p data-testid="persistence">{move || match ctx.persistence.get() {
                Some(Persistence::Granted) => t!("Persistent storage: granted. The browser will not clear the wallet to free space.", "Beständig lagring: beviljad. Webbläsaren rensar inte plånboken för att frigöra utrymme."),
                Some(Persistence::NotGranted) => t!("Persistent storage: not granted. When short of space the browser may clear this site's data, wallet included. Installing Blixtra or bookmarking it often helps.", "Beständig lagring: inte beviljad. Vid platsbrist kan webbläsaren rensa webbplatsens data, plånboken också. Att installera Blixtra eller bokmärka den hjälper ofta."),
                Some(Persistence::Unsupported) => t!("Persistent storage: not supported by this browser.", "Beständig lagring: stöds inte av den här webbläsaren."),
                None => t!("Persistent storage: asking…", "Beständig lagring: frågar…"),
            }}</p>
            <Show when=move || ctx.persistence.get() == Some(Persistence::NotGranted)>
                <button type="button" on:click=move |_| ctx.request_persistence()>{move || t!("Ask the browser again", "Fråga webbläsaren igen")}</button>
            </Show>
        </section>
    }
}
