//! The vocabulary of access decisions: the [`Action`]s one can ask about, the [`Rule`] that
//! decided, the [`Reason`] (relation) it rests on, the [`Decision`] and its [`Explanation`].
//!
//! These are plain data, so errors and events can carry them; the decision procedure that
//! produces them is `crate::access`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::roles::Permission;
use crate::domain::{CalibrationSessionId, CustomRoleId, Error, PersonId};

/// Everything an action can be asked about: reading a review (R-READ) and every R-WRITE line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Read a review (R-READ). Target: a review.
    ReadReview,
    /// Create a cycle (R-WRITE-1). Target: [`Target::Cycle`](crate::access::Target::Cycle)(crate::access::Target::Cycle), with no cycle in the context.
    CreateCycle,
    /// Delete a draft cycle (R-WRITE-1). Target: the cycle.
    DeleteCycle,
    /// Create or edit templates (R-WRITE-1). Target: [`Target::Cycle`](crate::access::Target::Cycle)(crate::access::Target::Cycle), no cycle needed.
    ManageTemplates,
    /// Edit a cycle's configuration (R-WRITE-2). Target: the cycle.
    EditCycle,
    /// Add or remove participants (R-WRITE-2). Target: the cycle.
    EditParticipants,
    /// Edit a packet's assignments, viewers and sharing users (R-WRITE-2). Target: a packet.
    EditAssignments,
    /// Launch the cycle (R-WRITE-2). Target: the cycle.
    Launch,
    /// Close the cycle (R-WRITE-2). Target: the cycle.
    Close,
    /// Lock the cycle (R-WRITE-3). Target: the cycle.
    Lock,
    /// Unlock the cycle (R-WRITE-3); the one write allowed while locked. Target: the cycle.
    Unlock,
    /// Reopen a submitted review (R-WRITE-3). Target: a review.
    ReopenReview,
    /// Create, open or close calibration sessions and choose their members (R-WRITE-4).
    /// Target: the cycle or a session.
    ManageCalibration,
    /// Send a reminder to a review's author (R-WRITE-5). Target: a review.
    SendReminder,
    /// Write and submit a review (R-WRITE-6). Target: a review.
    WriteReview,
    /// Nominate peers for the participant (R-WRITE-7). Target: a packet.
    Nominate,
    /// Approve or deny a nomination (R-WRITE-8). Target: a nomination.
    DecideNomination,
    /// Decline a nomination (R-WRITE-9). Target: a nomination.
    DeclineNomination,
    /// Remove peer/upward feedback (R-WRITE-10). Target: a review.
    RemoveFeedback,
    /// Change a calibrated rating (R-WRITE-11). Target: a packet.
    ChangeCalibratedRating,
    /// Approve or send back (R-WRITE-12). Target: a packet.
    Approve,
    /// Share results (R-WRITE-13). Target: a packet.
    Share,
    /// Unshare results (R-WRITE-13). Target: a packet.
    Unshare,
    /// Acknowledge results (R-WRITE-14). Target: a packet.
    Acknowledge,
    /// Record the final meeting (R-WRITE-14). Target: a packet.
    RecordMeeting,
    /// View progress (R-WRITE-15). Target: the cycle (whole cycle) or a packet (one person).
    ViewProgress,
    /// Grant or revoke review admin, collaborators, custom roles, global viewers (R-WRITE-16).
    /// Target: [`Target::Cycle`](crate::access::Target::Cycle)(crate::access::Target::Cycle), no cycle needed.
    ManageGrants,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 27] = [
        Self::ReadReview,
        Self::CreateCycle,
        Self::DeleteCycle,
        Self::ManageTemplates,
        Self::EditCycle,
        Self::EditParticipants,
        Self::EditAssignments,
        Self::Launch,
        Self::Close,
        Self::Lock,
        Self::Unlock,
        Self::ReopenReview,
        Self::ManageCalibration,
        Self::SendReminder,
        Self::WriteReview,
        Self::Nominate,
        Self::DecideNomination,
        Self::DeclineNomination,
        Self::RemoveFeedback,
        Self::ChangeCalibratedRating,
        Self::Approve,
        Self::Share,
        Self::Unshare,
        Self::Acknowledge,
        Self::RecordMeeting,
        Self::ViewProgress,
        Self::ManageGrants,
    ];

    /// The action in words, for explanations (`share results`).
    #[must_use]
    pub const fn verb(self) -> &'static str {
        match self {
            Self::ReadReview => "read this review",
            Self::CreateCycle => "create cycles",
            Self::DeleteCycle => "delete this cycle",
            Self::ManageTemplates => "manage templates",
            Self::EditCycle => "edit this cycle",
            Self::EditParticipants => "edit participants",
            Self::EditAssignments => "edit assignments",
            Self::Launch => "launch this cycle",
            Self::Close => "close this cycle",
            Self::Lock => "lock this cycle",
            Self::Unlock => "unlock this cycle",
            Self::ReopenReview => "reopen this review",
            Self::ManageCalibration => "manage calibration",
            Self::SendReminder => "send reminders",
            Self::WriteReview => "write this review",
            Self::Nominate => "nominate peers",
            Self::DecideNomination => "decide nominations",
            Self::DeclineNomination => "decline this nomination",
            Self::RemoveFeedback => "remove feedback",
            Self::ChangeCalibratedRating => "change calibrated ratings",
            Self::Approve => "approve",
            Self::Share => "share results",
            Self::Unshare => "unshare results",
            Self::Acknowledge => "acknowledge results",
            Self::RecordMeeting => "record the final meeting",
            Self::ViewProgress => "view progress",
            Self::ManageGrants => "manage grants",
        }
    }

    /// The R-WRITE line of a write action (`None` for reading a review).
    #[must_use]
    pub const fn write_rule(self) -> Option<u8> {
        Some(match self {
            Self::ReadReview => return None,
            Self::CreateCycle | Self::DeleteCycle | Self::ManageTemplates => 1,
            Self::EditCycle
            | Self::EditParticipants
            | Self::EditAssignments
            | Self::Launch
            | Self::Close => 2,
            Self::Lock | Self::Unlock | Self::ReopenReview => 3,
            Self::ManageCalibration => 4,
            Self::SendReminder => 5,
            Self::WriteReview => 6,
            Self::Nominate => 7,
            Self::DecideNomination => 8,
            Self::DeclineNomination => 9,
            Self::RemoveFeedback => 10,
            Self::ChangeCalibratedRating => 11,
            Self::Approve => 12,
            Self::Share | Self::Unshare => 13,
            Self::Acknowledge | Self::RecordMeeting => 14,
            Self::ViewProgress => 15,
            Self::ManageGrants => 16,
        })
    }

    /// Whether the action changes a cycle (and so is refused while it is locked).
    /// Reading, viewing progress and the cycle-independent actions are not.
    #[must_use]
    pub const fn changes_cycle(self) -> bool {
        !matches!(
            self,
            Self::ReadReview
                | Self::ViewProgress
                | Self::CreateCycle
                | Self::ManageTemplates
                | Self::ManageGrants
        )
    }

    /// Whether a closed cycle still accepts the action (DOMAIN.md: sharing, unsharing,
    /// acknowledging, the final meeting; reopening is [`Close`](Self::Close)'s holders' and
    /// unlocking stays possible so a locked closed cycle can be reopened).
    #[must_use]
    pub const fn allowed_when_closed(self) -> bool {
        !self.changes_cycle()
            || matches!(
                self,
                Self::Share
                    | Self::Unshare
                    | Self::Acknowledge
                    | Self::RecordMeeting
                    | Self::Close
                    | Self::Unlock
            )
    }

    /// Whether the action is refused on the actor's own packet, whatever role they hold.
    #[must_use]
    pub const fn excluded_on_own_packet(self) -> bool {
        matches!(
            self,
            Self::Approve
                | Self::ChangeCalibratedRating
                | Self::Share
                | Self::Unshare
                | Self::RemoveFeedback
                | Self::ReopenReview
                | Self::EditAssignments
                | Self::DecideNomination
        )
    }

    /// The custom-role permission that grants this action, if one can.
    #[must_use]
    pub const fn permission(self) -> Option<Permission> {
        Some(match self {
            Self::ReadReview => Permission::ViewAllReviews,
            Self::CreateCycle => Permission::CreateCycles,
            Self::DeleteCycle => Permission::DeleteCycles,
            Self::ManageTemplates => Permission::ManageTemplates,
            Self::EditCycle
            | Self::EditParticipants
            | Self::EditAssignments
            | Self::Launch
            | Self::Close => Permission::EditCycles,
            Self::Lock | Self::Unlock => Permission::LockCycles,
            Self::ReopenReview => Permission::ReopenReviews,
            Self::ManageCalibration => Permission::ManageCalibration,
            Self::SendReminder => Permission::SendReminders,
            Self::Nominate => Permission::NominatePeers,
            Self::DecideNomination => Permission::DecideNominations,
            Self::RemoveFeedback => Permission::RemoveFeedback,
            Self::ChangeCalibratedRating => Permission::ChangeCalibratedRatings,
            Self::Approve => Permission::ApproveResults,
            Self::Share => Permission::ShareResults,
            Self::Unshare => Permission::UnshareResults,
            Self::ViewProgress => Permission::ViewProgress,
            Self::WriteReview
            | Self::DeclineNomination
            | Self::Acknowledge
            | Self::RecordMeeting
            | Self::ManageGrants => return None,
        })
    }
}

/// Whether a refusal can lift while the actor's relations stay as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The actor holds no relation that allows it (or a setting rules it out): asking again
    /// will not help.
    Never,
    /// The relation is there but the moment is not: the review is not submitted or not shared
    /// yet, the threshold is not reached, the window is not open or is past due, gating holds
    /// the manager review, the cycle is locked, closed or not active, no approval step waits.
    NotNow,
}

/// The rule that decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// `R-READ-n`.
    Read(u8),
    /// `R-WRITE-n`.
    Write(u8),
    /// The cycle is locked: every write but unlock is refused.
    Locked,
    /// The cycle is closed: every write but sharing, unsharing, acknowledging, the final
    /// meeting, reopening and unlocking is refused.
    Closed,
    /// Nobody acts on their own packet this way.
    OwnPacket,
    /// The request's records do not belong together (or a needed one is missing).
    Context,
    /// The actor has left: a leaver reads nothing and does nothing.
    Left,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(n) => write!(f, "R-READ-{n}"),
            Self::Write(n) => write!(f, "R-WRITE-{n}"),
            Self::Locked => f.write_str("R-WRITE locked"),
            Self::Closed => f.write_str("R-WRITE closed"),
            Self::OwnPacket => f.write_str("R-WRITE own packet"),
            Self::Context => f.write_str("context"),
            Self::Left => f.write_str("left"),
        }
    }
}

/// The relation a decision rests on (allowed), or why nothing matched (denied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "reason")]
#[non_exhaustive]
pub enum Reason {
    /// The actor wrote the review.
    Author,
    /// The review is not submitted.
    NotSubmitted,
    /// The actor is the subject, and rule 3 lets them read it.
    Subject,
    /// The subject's packet is not shared yet.
    NotShared,
    /// The cycle does not share this feedback kind with the subject.
    KindNotShared,
    /// The feedback was removed from what the subject sees.
    Removed,
    /// Fewer non-removed submitted reviews of the kind than the anonymity threshold.
    BelowThreshold {
        /// How many there are.
        have: u16,
        /// How many are needed.
        need: u16,
    },
    /// The actor is an admin of the cycle.
    Admin,
    /// The actor collaborates on the cycle.
    Collaborator,
    /// A custom role of the actor grants it.
    CustomRole {
        /// The role.
        role: CustomRoleId,
    },
    /// The actor is the subject's manager reviewer.
    Manager,
    /// The actor was the manager reviewer and submitted the manager review before a change.
    FormerManager,
    /// The actor is one of the subject's additional managers.
    AdditionalManager,
    /// The actor is above the subject in the cycle's org snapshot.
    Chain,
    /// The actor is a cycle-specific viewer of the subject.
    CycleViewer,
    /// The actor is a global viewer of the subject.
    GlobalViewer,
    /// The actor is the subject's default additional manager with past-review visibility.
    PastReviewViewer,
    /// The actor is a sharing user of the subject.
    Sharer,
    /// The actor contributes to an open calibration session including the subject.
    Contributor {
        /// The session.
        session: CalibrationSessionId,
    },
    /// The actor approves (or approved) a step of the subject's approval chain.
    Approver {
        /// The step (0-based).
        step: u8,
    },
    /// The actor is the nominee.
    Nominee,
    /// The actor holds no role this rule names.
    NoRelation,
    /// The cycle is locked.
    Locked,
    /// The cycle is closed.
    Closed,
    /// The target is the actor's own packet.
    OwnPacket,
    /// The grant would go to the actor themselves (R-WRITE-16).
    SelfGrant,
    /// The actor has left.
    Left,
    /// A cycle setting turns the action off.
    SettingOff,
    /// The review's writing window has not opened yet.
    NotYetOpen,
    /// The review's writing window is past due and late submissions are off.
    PastDue,
    /// The manager review waits for gating (self review, and peers if set).
    Gated,
    /// The cycle is not active.
    CycleNotActive,
    /// The packet is withdrawn and read-only.
    Withdrawn,
    /// No approval step is pending on the packet.
    NoPendingStep,
    /// The context lacks a record the target needs, or its records do not belong together.
    BadContext,
}

impl Reason {
    /// Whether a refusal for this reason can lift without the actor's relations changing
    /// ([`Refusal::NotNow`]) or not ([`Refusal::Never`]).
    #[must_use]
    pub const fn refusal(self) -> Refusal {
        match self {
            Self::NotSubmitted
            | Self::NotShared
            | Self::BelowThreshold { .. }
            | Self::NotYetOpen
            | Self::PastDue
            | Self::Gated
            | Self::Locked
            | Self::Closed
            | Self::CycleNotActive
            | Self::NoPendingStep => Refusal::NotNow,
            _ => Refusal::Never,
        }
    }
}

/// The outcome of [`decide`](crate::access::decide): small, `Copy`, allocation-free.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Decision {
    allowed: bool,
    author_hidden: bool,
    rule: Rule,
    reason: Reason,
}

impl Decision {
    pub(crate) const fn allow(rule: Rule, reason: Reason) -> Self {
        Self {
            allowed: true,
            author_hidden: false,
            rule,
            reason,
        }
    }

    pub(crate) const fn deny(rule: Rule, reason: Reason) -> Self {
        Self {
            allowed: false,
            author_hidden: false,
            rule,
            reason,
        }
    }

    pub(crate) const fn hiding_author(mut self) -> Self {
        self.author_hidden = true;
        self
    }

    /// Whether the action is allowed.
    #[must_use]
    pub const fn is_allowed(&self) -> bool {
        self.allowed
    }

    /// Whether the review's author must be hidden from the actor (anonymous kinds, subject only).
    #[must_use]
    pub const fn author_hidden(&self) -> bool {
        self.author_hidden
    }

    /// The rule that decided.
    #[must_use]
    pub const fn rule(&self) -> Rule {
        self.rule
    }

    /// The relation (or the missing one).
    #[must_use]
    pub const fn reason(&self) -> Reason {
        self.reason
    }
}

/// A decision with the rule and relation spelled out, e.g. `R-READ-5 chain: dana → bo → ann`.
///
/// Built by [`explain`](crate::access::explain); carried by [`Error::Denied`]. It names the actor and the subject but
/// never a review's author (an explanation shown to a subject must not reveal an anonymous
/// author).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Explanation {
    decision: Decision,
    action: Action,
    actor: PersonId,
    subject: Option<PersonId>,
    path: Vec<PersonId>,
    text: String,
}

impl Explanation {
    /// An explanation of `decision`, in `text`.
    pub(crate) const fn new(
        decision: Decision,
        action: Action,
        actor: PersonId,
        subject: Option<PersonId>,
        path: Vec<PersonId>,
        text: String,
    ) -> Self {
        Self {
            decision,
            action,
            actor,
            subject,
            path,
            text,
        }
    }

    /// Names `person` by `name` in the text, where it showed their id for want of an org
    /// snapshot (before launch, and for store-wide commands).
    pub(crate) fn name_person(&mut self, person: PersonId, name: &str) {
        self.text = self
            .text
            .replace(&format!("`{person}`"), &display_name(name));
    }

    /// The people the text names by id: the actor, the subject and the manager path, where
    /// no name was known.
    pub(crate) fn unnamed(&self) -> Vec<PersonId> {
        let mut ids: Vec<PersonId> = std::iter::once(self.actor)
            .chain(self.subject)
            .chain(self.path.iter().copied())
            .filter(|id| self.text.contains(&format!("`{id}`")))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The decision explained.
    pub const fn decision(&self) -> Decision {
        self.decision
    }

    /// Whether the refusal can lift without the actor's relations changing
    /// ([`Reason::refusal`]).
    #[must_use]
    pub const fn refusal(&self) -> Refusal {
        self.decision.reason.refusal()
    }

    /// Whether the action is allowed.
    #[must_use]
    pub const fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }

    /// The rule that decided.
    #[must_use]
    pub const fn rule(&self) -> Rule {
        self.decision.rule()
    }

    /// The action asked about.
    #[must_use]
    pub const fn action(&self) -> Action {
        self.action
    }

    /// Who asked.
    #[must_use]
    pub const fn actor(&self) -> PersonId {
        self.actor
    }

    /// The participant the target is about, if any.
    #[must_use]
    pub const fn subject(&self) -> Option<PersonId> {
        self.subject
    }

    /// For `chain`: the managers from the actor down to the subject, both included.
    #[must_use]
    pub fn path(&self) -> &[PersonId] {
        &self.path
    }

    /// The explanation in words (what `Display` prints).
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// `Ok(())` when allowed, else [`Error::Denied`] carrying this explanation.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`] when the decision denies.
    pub fn into_result(self) -> Result<(), Error> {
        if self.is_allowed() {
            Ok(())
        } else {
            Err(Error::Denied(Box::new(self)))
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A name from the host's directory as an explanation shows it: control characters become
/// spaces, so an explanation stays one line of text.
pub(crate) fn display_name(name: &str) -> std::borrow::Cow<'_, str> {
    if name.chars().any(char::is_control) {
        name.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .into()
    } else {
        name.into()
    }
}
