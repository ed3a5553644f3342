//! A deliberately naive second implementation of R-READ and of the R-WRITE rows whose "who"
//! is a list of relations, written from the text of DOMAIN.md: linear scans over the raw lists
//! the world was built from, the manager chain walked one step at a time, counts taken from the
//! review list (not the packet's tallies). No crate index is used; only the records' plain
//! getters.

use appraise::access::{Action, Rule, Target};
use appraise::{
    ApprovalStep, CycleState, Packet, PacketState, PeopleScope, Permission, PersonId, Review,
    ReviewKind, ReviewState,
};

use crate::world::World;

/// The oracle's answer: allowed, author hidden, rule number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub allowed: bool,
    pub hidden: bool,
    pub rule: u8,
}

fn allow(rule: u8) -> Answer {
    Answer {
        allowed: true,
        hidden: false,
        rule,
    }
}

fn deny(rule: u8) -> Answer {
    Answer {
        allowed: false,
        hidden: false,
        rule,
    }
}

/// The manager of `p` from the raw people list.
fn manager(w: &World, p: PersonId) -> Option<PersonId> {
    w.people.iter().find(|x| x.id == p).and_then(|x| x.manager)
}

/// Walks up from `person` one manager at a time.
pub fn is_strict_ancestor(w: &World, ancestor: PersonId, person: PersonId) -> bool {
    let mut current = manager(w, person);
    let mut steps = 0;
    while let Some(m) = current {
        if m == ancestor {
            return true;
        }
        steps += 1;
        if steps > w.people.len() {
            return false;
        }
        current = manager(w, m);
    }
    false
}

fn nth_up(w: &World, person: PersonId, n: u32) -> Option<PersonId> {
    let mut current = Some(person);
    for _ in 0..n {
        current = manager(w, current?);
    }
    current
}

fn department_head(w: &World, person: PersonId) -> Option<PersonId> {
    let dept = w.people.iter().find(|x| x.id == person)?.department?;
    w.departments.iter().find(|d| d.id == dept)?.head
}

/// `admin(P, C)` from the raw admin grants.
pub fn is_admin(w: &World, p: PersonId) -> bool {
    w.admin_grants
        .iter()
        .any(|(who, g)| *who == p && (w.cycle.created_at() >= g.since || g.past_cycles))
}

/// A custom role granting `perm` with this cycle and `subject` in scope.
pub fn has_custom(w: &World, p: PersonId, perm: Permission, subject: PersonId) -> bool {
    custom(w, p, perm, Some(subject))
}

/// A custom role granting `perm` with this cycle in scope, and `subject` when there is one;
/// without a subject (an action on the whole cycle) the role must reach everyone.
fn custom(w: &World, p: PersonId, perm: Permission, subject: Option<PersonId>) -> bool {
    w.role_grants.iter().any(|(who, g)| {
        *who == p
            && w.roles
                .iter()
                .any(|r| r.id == g.role && r.permissions.contains(perm))
            && match &g.cycles {
                appraise::CycleScope::All => true,
                appraise::CycleScope::Listed(set) => set.contains(&w.cycle.id()),
            }
            && match (g.people, subject) {
                (PeopleScope::Everyone, _) => true,
                (PeopleScope::SubtreeOf(root), Some(subject)) => {
                    root == subject || is_strict_ancestor(w, root, subject)
                }
                (PeopleScope::SubtreeOf(_), None) => false,
            }
    })
}

fn approver(w: &World, packet: &Packet, p: PersonId) -> Option<u8> {
    let settings = w.cycle.settings();
    if !settings.approval_required {
        return None;
    }
    let chain = &settings.approval_chain;
    let s = packet.subject();
    let mut reached = packet.approval_steps_passed();
    if packet.state() == PacketState::PendingApproval {
        reached = reached.max(packet.approval_step() + 1);
    }
    for step in 0..reached.min(chain.len()) {
        let named = match chain[step] {
            ApprovalStep::Admins => None,
            ApprovalStep::ManagersManager => nth_up(w, s, 2),
            ApprovalStep::NthLevelUp(n) => nth_up(w, s, n),
            ApprovalStep::DepartmentHead => department_head(w, s),
        };
        let admins_step = matches!(chain[step], ApprovalStep::Admins)
            || ((named.is_none() || named == Some(s)) && step + 1 == chain.len());
        let hit = if admins_step {
            is_admin(w, p) || has_custom(w, p, Permission::ApproveResults, s)
        } else {
            named == Some(p) && named != Some(s)
        };
        if hit {
            return Some(step as u8);
        }
    }
    None
}

/// R-READ, first match decides; before it, a person who has left reads nothing (DOMAIN.md,
/// leavers), answered as rule 0.
pub fn read(w: &World, p: PersonId, r: &Review) -> Answer {
    if w.left.contains(&p) {
        return deny(0);
    }
    let packet = w.packets.iter().find(|x| x.id() == r.packet()).unwrap();
    let s = r.subject();
    let k = r.kind();
    let settings = w.cycle.settings();
    // 1.
    if p == r.author() {
        return allow(1);
    }
    // 2.
    if r.state() != ReviewState::Submitted {
        return deny(2);
    }
    // 3.
    if p == s {
        let shared = matches!(
            packet.state(),
            PacketState::Shared | PacketState::Acknowledged
        );
        return match k {
            ReviewKind::Manager | ReviewKind::AdditionalManager => {
                if shared {
                    allow(3)
                } else {
                    deny(3)
                }
            }
            ReviewKind::Peer | ReviewKind::Upward => {
                let kind_shared = if k == ReviewKind::Peer {
                    settings.share_peer_with_subject
                } else {
                    settings.share_upward_with_subject
                };
                let count = w
                    .reviews
                    .iter()
                    .filter(|x| {
                        x.subject() == s
                            && x.cycle() == w.cycle.id()
                            && x.kind() == k
                            && x.state() == ReviewState::Submitted
                            && !x.is_removed()
                    })
                    .count();
                if kind_shared
                    && shared
                    && !r.is_removed()
                    && count >= usize::from(settings.anonymity_threshold)
                {
                    let anonymous = if k == ReviewKind::Peer {
                        settings.anonymous_peer
                    } else {
                        settings.anonymous_upward
                    };
                    Answer {
                        allowed: true,
                        hidden: anonymous,
                        rule: 3,
                    }
                } else {
                    deny(3)
                }
            }
            ReviewKind::SelfReview => deny(3),
        };
    }
    // 4.
    if is_admin(w, p)
        || w.cycle.collaborators().contains(&p)
        || has_custom(w, p, Permission::ViewAllReviews, s)
    {
        return allow(4);
    }
    // 5.
    let manager_rel = packet.manager() == Some(p) || packet.former_managers().contains(&p);
    let addl =
        packet.default_additional_manager() == Some(p) || packet.additional_managers().contains(&p);
    let chain = is_strict_ancestor(w, p, s);
    let viewer = packet.viewers().contains(&p)
        || w.global_viewers.contains(&(p, s))
        || (w.past_viewers.contains(&(p, s)) && w.current_additional.contains(&(s, p)));
    if manager_rel || addl || chain || viewer {
        return allow(5);
    }
    // 6.
    if packet.sharers().contains(&p)
        && matches!(
            k,
            ReviewKind::SelfReview | ReviewKind::Manager | ReviewKind::AdditionalManager
        )
    {
        return allow(6);
    }
    // 7.
    if matches!(k, ReviewKind::Manager | ReviewKind::AdditionalManager)
        && w.calibrations.iter().any(|c| {
            c.cycle() == w.cycle.id()
                && c.is_open()
                && c.contributors().contains(&p)
                && c.participants().contains(&s)
        })
    {
        return allow(7);
    }
    // 8.
    if approver(w, packet, p).is_some() {
        return allow(8);
    }
    deny(9)
}

/// The actions of the R-WRITE rows [`write`] states, each with its row and the custom-role
/// permission that makes its holder one of the row's "admins".
pub const WRITE_ROWS: [(Action, u8, Option<Permission>); 22] = [
    (Action::DeleteCycle, 1, Some(Permission::DeleteCycles)),
    (Action::EditCycle, 2, Some(Permission::EditCycles)),
    (Action::EditParticipants, 2, Some(Permission::EditCycles)),
    (Action::EditAssignments, 2, Some(Permission::EditCycles)),
    (Action::Launch, 2, Some(Permission::EditCycles)),
    (Action::Close, 2, Some(Permission::EditCycles)),
    (Action::Lock, 3, Some(Permission::LockCycles)),
    (Action::Unlock, 3, Some(Permission::LockCycles)),
    (Action::ReopenReview, 3, Some(Permission::ReopenReviews)),
    (
        Action::ManageCalibration,
        4,
        Some(Permission::ManageCalibration),
    ),
    (Action::SendReminder, 5, Some(Permission::SendReminders)),
    (Action::Nominate, 7, Some(Permission::NominatePeers)),
    (
        Action::DecideNomination,
        8,
        Some(Permission::DecideNominations),
    ),
    (Action::DeclineNomination, 9, None),
    (Action::RemoveFeedback, 10, Some(Permission::RemoveFeedback)),
    (
        Action::ChangeCalibratedRating,
        11,
        Some(Permission::ChangeCalibratedRatings),
    ),
    (Action::Approve, 12, Some(Permission::ApproveResults)),
    (Action::Share, 13, Some(Permission::ShareResults)),
    (Action::Unshare, 13, Some(Permission::UnshareResults)),
    (Action::Acknowledge, 14, None),
    (Action::RecordMeeting, 14, None),
    (Action::ViewProgress, 15, Some(Permission::ViewProgress)),
];

/// R-WRITE for the actions of [`WRITE_ROWS`]: whether `p` may take `action` on `target`, and
/// the rule that says so. `None` when the action does not take such a target, or the target
/// belongs to another cycle.
///
/// Before any row: a person who has left does nothing; a locked cycle refuses every write but
/// unlocking; a closed cycle every write but sharing, unsharing, acknowledging, the final
/// meeting, reopening (by those who close) and unlocking (viewing progress is no write); and
/// nobody approves, calibrates, shares or unshares, removes feedback in, reopens reviews of,
/// edits the assignments of, or decides the nominations of their own packet.
pub fn write(w: &World, p: PersonId, action: Action, target: Target<'_>) -> Option<(bool, Rule)> {
    let &(_, row, permission) = WRITE_ROWS.iter().find(|(a, ..)| *a == action)?;
    let (packet, nominee) = match (action, target) {
        (
            Action::DeleteCycle
            | Action::EditCycle
            | Action::EditParticipants
            | Action::Launch
            | Action::Close
            | Action::Lock
            | Action::Unlock
            | Action::ManageCalibration
            | Action::ViewProgress,
            Target::Cycle,
        ) => (None, None),
        (Action::ManageCalibration, Target::Calibration(s)) if s.cycle() == w.cycle.id() => {
            (None, None)
        }
        (
            Action::EditAssignments
            | Action::Nominate
            | Action::ChangeCalibratedRating
            | Action::Approve
            | Action::Share
            | Action::Unshare
            | Action::Acknowledge
            | Action::RecordMeeting
            | Action::ViewProgress,
            Target::Packet(packet),
        ) => (Some(packet), None),
        (
            Action::ReopenReview | Action::SendReminder | Action::RemoveFeedback,
            Target::Review(packet, _),
        ) => (Some(packet), None),
        (Action::DecideNomination | Action::DeclineNomination, Target::Nomination(packet, n)) => {
            (Some(packet), Some(n.nominee()))
        }
        _ => return None,
    };
    let subject = packet.map(Packet::subject);
    if w.left.contains(&p) {
        return Some((false, Rule::Left));
    }
    let writes = action != Action::ViewProgress;
    if writes && w.cycle.is_locked() && action != Action::Unlock {
        return Some((false, Rule::Locked));
    }
    let after_close = matches!(
        action,
        Action::Share
            | Action::Unshare
            | Action::Acknowledge
            | Action::RecordMeeting
            | Action::Close
            | Action::Unlock
    );
    if writes && w.cycle.state() == CycleState::Closed && !after_close {
        return Some((false, Rule::Closed));
    }
    let not_on_own = matches!(
        action,
        Action::ChangeCalibratedRating
            | Action::Approve
            | Action::Share
            | Action::Unshare
            | Action::RemoveFeedback
            | Action::ReopenReview
            | Action::EditAssignments
            | Action::DecideNomination
    );
    if not_on_own && subject == Some(p) {
        return Some((false, Rule::OwnPacket));
    }
    let admin = is_admin(w, p) || permission.is_some_and(|perm| custom(w, p, perm, subject));
    let staff = admin || w.cycle.collaborators().contains(&p);
    let manager = packet.is_some_and(|packet| packet.manager() == Some(p));
    let settings = w.cycle.settings();
    let allowed = match action {
        // Admins, not collaborators.
        Action::DeleteCycle | Action::Unshare => admin,
        Action::SendReminder => staff || manager,
        Action::Nominate if subject == Some(p) => settings.self_nomination,
        Action::Nominate => manager || staff,
        Action::DecideNomination => settings.nomination_approval && (manager || staff),
        Action::DeclineNomination => nominee == Some(p),
        Action::RemoveFeedback => staff || (manager && settings.managers_may_remove_feedback),
        Action::ChangeCalibratedRating => {
            staff
                || w.calibrations.iter().any(|c| {
                    c.cycle() == w.cycle.id()
                        && c.is_open()
                        && c.contributors().contains(&p)
                        && subject.is_some_and(|s| c.participants().contains(&s))
                })
        }
        Action::Approve => match packet.and_then(|x| current_approver(w, x)) {
            Some(Approver::Person(x)) => x == p,
            Some(Approver::Admins) => admin,
            None => false,
        },
        Action::Share => staff || manager || packet.is_some_and(|x| x.sharers().contains(&p)),
        Action::Acknowledge => subject == Some(p),
        Action::RecordMeeting => manager,
        Action::ViewProgress => {
            staff || manager || subject.is_some_and(|s| is_strict_ancestor(w, p, s))
        }
        // Rows 2, 3 and 4: admins and collaborators.
        _ => staff,
    };
    Some((allowed, Rule::Write(row)))
}

/// Who approves an approval step.
enum Approver {
    Person(PersonId),
    /// The admins (not collaborators).
    Admins,
}

/// Who approves the step a packet pending approval waits at: from the step it reached on, the
/// first that names someone other than the subject who has not left; a last step naming nobody
/// such goes to the admins. `None` when the packet waits at no step, or at none that resolves.
fn current_approver(w: &World, packet: &Packet) -> Option<Approver> {
    if packet.state() != PacketState::PendingApproval {
        return None;
    }
    let chain = &w.cycle.settings().approval_chain;
    let s = packet.subject();
    for step in packet.approval_step()..chain.len() {
        let named = match chain[step] {
            ApprovalStep::Admins => return Some(Approver::Admins),
            ApprovalStep::ManagersManager => nth_up(w, s, 2),
            ApprovalStep::NthLevelUp(n) => nth_up(w, s, n),
            ApprovalStep::DepartmentHead => department_head(w, s),
        };
        match named {
            Some(x) if x != s && !w.left.contains(&x) => return Some(Approver::Person(x)),
            _ if step + 1 == chain.len() => return Some(Approver::Admins),
            _ => {}
        }
    }
    None
}
