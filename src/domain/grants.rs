//! Grants: the library-held role data that is not derived from the org or the cycle.
//!
//! Review admins, global viewers, past-review visibility of default additional managers, and
//! custom roles live here; collaborators live on the [`Cycle`](crate::domain::Cycle), cycle viewers and
//! sharing users on the [`Packet`](crate::domain::Packet). Every change returns an event (grants are
//! audited).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::event::{Event, EventKind};
use crate::domain::id::{IdMap, IdSet};
use crate::domain::roles::{AdminGrant, CustomRole, GrantChange, RoleGrant};
use crate::domain::{CustomRoleId, Error, PersonId, Result};

/// The serialized form: plain sorted lists.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct GrantsData {
    admins: Vec<(PersonId, AdminGrant)>,
    global_viewers: Vec<(PersonId, PersonId)>,
    past_review_viewers: Vec<(PersonId, PersonId)>,
    roles: Vec<CustomRole>,
    role_grants: Vec<(PersonId, RoleGrant)>,
}

/// Every grant, indexed for the permission engine's hot path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(from = "GrantsData", into = "GrantsData")]
pub struct Grants {
    admins: IdMap<PersonId, AdminGrant>,
    global_viewers: IdSet<(PersonId, PersonId)>,
    past_review_viewers: IdSet<(PersonId, PersonId)>,
    roles: IdMap<CustomRoleId, CustomRole>,
    role_grants: IdMap<PersonId, Vec<RoleGrant>>,
}

impl From<GrantsData> for Grants {
    fn from(d: GrantsData) -> Self {
        let mut role_grants: IdMap<PersonId, Vec<RoleGrant>> = IdMap::default();
        for (p, g) in d.role_grants {
            role_grants.entry(p).or_default().push(g);
        }
        Self {
            admins: d.admins.into_iter().collect(),
            global_viewers: d.global_viewers.into_iter().collect(),
            past_review_viewers: d.past_review_viewers.into_iter().collect(),
            roles: d.roles.into_iter().map(|r| (r.id, r)).collect(),
            role_grants,
        }
    }
}

impl From<Grants> for GrantsData {
    fn from(g: Grants) -> Self {
        let mut d = GrantsData {
            admins: g.admins.into_iter().collect(),
            global_viewers: g.global_viewers.into_iter().collect(),
            past_review_viewers: g.past_review_viewers.into_iter().collect(),
            roles: g.roles.into_values().collect(),
            role_grants: g
                .role_grants
                .into_iter()
                .flat_map(|(p, gs)| gs.into_iter().map(move |g| (p, g)))
                .collect(),
        };
        d.admins.sort_by_key(|(p, _)| *p);
        d.global_viewers.sort();
        d.past_review_viewers.sort();
        d.roles.sort_by_key(|r| r.id);
        d.role_grants.sort_by_key(|(p, g)| (*p, g.role));
        d
    }
}

impl Grants {
    /// No grants.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn event(change: GrantChange, by: PersonId, at: DateTime<Utc>) -> Event {
        Event::new(at, Some(by), None, EventKind::GrantChanged { change })
    }

    /// Makes `person` a review admin (replacing an earlier admin grant).
    pub fn grant_admin(
        &mut self,
        person: PersonId,
        grant: AdminGrant,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Event {
        let previous = self.admins.insert(person, grant);
        Self::event(
            GrantChange::AdminGranted {
                person,
                grant,
                previous,
            },
            by,
            at,
        )
    }

    /// Removes a review-admin grant.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the person is not a review admin.
    pub fn revoke_admin(
        &mut self,
        person: PersonId,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        self.admins.remove(&person).ok_or_else(|| Error::NotFound {
            what: "review admin",
            id: person.to_string(),
        })?;
        Ok(Self::event(GrantChange::AdminRevoked { person }, by, at))
    }

    /// Makes `viewer` a global viewer of `subject`'s reviews, in every cycle.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when `viewer` is `subject` or already a global viewer of them.
    pub fn grant_global_viewer(
        &mut self,
        viewer: PersonId,
        subject: PersonId,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if viewer == subject {
            return Err(Error::invalid(
                "viewer",
                "a person cannot view their own reviews as a viewer",
            ));
        }
        if !self.global_viewers.insert((viewer, subject)) {
            return Err(Error::invalid(
                "viewer",
                "already a global viewer of that person",
            ));
        }
        Ok(Self::event(
            GrantChange::GlobalViewerGranted { viewer, subject },
            by,
            at,
        ))
    }

    /// Removes a global viewer.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such grant.
    pub fn revoke_global_viewer(
        &mut self,
        viewer: PersonId,
        subject: PersonId,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if !self.global_viewers.remove(&(viewer, subject)) {
            return Err(Error::NotFound {
                what: "global viewer",
                id: viewer.to_string(),
            });
        }
        Ok(Self::event(
            GrantChange::GlobalViewerRevoked { viewer, subject },
            by,
            at,
        ))
    }

    /// Grants `viewer`, `subject`'s default additional manager, visibility of all of
    /// `subject`'s past reviews (it reaches every cycle).
    ///
    /// The grant is what `decide` checks: the host grants it to the person who is the default
    /// additional manager, and revokes it when that changes.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when `viewer` is `subject` or already has it.
    pub fn grant_past_reviews(
        &mut self,
        viewer: PersonId,
        subject: PersonId,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if viewer == subject {
            return Err(Error::invalid(
                "viewer",
                "a person cannot view their own reviews as a viewer",
            ));
        }
        if !self.past_review_viewers.insert((viewer, subject)) {
            return Err(Error::invalid(
                "viewer",
                "already sees that person's past reviews",
            ));
        }
        Ok(Self::event(
            GrantChange::PastReviewsGranted { viewer, subject },
            by,
            at,
        ))
    }

    /// Takes back past-review visibility.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such grant.
    pub fn revoke_past_reviews(
        &mut self,
        viewer: PersonId,
        subject: PersonId,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if !self.past_review_viewers.remove(&(viewer, subject)) {
            return Err(Error::NotFound {
                what: "past-review visibility",
                id: viewer.to_string(),
            });
        }
        Ok(Self::event(
            GrantChange::PastReviewsRevoked { viewer, subject },
            by,
            at,
        ))
    }

    /// Defines (or redefines) a custom role.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the name is empty.
    pub fn define_role(
        &mut self,
        role: CustomRole,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if role.name.trim().is_empty() {
            return Err(Error::invalid("role name", "must not be empty"));
        }
        let previous = self.roles.insert(role.id, role.clone());
        Ok(Self::event(
            GrantChange::RoleDefined { role, previous },
            by,
            at,
        ))
    }

    /// Grants a defined custom role to `person`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an undefined role; [`Error::Invalid`] when the person already
    /// holds it.
    pub fn grant_role(
        &mut self,
        person: PersonId,
        grant: RoleGrant,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        if !self.roles.contains_key(&grant.role) {
            return Err(Error::NotFound {
                what: "custom role",
                id: grant.role.to_string(),
            });
        }
        let held = self.role_grants.entry(person).or_default();
        if held.iter().any(|g| g.role == grant.role) {
            return Err(Error::invalid("role", "the person already holds that role"));
        }
        held.push(grant.clone());
        Ok(Self::event(
            GrantChange::RoleGranted { person, grant },
            by,
            at,
        ))
    }

    /// Revokes a custom role from `person`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the person does not hold it.
    pub fn revoke_role(
        &mut self,
        person: PersonId,
        role: CustomRoleId,
        by: PersonId,
        at: DateTime<Utc>,
    ) -> Result<Event> {
        let held = self.role_grants.get_mut(&person);
        let Some(held) = held.filter(|h| h.iter().any(|g| g.role == role)) else {
            return Err(Error::NotFound {
                what: "role grant",
                id: role.to_string(),
            });
        };
        held.retain(|g| g.role != role);
        if held.is_empty() {
            self.role_grants.remove(&person);
        }
        Ok(Self::event(
            GrantChange::RoleRevoked { person, role },
            by,
            at,
        ))
    }

    /// The person's review-admin grant, if any.
    #[must_use]
    #[inline]
    pub fn admin(&self, person: PersonId) -> Option<&AdminGrant> {
        self.admins.get(&person)
    }

    /// Every review admin.
    pub fn admins(&self) -> impl Iterator<Item = (PersonId, &AdminGrant)> {
        self.admins.iter().map(|(p, g)| (*p, g))
    }

    /// Everyone who holds a custom role.
    pub fn role_holders(&self) -> impl Iterator<Item = PersonId> + '_ {
        self.role_grants.keys().copied()
    }

    /// Whether `viewer` is a global viewer of `subject`.
    #[must_use]
    #[inline]
    pub fn is_global_viewer(&self, viewer: PersonId, subject: PersonId) -> bool {
        !self.global_viewers.is_empty() && self.global_viewers.contains(&(viewer, subject))
    }

    /// Whether `viewer` has past-review visibility of `subject`.
    #[must_use]
    #[inline]
    pub fn sees_past_reviews(&self, viewer: PersonId, subject: PersonId) -> bool {
        !self.past_review_viewers.is_empty()
            && self.past_review_viewers.contains(&(viewer, subject))
    }

    /// The subjects `viewer` is a global viewer of, or holds a past-review grant for (which
    /// reads only while the relation it is bound to holds).
    pub fn viewed_by(&self, viewer: PersonId) -> impl Iterator<Item = PersonId> + '_ {
        self.global_viewers
            .iter()
            .chain(&self.past_review_viewers)
            .filter(move |(v, _)| *v == viewer)
            .map(|(_, s)| *s)
    }

    /// The subjects of every past-review grant, each once: the people whose current default
    /// additional manager a decision may need (see [`DefaultAdditionalManagers`]).
    pub fn past_review_subjects(&self) -> impl Iterator<Item = PersonId> + '_ {
        let mut seen = IdSet::default();
        self.past_review_viewers
            .iter()
            .map(|(_, s)| *s)
            .filter(move |s| seen.insert(*s))
    }

    /// The custom role with this id.
    #[must_use]
    pub fn role(&self, id: CustomRoleId) -> Option<&CustomRole> {
        self.roles.get(&id)
    }

    /// The custom roles granted to `person`.
    #[must_use]
    #[inline]
    pub fn roles_of(&self, person: PersonId) -> &[RoleGrant] {
        if self.role_grants.is_empty() {
            return &[];
        }
        self.role_grants.get(&person).map_or(&[], Vec::as_slice)
    }
}

/// Each person's default additional manager as the directory names them now.
///
/// A past-review grant is bound to its relation (DOMAIN.md, `viewer`): it gives something only
/// while the grantee is still the subject's default additional manager. The grant lives in
/// [`Grants`]; the relation lives in the host's directory and changes without the library
/// being told, so the engine looks it up for the subjects of past-review grants and hands it
/// to [`decide`](crate::access::decide) in the
/// [`Context`](crate::access::Context). A subject missing here has no default additional
/// manager as far as the decision knows, so a grant about them gives nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefaultAdditionalManagers {
    of: IdMap<PersonId, PersonId>,
}

impl DefaultAdditionalManagers {
    /// Records that `manager` is `subject`'s default additional manager now.
    pub fn insert(&mut self, subject: PersonId, manager: PersonId) {
        self.of.insert(subject, manager);
    }

    /// `subject`'s default additional manager now, if known.
    #[must_use]
    pub fn of(&self, subject: PersonId) -> Option<PersonId> {
        self.of.get(&subject).copied()
    }

    /// Whether `viewer` is `subject`'s default additional manager now.
    #[must_use]
    #[inline]
    pub fn is(&self, viewer: PersonId, subject: PersonId) -> bool {
        self.of(subject) == Some(viewer)
    }
}

impl FromIterator<(PersonId, PersonId)> for DefaultAdditionalManagers {
    /// From `(subject, default additional manager)` pairs.
    fn from_iter<I: IntoIterator<Item = (PersonId, PersonId)>>(iter: I) -> Self {
        Self {
            of: iter.into_iter().collect(),
        }
    }
}

/// Past-review visibility is bound to the relation (DOMAIN.md, `viewer`): it can only be given
/// to `subject`'s default additional manager. `person` is the subject as the directory knows
/// them now.
///
/// # Errors
///
/// [`Error::Invalid`] naming the grantee when they are not the subject's default additional
/// manager, or when the subject is unknown.
pub fn check_past_review_grantee(
    person: Option<&crate::domain::Person>,
    subject: PersonId,
    viewer: PersonId,
) -> Result<()> {
    let Some(person) = person else {
        return Err(Error::invalid(
            "subject",
            format!("`{subject}` is not in the directory"),
        ));
    };
    if person.additional_manager != Some(viewer) {
        return Err(Error::invalid(
            "viewer",
            format!(
                "`{viewer}` is not {}'s default additional manager: only they can see all of {}'s past reviews",
                person.name, person.name
            ),
        ));
    }
    Ok(())
}
