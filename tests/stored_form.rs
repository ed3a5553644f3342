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
