//! Launch: freezing the participant list into packets with default assignments.

use chrono::{DateTime, Utc};

use crate::domain::event::{Event, EventKind};
use crate::domain::id::IdSource;
use crate::domain::org::{Department, OrgSnapshot, Person};
use crate::domain::packet::{Packet, SubjectHint};
use crate::domain::review::Review;
use crate::domain::transition;
use crate::domain::vocab::CycleState;
use crate::domain::vocab::PacketState;
use crate::domain::{Cycle, Error, PacketId, PersonId, Result, ReviewKind};
use crate::domain::{Goal, Template};

/// One participant's packet with the default assignments of DOMAIN.md (see [`launch`]), its
/// reviews and events: what launch makes for everyone, and what adding a participant after
/// launch makes for them. Nobody the snapshot says has left writes one of its reviews: a
/// manager who left stays the manager reviewer, with no manager review.
///
/// # Errors
///
/// [`Error::Invalid`] when the person is not in the snapshot, or has left.
pub fn packet_for(
    cycle: &Cycle,
    snapshot: &OrgSnapshot,
    subject: PersonId,
    ids: &mut dyn IdSource,
    by: PersonId,
    at: DateTime<Utc>,
) -> Result<(Packet, Vec<Review>, Vec<Event>)> {
    let Some(idx) = snapshot.idx(subject) else {
        return Err(not_in_snapshot(subject));
    };
    if snapshot.has_left(subject) {
        return Err(Error::invalid(
            "participants",
            format!("`{subject}` has left and takes part in no cycle"),
        ));
    }
    let mut places = Placements::default();
    places.add(snapshot, idx)?;
    let Some(place) = places.iter().next() else {
        return Err(not_in_snapshot(subject));
    };
    let (mut reviews, mut events) = (Vec::new(), Vec::new());
    let packet = packet_into(cycle, place, ids, by, at, &mut reviews, &mut events)?;
    Ok((packet, reviews, events))
}

/// Where participants sit in the org, as their packets need it: subject, managers and direct
/// reports, read from the snapshot for everyone before any packet is made.
///
/// A launch reads the org at random places (each subject's manager and reports): reading all
/// of it in one short loop lets the processor fetch many of those places at once, and the
/// loop that makes the packets then reads this in order.
#[derive(Debug, Default)]
struct Placements {
    people: Vec<Placed>,
    reports: Vec<PersonId>,
}

/// One participant's place, with the end of their direct reports in [`Placements::reports`].
#[derive(Debug, Clone, Copy)]
struct Placed {
    subject: PersonId,
    /// The subject's index in the snapshot.
    at: u32,
    manager: Option<PersonId>,
    /// The manager has left: they stay the manager reviewer (to be replaced), and write
    /// nothing.
    manager_left: bool,
    additional_manager: Option<PersonId>,
    end: usize,
}

/// One participant's [`Placements`] entry.
struct Placement<'a> {
    place: Placed,
    reports: &'a [PersonId],
}

impl Placements {
    fn with_capacity(n: usize) -> Self {
        Self {
            people: Vec::with_capacity(n),
            reports: Vec::with_capacity(n),
        }
    }

    /// Adds the person at index `idx` of the snapshot.
    fn add(&mut self, snapshot: &OrgSnapshot, idx: u32) -> Result<()> {
        self.push(snapshot, idx, snapshot.direct_reports_idx(Some(idx)))
    }

    /// Adds the person at index `idx`, whose direct reports are `reports` (indexes).
    fn push(
        &mut self,
        snapshot: &OrgSnapshot,
        idx: u32,
        reports: impl Iterator<Item = u32>,
    ) -> Result<()> {
        let (Some(subject), Some(person)) = (snapshot.id_at(idx), snapshot.person_at(idx)) else {
            return Err(no_person_at(idx));
        };
        let manager = snapshot.manager_idx(idx).and_then(|m| snapshot.id_at(m));
        // Someone who has left writes nothing: no upward review, no additional manager review
        // (the manager reviewer stays named, as for a manager who leaves mid-cycle).
        let present = |p: &PersonId| !snapshot.has_left(*p);
        self.reports
            .extend(reports.filter_map(|r| snapshot.id_at(r)).filter(present));
        self.people.push(Placed {
            subject,
            at: idx,
            manager,
            manager_left: manager.is_some_and(|m| !present(&m)),
            additional_manager: person.additional_manager.filter(present),
            end: self.reports.len(),
        });
        Ok(())
    }

    /// The places of `subjects` (snapshot indexes), in that order.
    ///
    /// When they are a good part of the org, everyone's direct reports are first gathered in
    /// one pass over the pre-order (a counting sort by manager), which reads the snapshot's
    /// arrays in order; walking each subject's reports instead chases one child to the next
    /// across the whole snapshot. Either way the reports come in the same order, that of
    /// [`OrgSnapshot::direct_reports`].
    fn of(snapshot: &OrgSnapshot, subjects: &[u32]) -> Result<Self> {
        let mut places = Self::with_capacity(subjects.len());
        let n = snapshot.len();
        if subjects.len().saturating_mul(8) < n {
            for &subject in subjects {
                places.add(snapshot, subject)?;
            }
            return Ok(places);
        }
        let (start, reports) = snapshot.all_direct_reports();
        for &subject in subjects {
            let s = subject as usize;
            let of = match (start.get(s), start.get(s + 1)) {
                (Some(&a), Some(&b)) => reports.get(a as usize..b as usize),
                _ => None,
            };
            places.push(snapshot, subject, of.unwrap_or_default().iter().copied())?;
        }
        Ok(places)
    }

    /// The participants, in the order added.
    fn iter(&self) -> impl Iterator<Item = Placement<'_>> {
        let mut start = 0;
        self.people.iter().map(move |&place| {
            let reports = self.reports.get(start..place.end).unwrap_or_default();
            start = place.end;
            Placement { place, reports }
        })
    }
}

fn no_person_at(idx: u32) -> Error {
    Error::invalid(
        "participants",
        format!("no person at index {idx} of the org snapshot"),
    )
}

fn not_in_snapshot(person: PersonId) -> Error {
    Error::invalid(
        "participants",
        format!("`{person}` is not in the org snapshot"),
    )
}

/// [`packet_for`] for a participant placed in the org, appending the reviews and the event
/// to the caller's lists: a launch makes one list of each for everyone. On error, nothing was
/// appended.
fn packet_into(
    cycle: &Cycle,
    Placement { place, reports }: Placement<'_>,
    ids: &mut dyn IdSource,
    by: PersonId,
    at: DateTime<Utc>,
    reviews: &mut Vec<Review>,
    events: &mut Vec<Event>,
) -> Result<Packet> {
    let subject = place.subject;
    let kinds = cycle.config().kinds;
    let first_state = if kinds.peer {
        PacketState::Nominating
    } else {
        PacketState::Writing
    };
    let mut packet = Packet::new(
        PacketId::of(cycle.id(), subject),
        cycle.id(),
        subject,
        first_state,
    );
    let first = reviews.len();
    packet.subject_at = SubjectHint(place.at);
    packet.manager = place.manager;
    packet.default_additional_manager = place.additional_manager.filter(|&a| a != subject);
    // The assignments are recorded in the packet's one creation event below.
    let assigned = (|| {
        let by = Some(by);
        let mut made = Vec::new();
        if kinds.self_review {
            let (review, _) =
                packet.assign(&kinds, ReviewKind::SelfReview, subject, ids, by, at)?;
            made.push(review);
        }
        if let (true, false, Some(m)) = (kinds.manager, place.manager_left, packet.manager) {
            made.push(
                packet
                    .assign(&kinds, ReviewKind::Manager, m, ids, by, at)?
                    .0,
            );
        }
        // The default additional manager is recorded on the packet, not in the cycle-specific
        // list.
        if let Some((review, _)) = packet.assign_default_additional_manager(&kinds, ids, by, at) {
            made.push(review);
        }
        if kinds.upward {
            for &report in reports {
                made.push(
                    packet
                        .assign(&kinds, ReviewKind::Upward, report, ids, by, at)?
                        .0,
                );
            }
        }
        Ok::<_, Error>(made)
    })();
    reviews.extend(assigned?);
    let made = reviews.get(first..).unwrap_or_default();
    events.push(Event::new(
        at,
        Some(by),
        Some(cycle.id()),
        EventKind::PacketCreated {
            packet: packet.id(),
            subject,
            assigned: made
                .iter()
                .map(|r| (r.id(), r.kind(), r.author()))
                .collect(),
        },
    ));
    Ok(packet)
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
    pub fn attach_goals(&mut self, goals: &[crate::domain::Goal], period: &crate::domain::Period) {
        let by_owner = GoalsByOwner::new(goals, period);
        for packet in &mut self.packets {
            by_owner.attach(packet);
        }
    }
}

/// The goals that run during a period, by owner.
pub(crate) struct GoalsByOwner<'a>(
    crate::domain::id::IdMap<PersonId, Vec<&'a crate::domain::Goal>>,
);

impl<'a> GoalsByOwner<'a> {
    pub(crate) fn new(goals: &'a [crate::domain::Goal], period: &crate::domain::Period) -> Self {
        let mut by_owner: crate::domain::id::IdMap<PersonId, Vec<&crate::domain::Goal>> =
            crate::domain::id::IdMap::default();
        for g in goals.iter().filter(|g| g.overlaps(period)) {
            by_owner.entry(g.owner).or_default().push(g);
        }
        Self(by_owner)
    }

    /// Gives the packet its subject's goals, in the order given.
    pub(crate) fn attach(&self, packet: &mut Packet) {
        if let Some(mine) = self.0.get(&packet.subject) {
            packet.goals = mine.iter().map(|g| (*g).clone()).collect();
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
    let n = cycle.participants().len();
    let mut packets = Vec::with_capacity(n);
    let mut reviews = Vec::with_capacity(n * 4);
    let mut events = Vec::with_capacity(n + 1);
    let launched = launch_each(cycle, snapshot, ids, by, at, |packet, made, said| {
        packets.push(packet);
        reviews.append(made);
        events.append(said);
    })?;
    events.push(launched);
    Ok(Launched {
        packets,
        reviews,
        events,
    })
}

/// What a launch reads from the host: the directory's people and departments, the goals that
/// run in the cycle's period, and the templates the cycle names.
#[derive(Debug, Clone, Default)]
pub struct LaunchInput {
    /// Everyone in the directory (the org snapshot is built from them).
    pub people: Vec<Person>,
    /// The departments and their heads.
    pub departments: Vec<Department>,
    /// Goals; each packet gets its subject's goals that overlap the cycle's period.
    pub goals: Vec<Goal>,
    /// The templates the cycle's config names (frozen into the cycle).
    pub templates: Vec<Template>,
}

/// A launched cycle: the cycle as it is now, its org snapshot, and what [`launch`] made.
#[derive(Debug, Clone)]
pub struct LaunchedCycle {
    /// The cycle, active, with its participants resolved and its templates frozen.
    pub cycle: Cycle,
    /// The org snapshot the cycle's rules read from now on.
    pub snapshot: OrgSnapshot,
    /// The packets, reviews and events.
    pub launched: Launched,
}

/// The whole launch protocol, as the engine runs it: the `draft → active` check, the
/// participants resolved from the explicit list and the eligibility rules against the
/// directory's people, the org snapshot built, the templates frozen, one packet per
/// participant with the default assignments of [`launch`], and each participant's goals for
/// the period. `cycle` itself is not changed.
///
/// # Errors
///
/// [`Error::InvalidTransition`] unless the cycle is a draft, [`Error::Org`] for bad directory
/// data, [`Error::Invalid`] (no participants, one not in the directory, a template missing).
pub fn launch_cycle(
    cycle: &Cycle,
    input: LaunchInput,
    ids: &mut dyn IdSource,
    by: PersonId,
    at: DateTime<Utc>,
) -> Result<LaunchedCycle> {
    let n = cycle.participants().len();
    let (mut packets, mut reviews, mut events) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n * 4),
        Vec::with_capacity(n + 1),
    );
    let (cycle, snapshot, launched) = launch_cycle_each(cycle, input, ids, by, at, |p, r, e| {
        packets.push(p);
        reviews.append(r);
        events.append(e);
    })?;
    events.push(launched);
    Ok(LaunchedCycle {
        cycle,
        snapshot,
        launched: Launched {
            packets,
            reviews,
            events,
        },
    })
}

/// [`launch_cycle`], handing each packet to `emit` as it is made (see [`launch_each`]).
/// Returns the launched cycle, its snapshot and the cycle's `cycle_launched` event.
pub(crate) fn launch_cycle_each(
    cycle: &Cycle,
    input: LaunchInput,
    ids: &mut dyn IdSource,
    by: PersonId,
    at: DateTime<Utc>,
    mut emit: impl FnMut(Packet, &mut Vec<Review>, &mut Vec<Event>),
) -> Result<(Cycle, OrgSnapshot, Event)> {
    // The transition first: launching twice is refused as such, before any other check.
    transition::check(cycle.state(), CycleState::Active, "launch")?;
    let mut launched = cycle.clone();
    launched.resolve_participants(&input.people)?;
    let snapshot = OrgSnapshot::build(input.people, input.departments)?;
    launched.freeze_templates(input.templates)?;
    let period = launched.config().period;
    let goals = GoalsByOwner::new(&input.goals, &period);
    let event = launch_each(&mut launched, &snapshot, ids, by, at, |mut packet, r, e| {
        goals.attach(&mut packet);
        emit(packet, r, e);
    })?;
    Ok((launched, snapshot, event))
}

/// [`launch`], handing each packet to `emit` as it is made, with its reviews and events (which
/// `emit` takes out of the lists): the engine streams them into its commit without holding
/// the whole launch twice. Returns the cycle's `cycle_launched` event. On error the cycle is
/// unchanged, but `emit` may have been called: the caller drops what it was given.
pub(crate) fn launch_each(
    cycle: &mut Cycle,
    snapshot: &OrgSnapshot,
    ids: &mut dyn IdSource,
    by: PersonId,
    at: DateTime<Utc>,
    mut emit: impl FnMut(Packet, &mut Vec<Review>, &mut Vec<Event>),
) -> Result<Event> {
    transition::check(cycle.state(), CycleState::Active, "launch")?;
    if cycle.participants().is_empty() {
        return Err(Error::invalid(
            "participants",
            "a cycle needs at least one participant",
        ));
    }
    let mut subjects = Vec::with_capacity(cycle.participants().len());
    for &p in cycle.participants() {
        subjects.push(snapshot.idx(p).ok_or_else(|| not_in_snapshot(p))?);
    }
    let places = Placements::of(snapshot, &subjects)?;
    let (mut reviews, mut events) = (Vec::new(), Vec::new());
    let mut packets = 0;
    for place in places.iter() {
        let packet = packet_into(cycle, place, ids, by, at, &mut reviews, &mut events)?;
        emit(packet, &mut reviews, &mut events);
        reviews.clear();
        events.clear();
        packets += 1;
    }
    cycle.activate(by, at, packets)
}
