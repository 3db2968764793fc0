//! The running node's side of backup files ([`crate::backup`]): making one, and reminding the person
//! to make one when the channels change.
//!
//! A file made before a channel opened does not know the channel (its funds still come back, through
//! the peer's close and the seed's scripts, [`super::channel_recovery`]); one made before a channel
//! closed would wait for a channel that is gone. So each open and close leaves a reminder, sealed,
//! until the person exports a file or dismisses it.

use serde::{Deserialize, Serialize};

use super::error::NodeError;
use super::lightning_node::LightningNode;
use super::platform::Platform;
use crate::backup::{BackupError, BackupFile};
use crate::record_names::{BACKUP_NAMESPACE, BACKUP_REMINDER_KEY};
use crate::store::sealed::{SealedError, SealedStore};
use crate::store::KvStore;
use crate::vault::VaultError;

/// What changed since the last backup file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupReminder {
    ChannelOpened,
    ChannelClosed,
}

/// Reads the reminder left in `sealed`, if any.
pub(super) async fn stored_reminder<S: KvStore>(sealed: &SealedStore<S>) -> Result<Option<BackupReminder>, NodeError> {
    let Some(json) = sealed.get(BACKUP_NAMESPACE, BACKUP_REMINDER_KEY).await? else { return Ok(None) };
    serde_json::from_slice(&json).map(Some).map_err(|_| SealedError::Integrity { kind: BACKUP_NAMESPACE.to_owned() }.into())
}

impl<P: Platform> LightningNode<P> {
    /// The wallet's backup file as of now. Takes the reminder away first, so the file does not
    /// carry it to the restored wallet.
    pub async fn backup_file(&self) -> Result<Vec<u8>, NodeError> {
        let made_at = self.platform.now().as_secs();
        let reminder = self.backup_reminder.get();
        self.dismiss_backup_reminder().await?;
        let sealed = self.parts.store.sealed();
        match BackupFile::export(sealed, self.node_id(), made_at).await {
            Ok(file) => Ok(file),
            Err(e) => {
                if let Some(reminder) = reminder {
                    let _ = self.remind_to_back_up(reminder).await;
                }
                Err(match e {
                    BackupError::Vault(VaultError::Store(e)) => SealedError::Store(e).into(),
                    _ => SealedError::Integrity { kind: "vault header".into() }.into(),
                })
            }
        }
    }

    /// Why the person should export a backup file now, if they should.
    pub fn backup_reminder(&self) -> Option<BackupReminder> {
        self.backup_reminder.get()
    }

    /// Takes the reminder away until the channels change again.
    pub async fn dismiss_backup_reminder(&self) -> Result<(), NodeError> {
        if self.backup_reminder.get().is_some() {
            self.parts.store.sealed().delete(BACKUP_NAMESPACE, BACKUP_REMINDER_KEY).await?;
            self.backup_reminder.set(None);
        }
        Ok(())
    }

    /// Leaves a reminder to export a backup file: a channel opened or closed.
    pub(super) async fn remind_to_back_up(&self, why: BackupReminder) -> Result<(), NodeError> {
        let json = serde_json::to_vec(&why).expect("a reminder serializes");
        self.parts.store.sealed().put(BACKUP_NAMESPACE, BACKUP_REMINDER_KEY, &json).await?;
        self.backup_reminder.set(Some(why));
        Ok(())
    }
}
