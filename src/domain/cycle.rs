//! Review cycles: configuration, settings with their defaults, and the lifecycle.
//!
//! # Lifecycle
//!
//! `Draft → Active → Closed` (and `Closed → Active` when reopened), and a draft can be deleted. Orthogonal to it a cycle is locked or
//! not ([`LockState`]): a locked cycle refuses every write except `unlock` (rule R-WRITE, checked
//! by [`decide`](crate::access::decide)), while reads go on.
//!
//! The cycle lifecycle table ([`CycleState::TRANSITIONS`]):
//!
//! | from | to | command |
//! |---|---|---|
//! | `draft` | `active` | launch |
//! | `draft` | `deleted` | delete |
//! | `active` | `closed` | close |
//! | `closed` | `active` | reopen |
//!
//! The lock table ([`LockState::TRANSITIONS`]):
//!
//! | from | to | command |
//! |---|---|---|
//! | `unlocked` | `locked` | lock |
//! | `locked` | `unlocked` | unlock |

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::event::{Event, EventKind};
use crate::domain::transition::{self, State, Transition};
use crate::domain::vocab::{CycleState, LockState, Period, RatingScale, ReviewKind};
use crate::domain::{CycleId, Error, PersonId, Result, TemplateId};

/// Which review kinds a cycle runs. Default: all five; in JSON, a kind left out runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ReviewKinds {
    /// Self reviews.
    pub self_review: bool,
    /// Manager reviews.
    pub manager: bool,
    /// Additional manager reviews.
    pub additional_manager: bool,
    /// Peer reviews.
    pub peer: bool,
    /// Upward reviews.
    pub upward: bool,
}

impl Default for ReviewKinds {
    fn default() -> Self {
        Self {
            self_review: true,
            manager: true,
            additional_manager: true,
            peer: true,
            upward: true,
        }
    }
}

impl ReviewKinds {
    /// Whether the cycle runs this kind.
    #[must_use]
    pub const fn runs(&self, kind: ReviewKind) -> bool {
        match kind {
            ReviewKind::SelfReview => self.self_review,
            ReviewKind::Manager => self.manager,
            ReviewKind::AdditionalManager => self.additional_manager,
            ReviewKind::Peer => self.peer,
            ReviewKind::Upward => self.upward,
        }
    }
}

/// A writing window: writes are accepted from `opens` until `due` (late writes only when the
/// cycle allows late submissions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Window {
    /// When writing opens.
    pub opens: DateTime<Utc>,
    /// When the review is due.
    pub due: DateTime<Utc>,
}

/// Writing windows per review kind; a kind without a window is open as long as the cycle is
/// active.
///
/// In JSON, a map from the kinds that have a window to it:
/// `{"peer": {"opens": "…", "due": "…"}}`. The form earlier versions stored,
/// `{"by_kind": [null, {"opens": …}, …]}` (indexed by [`ReviewKind::index`]), reads too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Windows {
    /// Windows indexed by [`ReviewKind::index`].
    pub by_kind: [Option<Window>; 5],
}

impl Serialize for Windows {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for kind in ReviewKind::ALL {
            if let Some(window) = self.of(kind) {
                map.serialize_entry(&kind, &window)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Windows {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Windows;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map from review kinds to writing windows")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Windows, A::Error> {
                let mut windows = Windows::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "by_kind" {
                        windows.by_kind = map.next_value()?;
                        continue;
                    }
                    let kind = ReviewKind::ALL
                        .into_iter()
                        .find(|k| k.name() == key)
                        .ok_or_else(|| {
                            serde::de::Error::custom(format!(
                                "`{key}` is not a review kind (one of self, manager, \
                                 additional_manager, peer, upward)"
                            ))
                        })?;
                    windows = windows.with(kind, map.next_value()?);
                }
                Ok(windows)
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Windows {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Windows".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <std::collections::BTreeMap<ReviewKind, Window>>::json_schema(generator)
    }
}

impl Windows {
    /// The window of a kind.
    #[must_use]
    pub const fn of(&self, kind: ReviewKind) -> Option<Window> {
        self.by_kind[kind.index()]
    }

    /// Sets the window of a kind.
    #[must_use]
    pub const fn with(mut self, kind: ReviewKind, window: Window) -> Self {
        self.by_kind[kind.index()] = Some(window);
        self
    }
}

/// Gating of the manager review: when it opens for writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Gating {
    /// Manager and additional manager reviews open once the self review is submitted.
    /// Default: `true`.
    pub after_self: bool,
    /// ... and once every assigned peer review is submitted. Default: `false`.
    pub after_peers: bool,
}

impl Default for Gating {
    fn default() -> Self {
        Self {
            after_self: true,
            after_peers: false,
        }
    }
}

/// One step of an approval chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "step", content = "levels")]
pub enum ApprovalStep {
    /// Any admin of the cycle.
    Admins,
    /// The participant's manager's manager (two levels up).
    ManagersManager,
    /// The manager `n` levels above the participant (`1` is the direct manager).
    NthLevelUp(u32),
    /// The head of the participant's department.
    DepartmentHead,
}

/// The settings of a cycle. Every field has the default named in its doc.
///
/// Reading settings from JSON runs [`CycleSettings::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, remote = "Self")]
pub struct CycleSettings {
    /// Participants may nominate their own peers. Default: `true`.
    pub self_nomination: bool,
    /// Fewest approved peers per participant. Default: `0`.
    pub min_peers: u8,
    /// Most approved peers per participant. Default: `5`.
    pub max_peers: u8,
    /// Nominations need the manager's (or an admin's) approval. Default: `true`.
    pub nomination_approval: bool,
    /// Pending nominations are approved at the nomination deadline. Default: `false`.
    pub auto_approve_nominations: bool,
    /// Peer reviews hide their author from the subject. Default: `true`.
    pub anonymous_peer: bool,
    /// Upward reviews hide their author from the subject. Default: `true`.
    pub anonymous_upward: bool,
    /// The subject sees peer feedback once results are shared. Default: `false`.
    pub share_peer_with_subject: bool,
    /// The subject sees upward feedback once results are shared. Default: `false`.
    pub share_upward_with_subject: bool,
    /// Fewest non-removed submitted reviews of a feedback kind before the subject sees any of
    /// that kind. Default: `3`.
    pub anonymity_threshold: u16,
    /// Managers may remove peer/upward feedback from what the subject sees. Default: `false`.
    pub managers_may_remove_feedback: bool,
    /// Writes past a window's `due` are accepted. Default: `false`.
    pub late_submissions: bool,
    /// Gating of the manager review. Default: after the self review only.
    pub gating: Gating,
    /// Results need approval before they can be shared. Default: `false`.
    pub approval_required: bool,
    /// The approval steps, in order. Default: `[Admins]`.
    pub approval_chain: Vec<ApprovalStep>,
    /// Calibration runs between the manager review and approval. Default: `false`.
    pub calibration: bool,
    /// The rating scale. Default: 1–5 ([`RatingScale::default`]).
    pub rating_scale: RatingScale,
    /// Writing windows. Default: none (open while the cycle is active).
    pub windows: Windows,
    /// How the consolidated rating is found. Default: the manager's choice.
    pub consolidated: crate::domain::rating::ConsolidatedRule,
    /// When nominations close: pending nominations are approved then by the engine's tick when
    /// [`auto_approve_nominations`](Self::auto_approve_nominations) is on. Default: none.
    pub nomination_deadline: Option<DateTime<Utc>>,
    /// Remind authors this many days before a review is due. Default: `Some(3)`.
    pub remind_days_before: Option<u16>,
    /// Remind authors once a review is overdue. Default: `true`.
    pub remind_overdue: bool,
    /// Target share of participants per scale point in calibration, in percent (points not
    /// listed: no target). Default: none.
    pub calibration_target: Vec<(u8, u8)>,
    /// How far a share may be from its target, in percentage points. Default: `5`.
    pub calibration_tolerance: u8,
    /// The key of the rating question asking the manager for potential (for the 9-box grid).
    /// Default: none.
    pub potential_question: Option<String>,
    /// Labelled bands of the consolidated rating. Default: [`Band::defaults`](crate::domain::rating::Band::defaults)
    /// (for the 1–5 scale).
    pub bands: Vec<crate::domain::rating::Band>,
}

impl Default for CycleSettings {
    fn default() -> Self {
        Self {
            self_nomination: true,
            min_peers: 0,
            max_peers: 5,
            nomination_approval: true,
            auto_approve_nominations: false,
            anonymous_peer: true,
            anonymous_upward: true,
            share_peer_with_subject: false,
            share_upward_with_subject: false,
            anonymity_threshold: 3,
            managers_may_remove_feedback: false,
            late_submissions: false,
            gating: Gating::default(),
            approval_required: false,
            approval_chain: vec![ApprovalStep::Admins],
            calibration: false,
            rating_scale: RatingScale::default(),
            windows: Windows::default(),
            nomination_deadline: None,
            remind_days_before: Some(3),
            remind_overdue: true,
            calibration_target: Vec::new(),
            calibration_tolerance: 5,
            potential_question: None,
            consolidated: crate::domain::rating::ConsolidatedRule::default(),
            bands: crate::domain::rating::Band::defaults(),
        }
    }
}

impl CycleSettings {
    /// Whether reviews of this kind hide their author from the subject.
    #[must_use]
    pub const fn is_anonymous(&self, kind: ReviewKind) -> bool {
        match kind {
            ReviewKind::Peer => self.anonymous_peer,
            ReviewKind::Upward => self.anonymous_upward,
            _ => false,
        }
    }

    /// Whether the subject sees this feedback kind once results are shared.
    #[must_use]
    pub const fn shares_with_subject(&self, kind: ReviewKind) -> bool {
        match kind {
            ReviewKind::Peer => self.share_peer_with_subject,
            ReviewKind::Upward => self.share_upward_with_subject,
            _ => false,
        }
    }

    /// Checks that `new` keeps what these settings promised the writers of the feedback kinds
    /// `written` says have a submitted review (DOMAIN.md, settings): once a review of a kind is
    /// submitted, that kind's anonymity, its sharing with the subject and the anonymity
    /// threshold can only be made stricter.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the setting that would loosen.
    pub fn check_promises(&self, new: &Self, written: impl Fn(ReviewKind) -> bool) -> Result<()> {
        for kind in [ReviewKind::Peer, ReviewKind::Upward] {
            if !written(kind) {
                continue;
            }
            let name = kind.name();
            let refuse = |field: String, what: &str| {
                Err(Error::invalid(
                    field,
                    format!("{name} reviews were submitted {what}: it can only be made stricter"),
                ))
            };
            if self.is_anonymous(kind) && !new.is_anonymous(kind) {
                return refuse(format!("anonymous_{name}"), "under anonymity");
            }
            if !self.shares_with_subject(kind) && new.shares_with_subject(kind) {
                return refuse(
                    format!("share_{name}_with_subject"),
                    "without being shared with the subject",
                );
            }
            if new.anonymity_threshold < self.anonymity_threshold {
                return refuse(
                    "anonymity_threshold".to_owned(),
                    &format!("under a threshold of {}", self.anonymity_threshold),
                );
            }
        }
        Ok(())
    }

    /// Checks the settings for contradictions; the error names the setting.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the setting at fault.
    pub fn validate(&self) -> Result<()> {
        if self.min_peers > self.max_peers {
            return Err(Error::invalid(
                "min_peers",
                format!(
                    "`{}` is more than max_peers `{}`",
                    self.min_peers, self.max_peers
                ),
            ));
        }
        if self.approval_required && self.approval_chain.is_empty() {
            return Err(Error::invalid(
                "approval_chain",
                "approval is required but the chain has no step",
            ));
        }
        if self.approval_chain.len() > usize::from(u8::MAX) {
            return Err(Error::invalid("approval_chain", "more than 255 steps"));
        }
        if self
            .approval_chain
            .iter()
            .any(|s| matches!(s, ApprovalStep::NthLevelUp(0)))
        {
            return Err(Error::invalid(
                "approval_chain",
                "`nth_level_up` needs at least one level",
            ));
        }
        self.rating_scale.validate()?;
        self.consolidated.validate()?;
        if let Some((p, _)) = self
            .calibration_target
            .iter()
            .find(|(p, _)| !(self.rating_scale.min..=self.rating_scale.max).contains(p))
        {
            return Err(Error::invalid(
                "calibration_target",
                format!("point {p} is off the scale"),
            ));
        }
        let target: u32 = self
            .calibration_target
            .iter()
            .map(|(_, pct)| u32::from(*pct))
            .sum();
        if target > 100 {
            return Err(Error::invalid(
                "calibration_target",
                format!("shares sum to {target}%"),
            ));
        }
        crate::domain::rating::Band::validate(&self.bands, &self.rating_scale)?;
        for kind in ReviewKind::ALL {
            if let Some(w) = self.windows.of(kind)
                && w.opens >= w.due
            {
                return Err(Error::invalid(
                    format!("windows.{kind}"),
                    "opens at or after it is due",
                ));
            }
        }
        Ok(())
    }
}

/// Who takes part, beyond the explicit list: rules evaluated against the directory at launch.
///
/// The participants are the explicit list, plus everyone matching **all** the rules that are
/// set (a department among `departments`, hired before `hired_before`), minus `exclusions`,
/// minus inactive people when `active_only` (the default). With no rule set, only the explicit
/// list counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Eligibility {
    /// People of these departments. Empty: no department rule.
    pub departments: Vec<crate::domain::DepartmentId>,
    /// People hired before this day (people without a hire date do not match). `None`: no rule.
    pub hired_before: Option<NaiveDate>,
    /// Leave inactive people out. Default: `true`.
    pub active_only: bool,
    /// Never these people.
    pub exclusions: BTreeSet<PersonId>,
}

impl Default for Eligibility {
    fn default() -> Self {
        Self {
            departments: Vec::new(),
            hired_before: None,
            active_only: true,
            exclusions: BTreeSet::new(),
        }
    }
}

impl Eligibility {
    /// Whether any rule (department, hire date) is set.
    #[must_use]
    pub fn has_rules(&self) -> bool {
        !self.departments.is_empty() || self.hired_before.is_some()
    }

    /// The participants: `explicit` plus the people matching the rules, minus exclusions and
    /// (when `active_only`) inactive people. Explicit ids unknown to `people` are kept, so
    /// launch can refuse them by name.
    #[must_use]
    pub fn evaluate(
        &self,
        explicit: &BTreeSet<PersonId>,
        people: &[crate::domain::Person],
    ) -> BTreeSet<PersonId> {
        let matches = |p: &crate::domain::Person| {
            self.has_rules()
                && (self.departments.is_empty()
                    || p.department.is_some_and(|d| self.departments.contains(&d)))
                && self
                    .hired_before
                    .is_none_or(|cutoff| p.hired.is_some_and(|h| h < cutoff))
        };
        let inactive: BTreeSet<PersonId> =
            people.iter().filter(|p| !p.active).map(|p| p.id).collect();
        explicit
            .iter()
            .copied()
            .chain(people.iter().filter(|p| matches(p)).map(|p| p.id))
            .filter(|p| !self.exclusions.contains(p))
            .filter(|p| !(self.active_only && inactive.contains(p)))
            .collect()
    }
}

/// What an admin configures when creating or editing a cycle.
///
/// Reading a config from JSON runs [`CycleConfig::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(remote = "Self")]
pub struct CycleConfig {
    /// Display name.
    pub name: String,
    /// The reviewed period.
    pub period: Period,
    /// Which review kinds run (default: all five).
    #[serde(default)]
    pub kinds: ReviewKinds,
    /// The question template of each kind that has one (default: none).
    #[serde(default)]
    pub templates: Vec<(ReviewKind, TemplateId)>,
    /// Settings (default: [`CycleSettings::default`]).
    #[serde(default)]
    pub settings: CycleSettings,
    /// Eligibility rules, evaluated at launch (with the explicit participant list).
    #[serde(default)]
    pub eligibility: Eligibility,
}

crate::domain::checked::checked_serde!(CycleSettings, CycleSettings::validate);
crate::domain::checked::checked_serde!(CycleConfig, CycleConfig::validate);

impl CycleConfig {
    /// A config with every kind on, no templates and default settings.
    #[must_use]
    pub fn new(name: impl Into<String>, period: Period) -> Self {
        Self {
            name: name.into(),
            period,
            kinds: ReviewKinds::default(),
            templates: Vec::new(),
            settings: CycleSettings::default(),
            eligibility: Eligibility::default(),
        }
    }

    /// Replaces the eligibility rules.
    #[must_use]
    pub fn with_eligibility(mut self, eligibility: Eligibility) -> Self {
        self.eligibility = eligibility;
        self
    }

    /// Replaces the settings.
    #[must_use]
    pub fn with_settings(mut self, settings: CycleSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Uses `template` for reviews of these kinds.
    #[must_use]
    pub fn with_template(
        mut self,
        template: TemplateId,
        kinds: impl IntoIterator<Item = ReviewKind>,
    ) -> Self {
        for kind in kinds {
            self.templates.retain(|(k, _)| *k != kind);
            self.templates.push((kind, template));
        }
        self
    }

    /// Replaces the review kinds.
    #[must_use]
    pub fn with_kinds(mut self, kinds: ReviewKinds) -> Self {
        self.kinds = kinds;
        self
    }

    /// Validates name, period and settings.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        for (i, (kind, _)) in self.templates.iter().enumerate() {
            if self.templates[..i].iter().any(|(k, _)| k == kind) {
                return Err(Error::invalid(
                    "templates",
                    format!("two templates for {kind} reviews"),
                ));
            }
        }
        if self.period.start > self.period.end {
            return Err(Error::invalid(
                "period",
                format!(
                    "starts `{}` after it ends `{}`",
                    self.period.start, self.period.end
                ),
            ));
        }
        self.settings.validate()
    }
}

impl State for CycleState {
    const MACHINE: &'static str = "cycle";
    const TRANSITIONS: &'static [Transition<Self>] = &[
        Transition {
            from: Self::Draft,
            to: Self::Active,
            command: "launch",
        },
        Transition {
            from: Self::Draft,
            to: Self::Deleted,
            command: "delete",
        },
        Transition {
            from: Self::Active,
            to: Self::Closed,
            command: "close",
        },
        Transition {
            from: Self::Closed,
            to: Self::Active,
            command: "reopen",
        },
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Closed => "closed",
            Self::Deleted => "deleted",
        }
    }
}

impl State for LockState {
    const MACHINE: &'static str = "cycle lock";
    const TRANSITIONS: &'static [Transition<Self>] = &[
        Transition {
            from: Self::Unlocked,
            to: Self::Locked,
            command: "lock",
        },
        Transition {
            from: Self::Locked,
            to: Self::Unlocked,
            command: "unlock",
        },
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Unlocked => "unlocked",
            Self::Locked => "locked",
        }
    }
}

/// A review cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Cycle {
    id: CycleId,
    config: CycleConfig,
    state: CycleState,
    lock: LockState,
    created_by: PersonId,
    created_at: DateTime<Utc>,
    collaborators: BTreeSet<PersonId>,
    participants: BTreeSet<PersonId>,
    /// The templates, frozen at launch.
    #[serde(default)]
    templates: Vec<crate::domain::Template>,
    /// The kinds of which a review was ever submitted: the first submit of a kind writes the
    /// cycle, so an edit racing it conflicts instead of loosening what the writer was promised.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    submitted_kinds: BTreeSet<ReviewKind>,
}

impl Cycle {
    /// Creates a draft cycle.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the config does not validate.
    pub fn create(
        id: CycleId,
        config: CycleConfig,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<(Self, Event)> {
        config.validate()?;
        let event = Event::new(
            at,
            Some(by),
            Some(id),
            EventKind::CycleCreated {
                name: config.name.clone(),
            },
        );
        let cycle = Self {
            id,
            config,
            state: CycleState::Draft,
            lock: LockState::Unlocked,
            created_by: by,
            created_at: at,
            collaborators: BTreeSet::new(),
            participants: BTreeSet::new(),
            templates: Vec::new(),
            submitted_kinds: BTreeSet::new(),
        };
        Ok((cycle, event))
    }

    /// The id.
    #[must_use]
    pub const fn id(&self) -> CycleId {
        self.id
    }

    /// The configuration.
    #[must_use]
    pub const fn config(&self) -> &CycleConfig {
        &self.config
    }

    /// The settings (shorthand for `config().settings`).
    #[must_use]
    pub const fn settings(&self) -> &CycleSettings {
        &self.config.settings
    }

    /// The lifecycle state.
    #[must_use]
    pub const fn state(&self) -> CycleState {
        self.state
    }

    /// Whether the cycle is locked.
    #[must_use]
    pub fn is_locked(&self) -> bool {
        self.lock == LockState::Locked
    }

    /// Who created it.
    #[must_use]
    pub const fn created_by(&self) -> PersonId {
        self.created_by
    }

    /// When it was created: what review-admin grants' `since` is compared with.
    #[must_use]
    pub const fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// The cycle's collaborators.
    #[must_use]
    pub const fn collaborators(&self) -> &BTreeSet<PersonId> {
        &self.collaborators
    }

    /// Whether the person is a collaborator of this cycle.
    #[must_use]
    #[inline]
    pub fn is_collaborator(&self, person: PersonId) -> bool {
        self.collaborators.contains(&person)
    }

    /// The participant list of a draft. Launch turns it into one packet per participant and
    /// empties it: from then on the packets are the participants (each found by
    /// [`PacketId::of`](crate::PacketId::of) the cycle and the person), so the cycle record
    /// stays small whatever the size of the company.
    #[must_use]
    pub const fn participants(&self) -> &BTreeSet<PersonId> {
        &self.participants
    }

    fn event(&self, by: PersonId, at: DateTime<Utc>, kind: EventKind) -> Event {
        Event::new(at, Some(by), Some(self.id), kind)
    }

    /// Freezes the templates the config names into the cycle (draft only; launch needs them):
    /// from then on the cycle validates answers against these copies, whatever happens to the
    /// template records. Checks every named template is given and valid, and that the
    /// consolidated rule refers to questions they ask.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] once launched, for a missing, extra or invalid template, or a formula
    /// referring to nothing.
    pub fn freeze_templates(&mut self, templates: Vec<crate::domain::Template>) -> Result<()> {
        if self.state != CycleState::Draft {
            return Err(Error::invalid("templates", "they are frozen at launch"));
        }
        for (kind, id) in &self.config.templates {
            if !templates.iter().any(|t| t.id == *id) {
                return Err(Error::invalid(
                    "templates",
                    format!("the {kind} template `{id}` is not given"),
                ));
            }
        }
        if let Some(extra) = templates
            .iter()
            .find(|t| !self.config.templates.iter().any(|(_, id)| *id == t.id))
        {
            return Err(Error::invalid(
                "templates",
                format!("template `{}` is not named by the cycle", extra.name),
            ));
        }
        for t in &templates {
            t.validate()?;
        }
        self.config
            .settings
            .consolidated
            .check_references(&templates)?;
        self.templates = templates;
        Ok(())
    }

    /// The frozen template reviews of `kind` answer, if any.
    #[must_use]
    pub fn template_for(&self, kind: ReviewKind) -> Option<&crate::domain::Template> {
        let (_, id) = self.config.templates.iter().find(|(k, _)| *k == kind)?;
        self.templates.iter().find(|t| t.id == *id)
    }

    /// The frozen templates.
    #[must_use]
    pub fn templates(&self) -> &[crate::domain::Template] {
        &self.templates
    }

    /// Whether a review of `kind` was ever submitted in this cycle: from then on the settings
    /// that protect its writers only get stricter ([`CycleSettings::check_promises`]).
    #[must_use]
    pub fn has_submitted(&self, kind: ReviewKind) -> bool {
        self.submitted_kinds.contains(&kind)
    }

    /// Records that a review of `kind` was submitted.
    pub(crate) fn note_submitted(&mut self, kind: ReviewKind) {
        self.submitted_kinds.insert(kind);
    }

    fn ensure_not_closed(&self) -> Result<()> {
        match self.state {
            CycleState::Draft | CycleState::Active => Ok(()),
            CycleState::Closed | CycleState::Deleted => Err(Error::invalid(
                "cycle",
                format!("`{}` is {}", self.config.name, self.state.name()),
            )),
        }
    }

    /// Replaces the configuration (draft or active cycles); the event keeps the configuration
    /// before and after. A launched cycle keeps the templates it froze and its review kinds:
    /// swapping either would leave answers checked against a form they were not written for.
    ///
    /// Once a review of a kind was submitted ([`Cycle::has_submitted`]), the settings that
    /// protect its writers can only be made stricter.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the config does not validate, changes a launched cycle's
    /// templates or kinds, loosens what a writer was promised, or the cycle is closed.
    pub fn edit(&mut self, config: CycleConfig, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.ensure_not_closed()?;
        config.validate()?;
        self.config
            .settings
            .check_promises(&config.settings, |kind| self.has_submitted(kind))?;
        if self.state != CycleState::Draft {
            if config.templates != self.config.templates {
                return Err(Error::invalid(
                    "templates",
                    "a launched cycle keeps the templates it froze: its reviews are written against them",
                ));
            }
            if config.kinds != self.config.kinds {
                return Err(Error::invalid(
                    "kinds",
                    "a launched cycle keeps its review kinds: its packets were made for them",
                ));
            }
        }
        let changes = config_changes(&self.config, &config)?;
        self.config = config;
        Ok(self.event(by, at, EventKind::CycleEdited { changes }))
    }

    /// Adds a collaborator.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the person already collaborates or the cycle is closed.
    pub fn add_collaborator(
        &mut self,
        person: PersonId,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        self.ensure_not_closed()?;
        if !self.collaborators.insert(person) {
            return Err(Error::invalid(
                "collaborator",
                format!("`{person}` already collaborates on this cycle"),
            ));
        }
        Ok(self.event(by, at, EventKind::CollaboratorAdded { person }))
    }

    /// Removes a collaborator.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the person is not a collaborator.
    pub fn remove_collaborator(
        &mut self,
        person: PersonId,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if !self.collaborators.remove(&person) {
            return Err(Error::NotFound {
                what: "collaborator",
                id: person.to_string(),
            });
        }
        Ok(self.event(by, at, EventKind::CollaboratorRemoved { person }))
    }

    /// Resolves the participant list from the explicit list and the eligibility rules against
    /// `people` (draft only; the engine does this at launch).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] once launched.
    pub fn resolve_participants(&mut self, people: &[crate::domain::Person]) -> Result<()> {
        if self.state != CycleState::Draft {
            return Err(Error::invalid(
                "participants",
                "they are resolved at launch",
            ));
        }
        let rules = &self.config.eligibility;
        // Nothing to add or take away: the explicit list stands as it is (a company-wide
        // cycle lists a hundred thousand people; rebuilding the same set costs milliseconds).
        let unchanged = !rules.has_rules()
            && rules.exclusions.is_empty()
            && (!rules.active_only || people.iter().all(|p| p.active));
        if !unchanged {
            self.participants = rules.evaluate(&self.participants, people);
        }
        Ok(())
    }

    /// Replaces the explicit participant list (draft only).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`]-style refusal as [`Error::Invalid`] once launched.
    pub fn set_participants(
        &mut self,
        participants: impl IntoIterator<Item = PersonId>,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if self.state != CycleState::Draft {
            return Err(Error::invalid(
                "participants",
                "the list is frozen at launch; add or remove participants one by one",
            ));
        }
        let after: BTreeSet<PersonId> = participants.into_iter().collect();
        let added = after.difference(&self.participants).copied().collect();
        let removed = self.participants.difference(&after).copied().collect();
        self.participants = after;
        Ok(self.event(
            by,
            at,
            EventKind::ParticipantsSet {
                added,
                removed,
                count: self.participants.len(),
            },
        ))
    }

    fn go(&mut self, to: CycleState, command: &str) -> Result<()> {
        transition::check(self.state, to, command)?;
        self.state = to;
        Ok(())
    }

    /// `draft → active`. Packets are made by [`launch`](crate::domain::launch::launch), which calls this.
    pub(crate) fn activate(
        &mut self,
        by: PersonId,
        at: DateTime<Utc>,
        packets: usize,
    ) -> Result<Event> {
        self.go(CycleState::Active, "launch")?;
        // From now on the packets are the participants: the list would only make every write
        // of the cycle record as large as the company.
        self.participants = BTreeSet::new();
        Ok(self.event(by, at, EventKind::CycleLaunched { packets }))
    }

    /// `draft → deleted`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] unless the cycle is a draft.
    pub fn delete(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.go(CycleState::Deleted, "delete")?;
        Ok(self.event(by, at, EventKind::CycleDeleted))
    }

    /// `active → closed`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] unless the cycle is active.
    pub fn close(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.go(CycleState::Closed, "close")?;
        Ok(self.event(by, at, EventKind::CycleClosed))
    }

    /// `closed → active`: an admin reopens a closed cycle (audited).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] unless the cycle is closed.
    pub fn reopen(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.go(CycleState::Active, "reopen")?;
        Ok(self.event(by, at, EventKind::CycleReopened))
    }

    /// `unlocked → locked`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] when already locked.
    pub fn lock(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        transition::check(self.lock, LockState::Locked, "lock")?;
        self.lock = LockState::Locked;
        Ok(self.event(by, at, EventKind::CycleLocked))
    }

    /// `locked → unlocked`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] when not locked.
    pub fn unlock(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        transition::check(self.lock, LockState::Unlocked, "unlock")?;
        self.lock = LockState::Unlocked;
        Ok(self.event(by, at, EventKind::CycleUnlocked))
    }
}

/// The fields of a cycle's configuration that differ, each with its JSON before and after; a
/// setting is named `settings.<name>`.
fn config_changes(
    before: &CycleConfig,
    after: &CycleConfig,
) -> Result<Vec<crate::domain::event::FieldChange>> {
    use serde_json::Value;
    let json = |c: &CycleConfig| {
        serde_json::to_value(c).map_err(|e| Error::invalid("config", e.to_string()))
    };
    let flat = |v: Value| -> Vec<(String, Value)> {
        let Value::Object(top) = v else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in top {
            match (k.as_str(), v) {
                ("settings", Value::Object(settings)) => {
                    out.extend(
                        settings
                            .into_iter()
                            .map(|(s, v)| (format!("settings.{s}"), v)),
                    );
                }
                (_, v) => out.push((k, v)),
            }
        }
        out
    };
    let (old, new) = (flat(json(before)?), flat(json(after)?));
    let text = |v: Option<&Value>| v.map_or_else(|| "null".to_owned(), Value::to_string);
    let mut fields: Vec<&String> = old.iter().chain(&new).map(|(k, _)| k).collect();
    fields.sort();
    fields.dedup();
    fn find<'a>(list: &'a [(String, serde_json::Value)], k: &str) -> Option<&'a serde_json::Value> {
        list.iter().find(|(f, _)| f == k).map(|(_, v)| v)
    }
    Ok(fields
        .into_iter()
        .filter_map(|field| {
            let (b, a) = (find(&old, field), find(&new, field));
            (b != a).then(|| crate::domain::event::FieldChange {
                field: field.clone(),
                before: text(b),
                after: text(a),
            })
        })
        .collect())
}
