//! Answers to a template's questions, and the checks every answer passes before it is stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::vocab::RatingScale;
use crate::domain::{Error, QuestionId, Result};

/// The longest free-text answer accepted, in characters.
pub const MAX_TEXT_LEN: usize = 20_000;

/// One answer to one question. Which variant a question takes is set by its
/// [`QuestionKind`](crate::domain::QuestionKind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Answer {
    /// Free text (free-text questions, text recommendations).
    Text(String),
    /// A point on the cycle's rating scale (rating and consolidated-rating questions).
    Rating(u8),
    /// A number on a number scale.
    Number(i32),
    /// One option (single choice, choice recommendations).
    Choice(String),
    /// Several options (multiple choice).
    Choices(Vec<String>),
    /// A rating and comment per competency.
    Competencies(BTreeMap<String, CompetencyAnswer>),
    /// A block per goal of the participant.
    Goals(BTreeMap<crate::domain::GoalId, GoalAnswer>),
}

impl Answer {
    /// The answer's type in messages (`text`, `rating`, ...).
    #[must_use]
    pub const fn type_name(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Rating(_) => "rating",
            Self::Number(_) => "number",
            Self::Choice(_) => "choice",
            Self::Choices(_) => "choices",
            Self::Competencies(_) => "competencies",
            Self::Goals(_) => "goals",
        }
    }
}

/// The answer for one competency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CompetencyAnswer {
    /// A point on the cycle's scale, once given.
    pub rating: Option<u8>,
    /// The comment.
    #[serde(default)]
    pub comment: String,
}

/// The answer for one goal: the three reflections of the goals section and a rating.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GoalAnswer {
    /// What went well.
    #[serde(default)]
    pub went_well: String,
    /// What could have been better.
    #[serde(default)]
    pub could_be_better: String,
    /// Key feedback.
    #[serde(default)]
    pub key_feedback: String,
    /// A point on the cycle's scale, once given.
    pub rating: Option<u8>,
}

/// A review's answers, by question.
///
/// In JSON, an object from question to answer. Answers are written under question ids; a
/// client may name a question by its key instead (`{"summary": {"text": "…"}}`), which reads
/// as [`QuestionId::from_key`] of it. A key that parses as a UUID is taken as an id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Answers(BTreeMap<QuestionId, Answer>);

impl<'de> Deserialize<'de> for Answers {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let raw = BTreeMap::<String, Answer>::deserialize(deserializer)?;
        let mut answers = BTreeMap::new();
        for (question, answer) in raw {
            let id = question
                .parse::<QuestionId>()
                .unwrap_or_else(|_| QuestionId::from_key(&question));
            if answers.insert(id, answer).is_some() {
                return Err(serde::de::Error::custom(format!(
                    "question `{question}` is answered twice (by key and by id)"
                )));
            }
        }
        Ok(Self(answers))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Answers {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Answers".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<String, Answer>>::json_schema(generator)
    }
}

impl FromIterator<(QuestionId, Answer)> for Answers {
    fn from_iter<I: IntoIterator<Item = (QuestionId, Answer)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl Answers {
    /// No answers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// With `answer` to `question` (replacing an earlier one).
    #[must_use]
    pub fn with(mut self, question: QuestionId, answer: Answer) -> Self {
        self.0.insert(question, answer);
        self
    }

    /// The answer to `question`.
    #[must_use]
    pub fn get(&self, question: QuestionId) -> Option<&Answer> {
        self.0.get(&question)
    }

    /// Every answer, by question id.
    /// (Build answers from pairs with `Answers::from_iter`.)
    pub fn iter(&self) -> impl Iterator<Item = (QuestionId, &Answer)> {
        self.0.iter().map(|(q, a)| (*q, a))
    }

    /// How many questions are answered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is answered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks the answers without a template: ratings (also inside competency and goal blocks)
    /// on `scale`, texts at most [`MAX_TEXT_LEN`] characters. The error names the question.
    /// With a template, [`Template::validate_answers`](crate::domain::Template::validate_answers)
    /// checks much more.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the question and the problem.
    pub fn validate(&self, scale: &RatingScale) -> Result<()> {
        for (q, a) in &self.0 {
            let name = format!("question `{q}`");
            let rating = |r: u8| crate::domain::answer::check_rating(&name, r, scale);
            let text = |t: &str| crate::domain::answer::check_text(&name, t, MAX_TEXT_LEN);
            match a {
                Answer::Rating(r) => rating(*r)?,
                Answer::Text(t) | Answer::Choice(t) => text(t)?,
                Answer::Number(_) => {}
                Answer::Choices(cs) => cs.iter().try_for_each(|c| text(c))?,
                Answer::Competencies(m) => {
                    for c in m.values() {
                        c.rating.map(rating).transpose()?;
                        text(&c.comment)?;
                    }
                }
                Answer::Goals(m) => {
                    for g in m.values() {
                        g.rating.map(rating).transpose()?;
                        for t in [&g.went_well, &g.could_be_better, &g.key_feedback] {
                            text(t)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn check_rating(name: &str, r: u8, scale: &RatingScale) -> Result<()> {
    if (scale.min..=scale.max).contains(&r) {
        Ok(())
    } else {
        Err(Error::invalid(
            name,
            format!("rating {r} is outside {}–{}", scale.min, scale.max),
        ))
    }
}

pub(crate) fn check_text(name: &str, text: &str, max: usize) -> Result<()> {
    let len = text.chars().count();
    if len > max.min(MAX_TEXT_LEN) {
        Err(Error::invalid(
            name,
            format!("{len} characters is more than {}", max.min(MAX_TEXT_LEN)),
        ))
    } else {
        Ok(())
    }
}
