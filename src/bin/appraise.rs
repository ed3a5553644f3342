//! `appraise`: review cycles from the command line, on a SQLite file (the default) or a
//! PostgreSQL tenant. Build it with `cargo install appraise --features cli` or run it with
//! `cargo run --features cli --bin appraise -- --help`.
//!
//! People are named by their key in the org CSV (`e004`) or by id. Every command that needs
//! the org reads the CSV given with `--org`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use appraise::memory::StaticDirectory;
use appraise::plugin::Storage;
use appraise::sql::{PostgresStorage, SqliteStorage};
use appraise::{
    AdminGrant, Command, CycleConfig, CycleId, Engine, Error, Outcome, PersonId, Query,
};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

/// Review cycles from the command line.
#[derive(Parser)]
#[command(name = "appraise", version, about)]
struct Cli {
    /// The SQLite file to use (created if missing).
    #[arg(long, global = true, default_value = "appraise.db")]
    db: PathBuf,
    /// A PostgreSQL database to use instead of the SQLite file.
    #[arg(long, global = true, value_name = "URL")]
    postgres: Option<String>,
    /// The tenant (company) in the PostgreSQL database.
    #[arg(long, global = true, default_value = "default")]
    tenant: String,
    /// The org: a CSV with `id,name,email,manager_id,department,active`.
    #[arg(long, global = true, value_name = "CSV")]
    org: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Checks an org CSV and prints each person's key and id, one JSON object per line.
    ImportOrg {
        /// The CSV file.
        csv: PathBuf,
    },
    /// Makes `person` the first review admin (does nothing once there is an admin).
    BootstrapAdmin {
        /// The person (key or id).
        person: String,
    },
    /// Cycles.
    #[command(subcommand)]
    Cycle(CycleCmd),
    /// Launches a cycle.
    Launch {
        /// The cycle's id.
        cycle: CycleId,
        /// Who launches it (key or id).
        #[arg(long = "as")]
        actor: String,
    },
    /// A person's inbox.
    Inbox {
        /// Whose (key or id).
        #[arg(long = "as")]
        actor: String,
    },
    /// A cycle's progress.
    Progress {
        /// The cycle's id.
        cycle: CycleId,
        /// Who asks (key or id).
        #[arg(long = "as")]
        actor: String,
    },
    /// Exports a cycle's results.
    Export {
        /// The cycle's id.
        cycle: CycleId,
        /// Who exports (key or id).
        #[arg(long = "as")]
        actor: String,
        /// CSV (one row per participant) or JSON (one object per line).
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
    },
    /// Runs the time tick: reminders and nomination deadlines.
    Tick,
    /// Reads commands and queries as JSON lines from stdin and writes each outcome as a JSON
    /// line: `{"as": "e004", "command": {...}}` or `{"as": "e004", "query": {...}}`, with
    /// an optional `"key"` (idempotency key) and `"save": "name"`. Strings may refer to
    /// earlier outcomes, `${name/value/id}` (a JSON pointer into the outcome saved as
    /// `name`), and to people by key, `${person:e004}`.
    Exec,
}

#[derive(Subcommand)]
enum CycleCmd {
    /// Creates a cycle from a JSON or TOML file holding its settings (`CycleConfig`).
    Create {
        /// The file (`.json` or `.toml`).
        file: PathBuf,
        /// Who creates it (key or id).
        #[arg(long = "as")]
        actor: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Json,
}

/// What the CLI reports when it fails.
#[derive(Debug)]
enum Failure {
    Engine(Error),
    Usage(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Engine(e)
    }
}

/// A spinner on stderr while `work` runs (hidden when stderr is not a terminal): a launch or
/// an export is one call to the engine, so it shows that work goes on, not how far.
async fn spinning<T>(message: &'static str, work: impl std::future::Future<Output = T>) -> T {
    let spinner = indicatif::ProgressBar::new_spinner().with_message(message);
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    let out = work.await;
    spinner.finish_and_clear();
    out
}

/// A person named by id or by their key in the org CSV.
fn person(text: &str) -> PersonId {
    text.parse().unwrap_or_else(|_| PersonId::from_key(text))
}

fn print(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string(value).map_err(|e| Failure::Usage(e.to_string()))?;
    println!("{text}");
    Ok(())
}

async fn engine(cli: &Cli) -> Result<Engine, Failure> {
    let storage: Arc<dyn Storage> = match &cli.postgres {
        Some(url) => Arc::new(PostgresStorage::connect(url, &cli.tenant).await?),
        None => Arc::new(SqliteStorage::open(&cli.db).await?),
    };
    let directory = match &cli.org {
        Some(path) => StaticDirectory::from_csv_path(path)?,
        None => StaticDirectory::new(Vec::new(), Vec::new()),
    };
    Ok(Engine::builder()
        .storage(storage)
        .directory(directory)
        .build())
}

/// `text` with every `${...}` replaced: `${person:KEY}` by the person's id, `${name/pointer}`
/// by the value at that JSON pointer in the outcome saved as `name`.
fn substitute(text: &str, saved: &serde_json::Map<String, Value>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`{text}`: a `${{` without its `}}`"))?;
        let reference = &after[..end];
        if let Some(key) = reference.strip_prefix("person:") {
            out.push_str(&PersonId::from_key(key).to_string());
        } else {
            let (name, pointer) = reference.split_once('/').unwrap_or((reference, ""));
            let outcome = saved
                .get(name)
                .ok_or_else(|| format!("`{reference}`: nothing was saved as `{name}`"))?;
            let value = outcome
                .pointer(&format!("/{pointer}"))
                .or_else(|| pointer.is_empty().then_some(outcome))
                .ok_or_else(|| format!("`{reference}`: no such value"))?;
            match value {
                Value::String(s) => out.push_str(s),
                other => out.push_str(&other.to_string()),
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `value` with [`substitute`] applied to every string in it.
fn resolve(value: Value, saved: &serde_json::Map<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(substitute(&s, saved)?),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| resolve(v, saved))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| Ok((k, resolve(v, saved)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other,
    })
}

/// One line of `exec`: its outcome or error as JSON.
async fn exec_line(
    engine: &Engine,
    line: &str,
    saved: &mut serde_json::Map<String, Value>,
) -> Value {
    let request: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"error": {"code": "invalid", "message": format!("not JSON: {e}")}}),
    };
    let request = match resolve(request, saved) {
        Ok(v) => v,
        Err(e) => return json!({"error": {"code": "invalid", "message": e}}),
    };
    let Some(actor) = request.get("as").and_then(Value::as_str).map(person) else {
        return json!({"error": {"code": "invalid", "message": "a line needs `as`: who acts"}});
    };
    let engine = match request.get("key").and_then(Value::as_str) {
        Some(key) => engine.with_key(key),
        None => engine.clone(),
    };
    let outcome: Result<Outcome, Value> = if let Some(command) = request.get("command") {
        match serde_json::from_value::<Command>(command.clone()) {
            Ok(c) => engine.execute(actor, c).await.map_err(|e| json!(e)),
            Err(e) => Err(json!({"code": "invalid", "message": e.to_string()})),
        }
    } else if let Some(query) = request.get("query") {
        match serde_json::from_value::<Query>(query.clone()) {
            Ok(q) => engine.query(actor, q).await.map_err(|e| json!(e)),
            Err(e) => Err(json!({"code": "invalid", "message": e.to_string()})),
        }
    } else {
        Err(json!({"code": "invalid", "message": "a line needs `command` or `query`"}))
    };
    match outcome {
        Ok(outcome) => {
            let value = json!(outcome);
            if let Some(name) = request.get("save").and_then(Value::as_str) {
                saved.insert(name.to_owned(), value.clone());
            }
            value
        }
        Err(error) => json!({ "error": error }),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match &cli.command {
        Cmd::ImportOrg { csv } => {
            let directory = StaticDirectory::from_csv_path(csv)?;
            let text = std::fs::read_to_string(csv).map_err(|e| Failure::Usage(e.to_string()))?;
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let keys: Vec<String> = reader
                .records()
                .filter_map(|r| r.ok().and_then(|r| r.get(0).map(str::to_owned)))
                .collect();
            let bar = indicatif::ProgressBar::new(keys.len() as u64);
            for key in keys {
                bar.inc(1);
                let id = PersonId::from_key(&key);
                let known = directory.people_list().iter().find(|p| p.id == id);
                if let Some(p) = known {
                    print(&json!({"key": key, "id": id, "name": p.name, "manager": p.manager}))?;
                }
            }
            bar.finish_and_clear();
        }
        Cmd::BootstrapAdmin { person: who } => {
            let engine = engine(&cli).await?;
            let since = engine.now() - chrono::Duration::days(1);
            let made = engine
                .bootstrap_admin(
                    person(who),
                    AdminGrant {
                        since,
                        past_cycles: true,
                    },
                )
                .await?;
            print(&json!({"first_admin": made}))?;
        }
        Cmd::Cycle(CycleCmd::Create { file, actor }) => {
            let text = std::fs::read_to_string(file).map_err(|e| Failure::Usage(e.to_string()))?;
            let config: CycleConfig = if file.extension().is_some_and(|e| e == "toml") {
                toml::from_str(&text)
                    .map_err(|e| Failure::Usage(format!("{}: {e}", file.display())))?
            } else {
                serde_json::from_str(&text)
                    .map_err(|e| Failure::Usage(format!("{}: {e}", file.display())))?
            };
            let engine = engine(&cli).await?;
            print(
                &engine
                    .execute(person(actor), Command::CreateCycle { config })
                    .await?,
            )?;
        }
        Cmd::Launch { cycle, actor } => {
            let engine = engine(&cli).await?;
            let launch = engine.execute(person(actor), Command::Launch { cycle: *cycle });
            print(&spinning("launching", launch).await?)?;
        }
        Cmd::Inbox { actor } => {
            let engine = engine(&cli).await?;
            print(&engine.query(person(actor), Query::Inbox).await?)?;
        }
        Cmd::Progress { cycle, actor } => {
            let engine = engine(&cli).await?;
            print(
                &engine
                    .query(person(actor), Query::Progress { cycle: *cycle })
                    .await?,
            )?;
        }
        Cmd::Export {
            cycle,
            actor,
            format,
        } => {
            let engine = engine(&cli).await?;
            let mut out = Vec::new();
            let export = engine.export_results_csv(person(actor), *cycle, &mut out);
            spinning("exporting", export).await?;
            let mut stdout = std::io::stdout().lock();
            match format {
                Format::Csv => stdout.write_all(&out),
                Format::Json => {
                    let mut reader = csv::Reader::from_reader(out.as_slice());
                    let headers = reader.headers().cloned().unwrap_or_default();
                    let mut result = Ok(());
                    for record in reader.records().flatten() {
                        let row: serde_json::Map<String, Value> = headers
                            .iter()
                            .zip(record.iter())
                            .map(|(h, v)| (h.to_owned(), Value::String(v.to_owned())))
                            .collect();
                        result = writeln!(stdout, "{}", Value::Object(row));
                    }
                    result
                }
            }
            .map_err(|e| Failure::Usage(e.to_string()))?;
        }
        Cmd::Tick => {
            let engine = engine(&cli).await?;
            print(&engine.tick().await?)?;
        }
        Cmd::Exec => {
            let engine = engine(&cli).await?;
            let mut saved = serde_json::Map::new();
            for line in std::io::stdin().lock().lines() {
                let line = line.map_err(|e| Failure::Usage(e.to_string()))?;
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                print(&exec_line(&engine, &line, &mut saved).await)?;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("appraise: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Engine(e)) => {
            eprintln!("appraise: {e}");
            let _ = print(&json!({ "error": e }));
            ExitCode::FAILURE
        }
        Err(Failure::Usage(message)) => {
            eprintln!("appraise: {message}");
            ExitCode::from(2)
        }
    }
}
