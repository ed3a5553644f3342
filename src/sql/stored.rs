//! The stored body of a review, the most numerous record (several per participant): its id,
//! cycle, subject and author are the row's columns, which the listings index, so the body
//! leaves them out. A body written with them (by earlier versions) still reads: the columns
//! decide.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::answer::Answers;
use crate::domain::packet::review::Reminders;
use crate::plugin::{Record, Versioned};
use crate::{
    CycleId, Error, PacketId, PersonId, Result, Review, ReviewId, ReviewKind, ReviewState,
};

/// [`Review`]'s fields as the body holds them (`remote` makes the compiler check that every
/// field of `Review` is named here).
#[derive(Serialize, Deserialize)]
#[serde(remote = "Review")]
struct ReviewBody {
    packet: PacketId,
    #[serde(skip, default = "unset")]
    cycle: CycleId,
    #[serde(skip, default = "unset")]
    author: PersonId,
    kind: ReviewKind,
    state: ReviewState,
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    removed: bool,
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    reminders: Reminders,
    updated_at: DateTime<Utc>,
    #[serde(skip, default = "unset")]
    id: ReviewId,
    #[serde(skip, default = "unset")]
    subject: PersonId,
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    answers: Answers,
}

/// The placeholder of a field the columns fill in.
fn unset<T: From<Uuid>>() -> T {
    T::from(Uuid::nil())
}

/// Serialises a review through [`ReviewBody`].
struct AsBody<'a>(&'a Review);

impl Serialize for AsBody<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        ReviewBody::serialize(self.0, s)
    }
}

/// The body stored for `review`.
pub(super) fn review_body(review: &Review) -> Result<String> {
    super::to_json(&AsBody(review))
}

/// The columns of a review's row.
pub(super) struct ReviewColumns {
    pub id: ReviewId,
    pub cycle: CycleId,
    pub subject: PersonId,
    pub author: PersonId,
}

/// The review a row holds: its columns and its stored body, which must parse and, with the
/// columns, hold what every review holds.
pub(super) fn review_from(columns: ReviewColumns, body: &str) -> Result<Review> {
    let corrupt = |reason: String| Error::Corrupt {
        record: format!("review `{}`", columns.id),
        reason,
    };
    let mut de = serde_json::Deserializer::from_str(body);
    let mut review = ReviewBody::deserialize(&mut de)
        .and_then(|r| de.end().map(|()| r))
        .map_err(|e| corrupt(e.to_string()))?;
    review.id = columns.id;
    review.cycle = columns.cycle;
    review.subject = columns.subject;
    review.author = columns.author;
    review.check().map_err(|e| corrupt(e.to_string()))?;
    Ok(review)
}

/// A review read by its key, as the record `Storage::get` returns.
pub(super) fn as_record(review: Versioned<Review>) -> Versioned<Record> {
    Versioned {
        version: review.version,
        record: Record::Review(Box::new(review.record)),
    }
}
