//! The reference storage: every record in one ordered map, with the few indexes the listings
//! need, behind one mutex. Small enough to read in one sitting; it is what a new backend's
//! author compares with.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::outbox::Outbox;

use crate::domain::{
    CalibrationSession, CalibrationSessionId, Cycle, CycleId, Error, Nomination, NominationId,
    Packet, PacketId, PersonId, Result, Review, ReviewId,
};
use crate::plugin::{
    Claim, Commit, Expect, OutboxEntry, Record, RecordKey, Storage, StoredEvent, Versioned, Write,
    check_shape,
};

/// Storage in memory: the reference implementation of the [`Storage`] contract, and a good
/// store for tests and small embeddings.
///
/// Every record sits in one ordered map by key, with an index per listing (a cycle's packets
/// and calibration sessions, reviews by subject and by author, a packet's nominations), kept
/// by the one function that stores a record. Commits run one at a time under
/// one mutex, check every expectation before changing anything, and then apply every write.
/// For company scale, [`IndexedMemoryStorage`](super::IndexedMemoryStorage) keeps the same
/// contract in a layout built for 100,000-person cycles.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    store: Mutex<Store>,
}

/// Everything a [`MemoryStorage`] (or an [`IndexedMemoryStorage`](super::IndexedMemoryStorage))
/// holds, in a comparable form: tests take one before and after a refused command and assert
/// they are equal.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryDump {
    /// Every record with its version.
    pub records: BTreeMap<RecordKey, (u64, Record)>,
    /// The audit log.
    pub events: Vec<StoredEvent>,
    /// The outbox, with each entry's delivered flag.
    pub outbox: Vec<(OutboxEntry, bool)>,
}

/// The store behind the mutex.
#[derive(Debug, Default)]
struct Store {
    records: BTreeMap<RecordKey, (u64, Record)>,
    packets_by_cycle: BTreeSet<(CycleId, PacketId)>,
    reviews_about: BTreeSet<(CycleId, PersonId, ReviewId)>,
    reviews_by: BTreeSet<(CycleId, PersonId, ReviewId)>,
    nominations_by_packet: BTreeSet<(PacketId, NominationId)>,
    calibrations_by_cycle: BTreeSet<(CycleId, CalibrationSessionId)>,
    events: Vec<StoredEvent>,
    outbox: Outbox,
    last_seq: u64,
}

impl MemoryStorage {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // Commits check everything before changing anything, so a panic while holding the lock
        // cannot leave a half-applied commit behind.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of everything stored.
    #[must_use]
    pub fn dump(&self) -> MemoryDump {
        let store = self.lock();
        MemoryDump {
            records: store.records.clone(),
            events: store.events.clone(),
            outbox: store.outbox.all(),
        }
    }
}

impl Store {
    fn version(&self, key: &RecordKey) -> Option<u64> {
        self.records.get(key).map(|(v, _)| *v)
    }

    fn holds(&self, key: &RecordKey, expect: Expect) -> bool {
        match expect {
            Expect::Absent => self.version(key).is_none(),
            Expect::Version(v) => self.version(key) == Some(v),
        }
    }

    /// Stores `record` at `version`, replacing what was under its key, indexes included.
    fn put(&mut self, record: Record, version: u64) {
        let key = record.key();
        self.remove(&key);
        self.index(&record, true);
        self.records.insert(key, (version, record));
    }

    /// Removes the record under `key`, indexes included.
    fn remove(&mut self, key: &RecordKey) {
        if let Some((_, old)) = self.records.remove(key) {
            self.index(&old, false);
        }
    }

    /// Adds `record` to the indexes of the listings (or takes it out of them).
    fn index(&mut self, record: &Record, add: bool) {
        fn set<T: Ord>(set: &mut BTreeSet<T>, entry: T, add: bool) {
            if add {
                set.insert(entry);
            } else {
                set.remove(&entry);
            }
        }
        match record {
            Record::Packet(p) => set(&mut self.packets_by_cycle, (p.cycle(), p.id()), add),
            Record::Review(r) => {
                set(
                    &mut self.reviews_about,
                    (r.cycle(), r.subject(), r.id()),
                    add,
                );
                set(&mut self.reviews_by, (r.cycle(), r.author(), r.id()), add);
            }
            Record::Nomination(n) => {
                set(&mut self.nominations_by_packet, (n.packet(), n.id()), add)
            }
            Record::Calibration(c) => {
                set(&mut self.calibrations_by_cycle, (c.cycle(), c.id()), add)
            }
            Record::Cycle(_)
            | Record::Snapshot { .. }
            | Record::OrgHead(_)
            | Record::OrgChange(_)
            | Record::Template(_)
            | Record::Grants(_)
            | Record::Receipt(_) => {}
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }

    /// The records under `keys`, in the order of the keys, unpacked by `pick`.
    fn listed<T>(
        &self,
        keys: impl Iterator<Item = RecordKey>,
        pick: impl Fn(&Record) -> Option<&T>,
    ) -> Vec<Versioned<T>>
    where
        T: Clone,
    {
        keys.filter_map(|key| {
            let (version, record) = self.records.get(&key)?;
            Some(Versioned {
                version: *version,
                record: pick(record)?.clone(),
            })
        })
        .collect()
    }

    fn reviews(
        &self,
        index: &BTreeSet<(CycleId, PersonId, ReviewId)>,
        cycle: CycleId,
        person: PersonId,
    ) -> Vec<Versioned<Review>> {
        let keys = index
            .range((cycle, person, ReviewId::MIN)..=(cycle, person, ReviewId::MAX))
            .map(|&(_, _, id)| RecordKey::Review(id));
        self.listed(keys, |r| match r {
            Record::Review(r) => Some(&**r),
            _ => None,
        })
    }
}

#[async_trait]
impl Storage for MemoryStorage {
    async fn get(&self, key: RecordKey) -> Result<Option<Versioned<Record>>> {
        Ok(self
            .lock()
            .records
            .get(&key)
            .map(|(version, record)| Versioned {
                version: *version,
                record: record.clone(),
            }))
    }

    async fn version(&self, key: RecordKey) -> Result<Option<u64>> {
        Ok(self.lock().version(&key))
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        let keys: Vec<RecordKey> = commit.writes.iter().map(Write::key).collect();
        let mut store = self.lock();
        check_shape(&commit, &keys, |k| store.outbox.has_key(k))?;
        // Every expectation first: a commit that fails changes nothing.
        for (write, key) in commit.writes.iter().zip(&keys) {
            let expect = match write {
                Write::Put { expect, .. } | Write::Check { expect, .. } => *expect,
                Write::Delete { version, .. } => Expect::Version(*version),
            };
            if !store.holds(key, expect) {
                return Err(key.conflict());
            }
        }
        for write in commit.writes {
            match write {
                Write::Put { record, expect } => {
                    let version = match expect {
                        Expect::Absent => 1,
                        Expect::Version(v) => v.checked_add(1).ok_or_else(|| Error::Backend {
                            source: "a record's version overflowed".into(),
                        })?,
                    };
                    store.put(record, version);
                }
                Write::Delete { key, .. } => store.remove(&key),
                Write::Check { .. } => {}
            }
        }
        for event in commit.events {
            let seq = store.next_seq();
            store.events.push(StoredEvent { seq, event });
        }
        for notification in commit.outbox {
            let seq = store.next_seq();
            store.outbox.add(seq, notification);
        }
        Ok(())
    }

    async fn cycles(&self, after: Option<CycleId>, limit: usize) -> Result<Vec<Versioned<Cycle>>> {
        let store = self.lock();
        let from = RecordKey::Cycle(after.unwrap_or(CycleId::MIN));
        let keys = store
            .records
            .range(from..=RecordKey::Cycle(CycleId::MAX))
            .map(|(k, _)| *k)
            .filter(|k| after.is_none_or(|a| *k != RecordKey::Cycle(a)))
            .take(limit);
        Ok(store.listed(keys, |r| match r {
            Record::Cycle(c) => Some(&**c),
            _ => None,
        }))
    }

    async fn packets(
        &self,
        cycle: CycleId,
        after: Option<PacketId>,
        limit: usize,
    ) -> Result<Vec<Versioned<Packet>>> {
        let store = self.lock();
        let keys = store
            .packets_by_cycle
            .range((cycle, after.unwrap_or(PacketId::MIN))..=(cycle, PacketId::MAX))
            .filter(|(_, id)| Some(*id) != after)
            .take(limit)
            .map(|&(_, id)| RecordKey::Packet(id));
        Ok(store.listed(keys, |r| match r {
            Record::Packet(p) => Some(&**p),
            _ => None,
        }))
    }

    async fn reviews_about(
        &self,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Vec<Versioned<Review>>> {
        let store = self.lock();
        Ok(store.reviews(&store.reviews_about, cycle, subject))
    }

    async fn reviews_by(&self, cycle: CycleId, author: PersonId) -> Result<Vec<Versioned<Review>>> {
        let store = self.lock();
        Ok(store.reviews(&store.reviews_by, cycle, author))
    }

    async fn nominations(&self, packet: PacketId) -> Result<Vec<Versioned<Nomination>>> {
        let store = self.lock();
        let keys = store
            .nominations_by_packet
            .range((packet, NominationId::MIN)..=(packet, NominationId::MAX))
            .map(|&(_, id)| RecordKey::Nomination(id));
        Ok(store.listed(keys, |r| match r {
            Record::Nomination(n) => Some(&**n),
            _ => None,
        }))
    }

    async fn calibrations(&self, cycle: CycleId) -> Result<Vec<Versioned<CalibrationSession>>> {
        let store = self.lock();
        let keys = store
            .calibrations_by_cycle
            .range((cycle, CalibrationSessionId::MIN)..=(cycle, CalibrationSessionId::MAX))
            .map(|&(_, id)| RecordKey::Calibration(id));
        Ok(store.listed(keys, |r| match r {
            Record::Calibration(c) => Some(&**c),
            _ => None,
        }))
    }

    async fn events(
        &self,
        cycle: CycleId,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let store = self.lock();
        let after = after.unwrap_or(0);
        let start = store.events.partition_point(|e| e.seq <= after);
        Ok(store.events[start..]
            .iter()
            .filter(|e| e.event.cycle == Some(cycle))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn store_events(&self, after: Option<u64>, limit: usize) -> Result<Vec<StoredEvent>> {
        let store = self.lock();
        let after = after.unwrap_or(0);
        let start = store.events.partition_point(|e| e.seq <= after);
        Ok(store.events[start..]
            .iter()
            .filter(|e| e.event.cycle.is_none())
            .take(limit)
            .cloned()
            .collect())
    }

    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        Ok(self.lock().outbox.pending(limit))
    }

    async fn mark_delivered(&self, key: &str) -> Result<()> {
        self.lock().outbox.mark_delivered(key);
        Ok(())
    }

    async fn claim_pending(&self, claim: Claim, limit: usize) -> Result<Vec<OutboxEntry>> {
        Ok(self.lock().outbox.claim_pending(claim, limit))
    }

    async fn claim_keys(&self, claim: Claim, keys: &[String]) -> Result<Vec<String>> {
        Ok(self.lock().outbox.claim_keys(claim, keys))
    }

    async fn release_claim(&self, claim: Claim, key: &str) -> Result<()> {
        self.lock().outbox.release(claim, key);
        Ok(())
    }
}
