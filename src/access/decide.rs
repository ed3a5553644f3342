//! The decision procedure. Everything here is allocation-free: lookups in the grants' hash
//! maps, O(1) ancestor checks in the snapshot, and scans of a packet's short assignment lists.

use super::{Action, Context, Decision, Reason, Rule, Target, sharer_reads};
use crate::domain::cycle::CycleSettings;
use crate::domain::org::OrgSnapshot;
use crate::domain::packet::{Packet, StepApprover, resolve_step};
use crate::domain::review::Review;
use crate::domain::roles::Permission;
use crate::domain::vocab::CycleState;
use crate::domain::vocab::PacketState;
use crate::domain::vocab::ReviewState;
use crate::{CalibrationSessionId, Cycle, PersonId, ReviewKind};

/// Decides whether `actor` may perform `action` on `target`. Pure and allocation-free.
///
/// See the [module docs](crate::access) for the rules and the readings taken where the spec
/// leaves room.
///
/// ```
/// use appraise::access::{Action, Context, Reason, Rule, Target, decide};
/// use appraise::{Grants, PersonId};
///
/// // Only review admins create cycles.
/// let grants = Grants::new();
/// let now = chrono::Utc::now();
/// let d = decide(&Context::new(&grants, now), PersonId::from_key("ann"), Action::CreateCycle, Target::Cycle);
/// assert!(!d.is_allowed());
/// assert_eq!((d.rule(), d.reason()), (Rule::Write(1), Reason::NoRelation));
/// ```
pub fn decide(ctx: &Context<'_>, actor: PersonId, action: Action, target: Target<'_>) -> Decision {
    // A person who has left is denied everything, before any rule.
    if ctx.snapshot.is_some_and(|s| s.has_left(actor)) {
        return Decision::deny(Rule::Left, Reason::Left);
    }
    match action.write_rule() {
        None => read(ctx, actor, target),
        Some(n) => write(ctx, actor, action, Rule::Write(n), target),
    }
}

const fn bad_context() -> Decision {
    Decision::deny(Rule::Context, Reason::BadContext)
}

/// The cycle and snapshot of a packet-level request, if the context has them and they match.
fn scope<'a>(ctx: &Context<'a>, packet: &Packet) -> Option<(&'a Cycle, &'a OrgSnapshot)> {
    let cycle = ctx.cycle?;
    let snapshot = ctx.snapshot?;
    (packet.cycle == cycle.id()).then_some((cycle, snapshot))
}

fn read(ctx: &Context<'_>, actor: PersonId, target: Target<'_>) -> Decision {
    let Target::Review(packet, review) = target else {
        return bad_context();
    };
    let Some((cycle, snapshot)) = scope(ctx, packet) else {
        return bad_context();
    };
    if review.packet != packet.id || review.cycle != cycle.id() {
        return bad_context();
    }
    // R-READ-1
    if actor == review.author {
        return Decision::allow(Rule::Read(1), Reason::Author);
    }
    // R-READ-2
    if review.state != ReviewState::Submitted {
        return Decision::deny(Rule::Read(2), Reason::NotSubmitted);
    }
    let subject = packet.subject;
    // R-READ-3
    if actor == subject {
        return subject_reads(cycle.settings(), packet, review);
    }
    // R-READ-4
    if let Some(reason) = admin_like(
        ctx,
        Some(cycle),
        Some(snapshot),
        actor,
        Some(Permission::ViewAllReviews),
        Some(subject),
        true,
    ) {
        return Decision::allow(Rule::Read(4), reason);
    }
    // R-READ-5
    if let Some(reason) = managerial(ctx, snapshot, packet, actor) {
        return Decision::allow(Rule::Read(5), reason);
    }
    // R-READ-6
    if sharer_reads(review.kind) && packet.sharers.contains(&actor) {
        return Decision::allow(Rule::Read(6), Reason::Sharer);
    }
    // R-READ-7
    if review.kind.is_managerial()
        && let Some(session) = contributor(ctx, cycle, actor, subject)
    {
        return Decision::allow(Rule::Read(7), Reason::Contributor { session });
    }
    // R-READ-8
    if let Some(step) = approver_of_any_step(ctx, cycle, snapshot, packet, actor) {
        return Decision::allow(Rule::Read(8), Reason::Approver { step });
    }
    // R-READ-9
    Decision::deny(Rule::Read(9), Reason::NoRelation)
}

/// R-READ-3: the subject, decided by this rule alone.
fn subject_reads(settings: &CycleSettings, packet: &Packet, review: &Review) -> Decision {
    let rule = Rule::Read(3);
    let kind = review.kind;
    match kind {
        ReviewKind::Manager | ReviewKind::AdditionalManager => {
            if packet.state.is_shared() {
                Decision::allow(rule, Reason::Subject)
            } else {
                Decision::deny(rule, Reason::NotShared)
            }
        }
        ReviewKind::Peer | ReviewKind::Upward => {
            if !settings.shares_with_subject(kind) {
                return Decision::deny(rule, Reason::KindNotShared);
            }
            if !packet.state.is_shared() {
                return Decision::deny(rule, Reason::NotShared);
            }
            if review.removed {
                return Decision::deny(rule, Reason::Removed);
            }
            // At or above `u16::MAX` visible reviews, every threshold is met.
            let have = u16::try_from(packet.tally(kind).visible()).unwrap_or(u16::MAX);
            let need = settings.anonymity_threshold;
            if have < need {
                return Decision::deny(rule, Reason::BelowThreshold { have, need });
            }
            let allowed = Decision::allow(rule, Reason::Subject);
            if settings.is_anonymous(kind) {
                allowed.hiding_author()
            } else {
                allowed
            }
        }
        // A self review is only ever read by its subject as its author (rule 1).
        ReviewKind::SelfReview => Decision::deny(rule, Reason::NoRelation),
    }
}

/// `admin(P, C)`: P is a review admin whose grant reaches the cycle (created at or after the
/// grant's `since`, or the grant allows past cycles).
pub(crate) fn is_admin_of(ctx: &Context<'_>, actor: PersonId, cycle: &Cycle) -> bool {
    ctx.grants
        .admin(actor)
        .is_some_and(|grant| grant.covers(cycle.created_at()))
}

/// Admins, collaborators (when `collab`), and custom roles carrying `permission` with the cycle
/// and the subject in scope. Without a subject the people scope must be `Everyone`; without a
/// cycle (creating one) the cycle scope must be `All`.
fn admin_like(
    ctx: &Context<'_>,
    cycle: Option<&Cycle>,
    snapshot: Option<&OrgSnapshot>,
    actor: PersonId,
    permission: Option<Permission>,
    subject: Option<PersonId>,
    collab: bool,
) -> Option<Reason> {
    if let Some(grant) = ctx.grants.admin(actor) {
        let created = cycle.map_or(ctx.now, Cycle::created_at);
        if grant.covers(created) {
            return Some(Reason::Admin);
        }
    }
    if collab && cycle.is_some_and(|c| c.is_collaborator(actor)) {
        return Some(Reason::Collaborator);
    }
    let permission = permission?;
    for grant in ctx.grants.roles_of(actor) {
        let Some(role) = ctx.grants.role(grant.role) else {
            continue;
        };
        if !role.permissions.contains(permission) || !grant.cycles.contains(cycle.map(Cycle::id)) {
            continue;
        }
        let in_scope = match (subject, snapshot) {
            (Some(s), Some(snap)) => grant.people.contains(snap, s),
            _ => grant.people == crate::PeopleScope::Everyone,
        };
        if in_scope {
            return Some(Reason::CustomRole { role: grant.role });
        }
    }
    None
}

/// R-READ-5's relations, in the order the explanation prefers them.
fn managerial(
    ctx: &Context<'_>,
    snapshot: &OrgSnapshot,
    packet: &Packet,
    actor: PersonId,
) -> Option<Reason> {
    let subject = packet.subject;
    if packet.manager == Some(actor) {
        Some(Reason::Manager)
    } else if packet.former_managers.contains(&actor) {
        Some(Reason::FormerManager)
    } else if packet.is_additional_manager(actor) {
        Some(Reason::AdditionalManager)
    } else if snapshot.is_ancestor_hinted(actor, subject, packet.subject_at.0) {
        Some(Reason::Chain)
    } else if packet.viewers.contains(&actor) {
        Some(Reason::CycleViewer)
    } else if ctx.grants.is_global_viewer(actor, subject) {
        Some(Reason::GlobalViewer)
    } else if ctx.grants.sees_past_reviews(actor, subject)
        && ctx
            .additional_managers
            .is_some_and(|m| m.is(actor, subject))
    {
        Some(Reason::PastReviewViewer)
    } else {
        None
    }
}

/// `contrib(P, S)`: an open session of this cycle with P as contributor and S as participant.
fn contributor(
    ctx: &Context<'_>,
    cycle: &Cycle,
    actor: PersonId,
    subject: PersonId,
) -> Option<CalibrationSessionId> {
    ctx.calibrations
        .iter()
        .find(|s| {
            s.cycle() == cycle.id()
                && s.is_open()
                && s.contributors().contains(&actor)
                && s.participants().contains(&subject)
        })
        .map(|s| s.id())
}

/// Whether the actor approves step `step` of the packet's chain.
fn approves_step(
    ctx: &Context<'_>,
    cycle: &Cycle,
    snapshot: &OrgSnapshot,
    packet: &Packet,
    actor: PersonId,
    step: usize,
) -> bool {
    match resolve_step(
        snapshot,
        &cycle.settings().approval_chain,
        step,
        packet.subject,
    ) {
        StepApprover::Person(p) => p == actor,
        StepApprover::Admins => admin_like(
            ctx,
            Some(cycle),
            Some(snapshot),
            actor,
            Some(Permission::ApproveResults),
            Some(packet.subject),
            false,
        )
        .is_some(),
        StepApprover::Skipped => false,
    }
}

/// `approver(P, S)`: the current step (while pending approval) or any step already passed.
fn approver_of_any_step(
    ctx: &Context<'_>,
    cycle: &Cycle,
    snapshot: &OrgSnapshot,
    packet: &Packet,
    actor: PersonId,
) -> Option<u8> {
    if !cycle.settings().approval_required {
        return None;
    }
    let mut reached = usize::from(packet.approval_passed);
    if packet.state == PacketState::PendingApproval {
        let chain = &cycle.settings().approval_chain;
        reached = reached.max(
            packet
                .current_approval_step(chain, snapshot)
                .saturating_add(1),
        );
    }
    (0..reached)
        .find(|&step| approves_step(ctx, cycle, snapshot, packet, actor, step))
        .and_then(|step| u8::try_from(step).ok())
}

fn write(
    ctx: &Context<'_>,
    actor: PersonId,
    action: Action,
    rule: Rule,
    target: Target<'_>,
) -> Decision {
    // Cycle-independent actions: only the grants decide.
    match action {
        Action::CreateCycle | Action::ManageTemplates | Action::ManageGrants => {
            let permission = action.permission();
            return match admin_like(ctx, None, None, actor, permission, None, false) {
                Some(reason) => Decision::allow(rule, reason),
                None => Decision::deny(rule, Reason::NoRelation),
            };
        }
        _ => {}
    }
    let Some(cycle) = ctx.cycle else {
        return bad_context();
    };
    let (packet, snapshot) = match target {
        Target::Cycle => (None, ctx.snapshot),
        Target::Calibration(session) if session.cycle() == cycle.id() => (None, ctx.snapshot),
        Target::Calibration(_) => return bad_context(),
        Target::Packet(p) => match scope(ctx, p) {
            Some((_, snap)) => (Some(p), Some(snap)),
            None => return bad_context(),
        },
        Target::Review(p, r) => match scope(ctx, p) {
            Some((_, snap)) if r.packet == p.id && r.cycle == cycle.id() => (Some(p), Some(snap)),
            _ => return bad_context(),
        },
        Target::Nomination(p, n) => match scope(ctx, p) {
            Some((_, snap)) if n.packet == p.id && n.cycle == cycle.id() => (Some(p), Some(snap)),
            _ => return bad_context(),
        },
    };
    if action.changes_cycle() && action != Action::Unlock && cycle.is_locked() {
        return Decision::deny(Rule::Locked, Reason::Locked);
    }
    if cycle.state() == CycleState::Closed && !action.allowed_when_closed() {
        return Decision::deny(Rule::Closed, Reason::Closed);
    }
    if action.excluded_on_own_packet() && packet.is_some_and(|p| p.subject == actor) {
        return Decision::deny(Rule::OwnPacket, Reason::OwnPacket);
    }
    let subject = packet.map(|p| p.subject);
    let admins = |collab: bool| {
        admin_like(
            ctx,
            Some(cycle),
            snapshot,
            actor,
            action.permission(),
            subject,
            collab,
        )
    };
    let is_manager = packet.is_some_and(|p| p.manager == Some(actor));
    let found = |reason: Option<Reason>| match reason {
        Some(reason) => Decision::allow(rule, reason),
        None => Decision::deny(rule, Reason::NoRelation),
    };

    match (action, target) {
        (
            Action::DeleteCycle
            | Action::EditCycle
            | Action::EditParticipants
            | Action::Launch
            | Action::Close
            | Action::Lock
            | Action::Unlock,
            Target::Cycle,
        ) => found(admins(action != Action::DeleteCycle)),
        (Action::ManageCalibration, Target::Cycle | Target::Calibration(_)) => found(admins(true)),
        (Action::EditAssignments, Target::Packet(_))
        | (Action::ReopenReview, Target::Review(..)) => found(admins(true)),
        (Action::SendReminder, Target::Review(..)) => {
            found(admins(true).or(is_manager.then_some(Reason::Manager)))
        }
        (Action::WriteReview, Target::Review(p, r)) => write_review(ctx, cycle, p, r, actor, rule),
        (Action::Nominate, Target::Packet(p)) => {
            if actor == p.subject {
                if cycle.settings().self_nomination {
                    Decision::allow(rule, Reason::Subject)
                } else {
                    Decision::deny(rule, Reason::SettingOff)
                }
            } else {
                found(
                    is_manager
                        .then_some(Reason::Manager)
                        .or_else(|| admins(true)),
                )
            }
        }
        (Action::DecideNomination, Target::Nomination(..)) => {
            if cycle.settings().nomination_approval {
                found(
                    is_manager
                        .then_some(Reason::Manager)
                        .or_else(|| admins(true)),
                )
            } else {
                Decision::deny(rule, Reason::SettingOff)
            }
        }
        (Action::DeclineNomination, Target::Nomination(_, n)) => {
            found((n.nominee == actor).then_some(Reason::Nominee))
        }
        (Action::RemoveFeedback, Target::Review(..)) => {
            let may = cycle.settings().managers_may_remove_feedback;
            match admins(true) {
                Some(reason) => Decision::allow(rule, reason),
                None if is_manager && may => Decision::allow(rule, Reason::Manager),
                None if is_manager => Decision::deny(rule, Reason::SettingOff),
                None => Decision::deny(rule, Reason::NoRelation),
            }
        }
        (Action::ChangeCalibratedRating, Target::Packet(p)) => found(
            contributor(ctx, cycle, actor, p.subject)
                .map(|session| Reason::Contributor { session })
                .or_else(|| admins(true)),
        ),
        (Action::Approve, Target::Packet(p)) => {
            let Some(snapshot) = snapshot else {
                return bad_context();
            };
            if p.state != PacketState::PendingApproval {
                return Decision::deny(rule, Reason::NoPendingStep);
            }
            let step = p.current_approval_step(&cycle.settings().approval_chain, snapshot);
            found(
                approves_step(ctx, cycle, snapshot, p, actor, step)
                    .then(|| u8::try_from(step).ok())
                    .flatten()
                    .map(|step| Reason::Approver { step }),
            )
        }
        (Action::Share, Target::Packet(p)) => found(
            is_manager
                .then_some(Reason::Manager)
                .or_else(|| admins(true))
                .or_else(|| p.sharers.contains(&actor).then_some(Reason::Sharer)),
        ),
        (Action::Unshare, Target::Packet(_)) => found(admins(false)),
        (Action::Acknowledge, Target::Packet(p)) => {
            found((p.subject == actor).then_some(Reason::Subject))
        }
        (Action::RecordMeeting, Target::Packet(_)) => found(is_manager.then_some(Reason::Manager)),
        (Action::ViewProgress, Target::Cycle) => found(admins(true)),
        (Action::ViewProgress, Target::Packet(p)) => {
            let Some(snapshot) = snapshot else {
                return bad_context();
            };
            found(admins(true).or_else(|| {
                if is_manager {
                    Some(Reason::Manager)
                } else {
                    snapshot
                        .is_ancestor_hinted(actor, p.subject, p.subject_at.0)
                        .then_some(Reason::Chain)
                }
            }))
        }
        _ => bad_context(),
    }
}

/// R-WRITE-6: the author, inside the window, after gating, in an active cycle.
fn write_review(
    ctx: &Context<'_>,
    cycle: &Cycle,
    packet: &Packet,
    review: &Review,
    actor: PersonId,
    rule: Rule,
) -> Decision {
    if actor != review.author {
        return Decision::deny(rule, Reason::NoRelation);
    }
    if cycle.state() != CycleState::Active {
        return Decision::deny(rule, Reason::CycleNotActive);
    }
    if packet.withdrawn {
        return Decision::deny(rule, Reason::Withdrawn);
    }
    let settings = cycle.settings();
    if let Some(window) = settings.windows.of(review.kind) {
        if ctx.now < window.opens {
            return Decision::deny(rule, Reason::NotYetOpen);
        }
        if ctx.now > window.due && !settings.late_submissions {
            return Decision::deny(rule, Reason::PastDue);
        }
    }
    if review.kind.is_managerial() && !packet.manager_gate_open(settings) {
        return Decision::deny(rule, Reason::Gated);
    }
    Decision::allow(rule, Reason::Author)
}
