//! The invariants of DOMAIN.md ("Invariants that must hold for every input"), one property
//! test each, over random whole worlds.

use appraise::access::{Action, Context, Reason, Rule, Target, decide, explain};
use appraise::{AdminGrant, ReviewKind, ReviewState};
use proptest::prelude::*;

use crate::oracle;
use crate::world::{Rng, World, config, worlds};
use crate::write_rules::targets;

proptest! {
    #![proptest_config(config())]

    /// Invariant: a draft is never readable by anyone but its author.
    #[test]
    fn invariant_draft_never_readable_but_by_author(w in worlds()) {
        let mut rng = Rng::new(w.seed);
        for r in w.reviews.iter().filter(|r| r.state() != ReviewState::Submitted) {
            for p in w.candidates(r, &mut rng) {
                prop_assert_eq!(w.read(p, r).is_allowed(), p == r.author());
            }
        }
    }

    /// Invariant: the subject never learns the author of an anonymous review, in any decision,
    /// explanation or serialized output.
    #[test]
    fn invariant_subject_never_learns_anonymous_author(w in worlds()) {
        let settings = w.cycle.settings();
        for r in w.reviews.iter().filter(|r| settings.is_anonymous(r.kind()) && r.author() != r.subject()) {
            let packet = w.packet_of(r);
            let d = w.read(r.subject(), r);
            if d.is_allowed() {
                prop_assert!(d.author_hidden());
            }
            let e = explain(&w.ctx(), r.subject(), Action::ReadReview, Target::Review(packet, r));
            let json = serde_json::to_string(&e).unwrap() + &serde_json::to_string(&d).unwrap();
            let text = e.to_string();
            for needle in [r.author().to_string(), w.name(r.author())] {
                prop_assert!(!text.contains(&needle), "explanation names the author: {}", text);
                prop_assert!(!json.contains(&needle), "serialized output names the author: {}", json);
            }
        }
    }

    /// Invariant: below the anonymity threshold the subject sees no peer/upward content at all.
    #[test]
    fn invariant_below_threshold_subject_sees_no_feedback(w in worlds()) {
        let threshold = usize::from(w.cycle.settings().anonymity_threshold);
        for packet in &w.packets {
            for kind in [ReviewKind::Peer, ReviewKind::Upward] {
                let of_kind: Vec<_> = w.reviews.iter()
                    .filter(|r| r.packet() == packet.id() && r.kind() == kind)
                    .collect();
                let visible = of_kind.iter()
                    .filter(|r| r.state() == ReviewState::Submitted && !r.is_removed())
                    .count();
                if visible < threshold {
                    for r in of_kind.iter().filter(|r| r.author() != packet.subject()) {
                        prop_assert!(!w.read(packet.subject(), r).is_allowed());
                    }
                }
            }
        }
    }

    /// Invariant: a peer never reads another author's review of the same subject through the
    /// peer role: whenever a peer may read it, another relation of theirs allows it.
    #[test]
    fn invariant_peer_role_reads_no_other_review(w in worlds()) {
        for packet in &w.packets {
            for &peer in packet.peers() {
                for r in w.reviews.iter().filter(|r| r.packet() == packet.id() && r.author() != peer) {
                    let d = w.read(peer, r);
                    if d.is_allowed() {
                        let why = oracle::read(&w, peer, r);
                        prop_assert!(why.allowed && why.rule != 1);
                        prop_assert!(
                            !matches!(d.reason(), Reason::Author | Reason::NoRelation),
                            "a peer read through {:?}", d.reason()
                        );
                    }
                }
            }
        }
    }

    /// Invariant: collaborators never create or delete cycles or manage templates (or grants).
    #[test]
    fn invariant_collaborators_never_create_delete_or_manage_templates(w in worlds()) {
        let ctx = w.ctx();
        for &c in w.cycle.collaborators() {
            if w.admin_grants.iter().any(|(p, _)| *p == c) || w.role_grants.iter().any(|(p, _)| *p == c) {
                continue;
            }
            for action in [Action::CreateCycle, Action::DeleteCycle, Action::ManageTemplates, Action::ManageGrants] {
                let d = decide(&ctx, c, action, Target::Cycle);
                prop_assert!(!d.is_allowed(), "collaborator may {:?}", action);
            }
        }
    }

    /// Invariant: a locked cycle changes only by unlock: every other write is refused to
    /// everyone, admins included, while reads go on.
    #[test]
    fn invariant_locked_cycle_changes_only_by_unlock(w in worlds()) {
        let mut w = w;
        if !w.cycle.is_locked() {
            w.cycle.lock(w.people[0].id, w.now).unwrap();
        }
        let mut rng = Rng::new(w.seed);
        let ctx = w.ctx();
        let mut actors: Vec<_> = w.admin_grants.iter().map(|(p, _)| *p).collect();
        actors.extend(w.cycle.collaborators().iter().copied());
        actors.push(w.people[rng.below(w.people.len())].id);
        for target in targets(&w, &mut rng) {
            for &actor in &actors {
                for action in appraise::access::Action::ALL {
                    if !action.changes_cycle() || action == Action::Unlock {
                        continue;
                    }
                    let d = decide(&ctx, actor, action, target);
                    prop_assert!(!d.is_allowed(), "{:?} allowed on a locked cycle", action);
                    if d.rule() != Rule::Context {
                        prop_assert_eq!(d.rule(), Rule::Locked);
                    }
                }
            }
        }
        for (p, _) in &w.admin_grants {
            if oracle::is_admin(&w, *p) {
                prop_assert!(decide(&ctx, *p, Action::Unlock, Target::Cycle).is_allowed());
            }
        }
    }

    /// Invariant: an admin whose grant excludes the cycle gains nothing in it from the grant:
    /// every decision is the same as without the grant.
    #[test]
    fn invariant_admin_excluded_from_cycle_gains_nothing(w in worlds()) {
        let admin = w.people[(w.seed % w.people.len() as u64) as usize].id;
        let excluded = AdminGrant { since: w.cycle.created_at() + chrono::Duration::seconds(1), past_cycles: false };
        let with_grant = {
            let mut g = w.grants.clone();
            g.grant_admin(admin, excluded, admin, w.now);
            g
        };
        let without = {
            let mut g = w.grants.clone();
            let _ = g.revoke_admin(admin, admin, w.now);
            g
        };
        let mut rng = Rng::new(w.seed);
        let ts = targets(&w, &mut rng);
        let ctx_without = Context { grants: &without, ..w.ctx() };
        let ctx_with = Context { grants: &with_grant, ..ctx_without };
        for target in ts {
            for action in Action::ALL {
                if matches!(action, Action::CreateCycle | Action::ManageTemplates | Action::ManageGrants) {
                    continue; // not about this cycle
                }
                let a = decide(&ctx_with, admin, action, target);
                let b = decide(&ctx_without, admin, action, target);
                prop_assert_eq!(a.is_allowed(), b.is_allowed(), "{:?}: {:?} vs {:?}", action, a, b);
                prop_assert_eq!(a.author_hidden(), b.author_hidden());
            }
        }
    }

    /// Invariant: a subject reads reviews about themselves only through R-READ-3, whatever roles
    /// they hold: making them admin, collaborator, global viewer and custom-role holder changes
    /// none of their decisions.
    #[test]
    fn invariant_subject_reads_own_reviews_only_through_r_read_3(w in worlds()) {
        for packet in w.packets.iter().take(20) {
            let s = packet.subject();
            let mut powerful = w.clone();
            powerful.grants.grant_admin(s, AdminGrant { since: chrono::DateTime::<chrono::Utc>::MIN_UTC, past_cycles: true }, s, w.now);
            let _ = powerful.cycle.add_collaborator(s, s, w.now);
            let role = appraise::CustomRole {
                id: appraise::CustomRoleId::from_key("all"),
                name: "all".into(),
                permissions: [appraise::Permission::ViewAllReviews].into_iter().collect(),
            };
            powerful.grants.define_role(role.clone(), s, w.now).unwrap();
            powerful.grants.grant_role(s, appraise::RoleGrant {
                role: role.id, cycles: appraise::CycleScope::All, people: appraise::PeopleScope::Everyone,
            }, s, w.now).unwrap();
            for r in w.reviews.iter().filter(|r| r.packet() == packet.id() && r.author() != s) {
                let plain = w.read(s, r);
                let strong = powerful.read(s, r);
                prop_assert_eq!(plain, strong);
                prop_assert!(matches!(strong.rule(), Rule::Read(2) | Rule::Read(3)));
            }
        }
    }

    /// The packet's per-kind tallies always equal a recount of its reviews (they feed the
    /// threshold of R-READ-3 and gating).
    #[test]
    fn packet_tallies_match_a_recount(w in worlds()) {
        for packet in &w.packets {
            for kind in ReviewKind::ALL {
                let mine = || w.reviews.iter().filter(|r| r.packet() == packet.id() && r.kind() == kind);
                let t = packet.tally(kind);
                prop_assert_eq!(t.assigned as usize, mine().filter(|r| r.state() != ReviewState::Cancelled).count());
                prop_assert_eq!(t.submitted as usize, mine().filter(|r| r.state() == ReviewState::Submitted).count());
                prop_assert_eq!(t.removed as usize, mine().filter(|r| r.state() == ReviewState::Submitted && r.is_removed()).count());
                prop_assert_eq!(t.draft as usize, mine().filter(|r| r.state() == ReviewState::Draft).count());
            }
        }
    }

    /// R-READ-5 (the manager chain) and R-WRITE-15 (a manager views their team's progress):
    /// a packet remembers where its subject sat in the snapshot it was made from, to spare the
    /// permission check a lookup. Every decision is the same whether that place is right,
    /// wrong (the same org listed in another order), out of date (the snapshot the packet was
    /// made from, since changed: someone moved to another manager) or lost (the packet read
    /// back from JSON); and a snapshot changed in place decides as the same org built afresh.
    #[test]
    fn decisions_do_not_depend_on_where_packets_were_made(w in worlds(), pick in any::<(u64, u64)>()) {
        let reversed = appraise::OrgSnapshot::build(
            w.people.iter().rev().cloned().collect(),
            w.departments.clone(),
        ).unwrap();
        // A copy of the org the packets were made from, with one person moved (under someone
        // outside their team, or to the top); as it was when that fails.
        let mut moved = w.org.clone();
        let n = w.people.len() as u64;
        let person = w.people[(pick.0 % n) as usize].id;
        let to = w.people[(pick.1 % n) as usize].id;
        if moved.set_manager(person, Some(to)).is_err() {
            moved.set_manager(person, None).unwrap();
        }
        // The moved org built afresh: moving in place keeps the pre-order and the filter of
        // who may manage up to date, so both decide alike.
        let rebuilt = appraise::OrgSnapshot::build(moved.people().to_vec(), w.departments.clone()).unwrap();
        let read_back: Vec<appraise::Packet> = w
            .packets
            .iter()
            .map(|p| serde_json::from_str(&serde_json::to_string(p).unwrap()).unwrap())
            .collect();
        let mut rng = Rng::new(w.seed);
        for review in &w.reviews {
            let i = w.packets.iter().position(|p| p.id() == review.packet()).unwrap();
            for actor in w.candidates(review, &mut rng) {
                let ask = |org, packet, action, on_packet: bool| {
                    let ctx = Context::new(&w.grants, w.now)
                        .with_cycle(&w.cycle)
                        .with_snapshot(org)
                        .with_calibrations(&w.calibrations);
                    let target = if on_packet {
                        Target::Packet(packet)
                    } else {
                        Target::Review(packet, review)
                    };
                    decide(&ctx, actor, action, target)
                };
                // The two checks that look up the subject's place: the manager chain of
                // R-READ-5 and of progress.
                let asks = [(Action::ReadReview, false), (Action::ViewProgress, true)];
                for (action, on_packet) in asks {
                    let made = ask(&w.org, &w.packets[i], action, on_packet);
                    prop_assert_eq!(ask(&w.org, &read_back[i], action, on_packet), made);
                    prop_assert_eq!(ask(&reversed, &w.packets[i], action, on_packet), made);
                    prop_assert_eq!(ask(&reversed, &read_back[i], action, on_packet), made);
                    let on_moved = ask(&moved, &w.packets[i], action, on_packet);
                    prop_assert_eq!(on_moved, ask(&moved, &read_back[i], action, on_packet));
                    prop_assert_eq!(on_moved, ask(&rebuilt, &read_back[i], action, on_packet));
                }
            }
        }
    }

    /// The snapshot's O(1) ancestor test agrees with walking the chain, and its serialized form
    /// round-trips.
    #[test]
    fn snapshot_ancestry_matches_walking_and_round_trips(w in worlds()) {
        let mut rng = Rng::new(w.seed);
        for _ in 0..200 {
            let a = w.people[rng.below(w.people.len())].id;
            let b = w.people[rng.below(w.people.len())].id;
            prop_assert_eq!(w.org.is_ancestor(a, b), oracle::is_strict_ancestor(&w, a, b));
        }
        let json = serde_json::to_string(&w.org).unwrap();
        let back: appraise::OrgSnapshot = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &w.org);
        let team: Vec<_> = w.org.extended_team(w.people[0].id).collect();
        let walked = w.people.iter().filter(|p| oracle::is_strict_ancestor(&w, w.people[0].id, p.id)).count();
        prop_assert_eq!(team.len(), walked);
    }
}

proptest! {
    #![proptest_config(config())]

    /// Re-parenting in place gives the same org as building it again from the changed people:
    /// the same ancestry, depths, teams and direct reports; a move that would make a loop is
    /// refused and changes nothing.
    #[test]
    fn snapshot_reparenting_matches_a_rebuild(
        w in worlds(),
        moves in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), prop::bool::weighted(0.1)), 1..16),
    ) {
        let mut snap = w.org.clone();
        let mut people = w.people.clone();
        let n = people.len();
        for (a, b, to_root) in moves {
            let x = people[a.index(n)].id;
            let y = (!to_root).then(|| people[b.index(n)].id);
            let mut changed = people.clone();
            let pos = changed.iter().position(|p| p.id == x).unwrap();
            changed[pos].manager = y;
            let before = snap.clone();
            let got = snap.set_manager(x, y);
            match appraise::OrgSnapshot::build(changed.clone(), w.departments.clone()) {
                Ok(rebuilt) => {
                    prop_assert!(got.is_ok(), "{:?}", got);
                    people = changed;
                    prop_assert_eq!(&snap, &rebuilt);
                    let mut rng = Rng::new(w.seed ^ n as u64);
                    for _ in 0..60 {
                        let p = people[rng.below(n)].id;
                        let q = people[rng.below(n)].id;
                        prop_assert_eq!(snap.is_ancestor(p, q), rebuilt.is_ancestor(p, q));
                        prop_assert_eq!(snap.depth(p), rebuilt.depth(p));
                        prop_assert_eq!(snap.manager_of(p), rebuilt.manager_of(p));
                        let mut t1: Vec<_> = snap.extended_team(p).collect();
                        let mut t2: Vec<_> = rebuilt.extended_team(p).collect();
                        t1.sort();
                        t2.sort();
                        prop_assert_eq!(t1, t2);
                        let mut d1: Vec<_> = snap.direct_reports(p).collect();
                        let mut d2: Vec<_> = rebuilt.direct_reports(p).collect();
                        d1.sort();
                        d2.sort();
                        // Against the parent links, which the pre-order jumps do not use.
                        let mut d3: Vec<_> = people
                            .iter()
                            .map(|q| q.id)
                            .filter(|&q| snap.manager_of(q) == Some(p))
                            .collect();
                        d3.sort();
                        prop_assert_eq!(&d1, &d3);
                        prop_assert_eq!(d1, d2);
                    }
                    // Everyone up each person's chain of manager links is their ancestor, for
                    // the moved snapshot as for the rebuilt one: the pre-order and the filter of
                    // who may manage (which says "no" without a lookup) agree with the links.
                    for q in &people {
                        let mut m = snap.manager_of(q.id);
                        while let Some(a) = m {
                            prop_assert!(snap.is_ancestor(a, q.id), "{} above {}", a, q.id);
                            m = snap.manager_of(a);
                        }
                    }
                }
                Err(_) => {
                    prop_assert!(got.is_err(), "a loop was accepted");
                    prop_assert_eq!(&snap, &before);
                    for p in people.iter().take(50) {
                        prop_assert_eq!(snap.depth(p.id), before.depth(p.id));
                    }
                }
            }
        }
    }
}

/// Names used in explanations are zero-padded (`p007`), so no name is part of another; keep it so.
#[test]
fn generated_names_are_not_substrings_of_each_other() {
    let w = World::generate(120, crate::world::Shape::RandomTree, 7);
    for a in &w.people {
        for b in &w.people {
            assert!(a.id == b.id || !a.name.contains(&b.name));
        }
    }
}
