//! Results for a reader: a participant's score breakdown and their row of the results export,
//! each computed only from the reviews that reader may read.

use crate::access::{
    Action, Context, Target, authorize, decide, own_results_hidden, own_results_not_shared,
};
use crate::domain::rating::ScoreInput;
use crate::domain::score::{PerformanceTemplates, ScoreBreakdown, input_mean};
use crate::domain::transition::State;
use crate::domain::vocab::{ReviewState, Score};
use crate::domain::{Cycle, OrgSnapshot, Packet, PersonId, Result, Review, ReviewKind};

/// The columns of the results export.
pub(crate) const RESULTS_HEADER: [&str; 12] = [
    "participant_id",
    "name",
    "state",
    "self",
    "manager",
    "additional_manager",
    "peer",
    "upward",
    "consolidated",
    "calibrated",
    "result",
    "band",
];

/// The participant's score breakdown for `reader`: whoever may read the packet's manager
/// review may see it (the subject once results are shared); without a manager review, whoever
/// may view the participant's progress, but never the subject before sharing. The breakdown
/// is computed from the reviews the reader may read: an input that left reviews out says so
/// (`withheld`). `reviews` are the reviews about the participant.
///
/// # Errors
///
/// [`Error::Denied`](crate::Error::Denied) explaining the decision.
pub(crate) fn score(
    ctx: &Context<'_>,
    reader: PersonId,
    cycle: &Cycle,
    packet: &Packet,
    reviews: &[Review],
) -> Result<ScoreBreakdown> {
    let manager_review = reviews
        .iter()
        .find(|r| r.kind() == ReviewKind::Manager && r.state() != ReviewState::Cancelled);
    match manager_review {
        Some(r) => authorize(ctx, reader, Action::ReadReview, Target::Review(packet, r))?,
        None => authorize(ctx, reader, Action::ViewProgress, Target::Packet(packet))?,
    }
    if own_results_hidden(reader, packet) {
        return Err(own_results_not_shared(ctx, reader, packet));
    }
    let readable = readable(ctx, reader, packet, reviews);
    let templates = PerformanceTemplates::of(cycle);
    let mut score = templates.breakdown(packet, &readable);
    if readable.len() < reviews.len() {
        let all: Vec<&Review> = reviews.iter().collect();
        let full = templates.breakdown(packet, &all);
        for (input, whole) in score.inputs.iter_mut().zip(&full.inputs) {
            input.withheld = whole.responses > input.responses;
        }
    }
    Ok(score)
}

/// The reviews of `reviews` that `reader` may read.
fn readable<'r>(
    ctx: &Context<'_>,
    reader: PersonId,
    packet: &Packet,
    reviews: &'r [Review],
) -> Vec<&'r Review> {
    reviews
        .iter()
        .filter(|r| decide(ctx, reader, Action::ReadReview, Target::Review(packet, r)).is_allowed())
        .collect()
}

/// Whether the participant has a row in `reader`'s results export: whether the reader may
/// view their progress (R-WRITE-15).
pub(crate) fn in_export(ctx: &Context<'_>, reader: PersonId, packet: &Packet) -> bool {
    decide(ctx, reader, Action::ViewProgress, Target::Packet(packet)).is_allowed()
}

/// A cell a spreadsheet will not run: one that starts like a formula (`=`, `+`, `-`, `@`, a
/// tab or a carriage return) gets a leading `'`, and control characters become spaces.
pub(crate) fn spreadsheet_safe(cell: String) -> String {
    let cell = if cell.chars().any(char::is_control) {
        cell.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    } else {
        cell
    };
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell,
    }
}

/// The participant's row of the results export for `reader`, or `None` when the reader may
/// not view the participant's progress ([`in_export`]): each kind's rating, the consolidated and calibrated
/// ratings, the result and its band, computed from the reviews `reader` may read.
pub(crate) fn results_row(
    ctx: &Context<'_>,
    reader: PersonId,
    cycle: &Cycle,
    snapshot: &OrgSnapshot,
    packet: &Packet,
    reviews: &[Review],
) -> Option<[String; 12]> {
    if !in_export(ctx, reader, packet) {
        return None;
    }
    let readable = readable(ctx, reader, packet, reviews);
    let templates = PerformanceTemplates::of(cycle);
    let mut score = templates.breakdown(packet, &readable);
    if own_results_hidden(reader, packet) {
        score.consolidated = None;
        score.calibrated = None;
        score.result = None;
        score.band = None;
    }
    let rating = |kind| {
        input_mean(
            &ScoreInput::Kind(kind),
            &readable,
            &|k| templates.get(k),
            packet.goals(),
        )
        .map_or_else(String::new, |v| format!("{v:.2}"))
    };
    let show = |s: Option<Score>| s.map_or_else(String::new, |s| s.to_string());
    let state = if packet.is_withdrawn() {
        "withdrawn"
    } else {
        State::name(packet.state())
    };
    Some([
        packet.subject().to_string(),
        snapshot
            .name(packet.subject())
            .unwrap_or_default()
            .to_owned(),
        state.to_owned(),
        rating(ReviewKind::SelfReview),
        rating(ReviewKind::Manager),
        rating(ReviewKind::AdditionalManager),
        rating(ReviewKind::Peer),
        rating(ReviewKind::Upward),
        show(score.consolidated),
        show(score.calibrated),
        show(score.result),
        score.band.unwrap_or_default(),
    ])
}
