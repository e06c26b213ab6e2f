//! Sixteen clients working one database at once, as a CS team and its tools do: survey intake
//! (one by one and through COPY batches), CSMs completing the detractor projects that a
//! response-fired playbook starts, leads pushing runs through an approval gate, directors
//! deciding. Every change a client saw commit is remembered, so that afterwards (and after a
//! crash) each one can be looked up.

use crate::{login_roles, sqlstate, Cluster};
use postgres::Client;
use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

/// Something a client saw commit (or, when the connection broke before the answer, may have).
#[derive(Clone, Debug)]
pub enum Op {
    /// A response recorded (or re-submitted) with this score.
    Response { respondent: String, score: i32 },
    /// A staged row of a COPY batch; some ingest loads it.
    Staged { respondent: String, score: i32 },
    /// A task completed by this role.
    Task { id: i64, by: String },
    /// A decision on an approval.
    Decision { approval: i64, by: String, decision: String },
    /// An approval requested.
    Request { approval: i64 },
}

#[derive(Default, Debug)]
pub struct Outcome {
    pub committed: Vec<Op>,
    /// Sent when the connection broke: may or may not have committed.
    pub in_doubt: Vec<Op>,
    /// Refusals that concurrency makes expected (a twin finished the task first, the other
    /// director decided first), by SQLSTATE.
    pub refusals: BTreeMap<String, u64>,
    /// Any other error: each one fails the test.
    pub unexpected: Vec<String>,
}

/// The refusals a client may meet because another client got there first, by operation: the
/// CSM's twin (or the other lead) finished the task first (NP007); the other director decided
/// first (NP006); the other lead asked again first (NP004), or their request was granted in
/// between (NP002: the step is done). Anything else is a failure.
fn is_race(what: &str, code: &str) -> bool {
    matches!(
        (what, code),
        ("complete_task" | "finish run", "NP007")
            | ("decide", "NP006")
            | ("request again", "NP004" | "NP002" | "NP007")
    )
}

pub const CLIENTS: usize = 16;
const ACCOUNTS: i32 = 200;

/// The database the clients share: roles, accounts, an open cycle, a playbook that starts a
/// detractor project on every detractor response, and a small template with an approval gate.
pub fn setup(cl: &Cluster, db: &str) -> Client {
    let mut c = cl.fresh_db(db);
    login_roles(
        &mut c,
        &[
            ("ld_admin", "nps_admin"),
            ("ld_intake", "nps_intake"),
            ("ld_lead", "nps_csm"),
            ("ld_csm1", "nps_csm"),
            ("ld_csm2", "nps_csm"),
            ("ld_csm3", "nps_csm"),
            ("ld_csm4", "nps_csm"),
            ("ld_dir1", "nps_approver"),
            ("ld_dir2", "nps_approver"),
        ],
    );
    c.batch_execute(&format!(
        r#"
        SELECT nps.add_person(p, p) FROM unnest(ARRAY['ld_admin', 'ld_lead', 'ld_dir1', 'ld_dir2']) p;
        SELECT nps.add_person('ld_csm' || i, 'ld_csm' || i, lead => 'ld_lead') FROM generate_series(1, 4) i;
        SELECT nps.add_application('ld_intake', 'The survey tool: loads responses as itself');
        SET ROLE ld_admin;
        SELECT nps.configure(min_responses => 1);
        INSERT INTO nps.accounts (external_id, name, csm, tier)
        SELECT 'LD-' || i, 'Account ' || i, 'ld_csm' || (1 + i % 4), (ARRAY['gold', 'silver', 'bronze'])[1 + i % 3]
        FROM generate_series(1, {ACCOUNTS}) i;
        INSERT INTO nps.playbooks (name, fires_on, segment, template, owner)
        VALUES ('Load detractor', 'response', 'detractor', 'NPS Detractor', 'account_csm');
        SELECT nps.import_template('{{"name": "Load gate", "steps": [
            {{"key": "work", "name": "Work", "tasks": [{{"key": "a", "title": "A", "owner": "run_owner"}},
                                                  {{"key": "b", "title": "B", "owner": "run_owner"}}]}},
            {{"key": "gate", "name": "Gate", "approval": {{"role": "nps_approver", "min_approvers": 1}},
                "tasks": [{{"key": "prep", "title": "Prepare", "owner": "run_owner"}}]}},
            {{"key": "after", "name": "After", "tasks": [{{"key": "archive", "title": "Archive", "owner": "run_owner"}}]}}]}}');
        RESET ROLE;
        SET ROLE ld_lead;
        SELECT nps.start_cycle('LOAD', opens_at => now() - interval '1 day', closes_at => now() + interval '30 days',
                               min_responses => 1);
        RESET ROLE;
        "#
    ))
    .expect("load fixture");
    c
}

/// A tiny xorshift: the clients need variety, not quality.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Worker {
    c: Client,
    role: String,
    rng: Rng,
    out: Outcome,
    id: usize,
    /// Tells this run's respondents from an earlier run's in the same cycle.
    tag: u32,
    n: u64,
    /// Respondents this client recorded, with their account: re-submissions come from them.
    sent: Vec<(String, String)>,
}

impl Worker {
    /// Record an error: a race, a broken connection (the op is in doubt), or a failure.
    /// Returns false when the connection is gone.
    fn failed(&mut self, e: postgres::Error, op: Option<Op>, what: &str) -> bool {
        let code = sqlstate(&e);
        if code.is_empty() || self.c.is_closed() {
            if let Some(op) = op {
                self.out.in_doubt.push(op);
            }
            return false;
        }
        if is_race(what, &code) {
            *self.out.refusals.entry(code).or_default() += 1;
        } else {
            let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
            self.out.unexpected.push(format!("{} {what}: {code} {message}", self.role));
        }
        true
    }

    fn intake(&mut self) -> bool {
        let pick = self.rng.below(100);
        if pick < 5 {
            return self.copy_batch();
        }
        let (respondent, account, fresh) = if pick < 15 && !self.sent.is_empty() {
            let i = self.rng.below(self.sent.len() as u64) as usize;
            let (r, a) = self.sent[i].clone();
            (r, a, false)
        } else {
            self.n += 1;
            let account = format!("LD-{}", 1 + self.rng.below(ACCOUNTS as u64));
            (format!("c{}-{:x}-{}@load.example", self.id, self.tag, self.n), account, true)
        };
        let score = self.rng.below(11) as i32;
        let op = Op::Response { respondent: respondent.clone(), score };
        match self.c.execute(
            "SELECT nps.record_response('LOAD', $1, $2, $3, 'load test comment', 'web')",
            &[&account, &respondent, &score],
        ) {
            Ok(_) => {
                if fresh {
                    self.sent.push((respondent, account));
                }
                self.out.committed.push(op);
                true
            }
            Err(e) => self.failed(e, Some(op), "record_response"),
        }
    }

    fn copy_batch(&mut self) -> bool {
        // The survey tool's export carries the time of each answer.
        let at: String = match self.c.query_one("SELECT now()::text", &[]) {
            Ok(r) => r.get(0),
            Err(e) => return self.failed(e, None, "now"),
        };
        let mut rows = Vec::new();
        let mut ops = Vec::new();
        for _ in 0..10 {
            self.n += 1;
            let respondent = format!("c{}-{:x}-{}@copy.example", self.id, self.tag, self.n);
            let score = self.rng.below(11) as i32;
            let account = 1 + self.rng.below(ACCOUNTS as u64);
            rows.push(format!("LD-{account},{respondent},{score},from a file,email,{at}\n"));
            ops.push(Op::Staged { respondent, score });
        }
        let result = (|| -> Result<(), postgres::Error> {
            let mut w = self
                .c
                .copy_in("COPY nps.response_staging (account, respondent, score, comment, channel, responded_at) FROM STDIN WITH (FORMAT csv)")?;
            w.write_all(rows.concat().as_bytes()).expect("write COPY data");
            w.finish()?;
            Ok(())
        })();
        match result {
            Ok(()) => self.out.committed.extend(ops),
            Err(e) => {
                let alive = self.failed(e, None, "COPY");
                self.out.in_doubt.extend(ops);
                return alive;
            }
        }
        match self.c.execute("SELECT nps.ingest_staged('LOAD')", &[]) {
            Ok(_) => true,
            Err(e) => self.failed(e, None, "ingest_staged"),
        }
    }

    fn work_task(&mut self) -> bool {
        let row = match self.c.query_opt(
            "SELECT m.task_id, k.key FROM nps.my_tasks m JOIN nps.tasks k ON k.id = m.task_id
             WHERE m.actionable AND m.template = 'NPS Detractor' AND k.owner = nps.current_person()
             ORDER BY random() LIMIT 1",
            &[],
        ) {
            Ok(r) => r,
            Err(e) => return self.failed(e, None, "my_tasks"),
        };
        let Some(row) = row else {
            std::thread::sleep(Duration::from_millis(5));
            return true;
        };
        let (id, key): (i64, String) = (row.get(0), row.get(1));
        let fields = crate::detractor_task_fields(&key);
        let op = Op::Task { id, by: self.role.clone() };
        match self.c.execute("SELECT nps.complete_task($1, $2::text::jsonb)", &[&id, &fields]) {
            Ok(_) => {
                self.out.committed.push(op);
                true
            }
            Err(e) => self.failed(e, Some(op), "complete_task"),
        }
    }

    /// A lead's app: one transaction starts a run, does the work and asks for the approval;
    /// runs whose approval came back get their last task done, rejected ones are asked again.
    fn request(&mut self) -> bool {
        let result = (|| -> Result<i64, postgres::Error> {
            let mut tx = self.c.transaction()?;
            let run: i64 = tx.query_one("SELECT (nps.start_run('Load gate')).id", &[])?.get(0);
            for key in ["a", "b", "prep"] {
                tx.execute(
                    "SELECT nps.complete_task(t.id) FROM nps.tasks t WHERE t.run_id = $1 AND t.key = $2",
                    &[&run, &key],
                )?;
            }
            let approval: i64 = tx
                .query_one(
                    "SELECT (nps.request_approval(s.id, 'load')).id FROM nps.steps s WHERE s.run_id = $1 AND s.key = 'gate'",
                    &[&run],
                )?
                .get(0);
            tx.commit()?;
            Ok(approval)
        })();
        match result {
            Ok(approval) => self.out.committed.push(Op::Request { approval }),
            Err(e) => return self.failed(e, None, "start, work, request"),
        }
        let finish = self.c.query(
            "SELECT t.id FROM nps.tasks t JOIN nps.steps s ON s.id = t.step_id
             WHERE s.key = 'after' AND s.status = 'active' AND t.status = 'open' AND t.owner = nps.current_person() LIMIT 3",
            &[],
        );
        let ids: Vec<i64> = match finish {
            Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
            Err(e) => return self.failed(e, None, "runs to finish"),
        };
        for id in ids {
            let op = Op::Task { id, by: self.role.clone() };
            match self.c.execute("SELECT nps.complete_task($1)", &[&id]) {
                Ok(_) => self.out.committed.push(op),
                Err(e) => {
                    if !self.failed(e, Some(op), "finish run") {
                        return false;
                    }
                }
            }
        }
        let again = self.c.query(
            "SELECT (nps.request_approval(s.id, 'load, again')).id FROM nps.steps s JOIN nps.runs r ON r.id = s.run_id
             WHERE s.key = 'gate' AND s.status = 'active' AND r.owner = nps.current_person()
               AND NOT EXISTS (SELECT 1 FROM nps.approvals a WHERE a.step_id = s.id AND a.status = 'pending')
             LIMIT 1",
            &[],
        );
        match again {
            Ok(rows) => {
                for r in rows {
                    self.out.committed.push(Op::Request { approval: r.get(0) });
                }
                true
            }
            Err(e) => self.failed(e, None, "request again"),
        }
    }

    fn decide(&mut self) -> bool {
        let row = match self
            .c
            .query_opt("SELECT id FROM nps.approvals WHERE status = 'pending' ORDER BY random() LIMIT 1", &[])
        {
            Ok(r) => r,
            Err(e) => return self.failed(e, None, "pending approvals"),
        };
        let Some(row) = row else {
            std::thread::sleep(Duration::from_millis(5));
            return true;
        };
        let approval: i64 = row.get(0);
        let (decision, reason) =
            if self.rng.below(100) < 15 { ("reject", Some("needs another pass")) } else { ("approve", None) };
        let op = Op::Decision { approval, by: self.role.clone(), decision: decision.into() };
        match self
            .c
            .execute("SELECT nps.decide($1, $2::text::nps.decision, $3)", &[&approval, &decision, &reason])
        {
            Ok(_) => {
                self.out.committed.push(op);
                true
            }
            Err(e) => self.failed(e, Some(op), "decide"),
        }
    }
}

/// Which role client `i` plays, and what it does.
fn role_of(i: usize) -> (String, fn(&mut Worker) -> bool) {
    match i {
        0..=3 => ("ld_intake".into(), Worker::intake),
        4..=11 => (format!("ld_csm{}", 1 + (i - 4) % 4), Worker::work_task),
        12 | 13 => ("ld_lead".into(), Worker::request),
        _ => (format!("ld_dir{}", i - 13), Worker::decide),
    }
}

/// Run the clients until `seconds` pass or their connections break. With
/// `durable`, each session commits synchronously (the private cluster's default is off), so
/// that a commit a client saw is on disk when the server is killed.
pub fn run(cl: &Cluster, db: &str, seconds: f64, durable: bool) -> Outcome {
    let options = if durable { "-c synchronous_commit=on" } else { "" };
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let handles: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (role, act) = role_of(i);
            let c =
                cl.try_connect(db, &role, options).unwrap_or_else(|e| panic!("client {i} as {role}: {e}"));
            std::thread::spawn(move || {
                let mut w = Worker {
                    c,
                    role,
                    rng: Rng((seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1),
                    out: Outcome::default(),
                    id: i,
                    tag: seed as u32,
                    n: 0,
                    sent: Vec::new(),
                };
                while Instant::now() < deadline {
                    if !act(&mut w) {
                        break;
                    }
                }
                w.out
            })
        })
        .collect();
    let mut all = Outcome::default();
    for h in handles {
        let o = h.join().expect("a client thread panicked");
        all.committed.extend(o.committed);
        all.in_doubt.extend(o.in_doubt);
        all.unexpected.extend(o.unexpected);
        for (k, v) in o.refusals {
            *all.refusals.entry(k).or_default() += v;
        }
    }
    all
}

/// What is wrong after a load: the staging table is drained first (a batch a client staged may
/// still wait for an ingest), then the invariants and every change a client saw commit.
pub fn problems_after(c: &mut Client, o: &Outcome) -> Vec<String> {
    c.batch_execute("SELECT nps.ingest_staged('LOAD')").expect("drain the staging table");
    let mut problems = crate::invariants(c);
    problems.extend(committed_present(c, o));
    problems
}

/// Every change a client saw commit is there: responses with their last committed score (or a
/// later one whose commit was in doubt), staged rows loaded, tasks done by whoever completed
/// them, decisions and requests recorded.
pub fn committed_present(c: &mut Client, o: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    // Per respondent, the scores it may now hold: the last committed, or any in doubt after it.
    let mut allowed: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for op in &o.committed {
        if let Op::Response { respondent, score } | Op::Staged { respondent, score } = op {
            allowed.insert(respondent.clone(), vec![*score]);
        }
    }
    // A respondent first sent in doubt may be missing; one committed before keeps a score.
    for op in &o.in_doubt {
        if let Op::Response { respondent, score } = op {
            if let Some(scores) = allowed.get_mut(respondent) {
                scores.push(*score);
            }
        }
    }
    let staged: std::collections::BTreeSet<&String> = o
        .committed
        .iter()
        .filter_map(|op| match op {
            Op::Staged { respondent, .. } => Some(respondent),
            _ => None,
        })
        .collect();
    let now: BTreeMap<String, i32> = c
        .query("SELECT respondent, score::integer FROM nps.responses", &[])
        .expect("responses")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (respondent, scores) in &allowed {
        match now.get(respondent) {
            None if staged.contains(respondent) => {
                problems.push(format!("staged row of {respondent} was never loaded"))
            }
            None => problems.push(format!("committed response of {respondent} is missing")),
            Some(s) if !scores.contains(s) => problems
                .push(format!("{respondent} holds score {s}, last committed {scores:?} (lost update)")),
            _ => {}
        }
    }
    for op in &o.committed {
        let ok = match op {
            Op::Task { id, by } => c
                .query_opt(
                    "SELECT 1 FROM nps.tasks WHERE id = $1 AND status = 'done' AND completed_by = $2",
                    &[id, by],
                )
                .expect("task")
                .is_some(),
            Op::Decision { approval, by, decision } => c
                .query_opt(
                    "SELECT 1 FROM nps.approval_decisions WHERE approval_id = $1 AND approver = $2
                       AND decision = $3::text::nps.decision",
                    &[approval, by, decision],
                )
                .expect("decision")
                .is_some(),
            Op::Request { approval } => c
                .query_opt("SELECT 1 FROM nps.approvals WHERE id = $1", &[approval])
                .expect("approval")
                .is_some(),
            _ => true,
        };
        if !ok {
            problems.push(format!("committed {op:?} is missing"));
        }
    }
    problems
}

/// How much of each kind of work the clients got done.
pub fn tally(o: &Outcome) -> BTreeMap<&'static str, usize> {
    let mut t = BTreeMap::new();
    for op in &o.committed {
        let k = match op {
            Op::Response { .. } => "responses",
            Op::Staged { .. } => "staged rows",
            Op::Task { .. } => "tasks completed",
            Op::Decision { .. } => "decisions",
            Op::Request { .. } => "approvals requested",
        };
        *t.entry(k).or_default() += 1;
    }
    t
}
