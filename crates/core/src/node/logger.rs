//! LDK's log records, filtered by level and handed to the platform's sink (the browser console).
//!
//! LDK logs no keys, but it names peers, channels, transactions and amounts, and so do the node's own
//! warnings. The default level is `Warn`, so what reaches a console is what someone needs to diagnose
//! a failure; and a production build ([`LogDetail::Redacted`]) leaves out of each line every word
//! with a digit in it (ids, txids, amounts, addresses, hosts), keeping where it was logged and why.

pub use lightning::util::logger::Level;
use lightning::util::logger::{Logger, Record};

/// Where log lines go: the platform decides (console, test capture).
pub type LogSink = Box<dyn Fn(Level, &str)>;

/// How much of a record's message reaches the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogDetail {
    /// Everything: development and test builds.
    Full,
    /// No word with a digit in it: node ids, channel ids, txids, payment hashes, amounts, heights,
    /// addresses and hosts each become `…`. What production builds log.
    Redacted,
}

impl LogDetail {
    /// What this build logs: everything in a debug build, redacted in a release one.
    pub fn of_this_build() -> Self {
        if cfg!(debug_assertions) {
            LogDetail::Full
        } else {
            LogDetail::Redacted
        }
    }
}

pub struct NodeLogger {
    min_level: Level,
    detail: LogDetail,
    sink: LogSink,
}

impl NodeLogger {
    pub fn new(min_level: Level, detail: LogDetail, sink: LogSink) -> Self {
        Self { min_level, detail, sink }
    }
}

impl Logger for NodeLogger {
    fn log(&self, record: Record) {
        if record.level < self.min_level {
            return;
        }
        let message = record.args.to_string();
        let message = match self.detail {
            LogDetail::Full => message,
            LogDetail::Redacted => redact(&message),
        };
        (self.sink)(record.level, &format!("LDK {} {}:{} {}", record.level, record.module_path, record.line, message));
    }
}

/// Replaces every word (a run of letters, digits and `_`) that holds a digit with `…`.
pub fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.push('…');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in message.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use lightning::{log_error, log_warn};

    use super::*;

    fn capturing(detail: LogDetail) -> (NodeLogger, Rc<RefCell<Vec<String>>>) {
        let lines = Rc::new(RefCell::new(Vec::new()));
        let sink = lines.clone();
        (NodeLogger::new(Level::Warn, detail, Box::new(move |_, line| sink.borrow_mut().push(line.to_owned()))), lines)
    }

    const TXID: &str = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";
    const NODE_ID: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

    #[test]
    fn a_production_line_names_no_id_txid_amount_or_address_but_says_where_and_why() {
        let (logger, lines) = capturing(LogDetail::Redacted);
        log_error!(logger, "the chain server refused transaction {TXID}: min relay fee not met, 141 < 142");
        log_warn!(logger, "peer {NODE_ID}@127.0.0.1:9735 disconnected while paying 21000000 msat to bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080");
        let lines = lines.borrow();
        assert_eq!(lines.len(), 2);
        for secret in [TXID, NODE_ID, "127.0.0.1", "9735", "21000000", "bcrt1q", "141"] {
            assert!(lines.iter().all(|line| !line.contains(secret)), "{secret} in {lines:?}");
        }
        assert!(lines[0].starts_with("LDK ERROR blixtra_core::node::logger:"), "{}", lines[0]);
        assert!(lines[0].ends_with("the chain server refused transaction …: min relay fee not met, … < …"), "{}", lines[0]);
        assert!(lines[1].contains("peer …@….….….…:… disconnected while paying … msat to …"), "{}", lines[1]);
    }

    #[test]
    fn a_development_line_keeps_everything_and_lower_levels_are_dropped() {
        let (logger, lines) = capturing(LogDetail::Full);
        log_warn!(logger, "transaction {TXID} for 5000 sats");
        lightning::log_info!(logger, "not at warn: {NODE_ID}");
        assert_eq!(lines.borrow().len(), 1);
        assert!(lines.borrow()[0].ends_with(&format!("transaction {TXID} for 5000 sats")));
    }
}
