//! Regression tests of the confidentiality issue, one per finding, each named for the rule of
//! DOMAIN.md it checks.

use appraise::plugin::Clock as _;
use appraise::{AdminGrant, Error};
use chrono::Duration;

use crate::engine::{id, launched};

/// The explanation of a denial; any other outcome fails the test.
fn denied<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Err(Error::Denied(why)) => why.to_string(),
        other => panic!("expected a denial, got {other:?}"),
    }
}
use appraise::memory::RecordingNotifier;

/// R-WRITE-16: nobody grants anything to themselves, and adding a collaborator to a cycle
/// needs `admin(P, C)`. An admin whose `since` excludes the cycle cannot add himself (or
/// anyone) as its collaborator, nor re-grant himself past-cycle visibility.
#[tokio::test]
async fn r_write_16_no_self_grants_and_collaborators_need_admin_of_the_cycle() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    // A day later dana becomes an admin from then on: the running cycle is before her grant.
    w.clock.advance(Duration::days(1));
    let later = AdminGrant {
        since: w.clock.now(),
        past_cycles: false,
    };
    e.grant_admin(id("kim"), id("dana"), later).await.unwrap();
    let before = w.storage.dump();

    let why = denied(e.add_collaborator(id("dana"), w.cycle, id("dana")).await);
    assert_eq!(
        why,
        "R-WRITE-16 refused: dana may not grant anything to themselves"
    );
    let why = denied(e.add_collaborator(id("dana"), w.cycle, id("fay")).await);
    assert!(why.starts_with("R-WRITE-16 no role:"), "{why}");
    let again = AdminGrant {
        since: w.clock.now() - Duration::days(30),
        past_cycles: true,
    };
    // Store-wide grants have no cycle to name people from: the message names dana by id.
    for grant in [
        e.grant_admin(id("dana"), id("dana"), again).await,
        e.grant_global_viewer(id("dana"), id("dana"), id("ann"))
            .await,
        e.grant_past_reviews(id("dana"), id("dana"), id("ann"))
            .await,
    ] {
        let why = denied(grant);
        assert!(
            why.starts_with("R-WRITE-16 refused:")
                && why.ends_with("may not grant anything to themselves"),
            "{why}"
        );
    }
    assert_eq!(w.storage.dump(), before, "refusals change nothing");

    // kim, whose grant reaches the cycle, adds a collaborator; others grant dana things.
    e.add_collaborator(id("kim"), w.cycle, id("fay"))
        .await
        .unwrap();
    e.grant_admin(id("kim"), id("dana"), again).await.unwrap();
    e.add_collaborator(id("dana"), w.cycle, id("cy"))
        .await
        .unwrap();
}
