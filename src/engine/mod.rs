//! The engine: the thin async shell around the pure core.
//!
//! Every command takes the acting person, loads what it needs through [`Storage`], asks the
//! core (authorize with [`decide`](crate::access::decide), then transition), and writes
//! everything in **one** [`Commit`](crate::plugin::Commit): the changed records at the
//! versions they were read, a version check of every record the decision relied on (the cycle
//! with its lock, the grants, the org snapshot, the packet), the audit events, and the outbox.
//! Only then are the new notifications handed to the [`Notifier`].
//!
//! So a command that is denied, invalid, refers to something missing, or loses a race changes
//! nothing at all; and a concurrent lock, grant revocation or manager change makes a command
//! that decided on the old state fail with [`Error::Conflict`] instead of landing.
//!
//! Reads go through the permission engine too: [`Engine::read_review`] hides the author when
//! the decision says so, [`Engine::reviews_about`] lists only what the reader may read.

/// Returns early from a command with the outcome its first run stored, when the engine handle
/// carries an idempotency key that already ran ([`Engine::with_key`]).
macro_rules! replay {
    ($engine:expr, $actor:expr) => {
        if let Some(done) = $engine.replay($actor).await? {
            return Ok(done);
        }
    };
}

mod calibration;
mod changes;
mod cycles;
mod execute;
mod grants;
mod limits;
mod nominations;
mod outcome;
mod packets;
mod preview;
mod queries;
mod reads;
mod results;
mod retry;
mod tick;
mod tx;

use crate::ReceiptId;
use crate::plugin::{Claim, Commit, Receipt};
pub use execute::{Command, Outcome, Query};
pub use limits::Limits;
pub use outcome::{Delivery, LaunchReport, TickReport};
pub use retry::retry_conflicts;
use serde::Serialize;
use serde::de::DeserializeOwned;

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use futures_util::future::join;

use crate::access::{Action, Context, Target, authorize, authorize_review, decide};
use crate::domain::notification::Notification;
use crate::domain::template::AnswerCheck;
use crate::memory::{IndexedMemoryStorage, RecordingNotifier, StaticDirectory};
use crate::plugin::{
    Clock, Directory, Expect, Notifier, Record, RecordKey, Storage, StorageExt, SystemClock,
    Versioned,
};
use crate::views::{self, ReviewView};
use crate::{
    Answers, CalibrationSession, CalibrationSessionId, Cycle, CycleId, CycleState,
    DefaultAdditionalManagers, Error, Event, Grants, Nomination, NominationId, OrgChange, OrgEdit,
    OrgHead, OrgSnapshot, Packet, PacketId, PersonId, Result, Review, ReviewId, ReviewKind,
};
use tx::Tx;

/// How many accepted but unmarked notification keys the engine remembers, to mark them
/// without handing them over again.
const REMEMBERED_UNMARKED: usize = 65_536;
/// How long an engine holds the outbox entries it hands to the notifier, by default.
const DEFAULT_DELIVERY_LEASE: chrono::Duration = chrono::Duration::minutes(2);
/// Page size when the engine walks a cycle's packets.
const PAGE: usize = 1_000;

/// The review-cycle engine. Cheap to share behind an `Arc` or to clone (clones share
/// everything); every method takes `&self`.
///
/// ```
/// use appraise::memory::StaticDirectory;
/// use appraise::{AdminGrant, CycleConfig, Engine, Period, Person, PersonId};
/// use chrono::{Duration, NaiveDate};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), appraise::Error> {
/// let (kim, bo, ann) = (PersonId::from_key("kim"), PersonId::from_key("bo"), PersonId::from_key("ann"));
/// let directory = StaticDirectory::new(
///     vec![Person::new(kim, "kim"), Person::new(bo, "bo"), Person::new(ann, "ann").with_manager(bo)],
///     vec![],
/// );
/// // In-memory storage, a recording notifier and the system clock by default.
/// let engine = Engine::builder().directory(directory).build();
/// engine.bootstrap_admin(kim, AdminGrant { since: engine.now() - Duration::days(1), past_cycles: false }).await?;
///
/// let period = Period { start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), end: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap() };
/// let cycle = engine.create_cycle(kim, CycleConfig::new("H1", period)).await?;
/// engine.add_participants(kim, cycle.id(), [ann]).await?;
/// engine.launch(kim, cycle.id()).await?;
///
/// // ann may not share her own results: the engine says why.
/// let packet = engine.packet_of(kim, cycle.id(), ann).await?;
/// let err = engine.share(ann, packet.id()).await.unwrap_err();
/// assert_eq!(err.to_string(), "denied: R-WRITE own packet refused: ann may not share results on their own packet");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    storage: Arc<dyn Storage>,
    notifier: Arc<dyn Notifier>,
    directory: Arc<dyn Directory>,
    clock: Arc<dyn Clock>,
    limits: Limits,
    delivery: DeliveryPolicy,
    /// This engine's id, in its claims on outbox entries.
    id: uuid::Uuid,
    /// Keys the notifier accepted whose entries could not be marked delivered yet.
    unmarked: Arc<Mutex<VecDeque<String>>>,
    /// Large records shared between commands while their version stays the same.
    cache: Arc<Mutex<Cache>>,
    /// The client's idempotency key the commands of this handle run under.
    key: Option<Arc<str>>,
    /// On a handle that tries commands without committing them
    /// ([`preview`](Engine::preview)): where the commit a command would make goes instead.
    dry_run: Option<Arc<Mutex<Option<Commit>>>>,
}

/// When and how an engine hands notifications to the notifier.
#[derive(Debug, Clone, Copy)]
struct DeliveryPolicy {
    /// Whether commands deliver their own notifications before returning.
    inline: bool,
    /// How long a claim on outbox entries lasts.
    lease: chrono::Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            inline: true,
            lease: DEFAULT_DELIVERY_LEASE,
        }
    }
}

/// A cycle and its org as last loaded: the cycle with its version, the org with the number of
/// changes of the cycle's org log it includes (the org head's version; 0 before the first).
#[derive(Debug, Clone)]
struct Cached {
    cycle: Versioned<Arc<Cycle>>,
    snapshot: Option<Versioned<Arc<OrgSnapshot>>>,
}

/// Large records kept between commands, each valid while its stored version is the one kept.
#[derive(Debug, Default)]
struct Cache {
    cycles: std::collections::HashMap<CycleId, Cached>,
    grants: Option<Versioned<Arc<Grants>>>,
}

/// Builds an [`Engine`]; every plugin defaults to the in-memory implementation.
#[derive(Debug, Default)]
#[must_use]
pub struct EngineBuilder {
    storage: Option<Arc<dyn Storage>>,
    notifier: Option<Arc<dyn Notifier>>,
    directory: Option<Arc<dyn Directory>>,
    clock: Option<Arc<dyn Clock>>,
    limits: Limits,
    delivery: DeliveryPolicy,
}

impl EngineBuilder {
    /// Commands only queue their notifications; the host hands them over with
    /// [`Engine::deliver_pending`] (from a scheduler or a background task). Use it when the
    /// notifier may be slow or hang: a command then never waits for it. By default each
    /// command delivers its own notifications after its commit, before it returns.
    pub const fn deferred_delivery(mut self) -> Self {
        self.delivery.inline = false;
        self
    }

    /// How long the engine holds the outbox entries it hands to the notifier (default two
    /// minutes). Another engine (or this one) takes over an entry once its hold ends without
    /// the entry being marked delivered: longer than the notifier's slowest delivery, short
    /// enough that a crashed engine's notifications are not held up for long.
    pub const fn delivery_lease(mut self, lease: chrono::Duration) -> Self {
        self.delivery.lease = lease;
        self
    }

    /// Uses these input limits (default: [`Limits::default`]).
    pub const fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Uses this storage (default: [`IndexedMemoryStorage`]).
    pub fn storage(mut self, storage: impl Storage) -> Self {
        self.storage = Some(Arc::new(storage));
        self
    }

    /// Uses this notifier (default: [`RecordingNotifier`]).
    pub fn notifier(mut self, notifier: impl Notifier) -> Self {
        self.notifier = Some(Arc::new(notifier));
        self
    }

    /// Uses this directory (default: an empty [`StaticDirectory`]).
    pub fn directory(mut self, directory: impl Directory) -> Self {
        self.directory = Some(Arc::new(directory));
        self
    }

    /// Uses this clock (default: [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The engine.
    #[must_use]
    pub fn build(self) -> Engine {
        Engine {
            storage: self
                .storage
                .unwrap_or_else(|| Arc::new(IndexedMemoryStorage::new())),
            notifier: self
                .notifier
                .unwrap_or_else(|| Arc::new(RecordingNotifier::new())),
            directory: self
                .directory
                .unwrap_or_else(|| Arc::new(StaticDirectory::default())),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            limits: self.limits,
            delivery: self.delivery,
            id: uuid::Uuid::new_v4(),
            unmarked: Arc::default(),
            cache: Arc::default(),
            key: None,
            dry_run: None,
        }
    }
}

/// What a cycle-level command loaded, and the versions it relies on.
struct Scope {
    cycle: Versioned<Arc<Cycle>>,
    snapshot: Option<Versioned<Arc<OrgSnapshot>>>,
    grants: Arc<Grants>,
    grants_expect: Expect,
    calibrations: Vec<CalibrationSession>,
    /// The version of each of `calibrations`, in the same order.
    calibration_versions: Vec<u64>,
    /// The current default additional managers of the subjects of past-review grants.
    additional_managers: DefaultAdditionalManagers,
    now: DateTime<Utc>,
}

impl Scope {
    fn ctx(&self) -> Context<'_> {
        let ctx = Context::new(&self.grants, self.now)
            .with_cycle(&self.cycle.record)
            .with_calibrations(&self.calibrations)
            .with_additional_managers(&self.additional_managers);
        match &self.snapshot {
            Some(s) => ctx.with_snapshot(&s.record),
            None => ctx,
        }
    }

    /// The cycle's org snapshot, when launched.
    fn org(&self) -> Option<&OrgSnapshot> {
        self.snapshot.as_ref().map(|s| &*s.record)
    }

    fn snapshot(&self) -> Result<&OrgSnapshot> {
        self.snapshot.as_ref().map(|s| &*s.record).ok_or_else(|| {
            Error::invalid(
                "cycle",
                format!("`{}` is not launched", self.cycle.record.config().name),
            )
        })
    }

    /// The review a command changed, as its actor may read it ([`views::receipt`]).
    fn receipt(&self, actor: PersonId, packet: &Packet, review: &Review) -> ReviewView {
        let d = decide(
            &self.ctx(),
            actor,
            Action::ReadReview,
            Target::Review(packet, review),
        );
        views::receipt(&self.cycle.record, self.org(), review, actor, d)
    }

    /// `Ok` when `person` is in the cycle's org snapshot and has not left: nobody else can
    /// take a role in a launched cycle (write a review, view or share results, calibrate).
    fn known(&self, person: PersonId) -> Result<()> {
        let snapshot = self.snapshot()?;
        if !snapshot.contains(person) {
            return Err(Error::invalid(
                "person",
                format!("`{person}` is not in the cycle's org snapshot"),
            ));
        }
        if snapshot.has_left(person) {
            return Err(Error::invalid(
                "person",
                format!("`{person}` has left, and takes no new role in the cycle"),
            ));
        }
        Ok(())
    }

    /// The version this scope read of a calibration session.
    fn calibration_version(&self, session: CalibrationSessionId) -> Option<u64> {
        self.calibrations
            .iter()
            .zip(&self.calibration_versions)
            .find(|(s, _)| s.id() == session)
            .map(|(_, v)| *v)
    }

    /// A new transaction that relies on the scope's versions.
    fn tx(&self) -> Tx {
        let mut tx = Tx::new();
        self.relied_on(&mut tx);
        tx
    }

    /// Records the versions every cycle-level decision relies on.
    fn relied_on(&self, tx: &mut Tx) {
        tx.read(
            RecordKey::Cycle(self.cycle.record.id()),
            Expect::Version(self.cycle.version),
        );
        tx.read(RecordKey::Grants, self.grants_expect);
        if let Some(s) = &self.snapshot {
            tx.read(
                RecordKey::OrgHead(self.cycle.record.id()),
                org_expect(s.version),
            );
        }
    }

    /// Appends `edit` to the cycle's org log in `tx`: the head moves on by one, so every
    /// command that relied on the org as it was conflicts with this one.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the cycle is not launched.
    fn change_org(&self, tx: &mut Tx, edit: OrgEdit) -> Result<()> {
        self.snapshot()?;
        let held = self.snapshot.as_ref().map_or(0, |s| s.version);
        let cycle = self.cycle.record.id();
        let seq = held.checked_add(1).ok_or_else(|| {
            Error::invalid("org", "the cycle's org log holds as many changes as it can")
        })?;
        tx.put(Record::from(OrgHead { cycle }), org_expect(held));
        tx.put(Record::from(OrgChange { cycle, seq, edit }), Expect::Absent);
        Ok(())
    }
}

/// What a commit expects of a cycle's org head when its org was read after `changes` changes
/// (no head before the first).
const fn org_expect(changes: u64) -> Expect {
    if changes == 0 {
        Expect::Absent
    } else {
        Expect::Version(changes)
    }
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    /// An engine on the in-memory defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The storage (for hosts' own reads; writes should go through commands).
    #[must_use]
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The engine's clock reading.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A handle whose commands run under the client's idempotency key `key`: the first
    /// command that lands stores what it returned in its own commit (a [`Receipt`]), and any
    /// later command through a handle with the same key, by the same actor, returns that
    /// outcome without running again. So a client that timed out may retry with the same key
    /// and never applies its command twice.
    ///
    /// A key stands for one call: reusing it for another command returns the first command's
    /// outcome, or [`Error::Invalid`] when that outcome is not of the type the other command
    /// returns. Keys are per actor, so two people's keys never meet. A refused command stores
    /// nothing: a retry runs it again. Two runs with one key racing: one lands, the other gets
    /// [`Error::Conflict`], and retrying it returns the first outcome. Reads ignore the key.
    ///
    /// ```
    /// # use appraise::{AdminGrant, CycleConfig, Engine, Period, PersonId};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), appraise::Error> {
    /// # let engine = Engine::new();
    /// # let kim = PersonId::from_key("kim");
    /// # engine.bootstrap_admin(kim, AdminGrant { since: engine.now() - chrono::Duration::days(1), past_cycles: false }).await?;
    /// # let period = Period { start: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), end: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap() };
    /// let request = engine.with_key("request-7f3a");
    /// let first = request.create_cycle(kim, CycleConfig::new("H1", period.clone())).await?;
    /// // The client timed out and retries: same key, same outcome, one cycle.
    /// let again = request.create_cycle(kim, CycleConfig::new("H1", period)).await?;
    /// assert_eq!(first.id(), again.id());
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn with_key(&self, key: impl Into<String>) -> Self {
        Self {
            key: Some(Arc::from(key.into())),
            ..self.clone()
        }
    }

    /// The cycle, its org and the grants: the cached copies when their stored versions are
    /// the ones cached (one cheap probe for all three), else freshly loaded; a cached org
    /// behind the stored one catches up through the changes since. Commits check those
    /// versions anyway.
    async fn cached(&self, id: CycleId) -> Result<(Cached, Expect, Arc<Grants>)> {
        let cycle_key = RecordKey::Cycle(id);
        let versions = self
            .storage
            .versions(&[cycle_key, RecordKey::OrgHead(id), RecordKey::Grants])
            .await?;
        let (Some(version), org_changes, grants_version) = (
            versions.first().copied().flatten(),
            versions.get(1).copied().flatten().unwrap_or(0),
            versions.get(2).copied().flatten(),
        ) else {
            return Err(cycle_key.not_found());
        };
        let (known, known_grants) = {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            let known = cache.cycles.get_mut(&id).map(|k| {
                let cycle = k.cycle.clone();
                // An org about to catch up leaves the cache, so that it is changed in place
                // rather than copied (unless a command running now still holds it).
                let snapshot = match &k.snapshot {
                    Some(s) if s.version < org_changes => k.snapshot.take(),
                    other => other.clone(),
                };
                Cached { cycle, snapshot }
            });
            (known, cache.grants.clone())
        };
        let (cycle, held) = match known {
            Some(k) if k.cycle.version == version => (k.cycle, k.snapshot),
            known => {
                let v = self.storage.cycle(id).await?;
                let cycle = Versioned {
                    version: v.version,
                    record: Arc::new(v.record),
                };
                (cycle, known.and_then(|k| k.snapshot))
            }
        };
        let snapshot = if cycle.record.state() == CycleState::Draft {
            None
        } else {
            Some(self.org_at(id, held, org_changes).await?)
        };
        let grants = match (grants_version, known_grants) {
            (None, _) => (Expect::Absent, Arc::new(Grants::new())),
            (Some(v), Some(g)) if g.version == v => (Expect::Version(v), g.record),
            (Some(_), _) => {
                let (expect, grants) = self.storage.grants().await?;
                (expect, Arc::new(grants))
            }
        };
        let cached = Cached { cycle, snapshot };
        {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache.cycles.insert(id, cached.clone());
            if let Expect::Version(version) = grants.0 {
                cache.grants = Some(Versioned {
                    version,
                    record: grants.1.clone(),
                });
            }
        }
        Ok((cached, grants.0, grants.1))
    }

    /// The org of launched cycle `id` after `changes` changes of its log: `held` when it is
    /// that one, `held` with the changes since applied when it is older, else the snapshot
    /// stored at launch with every change applied.
    async fn org_at(
        &self,
        id: CycleId,
        held: Option<Versioned<Arc<OrgSnapshot>>>,
        changes: u64,
    ) -> Result<Versioned<Arc<OrgSnapshot>>> {
        let (mut org, at) = match held {
            Some(h) if h.version == changes => return Ok(h),
            Some(h) if h.version < changes => (h.record, h.version),
            _ => (Arc::new(self.storage.snapshot(id).await?.record), 0),
        };
        let log = self.storage.org_changes(id, at, changes).await?;
        // Checked before the copy `make_mut` may make.
        crate::plugin::check_log(id, at, &log, changes)?;
        if !log.is_empty() {
            crate::plugin::apply_log(id, Arc::make_mut(&mut org), &log)?;
        }
        Ok(Versioned {
            version: changes,
            record: org,
        })
    }

    async fn scope(&self, cycle: CycleId) -> Result<Scope> {
        tracing::Span::current().record("cycle", tracing::field::display(cycle));
        // Both reads at once: on a storage with a round trip per read, a command waits for
        // one, not two.
        let (cached, calibrations) =
            join(self.cached(cycle), self.storage.calibrations(cycle)).await;
        let (Cached { cycle, snapshot }, grants_expect, grants) = cached?;
        let (calibration_versions, calibrations) = calibrations?
            .into_iter()
            .map(|v| (v.version, v.record))
            .unzip();
        let additional_managers = self.additional_managers(&grants).await?;
        Ok(Scope {
            cycle,
            snapshot,
            grants,
            grants_expect,
            calibrations,
            calibration_versions,
            additional_managers,
            now: self.clock.now(),
        })
    }

    /// Who the directory names, now, as default additional manager of each subject of a
    /// past-review grant: the relation such a grant is bound to. No directory call while no
    /// such grant exists.
    async fn additional_managers(&self, grants: &Grants) -> Result<DefaultAdditionalManagers> {
        let subjects: Vec<PersonId> = grants.past_review_subjects().collect();
        if subjects.is_empty() {
            return Ok(DefaultAdditionalManagers::default());
        }
        Ok(self
            .directory
            .people_with_ids(&subjects)
            .await?
            .into_iter()
            .filter_map(|p| Some((p.id, p.additional_manager?)))
            .collect())
    }

    async fn packet_scope(&self, packet: PacketId) -> Result<(Scope, Versioned<Packet>)> {
        let packet = self.storage.packet(packet).await?;
        let scope = self.scope(packet.record.cycle()).await?;
        Ok((scope, packet))
    }

    async fn review_scope(
        &self,
        review: ReviewId,
    ) -> Result<(Scope, Versioned<Packet>, Versioned<Review>)> {
        let review = self.storage.review(review).await?;
        // The packet and the scope of the review's cycle at once (a review is in its packet's
        // cycle; should the two ever disagree, the packet's cycle decides).
        let cycle = review.record.cycle();
        let (packet, scope) = join(
            self.storage.packet(review.record.packet()),
            self.scope(cycle),
        )
        .await;
        let packet = packet?;
        let scope = if packet.record.cycle() == cycle {
            scope?
        } else {
            self.scope(packet.record.cycle()).await?
        };
        Ok((scope, packet, review))
    }

    /// The end of a command that changes one record: `change` applied to a copy of `record`,
    /// the copy committed at the version read, with the event and the scope's checks.
    async fn commit_change<T>(
        &self,
        actor: PersonId,
        scope: &Scope,
        record: &Versioned<T>,
        change: impl FnOnce(&mut T) -> Result<Event> + Send,
    ) -> Result<T>
    where
        T: Clone + Send + Sync + Serialize,
        Record: From<T>,
    {
        let mut changed = record.record.clone();
        let event = change(&mut changed)?;
        let mut tx = scope.tx();
        tx.event(event);
        tx.put(
            Record::from(changed.clone()),
            Expect::Version(record.version),
        );
        self.finish(tx, actor, changed).await
    }

    /// `result`, with a refusal's explanation naming people by their display name from the
    /// directory where it could only show their id: a context without an org snapshot (a
    /// cycle before launch, a store-wide command) knows no names.
    pub(super) async fn named(&self, result: Result<()>) -> Result<()> {
        let Err(Error::Denied(mut explanation)) = result else {
            return result;
        };
        let unnamed = explanation.unnamed();
        if !unnamed.is_empty() {
            // Without the directory the ids stay: the refusal itself is what matters.
            if let Ok(people) = self.directory.people_with_ids(&unnamed).await {
                for person in people {
                    explanation.name_person(person.id, &person.name);
                }
            }
        }
        Err(Error::Denied(explanation))
    }

    /// A packet and its cycle's scope, once `actor` may take `action` on the packet.
    async fn authorized_packet(
        &self,
        actor: PersonId,
        packet: PacketId,
        action: Action,
    ) -> Result<(Scope, Versioned<Packet>)> {
        let (scope, packet) = self.packet_scope(packet).await?;
        authorize(&scope.ctx(), actor, action, Target::Packet(&packet.record))?;
        Ok((scope, packet))
    }

    /// A nomination, its packet and their cycle's scope, once `actor` may take `action` on
    /// the nomination.
    async fn authorized_nomination(
        &self,
        actor: PersonId,
        nomination: NominationId,
        action: Action,
    ) -> Result<(Scope, Versioned<Packet>, Versioned<Nomination>)> {
        let nomination = self.storage.nomination(nomination).await?;
        let (scope, packet) = self.packet_scope(nomination.record.packet()).await?;
        let target = Target::Nomination(&packet.record, &nomination.record);
        authorize(&scope.ctx(), actor, action, target)?;
        Ok((scope, packet, nomination))
    }

    /// A review, its packet and their cycle's scope, once `actor` may take `action` on the
    /// review (a caller who may not know of the review is told it does not exist).
    async fn authorized_review(
        &self,
        actor: PersonId,
        review: ReviewId,
        action: Action,
    ) -> Result<(Scope, Versioned<Packet>, Versioned<Review>)> {
        let (scope, packet, review) = self.review_scope(review).await?;
        authorize_review(&scope.ctx(), actor, action, &packet.record, &review.record)?;
        Ok((scope, packet, review))
    }

    /// `Ok` when the directory knows `person`.
    async fn in_directory(&self, person: PersonId) -> Result<()> {
        if self
            .directory
            .people_with_ids(&[person])
            .await?
            .iter()
            .any(|p| p.id == person)
        {
            Ok(())
        } else {
            Err(Error::invalid(
                "person",
                format!("`{person}` is not in the directory"),
            ))
        }
    }

    /// Commits `actor`'s command and returns its `outcome`; under an idempotency key the
    /// commit also stores the outcome as the key's [`Receipt`], or fails with a conflict when a
    /// run with the same key landed first.
    async fn finish<T: Serialize>(&self, mut tx: Tx, actor: PersonId, outcome: T) -> Result<T> {
        if let Some(key) = &self.key {
            let receipt = Receipt {
                id: ReceiptId::of(actor, key),
                outcome: serde_json::to_value(&outcome).map_err(|e| Error::Backend {
                    source: Box::new(e),
                })?,
                at: self.clock.now(),
            };
            tx.put(Record::from(receipt), Expect::Absent);
        }
        self.commit_and_deliver(tx).await?;
        Ok(outcome)
    }

    /// Under an idempotency key: the outcome `actor`'s first command with this key stored, if
    /// it landed.
    async fn replay<T: DeserializeOwned>(&self, actor: PersonId) -> Result<Option<T>> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        let at = RecordKey::Receipt(ReceiptId::of(actor, key));
        match self.storage.get(at).await? {
            None => Ok(None),
            Some(Versioned {
                record: Record::Receipt(receipt),
                ..
            }) => {
                tracing::Span::current().record("outcome", "replayed");
                serde_json::from_value(receipt.outcome)
                    .map(Some)
                    .map_err(|_| {
                        Error::invalid(
                            "idempotency key",
                            format!("`{key}` was used for another command"),
                        )
                    })
            }
            Some(other) => Err(Error::Corrupt {
                record: at.to_string(),
                reason: format!("holds {}", other.record.key()),
            }),
        }
    }

    /// Commits, then (unless delivery is deferred) hands the new notifications to the
    /// notifier.
    async fn commit_and_deliver(&self, tx: Tx) -> Result<()> {
        let commit = tx.into_commit();
        if let Some(slot) = &self.dry_run {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(commit);
            tracing::Span::current().record("outcome", "previewed");
            return Ok(());
        }
        let outbox = if self.delivery.inline {
            commit.outbox.clone()
        } else {
            Vec::new()
        };
        let (writes, events) = (commit.writes.len(), commit.events.len());
        let started = std::time::Instant::now();
        let committed = self.storage.commit(commit).await;
        let span = tracing::Span::current();
        let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        span.record("commit_us", took);
        match &committed {
            Ok(()) => {
                span.record("outcome", "committed");
                tracing::debug!(writes, events, "committed");
            }
            Err(e) if e.is_retryable() => {
                span.record("outcome", "conflict");
                tracing::info!(error = %e, "the commit lost a race");
            }
            Err(e) => {
                span.record("outcome", "failed");
                tracing::warn!(error = %e, "the commit failed");
            }
        }
        committed?;
        if outbox.is_empty() {
            return Ok(());
        }
        // The command landed: a delivery problem leaves its notifications pending for
        // `deliver_pending`, never fails the command.
        let claim = self.claim();
        let keys: Vec<String> = outbox.iter().map(|n| n.key.clone()).collect();
        let Ok(claimed) = self.storage.claim_keys(claim, &keys).await else {
            return Ok(());
        };
        let claimed: HashSet<String> = claimed.into_iter().collect();
        let mine = outbox.into_iter().filter(|n| claimed.contains(&n.key));
        let (_, failed) = self.hand_over(mine).await;
        for key in failed {
            let _ = self.storage.release_claim(claim, &key).await;
        }
        Ok(())
    }

    /// A claim on outbox entries by this engine, from now for the delivery lease.
    fn claim(&self) -> Claim {
        let at = self.clock.now();
        Claim {
            by: self.id,
            at,
            until: at
                .checked_add_signed(self.delivery.lease)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }

    /// Hands claimed notifications to the notifier in order and marks each accepted one
    /// delivered (remembering those it could not mark); the report and the keys that failed.
    async fn hand_over(
        &self,
        notifications: impl IntoIterator<Item = Notification>,
    ) -> (Delivery, Vec<String>) {
        let mut report = Delivery::default();
        let mut failed = Vec::new();
        for n in notifications {
            if let Err(e) = self.notifier.deliver(&n).await {
                tracing::warn!(key = %n.key, error = %e, "the notifier refused a notification");
                report.failed += 1;
                failed.push(n.key);
                continue;
            }
            tracing::debug!(key = %n.key, recipient = %n.recipient, "notification delivered");
            report.delivered += 1;
            if self.storage.mark_delivered(&n.key).await.is_err() {
                let mut unmarked = self.unmarked.lock().unwrap_or_else(PoisonError::into_inner);
                unmarked.push_back(n.key);
                if unmarked.len() > REMEMBERED_UNMARKED {
                    unmarked.pop_front();
                }
            }
        }
        (report, failed)
    }

    /// Marks delivered the entries the notifier accepted earlier but the storage could not
    /// mark then; the keys still unmarked.
    async fn mark_unmarked(&self) -> HashSet<String> {
        let keys: Vec<String> = self
            .unmarked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        let mut still = Vec::new();
        for key in keys {
            if self.storage.mark_delivered(&key).await.is_err() {
                still.push(key);
            }
        }
        let mut unmarked = self.unmarked.lock().unwrap_or_else(PoisonError::into_inner);
        unmarked.extend(still);
        unmarked.iter().cloned().collect()
    }

    /// Hands every pending notification that no other delivery holds to the notifier once
    /// (oldest first). Call it from the host's scheduler; a notifier outage only delays
    /// notifications.
    ///
    /// Engines sharing one storage never hand one entry over at the same time: each claims
    /// the entries it delivers for the delivery lease
    /// ([`EngineBuilder::delivery_lease`]), and takes over entries whose claim ended without
    /// a delivery (a crashed engine, a dropped command). A notification the notifier accepted
    /// is marked delivered; if marking fails, this engine marks it later without handing it
    /// over again. Only a crash between the notifier accepting a notification and the storage
    /// marking it hands it over twice, under the same key.
    ///
    /// # Errors
    ///
    /// A storage failure while claiming entries.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn deliver_pending(&self) -> Result<Delivery> {
        let unmarked = self.mark_unmarked().await;
        let mut total = Delivery::default();
        let mut failed: Vec<(Claim, String)> = Vec::new();
        let result = loop {
            let claim = self.claim();
            let page = match self.storage.claim_pending(claim, PAGE).await {
                Ok(page) if page.is_empty() => break Ok(total),
                Ok(page) => page,
                Err(e) => break Err(e),
            };
            let fresh = page
                .into_iter()
                .map(|e| e.notification)
                .filter(|n| !unmarked.contains(&n.key));
            let (got, keys) = self.hand_over(fresh).await;
            total.delivered += got.delivered;
            total.failed += got.failed;
            // Failed entries stay claimed until the pass ends, so it does not take them again.
            failed.extend(keys.into_iter().map(|k| (claim, k)));
        };
        for (claim, key) in failed {
            let _ = self.storage.release_claim(claim, &key).await;
        }
        result
    }
}

/// Checks answers against the cycle's frozen template for `kind`, or, without one, against the
/// scale alone.
fn check_answers(
    limits: &Limits,
    cycle: &Cycle,
    packet: &Packet,
    kind: ReviewKind,
    answers: &Answers,
    submitting: bool,
) -> Result<()> {
    limits.check_answers(answers)?;
    let scale = &cycle.settings().rating_scale;
    match cycle.template_for(kind) {
        Some(t) => t.validate_answers(
            answers,
            &AnswerCheck {
                kind,
                scale,
                goals: packet.goals(),
                submitting,
            },
        ),
        None => answers.validate(scale),
    }
}
