use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{Department, Goal, Period, Person, PersonId, Result};

/// The host's source of people: who exists, who manages whom, departments and their heads.
///
/// # Contract
///
/// - `people` returns everyone the org snapshot of a launching cycle may need: participants,
///   their manager chains, their reports, heads of departments. Returning the whole company is
///   fine; the snapshot is built in linear time.
/// - Ids are stable: the same person has the same [`PersonId`](crate::PersonId) in every call.
/// - Data need not be valid: the engine validates it when it builds the snapshot and refuses
///   loops, unknown managers and duplicates with an error naming the people.
/// - Errors are reported as [`Error::Backend`](crate::Error::Backend); the engine then changes
///   nothing.
#[async_trait]
pub trait Directory: Send + Sync + Debug + 'static {
    /// Every person.
    async fn people(&self) -> Result<Vec<Person>>;
    /// Every department, with its head.
    async fn departments(&self) -> Result<Vec<Department>>;

    /// The people with these ids, in any order; ids the directory does not know are left out.
    ///
    /// The engine asks for the subjects of past-review grants on each command while such
    /// grants exist, to learn who their default additional manager is now. The default reads
    /// [`people`](Self::people); a host whose directory is large or remote should answer from
    /// an index.
    async fn people_with_ids(&self, ids: &[PersonId]) -> Result<Vec<Person>> {
        let wanted: std::collections::HashSet<PersonId> = ids.iter().copied().collect();
        Ok(self
            .people()
            .await?
            .into_iter()
            .filter(|p| wanted.contains(&p.id))
            .collect())
    }

    /// The goals (OKRs, projects) that run at some point of `period`, of anyone: the engine
    /// freezes each participant's into their packet at launch, for the goals section. The
    /// default has none, for hosts without a goal system.
    async fn goals(&self, period: Period) -> Result<Vec<Goal>> {
        let _ = period;
        Ok(Vec::new())
    }
}

#[async_trait]
impl<T: Directory + ?Sized> Directory for Arc<T> {
    async fn people(&self) -> Result<Vec<Person>> {
        (**self).people().await
    }
    async fn departments(&self) -> Result<Vec<Department>> {
        (**self).departments().await
    }
    async fn people_with_ids(&self, ids: &[PersonId]) -> Result<Vec<Person>> {
        (**self).people_with_ids(ids).await
    }
    async fn goals(&self, period: Period) -> Result<Vec<Goal>> {
        (**self).goals(period).await
    }
}

#[async_trait]
impl<T: Directory + ?Sized> Directory for Box<T> {
    async fn people(&self) -> Result<Vec<Person>> {
        (**self).people().await
    }
    async fn departments(&self) -> Result<Vec<Department>> {
        (**self).departments().await
    }
    async fn people_with_ids(&self, ids: &[PersonId]) -> Result<Vec<Person>> {
        (**self).people_with_ids(ids).await
    }
    async fn goals(&self, period: Period) -> Result<Vec<Goal>> {
        (**self).goals(period).await
    }
}
