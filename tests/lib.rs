//! One integration test binary (keeps link time low); modules by topic.

mod alloc;
mod cedar;
#[cfg(feature = "cli")]
mod cli;
mod commands;
mod confidentiality;
mod content;
mod content_props;
mod core_workflow;
#[cfg(feature = "testkit")]
mod delivery;
mod engine;
mod engine_content;
#[cfg(feature = "testkit")]
#[path = "../fuzz/checks.rs"]
mod fuzz_checks;
#[cfg(feature = "testkit")]
mod fuzz_driver;
#[cfg(feature = "sqlite")]
mod http;
#[cfg(feature = "sqlite")]
#[allow(dead_code)]
#[path = "../examples/http_service.rs"]
mod http_service;
#[cfg(feature = "testkit")]
mod idempotency;
mod invariants;
mod layers;
mod leak;
mod machines;
mod model;
mod oracle;
mod oracle_test;
mod org_log;
mod queries;
mod read_rules;
mod refusals;
#[cfg(feature = "schema")]
mod schema;
mod snapshots;
mod spans;
#[cfg(feature = "testkit")]
mod storage;
mod stored_form;
mod units;
mod workflow;
mod workflow_props;
mod world;
mod write_rules;
