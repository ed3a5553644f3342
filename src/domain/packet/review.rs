//! Reviews: one author's review of one subject, of one kind, inside a cycle.
//!
//! # States
//!
//! `Assigned → Draft → Submitted`; admins and collaborators can reopen a submitted review (back
//! to `Draft`), and an unsubmitted review can be `Cancelled` (a manager change or a leaver):
//! then only its author reads it. Orthogonal to the state, a submitted peer or upward review can
//! be **removed**: the subject no longer sees it; everyone else who may read it still can.
//!
//! The review table ([`ReviewState::TRANSITIONS`]):
//!
//! | from | to | command |
//! |---|---|---|
//! | `assigned` | `draft` | save draft |
//! | `assigned` | `submitted` | submit |
//! | `draft` | `submitted` | submit |
//! | `submitted` | `draft` | reopen |
//! | `assigned` | `cancelled` | cancel |
//! | `draft` | `cancelled` | cancel |
//!
//! Every method takes the review's [`Packet`] as well: the packet keeps the per-kind counts the
//! anonymity threshold and gating read, and moves when the manager review is submitted or
//! reopened, so the two can never disagree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::answer::Answers;
use crate::domain::event::{Event, EventKind};
use crate::domain::packet::Packet;
use crate::domain::transition::{self, State, Transition};
use crate::domain::vocab::PacketState;
use crate::domain::vocab::{ReminderKind, ReviewState};
use crate::domain::{CycleId, Error, PacketId, PersonId, Result, ReviewId, ReviewKind};

impl State for ReviewState {
    const MACHINE: &'static str = "review";
    const TRANSITIONS: &'static [Transition<Self>] = &[
        Transition {
            from: Self::Assigned,
            to: Self::Draft,
            command: "save draft",
        },
        Transition {
            from: Self::Assigned,
            to: Self::Submitted,
            command: "submit",
        },
        Transition {
            from: Self::Draft,
            to: Self::Submitted,
            command: "submit",
        },
        Transition {
            from: Self::Submitted,
            to: Self::Draft,
            command: "reopen",
        },
        Transition {
            from: Self::Assigned,
            to: Self::Cancelled,
            command: "cancel",
        },
        Transition {
            from: Self::Draft,
            to: Self::Cancelled,
            command: "cancel",
        },
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A review.
///
/// Serialised (as storages keep it) without `removed` when false, `reminders` when none was
/// sent and `answers` when there are none; those read back as such when left out, so the full
/// form, which earlier versions wrote, reads too.
///
/// Reading a review checks that a self review is written by its subject and every other kind
/// by someone else, and that only peer and upward feedback is ever removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(remote = "Self")]
#[repr(C)]
pub struct Review {
    // What the permission check reads comes first, in one cache line (`repr(C)` keeps the
    // order): decisions over a large cycle read reviews at random.
    pub(crate) packet: PacketId,
    pub(crate) cycle: CycleId,
    pub(crate) author: PersonId,
    pub(crate) kind: ReviewKind,
    pub(crate) state: ReviewState,
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub(crate) removed: bool,
    /// Reminders already sent for this review (each kind once).
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub(crate) reminders: Reminders,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) id: ReviewId,
    pub(crate) subject: PersonId,
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub(crate) answers: Answers,
}

/// The reminders sent for a review: a set of [`ReminderKind`] in one byte (reviews are the most
/// numerous record). Serialised as a list of kinds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Reminders(u8);

impl Reminders {
    const fn bit(kind: ReminderKind) -> u8 {
        match kind {
            ReminderKind::BeforeDue => 1,
            ReminderKind::Overdue => 2,
        }
    }

    pub(crate) const fn contains(self, kind: ReminderKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    /// Adds `kind`; false when it was already there.
    pub(crate) const fn insert(&mut self, kind: ReminderKind) -> bool {
        let had = self.contains(kind);
        self.0 |= Self::bit(kind);
        !had
    }

    fn iter(self) -> impl Iterator<Item = ReminderKind> {
        ReminderKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Reminders {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Reminders".into()
    }

    fn inline_schema() -> bool {
        true
    }

    /// The kinds of reminder sent, as a sequence.
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Vec<ReminderKind>>::json_schema(generator)
    }
}

impl Serialize for Reminders {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Reminders {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let kinds = Vec::<ReminderKind>::deserialize(deserializer)?;
        let mut set = Self::default();
        for kind in kinds {
            set.insert(kind);
        }
        Ok(set)
    }
}

crate::domain::checked::checked_serde!(Review, Review::check);

impl Review {
    /// Whether the review holds what the commands keep true (see the type's docs).
    pub(crate) fn check(&self) -> Result<()> {
        let name = || format!("review `{}`", self.id);
        let own = self.kind == ReviewKind::SelfReview;
        if own != (self.author == self.subject) {
            return Err(Error::invalid(
                name(),
                if own {
                    "is a self review written by someone else"
                } else {
                    "is written by its own subject"
                },
            ));
        }
        if self.removed && !self.kind.is_feedback() {
            return Err(Error::invalid(
                name(),
                format!("is a removed {} review", self.kind),
            ));
        }
        Ok(())
    }

    /// The id.
    #[must_use]
    pub const fn id(&self) -> ReviewId {
        self.id
    }

    /// The cycle.
    #[must_use]
    pub const fn cycle(&self) -> CycleId {
        self.cycle
    }

    /// The packet of the subject.
    #[must_use]
    pub const fn packet(&self) -> PacketId {
        self.packet
    }

    /// Who the review is about.
    #[must_use]
    pub const fn subject(&self) -> PersonId {
        self.subject
    }

    /// Who writes it.
    #[must_use]
    pub const fn author(&self) -> PersonId {
        self.author
    }

    /// Its kind.
    #[must_use]
    pub const fn kind(&self) -> ReviewKind {
        self.kind
    }

    /// Its state.
    #[must_use]
    pub const fn state(&self) -> ReviewState {
        self.state
    }

    /// Whether its feedback was removed from what the subject sees.
    #[must_use]
    pub const fn is_removed(&self) -> bool {
        self.removed
    }

    /// Whether this reminder was already sent.
    #[must_use]
    pub fn reminded(&self, kind: ReminderKind) -> bool {
        self.reminders.contains(kind)
    }

    /// Marks a time-driven reminder sent: each kind at most once per review. The mark is stored
    /// with the review, in the same commit as the notification, so a reminder is never sent
    /// twice even when ticks race.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when already sent, or for a submitted or cancelled review.
    pub fn mark_reminded(&mut self, kind: ReminderKind, at: DateTime<Utc>) -> Result<Event> {
        if matches!(self.state, ReviewState::Submitted | ReviewState::Cancelled) {
            return Err(Error::invalid("reminder", "the review needs no reminder"));
        }
        if !self.reminders.insert(kind) {
            return Err(Error::invalid("reminder", "already sent"));
        }
        Ok(Event::new(
            at,
            None,
            Some(self.cycle),
            EventKind::ReminderSent {
                review: self.id,
                author: self.author,
                kind,
            },
        ))
    }

    /// Its answers (draft or submitted).
    #[must_use]
    pub const fn answers(&self) -> &Answers {
        &self.answers
    }

    /// When it last changed.
    #[must_use]
    pub const fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    fn ensure_packet(&self, packet: &Packet) -> Result<()> {
        if packet.id != self.packet {
            return Err(Error::invalid(
                "packet",
                format!("review `{}` belongs to packet `{}`", self.id, self.packet),
            ));
        }
        packet.ensure_live()
    }

    fn event(&self, by: PersonId, at: DateTime<Utc>, kind: EventKind) -> Event {
        Event::new(at, Some(by), Some(self.cycle), kind)
    }

    fn go(&mut self, to: ReviewState, command: &str, at: DateTime<Utc>) -> Result<()> {
        transition::check(self.state, to, command)?;
        self.state = to;
        self.updated_at = at;
        Ok(())
    }

    /// Saves a draft with these answers: `assigned → draft` (counted in the packet's tally), or
    /// stays `draft`. Validate the answers first ([`Answers::validate`] or
    /// [`Template::validate_answers`](crate::domain::Template::validate_answers)); the engine does.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] when submitted or cancelled; [`Error::Invalid`] when the
    /// packet is not this review's or is withdrawn.
    pub fn save_draft(
        &mut self,
        packet: &mut Packet,
        answers: Answers,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        self.ensure_packet(packet)?;
        if self.state != ReviewState::Draft {
            self.go(ReviewState::Draft, "save draft", at)?;
            packet.tally[self.kind.index()].draft =
                packet.tally[self.kind.index()].draft.saturating_add(1);
        }
        self.answers = answers;
        self.updated_at = at;
        Ok(self.event(by, at, EventKind::ReviewDraftSaved { review: self.id }))
    }

    /// Submits: `assigned | draft → submitted`, with final `answers` when given (else the
    /// draft's). Submitting the manager review also moves the packet
    /// `writing → manager_submitted`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] from the review's or (manager review) the packet's table.
    pub fn submit(
        &mut self,
        packet: &mut Packet,
        answers: Option<Answers>,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        self.ensure_packet(packet)?;
        transition::check(self.state, ReviewState::Submitted, "submit")?;
        let was_draft = self.state == ReviewState::Draft;
        let mut events = Vec::with_capacity(2);
        if self.kind == ReviewKind::Manager {
            events.push(packet.go(
                PacketState::ManagerSubmitted,
                "submit manager review",
                by,
                at,
            )?);
        }
        self.go(ReviewState::Submitted, "submit", at)?;
        if let Some(answers) = answers {
            self.answers = answers;
        }
        let tally = &mut packet.tally[self.kind.index()];
        tally.submitted = tally.submitted.saturating_add(1);
        if was_draft {
            tally.draft = tally.draft.saturating_sub(1);
        }
        if self.removed {
            tally.removed = tally.removed.saturating_add(1);
        }
        events.insert(
            0,
            self.event(
                by,
                at,
                EventKind::ReviewSubmitted {
                    review: self.id,
                    kind: self.kind,
                    subject: self.subject,
                },
            ),
        );
        Ok(events)
    }

    /// Reopens a submitted review: `submitted → draft` (audited). Reopening the manager review
    /// moves the packet `manager_submitted → writing`; once the packet is further along, the
    /// manager review is reopened by sending the packet back from approval instead.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] from the review's or the packet's table.
    pub fn reopen(
        &mut self,
        packet: &mut Packet,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        self.ensure_packet(packet)?;
        transition::check(self.state, ReviewState::Draft, "reopen")?;
        let mut events = Vec::with_capacity(2);
        events.push(self.event(by, at, EventKind::ReviewReopened { review: self.id }));
        if self.kind == ReviewKind::Manager {
            events.push(packet.go(PacketState::Writing, "reopen manager review", by, at)?);
        }
        self.reopen_unchecked(packet, at);
        Ok(events)
    }

    /// The state part of a reopen, once the packet side is settled.
    pub(crate) fn reopen_unchecked(&mut self, packet: &mut Packet, at: DateTime<Utc>) {
        self.state = ReviewState::Draft;
        self.updated_at = at;
        let tally = &mut packet.tally[self.kind.index()];
        tally.submitted = tally.submitted.saturating_sub(1);
        tally.draft = tally.draft.saturating_add(1);
        if self.removed {
            tally.removed = tally.removed.saturating_sub(1);
        }
    }

    /// Cancels an unsubmitted review: `assigned | draft → cancelled`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] when submitted or already cancelled.
    pub fn cancel(
        &mut self,
        packet: &mut Packet,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if packet.id != self.packet {
            return Err(Error::invalid(
                "packet",
                format!("review `{}` belongs to packet `{}`", self.id, self.packet),
            ));
        }
        let was_draft = self.state == ReviewState::Draft;
        self.go(ReviewState::Cancelled, "cancel", at)?;
        let tally = &mut packet.tally[self.kind.index()];
        tally.assigned = tally.assigned.saturating_sub(1);
        if was_draft {
            tally.draft = tally.draft.saturating_sub(1);
        }
        Ok(self.event(by, at, EventKind::ReviewCancelled { review: self.id }))
    }

    /// Removes a submitted peer or upward review's feedback from what the subject sees
    /// (audited). Everyone else who may read it still can.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for another kind, an unsubmitted review, or one already removed.
    pub fn remove_feedback(
        &mut self,
        packet: &mut Packet,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        self.ensure_packet(packet)?;
        if !self.kind.is_feedback() {
            return Err(Error::invalid(
                "review",
                format!(
                    "only peer and upward feedback can be removed, not {}",
                    self.kind
                ),
            ));
        }
        if self.state != ReviewState::Submitted {
            return Err(Error::invalid(
                "review",
                format!(
                    "feedback can be removed once submitted; it is {}",
                    self.state.name()
                ),
            ));
        }
        if self.removed {
            return Err(Error::invalid("review", "feedback is already removed"));
        }
        self.removed = true;
        self.updated_at = at;
        packet.tally[self.kind.index()].removed =
            packet.tally[self.kind.index()].removed.saturating_add(1);
        Ok(self.event(by, at, EventKind::FeedbackRemoved { review: self.id }))
    }
}

#[cfg(test)]
mod tests {
    use super::{ReminderKind, Reminders};

    #[test]
    fn reminders_are_a_set_serialised_as_a_list() {
        let mut set = Reminders::default();
        assert!(!set.contains(ReminderKind::Overdue));
        assert!(set.insert(ReminderKind::Overdue));
        assert!(
            !set.insert(ReminderKind::Overdue),
            "inserting twice reports it"
        );
        assert!(set.contains(ReminderKind::Overdue));
        assert!(!set.contains(ReminderKind::BeforeDue));
        let json = serde_json::to_string(&set).unwrap_or_default();
        assert_eq!(json, r#"["overdue"]"#);
        let back: Reminders =
            serde_json::from_str(r#"["before_due","overdue","overdue"]"#).unwrap_or_default();
        assert!(back.contains(ReminderKind::BeforeDue) && back.contains(ReminderKind::Overdue));
        assert_eq!(
            serde_json::to_string(&back).unwrap_or_default(),
            r#"["before_due","overdue"]"#
        );
    }
}
