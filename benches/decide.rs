//! `decide` on R-READ requests over random orgs of 1k, 10k and 100k people (trees of depth
//! 8–12, every person a participant, a cycle with several reviews per participant), with the
//! request mix: ~20% author, ~30% someone in the subject's manager chain, ~10% admin, ~10%
//! collaborator, ~30% unrelated. Separately: the cost of `explain`.

use appraise::access::{Action, Context, Target, decide, explain};
use appraise::{
    AdminGrant, Cycle, CycleConfig, CycleId, Grants, OrgSnapshot, Packet, Period, Person, PersonId,
    Review, SequentialIds, launch,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, black_box, criterion_group, criterion_main};
use uuid::Uuid;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// A random tree of `n` people with depth 8–12: level sizes grow geometrically, each person
/// reports to a random person of the level above.
fn org(n: usize, rng: &mut Rng) -> (Vec<Person>, OrgSnapshot) {
    let depth = 8 + rng.below(5);
    let growth = (n as f64).powf(1.0 / depth as f64);
    let ids: Vec<PersonId> = (0..n)
        .map(|i| PersonId::from_uuid(Uuid::from_u128(i as u128 + 1)))
        .collect();
    let mut people = Vec::with_capacity(n);
    let (mut prev, mut start) = (0..1usize, 0usize);
    people.push(Person::new(ids[0], "p0"));
    start += 1;
    let mut level = 1;
    while start < n {
        let size = if level >= depth {
            n - start
        } else {
            (growth.powi(level as i32) as usize).clamp(1, n - start)
        };
        for i in start..start + size {
            let parent = prev.start + rng.below(prev.len());
            people.push(Person::new(ids[i], format!("p{i}")).with_manager(ids[parent]));
        }
        prev = start..start + size;
        start += size;
        level += 1;
    }
    let snapshot = OrgSnapshot::build(people.clone(), vec![]).expect("valid org");
    (people, snapshot)
}

struct World {
    org: OrgSnapshot,
    cycle: Cycle,
    grants: Grants,
    packets: Vec<Packet>,
    reviews: Vec<Review>,
    requests: Vec<(PersonId, usize, usize)>,
}

fn world(n: usize) -> World {
    let mut rng = Rng(n as u64);
    let (people, org) = org(n, &mut rng);
    let t = Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap();
    let admin = people[rng.below(n)].id;
    let period = Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
    };
    let (mut cycle, _) = Cycle::create(
        CycleId::from_key("bench"),
        CycleConfig::new("bench", period),
        admin,
        t,
    )
    .unwrap();
    let collaborator = people[rng.below(n)].id;
    cycle.add_collaborator(collaborator, admin, t).unwrap();
    cycle
        .set_participants(people.iter().map(|p| p.id), admin, t)
        .unwrap();
    let launched = launch(
        &mut cycle,
        &org,
        &mut SequentialIds::starting_at(1 << 40),
        admin,
        t,
    )
    .unwrap();
    let (mut packets, mut reviews) = (launched.packets, launched.reviews);
    let kinds = cycle.config().kinds;
    let mut ids = SequentialIds::starting_at(1 << 50);
    for packet in packets.iter_mut() {
        for _ in 0..3 {
            if let Ok((r, _)) = packet.assign(
                &kinds,
                appraise::ReviewKind::Peer,
                people[rng.below(n)].id,
                &mut ids,
                None,
                t,
            ) {
                reviews.push(r);
            }
        }
        packet.close_nominations(admin, t).unwrap();
    }
    let at = t + Duration::days(1);
    let index: std::collections::HashMap<_, _> = packets
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id(), i))
        .collect();
    reviews.sort_by_key(|r| r.kind() == appraise::ReviewKind::Manager);
    for r in reviews.iter_mut() {
        let author = r.author();
        let _ = r.submit(&mut packets[index[&r.packet()]], None, author, at);
    }
    let mut grants = Grants::new();
    grants.grant_admin(
        admin,
        AdminGrant {
            since: t - Duration::days(1),
            past_cycles: false,
        },
        admin,
        t,
    );
    let requests = (0..10_000)
        .map(|_| {
            let ri = rng.below(reviews.len());
            let r = &reviews[ri];
            let actor = match rng.below(10) {
                0 | 1 => r.author(),
                2..=4 => {
                    let depth = org.depth(r.subject()).unwrap_or(0).max(1);
                    org.nth_manager(r.subject(), 1 + rng.below(depth as usize) as u32)
                        .unwrap_or(admin)
                }
                5 => admin,
                6 => collaborator,
                _ => people[rng.below(n)].id,
            };
            (actor, index[&r.packet()], ri)
        })
        .collect();
    World {
        org,
        cycle,
        grants,
        packets,
        reviews,
        requests,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide");
    for n in [1_000, 10_000, 100_000] {
        let w = world(n);
        let ctx = Context::new(&w.grants, Utc::now())
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
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
