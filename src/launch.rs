//! Launch: freezing the participant list into packets with default assignments.

use chrono::{DateTime, Utc};

use crate::cycle::CycleState;
use crate::event::{Event, EventKind};
use crate::id::IdSource;
use crate::org::OrgSnapshot;
use crate::packet::{Packet, PacketState};
use crate::review::Review;
use crate::transition;
use crate::{Cycle, Error, PacketId, PersonId, Result, ReviewKind};

/// One participant's packet with the default assignments of DOMAIN.md (see [`launch`]), its
/// reviews and events: what launch makes for everyone, and what adding a participant after
/// launch makes for them.
///
/// # Errors
///
/// [`Error::Invalid`] when the person is not in the snapshot.
pub fn packet_for(
    cycle: &Cycle,
    snapshot: &OrgSnapshot,
    subject: PersonId,
    ids: &mut dyn IdSource,
    by: PersonId,
    at: DateTime<Utc>,
) -> Result<(Packet, Vec<Review>, Vec<Event>)> {
    if !snapshot.contains(subject) {
        return Err(Error::invalid(
            "participants",
            format!("`{subject}` is not in the org snapshot"),
        ));
    }
    let kinds = cycle.config().kinds;
    let first_state = if kinds.peer {
        PacketState::Nominating
    } else {
        PacketState::Writing
    };
    let mut packet = Packet::new(
        PacketId::from_uuid(ids.next_uuid()),
        cycle.id(),
        subject,
        first_state,
    );
    let mut reviews = Vec::new();
    packet.manager = snapshot.manager_of(subject);
    packet.default_additional_manager = snapshot
        .person(subject)
        .and_then(|p| p.additional_manager)
        .filter(|&a| a != subject);
    let mut assign = |packet: &mut Packet, kind: ReviewKind, author: PersonId| -> Result<()> {
        // The assignment is recorded in the packet's one creation event below.
        let (review, _) = packet.assign(&kinds, kind, author, ids, Some(by), at)?;
        reviews.push(review);
        Ok(())
    };
    if kinds.self_review {
        assign(&mut packet, ReviewKind::SelfReview, subject)?;
    }
    if let (true, Some(m)) = (kinds.manager, packet.manager) {
        assign(&mut packet, ReviewKind::Manager, m)?;
    }
    if let (true, Some(a)) = (kinds.additional_manager, packet.default_additional_manager) {
        assign(&mut packet, ReviewKind::AdditionalManager, a)?;
    }
    if kinds.upward {
        for report in snapshot.direct_reports(subject) {
            assign(&mut packet, ReviewKind::Upward, report)?;
        }
    }
    let event = Event::new(
        at,
        Some(by),
        Some(cycle.id()),
        EventKind::PacketCreated {
            packet: packet.id(),
            subject,
            assigned: reviews
                .iter()
                .map(|r| (r.id(), r.kind(), r.author()))
                .collect(),
        },
    );
    Ok((packet, reviews, vec![event]))
}

/// What a launch produces: the packets, their reviews and the events, to be stored together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launched {
    /// One packet per participant, in participant order.
    pub packets: Vec<Packet>,
    /// Every review assigned at launch.
    pub reviews: Vec<Review>,
    /// The audit events: one `packet_created` per packet (with its assignments), the
    /// cycle's `cycle_launched` last.
    pub events: Vec<Event>,
}

impl Launched {
    /// Gives each packet its participant's goals that run during `period` (goals of others are
    /// ignored), in the order given.
    pub fn attach_goals(&mut self, goals: &[crate::Goal], period: &crate::Period) {
        let mut by_owner: crate::id::IdMap<PersonId, Vec<&crate::Goal>> =
            crate::id::IdMap::default();
        for g in goals.iter().filter(|g| g.overlaps(period)) {
            by_owner.entry(g.owner).or_default().push(g);
        }
        for packet in &mut self.packets {
            if let Some(mine) = by_owner.get(&packet.subject) {
                packet.goals = mine.iter().map(|g| (*g).clone()).collect();
            }
        }
    }
}

/// Launches a draft cycle: `draft → active`, one packet per participant of the cycle's list,
/// with the default assignments of DOMAIN.md read from `snapshot`:
///
/// - manager reviewer: the direct manager (a manager review when the cycle runs them);
/// - additional manager: the person's default additional manager, if any;
/// - upward reviewers: their direct reports, when the cycle runs upward reviews;
/// - a self review when the cycle runs them;
/// - peers come later, from nominations. Packets start in `nominating` when the cycle runs
///   peer reviews, else in `writing`.
///
/// Nothing is changed when an error is returned.
///
/// # Errors
///
/// [`Error::InvalidTransition`] unless the cycle is a draft; [`Error::Invalid`] when it has no
/// participant or one is not in the snapshot.
pub fn launch(
    cycle: &mut Cycle,
    snapshot: &OrgSnapshot,
    ids: &mut dyn IdSource,
    by: PersonId,
    at: DateTime<Utc>,
) -> Result<Launched> {
    transition::check(cycle.state(), CycleState::Active, "launch")?;
    if cycle.participants().is_empty() {
        return Err(Error::invalid(
            "participants",
            "a cycle needs at least one participant",
        ));
    }
    if let Some(missing) = cycle
        .participants()
        .iter()
        .find(|p| !snapshot.contains(**p))
    {
        return Err(Error::invalid(
            "participants",
            format!("`{missing}` is not in the org snapshot"),
        ));
    }
    let n = cycle.participants().len();
    let mut packets = Vec::with_capacity(n);
    let mut reviews = Vec::with_capacity(n * 4);
    let mut events = Vec::with_capacity(n * 5 + 1);
    for &subject in cycle.participants() {
        let (packet, mut made, mut said) = packet_for(cycle, snapshot, subject, ids, by, at)?;
        packets.push(packet);
        reviews.append(&mut made);
        events.append(&mut said);
    }
    events.push(cycle.activate(by, at, packets.len())?);
    Ok(Launched {
        packets,
        reviews,
        events,
    })
}
