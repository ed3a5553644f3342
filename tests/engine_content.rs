//! Review content through the engine: templates, goals, validation, private answers, scores,
//! aggregated responses, the results export.

use std::sync::Arc;

use appraise::memory::{MemoryStorage, RecordingNotifier, StaticDirectory};
use appraise::plugin::ManualClock;
use appraise::{AdminGrant, Answer, CycleConfig, CycleSettings, Engine, Error, ReviewKind};
use chrono::{Duration, TimeZone, Utc};

use crate::content::{
    Scenario, formula, goals_of, id, period, q, review_template, shared_settings,
};
use crate::engine::directory;

struct World {
    engine: Engine,
    storage: Arc<MemoryStorage>,
    cycle: appraise::CycleId,
}

async fn world(settings: CycleSettings) -> World {
    let storage = Arc::new(MemoryStorage::new());
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
    let people = directory();
    let goals = goals_of(id("ann"));
    let dir = StaticDirectory::new(people.people_list().to_vec(), vec![]).with_goals(goals);
    let engine = Engine::builder()
        .storage(Arc::clone(&storage))
        .notifier(RecordingNotifier::new())
        .directory(dir)
        .clock(clock.clone())
        .build();
    let kim = id("kim");
    engine
        .bootstrap_admin(
            kim,
            AdminGrant {
                since: clock.now_utc() - Duration::days(1),
                past_cycles: false,
            },
        )
        .await
        .unwrap();
    engine
        .create_template(kim, review_template())
        .await
        .unwrap();
    let config = CycleConfig::new("H1", period())
        .with_settings(settings)
        .with_template(review_template().id, ReviewKind::ALL);
    let cycle = engine.create_cycle(kim, config).await.unwrap();
    engine
        .add_collaborator(kim, cycle.id(), id("lee"))
        .await
        .unwrap();
    engine
        .add_participants(kim, cycle.id(), [id("ann")])
        .await
        .unwrap();
    engine.launch(kim, cycle.id()).await.unwrap();
    World {
        engine,
        storage,
        cycle: cycle.id(),
    }
}

trait NowUtc {
    fn now_utc(&self) -> chrono::DateTime<Utc>;
}
impl NowUtc for ManualClock {
    fn now_utc(&self) -> chrono::DateTime<Utc> {
        use appraise::plugin::Clock;
        self.now()
    }
}

/// Self, three peers (cy, eve, fay) and the manager review of ann, then shared.
async fn complete(w: &World) -> appraise::PacketId {
    let packet = complete_unshared(w).await;
    w.engine.share(id("bo"), packet).await.unwrap();
    packet
}

/// Self, three peers (cy, eve, fay) and the manager review of ann, all submitted.
async fn complete_unshared(w: &World) -> appraise::PacketId {
    let e = &w.engine;
    let packet = e.packet_of(id("kim"), w.cycle, id("ann")).await.unwrap();
    for peer in ["cy", "eve", "fay"] {
        let n = e.nominate(id("ann"), packet.id(), id(peer)).await.unwrap();
        e.approve_nomination(id("bo"), n.id(), None).await.unwrap();
    }
    e.close_nominations(id("kim"), packet.id()).await.unwrap();
    let helper = Scenario::new(shared_settings(), 0);
    let _ = helper;
    let goal_answers = |rating| {
        Answer::Goals(
            packet
                .goals()
                .iter()
                .map(|g| {
                    (
                        g.id,
                        appraise::GoalAnswer {
                            rating: Some(rating),
                            ..Default::default()
                        },
                    )
                })
                .collect(),
        )
    };
    let mine = e.my_reviews(id("ann"), w.cycle).await.unwrap();
    let self_review = mine
        .iter()
        .find(|r| r.kind == ReviewKind::SelfReview)
        .unwrap();
    let self_answers = appraise::Answers::new()
        .with(q("goals"), goal_answers(3))
        .with(q("overall"), Answer::Rating(3))
        .with(q("strengths"), Answer::Text("I shipped billing".into()));
    e.submit_review(id("ann"), self_review.id, Some(self_answers))
        .await
        .unwrap();
    for (i, peer) in ["cy", "eve", "fay"].into_iter().enumerate() {
        let r = e
            .my_reviews(id(peer), w.cycle)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.subject == id("ann"))
            .unwrap();
        e.submit_review(
            id(peer),
            r.id,
            Some(Scenario::peer_answers(
                3 + i as u8,
                &format!("{peer} says: solid"),
            )),
        )
        .await
        .unwrap();
    }
    let mr = e
        .my_reviews(id("bo"), w.cycle)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == id("ann"))
        .unwrap();
    let manager_answers = appraise::Answers::new()
        .with(q("goals"), goal_answers(4))
        .with(q("overall"), Answer::Rating(4))
        .with(q("strengths"), Answer::Text("clear thinking".into()))
        .with(q("consolidated"), Answer::Rating(4))
        .with(q("recommendation"), Answer::Choice("keep growing".into()));
    e.submit_review(id("bo"), mr.id, Some(manager_answers))
        .await
        .unwrap();
    packet.id()
}

#[tokio::test]
async fn templates_are_managed_by_admins_and_frozen_at_launch() {
    let w = world(shared_settings()).await;
    let e = &w.engine;
    let before = w.storage.dump();
    let err = e
        .create_template(id("lee"), review_template())
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("denied: R-WRITE-1"), "{err}");
    let mut broken = review_template();
    broken.id = appraise::TemplateId::from_key("broken");
    broken.sections[1].questions[1].kind = appraise::QuestionKind::NumberScale {
        min: 1,
        max: 1,
        step: 1,
    };
    assert!(matches!(
        e.create_template(id("kim"), broken).await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(
        w.storage.dump(),
        before,
        "refused template commands change nothing"
    );
    // The launched cycle froze its copy: editing the template later changes nothing for it.
    let mut edited = review_template();
    edited.sections[1]
        .questions
        .retain(|q| q.key != "strengths");
    e.update_template(id("kim"), edited.clone()).await.unwrap();
    assert_eq!(e.template(id("kim"), edited.id).await.unwrap(), edited);
    assert!(matches!(
        e.template(id("ann"), edited.id).await,
        Err(Error::Denied(_))
    ));
    let cycle = e
        .storage()
        .get(appraise::plugin::RecordKey::Cycle(w.cycle))
        .await
        .unwrap()
        .unwrap();
    let appraise::plugin::Record::Cycle(cycle) = cycle.record else {
        unreachable!()
    };
    assert_eq!(
        cycle.template_for(ReviewKind::Peer),
        Some(&review_template())
    );
    // Its writers and readers get that frozen form; someone with no relation learns nothing.
    let own = e.my_reviews(id("ann"), w.cycle).await.unwrap();
    let own = own
        .iter()
        .find(|r| r.kind == ReviewKind::SelfReview)
        .unwrap();
    assert_eq!(
        e.review_form(id("ann"), own.id).await.unwrap(),
        review_template()
    );
    // An unsubmitted review is its author's alone (R-READ-2), its form included.
    assert!(matches!(
        e.review_form(id("kim"), own.id).await,
        Err(Error::Denied(_))
    ));
    assert!(matches!(
        e.review_form(id("nobody"), own.id).await,
        Err(Error::NotFound { .. })
    ));
    // Goals were frozen into the packet.
    let packet = e.packet_of(id("kim"), w.cycle, id("ann")).await.unwrap();
    assert_eq!(packet.goals(), goals_of(id("ann")).as_slice());
    // A cycle naming a missing template, or a formula asking for nothing, is refused.
    let missing = CycleConfig::new("x", period())
        .with_template(appraise::TemplateId::from_key("nope"), [ReviewKind::Peer]);
    assert!(matches!(
        e.create_cycle(id("kim"), missing).await,
        Err(Error::NotFound { .. })
    ));
    let bad_formula = CycleConfig::new("x", period()).with_settings(CycleSettings {
        consolidated: formula(),
        ..shared_settings()
    });
    assert!(matches!(
        e.create_cycle(id("kim"), bad_formula).await,
        Err(Error::Invalid { .. })
    ));
}

#[tokio::test]
async fn the_engine_validates_answers_against_the_template() {
    let w = world(shared_settings()).await;
    let e = &w.engine;
    let mine = e.my_reviews(id("ann"), w.cycle).await.unwrap();
    let self_review = mine
        .iter()
        .find(|r| r.kind == ReviewKind::SelfReview)
        .unwrap();
    let before = w.storage.dump();
    let bad = appraise::Answers::new().with(q("overall"), Answer::Rating(9));
    let err = e
        .save_draft(id("ann"), self_review.id, bad)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid question `overall`: rating 9 is outside 1–5"
    );
    let wrong = appraise::Answers::new().with(q("impact"), Answer::Number(4));
    let err = e
        .save_draft(id("ann"), self_review.id, wrong)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid question `impact`: self reviews do not answer it"
    );
    // A draft may be partial; submitting it is refused until required answers are there.
    let partial = appraise::Answers::new().with(q("overall"), Answer::Rating(4));
    assert_eq!(w.storage.dump(), before, "refused drafts change nothing");
    e.save_draft(id("ann"), self_review.id, partial)
        .await
        .unwrap();
    let after_draft = w.storage.dump();
    let err = e
        .submit_review(id("ann"), self_review.id, None)
        .await
        .unwrap_err();
    assert!(err.to_string().ends_with("is required"), "{err}");
    assert_eq!(
        w.storage.dump(),
        after_draft,
        "a refused submit changes nothing"
    );
}

#[tokio::test]
async fn private_answers_never_reach_the_subject_and_scores_follow_r_read() {
    let settings = CycleSettings {
        consolidated: formula(),
        ..shared_settings()
    };
    let w = world(settings).await;
    let e = &w.engine;
    let packet = complete(&w).await;
    // Private peer notes: the manager sees them, ann does not.
    let for_bo = e.reviews_about(id("bo"), w.cycle, id("ann")).await.unwrap();
    assert!(
        for_bo
            .iter()
            .filter(|r| r.kind == ReviewKind::Peer)
            .all(|r| r.answers.get(q("note")).is_some())
    );
    let for_ann = e
        .reviews_about(id("ann"), w.cycle, id("ann"))
        .await
        .unwrap();
    let peers: Vec<_> = for_ann
        .iter()
        .filter(|r| r.kind == ReviewKind::Peer)
        .collect();
    assert_eq!(peers.len(), 3);
    assert!(
        peers
            .iter()
            .all(|r| r.answers.get(q("note")).is_none() && r.answers.get(q("overall")).is_some())
    );
    // The score: manager 4 (60%), peers 3/4/5 → 4 (20%), self 3 (20%) = 3.80.
    let score = e.score(id("bo"), packet).await.unwrap();
    assert_eq!(score.result.map(|s| s.to_string()).as_deref(), Some("3.80"));
    assert_eq!(
        e.score(id("ann"), packet).await.unwrap(),
        score,
        "shared: ann sees her score"
    );
    assert!(
        matches!(e.score(id("cy"), packet).await, Err(Error::Denied(_))),
        "a peer does not"
    );
    // Aggregated responses.
    let view = e
        .aggregated_responses(id("ann"), packet, ReviewKind::Peer)
        .await
        .unwrap();
    assert_eq!(view.responses, 3);
    let json = serde_json::to_string(&view).unwrap();
    for peer in ["cy", "eve", "fay"] {
        assert!(!json.contains(&id(peer).to_string()) && !json.contains(&format!("\"{peer}\"")));
    }
    assert!(matches!(
        e.aggregated_responses(id("ann"), packet, ReviewKind::Manager)
            .await,
        Err(Error::Invalid { .. })
    ));
}

#[tokio::test]
async fn results_export_lists_only_what_the_caller_may_read() {
    let settings = CycleSettings {
        consolidated: formula(),
        ..shared_settings()
    };
    let w = world(settings).await;
    complete(&w).await;
    let mut admin = Vec::new();
    let rows = w
        .engine
        .export_results_csv(id("kim"), w.cycle, &mut admin)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let text = String::from_utf8(admin).unwrap();
    insta::assert_snapshot!("results_csv", text.replace(&id("ann").to_string(), "<ann>"));
    let mut stranger = Vec::new();
    assert_eq!(
        w.engine
            .export_results_csv(id("cy"), w.cycle, &mut stranger)
            .await
            .unwrap(),
        0,
        "a peer sees no row"
    );
    let mut manager = Vec::new();
    assert_eq!(
        w.engine
            .export_results_csv(id("dana"), w.cycle, &mut manager)
            .await
            .unwrap(),
        1,
        "the manager chain sees its team"
    );
}

/// DOMAIN.md "What a reader sees of a review": answers to private questions reach the author,
/// admins, the manager and the manager chain, but not a cycle viewer (nor the subject), who
/// reads the same review without them.
#[tokio::test]
async fn private_answers_reach_managers_but_not_viewers() {
    let w = world(shared_settings()).await;
    let e = &w.engine;
    let packet = complete(&w).await;
    e.add_viewer(id("kim"), packet, id("cy")).await.unwrap();
    let eves = e
        .my_reviews(id("eve"), w.cycle)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == id("ann"))
        .unwrap();
    let note = q("note");
    for (reader, sees) in [
        ("eve", true),
        ("kim", true),
        ("lee", true),
        ("bo", true),
        ("dana", true),
        ("cy", false),
        ("ann", false),
    ] {
        let view = e.read_review(id(reader), eves.id).await.unwrap();
        assert_eq!(
            view.answers.get(note).is_some(),
            sees,
            "{reader} (allowed by {:?})",
            view.allowed_by
        );
        assert!(view.answers.get(q("strengths")).is_some(), "{reader}");
    }
    // The aggregated responses follow the same rule.
    let as_viewer = e
        .aggregated_responses(id("cy"), packet, ReviewKind::Peer)
        .await
        .unwrap();
    // cy, a peer too, sees his own private note and no one else's.
    let note_for = |view: &appraise::aggregate::AggregatedView| {
        view.questions
            .iter()
            .find(|q| q.key == "note")
            .map(|q| q.answered)
    };
    assert_eq!(note_for(&as_viewer), Some(1));
    let as_manager = e
        .aggregated_responses(id("bo"), packet, ReviewKind::Peer)
        .await
        .unwrap();
    assert_eq!(note_for(&as_manager), Some(3));
}

/// DOMAIN.md "Everything derived from reviews obeys R-READ": a subject below the anonymity
/// threshold (peer feedback not shared with her) gets a score computed without the peer
/// reviews she may not read, the peer input marked withheld; her manager's score has them.
#[tokio::test]
async fn a_subjects_score_leaves_out_peer_reviews_she_may_not_read() {
    let settings = CycleSettings {
        consolidated: formula(),
        share_peer_with_subject: false,
        anonymity_threshold: 5,
        ..shared_settings()
    };
    let w = world(settings).await;
    let e = &w.engine;
    let packet = complete(&w).await;
    let for_bo = e.score(id("bo"), packet).await.unwrap();
    assert_eq!(
        for_bo.result.map(|s| s.to_string()).as_deref(),
        Some("3.80")
    );
    let for_ann = e.score(id("ann"), packet).await.unwrap();
    // Manager 4 (60%) and self 3 (20%), re-weighted: 3.75.
    assert_eq!(
        for_ann.result.map(|s| s.to_string()).as_deref(),
        Some("3.75")
    );
    let peer = for_ann
        .inputs
        .iter()
        .find(|i| i.input == appraise::score::ScoreInput::Kind(ReviewKind::Peer))
        .unwrap();
    assert_eq!((peer.value, peer.responses, peer.withheld), (None, 0, true));
    assert!(for_bo.inputs.iter().all(|i| !i.withheld));
}

/// DOMAIN.md: a subject's own consolidated and calibrated rating, band and 9-box cell stay
/// hidden from her until her packet is shared, whatever roles she holds: an admin who is the
/// participant gets no score, a blank row in the export and no entry in a calibration report.
#[tokio::test]
async fn an_admin_does_not_see_her_own_unshared_results() {
    let w = world(CycleSettings {
        calibration: true,
        ..shared_settings()
    })
    .await;
    let e = &w.engine;
    // Calibration on: after the manager review the packet waits in calibration, unshared.
    let packet = complete_unshared(&w).await;
    let since = w.engine.now() - Duration::days(30);
    e.grant_admin(
        id("kim"),
        id("ann"),
        AdminGrant {
            since,
            past_cycles: true,
        },
    )
    .await
    .unwrap();
    match e.score(id("ann"), packet).await {
        Err(Error::Denied(why)) => assert_eq!(
            why.to_string(),
            "R-READ-3 not shared: ann's results are not shared yet"
        ),
        other => panic!("ann must not see her unshared score: {other:?}"),
    }
    assert!(e.score(id("kim"), packet).await.unwrap().result.is_some());
    let mut csv = Vec::new();
    e.export_results_csv(id("ann"), w.cycle, &mut csv)
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.ends_with(",,,,"),
        "no consolidated, calibrated, result or band: {row}"
    );
    let session = e
        .create_calibration(id("kim"), w.cycle, "eng", [id("ann")], [id("bo")])
        .await
        .unwrap();
    let for_ann = e.calibration_report(id("ann"), session.id()).await.unwrap();
    assert!(
        for_ann.distribution.iter().all(|p| p.count == 0),
        "{for_ann:?}"
    );
    assert!(for_ann.unrated.is_empty() && for_ann.nine_box.iter().all(|c| c.people.is_empty()));
    let for_kim = e.calibration_report(id("kim"), session.id()).await.unwrap();
    assert_eq!(
        for_kim.distribution.iter().map(|p| p.count).sum::<usize>(),
        1
    );
    // The audit log carries a calibrated rating change with the manager's original rating:
    // kim reads it, ann (an admin now) does not, until her results are shared.
    e.open_calibration(id("kim"), session.id()).await.unwrap();
    let before = e.audit_log(id("ann"), w.cycle, None, 1000).await.unwrap();
    e.set_calibrated_rating(
        id("kim"),
        packet,
        appraise::score::Score::from_hundredths(437),
    )
    .await
    .unwrap();
    let changed = |log: &[appraise::plugin::StoredEvent]| {
        log.iter()
            .filter(|e| {
                matches!(
                    e.event.kind,
                    appraise::EventKind::CalibratedRatingChanged { .. }
                )
            })
            .count()
    };
    let for_kim = e.audit_log(id("kim"), w.cycle, None, 1000).await.unwrap();
    assert_eq!(changed(&for_kim), 1);
    let for_ann = e.audit_log(id("ann"), w.cycle, None, 1000).await.unwrap();
    assert_eq!(changed(&for_ann), 0);
    assert_eq!(for_ann, before, "the change is left out of ann's log");
}

/// DOMAIN.md, calibration: a session's participants and contributors change until it closes;
/// calibrated ratings change only inside an open session that includes the participant, and
/// never once the results are shared; contributors read the report only while the session is
/// open. Every refusal changes nothing.
#[tokio::test]
async fn calibration_sessions_are_edited_until_closed_and_ratings_move_only_inside_them() {
    let w = world(CycleSettings {
        calibration: true,
        ..shared_settings()
    })
    .await;
    let e = &w.engine;
    let packet = complete_unshared(&w).await;
    let score = |h| appraise::score::Score::from_hundredths(h);
    let invalid = |r: Result<appraise::Packet, Error>, says: &str| match r {
        Err(Error::Invalid { reason, .. }) => assert!(reason.contains(says), "{reason}"),
        other => panic!("expected a refusal saying {says:?}, got {other:?}"),
    };
    // No session yet, then a draft one: no rating moves.
    let before = w.storage.dump();
    invalid(
        e.set_calibrated_rating(id("kim"), packet, score(400)).await,
        "no open calibration session includes ann",
    );
    let session = e
        .create_calibration(id("kim"), w.cycle, "eng", [id("ann")], [id("bo")])
        .await
        .unwrap();
    invalid(
        e.set_calibrated_rating(id("kim"), packet, score(400)).await,
        "no open calibration session",
    );
    assert!(w.storage.dump() != before);
    // Members change while the session is not closed; the event says who came and went.
    let edited = e
        .edit_calibration(id("kim"), session.id(), [id("ann")], [id("dana")])
        .await
        .unwrap();
    assert_eq!(
        edited.contributors().iter().copied().collect::<Vec<_>>(),
        [id("dana")]
    );
    let log = e.audit_log(id("kim"), w.cycle, None, 10_000).await.unwrap();
    assert!(log.iter().any(|s| matches!(
        &s.event.kind,
        appraise::EventKind::CalibrationMembersChanged { contributors_added, contributors_removed, .. }
            if contributors_added == &[id("dana")] && contributors_removed == &[id("bo")]
    )));
    e.open_calibration(id("kim"), session.id()).await.unwrap();
    e.set_calibrated_rating(id("dana"), packet, score(450))
        .await
        .unwrap();
    e.calibration_report(id("dana"), session.id())
        .await
        .unwrap();
    e.close_calibration(id("kim"), session.id()).await.unwrap();
    // Closed: no more members, no more ratings, and the contributor's report is gone.
    let before = w.storage.dump();
    assert!(matches!(
        e.edit_calibration(id("kim"), session.id(), [id("ann")], [id("bo")])
            .await,
        Err(Error::Invalid { .. })
    ));
    invalid(
        e.set_calibrated_rating(id("kim"), packet, score(300)).await,
        "no open calibration session",
    );
    assert!(matches!(
        e.calibration_report(id("dana"), session.id()).await,
        Err(Error::Denied(_))
    ));
    e.calibration_report(id("kim"), session.id()).await.unwrap();
    assert_eq!(w.storage.dump(), before, "refusals change nothing");
    // Shared results are not recalibrated, even in a new open session.
    e.share(id("kim"), packet).await.unwrap();
    let again = e
        .create_calibration(id("kim"), w.cycle, "late", [id("ann")], [id("dana")])
        .await
        .unwrap();
    e.open_calibration(id("kim"), again.id()).await.unwrap();
    invalid(
        e.set_calibrated_rating(id("kim"), packet, score(300)).await,
        "unshare them first",
    );
}
