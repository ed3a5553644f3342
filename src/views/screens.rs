//! What the screen queries return: a page of readable reviews, a person's inbox, a manager's
//! status board and a what-if preview. Every one is built through the read path: it carries
//! only what its reader may see (DOMAIN.md, "Everything derived from reviews obeys R-READ").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::{Explanation, Reason};
use crate::views::ReviewView;
use crate::{
    CalibrationSessionId, CycleId, NominationId, PacketId, PacketState, PersonId, ReviewId,
    ReviewKind, ReviewState,
};

/// Which reviews [`Engine::readable_reviews`](crate::Engine::readable_reviews) lists; the
/// default lists every review the reader may read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ReviewFilter {
    /// Only reviews about this participant.
    pub subject: Option<PersonId>,
    /// Only reviews of this kind.
    pub kind: Option<ReviewKind>,
    /// Only reviews in this state.
    pub state: Option<ReviewState>,
}

impl ReviewFilter {
    /// Whether a review passes the filter.
    pub(crate) fn passes(&self, subject: PersonId, kind: ReviewKind, state: ReviewState) -> bool {
        self.subject.is_none_or(|s| s == subject)
            && self.kind.is_none_or(|k| k == kind)
            && self.state.is_none_or(|s| s == state)
    }
}

/// Where a page of [`Engine::readable_reviews`](crate::Engine::readable_reviews) ended: pass it
/// back to read the next page. Opaque to hosts; it serialises, so it can travel to a client
/// and back.
///
/// A cursor holds while the cycle's org snapshot does not change; after a change (a manager
/// change, an added participant, a leaver) the next page is refused with
/// [`Error::Invalid`](crate::Error::Invalid) on `cursor`, and the reader starts again from the
/// first page, so no page ever skips or repeats a review because the org moved under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Cursor {
    /// The version of the org snapshot the pages are ordered by.
    pub(crate) org: u64,
    /// The subject and review the page ended on.
    pub(crate) subject: PersonId,
    pub(crate) review: ReviewId,
}

/// One page of [`Engine::readable_reviews`](crate::Engine::readable_reviews).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReviewPage {
    /// The reviews, in org order of their subjects (each manager before their team), then by
    /// review id; each as the reader may see it.
    pub reviews: Vec<ReviewView>,
    /// Where to go on from, when there may be more.
    pub next: Option<Cursor>,
}

/// A person as a screen shows them: id and display name (the id again when the cycle's org
/// snapshot does not know the name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Named {
    /// The person.
    pub id: PersonId,
    /// Their display name.
    pub name: String,
}

/// A person's to-do list across the active cycles
/// ([`Engine::inbox`](crate::Engine::inbox)), each item with what a screen needs to show it
/// and act on it, and nothing the person may not see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Inbox {
    /// Reviews to write, with whether they are writable now.
    pub to_write: Vec<ToWrite>,
    /// Nominations of peers for the person's reports, waiting for their approval.
    pub nominations_to_decide: Vec<NominationItem>,
    /// Nominations naming the person as a peer, which they may decline.
    pub nominations_received: Vec<NominationItem>,
    /// Packets waiting at an approval step that names the person.
    pub to_approve: Vec<PacketItem>,
    /// Results ready to share, for the manager reviewer and the sharing users.
    pub to_share: Vec<PacketItem>,
    /// The person's own shared results, waiting for their acknowledgement.
    pub to_acknowledge: Vec<PacketItem>,
    /// Shared results of the person's reports whose final meeting is not recorded yet.
    pub meetings_to_record: Vec<PacketItem>,
    /// Open calibration sessions the person contributes to.
    pub calibrations: Vec<CalibrationItem>,
    /// For admins and collaborators: packets whose manager reviewer has left.
    pub need_manager_reviewer: Vec<PacketItem>,
}

impl Inbox {
    /// Whether nothing waits for the person.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.to_write.is_empty()
            && self.nominations_to_decide.is_empty()
            && self.nominations_received.is_empty()
            && self.to_approve.is_empty()
            && self.to_share.is_empty()
            && self.to_acknowledge.is_empty()
            && self.meetings_to_record.is_empty()
            && self.calibrations.is_empty()
            && self.need_manager_reviewer.is_empty()
    }
}

/// A review the person writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ToWrite {
    /// The cycle and its name.
    pub cycle: CycleId,
    /// The cycle's name.
    pub cycle_name: String,
    /// The review.
    pub review: ReviewId,
    /// Its kind.
    pub kind: ReviewKind,
    /// Its state (`Assigned` or `Draft`).
    pub state: ReviewState,
    /// Whom it is about.
    pub subject: Named,
    /// When its window opens, if the cycle sets one for the kind.
    pub opens: Option<DateTime<Utc>>,
    /// When it is due, if the cycle sets a window for the kind.
    pub due: Option<DateTime<Utc>>,
    /// Whether it is past due.
    pub overdue: bool,
    /// Whether it may be written and submitted now (R-WRITE-6).
    pub writable: bool,
    /// Why not, when it may not: `Gated`, `NotYetOpen`, `PastDue`, `Locked` ...
    pub blocked_by: Option<Reason>,
}

/// A nomination waiting for someone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NominationItem {
    /// The cycle.
    pub cycle: CycleId,
    /// The cycle's name.
    pub cycle_name: String,
    /// The nomination.
    pub nomination: NominationId,
    /// The participant whose peer it would be.
    pub subject: Named,
    /// The person nominated.
    pub nominee: Named,
}

/// A packet waiting for someone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PacketItem {
    /// The cycle.
    pub cycle: CycleId,
    /// The cycle's name.
    pub cycle_name: String,
    /// The packet.
    pub packet: PacketId,
    /// Its participant.
    pub subject: Named,
    /// Its state.
    pub state: PacketState,
}

/// An open calibration session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CalibrationItem {
    /// The cycle.
    pub cycle: CycleId,
    /// The cycle's name.
    pub cycle_name: String,
    /// The session.
    pub session: CalibrationSessionId,
    /// Its name.
    pub name: String,
    /// How many participants it calibrates.
    pub participants: usize,
}

/// A manager's team status board ([`Engine::status_board`](crate::Engine::status_board)):
/// every person below them in the cycle's org snapshot with a packet the reader may view, in
/// org order, with every review about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StatusBoard {
    /// The cycle.
    pub cycle: CycleId,
    /// The manager whose team this is.
    pub manager: Named,
    /// One row per participant of the team.
    pub rows: Vec<StatusRow>,
}

/// One participant on a [`StatusBoard`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StatusRow {
    /// The participant.
    pub subject: Named,
    /// Whether they report to the manager directly.
    pub direct: bool,
    /// Their packet.
    pub packet: PacketId,
    /// Its state.
    pub state: PacketState,
    /// Whether the packet is withdrawn (a leaver, a removed participant).
    pub withdrawn: bool,
    /// Every review about them, by id.
    pub reviews: Vec<ReviewStatus>,
}

/// One review on a [`StatusRow`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReviewStatus {
    /// The review.
    pub review: ReviewId,
    /// Its kind.
    pub kind: ReviewKind,
    /// Who writes it; `None` on the reader's own row for every review they do not write
    /// (the writers of reviews about a reader are theirs to learn only through R-READ).
    pub writer: Option<Named>,
    /// Its state.
    pub state: ReviewState,
    /// When it is due, if the cycle sets a window for the kind.
    pub due: Option<DateTime<Utc>>,
    /// Whether it is still to write and past due.
    pub overdue: bool,
    /// Whether the reader may send its writer a reminder now (R-WRITE-5): never for a
    /// withdrawn packet's reviews.
    pub may_remind: bool,
}

/// What a [`Command`](crate::Command) would do to who may read what ([`Engine::preview`](crate::Engine::preview)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Preview {
    /// Every review whose reading changes, by reader and review id.
    pub changes: Vec<AccessChange>,
}

/// One reader's access to one review, before and after a previewed change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccessChange {
    /// Who reads.
    pub reader: PersonId,
    /// Their display name (the id again when the cycle's org snapshot does not know them).
    pub reader_name: String,
    /// The review.
    pub review: ReviewId,
    /// Its subject.
    pub subject: PersonId,
    /// The subject's display name.
    pub subject_name: String,
    /// Its kind.
    pub kind: ReviewKind,
    /// What changes.
    pub effect: Effect,
    /// Why, before the change.
    pub before: Explanation,
    /// Why, after it.
    pub after: Explanation,
}

/// How a previewed change moves one reader's access to one review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The reader could not read it and would.
    GainsRead,
    /// The reader could read it and would not.
    LosesRead,
    /// The reader would see the author they did not.
    GainsAuthor,
    /// The reader would no longer see the author.
    LosesAuthor,
}
