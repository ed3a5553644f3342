//! Time-driven work: reminders and nomination deadlines, through `Engine::tick`.

use crate::access::{Action, Target};
use crate::domain::event::{Event, EventKind};
use crate::domain::notification::NotificationKind;
use crate::domain::vocab::ReminderKind;
use crate::plugin::{Expect, Record, RecordKey, Storage, Versioned};
use crate::{
    CycleId, CycleState, Error, NominationState, Packet, PacketState, PersonId, RandomIds, Result,
    ReviewId, ReviewKind, ReviewState,
};
use chrono::Duration;

use super::outcome::*;
use super::{Engine, PAGE, Scope, authorize, overdue};

impl Engine {
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
        let mut tx = scope.tx();
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

    pub(super) async fn tick_cycle(&self, cycle: CycleId, report: &mut TickReport) -> Result<()> {
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
    pub(super) async fn tick_packet(
        &self,
        scope: &Scope,
        packet: &Versioned<Packet>,
        approve: bool,
    ) -> Result<(usize, usize)> {
        let settings = scope.cycle.record.settings();
        let now = scope.now;
        let mut tx = scope.tx();
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
}
