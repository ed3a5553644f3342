//! The engine behind JSON over HTTP, with axum, on a SQLite file:
//!
//! ```sh
//! cargo run --example http_service --features sqlite      # listens on 127.0.0.1:3000
//! curl -H 'x-person: <uuid>' -d '{"query": "inbox"}' localhost:3000/queries
//! ```
//!
//! - `POST /commands` takes a `Command`, `POST /queries` a `Query`; both answer with the
//!   `Outcome`, or with the error as JSON under its own HTTP status (`Error::http_status`).
//! - The acting person comes from the `x-person` header, which the host's authentication
//!   sets; an `idempotency-key` header makes a retried command land once.
//! - Spans and events go to stderr (`RUST_LOG=appraise=debug` for more).

use std::net::SocketAddr;

use appraise::memory::StaticDirectory;
use appraise::sql::SqliteStorage;
use appraise::{Command, Engine, Error, PersonId, Query};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

/// The service's routes over `engine`.
pub fn app(engine: Engine) -> Router {
    Router::new()
        .route("/commands", post(command))
        .route("/queries", post(query))
        .with_state(engine)
}

/// The person acting, from the `x-person` header.
fn actor(headers: &HeaderMap) -> Option<PersonId> {
    headers.get("x-person")?.to_str().ok()?.parse().ok()
}

/// The answer to a request without a person.
fn anonymous() -> Response {
    (StatusCode::UNAUTHORIZED, "x-person: a person's id").into_response()
}

/// An outcome as JSON, or the error under its status.
fn reply(result: appraise::Result<appraise::Outcome>) -> Response {
    match result {
        Ok(outcome) => Json(outcome).into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_GATEWAY);
            (status, Json::<Error>(e)).into_response()
        }
    }
}

async fn command(
    State(engine): State<Engine>,
    headers: HeaderMap,
    Json(c): Json<Command>,
) -> Response {
    let Some(actor) = actor(&headers) else {
        return anonymous();
    };
    let engine = match headers.get("idempotency-key").and_then(|k| k.to_str().ok()) {
        Some(key) => engine.with_key(key),
        None => engine,
    };
    reply(engine.execute(actor, c).await)
}

async fn query(State(engine): State<Engine>, headers: HeaderMap, Json(q): Json<Query>) -> Response {
    match actor(&headers) {
        Some(reader) => reply(engine.query(reader, q).await),
        None => anonymous(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("appraise=info"))
        .with_writer(std::io::stderr)
        .init();
    let org = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/org.csv");
    let engine = Engine::builder()
        .storage(SqliteStorage::open("http_service.db").await?)
        .directory(StaticDirectory::from_csv_path(org)?)
        .build();
    let addr = SocketAddr::from(([127, 0, 0, 1], 3000));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("listening on http://{addr}");
    axum::serve(listener, app(engine)).await?;
    Ok(())
}
