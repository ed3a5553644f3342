//! # appraise
//!
//! Performance review cycles as a library, for HR platforms that embed review logic: cycles
//! and their phases, participants and their packets, self / manager / additional-manager /
//! peer / upward reviews, nominations, calibration, approval chains, sharing and
//! acknowledgement, and above all **who may see and do what**.
//!
//! ## The engine
//!
//! An embedder works with one [`Engine`]. Every command takes the acting person, checks the
//! permission rules, and writes the change, its audit events and its notifications in one
//! atomic commit; every read takes the reader and returns only what they may see. The engine
//! talks to the host through four plugin traits ([`plugin`]): `Storage` (records, audit log,
//! outbox), `Notifier` (email, chat, ...), `Directory` (people and departments) and `Clock`,
//! with in-memory defaults ([`memory`]), SQLite (feature `sqlite`) and PostgreSQL for many app
//! servers and tenants (feature `postgres`).
//!
//! ```
//! use appraise::memory::StaticDirectory;
//! use appraise::{AdminGrant, CycleConfig, Engine, Period, Person, PersonId};
//! use chrono::{Duration, NaiveDate};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), appraise::Error> {
//! let (kim, bo, ann) = (PersonId::from_key("kim"), PersonId::from_key("bo"), PersonId::from_key("ann"));
//! let directory = StaticDirectory::new(
//!     vec![Person::new(kim, "kim"), Person::new(bo, "bo"), Person::new(ann, "ann").with_manager(bo)],
//!     vec![],
//! );
//! let engine = Engine::builder().directory(directory).build();
//! engine.bootstrap_admin(kim, AdminGrant { since: engine.now() - Duration::days(1), past_cycles: false }).await?;
//!
//! // kim, a review admin, creates and launches a cycle for ann.
//! let period = Period { start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), end: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap() };
//! let cycle = engine.create_cycle(kim, CycleConfig::new("H1", period)).await?;
//! engine.add_participants(kim, cycle.id(), [ann]).await?;
//! engine.launch(kim, cycle.id()).await?;
//!
//! // ann writes her self review; then bo, her manager, writes his.
//! let packet = engine.packet_of(kim, cycle.id(), ann).await?;
//! engine.close_nominations(kim, packet.id()).await?;
//! for review in engine.my_reviews(ann, cycle.id()).await? {
//!     engine.submit_review(ann, review.id, None).await?;
//! }
//! for review in engine.my_reviews(bo, cycle.id()).await? {
//!     engine.submit_review(bo, review.id, None).await?;
//! }
//!
//! // ann reads nothing of bo's review until results are shared, and may not share them herself.
//! let about_ann = engine.reviews_about(ann, cycle.id(), ann).await?;
//! assert!(about_ann.iter().all(|r| r.author == Some(ann)));
//! let err = engine.share(ann, packet.id()).await.unwrap_err();
//! assert_eq!(err.to_string(), "denied: R-WRITE own packet refused: ann may not share results on their own packet");
//! # Ok(())
//! # }
//! ```
//!
//! `examples/full_cycle.rs` runs a whole cycle on a 50-person org; ARCHITECTURE.md maps the
//! modules and how a command flows from the engine to storage.
//!
//! ## Confidentiality
//!
//! Nothing leaves the engine that the rules of DOMAIN.md deny its reader: a review's content
//! goes only to readers [`access::decide`] allows, answers to private questions only to those
//! [`access::sees_private_answers`] names (the author, admins and collaborators, managers and
//! the manager chain, approvers), an anonymous author never to the subject, and a participant's
//! own ratings only once shared ([`access::own_results_hidden`]). Scores, aggregates, exports,
//! reports, the audit log and what a command returns to its actor are built from what their
//! reader may read; a caller with no relation to a review is told it does not exist. A
//! past-review grant reads only while the [`Directory`](plugin::Directory) still names its
//! holder the subject's default additional manager. The README lists what each role sees;
//! `tests/leak.rs` checks every read and every command's result as every person on random
//! worlds.
//!
//! ## Screens
//!
//! The questions product screens ask are engine methods built on the same decision:
//! [`Engine::inbox`] (what waits for a person across cycles), [`Engine::readable_reviews`]
//! (every review a reader may read, paged, visiting only the people their relations reach),
//! [`Engine::status_board`] (a manager's team and each review about them),
//! [`Engine::history`] (a participant across cycles) and [`Engine::preview`] (who would gain
//! or lose access if a change were made, without making it). Their types are in
//! [`views::screens`].
//!
//! ## Tracing
//!
//! Every [`Engine`] method runs in a `tracing` span named for it, with fields `actor`,
//! `cycle`, `outcome` and `commit_us`; commits, conflicts, deliveries, notifier failures and
//! refusals are events inside it, and [`retry_conflicts`] emits one per retry. Nothing is
//! emitted unless the host installs a subscriber.
//!
//! ## The pure core
//!
//! Under the engine is a pure, synchronous domain core: no I/O, no clock reads (time is passed
//! in), no randomness (ids come from an [`IdSource`]). Every state change is a method that
//! returns the audit [`Event`]s or an [`Error`]; the state machines' tables are in
//! [`transition`], the rules over several records in [`workflow`]. Permission decisions are a
//! pure, allocation-free function that explains itself ([`access`]):
//!
//! ```
//! use appraise::access::{self, Action, Context, Target};
//! use appraise::{
//!     Cycle, CycleConfig, CycleId, Grants, OrgSnapshot, Period, Person, PersonId,
//!     ReviewKind, SequentialIds, launch,
//! };
//! use chrono::{NaiveDate, TimeZone, Utc};
//!
//! let (dana, bo, ann) = (PersonId::from_key("dana"), PersonId::from_key("bo"), PersonId::from_key("ann"));
//! let org = OrgSnapshot::build(
//!     vec![
//!         Person::new(dana, "dana"),
//!         Person::new(bo, "bo").with_manager(dana),
//!         Person::new(ann, "ann").with_manager(bo),
//!     ],
//!     vec![],
//! )?;
//!
//! let now = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
//! let period = Period {
//!     start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
//!     end: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
//! };
//! let (mut cycle, _created) = Cycle::create(CycleId::from_key("h1"), CycleConfig::new("H1 2026", period), dana, now)?;
//! cycle.set_participants([ann], dana, now)?;
//! let mut launched = launch(&mut cycle, &org, &mut SequentialIds::starting_at(1), dana, now)?;
//!
//! // bo writes and submits ann's manager review (ann's self review is submitted first: gating).
//! let mut packet = launched.packets.remove(0);
//! for review in &mut launched.reviews {
//!     if review.kind() == ReviewKind::SelfReview {
//!         review.submit(&mut packet, None, ann, now)?;
//!     }
//! }
//! packet.close_nominations(dana, now)?;
//! let review = launched.reviews.iter_mut().find(|r| r.kind() == ReviewKind::Manager).unwrap();
//! review.submit(&mut packet, None, bo, now)?;
//!
//! // May dana (bo's manager) read it? Yes, through the manager chain.
//! let grants = Grants::new();
//! let ctx = Context::new(&grants, now).with_cycle(&cycle).with_snapshot(&org);
//! let decision = access::decide(&ctx, dana, Action::ReadReview, Target::Review(&packet, review));
//! assert!(decision.is_allowed());
//! let why = access::explain(&ctx, dana, Action::ReadReview, Target::Review(&packet, review));
//! assert_eq!(why.to_string(), "R-READ-5 chain: dana → bo → ann");
//!
//! // ann herself may not, until results are shared.
//! let why = access::explain(&ctx, ann, Action::ReadReview, Target::Review(&packet, review));
//! assert_eq!(why.to_string(), "R-READ-3 not shared: ann's results are not shared yet");
//! # Ok::<(), appraise::Error>(())
//! ```
//!
//! ## Where things are
//!
//! - [`Engine`]: the commands and reads an embedder calls.
//! - [`plugin`]: the traits a host implements; [`memory`]: the in-memory implementations.
//! - [`OrgSnapshot`]: the org chart a cycle reads, with O(1) ancestor checks.
//! - [`Cycle`], [`CycleConfig`], [`CycleSettings`]: cycles, their settings and defaults.
//! - [`launch()`]: packets and default assignments.
//! - [`Packet`], [`Review`], [`Nomination`], [`CalibrationSession`]: the records and their
//!   state machines; [`workflow`]: rules over several of them.
//! - [`Grants`]: review admins, global viewers, custom roles.
//! - [`access`]: [`Action`](access::Action), [`decide`](access::decide),
//!   [`explain`](access::explain) — the rules R-READ and R-WRITE of DOMAIN.md.
//! - [`views`]: what a reader receives of a review.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
mod domain;
mod engine;
pub mod memory;
pub mod plugin;
#[cfg(feature = "schema")]
pub mod schema;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod views;

pub use domain::{score, transition, workflow};
pub use views::aggregate;

pub use domain::{
    Actor, AdminGrant, Answer, AnswerCheck, Answers, ApprovalStep, AssignmentRole,
    CalibrationEntry, CalibrationReport, CalibrationSession, CalibrationSessionId,
    CalibrationState, CompetencyAnswer, CustomRole, CustomRoleId, Cycle, CycleConfig, CycleId,
    CycleScope, CycleSettings, CycleState, DefaultAdditionalManagers, Department, DepartmentId,
    Eligibility, Error, Event, EventKind, Explanation, FieldChange, Gating, Goal, GoalAnswer,
    GoalId, GrantChange, Grants, IdSource, KindProgress, KindTally, LaunchInput, Launched,
    LaunchedCycle, Level, LockState, MAX_CYCLE_ADDITIONAL_MANAGERS, MAX_TEXT_LEN, NineBoxCell,
    Nomination, NominationId, NominationState, Notification, NotificationKind, OrgChange, OrgEdit,
    OrgError, OrgHead, OrgSnapshot, Packet, PacketId, PacketState, PeopleScope, Period, Permission,
    Permissions, Person, PersonId, PointShare, Progress, Question, QuestionId, QuestionKind,
    RandomIds, RatingScale, ReceiptId, ReminderKind, Result, Review, ReviewId, ReviewKind,
    ReviewKinds, ReviewState, RoleGrant, Section, SequentialIds, StepApprover, TeamProgress,
    Template, TemplateId, Visibility, Window, Windows, calibration_report, launch, launch_cycle,
    packet_for, resolve_step,
};
pub use engine::{
    Command, Delivery, Engine, EngineBuilder, LaunchReport, Limits, Outcome, Query, TickReport,
    retry_conflicts,
};
pub use views::{CycleSummary, HistoryEntry, ReviewView};

/// The README's code blocks, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
