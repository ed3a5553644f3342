//! The crate's one error type.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::domain::decision::{Explanation, Refusal};
use crate::domain::org::OrgError;

/// Everything that can go wrong in appraise, by meaning.
///
/// Messages are lowercase, without a trailing period, with user values in backticks.
///
/// # For hosts
///
/// Each error has a stable machine-readable [`code`](Self::code) and an HTTP status
/// ([`http_status`](Self::http_status)), says whether running the command again may succeed
/// ([`is_retryable`](Self::is_retryable)), and serialises as
/// `{"code", "status", "message", "retryable", ...}` with the variant's fields:
///
/// | code | status | when |
/// |---|---|---|
/// | `not_found` | 404 | the record does not exist, or the caller has no relation to it |
/// | `denied` | 403 | no relation allows it ([`Refusal::Never`]) |
/// | `not_now` | 409 | the relation is there, the moment is not: not submitted or shared yet, gated, outside the window, locked or closed ([`Refusal::NotNow`]) |
/// | `invalid_transition` | 409 | the record's state does not allow the command (the message says what happened) |
/// | `invalid` | 422 | bad input, naming the field |
/// | `invalid_org` | 422 | org data that cannot form a snapshot |
/// | `locked` | 423 | the cycle is locked |
/// | `conflict` | 409 | a record changed meanwhile; nothing was written; retryable |
/// | `corrupt` | 500 | a stored record does not hold |
/// | `backend` | 503 | storage, notifier or directory failed |
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A record that the request names does not exist.
    #[error("{what} `{id}` not found")]
    NotFound {
        /// What kind of record (`cycle`, `packet`, `review`, ...).
        what: &'static str,
        /// The id that was looked up.
        id: String,
    },
    /// The permission engine refused the action; the explanation says which rule decided.
    #[error("denied: {0}")]
    Denied(Box<Explanation>),
    /// A state machine was asked for a transition its table does not contain. Asked for the
    /// state it is in, the message says so (`cycle is already active`).
    #[error("{}", transition_message(machine, from, to))]
    InvalidTransition {
        /// Which state machine (`cycle`, `packet`, `review`, `nomination`, ...).
        machine: &'static str,
        /// The current state.
        from: &'static str,
        /// The state that was asked for.
        to: &'static str,
    },
    /// Bad input: the field (or question) and what is wrong with it.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field, setting or question at fault.
        field: String,
        /// What is wrong, in words.
        reason: String,
    },
    /// Org data refused when building a snapshot.
    #[error("invalid org data: {0}")]
    Org(#[from] OrgError),
    /// The cycle is locked: every write but `unlock` is refused.
    #[error("cycle `{cycle}` is locked")]
    Locked {
        /// The locked cycle's name.
        cycle: String,
    },
    /// A record changed since it was read (optimistic concurrency); nothing was written.
    #[error("{what} `{id}` was changed by someone else")]
    Conflict {
        /// What kind of record.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A record read back from storage does not hold what the commands keep true (or does not
    /// parse): it was changed outside the crate. Nothing is decided from it.
    #[error("stored {record} is corrupt: {reason}")]
    Corrupt {
        /// The record, as `kind `id``.
        record: String,
        /// What does not hold.
        reason: String,
    },
    /// A storage, notifier or directory backend failed.
    #[error("backend failure")]
    Backend {
        /// The backend's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

fn transition_message(machine: &str, from: &str, to: &str) -> String {
    if from == to {
        format!("{machine} is already {}", from.replace('_', " "))
    } else {
        format!("{machine} cannot go from `{from}` to `{to}`")
    }
}

impl Error {
    /// The stable machine-readable code of this kind of error (see the type's table).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Denied(e) => match e.refusal() {
                Refusal::Never => "denied",
                Refusal::NotNow => "not_now",
            },
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::Invalid { .. } => "invalid",
            Self::Org(_) => "invalid_org",
            Self::Locked { .. } => "locked",
            Self::Conflict { .. } => "conflict",
            Self::Corrupt { .. } => "corrupt",
            Self::Backend { .. } => "backend",
        }
    }

    /// The HTTP status a host's API answers with (see the type's table).
    #[must_use]
    pub fn http_status(&self) -> u16 {
        match self.code() {
            "not_found" => 404,
            "denied" => 403,
            "not_now" | "invalid_transition" | "conflict" => 409,
            "invalid" | "invalid_org" => 422,
            "locked" => 423,
            "corrupt" => 500,
            _ => 503,
        }
    }

    /// Whether running the same command again may succeed: a [`Conflict`](Self::Conflict),
    /// which wrote nothing because a record it relied on changed meanwhile. Refusals will not
    /// change by retrying; a backend failure may have landed, so retry it only under an
    /// idempotency key. See [`retry_conflicts`](crate::retry_conflicts).
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }

    /// Shorthand for [`Error::Invalid`].
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Serialize for Error {
    /// `{"code", "status", "message", "retryable"}`, and the variant's own fields: `what` and
    /// `id` (not found, conflict), `explanation` (denied), `machine`, `from`, `to` (invalid
    /// transition), `field` and `reason` (invalid), `cycle` (locked), `record` and `reason`
    /// (corrupt). A backend's own error is left out: it may hold what a client must not see.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 7)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("status", &self.http_status())?;
        s.serialize_field("message", &self.to_string())?;
        s.serialize_field("retryable", &self.is_retryable())?;
        match self {
            Self::NotFound { what, id } | Self::Conflict { what, id } => {
                s.serialize_field("what", what)?;
                s.serialize_field("id", id)?;
            }
            Self::Denied(e) => s.serialize_field("explanation", e)?,
            Self::InvalidTransition { machine, from, to } => {
                s.serialize_field("machine", machine)?;
                s.serialize_field("from", from)?;
                s.serialize_field("to", to)?;
            }
            Self::Invalid { field, reason } => {
                s.serialize_field("field", field)?;
                s.serialize_field("reason", reason)?;
            }
            Self::Locked { cycle } => s.serialize_field("cycle", cycle)?,
            Self::Corrupt { record, reason } => {
                s.serialize_field("record", record)?;
                s.serialize_field("reason", reason)?;
            }
            Self::Org(_) | Self::Backend { .. } => {}
        }
        s.end()
    }
}
