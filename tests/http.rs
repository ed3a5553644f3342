//! `examples/http_service.rs` served on a local port and driven through a whole cycle by a
//! real HTTP client: outcomes as JSON, refusals under the crate's status mapping, identity
//! from a header, idempotency keys.

use appraise::memory::StaticDirectory;
use appraise::sql::SqliteStorage;
use appraise::{AdminGrant, Engine, PersonId};
use serde_json::{Value, json};

use crate::http_service::app;

const ORG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/org.csv");

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// POSTs `body` to `path` as the person with key `who`: the status and the JSON answer.
    async fn post(&self, path: &str, who: &str, body: Value, key: Option<&str>) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-person", PersonId::from_key(who).to_string())
            .json(&body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON"))
    }

    async fn command(&self, who: &str, body: Value) -> Value {
        let (status, answer) = self.post("/commands", who, body, None).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    async fn query(&self, who: &str, body: Value) -> Value {
        let (status, answer) = self.post("/queries", who, body, None).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_cycle_over_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::builder()
        .storage(
            SqliteStorage::open(dir.path().join("http.db"))
                .await
                .unwrap(),
        )
        .directory(StaticDirectory::from_csv_path(ORG).unwrap())
        .build();
    let since = engine.now() - chrono::Duration::days(1);
    engine
        .bootstrap_admin(
            PersonId::from_key("e004"),
            AdminGrant {
                since,
                past_cycles: false,
            },
        )
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app(engine)).await });
    let c = Client {
        http: reqwest::Client::new(),
        base,
    };
    let (jo, eve) = (PersonId::from_key("e010"), PersonId::from_key("e005"));
    let kinds = json!({"self_review": true, "manager": true, "additional_manager": false,
                       "peer": false, "upward": false});
    let config = json!({"name": "H2 2026", "period": {"start": "2026-07-01", "end": "2026-12-31"},
                        "kinds": kinds});
    let cycle = c
        .command("e004", json!({"command": "create_cycle", "config": config}))
        .await;
    let cycle = cycle["value"]["id"].clone();
    c.command(
        "e004",
        json!({"command": "add_participants", "cycle": cycle, "people": [jo]}),
    )
    .await;
    let launched = c
        .command("e004", json!({"command": "launch", "cycle": cycle}))
        .await;
    assert_eq!(
        launched,
        json!({"outcome": "launch", "value": {"packets": 1, "reviews": 2, "people": 50}})
    );
    let packet = c
        .query(
            "e004",
            json!({"query": "packet_of", "cycle": cycle, "subject": jo}),
        )
        .await["value"]["id"]
        .clone();
    for (who, person) in [("e010", jo), ("e005", eve)] {
        let mine = c
            .query(who, json!({"query": "my_reviews", "cycle": cycle}))
            .await;
        let review = mine["value"][0]["id"].clone();
        assert_eq!(mine["value"][0]["author"], json!(person));
        let submitted = c
            .command(who, json!({"command": "submit_review", "review": review}))
            .await;
        assert_eq!(submitted["value"]["state"], "submitted");
        // Again: the review is already submitted, a conflict of states.
        let (status, again) = c
            .post(
                "/commands",
                who,
                json!({"command": "submit_review", "review": review}),
                None,
            )
            .await;
        assert_eq!(
            (status, again["code"].as_str()),
            (409, Some("invalid_transition")),
            "{again}"
        );
    }
    // Jo may not share Jo's own results: 403 with the explanation.
    let (status, refused) = c
        .post(
            "/commands",
            "e010",
            json!({"command": "share", "packet": packet}),
            None,
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("denied")),
        "{refused}"
    );
    assert!(
        refused["explanation"]["decision"]["rule"].is_string(),
        "{refused}"
    );
    c.command("e005", json!({"command": "share", "packet": packet}))
        .await;
    // An acknowledgement retried with its idempotency key lands once, answering the same.
    let ack = json!({"command": "acknowledge", "packet": packet, "comment": "Thanks"});
    let first = c
        .post("/commands", "e010", ack.clone(), Some("ack-1"))
        .await;
    let retry = c
        .post("/commands", "e010", ack.clone(), Some("ack-1"))
        .await;
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(first, retry);
    assert_eq!(first.1["value"]["state"], "acknowledged");
    let without_key = c.post("/commands", "e010", ack, None).await;
    assert_eq!(without_key.0, 409, "{}", without_key.1);
    let progress = c
        .query("e004", json!({"query": "progress", "cycle": cycle}))
        .await;
    assert_eq!(progress["value"]["by_kind"]["manager"]["submitted"], 1);
    // No identity, no answer.
    let anonymous = c
        .http
        .post(format!("{}/queries", c.base))
        .json(&json!({"query": "inbox"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    // A body that is no query is refused before the engine sees it.
    let (status, _) = (
        c.http
            .post(format!("{}/queries", c.base))
            .header("x-person", jo.to_string())
            .json(&json!({"query": "everything"}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        (),
    );
    assert_eq!(status, 422);
}
