//! Idempotency keys: a command run through `Engine::with_key` lands once, however often the
//! client retries it, and every retry returns the first outcome.

use std::sync::Arc;

use appraise::memory::RecordingNotifier;
use appraise::plugin::Storage;
use appraise::testkit::faults::{Fault, Faults, FaultyStorage, Op};
use appraise::{CycleConfig, Engine, Error, EventKind, ReviewKind};

use crate::engine::{World, directory, id, launched, period, review_of};

fn faulty_engine(w: &World, faults: &Arc<Faults>) -> Engine {
    Engine::builder()
        .storage(FaultyStorage::new(
            Arc::clone(&w.storage),
            Arc::clone(faults),
        ))
        .directory(directory())
        .clock(w.clock.clone())
        .build()
}

async fn submitted(w: &World) -> usize {
    w.storage
        .events(w.cycle, None, usize::MAX)
        .await
        .unwrap()
        .iter()
        .filter(|e| matches!(e.event.kind, EventKind::ReviewSubmitted { .. }))
        .count()
}

/// Reliability finding: commands had no idempotency key, so a client whose command landed but
/// whose answer was lost (a timeout, a failure after the commit) could not know whether to
/// retry. Under a key the retry returns the first outcome and the command lands once; without
/// one, the same retry is refused as a second submit.
#[tokio::test]
async fn a_retry_under_the_same_key_returns_the_first_outcome_and_lands_once() {
    let w = launched(RecordingNotifier::new()).await;
    let faults = Faults::new(5);
    let e = faulty_engine(&w, &faults);
    let own = review_of(&w, "ann", ReviewKind::SelfReview, "ann").await;
    let before = submitted(&w).await;

    // The commit lands, the answer is lost.
    faults.once(Op::CommitAfter, Fault::Fail);
    let request = e.with_key("submit-ann-self");
    assert!(matches!(
        request.submit_review(id("ann"), own.id, None).await,
        Err(Error::Backend { .. })
    ));
    assert_eq!(submitted(&w).await, before + 1, "it landed");
    let retried = request
        .submit_review(id("ann"), own.id, None)
        .await
        .unwrap();
    assert_eq!(retried.id, own.id);
    assert_eq!(retried.state, appraise::ReviewState::Submitted);
    let again = e
        .with_key("submit-ann-self")
        .submit_review(id("ann"), own.id, None)
        .await
        .unwrap();
    assert_eq!(again, retried, "every retry returns the same outcome");
    assert_eq!(submitted(&w).await, before + 1, "and lands once");
    // Without the key the retry is a second submit, refused.
    assert!(matches!(
        e.submit_review(id("ann"), own.id, None).await,
        Err(Error::InvalidTransition { .. })
    ));

    // Keys are per actor: kim's command under ann's key runs as kim's own.
    let cycle = e
        .with_key("submit-ann-self")
        .create_cycle(id("kim"), CycleConfig::new("H2", period()))
        .await
        .unwrap();
    assert_eq!(cycle.config().name, "H2");
    // A key reused for a command of another outcome type is refused, naming the key.
    match e
        .with_key("submit-ann-self")
        .record_meeting(
            id("ann"),
            w.storage.packets(w.cycle, None, 1).await.unwrap()[0]
                .record
                .id(),
        )
        .await
    {
        Err(Error::Invalid { reason, .. }) => {
            assert!(reason.contains("submit-ann-self"), "{reason}")
        }
        other => panic!("expected the key's reuse refused, got {other:?}"),
    }
    // A refused command stores nothing: under the same key, a corrected retry runs.
    let refused = e
        .with_key("create-h3")
        .create_cycle(id("kim"), CycleConfig::new(" ", period()))
        .await;
    assert!(matches!(refused, Err(Error::Invalid { .. })));
    let created = e
        .with_key("create-h3")
        .create_cycle(id("kim"), CycleConfig::new("H3", period()))
        .await
        .unwrap();
    assert_eq!(created.config().name, "H3");
}

/// Two runs of one keyed command at once: one lands, the other conflicts, and its retry
/// returns the first outcome: one cycle, not two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_of_one_key_at_once_make_one_cycle() {
    let w = launched(RecordingNotifier::new()).await;
    let e = Arc::new(
        Engine::builder()
            .storage(crate::engine::Racing::new(Arc::clone(&w.storage), 2))
            .directory(directory())
            .clock(w.clock.clone())
            .build(),
    );
    let run = || {
        let e = e.with_key("create-h2");
        tokio::spawn(async move {
            e.create_cycle(id("kim"), CycleConfig::new("H2", period()))
                .await
        })
    };
    let (a, b) = (run(), run());
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let (landed, lost) = match (a, b) {
        (Ok(c), Err(e)) | (Err(e), Ok(c)) => (c, e),
        other => panic!("expected one to land and one to conflict, got {other:?}"),
    };
    assert!(matches!(lost, Error::Conflict { .. }), "{lost:?}");
    let retried = w
        .engine
        .with_key("create-h2")
        .create_cycle(id("kim"), CycleConfig::new("H2", period()))
        .await
        .unwrap();
    assert_eq!(retried.id(), landed.id());
    let named = w
        .storage
        .cycles(None, 100)
        .await
        .unwrap()
        .iter()
        .filter(|c| c.record.config().name == "H2")
        .count();
    assert_eq!(named, 1);
}
