//! What-if: who would gain or lose read access, or author visibility, if a change were made.

use std::sync::{Arc, Mutex, PoisonError};

use crate::access::{Action, Context, Target, decide, render};
use crate::domain::org::OrgSnapshot;
use crate::plugin::{Record, RecordKey, StorageExt, Write};
use crate::views::screens::{AccessChange, Effect, Preview};
use std::collections::hash_map::Entry;

use crate::{
    Command, Cycle, CycleConfig, CycleId, Error, Grants, OrgChange, Packet, PersonId, Result,
    Review,
};

use super::{Engine, PAGE, Scope};

/// The records a change would write, by key, and the orgs its org changes would make.
#[derive(Debug, Default)]
struct After(
    crate::domain::id::IdMap<RecordKey, Record>,
    crate::domain::id::IdMap<CycleId, OrgSnapshot>,
);

impl After {
    fn grants(&self) -> Option<&Grants> {
        match self.0.get(&RecordKey::Grants) {
            Some(Record::Grants(g)) => Some(g),
            _ => None,
        }
    }

    fn cycle(&self, id: CycleId) -> Option<&Cycle> {
        match self.0.get(&RecordKey::Cycle(id)) {
            Some(Record::Cycle(c)) => Some(c),
            _ => None,
        }
    }

    fn snapshot(&self, id: CycleId) -> Option<&OrgSnapshot> {
        self.1.get(&id)
    }

    fn packet<'a>(&'a self, before: &'a Packet) -> &'a Packet {
        match self.0.get(&RecordKey::Packet(before.id())) {
            Some(Record::Packet(p)) => p,
            _ => before,
        }
    }

    fn review<'a>(&'a self, before: &'a Review) -> &'a Review {
        match self.0.get(&RecordKey::Review(before.id())) {
            Some(Record::Review(r)) => r,
            _ => before,
        }
    }
}

/// Whose reading of which reviews a change can move.
#[derive(Debug)]
struct Plan {
    /// The cycles it reaches; `None`: every cycle (a grant).
    cycles: Option<Vec<CycleId>>,
    /// The subjects whose reviews it reaches; `None`: every participant.
    subjects: Option<Vec<PersonId>>,
    /// The readers whose reading it can move; `None`: each review's subject (settings that
    /// protect writers from the subject).
    readers: Option<Vec<PersonId>>,
    /// Readers whose reading can move only for one participant's own reviews (the manager
    /// reviewers before and after a manager change).
    subject_readers: Option<(PersonId, Vec<PersonId>)>,
}

impl Engine {
    /// What `command` would do to who may read what, computed without committing it: every
    /// reader who would gain or lose read access to a review (R-READ), or gain or lose sight
    /// of its author, with the explanation before and after. The command runs as
    /// [`execute`](Self::execute) would run it (the same checks: a command `actor` may not
    /// give is refused with its error), and its writes are diffed instead of committed: the
    /// preview equals executing the command and comparing every reader's reading of every
    /// review.
    ///
    /// The commands that can move reading are previewed:
    /// - grants: `grant_admin`, `revoke_admin`, `grant_global_viewer`, `revoke_global_viewer`,
    ///   `grant_past_reviews`, `revoke_past_reviews`, `define_role`, `grant_role`,
    ///   `revoke_role`;
    /// - assignments: `add_viewer`, `remove_viewer`, `add_sharer`, `remove_sharer`,
    ///   `change_manager_reviewer`, `assign_reviewer`, `remove_reviewer`, `replace_reviewer`;
    /// - the org: `change_manager`;
    /// - `edit_cycle` changing the settings that protect writers from the subject
    ///   (`anonymous_peer`, `anonymous_upward`, `share_peer_with_subject`,
    ///   `share_upward_with_subject`, `anonymity_threshold`) and nothing else.
    ///
    /// Reviews the command would create (a new manager review after a manager change) are
    /// not listed: only their writer reads them until they are submitted. Reviews about
    /// `actor` are left out: a subject learns about the reviews about them only through
    /// R-READ-3. Entries are ordered by review, then reader.
    ///
    /// ```
    /// # use appraise::{Command, Engine, PacketId, PersonId};
    /// use appraise::views::screens::Effect;
    ///
    /// # async fn before_adding(engine: &Engine, admin: PersonId, packet: PacketId, coach: PersonId) -> appraise::Result<()> {
    /// let preview = engine
    ///     .preview(admin, Command::AddViewer { packet, person: coach })
    ///     .await?;
    /// for entry in &preview.changes {
    ///     assert_eq!((entry.reader, entry.effect), (coach, Effect::GainsRead));
    ///     println!("{}", entry.after.text());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`](crate::Error::Invalid) for a command not listed above, or a cycle
    /// edit changing more than those settings; otherwise what the command would return:
    /// [`Error::Denied`](crate::Error::Denied), [`Error::Locked`](crate::Error::Locked),
    /// [`Error::Invalid`](crate::Error::Invalid), [`Error::NotFound`](crate::Error::NotFound);
    /// a storage failure.
    #[tracing::instrument(skip_all, fields(actor = %actor, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn preview(&self, actor: PersonId, command: Command) -> Result<Preview> {
        let mut plan = self.plan(&command).await?;
        let slot = Arc::new(Mutex::new(None));
        let dry = Self {
            dry_run: Some(Arc::clone(&slot)),
            key: None,
            ..self.clone()
        };
        Box::pin(dry.execute(actor, command.clone())).await?;
        let commit = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        let mut after = After::default();
        let mut org_changes = Vec::new();
        for write in commit.map(|c| c.writes).unwrap_or_default() {
            if let Write::Put { record, .. } = write {
                if let Record::OrgChange(change) = &record {
                    org_changes.push(OrgChange::clone(change));
                }
                after.0.insert(record.key(), record);
            }
        }
        org_changes.sort_by_key(|c| (c.cycle, c.seq));
        for change in org_changes {
            let org = match after.1.entry(change.cycle) {
                Entry::Occupied(org) => org.into_mut(),
                Entry::Vacant(slot) => {
                    let scope = self.scope(change.cycle).await?;
                    slot.insert(OrgSnapshot::clone(scope.snapshot()?))
                }
            };
            change.edit.apply(org)?;
        }
        match &command {
            Command::ChangeManager { packet, .. } => {
                self.plan_manager_change(*packet, &after, &mut plan).await?;
            }
            Command::ChangeManagerReviewer { packet, .. }
            | Command::AssignReviewer { packet, .. } => {
                self.plan_assignment(*packet, &after, &mut plan).await?;
            }
            Command::RemoveReviewer { review } | Command::ReplaceReviewer { review, .. } => {
                let packet = self.storage.review(*review).await?.record.packet();
                self.plan_assignment(packet, &after, &mut plan).await?;
            }
            _ => {}
        }
        let mut out = Preview::default();
        let cycles = match plan.cycles.take() {
            Some(cycles) => cycles,
            None => self.all_cycles().await?,
        };
        for cycle in cycles {
            self.diff_cycle(actor, cycle, &plan, &after, &mut out.changes)
                .await?;
        }
        // Each (review, reader) is there once: an unstable sort gives the same order, and
        // moves these large entries less.
        out.changes.sort_unstable_by_key(|c| (c.review, c.reader));
        Ok(out)
    }

    /// The cycles, subjects and readers a command reaches, as far as it is known before it
    /// runs (a manager change and the assignments of reviewers add theirs after); a command
    /// that cannot be previewed is refused.
    async fn plan(&self, command: &Command) -> Result<Plan> {
        let everywhere = |readers: Vec<PersonId>| Plan {
            cycles: None,
            subjects: None,
            readers: Some(readers),
            subject_readers: None,
        };
        let of_subject = |viewer: PersonId, subject: PersonId| Plan {
            cycles: None,
            subjects: Some(vec![subject]),
            readers: Some(vec![viewer]),
            subject_readers: None,
        };
        let of_packet = |p: &Packet, readers: Vec<PersonId>| Plan {
            cycles: Some(vec![p.cycle()]),
            subjects: Some(vec![p.subject()]),
            readers: Some(readers),
            subject_readers: None,
        };
        Ok(match command {
            Command::GrantAdmin { person, .. }
            | Command::RevokeAdmin { person }
            | Command::GrantRole { person, .. }
            | Command::RevokeRole { person, .. } => everywhere(vec![*person]),
            Command::DefineRole { .. } => {
                let (_, grants) = self.storage.grants().await?;
                everywhere(grants.role_holders().collect())
            }
            Command::GrantGlobalViewer { viewer, subject }
            | Command::RevokeGlobalViewer { viewer, subject }
            | Command::GrantPastReviews { viewer, subject }
            | Command::RevokePastReviews { viewer, subject } => of_subject(*viewer, *subject),
            Command::AddViewer { packet, person }
            | Command::RemoveViewer { packet, person }
            | Command::AddSharer { packet, person }
            | Command::RemoveSharer { packet, person } => {
                of_packet(&self.storage.packet(*packet).await?.record, vec![*person])
            }
            Command::ChangeManager { packet, .. }
            | Command::ChangeManagerReviewer { packet, .. }
            | Command::AssignReviewer { packet, .. } => {
                of_packet(&self.storage.packet(*packet).await?.record, Vec::new())
            }
            Command::RemoveReviewer { review } | Command::ReplaceReviewer { review, .. } => {
                let packet = self.storage.review(*review).await?.record.packet();
                of_packet(&self.storage.packet(packet).await?.record, Vec::new())
            }
            Command::EditCycle { cycle, config } => {
                let current = self.storage.cycle(*cycle).await?.record;
                if let Some(field) = outside_privacy(current.config(), config) {
                    return Err(Error::invalid(
                        "config",
                        format!(
                            "a preview of a cycle edit covers the settings that protect \
                             writers from the subject (anonymity, the threshold, sharing a \
                             kind with the subject); this edit also changes `{field}`"
                        ),
                    ));
                }
                Plan {
                    cycles: Some(vec![*cycle]),
                    subjects: None,
                    readers: None,
                    subject_readers: None,
                }
            }
            other => {
                let name = serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.get("command")?.as_str().map(str::to_owned))
                    .unwrap_or_default();
                return Err(Error::invalid(
                    "command",
                    format!(
                        "`{name}` cannot be previewed: a preview covers grants, viewers, \
                         sharers, reviewer assignments, manager changes and a cycle's \
                         anonymity, threshold and sharing settings"
                    ),
                ));
            }
        })
    }

    /// An assignment of a reviewer moves the reading of the subject's reviews, by the people
    /// the packet names, the writers of its reviews, the subject, their managers and the
    /// custom-role holders, before and after.
    async fn plan_assignment(
        &self,
        packet: crate::PacketId,
        after: &After,
        plan: &mut Plan,
    ) -> Result<()> {
        let p = self.storage.packet(packet).await?.record;
        let scope = self.scope(p.cycle()).await?;
        let org = scope.snapshot()?;
        let subject = p.subject();
        let mut readers: Vec<PersonId> = p
            .named()
            .chain(after.packet(&p).named())
            .chain(std::iter::successors(org.manager_of(subject), |&m| {
                org.manager_of(m)
            }))
            .chain(scope.grants.role_holders())
            .chain([subject])
            .collect();
        for review in self.storage.reviews_about(p.cycle(), subject).await? {
            readers.push(review.record.author());
            readers.push(after.review(&review.record).author());
        }
        readers.extend(after.0.values().filter_map(|r| match r {
            Record::Review(r) if r.subject() == subject => Some(r.author()),
            _ => None,
        }));
        readers.sort();
        readers.dedup();
        plan.readers = Some(readers);
        Ok(())
    }

    /// A manager change moves the subject's whole team: the readers whose reading can move
    /// are those on one of the two manager chains above the subject but not the other, the
    /// custom-role holders (whose subtree scopes may gain or lose the team), and, for the
    /// subject's own reviews, the manager reviewers before and after.
    async fn plan_manager_change(
        &self,
        packet: crate::PacketId,
        after: &After,
        plan: &mut Plan,
    ) -> Result<()> {
        let p = self.storage.packet(packet).await?.record;
        let scope = self.scope(p.cycle()).await?;
        let before = scope.snapshot()?;
        let now = after.snapshot(p.cycle()).unwrap_or(before);
        let subject = p.subject();
        let chain = |s: &OrgSnapshot| {
            std::iter::successors(s.manager_of(subject), |&m| s.manager_of(m)).collect::<Vec<_>>()
        };
        let (old, new) = (chain(before), chain(now));
        let mut readers: Vec<PersonId> = old
            .iter()
            .filter(|m| !new.contains(m))
            .chain(new.iter().filter(|m| !old.contains(m)))
            .copied()
            .chain(scope.grants.role_holders())
            .collect();
        readers.sort();
        readers.dedup();
        plan.readers = Some(readers);
        plan.subjects = Some(
            before
                .subtree_positions(subject)
                .map_or_else(Vec::new, |r| {
                    r.filter_map(|at| before.at_position(at)).collect()
                }),
        );
        let managers = [p.manager(), after.packet(&p).manager()]
            .into_iter()
            .flatten()
            .collect();
        plan.subject_readers = Some((subject, managers));
        Ok(())
    }

    /// Every cycle's id.
    async fn all_cycles(&self) -> Result<Vec<CycleId>> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self.storage.cycles(after, PAGE).await?;
            out.extend(page.iter().map(|c| c.record.id()));
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.record.id()),
                _ => return Ok(out),
            }
        }
    }

    /// The entries of one cycle.
    async fn diff_cycle(
        &self,
        actor: PersonId,
        cycle: CycleId,
        plan: &Plan,
        after: &After,
        out: &mut Vec<AccessChange>,
    ) -> Result<()> {
        let scope = self.scope(cycle).await?;
        let Some(snapshot) = scope.snapshot.as_ref().map(|s| &*s.record) else {
            return Ok(());
        };
        let before_ctx = scope.ctx();
        let after_ctx = after_context(&scope, cycle, after);
        let subjects: Vec<PersonId> = match &plan.subjects {
            Some(s) => s.clone(),
            None => (0..u32::try_from(snapshot.len()).unwrap_or(u32::MAX))
                .filter_map(|at| snapshot.at_position(at))
                .collect(),
        };
        let mut subjects = subjects.into_iter().filter(|&s| s != actor);
        // Only submitted reviews: an unsubmitted one is read by its author alone, before and
        // after any change (R-READ-1, R-READ-2).
        let none = crate::domain::id::IdMap::default();
        let readable = super::queries::Visit::Readable(&none);
        self.visit_subjects(cycle, &mut subjects, readable, |packet, reviews| {
            let subject = packet.subject();
            let packet_after = after.packet(packet);
            let mut readers: Vec<PersonId> = match &plan.readers {
                Some(r) => r.clone(),
                None => vec![subject],
            };
            if let Some((s, extra)) = &plan.subject_readers
                && *s == subject
            {
                readers.extend(extra);
                readers.sort();
                readers.dedup();
            }
            for review in reviews {
                let review_after = after.review(review);
                for &reader in &readers {
                    let sides = (
                        (&before_ctx, Target::Review(packet, review)),
                        (&after_ctx, Target::Review(packet_after, review_after)),
                    );
                    if let Some(entry) = compare(reader, review, sides) {
                        out.push(entry);
                    }
                }
            }
            true
        })
        .await?;
        Ok(())
    }
}

/// The context after the change: the scope's, with the records the change writes.
fn after_context<'a>(scope: &'a Scope, cycle: CycleId, after: &'a After) -> Context<'a> {
    let mut ctx = scope.ctx();
    if let Some(g) = after.grants() {
        ctx.grants = g;
    }
    if let Some(c) = after.cycle(cycle) {
        ctx.cycle = Some(c);
    }
    if let Some(s) = after.snapshot(cycle) {
        ctx.snapshot = Some(s);
    }
    ctx
}

/// The entry for `reader` on `review` when their reading of it differs between the two
/// sides.
fn compare(
    reader: PersonId,
    review: &Review,
    ((before_ctx, before), (after_ctx, after)): (
        (&Context<'_>, Target<'_>),
        (&Context<'_>, Target<'_>),
    ),
) -> Option<AccessChange> {
    let was = decide(before_ctx, reader, Action::ReadReview, before);
    let is = decide(after_ctx, reader, Action::ReadReview, after);
    let effect = match (was.is_allowed(), is.is_allowed()) {
        (false, true) => Effect::GainsRead,
        (true, false) => Effect::LosesRead,
        (true, true) if was.author_hidden() && !is.author_hidden() => Effect::GainsAuthor,
        (true, true) if !was.author_hidden() && is.author_hidden() => Effect::LosesAuthor,
        _ => return None,
    };
    let name = |id: PersonId| {
        [before_ctx.snapshot, after_ctx.snapshot]
            .into_iter()
            .flatten()
            .find_map(|org| org.name(id))
            .map_or_else(|| id.to_string(), str::to_owned)
    };
    Some(AccessChange {
        reader,
        reader_name: name(reader),
        review: review.id(),
        subject: review.subject(),
        subject_name: name(review.subject()),
        kind: review.kind(),
        effect,
        before: render(before_ctx, reader, Action::ReadReview, before, was),
        after: render(after_ctx, reader, Action::ReadReview, after, is),
    })
}

/// The first field, other than the settings that protect writers from the subject, in which
/// `new` differs from `current`.
fn outside_privacy(current: &CycleConfig, new: &CycleConfig) -> Option<String> {
    let mut probe = new.clone();
    let (from, to) = (&current.settings, &mut probe.settings);
    to.anonymous_peer = from.anonymous_peer;
    to.anonymous_upward = from.anonymous_upward;
    to.share_peer_with_subject = from.share_peer_with_subject;
    to.share_upward_with_subject = from.share_upward_with_subject;
    to.anonymity_threshold = from.anonymity_threshold;
    if probe == *current {
        return None;
    }
    let (Ok(serde_json::Value::Object(was)), Ok(serde_json::Value::Object(is))) =
        (serde_json::to_value(current), serde_json::to_value(&probe))
    else {
        return Some("config".to_owned());
    };
    let differs = |a: &serde_json::Map<String, serde_json::Value>,
                   b: &serde_json::Map<String, serde_json::Value>| {
        a.iter()
            .find(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
    };
    match (was.get("settings"), is.get("settings")) {
        (Some(serde_json::Value::Object(a)), Some(serde_json::Value::Object(b))) if a != b => {
            differs(a, b).map(|k| format!("settings.{k}"))
        }
        _ => differs(&was, &is),
    }
    .or_else(|| Some("config".to_owned()))
}
