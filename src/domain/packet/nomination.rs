//! Peer nominations.
//!
//! The nomination table ([`NominationState::TRANSITIONS`]):
//!
//! | from | to | command |
//! |---|---|---|
//! | `pending` | `approved` | approve |
//! | `pending` | `denied` | deny |
//! | `pending` | `declined` | decline |
//! | `approved` | `declined` | decline |

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::event::{Event, EventKind};
use crate::domain::packet::Packet;
use crate::domain::transition::{self, State, Transition};
use crate::domain::vocab::{Actor, NominationState};
use crate::domain::{CycleId, CycleSettings, Error, NominationId, PacketId, PersonId, Result};

impl State for NominationState {
    const MACHINE: &'static str = "nomination";
    const TRANSITIONS: &'static [Transition<Self>] = &[
        Transition {
            from: Self::Pending,
            to: Self::Approved,
            command: "approve",
        },
        Transition {
            from: Self::Pending,
            to: Self::Denied,
            command: "deny",
        },
        Transition {
            from: Self::Pending,
            to: Self::Declined,
            command: "decline",
        },
        Transition {
            from: Self::Approved,
            to: Self::Declined,
            command: "decline",
        },
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Declined => "declined",
        }
    }
}

/// A nomination of a peer for a participant.
///
/// Reading a nomination checks that it does not nominate the subject as their own peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(remote = "Self")]
pub struct Nomination {
    pub(crate) id: NominationId,
    pub(crate) cycle: CycleId,
    pub(crate) packet: PacketId,
    pub(crate) subject: PersonId,
    pub(crate) nominee: PersonId,
    pub(crate) nominated_by: PersonId,
    pub(crate) state: NominationState,
    pub(crate) reason: Option<String>,
}

crate::domain::checked::checked_serde!(Nomination, Nomination::check);

impl Nomination {
    /// Whether the nomination holds what the commands keep true (see the type's docs).
    fn check(&self) -> Result<()> {
        if self.nominee == self.subject {
            return Err(Error::invalid(
                format!("nomination `{}`", self.id),
                "nominates the subject as their own peer",
            ));
        }
        Ok(())
    }

    /// Nominates `nominee` as a peer of the packet's participant.
    ///
    /// `existing` are the packet's other nominations: a nominee already pending or approved is
    /// a duplicate, and pending plus approved nominations may not exceed `max_peers`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a withdrawn (read-only) packet, a self-peer, a duplicate, or too
    /// many peers.
    pub fn create(
        id: NominationId,
        packet: &Packet,
        nominee: PersonId,
        existing: &[Nomination],
        settings: &CycleSettings,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<(Self, Event)> {
        packet.ensure_live()?;
        if nominee == packet.subject() {
            return Err(Error::invalid(
                "nominee",
                "a person cannot be their own peer",
            ));
        }
        let live = existing.iter().filter(|n| {
            n.packet == packet.id()
                && matches!(
                    n.state,
                    NominationState::Pending | NominationState::Approved
                )
        });
        let mut count = 0usize;
        for n in live {
            if n.nominee == nominee {
                return Err(Error::invalid(
                    "nominee",
                    format!("`{nominee}` is already nominated"),
                ));
            }
            count += 1;
        }
        if count >= usize::from(settings.max_peers) {
            return Err(Error::invalid(
                "nominee",
                format!("at most {} peers per participant", settings.max_peers),
            ));
        }
        let nomination = Self {
            id,
            cycle: packet.cycle(),
            packet: packet.id(),
            subject: packet.subject(),
            nominee,
            nominated_by: by,
            state: NominationState::Pending,
            reason: None,
        };
        let event = Event::new(
            at,
            Some(by),
            Some(nomination.cycle),
            EventKind::NominationCreated {
                nomination: id,
                subject: nomination.subject,
                nominee,
            },
        );
        Ok((nomination, event))
    }

    /// The id.
    #[must_use]
    pub const fn id(&self) -> NominationId {
        self.id
    }

    /// The cycle.
    #[must_use]
    pub const fn cycle(&self) -> CycleId {
        self.cycle
    }

    /// The participant's packet.
    #[must_use]
    pub const fn packet(&self) -> PacketId {
        self.packet
    }

    /// The participant.
    #[must_use]
    pub const fn subject(&self) -> PersonId {
        self.subject
    }

    /// The nominated peer.
    #[must_use]
    pub const fn nominee(&self) -> PersonId {
        self.nominee
    }

    /// Who nominated.
    #[must_use]
    pub const fn nominated_by(&self) -> PersonId {
        self.nominated_by
    }

    /// The state.
    #[must_use]
    pub const fn state(&self) -> NominationState {
        self.state
    }

    /// The reason given with the last decision, if any.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// Moves to `to` with an optional reason.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] from the nomination table.
    pub fn decide(
        &mut self,
        to: NominationState,
        reason: Option<&str>,
        by: impl Into<Actor>,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        let command = match to {
            NominationState::Approved => "approve",
            NominationState::Denied => "deny",
            NominationState::Declined => "decline",
            NominationState::Pending => "nominate",
        };
        transition::check(self.state, to, command)?;
        self.state = to;
        self.reason = reason.map(str::to_owned);
        Ok(Event::new(
            at,
            by.into().person(),
            Some(self.cycle),
            EventKind::NominationDecided {
                nomination: self.id,
                state: to,
                reason: self.reason.clone(),
            },
        ))
    }
}
