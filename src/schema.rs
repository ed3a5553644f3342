//! JSON Schemas (draft 2020-12) of everything that crosses the wire: commands, queries and
//! their outcomes, the records a storage keeps, audit events and notifications (feature
//! `schema`). The crate checks them in under `schema/`, and a test fails when they are stale,
//! so a client generated from them matches this version.

use schemars::{Schema, schema_for};

use crate::plugin::{Record, StoredEvent};
use crate::{Command, Notification, Outcome, Query};

/// Each schema with its file name under `schema/` (without `.json`).
#[must_use]
pub fn all() -> Vec<(&'static str, Schema)> {
    vec![
        ("command", schema_for!(Command)),
        ("query", schema_for!(Query)),
        ("outcome", schema_for!(Outcome)),
        ("record", schema_for!(Record)),
        ("event", schema_for!(StoredEvent)),
        ("notification", schema_for!(Notification)),
    ]
}
