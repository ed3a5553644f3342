//! Domain events: what every accepted command records (the audit log).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::roles::GrantChange;
use crate::domain::vocab::NominationState;
use crate::domain::vocab::{AssignmentRole, PacketState};
use crate::domain::{
    CalibrationSessionId, CycleId, NominationId, PacketId, PersonId, ReviewId, ReviewKind,
};

/// One entry of the audit log: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Event {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it; `None` for the engine's own time-driven work.
    pub by: Option<PersonId>,
    /// The cycle it happened in, if any.
    pub cycle: Option<CycleId>,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// An event.
    #[must_use]
    pub const fn new(
        at: DateTime<Utc>,
        by: Option<PersonId>,
        cycle: Option<CycleId>,
        kind: EventKind,
    ) -> Self {
        Self {
            at,
            by,
            cycle,
            kind,
        }
    }
}

/// What happened. Serialized with a `type` tag in snake case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A draft cycle was created.
    CycleCreated {
        /// Its name.
        name: String,
    },
    /// The cycle's configuration was replaced.
    CycleEdited {
        /// Every field that changed, with its value before and after.
        changes: Vec<FieldChange>,
    },
    /// The explicit participant list was set.
    ParticipantsSet {
        /// Who joined the list.
        added: Vec<PersonId>,
        /// Who left it.
        removed: Vec<PersonId>,
        /// How many participants now.
        count: usize,
    },
    /// A draft cycle was deleted.
    CycleDeleted,
    /// The cycle was launched.
    CycleLaunched {
        /// How many packets it made.
        packets: usize,
    },
    /// The cycle was closed.
    CycleClosed,
    /// A closed cycle was reopened.
    CycleReopened,
    /// The cycle was locked.
    CycleLocked,
    /// The cycle was unlocked.
    CycleUnlocked,
    /// A collaborator was added to the cycle.
    CollaboratorAdded {
        /// Who.
        person: PersonId,
    },
    /// A collaborator was removed from the cycle.
    CollaboratorRemoved {
        /// Who.
        person: PersonId,
    },
    /// A packet was created for a participant, with the reviews assigned with it (one event
    /// per packet keeps a launch's audit log proportional to its participants).
    PacketCreated {
        /// The packet.
        packet: PacketId,
        /// The participant.
        subject: PersonId,
        /// The reviews assigned at creation: review, kind, author.
        #[serde(default)]
        assigned: Vec<(ReviewId, ReviewKind, PersonId)>,
    },
    /// A packet changed state.
    PacketMoved {
        /// The packet.
        packet: PacketId,
        /// The participant.
        subject: PersonId,
        /// State before.
        from: PacketState,
        /// State after.
        to: PacketState,
    },
    /// A packet was withdrawn.
    PacketWithdrawn {
        /// The packet.
        packet: PacketId,
        /// The participant.
        subject: PersonId,
    },
    /// A viewer or sharing user was added to a packet.
    RoleAdded {
        /// The packet.
        packet: PacketId,
        /// Which role.
        role: AssignmentRole,
        /// Who.
        person: PersonId,
    },
    /// A cycle-specific viewer or sharing user was removed.
    RoleRemoved {
        /// The packet.
        packet: PacketId,
        /// Which role.
        role: AssignmentRole,
        /// Who.
        person: PersonId,
    },
    /// A reviewer was removed from a packet; their review is cancelled in the same commit.
    ReviewerRemoved {
        /// Their review.
        review: ReviewId,
        /// Its kind.
        kind: ReviewKind,
        /// Who was removed.
        author: PersonId,
    },
    /// A packet's manager reviewer left: it needs a new one (reported to the admins).
    ManagerReviewerNeeded {
        /// The packet.
        packet: PacketId,
        /// The participant.
        subject: PersonId,
        /// The manager reviewer who left.
        left: PersonId,
    },
    /// A person hired after launch joined the cycle's org snapshot from the directory.
    JoinedOrg {
        /// Who.
        person: PersonId,
        /// Their manager, as the directory names them.
        manager: Option<PersonId>,
    },
    /// The manager reviewer changed mid-cycle.
    ManagerChanged {
        /// The packet.
        packet: PacketId,
        /// The participant.
        subject: PersonId,
        /// The manager reviewer before.
        from: Option<PersonId>,
        /// The manager reviewer after.
        to: Option<PersonId>,
    },
    /// Who writes the manager review changed, the org untouched.
    ManagerReviewerChanged {
        /// The packet.
        packet: PacketId,
        /// The participant.
        subject: PersonId,
        /// The manager reviewer before.
        from: Option<PersonId>,
        /// The manager reviewer after.
        to: Option<PersonId>,
    },
    /// The manager review was opened before gating would.
    GateOpened {
        /// The packet.
        packet: PacketId,
    },
    /// One approval step approved.
    ApprovalGiven {
        /// The packet.
        packet: PacketId,
        /// The step approved (0-based).
        step: usize,
        /// Whether that was the last step.
        done: bool,
    },
    /// The packet was sent back to the manager (`pending_approval → writing`).
    SentBack {
        /// The packet.
        packet: PacketId,
        /// The approver's comment.
        comment: String,
        /// The packet's state before.
        from: PacketState,
        /// The packet's state after.
        to: PacketState,
    },
    /// The participant acknowledged their results (`shared → acknowledged`).
    Acknowledged {
        /// The packet.
        packet: PacketId,
        /// Their comment.
        comment: Option<String>,
        /// The packet's state before.
        from: PacketState,
        /// The packet's state after.
        to: PacketState,
    },
    /// A review was assigned.
    ReviewAssigned {
        /// The review.
        review: ReviewId,
        /// Its kind.
        kind: ReviewKind,
        /// Its author.
        author: PersonId,
        /// Its subject.
        subject: PersonId,
    },
    /// A review draft was saved.
    ReviewDraftSaved {
        /// The review.
        review: ReviewId,
    },
    /// A review was submitted.
    ReviewSubmitted {
        /// The review.
        review: ReviewId,
        /// Its kind.
        kind: ReviewKind,
        /// Its subject.
        subject: PersonId,
    },
    /// A submitted review was reopened.
    ReviewReopened {
        /// The review.
        review: ReviewId,
    },
    /// A review was cancelled.
    ReviewCancelled {
        /// The review.
        review: ReviewId,
    },
    /// A review's feedback was removed from what the subject sees.
    FeedbackRemoved {
        /// The review.
        review: ReviewId,
    },
    /// A peer was nominated.
    NominationCreated {
        /// The nomination.
        nomination: NominationId,
        /// The participant.
        subject: PersonId,
        /// The nominee.
        nominee: PersonId,
    },
    /// A nomination was approved, denied or declined.
    NominationDecided {
        /// The nomination.
        nomination: NominationId,
        /// Its new state.
        state: NominationState,
        /// The reason given, if any.
        reason: Option<String>,
    },
    /// A calibration session was created.
    CalibrationCreated {
        /// The session.
        session: CalibrationSessionId,
    },
    /// A calibration session was opened or closed.
    CalibrationMoved {
        /// The session.
        session: CalibrationSessionId,
        /// Whether it is now open.
        open: bool,
    },
    /// A calibration session's members changed.
    CalibrationMembersChanged {
        /// The session.
        session: CalibrationSessionId,
        /// Participants who joined.
        participants_added: Vec<PersonId>,
        /// Participants who left the session.
        participants_removed: Vec<PersonId>,
        /// Contributors who joined.
        contributors_added: Vec<PersonId>,
        /// Contributors who left the session.
        contributors_removed: Vec<PersonId>,
    },
    /// A calibrated rating was set or changed.
    CalibratedRatingChanged {
        /// The packet.
        packet: PacketId,
        /// The participant.
        subject: PersonId,
        /// The manager's original (consolidated) rating at the time, if any.
        original: Option<crate::domain::vocab::Score>,
        /// The calibrated rating before, if any.
        from: Option<crate::domain::vocab::Score>,
        /// The new calibrated rating.
        to: crate::domain::vocab::Score,
    },
    /// The final meeting was recorded.
    MeetingRecorded {
        /// The packet.
        packet: PacketId,
        /// The participant.
        subject: PersonId,
    },
    /// A time-driven reminder was sent to a review's author.
    ReminderSent {
        /// The review.
        review: ReviewId,
        /// Its author.
        author: PersonId,
        /// Which reminder.
        kind: crate::domain::vocab::ReminderKind,
    },
    /// A manually sent reminder.
    ReminderRequested {
        /// The review.
        review: ReviewId,
        /// Its author.
        author: PersonId,
    },
    /// A participant was added after launch.
    ParticipantAdded {
        /// The packet made for them.
        packet: PacketId,
        /// The participant.
        subject: PersonId,
    },
    /// A person left the company: their packet is withdrawn and their open reviews cancelled.
    PersonLeft {
        /// Who.
        person: PersonId,
    },
    /// A template was created or changed.
    TemplateSaved {
        /// The template.
        template: crate::domain::TemplateId,
        /// Its name.
        name: String,
    },
    /// A grant was given or revoked.
    GrantChanged {
        /// What changed.
        change: GrantChange,
    },
}

/// One field of a record that an edit changed, with its value before and after as JSON text
/// (`settings.anonymity_threshold`: `2` → `3`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldChange {
    /// The field: a top-level name, or `settings.<name>` for a cycle setting.
    pub field: String,
    /// Its value before, as JSON.
    pub before: String,
    /// Its value after, as JSON.
    pub after: String,
}

impl EventKind {
    /// The review this event is about, if it is about one review.
    #[must_use]
    pub const fn review(&self) -> Option<ReviewId> {
        match self {
            Self::ReviewAssigned { review, .. }
            | Self::ReviewDraftSaved { review }
            | Self::ReviewSubmitted { review, .. }
            | Self::ReviewReopened { review }
            | Self::ReviewCancelled { review }
            | Self::ReviewerRemoved { review, .. }
            | Self::FeedbackRemoved { review }
            | Self::ReminderSent { review, .. }
            | Self::ReminderRequested { review, .. } => Some(*review),
            _ => None,
        }
    }
}
