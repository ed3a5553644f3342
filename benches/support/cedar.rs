//! R-READ encoded in Cedar (schema + policies), and the translation of an appraise world into
//! Cedar entities. Shared by the `decide` bench, the differential test and the `scale` example.
//!
//! # The encoding
//!
//! - The org chart is Cedar's entity hierarchy: `Person in [Person]`, each person's parent is
//!   their manager in the cycle's snapshot. `chain(P, S)` is Cedar's own `S in P` (and S ≠ P).
//!   Role groups are never put in the hierarchy: they are attributes, so manager links never
//!   mix with roles.
//! - First match decides in R-READ; Cedar has no order, so the order is encoded with `forbid`
//!   (which overrides every `permit`): rule 2 forbids unsubmitted reviews to non-authors, and
//!   rule 3 forbids the subject everything rule 3 itself does not allow. A `forbid` on the
//!   cycle's leavers puts the leaver rule before all of R-READ.
//! - What Cedar cannot express cheaply is precomputed into attributes by the translation:
//!   `admin(P, C)` (a grant's `since` against the cycle's creation, with the past-cycles flag),
//!   custom roles' cycle and people scopes, the approvers of the current and passed approval
//!   steps (resolving the chain against the org), the contributors of open calibration
//!   sessions including the subject, past-review grants whose relation still holds (the
//!   subject's current default additional manager), and the threshold count (non-removed submitted reviews of
//!   the kind). These relations are covered by the crate's naive oracle test instead.
//! - Cedar decides allow or deny; whether the author is hidden is not part of its answer (the
//!   oracle test covers it).

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use appraise::{
    CalibrationSession, Cycle, DefaultAdditionalManagers, Grants, OrgSnapshot, Packet, PacketState,
    Permission, PersonId, Review, ReviewState, StepApprover, resolve_step,
};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression, Schema,
};

/// The schema, in Cedar's schema syntax.
pub const SCHEMA: &str = r#"
entity Person in [Person];
entity Cycle = {
    admins: Set<Person>,
    collaborators: Set<Person>,
    left: Set<Person>,
};
entity Review = {
    author: Person,
    subject: Person,
    cycle: Cycle,
    kind: String,
    submitted: Bool,
    removed: Bool,
    shared: Bool,
    kind_shared: Bool,
    visible: Long,
    threshold: Long,
    managers: Set<Person>,
    viewers: Set<Person>,
    role_viewers: Set<Person>,
    sharers: Set<Person>,
    contributors: Set<Person>,
    approvers: Set<Person>,
};
action read appliesTo { principal: Person, resource: Review };
"#;

/// R-READ as Cedar policies.
pub const POLICIES: &str = r#"
// Leavers: a person who has left reads nothing, whatever else holds.
@id("LEFT")
forbid (principal, action == Action::"read", resource)
when { resource.cycle.left.contains(principal) };

// R-READ-1: the author reads their review, in any state.
@id("R-READ-1")
permit (principal, action == Action::"read", resource)
when { resource.author == principal };

// R-READ-2: nobody else reads an unsubmitted review.
@id("R-READ-2")
forbid (principal, action == Action::"read", resource)
when { resource.author != principal && !resource.submitted };

// R-READ-3: the subject is decided by this rule alone.
@id("R-READ-3-allow")
permit (principal, action == Action::"read", resource)
when {
    principal == resource.subject && resource.author != principal && resource.submitted &&
    (((resource.kind == "manager" || resource.kind == "additional_manager") && resource.shared) ||
     ((resource.kind == "peer" || resource.kind == "upward") && resource.kind_shared &&
      resource.shared && !resource.removed && resource.visible >= resource.threshold))
};
@id("R-READ-3-deny")
forbid (principal, action == Action::"read", resource)
when {
    principal == resource.subject && resource.author != principal &&
    !(((resource.kind == "manager" || resource.kind == "additional_manager") && resource.shared) ||
      ((resource.kind == "peer" || resource.kind == "upward") && resource.kind_shared &&
       resource.shared && !resource.removed && resource.visible >= resource.threshold))
};

// R-READ-4: admins of the cycle, its collaborators, custom roles that view all reviews.
@id("R-READ-4")
permit (principal, action == Action::"read", resource)
when {
    resource.cycle.admins.contains(principal) ||
    resource.cycle.collaborators.contains(principal) ||
    resource.role_viewers.contains(principal)
};

// R-READ-5: manager reviewers (current, former), additional managers, the manager chain,
// viewers.
@id("R-READ-5")
permit (principal, action == Action::"read", resource)
when {
    resource.managers.contains(principal) ||
    resource.viewers.contains(principal) ||
    (resource.subject in principal && resource.subject != principal)
};

// R-READ-6: sharing users, for self, manager and additional-manager reviews.
@id("R-READ-6")
permit (principal, action == Action::"read", resource)
when {
    resource.sharers.contains(principal) &&
    (resource.kind == "self" || resource.kind == "manager" || resource.kind == "additional_manager")
};

// R-READ-7: contributors of an open session, for manager and additional-manager reviews.
@id("R-READ-7")
permit (principal, action == Action::"read", resource)
when {
    resource.contributors.contains(principal) &&
    (resource.kind == "manager" || resource.kind == "additional_manager")
};

// R-READ-8: approvers of the current or a passed step.
@id("R-READ-8")
permit (principal, action == Action::"read", resource)
when { resource.approvers.contains(principal) };
"#;

fn uid(ty: &str, id: impl ToString) -> EntityUid {
    EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(ty).expect("entity type"),
        EntityId::new(id.to_string()),
    )
}

fn people_set(people: impl IntoIterator<Item = PersonId>) -> RestrictedExpression {
    RestrictedExpression::new_set(
        people
            .into_iter()
            .map(|p| RestrictedExpression::new_entity_uid(uid("Person", p))),
    )
}

/// An appraise world in Cedar: policies, entities, and requests.
pub struct CedarWorld {
    pub policies: PolicySet,
    pub entities: Entities,
    pub schema: Schema,
    action: EntityUid,
    authorizer: Authorizer,
}

/// What one world holds, borrowed from the crate's records.
pub struct Source<'a> {
    pub org: &'a OrgSnapshot,
    pub cycle: &'a Cycle,
    pub grants: &'a Grants,
    /// Each subject's default additional manager now: past-review grants need it.
    pub additional_managers: &'a DefaultAdditionalManagers,
    pub calibrations: &'a [CalibrationSession],
    pub packets: &'a [Packet],
    pub reviews: &'a [Review],
}

impl CedarWorld {
    /// Translates a world (see the module docs for what is precomputed).
    pub fn build(src: &Source<'_>, check_schema: bool) -> Self {
        let (schema, _) = Schema::from_cedarschema_str(SCHEMA).expect("schema parses");
        let policies = PolicySet::from_str(POLICIES).expect("policies parse");
        let cycle = src.cycle;
        let org = src.org;
        let admins: Vec<PersonId> = src
            .grants
            .admins()
            .filter(|(_, g)| g.covers(cycle.created_at()))
            .map(|(p, _)| p)
            .collect();
        let mut entities: Vec<Entity> = Vec::with_capacity(org.len() + src.reviews.len() + 1);
        // People: the org chart as the hierarchy. Everyone the grants or packets mention is an
        // entity too (with no parent when outside the org).
        let mut seen: HashSet<PersonId> = HashSet::new();
        for p in org.people() {
            let parents = org
                .manager_of(p.id)
                .map(|m| uid("Person", m))
                .into_iter()
                .collect();
            entities.push(Entity::new_no_attrs(uid("Person", p.id), parents));
            seen.insert(p.id);
        }
        let mut extra = |id: PersonId, entities: &mut Vec<Entity>| {
            if seen.insert(id) {
                entities.push(Entity::new_no_attrs(uid("Person", id), HashSet::new()));
            }
        };
        for a in &admins {
            extra(*a, &mut entities);
        }
        for c in cycle.collaborators() {
            extra(*c, &mut entities);
        }
        let cycle_uid = uid("Cycle", cycle.id());
        entities.push(
            Entity::new(
                cycle_uid.clone(),
                HashMap::from([
                    ("admins".to_owned(), people_set(admins.iter().copied())),
                    (
                        "collaborators".to_owned(),
                        people_set(cycle.collaborators().iter().copied()),
                    ),
                    (
                        "left".to_owned(),
                        people_set(
                            org.people()
                                .iter()
                                .map(|p| p.id)
                                .filter(|p| org.has_left(*p)),
                        ),
                    ),
                ]),
                HashSet::new(),
            )
            .expect("cycle entity"),
        );
        let packets: HashMap<_, &Packet> = src.packets.iter().map(|p| (p.id(), p)).collect();
        let settings = cycle.settings();
        // Everyone a grant may name, and those holding custom roles: computed once per world;
        // the relations they give are computed once per subject.
        let mut named: Vec<PersonId> = org.people().iter().map(|p| p.id).collect();
        named.extend(admins.iter().copied());
        named.sort();
        named.dedup();
        let role_candidates: Vec<PersonId> = named
            .iter()
            .copied()
            .filter(|p| !src.grants.roles_of(*p).is_empty())
            .collect();
        let mut per_subject: HashMap<PersonId, (Vec<PersonId>, Vec<PersonId>)> = HashMap::new();
        for r in src.reviews {
            let packet = packets[&r.packet()];
            let s = packet.subject();
            let kind = r.kind();
            // Precomputed relations (see the module docs).
            let mut managers: Vec<PersonId> = packet.manager().into_iter().collect();
            managers.extend(packet.former_managers());
            managers.extend(packet.default_additional_manager());
            managers.extend(packet.additional_managers());
            let (grant_viewers, role_viewers) = per_subject
                .entry(s)
                .or_insert_with(|| {
                    // Global and past-review viewers: whoever the grants name for this subject.
                    let viewers = named
                        .iter()
                        .copied()
                        .filter(|c| {
                            src.grants.is_global_viewer(*c, s)
                                || (src.grants.sees_past_reviews(*c, s)
                                    && src.additional_managers.is(*c, s))
                        })
                        .collect();
                    let roles = role_holders(src, &role_candidates, s, Permission::ViewAllReviews);
                    (viewers, roles)
                })
                .clone();
            let mut viewers: Vec<PersonId> = packet.viewers().to_vec();
            viewers.extend(grant_viewers);
            let contributors: Vec<PersonId> = src
                .calibrations
                .iter()
                .filter(|c| c.cycle() == cycle.id() && c.is_open() && c.participants().contains(&s))
                .flat_map(|c| c.contributors().iter().copied())
                .collect();
            let approvers = approvers(src, packet, &admins, &role_candidates);
            for p in managers
                .iter()
                .chain(&viewers)
                .chain(&role_viewers)
                .chain(packet.sharers())
                .chain(&contributors)
                .chain(&approvers)
            {
                extra(*p, &mut entities);
            }
            extra(r.author(), &mut entities);
            extra(s, &mut entities);
            let attrs = HashMap::from([
                (
                    "author".to_owned(),
                    RestrictedExpression::new_entity_uid(uid("Person", r.author())),
                ),
                (
                    "subject".to_owned(),
                    RestrictedExpression::new_entity_uid(uid("Person", s)),
                ),
                (
                    "cycle".to_owned(),
                    RestrictedExpression::new_entity_uid(cycle_uid.clone()),
                ),
                (
                    "kind".to_owned(),
                    RestrictedExpression::new_string(kind.name().to_owned()),
                ),
                (
                    "submitted".to_owned(),
                    RestrictedExpression::new_bool(r.state() == ReviewState::Submitted),
                ),
                (
                    "removed".to_owned(),
                    RestrictedExpression::new_bool(r.is_removed()),
                ),
                (
                    "shared".to_owned(),
                    RestrictedExpression::new_bool(packet.state().is_shared()),
                ),
                (
                    "kind_shared".to_owned(),
                    RestrictedExpression::new_bool(settings.shares_with_subject(kind)),
                ),
                (
                    "visible".to_owned(),
                    RestrictedExpression::new_long(i64::from(packet.tally(kind).visible())),
                ),
                (
                    "threshold".to_owned(),
                    RestrictedExpression::new_long(i64::from(settings.anonymity_threshold)),
                ),
                ("managers".to_owned(), people_set(managers)),
                ("viewers".to_owned(), people_set(viewers)),
                ("role_viewers".to_owned(), people_set(role_viewers)),
                (
                    "sharers".to_owned(),
                    people_set(packet.sharers().iter().copied()),
                ),
                ("contributors".to_owned(), people_set(contributors)),
                ("approvers".to_owned(), people_set(approvers)),
            ]);
            entities.push(
                Entity::new(uid("Review", r.id()), attrs, HashSet::new()).expect("review entity"),
            );
        }
        let entities = Entities::from_entities(entities, check_schema.then_some(&schema))
            .expect("entities conform");
        Self {
            policies,
            entities,
            schema,
            action: uid("Action", "read"),
            authorizer: Authorizer::new(),
        }
    }

    /// Cedar's decision: may `actor` read `review`?
    pub fn is_allowed(&self, actor: PersonId, review: &Review) -> bool {
        let request = Request::new(
            uid("Person", actor),
            self.action.clone(),
            uid("Review", review.id()),
            Context::empty(),
            None,
        )
        .expect("request");
        self.authorizer
            .is_authorized(&request, &self.policies, &self.entities)
            .decision()
            == Decision::Allow
    }
}

/// People holding a custom role with `permission` whose cycle and people scopes reach the
/// cycle and `subject`.
fn role_holders(
    src: &Source<'_>,
    candidates: &[PersonId],
    subject: PersonId,
    permission: Permission,
) -> Vec<PersonId> {
    candidates
        .iter()
        .copied()
        .filter(|p| {
            src.grants.roles_of(*p).iter().any(|g| {
                src.grants
                    .role(g.role)
                    .is_some_and(|r| r.permissions.contains(permission))
                    && g.cycles.contains(Some(src.cycle.id()))
                    && g.people.contains(src.org, subject)
            })
        })
        .collect()
}

/// Approvers of the current (while pending) and every passed step of the packet's chain.
fn approvers(
    src: &Source<'_>,
    packet: &Packet,
    admins: &[PersonId],
    role_candidates: &[PersonId],
) -> Vec<PersonId> {
    let settings = src.cycle.settings();
    if !settings.approval_required {
        return Vec::new();
    }
    let mut reached = packet.approval_steps_passed();
    if packet.state() == PacketState::PendingApproval {
        reached = reached.max(packet.approval_step() + 1);
    }
    let mut out = Vec::new();
    for step in 0..reached {
        match resolve_step(src.org, &settings.approval_chain, step, packet.subject()) {
            StepApprover::Person(p) => out.push(p),
            StepApprover::Admins => {
                out.extend(admins.iter().copied());
                out.extend(role_holders(
                    src,
                    role_candidates,
                    packet.subject(),
                    Permission::ApproveResults,
                ));
            }
            StepApprover::Skipped => {}
        }
    }
    out
}
