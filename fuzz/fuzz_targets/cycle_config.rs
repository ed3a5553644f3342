//! See `checks::cycle_config`.

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| futures::executor::block_on(checks::cycle_config(data)));
