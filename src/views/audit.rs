//! The audit log as a reader may see it.

use std::collections::BTreeSet;

use crate::domain::event::{Event, EventKind};
use crate::domain::{Cycle, PersonId, Review, ReviewId};

/// The reviews about `reader` in `cycle` whose author the cycle hides from them: every
/// review of an anonymous kind (DOMAIN.md: events about the reader's own packet never link a
/// review of an anonymous kind to its author).
pub(crate) fn protected_reviews(
    cycle: &Cycle,
    reader: PersonId,
    reviews: &[Review],
) -> BTreeSet<ReviewId> {
    reviews
        .iter()
        .filter(|r| r.subject() == reader && cycle.settings().is_anonymous(r.kind()))
        .map(Review::id)
        .collect()
}

/// What the audit log keeps from one reader who is also a participant of the cycle.
#[derive(Debug, Default)]
pub(crate) struct Protected {
    /// The reviews about the reader whose author the cycle hides from them
    /// ([`protected_reviews`]).
    pub reviews: BTreeSet<ReviewId>,
    /// The reader, when their own results are not shared yet: events carrying their own
    /// ratings are then left out.
    pub unshared_subject: Option<PersonId>,
}

/// `event` as a reader with these protections may see it, or `false` when they may not see it
/// at all: nothing may link a protected review to its author, so events about one of those
/// reviews are left out (their actor is often the author), and a packet's creation lists its
/// other assignments only; a change of the reader's own calibrated rating (with the manager's
/// original rating) is left out until their results are shared.
pub(crate) fn redact(event: &mut Event, protected: &Protected) -> bool {
    if let (Some(reader), EventKind::CalibratedRatingChanged { subject, .. }) =
        (protected.unshared_subject, &event.kind)
        && *subject == reader
    {
        return false;
    }
    let protected = &protected.reviews;
    if protected.is_empty() {
        return true;
    }
    if event.kind.review().is_some_and(|r| protected.contains(&r)) {
        return false;
    }
    if let EventKind::PacketCreated { assigned, .. } = &mut event.kind {
        assigned.retain(|(review, _, _)| !protected.contains(review));
    }
    true
}
