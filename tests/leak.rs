//! The leak test (DOMAIN.md, "Everything derived from reviews obeys R-READ"): random worlds
//! built through the public `Engine`, every read method called as every person, each output
//! (errors included) turned into text and searched for what the reader must not see.
//!
//! Every answer carries a unique marker (`PUB-<review>` for a public question, `PRIV-<review>`
//! for a private one), so a leaked answer is found by a plain search. The judge is written
//! from DOMAIN.md, independently of `decide`: R-READ from the naive oracle (`tests/oracle.rs`),
//! leavers read nothing, and private answers reach only the author, R-READ-4 readers, the
//! manager, additional managers and the chain, and approvers.
//!
//! 256 worlds a run; `APPRAISE_LEAK_WORLDS` raises it.

use std::collections::BTreeMap;
use std::sync::Arc;

use appraise::memory::{MemoryStorage, RecordingNotifier, StaticDirectory};
use appraise::plugin::{ManualClock, Storage, StorageExt};
use appraise::score::Score;
use appraise::{
    AdminGrant, Answer, Answers, ApprovalStep, CalibrationSessionId, Command, CustomRole,
    CustomRoleId, CycleConfig, CycleScope, CycleSettings, Department, DepartmentId, Engine, Error,
    Grants, PacketId, PacketState, PeopleScope, Permission, Person, PersonId, Question, QuestionId,
    QuestionKind, Review, ReviewId, ReviewKind, ReviewState, RoleGrant, Section, Template,
    TemplateId,
};
use chrono::{TimeZone, Utc};

use appraise::views::screens::ReviewFilter;

use crate::oracle;
use crate::world::{Rng, World};

fn person(i: usize) -> PersonId {
    PersonId::from_key(&format!("p{i}"))
}

pub(crate) fn hr() -> PersonId {
    PersonId::from_key("hr")
}

pub(crate) fn stranger() -> PersonId {
    PersonId::from_key("stranger")
}

fn marker(kind: &str, review: ReviewId) -> String {
    format!("{kind}-{review}")
}

/// Public and private free text for every kind; the manager's summary section last.
fn template() -> Template {
    let all = ReviewKind::ALL;
    Template::new(TemplateId::from_key("leak"), "leak")
        .section(
            Section::new("words", "Words")
                .question(
                    Question::new("public", "Say it", QuestionKind::FreeText { max_len: None })
                        .answered_by(all),
                )
                .question(
                    Question::new(
                        "private",
                        "Between us",
                        QuestionKind::FreeText { max_len: None },
                    )
                    .answered_by(all)
                    .private(),
                ),
        )
        .section(crate::engine::manager_summary())
}

/// A world built through the engine, and the raw facts the judge needs.
pub(crate) struct Built {
    pub(crate) engine: Engine,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) departments: Vec<Department>,
    pub(crate) notifier: Arc<RecordingNotifier>,
    pub(crate) cycle: appraise::CycleId,
    pub(crate) people: Vec<Person>,
    pub(crate) admins: Vec<(PersonId, AdminGrant)>,
    pub(crate) global_viewers: Vec<(PersonId, PersonId)>,
    pub(crate) roles: Vec<CustomRole>,
    pub(crate) role_grants: Vec<(PersonId, RoleGrant)>,
    pub(crate) left: Option<PersonId>,
    /// Each calibrated rating set, by subject (the last one set).
    pub(crate) calibrated: BTreeMap<PersonId, Score>,
    pub(crate) sessions: Vec<CalibrationSessionId>,
    /// What each command returned to its actor: (actor, command, subject, output as text).
    pub(crate) returned: Vec<(PersonId, &'static str, Option<PersonId>, String)>,
}

/// A command's result as text (errors included), for the search.
fn text<T: serde::Serialize>(r: &Result<T, Error>) -> String {
    match r {
        Ok(v) => serde_json::to_string(v).unwrap(),
        // The message, the debug form and the JSON a host would send (but its HTTP status,
        // a function of its code that carries nothing and looks like a rating in hundredths).
        Err(e) => {
            let mut json = serde_json::to_value(e).unwrap();
            json.as_object_mut().unwrap().remove("status");
            format!("{e} {e:?} {json}")
        }
    }
}

pub(crate) async fn build(seed: u64) -> Built {
    build_on(seed, Arc::new(MemoryStorage::new())).await
}

/// [`build`] on this storage.
pub(crate) async fn build_on(seed: u64, storage: Arc<dyn Storage>) -> Built {
    let mut rng = Rng::new(seed);
    let n = 6 + rng.below(6);
    let mut people = vec![Person::new(hr(), "hr")];
    // Two departments, each headed by someone; most people belong to one.
    let departments: Vec<Department> = ["north", "south"]
        .iter()
        .map(|k| Department::new(DepartmentId::from_key(k), *k).with_head(person(rng.below(n))))
        .collect();
    for i in 0..n {
        let mut p = Person::new(person(i), format!("p{i}"));
        if i > 0 {
            p = p.with_manager(person(rng.below(i)));
        }
        if rng.chance(80) {
            p = p.with_department(departments[rng.below(2)].id);
        }
        people.push(p);
    }
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
    let notifier = Arc::new(RecordingNotifier::new());
    let engine = Engine::builder()
        .storage(Arc::clone(&storage))
        .notifier(Arc::clone(&notifier))
        .directory(StaticDirectory::new(people.clone(), departments.clone()))
        .clock(clock.clone())
        .build();
    let since = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let grant = AdminGrant {
        since,
        past_cycles: true,
    };
    engine.bootstrap_admin(hr(), grant).await.unwrap();
    let mut admins = vec![(hr(), grant)];
    engine.create_template(hr(), template()).await.unwrap();
    let settings = CycleSettings {
        anonymous_peer: rng.chance(70),
        anonymous_upward: rng.chance(70),
        share_peer_with_subject: rng.chance(60),
        share_upward_with_subject: rng.chance(60),
        anonymity_threshold: 1 + rng.below(3) as u16,
        nomination_approval: rng.chance(40),
        max_peers: 4,
        calibration: rng.chance(50),
        approval_required: rng.chance(40),
        approval_chain: (0..1 + rng.below(2))
            .map(|_| {
                rng.pick(&[
                    ApprovalStep::Admins,
                    ApprovalStep::ManagersManager,
                    ApprovalStep::NthLevelUp(1),
                    ApprovalStep::DepartmentHead,
                ])
            })
            .collect(),
        ..CycleSettings::default()
    };
    let mut returned = Vec::new();
    let period = appraise::Period {
        start: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
    };
    let config = CycleConfig::new("leak", period)
        .with_settings(settings.clone())
        .with_template(template().id, ReviewKind::ALL);
    let cycle = engine.create_cycle(hr(), config).await.unwrap().id();
    let participants: Vec<PersonId> = (0..n).map(person).filter(|_| rng.chance(75)).collect();
    let participants = if participants.len() < 2 {
        vec![person(0), person(1)]
    } else {
        participants
    };
    engine
        .add_participants(hr(), cycle, participants.clone())
        .await
        .unwrap();
    engine.launch(hr(), cycle).await.unwrap();

    // Assignments: peers by nomination, viewers and sharers, an admin among the participants,
    // a global viewer.
    let everyone: Vec<PersonId> = (0..n).map(person).collect();
    let mut packets: Vec<PacketId> = Vec::new();
    for &s in &participants {
        let packet = engine.packet_of(hr(), cycle, s).await.unwrap().id();
        packets.push(packet);
        for _ in 0..rng.below(4) {
            let r = engine.nominate(s, packet, rng.pick(&everyone)).await;
            returned.push((s, "nominate", Some(s), text(&r)));
        }
        // With approval on, some nominations are approved, some denied, some left pending.
        if settings.nomination_approval {
            for n in storage.nominations(packet).await.unwrap() {
                let id = n.record.id();
                if rng.chance(40) {
                    let r = engine.approve_nomination(hr(), id, None).await;
                    returned.push((hr(), "approve_nomination", Some(s), text(&r)));
                } else if rng.chance(30) {
                    let r = engine.deny_nomination(hr(), id, Some("no")).await;
                    returned.push((hr(), "deny_nomination", Some(s), text(&r)));
                }
            }
        }
        if rng.chance(30) {
            let r = engine.add_viewer(hr(), packet, rng.pick(&everyone)).await;
            returned.push((hr(), "add_viewer", Some(s), text(&r)));
        }
        if rng.chance(30) {
            let r = engine.add_sharer(hr(), packet, rng.pick(&everyone)).await;
            returned.push((hr(), "add_sharer", Some(s), text(&r)));
        }
        let r = engine.close_nominations(hr(), packet).await;
        returned.push((hr(), "close_nominations", Some(s), text(&r)));
        r.unwrap();
        // Sometimes a peer is replaced, or removed, before anyone writes.
        if rng.chance(30) {
            let peer_reviews: Vec<_> = storage
                .reviews_about(cycle, s)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.record.kind() == ReviewKind::Peer)
                .collect();
            if let Some(r) = peer_reviews.first() {
                let id = r.record.id();
                if rng.chance(50) {
                    let done = engine.replace_reviewer(hr(), id, rng.pick(&everyone)).await;
                    returned.push((hr(), "replace_reviewer", Some(s), text(&done)));
                } else {
                    let done = engine.remove_reviewer(hr(), id).await;
                    returned.push((hr(), "remove_reviewer", Some(s), text(&done)));
                }
            }
        }
    }
    if rng.chance(50) {
        let p = rng.pick(&participants);
        engine.grant_admin(hr(), p, grant).await.unwrap();
        admins.push((p, grant));
    }
    let mut global_viewers = Vec::new();
    if rng.chance(40) {
        let (v, s) = (rng.pick(&everyone), rng.pick(&participants));
        if engine.grant_global_viewer(hr(), v, s).await.is_ok() {
            global_viewers.push((v, s));
        }
    }
    // Custom roles: random permissions, granted with everyone or a subtree in scope.
    let (mut roles, mut role_grants) = (Vec::new(), Vec::new());
    for r in 0..rng.below(3) {
        let role = CustomRole {
            id: CustomRoleId::from_key(&format!("role{r}")),
            name: format!("role{r}"),
            permissions: Permission::ALL
                .into_iter()
                .filter(|_| rng.chance(50))
                .collect(),
        };
        engine.define_role(hr(), role.clone()).await.unwrap();
        roles.push(role.clone());
        let holder = rng.pick(&everyone);
        let grant = RoleGrant {
            role: role.id,
            cycles: CycleScope::All,
            people: if rng.chance(50) {
                PeopleScope::Everyone
            } else {
                PeopleScope::SubtreeOf(rng.pick(&everyone))
            },
        };
        if engine.grant_role(hr(), holder, grant.clone()).await.is_ok() {
            role_grants.push((holder, grant));
        }
    }

    // Reviews: self reviews first (gating), then the others, each with its markers.
    for round in [ReviewKind::SelfReview, ReviewKind::Peer] {
        for &p in everyone.iter().chain([hr()].iter()) {
            for r in engine.my_reviews(p, cycle).await.unwrap() {
                let first = r.kind == ReviewKind::SelfReview;
                if first != (round == ReviewKind::SelfReview) || !rng.chance(75) {
                    continue;
                }
                let mut answers = Answers::new()
                    .with(
                        QuestionId::from_key("public"),
                        Answer::Text(marker("PUB", r.id)),
                    )
                    .with(
                        QuestionId::from_key("private"),
                        Answer::Text(marker("PRIV", r.id)),
                    );
                if r.kind == ReviewKind::Manager {
                    answers = answers
                        .with(QuestionId::from_key("consolidated"), Answer::Rating(3))
                        .with(
                            QuestionId::from_key("next"),
                            Answer::Choice("keep growing".into()),
                        );
                }
                let done = engine.submit_review(p, r.id, Some(answers)).await;
                returned.push((p, "submit_review", Some(r.subject), text(&done)));
            }
        }
    }
    // Calibration: a session over some participants, with contributors from anyone; each
    // calibrated rating unique to its participant (so a plain search finds it); sometimes
    // closed again.
    let mut calibrated = BTreeMap::new();
    let mut sessions = Vec::new();
    if settings.calibration {
        let members: Vec<PersonId> = participants
            .iter()
            .copied()
            .filter(|_| rng.chance(70))
            .collect();
        let contributors: Vec<PersonId> =
            (0..1 + rng.below(3)).map(|_| rng.pick(&everyone)).collect();
        let session = engine
            .create_calibration(hr(), cycle, "leak", members.clone(), contributors.clone())
            .await;
        returned.push((hr(), "create_calibration", None, text(&session)));
        if let Ok(session) = session {
            sessions.push(session.id());
            let opened = engine.open_calibration(hr(), session.id()).await;
            returned.push((hr(), "open_calibration", None, text(&opened)));
            for &m in &members {
                let i = participants.iter().position(|p| *p == m).unwrap();
                let score = Score::from_hundredths(401 + 7 * i as u16);
                let actor = if rng.chance(50) {
                    hr()
                } else {
                    rng.pick(&contributors)
                };
                let packet = packets[i];
                let r = engine.set_calibrated_rating(actor, packet, score).await;
                if r.is_ok() {
                    calibrated.insert(m, score);
                }
                returned.push((actor, "set_calibrated_rating", Some(m), text(&r)));
            }
            if rng.chance(60) {
                let closed = engine.close_calibration(hr(), session.id()).await;
                returned.push((hr(), "close_calibration", None, text(&closed)));
            }
        }
    }
    // Approval: whoever tries, sometimes sending back.
    let mut tryers: Vec<PersonId> = everyone.clone();
    tryers.push(hr());
    for _ in 0..3 {
        for (&packet, &s) in packets.iter().zip(&participants) {
            let actor = rng.pick(&tryers);
            let r = if rng.chance(10) {
                engine.send_back(actor, packet, "again").await
            } else {
                engine.approve(actor, packet).await
            };
            returned.push((actor, "approve", Some(s), text(&r)));
        }
    }
    for (&packet, &s) in packets.iter().zip(&participants) {
        if rng.chance(50) {
            let r = engine.share(hr(), packet).await;
            returned.push((hr(), "share", Some(s), text(&r)));
            if r.is_ok() && rng.chance(50) {
                let r = engine.acknowledge(s, packet, Some("ok")).await;
                returned.push((s, "acknowledge", Some(s), text(&r)));
            }
        }
    }
    let left = if rng.chance(30) {
        let p = rng.pick(&everyone);
        engine.person_left(hr(), cycle, p).await.unwrap();
        Some(p)
    } else {
        None
    };
    Built {
        engine,
        storage,
        departments,
        notifier,
        cycle,
        people,
        admins,
        global_viewers,
        roles,
        role_grants,
        left,
        calibrated,
        sessions,
        returned,
    }
}

/// The judge's view of the world: the records as stored, and the raw grants as given.
pub(crate) async fn judge_world(b: &Built) -> World {
    let cycle = b.storage.cycle(b.cycle).await.unwrap().record;
    let org = b.storage.org(b.cycle).await.unwrap().record;
    let packets: Vec<_> = b
        .storage
        .packets(b.cycle, None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.record)
        .collect();
    let mut reviews = Vec::new();
    for p in &packets {
        for r in b.storage.reviews_about(b.cycle, p.subject()).await.unwrap() {
            reviews.push(r.record);
        }
    }
    let calibrations = b
        .storage
        .calibrations(b.cycle)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.record)
        .collect();
    World {
        seed: 0,
        people: b.people.clone(),
        departments: b.departments.clone(),
        org,
        cycle,
        grants: Grants::new(),
        packets,
        reviews,
        calibrations,
        nominations: Vec::new(),
        now: Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap(),
        admin_grants: b.admins.clone(),
        global_viewers: b.global_viewers.clone(),
        past_viewers: Vec::new(),
        additional_managers: Default::default(),
        current_additional: Vec::new(),
        left: Vec::new(),
        roles: b.roles.clone(),
        role_grants: b.role_grants.clone(),
        stranger: stranger(),
    }
}

/// What `reader` may receive of `review`: (its content, its private answers, its author).
fn entitled(
    w: &World,
    left: Option<PersonId>,
    reader: PersonId,
    review: &Review,
) -> (bool, bool, bool) {
    if left == Some(reader) {
        return (false, false, false);
    }
    let answer = oracle::read(w, reader, review);
    if !answer.allowed {
        return (false, false, false);
    }
    let packet = w
        .packets
        .iter()
        .find(|p| p.id() == review.packet())
        .unwrap();
    let s = packet.subject();
    let private = match answer.rule {
        1 | 4 | 8 => true,
        5 => {
            packet.manager() == Some(reader)
                || packet.former_managers().contains(&reader)
                || packet.default_additional_manager() == Some(reader)
                || packet.additional_managers().contains(&reader)
                || oracle::is_strict_ancestor(w, reader, s)
        }
        _ => false,
    };
    (true, private, !answer.hidden)
}

/// Every read of the engine as `reader`, each output as text, by method, with the
/// participant it is about (when it is about one).
async fn outputs(
    b: &Built,
    w: &World,
    reader: PersonId,
) -> Vec<(&'static str, Option<PersonId>, String)> {
    let e = &b.engine;
    let c = b.cycle;
    let mut out = Vec::new();
    for r in &w.reviews {
        let s = Some(r.subject());
        out.push(("read_review", s, text(&e.read_review(reader, r.id()).await)));
        out.push((
            "explain_read",
            s,
            text(&e.explain_read(reader, r.id()).await),
        ));
        out.push(("review_form", s, text(&e.review_form(reader, r.id()).await)));
    }
    for p in &w.packets {
        let s = Some(p.subject());
        let reviews = e.reviews_about(reader, c, p.subject()).await;
        out.push(("reviews_about", s, text(&reviews)));
        out.push((
            "packet_of",
            s,
            text(&e.packet_of(reader, c, p.subject()).await),
        ));
        out.push(("score", s, text(&e.score(reader, p.id()).await)));
        out.push(("history", s, text(&e.history(reader, p.subject()).await)));
        for kind in [ReviewKind::Peer, ReviewKind::Upward] {
            let view = e.aggregated_responses(reader, p.id(), kind).await;
            out.push(("aggregated_responses", s, text(&view)));
        }
    }
    out.push(("cycles", None, text(&e.cycles(reader).await)));
    let form = e.template(reader, template().id).await;
    out.push(("template", None, text(&form)));
    out.push(("my_reviews", None, text(&e.my_reviews(reader, c).await)));
    out.push(("progress", None, text(&e.progress(reader, c).await)));
    let team = e.team_progress(reader, c, reader).await;
    out.push(("team_progress", None, text(&team)));
    let all = e
        .readable_reviews(reader, c, ReviewFilter::default(), None, 100_000)
        .await;
    out.push(("readable_reviews", None, text(&all)));
    out.push(("inbox", None, text(&e.inbox(reader).await)));
    // Previews of a grant and of stricter settings, as the reader would make them.
    let grant = b.admins[0].1;
    let person = b
        .people
        .iter()
        .map(|p| p.id)
        .find(|p| *p != reader && !b.admins.iter().any(|(admin, _)| admin == p))
        .unwrap_or_else(stranger);
    let change = Command::GrantAdmin { person, grant };
    out.push(("preview", None, text(&e.preview(reader, change).await)));
    let stored = appraise::plugin::StorageExt::cycle(&*b.storage, c).await;
    let mut config = stored.unwrap().record.config().clone();
    config.settings.anonymous_peer = true;
    let change = Command::EditCycle { cycle: c, config };
    out.push(("preview", None, text(&e.preview(reader, change).await)));
    // The reader's own board, and the boards of the people above them (where the reader, as
    // an admin, may see their own row).
    for manager in std::iter::once(reader).chain(w.people.iter().map(|p| p.id)) {
        let board = e.status_board(reader, c, manager).await;
        // The reader's own row is about them: it must not name a writer hidden from them.
        if let Ok(board) = &board {
            for row in board.rows.iter().filter(|r| r.subject.id == reader) {
                let row = serde_json::to_string(row).unwrap();
                out.push(("status_board", Some(reader), row));
            }
        }
        out.push(("status_board", None, text(&board)));
    }
    let log = e.audit_log(reader, c, None, 100_000).await;
    out.push(("audit_log", None, text(&log)));
    let log = e.store_audit_log(reader, None, 100_000).await;
    out.push(("store_audit_log", None, text(&log)));
    let notes: Vec<_> = b
        .notifier
        .delivered()
        .into_iter()
        .filter(|n| n.recipient == reader)
        .collect();
    out.push((
        "notifications",
        None,
        serde_json::to_string(&notes).unwrap(),
    ));
    for &session in &b.sessions {
        let report = e.calibration_report(reader, session).await;
        out.push(("calibration_report", None, text(&report)));
    }
    let mut csv = Vec::new();
    let export = e.export_results_csv(reader, c, &mut csv).await;
    let export = format!("{} {}", text(&export), String::from_utf8_lossy(&csv));
    out.push(("export_results_csv", None, export));
    out
}

/// The people whose authorship of a review about `reader` the reader must not learn: authors
/// of anonymous reviews about them that they read with the author hidden, unless the same
/// person also wrote a review about them that they read with its author.
fn hidden_authors(w: &World, left: Option<PersonId>, reader: PersonId) -> Vec<PersonId> {
    let about: Vec<&Review> = w
        .reviews
        .iter()
        .filter(|r| r.subject() == reader && r.author() != reader)
        .collect();
    let seen = |r: &Review| {
        let (content, _, author) = entitled(w, left, reader, r);
        (content, author)
    };
    let shown: Vec<PersonId> = about
        .iter()
        .filter(|r| seen(r) == (true, true))
        .map(|r| r.author())
        .collect();
    about
        .iter()
        .filter(|r| seen(r) == (true, false) && !shown.contains(&r.author()))
        .map(|r| r.author())
        .collect()
}

/// Whether `text` carries this rating: as a decimal (JSON and messages), or as hundredths in
/// JSON or a debug form.
fn mentions(text: &str, score: Score) -> bool {
    let n = score.hundredths().to_string();
    let json = [':', '[', ',', '('].iter().any(|open| {
        [',', '}', ']', ')']
            .iter()
            .any(|close| text.contains(&format!("{open}{n}{close}")))
    });
    json || text.contains(&score.to_string())
}

/// What the search counted, to prove its coverage.
#[derive(Default)]
struct Counts {
    calls: BTreeMap<&'static str, usize>,
    allowed: usize,
    denied: usize,
    hidden: usize,
    own_hidden_ratings: usize,
}

/// Searches `outs`, everything `reader` received, for what the judge denies them.
fn search(
    w: &World,
    b: &Built,
    seed: u64,
    left: Option<PersonId>,
    reader: PersonId,
    outs: &[(&'static str, Option<PersonId>, String)],
    counts: &mut Counts,
) {
    for r in w
        .reviews
        .iter()
        .filter(|r| r.state() != ReviewState::Cancelled)
    {
        let (content, private, author) = entitled(w, left, reader, r);
        if content {
            counts.allowed += 1;
        } else {
            counts.denied += 1;
        }
        counts.hidden += usize::from(content && !author && r.subject() == reader);
        let public = marker("PUB", r.id());
        let secret = marker("PRIV", r.id());
        for (method, _, text) in outs {
            assert!(
                content || !text.contains(&public),
                "world {seed}: {method} gives {reader} the answers of review {} that R-READ denies: {text}",
                r.id()
            );
            assert!(
                private || !text.contains(&secret),
                "world {seed}: {method} gives {reader} a private answer of review {}: {text}",
                r.id()
            );
        }
    }
    // Outputs about the reader's own packet never name an author hidden from them; but the
    // subject chose the peers they nominated, so what `nominate` returns may name them.
    let names: BTreeMap<PersonId, String> =
        b.people.iter().map(|p| (p.id, p.name.clone())).collect();
    for author in hidden_authors(w, left, reader) {
        let name = format!("\"{}\"", names[&author]);
        for (method, about, text) in outs {
            if *about == Some(reader) && *method != "nominate" {
                assert!(
                    !text.contains(&author.to_string()) && !text.contains(&name),
                    "world {seed}: {method} names {author}, an author hidden from {reader}: {text}"
                );
            }
        }
    }
    // The reader's own calibrated rating stays hidden from them until their results are shared.
    let own = w.packets.iter().find(|p| p.subject() == reader);
    if let (Some(packet), Some(&score)) = (own, b.calibrated.get(&reader))
        && packet.state() < PacketState::Shared
    {
        counts.own_hidden_ratings += 1;
        for (method, _, text) in outs {
            assert!(
                !mentions(text, score),
                "world {seed}: {method} gives {reader} their own calibrated rating {score} before it is shared: {text}"
            );
        }
    }
    for (method, _, _) in outs {
        *counts.calls.entry(method).or_default() += 1;
    }
}

#[test]
fn no_output_carries_what_its_reader_may_not_see() {
    let worlds: u64 = std::env::var("APPRAISE_LEAK_WORLDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut counts = Counts::default();
    let (mut leavers, mut roles, mut sessions, mut approvals) = (0, 0, 0, 0);
    for seed in 0..worlds {
        rt.block_on(async {
            let b = build(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)).await;
            let w = judge_world(&b).await;
            leavers += usize::from(b.left.is_some());
            roles += b.role_grants.len();
            sessions += b.sessions.len();
            approvals += w
                .packets
                .iter()
                .filter(|p| p.approval_steps_passed() > 0)
                .count();
            let readers: Vec<PersonId> =
                b.people.iter().map(|p| p.id).chain([stranger()]).collect();
            for &reader in &readers {
                let outs = outputs(&b, &w, reader).await;
                search(&w, &b, seed, b.left, reader, &outs, &mut counts);
                // What commands returned to this reader, judged as they were before leaving:
                // nothing in these worlds takes access back but leaving and closing a session,
                // and commands return no review content to contributors.
                let returned: Vec<_> = b
                    .returned
                    .iter()
                    .filter(|(actor, ..)| *actor == reader)
                    .map(|(_, method, about, text)| (*method, *about, text.clone()))
                    .collect();
                search(&w, &b, seed, None, reader, &returned, &mut counts);
            }
        });
    }
    // Coverage: every read method and the commands' results were searched, and the worlds
    // held every case worth checking.
    for method in [
        "read_review",
        "explain_read",
        "review_form",
        "template",
        "cycles",
        "reviews_about",
        "packet_of",
        "score",
        "history",
        "aggregated_responses",
        "my_reviews",
        "progress",
        "team_progress",
        "readable_reviews",
        "inbox",
        "status_board",
        "preview",
        "audit_log",
        "store_audit_log",
        "export_results_csv",
        "notifications",
        "calibration_report",
        "nominate",
        "submit_review",
        "set_calibrated_rating",
        "replace_reviewer",
        "remove_reviewer",
        "approve",
        "share",
        "acknowledge",
    ] {
        assert!(
            counts.calls.get(method).copied().unwrap_or(0) > 0,
            "{method} never ran"
        );
    }
    assert!(
        counts.allowed > 0 && counts.denied > 0,
        "{} allowed, {} denied",
        counts.allowed,
        counts.denied
    );
    if worlds >= 64 {
        assert!(
            counts.hidden > 0,
            "no subject ever read an anonymous review"
        );
        assert!(leavers > 0, "no world had a leaver");
        assert!(roles > 0, "no world had a custom role");
        assert!(sessions > 0, "no world had a calibration session");
        assert!(approvals > 0, "no packet passed an approval step");
        assert!(
            counts.own_hidden_ratings > 0,
            "no participant had a calibrated rating hidden from them"
        );
    }
}
