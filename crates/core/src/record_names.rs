//! Every stored object's name, in one place: who writes it, when, and whether it is sealed.
//!
//! Raw keys are what the backing store (IndexedDB) sees. Only [`VAULT_HEADER`] is stored unsealed: it
//! holds the KDF parameters, salt and the wrapped data key, none of which says anything about the wallet.
//! Every other record is sealed by [`crate::SealedStore`] under a blinded raw key (`r/…`).
//!
//! Sealed records are named by a namespace and a key. **The first `/`-separated segment of a namespace
//! is its kind:** a fixed, public word used in error messages; it never carries data.

/// Raw key of the vault header. Written once by [`crate::Vault::create`], read by every unlock.
pub const VAULT_HEADER: &str = "vault";

/// Prefix of every sealed record's raw key.
pub const SEALED_PREFIX: &str = "r/";

/// Namespace of the recovery phrase. Written once at vault creation, read on unlock (to check the vault
/// opens whole) and by the node when it derives its keys.
pub const SEED_NAMESPACE: &str = "seed";
/// Key of the recovery phrase within [`SEED_NAMESPACE`].
pub const SEED_KEY: &str = "mnemonic";

/// Kind of every record LDK writes (channel monitors and their updates, the channel manager, the
/// network graph, the scorer): sealed namespace `ldk/{primary}/{secondary}`, written by
/// [`crate::node::ldk_store::LdkStore`] whenever LDK persists, read at node start.
pub const LDK_NAMESPACE_KIND: &str = "ldk";

/// Namespace of the on-chain wallet (BDK's merged change set, as JSON). Written by
/// [`crate::node::onchain::OnchainWallet`] whenever BDK stages a change (address handed out, sync,
/// broadcast), read when the node starts.
pub const ONCHAIN_NAMESPACE: &str = "onchain";
/// Key of the on-chain wallet's one record within [`ONCHAIN_NAMESPACE`].
pub const ONCHAIN_KEY: &str = "wallet";

/// Namespace of the payment history: one record per payment, keyed by LDK's payment id (hex; a
/// BOLT11 payment's id is its payment hash), as JSON with the payment's kind. Written by
/// [`crate::node::payment::PaymentStore`] before a payment is sent or an invoice handed out, and
/// whenever LDK reports on it. Records written before payments had kinds are rewritten when the
/// store opens.
pub const PAYMENTS_NAMESPACE: &str = "payments";

/// Namespace of the peers the node stays connected to: key the node id (hex), value
/// `node_id@host:port`. Written the first time the wallet connects to a peer, read at node start.
pub const PEERS_NAMESPACE: &str = "peers";

/// Namespace of what the wallet asked of each channel's peer: key the channel's `user_channel_id`
/// (32 hex digits), value the `to_self_delay` asked (u16, little-endian). Written when the wallet
/// opens or accepts a channel, read for how long it may stay closed
/// ([`crate::node::closed_safely`]).
pub const CHANNEL_TERMS_NAMESPACE: &str = "channel_terms";

/// Namespace of the websites the person answered (the browser extension's WebLN provider): key the
/// site's origin, value its permission, budget, spending today and payments, as JSON
/// ([`crate::websites::Website`]). Written when the person allows, denies or sets a budget for a
/// site and when a site's payment or invoice is made; read on each of the site's calls.
pub const WEBSITES_NAMESPACE: &str = "websites";

/// Namespace of getting a lost channel's funds back ([`crate::node::channel_recovery`]).
pub const RECOVERY_NAMESPACE: &str = "recovery";
/// Key of the mark that the vault was restored from an earlier phrase or a backup file (empty value):
/// written by [`crate::Vault::restore`] and [`crate::backup::BackupFile::restore`] with the vault,
/// replaced by [`RECOVERY_WATCH_KEY`] at the node's first start.
pub const RESTORED_KEY: &str = "restored";
/// Key of the watch on the scripts a peer's force close pays the wallet to (JSON): written at the first
/// start after a restore and after each scan, deleted when the watch has run its course.
pub const RECOVERY_WATCH_KEY: &str = "watch";
/// Key of the mark that the vault was restored from a backup file ([`crate::backup`]; the value is
/// the file's time, in seconds since 1970, little-endian): written with the restored records, replaced
/// by [`CHANNEL_CHECKS_KEY`] at the node's first start.
pub const FROM_BACKUP_KEY: &str = "from_backup";
/// Key of the channels whose state the node may not act on until their peer has shown it is the
/// latest (JSON, [`crate::node::channel_checks`]): written at the first start after a backup's
/// restore and when a peer shows a state to be old, rewritten as peers confirm.
pub const CHANNEL_CHECKS_KEY: &str = "channel_checks";

/// Namespace of the backup file's reminder ([`crate::node::backups`]).
pub const BACKUP_NAMESPACE: &str = "backup";
/// Key of the reminder to export a backup file (JSON): written when a channel opens or closes,
/// deleted when the person exports a file or dismisses it.
pub const BACKUP_REMINDER_KEY: &str = "reminder";
