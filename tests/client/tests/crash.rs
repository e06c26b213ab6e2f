//! The load of tests/load.rs, with the server stopped the hard way in the middle
//! (`pg_ctl stop -m immediate`: no shutdown checkpoint, crash recovery at the next start).
//! Sessions commit synchronously here, as production does, so a commit a client saw is in the
//! WAL. After the restart every invariant holds, every change a client saw commit is there, and
//! work goes on.

use nps_client_tests::cluster;
use nps_client_tests::load::{problems_after, run, setup, tally};
use std::time::{Duration, Instant};

#[test]
fn an_immediate_shutdown_mid_load_loses_nothing_committed() {
    let cl = cluster();
    let db = "pg_nps_client_crash";
    let started: String =
        setup(&cl, db).query_one("SELECT pg_postmaster_start_time()::text", &[]).expect("start time").get(0);
    let crash_after: f64 = std::env::var("NPS_CRASH_AFTER").ok().and_then(|s| s.parse().ok()).unwrap_or(4.0);
    let load = {
        let cl = cl.clone();
        std::thread::spawn(move || run(&cl, db, 600.0, true))
    };
    std::thread::sleep(Duration::from_secs_f64(crash_after));
    let crashed_at = Instant::now();
    cl.control("crash");
    let outcome = load.join().expect("the load");
    // The clients stop because the server died, not because their 600 s ran out.
    assert!(
        crashed_at.elapsed() < Duration::from_secs(30),
        "the clients ran on for {:?} after the crash: did the server stop?",
        crashed_at.elapsed()
    );
    cl.control("start");
    let mut su = cl.wait_ready(db);
    let restarted: String = su.query_one("SELECT pg_postmaster_start_time()::text", &[]).unwrap().get(0);
    assert_ne!(started, restarted, "the server was not restarted");
    let t = tally(&outcome);
    eprintln!(
        "crashed after {crash_after} s: {t:?} committed, {} in doubt; refusals from races: {:?}",
        outcome.in_doubt.len(),
        outcome.refusals
    );
    assert!(outcome.unexpected.is_empty(), "unexpected errors: {:#?}", outcome.unexpected);
    assert!(t.values().sum::<usize>() > 50, "too little work before the crash: {t:?}");
    let problems = problems_after(&mut su, &outcome);
    assert!(problems.is_empty(), "after the crash: {problems:#?}");

    // Work goes on after recovery: a short load, and the invariants again.
    let after = run(&cl, db, 2.0, true);
    assert!(after.unexpected.is_empty(), "after recovery: {:#?}", after.unexpected);
    assert!(!after.committed.is_empty(), "no work after recovery");
    let problems = problems_after(&mut su, &after);
    assert!(problems.is_empty(), "after more work: {problems:#?}");
}
