//! Company-scale benches: the org snapshot (build at 10k and 100k, one manager change at
//! 100k), launching a cycle (1k, 10k, 100k participants; memory, and SQLite with
//! `--features sqlite`), one review submission round trip through the engine, and the cycle
//! progress report (10k, 100k). Bytes per participant are measured by the `scale` example
//! (it needs a counting global allocator).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use appraise::memory::IndexedMemoryStorage;
use appraise::plugin::Storage;
use appraise::{CycleId, Engine, OrgSnapshot, PersonId, ReviewKind};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

#[path = "support/engine.rs"]
mod engine;
#[path = "support/org.rs"]
mod org;
#[path = "support/world.rs"]
mod world;

use engine::ready;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn snapshot(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(20);
    for n in [10_000, 100_000] {
        let people = org::people(n, n as u64);
        group.bench_with_input(BenchmarkId::new("build", n), &n, |b, _| {
            b.iter_batched(
                || people.clone(),
                |p| black_box(OrgSnapshot::build(p, vec![])),
                criterion::BatchSize::LargeInput,
            );
        });
        if n == 100_000 {
            let mut snap = OrgSnapshot::build(people.clone(), vec![]).expect("org");
            let (mover, a, b) = (people[n / 50].id, people[1].id, people[2].id);
            let mut flip = false;
            group.bench_function(BenchmarkId::new("manager_change", n), |bench| {
                bench.iter(|| {
                    flip = !flip;
                    snap.set_manager(mover, Some(if flip { a } else { b }))
                        .expect("move");
                });
            });
        }
    }
    group.finish();
}

fn launch(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("launch");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for n in [1_000, 10_000, 100_000] {
        group.bench_with_input(BenchmarkId::new("memory", n), &n, |b, _| {
            b.iter_batched(
                || rt.block_on(ready(n, Arc::new(IndexedMemoryStorage::new()))),
                |(engine, cycle, admin)| rt.block_on(engine.launch(admin, cycle)).expect("launch"),
                criterion::BatchSize::PerIteration,
            );
        });
        #[cfg(feature = "sqlite")]
        group.bench_with_input(BenchmarkId::new("sqlite", n), &n, |b, _| {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut k = 0;
            b.iter_batched(
                || {
                    k += 1;
                    let path = dir.path().join(format!("launch-{k}.db"));
                    let storage = rt
                        .block_on(appraise::sql::SqliteStorage::open(path))
                        .expect("open");
                    rt.block_on(ready(n, Arc::new(storage)))
                },
                |(engine, cycle, admin)| rt.block_on(engine.launch(admin, cycle)).expect("launch"),
                criterion::BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

/// A launched 10k cycle with every nomination closed, and the self reviews to submit.
async fn launched(
    storage: Arc<dyn Storage>,
) -> (
    Engine,
    Vec<(PersonId, appraise::ReviewId)>,
    CycleId,
    PersonId,
) {
    let (engine, cycle, admin) = ready(10_000, storage).await;
    engine.launch(admin, cycle).await.expect("launch");
    let mut todo = Vec::new();
    let mut after = None;
    loop {
        let page = engine
            .storage()
            .packets(cycle, after, 1_000)
            .await
            .expect("packets");
        let Some(last) = page.last() else { break };
        after = Some(last.record.id());
        for p in page.iter().filter(|p| p.record.subject() != admin) {
            engine
                .close_nominations(admin, p.record.id())
                .await
                .expect("close");
            let own = engine
                .my_reviews(p.record.subject(), cycle)
                .await
                .expect("reviews");
            if let Some(r) = own.iter().find(|r| r.kind == ReviewKind::SelfReview) {
                todo.push((p.record.subject(), r.id));
            }
        }
    }
    (engine, todo, cycle, admin)
}

/// Times `submit_review` alone; each review is reopened (by the admin, untimed) so it can be
/// submitted again.
fn bench_submits(
    b: &mut criterion::Bencher<'_>,
    rt: &tokio::runtime::Runtime,
    engine: &Engine,
    todo: &[(PersonId, appraise::ReviewId)],
    admin: PersonId,
) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for i in 0..iters as usize {
            let (who, review) = todo[i % todo.len()];
            let start = std::time::Instant::now();
            rt.block_on(engine.submit_review(who, review, None))
                .expect("submit");
            total += start.elapsed();
            rt.block_on(engine.reopen_review(admin, review))
                .expect("reopen");
        }
        total
    });
}

fn submit_and_progress(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("submit");
    let (engine, todo, _, admin) = rt.block_on(launched(Arc::new(IndexedMemoryStorage::new())));
    let todo: Vec<_> = todo.into_iter().filter(|(who, _)| *who != admin).collect();
    group.bench_function("memory", |b| bench_submits(b, &rt, &engine, &todo, admin));
    #[cfg(feature = "sqlite")]
    {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = rt
            .block_on(appraise::sql::SqliteStorage::open(
                dir.path().join("submit.db"),
            ))
            .expect("open");
        let (engine, todo, _, admin) = rt.block_on(launched(Arc::new(storage)));
        let todo: Vec<_> = todo.into_iter().filter(|(who, _)| *who != admin).collect();
        group.sample_size(20);
        group.bench_function("sqlite", |b| bench_submits(b, &rt, &engine, &todo, admin));
    }
    group.finish();

    let mut group = c.benchmark_group("progress");
    group.sample_size(20);
    for n in [10_000, 100_000] {
        let (engine, cycle, admin) = rt.block_on(ready(n, Arc::new(IndexedMemoryStorage::new())));
        rt.block_on(engine.launch(admin, cycle)).expect("launch");
        group.bench_with_input(BenchmarkId::new("memory", n), &n, |b, _| {
            b.iter(|| {
                black_box(
                    rt.block_on(engine.progress(admin, cycle))
                        .expect("progress"),
                )
            });
        });
    }
    group.finish();
}

criterion_group!(benches, snapshot, launch, submit_and_progress);
criterion_main!(benches);
