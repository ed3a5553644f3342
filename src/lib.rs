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
pub mod aggregate;
mod calibration;
mod cycle;
mod engine;
mod error;
mod event;
mod goal;
mod grants;
mod id;
mod launch;
pub mod memory;
mod nomination;
mod notification;
mod org;
mod packet;
pub mod plugin;
mod review;
pub mod score;
#[cfg(feature = "sqlite")]
pub mod sql;
mod template;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod transition;

pub use access::Explanation;
pub use calibration::{
    CalibrationEntry, CalibrationReport, CalibrationSession, CalibrationState, Level, NineBoxCell,
    PointShare, calibration_report,
};
pub use cycle::{
    ApprovalStep, Cycle, CycleConfig, CycleSettings, CycleState, Eligibility, Gating, LockState,
    Period, RatingScale, ReviewKind, ReviewKinds, Window, Windows,
};
pub use engine::{
    Delivery, Engine, EngineBuilder, KindProgress, LaunchReport, Progress, ReviewView,
    TeamProgress, TickReport,
};
pub use error::{Error, Result};
pub use event::{Event, EventKind};
pub use goal::Goal;
pub use grants::{
    AdminGrant, CustomRole, CycleScope, GrantChange, Grants, PeopleScope, Permission, Permissions,
    RoleGrant,
};
pub use id::{
    CalibrationSessionId, CustomRoleId, CycleId, DepartmentId, GoalId, IdSource, NominationId,
    PacketId, PersonId, QuestionId, RandomIds, ReviewId, SequentialIds, TemplateId,
};
pub use launch::{Launched, launch, packet_for};
pub use nomination::{Nomination, NominationState};
pub use notification::{Notification, NotificationKind};
pub use org::{Department, OrgError, OrgSnapshot, Person};
pub use packet::{
    AssignmentRole, KindTally, MAX_CYCLE_ADDITIONAL_MANAGERS, Packet, PacketState, StepApprover,
    resolve_step,
};
pub use review::{
    Answer, Answers, CompetencyAnswer, GoalAnswer, MAX_TEXT_LEN, ReminderKind, Review, ReviewState,
};
pub use template::{AnswerCheck, Question, QuestionKind, Section, Template, Visibility};

/// The README's code blocks, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
