//! The outbox both memory stores keep: entries by sequence number with a delivered flag and a
//! claim, and their keys.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::Notification;
use crate::plugin::{Claim, OutboxEntry};

/// One entry and what happened to it.
#[derive(Debug, Clone)]
struct Slot {
    entry: OutboxEntry,
    delivered: bool,
    claim: Option<(Uuid, DateTime<Utc>)>,
}

impl Slot {
    fn claimable(&self, claim: &Claim) -> bool {
        !self.delivered && claim.frees(self.claim)
    }
}

/// Outbox entries in commit order, each with its delivered flag and claim, found by key.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    entries: BTreeMap<u64, Slot>,
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
        self.entries.insert(
            seq,
            Slot {
                entry: OutboxEntry { seq, notification },
                delivered: false,
                claim: None,
            },
        );
    }

    /// Up to `limit` entries not delivered yet, oldest first.
    pub(super) fn pending(&self, limit: usize) -> Vec<OutboxEntry> {
        self.entries
            .values()
            .filter(|s| !s.delivered)
            .take(limit)
            .map(|s| s.entry.clone())
            .collect()
    }

    fn slot(&mut self, key: &str) -> Option<&mut Slot> {
        let seq = self.keys.get(key)?;
        self.entries.get_mut(seq)
    }

    /// Marks the entry with this key delivered; unknown keys are ignored.
    pub(super) fn mark_delivered(&mut self, key: &str) {
        if let Some(slot) = self.slot(key) {
            slot.delivered = true;
        }
    }

    /// Claims up to `limit` free pending entries, oldest first.
    pub(super) fn claim_pending(&mut self, claim: Claim, limit: usize) -> Vec<OutboxEntry> {
        self.entries
            .values_mut()
            .filter(|s| s.claimable(&claim))
            .take(limit)
            .map(|s| {
                s.claim = Some((claim.by, claim.until));
                s.entry.clone()
            })
            .collect()
    }

    /// Claims the free pending entries with these keys; the keys claimed.
    pub(super) fn claim_keys(&mut self, claim: Claim, keys: &[String]) -> Vec<String> {
        let mut claimed = Vec::new();
        for key in keys {
            if let Some(slot) = self.slot(key)
                && slot.claimable(&claim)
            {
                slot.claim = Some((claim.by, claim.until));
                claimed.push(key.clone());
            }
        }
        claimed
    }

    /// Frees the entry with this key if `claim` holds it.
    pub(super) fn release(&mut self, claim: Claim, key: &str) {
        if let Some(slot) = self.slot(key)
            && slot.claim == Some((claim.by, claim.until))
        {
            slot.claim = None;
        }
    }

    /// Every entry with its delivered flag, in order.
    pub(super) fn all(&self) -> Vec<(OutboxEntry, bool)> {
        self.entries
            .values()
            .map(|s| (s.entry.clone(), s.delivered))
            .collect()
    }
}
