//! The Cedar encoding of R-READ (benches/support/cedar.rs) against `decide`, on at least
//! 10,000 random requests over random worlds per run. What Cedar does not decide itself (see
//! the encoding's docs) is precomputed there and covered by the oracle test.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use crate::world::{Rng, worlds_sized};

#[path = "../benches/support/cedar.rs"]
mod encoding;

#[test]
fn decide_agrees_with_the_cedar_encoding_on_10_000_requests() {
    let minimum: usize = std::env::var("APPRAISE_CEDAR_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut runner = TestRunner::deterministic();
    let strategy = worlds_sized(1..=120usize);
    let (mut cases, mut allowed, mut worlds) = (0usize, 0usize, 0usize);
    while cases < minimum {
        let w = strategy.new_tree(&mut runner).expect("world").current();
        // A third of the worlds have someone who left since launch.
        let w = if w.seed % 3 == 0 {
            let leaver = w.people[(w.seed / 3) as usize % w.people.len()].id;
            w.with_leaver(leaver)
        } else {
            w
        };
        worlds += 1;
        let src = encoding::Source {
            org: &w.org,
            cycle: &w.cycle,
            grants: &w.grants,
            additional_managers: &w.additional_managers,
            calibrations: &w.calibrations,
            packets: &w.packets,
            reviews: &w.reviews,
        };
        let cedar = encoding::CedarWorld::build(&src, worlds <= 3);
        let mut rng = Rng::new(w.seed ^ 0xCEDA);
        for _ in 0..250.min(w.reviews.len() * 4) {
            let r = &w.reviews[rng.below(w.reviews.len())];
            let candidates = w.candidates(r, &mut rng);
            let p = if rng.chance(20) {
                r.subject()
            } else {
                candidates[rng.below(candidates.len())]
            };
            let ours = w.read(p, r);
            let theirs = cedar.is_allowed(p, r);
            assert_eq!(
                ours.is_allowed(),
                theirs,
                "decide and Cedar differ: world seed {} ({} people), actor {}, {:?} {:?} review by {} about {}, decide says {:?}",
                w.seed,
                w.people.len(),
                w.name(p),
                r.kind(),
                r.state(),
                w.name(r.author()),
                w.name(r.subject()),
                ours,
            );
            allowed += usize::from(theirs);
            cases += 1;
        }
    }
    eprintln!("cedar: {cases} requests over {worlds} worlds, {allowed} allowed");
    assert!(
        allowed > cases / 10 && allowed < cases * 9 / 10,
        "a mix of allows and denies: {allowed} of {cases}"
    );
}
