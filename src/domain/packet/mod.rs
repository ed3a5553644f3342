//! Packets: a participant's record in a cycle, with their review assignments.
//!
//! # States
//!
//! `Nominating → Writing → ManagerSubmitted → (Calibrating) → (PendingApproval) → ReadyToShare →
//! Shared → Acknowledged`. The steps in parentheses exist only when the cycle turns calibration
//! or approval on. Each edge has one command (and, in the engine, one actor check and one event).
//!
//! The packet table ([`PacketState::TRANSITIONS`]):
//!
//! | from | to | command |
//! |---|---|---|
//! | `nominating` | `writing` | close nominations |
//! | `writing` | `manager_submitted` | submit manager review |
//! | `manager_submitted` | `writing` | reopen manager review |
//! | `manager_submitted` | `calibrating` | finish writing (calibration on) |
//! | `manager_submitted` | `pending_approval` | finish writing (approval on, calibration off) |
//! | `manager_submitted` | `ready_to_share` | finish writing (calibration and approval off) |
//! | `calibrating` | `pending_approval` | close calibration (approval on) |
//! | `calibrating` | `ready_to_share` | close calibration (approval off) |
//! | `pending_approval` | `ready_to_share` | approve (last step) |
//! | `pending_approval` | `writing` | send back |
//! | `ready_to_share` | `writing` | reopen manager review |
//! | `ready_to_share` | `shared` | share |
//! | `shared` | `ready_to_share` | unshare |
//! | `shared` | `acknowledged` | acknowledge |
//!
//! Orthogonal to the state, a packet can be **withdrawn** (its participant left or was removed
//! from the cycle): it is kept, read-only, and excluded from progress.
//!
//! # Approval chains
//!
//! Each step of the cycle's chain names its approver for this participant from the cycle's org
//! snapshot ([`resolve_step`]). A step that would name the subject (a department head reviewing
//! their own results), or that names nobody (no manager that many levels up), passes to the next
//! step; when it is the last step, to the admins.

pub(crate) mod nomination;
pub(crate) mod review;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::cycle::{ApprovalStep, CycleSettings};
use crate::domain::event::{Event, EventKind};
use crate::domain::id::IdSource;
use crate::domain::org::OrgSnapshot;
use crate::domain::review::Review;
use crate::domain::transition::{self, State, Transition};
use crate::domain::vocab::ReviewState;
use crate::domain::vocab::{Actor, AssignmentRole, PacketState};
use crate::domain::{CycleId, Error, PacketId, PersonId, Result, ReviewId, ReviewKind};

/// The most cycle-specific additional managers a packet can have (plus one default).
pub const MAX_CYCLE_ADDITIONAL_MANAGERS: usize = 5;

const fn t(from: PacketState, to: PacketState, command: &'static str) -> Transition<PacketState> {
    Transition { from, to, command }
}

impl State for PacketState {
    const MACHINE: &'static str = "packet";
    const TRANSITIONS: &'static [Transition<Self>] = {
        use PacketState::*;
        &[
            t(Nominating, Writing, "close nominations"),
            t(Writing, ManagerSubmitted, "submit manager review"),
            t(ManagerSubmitted, Writing, "reopen manager review"),
            t(
                ManagerSubmitted,
                Calibrating,
                "finish writing (calibration on)",
            ),
            t(
                ManagerSubmitted,
                PendingApproval,
                "finish writing (approval on, calibration off)",
            ),
            t(
                ManagerSubmitted,
                ReadyToShare,
                "finish writing (calibration and approval off)",
            ),
            t(
                Calibrating,
                PendingApproval,
                "close calibration (approval on)",
            ),
            t(
                Calibrating,
                ReadyToShare,
                "close calibration (approval off)",
            ),
            t(PendingApproval, ReadyToShare, "approve (last step)"),
            t(PendingApproval, Writing, "send back"),
            t(ReadyToShare, Writing, "reopen manager review"),
            t(ReadyToShare, Shared, "share"),
            t(Shared, ReadyToShare, "unshare"),
            t(Shared, Acknowledged, "acknowledge"),
        ]
    };

    fn name(self) -> &'static str {
        match self {
            Self::Nominating => "nominating",
            Self::Writing => "writing",
            Self::ManagerSubmitted => "manager_submitted",
            Self::Calibrating => "calibrating",
            Self::PendingApproval => "pending_approval",
            Self::ReadyToShare => "ready_to_share",
            Self::Shared => "shared",
            Self::Acknowledged => "acknowledged",
        }
    }
}

/// Per-kind counts of a packet's reviews, kept in step by the review transitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KindTally {
    /// Reviews of the kind that are not cancelled.
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub assigned: u32,
    /// Of those, submitted.
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub submitted: u32,
    /// Of the submitted, removed from what the subject sees.
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub removed: u32,
    /// Not submitted, but a draft is saved.
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub draft: u32,
}

impl KindTally {
    /// Assigned, with nothing saved yet.
    #[must_use]
    pub const fn not_started(&self) -> u32 {
        self.assigned
            .saturating_sub(self.submitted)
            .saturating_sub(self.draft)
    }

    /// Submitted and not removed: what the anonymity threshold counts.
    #[must_use]
    pub const fn visible(&self) -> u32 {
        self.submitted.saturating_sub(self.removed)
    }
}

/// Who approves one step of an approval chain, for one participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum StepApprover {
    /// This person.
    Person(PersonId),
    /// Any admin of the cycle.
    Admins,
    /// Nobody: the step passes to the next one.
    Skipped,
}

/// Resolves step `index` of `chain` for `subject` against the cycle's org snapshot.
///
/// A step naming the subject, nobody, or someone who has left passes to the next step, or to
/// the admins when it is the last one.
#[must_use]
pub fn resolve_step(
    snapshot: &OrgSnapshot,
    chain: &[ApprovalStep],
    index: usize,
    subject: PersonId,
) -> StepApprover {
    let Some(step) = chain.get(index) else {
        return StepApprover::Skipped;
    };
    let named = match *step {
        ApprovalStep::Admins => return StepApprover::Admins,
        ApprovalStep::ManagersManager => snapshot.nth_manager(subject, 2),
        ApprovalStep::NthLevelUp(n) => snapshot.nth_manager(subject, n),
        ApprovalStep::DepartmentHead => snapshot.department_head_of(subject),
    };
    match named {
        Some(p) if p != subject && !snapshot.has_left(p) => StepApprover::Person(p),
        _ if index + 1 == chain.len() => StepApprover::Admins,
        _ => StepApprover::Skipped,
    }
}

/// A short list of people, most often empty: one word in the packet, so that a packet's six
/// such lists do not push the fields the permission check reads out of its first cache lines.
/// An empty list holds no allocation. Serialised as a plain list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[expect(
    clippy::box_collection,
    reason = "one word in the packet, not three; the lists are rarely non-empty"
)]
pub(crate) struct PersonList(Option<Box<Vec<PersonId>>>);

/// The subject's index in the org snapshot a packet was made from: the permission check reads
/// the subject's place in the org from it without a lookup by id, once the snapshot's id at
/// that index is the subject's ([`OrgSnapshot::idx_hinted`](crate::domain::OrgSnapshot)). A packet
/// read back from storage, or checked against another snapshot, has no hint or a wrong one,
/// which only costs the lookup. It is not stored and plays no part in comparing packets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SubjectHint(pub(crate) u32);

impl Default for SubjectHint {
    fn default() -> Self {
        Self(u32::MAX)
    }
}

impl PartialEq for SubjectHint {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SubjectHint {}

impl PersonList {
    pub(crate) fn as_slice(&self) -> &[PersonId] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    pub(crate) fn push(&mut self, person: PersonId) {
        self.0.get_or_insert_default().push(person);
    }

    /// Removes `person`; whether they were on the list.
    pub(crate) fn remove(&mut self, person: PersonId) -> bool {
        let Some(list) = self.0.as_mut() else {
            return false;
        };
        let before = list.len();
        list.retain(|p| *p != person);
        let removed = list.len() != before;
        if list.is_empty() {
            self.0 = None;
        }
        removed
    }
}

impl std::ops::Deref for PersonList {
    type Target = [PersonId];

    fn deref(&self) -> &[PersonId] {
        self.as_slice()
    }
}

impl From<Vec<PersonId>> for PersonList {
    fn from(list: Vec<PersonId>) -> Self {
        Self((!list.is_empty()).then(|| Box::new(list)))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for PersonList {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PersonList".into()
    }

    fn inline_schema() -> bool {
        true
    }

    /// A list of people, serialised as a sequence.
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Vec<PersonId>>::json_schema(generator)
    }
}

impl Serialize for PersonList {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PersonList {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        Vec::deserialize(deserializer).map(Self::from)
    }
}

/// A participant's record in a cycle.
///
/// Serialised (as storages keep it) without the fields at their default: empty person lists
/// and goals, absent managers and dates, `false` flags, zero approval steps and zero counts.
/// Those fields read back as their default when left out, so the full form, which earlier
/// versions wrote, reads too.
///
/// Reading a packet checks what the commands keep true: at most
/// [`MAX_CYCLE_ADDITIONAL_MANAGERS`] additional managers, nobody twice on a list, the subject
/// never their own manager, additional manager, peer or upward reviewer, and per kind no more
/// reviews submitted than assigned, removed than submitted, or drafts than unsubmitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(remote = "Self")]
#[repr(C)]
pub struct Packet {
    // The fields the permission check reads come first, within 128 bytes (`repr(C)` keeps
    // this order): packets are read at random from a large cycle, so each line counts.
    pub(crate) id: PacketId,
    pub(crate) cycle: CycleId,
    pub(crate) subject: PersonId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) manager: Option<PersonId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_additional_manager: Option<PersonId>,
    pub(crate) state: PacketState,
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub(crate) withdrawn: bool,
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub(crate) gate_opened: bool,
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub(crate) approval_step: u8,
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub(crate) approval_passed: u8,
    /// Where the subject sits in the snapshot the packet was made from (see [`SubjectHint`]).
    #[serde(skip)]
    pub(crate) subject_at: SubjectHint,
    #[serde(default, skip_serializing_if = "<[PersonId]>::is_empty")]
    pub(crate) former_managers: PersonList,
    #[serde(default, skip_serializing_if = "<[PersonId]>::is_empty")]
    pub(crate) additional_managers: PersonList,
    #[serde(default, skip_serializing_if = "<[PersonId]>::is_empty")]
    pub(crate) viewers: PersonList,
    #[serde(default, skip_serializing_if = "<[PersonId]>::is_empty")]
    pub(crate) sharers: PersonList,
    #[serde(default, skip_serializing_if = "<[PersonId]>::is_empty")]
    pub(crate) upward_reviewers: PersonList,
    #[serde(default, skip_serializing_if = "<[PersonId]>::is_empty")]
    pub(crate) peers: PersonList,
    pub(crate) tally: [KindTally; 5],
    /// The participant's goals in the review period, frozen at launch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) goals: Vec<crate::domain::Goal>,
    /// The calibrated rating, once calibration sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) calibrated: Option<crate::domain::vocab::Score>,
    /// When the manager recorded the final meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) meeting_at: Option<DateTime<Utc>>,
    /// Nominations made on this packet. Each nomination changes the packet, so two made at
    /// once conflict and the duplicate and maximum checks hold under races. Last: the
    /// permission check never reads it.
    #[serde(default, skip_serializing_if = "crate::domain::packet::is_default")]
    pub(crate) nominations_made: u32,
}

crate::domain::checked::checked_serde!(Packet, Packet::check);

impl Packet {
    /// Whether the packet holds what the commands keep true (see the type's docs).
    fn check(&self) -> Result<()> {
        let name = || format!("packet `{}`", self.id);
        if self.additional_managers.len() > MAX_CYCLE_ADDITIONAL_MANAGERS {
            return Err(Error::invalid(
                name(),
                format!(
                    "has {} additional managers, more than {MAX_CYCLE_ADDITIONAL_MANAGERS}",
                    self.additional_managers.len()
                ),
            ));
        }
        let lists: [(&str, &[PersonId]); 6] = [
            ("former_managers", &self.former_managers),
            ("additional_managers", &self.additional_managers),
            ("viewers", &self.viewers),
            ("sharers", &self.sharers),
            ("upward_reviewers", &self.upward_reviewers),
            ("peers", &self.peers),
        ];
        for (list, people) in lists {
            if let Some((_, p)) = people
                .iter()
                .enumerate()
                .find(|(i, p)| people[..*i].contains(p))
            {
                return Err(Error::invalid(
                    name(),
                    format!("lists `{p}` twice in {list}"),
                ));
            }
        }
        let subject_roles = [
            ("manager", self.manager == Some(self.subject)),
            (
                "additional manager",
                self.additional_managers.contains(&self.subject),
            ),
            ("peer", self.peers.contains(&self.subject)),
            (
                "upward reviewer",
                self.upward_reviewers.contains(&self.subject),
            ),
        ];
        if let Some((role, _)) = subject_roles.iter().find(|(_, is)| *is) {
            return Err(Error::invalid(
                name(),
                format!("names its subject as their own {role}"),
            ));
        }
        for kind in ReviewKind::ALL {
            let t = self.tally[kind.index()];
            let unsubmitted = t.assigned.checked_sub(t.submitted);
            if unsubmitted.is_none_or(|u| t.draft > u) || t.removed > t.submitted {
                return Err(Error::invalid(
                    name(),
                    format!(
                        "counts {kind} reviews inconsistently: {} assigned, {} submitted, \
                         {} removed, {} drafts",
                        t.assigned, t.submitted, t.removed, t.draft
                    ),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn new(id: PacketId, cycle: CycleId, subject: PersonId, state: PacketState) -> Self {
        Self {
            id,
            cycle,
            subject,
            state,
            withdrawn: false,
            manager: None,
            former_managers: PersonList::default(),
            default_additional_manager: None,
            additional_managers: PersonList::default(),
            upward_reviewers: PersonList::default(),
            peers: PersonList::default(),
            viewers: PersonList::default(),
            sharers: PersonList::default(),
            gate_opened: false,
            approval_step: 0,
            approval_passed: 0,
            nominations_made: 0,
            subject_at: SubjectHint::default(),
            tally: [KindTally::default(); 5],
            goals: Vec::new(),
            calibrated: None,
            meeting_at: None,
        }
    }

    /// When the final meeting was recorded.
    #[must_use]
    pub const fn meeting_at(&self) -> Option<DateTime<Utc>> {
        self.meeting_at
    }

    /// Records the final meeting (results must be shared first).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] before results are shared or on a withdrawn packet.
    pub fn record_meeting(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        if self.withdrawn || !self.state.is_shared() {
            return Err(Error::invalid(
                "meeting",
                "results must be shared before the final meeting",
            ));
        }
        self.meeting_at = Some(at);
        Ok(self.event(
            Some(by),
            at,
            EventKind::MeetingRecorded {
                packet: self.id,
                subject: self.subject,
            },
        ))
    }

    /// The id.
    #[must_use]
    pub const fn id(&self) -> PacketId {
        self.id
    }

    /// The cycle.
    #[must_use]
    pub const fn cycle(&self) -> CycleId {
        self.cycle
    }

    /// The participant.
    #[must_use]
    pub const fn subject(&self) -> PersonId {
        self.subject
    }

    /// The state.
    #[must_use]
    pub const fn state(&self) -> PacketState {
        self.state
    }

    /// Whether the packet is withdrawn (leaver or removed participant).
    #[must_use]
    pub const fn is_withdrawn(&self) -> bool {
        self.withdrawn
    }

    /// The current manager reviewer.
    #[must_use]
    pub const fn manager(&self) -> Option<PersonId> {
        self.manager
    }

    /// Former manager reviewers who submitted their manager review before a manager change and
    /// so keep read access to this participant's reviews in this cycle.
    #[must_use]
    pub fn former_managers(&self) -> &[PersonId] {
        &self.former_managers
    }

    /// The default additional manager (from the org), if any.
    #[must_use]
    pub const fn default_additional_manager(&self) -> Option<PersonId> {
        self.default_additional_manager
    }

    /// The cycle-specific additional managers (at most five).
    #[must_use]
    pub fn additional_managers(&self) -> &[PersonId] {
        &self.additional_managers
    }

    /// The upward reviewers.
    #[must_use]
    pub fn upward_reviewers(&self) -> &[PersonId] {
        &self.upward_reviewers
    }

    /// The assigned peers.
    #[must_use]
    pub fn peers(&self) -> &[PersonId] {
        &self.peers
    }

    /// The cycle-specific review viewers.
    #[must_use]
    pub fn viewers(&self) -> &[PersonId] {
        &self.viewers
    }

    /// The sharing users.
    #[must_use]
    pub fn sharers(&self) -> &[PersonId] {
        &self.sharers
    }

    /// Whether an admin opened the manager review early for this participant.
    #[must_use]
    pub const fn gate_opened(&self) -> bool {
        self.gate_opened
    }

    /// Per-kind review counts.
    #[must_use]
    pub const fn tally(&self, kind: ReviewKind) -> KindTally {
        self.tally[kind.index()]
    }

    /// The approval step reached (meaningful while `pending_approval`), as stored. The step
    /// that waits is [`current_approval_step`](Self::current_approval_step).
    #[must_use]
    pub const fn approval_step(&self) -> usize {
        self.approval_step as usize
    }

    /// The approval step that waits, while `pending_approval`: the first from
    /// [`approval_step`](Self::approval_step) on that names an approver in `snapshot` as it is
    /// now. A step whose person has left since the packet reached it, or stopped being the
    /// one it names after a manager change, passes on as [`resolve_step`] says, so that the
    /// packet never waits for someone who cannot approve.
    #[must_use]
    pub fn current_approval_step(&self, chain: &[ApprovalStep], snapshot: &OrgSnapshot) -> usize {
        let from = usize::from(self.approval_step);
        (from..chain.len())
            .find(|&step| {
                resolve_step(snapshot, chain, step, self.subject) != StepApprover::Skipped
            })
            .unwrap_or(from)
    }

    /// How many approval steps were passed at most, ever (their approvers keep read access).
    #[must_use]
    pub const fn approval_steps_passed(&self) -> usize {
        self.approval_passed as usize
    }

    /// The participant's goals in the review period (frozen at launch).
    #[must_use]
    pub fn goals(&self) -> &[crate::domain::Goal] {
        &self.goals
    }

    /// The calibrated rating, if calibration set one: it overrides the consolidated rating in
    /// results, while the consolidated rating is kept.
    #[must_use]
    pub const fn calibrated(&self) -> Option<crate::domain::vocab::Score> {
        self.calibrated
    }

    /// Sets the calibrated rating; the one audit event keeps `original` (the manager's
    /// consolidated rating), the previous and the new value, who and when. Who may is
    /// R-WRITE-11's business; the packet must have its manager review submitted.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a rating off the scale, before the manager review is submitted,
    /// or on a withdrawn packet.
    pub fn set_calibrated(
        &mut self,
        rating: crate::domain::vocab::Score,
        original: Option<crate::domain::vocab::Score>,
        scale: &crate::domain::RatingScale,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        self.ensure_live()?;
        if !rating.within(scale) {
            return Err(Error::invalid(
                "calibrated rating",
                format!("{rating} is outside {}–{}", scale.min, scale.max),
            ));
        }
        if self.state.is_shared() {
            return Err(Error::invalid(
                "calibrated rating",
                "the results are shared: unshare them first",
            ));
        }
        if self.state < PacketState::ManagerSubmitted {
            return Err(Error::invalid(
                "calibrated rating",
                "the manager review is not submitted yet",
            ));
        }
        let from = self.calibrated.replace(rating);
        Ok(self.event(
            Some(by),
            at,
            EventKind::CalibratedRatingChanged {
                packet: self.id,
                subject: self.subject,
                original,
                from,
                to: rating,
            },
        ))
    }

    /// Whether `person` is one of the additional managers (default or cycle-specific).
    #[must_use]
    #[inline]
    pub fn is_additional_manager(&self, person: PersonId) -> bool {
        self.default_additional_manager == Some(person)
            || self.additional_managers.contains(&person)
    }

    /// The people this packet names in an assignment that reads or shares its reviews:
    /// manager reviewer, former managers, additional managers (the default one too), cycle
    /// viewers and sharing users; a person may come more than once. Writers of peer and upward
    /// reviews are not among them: they reach the packet through their reviews.
    pub fn named(&self) -> impl Iterator<Item = PersonId> + '_ {
        self.manager
            .into_iter()
            .chain(self.default_additional_manager)
            .chain(self.former_managers.iter().copied())
            .chain(self.additional_managers.iter().copied())
            .chain(self.viewers.iter().copied())
            .chain(self.sharers.iter().copied())
    }

    /// Whether [`named`](Self::named) includes `person`.
    #[must_use]
    pub fn names(&self, person: PersonId) -> bool {
        self.named().any(|p| p == person)
    }

    /// Whether the manager review is open for writing under the cycle's gating.
    #[must_use]
    pub fn manager_gate_open(&self, settings: &CycleSettings) -> bool {
        if self.gate_opened {
            return true;
        }
        let own = self.tally(ReviewKind::SelfReview);
        let peers = self.tally(ReviewKind::Peer);
        (!settings.gating.after_self || own.assigned == 0 || own.submitted >= own.assigned)
            && (!settings.gating.after_peers || peers.submitted >= peers.assigned)
    }

    fn event(&self, by: Option<PersonId>, at: DateTime<Utc>, kind: EventKind) -> Event {
        Event::new(at, by, Some(self.cycle), kind)
    }

    pub(crate) fn go(
        &mut self,
        to: PacketState,
        command: &str,
        by: impl Into<Actor>,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        self.ensure_live()?;
        let from = self.state;
        transition::check(from, to, command)?;
        self.state = to;
        Ok(self.event(
            by.into().person(),
            at,
            EventKind::PacketMoved {
                packet: self.id,
                subject: self.subject,
                from,
                to,
            },
        ))
    }

    /// Assigns a new review of `kind` to `author` and records the assignment on the packet.
    ///
    /// Manager reviews go to the manager reviewer and self reviews to the subject; additional
    /// manager, peer and upward reviews add the author to that list.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the author would review themselves as a peer, upward reviewer or
    /// manager, is already assigned that role (the default additional manager included), or a
    /// limit is reached (five cycle-specific additional managers); when the review kind is off
    /// in the cycle; or when the packet is withdrawn.
    pub fn assign(
        &mut self,
        kinds: &crate::domain::cycle::ReviewKinds,
        kind: ReviewKind,
        author: PersonId,
        ids: &mut dyn IdSource,
        by: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Result<(Review, Event)> {
        self.ensure_live()?;
        if !kinds.runs(kind) {
            return Err(Error::invalid(
                "kind",
                format!("the cycle does not run {kind} reviews"),
            ));
        }
        let is_self = author == self.subject;
        match kind {
            ReviewKind::SelfReview if !is_self => {
                return Err(Error::invalid(
                    "author",
                    "a self review is written by its subject",
                ));
            }
            ReviewKind::SelfReview if self.tally(kind).assigned > 0 => {
                return Err(Error::invalid(
                    "author",
                    "the self review is already assigned",
                ));
            }
            ReviewKind::SelfReview => {}
            _ if is_self => {
                return Err(Error::invalid(
                    "author",
                    format!("a person cannot write the {kind} review about themselves"),
                ));
            }
            ReviewKind::Manager => {
                if self.manager != Some(author) {
                    return Err(Error::invalid(
                        "author",
                        "the manager review goes to the manager reviewer; change the manager first",
                    ));
                }
                if self.tally(kind).assigned > 0 {
                    return Err(Error::invalid(
                        "author",
                        "the manager review is already assigned",
                    ));
                }
            }
            ReviewKind::AdditionalManager => {
                if self.default_additional_manager == Some(author) {
                    return Err(Error::invalid(
                        "author",
                        format!("`{author}` is already the default additional manager"),
                    ));
                }
                add_unique(
                    &mut self.additional_managers,
                    author,
                    "additional manager",
                    Some(MAX_CYCLE_ADDITIONAL_MANAGERS),
                )?;
            }
            ReviewKind::Peer => add_unique(&mut self.peers, author, "peer", None)?,
            ReviewKind::Upward => {
                add_unique(&mut self.upward_reviewers, author, "upward reviewer", None)?;
            }
        }
        Ok(self.new_review(kind, author, ids, by, at))
    }

    /// The review of the default additional manager, when the cycle runs additional manager
    /// reviews and the packet has one: what a launch assigns (the default is recorded on the
    /// packet, not in the cycle-specific list).
    pub(crate) fn assign_default_additional_manager(
        &mut self,
        kinds: &crate::domain::cycle::ReviewKinds,
        ids: &mut dyn IdSource,
        by: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Option<(Review, Event)> {
        let author = self
            .default_additional_manager
            .filter(|&a| a != self.subject && kinds.additional_manager)?;
        Some(self.new_review(ReviewKind::AdditionalManager, author, ids, by, at))
    }

    /// A new review of `kind` by `author`, counted in the tally, and its event.
    fn new_review(
        &mut self,
        kind: ReviewKind,
        author: PersonId,
        ids: &mut dyn IdSource,
        by: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> (Review, Event) {
        self.tally[kind.index()].assigned = self.tally[kind.index()].assigned.saturating_add(1);
        let review = Review {
            id: ReviewId::from_uuid(ids.next_uuid()),
            cycle: self.cycle,
            packet: self.id,
            subject: self.subject,
            author,
            kind,
            state: ReviewState::Assigned,
            removed: false,
            updated_at: at,
            answers: crate::domain::answer::Answers::default(),
            reminders: crate::domain::review::Reminders::default(),
        };
        let event = self.event(
            by,
            at,
            EventKind::ReviewAssigned {
                review: review.id,
                kind,
                author,
                subject: self.subject,
            },
        );
        (review, event)
    }

    /// Adds a cycle-specific viewer or sharing user (the roles that come with no review).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for the subject themselves, a duplicate, a review-carrying role
    /// (use [`assign`](Self::assign)), or a withdrawn packet.
    pub fn add_role(
        &mut self,
        role: AssignmentRole,
        person: PersonId,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        self.ensure_live()?;
        if person == self.subject {
            return Err(Error::invalid(
                "person",
                "a participant cannot hold a role on their own packet",
            ));
        }
        match role {
            AssignmentRole::Viewer => add_unique(&mut self.viewers, person, "viewer", None)?,
            AssignmentRole::Sharer => add_unique(&mut self.sharers, person, "sharing user", None)?,
            _ => {
                return Err(Error::invalid(
                    "role",
                    "reviewer roles come with a review: assign the review instead",
                ));
            }
        }
        Ok(self.event(
            Some(by),
            at,
            EventKind::RoleAdded {
                packet: self.id,
                role,
                person,
            },
        ))
    }

    /// `Ok` unless the packet is withdrawn (kept, read-only).
    pub(crate) fn ensure_live(&self) -> Result<()> {
        if self.withdrawn {
            return Err(Error::invalid(
                "packet",
                format!("packet `{}` is withdrawn and read-only", self.id),
            ));
        }
        Ok(())
    }

    /// Counts a nomination made on this packet (see `nominations_made`): the engine writes the
    /// packet with every nomination, so nominations made at once conflict.
    pub(crate) fn note_nomination(&mut self) {
        self.nominations_made = self.nominations_made.saturating_add(1);
    }

    /// Removes a cycle-specific viewer or sharing user.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a review-carrying role (use
    /// [`remove_reviewer`](Self::remove_reviewer)), someone who does not hold the role, or a
    /// withdrawn packet.
    pub fn remove_role(
        &mut self,
        role: AssignmentRole,
        person: PersonId,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        self.ensure_live()?;
        let (list, name) = match role {
            AssignmentRole::Viewer => (&mut self.viewers, "viewer"),
            AssignmentRole::Sharer => (&mut self.sharers, "sharing user"),
            _ => {
                return Err(Error::invalid(
                    "role",
                    "reviewer roles come with a review: remove the reviewer instead",
                ));
            }
        };
        if !list.remove(person) {
            return Err(Error::invalid(
                "person",
                format!("`{person}` is not a {name} of this participant"),
            ));
        }
        Ok(self.event(
            Some(by),
            at,
            EventKind::RoleRemoved {
                packet: self.id,
                role,
                person,
            },
        ))
    }

    /// Removes the writer of a review (DOMAIN.md, "every assignment can be added, removed or
    /// replaced"): an additional manager (the default one too), an upward reviewer or a peer.
    /// Their unsubmitted review is cancelled (kept, readable by its author only); a writer
    /// whose review is submitted cannot be removed (remove the feedback instead). A refusal
    /// leaves the packet and the review as they were.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for another kind, a submitted or cancelled review, a review of
    /// another packet, or a withdrawn packet.
    pub fn remove_reviewer(
        &mut self,
        review: &mut Review,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        let (mut packet, mut r) = (self.clone(), review.clone());
        let events = packet.remove_reviewer_in(&mut r, by, at)?;
        *self = packet;
        *review = r;
        Ok(events)
    }

    /// Replaces the writer of a review with `person`: the old writer is removed as
    /// [`remove_reviewer`](Self::remove_reviewer) says, and `person` gets a new review of the
    /// same kind. A refusal leaves the packet and the review as they were.
    ///
    /// # Errors
    ///
    /// As [`remove_reviewer`](Self::remove_reviewer) and [`assign`](Self::assign);
    /// [`Error::Invalid`] when `person` writes the review already.
    #[allow(clippy::too_many_arguments)]
    pub fn replace_reviewer(
        &mut self,
        review: &mut Review,
        person: PersonId,
        kinds: &crate::domain::cycle::ReviewKinds,
        ids: &mut dyn IdSource,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<(Review, Vec<Event>)> {
        // Replacing a writer with themselves would cancel their draft for nothing.
        if person == review.author {
            return Err(Error::invalid(
                "person",
                format!("`{person}` writes this review already"),
            ));
        }
        let (mut packet, mut r) = (self.clone(), review.clone());
        let mut events = packet.remove_reviewer_in(&mut r, by, at)?;
        let (new, assigned) = packet.assign(kinds, r.kind, person, ids, Some(by), at)?;
        events.push(assigned);
        *self = packet;
        *review = r;
        Ok((new, events))
    }

    fn remove_reviewer_in(
        &mut self,
        review: &mut Review,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        self.ensure_live()?;
        if review.packet != self.id {
            return Err(Error::invalid(
                "review",
                format!(
                    "review `{}` belongs to packet `{}`",
                    review.id, review.packet
                ),
            ));
        }
        let (kind, author) = (review.kind, review.author);
        match review.state {
            ReviewState::Submitted => {
                return Err(Error::invalid(
                    "review",
                    "its writer submitted it and cannot be removed: remove the feedback instead",
                ));
            }
            ReviewState::Cancelled => {
                return Err(Error::invalid("review", "it is already cancelled"));
            }
            ReviewState::Assigned | ReviewState::Draft => {}
        }
        let listed = match kind {
            ReviewKind::AdditionalManager if self.default_additional_manager == Some(author) => {
                self.default_additional_manager = None;
                true
            }
            ReviewKind::AdditionalManager => self.additional_managers.remove(author),
            ReviewKind::Peer => self.peers.remove(author),
            ReviewKind::Upward => self.upward_reviewers.remove(author),
            ReviewKind::SelfReview | ReviewKind::Manager => {
                return Err(Error::invalid(
                    "review",
                    format!(
                        "the {kind} review goes with the participant or their manager reviewer: change the manager reviewer instead"
                    ),
                ));
            }
        };
        if !listed {
            return Err(Error::invalid(
                "review",
                format!("`{author}` is not a {kind} reviewer of this participant"),
            ));
        }
        let removed = self.event(
            Some(by),
            at,
            EventKind::ReviewerRemoved {
                review: review.id,
                kind,
                author,
            },
        );
        let cancelled = review.cancel(self, by, at)?;
        Ok(vec![removed, cancelled])
    }

    /// Opens the manager review for writing before gating would (audited).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when already open early, or the packet is withdrawn.
    pub fn open_gate(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.ensure_live()?;
        if self.gate_opened {
            return Err(Error::invalid(
                "gating",
                "the manager review is already open",
            ));
        }
        self.gate_opened = true;
        Ok(self.event(Some(by), at, EventKind::GateOpened { packet: self.id }))
    }

    /// `nominating → writing`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] from the packet table.
    pub fn close_nominations(&mut self, by: impl Into<Actor>, at: DateTime<Utc>) -> Result<Event> {
        self.go(PacketState::Writing, "close nominations", by, at)
    }

    /// After the manager review: `manager_submitted → calibrating | pending_approval |
    /// ready_to_share`, whichever the cycle's settings call for next.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] unless `manager_submitted`.
    pub fn finish_writing(
        &mut self,
        settings: &CycleSettings,
        snapshot: &OrgSnapshot,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        let to = if settings.calibration {
            PacketState::Calibrating
        } else {
            self.after_calibration(settings)
        };
        self.enter(to, "finish writing", settings, snapshot, by, at)
    }

    /// `calibrating → pending_approval | ready_to_share`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] unless `calibrating`.
    pub fn close_calibration(
        &mut self,
        settings: &CycleSettings,
        snapshot: &OrgSnapshot,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        let to = self.after_calibration(settings);
        self.enter(to, "close calibration", settings, snapshot, by, at)
    }

    fn after_calibration(&self, settings: &CycleSettings) -> PacketState {
        if settings.approval_required {
            PacketState::PendingApproval
        } else {
            PacketState::ReadyToShare
        }
    }

    fn enter(
        &mut self,
        to: PacketState,
        command: &str,
        settings: &CycleSettings,
        snapshot: &OrgSnapshot,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        let event = self.go(to, command, by, at)?;
        if to == PacketState::PendingApproval {
            self.approval_step = 0;
            self.skip_steps(settings, snapshot);
            self.approval_passed = self.approval_passed.max(self.approval_step);
        }
        Ok(event)
    }

    /// Moves past steps that resolve to nobody.
    fn skip_steps(&mut self, settings: &CycleSettings, snapshot: &OrgSnapshot) {
        let chain = &settings.approval_chain;
        while usize::from(self.approval_step) < chain.len()
            && resolve_step(snapshot, chain, self.approval_step.into(), self.subject)
                == StepApprover::Skipped
        {
            // Settings hold at most 255 steps, also when read back from storage
            // (`CycleSettings::validate`): the counter never needs to pass 255.
            let Some(next) = self.approval_step.checked_add(1) else {
                break;
            };
            self.approval_step = next;
        }
    }

    /// Approves the current step; after the last step, `pending_approval → ready_to_share`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] unless `pending_approval`.
    pub fn approve(
        &mut self,
        settings: &CycleSettings,
        snapshot: &OrgSnapshot,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if self.withdrawn || self.state != PacketState::PendingApproval {
            // Let the table (and the withdrawn check) produce the refusal.
            self.go(PacketState::ReadyToShare, "approve", by, at)?;
        }
        // The step that waits now: the org may have changed since the packet reached it.
        self.skip_steps(settings, snapshot);
        let step = self.approval_step;
        self.approval_step = step.saturating_add(1);
        self.skip_steps(settings, snapshot);
        self.approval_passed = self.approval_passed.max(self.approval_step);
        if usize::from(self.approval_step) >= settings.approval_chain.len() {
            self.go(PacketState::ReadyToShare, "approve", by, at)?;
        }
        Ok(self.event(
            Some(by),
            at,
            EventKind::ApprovalGiven {
                packet: self.id,
                step: step.into(),
                done: self.state == PacketState::ReadyToShare,
            },
        ))
    }

    /// Sends the packet back to the manager: `pending_approval → writing`, and the submitted
    /// manager review back to draft.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] unless `pending_approval`; [`Error::Invalid`] when
    /// `manager_review` is not this packet's submitted manager review.
    pub fn send_back(
        &mut self,
        manager_review: &mut Review,
        comment: &str,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        if manager_review.packet != self.id
            || manager_review.kind != ReviewKind::Manager
            || manager_review.state != ReviewState::Submitted
        {
            return Err(Error::invalid(
                "review",
                "send back needs this packet's submitted manager review",
            ));
        }
        let from = self.state;
        // One event for the transition: the send-back, with the states before and after.
        self.go(PacketState::Writing, "send back", by, at)?;
        manager_review.reopen_unchecked(self, at);
        self.approval_step = 0;
        Ok(vec![self.event(
            Some(by),
            at,
            EventKind::SentBack {
                packet: self.id,
                comment: comment.to_owned(),
                from,
                to: self.state,
            },
        )])
    }

    /// `ready_to_share → shared`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] from the packet table.
    pub fn share(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.go(PacketState::Shared, "share", by, at)
    }

    /// `shared → ready_to_share` (admins only, audited).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] from the packet table.
    pub fn unshare(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.go(PacketState::ReadyToShare, "unshare", by, at)
    }

    /// `shared → acknowledged`, with the participant's optional comment.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] from the packet table.
    pub fn acknowledge(
        &mut self,
        comment: Option<&str>,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        let from = self.state;
        // One event for the transition: the acknowledgement, with the states before and after.
        self.go(PacketState::Acknowledged, "acknowledge", by, at)?;
        Ok(vec![self.event(
            Some(by),
            at,
            EventKind::Acknowledged {
                packet: self.id,
                comment: comment.map(str::to_owned),
                from,
                to: self.state,
            },
        )])
    }

    /// Changes the manager reviewer mid-cycle (DOMAIN.md, "manager change"): a manager review
    /// not yet submitted is cancelled (kept, readable by its author only) and a new one is
    /// assigned to the new manager; a submitted one stays, and its author keeps read access to
    /// this participant's reviews in this cycle as a former manager.
    ///
    /// `current_review` is the packet's live (not cancelled) manager review, if any. Returns the
    /// new manager review, if one was assigned, and the events.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the new manager is the subject or already the manager, or the
    /// review passed is not this packet's live manager review.
    pub fn change_manager(
        &mut self,
        new_manager: Option<PersonId>,
        current_review: Option<&mut Review>,
        kinds: &crate::domain::cycle::ReviewKinds,
        ids: &mut dyn IdSource,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<(Option<Review>, Vec<Event>)> {
        self.change_manager_on_copies(true, new_manager, current_review, kinds, ids, by, at)
    }

    /// Changes who writes the manager review without changing the org (15Five's "change
    /// manager review author"): the same cancel-or-keep rule as
    /// [`change_manager`](Self::change_manager), audited as
    /// [`ManagerReviewerChanged`](EventKind::ManagerReviewerChanged).
    ///
    /// # Errors
    ///
    /// As [`change_manager`](Self::change_manager).
    pub fn change_manager_reviewer(
        &mut self,
        new_manager: Option<PersonId>,
        current_review: Option<&mut Review>,
        kinds: &crate::domain::cycle::ReviewKinds,
        ids: &mut dyn IdSource,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<(Option<Review>, Vec<Event>)> {
        self.change_manager_on_copies(false, new_manager, current_review, kinds, ids, by, at)
    }

    #[allow(clippy::too_many_arguments)]
    fn change_manager_on_copies(
        &mut self,
        in_org: bool,
        new_manager: Option<PersonId>,
        current_review: Option<&mut Review>,
        kinds: &crate::domain::cycle::ReviewKinds,
        ids: &mut dyn IdSource,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<(Option<Review>, Vec<Event>)> {
        // On copies, so that a refusal at any step leaves both as they were.
        let mut packet = self.clone();
        let mut review = current_review.as_deref().cloned();
        let out =
            packet.change_manager_in(in_org, new_manager, review.as_mut(), kinds, ids, by, at)?;
        *self = packet;
        if let (Some(target), Some(changed)) = (current_review, review) {
            *target = changed;
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn change_manager_in(
        &mut self,
        in_org: bool,
        new_manager: Option<PersonId>,
        current_review: Option<&mut Review>,
        kinds: &crate::domain::cycle::ReviewKinds,
        ids: &mut dyn IdSource,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<(Option<Review>, Vec<Event>)> {
        self.ensure_live()?;
        if new_manager == Some(self.subject) {
            return Err(Error::invalid(
                "manager",
                "a participant cannot manage themselves",
            ));
        }
        if new_manager == self.manager {
            return Err(Error::invalid(
                "manager",
                "that is already the manager reviewer",
            ));
        }
        let old = self.manager;
        let mut events = Vec::with_capacity(3);
        let mut needs_new_review = kinds.manager;
        if let Some(review) = current_review {
            if review.packet != self.id
                || review.kind != ReviewKind::Manager
                || review.state == ReviewState::Cancelled
            {
                return Err(Error::invalid(
                    "review",
                    "the manager change needs this packet's live manager review",
                ));
            }
            if review.state == ReviewState::Submitted {
                needs_new_review = false;
                if !self.former_managers.contains(&review.author) {
                    self.former_managers.push(review.author);
                }
            } else {
                events.push(review.cancel(self, by, at)?);
            }
        }
        self.manager = new_manager;
        let (packet, subject, from, to) = (self.id, self.subject, old, new_manager);
        let changed = if in_org {
            EventKind::ManagerChanged {
                packet,
                subject,
                from,
                to,
            }
        } else {
            EventKind::ManagerReviewerChanged {
                packet,
                subject,
                from,
                to,
            }
        };
        events.insert(0, self.event(Some(by), at, changed));
        let mut new_review = None;
        if let (Some(m), true) = (new_manager, needs_new_review) {
            let (review, event) = self.assign(kinds, ReviewKind::Manager, m, ids, Some(by), at)?;
            new_review = Some(review);
            events.push(event);
        }
        Ok((new_review, events))
    }

    /// Withdraws the packet (leaver or removed participant): kept, read-only, out of progress.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when already withdrawn.
    pub fn withdraw(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        if self.withdrawn {
            return Err(Error::invalid("packet", "already withdrawn"));
        }
        self.withdrawn = true;
        Ok(self.event(
            Some(by),
            at,
            EventKind::PacketWithdrawn {
                packet: self.id,
                subject: self.subject,
            },
        ))
    }
}

fn add_unique(
    list: &mut PersonList,
    person: PersonId,
    role: &str,
    max: Option<usize>,
) -> Result<()> {
    if list.contains(&person) {
        return Err(Error::invalid(
            "author",
            format!("`{person}` is already a {role} of this participant"),
        ));
    }
    if let Some(max) = max
        && list.len() >= max
    {
        return Err(Error::invalid(
            "author",
            format!("at most {max} cycle-specific {role}s"),
        ));
    }
    list.push(person);
    Ok(())
}

/// Whether `value` is its type's default: the fields records leave out of their serialised
/// form (see [`Packet`] and [`Review`](crate::domain::Review)).
pub(crate) fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_lists_serialise_as_plain_lists_and_hold_nothing_when_empty() {
        let (ann, bo) = (PersonId::from_key("ann"), PersonId::from_key("bo"));
        let empty = PersonList::default();
        assert!(empty.0.is_none());
        assert_eq!(serde_json::to_string(&empty).ok().as_deref(), Some("[]"));
        let back: PersonList = serde_json::from_str("[]").unwrap_or(PersonList(None));
        assert!(
            back.0.is_none(),
            "an empty list read back holds no allocation"
        );

        let mut list = PersonList::default();
        list.push(ann);
        list.push(bo);
        assert!(list.contains(&ann) && list.contains(&bo));
        assert!(!empty.contains(&ann));
        assert_eq!((list.len(), &*list), (2, &[ann, bo][..]));
        let json = serde_json::to_string(&list).unwrap_or_default();
        assert_eq!(json, serde_json::to_string(&[ann, bo]).unwrap_or_default());
        let back: PersonList = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, list);
    }

    /// The permission check reads these; `repr(C)` keeps them in a packet's first 128 bytes
    /// and a review's first 64.
    #[test]
    fn the_fields_decide_reads_come_first() {
        use std::mem::offset_of;
        for end in [
            offset_of!(Packet, id) + 16,
            offset_of!(Packet, cycle) + 16,
            offset_of!(Packet, subject) + 16,
            offset_of!(Packet, manager) + size_of::<Option<PersonId>>(),
            offset_of!(Packet, default_additional_manager) + size_of::<Option<PersonId>>(),
            offset_of!(Packet, state) + 1,
            offset_of!(Packet, subject_at) + size_of::<SubjectHint>(),
            offset_of!(Packet, former_managers) + size_of::<PersonList>(),
            offset_of!(Packet, additional_managers) + size_of::<PersonList>(),
            offset_of!(Packet, viewers) + size_of::<PersonList>(),
            offset_of!(Packet, sharers) + size_of::<PersonList>(),
        ] {
            assert!(end <= 128, "a field decide reads ends at byte {end}");
        }
        use crate::domain::review::Review;
        for end in [
            offset_of!(Review, packet) + 16,
            offset_of!(Review, cycle) + 16,
            offset_of!(Review, author) + 16,
            offset_of!(Review, kind) + 1,
            offset_of!(Review, state) + 1,
            offset_of!(Review, removed) + 1,
        ] {
            assert!(end <= 64, "a review field decide reads ends at byte {end}");
        }
    }
}
