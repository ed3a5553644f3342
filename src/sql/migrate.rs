//! The crate's own migrations: which to run, recorded in the table `appraise_migrations` of
//! each database, never in sqlx's `_sqlx_migrations`, so a host's migrations live beside them.

use std::collections::BTreeMap;

use crate::{Error, Result};

/// The table that records applied migrations.
pub(super) const TABLE: &str = "appraise_migrations";

/// One migration: its number, what it does, its SQL.
pub(super) struct Migration {
    pub(super) version: i64,
    pub(super) description: &'static str,
    pub(super) sql: &'static str,
}

impl Migration {
    /// A fingerprint of the SQL (64-bit FNV-1a, in hex), to notice a migration changed after
    /// it was applied.
    pub(super) fn checksum(&self) -> String {
        let hash = self.sql.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("{hash:016x}")
    }
}

fn failure(message: String) -> Error {
    Error::Backend {
        source: Box::new(std::io::Error::other(message)),
    }
}

/// The migrations still to run, in order, given those applied (version and checksum).
///
/// # Errors
///
/// [`Error::Backend`] when an applied migration differs from the crate's, or when the database
/// holds one the crate does not know (it was migrated by a newer version).
pub(super) fn plan<'m>(
    migrations: &'m [Migration],
    applied: &BTreeMap<i64, String>,
) -> Result<Vec<&'m Migration>> {
    if let Some(unknown) = applied
        .keys()
        .find(|v| !migrations.iter().any(|m| m.version == **v))
    {
        return Err(failure(format!(
            "the database has migration {unknown}, which this version of appraise does not \
             know: it was migrated by a newer version"
        )));
    }
    let mut todo = Vec::new();
    for m in migrations {
        match applied.get(&m.version) {
            Some(stored) if *stored == m.checksum() => {}
            Some(_) => {
                return Err(failure(format!(
                    "migration {} ({}) differs from the one applied",
                    m.version, m.description
                )));
            }
            None => todo.push(m),
        }
    }
    Ok(todo)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &[Migration] = &[
        Migration {
            version: 1,
            description: "one",
            sql: "CREATE TABLE a (x int);",
        },
        Migration {
            version: 2,
            description: "two",
            sql: "CREATE TABLE b (x int);",
        },
    ];

    #[test]
    fn the_plan_runs_what_is_missing_and_refuses_what_changed_or_is_unknown() {
        let none = BTreeMap::new();
        let all: Vec<i64> = plan(TWO, &none)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(all, [1, 2]);
        let first = BTreeMap::from([(1, TWO[0].checksum())]);
        let rest: Vec<i64> = plan(TWO, &first)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(rest, [2]);
        let changed = BTreeMap::from([(1, TWO[1].checksum())]);
        assert!(plan(TWO, &changed).is_err());
        let newer = BTreeMap::from([(1, TWO[0].checksum()), (3, String::new())]);
        assert!(plan(TWO, &newer).is_err());
        assert_ne!(TWO[0].checksum(), TWO[1].checksum());
    }
}
