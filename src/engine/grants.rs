//! Grant commands: review admins, global viewers, past-review visibility, custom roles.

use super::tx::Tx;
use crate::access::{Context, authorize_grant};
use crate::domain::event::Event;
use crate::plugin::{Clock, Record, StorageExt};
use crate::{AdminGrant, CustomRole, CustomRoleId, Error, Grants, PersonId, Result, RoleGrant};
use chrono::DateTime;
use chrono::Utc;

use super::Engine;

impl Engine {
    /// Authorizes a change of grants that gives something to `grantee` (R-WRITE-16), checks
    /// that the directory knows the people it names (the grantee and `about`), applies
    /// `change` to the grants, commits.
    pub(super) async fn change_grants(
        &self,
        actor: PersonId,
        grantee: Option<PersonId>,
        about: Option<PersonId>,
        change: impl FnOnce(&mut Grants, PersonId, DateTime<Utc>) -> Result<Event> + Send,
    ) -> Result<()> {
        let (expect, mut grants) = self.storage.grants().await?;
        let now = self.clock.now();
        self.named(authorize_grant(&Context::new(&grants, now), actor, grantee))
            .await?;
        for person in grantee.into_iter().chain(about) {
            self.in_directory(person).await?;
        }
        let event = change(&mut grants, actor, now)?;
        let mut tx = Tx::new();
        tx.put(Record::from(grants), expect);
        tx.event(event);
        self.finish(tx, actor, ()).await
    }

    /// Makes `person` a review admin (R-WRITE-16: review admins).
    ///
    /// A fresh store has no admin, so no one could grant the first one: use
    /// [`bootstrap_admin`](Self::bootstrap_admin) for that.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`] for a person the directory does not know,
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn grant_admin(
        &self,
        actor: PersonId,
        person: PersonId,
        grant: AdminGrant,
    ) -> Result<()> {
        replay!(self, actor);
        self.change_grants(actor, Some(person), None, |g, by, at| {
            Ok(g.grant_admin(person, grant, by, at))
        })
        .await
    }

    /// Makes `person` the first review admin of a store that has none. The host calls it at
    /// every start, as itself: it is idempotent. Returns `true` when it made `person` the
    /// first admin, `false` when `person` is a review admin already (nothing changes then,
    /// whatever `grant` says).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when other people are review admins and `person` is not;
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %person, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn bootstrap_admin(&self, person: PersonId, grant: AdminGrant) -> Result<bool> {
        replay!(self, person);
        let (expect, mut grants) = self.storage.grants().await?;
        if grants.admins().any(|(admin, _)| admin == person) {
            return Ok(false);
        }
        if grants.admins().next().is_some() {
            return Err(Error::invalid(
                "admin",
                "review admins exist already; ask one of them",
            ));
        }
        let event = grants.grant_admin(person, grant, person, self.clock.now());
        let mut tx = Tx::new();
        tx.put(Record::from(grants), expect);
        tx.event(event);
        self.finish(tx, person, true).await
    }

    /// Removes a review admin (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn revoke_admin(&self, actor: PersonId, person: PersonId) -> Result<()> {
        replay!(self, actor);
        self.change_grants(actor, None, None, |g, by, at| {
            g.revoke_admin(person, by, at)
        })
        .await
    }

    /// Makes `viewer` a global viewer of `subject` (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`] (also for a person the directory does not know),
    /// [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn grant_global_viewer(
        &self,
        actor: PersonId,
        viewer: PersonId,
        subject: PersonId,
    ) -> Result<()> {
        replay!(self, actor);
        self.change_grants(actor, Some(viewer), Some(subject), |g, by, at| {
            g.grant_global_viewer(viewer, subject, by, at)
        })
        .await
    }

    /// Removes a global viewer (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn revoke_global_viewer(
        &self,
        actor: PersonId,
        viewer: PersonId,
        subject: PersonId,
    ) -> Result<()> {
        replay!(self, actor);
        self.change_grants(actor, None, None, |g, by, at| {
            g.revoke_global_viewer(viewer, subject, by, at)
        })
        .await
    }

    /// Gives `viewer`, `subject`'s default additional manager, visibility of all of
    /// `subject`'s past reviews (R-WRITE-16). Refused for anyone the directory does not name
    /// as `subject`'s default additional manager.
    ///
    /// The grant is bound to the relation (DOMAIN.md, `viewer`): each read asks the directory
    /// ([`Directory::people_with_ids`](crate::plugin::Directory::people_with_ids)) who the
    /// subject's default additional manager is now, and the grant reads only while that is
    /// still `viewer`. A grant whose relation ended stays held until revoked, and gives
    /// nothing meanwhile.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`] for another grantee or a person the directory does
    /// not know, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn grant_past_reviews(
        &self,
        actor: PersonId,
        viewer: PersonId,
        subject: PersonId,
    ) -> Result<()> {
        replay!(self, actor);
        // The grant is bound to the relation: only the subject's default additional manager
        // (as the directory says now) can receive it.
        let people = self.directory.people_with_ids(&[subject]).await?;
        let person = people.iter().find(|p| p.id == subject);
        self.change_grants(actor, Some(viewer), Some(subject), |g, by, at| {
            crate::domain::grants::check_past_review_grantee(person, subject, viewer)?;
            g.grant_past_reviews(viewer, subject, by, at)
        })
        .await
    }

    /// Takes past-review visibility back (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn revoke_past_reviews(
        &self,
        actor: PersonId,
        viewer: PersonId,
        subject: PersonId,
    ) -> Result<()> {
        replay!(self, actor);
        self.change_grants(actor, None, None, |g, by, at| {
            g.revoke_past_reviews(viewer, subject, by, at)
        })
        .await
    }

    /// Defines or redefines a custom role (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Invalid`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn define_role(&self, actor: PersonId, role: CustomRole) -> Result<()> {
        replay!(self, actor);
        self.limits.check_name("role name", &role.name)?;
        self.change_grants(actor, None, None, |g, by, at| g.define_role(role, by, at))
            .await
    }

    /// Grants a custom role with its scopes (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`], [`Error::Invalid`] (also for a person the
    /// directory does not know), [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn grant_role(
        &self,
        actor: PersonId,
        person: PersonId,
        grant: RoleGrant,
    ) -> Result<()> {
        replay!(self, actor);
        self.change_grants(actor, Some(person), None, |g, by, at| {
            g.grant_role(person, grant, by, at)
        })
        .await
    }

    /// Revokes a custom role (R-WRITE-16).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn revoke_role(
        &self,
        actor: PersonId,
        person: PersonId,
        role: CustomRoleId,
    ) -> Result<()> {
        replay!(self, actor);
        self.change_grants(actor, None, None, |g, by, at| {
            g.revoke_role(person, role, by, at)
        })
        .await
    }
}
