//! The node's Web Worker, as the app ships it: the worker itself is `blixtra-host`'s
//! (`blixtra_host::worker::run`); this binary only calls it.
//!
//! It is a binary of the app's package, not the host's, so that Trunk's two builds (app and worker)
//! resolve one set of features and share every dependency's build: built from the host's own
//! manifest, LDK, BDK and the core were compiled twice (six more minutes of a release build). The
//! worker links none of the UI: nothing here calls it.

fn main() {
    blixtra_host::worker::run();
}
