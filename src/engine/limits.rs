//! Input limits a host can tune: what one command may carry.

use serde::{Deserialize, Serialize};

use crate::{Answers, Error, Result};

/// Limits on what a command may carry, checked before anything is decided or stored. The
/// defaults are generous for people and small for abuse: a review's answers fit in a few
/// hundred kilobytes, a name on one line.
///
/// ```
/// use appraise::{Engine, Limits};
/// let engine = Engine::builder()
///     .limits(Limits { max_answers: 50, ..Limits::default() })
///     .build();
/// # let _ = engine;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Limits {
    /// The most answers one review may hold (default 200).
    pub max_answers: usize,
    /// The most bytes a review's answers may take, as JSON (default 512 KiB).
    pub max_answer_bytes: usize,
    /// The longest name of a cycle, template, calibration session or custom role, in
    /// characters (default 200). Names hold no control characters.
    pub max_name_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_answers: 200,
            max_answer_bytes: 512 * 1024,
            max_name_len: 200,
        }
    }
}

impl Limits {
    /// Checks a review's answers against the count and size limits.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] saying which limit.
    pub fn check_answers(&self, answers: &Answers) -> Result<()> {
        let count = answers.iter().count();
        if count > self.max_answers {
            return Err(Error::invalid(
                "answers",
                format!(
                    "{count} answers; a review holds at most {}",
                    self.max_answers
                ),
            ));
        }
        let bytes = serde_json::to_vec(answers)
            .map_err(|e| Error::invalid("answers", e.to_string()))?
            .len();
        if bytes > self.max_answer_bytes {
            return Err(Error::invalid(
                "answers",
                format!(
                    "{bytes} bytes of answers; a review holds at most {}",
                    self.max_answer_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Checks a name: not empty, at most [`max_name_len`](Self::max_name_len) characters,
    /// no control characters.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming `field`.
    pub fn check_name(&self, field: &'static str, name: &str) -> Result<()> {
        let len = name.chars().count();
        if name.trim().is_empty() {
            return Err(Error::invalid(field, "must not be empty"));
        }
        if len > self.max_name_len {
            return Err(Error::invalid(
                field,
                format!("{len} characters; at most {}", self.max_name_len),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(Error::invalid(field, "must not hold control characters"));
        }
        Ok(())
    }
}
