//! Websites' WebLN calls in the node's host: the gate between a page and the node. A call is read
//! and checked (`webln.rs`), then let through only as the person said: a site must have been
//! allowed (its first `enable` opens a prompt), every payment is either confirmed in a prompt or
//! within the budget the person gave that site, and every message signed is shown and confirmed
//! first (a signature speaks for the node). A locked wallet asks to be unlocked first. One
//! prompt per site at a time; a denied site is refused at once, locked or not, until it is allowed.
//!
//! Prompts are the host's, not the node's: they exist while the wallet is locked. The host asks the
//! page that spawned it (the extension's node host) to open the prompt window (`FromNode::OpenPrompt`);
//! that window reads the question (`PromptDetails`) and answers it (`AnswerPrompt`). A window closed
//! unanswered, or none within [`PROMPT_TIMEOUT`], is a "no".

use std::rc::Rc;
use std::str::FromStr;
use std::time::Duration;

use blixtra_core::node::payment::record::hex;
use blixtra_core::node::payment::PaymentStatus;
use blixtra_core::websites::{day_of, Website, WebsiteStore};
use futures::channel::oneshot;
use futures::FutureExt;
use lightning::types::payment::PaymentHash;
use serde_json::{json, Value};

use crate::browser::platform::console_problem;
use crate::browser::IdbStore;
use crate::node_host::{ConnectionId, NodeHost};
use crate::protocol::{
    answer, AnswerPrompt, Balances, BalancesView, Caller, CheckInvoice, CheckKeysend, Command, CreateInvoice, FromNode, InvoiceDetails, InvoiceView,
    KeysendDetails, PayInvoice, PayKeysend, PaymentView, PromptDetails, PromptView, Question, SetWebsite, ShownRecord, WebsiteView,
};
use crate::webln::{
    answer_paid, is_web_origin, moved_nothing, payment_error, read_request, ErrorName, InvoiceAsked, KeysendAsked, Lookup, PaymentAsked, WeblnCall,
    WeblnError, WeblnOutcome, WeblnReply, METHODS,
};
use crate::website_state::Prompt;
use blixtra_core::node::logger::Level;
use blixtra_core::node::NodeError;

/// How long a prompt waits for its window to answer.
pub const PROMPT_TIMEOUT: Duration = Duration::from_secs(180);

/// How long a site waits after a "no" (or a prompt left unanswered) before it may ask again.
pub const ASK_AGAIN_AFTER: Duration = Duration::from_secs(10);

/// How long a website's invoice may be paid.
const INVOICE_EXPIRY_SECS: u64 = 3600;

/// The most routing fees may add to a website's payment: 1 % with a floor of 10 sats, the app's
/// own default (`Settings::max_fee_msat`).
pub fn max_fee_msat(amount_msat: u64) -> u64 {
    (amount_msat / 100).max(10_000)
}

impl NodeHost {
    /// Answers one WebLN request of a page of `origin` (the top-level site, as the extension's relay
    /// saw it): the reply's JSON text.
    pub async fn website_call(&self, origin: &str, text: &str) -> String {
        let reply = match read_request(text) {
            Err((id, error)) => WeblnReply { id: id.unwrap_or(0), outcome: WeblnOutcome::Error(error) },
            Ok((id, call)) => {
                let outcome = match self.website_answer(origin, call).await {
                    Ok(value) => WeblnOutcome::Result(value),
                    Err(error) => WeblnOutcome::Error(error),
                };
                WeblnReply { id, outcome }
            }
        };
        serde_json::to_string(&reply).expect("replies are plain data")
    }

    async fn website_answer(&self, origin: &str, call: WeblnCall) -> Result<Value, WeblnError> {
        if !is_web_origin(origin) {
            return Err(WeblnError::rejected("only web pages may use this wallet"));
        }
        if self.websites.denied.borrow().contains(origin) {
            return Err(WeblnError::rejected("you denied this site the use of your wallet"));
        }
        if call == WeblnCall::IsEnabled {
            let site = match self.website_store() {
                Some(store) => store.get(origin).await.map_err(WeblnError::from)?,
                None => None,
            };
            return Ok(json!(site.is_some_and(|site| site.allowed)));
        }
        // Locked, the sites' list is sealed: only a site seen allowed since the worker started, or
        // one calling enable(), may ask the person to unlock. Any other site is not shown a prompt.
        if self.website_store().is_none() && call != WeblnCall::Enable && !self.websites.allowed.borrow().contains(origin) {
            return Err(WeblnError::rejected("the wallet is locked: call enable() to ask to use it"));
        }
        let store = self.unlocked_for(origin).await?;
        let site = store.get(origin).await.map_err(WeblnError::from)?;
        let site = match (site, &call) {
            (Some(site), _) if !site.allowed => {
                self.websites.denied.borrow_mut().insert(origin.to_owned());
                return Err(WeblnError::rejected("you denied this site the use of your wallet"));
            }
            (Some(site), _) => {
                self.websites.allowed.borrow_mut().insert(origin.to_owned());
                site
            }
            (None, WeblnCall::Enable) => {
                let allowed = self.ask(origin, Question::Enable).await?;
                store.put(&Website::new(origin, allowed)).await.map_err(WeblnError::from)?;
                if !allowed {
                    self.websites.denied.borrow_mut().insert(origin.to_owned());
                    return Err(WeblnError::rejected("you denied this site the use of your wallet"));
                }
                self.websites.allowed.borrow_mut().insert(origin.to_owned());
                return Ok(json!({ "enabled": true }));
            }
            (None, _) => return Err(WeblnError::rejected("this site may not use the wallet: call enable() first")),
        };
        let node = self.node.borrow().clone().ok_or_else(|| WeblnError::from(NodeError::Stopped))?;
        let caller = Caller::Website { origin: origin.to_owned() };
        // The node running when each command is carried out, not the one the call began with: a
        // prompt may stay open while the wallet is locked (and unlocked again).
        let ask_node = |command: Command| {
            let (running, caller) = (self.node.borrow().clone(), caller.clone());
            async move {
                match running {
                    Some(running) => answer(&running, &caller, command).await,
                    None => Err(NodeError::Stopped),
                }
            }
        };
        match call {
            WeblnCall::Enable => Ok(json!({ "enabled": true })),
            WeblnCall::IsEnabled => Ok(json!(true)),
            WeblnCall::GetInfo => Ok(json!({
                "node": { "pubkey": node.node_id().to_string(), "alias": "Blixtra" },
                "methods": METHODS,
                "supports": ["lightning"],
                "version": env!("CARGO_PKG_VERSION"),
            })),
            WeblnCall::GetBalance => {
                let balances: BalancesView = from_value(ask_node(Balances {}.into()).await?)?;
                Ok(json!({ "balance": balances.lightning_msat / 1000, "currency": "sats" }))
            }
            WeblnCall::MakeInvoice(InvoiceAsked { amount_sat, memo }) => {
                let create = CreateInvoice { amount_msat: amount_sat.map(|sat| sat * 1000), description: memo, expiry_secs: INVOICE_EXPIRY_SECS };
                let invoice: InvoiceView = from_value(ask_node(create.into()).await?)?;
                self.update_site(&store, origin, |site| site.remember_payment(&invoice.payment_hash)).await?;
                Ok(json!({ "paymentRequest": invoice.invoice, "paymentHash": invoice.payment_hash, "rHash": invoice.payment_hash }))
            }
            WeblnCall::SendPayment { invoice } => self.website_pay(&store, origin, &invoice, &ask_node).await,
            WeblnCall::Keysend(asked) => self.website_keysend(&store, origin, asked, &ask_node).await,
            WeblnCall::SignMessage { message } => {
                if !self.ask(origin, Question::SignMessage { message: message.clone() }).await? {
                    return Err(WeblnError::rejected("you declined to sign the message"));
                }
                // Signed by the node running once the person said yes (the prompt may outlive a lock).
                let running = self.node.borrow().clone();
                let running = running.ok_or_else(|| WeblnError::rejected("the wallet was locked before the message was signed"))?;
                Ok(json!({ "message": message, "signature": running.sign_message(&message) }))
            }
            WeblnCall::VerifyMessage { signature, message } => match node.message_signer(&message, &signature) {
                Some(signer) => Ok(json!({ "valid": signer.known, "pubkey": signer.node_id.to_string() })),
                None => Err(WeblnError::invalid("the signature is not a signature of this message")),
            },
            WeblnCall::LookupInvoice(lookup) => {
                let (hash, request) = match lookup {
                    Lookup::PaymentHash(hash) => (hash, None),
                    Lookup::PaymentRequest(text) => {
                        let invoice = lightning_invoice::Bolt11Invoice::from_str(text.trim())
                            .map_err(|_| WeblnError::invalid("lookupInvoice: paymentRequest is not a BOLT11 invoice"))?;
                        (invoice.payment_hash().to_string(), Some(text))
                    }
                };
                // A site sees only its own invoices and payments, never the rest of the history.
                if !site.knows_payment(&hash) {
                    return Err(WeblnError::invalid("this site made or paid no invoice with that payment hash"));
                }
                let payments = node.payments().await.map_err(WeblnError::from)?;
                let found = payments.iter().map(PaymentView::from).find(|p| p.payment_hash.as_deref() == Some(hash.as_str()));
                let Some(payment) = found else { return Err(WeblnError::invalid("no invoice with that payment hash")) };
                let paid = payment.status == PaymentStatus::Succeeded;
                Ok(json!({ "paymentRequest": request, "paid": paid, "preimage": if paid { payment.preimage } else { None } }))
            }
        }
    }

    /// Pays an invoice for a site (see [`Self::website_spend`]): the node checks it first, and an
    /// invoice without an amount is refused (no prompt asks for one).
    async fn website_pay<F, Fut>(&self, store: &WebsiteStore<IdbStore>, origin: &str, invoice: &str, ask_node: &F) -> Result<Value, WeblnError>
    where
        F: Fn(Command) -> Fut,
        Fut: std::future::Future<Output = Result<Value, NodeError>>,
    {
        let details: InvoiceDetails = from_value(ask_node(CheckInvoice { invoice: invoice.to_owned(), amount_msat: None }.into()).await?)?;
        let Some(amount_msat) = details.amount_msat.filter(|&msat| msat > 0) else {
            return Err(WeblnError::invalid("the invoice has no amount: a site must say what it asks for"));
        };
        let max_fee_msat = max_fee_msat(amount_msat);
        let question = Question::Pay {
            amount_sat: amount_msat.div_ceil(1000),
            description: details.description,
            payee: details.payee,
            estimated_fee_sat: details.estimated_fee_msat.map(|msat| msat.div_ceil(1000)),
            max_fee_sat: max_fee_msat.div_ceil(1000),
            keysend: None,
        };
        let pay = PayInvoice { invoice: invoice.to_owned(), amount_msat: None, max_fee_msat };
        let payment =
            SitePayment { amount_msat, max_fee_msat, question, payment_hash: details.payment_hash, asked: PaymentAsked::Invoice, pay: pay.into() };
        self.website_spend(store, origin, payment, ask_node).await
    }

    /// Pays a node without an invoice for a site (see [`Self::website_spend`]): the node checks the
    /// destination and records first; the prompt shows the records as the site wrote them.
    async fn website_keysend<F, Fut>(
        &self,
        store: &WebsiteStore<IdbStore>,
        origin: &str,
        asked: KeysendAsked,
        ask_node: &F,
    ) -> Result<Value, WeblnError>
    where
        F: Fn(Command) -> Fut,
        Fut: std::future::Future<Output = Result<Value, NodeError>>,
    {
        let amount_msat = asked.amount_sat * 1000;
        let records = asked.custom_records_bytes();
        let max_fee_msat = max_fee_msat(amount_msat);
        let check =
            CheckKeysend { destination: asked.destination.clone(), amount_msat, custom_records: records.clone(), max_fee_msat: Some(max_fee_msat) };
        let details: KeysendDetails = from_value(ask_node(check.into()).await?)?;
        // Picked here, so that the site's record holds the payment's hash before it is sent: a send
        // cut off (the wallet locked mid-payment) may still complete, and the site may look it up.
        let running = self.node.borrow().clone();
        let preimage = running.ok_or_else(|| WeblnError::from(NodeError::Stopped))?.keysend().fresh_preimage();
        let shown = asked.custom_records.into_iter().map(|(record_type, text)| ShownRecord { record_type, text }).collect();
        let question = Question::Pay {
            amount_sat: asked.amount_sat,
            description: None,
            payee: Some(asked.destination.clone()),
            estimated_fee_sat: details.estimated_fee_msat.map(|msat| msat.div_ceil(1000)),
            max_fee_sat: max_fee_msat.div_ceil(1000),
            keysend: Some(shown),
        };
        let payment_hash = hex(&PaymentHash::from(preimage));
        let pay = PayKeysend { destination: asked.destination, amount_msat, custom_records: records, max_fee_msat, preimage: Some(preimage.0) };
        let payment = SitePayment { amount_msat, max_fee_msat, question, payment_hash, asked: PaymentAsked::Keysend, pay: pay.into() };
        self.website_spend(store, origin, payment, ask_node).await
    }

    /// Makes a site's payment: within its budget without asking (and says so to every page),
    /// otherwise only once the person confirmed `payment.question` in a prompt. The budget's
    /// spending is stored before the payment is sent, so that a crash cannot give it back; a payment
    /// that moved nothing gives it back. The payment's hash is remembered for the site's
    /// `lookupInvoice` before it is sent, so that a payment cut off can be looked up; the answer is
    /// its preimage.
    async fn website_spend<F, Fut>(
        &self,
        store: &WebsiteStore<IdbStore>,
        origin: &str,
        payment: SitePayment,
        ask_node: &F,
    ) -> Result<Value, WeblnError>
    where
        F: Fn(Command) -> Fut,
        Fut: std::future::Future<Output = Result<Value, NodeError>>,
    {
        let SitePayment { amount_msat, max_fee_msat, question, payment_hash, asked, pay } = payment;
        // What the budget is charged: the amount and the most the fee may be, in whole sats up.
        let most_sat = amount_msat
            .checked_add(max_fee_msat)
            .ok_or_else(|| WeblnError::invalid("the payment's amount is more than any wallet holds"))?
            .div_ceil(1000);
        let today = day_of(crate::browser::now_ms() as u64 / 1000);
        // Checked and charged in one update, so that two payments at once cannot both fit.
        let within_budget = self
            .update_site(store, origin, |site| {
                let covered = site.budget_covers(most_sat, today);
                if covered {
                    site.spend(most_sat, today);
                }
                covered
            })
            .await?;
        let charge = within_budget.then_some(Charge { most_sat, day: today });
        if !within_budget && !self.ask(origin, question).await? {
            return Err(WeblnError::rejected("you declined the payment"));
        }
        self.before_sending(store, origin, &payment_hash, charge).await?;
        let payment = match ask_node(pay).await.and_then(|value| serde_json::from_value::<PaymentView>(value).map_err(|_| NodeError::Stopped)) {
            Ok(payment) => payment,
            Err(error) => {
                // Given back only when no money moved for certain: a node stopped mid-payment may
                // still complete it when it starts again.
                if let Some(charge) = charge.filter(|_| moved_nothing(&error)) {
                    self.refund_or_warn(store, origin, charge).await;
                }
                return Err(payment_error(error, asked));
            }
        };
        // The payment was made: what follows is bookkeeping, whose failure the site is not told.
        let bookkeeping = self
            .update_site(store, origin, |site| {
                if let Some(hash) = &payment.payment_hash {
                    site.remember_payment(hash);
                }
                if let Some(Charge { most_sat, day }) = charge {
                    // Charged what it cost, not the most it could have.
                    let cost_sat = (amount_msat + payment.fee_paid_msat.unwrap_or(0)).div_ceil(1000);
                    site.refund(most_sat.saturating_sub(cost_sat), day);
                }
            })
            .await;
        if within_budget {
            self.broadcast(FromNode::WebsitePaid {
                origin: origin.to_owned(),
                amount_sat: amount_msat.div_ceil(1000),
                fee_sat: payment.fee_paid_msat.unwrap_or(0).div_ceil(1000),
            });
        }
        let (answer, warning) = answer_paid(&payment, bookkeeping);
        if let Some(warning) = warning {
            console_problem(Level::Warn, &warning);
        }
        answer
    }

    /// Remembers a payment's hash on the site's record and checks that a node runs to send it;
    /// when either fails, nothing is sent and the budget gets back its `charge`. **Warning:** the
    /// caller sends with no await after this: the node that pays is then the one seen here, and a
    /// "stopped" from it means that it stopped during the payment.
    async fn before_sending(
        &self,
        store: &WebsiteStore<IdbStore>,
        origin: &str,
        payment_hash: &str,
        charge: Option<Charge>,
    ) -> Result<(), WeblnError> {
        let remembered = self.update_site(store, origin, |site| site.remember_payment(payment_hash)).await;
        // The wallet may have been locked during the prompt or the write: a stopped node pays nothing.
        let unsent = match remembered {
            Err(error) => error,
            Ok(()) if self.node.borrow().is_none() => WeblnError::rejected("the wallet was locked before the payment was made"),
            Ok(()) => return Ok(()),
        };
        if let Some(charge) = charge {
            self.refund_or_warn(store, origin, charge).await;
        }
        Err(unsent)
    }

    /// Gives a site back what a payment that moved nothing was charged. The site's call fails
    /// anyway; a refund that fails (the site forgotten, a write refused) is logged, not answered in
    /// place of the payment's own error.
    async fn refund_or_warn(&self, store: &WebsiteStore<IdbStore>, origin: &str, Charge { most_sat, day }: Charge) {
        if let Err(error) = self.update_site(store, origin, |site| site.refund(most_sat, day)).await {
            console_problem(Level::Warn, &format!("a website's budget was not given back what an unmade payment was charged: {}", error.message));
        }
    }

    /// Changes site `origin`'s record with `change`, as one
    /// read and write that no other change of a site's record interleaves with: a site's calls run
    /// at once, and a stale copy written back would lose what another spent.
    async fn update_site<R>(&self, store: &WebsiteStore<IdbStore>, origin: &str, change: impl FnOnce(&mut Website) -> R) -> Result<R, WeblnError> {
        let _turn = self.websites.writes.lock().await;
        // Forgotten while its call ran: the call changes nothing (it would bring the site back).
        let Some(mut site) = store.get(origin).await.map_err(WeblnError::from)? else {
            return Err(WeblnError::rejected("this site was removed from the wallet's websites"));
        };
        let answer = change(&mut site);
        store.put(&site).await.map_err(WeblnError::from)?;
        Ok(answer)
    }

    /// The sites' store, asking the person to unlock the wallet first if it is locked.
    async fn unlocked_for(&self, origin: &str) -> Result<Rc<WebsiteStore<IdbStore>>, WeblnError> {
        if let Some(store) = self.website_store() {
            return Ok(store);
        }
        if !self.ask(origin, Question::Unlock).await? {
            return Err(WeblnError::rejected("the wallet is locked"));
        }
        self.website_store().ok_or_else(|| WeblnError::rejected("the wallet is locked"))
    }

    fn website_store(&self) -> Option<Rc<WebsiteStore<IdbStore>>> {
        self.websites.store.borrow().clone()
    }

    /// Opens a prompt for `origin` and waits for the person's answer: `true` to allow.
    async fn ask(&self, origin: &str, question: Question) -> Result<bool, WeblnError> {
        if self.websites.prompts.borrow().values().any(|prompt| prompt.origin == origin) {
            return Err(WeblnError::rejected("this site already waits for an answer in an open prompt"));
        }
        // After a "no" the site waits before it may ask again: no stream of windows to click away.
        let now = crate::browser::now_ms();
        let since_no = self.websites.declined_at.borrow().get(origin).map(|at| now - at);
        if since_no.is_some_and(|ms| ms < ASK_AGAIN_AFTER.as_millis() as f64) {
            return Err(WeblnError::rejected("you declined this site a moment ago; it may ask again shortly"));
        }
        let id = self.websites.next_prompt.get() + 1;
        self.websites.next_prompt.set(id);
        let (sender, answered) = oneshot::channel();
        self.websites.prompts.borrow_mut().insert(id, Prompt { origin: origin.to_owned(), question, answer: Some(sender), shown_by: None });
        self.send_to(NodeHost::FIRST, FromNode::OpenPrompt { id });
        let timeout = gloo_timers::future::sleep(PROMPT_TIMEOUT).fuse();
        let answered = answered.fuse();
        futures::pin_mut!(timeout, answered);
        let allowed = futures::select! {
            answer = answered => answer.unwrap_or(false),
            _ = timeout => false,
        };
        self.websites.prompts.borrow_mut().remove(&id);
        if !allowed {
            self.websites.declined_at.borrow_mut().insert(origin.to_owned(), crate::browser::now_ms());
        }
        Ok(allowed)
    }

    /// The question of prompt `id`, for the window `from` that shows it.
    pub(crate) fn prompt_details(&self, from: ConnectionId, PromptDetails { id }: PromptDetails) -> Result<PromptView, NodeError> {
        let mut prompts = self.websites.prompts.borrow_mut();
        let prompt = prompts.get_mut(&id).ok_or(NodeError::PromptGone)?;
        prompt.shown_by = Some(from);
        Ok(PromptView { origin: prompt.origin.clone(), question: prompt.question.clone() })
    }

    pub(crate) fn answer_prompt(&self, AnswerPrompt { id, allow }: AnswerPrompt) -> Result<(), NodeError> {
        let sender = self.websites.prompts.borrow_mut().get_mut(&id).and_then(|prompt| prompt.answer.take());
        let sender = sender.ok_or(NodeError::PromptGone)?;
        // An "allow" to unlock counts only once the wallet is unlocked.
        let _ = sender.send(allow);
        Ok(())
    }

    /// The window `from` went: the prompts it showed and did not answer are a "no".
    pub(crate) fn prompts_closed_by(&self, from: ConnectionId) {
        let mut prompts = self.websites.prompts.borrow_mut();
        for prompt in prompts.values_mut().filter(|prompt| prompt.shown_by == Some(from)) {
            if let Some(sender) = prompt.answer.take() {
                let _ = sender.send(false);
            }
        }
    }

    pub(crate) async fn website_views(&self) -> Result<Vec<WebsiteView>, NodeError> {
        let store = self.website_store().ok_or(NodeError::Stopped)?;
        let today = day_of(crate::browser::now_ms() as u64 / 1000);
        Ok(store
            .all()
            .await?
            .into_iter()
            .map(|site| WebsiteView { spent_today_sat: site.spent_on(today), origin: site.origin, allowed: site.allowed, budget: site.budget })
            .collect())
    }

    pub(crate) async fn set_website(&self, SetWebsite { origin, allowed, budget }: SetWebsite) -> Result<(), NodeError> {
        let store = self.website_store().ok_or(NodeError::Stopped)?;
        if !is_web_origin(&origin) {
            return Err(NodeError::NotAWebsite { origin });
        }
        let _turn = self.websites.writes.lock().await;
        let mut site = store.get(&origin).await?.unwrap_or_else(|| Website::new(&origin, allowed));
        site.allowed = allowed;
        site.budget = budget.filter(|_| allowed);
        store.put(&site).await?;
        let (mut denied, mut known_allowed) = (self.websites.denied.borrow_mut(), self.websites.allowed.borrow_mut());
        if allowed {
            denied.remove(&origin);
            known_allowed.insert(origin);
        } else {
            known_allowed.remove(&origin);
            denied.insert(origin);
        }
        Ok(())
    }

    pub(crate) async fn forget_website(&self, origin: &str) -> Result<(), NodeError> {
        let store = self.website_store().ok_or(NodeError::Stopped)?;
        let _turn = self.websites.writes.lock().await;
        store.remove(origin).await?;
        self.websites.denied.borrow_mut().remove(origin);
        self.websites.allowed.borrow_mut().remove(origin);
        Ok(())
    }
}

/// What a site's budget was charged for a payment within it, on `day`: the most it may cost.
#[derive(Debug, Clone, Copy)]
struct Charge {
    most_sat: u64,
    day: u64,
}

/// A site's payment, checked by the node: what the budget is charged for, what the prompt asks,
/// its hash (hex, known before it is sent), what it was asked as, and the command that pays
/// (`PayInvoice` or `PayKeysend`).
struct SitePayment {
    amount_msat: u64,
    max_fee_msat: u64,
    question: Question,
    payment_hash: String,
    asked: PaymentAsked,
    pay: Command,
}

fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, WeblnError> {
    serde_json::from_value(value).map_err(|_| WeblnError::new(ErrorName::InternalError, "the node answered in a shape it should not"))
}
