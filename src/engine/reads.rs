//! Reads: reviews, packets, progress, the audit log, team progress.

use crate::access::{
    Action, Context, Rule, Target, authorize, authorize_packet, authorize_team_progress, decide,
    explain, knows_of, own_results_hidden, reads_own_reviews,
};
use crate::domain::progress::{Progress, Tally, TeamProgress};
use crate::domain::workflow;
use crate::plugin::{Record, RecordKey, Storage, StorageExt, StoredEvent, Versioned};
use crate::views::{self, CycleSummary, ReviewView, audit, view};
use crate::{
    Cycle, CycleId, CycleState, Error, Explanation, Packet, PacketId, PersonId, Result, Review,
    ReviewId, Template,
};

use super::{Engine, PAGE};

impl Engine {
    /// Reads a review as `actor` may see it (R-READ): the author is removed when the decision
    /// hides it, answers to private questions when the reader may not receive them.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`] with the explanation; [`Error::NotFound`] for a review that does not
    /// exist, or that the caller may not know of (no relation to its subject).
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn read_review(&self, actor: PersonId, review: ReviewId) -> Result<ReviewView> {
        let (scope, packet, review) = self
            .authorized_review(actor, review, Action::ReadReview)
            .await?;
        let target = Target::Review(&packet.record, &review.record);
        let d = decide(&scope.ctx(), actor, Action::ReadReview, target);
        Ok(view(&scope.cycle.record, scope.org(), &review.record, d))
    }

    /// Why `actor` may or may not read a review. A caller with no relation to the review's
    /// subject is told the review does not exist, as [`read_review`](Self::read_review) does.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn explain_read(&self, actor: PersonId, review: ReviewId) -> Result<Explanation> {
        let (scope, packet, review) = self.review_scope(review).await?;
        let ctx = scope.ctx();
        if !knows_of(&ctx, actor, &packet.record, &review.record) {
            return Err(RecordKey::Review(review.record.id()).not_found());
        }
        Ok(explain(
            &ctx,
            actor,
            Action::ReadReview,
            Target::Review(&packet.record, &review.record),
        ))
    }

    /// The cycles `actor` takes part in, ordered by id: those whose progress they may view
    /// (admins whose grant reaches the cycle, collaborators, custom roles with "view
    /// progress"), and, once launched, those where they write a review, are a participant, or
    /// manage someone in the cycle's org snapshot. Deleted cycles, and cycles whose snapshot
    /// says `actor` has left, are not listed. Other readers (viewers, sharing users,
    /// approvers beyond the manager chain) reach a cycle by its id.
    ///
    /// # Errors
    ///
    /// A storage failure.
    #[tracing::instrument(skip_all, fields(actor = %actor, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn cycles(&self, actor: PersonId) -> Result<Vec<CycleSummary>> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self.storage.cycles(after, PAGE).await?;
            for c in &page {
                if c.record.state() != CycleState::Deleted
                    && self.takes_part(actor, c.record.id()).await?
                {
                    out.push(CycleSummary::new(&c.record));
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.record.id()),
                _ => return Ok(out),
            }
        }
    }

    /// Whether `actor` takes part in `cycle` (see [`cycles`](Self::cycles)).
    async fn takes_part(&self, actor: PersonId, cycle: CycleId) -> Result<bool> {
        let scope = self.scope(cycle).await?;
        let ctx = scope.ctx();
        let snapshot = scope.snapshot.as_ref().map(|s| &*s.record);
        if snapshot.is_some_and(|s| s.has_left(actor)) {
            return Ok(false);
        }
        if authorize(&ctx, actor, Action::ViewProgress, Target::Cycle).is_ok()
            || snapshot.is_some_and(|s| s.direct_reports(actor).next().is_some())
        {
            return Ok(true);
        }
        if snapshot.is_none() {
            return Ok(false);
        }
        Ok(!self.storage.reviews_by(cycle, actor).await?.is_empty()
            || !self.storage.reviews_about(cycle, actor).await?.is_empty())
    }

    /// The form of a review: the template its cycle froze at launch for the review's kind,
    /// for its author and for whoever may read it (R-READ). A caller with no relation to the
    /// review is told it does not exist.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`], [`Error::Denied`] with the explanation.
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn review_form(&self, actor: PersonId, review: ReviewId) -> Result<Template> {
        let (scope, _, review) = self
            .authorized_review(actor, review, Action::ReadReview)
            .await?;
        scope
            .cycle
            .record
            .template_for(review.record.kind())
            .cloned()
            .ok_or_else(|| Error::NotFound {
                what: "template",
                id: format!("{} reviews of this cycle", review.record.kind()),
            })
    }

    /// The reviews about `subject` in `cycle` that `actor` may read, as they may see them.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for the cycle.
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn reviews_about(
        &self,
        actor: PersonId,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Vec<ReviewView>> {
        let scope = self.scope(cycle).await?;
        let ctx = scope.ctx();
        let reviews = self.storage.reviews_about(cycle, subject).await?;
        let Some(first) = reviews.first() else {
            return Ok(Vec::new());
        };
        let packet = self.storage.packet(first.record.packet()).await?;
        Ok(reviews
            .iter()
            .filter_map(|r| {
                let d = decide(
                    &ctx,
                    actor,
                    Action::ReadReview,
                    Target::Review(&packet.record, &r.record),
                );
                d.is_allowed()
                    .then(|| view(&scope.cycle.record, scope.org(), &r.record, d))
            })
            .collect())
    }

    /// The reviews `actor` writes in `cycle` (their to-do list), with their state; nothing for
    /// a person who has left.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for the cycle; a storage failure.
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn my_reviews(&self, actor: PersonId, cycle: CycleId) -> Result<Vec<ReviewView>> {
        let scope = self.scope(cycle).await?;
        if !reads_own_reviews(&scope.ctx(), actor) {
            return Ok(Vec::new());
        }
        Ok(self
            .storage
            .reviews_by(cycle, actor)
            .await?
            .iter()
            .map(|r| ReviewView::new(&r.record, scope.org(), false, Rule::Read(1)))
            .collect())
    }

    /// The packet of `subject` in `cycle`, for hosts that address participants by person:
    /// for the subject, and for whoever may view the participant's progress (R-WRITE-15:
    /// admins, collaborators, the manager reviewer and the manager chain). The subject gets it
    /// with their manager reviewer but without the other people on it, and without the
    /// calibrated rating until their results are shared.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`] when the person is not a participant.
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn packet_of(
        &self,
        actor: PersonId,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Packet> {
        let scope = self.scope(cycle).await?;
        let packet = self
            .versioned_packet_of(&scope.cycle.record, subject)
            .await?
            .record;
        authorize_packet(&scope.ctx(), actor, &packet)?;
        Ok(views::packet(packet, actor))
    }

    /// [`packet_of`](Self::packet_of) with the packet's version.
    pub(super) async fn versioned_packet_of(
        &self,
        cycle: &Cycle,
        subject: PersonId,
    ) -> Result<Versioned<Packet>> {
        self.packets_of(cycle, &[subject].into())
            .await?
            .remove(&subject)
            .ok_or_else(|| Error::NotFound {
                what: "participant",
                id: subject.to_string(),
            })
    }

    /// The packets of these subjects in `cycle`, by subject; subjects without a packet are
    /// left out. Each is one read by its id ([`PacketId::of`]). A cycle launched before packet
    /// ids were derived kept its participant list, and its packets are found in one pass over
    /// the cycle's packets.
    pub(super) async fn packets_of(
        &self,
        cycle: &Cycle,
        subjects: &std::collections::BTreeSet<PersonId>,
    ) -> Result<crate::domain::id::IdMap<PersonId, Versioned<Packet>>> {
        let mut found = crate::domain::id::IdMap::default();
        let mut listed = std::collections::BTreeSet::new();
        for &subject in subjects {
            let key = RecordKey::Packet(PacketId::of(cycle.id(), subject));
            match self.storage.get(key).await? {
                Some(Versioned {
                    version,
                    record: Record::Packet(p),
                }) if p.cycle() == cycle.id() && p.subject() == subject => {
                    found.insert(
                        subject,
                        Versioned {
                            version,
                            record: *p,
                        },
                    );
                }
                _ if cycle.state() != CycleState::Draft
                    && cycle.participants().contains(&subject) =>
                {
                    listed.insert(subject);
                }
                _ => {}
            }
        }
        let mut after = None;
        while !listed.is_empty() {
            let page = self.storage.packets(cycle.id(), after, PAGE).await?;
            after = page.last().map(|last| last.record.id());
            let full = page.len() == PAGE;
            for p in page {
                if listed.remove(&p.record.subject()) {
                    found.insert(p.record.subject(), p);
                }
            }
            if !full {
                break;
            }
        }
        Ok(found)
    }

    /// The cycle's progress (R-WRITE-15: admins and collaborators for the whole cycle).
    ///
    /// The counts come from [`Storage::progress`]: kept up to date by
    /// [`IndexedMemoryStorage`](crate::memory::IndexedMemoryStorage), so
    /// constant time there; a read of every packet on backends that keep the provided method.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn progress(&self, actor: PersonId, cycle: CycleId) -> Result<Progress> {
        let scope = self.scope(cycle).await?;
        self.named(authorize(
            &scope.ctx(),
            actor,
            Action::ViewProgress,
            Target::Cycle,
        ))
        .await?;
        let mut progress = self.storage.progress(cycle).await?;
        for (kind, k) in &mut progress.by_kind {
            k.overdue = if workflow::is_overdue(&scope.cycle.record, *kind, scope.now) {
                k.assigned.saturating_sub(k.submitted)
            } else {
                0
            };
        }
        Ok(progress)
    }

    /// The cycle's audit log after `after`, at most `limit` events (R-WRITE-15 readers: admins
    /// and collaborators). A reader who is a participant of the cycle gets it without the
    /// events that would link an anonymous review about them to its author, and without the
    /// changes of their own calibrated rating until their results are shared.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn audit_log(
        &self,
        actor: PersonId,
        cycle: CycleId,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let scope = self.scope(cycle).await?;
        self.named(authorize(
            &scope.ctx(),
            actor,
            Action::ViewProgress,
            Target::Cycle,
        ))
        .await?;
        // A reader who is also a participant never learns who wrote the anonymous reviews
        // about them.
        let about_reader: Vec<Review> = self
            .storage
            .reviews_about(cycle, actor)
            .await?
            .into_iter()
            .map(|r| r.record)
            .collect();
        // Nor their own ratings before their results are shared. Ratings exist only once a
        // manager review does, so a reader with no review about them has none to hide.
        let unshared_subject = match about_reader.first() {
            Some(r) => {
                let packet = self.storage.packet(r.packet()).await?.record;
                own_results_hidden(actor, &packet).then_some(actor)
            }
            None => None,
        };
        let protected = audit::Protected {
            reviews: audit::protected_reviews(&scope.cycle.record, actor, &about_reader),
            unshared_subject,
        };
        let mut out = Vec::new();
        let mut after = after;
        loop {
            let mut page = self.storage.events(cycle, after, limit).await?;
            let full = page.len() == limit;
            after = page.last().map(|e| e.seq).or(after);
            page.retain_mut(|e| audit::redact(&mut e.event, &protected));
            out.extend(page);
            if !full || out.len() >= limit {
                out.truncate(limit);
                return Ok(out);
            }
        }
    }

    /// The audit events of no cycle after `after`, at most `limit`: grants of every kind,
    /// custom roles and templates. For review admins, who manage grants (R-WRITE-16);
    /// collaborators and custom-role holders read only the logs of their cycles
    /// ([`audit_log`](Self::audit_log)).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`]; a storage failure.
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn store_audit_log(
        &self,
        actor: PersonId,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let (_, grants) = self.storage.grants().await?;
        let ctx = Context::new(&grants, self.clock.now());
        authorize(&ctx, actor, Action::ManageGrants, Target::Cycle)?;
        self.storage.store_events(after, limit).await
    }

    /// A manager's progress: their direct reports and extended team in the cycle's org
    /// snapshot (R-WRITE-15: the manager themselves, or admins and collaborators), each packet
    /// counted only when `actor` may view it.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn team_progress(
        &self,
        actor: PersonId,
        cycle: CycleId,
        manager: PersonId,
    ) -> Result<TeamProgress> {
        let scope = self.scope(cycle).await?;
        let ctx = scope.ctx();
        authorize_team_progress(&ctx, actor, manager)?;
        let snapshot = scope.snapshot()?;
        let (mut direct, mut extended) = (Tally::default(), Tally::default());
        let late = |k| workflow::is_overdue(&scope.cycle.record, k, scope.now);
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
