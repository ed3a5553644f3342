//! tracing: every engine method runs in a span named for it, with the actor, the cycle, the
//! outcome and the commit time; conflicts, retries, deliveries and refusals are events in it.
//! A small subscriber here records what the engine emits.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use appraise::memory::RecordingNotifier;
use appraise::{Error, retry_conflicts};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber, span};

use crate::engine::{id, launched, packet_id};

#[derive(Debug, Clone)]
struct SpanSeen {
    name: &'static str,
    meta: &'static Metadata<'static>,
    fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct EventSeen {
    span: Option<&'static str>,
    level: Level,
    fields: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
struct Seen {
    spans: Vec<SpanSeen>,
    events: Vec<EventSeen>,
}

/// Records spans with their fields (as recorded later too) and events with their span.
struct Capture {
    seen: Arc<Mutex<Seen>>,
    stack: Mutex<Vec<u64>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &span::Attributes<'_>) -> span::Id {
        let mut seen = SpanSeen {
            name: attrs.metadata().name(),
            meta: attrs.metadata(),
            fields: BTreeMap::new(),
        };
        attrs.record(&mut Fields(&mut seen.fields));
        let mut all = self.seen.lock().unwrap();
        all.spans.push(seen);
        span::Id::from_u64(all.spans.len() as u64)
    }
    fn record(&self, id: &span::Id, values: &span::Record<'_>) {
        let mut all = self.seen.lock().unwrap();
        let span = &mut all.spans[id.into_u64() as usize - 1];
        values.record(&mut Fields(&mut span.fields));
    }
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let current = self.stack.lock().unwrap().last().copied();
        let mut all = self.seen.lock().unwrap();
        let span = current.map(|i| all.spans[i as usize - 1].name);
        all.events.push(EventSeen {
            span,
            level: *event.metadata().level(),
            fields,
        });
    }
    fn current_span(&self) -> tracing_core::span::Current {
        match self.stack.lock().unwrap().last() {
            Some(&i) => {
                let meta = self.seen.lock().unwrap().spans[i as usize - 1].meta;
                tracing_core::span::Current::new(span::Id::from_u64(i), meta)
            }
            None => tracing_core::span::Current::none(),
        }
    }
    fn enter(&self, id: &span::Id) {
        self.stack.lock().unwrap().push(id.into_u64());
    }
    fn exit(&self, _: &span::Id) {
        self.stack.lock().unwrap().pop();
    }
}

/// Runs `body` on a runtime of this thread with the capturing subscriber, and what it saw.
fn traced(body: impl AsyncFnOnce()) -> Seen {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let capture = Capture {
        seen: Arc::clone(&seen),
        stack: Mutex::new(Vec::new()),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(capture, || rt.block_on(body()));
    Arc::try_unwrap(seen).unwrap().into_inner().unwrap()
}

#[test]
fn a_command_runs_in_a_span_with_actor_cycle_outcome_and_commit_time() {
    let mut cycle = String::new();
    let seen = traced(async || {
        let w = launched(RecordingNotifier::new()).await;
        cycle = w.cycle.to_string();
        let packet = packet_id(&w, "ann").await;
        w.engine
            .add_viewer(id("kim"), packet, id("eve"))
            .await
            .unwrap();
        // A self review submitted notifies the manager.
        let own = w.engine.my_reviews(id("ann"), w.cycle).await.unwrap();
        let own = own
            .iter()
            .find(|r| r.kind == appraise::ReviewKind::SelfReview)
            .unwrap();
        w.engine
            .submit_review(id("ann"), own.id, None)
            .await
            .unwrap();
    });
    let span = seen
        .spans
        .iter()
        .rfind(|s| s.name == "add_viewer")
        .expect("a span for the command");
    assert_eq!(span.fields["actor"], id("kim").to_string());
    assert_eq!(span.fields["cycle"], cycle);
    assert_eq!(span.fields["outcome"], "committed");
    assert!(span.fields["commit_us"].parse::<u64>().is_ok(), "{span:?}");
    // The commit is an event in it; a notification handed over is an event of the command
    // that made it.
    assert!(seen.events.iter().any(|e| e.span == Some("add_viewer")
        && e.fields.get("message").is_some_and(|m| m == "committed")));
    assert!(seen.events.iter().any(|e| {
        e.span == Some("submit_review")
            && e.fields
                .get("message")
                .is_some_and(|m| m == "notification delivered")
    }));
}

#[test]
fn refusals_failures_and_retries_are_events() {
    let seen = traced(async || {
        let w = launched(RecordingNotifier::new()).await;
        let packet = packet_id(&w, "ann").await;
        // Refused: ann may not share her own results.
        assert!(w.engine.share(id("ann"), packet).await.is_err());
        // A notifier that fails.
        w.notifier.set_fail_every(1);
        let own = w.engine.my_reviews(id("ann"), w.cycle).await.unwrap();
        let own = own
            .iter()
            .find(|r| r.kind == appraise::ReviewKind::SelfReview)
            .unwrap();
        w.engine
            .submit_review(id("ann"), own.id, None)
            .await
            .unwrap();
        // A command that loses a race once, retried.
        let mut first = true;
        let done: Result<(), Error> = retry_conflicts(3, || {
            let lost = std::mem::take(&mut first);
            async move {
                if lost {
                    Err(Error::Conflict {
                        what: "packet",
                        id: "p1".into(),
                    })
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert!(done.is_ok());
    });
    let refused = seen
        .events
        .iter()
        .find(|e| e.span == Some("share"))
        .expect("the refusal is an event of the command's span");
    assert_eq!(refused.level, Level::INFO);
    assert!(
        refused.fields["error"].contains("own packet"),
        "{refused:?}"
    );
    assert!(seen.events.iter().any(|e| {
        e.level == Level::WARN
            && e.fields
                .get("message")
                .is_some_and(|m| m == "the notifier refused a notification")
    }));
    assert!(seen.events.iter().any(|e| {
        e.fields
            .get("message")
            .is_some_and(|m| m == "retrying after a conflict")
    }));
}
