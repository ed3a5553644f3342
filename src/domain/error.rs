//! The crate's one error type.

use crate::domain::decision::Explanation;
use crate::domain::org::OrgError;

/// Everything that can go wrong in appraise, by meaning.
///
/// Messages are lowercase, without a trailing period, with user values in backticks.
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
    /// A state machine was asked for a transition its table does not contain.
    #[error("{machine} cannot go from `{from}` to `{to}`")]
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

impl Error {
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
