//! Storage in memory, laid out for a 100,000-person cycle: packets and reviews (the numerous
//! records) in dense slot tables, per-cycle indexes holding 4-byte slots, and the progress
//! counts of each cycle kept up to date by the commits.

use std::collections::BTreeSet;
use std::hash::Hash;
use std::marker::PhantomData;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use hashbrown::{HashTable, hash_table};
use smallvec::SmallVec;

use super::MemoryDump;
use super::outbox::Outbox;
use crate::domain::id::{IdMap, hash_of};
use crate::domain::progress::Tally;
use crate::plugin::{
    Claim, Commit, Expect, OutboxEntry, Record, RecordKey, Storage, StoredEvent, Versioned, Write,
    check_shape,
};
use crate::{
    CalibrationSession, CalibrationSessionId, CycleId, Error, Nomination, NominationId, Packet,
    PacketId, PersonId, Progress, Result, Review, ReviewId, ReviewState,
};

/// A record kept in a [`Slab`]: it knows its own id.
trait Keyed<K> {
    fn key(&self) -> K;
}

impl Keyed<PacketId> for Box<Packet> {
    fn key(&self) -> PacketId {
        self.id()
    }
}

impl Keyed<ReviewId> for Box<Review> {
    fn key(&self) -> ReviewId {
        self.id()
    }
}

/// Records of one kind in a dense vector, found by id through a hash index. A freed slot is
/// reused by a later insertion, so a slot names the same record for as long as it lives: the
/// secondary indexes keep slots (4 bytes) rather than ids (16 bytes).
///
/// The index holds slots alone and compares ids in the records: 4 bytes a bucket rather than
/// 20, so the index of a 100,000-person cycle's reviews stays within the processor's caches
/// while a launch fills it.
#[derive(Debug)]
struct Slab<K, T> {
    slots: Vec<Option<(u64, T)>>,
    free: Vec<u32>,
    /// Every live slot, hashed by its record's id.
    index: HashTable<u32>,
    key: PhantomData<K>,
}

impl<K, T> Default for Slab<K, T> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            index: HashTable::new(),
            key: PhantomData,
        }
    }
}

/// The id of the record in `slot`, for [`Slab`]'s index. Index entries always name a live slot;
/// `None` (never seen) would only make a probe pass over the entry.
fn key_at<K, T: Keyed<K>>(slots: &[Option<(u64, T)>], slot: u32) -> Option<K> {
    slots
        .get(slot as usize)
        .and_then(Option::as_ref)
        .map(|(_, t)| t.key())
}

/// The hash of the id of the record in `slot`, for the index to grow.
fn hash_at<K: Hash, T: Keyed<K>>(slots: &[Option<(u64, T)>], slot: u32) -> u64 {
    key_at(slots, slot).map_or(0, hash_of)
}

impl<K: Hash + Eq + Copy, T: Keyed<K>> Slab<K, T> {
    /// Whether `additional` more records fit in 32-bit slots.
    fn has_room(&self, additional: usize) -> bool {
        let needed = self.index.len().saturating_add(additional);
        u32::try_from(needed).is_ok()
    }

    fn reserve(&mut self, additional: usize) {
        self.slots
            .reserve(additional.saturating_sub(self.free.len()));
        let slots = &self.slots;
        self.index.reserve(additional, |&slot| hash_at(slots, slot));
    }

    /// The slot of the record with this id.
    fn slot(&self, id: &K) -> Option<u32> {
        self.index
            .find(hash_of(id), |&slot| key_at(&self.slots, slot) == Some(*id))
            .copied()
    }

    fn at(&self, slot: u32) -> Option<&(u64, T)> {
        self.slots.get(slot as usize)?.as_ref()
    }

    fn get(&self, id: &K) -> Option<&(u64, T)> {
        self.at(self.slot(id)?)
    }

    fn version(&self, id: &K) -> Option<u64> {
        self.get(id).map(|(v, _)| *v)
    }

    /// Stores `value` at `version`, in the record's own slot when it exists. Returns the slot
    /// and the value replaced. The caller checked [`has_room`](Self::has_room).
    fn put(&mut self, id: K, version: u64, value: T) -> (u32, Option<T>) {
        // One probe of the index, whether the record exists or not.
        let slots = &self.slots;
        let vacant = match self.index.entry(
            hash_of(id),
            |&slot| key_at(slots, slot) == Some(id),
            |&slot| hash_at(slots, slot),
        ) {
            hash_table::Entry::Occupied(e) => {
                let slot = *e.get();
                // Index entries always name a live slot.
                if let Some(entry) = self.slots.get_mut(slot as usize) {
                    let old = entry.replace((version, value));
                    return (slot, old.map(|(_, old)| old));
                }
                return (slot, None);
            }
            hash_table::Entry::Vacant(v) => v,
        };
        let slot = claim_slot(&mut self.slots, &mut self.free, version, value);
        vacant.insert(slot);
        (slot, None)
    }

    /// Stores a new record in a free slot, without indexing it: the caller knows the id is
    /// absent and calls [`index_new`](Self::index_new) with the slot. The caller checked
    /// [`has_room`](Self::has_room).
    fn claim(&mut self, version: u64, value: T) -> u32 {
        claim_slot(&mut self.slots, &mut self.free, version, value)
    }

    /// Indexes records stored by [`claim`](Self::claim), in one tight loop: the index is far
    /// larger than the cache, and independent insertions let the processor wait for several
    /// of its cache lines at once.
    fn index_new(&mut self, new: &[(K, u32)]) {
        let slots = &self.slots;
        for &(id, slot) in new {
            self.index
                .insert_unique(hash_of(id), slot, |&slot| hash_at(slots, slot));
        }
    }

    fn remove(&mut self, id: &K) -> Option<(u32, T)> {
        let slots = &self.slots;
        let found = self
            .index
            .find_entry(hash_of(id), |&slot| key_at(slots, slot) == Some(*id));
        let (slot, _) = found.ok()?.remove();
        let (_, value) = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some((slot, value))
    }

    fn iter(&self) -> impl Iterator<Item = &(u64, T)> {
        self.slots.iter().flatten()
    }
}

/// Stores `value` at `version` in the slot freed last, else in a new slot at the end; returns
/// the slot. In range when the caller checked [`Slab::has_room`]: that bounds the number of
/// records, and without free slots there are as many slots as records.
fn claim_slot<T>(
    slots: &mut Vec<Option<(u64, T)>>,
    free: &mut Vec<u32>,
    version: u64,
    value: T,
) -> u32 {
    match free.pop() {
        Some(slot) => {
            if let Some(entry) = slots.get_mut(slot as usize) {
                *entry = Some((version, value));
            }
            slot
        }
        None => {
            let slot = u32::try_from(slots.len()).unwrap_or(u32::MAX);
            slots.push(Some((version, value)));
            slot
        }
    }
}

/// The end of a review list (see [`Ends`]).
const END: u32 = u32::MAX;

/// A review slot (or [`END`]) for each of a person's two review lists of a cycle, the reviews
/// about them and those they write: by person, where the lists start; by review slot, where
/// they go on after that review.
///
/// A list threaded through the reviews' slots, rather than a vector a person, keeps the index
/// of a 100,000-person cycle to one small entry a person: a launch files each review with one
/// probe of a 3 MB table (the subject's entry stays in cache from one review to the next),
/// where two tables of vectors, 10 MB together, took two.
#[derive(Debug, Clone, Copy)]
struct Ends {
    about: u32,
    by: u32,
}

impl Ends {
    const NONE: Self = Self {
        about: END,
        by: END,
    };
}

/// Where a person's two review lists of a cycle start, and the slot of the packet about them
/// in that cycle as last stored (or [`END`]). The packet slot spares [`Storage::subjects`] a
/// probe of the packets' index; it is a hint, checked against the packet id before use, so a
/// packet deleted or moved since leaves no wrong answer.
#[derive(Debug, Clone, Copy)]
struct Head {
    first: Ends,
    packet: u32,
}

impl Head {
    const NONE: Self = Self {
        first: Ends::NONE,
        packet: END,
    };
}

/// Where a review's two lists go on after it, and whether it is submitted: a walk for the
/// submitted reviews of a list skips the others without reading them.
#[derive(Debug, Clone, Copy)]
struct Link {
    next: Ends,
    submitted: bool,
}

impl Link {
    const NONE: Self = Self {
        next: Ends::NONE,
        submitted: false,
    };
}

/// One of a person's two review lists.
#[derive(Debug, Clone, Copy)]
enum List {
    About,
    By,
}

impl List {
    fn of(self, ends: Ends) -> u32 {
        match self {
            Self::About => ends.about,
            Self::By => ends.by,
        }
    }

    fn of_mut(self, ends: &mut Ends) -> &mut u32 {
        match self {
            Self::About => &mut ends.about,
            Self::By => &mut ends.by,
        }
    }
}

/// Review lists of the people of one cycle, threaded through `links` (see [`Ends`]).
#[derive(Debug, Default)]
struct ReviewLists {
    heads: IdMap<PersonId, Head>,
}

impl ReviewLists {
    /// Puts the review at `slot` first in its subject's and its author's lists.
    fn link(
        &mut self,
        links: &mut Vec<Link>,
        slot: u32,
        (subject, author): (PersonId, PersonId),
        submitted: bool,
    ) {
        let at = slot as usize;
        if links.len() <= at {
            links.resize(at + 1, Link::NONE);
        }
        let about = self.heads.entry(subject).or_insert(Head::NONE);
        let about = std::mem::replace(&mut about.first.about, slot);
        let by = self.heads.entry(author).or_insert(Head::NONE);
        let by = std::mem::replace(&mut by.first.by, slot);
        if let Some(l) = links.get_mut(at) {
            *l = Link {
                next: Ends { about, by },
                submitted,
            };
        }
    }

    /// Takes the review at `slot` out of its subject's and its author's lists.
    fn unlink(&mut self, links: &mut [Link], slot: u32, subject: PersonId, author: PersonId) {
        for (person, list) in [(subject, List::About), (author, List::By)] {
            let Some(heads) = self.heads.get_mut(&person) else {
                continue;
            };
            let heads = &mut heads.first;
            let head = list.of_mut(heads);
            let after = links.get(slot as usize).map_or(END, |l| list.of(l.next));
            if *head == slot {
                *head = after;
            } else {
                // Lists are short (a person's reviews in one cycle) and free of loops; the
                // bound only guards against walking forever should that ever not hold.
                let mut at = *head;
                for _ in 0..links.len() {
                    let Some(l) = links.get_mut(at as usize) else {
                        break;
                    };
                    let next = list.of_mut(&mut l.next);
                    if *next == slot {
                        *next = after;
                        break;
                    }
                    at = *next;
                }
            }
            if heads.about == END && heads.by == END {
                self.heads.remove(&person);
            }
        }
    }

    /// Notes that the packet about `subject` in this cycle is at `slot`.
    fn file_packet(&mut self, subject: PersonId, slot: u32) {
        self.heads.entry(subject).or_insert(Head::NONE).packet = slot;
    }
}

/// The slots of the reviews in `list` from `head` on: all of them, or the submitted ones
/// alone, told by their links without reading the reviews.
fn walk(
    links: &[Link],
    head: Option<Head>,
    list: List,
    submitted_only: bool,
) -> impl Iterator<Item = u32> + '_ {
    let mut at = head.map_or(END, |h| list.of(h.first));
    // Bounded like `ReviewLists::unlink`'s walk.
    let mut left = links.len();
    std::iter::from_fn(move || {
        let l = *links.get(at as usize)?;
        left = left.checked_sub(1)?;
        Some((std::mem::replace(&mut at, list.of(l.next)), l))
    })
    .filter(move |(_, link)| !submitted_only || link.submitted)
    .map(|(slot, _)| slot)
}

/// A cycle's packets with their slots, sorted by id when paged (`packets` pages by id). A
/// launch appends a hundred thousand packets at once: they are sorted once, at the next read,
/// rather than inserted one by one into an ordered tree.
#[derive(Debug, Default)]
struct PacketList {
    entries: Vec<(PacketId, u32)>,
    sorted: bool,
}

impl PacketList {
    fn insert(&mut self, id: PacketId, slot: u32) {
        if self.entries.last().is_some_and(|(last, _)| *last > id) {
            self.sorted = false;
        }
        if self.entries.is_empty() {
            self.sorted = true;
        }
        self.entries.push((id, slot));
    }

    fn remove(&mut self, id: PacketId) {
        if self.sorted {
            if let Ok(i) = self.entries.binary_search_by_key(&id, |(p, _)| *p) {
                self.entries.remove(i);
            }
        } else if let Some(i) = self.entries.iter().position(|(p, _)| *p == id) {
            self.entries.swap_remove(i);
        }
    }

    /// The entries in id order.
    fn sorted(&mut self) -> &[(PacketId, u32)] {
        if !self.sorted {
            self.entries.sort_unstable_by_key(|(p, _)| *p);
            self.sorted = true;
        }
        &self.entries
    }
}

/// Whether a packet write changes who the packet names, or its cycle: then its entries in
/// [`CycleIndex::named`] move.
fn old_names_differ(old: Option<&Packet>, new: &Packet) -> bool {
    old.is_none_or(|old| old.cycle() != new.cycle() || !old.named().eq(new.named()))
}

/// What the storage knows about one cycle, besides its records.
#[derive(Debug, Default)]
struct CycleIndex {
    /// The cycle's packets with their slots.
    packets: PacketList,
    /// The reviews about each person and by each person.
    reviews: ReviewLists,
    calibrations: BTreeSet<CalibrationSessionId>,
    /// Positions of the cycle's events in the log.
    events: Vec<usize>,
    /// Progress counts over the packets (`Storage::progress`), kept by every packet write.
    tally: Tally,
    /// Who each packet names (`Packet::named`), for `Storage::packets_naming`.
    named: BTreeSet<(PersonId, PacketId)>,
}

impl CycleIndex {
    fn name(&mut self, packet: &Packet) {
        for p in packet.named() {
            self.named.insert((p, packet.id()));
        }
    }

    fn unname(&mut self, packet: &Packet) {
        for p in packet.named() {
            self.named.remove(&(p, packet.id()));
        }
    }
}

/// Storage in memory for company scale: the engine's default, and what the benchmarks
/// measure. The same contract as the reference [`MemoryStorage`](super::MemoryStorage), with
/// one mutex and serial commits.
///
/// Laid out for a 100,000-person cycle (about 1.2 KiB per participant after launch): packets
/// and reviews in slot tables found by id through one hash index of 4-byte slots each, a
/// cycle's reviews about and by each person as two lists threaded through the review slots
/// (one 8-byte entry a person and 8 bytes a review), a cycle's packets sorted by id once at the
/// first listing after a change, and per-cycle progress counts updated by every packet write,
/// so [`Storage::progress`] costs the same at any size.
#[derive(Debug, Default)]
pub struct IndexedMemoryStorage {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Boxed as they arrive in records: a commit moves a pointer, not the packet.
    packets: Slab<PacketId, Box<Packet>>,
    reviews: Slab<ReviewId, Box<Review>>,
    /// By review slot: where the review's lists of its cycle go on (see [`ReviewLists`]).
    links: Vec<Link>,
    /// Every other record: cycles, snapshots, nominations, calibration sessions, templates and
    /// the grants.
    others: IdMap<RecordKey, (u64, Record)>,
    cycles: BTreeSet<CycleId>,
    by_cycle: IdMap<CycleId, CycleIndex>,
    /// Positions of the events of no cycle (grants, templates) in the log.
    store_events: Vec<usize>,
    nominations_by_packet: BTreeSet<(PacketId, NominationId)>,
    nominations_by_nominee: BTreeSet<(CycleId, PersonId, NominationId)>,
    events: Vec<StoredEvent>,
    outbox: Outbox,
    next_seq: u64,
}

impl IndexedMemoryStorage {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied commit: commits validate
        // everything before changing anything.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of everything stored.
    #[must_use]
    pub fn dump(&self) -> MemoryDump {
        let inner = self.lock();
        let packets = inner
            .packets
            .iter()
            .map(|(v, p)| (RecordKey::Packet(p.id()), (*v, Record::Packet(p.clone()))));
        let reviews = inner
            .reviews
            .iter()
            .map(|(v, r)| (RecordKey::Review(r.id()), (*v, Record::Review(r.clone()))));
        let others = inner.others.iter().map(|(k, (v, r))| (*k, (*v, r.clone())));
        MemoryDump {
            records: packets.chain(reviews).chain(others).collect(),
            events: inner.events.clone(),
            outbox: inner.outbox.all(),
        }
    }
}

impl Inner {
    fn version(&self, key: &RecordKey) -> Option<u64> {
        match key {
            RecordKey::Packet(id) => self.packets.version(id),
            RecordKey::Review(id) => self.reviews.version(id),
            other => self.others.get(other).map(|(v, _)| *v),
        }
    }

    fn get(&self, key: &RecordKey) -> Option<Versioned<Record>> {
        let (version, record) = match key {
            RecordKey::Packet(id) => self
                .packets
                .get(id)
                .map(|(v, p)| (*v, Record::Packet(p.clone())))?,
            RecordKey::Review(id) => self
                .reviews
                .get(id)
                .map(|(v, r)| (*v, Record::Review(r.clone())))?,
            other => self.others.get(other).map(|(v, r)| (*v, r.clone()))?,
        };
        Some(Versioned { version, record })
    }

    fn holds(&self, key: &RecordKey, expect: Expect) -> bool {
        match (expect, self.version(key)) {
            (Expect::Absent, None) => true,
            (Expect::Version(want), Some(have)) => want == have,
            _ => false,
        }
    }

    fn put(&mut self, record: Record, version: u64) {
        match record {
            Record::Packet(p) => self.put_packet(p, version),
            Record::Review(r) => self.put_review(r, version),
            other => {
                let key = other.key();
                if let Some((_, old)) = self.others.remove(&key) {
                    self.unindex_other(&old);
                }
                self.index_other(&other);
                self.others.insert(key, (version, other));
            }
        }
    }

    fn delete(&mut self, key: &RecordKey) {
        match key {
            RecordKey::Packet(id) => {
                if let Some((_, old)) = self.packets.remove(id) {
                    let ix = self.by_cycle.entry(old.cycle()).or_default();
                    ix.tally.remove_packet(&old);
                    ix.unname(&old);
                    ix.packets.remove(*id);
                }
            }
            RecordKey::Review(id) => {
                if let Some((slot, old)) = self.reviews.remove(id) {
                    let ix = self.by_cycle.entry(old.cycle()).or_default();
                    ix.reviews
                        .unlink(&mut self.links, slot, old.subject(), old.author());
                }
            }
            other => {
                if let Some((_, old)) = self.others.remove(other) {
                    self.unindex_other(&old);
                }
            }
        }
    }

    fn put_packet(&mut self, packet: Box<Packet>, version: u64) {
        let (id, cycle) = (packet.id(), packet.cycle());
        let renamed = old_names_differ(self.packets.get(&id).map(|(_, p)| &**p), &packet);
        let (slot, old) = self.packets.put(id, version, packet);
        let moved = match &old {
            Some(old) => {
                let ix = self.by_cycle.entry(old.cycle()).or_default();
                ix.tally.remove_packet(old);
                if renamed {
                    ix.unname(old);
                }
                if old.cycle() != cycle {
                    ix.packets.remove(id);
                }
                old.cycle() != cycle
            }
            None => true,
        };
        let ix = self.by_cycle.entry(cycle).or_default();
        if moved {
            ix.packets.insert(id, slot);
        }
        if let Some((_, packet)) = self.packets.at(slot) {
            ix.tally.add_packet(packet);
            if renamed {
                ix.name(packet);
            }
            ix.reviews.file_packet(packet.subject(), slot);
        }
    }

    fn put_review(&mut self, review: Box<Review>, version: u64) {
        let keys = (review.cycle(), review.subject(), review.author());
        let submitted = review.state() == ReviewState::Submitted;
        let (slot, old) = self.reviews.put(review.id(), version, review);
        if let Some(old) = &old {
            if (old.cycle(), old.subject(), old.author()) == keys {
                if let Some(l) = self.links.get_mut(slot as usize) {
                    l.submitted = submitted;
                }
                return;
            }
            let ix = self.by_cycle.entry(old.cycle()).or_default();
            ix.reviews
                .unlink(&mut self.links, slot, old.subject(), old.author());
        }
        let (cycle, subject, author) = keys;
        let ix = self.by_cycle.entry(cycle).or_default();
        ix.reviews
            .link(&mut self.links, slot, (subject, author), submitted);
    }

    /// Indexes the packets a commit stored by [`Slab::claim`]: by id, in their cycle's
    /// list, and in its progress counts (`tallies`, summed by [`examine`]).
    fn index_new_packets(
        &mut self,
        new: &[(PacketId, u32)],
        cycles: &[CycleId],
        tallies: &[(CycleId, Tally)],
    ) {
        self.packets.index_new(new);
        for (cycles, new) in runs(cycles, new, |c| *c) {
            let Some(&cycle) = cycles.first() else {
                continue;
            };
            let ix = self.by_cycle.entry(cycle).or_default();
            // The subjects are mostly new to the cycle (at a launch, every participant): their
            // lists' index grows once rather than by doubling.
            ix.reviews.heads.reserve(new.len());
            for &(id, slot) in new {
                ix.packets.insert(id, slot);
                if let Some((_, packet)) = self.packets.at(slot) {
                    ix.name(packet);
                    ix.reviews.file_packet(packet.subject(), slot);
                }
            }
        }
        for (cycle, tally) in tallies {
            self.by_cycle.entry(*cycle).or_default().tally.absorb(tally);
        }
    }

    /// Indexes the reviews a commit stored by [`Slab::claim`]: by id, then in their subject's
    /// and their author's lists, from what [`examine`] read of each (`keys`). The lists' index
    /// has room for the subjects of the commit's new packets ([`index_new_packets`], run
    /// first).
    ///
    /// [`index_new_packets`]: Self::index_new_packets
    fn index_new_reviews(&mut self, new: &[(ReviewId, u32)], keys: &[ReviewKeys]) {
        self.reviews.index_new(new);
        // Links for every new slot at once, at their exact size: grown one slot at a time by
        // `link`, the list would double past it.
        let slots = self.reviews.slots.len();
        if self.links.len() < slots {
            self.links.resize(slots, Link::NONE);
        }
        // `keys[i]` is about `new[i]`. Reviews come grouped by packet: by cycle, then subject.
        for (keys, new) in runs(keys, new, |k| k.cycle) {
            let Some(cycle) = keys.first().map(|k| k.cycle) else {
                continue;
            };
            let ix = self.by_cycle.entry(cycle).or_default();
            for (k, (_, slot)) in keys.iter().zip(new) {
                ix.reviews
                    .link(&mut self.links, *slot, (k.subject, k.author), k.submitted);
            }
        }
    }

    fn index_other(&mut self, record: &Record) {
        match record {
            Record::Nomination(n) => {
                self.nominations_by_packet.insert((n.packet(), n.id()));
                self.nominations_by_nominee
                    .insert((n.cycle(), n.nominee(), n.id()));
            }
            Record::Calibration(c) => {
                self.by_cycle
                    .entry(c.cycle())
                    .or_default()
                    .calibrations
                    .insert(c.id());
            }
            Record::Cycle(c) => {
                self.cycles.insert(c.id());
            }
            Record::Packet(_)
            | Record::Review(_)
            | Record::Snapshot { .. }
            | Record::OrgHead(_)
            | Record::OrgChange(_)
            | Record::Template(_)
            | Record::Grants(_)
            | Record::Receipt(_) => {}
        }
    }

    fn unindex_other(&mut self, record: &Record) {
        match record {
            Record::Nomination(n) => {
                self.nominations_by_packet.remove(&(n.packet(), n.id()));
                self.nominations_by_nominee
                    .remove(&(n.cycle(), n.nominee(), n.id()));
            }
            Record::Calibration(c) => {
                if let Some(ix) = self.by_cycle.get_mut(&c.cycle()) {
                    ix.calibrations.remove(&c.id());
                }
            }
            Record::Cycle(c) => {
                self.cycles.remove(&c.id());
            }
            Record::Packet(_)
            | Record::Review(_)
            | Record::Snapshot { .. }
            | Record::OrgHead(_)
            | Record::OrgChange(_)
            | Record::Template(_)
            | Record::Grants(_)
            | Record::Receipt(_) => {}
        }
    }

    fn typed<T: Clone>(
        &self,
        key: RecordKey,
        pick: impl Fn(&Record) -> Option<&T>,
    ) -> Option<Versioned<T>> {
        let (version, record) = self.others.get(&key)?;
        pick(record).map(|r| Versioned {
            version: *version,
            record: r.clone(),
        })
    }

    /// The ids of the cycles after `after`, at most `limit`, in order.
    fn cycles_after(
        &self,
        after: Option<CycleId>,
        limit: usize,
    ) -> impl Iterator<Item = CycleId> + '_ {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.cycles
            .range((start, Bound::Unbounded))
            .take(limit)
            .copied()
    }

    /// The reviews of `person`'s list in `cycle`, ordered by id: all of them, or the submitted
    /// ones alone (the others are skipped without being read).
    fn reviews_of(
        &self,
        cycle: CycleId,
        person: PersonId,
        list: List,
        submitted_only: bool,
    ) -> Vec<Versioned<Review>> {
        let Some(ix) = self.by_cycle.get(&cycle) else {
            return Vec::new();
        };
        let head = ix.reviews.heads.get(&person).copied();
        self.reviews_at(walk(&self.links, head, list, submitted_only))
    }

    /// The heads of `subjects`' lists in `cycle` and the slots of the reviews about each (the
    /// submitted ones alone when `submitted_only`), in the order asked. Pass by pass, one kind
    /// of lookup for every subject: the subjects are independent, so the processor waits for
    /// many of their cache lines at once, not one after another.
    fn subject_lists(
        &self,
        cycle: CycleId,
        subjects: &[PersonId],
        submitted_only: bool,
    ) -> Vec<(Option<Head>, SmallVec<[u32; 8]>)> {
        let Some(ix) = self.by_cycle.get(&cycle) else {
            return Vec::new();
        };
        let heads: Vec<Option<Head>> = subjects
            .iter()
            .map(|s| ix.reviews.heads.get(s).copied())
            .collect();
        heads
            .into_iter()
            .map(|head| {
                let slots = walk(&self.links, head, List::About, submitted_only).collect();
                (head, slots)
            })
            .collect()
    }

    /// Packet `id`, found through the slot its subject's list `head` files, else by id.
    fn packet_filed(&self, head: Option<Head>, id: PacketId) -> Result<&(u64, Box<Packet>)> {
        let filed = head
            .and_then(|h| self.packets.at(h.packet))
            .filter(|(_, p)| p.id() == id);
        filed
            .or_else(|| self.packets.get(&id))
            .ok_or_else(|| RecordKey::Packet(id).not_found())
    }

    /// The reviews in `slots`, ordered by id.
    fn reviews_at(&self, slots: impl IntoIterator<Item = u32>) -> Vec<Versioned<Review>> {
        let mut out: Vec<Versioned<Review>> = slots
            .into_iter()
            .filter_map(|slot| self.reviews.at(slot))
            .map(|(version, review)| Versioned {
                version: *version,
                record: Review::clone(review),
            })
            .collect();
        out.sort_unstable_by_key(|r| r.record.id());
        out
    }
}

/// The runs of `keys` that agree on `by`, each with the matching part of `values`.
fn runs<'a, K, V, B: PartialEq>(
    keys: &'a [K],
    values: &'a [V],
    by: impl Fn(&K) -> B + 'a,
) -> impl Iterator<Item = (&'a [K], &'a [V])> + 'a {
    let mut start = 0;
    std::iter::from_fn(move || {
        let first = by(keys.get(start)?);
        let len = keys
            .get(start..)?
            .iter()
            .position(|k| by(k) != first)
            .unwrap_or(keys.len() - start);
        let end = start + len;
        let run = (
            keys.get(start..end)?,
            values.get(start..end.min(values.len()))?,
        );
        start = end;
        Some(run)
    })
}

/// What [`IndexedMemoryStorage::commit`] needs from a review it adds, besides its id.
#[derive(Debug, Clone, Copy)]
struct ReviewKeys {
    cycle: CycleId,
    subject: PersonId,
    author: PersonId,
    submitted: bool,
}

/// Whether a write adds a new packet or review (a `Put` expecting none): those a commit
/// stores in bulk (see [`IndexedMemoryStorage::commit`]).
fn adds(write: &Write) -> Option<&Record> {
    match write {
        Write::Put {
            record: record @ (Record::Packet(_) | Record::Review(_)),
            expect: Expect::Absent,
        } => Some(record),
        _ => None,
    }
}

/// Everything a memory commit reads from its records, read in one pass over them.
///
/// A launch commits hundreds of thousands of boxed records, made a while ago and no longer in
/// cache. Reading each record once, in one short loop, lets the processor fetch many at
/// once; the checks and the indexing that follow work on these dense lists instead of going
/// back to each record.
#[derive(Debug, Default)]
struct Examined {
    /// The key of each write, in order.
    keys: Vec<RecordKey>,
    /// The cycle of each packet the commit [`adds`], in order.
    packet_cycles: Vec<CycleId>,
    /// The progress counts of those packets, summed by cycle.
    tallies: SmallVec<[(CycleId, Tally); 1]>,
    /// What indexing needs from each review the commit [`adds`], in order.
    reviews: Vec<ReviewKeys>,
}

fn examine(commit: &Commit) -> Examined {
    // Room for every write in each list, so that none is copied as it grows: a launch's
    // commit is mostly new reviews, and capacity never written is address space, not memory.
    let writes = commit.writes.len();
    let mut ex = Examined {
        keys: Vec::with_capacity(writes),
        packet_cycles: Vec::with_capacity(writes),
        reviews: Vec::with_capacity(writes),
        ..Examined::default()
    };
    for w in &commit.writes {
        ex.keys.push(w.key());
        match adds(w) {
            Some(Record::Packet(p)) => {
                let cycle = p.cycle();
                ex.packet_cycles.push(cycle);
                let at = match ex.tallies.iter().position(|(c, _)| *c == cycle) {
                    Some(at) => at,
                    None => {
                        ex.tallies.push((cycle, Tally::default()));
                        ex.tallies.len() - 1
                    }
                };
                if let Some((_, tally)) = ex.tallies.get_mut(at) {
                    tally.add_packet(p);
                }
            }
            Some(Record::Review(r)) => ex.reviews.push(ReviewKeys {
                cycle: r.cycle(),
                subject: r.subject(),
                author: r.author(),
                submitted: r.state() == ReviewState::Submitted,
            }),
            _ => {}
        }
    }
    ex
}

#[async_trait]
impl Storage for IndexedMemoryStorage {
    async fn get(&self, key: RecordKey) -> Result<Option<Versioned<Record>>> {
        Ok(self.lock().get(&key))
    }

    async fn version(&self, key: RecordKey) -> Result<Option<u64>> {
        Ok(self.lock().version(&key))
    }

    async fn versions(&self, keys: &[RecordKey]) -> Result<Vec<Option<u64>>> {
        let inner = self.lock();
        Ok(keys.iter().map(|k| inner.version(k)).collect())
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        let ex = examine(&commit);
        let keys = &ex.keys;
        let mut inner = self.lock();
        check_shape(&commit, keys, |k| inner.outbox.has_key(k))?;
        let (mut packets, mut reviews, mut others) = (0, 0, 0);
        for (w, key) in commit.writes.iter().zip(keys) {
            let expect = match w {
                Write::Put { expect, .. } => {
                    match key {
                        RecordKey::Packet(_) => packets += 1,
                        RecordKey::Review(_) => reviews += 1,
                        _ => others += 1,
                    }
                    *expect
                }
                Write::Delete { version, .. } => Expect::Version(*version),
                Write::Check { expect, .. } => *expect,
            };
            if !inner.holds(key, expect) {
                return Err(key.conflict());
            }
        }
        if !inner.packets.has_room(packets) || !inner.reviews.has_room(reviews) {
            return Err(Error::Backend {
                source: "the memory storage holds at most 2^32 packets and 2^32 reviews".into(),
            });
        }
        // Everything holds: apply.
        inner.packets.reserve(packets);
        inner.reviews.reserve(reviews);
        inner.others.reserve(others);
        inner.events.reserve(commit.events.len());
        // New packets and reviews (a launch adds hundreds of thousands) take their slots in
        // this pass, without looking inside them; then each index takes them all in one
        // pass of its own, from what `examine` read. Each of those passes does nothing but
        // probe its index, so the processor waits for many of its cache lines at once.
        let mut new_packets = Vec::with_capacity(ex.packet_cycles.len());
        let mut new_reviews = Vec::with_capacity(ex.reviews.len());
        for (w, key) in commit.writes.into_iter().zip(keys) {
            // `adds` decides, as it did for `examine`: the lists stay aligned.
            let added = adds(&w).is_some();
            match (w, key) {
                (
                    Write::Put {
                        record: Record::Packet(packet),
                        ..
                    },
                    RecordKey::Packet(id),
                ) if added => new_packets.push((*id, inner.packets.claim(1, packet))),
                (
                    Write::Put {
                        record: Record::Review(review),
                        ..
                    },
                    RecordKey::Review(id),
                ) if added => new_reviews.push((*id, inner.reviews.claim(1, review))),
                (Write::Put { record, expect }, _) => {
                    let version = match expect {
                        Expect::Absent => 1,
                        Expect::Version(v) => v + 1,
                    };
                    inner.put(record, version);
                }
                (Write::Delete { key, .. }, _) => inner.delete(&key),
                (Write::Check { .. }, _) => {}
            }
        }
        inner.index_new_packets(&new_packets, &ex.packet_cycles, &ex.tallies);
        inner.index_new_reviews(&new_reviews, &ex.reviews);
        // A launch's hundred thousand events are all of one cycle: its list is looked up once
        // per run of events of the same cycle.
        let Inner {
            by_cycle,
            store_events,
            events,
            next_seq,
            ..
        } = &mut *inner;
        let mut incoming = commit.events.into_iter().peekable();
        while let Some(cycle) = incoming.peek().map(|e| e.cycle) {
            let list = match cycle {
                Some(c) => &mut by_cycle.entry(c).or_default().events,
                None => &mut *store_events,
            };
            while let Some(event) = incoming.next_if(|e| e.cycle == cycle) {
                *next_seq += 1;
                list.push(events.len());
                events.push(StoredEvent {
                    seq: *next_seq,
                    event,
                });
            }
        }
        for notification in commit.outbox {
            inner.next_seq += 1;
            let seq = inner.next_seq;
            inner.outbox.add(seq, notification);
        }
        Ok(())
    }

    async fn cycles(
        &self,
        after: Option<CycleId>,
        limit: usize,
    ) -> Result<Vec<Versioned<crate::Cycle>>> {
        let inner = self.lock();
        Ok(inner
            .cycles_after(after, limit)
            .filter_map(|id| {
                inner.typed(RecordKey::Cycle(id), |r| match r {
                    Record::Cycle(c) => Some(&**c),
                    _ => None,
                })
            })
            .collect())
    }

    async fn cycle_ids(&self, after: Option<CycleId>, limit: usize) -> Result<Vec<CycleId>> {
        Ok(self.lock().cycles_after(after, limit).collect())
    }

    async fn packets(
        &self,
        cycle: CycleId,
        after: Option<PacketId>,
        limit: usize,
    ) -> Result<Vec<Versioned<Packet>>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let Some(ix) = inner.by_cycle.get_mut(&cycle) else {
            return Ok(Vec::new());
        };
        let entries = ix.packets.sorted();
        let start = after.map_or(0, |a| entries.partition_point(|(p, _)| *p <= a));
        Ok(entries[start..]
            .iter()
            .take(limit)
            .filter_map(|(_, slot)| inner.packets.at(*slot))
            .map(|(version, packet)| Versioned {
                version: *version,
                record: Packet::clone(packet),
            })
            .collect())
    }

    async fn progress(&self, cycle: CycleId) -> Result<Progress> {
        let inner = self.lock();
        Ok(inner
            .by_cycle
            .get(&cycle)
            .map_or_else(|| Tally::default().progress(), |ix| ix.tally.progress()))
    }

    async fn reviews_about(
        &self,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Vec<Versioned<Review>>> {
        Ok(self.lock().reviews_of(cycle, subject, List::About, false))
    }

    async fn reviews_by(&self, cycle: CycleId, author: PersonId) -> Result<Vec<Versioned<Review>>> {
        Ok(self.lock().reviews_of(cycle, author, List::By, false))
    }

    async fn subjects(
        &self,
        cycle: CycleId,
        subjects: &[PersonId],
        submitted_only: bool,
    ) -> Result<Vec<(Versioned<Packet>, Vec<Versioned<Review>>)>> {
        let inner = self.lock();
        let mut out = Vec::with_capacity(subjects.len());
        for (head, slots) in inner.subject_lists(cycle, subjects, submitted_only) {
            let reviews = inner.reviews_at(slots);
            let Some(first) = reviews.first() else {
                continue;
            };
            let (version, packet) = inner.packet_filed(head, first.record.packet())?;
            let packet = Versioned {
                version: *version,
                record: Packet::clone(packet),
            };
            out.push((packet, reviews));
        }
        Ok(out)
    }

    async fn visit_subjects(
        &self,
        cycle: CycleId,
        subjects: &[PersonId],
        submitted_only: bool,
        visit: &mut (dyn for<'r> FnMut(&'r Packet, &'r [&'r Review]) -> bool + Send),
    ) -> Result<()> {
        let inner = self.lock();
        let mut reviews: Vec<&Review> = Vec::new();
        for (head, slots) in inner.subject_lists(cycle, subjects, submitted_only) {
            reviews.clear();
            reviews.extend(
                slots
                    .into_iter()
                    .filter_map(|slot| inner.reviews.at(slot))
                    .map(|(_, review)| &**review),
            );
            reviews.sort_unstable_by_key(|r| r.id());
            let Some(first) = reviews.first() else {
                continue;
            };
            let (_, packet) = inner.packet_filed(head, first.packet())?;
            if !visit(packet, &reviews) {
                break;
            }
        }
        Ok(())
    }

    async fn packets_naming(
        &self,
        cycle: CycleId,
        person: PersonId,
    ) -> Result<Vec<Versioned<Packet>>> {
        let inner = self.lock();
        let Some(ix) = inner.by_cycle.get(&cycle) else {
            return Ok(Vec::new());
        };
        let nil = PacketId::from_uuid(uuid::Uuid::nil());
        Ok(ix
            .named
            .range((person, nil)..)
            .take_while(|(p, _)| *p == person)
            .filter_map(|(_, id)| inner.packets.get(id))
            .map(|(version, packet)| Versioned {
                version: *version,
                record: Packet::clone(packet),
            })
            .collect())
    }

    async fn nominations_of(
        &self,
        cycle: CycleId,
        nominee: PersonId,
    ) -> Result<Vec<Versioned<Nomination>>> {
        let inner = self.lock();
        let nil = NominationId::from_uuid(uuid::Uuid::nil());
        Ok(inner
            .nominations_by_nominee
            .range((cycle, nominee, nil)..)
            .take_while(|(c, p, _)| (*c, *p) == (cycle, nominee))
            .filter_map(|(_, _, id)| {
                inner.typed(RecordKey::Nomination(*id), |r| match r {
                    Record::Nomination(n) => Some(&**n),
                    _ => None,
                })
            })
            .collect())
    }

    async fn nominations(&self, packet: PacketId) -> Result<Vec<Versioned<Nomination>>> {
        let inner = self.lock();
        let nil = NominationId::from_uuid(uuid::Uuid::nil());
        Ok(inner
            .nominations_by_packet
            .range((packet, nil)..)
            .take_while(|(p, _)| *p == packet)
            .filter_map(|(_, id)| {
                inner.typed(RecordKey::Nomination(*id), |r| match r {
                    Record::Nomination(n) => Some(&**n),
                    _ => None,
                })
            })
            .collect())
    }

    async fn calibrations(&self, cycle: CycleId) -> Result<Vec<Versioned<CalibrationSession>>> {
        let inner = self.lock();
        let Some(ix) = inner.by_cycle.get(&cycle) else {
            return Ok(Vec::new());
        };
        Ok(ix
            .calibrations
            .iter()
            .filter_map(|id| {
                inner.typed(RecordKey::Calibration(*id), |r| match r {
                    Record::Calibration(c) => Some(&**c),
                    _ => None,
                })
            })
            .collect())
    }

    async fn events(
        &self,
        cycle: CycleId,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let inner = self.lock();
        let Some(ix) = inner.by_cycle.get(&cycle) else {
            return Ok(Vec::new());
        };
        let after = after.unwrap_or(0);
        let start = ix
            .events
            .partition_point(|&i| inner.events.get(i).is_some_and(|e| e.seq <= after));
        Ok(ix.events[start..]
            .iter()
            .take(limit)
            .filter_map(|&i| inner.events.get(i).cloned())
            .collect())
    }

    async fn store_events(&self, after: Option<u64>, limit: usize) -> Result<Vec<StoredEvent>> {
        let inner = self.lock();
        let after = after.unwrap_or(0);
        let start = inner
            .store_events
            .partition_point(|&i| inner.events.get(i).is_some_and(|e| e.seq <= after));
        Ok(inner.store_events[start..]
            .iter()
            .take(limit)
            .filter_map(|&i| inner.events.get(i).cloned())
            .collect())
    }

    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        Ok(self.lock().outbox.pending(limit))
    }

    async fn mark_delivered(&self, key: &str) -> Result<()> {
        self.lock().outbox.mark_delivered(key);
        Ok(())
    }

    async fn claim_pending(&self, claim: Claim, limit: usize) -> Result<Vec<OutboxEntry>> {
        Ok(self.lock().outbox.claim_pending(claim, limit))
    }

    async fn claim_keys(&self, claim: Claim, keys: &[String]) -> Result<Vec<String>> {
        Ok(self.lock().outbox.claim_keys(claim, keys))
    }

    async fn release_claim(&self, claim: Claim, key: &str) -> Result<()> {
        self.lock().outbox.release(claim, key);
        Ok(())
    }
}

/// A model check of the slot tables and their indexes: random sequences of creations,
/// updates (moving records between cycles, subjects and authors), deletions and refused
/// commits, compared after every step with a plain map of records.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IdSource;
    use crate::domain::answer::Answers;
    use crate::domain::packet::KindTally;
    use crate::domain::review::Reminders;
    use crate::domain::vocab::PacketState;
    use crate::domain::vocab::ReviewState;
    use crate::{ReviewKind, SequentialIds};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        NewPacket {
            cycle: u8,
            subject: u8,
        },
        NewReview {
            cycle: u8,
            subject: u8,
            author: u8,
        },
        Change {
            pick: usize,
            cycle: u8,
            person: u8,
            other: u8,
        },
        Delete {
            pick: usize,
        },
        Refused {
            cycle: u8,
            subject: u8,
        },
        /// One commit: a delete of an existing record (its slot free for the new ones), then
        /// new packets and reviews (`true` for a packet) in any order of cycles and people,
        /// as a launch commits them, but mixed.
        Batch {
            delete: usize,
            adds: Vec<(bool, u8, u8, u8)>,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..2u8, 0..5u8).prop_map(|(cycle, subject)| Op::NewPacket { cycle, subject }),
            (0..2u8, 0..5u8, 0..5u8).prop_map(|(cycle, subject, author)| Op::NewReview {
                cycle,
                subject,
                author
            }),
            (any::<usize>(), 0..2u8, 0..5u8, 0..5u8).prop_map(|(pick, cycle, person, other)| {
                Op::Change {
                    pick,
                    cycle,
                    person,
                    other,
                }
            }),
            any::<usize>().prop_map(|pick| Op::Delete { pick }),
            (0..2u8, 0..5u8).prop_map(|(cycle, subject)| Op::Refused { cycle, subject }),
            (
                any::<usize>(),
                proptest::collection::vec((any::<bool>(), 0..2u8, 0..5u8, 0..5u8), 1..12)
            )
                .prop_map(|(delete, adds)| Op::Batch { delete, adds }),
        ]
    }

    struct World {
        ids: SequentialIds,
        cycles: [CycleId; 2],
        people: [PersonId; 5],
        /// The last packet made for each cycle and subject: new reviews belong to it.
        packets: BTreeMap<(u8, u8), PacketId>,
    }

    impl World {
        fn new() -> Self {
            Self {
                ids: SequentialIds::starting_at(1 << 70),
                cycles: [CycleId::from_key("c0"), CycleId::from_key("c1")],
                people: ["p0", "p1", "p2", "p3", "p4"].map(PersonId::from_key),
                packets: BTreeMap::new(),
            }
        }

        fn packet(&mut self, cycle: u8, subject: u8) -> Packet {
            let id = PacketId::from_uuid(self.ids.next_uuid());
            self.packets.insert((cycle, subject), id);
            let mut p = Packet::new(
                id,
                self.cycles[usize::from(cycle)],
                self.people[usize::from(subject)],
                PacketState::Writing,
            );
            p.tally[0] = KindTally {
                assigned: u32::from(subject) + 1,
                submitted: u32::from(subject % 2),
                removed: 0,
                draft: 0,
            };
            p
        }

        /// A review in the subject's packet when there is one; submitted when its author's
        /// number is even.
        fn review(&mut self, cycle: u8, subject: u8, author: u8) -> Review {
            let id = ReviewId::from_uuid(self.ids.next_uuid());
            let packet = match self.packets.get(&(cycle, subject)) {
                Some(&packet) => packet,
                None => PacketId::from_uuid(self.ids.next_uuid()),
            };
            Review {
                id,
                cycle: self.cycles[usize::from(cycle)],
                packet,
                subject: self.people[usize::from(subject)],
                author: self.people[usize::from(author)],
                kind: ReviewKind::Peer,
                state: submitted_if(author % 2 == 0),
                removed: false,
                updated_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
                answers: Answers::default(),
                reminders: Reminders::default(),
            }
        }
    }

    fn submitted_if(submitted: bool) -> ReviewState {
        if submitted {
            ReviewState::Submitted
        } else {
            ReviewState::Assigned
        }
    }

    fn put(record: Record, expect: Expect) -> Commit {
        Commit {
            writes: vec![Write::Put { record, expect }],
            ..Commit::default()
        }
    }

    /// Applies `op` to the store and, when the store accepts it, to the model.
    async fn step(
        store: &IndexedMemoryStorage,
        model: &mut BTreeMap<RecordKey, (u64, Record)>,
        w: &mut World,
        op: Op,
    ) {
        let picked = |pick: usize| {
            let keys: Vec<RecordKey> = model.keys().copied().collect();
            (!keys.is_empty()).then(|| keys[pick % keys.len()])
        };
        let created = match op {
            Op::NewPacket { cycle, subject } => Some(Record::from(w.packet(cycle, subject))),
            Op::NewReview {
                cycle,
                subject,
                author,
            } => Some(Record::from(w.review(cycle, subject, author))),
            _ => None,
        };
        if let Some(record) = created {
            assert!(
                store
                    .commit(put(record.clone(), Expect::Absent))
                    .await
                    .is_ok()
            );
            model.insert(record.key(), (1, record));
            return;
        }
        match op {
            Op::NewPacket { .. } | Op::NewReview { .. } => {}
            Op::Batch { delete, adds } => {
                let mut writes = Vec::new();
                if let Some(key) = picked(delete)
                    && let Some((version, _)) = model.remove(&key)
                {
                    writes.push(Write::Delete { key, version });
                }
                for (packet, cycle, subject, author) in adds {
                    let record = if packet {
                        Record::from(w.packet(cycle, subject))
                    } else {
                        Record::from(w.review(cycle, subject, author))
                    };
                    model.insert(record.key(), (1, record.clone()));
                    writes.push(Write::Put {
                        record,
                        expect: Expect::Absent,
                    });
                }
                let batch = Commit {
                    writes,
                    ..Commit::default()
                };
                assert!(store.commit(batch).await.is_ok());
            }
            Op::Change {
                pick,
                cycle,
                person,
                other,
            } => {
                let Some(key) = picked(pick) else { return };
                let Some((version, record)) = model.get(&key).cloned() else {
                    return;
                };
                let changed = match record {
                    Record::Packet(mut p) => {
                        p.cycle = w.cycles[usize::from(cycle)];
                        p.subject = w.people[usize::from(person)];
                        p.withdrawn = other % 2 == 1;
                        p.state = if other > 2 {
                            PacketState::Shared
                        } else {
                            p.state
                        };
                        p.tally[1].assigned = p.tally[1].assigned.saturating_add(1);
                        Record::Packet(p)
                    }
                    Record::Review(mut r) => {
                        // Half the changes keep the review's lists, to change its state alone.
                        if pick % 2 == 0 {
                            r.cycle = w.cycles[usize::from(cycle)];
                            r.subject = w.people[usize::from(person)];
                            r.author = w.people[usize::from(other)];
                        }
                        r.state = submitted_if(r.state != ReviewState::Submitted);
                        Record::Review(r)
                    }
                    other => other,
                };
                assert!(
                    store
                        .commit(put(changed.clone(), Expect::Version(version)))
                        .await
                        .is_ok()
                );
                model.insert(key, (version + 1, changed));
            }
            Op::Delete { pick } => {
                let Some(key) = picked(pick) else { return };
                let Some((version, _)) = model.get(&key).cloned() else {
                    return;
                };
                let delete = Commit {
                    writes: vec![Write::Delete { key, version }],
                    ..Commit::default()
                };
                assert!(store.commit(delete).await.is_ok());
                model.remove(&key);
            }
            Op::Refused { cycle, subject } => {
                // New records with a stale check: nothing may change.
                let p = Record::from(w.packet(cycle, subject));
                let r = Record::from(w.review(cycle, subject, (subject + 1) % 5));
                let refused = Commit {
                    writes: vec![
                        Write::Put {
                            record: p,
                            expect: Expect::Absent,
                        },
                        Write::Put {
                            record: r,
                            expect: Expect::Absent,
                        },
                        Write::Check {
                            key: RecordKey::Cycle(w.cycles[0]),
                            expect: Expect::Version(9),
                        },
                    ],
                    ..Commit::default()
                };
                assert!(store.commit(refused).await.is_err());
            }
        }
    }

    /// Every read of the store agrees with the model.
    async fn agree(
        store: &IndexedMemoryStorage,
        model: &BTreeMap<RecordKey, (u64, Record)>,
        w: &World,
    ) {
        assert_eq!(&store.dump().records, model);
        for (key, (version, record)) in model {
            let got = store.get(*key).await.ok().flatten();
            assert_eq!(
                got,
                Some(Versioned {
                    version: *version,
                    record: record.clone()
                })
            );
        }
        for cycle in w.cycles {
            let mut expected: Vec<Packet> = model
                .values()
                .filter_map(|(_, r)| match r {
                    Record::Packet(p) if p.cycle == cycle => Some((**p).clone()),
                    _ => None,
                })
                .collect();
            expected.sort_by_key(Packet::id);
            let mut paged = Vec::new();
            let mut after = None;
            loop {
                let page = store.packets(cycle, after, 3).await.unwrap_or_default();
                let Some(last) = page.last() else { break };
                after = Some(last.record.id());
                paged.extend(page.into_iter().map(|p| p.record));
            }
            assert_eq!(paged, expected, "packets of a cycle, paged in id order");
            let mut tally = Tally::default();
            for p in &expected {
                tally.add_packet(p);
            }
            assert_eq!(store.progress(cycle).await.ok(), Some(tally.progress()));
            for person in w.people {
                let of = |pick: fn(&Review) -> PersonId| {
                    let mut ids: Vec<ReviewId> = model
                        .values()
                        .filter_map(|(_, r)| match r {
                            Record::Review(r) if r.cycle == cycle && pick(r) == person => {
                                Some(r.id)
                            }
                            _ => None,
                        })
                        .collect();
                    ids.sort();
                    ids
                };
                let about: Vec<ReviewId> = store
                    .reviews_about(cycle, person)
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| r.record.id)
                    .collect();
                assert_eq!(about, of(|r| r.subject), "reviews about a person");
                let by: Vec<ReviewId> = store
                    .reviews_by(cycle, person)
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| r.record.id)
                    .collect();
                assert_eq!(by, of(|r| r.author), "reviews by a person");
            }
            for submitted_only in [false, true] {
                let want = subjects(model, cycle, &w.people, submitted_only);
                let got = store.subjects(cycle, &w.people, submitted_only).await.ok();
                assert_eq!(
                    got, want,
                    "each subject's packet and reviews, submitted only: {submitted_only}"
                );
                let want: Option<Vec<(Packet, Vec<Review>)>> = want.map(|w| {
                    w.into_iter()
                        .map(|(p, rs)| (p.record, rs.into_iter().map(|r| r.record).collect()))
                        .collect()
                });
                let mut lent = Vec::new();
                let mut keep = |p: &Packet, rs: &[&Review]| {
                    lent.push((p.clone(), rs.iter().map(|&r| r.clone()).collect()));
                    true
                };
                let visited = store
                    .visit_subjects(cycle, &w.people, submitted_only, &mut keep)
                    .await;
                assert_eq!(
                    visited.ok().map(|()| lent),
                    want,
                    "the same, lent, submitted only: {submitted_only}"
                );
                let mut calls = 0;
                let mut first_only = |_: &Packet, _: &[&Review]| {
                    calls += 1;
                    false
                };
                let stopped = store
                    .visit_subjects(cycle, &w.people, submitted_only, &mut first_only)
                    .await;
                if let (Ok(()), Some(want)) = (stopped, &want) {
                    assert_eq!(calls, want.len().min(1), "a visit stops when told");
                }
            }
        }
    }

    /// A subject's packet and reviews, as `Storage::subjects` gives them.
    type Subject = (Versioned<Packet>, Vec<Versioned<Review>>);

    /// `Storage::subjects` by its definition: for each subject with a review (a submitted one,
    /// with `submitted_only`), the packet of their first review by id and those reviews; no
    /// answer when such a packet is missing.
    fn subjects(
        model: &BTreeMap<RecordKey, (u64, Record)>,
        cycle: CycleId,
        people: &[PersonId],
        submitted_only: bool,
    ) -> Option<Vec<Subject>> {
        let mut out = Vec::new();
        for &subject in people {
            let reviews: Vec<Versioned<Review>> = model
                .values()
                .filter_map(|(version, r)| match r {
                    Record::Review(r)
                        if r.cycle == cycle
                            && r.subject == subject
                            && (!submitted_only || r.state == ReviewState::Submitted) =>
                    {
                        Some(Versioned {
                            version: *version,
                            record: (**r).clone(),
                        })
                    }
                    _ => None,
                })
                .collect();
            let Some(first) = reviews.first() else {
                continue;
            };
            let packet = match model.get(&RecordKey::Packet(first.record.packet))? {
                (version, Record::Packet(p)) => Versioned {
                    version: *version,
                    record: (**p).clone(),
                },
                _ => return None,
            };
            out.push((packet, reviews));
        }
        Some(out)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn slot_tables_and_indexes_agree_with_a_plain_map(ops in proptest::collection::vec(op(), 1..60)) {
            let runtime = tokio::runtime::Builder::new_current_thread().build();
            let Ok(runtime) = runtime else { return Err(TestCaseError::fail("no runtime")) };
            runtime.block_on(async {
                let store = IndexedMemoryStorage::new();
                let mut model = BTreeMap::new();
                let mut w = World::new();
                for op in ops {
                    step(&store, &mut model, &mut w, op).await;
                    agree(&store, &model, &w).await;
                }
            });
        }
    }
}
