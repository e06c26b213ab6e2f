//! A whole NPS cycle driven the way backend applications drive it: the CS portal connects with
//! one pooled login and names its end user (the lead, the director) in `nps.actor` per
//! transaction; CSMs connect as their own login roles; statements are prepared once and bound,
//! multi-statement work runs in transactions, a file arrives through COPY, and the BI tool reads
//! the views with plain (simple-protocol) queries.

use nps_client_tests::{cluster, detractor_task_fields, login_roles, sqlstate};
use postgres::Client;

const DB: &str = "pg_nps_client_cycle";

/// An account's CSM, tier and a detractor comment per account: who works which project.
const ACCOUNTS: [(&str, &str, &str, i64); 6] = [
    ("CL-1", "cl_csm1", "gold", 240_000),
    ("CL-2", "cl_csm1", "silver", 60_000),
    ("CL-3", "cl_csm2", "gold", 120_000),
    ("CL-4", "cl_csm2", "bronze", 18_000),
    ("CL-5", "cl_csm1", "bronze", 9_000),
    ("CL-6", "cl_csm2", "silver", 45_000),
];

/// Responses recorded one by one by the app: account, respondent, score, comment.
const RESPONSES: [(&str, &str, i32, &str); 9] = [
    ("CL-1", "ana@one.example", 10, "Support is excellent"),
    ("CL-1", "bo@one.example", 3, "The export crashes with an error every week"),
    ("CL-2", "cy@two.example", 4, "Too expensive for what we use"),
    ("CL-2", "di@two.example", 8, "Fine"),
    ("CL-3", "ed@three.example", 2, "Pages are slow and reports keep timing out"),
    ("CL-3", "fa@three.example", 9, "Great onboarding"),
    ("CL-4", "gu@four.example", 6, "We never hear from anyone"),
    ("CL-5", "ha@five.example", 9, "Good value"),
    // Text that would break string-built SQL is only ever data.
    ("CL-6", "o'hara@six.example", 7, "'); DROP TABLE nps.responses; --"),
];

fn one_i64(c: &mut Client, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> i64 {
    c.query_one(sql, params).unwrap_or_else(|e| panic!("{sql}: {e}")).get(0)
}

fn step(c: &mut Client, key: &str) -> i64 {
    one_i64(c, "SELECT nps.cycle_step('CL-2026-Q1', $1)", &[&key])
}

/// Complete every open task of a step, with the fields each one needs.
fn complete_step_tasks(c: &mut Client, key: &str, fields: &[(&str, &str)]) {
    let s = step(c, key);
    let complete = c.prepare("SELECT (nps.complete_task($1, $2::text::jsonb)).status::text").unwrap();
    let tasks: Vec<(i64, String)> = c
        .query(
            "SELECT id, key FROM nps.tasks WHERE step_id = $1 AND status = 'open' ORDER BY position",
            &[&s],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (id, k) in tasks {
        let f = fields.iter().find(|(n, _)| *n == k).map(|(_, v)| *v).unwrap_or("{}");
        let status: String =
            c.query_one(&complete, &[&id, &f]).unwrap_or_else(|e| panic!("task {k} of {key}: {e}")).get(0);
        assert_eq!(status, "done", "task {k} of {key}");
    }
}

/// A CSM works their detractor projects to the end, one transaction per task.
fn work_projects(c: &mut Client) -> usize {
    let pick = c
        .prepare(
            "SELECT m.task_id, k.key FROM nps.my_tasks m JOIN nps.tasks k ON k.id = m.task_id
             WHERE m.actionable AND m.template = 'NPS Detractor' ORDER BY m.task_id LIMIT 1",
        )
        .unwrap();
    let complete = c.prepare("SELECT (nps.complete_task($1, $2::text::jsonb)).status::text").unwrap();
    let mut n = 0;
    loop {
        let mut tx = c.transaction().unwrap();
        let Some(row) = tx.query_opt(&pick, &[]).unwrap() else { break };
        let (id, key): (i64, String) = (row.get(0), row.get(1));
        let fields = detractor_task_fields(&key);
        tx.query_one(&complete, &[&id, &fields]).unwrap_or_else(|e| panic!("task {key}: {e}"));
        tx.commit().unwrap();
        n += 1;
    }
    n
}

#[test]
fn a_whole_cycle_as_applications_run_it() {
    let cl = cluster();
    let mut su = cl.fresh_db(DB);
    login_roles(
        &mut su,
        &[
            ("cl_admin", "nps_admin"),
            ("cl_portal", "nps_csm"),
            ("cl_portal", "nps_approver"),
            ("cl_csm1", "nps_csm"),
            ("cl_csm2", "nps_csm"),
            ("cl_analyst", "nps_analyst"),
            ("cl_auditor", "nps_auditor"),
        ],
    );
    // The people: the CSMs, analyst and auditor log in as themselves; the portal is an
    // application whose end users are the lead and the director.
    su.batch_execute(
        "SELECT nps.add_person('cl_admin', 'Admin');
         SELECT nps.add_application('cl_portal', 'The CS portal: one pooled login, its users in nps.actor');
         SELECT nps.add_person('lead@cs.example', 'Lee Lead', application => 'cl_portal', roles => '{nps_csm}');
         SELECT nps.add_person('director@cs.example', 'Dana Director', application => 'cl_portal', roles => '{nps_approver}');
         SELECT nps.add_person('cl_csm1', 'CSM One', lead => 'lead@cs.example');
         SELECT nps.add_person('cl_csm2', 'CSM Two', lead => 'lead@cs.example');
         SELECT nps.add_person('cl_analyst', 'Analyst');
         SELECT nps.add_person('cl_auditor', 'Auditor');",
    )
    .expect("people");
    let mut admin = cl.connect(DB, "cl_admin");
    // The lead's session of the portal names the lead; the director's transactions name the
    // director on the same pooled login (SET LOCAL, as a transaction-mode pooler needs).
    let mut lead = cl.connect(DB, "cl_portal");
    lead.batch_execute("SET nps.actor = 'lead@cs.example'").unwrap();
    let mut portal = cl.connect(DB, "cl_portal");
    let mut csm1 = cl.connect(DB, "cl_csm1");
    let mut csm2 = cl.connect(DB, "cl_csm2");
    let mut analyst = cl.connect(DB, "cl_analyst");
    let mut auditor = cl.connect(DB, "cl_auditor");
    let as_director = |c: &mut Client, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]| {
        let mut tx = c.transaction().unwrap();
        tx.batch_execute("SET LOCAL nps.actor = 'director@cs.example'").unwrap();
        let r = tx.query_one(sql, params);
        if r.is_ok() {
            tx.commit().unwrap();
        }
        r
    };

    // The CRM sync: accounts in one transaction, one prepared INSERT.
    {
        let mut tx = admin.transaction().unwrap();
        let ins = tx
            .prepare("INSERT INTO nps.accounts (external_id, name, csm, tier, arr) VALUES ($1, $2, $3, $4, $5::text::numeric)")
            .unwrap();
        for (ext, csm, tier, arr) in ACCOUNTS {
            tx.execute(&ins, &[&ext, &format!("Account {ext}"), &csm, &tier, &arr.to_string()])
                .unwrap_or_else(|e| panic!("account {ext}: {e}"));
        }
        tx.commit().unwrap();
    }
    // A small wave: the organization needs ten responses to close intake.
    admin.batch_execute("SELECT nps.configure(min_responses => 10)").unwrap();

    // The lead starts the cycle and records responses through the portal.
    lead.query_one(
        "SELECT (nps.start_cycle('CL-2026-Q1', opens_at => '2026-01-05Z', closes_at => '2026-01-20Z', min_responses => 10)).name",
        &[],
    )
    .unwrap();
    let record = lead
        .prepare(
            "SELECT (r).segment::text, (r).comment FROM (SELECT nps.record_response($1, $2, $3, $4, $5,
                 responded_at => '2026-01-07Z') AS r) x",
        )
        .unwrap();
    for (acct, who, score, comment) in RESPONSES {
        let row = lead
            .query_one(&record, &[&"CL-2026-Q1", &acct, &who, &score, &comment])
            .unwrap_or_else(|e| panic!("response of {who}: {e}"));
        let stored: String = row.get(1);
        assert_eq!(stored, comment, "comments are stored verbatim");
    }
    // A bound parameter of the wrong kind fails on the server with its SQLSTATE; the
    // transaction rolls back to its savepoint and goes on.
    {
        let mut tx = lead.transaction().unwrap();
        let mut sp = tx.savepoint("bad_score").unwrap();
        let e = sp
            .query_one(&record, &[&"CL-2026-Q1", &"CL-1", &"zz@one.example", &11i32, &"eleven"])
            .unwrap_err();
        assert_eq!(sqlstate(&e), "22003", "{e}");
        sp.rollback().unwrap();
        let e = tx.query_one(&record, &[&"CL-2026-Q9", &"CL-1", &"zz@one.example", &5i32, &""]).unwrap_err();
        assert_eq!(sqlstate(&e), "42704", "{e}");
        tx.rollback().unwrap();
    }

    // The survey tool's export arrives as a CSV file through COPY, careless rows included.
    {
        use std::io::Write;
        let mut w = lead
            .copy_in("COPY nps.response_staging (account, respondent, score, comment, channel, responded_at) FROM STDIN WITH (FORMAT csv)")
            .unwrap();
        w.write_all(
            b"CL-4,ib@four.example,5,Onboarding was confusing,web,2026-01-08 09:00Z\n\
              CL-5,ja@five.example,10,,email,2026-01-08 10:00Z\n\
              CL-6,ki@six.example,9,\"Fast, friendly; \"\"great\"\"\",in_app,2026-01-09 10:00Z\n\
              CL-9,lu@nine.example,7,no such account,email,2026-01-09 11:00Z\n\
              CL-1,mo@one.example,eleven,not a score,email,2026-01-09 11:00Z\n\
              CL-2,no@two.example,8,outside the window,email,2026-03-01 11:00Z\n",
        )
        .unwrap();
        // A comment pasted with a whole e-mail thread: refused, not cut.
        w.write_all(
            format!("CL-3,pa@three.example,9,{},web,2026-01-09 12:00Z\n", "x".repeat(20_001)).as_bytes(),
        )
        .unwrap();
        assert_eq!(w.finish().unwrap(), 7);
    }
    // Loaded in short transactions (two rows each), as a big file should be.
    let called = lead
        .simple_query("CALL nps.ingest_in_batches('CL-2026-Q1', 2)")
        .unwrap()
        .into_iter()
        .find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => {
                Some((r.get(0).unwrap().to_string(), r.get(1).unwrap().to_string()))
            }
            _ => None,
        })
        .expect("CALL returns the totals");
    assert_eq!(called, ("3".to_string(), "4".to_string()));
    // The portal may stage rows but not read the staging table (personal data); the DBA counts.
    let batches = one_i64(
        &mut su,
        "SELECT count(DISTINCT ingested_at) FROM nps.response_staging WHERE status <> 'pending'",
        &[],
    );
    assert_eq!(batches, 4, "7 rows in transactions of 2");
    let rejects: Vec<(String, String)> = lead
        .query("SELECT account, sqlstate FROM nps.staging_rejects ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        rejects,
        [("CL-9", "42704"), ("CL-1", "22P02"), ("CL-2", "NP011"), ("CL-3", "22001")]
            .map(|(a, s)| (a.to_string(), s.to_string()))
    );
    let quoted: String = lead
        .query_one("SELECT comment FROM nps.responses WHERE respondent = 'ki@six.example'", &[])
        .unwrap()
        .get(0);
    assert_eq!(quoted, "Fast, friendly; \"great\"");

    // Intake checkpoint, then segmentation: the snapshot freezes and detractor projects start.
    complete_step_tasks(&mut lead, "intake", &[("audience", r#"{"invitations": 30}"#)]);
    let status: String =
        lead.query_one("SELECT status::text FROM nps.close_intake('CL-2026-Q1')", &[]).unwrap().get(0);
    assert_eq!(status, "done");
    let e = lead
        .query_one("SELECT nps.skip_step(nps.cycle_step('CL-2026-Q1', 'segmentation'), 'in a hurry')", &[])
        .unwrap_err();
    assert_eq!(sqlstate(&e), "NP001", "{e}");
    complete_step_tasks(&mut lead, "segmentation", &[]);
    lead.query_one("SELECT nps.complete_step(nps.cycle_step('CL-2026-Q1', 'segmentation'))", &[]).unwrap();
    let (responses, detractors, nps): (i64, i64, f64) = {
        let r = lead
            .query_one(
                "SELECT responses, detractors, nps::float8 FROM nps.cycle_snapshots s JOIN nps.cycles c ON c.id = s.cycle_id
                 WHERE c.name = 'CL-2026-Q1'",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    // 12 responses: 10,3,4,8,2,9,6,9,7 and 5,10,9 → 5 promoters, 5 detractors.
    assert_eq!((responses, detractors), (12, 5));
    assert!((nps - 0.0).abs() < 1e-9, "nps {nps}");
    let projects = one_i64(
        &mut lead,
        "SELECT count(*) FROM nps.playbook_runs pb JOIN nps.cycles c ON c.run_id = pb.cycle_run_id WHERE c.name = 'CL-2026-Q1'",
        &[],
    );
    assert_eq!(projects, 5, "one detractor project per detractor");

    // Root causes: accept the suggestion where there is one, else "unknown" with a note.
    let detractor_ids: Vec<(i64, Option<String>)> = lead
        .query(
            "SELECT response_id, suggested FROM nps.suggest_root_causes('CL-2026-Q1') ORDER BY response_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(detractor_ids.len(), 5);
    let assign = lead.prepare("SELECT (nps.assign_root_cause($1, $2, $3)).cause").unwrap();
    for (id, suggested) in &detractor_ids {
        let (cause, note) = match suggested.as_deref() {
            Some("unknown") | None => ("unknown".to_string(), Some("asked on the call")),
            Some(s) => (s.to_string(), None),
        };
        lead.query_one(&assign, &[id, &cause, &note]).unwrap_or_else(|e| panic!("cause of {id}: {e}"));
    }
    complete_step_tasks(
        &mut lead,
        "root_cause",
        &[("themes", r#"{"summary": "bugs, speed, price, contact"}"#)],
    );

    // The plan: an item per segment that answered and a fix per confirmed cause, then the gate.
    let causes: Vec<String> = lead
        .query(
            "SELECT DISTINCT cause FROM nps.response_causes rc JOIN nps.cycles c ON c.id = rc.cycle_id
             WHERE c.name = 'CL-2026-Q1' AND cause <> 'unknown' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    {
        let mut tx = lead.transaction().unwrap();
        let add = tx
            .prepare("SELECT (nps.add_plan_item('CL-2026-Q1', $1::text::nps_segment, $2, $3, '2026-03-01Z', cause => $4::text)).id")
            .unwrap();
        tx.query_one(&add, &[&"promoter", &"Ask promoters for a referral", &"cl_csm1", &None::<String>])
            .unwrap();
        tx.query_one(&add, &[&"passive", &"Quarterly tips for passives", &"cl_csm2", &None::<String>])
            .unwrap();
        for cause in &causes {
            tx.query_one(&add, &[&"detractor", &format!("Fix: {cause}"), &"cl_csm2", &Some(cause.clone())])
                .unwrap_or_else(|e| panic!("plan item for {cause}: {e}"));
        }
        tx.commit().unwrap();
    }
    complete_step_tasks(&mut lead, "action_plan", &[("draft_plan", r#"{"plan_items": 4}"#)]);
    let approval: i64 = {
        let mut tx = portal.transaction().unwrap();
        tx.batch_execute("SET LOCAL nps.actor = 'lead@cs.example'").unwrap();
        let id = tx
            .query_one("SELECT (nps.request_approval(nps.cycle_step('CL-2026-Q1', 'action_plan'), 'plan for Q1')).id", &[])
            .unwrap()
            .get(0);
        tx.commit().unwrap();
        id
    };
    // One pooled login, two end users: the lead asks and may not decide her own request (she
    // holds no approver role, and would be the requester anyway); a lead who is also an approver
    // is refused as the requester; the director decides.
    {
        let mut tx = portal.transaction().unwrap();
        tx.batch_execute("SET LOCAL nps.actor = 'lead@cs.example'").unwrap();
        let e = tx.query_one("SELECT nps.decide($1, 'approve')", &[&approval]).unwrap_err();
        assert_eq!(sqlstate(&e), "42501", "{e}");
        tx.rollback().unwrap();
    }
    su.batch_execute(
        "UPDATE nps.people SET roles = '{nps_csm,nps_approver}' WHERE identity = 'lead@cs.example'",
    )
    .unwrap();
    {
        let mut tx = portal.transaction().unwrap();
        tx.batch_execute("SET LOCAL nps.actor = 'lead@cs.example'").unwrap();
        let e = tx.query_one("SELECT nps.decide($1, 'approve')", &[&approval]).unwrap_err();
        assert_eq!(sqlstate(&e), "NP005", "self-approval through the pool: {e}");
        tx.rollback().unwrap();
    }
    // Without naming anyone, the pooled login decides nothing.
    let e = portal.query_one("SELECT nps.decide($1, 'approve')", &[&approval]).unwrap_err();
    assert_eq!(sqlstate(&e), "NP012", "{e}");
    let status: String =
        as_director(&mut portal, "SELECT status::text FROM nps.decide($1, 'approve')", &[&approval])
            .unwrap()
            .get(0);
    assert_eq!(status, "approved");
    let (requested_by, approver): (String, String) = {
        let r = auditor
            .query_one(
                "SELECT a.requested_by, d.approver FROM nps.approvals a JOIN nps.approval_decisions d ON d.approval_id = a.id
                 WHERE a.id = $1",
                &[&approval],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!((requested_by.as_str(), approver.as_str()), ("lead@cs.example", "director@cs.example"));
    let (actor, login): (Option<String>, String) = {
        let r = auditor
            .query_one(
                "SELECT actor, session_user_name::text FROM nps.audit_log WHERE table_name = 'nps.approval_decisions' ORDER BY id DESC LIMIT 1",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!((actor.as_deref(), login.as_str()), (Some("director@cs.example"), "cl_portal"));

    // Outreach: each CSM works their own projects.
    let worked = work_projects(&mut csm1) + work_projects(&mut csm2);
    assert!(worked >= 5 * 3, "worked {worked} tasks");
    complete_step_tasks(&mut lead, "outreach", &[]);

    // Verification and close.
    for (c, who) in [(&mut csm1, "cl_csm1"), (&mut csm2, "cl_csm2")] {
        let items: Vec<i64> = c
            .query("SELECT id FROM nps.plan_items WHERE owner = $1 AND status = 'open'", &[&who])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        for id in items {
            c.query_one("SELECT nps.complete_plan_item($1, 'shipped')", &[&id]).unwrap();
        }
    }
    let items: Vec<i64> = {
        let mut tx = portal.transaction().unwrap();
        tx.batch_execute("SET LOCAL nps.actor = 'director@cs.example'").unwrap();
        let ids = tx.query("SELECT id FROM nps.plan_items WHERE status = 'done'", &[]).unwrap();
        ids.iter().map(|r| r.get(0)).collect()
    };
    assert!(!items.is_empty(), "the director sees the plan to verify");
    for id in items {
        as_director(&mut portal, "SELECT nps.verify_plan_item($1, 'release notes')", &[&id])
            .unwrap_or_else(|e| panic!("verify {id}: {e}"));
    }
    complete_step_tasks(&mut lead, "close", &[]);
    let close = one_i64(
        &mut lead,
        "SELECT (nps.request_approval(nps.cycle_step('CL-2026-Q1', 'close'), 'all verified')).id",
        &[],
    );
    as_director(&mut portal, "SELECT nps.decide($1, 'approve')", &[&close]).unwrap();
    let run_status: String = lead
        .query_one("SELECT r.status::text FROM nps.runs r JOIN nps.cycles c ON c.run_id = r.id WHERE c.name = 'CL-2026-Q1'", &[])
        .unwrap()
        .get(0);
    assert_eq!(run_status, "done");

    // The BI tool: plain queries over the simple protocol, values as text.
    let text = |c: &mut Client, sql: &str| -> Vec<Vec<Option<String>>> {
        c.simple_query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                _ => None,
            })
            .collect()
    };
    let headline = text(
        &mut analyst,
        "SELECT responses, nps, frozen FROM nps.cycle_headline WHERE cycle = 'CL-2026-Q1'",
    );
    assert_eq!(headline, [[Some("12".into()), Some("0.0".into()), Some("t".into())]]);
    let trend = text(&mut analyst, "SELECT responses FROM nps.trend_monthly WHERE month = '2026-01-01'");
    assert_eq!(trend, [[Some("12".into())]]);
    let points = text(
        &mut analyst,
        "SELECT abs(sum(a.arr_weighted_points) - h.arr_weighted_nps) < 0.1
         FROM nps.account_nps a JOIN nps.cycle_headline h ON h.cycle = a.cycle WHERE a.cycle = 'CL-2026-Q1'
         GROUP BY h.arr_weighted_nps",
    );
    assert_eq!(points, [[Some("t".into())]]);
    let closure = text(
        &mut analyst,
        "SELECT projects, projects_done, items_verified FROM nps.loop_closure WHERE cycle = 'CL-2026-Q1'",
    );
    assert_eq!(closure[0][0], Some("5".into()));
    assert_eq!(closure[0][0], closure[0][1]);
    let e = analyst.simple_query("SELECT count(*) FROM nps.audit_log").unwrap_err();
    assert_eq!(sqlstate(&e), "42501");

    // Analysts read the responses pseudonymized, never the addresses.
    let keys = text(
        &mut analyst,
        "SELECT count(*), count(*) FILTER (WHERE respondent_key LIKE '%@%') FROM nps.response_facts",
    );
    assert_eq!(keys, [[Some("12".into()), Some("0".into())]]);
    let e = analyst.simple_query("SELECT count(*) FROM nps.responses").unwrap_err();
    assert_eq!(sqlstate(&e), "42501");

    // The auditor: every chain verifies, and the portal's end users are in the trail.
    let bad = one_i64(&mut auditor, "SELECT count(*) FROM nps.verify_audit() WHERE NOT ok", &[]);
    assert_eq!(bad, 0);
    let by_app = one_i64(
        &mut auditor,
        "SELECT count(*) FROM nps.audit_log WHERE actor = 'lead@cs.example' AND session_user_name = 'cl_portal'",
        &[],
    );
    assert!(by_app > 10, "entries naming the app's user: {by_app}");
    let problems = nps_client_tests::invariants(&mut su);
    assert!(problems.is_empty(), "invariants: {problems:?}");
}
