//! Sixteen clients at once for a bounded time (NPS_LOAD_SECONDS, default 8): intake, detractor
//! projects started by a playbook, task completion, approvals. Then the invariants: no lost
//! update, no step done with open tasks, one decision per approver and approval, every committed
//! change in the audit trail (replayed row by row), every chain verifies, every change a client
//! saw commit is there.

use nps_client_tests::cluster;
use nps_client_tests::load::{problems_after, run, setup, tally};

#[test]
fn sixteen_clients_keep_every_invariant() {
    let cl = cluster();
    let db = "pg_nps_client_load";
    let mut su = setup(&cl, db);
    let seconds: f64 = std::env::var("NPS_LOAD_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(8.0);
    let outcome = run(&cl, db, seconds, false);
    let t = tally(&outcome);
    eprintln!("{seconds} s of load: {t:?}; refusals from races: {:?}", outcome.refusals);
    assert!(outcome.unexpected.is_empty(), "unexpected errors: {:#?}", outcome.unexpected);
    assert!(outcome.in_doubt.is_empty(), "connections broke during the load: {:#?}", outcome.in_doubt);
    for kind in ["responses", "staged rows", "tasks completed", "decisions", "approvals requested"] {
        assert!(t.get(kind).copied().unwrap_or(0) > 0, "no {kind} in {seconds} s: {t:?}");
    }
    let projects: i64 = su.query_one("SELECT count(*) FROM nps.playbook_runs", &[]).unwrap().get(0);
    assert!(projects > 0, "the playbook started no project");
    let problems = problems_after(&mut su, &outcome);
    assert!(problems.is_empty(), "after the load: {problems:#?}");
}
