//! Progress of a cycle: packets per state and reviews per kind, counted from packets alone.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::{Packet, PacketState, ReviewKind};

/// Review counts of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KindProgress {
    /// Assigned and not cancelled.
    pub assigned: usize,
    /// Submitted.
    pub submitted: usize,
    /// A draft saved, not submitted.
    pub draft: usize,
    /// Nothing saved yet.
    pub not_started: usize,
    /// Not submitted although the kind's window is past due.
    pub overdue: usize,
}

/// A cycle's progress: packets per state and reviews per kind (withdrawn packets excluded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Progress {
    /// Packets counted (not withdrawn).
    pub packets: usize,
    /// Withdrawn packets (not counted anywhere else).
    pub withdrawn: usize,
    /// Packets per state.
    pub by_state: BTreeMap<PacketState, usize>,
    /// Reviews per kind.
    pub by_kind: BTreeMap<ReviewKind, KindProgress>,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<20} {:>8}", "packet state", "packets")?;
        for state in PacketState::ALL {
            let n = self.by_state.get(&state).copied().unwrap_or(0);
            writeln!(
                f,
                "{:<20} {n:>8}",
                crate::domain::transition::State::name(state)
            )?;
        }
        writeln!(f, "{:<20} {:>8}", "withdrawn", self.withdrawn)?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<20} {:>9} {:>8} {:>11} {:>8} {:>9}",
            "review kind", "submitted", "in draft", "not started", "overdue", "assigned"
        )?;
        for kind in ReviewKind::ALL {
            let k = self.by_kind.get(&kind).copied().unwrap_or_default();
            writeln!(
                f,
                "{:<20} {:>9} {:>8} {:>11} {:>8} {:>9}",
                kind.name(),
                k.submitted,
                k.draft,
                k.not_started,
                k.overdue,
                k.assigned
            )?;
        }
        Ok(())
    }
}

/// Progress counted in fixed arrays (no map lookups per packet), added to a [`Progress`] once.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tally {
    packets: usize,
    withdrawn: usize,
    by_state: [usize; 8],
    by_kind: [KindProgress; 5],
}

impl Tally {
    pub(crate) fn count(&mut self, p: &Packet, overdue: &impl Fn(ReviewKind) -> bool) {
        if p.is_withdrawn() {
            self.withdrawn += 1;
            return;
        }
        self.packets += 1;
        if let Some(i) = PacketState::ALL.iter().position(|s| *s == p.state()) {
            self.by_state[i] += 1;
        }
        for kind in ReviewKind::ALL {
            let t = p.tally(kind);
            let k = &mut self.by_kind[kind.index()];
            k.assigned = k.assigned.saturating_add(count(t.assigned));
            k.submitted = k.submitted.saturating_add(count(t.submitted));
            k.draft = k.draft.saturating_add(count(t.draft));
            k.not_started = k.not_started.saturating_add(count(t.not_started()));
            if overdue(kind) {
                let late = count(t.assigned.saturating_sub(t.submitted));
                k.overdue = k.overdue.saturating_add(late);
            }
        }
    }

    /// Adds one packet, `overdue` aside: the counts a storage backend keeps per cycle.
    pub(crate) fn add_packet(&mut self, p: &Packet) {
        self.count(p, &|_| false);
    }

    /// Takes away what [`add_packet`](Self::add_packet) added for this packet.
    pub(crate) fn remove_packet(&mut self, p: &Packet) {
        let mut one = Self::default();
        one.add_packet(p);
        self.packets = self.packets.saturating_sub(one.packets);
        self.withdrawn = self.withdrawn.saturating_sub(one.withdrawn);
        for (n, m) in self.by_state.iter_mut().zip(one.by_state) {
            *n = n.saturating_sub(m);
        }
        for (k, m) in self.by_kind.iter_mut().zip(one.by_kind) {
            k.assigned = k.assigned.saturating_sub(m.assigned);
            k.submitted = k.submitted.saturating_sub(m.submitted);
            k.draft = k.draft.saturating_sub(m.draft);
            k.not_started = k.not_started.saturating_sub(m.not_started);
        }
    }

    /// The counts as a [`Progress`].
    pub(crate) fn progress(&self) -> Progress {
        let mut progress = Progress::default();
        self.add_to(&mut progress);
        progress
    }

    /// Adds another tally's counts to this one.
    pub(crate) fn absorb(&mut self, other: &Self) {
        self.packets += other.packets;
        self.withdrawn += other.withdrawn;
        for (n, m) in self.by_state.iter_mut().zip(other.by_state) {
            *n += m;
        }
        for (k, m) in self.by_kind.iter_mut().zip(other.by_kind) {
            k.assigned += m.assigned;
            k.submitted += m.submitted;
            k.draft += m.draft;
            k.not_started += m.not_started;
            k.overdue += m.overdue;
        }
    }

    pub(crate) fn add_to(&self, progress: &mut Progress) {
        progress.packets += self.packets;
        progress.withdrawn += self.withdrawn;
        for (state, n) in PacketState::ALL.iter().zip(self.by_state) {
            if n > 0 {
                *progress.by_state.entry(*state).or_default() += n;
            }
        }
        for kind in ReviewKind::ALL {
            let t = self.by_kind[kind.index()];
            let k = progress.by_kind.entry(kind).or_default();
            k.assigned += t.assigned;
            k.submitted += t.submitted;
            k.draft += t.draft;
            k.not_started += t.not_started;
            k.overdue += t.overdue;
        }
    }
}

/// A manager's team progress: direct reports and the whole extended team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TeamProgress {
    /// Participants reporting directly to the manager.
    pub direct: Progress,
    /// Every participant below the manager, direct reports included.
    pub extended: Progress,
}

impl fmt::Display for TeamProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "direct team ({} packets)\n{}",
            self.direct.packets, self.direct
        )?;
        write!(
            f,
            "extended team ({} packets)\n{}",
            self.extended.packets, self.extended
        )
    }
}

/// A packet's count as a progress count: `u32` always fits a `usize` on the platforms the
/// crate builds for; should it not, the count saturates rather than wraps.
pub(crate) fn count(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
