use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Executor, Row};
use uuid::Uuid;

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

/// The crate's migrations, in order.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "init",
        sql: include_str!("../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        description: "org log",
        sql: include_str!("../../migrations/postgres/0002_org_log.sql"),
    },
    Migration {
        version: 3,
        description: "decimal scores",
        sql: include_str!("../../migrations/postgres/0003_decimal_scores.sql"),
    },
    Migration {
        version: 4,
        description: "review indexes",
        sql: include_str!("../../migrations/postgres/0004_review_indexes.sql"),
    },
];

/// The advisory lock taken while migrating, so that app servers starting together migrate
/// once: "appraise" in ASCII.
const MIGRATION_LOCK: i64 = 0x6170_7072_6169_7365;

/// Rows per statement when a commit creates many records (a launch).
const BATCH: usize = 5_000;

/// New records of one table from which a commit sends them by `COPY` rather than `INSERT`:
/// PostgreSQL writes copied rows to its log a page at a time rather than one by one, which
/// makes a launch about a third faster. `INSERT` takes one round trip where `COPY` takes two,
/// so a few records still go that way.
const COPY_FROM: usize = 100;

/// Storage in PostgreSQL, through sqlx: many app servers on one database, many tenants in it.
///
/// - **Tenants.** Every row carries its tenant, and a handle reads and writes one tenant's
///   rows only: open one per customer company with [`for_tenant`](Self::for_tenant) (cheap: it
///   shares the pool). Two tenants may use the same ids without meeting. Every table starts
///   with the `tenant` column, so it can be distributed by it (Citus).
/// - **Many app servers.** A commit is one transaction at PostgreSQL's default isolation (read
///   committed) whose every expectation is enforced by a lock held until it ends: a checked
///   record is read `FOR SHARE`, an update or delete matches its expected version, a created
///   record is inserted, and a record expected absent is held by inserting a placeholder row
///   (removed before the end) so that nobody creates it meanwhile. So commits from any number
///   of engines are serializable, and a lost race is [`Error::Conflict`], as is a deadlock
///   between two commits (PostgreSQL aborts one).
/// - **Order.** Events and outbox entries are numbered from a per-tenant counter that each
///   commit moves on last: its row lock orders the tenant's commits by their numbers.
/// - **Outbox.** Claims take entries `FOR UPDATE SKIP LOCKED`, so engines claiming at once
///   split the pending entries, and an entry whose claim ended is claimed again by any engine.
/// - **Migrations** are the crate's own, recorded in the table `appraise_migrations`; a host
///   keeps its own migrations in the same database. [`connect`](Self::connect) runs them;
///   a host that opens its own pool calls [`migrate`](Self::migrate) (or runs the SQL in
///   `migrations/postgres/` with its own tool) and then [`with_pool`](Self::with_pool).
#[derive(Debug, Clone)]
pub struct PostgresStorage {
    pool: PgPool,
    tenant: Arc<str>,
}

/// The crate's error for a backend failure. A serialization failure or a deadlock is
/// [`Error::Conflict`]: PostgreSQL rolled the commit back, and it can be retried.
fn backend(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        let id = match db.code().as_deref() {
            Some("40001") => Some("serialization failure"),
            Some("40P01") => Some("deadlock"),
            _ => None,
        };
        if let Some(id) = id {
            return Error::Conflict {
                what: "PostgreSQL transaction",
                id: id.to_owned(),
            };
        }
    }
    Error::Backend {
        source: Box::new(e),
    }
}

/// Moves the tenant's counter (`$1`) on by `$2` numbers, and returns the first of them.
const MOVE_COUNTER: &str = "INSERT INTO sequences (tenant, next) VALUES ($1, 1 + $2) \
     ON CONFLICT (tenant) DO UPDATE SET next = sequences.next + $2 \
     RETURNING next - $2 AS first";

/// The detail of a unique violation (`Key (...)=(...) already exists.`), which names the
/// used key.
fn used_key(e: &sqlx::Error) -> Option<String> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    if db.code().as_deref() != Some("23505") {
        return None;
    }
    let pg = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
    Some(pg.detail().unwrap_or_default().to_owned())
}

/// Rows in PostgreSQL's binary `COPY` format: a header, then for each row its number of
/// fields and each field as its length and bytes (network byte order), then a trailer.
struct CopyRows {
    bytes: Vec<u8>,
}

impl CopyRows {
    fn new() -> Self {
        let mut bytes = Vec::with_capacity(1 << 16);
        bytes.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        // No flags, no header extension.
        bytes.extend_from_slice(&0i32.to_be_bytes());
        bytes.extend_from_slice(&0i32.to_be_bytes());
        Self { bytes }
    }

    fn row(&mut self, fields: u16) {
        self.bytes.extend_from_slice(&fields.to_be_bytes());
    }

    fn field(&mut self, value: &[u8]) -> Result<()> {
        let len = i32::try_from(value.len())
            .map_err(|_| Error::invalid("record", "a stored field holds at most 2 GiB"))?;
        self.bytes.extend_from_slice(&len.to_be_bytes());
        self.bytes.extend_from_slice(value);
        Ok(())
    }

    fn text(&mut self, value: &str) -> Result<()> {
        self.field(value.as_bytes())
    }

    fn uuid(&mut self, value: &Uuid) {
        self.bytes.extend_from_slice(&16i32.to_be_bytes());
        self.bytes.extend_from_slice(value.as_bytes());
    }

    fn null(&mut self) {
        self.bytes.extend_from_slice(&(-1i32).to_be_bytes());
    }

    fn int8(&mut self, value: i64) {
        self.bytes.extend_from_slice(&8i32.to_be_bytes());
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    fn finish(mut self) -> Vec<u8> {
        self.bytes.extend_from_slice(&(-1i16).to_be_bytes());
        self.bytes
    }
}

/// A tenant name: 1 to 200 characters, none of them control characters.
fn tenant_name(tenant: &str) -> Result<Arc<str>> {
    if tenant.is_empty() || tenant.chars().count() > 200 {
        return Err(Error::invalid(
            "tenant",
            "must have 1 to 200 characters".to_owned(),
        ));
    }
    if tenant.chars().any(char::is_control) {
        return Err(Error::invalid(
            "tenant",
            "must not contain control characters".to_owned(),
        ));
    }
    Ok(Arc::from(tenant))
}

/// Where a record lives: its table, the key column, the key, and the table's listing columns
/// (all UUIDs) after the key.
struct Place {
    table: &'static str,
    key_column: &'static str,
    key: Uuid,
    listing: &'static [&'static str],
}

fn place(key: &RecordKey) -> Place {
    let (table, key_column, key, listing): (_, _, Uuid, &'static [&'static str]) = match key {
        RecordKey::Cycle(id) => ("cycles", "id", *id.as_uuid(), &[]),
        RecordKey::Snapshot(id) => ("snapshots", "cycle_id", *id.as_uuid(), &[]),
        RecordKey::OrgHead(id) => ("org_heads", "cycle_id", *id.as_uuid(), &[]),
        RecordKey::OrgChange { cycle, seq } => {
            ("org_changes", "id", change_id(*cycle, *seq), &["cycle_id"])
        }
        RecordKey::Packet(id) => ("packets", "id", *id.as_uuid(), &["cycle_id"]),
        RecordKey::Review(id) => (
            "reviews",
            "id",
            *id.as_uuid(),
            &["cycle_id", "subject", "author"],
        ),
        RecordKey::Nomination(id) => (
            "nominations",
            "id",
            *id.as_uuid(),
            &["packet_id", "cycle_id", "nominee"],
        ),
        RecordKey::Calibration(id) => ("calibrations", "id", *id.as_uuid(), &["cycle_id"]),
        RecordKey::Template(id) => ("templates", "id", *id.as_uuid(), &[]),
        RecordKey::Grants => ("grants", "id", Uuid::nil(), &[]),
        RecordKey::Receipt(id) => ("receipts", "id", *id.as_uuid(), &[]),
    };
    Place {
        table,
        key_column,
        key,
        listing,
    }
}

/// The key of an org change: a name-based UUID of its cycle and its number.
fn change_id(cycle: CycleId, seq: u64) -> Uuid {
    let mut bytes = [0u8; 24];
    let (c, n) = bytes.split_at_mut(16);
    c.copy_from_slice(cycle.as_uuid().as_bytes());
    n.copy_from_slice(&seq.to_be_bytes());
    Uuid::new_v5(&CHANGE_NAMESPACE, &bytes)
}

/// The namespace of [`change_id`].
const CHANGE_NAMESPACE: Uuid = Uuid::from_u128(0x5b8e_0f3a_c27d_4e19_a6f4_81d2_3c9b_7e05);

/// The values of a record's listing columns, in [`Place::listing`] order.
fn listing_of(record: &Record) -> Vec<Uuid> {
    match record {
        Record::Packet(p) => vec![*p.cycle().as_uuid()],
        Record::Review(r) => vec![
            *r.cycle().as_uuid(),
            *r.subject().as_uuid(),
            *r.author().as_uuid(),
        ],
        Record::Nomination(n) => vec![
            *n.packet().as_uuid(),
            *n.cycle().as_uuid(),
            *n.nominee().as_uuid(),
        ],
        Record::Calibration(c) => vec![*c.cycle().as_uuid()],
        Record::OrgChange(c) => vec![*c.cycle.as_uuid()],
        Record::Cycle(_)
        | Record::Snapshot { .. }
        | Record::OrgHead(_)
        | Record::Template(_)
        | Record::Grants(_)
        | Record::Receipt(_) => Vec::new(),
    }
}

/// The body of a record as stored.
fn body_of(record: &Record) -> Result<String> {
    match record {
        Record::Cycle(c) => to_json(c),
        Record::Snapshot { snapshot, .. } => to_json(snapshot),
        Record::OrgHead(h) => to_json(h),
        Record::OrgChange(c) => to_json(c),
        Record::Packet(p) => to_json(p),
        Record::Review(r) => stored::review_body(r),
        Record::Nomination(n) => to_json(n),
        Record::Calibration(c) => to_json(c),
        Record::Template(t) => to_json(t),
        Record::Grants(g) => to_json(g),
        Record::Receipt(r) => to_json(r),
    }
}

/// The columns [`review_row`] reads.
const REVIEW_COLUMNS: &str = "id, cycle_id, subject, author, version, body";

/// A review from its row's [`REVIEW_COLUMNS`].
fn review_row(row: &PgRow) -> Result<Versioned<Review>> {
    let uuid = |column: &str| -> Result<Uuid> { row.try_get(column).map_err(backend) };
    let columns = stored::ReviewColumns {
        id: uuid("id")?.into(),
        cycle: uuid("cycle_id")?.into(),
        subject: uuid("subject")?.into(),
        author: uuid("author")?.into(),
    };
    let record = format!("review `{}`", columns.id);
    let version: i64 = row.try_get("version").map_err(backend)?;
    let body: String = row.try_get("body").map_err(backend)?;
    Ok(Versioned {
        version: stored_version(&record, version)?,
        record: stored::review_from(columns, &body)?,
    })
}

/// A row of `key`, `version` and `body` (a listing of `what`s).
fn versioned<T: DeserializeOwned>(what: &'static str) -> impl Fn(&PgRow) -> Result<Versioned<T>> {
    move |row| {
        let id: Uuid = row.try_get("id").map_err(backend)?;
        let version: i64 = row.try_get("version").map_err(backend)?;
        let body: String = row.try_get("body").map_err(backend)?;
        let record = format!("{what} `{id}`");
        Ok(Versioned {
            version: stored_version(&record, version)?,
            record: from_json(&record, &body)?,
        })
    }
}

/// An outbox row (`seq`, `body`).
fn outbox_entry(row: &PgRow) -> Result<OutboxEntry> {
    let seq: i64 = row.try_get("seq").map_err(backend)?;
    let body: String = row.try_get("body").map_err(backend)?;
    let what = format_args!("outbox entry {seq}");
    Ok(OutboxEntry {
        seq: stored_version(what, seq)?,
        notification: from_json::<Notification>(what, &body)?,
    })
}

/// An event row (`seq`, `body`).
fn stored_event(row: &PgRow) -> Result<StoredEvent> {
    let seq: i64 = row.try_get("seq").map_err(backend)?;
    let body: String = row.try_get("body").map_err(backend)?;
    let what = format_args!("event {seq}");
    Ok(StoredEvent {
        seq: stored_version(what, seq)?,
        event: from_json::<Event>(what, &body)?,
    })
}

/// `count` as a sequence offset.
fn offset(count: usize) -> Result<i64> {
    i64::try_from(count).map_err(|_| Error::invalid("commit", "too many events".to_owned()))
}

/// The body of [`PostgresStorage::migrate`], inside its transaction.
async fn migrate_in(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (version bigint PRIMARY KEY, \
         description text NOT NULL, checksum text NOT NULL, \
         applied_at timestamptz NOT NULL DEFAULT now())"
    );
    conn.execute(create.as_str()).await.map_err(backend)?;
    let select = format!("SELECT version, checksum FROM {TABLE}");
    let applied: BTreeMap<i64, String> = sqlx::query_as(&select)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .into_iter()
        .collect();
    let insert =
        format!("INSERT INTO {TABLE} (version, description, checksum) VALUES ($1, $2, $3)");
    for m in plan(MIGRATIONS, &applied)? {
        conn.execute(m.sql).await.map_err(backend)?;
        sqlx::query(&insert)
            .bind(m.version)
            .bind(m.description)
            .bind(m.checksum())
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://user:password@host/database`), runs the
    /// crate's migrations, and opens it for `tenant`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a tenant name that is empty, longer than 200 characters or holds
    /// control characters; [`Error::Backend`] when the database cannot be reached or migrated.
    pub async fn connect(url: &str, tenant: &str) -> Result<Self> {
        let tenant = tenant_name(tenant)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await
            .map_err(backend)?;
        Self::migrate(&pool).await?;
        Ok(Self { pool, tenant })
    }

    /// Opens `tenant` on a pool the host made, without migrating: the host runs
    /// [`migrate`](Self::migrate) when it deploys (or the SQL in `migrations/postgres/` with
    /// its own tool).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a tenant name as [`connect`](Self::connect) refuses it.
    pub fn with_pool(pool: PgPool, tenant: &str) -> Result<Self> {
        Ok(Self {
            pool,
            tenant: tenant_name(tenant)?,
        })
    }

    /// The same database, for another tenant: shares the pool.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a tenant name as [`connect`](Self::connect) refuses it.
    pub fn for_tenant(&self, tenant: &str) -> Result<Self> {
        Self::with_pool(self.pool.clone(), tenant)
    }

    /// The tenant this handle reads and writes.
    #[must_use]
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The pool, for a host's own queries.
    #[must_use]
    pub const fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs the crate's migrations not yet applied, recording each in the table
    /// `appraise_migrations`, all in one transaction under an advisory lock: app servers that
    /// start together migrate once, and a failed migration leaves nothing half done.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when the database fails, when an applied migration differs from
    /// the crate's (its checksum changed), or when the database holds a migration this
    /// version of the crate does not know (it was migrated by a newer one).
    pub async fn migrate(pool: &PgPool) -> Result<()> {
        let mut tx = pool.begin().await.map_err(backend)?;
        migrate_in(&mut tx).await?;
        tx.commit().await.map_err(backend)
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Reviews of a cycle whose `column` (`subject` or `author`) is `person`, by id.
    async fn reviews_where(
        &self,
        column: &'static str,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Vec<Versioned<Review>>> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews \
             WHERE tenant = $1 AND cycle_id = $2 AND {column} = $3 ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(&*self.tenant)
            .bind(cycle.as_uuid())
            .bind(person.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(review_row).collect()
    }

    /// The rows (`id`, `version`, `body`) that `sql` selects by this tenant (`$1`), `cycle`
    /// (`$2`) and, when given, `person` (`$3`), each read as a `what`.
    async fn listed<T: DeserializeOwned>(
        &self,
        what: &'static str,
        sql: &str,
        cycle: CycleId,
        person: Option<PersonId>,
    ) -> Result<Vec<Versioned<T>>> {
        let mut query = sqlx::query(sql).bind(&*self.tenant).bind(cycle.as_uuid());
        if let Some(person) = person {
            query = query.bind(*person.as_uuid());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(versioned(what)).collect()
    }
}

/// A commit in the making, inside its transaction.
struct Apply<'c> {
    conn: &'c mut PgConnection,
    tenant: &'c str,
    /// Keys held by a placeholder row while the commit runs (expected absent, not written).
    placeholders: Vec<RecordKey>,
}

impl Apply<'_> {
    /// A `Check`: the record is at the expected version, locked against change until the
    /// commit ends; or absent, held absent by a placeholder row.
    async fn check(&mut self, key: RecordKey, expect: Expect) -> Result<()> {
        let p = place(&key);
        let held = match expect {
            Expect::Version(v) => sqlx::query(&format!(
                "SELECT 1 FROM {} WHERE tenant = $1 AND {} = $2 AND version = $3 FOR SHARE",
                p.table, p.key_column
            ))
            .bind(self.tenant)
            .bind(p.key)
            .bind(version_i64(v)?)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(backend)?
            .is_some(),
            Expect::Absent => {
                let columns: String = p.listing.iter().map(|c| format!(", {c}")).collect();
                let nils: String = p.listing.iter().map(|_| ", $3").collect();
                let done = sqlx::query(&format!(
                    "INSERT INTO {} (tenant, {}{columns}, version, body) \
                     VALUES ($1, $2{nils}, 0, '') ON CONFLICT DO NOTHING",
                    p.table, p.key_column
                ))
                .bind(self.tenant)
                .bind(p.key)
                .bind(Uuid::nil())
                .execute(&mut *self.conn)
                .await
                .map_err(backend)?;
                self.placeholders.push(key);
                done.rows_affected() == 1
            }
        };
        if held { Ok(()) } else { Err(key.conflict()) }
    }

    /// An update at the expected version.
    async fn update(&mut self, record: &Record, version: u64) -> Result<()> {
        let key = record.key();
        let p = place(&key);
        let listing = listing_of(record);
        let set: String = p
            .listing
            .iter()
            .enumerate()
            .map(|(i, c)| format!(", {c} = ${}", i + 6))
            .collect();
        let sql = format!(
            "UPDATE {} SET version = $1, body = $2{set} \
             WHERE tenant = $3 AND {} = $4 AND version = $5",
            p.table, p.key_column
        );
        let mut query = sqlx::query(&sql)
            .bind(version_i64(version.saturating_add(1))?)
            .bind(body_of(record)?)
            .bind(self.tenant)
            .bind(p.key)
            .bind(version_i64(version)?);
        for value in listing {
            query = query.bind(value);
        }
        let done = query.execute(&mut *self.conn).await.map_err(backend)?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(key.conflict())
        }
    }

    /// A delete at the expected version.
    async fn delete(&mut self, key: RecordKey, version: u64) -> Result<()> {
        let p = place(&key);
        let done = sqlx::query(&format!(
            "DELETE FROM {} WHERE tenant = $1 AND {} = $2 AND version = $3",
            p.table, p.key_column
        ))
        .bind(self.tenant)
        .bind(p.key)
        .bind(version_i64(version)?)
        .execute(&mut *self.conn)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(key.conflict())
        }
    }

    /// New records of one table, in one statement: a key already used is a conflict naming
    /// its record. Many go in by `COPY` (see [`COPY_FROM`]), a few by `INSERT`.
    async fn create(&mut self, records: &[&Record]) -> Result<()> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        let p = place(&first.key());
        if records.len() >= COPY_FROM {
            return self.copy(&p, records).await;
        }
        let mut keys = Vec::with_capacity(records.len());
        let mut listing: Vec<Vec<Uuid>> = vec![Vec::with_capacity(records.len()); p.listing.len()];
        let mut bodies = Vec::with_capacity(records.len());
        for record in records {
            keys.push(place(&record.key()).key);
            for (column, value) in listing.iter_mut().zip(listing_of(record)) {
                column.push(value);
            }
            bodies.push(body_of(record)?);
        }
        let columns: String = p.listing.iter().map(|c| format!(", {c}")).collect();
        let arrays: String = (0..p.listing.len())
            .map(|i| format!(", ${}::uuid[]", i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO {table} (tenant, {key}{columns}, version, body) \
             SELECT $1, {key}{columns}, 1, body FROM UNNEST($2::uuid[]{arrays}, ${b}::text[]) \
             AS u({key}{columns}, body) ON CONFLICT DO NOTHING RETURNING {key}",
            table = p.table,
            key = p.key_column,
            b = p.listing.len() + 3,
        );
        let mut query = sqlx::query_scalar::<_, Uuid>(&sql)
            .bind(self.tenant)
            .bind(&keys);
        for column in &listing {
            query = query.bind(column);
        }
        let created: BTreeSet<Uuid> = query
            .bind(bodies)
            .fetch_all(&mut *self.conn)
            .await
            .map_err(backend)?
            .into_iter()
            .collect();
        match records
            .iter()
            .find(|r| !created.contains(&place(&r.key()).key))
        {
            Some(used) => Err(used.key().conflict()),
            None => Ok(()),
        }
    }

    /// [`create`](Self::create) by `COPY`, in PostgreSQL's binary format. A key already used
    /// fails the copy (and the transaction); the conflict names the record the server names.
    async fn copy(&mut self, p: &Place, records: &[&Record]) -> Result<()> {
        let columns: String = p.listing.iter().map(|c| format!(", {c}")).collect();
        let sql = format!(
            "COPY {table} (tenant, {key}{columns}, version, body) FROM STDIN (FORMAT binary)",
            table = p.table,
            key = p.key_column,
        );
        // The tenant, the key, the listing columns, the version and the body.
        let fields = u16::try_from(p.listing.len().saturating_add(4))
            .map_err(|_| Error::invalid("record", "has too many columns to copy"))?;
        let mut rows = CopyRows::new();
        for record in records {
            rows.row(fields);
            rows.text(self.tenant)?;
            rows.uuid(&place(&record.key()).key);
            for value in listing_of(record) {
                rows.uuid(&value);
            }
            rows.int8(1);
            rows.text(&body_of(record)?)?;
        }
        match self.send(&sql, rows).await {
            Ok(()) => Ok(()),
            Err(e) => Err(match used_key(&e) {
                Some(detail) => records
                    .iter()
                    .find(|r| detail.contains(&place(&r.key()).key.to_string()))
                    .map_or_else(
                        // A detail in a form this does not read: still a used key, unnamed.
                        || Error::Conflict {
                            what: "PostgreSQL transaction",
                            id: "unique violation".to_owned(),
                        },
                        |used| used.key().conflict(),
                    ),
                None => backend(e),
            }),
        }
    }

    /// Sends `rows` to a `COPY ... FROM STDIN` statement.
    async fn send(&mut self, sql: &str, rows: CopyRows) -> std::result::Result<(), sqlx::Error> {
        let mut copy = self.conn.copy_in_raw(sql).await?;
        copy.send(rows.finish()).await?;
        copy.finish().await.map(|_| ())
    }

    /// Keeps `packet_names` in step with the packets this commit writes and deletes: of those
    /// it changed or deleted (`stale`), the names no longer there go, and the names of every
    /// packet it writes come in. A commit naming up to [`BATCH`] people does it in one
    /// statement; a commit of new packets only (a launch) that names many copies them.
    async fn packet_names(&mut self, written: &[&Packet], stale: &[Uuid]) -> Result<()> {
        let (mut cycles, mut people, mut packets) = (Vec::new(), Vec::new(), Vec::new());
        for p in written {
            for person in p.named() {
                cycles.push(*p.cycle().as_uuid());
                people.push(*person.as_uuid());
                packets.push(*p.id().as_uuid());
            }
        }
        if stale.is_empty() && people.is_empty() {
            return Ok(());
        }
        if stale.is_empty() && people.len() >= COPY_FROM {
            // Only new packets: none of their names is stored yet.
            let mut names: Vec<(Uuid, Uuid, Uuid)> = cycles
                .into_iter()
                .zip(people)
                .zip(packets)
                .map(|((c, person), packet)| (c, person, packet))
                .collect();
            names.sort_unstable();
            names.dedup();
            let mut rows = CopyRows::new();
            for (cycle, person, packet) in &names {
                rows.row(4);
                rows.text(self.tenant)?;
                rows.uuid(cycle);
                rows.uuid(person);
                rows.uuid(packet);
            }
            let sql = "COPY packet_names (tenant, cycle_id, person, packet_id) \
                       FROM STDIN (FORMAT binary)";
            return self.send(sql, rows).await.map_err(backend);
        }
        // The first statement also removes the stale names it does not bring in again; a
        // later one brings back any of those it removed.
        for start in (0..people.len().max(1)).step_by(BATCH) {
            let end = people.len().min(start.saturating_add(BATCH));
            let gone: &[Uuid] = if start == 0 { stale } else { &[] };
            sqlx::query(
                "WITH new AS (\
                 SELECT * FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[]) \
                 AS u(cycle_id, person, packet_id)), \
                 gone AS (DELETE FROM packet_names n \
                 WHERE n.tenant = $1 AND n.packet_id = ANY($5) AND NOT EXISTS (\
                 SELECT 1 FROM new WHERE new.cycle_id = n.cycle_id \
                 AND new.person = n.person AND new.packet_id = n.packet_id)) \
                 INSERT INTO packet_names (tenant, cycle_id, person, packet_id) \
                 SELECT $1, cycle_id, person, packet_id FROM new ON CONFLICT DO NOTHING",
            )
            .bind(self.tenant)
            .bind(&cycles[start..end])
            .bind(&people[start..end])
            .bind(&packets[start..end])
            .bind(gone)
            .execute(&mut *self.conn)
            .await
            .map_err(backend)?;
        }
        Ok(())
    }

    /// Appends the events and outbox entries, numbered from the tenant's counter, which is
    /// moved on first so that its lock orders this commit among the tenant's. Events come
    /// first, then the entries; each statement writes up to [`BATCH`] of them, so a small
    /// commit's counter, events and entries take one round trip.
    async fn append(&mut self, events: &[Event], outbox: &[Notification]) -> Result<()> {
        let count = offset(events.len().saturating_add(outbox.len()))?;
        if count == 0 {
            return Ok(());
        }
        // Many events (a launch) are copied, numbered from the counter moved first; the
        // statements below then number the outbox entries after them.
        let (events, copied) = if events.len() >= COPY_FROM {
            self.copy_events(count, events).await?;
            (&[][..], events.len())
        } else {
            (events, 0)
        };
        let total = events.len().saturating_add(outbox.len());
        for start in (0..total).step_by(BATCH) {
            let end = total.min(start.saturating_add(BATCH));
            let these_events = events
                .get(start.min(events.len())..end.min(events.len()))
                .unwrap_or_default();
            let these_entries = outbox
                .get(start.saturating_sub(events.len())..end.saturating_sub(events.len()))
                .unwrap_or_default();
            // The first statement moves the counter on by the whole commit; the others read
            // where it started.
            let first = if start == 0 && copied == 0 {
                MOVE_COUNTER
            } else {
                "SELECT next - $2 AS first FROM sequences WHERE tenant = $1"
            };
            let sql = format!(
                "WITH s AS ({first}), e AS (\
                 INSERT INTO events (tenant, seq, cycle_id, body) \
                 SELECT $1, s.first + $3 + u.i - 1, u.cycle_id, u.body \
                 FROM s, UNNEST($4::uuid[], $5::text[]) WITH ORDINALITY AS u(cycle_id, body, i)) \
                 INSERT INTO outbox (tenant, key, seq, body) \
                 SELECT $1, u.key, s.first + $3 + cardinality($5::text[]) + u.i - 1, u.body \
                 FROM s, UNNEST($6::text[], $7::text[]) WITH ORDINALITY AS u(key, body, i) \
                 ON CONFLICT DO NOTHING RETURNING key"
            );
            let cycles: Vec<Option<Uuid>> = these_events
                .iter()
                .map(|e| e.cycle.map(|c| *c.as_uuid()))
                .collect();
            let event_bodies = these_events
                .iter()
                .map(to_json)
                .collect::<Result<Vec<_>>>()?;
            let keys: Vec<&str> = these_entries.iter().map(|n| n.key.as_str()).collect();
            let entry_bodies = these_entries
                .iter()
                .map(to_json)
                .collect::<Result<Vec<_>>>()?;
            let added: BTreeSet<String> = sqlx::query_scalar(&sql)
                .bind(self.tenant)
                .bind(count)
                .bind(offset(start.saturating_add(copied))?)
                .bind(cycles)
                .bind(event_bodies)
                .bind(&keys)
                .bind(entry_bodies)
                .fetch_all(&mut *self.conn)
                .await
                .map_err(backend)?
                .into_iter()
                .collect();
            if let Some(used) = keys.iter().find(|k| !added.contains(**k)) {
                return Err(Error::invalid(
                    "commit",
                    format!("outbox key `{used}` is already used"),
                ));
            }
        }
        Ok(())
    }

    /// Moves the tenant's counter on by `count` and copies `events`, numbered from where it
    /// started.
    async fn copy_events(&mut self, count: i64, events: &[Event]) -> Result<()> {
        let first: i64 = sqlx::query_scalar(MOVE_COUNTER)
            .bind(self.tenant)
            .bind(count)
            .fetch_one(&mut *self.conn)
            .await
            .map_err(backend)?;
        let sql = "COPY events (tenant, seq, cycle_id, body) FROM STDIN (FORMAT binary)";
        // A statement per [`BATCH`] events, so that a launch's are never all encoded at once.
        for (n, batch) in events.chunks(BATCH).enumerate() {
            let mut rows = CopyRows::new();
            for (i, event) in batch.iter().enumerate() {
                let seq = offset(n.saturating_mul(BATCH).saturating_add(i))
                    .ok()
                    .and_then(|i| first.checked_add(i))
                    .ok_or_else(|| Error::invalid("commit", "too many events".to_owned()))?;
                rows.row(4);
                rows.text(self.tenant)?;
                rows.int8(seq);
                match event.cycle {
                    Some(cycle) => rows.uuid(cycle.as_uuid()),
                    None => rows.null(),
                }
                rows.text(&to_json(event)?)?;
            }
            self.send(sql, rows).await.map_err(backend)?;
        }
        Ok(())
    }

    /// Removes the placeholder rows (their keys stay absent: no one could create them
    /// meanwhile, and this commit did not).
    async fn release_placeholders(&mut self) -> Result<()> {
        for key in std::mem::take(&mut self.placeholders) {
            let p = place(&key);
            sqlx::query(&format!(
                "DELETE FROM {} WHERE tenant = $1 AND {} = $2 AND version = 0",
                p.table, p.key_column
            ))
            .bind(self.tenant)
            .bind(p.key)
            .execute(&mut *self.conn)
            .await
            .map_err(backend)?;
        }
        Ok(())
    }

    /// Everything a commit writes, in its transaction. Records are locked in key order (the
    /// same order in every commit), so two commits never wait for each other in a cycle: one
    /// of two commits that overlap waits for the other and then finds whether what it expects
    /// still holds. New records of one table that follow each other in that order go in one
    /// statement.
    async fn run(&mut self, commit: &Commit) -> Result<()> {
        let mut writes: Vec<&Write> = commit.writes.iter().collect();
        writes.sort_by_key(|w| w.key());
        let mut creates: Vec<&Record> = Vec::new();
        let mut written_packets: Vec<&Packet> = Vec::new();
        let mut stale_packets: Vec<Uuid> = Vec::new();
        for w in writes {
            let joins = |first: &&Record| {
                creates.len() < BATCH && place(&first.key()).table == place(&w.key()).table
            };
            let create = matches!(
                w,
                Write::Put {
                    expect: Expect::Absent,
                    ..
                }
            );
            if !(create && creates.first().is_none_or(joins)) {
                self.create(&creates).await?;
                creates.clear();
            }
            match w {
                Write::Check { key, expect } => self.check(*key, *expect).await?,
                Write::Put {
                    record,
                    expect: Expect::Absent,
                } => creates.push(record),
                Write::Put {
                    record,
                    expect: Expect::Version(v),
                } => self.update(record, *v).await?,
                Write::Delete { key, version } => {
                    self.delete(*key, *version).await?;
                    if let RecordKey::Packet(id) = key {
                        stale_packets.push(*id.as_uuid());
                    }
                }
            }
            if let Write::Put {
                record: Record::Packet(p),
                expect,
            } = w
            {
                written_packets.push(p);
                if let Expect::Version(_) = expect {
                    stale_packets.push(*p.id().as_uuid());
                }
            }
        }
        self.create(&creates).await?;
        self.packet_names(&written_packets, &stale_packets).await?;
        self.release_placeholders().await?;
        self.append(&commit.events, &commit.outbox).await
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn get(&self, key: RecordKey) -> Result<Option<Versioned<Record>>> {
        let p = place(&key);
        if let RecordKey::Review(_) = key {
            let row = sqlx::query(&format!(
                "SELECT {REVIEW_COLUMNS} FROM reviews WHERE tenant = $1 AND id = $2"
            ))
            .bind(&*self.tenant)
            .bind(p.key)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
            return row
                .map(|row| review_row(&row).map(stored::as_record))
                .transpose();
        }
        let row = sqlx::query(&format!(
            "SELECT version, body FROM {} WHERE tenant = $1 AND {} = $2",
            p.table, p.key_column
        ))
        .bind(&*self.tenant)
        .bind(p.key)
        .fetch_optional(&self.pool)
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

    async fn versions(&self, keys: &[RecordKey]) -> Result<Vec<Option<u64>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut by_table: BTreeMap<(&str, &str), Vec<Uuid>> = BTreeMap::new();
        for key in keys {
            let p = place(key);
            by_table
                .entry((p.table, p.key_column))
                .or_default()
                .push(p.key);
        }
        // One statement for every table: `$1` the tenant, then each table's ids.
        let selects: Vec<String> = by_table
            .keys()
            .enumerate()
            .map(|(i, (table, column))| {
                format!(
                    "SELECT {i}::int AS t, {column} AS id, version FROM {table} \
                     WHERE tenant = $1 AND {column} = ANY(${})",
                    i + 2
                )
            })
            .collect();
        let sql = selects.join(" UNION ALL ");
        let mut query = sqlx::query_as::<_, (i32, Uuid, i64)>(&sql).bind(&*self.tenant);
        let tables: Vec<&str> = by_table.keys().map(|(table, _)| *table).collect();
        for ids in by_table.into_values() {
            query = query.bind(ids);
        }
        let mut found: BTreeMap<(&str, Uuid), u64> = BTreeMap::new();
        for (t, id, version) in query.fetch_all(&self.pool).await.map_err(backend)? {
            let table = usize::try_from(t)
                .ok()
                .and_then(|t| tables.get(t))
                .copied()
                .unwrap_or_default();
            let v = stored_version(format_args!("{table} row `{id}`"), version)?;
            found.insert((table, id), v);
        }
        Ok(keys
            .iter()
            .map(|key| {
                let p = place(key);
                found.get(&(p.table, p.key)).copied()
            })
            .collect())
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        check_shape(&commit, &keys_of(&commit), |_| false)?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let mut apply = Apply {
            conn: &mut tx,
            tenant: &self.tenant,
            placeholders: Vec::new(),
        };
        // On an error the transaction is dropped, which rolls it back: nothing is written.
        apply.run(&commit).await?;
        tx.commit().await.map_err(backend)
    }

    async fn cycles(
        &self,
        after: Option<CycleId>,
        n: usize,
    ) -> Result<Vec<Versioned<crate::Cycle>>> {
        let rows = sqlx::query(
            "SELECT id, version, body FROM cycles \
             WHERE tenant = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3",
        )
        .bind(&*self.tenant)
        .bind(after.map(|c| *c.as_uuid()))
        .bind(limit(n))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(versioned("cycle")).collect()
    }

    async fn cycle_ids(&self, after: Option<CycleId>, n: usize) -> Result<Vec<CycleId>> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM cycles \
             WHERE tenant = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3",
        )
        .bind(&*self.tenant)
        .bind(after.map(|c| *c.as_uuid()))
        .bind(limit(n))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(ids.into_iter().map(CycleId::from_uuid).collect())
    }

    async fn packets(
        &self,
        cycle: CycleId,
        after: Option<PacketId>,
        n: usize,
    ) -> Result<Vec<Versioned<Packet>>> {
        let rows = sqlx::query(
            "SELECT id, version, body FROM packets WHERE tenant = $1 AND cycle_id = $2 \
             AND ($3::uuid IS NULL OR id > $3) ORDER BY id LIMIT $4",
        )
        .bind(&*self.tenant)
        .bind(cycle.as_uuid())
        .bind(after.map(|p| *p.as_uuid()))
        .bind(limit(n))
        .fetch_all(&self.pool)
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
        let mut reviews = Vec::new();
        for chunk in distinct(subjects).chunks(SUBJECTS_A_QUERY) {
            let ids: Vec<Uuid> = chunk.iter().map(|s| *s.as_uuid()).collect();
            // One index lookup per subject, whatever the table's statistics say: `OFFSET 0`
            // keeps the planner from merging the subquery into a join, which right after a
            // launch (before the table is analysed) it plans as a scan of the whole cycle.
            let sql = format!(
                "SELECT r.* FROM unnest($3::uuid[]) AS asked (subject), LATERAL ( \
                 SELECT {REVIEW_COLUMNS} FROM reviews \
                 WHERE tenant = $1 AND cycle_id = $2 AND subject = asked.subject OFFSET 0) r"
            );
            let rows = sqlx::query(&sql)
                .bind(&*self.tenant)
                .bind(cycle.as_uuid())
                .bind(&ids)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
            for row in &rows {
                reviews.push(review_row(row)?);
            }
        }
        reviews.sort_unstable_by_key(|r| r.record.id());
        let lists = reviews_by_subject(subjects, reviews, submitted_only);
        let mut packets = Vec::new();
        for chunk in first_packets(&lists).chunks(SUBJECTS_A_QUERY) {
            let ids: Vec<Uuid> = chunk.iter().map(|p| *p.as_uuid()).collect();
            let rows = sqlx::query(
                "SELECT id, version, body FROM packets WHERE tenant = $1 AND id = ANY($2)",
            )
            .bind(&*self.tenant)
            .bind(&ids)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
            for row in &rows {
                packets.push(versioned("packet")(row)?);
            }
        }
        with_packets(lists, packets)
    }

    async fn nominations(&self, packet: PacketId) -> Result<Vec<Versioned<Nomination>>> {
        let rows = sqlx::query(
            "SELECT id, version, body FROM nominations \
             WHERE tenant = $1 AND packet_id = $2 ORDER BY id",
        )
        .bind(&*self.tenant)
        .bind(packet.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(versioned("nomination")).collect()
    }

    async fn packets_naming(
        &self,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Vec<Versioned<Packet>>> {
        let sql = "SELECT p.id, p.version, p.body FROM packet_names n \
                   JOIN packets p ON p.tenant = n.tenant AND p.id = n.packet_id \
                   WHERE n.tenant = $1 AND n.cycle_id = $2 AND n.person = $3 ORDER BY p.id";
        self.listed("packet", sql, cycle, Some(person)).await
    }

    async fn nominations_of(
        &self,
        cycle: CycleId,
        nominee: PersonId,
    ) -> Result<Vec<Versioned<Nomination>>> {
        let sql = "SELECT id, version, body FROM nominations \
                   WHERE tenant = $1 AND cycle_id = $2 AND nominee = $3 ORDER BY id";
        self.listed("nomination", sql, cycle, Some(nominee)).await
    }

    async fn org_changes(&self, cycle: CycleId, after: u64, upto: u64) -> Result<Vec<OrgChange>> {
        let ids: Vec<Uuid> = (after.saturating_add(1)..=upto)
            .map(|seq| change_id(cycle, seq))
            .collect();
        let rows = sqlx::query("SELECT body FROM org_changes WHERE tenant = $1 AND id = ANY($2)")
            .bind(&*self.tenant)
            .bind(&ids)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let bodies: Vec<String> = rows
            .iter()
            .map(|row| row.try_get("body").map_err(backend))
            .collect::<Result<_>>()?;
        org_changes_from(cycle, after, upto, bodies.iter().map(String::as_str))
    }

    async fn calibrations(&self, cycle: CycleId) -> Result<Vec<Versioned<CalibrationSession>>> {
        let sql = "SELECT id, version, body FROM calibrations \
                   WHERE tenant = $1 AND cycle_id = $2 ORDER BY id";
        self.listed("calibration session", sql, cycle, None).await
    }

    async fn events(
        &self,
        cycle: CycleId,
        after: Option<u64>,
        n: usize,
    ) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT seq, body FROM events WHERE tenant = $1 AND cycle_id = $2 AND seq > $3 \
             ORDER BY seq LIMIT $4",
        )
        .bind(&*self.tenant)
        .bind(cycle.as_uuid())
        .bind(version_i64(after.unwrap_or(0))?)
        .bind(limit(n))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(stored_event).collect()
    }

    async fn store_events(&self, after: Option<u64>, n: usize) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT seq, body FROM events WHERE tenant = $1 AND cycle_id IS NULL AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(&*self.tenant)
        .bind(version_i64(after.unwrap_or(0))?)
        .bind(limit(n))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(stored_event).collect()
    }

    async fn pending_outbox(&self, n: usize) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query(
            "SELECT seq, body FROM outbox WHERE tenant = $1 AND NOT delivered \
             ORDER BY seq LIMIT $2",
        )
        .bind(&*self.tenant)
        .bind(limit(n))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(outbox_entry).collect()
    }

    async fn mark_delivered(&self, key: &str) -> Result<()> {
        sqlx::query("UPDATE outbox SET delivered = true WHERE tenant = $1 AND key = $2")
            .bind(&*self.tenant)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn claim_pending(&self, claim: Claim, n: usize) -> Result<Vec<OutboxEntry>> {
        // Rows another claim is taking are skipped, not waited for; a row claimed meanwhile
        // is checked again once locked, so two claims never take one entry. The pick is a
        // materialized CTE: as a subquery of the UPDATE, the planner may scan it again per
        // row, and each scan skips the rows the last one locked, so more than `n` rows would
        // be claimed.
        let rows = sqlx::query(
            "WITH picked AS MATERIALIZED ( \
                 SELECT key FROM outbox WHERE tenant = $1 AND NOT delivered \
                 AND (claimed_until IS NULL OR claimed_until <= $4) \
                 ORDER BY seq LIMIT $5 FOR UPDATE SKIP LOCKED) \
             UPDATE outbox o SET claimed_by = $2, claimed_until = $3 FROM picked \
             WHERE o.tenant = $1 AND o.key = picked.key RETURNING o.seq, o.body",
        )
        .bind(&*self.tenant)
        .bind(claim.by)
        .bind(claim.until.timestamp_micros())
        .bind(claim.at.timestamp_micros())
        .bind(limit(n))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut entries = rows.iter().map(outbox_entry).collect::<Result<Vec<_>>>()?;
        entries.sort_by_key(|e| e.seq);
        Ok(entries)
    }

    async fn claim_keys(&self, claim: Claim, keys: &[String]) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "UPDATE outbox SET claimed_by = $2, claimed_until = $3 \
             WHERE tenant = $1 AND key = ANY($5) AND NOT delivered \
             AND (claimed_until IS NULL OR claimed_until <= $4) RETURNING key",
        )
        .bind(&*self.tenant)
        .bind(claim.by)
        .bind(claim.until.timestamp_micros())
        .bind(claim.at.timestamp_micros())
        .bind(keys)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)
    }

    async fn release_claim(&self, claim: Claim, key: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL \
             WHERE tenant = $1 AND key = $2 AND claimed_by = $3 AND claimed_until = $4",
        )
        .bind(&*self.tenant)
        .bind(key)
        .bind(claim.by)
        .bind(claim.until.timestamp_micros())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}
