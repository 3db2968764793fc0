//! The sentences a person reads for what the node refuses or fails at, in the UI's language. The
//! core's errors carry the data; this file says it in English or Swedish. A detail that comes from
//! elsewhere (a server's or a peer's reason) is shown as it came.

use blixtra_core::node::NodeError;

use crate::i18n::sats;
use crate::node_client::NodeCallError;

/// Returns the sentence for `error`.
pub fn describe(error: &NodeCallError) -> String {
    match error {
        NodeCallError::Node(e) => node_error(e),
        NodeCallError::StartFailed(why) => t!(format!("The wallet could not start: {why}."), format!("Plånboken kunde inte starta: {why}.")),
        NodeCallError::WorkerFailed(why) => t!(format!("The wallet's background process failed ({why}). Reload the page."), format!("Plånbokens bakgrundsprocess slutade fungera ({why}). Ladda om sidan.")),
    }
}

fn node_error(error: &NodeError) -> String {
    match error {
        NodeError::Storage(why) => t!(format!("The browser's storage failed: {why}."), format!("Webbläsarens lagring fungerade inte: {why}.")),
        NodeError::Chain(why) => t!(format!("The chain server could not be reached or answered wrongly: {why}."), format!("Blockkedjeservern gick inte att nå eller svarade fel: {why}.")),
        NodeError::Onchain(why) => t!(format!("On-chain: {why}."), format!("På kedjan: {why}.")),
        NodeError::InvalidPeer(why) => t!(format!("That is not a node address (node_id@host:port): {why}."), format!("Det är inte en nodadress (nod-id@värd:port): {why}.")),
        NodeError::PeerUnreachable(why) => t!(format!("The node could not be reached: {why}."), format!("Noden gick inte att nå: {why}.")),
        NodeError::InvalidInvoice(why) => t!(format!("That is not a valid Lightning invoice: {why}."), format!("Det är ingen giltig Lightning-faktura: {why}.")),
        NodeError::WrongNetwork { invoice, wallet } => t!(format!("The invoice is for {invoice}, but this wallet is on {wallet}."), format!("Fakturan gäller {invoice}, men plånboken används på {wallet}.")),
        NodeError::InvoiceExpired => t!("The invoice has expired: ask for a new one.".into(), "Fakturan har gått ut: be om en ny.".into()),
        NodeError::AmountNeeded => t!("The invoice has no amount: enter one.".into(), "Fakturan saknar belopp: ange ett.".into()),
        NodeError::InsufficientFunds { needed_msat, available_msat } => {
            let (needed, available) = (sats(needed_msat.div_ceil(1000)), sats(available_msat / 1000));
            t!(format!("Not enough funds: {needed} needed, {available} available."), format!("Det räcker inte: {needed} behövs, {available} finns."))
        }
        NodeError::AlreadyPaid(status) => t!(format!("This invoice was already paid or is being paid ({status})."), format!("Fakturan är redan betald eller håller på att betalas ({status}).")),
        NodeError::PaymentFailed(why) => t!(format!("The payment failed: {why}. Nothing was paid."), format!("Betalningen misslyckades: {why}. Inget betalades.")),
        NodeError::ChannelTooLarge { requested, max } => {
            let (requested, max) = (sats(requested.to_sat()), sats(max.to_sat()));
            t!(format!("A channel of {requested} is above this wallet's limit of {max} (see Settings)."), format!("En kanal på {requested} är över plånbokens gräns på {max} (se Inställningar)."))
        }
        NodeError::UnknownChannel(id) => t!(format!("There is no channel {id}."), format!("Det finns ingen kanal {id}.")),
        NodeError::Refused(why) => t!(format!("Lightning refused: {why}."), format!("Lightning vägrade: {why}.")),
        NodeError::Stopped => t!("The wallet's node is not running (it starts after unlocking).".into(), "Plånbokens nod är inte igång (den startar efter upplåsning).".into()),
    }
}
