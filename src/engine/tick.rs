//! Time-driven work: reminders and nomination deadlines, through `Engine::tick`.

use crate::access::Action;
use crate::domain::event::{Event, EventKind};
use crate::domain::notification::NotificationKind;
use std::collections::BTreeMap;

use crate::domain::workflow;
use crate::plugin::{Expect, RecordKey, Storage, Versioned};
use crate::{
    CycleId, CycleState, Error, Packet, PersonId, RandomIds, Result, ReviewId, ReviewKind,
    ReviewState,
};

use super::outcome::*;
use super::{Engine, PAGE, Scope};

impl Engine {
    /// Sends a reminder to a review's author now (R-WRITE-5: admins, collaborators, the
    /// subject's manager). Manual reminders can repeat; the time-driven ones of
    /// [`tick`](Self::tick) never do.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] for a submitted or cancelled
    /// review or one of a withdrawn packet, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn send_reminder(&self, actor: PersonId, review: ReviewId) -> Result<()> {
        replay!(self, actor);
        let (scope, packet, review) = self
            .authorized_review(actor, review, Action::SendReminder)
            .await?;
        let r = &review.record;
        if !matches!(r.state(), ReviewState::Assigned | ReviewState::Draft) {
            return Err(Error::invalid("reminder", "the review needs no reminder"));
        }
        // A withdrawn packet's reviews are read-only, and nobody is asked to write them (as
        // `tick` never does).
        packet.record.ensure_live()?;
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
        tx.read(
            RecordKey::Packet(packet.record.id()),
            Expect::Version(packet.version),
        );
        let kind = if workflow::is_overdue(&scope.cycle.record, r.kind(), scope.now) {
            NotificationKind::ReminderOverdue
        } else {
            NotificationKind::ReminderBeforeDue
        };
        tx.notify(r.author(), kind, Some(r.cycle()), Some(r.subject()), &event);
        tx.event(event);
        self.finish(tx, actor, ()).await
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
    #[tracing::instrument(skip_all, fields(outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
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
        let mut after = None;
        loop {
            let page = self.storage.packets(cycle, after, PAGE).await?;
            for packet in &page {
                if packet.record.is_withdrawn() {
                    continue;
                }
                let outcome = self.tick_packet(&scope, packet).await;
                match outcome {
                    Ok((approved, reminded)) => {
                        report.auto_approved += approved;
                        report.reminders += reminded;
                    }
                    Err(Error::Conflict { .. }) => report.conflicts += 1,
                    // A storage failure stops the tick; anything else is this packet's alone.
                    Err(e @ Error::Backend { .. }) => return Err(e),
                    Err(e) => report.failed.push((packet.record.id(), e.to_string())),
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.record.id()),
                _ => return Ok(()),
            }
        }
    }

    /// One packet's due work ([`workflow::tick`]), in one commit: `(auto-approved, reminders)`.
    pub(super) async fn tick_packet(
        &self,
        scope: &Scope,
        packet: &Versioned<Packet>,
    ) -> Result<(usize, usize)> {
        let cycle = &scope.cycle.record;
        let p = &packet.record;
        let nominations = if workflow::approves_at_deadline(cycle, p, scope.now) {
            self.storage.nominations(p.id()).await?
        } else {
            Vec::new()
        };
        let windows = &cycle.settings().windows;
        let reviews = if ReviewKind::ALL.iter().any(|k| windows.of(*k).is_some()) {
            self.storage.reviews_about(p.cycle(), p.subject()).await?
        } else {
            Vec::new()
        };
        let admins: Vec<PersonId> = scope
            .grants
            .admins()
            .filter(|(_, g)| g.covers(cycle.created_at()))
            .map(|(p, _)| p)
            .collect();
        let left: Vec<PersonId> = if nominations.is_empty() {
            Vec::new()
        } else {
            scope.snapshot()?.leavers().collect()
        };
        let nominations_now: Vec<_> = nominations.iter().map(|n| n.record.clone()).collect();
        let reviews_now: Vec<_> = reviews.iter().map(|r| r.record.clone()).collect();
        let outcome = workflow::tick(
            cycle,
            p,
            &nominations_now,
            &reviews_now,
            &admins,
            &left,
            &mut RandomIds,
            scope.now,
        )?;
        if outcome.is_empty() {
            return Ok((0, 0));
        }
        let approved = outcome
            .nominations
            .iter()
            .filter(|n| n.state() == crate::NominationState::Approved)
            .count();
        let done = (approved, outcome.reviews.len());
        let versions: BTreeMap<RecordKey, u64> = nominations
            .iter()
            .map(|n| (RecordKey::Nomination(n.record.id()), n.version))
            .chain(
                reviews
                    .iter()
                    .map(|r| (RecordKey::Review(r.record.id()), r.version)),
            )
            .chain([(RecordKey::Packet(p.id()), packet.version)])
            .collect();
        let mut tx = scope.tx();
        tx.read(RecordKey::Packet(p.id()), Expect::Version(packet.version));
        tx.apply(outcome, |key| versions.get(&key).copied());
        self.commit_and_deliver(tx).await?;
        Ok(done)
    }
}
