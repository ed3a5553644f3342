//! Notifications under faults: several engines on one storage, notifiers that fail or hang,
//! storages that fail to mark a delivery. Each notification is handed over once, and nothing
//! is stranded.

use std::collections::HashMap;
use std::sync::Arc;

use appraise::memory::RecordingNotifier;
use appraise::plugin::Storage;
use appraise::testkit::faults::{Fault, Faults, FaultyNotifier, FaultyStorage, Op};
use appraise::{Engine, EventKind, ReviewKind};
use chrono::Duration;

use crate::engine::{World, directory, id, launched, review_of};

/// An engine on `w`'s storage and clock, through faulty wrappers, delivering to `recorder`.
fn engine_on(w: &World, faults: &Arc<Faults>, recorder: &Arc<RecordingNotifier>) -> Arc<Engine> {
    Arc::new(
        Engine::builder()
            .storage(FaultyStorage::new(
                Arc::clone(&w.storage),
                Arc::clone(faults),
            ))
            .notifier(FaultyNotifier::new(
                Arc::clone(recorder),
                Arc::clone(faults),
            ))
            .directory(directory())
            .clock(w.clock.clone())
            .build(),
    )
}

/// How many times each key was handed over.
fn handed_over(recorder: &RecordingNotifier) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for n in recorder.delivered() {
        *counts.entry(n.key).or_insert(0) += 1;
    }
    counts
}

/// Queues `n` reminders (one notification each) while the notifier is down.
async fn queue_reminders(w: &World, n: usize) {
    let review = review_of(w, "ann", ReviewKind::SelfReview, "ann").await;
    for _ in 0..n {
        w.engine.send_reminder(id("kim"), review.id).await.unwrap();
    }
}

/// Reliability finding: two engines delivering at once handed every notification over twice.
/// Each claims what it delivers now, so between them each key goes out once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_delivering_at_once_hand_each_notification_over_once() {
    let w = launched(RecordingNotifier::new_failing()).await;
    queue_reminders(&w, 40).await;
    let pending = w.storage.pending_outbox(usize::MAX).await.unwrap().len();
    assert!(pending >= 40);
    let faults = Faults::new(1);
    // Every delivery yields for a moment, so the two passes interleave.
    faults.always(
        Op::Deliver,
        Fault::Delay(std::time::Duration::from_millis(1)),
    );
    let recorder = Arc::new(RecordingNotifier::new());
    let (a, b) = (
        engine_on(&w, &faults, &recorder),
        engine_on(&w, &faults, &recorder),
    );
    let (ra, rb) = tokio::join!(a.deliver_pending(), b.deliver_pending());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.delivered + rb.delivered, pending, "{ra:?} {rb:?}");
    let counts = handed_over(&recorder);
    assert_eq!(counts.len(), pending);
    assert!(counts.values().all(|&c| c == 1), "a key went out twice");
    assert!(
        w.storage
            .pending_outbox(usize::MAX)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Reliability finding: a failed `mark_delivered` redelivered the notification within the
/// same process. The engine remembers what the notifier accepted and marks it later without
/// handing it over again.
#[tokio::test]
async fn a_failed_mark_is_retried_without_handing_over_again() {
    let w = launched(RecordingNotifier::new()).await;
    let faults = Faults::new(2);
    let recorder = Arc::new(RecordingNotifier::new());
    let e = engine_on(&w, &faults, &recorder);
    faults.always(Op::MarkDelivered, Fault::Fail);
    let review = review_of(&w, "ann", ReviewKind::SelfReview, "ann").await;
    e.send_reminder(id("kim"), review.id).await.unwrap();
    assert_eq!(recorder.calls(), 1, "handed over once");
    assert_eq!(w.storage.pending_outbox(10).await.unwrap().len(), 1);
    // Still failing to mark: nothing is handed over again.
    assert_eq!(e.deliver_pending().await.unwrap().delivered, 0);
    assert_eq!(recorder.calls(), 1);
    faults.heal_all();
    assert_eq!(e.deliver_pending().await.unwrap().delivered, 0);
    assert_eq!(recorder.calls(), 1, "marked, not handed over again");
    assert!(w.storage.pending_outbox(10).await.unwrap().is_empty());
}

/// Reliability finding: with a hanging notifier the command that committed never returned,
/// and once the host timed it out the notification's key stayed "in flight" in that engine
/// until a restart. Now the hold on it ends with the delivery lease and any engine delivers
/// it; an engine with deferred delivery never waits for the notifier at all.
#[tokio::test]
async fn a_hanging_notifier_strands_nothing() {
    let w = launched(RecordingNotifier::new()).await;
    let review = review_of(&w, "ann", ReviewKind::SelfReview, "ann").await;
    let faults = Faults::new(3);
    faults.always(Op::Deliver, Fault::Hang);
    let hanging = Arc::new(RecordingNotifier::new());
    let stuck = engine_on(&w, &faults, &hanging);
    let timed_out = tokio::time::timeout(
        std::time::Duration::from_millis(50),
        stuck.send_reminder(id("kim"), review.id),
    )
    .await;
    assert!(timed_out.is_err(), "the notifier hangs the command");
    assert_eq!(
        w.storage.pending_outbox(10).await.unwrap().len(),
        1,
        "the command landed; its notification waits"
    );

    // Another engine leaves it alone while the stuck engine's hold lasts, then delivers it.
    let healthy = Arc::new(RecordingNotifier::new());
    let other = engine_on(&w, &Faults::new(4), &healthy);
    assert_eq!(other.deliver_pending().await.unwrap().delivered, 0);
    w.clock.advance(Duration::minutes(2) + Duration::seconds(1));
    assert_eq!(other.deliver_pending().await.unwrap().delivered, 1);
    assert_eq!(healthy.delivered().len(), 1);

    // Deferred delivery: the command returns at once and the notification waits for a pass.
    let deferred = Engine::builder()
        .storage(Arc::clone(&w.storage))
        .notifier(FaultyNotifier::new(
            RecordingNotifier::new(),
            Arc::clone(&faults),
        ))
        .directory(directory())
        .clock(w.clock.clone())
        .deferred_delivery()
        .build();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        deferred.send_reminder(id("kim"), review.id),
    )
    .await
    .expect("a deferred command never waits for the notifier")
    .unwrap();
    assert_eq!(w.storage.pending_outbox(10).await.unwrap().len(), 1);
    assert_eq!(other.deliver_pending().await.unwrap().delivered, 1);
}

/// Random faults in reads, commits (before and after applying), claims, marks and the
/// notifier, three engines issuing commands and delivery passes at once, each command retried
/// under its idempotency key until it returns `Ok`: every command is in the audit log exactly
/// once, and once the faults stop and each engine runs a pass, every notification was handed
/// over exactly once. `APPRAISE_FAULT_SEEDS` sets how
/// many seeds run (default 8).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_random_faults_nothing_is_lost_or_doubled() {
    let seeds: u64 = std::env::var("APPRAISE_FAULT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    for seed in 0..seeds {
        let w = launched(RecordingNotifier::new()).await;
        let review = review_of(&w, "ann", ReviewKind::SelfReview, "ann").await;
        let before = w.storage.pending_outbox(usize::MAX).await.unwrap().len();
        let faults = Faults::new(seed);
        faults.randomly(Op::Read, Fault::Fail, 30);
        faults.randomly(Op::CommitBefore, Fault::Fail, 50);
        faults.randomly(Op::CommitAfter, Fault::Fail, 50);
        faults.randomly(Op::Claim, Fault::Fail, 100);
        faults.randomly(Op::MarkDelivered, Fault::Fail, 200);
        faults.randomly(Op::Deliver, Fault::Fail, 200);
        let recorder = Arc::new(RecordingNotifier::new());
        let engines: Vec<_> = (0..3).map(|_| engine_on(&w, &faults, &recorder)).collect();
        let tasks: Vec<_> = engines
            .iter()
            .enumerate()
            .map(|(n, e)| {
                let e = Arc::clone(e);
                tokio::spawn(async move {
                    let mut retries = 0usize;
                    for i in 0..30 {
                        let request = e.with_key(format!("reminder-{n}-{i}"));
                        while request.send_reminder(id("kim"), review.id).await.is_err() {
                            retries += 1;
                            assert!(retries < 1_000, "a command never landed");
                        }
                        if i % 5 == 0 {
                            let _ = e.deliver_pending().await;
                        }
                    }
                    retries
                })
            })
            .collect();
        let mut retries = 0;
        for t in tasks {
            retries += t.await.unwrap();
        }
        let accepted = 90;
        let injected: u64 = [Op::Read, Op::CommitBefore, Op::CommitAfter, Op::Claim]
            .into_iter()
            .map(|op| faults.injected(op))
            .sum();
        assert!(injected > 0 && retries > 0, "seed {seed}: faults ran");
        let requested = w
            .storage
            .events(w.cycle, None, usize::MAX)
            .await
            .unwrap()
            .iter()
            .filter(|e| matches!(e.event.kind, EventKind::ReminderRequested { .. }))
            .count();
        assert_eq!(requested, accepted, "seed {seed}: every command, once");

        // The faults stop. Each engine runs a pass within the lease (marking what it could
        // not), then one after every hold has ended.
        faults.heal_all();
        for e in &engines {
            e.deliver_pending().await.unwrap();
        }
        w.clock.advance(Duration::minutes(10));
        for e in &engines {
            e.deliver_pending().await.unwrap();
        }
        assert!(
            w.storage
                .pending_outbox(usize::MAX)
                .await
                .unwrap()
                .is_empty(),
            "seed {seed}: nothing stranded"
        );
        let counts = handed_over(&recorder);
        assert_eq!(
            counts.len(),
            accepted + before,
            "seed {seed}: every notification handed over"
        );
        assert!(
            counts.values().all(|&c| c == 1),
            "seed {seed}: a notification went out twice"
        );
    }
}
