use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::join;
use serde::de::DeserializeOwned;
use sqlx::sqlite::SqliteArguments;
use sqlx::sqlite::SqliteConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Arguments, Executor, Row, Sqlite};

use super::migrate::{Migration, TABLE, plan};
use super::{
    SUBJECTS_A_QUERY, distinct, first_packets, from_json, limit, org_changes_from, record_from,
    reviews_by_subject, stored, stored_version, to_json, version_i64, with_packets,
};
use crate::domain::notification::Notification;
use crate::plugin::{
    Claim, Commit, Expect, OutboxEntry, Record, RecordKey, Storage, StoredEvent, Versioned, Write,
    check_shape, keys_of,
};
use crate::{
    CalibrationSession, CycleId, Error, Event, Nomination, OrgChange, Packet, PacketId, PersonId,
    Result, Review,
};
use uuid::Uuid;

/// Rows per multi-row `INSERT` when a commit creates many records (a launch).
const BATCH: usize = 1_000;

/// Storage in SQLite, through sqlx: a file (WAL mode) or `:memory:`.
///
/// - Migrations are embedded and run on open.
/// - A table per record kind, each with a `version` column; bodies are JSON, and ids are
///   stored as their 16 bytes.
/// - A commit is one transaction with the version checks inside it; commits go through a
///   single writer connection, so they are serialized, and readers (file databases) use their
///   own pool and see only committed data.
/// - A commit's statements are sent together, a thousand new rows at most a batch: a small
///   commit (a submit) costs three round trips to the connection's thread (begin, its
///   statements, commit), whatever its number of writes.
/// - A commit of 10,000 rows or more (a launch) returns before its rows are copied from the
///   write-ahead log into the database file: a task copies them (a passive checkpoint), on
///   a connection of its own for a file from [`open`](Self::open), while commits go on.
///   Every other commit leaves that copy to SQLite's automatic checkpoint, as usual.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Where [`checkpoint_soon`](Self::checkpoint_soon) runs: a connection of its own for a
    /// file opened by [`open`](Self::open), so that commits go on meanwhile.
    checkpointer: SqlitePool,
}

/// The crate's error for a backend failure. SQLite's busy and locked errors (another writer
/// holds the database past the busy timeout, or a read snapshot went stale) become
/// [`Error::Conflict`]: nothing was written, and the command can be retried.
fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    if is_busy(&e) {
        return Error::Conflict {
            what: "SQLite database",
            id: "busy".to_owned(),
        };
    }
    Error::Backend {
        source: Box::new(e),
    }
}

/// Whether `e` is SQLite's `SQLITE_BUSY` or `SQLITE_LOCKED`, extended codes included
/// (5, 261, 517, 773; 6, 262).
fn is_busy(e: &(dyn std::any::Any + Send + Sync)) -> bool {
    let Some(sqlx::Error::Database(db)) = e.downcast_ref::<sqlx::Error>() else {
        return false;
    };
    matches!(
        db.code().as_deref(),
        Some("5" | "261" | "517" | "773" | "6" | "262")
    )
}

/// The table of a record kind.
const fn table_of(key: &RecordKey) -> &'static str {
    match key {
        RecordKey::Cycle(_) => "cycles",
        RecordKey::Snapshot(_) => "snapshots",
        RecordKey::OrgHead(_) => "org_heads",
        RecordKey::OrgChange { .. } => "org_changes",
        RecordKey::Packet(_) => "packets",
        RecordKey::Review(_) => "reviews",
        RecordKey::Nomination(_) => "nominations",
        RecordKey::Calibration(_) => "calibrations",
        RecordKey::Template(_) => "templates",
        RecordKey::Grants => "grants",
        RecordKey::Receipt(_) => "receipts",
    }
}

/// An id as its columns hold it: its 16 bytes, which sort as its text does.
fn id_bytes(id: &Uuid) -> Vec<u8> {
    id.as_bytes().to_vec()
}

/// The key of an org change: its cycle's 16 bytes and its number as 8 big-endian bytes, so
/// that a cycle's changes sort in order.
fn change_key(cycle: CycleId, seq: u64) -> Vec<u8> {
    let mut key = id_bytes(cycle.as_uuid());
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// The table, its key column and the key of a record (the grants record's is the nil id).
fn locate(key: &RecordKey) -> (&'static str, &'static str, Vec<u8>) {
    let id = |id: &Uuid| id_bytes(id);
    match key {
        RecordKey::Cycle(c) => ("cycles", "id", id(c.as_uuid())),
        RecordKey::Snapshot(c) => ("snapshots", "cycle_id", id(c.as_uuid())),
        RecordKey::OrgHead(c) => ("org_heads", "cycle_id", id(c.as_uuid())),
        RecordKey::OrgChange { cycle, seq } => ("org_changes", "id", change_key(*cycle, *seq)),
        RecordKey::Packet(p) => ("packets", "id", id(p.as_uuid())),
        RecordKey::Review(r) => ("reviews", "id", id(r.as_uuid())),
        RecordKey::Nomination(n) => ("nominations", "id", id(n.as_uuid())),
        RecordKey::Calibration(c) => ("calibrations", "id", id(c.as_uuid())),
        RecordKey::Template(t) => ("templates", "id", id(t.as_uuid())),
        RecordKey::Grants => ("grants", "id", id(&Uuid::nil())),
        RecordKey::Receipt(r) => ("receipts", "id", id(r.as_uuid())),
    }
}

/// The row of a record: its table, its id columns (the key first) with their values, and its
/// body (`version` is added).
struct RecordRow {
    table: &'static str,
    columns: &'static [&'static str],
    ids: Vec<Vec<u8>>,
    body: String,
}

fn row_of(record: &Record) -> Result<RecordRow> {
    let (_, _, key) = locate(&record.key());
    let row = |table, columns, more: &[&Uuid], body| RecordRow {
        table,
        columns,
        ids: std::iter::once(key.clone())
            .chain(more.iter().map(|id| id_bytes(id)))
            .collect(),
        body,
    };
    Ok(match record {
        Record::Cycle(c) => row("cycles", &["id"], &[], to_json(c)?),
        Record::Snapshot { snapshot, .. } => {
            row("snapshots", &["cycle_id"], &[], to_json(snapshot)?)
        }
        Record::OrgHead(h) => row("org_heads", &["cycle_id"], &[], to_json(h)?),
        Record::OrgChange(c) => row(
            "org_changes",
            &["id", "cycle_id"],
            &[c.cycle.as_uuid()],
            to_json(c)?,
        ),
        Record::Packet(p) => row(
            "packets",
            &["id", "cycle_id"],
            &[p.cycle().as_uuid()],
            to_json(p)?,
        ),
        Record::Review(r) => row(
            "reviews",
            &["id", "cycle_id", "subject", "author"],
            &[
                r.cycle().as_uuid(),
                r.subject().as_uuid(),
                r.author().as_uuid(),
            ],
            stored::review_body(r)?,
        ),
        Record::Nomination(n) => row(
            "nominations",
            &["id", "packet_id"],
            &[n.packet().as_uuid()],
            to_json(n)?,
        ),
        Record::Calibration(c) => row(
            "calibrations",
            &["id", "cycle_id"],
            &[c.cycle().as_uuid()],
            to_json(c)?,
        ),
        Record::Template(t) => row("templates", &["id"], &[], to_json(t)?),
        Record::Grants(g) => row("grants", &["id"], &[], to_json(g)?),
        Record::Receipt(r) => row("receipts", &["id"], &[], to_json(r)?),
    })
}

/// The id a row's `column` holds; `record` names the row when it is not 16 bytes.
fn id_in(row: &SqliteRow, column: &str, record: impl Fn() -> String) -> Result<Uuid> {
    let bytes: Vec<u8> = row.try_get(column).map_err(|e| Error::Corrupt {
        record: record(),
        reason: format!("its {column} is not an id: {e}"),
    })?;
    Uuid::from_slice(&bytes).map_err(|_| Error::Corrupt {
        record: record(),
        reason: format!("its {column} is {} bytes, not an id", bytes.len()),
    })
}

/// The columns [`review_row`] reads.
const REVIEW_COLUMNS: &str = "id, cycle_id, subject, author, version, body";

/// A review from its row's [`REVIEW_COLUMNS`].
fn review_row(row: &SqliteRow) -> Result<Versioned<Review>> {
    let id = id_in(row, "id", || "a review".to_owned())?;
    let record = || format!("review `{id}`");
    let columns = stored::ReviewColumns {
        id: id.into(),
        cycle: id_in(row, "cycle_id", record)?.into(),
        subject: id_in(row, "subject", record)?.into(),
        author: id_in(row, "author", record)?.into(),
    };
    let version: i64 = row.try_get("version").map_err(backend)?;
    let body: String = row.try_get("body").map_err(backend)?;
    Ok(Versioned {
        version: stored_version(record(), version)?,
        record: stored::review_from(columns, &body)?,
    })
}

/// A row of `id`, `version` and `body` from the table of `what`s.
fn versioned<T: DeserializeOwned>(
    what: &'static str,
) -> impl Fn(&SqliteRow) -> Result<Versioned<T>> {
    move |row| {
        let id = id_in(row, "id", || format!("a {what}"))?;
        let version: i64 = row.try_get("version").map_err(backend)?;
        let body: String = row.try_get("body").map_err(backend)?;
        let record = format!("{what} `{id}`");
        Ok(Versioned {
            version: stored_version(&record, version)?,
            record: from_json(&record, &body)?,
        })
    }
}

impl SqliteStorage {
    /// Opens (creating if missing) the database file at `path`, in WAL mode, and runs the
    /// crate's migrations ([`migrate`](Self::migrate)).
    ///
    /// A new file gets SQLite's default page size (4 KiB), which suits small commits such as
    /// a submit. A host that launches very large cycles and writes little else can make the
    /// file itself with larger pages and open it with [`with_pool`](Self::with_pool)
    /// (BENCHMARKS.md measures 64 KiB pages: a launch of 100,000 people faster, a submit
    /// nearly twice as slow).
    ///
    /// The storage holds a writer connection, up to four readers, and, from the first large
    /// commit on, a connection for its checkpoints; [`close`](Self::close) closes them all.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when the file cannot be opened or migrated.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        // Connections are local files: no liveness ping before each use (it would double the
        // round trips of every read).
        // The one writer keeps a 64 MiB page cache (SQLite's default is 2 MiB): a launch
        // inserts hundreds of thousands of rows into indexes keyed by random ids.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone().pragma("cache_size", "-65536"))
            .await
            .map_err(backend)?;
        Self::migrate(&writer).await?;
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_lazy_with(options.clone());
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await
            .map_err(backend)?;
        Ok(Self {
            writer,
            reader,
            checkpointer,
        })
    }

    /// Copies the write-ahead log into the database file (a passive checkpoint) in a task of
    /// its own, so that a large commit (a launch) returns without waiting for it. SQLite runs
    /// that checkpoint at the end of the commit that grows the log past its limit (1,000
    /// pages): for a launch of 100,000 people, the whole launch once more, about 0.5 s.
    /// Commits go on meanwhile: a passive checkpoint takes no write lock, and the writer's
    /// automatic checkpoint gives way while this one runs (on a host's pool, from
    /// [`with_pool`](Self::with_pool), the checkpoint takes one of its connections). Should
    /// the checkpoint fail or not run, a later commit's automatic checkpoint does the work.
    async fn checkpoint_soon(&self) {
        let pool = self.checkpointer.clone();
        let checkpoint = async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "SQLite checkpoint after a large commit failed");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(checkpoint)),
            Err(_) => checkpoint.await,
        }
    }

    /// A private in-memory database (one connection, kept open), migrated.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when SQLite cannot start.
    pub async fn open_in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(backend)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Self::migrate(&pool).await?;
        Ok(Self {
            writer: pool.clone(),
            reader: pool.clone(),
            checkpointer: pool,
        })
    }

    /// Storage on a pool the host made, without migrating (the host runs
    /// [`migrate`](Self::migrate) when it deploys). Commits take SQLite's write lock when they
    /// begin (`BEGIN IMMEDIATE`), so they wait for each other up to the pool's busy timeout
    /// rather than fail midway.
    #[must_use]
    pub fn with_pool(pool: SqlitePool) -> Self {
        Self {
            writer: pool.clone(),
            reader: pool.clone(),
            checkpointer: pool,
        }
    }

    /// Runs the crate's migrations not yet applied, in one transaction, recording each in the
    /// table `appraise_migrations`: a host keeps its own migrations (sqlx's or any tool's)
    /// in the same file.
    ///
    /// A file made by appraise 0.1, which recorded its migrations in sqlx's
    /// `_sqlx_migrations`, is taken over: the crate's rows move to `appraise_migrations`
    /// (and sqlx's table goes once it is empty), and the file opens with all its data.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when the file fails, when an applied migration differs from the
    /// crate's, or when the file holds a migration this version does not know (it was
    /// migrated by a newer one).
    pub async fn migrate(pool: &SqlitePool) -> Result<()> {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
        migrate_in(&mut tx, MIGRATIONS).await?;
        tx.commit().await.map_err(backend)
    }

    /// Reviews of a cycle whose `column` (`subject` or `author`) is `person`, by id.
    async fn reviews_where(
        &self,
        column: &'static str,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Vec<Versioned<Review>>> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews WHERE cycle_id = ? AND {column} = ? ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(id_bytes(cycle.as_uuid()))
            .bind(id_bytes(person.as_uuid()))
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?;
        rows.iter().map(review_row).collect()
    }

    /// The rows `select` (ending in an `IN (` list) reads for each id of `ids`, `SUBJECTS_A_QUERY`
    /// ids a query, after binding `cycle` when given.
    async fn rows_in<T>(
        &self,
        select: &str,
        cycle: Option<CycleId>,
        ids: impl Iterator<Item = Uuid>,
        row: impl Fn(&SqliteRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        let ids: Vec<Uuid> = ids.collect();
        let mut out = Vec::new();
        for chunk in ids.chunks(SUBJECTS_A_QUERY) {
            let sql = format!("{select}{})", vec!["?"; chunk.len()].join(", "));
            let mut query = sqlx::query(&sql);
            if let Some(cycle) = cycle {
                query = query.bind(id_bytes(cycle.as_uuid()));
            }
            for id in chunk {
                query = query.bind(id_bytes(id));
            }
            let rows = query.fetch_all(&self.reader).await.map_err(backend)?;
            for r in &rows {
                out.push(row(r)?);
            }
        }
        Ok(out)
    }

    /// Closes the storage's connections, waiting for those in use (a checkpoint under way
    /// among them) to finish.
    pub async fn close(&self) {
        self.checkpointer.close().await;
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// The crate's migrations, in order.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "init",
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        description: "templates",
        sql: include_str!("../../migrations/sqlite/0002_templates.sql"),
    },
    Migration {
        version: 3,
        description: "outbox claims",
        sql: include_str!("../../migrations/sqlite/0003_outbox_claims.sql"),
    },
    Migration {
        version: 4,
        description: "receipts",
        sql: include_str!("../../migrations/sqlite/0004_receipts.sql"),
    },
    Migration {
        version: 5,
        description: "involvement",
        sql: include_str!("../../migrations/sqlite/0005_involvement.sql"),
    },
    Migration {
        version: 6,
        description: "org log",
        sql: include_str!("../../migrations/sqlite/0006_org_log.sql"),
    },
    Migration {
        version: 7,
        description: "decimal scores",
        sql: include_str!("../../migrations/sqlite/0007_decimal_scores.sql"),
    },
    Migration {
        version: 8,
        description: "binary ids",
        sql: include_str!("../../migrations/sqlite/0008_binary_ids.sql"),
    },
    Migration {
        version: 9,
        description: "packet names by storage",
        sql: include_str!("../../migrations/sqlite/0009_packet_names_by_storage.sql"),
    },
];

/// The body of [`SqliteStorage::migrate`], inside its transaction: runs those of
/// `migrations` (the crate's, or the first of them in a test) not yet applied.
async fn migrate_in(conn: &mut SqliteConnection, migrations: &'static [Migration]) -> Result<()> {
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (version INTEGER PRIMARY KEY, \
         description TEXT NOT NULL, checksum TEXT NOT NULL, \
         applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    );
    conn.execute(create.as_str()).await.map_err(backend)?;
    let select = format!("SELECT version, checksum FROM {TABLE}");
    let mut applied: BTreeMap<i64, String> = sqlx::query_as(&select)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .into_iter()
        .collect();
    if applied.is_empty() {
        for m in take_over_0_1(conn).await? {
            record(conn, m).await?;
            applied.insert(m.version, m.checksum());
        }
    }
    for m in plan(migrations, &applied)? {
        conn.execute(m.sql).await.map_err(backend)?;
        record(conn, m).await?;
    }
    Ok(())
}

/// Records `m` as applied.
async fn record(conn: &mut SqliteConnection, m: &Migration) -> Result<()> {
    let insert = format!("INSERT INTO {TABLE} (version, description, checksum) VALUES (?, ?, ?)");
    sqlx::query(&insert)
        .bind(m.version)
        .bind(m.description)
        .bind(m.checksum())
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// The crate's migrations that appraise 0.1 applied to this file and recorded in sqlx's
/// `_sqlx_migrations` (same version and description, applied successfully), removed from that
/// table (dropped once empty). None for any other file.
async fn take_over_0_1(conn: &mut SqliteConnection) -> Result<Vec<&'static Migration>> {
    let sqlx_table: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    if sqlx_table.is_none() {
        return Ok(Vec::new());
    }
    let recorded: Vec<(i64, String, bool)> =
        sqlx::query_as("SELECT version, description, success FROM _sqlx_migrations")
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
    let ours: Vec<&'static Migration> = MIGRATIONS
        .iter()
        .filter(|m| {
            recorded
                .iter()
                .any(|(v, d, ok)| *v == m.version && d == m.description && *ok)
        })
        .collect();
    for m in &ours {
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = ?")
            .bind(m.version)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    if recorded.len() == ours.len() {
        conn.execute("DROP TABLE _sqlx_migrations")
            .await
            .map_err(backend)?;
    }
    Ok(ours)
}

/// Keys per statement when reading many versions at once.
const VERSIONS_PER_STATEMENT: usize = 200;

/// The versions of `keys` (`None`: absent), in one statement per
/// [`VERSIONS_PER_STATEMENT`] keys: `SELECT (SELECT version FROM .. WHERE ..), ...`.
async fn versions_in(
    conn: &mut sqlx::SqliteConnection,
    keys: &[RecordKey],
) -> Result<Vec<Option<u64>>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(VERSIONS_PER_STATEMENT) {
        let columns: Vec<String> = chunk
            .iter()
            .map(|key| {
                let (table, column, _) = locate(key);
                format!("(SELECT version FROM {table} WHERE {column} = ?)")
            })
            .collect();
        let sql = format!("SELECT {}", columns.join(", "));
        let mut query = sqlx::query(&sql);
        for key in chunk {
            query = query.bind(locate(key).2);
        }
        let row = query.fetch_one(&mut *conn).await.map_err(backend)?;
        for (i, key) in chunk.iter().enumerate() {
            let v: Option<i64> = row.try_get(i).map_err(backend)?;
            out.push(v.map(|v| stored_version(key, v)).transpose()?);
        }
    }
    Ok(out)
}

/// The error for an outbox insert that hit a used key: names the key.
async fn used_outbox_key(conn: &mut sqlx::SqliteConnection, keys: &[&str]) -> Option<Error> {
    if keys.is_empty() {
        return None;
    }
    let sql = format!(
        "SELECT key FROM outbox WHERE key IN ({}) LIMIT 1",
        vec!["?"; keys.len()].join(", ")
    );
    let mut query = sqlx::query(&sql);
    for key in keys {
        query = query.bind(*key);
    }
    match query.fetch_optional(&mut *conn).await {
        Ok(Some(row)) => {
            let key = row.try_get::<String, _>(0).unwrap_or_default();
            Some(Error::invalid(
                "commit",
                format!("outbox key `{key}` is already used"),
            ))
        }
        Ok(None) => None,
        Err(e) => Some(backend(e)),
    }
}

/// Rows of multi-row inserts a [`Script`] takes before it is sent.
const SCRIPT_ROWS: usize = BATCH;

/// Rows (writes, events and outbox entries) from which a commit leaves its checkpoint to a
/// task of its own ([`SqliteStorage::checkpoint_soon`]).
const LARGE_COMMIT: usize = 10 * BATCH;

/// Statements sent to SQLite as one string, so a commit's statements cost one round trip to
/// sqlx's connection thread rather than one each (each round trip costs about as much as a
/// small statement's own work).
///
/// Nothing in a script fails on a version mismatch: a check, a versioned update or a delete
/// returns the row `tag` (its place in [`Script::tagged`]) only when its expectation holds,
/// and a missing tag names the conflict. New rows (records, outbox entries) fail on a used key
/// with a unique violation, which [`SqliteStorage::commit`] looks into once the transaction is
/// rolled back.
#[derive(Default)]
struct Script<'q> {
    sql: String,
    args: SqliteArguments<'q>,
    /// Rows of multi-row inserts so far.
    rows: usize,
    /// The key of each tagged statement, by tag.
    tagged: Vec<RecordKey>,
}

impl<'q> Script<'q> {
    fn bind<T>(&mut self, value: T) -> Result<()>
    where
        T: sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + 'q,
    {
        self.args
            .add(value)
            .map_err(|source| Error::Backend { source })
    }

    /// Appends a statement that returns its tag when `key`'s expectation holds: `sql` makes
    /// it from the tag.
    fn tagged(&mut self, key: RecordKey, sql: impl FnOnce(usize) -> String) {
        self.sql.push_str(&sql(self.tagged.len()));
        self.sql.push_str(";\n");
        self.tagged.push(key);
    }

    /// A check (`Write::Check`): a row when the record's version is as expected.
    fn check(&mut self, key: RecordKey, expect: Expect) -> Result<()> {
        let (table, column, id) = locate(&key);
        match expect {
            Expect::Absent => {
                self.tagged(key, |tag| {
                    format!(
                        "SELECT {tag} WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {column} = ?)"
                    )
                });
                self.bind(id)
            }
            Expect::Version(v) => {
                self.tagged(key, |tag| {
                    format!("SELECT {tag} FROM {table} WHERE {column} = ? AND version = ?")
                });
                self.bind(id)?;
                self.bind(version_i64(v)?)
            }
        }
    }

    /// An update at an expected version; a packet's names are replaced by its new ones.
    fn update(&mut self, record: &Record, version: u64) -> Result<()> {
        let key = record.key();
        let (table, column, id) = locate(&key);
        let body = row_of(record)?.body;
        self.tagged(key, |tag| {
            format!(
                "UPDATE {table} SET version = ?, body = ? WHERE {column} = ? AND version = ? \
                 RETURNING {tag}"
            )
        });
        self.bind(version_i64(version.saturating_add(1))?)?;
        self.bind(body)?;
        self.bind(id)?;
        self.bind(version_i64(version)?)?;
        if let Record::Packet(packet) = record {
            self.unname(packet.id())?;
            self.name(&names_of(packet))?;
        }
        Ok(())
    }

    /// A delete at an expected version.
    fn delete(&mut self, key: RecordKey, version: u64) -> Result<()> {
        let (table, column, id) = locate(&key);
        self.tagged(key, |tag| {
            format!("DELETE FROM {table} WHERE {column} = ? AND version = ? RETURNING {tag}")
        });
        self.bind(id)?;
        self.bind(version_i64(version)?)?;
        if let RecordKey::Packet(packet) = key {
            self.unname(packet)?;
        }
        Ok(())
    }

    /// Removes the names of `packet` from `packet_names`.
    fn unname(&mut self, packet: PacketId) -> Result<()> {
        self.sql
            .push_str("DELETE FROM packet_names WHERE packet_id = ?;\n");
        self.bind(id_bytes(packet.as_uuid()))
    }

    /// Adds `names` (cycle, person, packet) to `packet_names`, in one multi-row insert.
    fn name(&mut self, names: &[(Uuid, Uuid, Uuid)]) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        self.sql.push_str(&format!(
            "INSERT OR IGNORE INTO packet_names (cycle_id, person, packet_id) VALUES {};\n",
            vec!["(?, ?, ?)"; names.len()].join(", ")
        ));
        for (cycle, person, packet) in names {
            self.bind(id_bytes(cycle))?;
            self.bind(id_bytes(person))?;
            self.bind(id_bytes(packet))?;
        }
        self.rows += names.len();
        Ok(())
    }

    /// New records of one table, in one multi-row insert.
    fn create(&mut self, records: &[&Record]) -> Result<()> {
        let rows = records
            .iter()
            .map(|r| row_of(r))
            .collect::<Result<Vec<_>>>()?;
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let (table, columns) = (first.table, first.columns);
        let per_row = format!("(1, {}?)", "?, ".repeat(columns.len()));
        self.sql.push_str(&format!(
            "INSERT INTO {table} (version, {}, body) VALUES {};\n",
            columns.join(", "),
            vec![per_row.as_str(); rows.len()].join(", ")
        ));
        for row in rows {
            for id in row.ids {
                self.bind(id)?;
            }
            self.bind(row.body)?;
        }
        self.rows += records.len();
        Ok(())
    }

    /// Rows of `table` (`events` or `outbox`) with `seq` the sequence's next value plus
    /// `offset` onwards (the sequence itself moves on at the end of the commit); `row` binds a
    /// row's `columns`.
    fn sequenced<T>(
        &mut self,
        table: &str,
        columns: &[&str],
        items: &'q [T],
        offset: usize,
        mut row: impl FnMut(&mut Self, &'q T) -> Result<()>,
    ) -> Result<()> {
        let marks = ", ?".repeat(columns.len());
        let values: Vec<String> = (0..items.len())
            .map(|i| format!("({}{marks})", offset + i))
            .collect();
        let picked: String = (2..=columns.len() + 1)
            .map(|c| format!(", v.column{c}"))
            .collect();
        self.sql.push_str(&format!(
            "INSERT INTO {table} (seq, {}) SELECT s.next + v.column1{picked} \
             FROM (SELECT next FROM sequence WHERE id = 1) AS s, (VALUES {}) AS v;\n",
            columns.join(", "),
            values.join(", ")
        ));
        for item in items {
            row(self, item)?;
        }
        self.rows += items.len();
        Ok(())
    }

    /// Appends parts until the script holds [`SCRIPT_ROWS`] new rows or `parts` runs out.
    fn fill(&mut self, parts: &mut impl Iterator<Item = &'q Part<'q>>) -> Result<()> {
        while self.rows < SCRIPT_ROWS {
            let Some(part) = parts.next() else { break };
            match *part {
                Part::Create(records) => self.create(records)?,
                Part::Names(names) => self.name(names)?,
                Part::Events { offset, events } => {
                    self.sequenced("events", &["cycle_id", "body"], events, offset, |s, e| {
                        s.bind(e.cycle.map(|c| id_bytes(c.as_uuid())))?;
                        s.bind(to_json(e)?)
                    })?;
                }
                Part::Outbox { offset, entries } => {
                    self.sequenced("outbox", &["key", "body"], entries, offset, |s, n| {
                        s.bind(n.key.as_str())?;
                        s.bind(to_json(n)?)
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Runs the statements so far, in one round trip, and checks every tag came back.
    async fn flush(&mut self, conn: &mut sqlx::SqliteConnection) -> Result<(), Failed> {
        if self.sql.is_empty() {
            return Ok(());
        }
        let script = std::mem::take(self);
        let rows = match sqlx::query_with(&script.sql, script.args)
            .fetch_all(&mut *conn)
            .await
        {
            Ok(rows) => rows,
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                return Err(Failed::UsedKey(sqlx::Error::Database(db)));
            }
            Err(e) => return Err(backend(e).into()),
        };
        let mut returned = vec![false; script.tagged.len()];
        for row in &rows {
            let tag: i64 = row.try_get(0).map_err(backend)?;
            if let Some(seen) = usize::try_from(tag).ok().and_then(|t| returned.get_mut(t)) {
                *seen = true;
            }
        }
        match returned.iter().position(|seen| !seen) {
            Some(missing) => Err(script.tagged[missing].conflict().into()),
            None => Ok(()),
        }
    }
}

/// Who `packet` names ([`Packet::named`]), as rows of `packet_names`: (cycle, person, packet).
fn names_of(packet: &Packet) -> Vec<(Uuid, Uuid, Uuid)> {
    let (cycle, id) = (*packet.cycle().as_uuid(), *packet.id().as_uuid());
    packet
        .named()
        .map(|person| (cycle, *person.as_uuid(), id))
        .collect()
}

/// A run of a commit's new rows, at most [`BATCH`], that goes into one multi-row insert.
enum Part<'q> {
    /// New records of one table.
    Create(&'q [&'q Record]),
    /// Who the new packets name: (cycle, person, packet).
    Names(&'q [(Uuid, Uuid, Uuid)]),
    /// Events, numbered from the sequence's next value plus `offset`.
    Events { offset: usize, events: &'q [Event] },
    /// Outbox entries, numbered like events, after them.
    Outbox {
        offset: usize,
        entries: &'q [Notification],
    },
}

/// Why [`apply`] stopped.
enum Failed {
    /// A new record or outbox entry hit a key in use: which one is asked once the transaction
    /// is rolled back.
    UsedKey(sqlx::Error),
    Error(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Self::Error(e)
    }
}

/// After a unique violation (with the transaction rolled back): the record (a conflict) or
/// outbox key (invalid) of `commit` that exists already.
async fn used_key(conn: &mut sqlx::SqliteConnection, commit: &Commit) -> Option<Error> {
    let created: Vec<RecordKey> = commit
        .writes
        .iter()
        .filter_map(|w| match w {
            Write::Put {
                record,
                expect: Expect::Absent,
            } => Some(record.key()),
            _ => None,
        })
        .collect();
    match versions_in(conn, &created).await {
        Ok(have) => {
            if let Some((key, _)) = created.iter().zip(have).find(|(_, v)| v.is_some()) {
                return Some(key.conflict());
            }
        }
        Err(e) => return Some(e),
    }
    let keys: Vec<&str> = commit.outbox.iter().map(|n| n.key.as_str()).collect();
    for chunk in keys.chunks(VERSIONS_PER_STATEMENT) {
        if let Some(e) = used_outbox_key(conn, chunk).await {
            return Some(e);
        }
    }
    None
}

/// Applies a commit inside the open transaction: its checks, updates and deletes, its new
/// records (grouped by table, many rows a statement), then its events and outbox entries
/// numbered from the shared sequence. A small commit is one script, so one round trip.
///
/// A large commit (a launch) goes as many scripts of [`SCRIPT_ROWS`] rows: each script is made
/// (its rows encoded as JSON and bound) while SQLite runs the one before it on its connection's
/// own thread, so the encoding and SQLite's work overlap.
async fn apply(conn: &mut sqlx::SqliteConnection, commit: &Commit) -> Result<(), Failed> {
    let mut script = Script::default();
    let mut creates: Vec<&Record> = Vec::new();
    for w in &commit.writes {
        match w {
            Write::Check { key, expect } => script.check(*key, *expect)?,
            Write::Put {
                record,
                expect: Expect::Absent,
            } => creates.push(record),
            Write::Put {
                record,
                expect: Expect::Version(v),
            } => script.update(record, *v)?,
            Write::Delete { key, version } => script.delete(*key, *version)?,
        }
    }
    // By table, then by key: each table's new rows go into its key's index in order, which
    // fills its pages instead of splitting them at random places.
    creates.sort_by_cached_key(|r| r.key());
    // In the order of `packet_names`' key, for the same reason.
    let mut names: Vec<(Uuid, Uuid, Uuid)> = creates
        .iter()
        .filter_map(|r| match r {
            Record::Packet(p) => Some(names_of(p)),
            _ => None,
        })
        .flatten()
        .collect();
    names.sort_unstable();
    let mut parts = Vec::new();
    for group in creates.chunk_by(|a, b| table_of(&a.key()) == table_of(&b.key())) {
        parts.extend(group.chunks(BATCH).map(Part::Create));
    }
    parts.extend(names.chunks(BATCH).map(Part::Names));
    let mut offset = 0;
    for events in commit.events.chunks(BATCH) {
        parts.push(Part::Events { offset, events });
        offset += events.len();
    }
    for entries in commit.outbox.chunks(BATCH) {
        parts.push(Part::Outbox { offset, entries });
        offset += entries.len();
    }
    let mut parts = parts.iter().peekable();
    script.fill(&mut parts)?;
    while parts.peek().is_some() {
        let (sent, next) = join(script.flush(conn), async {
            let mut next = Script::default();
            next.fill(&mut parts).map(|()| next)
        })
        .await;
        sent?;
        script = next?;
    }
    if offset > 0 {
        script.sql.push_str(&format!(
            "UPDATE sequence SET next = next + {offset} WHERE id = 1;\n"
        ));
    }
    script.flush(conn).await
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn get(&self, key: RecordKey) -> Result<Option<Versioned<Record>>> {
        let (table, column, id) = locate(&key);
        if let RecordKey::Review(_) = key {
            let sql = format!("SELECT {REVIEW_COLUMNS} FROM reviews WHERE id = ?");
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(&self.reader)
                .await
                .map_err(backend)?;
            return row
                .map(|row| review_row(&row).map(stored::as_record))
                .transpose();
        }
        let sql = format!("SELECT version, body FROM {table} WHERE {column} = ?");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let version: i64 = row.try_get("version").map_err(backend)?;
        let body: String = row.try_get("body").map_err(backend)?;
        Ok(Some(Versioned {
            version: stored_version(key, version)?,
            record: record_from(&key, &body)?,
        }))
    }

    async fn version(&self, key: RecordKey) -> Result<Option<u64>> {
        Ok(self.versions(&[key]).await?.into_iter().next().flatten())
    }

    async fn versions(&self, keys: &[RecordKey]) -> Result<Vec<Option<u64>>> {
        let mut conn = self.reader.acquire().await.map_err(backend)?;
        versions_in(&mut conn, keys).await
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        check_shape(&commit, &keys_of(&commit), |_| false)?;
        let rows = commit.writes.len() + commit.events.len() + commit.outbox.len();
        // The one writer connection, held until the commit is done: after a unique violation
        // no other commit of this storage runs between the rollback and the look at the keys.
        let mut conn = self.writer.acquire().await.map_err(backend)?;
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        match apply(&mut tx, &commit).await {
            Ok(()) if rows >= LARGE_COMMIT => {
                let limit: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
                sqlx::query("PRAGMA wal_autocheckpoint = 0")
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                let committed = tx.commit().await.map_err(backend);
                let restore = format!("PRAGMA wal_autocheckpoint = {limit}");
                if sqlx::query(&restore).execute(&mut *conn).await.is_err() {
                    // Never leave the writer without its automatic checkpoint: the pool opens
                    // a new connection instead.
                    conn.close_on_drop();
                }
                drop(conn);
                if committed.is_ok() {
                    self.checkpoint_soon().await;
                }
                committed
            }
            Ok(()) => tx.commit().await.map_err(backend),
            // Dropping the transaction rolls it back: nothing is written.
            Err(Failed::Error(e)) => Err(e),
            Err(Failed::UsedKey(db)) => {
                tx.rollback().await.map_err(backend)?;
                Err(used_key(&mut conn, &commit)
                    .await
                    .unwrap_or_else(|| backend(db)))
            }
        }
    }

    async fn cycles(
        &self,
        after: Option<CycleId>,
        n: usize,
    ) -> Result<Vec<Versioned<crate::Cycle>>> {
        let rows =
            sqlx::query("SELECT id, version, body FROM cycles WHERE id > ? ORDER BY id LIMIT ?")
                .bind(after.map(|c| id_bytes(c.as_uuid())).unwrap_or_default())
                .bind(limit(n))
                .fetch_all(&self.reader)
                .await
                .map_err(backend)?;
        rows.iter().map(versioned("cycle")).collect()
    }

    async fn cycle_ids(&self, after: Option<CycleId>, n: usize) -> Result<Vec<CycleId>> {
        let rows = sqlx::query("SELECT id FROM cycles WHERE id > ? ORDER BY id LIMIT ?")
            .bind(after.map(|c| id_bytes(c.as_uuid())).unwrap_or_default())
            .bind(limit(n))
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| id_in(row, "id", || "a cycle".to_owned()).map(CycleId::from))
            .collect()
    }

    async fn packets(
        &self,
        cycle: CycleId,
        after: Option<PacketId>,
        n: usize,
    ) -> Result<Vec<Versioned<Packet>>> {
        let rows = sqlx::query(
            "SELECT id, version, body FROM packets WHERE cycle_id = ? AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(id_bytes(cycle.as_uuid()))
        .bind(after.map(|p| id_bytes(p.as_uuid())).unwrap_or_default())
        .bind(limit(n))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        rows.iter().map(versioned("packet")).collect()
    }

    async fn reviews_about(
        &self,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Vec<Versioned<Review>>> {
        self.reviews_where("subject", cycle, subject).await
    }

    async fn reviews_by(&self, cycle: CycleId, author: PersonId) -> Result<Vec<Versioned<Review>>> {
        self.reviews_where("author", cycle, author).await
    }

    async fn subjects(
        &self,
        cycle: CycleId,
        subjects: &[PersonId],
        submitted_only: bool,
    ) -> Result<Vec<(Versioned<Packet>, Vec<Versioned<Review>>)>> {
        let select =
            format!("SELECT {REVIEW_COLUMNS} FROM reviews WHERE cycle_id = ? AND subject IN (");
        let ids = distinct(subjects).into_iter().map(|s| *s.as_uuid());
        let mut reviews = self.rows_in(&select, Some(cycle), ids, review_row).await?;
        reviews.sort_unstable_by_key(|r| r.record.id());
        let lists = reviews_by_subject(subjects, reviews, submitted_only);
        let select = "SELECT id, version, body FROM packets WHERE id IN (";
        let ids = first_packets(&lists).into_iter().map(|p| *p.as_uuid());
        let packets = self.rows_in(select, None, ids, versioned("packet")).await?;
        with_packets(lists, packets)
    }

    async fn nominations(&self, packet: PacketId) -> Result<Vec<Versioned<Nomination>>> {
        let rows = sqlx::query(
            "SELECT id, version, body FROM nominations WHERE packet_id = ? ORDER BY id",
        )
        .bind(id_bytes(packet.as_uuid()))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        rows.iter().map(versioned("nomination")).collect()
    }

    async fn packets_naming(
        &self,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Vec<Versioned<Packet>>> {
        let rows = sqlx::query(
            "SELECT p.id, p.version, p.body FROM packet_names n JOIN packets p ON p.id = n.packet_id \
             WHERE n.cycle_id = ? AND n.person = ? ORDER BY p.id",
        )
        .bind(id_bytes(cycle.as_uuid()))
        .bind(id_bytes(person.as_uuid()))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        rows.iter().map(versioned("packet")).collect()
    }

    async fn nominations_of(
        &self,
        cycle: CycleId,
        nominee: PersonId,
    ) -> Result<Vec<Versioned<Nomination>>> {
        let rows = sqlx::query(
            "SELECT id, version, body FROM nominations \
             WHERE json_extract(CASE WHEN json_valid(body) THEN body ELSE '{}' END, '$.cycle') = ? \
             AND json_extract(CASE WHEN json_valid(body) THEN body ELSE '{}' END, '$.nominee') = ? \
             ORDER BY id",
        )
        .bind(cycle.to_string())
        .bind(nominee.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        rows.iter().map(versioned("nomination")).collect()
    }

    async fn org_changes(&self, cycle: CycleId, after: u64, upto: u64) -> Result<Vec<OrgChange>> {
        let rows = sqlx::query("SELECT body FROM org_changes WHERE id > ? AND id <= ? ORDER BY id")
            .bind(change_key(cycle, after))
            .bind(change_key(cycle, upto))
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?;
        let bodies: Vec<String> = rows
            .iter()
            .map(|row| row.try_get("body").map_err(backend))
            .collect::<Result<_>>()?;
        org_changes_from(cycle, after, upto, bodies.iter().map(String::as_str))
    }

    async fn calibrations(&self, cycle: CycleId) -> Result<Vec<Versioned<CalibrationSession>>> {
        let rows = sqlx::query(
            "SELECT id, version, body FROM calibrations WHERE cycle_id = ? ORDER BY id",
        )
        .bind(id_bytes(cycle.as_uuid()))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        rows.iter().map(versioned("calibration session")).collect()
    }

    async fn events(
        &self,
        cycle: CycleId,
        after: Option<u64>,
        n: usize,
    ) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT seq, body FROM events WHERE cycle_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(id_bytes(cycle.as_uuid()))
        .bind(version_i64(after.unwrap_or(0))?)
        .bind(limit(n))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        rows.iter().map(stored_event).collect()
    }

    async fn store_events(&self, after: Option<u64>, n: usize) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT seq, body FROM events WHERE cycle_id IS NULL AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(version_i64(after.unwrap_or(0))?)
        .bind(limit(n))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        rows.iter().map(stored_event).collect()
    }

    async fn pending_outbox(&self, n: usize) -> Result<Vec<OutboxEntry>> {
        let rows =
            sqlx::query("SELECT seq, body FROM outbox WHERE delivered = 0 ORDER BY seq LIMIT ?")
                .bind(limit(n))
                .fetch_all(&self.reader)
                .await
                .map_err(backend)?;
        rows.iter().map(outbox_entry).collect()
    }

    async fn mark_delivered(&self, key: &str) -> Result<()> {
        sqlx::query("UPDATE outbox SET delivered = 1 WHERE key = ?")
            .bind(key)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn claim_pending(&self, claim: Claim, limit_n: usize) -> Result<Vec<OutboxEntry>> {
        // One statement: SQLite runs it under the write lock, so two claims never overlap.
        let rows = sqlx::query(
            "UPDATE outbox SET claimed_by = ?1, claimed_until = ?2 WHERE seq IN \
             (SELECT seq FROM outbox WHERE delivered = 0 \
              AND (claimed_until IS NULL OR claimed_until <= ?3) ORDER BY seq LIMIT ?4) \
             RETURNING seq, body",
        )
        .bind(claim.by.to_string())
        .bind(claim.until.timestamp_micros())
        .bind(claim.at.timestamp_micros())
        .bind(limit(limit_n))
        .fetch_all(&self.writer)
        .await
        .map_err(backend)?;
        let mut entries = rows.iter().map(outbox_entry).collect::<Result<Vec<_>>>()?;
        entries.sort_by_key(|e| e.seq);
        Ok(entries)
    }

    async fn claim_keys(&self, claim: Claim, keys: &[String]) -> Result<Vec<String>> {
        let mut claimed = Vec::new();
        for chunk in keys.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE delivered = 0 \
                 AND (claimed_until IS NULL OR claimed_until <= ?) AND key IN ({marks}) \
                 RETURNING key"
            );
            let mut query = sqlx::query(&sql)
                .bind(claim.by.to_string())
                .bind(claim.until.timestamp_micros())
                .bind(claim.at.timestamp_micros());
            for key in chunk {
                query = query.bind(key);
            }
            for row in query.fetch_all(&self.writer).await.map_err(backend)? {
                claimed.push(row.try_get::<String, _>("key").map_err(backend)?);
            }
        }
        Ok(claimed)
    }

    async fn release_claim(&self, claim: Claim, key: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL \
             WHERE key = ? AND claimed_by = ? AND claimed_until = ?",
        )
        .bind(key)
        .bind(claim.by.to_string())
        .bind(claim.until.timestamp_micros())
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

/// An outbox row (`seq`, `body`).
fn outbox_entry(row: &SqliteRow) -> Result<OutboxEntry> {
    let seq: i64 = row.try_get("seq").map_err(backend)?;
    let body: String = row.try_get("body").map_err(backend)?;
    Ok(OutboxEntry {
        seq: stored_version(format_args!("outbox entry {seq}"), seq)?,
        notification: from_json::<Notification>(format_args!("outbox entry {seq}"), &body)?,
    })
}

/// An event row (`seq`, `body`).
fn stored_event(row: &sqlx::sqlite::SqliteRow) -> Result<StoredEvent> {
    let seq: i64 = row.try_get("seq").map_err(backend)?;
    let body: String = row.try_get("body").map_err(backend)?;
    Ok(StoredEvent {
        seq: u64::try_from(seq).map_err(|_| {
            backend(std::io::Error::other(format!(
                "event seq {seq} is negative"
            )))
        })?,
        event: from_json::<Event>(format_args!("event {seq}"), &body)?,
    })
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use super::*;
    use crate::testkit::sample_records;

    /// A record's row as migrations 0001 to 0007 laid it out: ids as text, then the full JSON
    /// body.
    fn text_row(record: &Record) -> (&'static str, Vec<&'static str>, Vec<String>) {
        let text = |id: &Uuid| id.to_string();
        let (table, columns, mut values): (_, Vec<&str>, Vec<String>) = match record {
            Record::Cycle(c) => ("cycles", vec!["id"], vec![text(c.id().as_uuid())]),
            Record::Snapshot { cycle, .. } => {
                ("snapshots", vec!["cycle_id"], vec![text(cycle.as_uuid())])
            }
            Record::OrgHead(h) => ("org_heads", vec!["cycle_id"], vec![text(h.cycle.as_uuid())]),
            Record::OrgChange(c) => (
                "org_changes",
                vec!["id", "cycle_id"],
                vec![
                    format!("{}/{:020}", c.cycle, c.seq),
                    text(c.cycle.as_uuid()),
                ],
            ),
            Record::Packet(p) => (
                "packets",
                vec!["id", "cycle_id"],
                vec![text(p.id().as_uuid()), text(p.cycle().as_uuid())],
            ),
            Record::Review(r) => (
                "reviews",
                vec!["id", "cycle_id", "subject", "author"],
                vec![
                    text(r.id().as_uuid()),
                    text(r.cycle().as_uuid()),
                    text(r.subject().as_uuid()),
                    text(r.author().as_uuid()),
                ],
            ),
            Record::Nomination(n) => (
                "nominations",
                vec!["id", "packet_id"],
                vec![text(n.id().as_uuid()), text(n.packet().as_uuid())],
            ),
            Record::Calibration(c) => (
                "calibrations",
                vec!["id", "cycle_id"],
                vec![text(c.id().as_uuid()), text(c.cycle().as_uuid())],
            ),
            Record::Template(t) => ("templates", vec!["id"], vec![text(t.id.as_uuid())]),
            Record::Grants(_) => ("grants", vec!["id"], vec!["grants".to_owned()]),
            Record::Receipt(r) => ("receipts", vec!["id"], vec![text(r.id.as_uuid())]),
        };
        let body = match record {
            Record::Cycle(c) => serde_json::to_string(c),
            Record::Snapshot { snapshot, .. } => serde_json::to_string(snapshot),
            Record::OrgHead(h) => serde_json::to_string(h),
            Record::OrgChange(c) => serde_json::to_string(c),
            Record::Packet(p) => serde_json::to_string(p),
            Record::Review(r) => serde_json::to_string(r),
            Record::Nomination(n) => serde_json::to_string(n),
            Record::Calibration(c) => serde_json::to_string(c),
            Record::Template(t) => serde_json::to_string(t),
            Record::Grants(g) => serde_json::to_string(g),
            Record::Receipt(r) => serde_json::to_string(r),
        };
        values.push(body.unwrap_or_default());
        (table, columns, values)
    }

    /// A large commit (a launch) returns before SQLite copies it into the database file, with
    /// the writer's automatic checkpoint as it was; a task of its own does the copy, with no
    /// other commit to run it, and every record reads back.
    #[tokio::test]
    async fn a_large_commit_leaves_its_checkpoint_to_a_task() {
        let Ok(dir) = tempfile::tempdir() else {
            panic!("a temp dir");
        };
        let path = dir.path().join("large.db");
        let Ok(storage) = SqliteStorage::open(&path).await else {
            panic!("open");
        };
        let file = || std::fs::metadata(&path).map_or(0, |m| m.len());
        let cycle = CycleId::from(Uuid::new_v4());
        let packets: Vec<Packet> = (0..LARGE_COMMIT)
            .map(|_| {
                Packet::new(
                    PacketId::from(Uuid::new_v4()),
                    cycle,
                    PersonId::from(Uuid::new_v4()),
                    crate::PacketState::Writing,
                )
            })
            .collect();
        let writes = packets
            .iter()
            .map(|p| Write::Put {
                record: Record::from(p.clone()),
                expect: Expect::Absent,
            })
            .collect();
        // A limit the commit's log passes many times over, to be kept.
        let set = sqlx::query("PRAGMA wal_autocheckpoint = 100")
            .execute(&storage.writer)
            .await;
        assert!(set.is_ok(), "{set:?}");
        let before = file();
        let committed = storage
            .commit(Commit {
                writes,
                ..Commit::default()
            })
            .await;
        assert!(committed.is_ok(), "{committed:?}");
        // No await since the commit returned: the task has not run yet.
        assert_eq!(file(), before, "the commit copied nothing into the file");
        let limit: Result<i64, _> = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&storage.writer)
            .await;
        assert_eq!(limit.ok(), Some(100), "the writer's automatic checkpoint");
        let mut waited = 0;
        while file() < before + 1_000_000 && waited < 300 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            waited += 1;
        }
        assert!(file() >= before + 1_000_000, "the task copied the commit");
        for p in packets.iter().step_by(997) {
            let got = storage.get(RecordKey::Packet(p.id())).await;
            assert!(matches!(got, Ok(Some(_))), "{}", p.id());
        }
        storage.close().await;
    }

    /// Records, an event and the names of packets stored as migrations 0001 to 0007 laid them
    /// out (ids as text) read back, and list, as they were once 0008 has run.
    #[tokio::test]
    async fn ids_stored_as_text_read_back_after_migration_0008() {
        let Ok(storage) = SqliteStorage::open_in_memory().await else {
            panic!("open");
        };
        // A database as 0007 left it, holding every kind of record.
        let pool = storage.writer.clone();
        let Ok(mut conn) = pool.acquire().await else {
            panic!("a connection");
        };
        for table in [
            TABLE,
            "packet_names",
            "org_heads",
            "org_changes",
            "templates",
            "receipts",
        ]
        .into_iter()
        .chain(["cycles", "snapshots", "packets", "reviews", "nominations"])
        .chain(["calibrations", "grants", "events", "outbox", "sequence"])
        {
            let drop = format!("DROP TABLE {table}");
            assert!(conn.execute(drop.as_str()).await.is_ok(), "{table}");
        }
        assert!(migrate_in(&mut conn, &MIGRATIONS[..7]).await.is_ok());
        let mut records = sample_records();
        records.push(Record::Grants(Box::default()));
        let cycle = records
            .iter()
            .find_map(|r| match r {
                Record::Cycle(c) => Some(c.id()),
                _ => None,
            })
            .unwrap_or_else(|| CycleId::from(Uuid::nil()));
        for record in &records {
            let (table, columns, values) = text_row(record);
            let sql = format!(
                "INSERT INTO {table} ({}, version, body) VALUES ({}1, ?)",
                columns.join(", "),
                "?, ".repeat(columns.len())
            );
            let mut query = sqlx::query(&sql);
            for v in values {
                query = query.bind(v);
            }
            assert!(query.execute(&mut *conn).await.is_ok(), "{}", record.key());
        }
        let insert_event = sqlx::query("INSERT INTO events (seq, cycle_id, body) VALUES (1, ?, ?)")
            .bind(cycle.to_string())
            .bind(
                r#"{"at":"2026-01-01T00:00:00Z","by":"00000000-0000-0000-0000-000000000001","cycle":"CYCLE","kind":{"type":"cycle_created","name":"c"}}"#
                    .replace("CYCLE", &cycle.to_string()),
            );
        assert!(insert_event.execute(&mut *conn).await.is_ok());
        let names_before: i64 = sqlx::query_scalar("SELECT count(*) FROM packet_names")
            .fetch_one(&mut *conn)
            .await
            .unwrap_or_default();
        assert!(names_before > 0, "the packets name people");
        // 0008, then every record, listing and event reads back.
        assert!(migrate_in(&mut conn, MIGRATIONS).await.is_ok());
        drop(conn);
        for record in &records {
            let got = storage.get(record.key()).await.map(|v| v.map(|v| v.record));
            let got = got.map_err(|e| e.to_string());
            assert_eq!(
                got.as_ref().map(Option::as_ref),
                Ok(Some(record)),
                "{}",
                record.key()
            );
        }
        let packets: Vec<Packet> = records
            .iter()
            .filter_map(|r| match r {
                Record::Packet(p) => Some((**p).clone()),
                _ => None,
            })
            .collect();
        let listed = storage.packets(cycle, None, 100).await;
        assert_eq!(
            listed.map(|l| l.len()).ok(),
            Some(packets.len()),
            "packets of the cycle"
        );
        assert!(packets.iter().any(|p| p.manager().is_some()));
        for packet in &packets {
            if let Some(person) = packet.manager() {
                let naming = storage.packets_naming(cycle, person).await;
                assert!(
                    naming.is_ok_and(|l| l.iter().any(|p| p.record.id() == packet.id())),
                    "packet {} names {person}",
                    packet.id()
                );
            }
            let about = storage.reviews_about(cycle, packet.subject()).await;
            let expected = records
                .iter()
                .filter(|r| matches!(r, Record::Review(v) if v.subject() == packet.subject()))
                .count();
            assert_eq!(about.map(|l| l.len()).ok(), Some(expected));
        }
        for record in &records {
            if let Record::Nomination(n) = record {
                let on_packet = storage.nominations(n.packet()).await;
                assert!(on_packet.is_ok_and(|l| l.len() == 1));
            }
        }
        let sessions = storage.calibrations(cycle).await;
        assert!(sessions.is_ok_and(|l| l.len() == 1));
        let changes = records
            .iter()
            .filter(|r| matches!(r, Record::OrgChange(_)))
            .count();
        let upto = u64::try_from(changes).unwrap_or_default();
        let log = storage.org_changes(cycle, 0, upto).await;
        assert_eq!(log.map(|l| l.len()).ok(), Some(changes));
        let events = storage.events(cycle, None, 10).await;
        assert!(events.is_ok_and(|l| l.len() == 1));
    }
}
