//! A model-based test of the engine: random sequences of engine commands by random actors,
//! wrong states and wrong actors included, against a small reference model written from
//! DOMAIN.md (R-WRITE, the packet, review and nomination state machines, locking and closing,
//! collaborators, review admins, global viewers and custom roles coming and going, calibration
//! sessions changing members, manager changes and changes of manager reviewer, every
//! assignment added, removed and replaced, participants added and removed, people leaving,
//! the cycle's settings edited, time passing with the host's tick, a second cycle created,
//! deleted and launched, question templates created and replaced, the first admin).
//! After every step the outcome (accepted or refused) and all observable state must agree:
//! the cycle's state, lock and settings; every packet's state, manager reviewer, viewers and
//! whether it is withdrawn; every review's state and answers; every nomination's state; the
//! cycle's collaborators; the participants' managers in the cycle's org; who has left; the
//! global viewers, past-review grants, custom roles and their grants; the templates; a second
//! cycle. Every command must be seen both accepted and refused (the tick, which never fails,
//! accepted). Runs on memory and on SQLite; `APPRAISE_MODEL_SEQUENCES` sets how many sequences
//! run on memory (default 200; the SQLite run does a tenth). A failure names its seed and
//! step, and is shrunk to the fewest steps of its sequence that still fail; that seed and
//! those steps go into `REGRESSIONS`, which every run replays. `APPRAISE_MODEL_TRACE=1` prints
//! each step's command and outcome, and how often each command was refused and accepted.
//!
//! The cycle: ann and cy take part, both managed by bo; kim is an admin, lee a collaborator;
//! self, manager, additional manager, peer and upward reviews, at most two peers; the manager
//! reviews gated until the self review is submitted. Each sequence draws whether
//! participants nominate themselves, whether managers approve nominations, whether the cycle
//! calibrates, whether results wait for approval (by the admins, the manager's manager, or
//! the one then the others), whether the manager reviews also wait for the peer reviews,
//! whether managers may remove feedback, how private
//! feedback is, whether pending nominations are approved at a deadline, writing windows for
//! self, manager and peer reviews (with or without late writes), which the clock moves
//! through, and whether self and peer reviews answer a question template (then drafts and
//! submits carry answers, valid or not, checked against it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use appraise::memory::{MemoryStorage, RecordingNotifier, StaticDirectory};
use appraise::plugin::{ManualClock, Storage};
use appraise::{
    AdminGrant, CustomRole, CustomRoleId, CycleConfig, CycleId, CycleScope, CycleSettings,
    CycleState, Engine, NominationId, NominationState, PacketId, PacketState, PeopleScope,
    Permission, Permissions, Person, PersonId, ReviewId, ReviewKind, ReviewState, RoleGrant,
};
use chrono::{Duration, TimeZone, Utc};

use crate::engine::period;
use crate::world::Rng;

fn id(name: &str) -> PersonId {
    PersonId::from_key(name)
}

/// The name of one of [`PEOPLE`], for messages.
fn name(p: PersonId) -> &'static str {
    PEOPLE.iter().find(|n| id(n) == p).copied().unwrap_or("?")
}

const PEOPLE: [&str; 9] = [
    "dana", "bo", "kim", "lee", "ann", "cy", "eve", "zed", "nobody",
];

/// Each person's manager in the directory (and so in the cycle's org at launch).
fn directory_manager(p: PersonId) -> Option<PersonId> {
    let manager = match name(p) {
        "bo" | "kim" => "dana",
        "ann" | "cy" | "eve" => "bo",
        "lee" => "kim",
        "zed" => "lee",
        _ => return None,
    };
    Some(id(manager))
}

/// Each person's default additional manager in the directory: only people who take no part
/// at launch have one.
fn directory_additional_manager(p: PersonId) -> Option<PersonId> {
    let manager = match name(p) {
        "eve" => "zed",
        "bo" => "kim",
        _ => return None,
    };
    Some(id(manager))
}

/// Follows a grant (or revoke) the engine accepted into the expected `set` of what is held,
/// and names the command that ran of the two in `names`.
fn follow<K: Ord>(
    set: &mut BTreeSet<K>,
    key: K,
    grant: bool,
    accepted: bool,
    names: (&'static str, &'static str),
) -> &'static str {
    if accepted && grant {
        set.insert(key);
    } else if accepted {
        set.remove(&key);
    }
    if grant { names.0 } else { names.1 }
}

fn directory() -> StaticDirectory {
    let people = PEOPLE[..8]
        .iter()
        .map(|&n| {
            let mut person = Person::new(id(n), n);
            if let Some(m) = directory_manager(id(n)) {
                person = person.with_manager(m);
            }
            if let Some(a) = directory_additional_manager(id(n)) {
                person = person.with_additional_manager(a);
            }
            person
        })
        .collect();
    StaticDirectory::new(people, vec![])
}

/// The reference model's view of one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MPacket {
    state: PacketState,
    /// The manager reviewer, who is the participant's manager in the cycle's org.
    manager: Option<PersonId>,
    viewers: BTreeSet<PersonId>,
    sharers: BTreeSet<PersonId>,
    /// Opened early for the manager review.
    gate: bool,
    /// The calibrated rating, in hundredths.
    calibrated: Option<u16>,
    /// Withdrawn (the participant was removed, or left): read-only.
    withdrawn: bool,
    /// The default additional manager, from the directory, until removed.
    default_additional: Option<PersonId>,
}

/// The reference model's view of one calibration session.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MSession {
    state: appraise::CalibrationState,
    participants: BTreeSet<PersonId>,
    contributors: BTreeSet<PersonId>,
}

/// The reference model's view of one review.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MReview {
    subject: PersonId,
    kind: ReviewKind,
    author: PersonId,
    state: ReviewState,
    removed: bool,
    /// Its answers: the name of one of [`ANSWERS`] (`"other"` for none of them).
    answers: &'static str,
}

/// The answers a sequence writes, by name: every question answered, one optional question
/// answered, a text too long for its question, a rating off the scale, an answer to no
/// question of the template, none.
const ANSWERS: [&str; 6] = ["full", "partial", "long", "off_scale", "unknown", "empty"];

/// The question template self and peer reviews answer when a sequence draws one: a summary
/// (at most 20 characters; self and peer; required), a rating (self only; required), a
/// choice of `a` or `b` (self and peer; optional).
fn template() -> appraise::Template {
    use appraise::{Question, QuestionKind, Section};
    let both = [ReviewKind::SelfReview, ReviewKind::Peer];
    appraise::Template::new(appraise::TemplateId::from_key("model form"), "form").section(
        Section::new("s", "How it went")
            .question(
                Question::new(
                    "summary",
                    "Summary",
                    QuestionKind::FreeText { max_len: Some(20) },
                )
                .answered_by(both)
                .required(),
            )
            .question(
                Question::new("rating", "Rating", QuestionKind::Rating)
                    .answered_by([ReviewKind::SelfReview])
                    .required(),
            )
            .question(
                Question::new(
                    "pick",
                    "Pick",
                    QuestionKind::SingleChoice {
                        options: vec!["a".into(), "b".into()],
                    },
                )
                .answered_by(both),
            ),
    )
}

/// [`template`] loosened: no question required, no rating. A cycle launched with the template
/// keeps the copy it froze, so the loosened one changes nothing in it.
fn loose_template() -> appraise::Template {
    let mut t = template();
    for section in &mut t.sections {
        section.questions.retain(|q| q.key != "rating");
        for q in &mut section.questions {
            q.required = false;
        }
    }
    t
}

/// The templates a sequence may save, by key: the form, and one more.
const TEMPLATES: [&str; 2] = ["model form", "extra form"];

/// What a stored template is: the form, loosened, or something else.
fn template_name(t: &appraise::Template) -> &'static str {
    let as_form = |mut form: appraise::Template| {
        form.id = t.id;
        form == *t
    };
    if as_form(template()) {
        "form"
    } else if as_form(loose_template()) {
        "loose"
    } else {
        "other"
    }
}

/// The answers named `name` for a review of `kind`.
fn answers(name: &str, kind: ReviewKind) -> appraise::Answers {
    use appraise::{Answer, Answers, QuestionId};
    let q = QuestionId::from_key;
    match name {
        "full" if kind == ReviewKind::Peer => Answers::new()
            .with(q("summary"), Answer::Text("fine".into()))
            .with(q("pick"), Answer::Choice("a".into())),
        "full" => Answers::new()
            .with(q("summary"), Answer::Text("fine".into()))
            .with(q("rating"), Answer::Rating(4))
            .with(q("pick"), Answer::Choice("a".into())),
        "partial" => Answers::new().with(q("pick"), Answer::Choice("b".into())),
        "long" => Answers::new().with(q("summary"), Answer::Text("x".repeat(30))),
        "off_scale" => Answers::new().with(q("rating"), Answer::Rating(9)),
        "unknown" => Answers::new().with(q("nope"), Answer::Text("?".into())),
        _ => Answers::new(),
    }
}

/// The name of `given` in [`ANSWERS`] for a review of `kind`.
fn answers_name(given: &appraise::Answers, kind: ReviewKind) -> &'static str {
    ANSWERS
        .into_iter()
        .find(|n| answers(n, kind) == *given)
        .unwrap_or("other")
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct MNomination {
    subject: PersonId,
    nominee: PersonId,
    state: NominationState,
}

/// The reference model: what DOMAIN.md says the observable state is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Model {
    /// The settings the sequence drew: an approval chain of one admin step, participants
    /// nominating themselves, managers approving nominations.
    approval: bool,
    calibration: bool,
    self_nomination: bool,
    nomination_approval: bool,
    /// Manager reviews also wait for every peer review (`gating.after_peers`).
    after_peers: bool,
    /// Managers may remove feedback.
    managers_remove: bool,
    /// Peer and upward reviews: anonymous to the subject, shared with the subject.
    privacy: [(bool, bool); 2],
    anonymity_threshold: u16,
    /// The templates stored, of [`TEMPLATES`]: what each is ([`template_name`]).
    templates: BTreeMap<&'static str, &'static str>,
    /// The kinds that answer [`template`]; the others have no template.
    templated: BTreeSet<ReviewKind>,
    /// The approval chain.
    chain: Vec<appraise::ApprovalStep>,
    /// The model's own record, not observed: the step each packet pending approval has
    /// reached.
    steps: BTreeMap<PersonId, usize>,
    /// Pending nominations are approved at this deadline, by the tick.
    approve_at: Option<chrono::DateTime<Utc>>,
    /// Writing windows: (opens, due) by kind.
    windows: BTreeMap<ReviewKind, (chrono::DateTime<Utc>, chrono::DateTime<Utc>)>,
    /// Writes past a window's due are accepted.
    late: bool,
    /// The feedback kinds (peer, upward) of which a review was ever submitted: their privacy
    /// settings only get stricter (`CycleSettings::check_promises`).
    promised: BTreeSet<ReviewKind>,
    cycle: CycleState,
    locked: bool,
    admins: BTreeSet<PersonId>,
    collaborators: BTreeSet<PersonId>,
    /// The participants' managers in the cycle's org snapshot.
    org: BTreeMap<PersonId, Option<PersonId>>,
    /// Those the cycle's org snapshot says have left.
    left: BTreeSet<PersonId>,
    /// Global viewers: (viewer, subject).
    global_viewers: BTreeSet<(PersonId, PersonId)>,
    /// Past-review visibility: (viewer, subject).
    past_viewers: BTreeSet<(PersonId, PersonId)>,
    /// The cycle.
    cycle_id: CycleId,
    /// A second cycle, once created, its state and whether it has participants (gone once
    /// deleted).
    second: Option<(CycleId, CycleState, bool)>,
    /// Custom roles defined (of [`ROLES`]), with their permissions.
    roles: BTreeMap<CustomRoleId, Permissions>,
    /// Custom roles granted: (person, role) with the grant's cycle and people scopes.
    role_grants: BTreeMap<(PersonId, CustomRoleId), (CycleScope, PeopleScope)>,
    packets: BTreeMap<PersonId, MPacket>,
    reviews: BTreeMap<ReviewId, MReview>,
    nominations: BTreeMap<NominationId, MNomination>,
    sessions: BTreeMap<appraise::CalibrationSessionId, MSession>,
}

const MAX_PEERS: usize = 2;

/// The custom roles a sequence defines and grants.
const ROLES: [&str; 2] = ["hrbp", "coordinator"];

impl Model {
    /// Review admins (their grants all reach the cycle: they date from before it).
    fn admin(&self, p: PersonId) -> bool {
        self.admins.contains(&p)
    }

    /// "Admins" of R-WRITE (the cycle's review admins, or a custom role carrying `permission`
    /// with the cycle and `subject` in scope; a cycle-wide action needs the people scope of
    /// everyone), and the cycle's collaborators when `collab`.
    fn may(
        &self,
        p: PersonId,
        permission: Permission,
        subject: Option<PersonId>,
        collab: bool,
    ) -> bool {
        self.admin(p)
            || (collab && self.collaborators.contains(&p))
            || self.role_allows(p, permission, Some(self.cycle_id), subject)
    }

    /// Whether a custom role of `p` carries `permission` for `cycle` (`None`: one not created
    /// yet, which only the all-cycles scope reaches) and `subject` (`None`: the whole cycle,
    /// which only the people scope of everyone reaches).
    fn role_allows(
        &self,
        p: PersonId,
        permission: Permission,
        cycle: Option<CycleId>,
        subject: Option<PersonId>,
    ) -> bool {
        self.role_grants
            .iter()
            .any(|(&(holder, role), (cycles, people))| {
                holder == p
                    && self
                        .roles
                        .get(&role)
                        .is_some_and(|r| r.contains(permission))
                    && cycles.contains(cycle)
                    && match (*people, subject) {
                        (PeopleScope::Everyone, _) => true,
                        (PeopleScope::SubtreeOf(root), Some(s)) => {
                            s == root || self.reports_to(s, root)
                        }
                        (PeopleScope::SubtreeOf(_), None) => false,
                    }
            })
    }

    /// Admins and collaborators as R-WRITE says, for an action on `subject`'s packet.
    fn staff_on(&self, p: PersonId, permission: Permission, subject: PersonId) -> bool {
        self.may(p, permission, Some(subject), true)
    }

    /// Admins and collaborators as R-WRITE says, for an action on the whole cycle.
    fn staff_of_cycle(&self, p: PersonId, permission: Permission) -> bool {
        self.may(p, permission, None, true)
    }

    /// `person`'s manager in the cycle's org.
    fn org_manager(&self, person: PersonId) -> Option<PersonId> {
        match self.org.get(&person) {
            Some(&m) => m,
            None => directory_manager(person),
        }
    }

    /// How many cycle-specific additional managers (not the default one) `subject` has.
    fn cycle_additional_managers(&self, subject: PersonId) -> usize {
        let default = self.packets[&subject].default_additional;
        self.writers(subject, ReviewKind::AdditionalManager)
            .into_iter()
            .filter(|&w| Some(w) != default)
            .count()
    }

    /// The writers of `subject`'s reviews of `kind` that are not cancelled.
    fn writers(&self, subject: PersonId, kind: ReviewKind) -> BTreeSet<PersonId> {
        self.reviews
            .values()
            .filter(|r| r.subject == subject && r.kind == kind && r.state != ReviewState::Cancelled)
            .map(|r| r.author)
            .collect()
    }

    /// Whether `subject`'s packet takes writes: it is not withdrawn.
    fn live(&self, subject: PersonId) -> bool {
        !self.packets[&subject].withdrawn
    }

    /// Whether `actor` may act in the cycle at all: they have not left.
    fn acts(&self, actor: PersonId) -> bool {
        !self.left.contains(&actor)
    }

    /// A participant's manager reviewer.
    fn manager_of(&self, subject: PersonId) -> Option<PersonId> {
        self.packets[&subject].manager
    }

    /// Whether `person` reports, directly or not, to `to` in the cycle's org: the directory's,
    /// with the participants' managers as manager changes left them.
    fn reports_to(&self, person: PersonId, to: PersonId) -> bool {
        std::iter::successors(self.org_manager(person), |&m| self.org_manager(m))
            .take(PEOPLE.len())
            .any(|m| m == to)
    }

    /// Every write but unlock is refused while locked; a closed cycle takes only sharing,
    /// unsharing, acknowledging, the meeting, reopening (closing) and unlocking.
    fn open_for(&self, command: &str) -> bool {
        if self.locked && command != "unlock" {
            return false;
        }
        self.cycle == CycleState::Active
            || matches!(
                command,
                "share" | "unshare" | "acknowledge" | "meeting" | "close" | "reopen" | "unlock"
            )
    }

    fn live_peers(&self, subject: PersonId) -> Vec<PersonId> {
        self.reviews
            .values()
            .filter(|r| {
                r.subject == subject
                    && r.kind == ReviewKind::Peer
                    && r.state != ReviewState::Cancelled
            })
            .map(|r| r.author)
            .collect()
    }

    fn self_submitted(&self, subject: PersonId) -> bool {
        self.reviews.values().any(|r| {
            r.subject == subject
                && r.kind == ReviewKind::SelfReview
                && r.state == ReviewState::Submitted
        })
    }

    fn packet_state(&self, subject: PersonId) -> PacketState {
        self.packets[&subject].state
    }

    fn set_packet(&mut self, subject: PersonId, state: PacketState) {
        if let Some(p) = self.packets.get_mut(&subject) {
            p.state = state;
        }
    }

    /// Whether `actor` contributes to an open session that includes `subject`.
    fn contributes(&self, actor: PersonId, subject: PersonId) -> bool {
        self.sessions.values().any(|s| {
            s.state == appraise::CalibrationState::Open
                && s.participants.contains(&subject)
                && s.contributors.contains(&actor)
        })
    }

    fn open_session_with(&self, subject: PersonId) -> Option<&MSession> {
        self.sessions.values().find(|s| {
            s.state == appraise::CalibrationState::Open && s.participants.contains(&subject)
        })
    }

    /// Where a submitted manager review, or a closed calibration, takes a packet next.
    fn after_writing(&self, calibrating: bool) -> PacketState {
        if calibrating {
            PacketState::Calibrating
        } else if self.approval {
            PacketState::PendingApproval
        } else {
            PacketState::ReadyToShare
        }
    }

    /// Manager and additional manager reviews are gated until the self review is submitted,
    /// and with `after_peers` every peer review not cancelled, unless opened early.
    fn gated(&self, subject: PersonId) -> bool {
        let peers_pending = self.reviews.values().any(|r| {
            r.subject == subject
                && r.kind == ReviewKind::Peer
                && matches!(r.state, ReviewState::Assigned | ReviewState::Draft)
        });
        !self.packets[&subject].gate
            && (!self.self_submitted(subject) || (self.after_peers && peers_pending))
    }

    /// Who approves step `k` of the chain for `subject`: `Some(Some(p))` p, `Some(None)` the
    /// admins, `None` nobody (the step passes on). DOMAIN.md, R-WRITE: a step that would name
    /// the subject passes to the next step up, or to the admins; so does one naming nobody, or
    /// someone who has left (who does nothing in any cycle).
    fn step_approver(&self, subject: PersonId, k: usize) -> Option<Option<PersonId>> {
        let named = match self.chain.get(k)? {
            appraise::ApprovalStep::ManagersManager => {
                self.org_manager(subject).and_then(|m| self.org_manager(m))
            }
            _ => return Some(None),
        };
        match named {
            Some(p) if p != subject && !self.left.contains(&p) => Some(Some(p)),
            _ if k + 1 == self.chain.len() => Some(None),
            _ => None,
        }
    }

    /// The first step from `from` on that names an approver as the org is now: a packet
    /// passes the steps that name nobody when it reaches them, and a step whose approver left
    /// since passes when it comes to wait for them.
    fn step_from(&self, subject: PersonId, from: usize) -> usize {
        (from..self.chain.len())
            .find(|&k| self.step_approver(subject, k).is_some())
            .unwrap_or(from)
    }

    /// The step `subject`'s packet waits for.
    fn current_step(&self, subject: PersonId) -> usize {
        self.step_from(subject, self.steps.get(&subject).copied().unwrap_or(0))
    }

    /// Whether `actor` approves the step `subject`'s packet waits for.
    fn approves(&self, actor: PersonId, subject: PersonId) -> bool {
        match self.step_approver(subject, self.current_step(subject)) {
            Some(Some(p)) => actor == p,
            Some(None) => self.may(actor, Permission::ApproveResults, Some(subject), false),
            None => false,
        }
    }

    /// Whether answers `name` are valid for a review of `kind`, as a draft or to submit: against
    /// the template (its questions, their kinds and limits, and on submitting the required
    /// ones) when the kind has one, else only the ratings on the scale.
    fn answers_valid(&self, kind: ReviewKind, name: &str, submitting: bool) -> bool {
        if !self.templated.contains(&kind) {
            return name != "off_scale";
        }
        match name {
            "full" => true,
            "partial" | "empty" => !submitting,
            _ => false,
        }
    }

    /// Whether a review of `kind` may be written at `now`: inside its window, if it has one
    /// (past the due date only when late writes are accepted).
    fn window_open(&self, kind: ReviewKind, now: chrono::DateTime<Utc>) -> bool {
        self.windows
            .get(&kind)
            .is_none_or(|&(opens, due)| now >= opens && (now <= due || self.late))
    }

    /// Whether settings `to` keep the promises made to the writers of submitted feedback.
    fn keeps_promises(&self, to: &Model) -> bool {
        [ReviewKind::Peer, ReviewKind::Upward]
            .into_iter()
            .enumerate()
            .all(|(i, kind)| {
                let ((anonymous, shared), (now_anonymous, now_shared)) =
                    (self.privacy[i], to.privacy[i]);
                !self.promised.contains(&kind)
                    || ((!anonymous || now_anonymous)
                        && (shared || !now_shared)
                        && to.anonymity_threshold >= self.anonymity_threshold)
            })
    }
}

/// The engine's observable state, in the model's terms.
async fn observe(storage: &dyn Storage, cycle: appraise::CycleId) -> Model {
    use appraise::plugin::StorageExt;
    let c = storage.cycle(cycle).await.unwrap().record;
    let mut packets = BTreeMap::new();
    let mut reviews = BTreeMap::new();
    let mut nominations = BTreeMap::new();
    for p in storage.packets(cycle, None, 100).await.unwrap() {
        let p = p.record;
        packets.insert(
            p.subject(),
            MPacket {
                state: p.state(),
                manager: p.manager(),
                viewers: p.viewers().iter().copied().collect(),
                sharers: p.sharers().iter().copied().collect(),
                gate: p.gate_opened(),
                calibrated: p.calibrated().map(appraise::score::Score::hundredths),
                withdrawn: p.is_withdrawn(),
                default_additional: p.default_additional_manager(),
            },
        );
        for r in storage.reviews_about(cycle, p.subject()).await.unwrap() {
            let r = r.record;
            reviews.insert(
                r.id(),
                MReview {
                    subject: r.subject(),
                    kind: r.kind(),
                    author: r.author(),
                    state: r.state(),
                    removed: r.is_removed(),
                    answers: answers_name(r.answers(), r.kind()),
                },
            );
        }
        for n in storage.nominations(p.id()).await.unwrap() {
            let n = n.record;
            nominations.insert(
                n.id(),
                MNomination {
                    subject: n.subject(),
                    nominee: n.nominee(),
                    state: n.state(),
                },
            );
        }
    }
    let settings = c.settings();
    let org = storage.org(cycle).await.unwrap().record;
    let grants = storage.grants().await.unwrap().1;
    let sessions = storage
        .calibrations(cycle)
        .await
        .unwrap()
        .into_iter()
        .map(|s| {
            let s = s.record;
            (
                s.id(),
                MSession {
                    state: s.state(),
                    participants: s.participants().clone(),
                    contributors: s.contributors().clone(),
                },
            )
        })
        .collect();
    Model {
        approval: settings.approval_required,
        calibration: settings.calibration,
        sessions,
        self_nomination: settings.self_nomination,
        nomination_approval: settings.nomination_approval,
        after_peers: settings.gating.after_peers,
        templates: {
            let mut stored = BTreeMap::new();
            for key in TEMPLATES {
                if let Ok(t) = storage.template(appraise::TemplateId::from_key(key)).await {
                    stored.insert(key, template_name(&t.record));
                }
            }
            stored
        },
        templated: c.config().templates.iter().map(|&(k, _)| k).collect(),
        chain: settings.approval_chain.clone(),
        steps: BTreeMap::new(),
        approve_at: settings
            .nomination_deadline
            .filter(|_| settings.auto_approve_nominations),
        windows: ReviewKind::ALL
            .into_iter()
            .filter_map(|k| settings.windows.of(k).map(|w| (k, (w.opens, w.due))))
            .collect(),
        late: settings.late_submissions,
        managers_remove: settings.managers_may_remove_feedback,
        privacy: [
            (settings.anonymous_peer, settings.share_peer_with_subject),
            (
                settings.anonymous_upward,
                settings.share_upward_with_subject,
            ),
        ],
        anonymity_threshold: settings.anonymity_threshold,
        promised: [ReviewKind::Peer, ReviewKind::Upward]
            .into_iter()
            .filter(|&k| c.has_submitted(k))
            .collect(),
        cycle: c.state(),
        locked: c.is_locked(),
        admins: grants.admins().map(|(admin, _)| admin).collect(),
        global_viewers: PEOPLE
            .iter()
            .flat_map(|v| PEOPLE.iter().map(move |s| (id(v), id(s))))
            .filter(|&(v, s)| grants.is_global_viewer(v, s))
            .collect(),
        collaborators: c.collaborators().clone(),
        org: packets.keys().map(|&p| (p, org.manager_of(p))).collect(),
        left: PEOPLE
            .iter()
            .map(|n| id(n))
            .filter(|&p| org.has_left(p))
            .collect(),
        past_viewers: PEOPLE
            .iter()
            .flat_map(|v| PEOPLE.iter().map(move |s| (id(v), id(s))))
            .filter(|&(v, s)| grants.sees_past_reviews(v, s))
            .collect(),
        cycle_id: cycle,
        second: storage
            .cycles(None, 10)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.record.id() != cycle)
            .map(|c| {
                let c = c.record;
                (c.id(), c.state(), !c.participants().is_empty())
            }),
        roles: ROLES
            .iter()
            .filter_map(|r| grants.role(CustomRoleId::from_key(r)))
            .map(|r| (r.id, r.permissions))
            .collect(),
        role_grants: PEOPLE
            .iter()
            .flat_map(|p| {
                grants
                    .roles_of(id(p))
                    .iter()
                    .map(|g| ((id(p), g.role), (g.cycles.clone(), g.people)))
            })
            .collect(),
        packets,
        reviews,
        nominations,
    }
}

/// A calibration session's members: ann and cy, each with `chance` percent, and seldom eve
/// (who takes no part); `other` and someone at random contributing.
fn members(
    rng: &mut Rng,
    other: PersonId,
    chance: u64,
) -> (BTreeSet<PersonId>, BTreeSet<PersonId>) {
    let participants = [("ann", chance), ("cy", chance), ("eve", 10)]
        .into_iter()
        .filter(|(_, p)| rng.chance(*p))
        .map(|(n, _)| id(n))
        .collect();
    let contributors = [other, id(PEOPLE[rng.below(PEOPLE.len())])].into();
    (participants, contributors)
}

/// How often each command was accepted and refused: `[refused, accepted]`.
type Seen = BTreeMap<&'static str, [usize; 2]>;

/// One sequence on `storage`: the random commands of `steps`, each checked against the model.
/// Each step draws from a generator of its own (of the seed and the step's number), so a
/// sequence with steps left out runs the others as they were drawn: that is how a failure
/// shrinks.
async fn sequence(
    storage: Arc<dyn Storage>,
    seed: u64,
    steps: &[usize],
    draw: Draw,
    seen: &mut Seen,
) {
    let t0 = Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap();
    let clock = ManualClock::new(t0);
    let mut now = t0;
    let engine = Engine::builder()
        .storage(Arc::clone(&storage))
        .notifier(RecordingNotifier::new())
        .directory(directory())
        .clock(clock.clone())
        .build();
    let kim = id("kim");
    engine
        .bootstrap_admin(
            kim,
            AdminGrant {
                since: t0 - Duration::days(1),
                past_cycles: false,
            },
        )
        .await
        .unwrap();
    let mut rng = Rng::new(seed);
    let mut settings = CycleSettings {
        max_peers: MAX_PEERS as u8,
        nomination_approval: rng.chance(70),
        self_nomination: rng.chance(70),
        approval_required: rng.chance(50),
        calibration: rng.chance(50),
        approval_chain: vec![appraise::ApprovalStep::Admins],
        ..CycleSettings::default()
    };
    if let Draw::Every = draw {
        // Settings the first 42 commands kept at their defaults.
        let mut more = Rng::new(seed ^ 0x00C0_FFEE_D00D);
        settings.gating.after_peers = more.chance(30);
        settings.managers_may_remove_feedback = more.chance(30);
        settings.share_peer_with_subject = more.chance(30);
        settings.anonymity_threshold = more.pick(&[1, 2, 3]);
        // Time: pending nominations approved at a deadline, writing windows, late writes.
        settings.auto_approve_nominations = more.chance(50);
        if more.chance(60) {
            settings.nomination_deadline = Some(t0 + Duration::days(more.pick(&[1, 2, 4])));
        }
        for kind in [
            ReviewKind::SelfReview,
            ReviewKind::Manager,
            ReviewKind::Peer,
        ] {
            if more.chance(40) {
                let opens = t0 + Duration::days(more.pick(&[0, 1, 2]));
                let due = opens + Duration::days(more.pick(&[1, 3, 5]));
                settings.windows.by_kind[kind.index()] = Some(appraise::Window { opens, due });
            }
        }
        settings.late_submissions = more.chance(30);
        // The manager's manager approves first, or alone (the admins when there is none).
        use appraise::ApprovalStep::{Admins, ManagersManager};
        settings.approval_chain = match more.below(3) {
            0 => vec![Admins],
            1 => vec![ManagersManager, Admins],
            _ => vec![ManagersManager],
        };
    }
    let mut config = CycleConfig::new("model", period()).with_settings(settings);
    if let Draw::Every = draw
        && Rng::new(seed ^ 0x7E47_17E5).chance(50)
    {
        // Self and peer reviews answer a template; the other kinds have none.
        let form = engine.create_template(kim, template()).await.unwrap();
        config.templates = vec![
            (ReviewKind::SelfReview, form.id),
            (ReviewKind::Peer, form.id),
        ];
        // No manager template, so no consolidated-rating question: the self rating decides.
        use appraise::score::{ConsolidatedRule, ScoreInput, WeightedInput};
        config.settings.consolidated = ConsolidatedRule::Formula(vec![WeightedInput {
            input: ScoreInput::Kind(ReviewKind::SelfReview),
            weight: 100,
        }]);
    }
    let cycle = engine.create_cycle(kim, config).await.unwrap().id();
    engine
        .add_participants(kim, cycle, [id("ann"), id("cy")])
        .await
        .unwrap();
    engine
        .add_collaborator(kim, cycle, id("lee"))
        .await
        .unwrap();
    engine.launch(kim, cycle).await.unwrap();

    let mut model = observe(&*storage, cycle).await;
    // The launch as DOMAIN.md says: a packet nominating per participant, a self and a manager
    // review each, assigned.
    assert_eq!(model.packets.len(), 2);
    assert!(
        model
            .packets
            .values()
            .all(|p| p.state == PacketState::Nominating
                && p.viewers.is_empty()
                && !p.gate
                && p.calibrated.is_none())
    );
    assert_eq!(model.reviews.len(), 4);
    // Records in the order they were made, so that a seed picks the same ones in every run
    // (their ids are random).
    let mut review_order: Vec<ReviewId> = model.reviews.keys().copied().collect();
    review_order.sort_by_key(|r| {
        let r = &model.reviews[r];
        (name(r.subject), r.kind.index())
    });
    let mut nomination_order: Vec<NominationId> = Vec::new();
    let mut session_order: Vec<appraise::CalibrationSessionId> = Vec::new();
    let mut packet_ids: BTreeMap<PersonId, PacketId> = storage
        .packets(cycle, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.record.subject(), p.record.id()))
        .collect();

    for &step in steps {
        let mut rng = Rng::new(seed ^ (step as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // The draws of the commands added since `Draw::First`: a generator of their own, so
        // that the first commands draw as they did.
        let mut ext = Rng::new(seed ^ (step as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let actor = id(PEOPLE[rng.below(PEOPLE.len())]);
        let subject = if rng.chance(50) { id("ann") } else { id("cy") };
        // Sometimes a participant added after launch.
        let added: Vec<PersonId> = packet_ids
            .keys()
            .copied()
            .filter(|p| ![id("ann"), id("cy")].contains(p))
            .collect();
        let subject = if !added.is_empty() && ext.chance(35) {
            added[ext.below(added.len())]
        } else {
            subject
        };
        let packet = packet_ids[&subject];
        // Who acts for the admins: mostly kim, sometimes someone holding a custom role.
        let holders: Vec<PersonId> = model.role_grants.keys().map(|&(p, _)| p).collect();
        let staffer = if !holders.is_empty() && ext.chance(40) {
            holders[ext.below(holders.len())]
        } else {
            kim
        };
        let other = id(PEOPLE[rng.below(PEOPLE.len())]);
        // Often the actor the command needs, so that later states are reached.
        let likely = |rng: &mut Rng, who: PersonId| if rng.chance(60) { who } else { actor };
        let review = review_order[rng.below(review_order.len())];
        let nomination_ids = &nomination_order;
        let nomination =
            (!nomination_ids.is_empty()).then(|| nomination_ids[rng.below(nomination_ids.len())]);
        let mut expected = model.clone();
        // Often a step along the happy path, so that the later states are reached too; the
        // packet's next step when it waits for approval or its results are ready or shared,
        // so that approving, sending back, sharing, unsharing and acknowledging are all
        // reached.
        let command = match model.packet_state(subject) {
            PacketState::PendingApproval if rng.chance(30) => Some(rng.pick(&[21, 22])),
            PacketState::ReadyToShare if rng.chance(20) => Some(9),
            PacketState::Shared if rng.chance(30) => Some(rng.pick(&[10, 11])),
            _ => None,
        };
        let along = command.is_some();
        let command = if let Some(next) = command {
            next
        } else if rng.chance(40) {
            rng.pick(&[
                4, 6, 7, 7, 9, 9, 10, 11, 12, 1, 21, 21, 25, 26, 26, 27, 27, 27,
            ])
        } else {
            rng.below(36)
        };
        // With every command drawn: more steps along the happy path (closing nominations,
        // writing the subject's self and manager reviews, calibrating), so that the later
        // states stay as frequent with more participants and commands; and the commands added
        // since `Draw::First` in a fifth of the other steps.
        let writing = review_order.iter().copied().find(|id| {
            let r = &model.reviews[id];
            r.subject == subject
                && matches!(r.kind, ReviewKind::SelfReview | ReviewKind::Manager)
                && matches!(r.state, ReviewState::Assigned | ReviewState::Draft)
        });
        let (command, review) = match (draw, model.packet_state(subject)) {
            (Draw::Every, PacketState::Nominating) if !along && ext.chance(6) => (4, review),
            (Draw::Every, PacketState::Writing) if !along && ext.chance(25) => {
                writing.map_or((command, review), |r| (7, r))
            }
            (Draw::Every, PacketState::Calibrating) if !along && ext.chance(25) => {
                (ext.pick(&[25, 26, 27, 27]), review)
            }
            (Draw::Every, _) if !along && ext.chance(20) => (36 + ext.below(11), review),
            _ => (command, review),
        };
        let (name, accepted, ok): (&str, bool, bool) = match command {
            0 => {
                let actor = likely(&mut rng, subject);
                let live: Vec<&MNomination> = model
                    .nominations
                    .values()
                    .filter(|n| {
                        n.subject == subject
                            && matches!(
                                n.state,
                                NominationState::Pending | NominationState::Approved
                            )
                    })
                    .collect();
                let peers = model.live_peers(subject);
                let mut ok = model.open_for("nominate")
                    && ((actor == subject && model.self_nomination)
                        || (actor != subject
                            && (Some(actor) == model.manager_of(subject)
                                || model.staff_on(actor, Permission::NominatePeers, subject))))
                    && model.packet_state(subject) == PacketState::Nominating
                    && other != id("nobody")
                    && !model.left.contains(&other)
                    && other != subject
                    && !live.iter().any(|n| n.nominee == other)
                    && live.len() < MAX_PEERS;
                if !model.nomination_approval {
                    // Approved at once: the peer gets a review.
                    ok = ok && peers.len() < MAX_PEERS && !peers.contains(&other);
                }
                let got = engine.nominate(actor, packet, other).await;
                if let Ok(n) = &got {
                    expected.nominations.insert(
                        n.id(),
                        MNomination {
                            subject,
                            nominee: other,
                            state: if model.nomination_approval {
                                NominationState::Pending
                            } else {
                                NominationState::Approved
                            },
                        },
                    );
                    if !model.nomination_approval {
                        let now = observe(&*storage, cycle).await;
                        for rid in now.reviews.keys() {
                            if !model.reviews.contains_key(rid) {
                                expected.reviews.insert(
                                    *rid,
                                    MReview {
                                        subject,
                                        kind: ReviewKind::Peer,
                                        author: other,
                                        state: ReviewState::Assigned,
                                        removed: false,
                                        answers: "empty",
                                    },
                                );
                            }
                        }
                    }
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                ("nominate", got.is_ok(), ok)
            }
            1 | 2 => {
                let Some(nid) = nomination else { continue };
                let n = model.nominations[&nid].clone();
                let actor = likely(&mut rng, model.manager_of(n.subject).unwrap_or(kim));
                let approve = command == 1;
                let mut ok = model.open_for("decide")
                    && model.nomination_approval
                    && actor != n.subject
                    && (Some(actor) == model.manager_of(n.subject)
                        || model.staff_on(actor, Permission::DecideNominations, n.subject))
                    && n.state == NominationState::Pending;
                if approve {
                    let peers = model.live_peers(n.subject);
                    ok = ok
                        && peers.len() < MAX_PEERS
                        && !peers.contains(&n.nominee)
                        && !model.left.contains(&n.nominee);
                }
                let got = if approve {
                    engine.approve_nomination(actor, nid, None).await.map(drop)
                } else {
                    engine.deny_nomination(actor, nid, None).await.map(drop)
                };
                if got.is_ok() {
                    let to = if approve {
                        NominationState::Approved
                    } else {
                        NominationState::Denied
                    };
                    if let Some(e) = expected.nominations.get_mut(&nid) {
                        e.state = to;
                    }
                    if approve {
                        // The new peer review: its id is the engine's; its content the model's.
                        let now = observe(&*storage, cycle).await;
                        for (rid, r) in now.reviews {
                            if !model.reviews.contains_key(&rid) {
                                expected.reviews.insert(
                                    rid,
                                    MReview {
                                        subject: n.subject,
                                        kind: ReviewKind::Peer,
                                        author: n.nominee,
                                        state: ReviewState::Assigned,
                                        removed: false,
                                        answers: "empty",
                                    },
                                );
                                assert_eq!(r.author, n.nominee, "seed {seed} step {step}");
                            }
                        }
                    }
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(n.subject) && model.acts(actor);
                (if approve { "approve" } else { "deny" }, got.is_ok(), ok)
            }
            3 => {
                let Some(nid) = nomination else { continue };
                let n = model.nominations[&nid].clone();
                let actor = likely(&mut rng, n.nominee);
                let peer_review = model
                    .reviews
                    .iter()
                    .find(|(_, r)| {
                        r.subject == n.subject
                            && r.kind == ReviewKind::Peer
                            && r.author == n.nominee
                            && r.state != ReviewState::Cancelled
                    })
                    .map(|(id, r)| (*id, r.state));
                let ok = model.open_for("decline")
                    && actor == n.nominee
                    && match n.state {
                        NominationState::Pending => true,
                        NominationState::Approved => {
                            !matches!(peer_review, Some((_, ReviewState::Submitted)))
                        }
                        _ => false,
                    };
                let got = engine.decline_nomination(actor, nid, None).await;
                if got.is_ok() {
                    if let Some(e) = expected.nominations.get_mut(&nid) {
                        e.state = NominationState::Declined;
                    }
                    if n.state == NominationState::Approved
                        && let Some((rid, _)) = peer_review
                        && let Some(r) = expected.reviews.get_mut(&rid)
                    {
                        r.state = ReviewState::Cancelled;
                    }
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(n.subject) && model.acts(actor);
                ("decline", got.is_ok(), ok)
            }
            4 => {
                let actor = likely(&mut rng, staffer);
                let ok = model.open_for("close_nominations")
                    && model.staff_on(actor, Permission::EditCycles, subject)
                    && actor != subject
                    && model.packet_state(subject) == PacketState::Nominating;
                let got = engine.close_nominations(actor, packet).await;
                if got.is_ok() {
                    expected.set_packet(subject, PacketState::Writing);
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                ("close_nominations", got.is_ok(), ok)
            }
            5..=7 => {
                let r = model.reviews[&review].clone();
                let actor = likely(&mut rng, r.author);
                let submit = command != 5;
                let gated = r.kind.is_managerial() && model.gated(r.subject);
                let mut ok = model.open_for("write")
                    && actor == r.author
                    && !gated
                    && model.window_open(r.kind, now)
                    && matches!(r.state, ReviewState::Assigned | ReviewState::Draft);
                if submit && r.kind == ReviewKind::Manager {
                    ok = ok && model.packet_state(r.subject) == PacketState::Writing;
                }
                // The answers: none at first; with every command drawn, mostly every question
                // answered, sometimes some, or wrong ones; a submit without answers submits
                // the draft's.
                let given = match draw {
                    Draw::First => (!submit).then_some("empty"),
                    Draw::Every if submit && ext.chance(40) => None,
                    Draw::Every if ext.chance(50) => Some("full"),
                    Draw::Every => Some(ext.pick(&ANSWERS)),
                };
                let written = given.unwrap_or(r.answers);
                let ok = ok && model.answers_valid(r.kind, written, submit);
                let got = if submit {
                    let final_answers = given.map(|n| answers(n, r.kind));
                    engine
                        .submit_review(actor, review, final_answers)
                        .await
                        .map(drop)
                } else {
                    engine
                        .save_draft(actor, review, answers(written, r.kind))
                        .await
                        .map(drop)
                };
                if got.is_ok() {
                    if let Some(e) = expected.reviews.get_mut(&review) {
                        e.state = if submit {
                            ReviewState::Submitted
                        } else {
                            ReviewState::Draft
                        };
                        e.answers = written;
                    }
                    if submit && r.kind.is_feedback() {
                        expected.promised.insert(r.kind);
                    }
                    if submit && r.kind == ReviewKind::Manager {
                        // To calibration, to the approval chain, or ready to share.
                        let next = model.after_writing(model.calibration);
                        expected.set_packet(r.subject, next);
                        if next == PacketState::PendingApproval {
                            expected
                                .steps
                                .insert(r.subject, model.step_from(r.subject, 0));
                        }
                    }
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(r.subject) && model.acts(actor);
                (
                    if submit { "submit" } else { "save_draft" },
                    got.is_ok(),
                    ok,
                )
            }
            8 => {
                let r = model.reviews[&review].clone();
                let actor = likely(&mut rng, staffer);
                let mut ok = model.open_for("reopen_review")
                    && model.staff_on(actor, Permission::ReopenReviews, r.subject)
                    && actor != r.subject
                    && r.state == ReviewState::Submitted;
                if r.kind == ReviewKind::Manager {
                    ok = ok
                        && matches!(
                            model.packet_state(r.subject),
                            PacketState::ManagerSubmitted | PacketState::ReadyToShare
                        );
                }
                let got = engine.reopen_review(actor, review).await;
                if got.is_ok() {
                    if let Some(e) = expected.reviews.get_mut(&review) {
                        e.state = ReviewState::Draft;
                    }
                    if r.kind == ReviewKind::Manager {
                        expected.set_packet(r.subject, PacketState::Writing);
                    }
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(r.subject) && model.acts(actor);
                ("reopen_review", got.is_ok(), ok)
            }
            9 => {
                let actor = likely(&mut rng, model.manager_of(subject).unwrap_or(kim));
                let ok = model.open_for("share")
                    && actor != subject
                    && (Some(actor) == model.manager_of(subject)
                        || model.staff_on(actor, Permission::ShareResults, subject)
                        || model.packets[&subject].sharers.contains(&actor))
                    && model.packet_state(subject) == PacketState::ReadyToShare;
                let got = engine.share(actor, packet).await;
                if got.is_ok() {
                    expected.set_packet(subject, PacketState::Shared);
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                ("share", got.is_ok(), ok)
            }
            10 => {
                let actor = likely(&mut rng, staffer);
                let ok = model.open_for("unshare")
                    && actor != subject
                    && model.may(actor, Permission::UnshareResults, Some(subject), false)
                    && model.packet_state(subject) == PacketState::Shared;
                let got = engine.unshare(actor, packet).await;
                if got.is_ok() {
                    expected.set_packet(subject, PacketState::ReadyToShare);
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                ("unshare", got.is_ok(), ok)
            }
            11 => {
                let actor = likely(&mut rng, subject);
                let ok = model.open_for("acknowledge")
                    && actor == subject
                    && model.packet_state(subject) == PacketState::Shared;
                let got = engine.acknowledge(actor, packet, None).await;
                if got.is_ok() {
                    expected.set_packet(subject, PacketState::Acknowledged);
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                ("acknowledge", got.is_ok(), ok)
            }
            12 => {
                let actor = likely(&mut rng, model.manager_of(subject).unwrap_or(kim));
                let ok = model.open_for("meeting")
                    && Some(actor) == model.manager_of(subject)
                    && matches!(
                        model.packet_state(subject),
                        PacketState::Shared | PacketState::Acknowledged
                    );
                let got = engine.record_meeting(actor, packet).await;
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                ("record_meeting", got.is_ok(), ok)
            }
            13 => {
                let actor = likely(&mut rng, staffer);
                let lock = rng.chance(50);
                let ok = model.staff_of_cycle(actor, Permission::LockCycles)
                    && if lock {
                        model.open_for("lock") && !model.locked
                    } else {
                        model.open_for("unlock") && model.locked
                    };
                let got = if lock {
                    engine.lock(actor, cycle).await
                } else {
                    engine.unlock(actor, cycle).await
                };
                if got.is_ok() {
                    expected.locked = lock;
                }
                // Nobody who has left acts in the cycle.
                let ok = ok && model.acts(actor);
                (if lock { "lock" } else { "unlock" }, got.is_ok(), ok)
            }
            14 => {
                let actor = likely(&mut rng, staffer);
                let close = rng.chance(40);
                let ok = model.staff_of_cycle(actor, Permission::EditCycles)
                    && if close {
                        model.open_for("close") && model.cycle == CycleState::Active
                    } else {
                        model.open_for("reopen") && model.cycle == CycleState::Closed
                    };
                let got = if close {
                    engine.close(actor, cycle).await
                } else {
                    engine.reopen(actor, cycle).await
                };
                if got.is_ok() {
                    expected.cycle = if close {
                        CycleState::Closed
                    } else {
                        CycleState::Active
                    };
                }
                // Nobody who has left acts in the cycle.
                let ok = ok && model.acts(actor);
                (if close { "close" } else { "reopen" }, got.is_ok(), ok)
            }
            15 => {
                let actor = likely(&mut rng, staffer);
                let viewers = &model.packets[&subject].viewers;
                let ok = model.open_for("add_viewer")
                    && model.staff_on(actor, Permission::EditCycles, subject)
                    && actor != subject
                    && other != id("nobody")
                    && !model.left.contains(&other)
                    && other != subject
                    && !viewers.contains(&other);
                let got = engine.add_viewer(actor, packet, other).await;
                if got.is_ok()
                    && let Some(p) = expected.packets.get_mut(&subject)
                {
                    p.viewers.insert(other);
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                ("add_viewer", got.is_ok(), ok)
            }
            17 | 18 => {
                // Sharing users (17) and viewers (18) added or removed.
                let actor = likely(&mut rng, staffer);
                let sharers = command == 17;
                let add = sharers && rng.chance(50);
                let current = &model.packets[&subject];
                // Removing: mostly someone who holds the role.
                let holders = if sharers {
                    &current.sharers
                } else {
                    &current.viewers
                };
                let other = match holders.iter().next() {
                    Some(h) if !add && rng.chance(70) => *h,
                    _ => other,
                };
                let held = if sharers {
                    current.sharers.contains(&other)
                } else {
                    current.viewers.contains(&other)
                };
                let ok = model.open_for("assignments")
                    && model.staff_on(actor, Permission::EditCycles, subject)
                    && actor != subject
                    && if add {
                        other != id("nobody")
                            && !model.left.contains(&other)
                            && other != subject
                            && !held
                    } else {
                        held
                    };
                let got = match (sharers, add) {
                    (true, true) => engine.add_sharer(actor, packet, other).await.map(drop),
                    (true, false) => engine.remove_sharer(actor, packet, other).await.map(drop),
                    _ => engine.remove_viewer(actor, packet, other).await.map(drop),
                };
                if got.is_ok()
                    && let Some(p) = expected.packets.get_mut(&subject)
                {
                    let list = if sharers {
                        &mut p.sharers
                    } else {
                        &mut p.viewers
                    };
                    if add {
                        list.insert(other);
                    } else {
                        list.remove(&other);
                    }
                }
                let name = match (sharers, add) {
                    (true, true) => "add_sharer",
                    (true, false) => "remove_sharer",
                    _ => "remove_viewer",
                };
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                (name, got.is_ok(), ok)
            }
            19 => {
                let actor = likely(&mut rng, staffer);
                let ok = model.open_for("open_gate")
                    && model.staff_on(actor, Permission::EditCycles, subject)
                    && actor != subject
                    && !model.packets[&subject].gate;
                let got = engine.open_manager_review(actor, packet).await;
                if got.is_ok()
                    && let Some(p) = expected.packets.get_mut(&subject)
                {
                    p.gate = true;
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                ("open_manager_review", got.is_ok(), ok)
            }
            23 => {
                // A peer assigned by hand, within the maximum.
                let actor = likely(&mut rng, staffer);
                let peers = model.live_peers(subject);
                let ok = model.open_for("assign")
                    && model.staff_on(actor, Permission::EditCycles, subject)
                    && actor != subject
                    && other != id("nobody")
                    && !model.left.contains(&other)
                    && other != subject
                    && peers.len() < MAX_PEERS
                    && !peers.contains(&other);
                let got = engine
                    .assign_reviewer(actor, packet, ReviewKind::Peer, other)
                    .await;
                if let Ok(view) = &got {
                    expected.reviews.insert(
                        view.id,
                        MReview {
                            subject,
                            kind: ReviewKind::Peer,
                            author: other,
                            state: ReviewState::Assigned,
                            removed: false,
                            answers: "empty",
                        },
                    );
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                ("assign_peer", got.is_ok(), ok)
            }
            24 => {
                // A peer, additional manager or upward reviewer removed: their unsubmitted
                // review is cancelled; self and manager reviews go with the participant and
                // their manager, never by hand.
                let r = model.reviews[&review].clone();
                let actor = likely(&mut rng, staffer);
                let ok = model.open_for("remove_reviewer")
                    && model.staff_on(actor, Permission::EditCycles, r.subject)
                    && actor != r.subject
                    && matches!(
                        r.kind,
                        ReviewKind::Peer | ReviewKind::AdditionalManager | ReviewKind::Upward
                    )
                    && matches!(r.state, ReviewState::Assigned | ReviewState::Draft);
                let got = engine.remove_reviewer(actor, review).await;
                if got.is_ok()
                    && let Some(e) = expected.reviews.get_mut(&review)
                {
                    e.state = ReviewState::Cancelled;
                }
                if got.is_ok()
                    && let Some(p) = expected.packets.get_mut(&r.subject)
                    && r.kind == ReviewKind::AdditionalManager
                    && p.default_additional == Some(r.author)
                {
                    p.default_additional = None;
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(r.subject) && model.acts(actor);
                ("remove_reviewer", got.is_ok(), ok)
            }
            25 => {
                // A calibration session: participants of the cycle, contributors in its org.
                let actor = likely(&mut rng, staffer);
                let (participants, contributors) = members(&mut rng, other, 80);
                let ok = model.open_for("calibration")
                    && model.staff_of_cycle(actor, Permission::ManageCalibration)
                    && model.calibration
                    && participants.iter().all(|p| model.packets.contains_key(p))
                    && !contributors.contains(&id("nobody"))
                    && contributors.is_disjoint(&model.left);
                let got = engine
                    .create_calibration(
                        actor,
                        cycle,
                        "session",
                        participants.iter().copied(),
                        contributors.iter().copied(),
                    )
                    .await;
                if let Ok(session) = &got {
                    expected.sessions.insert(
                        session.id(),
                        MSession {
                            state: appraise::CalibrationState::Draft,
                            participants,
                            contributors,
                        },
                    );
                }
                // Nobody who has left acts in the cycle.
                let ok = ok && model.acts(actor);
                ("create_calibration", got.is_ok(), ok)
            }
            26 => {
                // Opening, or closing: a closed session's participants waiting in calibration
                // move on.
                let ids = &session_order;
                if ids.is_empty() {
                    continue;
                }
                let sid = ids[rng.below(ids.len())];
                let session = model.sessions[&sid].clone();
                let actor = likely(&mut rng, staffer);
                let open = session.state == appraise::CalibrationState::Draft
                    || (session.state == appraise::CalibrationState::Open && rng.chance(20));
                let to = if open {
                    appraise::CalibrationState::Open
                } else {
                    appraise::CalibrationState::Closed
                };
                let from_ok = if open {
                    session.state == appraise::CalibrationState::Draft
                } else {
                    session.state == appraise::CalibrationState::Open
                };
                let ok = model.open_for("calibration")
                    && model.staff_of_cycle(actor, Permission::ManageCalibration)
                    && from_ok;
                let got = if open {
                    engine.open_calibration(actor, sid).await.map(drop)
                } else {
                    engine.close_calibration(actor, sid).await.map(drop)
                };
                if got.is_ok() {
                    if let Some(s) = expected.sessions.get_mut(&sid) {
                        s.state = to;
                    }
                    if !open {
                        let next = model.after_writing(false);
                        for p in &session.participants {
                            if let Some(packet) = expected.packets.get_mut(p)
                                && packet.state == PacketState::Calibrating
                                && !packet.withdrawn
                            {
                                packet.state = next;
                                if next == PacketState::PendingApproval {
                                    expected.steps.insert(*p, model.step_from(*p, 0));
                                }
                            }
                        }
                    }
                }
                // Nobody who has left acts in the cycle.
                let ok = ok && model.acts(actor);
                (
                    if open {
                        "open_calibration"
                    } else {
                        "close_calibration"
                    },
                    got.is_ok(),
                    ok,
                )
            }
            27 => {
                // A calibrated rating: only inside an open session including the participant,
                // once the manager review is submitted and before sharing, on the scale.
                let hundredths = rng.pick(&[50, 100, 250, 420, 500, 510]);
                let contributor = model
                    .open_session_with(subject)
                    .and_then(|s| s.contributors.iter().next().copied());
                let actor = match contributor {
                    Some(c) if rng.chance(40) => c,
                    _ => likely(&mut rng, staffer),
                };
                let ok = model.open_for("calibrate")
                    && actor != subject
                    && (model.staff_on(actor, Permission::ChangeCalibratedRatings, subject)
                        || model.contributes(actor, subject))
                    && model.open_session_with(subject).is_some()
                    && (100..=500).contains(&hundredths)
                    && matches!(
                        model.packet_state(subject),
                        PacketState::ManagerSubmitted
                            | PacketState::Calibrating
                            | PacketState::PendingApproval
                            | PacketState::ReadyToShare
                    );
                let got = engine
                    .set_calibrated_rating(
                        actor,
                        packet,
                        appraise::score::Score::from_hundredths(hundredths),
                    )
                    .await;
                if got.is_ok()
                    && let Some(p) = expected.packets.get_mut(&subject)
                {
                    p.calibrated = Some(hundredths);
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                ("set_calibrated_rating", got.is_ok(), ok)
            }
            21 | 22 => {
                // The approval chain's current step (R-WRITE-12): its person, or the cycle's
                // admins (not collaborators). Approving the last step makes the results ready
                // to share; sending back returns the packet to writing.
                let current = model.current_step(subject);
                let actor = match model.step_approver(subject, current) {
                    Some(Some(p)) if rng.chance(50) => p,
                    _ => likely(&mut rng, staffer),
                };
                let approve = command == 21;
                let ok = model.open_for("approve")
                    && model.approves(actor, subject)
                    && actor != subject
                    && model.packet_state(subject) == PacketState::PendingApproval;
                let got = if approve {
                    engine.approve(actor, packet).await.map(drop)
                } else {
                    engine.send_back(actor, packet, "again").await.map(drop)
                };
                if got.is_ok() {
                    if approve && current + 1 < model.chain.len() {
                        let next = model.step_from(subject, current + 1);
                        expected.steps.insert(subject, next);
                    } else if approve {
                        expected.steps.remove(&subject);
                        expected.set_packet(subject, PacketState::ReadyToShare);
                    } else {
                        expected.steps.remove(&subject);
                        expected.set_packet(subject, PacketState::Writing);
                        for r in expected.reviews.values_mut() {
                            if r.subject == subject
                                && r.kind == ReviewKind::Manager
                                && r.state == ReviewState::Submitted
                            {
                                r.state = ReviewState::Draft;
                            }
                        }
                    }
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                (
                    if approve {
                        "approve_packet"
                    } else {
                        "send_back"
                    },
                    got.is_ok(),
                    ok,
                )
            }
            20 => {
                // Feedback removal: peer reviews, submitted, by admins and collaborators (the
                // manager may not: the setting is off).
                // Mostly a submitted peer review, the kind that can be removed.
                let review = review_order
                    .iter()
                    .find(|id| {
                        let r = &model.reviews[*id];
                        r.kind == ReviewKind::Peer && r.state == ReviewState::Submitted
                    })
                    .copied()
                    .filter(|_| rng.chance(70))
                    .unwrap_or(review);
                let r = model.reviews[&review].clone();
                let actor = likely(&mut rng, staffer);
                let ok = model.open_for("remove_feedback")
                    && (model.staff_on(actor, Permission::RemoveFeedback, r.subject)
                        || (model.managers_remove && Some(actor) == model.manager_of(r.subject)))
                    && actor != r.subject
                    && r.kind.is_feedback()
                    && r.state == ReviewState::Submitted
                    && !r.removed;
                let got = engine.remove_feedback(actor, review).await;
                if got.is_ok()
                    && let Some(e) = expected.reviews.get_mut(&review)
                {
                    e.removed = true;
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(r.subject) && model.acts(actor);
                ("remove_feedback", got.is_ok(), ok)
            }
            28 => {
                // Collaborators (R-WRITE-16): added and removed by review admins, nobody adding
                // themselves; added only to a cycle not closed, removed from any; neither
                // while locked.
                let actor = likely(&mut rng, staffer);
                let person = if rng.chance(50) { id("lee") } else { other };
                let add = !model.collaborators.contains(&person) || rng.chance(20);
                let ok = !model.locked
                    && model.admin(actor)
                    && if add {
                        model.cycle != CycleState::Closed
                            && person != actor
                            && person != id("nobody")
                            && !model.collaborators.contains(&person)
                    } else {
                        model.collaborators.contains(&person)
                    };
                let got = if add {
                    engine.add_collaborator(actor, cycle, person).await
                } else {
                    engine.remove_collaborator(actor, cycle, person).await
                };
                if got.is_ok() {
                    if add {
                        expected.collaborators.insert(person);
                    } else {
                        expected.collaborators.remove(&person);
                    }
                }
                // Nobody who has left acts in the cycle.
                let ok = ok && model.acts(actor);
                (
                    if add {
                        "add_collaborator"
                    } else {
                        "remove_collaborator"
                    },
                    got.is_ok(),
                    ok,
                )
            }
            29 => {
                // Review admins (R-WRITE-16): granted and revoked by review admins, nobody
                // granting themselves; grants are store-wide, so neither lock nor close stops
                // them.
                let actor = likely(&mut rng, staffer);
                // Seldom kim, the admin the rest of the sequence mostly acts as.
                let person = match other {
                    p if p == kim && !rng.chance(10) => id("dana"),
                    p if rng.chance(50) => p,
                    _ => id("dana"),
                };
                let grant = !model.admins.contains(&person) || rng.chance(20);
                let ok = model.admin(actor)
                    && if grant {
                        person != actor && person != id("nobody")
                    } else {
                        model.admins.contains(&person)
                    };
                let got = if grant {
                    let since = t0 - Duration::days(1);
                    let admin = AdminGrant {
                        since,
                        past_cycles: false,
                    };
                    engine.grant_admin(actor, person, admin).await
                } else {
                    engine.revoke_admin(actor, person).await
                };
                let names = ("grant_admin", "revoke_admin");
                let name = follow(&mut expected.admins, person, grant, got.is_ok(), names);
                (name, got.is_ok(), ok)
            }
            30 => {
                // A session's members change until it closes: participants of the cycle,
                // contributors in its org.
                let ids = &session_order;
                if ids.is_empty() {
                    continue;
                }
                let sid = ids[rng.below(ids.len())];
                let actor = likely(&mut rng, staffer);
                let (participants, contributors) = members(&mut rng, other, 60);
                let ok = model.open_for("calibration")
                    && model.staff_of_cycle(actor, Permission::ManageCalibration)
                    && model.sessions[&sid].state != appraise::CalibrationState::Closed
                    && participants.iter().all(|p| model.packets.contains_key(p))
                    && !contributors.contains(&id("nobody"))
                    && contributors.is_disjoint(&model.left);
                let got = engine
                    .edit_calibration(
                        actor,
                        sid,
                        participants.iter().copied(),
                        contributors.iter().copied(),
                    )
                    .await;
                if got.is_ok()
                    && let Some(s) = expected.sessions.get_mut(&sid)
                {
                    s.participants = participants;
                    s.contributors = contributors;
                }
                // Nobody who has left acts in the cycle.
                let ok = ok && model.acts(actor);
                ("edit_calibration", got.is_ok(), ok)
            }
            31 | 32 => {
                // Manager changes (DOMAIN.md, mid-cycle changes; R-WRITE-2): by admins and
                // collaborators, never on their own packet, to someone in the cycle's org who
                // is not the participant or their manager reviewer already; a manager change
                // (31) also never to someone below them. The new manager becomes the manager
                // reviewer: a manager review not yet submitted is cancelled and a new one
                // assigned to them; a submitted one stays. A manager change moves the
                // participant in the cycle's org; a change of manager reviewer only (32) does
                // not.
                let in_org = command == 31;
                let actor = likely(&mut rng, staffer);
                let to = if rng.chance(10) { None } else { Some(other) };
                let live = model
                    .reviews
                    .iter()
                    .find(|(_, r)| {
                        r.subject == subject
                            && r.kind == ReviewKind::Manager
                            && r.state != ReviewState::Cancelled
                    })
                    .map(|(id, r)| (*id, r.state));
                let ok = model.open_for("change_manager")
                    && model.staff_on(actor, Permission::EditCycles, subject)
                    && actor != subject
                    && to != Some(id("nobody"))
                    && to.is_none_or(|m| !model.left.contains(&m))
                    && to != Some(subject)
                    && to != model.manager_of(subject)
                    && (!in_org || to.is_none_or(|m| !model.reports_to(m, subject)));
                let got = if in_org {
                    engine.change_manager(actor, packet, to).await
                } else {
                    engine.change_manager_reviewer(actor, packet, to).await
                };
                if got.is_ok() {
                    if let Some(p) = expected.packets.get_mut(&subject) {
                        p.manager = to;
                    }
                    if in_org {
                        expected.org.insert(subject, to);
                    }
                    let kept = live.is_some_and(|(_, state)| state == ReviewState::Submitted);
                    if let Some((rid, _)) = live.filter(|_| !kept)
                        && let Some(r) = expected.reviews.get_mut(&rid)
                    {
                        r.state = ReviewState::Cancelled;
                    }
                    if let (Some(m), false) = (to, kept) {
                        let now = observe(&*storage, cycle).await;
                        for rid in now.reviews.keys() {
                            if !model.reviews.contains_key(rid) {
                                expected.reviews.insert(
                                    *rid,
                                    MReview {
                                        subject,
                                        kind: ReviewKind::Manager,
                                        author: m,
                                        state: ReviewState::Assigned,
                                        removed: false,
                                        answers: "empty",
                                    },
                                );
                            }
                        }
                    }
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                (
                    if in_org {
                        "change_manager"
                    } else {
                        "change_manager_reviewer"
                    },
                    got.is_ok(),
                    ok,
                )
            }
            33 => {
                // Removing a participant (DOMAIN.md, mid-cycle changes): by admins and
                // collaborators, while the cycle is active; their packet is withdrawn (kept,
                // read-only) and nothing else changes. Seldom, or few sequences would go on.
                if rng.chance(70) {
                    continue;
                }
                let actor = likely(&mut rng, staffer);
                let person = if rng.chance(80) { subject } else { other };
                let ok = model.open_for("participants")
                    && model.staff_of_cycle(actor, Permission::EditCycles)
                    && model.acts(actor)
                    && model.packets.get(&person).is_some_and(|p| !p.withdrawn);
                let got = engine.remove_participant(actor, cycle, person).await;
                if got.is_ok()
                    && let Some(p) = expected.packets.get_mut(&person)
                {
                    p.withdrawn = true;
                }
                ("remove_participant", got.is_ok(), ok)
            }
            34 => {
                // A person leaving (DOMAIN.md, leaver): by admins and collaborators, for
                // someone in the cycle's org who has not left yet. Their packet is withdrawn,
                // the reviews they still had to write are cancelled (but those about someone
                // else's withdrawn packet, which is read-only), and from then on they do
                // nothing in the cycle. Seldom, like removals.
                if rng.chance(60) {
                    continue;
                }
                let actor = likely(&mut rng, staffer);
                let person = if rng.chance(50) { subject } else { other };
                let ok = model.open_for("participants")
                    && model.staff_of_cycle(actor, Permission::EditCycles)
                    && model.acts(actor)
                    && person != id("nobody")
                    && !model.left.contains(&person);
                let got = engine.person_left(actor, cycle, person).await;
                if got.is_ok() {
                    expected.left.insert(person);
                    if let Some(p) = expected.packets.get_mut(&person) {
                        p.withdrawn = true;
                    }
                    for r in expected.reviews.values_mut() {
                        if r.author == person
                            && matches!(r.state, ReviewState::Assigned | ReviewState::Draft)
                            && (r.subject == person || model.live(r.subject))
                        {
                            r.state = ReviewState::Cancelled;
                        }
                    }
                }
                ("person_left", got.is_ok(), ok)
            }
            35 => {
                // Global viewers (R-WRITE-16): granted and revoked by review admins, never to
                // themselves or of someone's own reviews, for people the directory knows;
                // store-wide, like admins.
                let actor = likely(&mut rng, staffer);
                let viewer = other;
                let about = if rng.chance(80) {
                    subject
                } else {
                    id(PEOPLE[rng.below(PEOPLE.len())])
                };
                // Often a grant held, to revoke it.
                let (viewer, about) = match (draw, model.global_viewers.iter().next()) {
                    (Draw::Every, Some(&held)) if ext.chance(30) => held,
                    _ => (viewer, about),
                };
                let held = model.global_viewers.contains(&(viewer, about));
                // Sometimes revoking what is not held.
                let grant = match draw {
                    Draw::Every if !held && ext.chance(15) => false,
                    _ => !held || rng.chance(20),
                };
                let ok = model.admin(actor)
                    && if grant {
                        viewer != actor
                            && viewer != about
                            && viewer != id("nobody")
                            && about != id("nobody")
                            && !held
                    } else {
                        held
                    };
                let got = if grant {
                    engine.grant_global_viewer(actor, viewer, about).await
                } else {
                    engine.revoke_global_viewer(actor, viewer, about).await
                };
                let names = ("grant_global_viewer", "revoke_global_viewer");
                let set = &mut expected.global_viewers;
                let name = follow(set, (viewer, about), grant, got.is_ok(), names);
                (name, got.is_ok(), ok)
            }
            36 => {
                // An additional manager or an upward reviewer assigned by hand (DOMAIN.md:
                // every assignment can be added): by admins and collaborators, not on their
                // own packet, to someone the org knows who has not left and is not the
                // participant, not twice, and at most five cycle-specific additional managers.
                let actor = likely(&mut rng, staffer);
                let kind = if rng.chance(50) {
                    ReviewKind::AdditionalManager
                } else {
                    ReviewKind::Upward
                };
                let writers = model.writers(subject, kind);
                let ok = model.open_for("assign")
                    && model.staff_on(actor, Permission::EditCycles, subject)
                    && actor != subject
                    && other != id("nobody")
                    && !model.left.contains(&other)
                    && other != subject
                    && !writers.contains(&other)
                    && (kind != ReviewKind::AdditionalManager
                        || model.cycle_additional_managers(subject)
                            < appraise::MAX_CYCLE_ADDITIONAL_MANAGERS);
                let got = engine.assign_reviewer(actor, packet, kind, other).await;
                if let Ok(view) = &got {
                    expected.reviews.insert(
                        view.id,
                        MReview {
                            subject,
                            kind,
                            author: other,
                            state: ReviewState::Assigned,
                            removed: false,
                            answers: "empty",
                        },
                    );
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(subject) && model.acts(actor);
                let name = if kind == ReviewKind::Upward {
                    "assign_upward"
                } else {
                    "assign_additional_manager"
                };
                (name, got.is_ok(), ok)
            }
            37 => {
                // A writer replaced (DOMAIN.md: every assignment can be replaced): the old one
                // is removed as `remove_reviewer` says and the new one, who may not hold that
                // role already, gets a review of the same kind. Mostly a review that can be.
                let replaceable: Vec<ReviewId> = review_order
                    .iter()
                    .filter(|id| {
                        let r = &model.reviews[*id];
                        matches!(
                            r.kind,
                            ReviewKind::Peer | ReviewKind::AdditionalManager | ReviewKind::Upward
                        ) && matches!(r.state, ReviewState::Assigned | ReviewState::Draft)
                    })
                    .copied()
                    .collect();
                let review = if !replaceable.is_empty() && rng.chance(70) {
                    replaceable[rng.below(replaceable.len())]
                } else {
                    review
                };
                let r = model.reviews[&review].clone();
                let actor = likely(&mut rng, staffer);
                let ok = model.open_for("assign")
                    && model.staff_on(actor, Permission::EditCycles, r.subject)
                    && actor != r.subject
                    && matches!(
                        r.kind,
                        ReviewKind::Peer | ReviewKind::AdditionalManager | ReviewKind::Upward
                    )
                    && matches!(r.state, ReviewState::Assigned | ReviewState::Draft)
                    && other != id("nobody")
                    && !model.left.contains(&other)
                    && other != r.subject
                    && !model.writers(r.subject, r.kind).contains(&other)
                    // The default additional manager replaced: the new one is cycle-specific.
                    && !(r.kind == ReviewKind::AdditionalManager
                        && model.packets[&r.subject].default_additional == Some(r.author)
                        && model.cycle_additional_managers(r.subject)
                            >= appraise::MAX_CYCLE_ADDITIONAL_MANAGERS);
                let got = engine.replace_reviewer(actor, review, other).await;
                if let Ok(view) = &got {
                    if let Some(e) = expected.reviews.get_mut(&review) {
                        e.state = ReviewState::Cancelled;
                    }
                    if let Some(p) = expected.packets.get_mut(&r.subject)
                        && r.kind == ReviewKind::AdditionalManager
                        && p.default_additional == Some(r.author)
                    {
                        p.default_additional = None;
                    }
                    expected.reviews.insert(
                        view.id,
                        MReview {
                            subject: r.subject,
                            kind: r.kind,
                            author: other,
                            state: ReviewState::Assigned,
                            removed: false,
                            answers: "empty",
                        },
                    );
                }
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(r.subject) && model.acts(actor);
                ("replace_reviewer", got.is_ok(), ok)
            }
            38 => {
                // Custom roles defined and redefined (R-WRITE-16): by review admins, named.
                let actor = likely(&mut rng, staffer);
                let role = CustomRoleId::from_key(ROLES[rng.below(ROLES.len())]);
                let name = if rng.chance(10) { " " } else { "role" };
                let permissions: Permissions = Permission::ALL
                    .into_iter()
                    .filter(|_| rng.chance(40))
                    .collect();
                let ok = model.admin(actor) && !name.trim().is_empty();
                let got = engine
                    .define_role(
                        actor,
                        CustomRole {
                            id: role,
                            name: name.into(),
                            permissions,
                        },
                    )
                    .await;
                if got.is_ok() {
                    expected.roles.insert(role, permissions);
                }
                ("define_role", got.is_ok(), ok)
            }
            39 => {
                // Custom roles granted and revoked (R-WRITE-16): by review admins, never to
                // themselves, a defined role to someone the directory knows who does not hold
                // it; reaching every cycle, this one, or another; everyone, or someone's
                // subtree. From then on its permissions make its holder one of the admins of
                // R-WRITE for the cycles and people in scope (`Model::may`).
                let actor = likely(&mut rng, staffer);
                let (person, role) = match model.role_grants.keys().next() {
                    // Mostly a role held, to revoke it.
                    Some(&held) if rng.chance(40) => held,
                    _ => (
                        match other {
                            p if p == kim && !rng.chance(10) => id("eve"),
                            p => p,
                        },
                        CustomRoleId::from_key(ROLES[rng.below(ROLES.len())]),
                    ),
                };
                let held = model.role_grants.contains_key(&(person, role));
                let grant = !held || rng.chance(20);
                let cycles = match rng.below(10) {
                    0..=4 => CycleScope::All,
                    5..=7 => CycleScope::Listed([cycle].into()),
                    _ => CycleScope::Listed(
                        [model
                            .second
                            .map_or(CycleId::from_key("another cycle"), |(c, ..)| c)]
                        .into(),
                    ),
                };
                let people = if rng.chance(50) {
                    PeopleScope::Everyone
                } else {
                    PeopleScope::SubtreeOf(id(PEOPLE[rng.below(PEOPLE.len())]))
                };
                let ok = model.admin(actor)
                    && if grant {
                        person != actor
                            && person != id("nobody")
                            && model.roles.contains_key(&role)
                            && !held
                    } else {
                        held
                    };
                let got = if grant {
                    let g = RoleGrant {
                        role,
                        cycles: cycles.clone(),
                        people,
                    };
                    engine.grant_role(actor, person, g).await
                } else {
                    engine.revoke_role(actor, person, role).await
                };
                if got.is_ok() {
                    if grant {
                        expected
                            .role_grants
                            .insert((person, role), (cycles, people));
                    } else {
                        expected.role_grants.remove(&(person, role));
                    }
                }
                (
                    if grant { "grant_role" } else { "revoke_role" },
                    got.is_ok(),
                    ok,
                )
            }
            40 => {
                // A participant added after launch (DOMAIN.md, mid-cycle changes): by admins
                // and collaborators while the cycle is active, someone in the cycle's org who
                // takes no part yet and has not left. Their packet gets the launch's default
                // assignments from the org as it is now: their manager there as manager
                // reviewer, a self review, a manager review unless that manager has left, and
                // an upward review by each direct report there who has not left.
                let actor = likely(&mut rng, staffer);
                let person = id(PEOPLE[rng.below(PEOPLE.len())]);
                let ok = model.open_for("participants")
                    && model.staff_of_cycle(actor, Permission::EditCycles)
                    && model.acts(actor)
                    && person != id("nobody")
                    && !model.packets.contains_key(&person)
                    && !model.left.contains(&person);
                let got = engine.add_participant(actor, cycle, person).await;
                if let Ok(p) = &got {
                    packet_ids.insert(person, p.id());
                    let manager = model.org_manager(person);
                    let additional = directory_additional_manager(person)
                        .filter(|a| !model.left.contains(a) && *a != person);
                    expected.org.insert(person, manager);
                    expected.packets.insert(
                        person,
                        MPacket {
                            state: PacketState::Nominating,
                            manager,
                            viewers: BTreeSet::new(),
                            sharers: BTreeSet::new(),
                            gate: false,
                            calibrated: None,
                            withdrawn: false,
                            default_additional: additional,
                        },
                    );
                    let mut writers = vec![(ReviewKind::SelfReview, person)];
                    if let Some(m) = manager.filter(|m| !model.left.contains(m)) {
                        writers.push((ReviewKind::Manager, m));
                    }
                    if let Some(a) = additional {
                        writers.push((ReviewKind::AdditionalManager, a));
                    }
                    writers.extend(
                        PEOPLE[..8]
                            .iter()
                            .map(|n| id(n))
                            .filter(|&r| {
                                model.org_manager(r) == Some(person) && !model.left.contains(&r)
                            })
                            .map(|r| (ReviewKind::Upward, r)),
                    );
                    writers.sort_by_key(|&(kind, author)| (kind.index(), author));
                    let now = observe(&*storage, cycle).await;
                    let mut made: Vec<(ReviewKind, PersonId)> = Vec::new();
                    for (rid, r) in &now.reviews {
                        if !model.reviews.contains_key(rid) {
                            made.push((r.kind, r.author));
                            expected.reviews.insert(
                                *rid,
                                MReview {
                                    subject: person,
                                    kind: r.kind,
                                    author: r.author,
                                    state: ReviewState::Assigned,
                                    removed: false,
                                    answers: "empty",
                                },
                            );
                        }
                    }
                    made.sort_by_key(|&(kind, author)| (kind.index(), author));
                    assert_eq!(
                        made.iter().map(|&(k, a)| (k, name(a))).collect::<Vec<_>>(),
                        writers
                            .iter()
                            .map(|&(k, a)| (k, name(a)))
                            .collect::<Vec<_>>(),
                        "seed {seed} step {step}: the reviews of {}'s new packet",
                        name(person)
                    );
                }
                ("add_participant", got.is_ok(), ok)
            }
            41 => {
                // The cycle's settings edited (R-WRITE-2): by admins and collaborators while
                // the cycle is active and unlocked. Once a peer or upward review was submitted,
                // that kind's anonymity and sharing with the subject, and the threshold, only
                // get stricter; a launched cycle keeps its review kinds; the settings must agree
                // (no more peers at least than at most). The other commands follow the new
                // settings from then on.
                let actor = likely(&mut rng, staffer);
                let flip = |rng: &mut Rng, v: bool| if rng.chance(25) { !v } else { v };
                let mut to = model.clone();
                to.approval = flip(&mut rng, model.approval);
                to.calibration = flip(&mut rng, model.calibration);
                to.self_nomination = flip(&mut rng, model.self_nomination);
                to.nomination_approval = flip(&mut rng, model.nomination_approval);
                to.after_peers = flip(&mut rng, model.after_peers);
                to.managers_remove = flip(&mut rng, model.managers_remove);
                for i in 0..2 {
                    let (anonymous, shared) = model.privacy[i];
                    to.privacy[i] = (flip(&mut rng, anonymous), flip(&mut rng, shared));
                }
                if rng.chance(25) {
                    to.anonymity_threshold = rng.pick(&[1, 2, 3, 4]);
                }
                let kinds_changed = rng.chance(5);
                let min_peers = if rng.chance(5) { MAX_PEERS + 1 } else { 0 };
                let mut config = appraise::plugin::StorageExt::cycle(&*storage, cycle)
                    .await
                    .unwrap()
                    .record
                    .config()
                    .clone();
                let s = &mut config.settings;
                s.approval_required = to.approval;
                s.calibration = to.calibration;
                s.self_nomination = to.self_nomination;
                s.nomination_approval = to.nomination_approval;
                s.gating.after_peers = to.after_peers;
                s.managers_may_remove_feedback = to.managers_remove;
                (s.anonymous_peer, s.share_peer_with_subject) = to.privacy[0];
                (s.anonymous_upward, s.share_upward_with_subject) = to.privacy[1];
                s.anonymity_threshold = to.anonymity_threshold;
                s.min_peers = min_peers as u8;
                if kinds_changed {
                    config.kinds.upward = !config.kinds.upward;
                }
                let ok = model.open_for("edit_cycle")
                    && model.staff_of_cycle(actor, Permission::EditCycles)
                    && model.acts(actor)
                    && !kinds_changed
                    && min_peers <= MAX_PEERS
                    && model.keeps_promises(&to);
                let got = engine.edit_cycle(actor, cycle, config).await;
                if got.is_ok() {
                    expected.approval = to.approval;
                    expected.calibration = to.calibration;
                    expected.self_nomination = to.self_nomination;
                    expected.nomination_approval = to.nomination_approval;
                    expected.after_peers = to.after_peers;
                    expected.managers_remove = to.managers_remove;
                    expected.privacy = to.privacy;
                    expected.anonymity_threshold = to.anonymity_threshold;
                }
                ("edit_cycle", got.is_ok(), ok)
            }
            42 => {
                // Past-review visibility (R-WRITE-16; DOMAIN.md, `viewer`): granted by review
                // admins, never to themselves, only to the subject's default additional
                // manager as the directory names them, once; revoked when held.
                let actor = likely(&mut rng, staffer);
                let about = id(rng.pick(&["eve", "bo", "ann", "nobody"]));
                let viewer = match directory_additional_manager(about) {
                    Some(a) if rng.chance(60) => a,
                    _ => other,
                };
                // Often a grant held, to revoke it.
                let (viewer, about) = match model.past_viewers.iter().next() {
                    Some(&held) if rng.chance(40) => held,
                    _ => (viewer, about),
                };
                let held = model.past_viewers.contains(&(viewer, about));
                // Mostly revoking a grant held; sometimes one that is not.
                let grant = if held {
                    rng.chance(20)
                } else {
                    !rng.chance(15)
                };
                let ok = model.admin(actor)
                    && if grant {
                        viewer != actor
                            && viewer != id("nobody")
                            && about != id("nobody")
                            && directory_additional_manager(about) == Some(viewer)
                            && !held
                    } else {
                        held
                    };
                let got = if grant {
                    engine.grant_past_reviews(actor, viewer, about).await
                } else {
                    engine.revoke_past_reviews(actor, viewer, about).await
                };
                let names = ("grant_past_reviews", "revoke_past_reviews");
                let set = &mut expected.past_viewers;
                let name = follow(set, (viewer, about), grant, got.is_ok(), names);
                (name, got.is_ok(), ok)
            }
            43 => {
                // Time passes and the host's scheduler ticks (DOMAIN.md; `workflow::tick`): in
                // an active, unlocked cycle, at the nomination deadline, each live packet still
                // nominating has its pending nominations approved in turn (their peers assigned)
                // while there is room, the others denied (a nominee who is a peer already, or
                // has left), and then writing starts. It never fails; writing windows open
                // and close as the clock moves.
                let hours = rng.pick(&[1, 6, 24, 48]);
                clock.advance(Duration::hours(hours));
                now += Duration::hours(hours);
                let got = engine.tick().await;
                let mut approved: Vec<(PersonId, PersonId)> = Vec::new();
                if model.cycle == CycleState::Active
                    && !model.locked
                    && model.approve_at.is_some_and(|d| now >= d)
                {
                    for (&subject, p) in &model.packets {
                        if p.withdrawn || p.state != PacketState::Nominating {
                            continue;
                        }
                        let mut peers = model.live_peers(subject);
                        for (nid, n) in &model.nominations {
                            if n.subject != subject || n.state != NominationState::Pending {
                                continue;
                            }
                            let approve = !peers.contains(&n.nominee)
                                && peers.len() < MAX_PEERS
                                && !model.left.contains(&n.nominee);
                            if let Some(e) = expected.nominations.get_mut(nid) {
                                e.state = if approve {
                                    NominationState::Approved
                                } else {
                                    NominationState::Denied
                                };
                            }
                            if approve {
                                peers.push(n.nominee);
                                approved.push((subject, n.nominee));
                            }
                        }
                        expected.set_packet(subject, PacketState::Writing);
                    }
                }
                let seen_now = observe(&*storage, cycle).await;
                for (rid, r) in &seen_now.reviews {
                    if !model.reviews.contains_key(rid)
                        && r.kind == ReviewKind::Peer
                        && approved.contains(&(r.subject, r.author))
                    {
                        expected.reviews.insert(
                            *rid,
                            MReview {
                                state: ReviewState::Assigned,
                                removed: false,
                                answers: "empty",
                                ..r.clone()
                            },
                        );
                    }
                }
                ("tick", got.is_ok(), true)
            }
            44 => {
                // A second cycle (R-WRITE-1, R-WRITE-2): created by review admins and custom
                // roles that create cycles in every cycle, for everyone (never collaborators);
                // a draft deleted by admins and roles that delete cycles, given participants or
                // launched (once it has some) by admins and roles that edit cycles, with the
                // cycle in their scope.
                let actor = likely(&mut rng, staffer);
                match model.second {
                    None => {
                        let ok = model.admin(actor)
                            || model.role_allows(actor, Permission::CreateCycles, None, None);
                        let config = CycleConfig::new("second", period());
                        let got = engine.create_cycle(actor, config).await;
                        if let Ok(c) = &got {
                            expected.second = Some((c.id(), CycleState::Draft, false));
                        }
                        ("create_cycle", got.is_ok(), ok)
                    }
                    Some((second, state, people)) => {
                        let may = |permission| {
                            model.admin(actor)
                                || model.role_allows(actor, permission, Some(second), None)
                        };
                        let draft = state == CycleState::Draft;
                        match rng.below(3) {
                            0 => {
                                let ok = may(Permission::DeleteCycles) && draft;
                                let got = engine.delete_cycle(actor, second).await;
                                if got.is_ok() {
                                    expected.second = None;
                                }
                                ("delete_cycle", got.is_ok(), ok)
                            }
                            1 => {
                                // A draft's participants, before launch.
                                let ok = may(Permission::EditCycles) && draft;
                                let got = engine.add_participants(actor, second, [id("eve")]).await;
                                if got.is_ok() {
                                    expected.second = Some((second, state, true));
                                }
                                ("add_participants", got.is_ok(), ok)
                            }
                            _ => {
                                let ok = may(Permission::EditCycles) && draft && people;
                                let got = engine.launch(actor, second).await;
                                if got.is_ok() {
                                    // The list became the packets.
                                    expected.second = Some((second, CycleState::Active, false));
                                }
                                ("launch", got.is_ok(), ok)
                            }
                        }
                    }
                }
            }
            45 => {
                // Question templates (R-WRITE-1): created and replaced by review admins and
                // custom roles that manage templates in every cycle, for everyone (never
                // collaborators); named; created once, replaced once created. A cycle launched
                // with one keeps the copy it froze: replacing the form with a looser one
                // changes nothing for the reviews of the cycle (`Model::answers_valid`).
                let actor = likely(&mut rng, staffer);
                let key = rng.pick(&TEMPLATES);
                let create = rng.chance(50);
                let (mut form, what) = if rng.chance(50) {
                    (template(), "form")
                } else {
                    (loose_template(), "loose")
                };
                form.id = appraise::TemplateId::from_key(key);
                let named = !rng.chance(10);
                if !named {
                    form.name = String::new();
                }
                let exists = model.templates.contains_key(key);
                let ok = (model.admin(actor)
                    || model.role_allows(actor, Permission::ManageTemplates, None, None))
                    && named
                    && exists != create;
                let got = if create {
                    engine.create_template(actor, form).await
                } else {
                    engine.update_template(actor, form).await
                };
                if got.is_ok() {
                    expected.templates.insert(key, what);
                }
                (
                    if create {
                        "create_template"
                    } else {
                        "update_template"
                    },
                    got.is_ok(),
                    ok,
                )
            }
            46 => {
                // The first review admin (R-WRITE-16 has no one to grant it): anyone, while
                // the store has no admin; an admin again, changing nothing; nobody else.
                let actor = likely(&mut rng, kim);
                let ok = model.admins.is_empty() || model.admin(actor);
                let since = t0 - Duration::days(1);
                let got = engine
                    .bootstrap_admin(
                        actor,
                        AdminGrant {
                            since,
                            past_cycles: false,
                        },
                    )
                    .await;
                if got.is_ok() {
                    expected.admins.insert(actor);
                }
                ("bootstrap_admin", got.is_ok(), ok)
            }
            _ => {
                let r = model.reviews[&review].clone();
                let actor = likely(&mut rng, model.manager_of(r.subject).unwrap_or(kim));
                let ok = model.open_for("reminder")
                    && (model.staff_on(actor, Permission::SendReminders, r.subject)
                        || Some(actor) == model.manager_of(r.subject))
                    && matches!(r.state, ReviewState::Assigned | ReviewState::Draft);
                let got = engine.send_reminder(actor, review).await;
                // A withdrawn packet is read-only; nobody who has left acts in the cycle.
                let ok = ok && model.live(r.subject) && model.acts(actor);
                ("send_reminder", got.is_ok(), ok)
            }
        };
        assert_eq!(
            accepted,
            ok,
            "seed {seed} step {step}: {name} by {}: the engine {} it, the model {} it\nmodel: {model:#?}",
            self::name(actor),
            if accepted { "accepted" } else { "refused" },
            if ok { "accepts" } else { "refuses" },
        );
        if std::env::var_os("APPRAISE_MODEL_TRACE").is_some() {
            eprintln!(
                "seed {seed} step {step}: {name} {}",
                ["refused", "accepted"][usize::from(accepted)]
            );
        }
        seen.entry(name).or_default()[usize::from(accepted)] += 1;
        let mut now = observe(&*storage, cycle).await;
        // Not observed: the model's own record.
        now.steps = expected.steps.clone();
        assert_eq!(
            now, expected,
            "seed {seed} step {step}: after {name}, the state differs"
        );
        // Several reviews made in one step go in the order of their kind and writer.
        let mut made: Vec<(&ReviewId, &MReview)> = expected
            .reviews
            .iter()
            .filter(|(id, _)| !review_order.contains(id))
            .collect();
        made.sort_by_key(|(_, r)| (r.kind.index(), self::name(r.author)));
        review_order.extend(made.into_iter().map(|(id, _)| *id));
        for id in expected.nominations.keys() {
            if !nomination_order.contains(id) {
                nomination_order.push(*id);
            }
        }
        for id in expected.sessions.keys() {
            if !session_order.contains(id) {
                session_order.push(*id);
            }
        }
        model = expected;
    }
}

/// Which commands a sequence draws.
#[derive(Clone, Copy, Debug)]
enum Draw {
    /// The first 42 commands only, drawn as before the others were added: how the sequences
    /// of [`REGRESSIONS_FIRST`] were found.
    First,
    /// Every command.
    Every,
}

/// Failures found before, shrunk: a seed and the steps of its sequence that still fail,
/// replayed by every run with [`Draw::Every`].
const REGRESSIONS: &[(u64, &[usize])] = &[
    (4, &[25, 26, 51, 62]),
    (13, &[11, 12, 45, 53, 58]),
    (389, &[48, 50]),
    (1047, &[36, 37, 65, 70, 76, 78, 93]),
    (3780, &[7, 15, 21, 22, 25, 46, 54, 57, 58]),
    (227, &[44, 65]),
];

/// Failures found while sequences drew the first 42 commands only, replayed with
/// [`Draw::First`].
const REGRESSIONS_FIRST: &[(u64, &[usize])] =
    &[(10, &[0, 20]), (39, &[2, 87]), (3023, &[12, 32, 40])];

/// Steps per sequence.
const STEPS: usize = 100;

/// Where a sequence runs.
#[derive(Clone, Copy)]
enum Backend {
    Memory,
    #[cfg(feature = "sqlite")]
    Sqlite,
}

/// Runs one sequence on a fresh store, on a runtime of its own; the panic message when the
/// engine and the model disagree.
fn run(
    backend: Backend,
    seed: u64,
    steps: &[usize],
    draw: Draw,
    seen: &mut Seen,
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let storage: Arc<dyn Storage> = match backend {
                Backend::Memory => Arc::new(MemoryStorage::new()),
                #[cfg(feature = "sqlite")]
                Backend::Sqlite => Arc::new(
                    appraise::sql::SqliteStorage::open_in_memory()
                        .await
                        .unwrap(),
                ),
            };
            sequence(storage, seed, steps, draw, seen).await;
        });
    }))
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

/// The fewest of `steps` found that still fail: leaves out halves, then quarters, down to
/// single steps, keeping each leaving-out after which the sequence still fails.
fn shrink(backend: Backend, seed: u64, mut steps: Vec<usize>, draw: Draw) -> Vec<usize> {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut chunk = steps.len() / 2;
    while chunk > 0 {
        let mut at = 0;
        while at < steps.len() {
            let mut fewer = steps.clone();
            fewer.drain(at..(at + chunk).min(steps.len()));
            if run(backend, seed, &fewer, draw, &mut Seen::new()).is_err() {
                steps = fewer;
            } else {
                at += chunk;
            }
        }
        chunk /= 2;
    }
    std::panic::set_hook(quiet);
    steps
}

/// Runs the regressions and `count` sequences from `first`; a failure is shrunk and reported
/// with the entry to add to [`REGRESSIONS`].
fn check(backend: Backend, first: u64, count: u64) -> Seen {
    let mut seen = Seen::new();
    let all: Vec<usize> = (0..STEPS).collect();
    let sequences = REGRESSIONS_FIRST
        .iter()
        .map(|&(seed, steps)| (seed, steps.to_vec(), Draw::First))
        .chain(
            REGRESSIONS
                .iter()
                .map(|&(seed, steps)| (seed, steps.to_vec(), Draw::Every)),
        )
        .chain((first..first + count).map(|seed| (seed, all.clone(), Draw::Every)));
    for (seed, steps, draw) in sequences {
        if let Err(failure) = run(backend, seed, &steps, draw, &mut seen) {
            let fewest = shrink(backend, seed, steps, draw);
            let again = run(backend, seed, &fewest, draw, &mut Seen::new()).unwrap_err();
            panic!(
                "{failure}\n\nshrunk to {} steps (add `({seed}, &{fewest:?})` to REGRESSIONS):\n{again}",
                fewest.len()
            );
        }
    }
    seen
}

fn sequences(default: u64) -> u64 {
    std::env::var("APPRAISE_MODEL_SEQUENCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every command was seen both accepted and refused (the tick, never refused, accepted).
fn covered(seen: &Seen) {
    if std::env::var_os("APPRAISE_MODEL_TRACE").is_some() {
        eprintln!("[refused, accepted] by command: {seen:?}");
    }
    for (name, [refused, accepted]) in seen {
        assert!(
            (*refused > 0 || *name == "tick") && *accepted > 0,
            "{name}: {refused} refused, {accepted} accepted"
        );
    }
    assert_eq!(seen.len(), 60, "every command ran: {seen:?}");
}

#[test]
fn the_engine_agrees_with_the_model_on_memory() {
    covered(&check(Backend::Memory, 0, sequences(200)));
}

#[cfg(feature = "sqlite")]
#[test]
fn the_engine_agrees_with_the_model_on_sqlite() {
    let seen = check(Backend::Sqlite, 1 << 32, sequences(200) / 10);
    assert!(seen.values().map(|[r, a]| r + a).sum::<usize>() > 0);
}
