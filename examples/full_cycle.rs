//! A full review cycle through the engine, on the embedded default (memory) or SQLite.
//!
//! ```sh
//! cargo run --example full_cycle                                      # in memory
//! cargo run --example full_cycle --features sqlite -- --sqlite reviews.db   # a real file
//! ```
//!
//! It reads a 50-person org from `examples/data/org.csv`, creates and launches a cycle, runs
//! nominations and approvals, self, peer, upward and manager reviews, shares and acknowledges
//! results, then prints a progress table, one permission explanation with its manager path, the
//! number of audit events and the notifications delivered. Run it twice on the same SQLite file:
//! the second run starts a second cycle next to the first.

use std::collections::BTreeMap;
use std::sync::Arc;

use appraise::memory::{RecordingNotifier, StaticDirectory};
use appraise::plugin::Directory;
use appraise::{
    AdminGrant, Answer, Answers, CycleConfig, CycleSettings, Engine, Error, Period, PersonId,
    QuestionId, ReviewKind,
};
use chrono::{Datelike, Duration, NaiveDate, Utc};

type Failure = Box<dyn std::error::Error>;

fn answers(summary: String, rating: u8) -> Answers {
    Answers::new()
        .with(QuestionId::from_key("summary"), Answer::Text(summary))
        .with(QuestionId::from_key("overall"), Answer::Rating(rating))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sqlite_path = match args.as_slice() {
        [] => None,
        [flag, path] if flag == "--sqlite" => Some(path.clone()),
        _ => return Err("usage: full_cycle [--sqlite FILE]".into()),
    };

    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/org.csv");
    let directory = StaticDirectory::from_csv_path(csv)?;
    let people = directory.people().await?;
    let name: BTreeMap<PersonId, String> = people.iter().map(|p| (p.id, p.name.clone())).collect();
    let who = |id: PersonId| name.get(&id).cloned().unwrap_or_else(|| id.to_string());
    let notifier = Arc::new(RecordingNotifier::new());
    let builder = Engine::builder()
        .directory(directory.clone())
        .notifier(Arc::clone(&notifier));
    let engine = match &sqlite_path {
        None => {
            println!("storage: in memory");
            builder.build()
        }
        Some(path) => open_sqlite(builder, path).await?,
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
        Ok(()) => println!("1. {} becomes the first review admin", who(hr)),
        Err(Error::Invalid { .. }) => println!("1. review admins exist already (a second run)"),
        Err(e) => return Err(e.into()),
    }

    let year = Utc::now().year();
    let period = Period {
        start: NaiveDate::from_ymd_opt(year, 1, 1).ok_or("date")?,
        end: NaiveDate::from_ymd_opt(year, 6, 30).ok_or("date")?,
    };
    let settings = CycleSettings {
        share_peer_with_subject: true,
        share_upward_with_subject: true,
        anonymity_threshold: 2,
        ..CycleSettings::default()
    };
    let cycle = engine
        .create_cycle(
            hr,
            CycleConfig::new(format!("H1 {year} performance review"), period)
                .with_settings(settings),
        )
        .await?;
    let c = cycle.id();
    engine.add_collaborator(hr, c, partner).await?;
    // Everyone with a manager takes part (the CEO is reviewed by the board, not here).
    let participants: Vec<_> = people
        .iter()
        .filter(|p| p.manager.is_some())
        .cloned()
        .collect();
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
        let packet = engine.packet_of(c, p.id).await?;
        let mates: Vec<PersonId> = people
            .iter()
            .filter(|q| q.id != p.id && q.manager.is_some() && q.manager == p.manager)
            .map(|q| q.id)
            .take(3)
            .collect();
        for mate in mates {
            let n = engine.nominate(p.id, packet.id(), mate).await?;
            let approver = p.manager.unwrap_or(hr);
            engine
                .decide_nomination(approver, n.id(), true, None)
                .await?;
            nominations += 1;
        }
        // Nobody edits the assignments of their own packet: HR closes the partner's.
        let closer = if p.id == partner { hr } else { partner };
        engine.close_nominations(closer, packet.id()).await?;
    }
    println!("4. {nominations} peer nominations made and approved by managers; nominations closed");

    // Writing: self, peer and upward reviews first (the manager review waits for the self
    // review), then the managers.
    let mut written: BTreeMap<ReviewKind, usize> = BTreeMap::new();
    for kinds in [
        &[ReviewKind::SelfReview, ReviewKind::Peer, ReviewKind::Upward][..],
        &[ReviewKind::Manager],
    ] {
        for p in &people {
            for r in engine.my_reviews(p.id, c).await? {
                if !kinds.contains(&r.kind) {
                    continue;
                }
                let rating = 3 + (r.id.as_uuid().as_bytes()[0] % 3);
                let text = format!("{} review of {} by {}", r.kind, who(r.subject), who(p.id));
                engine
                    .save_draft(p.id, r.id, answers(format!("draft: {text}"), rating))
                    .await?;
                engine
                    .submit_review(p.id, r.id, Some(answers(text, rating)))
                    .await?;
                *written.entry(r.kind).or_default() += 1;
            }
        }
    }
    println!("5. reviews submitted: {written:?}");

    // Sharing and acknowledgement.
    let mut shared = 0;
    for p in &participants {
        let packet = engine.packet_of(c, p.id).await?;
        let sharer = p.manager.unwrap_or(hr);
        engine.share(sharer, packet.id()).await?;
        engine
            .acknowledge(p.id, packet.id(), Some("thank you"))
            .await?;
        shared += 1;
    }
    println!("6. {shared} results shared by managers and acknowledged");

    println!(
        "\nprogress of `{}`:\n{}",
        cycle.config().name,
        engine.progress(partner, c).await?
    );

    // One explanation with its manager path: the CEO reading the manager review of someone
    // three levels down.
    let ceo = PersonId::from_key("e001");
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
