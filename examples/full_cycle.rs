//! A full review cycle on the pure core: build an org, create and launch a cycle, nominate and
//! approve peers, write and submit every review, share, acknowledge, and ask the permission
//! engine who may read what, and why.
//!
//! Run with `cargo run --example full_cycle`.

use appraise::access::{Action, Context, Target, explain};
use appraise::{
    AdminGrant, Cycle, CycleConfig, CycleId, CycleSettings, Event, Grants, Nomination,
    NominationId, NominationState, OrgSnapshot, Packet, PacketState, Period, Person, PersonId,
    Review, ReviewKind, SequentialIds, launch,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

fn main() -> Result<(), appraise::Error> {
    let id = PersonId::from_key;
    let names = ["dana", "bo", "ann", "cy", "eve", "kim"];
    let manager = |n: &str| match n {
        "bo" => Some("dana"),
        "ann" | "cy" | "eve" => Some("bo"),
        _ => None,
    };
    let people = names
        .iter()
        .map(|&n| match manager(n) {
            Some(m) => Person::new(id(n), n).with_manager(id(m)),
            None => Person::new(id(n), n),
        })
        .collect();
    let org = OrgSnapshot::build(people, vec![])?;
    println!("org: {} people", org.len());

    let mut audit: Vec<Event> = Vec::new();
    let start = Utc
        .with_ymd_and_hms(2026, 7, 1, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let kim = id("kim");
    let mut grants = Grants::new();
    audit.push(grants.grant_admin(
        kim,
        AdminGrant {
            since: start - Duration::days(30),
            past_cycles: false,
        },
        kim,
        start,
    ));

    let settings = CycleSettings {
        share_peer_with_subject: true,
        anonymity_threshold: 2,
        ..CycleSettings::default()
    };
    let period = Period {
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        end: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default(),
    };
    let (mut cycle, created) = Cycle::create(
        CycleId::from_key("h1-2026"),
        CycleConfig::new("H1 2026", period).with_settings(settings),
        kim,
        start,
    )?;
    audit.push(created);
    audit.push(cycle.set_participants([id("ann"), id("cy"), id("eve")], kim, start)?);
    let mut ids = SequentialIds::starting_at(1);
    let launched = launch(&mut cycle, &org, &mut ids, kim, start)?;
    println!(
        "launched `{}`: {} packets, {} reviews",
        cycle.config().name,
        launched.packets.len(),
        launched.reviews.len()
    );
    let (mut packets, mut reviews) = (launched.packets, launched.reviews);
    audit.extend(launched.events);

    // Nominations: each participant nominates the other two; bo approves.
    let t = start + Duration::days(3);
    let kinds = cycle.config().kinds;
    let mut nominations: Vec<Nomination> = Vec::new();
    for (n, packet) in packets.iter_mut().enumerate() {
        let subject = packet.subject();
        for peer in ["ann", "cy", "eve"]
            .map(id)
            .into_iter()
            .filter(|&p| p != subject)
        {
            let nid = NominationId::from_key(&format!("{n}-{peer}"));
            let (mut nomination, event) = Nomination::create(
                nid,
                packet,
                peer,
                &nominations,
                cycle.settings(),
                subject,
                t,
            )?;
            audit.push(event);
            audit.push(nomination.decide(NominationState::Approved, None, id("bo"), t)?);
            let (review, event) =
                packet.assign(&kinds, ReviewKind::Peer, peer, &mut ids, Some(id("bo")), t)?;
            reviews.push(review);
            audit.push(event);
            nominations.push(nomination);
        }
        audit.push(packet.close_nominations(kim, t)?);
    }
    println!("nominations approved: {}", nominations.len());

    // Writing: self and peer reviews first (gating), then the manager reviews.
    let t = start + Duration::days(10);
    let packet_index =
        |packets: &[Packet], r: &Review| packets.iter().position(|p| p.id() == r.packet());
    reviews.sort_by_key(|r| r.kind() == ReviewKind::Manager);
    for review in &mut reviews {
        let Some(i) = packet_index(&packets, review) else {
            continue;
        };
        let author = review.author();
        audit.push(review.save_draft(&packets[i], appraise::Answers::default(), author, t)?);
        audit.extend(review.submit(&mut packets[i], None, author, t)?);
    }

    // Finish, share, acknowledge.
    let t = start + Duration::days(20);
    for packet in &mut packets {
        audit.push(packet.finish_writing(cycle.settings(), &org, kim, t)?);
        audit.push(packet.share(id("bo"), t)?);
        let subject = packet.subject();
        audit.extend(packet.acknowledge(Some("thank you"), subject, t)?);
    }

    println!("\nprogress:");
    for state in PacketState::ALL {
        let count = packets.iter().filter(|p| p.state() == state).count();
        println!("  {:<18} {count}", format!("{state:?}"));
    }

    // Who may read ann's peer review by cy, and why?
    let ctx = Context::new(&grants, t)
        .with_cycle(&cycle)
        .with_snapshot(&org);
    let ann_packet =
        packets
            .iter()
            .find(|p| p.subject() == id("ann"))
            .ok_or(appraise::Error::NotFound {
                what: "packet",
                id: "ann".into(),
            })?;
    let peer_review = reviews
        .iter()
        .find(|r| r.subject() == id("ann") && r.author() == id("cy"))
        .ok_or(appraise::Error::NotFound {
            what: "review",
            id: "cy → ann".into(),
        })?;
    println!("\nwho may read cy's peer review of ann:");
    for n in names {
        let e = explain(
            &ctx,
            id(n),
            Action::ReadReview,
            Target::Review(ann_packet, peer_review),
        );
        println!(
            "  {n:<5} {:<6} {e}",
            if e.is_allowed() { "yes" } else { "no" }
        );
    }
    println!("\naudit events: {}", audit.len());
    Ok(())
}
