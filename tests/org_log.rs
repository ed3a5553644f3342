//! DOMAIN.md, "People and the org snapshot" and "Mid-cycle changes": an org change mid-cycle is
//! an explicit command (a manager change, a leaver, a hire joining), and every rule reads the
//! cycle's snapshot as those commands left it. Stored as a launch snapshot plus a log of
//! changes, that must hold for every engine, whatever it held before.
//!
//! Random sequences of org changes (valid and invalid: loops, unknown people, leavers) go
//! through random engines on one store. After every step:
//! - the stored org (`StorageExt::org`) is the launch snapshot with the accepted changes
//!   applied directly, in order, and its version counts them;
//! - a refused change moved nothing;
//! - engines that held the org at any earlier step, and a cold one, decide every reader's
//!   reading of every review alike.
//!
//! `APPRAISE_ORG_LOG_SEQUENCES` sets how many sequences run (default 40).

use std::sync::Arc;

use appraise::memory::{IndexedMemoryStorage, RecordingNotifier, StaticDirectory};
use appraise::plugin::{ManualClock, Storage, StorageExt};
use appraise::{Engine, OrgEdit, OrgSnapshot, Person, PersonId, ReviewKind};
use chrono::TimeZone;

use crate::engine::{id, launch_fixture};
use crate::world::Rng;

/// The fixture's people (`crate::engine::directory`) and two more below ann.
const PEOPLE: [&str; 10] = [
    "dana", "bo", "ann", "cy", "eve", "fay", "kim", "lee", "gus", "hal",
];

fn directory() -> StaticDirectory {
    let manager = |n: &str| match n {
        "bo" | "kim" => Some("dana"),
        "ann" | "cy" | "eve" | "fay" => Some("bo"),
        "lee" => Some("kim"),
        "gus" | "hal" => Some("ann"),
        _ => None,
    };
    let people = PEOPLE
        .iter()
        .map(|&n| match manager(n) {
            Some(m) => Person::new(id(n), n).with_manager(id(m)),
            None => Person::new(id(n), n),
        })
        .collect();
    StaticDirectory::new(people, vec![])
}

fn sequences() -> u64 {
    std::env::var("APPRAISE_ORG_LOG_SEQUENCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

/// What every reader may read of every review of the cycle, and whether they see its author,
/// as `engine` decides it.
async fn readings(
    engine: &Engine,
    reviews: &[appraise::ReviewId],
) -> Vec<(PersonId, appraise::ReviewId, Option<bool>)> {
    let mut out = Vec::new();
    for &reader in &PEOPLE.map(id) {
        for &review in reviews {
            let read = engine.read_review(reader, review).await.ok();
            out.push((reader, review, read.map(|v| v.author.is_some())));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_engine_reads_the_org_the_accepted_changes_made() {
    // Changes accepted and refused, over all sequences.
    let (mut accepted_changes, mut refused_changes) = (0, 0);
    for seed in 0..sequences() {
        let storage = Arc::new(IndexedMemoryStorage::new());
        let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
        let engine = || {
            Engine::builder()
                .storage(Arc::clone(&storage))
                .notifier(RecordingNotifier::new())
                .directory(directory())
                .clock(clock.clone())
                .build()
        };
        let first = engine();
        let cycle = launch_fixture(&first, &clock).await;
        let participants = [id("ann"), id("cy"), id("eve")];
        // Every participant's self review submitted, so that there is something to read.
        for &p in &participants {
            let packet = first.packet_of(id("kim"), cycle, p).await.unwrap();
            first
                .close_nominations(id("kim"), packet.id())
                .await
                .unwrap();
            let own = first.my_reviews(p, cycle).await.unwrap();
            let own = own
                .iter()
                .find(|r| r.kind == ReviewKind::SelfReview)
                .unwrap();
            first.submit_review(p, own.id, None).await.unwrap();
        }
        let mut reviews = Vec::new();
        for &p in &participants {
            for r in storage.reviews_about(cycle, p).await.unwrap() {
                reviews.push(r.record.id());
            }
        }
        let mut model: OrgSnapshot = storage.org(cycle).await.unwrap().record;
        let mut version = storage.org(cycle).await.unwrap().version;
        // Engines that each hold the org as of some earlier step.
        let mut engines = vec![first, engine(), engine()];
        let mut rng = Rng::new(seed);
        for step in 0..12 {
            let by = rng.below(engines.len());
            let actor = if rng.chance(90) { id("kim") } else { id("cy") };
            let subject = participants[rng.below(participants.len())];
            let packet = appraise::PacketId::of(cycle, subject);
            let other = id(PEOPLE[rng.below(PEOPLE.len())]);
            let (accepted, edit) = if rng.chance(70) {
                let to = (!rng.chance(10)).then_some(other);
                let ok = engines[by].change_manager(actor, packet, to).await.is_ok();
                (
                    ok,
                    OrgEdit::ManagerChanged {
                        person: subject,
                        manager: to,
                    },
                )
            } else {
                let ok = engines[by].person_left(actor, cycle, other).await.is_ok();
                (ok, OrgEdit::Left { person: other })
            };
            if accepted {
                // Applied directly to the model, not through the log.
                match edit {
                    OrgEdit::ManagerChanged { person, manager } => {
                        model.set_manager(person, manager).unwrap();
                    }
                    OrgEdit::Left { person } => model.mark_left(person).unwrap(),
                    _ => unreachable!(),
                }
                version += 1;
                accepted_changes += 1;
            } else {
                refused_changes += 1;
            }
            let stored = storage.org(cycle).await.unwrap();
            assert_eq!(
                (stored.version, &stored.record),
                (version, &model),
                "seed {seed} step {step}: the stored org"
            );
            // Every engine, whatever it held, and a cold one decide alike.
            let cold = engine();
            let want = readings(&cold, &reviews).await;
            for (e, held) in engines.iter().enumerate() {
                let got = readings(held, &reviews).await;
                let differ: Vec<_> = got.iter().zip(&want).filter(|(g, w)| g != w).collect();
                assert!(
                    differ.is_empty(),
                    "seed {seed} step {step}: engine {e} decides otherwise than a cold one \
                     (reader, review, author shown): {differ:?}"
                );
            }
            if rng.chance(30) {
                engines.push(cold);
            }
        }
    }
    assert!(
        accepted_changes > 0 && refused_changes > 0,
        "{accepted_changes} changes accepted, {refused_changes} refused"
    );
}
