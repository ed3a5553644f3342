//! Consolidated ratings: the manager's choice or a formula, with a breakdown a host can show.
//!
//! # The formula
//!
//! A weighted mean of inputs, weights in whole percent summing to 100:
//!
//! - [`ScoreInput::Kind`]: the mean, over the submitted reviews of that kind, of each review's
//!   mean answer to its **rating** questions (not the consolidated rating, competencies or
//!   goals);
//! - [`ScoreInput::Question`]: the mean of the answers to that rating question, over every
//!   submitted review that answered it;
//! - [`ScoreInput::Section`]: the mean, over every submitted review that answered any of them,
//!   of each review's mean answer to that section's rating questions;
//! - [`ScoreInput::Goals`]: the mean of the goal ratings in reviews of that kind, each goal
//!   weighted by its weight (0 counts as 1);
//! - [`ScoreInput::Competencies`]: the mean of the competency ratings in reviews of that kind.
//!
//! Removed feedback and unsubmitted or cancelled reviews never count.
//!
//! **Missing inputs** (no peer review submitted, say) are left out and the remaining weights
//! re-normalised to 100%: manager 60 / peers 20 / self 20 with no peer review becomes manager
//! 75 / self 25. With no input present there is no score.
//!
//! **Rounding**: the weighted mean is rounded half up to hundredths ([`Score`]); a value within
//! 1e-9 below a half rounds up, so float noise never flips a rounding. **Bands** map a score to
//! the label of the highest band whose lower bound it reaches.
//!
//! A calibrated rating, when set, overrides the consolidated one in the result; both are kept
//! and shown.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::cycle::RatingScale;
use crate::domain::goal::Goal;
use crate::domain::review::{Answer, Review, ReviewState};
use crate::domain::template::{QuestionKind, Template};
use crate::domain::{Error, Result, ReviewKind};

/// A rating with two decimals, stored as hundredths (`Score::from_hundredths(425)` is 4.25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Score(u16);

impl Score {
    /// From hundredths.
    #[must_use]
    pub const fn from_hundredths(h: u16) -> Self {
        Self(h)
    }

    /// A whole point of the scale.
    #[must_use]
    pub const fn from_points(p: u8) -> Self {
        Self(p as u16 * 100)
    }

    /// In hundredths.
    #[must_use]
    pub const fn hundredths(self) -> u16 {
        self.0
    }

    /// As a number.
    #[must_use]
    pub fn value(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// `raw` rounded half up to hundredths (see the module docs), if it is a plausible score.
    #[must_use]
    pub fn round(raw: f64) -> Option<Self> {
        let h = (raw * 100.0 + 0.5 + 1e-9).floor();
        (0.0..=f64::from(u16::MAX))
            .contains(&h)
            .then_some(Self(h as u16))
    }

    /// Whether the score lies on `scale`.
    #[must_use]
    pub fn within(self, scale: &RatingScale) -> bool {
        (u16::from(scale.min) * 100..=u16::from(scale.max) * 100).contains(&self.0)
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// One input of a formula.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct WeightedInput {
    /// What is averaged.
    pub input: ScoreInput,
    /// Its weight, in percent.
    pub weight: u8,
}

/// How the consolidated rating is found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// One input of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputScore {
    /// The input.
    pub input: ScoreInput,
    /// Its declared weight, in percent.
    pub weight: u8,
    /// Its weight after leaving out missing inputs, in percent (0 when missing).
    pub effective_weight: f64,
    /// Its value, when any review contributes.
    pub value: Option<f64>,
    /// How many reviews contribute.
    pub responses: usize,
}

/// Which rule produced the consolidated rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreSource {
    /// The manager's consolidated-rating answer.
    ManagerChoice,
    /// The cycle's formula.
    Formula,
}

/// How a participant's rating came about: inputs, weights, result, band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreBreakdown {
    /// The rule used.
    pub source: ScoreSource,
    /// The formula's inputs (empty for the manager's choice).
    pub inputs: Vec<InputScore>,
    /// The unrounded weighted mean (formula), or the manager's choice.
    pub raw: Option<f64>,
    /// The consolidated rating.
    pub consolidated: Option<Score>,
    /// The calibrated rating, when calibration set one.
    pub calibrated: Option<Score>,
    /// What results show: the calibrated rating if any, else the consolidated one.
    pub result: Option<Score>,
    /// The band of the result.
    pub band: Option<String>,
}

/// The reviews that count: submitted, not removed.
fn counted<'a>(reviews: &'a [&'a Review]) -> impl Iterator<Item = &'a Review> + 'a {
    reviews
        .iter()
        .copied()
        .filter(|r| r.state() == ReviewState::Submitted && !r.is_removed())
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// What one input averages over the counted reviews: `(value, responses)`.
fn input_value<'t>(
    input: &ScoreInput,
    reviews: &[&Review],
    template_for: &dyn Fn(ReviewKind) -> Option<&'t Template>,
    goals: &[Goal],
) -> (Option<f64>, usize) {
    let rating_keys = |kind: ReviewKind| -> Vec<crate::domain::QuestionId> {
        template_for(kind).map_or_else(Vec::new, |t| {
            t.questions()
                .filter(|q| q.kind == QuestionKind::Rating)
                .map(crate::domain::Question::id)
                .collect()
        })
    };
    let mut per_review = Vec::new();
    match input {
        ScoreInput::Kind(kind) => {
            let keys = rating_keys(*kind);
            for r in counted(reviews).filter(|r| r.kind() == *kind) {
                let values: Vec<f64> = keys
                    .iter()
                    .filter_map(|k| match r.answers().get(*k) {
                        Some(Answer::Rating(v)) => Some(f64::from(*v)),
                        _ => None,
                    })
                    .collect();
                if let Some(m) = mean(&values) {
                    per_review.push(m);
                }
            }
        }
        ScoreInput::Question(key) => {
            let id = crate::domain::QuestionId::from_key(key);
            for r in counted(reviews) {
                let is_rating = template_for(r.kind())
                    .and_then(|t| t.question(id))
                    .is_some_and(|q| q.kind == QuestionKind::Rating);
                if let (true, Some(Answer::Rating(v))) = (is_rating, r.answers().get(id)) {
                    per_review.push(f64::from(v.to_owned()));
                }
            }
        }
        ScoreInput::Section(key) => {
            for r in counted(reviews) {
                let Some(section) =
                    template_for(r.kind()).and_then(|t| t.sections.iter().find(|s| s.key == *key))
                else {
                    continue;
                };
                let values: Vec<f64> = section
                    .questions
                    .iter()
                    .filter(|q| q.kind == QuestionKind::Rating && q.is_for(r.kind()))
                    .filter_map(|q| match r.answers().get(q.id()) {
                        Some(Answer::Rating(v)) => Some(f64::from(*v)),
                        _ => None,
                    })
                    .collect();
                if let Some(m) = mean(&values) {
                    per_review.push(m);
                }
            }
        }
        ScoreInput::Goals(kind) => {
            let weight = |g: &crate::domain::GoalId| {
                goals
                    .iter()
                    .find(|goal| goal.id == *g)
                    .map_or(1.0, |goal| f64::from(goal.weight.max(1)))
            };
            let (mut sum, mut total) = (0.0, 0.0);
            for r in counted(reviews).filter(|r| r.kind() == *kind) {
                let mut rated = false;
                for (_, a) in r.answers().iter() {
                    if let Answer::Goals(map) = a {
                        for (g, ga) in map {
                            if let Some(v) = ga.rating {
                                sum += weight(g) * f64::from(v);
                                total += weight(g);
                                rated = true;
                            }
                        }
                    }
                }
                if rated {
                    per_review.push(0.0); // counts responses; the value is the weighted total
                }
            }
            let responses = per_review.len();
            return ((total > 0.0).then(|| sum / total), responses);
        }
        ScoreInput::Competencies(kind) => {
            let mut values = Vec::new();
            let mut responses = 0;
            for r in counted(reviews).filter(|r| r.kind() == *kind) {
                let before = values.len();
                for (_, a) in r.answers().iter() {
                    if let Answer::Competencies(map) = a {
                        values.extend(map.values().filter_map(|c| c.rating).map(f64::from));
                    }
                }
                responses += usize::from(values.len() > before);
            }
            return (mean(&values), responses);
        }
    }
    (mean(&per_review), per_review.len())
}

/// The value of one formula input over `reviews` (see the module docs), if any review
/// contributes: what the breakdown shows per input, and the results export per kind.
#[must_use]
pub fn input_mean<'t>(
    input: &ScoreInput,
    reviews: &[&Review],
    template_for: &dyn Fn(ReviewKind) -> Option<&'t Template>,
    goals: &[Goal],
) -> Option<f64> {
    input_value(input, reviews, template_for, goals).0
}

/// Consolidates a participant's rating from their reviews (see the module docs).
///
/// `reviews` are the participant's reviews in the cycle (any state: only submitted, non-removed
/// ones count); `template_for` gives the template each kind answered; `goals` are the
/// participant's goals (their weights).
#[must_use]
pub fn consolidate<'t>(
    rule: &ConsolidatedRule,
    bands: &[Band],
    reviews: &[&Review],
    template_for: &dyn Fn(ReviewKind) -> Option<&'t Template>,
    goals: &[Goal],
    calibrated: Option<Score>,
) -> ScoreBreakdown {
    let (source, inputs, raw) = match rule {
        ConsolidatedRule::ManagerChoice => {
            let choice = counted(reviews)
                .filter(|r| r.kind() == ReviewKind::Manager)
                .find_map(|r| {
                    let t = template_for(ReviewKind::Manager)?;
                    let q = t
                        .questions()
                        .find(|q| q.kind == QuestionKind::ConsolidatedRating)?;
                    match r.answers().get(q.id()) {
                        Some(Answer::Rating(v)) => Some(f64::from(*v)),
                        _ => None,
                    }
                });
            (ScoreSource::ManagerChoice, Vec::new(), choice)
        }
        ConsolidatedRule::Formula(weighted) => {
            let mut inputs: Vec<InputScore> = weighted
                .iter()
                .map(|w| {
                    let (value, responses) = input_value(&w.input, reviews, template_for, goals);
                    InputScore {
                        input: w.input.clone(),
                        weight: w.weight,
                        effective_weight: 0.0,
                        value,
                        responses,
                    }
                })
                .collect();
            let present: f64 = inputs
                .iter()
                .filter(|i| i.value.is_some())
                .map(|i| f64::from(i.weight))
                .sum();
            let mut raw = None;
            if present > 0.0 {
                let mut sum = 0.0;
                for i in &mut inputs {
                    if let Some(v) = i.value {
                        i.effective_weight = f64::from(i.weight) * 100.0 / present;
                        sum += v * f64::from(i.weight) / present;
                    }
                }
                raw = Some(sum);
            }
            (ScoreSource::Formula, inputs, raw)
        }
    };
    let consolidated = raw.and_then(Score::round);
    let result = calibrated.or(consolidated);
    ScoreBreakdown {
        source,
        inputs,
        raw,
        consolidated,
        calibrated,
        result,
        band: result
            .and_then(|s| Band::label_of(bands, s))
            .map(str::to_owned),
    }
}

impl fmt::Display for ScoreBreakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            ScoreSource::ManagerChoice => writeln!(f, "consolidated rating: the manager's choice")?,
            ScoreSource::Formula => {
                writeln!(f, "consolidated rating: formula")?;
                writeln!(
                    f,
                    "  {:<28} {:>6} {:>9} {:>6} {:>9}",
                    "input", "weight", "effective", "value", "responses"
                )?;
                for i in &self.inputs {
                    let value = i
                        .value
                        .map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"));
                    writeln!(
                        f,
                        "  {:<28} {:>5}% {:>8.1}% {:>6} {:>9}",
                        i.input.to_string(),
                        i.weight,
                        i.effective_weight,
                        value,
                        i.responses
                    )?;
                }
            }
        }
        let show = |s: Option<Score>| s.map_or_else(|| "none".to_owned(), |s| s.to_string());
        if let Some(raw) = self.raw {
            writeln!(
                f,
                "  raw {raw:.4} → consolidated {}",
                show(self.consolidated)
            )?;
        } else {
            writeln!(f, "  no input yet: no consolidated rating")?;
        }
        if self.calibrated.is_some() {
            writeln!(
                f,
                "  calibrated {} (overrides the consolidated rating)",
                show(self.calibrated)
            )?;
        }
        write!(f, "  result {}", show(self.result))?;
        if let Some(band) = &self.band {
            write!(f, " \"{band}\"")?;
        }
        writeln!(f)
    }
}
