//! LDK's log records, filtered by level and handed to the platform's sink (the browser console).
//!
//! LDK logs no keys, but from `Info` down it names peers, channels and amounts: the default level is
//! `Warn`, so what reaches a console is what someone needs to diagnose a failure.

pub use lightning::util::logger::Level;
use lightning::util::logger::{Logger, Record};

/// Where log lines go: the platform decides (console, test capture).
pub type LogSink = Box<dyn Fn(Level, &str)>;

pub struct NodeLogger {
    min_level: Level,
    sink: LogSink,
}

impl NodeLogger {
    pub fn new(min_level: Level, sink: LogSink) -> Self {
        Self { min_level, sink }
    }
}

impl Logger for NodeLogger {
    fn log(&self, record: Record) {
        if record.level < self.min_level {
            return;
        }
        (self.sink)(record.level, &format!("LDK {} {}:{} {}", record.level, record.module_path, record.line, record.args));
    }
}
