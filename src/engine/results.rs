//! Results: score breakdowns, aggregated peer responses, the results export.

use crate::access::{Action, Target, authorize_packet, decide};
use crate::domain::score::ScoreBreakdown;
use crate::plugin::{Storage, StorageExt};
use crate::views::aggregate::{AggregatedView, aggregate};
use crate::views::results;
use crate::views::{CycleSummary, HistoryEntry, ReviewView};
use crate::{CycleId, Error, PacketId, PersonId, Result, Review, ReviewKind};

use super::{Engine, PAGE};

impl Engine {
    /// The participant's score breakdown: consolidated rating (manager's choice or formula),
    /// calibrated rating, result and band. Whoever may read the packet's manager review may see
    /// it (the subject once results are shared); without a manager review, whoever may view the
    /// participant's progress.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn score(&self, actor: PersonId, packet: PacketId) -> Result<ScoreBreakdown> {
        let (scope, packet) = self.packet_scope(packet).await?;
        let p = &packet.record;
        let reviews: Vec<Review> = self
            .storage
            .reviews_about(p.cycle(), p.subject())
            .await?
            .into_iter()
            .map(|r| r.record)
            .collect();
        results::score(&scope.ctx(), actor, &scope.cycle.record, p, &reviews)
    }

    /// A participant's history across current and past cycles (Ally: "view the
    /// feedback/ratings for current and past review cycles"): for each launched cycle with
    /// reviews about `subject`, the reviews `actor` may read, the packet state when they may
    /// see the packet, and the score when they may see it, each through R-READ in that cycle
    /// (an admin's grant may exclude past cycles; a former manager keeps what they wrote; a
    /// past-review grant reaches every cycle while its relation holds). Cycles where the
    /// reader sees nothing are left out; ordered by cycle id.
    ///
    /// ```
    /// # use appraise::{Engine, PersonId};
    /// # async fn past(engine: &Engine, bo: PersonId, ann: PersonId) -> appraise::Result<()> {
    /// for entry in engine.history(bo, ann).await? {
    ///     let score = entry.score.and_then(|s| s.result).map(|r| r.to_string());
    ///     println!("{}: {} reviews, result {score:?}", entry.cycle.name, entry.reviews.len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// A storage failure.
    #[tracing::instrument(skip_all, fields(actor = %actor, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn history(&self, actor: PersonId, subject: PersonId) -> Result<Vec<HistoryEntry>> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self.storage.cycles(after, PAGE).await?;
            for c in &page {
                if let Some(entry) = self.history_in(actor, c.record.id(), subject).await? {
                    out.push(entry);
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.record.id()),
                _ => return Ok(out),
            }
        }
    }

    /// One cycle of [`history`](Self::history), or `None` when the reader sees nothing there.
    async fn history_in(
        &self,
        actor: PersonId,
        cycle: CycleId,
        subject: PersonId,
    ) -> Result<Option<HistoryEntry>> {
        let stored = self.storage.reviews_about(cycle, subject).await?;
        let Some(first) = stored.first() else {
            return Ok(None);
        };
        let scope = self.scope(cycle).await?;
        let ctx = scope.ctx();
        let packet = self.storage.packet(first.record.packet()).await?.record;
        let reviews: Vec<Review> = stored.into_iter().map(|r| r.record).collect();
        let readable: Vec<ReviewView> = reviews
            .iter()
            .filter_map(|r| {
                let d = decide(&ctx, actor, Action::ReadReview, Target::Review(&packet, r));
                d.is_allowed()
                    .then(|| crate::views::view(&scope.cycle.record, scope.org(), r, d))
            })
            .collect();
        let state = authorize_packet(&ctx, actor, &packet)
            .is_ok()
            .then(|| packet.state());
        let score = results::score(&ctx, actor, &scope.cycle.record, &packet, &reviews).ok();
        if readable.is_empty() && state.is_none() && score.is_none() {
            return Ok(None);
        }
        Ok(Some(HistoryEntry {
            cycle: CycleSummary::new(&scope.cycle.record),
            state,
            reviews: readable,
            score,
        }))
    }

    /// "View all peer responses": the participant's peer or upward reviews aggregated per
    /// question, built only from reviews `actor` may read, with authors only where R-READ
    /// shows them (see [`aggregate`](crate::views::aggregate)).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for another kind or a cycle without a template for it,
    /// [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn aggregated_responses(
        &self,
        actor: PersonId,
        packet: PacketId,
        kind: ReviewKind,
    ) -> Result<AggregatedView> {
        if !kind.is_feedback() {
            return Err(Error::invalid(
                "kind",
                format!("only peer and upward responses are aggregated, not {kind}"),
            ));
        }
        let (scope, packet) = self.packet_scope(packet).await?;
        let cycle = &scope.cycle.record;
        let template = cycle.template_for(kind).ok_or_else(|| {
            Error::invalid(
                "kind",
                format!("the cycle has no template for {kind} reviews"),
            )
        })?;
        let reviews: Vec<Review> = self
            .storage
            .reviews_about(packet.record.cycle(), packet.record.subject())
            .await?
            .into_iter()
            .map(|r| r.record)
            .collect();
        Ok(aggregate(
            &scope.ctx(),
            actor,
            &packet.record,
            &reviews,
            kind,
            template,
            &cycle.settings().rating_scale,
        ))
    }

    /// Writes the cycle's results as CSV: one row per participant whose progress `actor` may
    /// view (admins and collaborators: everyone; managers: their teams), with each kind's
    /// rating, the consolidated and calibrated ratings, the result and its band, computed only
    /// from reviews `actor` may read. Returns the number of rows.
    ///
    /// Columns: `participant_id,name,state,self,manager,additional_manager,peer,upward,consolidated,calibrated,result,band`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for the cycle; [`Error::Backend`] when writing fails.
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn export_results_csv(
        &self,
        actor: PersonId,
        cycle: CycleId,
        writer: impl std::io::Write + Send,
    ) -> Result<usize> {
        let scope = self.scope(cycle).await?;
        let ctx = scope.ctx();
        let c = &scope.cycle.record;
        let snapshot = scope.snapshot()?;
        let mut out = csv::Writer::from_writer(writer);
        let io = |e: csv::Error| Error::Backend {
            source: Box::new(e),
        };
        out.write_record(results::RESULTS_HEADER).map_err(io)?;
        let mut rows = 0;
        let mut after = None;
        loop {
            let page = self.storage.packets(cycle, after, PAGE).await?;
            for p in &page {
                let p = &p.record;
                if !results::in_export(&ctx, actor, p) {
                    continue;
                }
                let reviews: Vec<Review> = self
                    .storage
                    .reviews_about(cycle, p.subject())
                    .await?
                    .into_iter()
                    .map(|r| r.record)
                    .collect();
                let Some(row) = results::results_row(&ctx, actor, c, snapshot, p, &reviews) else {
                    continue;
                };
                out.write_record(row.map(results::spreadsheet_safe))
                    .map_err(io)?;
                rows += 1;
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.record.id()),
                _ => break,
            }
        }
        out.flush().map_err(|e| Error::Backend {
            source: Box::new(e),
        })?;
        Ok(rows)
    }
}
