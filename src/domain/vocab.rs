//! The shared vocabulary of the domain: the kinds and states that records, events, decisions
//! and views all name. A leaf: it imports nothing else of the domain but ids and errors, so the
//! record modules and the audit log can all depend on it without depending on each other.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The kinds of review a cycle can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// The participant reviews themselves (`Self` in DOMAIN.md).
    #[serde(rename = "self")]
    SelfReview,
    /// The manager reviewer reviews the participant.
    Manager,
    /// An additional (dotted-line) manager reviews the participant.
    AdditionalManager,
    /// A peer reviews the participant.
    Peer,
    /// A direct report reviews the participant (their manager).
    Upward,
}

impl ReviewKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ReviewKind; 5] = [
        ReviewKind::SelfReview,
        ReviewKind::Manager,
        ReviewKind::AdditionalManager,
        ReviewKind::Peer,
        ReviewKind::Upward,
    ];

    /// The kind's name in messages (`self`, `additional_manager`, ...).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::SelfReview => "self",
            Self::Manager => "manager",
            Self::AdditionalManager => "additional_manager",
            Self::Peer => "peer",
            Self::Upward => "upward",
        }
    }

    /// Position in [`ALL`](Self::ALL), for per-kind arrays.
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Manager or additional manager: the kinds shared once results are shared.
    #[must_use]
    pub const fn is_managerial(self) -> bool {
        matches!(self, Self::Manager | Self::AdditionalManager)
    }

    /// Peer or upward: the kinds that can be anonymous, thresholded and removed.
    #[must_use]
    pub const fn is_feedback(self) -> bool {
        matches!(self, Self::Peer | Self::Upward)
    }
}

impl fmt::Display for ReviewKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rating scale: whole points from `min` to `max`, each with a label.
///
/// Reading one from JSON runs [`RatingScale::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(remote = "Self")]
pub struct RatingScale {
    /// Lowest point.
    pub min: u8,
    /// Highest point.
    pub max: u8,
    /// One label per point, lowest first.
    pub labels: Vec<String>,
}

crate::domain::checked::checked_serde!(RatingScale, RatingScale::validate);

impl RatingScale {
    /// Checks that `min` is below `max` and that there is one label per point.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`](crate::Error::Invalid) naming `rating_scale`.
    pub fn validate(&self) -> crate::domain::Result<()> {
        if self.min >= self.max {
            return Err(crate::domain::Error::invalid(
                "rating_scale",
                format!("min `{}` is not below max `{}`", self.min, self.max),
            ));
        }
        let points = usize::from(self.max - self.min) + 1;
        if self.labels.len() != points {
            return Err(crate::domain::Error::invalid(
                "rating_scale",
                format!("{} labels for {points} points", self.labels.len()),
            ));
        }
        Ok(())
    }
}

impl Default for RatingScale {
    /// 1–5: needs improvement, partially meets, meets, exceeds, exceptional.
    fn default() -> Self {
        Self {
            min: 1,
            max: 5,
            labels: [
                "needs improvement",
                "partially meets",
                "meets",
                "exceeds",
                "exceptional",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// The lifecycle state of a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CycleState {
    /// Being configured; can be deleted.
    Draft,
    /// Launched: packets exist, reviews are written.
    Active,
    /// Finished: read-only history.
    Closed,
    /// Deleted while in draft (terminal; storage drops the record).
    Deleted,
}

/// Whether a cycle is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LockState {
    /// Writes are accepted.
    Unlocked,
    /// Every write but `unlock` is refused.
    Locked,
}

/// The state of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PacketState {
    /// Peers are being nominated.
    Nominating,
    /// Reviews are being written.
    Writing,
    /// The manager review is submitted.
    ManagerSubmitted,
    /// In calibration (only when the cycle calibrates).
    Calibrating,
    /// Waiting for the approval chain (only when the cycle requires approval).
    PendingApproval,
    /// Results can be shared with the participant.
    ReadyToShare,
    /// Results are shared with the participant.
    Shared,
    /// The participant acknowledged their results.
    Acknowledged,
}

impl PacketState {
    /// Every state, in lifecycle order.
    pub const ALL: [PacketState; 8] = [
        Self::Nominating,
        Self::Writing,
        Self::ManagerSubmitted,
        Self::Calibrating,
        Self::PendingApproval,
        Self::ReadyToShare,
        Self::Shared,
        Self::Acknowledged,
    ];

    /// `Shared` or later: the participant can see their results.
    #[must_use]
    pub const fn is_shared(self) -> bool {
        matches!(self, Self::Shared | Self::Acknowledged)
    }
}

/// The role an assignment gives its person on a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssignmentRole {
    /// Cycle-specific additional manager.
    AdditionalManager,
    /// Upward reviewer.
    UpwardReviewer,
    /// Peer.
    Peer,
    /// Cycle-specific review viewer.
    Viewer,
    /// Sharing user.
    Sharer,
}

/// The state of a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Assigned to its author, nothing written yet.
    Assigned,
    /// Being written; readable by its author only.
    Draft,
    /// Submitted.
    Submitted,
    /// Cancelled by a mid-cycle change; kept, readable by its author only.
    Cancelled,
}

/// A reminder to a review's author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// The review is due soon.
    BeforeDue,
    /// The review is overdue.
    Overdue,
}

impl ReminderKind {
    /// Every kind, in order.
    pub const ALL: [Self; 2] = [Self::BeforeDue, Self::Overdue];
}

/// The state of a nomination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum NominationState {
    /// Waiting for approval.
    Pending,
    /// Approved: the peer review is assigned.
    Approved,
    /// Denied by the approver.
    Denied,
    /// Declined by the nominee.
    Declined,
}

/// A rating with two decimals, kept as hundredths (`Score::from_hundredths(425)` is 4.25).
///
/// In JSON it is a decimal number: `4.25`, `4.0` (and `4` reads as 4.00). A number with more
/// than two decimals, negative, or above 655.35 is refused rather than rounded, so a client
/// never has a rating silently changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(u16);

impl Serialize for Score {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.value())
    }
}

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Self::from_decimal(value).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "a score is a number from 0 to 655.35 with at most two decimals, not {value}"
            ))
        })
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Score {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Score".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A rating with at most two decimals, such as 4.25.",
            "type": "number",
            "minimum": 0,
            "maximum": 655.35
        })
    }
}

impl Score {
    /// From hundredths.
    #[must_use]
    pub const fn from_hundredths(h: u16) -> Self {
        Self(h)
    }

    /// A whole point of the scale.
    #[must_use]
    pub const fn from_points(p: u8) -> Self {
        Self(p as u16 * 100)
    }

    /// In hundredths.
    #[must_use]
    pub const fn hundredths(self) -> u16 {
        self.0
    }

    /// As a number.
    #[must_use]
    pub fn value(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// `value` when it has at most two decimals and lies from 0 to 655.35 (float noise such
    /// as `4.2500000001` counts as two decimals).
    #[must_use]
    pub fn from_decimal(value: f64) -> Option<Self> {
        let scaled = value * 100.0;
        let h = scaled.round();
        ((0.0..=f64::from(u16::MAX)).contains(&h) && (scaled - h).abs() < 1e-6)
            .then_some(Self(h as u16))
    }

    /// `raw` rounded half up to hundredths (see the module docs), if it is a plausible score.
    #[must_use]
    pub fn round(raw: f64) -> Option<Self> {
        let h = (raw * 100.0 + 0.5 + 1e-9).floor();
        (0.0..=f64::from(u16::MAX))
            .contains(&h)
            .then_some(Self(h as u16))
    }

    /// Whether the score lies on `scale`.
    #[must_use]
    pub fn within(self, scale: &RatingScale) -> bool {
        (u16::from(scale.min) * 100..=u16::from(scale.max) * 100).contains(&self.0)
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The period a cycle reviews (both days included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Period {
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

/// Who acts: a person, or the library itself on the host's schedule (the time tick).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A person.
    Person(crate::domain::PersonId),
    /// The library, on its own (audited with no person).
    System,
}

impl Actor {
    /// The person, unless the library acted.
    #[must_use]
    pub const fn person(self) -> Option<crate::domain::PersonId> {
        match self {
            Self::Person(p) => Some(p),
            Self::System => None,
        }
    }
}

impl From<crate::domain::PersonId> for Actor {
    fn from(person: crate::domain::PersonId) -> Self {
        Self::Person(person)
    }
}
