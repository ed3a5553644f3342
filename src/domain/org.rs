//! People, departments and the org snapshot a cycle reads its manager relations from.
//!
//! An [`OrgSnapshot`] is built once from the host's people and departments (at launch, from the
//! `Directory`). Building is linear in the number of people: ids are indexed, children are laid
//! out in one array, and a single depth-first walk numbers every person in pre-order and records
//! the size of their subtree. "Is `a` a strict ancestor of `b`" is then two comparisons:
//! `pre[a] < pre[b] < pre[a] + size[a]`, with no walk to the root.
//!
//! Bad data is refused with an [`OrgError`] that names the people involved.

use std::fmt;

use hashbrown::{HashTable, hash_table};
use serde::{Deserialize, Serialize};

use crate::domain::id::{IdMap, IdSet, hash_of};
use crate::domain::{DepartmentId, PersonId};

const NONE: u32 = u32::MAX;

/// A person as the host's HR system knows them: the input to an [`OrgSnapshot`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Person {
    /// Stable id.
    pub id: PersonId,
    /// Display name, used in explanations and messages.
    pub name: String,
    /// Whether the person is currently employed.
    pub active: bool,
    /// Direct manager, if any.
    pub manager: Option<PersonId>,
    /// Department, if any.
    pub department: Option<DepartmentId>,
    /// Default additional manager (dotted line), if any: assigned to every packet of theirs.
    pub additional_manager: Option<PersonId>,
    /// Where notifications reach them, if the host has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// When they were hired, if the host has it (eligibility rules read it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hired: Option<chrono::NaiveDate>,
}

impl Person {
    /// An active person with no manager, department or additional manager.
    #[must_use]
    pub fn new(id: PersonId, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            active: true,
            manager: None,
            department: None,
            additional_manager: None,
            email: None,
            hired: None,
        }
    }

    /// Sets the hire date.
    #[must_use]
    pub fn with_hired(mut self, hired: chrono::NaiveDate) -> Self {
        self.hired = Some(hired);
        self
    }

    /// Sets the email address.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the direct manager.
    #[must_use]
    pub fn with_manager(mut self, manager: PersonId) -> Self {
        self.manager = Some(manager);
        self
    }

    /// Sets the department.
    #[must_use]
    pub fn with_department(mut self, department: DepartmentId) -> Self {
        self.department = Some(department);
        self
    }

    /// Sets the default additional manager.
    #[must_use]
    pub fn with_additional_manager(mut self, manager: PersonId) -> Self {
        self.additional_manager = Some(manager);
        self
    }

    /// Sets the active flag.
    #[must_use]
    pub fn with_active(mut self, active: bool) -> Self {
        self.active = active;
        self
    }
}

/// A department with its head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Department {
    /// Stable id.
    pub id: DepartmentId,
    /// Display name.
    pub name: String,
    /// The head of the department, if any.
    pub head: Option<PersonId>,
}

impl Department {
    /// A department without a head.
    #[must_use]
    pub fn new(id: DepartmentId, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            head: None,
        }
    }

    /// Sets the head.
    #[must_use]
    pub fn with_head(mut self, head: PersonId) -> Self {
        self.head = Some(head);
        self
    }
}

/// Why org data was refused. Every variant names the people (or department) involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrgError {
    /// Following managers from a person comes back to them.
    #[error("manager loop: {}", Names(names))]
    ManagerLoop {
        /// The people on the loop, each managed by the next; the first is repeated at the end.
        people: Vec<PersonId>,
        /// Their names, in the same order.
        names: Vec<String>,
    },
    /// A person's manager is not among the people given.
    #[error("`{name}` has manager `{manager}`, who is not in the org")]
    UnknownManager {
        /// The person.
        person: PersonId,
        /// Their name.
        name: String,
        /// The missing manager's id.
        manager: PersonId,
    },
    /// A person's default additional manager is not among the people given.
    #[error("`{name}` has additional manager `{manager}`, who is not in the org")]
    UnknownAdditionalManager {
        /// The person.
        person: PersonId,
        /// Their name.
        name: String,
        /// The missing additional manager's id.
        manager: PersonId,
    },
    /// Two people share an id.
    #[error("duplicate person id `{id}`, used by `{first}` and `{second}`")]
    DuplicatePerson {
        /// The id.
        id: PersonId,
        /// The first person's name.
        first: String,
        /// The second person's name.
        second: String,
    },
    /// A person's department is not among the departments given.
    #[error("`{name}` is in department `{department}`, which is not in the org")]
    UnknownDepartment {
        /// The person.
        person: PersonId,
        /// Their name.
        name: String,
        /// The missing department.
        department: DepartmentId,
    },
    /// Two departments share an id.
    #[error("duplicate department id `{id}`, used by `{first}` and `{second}`")]
    DuplicateDepartment {
        /// The id.
        id: DepartmentId,
        /// The first department's name.
        first: String,
        /// The second department's name.
        second: String,
    },
    /// A department's head is not among the people given.
    #[error("department `{department}` has head `{head}`, who is not in the org")]
    UnknownHead {
        /// The department's name.
        department: String,
        /// The missing head's id.
        head: PersonId,
    },
    /// More people than the snapshot can number.
    #[error("{count} people is more than an org snapshot holds")]
    TooLarge {
        /// How many people were given.
        count: usize,
    },
}

struct Names<'a>(&'a [String]);

impl fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" → ")?;
            }
            write!(f, "`{name}`")?;
        }
        Ok(())
    }
}

/// A person's place in the pre-order: their number and the size of their subtree (themselves
/// included), so their team is `pre + 1 .. pre + size`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    pre: u32,
    size: u32,
}

impl Span {
    /// Whether `inner` is strictly inside this subtree: the person at `self` is an ancestor of
    /// the person at `inner`.
    #[inline]
    const fn strictly_contains(self, inner: Span) -> bool {
        self.pre < inner.pre && inner.pre < self.pre + self.size
    }
}

/// A person's id and place in the pre-order, side by side in 24 bytes: finding someone by id
/// ends on this entry, and an ancestor test reads their place from the same line (from two
/// adjacent lines for one entry in four).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
struct Node {
    id: PersonId,
    span: Span,
}

/// The serialized form of a snapshot: just its people and departments. Indices are rebuilt
/// (and the data re-validated) when it is read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct OrgData {
    people: Vec<Person>,
    departments: Vec<Department>,
}

/// An immutable, validated org chart with O(1) manager-chain queries.
///
/// ```
/// use appraise::{OrgSnapshot, Person, PersonId};
///
/// let ann = Person::new(PersonId::from_key("ann"), "ann");
/// let bo = Person::new(PersonId::from_key("bo"), "bo").with_manager(ann.id);
/// let cy = Person::new(PersonId::from_key("cy"), "cy").with_manager(bo.id);
/// let org = OrgSnapshot::build(vec![ann.clone(), bo.clone(), cy.clone()], vec![])?;
/// assert!(org.is_ancestor(ann.id, cy.id));
/// assert!(!org.is_ancestor(cy.id, ann.id));
/// assert_eq!(org.manager_path(ann.id, cy.id), Some(vec![ann.id, bo.id, cy.id]));
/// # Ok::<(), appraise::Error>(())
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(try_from = "OrgData", into = "OrgData")]
pub struct OrgSnapshot {
    people: Vec<Person>,
    /// `people[i].name`, end to end: a list names many people, and finds each name here in a
    /// few dense lines rather than in a large record and a string of its own.
    names: NameText,
    /// `people[i].id` and their place in the pre-order, densely: walks over managers and
    /// reports read ids from small entries rather than whole people, and the index compares
    /// ids here.
    nodes: Vec<Node>,
    departments: Vec<Department>,
    /// Index by id. The table holds indexes alone (4 bytes a bucket, so it stays in cache at
    /// company scale) and compares the ids in `nodes`.
    index: HashTable<u32>,
    /// Who may have direct reports, for a quick "no" to ancestor tests.
    managers: Managers,
    department_index: IdMap<DepartmentId, u32>,
    /// Everyone who has left (inactive): usually nobody, so asking costs one length check.
    left: IdSet<PersonId>,
    parent: Vec<u32>,
    depth: Vec<u32>,
    /// People in pre-order: a subtree is a contiguous range.
    order: Vec<u32>,
}

impl fmt::Debug for OrgSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrgSnapshot")
            .field("people", &self.people.len())
            .field("departments", &self.departments.len())
            .finish_non_exhaustive()
    }
}

impl PartialEq for OrgSnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.people == other.people && self.departments == other.departments
    }
}

/// Display names by index, in one string: name `i` is `text[ends[i - 1]..ends[i]]`.
#[derive(Debug, Clone, Default)]
struct NameText {
    text: String,
    ends: Vec<usize>,
}

impl NameText {
    fn of(people: &[Person]) -> Self {
        let mut names = Self {
            text: String::with_capacity(people.iter().map(|p| p.name.len()).sum()),
            ends: Vec::with_capacity(people.len()),
        };
        for p in people {
            names.text.push_str(&p.name);
            names.ends.push(names.text.len());
        }
        names
    }

    fn get(&self, i: u32) -> Option<&str> {
        let i = i as usize;
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(before) => *self.ends.get(before)?,
            None => 0,
        };
        self.text.get(start..end)
    }
}

/// The people of `order` grouped by parent (a counting sort), each group in `order`'s order:
/// those of parent `p` are `grouped[start[p]..start[p + 1]]`; people without a parent are left
/// out.
fn by_parent(parent: &[u32], order: impl Iterator<Item = u32>) -> (Vec<u32>, Vec<u32>) {
    let n = parent.len();
    let mut start = vec![0u32; n + 1];
    for &p in parent {
        if p != NONE {
            start[p as usize + 1] += 1;
        }
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut grouped = vec![0u32; start[n] as usize];
    for i in order {
        let p = parent[i as usize];
        if p != NONE {
            grouped[fill[p as usize] as usize] = i;
            fill[p as usize] += 1;
        }
    }
    (start, grouped)
}

/// Whether `p`'s manager, additional manager and department are in the org (`idx` finds
/// people, `departments` holds the departments): the error names the first that is not.
fn check_links(
    p: &Person,
    idx: impl Fn(PersonId) -> Option<u32>,
    departments: &IdMap<DepartmentId, u32>,
) -> Result<(), OrgError> {
    if let Some(m) = p.manager
        && idx(m).is_none()
    {
        return Err(OrgError::UnknownManager {
            person: p.id,
            name: p.name.clone(),
            manager: m,
        });
    }
    if let Some(a) = p.additional_manager
        && idx(a).is_none()
    {
        return Err(OrgError::UnknownAdditionalManager {
            person: p.id,
            name: p.name.clone(),
            manager: a,
        });
    }
    if let Some(d) = p.department
        && !departments.contains_key(&d)
    {
        return Err(OrgError::UnknownDepartment {
            person: p.id,
            name: p.name.clone(),
            department: d,
        });
    }
    Ok(())
}

/// The index of `id` through `index`, a table of indexes into `nodes` hashed by the id there.
#[inline]
fn find(index: &HashTable<u32>, nodes: &[Node], id: PersonId) -> Option<u32> {
    index
        .find(hash_of(id), |&i| {
            nodes.get(i as usize).map(|n| n.id) == Some(id)
        })
        .copied()
}

/// Who may have direct reports, and where those who have or had one are: everyone who has or
/// had a report in this snapshot (only they can be anyone's ancestor), with their place in the
/// pre-order, in two parts:
///
/// - a filter that sets two bits of one 64-bit word, picked by the id's hash, so "no" is
///   certain. Most people manage nobody, and most people who ask about someone else's review
///   are not in their chain: an ancestor test for them ends on one word of a small table
///   (64 KiB at 100,000 people, within the processor's caches). With four to eight bits of
///   table a person, "yes" for someone who manages nobody comes up for one to three percent
///   of them when a third of the org manages.
/// - a table of their ids and places (`hashbrown`, the entries inline): the ancestor's place
///   is one probe of a table that holds the managers alone, where a lookup in the index of
///   everyone reads a slot and then the person's entry, one cache miss after the other.
///
/// Entries are only ever added: someone who loses their last report keeps theirs, with a
/// subtree of one, so they are nobody's ancestor. Each person's bucket in the table is kept
/// by their index, so that a manager change, which renumbers a range of the pre-order, copies
/// the new places into the table without a lookup; every change of a place in the snapshot
/// goes through [`sync`](Self::sync), so an entry's place is always the person's.
#[derive(Debug, Clone)]
struct Managers {
    words: Vec<u64>,
    places: HashTable<Node>,
    /// The bucket of `places` of the person at each index; `NONE` for those not in it.
    buckets: Vec<u32>,
}

impl Managers {
    fn new(people: usize, managers: usize) -> Self {
        Self {
            words: vec![0; (people / 16).next_power_of_two()],
            places: HashTable::with_capacity(managers),
            buckets: vec![NONE; people],
        }
    }

    /// The word and the two bits of `id`. `words.len()` is a power of two.
    #[inline]
    fn bits(&self, id: PersonId) -> (usize, u64) {
        let h = hash_of(id);
        let word = (h >> 32) as usize & (self.words.len() - 1);
        (word, (1 << (h & 63)) | (1 << ((h >> 6) & 63)))
    }

    /// Adds the person at index `i` of `nodes` as someone with a report, or updates their
    /// place.
    fn add(&mut self, nodes: &[Node], i: u32) {
        let Some(&node) = nodes.get(i as usize) else {
            return;
        };
        let (word, bits) = self.bits(node.id);
        if let Some(w) = self.words.get_mut(word) {
            *w |= bits;
        }
        if self.buckets.get(i as usize).is_some_and(|&b| b != NONE) {
            self.sync(i, node.span);
            return;
        }
        let before = self.places.num_buckets();
        let bucket = self
            .places
            .insert_unique(hash_of(node.id), node, |n| hash_of(n.id))
            .bucket_index();
        // Nothing is ever removed, so the table has no tombstones and moves its entries only
        // when it grows.
        if self.places.num_buckets() != before {
            // The table grew and its entries moved: find everyone's bucket again.
            for (j, b) in self.buckets.iter_mut().enumerate() {
                if *b != NONE
                    && let Some(id) = nodes.get(j).map(|n| n.id)
                {
                    *b = self
                        .places
                        .find_bucket_index(hash_of(id), |n| n.id == id)
                        .map_or(NONE, |b| b as u32);
                }
            }
        }
        if let Some(b) = self.buckets.get_mut(i as usize) {
            *b = bucket as u32;
        }
    }

    /// Follows a change of the place of the person at index `i`, if they are in the table.
    #[inline]
    fn sync(&mut self, i: u32, span: Span) {
        if let Some(&b) = self.buckets.get(i as usize)
            && b != NONE
            && let Some(n) = self.places.get_bucket_mut(b as usize)
        {
            n.span = span;
        }
    }

    #[inline]
    fn may_manage(&self, id: PersonId) -> bool {
        let (word, bits) = self.bits(id);
        self.words.get(word).is_some_and(|w| w & bits == bits)
    }

    /// The place of someone who has or had a report; `None` for everyone else.
    #[inline]
    fn place(&self, id: PersonId) -> Option<Span> {
        if !self.may_manage(id) {
            return None;
        }
        self.places
            .find(hash_of(id), |n| n.id == id)
            .map(|n| n.span)
    }
}

impl TryFrom<OrgData> for OrgSnapshot {
    type Error = OrgError;

    fn try_from(data: OrgData) -> Result<Self, OrgError> {
        Self::build_inner(data.people, data.departments)
    }
}

impl From<OrgSnapshot> for OrgData {
    fn from(org: OrgSnapshot) -> Self {
        Self {
            people: org.people,
            departments: org.departments,
        }
    }
}

impl OrgSnapshot {
    /// Validates and indexes the org, in time linear in the number of people.
    ///
    /// # Errors
    ///
    /// [`Error::Org`](crate::domain::Error::Org) on a duplicate id, an unknown manager, additional
    /// manager, department or head, or a manager loop.
    pub fn build(people: Vec<Person>, departments: Vec<Department>) -> crate::domain::Result<Self> {
        Ok(Self::build_inner(people, departments)?)
    }

    fn build_inner(people: Vec<Person>, departments: Vec<Department>) -> Result<Self, OrgError> {
        let n = people.len();
        if n >= NONE as usize {
            return Err(OrgError::TooLarge { count: n });
        }
        // What the build needs of each person, densely, in one pass: people are large (a
        // hundred thousand of them are more than the processor's caches hold), the ids and
        // managers are read again at random.
        let mut ids = Vec::with_capacity(n);
        let mut manager_ids = Vec::with_capacity(n);
        // Those with an additional manager or a department: checked apart.
        let mut others = Vec::new();
        for (i, p) in people.iter().enumerate() {
            ids.push(p.id);
            manager_ids.push(p.manager);
            if p.additional_manager.is_some() || p.department.is_some() {
                others.push(i);
            }
        }
        let mut index = HashTable::with_capacity(n);
        for (i, &id) in ids.iter().enumerate() {
            // One probe of the index per person, whether the id is new or not.
            let entry = index.entry(
                hash_of(id),
                |&j| ids.get(j as usize) == Some(&id),
                |&j| ids.get(j as usize).map_or(0, hash_of),
            );
            match entry {
                hash_table::Entry::Vacant(v) => {
                    v.insert(i as u32);
                }
                hash_table::Entry::Occupied(o) => {
                    return Err(OrgError::DuplicatePerson {
                        id,
                        first: people[*o.get() as usize].name.clone(),
                        second: people[i].name.clone(),
                    });
                }
            }
        }
        let idx = |id: PersonId| {
            index
                .find(hash_of(id), |&i| ids.get(i as usize) == Some(&id))
                .copied()
        };
        let mut department_index =
            IdMap::with_capacity_and_hasher(departments.len(), Default::default());
        for (i, d) in departments.iter().enumerate() {
            if let Some(&first) = department_index.get(&d.id) {
                return Err(OrgError::DuplicateDepartment {
                    id: d.id,
                    first: departments[first as usize].name.clone(),
                    second: d.name.clone(),
                });
            }
            if let Some(head) = d.head
                && idx(head).is_none()
            {
                return Err(OrgError::UnknownHead {
                    department: d.name.clone(),
                    head,
                });
            }
            department_index.insert(d.id, i as u32);
        }

        let mut parent = vec![NONE; n];
        let mut known = true;
        for (slot, m) in parent.iter_mut().zip(&manager_ids) {
            if let Some(m) = *m {
                match idx(m) {
                    Some(mi) => *slot = mi,
                    None => known = false,
                }
            }
        }
        known = known
            && others.iter().all(|&i| {
                let p = &people[i];
                p.additional_manager.is_none_or(|a| idx(a).is_some())
                    && p.department
                        .is_none_or(|d| department_index.contains_key(&d))
            });
        if !known {
            // Name the first person, in the order given, with someone or something unknown:
            // the same checks as above, so one of them fails here.
            for p in &people {
                check_links(p, idx, &department_index)?;
            }
        }

        // Children in one array, in input order.
        let (child_start, children) = by_parent(&parent, 0..n as u32);

        // One iterative depth-first walk from the roots: pre-order number, depth, subtree size.
        let mut pre = vec![NONE; n];
        let mut size = vec![1u32; n];
        let mut depth = vec![0u32; n];
        let mut order = Vec::with_capacity(n);
        let mut stack: Vec<(u32, u32)> = Vec::new(); // (node, next child offset)
        for root in 0..n as u32 {
            if parent[root as usize] != NONE {
                continue;
            }
            pre[root as usize] = order.len() as u32;
            order.push(root);
            stack.push((root, child_start[root as usize]));
            while let Some(top) = stack.last_mut() {
                let (node, next) = *top;
                if next < child_start[node as usize + 1] {
                    top.1 += 1;
                    let child = children[next as usize];
                    pre[child as usize] = order.len() as u32;
                    depth[child as usize] = depth[node as usize] + 1;
                    order.push(child);
                    stack.push((child, child_start[child as usize]));
                } else {
                    stack.pop();
                    size[node as usize] = order.len() as u32 - pre[node as usize];
                }
            }
        }
        if order.len() < n {
            return Err(find_loop(&people, &parent, &pre));
        }

        let nodes: Vec<Node> = ids
            .iter()
            .zip(pre.iter().zip(&size))
            .map(|(&id, (&pre, &size))| Node {
                id,
                span: Span { pre, size },
            })
            .collect();
        // Those with a report: a subtree larger than themselves.
        let mut managers = Managers::new(n, size.iter().filter(|&&s| s > 1).count());
        for (i, node) in nodes.iter().enumerate() {
            if node.span.size > 1 {
                managers.add(&nodes, i as u32);
            }
        }
        let left = people.iter().filter(|p| !p.active).map(|p| p.id).collect();
        Ok(Self {
            managers,
            nodes,
            names: NameText::of(&people),
            people,
            departments,
            index,
            department_index,
            left,
            parent,
            depth,
            order,
        })
    }

    /// A copy of this snapshot with `person` added (a hire after launch joining a running
    /// cycle): rebuilt from its people and departments plus the new person, with everyone who
    /// had left still marked. Linear in the size of the org, like a launch's build.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`](crate::domain::Error::Invalid) when `person` is already in the
    /// snapshot; [`Error::Org`](crate::domain::Error::Org) when their manager, additional
    /// manager or department is not in it.
    pub fn with_person_added(&self, person: Person) -> crate::domain::Result<Self> {
        if self.contains(person.id) {
            return Err(crate::domain::Error::invalid(
                "person",
                format!("{} is already in the org snapshot", person.name),
            ));
        }
        let mut people = self.people.clone();
        people.push(person);
        let mut copy = Self::build(people, self.departments.clone())?;
        for gone in &self.left {
            copy.mark_left(*gone)?;
        }
        Ok(copy)
    }

    /// A copy of this snapshot with `person`'s manager changed (see
    /// [`set_manager`](Self::set_manager)).
    ///
    /// # Errors
    ///
    /// As [`set_manager`](Self::set_manager).
    pub fn with_manager_changed(
        &self,
        person: PersonId,
        manager: Option<PersonId>,
    ) -> crate::domain::Result<Self> {
        let mut copy = self.clone();
        copy.set_manager(person, manager)?;
        Ok(copy)
    }

    /// Checks that [`set_manager`](Self::set_manager) would accept this change, without making
    /// it, and without a copy of the snapshot.
    ///
    /// # Errors
    ///
    /// As [`set_manager`](Self::set_manager).
    pub fn check_manager_change(
        &self,
        person: PersonId,
        manager: Option<PersonId>,
    ) -> crate::domain::Result<()> {
        self.manager_change(person, manager).map(|_| ())
    }

    /// The indexes of `person` and their new manager, once the change is known to be valid.
    fn manager_change(
        &self,
        person: PersonId,
        manager: Option<PersonId>,
    ) -> crate::domain::Result<(u32, Option<u32>)> {
        let x = self
            .idx(person)
            .ok_or_else(|| crate::domain::Error::NotFound {
                what: "person",
                id: person.to_string(),
            })?;
        let y = match manager {
            None => None,
            Some(m) => Some(self.idx(m).ok_or_else(|| OrgError::UnknownManager {
                person,
                name: self.people[x as usize].name.clone(),
                manager: m,
            })?),
        };
        if let Some(y) = y
            && (y == x || self.is_ancestor_idx(x, y))
        {
            // The new manager reports (directly or not) to the person: name the loop.
            let mut ids = vec![person];
            let mut names = vec![self.people[x as usize].name.clone()];
            let mut k = y;
            loop {
                ids.push(self.people[k as usize].id);
                names.push(self.people[k as usize].name.clone());
                if k == x {
                    break;
                }
                k = self.parent[k as usize];
            }
            return Err(OrgError::ManagerLoop { people: ids, names }.into());
        }
        Ok((x, y))
    }

    /// Changes `person`'s manager in place (or makes them a root with `None`), without a
    /// rebuild: their subtree is one contiguous block of the pre-order, so the block moves to
    /// just after the new manager with a rotation; pre-order numbers are renumbered over the
    /// moved range only, subtree sizes along the two ancestor paths, depths inside the block.
    /// The cost is array work proportional to the distance moved, not a walk of the org.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::domain::Error::NotFound) when `person` is not in the snapshot;
    /// [`Error::Org`](crate::domain::Error::Org) for an unknown manager or a loop (the new manager in
    /// the person's own team); nothing changes then.
    pub fn set_manager(
        &mut self,
        person: PersonId,
        manager: Option<PersonId>,
    ) -> crate::domain::Result<()> {
        let (x, y) = self.manager_change(person, manager)?;
        let (xu, s) = (x as usize, self.nodes[x as usize].span.size);
        self.people[xu].manager = manager;
        if self.parent[xu] == y.unwrap_or(NONE) {
            return Ok(());
        }
        // Sizes: the old ancestors lose the subtree.
        let mut p = self.parent[xu];
        while p != NONE {
            let span = self.nodes[p as usize].span;
            self.set_span(
                p,
                Span {
                    size: span.size - s,
                    ..span
                },
            );
            p = self.parent[p as usize];
        }
        // Move the block [a, a + s) to just after the new manager (or to the end for a root).
        let (a, su) = (self.nodes[xu].span.pre as usize, s as usize);
        let t = y.map_or(self.order.len(), |y| {
            self.nodes[y as usize].span.pre as usize + 1
        });
        // `t` is never inside the block (the new manager is not in the person's team).
        let (range, block_start) = if t < a {
            self.order[t..a + su].rotate_right(su);
            (t..a + su, t)
        } else if t > a {
            self.order[a..t].rotate_left(su);
            (a..t, t - su)
        } else {
            (a..a, a) // already right after the new manager
        };
        for i in range {
            let node = self.order[i];
            let span = self.nodes[node as usize].span;
            self.set_span(
                node,
                Span {
                    pre: i as u32,
                    ..span
                },
            );
        }
        // Depths inside the block follow the new manager's.
        let new_depth = y.map_or(0, |y| self.depth[y as usize] + 1);
        let old_depth = self.depth[xu];
        for i in block_start..block_start + su {
            let node = self.order[i] as usize;
            self.depth[node] = self.depth[node] - old_depth + new_depth;
        }
        // The new ancestors gain the subtree.
        self.parent[xu] = y.unwrap_or(NONE);
        let mut p = self.parent[xu];
        while p != NONE {
            let span = self.nodes[p as usize].span;
            self.set_span(
                p,
                Span {
                    size: span.size + s,
                    ..span
                },
            );
            p = self.parent[p as usize];
        }
        // The new manager may have gained their first report.
        if let Some(y) = y {
            self.managers.add(&self.nodes, y);
        }
        Ok(())
    }

    /// Gives the person at index `i` a new place in the pre-order: the one write of a place,
    /// so the managers' table (a copy of the places of those who have reports) never lags.
    fn set_span(&mut self, i: u32, span: Span) {
        if let Some(node) = self.nodes.get_mut(i as usize) {
            node.span = span;
            self.managers.sync(i, span);
        }
    }

    /// Whether `id` has left (is inactive in this snapshot). A person who has left reads
    /// nothing and does nothing (DOMAIN.md, leavers).
    #[must_use]
    #[inline]
    pub fn has_left(&self, id: PersonId) -> bool {
        !self.left.is_empty() && self.left.contains(&id)
    }

    /// Everyone who has left, in no particular order.
    pub fn leavers(&self) -> impl Iterator<Item = PersonId> + '_ {
        self.left.iter().copied()
    }

    /// The place of `id` in the org order: a pre-order of the supervisor tree, where each
    /// manager comes before their team and a team is contiguous. Screens list people in it.
    #[must_use]
    pub fn position(&self, id: PersonId) -> Option<u32> {
        self.idx(id)
            .and_then(|i| self.nodes.get(i as usize))
            .map(|n| n.span.pre)
    }

    /// The places of `id` and everyone below them in the org order
    /// ([`position`](Self::position)): one contiguous range.
    #[must_use]
    pub fn subtree_positions(&self, id: PersonId) -> Option<std::ops::Range<u32>> {
        let span = self.idx(id).and_then(|i| self.nodes.get(i as usize))?.span;
        Some(span.pre..span.pre.saturating_add(span.size))
    }

    /// The person at this place of the org order ([`position`](Self::position)).
    #[must_use]
    pub fn at_position(&self, position: u32) -> Option<PersonId> {
        let i = *self.order.get(position as usize)?;
        self.people.get(i as usize).map(|p| p.id)
    }

    /// Records that `person` left: inactive from now on in this snapshot (the manager tree is
    /// unchanged: their reports still report to them until someone reassigns them).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::domain::Error::NotFound) when `person` is not in the
    /// snapshot.
    pub fn mark_left(&mut self, person: PersonId) -> crate::domain::Result<()> {
        let i = self
            .idx(person)
            .ok_or_else(|| crate::domain::Error::NotFound {
                what: "person",
                id: person.to_string(),
            })?;
        if let Some(p) = self.people.get_mut(i as usize) {
            p.active = false;
        }
        self.left.insert(person);
        Ok(())
    }

    /// Number of people.
    #[must_use]
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// Whether the snapshot has nobody in it.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// Everyone, in the order given to [`build`](Self::build).
    #[must_use]
    pub fn people(&self) -> &[Person] {
        &self.people
    }

    /// Every department.
    #[must_use]
    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    #[inline]
    pub(crate) fn idx(&self, id: PersonId) -> Option<u32> {
        find(&self.index, &self.nodes, id)
    }

    /// The person with this id.
    #[must_use]
    pub fn person(&self, id: PersonId) -> Option<&Person> {
        self.idx(id).and_then(|i| self.person_at(i))
    }

    /// The person at index `i` (as [`idx`](Self::idx) returns).
    #[inline]
    pub(crate) fn person_at(&self, i: u32) -> Option<&Person> {
        self.people.get(i as usize)
    }

    /// The id of the person at index `i`.
    #[inline]
    pub(crate) fn id_at(&self, i: u32) -> Option<PersonId> {
        self.nodes.get(i as usize).map(|n| n.id)
    }

    /// Everyone's direct reports at once, as indexes: those of the person at index `i` are
    /// `reports[start[i]..start[i + 1]]`, in the order [`direct_reports`](Self::direct_reports)
    /// gives. One pass over the arrays, in order: cheaper than walking each person's reports
    /// when most people are asked about.
    pub(crate) fn all_direct_reports(&self) -> (Vec<u32>, Vec<u32>) {
        by_parent(&self.parent, self.order.iter().copied())
    }

    /// The index of the direct manager of the person at index `i`.
    #[inline]
    pub(crate) fn manager_idx(&self, i: u32) -> Option<u32> {
        self.parent.get(i as usize).copied().filter(|&p| p != NONE)
    }

    /// Whether the person is in the snapshot.
    #[must_use]
    pub fn contains(&self, id: PersonId) -> bool {
        self.idx(id).is_some()
    }

    /// The person's display name, or `None` when unknown.
    #[must_use]
    pub fn name(&self, id: PersonId) -> Option<&str> {
        self.names.get(self.idx(id)?)
    }

    /// [`name`](Self::name), finding `id` through [`idx_hinted`](Self::idx_hinted).
    pub(crate) fn name_hinted(&self, id: PersonId, hint: u32) -> Option<&str> {
        self.names.get(self.idx_hinted(id, hint)?)
    }

    /// The person's direct manager.
    #[must_use]
    pub fn manager_of(&self, id: PersonId) -> Option<PersonId> {
        self.id_at(self.manager_idx(self.idx(id)?)?)
    }

    /// The manager `n` levels up (`1` is the direct manager, `2` the manager's manager).
    #[must_use]
    pub fn nth_manager(&self, id: PersonId, n: u32) -> Option<PersonId> {
        let mut i = self.idx(id)?;
        if n == 0 || n > self.depth[i as usize] {
            return None;
        }
        for _ in 0..n {
            i = self.parent[i as usize];
        }
        Some(self.people[i as usize].id)
    }

    /// How many managers are above the person (`0` for a root).
    #[must_use]
    pub fn depth(&self, id: PersonId) -> Option<u32> {
        self.idx(id).map(|i| self.depth[i as usize])
    }

    /// Whether `ancestor` is a strict ancestor of `person` in the supervisor tree: their
    /// manager, their manager's manager, and so on. O(1), allocation-free.
    #[must_use]
    #[inline]
    pub fn is_ancestor(&self, ancestor: PersonId, person: PersonId) -> bool {
        self.is_ancestor_hinted(ancestor, person, NONE)
    }

    /// The index of `id`, trying `hint` first (a [`SubjectHint`](crate::domain::packet::SubjectHint)):
    /// the hint is taken only when the id at that index is `id`.
    #[inline]
    pub(crate) fn idx_hinted(&self, id: PersonId, hint: u32) -> Option<u32> {
        if self.nodes.get(hint as usize).map(|n| n.id) == Some(id) {
            Some(hint)
        } else {
            self.idx(id)
        }
    }

    /// [`is_ancestor`](Self::is_ancestor), finding `person` through
    /// [`idx_hinted`](Self::idx_hinted).
    #[inline]
    pub(crate) fn is_ancestor_hinted(
        &self,
        ancestor: PersonId,
        person: PersonId,
        hint: u32,
    ) -> bool {
        // Only those who have or had a report can be ancestors; most people manage nobody,
        // and are answered without a lookup (see `Managers`).
        let Some(a) = self.managers.place(ancestor) else {
            return false;
        };
        self.idx_hinted(person, hint)
            .is_some_and(|p| a.strictly_contains(self.nodes[p as usize].span))
    }

    #[inline]
    pub(crate) fn is_ancestor_idx(&self, a: u32, p: u32) -> bool {
        self.nodes[a as usize]
            .span
            .strictly_contains(self.nodes[p as usize].span)
    }

    /// The managers from `ancestor` down to `person`, both included, when `ancestor` is a strict
    /// ancestor of `person`: `[dana, bo, ann]` means dana manages bo, who manages ann.
    #[must_use]
    pub fn manager_path(&self, ancestor: PersonId, person: PersonId) -> Option<Vec<PersonId>> {
        let (a, mut p) = (self.idx(ancestor)?, self.idx(person)?);
        if !self.is_ancestor_idx(a, p) {
            return None;
        }
        let mut path = vec![self.people[p as usize].id];
        while p != a {
            p = self.parent[p as usize];
            path.push(self.people[p as usize].id);
        }
        path.reverse();
        Some(path)
    }

    /// The person's direct reports (in pre-order: input order for a freshly built snapshot).
    /// Costs the number of reports: in pre-order, each report's team follows them, so the next
    /// report is one team size further on.
    pub fn direct_reports(&self, id: PersonId) -> impl Iterator<Item = PersonId> + '_ {
        self.direct_reports_idx(self.idx(id))
            .filter_map(|c| self.id_at(c))
    }

    /// [`direct_reports`](Self::direct_reports) of the person at index `i`, as indexes.
    pub(crate) fn direct_reports_idx(&self, i: Option<u32>) -> impl Iterator<Item = u32> + '_ {
        let (first, end) = match i.and_then(|i| self.nodes.get(i as usize).map(|n| n.span)) {
            Some(s) => (s.pre as usize + 1, s.pre as usize + s.size as usize),
            None => (0, 0),
        };
        let at = move |pos: usize| (pos < end).then(|| self.order.get(pos).copied()).flatten();
        std::iter::successors(at(first).map(|c| (first, c)), move |&(pos, c)| {
            let next = pos
                + self
                    .nodes
                    .get(c as usize)
                    .map_or(end, |n| n.span.size as usize);
            at(next).map(|n| (next, n))
        })
        .map(|(_, c)| c)
    }

    /// The person's extended team: everyone below them, at any depth (not the person).
    pub fn extended_team(&self, id: PersonId) -> impl Iterator<Item = PersonId> + '_ {
        let range = match self.idx(id) {
            Some(i) => {
                let start = self.nodes[i as usize].span.pre as usize;
                start + 1..start + self.nodes[i as usize].span.size as usize
            }
            None => 0..0,
        };
        self.order[range]
            .iter()
            .map(|&c| self.people[c as usize].id)
    }

    /// The department with this id.
    #[must_use]
    pub fn department(&self, id: DepartmentId) -> Option<&Department> {
        self.department_index
            .get(&id)
            .map(|&i| &self.departments[i as usize])
    }

    /// The head of the person's department.
    #[must_use]
    pub fn department_head_of(&self, id: PersonId) -> Option<PersonId> {
        self.department(self.person(id)?.department?)?.head
    }
}

/// Finds one loop among the people the walk from the roots did not reach (every one of them
/// leads into a loop), following managers with a per-walk mark: linear overall.
fn find_loop(people: &[Person], parent: &[u32], pre: &[u32]) -> OrgError {
    let n = people.len();
    let mut mark = vec![NONE; n];
    for start in 0..n {
        if pre[start] != NONE || mark[start] != NONE {
            continue;
        }
        let mut i = start;
        while mark[i] == NONE {
            mark[i] = start as u32;
            i = parent[i] as usize;
        }
        if mark[i] == start as u32 {
            // `i` is on a loop found by this walk.
            let first = i;
            let mut ids = vec![people[first].id];
            let mut names = vec![people[first].name.clone()];
            let mut j = parent[first] as usize;
            loop {
                ids.push(people[j].id);
                names.push(people[j].name.clone());
                if j == first {
                    break;
                }
                j = parent[j] as usize;
            }
            return OrgError::ManagerLoop { people: ids, names };
        }
    }
    // Unreachable for data the walk rejected; report an empty loop rather than panic.
    OrgError::ManagerLoop {
        people: Vec::new(),
        names: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ternary tree of `n` people: person `i` reports to person `(i - 1) / 3`.
    fn ternary(n: usize) -> Vec<Person> {
        let ids: Vec<_> = (0..n)
            .map(|i| PersonId::from_key(&format!("p{i}")))
            .collect();
        (0..n)
            .map(|i| {
                let p = Person::new(ids[i], format!("p{i}"));
                if i == 0 {
                    p
                } else {
                    p.with_manager(ids[(i - 1) / 3])
                }
            })
            .collect()
    }

    #[test]
    fn everyone_keeps_their_own_name_through_every_copy() {
        let mut people = ternary(40);
        people[0].name = String::new();
        people[7].name = "Zoë Ōtsuka-Núñez".into();
        people[39].name = String::new();
        let org = OrgSnapshot::build(people.clone(), vec![]).unwrap();
        let hired = Person::new(PersonId::from_key("new"), "Søren").with_manager(people[5].id);
        let grown = org.with_person_added(hired.clone()).unwrap();
        let moved = org
            .with_manager_changed(people[9].id, Some(people[1].id))
            .unwrap();
        let json = serde_json::to_string(&org).unwrap();
        let read: OrgSnapshot = serde_json::from_str(&json).unwrap();
        for org in [&org, &grown, &moved, &read] {
            for (i, p) in people.iter().enumerate() {
                assert_eq!(org.name(p.id), Some(p.name.as_str()));
                assert_eq!(org.name_hinted(p.id, i as u32), Some(p.name.as_str()));
                // A wrong hint still finds the name.
                assert_eq!(org.name_hinted(p.id, 3), Some(p.name.as_str()));
            }
            assert_eq!(org.name(PersonId::from_key("nobody")), None);
        }
        assert_eq!(grown.name(hired.id), Some("Søren"));
    }

    #[test]
    fn the_managers_filter_knows_every_manager_and_few_others() {
        let people = ternary(30_000);
        let org = OrgSnapshot::build(people.clone(), vec![]).unwrap();
        let (mut leaves, mut maybe) = (0, 0);
        for p in &people {
            if org.direct_reports(p.id).next().is_some() {
                assert!(org.managers.may_manage(p.id), "{} manages", p.name);
            } else {
                leaves += 1;
                maybe += usize::from(org.managers.may_manage(p.id));
            }
        }
        // A third of this org manages, as in the benches' orgs. 30,000 people get 2,048 words,
        // about four bits a person (the fewest any size gets), and "maybe" comes up for 2-3% of
        // the others; a poor hash or a filter too small would say it far more often.
        assert!(leaves > 19_000);
        assert!(maybe * 25 < leaves, "{maybe} of {leaves} leaves");
    }

    #[test]
    fn someone_who_gains_a_first_report_passes_the_filter() {
        let people = ternary(40);
        let mut org = OrgSnapshot::build(people.clone(), vec![]).unwrap();
        // The first leaf the filter rules out, so that the move below is what lets them in.
        let leaf = people
            .iter()
            .rev()
            .find(|p| !org.managers.may_manage(p.id))
            .unwrap()
            .id;
        let mover = people[1].id;
        assert!(!org.is_ancestor(leaf, mover));
        org.set_manager(mover, Some(leaf)).unwrap();
        assert!(org.managers.may_manage(leaf));
        assert_eq!(
            org.managers.place(leaf),
            Some(org.nodes[org.idx(leaf).unwrap() as usize].span)
        );
        assert!(org.is_ancestor(leaf, mover));
        assert!(
            org.is_ancestor(leaf, people[4].id),
            "the mover's team comes along"
        );
    }

    /// The managers' places are a copy of theirs in `nodes`: every change must reach both, or
    /// an ancestor test reads a stale place.
    #[test]
    fn the_managers_places_follow_every_manager_change() {
        let people = ternary(300);
        let mut org = OrgSnapshot::build(people.clone(), vec![]).unwrap();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let (mut moved, mut lost_all) = (0, 0);
        let buckets = org.managers.places.num_buckets();
        for _ in 0..400 {
            let person = people[next(people.len())].id;
            let manager = match next(10) {
                0 => None,
                _ => Some(people[next(people.len())].id),
            };
            moved += usize::from(org.set_manager(person, manager).is_ok());
            for node in &org.nodes {
                if node.span.size > 1 {
                    assert_eq!(
                        org.managers.place(node.id),
                        Some(node.span),
                        "a manager's place"
                    );
                }
            }
            for entry in &org.managers.places {
                let i = org.idx(entry.id).unwrap();
                assert_eq!(entry.span, org.nodes[i as usize].span, "an entry's place");
                lost_all += usize::from(entry.span.size == 1);
            }
        }
        // The moves were mostly allowed, some people lost their last report on the way, and
        // enough gained a first one that the table grew (and its buckets were found again).
        assert!(moved > 200, "{moved} moves");
        assert!(lost_all > 0);
        assert!(org.managers.places.num_buckets() > buckets);
    }
}
