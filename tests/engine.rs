//! The engine end to end: a full cycle, refusals that change nothing, races, notifier outages.

use std::collections::BTreeMap;
use std::sync::Arc;

use appraise::access::Reason;
use appraise::memory::{MemoryStorage, RecordingNotifier, StaticDirectory};
use appraise::plugin::{
    Commit, Directory, ManualClock, OutboxEntry, Record, RecordKey, Storage, StorageExt,
    StoredEvent, Versioned,
};
use appraise::{
    AdminGrant, Answer, Answers, CycleConfig, CycleId, CycleSettings, Engine, Error,
    NotificationKind, PacketState, Period, Person, PersonId, QuestionId, ReviewKind, ReviewState,
};
use async_trait::async_trait;
use chrono::{Duration, NaiveDate, TimeZone, Utc};

/// The section a template answered by managers ends with (DOMAIN.md, templates): the
/// consolidated rating and a recommendation.
pub fn manager_summary() -> appraise::Section {
    use appraise::{Question, QuestionKind, Section};
    Section::new("summary", "Summary")
        .question(
            Question::new(
                "consolidated",
                "Consolidated",
                QuestionKind::ConsolidatedRating,
            )
            .answered_by([ReviewKind::Manager]),
        )
        .question(
            Question::new(
                "next",
                "Recommendation",
                QuestionKind::Recommendation {
                    options: vec!["keep growing".into()],
                },
            )
            .answered_by([ReviewKind::Manager]),
        )
}

pub fn id(name: &str) -> PersonId {
    PersonId::from_key(name)
}

/// dana ── bo ── ann, cy, eve ; bo ── fay (so ann has peers); kim is HR (admin); lee collaborates.
pub fn directory() -> StaticDirectory {
    let manager = |n: &str| match n {
        "bo" | "kim" => Some("dana"),
        "ann" | "cy" | "eve" | "fay" => Some("bo"),
        "lee" => Some("kim"),
        _ => None,
    };
    let people = ["dana", "bo", "ann", "cy", "eve", "fay", "kim", "lee"]
        .iter()
        .map(|&n| match manager(n) {
            Some(m) => Person::new(id(n), n).with_manager(id(m)),
            None => Person::new(id(n), n),
        })
        .collect();
    StaticDirectory::new(people, vec![])
}

pub struct World {
    pub engine: Engine,
    pub storage: Arc<MemoryStorage>,
    pub notifier: Arc<RecordingNotifier>,
    pub clock: ManualClock,
    pub cycle: CycleId,
}

pub fn period() -> Period {
    Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
    }
}

pub fn settings() -> CycleSettings {
    CycleSettings {
        share_peer_with_subject: true,
        anonymity_threshold: 2,
        nomination_approval: true,
        ..CycleSettings::default()
    }
}

/// An engine on memory with a launched cycle of ann, cy and eve.
pub async fn launched(notifier: RecordingNotifier) -> World {
    launched_on(notifier, directory()).await
}

/// [`launched`] with another directory (which must hold the people of [`directory`]).
pub async fn launched_on(notifier: RecordingNotifier, directory: impl Directory) -> World {
    let storage = Arc::new(MemoryStorage::new());
    let notifier = Arc::new(notifier);
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
    let engine = Engine::builder()
        .storage(Arc::clone(&storage))
        .notifier(Arc::clone(&notifier))
        .directory(directory)
        .clock(clock.clone())
        .build();
    let cycle = launch_fixture(&engine, &clock).await;
    World {
        engine,
        storage,
        notifier,
        clock,
        cycle,
    }
}

/// On a fresh store: kim the first admin, the cycle "H1 2026" with lee as collaborator and
/// ann, cy and eve as participants, launched by lee.
pub async fn launch_fixture(engine: &Engine, clock: &ManualClock) -> CycleId {
    engine
        .bootstrap_admin(
            id("kim"),
            AdminGrant {
                since: clock.now() - Duration::days(1),
                past_cycles: false,
            },
        )
        .await
        .unwrap();
    let cycle = engine
        .create_cycle(
            id("kim"),
            CycleConfig::new("H1 2026", period()).with_settings(settings()),
        )
        .await
        .unwrap();
    engine
        .add_collaborator(id("kim"), cycle.id(), id("lee"))
        .await
        .unwrap();
    engine
        .add_participants(id("lee"), cycle.id(), [id("ann"), id("cy"), id("eve")])
        .await
        .unwrap();
    let report = engine.launch(id("lee"), cycle.id()).await.unwrap();
    assert_eq!(report.packets, 3);
    cycle.id()
}

use appraise::plugin::Clock as _;

fn answers(text: &str, rating: u8) -> Answers {
    Answers::new()
        .with(QuestionId::from_key("summary"), Answer::Text(text.into()))
        .with(QuestionId::from_key("rating"), Answer::Rating(rating))
}

/// The id of `subject`'s packet in `w`'s cycle, as an admin reads it.
pub async fn packet_id(w: &World, subject: &str) -> appraise::PacketId {
    w.engine
        .packet_of(id("kim"), w.cycle, id(subject))
        .await
        .unwrap()
        .id()
}

/// Nominations, peers, self reviews and manager reviews for ann: returns ann's packet id.
pub async fn run_ann(w: &World) -> appraise::PacketId {
    let e = &w.engine;
    let ann_packet = e.packet_of(id("kim"), w.cycle, id("ann")).await.unwrap();
    for peer in ["cy", "eve", "fay"] {
        let n = e
            .nominate(id("ann"), ann_packet.id(), id(peer))
            .await
            .unwrap();
        e.approve_nomination(id("bo"), n.id(), None).await.unwrap();
    }
    e.close_nominations(id("lee"), ann_packet.id())
        .await
        .unwrap();
    for r in e.my_reviews(id("ann"), w.cycle).await.unwrap() {
        if r.subject == id("ann") {
            e.save_draft(id("ann"), r.id, answers("draft", 3))
                .await
                .unwrap();
            e.submit_review(id("ann"), r.id, Some(answers("my year", 4)))
                .await
                .unwrap();
        }
    }
    for peer in ["cy", "eve", "fay"] {
        for r in e.my_reviews(id(peer), w.cycle).await.unwrap() {
            if r.subject == id("ann") && r.kind == ReviewKind::Peer {
                e.submit_review(id(peer), r.id, Some(answers(&format!("{peer} on ann"), 4)))
                    .await
                    .unwrap();
            }
        }
    }
    let manager_review = e
        .my_reviews(id("bo"), w.cycle)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == id("ann") && r.kind == ReviewKind::Manager)
        .unwrap();
    e.submit_review(id("bo"), manager_review.id, Some(answers("strong year", 5)))
        .await
        .unwrap();
    ann_packet.id()
}

#[tokio::test]
async fn a_full_cycle_through_the_engine() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let packet = run_ann(&w).await;
    assert_eq!(
        e.storage()
            .get(RecordKey::Packet(packet))
            .await
            .unwrap()
            .map(|v| match v.record {
                Record::Packet(p) => p.state(),
                _ => unreachable!(),
            }),
        Some(PacketState::ReadyToShare)
    );
    e.share(id("bo"), packet).await.unwrap();
    e.acknowledge(id("ann"), packet, Some("thanks"))
        .await
        .unwrap();

    // Reads go through the permission engine.
    let about_ann = e
        .reviews_about(id("ann"), w.cycle, id("ann"))
        .await
        .unwrap();
    let peers: Vec<_> = about_ann
        .iter()
        .filter(|r| r.kind == ReviewKind::Peer)
        .collect();
    assert_eq!(
        peers.len(),
        3,
        "ann sees her shared peer feedback (threshold 2 met)"
    );
    assert!(peers.iter().all(|r| r.author.is_none()), "anonymous to ann");
    let json = serde_json::to_string(&about_ann).unwrap();
    for peer in ["cy", "eve", "fay"] {
        assert!(
            !json.contains(&id(peer).to_string()),
            "the serialized view never names a peer"
        );
    }
    let for_bo = e.reviews_about(id("bo"), w.cycle, id("ann")).await.unwrap();
    assert!(
        for_bo
            .iter()
            .filter(|r| r.kind == ReviewKind::Peer)
            .all(|r| r.author.is_some()),
        "the manager sees authors"
    );
    let for_cy = e.reviews_about(id("cy"), w.cycle, id("ann")).await.unwrap();
    assert_eq!(for_cy.len(), 1, "a peer reads only their own review");
    let why = e.explain_read(id("dana"), for_bo[0].id).await.unwrap();
    assert_eq!(why.to_string(), "R-READ-5 chain: dana → bo → ann");

    // Progress and audit.
    let progress = e.progress(id("lee"), w.cycle).await.unwrap();
    assert_eq!(progress.by_state.get(&PacketState::Acknowledged), Some(&1));
    assert_eq!(progress.by_kind[&ReviewKind::Peer].submitted, 3);
    assert!(matches!(
        e.progress(id("ann"), w.cycle).await,
        Err(Error::Denied(_))
    ));
    let log = e.audit_log(id("kim"), w.cycle, None, 1000).await.unwrap();
    assert!(log.windows(2).all(|p| p[0].seq < p[1].seq));
    assert!(log.len() > 20);

    // Notifications: nominations to approve (bo), peers assigned, self review submitted (bo),
    // results shared (ann); each delivered once.
    let sent = w.notifier.delivered();
    let count = |kind| sent.iter().filter(|n| n.kind == kind).count();
    assert_eq!(count(NotificationKind::NominationToApprove), 3);
    assert_eq!(count(NotificationKind::PeerAssigned), 3);
    assert_eq!(count(NotificationKind::SelfReviewSubmitted), 1);
    assert_eq!(count(NotificationKind::ResultsShared), 1);
    assert!(
        sent.iter()
            .filter(|n| n.kind == NotificationKind::ResultsShared)
            .all(|n| n.recipient == id("ann"))
    );
    assert!(w.storage.pending_outbox(100).await.unwrap().is_empty());
}

/// Runs `command` and asserts it failed as `expected` says and left storage exactly as it was.
macro_rules! refused {
    ($w:expr, $command:expr, $pattern:pat) => {{
        let before = $w.storage.dump();
        let result = $command.await;
        assert!(
            matches!(result, Err($pattern)),
            "unexpected: {:?}",
            result.map(|_| ())
        );
        assert_eq!(
            $w.storage.dump(),
            before,
            "a refused command changed storage"
        );
        result.err().unwrap()
    }};
}

#[tokio::test]
async fn refused_commands_change_nothing() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let packet = e.packet_of(id("kim"), w.cycle, id("ann")).await.unwrap();
    // Denied, with the explanation.
    let err = refused!(
        w,
        e.create_cycle(id("lee"), CycleConfig::new("x", period())),
        Error::Denied(_)
    );
    // No org snapshot for a store-wide command: people are named from the directory.
    assert_eq!(
        err.to_string(),
        "denied: R-WRITE-1 no role: lee has no role that may create cycles"
    );
    refused!(
        w,
        e.grant_admin(
            id("lee"),
            id("lee"),
            AdminGrant {
                since: w.clock.now(),
                past_cycles: true
            }
        ),
        Error::Denied(_)
    );
    refused!(
        w,
        e.nominate(id("cy"), packet.id(), id("eve")),
        Error::Denied(_)
    );
    refused!(w, e.share(id("ann"), packet.id()), Error::Denied(_));
    refused!(
        w,
        e.launch(id("kim"), w.cycle),
        Error::InvalidTransition { .. }
    );
    // Invalid input.
    refused!(
        w,
        e.nominate(id("ann"), packet.id(), id("ann")),
        Error::Invalid { .. }
    );
    refused!(
        w,
        e.nominate(id("ann"), packet.id(), PersonId::from_key("ghost")),
        Error::Invalid { .. }
    );
    let self_review = e
        .my_reviews(id("ann"), w.cycle)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == id("ann"))
        .unwrap();
    let bad = Answers::new().with(QuestionId::from_key("q3"), Answer::Rating(7));
    let err = refused!(
        w,
        e.save_draft(id("ann"), self_review.id, bad),
        Error::Invalid { .. }
    );
    assert!(
        err.to_string().ends_with(": rating 7 is outside 1–5"),
        "{err}"
    );
    // cy has no relation to ann's self review: for him it does not exist.
    refused!(
        w,
        e.submit_review(id("cy"), self_review.id, None),
        Error::NotFound { .. }
    );
    // Not found.
    refused!(
        w,
        e.submit_review(id("ann"), appraise::ReviewId::random(), None),
        Error::NotFound { .. }
    );
    refused!(
        w,
        e.lock(id("kim"), CycleId::random()),
        Error::NotFound { .. }
    );
    // Gating: bo's manager review waits for ann's self review.
    let manager_review = e
        .my_reviews(id("bo"), w.cycle)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == id("ann"))
        .unwrap();
    let err = refused!(
        w,
        e.submit_review(id("bo"), manager_review.id, None),
        Error::Denied(_)
    );
    assert!(err.to_string().contains("gated"), "{err}");
    // Locked: every write but unlock is refused, reads go on.
    e.lock(id("lee"), w.cycle).await.unwrap();
    refused!(
        w,
        e.submit_review(id("ann"), self_review.id, None),
        Error::Locked { .. }
    );
    refused!(
        w,
        e.add_collaborator(id("kim"), w.cycle, id("bo")),
        Error::Locked { .. }
    );
    refused!(w, e.close(id("kim"), w.cycle), Error::Locked { .. });
    assert!(e.read_review(id("ann"), self_review.id).await.is_ok());
    e.unlock(id("lee"), w.cycle).await.unwrap();
    e.submit_review(id("ann"), self_review.id, None)
        .await
        .unwrap();
}

/// A storage whose commits wait until `n` commits are waiting: two commands read before either
/// writes, as in a real race. With [`Racing::first`], the commits the predicate picks go
/// first and the others follow once one of those is done.
#[derive(Debug)]
pub struct Racing<S> {
    inner: S,
    gate: tokio::sync::Barrier,
    first: Option<fn(&Commit) -> bool>,
    first_done: tokio::sync::watch::Sender<bool>,
}

impl<S> Racing<S> {
    pub fn new(inner: S, n: usize) -> Self {
        Self {
            inner,
            gate: tokio::sync::Barrier::new(n),
            first: None,
            first_done: tokio::sync::watch::Sender::new(false),
        }
    }

    fn first(mut self, pick: fn(&Commit) -> bool) -> Self {
        self.first = Some(pick);
        self
    }
}

#[async_trait]
impl<S: Storage> Storage for Racing<S> {
    async fn get(&self, key: RecordKey) -> appraise::Result<Option<Versioned<Record>>> {
        self.inner.get(key).await
    }
    async fn commit(&self, commit: Commit) -> appraise::Result<()> {
        self.gate.wait().await;
        match self.first {
            Some(pick) if pick(&commit) => {
                let result = self.inner.commit(commit).await;
                self.first_done.send_replace(true);
                result
            }
            Some(_) => {
                let mut done = self.first_done.subscribe();
                let _ = done.wait_for(|d| *d).await;
                self.inner.commit(commit).await
            }
            None => self.inner.commit(commit).await,
        }
    }
    async fn cycles(
        &self,
        a: Option<CycleId>,
        l: usize,
    ) -> appraise::Result<Vec<Versioned<appraise::Cycle>>> {
        self.inner.cycles(a, l).await
    }
    async fn packets(
        &self,
        c: CycleId,
        a: Option<appraise::PacketId>,
        l: usize,
    ) -> appraise::Result<Vec<Versioned<appraise::Packet>>> {
        self.inner.packets(c, a, l).await
    }
    async fn reviews_about(
        &self,
        c: CycleId,
        s: PersonId,
    ) -> appraise::Result<Vec<Versioned<appraise::Review>>> {
        self.inner.reviews_about(c, s).await
    }
    async fn reviews_by(
        &self,
        c: CycleId,
        a: PersonId,
    ) -> appraise::Result<Vec<Versioned<appraise::Review>>> {
        self.inner.reviews_by(c, a).await
    }
    async fn nominations(
        &self,
        p: appraise::PacketId,
    ) -> appraise::Result<Vec<Versioned<appraise::Nomination>>> {
        self.inner.nominations(p).await
    }
    async fn calibrations(
        &self,
        c: CycleId,
    ) -> appraise::Result<Vec<Versioned<appraise::CalibrationSession>>> {
        self.inner.calibrations(c).await
    }
    async fn events(
        &self,
        c: CycleId,
        a: Option<u64>,
        l: usize,
    ) -> appraise::Result<Vec<StoredEvent>> {
        self.inner.events(c, a, l).await
    }
    async fn store_events(&self, a: Option<u64>, l: usize) -> appraise::Result<Vec<StoredEvent>> {
        self.inner.store_events(a, l).await
    }
    async fn pending_outbox(&self, l: usize) -> appraise::Result<Vec<OutboxEntry>> {
        self.inner.pending_outbox(l).await
    }
    async fn mark_delivered(&self, k: &str) -> appraise::Result<()> {
        self.inner.mark_delivered(k).await
    }
    async fn claim_pending(
        &self,
        c: appraise::plugin::Claim,
        l: usize,
    ) -> appraise::Result<Vec<appraise::plugin::OutboxEntry>> {
        self.inner.claim_pending(c, l).await
    }
    async fn claim_keys(
        &self,
        c: appraise::plugin::Claim,
        k: &[String],
    ) -> appraise::Result<Vec<String>> {
        self.inner.claim_keys(c, k).await
    }
    async fn release_claim(&self, c: appraise::plugin::Claim, k: &str) -> appraise::Result<()> {
        self.inner.release_claim(c, k).await
    }
}

/// A launched cycle with ann alone (kim administers), and ann's self review.
async fn one_person_cycle(
    storage: &Arc<dyn Storage>,
) -> (Engine, appraise::Cycle, appraise::ReviewView) {
    let setup = Engine::builder()
        .storage(Arc::clone(storage))
        .directory(directory())
        .build();
    let kim = id("kim");
    let since = setup.now() - Duration::days(1);
    setup
        .bootstrap_admin(
            kim,
            AdminGrant {
                since,
                past_cycles: false,
            },
        )
        .await
        .unwrap();
    let config = CycleConfig::new("race", period()).with_settings(settings());
    let cycle = setup.create_cycle(kim, config).await.unwrap();
    setup
        .add_participants(kim, cycle.id(), [id("ann")])
        .await
        .unwrap();
    setup.launch(kim, cycle.id()).await.unwrap();
    let reviews = setup.my_reviews(id("ann"), cycle.id()).await.unwrap();
    let review = reviews
        .into_iter()
        .find(|r| r.kind == ReviewKind::SelfReview)
        .unwrap();
    (setup, cycle, review)
}

/// Two submits of the same review at once: one wins, the other gets `Conflict`, and nothing is
/// half-written (the review and packet are exactly the winner's).
async fn race_two_submits(storage: Arc<dyn Storage>) {
    let (setup, cycle, review) = one_person_cycle(&storage).await;
    let events_before = storage
        .events(cycle.id(), None, 10_000)
        .await
        .unwrap()
        .len();

    let racing = Racing::new(Arc::clone(&storage), 2);
    let engine = Arc::new(
        Engine::builder()
            .storage(racing)
            .directory(directory())
            .build(),
    );
    let (a, b) = (Arc::clone(&engine), Arc::clone(&engine));
    let one = tokio::spawn(async move {
        a.submit_review(id("ann"), review.id, Some(answers("first", 4)))
            .await
    });
    let two = tokio::spawn(async move {
        b.submit_review(id("ann"), review.id, Some(answers("second", 2)))
            .await
    });
    let results = [one.await.unwrap(), two.await.unwrap()];
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one submit wins: {results:?}");
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Err(Error::Conflict { .. })))
            .count(),
        1,
        "the other conflicts"
    );
    let stored = setup.read_review(id("ann"), review.id).await.unwrap();
    assert_eq!(stored.state, ReviewState::Submitted);
    assert_eq!(
        &stored.answers, &winners[0].answers,
        "the stored answers are the winner's, whole"
    );
    let packet = setup
        .packet_of(id("kim"), cycle.id(), id("ann"))
        .await
        .unwrap();
    assert_eq!(
        packet.tally(ReviewKind::SelfReview).submitted,
        1,
        "counted once"
    );
    let events_after = storage
        .events(cycle.id(), None, 10_000)
        .await
        .unwrap()
        .len();
    assert_eq!(
        events_after,
        events_before + 1,
        "one submit's events, not two"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_submits_on_memory() {
    race_two_submits(Arc::new(MemoryStorage::new())).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_submits_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let storage = appraise::sql::SqliteStorage::open(dir.path().join("race.db"))
        .await
        .unwrap();
    race_two_submits(Arc::new(storage)).await;
}

/// The engine reads a review's packet and the scope of the review's cycle at once; should a
/// stored review name another cycle than its packet (a corrupt record), the packet's cycle
/// decides, as when the two were read one after the other: the permission check then refuses
/// the mismatch (a bad context), rather than the command failing on the review's missing cycle.
#[tokio::test]
async fn a_review_naming_another_cycle_than_its_packet_is_scoped_by_the_packet() {
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let (engine, cycle, view) = one_person_cycle(&storage).await;
    let key = RecordKey::Review(view.id);
    let Some(Versioned {
        version,
        record: Record::Review(review),
    }) = storage.get(key).await.unwrap()
    else {
        panic!("the self review is stored");
    };
    let mut json = serde_json::to_value(&review).unwrap();
    json["cycle"] = serde_json::json!(CycleId::from_key("nowhere"));
    let stray: appraise::Review = serde_json::from_value(json).unwrap();
    assert_ne!(stray.cycle(), cycle.id());
    storage
        .commit(Commit {
            writes: vec![appraise::plugin::Write::Put {
                record: Record::from(stray),
                expect: appraise::plugin::Expect::Version(version),
            }],
            events: vec![],
            outbox: vec![],
        })
        .await
        .unwrap();
    let refused = engine
        .submit_review(id("ann"), view.id, Some(answers("mine", 4)))
        .await;
    match refused {
        Err(Error::Denied(e)) => assert_eq!(e.decision().reason(), Reason::BadContext, "{e}"),
        other => panic!("expected a refusal for a bad context, got {other:?}"),
    }
    let packet = engine
        .packet_of(id("kim"), cycle.id(), id("ann"))
        .await
        .unwrap();
    assert_eq!(packet.tally(ReviewKind::SelfReview).submitted, 0);
}

#[tokio::test]
async fn a_notifier_failing_every_other_call_loses_and_duplicates_nothing() {
    let w = launched(RecordingNotifier::failing_every(2)).await;
    let packet = run_ann(&w).await;
    w.engine.share(id("bo"), packet).await.unwrap();
    let pending = w.storage.pending_outbox(1000).await.unwrap();
    assert!(!pending.is_empty(), "failures left notifications pending");
    let outbox: Vec<String> = w
        .storage
        .dump()
        .outbox
        .iter()
        .map(|(e, _)| e.notification.key.clone())
        .collect();
    for _ in 0..10 {
        if w.storage.pending_outbox(1000).await.unwrap().is_empty() {
            break;
        }
        w.engine.deliver_pending().await.unwrap();
    }
    assert!(
        w.storage.pending_outbox(1000).await.unwrap().is_empty(),
        "everything delivered in the end"
    );
    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for n in w.notifier.delivered() {
        *delivered.entry(n.key).or_default() += 1;
    }
    assert!(
        delivered.values().all(|&c| c == 1),
        "a key delivered twice: {delivered:?}"
    );
    let mut expected = outbox.clone();
    expected.sort();
    assert_eq!(
        delivered.keys().cloned().collect::<Vec<_>>(),
        expected,
        "every outbox entry delivered exactly once"
    );
    assert!(
        w.notifier.calls() > delivered.len() as u64,
        "some calls failed along the way"
    );
}

#[tokio::test]
async fn an_outage_keeps_notifications_until_the_notifier_recovers() {
    let w = launched(RecordingNotifier::new_failing()).await;
    run_ann(&w).await;
    assert!(w.notifier.delivered().is_empty());
    let pending = w.storage.pending_outbox(1000).await.unwrap().len();
    assert!(pending >= 7);
    let report = w.engine.deliver_pending().await.unwrap();
    assert_eq!(
        (report.delivered, report.failed),
        (0, pending),
        "still down: nothing lost, nothing sent"
    );
    w.notifier.set_fail_every(0);
    let report = w.engine.deliver_pending().await.unwrap();
    assert_eq!(report.delivered, pending);
    assert_eq!(
        w.engine.deliver_pending().await.unwrap().delivered,
        0,
        "nothing twice"
    );
}

#[tokio::test]
async fn approval_chains_notify_and_gate_sharing() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let config = CycleConfig::new("with approval", period()).with_settings(CycleSettings {
        approval_required: true,
        approval_chain: vec![appraise::ApprovalStep::ManagersManager],
        ..settings()
    });
    let cycle = e.create_cycle(id("kim"), config).await.unwrap();
    e.add_participants(id("kim"), cycle.id(), [id("ann")])
        .await
        .unwrap();
    e.launch(id("kim"), cycle.id()).await.unwrap();
    let packet = e.packet_of(id("kim"), cycle.id(), id("ann")).await.unwrap();
    e.close_nominations(id("kim"), packet.id()).await.unwrap();
    for r in e.my_reviews(id("ann"), cycle.id()).await.unwrap() {
        e.submit_review(id("ann"), r.id, None).await.unwrap();
    }
    let mr = e
        .my_reviews(id("bo"), cycle.id())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == id("ann"))
        .unwrap();
    e.submit_review(id("bo"), mr.id, None).await.unwrap();
    let approval: Vec<_> = w
        .notifier
        .delivered()
        .into_iter()
        .filter(|n| n.kind == NotificationKind::ApprovalNeeded)
        .collect();
    assert_eq!(
        approval.iter().map(|n| n.recipient).collect::<Vec<_>>(),
        vec![id("dana")]
    );
    refused!(
        w,
        e.share(id("bo"), packet.id()),
        Error::InvalidTransition { .. }
    );
    refused!(w, e.approve(id("bo"), packet.id()), Error::Denied(_));
    e.send_back(id("dana"), packet.id(), "add examples")
        .await
        .unwrap();
    assert_eq!(
        e.read_review(id("bo"), mr.id).await.unwrap().state,
        ReviewState::Draft
    );
    // A send-back notifies the manager who revises the review (DOMAIN.md, notifications).
    let sent_back: Vec<_> = w
        .notifier
        .delivered()
        .into_iter()
        .filter(|n| n.kind == NotificationKind::SentBack)
        .map(|n| n.recipient)
        .collect();
    assert_eq!(sent_back, vec![id("bo")]);
    e.submit_review(id("bo"), mr.id, None).await.unwrap();
    e.approve(id("dana"), packet.id()).await.unwrap();
    e.share(id("bo"), packet.id()).await.unwrap();
}

#[test]
fn csv_directory_parses_and_names_bad_lines() {
    let good = "id,name,email,manager_id,department,active\n\
                e1,Dana,dana@example.com,,Exec,true\n\
                e2,Bo,,e1,Eng,\n\
                e3,Ann,ann@example.com,e2,Eng,yes\n";
    let dir = StaticDirectory::from_csv_str(good).unwrap();
    let people = dir.people_list();
    assert_eq!(people.len(), 3);
    assert_eq!(people[2].manager, Some(PersonId::from_key("e2")));
    assert_eq!(people[0].email.as_deref(), Some("dana@example.com"));
    let bad =
        "id,name,email,manager_id,department,active\ne1,Dana,,,Exec,true\ne2,Bo,,e1,Eng,maybe\n";
    let err = StaticDirectory::from_csv_str(bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid line 3: `active` is `maybe`, expected true or false"
    );
    let ragged = "id,name,email,manager_id,department,active\ne1,Dana,,,Exec,true,extra\n";
    let err = StaticDirectory::from_csv_str(ragged).unwrap_err();
    assert!(err.to_string().starts_with("invalid line 2:"), "{err}");
}

#[tokio::test]
async fn csv_departments_get_their_top_member_as_head() {
    let text = "id,name,email,manager_id,department,active\n\
                e1,Dana,,,Exec,true\n\
                e2,Bo,,e1,Eng,true\n\
                e3,Ann,,e2,Eng,true\n";
    let dir = StaticDirectory::from_csv_str(text).unwrap();
    use appraise::plugin::Directory;
    let depts = dir.departments().await.unwrap();
    let eng = depts.iter().find(|d| d.name == "Eng").unwrap();
    assert_eq!(eng.head, Some(PersonId::from_key("e2")));
    let org = appraise::OrgSnapshot::build(dir.people().await.unwrap(), depts).unwrap();
    assert_eq!(
        org.department_head_of(PersonId::from_key("e3")),
        Some(PersonId::from_key("e2"))
    );
}

/// A lock racing a submit: the submit decided on the unlocked cycle, so it either lands before
/// the lock or fails with `Conflict`, never after the lock. (The first submit of a kind also
/// writes the cycle, so the lock may be the one to conflict; one of the two always lands.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_racing_a_lock_never_lands_after_it() {
    for _ in 0..20 {
        let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
        let (_, cycle, review) = one_person_cycle(&storage).await;
        let kim = id("kim");

        let racing = Racing::new(Arc::clone(&storage), 2);
        let engine = Arc::new(
            Engine::builder()
                .storage(racing)
                .directory(directory())
                .build(),
        );
        let (a, b) = (Arc::clone(&engine), Arc::clone(&engine));
        let cid = cycle.id();
        let submit = tokio::spawn(async move { a.submit_review(id("ann"), review.id, None).await });
        let lock = tokio::spawn(async move { b.lock(kim, cid).await });
        let (submit, lock) = (submit.await.unwrap(), lock.await.unwrap());
        match &lock {
            Ok(_) => {}
            Err(Error::Conflict { .. }) => {
                assert!(submit.is_ok(), "one of the two lands: {submit:?}");
                continue;
            }
            Err(other) => panic!("unexpected: {other}"),
        }
        let log = storage.events(cid, None, 10_000).await.unwrap();
        let seq_of = |pred: &dyn Fn(&appraise::EventKind) -> bool| {
            log.iter().find(|e| pred(&e.event.kind)).map(|e| e.seq)
        };
        let locked_at = seq_of(&|k| matches!(k, appraise::EventKind::CycleLocked)).unwrap();
        match submit {
            Ok(_) => {
                let submitted_at =
                    seq_of(&|k| matches!(k, appraise::EventKind::ReviewSubmitted { .. })).unwrap();
                assert!(submitted_at < locked_at, "a submit landed after the lock");
            }
            Err(Error::Conflict { .. }) => {
                assert!(
                    seq_of(&|k| matches!(k, appraise::EventKind::ReviewSubmitted { .. })).is_none()
                );
            }
            Err(other) => panic!("unexpected: {other}"),
        }
    }
}

/// Grants through the engine: only review admins manage them; each change reaches decisions at
/// once and is audited.
#[tokio::test]
async fn grants_through_the_engine() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let ann_packet = run_ann(&w).await;
    let _ = ann_packet;
    let ann_self = e
        .my_reviews(id("ann"), w.cycle)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == id("ann"))
        .unwrap();
    // fay holds no role towards ann's self review: for her it does not exist.
    assert!(matches!(
        e.read_review(id("fay"), ann_self.id).await,
        Err(Error::NotFound { .. })
    ));
    refused!(
        w,
        e.grant_global_viewer(id("lee"), id("fay"), id("ann")),
        Error::Denied(_)
    );
    e.grant_global_viewer(id("kim"), id("fay"), id("ann"))
        .await
        .unwrap();
    assert_eq!(
        e.read_review(id("fay"), ann_self.id)
            .await
            .unwrap()
            .allowed_by,
        appraise::access::Rule::Read(5)
    );
    e.revoke_global_viewer(id("kim"), id("fay"), id("ann"))
        .await
        .unwrap();
    assert!(e.read_review(id("fay"), ann_self.id).await.is_err());
    // A custom role with "view all reviews" for bo's subtree.
    let role = appraise::CustomRole {
        id: appraise::CustomRoleId::from_key("hrbp"),
        name: "HR business partner".into(),
        permissions: [appraise::Permission::ViewAllReviews].into_iter().collect(),
    };
    e.define_role(id("kim"), role.clone()).await.unwrap();
    e.grant_role(
        id("kim"),
        id("fay"),
        appraise::RoleGrant {
            role: role.id,
            cycles: appraise::CycleScope::All,
            people: appraise::PeopleScope::SubtreeOf(id("bo")),
        },
    )
    .await
    .unwrap();
    let why = e.explain_read(id("fay"), ann_self.id).await.unwrap();
    assert_eq!(
        why.to_string(),
        "R-READ-4 custom role `HR business partner`: fay may read this review for ann"
    );
    e.revoke_role(id("kim"), id("fay"), role.id).await.unwrap();
    // Admin grants: a second admin, then revoked.
    e.grant_admin(
        id("kim"),
        id("dana"),
        AdminGrant {
            since: w.clock.now(),
            past_cycles: false,
        },
    )
    .await
    .unwrap();
    assert!(
        e.read_review(id("dana"), ann_self.id).await.is_ok(),
        "dana reads through the chain anyway"
    );
    e.revoke_admin(id("kim"), id("dana")).await.unwrap();
    refused!(
        w,
        e.revoke_admin(id("kim"), id("dana")),
        Error::NotFound { .. }
    );
    // Past-review visibility only goes to the subject's default additional manager, and ann
    // has none in this directory.
    let err = refused!(
        w,
        e.grant_past_reviews(id("kim"), id("eve"), id("ann")),
        Error::Invalid { .. }
    );
    assert!(
        err.to_string().ends_with(
            "is not ann's default additional manager: only they can see all of ann's past reviews"
        ),
        "{err}"
    );
    // Bootstrapping makes the first admin only, and is idempotent for them.
    refused!(
        w,
        e.bootstrap_admin(
            id("ann"),
            AdminGrant {
                since: w.clock.now(),
                past_cycles: true
            }
        ),
        Error::Invalid { .. }
    );
    let before = w.storage.dump();
    let again = AdminGrant {
        since: w.clock.now(),
        past_cycles: true,
    };
    assert!(!e.bootstrap_admin(id("kim"), again).await.unwrap());
    assert_eq!(
        w.storage.dump(),
        before,
        "a repeated bootstrap changes nothing"
    );
}

/// No engine read without a reader: a participant's packet goes to the subject and to whoever
/// may view their progress (R-WRITE-15: admins, collaborators, the manager reviewer, the
/// manager chain), and to nobody else.
#[tokio::test]
async fn packet_of_is_for_the_subject_and_those_who_see_progress() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    for reader in ["ann", "bo", "dana", "kim", "lee"] {
        let packet = e.packet_of(id(reader), w.cycle, id("ann")).await;
        assert_eq!(
            packet.map(|p| p.subject()).ok(),
            Some(id("ann")),
            "{reader} reads ann's packet"
        );
    }
    for reader in ["cy", "fay"] {
        match e.packet_of(id(reader), w.cycle, id("ann")).await {
            Err(Error::Denied(why)) => {
                assert_eq!(why.action(), appraise::access::Action::ViewProgress)
            }
            other => panic!("{reader} must not read ann's packet: {other:?}"),
        }
    }
}

/// DOMAIN.md, lifecycle: after `close`, adding a viewer, assigning a peer and changing a
/// manager are refused and change nothing; sharing and acknowledging go on; reopening the
/// cycle (audited) lets the edits through again.
#[tokio::test]
async fn a_closed_cycle_refuses_edits_until_reopened() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let packet = run_ann(&w).await;
    e.close(id("kim"), w.cycle).await.unwrap();
    let before = w.storage.dump();
    let refusals = [
        e.add_viewer(id("kim"), packet, id("dana"))
            .await
            .map(|_| ()),
        e.assign_reviewer(id("kim"), packet, ReviewKind::Peer, id("lee"))
            .await
            .map(|_| ()),
        e.change_manager(id("kim"), packet, Some(id("dana")))
            .await
            .map(|_| ()),
    ];
    for refused in refusals {
        match refused {
            Err(Error::Denied(why)) => assert_eq!(
                why.to_string(),
                "R-WRITE closed refused: the cycle is closed; only sharing, acknowledging, the final meeting and reopening are accepted"
            ),
            other => panic!("expected the closed rule, got {other:?}"),
        }
    }
    assert_eq!(w.storage.dump(), before, "refused edits change nothing");
    e.share(id("bo"), packet).await.unwrap();
    e.acknowledge(id("ann"), packet, None).await.unwrap();
    assert!(matches!(
        e.reopen(id("ann"), w.cycle).await,
        Err(Error::Denied(_))
    ));
    let reopened = e.reopen(id("kim"), w.cycle).await.unwrap();
    assert_eq!(reopened.state(), appraise::CycleState::Active);
    e.add_viewer(id("kim"), packet, id("dana")).await.unwrap();
    let log = e.audit_log(id("kim"), w.cycle, None, 10_000).await.unwrap();
    assert!(
        log.iter()
            .any(|s| matches!(s.event.kind, appraise::EventKind::CycleReopened))
    );
}

/// Finds `author`'s live review of `kind` about `subject`, as an admin reads the list.
pub async fn review_of(
    w: &World,
    subject: &str,
    kind: ReviewKind,
    author: &str,
) -> appraise::ReviewView {
    w.engine
        .my_reviews(id(author), w.cycle)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == id(subject) && r.kind == kind && r.state != ReviewState::Cancelled)
        .unwrap()
}

/// DOMAIN.md, "every assignment can be added, removed or replaced": peers, additional
/// managers, viewers and sharing users are removed and replaced by admins; a removed writer's
/// unsubmitted review is cancelled and stays readable by its author only; a writer who
/// submitted cannot be removed; the subject cannot edit her own packet and a stranger learns
/// nothing; every refusal changes nothing.
#[tokio::test]
async fn every_assignment_can_be_removed_or_replaced() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let packet = packet_id(&w, "ann").await;
    for peer in ["cy", "eve"] {
        e.assign_reviewer(id("kim"), packet, ReviewKind::Peer, id(peer))
            .await
            .unwrap();
    }
    e.assign_reviewer(id("kim"), packet, ReviewKind::AdditionalManager, id("dana"))
        .await
        .unwrap();
    e.add_viewer(id("kim"), packet, id("dana")).await.unwrap();
    e.add_sharer(id("kim"), packet, id("fay")).await.unwrap();

    // Refusals first: each changes nothing.
    let cy = review_of(&w, "ann", ReviewKind::Peer, "cy").await;
    let before = w.storage.dump();
    assert!(matches!(
        e.remove_reviewer(id("ann"), cy.id).await,
        Err(Error::Denied(_))
    ));
    assert!(matches!(
        e.remove_reviewer(id("nobody"), cy.id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        e.remove_viewer(id("kim"), packet, id("fay")).await,
        Err(Error::Invalid { .. })
    ));
    let own = review_of(&w, "ann", ReviewKind::SelfReview, "ann").await;
    assert!(matches!(
        e.remove_reviewer(id("kim"), own.id).await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(w.storage.dump(), before, "refusals change nothing");

    // Removing cy cancels her review; she still reads it, kim does not.
    let after = e.remove_reviewer(id("kim"), cy.id).await.unwrap();
    assert_eq!(after.peers(), [id("eve")]);
    assert_eq!(
        e.read_review(id("cy"), cy.id).await.unwrap().state,
        ReviewState::Cancelled
    );
    assert!(e.read_review(id("kim"), cy.id).await.is_err());

    // Replacing eve by fay: eve's review is cancelled, fay gets a new one and is told.
    let eve = review_of(&w, "ann", ReviewKind::Peer, "eve").await;
    let new = e
        .replace_reviewer(id("kim"), eve.id, id("fay"))
        .await
        .unwrap();
    assert_eq!(
        (new.kind, new.author, new.state),
        (ReviewKind::Peer, Some(id("fay")), ReviewState::Assigned)
    );
    let packet_now = e.packet_of(id("kim"), w.cycle, id("ann")).await.unwrap();
    assert_eq!(packet_now.peers(), [id("fay")]);
    assert!(
        w.notifier
            .delivered()
            .iter()
            .any(|n| n.recipient == id("fay") && n.kind == NotificationKind::PeerAssigned)
    );

    // A writer who submitted stays (remove the feedback instead).
    e.submit_review(id("fay"), new.id, Some(answers("fay on ann", 4)))
        .await
        .unwrap();
    let before = w.storage.dump();
    assert!(matches!(
        e.remove_reviewer(id("kim"), new.id).await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(w.storage.dump(), before);

    // The additional manager, the viewer and the sharing user go too.
    let dana = review_of(&w, "ann", ReviewKind::AdditionalManager, "dana").await;
    let after = e.remove_reviewer(id("kim"), dana.id).await.unwrap();
    assert!(after.additional_managers().is_empty());
    e.remove_viewer(id("kim"), packet, id("dana"))
        .await
        .unwrap();
    let after = e.remove_sharer(id("kim"), packet, id("fay")).await.unwrap();
    assert!(after.viewers().is_empty() && after.sharers().is_empty());
}

/// DOMAIN.md, "change of manager reviewer only": the manager review moves to another writer
/// with the cancel-or-keep rule, and the org snapshot is untouched.
#[tokio::test]
async fn the_manager_reviewer_changes_without_changing_the_org() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let packet = packet_id(&w, "ann").await;
    let snapshot = e.storage().org(w.cycle).await.unwrap();
    let bo = review_of(&w, "ann", ReviewKind::Manager, "bo").await;
    let after = e
        .change_manager_reviewer(id("kim"), packet, Some(id("dana")))
        .await
        .unwrap();
    assert_eq!(after.manager(), Some(id("dana")));
    assert_eq!(
        e.read_review(id("bo"), bo.id).await.unwrap().state,
        ReviewState::Cancelled
    );
    let dana = review_of(&w, "ann", ReviewKind::Manager, "dana").await;
    assert_eq!(dana.state, ReviewState::Assigned);
    assert_eq!(
        e.storage().org(w.cycle).await.unwrap(),
        snapshot,
        "the org is untouched"
    );
    let log = e.audit_log(id("kim"), w.cycle, None, 10_000).await.unwrap();
    assert!(log.iter().any(|s| matches!(
        s.event.kind,
        appraise::EventKind::ManagerReviewerChanged { from: Some(f), to: Some(t), .. }
            if f == id("bo") && t == id("dana")
    )));
}

/// A directory whose people the test changes while the engine runs, as a host's HR system
/// does.
#[derive(Debug, Default)]
pub struct LiveDirectory {
    pub people: std::sync::Mutex<Vec<appraise::Person>>,
}

impl LiveDirectory {
    /// The people of [`directory`], and these.
    pub async fn with(more: Vec<Person>) -> Arc<Self> {
        let mut people = directory().people().await.unwrap();
        people.extend(more);
        Arc::new(Self {
            people: std::sync::Mutex::new(people),
        })
    }

    /// Someone joins the company.
    pub fn hire(&self, person: Person) {
        self.people.lock().unwrap().push(person);
    }

    pub fn set_additional_manager(&self, subject: &str, manager: Option<&str>) {
        let mut people = self.people.lock().unwrap();
        let p = people.iter_mut().find(|p| p.id == id(subject)).unwrap();
        p.additional_manager = manager.map(id);
    }
}

#[async_trait::async_trait]
impl appraise::plugin::Directory for LiveDirectory {
    async fn people(&self) -> appraise::Result<Vec<appraise::Person>> {
        Ok(self.people.lock().unwrap().clone())
    }
    async fn departments(&self) -> appraise::Result<Vec<appraise::Department>> {
        Ok(Vec::new())
    }
}

/// Two adds of one person at once, read before either writes: both make the packet
/// `PacketId::of` names, so one lands and the other conflicts; one packet, no cycle write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_adds_of_one_person_at_once_make_one_packet() {
    let w = launched(RecordingNotifier::new()).await;
    let cycle_version = w.storage.version(RecordKey::Cycle(w.cycle)).await.unwrap();
    let e = Arc::new(
        Engine::builder()
            .storage(Racing::new(Arc::clone(&w.storage), 2))
            .directory(directory())
            .clock(w.clock.clone())
            .build(),
    );
    let add = || {
        let (e, cycle) = (Arc::clone(&e), w.cycle);
        tokio::spawn(async move { e.add_participant(id("kim"), cycle, id("fay")).await })
    };
    let (a, b) = (add(), add());
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let lost = match (a, b) {
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => e,
        other => panic!("expected one to land and one to conflict, got {other:?}"),
    };
    assert!(matches!(lost, Error::Conflict { .. }), "{lost:?}");
    let packets = w.storage.packets(w.cycle, None, 100).await.unwrap();
    assert_eq!(
        packets
            .iter()
            .filter(|p| p.record.subject() == id("fay"))
            .count(),
        1
    );
    assert_eq!(
        w.storage.version(RecordKey::Cycle(w.cycle)).await.unwrap(),
        cycle_version,
        "the cycle record is not written"
    );
    // Added once, a person is refused the second time.
    assert!(matches!(
        w.engine
            .add_participant(id("kim"), w.cycle, id("fay"))
            .await,
        Err(Error::Invalid { .. })
    ));
}

/// DOMAIN.md, mid-cycle changes: a person hired after launch can be added; they join the
/// cycle's org snapshot from the directory (audited), under their manager, who then writes
/// their manager review. Someone the directory does not know is refused, and changes nothing.
#[tokio::test]
async fn a_person_hired_after_launch_joins_the_cycle() {
    let dir = LiveDirectory::with(Vec::new()).await;
    let w = launched_on(RecordingNotifier::new(), Arc::clone(&dir)).await;
    let e = &w.engine;
    let before = w.storage.dump();
    assert!(matches!(
        e.add_participant(id("kim"), w.cycle, id("gus")).await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(w.storage.dump(), before, "refused, nothing changed");
    dir.hire(Person::new(id("gus"), "gus").with_manager(id("bo")));
    let packet = e
        .add_participant(id("kim"), w.cycle, id("gus"))
        .await
        .unwrap();
    assert_eq!(packet.manager(), Some(id("bo")));
    let snapshot = e.storage().org(w.cycle).await.unwrap().record;
    assert_eq!(snapshot.manager_of(id("gus")), Some(id("bo")));
    assert!(snapshot.is_ancestor(id("dana"), id("gus")));
    let manager_review = review_of(&w, "gus", ReviewKind::Manager, "bo").await;
    assert_eq!(manager_review.state, ReviewState::Assigned);
    let log = e.audit_log(id("kim"), w.cycle, None, 10_000).await.unwrap();
    assert!(log.iter().any(|s| matches!(
        s.event.kind,
        appraise::EventKind::JoinedOrg { person, manager: Some(m) } if person == id("gus") && m == id("bo")
    )));
    // A hire whose manager is not in the snapshot is refused, naming the problem.
    dir.hire(Person::new(id("hal"), "hal").with_manager(id("zed")));
    assert!(matches!(
        e.add_participant(id("kim"), w.cycle, id("hal")).await,
        Err(Error::Org(_))
    ));
}

/// DOMAIN.md, events: a cycle edit keeps every changed field before and after, and the
/// participant list names who joined and who left it. A launched cycle keeps the templates it
/// froze and its kinds: a swap is refused and changes nothing.
#[tokio::test]
async fn cycle_edits_keep_before_and_after_and_launched_templates_stay() {
    use appraise::{Question, QuestionKind, Section, Template, TemplateId};
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let stricter = CycleConfig::new("H1 2026", period()).with_settings(CycleSettings {
        anonymity_threshold: 3,
        ..settings()
    });
    e.edit_cycle(id("kim"), w.cycle, stricter.clone())
        .await
        .unwrap();
    let log = e.audit_log(id("kim"), w.cycle, None, 10_000).await.unwrap();
    let changes = log
        .iter()
        .find_map(|s| match &s.event.kind {
            appraise::EventKind::CycleEdited { changes } => Some(changes.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        changes,
        [appraise::FieldChange {
            field: "settings.anonymity_threshold".into(),
            before: "2".into(),
            after: "3".into(),
        }]
    );
    let form = Template::new(TemplateId::from_key("form"), "form").section(
        Section::new("words", "Words").question(
            Question::new("say", "Say it", QuestionKind::FreeText { max_len: None })
                .answered_by([ReviewKind::Peer]),
        ),
    );
    e.create_template(id("kim"), form.clone()).await.unwrap();
    let before = w.storage.dump();
    for swap in [
        stricter.clone().with_template(form.id, [ReviewKind::Peer]),
        CycleConfig {
            kinds: appraise::ReviewKinds {
                upward: !stricter.kinds.upward,
                ..stricter.kinds
            },
            ..stricter.clone()
        },
    ] {
        assert!(matches!(
            e.edit_cycle(id("kim"), w.cycle, swap).await,
            Err(Error::Invalid { .. })
        ));
    }
    assert_eq!(w.storage.dump(), before, "refused edits change nothing");

    // A draft's participant list: who joined and who left.
    let draft = e
        .create_cycle(id("kim"), CycleConfig::new("H2 2026", period()))
        .await
        .unwrap();
    e.add_participants(id("kim"), draft.id(), [id("ann"), id("cy")])
        .await
        .unwrap();
    let log = e.audit_log(id("kim"), draft.id(), None, 100).await.unwrap();
    assert!(log.iter().any(|s| matches!(
        &s.event.kind,
        appraise::EventKind::ParticipantsSet { added, removed, count: 2 }
            if added.len() == 2 && removed.is_empty()
    )));
}

/// DOMAIN.md, leaver: the packets a leaver was the manager reviewer of are reported to the
/// admins as needing a new manager reviewer; a new one is then set without changing the org.
#[tokio::test]
async fn a_leaving_manager_reviewer_is_reported_to_admins() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    e.person_left(id("kim"), w.cycle, id("bo")).await.unwrap();
    let mut about: Vec<PersonId> = w
        .notifier
        .delivered()
        .iter()
        .filter(|n| n.kind == NotificationKind::ManagerReviewerNeeded)
        .map(|n| {
            assert_eq!(n.recipient, id("kim"));
            n.subject.unwrap()
        })
        .collect();
    about.sort();
    let mut want = vec![id("ann"), id("cy"), id("eve")];
    want.sort();
    assert_eq!(about, want);
    let packet = packet_id(&w, "ann").await;
    let after = e
        .change_manager_reviewer(id("kim"), packet, Some(id("dana")))
        .await
        .unwrap();
    assert_eq!(after.manager(), Some(id("dana")));
}

/// A participant's history across cycles (Ally: "view the feedback/ratings for current and
/// past review cycles"), each cycle through R-READ: ann sees her shared past results and only
/// her own review in the running cycle; lee, a collaborator of the first cycle only, sees that
/// one; kim, an admin of both, sees both; a stranger sees nothing.
#[tokio::test]
async fn a_participants_history_goes_through_r_read_in_every_cycle() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let first = run_ann(&w).await;
    e.share(id("bo"), first).await.unwrap();
    e.acknowledge(id("ann"), first, None).await.unwrap();
    e.close(id("kim"), w.cycle).await.unwrap();
    w.clock.advance(Duration::days(30));
    let second = e
        .create_cycle(
            id("kim"),
            CycleConfig::new("H2 2026", period()).with_settings(settings()),
        )
        .await
        .unwrap()
        .id();
    e.add_participants(id("kim"), second, [id("ann")])
        .await
        .unwrap();
    e.launch(id("kim"), second).await.unwrap();

    let cycles = |h: &[appraise::HistoryEntry]| h.iter().map(|x| x.cycle.id).collect::<Vec<_>>();
    let mut both = vec![w.cycle, second];
    both.sort();
    let ann = e.history(id("ann"), id("ann")).await.unwrap();
    assert_eq!(cycles(&ann), both);
    let past = ann.iter().find(|x| x.cycle.id == w.cycle).unwrap();
    assert_eq!(past.state, Some(appraise::PacketState::Acknowledged));
    assert!(past.score.is_some(), "shared results");
    assert!(past.reviews.iter().any(|r| r.kind == ReviewKind::Manager));
    let now = ann.iter().find(|x| x.cycle.id == second).unwrap();
    assert!(now.score.is_none(), "nothing shared yet");
    assert!(
        now.reviews.iter().all(|r| r.author == Some(id("ann"))),
        "only her own review: {:?}",
        now.reviews
    );
    assert_eq!(
        cycles(&e.history(id("lee"), id("ann")).await.unwrap()),
        [w.cycle]
    );
    assert_eq!(
        cycles(&e.history(id("kim"), id("ann")).await.unwrap()),
        both
    );
    assert!(e.history(id("nobody"), id("ann")).await.unwrap().is_empty());
}

/// DOMAIN.md, "View all peer responses": number-scale answers are summarised (count, mean,
/// lowest, highest, distribution) end to end, from a template's peer question to the view.
#[tokio::test]
async fn peer_number_answers_are_summarised_in_the_aggregated_view() {
    use appraise::{Question, QuestionKind, Section, Template, TemplateId};
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let form = Template::new(TemplateId::from_key("numbers"), "numbers")
        .section(
            Section::new("scale", "Scale").question(
                Question::new(
                    "impact",
                    "Impact, 0 to 10",
                    QuestionKind::NumberScale {
                        min: 0,
                        max: 10,
                        step: 1,
                    },
                )
                .answered_by([ReviewKind::Peer]),
            ),
        )
        .section(manager_summary());
    e.create_template(id("kim"), form.clone()).await.unwrap();
    let cycle = e
        .create_cycle(
            id("kim"),
            CycleConfig::new("numbers", period())
                .with_settings(settings())
                .with_template(form.id, [ReviewKind::Peer, ReviewKind::Manager]),
        )
        .await
        .unwrap()
        .id();
    e.add_participants(id("kim"), cycle, [id("ann")])
        .await
        .unwrap();
    e.launch(id("kim"), cycle).await.unwrap();
    let packet = e.packet_of(id("kim"), cycle, id("ann")).await.unwrap().id();
    for (peer, value) in [("cy", 6), ("eve", 4), ("fay", 6)] {
        let r = e
            .assign_reviewer(id("kim"), packet, ReviewKind::Peer, id(peer))
            .await
            .unwrap();
        let answers = Answers::new().with(QuestionId::from_key("impact"), Answer::Number(value));
        e.close_nominations(id("kim"), packet).await.ok();
        e.submit_review(id(peer), r.id, Some(answers))
            .await
            .unwrap();
    }
    let view = e
        .aggregated_responses(id("kim"), packet, ReviewKind::Peer)
        .await
        .unwrap();
    let impact = view.questions.iter().find(|q| q.key == "impact").unwrap();
    let numbers = impact.numbers.as_ref().unwrap();
    assert_eq!((numbers.count, numbers.min, numbers.max), (3, 4, 6));
    assert!((numbers.mean - 16.0 / 3.0).abs() < 1e-9);
    assert_eq!(numbers.distribution, [(4, 1), (6, 2)]);
}

/// Reliability finding: concurrent nominations of the same peer were all accepted (12 of 16
/// on SQLite), and past the maximum. Every nomination now writes the packet, so of four at
/// once exactly one lands and the others conflict.
#[tokio::test]
async fn concurrent_nominations_of_one_peer_admit_one() {
    let w = launched(RecordingNotifier::new()).await;
    let packet = w
        .engine
        .packet_of(id("kim"), w.cycle, id("ann"))
        .await
        .unwrap()
        .id();
    let racing = Racing::new(Arc::clone(&w.storage), 4);
    let engine = Arc::new(
        Engine::builder()
            .storage(racing)
            .directory(directory())
            .clock(w.clock.clone())
            .build(),
    );
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let e = Arc::clone(&engine);
            tokio::spawn(async move { e.nominate(id("ann"), packet, id("cy")).await })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(Error::Conflict { .. }))),
        "{results:?}"
    );
    assert_eq!(w.storage.nominations(packet).await.unwrap().len(), 1);
}

/// Reliability finding: unknown person ids were accepted as peer, additional manager, viewer,
/// sharing user and collaborator, and `person_left` audited a change for an unknown person;
/// the model test found the same of review admins. Each is refused now, naming the id, and
/// changes nothing; so are grants naming a person the directory does not know.
#[tokio::test]
async fn unknown_people_get_no_role() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let packet = packet_id(&w, "ann").await;
    let nobody = id("nobody");
    let before = w.storage.dump();
    let results = [
        e.assign_reviewer(id("kim"), packet, ReviewKind::Peer, nobody)
            .await
            .map(|_| ()),
        e.assign_reviewer(id("kim"), packet, ReviewKind::AdditionalManager, nobody)
            .await
            .map(|_| ()),
        e.add_viewer(id("kim"), packet, nobody).await.map(|_| ()),
        e.add_sharer(id("kim"), packet, nobody).await.map(|_| ()),
        e.add_collaborator(id("kim"), w.cycle, nobody)
            .await
            .map(|_| ()),
        // Grants too, to the grantee and about the subject.
        e.grant_admin(
            id("kim"),
            nobody,
            appraise::AdminGrant {
                since: w.clock.now(),
                past_cycles: false,
            },
        )
        .await,
        e.grant_global_viewer(id("kim"), nobody, id("ann")).await,
        e.grant_global_viewer(id("kim"), id("bo"), nobody).await,
        e.grant_past_reviews(id("kim"), id("bo"), nobody).await,
    ];
    for r in results {
        match r {
            Err(Error::Invalid { reason, .. }) => {
                assert!(reason.contains(&nobody.to_string()), "{reason}");
            }
            other => panic!("expected a refusal naming the id, got {other:?}"),
        }
    }
    assert!(matches!(
        e.person_left(id("kim"), w.cycle, nobody).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(w.storage.dump(), before, "refusals change nothing");
}

/// Reliability finding: a draft of 5,000 answers of 20,000 characters was accepted, names had
/// no length limit, and control characters and spreadsheet formulas passed into explanations
/// and the results export. Answers and names are limited (`Limits`, tunable), explanations
/// turn control characters into spaces, and export cells that start like a formula are
/// quoted.
#[tokio::test]
async fn inputs_are_limited_and_outputs_are_safe_to_open() {
    use appraise::memory::StaticDirectory;
    let mut people = directory().people().await.unwrap();
    for p in &mut people {
        if p.id == id("ann") {
            p.name = "=HYPERLINK(\"x\")\nann".into();
        }
    }
    let w = launched_on(
        RecordingNotifier::new(),
        StaticDirectory::new(people, vec![]),
    )
    .await;
    let e = &w.engine;
    let own = e
        .my_reviews(id("ann"), w.cycle)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == ReviewKind::SelfReview)
        .unwrap();
    let many = (0..300).fold(Answers::new(), |a, i| {
        a.with(
            QuestionId::from_key(&format!("q{i}")),
            Answer::Text("x".into()),
        )
    });
    let huge = (0..40).fold(Answers::new(), |a, i| {
        a.with(
            QuestionId::from_key(&format!("q{i}")),
            Answer::Text("y".repeat(19_000)),
        )
    });
    let before = w.storage.dump();
    for answers in [many, huge] {
        assert!(matches!(
            e.save_draft(id("ann"), own.id, answers).await,
            Err(Error::Invalid { .. })
        ));
    }
    let long = CycleConfig::new("n".repeat(500), period());
    assert!(matches!(
        e.create_cycle(id("kim"), long).await,
        Err(Error::Invalid { .. })
    ));
    let control = CycleConfig::new("H2\u{7}", period());
    assert!(matches!(
        e.create_cycle(id("kim"), control).await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(w.storage.dump(), before, "refusals change nothing");
    // ann's name holds a newline and starts like a formula.
    let why = e.explain_read(id("ann"), own.id).await.unwrap().to_string();
    assert!(!why.contains('\n'), "{why}");
    let mut csv = Vec::new();
    e.export_results_csv(id("kim"), w.cycle, &mut csv)
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"),
        "{csv}"
    );
    // A host may raise the limits.
    let roomy = Engine::builder()
        .limits(appraise::Limits {
            max_name_len: 1_000,
            ..appraise::Limits::default()
        })
        .build();
    roomy
        .bootstrap_admin(
            id("kim"),
            AdminGrant {
                since: roomy.now() - Duration::days(1),
                past_cycles: false,
            },
        )
        .await
        .unwrap();
    roomy
        .create_cycle(id("kim"), CycleConfig::new("n".repeat(500), period()))
        .await
        .unwrap();
}

/// Reliability finding: `edit_cycle` read the review counts before its commit, and a submit
/// does not otherwise change the cycle record, so an edit removing peer anonymity could land
/// beside the first peer review submitted under it. The first submit of a kind now writes the
/// cycle: racing, at most one of the two lands, and the settings stay as promised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loosening_edit_racing_the_first_submit_never_lands_beside_it() {
    let w = launched(RecordingNotifier::new()).await;
    let packet = w
        .engine
        .packet_of(id("kim"), w.cycle, id("ann"))
        .await
        .unwrap()
        .id();
    w.engine
        .assign_reviewer(id("kim"), packet, ReviewKind::Peer, id("cy"))
        .await
        .unwrap();
    let review = review_of(&w, "ann", ReviewKind::Peer, "cy").await;
    let config = w
        .storage
        .cycle(w.cycle)
        .await
        .unwrap()
        .record
        .config()
        .clone();
    assert!(config.settings.anonymous_peer);
    let loosened = CycleConfig {
        settings: appraise::CycleSettings {
            anonymous_peer: false,
            ..config.settings.clone()
        },
        ..config
    };
    let engine = Arc::new(
        Engine::builder()
            .storage(
                // The submit commits first: then the edit, checking only the cycle it read,
                // would land beside it unless the submit wrote the cycle.
                Racing::new(Arc::clone(&w.storage), 2).first(|c| {
                    c.writes
                        .iter()
                        .any(|w| matches!(w.key(), RecordKey::Review(_)))
                }),
            )
            .directory(directory())
            .clock(w.clock.clone())
            .build(),
    );
    let edit = {
        let e = Arc::clone(&engine);
        let cycle = w.cycle;
        tokio::spawn(async move { e.edit_cycle(id("kim"), cycle, loosened).await })
    };
    let submit = {
        let e = Arc::clone(&engine);
        tokio::spawn(async move {
            e.submit_review(id("cy"), review.id, Some(answers("cy on ann", 4)))
                .await
        })
    };
    let (edit, submit) = (edit.await.unwrap(), submit.await.unwrap());
    assert!(submit.is_ok(), "{submit:?}");
    assert!(
        matches!(edit, Err(Error::Conflict { .. })),
        "the edit landed beside the submit: {edit:?}"
    );
    let stored = w.storage.cycle(w.cycle).await.unwrap().record;
    {
        assert!(stored.settings().anonymous_peer, "the promise holds");
        assert!(stored.has_submitted(ReviewKind::Peer));
        // Once the submit landed, the same edit is refused outright.
        let again = w
            .engine
            .edit_cycle(id("kim"), w.cycle, {
                let mut c = stored.config().clone();
                c.settings.anonymous_peer = false;
                c
            })
            .await;
        assert!(matches!(again, Err(Error::Invalid { .. })), "{again:?}");
    }
}

/// Reliability finding (limits): a CSV import had no row or field limit. Both are limited
/// (`CsvLimits`, safe defaults), and the refusal names the line and the column.
#[test]
fn csv_imports_are_limited() {
    use appraise::memory::CsvLimits;
    let header = "id,name,email,manager_id,department,active\n";
    let long = format!("{header}e1,{},,,,true\n", "x".repeat(1_001));
    let err = StaticDirectory::from_csv_str(&long).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid line 2: `name` is 1001 characters (`xxxxxxxxxxxxxxxxxxxx…`); a field holds at most 1000"
    );
    let rows: String = (0..4).map(|i| format!("e{i},P{i},,,,true\n")).collect();
    let limits = CsvLimits {
        max_rows: 3,
        ..CsvLimits::default()
    };
    let err =
        StaticDirectory::from_csv_reader_limited(format!("{header}{rows}").as_bytes(), limits)
            .unwrap_err();
    assert_eq!(err.to_string(), "invalid line 5: more than 3 rows");
    let three: String = (0..3).map(|i| format!("e{i},P{i},,,,true\n")).collect();
    let ok =
        StaticDirectory::from_csv_reader_limited(format!("{header}{three}").as_bytes(), limits)
            .unwrap();
    assert_eq!(ok.people_list().len(), 3);
    let goals = "id,owner_id,title,progress,start,end\ng1,e1,".to_owned() + &"y".repeat(2_000);
    let err = StaticDirectory::default()
        .with_goals_csv_str(&(goals + ",10,2026-01-01,2026-06-30\n"))
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid goals line 2: `title` is 2000"),
        "{err}"
    );
}

/// Conflict handling (tooling finding): 24 of 30 parallel autosaves of one draft failed with
/// a conflict. A conflict wrote nothing, so `retry_conflicts` runs the command again; all 30
/// land, in some order, and the draft holds one of them whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_autosaves_all_land_with_retry_conflicts() {
    let w = launched(RecordingNotifier::new()).await;
    let own = review_of(&w, "ann", ReviewKind::SelfReview, "ann").await;
    let engine = Arc::new(w.engine.clone());
    let saves: Vec<_> = (0..30)
        .map(|i| {
            let e = Arc::clone(&engine);
            tokio::spawn(async move {
                appraise::retry_conflicts(1_000, || {
                    e.save_draft(id("ann"), own.id, answers(&format!("save {i}"), 3))
                })
                .await
            })
        })
        .collect();
    let mut landed = 0;
    for s in saves {
        s.await.unwrap().unwrap();
        landed += 1;
    }
    assert_eq!(landed, 30);
    let saved = w
        .storage
        .events(w.cycle, None, usize::MAX)
        .await
        .unwrap()
        .iter()
        .filter(|e| matches!(e.event.kind, appraise::EventKind::ReviewDraftSaved { .. }))
        .count();
    assert_eq!(saved, 30, "each save once");
    // Refusals are not retried: they come back at once.
    let mut calls = 0;
    let refused = appraise::retry_conflicts(5, || {
        calls += 1;
        w.engine
            .save_draft(id("cy"), own.id, answers("not mine", 3))
    })
    .await;
    assert!(refused.is_err() && !refused.unwrap_err().is_retryable());
    assert_eq!(calls, 1);
}

/// Found by the model-based test: declining an approved nomination cancelled the peer review
/// but left the nominee on the packet's list of peers, so a later nomination of the same
/// person could never be approved, and the packet still named them a peer.
#[tokio::test]
async fn a_peer_who_declined_can_be_nominated_and_approved_again() {
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let packet = packet_id(&w, "ann").await;
    let first = e.nominate(id("ann"), packet, id("cy")).await.unwrap();
    e.approve_nomination(id("bo"), first.id(), None)
        .await
        .unwrap();
    e.decline_nomination(id("cy"), first.id(), Some("too busy"))
        .await
        .unwrap();
    let stored = w.storage.packets(w.cycle, None, 10).await.unwrap();
    let ann = stored.iter().find(|p| p.record.id() == packet).unwrap();
    assert!(!ann.record.peers().contains(&id("cy")), "no longer a peer");
    let again = e.nominate(id("ann"), packet, id("cy")).await.unwrap();
    e.approve_nomination(id("bo"), again.id(), None)
        .await
        .expect("approved again");
    let live = w
        .storage
        .reviews_about(w.cycle, id("ann"))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.record.kind() == ReviewKind::Peer
                && r.record.author() == id("cy")
                && r.record.state() != ReviewState::Cancelled
        })
        .count();
    assert_eq!(live, 1);
}

/// For hosts (tooling finding): errors carry a stable code, an HTTP status and a retryable
/// flag, serialise for clients, and tell "never" from "not now"; a repeated transition says
/// what happened.
#[tokio::test]
async fn errors_carry_codes_statuses_and_whether_they_can_lift() {
    use appraise::access::Refusal;
    let w = launched(RecordingNotifier::new()).await;
    let e = &w.engine;
    let packet = packet_id(&w, "ann").await;
    // Never: nobody shares their own results.
    let own = e.share(id("ann"), packet).await.unwrap_err();
    assert_eq!((own.code(), own.http_status()), ("denied", 403));
    let Error::Denied(why) = &own else {
        panic!("{own:?}")
    };
    assert_eq!(why.refusal(), Refusal::Never);
    // Not now: the manager review waits for ann's self review.
    let manager_review = review_of(&w, "ann", ReviewKind::Manager, "bo").await;
    let gated = e
        .submit_review(id("bo"), manager_review.id, None)
        .await
        .unwrap_err();
    assert_eq!((gated.code(), gated.http_status()), ("not_now", 409));
    let json = serde_json::to_value(&gated).unwrap();
    assert_eq!(json["code"], "not_now");
    assert_eq!(json["status"], 409);
    assert_eq!(json["retryable"], false);
    assert_eq!(json["explanation"]["decision"]["reason"]["reason"], "gated");
    assert_eq!(json["message"], gated.to_string());
    // Not found, invalid, conflict, and a repeated transition.
    let missing = e
        .read_review(id("kim"), appraise::ReviewId::from_key("none"))
        .await
        .unwrap_err();
    assert_eq!((missing.code(), missing.http_status()), ("not_found", 404));
    let bad = e
        .create_cycle(id("kim"), CycleConfig::new(" ", period()))
        .await
        .unwrap_err();
    let json = serde_json::to_value(&bad).unwrap();
    assert_eq!(
        (json["code"].as_str(), json["field"].as_str()),
        (Some("invalid"), Some("name"))
    );
    assert_eq!(bad.http_status(), 422);
    let conflict = Error::Conflict {
        what: "packet",
        id: packet.to_string(),
    };
    assert!(conflict.is_retryable());
    assert_eq!((conflict.code(), conflict.http_status()), ("conflict", 409));
    let again = e.launch(id("kim"), w.cycle).await.unwrap_err();
    assert_eq!(again.to_string(), "cycle is already active");
    assert_eq!(again.code(), "invalid_transition");
}

/// Org import for real data (tooling finding): a row that does not read names its line, its
/// column and the value; the key-to-id mapping is public.
#[test]
fn csv_refusals_name_line_column_and_value() {
    let text = "id,name,email,manager_id,department,active,hired\n\
                e1,Dana,,,Exec,true,2026-01-05\n\
                e2,Bo,,e1,Eng,true,2026-13-01\n";
    let err = StaticDirectory::from_csv_str(text).unwrap_err().to_string();
    assert!(
        err == "invalid line 3: `hired` is `2026-13-01`, expected a date like 2026-01-31",
        "{err}"
    );
    let ok = StaticDirectory::from_csv_str(
        "id,name,email,manager_id,department,active\ne1,Dana,,,Exec,true\n",
    )
    .unwrap();
    assert_eq!(ok.people_list()[0].id, StaticDirectory::person_id("e1"));
    let goals = "id,owner_id,title,progress,start,end\ng1,e1,Ship,lots,2026-01-01,2026-06-30\n";
    let err = StaticDirectory::default()
        .with_goals_csv_str(goals)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "invalid goals line 2: `progress` is `lots`, expected a whole number 0–100"
    );
}
