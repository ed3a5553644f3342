//! The log of changes to a launched cycle's org snapshot.
//!
//! A launch stores the cycle's [`OrgSnapshot`] once, and starts the cycle's org log with an
//! [`OrgEdit::Launched`] entry. Every later change to the org (a manager change, a hire joining
//! the cycle, a leaver) is one small [`OrgChange`], the entries numbered from 1 without gaps,
//! and the cycle's [`OrgHead`] counts them: its version is that count. The cycle's org at
//! version `n` is the launch snapshot with entries `1..=n` applied in order, so a change writes
//! two small records whatever the size of the company, and an engine that holds the org at
//! version `k` catches up by applying entries `k + 1..=n`. (A cycle launched before the log
//! existed has no head until its first change, and no `Launched` entry.)

use serde::{Deserialize, Serialize};

use crate::domain::{CycleId, OrgSnapshot, Person, PersonId, Result};

/// One change to a launched cycle's org, as its log stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OrgChange {
    /// The cycle.
    pub cycle: CycleId,
    /// Its number in the cycle's log: 1 for the first change, then one more for each.
    pub seq: u64,
    /// What changed.
    pub edit: OrgEdit,
}

/// What an [`OrgChange`] changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OrgEdit {
    /// The cycle launched with the snapshot stored then: the first entry of the log of every
    /// cycle launched since the log exists. Nothing to apply.
    Launched,
    /// `person` reports to `manager` from now on (`None`: to nobody), their team with them.
    ManagerChanged {
        /// Who moves.
        person: PersonId,
        /// Their new manager.
        manager: Option<PersonId>,
    },
    /// A hire joined the org (to take part in the running cycle).
    Joined {
        /// The new person, as the directory knew them.
        person: Person,
    },
    /// `person` left: inactive from now on.
    Left {
        /// Who left.
        person: PersonId,
    },
}

impl OrgEdit {
    /// Applies the change to `org` in place: a manager change or a leaver in time proportional
    /// to what moves, a hire by rebuilding the snapshot (linear in its size).
    ///
    /// # Errors
    ///
    /// As [`OrgSnapshot::set_manager`], [`OrgSnapshot::with_person_added`] and
    /// [`OrgSnapshot::mark_left`]; `org` is unchanged then.
    pub fn apply(&self, org: &mut OrgSnapshot) -> Result<()> {
        match self {
            Self::Launched => Ok(()),
            Self::ManagerChanged { person, manager } => org.set_manager(*person, *manager),
            Self::Joined { person } => {
                *org = org.with_person_added(person.clone())?;
                Ok(())
            }
            Self::Left { person } => org.mark_left(*person),
        }
    }
}

/// The head of a launched cycle's org log. Its stored version is the number of
/// [`OrgChange`]s the log holds (each change writes the head again), so reading that version is
/// enough to know whether a cached org is current, and a command that relied on the org checks
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OrgHead {
    /// The cycle.
    pub cycle: CycleId,
}
