//! The store conformance suite against the memory store.

use blixtra_core::store::conformance;
use blixtra_core::MemoryStore;

#[test]
fn memory_store_passes_the_conformance_suite() {
    pollster::block_on(conformance::check_all(async |_| MemoryStore::new()));
}
