use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::Result;
use crate::domain::notification::Notification;

/// Delivers notifications (email, chat, push: the host decides).
///
/// # Contract
///
/// - `deliver` returns `Ok(())` only once the notification is accepted for delivery; then the
///   engine marks its outbox entry delivered and never hands that key over again (if marking
///   fails, the engine marks it later without handing it over).
/// - On `Err` the entry stays pending and [`Engine::deliver_pending`](crate::Engine::deliver_pending)
///   retries it later with the same [`key`](Notification::key).
/// - Engines sharing a storage claim each entry before handing it over, for the delivery lease
///   ([`EngineBuilder::delivery_lease`](crate::EngineBuilder::delivery_lease)), so no two hand
///   one over at once. A delivery slower than the lease, or a process that dies between a
///   successful delivery and its marking, can hand a key over a second time; a notifier that
///   must never notify twice remembers the keys it accepted and treats a repeat as success
///   without sending.
/// - Delivery happens after the commit that produced the notification: a notifier outage loses
///   nothing and never rolls back a change. A notifier that may hang should be given its own
///   timeout, or the engine built with
///   [`deferred_delivery`](crate::EngineBuilder::deferred_delivery): a command then never waits
///   for it.
#[async_trait]
pub trait Notifier: Send + Sync + Debug + 'static {
    /// Delivers one notification.
    async fn deliver(&self, notification: &Notification) -> Result<()>;
}

#[async_trait]
impl<T: Notifier + ?Sized> Notifier for Arc<T> {
    async fn deliver(&self, notification: &Notification) -> Result<()> {
        (**self).deliver(notification).await
    }
}

#[async_trait]
impl<T: Notifier + ?Sized> Notifier for Box<T> {
    async fn deliver(&self, notification: &Notification) -> Result<()> {
        (**self).deliver(notification).await
    }
}
