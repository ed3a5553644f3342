//! What engine commands report back besides the records they change.

use serde::{Deserialize, Serialize};

/// What a launch made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LaunchReport {
    /// Packets created.
    pub packets: usize,
    /// Reviews assigned.
    pub reviews: usize,
    /// People in the org snapshot.
    pub people: usize,
}

/// What a delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Delivery {
    /// Notifications the notifier accepted.
    pub delivered: usize,
    /// Notifications that failed and stay pending.
    pub failed: usize,
}

/// What one [`tick`](crate::Engine::tick) did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TickReport {
    /// Nominations approved at their deadline.
    pub auto_approved: usize,
    /// Reminders sent.
    pub reminders: usize,
    /// Packets skipped because someone else changed them meanwhile (the next tick retries).
    pub conflicts: usize,
    /// Packets whose due work failed otherwise, with the error's message: one packet's
    /// failure never stops the tick for the others, and the next tick tries it again.
    pub failed: Vec<(crate::PacketId, String)>,
}
