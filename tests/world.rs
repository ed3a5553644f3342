//! Random whole worlds for property tests: an org, a launched cycle with random settings,
//! assignments, review and packet states, grants and calibration sessions. Everything is built
//! through the public API from a seed, so only reachable states occur.
//!
//! The world also keeps the raw data it fed in (people with their managers, the grants it gave)
//! so the naive oracle can answer from the spec text without the crate's indices.

use appraise::access::{Action, Context, Decision, Target, decide};
use appraise::{
    AdminGrant, ApprovalStep, CalibrationSession, CalibrationSessionId, CustomRole, CustomRoleId,
    Cycle, CycleConfig, CycleId, CycleScope, CycleSettings, DefaultAdditionalManagers, Department,
    DepartmentId, Gating, Grants, Nomination, NominationId, NominationState, OrgSnapshot, Packet,
    PacketState, PeopleScope, Period, Permission, Person, PersonId, Review, ReviewKind,
    ReviewKinds, ReviewState, RoleGrant, SequentialIds, Window, Windows, launch,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::Config;
use uuid::Uuid;

/// Proptest config: 256 cases by default, `APPRAISE_PROPTEST_CASES` raises it.
pub fn config() -> Config {
    let cases = std::env::var("APPRAISE_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A small deterministic generator (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// The shape of the random org.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    RandomTree,
    LongChain,
    WideFan,
    Forest,
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    pub people: Vec<Person>,
    pub departments: Vec<Department>,
    pub org: OrgSnapshot,
    pub cycle: Cycle,
    pub grants: Grants,
    pub packets: Vec<Packet>,
    pub reviews: Vec<Review>,
    pub calibrations: Vec<CalibrationSession>,
    pub nominations: Vec<Nomination>,
    pub now: DateTime<Utc>,
    /// Raw grants as given, for the oracle.
    pub admin_grants: Vec<(PersonId, AdminGrant)>,
    pub global_viewers: Vec<(PersonId, PersonId)>,
    pub past_viewers: Vec<(PersonId, PersonId)>,
    /// Each subject's default additional manager now (the directory's word), which may no
    /// longer be the one named in the packet: past-review grants bound to an ended relation
    /// give nothing.
    pub additional_managers: DefaultAdditionalManagers,
    pub current_additional: Vec<(PersonId, PersonId)>,
    pub roles: Vec<CustomRole>,
    pub role_grants: Vec<(PersonId, RoleGrant)>,
    /// Who has left (marked in `org`).
    pub left: Vec<PersonId>,
    /// Someone who is in no relation to anything.
    pub stranger: PersonId,
}

pub fn person_id(seed: u64, i: usize) -> PersonId {
    PersonId::from_uuid(Uuid::from_u128((u128::from(seed) << 64) | i as u128))
}

/// Strategy for whole worlds of 1–300 people.
pub fn worlds() -> impl Strategy<Value = World> {
    worlds_sized(1..=300usize)
}

pub fn worlds_sized(sizes: impl Strategy<Value = usize>) -> impl Strategy<Value = World> {
    (sizes, 0u8..4, any::<u64>()).prop_map(|(n, shape, seed)| {
        let shape = [
            Shape::RandomTree,
            Shape::LongChain,
            Shape::WideFan,
            Shape::Forest,
        ][shape as usize];
        World::generate(n, shape, seed)
    })
}

impl World {
    pub fn generate(n: usize, shape: Shape, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let ids: Vec<PersonId> = (0..n).map(|i| person_id(seed, i)).collect();
        let dept_count = 1 + rng.below(4);
        let dept_ids: Vec<DepartmentId> = (0..dept_count)
            .map(|d| DepartmentId::from_key(&format!("{seed}-d{d}")))
            .collect();
        let mut people: Vec<Person> = (0..n)
            .map(|i| {
                let mut p = Person::new(ids[i], format!("p{i:03}"));
                let parent = match shape {
                    Shape::RandomTree => (i > 0).then(|| rng.below(i)),
                    Shape::LongChain => {
                        (i > 0).then(|| if rng.chance(90) { i - 1 } else { rng.below(i) })
                    }
                    Shape::WideFan => {
                        (i > 0).then(|| if rng.chance(85) { 0 } else { rng.below(i) })
                    }
                    Shape::Forest => (i > 0 && !rng.chance(15)).then(|| rng.below(i)),
                };
                if let Some(m) = parent {
                    p = p.with_manager(ids[m]);
                }
                if rng.chance(90) {
                    p = p.with_department(rng.pick(&dept_ids));
                }
                if n > 1 && rng.chance(10) {
                    let a = rng.below(n);
                    if a != i {
                        p = p.with_additional_manager(ids[a]);
                    }
                }
                p
            })
            .collect();
        // Input order must not matter: shuffle.
        for i in (1..people.len()).rev() {
            let j = rng.below(i + 1);
            people.swap(i, j);
        }
        let departments: Vec<Department> = dept_ids
            .iter()
            .enumerate()
            .map(|(d, &id)| {
                let dep = Department::new(id, format!("dept{d}"));
                if rng.chance(80) {
                    dep.with_head(rng.pick(&ids))
                } else {
                    dep
                }
            })
            .collect();
        let org = OrgSnapshot::build(people.clone(), departments.clone())
            .expect("generated org is valid");

        // The cycle.
        let created_at = t0() + Duration::days(rng.below(60) as i64 - 30);
        let now = t0() + Duration::days(45);
        let kinds = ReviewKinds {
            self_review: rng.chance(85),
            manager: rng.chance(90),
            additional_manager: rng.chance(80),
            peer: rng.chance(80),
            upward: rng.chance(70),
        };
        let steps = [
            ApprovalStep::Admins,
            ApprovalStep::ManagersManager,
            ApprovalStep::NthLevelUp(1 + rng.below(3) as u32),
            ApprovalStep::DepartmentHead,
        ];
        let chain_len = 1 + rng.below(3);
        let approval_chain: Vec<ApprovalStep> = (0..chain_len).map(|_| rng.pick(&steps)).collect();
        let mut windows = Windows::default();
        for kind in ReviewKind::ALL {
            if rng.chance(25) {
                let opens = now + Duration::days(rng.below(20) as i64 - 15);
                let due = opens + Duration::days(1 + rng.below(10) as i64);
                windows = windows.with(kind, Window { opens, due });
            }
        }
        let settings = CycleSettings {
            self_nomination: rng.chance(50),
            nomination_approval: rng.chance(60),
            anonymous_peer: rng.chance(70),
            anonymous_upward: rng.chance(70),
            share_peer_with_subject: rng.chance(60),
            share_upward_with_subject: rng.chance(60),
            anonymity_threshold: rng.below(5) as u16,
            managers_may_remove_feedback: rng.chance(50),
            late_submissions: rng.chance(40),
            gating: Gating {
                after_self: rng.chance(70),
                after_peers: rng.chance(30),
            },
            approval_required: rng.chance(50),
            approval_chain,
            calibration: rng.chance(40),
            windows,
            ..CycleSettings::default()
        };
        let period = Period {
            start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2026, 5, 31).unwrap(),
        };
        let config = CycleConfig::new("cycle", period)
            .with_kinds(kinds)
            .with_settings(settings);
        let creator = rng.pick(&ids);
        let cycle_id = CycleId::from_uuid(Uuid::from_u128(u128::from(seed) << 32 | 0xC));
        let (mut cycle, _) = Cycle::create(cycle_id, config, creator, created_at).unwrap();
        let mut participants: Vec<PersonId> =
            ids.iter().copied().filter(|_| rng.chance(80)).collect();
        if participants.is_empty() {
            participants.push(ids[0]);
        }
        cycle
            .set_participants(participants, creator, created_at)
            .unwrap();
        let mut id_source = SequentialIds::starting_at(u128::from(seed) << 64 | 1 << 40);
        let launched = launch(&mut cycle, &org, &mut id_source, creator, created_at).unwrap();
        let (mut packets, mut reviews) = (launched.packets, launched.reviews);
        let at = created_at + Duration::days(1);

        for _ in 0..rng.below(3) {
            let _ = cycle.add_collaborator(rng.pick(&ids), creator, at);
        }

        // Extra assignments.
        for packet in &mut packets {
            if kinds.peer {
                for _ in 0..rng.below(5) {
                    if let Ok((r, _)) = packet.assign(
                        &kinds,
                        ReviewKind::Peer,
                        rng.pick(&ids),
                        &mut id_source,
                        Some(creator),
                        at,
                    ) {
                        reviews.push(r);
                    }
                }
            }
            if kinds.additional_manager && rng.chance(10) {
                for _ in 0..1 + rng.below(2) {
                    if let Ok((r, _)) = packet.assign(
                        &kinds,
                        ReviewKind::AdditionalManager,
                        rng.pick(&ids),
                        &mut id_source,
                        Some(creator),
                        at,
                    ) {
                        reviews.push(r);
                    }
                }
            }
            if rng.chance(15) {
                let _ = packet.add_role(
                    appraise::AssignmentRole::Viewer,
                    rng.pick(&ids),
                    creator,
                    at,
                );
            }
            if rng.chance(15) {
                let _ = packet.add_role(
                    appraise::AssignmentRole::Sharer,
                    rng.pick(&ids),
                    creator,
                    at,
                );
            }
            if rng.chance(10) {
                let _ = packet.open_gate(creator, at);
            }
        }

        // Review states. Self and peer reviews first, then (packets moved to writing) managers.
        let packet_index = |packets: &[Packet], r: &Review| {
            packets.iter().position(|p| p.id() == r.packet()).unwrap()
        };
        for packet in &mut packets {
            if packet.state() == PacketState::Nominating && rng.chance(85) {
                packet.close_nominations(creator, at).unwrap();
            }
        }
        let mut order: Vec<usize> = (0..reviews.len()).collect();
        order.sort_by_key(|&i| reviews[i].kind() == ReviewKind::Manager);
        for i in order {
            let pi = packet_index(&packets, &reviews[i]);
            let (review, packet) = (&mut reviews[i], &mut packets[pi]);
            let author = review.author();
            match rng.below(10) {
                0 => {}
                1 => {
                    let _ = review.save_draft(packet, appraise::Answers::default(), author, at);
                }
                2 => {
                    let _ = review.cancel(packet, creator, at);
                }
                _ => {
                    let _ = review.submit(packet, None, author, at);
                    if review.kind().is_feedback() && rng.chance(15) {
                        let _ = review.remove_feedback(packet, creator, at);
                    }
                    if rng.chance(5) {
                        let _ = review.reopen(packet, creator, at);
                    }
                }
            }
        }

        // Manager changes: the live manager review is cancelled or, if submitted, kept.
        for packet in &mut packets {
            if !rng.chance(7) {
                continue;
            }
            let subject = packet.subject();
            let new_manager = Some(rng.pick(&ids)).filter(|&m| m != subject);
            let current = reviews.iter_mut().find(|r| {
                r.packet() == packet.id()
                    && r.kind() == ReviewKind::Manager
                    && r.state() != ReviewState::Cancelled
            });
            if let Ok((new_review, _)) =
                packet.change_manager(new_manager, current, &kinds, &mut id_source, creator, at)
                && let Some(r) = new_review
            {
                reviews.push(r);
            }
        }

        // Packet progression after the manager review.
        let settings = cycle.settings().clone();
        for packet in &mut packets {
            if packet.state() != PacketState::ManagerSubmitted || !rng.chance(80) {
                continue;
            }
            packet.finish_writing(&settings, &org, creator, at).unwrap();
            if packet.state() == PacketState::Calibrating && rng.chance(70) {
                packet
                    .close_calibration(&settings, &org, creator, at)
                    .unwrap();
            }
            while packet.state() == PacketState::PendingApproval && rng.chance(60) {
                packet.approve(&settings, &org, creator, at).unwrap();
            }
            if packet.state() == PacketState::PendingApproval && rng.chance(15) {
                let subject = packet.subject();
                let id = packet.id();
                if let Some(r) = reviews.iter_mut().find(|r| {
                    r.packet() == id
                        && r.kind() == ReviewKind::Manager
                        && r.state() == ReviewState::Submitted
                }) {
                    let _ = subject;
                    packet
                        .send_back(r, "more detail please", creator, at)
                        .unwrap();
                }
            }
            if packet.state() == PacketState::ReadyToShare && rng.chance(75) {
                packet.share(creator, at).unwrap();
                if rng.chance(40) {
                    let subject = packet.subject();
                    packet.acknowledge(Some("thanks"), subject, at).unwrap();
                } else if rng.chance(10) {
                    packet.unshare(creator, at).unwrap();
                }
            }
        }
        for packet in &mut packets {
            if rng.chance(3) {
                let _ = packet.withdraw(creator, at);
            }
        }

        // Nominations.
        let mut nominations: Vec<Nomination> = Vec::new();
        for (k, packet) in packets.iter().enumerate() {
            if !rng.chance(25) {
                continue;
            }
            let id = NominationId::from_uuid(Uuid::from_u128(u128::from(seed) << 24 | k as u128));
            if let Ok((mut n, _)) = Nomination::create(
                id,
                packet,
                rng.pick(&ids),
                &nominations,
                cycle.settings(),
                packet.subject(),
                at,
            ) {
                match rng.below(4) {
                    0 => {}
                    1 => {
                        n.decide(NominationState::Approved, None, creator, at)
                            .unwrap();
                    }
                    2 => {
                        n.decide(NominationState::Denied, Some("not a peer"), creator, at)
                            .unwrap();
                    }
                    _ => {
                        let nominee = n.nominee();
                        n.decide(NominationState::Declined, Some("busy"), nominee, at)
                            .unwrap();
                    }
                }
                nominations.push(n);
            }
        }

        // Calibration sessions.
        let mut calibrations = Vec::new();
        for s in 0..rng.below(3) {
            let members: Vec<PersonId> = (0..1 + rng.below(6))
                .map(|_| packets[rng.below(packets.len())].subject())
                .collect();
            let contributors: Vec<PersonId> =
                (0..1 + rng.below(3)).map(|_| rng.pick(&ids)).collect();
            let (mut session, _) = CalibrationSession::create(
                CalibrationSessionId::from_uuid(Uuid::from_u128(
                    u128::from(seed) << 16 | s as u128,
                )),
                if rng.chance(90) {
                    cycle.id()
                } else {
                    CycleId::from_key("other")
                },
                format!("session {s}"),
                members,
                contributors,
                creator,
                at,
            );
            if rng.chance(75) {
                session.open(creator, at).unwrap();
                if rng.chance(30) {
                    session.close(creator, at).unwrap();
                }
            }
            calibrations.push(session);
        }

        // Grants.
        let mut grants = Grants::new();
        let granter = ids[0];
        let mut admin_grants = Vec::new();
        for _ in 0..rng.below(4) {
            let person = rng.pick(&ids);
            let grant = AdminGrant {
                since: created_at + Duration::days(rng.below(40) as i64 - 20),
                past_cycles: rng.chance(40),
            };
            grants.grant_admin(person, grant, granter, at);
            admin_grants.retain(|(p, _)| *p != person);
            admin_grants.push((person, grant));
        }
        let mut global_viewers = Vec::new();
        for _ in 0..rng.below(4) {
            let (v, s) = (rng.pick(&ids), rng.pick(&ids));
            if grants.grant_global_viewer(v, s, granter, at).is_ok() {
                global_viewers.push((v, s));
            }
        }
        // The directory now: most relations hold; some ended, some moved to someone else.
        // Past-review grants go to the current default additional manager (whose grant
        // reads) or to someone who once was (a stale grant, which gives nothing).
        let mut current_additional = Vec::new();
        let mut past_viewers = Vec::new();
        for packet in &packets {
            let now = match rng.below(4) {
                0 => None,
                1 => Some(rng.pick(&ids)),
                _ => packet.default_additional_manager(),
            };
            if let Some(a) = now {
                current_additional.push((packet.subject(), a));
            }
            if rng.chance(40) {
                let grantee = match now {
                    Some(a) if rng.chance(60) => a,
                    _ => rng.pick(&ids),
                };
                if grants
                    .grant_past_reviews(grantee, packet.subject(), granter, at)
                    .is_ok()
                {
                    past_viewers.push((grantee, packet.subject()));
                }
            }
        }
        let additional_managers = current_additional.iter().copied().collect();
        let mut roles = Vec::new();
        let mut role_grants = Vec::new();
        for r in 0..rng.below(3) {
            let role = CustomRole {
                id: CustomRoleId::from_uuid(Uuid::from_u128(u128::from(seed) << 8 | r as u128)),
                name: format!("role{r}"),
                permissions: Permission::ALL
                    .into_iter()
                    .filter(|_| rng.chance(50))
                    .collect(),
            };
            grants.define_role(role.clone(), granter, at).unwrap();
            roles.push(role.clone());
            for _ in 0..rng.below(4) {
                let person = rng.pick(&ids);
                let grant = RoleGrant {
                    role: role.id,
                    cycles: match rng.below(3) {
                        0 => CycleScope::All,
                        1 => CycleScope::Listed([cycle.id()].into()),
                        _ => CycleScope::Listed([CycleId::from_key("other")].into()),
                    },
                    people: if rng.chance(50) {
                        PeopleScope::Everyone
                    } else {
                        PeopleScope::SubtreeOf(rng.pick(&ids))
                    },
                };
                if grants
                    .grant_role(person, grant.clone(), granter, at)
                    .is_ok()
                {
                    role_grants.push((person, grant));
                }
            }
        }
        if rng.chance(10) {
            cycle.lock(creator, at).unwrap();
        }
        if rng.chance(10) {
            cycle.close(creator, at).unwrap();
        }

        World {
            seed,
            people,
            departments,
            org,
            cycle,
            grants,
            packets,
            reviews,
            calibrations,
            nominations,
            now,
            admin_grants,
            global_viewers,
            past_viewers,
            additional_managers,
            current_additional,
            roles,
            role_grants,
            left: Vec::new(),
            stranger: PersonId::from_key(&format!("stranger-{seed}")),
        }
    }

    /// The same world after `person` left: marked in the snapshot, so they read nothing and
    /// do nothing (DOMAIN.md, leavers).
    pub fn with_leaver(mut self, person: PersonId) -> Self {
        self.org.mark_left(person).expect("a person of the org");
        self.left.push(person);
        self
    }

    pub fn ctx(&self) -> Context<'_> {
        Context::new(&self.grants, self.now)
            .with_cycle(&self.cycle)
            .with_snapshot(&self.org)
            .with_calibrations(&self.calibrations)
            .with_additional_managers(&self.additional_managers)
    }

    pub fn packet_of(&self, review: &Review) -> &Packet {
        self.packets
            .iter()
            .find(|p| p.id() == review.packet())
            .unwrap()
    }

    pub fn read(&self, actor: PersonId, review: &Review) -> Decision {
        decide(
            &self.ctx(),
            actor,
            Action::ReadReview,
            Target::Review(self.packet_of(review), review),
        )
    }

    pub fn name(&self, id: PersonId) -> String {
        self.org
            .name(id)
            .map_or_else(|| id.to_string(), str::to_owned)
    }

    /// People worth asking about a review: its author and everyone [`around`](Self::around)
    /// its packet.
    pub fn candidates(&self, review: &Review, rng: &mut Rng) -> Vec<PersonId> {
        let mut out = self.around(Some(self.packet_of(review)), rng);
        out.push(review.author());
        out.sort();
        out.dedup();
        out
    }

    /// People worth asking about a packet (or, without one, the cycle): everyone named in it
    /// and the subject's managers up the org, everyone holding a grant or a role, calibration
    /// contributors and department heads, people who have left, a few at random and a stranger.
    pub fn around(&self, packet: Option<&Packet>, rng: &mut Rng) -> Vec<PersonId> {
        let mut out = vec![self.stranger];
        if let Some(packet) = packet {
            out.push(packet.subject());
            out.extend(packet.manager());
            out.extend(packet.former_managers());
            out.extend(packet.default_additional_manager());
            out.extend(packet.additional_managers());
            out.extend(packet.upward_reviewers());
            out.extend(packet.peers());
            out.extend(packet.viewers());
            out.extend(packet.sharers());
            let mut m = self.org.manager_of(packet.subject());
            while let Some(x) = m {
                out.push(x);
                m = self.org.manager_of(x);
            }
        }
        out.extend(self.admin_grants.iter().map(|(p, _)| *p));
        out.extend(self.cycle.collaborators().iter().copied());
        out.extend(self.global_viewers.iter().map(|(p, _)| *p));
        out.extend(self.past_viewers.iter().map(|(p, _)| *p));
        out.extend(self.role_grants.iter().map(|(p, _)| *p));
        for s in &self.calibrations {
            out.extend(s.contributors().iter().copied());
        }
        out.extend(self.org.departments().iter().filter_map(|d| d.head));
        out.extend(self.left.iter().copied());
        for _ in 0..3 {
            out.push(self.people[rng.below(self.people.len())].id);
        }
        out.sort();
        out.dedup();
        out
    }
}
