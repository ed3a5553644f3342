//! # appraise
//!
//! Performance review cycles as a library: cycles and their phases, participants and their
//! packets, self / manager / additional-manager / peer / upward reviews, grants, and above all
//! **who may see and do what**, decided by a pure permission engine that explains itself.
//!
//! This crate is the pure, synchronous domain core: no I/O, no clock reads (time is passed
//! in), no randomness (ids come from an [`IdSource`]). Every state change is a method that
//! returns the audit [`Event`]s or an [`Error`]; the state machines' tables are in
//! [`transition`] and in each type's docs.
//!
//! ## Quick start
//!
//! Build a tiny org, launch a cycle, and ask who may read the manager review:
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
//! - [`OrgSnapshot`]: the org chart a cycle reads, with O(1) ancestor checks.
//! - [`Cycle`], [`CycleConfig`], [`CycleSettings`]: cycles, their settings and defaults.
//! - [`launch()`]: packets and default assignments.
//! - [`Packet`], [`Review`], [`Nomination`], [`CalibrationSession`]: the records and their
//!   state machines.
//! - [`Grants`]: review admins, global viewers, custom roles.
//! - [`access`]: [`Action`](access::Action), [`decide`](access::decide),
//!   [`explain`](access::explain) — the rules R-READ and R-WRITE of DOMAIN.md.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
mod domain;
mod engine;
pub mod memory;
pub mod plugin;
#[cfg(feature = "sqlite")]
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
    CycleScope, CycleSettings, CycleState, Department, DepartmentId, Eligibility, Error, Event,
    EventKind, Explanation, Gating, Goal, GoalAnswer, GoalId, GrantChange, Grants, IdSource,
    KindProgress, KindTally, Launched, Level, LockState, MAX_CYCLE_ADDITIONAL_MANAGERS,
    MAX_TEXT_LEN, NineBoxCell, Nomination, NominationId, NominationState, Notification,
    NotificationKind, OrgError, OrgSnapshot, Packet, PacketId, PacketState, PeopleScope, Period,
    Permission, Permissions, Person, PersonId, PointShare, Progress, Question, QuestionId,
    QuestionKind, RandomIds, RatingScale, ReminderKind, Result, Review, ReviewId, ReviewKind,
    ReviewKinds, ReviewState, RoleGrant, Section, SequentialIds, StepApprover, TeamProgress,
    Template, TemplateId, Visibility, Window, Windows, calibration_report, launch, packet_for,
    resolve_step,
};
pub use engine::{Delivery, Engine, EngineBuilder, LaunchReport, TickReport};
pub use views::ReviewView;

/// The README's code blocks, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
