//! pg_nps: the NPS close-the-loop system inside PostgreSQL.
//!
//! This crate is glue only: it moves values between Postgres and the pure-Rust core
//! (`crates/nps-core`), raises the core's errors as Postgres errors, and loads the SQL in `sql/`
//! that declares every public object.

::pgrx::pg_module_magic!(name, version);

mod analytics;
mod audit;
mod backend;
mod engine;
mod error;
mod fmgr;
mod spi;
#[cfg(any(test, feature = "pg_test"))]
mod testing;
mod text;

// The SQL contract, in load order: each module's tables (schema.sql, created once; update
// scripts migrate them by hand) before its code (every other file: functions, triggers, views,
// comments, re-applied by every update script; see scripts/assemble-update). Modules load in the
// order of their real dependencies: analytics, the audit trail, the engine, the NPS cycle, and
// the roles and grants last, once every object exists.
pgrx::extension_sql_file!("../sql/analytics/schema.sql", name = "analytics_schema", bootstrap);
pgrx::extension_sql_file!(
    "../sql/analytics/functions.sql",
    name = "analytics_functions",
    requires = ["analytics_schema"]
);
pgrx::extension_sql_file!("../sql/namespace.sql", name = "namespace", requires = ["analytics_functions"]);
pgrx::extension_sql_file!("../sql/backend.sql", name = "backend", requires = ["namespace"]);
pgrx::extension_sql_file!("../sql/audit/schema.sql", name = "audit_schema", requires = ["backend"]);
pgrx::extension_sql_file!("../sql/audit/capture.sql", name = "audit_capture", requires = ["audit_schema"]);
pgrx::extension_sql_file!("../sql/audit/verify.sql", name = "audit_verify", requires = ["audit_capture"]);
pgrx::extension_sql_file!("../sql/audit/history.sql", name = "audit_history", requires = ["audit_verify"]);
pgrx::extension_sql_file!("../sql/audit/data.sql", name = "audit_data", requires = ["audit_history"]);
pgrx::extension_sql_file!("../sql/engine/schema.sql", name = "engine_schema", requires = ["audit_data"]);
pgrx::extension_sql_file!(
    "../sql/engine/decisions.sql",
    name = "engine_decisions",
    requires = ["engine_schema"]
);
pgrx::extension_sql_file!(
    "../sql/engine/people.sql",
    name = "engine_people",
    requires = ["engine_decisions"]
);
pgrx::extension_sql_file!("../sql/engine/hooks.sql", name = "engine_hooks", requires = ["engine_people"]);
pgrx::extension_sql_file!(
    "../sql/engine/templates.sql",
    name = "engine_templates",
    requires = ["engine_hooks"]
);
pgrx::extension_sql_file!("../sql/engine/runs.sql", name = "engine_runs", requires = ["engine_templates"]);
pgrx::extension_sql_file!("../sql/engine/steps.sql", name = "engine_steps", requires = ["engine_runs"]);
pgrx::extension_sql_file!("../sql/engine/tasks.sql", name = "engine_tasks", requires = ["engine_steps"]);
pgrx::extension_sql_file!(
    "../sql/engine/approvals.sql",
    name = "engine_approvals",
    requires = ["engine_tasks"]
);
pgrx::extension_sql_file!("../sql/engine/views.sql", name = "engine_views", requires = ["engine_approvals"]);
pgrx::extension_sql_file!(
    "../sql/engine/row_security.sql",
    name = "engine_row_security",
    requires = ["engine_views"]
);
pgrx::extension_sql_file!("../sql/engine/data.sql", name = "engine_data", requires = ["engine_row_security"]);
pgrx::extension_sql_file!("../sql/cycle/schema.sql", name = "cycle_schema", requires = ["engine_data"]);
pgrx::extension_sql_file!(
    "../sql/cycle/row_security.sql",
    name = "cycle_row_security",
    requires = ["cycle_schema"]
);
pgrx::extension_sql_file!(
    "../sql/cycle/cycles.sql",
    name = "cycle_cycles",
    requires = ["cycle_row_security"]
);
pgrx::extension_sql_file!(
    "../sql/cycle/responses.sql",
    name = "cycle_responses",
    requires = ["cycle_cycles"]
);
pgrx::extension_sql_file!("../sql/cycle/rollups.sql", name = "cycle_rollups", requires = ["cycle_responses"]);
pgrx::extension_sql_file!("../sql/cycle/intake.sql", name = "cycle_intake", requires = ["cycle_rollups"]);
pgrx::extension_sql_file!(
    "../sql/cycle/segmentation.sql",
    name = "cycle_segmentation",
    requires = ["cycle_intake"]
);
pgrx::extension_sql_file!(
    "../sql/cycle/playbooks.sql",
    name = "cycle_playbooks",
    requires = ["cycle_segmentation"]
);
pgrx::extension_sql_file!(
    "../sql/cycle/root_cause.sql",
    name = "cycle_root_cause",
    requires = ["cycle_playbooks"]
);
pgrx::extension_sql_file!(
    "../sql/cycle/action_plan.sql",
    name = "cycle_action_plan",
    requires = ["cycle_root_cause"]
);
pgrx::extension_sql_file!(
    "../sql/cycle/outreach.sql",
    name = "cycle_outreach",
    requires = ["cycle_action_plan"]
);
pgrx::extension_sql_file!("../sql/cycle/bi.sql", name = "cycle_bi", requires = ["cycle_outreach"]);
pgrx::extension_sql_file!("../sql/cycle/close.sql", name = "cycle_close", requires = ["cycle_bi"]);
pgrx::extension_sql_file!("../sql/cycle/hooks.sql", name = "cycle_hooks", requires = ["cycle_close"]);
pgrx::extension_sql_file!("../sql/cycle/data.sql", name = "cycle_data", requires = ["cycle_hooks"]);
pgrx::extension_sql_file!("../sql/security/roles.sql", name = "security_roles", requires = ["cycle_data"]);
pgrx::extension_sql_file!(
    "../sql/security/grants.sql",
    name = "security_grants",
    requires = ["security_roles"]
);

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
