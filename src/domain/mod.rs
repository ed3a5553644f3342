//! The pure domain core: records, their state machines, events and the rules that change them.
//!
//! Synchronous and deterministic: no I/O, no clock reads (time is passed in), no randomness
//! (ids come from an [`IdSource`]). Every state change is a method that returns the audit
//! [`Event`]s or an [`Error`]. Nothing here imports `access`, `views`, `plugin`, `engine` or a
//! backend (`tests/layers.rs` checks it).

pub(crate) mod answer;
pub(crate) mod calibration;
pub(crate) mod checked;
pub(crate) mod cycle;
pub(crate) mod decision;
pub(crate) mod error;
pub(crate) mod event;
pub(crate) mod goal;
pub(crate) mod grants;
pub(crate) mod id;
pub(crate) mod launch;
pub(crate) mod notification;
pub(crate) mod org;
pub(crate) mod org_log;
pub(crate) mod packet;
pub(crate) mod progress;
pub(crate) mod rating;
pub(crate) mod roles;
pub mod score;
pub(crate) mod template;
pub mod transition;
pub(crate) mod vocab;
pub mod workflow;

pub(crate) use packet::{nomination, review};

pub use answer::{Answer, Answers, CompetencyAnswer, GoalAnswer, MAX_TEXT_LEN};
pub use calibration::{
    CalibrationEntry, CalibrationReport, CalibrationSession, CalibrationState, Level, NineBoxCell,
    PointShare, calibration_report,
};
pub use cycle::{
    ApprovalStep, Cycle, CycleConfig, CycleSettings, Eligibility, Gating, ReviewKinds, Window,
    Windows,
};
pub use decision::Explanation;
pub use error::{Error, Result};
pub use event::{Event, EventKind, FieldChange};
pub use goal::Goal;
pub use grants::{DefaultAdditionalManagers, Grants};
pub use id::{
    CalibrationSessionId, CustomRoleId, CycleId, DepartmentId, GoalId, IdSource, NominationId,
    PacketId, PersonId, QuestionId, RandomIds, ReceiptId, ReviewId, SequentialIds, TemplateId,
};
pub use launch::{LaunchInput, Launched, LaunchedCycle, launch, launch_cycle, packet_for};
pub use nomination::Nomination;
pub use notification::{Notification, NotificationKind};
pub use org::{Department, OrgError, OrgSnapshot, Person};
pub use org_log::{OrgChange, OrgEdit, OrgHead};
pub use packet::{KindTally, MAX_CYCLE_ADDITIONAL_MANAGERS, Packet, StepApprover, resolve_step};
pub use progress::{KindProgress, Progress, TeamProgress};
pub use review::Review;
pub use roles::{
    AdminGrant, CustomRole, CycleScope, GrantChange, PeopleScope, Permission, Permissions,
    RoleGrant,
};
pub use template::{AnswerCheck, Question, QuestionKind, Section, Template, Visibility};
pub use vocab::{
    Actor, AssignmentRole, CycleState, LockState, NominationState, PacketState, Period,
    RatingScale, ReminderKind, ReviewKind, ReviewState,
};
