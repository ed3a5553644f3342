//! Conformance checks every [`Storage`] must pass (feature `testkit`).
//!
//! Each check is a plain `pub async fn` taking the storage under test. It creates its own
//! records under fresh ids, so all of them can run against one store, in any order. They panic
//! with a message naming the broken rule of the [`Storage`] contract. Run them from a test of
//! the host's backend:
//!
//! ```ignore
//! #[tokio::test(flavor = "multi_thread")]
//! async fn my_storage_conforms() {
//!     let storage: std::sync::Arc<dyn appraise::plugin::Storage> = std::sync::Arc::new(MyStorage::connect().await);
//!     appraise::testkit::run_all(storage).await;
//! }
//! ```
//!
//! The concurrency check spawns tasks with `tokio::spawn`, so it needs a tokio runtime
//! (preferably multi-threaded).

pub mod faults;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::event::{Event, EventKind};
use crate::domain::notification::{Notification, NotificationKind};
use crate::plugin::{
    Claim, Commit, Expect, Record, RecordKey, Storage, StorageExt, Versioned, Write,
};
use crate::{
    AdminGrant, CalibrationSession, CalibrationSessionId, Cycle, CycleConfig, CycleId, Error,
    KindProgress, Nomination, NominationId, OrgSnapshot, Packet, PacketId, Period, Person,
    PersonId, Progress, RandomIds, Review, ReviewKind, launch,
};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn period() -> Period {
    let d = at().date_naive();
    Period { start: d, end: d }
}

fn cycle_named(name: &str) -> Cycle {
    let config = CycleConfig::new(name, period());
    match Cycle::create(CycleId::random(), config, PersonId::random(), at()) {
        Ok((cycle, _)) => cycle,
        Err(e) => panic!("testkit fixture: {e}"),
    }
}

/// Stores new packets in one commit.
async fn store_new(storage: &dyn Storage, packets: &[Packet]) {
    let commit = Commit {
        writes: packets
            .iter()
            .map(|p| Write::Put {
                record: Record::from(p.clone()),
                expect: Expect::Absent,
            })
            .collect(),
        ..Commit::default()
    };
    storage
        .commit(commit)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A boss and `reports` people reporting to them, boss first.
fn team(reports: usize) -> Vec<Person> {
    let boss = PersonId::random();
    let mut people = vec![Person::new(boss, "boss")];
    people.extend(
        (0..reports).map(|i| Person::new(PersonId::random(), format!("p{i}")).with_manager(boss)),
    );
    people
}

/// A cycle named `name` with everyone in `people` a participant, launched by the first of
/// them on the snapshot of `people`.
fn launched_cycle(name: &str, people: &[Person]) -> (Cycle, crate::Launched) {
    let Some(boss) = people.first().map(|p| p.id) else {
        panic!("testkit fixture: nobody to launch with");
    };
    let snapshot = match OrgSnapshot::build(people.to_vec(), vec![]) {
        Ok(s) => s,
        Err(e) => panic!("testkit fixture: {e}"),
    };
    let mut cycle = cycle_named(name);
    let launched = cycle
        .set_participants(people.iter().map(|p| p.id), boss, at())
        .and_then(|_| launch(&mut cycle, &snapshot, &mut RandomIds, boss, at()));
    match launched {
        Ok(launched) => (cycle, launched),
        Err(e) => panic!("testkit fixture: {e}"),
    }
}

fn event(cycle: CycleId, marker: &str) -> Event {
    Event::new(
        at(),
        None,
        Some(cycle),
        EventKind::CycleCreated {
            name: marker.to_owned(),
        },
    )
}

fn notification(key: &str, cycle: CycleId) -> Notification {
    Notification {
        key: key.to_owned(),
        recipient: PersonId::random(),
        kind: NotificationKind::ResultsShared,
        cycle: Some(cycle),
        subject: None,
        event: event(cycle, key),
    }
}

/// A commit creating every record of `records`.
fn creating(records: impl IntoIterator<Item = Record>) -> Commit {
    Commit {
        writes: records
            .into_iter()
            .map(|record| Write::Put {
                record,
                expect: Expect::Absent,
            })
            .collect(),
        ..Commit::default()
    }
}

fn put(record: Record, expect: Expect) -> Commit {
    Commit {
        writes: vec![Write::Put { record, expect }],
        ..Commit::default()
    }
}

/// A launched cycle of three people with packets and reviews, plus a nomination and a
/// calibration session: one record of every kind.
struct Fixture {
    cycle: Cycle,
    snapshot: OrgSnapshot,
    packets: Vec<Packet>,
    reviews: Vec<Review>,
    nomination: Nomination,
    calibration: CalibrationSession,
    template: crate::Template,
    receipt: crate::plugin::Receipt,
    people: [PersonId; 3],
}

fn fixture() -> Fixture {
    let people = [PersonId::random(), PersonId::random(), PersonId::random()];
    let [boss, a, b] = people;
    let snapshot = match OrgSnapshot::build(
        vec![
            Person::new(boss, "boss"),
            Person::new(a, "a").with_manager(boss),
            Person::new(b, "b").with_manager(boss),
        ],
        vec![],
    ) {
        Ok(s) => s,
        Err(e) => panic!("testkit fixture: {e}"),
    };
    let mut cycle = cycle_named("testkit");
    let launched = cycle
        .set_participants([a, b, boss], boss, at())
        .and_then(|_| launch(&mut cycle, &snapshot, &mut RandomIds, boss, at()));
    let launched = match launched {
        Ok(l) => l,
        Err(e) => panic!("testkit fixture: {e}"),
    };
    let Some(packet_of_a) = launched.packets.iter().find(|p| p.subject() == a) else {
        panic!("testkit fixture: no packet for a participant");
    };
    let nomination = match Nomination::create(
        NominationId::random(),
        packet_of_a,
        b,
        &[],
        cycle.settings(),
        a,
        at(),
    ) {
        Ok((n, _)) => n,
        Err(e) => panic!("testkit fixture: {e}"),
    };
    let (calibration, _) = CalibrationSession::create(
        CalibrationSessionId::random(),
        cycle.id(),
        "testkit",
        [a, b],
        [boss],
        boss,
        at(),
    );
    let receipt = crate::plugin::Receipt {
        id: crate::ReceiptId::of(boss, &format!("testkit-{}", cycle.id())),
        outcome: serde_json::json!({"participants": 3}),
        at: at(),
    };
    Fixture {
        cycle,
        snapshot,
        packets: launched.packets,
        reviews: launched.reviews,
        nomination,
        calibration,
        template: crate::Template::new(crate::TemplateId::random(), "testkit").section(
            crate::Section::new("s", "Section").question(
                crate::Question::new(
                    "q",
                    "How did it go?",
                    crate::QuestionKind::FreeText { max_len: None },
                )
                .answered_by([crate::ReviewKind::SelfReview]),
            ),
        ),
        receipt,
        people,
    }
}

/// One record of every kind, of a small launched cycle (a cycle, its snapshot, a nomination,
/// a calibration session, a template, packets and reviews), for a backend's own tests: store
/// them, then change them behind the storage's back.
#[must_use]
pub fn sample_records() -> Vec<Record> {
    records(&fixture())
}

fn records(f: &Fixture) -> Vec<Record> {
    let mut out = vec![
        Record::from(f.cycle.clone()),
        Record::Snapshot {
            cycle: f.cycle.id(),
            snapshot: Box::new(f.snapshot.clone()),
        },
        Record::from(crate::OrgHead {
            cycle: f.cycle.id(),
        }),
        Record::from(f.nomination.clone()),
        Record::from(f.calibration.clone()),
        Record::from(f.template.clone()),
        Record::from(f.receipt.clone()),
    ];
    out.extend(
        org_log(f.cycle.id(), f.people)
            .into_iter()
            .map(Record::from),
    );
    out.extend(f.packets.iter().cloned().map(Record::from));
    out.extend(f.reviews.iter().cloned().map(Record::from));
    out
}

async fn store_fixture(storage: &dyn Storage) -> Fixture {
    let f = fixture();
    if let Err(e) = storage.commit(creating(records(&f))).await {
        panic!("storing the fixture failed: {e}");
    }
    f
}

/// Two changes of `cycle`'s org: `b` moves under `a`, then `a` leaves.
fn org_log(cycle: CycleId, [_, a, b]: [PersonId; 3]) -> Vec<crate::OrgChange> {
    vec![
        crate::OrgChange {
            cycle,
            seq: 1,
            edit: crate::OrgEdit::ManagerChanged {
                person: b,
                manager: Some(a),
            },
        },
        crate::OrgChange {
            cycle,
            seq: 2,
            edit: crate::OrgEdit::Left { person: a },
        },
    ]
}

/// A cycle's org log reads back by range, in order, and never another cycle's: changes
/// `after + 1 ..= upto`, with changes not stored left out.
pub async fn org_changes(storage: &dyn Storage) {
    let people = [PersonId::random(), PersonId::random(), PersonId::random()];
    let (one, two) = (CycleId::random(), CycleId::random());
    let mut log = Vec::new();
    for round in 0..3 {
        for change in org_log(one, people) {
            log.push(crate::OrgChange {
                seq: change.seq + 2 * round,
                ..change
            });
        }
    }
    let mut changes: Vec<Record> = log.iter().cloned().map(Record::from).collect();
    changes.extend(org_log(two, people).into_iter().map(Record::from));
    if let Err(e) = storage.commit(creating(changes)).await {
        panic!("storing org changes failed: {e}");
    }
    for (after, upto) in [(0, 6), (0, 9), (2, 4), (5, 6), (6, 6), (3, 2), (6, 100)] {
        let got = storage
            .org_changes(one, after, upto)
            .await
            .unwrap_or_else(|e| panic!("org_changes({after}, {upto}): {e}"));
        let want: Vec<_> = log
            .iter()
            .filter(|c| c.seq > after && c.seq <= upto)
            .cloned()
            .collect();
        assert_eq!(got, want, "org changes {after} < seq <= {upto}");
    }
    let other = storage
        .org_changes(two, 0, 6)
        .await
        .unwrap_or_else(|e| panic!("org_changes: {e}"));
    assert_eq!(other, org_log(two, people), "the other cycle's log");
    let none = storage
        .org_changes(CycleId::random(), 0, 6)
        .await
        .unwrap_or_else(|e| panic!("org_changes: {e}"));
    assert!(none.is_empty(), "a cycle without changes has none");
}

/// Every record kind reads back equal at version 1; a `Put` at that version stores version 2;
/// a `Delete` removes it; an unknown key reads as `None`.
pub async fn round_trips(storage: &dyn Storage) {
    let f = store_fixture(storage).await;
    for record in records(&f) {
        let key = record.key();
        let got = storage
            .get(key)
            .await
            .unwrap_or_else(|e| panic!("get {key}: {e}"));
        assert_eq!(
            got,
            Some(Versioned {
                version: 1,
                record: record.clone()
            }),
            "{key} round trip"
        );
        storage
            .commit(put(record.clone(), Expect::Version(1)))
            .await
            .unwrap_or_else(|e| panic!("update {key}: {e}"));
        let got = storage.get(key).await.ok().flatten().map(|v| v.version);
        assert_eq!(got, Some(2), "{key}: an update stores the next version");
        let probed = storage
            .version(key)
            .await
            .unwrap_or_else(|e| panic!("version {key}: {e}"));
        assert_eq!(probed, Some(2), "{key}: `version` agrees with `get`");
    }
    // `versions` answers like `version`, key by key, in order: stored and absent keys mixed,
    // and more of them than a backend might put in one statement.
    let mut keys: Vec<RecordKey> = records(&f).iter().map(Record::key).collect();
    keys.push(RecordKey::Cycle(CycleId::random()));
    keys.push(RecordKey::Snapshot(CycleId::random()));
    let keys: Vec<RecordKey> = keys.iter().copied().cycle().take(keys.len() * 40).collect();
    let many = storage
        .versions(&keys)
        .await
        .unwrap_or_else(|e| panic!("versions: {e}"));
    assert_eq!(many.len(), keys.len(), "`versions` answers every key");
    for (key, got) in keys.iter().zip(&many) {
        let one = storage
            .version(*key)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(*got, one, "{key}: `versions` agrees with `version`");
    }
    // Grants, a singleton: created once, then updated.
    let (expect, mut grants) = storage
        .grants()
        .await
        .unwrap_or_else(|e| panic!("grants: {e}"));
    grants.grant_admin(
        PersonId::random(),
        AdminGrant {
            since: at(),
            past_cycles: true,
        },
        PersonId::random(),
        at(),
    );
    storage
        .commit(put(Record::from(grants.clone()), expect))
        .await
        .unwrap_or_else(|e| panic!("storing grants: {e}"));
    let (_, back) = storage
        .grants()
        .await
        .unwrap_or_else(|e| panic!("grants: {e}"));
    assert_eq!(back, grants, "grants round trip");
    // Delete.
    let key = RecordKey::Cycle(f.cycle.id());
    storage
        .commit(Commit {
            writes: vec![Write::Delete { key, version: 2 }],
            ..Commit::default()
        })
        .await
        .unwrap_or_else(|e| panic!("delete {key}: {e}"));
    assert_eq!(
        storage.get(key).await.ok().flatten(),
        None,
        "deleted {key} is gone"
    );
    assert_absent(
        storage,
        RecordKey::Cycle(CycleId::random()),
        "unknown key reads as None",
    )
    .await;
}

/// Asserts `key` holds no record.
async fn assert_absent(storage: &dyn Storage, key: RecordKey, why: &str) {
    assert_eq!(storage.get(key).await.ok().flatten(), None, "{why}");
}

fn assert_conflict(result: crate::Result<()>, key: RecordKey, why: &str) {
    match result {
        Err(Error::Conflict { what, id }) => {
            assert_eq!(
                (what, id),
                (key.what(), key.id_string()),
                "{why}: the conflict names the record"
            );
        }
        other => panic!("{why}: expected a conflict on {key}, got {other:?}"),
    }
}

/// Stale or wrong expectations fail with [`Error::Conflict`] naming the record.
pub async fn version_conflicts(storage: &dyn Storage) {
    let cycle = cycle_named("conflicts");
    let key = RecordKey::Cycle(cycle.id());
    storage
        .commit(put(Record::from(cycle.clone()), Expect::Absent))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_conflict(
        storage
            .commit(put(Record::from(cycle.clone()), Expect::Absent))
            .await,
        key,
        "create over an existing record",
    );
    // Another table's new record goes first (tables are written in name order): the conflict
    // still names the existing record, and the new one does not land.
    let (session, _) = CalibrationSession::create(
        CalibrationSessionId::random(),
        cycle.id(),
        "conflicts",
        [],
        [],
        cycle.created_by(),
        at(),
    );
    let both = creating([Record::from(session.clone()), Record::from(cycle.clone())]);
    assert_conflict(
        storage.commit(both).await,
        key,
        "a create over an existing record after a new one",
    );
    assert_absent(
        storage,
        RecordKey::Calibration(session.id()),
        "the new record of a refused commit does not land",
    )
    .await;
    storage
        .commit(put(Record::from(cycle.clone()), Expect::Version(1)))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_conflict(
        storage
            .commit(put(Record::from(cycle.clone()), Expect::Version(1)))
            .await,
        key,
        "update at a stale version",
    );
    assert_conflict(
        storage
            .commit(put(Record::from(cycle.clone()), Expect::Version(9)))
            .await,
        key,
        "update at a future version",
    );
    let missing = cycle_named("missing");
    assert_conflict(
        storage
            .commit(put(Record::from(missing.clone()), Expect::Version(1)))
            .await,
        RecordKey::Cycle(missing.id()),
        "update of a missing record",
    );
    let delete = Commit {
        writes: vec![Write::Delete { key, version: 1 }],
        ..Commit::default()
    };
    assert_conflict(
        storage.commit(delete).await,
        key,
        "delete at a stale version",
    );
    let check = Commit {
        writes: vec![Write::Check {
            key,
            expect: Expect::Version(1),
        }],
        ..Commit::default()
    };
    assert_conflict(storage.commit(check).await, key, "check at a stale version");
    let check = Commit {
        writes: vec![Write::Check {
            key,
            expect: Expect::Version(2),
        }],
        ..Commit::default()
    };
    storage
        .commit(check)
        .await
        .unwrap_or_else(|e| panic!("a check that holds: {e}"));
    assert_eq!(
        storage.get(key).await.ok().flatten().map(|v| v.version),
        Some(2),
        "a check writes nothing"
    );
}

/// A commit with one stale version writes nothing: no record, no event, no outbox entry.
pub async fn atomicity(storage: &dyn Storage) {
    let existing = cycle_named("atomic-existing");
    let key = RecordKey::Cycle(existing.id());
    storage
        .commit(put(Record::from(existing.clone()), Expect::Absent))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let fresh = cycle_named("atomic-fresh");
    let outbox_key = format!("testkit-atomic-{}", fresh.id());
    let commit = Commit {
        writes: vec![
            Write::Put {
                record: Record::from(fresh.clone()),
                expect: Expect::Absent,
            },
            Write::Put {
                record: Record::from(existing.clone()),
                expect: Expect::Version(7),
            },
        ],
        events: vec![event(fresh.id(), "must not land")],
        outbox: vec![notification(&outbox_key, fresh.id())],
    };
    assert_conflict(
        storage.commit(commit).await,
        key,
        "one stale write in a commit",
    );
    assert_absent(
        storage,
        RecordKey::Cycle(fresh.id()),
        "no record of a failed commit",
    )
    .await;
    assert_eq!(
        storage.get(key).await.ok().flatten().map(|v| v.version),
        Some(1),
        "the stale record is unchanged"
    );
    let events = storage
        .events(fresh.id(), None, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(events.is_empty(), "no event of a failed commit");
    let pending = storage
        .pending_outbox(usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        pending.iter().all(|e| e.notification.key != outbox_key),
        "no outbox entry of a failed commit"
    );
    // A commit as large as a launch's (backends may send it in many statements), whose first
    // new record exists already: none of it lands, not even what follows.
    let many: Vec<Cycle> = (0..2_500)
        .map(|i| cycle_named(&format!("atomic-{i}")))
        .collect();
    let writes = [&existing]
        .into_iter()
        .chain(&many)
        .map(|c| Write::Put {
            record: Record::from(c.clone()),
            expect: Expect::Absent,
        })
        .collect();
    let large = Commit {
        writes,
        events: (0..1_500)
            .map(|_| event(fresh.id(), "must not land"))
            .collect(),
        outbox: vec![],
    };
    assert_conflict(
        storage.commit(large).await,
        key,
        "a used key at the start of a large commit",
    );
    for c in [&many[0], &many[1_250], &many[2_499]] {
        assert_absent(
            storage,
            RecordKey::Cycle(c.id()),
            "no record of a failed large commit",
        )
        .await;
    }
    let events = storage
        .events(fresh.id(), None, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(events.is_empty(), "no event of a failed large commit");
    // Two writes to one key are refused whole, as invalid.
    let twice = Commit {
        writes: vec![
            Write::Put {
                record: Record::from(fresh.clone()),
                expect: Expect::Absent,
            },
            Write::Check {
                key: RecordKey::Cycle(fresh.id()),
                expect: Expect::Absent,
            },
        ],
        ..Commit::default()
    };
    assert!(
        matches!(storage.commit(twice).await, Err(Error::Invalid { .. })),
        "two writes to one key are invalid"
    );
    assert_absent(
        storage,
        RecordKey::Cycle(fresh.id()),
        "an invalid commit writes nothing",
    )
    .await;
}

/// Outbox entries are pending in commit order until marked delivered; marking is idempotent;
/// a used key is refused.
pub async fn outbox_lifecycle(storage: &dyn Storage) {
    let cycle = CycleId::random();
    let keys: Vec<String> = (0..3)
        .map(|i| format!("testkit-outbox-{cycle}-{i}"))
        .collect();
    storage
        .commit(Commit {
            outbox: vec![notification(&keys[0], cycle), notification(&keys[1], cycle)],
            ..Commit::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    storage
        .commit(Commit {
            outbox: vec![notification(&keys[2], cycle)],
            ..Commit::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mine = |entries: Vec<crate::plugin::OutboxEntry>| -> Vec<String> {
        entries
            .into_iter()
            .map(|e| e.notification.key)
            .filter(|k| keys.contains(k))
            .collect()
    };
    let pending = storage
        .pending_outbox(usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let seqs: Vec<u64> = pending.iter().map(|e| e.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "pending entries come oldest first"
    );
    assert_eq!(mine(pending), keys, "pending in commit order");
    storage
        .mark_delivered(&keys[1])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    storage
        .mark_delivered(&keys[1])
        .await
        .unwrap_or_else(|e| panic!("marking twice: {e}"));
    storage
        .mark_delivered("testkit-no-such-key")
        .await
        .unwrap_or_else(|e| panic!("unknown key: {e}"));
    let pending = storage
        .pending_outbox(usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        mine(pending),
        vec![keys[0].clone(), keys[2].clone()],
        "a delivered entry leaves the pending list"
    );
    // A used key among new ones, in a commit that also creates a record: refused whole.
    let fresh = cycle_named("outbox-reuse");
    let new_key = format!("testkit-outbox-{cycle}-new");
    let reuse = Commit {
        writes: vec![Write::Put {
            record: Record::from(fresh.clone()),
            expect: Expect::Absent,
        }],
        outbox: vec![notification(&new_key, cycle), notification(&keys[0], cycle)],
        ..Commit::default()
    };
    match storage.commit(reuse).await {
        Err(Error::Invalid { reason, .. }) => assert!(
            reason.contains(&keys[0]),
            "the refusal names the used key: {reason}"
        ),
        other => panic!("an outbox key is used once: {other:?}"),
    }
    assert_absent(
        storage,
        RecordKey::Cycle(fresh.id()),
        "a refused commit creates no record",
    )
    .await;
    let pending = storage
        .pending_outbox(usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        pending.iter().all(|e| e.notification.key != new_key),
        "a refused commit adds no entry"
    );
    assert_eq!(mine(pending).len(), 2, "a refused commit adds no entry");
}

/// Claims on outbox entries: a claim takes only pending entries no live claim holds, oldest
/// first; a release frees an entry only for the claim holding it; a claim's end frees its
/// entries; a delivered entry is never claimed; claims racing from several claimants never
/// share an entry.
pub async fn outbox_claims(storage: Arc<dyn Storage>) {
    let cycle = CycleId::random();
    // A time after every other check's claims, so that entries other checks left pending
    // are free too; only this check's keys are asserted on.
    let t0 = Utc
        .with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let claim = |at_s: i64| Claim {
        by: uuid::Uuid::new_v4(),
        at: t0 + chrono::Duration::seconds(at_s),
        until: t0 + chrono::Duration::seconds(at_s + 60),
    };
    let keys: Vec<String> = (0..4)
        .map(|i| format!("testkit-claims-{cycle}-{i}"))
        .collect();
    let add = |keys: Vec<String>| {
        let storage = Arc::clone(&storage);
        async move {
            storage
                .commit(Commit {
                    outbox: keys.iter().map(|k| notification(k, cycle)).collect(),
                    ..Commit::default()
                })
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    };
    add(keys.clone()).await;
    let set =
        |keys: &[&String]| -> BTreeSet<String> { keys.iter().map(|k| (*k).clone()).collect() };
    let claim_keys = |c: Claim, asked: Vec<String>| {
        let storage = Arc::clone(&storage);
        async move {
            let got = storage
                .claim_keys(c, &asked)
                .await
                .unwrap_or_else(|e| panic!("claim_keys: {e}"));
            got.into_iter().collect::<BTreeSet<String>>()
        }
    };
    let mine = |entries: Vec<crate::plugin::OutboxEntry>| -> Vec<String> {
        entries
            .into_iter()
            .map(|e| e.notification.key)
            .filter(|k| keys.contains(k))
            .collect()
    };
    let a = claim(0);
    let got = claim_keys(
        a,
        vec![
            keys[0].clone(),
            keys[1].clone(),
            "testkit-no-such-key".into(),
        ],
    )
    .await;
    assert_eq!(
        got,
        set(&[&keys[0], &keys[1]]),
        "a claim takes free keys, not unknown ones"
    );
    let b = claim(0);
    let got = claim_keys(b, vec![keys[1].clone(), keys[2].clone()]).await;
    assert_eq!(
        got,
        set(&[&keys[2]]),
        "a held key is not claimed again before its claim ends"
    );
    let rest = storage
        .claim_pending(b, usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("claim_pending: {e}"));
    let seqs: Vec<u64> = rest.iter().map(|e| e.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "claimed entries come oldest first"
    );
    assert_eq!(
        mine(rest),
        vec![keys[3].clone()],
        "claim_pending takes only free entries"
    );
    storage
        .release_claim(b, &keys[0])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let c = claim(1);
    assert!(
        claim_keys(c, vec![keys[0].clone()]).await.is_empty(),
        "a release by another claim frees nothing"
    );
    storage
        .release_claim(a, &keys[1])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        claim_keys(c, vec![keys[1].clone()]).await,
        set(&[&keys[1]]),
        "a release by the holding claim frees the entry"
    );
    storage
        .mark_delivered(&keys[0])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let later = claim(61);
    let freed = storage
        .claim_pending(later, usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("claim_pending: {e}"));
    assert_eq!(
        mine(freed),
        keys[1..].to_vec(),
        "ended claims free their entries; a delivered entry is never claimed"
    );
    let one = storage
        .claim_pending(claim(200), 1)
        .await
        .unwrap_or_else(|e| panic!("claim_pending: {e}"));
    assert!(one.len() <= 1, "claim_pending keeps to its limit");

    // Racing claimants, by key and by listing: every entry goes to exactly one of them.
    let racing: Vec<String> = (0..40)
        .map(|i| format!("testkit-claims-{cycle}-race-{i}"))
        .collect();
    add(racing.clone()).await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let storage = Arc::clone(&storage);
            let racing = racing.clone();
            let c = claim(300);
            tokio::spawn(async move {
                if i % 2 == 0 {
                    storage.claim_keys(c, &racing).await
                } else {
                    storage
                        .claim_pending(c, usize::MAX)
                        .await
                        .map(|entries| entries.into_iter().map(|e| e.notification.key).collect())
                }
            })
        })
        .collect();
    let mut claimed: Vec<String> = Vec::new();
    for task in tasks {
        let got = task
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("racing claims: {e}"));
        claimed.extend(got.into_iter().filter(|k| racing.contains(k)));
    }
    claimed.sort();
    let mut expected = racing.clone();
    expected.sort();
    assert_eq!(
        claimed, expected,
        "racing claims share no entry and leave none"
    );
}

/// Events of a cycle come in commit order, page by `after`, and never mix cycles; events of
/// no cycle (grants, templates) are listed by `store_events`, in order, and by nothing else.
pub async fn event_paging(storage: &dyn Storage) {
    let (a, b) = (CycleId::random(), CycleId::random());
    let tag = CycleId::random().to_string();
    let store_event =
        |marker: String| Event::new(at(), None, None, EventKind::CycleCreated { name: marker });
    for i in 0..5 {
        let commit = Commit {
            events: vec![
                event(a, &format!("a{i}x")),
                store_event(format!("{tag}-s{i}")),
                event(b, &format!("b{i}")),
                event(a, &format!("a{i}y")),
            ],
            ..Commit::default()
        };
        storage
            .commit(commit)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let marker = |e: &crate::plugin::StoredEvent| match &e.event.kind {
        EventKind::CycleCreated { name } => name.clone(),
        _ => String::new(),
    };
    let all = storage
        .events(a, None, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let expected: Vec<String> = (0..5)
        .flat_map(|i| [format!("a{i}x"), format!("a{i}y")])
        .collect();
    assert_eq!(
        all.iter().map(marker).collect::<Vec<_>>(),
        expected,
        "events of a cycle in commit order, no other cycle's"
    );
    assert!(
        all.windows(2).all(|w| w[0].seq < w[1].seq),
        "sequence numbers increase"
    );
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = storage
            .events(a, after, 3)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(page.len() <= 3, "a page holds at most `limit` events");
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        paged.extend(page);
    }
    assert_eq!(paged, all, "paging by `after` yields the same events");
    let mut store_wide = Vec::new();
    let mut after = None;
    loop {
        let page = storage
            .store_events(after, 2)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(page.len() <= 2, "a page holds at most `limit` events");
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        store_wide.extend(page);
    }
    assert!(
        store_wide.iter().all(|e| e.event.cycle.is_none()),
        "store_events lists events of no cycle only"
    );
    assert!(
        store_wide.windows(2).all(|w| w[0].seq < w[1].seq),
        "store events in order"
    );
    let mine: Vec<String> = store_wide
        .iter()
        .map(marker)
        .filter(|m| m.starts_with(&tag))
        .collect();
    assert_eq!(
        mine,
        (0..5).map(|i| format!("{tag}-s{i}")).collect::<Vec<_>>(),
        "every event of no cycle, in commit order"
    );
    // A commit as large as a launch's: events and outbox entries by the thousand (more than a
    // database writes in one statement), numbered in one run after everything committed
    // before, events first.
    let big = CycleId::random();
    let before = all.last().map_or(0, |e| e.seq);
    let commit = Commit {
        events: (0..6_000).map(|i| event(big, &format!("big{i}"))).collect(),
        outbox: (0..1_200)
            .map(|i| notification(&format!("testkit-big-{big}-{i}"), big))
            .collect(),
        ..Commit::default()
    };
    storage
        .commit(commit)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let events = storage
        .events(big, None, 10_000)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        events.iter().map(marker).collect::<Vec<_>>(),
        (0..6_000).map(|i| format!("big{i}")).collect::<Vec<_>>(),
        "every event of a large commit, in order"
    );
    assert!(
        events.first().is_some_and(|e| e.seq > before)
            && events.windows(2).all(|w| w[0].seq < w[1].seq),
        "a large commit's events come after earlier ones, numbered in order"
    );
    let outbox: Vec<_> = storage
        .pending_outbox(usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|e| {
            e.notification
                .key
                .starts_with(&format!("testkit-big-{big}-"))
        })
        .collect();
    assert_eq!(
        outbox
            .iter()
            .map(|e| e.notification.key.clone())
            .collect::<Vec<_>>(),
        (0..1_200)
            .map(|i| format!("testkit-big-{big}-{i}"))
            .collect::<Vec<_>>(),
        "every outbox entry of a large commit, in order"
    );
    assert!(
        outbox.first().is_some_and(|e| e.seq > before)
            && outbox.windows(2).all(|w| w[0].seq < w[1].seq),
        "a large commit's outbox entries come after earlier ones, numbered in order"
    );
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e.seq)
        .chain(outbox.iter().map(|e| e.seq))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0].checked_add(1) == Some(w[1])),
        "a large commit's events, then its outbox entries, are numbered without a gap"
    );
    // The next commit is numbered after all of them.
    let after = CycleId::random();
    storage
        .commit(Commit {
            events: vec![event(after, "after-big")],
            ..Commit::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let next = storage
        .events(after, None, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        next.first().map(|e| e.seq) > seqs.last().copied(),
        "a commit after a large one is numbered after it"
    );
}

/// Packets page by id; reviews, nominations and calibration sessions list by their index;
/// `subjects` and `visit_subjects` give each subject's packet and reviews in the order asked.
pub async fn listings(storage: &dyn Storage) {
    let f = store_fixture(storage).await;
    let cycle = f.cycle.id();
    let mut ids: Vec<_> = f.packets.iter().map(Packet::id).collect();
    ids.sort();
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = storage
            .packets(cycle, after, 2)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(page.len() <= 2, "a page holds at most `limit` packets");
        let Some(last) = page.last() else { break };
        after = Some(last.record.id());
        paged.extend(page.into_iter().map(|p| p.record.id()));
    }
    assert_eq!(paged, ids, "packets page in id order, all of them once");
    assert!(
        storage
            .packets(CycleId::random(), None, 10)
            .await
            .unwrap_or_default()
            .is_empty(),
        "another cycle has no packets"
    );
    // Cycles page by id; the fixture's is among them, once.
    let mut cycles = Vec::new();
    let mut after = None;
    loop {
        let page = storage
            .cycles(after, 3)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(page.len() <= 3, "a page holds at most `limit` cycles");
        let Some(last) = page.last() else { break };
        after = Some(last.record.id());
        cycles.extend(page.into_iter().map(|c| c.record.id()));
    }
    assert!(
        cycles.windows(2).all(|w| w[0] < w[1]),
        "cycles page in id order"
    );
    assert_eq!(
        cycles.iter().filter(|c| **c == cycle).count(),
        1,
        "the stored cycle is listed once"
    );
    // `cycle_ids` lists the same ids, paged the same way.
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = storage
            .cycle_ids(after, 2)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(page.len() <= 2, "a page holds at most `limit` cycle ids");
        let Some(&last) = page.last() else { break };
        after = Some(last);
        ids.extend(page);
    }
    assert_eq!(ids, cycles, "cycle_ids lists the ids `cycles` lists");
    check_review_lists(storage, cycle, &f.reviews, &f.people, "listings").await;
    let noms = storage
        .nominations(f.nomination.packet())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        noms.into_iter().map(|n| n.record).collect::<Vec<_>>(),
        vec![f.nomination.clone()],
        "nominations of a packet"
    );
    let cals = storage
        .calibrations(cycle)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cals.into_iter().map(|c| c.record).collect::<Vec<_>>(),
        vec![f.calibration.clone()],
        "calibration sessions of a cycle"
    );
}

/// Copies of `reviews` under new ids.
fn under_new_ids(reviews: &[Review]) -> Vec<Review> {
    reviews
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.id = crate::ReviewId::random();
            r
        })
        .collect()
}

/// `reviews_about` and `reviews_by` list exactly the `reviews` about and by each of `people`
/// in `cycle`, in id order.
async fn check_review_lists(
    storage: &dyn Storage,
    cycle: CycleId,
    reviews: &[Review],
    people: &[PersonId],
    why: &str,
) {
    for &person in people {
        for about in [true, false] {
            let mut want: Vec<&Review> = reviews
                .iter()
                .filter(|r| person == if about { r.subject() } else { r.author() })
                .collect();
            want.sort_by_key(|r| r.id());
            let got = if about {
                storage.reviews_about(cycle, person)
            } else {
                storage.reviews_by(cycle, person)
            };
            let got = got.await.unwrap_or_else(|e| panic!("{e}"));
            let got: Vec<&Review> = got.iter().map(|r| &r.record).collect();
            let list = if about { "about" } else { "by" };
            assert_eq!(got, want, "{why}: reviews {list} a person, in id order");
        }
    }
    check_subjects(storage, cycle, reviews, people, why).await;
}

/// `subjects` and `visit_subjects` give, for each of `people` with a review among `reviews`
/// (a submitted one, when asked for those alone), in the order asked, the packet of their
/// first review and those reviews in id order; a visit stops when told.
async fn check_subjects(
    storage: &dyn Storage,
    cycle: CycleId,
    reviews: &[Review],
    people: &[PersonId],
    why: &str,
) {
    // Asked in reverse (the answer follows the order asked, not the store's), among people
    // with no review (left out), so that a launch's people are more than a backend may put
    // in one query; the last of them asked twice (answered twice).
    let asked: Vec<PersonId> = people
        .iter()
        .rev()
        .flat_map(|&p| {
            [
                PersonId::random(),
                p,
                PersonId::random(),
                PersonId::random(),
            ]
        })
        .chain(people.first().copied())
        .collect();
    for submitted_only in [false, true] {
        let want: Vec<(PacketId, Vec<&Review>)> = asked
            .iter()
            .filter_map(|&subject| {
                let mut about: Vec<&Review> = reviews
                    .iter()
                    .filter(|r| r.subject() == subject)
                    .filter(|r| !submitted_only || r.state() == crate::ReviewState::Submitted)
                    .collect();
                about.sort_by_key(|r| r.id());
                Some((about.first()?.packet(), about))
            })
            .collect();
        let got = storage
            .subjects(cycle, &asked, submitted_only)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<(PacketId, Vec<&Review>)> = got
            .iter()
            .map(|(p, rs)| (p.record.id(), rs.iter().map(|r| &r.record).collect()))
            .collect();
        assert_eq!(
            got, want,
            "{why}: each subject's packet and reviews (submitted only: {submitted_only})"
        );
        let mut lent: Vec<(PacketId, Vec<Review>)> = Vec::new();
        let mut keep = |p: &Packet, rs: &[&Review]| {
            lent.push((p.id(), rs.iter().map(|&r| r.clone()).collect()));
            true
        };
        storage
            .visit_subjects(cycle, &asked, submitted_only, &mut keep)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let lent: Vec<(PacketId, Vec<&Review>)> = lent
            .iter()
            .map(|(p, rs)| (*p, rs.iter().collect()))
            .collect();
        assert_eq!(
            lent, want,
            "{why}: the same, lent to a visit (submitted only: {submitted_only})"
        );
        let mut calls = 0;
        let mut first_only = |_: &Packet, _: &[&Review]| {
            calls += 1;
            false
        };
        storage
            .visit_subjects(cycle, &asked, submitted_only, &mut first_only)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(calls, want.len().min(1), "{why}: a visit stops when told");
    }
}

/// A launch-sized commit (backends may store many new records another way than a few) reads
/// back record for record, through every listing: 150 packets, every review of them (a third
/// submitted, for the listings of submitted reviews), and the launch's events and
/// notifications, numbered in commit order before the next commit's. A commit of as many new
/// reviews, one of which exists already, is a conflict naming that one, and stores none of
/// the others.
pub async fn bulk_creations(storage: &dyn Storage) {
    const PEOPLE: usize = 150;
    let people: Vec<PersonId> = (0..PEOPLE).map(|_| PersonId::random()).collect();
    // Three managers under the first person, everyone else under one of them.
    let org = people.iter().enumerate().map(|(i, &id)| {
        let person = Person::new(id, format!("person {i}"));
        match i {
            0 => person,
            1..=3 => person.with_manager(people[0]),
            _ => person.with_manager(people[1 + i % 3]),
        }
    });
    let snapshot = OrgSnapshot::build(org.collect(), vec![])
        .unwrap_or_else(|e| panic!("testkit fixture: {e}"));
    let mut cycle = cycle_named("testkit-bulk");
    let mut launched = cycle
        .set_participants(people.iter().copied(), people[0], at())
        .and_then(|_| launch(&mut cycle, &snapshot, &mut RandomIds, people[0], at()))
        .unwrap_or_else(|e| panic!("testkit fixture: {e}"));
    // Some reviews stored as submitted, for the listings of submitted reviews alone.
    for review in launched.reviews.iter_mut().step_by(3) {
        review.state = crate::ReviewState::Submitted;
    }
    let id = cycle.id();
    let records = std::iter::once(Record::from(cycle.clone()))
        .chain(launched.packets.iter().cloned().map(Record::from))
        .chain(launched.reviews.iter().cloned().map(Record::from));
    // The launch's events, one of no cycle among them, and a few notifications.
    let marker = format!("testkit-bulk-{id}");
    let mut events = launched.events.clone();
    let middle = events.len() / 2;
    events.insert(
        middle,
        Event::new(
            at(),
            None,
            None,
            EventKind::CycleCreated {
                name: marker.clone(),
            },
        ),
    );
    let keys: Vec<String> = (0..3).map(|i| format!("{marker}-{i}")).collect();
    let commit = Commit {
        events: events.clone(),
        outbox: keys.iter().map(|k| notification(k, id)).collect(),
        ..creating(records)
    };
    if let Err(e) = storage.commit(commit).await {
        panic!("storing a launch of {PEOPLE} failed: {e}");
    }
    let next = Commit {
        events: vec![event(id, "after the launch")],
        ..Commit::default()
    };
    if let Err(e) = storage.commit(next).await {
        panic!("{e}");
    }
    let logged = storage
        .events(id, None, usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (last, launch_events) = match logged.split_last() {
        Some((last, rest)) => (last.seq, rest),
        None => panic!("a launch's events are logged"),
    };
    let of_cycle: Vec<&Event> = events.iter().filter(|e| e.cycle == Some(id)).collect();
    assert_eq!(
        launch_events.iter().map(|e| &e.event).collect::<Vec<_>>(),
        of_cycle,
        "a launch's events are logged in order"
    );
    let Some(store_event) = storage
        .store_events(None, usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|e| matches!(&e.event.kind, EventKind::CycleCreated { name } if *name == marker))
    else {
        panic!("a launch's event of no cycle is logged");
    };
    let entries: Vec<u64> = storage
        .pending_outbox(usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|e| keys.contains(&e.notification.key))
        .map(|e| e.seq)
        .collect();
    let mut numbers: Vec<u64> = launch_events.iter().map(|e| e.seq).collect();
    numbers.insert(middle, store_event.seq);
    numbers.extend(&entries);
    numbers.push(last);
    assert!(
        entries.len() == keys.len() && numbers.windows(2).all(|w| w[0] < w[1]),
        "a launch numbers its events in order, then its notifications, before the next \
         commit: {numbers:?}"
    );
    let mut packets = launched.packets.clone();
    packets.sort_by_key(Packet::id);
    let listed: Vec<Packet> = all_packets(storage, id)
        .await
        .into_iter()
        .map(|p| p.record)
        .collect();
    assert_eq!(listed, packets, "a launch's packets are listed as stored");
    for review in &launched.reviews {
        let got = storage
            .get(RecordKey::Review(review.id()))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|v| (v.version, v.record));
        assert_eq!(
            got,
            Some((1, Record::from(review.clone()))),
            "a launch's review reads back"
        );
    }
    check_review_lists(
        storage,
        id,
        &launched.reviews,
        &people,
        "after a bulk launch",
    )
    .await;
    check_involvement(storage, id, &people, "after a bulk launch").await;
    // As many new reviews again, copies of the launch's under new ids, with one used id.
    let mut again = under_new_ids(&launched.reviews);
    let Some(used) = launched.reviews.get(launched.reviews.len() / 2) else {
        panic!("testkit fixture: no review");
    };
    let used_at = again.len() / 2;
    again.insert(used_at, used.clone());
    assert_conflict(
        storage
            .commit(creating(again.iter().cloned().map(Record::from)))
            .await,
        RecordKey::Review(used.id()),
        "many new reviews, one of them stored already",
    );
    for (i, r) in again.iter().enumerate() {
        if i != used_at {
            assert_absent(
                storage,
                RecordKey::Review(r.id()),
                "no review of a refused bulk creation",
            )
            .await;
        }
    }
}

/// Many tasks commit read-modify-write updates to the same few records at once. Every accepted
/// commit is visible (its event, its increment), every rejected one left nothing, and the final
/// state equals a serial replay of the accepted commits: each record's counter equals the
/// number of accepted updates to it, and its version is that number plus one.
pub async fn concurrency(storage: Arc<dyn Storage>) {
    const RECORDS: usize = 3;
    const TASKS: usize = 8;
    const ATTEMPTS: usize = 25;
    let cycles: Vec<Cycle> = (0..RECORDS).map(|_| cycle_named("0")).collect();
    for c in &cycles {
        storage
            .commit(put(Record::from(c.clone()), Expect::Absent))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let ids: Vec<CycleId> = cycles.iter().map(Cycle::id).collect();
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let storage = Arc::clone(&storage);
        let ids = ids.clone();
        handles.push(tokio::spawn(async move {
            let mut accepted = Vec::new();
            for attempt in 0..ATTEMPTS {
                let id = ids[(task + attempt) % ids.len()];
                let current = match storage.cycle(id).await {
                    Ok(c) => c,
                    Err(e) => panic!("read under load: {e}"),
                };
                let n: u64 = current.record.config().name.parse().unwrap_or(0);
                let mut next = current.record.clone();
                let mut config = next.config().clone();
                config.name = (n + 1).to_string();
                if let Err(e) = next.edit(config, PersonId::random(), at()) {
                    panic!("{e}");
                }
                let marker = format!("task {task} attempt {attempt}");
                let commit = Commit {
                    writes: vec![Write::Put {
                        record: Record::from(next),
                        expect: Expect::Version(current.version),
                    }],
                    events: vec![event(id, &marker)],
                    outbox: vec![],
                };
                match storage.commit(commit).await {
                    Ok(()) => accepted.push((id, marker)),
                    Err(Error::Conflict { .. }) => {}
                    Err(e) => panic!("commit under load: {e}"),
                }
                tokio::task::yield_now().await;
            }
            accepted
        }));
    }
    let mut accepted = Vec::new();
    for h in handles {
        match h.await {
            Ok(a) => accepted.extend(a),
            Err(e) => panic!("task failed: {e}"),
        }
    }
    assert!(!accepted.is_empty(), "some commits must be accepted");
    for id in &ids {
        let mine: BTreeSet<String> = accepted
            .iter()
            .filter(|(c, _)| c == id)
            .map(|(_, m)| m.clone())
            .collect();
        let stored = storage.cycle(*id).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            stored.record.config().name,
            mine.len().to_string(),
            "the counter equals the accepted updates"
        );
        assert_eq!(
            stored.version,
            mine.len() as u64 + 1,
            "the version equals the accepted updates plus one"
        );
        let events: BTreeSet<String> = storage
            .events(*id, None, usize::MAX)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .filter_map(|e| match e.event.kind {
                EventKind::CycleCreated { name } => Some(name),
                _ => None,
            })
            .collect();
        assert_eq!(
            events, mine,
            "exactly the accepted commits' events are stored"
        );
    }
}

/// The progress a cycle's packets imply, counted naively from each packet.
fn recount(packets: &[Packet]) -> Progress {
    let mut expected = Progress::default();
    for kind in ReviewKind::ALL {
        expected.by_kind.insert(kind, KindProgress::default());
    }
    for p in packets {
        if p.is_withdrawn() {
            expected.withdrawn += 1;
            continue;
        }
        expected.packets += 1;
        *expected.by_state.entry(p.state()).or_default() += 1;
        for kind in ReviewKind::ALL {
            let t = p.tally(kind);
            let k = expected.by_kind.entry(kind).or_default();
            k.assigned = k
                .assigned
                .saturating_add(crate::domain::progress::count(t.assigned));
            k.submitted = k
                .submitted
                .saturating_add(crate::domain::progress::count(t.submitted));
            k.draft = k
                .draft
                .saturating_add(crate::domain::progress::count(t.draft));
            k.not_started = k
                .not_started
                .saturating_add(crate::domain::progress::count(t.not_started()));
        }
    }
    expected
}

/// Pages through a cycle's packets (`limit` 7), asserting id order.
async fn all_packets(storage: &dyn Storage, cycle: CycleId) -> Vec<Versioned<Packet>> {
    let mut all: Vec<Versioned<Packet>> = Vec::new();
    let mut after = None;
    loop {
        let page = storage
            .packets(cycle, after, 7)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let Some(last) = page.last() else { break };
        after = Some(last.record.id());
        all.extend(page);
    }
    assert!(
        all.windows(2).all(|w| w[0].record.id() < w[1].record.id()),
        "packets page in id order, each once"
    );
    all
}

/// `progress` equals a recount of the cycle's packets (per state, withdrawn apart; reviews per
/// kind; `overdue` zero) through creations arriving out of id order, submissions,
/// withdrawals and deletions, read between every step; and `packets` pages in id order
/// throughout.
pub async fn progress_counts(storage: &dyn Storage) {
    let people = team(24);
    let boss = people[0].id;
    let (cycle, launched) = launched_cycle("progress", &people);
    let id = cycle.id();
    let empty = storage.progress(id).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        empty,
        recount(&[]),
        "a cycle without packets counts nothing"
    );
    // Three commits, each with packets in descending id order, checked after each.
    let mut packets = launched.packets.clone();
    packets.sort_by_key(|p| std::cmp::Reverse(p.id()));
    for chunk in packets.chunks(9) {
        store_new(storage, chunk).await;
        let stored = all_packets(storage, id).await;
        let records: Vec<Packet> = stored.into_iter().map(|p| p.record).collect();
        assert_eq!(
            storage.progress(id).await.unwrap_or_else(|e| panic!("{e}")),
            recount(&records),
            "progress after storing packets"
        );
    }
    // Changes, one commit each: submit a review, withdraw, delete; checked after each.
    for (step, review) in launched.reviews.iter().enumerate().take(12) {
        let stored = all_packets(storage, id).await;
        let Some(current) = stored.iter().find(|p| p.record.id() == review.packet()) else {
            continue;
        };
        let mut packet = current.record.clone();
        let write = match step % 4 {
            0 | 1 => {
                let mut r = review.clone();
                if r.submit(&mut packet, None, r.author(), at()).is_err() {
                    continue;
                }
                Write::Put {
                    record: Record::from(packet),
                    expect: Expect::Version(current.version),
                }
            }
            2 => {
                if packet.withdraw(boss, at()).is_err() {
                    continue;
                }
                Write::Put {
                    record: Record::from(packet),
                    expect: Expect::Version(current.version),
                }
            }
            _ => Write::Delete {
                key: RecordKey::Packet(packet.id()),
                version: current.version,
            },
        };
        storage
            .commit(Commit {
                writes: vec![write],
                ..Commit::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let records: Vec<Packet> = all_packets(storage, id)
            .await
            .into_iter()
            .map(|p| p.record)
            .collect();
        assert_eq!(
            storage.progress(id).await.unwrap_or_else(|e| panic!("{e}")),
            recount(&records),
            "progress after a change to a packet (step {step})"
        );
    }
    let remaining = all_packets(storage, id).await.len();
    assert!(
        remaining < packets.len() && remaining > 0,
        "the checks deleted some packets and kept others"
    );
}

/// The check of [`involvement_listings`] after one step.
async fn check_involvement(storage: &dyn Storage, id: CycleId, ids: &[PersonId], why: &str) {
    let stored = all_packets(storage, id).await;
    let mut nominations = Vec::new();
    for p in &stored {
        nominations.extend(
            storage
                .nominations(p.record.id())
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    nominations.sort_by_key(|n| n.record.id());
    for &person in ids {
        let named: Vec<PacketId> = storage
            .packets_naming(id, person)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|p| p.record.id())
            .collect();
        let want: Vec<PacketId> = stored
            .iter()
            .filter(|p| p.record.names(person))
            .map(|p| p.record.id())
            .collect();
        assert_eq!(named, want, "{why}: the packets naming {person}");
        let of: Vec<NominationId> = storage
            .nominations_of(id, person)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|n| n.record.id())
            .collect();
        let want: Vec<NominationId> = nominations
            .iter()
            .filter(|n| n.record.nominee() == person)
            .map(|n| n.record.id())
            .collect();
        assert_eq!(of, want, "{why}: the nominations of {person}");
    }
}

/// `packets_naming` and `nominations_of` answer what the cycle's packets and nominations
/// imply, in id order, through packets stored out of order, assignments added and removed,
/// a manager change, deletions, and nominations in several states; and nothing of another
/// cycle.
pub async fn involvement_listings(storage: &dyn Storage) {
    let people = team(10);
    let boss = people[0].id;
    let ids: Vec<PersonId> = people.iter().map(|p| p.id).collect();
    let mut cycles = Vec::new();
    for name in ["involved", "elsewhere"] {
        let (cycle, mut launched) = launched_cycle(name, &people);
        launched.packets.sort_by_key(|p| std::cmp::Reverse(p.id()));
        cycles.push((cycle.id(), launched.packets));
    }
    let (id, packets) = (cycles[0].0, cycles[0].1.clone());
    for (_, packets) in &cycles {
        store_new(storage, packets).await;
    }
    check_involvement(storage, id, &ids, "after launch").await;
    // One change a commit: viewers, sharers, additional managers, a new manager, a
    // nomination, a deletion; each checked.
    for (step, packet) in packets.iter().enumerate() {
        let current = match storage.packet(packet.id()).await {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let mut p = current.record.clone();
        let other = ids[(step * 3 + 1) % ids.len()];
        let other = match (other == p.subject(), p.subject() == boss) {
            (false, _) => other,
            (true, false) => boss,
            (true, true) => ids[1],
        };
        let mut writes = Vec::new();
        match step % 6 {
            0 => p.viewers.push(other),
            1 => p.sharers.push(other),
            2 => p.additional_managers.push(other),
            3 => p.manager = Some(other),
            4 => {
                let nomination = Nomination::create(
                    NominationId::random(),
                    &p,
                    other,
                    &[],
                    &crate::CycleSettings::default(),
                    boss,
                    at(),
                );
                let Ok((nomination, _)) = nomination else {
                    panic!("testkit fixture: nomination refused");
                };
                writes.push(Write::Put {
                    record: Record::from(nomination),
                    expect: Expect::Absent,
                });
            }
            _ => {
                writes.push(Write::Delete {
                    key: RecordKey::Packet(p.id()),
                    version: current.version,
                });
            }
        }
        if writes.is_empty() || step % 6 == 4 {
            writes.push(Write::Put {
                record: Record::from(p),
                expect: Expect::Version(current.version),
            });
        }
        storage
            .commit(Commit {
                writes,
                ..Commit::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        check_involvement(storage, id, &ids, &format!("after change {step}")).await;
    }
    // Taking a name away moves the packet out of that person's listing.
    let stored = all_packets(storage, id).await;
    if let Some(current) = stored.iter().find(|p| !p.record.viewers().is_empty()) {
        let mut p = current.record.clone();
        p.viewers = Default::default();
        storage
            .commit(Commit {
                writes: vec![Write::Put {
                    record: Record::from(p),
                    expect: Expect::Version(current.version),
                }],
                ..Commit::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        check_involvement(storage, id, &ids, "after a viewer is removed").await;
    }
}

/// Commits creating packets and reviews (what a launch writes) are refused whole, leaving no
/// trace, when one of them exists already, one is written twice, or another write is stale;
/// the same creations then succeed, and records deleted since free their room for new ones.
pub async fn refused_creations(storage: &dyn Storage) {
    let f = fixture();
    let id = f.cycle.id();
    let creations = |extra: Vec<Write>| Commit {
        writes: f
            .packets
            .iter()
            .cloned()
            .map(Record::from)
            .chain(f.reviews.iter().cloned().map(Record::from))
            .map(|record| Write::Put {
                record,
                expect: Expect::Absent,
            })
            .chain(extra)
            .collect(),
        ..Commit::default()
    };
    let f = &f;
    let nothing_stored = |why: &'static str| async move {
        for record in records(f) {
            let key = record.key();
            let found = storage.get(key).await.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                found.is_none() || !matches!(key, RecordKey::Packet(_) | RecordKey::Review(_)),
                "{why}: {key} was stored"
            );
        }
        assert!(
            all_packets(storage, id).await.is_empty(),
            "{why}: packets are listed"
        );
        assert_eq!(
            storage.progress(id).await.unwrap_or_else(|e| panic!("{e}")),
            recount(&[]),
            "{why}: progress counts them"
        );
    };
    // A stale write elsewhere in the commit.
    let stale = RecordKey::Cycle(id);
    let result = storage
        .commit(creations(vec![Write::Check {
            key: stale,
            expect: Expect::Version(3),
        }]))
        .await;
    assert_conflict(result, stale, "creations with a stale check");
    nothing_stored("a stale check").await;
    // A review created twice.
    let Some(review) = f.reviews.first() else {
        panic!("testkit fixture: no review");
    };
    let twice = Write::Put {
        record: Record::from(review.clone()),
        expect: Expect::Absent,
    };
    assert!(
        matches!(
            storage.commit(creations(vec![twice])).await,
            Err(Error::Invalid { .. })
        ),
        "a review created twice in one commit is invalid"
    );
    nothing_stored("a review created twice").await;
    // A review created and checked in one commit.
    let checked = Write::Check {
        key: RecordKey::Review(review.id()),
        expect: Expect::Absent,
    };
    assert!(
        matches!(
            storage.commit(creations(vec![checked])).await,
            Err(Error::Invalid { .. })
        ),
        "a review created and checked in one commit is invalid"
    );
    nothing_stored("a review created and checked").await;
    // One of the packets exists already.
    let Some(first) = f.packets.first() else {
        panic!("testkit fixture: no packet");
    };
    storage
        .commit(put(Record::from(first.clone()), Expect::Absent))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_conflict(
        storage.commit(creations(vec![])).await,
        RecordKey::Packet(first.id()),
        "creating an existing packet",
    );
    for r in &f.reviews {
        let found = storage
            .get(RecordKey::Review(r.id()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(found.is_none(), "a refused commit stored a review");
    }
    storage
        .commit(Commit {
            writes: vec![Write::Delete {
                key: RecordKey::Packet(first.id()),
                version: 1,
            }],
            ..Commit::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Now the creations succeed, and read back whole.
    storage
        .commit(creations(vec![]))
        .await
        .unwrap_or_else(|e| panic!("creations after refusals: {e}"));
    for record in f
        .packets
        .iter()
        .cloned()
        .map(Record::from)
        .chain(f.reviews.iter().cloned().map(Record::from))
    {
        let key = record.key();
        assert_eq!(
            storage.get(key).await.unwrap_or_else(|e| panic!("{e}")),
            Some(Versioned { version: 1, record }),
            "{key} after refusals"
        );
    }
    assert_eq!(
        storage.progress(id).await.unwrap_or_else(|e| panic!("{e}")),
        recount(&f.packets),
        "progress after refusals"
    );
    // Deleting the reviews frees their room: a second set, under new ids, reads back.
    let deletes = f
        .reviews
        .iter()
        .map(|r| Write::Delete {
            key: RecordKey::Review(r.id()),
            version: 1,
        })
        .collect();
    storage
        .commit(Commit {
            writes: deletes,
            ..Commit::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let again = under_new_ids(&f.reviews);
    storage
        .commit(Commit {
            writes: again
                .iter()
                .map(|r| Write::Put {
                    record: Record::from(r.clone()),
                    expect: Expect::Absent,
                })
                .collect(),
            ..Commit::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for r in &again {
        let got = storage
            .review(r.id())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&got.record, r, "a review stored in freed room reads back");
    }
    for r in &f.reviews {
        let gone = storage
            .get(RecordKey::Review(r.id()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(gone.is_none(), "a deleted review stays deleted");
    }
}

/// Write skew between two handles on one store (two app servers): each of two commits checks
/// the record the other changes, so in any serial order the second one's check fails. Raced
/// many times, by version and by absence, never may both succeed; and the records end as
/// the accepted commits left them.
pub async fn write_skew(a: Arc<dyn Storage>, b: Arc<dyn Storage>) {
    const ROUNDS: usize = 40;
    // A commit checking `checked` as `expect` and writing `written` over `version`.
    fn skewed(checked: RecordKey, expect: Expect, written: Record, version: Expect) -> Commit {
        Commit {
            writes: vec![
                Write::Check {
                    key: checked,
                    expect,
                },
                Write::Put {
                    record: written,
                    expect: version,
                },
            ],
            ..Commit::default()
        }
    }
    async fn race(
        a: &Arc<dyn Storage>,
        b: &Arc<dyn Storage>,
        first: Commit,
        second: Commit,
    ) -> (bool, bool) {
        let (a, b) = (Arc::clone(a), Arc::clone(b));
        let left = tokio::spawn(async move { a.commit(first).await });
        let right = tokio::spawn(async move { b.commit(second).await });
        let outcome = |r: Result<crate::Result<()>, tokio::task::JoinError>| match r {
            Ok(Ok(())) => true,
            Ok(Err(Error::Conflict { .. })) => false,
            Ok(Err(e)) => panic!("a racing commit failed otherwise: {e}"),
            Err(e) => panic!("task failed: {e}"),
        };
        (outcome(left.await), outcome(right.await))
    }
    let mut x = cycle_named("x");
    let mut y = cycle_named("y");
    if let Err(e) = a
        .commit(creating([Record::from(x.clone()), Record::from(y.clone())]))
        .await
    {
        panic!("{e}");
    }
    let (mut vx, mut vy) = (1_u64, 1_u64);
    let mut accepted = 0;
    for round in 0..ROUNDS {
        let (mut nx, mut ny) = (x.clone(), y.clone());
        for (c, name) in [(&mut nx, "x"), (&mut ny, "y")] {
            let mut config = c.config().clone();
            config.name = format!("{name} {round}");
            if let Err(e) = c.edit(config, PersonId::random(), at()) {
                panic!("{e}");
            }
        }
        let first = skewed(
            RecordKey::Cycle(x.id()),
            Expect::Version(vx),
            Record::from(ny.clone()),
            Expect::Version(vy),
        );
        let second = skewed(
            RecordKey::Cycle(y.id()),
            Expect::Version(vy),
            Record::from(nx.clone()),
            Expect::Version(vx),
        );
        let (one, two) = race(&a, &b, first, second).await;
        assert!(
            !(one && two),
            "round {round}: two commits each checking what the other writes both succeeded"
        );
        if one {
            y = ny;
            vy += 1;
            accepted += 1;
        }
        if two {
            x = nx;
            vx += 1;
            accepted += 1;
        }
        for (c, v) in [(&x, vx), (&y, vy)] {
            let stored = b.cycle(c.id()).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                (stored.version, stored.record.config().name.as_str()),
                (v, c.config().name.as_str()),
                "round {round}: a record is as the accepted commits left it"
            );
        }
        // The same by absence: each checks that the other's new record does not exist yet;
        // several pairs at once, so that their statements interleave.
        let pairs: Vec<(Cycle, Cycle)> = (0..8)
            .map(|_| (cycle_named("p"), cycle_named("q")))
            .collect();
        let races = pairs.iter().map(|(p, q)| {
            let first = skewed(
                RecordKey::Cycle(p.id()),
                Expect::Absent,
                Record::from(q.clone()),
                Expect::Absent,
            );
            let second = skewed(
                RecordKey::Cycle(q.id()),
                Expect::Absent,
                Record::from(p.clone()),
                Expect::Absent,
            );
            race(&a, &b, first, second)
        });
        let outcomes = futures_util::future::join_all(races).await;
        for ((p, q), (one, two)) in pairs.iter().zip(outcomes) {
            assert!(
                !(one && two),
                "round {round}: two commits each checking the absence of what the other \
                 creates both succeeded"
            );
            let found = a
                .versions(&[RecordKey::Cycle(p.id()), RecordKey::Cycle(q.id())])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                found,
                vec![two.then_some(1), one.then_some(1)],
                "round {round}: exactly the accepted creations exist"
            );
        }
    }
    assert!(accepted > 0, "some racing commits must be accepted");
}

/// Two handles on one store opened for two tenants: each stores the same records (colliding
/// ids and names), `a` then changes its copies and adds records, events and outbox entries of
/// its own. Nothing of one tenant is reachable from the other, by any get, listing, version,
/// claim or delivery.
pub async fn tenant_isolation(a: &dyn Storage, b: &dyn Storage) {
    let f = fixture();
    for side in [a, b] {
        if let Err(e) = side.commit(creating(records(&f))).await {
            panic!("the same records in two tenants: {e}");
        }
    }
    // `a` edits its copy of the cycle and adds a cycle, events and notifications of its own.
    let mut edited = f.cycle.clone();
    let mut config = edited.config().clone();
    config.name = "tenant a".to_owned();
    if let Err(e) = edited.edit(config, PersonId::random(), at()) {
        panic!("{e}");
    }
    let own = cycle_named("only in a");
    // And a packet, which gains a viewer in `a` alone.
    let [_, x, _] = f.people;
    let Some(packet_of_x) = f.packets.iter().find(|p| p.subject() == x) else {
        panic!("testkit fixture: no packet for a participant");
    };
    let mut viewed = packet_of_x.clone();
    viewed.viewers.push(PersonId::random());
    let keys = [
        format!("tenant-a-{}", own.id()),
        format!("tenant-a-{}-2", own.id()),
    ];
    let commit = Commit {
        writes: vec![
            Write::Put {
                record: Record::from(edited),
                expect: Expect::Version(1),
            },
            Write::Put {
                record: Record::from(own.clone()),
                expect: Expect::Absent,
            },
            Write::Put {
                record: Record::from(viewed.clone()),
                expect: Expect::Version(1),
            },
        ],
        events: vec![event(f.cycle.id(), "a's event"), event(own.id(), "a's own")],
        outbox: keys.iter().map(|k| notification(k, own.id())).collect(),
    };
    if let Err(e) = a.commit(commit).await {
        panic!("{e}");
    }
    // The same outbox key is free in the other tenant.
    let commit = Commit {
        outbox: vec![notification(&keys[0], f.cycle.id())],
        ..Commit::default()
    };
    if let Err(e) = b.commit(commit).await {
        panic!("an outbox key of one tenant must be free in another: {e}");
    }
    fn ok<T>(r: crate::Result<T>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }
    let cycle_of = |side: &'static str, got: Option<Versioned<Record>>| match got {
        Some(Versioned {
            version,
            record: Record::Cycle(c),
        }) => (version, c.config().name.clone()),
        other => panic!("{side}: the shared cycle reads as {other:?}"),
    };
    let key = RecordKey::Cycle(f.cycle.id());
    assert_eq!(
        cycle_of("a", ok(a.get(key).await)),
        (2, "tenant a".to_owned()),
        "a reads its own change"
    );
    assert_eq!(
        cycle_of("b", ok(b.get(key).await)),
        (1, f.cycle.config().name.clone()),
        "b's copy is untouched by a's change"
    );
    let own_key = RecordKey::Cycle(own.id());
    assert!(ok(b.get(own_key).await).is_none(), "a's record is not in b");
    assert_eq!(ok(b.versions(&[key, own_key]).await), vec![Some(1), None]);
    let ids =
        |list: Vec<Versioned<Cycle>>| list.into_iter().map(|c| c.record.id()).collect::<Vec<_>>();
    assert!(!ids(ok(b.cycles(None, usize::MAX).await)).contains(&own.id()));
    assert!(!ok(b.cycle_ids(None, usize::MAX).await).contains(&own.id()));
    assert!(ids(ok(a.cycles(None, usize::MAX).await)).contains(&own.id()));
    // Every listing of b holds exactly b's copies.
    let cycle = f.cycle.id();
    let boss = f.people[0];
    for (side, storage) in [("a", a), ("b", b)] {
        let packets = ok(storage.packets(cycle, None, usize::MAX).await);
        assert_eq!(
            packets.len(),
            f.packets.len(),
            "{side}: packets of the cycle"
        );
        assert_eq!(
            ok(storage.reviews_about(cycle, x).await).len(),
            f.reviews.iter().filter(|r| r.subject() == x).count(),
            "{side}: reviews about a participant"
        );
        assert_eq!(
            ok(storage.reviews_by(cycle, x).await).len(),
            f.reviews.iter().filter(|r| r.author() == x).count(),
            "{side}: reviews by a participant"
        );
        assert_eq!(
            ok(storage.nominations(f.nomination.packet()).await).len(),
            1
        );
        assert_eq!(
            ok(storage.nominations_of(cycle, f.nomination.nominee()).await).len(),
            1
        );
        assert_eq!(ok(storage.calibrations(cycle).await).len(), 1);
        assert_eq!(
            ok(storage.org_changes(cycle, 0, 10).await),
            org_log(cycle, f.people),
            "{side}: the org log"
        );
        assert_eq!(
            ok(storage.packets_naming(cycle, boss).await).len(),
            f.packets.iter().filter(|p| p.names(boss)).count(),
            "{side}: packets naming the manager"
        );
        let subjects = ok(storage.subjects(cycle, &f.people, false).await);
        assert_eq!(
            subjects.iter().map(|(_, rs)| rs.len()).sum::<usize>(),
            f.reviews.len(),
            "{side}: the reviews about each participant"
        );
        let theirs = if side == "a" { &viewed } else { packet_of_x };
        assert_eq!(
            subjects
                .iter()
                .find(|(p, _)| p.record.subject() == x)
                .map(|(p, _)| &p.record),
            Some(theirs),
            "{side}: a participant's packet, with their reviews"
        );
    }
    let markers = |events: Vec<crate::plugin::StoredEvent>| {
        events
            .into_iter()
            .filter_map(|e| match e.event.kind {
                EventKind::CycleCreated { name } => Some(name),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        markers(ok(a.events(cycle, None, usize::MAX).await)),
        ["a's event"]
    );
    assert!(markers(ok(b.events(cycle, None, usize::MAX).await)).is_empty());
    assert!(ok(b.events(own.id(), None, usize::MAX).await).is_empty());
    // The outbox: b sees, claims and delivers only its own entry.
    let pending = |list: Vec<crate::plugin::OutboxEntry>| {
        list.into_iter()
            .map(|e| (e.notification.key, e.notification.cycle))
            .collect::<Vec<_>>()
    };
    let b_pending = pending(ok(b.pending_outbox(usize::MAX).await));
    assert!(b_pending.contains(&(keys[0].clone(), Some(cycle))));
    assert!(!b_pending.contains(&(keys[0].clone(), Some(own.id()))));
    assert!(!b_pending.iter().any(|(k, _)| *k == keys[1]));
    let claim = Claim {
        by: uuid::Uuid::new_v4(),
        at: at(),
        until: at() + chrono::Duration::minutes(5),
    };
    assert!(
        ok(b.claim_keys(claim, &[keys[1].clone()]).await).is_empty(),
        "b cannot claim a's entry"
    );
    let claimed = pending(ok(b.claim_pending(claim, usize::MAX).await));
    assert!(
        !claimed.iter().any(|(_, c)| *c == Some(own.id())),
        "b's claims take none of a's entries"
    );
    ok(b.mark_delivered(&keys[1]).await);
    ok(b.mark_delivered(&keys[0]).await);
    let a_pending = pending(ok(a.pending_outbox(usize::MAX).await));
    for k in &keys {
        assert!(
            a_pending.contains(&(k.clone(), Some(own.id()))),
            "a's entry `{k}` is still pending after b delivered its own"
        );
    }
}

/// Every check, in turn.
pub async fn run_all(storage: Arc<dyn Storage>) {
    round_trips(&*storage).await;
    version_conflicts(&*storage).await;
    atomicity(&*storage).await;
    outbox_lifecycle(&*storage).await;
    outbox_claims(Arc::clone(&storage)).await;
    event_paging(&*storage).await;
    listings(&*storage).await;
    bulk_creations(&*storage).await;
    org_changes(&*storage).await;
    progress_counts(&*storage).await;
    involvement_listings(&*storage).await;
    refused_creations(&*storage).await;
    write_skew(Arc::clone(&storage), Arc::clone(&storage)).await;
    concurrency(storage).await;
}
