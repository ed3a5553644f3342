//! Running a command again after it lost an optimistic race.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Result;

/// Runs `command` until it returns anything but a retryable error
/// ([`Error::is_retryable`](crate::Error::is_retryable): a conflict), at most `attempts` times
/// in all, yielding to the runtime between attempts; the last result.
///
/// A conflict means the command wrote nothing because a record it relied on changed since it
/// read it, so running it again, which reads everything afresh and decides again, is always
/// safe. Other errors come back at once: a refusal will not change by retrying, and a backend
/// failure may have landed (retry those under an idempotency key,
/// [`Engine::with_key`](crate::Engine::with_key)). On SQLite, a database busy past its timeout
/// is a conflict too; SQLite itself has already retried with backoff within that time.
///
/// ```
/// # use appraise::{Answers, Engine, PersonId, ReviewId};
/// # async fn autosave(engine: &Engine, ann: PersonId, review: ReviewId, answers: Answers) -> appraise::Result<()> {
/// appraise::retry_conflicts(10, || engine.save_draft(ann, review, answers.clone())).await?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// The command's last error.
pub async fn retry_conflicts<T, F, Fut>(attempts: usize, mut command: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut left = attempts.max(1);
    loop {
        left -= 1;
        match command().await {
            Err(e) if e.is_retryable() && left > 0 => {
                tracing::info!(error = %e, attempts_left = left, "retrying after a conflict");
                YieldNow(false).await;
            }
            done => return done,
        }
    }
}

/// Gives the other tasks of the runtime a turn, whatever the runtime.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
