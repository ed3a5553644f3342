//! The storage testkit against every backend in the crate.

use std::sync::Arc;

use appraise::memory::{IndexedMemoryStorage, MemoryStorage};
use appraise::plugin::Storage;
use appraise::testkit;

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

    /// Reliability finding: a stored packet whose counters were inconsistent (removed above
    /// submitted) panicked inside `decide` in debug builds and let a subject read a peer review
    /// below the threshold in release builds. A record changed behind the storage's back is
    /// now an error naming it, from every read: a get and a listing, a body that does not hold,
    /// does not parse, or is another record's.
    #[tokio::test]
    async fn a_corrupt_stored_record_is_an_error_naming_it() {
        use appraise::Error;
        use appraise::plugin::{Commit, Expect, Record, RecordKey, Write};
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
                    .bind(victim.id().to_string())
                    .bind(other.id().to_string())
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
