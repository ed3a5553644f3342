//! What a grant says: review admin grants, custom roles with their permissions and scopes,
//! and the changes to grants that the store-wide audit log records.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::org::OrgSnapshot;
use crate::domain::{CustomRoleId, CycleId, PersonId, Result};

/// A review-admin grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AdminGrant {
    /// When the person became a review admin: they administer cycles created at or after it.
    pub since: DateTime<Utc>,
    /// Whether cycles created before `since` are visible too (allow) or not (restrict).
    pub past_cycles: bool,
}

impl AdminGrant {
    /// Whether the grant covers a cycle created at `created_at`: `admin(P, C)`.
    #[must_use]
    pub fn covers(&self, created_at: DateTime<Utc>) -> bool {
        self.past_cycles || created_at >= self.since
    }
}

/// An admin permission that a custom role can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Permission {
    /// Read every submitted review of people in scope (R-READ-4).
    ViewAllReviews,
    /// Create cycles (R-WRITE-1; needs the all-cycles scope).
    CreateCycles,
    /// Delete draft cycles (R-WRITE-1).
    DeleteCycles,
    /// Create and edit templates (R-WRITE-1).
    ManageTemplates,
    /// Edit cycles, participants and assignments; launch; close (R-WRITE-2).
    EditCycles,
    /// Lock and unlock cycles (R-WRITE-3).
    LockCycles,
    /// Reopen submitted reviews (R-WRITE-3).
    ReopenReviews,
    /// Create, open and close calibration sessions (R-WRITE-4).
    ManageCalibration,
    /// Send reminders (R-WRITE-5).
    SendReminders,
    /// Nominate peers (R-WRITE-7).
    NominatePeers,
    /// Approve or deny nominations (R-WRITE-8).
    DecideNominations,
    /// Remove peer/upward feedback (R-WRITE-10).
    RemoveFeedback,
    /// Change calibrated ratings (R-WRITE-11).
    ChangeCalibratedRatings,
    /// Approve as the "admins" step of an approval chain (R-WRITE-12).
    ApproveResults,
    /// Share results (R-WRITE-13).
    ShareResults,
    /// Unshare results (R-WRITE-13).
    UnshareResults,
    /// View progress (R-WRITE-15).
    ViewProgress,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 17] = [
        Permission::ViewAllReviews,
        Permission::CreateCycles,
        Permission::DeleteCycles,
        Permission::ManageTemplates,
        Permission::EditCycles,
        Permission::LockCycles,
        Permission::ReopenReviews,
        Permission::ManageCalibration,
        Permission::SendReminders,
        Permission::NominatePeers,
        Permission::DecideNominations,
        Permission::RemoveFeedback,
        Permission::ChangeCalibratedRatings,
        Permission::ApproveResults,
        Permission::ShareResults,
        Permission::UnshareResults,
        Permission::ViewProgress,
    ];

    const fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of [`Permission`]s.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Permissions(u32);

impl Permissions {
    /// No permission.
    pub const NONE: Self = Self(0);

    /// Whether the set holds `p`.
    #[must_use]
    pub const fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// The set with `p` added.
    #[must_use]
    pub const fn with(self, p: Permission) -> Self {
        Self(self.0 | p.bit())
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter().fold(Self::NONE, Self::with)
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Permissions {
    /// The permissions in the set.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Permissions {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Permissions".into()
    }

    fn inline_schema() -> bool {
        true
    }

    /// The permissions, as a sequence.
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Vec<Permission>>::json_schema(generator)
    }
}

impl Serialize for Permissions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Permissions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Permission>::deserialize(d)?.into_iter().collect())
    }
}

/// A named set of admin permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CustomRole {
    /// Id.
    pub id: CustomRoleId,
    /// Display name.
    pub name: String,
    /// What it allows.
    pub permissions: Permissions,
}

/// Which cycles a custom-role grant reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CycleScope {
    /// Every cycle, present and future.
    All,
    /// Only these.
    Listed(BTreeSet<CycleId>),
}

impl CycleScope {
    /// Whether the scope reaches `cycle` (`None`: a cycle not yet created, reached by `All`).
    #[must_use]
    pub fn contains(&self, cycle: Option<CycleId>) -> bool {
        match (self, cycle) {
            (Self::All, _) => true,
            (Self::Listed(set), Some(c)) => set.contains(&c),
            (Self::Listed(_), None) => false,
        }
    }
}

/// Which people a custom-role grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PeopleScope {
    /// Everyone.
    Everyone,
    /// The org subtree under this person, the person included (read in the cycle's snapshot).
    SubtreeOf(PersonId),
}

impl PeopleScope {
    /// Whether `person` is in scope in `snapshot`.
    #[must_use]
    #[inline]
    pub fn contains(&self, snapshot: &OrgSnapshot, person: PersonId) -> bool {
        match *self {
            Self::Everyone => true,
            Self::SubtreeOf(root) => root == person || snapshot.is_ancestor(root, person),
        }
    }
}

/// A custom role granted to one person, with its scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RoleGrant {
    /// The role.
    pub role: CustomRoleId,
    /// The cycles it reaches.
    pub cycles: CycleScope,
    /// The people it reaches.
    pub people: PeopleScope,
}

/// One audited change to the grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "what", rename_all = "snake_case")]
#[non_exhaustive]
pub enum GrantChange {
    /// Someone became a review admin.
    AdminGranted {
        /// Who.
        person: PersonId,
        /// The grant.
        grant: AdminGrant,
        /// The grant it replaced, if they were an admin already.
        #[serde(default)]
        previous: Option<AdminGrant>,
    },
    /// Someone stopped being a review admin.
    AdminRevoked {
        /// Who.
        person: PersonId,
    },
    /// A global viewer was added.
    GlobalViewerGranted {
        /// The viewer.
        viewer: PersonId,
        /// Whose reviews.
        subject: PersonId,
    },
    /// A global viewer was removed.
    GlobalViewerRevoked {
        /// The viewer.
        viewer: PersonId,
        /// Whose reviews.
        subject: PersonId,
    },
    /// A default additional manager was given visibility of all past reviews.
    PastReviewsGranted {
        /// The additional manager.
        viewer: PersonId,
        /// Whose reviews.
        subject: PersonId,
    },
    /// That visibility was taken back.
    PastReviewsRevoked {
        /// The additional manager.
        viewer: PersonId,
        /// Whose reviews.
        subject: PersonId,
    },
    /// A custom role was defined or redefined.
    RoleDefined {
        /// The role.
        role: CustomRole,
        /// Its definition before, when redefined.
        #[serde(default)]
        previous: Option<CustomRole>,
    },
    /// A custom role was granted.
    RoleGranted {
        /// To whom.
        person: PersonId,
        /// With which scopes.
        grant: RoleGrant,
    },
    /// A custom role was revoked from a person.
    RoleRevoked {
        /// From whom.
        person: PersonId,
        /// Which role.
        role: CustomRoleId,
    },
}
