//! Question templates: ordered sections of questions, and the validation of answers.
//!
//! A question says which review kinds answer it, whether it is required, and whether the
//! subject sees its answer once results are shared ([`Visibility`]). One template can serve
//! every kind (each kind answers its own questions), or a cycle can give each kind its own.
//!
//! Questions are named by a key (`q3`, `growth`) unique in the template; their
//! [`QuestionId`] is derived from it, and every error names it:
//! `invalid question `q3`: rating 7 is outside 1–5`.
//!
//! Answer validation comes in two strengths: saving a draft checks types and ranges; submitting
//! also checks that every required question is answered (and that multiple-choice minimums,
//! every competency and every goal are rated where required). Nothing invalid is stored.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::answer::{Answer, Answers, MAX_TEXT_LEN};
use crate::domain::answer::{check_rating, check_text};
use crate::domain::goal::Goal;
use crate::domain::{Error, QuestionId, RatingScale, Result, ReviewKind, TemplateId};

/// What a question asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum QuestionKind {
    /// Free text, at most `max_len` characters (and never more than [`MAX_TEXT_LEN`]).
    FreeText {
        /// The longest answer accepted.
        max_len: Option<u32>,
    },
    /// A point on the cycle's rating scale.
    Rating,
    /// A whole number from `min` to `max` in steps of `step`.
    NumberScale {
        /// Lowest.
        min: i32,
        /// Highest.
        max: i32,
        /// Step from `min`.
        step: u32,
    },
    /// One of the options.
    SingleChoice {
        /// The options.
        options: Vec<String>,
    },
    /// Between `min` and `max` of the options.
    MultipleChoice {
        /// The options.
        options: Vec<String>,
        /// Fewest choices on submit.
        min: u8,
        /// Most choices.
        max: u8,
    },
    /// A rating and a comment per named competency.
    Competency {
        /// The competencies.
        competencies: Vec<String>,
    },
    /// The goals section: per goal the participant owned in the period, "went well", "could
    /// have been better", "key feedback" and a rating.
    Goals,
    /// The manager's consolidated rating (a point on the scale); ends the manager's template.
    ConsolidatedRating,
    /// The manager's recommendation: one of `options`, or free text when there are none.
    Recommendation {
        /// The options (empty: free text).
        options: Vec<String>,
    },
}

impl QuestionKind {
    /// The kind's name in renderings (`free text`, `rating`, ...).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::FreeText { .. } => "free text",
            Self::Rating => "rating",
            Self::NumberScale { .. } => "number scale",
            Self::SingleChoice { .. } => "single choice",
            Self::MultipleChoice { .. } => "multiple choice",
            Self::Competency { .. } => "competency",
            Self::Goals => "goals",
            Self::ConsolidatedRating => "consolidated rating",
            Self::Recommendation { .. } => "recommendation",
        }
    }
}

/// Who sees an answer once results are shared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The subject sees it too.
    #[default]
    SharedWithSubject,
    /// Only managers, approvers and admins (everyone R-READ lets read the review, but the
    /// subject).
    Private,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Question {
    /// Unique in the template; names the question in messages.
    pub key: String,
    /// The question as shown.
    pub text: String,
    /// What it asks for.
    pub kind: QuestionKind,
    /// The review kinds that answer it.
    pub answered_by: Vec<ReviewKind>,
    /// Whether submitting needs an answer.
    pub required: bool,
    /// Who sees the answer once shared.
    pub visibility: Visibility,
}

impl Question {
    /// A question answered by every kind, optional, shared with the subject.
    #[must_use]
    pub fn new(key: impl Into<String>, text: impl Into<String>, kind: QuestionKind) -> Self {
        Self {
            key: key.into(),
            text: text.into(),
            kind,
            answered_by: ReviewKind::ALL.to_vec(),
            required: false,
            visibility: Visibility::SharedWithSubject,
        }
    }

    /// Only these kinds answer it.
    #[must_use]
    pub fn answered_by(mut self, kinds: impl IntoIterator<Item = ReviewKind>) -> Self {
        self.answered_by = kinds.into_iter().collect();
        self
    }

    /// Submitting needs an answer.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The subject never sees the answer.
    #[must_use]
    pub fn private(mut self) -> Self {
        self.visibility = Visibility::Private;
        self
    }

    /// The id answers are stored under (derived from the key).
    #[must_use]
    pub fn id(&self) -> QuestionId {
        QuestionId::from_key(&self.key)
    }

    /// Whether reviews of `kind` answer it.
    #[must_use]
    pub fn is_for(&self, kind: ReviewKind) -> bool {
        self.answered_by.contains(&kind)
    }

    fn name(&self) -> String {
        format!("question `{}`", self.key)
    }
}

/// A titled group of questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Section {
    /// Unique in the template.
    pub key: String,
    /// Shown as the section's heading.
    pub title: String,
    /// Its questions, in order.
    pub questions: Vec<Question>,
}

impl Section {
    /// An empty section.
    #[must_use]
    pub fn new(key: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            title: title.into(),
            questions: Vec::new(),
        }
    }

    /// With one more question.
    #[must_use]
    pub fn question(mut self, question: Question) -> Self {
        self.questions.push(question);
        self
    }
}

/// A question template.
///
/// Reading one from JSON runs [`Template::validate`]: an invalid template is a
/// deserialisation error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(remote = "Self")]
pub struct Template {
    /// Id.
    pub id: TemplateId,
    /// Display name.
    pub name: String,
    /// Sections, in order.
    pub sections: Vec<Section>,
}

crate::domain::checked::checked_serde!(Template, Template::validate);

/// What answers are checked against besides the template.
#[derive(Debug, Clone, Copy)]
pub struct AnswerCheck<'a> {
    /// The kind of the review answered.
    pub kind: ReviewKind,
    /// The cycle's rating scale.
    pub scale: &'a RatingScale,
    /// The participant's goals (for the goals section).
    pub goals: &'a [Goal],
    /// Submitting (also checks required answers) or saving a draft.
    pub submitting: bool,
}

fn unique_non_empty(name: &str, what: &str, items: &[String]) -> Result<()> {
    if items.is_empty() {
        return Err(Error::invalid(name, format!("has no {what}")));
    }
    let mut seen = BTreeSet::new();
    for item in items {
        if item.trim().is_empty() {
            return Err(Error::invalid(name, format!("has an empty {what}")));
        }
        if !seen.insert(item.as_str()) {
            return Err(Error::invalid(name, format!("lists {what} `{item}` twice")));
        }
    }
    Ok(())
}

impl Template {
    /// An empty template.
    #[must_use]
    pub fn new(id: TemplateId, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            sections: Vec::new(),
        }
    }

    /// With one more section.
    #[must_use]
    pub fn section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }

    /// Every question, in order.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    /// The question with this id.
    #[must_use]
    pub fn question(&self, id: QuestionId) -> Option<&Question> {
        self.questions().find(|q| q.id() == id)
    }

    /// The question with this key.
    #[must_use]
    pub fn question_by_key(&self, key: &str) -> Option<&Question> {
        self.questions().find(|q| q.key == key)
    }

    /// Checks the template: a name; section and question keys present and unique; every
    /// section non-empty; every question answered by some kind; choices non-empty and unique;
    /// multiple-choice bounds within the options; number scales with `min < max`, a positive
    /// step that divides the range; competencies non-empty and unique; at most one
    /// consolidated rating; and when managers answer the template, its last section holds the
    /// consolidated rating and the recommendation, both answered by the manager. Errors name
    /// the question or section.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the question, section or template.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid("template name", "must not be empty"));
        }
        if self.sections.is_empty() {
            return Err(Error::invalid(
                format!("template `{}`", self.name),
                "has no section",
            ));
        }
        let mut section_keys = BTreeSet::new();
        let mut question_keys = BTreeSet::new();
        let mut consolidated = 0;
        for section in &self.sections {
            let sname = format!("section `{}`", section.key);
            if section.key.trim().is_empty() {
                return Err(Error::invalid("section", "a section has an empty key"));
            }
            if !section_keys.insert(section.key.as_str()) {
                return Err(Error::invalid(sname, "the key is used twice"));
            }
            if section.questions.is_empty() {
                return Err(Error::invalid(sname, "has no question"));
            }
            for q in &section.questions {
                let name = q.name();
                if q.key.trim().is_empty() {
                    return Err(Error::invalid(sname, "a question has an empty key"));
                }
                if !question_keys.insert(q.key.as_str()) {
                    return Err(Error::invalid(name, "the key is used twice"));
                }
                if q.answered_by.is_empty() {
                    return Err(Error::invalid(name, "no review kind answers it"));
                }
                match &q.kind {
                    QuestionKind::FreeText { max_len: Some(0) } => {
                        return Err(Error::invalid(name, "`max_len` must be at least 1"));
                    }
                    QuestionKind::NumberScale { min, max, step } => {
                        if min >= max {
                            return Err(Error::invalid(
                                name,
                                format!("min {min} is not below max {max}"),
                            ));
                        }
                        let range = i64::from(*max) - i64::from(*min);
                        if *step == 0 || range % i64::from(*step) != 0 {
                            return Err(Error::invalid(
                                name,
                                format!("step {step} does not divide {min}–{max}"),
                            ));
                        }
                    }
                    QuestionKind::SingleChoice { options } => {
                        unique_non_empty(&name, "option", options)?
                    }
                    QuestionKind::MultipleChoice { options, min, max } => {
                        unique_non_empty(&name, "option", options)?;
                        if min > max || usize::from(*max) > options.len() || *max == 0 {
                            return Err(Error::invalid(
                                name,
                                format!("{min}–{max} choices of {} options", options.len()),
                            ));
                        }
                    }
                    QuestionKind::Competency { competencies } => {
                        unique_non_empty(&name, "competency", competencies)?;
                    }
                    QuestionKind::Recommendation { options } if !options.is_empty() => {
                        unique_non_empty(&name, "option", options)?;
                    }
                    QuestionKind::ConsolidatedRating => consolidated += 1,
                    _ => {}
                }
            }
        }
        if consolidated > 1 {
            return Err(Error::invalid(
                format!("template `{}`", self.name),
                "has more than one consolidated rating",
            ));
        }
        let managers_answer = self.questions().any(|q| q.is_for(ReviewKind::Manager));
        if managers_answer {
            let last = self
                .sections
                .last()
                .map_or(&[][..], |s| s.questions.as_slice());
            let ends_with = |pred: &dyn Fn(&QuestionKind) -> bool| {
                last.iter()
                    .any(|q| pred(&q.kind) && q.answered_by == [ReviewKind::Manager])
            };
            if !ends_with(&|k| matches!(k, QuestionKind::ConsolidatedRating))
                || !ends_with(&|k| matches!(k, QuestionKind::Recommendation { .. }))
            {
                return Err(Error::invalid(
                    format!("template `{}`", self.name),
                    "managers answer it, so its last section must hold the consolidated rating and the recommendation, answered by the manager",
                ));
            }
        }
        Ok(())
    }

    /// Checks answers of a review of `check.kind` against the template (see the module docs).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the question and the problem.
    pub fn validate_answers(&self, answers: &Answers, check: &AnswerCheck<'_>) -> Result<()> {
        for (id, answer) in answers.iter() {
            let Some(q) = self.question(id) else {
                return Err(Error::invalid(
                    "answer",
                    format!("`{id}` is not a question of template `{}`", self.name),
                ));
            };
            if !q.is_for(check.kind) {
                return Err(Error::invalid(
                    q.name(),
                    format!("{} reviews do not answer it", check.kind),
                ));
            }
            check_answer(q, answer, check)?;
        }
        if check.submitting {
            for q in self
                .questions()
                .filter(|q| q.required && q.is_for(check.kind))
            {
                let missing = match answers.get(q.id()) {
                    None => true,
                    Some(Answer::Text(t)) => t.trim().is_empty(),
                    Some(_) => false,
                };
                if missing {
                    return Err(Error::invalid(q.name(), "is required"));
                }
            }
        }
        Ok(())
    }
}

fn wrong_type(q: &Question, answer: &Answer) -> Error {
    Error::invalid(
        q.name(),
        format!(
            "a {} question cannot take a {} answer",
            q.kind.name(),
            answer.type_name()
        ),
    )
}

fn check_answer(q: &Question, answer: &Answer, check: &AnswerCheck<'_>) -> Result<()> {
    let name = q.name();
    let text = |t: &str, max: usize| check_text(&name, t, max);
    let rating = |r: u8| check_rating(&name, r, check.scale);
    match (&q.kind, answer) {
        (QuestionKind::FreeText { max_len }, Answer::Text(t)) => {
            text(t, max_len.map_or(MAX_TEXT_LEN, |m| m as usize))
        }
        (QuestionKind::Rating | QuestionKind::ConsolidatedRating, Answer::Rating(r)) => rating(*r),
        (QuestionKind::NumberScale { min, max, step }, Answer::Number(n)) => {
            let off_step = (i64::from(*n) - i64::from(*min)) % i64::from((*step).max(1)) != 0;
            if n < min || n > max || off_step {
                Err(Error::invalid(
                    name,
                    format!("{n} is not on the scale {min}–{max} in steps of {step}"),
                ))
            } else {
                Ok(())
            }
        }
        (QuestionKind::SingleChoice { options }, Answer::Choice(c))
        | (QuestionKind::Recommendation { options }, Answer::Choice(c))
            if !options.is_empty() =>
        {
            if options.contains(c) {
                Ok(())
            } else {
                Err(Error::invalid(name, format!("`{c}` is not an option")))
            }
        }
        (QuestionKind::Recommendation { options }, Answer::Text(t)) if options.is_empty() => {
            text(t, MAX_TEXT_LEN)
        }
        (QuestionKind::MultipleChoice { options, min, max }, Answer::Choices(cs)) => {
            let mut seen = BTreeSet::new();
            for c in cs {
                if !options.contains(c) {
                    return Err(Error::invalid(name, format!("`{c}` is not an option")));
                }
                if !seen.insert(c) {
                    return Err(Error::invalid(name, format!("`{c}` is chosen twice")));
                }
            }
            if cs.len() > usize::from(*max) {
                return Err(Error::invalid(
                    name,
                    format!("{} choices, at most {max}", cs.len()),
                ));
            }
            if check.submitting && cs.len() < usize::from(*min) {
                return Err(Error::invalid(
                    name,
                    format!("{} choices, at least {min}", cs.len()),
                ));
            }
            Ok(())
        }
        (QuestionKind::Competency { competencies }, Answer::Competencies(map)) => {
            for (c, a) in map {
                if !competencies.contains(c) {
                    return Err(Error::invalid(
                        name,
                        format!("`{c}` is not a competency of it"),
                    ));
                }
                a.rating.map(rating).transpose()?;
                text(&a.comment, MAX_TEXT_LEN)?;
            }
            if check.submitting && q.required {
                if let Some(c) = competencies
                    .iter()
                    .find(|c| map.get(*c).and_then(|a| a.rating).is_none())
                {
                    return Err(Error::invalid(
                        name,
                        format!("competency `{c}` has no rating"),
                    ));
                }
            }
            Ok(())
        }
        (QuestionKind::Goals, Answer::Goals(map)) => {
            for (g, a) in map {
                if !check.goals.iter().any(|goal| goal.id == *g) {
                    return Err(Error::invalid(
                        name,
                        format!("goal `{g}` is not one of the participant's"),
                    ));
                }
                a.rating.map(rating).transpose()?;
                for t in [&a.went_well, &a.could_be_better, &a.key_feedback] {
                    text(t, MAX_TEXT_LEN)?;
                }
            }
            if check.submitting && q.required {
                if let Some(goal) = check
                    .goals
                    .iter()
                    .find(|g| map.get(&g.id).and_then(|a| a.rating).is_none())
                {
                    return Err(Error::invalid(
                        name,
                        format!("goal `{}` has no rating", goal.title),
                    ));
                }
            }
            Ok(())
        }
        _ => Err(wrong_type(q, answer)),
    }
}

fn kinds(kinds: &[ReviewKind]) -> String {
    if kinds.len() == ReviewKind::ALL.len() {
        return "everyone".to_owned();
    }
    kinds
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Template {
    /// A plain-text rendering: sections, questions, kinds, answerers, flags.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "template `{}`", self.name)?;
        for (i, s) in self.sections.iter().enumerate() {
            writeln!(f, "{}. {} [{}]", i + 1, s.title, s.key)?;
            for q in &s.questions {
                let mut detail = q.kind.name().to_owned();
                match &q.kind {
                    QuestionKind::FreeText { max_len: Some(m) } => detail += &format!(" ≤{m}"),
                    QuestionKind::NumberScale { min, max, step } => {
                        detail += &format!(" {min}–{max} step {step}");
                    }
                    QuestionKind::SingleChoice { options }
                    | QuestionKind::Recommendation { options }
                        if !options.is_empty() =>
                    {
                        detail += &format!(": {}", options.join(" / "));
                    }
                    QuestionKind::MultipleChoice { options, min, max } => {
                        detail += &format!(" ({min}–{max}): {}", options.join(" / "));
                    }
                    QuestionKind::Competency { competencies } => {
                        detail += &format!(": {}", competencies.join(", "));
                    }
                    _ => {}
                }
                writeln!(
                    f,
                    "   - {} `{}`: {} | {} | {}{}",
                    q.text,
                    q.key,
                    detail,
                    kinds(&q.answered_by),
                    if q.required { "required" } else { "optional" },
                    if q.visibility == Visibility::Private {
                        " | private"
                    } else {
                        ""
                    },
                )?;
            }
        }
        Ok(())
    }
}
