//! Commands and queries as data: one serde-tagged enum each, run by [`Engine::execute`] and
//! [`Engine::query`], answered with one serialisable [`Outcome`]. They call the typed methods,
//! so a command as data is checked, committed, traced and refused exactly as the method is.

use serde::{Deserialize, Serialize};

use crate::plugin::StoredEvent;
use crate::score::{Score, ScoreBreakdown};
use crate::views::aggregate::AggregatedView;
use crate::views::screens::{Cursor, Inbox, Preview, ReviewFilter, ReviewPage, StatusBoard};
use crate::{
    AdminGrant, Answers, CalibrationReport, CalibrationSession, CalibrationSessionId, CustomRole,
    CustomRoleId, Cycle, CycleConfig, CycleId, CycleSummary, Explanation, HistoryEntry, Nomination,
    NominationId, Packet, PacketId, PersonId, Progress, Result, ReviewId, ReviewKind, ReviewView,
    RoleGrant, TeamProgress, Template, TemplateId,
};

use super::{Engine, LaunchReport};

/// Every command a person gives the engine, as data: `{"command": "share", "packet": "…"}`.
///
/// The acting person is not part of the command: [`Engine::execute`] takes them apart, as
/// the typed methods do, so a host fills it in from its own authentication. Each variant is
/// the method of the same name (`share` is [`Engine::share`]) with the same arguments.
///
/// The host's scheduler runs [`Engine::tick`] and [`Engine::deliver_pending`], and the first
/// admin is made with [`Engine::bootstrap_admin`]: they act for nobody, so they are not
/// commands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Command {
    /// [`Engine::create_cycle`].
    CreateCycle {
        /// The cycle's settings.
        config: CycleConfig,
    },
    /// [`Engine::edit_cycle`].
    EditCycle {
        /// The cycle.
        cycle: CycleId,
        /// Its new settings.
        config: CycleConfig,
    },
    /// [`Engine::delete_cycle`].
    DeleteCycle {
        /// The cycle.
        cycle: CycleId,
    },
    /// [`Engine::add_participants`].
    AddParticipants {
        /// The cycle.
        cycle: CycleId,
        /// Who joins it.
        people: Vec<PersonId>,
    },
    /// [`Engine::lock`].
    Lock {
        /// The cycle.
        cycle: CycleId,
    },
    /// [`Engine::unlock`].
    Unlock {
        /// The cycle.
        cycle: CycleId,
    },
    /// [`Engine::close`].
    Close {
        /// The cycle.
        cycle: CycleId,
    },
    /// [`Engine::reopen`].
    Reopen {
        /// The cycle.
        cycle: CycleId,
    },
    /// [`Engine::add_collaborator`].
    AddCollaborator {
        /// The cycle.
        cycle: CycleId,
        /// The collaborator.
        person: PersonId,
    },
    /// [`Engine::remove_collaborator`].
    RemoveCollaborator {
        /// The cycle.
        cycle: CycleId,
        /// The collaborator.
        person: PersonId,
    },
    /// [`Engine::launch`].
    Launch {
        /// The cycle.
        cycle: CycleId,
    },
    /// [`Engine::create_template`].
    CreateTemplate {
        /// The template.
        template: Template,
    },
    /// [`Engine::update_template`].
    UpdateTemplate {
        /// The template.
        template: Template,
    },
    /// [`Engine::grant_admin`].
    GrantAdmin {
        /// The new review admin.
        person: PersonId,
        /// What they may administer.
        grant: AdminGrant,
    },
    /// [`Engine::revoke_admin`].
    RevokeAdmin {
        /// The review admin.
        person: PersonId,
    },
    /// [`Engine::grant_global_viewer`].
    GrantGlobalViewer {
        /// Who may view.
        viewer: PersonId,
        /// Whose reviews.
        subject: PersonId,
    },
    /// [`Engine::revoke_global_viewer`].
    RevokeGlobalViewer {
        /// Who viewed.
        viewer: PersonId,
        /// Whose reviews.
        subject: PersonId,
    },
    /// [`Engine::grant_past_reviews`].
    GrantPastReviews {
        /// Who may view.
        viewer: PersonId,
        /// Whose past reviews.
        subject: PersonId,
    },
    /// [`Engine::revoke_past_reviews`].
    RevokePastReviews {
        /// Who viewed.
        viewer: PersonId,
        /// Whose past reviews.
        subject: PersonId,
    },
    /// [`Engine::define_role`].
    DefineRole {
        /// The role.
        role: CustomRole,
    },
    /// [`Engine::grant_role`].
    GrantRole {
        /// Who gets the role.
        person: PersonId,
        /// The role and its scope.
        grant: RoleGrant,
    },
    /// [`Engine::revoke_role`].
    RevokeRole {
        /// Who held the role.
        person: PersonId,
        /// The role.
        role: CustomRoleId,
    },
    /// [`Engine::nominate`].
    Nominate {
        /// The packet of the subject.
        packet: PacketId,
        /// The peer nominated.
        nominee: PersonId,
    },
    /// [`Engine::approve_nomination`].
    ApproveNomination {
        /// The nomination.
        nomination: NominationId,
        /// Why, for the audit log.
        #[serde(default)]
        reason: Option<String>,
    },
    /// [`Engine::deny_nomination`].
    DenyNomination {
        /// The nomination.
        nomination: NominationId,
        /// Why, for the audit log.
        #[serde(default)]
        reason: Option<String>,
    },
    /// [`Engine::decline_nomination`].
    DeclineNomination {
        /// The nomination.
        nomination: NominationId,
        /// Why, for the audit log.
        #[serde(default)]
        reason: Option<String>,
    },
    /// [`Engine::close_nominations`].
    CloseNominations {
        /// The packet.
        packet: PacketId,
    },
    /// [`Engine::save_draft`].
    SaveDraft {
        /// The review.
        review: ReviewId,
        /// The answers so far.
        answers: Answers,
    },
    /// [`Engine::submit_review`].
    SubmitReview {
        /// The review.
        review: ReviewId,
        /// The final answers (none: the saved draft).
        #[serde(default)]
        answers: Option<Answers>,
    },
    /// [`Engine::approve`].
    Approve {
        /// The packet.
        packet: PacketId,
    },
    /// [`Engine::send_back`].
    SendBack {
        /// The packet.
        packet: PacketId,
        /// What to change.
        comment: String,
    },
    /// [`Engine::share`].
    Share {
        /// The packet.
        packet: PacketId,
    },
    /// [`Engine::unshare`].
    Unshare {
        /// The packet.
        packet: PacketId,
    },
    /// [`Engine::acknowledge`].
    Acknowledge {
        /// The packet.
        packet: PacketId,
        /// The subject's comment.
        #[serde(default)]
        comment: Option<String>,
    },
    /// [`Engine::record_meeting`].
    RecordMeeting {
        /// The packet.
        packet: PacketId,
    },
    /// [`Engine::add_participant`].
    AddParticipant {
        /// The cycle.
        cycle: CycleId,
        /// Who joins it.
        person: PersonId,
    },
    /// [`Engine::remove_participant`].
    RemoveParticipant {
        /// The cycle.
        cycle: CycleId,
        /// Who leaves it.
        person: PersonId,
    },
    /// [`Engine::person_left`].
    PersonLeft {
        /// The cycle.
        cycle: CycleId,
        /// Who left the company.
        person: PersonId,
    },
    /// [`Engine::change_manager`].
    ChangeManager {
        /// The packet of the report.
        packet: PacketId,
        /// The new manager (none: no manager).
        #[serde(default)]
        manager: Option<PersonId>,
    },
    /// [`Engine::change_manager_reviewer`].
    ChangeManagerReviewer {
        /// The packet.
        packet: PacketId,
        /// The new manager reviewer (none: no manager review).
        #[serde(default)]
        manager: Option<PersonId>,
    },
    /// [`Engine::add_viewer`].
    AddViewer {
        /// The packet.
        packet: PacketId,
        /// The viewer.
        person: PersonId,
    },
    /// [`Engine::remove_viewer`].
    RemoveViewer {
        /// The packet.
        packet: PacketId,
        /// The viewer.
        person: PersonId,
    },
    /// [`Engine::add_sharer`].
    AddSharer {
        /// The packet.
        packet: PacketId,
        /// Who may share the results.
        person: PersonId,
    },
    /// [`Engine::remove_sharer`].
    RemoveSharer {
        /// The packet.
        packet: PacketId,
        /// Who shared the results.
        person: PersonId,
    },
    /// [`Engine::assign_reviewer`].
    AssignReviewer {
        /// The packet.
        packet: PacketId,
        /// The kind of review.
        kind: ReviewKind,
        /// The writer.
        person: PersonId,
    },
    /// [`Engine::remove_reviewer`].
    RemoveReviewer {
        /// The review.
        review: ReviewId,
    },
    /// [`Engine::replace_reviewer`].
    ReplaceReviewer {
        /// The review.
        review: ReviewId,
        /// The new writer.
        person: PersonId,
    },
    /// [`Engine::open_manager_review`].
    OpenManagerReview {
        /// The packet.
        packet: PacketId,
    },
    /// [`Engine::reopen_review`].
    ReopenReview {
        /// The review.
        review: ReviewId,
    },
    /// [`Engine::remove_feedback`].
    RemoveFeedback {
        /// The review.
        review: ReviewId,
    },
    /// [`Engine::send_reminder`].
    SendReminder {
        /// The review.
        review: ReviewId,
    },
    /// [`Engine::create_calibration`].
    CreateCalibration {
        /// The cycle.
        cycle: CycleId,
        /// The session's name.
        name: String,
        /// Whose ratings it calibrates.
        participants: Vec<PersonId>,
        /// Who calibrates.
        contributors: Vec<PersonId>,
    },
    /// [`Engine::edit_calibration`].
    EditCalibration {
        /// The session.
        session: CalibrationSessionId,
        /// Whose ratings it calibrates.
        participants: Vec<PersonId>,
        /// Who calibrates.
        contributors: Vec<PersonId>,
    },
    /// [`Engine::open_calibration`].
    OpenCalibration {
        /// The session.
        session: CalibrationSessionId,
    },
    /// [`Engine::close_calibration`].
    CloseCalibration {
        /// The session.
        session: CalibrationSessionId,
    },
    /// [`Engine::set_calibrated_rating`].
    SetCalibratedRating {
        /// The packet.
        packet: PacketId,
        /// The calibrated rating.
        rating: Score,
    },
}

/// The default page size of the paged queries.
const fn page() -> usize {
    100
}

/// Every question a person asks the engine, as data: `{"query": "inbox"}`. Each variant is
/// the read method of the same name, answered through the same access rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Query {
    /// [`Engine::read_review`].
    ReadReview {
        /// The review.
        review: ReviewId,
    },
    /// [`Engine::explain_read`].
    ExplainRead {
        /// The review.
        review: ReviewId,
    },
    /// [`Engine::cycles`].
    Cycles,
    /// [`Engine::review_form`].
    ReviewForm {
        /// The review.
        review: ReviewId,
    },
    /// [`Engine::reviews_about`].
    ReviewsAbout {
        /// The cycle.
        cycle: CycleId,
        /// The subject.
        subject: PersonId,
    },
    /// [`Engine::my_reviews`].
    MyReviews {
        /// The cycle.
        cycle: CycleId,
    },
    /// [`Engine::packet_of`].
    PacketOf {
        /// The cycle.
        cycle: CycleId,
        /// The subject.
        subject: PersonId,
    },
    /// [`Engine::progress`].
    Progress {
        /// The cycle.
        cycle: CycleId,
    },
    /// [`Engine::team_progress`].
    TeamProgress {
        /// The cycle.
        cycle: CycleId,
        /// The manager.
        manager: PersonId,
    },
    /// [`Engine::audit_log`].
    AuditLog {
        /// The cycle.
        cycle: CycleId,
        /// Events after this sequence number.
        #[serde(default)]
        after: Option<u64>,
        /// At most this many (100 unless given).
        #[serde(default = "page")]
        limit: usize,
    },
    /// [`Engine::store_audit_log`].
    StoreAuditLog {
        /// Events after this sequence number.
        #[serde(default)]
        after: Option<u64>,
        /// At most this many (100 unless given).
        #[serde(default = "page")]
        limit: usize,
    },
    /// [`Engine::template`].
    Template {
        /// The template.
        template: TemplateId,
    },
    /// [`Engine::score`].
    Score {
        /// The packet.
        packet: PacketId,
    },
    /// [`Engine::history`].
    History {
        /// The subject.
        subject: PersonId,
    },
    /// [`Engine::aggregated_responses`].
    AggregatedResponses {
        /// The packet.
        packet: PacketId,
        /// The kind of review.
        kind: ReviewKind,
    },
    /// [`Engine::calibration_report`].
    CalibrationReport {
        /// The session.
        session: CalibrationSessionId,
    },
    /// [`Engine::export_results_csv`], the CSV as text.
    ExportResultsCsv {
        /// The cycle.
        cycle: CycleId,
    },
    /// [`Engine::readable_reviews`].
    ReadableReviews {
        /// The cycle.
        cycle: CycleId,
        /// Which reviews (all unless given).
        #[serde(default)]
        filter: ReviewFilter,
        /// The cursor of the previous page.
        #[serde(default)]
        after: Option<Cursor>,
        /// At most this many (100 unless given).
        #[serde(default = "page")]
        limit: usize,
    },
    /// [`Engine::status_board`].
    StatusBoard {
        /// The cycle.
        cycle: CycleId,
        /// The manager whose team it shows.
        manager: PersonId,
    },
    /// [`Engine::inbox`].
    Inbox,
    /// [`Engine::preview`].
    Preview {
        /// The command to preview.
        command: Box<Command>,
    },
}

/// What a [`Command`] or [`Query`] returned: `{"outcome": "packet", "value": {…}}`, `value`
/// being exactly what the typed method returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "outcome", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The command was done; it returns nothing.
    Done,
    /// A cycle.
    Cycle(Box<Cycle>),
    /// A packet.
    Packet(Box<Packet>),
    /// A review, as the actor may read it.
    Review(Box<ReviewView>),
    /// Reviews, as the actor may read them.
    Reviews(Vec<ReviewView>),
    /// A nomination.
    Nomination(Box<Nomination>),
    /// A template.
    Template(Box<Template>),
    /// A calibration session.
    Calibration(Box<CalibrationSession>),
    /// What a launch made.
    Launch(LaunchReport),
    /// Why the actor may or may not read a review.
    Explanation(Box<Explanation>),
    /// The cycles the actor takes part in.
    Cycles(Vec<CycleSummary>),
    /// A cycle's progress.
    Progress(Box<Progress>),
    /// A team's progress.
    TeamProgress(Box<TeamProgress>),
    /// Audit events.
    Events(Vec<StoredEvent>),
    /// A packet's score.
    Score(Box<ScoreBreakdown>),
    /// A participant's history.
    History(Vec<HistoryEntry>),
    /// Peer (or other) responses, aggregated.
    Aggregated(Box<AggregatedView>),
    /// A calibration report.
    CalibrationReport(Box<CalibrationReport>),
    /// A results export.
    Csv {
        /// Rows written, without the header.
        rows: usize,
        /// The CSV text.
        csv: String,
    },
    /// A page of readable reviews.
    ReviewPage(Box<ReviewPage>),
    /// A team's status board.
    StatusBoard(Box<StatusBoard>),
    /// A person's inbox.
    Inbox(Box<Inbox>),
    /// What a change would do to who reads what.
    Preview(Box<Preview>),
}

impl Engine {
    /// Runs `command` for `actor`: the typed method of the same name, its outcome as data.
    /// Through [`with_key`](Self::with_key), under the handle's idempotency key.
    ///
    /// ```
    /// # use appraise::{AdminGrant, Command, Engine, Outcome, PersonId};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), appraise::Error> {
    /// # let engine = Engine::new();
    /// # let kim = PersonId::from_key("kim");
    /// # engine.bootstrap_admin(kim, AdminGrant { since: engine.now() - chrono::Duration::days(1), past_cycles: false }).await?;
    /// let command: Command = serde_json::from_str(
    ///     r#"{"command": "create_cycle",
    ///         "config": {"name": "H1", "period": {"start": "2026-01-01", "end": "2026-06-30"}}}"#,
    /// ).unwrap();
    /// let Outcome::Cycle(cycle) = engine.execute(kim, command).await? else { unreachable!() };
    /// assert_eq!(cycle.config().name, "H1");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Those of the method.
    pub async fn execute(&self, actor: PersonId, command: Command) -> Result<Outcome> {
        use Command as C;
        let packet = |p: Packet| Outcome::Packet(Box::new(p));
        let cycle = |c: Cycle| Outcome::Cycle(Box::new(c));
        let review = |r: ReviewView| Outcome::Review(Box::new(r));
        let nomination = |n: Nomination| Outcome::Nomination(Box::new(n));
        let calibration = |s: CalibrationSession| Outcome::Calibration(Box::new(s));
        let done = |(): ()| Outcome::Done;
        Ok(match command {
            C::CreateCycle { config } => cycle(self.create_cycle(actor, config).await?),
            C::EditCycle { cycle: id, config } => cycle(self.edit_cycle(actor, id, config).await?),
            C::DeleteCycle { cycle } => done(self.delete_cycle(actor, cycle).await?),
            C::AddParticipants { cycle: id, people } => {
                cycle(self.add_participants(actor, id, people).await?)
            }
            C::Lock { cycle: id } => cycle(self.lock(actor, id).await?),
            C::Unlock { cycle: id } => cycle(self.unlock(actor, id).await?),
            C::Close { cycle: id } => cycle(self.close(actor, id).await?),
            C::Reopen { cycle: id } => cycle(self.reopen(actor, id).await?),
            C::AddCollaborator { cycle: id, person } => {
                cycle(self.add_collaborator(actor, id, person).await?)
            }
            C::RemoveCollaborator { cycle: id, person } => {
                cycle(self.remove_collaborator(actor, id, person).await?)
            }
            C::Launch { cycle } => Outcome::Launch(self.launch(actor, cycle).await?),
            C::CreateTemplate { template } => {
                Outcome::Template(Box::new(self.create_template(actor, template).await?))
            }
            C::UpdateTemplate { template } => {
                Outcome::Template(Box::new(self.update_template(actor, template).await?))
            }
            C::GrantAdmin { person, grant } => done(self.grant_admin(actor, person, grant).await?),
            C::RevokeAdmin { person } => done(self.revoke_admin(actor, person).await?),
            C::GrantGlobalViewer { viewer, subject } => {
                done(self.grant_global_viewer(actor, viewer, subject).await?)
            }
            C::RevokeGlobalViewer { viewer, subject } => {
                done(self.revoke_global_viewer(actor, viewer, subject).await?)
            }
            C::GrantPastReviews { viewer, subject } => {
                done(self.grant_past_reviews(actor, viewer, subject).await?)
            }
            C::RevokePastReviews { viewer, subject } => {
                done(self.revoke_past_reviews(actor, viewer, subject).await?)
            }
            C::DefineRole { role } => done(self.define_role(actor, role).await?),
            C::GrantRole { person, grant } => done(self.grant_role(actor, person, grant).await?),
            C::RevokeRole { person, role } => done(self.revoke_role(actor, person, role).await?),
            C::Nominate { packet, nominee } => {
                nomination(self.nominate(actor, packet, nominee).await?)
            }
            C::ApproveNomination {
                nomination: id,
                reason,
            } => nomination(
                self.approve_nomination(actor, id, reason.as_deref())
                    .await?,
            ),
            C::DenyNomination {
                nomination: id,
                reason,
            } => nomination(self.deny_nomination(actor, id, reason.as_deref()).await?),
            C::DeclineNomination {
                nomination: id,
                reason,
            } => nomination(
                self.decline_nomination(actor, id, reason.as_deref())
                    .await?,
            ),
            C::CloseNominations { packet: id } => packet(self.close_nominations(actor, id).await?),
            C::SaveDraft {
                review: id,
                answers,
            } => review(self.save_draft(actor, id, answers).await?),
            C::SubmitReview {
                review: id,
                answers,
            } => review(self.submit_review(actor, id, answers).await?),
            C::Approve { packet: id } => packet(self.approve(actor, id).await?),
            C::SendBack {
                packet: id,
                comment,
            } => packet(self.send_back(actor, id, &comment).await?),
            C::Share { packet: id } => packet(self.share(actor, id).await?),
            C::Unshare { packet: id } => packet(self.unshare(actor, id).await?),
            C::Acknowledge {
                packet: id,
                comment,
            } => packet(self.acknowledge(actor, id, comment.as_deref()).await?),
            C::RecordMeeting { packet: id } => packet(self.record_meeting(actor, id).await?),
            C::AddParticipant { cycle, person } => {
                packet(self.add_participant(actor, cycle, person).await?)
            }
            C::RemoveParticipant { cycle, person } => {
                packet(self.remove_participant(actor, cycle, person).await?)
            }
            C::PersonLeft { cycle, person } => done(self.person_left(actor, cycle, person).await?),
            C::ChangeManager {
                packet: id,
                manager,
            } => packet(self.change_manager(actor, id, manager).await?),
            C::ChangeManagerReviewer {
                packet: id,
                manager,
            } => packet(self.change_manager_reviewer(actor, id, manager).await?),
            C::AddViewer { packet: id, person } => {
                packet(self.add_viewer(actor, id, person).await?)
            }
            C::RemoveViewer { packet: id, person } => {
                packet(self.remove_viewer(actor, id, person).await?)
            }
            C::AddSharer { packet: id, person } => {
                packet(self.add_sharer(actor, id, person).await?)
            }
            C::RemoveSharer { packet: id, person } => {
                packet(self.remove_sharer(actor, id, person).await?)
            }
            C::AssignReviewer {
                packet,
                kind,
                person,
            } => review(self.assign_reviewer(actor, packet, kind, person).await?),
            C::RemoveReviewer { review } => packet(self.remove_reviewer(actor, review).await?),
            C::ReplaceReviewer { review: id, person } => {
                review(self.replace_reviewer(actor, id, person).await?)
            }
            C::OpenManagerReview { packet: id } => {
                packet(self.open_manager_review(actor, id).await?)
            }
            C::ReopenReview { review: id } => review(self.reopen_review(actor, id).await?),
            C::RemoveFeedback { review: id } => review(self.remove_feedback(actor, id).await?),
            C::SendReminder { review } => done(self.send_reminder(actor, review).await?),
            C::CreateCalibration {
                cycle,
                name,
                participants,
                contributors,
            } => calibration(
                self.create_calibration(actor, cycle, &name, participants, contributors)
                    .await?,
            ),
            C::EditCalibration {
                session,
                participants,
                contributors,
            } => calibration(
                self.edit_calibration(actor, session, participants, contributors)
                    .await?,
            ),
            C::OpenCalibration { session } => {
                calibration(self.open_calibration(actor, session).await?)
            }
            C::CloseCalibration { session } => {
                calibration(self.close_calibration(actor, session).await?)
            }
            C::SetCalibratedRating { packet: id, rating } => {
                packet(self.set_calibrated_rating(actor, id, rating).await?)
            }
        })
    }

    /// Answers `query` for `reader`: the read method of the same name, its answer as data.
    ///
    /// # Errors
    ///
    /// Those of the method.
    pub async fn query(&self, reader: PersonId, query: Query) -> Result<Outcome> {
        use Query as Q;
        Ok(match query {
            Q::ReadReview { review } => {
                Outcome::Review(Box::new(self.read_review(reader, review).await?))
            }
            Q::ExplainRead { review } => {
                Outcome::Explanation(Box::new(self.explain_read(reader, review).await?))
            }
            Q::Cycles => Outcome::Cycles(self.cycles(reader).await?),
            Q::ReviewForm { review } => {
                Outcome::Template(Box::new(self.review_form(reader, review).await?))
            }
            Q::ReviewsAbout { cycle, subject } => {
                Outcome::Reviews(self.reviews_about(reader, cycle, subject).await?)
            }
            Q::MyReviews { cycle } => Outcome::Reviews(self.my_reviews(reader, cycle).await?),
            Q::PacketOf { cycle, subject } => {
                Outcome::Packet(Box::new(self.packet_of(reader, cycle, subject).await?))
            }
            Q::Progress { cycle } => {
                Outcome::Progress(Box::new(self.progress(reader, cycle).await?))
            }
            Q::TeamProgress { cycle, manager } => {
                Outcome::TeamProgress(Box::new(self.team_progress(reader, cycle, manager).await?))
            }
            Q::AuditLog {
                cycle,
                after,
                limit,
            } => Outcome::Events(self.audit_log(reader, cycle, after, limit).await?),
            Q::StoreAuditLog { after, limit } => {
                Outcome::Events(self.store_audit_log(reader, after, limit).await?)
            }
            Q::Template { template } => {
                Outcome::Template(Box::new(self.template(reader, template).await?))
            }
            Q::Score { packet } => Outcome::Score(Box::new(self.score(reader, packet).await?)),
            Q::History { subject } => Outcome::History(self.history(reader, subject).await?),
            Q::AggregatedResponses { packet, kind } => Outcome::Aggregated(Box::new(
                self.aggregated_responses(reader, packet, kind).await?,
            )),
            Q::CalibrationReport { session } => Outcome::CalibrationReport(Box::new(
                self.calibration_report(reader, session).await?,
            )),
            Q::ExportResultsCsv { cycle } => {
                let mut out = Vec::new();
                let rows = self.export_results_csv(reader, cycle, &mut out).await?;
                let csv = String::from_utf8(out).map_err(|e| crate::Error::Backend {
                    source: Box::new(e),
                })?;
                Outcome::Csv { rows, csv }
            }
            Q::ReadableReviews {
                cycle,
                filter,
                after,
                limit,
            } => Outcome::ReviewPage(Box::new(
                self.readable_reviews(reader, cycle, filter, after, limit)
                    .await?,
            )),
            Q::StatusBoard { cycle, manager } => {
                Outcome::StatusBoard(Box::new(self.status_board(reader, cycle, manager).await?))
            }
            Q::Inbox => Outcome::Inbox(Box::new(self.inbox(reader).await?)),
            Q::Preview { command } => {
                Outcome::Preview(Box::new(self.preview(reader, *command).await?))
            }
        })
    }
}
