//! How a cycle turns reviews into one rating: the inputs, the consolidation rule and the
//! labelled bands. Settings only; the computation is in [`score`](crate::score).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::template::{QuestionKind, Template};
use crate::domain::vocab::{RatingScale, ReviewKind, Score};
use crate::domain::{Error, Result};

/// One input of a formula.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "input", content = "of")]
pub enum ScoreInput {
    /// The reviews of a kind (their rating questions).
    Kind(ReviewKind),
    /// One rating question, by key.
    Question(String),
    /// The rating questions of one section, by key.
    Section(String),
    /// Goal ratings in reviews of a kind.
    Goals(ReviewKind),
    /// Competency ratings in reviews of a kind.
    Competencies(ReviewKind),
}

impl fmt::Display for ScoreInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kind(k) => write!(f, "{k} reviews"),
            Self::Question(q) => write!(f, "question `{q}`"),
            Self::Section(s) => write!(f, "section `{s}`"),
            Self::Goals(k) => write!(f, "goals ({k})"),
            Self::Competencies(k) => write!(f, "competencies ({k})"),
        }
    }
}

/// An input with its weight in percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WeightedInput {
    /// What is averaged.
    pub input: ScoreInput,
    /// Its weight, in percent.
    pub weight: u8,
}

/// How the consolidated rating is found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "rule", content = "inputs")]
pub enum ConsolidatedRule {
    /// The manager's answer to the consolidated-rating question. The default.
    #[default]
    ManagerChoice,
    /// A weighted mean of inputs (see the module docs).
    Formula(Vec<WeightedInput>),
}

impl ConsolidatedRule {
    /// Checks the weights: every weight positive, summing to 100, no input twice.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the formula.
    pub fn validate(&self) -> Result<()> {
        let Self::Formula(inputs) = self else {
            return Ok(());
        };
        if inputs.is_empty() {
            return Err(Error::invalid("formula", "has no input"));
        }
        for (i, w) in inputs.iter().enumerate() {
            if w.weight == 0 {
                return Err(Error::invalid(
                    "formula",
                    format!("{} has weight 0", w.input),
                ));
            }
            if inputs[..i].iter().any(|o| o.input == w.input) {
                return Err(Error::invalid(
                    "formula",
                    format!("{} is listed twice", w.input),
                ));
            }
        }
        let total: u32 = inputs.iter().map(|w| u32::from(w.weight)).sum();
        if total != 100 {
            return Err(Error::invalid(
                "formula",
                format!("weights sum to {total}%, not 100%"),
            ));
        }
        Ok(())
    }

    /// Checks that every input refers to something the templates ask: a rating question of
    /// that key, a goals or competency question answered by that kind, a rating question
    /// answered by that kind. The manager's choice needs a consolidated-rating question.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the input.
    pub fn check_references(&self, templates: &[Template]) -> Result<()> {
        let questions = || templates.iter().flat_map(Template::questions);
        let has = |pred: &dyn Fn(&crate::domain::Question) -> bool| questions().any(pred);
        let inputs = match self {
            Self::ManagerChoice => {
                if !templates.is_empty() && !has(&|q| q.kind == QuestionKind::ConsolidatedRating) {
                    return Err(Error::invalid(
                        "consolidated rating",
                        "the manager's choice needs a consolidated-rating question in a template",
                    ));
                }
                return Ok(());
            }
            Self::Formula(inputs) => inputs,
        };
        for w in inputs {
            let found = match &w.input {
                ScoreInput::Kind(k) => has(&|q| q.kind == QuestionKind::Rating && q.is_for(*k)),
                ScoreInput::Question(key) => {
                    has(&|q| q.key == *key && q.kind == QuestionKind::Rating)
                }
                ScoreInput::Section(key) => templates.iter().any(|t| {
                    t.sections.iter().any(|s| {
                        s.key == *key && s.questions.iter().any(|q| q.kind == QuestionKind::Rating)
                    })
                }),
                ScoreInput::Goals(k) => has(&|q| q.kind == QuestionKind::Goals && q.is_for(*k)),
                ScoreInput::Competencies(k) => {
                    has(&|q| matches!(q.kind, QuestionKind::Competency { .. }) && q.is_for(*k))
                }
            };
            if !found {
                return Err(Error::invalid(
                    "formula",
                    format!("{} refers to no question of the cycle's templates", w.input),
                ));
            }
        }
        Ok(())
    }
}

/// A labelled band: scores from `from` up to the next band's `from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Band {
    /// The lowest score in the band.
    pub from: Score,
    /// Its label.
    pub label: String,
}

impl Band {
    /// A band from `from_hundredths`.
    #[must_use]
    pub fn new(from_hundredths: u16, label: impl Into<String>) -> Self {
        Self {
            from: Score::from_hundredths(from_hundredths),
            label: label.into(),
        }
    }

    /// The default bands of the 1–5 scale: 1.00 needs improvement, 2.00 partially meets,
    /// 3.00 meets, 4.00 exceeds, 4.50 exceptional.
    #[must_use]
    pub fn defaults() -> Vec<Band> {
        vec![
            Band::new(100, "needs improvement"),
            Band::new(200, "partially meets"),
            Band::new(300, "meets"),
            Band::new(400, "exceeds"),
            Band::new(450, "exceptional"),
        ]
    }

    /// Checks bands against the scale: strictly ascending, the first at the scale's minimum,
    /// all on the scale, labels non-empty. No bands at all is allowed (no labels).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the band.
    pub fn validate(bands: &[Band], scale: &RatingScale) -> Result<()> {
        let Some(first) = bands.first() else {
            return Ok(());
        };
        if first.from != Score::from_points(scale.min) {
            return Err(Error::invalid(
                "bands",
                format!(
                    "the first band starts at {}, not at the scale's {}",
                    first.from, scale.min
                ),
            ));
        }
        for (i, b) in bands.iter().enumerate() {
            if b.label.trim().is_empty() {
                return Err(Error::invalid(
                    "bands",
                    format!("the band from {} has no label", b.from),
                ));
            }
            if !b.from.within(scale) {
                return Err(Error::invalid(
                    "bands",
                    format!("{} is off the scale", b.from),
                ));
            }
            if i > 0 && bands[i - 1].from >= b.from {
                return Err(Error::invalid(
                    "bands",
                    format!("{} does not ascend", b.from),
                ));
            }
        }
        Ok(())
    }

    /// The label of `score`'s band.
    #[must_use]
    pub fn label_of(bands: &[Band], score: Score) -> Option<&str> {
        bands
            .iter()
            .rev()
            .find(|b| b.from <= score)
            .map(|b| b.label.as_str())
    }
}
