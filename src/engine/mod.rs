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

mod outcome;
mod tx;
mod workflow;

pub use outcome::{Delivery, LaunchReport, TickReport};

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use futures_util::future::join;

use crate::access::{Action, Context, Rule, Target, decide, explain};
use crate::domain::notification::{Notification, NotificationKind};
use crate::domain::progress::Progress;
use crate::domain::rating::ScoreInput;
use crate::domain::score::{ScoreBreakdown, consolidate};
use crate::domain::template::{AnswerCheck, Template};
use crate::memory::{MemoryStorage, RecordingNotifier, StaticDirectory};
use crate::plugin::{
    Clock, Directory, Expect, Notifier, Record, RecordKey, Storage, StorageExt, StoredEvent,
    SystemClock, Versioned,
};
use crate::views::aggregate::{AggregatedView, aggregate};
use crate::views::{ReviewView, view};
use crate::{
    AdminGrant, Answers, CalibrationSession, CustomRole, CustomRoleId, Cycle, CycleConfig, CycleId,
    CycleState, Error, Event, Explanation, Grants, Nomination, NominationId, NominationState,
    OrgSnapshot, Packet, PacketId, PacketState, PersonId, RandomIds, Result, Review, ReviewId,
    ReviewKind, ReviewState, RoleGrant, StepApprover, TemplateId, resolve_step,
};
use tx::Tx;

/// How many delivered keys the engine remembers to avoid delivering one twice in-process.
const REMEMBERED_DELIVERIES: usize = 65_536;
/// Page size when the engine walks a cycle's packets.
const PAGE: usize = 1_000;

/// The review-cycle engine. Cheap to share behind an `Arc`; every method takes `&self`.
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
/// let packet = engine.packet_of(cycle.id(), ann).await?;
/// let err = engine.share(ann, packet.id()).await.unwrap_err();
/// assert_eq!(err.to_string(), "denied: R-WRITE own packet refused: ann may not share results on their own packet");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Engine {
    storage: Arc<dyn Storage>,
    notifier: Arc<dyn Notifier>,
    directory: Arc<dyn Directory>,
    clock: Arc<dyn Clock>,
    deliveries: Mutex<Deliveries>,
    /// Large records shared between commands while their version stays the same.
    cache: Mutex<Cache>,
}

/// A cycle and its org snapshot as last loaded, with their versions.
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

#[derive(Debug, Default)]
struct Deliveries {
    in_flight: HashSet<String>,
    done: HashSet<String>,
    done_order: VecDeque<String>,
}

/// Builds an [`Engine`]; every plugin defaults to the in-memory implementation.
#[derive(Debug, Default)]
#[must_use]
pub struct EngineBuilder {
    storage: Option<Arc<dyn Storage>>,
    notifier: Option<Arc<dyn Notifier>>,
    directory: Option<Arc<dyn Directory>>,
    clock: Option<Arc<dyn Clock>>,
}

impl EngineBuilder {
    /// Uses this storage (default: [`MemoryStorage`]).
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
                .unwrap_or_else(|| Arc::new(MemoryStorage::new())),
            notifier: self
                .notifier
                .unwrap_or_else(|| Arc::new(RecordingNotifier::new())),
            directory: self
                .directory
                .unwrap_or_else(|| Arc::new(StaticDirectory::default())),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            deliveries: Mutex::new(Deliveries::default()),
            cache: Mutex::new(Cache::default()),
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
    now: DateTime<Utc>,
}

impl Scope {
    fn ctx(&self) -> Context<'_> {
        let ctx = Context::new(&self.grants, self.now)
            .with_cycle(&self.cycle.record)
            .with_calibrations(&self.calibrations);
        match &self.snapshot {
            Some(s) => ctx.with_snapshot(&s.record),
            None => ctx,
        }
    }

    fn snapshot(&self) -> Result<&OrgSnapshot> {
        self.snapshot.as_ref().map(|s| &*s.record).ok_or_else(|| {
            Error::invalid(
                "cycle",
                format!("`{}` is not launched", self.cycle.record.config().name),
            )
        })
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
                RecordKey::Snapshot(self.cycle.record.id()),
                Expect::Version(s.version),
            );
        }
    }
}

fn authorize(ctx: &Context<'_>, actor: PersonId, action: Action, target: Target<'_>) -> Result<()> {
    let decision = decide(ctx, actor, action, target);
    if decision.is_allowed() {
        return Ok(());
    }
    if decision.rule() == Rule::Locked {
        return Err(Error::Locked {
            cycle: ctx
                .cycle
                .map(|c| c.config().name.clone())
                .unwrap_or_default(),
        });
    }
    Err(Error::Denied(Box::new(explain(ctx, actor, action, target))))
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

    /// The cycle, its snapshot and the grants: the cached copies when their stored versions
    /// are the ones cached (one cheap probe for all three), else freshly loaded. Commits check
    /// those versions anyway.
    async fn cached(&self, id: CycleId) -> Result<(Cached, Expect, Arc<Grants>)> {
        let cycle_key = RecordKey::Cycle(id);
        let snapshot_key = RecordKey::Snapshot(id);
        let versions = self
            .storage
            .versions(&[cycle_key, snapshot_key, RecordKey::Grants])
            .await?;
        let (Some(version), snapshot_version, grants_version) = (
            versions.first().copied().flatten(),
            versions.get(1).copied().flatten(),
            versions.get(2).copied().flatten(),
        ) else {
            return Err(cycle_key.not_found());
        };
        let (known, known_grants) = {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            (cache.cycles.get(&id).cloned(), cache.grants.clone())
        };
        let cycle = match &known {
            Some(k) if k.cycle.version == version => k.cycle.clone(),
            _ => {
                let v = self.storage.cycle(id).await?;
                Versioned {
                    version: v.version,
                    record: Arc::new(v.record),
                }
            }
        };
        let snapshot = if cycle.record.state() == CycleState::Draft {
            None
        } else {
            let version = snapshot_version.ok_or_else(|| snapshot_key.not_found())?;
            match known.as_ref().and_then(|k| k.snapshot.as_ref()) {
                Some(s) if s.version == version => Some(s.clone()),
                _ => {
                    let v = self.storage.snapshot(id).await?;
                    Some(Versioned {
                        version: v.version,
                        record: Arc::new(v.record),
                    })
                }
            }
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

    async fn scope(&self, cycle: CycleId) -> Result<Scope> {
        // Both reads at once: on a storage with a round trip per read, a command waits for
        // one, not two.
        let (cached, calibrations) =
            join(self.cached(cycle), self.storage.calibrations(cycle)).await;
        let (Cached { cycle, snapshot }, grants_expect, grants) = cached?;
        let calibrations = calibrations?.into_iter().map(|v| v.record).collect();
        Ok(Scope {
            cycle,
            snapshot,
            grants,
            grants_expect,
            calibrations,
            now: self.clock.now(),
        })
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

    /// Commits, then hands the new notifications to the notifier.
    async fn finish(&self, tx: Tx) -> Result<()> {
        let commit = tx.into_commit();
        let outbox = commit.outbox.clone();
        self.storage.commit(commit).await?;
        self.deliver(outbox).await;
        Ok(())
    }

    /// Delivers notifications, marking each delivered on success. Failures stay pending.
    async fn deliver(&self, notifications: Vec<Notification>) -> Delivery {
        let mut report = Delivery::default();
        for n in notifications {
            {
                let mut d = self
                    .deliveries
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if d.done.contains(&n.key) || !d.in_flight.insert(n.key.clone()) {
                    continue;
                }
            }
            let ok = self.notifier.deliver(&n).await.is_ok()
                && self.storage.mark_delivered(&n.key).await.is_ok();
            let mut d = self
                .deliveries
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            d.in_flight.remove(&n.key);
            if ok {
                report.delivered += 1;
                d.done.insert(n.key.clone());
                d.done_order.push_back(n.key);
                if d.done_order.len() > REMEMBERED_DELIVERIES
                    && let Some(old) = d.done_order.pop_front()
                {
                    d.done.remove(&old);
                }
            } else {
                report.failed += 1;
            }
        }
        report
    }

    /// Retries every pending notification once (oldest first). Call it from the host's
    /// scheduler; a notifier outage only delays notifications.
    ///
    /// # Errors
    ///
    /// A storage failure while listing the outbox.
    pub async fn deliver_pending(&self) -> Result<Delivery> {
        let mut total = Delivery::default();
        let mut skip = 0usize;
        loop {
            let pending = self.storage.pending_outbox(skip + PAGE).await?;
            let page: Vec<Notification> = pending
                .into_iter()
                .skip(skip)
                .map(|e| e.notification)
                .collect();
            if page.is_empty() {
                return Ok(total);
            }
            let got = self.deliver(page).await;
            total.delivered += got.delivered;
            total.failed += got.failed;
            // Delivered entries left the pending list; failed ones are skipped from now on.
            skip += got.failed;
            if got.delivered == 0 {
                return Ok(total);
            }
        }
    }

    // ---------------------------------------------------------------- cycles

    /// Creates a draft cycle (R-WRITE-1: admins).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`] for a bad config, [`Error::Conflict`].
    pub async fn create_cycle(&self, actor: PersonId, config: CycleConfig) -> Result<Cycle> {
        let (grants_expect, grants) = self.storage.grants().await?;
        let now = self.clock.now();
        let ctx = Context::new(&grants, now);
        authorize(&ctx, actor, Action::CreateCycle, Target::Cycle)?;
        config.validate()?;
        self.templates_of(&config).await?;
        let (cycle, event) = Cycle::create(CycleId::random(), config, actor, now)?;
        let mut tx = Tx::new();
        tx.read(RecordKey::Grants, grants_expect);
        tx.put(Record::from(cycle.clone()), Expect::Absent);
        tx.event(event);
        self.finish(tx).await?;
        Ok(cycle)
    }

    /// Replaces a cycle's configuration (R-WRITE-2).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::NotFound`],
    /// [`Error::Conflict`].
    pub async fn edit_cycle(
        &self,
        actor: PersonId,
        cycle: CycleId,
        config: CycleConfig,
    ) -> Result<Cycle> {
        config.validate()?;
        self.templates_of(&config).await?;
        self.cycle_command(actor, cycle, Action::EditCycle, |c, by, at| {
            c.edit(config, by, at)
        })
        .await
    }

    /// Deletes a draft cycle (R-WRITE-1: admins).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::InvalidTransition`] unless a draft, [`Error::NotFound`],
    /// [`Error::Conflict`].
    pub async fn delete_cycle(&self, actor: PersonId, cycle: CycleId) -> Result<()> {
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, Action::DeleteCycle, Target::Cycle)?;
        let mut deleted = Cycle::clone(&scope.cycle.record);
        let event = deleted.delete(actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.delete(RecordKey::Cycle(cycle), scope.cycle.version);
        tx.event(event);
        self.finish(tx).await
    }

    /// Adds people to a draft cycle's participant list (R-WRITE-2).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] once launched,
    /// [`Error::NotFound`], [`Error::Conflict`].
    pub async fn add_participants(
        &self,
        actor: PersonId,
        cycle: CycleId,
        people: impl IntoIterator<Item = PersonId> + Send,
    ) -> Result<Cycle> {
        let people: Vec<PersonId> = people.into_iter().collect();
        self.cycle_command(actor, cycle, Action::EditParticipants, |c, by, at| {
            let all: Vec<PersonId> = c.participants().iter().copied().chain(people).collect();
            c.set_participants(all, by, at)
        })
        .await
    }

    /// Locks a cycle (R-WRITE-3).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::InvalidTransition`] when locked, [`Error::Conflict`].
    pub async fn lock(&self, actor: PersonId, cycle: CycleId) -> Result<Cycle> {
        self.cycle_command(actor, cycle, Action::Lock, Cycle::lock)
            .await
    }

    /// Unlocks a cycle (R-WRITE-3): the one write a locked cycle accepts.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::InvalidTransition`] when not locked, [`Error::Conflict`].
    pub async fn unlock(&self, actor: PersonId, cycle: CycleId) -> Result<Cycle> {
        self.cycle_command(actor, cycle, Action::Unlock, Cycle::unlock)
            .await
    }

    /// Closes an active cycle (R-WRITE-2).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    pub async fn close(&self, actor: PersonId, cycle: CycleId) -> Result<Cycle> {
        self.cycle_command(actor, cycle, Action::Close, Cycle::close)
            .await
    }

    /// Adds a collaborator to a cycle (R-WRITE-16: review admins).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::Conflict`].
    pub async fn add_collaborator(
        &self,
        actor: PersonId,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Cycle> {
        self.cycle_command(actor, cycle, Action::ManageGrants, |c, by, at| {
            c.add_collaborator(person, by, at)
        })
        .await
    }

    /// Removes a collaborator (R-WRITE-16: review admins).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::NotFound`], [`Error::Conflict`].
    pub async fn remove_collaborator(
        &self,
        actor: PersonId,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Cycle> {
        self.cycle_command(actor, cycle, Action::ManageGrants, |c, by, at| {
            c.remove_collaborator(person, by, at)
        })
        .await
    }

    /// Authorizes `action` on the cycle, applies `change` to it, commits.
    async fn cycle_command(
        &self,
        actor: PersonId,
        cycle: CycleId,
        action: Action,
        change: impl FnOnce(&mut Cycle, PersonId, DateTime<Utc>) -> Result<Event> + Send,
    ) -> Result<Cycle> {
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, action, Target::Cycle)?;
        // Grants on a cycle record are cycle writes too: refused while locked.
        if action == Action::ManageGrants && scope.cycle.record.is_locked() {
            return Err(Error::Locked {
                cycle: scope.cycle.record.config().name.clone(),
            });
        }
        let mut changed = Cycle::clone(&scope.cycle.record);
        let event = change(&mut changed, actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.put(
            Record::from(changed.clone()),
            Expect::Version(scope.cycle.version),
        );
        tx.event(event);
        self.finish(tx).await?;
        Ok(changed)
    }

    /// Launches a draft cycle (R-WRITE-2): takes the org snapshot from the [`Directory`], makes
    /// a packet per participant with the default assignments, all in one commit.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Org`] for bad directory data,
    /// [`Error::Invalid`] (no participants, one not in the directory),
    /// [`Error::InvalidTransition`] unless a draft, [`Error::Conflict`].
    pub async fn launch(&self, actor: PersonId, cycle: CycleId) -> Result<LaunchReport> {
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, Action::Launch, Target::Cycle)?;
        // The transition first: launching twice is refused as such, before any other check.
        crate::domain::transition::check(scope.cycle.record.state(), CycleState::Active, "launch")?;
        let people = self.directory.people().await?;
        let departments = self.directory.departments().await?;
        let mut launched_cycle = Cycle::clone(&scope.cycle.record);
        launched_cycle.resolve_participants(&people)?;
        let snapshot = OrgSnapshot::build(people, departments)?;
        launched_cycle.freeze_templates(self.templates_of(launched_cycle.config()).await?)?;
        let period = launched_cycle.config().period;
        let goals = self.directory.goals(period).await?;
        let goals = crate::domain::launch::GoalsByOwner::new(&goals, &period);
        let mut report = LaunchReport {
            packets: 0,
            reviews: 0,
            people: snapshot.len(),
        };
        // Records go straight into the commit as they are made, with room for a few reviews
        // each (so the list is not copied as it grows; untouched capacity is address space,
        // not memory, with the usual allocators).
        let n = launched_cycle.participants().len();
        let mut tx = Tx::with_capacity(n * 6 + 2, n + 1);
        let launched = crate::domain::launch::launch_each(
            &mut launched_cycle,
            &snapshot,
            &mut RandomIds,
            actor,
            scope.now,
            |mut packet, reviews, events| {
                goals.attach(&mut packet);
                report.packets += 1;
                report.reviews += reviews.len();
                tx.put_fresh(Record::from(packet));
                for r in reviews.drain(..) {
                    tx.put_fresh(Record::from(r));
                }
                tx.events(events.drain(..));
            },
        )?;
        tx.event(launched);
        scope.relied_on(&mut tx);
        tx.put(
            Record::from(launched_cycle),
            Expect::Version(scope.cycle.version),
        );
        tx.put(
            Record::Snapshot {
                cycle,
                snapshot: Box::new(snapshot),
            },
            Expect::Absent,
        );
        self.finish(tx).await?;
        Ok(report)
    }

    // ---------------------------------------------------------------- grants

    async fn change_grants(
        &self,
        actor: PersonId,
        change: impl FnOnce(&mut Grants, PersonId, DateTime<Utc>) -> Result<Event> + Send,
    ) -> Result<()> {
        let (expect, mut grants) = self.storage.grants().await?;
        let now = self.clock.now();
        authorize(
            &Context::new(&grants, now),
            actor,
            Action::ManageGrants,
            Target::Cycle,
        )?;
        let event = change(&mut grants, actor, now)?;
        let mut tx = Tx::new();
        tx.put(Record::from(grants), expect);
        tx.event(event);
        self.finish(tx).await
    }

    /// Makes `person` a review admin (R-WRITE-16: review admins).
    ///
    /// A fresh store has no admin, so no one could grant the first one: use
    /// [`bootstrap_admin`](Self::bootstrap_admin) for that.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Conflict`].
    pub async fn grant_admin(
        &self,
        actor: PersonId,
        person: PersonId,
        grant: AdminGrant,
    ) -> Result<()> {
        self.change_grants(actor, |g, by, at| Ok(g.grant_admin(person, grant, by, at)))
            .await
    }

    /// Makes `person` the first review admin of a store that has none; refused once any admin
    /// exists. The host calls it at installation, as itself.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when an admin exists; [`Error::Conflict`].
    pub async fn bootstrap_admin(&self, person: PersonId, grant: AdminGrant) -> Result<()> {
        let (expect, mut grants) = self.storage.grants().await?;
        if grants.admins().next().is_some() {
            return Err(Error::invalid(
                "admin",
                "review admins exist already; ask one of them",
            ));
        }
        let event = grants.grant_admin(person, grant, person, self.clock.now());
        let mut tx = Tx::new();
        tx.put(Record::from(grants), expect);
        tx.event(event);
        self.finish(tx).await
    }

    /// Removes a review admin (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`], [`Error::Conflict`].
    pub async fn revoke_admin(&self, actor: PersonId, person: PersonId) -> Result<()> {
        self.change_grants(actor, |g, by, at| g.revoke_admin(person, by, at))
            .await
    }

    /// Makes `viewer` a global viewer of `subject` (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`], [`Error::Conflict`].
    pub async fn grant_global_viewer(
        &self,
        actor: PersonId,
        viewer: PersonId,
        subject: PersonId,
    ) -> Result<()> {
        self.change_grants(actor, |g, by, at| {
            g.grant_global_viewer(viewer, subject, by, at)
        })
        .await
    }

    /// Removes a global viewer (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`], [`Error::Conflict`].
    pub async fn revoke_global_viewer(
        &self,
        actor: PersonId,
        viewer: PersonId,
        subject: PersonId,
    ) -> Result<()> {
        self.change_grants(actor, |g, by, at| {
            g.revoke_global_viewer(viewer, subject, by, at)
        })
        .await
    }

    /// Gives `viewer`, `subject`'s default additional manager, visibility of all of
    /// `subject`'s past reviews (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`], [`Error::Conflict`].
    pub async fn grant_past_reviews(
        &self,
        actor: PersonId,
        viewer: PersonId,
        subject: PersonId,
    ) -> Result<()> {
        self.change_grants(actor, |g, by, at| {
            g.grant_past_reviews(viewer, subject, by, at)
        })
        .await
    }

    /// Takes past-review visibility back (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`], [`Error::Conflict`].
    pub async fn revoke_past_reviews(
        &self,
        actor: PersonId,
        viewer: PersonId,
        subject: PersonId,
    ) -> Result<()> {
        self.change_grants(actor, |g, by, at| {
            g.revoke_past_reviews(viewer, subject, by, at)
        })
        .await
    }

    /// Defines or redefines a custom role (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`], [`Error::Conflict`].
    pub async fn define_role(&self, actor: PersonId, role: CustomRole) -> Result<()> {
        self.change_grants(actor, |g, by, at| g.define_role(role, by, at))
            .await
    }

    /// Grants a custom role with its scopes (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`], [`Error::Invalid`], [`Error::Conflict`].
    pub async fn grant_role(
        &self,
        actor: PersonId,
        person: PersonId,
        grant: RoleGrant,
    ) -> Result<()> {
        self.change_grants(actor, |g, by, at| g.grant_role(person, grant, by, at))
            .await
    }

    /// Revokes a custom role (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`], [`Error::Conflict`].
    pub async fn revoke_role(
        &self,
        actor: PersonId,
        person: PersonId,
        role: CustomRoleId,
    ) -> Result<()> {
        self.change_grants(actor, |g, by, at| g.revoke_role(person, role, by, at))
            .await
    }

    // ---------------------------------------------------------------- nominations

    /// Nominates `nominee` as a peer of the packet's participant (R-WRITE-7). With nomination
    /// approval off the nomination is approved at once and the peer review assigned; with it
    /// on, the manager is notified.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] (nominations closed, self-peer,
    /// duplicate, too many, nominee unknown), [`Error::NotFound`], [`Error::Conflict`].
    pub async fn nominate(
        &self,
        actor: PersonId,
        packet: PacketId,
        nominee: PersonId,
    ) -> Result<Nomination> {
        let (scope, packet) = self.packet_scope(packet).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::Nominate,
            Target::Packet(&packet.record),
        )?;
        if packet.record.state() != PacketState::Nominating {
            return Err(Error::invalid(
                "nomination",
                "nominations are closed for this participant",
            ));
        }
        if !scope.snapshot()?.contains(nominee) {
            return Err(Error::invalid(
                "nominee",
                format!("`{nominee}` is not in the cycle's org snapshot"),
            ));
        }
        let existing: Vec<Nomination> = self
            .storage
            .nominations(packet.record.id())
            .await?
            .into_iter()
            .map(|n| n.record)
            .collect();
        let settings = scope.cycle.record.settings();
        let (mut nomination, event) = Nomination::create(
            NominationId::random(),
            &packet.record,
            nominee,
            &existing,
            settings,
            actor,
            scope.now,
        )?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.event(event.clone());
        let subject = packet.record.subject();
        let cycle = Some(scope.cycle.record.id());
        if settings.nomination_approval {
            if let Some(manager) = packet.record.manager() {
                tx.notify(
                    manager,
                    NotificationKind::NominationToApprove,
                    cycle,
                    Some(subject),
                    &event,
                );
            }
        } else {
            tx.event(nomination.decide(NominationState::Approved, None, actor, scope.now)?);
            let mut p = packet.record.clone();
            self.assign_peer(&scope, &mut tx, &mut p, nominee, actor)?;
            tx.put(Record::from(p), Expect::Version(packet.version));
        }
        tx.put(Record::from(nomination.clone()), Expect::Absent);
        self.finish(tx).await?;
        Ok(nomination)
    }

    fn assign_peer(
        &self,
        scope: &Scope,
        tx: &mut Tx,
        packet: &mut Packet,
        peer: PersonId,
        by: PersonId,
    ) -> Result<()> {
        let kinds = scope.cycle.record.config().kinds;
        let (review, event) = packet.assign(
            &kinds,
            ReviewKind::Peer,
            peer,
            &mut RandomIds,
            Some(by),
            scope.now,
        )?;
        tx.notify(
            peer,
            NotificationKind::PeerAssigned,
            Some(scope.cycle.record.id()),
            Some(packet.subject()),
            &event,
        );
        tx.event(event);
        tx.put(Record::from(review), Expect::Absent);
        Ok(())
    }

    /// Approves or denies a nomination (R-WRITE-8); approval assigns the peer review and
    /// notifies the peer.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`] unless pending,
    /// [`Error::NotFound`], [`Error::Conflict`].
    pub async fn decide_nomination(
        &self,
        actor: PersonId,
        nomination: NominationId,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<Nomination> {
        let nomination = self.storage.nomination(nomination).await?;
        let (scope, packet) = self.packet_scope(nomination.record.packet()).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::DecideNomination,
            Target::Nomination(&packet.record, &nomination.record),
        )?;
        let mut n = nomination.record.clone();
        let to = if approve {
            NominationState::Approved
        } else {
            NominationState::Denied
        };
        let event = n.decide(to, reason, actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.event(event);
        if approve {
            let mut p = packet.record.clone();
            self.assign_peer(&scope, &mut tx, &mut p, n.nominee(), actor)?;
            tx.put(Record::from(p), Expect::Version(packet.version));
        } else {
            tx.read(
                RecordKey::Packet(packet.record.id()),
                Expect::Version(packet.version),
            );
        }
        tx.put(Record::from(n.clone()), Expect::Version(nomination.version));
        self.finish(tx).await?;
        Ok(n)
    }

    /// The nominee declines (R-WRITE-9). Declining an approved nomination cancels the peer
    /// review it created, unless that review is already submitted.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`],
    /// [`Error::Invalid`] when the peer review is submitted, [`Error::Conflict`].
    pub async fn decline_nomination(
        &self,
        actor: PersonId,
        nomination: NominationId,
        reason: Option<&str>,
    ) -> Result<Nomination> {
        let nomination = self.storage.nomination(nomination).await?;
        let (scope, packet) = self.packet_scope(nomination.record.packet()).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::DeclineNomination,
            Target::Nomination(&packet.record, &nomination.record),
        )?;
        let mut n = nomination.record.clone();
        let was_approved = n.state() == NominationState::Approved;
        let event = n.decide(NominationState::Declined, reason, actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.event(event);
        if was_approved {
            let mut p = packet.record.clone();
            let reviews = self.storage.reviews_about(p.cycle(), p.subject()).await?;
            if let Some(mut r) = reviews.into_iter().find(|r| {
                r.record.kind() == ReviewKind::Peer
                    && r.record.author() == n.nominee()
                    && r.record.state() != ReviewState::Cancelled
            }) {
                if r.record.state() == ReviewState::Submitted {
                    return Err(Error::invalid(
                        "nomination",
                        "the peer review is already submitted",
                    ));
                }
                tx.event(r.record.cancel(&mut p, actor, scope.now)?);
                tx.put(Record::from(r.record), Expect::Version(r.version));
            }
            tx.put(Record::from(p), Expect::Version(packet.version));
        }
        tx.put(Record::from(n.clone()), Expect::Version(nomination.version));
        self.finish(tx).await?;
        Ok(n)
    }

    /// Ends nominations for one participant: `nominating → writing` (R-WRITE-2, editing
    /// assignments). Refused while fewer peers than the cycle's minimum are assigned.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] below the minimum,
    /// [`Error::InvalidTransition`], [`Error::Conflict`].
    pub async fn close_nominations(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        let (scope, packet) = self.packet_scope(packet).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::EditAssignments,
            Target::Packet(&packet.record),
        )?;
        let min = scope.cycle.record.settings().min_peers;
        let peers = packet.record.tally(ReviewKind::Peer).assigned;
        if scope.cycle.record.config().kinds.peer && peers < u16::from(min) {
            return Err(Error::invalid(
                "peers",
                format!("{peers} peers assigned, the cycle needs at least {min}"),
            ));
        }
        let mut p = packet.record.clone();
        let event = p.close_nominations(actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        tx.event(event);
        self.finish(tx).await?;
        Ok(p)
    }

    // ---------------------------------------------------------------- writing

    /// Saves draft answers (R-WRITE-6: the author, inside the window, after gating).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] naming the question,
    /// [`Error::InvalidTransition`], [`Error::NotFound`], [`Error::Conflict`].
    pub async fn save_draft(
        &self,
        actor: PersonId,
        review: ReviewId,
        answers: Answers,
    ) -> Result<Review> {
        let (scope, packet, review) = self.review_scope(review).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::WriteReview,
            Target::Review(&packet.record, &review.record),
        )?;
        check_answers(
            &scope.cycle.record,
            &packet.record,
            review.record.kind(),
            &answers,
            false,
        )?;
        let mut r = review.record.clone();
        let mut p = packet.record.clone();
        let event = r.save_draft(&mut p, answers, actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        // The first draft changes the packet's draft count; later ones only rely on it.
        if p == packet.record {
            tx.read(RecordKey::Packet(p.id()), Expect::Version(packet.version));
        } else {
            tx.put(Record::from(p), Expect::Version(packet.version));
        }
        tx.put(Record::from(r.clone()), Expect::Version(review.version));
        tx.event(event);
        self.finish(tx).await?;
        Ok(r)
    }

    /// Submits a review (R-WRITE-6), with final answers when given. A self review notifies the
    /// manager. Submitting the manager review moves the packet on: to calibration, approval
    /// (notifying the approver) or ready to share, as the cycle is set up.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] naming the question,
    /// [`Error::InvalidTransition`], [`Error::NotFound`], [`Error::Conflict`].
    pub async fn submit_review(
        &self,
        actor: PersonId,
        review: ReviewId,
        answers: Option<Answers>,
    ) -> Result<Review> {
        let (scope, packet, review) = self.review_scope(review).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::WriteReview,
            Target::Review(&packet.record, &review.record),
        )?;
        let kind = review.record.kind();
        let final_answers = answers.as_ref().unwrap_or(review.record.answers());
        check_answers(
            &scope.cycle.record,
            &packet.record,
            kind,
            final_answers,
            true,
        )?;
        let mut r = review.record.clone();
        let mut p = packet.record.clone();
        let events = r.submit(&mut p, answers, actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        let cycle = Some(scope.cycle.record.id());
        if r.kind() == ReviewKind::SelfReview
            && let (Some(manager), Some(first)) = (p.manager(), events.first())
        {
            tx.notify(
                manager,
                NotificationKind::SelfReviewSubmitted,
                cycle,
                Some(p.subject()),
                first,
            );
        }
        tx.events(events);
        if r.kind() == ReviewKind::Manager {
            let settings = scope.cycle.record.settings();
            let moved = p.finish_writing(settings, scope.snapshot()?, actor, scope.now)?;
            self.notify_approvers(&scope, &mut tx, &p, &moved)?;
            tx.event(moved);
        }
        tx.put(Record::from(r.clone()), Expect::Version(review.version));
        tx.put(Record::from(p), Expect::Version(packet.version));
        self.finish(tx).await?;
        Ok(r)
    }

    /// Queues `approval_needed` for the current step's approvers, when the packet waits for
    /// approval.
    fn notify_approvers(
        &self,
        scope: &Scope,
        tx: &mut Tx,
        packet: &Packet,
        event: &Event,
    ) -> Result<()> {
        if packet.state() != PacketState::PendingApproval {
            return Ok(());
        }
        let cycle = &scope.cycle.record;
        let subject = packet.subject();
        let step = resolve_step(
            scope.snapshot()?,
            &cycle.settings().approval_chain,
            packet.approval_step(),
            subject,
        );
        let approvers: Vec<PersonId> = match step {
            StepApprover::Person(p) => vec![p],
            StepApprover::Admins => scope
                .grants
                .admins()
                .filter(|(p, g)| *p != subject && g.covers(cycle.created_at()))
                .map(|(p, _)| p)
                .collect(),
            StepApprover::Skipped => Vec::new(),
        };
        let mut approvers = approvers;
        approvers.sort();
        for a in approvers {
            tx.notify(
                a,
                NotificationKind::ApprovalNeeded,
                Some(cycle.id()),
                Some(subject),
                event,
            );
        }
        Ok(())
    }

    // ---------------------------------------------------------------- approval and sharing

    /// Approves the packet's current approval step (R-WRITE-12); notifies the next approver.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    pub async fn approve(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        self.packet_command(actor, packet, Action::Approve, |engine, scope, tx, p| {
            let event = p.approve(
                scope.cycle.record.settings(),
                scope.snapshot()?,
                actor,
                scope.now,
            )?;
            engine.notify_approvers(scope, tx, p, &event)?;
            Ok(vec![event])
        })
        .await
    }

    /// Sends the packet back to the manager with a comment (R-WRITE-12): the manager review
    /// returns to draft.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    pub async fn send_back(
        &self,
        actor: PersonId,
        packet: PacketId,
        comment: &str,
    ) -> Result<Packet> {
        let (scope, packet) = self.packet_scope(packet).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::Approve,
            Target::Packet(&packet.record),
        )?;
        let reviews = self
            .storage
            .reviews_about(packet.record.cycle(), packet.record.subject())
            .await?;
        let manager_review = reviews
            .into_iter()
            .find(|r| {
                r.record.kind() == ReviewKind::Manager && r.record.state() == ReviewState::Submitted
            })
            .ok_or_else(|| Error::invalid("packet", "it has no submitted manager review"))?;
        let mut p = packet.record.clone();
        let mut r = manager_review.record.clone();
        let events = p.send_back(&mut r, comment, actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.events(events);
        tx.put(Record::from(r), Expect::Version(manager_review.version));
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx).await?;
        Ok(p)
    }

    /// Shares results with the participant (R-WRITE-13) and notifies them.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    pub async fn share(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        self.packet_command(actor, packet, Action::Share, |_, scope, tx, p| {
            let event = p.share(actor, scope.now)?;
            tx.notify(
                p.subject(),
                NotificationKind::ResultsShared,
                Some(p.cycle()),
                Some(p.subject()),
                &event,
            );
            Ok(vec![event])
        })
        .await
    }

    /// Takes shared results back (R-WRITE-13: admins only; audited).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    pub async fn unshare(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        self.packet_command(actor, packet, Action::Unshare, |_, scope, _, p| {
            Ok(vec![p.unshare(actor, scope.now)?])
        })
        .await
    }

    /// The participant acknowledges their results, with an optional comment (R-WRITE-14).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    pub async fn acknowledge(
        &self,
        actor: PersonId,
        packet: PacketId,
        comment: Option<&str>,
    ) -> Result<Packet> {
        self.packet_command(actor, packet, Action::Acknowledge, |_, scope, _, p| {
            p.acknowledge(comment, actor, scope.now)
        })
        .await
    }

    /// Authorizes `action` on the packet, applies `change`, commits.
    async fn packet_command(
        &self,
        actor: PersonId,
        packet: PacketId,
        action: Action,
        change: impl FnOnce(&Self, &Scope, &mut Tx, &mut Packet) -> Result<Vec<Event>> + Send,
    ) -> Result<Packet> {
        let (scope, packet) = self.packet_scope(packet).await?;
        authorize(&scope.ctx(), actor, action, Target::Packet(&packet.record))?;
        let mut p = packet.record.clone();
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        let events = change(self, &scope, &mut tx, &mut p)?;
        tx.events(events);
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx).await?;
        Ok(p)
    }

    // ---------------------------------------------------------------- reads

    /// Reads a review as `actor` may see it (R-READ): the author is removed when the decision
    /// hides it.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`] with the explanation, [`Error::NotFound`].
    pub async fn read_review(&self, actor: PersonId, review: ReviewId) -> Result<ReviewView> {
        let (scope, packet, review) = self.review_scope(review).await?;
        let ctx = scope.ctx();
        let target = Target::Review(&packet.record, &review.record);
        let d = decide(&ctx, actor, Action::ReadReview, target);
        if !d.is_allowed() {
            return Err(Error::Denied(Box::new(explain(
                &ctx,
                actor,
                Action::ReadReview,
                target,
            ))));
        }
        Ok(view(&scope.cycle.record, actor, &review.record, d))
    }

    /// Why `actor` may or may not read a review.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn explain_read(&self, actor: PersonId, review: ReviewId) -> Result<Explanation> {
        let (scope, packet, review) = self.review_scope(review).await?;
        Ok(explain(
            &scope.ctx(),
            actor,
            Action::ReadReview,
            Target::Review(&packet.record, &review.record),
        ))
    }

    /// The reviews about `subject` in `cycle` that `actor` may read, as they may see them.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for the cycle.
    pub async fn reviews_about(
        &self,
        actor: PersonId,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Vec<ReviewView>> {
        let scope = self.scope(cycle).await?;
        let ctx = scope.ctx();
        let reviews = self.storage.reviews_about(cycle, subject).await?;
        let Some(first) = reviews.first() else {
            return Ok(Vec::new());
        };
        let packet = self.storage.packet(first.record.packet()).await?;
        Ok(reviews
            .iter()
            .filter_map(|r| {
                let d = decide(
                    &ctx,
                    actor,
                    Action::ReadReview,
                    Target::Review(&packet.record, &r.record),
                );
                d.is_allowed()
                    .then(|| view(&scope.cycle.record, actor, &r.record, d))
            })
            .collect())
    }

    /// The reviews `actor` writes in `cycle` (their to-do list), with their state.
    ///
    /// # Errors
    ///
    /// A storage failure.
    pub async fn my_reviews(&self, actor: PersonId, cycle: CycleId) -> Result<Vec<ReviewView>> {
        Ok(self
            .storage
            .reviews_by(cycle, actor)
            .await?
            .iter()
            .map(|r| ReviewView::new(&r.record, false, Rule::Read(1)))
            .collect())
    }

    /// The packet of `subject` in `cycle`, for hosts that address participants by person.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the person is not a participant.
    pub async fn packet_of(&self, cycle: CycleId, subject: PersonId) -> Result<Packet> {
        Ok(self.versioned_packet_of(cycle, subject).await?.record)
    }

    /// [`packet_of`](Self::packet_of) with the packet's version.
    async fn versioned_packet_of(
        &self,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Versioned<Packet>> {
        self.packets_of(cycle, &[subject].into())
            .await?
            .remove(&subject)
            .ok_or_else(|| Error::NotFound {
                what: "participant",
                id: subject.to_string(),
            })
    }

    /// The packets of these subjects in `cycle`, by subject, in one pass over the cycle's
    /// packets (stopping once all are found); subjects without a packet are left out.
    async fn packets_of(
        &self,
        cycle: CycleId,
        subjects: &std::collections::BTreeSet<PersonId>,
    ) -> Result<crate::domain::id::IdMap<PersonId, Versioned<Packet>>> {
        let mut found = crate::domain::id::IdMap::default();
        let mut after = None;
        while found.len() < subjects.len() {
            let page = self.storage.packets(cycle, after, PAGE).await?;
            after = page.last().map(|last| last.record.id());
            let full = page.len() == PAGE;
            for p in page {
                if subjects.contains(&p.record.subject()) {
                    found.insert(p.record.subject(), p);
                }
            }
            if !full {
                break;
            }
        }
        Ok(found)
    }

    /// The cycle's progress (R-WRITE-15: admins and collaborators for the whole cycle).
    ///
    /// The counts come from [`Storage::progress`]: kept up to date by [`MemoryStorage`], so
    /// constant time there; a read of every packet on backends that keep the provided method.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    pub async fn progress(&self, actor: PersonId, cycle: CycleId) -> Result<Progress> {
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, Action::ViewProgress, Target::Cycle)?;
        let mut progress = self.storage.progress(cycle).await?;
        for (kind, k) in &mut progress.by_kind {
            k.overdue = if overdue(&scope.cycle.record, *kind, scope.now) {
                k.assigned.saturating_sub(k.submitted)
            } else {
                0
            };
        }
        Ok(progress)
    }

    /// The cycle's audit log after `after` (R-WRITE-15 readers: admins and collaborators).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    pub async fn audit_log(
        &self,
        actor: PersonId,
        cycle: CycleId,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, Action::ViewProgress, Target::Cycle)?;
        self.storage.events(cycle, after, limit).await
    }

    // ---------------------------------------------------------------- templates

    /// The templates a config names, loaded (so a missing one is [`Error::NotFound`]), with
    /// the consolidated rule's references checked against them.
    async fn templates_of(&self, config: &CycleConfig) -> Result<Vec<Template>> {
        let mut templates: Vec<Template> = Vec::new();
        for (_, id) in &config.templates {
            if !templates.iter().any(|t| t.id == *id) {
                templates.push(self.storage.template(*id).await?.record);
            }
        }
        config.settings.consolidated.check_references(&templates)?;
        Ok(templates)
    }

    /// Creates a question template (R-WRITE-1: admins, not collaborators).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`] naming the question, [`Error::Conflict`] when the
    /// id is taken.
    pub async fn create_template(&self, actor: PersonId, template: Template) -> Result<Template> {
        self.save_template(actor, template, true).await
    }

    /// Replaces a template (R-WRITE-1). Cycles launched with it keep the copy they froze.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`], [`Error::NotFound`], [`Error::Conflict`].
    pub async fn update_template(&self, actor: PersonId, template: Template) -> Result<Template> {
        self.save_template(actor, template, false).await
    }

    async fn save_template(
        &self,
        actor: PersonId,
        template: Template,
        create: bool,
    ) -> Result<Template> {
        let (grants_expect, grants) = self.storage.grants().await?;
        let now = self.clock.now();
        authorize(
            &Context::new(&grants, now),
            actor,
            Action::ManageTemplates,
            Target::Cycle,
        )?;
        template.validate()?;
        let expect = if create {
            Expect::Absent
        } else {
            Expect::Version(self.storage.template(template.id).await?.version)
        };
        let mut tx = Tx::new();
        tx.read(RecordKey::Grants, grants_expect);
        tx.event(Event::new(
            now,
            Some(actor),
            None,
            crate::EventKind::TemplateSaved {
                template: template.id,
                name: template.name.clone(),
            },
        ));
        tx.put(Record::from(template.clone()), expect);
        self.finish(tx).await?;
        Ok(template)
    }

    /// A template (templates hold no personal data: anyone may read them).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    pub async fn template(&self, id: TemplateId) -> Result<Template> {
        Ok(self.storage.template(id).await?.record)
    }

    // ---------------------------------------------------------------- results

    /// The participant's score breakdown: consolidated rating (manager's choice or formula),
    /// calibrated rating, result and band. Whoever may read the packet's manager review may see
    /// it (the subject once results are shared); without a manager review, whoever may view the
    /// participant's progress.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    pub async fn score(&self, actor: PersonId, packet: PacketId) -> Result<ScoreBreakdown> {
        let (scope, packet) = self.packet_scope(packet).await?;
        let p = &packet.record;
        let reviews = self.storage.reviews_about(p.cycle(), p.subject()).await?;
        let ctx = scope.ctx();
        let manager_review = reviews.iter().find(|r| {
            r.record.kind() == ReviewKind::Manager && r.record.state() != ReviewState::Cancelled
        });
        match manager_review {
            Some(r) => authorize(
                &ctx,
                actor,
                Action::ReadReview,
                Target::Review(p, &r.record),
            )?,
            None => authorize(&ctx, actor, Action::ViewProgress, Target::Packet(p))?,
        }
        let all: Vec<&Review> = reviews.iter().map(|r| &r.record).collect();
        Ok(breakdown(&scope.cycle.record, p, &all))
    }

    /// "View all peer responses": the participant's peer or upward reviews aggregated per
    /// question, built only from reviews `actor` may read, with authors only where R-READ
    /// shows them (see [`aggregate`](crate::views::aggregate)).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for another kind or a cycle without a template for it,
    /// [`Error::NotFound`].
    pub async fn aggregated_responses(
        &self,
        actor: PersonId,
        packet: PacketId,
        kind: ReviewKind,
    ) -> Result<AggregatedView> {
        if !kind.is_feedback() {
            return Err(Error::invalid(
                "kind",
                format!("only peer and upward responses are aggregated, not {kind}"),
            ));
        }
        let (scope, packet) = self.packet_scope(packet).await?;
        let cycle = &scope.cycle.record;
        let template = cycle.template_for(kind).ok_or_else(|| {
            Error::invalid(
                "kind",
                format!("the cycle has no template for {kind} reviews"),
            )
        })?;
        let reviews: Vec<Review> = self
            .storage
            .reviews_about(packet.record.cycle(), packet.record.subject())
            .await?
            .into_iter()
            .map(|r| r.record)
            .collect();
        Ok(aggregate(
            &scope.ctx(),
            actor,
            &packet.record,
            &reviews,
            kind,
            template,
            &cycle.settings().rating_scale,
        ))
    }

    /// Writes the cycle's results as CSV: one row per participant whose progress `actor` may
    /// view (admins and collaborators: everyone; managers: their teams), with each kind's
    /// rating, the consolidated and calibrated ratings, the result and its band, computed only
    /// from reviews `actor` may read. Returns the number of rows.
    ///
    /// Columns: `participant_id,name,state,self,manager,additional_manager,peer,upward,consolidated,calibrated,result,band`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for the cycle; [`Error::Backend`] when writing fails.
    pub async fn export_results_csv(
        &self,
        actor: PersonId,
        cycle: CycleId,
        writer: impl std::io::Write + Send,
    ) -> Result<usize> {
        let scope = self.scope(cycle).await?;
        let ctx = scope.ctx();
        let c = &scope.cycle.record;
        let snapshot = scope.snapshot()?;
        let mut out = csv::Writer::from_writer(writer);
        let io = |e: csv::Error| Error::Backend {
            source: Box::new(e),
        };
        out.write_record([
            "participant_id",
            "name",
            "state",
            "self",
            "manager",
            "additional_manager",
            "peer",
            "upward",
            "consolidated",
            "calibrated",
            "result",
            "band",
        ])
        .map_err(io)?;
        let mut rows = 0;
        let mut after = None;
        loop {
            let page = self.storage.packets(cycle, after, PAGE).await?;
            for p in &page {
                let p = &p.record;
                if !decide(&ctx, actor, Action::ViewProgress, Target::Packet(p)).is_allowed() {
                    continue;
                }
                let reviews = self.storage.reviews_about(cycle, p.subject()).await?;
                let readable: Vec<&Review> = reviews
                    .iter()
                    .map(|r| &r.record)
                    .filter(|r| {
                        decide(&ctx, actor, Action::ReadReview, Target::Review(p, r)).is_allowed()
                    })
                    .collect();
                let score = breakdown(c, p, &readable);
                let rating = |kind| {
                    let input = ScoreInput::Kind(kind);
                    crate::domain::score::input_mean(
                        &input,
                        &readable,
                        &|k| c.template_for(k),
                        p.goals(),
                    )
                    .map_or_else(String::new, |v| format!("{v:.2}"))
                };
                let show = |s: Option<crate::domain::vocab::Score>| {
                    s.map_or_else(String::new, |s| s.to_string())
                };
                let state = if p.is_withdrawn() {
                    "withdrawn"
                } else {
                    crate::domain::transition::State::name(p.state())
                };
                out.write_record([
                    p.subject().to_string(),
                    snapshot.name(p.subject()).unwrap_or_default().to_owned(),
                    state.to_owned(),
                    rating(ReviewKind::SelfReview),
                    rating(ReviewKind::Manager),
                    rating(ReviewKind::AdditionalManager),
                    rating(ReviewKind::Peer),
                    rating(ReviewKind::Upward),
                    show(score.consolidated),
                    show(score.calibrated),
                    show(score.result),
                    score.band.unwrap_or_default(),
                ])
                .map_err(io)?;
                rows += 1;
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.record.id()),
                _ => break,
            }
        }
        out.flush().map_err(|e| Error::Backend {
            source: Box::new(e),
        })?;
        Ok(rows)
    }
}

/// Checks answers against the cycle's frozen template for `kind`, or, without one, against the
/// scale alone.
fn check_answers(
    cycle: &Cycle,
    packet: &Packet,
    kind: ReviewKind,
    answers: &Answers,
    submitting: bool,
) -> Result<()> {
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

/// A review as `viewer` may see it: author hidden per the decision; the subject never sees
/// answers to private questions.
fn breakdown(cycle: &Cycle, packet: &Packet, reviews: &[&Review]) -> ScoreBreakdown {
    let settings = cycle.settings();
    consolidate(
        &settings.consolidated,
        &settings.bands,
        reviews,
        &|k| cycle.template_for(k),
        packet.goals(),
        packet.calibrated(),
    )
}

/// Whether reviews of `kind` are past their window's due time at `now`.
fn overdue(cycle: &Cycle, kind: ReviewKind, now: DateTime<Utc>) -> bool {
    cycle
        .settings()
        .windows
        .of(kind)
        .is_some_and(|w| now > w.due)
}
