//! Notifications: derived from events, written to the outbox in the same commit as the change,
//! and delivered through the [`Notifier`](crate::plugin::Notifier) after it.

use serde::{Deserialize, Serialize};

use crate::domain::event::Event;
use crate::domain::{CycleId, PersonId};

/// What a notification tells its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotificationKind {
    /// A participant submitted their self review (to their manager).
    SelfReviewSubmitted,
    /// A nomination waits for approval (to the participant's manager).
    NominationToApprove,
    /// A peer review was assigned (to the peer).
    PeerAssigned,
    /// Results were shared (to the participant).
    ResultsShared,
    /// A packet waits for this approver.
    ApprovalNeeded,
    /// An approver sent the results back (to the author of the manager review, who revises
    /// it).
    SentBack,
    /// A review is due soon (to its author).
    ReminderBeforeDue,
    /// A review is overdue (to its author).
    ReminderOverdue,
    /// The nomination deadline passed and the participant still has fewer peers than the
    /// cycle's minimum (to their manager and the cycle's admins).
    PeersBelowMinimum,
    /// The participant's manager reviewer left: the packet needs a new one (to the cycle's
    /// admins).
    ManagerReviewerNeeded,
}

/// One message to one person, with the idempotency key that makes redelivery harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Notification {
    /// Unique per notification; a retry carries the same key, so a notifier that has seen the
    /// key already must not notify again.
    pub key: String,
    /// Who is notified.
    pub recipient: PersonId,
    /// What about.
    pub kind: NotificationKind,
    /// The cycle, if any.
    pub cycle: Option<CycleId>,
    /// The participant concerned, if any.
    pub subject: Option<PersonId>,
    /// The event it came from.
    pub event: Event,
}
