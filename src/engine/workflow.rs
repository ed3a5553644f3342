//! Workflow commands: participants after launch, manager changes and leavers, early unlocks,
//! reminders and the time tick, calibration, the final meeting, corrections, extra
//! assignments, and team progress.

use chrono::Duration;

use super::outcome::TickReport;
use super::tx::Tx;
use super::{Engine, PAGE, Scope, authorize, breakdown, overdue};
use crate::access::{Action, Target, decide};
use crate::domain::calibration::{
    CalibrationEntry, CalibrationReport, CalibrationSession, calibration_report,
};
use crate::domain::event::{Event, EventKind};
use crate::domain::notification::NotificationKind;
use crate::domain::progress::{Tally, TeamProgress};
use crate::domain::vocab::AssignmentRole;
use crate::domain::vocab::ReminderKind;
use crate::domain::vocab::Score;
use crate::plugin::{Expect, Record, RecordKey, StorageExt, Versioned};
use crate::{
    Answer, CalibrationSessionId, CycleId, CycleState, Error, NominationState, Packet, PacketId,
    PacketState, PersonId, RandomIds, Result, Review, ReviewId, ReviewKind, ReviewState,
};

impl Engine {
    // ------------------------------------------------------------ participants

    /// Adds a participant to a launched cycle (R-WRITE-2): their packet with the default
    /// assignments, and their goals for the period. They must be in the cycle's org snapshot.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] (not launched, already a
    /// participant, not in the snapshot), [`Error::Conflict`].
    pub async fn add_participant(
        &self,
        actor: PersonId,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Packet> {
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, Action::EditParticipants, Target::Cycle)?;
        if scope.cycle.record.state() != CycleState::Active {
            return Err(Error::invalid(
                "participants",
                "add participants to a draft cycle's list; a closed cycle takes none",
            ));
        }
        let mut c = crate::Cycle::clone(&scope.cycle.record);
        if !c.admit(person) {
            return Err(Error::invalid(
                "participants",
                format!("`{person}` already takes part"),
            ));
        }
        let (mut packet, reviews, events) = crate::packet_for(
            &c,
            scope.snapshot()?,
            person,
            &mut RandomIds,
            actor,
            scope.now,
        )?;
        let period = c.config().period;
        packet.goals = self
            .directory
            .goals(period)
            .await?
            .into_iter()
            .filter(|g| g.owner == person)
            .collect();
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.event(Event::new(
            scope.now,
            Some(actor),
            Some(cycle),
            EventKind::ParticipantAdded {
                packet: packet.id(),
                subject: person,
            },
        ));
        tx.events(events);
        for r in reviews {
            tx.put(Record::from(r), Expect::Absent);
        }
        tx.put(Record::from(packet.clone()), Expect::Absent);
        tx.put(Record::from(c), Expect::Version(scope.cycle.version));
        self.finish(tx).await?;
        Ok(packet)
    }

    /// Removes a participant after launch (R-WRITE-2): their packet is withdrawn (kept,
    /// read-only, out of progress).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::NotFound`], [`Error::Invalid`] when
    /// already withdrawn, [`Error::Conflict`].
    pub async fn remove_participant(
        &self,
        actor: PersonId,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Packet> {
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, Action::EditParticipants, Target::Cycle)?;
        let packet = self.versioned_packet_of(cycle, person).await?;
        let mut p = packet.record.clone();
        let event = p.withdraw(actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.event(event);
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx).await?;
        Ok(p)
    }

    /// A person left (R-WRITE-2): their packet is withdrawn, every review they still had to
    /// write in this cycle is cancelled, nothing is deleted.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Conflict`].
    pub async fn person_left(
        &self,
        actor: PersonId,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<()> {
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, Action::EditParticipants, Target::Cycle)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.event(Event::new(
            scope.now,
            Some(actor),
            Some(cycle),
            EventKind::PersonLeft { person },
        ));
        let mut packets: Vec<Versioned<Packet>> = Vec::new();
        if let Ok(own) = self.versioned_packet_of(cycle, person).await
            && !own.record.is_withdrawn()
        {
            packets.push(own);
        }
        let open: Vec<Versioned<Review>> = self
            .storage
            .reviews_by(cycle, person)
            .await?
            .into_iter()
            .filter(|r| matches!(r.record.state(), ReviewState::Assigned | ReviewState::Draft))
            .collect();
        for r in &open {
            if !packets.iter().any(|p| p.record.id() == r.record.packet()) {
                packets.push(self.storage.packet(r.record.packet()).await?);
            }
        }
        let mut changed: Vec<(Packet, u64)> = packets
            .iter()
            .map(|p| (p.record.clone(), p.version))
            .collect();
        if let Some((p, _)) = changed.iter_mut().find(|(p, _)| p.subject() == person) {
            tx.event(p.withdraw(actor, scope.now)?);
        }
        for mut r in open {
            let Some((p, _)) = changed
                .iter_mut()
                .find(|(p, _)| p.id() == r.record.packet())
            else {
                continue;
            };
            if p.is_withdrawn() && p.subject() != person {
                continue; // another withdrawn packet: read-only
            }
            tx.event(r.record.cancel(p, actor, scope.now)?);
            tx.put(Record::from(r.record), Expect::Version(r.version));
        }
        for (p, version) in changed {
            tx.put(Record::from(p), Expect::Version(version));
        }
        self.finish(tx).await
    }

    /// Changes a participant's manager mid-cycle (R-WRITE-2, editing assignments), as DOMAIN.md
    /// says: the new manager becomes the manager reviewer; an unsubmitted manager review is
    /// cancelled (kept, readable by its author only) and a new one assigned to the new manager;
    /// a submitted one stays, and its author keeps read access. The cycle's org snapshot is
    /// updated in the same commit, and both changes are audited.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::Org`] when the change
    /// would make a manager loop, [`Error::Conflict`].
    pub async fn change_manager(
        &self,
        actor: PersonId,
        packet: PacketId,
        new_manager: Option<PersonId>,
    ) -> Result<Packet> {
        let (scope, packet) = self.packet_scope(packet).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::EditAssignments,
            Target::Packet(&packet.record),
        )?;
        let snapshot = scope
            .snapshot
            .as_ref()
            .ok_or_else(|| Error::invalid("cycle", "not launched"))?;
        if let Some(m) = new_manager
            && !snapshot.record.contains(m)
        {
            return Err(Error::invalid(
                "manager",
                format!("`{m}` is not in the cycle's org snapshot"),
            ));
        }
        let live = self
            .storage
            .reviews_about(packet.record.cycle(), packet.record.subject())
            .await?
            .into_iter()
            .find(|r| {
                r.record.kind() == ReviewKind::Manager && r.record.state() != ReviewState::Cancelled
            });
        let mut p = packet.record.clone();
        let mut old = live.clone();
        let kinds = scope.cycle.record.config().kinds;
        let (new_review, events) = p.change_manager(
            new_manager,
            old.as_mut().map(|r| &mut r.record),
            &kinds,
            &mut RandomIds,
            actor,
            scope.now,
        )?;
        // The packet's own checks first (not the subject, not the same manager), then the org.
        let moved = snapshot
            .record
            .with_manager_changed(packet.record.subject(), new_manager)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.events(events);
        if let Some(old) = old
            && Some(&old) != live.as_ref()
        {
            tx.put(Record::from(old.record), Expect::Version(old.version));
        }
        if let Some(r) = new_review {
            tx.put(Record::from(r), Expect::Absent);
        }
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        tx.put(
            Record::Snapshot {
                cycle: p.cycle(),
                snapshot: Box::new(moved),
            },
            Expect::Version(snapshot.version),
        );
        self.finish(tx).await?;
        Ok(p)
    }

    // ------------------------------------------------------------ assignments

    /// Adds a cycle-specific review viewer (R-WRITE-2).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::Conflict`].
    pub async fn add_viewer(
        &self,
        actor: PersonId,
        packet: PacketId,
        person: PersonId,
    ) -> Result<Packet> {
        self.packet_command(actor, packet, Action::EditAssignments, |_, scope, _, p| {
            Ok(vec![p.add_role(
                AssignmentRole::Viewer,
                person,
                actor,
                scope.now,
            )?])
        })
        .await
    }

    /// Adds a sharing user (R-WRITE-2).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::Conflict`].
    pub async fn add_sharer(
        &self,
        actor: PersonId,
        packet: PacketId,
        person: PersonId,
    ) -> Result<Packet> {
        self.packet_command(actor, packet, Action::EditAssignments, |_, scope, _, p| {
            Ok(vec![p.add_role(
                AssignmentRole::Sharer,
                person,
                actor,
                scope.now,
            )?])
        })
        .await
    }

    /// Assigns one more reviewer of `kind` (an additional manager, an upward reviewer, or a peer
    /// directly), R-WRITE-2.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] (limits, duplicates, self),
    /// [`Error::Conflict`].
    pub async fn assign_reviewer(
        &self,
        actor: PersonId,
        packet: PacketId,
        kind: ReviewKind,
        person: PersonId,
    ) -> Result<Review> {
        if !matches!(
            kind,
            ReviewKind::AdditionalManager | ReviewKind::Upward | ReviewKind::Peer
        ) {
            return Err(Error::invalid(
                "kind",
                format!("{kind} reviews are assigned by the cycle, not by hand"),
            ));
        }
        let (scope, packet) = self.packet_scope(packet).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::EditAssignments,
            Target::Packet(&packet.record),
        )?;
        let mut p = packet.record.clone();
        let kinds = scope.cycle.record.config().kinds;
        let (review, event) =
            p.assign(&kinds, kind, person, &mut RandomIds, Some(actor), scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        if kind == ReviewKind::Peer {
            tx.notify(
                person,
                NotificationKind::PeerAssigned,
                Some(p.cycle()),
                Some(p.subject()),
                &event,
            );
        }
        tx.event(event);
        tx.put(Record::from(review.clone()), Expect::Absent);
        tx.put(Record::from(p), Expect::Version(packet.version));
        self.finish(tx).await?;
        Ok(review)
    }

    /// Opens a participant's manager review before gating would (R-WRITE-2; audited).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] when already open,
    /// [`Error::Conflict`].
    pub async fn open_manager_review(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        self.packet_command(actor, packet, Action::EditAssignments, |_, scope, _, p| {
            Ok(vec![p.open_gate(actor, scope.now)?])
        })
        .await
    }

    // ------------------------------------------------------------ corrections

    /// Reopens a submitted review (R-WRITE-3; audited): back to draft.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    pub async fn reopen_review(&self, actor: PersonId, review: ReviewId) -> Result<Review> {
        self.review_command(actor, review, Action::ReopenReview, |r, p, at| {
            r.reopen(p, actor, at)
        })
        .await
    }

    /// Removes a peer or upward review's feedback from what the subject sees (R-WRITE-10;
    /// audited). Everyone else who may read it still can.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::Conflict`].
    pub async fn remove_feedback(&self, actor: PersonId, review: ReviewId) -> Result<Review> {
        self.review_command(actor, review, Action::RemoveFeedback, |r, p, at| {
            Ok(vec![r.remove_feedback(p, actor, at)?])
        })
        .await
    }

    async fn review_command(
        &self,
        actor: PersonId,
        review: ReviewId,
        action: Action,
        change: impl FnOnce(
            &mut Review,
            &mut Packet,
            chrono::DateTime<chrono::Utc>,
        ) -> Result<Vec<Event>>
        + Send,
    ) -> Result<Review> {
        let (scope, packet, review) = self.review_scope(review).await?;
        authorize(
            &scope.ctx(),
            actor,
            action,
            Target::Review(&packet.record, &review.record),
        )?;
        let (mut r, mut p) = (review.record.clone(), packet.record.clone());
        let events = change(&mut r, &mut p, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.events(events);
        tx.put(Record::from(r.clone()), Expect::Version(review.version));
        tx.put(Record::from(p), Expect::Version(packet.version));
        self.finish(tx).await?;
        Ok(r)
    }

    /// The manager records the final meeting (R-WRITE-14), once results are shared.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::Conflict`].
    pub async fn record_meeting(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        self.packet_command(actor, packet, Action::RecordMeeting, |_, scope, _, p| {
            Ok(vec![p.record_meeting(actor, scope.now)?])
        })
        .await
    }

    // ------------------------------------------------------------ reminders and time

    /// Sends a reminder to a review's author now (R-WRITE-5: admins, collaborators, the
    /// subject's manager). Manual reminders can repeat; the time-driven ones of
    /// [`tick`](Self::tick) never do.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] for a submitted or cancelled
    /// review, [`Error::Conflict`].
    pub async fn send_reminder(&self, actor: PersonId, review: ReviewId) -> Result<()> {
        let (scope, packet, review) = self.review_scope(review).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::SendReminder,
            Target::Review(&packet.record, &review.record),
        )?;
        let r = &review.record;
        if !matches!(r.state(), ReviewState::Assigned | ReviewState::Draft) {
            return Err(Error::invalid("reminder", "the review needs no reminder"));
        }
        let event = Event::new(
            scope.now,
            Some(actor),
            Some(r.cycle()),
            EventKind::ReminderRequested {
                review: r.id(),
                author: r.author(),
            },
        );
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.read(RecordKey::Review(r.id()), Expect::Version(review.version));
        let kind = if overdue(&scope.cycle.record, r.kind(), scope.now) {
            NotificationKind::ReminderOverdue
        } else {
            NotificationKind::ReminderBeforeDue
        };
        tx.notify(r.author(), kind, Some(r.cycle()), Some(r.subject()), &event);
        tx.event(event);
        self.finish(tx).await
    }

    /// The engine's time-driven work, for the host's scheduler to call (no thread of ours):
    /// at a cycle's nomination deadline, pending nominations are approved when the cycle says
    /// so; authors get a reminder `remind_days_before` days before their review's window is due
    /// and one once it is overdue. Each reminder goes out exactly once per (review, reminder
    /// kind), even when ticks overlap: its mark is stored with the review in the same commit as
    /// the notification, and a racing tick loses with a conflict (counted, retried next tick).
    /// Locked, draft and closed cycles are skipped.
    ///
    /// # Errors
    ///
    /// A storage failure other than a conflict.
    pub async fn tick(&self) -> Result<TickReport> {
        let mut report = TickReport::default();
        let mut after = None;
        loop {
            let cycles = self.storage.cycles(after, PAGE).await?;
            for c in &cycles {
                if c.record.state() == CycleState::Active && !c.record.is_locked() {
                    self.tick_cycle(c.record.id(), &mut report).await?;
                }
            }
            match cycles.last() {
                Some(last) if cycles.len() == PAGE => after = Some(last.record.id()),
                _ => return Ok(report),
            }
        }
    }

    async fn tick_cycle(&self, cycle: CycleId, report: &mut TickReport) -> Result<()> {
        let scope = self.scope(cycle).await?;
        let settings = scope.cycle.record.settings().clone();
        let deadline_passed = settings.nomination_deadline.is_some_and(|d| scope.now >= d);
        let mut after = None;
        loop {
            let page = self.storage.packets(cycle, after, PAGE).await?;
            for packet in &page {
                if packet.record.is_withdrawn() {
                    continue;
                }
                let outcome = self
                    .tick_packet(
                        &scope,
                        packet,
                        deadline_passed && settings.auto_approve_nominations,
                    )
                    .await;
                match outcome {
                    Ok((approved, reminded)) => {
                        report.auto_approved += approved;
                        report.reminders += reminded;
                    }
                    Err(Error::Conflict { .. }) => report.conflicts += 1,
                    Err(e) => return Err(e),
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.record.id()),
                _ => return Ok(()),
            }
        }
    }

    /// One packet's due work, in one commit: `(auto-approved, reminders)`.
    async fn tick_packet(
        &self,
        scope: &Scope,
        packet: &Versioned<Packet>,
        approve: bool,
    ) -> Result<(usize, usize)> {
        let settings = scope.cycle.record.settings();
        let now = scope.now;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        let mut p = packet.record.clone();
        let mut approved = 0;
        if approve && p.state() == PacketState::Nominating {
            for n in self.storage.nominations(p.id()).await? {
                if n.record.state() != NominationState::Pending {
                    continue;
                }
                let mut nomination = n.record.clone();
                let mut event = nomination.decide(
                    NominationState::Approved,
                    Some("approved at the nomination deadline"),
                    scope.cycle.record.created_by(),
                    now,
                )?;
                event.by = None;
                tx.event(event);
                let (review, mut assigned) = p.assign(
                    &scope.cycle.record.config().kinds,
                    ReviewKind::Peer,
                    nomination.nominee(),
                    &mut RandomIds,
                    None,
                    now,
                )?;
                assigned.by = None;
                tx.notify(
                    nomination.nominee(),
                    NotificationKind::PeerAssigned,
                    Some(p.cycle()),
                    Some(p.subject()),
                    &assigned,
                );
                tx.event(assigned);
                tx.put(Record::from(review), Expect::Absent);
                tx.put(Record::from(nomination), Expect::Version(n.version));
                approved += 1;
            }
        }
        let mut reminded = 0;
        let windows = &settings.windows;
        if ReviewKind::ALL.iter().any(|k| windows.of(*k).is_some()) {
            for r in self.storage.reviews_about(p.cycle(), p.subject()).await? {
                let Some(window) = windows.of(r.record.kind()) else {
                    continue;
                };
                if !matches!(r.record.state(), ReviewState::Assigned | ReviewState::Draft) {
                    continue;
                }
                let due_soon = settings.remind_days_before.is_some_and(|d| {
                    now >= window.due - Duration::days(i64::from(d))
                        && now <= window.due
                        && now >= window.opens
                });
                let kind = if settings.remind_overdue && now > window.due {
                    ReminderKind::Overdue
                } else if due_soon {
                    ReminderKind::BeforeDue
                } else {
                    continue;
                };
                if r.record.reminded(kind) {
                    continue;
                }
                let mut review = r.record.clone();
                let event = review.mark_reminded(kind, now)?;
                let note = match kind {
                    ReminderKind::BeforeDue => NotificationKind::ReminderBeforeDue,
                    ReminderKind::Overdue => NotificationKind::ReminderOverdue,
                };
                tx.notify(
                    review.author(),
                    note,
                    Some(review.cycle()),
                    Some(review.subject()),
                    &event,
                );
                tx.event(event);
                tx.put(Record::from(review), Expect::Version(r.version));
                reminded += 1;
            }
        }
        if approved == 0 && reminded == 0 {
            return Ok((0, 0));
        }
        if p != packet.record {
            tx.put(Record::from(p), Expect::Version(packet.version));
        } else {
            tx.read(RecordKey::Packet(p.id()), Expect::Version(packet.version));
        }
        self.finish(tx).await?;
        Ok((approved, reminded))
    }

    // ------------------------------------------------------------ calibration

    /// Creates a calibration session of a cycle with its participants and contributors
    /// (R-WRITE-4).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] for a participant without a
    /// packet, [`Error::Conflict`].
    pub async fn create_calibration(
        &self,
        actor: PersonId,
        cycle: CycleId,
        name: &str,
        participants: impl IntoIterator<Item = PersonId> + Send,
        contributors: impl IntoIterator<Item = PersonId> + Send,
    ) -> Result<CalibrationSession> {
        let scope = self.scope(cycle).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::ManageCalibration,
            Target::Cycle,
        )?;
        if !scope.cycle.record.settings().calibration {
            return Err(Error::invalid(
                "calibration",
                "the cycle does not calibrate",
            ));
        }
        let participants: Vec<PersonId> = participants.into_iter().collect();
        for p in &participants {
            if !scope.cycle.record.participants().contains(p) {
                return Err(Error::invalid(
                    "calibration",
                    format!("`{p}` is not a participant of the cycle"),
                ));
            }
        }
        let (session, event) = CalibrationSession::create(
            CalibrationSessionId::random(),
            cycle,
            name,
            participants,
            contributors,
            actor,
            scope.now,
        );
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.event(event);
        tx.put(Record::from(session.clone()), Expect::Absent);
        self.finish(tx).await?;
        Ok(session)
    }

    async fn session(&self, id: CalibrationSessionId) -> Result<Versioned<CalibrationSession>> {
        let key = RecordKey::Calibration(id);
        match self.storage.get(key).await? {
            Some(Versioned {
                version,
                record: Record::Calibration(s),
            }) => Ok(Versioned {
                version,
                record: *s,
            }),
            _ => Err(key.not_found()),
        }
    }

    /// Opens a session (R-WRITE-4): its contributors may now calibrate its participants.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    pub async fn open_calibration(
        &self,
        actor: PersonId,
        session: CalibrationSessionId,
    ) -> Result<CalibrationSession> {
        let session = self.session(session).await?;
        let scope = self.scope(session.record.cycle()).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::ManageCalibration,
            Target::Calibration(&session.record),
        )?;
        let mut s = session.record.clone();
        let event = s.open(actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.event(event);
        tx.put(Record::from(s.clone()), Expect::Version(session.version));
        self.finish(tx).await?;
        Ok(s)
    }

    /// Closes a session (R-WRITE-4): its participants' packets waiting in calibration move on
    /// (to approval, notifying the approver, or to ready to share).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    pub async fn close_calibration(
        &self,
        actor: PersonId,
        session: CalibrationSessionId,
    ) -> Result<CalibrationSession> {
        let session = self.session(session).await?;
        let scope = self.scope(session.record.cycle()).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::ManageCalibration,
            Target::Calibration(&session.record),
        )?;
        let mut s = session.record.clone();
        let event = s.close(actor, scope.now)?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.event(event);
        let settings = scope.cycle.record.settings().clone();
        let packets = self.packets_of(s.cycle(), s.participants()).await?;
        for person in s.participants() {
            let Some(packet) = packets.get(person) else {
                continue;
            };
            if packet.record.state() != PacketState::Calibrating || packet.record.is_withdrawn() {
                continue;
            }
            let mut p = packet.record.clone();
            let moved = p.close_calibration(&settings, scope.snapshot()?, actor, scope.now)?;
            self.notify_approvers(&scope, &mut tx, &p, &moved)?;
            tx.event(moved);
            tx.put(Record::from(p), Expect::Version(packet.version));
        }
        tx.put(Record::from(s.clone()), Expect::Version(session.version));
        self.finish(tx).await?;
        Ok(s)
    }

    /// Sets a participant's calibrated rating (R-WRITE-11: contributors of an open session
    /// including them, admins, collaborators). The audit event keeps the consolidated rating,
    /// the previous and new calibrated rating, who and when.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] off the scale or before the
    /// manager review, [`Error::Conflict`].
    pub async fn set_calibrated_rating(
        &self,
        actor: PersonId,
        packet: PacketId,
        rating: Score,
    ) -> Result<Packet> {
        let (scope, packet) = self.packet_scope(packet).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::ChangeCalibratedRating,
            Target::Packet(&packet.record),
        )?;
        let reviews = self
            .storage
            .reviews_about(packet.record.cycle(), packet.record.subject())
            .await?;
        let refs: Vec<&Review> = reviews.iter().map(|r| &r.record).collect();
        let original = breakdown(&scope.cycle.record, &packet.record, &refs).consolidated;
        let mut p = packet.record.clone();
        let event = p.set_calibrated(
            rating,
            original,
            &scope.cycle.record.settings().rating_scale,
            actor,
            scope.now,
        )?;
        let mut tx = Tx::new();
        scope.relied_on(&mut tx);
        tx.event(event);
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx).await?;
        Ok(p)
    }

    /// A session's rating distribution against the cycle's target, and its 9-box grid (when
    /// the template asks the manager for potential). For the session's contributors, admins
    /// and collaborators.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    pub async fn calibration_report(
        &self,
        actor: PersonId,
        session: CalibrationSessionId,
    ) -> Result<CalibrationReport> {
        let session = self.session(session).await?;
        let scope = self.scope(session.record.cycle()).await?;
        let ctx = scope.ctx();
        if !session.record.contributors().contains(&actor) {
            authorize(
                &ctx,
                actor,
                Action::ManageCalibration,
                Target::Calibration(&session.record),
            )?;
        }
        let cycle = &scope.cycle.record;
        let settings = cycle.settings();
        let potential_id = settings
            .potential_question
            .as_deref()
            .map(crate::QuestionId::from_key);
        let mut entries = Vec::new();
        let packets = self
            .packets_of(cycle.id(), session.record.participants())
            .await?;
        for person in session.record.participants() {
            let Some(packet) = packets.get(person).map(|p| &p.record) else {
                continue;
            };
            let reviews = self.storage.reviews_about(cycle.id(), *person).await?;
            let refs: Vec<&Review> = reviews.iter().map(|r| &r.record).collect();
            let potential = potential_id.and_then(|q| {
                refs.iter()
                    .filter(|r| {
                        r.kind() == ReviewKind::Manager && r.state() == ReviewState::Submitted
                    })
                    .find_map(|r| match r.answers().get(q) {
                        Some(Answer::Rating(v)) => Some(*v),
                        _ => None,
                    })
            });
            entries.push(CalibrationEntry {
                person: *person,
                result: breakdown(cycle, packet, &refs).result,
                potential,
            });
        }
        Ok(calibration_report(
            &entries,
            &settings.rating_scale,
            &settings.calibration_target,
            settings.calibration_tolerance,
        ))
    }

    // ------------------------------------------------------------ team progress

    /// A manager's progress: their direct reports and extended team in the cycle's org
    /// snapshot (R-WRITE-15: the manager themselves, or admins and collaborators), each packet
    /// counted only when `actor` may view it.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    pub async fn team_progress(
        &self,
        actor: PersonId,
        cycle: CycleId,
        manager: PersonId,
    ) -> Result<TeamProgress> {
        let scope = self.scope(cycle).await?;
        let ctx = scope.ctx();
        if actor != manager {
            authorize(&ctx, actor, Action::ViewProgress, Target::Cycle)?;
        }
        let snapshot = scope.snapshot()?;
        let (mut direct, mut extended) = (Tally::default(), Tally::default());
        let late = |k| overdue(&scope.cycle.record, k, scope.now);
        let mut after = None;
        loop {
            let page = self.storage.packets(cycle, after, PAGE).await?;
            for p in &page {
                let p = &p.record;
                let subject = p.subject();
                if !snapshot.is_ancestor(manager, subject) {
                    continue;
                }
                if !decide(&ctx, actor, Action::ViewProgress, Target::Packet(p)).is_allowed() {
                    continue;
                }
                extended.count(p, &late);
                if snapshot.manager_of(subject) == Some(manager) {
                    direct.count(p, &late);
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.record.id()),
                _ => {
                    let mut team = TeamProgress::default();
                    direct.add_to(&mut team.direct);
                    extended.add_to(&mut team.extended);
                    return Ok(team);
                }
            }
        }
    }
}
