//! Property tests of review content: validation, formulas, anonymity of aggregated views.

use appraise::aggregate::aggregate;
use appraise::score::{ConsolidatedRule, Score, ScoreInput, WeightedInput, consolidate};
use appraise::{
    Answer, AnswerCheck, Answers, CycleSettings, Question, QuestionKind, RatingScale, Review,
    ReviewKind, Section, Template, TemplateId,
};
use proptest::prelude::*;

use crate::content::{Scenario, at, id, q};
use crate::world::config;

/// A random question kind with random parameters.
fn question_kinds() -> impl Strategy<Value = QuestionKind> {
    let options = prop::collection::btree_set("[a-e]{1,2}", 1..5)
        .prop_map(|s| s.into_iter().collect::<Vec<String>>());
    prop_oneof![
        prop::option::of(1u32..40).prop_map(|max_len| QuestionKind::FreeText { max_len }),
        Just(QuestionKind::Rating),
        (-5i32..5, 1i32..12, 1u32..4).prop_filter_map("step divides", |(min, span, step)| {
            let max = min + span * step as i32;
            Some(QuestionKind::NumberScale { min, max, step })
        }),
        options
            .clone()
            .prop_map(|options| QuestionKind::SingleChoice { options }),
        (options, 0u8..3, 1u8..4).prop_filter_map("bounds", |(options, min, max)| {
            (min <= max && usize::from(max) <= options.len())
                .then_some(QuestionKind::MultipleChoice { options, min, max })
        }),
    ]
}

/// A random answer of any type, with values near the interesting edges.
fn answers() -> impl Strategy<Value = Answer> {
    prop_oneof![
        "[a-z ]{0,45}".prop_map(Answer::Text),
        (0u8..8).prop_map(Answer::Rating),
        (-9i32..30).prop_map(Answer::Number),
        "[a-f]{1,2}".prop_map(Answer::Choice),
        prop::collection::vec("[a-f]{1,2}", 0..5).prop_map(Answer::Choices),
    ]
}

/// Straight from the rules: is `answer` a valid answer to a question of `kind`?
fn valid(kind: &QuestionKind, answer: &Answer, scale: &RatingScale, submitting: bool) -> bool {
    match (kind, answer) {
        (QuestionKind::FreeText { max_len }, Answer::Text(t)) => {
            t.chars().count() <= max_len.map_or(20_000, |m| m as usize)
        }
        (QuestionKind::Rating, Answer::Rating(r)) => scale.min <= *r && *r <= scale.max,
        (QuestionKind::NumberScale { min, max, step }, Answer::Number(n)) => {
            min <= n && n <= max && (n - min) % (*step as i32) == 0
        }
        (QuestionKind::SingleChoice { options }, Answer::Choice(c)) => options.contains(c),
        (QuestionKind::MultipleChoice { options, min, max }, Answer::Choices(cs)) => {
            let mut distinct = cs.clone();
            distinct.sort();
            distinct.dedup();
            cs.iter().all(|c| options.contains(c))
                && distinct.len() == cs.len()
                && cs.len() <= usize::from(*max)
                && (!submitting || cs.len() >= usize::from(*min))
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(config())]

    /// Validation accepts exactly the answers of the right type and range: never an
    /// out-of-range or wrongly-typed one, never refusing a good one.
    #[test]
    fn validation_accepts_exactly_the_well_typed_in_range_answers(
        kind in question_kinds(),
        answer in answers(),
        submitting in any::<bool>(),
    ) {
        let scale = RatingScale::default();
        let template = Template::new(TemplateId::from_key("t"), "t")
            .section(Section::new("s", "s").question(Question::new("x", "x", kind.clone()).answered_by([ReviewKind::Peer])));
        prop_assume!(template.validate().is_ok());
        let answers = Answers::new().with(q("x"), answer.clone());
        let check = AnswerCheck { kind: ReviewKind::Peer, scale: &scale, goals: &[], submitting };
        let got = template.validate_answers(&answers, &check);
        prop_assert_eq!(got.is_ok(), valid(&kind, &answer, &scale, submitting), "{:?} for {:?}: {:?}", answer, kind, got);
        if let Err(e) = got {
            prop_assert!(e.to_string().contains("question `x`"), "the error names the question: {}", e);
        }
    }

    /// The formula's result lies on the scale and equals a straightforward computation: per
    /// input the mean of the submitted reviews' ratings, the present weights re-normalised.
    #[test]
    fn formula_result_is_on_the_scale_and_matches_a_straight_computation(
        peers in 0usize..5,
        self_rating in prop::option::of(1u8..=5),
        manager_rating in prop::option::of(1u8..=5),
        peer_ratings in prop::collection::vec(prop::option::of(1u8..=5), 5),
        weights in prop::collection::vec(1u8..=100, 3),
        use_question in any::<bool>(),
    ) {
        // Weights: three positive numbers scaled to sum to exactly 100.
        let total: u32 = weights.iter().map(|w| u32::from(*w)).sum();
        let mut w: Vec<u8> = weights.iter().map(|x| ((u32::from(*x) * 100) / total).max(1) as u8).collect();
        let sum: u32 = w.iter().map(|x| u32::from(*x)).sum();
        prop_assume!(sum <= 100 && u32::from(w[0]) + 100 - sum <= 100);
        w[0] += (100 - sum) as u8;
        let third = if use_question { ScoreInput::Question("overall".into()) } else { ScoreInput::Kind(ReviewKind::Peer) };
        let inputs = vec![
            WeightedInput { input: ScoreInput::Kind(ReviewKind::Manager), weight: w[0] },
            WeightedInput { input: ScoreInput::Kind(ReviewKind::SelfReview), weight: w[1] },
            WeightedInput { input: third.clone(), weight: w[2] },
        ];
        let rule = ConsolidatedRule::Formula(inputs.clone());
        rule.validate().unwrap();
        let settings = CycleSettings { consolidated: rule.clone(), ..CycleSettings::default() };
        let mut s = Scenario::new(settings, peers);
        let overall = |r: u8| Answers::new().with(q("overall"), Answer::Rating(r));
        let mut submitted: Vec<(ReviewKind, u8)> = Vec::new();
        if let Some(r) = self_rating {
            let review = s.reviews.iter_mut().find(|x| x.kind() == ReviewKind::SelfReview).unwrap();
            review.submit(&mut s.packet, Some(overall(r)), id("ann"), at()).unwrap();
            submitted.push((ReviewKind::SelfReview, r));
        }
        for (i, p) in s.peers.clone().iter().enumerate() {
            if let Some(r) = peer_ratings[i] {
                let review = s.reviews.iter_mut().find(|x| x.author() == *p).unwrap();
                review.submit(&mut s.packet, Some(overall(r)), *p, at()).unwrap();
                submitted.push((ReviewKind::Peer, r));
            }
        }
        if let Some(r) = manager_rating {
            let review = s.reviews.iter_mut().find(|x| x.kind() == ReviewKind::Manager).unwrap();
            review.submit(&mut s.packet, Some(overall(r)), id("bo"), at()).unwrap();
            submitted.push((ReviewKind::Manager, r));
        }
        let refs: Vec<&Review> = s.reviews.iter().collect();
        let cycle = &s.cycle;
        let b = consolidate(&rule, &cycle.settings().bands, &refs, &|k| cycle.template_for(k), &[], None);

        // The straightforward computation.
        let mean_of = |pick: &dyn Fn(ReviewKind) -> bool| -> Option<f64> {
            let v: Vec<f64> = submitted.iter().filter(|(k, _)| pick(*k)).map(|(_, r)| f64::from(*r)).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let values = [
            mean_of(&|k| k == ReviewKind::Manager),
            mean_of(&|k| k == ReviewKind::SelfReview),
            if use_question { mean_of(&|_| true) } else { mean_of(&|k| k == ReviewKind::Peer) },
        ];
        let present: f64 = values.iter().zip(&w).filter(|(v, _)| v.is_some()).map(|(_, w)| f64::from(*w)).sum();
        let expected = (present > 0.0).then(|| {
            values.iter().zip(&w).filter_map(|(v, w)| v.map(|v| v * f64::from(*w))).sum::<f64>() / present
        });
        match (b.raw, expected) {
            (Some(got), Some(want)) => {
                prop_assert!((got - want).abs() < 1e-9, "raw {} vs {}", got, want);
                let score = b.consolidated.unwrap();
                prop_assert!(score.within(&RatingScale::default()), "{} off the scale", score);
                prop_assert_eq!(score, Score::round(want).unwrap());
                prop_assert!((score.value() - want).abs() <= 0.005 + 1e-9);
            }
            (None, None) => prop_assert!(b.consolidated.is_none() && b.result.is_none()),
            other => prop_assert!(false, "presence differs: {:?}", other),
        }
    }

    /// For the subject, no aggregated view, nor its JSON, ever contains an anonymous author's id
    /// or name; below the threshold (or before sharing, or when the kind is not shared) the
    /// subject's view is empty. Managers always see who wrote what.
    #[test]
    fn the_subject_never_learns_anonymous_authors_and_sees_nothing_below_the_threshold(
        peers in 0usize..6,
        submit in prop::collection::vec(any::<bool>(), 6),
        remove in prop::collection::vec(prop::bool::weighted(0.2), 6),
        threshold in 0u16..5,
        anonymous in any::<bool>(),
        share_kind in any::<bool>(),
        shared in any::<bool>(),
        texts in prop::collection::vec("[a-z]{3,12}( [a-z]{3,12}){0,3}", 6),
    ) {
        let settings = CycleSettings {
            share_peer_with_subject: share_kind,
            anonymity_threshold: threshold,
            anonymous_peer: anonymous,
            ..CycleSettings::default()
        };
        let mut s = Scenario::new(settings, peers);
        let self_answers = s.self_answers(3);
        s.submit(ReviewKind::SelfReview, id("ann"), self_answers);
        let mut visible = 0;
        for (i, p) in s.peers.clone().into_iter().enumerate() {
            if !submit[i] {
                continue;
            }
            s.submit(ReviewKind::Peer, p, Scenario::peer_answers(3, &texts[i]));
            if remove[i] {
                let r = s.reviews.iter_mut().find(|r| r.author() == p).unwrap();
                r.remove_feedback(&mut s.packet, id("bo"), at()).unwrap();
            } else {
                visible += 1;
            }
        }
        let manager_answers = s.manager_answers(4, 4);
        s.submit(ReviewKind::Manager, id("bo"), manager_answers);
        let cycle_settings = s.cycle.settings().clone();
        s.packet.finish_writing(&cycle_settings, &s.org, id("dana"), at()).unwrap();
        if shared {
            s.packet.share(id("bo"), at()).unwrap();
        }
        let ctx = s.ctx();
        let t = s.template();
        let scale = &s.cycle.settings().rating_scale;
        let view = aggregate(&ctx, id("ann"), &s.packet, &s.reviews, ReviewKind::Peer, t, scale);
        let json = serde_json::to_string(&view).unwrap() + &view.to_string();
        if anonymous {
            for p in &s.peers {
                prop_assert!(!json.contains(&p.to_string()), "the subject's view names an author id");
                prop_assert!(!json.contains(s.org.name(*p).unwrap()), "the subject's view names an author");
            }
        }
        let sees_any = shared && share_kind && visible >= usize::from(threshold);
        if !sees_any {
            prop_assert_eq!(view.responses, 0);
            prop_assert!(view.questions.iter().all(|q| q.answered == 0 && q.texts.is_empty() && q.ratings.is_none()));
        } else {
            prop_assert_eq!(view.responses, visible, "removed feedback never reaches the subject");
        }
        let for_manager = aggregate(&ctx, id("bo"), &s.packet, &s.reviews, ReviewKind::Peer, t, scale);
        let submitted = submit.iter().take(peers).filter(|b| **b).count();
        prop_assert_eq!(for_manager.responses, submitted, "the manager reads every submitted peer review");
        for q in &for_manager.questions {
            prop_assert!(q.texts.iter().all(|t| t.author.is_some() && t.author_name.is_some()));
        }
    }
}
