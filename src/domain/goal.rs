//! Goals (OKRs, projects) a person owned in a period: what the goals section reviews.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{GoalId, Period, PersonId};

/// A goal, as the host's goal system knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Goal {
    /// Stable id.
    pub id: GoalId,
    /// Who owns it.
    pub owner: PersonId,
    /// What it is.
    pub title: String,
    /// Progress in percent, 0–100.
    pub progress: u8,
    /// Relative weight among the owner's goals (used by goal-based scores; 0 counts as 1).
    pub weight: u8,
    /// First day it runs.
    pub start: NaiveDate,
    /// Last day it runs.
    pub end: NaiveDate,
}

impl Goal {
    /// Whether the goal runs at some point of `period`.
    #[must_use]
    pub fn overlaps(&self, period: &Period) -> bool {
        self.start <= period.end && self.end >= period.start
    }
}
