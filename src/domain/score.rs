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

use crate::domain::ReviewKind;
use crate::domain::answer::Answer;
use crate::domain::goal::Goal;
pub use crate::domain::rating::{Band, ConsolidatedRule, ScoreInput, WeightedInput};
use crate::domain::review::Review;
use crate::domain::template::{QuestionKind, Template};
use crate::domain::vocab::ReviewState;
pub use crate::domain::vocab::Score;

/// One input of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// Whether reviews that the reader of this breakdown may not read were left out of this
    /// input (its value, and the result, are then computed without them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
}

/// Which rule produced the consolidated rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScoreSource {
    /// The manager's consolidated-rating answer.
    ManagerChoice,
    /// The cycle's formula.
    Formula,
}

/// How a participant's rating came about: inputs, weights, result, band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
                        withheld: false,
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

/// A packet's score breakdown from `reviews`, by its cycle's consolidation rule and bands,
/// with the templates the cycle froze and the packet's goals and calibrated rating. To score
/// many packets of one cycle, make the [`PerformanceTemplates`] once and call
/// [`PerformanceTemplates::breakdown`].
#[must_use]
pub fn packet_breakdown(
    cycle: &crate::domain::Cycle,
    packet: &crate::domain::Packet,
    reviews: &[&Review],
) -> ScoreBreakdown {
    PerformanceTemplates::of(cycle).breakdown(packet, reviews)
}

/// A cycle's frozen templates as the performance score reads them: without the question the
/// cycle marks as the potential rating, which feeds the 9-box grid only (DOMAIN.md,
/// calibration).
#[derive(Debug, Clone)]
pub struct PerformanceTemplates<'c> {
    cycle: &'c crate::domain::Cycle,
    /// The templates that held the potential question, with it left out.
    stripped: Vec<Template>,
}

impl<'c> PerformanceTemplates<'c> {
    /// The cycle's templates for scoring.
    #[must_use]
    pub fn of(cycle: &'c crate::domain::Cycle) -> Self {
        let potential = cycle
            .settings()
            .potential_question
            .as_deref()
            .map(crate::domain::QuestionId::from_key);
        let stripped = potential.map_or_else(Vec::new, |potential| {
            cycle
                .templates()
                .iter()
                .filter(|t| t.question(potential).is_some())
                .map(|t| {
                    let mut t = t.clone();
                    for section in &mut t.sections {
                        section.questions.retain(|q| q.id() != potential);
                    }
                    t
                })
                .collect()
        });
        Self { cycle, stripped }
    }

    /// A packet of this cycle's score breakdown from `reviews` (see [`packet_breakdown`]).
    #[must_use]
    pub fn breakdown(&self, packet: &crate::domain::Packet, reviews: &[&Review]) -> ScoreBreakdown {
        let settings = self.cycle.settings();
        consolidate(
            &settings.consolidated,
            &settings.bands,
            reviews,
            &|k| self.get(k),
            packet.goals(),
            packet.calibrated(),
        )
    }

    /// The template reviews of `kind` answer, as scoring reads it.
    #[must_use]
    pub fn get(&self, kind: ReviewKind) -> Option<&Template> {
        let frozen = self.cycle.template_for(kind)?;
        Some(
            self.stripped
                .iter()
                .find(|t| t.id == frozen.id)
                .unwrap_or(frozen),
        )
    }
}
