//! One property test per R-READ rule of DOMAIN.md, over random whole worlds.

use appraise::access::{Action, Reason, Rule, Target, explain};
use appraise::{PacketState, ReviewKind, ReviewState};
use proptest::prelude::*;

use crate::oracle;
use crate::world::{Rng, World, config, worlds};

/// Every (actor, review) pair worth asking in a world, bounded.
fn pairs(w: &World) -> Vec<(appraise::PersonId, usize)> {
    let mut rng = Rng::new(w.seed ^ 0xABCD);
    let mut out = Vec::new();
    let step = (w.reviews.len() / 60).max(1);
    for i in (0..w.reviews.len()).step_by(step) {
        for p in w.candidates(&w.reviews[i], &mut rng) {
            out.push((p, i));
        }
    }
    out
}

proptest! {
    #![proptest_config(config())]

    /// R-READ-1: the author reads their review, in any state, whatever else holds.
    #[test]
    fn r_read_1_author_reads_in_any_state(w in worlds()) {
        for r in &w.reviews {
            let d = w.read(r.author(), r);
            prop_assert!(d.is_allowed());
            prop_assert_eq!((d.rule(), d.reason()), (Rule::Read(1), Reason::Author));
            prop_assert!(!d.author_hidden());
        }
    }

    /// R-READ-2: a review that is not submitted is denied to everyone but its author.
    #[test]
    fn r_read_2_unsubmitted_denied_to_all_but_author(w in worlds()) {
        for (p, i) in pairs(&w) {
            let r = &w.reviews[i];
            if r.state() != ReviewState::Submitted && p != r.author() {
                let d = w.read(p, r);
                prop_assert!(!d.is_allowed());
                prop_assert_eq!(d.rule(), Rule::Read(2));
            }
        }
    }

    /// R-READ-3: the subject is decided by rule 3 alone, with exactly its conditions.
    #[test]
    fn r_read_3_subject_only_via_rule_3(w in worlds()) {
        let settings = w.cycle.settings();
        for r in w.reviews.iter().filter(|r| r.state() == ReviewState::Submitted && r.author() != r.subject()) {
            let packet = w.packet_of(r);
            let d = w.read(r.subject(), r);
            prop_assert_eq!(d.rule(), Rule::Read(3));
            let shared = packet.state().is_shared();
            let expected = match r.kind() {
                ReviewKind::Manager | ReviewKind::AdditionalManager => shared,
                ReviewKind::Peer | ReviewKind::Upward => {
                    let visible = packet.tally(r.kind()).visible();
                    settings.shares_with_subject(r.kind()) && shared && !r.is_removed()
                        && visible >= u32::from(settings.anonymity_threshold)
                }
                ReviewKind::SelfReview => false,
            };
            prop_assert_eq!(d.is_allowed(), expected);
            prop_assert_eq!(d.author_hidden(), expected && settings.is_anonymous(r.kind()));
        }
    }

    /// R-READ-4: admins of the cycle, collaborators and "view all reviews" custom roles in scope
    /// read every submitted review about others.
    #[test]
    fn r_read_4_admins_collaborators_custom_roles(w in worlds()) {
        for (p, i) in pairs(&w) {
            let r = &w.reviews[i];
            if r.state() != ReviewState::Submitted || p == r.author() || p == r.subject() {
                continue;
            }
            let holds = oracle::is_admin(&w, p)
                || w.cycle.collaborators().contains(&p)
                || oracle::has_custom(&w, p, appraise::Permission::ViewAllReviews, r.subject());
            let d = w.read(p, r);
            prop_assert_eq!(holds, d.rule() == Rule::Read(4), "actor {} review {:?}", w.name(p), r.kind());
            if holds {
                prop_assert!(d.is_allowed());
                prop_assert!(!d.author_hidden());
            }
        }
    }

    /// R-READ-5: manager reviewers (current or former), additional managers, the manager chain
    /// and viewers read; for `chain` the explanation's path walks down from the actor to the
    /// subject one direct manager at a time.
    #[test]
    fn r_read_5_managers_chain_viewers(w in worlds()) {
        for (p, i) in pairs(&w) {
            let r = &w.reviews[i];
            let d = w.read(p, r);
            if d.rule() != Rule::Read(5) {
                continue;
            }
            prop_assert!(d.is_allowed());
            let packet = w.packet_of(r);
            let s = r.subject();
            let holds = match d.reason() {
                Reason::Manager => packet.manager() == Some(p),
                Reason::FormerManager => packet.former_managers().contains(&p),
                Reason::AdditionalManager => packet.default_additional_manager() == Some(p)
                    || packet.additional_managers().contains(&p),
                Reason::Chain => oracle::is_strict_ancestor(&w, p, s),
                Reason::CycleViewer => packet.viewers().contains(&p),
                Reason::GlobalViewer => w.global_viewers.contains(&(p, s)),
                Reason::PastReviewViewer => w.past_viewers.contains(&(p, s)),
                other => { prop_assert!(false, "rule 5 with reason {:?}", other); false }
            };
            prop_assert!(holds);
            if d.reason() == Reason::Chain {
                let e = explain(&w.ctx(), p, Action::ReadReview, Target::Review(packet, r));
                let path = e.path();
                prop_assert_eq!(path.first(), Some(&p));
                prop_assert_eq!(path.last(), Some(&s));
                for pair in path.windows(2) {
                    prop_assert_eq!(w.org.manager_of(pair[1]), Some(pair[0]));
                }
            }
        }
        // And the chain always reads submitted reviews about their reports (unless rule 1–4 first).
        for r in w.reviews.iter().filter(|r| r.state() == ReviewState::Submitted) {
            if let Some(m) = w.org.manager_of(r.subject()) && m != r.author() {
                let d = w.read(m, r);
                prop_assert!(d.is_allowed());
                prop_assert!(matches!(d.rule(), Rule::Read(4) | Rule::Read(5)));
            }
        }
    }

    /// R-READ-6: sharing users read self, manager and additional-manager reviews only, unless an
    /// earlier rule matched; on peer and upward reviews they fall through to rules 7–9.
    #[test]
    fn r_read_6_sharers_read_self_and_manager_kinds(w in worlds()) {
        for r in w.reviews.iter().filter(|r| r.state() == ReviewState::Submitted) {
            let packet = w.packet_of(r);
            for &p in packet.sharers() {
                if p == r.author() || p == r.subject() {
                    continue;
                }
                let d = w.read(p, r);
                let earlier = matches!(d.rule(), Rule::Read(1..=5));
                if earlier {
                    continue;
                }
                match r.kind() {
                    ReviewKind::SelfReview | ReviewKind::Manager | ReviewKind::AdditionalManager => {
                        prop_assert!(d.is_allowed());
                        prop_assert_eq!((d.rule(), d.reason()), (Rule::Read(6), Reason::Sharer));
                    }
                    ReviewKind::Peer | ReviewKind::Upward => {
                        prop_assert!(matches!(d.rule(), Rule::Read(7..=9)));
                    }
                }
            }
        }
    }

    /// R-READ-7: contributors of an open session including the subject read manager and
    /// additional-manager reviews; closed or draft sessions, and other kinds, give nothing.
    #[test]
    fn r_read_7_contributors_read_manager_kinds(w in worlds()) {
        for (p, i) in pairs(&w) {
            let r = &w.reviews[i];
            let d = w.read(p, r);
            let open_contrib = w.calibrations.iter().any(|c| c.cycle() == w.cycle.id() && c.is_open()
                && c.contributors().contains(&p) && c.participants().contains(&r.subject()));
            if d.rule() == Rule::Read(7) {
                prop_assert!(d.is_allowed());
                prop_assert!(r.kind().is_managerial());
                prop_assert!(open_contrib);
            }
            if open_contrib && r.kind().is_managerial() && r.state() == ReviewState::Submitted
                && p != r.subject() {
                prop_assert!(d.is_allowed());
            }
        }
    }

    /// R-READ-8: approvers of the current or a passed step read the subject's reviews.
    #[test]
    fn r_read_8_approvers_read(w in worlds()) {
        for (p, i) in pairs(&w) {
            let r = &w.reviews[i];
            let d = w.read(p, r);
            if d.rule() == Rule::Read(8) {
                prop_assert!(d.is_allowed());
                prop_assert!(w.cycle.settings().approval_required);
                let packet = w.packet_of(r);
                let reached = if packet.state() == PacketState::PendingApproval {
                    packet.approval_steps_passed().max(packet.approval_step() + 1)
                } else {
                    packet.approval_steps_passed()
                };
                let Reason::Approver { step } = d.reason() else {
                    prop_assert!(false, "rule 8 without approver reason");
                    continue;
                };
                prop_assert!(usize::from(step) < reached);
            }
        }
        // The current step's named approver always reads (when no earlier rule decided).
        for packet in w.packets.iter().filter(|p| p.state() == PacketState::PendingApproval) {
            if let appraise::StepApprover::Person(a) = appraise::resolve_step(
                &w.org, &w.cycle.settings().approval_chain, packet.approval_step(), packet.subject()) {
                for r in w.reviews.iter().filter(|r| r.packet() == packet.id() && r.state() == ReviewState::Submitted) {
                    if a != r.subject() {
                        prop_assert!(w.read(a, r).is_allowed());
                    }
                }
            }
        }
    }

    /// R-READ-9: someone with no relation at all reads nothing but what they wrote.
    #[test]
    fn r_read_9_everyone_else_denied(w in worlds()) {
        for r in &w.reviews {
            let d = w.read(w.stranger, r);
            prop_assert!(!d.is_allowed());
            let expected = if r.state() == ReviewState::Submitted { Rule::Read(9) } else { Rule::Read(2) };
            prop_assert_eq!(d.rule(), expected);
        }
        for (p, i) in pairs(&w) {
            let d = w.read(p, &w.reviews[i]);
            if d.rule() == Rule::Read(9) {
                prop_assert!(!d.is_allowed());
                prop_assert_eq!(oracle::read(&w, p, &w.reviews[i]).rule, 9);
            }
        }
    }
}
