//! Commands and queries as data: every one round-trips through JSON (snapshotted, so a change
//! of the wire format shows in review), and a whole cycle runs through `execute` and `query`
//! with the outcomes and refusals of the typed methods.

use appraise::memory::RecordingNotifier;
use appraise::score::Score;
use appraise::views::screens::ReviewFilter;
use appraise::{
    AdminGrant, Answer, Answers, CalibrationSessionId, Command, CustomRole, CustomRoleId,
    CycleConfig, CycleId, CycleScope, Error, NominationId, Outcome, PacketId, PacketState,
    PeopleScope, Permission, Permissions, Query, Question, QuestionId, QuestionKind, ReviewId,
    ReviewKind, RoleGrant, Section, Template, TemplateId,
};
use chrono::{TimeZone, Utc};
use serde_json::json;

use crate::engine::{World, id, launched, period};

/// One of each command, with fixed ids.
fn every_command() -> Vec<Command> {
    let cycle = CycleId::from_key("cycle");
    let packet = PacketId::from_key("packet");
    let review = ReviewId::from_key("review");
    let nomination = NominationId::from_key("nomination");
    let session = CalibrationSessionId::from_key("session");
    let (kim, ann, bo) = (id("kim"), id("ann"), id("bo"));
    let grant = AdminGrant {
        since: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        past_cycles: false,
    };
    let role = CustomRoleId::from_key("hrbp");
    let answers = Answers::new()
        .with(
            QuestionId::from_key("summary"),
            Answer::Text("A good year".into()),
        )
        .with(QuestionId::from_key("rating"), Answer::Rating(4));
    let config = CycleConfig::new("H1 2026", period());
    let template = Template::new(TemplateId::from_key("template"), "Mid-year").section(
        Section::new("year", "Your year").question(
            Question::new(
                "summary",
                "How did it go?",
                QuestionKind::FreeText { max_len: None },
            )
            .answered_by([ReviewKind::SelfReview]),
        ),
    );
    use Command as C;
    vec![
        C::CreateCycle {
            config: config.clone(),
        },
        C::EditCycle { cycle, config },
        C::DeleteCycle { cycle },
        C::AddParticipants {
            cycle,
            people: vec![ann, bo],
        },
        C::Lock { cycle },
        C::Unlock { cycle },
        C::Close { cycle },
        C::Reopen { cycle },
        C::AddCollaborator { cycle, person: kim },
        C::RemoveCollaborator { cycle, person: kim },
        C::Launch { cycle },
        C::CreateTemplate {
            template: template.clone(),
        },
        C::UpdateTemplate { template },
        C::GrantAdmin { person: bo, grant },
        C::RevokeAdmin { person: bo },
        C::GrantGlobalViewer {
            viewer: kim,
            subject: ann,
        },
        C::RevokeGlobalViewer {
            viewer: kim,
            subject: ann,
        },
        C::GrantPastReviews {
            viewer: bo,
            subject: ann,
        },
        C::RevokePastReviews {
            viewer: bo,
            subject: ann,
        },
        C::DefineRole {
            role: CustomRole {
                id: role,
                name: "HR business partner".into(),
                permissions: Permissions::NONE.with(Permission::ViewAllReviews),
            },
        },
        C::GrantRole {
            person: kim,
            grant: RoleGrant {
                role,
                cycles: CycleScope::All,
                people: PeopleScope::SubtreeOf(bo),
            },
        },
        C::RevokeRole { person: kim, role },
        C::Nominate {
            packet,
            nominee: bo,
        },
        C::ApproveNomination {
            nomination,
            reason: None,
        },
        C::DenyNomination {
            nomination,
            reason: Some("works elsewhere".into()),
        },
        C::DeclineNomination {
            nomination,
            reason: None,
        },
        C::CloseNominations { packet },
        C::SaveDraft {
            review,
            answers: answers.clone(),
        },
        C::SubmitReview {
            review,
            answers: Some(answers),
        },
        C::Approve { packet },
        C::SendBack {
            packet,
            comment: "Add examples".into(),
        },
        C::Share { packet },
        C::Unshare { packet },
        C::Acknowledge {
            packet,
            comment: Some("Thanks".into()),
        },
        C::RecordMeeting { packet },
        C::AddParticipant { cycle, person: ann },
        C::RemoveParticipant { cycle, person: ann },
        C::PersonLeft { cycle, person: ann },
        C::ChangeManager {
            packet,
            manager: Some(kim),
        },
        C::ChangeManagerReviewer {
            packet,
            manager: None,
        },
        C::AddViewer {
            packet,
            person: kim,
        },
        C::RemoveViewer {
            packet,
            person: kim,
        },
        C::AddSharer {
            packet,
            person: kim,
        },
        C::RemoveSharer {
            packet,
            person: kim,
        },
        C::AssignReviewer {
            packet,
            kind: ReviewKind::Peer,
            person: kim,
        },
        C::RemoveReviewer { review },
        C::ReplaceReviewer {
            review,
            person: kim,
        },
        C::OpenManagerReview { packet },
        C::ReopenReview { review },
        C::RemoveFeedback { review },
        C::SendReminder { review },
        C::CreateCalibration {
            cycle,
            name: "Engineering".into(),
            participants: vec![ann],
            contributors: vec![bo],
        },
        C::EditCalibration {
            session,
            participants: vec![ann],
            contributors: vec![bo, kim],
        },
        C::OpenCalibration { session },
        C::CloseCalibration { session },
        C::SetCalibratedRating {
            packet,
            rating: Score::from_hundredths(375),
        },
    ]
}

/// One of each query, with fixed ids.
fn every_query() -> Vec<Query> {
    let cycle = CycleId::from_key("cycle");
    let packet = PacketId::from_key("packet");
    let review = ReviewId::from_key("review");
    let (ann, bo) = (id("ann"), id("bo"));
    use Query as Q;
    vec![
        Q::ReadReview { review },
        Q::ExplainRead { review },
        Q::Cycles,
        Q::ReviewForm { review },
        Q::ReviewsAbout {
            cycle,
            subject: ann,
        },
        Q::MyReviews { cycle },
        Q::PacketOf {
            cycle,
            subject: ann,
        },
        Q::Progress { cycle },
        Q::TeamProgress { cycle, manager: bo },
        Q::AuditLog {
            cycle,
            after: Some(10),
            limit: 50,
        },
        Q::StoreAuditLog {
            after: None,
            limit: 100,
        },
        Q::Template {
            template: TemplateId::from_key("template"),
        },
        Q::Score { packet },
        Q::History { subject: ann },
        Q::AggregatedResponses {
            packet,
            kind: ReviewKind::Peer,
        },
        Q::CalibrationReport {
            session: CalibrationSessionId::from_key("session"),
        },
        Q::ExportResultsCsv { cycle },
        Q::ReadableReviews {
            cycle,
            filter: ReviewFilter {
                subject: Some(ann),
                kind: Some(ReviewKind::Peer),
                state: None,
            },
            after: None,
            limit: 100,
        },
        Q::StatusBoard { cycle, manager: bo },
        Q::Inbox,
        Q::Preview {
            command: Box::new(Command::AddViewer { packet, person: bo }),
        },
    ]
}

#[test]
fn every_command_and_query_round_trips_through_json() {
    let mut lines = Vec::new();
    for command in every_command() {
        let text = serde_json::to_string(&command).unwrap();
        let back: Command = serde_json::from_str(&text).unwrap();
        assert_eq!(back, command, "{text}");
        lines.push(text);
    }
    for query in every_query() {
        let text = serde_json::to_string(&query).unwrap();
        let back: Query = serde_json::from_str(&text).unwrap();
        assert_eq!(back, query, "{text}");
        lines.push(text);
    }
    let tags: std::collections::BTreeSet<String> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.get("command").or(v.get("query")).unwrap().to_string()
        })
        .collect();
    assert_eq!(tags.len(), lines.len(), "each command and query once");
    insta::assert_snapshot!("commands_and_queries", lines.join("\n"));
}

#[test]
fn optional_fields_may_be_left_out_and_unknown_ones_are_refused() {
    let review = ReviewId::from_key("review");
    let command: Command =
        serde_json::from_value(json!({"command": "submit_review", "review": review})).unwrap();
    assert_eq!(
        command,
        Command::SubmitReview {
            review,
            answers: None
        }
    );
    let query: Query = serde_json::from_value(
        json!({"query": "readable_reviews", "cycle": CycleId::from_key("c")}),
    )
    .unwrap();
    assert_eq!(
        query,
        Query::ReadableReviews {
            cycle: CycleId::from_key("c"),
            filter: ReviewFilter::default(),
            after: None,
            limit: 100,
        }
    );
    let typo = serde_json::from_value::<Command>(json!({"command": "share", "pakcet": "x"}));
    assert!(typo.unwrap_err().to_string().contains("pakcet"));
    let unknown = serde_json::from_value::<Command>(json!({"command": "promote", "person": "x"}));
    assert!(unknown.unwrap_err().to_string().contains("promote"));
}

async fn run(w: &World, actor: &str, command: serde_json::Value) -> Result<Outcome, Error> {
    let command: Command = serde_json::from_value(command).expect("a command");
    w.engine.execute(id(actor), command).await
}

async fn ask(w: &World, reader: &str, query: serde_json::Value) -> Outcome {
    let query: Query = serde_json::from_value(query).expect("a query");
    w.engine.query(id(reader), query).await.expect("an answer")
}

fn answers(text: &str, rating: u8) -> serde_json::Value {
    let answers = Answers::new()
        .with(QuestionId::from_key("summary"), Answer::Text(text.into()))
        .with(QuestionId::from_key("rating"), Answer::Rating(rating));
    serde_json::to_value(answers).unwrap()
}

/// The reviews `reader` writes about `subject`, of `kind`, through the `my_reviews` query.
async fn my_review(w: &World, reader: &str, subject: &str, kind: ReviewKind) -> ReviewId {
    let Outcome::Reviews(reviews) =
        ask(w, reader, json!({"query": "my_reviews", "cycle": w.cycle})).await
    else {
        panic!("my_reviews answers with reviews");
    };
    reviews
        .iter()
        .find(|r| r.subject == id(subject) && r.kind == kind)
        .map(|r| r.id)
        .expect("the review")
}

#[tokio::test]
async fn a_cycle_runs_through_commands_as_json() {
    let w = launched(RecordingNotifier::new()).await;
    let Outcome::Packet(packet) = ask(
        &w,
        "kim",
        json!({"query": "packet_of", "cycle": w.cycle, "subject": id("ann")}),
    )
    .await
    else {
        panic!("packet_of answers with a packet");
    };
    let packet = packet.id();
    let Outcome::Nomination(n) = run(
        &w,
        "ann",
        json!({"command": "nominate", "packet": packet, "nominee": id("cy")}),
    )
    .await
    .unwrap() else {
        panic!("nominate answers with the nomination");
    };
    run(
        &w,
        "bo",
        json!({"command": "approve_nomination", "nomination": n.id()}),
    )
    .await
    .unwrap();
    run(
        &w,
        "lee",
        json!({"command": "close_nominations", "packet": packet}),
    )
    .await
    .unwrap();
    let own = my_review(&w, "ann", "ann", ReviewKind::SelfReview).await;
    let submitted =
        json!({"command": "submit_review", "review": own, "answers": answers("my year", 4)});
    let Outcome::Review(view) = run(&w, "ann", submitted).await.unwrap() else {
        panic!("submit_review answers with the review");
    };
    assert_eq!(view.id, own);
    let peer = my_review(&w, "cy", "ann", ReviewKind::Peer).await;
    run(
        &w,
        "cy",
        json!({"command": "submit_review", "review": peer, "answers": answers("cy on ann", 4)}),
    )
    .await
    .unwrap();
    let manager = my_review(&w, "bo", "ann", ReviewKind::Manager).await;
    run(
        &w,
        "bo",
        json!({"command": "submit_review", "review": manager, "answers": answers("strong", 5)}),
    )
    .await
    .unwrap();
    // A refusal through `execute` is the typed method's, word for word.
    let typed = w.engine.share(id("ann"), packet).await.unwrap_err();
    let as_data = run(&w, "ann", json!({"command": "share", "packet": packet}))
        .await
        .unwrap_err();
    assert_eq!(
        (as_data.code(), as_data.to_string()),
        (typed.code(), typed.to_string())
    );
    run(&w, "bo", json!({"command": "share", "packet": packet}))
        .await
        .unwrap();
    let Outcome::Packet(acknowledged) = run(
        &w,
        "ann",
        json!({"command": "acknowledge", "packet": packet, "comment": "Thanks"}),
    )
    .await
    .unwrap() else {
        panic!("acknowledge answers with the packet");
    };
    assert_eq!(acknowledged.state(), PacketState::Acknowledged);
    // The answers as data equal the typed reads.
    let Outcome::Review(read) =
        ask(&w, "bo", json!({"query": "read_review", "review": peer})).await
    else {
        panic!("read_review answers with a review");
    };
    assert_eq!(*read, w.engine.read_review(id("bo"), peer).await.unwrap());
    // Views carry display names next to ids, the author's only where the author is shown.
    assert_eq!(read.subject_name.as_deref(), Some("ann"));
    assert_eq!(read.author.is_some(), read.author_name.is_some());
    let Outcome::Inbox(inbox) = ask(&w, "bo", json!({"query": "inbox"})).await else {
        panic!("inbox answers with an inbox");
    };
    assert_eq!(*inbox, w.engine.inbox(id("bo")).await.unwrap());
    let Outcome::Csv { rows, csv } = ask(
        &w,
        "kim",
        json!({"query": "export_results_csv", "cycle": w.cycle}),
    )
    .await
    else {
        panic!("the export answers with CSV");
    };
    assert_eq!(csv.lines().count(), rows + 1, "a header and a line per row");
    // Outcomes serialise with their kind beside the value.
    let done = run(
        &w,
        "kim",
        json!({"command": "send_reminder", "review": peer}),
    )
    .await;
    let text = match done {
        Ok(outcome) => serde_json::to_value(outcome).unwrap(),
        Err(e) => serde_json::to_value(e).unwrap(),
    };
    assert!(
        text.get("outcome").is_some() || text.get("code").is_some(),
        "{text}"
    );
    let launch = serde_json::to_value(Outcome::Launch(appraise::LaunchReport {
        packets: 3,
        reviews: 9,
        people: 12,
    }))
    .unwrap();
    assert_eq!(
        launch,
        json!({"outcome": "launch", "value": {"packets": 3, "reviews": 9, "people": 12}})
    );
    // The JSON of the views of this cycle (which has no templates: a template's JSON is in
    // the command snapshot, aggregated responses in `content`), as its readers get them, and of every audit event it wrote (in
    // the audit log's answer): each reads back as itself, and the snapshot shows a change of
    // the wire format in review.
    let views = [
        ("bo", json!({"query": "read_review", "review": peer})),
        ("ann", json!({"query": "explain_read", "review": peer})),
        ("ann", json!({"query": "cycles"})),
        (
            "bo",
            json!({"query": "reviews_about", "cycle": w.cycle, "subject": id("ann")}),
        ),
        ("ann", json!({"query": "my_reviews", "cycle": w.cycle})),
        (
            "ann",
            json!({"query": "packet_of", "cycle": w.cycle, "subject": id("ann")}),
        ),
        ("kim", json!({"query": "progress", "cycle": w.cycle})),
        (
            "bo",
            json!({"query": "team_progress", "cycle": w.cycle, "manager": id("bo")}),
        ),
        ("bo", json!({"query": "score", "packet": packet})),
        ("ann", json!({"query": "history", "subject": id("ann")})),
        (
            "bo",
            json!({"query": "readable_reviews", "cycle": w.cycle, "limit": 100}),
        ),
        (
            "bo",
            json!({"query": "status_board", "cycle": w.cycle, "manager": id("bo")}),
        ),
        ("ann", json!({"query": "inbox"})),
        (
            "kim",
            json!({"query": "preview", "command":
            {"command": "add_viewer", "packet": packet, "person": id("cy")}}),
        ),
        (
            "kim",
            json!({"query": "audit_log", "cycle": w.cycle, "limit": 1000}),
        ),
    ];
    let mut lines = Vec::new();
    for (reader, query) in views {
        let outcome = ask(&w, reader, query.clone()).await;
        let text = serde_json::to_value(&outcome).unwrap();
        assert_eq!(
            serde_json::from_value::<Outcome>(text.clone()).unwrap(),
            outcome,
            "{query}"
        );
        let mut shown = text;
        in_stable_order(&mut shown);
        lines.push(format!("{reader} {query}\n{shown}"));
    }
    insta::assert_snapshot!("views_and_events", numbered_ids(&lines.join("\n\n")));
}

/// Sorts every list of objects by their content with ids masked: the peer review's id is made
/// at random, and lists are in id order, so the snapshot shows the shapes in an order that
/// does not depend on it.
fn in_stable_order(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(in_stable_order);
            if items.iter().all(serde_json::Value::is_object) {
                items.sort_by_cached_key(|i| masked_ids(&i.to_string()));
            }
        }
        serde_json::Value::Object(fields) => fields.values_mut().for_each(in_stable_order),
        _ => {}
    }
}

/// `text` with every UUID replaced by `<id>`.
fn masked_ids(text: &str) -> String {
    replace_ids(text, |_| "<id>".to_owned())
}

/// `text` with each UUID replaced by `<id N>`, N counting distinct ids in order of
/// appearance, so a snapshot does not depend on ids made at random.
fn numbered_ids(text: &str) -> String {
    let mut seen = Vec::<String>::new();
    replace_ids(text, |id| {
        let n = seen.iter().position(|s| s == id).unwrap_or_else(|| {
            seen.push(id.to_owned());
            seen.len() - 1
        });
        format!("<id {n}>")
    })
}

/// `text` with each UUID replaced by what `with` makes of it.
fn replace_ids(text: &str, mut with: impl FnMut(&str) -> String) -> String {
    let is_uuid = |s: &[u8]| {
        s.len() == 36
            && s.iter().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => *b == b'-',
                _ => b.is_ascii_hexdigit(),
            })
    };
    let (bytes, mut out) = (text.as_bytes(), String::new());
    let mut i = 0;
    while i < bytes.len() {
        if i + 36 <= bytes.len() && is_uuid(&bytes[i..i + 36]) {
            out.push_str(&with(&text[i..i + 36]));
            i += 36;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Hosts run commands and queries on multi-threaded runtimes (axum, `tokio::spawn`), so their
/// futures must be `Send`: this does not compile otherwise.
#[allow(dead_code)]
fn futures_are_send(engine: &appraise::Engine, actor: appraise::PersonId) {
    fn send<T: Send>(_: T) {}
    send(engine.execute(
        actor,
        Command::Lock {
            cycle: CycleId::random(),
        },
    ));
    send(engine.query(actor, Query::Inbox));
}

/// Writing windows are a map from review kind to window; the array earlier versions stored
/// still reads; a misspelt kind is named.
#[test]
fn windows_are_keyed_by_review_kind() {
    use appraise::{Window, Windows};
    let opens = Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap();
    let due = Utc.with_ymd_and_hms(2026, 7, 15, 17, 0, 0).unwrap();
    let window = Window { opens, due };
    let windows = Windows::default().with(ReviewKind::Peer, window);
    let text = serde_json::to_value(windows).unwrap();
    assert_eq!(
        text,
        json!({"peer": {"opens": "2026-07-01T09:00:00Z", "due": "2026-07-15T17:00:00Z"}})
    );
    assert_eq!(serde_json::from_value::<Windows>(text).unwrap(), windows);
    let legacy =
        json!({"by_kind": [null, null, null, serde_json::to_value(window).unwrap(), null]});
    assert_eq!(serde_json::from_value::<Windows>(legacy).unwrap(), windows);
    let typo = serde_json::from_value::<Windows>(json!({"peers": {"opens": opens, "due": due}}));
    assert!(
        typo.unwrap_err()
            .to_string()
            .contains("`peers` is not a review kind")
    );
}

/// Ratings and bands are decimal numbers: `4.25` reads and writes as 4.25, a whole number as
/// that many points, and a number a score cannot hold is refused, never rounded.
#[test]
fn scores_are_decimal_numbers() {
    use appraise::score::Band;
    assert_eq!(
        serde_json::to_value(Score::from_hundredths(425)).unwrap(),
        json!(4.25)
    );
    assert_eq!(
        serde_json::to_value(Score::from_points(4)).unwrap(),
        json!(4.0)
    );
    for (text, hundredths) in [
        ("4.25", 425),
        ("4", 400),
        ("3.33", 333),
        ("0", 0),
        ("0.07", 7),
    ] {
        let score: Score = serde_json::from_str(text).unwrap();
        assert_eq!(score, Score::from_hundredths(hundredths), "{text}");
        let again = serde_json::to_string(&score).unwrap();
        assert_eq!(
            serde_json::from_str::<Score>(&again).unwrap(),
            score,
            "{again}"
        );
    }
    for text in ["4.255", "-1", "655.36", "1e9", "\"4.25\""] {
        let refused = serde_json::from_str::<Score>(text);
        assert!(refused.is_err(), "{text} was read as {refused:?}");
    }
    let message = serde_json::from_str::<Score>("4.255")
        .unwrap_err()
        .to_string();
    assert!(message.contains("at most two decimals"), "{message}");
    let band: Band = serde_json::from_value(json!({"from": 4.5, "label": "exceptional"})).unwrap();
    assert_eq!(band, Band::new(450, "exceptional"));
    let command: Command = serde_json::from_value(json!({
        "command": "set_calibrated_rating",
        "packet": PacketId::from_uuid(uuid::Uuid::nil()),
        "rating": 3.75,
    }))
    .unwrap();
    assert_eq!(
        serde_json::to_value(&command).unwrap()["rating"],
        json!(3.75)
    );
}

/// Answers may name their questions by key: they read as the ids the template gives them.
#[test]
fn answers_may_name_questions_by_key() {
    let by_id = Answers::new()
        .with(
            QuestionId::from_key("summary"),
            Answer::Text("A good year".into()),
        )
        .with(QuestionId::from_key("rating"), Answer::Rating(4));
    let text = serde_json::to_value(&by_id).unwrap();
    let by_key = json!({
        "summary": text[QuestionId::from_key("summary").to_string()],
        "rating": text[QuestionId::from_key("rating").to_string()],
    });
    assert_eq!(serde_json::from_value::<Answers>(by_key).unwrap(), by_id);
    assert_eq!(
        serde_json::from_value::<Answers>(text.clone()).unwrap(),
        by_id
    );
    let twice = json!({
        "summary": text[QuestionId::from_key("summary").to_string()],
        QuestionId::from_key("summary").to_string(): text[QuestionId::from_key("summary").to_string()],
    });
    let refused = serde_json::from_value::<Answers>(twice).unwrap_err();
    assert!(refused.to_string().contains("answered twice"), "{refused}");
}

/// Before launch there is no org snapshot to name people from: refusals name them from the
/// directory all the same, never by id.
#[tokio::test]
async fn refusals_before_launch_name_people_by_display_name() {
    let w = crate::engine::launched(RecordingNotifier::new()).await;
    let draft = w
        .engine
        .create_cycle(id("kim"), CycleConfig::new("H2 2026", period()))
        .await
        .unwrap();
    let checks = [
        w.engine
            .create_cycle(id("ann"), CycleConfig::new("Mine", period()))
            .await
            .map(drop),
        w.engine.lock(id("ann"), draft.id()).await.map(drop),
        w.engine.launch(id("ann"), draft.id()).await.map(drop),
        w.engine.progress(id("ann"), draft.id()).await.map(drop),
        w.engine
            .grant_global_viewer(id("ann"), id("ann"), id("bo"))
            .await,
    ];
    for refused in checks {
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("ann"), "{message}");
        assert!(!message.contains(&id("ann").to_string()), "{message}");
    }
}

/// One audit event of every kind, with fixed ids: each reads back as itself, the snapshot
/// shows the JSON of each, and every kind the event schema lists is among them.
#[test]
fn every_event_kind_round_trips_through_json() {
    use appraise::{
        AssignmentRole, CalibrationSessionId, Event, EventKind as K, FieldChange, GrantChange,
        NominationId, NominationState, ReminderKind,
    };
    let (ann, bo, cy) = (id("ann"), id("bo"), id("cy"));
    let packet = PacketId::from_uuid(uuid::Uuid::from_u128(1));
    let review = ReviewId::from_uuid(uuid::Uuid::from_u128(2));
    let nomination = NominationId::from_uuid(uuid::Uuid::from_u128(3));
    let session = CalibrationSessionId::from_uuid(uuid::Uuid::from_u128(4));
    let template = TemplateId::from_key("annual");
    let (assigned, shared) = (PacketState::Writing, PacketState::Shared);
    let kinds = vec![
        K::CycleCreated { name: "H1".into() },
        K::CycleEdited {
            changes: vec![FieldChange {
                field: "settings.anonymity_threshold".into(),
                before: "3".into(),
                after: "4".into(),
            }],
        },
        K::ParticipantsSet {
            added: vec![ann],
            removed: vec![bo],
            count: 1,
        },
        K::CycleDeleted,
        K::CycleLaunched { packets: 3 },
        K::CycleClosed,
        K::CycleReopened,
        K::CycleLocked,
        K::CycleUnlocked,
        K::CollaboratorAdded { person: bo },
        K::CollaboratorRemoved { person: bo },
        K::PacketCreated {
            packet,
            subject: ann,
            assigned: vec![(review, ReviewKind::SelfReview, ann)],
        },
        K::PacketMoved {
            packet,
            subject: ann,
            from: assigned,
            to: shared,
        },
        K::PacketWithdrawn {
            packet,
            subject: ann,
        },
        K::RoleAdded {
            packet,
            role: AssignmentRole::Viewer,
            person: cy,
        },
        K::RoleRemoved {
            packet,
            role: AssignmentRole::Sharer,
            person: cy,
        },
        K::ReviewerRemoved {
            review,
            kind: ReviewKind::Peer,
            author: cy,
        },
        K::ManagerReviewerNeeded {
            packet,
            subject: ann,
            left: bo,
        },
        K::JoinedOrg {
            person: cy,
            manager: Some(bo),
        },
        K::ManagerChanged {
            packet,
            subject: ann,
            from: Some(bo),
            to: None,
        },
        K::ManagerReviewerChanged {
            packet,
            subject: ann,
            from: None,
            to: Some(cy),
        },
        K::GateOpened { packet },
        K::ApprovalGiven {
            packet,
            step: 1,
            done: false,
        },
        K::SentBack {
            packet,
            comment: "more detail".into(),
            from: shared,
            to: assigned,
        },
        K::Acknowledged {
            packet,
            comment: None,
            from: shared,
            to: PacketState::Acknowledged,
        },
        K::ReviewAssigned {
            review,
            kind: ReviewKind::Upward,
            author: ann,
            subject: bo,
        },
        K::ReviewDraftSaved { review },
        K::ReviewSubmitted {
            review,
            kind: ReviewKind::Manager,
            subject: ann,
        },
        K::ReviewReopened { review },
        K::ReviewCancelled { review },
        K::FeedbackRemoved { review },
        K::NominationCreated {
            nomination,
            subject: ann,
            nominee: cy,
        },
        K::NominationDecided {
            nomination,
            state: NominationState::Denied,
            reason: Some("too many".into()),
        },
        K::CalibrationCreated { session },
        K::CalibrationMoved {
            session,
            open: true,
        },
        K::CalibrationMembersChanged {
            session,
            participants_added: vec![ann],
            participants_removed: vec![],
            contributors_added: vec![bo],
            contributors_removed: vec![cy],
        },
        K::CalibratedRatingChanged {
            packet,
            subject: ann,
            original: Some(Score::from_hundredths(375)),
            from: None,
            to: Score::from_hundredths(425),
        },
        K::MeetingRecorded {
            packet,
            subject: ann,
        },
        K::ReminderSent {
            review,
            author: cy,
            kind: ReminderKind::Overdue,
        },
        K::ReminderRequested { review, author: cy },
        K::ParticipantAdded {
            packet,
            subject: cy,
        },
        K::PersonLeft { person: bo },
        K::TemplateSaved {
            template,
            name: "Annual".into(),
        },
        K::GrantChanged {
            change: GrantChange::AdminRevoked { person: bo },
        },
    ];
    let at = Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap();
    let cycle = CycleId::from_key("H1");
    let mut lines = Vec::new();
    let mut tags = std::collections::BTreeSet::new();
    for kind in kinds {
        let event = Event::new(at, Some(bo), Some(cycle), kind);
        let text = serde_json::to_value(&event).unwrap();
        assert_eq!(
            serde_json::from_value::<Event>(text.clone()).unwrap(),
            event
        );
        tags.insert(text["kind"]["type"].as_str().unwrap().to_owned());
        lines.push(text.to_string());
    }
    insta::assert_snapshot!("every_event", lines.join("\n"));
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/event.json")).unwrap();
    let listed: std::collections::BTreeSet<String> = schema["$defs"]["EventKind"]["oneOf"]
        .as_array()
        .expect("the schema lists the kinds")
        .iter()
        .filter_map(|v| v["properties"]["type"]["const"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(tags, listed, "one event of each kind the schema lists");
}
