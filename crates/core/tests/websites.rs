//! The websites' permissions and budgets: a payment is within a budget only by amount and by day,
//! spending counts per day and is given back when a payment fails, and the records are sealed.

use std::rc::Rc;

use blixtra_core::seal::SecretKey;
use blixtra_core::websites::{day_of, Budget, Website, WebsiteStore, REMEMBERED_PAYMENTS};
use blixtra_core::{KvStore, MemoryStore, SealedStore};

#[test]
fn a_budget_covers_a_payment_by_its_size_and_the_days_spending() {
    let mut site = Website::new("https://shop.example", true);
    let today = day_of(1_764_633_600);
    assert!(!site.budget_covers(1, today), "no budget: every payment asks");
    site.budget = Some(Budget { per_payment_sat: 5_000, per_day_sat: 8_000 });
    assert!(site.budget_covers(5_000, today));
    assert!(!site.budget_covers(5_001, today));
    site.spend(5_000, today);
    assert!(site.budget_covers(3_000, today));
    assert!(!site.budget_covers(3_001, today), "over the day's budget");
    site.refund(2_000, today);
    assert_eq!(site.spent_on(today), 3_000);
    assert!(site.budget_covers(5_000, today));
    assert_eq!(site.spent_on(today + 1), 0, "a new day starts afresh");
    assert!(site.budget_covers(5_000, today + 1));
    site.spend(100, today + 1);
    assert_eq!(site.spent_on(today + 1), 100);
    site.refund(50, today);
    assert_eq!(site.spent_on(today + 1), 100, "yesterday's refund does not touch today");
}

#[test]
fn a_site_remembers_a_bounded_number_of_its_payments() {
    let mut site = Website::new("https://shop.example", true);
    for i in 0..REMEMBERED_PAYMENTS + 10 {
        site.remember_payment(&format!("{i:064x}"));
    }
    site.remember_payment(&format!("{:064x}", REMEMBERED_PAYMENTS + 9));
    assert_eq!(site.payments.len(), REMEMBERED_PAYMENTS);
    assert!(!site.knows_payment(&format!("{:064x}", 0)));
    assert!(site.knows_payment(&format!("{:064X}", REMEMBERED_PAYMENTS + 9)));
}

#[test]
fn sites_are_sealed_records_found_by_origin() {
    pollster::block_on(sealed_records());
}

async fn sealed_records() {
    let backing = MemoryStore::new();
    let store = WebsiteStore::new(Rc::new(SealedStore::new(backing.clone(), &SecretKey::random())));
    let mut shop = Website::new("https://shop.example", true);
    shop.budget = Some(Budget { per_payment_sat: 10, per_day_sat: 20 });
    store.put(&shop).await.expect("the memory store answers");
    store.put(&Website::new("https://spam.example", false)).await.expect("the memory store answers");
    assert_eq!(store.get("https://shop.example").await.expect("the memory store answers"), Some(shop.clone()));
    let all = store.all().await.expect("the memory store answers");
    assert_eq!(
        all.iter().map(|s| (s.origin.as_str(), s.allowed)).collect::<Vec<_>>(),
        [("https://shop.example", true), ("https://spam.example", false)]
    );
    for (key, value) in backing.scan("").await.expect("the memory store answers") {
        let text = String::from_utf8_lossy(&value);
        assert!(!key.contains("example") && !text.contains("example"), "a site's origin reached storage readable: {key}");
    }
    store.remove("https://spam.example").await.expect("the memory store answers");
    assert_eq!(store.get("https://spam.example").await.expect("the memory store answers"), None);
}
