//! The outbox both memory stores keep: entries by sequence number with a delivered flag, and
//! their keys.

use std::collections::{BTreeMap, HashMap};

use crate::domain::Notification;
use crate::plugin::OutboxEntry;

/// Outbox entries in commit order, each with its delivered flag, found by key.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    entries: BTreeMap<u64, (OutboxEntry, bool)>,
    keys: HashMap<String, u64>,
}

impl Outbox {
    /// Whether an entry with this key was ever added.
    pub(super) fn has_key(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// Adds a notification under sequence number `seq`, not delivered.
    pub(super) fn add(&mut self, seq: u64, notification: Notification) {
        self.keys.insert(notification.key.clone(), seq);
        self.entries
            .insert(seq, (OutboxEntry { seq, notification }, false));
    }

    /// Up to `limit` entries not delivered yet, oldest first.
    pub(super) fn pending(&self, limit: usize) -> Vec<OutboxEntry> {
        self.entries
            .values()
            .filter(|(_, delivered)| !delivered)
            .take(limit)
            .map(|(entry, _)| entry.clone())
            .collect()
    }

    /// Marks the entry with this key delivered; unknown keys are ignored.
    pub(super) fn mark_delivered(&mut self, key: &str) {
        if let Some(seq) = self.keys.get(key)
            && let Some(entry) = self.entries.get_mut(seq)
        {
            entry.1 = true;
        }
    }

    /// Every entry with its delivered flag, in order.
    pub(super) fn all(&self) -> Vec<(OutboxEntry, bool)> {
        self.entries.values().cloned().collect()
    }
}
