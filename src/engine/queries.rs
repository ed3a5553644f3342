//! The questions a product screen asks: everything a reader may read, a person's inbox, a
//! manager's status board.

use std::ops::Range;

use crate::access::{Action, Context, Target, authorize_team_progress, decide, reach};
use crate::domain::id::IdMap;
use crate::domain::org::OrgSnapshot;
use crate::domain::packet::{StepApprover, resolve_step};
use crate::domain::workflow;
use crate::plugin::StorageExt;
use crate::views::screens::{
    CalibrationItem, Cursor, Inbox, Named, NominationItem, PacketItem, ReviewFilter, ReviewPage,
    ReviewStatus, StatusBoard, StatusRow, ToWrite,
};
use crate::views::view_named;
use crate::{
    ApprovalStep, Cycle, CycleId, CycleState, Error, NominationState, Packet, PacketState,
    PersonId, Result, Review, ReviewState,
};

use super::{Engine, PAGE, Scope};

/// Which reviews [`Engine::visit_subjects`] reads of each participant.
#[derive(Debug, Clone, Copy)]
pub(super) enum Visit<'a> {
    /// Every review.
    All,
    /// What a reader may read at all: the submitted reviews (R-READ-2), and the reader's own,
    /// given by subject, in any state (R-READ-1).
    Readable(&'a IdMap<PersonId, Vec<Review>>),
}

/// Places in a snapshot's org order ([`OrgSnapshot::position`]), as sorted, disjoint ranges.
#[derive(Debug, Default)]
pub(super) struct Places(Vec<Range<u32>>);

impl Places {
    /// The union of `ranges`.
    pub(super) fn union(mut ranges: Vec<Range<u32>>) -> Self {
        ranges.retain(|r| !r.is_empty());
        ranges.sort_by_key(|r| r.start);
        let mut out: Vec<Range<u32>> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match out.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => out.push(r),
            }
        }
        Self(out)
    }

    /// The places from `start` on, in order.
    pub(super) fn from(&self, start: u32) -> impl Iterator<Item = u32> + '_ {
        self.0
            .iter()
            .filter(move |r| r.end > start)
            .flat_map(move |r| r.start.max(start)..r.end)
    }
}

impl Engine {
    /// Every review `reader` may read in `cycle` (R-READ), as they may see it: the author
    /// removed where the decision hides it, private answers where the reader may not receive
    /// them. Filtered by subject, kind and state; `limit` reviews a page, ordered by the
    /// subjects' place in the org (each manager before their team), then by review id. Pass a
    /// page's [`next`](ReviewPage::next) as `after` for the next page: a [`Cursor`] holds
    /// while the cycle's org snapshot does not change.
    ///
    /// The query costs in proportion to the people the reader's relations reach, not to the
    /// cycle: it visits the reader's own team (one contiguous range of the org order), the
    /// subjects of the reviews they write, the packets that name them, their grants and
    /// calibration sessions; only admins, collaborators and custom roles over everyone visit
    /// the whole cycle, a page at a time.
    ///
    /// ```
    /// # use appraise::{CycleId, Engine, PersonId};
    /// use appraise::views::screens::ReviewFilter;
    ///
    /// # async fn list(engine: &Engine, reader: PersonId, cycle: CycleId) -> appraise::Result<()> {
    /// let mut after = None;
    /// loop {
    ///     let page = engine
    ///         .readable_reviews(reader, cycle, ReviewFilter::default(), after, 100)
    ///         .await?;
    ///     for review in &page.reviews {
    ///         println!("{} review about {}", review.kind, review.subject);
    ///     }
    ///     match page.next {
    ///         Some(next) => after = Some(next),
    ///         None => return Ok(()),
    ///     }
    /// }
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for the cycle; [`Error::Invalid`] for a `limit` of zero or a
    /// cursor of another org snapshot; a storage failure.
    #[tracing::instrument(skip_all, fields(actor = %reader, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn readable_reviews(
        &self,
        reader: PersonId,
        cycle: CycleId,
        filter: ReviewFilter,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<ReviewPage> {
        if limit == 0 {
            return Err(Error::invalid("limit", "a page holds at least one review"));
        }
        let scope = self.scope(cycle).await?;
        let mut page = ReviewPage {
            reviews: Vec::new(),
            next: None,
        };
        let Some(snapshot) = &scope.snapshot else {
            return Ok(page);
        };
        let (org, snapshot) = (snapshot.version, &*snapshot.record);
        let start = match after {
            None => None,
            Some(c) if c.org == org => Some(c),
            Some(_) => {
                return Err(Error::invalid(
                    "cursor",
                    "the cycle's org changed since this page: start again from the first page",
                ));
            }
        };
        // Others read only submitted reviews (R-READ-2): the reader's own come from their list.
        let mut authored: IdMap<PersonId, Vec<Review>> = IdMap::default();
        if !snapshot.has_left(reader) {
            for r in self.storage.reviews_by(cycle, reader).await? {
                authored
                    .entry(r.record.subject())
                    .or_default()
                    .push(r.record);
            }
        }
        let places = self
            .reading_places(&scope, snapshot, reader, filter, authored.keys().copied())
            .await?;
        let from = match start {
            Some(c) => snapshot.position(c.subject).unwrap_or(u32::MAX),
            None => 0,
        };
        let ctx = scope.ctx();
        let mut subjects = places.from(from).filter_map(|at| snapshot.at_position(at));
        let readable = Visit::Readable(&authored);
        let reader_name = snapshot.name(reader);
        self.visit_subjects(cycle, &mut subjects, readable, |packet, reviews| {
            let subject = packet.subject();
            // A subject's reviews are mostly by themselves or by the reader: their names are
            // looked up once.
            let subject_name = snapshot.name_hinted(subject, packet.subject_at.0);
            let name = |id: PersonId| match id {
                id if id == subject => subject_name,
                id if id == reader => reader_name,
                id => snapshot.name(id),
            };
            for r in reviews {
                if start.is_some_and(|c| c.subject == subject && r.id() <= c.review)
                    || !filter.passes(subject, r.kind(), r.state())
                {
                    continue;
                }
                let d = decide(&ctx, reader, Action::ReadReview, Target::Review(packet, r));
                if !d.is_allowed() {
                    continue;
                }
                if page.reviews.len() == limit {
                    page.next = page.reviews.last().map(|last| Cursor {
                        org,
                        subject: last.subject,
                        review: last.id,
                    });
                    return false;
                }
                page.reviews
                    .push(view_named(&scope.cycle.record, name, r, d));
            }
            true
        })
        .await?;
        Ok(page)
    }

    /// Reads the packet and reviews of each of `subjects` with a review in `cycle`, in order,
    /// a batch at a time ([`Storage::visit_subjects`]), until `visit` returns `false`. Batches
    /// grow from small (a first page stops early) to 1,024 subjects (a whole team costs few
    /// reads). `visit` may run under the store's lock, so it must not call the storage, and a
    /// writer waits for one batch's visits at most (a fraction of a millisecond for a list,
    /// a few for a preview's explanations).
    ///
    /// [`Storage::visit_subjects`]: crate::plugin::Storage::visit_subjects
    pub(super) async fn visit_subjects(
        &self,
        cycle: CycleId,
        subjects: &mut (dyn Iterator<Item = PersonId> + Send),
        which: Visit<'_>,
        mut visit: impl FnMut(&Packet, &[&Review]) -> bool + Send,
    ) -> Result<()> {
        let (submitted_only, authored) = match which {
            Visit::All => (false, None),
            Visit::Readable(authored) => (true, Some(authored)),
        };
        // The reader's own reviews that are not submitted, by subject: the store leaves them
        // out (`submitted_only`), so they are merged in here.
        let unsubmitted = |subject: &PersonId| -> Option<Vec<&Review>> {
            let own: Vec<&Review> = authored?
                .get(subject)?
                .iter()
                .filter(|r| r.state() != ReviewState::Submitted)
                .collect();
            (!own.is_empty()).then_some(own)
        };
        let mut batch = 64;
        loop {
            let next: Vec<PersonId> = (&mut *subjects).take(batch).collect();
            if next.is_empty() {
                return Ok(());
            }
            // The packets of the subjects of those reviews, in case the store has no submitted
            // review about them.
            let mut own: IdMap<PersonId, (Packet, Vec<&Review>)> = IdMap::default();
            for subject in &next {
                if let Some(reviews) = unsubmitted(subject)
                    && let Some(first) = reviews.first()
                {
                    let packet = self.storage.packet(first.packet()).await?.record;
                    own.insert(*subject, (packet, reviews));
                }
            }
            let mut merged = |packet: &Packet, stored: &[&Review]| match own.get(&packet.subject())
            {
                None => visit(packet, stored),
                Some((_, mine)) => {
                    let mut all: Vec<&Review> = stored.iter().chain(mine).copied().collect();
                    all.sort_by_key(|r| r.id());
                    visit(packet, &all)
                }
            };
            // Subjects the store leaves out but the reader has reviews about come in their
            // place in the order.
            let mut asked = next.iter();
            let mut stopped = false;
            let mut each = |packet: &Packet, stored: &[&Review]| {
                for subject in asked.by_ref() {
                    if *subject == packet.subject() {
                        break;
                    }
                    if let Some((packet, _)) = own.get(subject)
                        && !merged(packet, &[])
                    {
                        stopped = true;
                        return false;
                    }
                }
                stopped = !merged(packet, stored);
                !stopped
            };
            self.storage
                .visit_subjects(cycle, &next, submitted_only, &mut each)
                .await?;
            if stopped {
                return Ok(());
            }
            for subject in asked {
                if let Some((packet, _)) = own.get(subject)
                    && !merged(packet, &[])
                {
                    return Ok(());
                }
            }
            batch = (batch * 4).min(1_024);
        }
    }

    /// The places in the org order of the subjects whose reviews `reader` may read in the
    /// scope's cycle: what their relations reach ([`reach`]), the subjects of the reviews they
    /// write, and the packets that name them; only `filter`'s subject when it names one.
    pub(super) async fn reading_places(
        &self,
        scope: &Scope,
        snapshot: &OrgSnapshot,
        reader: PersonId,
        filter: ReviewFilter,
        authored: impl Iterator<Item = PersonId>,
    ) -> Result<Places> {
        let ctx = scope.ctx();
        let reach = reach(&ctx, reader);
        let point = |p: PersonId| snapshot.position(p).map(|at| at..at.saturating_add(1));
        if let Some(subject) = filter.subject {
            return Ok(Places::union(point(subject).into_iter().collect()));
        }
        if reach.everyone {
            let all = u32::try_from(snapshot.len()).unwrap_or(u32::MAX);
            return Ok(Places(std::iter::once(0..all).collect()));
        }
        let cycle = scope.cycle.record.id();
        let mut ranges: Vec<Range<u32>> = reach
            .subtrees
            .iter()
            .filter_map(|&root| snapshot.subtree_positions(root))
            .collect();
        ranges.extend(reach.people.iter().filter_map(|&p| point(p)));
        ranges.extend(authored.filter_map(point));
        if !snapshot.has_left(reader) {
            for p in self.storage.packets_naming(cycle, reader).await? {
                ranges.extend(point(p.record.subject()));
            }
        }
        Ok(Places::union(ranges))
    }
}

/// A person as a screen names them: their display name in the cycle's snapshot, else their id.
fn named(snapshot: &OrgSnapshot, id: PersonId) -> Named {
    Named {
        id,
        name: snapshot
            .name(id)
            .map_or_else(|| id.to_string(), str::to_owned),
    }
}

/// The item of a packet waiting for someone.
fn packet_item(cycle: &Cycle, snapshot: &OrgSnapshot, packet: &Packet) -> PacketItem {
    PacketItem {
        cycle: cycle.id(),
        cycle_name: cycle.config().name.clone(),
        packet: packet.id(),
        subject: named(snapshot, packet.subject()),
        state: packet.state(),
    }
}

/// Whether `actor` may `action` on `packet` now.
fn may(ctx: &Context<'_>, actor: PersonId, action: Action, packet: &Packet) -> bool {
    decide(ctx, actor, action, Target::Packet(packet)).is_allowed()
}

impl Engine {
    /// A manager's team status board (Ally: "Managers can see the status of the peer-review
    /// completion on this page"): each participant below `manager` in the cycle's org snapshot
    /// whose progress `reader` may view (R-WRITE-15), in org order, with every review about them:
    /// kind, writer, state, due date, whether it is overdue, and whether `reader` may send its
    /// writer a reminder (R-WRITE-5), ordered by kind, then by writer in org order. For the manager themselves, or admins and collaborators;
    /// a participant with no review in the cycle has no row. On the reader's own row (an
    /// admin looking at their manager's board), only the reviews they write name a writer.
    ///
    /// ```
    /// # use appraise::{CycleId, Engine, PersonId};
    /// # async fn board(engine: &Engine, bo: PersonId, cycle: CycleId) -> appraise::Result<()> {
    /// for row in engine.status_board(bo, cycle, bo).await?.rows {
    ///     let late = row.reviews.iter().filter(|r| r.overdue).count();
    ///     println!("{}: {late} reviews overdue", row.subject.name);
    ///     for review in row.reviews.iter().filter(|r| r.overdue && r.may_remind) {
    ///         engine.send_reminder(bo, review.review).await?;
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Denied`]; [`Error::NotFound`] for the cycle; [`Error::Invalid`] for a cycle
    /// that is not launched.
    #[tracing::instrument(skip_all, fields(actor = %reader, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn status_board(
        &self,
        reader: PersonId,
        cycle: CycleId,
        manager: PersonId,
    ) -> Result<StatusBoard> {
        let scope = self.scope(cycle).await?;
        let ctx = scope.ctx();
        authorize_team_progress(&ctx, reader, manager)?;
        let snapshot = scope.snapshot()?;
        let c = &*scope.cycle.record;
        let mut rows = Vec::new();
        let team = snapshot
            .subtree_positions(manager)
            .map_or(0..0, |r| r.start.saturating_add(1)..r.end);
        let mut subjects = team.filter_map(|at| snapshot.at_position(at));
        self.visit_subjects(cycle, &mut subjects, Visit::All, |packet, reviews| {
            let subject = packet.subject();
            if !may(&ctx, reader, Action::ViewProgress, packet) {
                return true;
            }
            let mut reviews: Vec<&Review> = reviews.to_vec();
            reviews.sort_by_key(|r| (r.kind().index(), snapshot.position(r.author()), r.id()));
            let reviews = reviews
                .into_iter()
                .map(|r| {
                    let window = c.settings().windows.of(r.kind());
                    let open = matches!(r.state(), ReviewState::Assigned | ReviewState::Draft);
                    ReviewStatus {
                        review: r.id(),
                        kind: r.kind(),
                        writer: (reader != subject || r.author() == reader)
                            .then(|| named(snapshot, r.author())),
                        state: r.state(),
                        due: window.map(|w| w.due),
                        overdue: open && workflow::is_overdue(c, r.kind(), scope.now),
                        may_remind: open
                            && !packet.is_withdrawn()
                            && decide(
                                &ctx,
                                reader,
                                Action::SendReminder,
                                Target::Review(packet, r),
                            )
                            .is_allowed(),
                    }
                })
                .collect();
            rows.push(StatusRow {
                subject: named(snapshot, subject),
                direct: snapshot.manager_of(subject) == Some(manager),
                packet: packet.id(),
                state: packet.state(),
                withdrawn: packet.is_withdrawn(),
                reviews,
            });
            true
        })
        .await?;
        Ok(StatusBoard {
            cycle,
            manager: named(snapshot, manager),
            rows,
        })
    }

    /// What waits for `person` across the active and closed cycles, each item with the ids,
    /// names, states and dates a screen needs:
    ///
    /// - reviews to write (active cycles), with their window, whether they are overdue, and
    ///   whether they are writable now or why not (gated, not open yet, past due, locked);
    /// - nominations for the participants whose manager reviewer they are, waiting for their
    ///   approval, and nominations naming them as a peer, which they may decline;
    /// - packets waiting at an approval step that names them (manager's manager, n-th level
    ///   up, department head);
    /// - results ready to share, for the manager reviewer and the sharing users; their own
    ///   shared results to acknowledge; shared results of the participants whose manager
    ///   reviewer they are, with the final meeting not recorded yet;
    /// - open calibration sessions they contribute to;
    /// - for admins and collaborators, packets whose manager reviewer has left.
    ///
    /// Every item but a review to write is one the person may act on now (the decision the
    /// command takes); a review to write says whether it is writable now, and why not.
    /// An inbox lists what names the person: what admins may do anywhere in a cycle (share
    /// any result, approve at the admins' step) is the admins' shared queue, reached through
    /// [`progress`](Self::progress) and [`readable_reviews`](Self::readable_reviews), and not
    /// repeated in each admin's inbox. A person who has left has an empty inbox in that cycle.
    /// Items are ordered by cycle, then by their subject's place in the org (each manager
    /// before their team); reviews to write then by kind.
    ///
    /// ```
    /// # use appraise::{Engine, PersonId};
    /// # async fn todo(engine: &Engine, ann: PersonId) -> appraise::Result<()> {
    /// let inbox = engine.inbox(ann).await?;
    /// for item in &inbox.to_write {
    ///     match item.blocked_by {
    ///         None => println!("write the {} review of {}", item.kind, item.subject.name),
    ///         Some(why) => println!("later: the {} review of {} ({why:?})", item.kind, item.subject.name),
    ///     }
    /// }
    /// for n in &inbox.nominations_received {
    ///     println!("{} would like you as a peer", n.subject.name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// A storage failure.
    #[tracing::instrument(skip_all, fields(actor = %person, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn inbox(&self, person: PersonId) -> Result<Inbox> {
        let mut inbox = Inbox::default();
        let mut after = None;
        loop {
            let page = self.storage.cycle_ids(after, PAGE).await?;
            for &cycle in &page {
                self.inbox_in(person, cycle, &mut inbox).await?;
            }
            match page.last() {
                Some(&last) if page.len() == PAGE => after = Some(last),
                _ => return Ok(inbox),
            }
        }
    }

    /// One cycle of [`inbox`](Self::inbox).
    async fn inbox_in(&self, person: PersonId, cycle: CycleId, inbox: &mut Inbox) -> Result<()> {
        let scope = self.scope(cycle).await?;
        let Some(snapshot) = scope.snapshot.as_ref().map(|s| &*s.record) else {
            return Ok(());
        };
        let state = scope.cycle.record.state();
        if snapshot.has_left(person) || !matches!(state, CycleState::Active | CycleState::Closed) {
            return Ok(());
        }
        let ctx = scope.ctx();
        let c = &*scope.cycle.record;
        let cycle_name = || c.config().name.clone();
        let starts = [
            inbox.to_approve.len(),
            inbox.to_share.len(),
            inbox.to_acknowledge.len(),
            inbox.meetings_to_record.len(),
            inbox.need_manager_reviewer.len(),
            inbox.nominations_to_decide.len(),
            inbox.nominations_received.len(),
        ];
        // Reviews to write, in org order of their subjects.
        let first = inbox.to_write.len();
        if c.state() == CycleState::Active {
            for r in self.storage.reviews_by(cycle, person).await? {
                let r = r.record;
                if !matches!(r.state(), ReviewState::Assigned | ReviewState::Draft) {
                    continue;
                }
                let packet = self.storage.packet(r.packet()).await?.record;
                if packet.is_withdrawn() {
                    continue;
                }
                let d = decide(
                    &ctx,
                    person,
                    Action::WriteReview,
                    Target::Review(&packet, &r),
                );
                let window = c.settings().windows.of(r.kind());
                inbox.to_write.push(ToWrite {
                    cycle,
                    cycle_name: cycle_name(),
                    review: r.id(),
                    kind: r.kind(),
                    state: r.state(),
                    subject: named(snapshot, r.subject()),
                    opens: window.map(|w| w.opens),
                    due: window.map(|w| w.due),
                    overdue: workflow::is_overdue(c, r.kind(), scope.now),
                    writable: d.is_allowed(),
                    blocked_by: (!d.is_allowed()).then(|| d.reason()),
                });
            }
        }
        if let Some(added) = inbox.to_write.get_mut(first..) {
            added.sort_by_key(|t| (snapshot.position(t.subject.id), t.kind.index(), t.review));
        }
        // What the packets naming them wait for.
        for p in self.storage.packets_naming(cycle, person).await? {
            let p = p.record;
            if p.is_withdrawn() {
                continue;
            }
            let manages = p.manager() == Some(person);
            if manages && c.settings().nomination_approval {
                for n in self.storage.nominations(p.id()).await? {
                    let n = n.record;
                    if n.state() == NominationState::Pending
                        && decide(
                            &ctx,
                            person,
                            Action::DecideNomination,
                            Target::Nomination(&p, &n),
                        )
                        .is_allowed()
                    {
                        inbox.nominations_to_decide.push(NominationItem {
                            cycle,
                            cycle_name: cycle_name(),
                            nomination: n.id(),
                            subject: named(snapshot, p.subject()),
                            nominee: named(snapshot, n.nominee()),
                        });
                    }
                }
            }
            if p.state() == PacketState::ReadyToShare
                && (manages || p.sharers().contains(&person))
                && may(&ctx, person, Action::Share, &p)
            {
                inbox.to_share.push(packet_item(c, snapshot, &p));
            }
            if manages
                && p.state().is_shared()
                && p.meeting_at().is_none()
                && may(&ctx, person, Action::RecordMeeting, &p)
            {
                inbox.meetings_to_record.push(packet_item(c, snapshot, &p));
            }
        }
        // Nominations naming them as a peer.
        for n in self.storage.nominations_of(cycle, person).await? {
            let n = n.record;
            if n.state() != NominationState::Pending {
                continue;
            }
            let p = self.storage.packet(n.packet()).await?.record;
            if decide(
                &ctx,
                person,
                Action::DeclineNomination,
                Target::Nomination(&p, &n),
            )
            .is_allowed()
            {
                inbox.nominations_received.push(NominationItem {
                    cycle,
                    cycle_name: cycle_name(),
                    nomination: n.id(),
                    subject: named(snapshot, p.subject()),
                    nominee: named(snapshot, person),
                });
            }
        }
        // Their own results to acknowledge.
        if let Some((own, _)) = self.storage.subjects(cycle, &[person], false).await?.pop()
            && let own = own.record
            && own.state() == PacketState::Shared
            && !own.is_withdrawn()
            && may(&ctx, person, Action::Acknowledge, &own)
        {
            inbox.to_acknowledge.push(packet_item(c, snapshot, &own));
        }
        // Approval steps naming them.
        let candidates = approval_candidates(c, snapshot, person);
        for (p, _) in self.storage.subjects(cycle, &candidates, false).await? {
            let (subject, p) = (p.record.subject(), p.record);
            if !p.is_withdrawn()
                && p.state() == PacketState::PendingApproval
                && matches!(
                    resolve_step(
                        snapshot,
                        &c.settings().approval_chain,
                        p.current_approval_step(&c.settings().approval_chain, snapshot),
                        subject,
                    ),
                    StepApprover::Person(a) if a == person
                )
                && may(&ctx, person, Action::Approve, &p)
            {
                inbox.to_approve.push(packet_item(c, snapshot, &p));
            }
        }
        // Calibration sessions.
        for s in &scope.calibrations {
            if s.is_open() && s.contributors().contains(&person) {
                inbox.calibrations.push(CalibrationItem {
                    cycle,
                    cycle_name: cycle_name(),
                    session: s.id(),
                    name: s.name().to_owned(),
                    participants: s.participants().len(),
                });
            }
        }
        // Packets whose manager reviewer left, for whoever may reassign it.
        if c.state() == CycleState::Active {
            let mut leavers: Vec<PersonId> = snapshot.leavers().collect();
            leavers.sort();
            for leaver in leavers {
                for p in self.storage.packets_naming(cycle, leaver).await? {
                    let p = p.record;
                    if p.manager() == Some(leaver)
                        && !p.is_withdrawn()
                        && may(&ctx, person, Action::EditAssignments, &p)
                    {
                        inbox
                            .need_manager_reviewer
                            .push(packet_item(c, snapshot, &p));
                    }
                }
            }
        }
        // This cycle's items in org order of their subjects.
        let place = |n: &Named| (snapshot.position(n.id), n.id);
        for (list, start) in [
            &mut inbox.to_approve,
            &mut inbox.to_share,
            &mut inbox.to_acknowledge,
            &mut inbox.meetings_to_record,
            &mut inbox.need_manager_reviewer,
        ]
        .into_iter()
        .zip(starts)
        {
            if let Some(added) = list.get_mut(start..) {
                added.sort_by_key(|i| place(&i.subject));
            }
        }
        for (list, start) in [
            &mut inbox.nominations_to_decide,
            &mut inbox.nominations_received,
        ]
        .into_iter()
        .zip(starts.into_iter().skip(5))
        {
            if let Some(added) = list.get_mut(start..) {
                added.sort_by_key(|n| (place(&n.subject), place(&n.nominee)));
            }
        }
        Ok(())
    }
}

/// The participants whose approval chain can name `person` at a step: the people the
/// chain's "n-th level up" steps reach from them (their reports' reports for the manager's
/// manager), and, for department-head steps, the members of the departments they head.
fn approval_candidates(cycle: &Cycle, snapshot: &OrgSnapshot, person: PersonId) -> Vec<PersonId> {
    let settings = cycle.settings();
    if !settings.approval_required {
        return Vec::new();
    }
    let mut out = Vec::new();
    for step in &settings.approval_chain {
        match *step {
            ApprovalStep::Admins => {}
            ApprovalStep::ManagersManager => levels_below(snapshot, person, 2, &mut out),
            ApprovalStep::NthLevelUp(n) => levels_below(snapshot, person, n, &mut out),
            ApprovalStep::DepartmentHead => {
                if snapshot
                    .departments()
                    .iter()
                    .any(|d| d.head == Some(person))
                {
                    out.extend(
                        snapshot
                            .people()
                            .iter()
                            .filter(|p| snapshot.department_head_of(p.id) == Some(person))
                            .map(|p| p.id),
                    );
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The people exactly `n` levels below `person`.
fn levels_below(snapshot: &OrgSnapshot, person: PersonId, n: u32, out: &mut Vec<PersonId>) {
    let mut level = vec![person];
    for _ in 0..n {
        level = level
            .iter()
            .flat_map(|&p| snapshot.direct_reports(p))
            .collect();
        if level.is_empty() {
            return;
        }
    }
    out.extend(level);
}
