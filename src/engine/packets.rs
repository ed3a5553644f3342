//! Packet and review commands: drafts and submissions, approval, sharing, acknowledgement.

use super::tx::Tx;
use crate::access::{Action, Target, authorize, decide};
use crate::domain::event::Event;
use crate::domain::notification::NotificationKind;
use crate::plugin::{Expect, Record, RecordKey, Storage};
use crate::views::{self, ReviewView};
use crate::{
    Answers, Error, Packet, PacketId, PacketState, PersonId, Result, ReviewId, ReviewKind,
    ReviewState, StepApprover, resolve_step,
};

use super::{Engine, Scope, check_answers};

impl Engine {
    /// Saves draft answers (R-WRITE-6: the author, inside the window, after gating).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] naming the question,
    /// [`Error::InvalidTransition`], [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn save_draft(
        &self,
        actor: PersonId,
        review: ReviewId,
        answers: Answers,
    ) -> Result<ReviewView> {
        replay!(self, actor);
        let (scope, packet, review) = self
            .authorized_review(actor, review, Action::WriteReview)
            .await?;
        check_answers(
            &self.limits,
            &scope.cycle.record,
            &packet.record,
            review.record.kind(),
            &answers,
            false,
        )?;
        let mut r = review.record.clone();
        let mut p = packet.record.clone();
        let event = r.save_draft(&mut p, answers, actor, scope.now)?;
        let mut tx = scope.tx();
        // The first draft changes the packet's draft count; later ones only rely on it.
        if p == packet.record {
            tx.read(RecordKey::Packet(p.id()), Expect::Version(packet.version));
        } else {
            tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        }
        tx.put(Record::from(r.clone()), Expect::Version(review.version));
        tx.event(event);
        self.finish(tx, actor, scope.receipt(actor, &p, &r)).await
    }

    /// Submits a review (R-WRITE-6), with final answers when given. A self review notifies the
    /// manager. Submitting the manager review moves the packet on: to calibration, approval
    /// (notifying the approver) or ready to share, as the cycle is set up.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] naming the question,
    /// [`Error::InvalidTransition`], [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn submit_review(
        &self,
        actor: PersonId,
        review: ReviewId,
        answers: Option<Answers>,
    ) -> Result<ReviewView> {
        replay!(self, actor);
        let (scope, packet, review) = self
            .authorized_review(actor, review, Action::WriteReview)
            .await?;
        let kind = review.record.kind();
        let final_answers = answers.as_ref().unwrap_or(review.record.answers());
        check_answers(
            &self.limits,
            &scope.cycle.record,
            &packet.record,
            kind,
            final_answers,
            true,
        )?;
        let mut r = review.record.clone();
        let mut p = packet.record.clone();
        let events = r.submit(&mut p, answers, actor, scope.now)?;
        let mut tx = scope.tx();
        let cycle = Some(scope.cycle.record.id());
        if r.kind() == ReviewKind::SelfReview
            && let (Some(manager), Some(first)) = (p.manager(), events.first())
        {
            tx.notify(
                manager,
                NotificationKind::SelfReviewSubmitted,
                cycle,
                Some(p.subject()),
                first,
            );
        }
        tx.events(events);
        if r.kind() == ReviewKind::Manager {
            let settings = scope.cycle.record.settings();
            let moved = p.finish_writing(settings, scope.snapshot()?, actor, scope.now)?;
            self.notify_approvers(&scope, &mut tx, &p, &moved)?;
            tx.event(moved);
        }
        tx.put(Record::from(r.clone()), Expect::Version(review.version));
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        // The first submit of a kind writes the cycle: an edit loosening that kind's promises
        // conflicts with it rather than landing beside it.
        if !scope.cycle.record.has_submitted(kind) {
            let mut c = crate::Cycle::clone(&scope.cycle.record);
            c.note_submitted(kind);
            tx.put(Record::from(c), Expect::Version(scope.cycle.version));
        }
        self.finish(tx, actor, scope.receipt(actor, &p, &r)).await
    }

    /// Queues `approval_needed` for the current step's approvers, when the packet waits for
    /// approval.
    pub(super) fn notify_approvers(
        &self,
        scope: &Scope,
        tx: &mut Tx,
        packet: &Packet,
        event: &Event,
    ) -> Result<()> {
        if packet.state() != PacketState::PendingApproval {
            return Ok(());
        }
        let cycle = &scope.cycle.record;
        let subject = packet.subject();
        let (chain, snapshot) = (&cycle.settings().approval_chain, scope.snapshot()?);
        let step = resolve_step(
            snapshot,
            chain,
            packet.current_approval_step(chain, snapshot),
            subject,
        );
        let mut approvers: Vec<PersonId> = match step {
            StepApprover::Person(p) => vec![p],
            // Everyone who may approve this step: admins of the cycle and custom roles with
            // "approve results" for the subject, as access decides.
            StepApprover::Admins => {
                let ctx = scope.ctx();
                let target = Target::Packet(packet);
                scope
                    .grants
                    .admins()
                    .map(|(p, _)| p)
                    .chain(scope.grants.role_holders())
                    .filter(|p| decide(&ctx, *p, Action::Approve, target).is_allowed())
                    .collect()
            }
            StepApprover::Skipped => Vec::new(),
        };
        approvers.sort();
        approvers.dedup();
        for a in approvers {
            tx.notify(
                a,
                NotificationKind::ApprovalNeeded,
                Some(cycle.id()),
                Some(subject),
                event,
            );
        }
        Ok(())
    }

    /// Approves the packet's current approval step (R-WRITE-12); notifies the next approver.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn approve(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        replay!(self, actor);
        self.packet_command(actor, packet, Action::Approve, |engine, scope, tx, p| {
            let event = p.approve(
                scope.cycle.record.settings(),
                scope.snapshot()?,
                actor,
                scope.now,
            )?;
            engine.notify_approvers(scope, tx, p, &event)?;
            Ok(vec![event])
        })
        .await
    }

    /// Sends the packet back to the manager with a comment (R-WRITE-12): the manager review
    /// returns to draft and its author is notified.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn send_back(
        &self,
        actor: PersonId,
        packet: PacketId,
        comment: &str,
    ) -> Result<Packet> {
        replay!(self, actor);
        let (scope, packet) = self
            .authorized_packet(actor, packet, Action::Approve)
            .await?;
        let reviews = self
            .storage
            .reviews_about(packet.record.cycle(), packet.record.subject())
            .await?;
        let manager_review = reviews
            .into_iter()
            .find(|r| {
                r.record.kind() == ReviewKind::Manager && r.record.state() == ReviewState::Submitted
            })
            .ok_or_else(|| Error::invalid("packet", "it has no submitted manager review"))?;
        let mut p = packet.record.clone();
        let mut r = manager_review.record.clone();
        let events = p.send_back(&mut r, comment, actor, scope.now)?;
        let mut tx = scope.tx();
        if let Some(sent_back) = events.last() {
            let (cycle, subject) = (Some(p.cycle()), Some(p.subject()));
            tx.notify(
                r.author(),
                NotificationKind::SentBack,
                cycle,
                subject,
                sent_back,
            );
        }
        tx.events(events);
        tx.put(Record::from(r), Expect::Version(manager_review.version));
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx, actor, views::packet(p, actor)).await
    }

    /// Shares results with the participant (R-WRITE-13) and notifies them.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn share(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        replay!(self, actor);
        self.packet_command(actor, packet, Action::Share, |_, scope, tx, p| {
            let event = p.share(actor, scope.now)?;
            tx.notify(
                p.subject(),
                NotificationKind::ResultsShared,
                Some(p.cycle()),
                Some(p.subject()),
                &event,
            );
            Ok(vec![event])
        })
        .await
    }

    /// Takes shared results back (R-WRITE-13: admins only; audited).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn unshare(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        replay!(self, actor);
        self.packet_command(actor, packet, Action::Unshare, |_, scope, _, p| {
            Ok(vec![p.unshare(actor, scope.now)?])
        })
        .await
    }

    /// The participant acknowledges their results, with an optional comment (R-WRITE-14).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn acknowledge(
        &self,
        actor: PersonId,
        packet: PacketId,
        comment: Option<&str>,
    ) -> Result<Packet> {
        replay!(self, actor);
        self.packet_command(actor, packet, Action::Acknowledge, |_, scope, _, p| {
            p.acknowledge(comment, actor, scope.now)
        })
        .await
    }

    /// Authorizes `action` on the packet, applies `change`, commits.
    pub(super) async fn packet_command(
        &self,
        actor: PersonId,
        packet: PacketId,
        action: Action,
        change: impl FnOnce(&Self, &Scope, &mut Tx, &mut Packet) -> Result<Vec<Event>> + Send,
    ) -> Result<Packet> {
        let (scope, packet) = self.packet_scope(packet).await?;
        authorize(&scope.ctx(), actor, action, Target::Packet(&packet.record))?;
        let mut p = packet.record.clone();
        let mut tx = scope.tx();
        let events = change(self, &scope, &mut tx, &mut p)?;
        tx.events(events);
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx, actor, views::packet(p, actor)).await
    }
}
