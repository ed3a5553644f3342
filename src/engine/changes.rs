//! Mid-cycle changes: participants after launch, manager changes and leavers, assignments,
//! corrections.

use crate::access::{Action, Target, authorize};
use crate::domain::event::{Event, EventKind};
use crate::domain::notification::NotificationKind;
use crate::domain::vocab::AssignmentRole;
use std::collections::BTreeMap;

use crate::domain::workflow;
use crate::plugin::{Directory, Expect, Record, RecordKey, Storage, StorageExt, Versioned};
use crate::views::{self, ReviewView};
use crate::{
    CycleId, CycleState, Error, OrgEdit, Packet, PacketId, PersonId, RandomIds, Result, Review,
    ReviewId, ReviewKind, ReviewState,
};

use super::Engine;

impl Engine {
    /// Adds a participant to a launched cycle (R-WRITE-2): their packet with the default
    /// assignments, and their goals for the period. A person hired after launch, not yet in
    /// the cycle's org snapshot, joins it from the [`Directory`] first (audited as
    /// [`JoinedOrg`](EventKind::JoinedOrg)); their manager must be in the snapshot.
    ///
    /// Nobody who has left writes a review of the new packet: a report who left gets no upward
    /// review, and a manager who left stays the manager reviewer without a manager review,
    /// to be replaced with [`change_manager_reviewer`](Self::change_manager_reviewer).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] (not launched, already a
    /// participant, has left, not in the directory), [`Error::Org`] (their manager is not in
    /// the snapshot), [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn add_participant(
        &self,
        actor: PersonId,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Packet> {
        replay!(self, actor);
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, Action::EditParticipants, Target::Cycle)?;
        if scope.cycle.record.state() != CycleState::Active {
            return Err(Error::invalid(
                "participants",
                "add participants to a draft cycle's list; a closed cycle takes none",
            ));
        }
        let c = &scope.cycle.record;
        // Two adds of one person racing both create the packet `PacketId::of` names: one
        // conflicts.
        if self
            .packets_of(c, &[person].into())
            .await?
            .contains_key(&person)
        {
            return Err(Error::invalid(
                "participants",
                format!("`{person}` already takes part"),
            ));
        }
        let snapshot = scope.snapshot()?;
        // A hire after launch joins the snapshot from the directory.
        let joined = if snapshot.contains(person) {
            None
        } else {
            let found = self.directory.people_with_ids(&[person]).await?;
            let Some(hire) = found.into_iter().find(|p| p.id == person) else {
                return Err(Error::invalid(
                    "participants",
                    format!("`{person}` is neither in the org snapshot nor in the directory"),
                ));
            };
            let manager = hire.manager;
            Some((snapshot.with_person_added(hire)?, manager))
        };
        let placed = joined.as_ref().map_or(snapshot, |(s, _)| s);
        let (mut packet, reviews, events) =
            crate::packet_for(c, placed, person, &mut RandomIds, actor, scope.now)?;
        let period = c.config().period;
        packet.goals = self
            .directory
            .goals(period)
            .await?
            .into_iter()
            .filter(|g| g.owner == person)
            .collect();
        let mut tx = scope.tx();
        if let Some((grown, manager)) = joined {
            tx.event(Event::new(
                scope.now,
                Some(actor),
                Some(cycle),
                EventKind::JoinedOrg { person, manager },
            ));
            let hire = grown.person(person).cloned().ok_or_else(|| {
                Error::invalid("participants", format!("`{person}` did not join the org"))
            })?;
            scope.change_org(&mut tx, OrgEdit::Joined { person: hire })?;
        }
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
        self.finish(tx, actor, views::packet(packet, actor)).await
    }

    /// Removes a participant after launch (R-WRITE-2): their packet is withdrawn (kept,
    /// read-only, out of progress).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::NotFound`], [`Error::Invalid`] when
    /// already withdrawn, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn remove_participant(
        &self,
        actor: PersonId,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Packet> {
        replay!(self, actor);
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, Action::EditParticipants, Target::Cycle)?;
        let packet = self
            .versioned_packet_of(&scope.cycle.record, person)
            .await?;
        self.commit_change(actor, &scope, &packet, |p| p.withdraw(actor, scope.now))
            .await
    }

    /// A person left (R-WRITE-2): their packet is withdrawn, every review they still had to
    /// write in this cycle is cancelled, nothing is deleted, and the cycle's org snapshot
    /// records that they left, so they read and do nothing in the cycle any more.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::NotFound`] for someone not in the
    /// cycle's org, [`Error::Invalid`] for someone who has already left, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn person_left(
        &self,
        actor: PersonId,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<()> {
        replay!(self, actor);
        let scope = self.scope(cycle).await?;
        authorize(&scope.ctx(), actor, Action::EditParticipants, Target::Cycle)?;
        let mut packets: Vec<Versioned<Packet>> = Vec::new();
        if let Ok(own) = self.versioned_packet_of(&scope.cycle.record, person).await
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
        // The packets of their open reviews, and those they write the manager review of
        // (whatever its state), which need a new manager reviewer.
        let managed: Vec<PacketId> = self
            .storage
            .reviews_by(cycle, person)
            .await?
            .into_iter()
            .filter(|r| {
                r.record.kind() == ReviewKind::Manager && r.record.state() != ReviewState::Cancelled
            })
            .map(|r| r.record.packet())
            .collect();
        for id in open.iter().map(|r| r.record.packet()).chain(managed) {
            if !packets.iter().any(|p| p.record.id() == id) {
                packets.push(self.storage.packet(id).await?);
            }
        }
        let admins: Vec<PersonId> = scope
            .grants
            .admins()
            .filter(|(_, g)| g.covers(scope.cycle.record.created_at()))
            .map(|(p, _)| p)
            .collect();
        let outcome = workflow::leave(
            cycle,
            person,
            &packets.iter().map(|p| p.record.clone()).collect::<Vec<_>>(),
            &open.iter().map(|r| r.record.clone()).collect::<Vec<_>>(),
            &admins,
            actor,
            scope.now,
        )?;
        let versions: BTreeMap<RecordKey, u64> = packets
            .iter()
            .map(|p| (RecordKey::Packet(p.record.id()), p.version))
            .chain(
                open.iter()
                    .map(|r| (RecordKey::Review(r.record.id()), r.version)),
            )
            .collect();
        // They read and do nothing in this cycle from now on: the org says they left.
        if !scope.snapshot()?.contains(person) {
            return Err(Error::NotFound {
                what: "person",
                id: person.to_string(),
            });
        }
        if scope.snapshot()?.has_left(person) {
            return Err(Error::invalid(
                "person",
                format!("`{person}` has already left"),
            ));
        }
        let mut tx = scope.tx();
        for (key, version) in &versions {
            tx.read(*key, Expect::Version(*version));
        }
        tx.apply(outcome, |key| versions.get(&key).copied());
        scope.change_org(&mut tx, OrgEdit::Left { person })?;
        self.finish(tx, actor, ()).await
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
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn change_manager(
        &self,
        actor: PersonId,
        packet: PacketId,
        new_manager: Option<PersonId>,
    ) -> Result<Packet> {
        replay!(self, actor);
        self.change_manager_with(actor, packet, new_manager, true)
            .await
    }

    /// Changes who writes a participant's manager review without changing the org (DOMAIN.md,
    /// "change of manager reviewer only"; R-WRITE-2): the same cancel-or-keep rule as
    /// [`change_manager`](Self::change_manager), and the org snapshot is untouched.
    ///
    /// # Errors
    ///
    /// As [`change_manager`](Self::change_manager).
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn change_manager_reviewer(
        &self,
        actor: PersonId,
        packet: PacketId,
        new_manager: Option<PersonId>,
    ) -> Result<Packet> {
        replay!(self, actor);
        self.change_manager_with(actor, packet, new_manager, false)
            .await
    }

    async fn change_manager_with(
        &self,
        actor: PersonId,
        packet: PacketId,
        new_manager: Option<PersonId>,
        in_org: bool,
    ) -> Result<Packet> {
        let (scope, packet) = self
            .authorized_packet(actor, packet, Action::EditAssignments)
            .await?;
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
        if let Some(m) = new_manager
            && snapshot.record.has_left(m)
        {
            return Err(Error::invalid(
                "manager",
                format!("`{m}` has left, and takes no new role in the cycle"),
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
        let current = old.as_mut().map(|r| &mut r.record);
        let (new_review, events) = if in_org {
            p.change_manager(
                new_manager,
                current,
                &kinds,
                &mut RandomIds,
                actor,
                scope.now,
            )?
        } else {
            p.change_manager_reviewer(
                new_manager,
                current,
                &kinds,
                &mut RandomIds,
                actor,
                scope.now,
            )?
        };
        // The packet's own checks first (not the subject, not the same manager), then the org.
        if in_org {
            snapshot
                .record
                .check_manager_change(packet.record.subject(), new_manager)?;
        }
        let mut tx = scope.tx();
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
        if in_org {
            scope.change_org(
                &mut tx,
                OrgEdit::ManagerChanged {
                    person: p.subject(),
                    manager: new_manager,
                },
            )?;
        }
        self.finish(tx, actor, views::packet(p, actor)).await
    }

    /// Removes a cycle-specific review viewer (R-WRITE-2).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] when they are not one,
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn remove_viewer(
        &self,
        actor: PersonId,
        packet: PacketId,
        person: PersonId,
    ) -> Result<Packet> {
        replay!(self, actor);
        self.packet_command(actor, packet, Action::EditAssignments, |_, scope, _, p| {
            Ok(vec![p.remove_role(
                AssignmentRole::Viewer,
                person,
                actor,
                scope.now,
            )?])
        })
        .await
    }

    /// Removes a sharing user (R-WRITE-2).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] when they are not one,
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn remove_sharer(
        &self,
        actor: PersonId,
        packet: PacketId,
        person: PersonId,
    ) -> Result<Packet> {
        replay!(self, actor);
        self.packet_command(actor, packet, Action::EditAssignments, |_, scope, _, p| {
            Ok(vec![p.remove_role(
                AssignmentRole::Sharer,
                person,
                actor,
                scope.now,
            )?])
        })
        .await
    }

    /// Removes the writer of a review: an additional manager (the default one too), an upward
    /// reviewer or a peer (R-WRITE-2). Their unsubmitted review is cancelled (kept, readable
    /// by its author only); a writer who submitted cannot be removed (remove the feedback
    /// instead). Once writing has started, a peer is not removed below the cycle's minimum
    /// of peers (replace them instead).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::NotFound`],
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn remove_reviewer(&self, actor: PersonId, review: ReviewId) -> Result<Packet> {
        replay!(self, actor);
        let (scope, packet, review) = self.reviewer_scope(actor, review).await?;
        let (mut p, mut r) = (packet.record.clone(), review.record.clone());
        let events = p.remove_reviewer(&mut r, actor, scope.now)?;
        if r.kind() == ReviewKind::Peer && p.state() != crate::PacketState::Nominating {
            workflow::check_min_peers(&scope.cycle.record, &p)?;
        }
        let mut tx = scope.tx();
        tx.events(events);
        tx.put(Record::from(r), Expect::Version(review.version));
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx, actor, views::packet(p, actor)).await
    }

    /// Replaces the writer of a review with `person` (R-WRITE-2): the old writer is removed as
    /// [`remove_reviewer`](Self::remove_reviewer) says and `person` gets a new review of the
    /// same kind (a new peer is notified). Returns the new review as `actor` may see it.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::NotFound`],
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn replace_reviewer(
        &self,
        actor: PersonId,
        review: ReviewId,
        person: PersonId,
    ) -> Result<ReviewView> {
        replay!(self, actor);
        let (scope, packet, review) = self.reviewer_scope(actor, review).await?;
        scope.known(person)?;
        let (mut p, mut r) = (packet.record.clone(), review.record.clone());
        let kinds = scope.cycle.record.config().kinds;
        let (new, events) =
            p.replace_reviewer(&mut r, person, &kinds, &mut RandomIds, actor, scope.now)?;
        let mut tx = scope.tx();
        if let (ReviewKind::Peer, Some(assigned)) = (new.kind(), events.last()) {
            tx.notify(
                person,
                NotificationKind::PeerAssigned,
                Some(p.cycle()),
                Some(p.subject()),
                assigned,
            );
        }
        tx.events(events);
        tx.put(Record::from(r), Expect::Version(review.version));
        tx.put(Record::from(new.clone()), Expect::Absent);
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx, actor, scope.receipt(actor, &p, &new)).await
    }

    /// A review, its packet and scope, once `actor` may edit the packet's assignments; a
    /// caller who may not, and could not read the review either, is told it does not exist.
    async fn reviewer_scope(
        &self,
        actor: PersonId,
        review: ReviewId,
    ) -> Result<(super::Scope, Versioned<Packet>, Versioned<Review>)> {
        let (scope, packet, review) = self.review_scope(review).await?;
        let ctx = scope.ctx();
        match authorize(
            &ctx,
            actor,
            Action::EditAssignments,
            Target::Packet(&packet.record),
        ) {
            Err(Error::Denied(_))
                if !crate::access::knows_of(&ctx, actor, &packet.record, &review.record) =>
            {
                return Err(RecordKey::Review(review.record.id()).not_found());
            }
            other => other?,
        }
        Ok((scope, packet, review))
    }

    /// Adds a cycle-specific review viewer (R-WRITE-2).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn add_viewer(
        &self,
        actor: PersonId,
        packet: PacketId,
        person: PersonId,
    ) -> Result<Packet> {
        replay!(self, actor);
        self.packet_command(actor, packet, Action::EditAssignments, |_, scope, _, p| {
            scope.known(person)?;
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
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn add_sharer(
        &self,
        actor: PersonId,
        packet: PacketId,
        person: PersonId,
    ) -> Result<Packet> {
        replay!(self, actor);
        self.packet_command(actor, packet, Action::EditAssignments, |_, scope, _, p| {
            scope.known(person)?;
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
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn assign_reviewer(
        &self,
        actor: PersonId,
        packet: PacketId,
        kind: ReviewKind,
        person: PersonId,
    ) -> Result<ReviewView> {
        replay!(self, actor);
        if !matches!(
            kind,
            ReviewKind::AdditionalManager | ReviewKind::Upward | ReviewKind::Peer
        ) {
            return Err(Error::invalid(
                "kind",
                format!("{kind} reviews are assigned by the cycle, not by hand"),
            ));
        }
        let (scope, packet) = self
            .authorized_packet(actor, packet, Action::EditAssignments)
            .await?;
        scope.known(person)?;
        if kind == ReviewKind::Peer {
            workflow::check_peer_room(&scope.cycle.record, &packet.record)?;
        }
        let mut p = packet.record.clone();
        let kinds = scope.cycle.record.config().kinds;
        let (review, event) =
            p.assign(&kinds, kind, person, &mut RandomIds, Some(actor), scope.now)?;
        let mut tx = scope.tx();
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
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx, actor, scope.receipt(actor, &p, &review))
            .await
    }

    /// Opens a participant's manager review before gating would (R-WRITE-2; audited).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] when already open,
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn open_manager_review(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        replay!(self, actor);
        self.packet_command(actor, packet, Action::EditAssignments, |_, scope, _, p| {
            Ok(vec![p.open_gate(actor, scope.now)?])
        })
        .await
    }

    /// Reopens a submitted review (R-WRITE-3; audited): back to draft.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn reopen_review(&self, actor: PersonId, review: ReviewId) -> Result<ReviewView> {
        replay!(self, actor);
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
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn remove_feedback(&self, actor: PersonId, review: ReviewId) -> Result<ReviewView> {
        replay!(self, actor);
        self.review_command(actor, review, Action::RemoveFeedback, |r, p, at| {
            Ok(vec![r.remove_feedback(p, actor, at)?])
        })
        .await
    }

    pub(super) async fn review_command(
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
    ) -> Result<ReviewView> {
        let (scope, packet, review) = self.authorized_review(actor, review, action).await?;
        let (mut r, mut p) = (review.record.clone(), packet.record.clone());
        let events = change(&mut r, &mut p, scope.now)?;
        let mut tx = scope.tx();
        tx.events(events);
        tx.put(Record::from(r.clone()), Expect::Version(review.version));
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx, actor, scope.receipt(actor, &p, &r)).await
    }

    /// The manager records the final meeting (R-WRITE-14), once results are shared.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn record_meeting(&self, actor: PersonId, packet: PacketId) -> Result<Packet> {
        replay!(self, actor);
        self.packet_command(actor, packet, Action::RecordMeeting, |_, scope, _, p| {
            Ok(vec![p.record_meeting(actor, scope.now)?])
        })
        .await
    }
}
