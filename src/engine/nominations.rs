//! Nomination commands: nominate, approve or deny, decline, close nominations.

use super::tx::Tx;
use crate::access::Action;
use crate::domain::notification::NotificationKind;
use std::collections::BTreeMap;

use crate::domain::workflow;
use crate::plugin::{Expect, Record, RecordKey, Storage};
use crate::views;
use crate::{
    Error, Nomination, NominationId, NominationState, Packet, PacketId, PacketState, PersonId,
    RandomIds, Result, ReviewKind,
};

use super::{Engine, Scope};

impl Engine {
    /// Nominates `nominee` as a peer of the packet's participant (R-WRITE-7). With nomination
    /// approval off the nomination is approved at once and the peer review assigned; with it
    /// on, the manager is notified.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] (nominations closed, self-peer,
    /// duplicate, too many, nominee unknown), [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn nominate(
        &self,
        actor: PersonId,
        packet: PacketId,
        nominee: PersonId,
    ) -> Result<Nomination> {
        replay!(self, actor);
        let (scope, packet) = self
            .authorized_packet(actor, packet, Action::Nominate)
            .await?;
        if packet.record.state() != PacketState::Nominating {
            return Err(Error::invalid(
                "nomination",
                "nominations are closed for this participant",
            ));
        }
        if !scope.snapshot()?.contains(nominee) {
            return Err(Error::invalid(
                "nominee",
                format!("`{nominee}` is not in the cycle's org snapshot"),
            ));
        }
        if scope.snapshot()?.has_left(nominee) {
            return Err(Error::invalid(
                "nominee",
                format!("`{nominee}` has left, and takes no new role in the cycle"),
            ));
        }
        let existing: Vec<Nomination> = self
            .storage
            .nominations(packet.record.id())
            .await?
            .into_iter()
            .map(|n| n.record)
            .collect();
        let settings = scope.cycle.record.settings();
        let (mut nomination, event) = Nomination::create(
            NominationId::random(),
            &packet.record,
            nominee,
            &existing,
            settings,
            actor,
            scope.now,
        )?;
        let mut tx = scope.tx();
        tx.event(event.clone());
        let subject = packet.record.subject();
        let cycle = Some(scope.cycle.record.id());
        // Every nomination writes the packet, so a racing one conflicts instead of slipping
        // past the duplicate and maximum checks made on the nominations read above.
        let mut p = packet.record.clone();
        p.note_nomination();
        if settings.nomination_approval {
            if let Some(manager) = packet.record.manager() {
                tx.notify(
                    manager,
                    NotificationKind::NominationToApprove,
                    cycle,
                    Some(subject),
                    &event,
                );
            }
        } else {
            tx.event(nomination.decide(NominationState::Approved, None, actor, scope.now)?);
            self.assign_peer(&scope, &mut tx, &mut p, nominee, actor)?;
        }
        tx.put(Record::from(p), Expect::Version(packet.version));
        tx.put(Record::from(nomination.clone()), Expect::Absent);
        self.finish(tx, actor, nomination).await
    }

    pub(super) fn assign_peer(
        &self,
        scope: &Scope,
        tx: &mut Tx,
        packet: &mut Packet,
        peer: PersonId,
        by: PersonId,
    ) -> Result<()> {
        scope.known(peer)?;
        workflow::check_peer_room(&scope.cycle.record, packet)?;
        let kinds = scope.cycle.record.config().kinds;
        let (review, event) = packet.assign(
            &kinds,
            ReviewKind::Peer,
            peer,
            &mut RandomIds,
            Some(by),
            scope.now,
        )?;
        tx.notify(
            peer,
            NotificationKind::PeerAssigned,
            Some(scope.cycle.record.id()),
            Some(packet.subject()),
            &event,
        );
        tx.event(event);
        tx.put(Record::from(review), Expect::Absent);
        Ok(())
    }

    /// Approves a nomination (R-WRITE-8): the peer review is assigned and the peer notified.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`] unless pending,
    /// [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn approve_nomination(
        &self,
        actor: PersonId,
        nomination: NominationId,
        reason: Option<&str>,
    ) -> Result<Nomination> {
        replay!(self, actor);
        self.decide_nomination(actor, nomination, NominationState::Approved, reason)
            .await
    }

    /// Denies a nomination (R-WRITE-8), with an optional reason.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`] unless pending,
    /// [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn deny_nomination(
        &self,
        actor: PersonId,
        nomination: NominationId,
        reason: Option<&str>,
    ) -> Result<Nomination> {
        replay!(self, actor);
        self.decide_nomination(actor, nomination, NominationState::Denied, reason)
            .await
    }

    async fn decide_nomination(
        &self,
        actor: PersonId,
        nomination: NominationId,
        to: NominationState,
        reason: Option<&str>,
    ) -> Result<Nomination> {
        let (scope, packet, nomination) = self
            .authorized_nomination(actor, nomination, Action::DecideNomination)
            .await?;
        // A withdrawn packet is read-only: its nominations are decided no more.
        packet.record.ensure_live()?;
        let mut n = nomination.record.clone();
        let event = n.decide(to, reason, actor, scope.now)?;
        let mut tx = scope.tx();
        tx.event(event);
        if to == NominationState::Approved {
            let mut p = packet.record.clone();
            self.assign_peer(&scope, &mut tx, &mut p, n.nominee(), actor)?;
            tx.put(Record::from(p), Expect::Version(packet.version));
        } else {
            tx.read(
                RecordKey::Packet(packet.record.id()),
                Expect::Version(packet.version),
            );
        }
        tx.put(Record::from(n.clone()), Expect::Version(nomination.version));
        self.finish(tx, actor, n).await
    }

    /// The nominee declines (R-WRITE-9). Declining an approved nomination cancels the peer
    /// review it created, unless that review is already submitted.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`],
    /// [`Error::Invalid`] when the peer review is submitted, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn decline_nomination(
        &self,
        actor: PersonId,
        nomination: NominationId,
        reason: Option<&str>,
    ) -> Result<Nomination> {
        replay!(self, actor);
        let (scope, packet, nomination) = self
            .authorized_nomination(actor, nomination, Action::DeclineNomination)
            .await?;
        let p = &packet.record;
        let reviews = if nomination.record.state() == NominationState::Approved {
            self.storage.reviews_about(p.cycle(), p.subject()).await?
        } else {
            Vec::new()
        };
        let outcome = workflow::decline(
            &nomination.record,
            p,
            &reviews.iter().map(|r| r.record.clone()).collect::<Vec<_>>(),
            reason,
            actor,
            scope.now,
        )?;
        let declined = outcome.nominations.first().cloned();
        let versions: BTreeMap<RecordKey, u64> = reviews
            .iter()
            .map(|r| (RecordKey::Review(r.record.id()), r.version))
            .chain([
                (RecordKey::Packet(p.id()), packet.version),
                (
                    RecordKey::Nomination(nomination.record.id()),
                    nomination.version,
                ),
            ])
            .collect();
        let mut tx = scope.tx();
        tx.apply(outcome, |key| versions.get(&key).copied());
        let declined =
            declined.ok_or_else(|| RecordKey::Nomination(nomination.record.id()).not_found())?;
        self.finish(tx, actor, declined).await
    }

    /// Ends nominations for one participant: `nominating → writing` (R-WRITE-2, editing
    /// assignments). Refused while fewer peers than the cycle's minimum are assigned.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] below the minimum,
    /// [`Error::InvalidTransition`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn close_nominations(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        replay!(self, actor);
        let (scope, packet) = self
            .authorized_packet(actor, packet, Action::EditAssignments)
            .await?;
        workflow::check_min_peers(&scope.cycle.record, &packet.record)?;
        let mut p = packet.record.clone();
        let event = p.close_nominations(actor, scope.now)?;
        let mut tx = scope.tx();
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        tx.event(event);
        self.finish(tx, actor, views::packet(p, actor)).await
    }
}
