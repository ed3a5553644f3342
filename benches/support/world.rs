//! A company-scale world on the pure core: every person a participant, about six reviews per
//! participant (self, manager, upward, three peers), most submitted; an admin and a
//! collaborator; and a fixed mix of read requests: ~20% author, ~30% someone in the subject's
//! manager chain, ~10% admin, ~10% collaborator, ~30% unrelated.

#![allow(dead_code)]

use std::collections::HashMap;

use appraise::{
    AdminGrant, Cycle, CycleConfig, CycleId, Grants, OrgSnapshot, Packet, Period, PersonId, Review,
    ReviewKind, SequentialIds, launch,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

use super::org::{Rng, people};

pub struct World {
    pub org: OrgSnapshot,
    pub cycle: Cycle,
    pub grants: Grants,
    pub packets: Vec<Packet>,
    pub reviews: Vec<Review>,
    /// (actor, packet index, review index)
    pub requests: Vec<(PersonId, usize, usize)>,
    pub admin: PersonId,
}

pub fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0)
        .single()
        .expect("date")
}

pub fn period() -> Period {
    Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        end: NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
    }
}

pub fn world(n: usize) -> World {
    let people = people(n, n as u64);
    let org = OrgSnapshot::build(people.clone(), vec![]).expect("valid org");
    let mut rng = Rng(n as u64 ^ 0xBEEF);
    let admin = people[rng.below(n)].id;
    let (mut cycle, _) = Cycle::create(
        CycleId::from_key("bench"),
        CycleConfig::new("bench", period()),
        admin,
        at(),
    )
    .expect("cycle");
    let collaborator = people[rng.below(n)].id;
    cycle
        .add_collaborator(collaborator, admin, at())
        .expect("collaborator");
    cycle
        .set_participants(people.iter().map(|p| p.id), admin, at())
        .expect("participants");
    let launched = launch(
        &mut cycle,
        &org,
        &mut SequentialIds::starting_at(1 << 40),
        admin,
        at(),
    )
    .expect("launch");
    let (mut packets, mut reviews) = (launched.packets, launched.reviews);
    let kinds = cycle.config().kinds;
    let mut ids = SequentialIds::starting_at(1 << 50);
    for packet in packets.iter_mut() {
        for _ in 0..3 {
            if let Ok((r, _)) = packet.assign(
                &kinds,
                ReviewKind::Peer,
                people[rng.below(n)].id,
                &mut ids,
                None,
                at(),
            ) {
                reviews.push(r);
            }
        }
        packet.close_nominations(admin, at()).expect("close");
    }
    let later = at() + Duration::days(1);
    let index: HashMap<_, _> = packets
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id(), i))
        .collect();
    reviews.sort_by_key(|r| r.kind() == ReviewKind::Manager);
    for (i, r) in reviews.iter_mut().enumerate() {
        if i % 10 == 0 {
            continue; // some stay unsubmitted
        }
        let author = r.author();
        let _ = r.submit(&mut packets[index[&r.packet()]], None, author, later);
    }
    let mut grants = Grants::new();
    grants.grant_admin(
        admin,
        AdminGrant {
            since: at() - Duration::days(1),
            past_cycles: false,
        },
        admin,
        at(),
    );
    let requests = (0..20_000)
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
        admin,
    }
}
