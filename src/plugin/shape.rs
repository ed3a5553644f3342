//! The shape every [`Commit`] must have, checked by every backend before it writes anything:
//! one write per key, outbox keys not used before.

use std::collections::BTreeSet;

use super::{Commit, RecordKey};
use crate::domain::id::{IdSet, fmix64};
use crate::domain::{Error, Result};

/// The key of each of a commit's writes, in order, read in one pass .
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn keys_of(commit: &Commit) -> Vec<RecordKey> {
    commit.writes.iter().map(super::Write::key).collect()
}

/// A key's id, mixed so that every bit of it reaches every bit of the result (ids may be
/// structured, as sequential UUIDs are). Equal keys give equal values; so may keys of two kinds
/// with one id, which `repeated` then tells apart.
fn spread(key: &RecordKey) -> u64 {
    let id = match key {
        RecordKey::Cycle(id) | RecordKey::Snapshot(id) | RecordKey::OrgHead(id) => {
            id.as_uuid().as_u128()
        }
        RecordKey::OrgChange { cycle, seq } => cycle.as_uuid().as_u128() ^ u128::from(*seq),
        RecordKey::Packet(id) => id.as_uuid().as_u128(),
        RecordKey::Review(id) => id.as_uuid().as_u128(),
        RecordKey::Nomination(id) => id.as_uuid().as_u128(),
        RecordKey::Calibration(id) => id.as_uuid().as_u128(),
        RecordKey::Template(id) => id.as_uuid().as_u128(),
        RecordKey::Receipt(id) => id.as_uuid().as_u128(),
        RecordKey::Grants => 0,
    };
    // Both halves folded, then murmur3's finalizer.
    fmix64((id as u64) ^ ((id >> 64) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The first key of `keys` that was already there before it, if any.
///
/// A set of all the keys would cost a cache miss per key in a launch's commit. Instead each
/// key sets one bit of a bitmap of 16 bits a key (a megabyte for a 100,000-person launch):
/// two equal keys land on the same bit, so only keys that land on a bit already set can
/// repeat one. A second pass puts just the keys on those bits (a few percent) in a set.
fn repeated(keys: &[RecordKey]) -> Option<&RecordKey> {
    let bits = keys.len().saturating_mul(16).next_power_of_two().max(64);
    let at = |key: &RecordKey| {
        let bit = spread(key) as usize & (bits - 1);
        (bit / 64, 1u64 << (bit % 64))
    };
    let mut map = vec![0u64; bits / 64];
    let mut again = Vec::new();
    for key in keys {
        let (word, mask) = at(key);
        let Some(w) = map.get_mut(word) else { continue };
        if *w & mask == 0 {
            *w |= mask;
        } else {
            again.push((word, mask));
        }
    }
    if again.is_empty() {
        return None;
    }
    // The map now marks only the bits that were met twice.
    map.fill(0);
    for (word, mask) in again {
        if let Some(w) = map.get_mut(word) {
            *w |= mask;
        }
    }
    let mut seen = IdSet::default();
    keys.iter().find(|key| {
        let (word, mask) = at(key);
        map.get(word).is_some_and(|w| w & mask != 0) && !seen.insert(*key)
    })
}

/// Checks a commit's shape, given the key of each write: one write per key, outbox keys unused.
pub(crate) fn check_shape(
    commit: &Commit,
    keys: &[RecordKey],
    key_used: impl Fn(&str) -> bool,
) -> Result<()> {
    if let Some(key) = repeated(keys) {
        return Err(Error::invalid("commit", format!("two writes to {key}")));
    }
    let mut outbox_keys = BTreeSet::new();
    for n in &commit.outbox {
        if !outbox_keys.insert(n.key.as_str()) || key_used(&n.key) {
            return Err(Error::invalid(
                "commit",
                format!("outbox key `{}` is already used", n.key),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PacketId, ReviewId};
    use proptest::prelude::*;

    /// The key of the other kind (packet or review) with the same id.
    fn twin(key: RecordKey) -> RecordKey {
        match key {
            RecordKey::Review(id) => RecordKey::Packet(PacketId::from_uuid(*id.as_uuid())),
            RecordKey::Packet(id) => RecordKey::Review(ReviewId::from_uuid(*id.as_uuid())),
            other => other,
        }
    }

    fn key(i: u128) -> RecordKey {
        if i % 2 == 0 {
            RecordKey::Review(ReviewId::from_uuid(uuid::Uuid::from_u128(i)))
        } else {
            RecordKey::Packet(PacketId::from_uuid(uuid::Uuid::from_u128(i)))
        }
    }

    proptest! {
        /// `repeated` finds the first key written twice, as a plain set would, over commits
        /// large enough that many keys share a bit of its bitmap.
        #[test]
        fn repeated_agrees_with_a_plain_set(
            n in 0usize..3_000,
            seed in any::<u64>(),
            copies in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..3),
        ) {
            let mut keys: Vec<RecordKey> =
                (0..n as u128).map(|i| key(i.wrapping_mul(0x9e37_79b9) ^ u128::from(seed))).collect();
            // Keys of another kind with the same id: not repeats, though they share a bit.
            let twins: Vec<RecordKey> = keys.iter().step_by(7).map(|k| twin(*k)).collect();
            keys.extend(twins);
            for (from, to) in copies {
                if !keys.is_empty() {
                    let k = keys[from.index(keys.len())];
                    let at = to.index(keys.len());
                    keys[at] = k;
                }
            }
            let mut seen = BTreeSet::new();
            let want = keys.iter().find(|k| !seen.insert(**k));
            prop_assert_eq!(repeated(&keys), want);
        }
    }
}
