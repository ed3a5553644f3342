//! The serialised form of packets and reviews, as storages keep them: fields at their default
//! (empty lists, no value, `false`, zero counts) are left out, every record reads back as it
//! was written, and the full form earlier versions wrote still reads.

use appraise::{Packet, PersonId, Review};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::world::{config, worlds};

/// ann's packet and reviews, fresh from a launch (boss manages ann).
fn fresh() -> (Packet, Vec<Review>) {
    let (_, mut launched, _, _) = crate::units::launched();
    (launched.packets.remove(0), launched.reviews)
}

/// The fields a packet and a review leave out at their default, with that default as the full
/// form writes it.
fn defaults(of: &str) -> Vec<(&'static str, Value)> {
    match of {
        "packet" => vec![
            ("manager", Value::Null),
            ("default_additional_manager", Value::Null),
            ("withdrawn", json!(false)),
            ("gate_opened", json!(false)),
            ("approval_step", json!(0)),
            ("approval_passed", json!(0)),
            ("former_managers", json!([])),
            ("additional_managers", json!([])),
            ("viewers", json!([])),
            ("sharers", json!([])),
            ("upward_reviewers", json!([])),
            ("peers", json!([])),
            ("goals", json!([])),
            ("calibrated", Value::Null),
            ("meeting_at", Value::Null),
        ],
        "tally" => vec![
            ("assigned", json!(0)),
            ("submitted", json!(0)),
            ("removed", json!(0)),
            ("draft", json!(0)),
        ],
        _ => vec![
            ("removed", json!(false)),
            ("reminders", json!([])),
            ("answers", json!({})),
        ],
    }
}

/// `value` with every field `defaults` names written out where it was left out.
fn full_form(mut value: Value, of: &str) -> Value {
    let Value::Object(fields) = &mut value else {
        panic!("{of} is not an object: {value}");
    };
    fill(fields, of);
    if let Some(Value::Array(tally)) = fields.get_mut("tally") {
        for kind in tally {
            if let Value::Object(counts) = kind {
                fill(counts, "tally");
            }
        }
    }
    value
}

fn fill(fields: &mut Map<String, Value>, of: &str) {
    for (name, default) in defaults(of) {
        fields.entry(name).or_insert(default);
    }
}

#[test]
fn fresh_records_leave_their_defaults_out() {
    let (packet, reviews) = fresh();
    let json = serde_json::to_value(&packet).unwrap();
    // ann has a manager: that field is written; nobody reports to ann, so no upward reviewers.
    assert_eq!(json["manager"], json!(PersonId::from_key("boss")));
    for (name, _) in defaults("packet") {
        if name != "manager" {
            assert!(
                json.get(name).is_none(),
                "`{name}` written at its default: {json}"
            );
        }
    }
    // Self and manager reviews assigned, nothing else: one count each, the other kinds empty.
    let tally = json["tally"].as_array().unwrap();
    assert_eq!(tally.len(), 5);
    let written: Vec<&Value> = tally.iter().filter(|k| *k != &json!({})).collect();
    assert_eq!(written, [&json!({"assigned": 1}), &json!({"assigned": 1})]);
    assert_eq!(reviews.len(), 2);
    for review in &reviews {
        let json = serde_json::to_value(review).unwrap();
        for (name, _) in defaults("review") {
            assert!(
                json.get(name).is_none(),
                "`{name}` written at its default: {json}"
            );
        }
        assert_eq!(serde_json::from_value::<Review>(json).unwrap(), *review);
    }
    assert_eq!(
        serde_json::from_str::<Packet>(&serde_json::to_string(&packet).unwrap()).unwrap(),
        packet
    );
}

#[test]
fn the_full_form_reads_as_the_short_one() {
    let (packet, reviews) = fresh();
    let full = full_form(serde_json::to_value(&packet).unwrap(), "packet");
    assert_eq!(
        full["viewers"],
        json!([]),
        "the full form names every field"
    );
    assert_eq!(
        full["tally"][2],
        json!({"assigned": 0, "submitted": 0, "removed": 0, "draft": 0})
    );
    assert_eq!(serde_json::from_value::<Packet>(full).unwrap(), packet);
    for review in reviews {
        let full = full_form(serde_json::to_value(&review).unwrap(), "review");
        assert_eq!(full["removed"], json!(false));
        assert_eq!(serde_json::from_value::<Review>(full).unwrap(), review);
    }
}

proptest! {
    #![proptest_config(config())]

    /// Packets and reviews in every state a world reaches (withdrawn, shared, calibrated,
    /// submitted, removed, with viewers, peers, goals and answers) read back as they were
    /// written, in the short form and in the full one.
    #[test]
    fn records_read_back_as_written(w in worlds()) {
        for packet in &w.packets {
            let json = serde_json::to_value(packet).unwrap();
            prop_assert_eq!(&serde_json::from_value::<Packet>(json.clone()).unwrap(), packet);
            let full = full_form(json, "packet");
            prop_assert_eq!(&serde_json::from_value::<Packet>(full).unwrap(), packet);
        }
        for review in &w.reviews {
            let json = serde_json::to_value(review).unwrap();
            prop_assert_eq!(&serde_json::from_value::<Review>(json.clone()).unwrap(), review);
            let full = full_form(json, "review");
            prop_assert_eq!(&serde_json::from_value::<Review>(full).unwrap(), review);
        }
    }
}

/// Reliability finding: deserialising public types built states no command could: 50
/// additional managers, a peer review written by its subject, a scale with min above max,
/// duplicate template keys. Every such JSON is refused now, received or read back from storage,
/// with the invariant named; the untouched JSON still reads.
#[test]
fn deserialising_refuses_states_no_command_builds() {
    fn refused<T: serde::de::DeserializeOwned + std::fmt::Debug>(
        what: &str,
        value: Value,
        reason: &str,
    ) {
        match serde_json::from_value::<T>(value) {
            Err(e) => assert!(e.to_string().contains(reason), "{what}: {e}"),
            Ok(v) => panic!("{what} was accepted: {v:?}"),
        }
    }
    let (packet, reviews) = fresh();
    let packet_json = serde_json::to_value(&packet).unwrap();
    serde_json::from_value::<Packet>(packet_json.clone()).expect("the packet reads");
    let with = |field: &str, value: Value| {
        let mut p = packet_json.clone();
        p[field] = value;
        p
    };
    let many: Vec<String> = (0..50).map(|_| PersonId::random().to_string()).collect();
    refused::<Packet>(
        "50 additional managers",
        with("additional_managers", json!(many)),
        "50 additional managers",
    );
    let twice = PersonId::random().to_string();
    refused::<Packet>(
        "a peer listed twice",
        with("peers", json!([twice, twice])),
        "twice in peers",
    );
    let subject = packet.subject().to_string();
    refused::<Packet>(
        "the subject as their own peer",
        with("peers", json!([subject])),
        "own peer",
    );
    let mut counters = packet_json.clone();
    counters["tally"][3] = json!({"assigned": 1, "submitted": 1, "removed": 2});
    refused::<Packet>("more removed than submitted", counters, "inconsistently");
    let mut counters = packet_json.clone();
    counters["tally"][0] = json!({"assigned": 1, "submitted": 2});
    refused::<Packet>("more submitted than assigned", counters, "inconsistently");

    let manager_review = reviews
        .iter()
        .find(|r| r.kind() == appraise::ReviewKind::Manager)
        .expect("a manager review");
    let mut review = serde_json::to_value(manager_review).unwrap();
    serde_json::from_value::<Review>(review.clone()).expect("the review reads");
    review["author"] = json!(manager_review.subject());
    refused::<Review>("a review by its own subject", review.clone(), "own subject");
    review["kind"] = json!("peer");
    refused::<Review>("a peer review by its own subject", review, "own subject");
    let mut removed = serde_json::to_value(manager_review).unwrap();
    removed["removed"] = json!(true);
    refused::<Review>("a removed manager review", removed, "removed manager");

    refused::<appraise::RatingScale>(
        "a scale with min above max",
        json!({"min": 5, "max": 1, "labels": []}),
        "is not below max",
    );
    refused::<appraise::CycleSettings>(
        "settings with a scale with min above max",
        json!({"rating_scale": {"min": 5, "max": 1, "labels": []}}),
        "is not below max",
    );
    refused::<appraise::CycleSettings>(
        "more peers required than allowed",
        json!({"min_peers": 6, "max_peers": 2}),
        "min_peers",
    );
    let question = json!({
        "key": "q", "text": "How?", "kind": {"type": "free_text", "max_len": null},
        "answered_by": ["self"], "required": false, "visibility": "shared_with_subject"
    });
    let template = |questions: Value| {
        json!({
            "id": appraise::TemplateId::random(),
            "name": "t",
            "sections": [{"key": "s", "title": "S", "questions": questions}]
        })
    };
    serde_json::from_value::<appraise::Template>(template(json!([question])))
        .expect("the template reads");
    refused::<appraise::Template>(
        "a template with a key used twice",
        template(json!([question, question])),
        "used twice",
    );
    let mut scale = question.clone();
    scale["kind"] = json!({"type": "number_scale", "min": 10, "max": 0, "step": 1});
    refused::<appraise::Template>(
        "a number scale with min above max",
        template(json!([scale])),
        "min 10 is not below max 0",
    );
}

/// For tooling (finding: `missing field kinds`): a cycle's config reads from JSON with only
/// its name and period; kinds, templates, settings and eligibility take their defaults, and a
/// kind left out of `kinds` runs.
#[test]
fn a_cycle_config_reads_with_only_a_name_and_a_period() {
    let json = json!({"name": "H1", "period": {"start": "2026-01-01", "end": "2026-06-30"}});
    let config: appraise::CycleConfig = serde_json::from_value(json).unwrap();
    let period = config.period;
    assert_eq!(config, appraise::CycleConfig::new("H1", period));
    let json = json!({
        "name": "H1",
        "period": {"start": "2026-01-01", "end": "2026-06-30"},
        "kinds": {"upward": false},
        "settings": {"anonymity_threshold": 3}
    });
    let config: appraise::CycleConfig = serde_json::from_value(json).unwrap();
    assert!(!config.kinds.upward && config.kinds.peer && config.kinds.self_review);
    assert_eq!(config.settings.anonymity_threshold, 3);
}
