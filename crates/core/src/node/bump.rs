//! The on-chain wallet as LDK's source of coins and addresses: coins to bump a force close's fee
//! (anchor channels pay their closing fee by a child transaction), and addresses for what the output
//! sweeper spends back into the wallet.

use std::rc::Rc;

use bitcoin::hashes::Hash as _;
use bitcoin::{Psbt, ScriptBuf, Transaction, WPubkeyHash};
use futures::lock::Mutex as AsyncMutex;
use lightning::events::bump_transaction::{Utxo, WalletSource};
use lightning::sign::ChangeDestinationSource;
use lightning::util::async_poll::AsyncResult;

use super::onchain::OnchainWallet;
use crate::store::KvStore;

/// Shares the node's on-chain wallet with LDK.
pub struct OnchainCoins<S> {
    wallet: Rc<AsyncMutex<OnchainWallet<S>>>,
}

impl<S: KvStore> OnchainCoins<S> {
    pub fn new(wallet: Rc<AsyncMutex<OnchainWallet<S>>>) -> Self {
        Self { wallet }
    }

    async fn change_script(&self) -> Result<ScriptBuf, ()> {
        self.wallet.lock().await.close_address().await.map(|address| address.script_pubkey()).map_err(|_| ())
    }
}

impl<S: KvStore> WalletSource for OnchainCoins<S> {
    fn list_confirmed_utxos<'a>(&'a self) -> AsyncResult<'a, Vec<Utxo>, ()> {
        Box::pin(async move {
            let coins = self.wallet.lock().await.confirmed_coins();
            // BIP84: every coin is P2WPKH, whose program is the key hash.
            Ok(coins
                .into_iter()
                .filter_map(|(outpoint, txout)| {
                    let hash = WPubkeyHash::from_slice(txout.script_pubkey.as_bytes().get(2..22)?).ok()?;
                    txout.script_pubkey.is_p2wpkh().then(|| Utxo::new_v0_p2wpkh(outpoint, txout.value, &hash))
                })
                .collect())
        })
    }

    fn get_change_script<'a>(&'a self) -> AsyncResult<'a, ScriptBuf, ()> {
        Box::pin(self.change_script())
    }

    fn sign_psbt<'a>(&'a self, psbt: Psbt) -> AsyncResult<'a, Transaction, ()> {
        Box::pin(async move { self.wallet.lock().await.sign_own_inputs(psbt).map_err(|_| ()) })
    }
}

impl<S: KvStore> ChangeDestinationSource for OnchainCoins<S> {
    fn get_change_destination_script<'a>(&'a self) -> AsyncResult<'a, ScriptBuf, ()> {
        Box::pin(self.change_script())
    }
}
