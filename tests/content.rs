//! Review content: templates, answer validation, scores, aggregated responses, export.

use std::fmt::Write as _;

use appraise::access::Context;
use appraise::aggregate::aggregate;
use appraise::score::{Band, ConsolidatedRule, ScoreInput, WeightedInput, consolidate};
use appraise::{
    Answer, AnswerCheck, Answers, CompetencyAnswer, Cycle, CycleConfig, CycleId, CycleSettings,
    Goal, GoalAnswer, GoalId, Grants, OrgSnapshot, Packet, Period, Person, PersonId, Question,
    QuestionId, QuestionKind, RatingScale, Review, ReviewKind, Section, SequentialIds, Template,
    TemplateId, launch,
};
use chrono::{NaiveDate, TimeZone, Utc};

use ReviewKind::{Manager, Peer, SelfReview, Upward};

pub fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap()
}

pub fn period() -> Period {
    Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
    }
}

pub fn q(key: &str) -> QuestionId {
    QuestionId::from_key(key)
}

/// A realistic template: goals, competencies, a rating, text, choices, a private note, a
/// number scale, and the manager's consolidated rating and recommendation.
pub fn review_template() -> Template {
    let competencies = ["delivery", "collaboration", "communication"]
        .map(String::from)
        .to_vec();
    Template::new(TemplateId::from_key("h1-review"), "H1 review")
        .section(
            Section::new("goals", "Goals").question(
                Question::new("goals", "Your goals this half", QuestionKind::Goals)
                    .answered_by([SelfReview, Manager])
                    .required(),
            ),
        )
        .section(
            Section::new("craft", "Craft")
                .question(
                    Question::new(
                        "competencies",
                        "Competencies",
                        QuestionKind::Competency { competencies },
                    )
                    .answered_by([SelfReview, Manager, Peer]),
                )
                .question(
                    Question::new(
                        "overall",
                        "Overall, how did the half go?",
                        QuestionKind::Rating,
                    )
                    .answered_by([SelfReview, Manager, Peer, Upward])
                    .required(),
                )
                .question(
                    Question::new(
                        "strengths",
                        "Strengths",
                        QuestionKind::FreeText { max_len: Some(500) },
                    )
                    .answered_by([SelfReview, Manager, Peer, Upward])
                    .required(),
                )
                .question(
                    Question::new(
                        "focus",
                        "Focus for next half",
                        QuestionKind::MultipleChoice {
                            options: ["scope", "mentoring", "quality"].map(String::from).to_vec(),
                            min: 1,
                            max: 2,
                        },
                    )
                    .answered_by([Peer, Manager]),
                )
                .question(
                    Question::new(
                        "note",
                        "A note for the manager only",
                        QuestionKind::FreeText { max_len: None },
                    )
                    .answered_by([Peer])
                    .private(),
                )
                .question(
                    Question::new(
                        "impact",
                        "Impact, 0–10",
                        QuestionKind::NumberScale {
                            min: 0,
                            max: 10,
                            step: 2,
                        },
                    )
                    .answered_by([Manager]),
                ),
        )
        .section(
            Section::new("summary", "Summary")
                .question(
                    Question::new(
                        "consolidated",
                        "Consolidated rating",
                        QuestionKind::ConsolidatedRating,
                    )
                    .answered_by([Manager])
                    .required(),
                )
                .question(
                    Question::new(
                        "recommendation",
                        "Recommendation",
                        QuestionKind::Recommendation {
                            options: ["promote", "keep growing", "improvement plan"]
                                .map(String::from)
                                .to_vec(),
                        },
                    )
                    .answered_by([Manager])
                    .required(),
                ),
        )
}

pub fn goals_of(owner: PersonId) -> Vec<Goal> {
    ["Ship the billing rewrite", "Mentor two new hires"]
        .iter()
        .enumerate()
        .map(|(i, title)| Goal {
            id: GoalId::from_key(&format!("{owner}-{i}")),
            owner,
            title: (*title).to_owned(),
            progress: 80,
            weight: (i as u8 + 1) * 2,
            start: period().start,
            end: period().end,
        })
        .collect()
}

/// dana ── bo ── ann (the participant), peers p0..pN under bo.
pub struct Scenario {
    pub org: OrgSnapshot,
    pub cycle: Cycle,
    pub packet: Packet,
    pub reviews: Vec<Review>,
    pub grants: Grants,
    pub peers: Vec<PersonId>,
}

pub fn id(name: &str) -> PersonId {
    PersonId::from_key(name)
}

impl Scenario {
    pub fn new(settings: CycleSettings, peers: usize) -> Self {
        let peer_ids: Vec<PersonId> = (0..peers).map(|i| id(&format!("peer{i:02}"))).collect();
        let mut people = vec![
            Person::new(id("dana"), "dana"),
            Person::new(id("bo"), "bo").with_manager(id("dana")),
            Person::new(id("ann"), "ann").with_manager(id("bo")),
        ];
        people.extend(
            peer_ids
                .iter()
                .enumerate()
                .map(|(i, p)| Person::new(*p, format!("peer{i:02}")).with_manager(id("bo"))),
        );
        let org = OrgSnapshot::build(people, vec![]).unwrap();
        let template = review_template();
        let config = CycleConfig::new("H1", period())
            .with_settings(settings)
            .with_template(template.id, ReviewKind::ALL);
        let (mut cycle, _) =
            Cycle::create(CycleId::from_key("h1"), config, id("dana"), at()).unwrap();
        cycle
            .set_participants([id("ann")], id("dana"), at())
            .unwrap();
        cycle.freeze_templates(vec![template]).unwrap();
        let mut ids = SequentialIds::starting_at(1);
        let mut launched = launch(&mut cycle, &org, &mut ids, id("dana"), at()).unwrap();
        launched.attach_goals(&goals_of(id("ann")), &period());
        let mut packet = launched.packets.remove(0);
        let mut reviews = launched.reviews;
        let kinds = cycle.config().kinds;
        for p in &peer_ids {
            let (r, _) = packet
                .assign(&kinds, Peer, *p, &mut ids, None, at())
                .unwrap();
            reviews.push(r);
        }
        packet.close_nominations(id("dana"), at()).unwrap();
        Scenario {
            org,
            cycle,
            packet,
            reviews,
            grants: Grants::new(),
            peers: peer_ids,
        }
    }

    pub fn ctx(&self) -> Context<'_> {
        Context::new(&self.grants, at())
            .with_cycle(&self.cycle)
            .with_snapshot(&self.org)
    }

    pub fn check(&self, kind: ReviewKind, submitting: bool) -> AnswerCheck<'_> {
        AnswerCheck {
            kind,
            scale: &self.cycle.settings().rating_scale,
            goals: self.packet.goals(),
            submitting,
        }
    }

    pub fn template(&self) -> &Template {
        self.cycle.template_for(Manager).unwrap()
    }

    /// Validates and submits `answers` for the review of `kind` by `author`.
    pub fn submit(&mut self, kind: ReviewKind, author: PersonId, answers: Answers) {
        let check = AnswerCheck {
            kind,
            scale: &self.cycle.settings().rating_scale,
            goals: self.packet.goals(),
            submitting: true,
        };
        self.cycle
            .template_for(kind)
            .unwrap()
            .validate_answers(&answers, &check)
            .unwrap();
        let r = self
            .reviews
            .iter_mut()
            .find(|r| r.kind() == kind && r.author() == author)
            .unwrap();
        r.submit(&mut self.packet, Some(answers), author, at())
            .unwrap();
    }

    /// The participant's score breakdown under the cycle's rule.
    pub fn score(&self) -> appraise::score::ScoreBreakdown {
        let refs: Vec<&Review> = self.reviews.iter().collect();
        let cycle = &self.cycle;
        let settings = cycle.settings();
        consolidate(
            &settings.consolidated,
            &settings.bands,
            &refs,
            &|k| cycle.template_for(k),
            self.packet.goals(),
            self.packet.calibrated(),
        )
    }

    pub fn peer_answers(rating: u8, strengths: &str) -> Answers {
        Answers::new()
            .with(q("overall"), Answer::Rating(rating))
            .with(q("strengths"), Answer::Text(strengths.into()))
            .with(q("focus"), Answer::Choices(vec!["quality".into()]))
            .with(q("note"), Answer::Text("between us: needs support".into()))
            .with(
                q("competencies"),
                Answer::Competencies(
                    [(
                        "delivery".to_owned(),
                        CompetencyAnswer {
                            rating: Some(rating),
                            comment: String::new(),
                        },
                    )]
                    .into(),
                ),
            )
    }

    pub fn manager_answers(&self, overall: u8, consolidated: u8) -> Answers {
        let goals = self.packet.goals();
        Answers::new()
            .with(
                q("goals"),
                Answer::Goals(
                    goals
                        .iter()
                        .enumerate()
                        .map(|(i, g)| {
                            (
                                g.id,
                                GoalAnswer {
                                    went_well: "shipped".into(),
                                    could_be_better: "earlier demos".into(),
                                    key_feedback: "keep the pace".into(),
                                    rating: Some(4 + i as u8 % 2),
                                },
                            )
                        })
                        .collect(),
                ),
            )
            .with(q("overall"), Answer::Rating(overall))
            .with(q("strengths"), Answer::Text("clear thinking".into()))
            .with(q("impact"), Answer::Number(8))
            .with(q("consolidated"), Answer::Rating(consolidated))
            .with(q("recommendation"), Answer::Choice("keep growing".into()))
    }

    pub fn self_answers(&self, overall: u8) -> Answers {
        let goals = self.packet.goals();
        Answers::new()
            .with(
                q("goals"),
                Answer::Goals(
                    goals
                        .iter()
                        .map(|g| {
                            (
                                g.id,
                                GoalAnswer {
                                    rating: Some(3),
                                    ..GoalAnswer::default()
                                },
                            )
                        })
                        .collect(),
                ),
            )
            .with(q("overall"), Answer::Rating(overall))
            .with(q("strengths"), Answer::Text("I shipped billing".into()))
    }

    /// Self, three peers, manager; finished and shared.
    pub fn complete(peers: usize, settings: CycleSettings) -> Self {
        let mut s = Self::new(settings, peers);
        let self_answers = s.self_answers(3);
        s.submit(SelfReview, id("ann"), self_answers);
        for (i, p) in s.peers.clone().into_iter().enumerate() {
            s.submit(
                Peer,
                p,
                Self::peer_answers(
                    3 + (i % 3) as u8,
                    &format!(
                        "great partner, {}",
                        ["steady", "bold", "kind", "sharp"][i % 4]
                    ),
                ),
            );
        }
        let manager_answers = s.manager_answers(4, 4);
        s.submit(Manager, id("bo"), manager_answers);
        let settings = s.cycle.settings().clone();
        s.packet
            .finish_writing(&settings, &s.org, id("dana"), at())
            .unwrap();
        s.packet.share(id("bo"), at()).unwrap();
        s
    }
}

pub fn shared_settings() -> CycleSettings {
    CycleSettings {
        share_peer_with_subject: true,
        anonymity_threshold: 2,
        ..CycleSettings::default()
    }
}

pub fn formula() -> ConsolidatedRule {
    ConsolidatedRule::Formula(vec![
        WeightedInput {
            input: ScoreInput::Kind(Manager),
            weight: 60,
        },
        WeightedInput {
            input: ScoreInput::Kind(Peer),
            weight: 20,
        },
        WeightedInput {
            input: ScoreInput::Kind(SelfReview),
            weight: 20,
        },
    ])
}

#[test]
fn template_renders() {
    review_template().validate().unwrap();
    insta::assert_snapshot!("template", review_template().to_string());
}

#[test]
fn template_validation_names_the_question() {
    let base = review_template;
    let mut cases: Vec<(&str, Template)> = Vec::new();
    let mut t = base();
    t.sections[1].questions[1].key = "competencies".into();
    cases.push(("duplicate key", t));
    let mut t = base();
    t.sections[1].questions[3].kind = QuestionKind::MultipleChoice {
        options: vec![],
        min: 0,
        max: 1,
    };
    cases.push(("no options", t));
    let mut t = base();
    t.sections[1].questions[3].kind = QuestionKind::MultipleChoice {
        options: vec!["a".into(), "b".into()],
        min: 2,
        max: 3,
    };
    cases.push(("max above options", t));
    let mut t = base();
    t.sections[1].questions[5].kind = QuestionKind::NumberScale {
        min: 0,
        max: 10,
        step: 3,
    };
    cases.push(("step off range", t));
    let mut t = base();
    t.sections[1].questions[5].kind = QuestionKind::NumberScale {
        min: 5,
        max: 5,
        step: 1,
    };
    cases.push(("empty scale", t));
    let mut t = base();
    t.sections[1].questions[0].kind = QuestionKind::Competency {
        competencies: vec!["x".into(), "x".into()],
    };
    cases.push(("duplicate competency", t));
    let mut t = base();
    t.sections.pop();
    cases.push(("manager template without consolidated rating", t));
    let mut t = base();
    t.sections[0].questions[0].answered_by.clear();
    cases.push(("nobody answers", t));
    let mut t = base();
    t.sections[0].questions.clear();
    cases.push(("empty section", t));
    let mut t = base();
    t.sections[1].questions[2].kind = QuestionKind::FreeText { max_len: Some(0) };
    cases.push(("zero max length", t));
    let mut out = String::new();
    for (what, t) in cases {
        writeln!(out, "{what}: {}", t.validate().unwrap_err()).unwrap();
    }
    insta::assert_snapshot!("template_errors", out);
}

#[test]
fn answer_validation_names_the_question_and_the_problem() {
    let s = Scenario::new(shared_settings(), 1);
    let t = s.template();
    let goal = s.packet.goals()[0].id;
    let cases: Vec<(&str, ReviewKind, bool, Answers)> = vec![
        (
            "rating out of range",
            Peer,
            false,
            Answers::new().with(q("overall"), Answer::Rating(7)),
        ),
        (
            "wrong type",
            Peer,
            false,
            Answers::new().with(q("overall"), Answer::Text("five".into())),
        ),
        (
            "too long",
            Peer,
            false,
            Answers::new().with(q("strengths"), Answer::Text("x".repeat(501))),
        ),
        (
            "not an option",
            Peer,
            false,
            Answers::new().with(q("focus"), Answer::Choices(vec!["golf".into()])),
        ),
        (
            "too many choices",
            Peer,
            false,
            Answers::new().with(
                q("focus"),
                Answer::Choices(vec!["scope".into(), "mentoring".into(), "quality".into()]),
            ),
        ),
        (
            "chosen twice",
            Peer,
            false,
            Answers::new().with(
                q("focus"),
                Answer::Choices(vec!["scope".into(), "scope".into()]),
            ),
        ),
        (
            "too few choices on submit",
            Peer,
            true,
            Scenario::peer_answers(3, "x").with(q("focus"), Answer::Choices(vec![])),
        ),
        (
            "number off step",
            Manager,
            false,
            Answers::new().with(q("impact"), Answer::Number(7)),
        ),
        (
            "number above max",
            Manager,
            false,
            Answers::new().with(q("impact"), Answer::Number(12)),
        ),
        (
            "unknown competency",
            Peer,
            false,
            Answers::new().with(
                q("competencies"),
                Answer::Competencies([("golf".to_owned(), CompetencyAnswer::default())].into()),
            ),
        ),
        (
            "goal rating out of range",
            Manager,
            false,
            Answers::new().with(
                q("goals"),
                Answer::Goals(
                    [(
                        goal,
                        GoalAnswer {
                            rating: Some(0),
                            ..GoalAnswer::default()
                        },
                    )]
                    .into(),
                ),
            ),
        ),
        (
            "someone else's goal",
            Manager,
            false,
            Answers::new().with(
                q("goals"),
                Answer::Goals([(GoalId::from_key("other"), GoalAnswer::default())].into()),
            ),
        ),
        (
            "kind does not answer it",
            SelfReview,
            false,
            Answers::new().with(q("impact"), Answer::Number(2)),
        ),
        (
            "not in the template",
            Peer,
            false,
            Answers::new().with(q("golf"), Answer::Rating(3)),
        ),
        (
            "required missing on submit",
            Peer,
            true,
            Answers::new().with(q("overall"), Answer::Rating(3)),
        ),
        (
            "blank required text on submit",
            Peer,
            true,
            Answers::new()
                .with(q("overall"), Answer::Rating(3))
                .with(q("strengths"), Answer::Text("  ".into())),
        ),
        (
            "goal without rating on submit",
            Manager,
            true,
            s.manager_answers(4, 4).with(
                q("goals"),
                Answer::Goals([(goal, GoalAnswer::default())].into()),
            ),
        ),
        (
            "recommendation not an option",
            Manager,
            false,
            Answers::new().with(q("recommendation"), Answer::Choice("fire".into())),
        ),
    ];
    let mut out = String::new();
    for (what, kind, submitting, answers) in cases {
        let err = t
            .validate_answers(&answers, &s.check(kind, submitting))
            .unwrap_err();
        writeln!(out, "{what}: {err}").unwrap();
    }
    // And the good ones pass, as drafts and on submit.
    t.validate_answers(&Scenario::peer_answers(4, "ok"), &s.check(Peer, true))
        .unwrap();
    t.validate_answers(&s.manager_answers(4, 5), &s.check(Manager, true))
        .unwrap();
    t.validate_answers(&Answers::new(), &s.check(Manager, false))
        .unwrap();
    insta::assert_snapshot!("answer_errors", out);
}

#[test]
fn answers_serialize_to_stable_json() {
    let s = Scenario::new(shared_settings(), 1);
    let answers = s
        .manager_answers(4, 5)
        .with(q("strengths"), Answer::Text("clear \"thinking\"".into()));
    let json = serde_json::to_string_pretty(&answers).unwrap();
    let back: Answers = serde_json::from_str(&json).unwrap();
    assert_eq!(back, answers);
    insta::assert_snapshot!("answers_json", json);
}

#[test]
fn score_breakdown_with_formula_bands_and_calibration() {
    let settings = CycleSettings {
        consolidated: formula(),
        ..shared_settings()
    };
    let mut s = Scenario::complete(3, settings);
    let b = s.score();
    // manager 4 (60%), peers mean of 3,4,5 = 4 (20%), self 3 (20%) → 3.80 "meets".
    assert_eq!(b.consolidated.map(|s| s.hundredths()), Some(380));
    assert_eq!(b.band.as_deref(), Some("meets"));
    let mut out = b.to_string();
    // Calibration overrides the result, both are kept; never once the results are shared.
    let scale = s.cycle.settings().rating_scale.clone();
    let shared = s.packet.clone();
    let err = s
        .packet
        .set_calibrated(
            appraise::score::Score::from_hundredths(450),
            b.consolidated,
            &scale,
            id("dana"),
            at(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("unshare them first"), "{err}");
    assert_eq!(s.packet, shared, "refused, unchanged");
    s.packet.unshare(id("dana"), at()).unwrap();
    s.packet
        .set_calibrated(
            appraise::score::Score::from_hundredths(450),
            b.consolidated,
            &scale,
            id("dana"),
            at(),
        )
        .unwrap();
    let b = s.score();
    assert_eq!(b.consolidated.map(|s| s.hundredths()), Some(380));
    assert_eq!(b.result.map(|s| s.hundredths()), Some(450));
    assert_eq!(b.band.as_deref(), Some("exceptional"));
    out.push_str("\nafter calibration:\n");
    out.push_str(&b.to_string());
    insta::assert_snapshot!("score_breakdown", out);
    assert!(
        s.packet
            .set_calibrated(
                appraise::score::Score::from_hundredths(520),
                None,
                &scale,
                id("dana"),
                at()
            )
            .is_err()
    );
}

#[test]
fn missing_inputs_renormalise_the_remaining_weights() {
    let settings = CycleSettings {
        consolidated: formula(),
        ..shared_settings()
    };
    let mut s = Scenario::new(settings, 2);
    let self_answers = s.self_answers(2);
    s.submit(SelfReview, id("ann"), self_answers);
    let manager_answers = s.manager_answers(5, 5);
    s.submit(Manager, id("bo"), manager_answers);
    let b = s.score();
    // No peer review: manager 60/80 = 75%, self 25%: 5 × 0.75 + 2 × 0.25 = 4.25.
    assert_eq!(b.consolidated.map(|s| s.hundredths()), Some(425));
    let peer = b
        .inputs
        .iter()
        .find(|i| i.input == ScoreInput::Kind(Peer))
        .unwrap();
    assert_eq!(
        (peer.value, peer.effective_weight, peer.responses),
        (None, 0.0, 0)
    );
    let manager = b
        .inputs
        .iter()
        .find(|i| i.input == ScoreInput::Kind(Manager))
        .unwrap();
    assert!((manager.effective_weight - 75.0).abs() < 1e-9);
    // Nothing submitted: no score at all.
    let none = Scenario::new(
        CycleSettings {
            consolidated: formula(),
            ..shared_settings()
        },
        0,
    );
    let b = none.score();
    assert_eq!((b.raw, b.consolidated, b.band), (None, None, None));
}

#[test]
fn goals_and_competency_inputs() {
    let rule = ConsolidatedRule::Formula(vec![
        WeightedInput {
            input: ScoreInput::Goals(Manager),
            weight: 50,
        },
        WeightedInput {
            input: ScoreInput::Competencies(Peer),
            weight: 30,
        },
        WeightedInput {
            input: ScoreInput::Question("overall".into()),
            weight: 20,
        },
    ]);
    let s = Scenario::complete(
        3,
        CycleSettings {
            consolidated: rule,
            ..shared_settings()
        },
    );
    let b = s.score();
    // Goals: ratings 4 (weight 2) and 5 (weight 4) → 28/6 = 4.6667.
    let goals = b.inputs[0].value.unwrap();
    assert!((goals - 28.0 / 6.0).abs() < 1e-9, "{goals}");
    // Competencies (peers' delivery): 3, 4, 5 → 4. Overall question: self 3, peers 3 4 5, manager 4 → 3.8.
    assert!((b.inputs[1].value.unwrap() - 4.0).abs() < 1e-9);
    assert!((b.inputs[2].value.unwrap() - 3.8).abs() < 1e-9);
    let expected = 0.5 * 28.0 / 6.0 + 0.3 * 4.0 + 0.2 * 3.8;
    assert!((b.raw.unwrap() - expected).abs() < 1e-9);
}

#[test]
fn formula_validation() {
    let bad = |inputs: Vec<(ScoreInput, u8)>| {
        ConsolidatedRule::Formula(
            inputs
                .into_iter()
                .map(|(input, weight)| WeightedInput { input, weight })
                .collect(),
        )
        .validate()
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        bad(vec![
            (ScoreInput::Kind(Manager), 60),
            (ScoreInput::Kind(Peer), 30)
        ]),
        "invalid formula: weights sum to 90%, not 100%"
    );
    assert_eq!(
        bad(vec![
            (ScoreInput::Kind(Manager), 100),
            (ScoreInput::Kind(Peer), 0)
        ]),
        "invalid formula: peer reviews has weight 0"
    );
    assert_eq!(
        bad(vec![
            (ScoreInput::Kind(Manager), 50),
            (ScoreInput::Kind(Manager), 50)
        ]),
        "invalid formula: manager reviews is listed twice"
    );
    let refs = ConsolidatedRule::Formula(vec![WeightedInput {
        input: ScoreInput::Question("nope".into()),
        weight: 100,
    }]);
    assert_eq!(
        refs.check_references(&[review_template()])
            .unwrap_err()
            .to_string(),
        "invalid formula: question `nope` refers to no question of the cycle's templates"
    );
    let upward_goals = ConsolidatedRule::Formula(vec![WeightedInput {
        input: ScoreInput::Goals(Upward),
        weight: 100,
    }]);
    assert!(upward_goals.check_references(&[review_template()]).is_err());
    formula().check_references(&[review_template()]).unwrap();
    let bands = vec![Band::new(150, "low")];
    assert_eq!(
        Band::validate(&bands, &RatingScale::default())
            .unwrap_err()
            .to_string(),
        "invalid bands: the first band starts at 1.50, not at the scale's 1"
    );
}

#[test]
fn aggregated_view_as_manager_and_as_subject() {
    let s = Scenario::complete(3, shared_settings());
    let t = s.template();
    let scale = &s.cycle.settings().rating_scale;
    let ctx = s.ctx();
    let for_manager = aggregate(&ctx, id("bo"), &s.packet, &s.reviews, Peer, t, scale);
    let for_subject = aggregate(&ctx, id("ann"), &s.packet, &s.reviews, Peer, t, scale);
    assert_eq!(for_manager.responses, 3);
    assert_eq!(for_subject.responses, 3);
    assert!(
        for_manager.questions.iter().any(|q| q.key == "note"),
        "managers see private answers"
    );
    assert!(
        !for_subject.questions.iter().any(|q| q.key == "note"),
        "the subject never does"
    );
    let json = serde_json::to_string(&for_subject).unwrap();
    for p in &s.peers {
        assert!(!json.contains(&p.to_string()) && !json.contains(s.org.name(*p).unwrap()));
    }
    let stranger = aggregate(&ctx, id("zed"), &s.packet, &s.reviews, Peer, t, scale);
    assert_eq!(stranger.responses, 0, "built only from readable reviews");
    insta::assert_snapshot!(
        "aggregated_views",
        format!("as the manager (bo):\n{for_manager}\nas the subject (ann):\n{for_subject}")
    );
}

#[test]
fn a_section_input_averages_its_rating_questions() {
    let rule = ConsolidatedRule::Formula(vec![WeightedInput {
        input: ScoreInput::Section("craft".into()),
        weight: 100,
    }]);
    rule.check_references(&[review_template()]).unwrap();
    let missing = ConsolidatedRule::Formula(vec![WeightedInput {
        input: ScoreInput::Section("nope".into()),
        weight: 100,
    }]);
    assert_eq!(
        missing
            .check_references(&[review_template()])
            .unwrap_err()
            .to_string(),
        "invalid formula: section `nope` refers to no question of the cycle's templates"
    );
    let no_ratings = ConsolidatedRule::Formula(vec![WeightedInput {
        input: ScoreInput::Section("summary".into()),
        weight: 100,
    }]);
    assert!(
        no_ratings.check_references(&[review_template()]).is_err(),
        "a section without rating questions cannot be an input"
    );
    // `craft` has one rating question (`overall`): self 3, peers 3, 4, 5, manager 4 → 3.8.
    let s = Scenario::complete(
        3,
        CycleSettings {
            consolidated: rule,
            ..shared_settings()
        },
    );
    let b = s.score();
    assert_eq!(b.inputs[0].responses, 5);
    assert_eq!(b.consolidated.map(|s| s.hundredths()), Some(380));
}
