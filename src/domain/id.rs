//! Typed identifiers and the id sources the core draws new ids from.
//!
//! Every id is a newtype over a [`Uuid`] with a private field, so a `CycleId` can never be
//! passed where a `PersonId` is expected. Ids serialize as the bare UUID string
//! (`#[serde(transparent)]`) and parse with [`FromStr`].
//!
//! Hosts whose HR system uses its own keys (`"emp-1042"`) turn them into stable ids with
//! [`PersonId::from_key`] (a name-based UUID, version 5): the same key always gives the same id.

use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Error;

/// The namespace under which [`from_key`](PersonId::from_key) derives name-based ids.
const KEY_NAMESPACE: Uuid = Uuid::from_u128(0x6a1c_93f0_5e2b_4f7d_9c4e_2d8b_1a7f_0c35);

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// The smallest id in the order ids sort in (for ranges over ordered indexes).
            #[allow(dead_code, reason = "not every id type is used as a range bound")]
            pub(crate) const MIN: Self = Self(Uuid::nil());
            /// The largest id in the order ids sort in.
            #[allow(dead_code, reason = "not every id type is used as a range bound")]
            pub(crate) const MAX: Self = Self(Uuid::max());

            /// Wraps an existing UUID.
            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Derives a stable id from a host key (a name-based UUID): the same key always
            /// gives the same id, so ids from an HR system map onto appraise ids without a table.
            #[must_use]
            pub fn from_key(key: &str) -> Self {
                Self(Uuid::new_v5(&KEY_NAMESPACE, concat!($what, ":").as_bytes()).then_key(key))
            }

            /// A fresh random id (UUID version 4).
            #[must_use]
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// The UUID inside.
            #[must_use]
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                Uuid::parse_str(s).map(Self).map_err(|_| Error::Invalid {
                    field: $what.to_owned(),
                    reason: format!("`{s}` is not a valid id"),
                })
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

/// Namespacing helper: a key is hashed under the id kind's own namespace, so a person and a
/// department with the same host key get different ids.
trait ThenKey {
    fn then_key(self, key: &str) -> Uuid;
}

impl ThenKey for Uuid {
    fn then_key(self, key: &str) -> Uuid {
        Uuid::new_v5(&self, key.as_bytes())
    }
}

id_type!(
    /// A person: an employee known to the org snapshot, or anyone holding a grant.
    PersonId,
    "person id"
);
id_type!(
    /// A department of the org.
    DepartmentId,
    "department id"
);
id_type!(
    /// A review cycle.
    CycleId,
    "cycle id"
);
id_type!(
    /// One review: a kind, an author and a subject inside a cycle.
    ReviewId,
    "review id"
);
id_type!(
    /// A participant's packet: their record in a cycle.
    PacketId,
    "packet id"
);
id_type!(
    /// A peer nomination.
    NominationId,
    "nomination id"
);
id_type!(
    /// A question template.
    TemplateId,
    "template id"
);
id_type!(
    /// A question inside a template.
    QuestionId,
    "question id"
);
id_type!(
    /// A calibration session of a cycle.
    CalibrationSessionId,
    "calibration session id"
);
id_type!(
    /// A goal (OKR, project) owned by a person.
    GoalId,
    "goal id"
);
id_type!(
    /// A custom role: a named set of admin permissions.
    CustomRoleId,
    "custom role id"
);
id_type!(
    /// The receipt of a command run under a client's idempotency key: derived from the actor
    /// and the key ([`ReceiptId::of`]), so that two people's keys never meet.
    ReceiptId,
    "receipt id"
);

impl PacketId {
    /// The id of `subject`'s packet in `cycle`: a participant has one packet per cycle, so its
    /// id is derived from the two (a name-based UUID), and finding it takes no search.
    #[must_use]
    pub fn of(cycle: CycleId, subject: PersonId) -> Self {
        let mut bytes = [0u8; 32];
        let (c, s) = bytes.split_at_mut(16);
        c.copy_from_slice(cycle.as_uuid().as_bytes());
        s.copy_from_slice(subject.as_uuid().as_bytes());
        Self(Uuid::new_v5(&PACKET_NAMESPACE, &bytes))
    }
}

/// The namespace of [`PacketId::of`].
const PACKET_NAMESPACE: Uuid = Uuid::from_u128(0x2f0d_7c41_9a6e_4b83_8d15_c3e9_0b7a_5f26);

impl ReceiptId {
    /// The receipt id of `actor`'s commands under the client key `key`.
    #[must_use]
    pub fn of(actor: PersonId, key: &str) -> Self {
        Self::from_key(&format!("{actor}/{key}"))
    }
}

/// Where the core takes the ids of the records it creates (packets and reviews at launch, ...).
///
/// The core never draws randomness by itself so that it stays deterministic: the engine passes
/// [`RandomIds`]; tests and snapshot fixtures pass [`SequentialIds`].
pub trait IdSource {
    /// The next unused UUID.
    fn next_uuid(&mut self) -> Uuid;
}

/// Random version 4 UUIDs: what production code uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn next_uuid(&mut self) -> Uuid {
        Uuid::new_v4()
    }
}

/// Deterministic ids counting up from a start value: for tests and reproducible fixtures.
#[derive(Debug, Clone, Copy)]
pub struct SequentialIds {
    next: u128,
}

impl SequentialIds {
    /// Ids `start`, `start + 1`, ... (as 128-bit UUID values).
    #[must_use]
    pub const fn starting_at(start: u128) -> Self {
        Self { next: start }
    }
}

impl IdSource for SequentialIds {
    fn next_uuid(&mut self) -> Uuid {
        let uuid = Uuid::from_u128(self.next);
        self.next = self.next.wrapping_add(1);
        uuid
    }
}

/// murmur3's 64-bit finalizer: every bit of `h` reaches every bit of the result.
pub(crate) const fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A fast hasher for id keys (UUIDs are already well mixed), used by the crate's internal maps
/// on the permission hot path. Not resistant to adversarial keys; ids come from the host.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    /// Ends with murmur3's 64-bit finalizer so that every input bit reaches the low bits:
    /// hashbrown picks buckets from them, and structured ids (sequential UUIDs, whose low
    /// bytes are all alike) would otherwise all share one probe chain.
    fn finish(&self) -> u64 {
        fmix64(self.0)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }
}

/// [`BuildHasher`] for [`IdHasher`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct BuildIdHasher;

impl BuildHasher for BuildIdHasher {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// The [`IdHasher`] hash of `key`, for tables that hash ids themselves.
pub(crate) fn hash_of(key: impl Hash) -> u64 {
    BuildIdHasher.hash_one(key)
}

/// A `HashMap` keyed by ids with the fast hasher.
pub(crate) type IdMap<K, V> = std::collections::HashMap<K, V, BuildIdHasher>;
/// A `HashSet` of ids with the fast hasher.
pub(crate) type IdSet<K> = std::collections::HashSet<K, BuildIdHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_key_is_stable_and_namespaced_by_kind() {
        assert_eq!(PersonId::from_key("emp-1"), PersonId::from_key("emp-1"));
        assert_ne!(PersonId::from_key("emp-1"), PersonId::from_key("emp-2"));
        assert_ne!(
            PersonId::from_key("x").as_uuid(),
            DepartmentId::from_key("x").as_uuid()
        );
    }

    /// Sequential UUIDs differ only in bytes that land in the high bits of the hasher's words;
    /// their hashes must still spread over the low bits hashbrown uses for bucket indices.
    #[test]
    fn sequential_ids_spread_over_low_hash_bits() {
        let buckets: IdSet<u64> = (0..4096u128)
            .map(|i| BuildIdHasher.hash_one(PersonId::from_uuid(Uuid::from_u128(i))) & 0xfff)
            .collect();
        assert!(
            buckets.len() > 2000,
            "only {} of 4096 low-bit patterns",
            buckets.len()
        );
    }

    #[test]
    fn parse_round_trips_and_refuses_garbage() {
        let id = CycleId::random();
        assert_eq!(id.to_string().parse::<CycleId>().ok(), Some(id));
        let err = "nope".parse::<CycleId>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid cycle id: `nope` is not a valid id")
        );
    }
}
