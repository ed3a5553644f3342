//! Database storage on sqlx: [`SqliteStorage`] (feature `sqlite`) and [`PostgresStorage`]
//! (feature `postgres`). Both store each record as a JSON body beside its version and the
//! columns its listings need; a review's body leaves out what those columns hold (its id,
//! cycle, subject and author). The rest of their SQL is their own.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::id::IdMap;
use crate::plugin::{Record, RecordKey, Versioned};
use crate::{
    CycleId, Error, OrgChange, OrgSnapshot, Packet, PacketId, PersonId, Result, Review, ReviewState,
};

mod migrate;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
mod stored;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStorage;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStorage;

/// A record's body as stored.
fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Backend {
        source: Box::new(e),
    })
}

/// Parses a stored body; `record` names it when it does not parse or does not hold.
fn from_json<T: DeserializeOwned>(record: impl fmt::Display, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt {
        record: record.to_string(),
        reason: e.to_string(),
    })
}

/// A stored version or sequence number, which is never negative.
fn stored_version(record: impl fmt::Display, version: i64) -> Result<u64> {
    u64::try_from(version).map_err(|_| Error::Corrupt {
        record: record.to_string(),
        reason: format!("version {version} is negative"),
    })
}

/// A listing's limit as SQL takes it.
fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A version as SQL takes it.
fn version_i64(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::invalid("version", format!("`{v}` is out of range")))
}

/// The record stored under `key`: its body must parse, hold, and be the record of that key.
fn record_from(key: &RecordKey, body: &str) -> Result<Record> {
    let record = match key {
        RecordKey::Cycle(_) => Record::Cycle(from_json(key, body)?),
        RecordKey::Snapshot(cycle) => Record::Snapshot {
            cycle: *cycle,
            snapshot: from_json::<Box<OrgSnapshot>>(key, body)?,
        },
        RecordKey::OrgHead(_) => Record::OrgHead(from_json(key, body)?),
        RecordKey::OrgChange { .. } => Record::OrgChange(from_json(key, body)?),
        RecordKey::Packet(_) => Record::Packet(from_json(key, body)?),
        // A review's body leaves out what its row's columns hold: the backends read reviews
        // with `stored::review_from`.
        RecordKey::Review(_) => {
            return Err(Error::Corrupt {
                record: key.to_string(),
                reason: "a review is read with its row's columns".into(),
            });
        }
        RecordKey::Nomination(_) => Record::Nomination(from_json(key, body)?),
        RecordKey::Calibration(_) => Record::Calibration(from_json(key, body)?),
        RecordKey::Template(_) => Record::Template(from_json(key, body)?),
        RecordKey::Grants => Record::Grants(from_json(key, body)?),
        RecordKey::Receipt(_) => Record::Receipt(from_json(key, body)?),
    };
    if record.key() != *key {
        return Err(Error::Corrupt {
            record: key.to_string(),
            reason: format!("holds {}", record.key()),
        });
    }
    Ok(record)
}

/// How many subjects one query of `subjects` names: well within both databases' limits on a
/// statement's parameters.
const SUBJECTS_A_QUERY: usize = 500;

/// What one subject gets from `Storage::subjects`.
type Subject = (Versioned<Packet>, Vec<Versioned<Review>>);

/// The reviews about each of `asked`, from `reviews` (those about any of them, in id order),
/// in the order asked: only the submitted ones when `submitted_only`, and only the subjects
/// with such a review. The first step of `Storage::subjects`; [`with_packets`] the second.
fn reviews_by_subject(
    asked: &[PersonId],
    reviews: Vec<Versioned<Review>>,
    submitted_only: bool,
) -> Vec<Vec<Versioned<Review>>> {
    let mut about: IdMap<PersonId, Vec<Versioned<Review>>> = IdMap::default();
    for r in reviews {
        if !submitted_only || r.record.state() == ReviewState::Submitted {
            about.entry(r.record.subject()).or_default().push(r);
        }
    }
    // A subject asked twice gets their reviews twice, as the provided method gives them.
    let mut given: IdMap<PersonId, usize> = IdMap::default();
    let mut out: Vec<Vec<Versioned<Review>>> = Vec::new();
    for subject in asked {
        if let Some(reviews) = about.remove(subject) {
            given.insert(*subject, out.len());
            out.push(reviews);
        } else if let Some(reviews) = given.get(subject).and_then(|&at| out.get(at)) {
            out.push(reviews.clone());
        }
    }
    out
}

/// Each list of `reviews_by_subject` with the packet of its first review, from `packets`.
///
/// # Errors
///
/// [`Error::NotFound`] for a packet missing from `packets`.
fn with_packets(
    lists: Vec<Vec<Versioned<Review>>>,
    packets: Vec<Versioned<Packet>>,
) -> Result<Vec<Subject>> {
    let mut packets: IdMap<PacketId, Versioned<Packet>> =
        packets.into_iter().map(|p| (p.record.id(), p)).collect();
    // Each packet moves to its subject; a subject asked twice gets a copy the second time.
    let mut given: IdMap<PacketId, usize> = IdMap::default();
    let mut out: Vec<Subject> = Vec::with_capacity(lists.len());
    for reviews in lists {
        let Some(id) = reviews.first().map(|r| r.record.packet()) else {
            continue;
        };
        let packet = match packets.remove(&id) {
            Some(packet) => {
                given.insert(id, out.len());
                packet
            }
            None => match given.get(&id).and_then(|&at| out.get(at)) {
                Some((packet, _)) => packet.clone(),
                None => return Err(RecordKey::Packet(id).not_found()),
            },
        };
        out.push((packet, reviews));
    }
    Ok(out)
}

/// The subjects to read for `asked`, once each: a subject asked twice is read once.
fn distinct(asked: &[PersonId]) -> Vec<PersonId> {
    let mut ids = asked.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The packets of the first review of each list, once each.
fn first_packets(lists: &[Vec<Versioned<Review>>]) -> Vec<PacketId> {
    let mut ids: Vec<PacketId> = lists
        .iter()
        .filter_map(|reviews| Some(reviews.first()?.record.packet()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The org changes of `cycle` numbered `after + 1 ..= upto` from stored bodies (in any order):
/// each must parse and be a change of that cycle in that range; returned in order.
fn org_changes_from<'a>(
    cycle: CycleId,
    after: u64,
    upto: u64,
    bodies: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<OrgChange>> {
    let mut out = Vec::new();
    for body in bodies {
        let change: OrgChange = from_json(format_args!("org change of cycle `{cycle}`"), body)?;
        if change.cycle != cycle || change.seq <= after || change.seq > upto {
            return Err(Error::Corrupt {
                record: format!("org change of cycle `{cycle}`"),
                reason: format!("holds change {} of cycle `{}`", change.seq, change.cycle),
            });
        }
        out.push(change);
    }
    out.sort_by_key(|c| c.seq);
    Ok(out)
}
