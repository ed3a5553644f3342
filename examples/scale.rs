//! Performance at company scale, one line per figure of the performance issue: name, size,
//! median, target, and `ok` or `MISS`. For `decide` it also prints Cedar's median on the same
//! requests and the ratio. SQLite figures need `--features sqlite`.
//!
//! The launch, progress, memory and submit figures of each size run in a process of their own
//! (this program, started again with `--memory-size n`), so that each launch takes fresh
//! memory as a host's does; so do the decide, explain and Cedar figures (`--decide-size n`),
//! whose worlds land in memory that is faster or slower to reach from one process to the
//! next. The sizes and the two kinds of process take turns over several rounds and each figure
//! is the median over all of them, so that a slow spell of the machine falls on every size
//! alike and one process's memory does not decide a figure; `BENCHMARKS.md` says why.
//!
//! ```sh
//! cargo run --release --example scale --features sqlite
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use appraise::access::{Action, Context, Target, decide, explain};
use appraise::memory::IndexedMemoryStorage;
use appraise::plugin::Storage;
use appraise::{CycleId, Engine, OrgSnapshot, PersonId, ReviewKind};

#[path = "../benches/support/cedar.rs"]
mod cedar;
#[path = "../benches/support/engine.rs"]
mod engine;
#[path = "../benches/support/load.rs"]
mod load;
#[path = "../benches/support/org.rs"]
mod org;
#[path = "../benches/support/world.rs"]
mod world;

/// Counts bytes currently allocated, for bytes per participant.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

type Failure = Box<dyn std::error::Error>;

fn median<T: Ord + Copy + Default>(mut v: Vec<T>) -> T {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn show(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else if ns < 10_000_000_000 {
        format!("{:.1} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", ns as f64 / 1e9)
    }
}

/// The report's lines, printed at the end in the order of the issue's figures (the figures
/// are not measured in that order).
#[derive(Default)]
struct Report {
    misses: usize,
    lines: Vec<String>,
}

impl Report {
    fn line(
        &mut self,
        name: &str,
        size: &str,
        value: String,
        target: &str,
        ok: Option<bool>,
        extra: &str,
    ) {
        let verdict = match ok {
            Some(true) => "ok",
            Some(false) => {
                self.misses += 1;
                "MISS"
            }
            None => "",
        };
        self.lines.push(format!(
            "{name:<28} {size:>8} {value:>12} {target:>12}  {extra}{verdict}"
        ));
    }
}

impl Report {
    /// Prints the lines and how many targets were missed.
    fn print(&self, started: Instant) {
        println!(
            "{:<28} {:>8} {:>12} {:>12}  result",
            "figure", "size", "median", "target"
        );
        for line in &self.lines {
            println!("{line}");
        }
        let misses = match self.misses {
            0 => "every target met".to_owned(),
            1 => "1 miss".to_owned(),
            n => format!("{n} misses"),
        };
        println!(
            "\n{misses}; the whole report took {}",
            show(started.elapsed())
        );
    }

    /// The line of a timed figure at size `n`, whose target (`limit`, shown as `target`)
    /// applies at 100,000 people only.
    fn sized(&mut self, name: &str, n: usize, t: Duration, target: &str, limit: Duration) {
        let at = n == 100_000;
        self.line(
            name,
            &n.to_string(),
            show(t),
            if at { target } else { "" },
            at.then_some(t <= limit),
            "",
        );
    }
}

/// Median time per call of `f` over `batches` batches of `per` calls.
fn per_call(batches: usize, per: usize, mut f: impl FnMut(usize)) -> Duration {
    let mut times = Vec::new();
    let mut k = 0;
    for _ in 0..batches {
        let start = Instant::now();
        for _ in 0..per {
            f(k);
            k += 1;
        }
        times.push(start.elapsed() / per as u32);
    }
    median(times)
}

async fn engine_with(
    n: usize,
    storage: Arc<dyn Storage>,
) -> Result<(Engine, CycleId, PersonId), Failure> {
    Ok(engine::ready(n, storage).await)
}

/// What a child process running one size of the memory figures prints last, before its
/// [`Measured`] as JSON.
const RESULT: &str = "=> ";

/// Rounds of the decide and memory figures: each runs every size in a process of its own for
/// each kind (a memory process measures one launch).
const ROUNDS: usize = 9;

/// What one process measured for one size: the memory figures or the decide figures (empty
/// lists for the figures the process or the size does not have).
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Measured {
    launches: Vec<Duration>,
    progress: Vec<Duration>,
    bytes: Vec<u64>,
    submit: Vec<Duration>,
    decide: Vec<Duration>,
    explain: Vec<Duration>,
    cedar: Vec<Duration>,
    /// The screen queries (`--queries-size`): readable reviews of the CEO's first page and of
    /// a manager's whole team, deciding over the whole cycle, an inbox, a preview.
    first_page: Vec<Duration>,
    team_list: Vec<Duration>,
    whole_cycle: Vec<Duration>,
    inbox: Vec<Duration>,
    preview: Vec<Duration>,
    /// How many reviews the manager's list held, and how many people were below them.
    team: Vec<(usize, usize)>,
}

impl Measured {
    /// Adds another process's measurements of the same size.
    fn absorb(&mut self, other: Self) {
        self.launches.extend(other.launches);
        self.progress.extend(other.progress);
        self.bytes.extend(other.bytes);
        self.submit.extend(other.submit);
        self.decide.extend(other.decide);
        self.explain.extend(other.explain);
        self.cedar.extend(other.cedar);
        self.first_page.extend(other.first_page);
        self.team_list.extend(other.team_list);
        self.whole_cycle.extend(other.whole_cycle);
        self.inbox.extend(other.inbox);
        self.preview.extend(other.preview);
        self.team.extend(other.team);
    }
}

/// The figures of one size of one kind (`--memory-size` or `--decide-size`), in a fresh
/// process (this program run with `flag n`).
///
/// Each size gets a process of its own so that no figure depends on memory an earlier part of
/// the report (or a smaller size) freed: the system allocator hands such memory back out, or
/// gives it back to the system, by thresholds of its own, and launch medians measured after
/// it swung by a third between builds that differed in nothing relevant. In a fresh process
/// every launch takes fresh memory, as a host's launch does (its cycles stay in storage).
fn apart(flag: &str, n: usize) -> Result<Measured, Failure> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args([flag, &n.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()?;
    let text = String::from_utf8(out.stdout)?;
    let result = text.lines().find_map(|line| line.strip_prefix(RESULT));
    let (Some(result), true) = (result, out.status.success()) else {
        return Err(format!("the run {flag} {n} failed ({})", out.status).into());
    };
    Ok(serde_json::from_str(result)?)
}

/// One size of the decide figures, in this process: decide on the world's requests; at
/// 100,000 people `explain` too, and at 10,000 Cedar on the same requests. Prints the
/// [`RESULT`] line.
fn decide_size(n: usize) -> Result<(), Failure> {
    let w = world::world(n);
    let ctx = Context::new(&w.grants, world::at())
        .with_cycle(&w.cycle)
        .with_snapshot(&w.org);
    let mut m = Measured::default();
    m.decide.push(per_call(31, 20_000, |k| {
        let (actor, p, i) = w.requests[k % w.requests.len()];
        let _ = std::hint::black_box(decide(
            &ctx,
            actor,
            Action::ReadReview,
            Target::Review(&w.packets[p], &w.reviews[i]),
        ));
    }));
    if n == 100_000 {
        m.explain.push(per_call(11, 5_000, |k| {
            let (actor, p, i) = w.requests[k % w.requests.len()];
            std::hint::black_box(explain(
                &ctx,
                actor,
                Action::ReadReview,
                Target::Review(&w.packets[p], &w.reviews[i]),
            ));
        }));
    }
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
        let c = cedar::CedarWorld::build(&src, false);
        m.cedar.push(per_call(11, 2_000, |k| {
            let (actor, _, i) = w.requests[k % w.requests.len()];
            std::hint::black_box(c.is_allowed(actor, &w.reviews[i]));
        }));
    }
    println!("{RESULT}{}", serde_json::to_string(&m)?);
    Ok(())
}

/// One size of the memory figures, in this process: prints the [`RESULT`] line.
async fn memory_size(n: usize) -> Result<(), Failure> {
    // Two launches of `n` people, each with storage of its own; the second is measured. The
    // first stays alive, as a host keeps its cycles, so the measured launch takes fresh
    // memory, as a host's does; and it puts the process where a host's has long been, with
    // code and allocator warm (the allocator's thresholds raised by its first large blocks).
    let (warm, cycle, admin) = engine_with(n, Arc::new(IndexedMemoryStorage::new())).await?;
    warm.launch(admin, cycle).await?;
    let (engine, cycle, admin) = engine_with(n, Arc::new(IndexedMemoryStorage::new())).await?;
    let mut m = Measured::default();
    let before = LIVE.load(Ordering::Relaxed);
    let start = Instant::now();
    engine.launch(admin, cycle).await?;
    m.launches.push(start.elapsed());
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    if n >= 10_000 {
        for _ in 0..7 {
            let start = Instant::now();
            std::hint::black_box(engine.progress(admin, cycle).await?);
            m.progress.push(start.elapsed());
        }
    }
    if n == 100_000 {
        m.bytes.push(u64::try_from(bytes)? / n as u64);
        m.submit.push(submit_round_trips(&engine, cycle, 40).await?);
    }
    drop(warm);
    println!("{RESULT}{}", serde_json::to_string(&m)?);
    Ok(())
}

/// The person with the number of people below them closest to `want`, and that number.
fn manager_of_about(people: &[appraise::Person], want: usize) -> (PersonId, usize) {
    // People come level by level, managers before their reports: count from the end.
    let at: std::collections::HashMap<PersonId, usize> =
        people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let mut below = vec![0usize; people.len()];
    for (i, p) in people.iter().enumerate().rev() {
        if let Some(m) = p.manager.and_then(|m| at.get(&m)) {
            below[*m] += below[i] + 1;
        }
    }
    let best = (0..people.len())
        .min_by_key(|&i| below[i].abs_diff(want))
        .unwrap_or(0);
    (people[best].id, below[best])
}

/// One run of the screen queries at `n` people, in this process: a launched cycle where the
/// self reviews of a manager's whole team (about 10,000 people) and of every third other
/// participant are submitted. Prints the [`RESULT`] line.
async fn queries_size(n: usize) -> Result<(), Failure> {
    use appraise::plugin::StorageExt;
    use appraise::views::screens::ReviewFilter;
    let storage: Arc<dyn Storage> = Arc::new(IndexedMemoryStorage::new());
    let (engine, cycle, admin) = engine_with(n, Arc::clone(&storage)).await?;
    engine.launch(admin, cycle).await?;
    let people = org::people(n, n as u64);
    let (manager, below) = manager_of_about(&people, 10_000);
    let team: std::collections::HashSet<PersonId> = {
        let snapshot = storage.snapshot(cycle).await?.record;
        snapshot.extended_team(manager).collect()
    };
    let mut packets = std::collections::HashMap::new();
    let mut after = None;
    loop {
        let page = storage.packets(cycle, after, 1_000).await?;
        packets.extend(page.iter().map(|p| (p.record.subject(), p.record.id())));
        match page.last() {
            Some(last) if page.len() == 1_000 => after = Some(last.record.id()),
            _ => break,
        }
    }
    for (i, p) in people.iter().enumerate() {
        if p.id == admin || !(team.contains(&p.id) || i % 3 == 0) {
            continue;
        }
        let Some(&packet) = packets.get(&p.id) else {
            continue;
        };
        engine.close_nominations(admin, packet).await?;
        if let Some(own) = engine
            .my_reviews(p.id, cycle)
            .await?
            .into_iter()
            .find(|r| r.kind == ReviewKind::SelfReview)
        {
            engine.submit_review(p.id, own.id, None).await?;
        }
    }
    let mut m = Measured::default();
    let all = ReviewFilter::default();
    for _ in 0..21 {
        let start = Instant::now();
        let page = engine
            .readable_reviews(admin, cycle, all, None, 100)
            .await?;
        m.first_page.push(start.elapsed());
        std::hint::black_box(page);
    }
    // Both ways are warmed up first, as a host's server is: the first large lists of a
    // process also pay for page faults and for the allocator learning to reuse its blocks.
    let mut listed = 0;
    for rep in 0..WARM_UP + 7 {
        let start = Instant::now();
        let page = engine
            .readable_reviews(manager, cycle, all, None, usize::MAX)
            .await?;
        if rep >= WARM_UP {
            m.team_list.push(start.elapsed());
        }
        listed = page.reviews.len();
    }
    m.team.push((listed, below));
    for rep in 0..WARM_UP + 3 {
        let start = Instant::now();
        std::hint::black_box(decide_over_cycle(&*storage, cycle, manager).await?);
        if rep >= WARM_UP {
            m.whole_cycle.push(start.elapsed());
        }
    }
    // Inboxes of people spread over the org, the CEO and the manager among them.
    for (i, p) in people.iter().enumerate().step_by(n / 200) {
        let who = if i == 0 { manager } else { p.id };
        let start = Instant::now();
        std::hint::black_box(engine.inbox(who).await?);
        m.inbox.push(start.elapsed());
    }
    // The manager's team moved under the CEO's first report (or back), previewed.
    let packet = packets[&manager];
    let current = storage.packet(packet).await?.record.manager();
    let to = people[1].id;
    let to = if current == Some(to) {
        people[2].id
    } else {
        to
    };
    for _ in 0..7 {
        let change = appraise::Command::ChangeManager {
            packet,
            manager: Some(to),
        };
        let start = Instant::now();
        std::hint::black_box(engine.preview(admin, change).await?);
        m.preview.push(start.elapsed());
    }
    println!("{RESULT}{}", serde_json::to_string(&m)?);
    Ok(())
}

/// Unmeasured runs of each way of listing a team before the measured ones.
const WARM_UP: usize = 5;

/// The lines of the screen queries.
fn queries_lines(r: &mut Report, q: Measured) {
    let n = "100000";
    let t = median(q.first_page);
    let limit = Duration::from_millis(5);
    r.line(
        "readable, CEO first 100",
        n,
        show(t),
        "≤ 5 ms",
        Some(t <= limit),
        "",
    );
    let (listed, below) = q.team.first().copied().unwrap_or_default();
    let (t, naive) = (median(q.team_list), median(q.whole_cycle));
    let limit = Duration::from_millis(30);
    r.line(
        "readable, manager's team",
        n,
        show(t),
        "≤ 30 ms",
        Some(t <= limit),
        &format!("{listed} reviews, {below} people below "),
    );
    let ratio = naive.as_secs_f64() / t.as_secs_f64().max(1e-9);
    r.line(
        "readable vs whole cycle",
        n,
        format!("{ratio:.0}×"),
        "≥ 20×",
        Some(ratio >= 20.0),
        &format!("deciding over the cycle {} ", show(naive)),
    );
    let t = median(q.inbox);
    let limit = Duration::from_millis(1);
    r.line("inbox (memory)", n, show(t), "≤ 1 ms", Some(t <= limit), "");
    let t = median(q.preview);
    let limit = Duration::from_millis(50);
    r.line(
        "preview, manager change",
        n,
        show(t),
        "≤ 50 ms",
        Some(t <= limit),
        "",
    );
}

/// The naive way to list what `reader` may read: decide over every review of the cycle.
async fn decide_over_cycle(
    storage: &dyn Storage,
    cycle: CycleId,
    reader: PersonId,
) -> Result<usize, Failure> {
    use appraise::plugin::StorageExt;
    let (_, grants) = storage.grants().await?;
    let c = storage.cycle(cycle).await?.record;
    let snapshot = storage.snapshot(cycle).await?.record;
    let ctx = Context::new(&grants, chrono::Utc::now())
        .with_cycle(&c)
        .with_snapshot(&snapshot);
    let mut readable = 0;
    let mut after = None;
    loop {
        let page = storage.packets(cycle, after, 1_000).await?;
        for p in &page {
            for r in storage.reviews_about(cycle, p.record.subject()).await? {
                let target = Target::Review(&p.record, &r.record);
                readable +=
                    usize::from(decide(&ctx, reader, Action::ReadReview, target).is_allowed());
            }
        }
        match page.last() {
            Some(last) if page.len() == 1_000 => after = Some(last.record.id()),
            _ => return Ok(readable),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, n] = args.as_slice() {
        match flag.as_str() {
            "--memory-size" => return memory_size(n.parse()?).await,
            "--decide-size" => return decide_size(n.parse()?),
            "--queries-size" => return queries_size(n.parse()?).await,
            _ => {}
        }
    }
    if let [_, flag] = args.as_slice()
        && flag == "--stores"
    {
        let (started, mut r) = (Instant::now(), Report::default());
        sqlite(&mut r).await?;
        postgres(&mut r).await?;
        r.print(started);
        return Ok(());
    }
    let started = Instant::now();
    eprintln!("(about 40 s: the snapshot and SQLite figures, then {ROUNDS} rounds of processes)");

    // The figures measured in this process come first, then the rounds, as the SQLite figures
    // always ran before them. Nothing large runs in this process before the snapshot builds
    // since the decide worlds moved into the rounds, so each build takes fresh memory (and
    // measures slower than on a heap the decide worlds had warmed; BENCHMARKS.md has both).
    let mut here = Report::default();

    // Snapshot build and one manager change.
    for n in [10_000, 100_000] {
        let people = org::people(n, n as u64);
        let mut times = Vec::new();
        let mut snapshot = None;
        for _ in 0..5 {
            let input = people.clone();
            let start = Instant::now();
            snapshot = Some(OrgSnapshot::build(input, vec![])?);
            times.push(start.elapsed());
        }
        let t = median(times);
        here.sized(
            "snapshot build",
            n,
            t,
            "≤ 100 ms",
            Duration::from_millis(100),
        );
        if n == 100_000
            && let Some(mut snapshot) = snapshot
        {
            // Re-parent a mid-level manager (with a team) under another branch, and back.
            let mover = people[n / 50].id;
            let (a, b) = (people[1].id, people[2].id);
            let mut times = Vec::new();
            for i in 0..11 {
                let to = if i % 2 == 0 { a } else { b };
                let start = Instant::now();
                snapshot.set_manager(mover, Some(to))?;
                times.push(start.elapsed());
            }
            let t = median(times);
            here.line(
                "manager change",
                &n.to_string(),
                show(t),
                "≤ 1 ms",
                Some(t <= Duration::from_millis(1)),
                "",
            );
        }
    }

    sqlite(&mut here).await?;
    postgres(&mut here).await?;

    // The rounds: every size in processes of its own, one for the decide figures and one for
    // the memory figures (launch, submit, progress, memory), the sizes and kinds taking turns,
    // so that a slow spell of the machine falls on every figure alike (BENCHMARKS.md says why).
    let sizes = [1_000, 10_000, 100_000];
    let mut decided: Vec<Measured> = sizes.iter().map(|_| Measured::default()).collect();
    let mut measured: Vec<Measured> = sizes.iter().map(|_| Measured::default()).collect();
    for _ in 0..ROUNDS {
        for ((n, d), m) in sizes.iter().zip(&mut decided).zip(&mut measured) {
            d.absorb(apart("--decide-size", *n)?);
            m.absorb(apart("--memory-size", *n)?);
        }
    }

    let queries = apart("--queries-size", 100_000)?;

    // decide, explain, Cedar; then what this process measured; then the memory figures.
    let mut r = Report::default();
    for (n, d) in sizes.into_iter().zip(&mut decided) {
        let t = median(std::mem::take(&mut d.decide));
        r.sized("decide", n, t, "≤ 100 ns", Duration::from_nanos(100));
        if !d.explain.is_empty() {
            let e = median(std::mem::take(&mut d.explain));
            r.line("explain", &n.to_string(), show(e), "", None, "");
        }
        if !d.cedar.is_empty() {
            let theirs = median(std::mem::take(&mut d.cedar));
            let ratio = theirs.as_nanos() as f64 / t.as_nanos().max(1) as f64;
            r.line(
                "decide vs cedar",
                &n.to_string(),
                show(t),
                "≥ 100×",
                Some(ratio >= 100.0),
                &format!("cedar {} ({ratio:.0}×) ", show(theirs)),
            );
        }
    }

    r.misses += here.misses;
    r.lines.append(&mut here.lines);

    // Launch, submit, progress, memory, from the rounds above.
    let mut launch_times = std::collections::BTreeMap::new();
    let mut progress_times = std::collections::BTreeMap::new();
    for (n, m) in sizes.into_iter().zip(measured) {
        let launch = median(m.launches);
        launch_times.insert(n, launch);
        r.sized(
            "launch (memory)",
            n,
            launch,
            "≤ 1 s",
            Duration::from_secs(1),
        );
        if !m.progress.is_empty() {
            let t = median(m.progress);
            progress_times.insert(n, t);
            r.sized("progress", n, t, "≤ 50 ms", Duration::from_millis(50));
        }
        if !m.bytes.is_empty() {
            let per = median(m.bytes);
            r.line(
                "memory per participant",
                &n.to_string(),
                format!("{per} B"),
                "≤ 2 KiB",
                Some(per <= 2048),
                "",
            );
        }
        if !m.submit.is_empty() {
            let t = median(m.submit);
            r.line("submit (memory)", &n.to_string(), show(t), "", None, "");
        }
    }
    queries_lines(&mut r, queries);
    let growth = |m: &std::collections::BTreeMap<usize, Duration>| {
        m[&100_000].as_secs_f64() / m[&10_000].as_secs_f64()
    };
    let g = growth(&launch_times);
    r.line(
        "growth 10k → 100k: launch",
        "",
        format!("{g:.2}×"),
        "≤ 12×",
        Some(g <= 12.0),
        "",
    );
    let g = growth(&progress_times);
    r.line(
        "growth 10k → 100k: progress",
        "",
        format!("{g:.2}×"),
        "≤ 12×",
        Some(g <= 12.0),
        "",
    );

    r.print(started);
    Ok(())
}

/// Median of `count` self-review submissions (each a different participant's).
async fn submit_round_trips(
    engine: &Engine,
    cycle: CycleId,
    count: usize,
) -> Result<Duration, Failure> {
    let mut times = Vec::new();
    let mut after = None;
    let mut done = 0;
    while done < count {
        let page = engine.storage().packets(cycle, after, 100).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.record.id());
        for p in page {
            if done == count {
                break;
            }
            let subject = p.record.subject();
            let admin = engine_admin(engine, cycle).await?;
            if subject == admin {
                continue; // nobody closes their own packet's nominations
            }
            let Some(own) = engine
                .my_reviews(subject, cycle)
                .await?
                .into_iter()
                .find(|r| r.kind == ReviewKind::SelfReview)
            else {
                continue;
            };
            engine
                .close_nominations(engine_admin(engine, cycle).await?, p.record.id())
                .await?;
            let start = Instant::now();
            engine.submit_review(subject, own.id, None).await?;
            times.push(start.elapsed());
            done += 1;
        }
    }
    Ok(median(times))
}

async fn engine_admin(engine: &Engine, cycle: CycleId) -> Result<PersonId, Failure> {
    use appraise::plugin::StorageExt;
    Ok(engine.storage().cycle(cycle).await?.record.created_by())
}

#[cfg(feature = "sqlite")]
async fn sqlite(r: &mut Report) -> Result<(), Failure> {
    use appraise::sql::SqliteStorage;
    let dir = std::env::temp_dir().join(format!("appraise-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for n in [1_000, 10_000] {
        let storage = Arc::new(SqliteStorage::open(dir.join(format!("scale-{n}.db"))).await?);
        let (engine, cycle, admin) = engine_with(n, storage.clone()).await?;
        let start = Instant::now();
        engine.launch(admin, cycle).await?;
        r.sized("launch (sqlite)", n, start.elapsed(), "", Duration::MAX);
        storage.close().await;
    }
    let path = dir.join("scale-100000.db");
    let handles = std::sync::Mutex::new(Vec::new());
    let open = async || -> Result<Arc<dyn Storage>, Failure> {
        let storage = Arc::new(SqliteStorage::open(&path).await?);
        handles
            .lock()
            .map_err(|_| "poisoned")?
            .push(storage.clone());
        Ok(storage as Arc<dyn Storage>)
    };
    let bytes = async || -> Result<u64, Failure> { sqlite_bytes(&path).await };
    let targets = StoreTargets {
        name: "sqlite",
        launch: Duration::from_secs(3),
        submit: Duration::from_millis(1),
        inbox: Some(Duration::from_millis(5)),
    };
    store_figures(r, &targets, 100_000, open, bytes).await?;
    for h in handles.into_inner().map_err(|_| "poisoned")? {
        h.close().await;
    }
    load_run(r, &dir.join("load.db")).await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The bytes a SQLite file holds once its write-ahead log is checkpointed into it.
#[cfg(feature = "sqlite")]
async fn sqlite_bytes(path: &std::path::Path) -> Result<u64, Failure> {
    use sqlx::Connection;
    if !path.exists() {
        return Ok(0);
    }
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(std::fs::metadata(path)?.len())
}

/// The PostgreSQL figures, on the server `APPRAISE_POSTGRES_URL` names (a tenant of their own).
#[cfg(feature = "postgres")]
async fn postgres(r: &mut Report) -> Result<(), Failure> {
    use appraise::sql::PostgresStorage;
    let Ok(url) = std::env::var("APPRAISE_POSTGRES_URL") else {
        r.line(
            "storage (postgres)",
            "100000",
            "skipped".into(),
            "",
            None,
            "set APPRAISE_POSTGRES_URL ",
        );
        return Ok(());
    };
    let tenant = format!("scale-{}", std::process::id());
    let first = PostgresStorage::connect(&url, &tenant).await?;
    let pool = first.pool().clone();
    let open = async || -> Result<Arc<dyn Storage>, Failure> {
        // Each handle has a pool of its own, as each app server does.
        let storage: Arc<dyn Storage> = Arc::new(PostgresStorage::connect(&url, &tenant).await?);
        Ok(storage)
    };
    let bytes = async || -> Result<u64, Failure> {
        let total: i64 = sqlx::query_scalar(
            "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind = 'r'",
        )
        .fetch_one(&pool)
        .await?;
        Ok(u64::try_from(total).unwrap_or(0))
    };
    let targets = StoreTargets {
        name: "postgres",
        launch: Duration::from_secs(6),
        submit: Duration::from_millis(2),
        inbox: None,
    };
    store_figures(r, &targets, 100_000, open, bytes).await?;
    first.close().await;
    Ok(())
}

#[cfg(not(feature = "postgres"))]
async fn postgres(r: &mut Report) -> Result<(), Failure> {
    r.line(
        "storage (postgres)",
        "100000",
        "skipped".into(),
        "",
        None,
        "build with --features postgres ",
    );
    Ok(())
}

/// A backend's name and the targets that differ between backends.
struct StoreTargets {
    name: &'static str,
    launch: Duration,
    submit: Duration,
    /// For an inbox (the screen queries' target is for SQLite).
    inbox: Option<Duration>,
}

/// Engines (app servers) submitting at once, and for how long.
const SUBMIT_ENGINES: usize = 4;
const SUBMIT_TIME: Duration = Duration::from_secs(10);

/// The storage figures of one backend at `n` people: launch, submit, a manager change, a
/// second engine's first command, an engine's next command after another engine changed a
/// manager, bytes per participant, and engines submitting at once. `open` opens another
/// handle on the same database (another app server); `bytes` says how many the database
/// holds.
async fn store_figures(
    r: &mut Report,
    targets: &StoreTargets,
    n: usize,
    open: impl AsyncFn() -> Result<Arc<dyn Storage>, Failure>,
    bytes: impl AsyncFn() -> Result<u64, Failure>,
) -> Result<(), Failure> {
    use appraise::PacketId;
    use appraise::memory::{RecordingNotifier, StaticDirectory};
    let name = targets.name;
    let size = n.to_string();
    let ms = |m: u64| Duration::from_millis(m);
    let timed = |r: &mut Report, figure: &str, t: Duration, target: &str, limit: Duration| {
        r.line(
            &format!("{figure} ({name})"),
            &size,
            show(t),
            target,
            Some(t <= limit),
            "",
        );
    };
    let before = bytes().await?;
    let (engine, cycle, admin) = engine_with(n, open().await?).await?;
    let start = Instant::now();
    engine.launch(admin, cycle).await?;
    let launch = start.elapsed();
    let target = format!("≤ {} s", targets.launch.as_secs());
    timed(r, "launch", launch, &target, targets.launch);
    let per = bytes().await?.saturating_sub(before) / n as u64;
    r.line(
        &format!("bytes/participant ({name})"),
        &size,
        format!("{per} B"),
        "≤ 3 KiB",
        Some(per <= 3 * 1024),
        "",
    );
    let t = submit_round_trips(&engine, cycle, 30).await?;
    let target = format!("≤ {} ms", targets.submit.as_millis());
    timed(r, "submit", t, &target, targets.submit);
    // Inboxes of people spread over the org.
    let people = org::people(n, n as u64);
    let mut times = Vec::new();
    for p in people.iter().step_by(n / 100) {
        let start = Instant::now();
        std::hint::black_box(engine.inbox(p.id).await?);
        times.push(start.elapsed());
    }
    let t = median(times);
    match targets.inbox {
        Some(limit) => timed(r, "inbox", t, &format!("≤ {} ms", limit.as_millis()), limit),
        None => r.line(&format!("inbox ({name})"), &size, show(t), "", None, ""),
    }
    // The readable list of a manager with about 10,000 people below: it visits every one of
    // them, though few reviews are submitted yet.
    let (manager, below) = manager_of_about(&people, 10_000);
    let mut times = Vec::new();
    let mut listed = 0;
    for _ in 0..3 {
        let all = appraise::views::screens::ReviewFilter::default();
        let start = Instant::now();
        let page = engine
            .readable_reviews(manager, cycle, all, None, usize::MAX)
            .await?;
        times.push(start.elapsed());
        listed = page.reviews.len();
    }
    r.line(
        &format!("readable, team ({name})"),
        &size,
        show(median(times)),
        "",
        None,
        &format!("{listed} reviews, {below} people below "),
    );

    // Engines on handles of their own, as other app servers.
    let server = async || -> Result<Engine, Failure> {
        Ok(Engine::builder()
            .storage(open().await?)
            .directory(StaticDirectory::new(people.clone(), vec![]))
            .build())
    };
    // A second engine's first command: a read that loads the cycle and its org.
    let someone = people[n / 3].id;
    let mut times = Vec::new();
    for _ in 0..3 {
        let cold = server().await?;
        let start = Instant::now();
        cold.packet_of(admin, cycle, someone).await?;
        times.push(start.elapsed());
    }
    timed(r, "cold 1st command", median(times), "≤ 500 ms", ms(500));

    // A mid-level manager (with a team) moves between two branches and back: one engine
    // changes it, the other's next command sees it.
    let other = server().await?;
    other.packet_of(admin, cycle, someone).await?;
    let mover = people[n / 50].id;
    let packet = PacketId::of(cycle, mover);
    let (a, b) = (people[1].id, people[2].id);
    let (mut changes, mut next) = (Vec::new(), Vec::new());
    for i in 0..11 {
        let to = if i % 2 == 0 { a } else { b };
        let start = Instant::now();
        engine.change_manager(admin, packet, Some(to)).await?;
        changes.push(start.elapsed());
        let start = Instant::now();
        other.packet_of(admin, cycle, someone).await?;
        next.push(start.elapsed());
    }
    timed(r, "manager change", median(changes), "≤ 10 ms", ms(10));
    timed(r, "next after change", median(next), "≤ 10 ms", ms(10));

    // Engines submitting at once, each with its own handle, one notifier for all.
    let notifier = Arc::new(RecordingNotifier::new());
    let mut engines = Vec::new();
    for _ in 0..SUBMIT_ENGINES {
        engines.push(
            Engine::builder()
                .storage(open().await?)
                .notifier(Arc::clone(&notifier))
                .directory(StaticDirectory::new(people.clone(), vec![]))
                .build(),
        );
    }
    let subjects: Vec<(PersonId, PacketId)> = people
        .iter()
        .skip(n / 2)
        .filter(|p| p.id != admin)
        .map(|p| (p.id, PacketId::of(cycle, p.id)))
        .collect();
    let got = load::submits(&engines, admin, cycle, &subjects, SUBMIT_TIME, || {
        notifier.delivered()
    })
    .await?;
    r.line(
        &format!("{SUBMIT_ENGINES} engines submit ({name})"),
        &size,
        format!("{:.0}/s", got.per_second),
        "",
        None,
        &format!("{} submits in {} s ", got.submits, SUBMIT_TIME.as_secs()),
    );
    r.line(
        &format!("lost/doubled/dups ({name})"),
        &size,
        format!(
            "{} / {} / {}",
            got.lost, got.doubled, got.duplicate_notifications
        ),
        "0 / 0 / 0",
        Some(got.lost == 0 && got.doubled == 0 && got.duplicate_notifications == 0),
        "",
    );
    Ok(())
}

/// Participants of the load run's cycle, engines (app servers) on its database, workers per
/// engine, and how long it runs.
#[cfg(feature = "sqlite")]
const LOAD_PEOPLE: usize = 2_000;
#[cfg(feature = "sqlite")]
const LOAD_ENGINES: usize = 3;
#[cfg(feature = "sqlite")]
const LOAD_WORKERS: usize = 4;
#[cfg(feature = "sqlite")]
const LOAD_TIME: Duration = Duration::from_secs(5);

/// The load run: several engines, each with its own handle on one SQLite file, issuing a mix
/// of drafts, submits, reads, nominations and ticks; then the audit log checked against what
/// landed.
#[cfg(feature = "sqlite")]
async fn load_run(r: &mut Report, path: &std::path::Path) -> Result<(), Failure> {
    use appraise::memory::StaticDirectory;
    use appraise::sql::SqliteStorage;
    let first = Arc::new(SqliteStorage::open(path).await?);
    let (engine, cycle, admin) = engine_with(LOAD_PEOPLE, first.clone()).await?;
    engine.launch(admin, cycle).await?;
    let targets = load::targets(&engine, cycle, admin).await?;
    let mut engines = vec![engine];
    let mut handles = vec![first];
    for _ in 1..LOAD_ENGINES {
        let storage = Arc::new(SqliteStorage::open(path).await?);
        let people = org::people(LOAD_PEOPLE, LOAD_PEOPLE as u64);
        engines.push(
            Engine::builder()
                .storage(Arc::clone(&storage))
                .directory(StaticDirectory::new(people, vec![]))
                .build(),
        );
        handles.push(storage);
    }
    let got = load::run(&engines, cycle, &targets, LOAD_WORKERS, LOAD_TIME).await?;
    let size = LOAD_PEOPLE.to_string();
    r.line(
        "load: throughput (sqlite)",
        &size,
        format!("{:.0}/s", got.per_second),
        "",
        None,
        &format!(
            "{} ops by {LOAD_ENGINES} engines × {LOAD_WORKERS} workers in {} s ",
            got.ops,
            LOAD_TIME.as_secs()
        ),
    );
    r.line(
        "load: latency p50",
        &size,
        show(got.p50),
        "",
        None,
        &format!("p99 {} ", show(got.p99)),
    );
    r.line(
        "load: conflicts retried",
        &size,
        got.conflicts.to_string(),
        "",
        None,
        "",
    );
    r.line(
        "load: lost / doubled",
        &size,
        format!("{} / {}", got.lost, got.doubled),
        "0 / 0",
        Some(got.lost == 0 && got.doubled == 0),
        "",
    );
    for h in handles {
        h.close().await;
    }
    Ok(())
}

#[cfg(not(feature = "sqlite"))]
async fn sqlite(r: &mut Report) -> Result<(), Failure> {
    for n in ["1000", "10000", "100000"] {
        r.line(
            "launch (sqlite)",
            n,
            "skipped".into(),
            "",
            None,
            "build with --features sqlite",
        );
    }
    r.line(
        "submit (sqlite)",
        "100000",
        "skipped".into(),
        "≤ 2 ms",
        None,
        "build with --features sqlite",
    );
    r.line(
        "load (sqlite)",
        "2000",
        "skipped".into(),
        "",
        None,
        "build with --features sqlite",
    );
    Ok(())
}
