//! The read path: every value the engine hands a person is built here, from records and the
//! reader's [`Decision`].

pub mod aggregate;
pub(crate) mod audit;
pub(crate) mod results;
pub mod screens;

use serde::{Deserialize, Serialize};

use crate::access::{Decision, Rule, own_results_hidden, sees_private_answers};
use crate::domain::template::Visibility;
use crate::domain::{
    Answers, Cycle, CycleId, CycleState, OrgSnapshot, Packet, Period, PersonId, Review, ReviewId,
    ReviewKind, ReviewState,
};

/// A review as one reader may see it: the author is `None` when the decision hides it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReviewView {
    /// The review.
    pub id: ReviewId,
    /// Its cycle.
    pub cycle: CycleId,
    /// Who it is about.
    pub subject: PersonId,
    /// Their display name, from the cycle's org snapshot.
    #[serde(default)]
    pub subject_name: Option<String>,
    /// Who wrote it, unless hidden from this reader.
    pub author: Option<PersonId>,
    /// Their display name, unless the author is hidden from this reader.
    #[serde(default)]
    pub author_name: Option<String>,
    /// Its kind.
    pub kind: ReviewKind,
    /// Its state.
    pub state: ReviewState,
    /// Whether its feedback was removed from what the subject sees.
    pub removed: bool,
    /// Its answers.
    pub answers: Answers,
    /// The R-READ rule that let this reader see it. In what a command returns to an actor who
    /// may not read the review, the rule that denied it (the answers are then empty).
    pub allowed_by: Rule,
}

impl ReviewView {
    /// The view of `review`, with names from `org` (the cycle's snapshot).
    pub(crate) fn new(
        review: &Review,
        org: Option<&OrgSnapshot>,
        author_hidden: bool,
        allowed_by: Rule,
    ) -> Self {
        let name = |id: PersonId| org.and_then(|o| o.name(id));
        Self::named(review, name, author_hidden, allowed_by)
    }

    /// The view of `review`, with the display names `name` gives.
    fn named<'a>(
        review: &Review,
        name: impl Fn(PersonId) -> Option<&'a str>,
        author_hidden: bool,
        allowed_by: Rule,
    ) -> Self {
        let name = |id: PersonId| name(id).map(str::to_owned);
        let author = (!author_hidden).then(|| review.author());
        Self {
            id: review.id(),
            cycle: review.cycle(),
            subject: review.subject(),
            subject_name: name(review.subject()),
            author,
            author_name: author.and_then(name),
            kind: review.kind(),
            state: review.state(),
            removed: review.is_removed(),
            answers: review.answers().clone(),
            allowed_by,
        }
    }
}

/// A cycle as a list of cycles shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CycleSummary {
    /// The cycle.
    pub id: CycleId,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: CycleState,
    /// Whether it is locked.
    pub locked: bool,
    /// The period it reviews.
    pub period: Period,
}

impl CycleSummary {
    pub(crate) fn new(cycle: &Cycle) -> Self {
        Self {
            id: cycle.id(),
            name: cycle.config().name.clone(),
            state: cycle.state(),
            locked: cycle.is_locked(),
            period: cycle.config().period,
        }
    }
}

/// One cycle of a participant's history as one reader may see it ([`Engine::history`]).
///
/// [`Engine::history`]: crate::Engine::history
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HistoryEntry {
    /// The cycle.
    pub cycle: CycleSummary,
    /// The participant's packet state, when the reader may see the packet (the participant,
    /// and those who may view their progress).
    pub state: Option<crate::domain::PacketState>,
    /// The reviews about the participant the reader may read, as they may see them.
    pub reviews: Vec<ReviewView>,
    /// The score breakdown, when the reader may see it (for the participant, once shared).
    pub score: Option<crate::domain::score::ScoreBreakdown>,
}

/// The review as a reader may see it, given the decision that let them read it: the author
/// hidden when the decision says so, answers to private questions withheld unless
/// [`sees_private_answers`] says the reader receives them.
pub(crate) fn view(
    cycle: &Cycle,
    org: Option<&OrgSnapshot>,
    review: &Review,
    decision: Decision,
) -> ReviewView {
    view_named(cycle, |id| org.and_then(|o| o.name(id)), review, decision)
}

/// [`view`], with the display names `name` gives: a list of views looks a name up once for
/// all the reviews that need it.
pub(crate) fn view_named<'a>(
    cycle: &Cycle,
    name: impl Fn(PersonId) -> Option<&'a str>,
    review: &Review,
    decision: Decision,
) -> ReviewView {
    let mut v = ReviewView::named(review, name, decision.author_hidden(), decision.rule());
    if !sees_private_answers(&decision)
        && let Some(t) = cycle.template_for(review.kind())
    {
        let private: Vec<_> = t
            .questions()
            .filter(|q| q.visibility == Visibility::Private)
            .map(crate::domain::Question::id)
            .collect();
        v.answers = Answers::from_iter(
            v.answers
                .iter()
                .filter(|(q, _)| !private.contains(q))
                .map(|(q, a)| (q, a.clone())),
        );
    }
    v
}

/// What a command hands its actor about the review it changed: the review as they may read
/// it, or, when R-READ denies them (a review not yet submitted, a custom role that may reopen
/// reviews but not read them), its id, kind, state and author with no answers. Anonymity
/// hides an author from the subject only, so only the subject gets the author hidden.
pub(crate) fn receipt(
    cycle: &Cycle,
    org: Option<&OrgSnapshot>,
    review: &Review,
    actor: PersonId,
    decision: Decision,
) -> ReviewView {
    if decision.is_allowed() {
        return view(cycle, org, review, decision);
    }
    let mut v = ReviewView::new(review, org, actor == review.subject(), decision.rule());
    v.answers = Answers::default();
    v
}

/// A participant's packet as `reader` may see it. The subject gets it with their manager
/// reviewer but without the other people on it (peers, upward reviewers, additional and former
/// managers, viewers, sharing users: with anonymous kinds, such a list can name an author), and
/// without the calibrated rating until their results are shared; everyone else who may see the
/// packet gets it whole.
pub(crate) fn packet(packet: Packet, reader: PersonId) -> Packet {
    let mut p = packet;
    if reader == p.subject() {
        p.peers = Default::default();
        p.upward_reviewers = Default::default();
        p.additional_managers = Default::default();
        p.default_additional_manager = None;
        p.former_managers = Default::default();
        p.viewers = Default::default();
        p.sharers = Default::default();
        if own_results_hidden(reader, &p) {
            p.calibrated = None;
        }
    }
    p
}
