//! The load run of the scale report: several engines, each on its own handle to one database
//! (as app servers are), issuing a mix of drafts, submits, reads, nominations and ticks for a
//! fixed time. It measures throughput, latency, conflicts and retries, then checks the audit
//! log: every command that landed is in it once, and nothing else is.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use appraise::plugin::Storage;
use appraise::{CycleId, Engine, EventKind, PacketId, PersonId, ReviewId, ReviewKind};

use super::org::Rng;

/// What a load run measured.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Commands and reads that completed (landed or refused), per second.
    pub per_second: f64,
    /// Median and 99th percentile latency of one operation, retries included.
    pub p50: Duration,
    pub p99: Duration,
    /// Conflicts met, each followed by a retry.
    pub conflicts: usize,
    /// Commands that landed but are missing from the audit log, and entries beyond them.
    pub lost: usize,
    pub doubled: usize,
    /// Operations in all.
    pub ops: usize,
}

/// A participant the run works on: their packet and self review.
#[derive(Clone, Copy)]
pub struct Target {
    pub subject: PersonId,
    pub packet: PacketId,
    pub own: ReviewId,
    /// Whether nominations are closed (drafts and submits) or open (nominations).
    pub writing: bool,
}

/// The run's targets: every participant but the admin, half of them writing.
pub async fn targets(
    engine: &Engine,
    cycle: CycleId,
    admin: PersonId,
) -> Result<Vec<Target>, Box<dyn std::error::Error>> {
    let mut targets = Vec::new();
    let mut after = None;
    loop {
        let page = engine.storage().packets(cycle, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.record.id());
        for p in page {
            let subject = p.record.subject();
            if subject == admin {
                continue;
            }
            let Some(own) = engine
                .storage()
                .reviews_by(cycle, subject)
                .await?
                .into_iter()
                .find(|r| r.record.kind() == ReviewKind::SelfReview)
            else {
                continue;
            };
            let writing = targets.len() % 2 == 0;
            if writing {
                engine.close_nominations(admin, p.record.id()).await?;
            }
            targets.push(Target {
                subject,
                packet: p.record.id(),
                own: own.record.id(),
                writing,
            });
        }
    }
    Ok(targets)
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Draft,
    Submit,
    Nominate,
    Read,
    Tick,
}

/// Runs `workers` tasks per engine for `time`, then checks the cycle's audit log.
pub async fn run(
    engines: &[Engine],
    cycle: CycleId,
    targets: &[Target],
    workers: usize,
    time: Duration,
) -> Result<LoadReport, Box<dyn std::error::Error>> {
    let people: Vec<PersonId> = targets.iter().map(|t| t.subject).collect();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (e, engine) in engines.iter().enumerate() {
        for w in 0..workers {
            let engine = engine.clone();
            let targets = targets.to_vec();
            let people = people.clone();
            tasks.push(tokio::spawn(async move {
                let mut rng = Rng((e * 1_000 + w) as u64 + 1);
                let mut latencies = Vec::new();
                let mut landed: HashMap<Op, usize> = HashMap::new();
                let mut conflicts = 0usize;
                let mut i = 0usize;
                while start.elapsed() < time {
                    i += 1;
                    let t = targets[rng.below(targets.len())];
                    let roll = rng.below(100);
                    let op = match roll {
                        0..40 if t.writing => Op::Draft,
                        40..55 if t.writing => Op::Submit,
                        0..55 => Op::Nominate,
                        55..97 => Op::Read,
                        _ => Op::Tick,
                    };
                    let began = Instant::now();
                    // Each command carries its own key, so a retry after a conflict can never
                    // apply it twice.
                    let keyed = engine.with_key(format!("load-{e}-{w}-{i}"));
                    let ok = loop {
                        let result = match op {
                            Op::Draft => keyed
                                .save_draft(t.subject, t.own, appraise::Answers::new())
                                .await
                                .map(drop),
                            Op::Submit => {
                                keyed.submit_review(t.subject, t.own, None).await.map(drop)
                            }
                            Op::Nominate => {
                                let peer = people[rng.below(people.len())];
                                keyed.nominate(t.subject, t.packet, peer).await.map(drop)
                            }
                            Op::Read => engine.my_reviews(t.subject, cycle).await.map(drop).and(
                                engine
                                    .packet_of(t.subject, cycle, t.subject)
                                    .await
                                    .map(drop),
                            ),
                            Op::Tick => engine.tick().await.map(drop),
                        };
                        match result {
                            Err(e) if e.is_retryable() => conflicts += 1,
                            other => break other.is_ok(),
                        }
                    };
                    latencies.push(began.elapsed());
                    if ok {
                        *landed.entry(op).or_default() += 1;
                    }
                }
                (latencies, landed, conflicts)
            }));
        }
    }
    let mut latencies = Vec::new();
    let mut landed: HashMap<Op, usize> = HashMap::new();
    let mut conflicts = 0;
    for task in tasks {
        let (l, d, c) = task.await?;
        latencies.extend(l);
        for (op, n) in d {
            *landed.entry(op).or_default() += n;
        }
        conflicts += c;
    }
    let elapsed = start.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];

    // The audit log against what landed.
    let mut logged: HashMap<Op, usize> = HashMap::new();
    let mut after = None;
    loop {
        let page = engines[0].storage().events(cycle, after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        for e in page {
            let op = match e.event.kind {
                EventKind::ReviewDraftSaved { .. } => Op::Draft,
                EventKind::ReviewSubmitted { .. } => Op::Submit,
                EventKind::NominationCreated { .. } => Op::Nominate,
                _ => continue,
            };
            *logged.entry(op).or_default() += 1;
        }
    }
    let (mut lost, mut doubled) = (0, 0);
    for op in [Op::Draft, Op::Submit, Op::Nominate] {
        let (l, g) = (
            landed.get(&op).copied().unwrap_or(0),
            logged.get(&op).copied().unwrap_or(0),
        );
        lost += l.saturating_sub(g);
        doubled += g.saturating_sub(l);
    }
    Ok(LoadReport {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
        conflicts,
        lost,
        doubled,
        ops: latencies.len(),
    })
}

/// What the submit run measured.
#[derive(Debug, Default)]
pub struct SubmitReport {
    /// Self reviews submitted, and per second of the run.
    pub submits: usize,
    pub per_second: f64,
    /// Submits that returned but are not submitted in storage or not in the audit log once
    /// (lost updates), and audit entries beyond one per submit.
    pub lost: usize,
    pub doubled: usize,
    /// Notifications handed to the notifier more than once.
    pub duplicate_notifications: usize,
}

/// Engines, each on its own handle to one database, submit self reviews concurrently for
/// `time`, one worker each: a worker takes the next participant of `subjects`, reads their
/// reviews, closes their nominations (as `admin`) and submits their self review, both commands
/// under keys of their own and retried on a conflict. Then every submit that returned is
/// checked in storage and in the audit log, and `delivered` (the notifier all engines share)
/// for notifications handed over twice.
pub async fn submits(
    engines: &[Engine],
    admin: PersonId,
    cycle: CycleId,
    subjects: &[(PersonId, PacketId)],
    time: Duration,
    delivered: impl Fn() -> Vec<appraise::Notification>,
) -> Result<SubmitReport, Box<dyn std::error::Error>> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let subjects = std::sync::Arc::new(subjects.to_vec());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (e, engine) in engines.iter().enumerate() {
        let (engine, next, subjects) = (engine.clone(), next.clone(), subjects.clone());
        tasks.push(tokio::spawn(async move {
            let mut landed = Vec::new();
            while start.elapsed() < time {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(subject, packet)) = subjects.get(i) else {
                    break;
                };
                let own = engine
                    .my_reviews(subject, cycle)
                    .await?
                    .into_iter()
                    .find(|r| {
                        r.kind == ReviewKind::SelfReview
                            && r.state != appraise::ReviewState::Submitted
                    });
                let Some(own) = own else { continue };
                let close = engine.with_key(format!("close-{e}-{i}"));
                match appraise::retry_conflicts(4, || close.close_nominations(admin, packet)).await
                {
                    // Closed already (the report submitted some before).
                    Ok(_) | Err(appraise::Error::InvalidTransition { .. }) => {}
                    Err(e) => return Err(e),
                }
                let submit = engine.with_key(format!("submit-{e}-{i}"));
                appraise::retry_conflicts(4, || submit.submit_review(subject, own.id, None))
                    .await?;
                landed.push(own.id);
            }
            Ok::<_, appraise::Error>(landed)
        }));
    }
    let mut landed = Vec::new();
    for task in tasks {
        landed.extend(task.await??);
    }
    let elapsed = start.elapsed();
    let storage = engines[0].storage();
    let mut lost = 0;
    for id in &landed {
        let stored = appraise::plugin::StorageExt::review(&**storage, *id).await?;
        if stored.record.state() != appraise::ReviewState::Submitted {
            lost += 1;
        }
    }
    let mut logged: HashMap<ReviewId, usize> = HashMap::new();
    let mut after = None;
    loop {
        let page = storage.events(cycle, after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        for e in page {
            if let EventKind::ReviewSubmitted { review, .. } = e.event.kind {
                *logged.entry(review).or_default() += 1;
            }
        }
    }
    let mut doubled = 0;
    for id in &landed {
        match logged.get(id).copied().unwrap_or(0) {
            0 => lost += 1,
            n => doubled += n - 1,
        }
    }
    let notes = delivered();
    let keys: std::collections::HashSet<&str> = notes.iter().map(|n| n.key.as_str()).collect();
    Ok(SubmitReport {
        submits: landed.len(),
        per_second: landed.len() as f64 / elapsed.as_secs_f64(),
        lost,
        doubled,
        duplicate_notifications: notes.len() - keys.len(),
    })
}
