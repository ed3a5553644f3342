//! Accumulates one command's writes, the versions it relied on, events and notifications, and
//! turns them into one [`Commit`].

use std::collections::BTreeMap;

use crate::domain::id::IdMap;

use uuid::Uuid;

use crate::domain::event::Event;
use crate::domain::notification::{Notification, NotificationKind};
use crate::domain::workflow::Outcome;
use crate::plugin::{Commit, Expect, Record, RecordKey, Write};
use crate::{CycleId, PersonId};

#[derive(Debug)]
pub(crate) struct Tx {
    id: Uuid,
    reads: BTreeMap<RecordKey, Expect>,
    writes: Vec<Write>,
    /// Position of each key's write in `writes` (a launch puts hundreds of thousands).
    written: IdMap<RecordKey, usize>,
    events: Vec<Event>,
    outbox: Vec<Notification>,
}

impl Tx {
    pub(crate) fn new() -> Self {
        Self::with_capacity(0, 0)
    }

    /// A transaction with room for `writes` writes and `events` events (for a launch).
    pub(crate) fn with_capacity(writes: usize, events: usize) -> Self {
        Self {
            id: Uuid::new_v4(),
            reads: BTreeMap::new(),
            writes: Vec::with_capacity(writes),
            written: IdMap::default(),
            events: Vec::with_capacity(events),
            outbox: Vec::new(),
        }
    }

    /// The command relied on `key` being as `expect`: unless it is also written, the commit
    /// checks it.
    pub(crate) fn read(&mut self, key: RecordKey, expect: Expect) {
        self.reads.entry(key).or_insert(expect);
    }

    /// Stores `record`, expecting the version it was read at (`Absent` for a new one).
    pub(crate) fn put(&mut self, record: Record, expect: Expect) {
        let key = record.key();
        let expect = self.reads.get(&key).copied().unwrap_or(expect);
        self.write(key, Write::Put { record, expect });
    }

    /// Stores a record this command created under a fresh id (never read, never written
    /// before in this transaction): no index entry, which matters at a launch's hundreds of
    /// thousands of records. Were the id not fresh after all, the storage would refuse the
    /// commit for writing one key twice.
    pub(crate) fn put_fresh(&mut self, record: Record) {
        self.writes.push(Write::Put {
            record,
            expect: Expect::Absent,
        });
    }

    /// Adds what a core rule decided: changed records at the version `version` gives for their
    /// key (a key it does not know is expected absent, so the commit fails rather than
    /// overwrite), new reviews, the events, and a notification for each notice.
    pub(crate) fn apply(&mut self, outcome: Outcome, version: impl Fn(RecordKey) -> Option<u64>) {
        let changed = outcome
            .packets
            .into_iter()
            .map(Record::from)
            .chain(outcome.reviews.into_iter().map(Record::from))
            .chain(outcome.nominations.into_iter().map(Record::from));
        for record in changed {
            let expect = version(record.key()).map_or(Expect::Absent, Expect::Version);
            self.put(record, expect);
        }
        for review in outcome.new_reviews {
            self.put(Record::from(review), Expect::Absent);
        }
        for notice in &outcome.notices {
            if let Some(event) = outcome.events.get(notice.event) {
                self.notify(
                    notice.recipient,
                    notice.kind,
                    event.cycle,
                    Some(notice.subject),
                    event,
                );
            }
        }
        self.events(outcome.events);
    }

    pub(crate) fn delete(&mut self, key: RecordKey, version: u64) {
        self.write(key, Write::Delete { key, version });
    }

    /// One write per key: a later write of the same key replaces the earlier one.
    fn write(&mut self, key: RecordKey, write: Write) {
        match self.written.get(&key) {
            Some(&i) => self.writes[i] = write,
            None => {
                self.written.insert(key, self.writes.len());
                self.writes.push(write);
            }
        }
    }

    pub(crate) fn event(&mut self, event: Event) {
        self.events.push(event);
    }

    pub(crate) fn events(&mut self, events: impl IntoIterator<Item = Event>) {
        self.events.extend(events);
    }

    /// Queues a notification about `event` (with an idempotency key unique to this commit and
    /// position).
    pub(crate) fn notify(
        &mut self,
        recipient: PersonId,
        kind: NotificationKind,
        cycle: Option<CycleId>,
        subject: Option<PersonId>,
        event: &Event,
    ) {
        let key = format!("{}/{}", self.id, self.outbox.len());
        self.outbox.push(Notification {
            key,
            recipient,
            kind,
            cycle,
            subject,
            event: event.clone(),
        });
    }

    /// The commit: the writes in the order made, then a check of each key read and not
    /// written (appended, so that a launch's hundreds of thousands of writes are not moved).
    pub(crate) fn into_commit(self) -> Commit {
        let mut writes = self.writes;
        for (key, expect) in &self.reads {
            if !self.written.contains_key(key) {
                writes.push(Write::Check {
                    key: *key,
                    expect: *expect,
                });
            }
        }
        Commit {
            writes,
            events: self.events,
            outbox: self.outbox,
        }
    }
}
