//! The JSON Schemas checked in under `schema/` are the ones this version generates. Run with
//! `APPRAISE_UPDATE_SCHEMA=1` to write them after a change of the wire format.

use std::path::PathBuf;

#[test]
fn the_checked_in_schemas_are_current() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema");
    let update = std::env::var_os("APPRAISE_UPDATE_SCHEMA").is_some();
    let mut stale = Vec::new();
    for (name, schema) in appraise::schema::all() {
        let path = dir.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale schemas (regenerate with APPRAISE_UPDATE_SCHEMA=1 cargo test --all-features \
         schema): {stale:?}"
    );
}

fn validator(name: &str) -> jsonschema::Validator {
    let (_, schema) = appraise::schema::all()
        .into_iter()
        .find(|(n, _)| *n == name)
        .expect("a schema of that name");
    jsonschema::validator_for(schema.as_value()).expect("a valid JSON Schema")
}

fn assert_valid(validator: &jsonschema::Validator, what: &str, instance: &serde_json::Value) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema: {errors:?}\n{instance}"
    );
}

/// Every command and query of the round-trip snapshot matches its schema, and a command the
/// engine refuses to read does not.
#[test]
fn commands_and_queries_match_their_schemas() {
    let (command, query) = (validator("command"), validator("query"));
    let snapshot = include_str!("snapshots/lib__commands__commands_and_queries.snap");
    let lines: Vec<serde_json::Value> = snapshot
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > 70, "{}", lines.len());
    for line in &lines {
        // A query names itself first: a preview carries a command.
        if line.get("query").is_some() {
            assert_valid(&query, "a query", line);
        } else {
            assert_valid(&command, "a command", line);
        }
    }
    let typo = serde_json::json!({"command": "share", "pakcet": "x"});
    assert!(
        !command.is_valid(&typo),
        "an unknown field is refused by the schema too"
    );
}

/// The records of a launched cycle, the outcomes of a whole cycle, its audit events and its
/// notifications match their schemas.
#[cfg(feature = "testkit")]
#[tokio::test]
async fn records_outcomes_events_and_notifications_match_their_schemas() {
    use appraise::memory::RecordingNotifier;
    use appraise::{Outcome, Query};

    use crate::engine::{id, launched, run_ann};

    let record = validator("record");
    let records = appraise::testkit::sample_records();
    for r in &records {
        assert_valid(&record, "a record", &serde_json::to_value(r).unwrap());
    }
    let mut broken = serde_json::to_value(&records[0]).unwrap();
    broken["record"]["id"] = serde_json::json!(42);
    assert!(!record.is_valid(&broken), "an id must be a UUID: {broken}");
    let w = launched(RecordingNotifier::new()).await;
    let packet = run_ann(&w).await;
    let outcome = validator("outcome");
    let queries = [
        (id("ann"), Query::Inbox),
        (id("bo"), Query::Inbox),
        (id("kim"), Query::Progress { cycle: w.cycle }),
        (id("bo"), Query::Score { packet }),
        (id("ann"), Query::History { subject: id("ann") }),
        (
            id("bo"),
            Query::StatusBoard {
                cycle: w.cycle,
                manager: id("bo"),
            },
        ),
        (
            id("kim"),
            Query::ReadableReviews {
                cycle: w.cycle,
                filter: Default::default(),
                after: None,
                limit: 100,
            },
        ),
        (id("kim"), Query::Cycles),
    ];
    for (reader, query) in queries {
        let answer: Outcome = w.engine.query(reader, query.clone()).await.unwrap();
        assert_valid(
            &outcome,
            &format!("{query:?}"),
            &serde_json::to_value(answer).unwrap(),
        );
    }
    let event = validator("event");
    let events = w
        .engine
        .audit_log(id("kim"), w.cycle, None, 10_000)
        .await
        .unwrap();
    assert!(events.len() > 10);
    for e in &events {
        assert_valid(&event, "an event", &serde_json::to_value(e).unwrap());
    }
    let notification = validator("notification");
    let delivered = w.notifier.delivered();
    assert!(!delivered.is_empty());
    for n in &delivered {
        assert_valid(
            &notification,
            "a notification",
            &serde_json::to_value(n).unwrap(),
        );
    }
}
