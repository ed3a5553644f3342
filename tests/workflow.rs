//! Workflow depth through the engine: one test per point of the workflow issue, each with
//! refused cases that leave storage unchanged.

use std::collections::BTreeMap;
use std::sync::Arc;

use appraise::memory::{MemoryStorage, RecordingNotifier, StaticDirectory};
use appraise::plugin::{Clock, ManualClock};
use appraise::score::Score;
use appraise::{
    AdminGrant, Answer, Answers, ApprovalStep, CycleConfig, CycleId, CycleScope, CycleSettings,
    Department, DepartmentId, Eligibility, Engine, Error, EventKind, NominationState,
    NotificationKind, PacketState, PeopleScope, Permission, Person, PersonId, QuestionId,
    ReviewKind, ReviewState, RoleGrant, Window, Windows,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

use crate::engine::{id, period};

pub struct W {
    pub engine: Engine,
    pub storage: Arc<MemoryStorage>,
    pub notifier: Arc<RecordingNotifier>,
    pub clock: ManualClock,
    pub cycle: CycleId,
}

macro_rules! refused {
    ($w:expr, $command:expr, $pattern:pat) => {{
        let before = $w.storage.dump();
        let result = $command.await;
        assert!(
            matches!(result, Err($pattern)),
            "unexpected: {:?}",
            result.as_ref().map(|_| ())
        );
        assert_eq!(
            $w.storage.dump(),
            before,
            "a refused command changed storage"
        );
        result.err().unwrap()
    }};
}

fn hired(y: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, 3, 1).unwrap()
}

/// dana (exec) ── bo (eng head) ── ann, cy, eve ; bo ── fay ; dana ── hal (sales head) ── ivy ;
/// kim (HR admin) ── lee (collaborator). Hire dates spread over the years; gus left (inactive).
pub fn org() -> StaticDirectory {
    let (exec, eng, sales, people) = (
        DepartmentId::from_key("exec"),
        DepartmentId::from_key("eng"),
        DepartmentId::from_key("sales"),
        DepartmentId::from_key("people"),
    );
    let p = |n: &str, m: Option<&str>, d: DepartmentId, y: i32| {
        let person = Person::new(id(n), n)
            .with_department(d)
            .with_hired(hired(y));
        match m {
            Some(m) => person.with_manager(id(m)),
            None => person,
        }
    };
    StaticDirectory::new(
        vec![
            p("dana", None, exec, 2015),
            p("bo", Some("dana"), eng, 2018),
            p("ann", Some("bo"), eng, 2020),
            p("cy", Some("bo"), eng, 2021),
            p("eve", Some("bo"), eng, 2024),
            p("fay", Some("bo"), eng, 2025),
            p("gus", Some("bo"), eng, 2019).with_active(false),
            p("hal", Some("dana"), sales, 2017),
            p("ivy", Some("hal"), sales, 2022),
            p("kim", Some("dana"), people, 2016),
            p("lee", Some("kim"), people, 2023),
        ],
        vec![
            Department::new(exec, "exec").with_head(id("dana")),
            Department::new(eng, "eng").with_head(id("bo")),
            Department::new(sales, "sales").with_head(id("hal")),
            Department::new(people, "people").with_head(id("kim")),
        ],
    )
}

pub fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap()
}

/// A launched cycle with `settings` for `participants` (kim admin, lee collaborator).
pub async fn launched(settings: CycleSettings, participants: &[&str]) -> W {
    launched_with(
        CycleConfig::new("H1", period()).with_settings(settings),
        participants,
    )
    .await
}

pub async fn launched_with(config: CycleConfig, participants: &[&str]) -> W {
    launched_on(org(), &[], config, participants).await
}

/// A launched cycle of `config` for `participants` of `directory` (which has kim, the admin,
/// and lee, the collaborator), with `templates` created before the cycle.
pub async fn launched_on(
    directory: StaticDirectory,
    templates: &[appraise::Template],
    config: CycleConfig,
    participants: &[&str],
) -> W {
    let storage = Arc::new(MemoryStorage::new());
    let notifier = Arc::new(RecordingNotifier::new());
    let clock = ManualClock::new(start());
    let engine = Engine::builder()
        .storage(Arc::clone(&storage))
        .notifier(Arc::clone(&notifier))
        .directory(directory)
        .clock(clock.clone())
        .build();
    engine
        .bootstrap_admin(
            id("kim"),
            AdminGrant {
                since: start() - Duration::days(1),
                past_cycles: false,
            },
        )
        .await
        .unwrap();
    for t in templates {
        engine.create_template(id("kim"), t.clone()).await.unwrap();
    }
    let cycle = engine.create_cycle(id("kim"), config).await.unwrap();
    engine
        .add_collaborator(id("kim"), cycle.id(), id("lee"))
        .await
        .unwrap();
    engine
        .add_participants(id("kim"), cycle.id(), participants.iter().map(|n| id(n)))
        .await
        .unwrap();
    engine.launch(id("kim"), cycle.id()).await.unwrap();
    W {
        engine,
        storage,
        notifier,
        clock,
        cycle: cycle.id(),
    }
}

impl W {
    /// Has kim define a custom role named `name` with the one `permission` and grant it to
    /// `who` over `cycles`, for everyone in them.
    pub async fn role(
        &self,
        name: &str,
        permission: Permission,
        who: &str,
        cycles: CycleScope,
    ) -> appraise::CustomRoleId {
        let role = appraise::CustomRole {
            id: appraise::CustomRoleId::from_key(name),
            name: name.into(),
            permissions: [permission].into_iter().collect(),
        };
        self.engine.define_role(id("kim"), role).await.unwrap();
        let role = appraise::CustomRoleId::from_key(name);
        self.grant_role(who, role, cycles).await;
        role
    }

    /// Has kim grant `role` to `who` over `cycles`, for everyone in them.
    pub async fn grant_role(&self, who: &str, role: appraise::CustomRoleId, cycles: CycleScope) {
        let grant = RoleGrant {
            role,
            cycles,
            people: PeopleScope::Everyone,
        };
        self.engine
            .grant_role(id("kim"), id(who), grant)
            .await
            .unwrap();
    }

    pub async fn packet(&self, who: &str) -> appraise::Packet {
        self.engine
            .packet_of(id("kim"), self.cycle, id(who))
            .await
            .unwrap()
    }

    pub async fn review(
        &self,
        author: &str,
        subject: &str,
        kind: ReviewKind,
    ) -> appraise::ReviewView {
        self.engine
            .my_reviews(id(author), self.cycle)
            .await
            .unwrap()
            .into_iter()
            .find(|r| {
                r.subject == id(subject) && r.kind == kind && r.state != ReviewState::Cancelled
            })
            .unwrap_or_else(|| panic!("no {kind} review of {subject} by {author}"))
    }

    pub async fn submit(
        &self,
        author: &str,
        subject: &str,
        kind: ReviewKind,
        answers: Option<Answers>,
    ) {
        let r = self.review(author, subject, kind).await;
        self.engine
            .submit_review(id(author), r.id, answers)
            .await
            .unwrap();
    }

    /// Closes nominations and submits self and manager reviews for `who`.
    pub async fn write(&self, who: &str, manager: &str, rating: u8) {
        let p = self.packet(who).await;
        if p.state() == PacketState::Nominating {
            self.engine
                .close_nominations(id("kim"), p.id())
                .await
                .unwrap();
        }
        self.submit(who, who, ReviewKind::SelfReview, None).await;
        let answers = Answers::new().with(QuestionId::from_key("rating"), Answer::Rating(rating));
        self.submit(manager, who, ReviewKind::Manager, Some(answers))
            .await;
    }

    pub fn sent(&self, kind: NotificationKind) -> Vec<appraise::Notification> {
        self.notifier
            .delivered()
            .into_iter()
            .filter(|n| n.kind == kind)
            .collect()
    }
}

#[tokio::test]
async fn eligibility_rules_pick_participants_at_launch_and_participants_change_after() {
    let eligibility = Eligibility {
        departments: vec![DepartmentId::from_key("eng")],
        hired_before: Some(hired(2025)),
        exclusions: [id("cy")].into(),
        ..Eligibility::default()
    };
    let config = CycleConfig::new("H1", period()).with_eligibility(eligibility);
    // Explicit: ivy (sales). Rules: eng hired before 2025: bo, ann, cy, eve, gus; minus cy
    // (excluded) and gus (inactive).
    let w = launched_with(config, &["ivy"]).await;
    let mut subjects: Vec<PersonId> = Vec::new();
    for n in ["ivy", "bo", "ann", "eve", "cy", "gus", "fay"] {
        if w.engine.packet_of(id("kim"), w.cycle, id(n)).await.is_ok() {
            subjects.push(id(n));
        }
    }
    assert_eq!(subjects, ["ivy", "bo", "ann", "eve"].map(id).to_vec());
    // Added after launch: a packet with the default assignments (manager review for bo).
    let e = &w.engine;
    refused!(
        w,
        e.add_participant(id("ann"), w.cycle, id("fay")),
        Error::Denied(_)
    );
    refused!(
        w,
        e.add_participant(id("kim"), w.cycle, id("ann")),
        Error::Invalid { .. }
    );
    refused!(
        w,
        e.add_participant(id("kim"), w.cycle, PersonId::from_key("ghost")),
        Error::Invalid { .. }
    );
    let fay = e
        .add_participant(id("lee"), w.cycle, id("fay"))
        .await
        .unwrap();
    assert_eq!(fay.manager(), Some(id("bo")));
    assert!(w.review("bo", "fay", ReviewKind::Manager).await.state == ReviewState::Assigned);
    // Removed: withdrawn, out of progress.
    let before = e.progress(id("kim"), w.cycle).await.unwrap();
    e.remove_participant(id("lee"), w.cycle, id("ivy"))
        .await
        .unwrap();
    let after = e.progress(id("kim"), w.cycle).await.unwrap();
    assert_eq!((after.packets, after.withdrawn), (before.packets - 1, 1));
    refused!(
        w,
        e.remove_participant(id("lee"), w.cycle, id("ivy")),
        Error::Invalid { .. }
    );
}

/// Model-test findings: a withdrawn packet took nominations, decisions on its nominations,
/// declines and reminders for its reviews; and a person could leave twice.
#[tokio::test]
async fn a_withdrawn_packet_is_read_only_and_nobody_leaves_twice() {
    let w = launched(CycleSettings::default(), &["ann", "cy"]).await;
    let e = &w.engine;
    let ann = w.packet("ann").await;
    let (pending, asked) = (
        e.nominate(id("ann"), ann.id(), id("eve")).await.unwrap(),
        e.nominate(id("ann"), ann.id(), id("fay")).await.unwrap(),
    );
    assert_eq!(pending.state(), NominationState::Pending);
    let own = w.review("ann", "ann", ReviewKind::SelfReview).await;
    e.remove_participant(id("kim"), w.cycle, id("ann"))
        .await
        .unwrap();
    refused!(
        w,
        e.nominate(id("ann"), ann.id(), id("cy")),
        Error::Invalid { .. }
    );
    refused!(
        w,
        e.approve_nomination(id("bo"), pending.id(), None),
        Error::Invalid { .. }
    );
    refused!(
        w,
        e.deny_nomination(id("bo"), pending.id(), None),
        Error::Invalid { .. }
    );
    refused!(
        w,
        e.decline_nomination(id("fay"), asked.id(), None),
        Error::Invalid { .. }
    );
    refused!(w, e.send_reminder(id("kim"), own.id), Error::Invalid { .. });
    // cy leaves once; a second time is refused.
    e.person_left(id("kim"), w.cycle, id("cy")).await.unwrap();
    refused!(
        w,
        e.person_left(id("kim"), w.cycle, id("cy")),
        Error::Invalid { .. }
    );
}

/// Model-test finding: someone who had left could be given a new role (a peer review, a
/// nomination, a packet to view, a manager review, a calibration session to contribute to).
#[tokio::test]
async fn someone_who_has_left_takes_no_new_role() {
    let settings = CycleSettings {
        calibration: true,
        ..CycleSettings::default()
    };
    let w = launched(settings, &["ann", "eve"]).await;
    let e = &w.engine;
    let ann = w.packet("ann").await;
    e.person_left(id("kim"), w.cycle, id("cy")).await.unwrap();
    refused!(
        w,
        e.nominate(id("ann"), ann.id(), id("cy")),
        Error::Invalid { .. }
    );
    refused!(
        w,
        e.assign_reviewer(id("kim"), ann.id(), ReviewKind::Peer, id("cy")),
        Error::Invalid { .. }
    );
    refused!(
        w,
        e.add_viewer(id("kim"), ann.id(), id("cy")),
        Error::Invalid { .. }
    );
    refused!(
        w,
        e.change_manager(id("kim"), ann.id(), Some(id("cy"))),
        Error::Invalid { .. }
    );
    refused!(
        w,
        e.create_calibration(id("kim"), w.cycle, "eng", [id("ann")], [id("cy")]),
        Error::Invalid { .. }
    );
    // A nomination made before the nominee left is not approved after.
    let pending = e.nominate(id("ann"), ann.id(), id("fay")).await.unwrap();
    e.person_left(id("kim"), w.cycle, id("fay")).await.unwrap();
    refused!(
        w,
        e.approve_nomination(id("bo"), pending.id(), None),
        Error::Invalid { .. }
    );
}

#[tokio::test]
async fn a_participant_added_after_launch_gets_no_review_from_someone_who_left() {
    let w = launched(CycleSettings::default(), &["ann"]).await;
    let e = &w.engine;
    e.person_left(id("kim"), w.cycle, id("cy")).await.unwrap();
    e.person_left(id("kim"), w.cycle, id("dana")).await.unwrap();
    // Someone who has left takes part in no cycle.
    refused!(
        w,
        e.add_participant(id("kim"), w.cycle, id("cy")),
        Error::Invalid { .. }
    );
    // bo's manager dana left: she stays bo's manager reviewer, to be replaced, and writes
    // nothing; of bo's reports, cy left and writes no upward review, ann and eve do.
    let bo = e
        .add_participant(id("kim"), w.cycle, id("bo"))
        .await
        .unwrap();
    assert_eq!(bo.manager(), Some(id("dana")));
    let writers: Vec<(ReviewKind, PersonId)> = e
        .storage()
        .reviews_about(w.cycle, id("bo"))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.record.kind(), r.record.author()))
        .collect();
    assert!(writers.contains(&(ReviewKind::SelfReview, id("bo"))));
    assert!(writers.contains(&(ReviewKind::Upward, id("ann"))));
    assert!(writers.contains(&(ReviewKind::Upward, id("eve"))));
    assert!(
        writers
            .iter()
            .all(|&(_, author)| author != id("dana") && author != id("cy")),
        "{writers:?}"
    );
}

#[tokio::test]
async fn the_default_additional_manager_is_not_assigned_twice() {
    let people = vec![
        Person::new(id("kim"), "kim"),
        Person::new(id("lee"), "lee"),
        Person::new(id("bo"), "bo"),
        Person::new(id("hal"), "hal"),
        Person::new(id("ann"), "ann")
            .with_manager(id("bo"))
            .with_additional_manager(id("hal")),
    ];
    let directory = StaticDirectory::new(people, vec![]);
    let w = launched_on(directory, &[], CycleConfig::new("H1", period()), &["ann"]).await;
    let ann = w.packet("ann").await;
    assert_eq!(ann.default_additional_manager(), Some(id("hal")));
    // hal writes ann's additional manager review already: a second one is refused.
    refused!(
        w,
        w.engine.assign_reviewer(
            id("kim"),
            ann.id(),
            ReviewKind::AdditionalManager,
            id("hal")
        ),
        Error::Invalid { .. }
    );
    // Once removed, hal can be assigned again, as a cycle-specific additional manager.
    let reviews = w.engine.storage().reviews_about(w.cycle, id("ann")).await;
    let hal = reviews
        .unwrap()
        .into_iter()
        .find(|r| r.record.kind() == ReviewKind::AdditionalManager)
        .unwrap();
    w.engine
        .remove_reviewer(id("kim"), hal.record.id())
        .await
        .unwrap();
    w.engine
        .assign_reviewer(
            id("kim"),
            ann.id(),
            ReviewKind::AdditionalManager,
            id("hal"),
        )
        .await
        .unwrap();
    let ann = w.packet("ann").await;
    assert_eq!(ann.default_additional_manager(), None);
    assert_eq!(ann.additional_managers(), [id("hal")]);
}

#[tokio::test]
async fn a_launched_cycle_is_edited_against_the_templates_it_froze() {
    use appraise::score::{ConsolidatedRule, ScoreInput, WeightedInput};
    use appraise::{Question, QuestionKind, Section, Template, TemplateId};
    let rating = Question::new("rating", "Rating", QuestionKind::Rating)
        .answered_by([ReviewKind::SelfReview]);
    let form = Template::new(TemplateId::from_key("form"), "form")
        .section(Section::new("s", "How it went").question(rating));
    // The self rating decides, so the cycle needs the form's rating question.
    let mut config = CycleConfig::new("H1", period());
    config.templates = vec![(ReviewKind::SelfReview, form.id)];
    config.settings.consolidated = ConsolidatedRule::Formula(vec![WeightedInput {
        input: ScoreInput::Kind(ReviewKind::SelfReview),
        weight: 100,
    }]);
    let w = launched_on(org(), std::slice::from_ref(&form), config.clone(), &["ann"]).await;
    let (engine, cycle) = (&w.engine, w.cycle);
    // The stored form loses its rating question; the cycle keeps the copy it froze, so its
    // settings can still be edited.
    let mut without = form.clone();
    without.sections[0].questions = vec![
        Question::new(
            "summary",
            "Summary",
            QuestionKind::FreeText { max_len: None },
        )
        .answered_by([ReviewKind::SelfReview]),
    ];
    engine.update_template(id("kim"), without).await.unwrap();
    config.settings.self_nomination = false;
    let edited = engine.edit_cycle(id("kim"), cycle, config).await.unwrap();
    assert!(!edited.settings().self_nomination);
}

#[tokio::test]
async fn a_writer_is_not_replaced_by_themselves() {
    let w = launched(CycleSettings::default(), &["ann"]).await;
    let e = &w.engine;
    let ann = w.packet("ann").await;
    let upward = e
        .assign_reviewer(id("kim"), ann.id(), ReviewKind::Upward, id("eve"))
        .await
        .unwrap();
    e.save_draft(id("eve"), upward.id, Answers::new())
        .await
        .unwrap();
    // It would cancel eve's draft and give her an empty review.
    refused!(
        w,
        e.replace_reviewer(id("kim"), upward.id, id("eve")),
        Error::Invalid { .. }
    );
}

#[tokio::test]
async fn a_custom_role_that_edits_assignments_replaces_writers_it_cannot_read() {
    let w = launched(CycleSettings::default(), &["ann"]).await;
    let e = &w.engine;
    let ann = w.packet("ann").await;
    w.role("assigners", Permission::EditCycles, "hal", CycleScope::All)
        .await;
    // hal reads none of ann's reviews, and edits her assignments.
    let peer = e
        .assign_reviewer(id("hal"), ann.id(), ReviewKind::Peer, id("eve"))
        .await
        .unwrap();
    let replaced = e
        .replace_reviewer(id("hal"), peer.id, id("fay"))
        .await
        .unwrap();
    e.remove_reviewer(id("hal"), replaced.id).await.unwrap();
    // Someone with no relation to ann is told the review does not exist.
    refused!(
        w,
        e.remove_reviewer(id("ivy"), peer.id),
        Error::NotFound { .. }
    );
}

#[tokio::test]
async fn the_deadline_denies_the_nomination_of_someone_who_left() {
    let settings = CycleSettings {
        nomination_deadline: Some(start() + Duration::days(2)),
        auto_approve_nominations: true,
        ..CycleSettings::default()
    };
    let w = launched(settings, &["ann"]).await;
    let e = &w.engine;
    let ann = w.packet("ann").await;
    let fay = e.nominate(id("ann"), ann.id(), id("fay")).await.unwrap();
    let cy = e.nominate(id("ann"), ann.id(), id("cy")).await.unwrap();
    e.person_left(id("kim"), w.cycle, id("fay")).await.unwrap();
    w.clock.advance(Duration::days(3));
    let tick = e.tick().await.unwrap();
    assert_eq!(tick.auto_approved, 1, "{tick:?}");
    let states: BTreeMap<_, _> = e
        .storage()
        .nominations(ann.id())
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.record.id(), n.record.state()))
        .collect();
    assert_eq!(states[&fay.id()], NominationState::Denied);
    assert_eq!(states[&cy.id()], NominationState::Approved);
    let peers = w.packet("ann").await.peers().to_vec();
    assert_eq!(peers, [id("cy")]);
}

#[tokio::test]
async fn nominations_follow_the_rules_and_auto_approve_at_the_deadline() {
    let settings = CycleSettings {
        nomination_deadline: Some(start() + Duration::days(2)),
        auto_approve_nominations: true,
        max_peers: 3,
        ..CycleSettings::default()
    };
    let w = launched(settings, &["ann"]).await;
    let e = &w.engine;
    let ann = w.packet("ann").await;
    let n_cy = e.nominate(id("ann"), ann.id(), id("cy")).await.unwrap();
    let n_eve = e.nominate(id("bo"), ann.id(), id("eve")).await.unwrap();
    let n_fay = e.nominate(id("lee"), ann.id(), id("fay")).await.unwrap();
    refused!(
        w,
        e.nominate(id("ann"), ann.id(), id("hal")),
        Error::Invalid { .. }
    ); // max 3
    refused!(
        w,
        e.nominate(id("ann"), ann.id(), id("cy")),
        Error::Invalid { .. }
    ); // duplicate
    refused!(
        w,
        e.nominate(id("ivy"), ann.id(), id("hal")),
        Error::Denied(_)
    ); // no role
    refused!(
        w,
        e.approve_nomination(id("cy"), n_eve.id(), None),
        Error::Denied(_)
    );
    let denied = e
        .deny_nomination(id("bo"), n_eve.id(), Some("not close to ann's work"))
        .await
        .unwrap();
    assert_eq!(denied.reason(), Some("not close to ann's work"));
    refused!(
        w,
        e.decline_nomination(id("ann"), n_fay.id(), Some("busy")),
        Error::Denied(_)
    );
    e.decline_nomination(id("fay"), n_fay.id(), Some("on leave"))
        .await
        .unwrap();
    assert_eq!(w.sent(NotificationKind::NominationToApprove).len(), 3);
    // Before the deadline the tick approves nothing.
    assert_eq!(e.tick().await.unwrap().auto_approved, 0);
    w.clock.advance(Duration::days(3));
    let tick = e.tick().await.unwrap();
    assert_eq!(tick.auto_approved, 1, "only cy was still pending");
    assert_eq!(e.tick().await.unwrap().auto_approved, 0, "and only once");
    assert_eq!(
        w.review("cy", "ann", ReviewKind::Peer).await.state,
        ReviewState::Assigned
    );
    // With the cycle's minimum of peers, the deadline closes nominations: writing starts
    // without an admin closing them packet by packet.
    assert_eq!(w.packet("ann").await.state(), PacketState::Writing);
    assert_eq!(
        w.sent(NotificationKind::PeerAssigned)
            .iter()
            .map(|n| n.recipient)
            .collect::<Vec<_>>(),
        vec![id("cy")]
    );
    let _ = n_cy;
    // Self-nomination off: the participant may not nominate.
    let off = launched(
        CycleSettings {
            self_nomination: false,
            ..CycleSettings::default()
        },
        &["ann"],
    )
    .await;
    let p = off.packet("ann").await;
    let err = refused!(
        off,
        off.engine.nominate(id("ann"), p.id(), id("cy")),
        Error::Denied(_)
    );
    assert!(err.to_string().contains("setting off"), "{err}");
    // Minimum peers: closing nominations needs them.
    let min = launched(
        CycleSettings {
            min_peers: 2,
            ..CycleSettings::default()
        },
        &["ann"],
    )
    .await;
    let p = min.packet("ann").await;
    let err = refused!(
        min,
        min.engine.close_nominations(id("kim"), p.id()),
        Error::Invalid { .. }
    );
    assert_eq!(
        err.to_string(),
        "invalid peers: 0 peers assigned, the cycle needs at least 2"
    );
}

#[tokio::test]
async fn windows_gating_early_unlock_and_reminders_exactly_once() {
    let windows = Windows::default()
        .with(
            ReviewKind::SelfReview,
            Window {
                opens: start(),
                due: start() + Duration::days(10),
            },
        )
        .with(
            ReviewKind::Manager,
            Window {
                opens: start(),
                due: start() + Duration::days(20),
            },
        );
    let settings = CycleSettings {
        windows,
        remind_days_before: Some(3),
        ..CycleSettings::default()
    };
    let w = launched(settings, &["ann", "cy", "eve"]).await;
    let e = &w.engine;
    for n in ["ann", "cy", "eve"] {
        let p = w.packet(n).await;
        e.close_nominations(id("kim"), p.id()).await.unwrap();
    }
    // Gating: bo's manager review of ann waits for ann's self review; lee opens it early.
    let mr = w.review("bo", "ann", ReviewKind::Manager).await;
    let err = refused!(
        w,
        e.save_draft(id("bo"), mr.id, Answers::new()),
        Error::Denied(_)
    );
    assert!(err.to_string().contains("gated"), "{err}");
    let ann = w.packet("ann").await;
    refused!(
        w,
        e.open_manager_review(id("bo"), ann.id()),
        Error::Denied(_)
    );
    e.open_manager_review(id("lee"), ann.id()).await.unwrap();
    e.save_draft(id("bo"), mr.id, Answers::new()).await.unwrap();
    // ann submits; cy and eve do not.
    w.submit("ann", "ann", ReviewKind::SelfReview, None).await;
    // 8 days in: the self reviews are due in 2 days → one "before due" reminder each.
    w.clock.advance(Duration::days(8));
    let t = e.tick().await.unwrap();
    assert_eq!(t.reminders, 2);
    assert_eq!(
        e.tick().await.unwrap().reminders,
        0,
        "a second tick sends nothing again"
    );
    // Past due: writes are refused (no late submissions); overdue reminders go out once, even
    // with two ticks racing.
    w.clock.advance(Duration::days(3));
    let cy_self = w.review("cy", "cy", ReviewKind::SelfReview).await;
    let err = refused!(
        w,
        e.submit_review(id("cy"), cy_self.id, None),
        Error::Denied(_)
    );
    assert!(err.to_string().contains("past due"), "{err}");
    let (a, b) = tokio::join!(e.tick(), e.tick());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.reminders + b.reminders, 2, "{a:?} {b:?}");
    let mut per: BTreeMap<(PersonId, NotificationKind), usize> = BTreeMap::new();
    for n in w.notifier.delivered() {
        if matches!(
            n.kind,
            NotificationKind::ReminderBeforeDue | NotificationKind::ReminderOverdue
        ) {
            *per.entry((n.recipient, n.kind)).or_default() += 1;
        }
    }
    assert_eq!(per.len(), 4, "cy and eve, before due and overdue: {per:?}");
    assert!(per.values().all(|c| *c == 1), "each reminder once: {per:?}");
    // Manual reminders: the subject's manager for reviews about their report; not a peer.
    refused!(w, e.send_reminder(id("cy"), cy_self.id), Error::Denied(_));
    e.send_reminder(id("bo"), cy_self.id).await.unwrap();
    // Progress shows the overdue self reviews.
    let progress = e.progress(id("kim"), w.cycle).await.unwrap();
    let own = progress.by_kind[&ReviewKind::SelfReview];
    assert_eq!((own.submitted, own.overdue, own.not_started), (1, 2, 2));
}

#[tokio::test]
async fn calibration_sessions_ratings_distribution_and_nine_box() {
    let settings = CycleSettings {
        calibration: true,
        calibration_target: vec![(3, 50), (4, 50)],
        calibration_tolerance: 10,
        potential_question: Some("potential".into()),
        ..CycleSettings::default()
    };
    let w = launched(settings, &["ann", "cy", "eve", "ivy"]).await;
    let e = &w.engine;
    for (who, rating) in [("ann", 4), ("cy", 3), ("eve", 3)] {
        let potential = Answers::new().with(
            QuestionId::from_key("potential"),
            Answer::Rating(if who == "ann" { 5 } else { 2 }),
        );
        let p = w.packet(who).await;
        e.close_nominations(id("kim"), p.id()).await.unwrap();
        w.submit(who, who, ReviewKind::SelfReview, None).await;
        let mut answers = potential;
        answers = answers.with(QuestionId::from_key("rating"), Answer::Rating(rating));
        w.submit("bo", who, ReviewKind::Manager, Some(answers))
            .await;
        assert_eq!(w.packet(who).await.state(), PacketState::Calibrating);
    }
    refused!(
        w,
        e.create_calibration(id("bo"), w.cycle, "eng", [id("ann")], [id("hal")]),
        Error::Denied(_)
    );
    refused!(
        w,
        e.create_calibration(id("kim"), w.cycle, "eng", [id("gus")], [id("hal")]),
        Error::Invalid { .. }
    );
    let session = e
        .create_calibration(
            id("lee"),
            w.cycle,
            "eng",
            ["ann", "cy", "eve"].map(id),
            [id("hal")],
        )
        .await
        .unwrap();
    let ann = w.packet("ann").await;
    let ivy = w.packet("ivy").await;
    refused!(
        w,
        e.set_calibrated_rating(id("hal"), ann.id(), Score::from_points(5)),
        Error::Denied(_)
    ); // not open yet
    e.open_calibration(id("lee"), session.id()).await.unwrap();
    refused!(
        w,
        e.set_calibrated_rating(id("hal"), ivy.id(), Score::from_points(5)),
        Error::Denied(_)
    ); // not in session
    refused!(
        w,
        e.set_calibrated_rating(id("hal"), ann.id(), Score::from_points(6)),
        Error::Invalid { .. }
    );
    e.set_calibrated_rating(id("hal"), ann.id(), Score::from_points(5))
        .await
        .unwrap();
    e.set_calibrated_rating(id("hal"), ann.id(), Score::from_hundredths(450))
        .await
        .unwrap();
    // The audit log keeps the original, previous and new values, who and when.
    let log = e.audit_log(id("kim"), w.cycle, None, 10_000).await.unwrap();
    // One event per change: the original (consolidated) rating, previous and new, who.
    let changes: Vec<_> = log
        .iter()
        .filter_map(|s| match &s.event.kind {
            EventKind::CalibratedRatingChanged {
                original, from, to, ..
            } => Some((*original, *from, *to, s.event.by)),
            _ => None,
        })
        .collect();
    // Without a consolidated-rating question the manager's choice gives no original.
    assert_eq!(
        changes,
        vec![
            (None, None, Score::from_points(5), Some(id("hal"))),
            (
                None,
                Some(Score::from_points(5)),
                Score::from_hundredths(450),
                Some(id("hal"))
            ),
        ]
    );
    // The report: ann at 5 (rounded from 4.50), cy and eve unrated (no consolidated question).
    let report = e.calibration_report(id("hal"), session.id()).await.unwrap();
    let mut unrated = report.unrated.clone();
    unrated.sort();
    let mut expected = vec![id("cy"), id("eve")];
    expected.sort();
    assert_eq!(unrated, expected);
    assert_eq!(
        report
            .distribution
            .iter()
            .find(|p| p.point == 5)
            .map(|p| p.count),
        Some(1)
    );
    assert!(
        report.off_target,
        "everyone at 5 is far from 50/50 at 3 and 4"
    );
    let high = report
        .nine_box
        .iter()
        .find(|c| c.people.contains(&id("ann")))
        .unwrap();
    assert_eq!(
        (high.performance, high.potential),
        (appraise::Level::High, appraise::Level::High)
    );
    refused!(
        w,
        e.calibration_report(id("ivy"), session.id()),
        Error::Denied(_)
    );
    // Closing moves every participant's packet on, not only the first one found.
    let mut calibrating = Vec::new();
    for who in ["ann", "cy", "eve"] {
        if w.packet(who).await.state() == PacketState::Calibrating {
            calibrating.push(who);
        }
    }
    assert_eq!(calibrating, ["ann", "cy", "eve"]);
    e.close_calibration(id("lee"), session.id()).await.unwrap();
    for who in calibrating {
        assert_eq!(
            w.packet(who).await.state(),
            PacketState::ReadyToShare,
            "{who}"
        );
    }
    assert_eq!(
        w.packet("ann").await.calibrated(),
        Some(Score::from_hundredths(450))
    );
    refused!(
        w,
        e.set_calibrated_rating(id("hal"), ann.id(), Score::from_points(3)),
        Error::Denied(_)
    ); // session closed
}

#[tokio::test]
async fn an_approval_step_naming_someone_who_left_passes_on() {
    let settings = CycleSettings {
        approval_required: true,
        approval_chain: vec![ApprovalStep::ManagersManager, ApprovalStep::Admins],
        ..CycleSettings::default()
    };
    let w = launched(settings, &["ann", "cy"]).await;
    let e = &w.engine;
    // ann's packet waits for dana, her manager's manager, who then leaves: it passes to the
    // admins instead of waiting for someone who can do nothing.
    w.write("ann", "bo", 4).await;
    let ann = w.packet("ann").await;
    assert_eq!(ann.state(), PacketState::PendingApproval);
    e.person_left(id("kim"), w.cycle, id("dana")).await.unwrap();
    refused!(w, e.approve(id("dana"), ann.id()), Error::Denied(_));
    e.approve(id("kim"), ann.id()).await.unwrap();
    assert_eq!(w.packet("ann").await.state(), PacketState::ReadyToShare);
    // cy's packet reaches the chain after dana left: it starts at the admins.
    w.write("cy", "bo", 3).await;
    let cy = w.packet("cy").await;
    assert_eq!(cy.state(), PacketState::PendingApproval);
    e.approve(id("kim"), cy.id()).await.unwrap();
    assert_eq!(w.packet("cy").await.state(), PacketState::ReadyToShare);
}

#[tokio::test]
async fn approval_chains_pass_up_past_the_subject_and_send_back() {
    let settings = CycleSettings {
        approval_required: true,
        approval_chain: vec![ApprovalStep::DepartmentHead, ApprovalStep::NthLevelUp(2)],
        ..CycleSettings::default()
    };
    let w = launched(settings, &["ann", "bo"]).await;
    let e = &w.engine;
    // ivy approves results through a custom role: an "admins" step notifies her too.
    w.role(
        "approvers",
        Permission::ApproveResults,
        "ivy",
        CycleScope::All,
    )
    .await;
    w.write("ann", "bo", 4).await;
    w.write("bo", "dana", 4).await;
    // ann: step 1 is her department head, bo; step 2 two levels up, dana.
    let ann = w.packet("ann").await;
    assert_eq!(ann.state(), PacketState::PendingApproval);
    refused!(w, e.approve(id("dana"), ann.id()), Error::Denied(_));
    e.approve(id("bo"), ann.id()).await.unwrap();
    refused!(w, e.approve(id("bo"), ann.id()), Error::Denied(_));
    e.send_back(id("dana"), ann.id(), "add the billing numbers")
        .await
        .unwrap();
    assert_eq!(w.packet("ann").await.state(), PacketState::Writing);
    assert!(log_has(&w, |k| matches!(k, EventKind::SentBack { comment, .. } if comment == "add the billing numbers")).await);
    // One event per transition: the send-back carries the states before and after, and no
    // second event moves the packet.
    assert!(
        log_has(&w, |k| matches!(
            k,
            EventKind::SentBack {
                from: PacketState::PendingApproval,
                to: PacketState::Writing,
                ..
            }
        ))
        .await
    );
    assert!(
        !log_has(&w, |k| matches!(
            k,
            EventKind::PacketMoved {
                from: PacketState::PendingApproval,
                to: PacketState::Writing,
                ..
            }
        ))
        .await
    );
    // bo heads his own department: that step names him, so it passes to the next one (dana is
    // two levels up from bo? no: bo has only dana above him, so the last step falls to the
    // admins).
    let bo = w.packet("bo").await;
    assert_eq!(bo.state(), PacketState::PendingApproval);
    refused!(w, e.approve(id("bo"), bo.id()), Error::Denied(_));
    e.approve(id("kim"), bo.id()).await.unwrap();
    assert_eq!(w.packet("bo").await.state(), PacketState::ReadyToShare);
    let approvers: Vec<PersonId> = w
        .sent(NotificationKind::ApprovalNeeded)
        .iter()
        .map(|n| n.recipient)
        .collect();
    assert!(
        approvers.contains(&id("bo")) && approvers.contains(&id("kim")),
        "{approvers:?}"
    );
    assert!(
        approvers.contains(&id("ivy")),
        "custom-role approvers are notified: {approvers:?}"
    );
}

async fn log_has(w: &W, pred: impl Fn(&EventKind) -> bool) -> bool {
    w.engine
        .audit_log(id("kim"), w.cycle, None, 100_000)
        .await
        .unwrap()
        .iter()
        .any(|s| pred(&s.event.kind))
}

#[tokio::test]
async fn sharing_unsharing_acknowledgement_and_the_final_meeting() {
    let w = launched(CycleSettings::default(), &["ann"]).await;
    let e = &w.engine;
    w.write("ann", "bo", 4).await;
    let ann = w.packet("ann").await;
    refused!(
        w,
        e.add_sharer(id("ann"), ann.id(), id("ivy")),
        Error::Denied(_)
    );
    e.add_sharer(id("lee"), ann.id(), id("ivy")).await.unwrap();
    refused!(
        w,
        e.record_meeting(id("bo"), ann.id()),
        Error::Invalid { .. }
    ); // not shared yet
    e.share(id("ivy"), ann.id()).await.unwrap();
    refused!(w, e.unshare(id("lee"), ann.id()), Error::Denied(_)); // collaborators do not unshare
    e.unshare(id("kim"), ann.id()).await.unwrap();
    assert!(
        log_has(&w, |k| matches!(
            k,
            EventKind::PacketMoved {
                to: PacketState::ReadyToShare,
                from: PacketState::Shared,
                ..
            }
        ))
        .await
    );
    e.share(id("bo"), ann.id()).await.unwrap();
    refused!(w, e.acknowledge(id("bo"), ann.id(), None), Error::Denied(_));
    e.acknowledge(id("ann"), ann.id(), Some("fair"))
        .await
        .unwrap();
    refused!(w, e.record_meeting(id("lee"), ann.id()), Error::Denied(_));
    let p = e.record_meeting(id("bo"), ann.id()).await.unwrap();
    assert_eq!(p.meeting_at(), Some(w.clock.now()));
    assert!(
        log_has(
            &w,
            |k| matches!(k, EventKind::Acknowledged { comment: Some(c), .. } if c == "fair")
        )
        .await
    );
}

#[tokio::test]
async fn corrections_reopen_remove_feedback_manager_change_and_leavers() {
    let settings = CycleSettings {
        managers_may_remove_feedback: true,
        share_peer_with_subject: true,
        anonymity_threshold: 1,
        ..CycleSettings::default()
    };
    let w = launched(settings, &["ann", "cy"]).await;
    let e = &w.engine;
    let ann = w.packet("ann").await;
    e.assign_reviewer(id("lee"), ann.id(), ReviewKind::Peer, id("eve"))
        .await
        .unwrap();
    e.assign_reviewer(id("lee"), ann.id(), ReviewKind::Peer, id("fay"))
        .await
        .unwrap();
    refused!(
        w,
        e.assign_reviewer(id("lee"), ann.id(), ReviewKind::Manager, id("fay")),
        Error::Invalid { .. }
    );
    e.close_nominations(id("kim"), ann.id()).await.unwrap();
    // Reopen: collaborators yes, the manager no.
    w.submit("ann", "ann", ReviewKind::SelfReview, None).await;
    let own = w.review("ann", "ann", ReviewKind::SelfReview).await;
    refused!(w, e.reopen_review(id("bo"), own.id), Error::Denied(_));
    assert_eq!(
        e.reopen_review(id("lee"), own.id).await.unwrap().state,
        ReviewState::Draft
    );
    e.submit_review(id("ann"), own.id, None).await.unwrap();
    // Remove feedback: the manager (setting on); the subject no longer sees it, others do.
    w.submit("eve", "ann", ReviewKind::Peer, None).await;
    let eve = w.review("eve", "ann", ReviewKind::Peer).await;
    refused!(
        w,
        e.remove_feedback(id("fay"), eve.id),
        Error::NotFound { .. }
    );
    e.remove_feedback(id("bo"), eve.id).await.unwrap();
    // Both corrections are audited, with who did them.
    let log = e
        .audit_log(id("kim"), w.cycle, None, 100_000)
        .await
        .unwrap();
    let by = |pred: &dyn Fn(&EventKind) -> bool| {
        log.iter()
            .find(|s| pred(&s.event.kind))
            .and_then(|s| s.event.by)
    };
    assert_eq!(
        by(&|k| matches!(k, EventKind::ReviewReopened { review } if *review == own.id)),
        Some(id("lee"))
    );
    assert_eq!(
        by(&|k| matches!(k, EventKind::FeedbackRemoved { review } if *review == eve.id)),
        Some(id("bo"))
    );
    // Manager change: bo's unsubmitted review is cancelled, dana gets a new one; the snapshot
    // follows (dana is now ann's manager) and it is all audited.
    refused!(
        w,
        e.change_manager(id("bo"), ann.id(), Some(id("dana"))),
        Error::Denied(_)
    );
    refused!(
        w,
        e.change_manager(id("kim"), ann.id(), Some(id("ann"))),
        Error::Invalid { .. }
    );
    let old = w.review("bo", "ann", ReviewKind::Manager).await;
    e.change_manager(id("kim"), ann.id(), Some(id("dana")))
        .await
        .unwrap();
    assert_eq!(
        e.read_review(id("bo"), old.id).await.unwrap().state,
        ReviewState::Cancelled,
        "the author still reads it"
    );
    assert!(
        matches!(
            e.read_review(id("dana"), old.id).await,
            Err(Error::Denied(_))
        ),
        "nobody else does"
    );
    let new = w.review("dana", "ann", ReviewKind::Manager).await;
    assert_eq!(new.state, ReviewState::Assigned);
    assert!(log_has(&w, |k| matches!(k, EventKind::ManagerChanged { .. })).await);
    // bo lost his relation to ann: ann's self review no longer exists for him.
    assert!(matches!(
        e.read_review(id("bo"), own.id).await,
        Err(Error::NotFound { .. })
    ));
    // A submitted manager review stays, and its author keeps access after a change.
    e.submit_review(id("dana"), new.id, None).await.unwrap();
    e.change_manager(id("kim"), ann.id(), Some(id("hal")))
        .await
        .unwrap();
    assert!(
        e.read_review(id("dana"), own.id).await.is_ok(),
        "the former manager who submitted keeps read access"
    );
    // Leavers: fay leaves: her open peer review of ann is cancelled; cy leaves: packet withdrawn.
    refused!(
        w,
        e.person_left(id("bo"), w.cycle, id("fay")),
        Error::Denied(_)
    );
    e.person_left(id("kim"), w.cycle, id("fay")).await.unwrap();
    // What a leaver wrote, as stored (a leaver reads nothing, their own reviews included).
    let written_by = |who: &'static str| {
        let storage = Arc::clone(&w.storage);
        let cycle = w.cycle;
        async move {
            appraise::plugin::Storage::reviews_by(&*storage, cycle, id(who))
                .await
                .unwrap()
        }
    };
    assert!(e.my_reviews(id("fay"), w.cycle).await.unwrap().is_empty());
    let fay_review = written_by("fay").await;
    assert!(
        fay_review
            .iter()
            .all(|r| r.record.state() == ReviewState::Cancelled)
    );
    e.person_left(id("kim"), w.cycle, id("cy")).await.unwrap();
    assert!(w.packet("cy").await.is_withdrawn());
    let cy_reviews = written_by("cy").await;
    assert!(
        !cy_reviews.is_empty()
            && cy_reviews
                .iter()
                .all(|r| r.record.state() == ReviewState::Cancelled),
        "everything cy still had to write is cancelled"
    );
}

#[tokio::test]
async fn every_admin_command_checks_the_grants() {
    let w = launched(
        CycleSettings {
            calibration: true,
            ..CycleSettings::default()
        },
        &["ann"],
    )
    .await;
    let e = &w.engine;
    // An admin granted after the cycle was created, restricted from past cycles: nothing here.
    e.grant_admin(
        id("kim"),
        id("hal"),
        AdminGrant {
            since: w.clock.now() + Duration::days(1),
            past_cycles: false,
        },
    )
    .await
    .unwrap();
    refused!(w, e.lock(id("hal"), w.cycle), Error::Denied(_));
    refused!(
        w,
        e.create_calibration(id("hal"), w.cycle, "x", [id("ann")], [id("hal")]),
        Error::Denied(_)
    );
    assert!(matches!(
        e.progress(id("hal"), w.cycle).await,
        Err(Error::Denied(_))
    ));
    // Allowed past cycles: everything.
    e.grant_admin(
        id("kim"),
        id("hal"),
        AdminGrant {
            since: w.clock.now() + Duration::days(1),
            past_cycles: true,
        },
    )
    .await
    .unwrap();
    e.lock(id("hal"), w.cycle).await.unwrap();
    e.unlock(id("hal"), w.cycle).await.unwrap();
    // A custom role that may lock this cycle only.
    let other = CycleScope::Listed([CycleId::from_key("other")].into());
    let role = w
        .role("lockers", Permission::LockCycles, "ivy", other)
        .await;
    refused!(w, e.lock(id("ivy"), w.cycle), Error::Denied(_));
    e.revoke_role(id("kim"), id("ivy"), role).await.unwrap();
    w.grant_role("ivy", role, CycleScope::Listed([w.cycle].into()))
        .await;
    e.lock(id("ivy"), w.cycle).await.unwrap();
    refused!(w, e.close(id("ivy"), w.cycle), Error::Locked { .. });
    e.unlock(id("ivy"), w.cycle).await.unwrap();
    refused!(w, e.close(id("ivy"), w.cycle), Error::Denied(_));
    // Viewers: a cycle viewer reads ann's reviews; a collaborator of another cycle does not.
    let ann = w.packet("ann").await;
    e.close_nominations(id("kim"), ann.id()).await.unwrap();
    w.submit("ann", "ann", ReviewKind::SelfReview, None).await;
    let own = w.review("ann", "ann", ReviewKind::SelfReview).await;
    assert!(matches!(
        e.read_review(id("ivy"), own.id).await,
        Err(Error::NotFound { .. })
    ));
    e.add_viewer(id("lee"), ann.id(), id("ivy")).await.unwrap();
    assert!(e.read_review(id("ivy"), own.id).await.is_ok());
}

#[tokio::test]
async fn progress_per_cycle_and_per_manager_with_a_text_table() {
    let w = launched(CycleSettings::default(), &["ann", "cy", "eve", "ivy", "bo"]).await;
    let e = &w.engine;
    w.write("ann", "bo", 4).await;
    let cy = w.review("cy", "cy", ReviewKind::SelfReview).await;
    e.save_draft(id("cy"), cy.id, Answers::new()).await.unwrap();
    let progress = e.progress(id("lee"), w.cycle).await.unwrap();
    let own = progress.by_kind[&ReviewKind::SelfReview];
    assert_eq!(
        (own.assigned, own.submitted, own.draft, own.not_started),
        (5, 1, 1, 3)
    );
    // bo's team: direct ann, cy, eve; dana's extended team: everyone but herself.
    let bo = e.team_progress(id("bo"), w.cycle, id("bo")).await.unwrap();
    assert_eq!((bo.direct.packets, bo.extended.packets), (3, 3));
    let dana = e
        .team_progress(id("dana"), w.cycle, id("dana"))
        .await
        .unwrap();
    assert_eq!((dana.direct.packets, dana.extended.packets), (1, 5));
    assert!(matches!(
        e.team_progress(id("cy"), w.cycle, id("bo")).await,
        Err(Error::Denied(_))
    ));
    let as_admin = e.team_progress(id("kim"), w.cycle, id("bo")).await.unwrap();
    assert_eq!(as_admin, bo);
    insta::assert_snapshot!("team_progress", bo.to_string());
}

/// The engine caches the cycle, its org snapshot and the grants between commands, but never
/// serves a stale copy: another engine on the same storage changes ann's manager, grants and
/// revokes an admin, and this one's very next read decides on the change.
#[tokio::test]
async fn cached_records_never_go_stale_across_engines() {
    let w = launched(CycleSettings::default(), &["ann"]).await;
    let other = Engine::builder()
        .storage(Arc::clone(&w.storage))
        .directory(org())
        .build();
    let ann = w.packet("ann").await;
    w.engine
        .close_nominations(id("kim"), ann.id())
        .await
        .unwrap();
    w.submit("ann", "ann", ReviewKind::SelfReview, None).await;
    let own = w.review("ann", "ann", ReviewKind::SelfReview).await;
    // bo reads through his relation (this engine caches the snapshot now).
    assert!(w.engine.read_review(id("bo"), own.id).await.is_ok());
    other
        .change_manager(id("kim"), ann.id(), Some(id("hal")))
        .await
        .unwrap();
    // bo no longer manages ann: the next read finds nothing; hal's is allowed.
    assert!(matches!(
        w.engine.read_review(id("bo"), own.id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(w.engine.read_review(id("hal"), own.id).await.is_ok());
    // cy, a peer of ann, reads nothing of hers until the other engine makes her an admin.
    assert!(matches!(
        w.engine.read_review(id("cy"), own.id).await,
        Err(Error::NotFound { .. })
    ));
    let grant = appraise::AdminGrant {
        since: w.engine.now() - chrono::Duration::days(30),
        past_cycles: true,
    };
    other.grant_admin(id("kim"), id("cy"), grant).await.unwrap();
    assert!(w.engine.read_review(id("cy"), own.id).await.is_ok());
    other.revoke_admin(id("kim"), id("cy")).await.unwrap();
    assert!(matches!(
        w.engine.read_review(id("cy"), own.id).await,
        Err(Error::NotFound { .. })
    ));
    // And a lock by the other engine is seen at once.
    other.lock(id("kim"), w.cycle).await.unwrap();
    let p = w.packet("ann").await;
    assert!(matches!(
        w.engine.open_manager_review(id("lee"), p.id()).await,
        Err(Error::Locked { .. })
    ));
}

/// A change of the org after launch (a manager change, a leaver) adds one entry to the
/// cycle's org log and moves its head on: the snapshot stored at launch is never written
/// again. An engine holding the org catches up by applying the entries since; a cold one
/// applies them all to the launch snapshot; both decide alike. A log with an entry missing is
/// a corrupt record, named, never a wrong decision.
#[tokio::test]
async fn org_changes_go_to_the_log_and_every_engine_catches_up() {
    use appraise::plugin::{Commit, RecordKey, Storage, StorageExt, Write};
    use appraise::{OrgChange, OrgEdit};
    let w = launched(CycleSettings::default(), &["ann", "cy"]).await;
    let fresh = || {
        Engine::builder()
            .storage(Arc::clone(&w.storage))
            .directory(org())
            .clock(w.clock.clone())
            .build()
    };
    let other = fresh();
    let ann = w.packet("ann").await;
    w.engine
        .close_nominations(id("kim"), ann.id())
        .await
        .unwrap();
    w.submit("ann", "ann", ReviewKind::SelfReview, None).await;
    let own = w.review("ann", "ann", ReviewKind::SelfReview).await;
    assert!(w.engine.read_review(id("bo"), own.id).await.is_ok());
    let launch_snapshot = w.storage.snapshot(w.cycle).await.unwrap();

    other
        .change_manager(id("kim"), ann.id(), Some(id("hal")))
        .await
        .unwrap();
    other
        .person_left(id("kim"), w.cycle, id("bo"))
        .await
        .unwrap();

    assert_eq!(
        w.storage.snapshot(w.cycle).await.unwrap(),
        launch_snapshot,
        "the launch snapshot is not written again"
    );
    assert_eq!(
        w.storage
            .version(RecordKey::OrgHead(w.cycle))
            .await
            .unwrap(),
        Some(3)
    );
    let log = w.storage.org_changes(w.cycle, 0, 3).await.unwrap();
    let cycle = w.cycle;
    assert_eq!(
        log,
        [
            OrgChange {
                cycle,
                seq: 1,
                edit: OrgEdit::Launched,
            },
            OrgChange {
                cycle,
                seq: 2,
                edit: OrgEdit::ManagerChanged {
                    person: id("ann"),
                    manager: Some(id("hal")),
                },
            },
            OrgChange {
                cycle,
                seq: 3,
                edit: OrgEdit::Left { person: id("bo") },
            },
        ]
    );
    let mut applied = launch_snapshot.record.clone();
    applied.set_manager(id("ann"), Some(id("hal"))).unwrap();
    applied.mark_left(id("bo")).unwrap();
    let now = w.storage.org(w.cycle).await.unwrap();
    assert_eq!((now.version, &now.record), (3, &applied));
    assert_eq!(now.record.manager_of(id("ann")), Some(id("hal")));

    // The engine that held the org before both changes, and one that never held it.
    let cold = fresh();
    for engine in [&w.engine, &cold] {
        assert!(engine.read_review(id("hal"), own.id).await.is_ok());
        assert!(matches!(
            engine.read_review(id("bo"), own.id).await,
            Err(Error::NotFound { .. })
        ));
    }

    // Change 2 goes missing behind the storage's back: a cold engine names the log.
    let key = RecordKey::OrgChange { cycle, seq: 2 };
    w.storage
        .commit(Commit {
            writes: vec![Write::Delete { key, version: 1 }],
            ..Commit::default()
        })
        .await
        .unwrap();
    let err = fresh().read_review(id("hal"), own.id).await.unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { record, .. } if record.contains("org log")),
        "{err}"
    );
}

/// R-WRITE-15: the whole cycle's progress is for admins (kim) and collaborators (lee); a
/// manager (bo) sees their own team's, not the cycle's, nor another manager's team; a
/// participant (ann) sees neither. The counts are the same whoever may read them.
#[tokio::test]
async fn r_write_15_progress_for_admins_collaborators_and_a_managers_own_team() {
    let w = launched(CycleSettings::default(), &["ann", "cy", "hal"]).await;
    let e = &w.engine;
    let as_admin = e.progress(id("kim"), w.cycle).await.unwrap();
    assert_eq!(e.progress(id("lee"), w.cycle).await.unwrap(), as_admin);
    assert_eq!(as_admin.packets, 3);
    for who in ["bo", "ann"] {
        assert!(
            matches!(e.progress(id(who), w.cycle).await, Err(Error::Denied(_))),
            "{who} reads the whole cycle's progress"
        );
    }
    let team = e.team_progress(id("bo"), w.cycle, id("bo")).await.unwrap();
    assert_eq!(
        team,
        e.team_progress(id("kim"), w.cycle, id("bo")).await.unwrap()
    );
    assert!(matches!(
        e.team_progress(id("bo"), w.cycle, id("dana")).await,
        Err(Error::Denied(_))
    ));
    assert!(matches!(
        e.team_progress(id("ann"), w.cycle, id("bo")).await,
        Err(Error::Denied(_))
    ));
}

/// DOMAIN.md, nominations: min and max peers hold for the peers however they were assigned. With
/// a maximum of one, an admin's second direct assignment is refused and changes nothing.
#[tokio::test]
async fn the_maximum_of_peers_holds_for_direct_assignments() {
    let w = launched(
        CycleSettings {
            max_peers: 1,
            ..CycleSettings::default()
        },
        &["ann"],
    )
    .await;
    let e = &w.engine;
    let ann = w.packet("ann").await;
    e.assign_reviewer(id("kim"), ann.id(), ReviewKind::Peer, id("cy"))
        .await
        .unwrap();
    let err = refused!(
        w,
        e.assign_reviewer(id("kim"), ann.id(), ReviewKind::Peer, id("eve")),
        Error::Invalid { .. }
    );
    assert_eq!(
        err.to_string(),
        "invalid peers: 1 peers assigned, the cycle allows at most 1"
    );
    assert_eq!(w.packet("ann").await.tally(ReviewKind::Peer).assigned, 1);
}

/// Reliability finding: a nomination of a peer who was then assigned directly made every
/// later tick fail, so no reminder went out again in the whole store. At the deadline such a
/// nomination is now denied with the reason, the other pending ones are approved, and the
/// tick goes on for everyone.
#[tokio::test]
async fn a_nomination_of_a_peer_assigned_directly_does_not_stall_the_tick() {
    let settings = CycleSettings {
        nomination_deadline: Some(start() + Duration::days(2)),
        auto_approve_nominations: true,
        max_peers: 3,
        ..CycleSettings::default()
    };
    let w = launched(settings, &["ann", "cy"]).await;
    let e = &w.engine;
    let ann = w.packet("ann").await;
    let n_eve = e.nominate(id("ann"), ann.id(), id("eve")).await.unwrap();
    let n_fay = e.nominate(id("ann"), ann.id(), id("fay")).await.unwrap();
    let cy = w.packet("cy").await;
    let n_cy = e.nominate(id("cy"), cy.id(), id("fay")).await.unwrap();
    // eve becomes ann's peer directly while her nomination is pending.
    e.assign_reviewer(id("lee"), ann.id(), ReviewKind::Peer, id("eve"))
        .await
        .unwrap();
    w.clock.advance(Duration::days(3));
    let tick = e.tick().await.unwrap();
    assert!(tick.failed.is_empty(), "{:?}", tick.failed);
    assert_eq!(tick.auto_approved, 2, "fay for ann, fay for cy");
    let stored = |n: &appraise::Nomination| {
        let key = appraise::plugin::RecordKey::Nomination(n.id());
        async move {
            match e.storage().get(key).await.unwrap().unwrap().record {
                appraise::plugin::Record::Nomination(n) => *n,
                _ => unreachable!(),
            }
        }
    };
    let eve = stored(&n_eve).await;
    assert_eq!(eve.state(), NominationState::Denied);
    assert!(eve.reason().is_some_and(|r| r.contains("already a peer")));
    assert_eq!(stored(&n_fay).await.state(), NominationState::Approved);
    assert_eq!(stored(&n_cy).await.state(), NominationState::Approved);
    assert_eq!(e.tick().await.unwrap(), appraise::TickReport::default());
}

/// A window due at the start of time: the reminder before it would fall before any instant
/// there is, and the tick goes on (it panicked) to remind the overdue self reviews.
#[tokio::test]
async fn a_window_due_at_the_start_of_time_is_ticked() {
    let opens = chrono::DateTime::<Utc>::MIN_UTC;
    let windows = Windows::default().with(
        ReviewKind::SelfReview,
        Window {
            opens,
            due: opens + Duration::days(1),
        },
    );
    let settings = CycleSettings {
        windows,
        remind_days_before: Some(3),
        late_submissions: true,
        ..CycleSettings::default()
    };
    let w = launched(settings, &["ann", "cy"]).await;
    let t = w.engine.tick().await.unwrap();
    assert_eq!(t.reminders, 2, "{t:?}");
}

/// The manual clock stops at the last instant there is rather than overflow.
#[test]
fn the_manual_clock_stops_at_the_end_of_time() {
    let clock = ManualClock::new(start());
    clock.advance(Duration::MAX);
    assert_eq!(clock.now(), chrono::DateTime::<Utc>::MAX_UTC);
    clock.set(start());
    clock.advance(Duration::MIN);
    assert_eq!(clock.now(), chrono::DateTime::<Utc>::MIN_UTC);
}
