//! Who may see and do what: actions, targets, and the decision procedure.
//!
//! [`decide`] is a pure function of the [`Context`] (grants, cycle, org snapshot, calibration
//! sessions, the time), the actor, the [`Action`] and the [`Target`]. It returns a
//! [`Decision`]: allowed or denied, whether a review's author must be hidden, the rule that
//! decided ([`Rule`]) and the relation it rests on ([`Reason`]). It does not allocate.
//! [`explain`] runs the same procedure and renders the relation in words, with the manager
//! path for `chain` relations: `R-READ-5 chain: dana → bo → ann`.
//!
//! # Reading reviews (R-READ)
//!
//! The rules of DOMAIN.md are tried in order; the first whose whole condition holds decides:
//!
//! 1. the author reads their review, in any state;
//! 2. a review that is not submitted is denied to everyone else;
//! 3. the subject is decided by this rule alone: manager and additional-manager reviews once the
//!    packet is shared; peer and upward reviews only when the cycle shares that kind, the packet
//!    is shared, the review is not removed and the threshold of non-removed submitted reviews
//!    of that kind is met, with the author hidden when the kind is anonymous;
//! 4. admins of the cycle, its collaborators, and custom roles with "view all reviews" in scope;
//! 5. the manager reviewer (current, or former with a submitted manager review), additional
//!    managers, the manager chain in the cycle's snapshot, cycle and global viewers, and default
//!    additional managers granted past-review visibility;
//! 6. sharing users, for self, manager and additional-manager reviews;
//! 7. contributors of an open calibration session including the subject, for manager and
//!    additional-manager reviews;
//! 8. approvers of the current or an already passed approval step;
//! 9. everyone else is denied.
//!
//! # Changing things (R-WRITE)
//!
//! Every write is refused while the cycle is locked, except unlock ([`Rule::Locked`]). Nobody
//! approves, calibrates, shares or unshares, removes feedback in, reopens reviews of, edits the
//! assignments of, or decides nominations for their own packet ([`Rule::OwnPacket`]). Then the
//! R-WRITE line of the action decides; see [`Action`] for which line each action is.
//!
//! # Readings of the spec
//!
//! Where DOMAIN.md leaves room, the safer reading is taken:
//!
//! - A former manager keeps read access (R-READ-5) only when their manager review was submitted
//!   before the change; a manager whose unsubmitted review was cancelled keeps nothing but that
//!   review (R-READ-1). See [`Packet::change_manager`](crate::Packet::change_manager).
//! - "S's manager" in R-WRITE-5, 7, 8, 10, 13 and 14 is the current manager reviewer only.
//! - Deciding a nomination creates an assignment, so the own-packet exclusion covers it.
//! - Cycle-wide actions (edit, launch, close, lock, calibration, whole-cycle progress) by a
//!   custom role need the `Everyone` people scope; creating a cycle needs the all-cycles scope.
//! - The "admins" approval step is `admin(P, C)` or a custom role with
//!   [`ApproveResults`](crate::Permission::ApproveResults); collaborators are not approvers.
//! - Writing a review (R-WRITE-6) also needs the cycle to be active and the packet not withdrawn.
//! - Viewing progress (R-WRITE-15) is a read: it goes on while the cycle is locked.
//! - A request whose cycle, snapshot, packet and review do not belong together is denied
//!   ([`Rule::Context`]): the engine fails closed.

mod decide;
mod explain;
mod reach;

pub use crate::domain::decision::{Action, Decision, Explanation, Reason, Refusal, Rule};
pub use decide::decide;
pub use explain::explain;
pub(crate) use explain::render;
pub(crate) use reach::reach;

use chrono::{DateTime, Utc};

use crate::domain::calibration::CalibrationSession;
use crate::domain::grants::{DefaultAdditionalManagers, Grants};
use crate::domain::nomination::Nomination;
use crate::domain::org::OrgSnapshot;
use crate::domain::packet::Packet;
use crate::domain::review::Review;
use crate::domain::vocab::ReviewState;
use crate::{Cycle, Error, PersonId, Result, ReviewKind};

/// What an action is about.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// The cycle in the context as a whole (or nothing, for cycle-independent actions).
    Cycle,
    /// A participant's packet.
    Packet(&'a Packet),
    /// One review, with the packet of its subject.
    Review(&'a Packet, &'a Review),
    /// A nomination, with the packet of its subject.
    Nomination(&'a Packet, &'a Nomination),
    /// A calibration session.
    Calibration(&'a CalibrationSession),
}

/// What a decision reads besides the actor, action and target.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Every grant.
    pub grants: &'a Grants,
    /// The cycle, for everything but cycle-independent actions.
    pub cycle: Option<&'a Cycle>,
    /// The cycle's org snapshot (taken at launch), for packet-level actions.
    pub snapshot: Option<&'a OrgSnapshot>,
    /// The cycle's calibration sessions (for `contrib`).
    pub calibrations: &'a [CalibrationSession],
    /// The time of the request (writing windows).
    pub now: DateTime<Utc>,
    /// The current default additional managers of the subjects of past-review grants: a
    /// past-review grant reads only while its grantee is still one (DOMAIN.md, `viewer`).
    /// `None` knows of no one, so no past-review grant gives anything.
    pub additional_managers: Option<&'a DefaultAdditionalManagers>,
}

impl<'a> Context<'a> {
    /// A context with grants and time only: enough for cycle-independent actions.
    #[must_use]
    pub const fn new(grants: &'a Grants, now: DateTime<Utc>) -> Self {
        Self {
            grants,
            cycle: None,
            snapshot: None,
            calibrations: &[],
            now,
            additional_managers: None,
        }
    }

    /// With the cycle.
    #[must_use]
    pub const fn with_cycle(mut self, cycle: &'a Cycle) -> Self {
        self.cycle = Some(cycle);
        self
    }

    /// With the cycle's org snapshot.
    #[must_use]
    pub const fn with_snapshot(mut self, snapshot: &'a OrgSnapshot) -> Self {
        self.snapshot = Some(snapshot);
        self
    }

    /// With the subjects' current default additional managers (for past-review grants).
    #[must_use]
    pub const fn with_additional_managers(
        mut self,
        managers: &'a DefaultAdditionalManagers,
    ) -> Self {
        self.additional_managers = Some(managers);
        self
    }

    /// With the cycle's calibration sessions.
    #[must_use]
    pub const fn with_calibrations(mut self, calibrations: &'a [CalibrationSession]) -> Self {
        self.calibrations = calibrations;
        self
    }
}

/// Is this review kind one that rule 6 (sharers) reaches?
pub(crate) const fn sharer_reads(kind: ReviewKind) -> bool {
    matches!(
        kind,
        ReviewKind::SelfReview | ReviewKind::Manager | ReviewKind::AdditionalManager
    )
}

/// `Ok(())` when `decide` allows; else the crate's error: [`Error::Locked`] when the cycle's
/// lock decided, [`Error::Denied`] with the explanation otherwise.
///
/// # Errors
///
/// [`Error::Locked`], [`Error::Denied`].
pub(crate) fn authorize(
    ctx: &Context<'_>,
    actor: PersonId,
    action: Action,
    target: Target<'_>,
) -> Result<()> {
    let decision = decide(ctx, actor, action, target);
    if decision.is_allowed() {
        return Ok(());
    }
    if decision.rule() == Rule::Locked {
        return Err(Error::Locked {
            cycle: ctx
                .cycle
                .map(|c| c.config().name.clone())
                .unwrap_or_default(),
        });
    }
    Err(Error::Denied(Box::new(explain(ctx, actor, action, target))))
}

/// A manager's team progress (R-WRITE-15): the manager themselves, or whoever may view the
/// whole cycle's progress (admins, collaborators); each packet in it is then counted only
/// when [`Action::ViewProgress`] on it is allowed.
///
/// # Errors
///
/// [`Error::Denied`] explaining the whole-cycle decision.
pub(crate) fn authorize_team_progress(
    ctx: &Context<'_>,
    actor: PersonId,
    manager: PersonId,
) -> Result<()> {
    if actor == manager {
        return Ok(());
    }
    authorize(ctx, actor, Action::ViewProgress, Target::Cycle)
}

/// A calibration session's report: its contributors while it is open, or whoever may manage
/// the session (R-WRITE-4: admins, collaborators).
///
/// # Errors
///
/// [`Error::Denied`] explaining the management decision.
pub(crate) fn authorize_calibration_report(
    ctx: &Context<'_>,
    actor: PersonId,
    session: &CalibrationSession,
) -> Result<()> {
    if session.is_open() && session.contributors().contains(&actor) {
        return Ok(());
    }
    authorize(
        ctx,
        actor,
        Action::ManageCalibration,
        Target::Calibration(session),
    )
}

/// A change of grants that gives something to `grantee` (R-WRITE-16): review admins only, and
/// nobody grants anything to themselves.
///
/// # Errors
///
/// [`Error::Denied`].
pub(crate) fn authorize_grant(
    ctx: &Context<'_>,
    actor: PersonId,
    grantee: Option<PersonId>,
) -> Result<()> {
    authorize(ctx, actor, Action::ManageGrants, Target::Cycle)?;
    if grantee == Some(actor) {
        return Err(refused(ctx, actor, Reason::SelfGrant));
    }
    Ok(())
}

/// `action` on the context's cycle as a whole. Changing a cycle's collaborators is a grant
/// (R-WRITE-16): it needs `admin(P, C)` for this cycle (an admin whose grant does not reach
/// the cycle gains nothing in it), never goes to the actor, and is a cycle write too: refused
/// while the cycle is locked. `grantee` is the person the change is about.
///
/// # Errors
///
/// [`Error::Locked`], [`Error::Denied`].
pub(crate) fn authorize_on_cycle(
    ctx: &Context<'_>,
    actor: PersonId,
    action: Action,
    grantee: Option<PersonId>,
) -> Result<()> {
    if action != Action::ManageGrants {
        return authorize(ctx, actor, action, Target::Cycle);
    }
    authorize_grant(ctx, actor, grantee)?;
    let Some(cycle) = ctx.cycle else {
        return Ok(());
    };
    if !decide::is_admin_of(ctx, actor, cycle) {
        return Err(refused(ctx, actor, Reason::NoRelation));
    }
    if cycle.is_locked() {
        return Err(Error::Locked {
            cycle: cycle.config().name.clone(),
        });
    }
    Ok(())
}

/// A participant's packet (their record in the cycle): the subject, and whoever may view the
/// participant's progress (R-WRITE-15).
///
/// # Errors
///
/// [`Error::Denied`] explaining the progress decision.
pub(crate) fn authorize_packet(ctx: &Context<'_>, actor: PersonId, packet: &Packet) -> Result<()> {
    // The subject sees their own packet, unless they have left (then `decide` refuses them
    // everything).
    if packet.subject() == actor && !ctx.snapshot.is_some_and(|s| s.has_left(actor)) {
        return Ok(());
    }
    authorize(ctx, actor, Action::ViewProgress, Target::Packet(packet))
}

/// A refusal of R-WRITE-16 that `decide` cannot make, because its target names neither the
/// grantee nor (for cycle-independent grants) the cycle.
fn refused(ctx: &Context<'_>, actor: PersonId, reason: Reason) -> Error {
    let decision = Decision::deny(Rule::Write(16), reason);
    let why = explain::render(ctx, actor, Action::ManageGrants, Target::Cycle, decision);
    Error::Denied(Box::new(why))
}

/// Whether a reader whom `decision` lets read a review also receives its answers to private
/// questions (DOMAIN.md, "What a reader sees of a review"): the author, readers through
/// R-READ-4 (admins, collaborators, custom roles), readers through R-READ-5 as manager,
/// former manager, additional manager or manager chain (not as a viewer), and approvers
/// (R-READ-8). The subject, viewers, sharing users and calibration contributors read the
/// review without them.
#[must_use]
pub const fn sees_private_answers(decision: &Decision) -> bool {
    decision.is_allowed()
        && matches!(
            decision.reason(),
            Reason::Author
                | Reason::Admin
                | Reason::Collaborator
                | Reason::CustomRole { .. }
                | Reason::Manager
                | Reason::FormerManager
                | Reason::AdditionalManager
                | Reason::Chain
                | Reason::Approver { .. }
        )
}

/// Whether `reader`'s own results in `packet` (consolidated and calibrated rating, band,
/// 9-box cell) are still hidden from them: the packet is theirs and not shared yet. This holds
/// whatever other role they have (DOMAIN.md, "Everything derived from reviews obeys R-READ").
#[must_use]
pub fn own_results_hidden(reader: PersonId, packet: &Packet) -> bool {
    reader == packet.subject() && !packet.state().is_shared()
}

/// A reader's own results before sharing, refused as R-READ-3 refuses the manager review.
pub(crate) fn own_results_not_shared(
    ctx: &Context<'_>,
    reader: PersonId,
    packet: &Packet,
) -> Error {
    let decision = Decision::deny(Rule::Read(3), Reason::NotShared);
    let why = explain::render(
        ctx,
        reader,
        Action::ViewProgress,
        Target::Packet(packet),
        decision,
    );
    Error::Denied(Box::new(why))
}

/// Whether `actor` may learn that `review` exists and whom it is about: its author, its
/// subject, or someone who may read it once it is submitted. Everyone else is told there is
/// no such review, so a refusal never names the subject of a review to an unrelated caller.
#[must_use]
pub(crate) fn knows_of(
    ctx: &Context<'_>,
    actor: PersonId,
    packet: &Packet,
    review: &Review,
) -> bool {
    if actor == review.author() || actor == packet.subject() {
        return true;
    }
    let mut submitted = review.clone();
    submitted.state = ReviewState::Submitted;
    decide(
        ctx,
        actor,
        Action::ReadReview,
        Target::Review(packet, &submitted),
    )
    .is_allowed()
}

/// `action` on `review`: `Ok(())` when allowed; else the denial, or "not found" for a caller
/// who may not know of the review ([`knows_of`]).
///
/// # Errors
///
/// [`Error::Locked`], [`Error::Denied`], [`Error::NotFound`].
pub(crate) fn authorize_review(
    ctx: &Context<'_>,
    actor: PersonId,
    action: Action,
    packet: &Packet,
    review: &Review,
) -> Result<()> {
    match authorize(ctx, actor, action, Target::Review(packet, review)) {
        Err(Error::Denied(_)) if !knows_of(ctx, actor, packet, review) => Err(Error::NotFound {
            what: "review",
            id: review.id().to_string(),
        }),
        other => other,
    }
}

/// Whether `actor` reads the reviews they write (R-READ-1): everyone but a person who has left.
#[must_use]
pub(crate) fn reads_own_reviews(ctx: &Context<'_>, actor: PersonId) -> bool {
    !ctx.snapshot.is_some_and(|s| s.has_left(actor))
}
