//! `decide` on R-READ requests over random orgs of 1k, 10k and 100k people (see
//! `support/world.rs` for the world and the request mix), the cost of `explain`, and the same
//! requests through Cedar at 10k with its R-READ encoding (`support/cedar.rs`): both timed by
//! criterion, and their ratio printed.

use std::hint::black_box;
use std::time::Instant;

use appraise::access::{Action, Context, Target, decide, explain};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

#[path = "support/cedar.rs"]
mod cedar;
#[path = "support/org.rs"]
mod org;
#[path = "support/world.rs"]
mod world;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide");
    for n in [1_000, 10_000, 100_000] {
        let w = world::world(n);
        let ctx = Context::new(&w.grants, world::at())
            .with_cycle(&w.cycle)
            .with_snapshot(&w.org);
        let mut i = 0;
        group.bench_with_input(BenchmarkId::new("read", n), &n, |b, _| {
            b.iter(|| {
                let (actor, p, r) = w.requests[i % w.requests.len()];
                i += 1;
                black_box(decide(
                    &ctx,
                    actor,
                    Action::ReadReview,
                    Target::Review(&w.packets[p], &w.reviews[r]),
                ))
            });
        });
        let mut i = 0;
        group.bench_with_input(BenchmarkId::new("explain", n), &n, |b, _| {
            b.iter(|| {
                let (actor, p, r) = w.requests[i % w.requests.len()];
                i += 1;
                black_box(explain(
                    &ctx,
                    actor,
                    Action::ReadReview,
                    Target::Review(&w.packets[p], &w.reviews[r]),
                ))
            });
        });
        if n == 10_000 {
            let src = cedar::Source {
                org: &w.org,
                cycle: &w.cycle,
                grants: &w.grants,
                additional_managers: &Default::default(),
                calibrations: &[],
                packets: &w.packets,
                reviews: &w.reviews,
            };
            let cedar = cedar::CedarWorld::build(&src, false);
            let mut i = 0;
            group.bench_with_input(BenchmarkId::new("cedar", n), &n, |b, _| {
                b.iter(|| {
                    let (actor, _, r) = w.requests[i % w.requests.len()];
                    i += 1;
                    black_box(cedar.is_allowed(actor, &w.reviews[r]))
                });
            });
            // One line with both and the ratio, over the same requests.
            let time = |f: &dyn Fn(usize) -> bool| {
                let start = Instant::now();
                let mut allowed = 0;
                for k in 0..w.requests.len() {
                    allowed += usize::from(f(k));
                }
                (
                    start.elapsed().as_nanos() as f64 / w.requests.len() as f64,
                    allowed,
                )
            };
            let (ours, a) = time(&|k| {
                let (actor, p, r) = w.requests[k];
                decide(
                    &ctx,
                    actor,
                    Action::ReadReview,
                    Target::Review(&w.packets[p], &w.reviews[r]),
                )
                .is_allowed()
            });
            let (theirs, b) = time(&|k| {
                let (actor, _, r) = w.requests[k];
                cedar.is_allowed(actor, &w.reviews[r])
            });
            assert_eq!(a, b, "the same decisions");
            println!(
                "decide vs cedar at {n}: {ours:.0} ns vs {theirs:.0} ns per request: {:.0}× faster",
                theirs / ours
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
