//! `decide` against the naive oracle on at least 10,000 random (world, person, review) cases.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use crate::oracle;
use crate::world::{Rng, worlds};

#[test]
fn decide_matches_the_naive_oracle_on_10_000_cases() {
    let minimum: usize = std::env::var("APPRAISE_ORACLE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut runner = TestRunner::deterministic();
    let strategy = worlds();
    let mut cases = 0usize;
    let mut world_count = 0usize;
    // [rule][allowed]: how often each outcome was seen, so the test proves its own coverage.
    let mut seen = [[0usize; 2]; 10];
    let mut hidden = 0usize;
    while cases < minimum {
        let w = strategy.new_tree(&mut runner).expect("world").current();
        // A third of the worlds have someone who left since launch.
        let w = if w.seed % 3 == 0 {
            let leaver = w.people[(w.seed / 3) as usize % w.people.len()].id;
            w.with_leaver(leaver)
        } else {
            w
        };
        world_count += 1;
        let mut rng = Rng::new(w.seed ^ 0x5EED);
        for _ in 0..100.min(w.reviews.len() * 4) {
            // Mostly a random review and someone related to it; sometimes the subject; sometimes a
            // calibration contributor and a review about one of their session's participants.
            let mut r = &w.reviews[rng.below(w.reviews.len())];
            let mut contributor = None;
            if !w.calibrations.is_empty() && rng.chance(15) {
                let session = &w.calibrations[rng.below(w.calibrations.len())];
                let about: Vec<_> = w
                    .reviews
                    .iter()
                    .filter(|x| session.participants().contains(&x.subject()))
                    .collect();
                if !about.is_empty() {
                    r = about[rng.below(about.len())];
                    let members: Vec<_> = session.contributors().iter().copied().collect();
                    contributor = Some(members[rng.below(members.len())]);
                }
            }
            let candidates = w.candidates(r, &mut rng);
            let p = match contributor {
                Some(c) => c,
                None if rng.chance(20) => r.subject(),
                None => candidates[rng.below(candidates.len())],
            };
            let got = w.read(p, r);
            let want = oracle::read(&w, p, r);
            let got_rule = match got.rule() {
                appraise::access::Rule::Read(n) => n,
                appraise::access::Rule::Left => 0,
                other => panic!("read decided by {other:?}"),
            };
            assert_eq!(
                (got.is_allowed(), got.author_hidden(), got_rule),
                (want.allowed, want.hidden, want.rule),
                "decide and the oracle differ: world seed {} ({} people), actor {}, review {:?} {:?} by {} about {}, decision {:?}",
                w.seed,
                w.people.len(),
                w.name(p),
                r.kind(),
                r.state(),
                w.name(r.author()),
                w.name(r.subject()),
                got,
            );
            seen[usize::from(got_rule)][usize::from(got.is_allowed())] += 1;
            hidden += usize::from(got.author_hidden());
            cases += 1;
        }
    }
    assert!(
        cases >= minimum,
        "only {cases} cases over {world_count} worlds"
    );
    eprintln!(
        "oracle: {cases} cases over {world_count} worlds; [denied, allowed] per rule: {seen:?}; author hidden {hidden}"
    );
    for rule in [1, 3, 4, 5, 6, 7, 8] {
        assert!(
            seen[rule][1] > 0,
            "no case allowed by R-READ-{rule}: {seen:?}"
        );
    }
    for rule in [0, 2, 3, 9] {
        assert!(
            seen[rule][0] > 0,
            "no case denied by R-READ-{rule}: {seen:?}"
        );
    }
    assert!(hidden > 0, "no case hid an author");
}
