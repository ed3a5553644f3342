//! In-memory implementations of the plugin traits: the embedded default, and real enough to
//! test against.

mod directory;
mod indexed;
mod notifier;
mod outbox;
mod storage;

pub use directory::{CsvLimits, StaticDirectory};
pub use indexed::IndexedMemoryStorage;
pub use notifier::RecordingNotifier;
pub use storage::{MemoryDump, MemoryStorage};
