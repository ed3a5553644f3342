//! The workflow rules of the core (`appraise::workflow`), tested without an engine: the time
//! tick (DOMAIN.md "Cycles": deadlines drive reminders; "Nominations": automatic approval at
//! the deadline), leavers ("Cycles", mid-cycle changes), declines (R-WRITE-9) and the minimum
//! of peers ("Nominations").

use appraise::workflow::{self, Outcome};
use appraise::{
    Cycle, CycleConfig, CycleId, Launched, Nomination, NominationId, NominationState,
    NotificationKind, OrgSnapshot, Packet, PacketState, Period, Person, PersonId, ReminderKind,
    Review, ReviewKind, ReviewState, SequentialIds, Window, launch,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

fn id(k: &str) -> PersonId {
    PersonId::from_key(k)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// boss manages ann; p1..p4 are ann's colleagues. ann is the one participant.
fn org() -> OrgSnapshot {
    let mut people = vec![
        Person::new(id("boss"), "boss"),
        Person::new(id("ann"), "ann").with_manager(id("boss")),
    ];
    for p in ["p1", "p2", "p3", "p4"] {
        people.push(Person::new(id(p), p).with_manager(id("boss")));
    }
    OrgSnapshot::build(people, vec![]).unwrap()
}

/// A launched cycle with `edit` applied to its config first.
fn launched(edit: impl FnOnce(&mut CycleConfig)) -> (Cycle, Launched) {
    let period = Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
    };
    let mut config = CycleConfig::new("c", period);
    edit(&mut config);
    let (mut cycle, _) = Cycle::create(CycleId::from_key("c"), config, id("boss"), t0()).unwrap();
    cycle
        .set_participants([id("ann")], id("boss"), t0())
        .unwrap();
    let l = launch(
        &mut cycle,
        &org(),
        &mut SequentialIds::starting_at(1),
        id("boss"),
        t0(),
    )
    .unwrap();
    (cycle, l)
}

fn nominate(cycle: &Cycle, packet: &Packet, nominees: &[&str]) -> Vec<Nomination> {
    let mut out: Vec<Nomination> = Vec::new();
    for (i, n) in nominees.iter().enumerate() {
        let (nomination, _) = Nomination::create(
            NominationId::from_key(&format!("n{i}")),
            packet,
            id(n),
            &out,
            cycle.settings(),
            id("ann"),
            t0(),
        )
        .unwrap();
        out.push(nomination);
    }
    out
}

fn system_did_it(outcome: &Outcome) -> bool {
    outcome.events.iter().all(|e| e.by.is_none())
}

/// The reminder DOMAIN.md asks for, written out: a review still to write, in a kind with a
/// window, gets "overdue" past due (when the cycle says so), else "before due" within the
/// days before due once the window is open; never the same reminder twice.
fn expected_reminder(cycle: &Cycle, review: &Review, now: DateTime<Utc>) -> Option<ReminderKind> {
    let s = cycle.settings();
    let w = s.windows.of(review.kind())?;
    if review.state() != ReviewState::Assigned && review.state() != ReviewState::Draft {
        return None;
    }
    let kind = if now > w.due {
        s.remind_overdue.then_some(ReminderKind::Overdue)?
    } else {
        let days = s.remind_days_before?;
        (now >= w.opens && now >= w.due - Duration::days(i64::from(days)))
            .then_some(ReminderKind::BeforeDue)?
    };
    (!review.reminded(kind)).then_some(kind)
}

proptest! {
    #![proptest_config(crate::world::config())]

    /// Deadlines drive reminders (DOMAIN.md "Cycles"): the tick reminds exactly the reviews
    /// due a reminder, notifies their authors, does it as the system, and a second tick at the
    /// same time reminds nobody again.
    #[test]
    fn tick_reminds_each_due_review_once(
        open_for in 1i64..=30,
        due_days in -10i64..=10,
        before in proptest::option::of(0u16..6),
        overdue in any::<bool>(),
        kinds in proptest::collection::vec(any::<bool>(), 5),
    ) {
        let now = t0() + Duration::days(20);
        let due = now + Duration::days(due_days);
        let window = Window { opens: due - Duration::days(open_for), due };
        let (cycle, l) = launched(|c| {
            for (kind, on) in ReviewKind::ALL.iter().zip(&kinds) {
                if *on {
                    c.settings.windows = c.settings.windows.with(*kind, window);
                }
            }
            c.settings.remind_days_before = before;
            c.settings.remind_overdue = overdue;
        });
        let packet = &l.packets[0];
        let out = workflow::tick(&cycle, packet, &[], &l.reviews, &[], &[], &mut SequentialIds::starting_at(100), now).unwrap();
        let want: Vec<_> = l.reviews.iter().filter_map(|r| expected_reminder(&cycle, r, now).map(|k| (r.id(), k))).collect();
        prop_assert_eq!(out.reviews.len(), want.len());
        for (r, (want_id, kind)) in out.reviews.iter().zip(&want) {
            prop_assert_eq!(r.id(), *want_id);
            prop_assert!(r.reminded(*kind));
        }
        prop_assert_eq!(out.notices.len(), want.len());
        for (notice, r) in out.notices.iter().zip(&out.reviews) {
            prop_assert_eq!(notice.recipient, r.author());
            let expected = if r.reminded(ReminderKind::Overdue) { NotificationKind::ReminderOverdue } else { NotificationKind::ReminderBeforeDue };
            prop_assert_eq!(notice.kind, expected);
        }
        prop_assert!(system_did_it(&out));
        // The tick again, on the reviews as the first tick left them: nothing more.
        let after: Vec<Review> = l.reviews.iter().map(|r| out.reviews.iter().find(|x| x.id() == r.id()).unwrap_or(r).clone()).collect();
        let again = workflow::tick(&cycle, packet, &[], &after, &[], &[], &mut SequentialIds::starting_at(200), now).unwrap();
        prop_assert!(again.is_empty(), "{:?}", again.events);
    }

    /// Pending nominations are approved at the deadline when the cycle says so (DOMAIN.md
    /// "Nominations"), each creating its peer review and notifying the peer; not before the
    /// deadline, not when the cycle does not approve automatically, not once writing started.
    /// With the minimum of peers the nominations then close and writing starts; below it the
    /// packet stays open and its manager and the admins are told, each once.
    #[test]
    fn tick_approves_pending_nominations_at_the_deadline(
        deadline_days in -5i64..5,
        auto in any::<bool>(),
        closed in any::<bool>(),
        nominees in 0usize..=4,
        min in 0u8..=3,
    ) {
        let now = t0() + Duration::days(10);
        let (cycle, mut l) = launched(|c| {
            c.settings.nomination_deadline = Some(now + Duration::days(deadline_days));
            c.settings.auto_approve_nominations = auto;
            c.settings.max_peers = 4;
            c.settings.min_peers = min;
        });
        let names = ["p1", "p2", "p3", "p4"];
        let nominations = nominate(&cycle, &l.packets[0], &names[..nominees]);
        if closed {
            l.packets[0].close_nominations(id("boss"), t0()).unwrap();
        }
        let packet = &l.packets[0];
        let admins = [id("boss"), id("hr")];
        let out = workflow::tick(&cycle, packet, &nominations, &[], &admins, &[], &mut SequentialIds::starting_at(100), now).unwrap();
        let approves = auto && deadline_days <= 0 && !closed;
        prop_assert_eq!(workflow::approves_at_deadline(&cycle, packet, now), approves);
        let approved = if approves { nominees } else { 0 };
        prop_assert_eq!(out.nominations.len(), approved);
        prop_assert!(out.nominations.iter().all(|n| n.state() == NominationState::Approved));
        prop_assert_eq!(out.new_reviews.len(), approved);
        for (r, n) in out.new_reviews.iter().zip(&out.nominations) {
            prop_assert_eq!(r.kind(), ReviewKind::Peer);
            prop_assert_eq!(r.author(), n.nominee());
            prop_assert_eq!(r.subject(), id("ann"));
        }
        let peers_notified: Vec<PersonId> = out.notices.iter().filter(|n| n.kind == NotificationKind::PeerAssigned).map(|n| n.recipient).collect();
        prop_assert_eq!(peers_notified, out.nominations.iter().map(Nomination::nominee).collect::<Vec<_>>());
        let enough = approved >= usize::from(min);
        prop_assert_eq!(out.packets.len(), usize::from(approves && (approved > 0 || enough)));
        if let Some(p) = out.packets.first() {
            prop_assert_eq!(p.tally(ReviewKind::Peer).assigned as usize, approved);
            let state = if enough { PacketState::Writing } else { PacketState::Nominating };
            prop_assert_eq!(p.state(), state);
        }
        let mut short: Vec<PersonId> = out.notices.iter().filter(|n| n.kind == NotificationKind::PeersBelowMinimum).map(|n| n.recipient).collect();
        short.sort();
        let mut want = if approves && approved > 0 && !enough { admins.to_vec() } else { Vec::new() };
        want.sort();
        prop_assert_eq!(short, want);
        prop_assert!(system_did_it(&out));
    }
}

/// A leaver (DOMAIN.md "Cycles", mid-cycle changes): their packet is withdrawn and the reviews
/// they still had to write are cancelled; submitted reviews stay; nothing is deleted; the
/// packets they were the manager reviewer of are reported to the admins.
#[test]
fn a_leavers_packet_is_withdrawn_and_open_reviews_cancelled() {
    let (cycle, l) = launched(|_| {});
    let packet = &l.packets[0];
    // ann leaves: her own packet is withdrawn, her self review cancelled.
    let own: Vec<Review> = l
        .reviews
        .iter()
        .filter(|r| r.author() == id("ann"))
        .cloned()
        .collect();
    let out = workflow::leave(
        cycle.id(),
        id("ann"),
        std::slice::from_ref(packet),
        &own,
        &[id("hr")],
        id("boss"),
        t0(),
    )
    .unwrap();
    assert_eq!(out.packets.len(), 1);
    assert!(out.packets[0].is_withdrawn());
    assert_eq!(out.reviews.len(), own.len());
    assert!(
        out.reviews
            .iter()
            .all(|r| r.state() == ReviewState::Cancelled)
    );
    assert!(out.new_reviews.is_empty() && out.nominations.is_empty());

    assert!(out.notices.is_empty(), "ann managed nobody");

    // boss leaves: the manager review about ann is cancelled; ann's packet stays live, and
    // the admins hear that it needs a new manager reviewer.
    let by_boss: Vec<Review> = l
        .reviews
        .iter()
        .filter(|r| r.author() == id("boss"))
        .cloned()
        .collect();
    assert!(!by_boss.is_empty());
    let out = workflow::leave(
        cycle.id(),
        id("boss"),
        std::slice::from_ref(packet),
        &by_boss,
        &[id("hr"), id("ann")],
        id("boss"),
        t0(),
    )
    .unwrap();
    assert!(out.packets.iter().all(|p| !p.is_withdrawn()));
    assert!(
        out.reviews
            .iter()
            .all(|r| r.state() == ReviewState::Cancelled && r.author() == id("boss"))
    );
    assert_eq!(packet.manager(), Some(id("boss")));
    let told: Vec<_> = out.notices.iter().map(|n| (n.recipient, n.kind)).collect();
    assert_eq!(
        told,
        [(id("hr"), appraise::NotificationKind::ManagerReviewerNeeded)],
        "the admins, not the subject"
    );
    assert!(out.events.iter().any(|e| matches!(
        e.kind,
        appraise::EventKind::ManagerReviewerNeeded { left, .. } if left == id("boss")
    )));

    // A submitted review is not cancelled.
    let mut p = packet.clone();
    let mut submitted = own[0].clone();
    submitted.submit(&mut p, None, id("ann"), t0()).unwrap();
    let out = workflow::leave(
        cycle.id(),
        id("ann"),
        &[p],
        &[submitted],
        &[],
        id("boss"),
        t0(),
    )
    .unwrap();
    assert!(out.reviews.is_empty());
}

/// R-WRITE-9: declining an approved nomination cancels its peer review, unless that review is
/// submitted, when the decline is refused.
#[test]
fn declining_an_approved_nomination_cancels_its_peer_review() {
    let (cycle, l) = launched(|c| c.settings.max_peers = 4);
    let mut packet = l.packets[0].clone();
    let mut nomination = nominate(&cycle, &packet, &["p1"]).remove(0);
    nomination
        .decide(NominationState::Approved, None, id("boss"), t0())
        .unwrap();
    let (peer_review, _) = packet
        .assign(
            &cycle.config().kinds,
            ReviewKind::Peer,
            id("p1"),
            &mut SequentialIds::starting_at(50),
            Some(id("boss")),
            t0(),
        )
        .unwrap();
    let reviews = vec![peer_review.clone()];
    let out =
        workflow::decline(&nomination, &packet, &reviews, Some("busy"), id("p1"), t0()).unwrap();
    assert_eq!(out.nominations[0].state(), NominationState::Declined);
    assert_eq!(out.reviews.len(), 1);
    assert_eq!(out.reviews[0].state(), ReviewState::Cancelled);
    assert_eq!(out.packets[0].tally(ReviewKind::Peer).assigned, 0);

    let mut p = packet.clone();
    let mut submitted = peer_review;
    submitted.submit(&mut p, None, id("p1"), t0()).unwrap();
    let err = workflow::decline(&nomination, &p, &[submitted], None, id("p1"), t0()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid nomination: the peer review is already submitted"
    );

    // A pending nomination declined: nothing else changes.
    let pending = nominate(&cycle, &packet, &["p2"]).remove(0);
    let out = workflow::decline(&pending, &packet, &[], None, id("p2"), t0()).unwrap();
    assert!(out.packets.is_empty() && out.reviews.is_empty());
    assert_eq!(out.events.len(), 1);
}

/// DOMAIN.md "Nominations": writing starts only with the minimum of peers, however they were
/// assigned.
#[test]
fn writing_needs_the_minimum_of_peers() {
    let (cycle, l) = launched(|c| c.settings.min_peers = 1);
    let mut packet = l.packets[0].clone();
    let err = workflow::check_min_peers(&cycle, &packet).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid peers: 0 peers assigned, the cycle needs at least 1"
    );
    packet
        .assign(
            &cycle.config().kinds,
            ReviewKind::Peer,
            id("p1"),
            &mut SequentialIds::starting_at(50),
            Some(id("boss")),
            t0(),
        )
        .unwrap();
    workflow::check_min_peers(&cycle, &packet).unwrap();
    assert_eq!(packet.state(), PacketState::Nominating);
}

/// DOMAIN.md "Cycles": launch freezes the participant list (the explicit list and the
/// eligibility rules, less exclusions and inactive people, against the directory), takes the
/// org snapshot, freezes the templates, and gives each packet its subject's goals for the
/// period. `launch_cycle` is the protocol the engine runs; the cycle passed in is untouched.
#[test]
fn launch_cycle_runs_the_whole_protocol() {
    use appraise::{
        Department, DepartmentId, Eligibility, Goal, GoalId, LaunchInput, Question, QuestionKind,
        Section, Template, TemplateId, launch_cycle,
    };
    let eng = DepartmentId::from_key("eng");
    let mut people = vec![Person::new(id("boss"), "boss").with_department(eng)];
    for (who, active) in [("ann", true), ("p1", true), ("p2", false), ("p3", true)] {
        people.push(
            Person::new(id(who), who)
                .with_manager(id("boss"))
                .with_department(eng)
                .with_active(active),
        );
    }
    people.push(Person::new(id("p4"), "p4").with_manager(id("boss")));
    let template = Template::new(TemplateId::from_key("t"), "self")
        .section(
            Section::new("s", "S").question(
                Question::new(
                    "q",
                    "How did it go?",
                    QuestionKind::FreeText { max_len: None },
                )
                .answered_by([ReviewKind::SelfReview]),
            ),
        )
        .section(
            Section::new("summary", "Summary")
                .question(
                    Question::new("overall", "Overall", QuestionKind::ConsolidatedRating)
                        .answered_by([ReviewKind::Manager]),
                )
                .question(
                    Question::new(
                        "next",
                        "Recommendation",
                        QuestionKind::Recommendation {
                            options: vec!["promote".into(), "keep growing".into()],
                        },
                    )
                    .answered_by([ReviewKind::Manager]),
                ),
        );
    let period = Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
    };
    let goal = |key: &str, owner: &str, month: u32| Goal {
        id: GoalId::from_key(key),
        owner: id(owner),
        title: key.into(),
        progress: 50,
        weight: 1,
        start: NaiveDate::from_ymd_opt(2026, month, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, month, 28).unwrap(),
    };
    let mut config = CycleConfig::new("c", period).with_eligibility(Eligibility {
        departments: vec![eng],
        exclusions: [id("p3")].into(),
        active_only: true,
        ..Eligibility::default()
    });
    config.templates = vec![
        (ReviewKind::SelfReview, template.id),
        (ReviewKind::Manager, template.id),
    ];
    let (mut draft, _) = Cycle::create(CycleId::from_key("c"), config, id("boss"), t0()).unwrap();
    draft
        .set_participants([id("p4")], id("boss"), t0())
        .unwrap();
    let input = LaunchInput {
        people,
        departments: vec![Department::new(eng, "Engineering")],
        goals: vec![
            goal("in", "ann", 2),
            goal("later", "ann", 6),
            goal("p1", "p1", 1),
        ],
        templates: vec![template.clone()],
    };
    let before = draft.clone();
    let got = launch_cycle(
        &draft,
        input.clone(),
        &mut SequentialIds::starting_at(1),
        id("boss"),
        t0(),
    )
    .unwrap();
    assert_eq!(draft, before, "the cycle passed in is untouched");
    let mut subjects: Vec<PersonId> = got.launched.packets.iter().map(Packet::subject).collect();
    subjects.sort();
    let mut want = vec![id("p4"), id("boss"), id("ann"), id("p1")];
    want.sort();
    assert_eq!(
        subjects, want,
        "explicit p4, eng minus p3 (excluded) and p2 (inactive)"
    );
    assert!(
        got.cycle.participants().is_empty(),
        "launched, the packets are the participants"
    );
    assert_eq!(
        got.cycle.template_for(ReviewKind::SelfReview),
        Some(&template)
    );
    assert_eq!(got.snapshot.len(), 6);
    let ann = got
        .launched
        .packets
        .iter()
        .find(|p| p.subject() == id("ann"))
        .unwrap();
    assert_eq!(
        ann.goals()
            .iter()
            .map(|g| g.title.as_str())
            .collect::<Vec<_>>(),
        ["in"],
        "only goals that overlap the period"
    );
    // Launching twice is refused as such.
    let err = launch_cycle(
        &got.cycle,
        input,
        &mut SequentialIds::starting_at(1),
        id("boss"),
        t0(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "cycle is already active");
}

/// DOMAIN.md "Calibration": a question marked as the potential rating feeds the 9-box only,
/// never the performance score. A manager who rates overall 2 and potential 1 gives a manager
/// input of 2.00, not 1.50.
#[test]
fn the_potential_rating_never_feeds_the_performance_score() {
    use appraise::score::{ConsolidatedRule, ScoreInput, WeightedInput, packet_breakdown};
    use appraise::{
        Answer, Answers, LaunchInput, Question, QuestionId, QuestionKind, Section, Template,
        TemplateId, launch_cycle,
    };
    let template = Template::new(TemplateId::from_key("m"), "manager")
        .section(
            Section::new("perf", "Performance")
                .question(
                    Question::new("overall", "Overall", QuestionKind::Rating)
                        .answered_by([ReviewKind::Manager]),
                )
                .question(
                    Question::new("potential", "Potential", QuestionKind::Rating)
                        .answered_by([ReviewKind::Manager])
                        .private(),
                ),
        )
        .section(crate::engine::manager_summary());
    let period = Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
    };
    let mut config = CycleConfig::new("c", period);
    config.templates = vec![(ReviewKind::Manager, template.id)];
    config.settings.potential_question = Some("potential".into());
    config.settings.consolidated = ConsolidatedRule::Formula(vec![WeightedInput {
        input: ScoreInput::Kind(ReviewKind::Manager),
        weight: 100,
    }]);
    let (mut draft, _) = Cycle::create(CycleId::from_key("c"), config, id("boss"), t0()).unwrap();
    draft
        .set_participants([id("ann")], id("boss"), t0())
        .unwrap();
    let input = LaunchInput {
        people: org().people().to_vec(),
        templates: vec![template],
        ..LaunchInput::default()
    };
    let got = launch_cycle(
        &draft,
        input,
        &mut SequentialIds::starting_at(1),
        id("boss"),
        t0(),
    )
    .unwrap();
    let mut packet = got.launched.packets[0].clone();
    packet.close_nominations(id("boss"), t0()).unwrap();
    let mut reviews = got.launched.reviews.clone();
    let q = QuestionId::from_key;
    // The self review first: the manager review opens once it is submitted.
    for r in &mut reviews {
        if r.kind() == ReviewKind::SelfReview {
            r.submit(&mut packet, Some(Answers::new()), id("ann"), t0())
                .unwrap();
        }
    }
    for r in &mut reviews {
        if r.kind() == ReviewKind::Manager {
            let answers = Answers::new()
                .with(q("overall"), Answer::Rating(2))
                .with(q("potential"), Answer::Rating(1))
                .with(q("consolidated"), Answer::Rating(2))
                .with(q("next"), Answer::Choice("keep growing".into()));
            r.submit(&mut packet, Some(answers), id("boss"), t0())
                .unwrap();
        }
    }
    let refs: Vec<&Review> = reviews.iter().collect();
    // The export's manager column reads the same templates.
    let templates = appraise::score::PerformanceTemplates::of(&got.cycle);
    let column = appraise::score::input_mean(
        &ScoreInput::Kind(ReviewKind::Manager),
        &refs,
        &|k| templates.get(k),
        packet.goals(),
    );
    assert_eq!(column, Some(2.0));
    let score = packet_breakdown(&got.cycle, &packet, &refs);
    let manager = &score.inputs[0];
    assert_eq!((manager.value, manager.responses), (Some(2.0), 1));
    assert_eq!(score.result.map(|s| s.to_string()).as_deref(), Some("2.00"));
}

/// A refused transition changes nothing: a manager change that fails at its last step (the
/// caller passed no live manager review although one is assigned) leaves the packet as it was,
/// and a withdrawn packet's manager review cannot be opened early (DOMAIN.md, leavers: kept,
/// read-only).
#[test]
fn refused_packet_transitions_leave_the_packet_as_it_was() {
    let (cycle, l) = launched(|_| {});
    let mut packet = l.packets[0].clone();
    let before = packet.clone();
    let err = packet
        .change_manager(
            Some(id("p1")),
            None,
            &cycle.config().kinds,
            &mut SequentialIds::starting_at(50),
            id("boss"),
            t0(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("already assigned"), "{err}");
    assert_eq!(packet, before, "a refused manager change changes nothing");

    let mut review = l
        .reviews
        .iter()
        .find(|r| r.kind() == ReviewKind::Manager)
        .unwrap()
        .clone();
    let (review_before, packet_before) = (review.clone(), packet.clone());
    packet
        .change_manager(
            Some(id("p1")),
            Some(&mut review),
            &cycle.config().kinds,
            &mut SequentialIds::starting_at(60),
            id("boss"),
            t0(),
        )
        .unwrap();
    assert_ne!(packet, packet_before);
    assert_eq!(review.state(), ReviewState::Cancelled);
    assert_ne!(review, review_before);

    packet.withdraw(id("boss"), t0()).unwrap();
    let withdrawn = packet.clone();
    let err = packet.open_gate(id("boss"), t0()).unwrap_err();
    assert!(err.to_string().contains("withdrawn"), "{err}");
    assert_eq!(packet, withdrawn);
}

/// DOMAIN.md: each transition has one command, one actor check and one event. Acknowledging
/// shared results records one event with the states before and after.
#[test]
fn acknowledging_is_one_event() {
    let mut s = crate::content::Scenario::complete(3, crate::content::shared_settings());
    let events = s
        .packet
        .acknowledge(Some("thanks"), id("ann"), t0())
        .unwrap();
    assert_eq!(events.len(), 1);
    assert!(matches!(
        &events[0].kind,
        appraise::EventKind::Acknowledged {
            from: PacketState::Shared,
            to: PacketState::Acknowledged,
            ..
        }
    ));
}

/// Reliability finding: a manager with 70,000 reports and upward reviews on overflowed a
/// `u16` counter (a panic in debug, a wrap in release: progress said 4,464 of 70,000). The
/// counters are `u32` now.
#[test]
fn seventy_thousand_upward_reviewers_are_counted() {
    let n = 70_000;
    let mut people = vec![Person::new(id("boss"), "boss")];
    people.extend((0..n).map(|i| {
        Person::new(PersonId::from_key(&format!("r{i}")), format!("r{i}")).with_manager(id("boss"))
    }));
    let org = OrgSnapshot::build(people, vec![]).unwrap();
    let period = Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
    };
    let mut config = CycleConfig::new("c", period);
    config.kinds.upward = true;
    let (mut cycle, _) = Cycle::create(CycleId::from_key("c"), config, id("hr"), t0()).unwrap();
    cycle
        .set_participants([id("boss")], id("hr"), t0())
        .unwrap();
    let l = launch(
        &mut cycle,
        &org,
        &mut SequentialIds::starting_at(1),
        id("hr"),
        t0(),
    )
    .unwrap();
    let tally = l.packets[0].tally(ReviewKind::Upward);
    assert_eq!(tally.assigned, 70_000);
    assert_eq!(tally.not_started(), 70_000);
}

/// Reliability finding: a stored packet whose counters are inconsistent (more removed than
/// submitted) panicked inside `decide` in debug and, in release, counted as above the
/// anonymity threshold. The count of visible reviews now saturates at zero: below any
/// threshold, so the subject is refused.
#[test]
fn inconsistent_counters_count_as_nothing_visible() {
    let corrupt = appraise::KindTally {
        assigned: 1,
        submitted: 1,
        removed: 5,
        draft: 0,
    };
    assert_eq!(corrupt.visible(), 0);
    assert_eq!(corrupt.not_started(), 0);
}
