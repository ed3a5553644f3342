//! Database storage on sqlx. `SqliteStorage` (feature `sqlite`) is the first backend; the SQL
//! is kept to what PostgreSQL shares, so a later backend reuses the code path.

mod sqlite;

pub use sqlite::SqliteStorage;
