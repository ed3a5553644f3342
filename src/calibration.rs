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

use crate::event::{Event, EventKind};
use crate::transition::{self, State, Transition};
use crate::{CalibrationSessionId, CycleId, PersonId, Result};

/// The state of a calibration session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// [`crate::Error::InvalidTransition`] unless draft.
    pub fn open(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.go(CalibrationState::Open, "open", by, at)
    }

    /// `open → closed`.
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidTransition`] unless open.
    pub fn close(&mut self, by: PersonId, at: DateTime<Utc>) -> Result<Event> {
        self.go(CalibrationState::Closed, "close", by, at)
    }
}
