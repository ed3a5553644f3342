//! The screen queries against their naive definitions, on the leak test's random worlds (built
//! through the `Engine`, with viewers, sharers, custom roles, calibration, approval chains,
//! pending nominations and leavers): decide over everything in the cycle, then filter.
//!
//! - `readable_reviews`: every review `read_review` lets the reader read, in org order, read
//!   through every page at several page sizes (nothing missing, nothing twice) and filtered.
//! - `status_board`: every participant below the manager whose packet the reader may view,
//!   each with all reviews about them; a reminder offered exactly when `send_reminder` takes it.
//! - `inbox`: each list equals a scan of every review, packet and nomination of the cycle
//!   through the decision its command takes.
//!
//! Worlds take turns on the reference storage (whose listings are scans), the indexed one and
//! SQLite (whose listings are indexes). 48 worlds a run; `APPRAISE_QUERY_WORLDS` raises it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use appraise::access::{Action, Context, Target, decide};
use appraise::memory::{IndexedMemoryStorage, MemoryStorage, StaticDirectory};
use appraise::plugin::{ManualClock, Storage, StorageExt};
use appraise::views::screens::{Cursor, Effect, ReviewFilter};
use appraise::workflow::is_overdue;
use appraise::{
    AdminGrant, Answers, ApprovalStep, CalibrationSession, Command, CustomRole, CustomRoleId,
    CycleConfig, CycleId, CycleScope, CycleSettings, CycleState, Engine, Error, Grants, Nomination,
    NominationState, Packet, PacketState, PeopleScope, Period, Permission, Person, PersonId,
    ReviewId, ReviewKind, ReviewState, ReviewView, RoleGrant, Window, Windows, resolve_step,
};

use chrono::{NaiveDate, TimeZone, Utc};

use crate::leak::{Built, build_on, judge_world, stranger};
use crate::world::{Rng, World};

fn worlds() -> u64 {
    std::env::var("APPRAISE_QUERY_WORLDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// Runs `check` on each world, on the reference store, the indexed store, SQLite and (with
/// `APPRAISE_POSTGRES_URL` set) PostgreSQL in turn, each PostgreSQL world in a tenant of its
/// own.
fn each_world(mut check: impl AsyncFnMut(u64, &Built, &World, &Facts)) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    #[cfg(feature = "postgres")]
    let postgres = std::env::var("APPRAISE_POSTGRES_URL").ok().map(|url| {
        rt.block_on(appraise::sql::PostgresStorage::connect(&url, "queries"))
            .unwrap()
    });
    for seed in 0..worlds() {
        rt.block_on(async {
            let storage: Arc<dyn Storage> = match seed % 4 {
                0 => Arc::new(MemoryStorage::new()),
                #[cfg(feature = "sqlite")]
                2 => Arc::new(
                    appraise::sql::SqliteStorage::open_in_memory()
                        .await
                        .unwrap(),
                ),
                #[cfg(feature = "postgres")]
                3 if postgres.is_some() => Arc::new(
                    postgres
                        .as_ref()
                        .unwrap()
                        .for_tenant(&format!("queries-{}", uuid::Uuid::new_v4()))
                        .unwrap(),
                ),
                _ => Arc::new(IndexedMemoryStorage::new()),
            };
            let b = build_on(seed.wrapping_mul(0x2545_F491_4F6C_DD1D), storage).await;
            let w = judge_world(&b).await;
            let facts = Facts::read(&b).await;
            check(seed, &b, &w, &facts).await;
        });
    }
}

/// What a decision reads, as stored: the naive definitions decide with it.
struct Facts {
    grants: Grants,
    nominations: Vec<Nomination>,
}

impl Facts {
    async fn read(b: &Built) -> Self {
        let (_, grants) = b.storage.grants().await.unwrap();
        let mut nominations = Vec::new();
        for p in b.storage.packets(b.cycle, None, 10_000).await.unwrap() {
            for n in b.storage.nominations(p.record.id()).await.unwrap() {
                nominations.push(n.record);
            }
        }
        Self {
            grants,
            nominations,
        }
    }

    fn ctx<'a>(&'a self, w: &'a World, b: &Built) -> Context<'a> {
        Context::new(&self.grants, b.engine.now())
            .with_cycle(&w.cycle)
            .with_snapshot(&w.org)
            .with_calibrations(&w.calibrations)
    }
}

fn readers(b: &Built) -> Vec<PersonId> {
    b.people.iter().map(|p| p.id).chain([stranger()]).collect()
}

/// Every page of `readable_reviews` at `limit`, checking each page's size and cursor.
async fn all_pages(
    b: &Built,
    reader: PersonId,
    filter: ReviewFilter,
    limit: usize,
) -> Vec<ReviewView> {
    let mut out = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = b
            .engine
            .readable_reviews(reader, b.cycle, filter, after, limit)
            .await
            .unwrap();
        assert!(
            page.reviews.len() <= limit,
            "a page holds at most its limit"
        );
        out.extend(page.reviews.iter().cloned());
        match page.next {
            Some(next) => {
                assert_eq!(page.reviews.len(), limit, "only a full page has a next one");
                after = Some(next);
            }
            None => return out,
        }
    }
}

#[test]
fn readable_reviews_is_every_review_read_review_allows_in_org_order() {
    each_world(async |seed, b, w, _| {
        for reader in readers(b) {
            // The naive definition: ask about every review of the cycle.
            let mut expected: Vec<(u32, ReviewView)> = Vec::new();
            for r in &w.reviews {
                if let Ok(v) = b.engine.read_review(reader, r.id()).await {
                    expected.push((w.org.position(r.subject()).unwrap(), v));
                }
            }
            expected.sort_by_key(|(at, v)| (*at, v.id));
            let expected: Vec<ReviewView> = expected.into_iter().map(|(_, v)| v).collect();
            for limit in [1, 3, 1_000] {
                let got = all_pages(b, reader, ReviewFilter::default(), limit).await;
                assert_eq!(
                    got, expected,
                    "world {seed}: {reader} reads these reviews, {limit} a page"
                );
            }
            // Filtered by kind, state and subject, two a page.
            let filters = [
                ReviewFilter {
                    kind: Some(ReviewKind::Peer),
                    ..ReviewFilter::default()
                },
                ReviewFilter {
                    state: Some(ReviewState::Submitted),
                    ..ReviewFilter::default()
                },
                ReviewFilter {
                    subject: Some(b.people[1 + (seed as usize) % (b.people.len() - 1)].id),
                    kind: Some(ReviewKind::SelfReview),
                    ..ReviewFilter::default()
                },
                ReviewFilter {
                    subject: Some(reader),
                    ..ReviewFilter::default()
                },
            ];
            for filter in filters {
                let want: Vec<ReviewView> = expected
                    .iter()
                    .filter(|v| {
                        filter.subject.is_none_or(|s| s == v.subject)
                            && filter.kind.is_none_or(|k| k == v.kind)
                            && filter.state.is_none_or(|s| s == v.state)
                    })
                    .cloned()
                    .collect();
                let got = all_pages(b, reader, filter, 2).await;
                assert_eq!(got, want, "world {seed}: {reader} with {filter:?}");
            }
        }
    });
}

#[test]
fn a_cursor_from_before_an_org_change_is_refused() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let hr = crate::leak::hr();
        // A world where hr may change someone's manager.
        for seed in 0..64 {
            let b = build_on(seed, Arc::new(IndexedMemoryStorage::new())).await;
            let first = b
                .engine
                .readable_reviews(hr, b.cycle, ReviewFilter::default(), None, 1)
                .await
                .unwrap();
            let next = first.next.expect("the world has more than one review");
            // The next page reads on where the first ended.
            let second = b
                .engine
                .readable_reviews(hr, b.cycle, ReviewFilter::default(), Some(next), 1)
                .await
                .unwrap();
            assert_ne!(second.reviews, first.reviews);
            // A manager change reorders the org: the old cursor is refused, naming it.
            let w = judge_world(&b).await;
            let Some(moved) = w
                .packets
                .iter()
                .find(|p| !p.is_withdrawn() && w.org.manager_of(p.subject()).is_some())
            else {
                continue;
            };
            if b.engine.change_manager(hr, moved.id(), None).await.is_err() {
                continue;
            }
            let stale = b
                .engine
                .readable_reviews(hr, b.cycle, ReviewFilter::default(), Some(next), 1)
                .await;
            assert!(
                matches!(&stale, Err(Error::Invalid { field, .. }) if field == "cursor"),
                "{stale:?}"
            );
            let zero = b
                .engine
                .readable_reviews(hr, b.cycle, ReviewFilter::default(), None, 0)
                .await;
            assert!(matches!(zero, Err(Error::Invalid { .. })), "{zero:?}");
            return;
        }
        panic!("no world let hr change a manager");
    });
}

#[test]
fn the_status_board_is_the_team_the_reader_may_view_with_every_review() {
    // Rows, reminders offered and hidden writers seen, so that none is checked only absent.
    let seen = std::cell::RefCell::new([0usize; 3]);
    each_world(async |seed, b, w, facts| {
        let ctx = facts.ctx(w, b);
        let now = b.engine.now();
        for reader in readers(b) {
            for manager in b.people.iter().map(|p| p.id) {
                let board = b.engine.status_board(reader, b.cycle, manager).await;
                // Authorised exactly as the team's progress is.
                let team = b.engine.team_progress(reader, b.cycle, manager).await;
                assert_eq!(
                    board.is_ok(),
                    team.is_ok(),
                    "world {seed}: {reader} on {manager}"
                );
                let Ok(board) = board else { continue };
                let mut want: Vec<(u32, &Packet)> = w
                    .packets
                    .iter()
                    .filter(|p| {
                        w.org.is_ancestor(manager, p.subject())
                            && w.reviews.iter().any(|r| r.subject() == p.subject())
                            && decide(&ctx, reader, Action::ViewProgress, Target::Packet(p))
                                .is_allowed()
                    })
                    .map(|p| (w.org.position(p.subject()).unwrap(), p))
                    .collect();
                want.sort_by_key(|(at, _)| *at);
                let got: Vec<PersonId> = board.rows.iter().map(|r| r.subject.id).collect();
                let subjects: Vec<PersonId> = want.iter().map(|(_, p)| p.subject()).collect();
                assert_eq!(got, subjects, "world {seed}: {reader}'s board of {manager}");
                for (row, (_, packet)) in board.rows.iter().zip(&want) {
                    let mut seen = seen.borrow_mut();
                    seen[0] += 1;
                    seen[1] += row.reviews.iter().filter(|r| r.may_remind).count();
                    seen[2] += row.reviews.iter().filter(|r| r.writer.is_none()).count();
                    assert_eq!(
                        row.direct,
                        w.org.manager_of(packet.subject()) == Some(manager)
                    );
                    assert_eq!((row.packet, row.state), (packet.id(), packet.state()));
                    let mut reviews: Vec<_> = w
                        .reviews
                        .iter()
                        .filter(|r| r.subject() == packet.subject())
                        .collect();
                    reviews.sort_by_key(|r| (r.kind().index(), w.org.position(r.author()), r.id()));
                    assert_eq!(row.reviews.len(), reviews.len());
                    for (status, r) in row.reviews.iter().zip(reviews) {
                        let open = matches!(r.state(), ReviewState::Assigned | ReviewState::Draft);
                        assert_eq!((status.review, status.state), (r.id(), r.state()));
                        assert_eq!(
                            status.writer.as_ref().map(|n| n.id),
                            (reader != r.subject() || r.author() == reader).then(|| r.author()),
                            "world {seed}: writers on {reader}'s own row stay hidden"
                        );
                        assert_eq!(status.overdue, open && is_overdue(&w.cycle, r.kind(), now));
                        let remind = decide(
                            &ctx,
                            reader,
                            Action::SendReminder,
                            Target::Review(packet, r),
                        );
                        assert_eq!(
                            status.may_remind,
                            open && !packet.is_withdrawn() && remind.is_allowed()
                        );
                    }
                }
            }
        }
        // A reminder offered on a manager's own board is one `send_reminder` takes; one not
        // offered, on a review still to write, is refused.
        for manager in b.people.iter().map(|p| p.id) {
            let Ok(board) = b.engine.status_board(manager, b.cycle, manager).await else {
                continue;
            };
            for status in board.rows.iter().flat_map(|r| &r.reviews) {
                if !matches!(status.state, ReviewState::Assigned | ReviewState::Draft) {
                    continue;
                }
                let sent = b.engine.send_reminder(manager, status.review).await;
                assert_eq!(
                    sent.is_ok(),
                    status.may_remind,
                    "world {seed}: {manager} reminding about {}: {sent:?}",
                    status.review
                );
            }
        }
    });
    if worlds() >= 48 {
        let seen = seen.into_inner();
        assert!(
            seen.iter().all(|&n| n > 0),
            "rows, reminders, hidden writers: {seen:?}"
        );
    }
}

#[test]
fn the_inbox_is_a_scan_of_the_cycle_through_each_commands_decision() {
    // How many items of each list the worlds held, so that no list is checked only empty.
    let seen = std::cell::RefCell::new([0usize; 9]);
    each_world(async |seed, b, w, facts| {
        let ctx = facts.ctx(w, b);
        let settings = w.cycle.settings();
        let active = w.cycle.state() == CycleState::Active;
        let packet = |id| w.packets.iter().find(|p| p.id() == id).unwrap();
        let may =
            |who, action, p: &Packet| decide(&ctx, who, action, Target::Packet(p)).is_allowed();
        for person in readers(b) {
            let inbox = b.engine.inbox(person).await.unwrap();
            for (n, len) in seen.borrow_mut().iter_mut().zip([
                inbox.to_write.len(),
                inbox.nominations_to_decide.len(),
                inbox.nominations_received.len(),
                inbox.to_approve.len(),
                inbox.to_share.len(),
                inbox.to_acknowledge.len(),
                inbox.meetings_to_record.len(),
                inbox.calibrations.len(),
                inbox.need_manager_reviewer.len(),
            ]) {
                *n += len;
            }
            if w.org.has_left(person) {
                assert!(inbox.is_empty(), "world {seed}: a leaver has nothing to do");
                continue;
            }
            let live = |p: &&Packet| !p.is_withdrawn();
            // Reviews to write, writable exactly when the submit's decision allows.
            let mut to_write: Vec<_> = w
                .reviews
                .iter()
                .filter(|r| {
                    active
                        && r.author() == person
                        && matches!(r.state(), ReviewState::Assigned | ReviewState::Draft)
                        && !packet(r.packet()).is_withdrawn()
                })
                .map(|r| {
                    let d = decide(
                        &ctx,
                        person,
                        Action::WriteReview,
                        Target::Review(packet(r.packet()), r),
                    );
                    (
                        r.id(),
                        d.is_allowed(),
                        (!d.is_allowed()).then(|| d.reason()),
                    )
                })
                .collect();
            to_write.sort_by_key(|t| t.0);
            let mut got: Vec<_> = inbox
                .to_write
                .iter()
                .map(|t| (t.review, t.writable, t.blocked_by))
                .collect();
            // In org order of the subjects, then by kind.
            let order: Vec<_> = inbox
                .to_write
                .iter()
                .map(|t| (w.org.position(t.subject.id), t.kind.index(), t.review))
                .collect();
            assert!(
                order.is_sorted(),
                "world {seed}: {person}'s reviews to write in order"
            );
            got.sort_by_key(|t| t.0);
            assert_eq!(got, to_write, "world {seed}: {person}'s reviews to write");
            // Nominations.
            let pending = |n: &&Nomination| n.state() == NominationState::Pending;
            let mut decide_n: Vec<_> = facts
                .nominations
                .iter()
                .filter(pending)
                .filter(|n| {
                    let p = packet(n.packet());
                    settings.nomination_approval
                        && !p.is_withdrawn()
                        && p.manager() == Some(person)
                        && decide(
                            &ctx,
                            person,
                            Action::DecideNomination,
                            Target::Nomination(p, n),
                        )
                        .is_allowed()
                })
                .map(Nomination::id)
                .collect();
            decide_n.sort();
            let mut got: Vec<_> = inbox
                .nominations_to_decide
                .iter()
                .map(|n| n.nomination)
                .collect();
            got.sort();
            assert_eq!(
                got, decide_n,
                "world {seed}: {person}'s nominations to decide"
            );
            let mut received: Vec<_> = facts
                .nominations
                .iter()
                .filter(pending)
                .filter(|n| {
                    n.nominee() == person
                        && decide(
                            &ctx,
                            person,
                            Action::DeclineNomination,
                            Target::Nomination(packet(n.packet()), n),
                        )
                        .is_allowed()
                })
                .map(Nomination::id)
                .collect();
            received.sort();
            let mut got: Vec<_> = inbox
                .nominations_received
                .iter()
                .map(|n| n.nomination)
                .collect();
            got.sort();
            assert_eq!(got, received, "world {seed}: nominations naming {person}");
            // Packets.
            let ids = |items: &[appraise::views::screens::PacketItem]| {
                let mut v: Vec<_> = items.iter().map(|i| i.packet).collect();
                v.sort();
                v
            };
            let scan = |keep: &dyn Fn(&Packet) -> bool| {
                let mut v: Vec<_> = w
                    .packets
                    .iter()
                    .filter(live)
                    .filter(|p| keep(p))
                    .map(Packet::id)
                    .collect();
                v.sort();
                v
            };
            let approve = scan(&|p| {
                p.state() == PacketState::PendingApproval
                    && matches!(
                        resolve_step(&w.org, &settings.approval_chain, p.approval_step(), p.subject()),
                        appraise::StepApprover::Person(a) if a == person
                    )
                    && may(person, Action::Approve, p)
            });
            assert_eq!(
                ids(&inbox.to_approve),
                approve,
                "world {seed}: {person} approves"
            );
            let share = scan(&|p| {
                p.state() == PacketState::ReadyToShare
                    && (p.manager() == Some(person) || p.sharers().contains(&person))
                    && may(person, Action::Share, p)
            });
            assert_eq!(ids(&inbox.to_share), share, "world {seed}: {person} shares");
            let acknowledge = scan(&|p| {
                p.subject() == person
                    && p.state() == PacketState::Shared
                    && may(person, Action::Acknowledge, p)
            });
            assert_eq!(
                ids(&inbox.to_acknowledge),
                acknowledge,
                "world {seed}: {person} acknowledges"
            );
            let meetings = scan(&|p| {
                p.manager() == Some(person)
                    && p.state().is_shared()
                    && p.meeting_at().is_none()
                    && may(person, Action::RecordMeeting, p)
            });
            assert_eq!(
                ids(&inbox.meetings_to_record),
                meetings,
                "world {seed}: {person}'s meetings"
            );
            let orphaned = scan(&|p| {
                active
                    && p.manager().is_some_and(|m| w.org.has_left(m))
                    && may(person, Action::EditAssignments, p)
            });
            assert_eq!(
                ids(&inbox.need_manager_reviewer),
                orphaned,
                "world {seed}: {person} reassigns"
            );
            let sessions: Vec<_> = w
                .calibrations
                .iter()
                .filter(|s| s.is_open() && s.contributors().contains(&person))
                .map(CalibrationSession::id)
                .collect();
            let got: Vec<_> = inbox.calibrations.iter().map(|c| c.session).collect();
            assert_eq!(
                got, sessions,
                "world {seed}: {person}'s calibration sessions"
            );
        }
    });
    if worlds() >= 48 {
        let seen = seen.into_inner();
        assert!(
            seen.iter().all(|&n| n > 0),
            "some inbox list was always empty: {seen:?}"
        );
    }
}

/// A random command for `preview`, drawn from what the world holds: every kind `preview`
/// takes, one of them it refuses, and a cycle edit beyond the privacy settings.
fn change(rng: &mut Rng, b: &Built, w: &World) -> Command {
    let people: Vec<PersonId> = b.people.iter().map(|p| p.id).collect();
    let person = rng.pick(&people);
    let packet = &w.packets[rng.below(w.packets.len())];
    let review = &w.reviews[rng.below(w.reviews.len())];
    let settings = w.cycle.settings();
    let role_grant = b.role_grants.first().cloned();
    match rng.below(22) {
        0 => Command::GrantAdmin {
            person,
            grant: b.admins[0].1,
        },
        1 => Command::RevokeAdmin {
            person: rng.pick(&b.admins.iter().map(|a| a.0).collect::<Vec<_>>()),
        },
        2 => Command::GrantGlobalViewer {
            viewer: person,
            subject: packet.subject(),
        },
        3 => match b.global_viewers.first() {
            Some(&(viewer, subject)) => Command::RevokeGlobalViewer { viewer, subject },
            None => Command::RevokeGlobalViewer {
                viewer: person,
                subject: packet.subject(),
            },
        },
        4 => Command::AddViewer {
            packet: packet.id(),
            person,
        },
        5 => match w.packets.iter().find(|p| !p.viewers().is_empty()) {
            Some(p) => Command::RemoveViewer {
                packet: p.id(),
                person: p.viewers()[0],
            },
            None => Command::RemoveViewer {
                packet: packet.id(),
                person,
            },
        },
        6 => Command::AddSharer {
            packet: packet.id(),
            person,
        },
        7 => match w.packets.iter().find(|p| !p.sharers().is_empty()) {
            Some(p) => Command::RemoveSharer {
                packet: p.id(),
                person: p.sharers()[0],
            },
            None => Command::RemoveSharer {
                packet: packet.id(),
                person,
            },
        },
        8 => Command::ChangeManager {
            packet: packet.id(),
            manager: if rng.chance(20) { None } else { Some(person) },
        },
        9 => Command::GrantRole {
            person,
            grant: role_grant.map_or_else(
                || RoleGrant {
                    role: CustomRoleId::from_key("role0"),
                    cycles: CycleScope::All,
                    people: PeopleScope::Everyone,
                },
                |(_, g)| g,
            ),
        },
        10 => match role_grant {
            Some((person, grant)) => Command::RevokeRole {
                person,
                role: grant.role,
            },
            None => Command::RevokeRole {
                person,
                role: CustomRoleId::from_key("role0"),
            },
        },
        11 => match b.roles.first() {
            Some(role) => Command::DefineRole {
                role: CustomRole {
                    permissions: Permission::ALL
                        .into_iter()
                        .filter(|_| rng.chance(50))
                        .collect(),
                    ..role.clone()
                },
            },
            None => Command::RevokeRole {
                person,
                role: CustomRoleId::from_key("role0"),
            },
        },
        12 => Command::GrantPastReviews {
            viewer: person,
            subject: packet.subject(),
        },
        13 => Command::ChangeManagerReviewer {
            packet: packet.id(),
            manager: if rng.chance(20) { None } else { Some(person) },
        },
        14 => Command::AssignReviewer {
            packet: packet.id(),
            kind: rng.pick(&[
                ReviewKind::Peer,
                ReviewKind::Upward,
                ReviewKind::AdditionalManager,
            ]),
            person,
        },
        15 => Command::RemoveReviewer {
            review: review.id(),
        },
        16 => Command::ReplaceReviewer {
            review: review.id(),
            person,
        },
        17 => Command::Nominate {
            packet: packet.id(),
            nominee: person,
        },
        18 => {
            let mut config = w.cycle.config().clone();
            config.settings.remind_days_before =
                Some(config.settings.remind_days_before.map_or(3, |d| d + 1));
            config.settings.anonymous_peer = true;
            Command::EditCycle {
                cycle: b.cycle,
                config,
            }
        }
        _ => {
            // Stricter settings are always allowed; looser ones only before anything of the
            // kind was submitted.
            let mut config = w.cycle.config().clone();
            let to = &mut config.settings;
            if rng.chance(70) {
                to.anonymous_peer = true;
                to.anonymous_upward = true;
                if rng.chance(30) {
                    to.anonymity_threshold = settings.anonymity_threshold.saturating_add(1);
                }
            } else {
                to.anonymous_upward = rng.chance(50);
                to.share_peer_with_subject = rng.chance(50);
                to.anonymity_threshold = 1 + rng.below(3) as u16;
            }
            Command::EditCycle {
                cycle: b.cycle,
                config,
            }
        }
    }
}

/// Whether `preview` takes this command: every command above but a nomination and a cycle
/// edit beyond the privacy settings.
fn previewable(command: &Command, w: &World) -> bool {
    match command {
        Command::Nominate { .. } => false,
        Command::EditCycle { config, .. } => {
            config.settings.remind_days_before == w.cycle.settings().remind_days_before
        }
        _ => true,
    }
}

/// Every reader's reading of every review: whether they read it, and whether they see its
/// author.
async fn readings(b: &Built, w: &World) -> BTreeMap<(PersonId, ReviewId), (bool, bool)> {
    let mut out = BTreeMap::new();
    for reader in readers(b) {
        for r in &w.reviews {
            let read = b.engine.read_review(reader, r.id()).await;
            let seen = (read.is_ok(), read.is_ok_and(|v| v.author.is_some()));
            out.insert((reader, r.id()), seen);
        }
    }
    out
}

#[test]
fn a_preview_is_making_the_change_and_comparing_every_reading() {
    // Previews made, refused, not previewable, and entries by effect (gaining sight of an
    // author cannot happen: anonymity only gets stricter once a review of its kind is
    // submitted).
    let (mut previews, mut refusals, mut unpreviewable) = (0, 0, 0);
    let mut effects: BTreeMap<Effect, usize> = BTreeMap::new();
    each_world(async |seed, b, w, _facts| {
        let mut rng = Rng::new(seed ^ 0xD1CE);
        let hr = crate::leak::hr();
        // Several commands in a row: each is previewed from the state the last one left.
        for _ in 0..6 {
            let actor = if rng.chance(85) {
                hr
            } else {
                rng.pick(&b.people.iter().map(|p| p.id).collect::<Vec<_>>())
            };
            let change = change(&mut rng, b, w);
            let before = readings(b, w).await;
            let preview = b.engine.preview(actor, change.clone()).await;
            if !previewable(&change, w) {
                assert!(
                    matches!(&preview, Err(Error::Invalid { field, .. }) if field == "command" || field == "config"),
                    "world {seed}: {change:?} previewed as {preview:?}"
                );
                if let (Command::EditCycle { .. }, Err(e)) = (&change, &preview) {
                    assert!(
                        e.to_string().contains("`settings.remind_days_before`"),
                        "the edit beyond privacy is named: {e}"
                    );
                }
                unpreviewable += 1;
                continue;
            }
            let applied = b.engine.execute(actor, change.clone()).await.map(drop);
            match (&preview, &applied) {
                (Ok(_), Ok(())) => {}
                (Err(p), Err(a)) => {
                    assert_eq!(p.to_string(), a.to_string(), "world {seed}: {change:?}");
                    refusals += 1;
                    continue;
                }
                _ => panic!("world {seed}: preview {preview:?} but the command {applied:?}"),
            }
            let preview = preview.unwrap();
            let after = readings(b, w).await;
            let mut want = Vec::new();
            for r in &w.reviews {
                if r.subject() == actor {
                    continue;
                }
                for reader in readers(b) {
                    let (was, is) = (before[&(reader, r.id())], after[&(reader, r.id())]);
                    let effect = match (was, is) {
                        ((false, _), (true, _)) => Effect::GainsRead,
                        ((true, _), (false, _)) => Effect::LosesRead,
                        ((true, false), (true, true)) => Effect::GainsAuthor,
                        ((true, true), (true, false)) => Effect::LosesAuthor,
                        _ => continue,
                    };
                    want.push((r.id(), reader, effect));
                }
            }
            want.sort();
            let got: Vec<_> = preview
                .changes
                .iter()
                .map(|c| (c.review, c.reader, c.effect))
                .collect();
            assert_eq!(got, want, "world {seed}: {actor} previewing {change:?}");
            for c in &preview.changes {
                // People are named as the org names them.
                let name = |id| w.org.name(id).map_or_else(|| id.to_string(), str::to_owned);
                assert_eq!(
                    (&c.reader_name, &c.subject_name),
                    (&name(c.reader), &name(c.subject)),
                    "{c:?}"
                );
                let gains = matches!(c.effect, Effect::GainsRead);
                let loses = matches!(c.effect, Effect::LosesRead);
                assert_eq!(c.before.decision().is_allowed(), !gains, "{c:?}");
                assert_eq!(c.after.decision().is_allowed(), !loses, "{c:?}");
            }
            previews += 1;
            for c in &preview.changes {
                *effects.entry(c.effect).or_default() += 1;
            }
        }
    });
    if worlds() >= 48 {
        let seen = |e| effects.get(&e).copied().unwrap_or(0) > 0;
        assert!(
            previews > 0
                && refusals > 0
                && unpreviewable > 0
                && seen(Effect::GainsRead)
                && seen(Effect::LosesRead)
                && seen(Effect::LosesAuthor),
            "{previews} previews, {refusals} refusals, {unpreviewable} not previewable, {effects:?}"
        );
    }
}

/// The 12-person fixture org of `tests/snapshots.rs`, through the engine: kim (HR) is the
/// review admin, lee a collaborator; everyone else takes part. Manager reviews were due
/// yesterday (late submissions off); nominations need the manager's approval; results need
/// the manager's manager's approval. hal has left.
///
/// ```text
/// dana ─┬─ bo ─┬─ ann, cy
///       │      └─ eve ── fay, gus
///       └─ hal ── ivy, jo
/// kim ── lee
/// ```
async fn fixture_engine() -> (Engine, CycleId) {
    let p = |n: &str| PersonId::from_key(n);
    let manager = |n: &str| match n {
        "bo" | "hal" => Some("dana"),
        "ann" | "cy" | "eve" => Some("bo"),
        "fay" | "gus" => Some("eve"),
        "ivy" | "jo" => Some("hal"),
        "lee" => Some("kim"),
        _ => None,
    };
    let names = [
        "dana", "bo", "ann", "cy", "eve", "fay", "gus", "hal", "ivy", "jo", "kim", "lee",
    ];
    let people: Vec<Person> = names
        .iter()
        .map(|&n| {
            let person = Person::new(p(n), n);
            match manager(n) {
                Some(m) => person.with_manager(p(m)),
                None => person,
            }
        })
        .collect();
    let now = Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap();
    let engine = Engine::builder()
        .directory(StaticDirectory::new(people, vec![]))
        .clock(ManualClock::new(now))
        .build();
    let grant = AdminGrant {
        since: now - chrono::Duration::days(30),
        past_cycles: true,
    };
    engine.bootstrap_admin(p("kim"), grant).await.unwrap();
    let mut windows = Windows::default();
    windows.by_kind[ReviewKind::Manager.index()] = Some(Window {
        opens: now - chrono::Duration::days(10),
        due: now - chrono::Duration::days(1),
    });
    let settings = CycleSettings {
        nomination_approval: true,
        approval_required: true,
        approval_chain: vec![ApprovalStep::ManagersManager],
        windows,
        ..CycleSettings::default()
    };
    let period = Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
    };
    let config = CycleConfig::new("H1 2026", period).with_settings(settings);
    let kim = p("kim");
    let cycle = engine.create_cycle(kim, config).await.unwrap().id();
    engine.add_collaborator(kim, cycle, p("lee")).await.unwrap();
    let participants = names[..10].iter().map(|n| p(n));
    engine
        .add_participants(kim, cycle, participants)
        .await
        .unwrap();
    engine.launch(kim, cycle).await.unwrap();
    // ann nominates cy and gus; bo approves gus, so cy waits for him. ann and cy write their
    // self reviews; gus starts his peer review of ann.
    let ann = engine.packet_of(kim, cycle, p("ann")).await.unwrap().id();
    engine.nominate(p("ann"), ann, p("cy")).await.unwrap();
    let gus = engine.nominate(p("ann"), ann, p("gus")).await.unwrap();
    engine
        .approve_nomination(p("bo"), gus.id(), None)
        .await
        .unwrap();
    for who in ["ann", "cy"] {
        let own = engine.my_reviews(p(who), cycle).await.unwrap();
        let own = own
            .iter()
            .find(|r| r.kind == ReviewKind::SelfReview)
            .unwrap();
        engine.submit_review(p(who), own.id, None).await.unwrap();
    }
    let peer = engine.my_reviews(p("gus"), cycle).await.unwrap();
    let peer = peer.iter().find(|r| r.kind == ReviewKind::Peer).unwrap();
    engine
        .save_draft(p("gus"), peer.id, Answers::new())
        .await
        .unwrap();
    // hal leaves: ivy and jo need a new manager reviewer.
    engine.person_left(kim, cycle, p("hal")).await.unwrap();
    (engine, cycle)
}

#[tokio::test]
async fn an_inbox_and_a_status_board_of_the_fixture_org() {
    let (engine, cycle) = fixture_engine().await;
    let bo = PersonId::from_key("bo");
    let mut text = String::new();
    for who in ["bo", "cy", "kim"] {
        let inbox = engine.inbox(PersonId::from_key(who)).await.unwrap();
        writeln!(text, "{who}:").unwrap();
        for t in &inbox.to_write {
            let why = t
                .blocked_by
                .map(|r| format!(" ({r:?})"))
                .unwrap_or_default();
            let due = t
                .due
                .map(|d| format!(", due {}", d.date_naive()))
                .unwrap_or_default();
            let late = if t.overdue { ", overdue" } else { "" };
            let can = if t.writable {
                "writable"
            } else {
                "not writable"
            };
            writeln!(
                text,
                "  write the {} review of {} [{:?}{due}{late}]: {can}{why}",
                t.kind, t.subject.name, t.state
            )
            .unwrap();
        }
        for n in &inbox.nominations_to_decide {
            writeln!(
                text,
                "  decide: {} as a peer of {}",
                n.nominee.name, n.subject.name
            )
            .unwrap();
        }
        for n in &inbox.nominations_received {
            writeln!(text, "  nominated as a peer of {}", n.subject.name).unwrap();
        }
        for (what, items) in [
            ("approve", &inbox.to_approve),
            ("share", &inbox.to_share),
            ("acknowledge", &inbox.to_acknowledge),
            ("record the meeting of", &inbox.meetings_to_record),
            ("find a manager reviewer for", &inbox.need_manager_reviewer),
        ] {
            for i in items {
                writeln!(text, "  {what} {} [{:?}]", i.subject.name, i.state).unwrap();
            }
        }
    }
    insta::assert_snapshot!("inboxes", text);

    let board = engine.status_board(bo, cycle, bo).await.unwrap();
    let mut text = format!("{}'s team in H1 2026\n", board.manager.name);
    for row in &board.rows {
        let direct = if row.direct { "direct" } else { "extended" };
        writeln!(text, "{} ({direct}, {:?}):", row.subject.name, row.state).unwrap();
        for r in &row.reviews {
            let writer = r.writer.as_ref().map_or("(hidden)", |w| w.name.as_str());
            let late = if r.overdue { ", overdue" } else { "" };
            let remind = if r.may_remind { ", remind" } else { "" };
            writeln!(
                text,
                "  {} by {writer}: {:?}{late}{remind}",
                r.kind, r.state
            )
            .unwrap();
        }
    }
    insta::assert_snapshot!("status_board", text);
}

#[test]
fn history_is_what_each_read_allows_in_each_cycle() {
    let mut seen = 0;
    each_world(async |seed, b, w, _| {
        for reader in readers(b) {
            for p in &w.packets {
                let subject = p.subject();
                let got = b.engine.history(reader, subject).await.unwrap();
                // The naive definition, from the reads of one participant.
                let mut reviews = Vec::new();
                for r in w.reviews.iter().filter(|r| r.subject() == subject) {
                    if let Ok(v) = b.engine.read_review(reader, r.id()).await {
                        reviews.push(v);
                    }
                }
                reviews.sort_by_key(|v| v.id);
                let state = b
                    .engine
                    .packet_of(reader, b.cycle, subject)
                    .await
                    .ok()
                    .map(|p| p.state());
                let score = b.engine.score(reader, p.id()).await.ok();
                if reviews.is_empty() && state.is_none() && score.is_none() {
                    assert!(
                        got.is_empty(),
                        "world {seed}: {reader} sees nothing of {subject}"
                    );
                    continue;
                }
                seen += 1;
                let [entry] = got.as_slice() else {
                    panic!("world {seed}: one cycle of {subject} for {reader}: {got:?}");
                };
                assert_eq!(entry.cycle.id, b.cycle);
                assert_eq!(
                    entry.reviews, reviews,
                    "world {seed}: {reader} on {subject}"
                );
                assert_eq!(entry.state, state, "world {seed}: {reader} on {subject}");
                assert_eq!(entry.score, score, "world {seed}: {reader} on {subject}");
            }
        }
    });
    assert!(seen > 0, "no reader saw any history");
}
