//! A full review cycle through the engine, on the embedded default (memory), SQLite or PostgreSQL.
//!
//! ```sh
//! cargo run --example full_cycle                                      # in memory
//! cargo run --example full_cycle --features sqlite -- --sqlite reviews.db   # a real file
//! cargo run --example full_cycle --features postgres -- --postgres postgres://localhost/db
//! ```
//!
//! It reads a 50-person org from `examples/data/org.csv`, creates and launches a cycle, runs
//! nominations and approvals, a participant added after launch, a replaced peer, self, peer,
//! upward and manager reviews (one reopened and submitted again), shares and acknowledges
//! results, then prints a progress table, one permission explanation with its manager path, the
//! number of audit events and the notifications delivered. Run it twice on the same SQLite file:
//! the second run starts a second cycle next to the first.

use std::collections::BTreeMap;
use std::sync::Arc;

use appraise::memory::{RecordingNotifier, StaticDirectory};
use appraise::plugin::Directory;
use appraise::score::Score;
use appraise::score::{ConsolidatedRule, ScoreInput, WeightedInput};
use appraise::{
    AdminGrant, Answer, Answers, ApprovalStep, CompetencyAnswer, CycleConfig, CycleSettings,
    Engine, Error, GoalAnswer, NotificationKind, PacketState, Period, PersonId, Question,
    QuestionId, QuestionKind, ReviewKind, Section, Template, TemplateId,
};
use chrono::{Datelike, Duration, NaiveDate, Utc};

type Failure = Box<dyn std::error::Error>;

use ReviewKind::{Manager, Peer, SelfReview, Upward};

/// The cycle's template: goals (self and manager), competencies, an overall rating and
/// strengths (everyone), a private note for managers (peers), and the manager's consolidated
/// rating and recommendation.
fn template() -> Template {
    let competencies = ["delivery", "collaboration", "craft"]
        .map(String::from)
        .to_vec();
    Template::new(TemplateId::from_key("h1-template"), "H1 performance review")
        .section(
            Section::new("goals", "Goals").question(
                Question::new("goals", "Review the goals of the half", QuestionKind::Goals)
                    .answered_by([SelfReview, Manager])
                    .required(),
            ),
        )
        .section(
            Section::new("craft", "How it went")
                .question(
                    Question::new(
                        "competencies",
                        "Competencies",
                        QuestionKind::Competency { competencies },
                    )
                    .answered_by([SelfReview, Manager, Peer]),
                )
                .question(
                    Question::new("overall", "Overall rating", QuestionKind::Rating).required(),
                )
                .question(
                    Question::new(
                        "potential",
                        "Potential (for calibration)",
                        QuestionKind::Rating,
                    )
                    .answered_by([Manager])
                    .private(),
                )
                .question(
                    Question::new(
                        "strengths",
                        "What should they keep doing?",
                        QuestionKind::FreeText {
                            max_len: Some(2000),
                        },
                    )
                    .required(),
                )
                .question(
                    Question::new(
                        "note",
                        "Anything only the manager should know?",
                        QuestionKind::FreeText { max_len: None },
                    )
                    .answered_by([Peer, Upward])
                    .private(),
                ),
        )
        .section(
            Section::new("summary", "Consolidated rating and recommendation")
                .question(
                    Question::new(
                        "consolidated",
                        "Consolidated rating",
                        QuestionKind::ConsolidatedRating,
                    )
                    .answered_by([Manager]),
                )
                .question(
                    Question::new(
                        "recommendation",
                        "Recommendation",
                        QuestionKind::Recommendation {
                            options: ["promote", "keep growing", "support plan"]
                                .map(String::from)
                                .to_vec(),
                        },
                    )
                    .answered_by([Manager])
                    .required(),
                ),
        )
}

fn q(key: &str) -> QuestionId {
    QuestionId::from_key(key)
}

/// Answers for a review of `kind`, varied by `seed`.
fn answers(kind: ReviewKind, text: String, seed: u8, goals: &[appraise::Goal]) -> Answers {
    let rating = 3 + seed % 3;
    let mut a = Answers::new()
        .with(q("overall"), Answer::Rating(rating))
        .with(q("strengths"), Answer::Text(text));
    if matches!(kind, SelfReview | Manager) {
        let blocks = goals
            .iter()
            .map(|g| {
                (
                    g.id,
                    GoalAnswer {
                        went_well: "delivered the core of it".into(),
                        could_be_better: "earlier demos".into(),
                        key_feedback: "keep the pace, share sooner".into(),
                        rating: Some(3 + seed.wrapping_add(1) % 3),
                    },
                )
            })
            .collect();
        a = a.with(q("goals"), Answer::Goals(blocks));
    }
    if matches!(kind, SelfReview | Manager | Peer) {
        let c = CompetencyAnswer {
            rating: Some(rating),
            comment: String::new(),
        };
        a = a.with(
            q("competencies"),
            Answer::Competencies([("delivery".to_owned(), c)].into()),
        );
    }
    if matches!(kind, Peer | Upward) {
        a = a.with(
            q("note"),
            Answer::Text("private: could use support on planning".into()),
        );
    }
    if kind == Manager {
        a = a
            .with(q("consolidated"), Answer::Rating(rating))
            .with(q("potential"), Answer::Rating(2 + seed % 4))
            .with(q("recommendation"), Answer::Choice("keep growing".into()));
    }
    a
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let store = match args.as_slice() {
        [] => None,
        [flag, at] if flag == "--sqlite" || flag == "--postgres" => {
            Some((flag.clone(), at.clone()))
        }
        _ => return Err("usage: full_cycle [--sqlite FILE | --postgres URL]".into()),
    };

    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/org.csv");
    let goals = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/goals.csv");
    let directory = StaticDirectory::from_csv_path(csv)?.with_goals_csv_path(goals)?;
    let people = directory.people().await?;
    let name: BTreeMap<PersonId, String> = people.iter().map(|p| (p.id, p.name.clone())).collect();
    let who = |id: PersonId| name.get(&id).cloned().unwrap_or_else(|| id.to_string());
    let notifier = Arc::new(RecordingNotifier::new());
    let builder = Engine::builder()
        .directory(directory.clone())
        .notifier(Arc::clone(&notifier));
    let engine = match &store {
        None => {
            println!("storage: in memory");
            builder.build()
        }
        Some((flag, path)) if flag == "--sqlite" => open_sqlite(builder, path).await?,
        Some((_, url)) => open_postgres(builder, url).await?,
    };

    // HR: the head of People administers reviews; a People partner collaborates.
    let hr = PersonId::from_key("e004");
    let partner = PersonId::from_key("e050");
    match engine
        .bootstrap_admin(
            hr,
            AdminGrant {
                since: engine.now() - Duration::days(1),
                past_cycles: true,
            },
        )
        .await
    {
        Ok(true) => println!("1. {} becomes the first review admin", who(hr)),
        Ok(false) => println!("1. {} is a review admin already (a second run)", who(hr)),
        Err(e) => return Err(e.into()),
    }

    // The CEO is a review admin too: someone must approve HR's own results.
    let ceo = PersonId::from_key("e001");
    let since = engine.now() - Duration::days(1);
    engine
        .grant_admin(
            hr,
            ceo,
            AdminGrant {
                since,
                past_cycles: true,
            },
        )
        .await?;

    let year = Utc::now().year();
    let period = Period {
        start: NaiveDate::from_ymd_opt(year, 1, 1).ok_or("date")?,
        end: NaiveDate::from_ymd_opt(year, 6, 30).ok_or("date")?,
    };
    // A weighted formula: manager 50%, goals (as the manager rated them) 20%, peers 20%,
    // self 10%; missing inputs re-normalise the rest.
    let formula = ConsolidatedRule::Formula(vec![
        WeightedInput {
            input: ScoreInput::Kind(Manager),
            weight: 50,
        },
        WeightedInput {
            input: ScoreInput::Goals(Manager),
            weight: 20,
        },
        WeightedInput {
            input: ScoreInput::Kind(Peer),
            weight: 20,
        },
        WeightedInput {
            input: ScoreInput::Kind(SelfReview),
            weight: 10,
        },
    ]);
    let settings = CycleSettings {
        share_peer_with_subject: true,
        share_upward_with_subject: true,
        anonymity_threshold: 2,
        consolidated: formula,
        // Calibration, then one approval step: the manager's manager (or the admins when
        // there is none).
        calibration: true,
        calibration_target: vec![(3, 40), (4, 40), (5, 20)],
        calibration_tolerance: 10,
        potential_question: Some("potential".into()),
        approval_required: true,
        approval_chain: vec![ApprovalStep::ManagersManager],
        ..CycleSettings::default()
    };
    let template = template();
    match engine.create_template(hr, template.clone()).await {
        Ok(_) => {}
        Err(Error::Conflict { .. }) => {} // a second run: the template is there already
        Err(e) => return Err(e.into()),
    }
    let config = CycleConfig::new(format!("H1 {year} performance review"), period)
        .with_settings(settings)
        .with_template(template.id, ReviewKind::ALL);
    let cycle = engine.create_cycle(hr, config).await?;
    let c = cycle.id();
    engine.add_collaborator(hr, c, partner).await?;
    // Everyone with a manager takes part (the CEO is reviewed by the board, not here); one
    // person without reports joins after launch.
    let mut participants: Vec<_> = people
        .iter()
        .filter(|p| p.manager.is_some())
        .cloned()
        .collect();
    let late = participants
        .iter()
        .rposition(|p| p.id != partner && !people.iter().any(|r| r.manager == Some(p.id)))
        .map(|i| participants.remove(i))
        .ok_or("a person without reports")?;
    engine
        .add_participants(partner, c, participants.iter().map(|p| p.id))
        .await?;
    println!(
        "2. {} creates `{}` with {} participants; {} collaborates",
        who(hr),
        cycle.config().name,
        participants.len(),
        who(partner)
    );

    let launched = engine.launch(partner, c).await?;
    println!(
        "3. launched: {} packets, {} reviews assigned (self, manager, upward)",
        launched.packets, launched.reviews
    );

    // Nominations: everyone nominates up to three teammates (same manager); managers approve.
    let mut nominations = 0;
    for p in &participants {
        let packet = engine.packet_of(hr, c, p.id).await?;
        let mates: Vec<PersonId> = people
            .iter()
            .filter(|q| q.id != p.id && q.manager.is_some() && q.manager == p.manager)
            .map(|q| q.id)
            .take(3)
            .collect();
        for mate in mates {
            let n = engine.nominate(p.id, packet.id(), mate).await?;
            let approver = p.manager.unwrap_or(hr);
            engine.approve_nomination(approver, n.id(), None).await?;
            nominations += 1;
        }
        // Nobody edits the assignments of their own packet: HR closes the partner's.
        let closer = if p.id == partner { hr } else { partner };
        engine.close_nominations(closer, packet.id()).await?;
    }
    println!("4. {nominations} peer nominations made and approved by managers; nominations closed");

    // A participant added after launch gets a packet with the default assignments.
    let joined = engine.add_participant(partner, c, late.id).await?;
    engine.close_nominations(partner, joined.id()).await?;
    participants.push(late.clone());
    println!(
        "   {} joins after launch: self and manager reviews assigned ({} writes the manager review)",
        who(late.id),
        joined.manager().map_or_else(|| "nobody".to_owned(), who)
    );

    // A peer is replaced before writing: the old peer's review is cancelled, the new one is
    // assigned and notified.
    let subject = participants
        .iter()
        .find(|p| p.id != partner)
        .ok_or("a participant")?
        .id;
    let packet = engine.packet_of(hr, c, subject).await?;
    if let Some(&old_peer) = packet.peers().first() {
        let review = engine
            .my_reviews(old_peer, c)
            .await?
            .into_iter()
            .find(|r| r.subject == subject && r.kind == Peer)
            .ok_or("the peer review")?;
        let new_peer = people
            .iter()
            .map(|p| p.id)
            .find(|&id| id != subject && !packet.peers().contains(&id))
            .ok_or("someone else")?;
        engine
            .replace_reviewer(partner, review.id, new_peer)
            .await?;
        println!(
            "   peer replaced: {} reviews {} instead of {}",
            who(new_peer),
            who(subject),
            who(old_peer)
        );
    }

    // A manager change mid-cycle: someone moves to another team before manager reviews are
    // written; their old manager's unsubmitted review is cancelled and the new one gets one.
    let by_id = |id: PersonId| people.iter().find(|p| p.id == id);
    let mover = participants.iter().find_map(|p| {
        let m = p.manager?;
        let grand = by_id(m)?.manager?;
        let other = people.iter().find(|q| {
            q.id != m && q.manager == Some(grand) && people.iter().any(|r| r.manager == Some(q.id))
        })?;
        Some((p.id, m, other.id))
    });
    if let Some((mover, old, new)) = mover {
        let packet = engine.packet_of(hr, c, mover).await?;
        engine
            .change_manager(partner, packet.id(), Some(new))
            .await?;
        println!(
            "   manager change: {} moves from {} to {}; {}'s open manager review is cancelled, {} gets one",
            who(mover),
            who(old),
            who(new),
            who(old),
            who(new)
        );
    }

    // What a manager's screens show before writing starts: their inbox, and their team's
    // status board with the reviews they may send a reminder for.
    let reports = |m: PersonId| people.iter().filter(|p| p.manager == Some(m)).count();
    let lead = people
        .iter()
        .map(|p| p.id)
        .rfind(|&m| reports(m) >= 3 && m != hr && m != partner);
    if let Some(lead) = lead {
        let inbox = engine.inbox(lead).await?;
        println!("   {}'s inbox:", who(lead));
        for item in &inbox.to_write {
            let why = item
                .blocked_by
                .map(|r| format!(" ({r:?})"))
                .unwrap_or_default();
            let now = if item.writable { "now" } else { "not yet" };
            println!(
                "     write the {} review of {}: {now}{why}",
                item.kind, item.subject.name
            );
        }
        let board = engine.status_board(lead, c, lead).await?;
        println!("   {}'s status board (direct reports):", who(lead));
        for row in board.rows.iter().filter(|r| r.direct) {
            let open = |r: &&appraise::views::screens::ReviewStatus| {
                matches!(
                    r.state,
                    appraise::ReviewState::Assigned | appraise::ReviewState::Draft
                )
            };
            let to_write: Vec<String> = row
                .reviews
                .iter()
                .filter(open)
                .map(|r| {
                    let by = r.writer.as_ref().map_or("?", |w| w.name.as_str());
                    let remind = if r.may_remind { "" } else { ", no reminder" };
                    format!("{} by {by}{remind}", r.kind)
                })
                .collect();
            println!(
                "     {}: to write: {}",
                row.subject.name,
                to_write.join("; ")
            );
        }
    }

    // Writing: self, peer and upward reviews first (the manager review waits for the self
    // review), then the managers.
    let mut written: BTreeMap<ReviewKind, usize> = BTreeMap::new();
    for kinds in [&[SelfReview, Peer, Upward][..], &[Manager]] {
        for p in &people {
            for r in engine.my_reviews(p.id, c).await? {
                if !kinds.contains(&r.kind) || r.state == appraise::ReviewState::Cancelled {
                    continue;
                }
                let seed = r.id.as_uuid().as_bytes()[0];
                let goals = engine.packet_of(hr, c, r.subject).await?.goals().to_vec();
                let phrases = [
                    "a clear communicator",
                    "reliable at shipping",
                    "a generous mentor",
                    "calm under pressure",
                    "asks the sharp questions",
                ];
                let text = format!(
                    "{} is {}",
                    who(r.subject),
                    phrases[usize::from(seed) % phrases.len()]
                );
                let draft =
                    Answers::new().with(q("strengths"), Answer::Text(format!("draft: {text}")));
                engine.save_draft(p.id, r.id, draft).await?;
                let final_answers = answers(r.kind, text, seed, &goals);
                engine
                    .submit_review(p.id, r.id, Some(final_answers))
                    .await?;
                *written.entry(r.kind).or_default() += 1;
            }
        }
    }
    println!("5. reviews submitted: {written:?}");

    // A review reopened: the partner sends a peer review back to draft; its author edits and
    // submits it again (both audited).
    let reopened = engine
        .my_reviews(subject, c)
        .await?
        .into_iter()
        .find(|r| r.kind == Peer && r.state == appraise::ReviewState::Submitted)
        .ok_or("a submitted peer review")?;
    engine.reopen_review(partner, reopened.id).await?;
    let edited = reopened.answers.clone().with(
        q("strengths"),
        Answer::Text(format!(
            "{} (edited after a second look)",
            who(reopened.subject)
        )),
    );
    engine
        .submit_review(subject, reopened.id, Some(edited))
        .await?;
    println!(
        "   {} reopens {}'s peer review of {}; it is edited and submitted again",
        who(partner),
        who(subject),
        who(reopened.subject)
    );

    // Calibration: the department heads calibrate everyone in one session.
    let heads: Vec<PersonId> = ["e002", "e003", "e004"].map(PersonId::from_key).to_vec();
    let session = engine
        .create_calibration(
            hr,
            c,
            "H1 calibration",
            participants.iter().map(|p| p.id),
            heads.clone(),
        )
        .await?;
    engine.open_calibration(hr, session.id()).await?;
    let calibrated = participants
        .iter()
        .find(|p| p.manager.is_some_and(|m| m != heads[0]) && !heads.contains(&p.id));
    if let Some(p) = calibrated {
        let packet = engine.packet_of(hr, c, p.id).await?;
        engine
            .set_calibrated_rating(heads[0], packet.id(), Score::from_hundredths(450))
            .await?;
        println!(
            "6. calibration: {} sets {}'s rating to 4.50 (the original is kept and audited)",
            who(heads[0]),
            who(p.id)
        );
    }
    println!(
        "   distribution and 9-box of the session:\n{}",
        engine.calibration_report(hr, session.id()).await?
    );
    engine.close_calibration(hr, session.id()).await?;

    // Approval: each packet waits for its approver, who was notified; they approve.
    let mut approvals = 0;
    for p in &participants {
        let packet = engine.packet_of(hr, c, p.id).await?;
        if packet.state() != PacketState::PendingApproval {
            continue;
        }
        let approver = notifier
            .delivered()
            .into_iter()
            .rev()
            .find(|n| n.kind == NotificationKind::ApprovalNeeded && n.subject == Some(p.id))
            .map_or(hr, |n| n.recipient);
        engine.approve(approver, packet.id()).await?;
        approvals += 1;
    }
    println!("7. {approvals} packets approved by their managers' managers (or HR)");

    // Sharing and acknowledgement.
    let mut shared = 0;
    for p in &participants {
        let packet = engine.packet_of(hr, c, p.id).await?;
        let sharer = packet.manager().unwrap_or(hr);
        engine.share(sharer, packet.id()).await?;
        engine
            .acknowledge(p.id, packet.id(), Some("thank you"))
            .await?;
        shared += 1;
    }
    println!("8. {shared} results shared by managers and acknowledged");
    let bo = PersonId::from_key("e002");
    println!(
        "\n{}'s team:\n{}",
        who(bo),
        engine.team_progress(bo, c, bo).await?
    );

    println!(
        "\nprogress of `{}`:\n{}",
        cycle.config().name,
        engine.progress(partner, c).await?
    );

    // One explanation with its manager path: the CEO reading the manager review of someone
    // three levels down.
    let deep = people.iter().find(|p| {
        p.manager
            .and_then(|m| people.iter().find(|q| q.id == m))
            .and_then(|m| m.manager)
            .is_some_and(|mm| mm != ceo)
    });
    if let Some(deep) = deep {
        let reviews = engine.reviews_about(ceo, c, deep.id).await?;
        if let Some(r) = reviews.iter().find(|r| r.kind == ReviewKind::Manager) {
            println!(
                "may {} read the manager review of {}?\n  {}",
                who(ceo),
                who(deep.id),
                engine.explain_read(ceo, r.id).await?
            );
        }
        let mine = engine.reviews_about(deep.id, c, deep.id).await?;
        let anonymous = mine
            .iter()
            .filter(|r| r.kind == ReviewKind::Peer && r.author.is_none())
            .count();
        println!(
            "  {} reads {} reviews about themselves; {anonymous} peer reviews show no author",
            who(deep.id),
            mine.len()
        );

        let packet = engine.packet_of(hr, c, deep.id).await?;
        println!(
            "\nscore of {}:\n{}",
            who(deep.id),
            engine.score(ceo, packet.id()).await?
        );
        let manager = deep.manager.unwrap_or(hr);
        let for_manager = engine
            .aggregated_responses(manager, packet.id(), Peer)
            .await?;
        println!(
            "peer responses about {} as {} (their manager) sees them:\n{for_manager}",
            who(deep.id),
            who(manager)
        );
        let for_subject = engine
            .aggregated_responses(deep.id, packet.id(), Peer)
            .await?;
        println!(
            "... and as {} sees them (anonymous, no private notes):\n{for_subject}",
            who(deep.id)
        );
    }

    let mut csv_out = Vec::new();
    let rows = engine.export_results_csv(hr, c, &mut csv_out).await?;
    let text = String::from_utf8_lossy(&csv_out);
    println!("results export: {rows} rows; first lines:");
    for line in text.lines().take(3) {
        println!("  {line}");
    }

    let mut events = 0;
    let mut after = None;
    loop {
        let page = engine.audit_log(hr, c, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        events += page.len();
    }
    let report = engine.deliver_pending().await?;
    println!("\naudit events recorded: {events}");
    println!(
        "notifications delivered: {} (pending retried now: {})",
        notifier.delivered().len(),
        report.delivered
    );
    Ok(())
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(builder: appraise::EngineBuilder, path: &str) -> Result<Engine, Failure> {
    let storage = appraise::sql::SqliteStorage::open(path).await?;
    println!("storage: SQLite file `{path}`");
    Ok(builder.storage(storage).build())
}

#[cfg(not(feature = "sqlite"))]
async fn open_sqlite(_: appraise::EngineBuilder, _: &str) -> Result<Engine, Failure> {
    Err("this example was built without SQLite: add `--features sqlite`".into())
}

/// The tenant this example's company is stored under.
#[cfg(feature = "postgres")]
const TENANT: &str = "example-company";

#[cfg(feature = "postgres")]
async fn open_postgres(builder: appraise::EngineBuilder, url: &str) -> Result<Engine, Failure> {
    let storage = appraise::sql::PostgresStorage::connect(url, TENANT).await?;
    println!("storage: PostgreSQL, tenant `{TENANT}`");
    Ok(builder.storage(storage).build())
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(_: appraise::EngineBuilder, _: &str) -> Result<Engine, Failure> {
    Err("this example was built without PostgreSQL: add `--features postgres`".into())
}
