//! Helpers shared by the in-database tests.

use pgrx::prelude::*;

/// Run `sql` and return (sqlstate, message, hint) of the error it raises, or ("none", "", "").
pub fn error_of(sql: &str) -> (String, String, String) {
    // Created once per session (by whoever runs first); tests may call this under SET ROLE.
    Spi::run(
        "do $d$ begin
           if to_regproc('pg_temp.nps_err') is null then
             create function pg_temp.nps_err(q text, out state text, out message text, out hint text)
             language plpgsql as $f$
             begin
               execute q;
               state := 'none';
             exception when others then
               get stacked diagnostics state = returned_sqlstate, message = message_text, hint = pg_exception_hint;
             end $f$;
           end if;
         end $d$",
    )
    .unwrap();
    let row = Spi::get_three_with_args::<String, String, String>(
        "select * from pg_temp.nps_err($1)",
        &[sql.into()],
    )
    .unwrap();
    (row.0.unwrap(), row.1.unwrap_or_default(), row.2.unwrap_or_default())
}

/// Assert that `sql` fails with `state`, a message containing `message_part`, and a hint.
pub fn assert_error(sql: &str, state: &str, message_part: &str) {
    let (s, m, h) = error_of(sql);
    assert_eq!(s, state, "{sql}: {m}");
    assert!(m.contains(message_part), "{sql}: message {m:?} lacks {message_part:?}");
    assert!(!h.is_empty(), "{sql}: no hint");
}

/// Create login roles, grant each its roles, and register each as a person of its own role
/// (`people`: (role, granted roles, lead)). Leads must come before the people they lead.
pub fn people(people: &[(&str, &[&str], Option<&str>)]) {
    for (role, grants, lead) in people {
        Spi::run(&format!("create role {role} login")).unwrap();
        for g in *grants {
            Spi::run(&format!("grant {g} to {role}")).unwrap();
        }
        let lead = lead.map_or("null".to_owned(), |l| format!("'{l}'"));
        Spi::run(&format!("select nps.add_person('{role}', '{role}', lead => {lead})")).unwrap();
    }
}
