//! A refused command changes nothing (DOMAIN.md, "Review packets and reviews": each transition
//! has one command and one check; the quality bar: a refused command changes nothing): random
//! command sequences on a launched world's cycle, packet, reviews, nominations and calibration
//! session, where every refused command must leave every value byte-identical (compared as
//! JSON), and every command kind is seen both refused and accepted.

use std::collections::BTreeMap;

use appraise::score::Score;
use appraise::{
    Answer, Answers, AssignmentRole, CalibrationSession, CalibrationSessionId, Cycle, CycleConfig,
    CycleId, CycleSettings, Nomination, NominationId, NominationState, OrgSnapshot, Packet, Period,
    Person, PersonId, QuestionId, Review, ReviewKind, ReviewKinds, SequentialIds, launch,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::world::Rng;

fn id(k: &str) -> PersonId {
    PersonId::from_key(k)
}

/// boss manages ann, p1..p4 and hr; ann manages r1 (so upward reviews exist).
fn org() -> OrgSnapshot {
    let mut people = vec![
        Person::new(id("boss"), "boss"),
        Person::new(id("ann"), "ann")
            .with_manager(id("boss"))
            .with_additional_manager(id("p4")),
        Person::new(id("r1"), "r1").with_manager(id("ann")),
    ];
    for p in ["p1", "p2", "p3", "p4", "hr"] {
        people.push(Person::new(id(p), p).with_manager(id("boss")));
    }
    OrgSnapshot::build(people, vec![]).unwrap()
}

/// Everything a command may touch.
struct State {
    cycle: Cycle,
    org: OrgSnapshot,
    packet: Packet,
    reviews: Vec<Review>,
    nominations: Vec<Nomination>,
    session: CalibrationSession,
}

impl State {
    fn json(&self) -> String {
        serde_json::to_string(&(
            &self.cycle,
            &self.packet,
            &self.reviews,
            &self.nominations,
            &self.session,
        ))
        .unwrap()
    }
}

fn world(rng: &mut Rng, t0: DateTime<Utc>) -> State {
    let period = Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
    };
    let mut config = CycleConfig::new("c", period).with_settings(CycleSettings {
        calibration: rng.chance(50),
        approval_required: rng.chance(50),
        min_peers: rng.below(2) as u8,
        max_peers: 2 + rng.below(2) as u8,
        ..CycleSettings::default()
    });
    config.kinds = ReviewKinds {
        self_review: true,
        manager: true,
        additional_manager: true,
        peer: true,
        upward: true,
    };
    let (mut cycle, _) = Cycle::create(CycleId::from_key("c"), config, id("hr"), t0).unwrap();
    cycle.set_participants([id("ann")], id("hr"), t0).unwrap();
    let org = org();
    let l = launch(
        &mut cycle,
        &org,
        &mut SequentialIds::starting_at(1),
        id("hr"),
        t0,
    )
    .unwrap();
    let (session, _) = CalibrationSession::create(
        CalibrationSessionId::from_key("s"),
        cycle.id(),
        "s",
        [id("ann")],
        [id("p1")],
        id("hr"),
        t0,
    );
    State {
        packet: l.packets[0].clone(),
        reviews: l.reviews.clone(),
        cycle,
        org,
        nominations: Vec::new(),
        session,
    }
}

const PEOPLE: [&str; 8] = ["boss", "ann", "r1", "p1", "p2", "p3", "p4", "hr"];

/// Applies one random command; returns its name and whether it was accepted.
#[allow(clippy::too_many_lines)]
fn step(
    s: &mut State,
    rng: &mut Rng,
    ids: &mut SequentialIds,
    at: DateTime<Utc>,
) -> (&'static str, bool) {
    let who = id(PEOPLE[rng.below(PEOPLE.len())]);
    let by = id("hr");
    let kinds = s.cycle.config().kinds;
    let settings = s.cycle.settings().clone();
    let n = s.reviews.len();
    let ri = rng.below(n.max(1));
    let answers = Answers::new().with(QuestionId::from_key("q"), Answer::Text("words".into()));
    macro_rules! review_cmd {
        ($name:literal, |$r:ident, $p:ident| $body:expr) => {{
            let Some($r) = s.reviews.get_mut(ri) else {
                return ($name, false);
            };
            let $p = &mut s.packet;
            ($name, $body.is_ok())
        }};
    }
    // Often a step along the happy path, so that later states are reached too.
    let command = if rng.chance(40) {
        rng.pick(&[6, 19, 19, 19, 7, 8, 9, 9, 10, 11, 13, 14])
    } else {
        rng.below(30)
    };
    match command {
        0 => {
            let kind = rng.pick(&ReviewKind::ALL);
            match s.packet.assign(&kinds, kind, who, ids, Some(by), at) {
                Ok((r, _)) => {
                    s.reviews.push(r);
                    ("assign", true)
                }
                Err(_) => ("assign", false),
            }
        }
        1 => {
            let role = rng.pick(&[
                AssignmentRole::Viewer,
                AssignmentRole::Sharer,
                AssignmentRole::Peer,
            ]);
            ("add_role", s.packet.add_role(role, who, by, at).is_ok())
        }
        2 => {
            let role = rng.pick(&[
                AssignmentRole::Viewer,
                AssignmentRole::Sharer,
                AssignmentRole::Peer,
            ]);
            (
                "remove_role",
                s.packet.remove_role(role, who, by, at).is_ok(),
            )
        }
        3 => review_cmd!("remove_reviewer", |r, p| p.remove_reviewer(r, by, at)),
        4 => {
            let Some(r) = s.reviews.get_mut(ri) else {
                return ("replace_reviewer", false);
            };
            match s.packet.replace_reviewer(r, who, &kinds, ids, by, at) {
                Ok((new, _)) => {
                    s.reviews.push(new);
                    ("replace_reviewer", true)
                }
                Err(_) => ("replace_reviewer", false),
            }
        }
        5 => ("open_gate", s.packet.open_gate(by, at).is_ok()),
        6 => (
            "close_nominations",
            s.packet.close_nominations(by, at).is_ok(),
        ),
        7 => (
            "finish_writing",
            s.packet.finish_writing(&settings, &s.org, by, at).is_ok(),
        ),
        8 => (
            "close_calibration",
            s.packet
                .close_calibration(&settings, &s.org, by, at)
                .is_ok(),
        ),
        9 => (
            "approve",
            s.packet.approve(&settings, &s.org, who, at).is_ok(),
        ),
        10 => {
            // Mostly the manager review, the one a send-back reopens.
            let manager_review = s.reviews.iter().position(|r| {
                r.kind() == ReviewKind::Manager && r.state() == appraise::ReviewState::Submitted
            });
            let i = manager_review.filter(|_| rng.chance(80)).unwrap_or(ri);
            let Some(r) = s.reviews.get_mut(i) else {
                return ("send_back", false);
            };
            ("send_back", s.packet.send_back(r, "again", who, at).is_ok())
        }
        11 => ("share", s.packet.share(by, at).is_ok()),
        12 => ("unshare", s.packet.unshare(by, at).is_ok()),
        13 => {
            let who = if rng.chance(70) { id("ann") } else { who };
            ("acknowledge", s.packet.acknowledge(None, who, at).is_ok())
        }
        14 => {
            let manager = s.packet.manager();
            let who = manager.filter(|_| rng.chance(70)).unwrap_or(who);
            ("record_meeting", s.packet.record_meeting(who, at).is_ok())
        }
        15 => {
            let rating = Score::from_hundredths(rng.below(700) as u16);
            let scale = settings.rating_scale.clone();
            (
                "set_calibrated",
                s.packet
                    .set_calibrated(rating, None, &scale, by, at)
                    .is_ok(),
            )
        }
        16 | 17 => {
            let live = s.reviews.iter_mut().find(|r| {
                r.kind() == ReviewKind::Manager && r.state() != appraise::ReviewState::Cancelled
            });
            let new = rng.chance(80).then_some(who);
            let out = if rng.chance(50) {
                s.packet.change_manager(new, live, &kinds, ids, by, at)
            } else {
                s.packet
                    .change_manager_reviewer(new, live, &kinds, ids, by, at)
            };
            match out {
                Ok((r, _)) => {
                    s.reviews.extend(r);
                    ("change_manager", true)
                }
                Err(_) => ("change_manager", false),
            }
        }
        18 => review_cmd!("save_draft", |r, p| {
            let author = r.author();
            r.save_draft(p, answers, if rng.chance(80) { author } else { who }, at)
        }),
        19 => review_cmd!("submit", |r, p| {
            let author = r.author();
            r.submit(
                p,
                Some(answers),
                if rng.chance(80) { author } else { who },
                at,
            )
        }),
        20 => review_cmd!("reopen", |r, p| r.reopen(p, by, at)),
        21 => review_cmd!("cancel", |r, p| r.cancel(p, by, at)),
        22 => review_cmd!("remove_feedback", |r, p| r.remove_feedback(p, by, at)),
        23 => {
            let nid = NominationId::from_key(&format!("n{}", s.nominations.len()));
            match Nomination::create(
                nid,
                &s.packet,
                who,
                &s.nominations,
                &settings,
                id("ann"),
                at,
            ) {
                Ok((nomination, _)) => {
                    s.nominations.push(nomination);
                    ("nominate", true)
                }
                Err(_) => ("nominate", false),
            }
        }
        24 => {
            let Some(nomination) = s.nominations.last_mut() else {
                return ("decide_nomination", false);
            };
            let to = rng.pick(&[NominationState::Approved, NominationState::Denied]);
            (
                "decide_nomination",
                nomination.decide(to, None, by, at).is_ok(),
            )
        }
        25 => {
            let mut config = s.cycle.config().clone();
            config.settings.anonymity_threshold = rng.below(4) as u16;
            if rng.chance(30) {
                config.kinds.upward = !config.kinds.upward;
            }
            ("edit_cycle", s.cycle.edit(config, by, at).is_ok())
        }
        26 => {
            let r = match rng.below(4) {
                0 => s.cycle.close(by, at),
                1 => s.cycle.reopen(by, at),
                2 => s.cycle.lock(by, at),
                _ => s.cycle.unlock(by, at),
            };
            ("cycle_state", r.is_ok())
        }
        27 => {
            let r = if rng.chance(50) {
                s.cycle.add_collaborator(who, by, at)
            } else {
                s.cycle.remove_collaborator(who, by, at)
            };
            ("collaborators", r.is_ok())
        }
        28 => {
            let r = match rng.below(3) {
                0 => s.session.open(by, at),
                1 => s.session.close(by, at),
                _ => s
                    .session
                    .set_members([id("ann")].into(), [who].into(), by, at),
            };
            ("session", r.is_ok())
        }
        _ => ("withdraw", s.packet.withdraw(by, at).is_ok()),
    }
}

#[test]
fn a_refused_command_changes_nothing() {
    let worlds: u64 = std::env::var("APPRAISE_REFUSAL_WORLDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    // [refused, accepted] per command.
    let mut seen: BTreeMap<&'static str, [usize; 2]> = BTreeMap::new();
    for seed in 0..worlds {
        let mut rng = Rng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xF00D);
        let mut s = world(&mut rng, t0);
        let mut ids = SequentialIds::starting_at(10_000);
        for i in 0..100 {
            let at = t0 + Duration::minutes(i);
            let before = s.json();
            let (name, accepted) = step(&mut s, &mut rng, &mut ids, at);
            seen.entry(name).or_default()[usize::from(accepted)] += 1;
            if !accepted {
                assert_eq!(
                    s.json(),
                    before,
                    "world {seed}, step {i}: a refused {name} changed something"
                );
            }
        }
    }
    for (name, [refused, accepted]) in &seen {
        assert!(
            *refused > 0 && *accepted > 0,
            "{name}: {refused} refused, {accepted} accepted"
        );
    }
    assert!(
        seen.len() >= 25,
        "only {} commands ran: {seen:?}",
        seen.len()
    );
}
