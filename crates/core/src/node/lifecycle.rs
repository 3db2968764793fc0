//! Starting and stopping the node: from the vault's keys and sealed store to a running node with its
//! background tasks, and back.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::FutureExt;
use futures::lock::Mutex as AsyncMutex;
use lightning::ln::channelmanager::{PaymentId, RecentPaymentDetails};
use lightning::util::logger::Logger as _;
use lightning::util::persist::{
    KVStore, CHANNEL_MANAGER_PERSISTENCE_KEY, CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE, CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
};
use lightning::util::ser::Writeable;

use super::builder::{self, BuildInputs};
use super::bump::OnchainCoins;
use super::chain::current_tip;
use super::chain_source::ChainServers;
use super::channel_recovery::ChannelRecovery;
use super::error::{NodeError, OnchainFault};
use super::events::Subscribers;
use super::key_derivation::NodeKeys;
use super::ldk_store::LdkStore;
use super::lightning_node::{LightningNode, NodeConfig};
use super::logger::NodeLogger;
use super::onchain::OnchainWallet;
use super::payment::Payments;
use super::platform::Platform;
use super::signer::WalletSigner;
use crate::store::sealed::SealedStore;

/// Esplora requests retried on 429/5xx before a call fails.
const ESPLORA_RETRIES: usize = 3;

impl<P: Platform> LightningNode<P> {
    /// Starts the node: restores its state from `sealed`, catches up with the chain, and starts its
    /// background tasks. Fails, changing nothing, if the store or the chain server fails.
    pub async fn start(
        platform: P,
        keys: &NodeKeys,
        sealed: Rc<SealedStore<P::Store>>,
        config: NodeConfig,
        logger: NodeLogger,
    ) -> Result<Rc<Self>, NodeError> {
        let client = |url: &str| esplora_client::Builder::new(url).max_retries(ESPLORA_RETRIES).build_async_with_sleeper::<P::Sleeper>();
        let chain = ChainServers {
            primary: client(&config.esplora_url).map_err(NodeError::from)?,
            witness: config.second_esplora_url.as_deref().map(client).transpose().map_err(NodeError::from)?,
        };
        let tip = current_tip(&chain.primary).await?;
        let keys_manager = Rc::new(keys.keys_manager(platform.now()));
        let mut onchain = OnchainWallet::open(keys, config.network, sealed.clone()).await?;
        onchain.set_fee_cap(config.onchain_fee_cap);
        let funds_back_to = onchain.close_address().await?;
        let signer = Rc::new(
            WalletSigner::new(keys_manager.clone(), funds_back_to.script_pubkey()).map_err(|_| NodeError::Onchain(OnchainFault::CloseAddress))?,
        );
        let store = Rc::new(LdkStore::new(sealed.clone()));
        let onchain = Rc::new(AsyncMutex::new(onchain));
        let coins = Rc::new(OnchainCoins::new(onchain.clone()));
        let inputs = BuildInputs {
            platform: &platform,
            keys: keys_manager,
            signer,
            coins,
            logger: Rc::new(logger),
            store,
            sealed: sealed.clone(),
            network: config.network,
            tip,
        };
        // Boxed: the build's future holds every part across its awaits, and a caller that awaits
        // the start inline would carry all of it on wasm's 1 MB stack (a test's future overflowed it).
        let parts = Box::pin(builder::build(inputs)).await?;
        let payments = Payments::open(sealed.clone()).await?;
        let backup_reminder = super::backups::stored_reminder(&sealed).await?;
        let recovery = ChannelRecovery::open(sealed, keys, config.network, tip.height).await?;
        let (stop_trigger, stop_signal) = oneshot::channel();
        let platform_now = platform.now();
        let node = Rc::new(Self {
            platform,
            config,
            parts,
            chain,
            onchain,
            payments,
            subscribers: Subscribers::default(),
            peers: RefCell::new(HashMap::new()),
            dials: RefCell::new(HashMap::new()),
            stopping: Cell::new(false),
            storage_failing: Cell::new(false),
            away_blocks: Default::default(),
            chain_fault: RefCell::new(None),
            onchain_tip: RefCell::new(None),
            sync_lock: AsyncMutex::new(()),
            task_ends: RefCell::new(Vec::new()),
            stop_trigger: RefCell::new(Some(stop_trigger)),
            stop_signal: stop_signal.shared(),
            lsp_requests: Default::default(),
            payment_code_set_up: Cell::new(false),
            started_at: platform_now,
            recovery,
            backup_reminder: Cell::new(backup_reminder),
        });
        node.load_peers().await?;
        let known: Vec<PaymentId> = node.parts.channel_manager.list_recent_payments().iter().map(recent_payment_id).collect();
        node.payments.reconcile(&known, node.platform.now()).await?;
        // Fee estimates and the chain before anything talks to peers: a channel manager behind the
        // chain would act on old news.
        let _ = node.parts.fees.refresh(&node.chain.primary).await;
        let last_seen = node.parts.channel_manager.current_best_block();
        node.parts.chain_sync.start_from(last_seen);
        let last_seen = last_seen.height;
        node.sync_chain().await?;
        node.away_blocks.set(node.parts.channel_manager.current_best_block().height.saturating_sub(last_seen));
        *node.task_ends.borrow_mut() = super::tasks::start(&node);
        if node.config.payment_code_server.is_some() {
            // In the background: a server that does not answer delays nothing; `offer` asks again.
            let setting_up = node.clone();
            node.platform.spawner().spawn_local(async move {
                let _ = setting_up.payment_code().set_up().await;
            });
        }
        Ok(node)
    }

    /// Stops the node and returns once its tasks have ended: LDK's background processor writes the
    /// channel manager, graph and scorer on its way out. Another node may use the store after.
    pub async fn stop(&self) {
        self.stopping.set(true);
        if let Some(trigger) = self.stop_trigger.borrow_mut().take() {
            let _ = trigger.send(());
        }
        self.parts.peer_manager.disconnect_all_peers();
        // Payments in flight are LDK's to finish after a restart; whoever waits here is told now.
        self.payments.stop_waiting();
        let ends = std::mem::take(&mut *self.task_ends.borrow_mut());
        for end in ends {
            let _ = end.await;
        }
        if let Err(e) = self.parts.checks.write_if_changed().await {
            lightning::log_warn!(self.parts.logger, "the channel checks were not written on stopping: {e}");
        }
        // Monitor writes made after the processor's last manager write (a block the chain loop was
        // connecting) are held for a manager write: make it, or they are dropped with the node.
        if self.parts.store.holds_monitor_writes() {
            if let Err(e) = self.write_manager().await {
                lightning::log_warn!(self.parts.logger, "the channel manager was not written on stopping: {e}");
            }
        }
    }

    /// Writes the channel manager as it is now, which commits the monitor writes held for it.
    pub(super) async fn write_manager(&self) -> Result<(), lightning::io::Error> {
        // Serialised and handed to the store in one step: the store takes the monitor writes held
        // so far, all of which this serialisation knows.
        let manager = self.parts.channel_manager.encode();
        self.parts
            .store
            .write(
                CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE,
                CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
                CHANNEL_MANAGER_PERSISTENCE_KEY,
                manager,
            )
            .await
    }

    /// Sleeps for `duration`, or less if the node stops meanwhile; returns whether it is stopping.
    pub(super) async fn sleep_unless_stopped(&self, duration: Duration) -> bool {
        let sleep = self.platform.sleep(duration);
        futures::future::select(sleep, self.stop_signal.clone()).await;
        self.stopping.get()
    }
}

fn recent_payment_id(payment: &RecentPaymentDetails) -> PaymentId {
    match payment {
        RecentPaymentDetails::AwaitingInvoice { payment_id }
        | RecentPaymentDetails::Pending { payment_id, .. }
        | RecentPaymentDetails::Fulfilled { payment_id, .. }
        | RecentPaymentDetails::Abandoned { payment_id, .. } => *payment_id,
    }
}
