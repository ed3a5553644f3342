//! Workflow rules that change several records at once: the time tick (nomination deadlines
//! and reminders), a leaver's effects, declining an approved nomination, and the minimum of
//! peers before writing starts.
//!
//! Each rule is a pure function of the records it reads, the time and an [`Actor`]; it returns
//! an [`Outcome`] (records changed and created, events, notices) that the engine commits as
//! one. Work the library does on its own schedule is done by [`Actor::System`] and audited
//! with no person (`Event::by` is `None`).

use chrono::{DateTime, Duration, Utc};

use crate::domain::event::Event;
use crate::domain::notification::NotificationKind;
use crate::domain::vocab::{
    Actor, NominationState, PacketState, ReminderKind, ReviewKind, ReviewState,
};
use crate::domain::{
    Cycle, CycleId, Error, IdSource, Nomination, Packet, PersonId, Result, Review,
};

/// A notification to derive from one event of an [`Outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    /// Who is notified.
    pub recipient: PersonId,
    /// What about.
    pub kind: NotificationKind,
    /// The participant concerned.
    pub subject: PersonId,
    /// The position of the event in [`Outcome::events`].
    pub event: usize,
}

/// What a workflow rule decided. Records in `packets`, `reviews` and `nominations` exist and
/// changed; `new_reviews` are new. Nothing here is written yet: the engine commits it all, or
/// nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Existing packets, changed.
    pub packets: Vec<Packet>,
    /// Existing reviews, changed.
    pub reviews: Vec<Review>,
    /// Reviews created.
    pub new_reviews: Vec<Review>,
    /// Existing nominations, changed.
    pub nominations: Vec<Nomination>,
    /// The audit events, in order.
    pub events: Vec<Event>,
    /// Notifications, each about one of `events`.
    pub notices: Vec<Notice>,
}

impl Outcome {
    /// Whether the rule changed nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    fn event(&mut self, event: Event) -> usize {
        self.events.push(event);
        self.events.len() - 1
    }

    fn notify(
        &mut self,
        recipient: PersonId,
        kind: NotificationKind,
        subject: PersonId,
        event: usize,
    ) {
        self.notices.push(Notice {
            recipient,
            kind,
            subject,
            event,
        });
    }
}

/// Whether `kind`'s window in `cycle` is past due at `now`.
#[must_use]
pub fn is_overdue(cycle: &Cycle, kind: ReviewKind, now: DateTime<Utc>) -> bool {
    cycle
        .settings()
        .windows
        .of(kind)
        .is_some_and(|w| now > w.due)
}

/// The reminder a review is due at `now`, if any: `BeforeDue` within `remind_days_before` days
/// of its window's due date (once the window is open), `Overdue` once past it when the cycle
/// reminds overdue authors. Only reviews still to write get reminders; one that already had
/// this reminder gets none.
#[must_use]
pub fn reminder_due(cycle: &Cycle, review: &Review, now: DateTime<Utc>) -> Option<ReminderKind> {
    let settings = cycle.settings();
    let window = settings.windows.of(review.kind())?;
    if !matches!(review.state(), ReviewState::Assigned | ReviewState::Draft) {
        return None;
    }
    // A reminder time before the earliest instant there is counts as already reached.
    let due_soon = settings.remind_days_before.is_some_and(|d| {
        let from = window.due.checked_sub_signed(Duration::days(i64::from(d)));
        from.is_none_or(|from| now >= from) && now <= window.due && now >= window.opens
    });
    let kind = if settings.remind_overdue && now > window.due {
        ReminderKind::Overdue
    } else if due_soon {
        ReminderKind::BeforeDue
    } else {
        return None;
    };
    (!review.reminded(kind)).then_some(kind)
}

/// Whether the time tick approves `packet`'s pending nominations at `now`: the cycle's
/// nomination deadline has passed, the cycle approves them automatically, and the packet is
/// still nominating.
#[must_use]
pub fn approves_at_deadline(cycle: &Cycle, packet: &Packet, now: DateTime<Utc>) -> bool {
    let settings = cycle.settings();
    settings.auto_approve_nominations
        && settings.nomination_deadline.is_some_and(|d| now >= d)
        && packet.state() == PacketState::Nominating
}

/// One packet's time-driven work at `now`, done by [`Actor::System`]:
///
/// - at the cycle's nomination deadline, when the cycle approves pending nominations
///   automatically and the packet is still nominating, every pending nomination is approved
///   and its peer review assigned (the peer is notified); then, when the packet has the
///   cycle's minimum of peers ([`check_min_peers`]), its nominations close and writing
///   starts; otherwise it stays open, and its manager and `admins` are notified (once, at the
///   tick that approved its last nominations);
/// - every review about the subject that is due a reminder ([`reminder_due`]) is marked and
///   its author notified, so each reminder goes out once per review and kind.
///
/// `nominations` and `reviews` are the packet's; `left` the people who have left, whose
/// nominations are denied; `ids` names the new peer reviews.
///
/// # Errors
///
/// An error of a transition (a nomination or review that changed state since it was read).
#[allow(clippy::too_many_arguments)]
pub fn tick(
    cycle: &Cycle,
    packet: &Packet,
    nominations: &[Nomination],
    reviews: &[Review],
    admins: &[PersonId],
    left: &[PersonId],
    ids: &mut dyn IdSource,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let mut out = Outcome::default();
    let mut p = packet.clone();
    if approves_at_deadline(cycle, packet, now) {
        for n in nominations
            .iter()
            .filter(|n| n.state() == NominationState::Pending)
        {
            let mut nomination = n.clone();
            // A nominee who left or became a peer another way, or a packet already at the
            // cycle's maximum, gets a denial: an approval would be refused, and the tick must go on.
            let refusal = if left.contains(&nomination.nominee()) {
                Some("the nominee has left")
            } else if p.peers().contains(&nomination.nominee()) {
                Some("already a peer: approved another way before the deadline")
            } else if check_peer_room(cycle, &p).is_err() {
                Some("the cycle's maximum of peers was reached before the deadline")
            } else {
                None
            };
            if let Some(reason) = refusal {
                let denied =
                    nomination.decide(NominationState::Denied, Some(reason), Actor::System, now)?;
                out.event(denied);
                out.nominations.push(nomination);
                continue;
            }
            let decided = nomination.decide(
                NominationState::Approved,
                Some("approved at the nomination deadline"),
                Actor::System,
                now,
            )?;
            out.event(decided);
            let (review, assigned) = p.assign(
                &cycle.config().kinds,
                ReviewKind::Peer,
                nomination.nominee(),
                ids,
                None,
                now,
            )?;
            let at = out.event(assigned);
            out.notify(
                nomination.nominee(),
                NotificationKind::PeerAssigned,
                p.subject(),
                at,
            );
            out.new_reviews.push(review);
            out.nominations.push(nomination);
        }
        if check_min_peers(cycle, &p).is_ok() {
            let closed = p.close_nominations(Actor::System, now)?;
            out.event(closed);
        } else if !out.nominations.is_empty() {
            // The event the notices are about: the last approval.
            let at = out.events.len().saturating_sub(1);
            let recipients = p.manager().into_iter().chain(admins.iter().copied());
            let mut told: Vec<PersonId> = Vec::new();
            for who in recipients {
                if !told.contains(&who) && who != p.subject() {
                    out.notify(who, NotificationKind::PeersBelowMinimum, p.subject(), at);
                    told.push(who);
                }
            }
        }
    }
    for r in reviews {
        let Some(kind) = reminder_due(cycle, r, now) else {
            continue;
        };
        let mut review = r.clone();
        let event = review.mark_reminded(kind, now)?;
        let at = out.event(event);
        let note = match kind {
            ReminderKind::BeforeDue => NotificationKind::ReminderBeforeDue,
            ReminderKind::Overdue => NotificationKind::ReminderOverdue,
        };
        out.notify(review.author(), note, review.subject(), at);
        out.reviews.push(review);
    }
    if p != *packet {
        out.packets.push(p);
    }
    Ok(out)
}

/// `person` left (DOMAIN.md, mid-cycle changes: leaver): their own packet in the cycle is
/// withdrawn (kept, read-only), and every review they still had to write there is cancelled,
/// except in packets already withdrawn for someone else. Nothing is deleted.
///
/// Every other live packet whose manager reviewer they were is reported to `admins` as
/// needing a new manager reviewer (`manager_reviewer_needed`).
///
/// `packets` holds the packets involved (the leaver's own, if any, those of the reviews in
/// `open`, and those they are the manager reviewer of); `open` the leaver's unsubmitted
/// reviews in the cycle.
///
/// # Errors
///
/// An error of a transition.
pub fn leave(
    cycle: CycleId,
    person: PersonId,
    packets: &[Packet],
    open: &[Review],
    admins: &[PersonId],
    by: PersonId,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let mut out = Outcome::default();
    out.event(Event::new(
        now,
        Some(by),
        Some(cycle),
        crate::domain::event::EventKind::PersonLeft { person },
    ));
    let mut changed: Vec<Packet> = packets.to_vec();
    if let Some(own) = changed
        .iter_mut()
        .find(|p| p.subject() == person && !p.is_withdrawn())
    {
        let event = own.withdraw(by, now)?;
        out.event(event);
    }
    for r in open {
        if !matches!(r.state(), ReviewState::Assigned | ReviewState::Draft) {
            continue;
        }
        let Some(p) = changed.iter_mut().find(|p| p.id() == r.packet()) else {
            continue;
        };
        if p.is_withdrawn() && p.subject() != person {
            continue; // another withdrawn packet: read-only
        }
        let mut review = r.clone();
        let event = review.cancel(p, by, now)?;
        out.event(event);
        out.reviews.push(review);
    }
    for p in &changed {
        if p.manager() == Some(person) && p.subject() != person && !p.is_withdrawn() {
            let at = out.event(Event::new(
                now,
                Some(by),
                Some(cycle),
                crate::domain::event::EventKind::ManagerReviewerNeeded {
                    packet: p.id(),
                    subject: p.subject(),
                    left: person,
                },
            ));
            for &admin in admins {
                if admin != person && admin != p.subject() {
                    out.notify(
                        admin,
                        NotificationKind::ManagerReviewerNeeded,
                        p.subject(),
                        at,
                    );
                }
            }
        }
    }
    out.packets = changed
        .into_iter()
        .zip(packets)
        .filter(|(new, old)| new != *old)
        .map(|(new, _)| new)
        .collect();
    Ok(out)
}

/// The nominee declines (R-WRITE-9). Declining an approved nomination also cancels the peer
/// review it created, unless that review is submitted (then the decline is refused).
///
/// `reviews` are the reviews about the packet's subject.
///
/// # Errors
///
/// [`Error::Invalid`] when the packet is withdrawn (read-only) or the peer review is
/// submitted; an error of a transition.
pub fn decline(
    nomination: &Nomination,
    packet: &Packet,
    reviews: &[Review],
    reason: Option<&str>,
    by: PersonId,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    packet.ensure_live()?;
    let mut out = Outcome::default();
    let mut n = nomination.clone();
    let was_approved = n.state() == NominationState::Approved;
    let event = n.decide(NominationState::Declined, reason, by, now)?;
    out.event(event);
    if was_approved {
        let mut p = packet.clone();
        if let Some(r) = reviews.iter().find(|r| {
            r.kind() == ReviewKind::Peer
                && r.author() == n.nominee()
                && r.state() != ReviewState::Cancelled
        }) {
            if r.state() == ReviewState::Submitted {
                return Err(Error::invalid(
                    "nomination",
                    "the peer review is already submitted",
                ));
            }
            let mut review = r.clone();
            let event = review.cancel(&mut p, by, now)?;
            out.event(event);
            out.reviews.push(review);
        }
        // No longer a peer: a later nomination of the same person may be approved again.
        p.peers.remove(n.nominee());
        out.packets.push(p);
    }
    out.nominations.push(n);
    Ok(out)
}

/// Writing may start for `packet` only once it has the cycle's minimum of peers (when the
/// cycle runs peer reviews), however they were assigned.
///
/// # Errors
///
/// [`Error::Invalid`] naming the count and the minimum.
pub fn check_min_peers(cycle: &Cycle, packet: &Packet) -> Result<()> {
    let min = cycle.settings().min_peers;
    let peers = packet.tally(ReviewKind::Peer).assigned;
    if cycle.config().kinds.peer && peers < u32::from(min) {
        return Err(Error::invalid(
            "peers",
            format!("{peers} peers assigned, the cycle needs at least {min}"),
        ));
    }
    Ok(())
}

/// Another peer fits `packet` only while it has fewer peers than the cycle's maximum, however
/// they were assigned (DOMAIN.md, nominations: the limits hold for nominations and direct
/// assignments alike).
///
/// # Errors
///
/// [`Error::Invalid`] naming the count and the maximum.
pub fn check_peer_room(cycle: &Cycle, packet: &Packet) -> Result<()> {
    let max = cycle.settings().max_peers;
    let peers = packet.tally(ReviewKind::Peer).assigned;
    if peers >= u32::from(max) {
        return Err(Error::invalid(
            "peers",
            format!("{peers} peers assigned, the cycle allows at most {max}"),
        ));
    }
    Ok(())
}
