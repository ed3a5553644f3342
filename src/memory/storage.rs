use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::plugin::{
    Commit, Expect, OutboxEntry, Record, RecordKey, Storage, StoredEvent, Versioned, Write,
};
use crate::{
    CalibrationSession, CalibrationSessionId, CycleId, Error, Nomination, NominationId, Packet,
    PacketId, PersonId, Result, Review, ReviewId,
};

/// A record as kept in memory: reviews (the most numerous) inline, the rest boxed, so each
/// stored review costs its own size rather than the size of the largest record kind.
#[derive(Debug, Clone, PartialEq)]
enum Stored {
    Review(Review),
    Other(Box<Record>),
}

impl From<Record> for Stored {
    fn from(record: Record) -> Self {
        match record {
            Record::Review(r) => Self::Review(r),
            other => Self::Other(Box::new(other)),
        }
    }
}

impl Stored {
    fn to_record(&self) -> Record {
        match self {
            Self::Review(r) => Record::Review(r.clone()),
            Self::Other(r) => (**r).clone(),
        }
    }

    fn as_review(&self) -> Option<&Review> {
        match self {
            Self::Review(r) => Some(r),
            Self::Other(_) => None,
        }
    }

    fn as_other(&self) -> Option<&Record> {
        match self {
            Self::Review(_) => None,
            Self::Other(r) => Some(r),
        }
    }
}

/// Storage in memory: the embedded default. One mutex; commits are serial.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<RecordKey, (u64, Stored)>,
    cycles: BTreeSet<CycleId>,
    packets_by_cycle: BTreeSet<(CycleId, PacketId)>,
    reviews_by_subject: BTreeSet<(CycleId, PersonId, ReviewId)>,
    reviews_by_author: BTreeSet<(CycleId, PersonId, ReviewId)>,
    nominations_by_packet: BTreeSet<(PacketId, NominationId)>,
    calibrations_by_cycle: BTreeSet<(CycleId, CalibrationSessionId)>,
    events: Vec<StoredEvent>,
    events_by_cycle: HashMap<CycleId, Vec<usize>>,
    outbox: BTreeMap<u64, (OutboxEntry, bool)>,
    outbox_keys: HashMap<String, u64>,
    next_seq: u64,
}

/// Everything a [`MemoryStorage`] holds, in a comparable form: tests take one before and after
/// a refused command and assert they are equal.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryDump {
    /// Every record with its version.
    pub records: BTreeMap<RecordKey, (u64, Record)>,
    /// The audit log.
    pub events: Vec<StoredEvent>,
    /// The outbox, with each entry's delivered flag.
    pub outbox: Vec<(OutboxEntry, bool)>,
}

impl MemoryStorage {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied commit: commits validate
        // everything before changing anything.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of everything stored.
    #[must_use]
    pub fn dump(&self) -> MemoryDump {
        let inner = self.lock();
        MemoryDump {
            records: inner
                .records
                .iter()
                .map(|(k, (v, r))| (*k, (*v, r.to_record())))
                .collect(),
            events: inner.events.clone(),
            outbox: inner.outbox.values().cloned().collect(),
        }
    }
}

impl Inner {
    fn version(&self, key: &RecordKey) -> Option<u64> {
        self.records.get(key).map(|(v, _)| *v)
    }

    fn holds(&self, key: &RecordKey, expect: Expect) -> bool {
        match (expect, self.version(key)) {
            (Expect::Absent, None) => true,
            (Expect::Version(want), Some(have)) => want == have,
            _ => false,
        }
    }

    fn index(&mut self, record: &Record) {
        match record {
            Record::Packet(p) => {
                self.packets_by_cycle.insert((p.cycle(), p.id()));
            }
            Record::Review(r) => {
                self.reviews_by_subject
                    .insert((r.cycle(), r.subject(), r.id()));
                self.reviews_by_author
                    .insert((r.cycle(), r.author(), r.id()));
            }
            Record::Nomination(n) => {
                self.nominations_by_packet.insert((n.packet(), n.id()));
            }
            Record::Calibration(c) => {
                self.calibrations_by_cycle.insert((c.cycle(), c.id()));
            }
            Record::Cycle(c) => {
                self.cycles.insert(c.id());
            }
            Record::Snapshot { .. } | Record::Template(_) | Record::Grants(_) => {}
        }
    }

    fn unindex(&mut self, record: &Record) {
        match record {
            Record::Packet(p) => {
                self.packets_by_cycle.remove(&(p.cycle(), p.id()));
            }
            Record::Review(r) => {
                self.reviews_by_subject
                    .remove(&(r.cycle(), r.subject(), r.id()));
                self.reviews_by_author
                    .remove(&(r.cycle(), r.author(), r.id()));
            }
            Record::Nomination(n) => {
                self.nominations_by_packet.remove(&(n.packet(), n.id()));
            }
            Record::Calibration(c) => {
                self.calibrations_by_cycle.remove(&(c.cycle(), c.id()));
            }
            Record::Cycle(c) => {
                self.cycles.remove(&c.id());
            }
            Record::Snapshot { .. } | Record::Template(_) | Record::Grants(_) => {}
        }
    }

    fn typed<T>(&self, key: RecordKey, pick: impl Fn(&Record) -> Option<&T>) -> Option<Versioned<T>>
    where
        T: Clone,
    {
        let (version, stored) = self.records.get(&key)?;
        pick(stored.as_other()?).map(|r| Versioned {
            version: *version,
            record: r.clone(),
        })
    }

    fn review(&self, id: ReviewId) -> Option<Versioned<Review>> {
        let (version, stored) = self.records.get(&RecordKey::Review(id))?;
        stored.as_review().map(|r| Versioned {
            version: *version,
            record: r.clone(),
        })
    }
}

/// Checks a commit's shape: one write per key, outbox keys unused.
pub(crate) fn check_shape(commit: &Commit, key_used: impl Fn(&str) -> bool) -> Result<()> {
    let mut seen: crate::id::IdSet<RecordKey> =
        crate::id::IdSet::with_capacity_and_hasher(commit.writes.len(), Default::default());
    for w in &commit.writes {
        if !seen.insert(w.key()) {
            return Err(Error::invalid(
                "commit",
                format!("two writes to {}", w.key()),
            ));
        }
    }
    let mut keys = BTreeSet::new();
    for n in &commit.outbox {
        if !keys.insert(n.key.as_str()) || key_used(&n.key) {
            return Err(Error::invalid(
                "commit",
                format!("outbox key `{}` is already used", n.key),
            ));
        }
    }
    Ok(())
}

#[async_trait]
impl Storage for MemoryStorage {
    async fn get(&self, key: RecordKey) -> Result<Option<Versioned<Record>>> {
        Ok(self
            .lock()
            .records
            .get(&key)
            .map(|(version, stored)| Versioned {
                version: *version,
                record: stored.to_record(),
            }))
    }

    async fn version(&self, key: RecordKey) -> Result<Option<u64>> {
        Ok(self.lock().version(&key))
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        let mut inner = self.lock();
        check_shape(&commit, |k| inner.outbox_keys.contains_key(k))?;
        inner.records.reserve(commit.writes.len());
        inner.events.reserve(commit.events.len());
        for w in &commit.writes {
            let ok = match w {
                Write::Put { record, expect } => inner.holds(&record.key(), *expect),
                Write::Delete { key, version } => inner.holds(key, Expect::Version(*version)),
                Write::Check { key, expect } => inner.holds(key, *expect),
            };
            if !ok {
                return Err(w.key().conflict());
            }
        }
        // Everything holds: apply.
        for w in commit.writes {
            match w {
                Write::Put { record, expect } => {
                    let version = match expect {
                        Expect::Absent => 1,
                        Expect::Version(v) => v + 1,
                    };
                    inner.index(&record);
                    inner
                        .records
                        .insert(record.key(), (version, Stored::from(record)));
                }
                Write::Delete { key, .. } => {
                    if let Some((_, old)) = inner.records.remove(&key) {
                        inner.unindex(&old.to_record());
                    }
                }
                Write::Check { .. } => {}
            }
        }
        for event in commit.events {
            inner.next_seq += 1;
            let seq = inner.next_seq;
            let at = inner.events.len();
            if let Some(cycle) = event.cycle {
                inner.events_by_cycle.entry(cycle).or_default().push(at);
            }
            inner.events.push(StoredEvent { seq, event });
        }
        for notification in commit.outbox {
            inner.next_seq += 1;
            let seq = inner.next_seq;
            inner.outbox_keys.insert(notification.key.clone(), seq);
            inner
                .outbox
                .insert(seq, (OutboxEntry { seq, notification }, false));
        }
        Ok(())
    }

    async fn cycles(
        &self,
        after: Option<CycleId>,
        limit: usize,
    ) -> Result<Vec<Versioned<crate::Cycle>>> {
        let inner = self.lock();
        let start = match after {
            Some(c) => std::ops::Bound::Excluded(c),
            None => std::ops::Bound::Unbounded,
        };
        Ok(inner
            .cycles
            .range((start, std::ops::Bound::Unbounded))
            .take(limit)
            .filter_map(|id| {
                inner.typed(RecordKey::Cycle(*id), |r| match r {
                    Record::Cycle(c) => Some(&**c),
                    _ => None,
                })
            })
            .collect())
    }

    async fn packets(
        &self,
        cycle: CycleId,
        after: Option<PacketId>,
        limit: usize,
    ) -> Result<Vec<Versioned<Packet>>> {
        let inner = self.lock();
        let start = match after {
            Some(p) => std::ops::Bound::Excluded((cycle, p)),
            None => std::ops::Bound::Included((cycle, PacketId::from_uuid(uuid::Uuid::nil()))),
        };
        Ok(inner
            .packets_by_cycle
            .range((start, std::ops::Bound::Unbounded))
            .take_while(|(c, _)| *c == cycle)
            .take(limit)
            .filter_map(|(_, id)| {
                inner.typed(RecordKey::Packet(*id), |r| match r {
                    Record::Packet(p) => Some(&**p),
                    _ => None,
                })
            })
            .collect())
    }

    async fn reviews_about(
        &self,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Vec<Versioned<Review>>> {
        let inner = self.lock();
        Ok(reviews_in(
            &inner,
            &inner.reviews_by_subject,
            cycle,
            subject,
        ))
    }

    async fn reviews_by(&self, cycle: CycleId, author: PersonId) -> Result<Vec<Versioned<Review>>> {
        let inner = self.lock();
        Ok(reviews_in(&inner, &inner.reviews_by_author, cycle, author))
    }

    async fn nominations(&self, packet: PacketId) -> Result<Vec<Versioned<Nomination>>> {
        let inner = self.lock();
        let nil = NominationId::from_uuid(uuid::Uuid::nil());
        Ok(inner
            .nominations_by_packet
            .range((packet, nil)..)
            .take_while(|(p, _)| *p == packet)
            .filter_map(|(_, id)| {
                inner.typed(RecordKey::Nomination(*id), |r| match r {
                    Record::Nomination(n) => Some(n),
                    _ => None,
                })
            })
            .collect())
    }

    async fn calibrations(&self, cycle: CycleId) -> Result<Vec<Versioned<CalibrationSession>>> {
        let inner = self.lock();
        let nil = CalibrationSessionId::from_uuid(uuid::Uuid::nil());
        Ok(inner
            .calibrations_by_cycle
            .range((cycle, nil)..)
            .take_while(|(c, _)| *c == cycle)
            .filter_map(|(_, id)| {
                inner.typed(RecordKey::Calibration(*id), |r| match r {
                    Record::Calibration(c) => Some(c),
                    _ => None,
                })
            })
            .collect())
    }

    async fn events(
        &self,
        cycle: CycleId,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let inner = self.lock();
        let Some(positions) = inner.events_by_cycle.get(&cycle) else {
            return Ok(Vec::new());
        };
        let after = after.unwrap_or(0);
        let start = positions.partition_point(|&i| inner.events[i].seq <= after);
        Ok(positions[start..]
            .iter()
            .take(limit)
            .map(|&i| inner.events[i].clone())
            .collect())
    }

    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        Ok(self
            .lock()
            .outbox
            .values()
            .filter(|(_, delivered)| !delivered)
            .take(limit)
            .map(|(e, _)| e.clone())
            .collect())
    }

    async fn mark_delivered(&self, key: &str) -> Result<()> {
        let mut inner = self.lock();
        if let Some(seq) = inner.outbox_keys.get(key).copied()
            && let Some(entry) = inner.outbox.get_mut(&seq)
        {
            entry.1 = true;
        }
        Ok(())
    }
}

fn reviews_in(
    inner: &Inner,
    index: &BTreeSet<(CycleId, PersonId, ReviewId)>,
    cycle: CycleId,
    person: PersonId,
) -> Vec<Versioned<Review>> {
    let nil = ReviewId::from_uuid(uuid::Uuid::nil());
    index
        .range((cycle, person, nil)..)
        .take_while(|(c, p, _)| *c == cycle && *p == person)
        .filter_map(|(_, _, id)| inner.review(*id))
        .collect()
}
