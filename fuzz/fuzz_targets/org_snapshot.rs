//! Arbitrary org data: building a snapshot either refuses it with an error or yields a snapshot
//! whose O(1) ancestor test agrees with walking the manager chain, whose extended teams agree
//! with the ancestor test, and whose serialized form round-trips.

#![no_main]

use appraise::{OrgSnapshot, Person, PersonId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Two bytes a person: their id (small, so duplicates happen) and their manager's.
    let pid = |b: u8| PersonId::from_key(&format!("p{}", b % 64));
    let people: Vec<Person> = data
        .chunks_exact(2)
        .map(|c| {
            let p = Person::new(pid(c[0]), format!("p{}", c[0] % 64));
            if c[1] < 200 {
                p.with_manager(pid(c[1]))
            } else {
                p
            }
        })
        .collect();
    let Ok(org) = OrgSnapshot::build(people.clone(), vec![]) else {
        return;
    };
    let walk = |a: PersonId, b: PersonId| {
        let mut m = org.manager_of(b);
        let mut steps = 0;
        while let Some(x) = m {
            if x == a {
                return true;
            }
            steps += 1;
            assert!(steps <= people.len(), "a loop got through");
            m = org.manager_of(x);
        }
        false
    };
    for a in &people {
        let team: Vec<PersonId> = org.extended_team(a.id).collect();
        for b in &people {
            let ancestor = org.is_ancestor(a.id, b.id);
            assert_eq!(ancestor, walk(a.id, b.id));
            assert_eq!(ancestor, team.contains(&b.id));
        }
    }
    let json = serde_json::to_string(&org).expect("serializes");
    let back: OrgSnapshot = serde_json::from_str(&json).expect("round-trips");
    assert!(back == org);
});
