//! Fault injection: a [`Storage`] and a [`Notifier`] wrapper that fail, delay or hang the
//! operations a [`Faults`] plan names, so a host (and this crate's tests) can check what an
//! engine does when its backends misbehave: that no accepted command is lost or applied twice,
//! and that every notification is handed over once.
//!
//! ```
//! use std::sync::Arc;
//! use appraise::memory::{MemoryStorage, RecordingNotifier};
//! use appraise::testkit::faults::{Fault, Faults, FaultyNotifier, FaultyStorage, Op};
//!
//! let faults = Faults::new(7);
//! // Every tenth commit fails after it was applied; the next mark of a delivery fails.
//! faults.randomly(Op::CommitAfter, Fault::Fail, 100);
//! faults.once(Op::MarkDelivered, Fault::Fail);
//! let storage = FaultyStorage::new(MemoryStorage::new(), Arc::clone(&faults));
//! let notifier = FaultyNotifier::new(RecordingNotifier::new(), Arc::clone(&faults));
//! let engine = appraise::Engine::builder().storage(storage).notifier(notifier).build();
//! # let _ = engine;
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use crate::domain::notification::Notification;
use crate::plugin::{
    Claim, Commit, Notifier, OutboxEntry, Record, RecordKey, Storage, StoredEvent, Versioned,
};
use crate::{
    CalibrationSession, Cycle, CycleId, Error, Nomination, Packet, PacketId, PersonId, Progress,
    Result, Review,
};

/// An operation faults can be injected into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Any read of the storage (gets, versions, listings, the outbox list).
    Read,
    /// A commit, before it is applied: it fails (or waits) and writes nothing.
    CommitBefore,
    /// A commit, after it is applied: it landed, but the caller sees the fault.
    CommitAfter,
    /// Marking an outbox entry delivered.
    MarkDelivered,
    /// Claiming or releasing outbox entries.
    Claim,
    /// The notifier's `deliver`.
    Deliver,
}

/// What happens to an operation hit by a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// It returns [`Error::Backend`].
    Fail,
    /// It never returns (a caller's timeout or a dropped future ends it).
    Hang,
    /// It waits this long, then goes on.
    Delay(std::time::Duration),
}

#[derive(Debug, Clone, Copy)]
enum When {
    Always,
    Once,
    /// In this many calls out of 1,000, drawn from the plan's seeded generator.
    PerMille(u32),
}

#[derive(Debug)]
struct Plan {
    rules: HashMap<Op, (Fault, When)>,
    injected: HashMap<Op, u64>,
    rng: u64,
}

/// A plan of faults, shared by the wrappers of one test. Random faults come from a generator
/// seeded by the plan's seed, so a failing run can be replayed.
#[derive(Debug)]
pub struct Faults {
    plan: Mutex<Plan>,
}

impl Faults {
    /// A plan with no fault, whose random faults draw from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Arc<Self> {
        Arc::new(Self {
            plan: Mutex::new(Plan {
                rules: HashMap::new(),
                injected: HashMap::new(),
                // xorshift needs a state that is not zero.
                rng: seed | 1,
            }),
        })
    }

    fn plan(&self) -> std::sync::MutexGuard<'_, Plan> {
        self.plan.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, op: Op, fault: Fault, when: When) {
        self.plan().rules.insert(op, (fault, when));
    }

    /// Every call of `op` meets `fault`.
    pub fn always(&self, op: Op, fault: Fault) {
        self.set(op, fault, When::Always);
    }

    /// The next call of `op` meets `fault`; later calls go through.
    pub fn once(&self, op: Op, fault: Fault) {
        self.set(op, fault, When::Once);
    }

    /// `per_mille` calls of `op` in 1,000 meet `fault`, at random.
    pub fn randomly(&self, op: Op, fault: Fault, per_mille: u32) {
        self.set(op, fault, When::PerMille(per_mille));
    }

    /// `op` goes through from now on.
    pub fn heal(&self, op: Op) {
        self.plan().rules.remove(&op);
    }

    /// Every operation goes through from now on.
    pub fn heal_all(&self) {
        self.plan().rules.clear();
    }

    /// How many faults were injected into `op` so far.
    #[must_use]
    pub fn injected(&self, op: Op) -> u64 {
        self.plan().injected.get(&op).copied().unwrap_or(0)
    }

    /// The fault this call of `op` meets, if any.
    fn draw(&self, op: Op) -> Option<Fault> {
        let mut plan = self.plan();
        let (fault, when) = *plan.rules.get(&op)?;
        let hit = match when {
            When::Always => true,
            When::Once => {
                plan.rules.remove(&op);
                true
            }
            When::PerMille(n) => {
                let mut x = plan.rng;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                plan.rng = x;
                x % 1000 < u64::from(n)
            }
        };
        if hit {
            *plan.injected.entry(op).or_insert(0) += 1;
        }
        hit.then_some(fault)
    }

    /// Runs `op`'s fault, if it meets one: `Err` for a failure, never for a hang, after the
    /// wait for a delay.
    async fn meet(&self, op: Op) -> Result<()> {
        match self.draw(op) {
            None => Ok(()),
            Some(Fault::Fail) => Err(Error::Backend {
                source: format!("injected fault in {op:?}").into(),
            }),
            Some(Fault::Hang) => std::future::pending().await,
            Some(Fault::Delay(d)) => {
                tokio::time::sleep(d).await;
                Ok(())
            }
        }
    }
}

/// A storage whose operations meet the faults of a [`Faults`] plan, then do what the wrapped
/// storage does.
#[derive(Debug)]
pub struct FaultyStorage<S> {
    inner: S,
    faults: Arc<Faults>,
}

impl<S: Storage> FaultyStorage<S> {
    /// Wraps `inner`.
    pub const fn new(inner: S, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }

    /// The wrapped storage, without faults.
    pub const fn inner(&self) -> &S {
        &self.inner
    }
}

#[async_trait]
impl<S: Storage> Storage for FaultyStorage<S> {
    async fn get(&self, key: RecordKey) -> Result<Option<Versioned<Record>>> {
        self.faults.meet(Op::Read).await?;
        self.inner.get(key).await
    }
    async fn version(&self, key: RecordKey) -> Result<Option<u64>> {
        self.faults.meet(Op::Read).await?;
        self.inner.version(key).await
    }
    async fn versions(&self, keys: &[RecordKey]) -> Result<Vec<Option<u64>>> {
        self.faults.meet(Op::Read).await?;
        self.inner.versions(keys).await
    }
    async fn commit(&self, commit: Commit) -> Result<()> {
        self.faults.meet(Op::CommitBefore).await?;
        self.inner.commit(commit).await?;
        self.faults.meet(Op::CommitAfter).await
    }
    async fn cycles(&self, after: Option<CycleId>, limit: usize) -> Result<Vec<Versioned<Cycle>>> {
        self.faults.meet(Op::Read).await?;
        self.inner.cycles(after, limit).await
    }
    async fn packets(
        &self,
        cycle: CycleId,
        after: Option<PacketId>,
        limit: usize,
    ) -> Result<Vec<Versioned<Packet>>> {
        self.faults.meet(Op::Read).await?;
        self.inner.packets(cycle, after, limit).await
    }
    async fn reviews_about(
        &self,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Vec<Versioned<Review>>> {
        self.faults.meet(Op::Read).await?;
        self.inner.reviews_about(cycle, subject).await
    }
    async fn reviews_by(&self, cycle: CycleId, author: PersonId) -> Result<Vec<Versioned<Review>>> {
        self.faults.meet(Op::Read).await?;
        self.inner.reviews_by(cycle, author).await
    }
    async fn progress(&self, cycle: CycleId) -> Result<Progress> {
        self.faults.meet(Op::Read).await?;
        self.inner.progress(cycle).await
    }
    async fn nominations(&self, packet: PacketId) -> Result<Vec<Versioned<Nomination>>> {
        self.faults.meet(Op::Read).await?;
        self.inner.nominations(packet).await
    }
    async fn calibrations(&self, cycle: CycleId) -> Result<Vec<Versioned<CalibrationSession>>> {
        self.faults.meet(Op::Read).await?;
        self.inner.calibrations(cycle).await
    }
    async fn events(
        &self,
        cycle: CycleId,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        self.faults.meet(Op::Read).await?;
        self.inner.events(cycle, after, limit).await
    }
    async fn store_events(&self, after: Option<u64>, limit: usize) -> Result<Vec<StoredEvent>> {
        self.faults.meet(Op::Read).await?;
        self.inner.store_events(after, limit).await
    }
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.faults.meet(Op::Read).await?;
        self.inner.pending_outbox(limit).await
    }
    async fn mark_delivered(&self, key: &str) -> Result<()> {
        self.faults.meet(Op::MarkDelivered).await?;
        self.inner.mark_delivered(key).await
    }
    async fn claim_pending(&self, claim: Claim, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.faults.meet(Op::Claim).await?;
        self.inner.claim_pending(claim, limit).await
    }
    async fn claim_keys(&self, claim: Claim, keys: &[String]) -> Result<Vec<String>> {
        self.faults.meet(Op::Claim).await?;
        self.inner.claim_keys(claim, keys).await
    }
    async fn release_claim(&self, claim: Claim, key: &str) -> Result<()> {
        self.faults.meet(Op::Claim).await?;
        self.inner.release_claim(claim, key).await
    }
}

/// A notifier whose deliveries meet the [`Op::Deliver`] faults of a [`Faults`] plan, then go
/// to the wrapped notifier.
#[derive(Debug)]
pub struct FaultyNotifier<N> {
    inner: N,
    faults: Arc<Faults>,
}

impl<N: Notifier> FaultyNotifier<N> {
    /// Wraps `inner`.
    pub const fn new(inner: N, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }

    /// The wrapped notifier.
    pub const fn inner(&self) -> &N {
        &self.inner
    }
}

#[async_trait]
impl<N: Notifier> Notifier for FaultyNotifier<N> {
    async fn deliver(&self, notification: &Notification) -> Result<()> {
        self.faults.meet(Op::Deliver).await?;
        self.inner.deliver(notification).await
    }
}
