//! The storage testkit against every backend in the crate.

use std::sync::Arc;

use appraise::memory::{IndexedMemoryStorage, MemoryStorage};
use appraise::plugin::Storage;
use appraise::testkit;

/// A launch of 160 people (more new rows per table than a database backend sends one by
/// one) reads through the engine as the same launch on memory: everyone's reviews to write,
/// the progress and the audit log.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn a_launch_of_many_reads_as_on_memory(storage: Arc<dyn Storage>) {
    use appraise::memory::StaticDirectory;
    use appraise::plugin::{Clock, ManualClock};
    use appraise::{AdminGrant, CycleConfig, Engine, Person, PersonId};
    use chrono::TimeZone;

    use crate::engine::{id, period, settings};

    const PEOPLE: usize = 160;
    let people: Vec<PersonId> = (0..PEOPLE).map(|i| id(&format!("p{i}"))).collect();
    let directory = || {
        let org = people.iter().enumerate().map(|(i, &p)| match i {
            0 => Person::new(p, "p0"),
            1..=4 => Person::new(p, format!("p{i}")).with_manager(people[0]),
            _ => Person::new(p, format!("p{i}")).with_manager(people[1 + i % 4]),
        });
        StaticDirectory::new(org.collect(), vec![])
    };
    let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
    let admin = people[0];
    let launch = async |storage: Arc<dyn Storage>| {
        let engine = Engine::builder()
            .storage(storage)
            .directory(directory())
            .clock(clock.clone())
            .build();
        let since = clock.now() - chrono::Duration::days(1);
        let grant = AdminGrant {
            since,
            past_cycles: false,
        };
        engine.bootstrap_admin(admin, grant).await.unwrap();
        let config = CycleConfig::new("H2 2026", period()).with_settings(settings());
        let cycle = engine.create_cycle(admin, config).await.unwrap().id();
        engine
            .add_participants(admin, cycle, people.iter().copied())
            .await
            .unwrap();
        engine.launch(admin, cycle).await.unwrap();
        let mut to_write = Vec::new();
        for &p in &people {
            let mut mine: Vec<_> = engine
                .my_reviews(p, cycle)
                .await
                .unwrap()
                .into_iter()
                .map(|r| (r.kind, r.subject, format!("{:?}", r.state)))
                .collect();
            mine.sort();
            to_write.push(mine);
        }
        let progress = engine.progress(admin, cycle).await.unwrap();
        let log: Vec<_> = engine
            .audit_log(admin, cycle, None, usize::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|e| std::mem::discriminant(&e.event.kind))
            .collect();
        (to_write, progress, log)
    };
    let (on_memory, on_database) = (
        launch(Arc::new(IndexedMemoryStorage::new())).await,
        launch(storage).await,
    );
    assert!(
        on_memory.0.iter().map(Vec::len).sum::<usize>() > 300,
        "the launch has reviews for many people"
    );
    assert!(
        on_memory.2.len() > PEOPLE,
        "the launch is audited for everyone"
    );
    assert_eq!(on_database.0, on_memory.0, "everyone's reviews to write");
    assert_eq!(on_database.1, on_memory.1, "progress");
    assert_eq!(on_database.2, on_memory.2, "the audit log, in order");
}

/// Engines on handles of their own to one database behave as one, as app servers must:
/// - an org change one engine makes (a manager change) decides the next command of another,
///   which held the org before it;
/// - a third engine, cold, loads the same org;
/// - two engines delivering the same pending notifications at once hand each over exactly
///   once.
///
/// `open` opens another handle on the database.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn app_servers_behave_as_one(open: impl AsyncFn() -> Arc<dyn Storage>) {
    use appraise::memory::RecordingNotifier;
    use appraise::plugin::{ManualClock, Notifier, StorageExt};
    use appraise::testkit::faults::{Fault, Faults, FaultyNotifier, Op};
    use appraise::{Engine, Error, ReviewKind};
    use chrono::TimeZone;

    use crate::engine::{directory, id, launch_fixture};

    let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
    let app_server = async |notifier: Arc<dyn Notifier>| {
        Engine::builder()
            .storage(open().await)
            .notifier(notifier)
            .directory(directory())
            .clock(clock.clone())
            .build()
    };
    // While the notifier is down, a launch and reminders queue notifications.
    let first = app_server(Arc::new(RecordingNotifier::new_failing())).await;
    let cycle = launch_fixture(&first, &clock).await;
    let mine = first.my_reviews(id("ann"), cycle).await.unwrap();
    let own = mine
        .iter()
        .find(|r| r.kind == ReviewKind::SelfReview)
        .expect("ann's self review");

    // The org: ann reports to bo. A second engine holds the org, the first moves ann under
    // dana's other report kim, and the second's next decision follows.
    let second = app_server(Arc::new(RecordingNotifier::new())).await;
    let packet = second.packet_of(id("kim"), cycle, id("ann")).await.unwrap();
    assert!(second.packet_of(id("bo"), cycle, id("ann")).await.is_ok());
    first
        .change_manager(id("kim"), packet.id(), Some(id("kim")))
        .await
        .unwrap();
    assert!(matches!(
        second.packet_of(id("bo"), cycle, id("ann")).await,
        Err(Error::Denied { .. } | Error::NotFound { .. })
    ));
    let cold = app_server(Arc::new(RecordingNotifier::new())).await;
    assert!(cold.packet_of(id("bo"), cycle, id("ann")).await.is_err());
    let org = first.storage().org(cycle).await.unwrap();
    assert_eq!(org.record.manager_of(id("ann")), Some(id("kim")));

    for _ in 0..20 {
        first.send_reminder(id("kim"), own.id).await.unwrap();
    }
    let pending = first
        .storage()
        .pending_outbox(usize::MAX)
        .await
        .unwrap()
        .len();
    assert!(pending >= 20);
    // Two more app servers deliver at once, each delivery yielding so that they interleave.
    let recorder = Arc::new(RecordingNotifier::new());
    let faults = Faults::new(1);
    faults.always(
        Op::Deliver,
        Fault::Delay(std::time::Duration::from_millis(1)),
    );
    let notifier = || {
        Arc::new(FaultyNotifier::new(
            Arc::clone(&recorder),
            Arc::clone(&faults),
        ))
    };
    let (a, b) = (app_server(notifier()).await, app_server(notifier()).await);
    let (ra, rb) = tokio::join!(a.deliver_pending(), b.deliver_pending());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.delivered + rb.delivered, pending, "{ra:?} {rb:?}");
    let mut counts = std::collections::HashMap::new();
    for n in recorder.delivered() {
        *counts.entry(n.key).or_insert(0) += 1;
    }
    assert_eq!(counts.len(), pending);
    assert!(
        counts.values().all(|&c| c == 1),
        "a notification went out twice"
    );
    assert!(
        first
            .storage()
            .pending_outbox(usize::MAX)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A commit holding every stored place of a score: a cycle's bands, a packet's calibrated
/// rating, the audit event of that rating (in the log and in a notification), and receipts
/// holding a cycle and a packet. With it, the records it creates.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn scored_commit() -> (appraise::plugin::Commit, Vec<appraise::plugin::Record>) {
    use appraise::plugin::{Commit, Expect, Receipt, Record, Write};
    use appraise::{Event, EventKind, Notification, NotificationKind, ReceiptId};
    use serde_json::json;

    let mut records = testkit::sample_records();
    let mut scored = None;
    for record in &mut records {
        match record {
            Record::Cycle(cycle) => {
                let mut body = serde_json::to_value(&**cycle).unwrap();
                body["config"]["settings"]["bands"] = json!([
                    {"from": 1.0, "label": "low"},
                    {"from": 3.33, "label": "middle"},
                    {"from": 4.5, "label": "high"},
                ]);
                **cycle = serde_json::from_value(body).unwrap();
            }
            Record::Packet(packet) if scored.is_none() => {
                let mut body = serde_json::to_value(&**packet).unwrap();
                body["calibrated"] = json!(4.25);
                **packet = serde_json::from_value(body).unwrap();
                scored = Some(packet.clone());
            }
            _ => {}
        }
    }
    let packet = scored.expect("a packet");
    let cycle = records
        .iter()
        .find_map(|r| match r {
            Record::Cycle(c) => Some(c.clone()),
            _ => None,
        })
        .expect("a cycle");
    let by = packet.subject();
    for (key, outcome) in [
        ("calibrate", serde_json::to_value(&*packet).unwrap()),
        ("edit", serde_json::to_value(&*cycle).unwrap()),
    ] {
        records.push(Record::from(Receipt {
            id: ReceiptId::of(by, &format!("{key}-{}", cycle.id())),
            outcome,
            at: chrono::DateTime::UNIX_EPOCH,
        }));
    }
    let event = Event::new(
        chrono::DateTime::UNIX_EPOCH,
        Some(by),
        Some(cycle.id()),
        EventKind::CalibratedRatingChanged {
            packet: packet.id(),
            subject: by,
            original: Some(appraise::score::Score::from_hundredths(350)),
            from: Some(appraise::score::Score::from_hundredths(400)),
            to: appraise::score::Score::from_hundredths(425),
        },
    );
    let notification = Notification {
        key: format!("calibrated-{}", cycle.id()),
        recipient: by,
        kind: NotificationKind::ResultsShared,
        cycle: Some(cycle.id()),
        subject: Some(by),
        event: event.clone(),
    };
    let commit = Commit {
        writes: records
            .iter()
            .cloned()
            .map(|record| Write::Put {
                record,
                expect: Expect::Absent,
            })
            .collect(),
        events: vec![event],
        outbox: vec![notification],
    };
    (commit, records)
}

/// A stored body as versions before decimal scores wrote it: every score in hundredths.
/// `None` when it holds no score.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn in_hundredths(body: &str) -> Option<String> {
    use serde_json::Value;
    let mut value: Value = serde_json::from_str(body).unwrap();
    let mut changed = false;
    let mut scale = |v: Option<&mut Value>| {
        if let Some(v) = v
            && let Some(f) = v.as_f64()
        {
            *v = Value::from((f * 100.0).round() as u64);
            changed = true;
        }
    };
    for prefix in ["", "/outcome"] {
        if let Some(Value::Array(bands)) =
            value.pointer_mut(&format!("{prefix}/config/settings/bands"))
        {
            for band in bands {
                scale(band.pointer_mut("/from"));
            }
        }
        scale(value.pointer_mut(&format!("{prefix}/calibrated")));
    }
    for prefix in ["", "/event"] {
        if value.pointer(&format!("{prefix}/kind/type"))
            == Some(&Value::from("calibrated_rating_changed"))
        {
            for field in ["to", "from", "original"] {
                scale(value.pointer_mut(&format!("{prefix}/kind/{field}")));
            }
        }
    }
    changed.then(|| value.to_string())
}

/// Rewrites every stored body holding a score as versions before decimal scores wrote it,
/// through a backend's `bodies` (of a table) and `replace` (table, old form, body), checking
/// that each place of [`scored_commit`] was found.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn write_old_form(
    bodies: impl AsyncFn(&'static str) -> Vec<String>,
    replace: impl AsyncFn(&'static str, String, String),
) {
    for (table, scored) in [
        ("cycles", 1),
        ("packets", 1),
        ("receipts", 2),
        ("events", 1),
        ("outbox", 1),
    ] {
        let mut rewritten = 0;
        for body in bodies(table).await {
            if let Some(old) = in_hundredths(&body) {
                replace(table, old, body).await;
                rewritten += 1;
            }
        }
        assert_eq!(rewritten, scored, "{table}");
    }
}

/// After the decimal-scores migration, the records, event and notification of
/// [`scored_commit`] read back as they were stored.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn scores_read_back(
    storage: &dyn Storage,
    commit: &appraise::plugin::Commit,
    records: &[appraise::plugin::Record],
) {
    for record in records {
        let got = storage
            .get(record.key())
            .await
            .expect("read after migrating");
        assert_eq!(
            got.map(|v| v.record).as_ref(),
            Some(record),
            "{}",
            record.key()
        );
    }
    let cycle = commit.events[0].cycle.expect("a cycle's event");
    let events: Vec<_> = storage
        .events(cycle, None, 100)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(events, commit.events);
    let outbox: Vec<_> = storage
        .pending_outbox(100)
        .await
        .expect("outbox")
        .into_iter()
        .map(|e| e.notification)
        .collect();
    assert_eq!(outbox, commit.outbox);
}

/// A database stores a review's id, cycle, subject and author in its row's columns only, and
/// the columns decide: a body with them (as earlier versions wrote it) reads the same, and
/// columns that make an impossible review are a corrupt record naming it. `bodies` lists
/// `(review id, body)` of the database's reviews; `set_body` and `set_author` change a row
/// behind the storage's back.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn reviews_keep_their_ids_in_columns(
    storage: &dyn Storage,
    bodies: impl AsyncFn() -> Vec<(uuid::Uuid, String)>,
    set_body: impl AsyncFn(uuid::Uuid, String),
    set_author: impl AsyncFn(uuid::Uuid, uuid::Uuid),
) {
    use appraise::plugin::{Commit, Expect, Record, RecordKey, Write};
    use appraise::{Error, Review, ReviewKind};
    let records = testkit::sample_records();
    let reviews: Vec<Review> = records
        .iter()
        .filter_map(|r| match r {
            Record::Review(r) => Some((**r).clone()),
            _ => None,
        })
        .collect();
    assert!(reviews.len() >= 2, "the sample holds reviews");
    let writes = records
        .into_iter()
        .map(|record| Write::Put {
            record,
            expect: Expect::Absent,
        })
        .collect();
    storage
        .commit(Commit {
            writes,
            ..Commit::default()
        })
        .await
        .expect("store");
    let stored = bodies().await;
    assert_eq!(stored.len(), reviews.len());
    for (id, body) in &stored {
        let fields: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(body).expect("a JSON object");
        for column in ["id", "cycle", "subject", "author"] {
            assert!(
                !fields.contains_key(column),
                "review {id} stores its {column}"
            );
        }
        assert!(fields.contains_key("packet"), "review {id}: {body}");
    }
    let read = async |review: &Review| {
        storage
            .get(RecordKey::Review(review.id()))
            .await
            .map(|v| v.map(|v| v.record))
    };
    let about = async |review: &Review| {
        storage
            .reviews_about(review.cycle(), review.subject())
            .await
            .map(|list| list.into_iter().map(|v| v.record).collect::<Vec<_>>())
    };
    // The full form reads as the review it is.
    let review = &reviews[0];
    set_body(
        *review.id().as_uuid(),
        serde_json::to_string(review).expect("serialise"),
    )
    .await;
    assert_eq!(
        read(review).await.expect("read"),
        Some(Record::from(review.clone()))
    );
    assert!(about(review).await.expect("list").contains(review));
    // A review written by its own subject is no review a command makes.
    let other = reviews
        .iter()
        .find(|r| r.kind() != ReviewKind::SelfReview)
        .expect("a review by someone else");
    set_author(*other.id().as_uuid(), *other.subject().as_uuid()).await;
    let named = |what: &str, got: Result<(), Error>| match got {
        Err(Error::Corrupt { record, reason }) => {
            assert_eq!(record, format!("review `{}`", other.id()), "{what}");
            assert!(
                reason.contains("written by its own subject"),
                "{what}: {reason}"
            );
        }
        got => panic!("{what}: expected a corrupt record, got {got:?}"),
    };
    named("get", read(other).await.map(|_| ()));
    named("listing", about(other).await.map(|_| ()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_storage_passes_the_testkit() {
    testkit::run_all(Arc::new(MemoryStorage::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexed_memory_storage_passes_the_testkit() {
    testkit::run_all(Arc::new(IndexedMemoryStorage::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_behind_arc_dyn_passes_the_testkit() {
    let inner: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    // The forwarding impl: an `Arc<dyn Storage>` is itself a `Storage`.
    let outer: Arc<dyn Storage> = Arc::new(inner);
    testkit::run_all(outer).await;
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use appraise::sql::SqliteStorage;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_file_passes_the_testkit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = SqliteStorage::open(dir.path().join("appraise.db"))
            .await
            .expect("open");
        testkit::run_all(Arc::new(storage.clone())).await;
        storage.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_in_memory_passes_the_testkit() {
        let storage = SqliteStorage::open_in_memory().await.expect("open");
        testkit::run_all(Arc::new(storage)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_launch_of_many_reads_as_on_memory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = SqliteStorage::open(dir.path().join("many.db")).await;
        super::a_launch_of_many_reads_as_on_memory(Arc::new(storage.expect("open"))).await;
    }

    /// Engines on handles of their own to one file: see [`super::app_servers_behave_as_one`].
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn app_servers_behave_as_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("appraise.db");
        super::app_servers_behave_as_one(async || {
            let storage = SqliteStorage::open(&path).await.expect("open");
            Arc::new(storage) as Arc<dyn Storage>
        })
        .await;
    }

    /// Reopening a file keeps everything: migrations run once, data survives.
    #[tokio::test]
    async fn sqlite_file_survives_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("appraise.db");
        let first = SqliteStorage::open(&path).await.expect("open");
        testkit::round_trips(&first).await;
        let before = first.pending_outbox(10).await.expect("read");
        first.close().await;
        let again = SqliteStorage::open(&path).await.expect("reopen");
        assert_eq!(again.pending_outbox(10).await.expect("read"), before);
        testkit::round_trips(&again).await;
    }

    /// A file made by appraise 0.1 (restored from the dump of one, in `tests/data`), which
    /// recorded the crate's migrations in sqlx's `_sqlx_migrations`, opens with its data: the
    /// migrations move to `appraise_migrations`, and the engine goes on with its cycle.
    #[tokio::test]
    async fn a_file_made_by_0_1_opens_with_its_data() {
        use appraise::memory::StaticDirectory;
        use appraise::{CycleConfig, Engine, Period, Person, PersonId, ReviewKind};
        use sqlx::Executor;

        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("made-by-0.1.db");
        let dump = include_str!("data/appraise-0.1.sql");
        {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(options)
                .await
                .expect("create");
            pool.execute(dump).await.expect("restore the 0.1 file");
            pool.close().await;
        }
        let storage = SqliteStorage::open(&path).await.expect("open a 0.1 file");
        let url = format!("sqlite://{}", path.display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
        let applied: Vec<(i64, String)> =
            sqlx::query_as("SELECT version, description FROM appraise_migrations ORDER BY version")
                .fetch_all(&pool)
                .await
                .expect("the crate's migrations table");
        let versions: Vec<i64> = applied.iter().map(|(v, _)| *v).collect();
        assert_eq!(versions, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let triggers: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
                .fetch_one(&pool)
                .await
                .expect("read the schema");
        assert_eq!(
            triggers, 0,
            "packet names are the storage's to write (0009)"
        );
        // Every id is now its 16 bytes (migration 0008), the grants record's the nil id.
        for (table, column) in [
            ("cycles", "id"),
            ("snapshots", "cycle_id"),
            ("packets", "id"),
            ("packets", "cycle_id"),
            ("reviews", "id"),
            ("reviews", "cycle_id"),
            ("reviews", "subject"),
            ("reviews", "author"),
            ("events", "cycle_id"),
            ("packet_names", "person"),
            ("grants", "id"),
        ] {
            let (rows, ids): (i64, i64) = sqlx::query_as(&format!(
                "SELECT count(*), count(*) FILTER (WHERE typeof({column}) = 'blob' \
                 AND length({column}) = 16) FROM {table} WHERE {column} IS NOT NULL"
            ))
            .fetch_one(&pool)
            .await
            .expect("count ids");
            assert!(rows > 0, "the 0.1 file has {table}");
            assert_eq!(ids, rows, "{table}.{column}");
        }
        let sqlx_table: Option<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name = '_sqlx_migrations'")
                .fetch_optional(&pool)
                .await
                .expect("read the schema");
        assert_eq!(sqlx_table, None, "sqlx's table, emptied, is gone");
        // The people the 0.1 file was made with.
        let (kim, bo, ann) = (
            PersonId::from_key("kim"),
            PersonId::from_key("bo"),
            PersonId::from_key("ann"),
        );
        let directory = StaticDirectory::new(
            vec![
                Person::new(kim, "Kim Admin"),
                Person::new(bo, "Bo Manager"),
                Person::new(ann, "Ann Report").with_manager(bo),
            ],
            vec![],
        );
        let engine = Engine::builder()
            .directory(directory)
            .storage(storage.clone())
            .build();
        let cycles = engine.cycles(ann).await.expect("ann's cycles");
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].name, "H1 2026");
        let progress = engine.progress(kim, cycles[0].id).await.expect("progress");
        assert_eq!(
            progress.by_kind[&ReviewKind::SelfReview].submitted,
            1,
            "ann's self review"
        );
        // Its bands, stored in hundredths, read as the default bands.
        let cycle = storage
            .get(appraise::plugin::RecordKey::Cycle(cycles[0].id))
            .await
            .expect("read the cycle");
        let Some(appraise::plugin::Record::Cycle(cycle)) = cycle.map(|v| v.record) else {
            panic!("the 0.1 cycle");
        };
        assert_eq!(
            cycle.config().settings.bands,
            appraise::score::Band::defaults()
        );
        // Its packets (made with random ids) are found, and its org takes changes in its log.
        let packet = engine
            .packet_of(kim, cycles[0].id, ann)
            .await
            .expect("ann's packet of 0.1");
        assert_eq!(packet.subject(), ann);
        engine
            .change_manager(kim, packet.id(), Some(kim))
            .await
            .expect("a manager change in a 0.1 cycle");
        let org = appraise::plugin::StorageExt::org(&storage, cycles[0].id)
            .await
            .expect("the org now");
        assert_eq!((org.version, org.record.manager_of(ann)), (1, Some(kim)));
        // The packet's names moved with it, from the names 0.1 wrote to the storage's own:
        // it names kim, its manager now, and no longer bo.
        for (person, named) in [(kim, vec![packet.id()]), (bo, vec![])] {
            let naming = storage
                .packets_naming(cycles[0].id, person)
                .await
                .expect("packets naming");
            let naming: Vec<_> = naming.iter().map(|p| p.record.id()).collect();
            assert_eq!(naming, named, "{person}");
        }
        let names: i64 = sqlx::query_scalar("SELECT count(*) FROM packet_names")
            .fetch_one(&pool)
            .await
            .expect("count names");
        assert_eq!(
            names, 1,
            "ann's packet names kim, and nothing else is named"
        );
        // The grants survived: kim is still an admin, and the file takes new records.
        let period = Period {
            start: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            end: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        };
        engine
            .create_cycle(kim, CycleConfig::new("H2 2026", period))
            .await
            .expect("a new cycle in the 0.1 file");
        pool.close().await;
        storage.close().await;
        // Opening again changes nothing.
        let again = SqliteStorage::open(&path).await.expect("reopen");
        testkit::round_trips(&again).await;
    }

    /// Scores that earlier versions stored in hundredths (`"from": 450`) read as the decimal
    /// numbers they meant once migration 0007 has run: bands, calibrated ratings, their audit
    /// event and notification, and receipts holding a cycle or a packet.
    #[tokio::test]
    async fn scores_stored_in_hundredths_read_as_decimals_after_migrating() {
        use sqlx::Executor;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("scores.db");
        let storage = SqliteStorage::open(&path).await.expect("open");
        let (commit, records) = scored_commit();
        storage.commit(commit.clone()).await.expect("store");
        let url = format!("sqlite://{}", path.display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
        write_old_form(
            async |table| {
                sqlx::query_scalar(&format!("SELECT body FROM {table}"))
                    .fetch_all(&pool)
                    .await
                    .expect("read bodies")
            },
            async |table, old, body| {
                sqlx::query(&format!("UPDATE {table} SET body = $1 WHERE body = $2"))
                    .bind(old)
                    .bind(body)
                    .execute(&pool)
                    .await
                    .expect("write the old form");
            },
        )
        .await;
        let band: String = sqlx::query_scalar("SELECT body FROM cycles")
            .fetch_one(&pool)
            .await
            .expect("read");
        assert!(band.contains(r#""from":333"#), "the old form: {band}");
        assert!(
            storage.get(records[0].key()).await.is_err(),
            "unreadable before"
        );
        pool.execute(include_str!("../migrations/sqlite/0007_decimal_scores.sql"))
            .await
            .expect("migrate");
        scores_read_back(&storage, &commit, &records).await;
        pool.close().await;
        storage.close().await;
    }

    /// The crate's migrations are recorded in `appraise_migrations`, so a host keeps its own
    /// sqlx migrations in the same file, and may open the storage on its own pool.
    #[tokio::test]
    async fn a_host_keeps_its_own_migrations_beside_the_crates() {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("host.db"))
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("connect");
        let migrations = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            migrations.path().join("0001_host.sql"),
            "CREATE TABLE host_things (id INTEGER PRIMARY KEY);",
        )
        .expect("a host migration");
        let host = sqlx::migrate::Migrator::new(migrations.path())
            .await
            .expect("the host's migrator");
        host.run(&pool).await.expect("the host migrates");
        SqliteStorage::migrate(&pool)
            .await
            .expect("the crate migrates");
        SqliteStorage::migrate(&pool)
            .await
            .expect("and again, changing nothing");
        host.run(&pool).await.expect("the host migrates again");
        let host_applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(&pool)
            .await
            .expect("the host's migrations table");
        assert_eq!(host_applied, [1], "the host's table holds only the host's");
        let storage = SqliteStorage::with_pool(pool);
        testkit::round_trips(&storage).await;
        testkit::concurrency(Arc::new(storage)).await;
    }

    /// Reliability finding: a stored packet whose counters were inconsistent (removed above
    /// submitted) panicked inside `decide` in debug builds and let a subject read a peer review
    /// below the threshold in release builds. A record changed behind the storage's back is
    /// now an error naming it, from every read: a get and a listing, a body that does not hold,
    /// does not parse, or is another record's.
    #[tokio::test]
    async fn a_corrupt_stored_record_is_an_error_naming_it() {
        use appraise::Error;
        use appraise::plugin::{Commit, Expect, Record, RecordKey, StorageExt, Write};
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("corrupt.db");
        let storage = SqliteStorage::open(&path).await.expect("open");
        let records = testkit::sample_records();
        let writes = records
            .iter()
            .cloned()
            .map(|record| Write::Put {
                record,
                expect: Expect::Absent,
            })
            .collect();
        storage
            .commit(Commit {
                writes,
                ..Commit::default()
            })
            .await
            .expect("store");
        let packets: Vec<_> = records
            .iter()
            .filter_map(|r| match r {
                Record::Packet(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        let (victim, other) = (&packets[0], &packets[1]);
        let url = format!("sqlite://{}", path.display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
        let corrupt = |sql: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query(sql)
                    .bind(victim.id().as_uuid().as_bytes().to_vec())
                    .bind(other.id().as_uuid().as_bytes().to_vec())
                    .execute(&pool)
                    .await
                    .expect("change behind the storage's back");
            }
        };
        let expect_corrupt = |what: &str, got: Result<(), Error>, reason: &str| match got {
            Err(Error::Corrupt { record, reason: r }) => {
                assert_eq!(record, format!("packet `{}`", victim.id()), "{what}");
                assert!(r.contains(reason), "{what}: {r}");
            }
            other => panic!("{what}: expected a corrupt record, got {other:?}"),
        };
        let reads = || async {
            let get = storage
                .get(RecordKey::Packet(victim.id()))
                .await
                .map(|_| ());
            let list = storage.packets(victim.cycle(), None, 10).await.map(|_| ());
            (get, list)
        };
        // Counters that do not add up: more removed than submitted.
        corrupt(
            "UPDATE packets SET body = json_set(body, '$.tally[3].removed', 3) WHERE id = ?1 \
             AND ?2 IS NOT NULL",
        )
        .await;
        let (get, list) = reads().await;
        expect_corrupt("get, counters", get, "inconsistently");
        expect_corrupt("listing, counters", list, "inconsistently");
        // A body that does not parse.
        corrupt("UPDATE packets SET body = '{' WHERE id = ?1 AND ?2 IS NOT NULL").await;
        let (get, list) = reads().await;
        expect_corrupt("get, syntax", get, "EOF");
        expect_corrupt("listing, syntax", list, "EOF");
        // Another packet's body under this packet's id.
        corrupt("UPDATE packets SET body = (SELECT body FROM packets WHERE id = ?2) WHERE id = ?1")
            .await;
        let (get, _) = reads().await;
        expect_corrupt("get, another record", get, &other.id().to_string());
        // Settings no command accepts: an approval chain of 256 steps, one more than a
        // packet's step counter reaches.
        let chain = serde_json::to_string(&vec![serde_json::json!({ "step": "admins" }); 256])
            .expect("a chain");
        sqlx::query(
            "UPDATE cycles SET body = json_set(body, '$.config.settings.approval_chain', json(?1))",
        )
        .bind(chain)
        .execute(&pool)
        .await
        .expect("change behind the storage's back");
        let cycle = victim.cycle();
        let got = storage.cycle(cycle).await.map(|_| ());
        let listed = storage.cycles(None, 10).await.map(|_| ());
        for (what, got) in [("get, long chain", got), ("listing, long chain", listed)] {
            match got {
                Err(Error::Corrupt { record, reason }) => {
                    assert!(record.contains(&cycle.to_string()), "{what}: {record}");
                    assert!(reason.contains("more than 255 steps"), "{what}: {reason}");
                }
                other => panic!("{what}: expected a corrupt record, got {other:?}"),
            }
        }
        pool.close().await;
        storage.close().await;
    }

    #[tokio::test]
    async fn reviews_keep_their_ids_in_columns() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("reviews.db");
        let storage = SqliteStorage::open(&path).await.expect("open");
        let url = format!("sqlite://{}", path.display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
        super::reviews_keep_their_ids_in_columns(
            &storage,
            async || {
                let rows: Vec<(Vec<u8>, String)> = sqlx::query_as("SELECT id, body FROM reviews")
                    .fetch_all(&pool)
                    .await
                    .expect("read bodies");
                rows.into_iter()
                    .map(|(id, body)| (uuid::Uuid::from_slice(&id).expect("an id"), body))
                    .collect()
            },
            async |id, body| {
                sqlx::query("UPDATE reviews SET body = ? WHERE id = ?")
                    .bind(body)
                    .bind(id.as_bytes().to_vec())
                    .execute(&pool)
                    .await
                    .expect("set the body");
            },
            async |id, author| {
                sqlx::query("UPDATE reviews SET author = ? WHERE id = ?")
                    .bind(author.as_bytes().to_vec())
                    .bind(id.as_bytes().to_vec())
                    .execute(&pool)
                    .await
                    .expect("set the author");
            },
        )
        .await;
        pool.close().await;
        storage.close().await;
    }

    /// Reliability finding: `SQLITE_BUSY` reached the caller as a backend failure when another
    /// process held the database. It is a conflict now: nothing was written, retry. (This
    /// test waits out the storage's 10 s busy timeout.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_busy_database_is_a_conflict() {
        use appraise::plugin::Commit;
        use appraise::{Error, Event, EventKind};
        use sqlx::Connection as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("busy.db");
        let storage = SqliteStorage::open(&path).await.expect("open");
        let commit = || Commit {
            events: vec![Event::new(
                chrono::Utc::now(),
                None,
                None,
                EventKind::CycleDeleted,
            )],
            ..Commit::default()
        };
        // Another process takes the write lock and keeps it.
        let url = format!("sqlite://{}", path.display());
        let mut other = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("connect");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .expect("lock");
        let busy = storage.commit(commit()).await;
        assert!(matches!(busy, Err(Error::Conflict { .. })), "{busy:?}");
        sqlx::query("ROLLBACK")
            .execute(&mut other)
            .await
            .expect("unlock");
        storage.commit(commit()).await.expect("a retry lands");
        assert_eq!(storage.store_events(None, 10).await.expect("read").len(), 1);
        storage.close().await;
    }
}

/// PostgreSQL, on the server `APPRAISE_POSTGRES_URL` names (`.ci/with-postgres` starts one).
/// Each test works in a tenant of its own, so they share the database and can run again.
#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use appraise::Error;
    use appraise::sql::PostgresStorage;

    /// The server's URL, or `None` (the test says it was skipped) when none is configured.
    fn url() -> Option<String> {
        let url = std::env::var("APPRAISE_POSTGRES_URL").ok();
        if url.is_none() {
            eprintln!("skipped: APPRAISE_POSTGRES_URL is not set (see .ci/with-postgres)");
        }
        url
    }

    fn fresh_tenant() -> String {
        format!("test-{}", uuid::Uuid::new_v4())
    }

    async fn open(url: &str) -> PostgresStorage {
        PostgresStorage::connect(url, &fresh_tenant())
            .await
            .expect("connect")
    }

    /// A database of its own, named `{prefix}_…`, on the server of `url`: a pool on the
    /// server's default database (to drop it with), its name, and a pool on it.
    async fn fresh_database(url: &str, prefix: &str) -> (sqlx::PgPool, String, sqlx::PgPool) {
        let admin = sqlx::PgPool::connect(url).await.expect("connect");
        let database = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {database}"))
            .execute(&admin)
            .await
            .expect("create a database");
        let (base, _) = url.rsplit_once('/').expect("a database in the URL");
        let pool = sqlx::PgPool::connect(&format!("{base}/{database}"))
            .await
            .expect("connect");
        (admin, database, pool)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_passes_the_testkit() {
        let Some(url) = url() else { return };
        testkit::run_all(Arc::new(open(&url).await)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_launch_of_many_reads_as_on_memory() {
        let Some(url) = url() else { return };
        super::a_launch_of_many_reads_as_on_memory(Arc::new(open(&url).await)).await;
    }

    /// Two app servers: two pools on one tenant. Commits that each check what the other
    /// writes never both land, and read-modify-write races keep every accepted update.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_app_servers_never_both_win_a_write_skew() {
        let Some(url) = url() else { return };
        let first = open(&url).await;
        let second = PostgresStorage::connect(&url, first.tenant())
            .await
            .expect("a second app server");
        testkit::write_skew(Arc::new(first.clone()), Arc::new(second.clone())).await;
        testkit::outbox_claims(Arc::new(second)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tenants_see_nothing_of_each_other() {
        let Some(url) = url() else { return };
        let a = open(&url).await;
        let b = a.for_tenant(&fresh_tenant()).expect("tenant");
        testkit::tenant_isolation(&a, &b).await;
        testkit::tenant_isolation(&b.for_tenant(&fresh_tenant()).expect("tenant"), &a).await;
    }

    /// Three app servers (engines, each with its own pool on one tenant): see
    /// [`super::app_servers_behave_as_one`].
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn app_servers_behave_as_one() {
        let Some(url) = url() else { return };
        let tenant = fresh_tenant();
        super::app_servers_behave_as_one(async || {
            let storage = PostgresStorage::connect(&url, &tenant)
                .await
                .expect("connect");
            Arc::new(storage) as Arc<dyn Storage>
        })
        .await;
    }

    #[tokio::test]
    async fn tenant_names_are_checked() {
        let Some(url) = url() else { return };
        let storage = open(&url).await;
        for bad in ["", "a\nb", &"x".repeat(201)] {
            assert!(
                matches!(storage.for_tenant(bad), Err(Error::Invalid { ref field, .. }) if field == "tenant"),
                "tenant {bad:?} must be refused"
            );
        }
        assert_eq!(
            storage.for_tenant("Acme GmbH").expect("tenant").tenant(),
            "Acme GmbH"
        );
    }

    /// The crate's migrations are recorded in `appraise_migrations`, so a host keeps its own
    /// sqlx migrations in the same database; app servers starting together migrate once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_host_keeps_its_own_migrations_beside_the_crates() {
        let Some(url) = url() else { return };
        let (admin, database, pool) = fresh_database(&url, "host").await;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("0001_host.sql"),
            "CREATE TABLE host_things (id bigint PRIMARY KEY);",
        )
        .expect("a host migration");
        let host = sqlx::migrate::Migrator::new(dir.path())
            .await
            .expect("the host's migrator");
        host.run(&pool).await.expect("the host migrates");
        let starts = (0..4).map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { PostgresStorage::migrate(&pool).await })
        });
        for start in starts {
            start.await.expect("task").expect("the crate migrates");
        }
        host.run(&pool).await.expect("the host migrates again");
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM appraise_migrations")
            .fetch_all(&pool)
            .await
            .expect("the crate's migrations table");
        let ours = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
            .expect("the crate's migrations")
            .count();
        let every: Vec<i64> = (1..=i64::try_from(ours).expect("a count")).collect();
        assert_eq!(applied, every, "each migration applied once");
        let host_applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(&pool)
            .await
            .expect("the host's migrations table");
        assert_eq!(
            host_applied,
            vec![1],
            "the host's table holds only the host's"
        );
        let storage = PostgresStorage::with_pool(pool.clone(), "host").expect("tenant");
        testkit::round_trips(&storage).await;
        // A database migrated by a newer version of the crate is refused, not guessed at.
        sqlx::query(
            "INSERT INTO appraise_migrations (version, description, checksum) \
             VALUES (9999, 'future', '')",
        )
        .execute(&pool)
        .await
        .expect("a migration from the future");
        let refused = PostgresStorage::migrate(&pool).await;
        assert!(
            matches!(&refused, Err(Error::Backend { source }) if source.to_string().contains("newer")),
            "{refused:?}"
        );
        pool.close().await;
        sqlx::query(&format!("DROP DATABASE {database} WITH (FORCE)"))
            .execute(&admin)
            .await
            .expect("drop the database");
    }

    /// Scores that earlier versions stored in hundredths read as the decimal numbers they
    /// meant once migration 0003 has run (in a database of its own: the migration rewrites
    /// every tenant's records).
    #[tokio::test]
    async fn reviews_keep_their_ids_in_columns() {
        let Some(url) = url() else { return };
        let tenant = fresh_tenant();
        let storage = PostgresStorage::connect(&url, &tenant)
            .await
            .expect("connect");
        let pool = sqlx::PgPool::connect(&url).await.expect("connect");
        super::reviews_keep_their_ids_in_columns(
            &storage,
            async || {
                sqlx::query_as("SELECT id, body FROM reviews WHERE tenant = $1")
                    .bind(&tenant)
                    .fetch_all(&pool)
                    .await
                    .expect("read bodies")
            },
            async |id, body| {
                sqlx::query("UPDATE reviews SET body = $1 WHERE tenant = $2 AND id = $3")
                    .bind(body)
                    .bind(&tenant)
                    .bind(id)
                    .execute(&pool)
                    .await
                    .expect("set the body");
            },
            async |id, author| {
                sqlx::query("UPDATE reviews SET author = $1 WHERE tenant = $2 AND id = $3")
                    .bind(author)
                    .bind(&tenant)
                    .bind(id)
                    .execute(&pool)
                    .await
                    .expect("set the author");
            },
        )
        .await;
        pool.close().await;
    }

    #[tokio::test]
    async fn scores_stored_in_hundredths_read_as_decimals_after_migrating() {
        use sqlx::Executor;
        let Some(url) = url() else { return };
        let (admin, database, pool) = fresh_database(&url, "scores").await;
        PostgresStorage::migrate(&pool).await.expect("migrate");
        let storage = PostgresStorage::with_pool(pool.clone(), "scores").expect("tenant");
        let (commit, records) = scored_commit();
        storage.commit(commit.clone()).await.expect("store");
        write_old_form(
            async |table| {
                sqlx::query_scalar(&format!("SELECT body FROM {table}"))
                    .fetch_all(&pool)
                    .await
                    .expect("read bodies")
            },
            async |table, old, body| {
                sqlx::query(&format!("UPDATE {table} SET body = $1 WHERE body = $2"))
                    .bind(old)
                    .bind(body)
                    .execute(&pool)
                    .await
                    .expect("write the old form");
            },
        )
        .await;
        assert!(
            storage.get(records[0].key()).await.is_err(),
            "unreadable before"
        );
        pool.execute(include_str!(
            "../migrations/postgres/0003_decimal_scores.sql"
        ))
        .await
        .expect("migrate");
        scores_read_back(&storage, &commit, &records).await;
        pool.close().await;
        sqlx::query(&format!("DROP DATABASE {database} WITH (FORCE)"))
            .execute(&admin)
            .await
            .expect("drop the database");
    }
}
