//! The sentences a person reads for what the node refuses or fails at, in the UI's language. The
//! core's errors carry the data; this file says each in English or Swedish. A detail that comes from
//! elsewhere (a server's, a browser's or a peer's words) is shown as it came.

use blixtra_core::backup::{BackupError, Damage};
use blixtra_core::mnemonic::MnemonicError;
use blixtra_core::node::chain_source::{ChainProblem, HeaderProblem};
use blixtra_core::node::error::{
    ChainFault, CustomRecordProblem, InvoiceProblem, LspFault, NodeError, OnchainFault, PaymentCodeFault, PaymentFailure, PeerAddressProblem,
    PeerFailure, Refusal, StorageFault,
};
use blixtra_core::node::events::{ChannelCloseReason, InboundDecision};
use blixtra_core::onboarding::{NewPassphraseError, WordCheckError};
use blixtra_core::VaultError;
use blixtra_host::node_client::NodeCallError;
use blixtra_host::protocol::StartError;

use crate::components::sentence;
use crate::i18n::{sats, short_id};
use crate::node_state::Problem;
use crate::settings::SettingsError;

/// Returns the sentence for `error`.
pub fn describe(error: &NodeCallError) -> String {
    match error {
        NodeCallError::Node(e) => node_error(e),
        NodeCallError::StartFailed(e) => start_error(e),
        NodeCallError::WorkerFailed(why) => t!(
            format!("The wallet's background process failed ({why}). Reload the page."),
            format!("Plånbokens bakgrundsprocess slutade fungera ({why}). Ladda om sidan.")
        ),
        NodeCallError::Protocol(_) => t!(
            "This page and the wallet's background process are of different versions. Reload the page.".into(),
            "Sidan och plånbokens bakgrundsprocess har olika versioner. Ladda om sidan.".into()
        ),
    }
}

/// Returns the sentence for why the node did not start.
pub fn start_error(error: &StartError) -> String {
    match error {
        StartError::WrongPassphrase => {
            t!("The wallet could not start: wrong passphrase.".into(), "Plånboken kunde inte starta: fel lösenord.".into())
        }
        StartError::NoWallet => vault(&VaultError::NoVault),
        StartError::Vault(e) | StartError::Node(e) => {
            let why = node_error(e);
            t!(format!("The wallet could not start. {why}"), format!("Plånboken kunde inte starta. {why}"))
        }
        StartError::Version { .. } => t!(
            "This page and the wallet's background process are of different versions. Reload the page.".into(),
            "Sidan och plånbokens bakgrundsprocess har olika versioner. Ladda om sidan.".into()
        ),
        StartError::AlreadyRunning => t!("The wallet is already running.".into(), "Plånboken är redan igång.".into()),
    }
}

/// Returns the sentence for something that went wrong in the background.
pub fn problem(problem: &Problem) -> String {
    match problem {
        Problem::PaymentFailed(failure) => {
            let why = payment_failure(failure);
            t!(format!("a payment failed: {why}"), format!("en betalning misslyckades: {why}"))
        }
        Problem::ChannelClosed(reason) => {
            let why = close_reason(reason);
            t!(format!("a channel closed: {why}"), format!("en kanal stängdes: {why}"))
        }
        Problem::InboundChannel { funding_sat, decision } => {
            let size = sats(*funding_sat);
            match decision {
                InboundDecision::Accepted => t!(format!("a channel of {size} was opened to you"), format!("en kanal på {size} öppnades till dig")),
                InboundDecision::AcceptedFromLsp => t!(
                    format!("your channel provider opened a channel of {size} for a payment to you"),
                    format!("din kanalleverantör öppnade en kanal på {size} för en betalning till dig")
                ),
                InboundDecision::AcceptedTrusted { reserve_sat, .. } => t!(
                    format!(
                        "a channel of {size} was taken from a peer you trust, without the {} on chain that would pay to close it by force",
                        sats(*reserve_sat)
                    ),
                    format!(
                        "en kanal på {size} togs emot från en motpart du litar på, utan de {} på kedjan som skulle betala en tvångsstängning",
                        sats(*reserve_sat)
                    )
                ),
                InboundDecision::RefusedUnknownPeer => t!(
                    format!("a channel of {size} from a node you did not connect to was refused"),
                    format!("en kanal på {size} från en nod du inte anslöt till avböjdes")
                ),
                InboundDecision::RefusedNoReserve { reserve_sat, available_sat } => t!(
                    format!(
                        "a channel of {size} was refused: closing it by force would need {} on chain, and the wallet has {}",
                        sats(*reserve_sat),
                        sats(*available_sat)
                    ),
                    format!(
                        "en kanal på {size} avböjdes: en tvångsstängning skulle kräva {} på kedjan, och plånboken har {}",
                        sats(*reserve_sat),
                        sats(*available_sat)
                    )
                ),
            }
        }
        Problem::Said(sentence) => sentence.clone(),
    }
}

fn node_error(error: &NodeError) -> String {
    match error {
        NodeError::Storage(fault) => storage(fault),
        NodeError::Chain(fault) => {
            let why = chain(fault);
            t!(format!("The chain server could not be used: {why}."), format!("Blockkedjeservern gick inte att använda: {why}."))
        }
        NodeError::Onchain(fault) => onchain(fault),
        NodeError::InvalidPeer(problem) => {
            let why = peer_address(problem);
            t!(format!("That is not a node address (node_id@host:port): {why}."), format!("Det är inte en nodadress (nod-id@värd:port): {why}."))
        }
        NodeError::PeerUnreachable { node_id, failure } => {
            let (who, why) = (short_id(node_id), peer_failure(failure));
            t!(format!("The node {who} could not be reached: {why}."), format!("Noden {who} gick inte att nå: {why}."))
        }
        NodeError::InvalidInvoice(problem) => invoice(problem),
        NodeError::WrongNetwork { invoice, wallet } => t!(
            format!("The invoice is for {invoice}, but this wallet is on {wallet}."),
            format!("Fakturan gäller {invoice}, men plånboken används på {wallet}.")
        ),
        NodeError::InvoiceExpired => t!("The invoice has expired: ask for a new one.".into(), "Fakturan har gått ut: be om en ny.".into()),
        NodeError::AmountNeeded => t!("The invoice has no amount: enter one.".into(), "Fakturan saknar belopp: ange ett.".into()),
        NodeError::ZeroAmount => t!("The amount must be more than zero.".into(), "Beloppet måste vara mer än noll.".into()),
        NodeError::InvalidDestination => t!(
            "That is not a node id (66 hex digits of a public key).".into(),
            "Det är inget nod-id (66 hexadecimala siffror för en publik nyckel).".into()
        ),
        NodeError::PayingSelf => {
            t!("That is this wallet's own node: it cannot pay itself.".into(), "Det är plånbokens egen nod: den kan inte betala sig själv.".into())
        }
        NodeError::InvalidCustomRecord(problem) => custom_record(problem),
        NodeError::InsufficientFunds { needed_msat, available_msat } => {
            let (needed, available) = (sats(needed_msat.div_ceil(1000)), sats(available_msat / 1000));
            t!(format!("Not enough funds: {needed} needed, {available} available."), format!("Det räcker inte: {needed} behövs, {available} finns."))
        }
        NodeError::AlreadyPaid(status) => {
            t!(
                format!("This invoice was already paid or is being paid ({status})."),
                format!("Fakturan är redan betald eller håller på att betalas ({status}).")
            )
        }
        NodeError::PaymentFailed(failure) => {
            let why = payment_failure(failure);
            t!(format!("The payment failed: {why}. Nothing was paid."), format!("Betalningen misslyckades: {why}. Inget betalades."))
        }
        NodeError::ChannelTooLarge { requested, max } => {
            let (requested, max) = (sats(requested.to_sat()), sats(max.to_sat()));
            t!(
                format!("A channel of {requested} is above this wallet's limit of {max} (see Settings)."),
                format!("En kanal på {requested} är över plånbokens gräns på {max} (se Inställningar).")
            )
        }
        NodeError::UnknownChannel { channel_id } => {
            let id = short_id(channel_id);
            t!(format!("There is no channel {id}."), format!("Det finns ingen kanal {id}."))
        }
        NodeError::Refused(refusal) => refused(refusal),
        NodeError::Stopped => {
            t!(
                "The wallet's node is not running (it starts after unlocking).".into(),
                "Plånbokens nod är inte igång (den startar efter upplåsning).".into()
            )
        }
        NodeError::NotPermitted { origin } => {
            t!(format!("{origin} may not ask this of the wallet."), format!("{origin} får inte begära detta av plånboken."))
        }
        NodeError::PromptGone => {
            t!(
                "The website's question was answered already or has expired.".to_owned(),
                "Webbplatsens fråga är redan besvarad eller har gått ut.".to_owned()
            )
        }
        NodeError::NotAWebsite { origin } => t!(
            format!("“{origin}” is not a website's address (https://… or http://…)."),
            format!("”{origin}” är ingen webbplatsadress (https://… eller http://…).")
        ),
        NodeError::Lsp(fault) => lsp(fault),
        NodeError::PaymentCode(fault) => payment_code(fault),
    }
}

pub fn storage(fault: &StorageFault) -> String {
    match fault {
        StorageFault::Unavailable { reason } => {
            t!(format!("The browser's storage cannot be used: {reason}."), format!("Webbläsarens lagring går inte att använda: {reason}."))
        }
        StorageFault::QuotaExceeded => t!(
            "The browser's storage is full: free some space for this site.".into(),
            "Webbläsarens lagring är full: frigör utrymme för den här webbplatsen.".into()
        ),
        StorageFault::Backend { operation, message } => {
            t!(
                format!("The browser's storage failed ({operation}): {message}."),
                format!("Webbläsarens lagring fungerade inte ({operation}): {message}.")
            )
        }
        StorageFault::Integrity { kind } => vault(&VaultError::Integrity { kind: kind.clone() }),
        StorageFault::Unreadable { kind } => t!(
            format!("A stored {kind} record cannot be read by this version of Blixtra."),
            format!("En sparad post ({kind}) kan inte läsas av den här versionen av Blixtra.")
        ),
        StorageFault::ManagerMissing { monitors } => t!(
            format!("{monitors} channels are stored without the state that goes with them: restore from a backup of the whole wallet."),
            format!("{monitors} kanaler finns sparade utan tillståndet som hör till dem: återställ från en säkerhetskopia av hela plånboken.")
        ),
        StorageFault::ManagerStale => t!(
            "The stored channel state does not match its channels; nothing was changed. Do not use this wallet elsewhere meanwhile.".into(),
            "Det sparade kanaltillståndet stämmer inte med kanalerna; inget ändrades. Använd inte plånboken någon annanstans under tiden.".into()
        ),
    }
}

pub fn chain(fault: &ChainFault) -> String {
    match fault {
        ChainFault::Unreachable { detail } => t!(format!("no answer ({detail})"), format!("inget svar ({detail})")),
        ChainFault::Status { status } => t!(format!("it answered with HTTP error {status}"), format!("den svarade med HTTP-fel {status}")),
        ChainFault::BadAnswer { detail } => t!(format!("its answer is not valid ({detail})"), format!("svaret är ogiltigt ({detail})")),
        ChainFault::Inconsistent { detail } => {
            t!(format!("its answers contradict the checked chain ({detail})"), format!("svaren motsäger den kontrollerade kedjan ({detail})"))
        }
        ChainFault::ForgedHeader { problem } => match problem {
            HeaderProblem::BelowNetworkDifficulty => t!(
                "it sent a block header easier than the network allows: a forgery, so its answers are not used".into(),
                "den skickade ett blockhuvud enklare än nätverket tillåter: en förfalskning, så dess svar används inte".into()
            ),
            HeaderProblem::WorkNotDone => t!(
                "it sent a block header whose proof of work does not hold: a forgery, so its answers are not used".into(),
                "den skickade ett blockhuvud vars arbetsbevis inte håller: en förfalskning, så dess svar används inte".into()
            ),
        },
        ChainFault::ChainRefused { problem } => match problem {
            ChainProblem::DoesNotLink { height } => t!(
                format!("its block at height {height} does not link to the block above it, so its answers are not used"),
                format!("dess block på höjd {height} hänger inte ihop med blocket ovanför, så dess svar används inte")
            ),
            ChainProblem::HeightNotProven { claimed } => t!(
                format!("it puts a block at height {claimed} that its block headers do not reach, so its answers are not used"),
                format!("den lägger ett block på höjd {claimed} som dess blockhuvuden inte når, så dess svar används inte")
            ),
            ChainProblem::DifficultyJump { height } => t!(
                format!("its block at height {height} changes the difficulty as the network's rules do not allow, so its answers are not used"),
                format!("dess block på höjd {height} ändrar svårigheten på ett sätt som nätverkets regler inte tillåter, så dess svar används inte")
            ),
            ChainProblem::LessWork => t!(
                "its chain has less work than the one the wallet already follows (it may be behind), so its answers are not used for now".into(),
                "dess kedja har mindre arbete än den plånboken redan följer (den kan ligga efter), så dess svar används inte just nu".into()
            ),
        },
        ChainFault::ServersDisagree { txid } => t!(
            format!("the two chain servers disagree on whether transaction {txid} is confirmed: one of them hides it or made it up, so it waits until they agree"),
            format!("de två blockkedjeservrarna är oense om transaktionen {txid} är bekräftad: en av dem döljer den eller hittade på den, så den väntar tills de är överens")
        ),
        ChainFault::SecondServer { cause } => {
            let fault = chain(cause);
            t!(
                format!("the second chain server: {fault}; what the first one confirms waits for it"),
                format!("den andra blockkedjeservern: {fault}; det den första bekräftar väntar på den")
            )
        }
        ChainFault::FirstServerBehind { blocks } => t!(
            format!("the first chain server is {blocks} blocks behind the second: it may be hiding blocks, so use another one"),
            format!("den första blockkedjeservern ligger {blocks} block efter den andra: den kan dölja block, så använd en annan")
        ),
        ChainFault::SecondServerBehind { blocks } => t!(
            format!("the second chain server is {blocks} blocks behind the first, so new confirmations wait for it"),
            format!("den andra blockkedjeservern ligger {blocks} block efter den första, så nya bekräftelser väntar på den")
        ),
        ChainFault::Refused { reason } => {
            t!(format!("it refused the transaction ({reason})"), format!("den vägrade ta emot transaktionen ({reason})"))
        }
        ChainFault::BadUrl { detail } => t!(format!("its address cannot be used ({detail})"), format!("adressen går inte att använda ({detail})")),
    }
}

fn onchain(fault: &OnchainFault) -> String {
    match fault {
        OnchainFault::InvalidAddress { .. } => t!("That is not a bitcoin address.".into(), "Det är ingen bitcoinadress.".into()),
        OnchainFault::WrongNetwork { expected, found } => t!(
            format!("The address is for {found}, but this wallet is on {expected}."),
            format!("Adressen gäller {found}, men plånboken används på {expected}.")
        ),
        OnchainFault::Dust => {
            t!(
                "The amount is too small to send on chain (below the dust limit).".into(),
                "Beloppet är för litet för att skickas på kedjan (under dammgränsen).".into()
            )
        }
        OnchainFault::FeeRate { sat_per_vb } => {
            t!(format!("{sat_per_vb} sat/vB is not a usable fee rate."), format!("{sat_per_vb} sat/vB är ingen användbar avgiftsnivå."))
        }
        OnchainFault::Build { detail } => {
            t!(format!("The transaction cannot be built: {detail}."), format!("Transaktionen går inte att bygga: {detail}."))
        }
        OnchainFault::Stored { detail } => {
            t!(
                format!("The stored on-chain wallet cannot be used: {detail}."),
                format!("Den sparade plånboken på kedjan går inte att använda: {detail}.")
            )
        }
        OnchainFault::CloseAddress => {
            t!("The wallet's address cannot receive a channel's funds.".into(), "Plånbokens adress kan inte ta emot en kanals pengar.".into())
        }
        OnchainFault::FeeAboveCap { fee_sat, cap_sat } => t!(
            format!("The on-chain fee would be {}, above your cap of {}: nothing was sent. Try a lower fee rate, or raise the cap in settings.", sats(*fee_sat), sats(*cap_sat)),
            format!("Avgiften på kedjan skulle bli {}, över ditt tak på {}: inget skickades. Försök med en lägre avgiftsnivå, eller höj taket i inställningarna.", sats(*fee_sat), sats(*cap_sat))
        ),
    }
}

fn peer_address(problem: &PeerAddressProblem) -> String {
    match problem {
        PeerAddressProblem::NoAt => t!("no '@'", "inget '@'").to_owned(),
        PeerAddressProblem::NodeId => t!("the node id is not a public key", "nod-id:t är ingen publik nyckel").to_owned(),
        PeerAddressProblem::NoPort => t!("no port", "ingen port").to_owned(),
        PeerAddressProblem::Port => t!("the port is not a number", "porten är inget tal").to_owned(),
        PeerAddressProblem::NoHost => t!("no host", "ingen värd").to_owned(),
    }
}

fn peer_failure(failure: &PeerFailure) -> String {
    match failure {
        PeerFailure::Connect { detail } => t!(format!("the connection failed ({detail})"), format!("anslutningen misslyckades ({detail})")),
        PeerFailure::Refused => t!("the connection was refused", "anslutningen vägrades").to_owned(),
        PeerFailure::Closed { reason } => t!(format!("the connection closed ({reason})"), format!("anslutningen stängdes ({reason})")),
        PeerFailure::HandshakeTimeout { secs } => t!(format!("no answer within {secs} s"), format!("inget svar inom {secs} s")),
    }
}

fn invoice(problem: &InvoiceProblem) -> String {
    match problem {
        InvoiceProblem::Unreadable { detail } => {
            t!(format!("That is not a valid Lightning invoice: {detail}."), format!("Det är ingen giltig Lightning-faktura: {detail}."))
        }
        InvoiceProblem::Description => {
            t!("The description cannot be used in an invoice.".into(), "Beskrivningen går inte att använda i en faktura.".into())
        }
        InvoiceProblem::CannotMake => t!("The invoice could not be made.".into(), "Fakturan kunde inte skapas.".into()),
    }
}

fn custom_record(problem: &CustomRecordProblem) -> String {
    match problem {
        CustomRecordProblem::Reserved { record_type } => t!(
            format!("Custom record type {record_type} is below 65536, the range reserved for the protocol."),
            format!("Egen posttyp {record_type} är under 65536, intervallet som är reserverat för protokollet.")
        ),
        CustomRecordProblem::KeysendPreimage => t!(
            "Custom record type 5482373484 is keysend's own: it carries the preimage, which the wallet sets.".into(),
            "Egen posttyp 5482373484 är keysends egen: den bär betalningsbeviset (preimage), som plånboken sätter.".into()
        ),
        CustomRecordProblem::AsyncPayments => t!(
            "Custom record type 77777 is taken by the protocol (asynchronous payments).".into(),
            "Egen posttyp 77777 används av protokollet (asynkrona betalningar).".into()
        ),
        CustomRecordProblem::Duplicate { record_type } => {
            t!(format!("Custom record type {record_type} is given twice."), format!("Egen posttyp {record_type} anges två gånger."))
        }
        CustomRecordProblem::TooMany { count, max } => t!(
            format!("{count} custom records: at most {max} are sent with a payment."),
            format!("{count} egna poster: högst {max} skickas med en betalning.")
        ),
        CustomRecordProblem::TooLarge { bytes, max } => t!(
            format!("The custom records take {bytes} bytes together: at most {max} fit in a payment."),
            format!("De egna posterna tar {bytes} byte tillsammans: högst {max} får plats i en betalning.")
        ),
    }
}

fn payment_failure(failure: &PaymentFailure) -> String {
    if let PaymentFailure::ProviderFeeAboveAgreed { agreed_msat, taken_msat } = failure {
        let (agreed, taken) = (sats(agreed_msat / 1000), sats(taken_msat.div_ceil(1000)));
        return t!(
            format!("the channel provider kept {taken} of it, more than the {agreed} agreed, so it was refused and goes back to the payer"),
            format!("kanalleverantören behöll {taken} av den, mer än de {agreed} som avtalats, så den avvisades och går tillbaka till betalaren")
        );
    }
    match failure {
        PaymentFailure::RecipientRejected => t!("the recipient refused it", "mottagaren vägrade ta emot den"),
        PaymentFailure::RetriesExhausted => t!("every route tried failed", "alla vägar som provades misslyckades"),
        PaymentFailure::Expired => t!("it expired before it could be completed", "den gick ut innan den kunde slutföras"),
        PaymentFailure::NoRoute => t!("no route to the recipient was found", "ingen väg till mottagaren hittades"),
        PaymentFailure::UnknownRequiredFeatures => {
            t!("the recipient needs features this wallet lacks", "mottagaren kräver funktioner som plånboken saknar")
        }
        PaymentFailure::Abandoned => t!("it was abandoned", "den avbröts"),
        PaymentFailure::InvalidAmount => t!("the amount does not fit the invoice", "beloppet passar inte fakturan"),
        PaymentFailure::RouteTooLong => t!("the route is too long for one payment", "vägen är för lång för en betalning"),
        PaymentFailure::LastAttemptUnsettled => {
            t!(
                "its last attempt is still being settled: try again in a few minutes",
                "förra försöket håller fortfarande på att avslutas: försök igen om några minuter"
            )
        }
        PaymentFailure::Unexpected | PaymentFailure::ProviderFeeAboveAgreed { .. } => t!("an unexpected error", "ett oväntat fel"),
    }
    .to_owned()
}

fn close_reason(reason: &ChannelCloseReason) -> String {
    match reason {
        ChannelCloseReason::Cooperative => t!("closed cooperatively", "stängd i samförstånd"),
        ChannelCloseReason::ForceClosedByUs => t!("force-closed by this wallet", "tvångsstängd av plånboken"),
        ChannelCloseReason::ForceClosedByPeer => t!("force-closed by the peer", "tvångsstängd av motparten"),
        ChannelCloseReason::CommitmentConfirmed => t!("a commitment transaction confirmed on chain", "en åtagandetransaktion bekräftades på kedjan"),
        ChannelCloseReason::NotFunded => t!("the channel was never funded", "kanalen finansierades aldrig"),
        ChannelCloseReason::PeerLeftBeforeFunding => {
            t!("the peer disconnected before the channel was funded", "motparten kopplade ner innan kanalen finansierades")
        }
        ChannelCloseReason::PaymentsTimedOut => t!("payments in it timed out", "betalningar i den gick ut"),
        ChannelCloseReason::PeerFeeRateTooLow => t!("the peer's fee rate was too low", "motpartens avgiftsnivå var för låg"),
        ChannelCloseReason::OutdatedState => t!("the stored channel state was outdated", "det sparade kanaltillståndet var föråldrat"),
        ChannelCloseReason::ProtocolError => t!("a protocol error", "ett protokollfel"),
    }
    .to_owned()
}

fn refused(refusal: &Refusal) -> String {
    match refusal {
        Refusal::NotNow => t!(
            "Lightning refused: the request does not fit the channel's state now.".into(),
            "Lightning vägrade: begäran passar inte kanalens läge just nu.".into()
        ),
        Refusal::FeeRateTooHigh { sat_per_kw } => t!(
            format!("Lightning refused: the fee rate ({sat_per_kw} sat per 1000 weight) is too high."),
            format!("Lightning vägrade: avgiftsnivån ({sat_per_kw} sat per 1000 viktenheter) är för hög.")
        ),
        Refusal::InvalidRoute => t!("Lightning refused: the route cannot be used.".into(), "Lightning vägrade: vägen går inte att använda.".into()),
        Refusal::ChannelUnavailable => t!(
            "Lightning refused: the channel or its peer is not available now.".into(),
            "Lightning vägrade: kanalen eller dess motpart är inte tillgänglig nu.".into()
        ),
        Refusal::UpdateInProgress => t!(
            "Lightning refused: a channel update is still being stored; try again.".into(),
            "Lightning vägrade: en kanaluppdatering sparas fortfarande; försök igen.".into()
        ),
        Refusal::IncompatibleShutdownScript => t!(
            "Lightning refused: the peer cannot close to this wallet's address.".into(),
            "Lightning vägrade: motparten kan inte stänga till plånbokens adress.".into()
        ),
        Refusal::ChannelStateUnconfirmed => t!(
            "Not closed: this channel's state came from a backup, and its peer has not yet confirmed it is the latest. Closing it now could hand the peer the whole channel; wait until the peer is reached."
                .into(),
            "Inte stängd: kanalens tillstånd kom från en säkerhetskopia, och motparten har ännu inte bekräftat att det är det senaste. Att stänga nu kunde ge motparten hela kanalen; vänta tills motparten nås."
                .into()
        ),
    }
}

/// Returns the sentence for what the vault refused (a wrong passphrase, above all).
pub fn vault(error: &VaultError) -> String {
    match error {
        VaultError::NoVault => t!("There is no wallet on this device yet.".into(), "Det finns ingen plånbok på den här enheten ännu.".into()),
        VaultError::AlreadyExists => t!(
            "A wallet already exists on this device; wipe it first to make another.".into(),
            "Det finns redan en plånbok på enheten; radera den först för att skapa en ny.".into()
        ),
        VaultError::WrongPassphrase => t!("Wrong passphrase.".into(), "Fel lösenord.".into()),
        VaultError::PassphraseTooShort { min } => {
            t!(format!("The passphrase must have at least {min} characters."), format!("Lösenordet måste ha minst {min} tecken."))
        }
        VaultError::Integrity { kind } => t!(
            format!("A stored {kind} record failed its integrity check: it was changed or damaged outside Blixtra."),
            format!("En sparad post ({kind}) klarade inte integritetskontrollen: den har ändrats eller skadats utanför Blixtra.")
        ),
        VaultError::Store(e) => t!(sentence(e), format!("Lagringen fungerade inte: {e}.")),
    }
}

/// Returns the sentence for a backup file that cannot be restored.
pub fn backup(error: &BackupError) -> String {
    match error {
        BackupError::NotABackup => t!("This file is not a Blixtra backup.".into(), "Filen är ingen säkerhetskopia från Blixtra.".into()),
        BackupError::NewerFormat { found } => t!(
            format!("This backup was made by a newer Blixtra (format {found}); update Blixtra to restore it."),
            format!("Säkerhetskopian gjordes av en nyare Blixtra (format {found}); uppdatera Blixtra för att återställa den.")
        ),
        BackupError::Damaged(damage) => {
            let what = match damage {
                Damage::CutShort => t!("it is cut short", "den är avkortad"),
                Damage::TooLarge => t!("it is larger than any wallet", "den är större än någon plånbok"),
                Damage::NodeId => t!("its node id is not a public key", "dess nod-id är ingen publik nyckel"),
                Damage::RecordName => t!("a record's name is not one Blixtra writes", "en posts namn är inget Blixtra skriver"),
                Damage::TrailingBytes => t!("it has bytes after its last record", "den har byte efter sista posten"),
                Damage::Seal => t!("its contents do not match its seal", "innehållet stämmer inte med dess försegling"),
            };
            t!(
                format!("The backup file is damaged or was changed ({what}); nothing was restored. Try another copy of it."),
                format!("Säkerhetskopian är skadad eller ändrad ({what}); inget återställdes. Prova en annan kopia av den.")
            )
        }
        BackupError::Vault(VaultError::WrongPassphrase) => t!(
            "Wrong passphrase: a backup opens with the passphrase the wallet had when the file was made.".into(),
            "Fel lösenord: en säkerhetskopia öppnas med det lösenord plånboken hade när filen gjordes.".into()
        ),
        BackupError::Vault(e) => vault(e),
    }
}

/// Returns the sentence for a recovery phrase that cannot be read.
pub fn mnemonic(error: &MnemonicError) -> String {
    match error {
        MnemonicError::WordCount { found } => t!(
            format!("A recovery phrase has 12 or 24 words; this one has {found}."),
            format!("En återställningsfras har 12 eller 24 ord; den här har {found}.")
        ),
        MnemonicError::UnknownWord { position } => t!(
            format!("Word {position} is not in the BIP39 English word list; check its spelling."),
            format!("Ord {position} finns inte i BIP39:s engelska ordlista; kontrollera stavningen.")
        ),
        MnemonicError::Checksum => t!(
            "These words fail the phrase's checksum: a word is wrong or two are swapped.".into(),
            "Orden klarar inte frasens kontrollsumma: ett ord är fel eller två har bytt plats.".into()
        ),
    }
}

/// Returns the sentence for a written-down word that does not match.
pub fn word_check(error: &WordCheckError) -> String {
    match error {
        WordCheckError::Mismatch { position } => t!(
            format!("Word #{position} does not match the phrase; look at what you wrote down again."),
            format!("Ord nr {position} stämmer inte med frasen; titta på det du skrev ner igen.")
        ),
    }
}

/// Returns the sentence for a new passphrase that cannot be used.
pub fn new_passphrase(error: &NewPassphraseError) -> String {
    match error {
        NewPassphraseError::TooShort { min } => {
            t!(format!("The passphrase must have at least {min} characters."), format!("Lösenordet måste ha minst {min} tecken."))
        }
        NewPassphraseError::TooGuessable => t!(
            "This passphrase is among the first anyone would try on a stolen copy of the wallet: add a few words of your own.".into(),
            "Det här lösenordet är bland de första någon skulle prova på en stulen kopia av plånboken: lägg till några egna ord.".into()
        ),
        NewPassphraseError::Mismatch => t!("The two passphrases differ.".into(), "De två lösenorden skiljer sig åt.".into()),
    }
}

/// Returns the sentence for a setting that was refused.
pub fn settings(error: &SettingsError) -> String {
    match error {
        SettingsError::EsploraUrl => {
            t!("The Esplora URL must start with http:// or https://.".into(), "Esplora-URL:en måste börja med http:// eller https://.".into())
        }
        SettingsError::SecondEsploraUrl => t!(
            "The second Esplora URL must be empty, or start with http:// or https:// and name another server.".into(),
            "Den andra Esplora-URL:en måste vara tom, eller börja med http:// eller https:// och ange en annan server.".into()
        ),
        SettingsError::ProxyTemplate => t!(
            "The proxy URL must start with ws:// or wss:// and contain {host} and {port}.".into(),
            "Proxy-URL:en måste börja med ws:// eller wss:// och innehålla {host} och {port}.".into()
        ),
        SettingsError::FeePercent => {
            t!("The fee cap must be between 0 and 100 percent.".into(), "Avgiftstaket måste vara mellan 0 och 100 procent.".into())
        }
        SettingsError::ChannelSize => {
            t!("The largest channel must be at least 20,000 sats.".into(), "Den största kanalen måste vara minst 20 000 sat.".into())
        }
        SettingsError::FeeFloor => t!(
            "The smallest fee cap cannot be more than all the bitcoin there is.".into(),
            "Det minsta avgiftstaket kan inte vara mer än all bitcoin som finns.".into()
        ),
        SettingsError::Lsp => t!(
            "The channel provider must be empty, or its address as node_id@host:port.".into(),
            "Kanalleverantören ska vara tom, eller dess adress som node_id@host:port.".into()
        ),
        SettingsError::PaymentCodeServer => t!(
            "The payment code's server must be empty, or an address starting with http:// or https://.".into(),
            "Betalkodens server ska vara tom, eller en adress som börjar med http:// eller https://.".into()
        ),
    }
}

/// Why there is no payment code, as a whole sentence.
fn payment_code(fault: &PaymentCodeFault) -> String {
    match fault {
        PaymentCodeFault::NotSet => t!(
            "No server for the payment code is set: add one in Settings.".into(),
            "Ingen server för betalkoden är vald: lägg till en under Inställningar.".into()
        ),
        PaymentCodeFault::ServerUnreachable { detail } => t!(
            format!("The payment code's server could not be reached ({detail}). Try again."),
            format!("Betalkodens server gick inte att nå ({detail}). Försök igen.")
        ),
        PaymentCodeFault::Refused { detail } => {
            t!(format!("The payment code's server refused ({detail})."), format!("Betalkodens server sa nej ({detail})."))
        }
        PaymentCodeFault::BadAnswer { detail } => {
            t!(
                format!("The payment code's server answered something else ({detail})."),
                format!("Betalkodens server svarade något annat ({detail}).")
            )
        }
        PaymentCodeFault::NotReady => t!(
            "The payment code is being set up with its server. It needs a channel that can receive; try again in a few seconds.".into(),
            "Betalkoden håller på att ordnas med sin server. Den behöver en kanal som kan ta emot; försök igen om några sekunder.".into()
        ),
    }
}

/// Why buying a channel from the provider failed, as a whole sentence.
fn lsp(fault: &LspFault) -> String {
    match fault {
        LspFault::NotSet => t!(
            "No channel provider is set: add one in Settings, or open a channel under Channels.".into(),
            "Ingen kanalleverantör är vald: lägg till en under Inställningar, eller öppna en kanal under Kanaler.".into()
        ),
        LspFault::Unreachable { failure } => {
            let why = peer_failure(failure);
            t!(format!("The channel provider could not be reached: {why}."), format!("Kanalleverantören gick inte att nå: {why}."))
        }
        LspFault::NoAnswer { secs } => t!(
            format!("The channel provider did not answer within {secs} seconds. Try again."),
            format!("Kanalleverantören svarade inte inom {secs} sekunder. Försök igen.")
        ),
        LspFault::Refused { message, .. } => {
            t!(format!("The channel provider refused: “{message}”."), format!("Kanalleverantören sa nej: ”{message}”."))
        }
        LspFault::NoValidOffer => t!(
            "The channel provider offers no price that is still valid. Try again later.".into(),
            "Kanalleverantören har inget pris som fortfarande gäller. Försök igen senare.".into()
        ),
        LspFault::AmountOutOfRange { min_msat, max_msat } => {
            let (min, max) = (sats(min_msat.div_ceil(1000)), sats(max_msat / 1000));
            t!(
                format!("The channel provider opens channels only for payments from {min} to {max}."),
                format!("Kanalleverantören öppnar bara kanaler för betalningar från {min} till {max}.")
            )
        }
        LspFault::FeeAboveAmount { fee_msat, .. } => {
            let fee = sats(fee_msat.div_ceil(1000));
            t!(
                format!("The channel provider's fee of {fee} would take all of it: ask for more."),
                format!("Kanalleverantörens avgift på {fee} skulle ta allt: be om mer.")
            )
        }
        LspFault::DelayTooShort { max_blocks, ours } => t!(
            format!("The channel provider lets a wallet ask it to wait only {max_blocks} blocks after it closes a channel on its own; Blixtra asks {ours}, so that a wallet closed for days can still stop a cheat. Choose another provider."),
            format!("Kanalleverantören låter en plånbok be den vänta bara {max_blocks} block efter att den stängt en kanal på egen hand; Blixtra ber om {ours}, så att en plånbok som varit stängd i dagar ändå kan stoppa fusk. Välj en annan leverantör.")
        ),
        LspFault::FeeChanged { agreed_msat, asked_msat } => {
            let (agreed, asked) = (sats(agreed_msat.div_ceil(1000)), sats(asked_msat.div_ceil(1000)));
            t!(
                format!("The channel provider's fee is now {asked}, not the {agreed} you accepted. Nothing was bought: see the new price."),
                format!("Kanalleverantörens avgift är nu {asked}, inte de {agreed} du godkände. Inget köptes: se det nya priset.")
            )
        }
        LspFault::BadAnswer { detail } => {
            t!(format!("The channel provider's answer is not valid ({detail})."), format!("Kanalleverantörens svar är inte giltigt ({detail})."))
        }
    }
}
