//! Where a reader's reads can reach in a cycle, from the grants, the org snapshot and the
//! calibration sessions: the subjects whose reviews R-READ-3 to R-READ-8 may let them read.
//! List queries visit these subjects only, instead of deciding over every review of the cycle.

use super::Context;
use super::decide::is_admin_of;
use crate::domain::cycle::ApprovalStep;
use crate::domain::roles::Permission;
use crate::{PeopleScope, PersonId};

/// The subjects a reader's relations reach in the context's cycle: a superset of the subjects
/// R-READ-3 to R-READ-8 can allow them. What only storage knows is not here: the reviews the
/// reader writes (R-READ-1) and the packets that name them (manager reviewer, additional
/// manager, viewer, sharer); the engine adds those.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Reach {
    /// Every participant (admins, collaborators, custom roles over everyone).
    pub everyone: bool,
    /// Whole subtrees, each root included: the reader's own (themselves as subject, their
    /// chain below), and custom-role subtrees.
    pub subtrees: Vec<PersonId>,
    /// Single participants: global and past-review grants, calibration sessions, department
    /// heads' approvals.
    pub people: Vec<PersonId>,
}

/// [`Reach`] of `reader` in the context's cycle; nothing for a person who has left or a cycle
/// without a snapshot.
pub(crate) fn reach(ctx: &Context<'_>, reader: PersonId) -> Reach {
    let mut out = Reach::default();
    let (Some(cycle), Some(snapshot)) = (ctx.cycle, ctx.snapshot) else {
        return out;
    };
    if snapshot.has_left(reader) {
        return out;
    }
    // R-READ-4.
    if is_admin_of(ctx, reader, cycle) || cycle.is_collaborator(reader) {
        out.everyone = true;
        return out;
    }
    // R-READ-4 by custom role, and R-READ-8 for the admins' approval step by custom role.
    for grant in ctx.grants.roles_of(reader) {
        let Some(role) = ctx.grants.role(grant.role) else {
            continue;
        };
        let reads = role.permissions.contains(Permission::ViewAllReviews)
            || role.permissions.contains(Permission::ApproveResults);
        if !reads || !grant.cycles.contains(Some(cycle.id())) {
            continue;
        }
        match grant.people {
            PeopleScope::Everyone => {
                out.everyone = true;
                return out;
            }
            PeopleScope::SubtreeOf(root) => out.subtrees.push(root),
        }
    }
    // R-READ-3 (the reader as subject) and R-READ-5's chain; approval steps naming a manager
    // some levels up are on the chain too.
    out.subtrees.push(reader);
    // R-READ-5: global viewers and past-review grants.
    out.people.extend(ctx.grants.viewed_by(reader));
    // R-READ-7.
    for session in ctx.calibrations {
        if session.cycle() == cycle.id()
            && session.is_open()
            && session.contributors().contains(&reader)
        {
            out.people.extend(session.participants().iter().copied());
        }
    }
    // R-READ-8 for department heads.
    let settings = cycle.settings();
    if settings.approval_required
        && settings
            .approval_chain
            .iter()
            .any(|s| matches!(s, ApprovalStep::DepartmentHead))
        && snapshot
            .departments()
            .iter()
            .any(|d| d.head == Some(reader))
    {
        out.people.extend(
            snapshot
                .people()
                .iter()
                .filter(|p| snapshot.department_head_of(p.id) == Some(reader))
                .map(|p| p.id),
        );
    }
    out
}
