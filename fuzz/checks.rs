//! What the fuzz targets check, one function per entry point, shared by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/`) and by the proptest driver that runs them in every `cargo test`
//! (`tests/fuzz_driver.rs`). Each takes raw bytes and panics when an invariant breaks.

#![allow(dead_code, reason = "each fuzz target uses one of the checks")]

use std::sync::Arc;

use appraise::memory::{MemoryStorage, RecordingNotifier, StaticDirectory};
use appraise::plugin::{ManualClock, Record, Storage};
use appraise::{
    AdminGrant, Answer, AnswerCheck, Answers, ApprovalStep, CycleConfig, CycleSettings, Engine,
    Error, OrgSnapshot, Period, Person, PersonId, Question, QuestionKind, RatingScale, ReviewKind,
    Section, Template, TemplateId, Window, Windows,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;

/// Org CSV: refused with an error naming a line, or read into people that either build an org
/// snapshot holding every one of them, which writes to JSON and reads back equal, or are
/// refused with an org error.
pub fn org_csv(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let directory = match StaticDirectory::from_csv_str(&text) {
        Ok(d) => d,
        Err(Error::Invalid { field, .. }) => {
            assert!(
                field.starts_with("line "),
                "the refusal names a line: {field}"
            );
            return;
        }
        Err(other) => panic!("a CSV refusal is invalid input, not {other:?}"),
    };
    let people = directory.people_list().to_vec();
    let Ok(org) = OrgSnapshot::build(people.clone(), vec![]) else {
        return;
    };
    for p in &people {
        assert!(org.contains(p.id), "{} is in the snapshot", p.id);
    }
    let json = serde_json::to_string(&org).expect("a snapshot writes");
    let back: OrgSnapshot = serde_json::from_str(&json).expect("a snapshot reads back");
    assert!(back == org, "the snapshot round-trips");
}

/// Field names (`keys`) and strings (`words`) found in `value`, and how many nodes it has:
/// what a mutation draws from, so that it writes fields the type knows and ids of people and
/// records that exist.
fn vocabulary(value: &Value, keys: &mut Vec<String>, words: &mut Vec<String>) -> usize {
    1 + match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                keys.push(k.clone());
                vocabulary(v, keys, words)
            })
            .sum(),
        Value::Array(items) => items.iter().map(|v| vocabulary(v, keys, words)).sum(),
        Value::String(s) => {
            words.push(s.clone());
            0
        }
        _ => 0,
    }
}

/// A value made from `with`, often a word of `words`.
fn made(with: &[u8], words: &[String]) -> Value {
    let b = |i: usize| with.get(i).copied().unwrap_or(0);
    let word = || words.get(usize::from(b(1)) % words.len().max(1)).cloned();
    match b(0) % 8 {
        0 => Value::from(u64::from(b(1)) % 8),
        1 => Value::from(u64::from(b(1)) * u64::from(b(2))),
        2 => Value::from(-i64::from(b(1))),
        3 => Value::from(b(1) % 2 == 0),
        4 => Value::Null,
        5 => Value::from(String::from_utf8_lossy(with.get(1..).unwrap_or(&[])).into_owned()),
        6 => Value::from(u64::MAX - u64::from(b(1))),
        _ => word().map_or(Value::Null, Value::from),
    }
}

/// Changes the node of `value` that `pick` lands on (in document order): a leaf is replaced,
/// an object gains a field named from `words`, an array gains a copy of its first item or a new
/// value. Structured mutation of a valid record reaches far more of the checks than random
/// bytes.
fn mutate(
    value: &mut Value,
    pick: &mut usize,
    with: &[u8],
    (keys, words): (&[String], &[String]),
) -> bool {
    let here = *pick == 0;
    *pick = pick.saturating_sub(1);
    let b = |i: usize| with.get(i).copied().unwrap_or(0);
    match value {
        Value::Object(map) if here => {
            let key = keys
                .get(usize::from(b(2)) % keys.len().max(1))
                .cloned()
                .unwrap_or_default();
            map.insert(key, made(with.get(3..).unwrap_or(&[]), words));
            true
        }
        Value::Array(items) if here => {
            let item = match items.first() {
                Some(first) if b(0) % 2 == 0 => first.clone(),
                _ => made(with, words),
            };
            items.push(item);
            true
        }
        Value::Object(map) => map
            .values_mut()
            .any(|v| mutate(v, pick, with, (keys, words))),
        Value::Array(items) => items
            .iter_mut()
            .any(|v| mutate(v, pick, with, (keys, words))),
        leaf if here => {
            *leaf = made(with, words);
            true
        }
        _ => false,
    }
}

/// Applies up to four mutations to `value`, each from four bytes of `data`.
fn mutate_many(value: &mut Value, data: &[u8]) {
    mutate_with(value, data, &[]);
}

/// [`mutate_many`], with `more` among the strings a mutation writes.
fn mutate_with(value: &mut Value, data: &[u8], more: &[&str]) {
    let (mut keys, mut words) = (Vec::new(), Vec::new());
    let nodes = vocabulary(value, &mut keys, &mut words);
    words.extend(more.iter().map(|w| (*w).to_owned()));
    keys.extend(["assigned", "submitted", "removed", "draft"].map(String::from));
    keys.sort();
    keys.dedup();
    for chunk in data.chunks(4).take(4) {
        let (&pick, with) = chunk.split_first().unwrap_or((&0, &[]));
        let mut pick = usize::from(pick) % nodes;
        mutate(value, &mut pick, with, (&keys, &words));
    }
}

/// Stored records: a sample record of every kind with one field changed from the bytes. It
/// either fails to read, or reads as a record that writes back to JSON that reads as the same
/// record, and a packet's counts add up.
pub fn stored_record(data: &[u8]) {
    let samples = appraise::testkit::sample_records();
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Some(sample) = samples.get(usize::from(which) % samples.len()) else {
        return;
    };
    let mut json = serde_json::to_value(sample).expect("a record writes");
    mutate_many(&mut json, rest);
    let Ok(record) = serde_json::from_value::<Record>(json) else {
        return;
    };
    let written = serde_json::to_string(&record).expect("a record read writes");
    let back: Record = serde_json::from_str(&written).expect("a record written reads back");
    assert_eq!(back, record, "the record round-trips");
    if let Record::Packet(p) = &record {
        for kind in ReviewKind::ALL {
            let t = p.tally(kind);
            assert!(
                t.visible() <= t.submitted && t.submitted <= t.assigned,
                "{t:?}"
            );
        }
    }
}

/// A template with a question of every kind, answered by the self review.
fn sample_template() -> Template {
    let q = |key: &str, kind: QuestionKind| {
        Question::new(key, key, kind).answered_by([ReviewKind::SelfReview])
    };
    Template::new(TemplateId::from_key("fuzz"), "fuzz").section(
        Section::new("all", "All")
            .question(q("text", QuestionKind::FreeText { max_len: Some(40) }).required())
            .question(q("rating", QuestionKind::Rating))
            .question(q(
                "number",
                QuestionKind::NumberScale {
                    min: -10,
                    max: 10,
                    step: 5,
                },
            ))
            .question(q(
                "one",
                QuestionKind::SingleChoice {
                    options: vec!["a".into(), "b".into()],
                },
            ))
            .question(q(
                "many",
                QuestionKind::MultipleChoice {
                    options: vec!["a".into(), "b".into(), "c".into()],
                    min: 1,
                    max: 2,
                },
            )),
    )
}

/// A template and answers, each the sample with one field changed from the bytes: a template
/// that reads is valid; checking answers against it never panics; answers accepted on submit
/// write back to the same answers, and are accepted as a draft too.
pub fn template_answers(data: &[u8]) {
    let (&split, rest) = data.split_first().unwrap_or((&0, &[]));
    let at = usize::from(split).min(rest.len());
    let (for_template, for_answers) = rest.split_at(at);
    let mut template = serde_json::to_value(sample_template()).expect("a template writes");
    mutate_many(&mut template, for_template);
    let Ok(template) = serde_json::from_value::<Template>(template) else {
        return;
    };
    template.validate().expect("a template that reads is valid");
    let id = |k: &str| appraise::QuestionId::from_key(k);
    let sample = Answers::new()
        .with(id("text"), Answer::Text("fine".into()))
        .with(id("rating"), Answer::Rating(3))
        .with(id("number"), Answer::Number(5))
        .with(id("one"), Answer::Choice("a".into()))
        .with(id("many"), Answer::Choices(vec!["a".into()]));
    let mut answers = serde_json::to_value(&sample).expect("answers write");
    mutate_many(&mut answers, for_answers);
    let Ok(answers) = serde_json::from_value::<Answers>(answers) else {
        return;
    };
    let scale = RatingScale::default();
    let check = |submitting| AnswerCheck {
        kind: ReviewKind::SelfReview,
        scale: &scale,
        goals: &[],
        submitting,
    };
    if template.validate_answers(&answers, &check(true)).is_ok() {
        let json = serde_json::to_string(&answers).expect("answers write");
        let back: Answers = serde_json::from_str(&json).expect("answers read back");
        assert_eq!(back, answers);
        template
            .validate_answers(&answers, &check(false))
            .expect("what submits also saves as a draft");
    }
}

fn person(name: &str) -> PersonId {
    PersonId::from_key(name)
}

const PEOPLE: [&str; 6] = ["kim", "bo", "ann", "cy", "eve", "nobody"];

/// The time the engines of the checks start at.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0)
        .single()
        .expect("a valid time")
}

/// An engine on memory at [`start`], whose directory has kim (a review admin), bo, and bo's
/// reports ann, cy and eve; with its storage and its clock.
async fn small_engine() -> (Engine, Arc<MemoryStorage>, ManualClock) {
    let storage = Arc::new(MemoryStorage::new());
    let clock = ManualClock::new(start());
    let people = vec![
        Person::new(person("kim"), "kim"),
        Person::new(person("bo"), "bo"),
        Person::new(person("ann"), "ann").with_manager(person("bo")),
        Person::new(person("cy"), "cy").with_manager(person("bo")),
        Person::new(person("eve"), "eve").with_manager(person("bo")),
    ];
    let engine = Engine::builder()
        .storage(Arc::clone(&storage))
        .notifier(RecordingNotifier::new())
        .directory(StaticDirectory::new(people, vec![]))
        .clock(clock.clone())
        .build();
    let grant = AdminGrant {
        since: start() - Duration::days(1),
        past_cycles: false,
    };
    engine
        .bootstrap_admin(person("kim"), grant)
        .await
        .expect("bootstrap");
    (engine, storage, clock)
}

/// The period of the checks' cycles.
fn period() -> Period {
    Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
        end: NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date"),
    }
}

/// A refused command changed nothing: no record, no event.
fn unchanged(before: &appraise::memory::MemoryDump, after: &appraise::memory::MemoryDump) {
    assert!(
        after.records == before.records,
        "a refused command changed a record"
    );
    assert_eq!(
        after.events.len(),
        before.events.len(),
        "a refused command was audited"
    );
}

/// Every stored record reads back as it was written.
fn records_read_back(storage: &MemoryStorage) {
    for (version, record) in storage.dump().records.values() {
        let json = serde_json::to_string(record).expect("a stored record writes");
        let back: Record = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("stored {} at {version} reads back: {e}", record.key()));
        assert_eq!(&back, record);
    }
}

/// Typed commands: three bytes a step (command, actor, target) on a launched cycle of two
/// participants. A refused command changes nothing in storage, and every stored record reads
/// back as it was written.
pub async fn commands(data: &[u8]) {
    let (engine, storage, _) = small_engine().await;
    let kim = person("kim");
    let cycle = engine
        .create_cycle(kim, CycleConfig::new("fuzz", period()))
        .await
        .expect("create");
    engine
        .add_participants(kim, cycle.id(), [person("ann"), person("cy")])
        .await
        .expect("participants");
    engine.launch(kim, cycle.id()).await.expect("launch");
    let packets: Vec<_> = storage
        .packets(cycle.id(), None, 10)
        .await
        .expect("packets")
        .into_iter()
        .map(|p| p.record)
        .collect();
    for step in data.chunks_exact(3) {
        let actor = person(PEOPLE[usize::from(step[1]) % PEOPLE.len()]);
        let target = usize::from(step[2]);
        let packet = packets[target % packets.len()].id();
        let other = person(PEOPLE[target / 2 % PEOPLE.len()]);
        let reviews: Vec<_> = storage
            .reviews_about(cycle.id(), packets[target % packets.len()].subject())
            .await
            .expect("reviews");
        let review = reviews
            .get(target / 2 % reviews.len().max(1))
            .map(|r| r.record.id());
        let nominations = storage.nominations(packet).await.expect("nominations");
        let nomination = nominations.last().map(|n| n.record.id());
        let before = storage.dump();
        let answers = Answers::new().with(
            appraise::QuestionId::from_key("q"),
            Answer::Text("words".into()),
        );
        let result: Result<(), Error> = match step[0] % 16 {
            0 => engine.nominate(actor, packet, other).await.map(drop),
            1 => match nomination {
                Some(n) => engine.approve_nomination(actor, n, None).await.map(drop),
                None => continue,
            },
            2 => match nomination {
                Some(n) => engine.decline_nomination(actor, n, None).await.map(drop),
                None => continue,
            },
            3 => engine.close_nominations(actor, packet).await.map(drop),
            4 => match review {
                Some(r) => engine.save_draft(actor, r, answers).await.map(drop),
                None => continue,
            },
            5 | 6 => match review {
                Some(r) => engine.submit_review(actor, r, None).await.map(drop),
                None => continue,
            },
            7 => match review {
                Some(r) => engine.reopen_review(actor, r).await.map(drop),
                None => continue,
            },
            8 => engine.share(actor, packet).await.map(drop),
            9 => engine.unshare(actor, packet).await.map(drop),
            10 => engine.acknowledge(actor, packet, None).await.map(drop),
            11 => engine.add_viewer(actor, packet, other).await.map(drop),
            12 => engine.lock(actor, cycle.id()).await.map(drop),
            13 => engine.unlock(actor, cycle.id()).await.map(drop),
            14 => match review {
                Some(r) => engine.send_reminder(actor, r).await,
                None => continue,
            },
            _ => engine.record_meeting(actor, packet).await.map(drop),
        };
        if result.is_err() {
            unchanged(&before, &storage.dump());
        }
        records_read_back(&storage);
    }
}

/// The first and last instants chrono represents, as a mutation may write them.
const EXTREME_TIMES: [&str; 2] = [
    "-262143-01-01T00:00:00Z",
    "+262142-12-31T23:59:59.999999999Z",
];

/// A cycle's settings: the sample (a window for every kind a launch assigns, a nomination
/// deadline, reminders before and after the due date, approval by the manager's manager then
/// the admins), often with a window or the deadline moved to an end of chrono's range (two
/// bytes), then with up to four fields changed from the other bytes. The engine creates the cycle or refuses it changing
/// nothing, and so adds its participants and launches it; then the clock goes from the start
/// to the first and last instants there are, and at each time a self review is saved and
/// submitted (or refused, changing nothing), and a tick, the progress, inboxes and a status
/// board answer without a panic; every stored record reads back.
pub async fn cycle_config(data: &[u8]) {
    let (engine, storage, clock) = small_engine().await;
    let kim = person("kim");
    let t0 = start();
    let window = |days: i64| Window {
        opens: t0,
        due: t0 + Duration::days(days),
    };
    let mut settings = CycleSettings {
        windows: Windows::default()
            .with(ReviewKind::SelfReview, window(10))
            .with(ReviewKind::Manager, window(20))
            .with(ReviewKind::Peer, window(15)),
        nomination_deadline: Some(t0 + Duration::days(5)),
        remind_days_before: Some(3),
        remind_overdue: true,
        approval_required: true,
        approval_chain: vec![ApprovalStep::ManagersManager, ApprovalStep::Admins],
        ..CycleSettings::default()
    };
    settings.auto_approve_nominations = true;
    let (head, data) = data.split_at(data.len().min(2));
    if let &[what, when] = head {
        let day = Duration::days(1);
        let (first, last) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        let at = [first, first + day * 2, last - day, last][usize::from(when) % 4];
        let opens = at.checked_sub_signed(day).unwrap_or(at);
        let ending = Window {
            opens,
            due: opens + day,
        };
        let kinds = [
            ReviewKind::SelfReview,
            ReviewKind::Manager,
            ReviewKind::Peer,
        ];
        match kinds.get(usize::from(what) % 5) {
            Some(&kind) => settings.windows = settings.windows.with(kind, ending),
            None if what % 5 == 3 => settings.nomination_deadline = Some(at),
            None => {}
        }
    }
    let sample = CycleConfig::new("fuzz", period()).with_settings(settings);
    let mut json = serde_json::to_value(&sample).expect("a config writes");
    mutate_with(&mut json, data, &EXTREME_TIMES);
    let Ok(config) = serde_json::from_value::<CycleConfig>(json) else {
        return;
    };
    let before = storage.dump();
    let Ok(cycle) = engine.create_cycle(kim, config).await else {
        unchanged(&before, &storage.dump());
        return;
    };
    let cycle = cycle.id();
    let before = storage.dump();
    let participants = [person("ann"), person("cy"), person("bo")];
    if engine
        .add_participants(kim, cycle, participants)
        .await
        .is_err()
    {
        unchanged(&before, &storage.dump());
    }
    let before = storage.dump();
    if engine.launch(kim, cycle).await.is_err() {
        unchanged(&before, &storage.dump());
    }
    let times = [
        t0,
        t0 + Duration::days(4),
        t0 + Duration::days(12),
        t0 + Duration::days(400),
        DateTime::<Utc>::MAX_UTC,
        DateTime::<Utc>::MIN_UTC,
    ];
    for now in times {
        clock.set(now);
        // ann writes her self review, which a window may refuse at this time.
        let own = engine
            .my_reviews(person("ann"), cycle)
            .await
            .unwrap_or_default();
        if let Some(own) = own.iter().find(|r| r.kind == ReviewKind::SelfReview) {
            for submit in [false, true] {
                let before = storage.dump();
                let wrote = if submit {
                    engine
                        .submit_review(person("ann"), own.id, None)
                        .await
                        .map(drop)
                } else {
                    let words = Answers::new();
                    engine
                        .save_draft(person("ann"), own.id, words)
                        .await
                        .map(drop)
                };
                if wrote.is_err() {
                    unchanged(&before, &storage.dump());
                }
            }
        }
        let _ = engine.tick().await;
        let _ = engine.progress(kim, cycle).await;
        for who in ["kim", "bo", "ann"] {
            let _ = engine.inbox(person(who)).await;
        }
        let _ = engine.status_board(person("bo"), cycle, person("bo")).await;
        records_read_back(&storage);
    }
}
