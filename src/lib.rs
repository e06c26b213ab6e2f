//! pg_nps: the NPS close-the-loop system inside PostgreSQL.
//!
//! This crate is glue only: it moves values between Postgres and the pure-Rust core
//! (`crates/nps-core`), raises the core's errors as Postgres errors, and loads the SQL in `sql/`
//! that declares every public object.

::pgrx::pg_module_magic!(name, version);

mod analytics;
mod audit;
mod error;
mod fmgr;
#[cfg(any(test, feature = "pg_test"))]
mod testing;
mod workflow;

pgrx::extension_sql_file!("../sql/analytics.sql", name = "analytics", bootstrap);
pgrx::extension_sql_file!("../sql/workflow.sql", name = "workflow", requires = ["analytics"]);
pgrx::extension_sql_file!("../sql/audit.sql", name = "audit", requires = ["workflow"]);
pgrx::extension_sql_file!("../sql/cycle.sql", name = "cycle", requires = ["audit"]);
pgrx::extension_sql_file!("../sql/intake.sql", name = "intake", requires = ["cycle"]);
pgrx::extension_sql_file!("../sql/loop.sql", name = "loop", requires = ["intake"]);
pgrx::extension_sql_file!("../sql/bi.sql", name = "bi", requires = ["loop"]);
pgrx::extension_sql_file!("../sql/roles.sql", name = "roles", requires = ["bi"]);

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
