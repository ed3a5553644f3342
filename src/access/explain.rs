//! Explanations: a decision in words, with the manager path for `chain`.

use std::borrow::Cow;
use std::fmt::Write;

use super::{Action, Context, Decision, Explanation, Reason, Target, decide};
use crate::PersonId;
use crate::domain::decision::display_name;

/// Decides like [`decide`] and explains the decision. Allocates; use it for messages, audit
/// and "why can I see this" screens, not on the hot path.
///
/// ```
/// use appraise::access::{Action, Context, Target, explain};
/// use appraise::{Grants, PersonId};
///
/// let grants = Grants::new();
/// let e = explain(&Context::new(&grants, chrono::Utc::now()), PersonId::from_key("ann"), Action::ManageGrants, Target::Cycle);
/// assert!(!e.is_allowed());
/// assert!(e.to_string().starts_with("R-WRITE-16 no role:"));
/// ```
#[must_use]
pub fn explain(
    ctx: &Context<'_>,
    actor: PersonId,
    action: Action,
    target: Target<'_>,
) -> Explanation {
    render(
        ctx,
        actor,
        action,
        target,
        decide(ctx, actor, action, target),
    )
}

/// `decision` in words, for `actor` taking `action` on `target`.
pub(crate) fn render(
    ctx: &Context<'_>,
    actor: PersonId,
    action: Action,
    target: Target<'_>,
    decision: Decision,
) -> Explanation {
    let (subject, kind) = match target {
        Target::Packet(p) | Target::Nomination(p, _) => (Some(p.subject()), None),
        Target::Review(p, r) => (Some(p.subject()), Some(r.kind())),
        Target::Cycle | Target::Calibration(_) => (None, None),
    };
    let name = |id: PersonId| -> Cow<'_, str> {
        ctx.snapshot
            .and_then(|s| s.name(id))
            .map_or_else(|| format!("`{id}`").into(), display_name)
    };
    let a = name(actor);
    let s = subject.map_or_else(|| "the participant".into(), name);
    let kind = kind.map_or("", |k| k.name());
    let mut path = Vec::new();
    // One buffer for the whole text (most fit in it); writing to a `String` cannot fail.
    let mut text = String::with_capacity(160);
    let _ = write!(text, "{} ", decision.rule());
    let _ = match decision.reason() {
        Reason::Author if action == Action::WriteReview => {
            write!(text, "author: {a} writes this review")
        }
        Reason::Author => write!(text, "author: {a} wrote this review"),
        Reason::NotSubmitted => write!(text, "not submitted: only the author reads it"),
        Reason::Subject => match action {
            Action::ReadReview if decision.author_hidden() => {
                write!(
                    text,
                    "subject: {a} reads the shared {kind} feedback about them, author hidden"
                )
            }
            Action::ReadReview => write!(
                text,
                "subject: {a} reads the shared {kind} review about them"
            ),
            _ => write!(text, "subject: {a} is the participant"),
        },
        Reason::NotShared => write!(text, "not shared: {s}'s results are not shared yet"),
        Reason::KindNotShared => {
            write!(
                text,
                "not shared: the cycle does not share {kind} feedback with the subject"
            )
        }
        Reason::Removed => write!(
            text,
            "removed: this feedback was removed from what the subject sees"
        ),
        Reason::BelowThreshold { have, need } => write!(
            text,
            "below threshold: {have} of the {need} {kind} reviews needed before the subject sees any"
        ),
        Reason::Admin => write!(text, "admin: {a} is a review admin for this cycle"),
        Reason::Collaborator => write!(text, "collaborator: {a} collaborates on this cycle"),
        Reason::CustomRole { role } => {
            let role_name = ctx.grants.role(role).map_or("?", |r| r.name.as_str());
            write!(
                text,
                "custom role `{role_name}`: {a} may {} for {s}",
                action.verb()
            )
        }
        Reason::Manager => write!(text, "manager: {a} is {s}'s manager reviewer"),
        Reason::FormerManager => {
            write!(
                text,
                "former manager: {a} submitted {s}'s manager review before a manager change"
            )
        }
        Reason::AdditionalManager => write!(
            text,
            "additional manager: {a} is an additional manager of {s}"
        ),
        Reason::Chain => {
            if let (Some(snap), Some(subj)) = (ctx.snapshot, subject) {
                path = snap.manager_path(actor, subj).unwrap_or_default();
            }
            text.push_str("chain: ");
            for (i, &p) in path.iter().enumerate() {
                if i > 0 {
                    text.push_str(" → ");
                }
                text.push_str(&name(p));
            }
            Ok(())
        }
        Reason::CycleViewer => write!(text, "viewer: {a} views {s}'s reviews in this cycle"),
        Reason::GlobalViewer => write!(text, "global viewer: {a} views all of {s}'s reviews"),
        Reason::PastReviewViewer => {
            write!(
                text,
                "past reviews: {a} is {s}'s default additional manager with past-review visibility"
            )
        }
        Reason::Sharer => write!(text, "sharer: {a} is a sharing user of {s}"),
        Reason::Contributor { .. } => {
            write!(text, "contributor: {a} calibrates {s} in an open session")
        }
        Reason::Approver { step } => {
            write!(
                text,
                "approver: {a} approves step {} of {s}'s approval chain",
                u16::from(step) + 1
            )
        }
        Reason::Nominee => write!(text, "nominee: {a} was nominated"),
        Reason::NoRelation => match subject {
            Some(_) if action == Action::ReadReview => {
                write!(
                    text,
                    "no role: {a} holds no role that reads {s}'s {kind} reviews"
                )
            }
            Some(_) => write!(
                text,
                "no role: {a} has no role that may {} for {s}",
                action.verb()
            ),
            None => write!(text, "no role: {a} has no role that may {}", action.verb()),
        },
        Reason::Locked => write!(
            text,
            "refused: the cycle is locked; only unlock is accepted"
        ),
        Reason::OwnPacket => write!(
            text,
            "refused: {a} may not {} on their own packet",
            action.verb()
        ),
        Reason::SelfGrant => write!(text, "refused: {a} may not grant anything to themselves"),
        Reason::Closed => write!(
            text,
            "refused: the cycle is closed; only sharing, acknowledging, the final meeting and reopening are accepted"
        ),
        Reason::Left => write!(text, "refused: {a} has left, and reads and does nothing"),
        Reason::SettingOff => write!(
            text,
            "setting off: the cycle's settings do not let {a} {}",
            action.verb()
        ),
        Reason::NotYetOpen => write!(text, "not open: the writing window has not opened yet"),
        Reason::PastDue => write!(
            text,
            "past due: the window is closed and late submissions are off"
        ),
        Reason::Gated => write!(
            text,
            "gated: the manager review opens once the self review (and, if set, every peer review) is submitted"
        ),
        Reason::CycleNotActive => write!(text, "not active: the cycle is not active"),
        Reason::Withdrawn => write!(text, "withdrawn: {s}'s packet is withdrawn and read-only"),
        Reason::NoPendingStep => write!(
            text,
            "no pending step: {s}'s packet is not waiting for approval"
        ),
        Reason::BadContext => {
            write!(
                text,
                "bad request: the cycle, snapshot and records given do not belong together"
            )
        }
    };
    Explanation::new(decision, action, actor, subject, path, text)
}
