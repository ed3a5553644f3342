//! Explanations: a decision in words, with the manager path for `chain`.

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
    let name = |id: PersonId| -> String {
        ctx.snapshot
            .and_then(|s| s.name(id))
            .map_or_else(|| format!("`{id}`"), display_name)
    };
    let a = name(actor);
    let s = subject.map_or_else(|| "the participant".to_owned(), name);
    let kind = kind.map_or("", |k| k.name());
    let mut path = Vec::new();
    let relation = match decision.reason() {
        Reason::Author if action == Action::WriteReview => format!("author: {a} writes this review"),
        Reason::Author => format!("author: {a} wrote this review"),
        Reason::NotSubmitted => "not submitted: only the author reads it".to_owned(),
        Reason::Subject => match action {
            Action::ReadReview if decision.author_hidden() => {
                format!("subject: {a} reads the shared {kind} feedback about them, author hidden")
            }
            Action::ReadReview => format!("subject: {a} reads the shared {kind} review about them"),
            _ => format!("subject: {a} is the participant"),
        },
        Reason::NotShared => format!("not shared: {s}'s results are not shared yet"),
        Reason::KindNotShared => {
            format!("not shared: the cycle does not share {kind} feedback with the subject")
        }
        Reason::Removed => "removed: this feedback was removed from what the subject sees".to_owned(),
        Reason::BelowThreshold { have, need } => format!(
            "below threshold: {have} of the {need} {kind} reviews needed before the subject sees any"
        ),
        Reason::Admin => format!("admin: {a} is a review admin for this cycle"),
        Reason::Collaborator => format!("collaborator: {a} collaborates on this cycle"),
        Reason::CustomRole { role } => {
            let role_name = ctx.grants.role(role).map_or("?", |r| r.name.as_str());
            format!("custom role `{role_name}`: {a} may {} for {s}", action.verb())
        }
        Reason::Manager => format!("manager: {a} is {s}'s manager reviewer"),
        Reason::FormerManager => {
            format!("former manager: {a} submitted {s}'s manager review before a manager change")
        }
        Reason::AdditionalManager => format!("additional manager: {a} is an additional manager of {s}"),
        Reason::Chain => {
            if let (Some(snap), Some(subj)) = (ctx.snapshot, subject) {
                path = snap.manager_path(actor, subj).unwrap_or_default();
            }
            let names: Vec<String> = path.iter().map(|&p| name(p)).collect();
            format!("chain: {}", names.join(" → "))
        }
        Reason::CycleViewer => format!("viewer: {a} views {s}'s reviews in this cycle"),
        Reason::GlobalViewer => format!("global viewer: {a} views all of {s}'s reviews"),
        Reason::PastReviewViewer => {
            format!("past reviews: {a} is {s}'s default additional manager with past-review visibility")
        }
        Reason::Sharer => format!("sharer: {a} is a sharing user of {s}"),
        Reason::Contributor { .. } => {
            format!("contributor: {a} calibrates {s} in an open session")
        }
        Reason::Approver { step } => {
            format!("approver: {a} approves step {} of {s}'s approval chain", u16::from(step) + 1)
        }
        Reason::Nominee => format!("nominee: {a} was nominated"),
        Reason::NoRelation => match subject {
            Some(_) if action == Action::ReadReview => {
                format!("no role: {a} holds no role that reads {s}'s {kind} reviews")
            }
            Some(_) => format!("no role: {a} has no role that may {} for {s}", action.verb()),
            None => format!("no role: {a} has no role that may {}", action.verb()),
        },
        Reason::Locked => "refused: the cycle is locked; only unlock is accepted".to_owned(),
        Reason::OwnPacket => format!("refused: {a} may not {} on their own packet", action.verb()),
        Reason::SelfGrant => format!("refused: {a} may not grant anything to themselves"),
        Reason::Closed => "refused: the cycle is closed; only sharing, acknowledging, the final meeting and reopening are accepted".to_owned(),
        Reason::Left => format!("refused: {a} has left, and reads and does nothing"),
        Reason::SettingOff => format!("setting off: the cycle's settings do not let {a} {}", action.verb()),
        Reason::NotYetOpen => "not open: the writing window has not opened yet".to_owned(),
        Reason::PastDue => "past due: the window is closed and late submissions are off".to_owned(),
        Reason::Gated => "gated: the manager review opens once the self review (and, if set, every peer review) is submitted".to_owned(),
        Reason::CycleNotActive => "not active: the cycle is not active".to_owned(),
        Reason::Withdrawn => format!("withdrawn: {s}'s packet is withdrawn and read-only"),
        Reason::NoPendingStep => format!("no pending step: {s}'s packet is not waiting for approval"),
        Reason::BadContext => {
            "bad request: the cycle, snapshot and records given do not belong together".to_owned()
        }
    };
    let text = format!("{} {relation}", decision.rule());
    Explanation::new(decision, action, actor, subject, path, text)
}
