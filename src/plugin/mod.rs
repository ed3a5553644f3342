//! The plugin traits the engine talks to the host through: [`Storage`], [`Notifier`],
//! [`Directory`] and [`Clock`].
//!
//! Each is object-safe, `Send + Sync + Debug + 'static`, has forwarding impls for `Arc<T>` and
//! `Box<T>`, and documents its contract in a `# Contract` section. The crate ships reference
//! implementations: [`MemoryStorage`](crate::memory::MemoryStorage) (the reference) and
//! [`IndexedMemoryStorage`](crate::memory::IndexedMemoryStorage) (for company scale),
//! [`RecordingNotifier`](crate::memory::RecordingNotifier),
//! [`StaticDirectory`](crate::memory::StaticDirectory), [`SystemClock`] and [`ManualClock`];
//! with the `sqlite` feature, `SqliteStorage`.

mod clock;
mod directory;
mod notifier;
mod shape;
mod storage;

pub use clock::{Clock, ManualClock, SystemClock};
pub use directory::Directory;
pub use notifier::Notifier;
pub(crate) use shape::check_shape;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) use shape::keys_of;
pub use storage::{
    Claim, Commit, Expect, OutboxEntry, Receipt, Record, RecordKey, Storage, StorageExt,
    StoredEvent, Versioned, Write,
};
pub(crate) use storage::{apply_log, check_log};
