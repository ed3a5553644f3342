//! The `appraise` command-line tool, run as a user would: a whole cycle through `exec` from
//! the checked-in script `tests/data/cycle.jsonl`, and each subcommand on a SQLite file.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const ORG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/org.csv");

/// Runs `appraise` on the file `db` with the example org: its stdout, or a panic with its
/// stderr when it fails.
fn appraise(db: &Path, args: &[&str], stdin: &str) -> String {
    let db = db.to_str().expect("a UTF-8 path");
    appraise_on(&["--db", db], args, stdin)
}

/// Runs `appraise` with the storage options `store` and the example org.
fn appraise_on(store: &[&str], args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_appraise"))
        .args(store)
        .args(["--org", ORG])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run appraise");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("appraise ends");
    assert!(
        out.status.success(),
        "appraise {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn a_whole_cycle_runs_through_exec_from_a_script() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("reviews.db");
    let first = lines(&appraise(&db, &["bootstrap-admin", "e004"], ""));
    assert_eq!(first[0]["first_admin"], true);
    let script = include_str!("data/cycle.jsonl");
    let requests = script
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    let out = lines(&appraise(&db, &["exec"], script));
    assert_eq!(out.len(), requests, "one outcome per request");
    let kinds: Vec<&str> = out
        .iter()
        .map(|o| o["outcome"].as_str().unwrap_or("error"))
        .collect();
    assert_eq!(
        kinds,
        [
            "cycle", "cycle", "launch", "packet", "reviews", "review", "review", "reviews",
            "review", "error", "packet", "packet", "progress", "inbox"
        ]
    );
    assert_eq!(out[2]["value"]["packets"], 1);
    assert_eq!(
        out[5], out[6],
        "a retried command with the same key returns the first outcome"
    );
    assert_eq!(
        out[9]["error"]["code"], "denied",
        "Jo may not share Jo's own results"
    );
    assert_eq!(out[11]["value"]["state"], "acknowledged");
    assert_eq!(out[12]["value"]["by_kind"]["manager"]["submitted"], 1);
    // The subcommands read the same file.
    let cycle = out[0]["value"]["id"]
        .as_str()
        .expect("the cycle's id")
        .to_owned();
    let progress = lines(&appraise(&db, &["progress", &cycle, "--as", "e004"], ""));
    assert_eq!(progress[0], out[12]);
    let inbox = lines(&appraise(&db, &["inbox", "--as", "e010"], ""));
    assert_eq!(inbox[0], out[13]);
    let csv = appraise(&db, &["export", &cycle, "--as", "e004"], "");
    assert_eq!(csv.lines().count(), 2, "a header and Jo's row: {csv}");
    let json = lines(&appraise(
        &db,
        &["export", &cycle, "--as", "e004", "--format", "json"],
        "",
    ));
    assert_eq!(json.len(), 1);
    // A bad line is an error line; the lines after it still run.
    let bad = "{\"as\": \"e004\", \"command\": {\"command\": \"launch\", \"cycel\": 1}}\n\
               {\"as\": \"e004\", \"query\": {\"query\": \"cycles\"}}\n";
    let out = lines(&appraise(&db, &["exec"], bad));
    assert_eq!(out[0]["error"]["code"], "invalid");
    assert!(
        out[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cycel")
    );
    assert_eq!(out[1]["outcome"], "cycles");
}

#[test]
fn subcommands_import_the_org_and_create_and_launch_a_cycle_from_toml() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("reviews.db");
    let people = lines(&appraise(&db, &["import-org", ORG], ""));
    assert_eq!(people.len(), 50);
    let cy = appraise::PersonId::from_key("e004");
    assert_eq!(people[3]["key"], "e004");
    assert_eq!(people[3]["id"], cy.to_string());
    appraise(&db, &["bootstrap-admin", "e004"], "");
    let config = dir.path().join("h2.toml");
    std::fs::write(
        &config,
        "name = \"H2 2026\"\n[period]\nstart = \"2026-07-01\"\nend = \"2026-12-31\"\n",
    )
    .expect("a cycle file");
    let created = lines(&appraise(
        &db,
        &["cycle", "create", config.to_str().unwrap(), "--as", "e004"],
        "",
    ));
    assert_eq!(created[0]["value"]["config"]["name"], "H2 2026");
    let cycle = created[0]["value"]["id"].as_str().unwrap().to_owned();
    let add = format!(
        "{{\"as\": \"e004\", \"command\": {{\"command\": \"add_participants\", \"cycle\": \"{cycle}\", \
         \"people\": [\"${{person:e010}}\", \"${{person:e011}}\"]}}}}\n"
    );
    appraise(&db, &["exec"], &add);
    let launched = lines(&appraise(&db, &["launch", &cycle, "--as", "e004"], ""));
    assert_eq!(launched[0]["value"]["packets"], 2);
    let tick = lines(&appraise(&db, &["tick"], ""));
    assert!(tick[0].is_object());
}

/// The same script on a PostgreSQL tenant (with `APPRAISE_POSTGRES_URL` set, as
/// `.ci/with-postgres` does).
#[test]
fn exec_runs_on_a_postgres_tenant() {
    let Ok(url) = std::env::var("APPRAISE_POSTGRES_URL") else {
        eprintln!("skipped: APPRAISE_POSTGRES_URL is not set (see .ci/with-postgres)");
        return;
    };
    let tenant = format!("cli-{}", uuid::Uuid::new_v4());
    let store = ["--postgres", url.as_str(), "--tenant", tenant.as_str()];
    appraise_on(&store, &["bootstrap-admin", "e004"], "");
    let out = lines(&appraise_on(
        &store,
        &["exec"],
        include_str!("data/cycle.jsonl"),
    ));
    assert_eq!(out[11]["value"]["state"], "acknowledged", "{:?}", out[11]);
    // Jo sees the cycle in this tenant; in another tenant of the same database, nothing.
    let cycles = "{\"as\": \"e010\", \"query\": {\"query\": \"cycles\"}}\n";
    let here = lines(&appraise_on(&store, &["exec"], cycles));
    assert_eq!(
        here[0]["value"].as_array().map(Vec::len),
        Some(1),
        "{}",
        here[0]
    );
    let other = format!("cli-{}", uuid::Uuid::new_v4());
    let elsewhere = ["--postgres", url.as_str(), "--tenant", other.as_str()];
    let seen = lines(&appraise_on(&elsewhere, &["exec"], cycles));
    assert_eq!(seen[0]["value"], serde_json::json!([]));
}
