//! The bad-input catalogue of docs/errors.md, run case by case: each statement, as its role,
//! must fail with the documented SQLSTATE, name the offending value, carry a HINT when pg_nps
//! raised it, and leave every table of the extension exactly as it was.

use nps_client_tests::{cluster, fingerprint, login_roles, sqlstate};
use postgres::Client;

const DB: &str = "pg_nps_client_catalogue";

struct Case {
    n: String,
    input: String,
    role: String,
    sql: String,
    sqlstate: String,
    names: String,
}

/// The rows between the catalogue markers of docs/errors.md.
fn catalogue(root: &std::path::Path) -> Vec<Case> {
    let page = std::fs::read_to_string(root.join("docs/errors.md")).expect("read docs/errors.md");
    let start = page.find("<!-- catalogue:begin -->").expect("catalogue begin marker");
    let end = page.find("<!-- catalogue:end -->").expect("catalogue end marker");
    let cases: Vec<Case> = page[start..end]
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("| #") && !l.starts_with("|---"))
        .map(|l| {
            // Split on unescaped pipes; "\|" is a pipe inside a cell.
            let cells: Vec<String> =
                l.replace("\\|", "\u{1}").split('|').map(|c| c.trim().replace('\u{1}', "|")).collect();
            assert_eq!(cells.len(), 8, "catalogue row has 6 cells: {l}");
            let code = |s: &str| s.trim_matches('`').to_string();
            Case {
                n: cells[1].clone(),
                input: cells[2].clone(),
                role: cells[3].clone(),
                sql: code(&cells[4]),
                sqlstate: cells[5].clone(),
                names: cells[6].clone(),
            }
        })
        .collect();
    // Numbered 1, 2, 3 …: a row that did not parse, or went missing, shows as a gap.
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(c.n, (i + 1).to_string(), "catalogue row {} is numbered {:?}", i + 1, c.n);
    }
    cases
}

/// A database holding a cycle in every state the catalogue needs (see docs/errors.md).
fn fixture(c: &mut Client) {
    login_roles(
        c,
        &[
            ("ct_admin", "nps_admin"),
            ("ct_lead", "nps_csm"),
            ("ct_lead", "nps_approver"),
            ("ct_csm", "nps_csm"),
            ("ct_csm2", "nps_csm"),
            ("ct_director", "nps_approver"),
            ("ct_analyst", "nps_analyst"),
            ("ct_stranger", "nps_csm"),
            ("ct_app", "nps_csm"),
            ("ct_mailer", "nps_mailer"),
        ],
    );
    c.batch_execute(
        r#"
        SELECT nps.add_person(p, p) FROM unnest(ARRAY['ct_admin', 'ct_lead', 'ct_director', 'ct_analyst']) p;
        SELECT nps.add_person('ct_csm', 'ct_csm', lead => 'ct_lead');
        SELECT nps.add_person('ct_csm2', 'ct_csm2', lead => 'ct_lead');
        SELECT nps.add_application('ct_app', 'The catalogue''s portal');
        SELECT nps.add_application('ct_mailer', 'The catalogue''s mail relay');
        SELECT nps.add_person('user@ct.example', 'A portal user', application => 'ct_app', roles => '{nps_csm}');

        SET ROLE ct_admin;
        INSERT INTO nps.accounts (external_id, name, csm, tier) VALUES ('CT-1', 'One', 'ct_csm', 'gold'), ('CT-2', 'Two', 'ct_csm2', 'silver');
        SELECT nps.import_template('{"name": "CT Gate", "steps": [
            {"key": "work", "name": "Work", "tasks": [{"key": "work", "title": "Work", "owner": "run_owner",
                "fields": [{"name": "note", "type": "text"}, {"name": "hours", "type": "number", "required": false},
                           {"name": "score", "type": "number", "required": false, "min": 0, "max": 10, "integer": true}]}]},
            {"key": "gate", "name": "Gate", "approval": {"role": "nps_approver", "min_approvers": 1},
                "tasks": [{"key": "prep", "title": "Prepare", "owner": "run_owner"}]},
            {"key": "after", "name": "After", "tasks": [{"key": "done", "title": "Done", "owner": "run_owner"}]}]}');
        -- Small cycles: the organization needs two responses (a lead may ask for more).
        SELECT nps.configure(min_responses => 2);
        RESET ROLE;

        SET ROLE ct_lead;
        SELECT nps.start_cycle('CT', opens_at => now() - interval '30 days', closes_at => now() + interval '300 days', min_responses => 50);
        SELECT nps.record_response('CT', 'CT-1', 'first@ct.example', 3, 'Pages are slow');
        SELECT nps.add_invitations('CT', 10);
        SELECT nps.start_cycle('CT-past', opens_at => '2025-01-01Z', closes_at => '2025-01-15Z', min_responses => 5);
        SELECT nps.record_response('CT-past', 'CT-1', 'past@ct.example', 8, responded_at => '2025-01-05Z');
        SELECT nps.start_cycle('CT-seg', opens_at => '2025-03-01Z', closes_at => '2025-03-10Z', min_responses => 2);
        SELECT nps.record_response('CT-seg', 'CT-1', 'd@ct.example', 2, 'The export crashes', responded_at => '2025-03-02Z');
        SELECT nps.record_response('CT-seg', 'CT-2', 'p@ct.example', 10, 'Great', responded_at => '2025-03-02Z');
        SELECT nps.complete_task(t.id, CASE t.key WHEN 'audience' THEN '{"invitations": 5}'::jsonb ELSE '{}' END)
        FROM nps.tasks t WHERE t.step_id = nps.cycle_step('CT-seg', 'intake') ORDER BY t.position;
        SELECT nps.close_intake('CT-seg');
        SELECT nps.complete_task(t.id) FROM nps.tasks t WHERE t.step_id = nps.cycle_step('CT-seg', 'segmentation');
        SELECT nps.complete_step(nps.cycle_step('CT-seg', 'segmentation'));

        SELECT nps.start_run('CT Gate', title => 'ct open');
        CREATE TEMP TABLE gates AS
        SELECT (nps.start_run('CT Gate', title => t)).id AS run_id, t AS title FROM unnest(ARRAY['ct pending', 'ct approved', 'ct cancelled']) t;
        SELECT nps.complete_task(k.id, '{"note": "done"}') FROM nps.tasks k JOIN gates g ON g.run_id = k.run_id WHERE k.key = 'work';
        SELECT nps.complete_task(k.id) FROM nps.tasks k JOIN gates g ON g.run_id = k.run_id WHERE k.key = 'prep';
        SELECT nps.request_approval(s.id, g.title) FROM nps.steps s JOIN gates g ON g.run_id = s.run_id WHERE s.key = 'gate';
        RESET ROLE;
        SET ROLE ct_director;
        SELECT nps.decide(a.id, 'approve') FROM nps.approvals a WHERE a.note = 'ct approved';
        RESET ROLE;
        SET ROLE ct_lead;
        SELECT nps.cancel_run(g.run_id, 'no longer needed') FROM gates g WHERE g.title = 'ct cancelled';
        SELECT nps.cancel_run((nps.start_run('CT Gate', title => 'ct stopped')).id, 'stopped while working');
        RESET ROLE;

        CREATE TABLE public.ct_ids AS
        SELECT 'ct open work'::text AS handle, t.id FROM nps.tasks t JOIN nps.runs r ON r.id = t.run_id
        WHERE r.title = 'ct open' AND t.key = 'work'
        UNION ALL SELECT 'ct open run', r.id FROM nps.runs r WHERE r.title = 'ct open'
        UNION ALL SELECT 'ct pending approval', a.id FROM nps.approvals a WHERE a.note = 'ct pending';
        GRANT SELECT ON public.ct_ids TO PUBLIC;

        -- A queued e-mail, seeded as a restore would (only playbooks queue messages), and claimed.
        SET session_replication_role = replica;
        INSERT INTO nps.outbox (recipient, subject, body, created_by) VALUES ('d@ct.example', 'About your answer', 'Hello', 'pg_nps');
        RESET session_replication_role;
        SET ROLE ct_mailer;
        SELECT count(*) FROM nps.claim_outbox('mailer-a', 1);
        RESET ROLE;
        "#,
    )
    .expect("catalogue fixture");
}

#[test]
fn every_catalogued_bad_input_gets_its_sqlstate_and_writes_nothing() {
    let cl = cluster();
    let cases = catalogue(&cl.root);
    assert!(cases.len() >= 40, "the catalogue has {} cases, at least 40 are required", cases.len());
    let mut c = cl.fresh_db(DB);
    fixture(&mut c);
    let mut failures = Vec::new();
    for case in &cases {
        let before = fingerprint(&mut c);
        c.batch_execute(&format!("SET ROLE {}", case.role))
            .unwrap_or_else(|e| panic!("case {}: set role {}: {e}", case.n, case.role));
        let result = c.batch_execute(&case.sql);
        c.batch_execute("RESET ROLE").expect("reset role");
        let label = format!("case {} ({})", case.n, case.input);
        match result {
            Ok(()) => failures.push(format!("{label}: succeeded, expected {}", case.sqlstate)),
            Err(e) => {
                let got = sqlstate(&e);
                let db = e.as_db_error();
                let message = db.map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
                let detail = db.and_then(|d| d.detail()).unwrap_or_default();
                if got != case.sqlstate {
                    failures.push(format!("{label}: got {got} ({message}), expected {}", case.sqlstate));
                }
                if !case.names.is_empty() && !message.contains(&case.names) && !detail.contains(&case.names) {
                    failures.push(format!("{label}: the message does not name {:?}: {message}", case.names));
                }
                // pg_nps' own refusals (PL/pgSQL RAISE or the Rust core) say what to do instead.
                if let Some(d) = db {
                    let ours = d.file().is_some_and(|f| f == "pl_exec.c" || f.ends_with(".rs"));
                    if ours && d.hint().is_none_or(str::is_empty) {
                        failures.push(format!("{label}: pg_nps' refusal has no HINT: {message}"));
                    }
                }
            }
        }
        if fingerprint(&mut c) != before {
            failures.push(format!("{label}: the refused statement changed the tables"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} catalogue cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
