//! In-database tests of each workflow rule, through the procedures and through direct UPDATEs.

#[pgrx::pg_schema]
mod tests {
    use crate::testing::{assert_error, error_of, people};
    use pgrx::prelude::*;

    fn one<T: pgrx::IntoDatum + pgrx::FromDatum>(sql: &str) -> T {
        Spi::get_one::<T>(sql).expect("query runs").expect("not NULL")
    }

    fn run(sql: &str) {
        Spi::run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Roles, a three-step template (checkpoint, skippable, two-approver gate) and a run of it
    /// owned by t_owner with tasks for t_csm. Returns the run id.
    fn setup() -> i64 {
        run("create role t_approvers");
        people(&[
            ("t_lead1", &["nps_approver", "t_approvers"], None),
            ("t_lead2", &["nps_approver", "t_approvers"], None),
            ("t_owner", &["nps_csm"], Some("t_lead1")),
            ("t_csm", &["nps_csm"], Some("t_owner")),
        ]);
        run(r#"select nps.import_template('{"name": "T", "steps": [
                {"key": "check", "name": "Check", "checkpoint": true,
                 "evidence": [{"name": "n", "type": "number"}],
                 "tasks": [{"key": "a", "title": "A", "owner": {"subject": "csm"},
                            "fields": [{"name": "ok", "type": "boolean"}]}]},
                {"key": "opt", "name": "Optional", "skippable": true, "tasks": [{"key": "b", "title": "B"}]},
                {"key": "gate", "name": "Gate", "approval": {"role": "t_approvers", "min_approvers": 2}}]}')"#);
        run("set role t_owner");
        let id = one::<i64>(r#"select id from nps.start_run('T', subject => '{"csm": "t_csm"}')"#);
        run("reset role");
        id
    }

    fn step(run_id: i64, key: &str) -> i64 {
        one::<i64>(&format!("select id from nps.steps where run_id = {run_id} and key = '{key}'"))
    }

    fn task(run_id: i64, key: &str) -> i64 {
        one::<i64>(&format!("select id from nps.tasks where run_id = {run_id} and key = '{key}'"))
    }

    fn status(table: &str, id: i64) -> String {
        one::<String>(&format!("select status::text from nps.{table} where id = {id}"))
    }

    #[pg_test]
    fn template_errors_name_the_json_path_and_store_nothing() {
        let before = one::<i64>("select count(*) from nps.templates");
        assert_error(
            r#"select nps.import_template('{"name": "X", "steps": [{"key": "a", "name": "A", "tasks": [{"key": "t", "title": "T", "due": {"days": -1}}]}]}')"#,
            "NP008",
            "steps[0].tasks[0].due.days",
        );
        assert_error(
            r#"select nps.import_template('{"name": "X", "steps": [{"key": "a", "name": "A", "approval": {"role": "r"}, "skippable": true}]}')"#,
            "NP008",
            "steps[0].skippable: an approval gate can never be skipped",
        );
        assert_error("select nps.import_template('[]')", "NP008", "(top level)");
        assert_eq!(one::<i64>("select count(*) from nps.templates"), before);
    }

    #[pg_test]
    fn shipped_templates_round_trip_through_export_and_import() {
        let names: Vec<String> = Spi::connect(|c| {
            c.select("select name from nps.templates order by id", None, &[])
                .unwrap()
                .map(|r| r.get::<String>(1).unwrap().unwrap())
                .collect()
        });
        assert_eq!(names.len(), 6);
        for name in names {
            let same = one::<bool>(&format!(
                "select (nps.import_template(nps.export_template('{name}') - 'version')).definition - 'version'
                      = nps.export_template('{name}', 1) - 'version'"
            ));
            assert!(same, "{name} does not round-trip");
        }
    }

    #[pg_test]
    fn a_checkpoint_is_never_skipped_by_any_client() {
        let r = setup();
        let check = step(r, "check");
        run("set role t_owner");
        assert_error(&format!("select nps.skip_step({check}, 'hurry')"), "NP001", "is a checkpoint");
        run("reset role");
        // Not even the superuser with a direct UPDATE.
        assert_error(
            &format!("update nps.steps set status = 'skipped', skip_reason = 'x' where id = {check}"),
            "NP001",
            "can never be skipped",
        );
        assert_eq!(status("steps", check), "active");
    }

    #[pg_test]
    fn steps_and_their_tasks_run_in_order() {
        let r = setup();
        let opt = step(r, "opt");
        assert_error(
            &format!("update nps.steps set status = 'active' where id = {opt}"),
            "NP002",
            "cannot start",
        );
        run("set role t_owner");
        assert_error(&format!("select nps.complete_task({})", task(r, "b")), "NP002", "is pending");
        run("reset role");
        assert_eq!(status("tasks", task(r, "b")), "open");
    }

    #[pg_test]
    fn completion_needs_finished_tasks_recorded_evidence_and_required_fields() {
        let r = setup();
        let check = step(r, "check");
        run("set role t_owner");
        assert_error(
            &format!("select nps.complete_step({check}, '{{\"n\": 1}}')"),
            "NP003",
            "1 open task(s)",
        );
        run("reset role; set role t_csm");
        let a = task(r, "a");
        assert_error(&format!("select nps.complete_task({a})"), "NP003", "missing required field(s): ok");
        assert_error(
            &format!("select nps.complete_task({a}, '{{\"ok\": \"yes\"}}')"),
            "NP003",
            "expected true or false",
        );
        run(&format!("select nps.complete_task({a}, '{{\"ok\": true}}')"));
        // The task owner is not the run owner: the evidence is the owner's to record.
        assert_error(
            &format!("select nps.complete_step({check}, '{{\"n\": 1}}')"),
            "42501",
            "only the owner of run",
        );
        run("reset role; set role t_owner");
        assert_error(&format!("select nps.complete_step({check})"), "NP003", "missing evidence: n");
        run(&format!("select nps.complete_step({check}, '{{\"n\": 3}}')"));
        run("reset role");
        assert_eq!(status("steps", check), "done");
        assert_eq!(status("steps", step(r, "opt")), "active");
    }

    /// Walk the run to its gate: checkpoint done, optional step skipped.
    fn to_the_gate(r: i64) -> i64 {
        run("set role t_csm");
        run(&format!("select nps.complete_task({}, '{{\"ok\": true}}')", task(r, "a")));
        run("reset role; set role t_owner");
        run(&format!("select nps.complete_step({}, '{{\"n\": 3}}')", step(r, "check")));
        run(&format!("select nps.skip_step({}, 'not this time')", step(r, "opt")));
        run("reset role");
        step(r, "gate")
    }

    #[pg_test]
    fn a_gate_needs_two_approvers_from_its_role_and_never_the_requester() {
        let r = setup();
        let gate = to_the_gate(r);
        assert_eq!(status("steps", gate), "active");
        assert_error(
            &format!("update nps.steps set status = 'done' where id = {gate}"),
            "NP004",
            "needs an approval",
        );
        run("set role t_owner");
        let a = one::<i64>(&format!("select id from nps.request_approval({gate})"));
        run("reset role; grant t_approvers to t_owner; set role t_owner");
        assert_error(&format!("select nps.decide({a}, 'approve')"), "NP005", "who cannot decide it");
        run("reset role; set role t_csm");
        assert_error(
            &format!("select nps.decide({a}, 'approve')"),
            "42501",
            "is not a member of t_approvers",
        );
        run("reset role; set role t_lead1");
        assert_eq!(one::<String>(&format!("select status::text from nps.decide({a}, 'approve')")), "pending");
        assert_error(
            &format!("select nps.decide({a}, 'approve')"),
            "NP006",
            "already has a decision by t_lead1",
        );
        run("reset role");
        assert_error(
            &format!("update nps.approvals set status = 'approved' where id = {a}"),
            "NP004",
            "1 of 2",
        );
        run("set role t_lead2");
        assert_eq!(
            one::<String>(&format!("select status::text from nps.decide({a}, 'approve')")),
            "approved"
        );
        run("reset role");
        assert_eq!(status("steps", gate), "done");
        assert_eq!(status("runs", r), "done");
        assert_eq!(
            one::<String>(&format!("select completed_by::text from nps.steps where id = {gate}")),
            "t_lead2"
        );
    }

    #[pg_test]
    fn a_rejection_sends_the_step_back_with_its_reason_and_a_new_request_follows() {
        let r = setup();
        let gate = to_the_gate(r);
        run("set role t_owner");
        let a1 = one::<i64>(&format!("select id from nps.request_approval({gate})"));
        run("reset role; set role t_lead1");
        run(&format!("select nps.decide({a1}, 'reject', 'numbers missing')"));
        run("reset role");
        assert_eq!(status("steps", gate), "active");
        assert_eq!(
            one::<String>(&format!("select rejection_reason from nps.steps where id = {gate}")),
            "numbers missing"
        );
        run("set role t_owner");
        let a2 = one::<i64>(&format!("select id from nps.request_approval({gate}, 'numbers added')"));
        run("reset role");
        assert_ne!(a1, a2);
        assert_eq!(status("steps", gate), "awaiting_approval");
        assert_eq!(status("approvals", a1), "rejected");
    }

    #[pg_test]
    fn a_finished_run_is_final_and_its_template_version_immutable() {
        let r = setup();
        let gate = to_the_gate(r);
        run("set role t_owner");
        let a = one::<i64>(&format!("select id from nps.request_approval({gate})"));
        run(&format!("select nps.cancel_run({r}, 'client left')"));
        run("reset role");
        assert_eq!(status("approvals", a), "withdrawn");
        run("set role t_lead1");
        assert_error(&format!("select nps.decide({a}, 'approve')"), "NP006", "is already withdrawn");
        run("reset role");
        assert_error(&format!("update nps.runs set title = 'x' where id = {r}"), "NP007", "is cancelled");
        assert_error(
            &format!("update nps.steps set evidence = '{{\"n\": 4}}' where id = {}", step(r, "check")),
            "NP007",
            "is cancelled",
        );
        assert_error(
            &format!("update nps.templates set definition = definition || '{{\"description\": \"x\"}}' where id = (select template_id from nps.runs where id = {r})"),
            "NP009",
            "is used by a run",
        );
        assert_error(
            &format!("insert into nps.tasks (run_id, step_id, position, key, title, owner) values ({r}, {gate}, 9, 'x', 'X', 't_csm')"),
            "NP009",
            "created only from a run's template",
        );
        assert_eq!(
            one::<i64>(&format!("select count(*) from nps.tasks where run_id = {r} and status = 'open'")),
            0
        );
    }

    #[pg_test]
    fn due_dates_skip_weekends_and_holidays_in_the_session_time_zone() {
        run("set timezone = 'UTC'; insert into nps.holidays values ('2031-01-01', 'New Year')");
        // Wed 2030-12-31 + 1 business day skips the holiday: Thu 2031-01-02.
        assert!(one::<bool>(
            "select nps.due_at('2030-12-31 09:00+00', days => 1, business => true) = '2031-01-02 09:00+00'"
        ));
        // Fri + 1 business day = Mon; hours add on top.
        assert!(one::<bool>(
            "select nps.due_at('2030-12-27 09:00+00', days => 1, hours => 3, business => true) = '2030-12-30 12:00+00'"
        ));
        assert_error("select nps.due_at(now(), days => -1)", "22023", "is negative");
        let (state, _, _) = error_of("select nps.due_at(now(), days => 1)");
        assert_eq!(state, "none");
    }
}
