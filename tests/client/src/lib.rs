//! pg_nps driven from outside, the way its users run it: an application's login roles with
//! prepared statements and transactions, a BI tool's plain queries, many clients at once, and a
//! server killed in the middle. The tests run against the private cluster that `make test`
//! starts (`scripts/test` passes its socket directory and port).

pub mod load;

use postgres::{Client, Config, NoTls};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Where the private cluster listens, and the repository (for `scripts/cluster`).
#[derive(Clone)]
pub struct Cluster {
    pub host: String,
    pub port: u16,
    pub root: PathBuf,
}

pub fn cluster() -> Cluster {
    let need = |k: &str| {
        std::env::var(k).unwrap_or_else(|_| {
            panic!("{k} is not set: these tests run against the private cluster; run them with `make test`")
        })
    };
    Cluster {
        host: need("NPS_PGHOST"),
        port: need("NPS_PGPORT").parse().expect("NPS_PGPORT is a port number"),
        root: PathBuf::from(need("NPS_ROOT")),
    }
}

impl Cluster {
    fn config(&self, db: &str, user: &str, options: &str) -> Config {
        let mut c = Config::new();
        c.host(&self.host)
            .port(self.port)
            .user(user)
            .dbname(db)
            .application_name("pg_nps client tests")
            .connect_timeout(Duration::from_secs(10));
        if !options.is_empty() {
            c.options(options);
        }
        c
    }

    /// A connection as `user` (trust authentication in the private cluster).
    pub fn connect(&self, db: &str, user: &str) -> Client {
        self.try_connect(db, user, "").unwrap_or_else(|e| panic!("connect to {db} as {user}: {e}"))
    }

    pub fn try_connect(&self, db: &str, user: &str, options: &str) -> Result<Client, postgres::Error> {
        self.config(db, user, options).connect(NoTls)
    }

    /// A new database with the extension, as the superuser.
    pub fn fresh_db(&self, db: &str) -> Client {
        let mut admin = self.connect("postgres", "postgres");
        for sql in [format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"), format!("CREATE DATABASE {db}")] {
            admin.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let mut c = self.connect(db, "postgres");
        c.batch_execute("CREATE EXTENSION pg_nps").expect("create extension pg_nps");
        c
    }

    /// Run `scripts/cluster <verb>` (start, crash).
    pub fn control(&self, verb: &str) {
        let out =
            Command::new(self.root.join("scripts/cluster")).arg(verb).output().expect("run scripts/cluster");
        assert!(
            out.status.success(),
            "scripts/cluster {verb} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Wait until the server accepts connections again (after a crash and restart).
    pub fn wait_ready(&self, db: &str) -> Client {
        let start = Instant::now();
        loop {
            match self.try_connect(db, "postgres", "") {
                Ok(c) => return c,
                Err(_) if start.elapsed() < Duration::from_secs(60) => {
                    std::thread::sleep(Duration::from_millis(200))
                }
                Err(e) => panic!("the server did not come back: {e}"),
            }
        }
    }
}

/// Login roles, each a member of a pg_nps group role; idempotent (roles are cluster-wide).
pub fn login_roles(c: &mut Client, roles: &[(&str, &str)]) {
    for (login, group) in roles {
        c.batch_execute(&format!(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{login}') THEN CREATE ROLE {login} LOGIN; END IF;
             END $$;
             GRANT {group} TO {login};"
        ))
        .unwrap_or_else(|e| panic!("role {login}: {e}"));
    }
}

/// The fields each task of the shipped "NPS Detractor" template needs to be completed.
pub fn detractor_task_fields(key: &str) -> &'static str {
    match key {
        "first_contact" => r#"{"channel": "phone"}"#,
        "review" => r#"{"summary": "reviewed with the account team"}"#,
        "call" => r#"{"outcome": "plan_agreed"}"#,
        "log" => r#"{"notes": "agreed next steps"}"#,
        "confirm_fix" => r#"{"fix": "release 2026.2"}"#,
        "ask_feedback" => r#"{"resurvey_score": 8}"#,
        _ => "{}",
    }
}

/// The SQLSTATE of an error, or "" when there is none (the connection broke).
pub fn sqlstate(e: &postgres::Error) -> String {
    e.code().map(|c| c.code().to_string()).unwrap_or_default()
}

/// What every row of every table of the extension holds, as one hash: equal before and after a
/// refused statement means the refusal wrote nothing.
pub fn fingerprint(c: &mut Client) -> String {
    c.query_one(
        "SELECT md5(string_agg(t.relname || ':' || (xpath('/row/h/text()', query_to_xml(
                 format('SELECT md5(coalesce(string_agg(x::text, %L ORDER BY x::text), %L)) AS h FROM nps.%I x', '|', '', t.relname),
                 false, true, '')))[1]::text, ',' ORDER BY t.relname))
         FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'nps' AND t.relkind = 'r'",
        &[],
    )
    .expect("fingerprint")
    .get(0)
}

/// The invariants that must hold after any mix of concurrent work, and after a crash. Returns
/// the violations found (empty when all hold).
pub fn invariants(c: &mut Client) -> Vec<String> {
    let mut problems = Vec::new();
    let mut count = |what: &str, sql: &str| {
        let n: i64 = c.query_one(sql, &[]).unwrap_or_else(|e| panic!("{what}: {e}")).get(0);
        if n != 0 {
            problems.push(format!("{what}: {n}"));
        }
    };
    count(
        "steps done with open tasks",
        "SELECT count(*) FROM nps.steps s JOIN nps.tasks t ON t.step_id = s.id WHERE s.status = 'done' AND t.status = 'open'",
    );
    count(
        "runs done with unfinished steps",
        "SELECT count(*) FROM nps.runs r JOIN nps.steps s ON s.run_id = r.id
         WHERE r.status = 'done' AND s.status NOT IN ('done', 'skipped')",
    );
    // A cancelled run keeps its steps' counts as they were when it stopped (its tasks are
    // cancelled, its steps never change again): the count is checked on runs in progress.
    count(
        "steps whose open-task count is not their open tasks (lost update)",
        "SELECT count(*) FROM nps.steps s JOIN nps.runs r ON r.id = s.run_id
         WHERE r.status = 'active'
           AND s.open_tasks <> (SELECT count(*) FROM nps.tasks t WHERE t.step_id = s.id AND t.status = 'open')",
    );
    count(
        "approvals whose tallies are not their decisions (lost update)",
        "SELECT count(*) FROM nps.approvals a
         WHERE a.approvals <> (SELECT count(*) FROM nps.approval_decisions d WHERE d.approval_id = a.id AND d.decision = 'approve')
            OR a.rejections <> (SELECT count(*) FROM nps.approval_decisions d WHERE d.approval_id = a.id AND d.decision = 'reject')",
    );
    count(
        "approvers with more than one decision on an approval",
        "SELECT count(*) FROM (SELECT approval_id, approver FROM nps.approval_decisions GROUP BY 1, 2 HAVING count(*) > 1) x",
    );
    count(
        "approvals decided by more decisions than it took",
        "SELECT count(*) FROM nps.approvals a
         WHERE a.status = 'approved' AND (a.approvals <> a.min_approvers OR a.rejections > 0)
            OR a.status = 'rejected' AND (a.rejections <> 1 OR a.approvals >= a.min_approvers)
            OR a.status = 'pending' AND (a.rejections > 0 OR a.approvals >= a.min_approvers)",
    );
    count(
        "decisions made after their approval was settled (approved, rejected or withdrawn)",
        "SELECT count(*) FROM nps.approval_decisions d JOIN nps.approvals a ON a.id = d.approval_id
         WHERE a.status <> 'pending' AND d.decided_at > a.decided_at",
    );
    count(
        "rollup counts that differ from the responses (per cycle, UTC day and score)",
        "WITH r AS (SELECT cycle_id, (responded_at AT TIME ZONE 'UTC')::date AS day, score, count(*) AS n
                    FROM nps.responses GROUP BY 1, 2, 3),
              u AS (SELECT cycle_id, day, (i - 1)::smallint AS score, sum(x) AS n
                    FROM nps.response_rollups, unnest(counts) WITH ORDINALITY AS a(x, i) GROUP BY 1, 2, 3)
         SELECT count(*) FROM r FULL JOIN u USING (cycle_id, day, score) WHERE coalesce(r.n, 0) <> coalesce(u.n, 0)",
    );
    count(
        "detractor responses without their response-fired playbook run",
        "SELECT count(*) FROM nps.responses r JOIN nps.playbooks p ON p.fires_on = 'response' AND p.segment = r.segment
         WHERE NOT EXISTS (SELECT 1 FROM nps.playbook_runs pb WHERE pb.playbook = p.name AND pb.response_id = r.id)",
    );
    count("chains that do not verify", "SELECT count(*) FROM nps.verify_audit() WHERE NOT ok");
    problems.extend(audit_replays(c));
    problems
}

/// Every committed change has its audit entry: replaying each row's entries (the INSERT's row,
/// then each UPDATE's changed columns) gives the row as it is now, for every row of every
/// audited table, and no entry speaks of a row that is not there.
pub fn audit_replays(c: &mut Client) -> Vec<String> {
    c.batch_execute(
        "SET timezone = 'UTC'; SET extra_float_digits = 3; SET intervalstyle = 'iso_8601';
         CREATE OR REPLACE AGGREGATE pg_temp.jsonb_fold(jsonb) (sfunc = jsonb_concat, stype = jsonb, initcond = '{}')",
    )
    .expect("replay set-up");
    let tables: Vec<(String, Vec<String>)> = c
        .query(
            "SELECT t.table_name::regclass::text,
                    array_agg(a.attname::text ORDER BY a.attname)
             FROM nps.audited_tables t
             JOIN pg_index i ON i.indrelid = t.table_name AND i.indisprimary
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
             GROUP BY 1 ORDER BY 1",
            &[],
        )
        .expect("audited tables")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut problems = Vec::new();
    for (table, keys) in tables {
        // What the extension's install script writes (the shipped templates, ids up to 1000,
        // the cycle's hooks into them and the shipped audit registrations) is versioned with
        // the extension, not audited.
        let installed = match table.as_str() {
            "nps.templates" => "x.id <= 1000",
            "nps.hooks" | "nps.audit_registry" => "x.shipped",
            _ => "false",
        };
        let sql = format!(
            "WITH replay AS (
                 SELECT pk, pg_temp.jsonb_fold(new ORDER BY id) AS img, (array_agg(op ORDER BY id DESC))[1] AS last_op
                 FROM nps.audit_log WHERE table_name = $1 GROUP BY pk),
             live AS (
                 SELECT (SELECT jsonb_object_agg(k, to_jsonb(x) -> k) FROM unnest($2::text[]) k) AS pk, to_jsonb(x) AS img,
                        {installed} AS installed
                 FROM {table} x)
             SELECT count(*) FROM live FULL JOIN (SELECT * FROM replay WHERE last_op <> 'DELETE') r ON r.pk = live.pk
             WHERE r.img IS DISTINCT FROM live.img AND NOT (r.pk IS NULL AND live.installed)"
        );
        let n: i64 =
            c.query_one(&sql, &[&table, &keys]).unwrap_or_else(|e| panic!("replay {table}: {e}")).get(0);
        if n != 0 {
            problems.push(format!("{table}: {n} rows differ from their replayed audit entries"));
        }
    }
    c.batch_execute("RESET timezone; RESET extra_float_digits; RESET intervalstyle").expect("reset");
    problems
}
