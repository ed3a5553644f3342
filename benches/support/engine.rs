//! An engine with a draft cycle of `n` people (everyone a participant), ready to launch: for
//! the scale bench and the scale report.

#![allow(dead_code)]

use std::sync::Arc;

use appraise::memory::StaticDirectory;
use appraise::plugin::Storage;
use appraise::{AdminGrant, CycleConfig, CycleId, Engine, PersonId};

use super::{org, world};

/// The engine, the cycle, and its admin (the CEO, who is a participant too).
pub async fn ready(n: usize, storage: Arc<dyn Storage>) -> (Engine, CycleId, PersonId) {
    let people = org::people(n, n as u64);
    let admin = people[0].id;
    let engine = Engine::builder()
        .storage(storage)
        .directory(StaticDirectory::new(people.clone(), vec![]))
        .build();
    let since = engine.now() - chrono::Duration::days(1);
    engine
        .bootstrap_admin(
            admin,
            AdminGrant {
                since,
                past_cycles: true,
            },
        )
        .await
        .expect("admin");
    let cycle = engine
        .create_cycle(admin, CycleConfig::new("scale", world::period()))
        .await
        .expect("cycle");
    engine
        .add_participants(admin, cycle.id(), people.iter().map(|p| p.id))
        .await
        .expect("participants");
    (engine, cycle.id(), admin)
}
