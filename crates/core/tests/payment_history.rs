//! The payment history: records found by id whatever their kind, kept across a reopen, read in one
//! request, and the records of wallets written before payments had kinds read and brought up to date.

use std::rc::Rc;
use std::time::Duration;

use blixtra_core::node::error::{NodeError, PaymentFailure};
use blixtra_core::node::payment::record::{decode, RecordFormat};
use blixtra_core::node::payment::{PaymentDirection, PaymentKind, PaymentRecord, PaymentStatus, PaymentStore, Payments, SendStart, SentPayment};
use blixtra_core::record_names::PAYMENTS_NAMESPACE;
use blixtra_core::seal::SecretKey as DataKey;
use blixtra_core::{KvStore, MemoryStore, Op, SealedStore, StoreError};
use lightning::ln::channelmanager::PaymentId;
use lightning_types::payment::{PaymentHash, PaymentPreimage};
use pollster::block_on;

const NOW: Duration = Duration::from_secs(1_800_000_000);

fn bolt11(direction: PaymentDirection, byte: u8, amount_msat: Option<u64>, at: Duration) -> PaymentRecord {
    let hash = PaymentHash([byte; 32]);
    PaymentRecord::new(PaymentRecord::id_of_hash(hash), PaymentKind::Bolt11 { hash, preimage: None, secret: None }, direction, amount_msat, at)
}

#[test]
fn the_payment_history_survives_a_reopen_newest_first() {
    let sealed = Rc::new(SealedStore::new(MemoryStore::new(), &DataKey::random()));
    let store = block_on(PaymentStore::open(sealed.clone())).expect("open");
    block_on(store.upsert(&bolt11(PaymentDirection::Outbound, 0xaa, Some(1_000), NOW))).expect("stored");
    block_on(store.upsert(&bolt11(PaymentDirection::Inbound, 0xbb, None, NOW + Duration::from_secs(5)))).expect("stored");
    let updated = block_on(store.update(&PaymentId([0xaa; 32]), |r| r.status = PaymentStatus::Succeeded)).expect("updated");
    assert_eq!(updated.map(|r| r.status), Some(PaymentStatus::Succeeded));
    assert_eq!(block_on(store.update(&PaymentId([0xcc; 32]), |r| r.status = PaymentStatus::Failed)).expect("nothing to update"), None);

    let reopened = block_on(PaymentStore::open(sealed)).expect("open");
    let all = block_on(reopened.all()).expect("listed");
    assert_eq!(all.iter().map(|r| r.id.0[0]).collect::<Vec<_>>(), [0xbb, 0xaa]);
    assert_eq!(all[1].status, PaymentStatus::Succeeded);
    assert_eq!(all[0].status, PaymentStatus::Pending);
}

#[test]
fn payments_of_every_kind_are_found_by_their_id() {
    let sealed = Rc::new(SealedStore::new(MemoryStore::new(), &DataKey::random()));
    let store = block_on(PaymentStore::open(sealed)).expect("open");
    let txid = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b".parse().expect("a txid");
    let offer = PaymentKind::Bolt12Offer { hash: None, preimage: None, offer_id: None, payer_note: Some("thanks".into()) };
    let kinds = [
        (PaymentId([1; 32]), offer),
        (PaymentId([2; 32]), PaymentKind::Onchain { txid }),
        (PaymentId([3; 32]), PaymentKind::Spontaneous { hash: PaymentHash([3; 32]), preimage: Some(PaymentPreimage([4; 32])) }),
        (
            PaymentId([5; 32]),
            PaymentKind::Jit {
                hash: PaymentHash([5; 32]),
                preimage: None,
                secret: None,
                opening_fee_msat: Some(2_000_000),
                agreed_fee_msat: Some(2_000_000),
            },
        ),
    ];
    for (id, kind) in &kinds {
        block_on(store.upsert(&PaymentRecord::new(*id, kind.clone(), PaymentDirection::Outbound, Some(1), NOW))).expect("stored");
    }
    for (id, kind) in &kinds {
        assert_eq!(&block_on(store.get(id)).expect("read").expect("found").kind, kind);
    }
    // A BOLT12 payment learns its hash when it settles.
    let mut settled = kinds[0].1.clone();
    settled.settle(PaymentHash([9; 32]), Some(PaymentPreimage([8; 32])));
    assert_eq!((settled.hash(), settled.preimage()), (Some(PaymentHash([9; 32])), Some(PaymentPreimage([8; 32]))));
}

/// What a wallet stored before payments had kinds: keyed by the payment hash, as these fields.
fn record_without_kind(hash_byte: u8, direction: &str, status: &str, fee: Option<u64>, preimage: Option<u8>, created: u64) -> Vec<u8> {
    let hash = format!("{hash_byte:02x}").repeat(32);
    let preimage = preimage.map(|b| format!("{b:02x}").repeat(32));
    serde_json::to_vec(&serde_json::json!({
        "direction": direction, "status": status, "payment_hash": hash, "amount_msat": 21_000_000u64,
        "fee_paid_msat": fee, "preimage": preimage, "description": "coffee",
        "created_at_secs": created, "updated_at_secs": created + 2,
    }))
    .expect("json")
}

#[test]
fn a_history_written_before_payment_kinds_is_found_whole_and_rewritten() {
    let sealed = Rc::new(SealedStore::new(MemoryStore::new(), &DataKey::random()));
    let old = [
        (0x11, record_without_kind(0x11, "Outbound", "Succeeded", Some(1_234), Some(0x99), 100)),
        (0x22, record_without_kind(0x22, "Inbound", "Succeeded", None, Some(0x88), 200)),
        (0x33, record_without_kind(0x33, "Outbound", "Failed", None, None, 300)),
        (0x44, record_without_kind(0x44, "Inbound", "Pending", None, None, 400)),
    ];
    for (byte, bytes) in &old {
        block_on(sealed.put(PAYMENTS_NAMESPACE, &format!("{byte:02x}").repeat(32), bytes)).expect("written as the old wallet did");
    }
    let store = block_on(PaymentStore::open(sealed.clone())).expect("open");
    let all = block_on(store.all()).expect("every payment read");
    assert_eq!(all.iter().map(|r| r.id.0[0]).collect::<Vec<_>>(), [0x44, 0x33, 0x22, 0x11], "newest first");
    let statuses: Vec<_> = all.iter().map(|r| (r.direction, r.status)).collect();
    assert_eq!(
        statuses,
        [
            (PaymentDirection::Inbound, PaymentStatus::Pending),
            (PaymentDirection::Outbound, PaymentStatus::Failed),
            (PaymentDirection::Inbound, PaymentStatus::Succeeded),
            (PaymentDirection::Outbound, PaymentStatus::Succeeded)
        ]
    );
    let paid = &all[3];
    assert_eq!((paid.amount_msat, paid.fee_paid_msat, paid.description.as_deref()), (Some(21_000_000), Some(1_234), Some("coffee")));
    assert_eq!(paid.kind, PaymentKind::Bolt11 { hash: PaymentHash([0x11; 32]), preimage: Some(PaymentPreimage([0x99; 32])), secret: None });
    assert_eq!((paid.created_at_secs, paid.updated_at_secs), (100, 102));

    // Written back in the current format, under the same keys: found by id, nothing lost.
    for (byte, _) in &old {
        let stored = block_on(sealed.get(PAYMENTS_NAMESPACE, &format!("{byte:02x}").repeat(32))).expect("read").expect("still there");
        assert_eq!(decode(&stored).expect("readable").1, RecordFormat::Current);
        assert!(block_on(store.get(&PaymentId([*byte; 32]))).expect("read").is_some());
    }
    assert_eq!(block_on(store.all()).expect("read again"), all);
}

#[test]
fn a_record_that_is_no_payment_is_an_error_naming_its_kind() {
    let sealed = Rc::new(SealedStore::new(MemoryStore::new(), &DataKey::random()));
    block_on(sealed.put(PAYMENTS_NAMESPACE, &"ab".repeat(32), b"{\"not\": \"a payment\"}")).expect("written");
    let store = block_on(PaymentStore::open(sealed)).expect("open");
    let refused = block_on(store.all()).expect_err("unreadable");
    assert_eq!(refused.to_string(), "the wallet's storage failed: a stored payments record cannot be read");
}

/// A [`MemoryStore`] that counts the reads it is asked for.
#[derive(Default)]
struct CountingStore {
    inner: MemoryStore,
    gets: std::cell::Cell<usize>,
    scans: std::cell::Cell<usize>,
}

impl KvStore for CountingStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.gets.set(self.gets.get() + 1);
        self.inner.get(key).await
    }
    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.scans.set(self.scans.get() + 1);
        self.inner.scan(prefix).await
    }
    async fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        self.inner.commit(ops).await
    }
}

#[test]
fn the_whole_history_is_one_read_of_the_store() {
    let sealed = Rc::new(SealedStore::new(CountingStore::default(), &DataKey::random()));
    let store = block_on(PaymentStore::open(sealed.clone())).expect("open");
    for i in 0..50u8 {
        block_on(store.upsert(&bolt11(PaymentDirection::Outbound, i, Some(1_000 + u64::from(i)), NOW + Duration::from_secs(i.into()))))
            .expect("stored");
    }
    let all = block_on(store.all()).expect("listed");
    assert_eq!(all.len(), 50);
    assert_eq!((all[0].amount_msat, all[49].amount_msat), (Some(1_049), Some(1_000)), "newest first");
    assert_eq!((sealed.backing().scans.get(), sealed.backing().gets.get()), (1, 0), "one scan, no read per record");
}

#[test]
fn a_second_send_of_a_payment_under_way_joins_it_and_hears_its_outcome() {
    let sealed = Rc::new(SealedStore::new(MemoryStore::new(), &DataKey::random()));
    let payments = block_on(Payments::open(sealed)).expect("open");
    let record = bolt11(PaymentDirection::Outbound, 0x42, Some(21_000), NOW);
    let (first, second) =
        futures::executor::block_on(async { futures::join!(payments.begin_send(record.clone()), payments.begin_send(record.clone())) });
    let (SendStart::New(first), SendStart::Joined(second)) = (first.expect("the first sends"), second.expect("the second joins")) else {
        panic!("one send, one join")
    };
    let sent = SentPayment {
        id: record.id,
        hash: PaymentHash([0x42; 32]),
        preimage: PaymentPreimage([7; 32]),
        amount_msat: Some(21_000),
        fee_paid_msat: Some(5),
    };
    let settled = block_on(payments.on_sent(sent, NOW)).expect("recorded");
    assert_eq!(settled.waiters.len(), 2, "both callers wait for the one payment");
    for waiter in settled.waiters {
        waiter.send(Ok(settled.record.clone())).expect("still waiting");
    }
    let (first, second) = (block_on(first.outcome).expect("told"), block_on(second).expect("told"));
    assert_eq!(first, second);
    assert_eq!(first.expect("paid").status, PaymentStatus::Succeeded);
    // Once paid, a third send is refused, not joined.
    assert!(matches!(block_on(payments.begin_send(record)), Err(NodeError::AlreadyPaid(PaymentStatus::Succeeded))));
}

#[test]
fn a_refused_send_fails_its_record_and_tells_whoever_joined() {
    let sealed = Rc::new(SealedStore::new(MemoryStore::new(), &DataKey::random()));
    let payments = block_on(Payments::open(sealed)).expect("open");
    let record = bolt11(PaymentDirection::Outbound, 0x43, Some(1_000), NOW);
    let Ok(SendStart::New(_first)) = block_on(payments.begin_send(record.clone())) else { panic!("sends") };
    let Ok(SendStart::Joined(joined)) = block_on(payments.begin_send(record.clone())) else { panic!("joins") };
    block_on(payments.fail_unsent(&record.id, PaymentFailure::NoRoute, NOW)).expect("recorded");
    assert_eq!(block_on(joined).expect("told"), Err(NodeError::PaymentFailed(PaymentFailure::NoRoute)));
    let all = block_on(payments.all()).expect("history");
    assert_eq!(all[0].status, PaymentStatus::Failed);
    // Nothing left the wallet: it may be paid again.
    assert!(matches!(block_on(payments.begin_send(record)), Ok(SendStart::New(_))));
}

#[test]
fn a_send_refused_as_a_duplicate_puts_back_what_the_history_held() {
    let sealed = Rc::new(SealedStore::new(MemoryStore::new(), &DataKey::random()));
    let payments = block_on(Payments::open(sealed)).expect("open");
    let record = bolt11(PaymentDirection::Outbound, 0x44, Some(1_000), NOW);
    // A first attempt that failed moments ago.
    let Ok(SendStart::New(_)) = block_on(payments.begin_send(record.clone())) else { panic!("sends") };
    block_on(payments.fail_unsent(&record.id, PaymentFailure::NoRoute, NOW)).expect("failed");
    let failed = block_on(payments.all()).expect("history")[0].clone();
    // A retry that LDK refuses, as it still remembers the first.
    let later = PaymentRecord { created_at_secs: NOW.as_secs() + 60, ..record.clone() };
    let Ok(SendStart::New(own)) = block_on(payments.begin_send(later)) else { panic!("sends again") };
    assert_eq!(own.replaced.as_deref(), Some(&failed));
    let refused = block_on(payments.undo_duplicate(&record.id, own.replaced, NOW)).expect("undone");
    assert_eq!(refused, NodeError::PaymentFailed(PaymentFailure::LastAttemptUnsettled));
    assert_eq!(block_on(payments.all()).expect("history"), [failed], "the history holds what it held before");
}
