//! The permission matrix of docs/security.md, cell by cell: every statement, by direct SQL, as a
//! person holding only that role (or an application acting as itself), in a transaction that is
//! rolled back. A ✓ cell must change a row; a ✗ cell must be refused (an error, or no row in
//! reach). The generated test is the page: a row added there is tried here.

use nps_client_tests::{cluster, login_roles};
use postgres::Client;

const DB: &str = "pg_nps_client_matrix";

/// The role columns of the matrix, in order, and the login that plays each.
const ROLES: [(&str, &str); 8] = [
    ("admin", "mx_admin"),
    ("csm", "mx_csm"),
    ("approver", "mx_approver"),
    ("analyst", "mx_analyst"),
    ("auditor", "mx_auditor"),
    ("pii", "mx_pii"),
    ("intake", "mx_intake"),
    ("mailer", "mx_mailer"),
];

struct Row {
    n: String,
    change: String,
    sql: String,
    allowed: Vec<bool>,
}

fn matrix(root: &std::path::Path) -> Vec<Row> {
    let page = std::fs::read_to_string(root.join("docs/security.md")).expect("read docs/security.md");
    let start = page.find("<!-- matrix:begin -->").expect("matrix begin marker");
    let end = page.find("<!-- matrix:end -->").expect("matrix end marker");
    let mut rows = Vec::new();
    for l in page[start..end].lines() {
        if !l.starts_with('|') || l.starts_with("| #") || l.starts_with("|---") {
            continue;
        }
        let cells: Vec<String> =
            l.replace("\\|", "\u{1}").split('|').map(|c| c.trim().replace('\u{1}', "|")).collect();
        assert_eq!(cells.len(), 6 + ROLES.len(), "matrix row has {} cells: {l}", 4 + ROLES.len());
        let allowed = cells[5..5 + ROLES.len()]
            .iter()
            .map(|c| match c.as_str() {
                "✓" => true,
                "✗" => false,
                other => panic!("matrix row {}: cell {other:?} is neither ✓ nor ✗", cells[1]),
            })
            .collect();
        rows.push(Row {
            n: cells[1].clone(),
            change: format!("{}: {}", cells[2], cells[3]),
            sql: cells[4].trim_matches('`').to_string(),
            allowed,
        });
    }
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.n, (i + 1).to_string(), "matrix row {} is numbered {:?}", i + 1, r.n);
    }
    rows
}

/// People for every role column, their own runs, tasks, approvals and accounts, another CSM's,
/// an open cycle and a segmented one (see docs/security.md).
fn fixture(c: &mut Client) {
    login_roles(
        c,
        &[
            ("mx_admin", "nps_admin"),
            ("mx_csm", "nps_csm"),
            ("mx_approver", "nps_approver"),
            ("mx_analyst", "nps_analyst"),
            ("mx_auditor", "nps_auditor"),
            ("mx_pii", "nps_pii"),
            ("mx_intake", "nps_intake"),
            ("mx_mailer", "nps_mailer"),
            ("mx_other", "nps_csm"),
            ("mx_other", "nps_approver"),
            ("mx_team", "nps_csm"),
            ("mx_new", "nps_csm"),
            ("mx_newapp", "nps_csm"),
        ],
    );
    c.batch_execute(
        r#"
        SELECT nps.add_person(p, p) FROM unnest(ARRAY['mx_admin', 'mx_csm', 'mx_approver', 'mx_analyst', 'mx_auditor', 'mx_pii', 'mx_other']) p;
        SELECT nps.add_person('mx_team', 'mx_team', lead => 'mx_csm');
        SELECT nps.add_application('mx_intake', 'Matrix intake');
        SELECT nps.add_application('mx_mailer', 'Matrix mailer');
        INSERT INTO nps.accounts (external_id, name, csm)
        SELECT 'MX-' || p, p, p FROM unnest(ARRAY['mx_admin', 'mx_csm', 'mx_approver', 'mx_analyst', 'mx_auditor', 'mx_pii']) p
        UNION ALL SELECT 'MX-other', 'Other', 'mx_other';
        SELECT nps.import_template('{"name": "MX gate", "steps": [
            {"key": "work", "name": "Work", "checkpoint": true, "evidence": [{"name": "n", "type": "number"}],
             "tasks": [{"key": "work", "title": "Work", "owner": "run_owner", "fields": [{"name": "note", "type": "text"}]}]},
            {"key": "gate", "name": "Gate", "approval": {"role": "nps_approver", "min_approvers": 1}}]}');

        CREATE TABLE public.mx_ids (handle text, who text, id bigint);
        GRANT SELECT, INSERT ON public.mx_ids TO PUBLIC;
        CREATE FUNCTION public.mx(handle text) RETURNS bigint LANGUAGE sql STABLE AS
            'SELECT id FROM public.mx_ids WHERE handle = $1 AND who IN (current_user::text, ''*'') ORDER BY who = ''*'' LIMIT 1';
        CREATE TABLE public.mx_accounts AS SELECT external_id, csm FROM nps.accounts;
        CREATE FUNCTION public.mx_account() RETURNS text LANGUAGE sql STABLE AS
            'SELECT coalesce((SELECT external_id FROM public.mx_accounts WHERE csm = current_user::text), ''MX-other'')';
        GRANT SELECT ON public.mx_accounts TO PUBLIC;
        GRANT EXECUTE ON FUNCTION public.mx(text), public.mx_account() TO PUBLIC;

        -- Each person's own run and task; another CSM's; a task of the csm's team (an nps_admin
        -- starts work for others).
        SET ROLE mx_admin;
        INSERT INTO public.mx_ids
        SELECT 'own run', p, (nps.start_run('MX gate', owner => p)).id
        FROM unnest(ARRAY['mx_admin', 'mx_csm', 'mx_approver', 'mx_analyst', 'mx_auditor', 'mx_pii']) p;
        INSERT INTO public.mx_ids SELECT 'other run', '*', (nps.start_run('MX gate', owner => 'mx_other')).id;
        INSERT INTO public.mx_ids SELECT 'team run', '*', (nps.start_run('MX gate', owner => 'mx_team')).id;
        RESET ROLE;
        INSERT INTO public.mx_ids
        SELECT replace(i.handle, 'run', 'task'), i.who, t.id FROM public.mx_ids i JOIN nps.tasks t ON t.run_id = i.id AND t.key = 'work';

        -- Approvals: each person's own request (those who may ask), another's, a decided one.
        CREATE FUNCTION pg_temp.ask() RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE r bigint;
        BEGIN
            r := (nps.start_run('MX gate')).id;
            PERFORM nps.complete_task(t.id, '{"note": "done"}') FROM nps.tasks t WHERE t.run_id = r;
            PERFORM nps.complete_step(s.id, '{"n": 1}') FROM nps.steps s WHERE s.run_id = r AND s.key = 'work';
            RETURN (SELECT (nps.request_approval(s.id)).id FROM nps.steps s WHERE s.run_id = r AND s.key = 'gate');
        END $$;
        SET ROLE mx_admin;    INSERT INTO public.mx_ids SELECT 'own approval', 'mx_admin', pg_temp.ask();       RESET ROLE;
        SET ROLE mx_csm;      INSERT INTO public.mx_ids SELECT 'own approval', 'mx_csm', pg_temp.ask();         RESET ROLE;
        SET ROLE mx_approver; INSERT INTO public.mx_ids SELECT 'own approval', 'mx_approver', pg_temp.ask();    RESET ROLE;
        SET ROLE mx_other;
        INSERT INTO public.mx_ids SELECT 'other approval', '*', pg_temp.ask();
        INSERT INTO public.mx_ids SELECT 'decided approval', '*', pg_temp.ask();
        RESET ROLE;
        SET ROLE mx_approver;
        SELECT nps.decide(public.mx('decided approval'), 'approve');
        RESET ROLE;

        -- Cycles of the other CSM: one open (a response, invitations, a staged row, a
        -- conversation), one segmented (its detractor has a project and an e-mail queued).
        SET ROLE mx_admin;
        SELECT nps.configure(min_responses => 1);
        RESET ROLE;
        SET ROLE mx_other;
        SELECT nps.start_cycle('MX', opens_at => now() - interval '30 days', closes_at => now() + interval '300 days', min_responses => 50);
        SELECT nps.record_response('MX', 'MX-other', 'other@mx.example', 9);
        SELECT nps.add_invitations('MX', 5);
        INSERT INTO nps.response_staging (cycle, account, respondent, score) VALUES ('MX', 'MX-other', 'pending@mx.example', '8');
        SELECT nps.log_conversation(public.mx('other run'), 'Called the client');
        SELECT nps.start_cycle('MX-seg', opens_at => '2025-01-01Z', closes_at => '2025-01-15Z', min_responses => 1);
        SELECT nps.record_response('MX-seg', 'MX-other', 'seg@mx.example', 2, 'Too slow', responded_at => '2025-01-05Z');
        SELECT nps.complete_task(t.id, CASE t.key WHEN 'audience' THEN '{"invitations": 5}'::jsonb ELSE '{}' END)
        FROM nps.tasks t WHERE t.step_id = nps.cycle_step('MX-seg', 'intake') ORDER BY t.position;
        SELECT nps.close_intake('MX-seg');
        SELECT nps.complete_task(t.id) FROM nps.tasks t WHERE t.step_id = nps.cycle_step('MX-seg', 'segmentation');
        SELECT nps.complete_step(nps.cycle_step('MX-seg', 'segmentation'));
        RESET ROLE;
        "#,
    )
    .expect("matrix fixture");
}

#[test]
fn every_cell_of_the_permission_matrix_holds() {
    let cl = cluster();
    let rows = matrix(&cl.root);
    assert!(rows.len() >= 40, "the matrix has {} rows, at least 40 are required", rows.len());
    let mut c = cl.fresh_db(DB);
    fixture(&mut c);
    let mut failures = Vec::new();
    for row in &rows {
        for ((column, login), allowed) in ROLES.iter().zip(&row.allowed) {
            let mut tx = c.transaction().expect("begin");
            tx.batch_execute(&format!("SET LOCAL ROLE {login}")).expect("set role");
            let result = tx.execute(row.sql.as_str(), &[]);
            tx.rollback().expect("rollback");
            let changed = matches!(result, Ok(n) if n > 0);
            if changed != *allowed {
                let what = match &result {
                    Ok(n) => format!("changed {n} row(s)"),
                    Err(e) => format!(
                        "refused: {}",
                        e.as_db_error()
                            .map(|d| format!("{} {}", d.code().code(), d.message()))
                            .unwrap_or(e.to_string())
                    ),
                };
                failures.push(format!(
                    "row {} ({}) as {column}: expected {}, {what}",
                    row.n,
                    row.change,
                    if *allowed { "✓" } else { "✗" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cells of the matrix do not hold:\n{}",
        failures.len(),
        rows.len() * ROLES.len(),
        failures.join("\n")
    );
}
