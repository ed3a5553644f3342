//! insta snapshots: the 12-person read matrix with explanations, error messages, transition
//! tables.

use std::fmt::Write as _;

use appraise::access::{Action, Context, Rule, Target, decide, explain};
use appraise::transition::{State, render};
use appraise::{
    AdminGrant, ApprovalStep, AssignmentRole, CalibrationSession, CalibrationSessionId,
    CalibrationState, Cycle, CycleConfig, CycleId, CycleSettings, CycleState, Department,
    DepartmentId, Grants, LockState, NominationState, OrgSnapshot, Packet, PacketState, Period,
    Person, PersonId, Review, ReviewKind, ReviewState, SequentialIds, launch,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

const NAMES: [&str; 12] = [
    "dana", "bo", "ann", "cy", "eve", "fay", "gus", "hal", "ivy", "jo", "kim", "lee",
];

fn p(name: &str) -> PersonId {
    PersonId::from_key(name)
}

fn t() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap()
}

struct Fixture {
    org: OrgSnapshot,
    cycle: Cycle,
    grants: Grants,
    packets: Vec<Packet>,
    reviews: Vec<Review>,
    calibrations: Vec<CalibrationSession>,
}

impl Fixture {
    fn ctx(&self) -> Context<'_> {
        Context::new(&self.grants, t() + Duration::days(10))
            .with_cycle(&self.cycle)
            .with_snapshot(&self.org)
            .with_calibrations(&self.calibrations)
    }

    fn packet(&self, subject: &str) -> &Packet {
        self.packets
            .iter()
            .find(|x| x.subject() == p(subject))
            .unwrap()
    }
}

/// dana (CEO) ─┬─ bo (eng head) ─┬─ ann, cy
///             │                 └─ eve ── fay, gus
///             └─ hal (sales head) ── ivy, jo
/// kim (HR, review admin) ── lee (collaborator)
/// ann's default additional manager is hal; jo shares ann's results; ivy views fay's reviews;
/// hal contributes to an open calibration session of eve. Approval: manager's manager.
fn fixture() -> Fixture {
    let dept = |k: &str| DepartmentId::from_key(k);
    let manager = |n: &str| match n {
        "bo" | "hal" => Some("dana"),
        "ann" | "cy" | "eve" => Some("bo"),
        "fay" | "gus" => Some("eve"),
        "ivy" | "jo" => Some("hal"),
        "lee" => Some("kim"),
        _ => None,
    };
    let department = |n: &str| match n {
        "dana" => "exec",
        "bo" | "ann" | "cy" | "eve" | "fay" | "gus" => "eng",
        "hal" | "ivy" | "jo" => "sales",
        _ => "people",
    };
    let people = NAMES
        .iter()
        .map(|&n| {
            let mut person = Person::new(p(n), n).with_department(dept(department(n)));
            if let Some(m) = manager(n) {
                person = person.with_manager(p(m));
            }
            if n == "ann" {
                person = person.with_additional_manager(p("hal"));
            }
            person
        })
        .collect();
    let departments = vec![
        Department::new(dept("exec"), "exec").with_head(p("dana")),
        Department::new(dept("eng"), "eng").with_head(p("bo")),
        Department::new(dept("sales"), "sales").with_head(p("hal")),
        Department::new(dept("people"), "people").with_head(p("kim")),
    ];
    let org = OrgSnapshot::build(people, departments).unwrap();
    let settings = CycleSettings {
        share_peer_with_subject: true,
        share_upward_with_subject: true,
        anonymity_threshold: 2,
        approval_required: true,
        approval_chain: vec![ApprovalStep::ManagersManager],
        managers_may_remove_feedback: true,
        ..CycleSettings::default()
    };
    let period = Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
    };
    let kim = p("kim");
    let (mut cycle, _) = Cycle::create(
        CycleId::from_key("h1"),
        CycleConfig::new("H1 2026", period).with_settings(settings.clone()),
        kim,
        t(),
    )
    .unwrap();
    cycle.add_collaborator(p("lee"), kim, t()).unwrap();
    cycle
        .set_participants(["ann", "cy", "eve", "fay", "ivy"].map(p), kim, t())
        .unwrap();
    let mut ids = SequentialIds::starting_at(1000);
    let l = launch(&mut cycle, &org, &mut ids, kim, t()).unwrap();
    let (mut packets, mut reviews) = (l.packets, l.reviews);
    let kinds = cycle.config().kinds;
    let idx =
        |packets: &[Packet], s: &str| packets.iter().position(|x| x.subject() == p(s)).unwrap();

    let ann = idx(&packets, "ann");
    for peer in ["cy", "eve", "ivy"] {
        let (r, _) = packets[ann]
            .assign(&kinds, ReviewKind::Peer, p(peer), &mut ids, Some(kim), t())
            .unwrap();
        reviews.push(r);
    }
    packets[ann]
        .add_role(AssignmentRole::Sharer, p("jo"), kim, t())
        .unwrap();
    let fay = idx(&packets, "fay");
    packets[fay]
        .add_role(AssignmentRole::Viewer, p("ivy"), kim, t())
        .unwrap();
    for packet in &mut packets {
        packet.close_nominations(kim, t()).unwrap();
    }

    // Who has done what (author, subject, kind) → target state.
    let submitted = [
        ("ann", "ann", ReviewKind::SelfReview),
        ("cy", "ann", ReviewKind::Peer),
        ("eve", "ann", ReviewKind::Peer),
        ("hal", "ann", ReviewKind::AdditionalManager),
        ("bo", "ann", ReviewKind::Manager),
        ("eve", "eve", ReviewKind::SelfReview),
        ("fay", "eve", ReviewKind::Upward),
        ("gus", "eve", ReviewKind::Upward),
        ("bo", "eve", ReviewKind::Manager),
        ("fay", "fay", ReviewKind::SelfReview),
        ("eve", "fay", ReviewKind::Manager),
        ("ivy", "ivy", ReviewKind::SelfReview),
    ];
    let drafts = [
        ("ivy", "ann", ReviewKind::Peer),
        ("cy", "cy", ReviewKind::SelfReview),
        ("hal", "ivy", ReviewKind::Manager),
    ];
    for r in &mut reviews {
        let key = |(a, s, k): &(&str, &str, ReviewKind)| {
            r.author() == p(a) && r.subject() == p(s) && r.kind() == *k
        };
        let i = idx(
            &packets,
            NAMES.iter().find(|n| p(n) == r.subject()).unwrap(),
        );
        if submitted.iter().any(key) {
            r.submit(&mut packets[i], None, r.author(), t()).unwrap();
        } else if drafts.iter().any(key) {
            let author = r.author();
            r.save_draft(&mut packets[i], appraise::Answers::default(), author, t())
                .unwrap();
        }
    }
    // ivy's manager changes from hal (draft: cancelled) to dana.
    let ivy = idx(&packets, "ivy");
    let hal_review = reviews
        .iter_mut()
        .find(|r| r.subject() == p("ivy") && r.kind() == ReviewKind::Manager)
        .unwrap();
    let (new_review, _) = packets[ivy]
        .change_manager(
            Some(p("dana")),
            Some(hal_review),
            &kinds,
            &mut ids,
            kim,
            t(),
        )
        .unwrap();
    reviews.extend(new_review);

    for s in ["ann", "eve", "fay"] {
        let i = idx(&packets, s);
        packets[i]
            .finish_writing(&settings, &org, kim, t())
            .unwrap();
    }
    packets[ann]
        .approve(&settings, &org, p("dana"), t())
        .unwrap();
    packets[ann].share(p("bo"), t()).unwrap();

    let mut grants = Grants::new();
    grants.grant_admin(
        kim,
        AdminGrant {
            since: t() - Duration::days(365),
            past_cycles: false,
        },
        kim,
        t(),
    );
    let (mut session, _) = CalibrationSession::create(
        CalibrationSessionId::from_key("eng"),
        cycle.id(),
        "eng calibration",
        [p("eve")],
        [p("hal")],
        kim,
        t(),
    );
    session.open(kim, t()).unwrap();
    Fixture {
        org,
        cycle,
        grants,
        packets,
        reviews,
        calibrations: vec![session],
    }
}

#[test]
fn who_may_read_which_review_and_why() {
    let f = fixture();
    let ctx = f.ctx();
    let mut out = String::new();
    let name = |id: PersonId| NAMES.iter().find(|n| p(n) == id).copied().unwrap_or("?");
    writeln!(
        out,
        "Cells: the R-READ rule that allowed (h: author hidden), · denied.\n"
    )
    .unwrap();
    write!(out, "{:<40}", "review (kind, author → subject, state)").unwrap();
    for n in NAMES {
        write!(out, "{n:>5}").unwrap();
    }
    writeln!(out).unwrap();
    let mut reviews: Vec<&Review> = f.reviews.iter().collect();
    reviews.sort_by_key(|r| (name(r.subject()), r.kind(), name(r.author())));
    let mut why = String::new();
    for r in &reviews {
        let packet = f.packets.iter().find(|x| x.id() == r.packet()).unwrap();
        let label = format!(
            "{} {} → {} ({:?})",
            r.kind(),
            name(r.author()),
            name(r.subject()),
            r.state()
        );
        write!(out, "{label:<40}").unwrap();
        writeln!(why, "{label}").unwrap();
        for n in NAMES {
            let target = Target::Review(packet, r);
            let d = decide(&ctx, p(n), Action::ReadReview, target);
            let cell = match (d.is_allowed(), d.rule()) {
                (true, Rule::Read(k)) => format!("{k}{}", if d.author_hidden() { "h" } else { "" }),
                (true, other) => format!("{other}"),
                (false, _) => "·".to_owned(),
            };
            write!(out, "{cell:>5}").unwrap();
            if d.is_allowed() || p(n) == r.subject() {
                writeln!(
                    why,
                    "    {n:<5} {}",
                    explain(&ctx, p(n), Action::ReadReview, target)
                )
                .unwrap();
            }
        }
        writeln!(out).unwrap();
    }
    insta::assert_snapshot!("read_matrix", format!("{out}\n{why}"));
}

#[test]
fn write_decisions_explained() {
    let f = fixture();
    let ctx = f.ctx();
    let ann = f.packet("ann");
    let eve = f.packet("eve");
    let fay = f.packet("fay");
    let manager_review_of = |s: &str| {
        f.reviews
            .iter()
            .find(|r| {
                r.subject() == p(s)
                    && r.kind() == ReviewKind::Manager
                    && r.state() != ReviewState::Cancelled
            })
            .unwrap()
    };
    let cases: Vec<(&str, Action, Target<'_>)> = vec![
        ("kim", Action::CreateCycle, Target::Cycle),
        ("lee", Action::CreateCycle, Target::Cycle),
        ("lee", Action::Launch, Target::Cycle),
        ("bo", Action::Lock, Target::Cycle),
        ("dana", Action::Approve, Target::Packet(eve)),
        ("bo", Action::Approve, Target::Packet(eve)),
        ("bo", Action::Approve, Target::Packet(fay)),
        ("kim", Action::Approve, Target::Packet(fay)),
        ("bo", Action::Share, Target::Packet(ann)),
        ("jo", Action::Share, Target::Packet(ann)),
        ("lee", Action::Unshare, Target::Packet(ann)),
        ("kim", Action::Unshare, Target::Packet(ann)),
        ("ann", Action::Acknowledge, Target::Packet(ann)),
        ("ann", Action::Nominate, Target::Packet(ann)),
        ("hal", Action::ChangeCalibratedRating, Target::Packet(eve)),
        ("hal", Action::ChangeCalibratedRating, Target::Packet(fay)),
        ("eve", Action::ViewProgress, Target::Packet(fay)),
        ("dana", Action::ViewProgress, Target::Packet(fay)),
        ("dana", Action::ViewProgress, Target::Cycle),
        (
            "bo",
            Action::WriteReview,
            Target::Review(f.packet("cy"), manager_review_of("cy")),
        ),
        (
            "eve",
            Action::RemoveFeedback,
            Target::Review(
                ann,
                f.reviews
                    .iter()
                    .find(|r| r.subject() == p("ann") && r.author() == p("cy"))
                    .unwrap(),
            ),
        ),
        (
            "bo",
            Action::RemoveFeedback,
            Target::Review(
                ann,
                f.reviews
                    .iter()
                    .find(|r| r.subject() == p("ann") && r.author() == p("cy"))
                    .unwrap(),
            ),
        ),
        ("kim", Action::ManageGrants, Target::Cycle),
        ("lee", Action::ManageGrants, Target::Cycle),
    ];
    let mut out = String::new();
    for (who, action, target) in cases {
        let e = explain(&ctx, p(who), action, target);
        writeln!(
            out,
            "{who:<5} {:<24} {} {e}",
            format!("{action:?}"),
            if e.is_allowed() { "ALLOW" } else { "deny " }
        )
        .unwrap();
    }
    insta::assert_snapshot!("write_decisions", out);
}

#[test]
fn error_messages() {
    let f = fixture();
    let ctx = f.ctx();
    let mut out = String::new();
    let mut line = |e: appraise::Error| writeln!(out, "{e}").unwrap();
    line(
        OrgSnapshot::build(
            vec![
                Person::new(p("ann"), "ann").with_manager(p("bo")),
                Person::new(p("bo"), "bo").with_manager(p("ann")),
            ],
            vec![],
        )
        .unwrap_err(),
    );
    line(
        OrgSnapshot::build(
            vec![
                Person::new(p("ann"), "ann")
                    .with_manager(PersonId::from_uuid(uuid::Uuid::from_u128(7))),
            ],
            vec![],
        )
        .unwrap_err(),
    );
    line(
        OrgSnapshot::build(
            vec![Person::new(p("ann"), "ann"), Person::new(p("ann"), "anne")],
            vec![],
        )
        .unwrap_err(),
    );
    line(
        OrgSnapshot::build(
            vec![
                Person::new(p("ann"), "ann")
                    .with_department(DepartmentId::from_uuid(uuid::Uuid::from_u128(9))),
            ],
            vec![],
        )
        .unwrap_err(),
    );
    let mut cycle = f.cycle.clone();
    line(cycle.delete(p("kim"), t()).unwrap_err());
    line(cycle.unlock(p("kim"), t()).unwrap_err());
    line(
        explain(&ctx, p("bo"), Action::Lock, Target::Cycle)
            .into_result()
            .unwrap_err(),
    );
    line(
        explain(
            &ctx,
            p("eve"),
            Action::Share,
            Target::Packet(f.packet("eve")),
        )
        .into_result()
        .unwrap_err(),
    );
    line("nope".parse::<CycleId>().unwrap_err());
    line(
        CycleSettings {
            anonymity_threshold: 1,
            rating_scale: appraise::RatingScale {
                min: 1,
                max: 3,
                labels: vec!["low".into()],
            },
            ..CycleSettings::default()
        }
        .validate()
        .unwrap_err(),
    );
    insta::assert_snapshot!("error_messages", out);
}

fn tables() -> String {
    [
        ("cycle", render::<CycleState>()),
        ("cycle lock", render::<LockState>()),
        ("packet", render::<PacketState>()),
        ("review", render::<ReviewState>()),
        ("nomination", render::<NominationState>()),
        ("calibration session", render::<CalibrationState>()),
    ]
    .map(|(name, table)| format!("## {name}\n\n{table}"))
    .join("\n")
}

#[test]
fn transition_tables() {
    insta::assert_snapshot!("transition_tables", tables());
}

/// The tables in the module docs are the rendered tables, line for line.
#[test]
fn docs_show_the_real_transition_tables() {
    fn doc_has<S: State>(source: &str) {
        let doc: String = source
            .lines()
            .filter_map(|l| l.strip_prefix("//! "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(
            doc.contains(&render::<S>()),
            "docs of the {} machine are stale:\n{}",
            S::MACHINE,
            render::<S>()
        );
    }
    doc_has::<CycleState>(include_str!("../src/domain/cycle.rs"));
    doc_has::<LockState>(include_str!("../src/domain/cycle.rs"));
    doc_has::<PacketState>(include_str!("../src/domain/packet/mod.rs"));
    doc_has::<ReviewState>(include_str!("../src/domain/packet/review.rs"));
    doc_has::<NominationState>(include_str!("../src/domain/packet/nomination.rs"));
    doc_has::<CalibrationState>(include_str!("../src/domain/calibration.rs"));
}
