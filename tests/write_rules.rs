//! Property tests for R-WRITE and the own-packet exclusions.

use appraise::ReviewState;
use appraise::access::{Action, Reason, Rule, Target, decide};
use proptest::prelude::*;

use crate::oracle;
use crate::world::{Rng, World, config, worlds};

/// A spread of targets of every kind in the world.
pub fn targets<'a>(w: &'a World, rng: &mut Rng) -> Vec<Target<'a>> {
    let mut out = vec![Target::Cycle];
    for _ in 0..4 {
        let p = &w.packets[rng.below(w.packets.len())];
        out.push(Target::Packet(p));
    }
    if !w.reviews.is_empty() {
        for _ in 0..4 {
            let r = &w.reviews[rng.below(w.reviews.len())];
            out.push(Target::Review(w.packet_of(r), r));
        }
    }
    for n in w.nominations.iter().take(2) {
        let p = w.packets.iter().find(|p| p.id() == n.packet()).unwrap();
        out.push(Target::Nomination(p, n));
    }
    for s in w.calibrations.iter().take(1) {
        out.push(Target::Calibration(s));
    }
    out
}

proptest! {
    #![proptest_config(config())]

    /// Own-packet exclusions: nobody approves, calibrates, shares or unshares, removes feedback
    /// in, reopens reviews of, edits the assignments of, or decides nominations on their own
    /// packet, whatever role they hold (admins included).
    #[test]
    fn r_write_own_packet_excluded_whatever_the_role(w in worlds()) {
        let mut w = w;
        let ctx_grants = {
            let mut g = w.grants.clone();
            for p in &w.packets {
                g.grant_admin(p.subject(), appraise::AdminGrant { since: chrono::DateTime::<chrono::Utc>::MIN_UTC, past_cycles: true }, p.subject(), w.now);
            }
            g
        };
        w.grants = ctx_grants;
        let ctx = w.ctx();
        for packet in &w.packets {
            let s = packet.subject();
            let mut ts = vec![Target::Packet(packet)];
            ts.extend(w.reviews.iter().filter(|r| r.packet() == packet.id()).map(|r| Target::Review(packet, r)));
            ts.extend(w.nominations.iter().filter(|n| n.packet() == packet.id()).map(|n| Target::Nomination(packet, n)));
            for t in ts {
                for action in Action::ALL.into_iter().filter(|a| a.excluded_on_own_packet()) {
                    let d = decide(&ctx, s, action, t);
                    prop_assert!(!d.is_allowed(), "{:?} on own packet allowed", action);
                    prop_assert!(matches!(d.rule(), Rule::OwnPacket | Rule::Locked | Rule::Closed | Rule::Context));
                }
            }
        }
    }

    /// R-WRITE-1 (deleting a cycle), 2, 3, 4, 5, 7 to 15: `decide`
    /// agrees with the naive table of `oracle::write` on every action those rows name, every
    /// target of the world that action takes, and everyone around the target, in active,
    /// locked and closed cycles, most with someone who has left.
    #[test]
    fn r_write_decide_agrees_with_the_table(w in worlds()) {
        let mut rng = Rng::new(w.seed);
        // Most worlds lose someone: often a manager's manager, whom approval steps name.
        let leaver = match rng.below(4) {
            0 => None,
            1 => Some(w.people[rng.below(w.people.len())].id),
            _ => {
                let s = w.packets[rng.below(w.packets.len())].subject();
                w.org.manager_of(s).and_then(|m| w.org.manager_of(m))
            }
        };
        let w = match leaver {
            Some(p) => w.with_leaver(p),
            None => w,
        };
        let ctx = w.ctx();
        for target in targets(&w, &mut rng) {
            let packet = match target {
                Target::Packet(p) | Target::Review(p, _) | Target::Nomination(p, _) => Some(p),
                Target::Cycle | Target::Calibration(_) => None,
            };
            let mut people = w.around(packet, &mut rng);
            if let Target::Nomination(_, n) = target {
                people.push(n.nominee());
            }
            for p in people {
                for (action, ..) in oracle::WRITE_ROWS {
                    let Some((allowed, rule)) = oracle::write(&w, p, action, target) else {
                        continue;
                    };
                    let d = decide(&ctx, p, action, target);
                    prop_assert_eq!(
                        (d.is_allowed(), d.rule()),
                        (allowed, rule),
                        "{} {:?}: {:?}",
                        w.name(p),
                        action,
                        d.reason()
                    );
                }
            }
        }
    }

    /// R-WRITE-16: only review admins manage grants: not collaborators, not custom-role holders.
    #[test]
    fn r_write_16_only_review_admins_manage_grants(w in worlds()) {
        let ctx = w.ctx();
        let mut rng = Rng::new(w.seed);
        let mut people: Vec<_> = w.cycle.collaborators().iter().copied().collect();
        people.extend(w.role_grants.iter().map(|(p, _)| *p));
        people.extend(w.admin_grants.iter().map(|(p, _)| *p));
        people.push(w.people[rng.below(w.people.len())].id);
        for p in people {
            let d = decide(&ctx, p, Action::ManageGrants, Target::Cycle);
            let is_admin = w.admin_grants.iter().any(|(a, g)| *a == p && (g.since <= w.now || g.past_cycles));
            prop_assert_eq!(d.is_allowed(), is_admin);
            prop_assert_eq!(d.rule(), Rule::Write(16));
        }
    }

    /// R-WRITE-6: only the author writes a review, and only inside the window, after gating, in
    /// an active cycle.
    #[test]
    fn r_write_6_only_the_author_writes(w in worlds()) {
        let ctx = w.ctx();
        let mut rng = Rng::new(w.seed);
        for r in w.reviews.iter().take(100) {
            let packet = w.packet_of(r);
            for p in w.candidates(r, &mut rng) {
                let d = decide(&ctx, p, Action::WriteReview, Target::Review(packet, r));
                if d.is_allowed() {
                    prop_assert_eq!(p, r.author());
                    prop_assert!(!w.cycle.is_locked());
                    prop_assert_eq!(w.cycle.state(), appraise::CycleState::Active);
                    if let Some(win) = w.cycle.settings().windows.of(r.kind()) {
                        prop_assert!(w.now >= win.opens);
                        prop_assert!(w.now <= win.due || w.cycle.settings().late_submissions);
                    }
                    if r.kind().is_managerial() {
                        prop_assert!(packet.manager_gate_open(w.cycle.settings()));
                    }
                }
            }
        }
    }

    /// R-WRITE-13: unshare is for admins only; collaborators and managers may share but not
    /// unshare.
    #[test]
    fn r_write_13_unshare_admins_only(w in worlds()) {
        let ctx = w.ctx();
        for packet in &w.packets {
            let mut people: Vec<_> = w.cycle.collaborators().iter().copied().collect();
            people.extend(packet.manager());
            people.extend(packet.sharers());
            for p in people {
                if p == packet.subject() || w.cycle.is_locked() {
                    continue;
                }
                let d = decide(&ctx, p, Action::Unshare, Target::Packet(packet));
                let admin = oracle::is_admin(&w, p) || oracle::has_custom(&w, p, appraise::Permission::UnshareResults, packet.subject());
                prop_assert_eq!(d.is_allowed(), admin);
                let share = decide(&ctx, p, Action::Share, Target::Packet(packet));
                prop_assert!(share.is_allowed());
            }
        }
    }

    /// R-WRITE-9: only the nominee declines a nomination.
    #[test]
    fn r_write_9_only_the_nominee_declines(w in worlds()) {
        let ctx = w.ctx();
        let mut rng = Rng::new(w.seed);
        for n in &w.nominations {
            let packet = w.packets.iter().find(|p| p.id() == n.packet()).unwrap();
            let mut people = vec![n.nominee(), n.subject(), w.stranger];
            people.extend(packet.manager());
            people.extend(w.admin_grants.iter().map(|(p, _)| *p));
            people.push(w.people[rng.below(w.people.len())].id);
            for p in people {
                let d = decide(&ctx, p, Action::DeclineNomination, Target::Nomination(packet, n));
                let closed = w.cycle.state() == appraise::CycleState::Closed;
                prop_assert_eq!(d.is_allowed(), p == n.nominee() && !w.cycle.is_locked() && !closed);
            }
        }
    }

    /// R-WRITE-10: the manager removes feedback only when the setting is on; a submitted peer
    /// or upward review is the target.
    #[test]
    fn r_write_10_manager_removes_feedback_only_with_the_setting(w in worlds()) {
        let ctx = w.ctx();
        let may = w.cycle.settings().managers_may_remove_feedback;
        for r in w.reviews.iter().filter(|r| r.kind().is_feedback() && r.state() == ReviewState::Submitted) {
            let packet = w.packet_of(r);
            let Some(m) = packet.manager() else { continue };
            if oracle::is_admin(&w, m) || w.cycle.collaborators().contains(&m) || w.cycle.is_locked()
                || oracle::has_custom(&w, m, appraise::Permission::RemoveFeedback, r.subject()) {
                continue;
            }
            let d = decide(&ctx, m, Action::RemoveFeedback, Target::Review(packet, r));
            if w.cycle.state() == appraise::CycleState::Closed {
                prop_assert_eq!(d.rule(), Rule::Closed);
                continue;
            }
            prop_assert_eq!(d.is_allowed(), may);
            if !may {
                prop_assert_eq!(d.reason(), Reason::SettingOff);
            }
        }
    }

    /// DOMAIN.md, lifecycle: a closed cycle refuses every write but sharing, unsharing,
    /// acknowledging, the final meeting, reopening (the closers' action) and unlocking; reads
    /// go on. Checked as every candidate, for every action, on every target of the world.
    #[test]
    fn a_closed_cycle_refuses_every_write_but_the_exempt(w in worlds()) {
        let mut w = w;
        if w.cycle.state() == appraise::CycleState::Active {
            let creator = w.cycle.created_by();
            w.cycle.close(creator, w.now).unwrap();
        }
        if w.cycle.state() != appraise::CycleState::Closed {
            return Ok(());
        }
        let ctx = w.ctx();
        let mut rng = Rng::new(w.seed);
        for r in w.reviews.iter().take(30) {
            let packet = w.packet_of(r);
            let targets = [Target::Cycle, Target::Packet(packet), Target::Review(packet, r)];
            for p in w.candidates(r, &mut rng) {
                for action in Action::ALL {
                    for t in targets {
                        let d = decide(&ctx, p, action, t);
                        if d.is_allowed() {
                            prop_assert!(action.allowed_when_closed(), "{:?} allowed on a closed cycle", action);
                        }
                        if d.rule() == Rule::Closed {
                            prop_assert!(!action.allowed_when_closed());
                        }
                    }
                }
            }
        }
    }
}
