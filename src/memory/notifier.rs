use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use crate::domain::notification::Notification;
use crate::plugin::Notifier;
use crate::{Error, Result};

/// A notifier that records what it was sent, and can be told to fail: every call
/// ([`new_failing`](Self::new_failing)) or every n-th call ([`failing_every`](Self::failing_every)).
///
/// It records every successful call, duplicates included, so tests can prove the engine never
/// delivers a key twice.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    delivered: Mutex<Vec<Notification>>,
    calls: AtomicU64,
    fail_every: AtomicU64,
}

impl RecordingNotifier {
    /// A notifier that accepts everything.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A notifier that refuses everything (until [`set_fail_every`](Self::set_fail_every)).
    #[must_use]
    pub fn new_failing() -> Self {
        Self::failing_every(1)
    }

    /// A notifier that fails every `n`-th call (`2`: every other call; `0`: never).
    #[must_use]
    pub fn failing_every(n: u64) -> Self {
        let notifier = Self::default();
        notifier.fail_every.store(n, Ordering::SeqCst);
        notifier
    }

    /// Changes the failure rate (`0`: never fail).
    pub fn set_fail_every(&self, n: u64) {
        self.fail_every.store(n, Ordering::SeqCst);
    }

    /// Every notification accepted so far, in order.
    #[must_use]
    pub fn delivered(&self) -> Vec<Notification> {
        self.delivered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// How many calls were made, failed ones included.
    #[must_use]
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn deliver(&self, notification: &Notification) -> Result<()> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let every = self.fail_every.load(Ordering::SeqCst);
        if every != 0 && call % every == 0 {
            return Err(Error::Backend {
                source: format!("notifier refused call {call}").into(),
            });
        }
        self.delivered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(notification.clone());
        Ok(())
    }
}
