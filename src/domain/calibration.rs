//! Calibration sessions: who calibrates whom.
//!
//! The session table ([`CalibrationState::TRANSITIONS`]):
//!
//! | from | to | command |
//! |---|---|---|
//! | `draft` | `open` | open |
//! | `open` | `closed` | close |
//!
//! While a session is open its contributors gain `contrib(P, S)` for each of its participants
//! (R-READ-7, R-WRITE-11).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::event::{Event, EventKind};
use crate::domain::transition::{self, State, Transition};
use crate::domain::{CalibrationSessionId, CycleId, PersonId, Result};

/// The state of a calibration session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CalibrationState {
    /// Being prepared.
    Draft,
    /// Contributors calibrate.
    Open,
    /// Done.
    Closed,
}

impl State for CalibrationState {
    const MACHINE: &'static str = "calibration session";
    const TRANSITIONS: &'static [Transition<Self>] = &[
        Transition {
            from: Self::Draft,
            to: Self::Open,
            command: "open",
        },
        Transition {
            from: Self::Open,
            to: Self::Closed,
            command: "close",
        },
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// A calibration session of a cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CalibrationSession {
    id: CalibrationSessionId,
    cycle: CycleId,
    name: String,
    state: CalibrationState,
    participants: BTreeSet<PersonId>,
    contributors: BTreeSet<PersonId>,
}

impl CalibrationSession {
    /// A draft session.
    #[must_use]
    pub fn create(
        id: CalibrationSessionId,
        cycle: CycleId,
        name: impl Into<String>,
        participants: impl IntoIterator<Item = PersonId>,
        contributors: impl IntoIterator<Item = PersonId>,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> (Self, Event) {
        let session = Self {
            id,
            cycle,
            name: name.into(),
            state: CalibrationState::Draft,
            participants: participants.into_iter().collect(),
            contributors: contributors.into_iter().collect(),
        };
        let event = Event::new(
            at,
            Some(by),
            Some(cycle),
            EventKind::CalibrationCreated { session: id },
        );
        (session, event)
    }

    /// The id.
    #[must_use]
    pub const fn id(&self) -> CalibrationSessionId {
        self.id
    }

    /// The cycle.
    #[must_use]
    pub const fn cycle(&self) -> CycleId {
        self.cycle
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The state.
    #[must_use]
    pub const fn state(&self) -> CalibrationState {
        self.state
    }

    /// Whether the session is open.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.state == CalibrationState::Open
    }

    /// The participants being calibrated.
    #[must_use]
    pub const fn participants(&self) -> &BTreeSet<PersonId> {
        &self.participants
    }

    /// The contributors.
    #[must_use]
    pub const fn contributors(&self) -> &BTreeSet<PersonId> {
        &self.contributors
    }

    fn go(
        &mut self,
        to: CalibrationState,
        command: &str,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        transition::check(self.state, to, command)?;
        self.state = to;
        Ok(Event::new(
            at,
            Some(by),
            Some(self.cycle),
            EventKind::CalibrationMoved {
                session: self.id,
                open: to == CalibrationState::Open,
            },
        ))
    }

    /// `draft → open`.
    ///
    /// # Errors
    ///
    /// [`crate::domain::Error::InvalidTransition`] unless draft.
    pub fn open(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.go(CalibrationState::Open, "open", by, at)
    }

    /// `open → closed`.
    ///
    /// # Errors
    ///
    /// [`crate::domain::Error::InvalidTransition`] unless open.
    pub fn close(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.go(CalibrationState::Closed, "close", by, at)
    }

    /// Whether this open session calibrates `subject`.
    #[must_use]
    pub fn calibrates(&self, subject: PersonId) -> bool {
        self.is_open() && self.participants.contains(&subject)
    }

    /// Replaces the participants and contributors (DOMAIN.md: both may change until the
    /// session closes). The event lists who came and who went, on each side.
    ///
    /// # Errors
    ///
    /// [`crate::domain::Error::Invalid`] once the session is closed; nothing changes then.
    pub fn set_members(
        &mut self,
        participants: BTreeSet<PersonId>,
        contributors: BTreeSet<PersonId>,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if self.state == CalibrationState::Closed {
            return Err(crate::domain::Error::invalid(
                "session",
                format!("`{}` is closed: its members no longer change", self.name),
            ));
        }
        let diff = |before: &BTreeSet<PersonId>, after: &BTreeSet<PersonId>| {
            (
                after.difference(before).copied().collect::<Vec<_>>(),
                before.difference(after).copied().collect::<Vec<_>>(),
            )
        };
        let (participants_added, participants_removed) = diff(&self.participants, &participants);
        let (contributors_added, contributors_removed) = diff(&self.contributors, &contributors);
        self.participants = participants;
        self.contributors = contributors;
        Ok(Event::new(
            at,
            Some(by),
            Some(self.cycle),
            EventKind::CalibrationMembersChanged {
                session: self.id,
                participants_added,
                participants_removed,
                contributors_added,
                contributors_removed,
            },
        ))
    }
}

/// The open session of the cycle that calibrates `subject`, if any: a calibrated rating
/// changes only inside one (DOMAIN.md, calibration).
///
/// # Errors
///
/// [`crate::domain::Error::Invalid`] naming the subject when no open session includes them.
pub fn open_session_of<'a>(
    sessions: &'a [CalibrationSession],
    cycle: CycleId,
    subject: PersonId,
    name: &str,
) -> Result<&'a CalibrationSession> {
    sessions
        .iter()
        .find(|s| s.cycle == cycle && s.calibrates(subject))
        .ok_or_else(|| {
            crate::domain::Error::invalid(
                "calibrated rating",
                format!(
                    "no open calibration session includes {name}: ratings change only inside one"
                ),
            )
        })
}

/// A third of the scale, for the 9-box grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The lowest third.
    Low,
    /// The middle third.
    Medium,
    /// The highest third.
    High,
}

impl Level {
    /// The third of `scale` that `value` falls in.
    #[must_use]
    pub fn of(value: f64, scale: &crate::domain::RatingScale) -> Self {
        let (min, max) = (f64::from(scale.min), f64::from(scale.max));
        let third = (max - min) / 3.0;
        if value < min + third {
            Self::Low
        } else if value >= min + 2.0 * third {
            Self::High
        } else {
            Self::Medium
        }
    }
}

/// How many calibrated participants sit at one scale point, against the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PointShare {
    /// The scale point (results are rounded half up to a point).
    pub point: u8,
    /// How many participants.
    pub count: usize,
    /// Their share of the rated participants, in percent.
    pub share: f64,
    /// The target share, when the cycle sets one.
    pub target: Option<u8>,
    /// Whether the share is further from the target than the tolerance.
    pub off_target: bool,
}

/// One cell of the 9-box grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NineBoxCell {
    /// Performance third (the result rating).
    pub performance: Level,
    /// Potential third (the manager's potential rating).
    pub potential: Level,
    /// Who sits there.
    pub people: Vec<crate::domain::PersonId>,
}

/// One participant's input to a calibration report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationEntry {
    /// The participant.
    pub person: crate::domain::PersonId,
    /// Their result rating (calibrated, else consolidated), if any.
    pub result: Option<crate::domain::vocab::Score>,
    /// Their potential rating, if the template asks for one and it was given.
    pub potential: Option<u8>,
}

/// A session's distribution and 9-box grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CalibrationReport {
    /// Per scale point, lowest first.
    pub distribution: Vec<PointShare>,
    /// Whether any point is off target.
    pub off_target: bool,
    /// The nine cells, low-low first (only when potential ratings exist).
    pub nine_box: Vec<NineBoxCell>,
    /// Participants without a result rating yet.
    pub unrated: Vec<crate::domain::PersonId>,
}

/// The distribution of results per scale point, against `target` (percent per point) with
/// `tolerance` (percentage points), and the 9-box grid of performance × potential.
#[must_use]
pub fn calibration_report(
    entries: &[CalibrationEntry],
    scale: &crate::domain::RatingScale,
    target: &[(u8, u8)],
    tolerance: u8,
) -> CalibrationReport {
    let rated: Vec<&CalibrationEntry> = entries.iter().filter(|e| e.result.is_some()).collect();
    // The nearest whole point; a result beyond every point a scale can have counts on none.
    let point_of = |e: &CalibrationEntry| {
        e.result
            .and_then(|s| u8::try_from((u32::from(s.hundredths()) + 50) / 100).ok())
    };
    let total = rated.len().max(1) as f64;
    let distribution: Vec<PointShare> = (scale.min..=scale.max)
        .map(|point| {
            let count = rated.iter().filter(|e| point_of(e) == Some(point)).count();
            let share = count as f64 * 100.0 / total;
            let target = target.iter().find(|(p, _)| *p == point).map(|(_, t)| *t);
            let off_target = !rated.is_empty()
                && target.is_some_and(|t| (share - f64::from(t)).abs() > f64::from(tolerance));
            PointShare {
                point,
                count,
                share,
                target,
                off_target,
            }
        })
        .collect();
    let mut nine_box = Vec::new();
    if rated.iter().any(|e| e.potential.is_some()) {
        for potential in [Level::Low, Level::Medium, Level::High] {
            for performance in [Level::Low, Level::Medium, Level::High] {
                let people = rated
                    .iter()
                    .filter(|e| {
                        e.result
                            .is_some_and(|r| Level::of(r.value(), scale) == performance)
                            && e.potential
                                .is_some_and(|p| Level::of(f64::from(p), scale) == potential)
                    })
                    .map(|e| e.person)
                    .collect();
                nine_box.push(NineBoxCell {
                    performance,
                    potential,
                    people,
                });
            }
        }
    }
    CalibrationReport {
        off_target: distribution.iter().any(|p| p.off_target),
        distribution,
        nine_box,
        unrated: entries
            .iter()
            .filter(|e| e.result.is_none())
            .map(|e| e.person)
            .collect(),
    }
}

impl std::fmt::Display for CalibrationReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{:>5} {:>6} {:>7} {:>7}",
            "point", "people", "share", "target"
        )?;
        for p in &self.distribution {
            let target = p.target.map_or_else(|| "—".to_owned(), |t| format!("{t}%"));
            let flag = if p.off_target { "  off target" } else { "" };
            writeln!(
                f,
                "{:>5} {:>6} {:>6.1}% {:>7}{flag}",
                p.point, p.count, p.share, target
            )?;
        }
        if !self.nine_box.is_empty() {
            writeln!(
                f,
                "9-box (potential ↓ high first, performance → low to high):"
            )?;
            for potential in [Level::High, Level::Medium, Level::Low] {
                let row: Vec<String> = [Level::Low, Level::Medium, Level::High]
                    .iter()
                    .map(|perf| {
                        self.nine_box
                            .iter()
                            .find(|c| c.potential == potential && c.performance == *perf)
                            .map_or(0, |c| c.people.len())
                            .to_string()
                    })
                    .collect();
                writeln!(f, "  {:<6} {}", format!("{potential:?}"), row.join(" | "))?;
            }
        }
        if !self.unrated.is_empty() {
            writeln!(f, "{} participants have no rating yet", self.unrated.len())?;
        }
        Ok(())
    }
}
