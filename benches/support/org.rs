//! Random company orgs for benches and the scale report: trees of depth 8–12 whose level sizes
//! grow geometrically, each person reporting to a random person of the level above.

#![allow(dead_code)]

use appraise::{Person, PersonId};

/// splitmix64.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// `n` people in a tree of depth 8–12 (chosen by `seed`), CEO first.
pub fn people(n: usize, seed: u64) -> Vec<Person> {
    let mut rng = Rng(seed);
    let depth = 8 + rng.below(5);
    let growth = (n as f64).powf(1.0 / depth as f64);
    let ids: Vec<PersonId> = (0..n)
        .map(|i| {
            PersonId::from_uuid(uuid::Uuid::from_u128(
                ((seed as u128) << 64) | (i as u128 + 1),
            ))
        })
        .collect();
    let mut people = Vec::with_capacity(n);
    if n == 0 {
        return people;
    }
    people.push(Person::new(ids[0], "p0"));
    let (mut prev, mut start, mut level) = (0..1usize, 1usize, 1usize);
    while start < n {
        let size = if level >= depth {
            n - start
        } else {
            (growth.powi(level as i32) as usize).clamp(1, n - start)
        };
        for i in start..start + size {
            let parent = prev.start + rng.below(prev.len());
            people.push(Person::new(ids[i], format!("p{i}")).with_manager(ids[parent]));
        }
        prev = start..start + size;
        start += size;
        level += 1;
    }
    people
}
