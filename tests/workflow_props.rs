//! Property tests of the workflow, through the engine: DOMAIN.md's invariants on random
//! command sequences, and reminders that never duplicate.

use std::collections::BTreeMap;

use appraise::{
    AdminGrant, Answers, CycleConfig, CycleSettings, Error, NotificationKind, ReviewKind,
    ReviewState, Template, TemplateId, Window, Windows,
};
use chrono::Duration;
use proptest::prelude::*;

use crate::engine::{id, period};
use crate::workflow::{W, launched, start};
use crate::world::config;

const PEOPLE: [&str; 8] = ["dana", "bo", "ann", "cy", "eve", "kim", "lee", "ivy"];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every write command of the engine, by index, as `actor`; returns whether it succeeded.
async fn command(w: &W, which: usize, actor: &str) -> Result<(), Error> {
    let e = &w.engine;
    let a = id(actor);
    let ann = e.packet_of(id("kim"), w.cycle, id("ann")).await?;
    let own = e
        .my_reviews(id("ann"), w.cycle)
        .await?
        .into_iter()
        .find(|r| r.kind == ReviewKind::SelfReview);
    let own = own.map(|r| r.id).unwrap_or_else(appraise::ReviewId::random);
    match which % 16 {
        0 => e
            .edit_cycle(a, w.cycle, CycleConfig::new("renamed", period()))
            .await
            .map(drop),
        1 => e.add_participant(a, w.cycle, id("ivy")).await.map(drop),
        2 => e.close(a, w.cycle).await.map(drop),
        3 => e.lock(a, w.cycle).await.map(drop),
        4 => e.nominate(a, ann.id(), id("eve")).await.map(drop),
        5 => e.close_nominations(a, ann.id()).await.map(drop),
        6 => e.save_draft(a, own, Answers::new()).await.map(drop),
        7 => e.submit_review(a, own, None).await.map(drop),
        8 => e.reopen_review(a, own).await.map(drop),
        9 => e.share(a, ann.id()).await.map(drop),
        10 => e.add_viewer(a, ann.id(), id("ivy")).await.map(drop),
        11 => e.open_manager_review(a, ann.id()).await.map(drop),
        12 => e.add_collaborator(a, w.cycle, id("dana")).await.map(drop),
        13 => e
            .change_manager(a, ann.id(), Some(id("dana")))
            .await
            .map(drop),
        14 => e.person_left(a, w.cycle, id("cy")).await,
        _ => e.send_reminder(a, own).await,
    }
}

proptest! {
    #![proptest_config(config())]

    /// Invariant: a locked cycle changes only by unlock. Whatever commands anyone runs on it,
    /// storage stays exactly as it was until someone unlocks it.
    #[test]
    fn invariant_a_locked_cycle_changes_only_by_unlock(
        steps in prop::collection::vec((0usize..16, 0usize..PEOPLE.len()), 1..12),
    ) {
        runtime().block_on(async {
            let w = launched(CycleSettings::default(), &["ann", "cy", "eve"]).await;
            w.engine.lock(id("lee"), w.cycle).await.unwrap();
            let before = w.storage.dump();
            for (which, actor) in steps {
                let result = command(&w, which, PEOPLE[actor]).await;
                prop_assert!(result.is_err(), "command {} by {} changed a locked cycle", which, PEOPLE[actor]);
                prop_assert_eq!(&w.storage.dump(), &before);
            }
            w.engine.unlock(id("lee"), w.cycle).await.unwrap();
            prop_assert_ne!(&w.storage.dump(), &before, "unlock changes it");
            Ok(())
        })?;
    }

    /// Invariant: collaborators never create or delete cycles or manage templates, whatever
    /// else they may do in their cycle.
    #[test]
    fn invariant_collaborators_never_create_delete_or_manage_templates(
        which in 0usize..4,
        name in "[a-z]{1,12}",
    ) {
        runtime().block_on(async {
            let w = launched(CycleSettings::default(), &["ann"]).await;
            let e = &w.engine;
            let draft = e.create_cycle(id("kim"), CycleConfig::new("draft", period())).await.unwrap();
            e.add_collaborator(id("kim"), draft.id(), id("lee")).await.unwrap();
            let before = w.storage.dump();
            let template = Template::new(TemplateId::from_key(&name), name.clone());
            let result = match which {
                0 => e.create_cycle(id("lee"), CycleConfig::new(name.clone(), period())).await.map(drop),
                1 => e.delete_cycle(id("lee"), draft.id()).await,
                2 => e.create_template(id("lee"), template).await.map(drop),
                _ => e.update_template(id("lee"), template).await.map(drop),
            };
            prop_assert!(matches!(result, Err(Error::Denied(_))), "{:?}", result);
            prop_assert_eq!(&w.storage.dump(), &before);
            // ... while they may edit their cycle.
            e.edit_cycle(id("lee"), draft.id(), CycleConfig::new(name, period())).await.unwrap();
            Ok(())
        })?;
    }

    /// Invariant: an admin whose grant excludes a cycle sees nothing of it through the grant:
    /// no review, no progress, no export row, no audit log; other relations still apply.
    #[test]
    fn invariant_an_admin_excluded_from_a_cycle_sees_nothing_of_it(
        as_who in prop::sample::select(vec!["ivy", "dana", "cy"]),
        later in 1i64..400,
    ) {
        runtime().block_on(async {
            let w = launched(CycleSettings::default(), &["ann", "eve"]).await;
            let e = &w.engine;
            w.write("ann", "bo", 4).await;
            let who = id(as_who);
            e.grant_admin(id("kim"), who, AdminGrant { since: w.clock.now_utc() + Duration::days(later), past_cycles: false }).await.unwrap();
            let reviews = e.my_reviews(id("ann"), w.cycle).await.unwrap();
            for r in &reviews {
                let read = e.read_review(who, r.id).await;
                // dana reads as ann's manager chain; the others have no relation.
                prop_assert_eq!(read.is_ok(), as_who == "dana" && r.state == ReviewState::Submitted);
                if let Ok(view) = read {
                    prop_assert_ne!(view.allowed_by, appraise::access::Rule::Read(4));
                }
            }
            prop_assert!(matches!(e.progress(who, w.cycle).await, Err(Error::Denied(_))));
            prop_assert!(matches!(e.audit_log(who, w.cycle, None, 10).await, Err(Error::Denied(_))));
            let mut out = Vec::new();
            let rows = e.export_results_csv(who, w.cycle, &mut out).await.unwrap();
            prop_assert_eq!(rows, if as_who == "dana" { 2 } else { 0 });
            prop_assert!(matches!(e.lock(who, w.cycle).await, Err(Error::Denied(_))));
            Ok(())
        })?;
    }

    /// Reminders never duplicate: whatever the clock does and however many ticks run (some of
    /// them at once), each (review, reminder kind) is notified at most once, and every due
    /// reminder is sent by the end.
    #[test]
    fn reminders_never_duplicate(
        hops in prop::collection::vec((0i64..6, 1usize..4), 1..8),
    ) {
        runtime().block_on(async {
            let windows = Windows::default().with(ReviewKind::SelfReview, Window { opens: start(), due: start() + Duration::days(10) });
            let settings = CycleSettings { windows, remind_days_before: Some(4), ..CycleSettings::default() };
            let w = launched(settings, &["ann", "cy", "eve"]).await;
            for (days, ticks) in hops {
                w.clock.advance(Duration::days(days));
                let runs: Vec<_> = (0..ticks).map(|_| w.engine.tick()).collect();
                for r in futures_join_all(runs).await {
                    r.unwrap();
                }
            }
            let mut per: BTreeMap<(appraise::PersonId, NotificationKind), usize> = BTreeMap::new();
            for n in w.notifier.delivered() {
                if matches!(n.kind, NotificationKind::ReminderBeforeDue | NotificationKind::ReminderOverdue) {
                    *per.entry((n.recipient, n.kind)).or_default() += 1;
                }
            }
            prop_assert!(per.values().all(|c| *c == 1), "a reminder twice: {:?}", per);
            // At the end, catch up: a final tick sends whatever is due, and only that.
            w.engine.tick().await.unwrap();
            let now = w.clock.now_utc();
            let due = start() + Duration::days(10);
            let final_kind = if now > due { Some(NotificationKind::ReminderOverdue) } else if now >= due - Duration::days(4) { Some(NotificationKind::ReminderBeforeDue) } else { None };
            if let Some(kind) = final_kind {
                let got = w.notifier.delivered().into_iter().filter(|n| n.kind == kind).count();
                prop_assert_eq!(got, 3, "each of the three authors reminded once");
            }
            Ok(())
        })?;
    }
}

/// Runs futures concurrently on the current task (a tiny `join_all`).
async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

trait NowUtc {
    fn now_utc(&self) -> chrono::DateTime<chrono::Utc>;
}

impl NowUtc for appraise::plugin::ManualClock {
    fn now_utc(&self) -> chrono::DateTime<chrono::Utc> {
        use appraise::plugin::Clock;
        self.now()
    }
}
