//! Unit tests: each snapshot error and each transition refusal, and the default assignments
//! a launch makes.

use appraise::{
    Cycle, CycleConfig, CycleId, CycleSettings, Department, DepartmentId, Error, OrgError,
    OrgSnapshot, PacketState, Period, Person, PersonId, ReviewKind, SequentialIds, launch,
};
use chrono::{NaiveDate, TimeZone, Utc};

fn id(k: &str) -> PersonId {
    PersonId::from_key(k)
}

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn period() -> Period {
    Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
    }
}

#[test]
fn manager_loop_is_refused_and_named() {
    let people = vec![
        Person::new(id("root"), "root"),
        Person::new(id("ann"), "ann").with_manager(id("cy")),
        Person::new(id("bo"), "bo").with_manager(id("ann")),
        Person::new(id("cy"), "cy").with_manager(id("bo")),
        Person::new(id("dee"), "dee").with_manager(id("ann")),
    ];
    let err = OrgSnapshot::build(people, vec![]).unwrap_err();
    let Error::Org(OrgError::ManagerLoop { people, names }) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(people.len(), 4);
    assert_eq!(people.first(), people.last());
    let mut on_loop: Vec<_> = names[..3].to_vec();
    on_loop.sort();
    assert_eq!(on_loop, ["ann", "bo", "cy"]);
    assert!(
        err.to_string()
            .starts_with("invalid org data: manager loop: `")
    );
}

#[test]
fn self_manager_is_a_loop_of_one() {
    let err = OrgSnapshot::build(
        vec![Person::new(id("ann"), "ann").with_manager(id("ann"))],
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid org data: manager loop: `ann` → `ann`"
    );
}

#[test]
fn unknown_manager_is_refused_and_named() {
    let ghost = id("ghost");
    let err = OrgSnapshot::build(
        vec![Person::new(id("ann"), "ann").with_manager(ghost)],
        vec![],
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Org(OrgError::UnknownManager { name, manager, .. }) if name == "ann" && *manager == ghost)
    );
}

#[test]
fn duplicate_id_is_refused_with_both_names() {
    let err = OrgSnapshot::build(
        vec![Person::new(id("x"), "ann"), Person::new(id("x"), "bo")],
        vec![],
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Org(OrgError::DuplicatePerson { first, second, .. }) if first == "ann" && second == "bo")
    );
}

#[test]
fn unknown_department_and_head_are_refused() {
    let d = DepartmentId::from_key("eng");
    let err = OrgSnapshot::build(
        vec![Person::new(id("ann"), "ann").with_department(d)],
        vec![],
    )
    .unwrap_err();
    assert!(matches!(
        err,
        Error::Org(OrgError::UnknownDepartment { .. })
    ));
    let err = OrgSnapshot::build(
        vec![Person::new(id("ann"), "ann")],
        vec![Department::new(d, "eng").with_head(id("ghost"))],
    )
    .unwrap_err();
    assert!(matches!(err, Error::Org(OrgError::UnknownHead { .. })));
}

/// Bad org data is refused naming the people involved (DOMAIN.md, "People and the org
/// snapshot"): with several people linked to someone or something unknown, the error names
/// the first of them in the order given, whatever the kind of link.
#[test]
fn the_first_unknown_link_in_the_order_given_is_named() {
    let d = DepartmentId::from_key("eng");
    let people = || {
        vec![
            Person::new(id("boss"), "boss"),
            Person::new(id("ann"), "ann").with_manager(id("boss")),
            Person::new(id("bo"), "bo").with_department(d),
            Person::new(id("cy"), "cy").with_manager(id("ghost")),
            Person::new(id("dee"), "dee").with_additional_manager(id("ghost")),
        ]
    };
    let err = OrgSnapshot::build(people(), vec![]).unwrap_err();
    assert!(
        matches!(&err, Error::Org(OrgError::UnknownDepartment { name, .. }) if name == "bo"),
        "{err}"
    );
    let err = OrgSnapshot::build(people().into_iter().rev().collect(), vec![]).unwrap_err();
    assert!(
        matches!(&err, Error::Org(OrgError::UnknownAdditionalManager { name, .. }) if name == "dee"),
        "{err}"
    );
    let mut without_bo = people();
    without_bo.remove(2);
    let err = OrgSnapshot::build(without_bo, vec![]).unwrap_err();
    assert!(
        matches!(&err, Error::Org(OrgError::UnknownManager { name, .. }) if name == "cy"),
        "{err}"
    );
}

#[test]
fn unknown_additional_manager_is_refused() {
    let err = OrgSnapshot::build(
        vec![Person::new(id("ann"), "ann").with_additional_manager(id("ghost"))],
        vec![],
    )
    .unwrap_err();
    assert!(matches!(
        err,
        Error::Org(OrgError::UnknownAdditionalManager { .. })
    ));
}

#[test]
fn snapshot_queries_on_a_small_tree() {
    let people = vec![
        Person::new(id("dana"), "dana"),
        Person::new(id("bo"), "bo").with_manager(id("dana")),
        Person::new(id("ann"), "ann").with_manager(id("bo")),
        Person::new(id("cy"), "cy").with_manager(id("bo")),
        Person::new(id("eve"), "eve"),
    ];
    let org = OrgSnapshot::build(people, vec![]).unwrap();
    assert_eq!(
        org.direct_reports(id("bo")).collect::<Vec<_>>(),
        [id("ann"), id("cy")]
    );
    let mut team: Vec<_> = org.extended_team(id("dana")).collect();
    team.sort();
    let mut want = vec![id("bo"), id("ann"), id("cy")];
    want.sort();
    assert_eq!(team, want);
    assert_eq!(org.nth_manager(id("ann"), 2), Some(id("dana")));
    assert_eq!(org.nth_manager(id("ann"), 3), None);
    assert!(!org.is_ancestor(id("ann"), id("ann")));
    assert!(!org.is_ancestor(id("eve"), id("ann")));
    assert_eq!(org.manager_path(id("eve"), id("ann")), None);
    let moved = org.with_manager_changed(id("cy"), Some(id("eve"))).unwrap();
    assert!(moved.is_ancestor(id("eve"), id("cy")));
    assert!(!moved.is_ancestor(id("dana"), id("cy")));
    assert!(matches!(
        org.with_manager_changed(id("dana"), Some(id("ann"))),
        Err(Error::Org(OrgError::ManagerLoop { .. }))
    ));
}

/// boss manages ann.
fn boss_and_ann() -> OrgSnapshot {
    OrgSnapshot::build(
        vec![
            Person::new(id("boss"), "boss"),
            Person::new(id("ann"), "ann").with_manager(id("boss")),
        ],
        vec![],
    )
    .unwrap()
}

/// A cycle of boss and ann with ann alone a participant, launched: the cycle, what launch
/// made, boss and ann.
pub fn launched() -> (Cycle, appraise::Launched, PersonId, PersonId) {
    let (boss, ann) = (id("boss"), id("ann"));
    let org = boss_and_ann();
    let (mut cycle, _) = Cycle::create(
        CycleId::from_key("c"),
        CycleConfig::new("c", period()),
        boss,
        at(),
    )
    .unwrap();
    cycle.set_participants([ann], boss, at()).unwrap();
    let l = launch(
        &mut cycle,
        &org,
        &mut SequentialIds::starting_at(1),
        boss,
        at(),
    )
    .unwrap();
    (cycle, l, boss, ann)
}

#[test]
fn cycle_transition_refusals() {
    let (mut cycle, _) = Cycle::create(
        CycleId::from_key("c"),
        CycleConfig::new("c", period()),
        id("a"),
        at(),
    )
    .unwrap();
    let e = cycle.close(id("a"), at()).unwrap_err();
    assert_eq!(e.to_string(), "cycle cannot go from `draft` to `closed`");
    let e = cycle.unlock(id("a"), at()).unwrap_err();
    assert_eq!(e.to_string(), "cycle lock is already unlocked");
    let (mut active, ..) = launched();
    let e = active.delete(id("a"), at()).unwrap_err();
    assert_eq!(e.to_string(), "cycle cannot go from `active` to `deleted`");
    active.lock(id("a"), at()).unwrap();
    assert!(active.lock(id("a"), at()).is_err());
    active.unlock(id("a"), at()).unwrap();
    active.close(id("a"), at()).unwrap();
    assert!(active.close(id("a"), at()).is_err());
    let org = OrgSnapshot::build(vec![], vec![]).unwrap();
    assert!(matches!(
        launch(
            &mut active,
            &org,
            &mut SequentialIds::starting_at(9),
            id("a"),
            at()
        ),
        Err(Error::InvalidTransition { .. })
    ));
}

#[test]
fn review_and_packet_transition_refusals() {
    let (_, mut l, boss, ann) = launched();
    let mut packet = l.packets.remove(0);
    let (mut self_review, mut manager_review) = {
        let mut it = l.reviews.into_iter();
        let a = it.next().unwrap();
        let b = it.next().unwrap();
        if a.kind() == ReviewKind::SelfReview {
            (a, b)
        } else {
            (b, a)
        }
    };
    // Manager review cannot be submitted while nominating.
    let e = manager_review
        .submit(&mut packet, None, boss, at())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "packet cannot go from `nominating` to `manager_submitted`"
    );
    assert_eq!(
        manager_review.state(),
        appraise::ReviewState::Assigned,
        "refusal changed nothing"
    );
    // Reopen an unsubmitted review.
    let e = self_review.reopen(&mut packet, boss, at()).unwrap_err();
    assert_eq!(e.to_string(), "review cannot go from `assigned` to `draft`");
    self_review.submit(&mut packet, None, ann, at()).unwrap();
    let e = self_review.cancel(&mut packet, boss, at()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "review cannot go from `submitted` to `cancelled`"
    );
    assert!(self_review.submit(&mut packet, None, ann, at()).is_err());
    // Packet: share before ready, acknowledge before shared.
    assert!(packet.share(boss, at()).is_err());
    assert!(packet.acknowledge(None, ann, at()).is_err());
    packet.close_nominations(boss, at()).unwrap();
    manager_review
        .submit(&mut packet, None, boss, at())
        .unwrap();
    assert_eq!(packet.state(), PacketState::ManagerSubmitted);
    let settings = CycleSettings::default();
    let org = boss_and_ann();
    assert!(packet.approve(&settings, &org, boss, at()).is_err());
    assert!(
        packet
            .close_calibration(&settings, &org, boss, at())
            .is_err()
    );
    packet.finish_writing(&settings, &org, boss, at()).unwrap();
    assert_eq!(packet.state(), PacketState::ReadyToShare);
    packet.share(boss, at()).unwrap();
    // Reopening the manager review is refused once results are shared.
    let e = manager_review.reopen(&mut packet, boss, at()).unwrap_err();
    assert_eq!(e.to_string(), "packet cannot go from `shared` to `writing`");
    assert_eq!(manager_review.state(), appraise::ReviewState::Submitted);
    packet.acknowledge(Some("ok"), ann, at()).unwrap();
    assert!(packet.unshare(boss, at()).is_err());
    packet.withdraw(boss, at()).unwrap();
    assert!(packet.withdraw(boss, at()).is_err());
}

#[test]
fn assignments_refuse_self_peers_duplicates_and_too_many_additional_managers() {
    let (cycle, mut l, boss, ann) = launched();
    let kinds = cycle.config().kinds;
    let mut ids = SequentialIds::starting_at(100);
    let packet = &mut l.packets[0];
    assert!(
        packet
            .assign(&kinds, ReviewKind::Peer, ann, &mut ids, Some(boss), at())
            .is_err()
    );
    packet
        .assign(
            &kinds,
            ReviewKind::Peer,
            id("p1"),
            &mut ids,
            Some(boss),
            at(),
        )
        .unwrap();
    assert!(
        packet
            .assign(
                &kinds,
                ReviewKind::Peer,
                id("p1"),
                &mut ids,
                Some(boss),
                at()
            )
            .is_err()
    );
    for i in 0..5 {
        packet
            .assign(
                &kinds,
                ReviewKind::AdditionalManager,
                id(&format!("m{i}")),
                &mut ids,
                Some(boss),
                at(),
            )
            .unwrap();
    }
    let e = packet
        .assign(
            &kinds,
            ReviewKind::AdditionalManager,
            id("m5"),
            &mut ids,
            Some(boss),
            at(),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid author: at most 5 cycle-specific additional managers"
    );
    assert_eq!(packet.additional_managers().len(), 5);
}

#[test]
fn settings_validation_names_the_setting() {
    let bad = CycleSettings {
        min_peers: 4,
        max_peers: 2,
        ..CycleSettings::default()
    };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "invalid min_peers: `4` is more than max_peers `2`"
    );
    let bad = CycleSettings {
        approval_required: true,
        approval_chain: vec![],
        ..CycleSettings::default()
    };
    assert!(bad.validate().is_err());
    let cfg = CycleConfig::new("  ", period());
    assert_eq!(
        cfg.validate().unwrap_err().to_string(),
        "invalid name: must not be empty"
    );
}

#[test]
fn nominations_refuse_self_duplicates_and_overflow() {
    let (cycle, l, boss, ann) = launched();
    let packet = &l.packets[0];
    let settings = CycleSettings {
        max_peers: 1,
        ..cycle.settings().clone()
    };
    let nid = |k: &str| appraise::NominationId::from_key(k);
    assert!(
        appraise::Nomination::create(nid("a"), packet, ann, &[], &settings, boss, at()).is_err()
    );
    let (n, _) =
        appraise::Nomination::create(nid("b"), packet, id("p"), &[], &settings, boss, at())
            .unwrap();
    let existing = [n];
    assert!(
        appraise::Nomination::create(
            nid("c"),
            packet,
            id("p"),
            &existing,
            &cycle.settings().clone(),
            boss,
            at()
        )
        .is_err()
    );
    let e =
        appraise::Nomination::create(nid("d"), packet, id("q"), &existing, &settings, boss, at())
            .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid nominee: at most 1 peers per participant"
    );
    let mut n = existing[0].clone();
    n.decide(appraise::NominationState::Denied, Some("no"), boss, at())
        .unwrap();
    assert!(
        n.decide(appraise::NominationState::Approved, None, boss, at())
            .is_err()
    );
}

/// An edge is only taken by its own command: `assigned → draft` is "save draft", not
/// "reopen"; `pending_approval → ready_to_share` is "approve", not "unshare";
/// `pending_approval → writing` is "send back", not "close nominations".
#[test]
fn edges_are_taken_only_by_their_own_command() {
    let (cycle, mut l, boss, ann) = launched();
    let mut packet = l.packets.remove(0);
    let mut reviews = l.reviews;
    let self_review = reviews
        .iter_mut()
        .find(|r| r.kind() == ReviewKind::SelfReview)
        .unwrap();
    let before = (self_review.clone(), packet.clone());
    assert!(self_review.reopen(&mut packet, boss, at()).is_err());
    assert_eq!(
        (self_review.clone(), packet.clone()),
        before,
        "a refused reopen changes nothing"
    );
    self_review.submit(&mut packet, None, ann, at()).unwrap();
    packet.close_nominations(boss, at()).unwrap();
    let manager_review = reviews
        .iter_mut()
        .find(|r| r.kind() == ReviewKind::Manager)
        .unwrap();
    manager_review
        .submit(&mut packet, None, boss, at())
        .unwrap();
    let settings = CycleSettings {
        approval_required: true,
        ..cycle.settings().clone()
    };
    let org = boss_and_ann();
    packet.finish_writing(&settings, &org, boss, at()).unwrap();
    assert_eq!(packet.state(), PacketState::PendingApproval);
    assert!(packet.unshare(boss, at()).is_err());
    assert!(packet.close_nominations(boss, at()).is_err());
    assert_eq!(packet.state(), PacketState::PendingApproval);
    packet.approve(&settings, &org, boss, at()).unwrap();
    assert_eq!(packet.state(), PacketState::ReadyToShare);
}

/// A launch records one `packet_created` event per packet, naming every review it assigned.
#[test]
fn launch_records_every_assignment_in_one_event_per_packet() {
    let (_, l, _, _) = launched();
    let created: Vec<_> = l
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            appraise::EventKind::PacketCreated {
                packet, assigned, ..
            } => Some((*packet, assigned.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), l.packets.len());
    let mut recorded: Vec<_> = created.into_iter().flat_map(|(_, a)| a).collect();
    let mut assigned: Vec<_> = l
        .reviews
        .iter()
        .map(|r| (r.id(), r.kind(), r.author()))
        .collect();
    recorded.sort();
    assigned.sort();
    assert_eq!(recorded, assigned);
    assert!(matches!(
        l.events.last().map(|e| &e.kind),
        Some(appraise::EventKind::CycleLaunched { .. })
    ));
}

proptest::proptest! {
    /// DOMAIN.md, launch: every participant gets one packet whose default assignments come
    /// from the org — one self review; a manager review by the direct manager; an additional
    /// manager review by the default additional manager; upward reviews by exactly the direct
    /// reports, in the order the snapshot lists them — in a random org where from one person
    /// to everyone takes part, after a random change of manager.
    #[test]
    fn launch_assigns_the_defaults_the_org_gives(
        people in proptest::collection::vec(
            (
                proptest::option::of(proptest::prelude::any::<proptest::sample::Index>()),
                proptest::option::of(proptest::prelude::any::<proptest::sample::Index>()),
                0u8..8,
            ),
            1..40,
        ),
        rate in 0u8..=8,
        moved in proptest::option::of((
            proptest::prelude::any::<proptest::sample::Index>(),
            proptest::prelude::any::<proptest::sample::Index>(),
        )),
    ) {
        use std::collections::BTreeMap;
        let ids: Vec<PersonId> = (0..people.len()).map(|i| id(&format!("p{i}"))).collect();
        let mut org = Vec::new();
        let mut taking_part = Vec::new();
        for (i, (manager, additional, draw)) in people.iter().enumerate() {
            let mut p = Person::new(ids[i], format!("p{i}"));
            // Managers come earlier in the list: no loops.
            if let (Some(m), true) = (manager, i > 0) {
                p = p.with_manager(ids[m.index(i)]);
            }
            if let Some(a) = additional {
                p = p.with_additional_manager(ids[a.index(ids.len())]);
            }
            org.push(p);
            if *draw < rate || i == 0 {
                taking_part.push(ids[i]);
            }
        }
        let mut snapshot = OrgSnapshot::build(org.clone(), vec![]).unwrap();
        if let Some((who, to)) = moved {
            // Refused when it would make a loop: the org stays as built.
            let _ = snapshot.set_manager(ids[who.index(ids.len())], Some(ids[to.index(ids.len())]));
        }
        let (mut cycle, _) =
            Cycle::create(CycleId::from_key("c"), CycleConfig::new("c", period()), ids[0], at())
                .unwrap();
        cycle.set_participants(taking_part.iter().copied(), ids[0], at()).unwrap();
        let l = launch(&mut cycle, &snapshot, &mut SequentialIds::starting_at(1), ids[0], at())
            .unwrap();
        proptest::prop_assert_eq!(l.packets.len(), taking_part.len());
        for packet in &l.packets {
            let subject = packet.subject();
            let person = snapshot.person(subject).unwrap();
            proptest::prop_assert_eq!(packet.manager(), person.manager);
            let mut by_kind: BTreeMap<ReviewKind, Vec<PersonId>> = BTreeMap::new();
            for r in l.reviews.iter().filter(|r| r.packet() == packet.id()) {
                proptest::prop_assert_eq!(r.subject(), subject);
                by_kind.entry(r.kind()).or_default().push(r.author());
            }
            let mut expected: BTreeMap<ReviewKind, Vec<PersonId>> = BTreeMap::new();
            expected.insert(ReviewKind::SelfReview, vec![subject]);
            if let Some(m) = person.manager {
                expected.insert(ReviewKind::Manager, vec![m]);
            }
            if let Some(a) = person.additional_manager.filter(|&a| a != subject) {
                expected.insert(ReviewKind::AdditionalManager, vec![a]);
            }
            let reports: Vec<PersonId> = snapshot.direct_reports(subject).collect();
            let walked: Vec<PersonId> = snapshot
                .people()
                .iter()
                .filter(|p| p.manager == Some(subject))
                .map(|p| p.id)
                .collect();
            proptest::prop_assert_eq!(
                {
                    let mut r = reports.clone();
                    r.sort();
                    r
                },
                {
                    let mut w = walked;
                    w.sort();
                    w
                }
            );
            if !reports.is_empty() {
                // Upward reviews are assigned in the snapshot's order of reports.
                proptest::prop_assert_eq!(by_kind.get(&ReviewKind::Upward), Some(&reports));
                expected.insert(ReviewKind::Upward, reports);
            }
            for authors in by_kind.values_mut() {
                authors.sort();
            }
            for authors in expected.values_mut() {
                authors.sort();
            }
            proptest::prop_assert_eq!(by_kind, expected);
        }
    }
}

proptest::proptest! {
    /// DOMAIN.md, Cycles: participants are the explicit list and/or the eligibility rules,
    /// minus exclusions (and inactive people when active only), frozen at launch. Launch
    /// resolves them as `Eligibility::evaluate` says, whether rules,
    /// exclusions or inactive people leave the explicit list as it is or change it (resolving
    /// skips the evaluation only when nothing could change).
    #[test]
    fn resolved_participants_are_the_evaluated_ones(
        people in proptest::collection::vec((proptest::prelude::any::<bool>(), 0u8..3), 1..12),
        explicit in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..6),
        department_rule in proptest::prelude::any::<bool>(),
        excluded in proptest::option::of(proptest::prelude::any::<proptest::sample::Index>()),
        active_only in proptest::prelude::any::<bool>(),
    ) {
        let dept = |d: u8| DepartmentId::from_key(&format!("d{d}"));
        let ids: Vec<PersonId> = (0..people.len()).map(|i| id(&format!("p{i}"))).collect();
        let org: Vec<Person> = people
            .iter()
            .zip(&ids)
            .map(|((active, d), &pid)| {
                Person::new(pid, "p").with_department(dept(*d)).with_active(*active)
            })
            .collect();
        let eligibility = appraise::Eligibility {
            departments: if department_rule { vec![dept(1)] } else { vec![] },
            exclusions: excluded.iter().map(|e| ids[e.index(ids.len())]).collect(),
            active_only,
            ..appraise::Eligibility::default()
        };
        let config = CycleConfig::new("c", period()).with_eligibility(eligibility.clone());
        let (mut cycle, _) = Cycle::create(CycleId::from_key("c"), config, ids[0], at()).unwrap();
        let explicit: std::collections::BTreeSet<PersonId> =
            explicit.iter().map(|e| ids[e.index(ids.len())]).collect();
        cycle.set_participants(explicit.iter().copied(), ids[0], at()).unwrap();
        cycle.resolve_participants(&org).unwrap();
        proptest::prop_assert_eq!(cycle.participants(), &eligibility.evaluate(&explicit, &org));
    }
}

/// A result far above the scale (a score reaches 655.35) is counted on no point of the
/// distribution, and never on a point it would reach by wrapping around.
#[test]
fn a_calibration_result_beyond_the_scale_counts_on_no_point() {
    use appraise::score::Score;
    use appraise::{CalibrationEntry, RatingScale, calibration_report};
    let scale = RatingScale {
        min: 1,
        max: 5,
        labels: vec![],
    };
    let entry = |k: &str, h: u16| CalibrationEntry {
        person: id(k),
        result: Some(Score::from_hundredths(h)),
        potential: None,
    };
    // 655.35, the highest score; 260.00, whose point 260 taken as a byte would be 4.
    let entries = [
        entry("ann", u16::MAX),
        entry("bo", 26_000),
        entry("dee", 449),
    ];
    let report = calibration_report(&entries, &scale, &[], 0);
    let counts: Vec<(u8, usize)> = report
        .distribution
        .iter()
        .map(|p| (p.point, p.count))
        .collect();
    assert_eq!(counts, [(1, 0), (2, 0), (3, 0), (4, 1), (5, 0)]);
}
