//! Calibration commands: sessions, calibrated ratings, the report.

use crate::access::{Action, Target, authorize, authorize_calibration_report, own_results_hidden};
use crate::domain::calibration::{
    CalibrationEntry, CalibrationReport, CalibrationSession, calibration_report, open_session_of,
};
use crate::domain::vocab::Score;
use crate::plugin::{Expect, Record, RecordKey, Storage, Versioned};
use crate::{
    Answer, CalibrationSessionId, CycleId, Error, Packet, PacketId, PacketState, PersonId, Result,
    Review, ReviewKind, ReviewState,
};

use super::{Engine, Scope};
use crate::domain::score::{PerformanceTemplates, packet_breakdown};

impl Engine {
    /// Creates a calibration session of a cycle with its participants and contributors
    /// (R-WRITE-4).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] for a participant without a
    /// packet, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn create_calibration(
        &self,
        actor: PersonId,
        cycle: CycleId,
        name: &str,
        participants: impl IntoIterator<Item = PersonId> + Send,
        contributors: impl IntoIterator<Item = PersonId> + Send,
    ) -> Result<CalibrationSession> {
        replay!(self, actor);
        let scope = self.scope(cycle).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::ManageCalibration,
            Target::Cycle,
        )?;
        self.limits.check_name("session name", name)?;
        if !scope.cycle.record.settings().calibration {
            return Err(Error::invalid(
                "calibration",
                "the cycle does not calibrate",
            ));
        }
        let participants: std::collections::BTreeSet<PersonId> = participants.into_iter().collect();
        let contributors: std::collections::BTreeSet<PersonId> = contributors.into_iter().collect();
        self.check_calibration_members(&scope, &participants, &contributors)
            .await?;
        let (session, event) = CalibrationSession::create(
            CalibrationSessionId::random(),
            cycle,
            name,
            participants,
            contributors,
            actor,
            scope.now,
        );
        let mut tx = scope.tx();
        tx.event(event);
        tx.put(Record::from(session.clone()), Expect::Absent);
        self.finish(tx, actor, session).await
    }

    /// A session and its cycle's scope, once `actor` may manage the session (R-WRITE-4).
    async fn managed_session(
        &self,
        actor: PersonId,
        session: CalibrationSessionId,
    ) -> Result<(Scope, Versioned<CalibrationSession>)> {
        let session = self.session(session).await?;
        let scope = self.scope(session.record.cycle()).await?;
        authorize(
            &scope.ctx(),
            actor,
            Action::ManageCalibration,
            Target::Calibration(&session.record),
        )?;
        Ok((scope, session))
    }

    pub(super) async fn session(
        &self,
        id: CalibrationSessionId,
    ) -> Result<Versioned<CalibrationSession>> {
        let key = RecordKey::Calibration(id);
        match self.storage.get(key).await? {
            Some(Versioned {
                version,
                record: Record::Calibration(s),
            }) => Ok(Versioned {
                version,
                record: *s,
            }),
            _ => Err(key.not_found()),
        }
    }

    /// Opens a session (R-WRITE-4): its contributors may now calibrate its participants.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn open_calibration(
        &self,
        actor: PersonId,
        session: CalibrationSessionId,
    ) -> Result<CalibrationSession> {
        replay!(self, actor);
        let (scope, session) = self.managed_session(actor, session).await?;
        self.commit_change(actor, &scope, &session, |s| s.open(actor, scope.now))
            .await
    }

    /// Closes a session (R-WRITE-4): its participants' packets waiting in calibration move on
    /// (to approval, notifying the approver, or to ready to share).
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::InvalidTransition`], [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn close_calibration(
        &self,
        actor: PersonId,
        session: CalibrationSessionId,
    ) -> Result<CalibrationSession> {
        replay!(self, actor);
        let (scope, session) = self.managed_session(actor, session).await?;
        let mut s = session.record.clone();
        let event = s.close(actor, scope.now)?;
        let mut tx = scope.tx();
        tx.event(event);
        let settings = scope.cycle.record.settings().clone();
        let packets = self
            .packets_of(&scope.cycle.record, s.participants())
            .await?;
        for person in s.participants() {
            let Some(packet) = packets.get(person) else {
                continue;
            };
            if packet.record.state() != PacketState::Calibrating || packet.record.is_withdrawn() {
                continue;
            }
            let mut p = packet.record.clone();
            let moved = p.close_calibration(&settings, scope.snapshot()?, actor, scope.now)?;
            self.notify_approvers(&scope, &mut tx, &p, &moved)?;
            tx.event(moved);
            tx.put(Record::from(p), Expect::Version(packet.version));
        }
        tx.put(Record::from(s.clone()), Expect::Version(session.version));
        self.finish(tx, actor, s).await
    }

    /// Sets a participant's calibrated rating (R-WRITE-11: contributors of an open session
    /// including them, admins, collaborators). The audit event keeps the consolidated rating,
    /// the previous and new calibrated rating, who and when.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] off the scale or before the
    /// manager review, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn set_calibrated_rating(
        &self,
        actor: PersonId,
        packet: PacketId,
        rating: Score,
    ) -> Result<Packet> {
        replay!(self, actor);
        let (scope, packet) = self
            .authorized_packet(actor, packet, Action::ChangeCalibratedRating)
            .await?;
        let reviews = self
            .storage
            .reviews_about(packet.record.cycle(), packet.record.subject())
            .await?;
        let refs: Vec<&Review> = reviews.iter().map(|r| &r.record).collect();
        let original = packet_breakdown(&scope.cycle.record, &packet.record, &refs).consolidated;
        let subject = packet.record.subject();
        let name = scope
            .snapshot
            .as_ref()
            .and_then(|s| s.record.name(subject))
            .map_or_else(|| subject.to_string(), str::to_owned);
        let session =
            open_session_of(&scope.calibrations, scope.cycle.record.id(), subject, &name)?;
        let mut p = packet.record.clone();
        let event = p.set_calibrated(
            rating,
            original,
            &scope.cycle.record.settings().rating_scale,
            actor,
            scope.now,
        )?;
        let mut tx = scope.tx();
        // The session must still be open when this commits.
        if let Some(version) = scope.calibration_version(session.id()) {
            tx.read(
                RecordKey::Calibration(session.id()),
                Expect::Version(version),
            );
        }
        tx.event(event);
        tx.put(Record::from(p.clone()), Expect::Version(packet.version));
        self.finish(tx, actor, crate::views::packet(p, actor)).await
    }

    /// Changes a session's participants and contributors until it closes (R-WRITE-4). The
    /// event lists who came and who went.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::Locked`], [`Error::Invalid`] for a closed session or a
    /// participant of no packet, [`Error::Conflict`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn edit_calibration(
        &self,
        actor: PersonId,
        session: CalibrationSessionId,
        participants: impl IntoIterator<Item = PersonId> + Send,
        contributors: impl IntoIterator<Item = PersonId> + Send,
    ) -> Result<CalibrationSession> {
        replay!(self, actor);
        let participants: std::collections::BTreeSet<PersonId> = participants.into_iter().collect();
        let contributors: std::collections::BTreeSet<PersonId> = contributors.into_iter().collect();
        let (scope, session) = self.managed_session(actor, session).await?;
        self.check_calibration_members(&scope, &participants, &contributors)
            .await?;
        self.commit_change(actor, &scope, &session, |s| {
            s.set_members(participants, contributors, actor, scope.now)
        })
        .await
    }

    /// A session's rating distribution against the cycle's target, and its 9-box grid (when
    /// the template asks the manager for potential). For the session's contributors, admins
    /// and collaborators; a reader who is a participant of the session is left out of it until
    /// their results are shared.
    ///
    /// # Errors
    ///
    /// [`Error::Denied`], [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(actor = %actor, cycle = tracing::field::Empty, outcome = tracing::field::Empty, commit_us = tracing::field::Empty), err(level = "info"))]
    pub async fn calibration_report(
        &self,
        actor: PersonId,
        session: CalibrationSessionId,
    ) -> Result<CalibrationReport> {
        let session = self.session(session).await?;
        let scope = self.scope(session.record.cycle()).await?;
        let ctx = scope.ctx();
        authorize_calibration_report(&ctx, actor, &session.record)?;
        let cycle = &scope.cycle.record;
        let settings = cycle.settings();
        let potential_id = settings
            .potential_question
            .as_deref()
            .map(crate::QuestionId::from_key);
        let templates = PerformanceTemplates::of(cycle);
        let mut entries = Vec::new();
        let packets = self
            .packets_of(cycle, session.record.participants())
            .await?;
        for person in session.record.participants() {
            let Some(packet) = packets.get(person).map(|p| &p.record) else {
                continue;
            };
            // A reader's own rating and 9-box cell stay hidden from them until shared.
            if own_results_hidden(actor, packet) {
                continue;
            }
            let reviews = self.storage.reviews_about(cycle.id(), *person).await?;
            let refs: Vec<&Review> = reviews.iter().map(|r| &r.record).collect();
            let potential = potential_id.and_then(|q| {
                refs.iter()
                    .filter(|r| {
                        r.kind() == ReviewKind::Manager && r.state() == ReviewState::Submitted
                    })
                    .find_map(|r| match r.answers().get(q) {
                        Some(Answer::Rating(v)) => Some(*v),
                        _ => None,
                    })
            });
            entries.push(CalibrationEntry {
                person: *person,
                result: templates.breakdown(packet, &refs).result,
                potential,
            });
        }
        Ok(calibration_report(
            &entries,
            &settings.rating_scale,
            &settings.calibration_target,
            settings.calibration_tolerance,
        ))
    }
}

impl Engine {
    /// A calibration session's members: participants of the cycle (its list while a draft, its
    /// packets once launched), and contributors in its org snapshot.
    async fn check_calibration_members(
        &self,
        scope: &Scope,
        participants: &std::collections::BTreeSet<PersonId>,
        contributors: &std::collections::BTreeSet<PersonId>,
    ) -> Result<()> {
        for c in contributors {
            scope.known(*c)?;
        }
        let cycle = &scope.cycle.record;
        // A draft's participants are its list; a launched cycle's, its packets.
        let packets = if cycle.state() == crate::CycleState::Draft {
            None
        } else {
            Some(self.packets_of(cycle, participants).await?)
        };
        for p in participants {
            let takes_part = packets.as_ref().map_or_else(
                || cycle.participants().contains(p),
                |found| found.contains_key(p),
            );
            if !takes_part {
                return Err(Error::invalid(
                    "calibration",
                    format!("`{p}` is not a participant of the cycle"),
                ));
            }
        }
        Ok(())
    }
}
