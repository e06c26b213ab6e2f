-- pg_nps security, grants: every privilege on every pg_nps object, from this one place. Nothing
-- is executable, readable or writable by PUBLIC; each capability role gets what docs/security.md's
-- matrix gives it, and the guards decide the rest (which row, which column, in which state).
--
-- Trigger functions, hook handlers and the scope, freeze and pseudonym internals are granted to
-- nobody: triggers fire without EXECUTE, and the rest run inside the guards as the extension's
-- owner. The internals granted below are the ones that run with the caller's rights inside a
-- view, a row-level security policy or a procedure the role may call; each only answers about
-- the person acting or raises an error, and none writes anything.

CREATE OR REPLACE FUNCTION nps._grant_privileges() RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    f      regprocedure;
    staff  text := 'nps_admin, nps_csm, nps_approver, nps_analyst, nps_auditor, nps_pii, nps_intake, nps_mailer';
    people text := 'nps_admin, nps_csm, nps_approver, nps_auditor';
BEGIN
    -- Deny by default: every function of the extension (the analytics in the extension's schema
    -- included), every table, view and sequence of schema nps.
    FOR f IN
        SELECT p.oid::regprocedure
        FROM pg_proc p
        JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
        JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_nps'
    LOOP
        EXECUTE format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', f);
    END LOOP;
    REVOKE ALL ON ALL TABLES IN SCHEMA nps FROM PUBLIC;
    REVOKE ALL ON ALL SEQUENCES IN SCHEMA nps FROM PUBLIC;
    REVOKE ALL ON SCHEMA nps FROM PUBLIC;
    -- What an earlier release granted goes too: the grants below are all there is.
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA nps FROM %s', staff);
    EXECUTE format('REVOKE ALL ON ALL ROUTINES IN SCHEMA nps FROM %s', staff);
    EXECUTE format('REVOKE ALL ON SCHEMA nps FROM %s', staff);
    EXECUTE format('GRANT USAGE ON SCHEMA nps TO %s', staff);

    -- Analytics: the pure functions and aggregates, for every role (analysts in BI tools, and
    -- the views every role reads), and nps_summary's text and binary output and text input (a
    -- cast from text calls the input function with the caller's rights). Support functions of
    -- the aggregates (internal states) need no grant.
    FOR f IN
        SELECT p.oid::regprocedure
        FROM pg_proc p
        JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
        JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_nps'
        WHERE p.pronamespace <> 'nps'::regnamespace
          AND p.prorettype <> 'internal'::regtype
          AND NOT ('internal'::regtype = ANY (p.proargtypes::oid[]))
    LOOP
        EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO %s', f, staff);
    END LOOP;

    -- Who is acting, and the internals views, policies and invoker procedures evaluate.
    EXECUTE format($g$GRANT EXECUTE ON FUNCTION
        nps.current_person, nps.current_actor, nps._person_or_null, nps._actor_or_null, nps._acting_kind,
        nps.has_role, nps._is_admin, nps._may_manage, nps._actor_has_role,
        nps._is_lead_of, nps._outer_role, nps._capability_roles,
        nps._sees_everything, nps._sees_run_row, nps._sees_run, nps._manages_run, nps._sees_task,
        nps._sees_personal_data, nps._sees_account, nps._sees_response,
        nps._object, nps._text, nps._blank,
        nps._task_exists, nps._refuse_unreachable_task, nps._refuse_unknown_step,
        nps._refuse_unknown_plan_item, nps._step_label, nps._counts_sub,
        nps._headline, nps._shipped_root_causes, nps._shipped_templates,
        nps.current_settings, nps.due_at, nps._add_due, nps.counts_summary,
        nps.export_template
        TO %s$g$, staff);

    -- Reference data every person reads.
    EXECUTE format('GRANT SELECT ON nps.people, nps.templates, nps.holidays, nps.hooks, nps.settings,
                    nps.playbooks, nps.playbooks_in_force, nps.root_causes, nps.root_cause_taxonomy TO %s', people);
    GRANT SELECT ON nps.settings, nps.root_cause_taxonomy TO nps_analyst;

    -- Administrators configure: people, applications, templates, the calendar, settings,
    -- accounts, playbooks, the root-cause taxonomy, audit registration, rollups.
    GRANT SELECT, INSERT, UPDATE ON nps.people, nps.applications TO nps_admin;
    GRANT SELECT, INSERT, UPDATE, DELETE ON nps.templates, nps.holidays, nps.playbooks, nps.root_causes TO nps_admin;
    GRANT SELECT, INSERT, UPDATE ON nps.settings TO nps_admin;
    GRANT SELECT, INSERT, UPDATE, DELETE ON nps.accounts TO nps_admin;
    GRANT DELETE ON nps.responses, nps.response_staging TO nps_admin;
    GRANT SELECT ON nps.audited_tables TO nps_admin, nps_auditor;
    GRANT EXECUTE ON FUNCTION
        nps.add_person, nps.add_application,
        nps.configure,
        nps.import_template, nps.enable_audit, nps.disable_audit,
        nps.rebuild_rollups
        TO nps_admin;

    -- Runs, steps, tasks and approvals: people who work runs (CSMs) and decide (approvers).
    -- Structure (steps, tasks) comes from templates only; what changes is the guards' to decide.
    GRANT SELECT, INSERT, UPDATE ON nps.runs, nps.approvals TO nps_csm, nps_approver;
    GRANT SELECT, UPDATE ON nps.steps, nps.tasks TO nps_csm, nps_approver;
    GRANT SELECT, INSERT ON nps.approval_decisions TO nps_csm, nps_approver;
    GRANT SELECT ON nps.my_tasks, nps.pending_approvals, nps.run_progress, nps.overdue_tasks TO nps_csm, nps_approver;
    GRANT EXECUTE ON FUNCTION
        nps.start_run, nps.cancel_run,
        nps.record_evidence, nps.complete_step, nps.skip_step,
        nps.complete_task, nps.save_task,
        nps.reassign_task, nps.claim_task, nps.move_due,
        nps.cancel_task,
        nps.request_approval, nps.decide, nps.withdraw_approval
        TO nps_csm, nps_approver;

    -- The NPS cycle: CSMs run cycles, record and stage responses, assign causes, plan, log
    -- conversations and queue the outbox; approvers verify plan items.
    GRANT SELECT, INSERT, UPDATE ON nps.cycles TO nps_csm;
    GRANT SELECT ON nps.cycles TO nps_approver, nps_analyst, nps_intake;
    GRANT SELECT ON nps.accounts, nps.responses TO nps_csm, nps_approver, nps_pii, nps_intake;
    GRANT INSERT, UPDATE ON nps.responses TO nps_csm, nps_intake;
    -- Staging: write without reading (COPY needs INSERT only); stagers read their own rejects.
    GRANT INSERT ON nps.response_staging TO nps_csm, nps_intake;
    GRANT SELECT ON nps.response_staging TO nps_pii;
    GRANT SELECT ON nps.staging_rejects TO nps_csm, nps_intake, nps_pii;
    GRANT SELECT ON nps.cycle_snapshots, nps.cycle_snapshot_groups, nps.cycle_reports
        TO nps_csm, nps_approver, nps_analyst;
    GRANT SELECT ON nps.playbook_runs, nps.response_causes, nps.plan_items, nps.conversations, nps.outbox
        TO nps_csm, nps_approver;
    GRANT SELECT ON nps.response_causes TO nps_pii;
    GRANT INSERT, UPDATE ON nps.response_causes TO nps_csm;
    GRANT INSERT, UPDATE ON nps.plan_items TO nps_csm;
    GRANT UPDATE ON nps.plan_items TO nps_approver;
    GRANT INSERT ON nps.conversations TO nps_csm;
    GRANT INSERT, UPDATE ON nps.outbox TO nps_csm;
    GRANT EXECUTE ON FUNCTION
        nps.start_cycle, nps.cycle_step,
        nps.record_response,
        nps.add_invitations, nps.ingest_staged,
        nps.close_intake, nps.suggest_root_causes, nps.assign_root_cause,
        nps.add_plan_item, nps.complete_plan_item, nps.drop_plan_item,
        nps.log_conversation
        TO nps_csm;
    GRANT EXECUTE ON PROCEDURE nps.ingest_in_batches TO nps_csm, nps_intake;
    GRANT EXECUTE ON FUNCTION nps.cycle_step, nps.verify_plan_item TO nps_approver;

    -- Intake applications load responses; senders deliver the outbox.
    GRANT EXECUTE ON FUNCTION
        nps.record_response,
        nps.add_invitations, nps.ingest_staged
        TO nps_intake;
    GRANT SELECT ON nps.outbox TO nps_mailer;
    GRANT EXECUTE ON FUNCTION
        nps.claim_outbox, nps.mark_sent,
        nps.mark_failed
        TO nps_mailer;

    -- Analysts read the BI views: aggregates and pseudonymized responses only.
    GRANT SELECT ON nps.cycle_headline, nps.trend_monthly, nps.account_nps, nps.segment_breakdown,
                    nps.root_cause_pareto, nps.topic_impact, nps.loop_closure, nps.response_facts
        TO nps_analyst, nps_csm, nps_approver, nps_auditor;

    -- Auditors read everything (the pseudonym key aside) and change nothing; they alone verify
    -- the trail. Row-level security shows them every row.
    GRANT SELECT ON ALL TABLES IN SCHEMA nps TO nps_auditor;
    REVOKE ALL ON nps.pseudonym_key FROM nps_auditor;
    GRANT EXECUTE ON FUNCTION
        nps.verify_audit, nps._audit_verify, nps.audit_heads,
        nps._audit_flush_heads, nps._rollup_mismatches, nps.run_history,
        nps._audit_object, nps._audit_changes
        TO nps_auditor;
END;
$$;
COMMENT ON FUNCTION nps._grant_privileges() IS
    'Internal: revokes every privilege on pg_nps'' objects from PUBLIC and grants each capability role what docs/security.md''s matrix gives it. Called by nps.setup_roles().';

SELECT role, created FROM nps.setup_roles();
