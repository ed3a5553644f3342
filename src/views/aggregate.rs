//! "View all peer responses": an aggregated view of one participant's peer (or upward)
//! reviews, per question.
//!
//! The view is built **only from reviews the viewer may read** (R-READ), so the subject gets
//! nothing below the anonymity threshold, nothing of removed feedback, and nothing before
//! results are shared. Authors are named only where the decision lets the viewer see them:
//! DOMAIN.md decides that anonymity hides the author from the subject only, so managers,
//! admins and other allowed readers see names, the subject never sees them for an anonymous
//! kind. Answers to private questions are left out of the subject's view. When authors are
//! hidden, each question's text responses are sorted by their text, so their order cannot link
//! one person's answers across questions.

use serde::{Deserialize, Serialize};

use crate::access::{Action, Context, Target, decide, sees_private_answers};
use crate::domain::answer::Answer;
use crate::domain::review::Review;
use crate::domain::template::{QuestionKind, Template, Visibility};
use crate::{Packet, PersonId, RatingScale, ReviewKind};

/// Ratings of one question (or competency).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RatingSummary {
    /// How many ratings.
    pub count: usize,
    /// Their mean.
    pub mean: f64,
    /// The lowest.
    pub min: u8,
    /// The highest.
    pub max: u8,
    /// How many at each point of the scale, lowest first.
    pub per_point: Vec<(u8, usize)>,
}

impl RatingSummary {
    fn of(values: &[u8], scale: &RatingScale) -> Option<Self> {
        let min = *values.iter().min()?;
        let max = *values.iter().max()?;
        let sum: f64 = values.iter().map(|v| f64::from(*v)).sum();
        Some(Self {
            count: values.len(),
            mean: sum / values.len() as f64,
            min,
            max,
            per_point: (scale.min..=scale.max)
                .map(|p| (p, values.iter().filter(|v| **v == p).count()))
                .collect(),
        })
    }
}

/// Number-scale answers of one question, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NumberSummary {
    /// How many answers.
    pub count: usize,
    /// Their mean.
    pub mean: f64,
    /// The lowest.
    pub min: i32,
    /// The highest.
    pub max: i32,
    /// How many answers gave each value, lowest first (values nobody gave left out).
    pub distribution: Vec<(i32, usize)>,
}

impl NumberSummary {
    fn of(values: &[i32]) -> Option<Self> {
        let min = *values.iter().min()?;
        let max = *values.iter().max()?;
        let sum: f64 = values.iter().map(|v| f64::from(*v)).sum();
        let mut distribution: Vec<(i32, usize)> = Vec::new();
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        for v in sorted {
            match distribution.last_mut() {
                Some((last, n)) if *last == v => *n += 1,
                _ => distribution.push((v, 1)),
            }
        }
        Some(Self {
            count: values.len(),
            mean: sum / values.len() as f64,
            min,
            max,
            distribution,
        })
    }
}

/// One text response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TextResponse {
    /// The author, when the viewer may see them.
    pub author: Option<PersonId>,
    /// The author's name, when the viewer may see them.
    pub author_name: Option<String>,
    /// The text.
    pub text: String,
}

/// One question's responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QuestionSummary {
    /// The question's key.
    pub key: String,
    /// The question.
    pub text: String,
    /// How many readable reviews answered it.
    pub answered: usize,
    /// For rating questions.
    pub ratings: Option<RatingSummary>,
    /// For number-scale questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbers: Option<NumberSummary>,
    /// For choice questions: how often each option was chosen.
    pub choices: Vec<(String, usize)>,
    /// For competency questions: ratings per competency.
    pub competencies: Vec<(String, Option<RatingSummary>)>,
    /// For text questions (and competency comments): the responses.
    pub texts: Vec<TextResponse>,
}

/// The aggregated view of one participant's reviews of one kind, as one viewer may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AggregatedView {
    /// The participant.
    pub subject: PersonId,
    /// Peer or upward.
    pub kind: ReviewKind,
    /// How many reviews the view is built from (those the viewer may read).
    pub responses: usize,
    /// Per question of the template that this kind answers.
    pub questions: Vec<QuestionSummary>,
}

/// Builds the view for `viewer` from `reviews` (the participant's reviews; other kinds and
/// reviews the viewer may not read are skipped).
#[must_use]
pub fn aggregate(
    ctx: &Context<'_>,
    viewer: PersonId,
    packet: &Packet,
    reviews: &[Review],
    kind: ReviewKind,
    template: &Template,
    scale: &RatingScale,
) -> AggregatedView {
    // Each readable review, whether its author is hidden from the viewer, and whether the
    // viewer receives its private answers.
    let readable: Vec<(&Review, bool, bool)> = reviews
        .iter()
        .filter(|r| r.kind() == kind && r.packet() == packet.id())
        .filter_map(|r| {
            let d = decide(ctx, viewer, Action::ReadReview, Target::Review(packet, r));
            d.is_allowed()
                .then_some((r, d.author_hidden(), sees_private_answers(&d)))
        })
        .collect();
    let name = |id: PersonId| ctx.snapshot.and_then(|s| s.name(id)).map(str::to_owned);
    let mut questions = Vec::new();
    for q in template.questions().filter(|q| q.is_for(kind)) {
        let private = q.visibility == Visibility::Private;
        if private && !readable.iter().any(|(_, _, sees)| *sees) {
            continue;
        }
        let id = q.id();
        let mut summary = QuestionSummary {
            key: q.key.clone(),
            text: q.text.clone(),
            answered: 0,
            ratings: None,
            numbers: None,
            choices: Vec::new(),
            competencies: Vec::new(),
            texts: Vec::new(),
        };
        let mut ratings = Vec::new();
        let mut numbers = Vec::new();
        let mut hidden_any = false;
        let mut per_competency: Vec<(String, Vec<u8>)> = match &q.kind {
            QuestionKind::Competency { competencies } => competencies
                .iter()
                .map(|c| (c.clone(), Vec::new()))
                .collect(),
            _ => Vec::new(),
        };
        if let QuestionKind::SingleChoice { options }
        | QuestionKind::MultipleChoice { options, .. }
        | QuestionKind::Recommendation { options } = &q.kind
        {
            summary.choices = options.iter().map(|o| (o.clone(), 0)).collect();
        }
        for (r, hidden, sees_private) in &readable {
            if private && !sees_private {
                continue;
            }
            let Some(answer) = r.answers().get(id) else {
                continue;
            };
            summary.answered += 1;
            hidden_any |= *hidden;
            let author = (!hidden).then(|| r.author());
            let mut push_text = |text: &str| {
                if !text.trim().is_empty() {
                    summary.texts.push(TextResponse {
                        author,
                        author_name: author.and_then(name),
                        text: text.to_owned(),
                    });
                }
            };
            match answer {
                Answer::Rating(v) => ratings.push(*v),
                Answer::Text(t) => push_text(t),
                Answer::Choice(c) => bump(&mut summary.choices, c),
                Answer::Choices(cs) => cs.iter().for_each(|c| bump(&mut summary.choices, c)),
                Answer::Competencies(map) => {
                    for (c, a) in map {
                        if let (Some(v), Some(slot)) =
                            (a.rating, per_competency.iter_mut().find(|(k, _)| k == c))
                        {
                            slot.1.push(v);
                        }
                        push_text(&a.comment);
                    }
                }
                Answer::Number(v) => numbers.push(*v),
                Answer::Goals(_) => {}
            }
        }
        summary.ratings = RatingSummary::of(&ratings, scale);
        summary.numbers = NumberSummary::of(&numbers);
        summary.competencies = per_competency
            .into_iter()
            .map(|(c, v)| (c, RatingSummary::of(&v, scale)))
            .collect();
        if hidden_any {
            summary.texts.sort_by(|a, b| a.text.cmp(&b.text));
        }
        questions.push(summary);
    }
    AggregatedView {
        subject: packet.subject(),
        kind,
        responses: readable.len(),
        questions,
    }
}

fn bump(choices: &mut [(String, usize)], choice: &str) {
    if let Some(slot) = choices.iter_mut().find(|(o, _)| o == choice) {
        slot.1 += 1;
    }
}

impl std::fmt::Display for AggregatedView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} responses ({} reviews)", self.responses, self.kind)?;
        for q in &self.questions {
            writeln!(f, "- {} [{}]: {} answered", q.text, q.key, q.answered)?;
            if let Some(r) = &q.ratings {
                let points: Vec<String> = r
                    .per_point
                    .iter()
                    .map(|(p, n)| format!("{p}:{n}"))
                    .collect();
                writeln!(
                    f,
                    "    mean {:.2}, min {}, max {} ({})",
                    r.mean,
                    r.min,
                    r.max,
                    points.join(" ")
                )?;
            }
            for (c, n) in q.choices.iter().filter(|(_, n)| *n > 0) {
                writeln!(f, "    {c}: {n}")?;
            }
            for (c, r) in &q.competencies {
                match r {
                    Some(r) => writeln!(f, "    {c}: mean {:.2} of {}", r.mean, r.count)?,
                    None => writeln!(f, "    {c}: no rating")?,
                }
            }
            for t in &q.texts {
                match &t.author_name {
                    Some(a) => writeln!(f, "    “{}” ({a})", t.text)?,
                    None => writeln!(f, "    “{}”", t.text)?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::NumberSummary;

    /// "View all peer responses" summarises number-scale answers: count, mean, lowest,
    /// highest and how many gave each value.
    #[test]
    fn number_answers_are_summarised() {
        let s = NumberSummary::of(&[6, 4, 6]).unwrap();
        assert_eq!((s.count, s.min, s.max), (3, 4, 6));
        assert!((s.mean - 16.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.distribution, vec![(4, 1), (6, 2)]);
        assert_eq!(NumberSummary::of(&[]), None);
    }
}
