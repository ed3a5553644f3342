use std::fmt::{self, Debug};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::event::Event;
use crate::domain::notification::Notification;
use crate::domain::progress::Tally;
use crate::{
    CalibrationSession, CalibrationSessionId, Cycle, CycleId, Error, Grants, Nomination,
    NominationId, OrgChange, OrgHead, OrgSnapshot, Packet, PacketId, PersonId, Progress, ReceiptId,
    Result, Review, ReviewId, Template, TemplateId,
};

/// Names one stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum RecordKey {
    /// A cycle.
    Cycle(CycleId),
    /// The org snapshot of a cycle, as stored at launch.
    Snapshot(CycleId),
    /// The head of a cycle's org log: its version counts the changes since launch.
    OrgHead(CycleId),
    /// One change in a cycle's org log.
    OrgChange {
        /// The cycle.
        cycle: CycleId,
        /// Its number in the log, from 1.
        seq: u64,
    },
    /// A packet.
    Packet(PacketId),
    /// A review.
    Review(ReviewId),
    /// A nomination.
    Nomination(NominationId),
    /// A calibration session.
    Calibration(CalibrationSessionId),
    /// A question template.
    Template(TemplateId),
    /// The grants (one record for the whole store).
    Grants,
    /// The receipt of a command run under an idempotency key.
    Receipt(ReceiptId),
}

impl RecordKey {
    /// The kind of record, for messages (`cycle`, `packet`, ...).
    #[must_use]
    pub const fn what(&self) -> &'static str {
        match self {
            Self::Cycle(_) => "cycle",
            Self::Snapshot(_) => "org snapshot",
            Self::OrgHead(_) => "org log",
            Self::OrgChange { .. } => "org change",
            Self::Packet(_) => "packet",
            Self::Review(_) => "review",
            Self::Nomination(_) => "nomination",
            Self::Calibration(_) => "calibration session",
            Self::Template(_) => "template",
            Self::Grants => "grants",
            Self::Receipt(_) => "receipt",
        }
    }

    /// The id as text (`grants` for the grants record).
    #[must_use]
    pub fn id_string(&self) -> String {
        match self {
            Self::Cycle(id) | Self::Snapshot(id) | Self::OrgHead(id) => id.to_string(),
            Self::OrgChange { cycle, seq } => format!("{cycle}/{seq}"),
            Self::Packet(id) => id.to_string(),
            Self::Review(id) => id.to_string(),
            Self::Nomination(id) => id.to_string(),
            Self::Calibration(id) => id.to_string(),
            Self::Template(id) => id.to_string(),
            Self::Grants => "grants".to_owned(),
            Self::Receipt(id) => id.to_string(),
        }
    }

    /// The [`Error::Conflict`] for this record.
    #[must_use]
    pub fn conflict(&self) -> Error {
        Error::Conflict {
            what: self.what(),
            id: self.id_string(),
        }
    }

    /// The [`Error::NotFound`] for this record.
    #[must_use]
    pub fn not_found(&self) -> Error {
        Error::NotFound {
            what: self.what(),
            id: self.id_string(),
        }
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.what(), self.id_string())
    }
}

/// A stored record.
///
/// Each kind is boxed, so a record is two words whatever its kind: a launch's commit lists
/// hundreds of thousands of them. Build one with `Record::from(packet)` (every record type
/// converts); the boxes are invisible in serialised form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "kind", content = "record")]
pub enum Record {
    /// A cycle.
    Cycle(Box<Cycle>),
    /// A cycle's org snapshot as at launch (later changes are in its org log).
    Snapshot {
        /// The cycle.
        cycle: CycleId,
        /// The snapshot.
        snapshot: Box<OrgSnapshot>,
    },
    /// The head of a cycle's org log.
    OrgHead(Box<OrgHead>),
    /// A change in a cycle's org log.
    OrgChange(Box<OrgChange>),
    /// A packet.
    Packet(Box<Packet>),
    /// A review.
    Review(Box<Review>),
    /// A nomination.
    Nomination(Box<Nomination>),
    /// A calibration session.
    Calibration(Box<CalibrationSession>),
    /// A question template.
    Template(Box<Template>),
    /// The grants.
    Grants(Box<Grants>),
    /// The receipt of a command run under an idempotency key.
    Receipt(Box<Receipt>),
}

/// What a command run under a client's idempotency key
/// ([`Engine::with_key`](crate::Engine::with_key)) returned, stored in the command's own
/// commit: a retry with the same key finds it and returns the same outcome instead of running
/// the command again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Receipt {
    /// Its id ([`ReceiptId::of`] the actor and the key).
    pub id: ReceiptId,
    /// The command's outcome, as JSON: exactly what the command returned to its actor.
    pub outcome: serde_json::Value,
    /// When the command ran.
    pub at: chrono::DateTime<chrono::Utc>,
}

macro_rules! record_from {
    ($($variant:ident($ty:ty)),* $(,)?) => {$(
        impl From<$ty> for Record {
            fn from(value: $ty) -> Self {
                Self::$variant(value.into())
            }
        }
    )*};
}

record_from!(
    Cycle(Cycle),
    Packet(Packet),
    Review(Review),
    Nomination(Nomination),
    Calibration(CalibrationSession),
    Template(Template),
    Grants(Grants),
    Receipt(Receipt),
    OrgHead(OrgHead),
    OrgChange(OrgChange),
);

impl Record {
    /// The record's key.
    #[must_use]
    pub fn key(&self) -> RecordKey {
        match self {
            Self::Cycle(c) => RecordKey::Cycle(c.id()),
            Self::Snapshot { cycle, .. } => RecordKey::Snapshot(*cycle),
            Self::OrgHead(h) => RecordKey::OrgHead(h.cycle),
            Self::OrgChange(c) => RecordKey::OrgChange {
                cycle: c.cycle,
                seq: c.seq,
            },
            Self::Packet(p) => RecordKey::Packet(p.id()),
            Self::Review(r) => RecordKey::Review(r.id()),
            Self::Nomination(n) => RecordKey::Nomination(n.id()),
            Self::Calibration(c) => RecordKey::Calibration(c.id()),
            Self::Template(t) => RecordKey::Template(t.id),
            Self::Grants(_) => RecordKey::Grants,
            Self::Receipt(r) => RecordKey::Receipt(r.id),
        }
    }
}

/// A value with the version it was stored at. Versions start at 1 and grow by one per write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Versioned<T> {
    /// The version read.
    pub version: u64,
    /// The value.
    pub record: T,
}

/// What a commit expects of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// It does not exist.
    Absent,
    /// It exists at exactly this version.
    Version(u64),
}

/// One part of a [`Commit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Write {
    /// Store the record (create with `Absent`, update with `Version`).
    Put {
        /// The new value.
        record: Record,
        /// What must hold before.
        expect: Expect,
    },
    /// Delete the record, which must be at this version.
    Delete {
        /// Which record.
        key: RecordKey,
        /// Its version.
        version: u64,
    },
    /// Change nothing, but fail the commit unless the record is as expected: for records a
    /// command read and relied on (the cycle's lock, the grants) without changing them.
    Check {
        /// Which record.
        key: RecordKey,
        /// What must hold.
        expect: Expect,
    },
}

impl Write {
    /// The key this write is about.
    #[must_use]
    pub fn key(&self) -> RecordKey {
        match self {
            Self::Put { record, .. } => record.key(),
            Self::Delete { key, .. } | Self::Check { key, .. } => *key,
        }
    }
}

/// Everything one command writes, atomically: records, the audit events, the outbox.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Commit {
    /// Record writes and checks; at most one per key.
    pub writes: Vec<Write>,
    /// Audit events, in order.
    pub events: Vec<Event>,
    /// Notifications to deliver after the commit; keys unique across the store.
    pub outbox: Vec<Notification>,
}

/// An audit event with the sequence number storage gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StoredEvent {
    /// Increasing across the whole store, in commit order.
    pub seq: u64,
    /// The event.
    pub event: Event,
}

/// A notification waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OutboxEntry {
    /// Increasing across the whole store, in commit order.
    pub seq: u64,
    /// The notification.
    pub notification: Notification,
}

/// An engine's hold on outbox entries while it hands them to the notifier: who holds them and
/// until when. Each engine claims with its own id; an entry whose claim has ended (a crashed or
/// stuck engine) is free to claim again, so no notification is stranded, and two engines never
/// hold one entry at once, so none is handed over twice while both are alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Claim {
    /// The claiming engine.
    pub by: uuid::Uuid,
    /// When the claim is made: entries whose earlier claim ended by then are free.
    pub at: chrono::DateTime<chrono::Utc>,
    /// When the claim ends unless the entry is delivered first.
    pub until: chrono::DateTime<chrono::Utc>,
}

impl Claim {
    /// Whether an entry held by `held` (claimant and end) is free for this claim.
    #[must_use]
    pub fn frees(&self, held: Option<(uuid::Uuid, chrono::DateTime<chrono::Utc>)>) -> bool {
        held.is_none_or(|(_, until)| until <= self.at)
    }
}

/// Versioned records, the audit log and the outbox.
///
/// # Contract
///
/// - **Versions.** A record created by a commit is at version 1; every later `Put` stores it
///   at the expected version + 1. `get` returns the record with its current version.
/// - **Atomicity.** [`commit`](Self::commit) applies all of its writes, appends all of its
///   events and outbox entries, or does nothing at all. If any write's expectation does not
///   hold (a `Put` with `Absent` on an existing record, any version that is not the current
///   one, a `Delete` or `Check` that does not match) the commit fails with
///   [`Error::Conflict`] naming that record and writes nothing: no record, no event, no
///   outbox entry. Two writes to one key, or an outbox key already used, are
///   [`Error::Invalid`] and write nothing.
/// - **Isolation.** Commits are serializable: the final state equals some serial order of the
///   accepted commits. Concurrent commits on overlapping records: at most one of those expecting
///   the same version succeeds.
/// - **Not found** is `Ok(None)` from `get` and empty lists from the listing methods, never an
///   error.
/// - **Order.** Events and outbox entries get sequence numbers increasing in commit order (and
///   in order within a commit). `events` pages by `after` (exclusive) in that order; `cycles`
///   and `packets` page by id.
/// - **Outbox.** `pending_outbox` lists entries not yet marked delivered, oldest first;
///   `mark_delivered` is idempotent and unknown keys are ignored.
/// - **Claims.** `claim_pending` and `claim_keys` take only pending entries that no claim holds
///   at the claim's time (never claimed, released, or claimed until no later than
///   [`Claim::at`]), and atomically: two claims racing never both get one entry.
///   `release_claim` frees an entry only for the claim that holds it. A delivered entry is
///   never claimed.
/// - **Derived reads.** The provided methods ([`version`](Self::version),
///   [`versions`](Self::versions), [`progress`](Self::progress)) may be overridden for speed,
///   but must answer exactly what `get` and `packets` imply at that moment.
/// - **Errors** of the backend itself are [`Error::Backend`] with the original as source.
///
/// [`testkit`](crate::testkit) (feature `testkit`) checks all of this against any
/// implementation.
#[async_trait]
pub trait Storage: Send + Sync + Debug + 'static {
    /// The record with this key and its version.
    async fn get(&self, key: RecordKey) -> Result<Option<Versioned<Record>>>;

    /// Just the record's current version (`None`: absent). Provided through
    /// [`get`](Self::get); backends override it with a cheap lookup, because the engine asks it
    /// on every command to reuse its cached copies of large records (the cycle, the org
    /// snapshot) for as long as they do not change.
    async fn version(&self, key: RecordKey) -> Result<Option<u64>> {
        Ok(self.get(key).await?.map(|v| v.version))
    }

    /// The current versions of several records (`None`: absent), in the order asked.
    /// Provided through [`version`](Self::version), one key at a time; backends that pay a
    /// round trip per call answer in one, because the engine asks for three (the cycle, its
    /// snapshot and the grants) at the start of every command.
    async fn versions(&self, keys: &[RecordKey]) -> Result<Vec<Option<u64>>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.version(*key).await?);
        }
        Ok(out)
    }

    /// Applies a commit atomically (see the contract).
    async fn commit(&self, commit: Commit) -> Result<()>;

    /// Cycles ordered by id, those after `after`, at most `limit`.
    async fn cycles(&self, after: Option<CycleId>, limit: usize) -> Result<Vec<Versioned<Cycle>>>;

    /// The ids of [`cycles`](Self::cycles), without reading the records: queries that visit
    /// every cycle read each through the engine's cache instead.
    ///
    /// Provided: through [`cycles`](Self::cycles); backends override it with a listing of
    /// keys, as [`IndexedMemoryStorage`](crate::memory::IndexedMemoryStorage) and SQLite do.
    async fn cycle_ids(&self, after: Option<CycleId>, limit: usize) -> Result<Vec<CycleId>> {
        Ok(self
            .cycles(after, limit)
            .await?
            .iter()
            .map(|c| c.record.id())
            .collect())
    }

    /// Packets of a cycle ordered by id, those after `after`, at most `limit`.
    async fn packets(
        &self,
        cycle: CycleId,
        after: Option<PacketId>,
        limit: usize,
    ) -> Result<Vec<Versioned<Packet>>>;

    /// Counts over a cycle's packets, for progress reports: packets per state and their
    /// reviews per kind, withdrawn packets counted apart. `overdue` is left at zero: it
    /// depends on the clock, and the engine fills it in.
    ///
    /// Provided: pages through [`packets`](Self::packets), so it costs a read of every packet.
    /// A backend may instead keep the counts up to date as it commits, as [`IndexedMemoryStorage`]
    /// does, making a progress report O(1); the [`testkit`](crate::testkit) checks the counts
    /// against the packets.
    ///
    /// [`IndexedMemoryStorage`]: crate::memory::IndexedMemoryStorage
    async fn progress(&self, cycle: CycleId) -> Result<Progress> {
        const PAGE: usize = 1_000;
        let mut tally = Tally::default();
        let mut after = None;
        loop {
            let page = self.packets(cycle, after, PAGE).await?;
            for p in &page {
                tally.add_packet(&p.record);
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.record.id()),
                _ => return Ok(tally.progress()),
            }
        }
    }

    /// Reviews about `subject` in `cycle`, ordered by id.
    async fn reviews_about(
        &self,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Vec<Versioned<Review>>>;

    /// Reviews written by `author` in `cycle`, ordered by id.
    async fn reviews_by(&self, cycle: CycleId, author: PersonId) -> Result<Vec<Versioned<Review>>>;

    /// For each of `subjects` with a review in `cycle`, in the order asked: the packet of
    /// their first review and the reviews about them, ordered by id; only the submitted ones
    /// when `submitted_only` (all anyone but their authors may read). Subjects without such a
    /// review are left out. Screen queries read many participants at once through it.
    ///
    /// Provided: [`reviews_about`](Self::reviews_about) and [`get`](Self::get) per subject.
    /// [`IndexedMemoryStorage`](crate::memory::IndexedMemoryStorage) answers under one lock,
    /// the SQL stores with two queries per 500 subjects (their reviews, then their packets);
    /// the [`testkit`](crate::testkit) checks an override against `reviews_about`.
    async fn subjects(
        &self,
        cycle: CycleId,
        subjects: &[PersonId],
        submitted_only: bool,
    ) -> Result<Vec<(Versioned<Packet>, Vec<Versioned<Review>>)>> {
        let mut out = Vec::with_capacity(subjects.len());
        for &subject in subjects {
            let mut reviews = self.reviews_about(cycle, subject).await?;
            if submitted_only {
                reviews.retain(|r| r.record.state() == crate::ReviewState::Submitted);
            }
            let Some(first) = reviews.first() else {
                continue;
            };
            let key = RecordKey::Packet(first.record.packet());
            let packet = unpack(key, self.get(key).await?, |r| match r {
                Record::Packet(p) => Some(*p),
                _ => None,
            })?;
            out.push((packet, reviews));
        }
        Ok(out)
    }

    /// What [`subjects`](Self::subjects) answers, lent to `visit` one subject at a time, in
    /// the order asked, until `visit` returns `false`: the packet and the reviews about the
    /// subject, ordered by id, by reference. Screen queries read many participants through
    /// it, so a store that can lend its records spares copying each of them.
    ///
    /// `visit` may run while the store holds a lock: it must not call the storage.
    ///
    /// Provided: [`subjects`](Self::subjects), then `visit` over the copies.
    /// [`IndexedMemoryStorage`](crate::memory::IndexedMemoryStorage) lends its own records
    /// under one lock; the [`testkit`](crate::testkit) checks an override against
    /// `reviews_about`, stopping included.
    async fn visit_subjects(
        &self,
        cycle: CycleId,
        subjects: &[PersonId],
        submitted_only: bool,
        visit: &mut (dyn for<'r> FnMut(&'r Packet, &'r [&'r Review]) -> bool + Send),
    ) -> Result<()> {
        for (packet, reviews) in self.subjects(cycle, subjects, submitted_only).await? {
            let reviews: Vec<&Review> = reviews.iter().map(|r| &r.record).collect();
            if !visit(&packet.record, &reviews) {
                break;
            }
        }
        Ok(())
    }

    /// Nominations of a packet, ordered by id.
    async fn nominations(&self, packet: PacketId) -> Result<Vec<Versioned<Nomination>>>;

    /// The packets of `cycle` that name `person` as manager reviewer, former manager,
    /// additional manager, cycle viewer or sharing user ([`Packet::names`]), ordered by id: the
    /// packets whose reviews a person may read, or whose results they may share, through an
    /// assignment rather than the org chart or a grant.
    ///
    /// Provided: pages through [`packets`](Self::packets), so it costs a read of every packet
    /// of the cycle. [`IndexedMemoryStorage`](crate::memory::IndexedMemoryStorage) keeps an
    /// index and answers in proportion to the answer; the [`testkit`](crate::testkit) checks an
    /// override against the packets.
    async fn packets_naming(
        &self,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Vec<Versioned<Packet>>> {
        const PAGE: usize = 1_000;
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self.packets(cycle, after, PAGE).await?;
            let full = page.len() == PAGE;
            after = page.last().map(|last| last.record.id());
            out.extend(page.into_iter().filter(|p| p.record.names(person)));
            if !full {
                return Ok(out);
            }
        }
    }

    /// The nominations of `cycle` that nominate `nominee`, in any state, ordered by id.
    ///
    /// Provided: reads the nominations of every packet of the cycle. Backends override it with
    /// an index, as [`IndexedMemoryStorage`](crate::memory::IndexedMemoryStorage) does.
    async fn nominations_of(
        &self,
        cycle: CycleId,
        nominee: PersonId,
    ) -> Result<Vec<Versioned<Nomination>>> {
        const PAGE: usize = 1_000;
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self.packets(cycle, after, PAGE).await?;
            for p in &page {
                out.extend(
                    self.nominations(p.record.id())
                        .await?
                        .into_iter()
                        .filter(|n| n.record.nominee() == nominee),
                );
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.record.id()),
                _ => break,
            }
        }
        out.sort_by_key(|n| n.record.id());
        Ok(out)
    }

    /// The changes of `cycle`'s org log numbered `after + 1 ..= upto`, in order; those not
    /// stored are left out. An engine that holds the org at version `after` and reads the
    /// [`OrgHead`] at version `upto` catches up with them.
    ///
    /// Provided: one [`get`](Self::get) per change. Backends with a round trip per call
    /// override it with one query, as SQLite and PostgreSQL do.
    async fn org_changes(&self, cycle: CycleId, after: u64, upto: u64) -> Result<Vec<OrgChange>> {
        let mut out = Vec::new();
        let mut seq = after;
        while seq < upto {
            seq += 1;
            let key = RecordKey::OrgChange { cycle, seq };
            match self.get(key).await? {
                Some(Versioned {
                    record: Record::OrgChange(change),
                    ..
                }) => out.push(*change),
                Some(_) => {
                    return Err(Error::Backend {
                        source: format!("{key} holds another kind of record").into(),
                    });
                }
                None => {}
            }
        }
        Ok(out)
    }

    /// Calibration sessions of a cycle, ordered by id.
    async fn calibrations(&self, cycle: CycleId) -> Result<Vec<Versioned<CalibrationSession>>>;

    /// Audit events of a cycle with `seq > after`, in order, at most `limit`.
    async fn events(
        &self,
        cycle: CycleId,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>>;

    /// Audit events of no cycle (grants, custom roles, templates) with `seq > after`, in
    /// order, at most `limit`.
    async fn store_events(&self, after: Option<u64>, limit: usize) -> Result<Vec<StoredEvent>>;

    /// Outbox entries not yet delivered, oldest first, at most `limit`.
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>>;

    /// Marks the entry with this key delivered (idempotent).
    async fn mark_delivered(&self, key: &str) -> Result<()>;

    /// Claims, for `claim`, up to `limit` pending entries that no claim holds at
    /// [`Claim::at`], oldest first, and returns them.
    async fn claim_pending(&self, claim: Claim, limit: usize) -> Result<Vec<OutboxEntry>>;

    /// Claims, for `claim`, the pending entries with these keys that no claim holds at
    /// [`Claim::at`]; returns the keys it claimed (unknown, delivered and held keys are left
    /// out).
    async fn claim_keys(&self, claim: Claim, keys: &[String]) -> Result<Vec<String>>;

    /// Frees the entry with this key if `claim` (same claimant and end) holds it, so that the
    /// next claim may take it; otherwise does nothing.
    async fn release_claim(&self, claim: Claim, key: &str) -> Result<()>;
}

macro_rules! forward_storage {
    ($ty:ty) => {
        #[async_trait]
        impl<T: Storage + ?Sized> Storage for $ty {
            async fn get(&self, key: RecordKey) -> Result<Option<Versioned<Record>>> {
                (**self).get(key).await
            }
            async fn version(&self, key: RecordKey) -> Result<Option<u64>> {
                (**self).version(key).await
            }
            async fn versions(&self, keys: &[RecordKey]) -> Result<Vec<Option<u64>>> {
                (**self).versions(keys).await
            }
            async fn commit(&self, commit: Commit) -> Result<()> {
                (**self).commit(commit).await
            }
            async fn cycles(
                &self,
                after: Option<CycleId>,
                limit: usize,
            ) -> Result<Vec<Versioned<Cycle>>> {
                (**self).cycles(after, limit).await
            }
            async fn cycle_ids(
                &self,
                after: Option<CycleId>,
                limit: usize,
            ) -> Result<Vec<CycleId>> {
                (**self).cycle_ids(after, limit).await
            }
            async fn packets(
                &self,
                cycle: CycleId,
                after: Option<PacketId>,
                limit: usize,
            ) -> Result<Vec<Versioned<Packet>>> {
                (**self).packets(cycle, after, limit).await
            }
            async fn reviews_about(
                &self,
                cycle: CycleId,
                subject: PersonId,
            ) -> Result<Vec<Versioned<Review>>> {
                (**self).reviews_about(cycle, subject).await
            }
            async fn reviews_by(
                &self,
                cycle: CycleId,
                author: PersonId,
            ) -> Result<Vec<Versioned<Review>>> {
                (**self).reviews_by(cycle, author).await
            }
            async fn progress(&self, cycle: CycleId) -> Result<Progress> {
                (**self).progress(cycle).await
            }
            async fn subjects(
                &self,
                cycle: CycleId,
                subjects: &[PersonId],
                submitted_only: bool,
            ) -> Result<Vec<(Versioned<Packet>, Vec<Versioned<Review>>)>> {
                (**self).subjects(cycle, subjects, submitted_only).await
            }
            async fn visit_subjects(
                &self,
                cycle: CycleId,
                subjects: &[PersonId],
                submitted_only: bool,
                visit: &mut (dyn for<'r> FnMut(&'r Packet, &'r [&'r Review]) -> bool + Send),
            ) -> Result<()> {
                (**self)
                    .visit_subjects(cycle, subjects, submitted_only, visit)
                    .await
            }
            async fn nominations(&self, packet: PacketId) -> Result<Vec<Versioned<Nomination>>> {
                (**self).nominations(packet).await
            }
            async fn packets_naming(
                &self,
                cycle: CycleId,
                person: PersonId,
            ) -> Result<Vec<Versioned<Packet>>> {
                (**self).packets_naming(cycle, person).await
            }
            async fn nominations_of(
                &self,
                cycle: CycleId,
                nominee: PersonId,
            ) -> Result<Vec<Versioned<Nomination>>> {
                (**self).nominations_of(cycle, nominee).await
            }
            async fn calibrations(
                &self,
                cycle: CycleId,
            ) -> Result<Vec<Versioned<CalibrationSession>>> {
                (**self).calibrations(cycle).await
            }
            async fn org_changes(
                &self,
                cycle: CycleId,
                after: u64,
                upto: u64,
            ) -> Result<Vec<OrgChange>> {
                (**self).org_changes(cycle, after, upto).await
            }
            async fn events(
                &self,
                cycle: CycleId,
                after: Option<u64>,
                limit: usize,
            ) -> Result<Vec<StoredEvent>> {
                (**self).events(cycle, after, limit).await
            }
            async fn store_events(
                &self,
                after: Option<u64>,
                limit: usize,
            ) -> Result<Vec<StoredEvent>> {
                (**self).store_events(after, limit).await
            }
            async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
                (**self).pending_outbox(limit).await
            }
            async fn claim_pending(&self, claim: Claim, limit: usize) -> Result<Vec<OutboxEntry>> {
                (**self).claim_pending(claim, limit).await
            }
            async fn claim_keys(&self, claim: Claim, keys: &[String]) -> Result<Vec<String>> {
                (**self).claim_keys(claim, keys).await
            }
            async fn release_claim(&self, claim: Claim, key: &str) -> Result<()> {
                (**self).release_claim(claim, key).await
            }
            async fn mark_delivered(&self, key: &str) -> Result<()> {
                (**self).mark_delivered(key).await
            }
        }
    };
}

forward_storage!(Arc<T>);
forward_storage!(Box<T>);

/// Unpacks a typed record, or reports it missing (or of the wrong kind).
fn unpack<T>(
    key: RecordKey,
    got: Option<Versioned<Record>>,
    pick: impl FnOnce(Record) -> Option<T>,
) -> Result<Versioned<T>> {
    let Some(Versioned { version, record }) = got else {
        return Err(key.not_found());
    };
    pick(record)
        .map(|record| Versioned { version, record })
        .ok_or_else(|| Error::Backend {
            source: format!("{key} holds another kind of record").into(),
        })
}

/// Checks that `log` holds exactly the changes of `cycle`'s org log numbered `at + 1 ..=
/// changes`, in order: anything else is a corrupt log.
pub(crate) fn check_log(cycle: CycleId, at: u64, log: &[OrgChange], changes: u64) -> Result<()> {
    let mut want = at;
    for change in log {
        if change.cycle != cycle || Some(change.seq) != want.checked_add(1) {
            break;
        }
        want = change.seq;
    }
    if want == changes && log.len() as u64 == changes.saturating_sub(at) {
        return Ok(());
    }
    Err(Error::Corrupt {
        record: RecordKey::OrgHead(cycle).to_string(),
        reason: format!(
            "counts {changes} changes, but change {} is missing",
            want.saturating_add(1)
        ),
    })
}

/// Applies `log`, the changes of `cycle`'s org log after the first `at`, to `org`, which then
/// holds all `changes` of them ([`check_log`]).
fn catch_up(
    cycle: CycleId,
    org: &mut OrgSnapshot,
    at: u64,
    log: &[OrgChange],
    changes: u64,
) -> Result<()> {
    check_log(cycle, at, log, changes)?;
    apply_log(cycle, org, log)
}

/// Applies a checked `log` of `cycle` to `org`, in order; a change that does not apply is a
/// corrupt log.
pub(crate) fn apply_log(cycle: CycleId, org: &mut OrgSnapshot, log: &[OrgChange]) -> Result<()> {
    for change in log {
        change.edit.apply(org).map_err(|e| Error::Corrupt {
            record: RecordKey::OrgChange {
                cycle,
                seq: change.seq,
            }
            .to_string(),
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

/// Typed conveniences over [`Storage::get`], for every storage.
#[async_trait]
pub trait StorageExt: Storage {
    /// The cycle, or [`Error::NotFound`].
    async fn cycle(&self, id: CycleId) -> Result<Versioned<Cycle>> {
        let key = RecordKey::Cycle(id);
        unpack(key, self.get(key).await?, |r| match r {
            Record::Cycle(c) => Some(*c),
            _ => None,
        })
    }

    /// The packet, or [`Error::NotFound`].
    async fn packet(&self, id: PacketId) -> Result<Versioned<Packet>> {
        let key = RecordKey::Packet(id);
        unpack(key, self.get(key).await?, |r| match r {
            Record::Packet(p) => Some(*p),
            _ => None,
        })
    }

    /// The review, or [`Error::NotFound`].
    async fn review(&self, id: ReviewId) -> Result<Versioned<Review>> {
        let key = RecordKey::Review(id);
        unpack(key, self.get(key).await?, |r| match r {
            Record::Review(r) => Some(*r),
            _ => None,
        })
    }

    /// The nomination, or [`Error::NotFound`].
    async fn nomination(&self, id: NominationId) -> Result<Versioned<Nomination>> {
        let key = RecordKey::Nomination(id);
        unpack(key, self.get(key).await?, |r| match r {
            Record::Nomination(n) => Some(*n),
            _ => None,
        })
    }

    /// The template, or [`Error::NotFound`].
    async fn template(&self, id: TemplateId) -> Result<Versioned<Template>> {
        let key = RecordKey::Template(id);
        unpack(key, self.get(key).await?, |r| match r {
            Record::Template(t) => Some(*t),
            _ => None,
        })
    }

    /// The cycle's org snapshot as stored at launch, or [`Error::NotFound`] (a draft has
    /// none). Later changes are in the cycle's org log: [`org`](Self::org) applies them.
    async fn snapshot(&self, cycle: CycleId) -> Result<Versioned<OrgSnapshot>> {
        let key = RecordKey::Snapshot(cycle);
        unpack(key, self.get(key).await?, |r| match r {
            Record::Snapshot { snapshot, .. } => Some(*snapshot),
            _ => None,
        })
    }

    /// The cycle's org as it is now: the snapshot stored at launch with every change of the
    /// cycle's org log applied, at the number of changes applied (the [`OrgHead`]'s version;
    /// 0 before the first). [`Error::NotFound`] for a draft, which has none.
    async fn org(&self, cycle: CycleId) -> Result<Versioned<OrgSnapshot>> {
        let changes = self.version(RecordKey::OrgHead(cycle)).await?.unwrap_or(0);
        let mut org = self.snapshot(cycle).await?.record;
        let log = self.org_changes(cycle, 0, changes).await?;
        catch_up(cycle, &mut org, 0, &log, changes)?;
        Ok(Versioned {
            version: changes,
            record: org,
        })
    }

    /// The grants, with the [`Expect`] a commit relying on them must carry (`Absent` while
    /// none were ever stored).
    async fn grants(&self) -> Result<(Expect, Grants)> {
        match self.get(RecordKey::Grants).await? {
            Some(Versioned {
                version,
                record: Record::Grants(grants),
            }) => Ok((Expect::Version(version), *grants)),
            Some(_) => Err(Error::Backend {
                source: "the grants key holds another kind of record".into(),
            }),
            None => Ok((Expect::Absent, Grants::new())),
        }
    }
}

impl<S: Storage + ?Sized> StorageExt for S {}
