//! Cycle commands: create, edit, delete, participants before launch, lock, unlock, close,
//! collaborators, launch; and question templates.

use super::tx::Tx;
#[cfg(doc)]
use crate::Error;
use crate::access::{Action, Context, Target, authorize, authorize_on_cycle};
use crate::domain::event::Event;
use crate::domain::launch::{LaunchInput, launch_cycle_each};
use crate::domain::template::Template;
use crate::plugin::{Clock, Directory, Expect, Record, RecordKey, StorageExt};
use crate::{
    Cycle, CycleConfig, CycleId, CycleState, OrgChange, OrgEdit, OrgHead, PersonId, RandomIds,
    Result, TemplateId,
};
use chrono::DateTime;
use chrono::Utc;

use super::Engine;
use super::outcome::*;

impl Engine {
    /// Creates a draft cycle (R-WRITE-1: admins).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`] for a bad config, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn create_cycle(&self, actor: PersonId, config: CycleConfig) -> Result<Cycle> {
        replay!(self, actor);
        let (grants_expect, grants) = self.storage.grants().await?;
        let now = self.clock.now();
        let ctx = Context::new(&grants, now);
        self.named(authorize(&ctx, actor, Action::CreateCycle, Target::Cycle))
            .await?;
        self.limits.check_name("name", &config.name)?;
        config.validate()?;
        self.templates_of(&config).await?;
        let (cycle, event) = Cycle::create(CycleId::random(), config, actor, now)?;
        let mut tx = Tx::new();
        tx.read(RecordKey::Grants, grants_expect);
        tx.put(Record::from(cycle.clone()), Expect::Absent);
        tx.event(event);
        self.finish(tx, actor, cycle).await
    }

    /// Replaces a cycle's configuration (R-WRITE-2). Once a peer or upward review is
    /// submitted, that kind's anonymity, its sharing with the subject and the anonymity
    /// threshold can only be made stricter
    /// ([`CycleSettings::check_promises`](crate::CycleSettings::check_promises)). A launched
    /// cycle keeps its templates and review kinds; its settings are checked against the
    /// templates it froze at launch, not the stored ones, which may have been replaced since.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::NotFound`],
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn edit_cycle(
        &self,
        actor: PersonId,
        cycle: CycleId,
        config: CycleConfig,
    ) -> Result<Cycle> {
        replay!(self, actor);
        self.limits.check_name("name", &config.name)?;
        config.validate()?;
        let stored = self.stored_templates(&config).await?;
        // What writers were promised: the kinds with a submitted review keep their settings
        // or stricter ones. `Cycle::edit` checks the kinds the cycle record knows were
        // submitted; the progress counts cover cycles stored before it kept them.
        let progress = self.storage.progress(cycle).await?;
        let written = |kind| progress.by_kind.get(&kind).is_some_and(|k| k.submitted > 0);
        self.cycle_command(actor, cycle, (Action::EditCycle, None), |c, by, at| {
            // A draft's templates are read from the store; a launched cycle answers the copies
            // it froze, whatever became of the stored ones since.
            let templates = if c.state() == CycleState::Draft {
                &stored
            } else {
                c.templates()
            };
            config.settings.consolidated.check_references(templates)?;
            c.settings().check_promises(&config.settings, written)?;
            c.edit(config, by, at)
        })
        .await
    }

    /// Deletes a draft cycle (R-WRITE-1: admins).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::InvalidTransition`] unless a draft, [`Error::NotFound`],
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn delete_cycle(&self, actor: PersonId, cycle: CycleId) -> Result<()> {
        replay!(self, actor);
        let scope = self.scope(cycle).await?;
        self.named(authorize(
            &scope.ctx(),
            actor,
            Action::DeleteCycle,
            Target::Cycle,
        ))
        .await?;
        let mut deleted = Cycle::clone(&scope.cycle.record);
        let event = deleted.delete(actor, scope.now)?;
        let mut tx = scope.tx();
        tx.delete(RecordKey::Cycle(cycle), scope.cycle.version);
        tx.event(event);
        self.finish(tx, actor, ()).await
    }

    /// Adds people to a draft cycle's participant list (R-WRITE-2).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] once launched,
    /// [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn add_participants(
        &self,
        actor: PersonId,
        cycle: CycleId,
        people: impl IntoIterator<Item = PersonId> + Send,
    ) -> Result<Cycle> {
        replay!(self, actor);
        let people: Vec<PersonId> = people.into_iter().collect();
        self.cycle_command(
            actor,
            cycle,
            (Action::EditParticipants, None),
            |c, by, at| {
                let all: Vec<PersonId> = c.participants().iter().copied().chain(people).collect();
                c.set_participants(all, by, at)
            },
        )
        .await
    }

    /// Locks a cycle (R-WRITE-3).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::InvalidTransition`] when locked, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn lock(&self, actor: PersonId, cycle: CycleId) -> Result<Cycle> {
        replay!(self, actor);
        self.cycle_command(actor, cycle, (Action::Lock, None), Cycle::lock)
            .await
    }

    /// Unlocks a cycle (R-WRITE-3): the one write a locked cycle accepts.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::InvalidTransition`] when not locked, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn unlock(&self, actor: PersonId, cycle: CycleId) -> Result<Cycle> {
        replay!(self, actor);
        self.cycle_command(actor, cycle, (Action::Unlock, None), Cycle::unlock)
            .await
    }

    /// Closes an active cycle (R-WRITE-2).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn close(&self, actor: PersonId, cycle: CycleId) -> Result<Cycle> {
        replay!(self, actor);
        self.cycle_command(actor, cycle, (Action::Close, None), Cycle::close)
            .await
    }

    /// Reopens a closed cycle (`closed → active`, audited), for those who may close it
    /// (R-WRITE-2). While closed, a cycle accepts only sharing, unsharing, acknowledging and
    /// the final meeting.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`] unless closed,
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn reopen(&self, actor: PersonId, cycle: CycleId) -> Result<Cycle> {
        replay!(self, actor);
        self.cycle_command(actor, cycle, (Action::Close, None), Cycle::reopen)
            .await
    }

    /// Adds a collaborator to a cycle (R-WRITE-16: a review admin whose grant reaches this
    /// cycle; nobody adds themselves).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn add_collaborator(
        &self,
        actor: PersonId,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Cycle> {
        replay!(self, actor);
        self.in_directory(person).await?;
        self.cycle_command(
            actor,
            cycle,
            (Action::ManageGrants, Some(person)),
            |c, by, at| c.add_collaborator(person, by, at),
        )
        .await
    }

    /// Removes a collaborator (R-WRITE-16: a review admin whose grant reaches this cycle).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn remove_collaborator(
        &self,
        actor: PersonId,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Cycle> {
        replay!(self, actor);
        self.cycle_command(actor, cycle, (Action::ManageGrants, None), |c, by, at| {
            c.remove_collaborator(person, by, at)
        })
        .await
    }

    /// Authorizes `action` on the cycle (a grant to the person named, for collaborators),
    /// applies `change` to it, commits.
    pub(super) async fn cycle_command(
        &self,
        actor: PersonId,
        cycle: CycleId,
        (action, grantee): (Action, Option<PersonId>),
        change: impl FnOnce(&mut Cycle, PersonId, DateTime<Utc>) -> Result<Event> + Send,
    ) -> Result<Cycle> {
        let scope = self.scope(cycle).await?;
        self.named(authorize_on_cycle(&scope.ctx(), actor, action, grantee))
            .await?;
        let mut changed = Cycle::clone(&scope.cycle.record);
        let event = change(&mut changed, actor, scope.now)?;
        let mut tx = scope.tx();
        tx.put(
            Record::from(changed.clone()),
            Expect::Version(scope.cycle.version),
        );
        tx.event(event);
        self.finish(tx, actor, changed).await
    }

    /// Launches a draft cycle (R-WRITE-2): takes the org snapshot from the [`Directory`], makes
    /// a packet per participant with the default assignments, all in one commit.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Org`] for bad directory data,
    /// [`Error::Invalid`] (no participants, one not in the directory),
    /// [`Error::InvalidTransition`] unless a draft, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn launch(&self, actor: PersonId, cycle: CycleId) -> Result<LaunchReport> {
        replay!(self, actor);
        let scope = self.scope(cycle).await?;
        self.named(authorize(
            &scope.ctx(),
            actor,
            Action::Launch,
            Target::Cycle,
        ))
        .await?;
        crate::domain::transition::check(scope.cycle.record.state(), CycleState::Active, "launch")?;
        let config = scope.cycle.record.config();
        let input = LaunchInput {
            people: self.directory.people().await?,
            departments: self.directory.departments().await?,
            goals: self.directory.goals(config.period).await?,
            templates: self.templates_of(config).await?,
        };
        let mut report = LaunchReport {
            packets: 0,
            reviews: 0,
            people: input.people.len(),
        };
        // Records go straight into the commit as they are made, with room for a few reviews
        // each (so the list is not copied as it grows; untouched capacity is address space,
        // not memory, with the usual allocators).
        let n = scope
            .cycle
            .record
            .participants()
            .len()
            .max(input.people.len());
        let mut tx = Tx::with_capacity(n * 6 + 2, n + 1);
        let (launched_cycle, snapshot, launched) = launch_cycle_each(
            &scope.cycle.record,
            input,
            &mut RandomIds,
            actor,
            scope.now,
            |packet, reviews, events| {
                report.packets += 1;
                report.reviews += reviews.len();
                tx.put_fresh(Record::from(packet));
                for r in reviews.drain(..) {
                    tx.put_fresh(Record::from(r));
                }
                tx.events(events.drain(..));
            },
        )?;
        tx.event(launched);
        scope.relied_on(&mut tx);
        tx.put(
            Record::from(launched_cycle),
            Expect::Version(scope.cycle.version),
        );
        tx.put(
            Record::Snapshot {
                cycle,
                snapshot: Box::new(snapshot),
            },
            Expect::Absent,
        );
        // The org log starts with the launch, so its head exists from now on: commands check
        // its version, and never need to check that it is absent.
        tx.put(Record::from(OrgHead { cycle }), Expect::Absent);
        tx.put(
            Record::from(OrgChange {
                cycle,
                seq: 1,
                edit: OrgEdit::Launched,
            }),
            Expect::Absent,
        );
        self.finish(tx, actor, report).await
    }

    /// The templates a config names, loaded (so a missing one is [`Error::NotFound`]), with
    /// the consolidated rule's references checked against them.
    pub(super) async fn templates_of(&self, config: &CycleConfig) -> Result<Vec<Template>> {
        let templates = self.stored_templates(config).await?;
        config.settings.consolidated.check_references(&templates)?;
        Ok(templates)
    }

    /// The templates `config` names, as stored now.
    async fn stored_templates(&self, config: &CycleConfig) -> Result<Vec<Template>> {
        let mut templates: Vec<Template> = Vec::new();
        for (_, id) in &config.templates {
            if !templates.iter().any(|t| t.id == *id) {
                templates.push(self.storage.template(*id).await?.record);
            }
        }
        Ok(templates)
    }

    /// Creates a question template (R-WRITE-1: admins, not collaborators).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`] naming the question, [`Error::Conflict`] when the
    /// id is taken.
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn create_template(&self, actor: PersonId, template: Template) -> Result<Template> {
        replay!(self, actor);
        self.save_template(actor, template, true).await
    }

    /// Replaces a template (R-WRITE-1). Cycles launched with it keep the copy they froze.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`], [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn update_template(&self, actor: PersonId, template: Template) -> Result<Template> {
        replay!(self, actor);
        self.save_template(actor, template, false).await
    }

    pub(super) async fn save_template(
        &self,
        actor: PersonId,
        template: Template,
        create: bool,
    ) -> Result<Template> {
        let (grants_expect, grants) = self.storage.grants().await?;
        let now = self.clock.now();
        self.named(authorize(
            &Context::new(&grants, now),
            actor,
            Action::ManageTemplates,
            Target::Cycle,
        ))
        .await?;
        self.limits.check_name("template name", &template.name)?;
        template.validate()?;
        let expect = if create {
            Expect::Absent
        } else {
            Expect::Version(self.storage.template(template.id).await?.version)
        };
        let mut tx = Tx::new();
        tx.read(RecordKey::Grants, grants_expect);
        tx.event(Event::new(
            now,
            Some(actor),
            None,
            crate::EventKind::TemplateSaved {
                template: template.id,
                name: template.name.clone(),
            },
        ));
        tx.put(Record::from(template.clone()), expect);
        self.finish(tx, actor, template).await
    }

    /// A template as stored now, for those who manage templates (R-WRITE-1: review admins and
    /// custom roles with "manage templates"). Someone writing or reading a review gets the
    /// form their cycle froze at launch from [`review_form`](Self::review_form).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn template(&self, actor: PersonId, id: TemplateId) -> Result<Template> {
        let (_, grants) = self.storage.grants().await?;
        self.named(authorize(
            &Context::new(&grants, self.clock.now()),
            actor,
            Action::ManageTemplates,
            Target::Cycle,
        ))
        .await?;
        Ok(self.storage.template(id).await?.record)
    }
}
