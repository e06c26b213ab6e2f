//! In-database tests of capture, the append-only guard and verification.

#[pgrx::pg_schema]
mod tests {
    use crate::testing::{assert_error, error_of, people};
    use pgrx::prelude::*;

    fn one<T: pgrx::IntoDatum + pgrx::FromDatum>(sql: &str) -> T {
        Spi::get_one::<T>(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).expect("not NULL")
    }

    fn run(sql: &str) {
        Spi::run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// A run of a one-step template whose task belongs to a_csm; returns (run, task).
    fn setup() -> (i64, i64) {
        people(&[("a_csm", &["nps_csm"], None)]);
        run(r#"select nps.import_template('{"name": "A", "steps": [{"key": "s", "name": "S",
                 "tasks": [{"key": "t", "title": "Call", "owner": {"subject": "csm"}}, {"key": "u", "title": "Log"}]}]}')"#);
        run("set role a_csm");
        let run_id = one::<i64>(r#"select id from nps.start_run('A', subject => '{"csm": "a_csm"}')"#);
        run("reset role");
        let task = one::<i64>(&format!("select id from nps.tasks where run_id = {run_id} and key = 't'"));
        (run_id, task)
    }

    fn entries(run_id: i64) -> i64 {
        one::<i64>(&format!("select count(*) from nps.audit_log where chain = 'run:{run_id}'"))
    }

    fn verified(run_id: i64) -> (bool, Option<String>) {
        let r = Spi::get_two::<bool, String>(&format!("select ok, problem from nps.verify_audit({run_id})"))
            .unwrap();
        (r.0.unwrap(), r.1)
    }

    #[pg_test]
    fn a_change_is_captured_with_who_what_and_why() {
        let (run_id, task) = setup();
        let before = entries(run_id);
        run("set role a_csm");
        run(&format!("select nps.cancel_task({task}, 'duplicate of another call')"));
        run("reset role");
        // The task's change, then the step's recount of its open tasks.
        assert_eq!(entries(run_id), before + 2);
        let row = Spi::get_three::<String, String, String>(&format!(
            "select op::text || ' ' || table_name || ' ' || pk::text, current_user_name || ' ' || actor, reason
             from nps.audit_log where chain = 'run:{run_id}' and pos = {}",
            before + 1
        ))
        .unwrap();
        assert_eq!(row.0.unwrap(), format!("UPDATE nps.tasks {{\"id\": {task}}}"));
        // The role in effect outside the guards (which run as the owner), and the person.
        assert_eq!(row.1.unwrap(), "a_csm a_csm");
        assert_eq!(row.2.unwrap(), "duplicate of another call");
        // Only the changed columns, old and new.
        assert!(one::<bool>(&format!(
            "select old ->> 'status' = 'open' and new ->> 'status' = 'cancelled' and not new ? 'title'
             from nps.audit_log where chain = 'run:{run_id}' and pos = {}",
            before + 1
        )));
        assert_eq!(verified(run_id), (true, None));
    }

    #[pg_test]
    fn inserts_and_deletes_keep_the_whole_row_and_no_op_updates_record_nothing() {
        run("insert into nps.holidays values ('2030-12-25', 'Christmas')");
        run("update nps.holidays set name = name where day = '2030-12-25'");
        run("set local nps.reason = 'calendar clean-up'");
        run("delete from nps.holidays where day = '2030-12-25'");
        let ops = one::<String>(
            "select string_agg(op::text || ':' || coalesce(new ->> 'name', old ->> 'name') || ':' || coalesce(reason, '-'), ' ' order by pos)
             from nps.audit_log where chain = 'table:nps.holidays'",
        );
        assert_eq!(ops, "INSERT:Christmas:- DELETE:Christmas:calendar clean-up");
        assert!(one::<bool>("select ok from nps.verify_audit() where chain = 'table:nps.holidays'"));
    }

    #[pg_test]
    fn the_trail_refuses_update_delete_truncate_and_direct_inserts_even_for_a_superuser() {
        // TRUNCATE waits for every writer of the trail: ask before holding any lock of our own
        // (a chain head), which the tests writing beside this one may be waiting for.
        for sql in ["truncate nps.audit_log", "truncate nps.audit_chains"] {
            assert_error(sql, "NP010", "the audit trail is append-only");
        }
        assert_error("truncate nps.tasks", "NP010", "TRUNCATE of nps.tasks is refused");
        let (run_id, _) = setup();
        for sql in [
            format!("update nps.audit_log set reason = 'x' where chain = 'run:{run_id}'"),
            format!("delete from nps.audit_log where chain = 'run:{run_id}'"),
            "insert into nps.audit_log select * from nps.audit_log limit 1".into(),
            "update nps.audit_chains set pos = 1".into(),
            "delete from nps.audit_chains".into(),
        ] {
            assert_error(&sql, "NP010", "the audit trail is append-only");
        }
        // Replica mode does not open a way to change entries either.
        run("set local session_replication_role = replica");
        assert_error("delete from nps.audit_log", "NP010", "append-only");
        run("set local session_replication_role = origin");
        // Other roles hold no privilege on the trail at all.
        run("set role a_csm");
        assert_eq!(error_of("select count(*) from nps.audit_log").0, "42501");
        assert_eq!(error_of("select * from nps.verify_audit()").0, "42501");
        assert_eq!(error_of("select * from nps.run_history(1)").0, "42501");
        run("reset role");
        assert_eq!(verified(run_id), (true, None));
    }

    // Tampering needs ALTER TABLE … DISABLE TRIGGER on the audit tables, whose exclusive lock
    // would stall the tests running beside this one: tests/pg_regress/sql/audit.sql covers each
    // kind, one after the other, and nps-core's unit tests cover the rules.

    #[pg_test]
    fn a_rolled_back_savepoint_leaves_a_chain_that_continues_and_verifies() {
        let (run_id, task) = setup();
        let before = entries(run_id);
        run(&format!(
            "do $$ begin
               begin
                 perform nps.save_task({task}, note => 'kept for a moment');
                 raise exception 'undo';
               exception when others then null;
               end;
               perform nps.save_task({task}, note => 'kept');
             end $$"
        ));
        assert_eq!(entries(run_id), before + 1);
        assert_eq!(
            one::<String>(&format!(
                "select new ->> 'note' from nps.audit_log where chain = 'run:{run_id}' and pos = {}",
                before + 1
            )),
            "kept"
        );
        assert_eq!(verified(run_id), (true, None));
        // Heads read inside the transaction include its own entries.
        assert_eq!(
            one::<i64>(&format!("select pos from nps.audit_heads() where chain = 'run:{run_id}'")),
            before + 1
        );
    }

    #[pg_test]
    fn malformed_exported_heads_are_refused() {
        assert_error("select * from nps.verify_audit(heads => '{}')", "22023", "must be a JSON array");
        assert_error(
            r#"select * from nps.verify_audit(heads => '[{"chain": "run:1", "pos": 1, "hash": "xyz"}]')"#,
            "22023",
            "element 0 has no \"hash\" of 64 hex digits",
        );
        assert_error("select * from nps.verify_audit(424242)", "42704", "run 424242 does not exist");
    }

    #[pg_test]
    fn enable_audit_checks_the_table_and_is_idempotent() {
        run("create table public.t_nokey (x int)");
        assert_error("select nps.enable_audit('public.t_nokey')", "42P16", "has no primary key");
        run("create table public.t_items (id int primary key, run bigint, label text)");
        // Only pg_nps' own tables join a run's chain: another table's rows cannot pose as a
        // run's history.
        assert_error("select nps.enable_audit('public.t_items', 'run')", "42501", "is not pg_nps's own");
        run("create temp table tasks (id int primary key, run_id bigint)");
        assert_error("select nps.enable_audit('pg_temp.tasks')", "42809", "temporary");
        run("select nps.enable_audit('public.t_items')");
        run("select nps.enable_audit('public.t_items')");
        assert!(one::<bool>(
            "select run_column is null from nps.audited_tables where table_name = 'public.t_items'::regclass"
        ));
        let (run_id, _) = setup();
        run(&format!("insert into public.t_items values (1, {run_id}, 'its own chain'), (2, null, 'too')"));
        assert_eq!(
            one::<i64>(&format!(
                "select count(*) from nps.audit_log where chain = 'run:{run_id}' and table_name = 'public.t_items'"
            )),
            0
        );
        assert_eq!(one::<i64>("select count(*) from nps.audit_log where chain = 'table:public.t_items'"), 2);
        assert!(one::<bool>("select bool_and(ok) from nps.verify_audit()"));
        // Session settings do not shape what is recorded: with floats printed to one digit,
        // 0.11 → 0.12 is still a change, and times are recorded in UTC.
        run("create table public.t_measures (id int primary key, x float8, at timestamptz)");
        run("select nps.enable_audit('public.t_measures')");
        run("insert into public.t_measures values (1, 0.11, '2030-01-01 12:00+02')");
        run("set local extra_float_digits = -15; set local timezone = 'America/New_York'");
        run("update public.t_measures set x = 0.12 where id = 1");
        assert_eq!(
            one::<String>("select (old ->> 'x') || ' → ' || (new ->> 'x') from nps.audit_log where table_name = 'public.t_measures' and op = 'UPDATE'"),
            "0.11 → 0.12"
        );
        assert_eq!(
            one::<String>("select new ->> 'at' from nps.audit_log where table_name = 'public.t_measures' and op = 'INSERT'"),
            "2030-01-01T10:00:00+00:00"
        );
    }

    #[pg_test]
    fn run_history_reads_as_a_timeline() {
        let (run_id, task) = setup();
        run(&format!("select nps.cancel_task({task}, 'merged')"));
        let line = one::<String>(&format!(
            "select action || ' ' || object || ' | ' || changes || ' | ' || reason
             from nps.run_history({run_id}) where object like 'task%' and action = 'changed' and reason is not null"
        ));
        assert!(line.starts_with(&format!("changed task #{task} \"Call\" | ")), "{line}");
        assert!(line.contains("status: open → cancelled"), "{line}");
        assert!(line.ends_with("| merged"), "{line}");
        assert_error("select * from nps.run_history(-1)", "42704", "run -1 does not exist");
    }
}
