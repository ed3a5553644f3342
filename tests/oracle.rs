//! A deliberately naive second implementation of R-READ, written from the text of DOMAIN.md:
//! linear scans over the raw lists the world was built from, the manager chain walked one step
//! at a time, counts taken from the review list (not the packet's tallies). No crate index is
//! used; only the records' plain getters.

use appraise::{
    ApprovalStep, Packet, PacketState, PeopleScope, Permission, PersonId, Review, ReviewKind,
    ReviewState,
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
    w.role_grants.iter().any(|(who, g)| {
        *who == p
            && w.roles
                .iter()
                .any(|r| r.id == g.role && r.permissions.contains(perm))
            && match &g.cycles {
                appraise::CycleScope::All => true,
                appraise::CycleScope::Listed(set) => set.contains(&w.cycle.id()),
            }
            && match g.people {
                PeopleScope::Everyone => true,
                PeopleScope::SubtreeOf(root) => {
                    root == subject || is_strict_ancestor(w, root, subject)
                }
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
