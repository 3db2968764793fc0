//! LDK's `SignerProvider` with one change: where a channel's funds come back to us (cooperative
//! close, claims after a force close), they go to an address of the on-chain wallet, which watches
//! it, instead of to LDK's own keys, which no wallet would show. Channel keys are `KeysManager`'s.

use std::rc::Rc;

use bitcoin::ScriptBuf;
use lightning::ln::script::ShutdownScript;
use lightning::sign::{InMemorySigner, KeysManager, SignerProvider};

pub struct WalletSigner {
    keys: Rc<KeysManager>,
    /// A P2WPKH script of the on-chain wallet, revealed and stored before the node starts.
    funds_back_to: ScriptBuf,
}

impl WalletSigner {
    /// Fails if `funds_back_to` is not a script a channel can close to (BIP84 P2WPKH always is).
    pub fn new(keys: Rc<KeysManager>, funds_back_to: ScriptBuf) -> Result<Self, ScriptBuf> {
        ShutdownScript::try_from(funds_back_to.clone()).map_err(|_| funds_back_to.clone())?;
        Ok(Self { keys, funds_back_to })
    }
}

impl SignerProvider for WalletSigner {
    type EcdsaSigner = InMemorySigner;

    fn generate_channel_keys_id(&self, inbound: bool, user_channel_id: u128) -> [u8; 32] {
        self.keys.generate_channel_keys_id(inbound, user_channel_id)
    }

    fn derive_channel_signer(&self, channel_keys_id: [u8; 32]) -> InMemorySigner {
        self.keys.derive_channel_signer(channel_keys_id)
    }

    fn get_destination_script(&self, _channel_keys_id: [u8; 32]) -> Result<ScriptBuf, ()> {
        Ok(self.funds_back_to.clone())
    }

    fn get_shutdown_scriptpubkey(&self) -> Result<ShutdownScript, ()> {
        ShutdownScript::try_from(self.funds_back_to.clone()).map_err(|_| ())
    }
}
