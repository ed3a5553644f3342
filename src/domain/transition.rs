//! Transition tables: the one place that says which state may follow which.
//!
//! Every state machine of the crate ([cycles](crate::domain::CycleState), [packets](crate::domain::PacketState),
//! [reviews](crate::domain::ReviewState), [nominations](crate::domain::NominationState),
//! [calibration sessions](crate::domain::CalibrationState)) has a `const TRANSITIONS` table of
//! [`Transition`]s. State-changing methods look their edge up in that table and refuse anything
//! else with [`Error::InvalidTransition`]; nothing else mutates state. [`render`] prints a table
//! as Markdown, which is how the tables in these docs are produced (a test keeps them in step).

use std::fmt::Write as _;

use crate::domain::Error;

/// A state of one of the crate's state machines.
pub trait State: Copy + Eq + 'static {
    /// The machine's name in messages (`cycle`, `packet`, ...).
    const MACHINE: &'static str;
    /// Every allowed edge.
    const TRANSITIONS: &'static [Transition<Self>];
    /// The state's name in messages and tables (`manager_submitted`).
    fn name(self) -> &'static str;
}

/// One allowed edge of a state machine: the command that takes `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition<S: 'static> {
    /// The state before.
    pub from: S,
    /// The state after.
    pub to: S,
    /// The command that performs it.
    pub command: &'static str,
}

/// Checks that the machine's table has the edge `from → to` for `command`.
///
/// The command matters: `assigned → draft` is an edge for "save draft" but not for "reopen",
/// and `pending_approval → writing` is "send back", not "close nominations". A table command
/// with a condition in parentheses ("finish writing (calibration on)") matches its bare name.
pub(crate) fn check<S: State>(from: S, to: S, command: &str) -> Result<(), Error> {
    let matches = |t: &Transition<S>| {
        t.from == from
            && t.to == to
            && (t.command == command
                || t.command
                    .strip_prefix(command)
                    .is_some_and(|rest| rest.starts_with(" (")))
    };
    if S::TRANSITIONS.iter().any(matches) {
        Ok(())
    } else {
        Err(Error::InvalidTransition {
            machine: S::MACHINE,
            from: from.name(),
            to: to.name(),
        })
    }
}

/// Renders a machine's table as Markdown (`| from | to | command |`).
#[must_use]
pub fn render<S: State>() -> String {
    let mut out = String::from("| from | to | command |\n|---|---|---|\n");
    for t in S::TRANSITIONS {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} |",
            t.from.name(),
            t.to.name(),
            t.command
        );
    }
    out
}
