//! The fuzz targets' checks (`fuzz/checks.rs`) driven by proptest in every `cargo test`, so
//! CI runs them without a nightly toolchain: org CSV text, mutated stored records, mutated
//! templates with answers, typed command sequences, and mutated cycle settings. `APPRAISE_PROPTEST_CASES` raises the
//! case count; `cargo +nightly fuzz run <target>` in `fuzz/` runs the same checks under
//! libFuzzer.

use proptest::prelude::*;

use crate::fuzz_checks as checks;
use crate::world::config as proptest_config;

/// CSV-like text: rows of fields drawn from ids, names, flags, dates, quotes and junk.
fn csv_text() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        "e[0-9]",
        "[A-Za-z ]{0,8}",
        Just(String::new()),
        Just("true".to_owned()),
        Just("maybe".to_owned()),
        Just("2026-01-0[1-9]".to_owned()),
        Just("\"a,b\"".to_owned()),
        Just("\"".to_owned()),
        ".{0,4}",
    ];
    let header = prop_oneof![
        Just("id,name,email,manager_id,department,active".to_owned()),
        Just("id,name,email,manager_id,department,active,hired".to_owned()),
        Just("name,id".to_owned()),
    ];
    let row = proptest::collection::vec(field, 0..8).prop_map(|f| f.join(","));
    (header, proptest::collection::vec(row, 0..12))
        .prop_map(|(h, rows)| format!("{h}\n{}\n", rows.join("\n")))
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn fuzz_org_csv(text in csv_text()) {
        checks::org_csv(text.as_bytes());
    }

    #[test]
    fn fuzz_org_csv_bytes(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        checks::org_csv(&data);
    }

    #[test]
    fn fuzz_stored_record(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        checks::stored_record(&data);
    }

    #[test]
    fn fuzz_template_answers(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        checks::template_answers(&data);
    }
}

proptest! {
    // A whole engine a case: fewer cases.
    #![proptest_config(ProptestConfig { cases: proptest_config().cases / 8 + 1, ..proptest_config() })]

    #[test]
    fn fuzz_commands(data in proptest::collection::vec(any::<u8>(), 0..120)) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(checks::commands(&data));
    }

    #[test]
    fn fuzz_cycle_config(data in proptest::collection::vec(any::<u8>(), 2..14)) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(checks::cycle_config(&data));
    }
}
