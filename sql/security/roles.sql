-- pg_nps roles: the group roles and what each may do, set up last, once every object exists.
-- Grant the group roles to login roles; see docs/workflow.md (roles) and docs/audit.md (auditors).

-- The audit trail is for auditors: its functions are not for everyone.
REVOKE EXECUTE ON FUNCTION nps.verify_audit(bigint, jsonb), nps._audit_verify(text, jsonb), nps.audit_heads(),
                           nps._audit_flush_heads(), nps.run_history(bigint, boolean) FROM PUBLIC;
-- Snapshots, reports, playbook runs and rollups are written by triggers as the extension owner only.
REVOKE EXECUTE ON FUNCTION nps._freeze_snapshot(nps.cycles, name), nps._fire_playbooks(bigint, text, bigint[]) FROM PUBLIC;
-- Rebuilding rollups rewrites derived data for everyone: admins only.
REVOKE EXECUTE ON FUNCTION nps.rebuild_rollups(text) FROM PUBLIC;
-- Attaching the capture trigger writes into the chains: only admins may (nps.enable_audit).
REVOKE EXECUTE ON FUNCTION nps._audit_capture(), nps._audit_append_only(), nps._audit_no_truncate() FROM PUBLIC;

CREATE FUNCTION nps.setup_roles() RETURNS TABLE (role name, created boolean)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r text;
    made boolean;
BEGIN
    FOREACH r IN ARRAY ARRAY['nps_admin', 'nps_csm', 'nps_approver', 'nps_analyst', 'nps_auditor'] LOOP
        made := NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
        IF made THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
        role := r;
        created := made;
        RETURN NEXT;
    END LOOP;
    GRANT USAGE ON SCHEMA nps TO nps_admin, nps_csm, nps_approver, nps_analyst, nps_auditor;
    -- Admins run everything; structure (steps, tasks) is only ever created from templates.
    GRANT SELECT, INSERT, UPDATE, DELETE ON nps.templates, nps.holidays TO nps_admin;
    GRANT SELECT, INSERT, UPDATE ON nps.runs, nps.approvals TO nps_admin;
    GRANT SELECT, UPDATE ON nps.steps, nps.tasks TO nps_admin;
    GRANT SELECT, INSERT ON nps.approval_decisions TO nps_admin;
    -- The NPS cycle: admins keep settings and accounts; CSMs start cycles and record responses;
    -- analysts read them.
    GRANT SELECT, INSERT, UPDATE ON nps.settings, nps.accounts TO nps_admin;
    GRANT SELECT ON nps.settings TO nps_csm, nps_approver, nps_analyst;
    GRANT SELECT ON nps.accounts, nps.cycles, nps.responses TO nps_csm, nps_approver, nps_analyst;
    GRANT INSERT, UPDATE ON nps.cycles, nps.responses TO nps_csm;
    -- Closing the loop: CSMs stage and ingest responses, assign causes, plan, log conversations
    -- and send the outbox; approvers verify; admins keep playbooks and the taxonomy; analysts read
    -- the snapshots, reports and BI views.
    GRANT SELECT, INSERT, UPDATE, DELETE ON nps.playbooks, nps.root_causes TO nps_admin;
    GRANT SELECT, INSERT, UPDATE ON nps.response_staging TO nps_csm;
    GRANT DELETE ON nps.response_staging TO nps_admin;
    GRANT SELECT ON nps.staging_rejects TO nps_csm;
    GRANT SELECT ON nps.cycle_snapshots, nps.cycle_snapshot_groups, nps.cycle_reports, nps.playbook_runs,
                    nps.playbooks, nps.playbooks_in_force, nps.root_causes, nps.root_cause_taxonomy,
                    nps.response_causes, nps.plan_items, nps.conversations, nps.response_rollups
        TO nps_csm, nps_approver;
    GRANT INSERT, UPDATE ON nps.response_causes TO nps_csm;
    GRANT INSERT, UPDATE, DELETE ON nps.plan_items TO nps_csm;
    GRANT UPDATE ON nps.plan_items TO nps_approver;
    GRANT INSERT ON nps.conversations TO nps_csm;
    GRANT EXECUTE ON FUNCTION nps.rebuild_rollups(text) TO nps_admin;
    GRANT SELECT, INSERT, UPDATE ON nps.outbox TO nps_csm;
    GRANT SELECT ON nps.cycle_headline, nps.trend_monthly, nps.account_nps, nps.segment_breakdown,
                    nps.root_cause_pareto, nps.topic_impact, nps.loop_closure, nps.cycle_snapshots,
                    nps.cycle_snapshot_groups, nps.cycle_reports, nps.root_cause_taxonomy
        TO nps_analyst, nps_csm, nps_approver;
    -- CSMs start runs and work their tasks; approvers decide. Both cascade step and run changes.
    GRANT SELECT ON nps.templates, nps.holidays, nps.runs, nps.steps, nps.tasks, nps.approvals,
                    nps.approval_decisions TO nps_csm, nps_approver;
    GRANT INSERT ON nps.runs, nps.approvals TO nps_csm;
    GRANT UPDATE ON nps.runs, nps.steps, nps.tasks, nps.approvals TO nps_csm, nps_approver;
    GRANT INSERT ON nps.approval_decisions TO nps_csm, nps_approver;
    -- Auditors read everything, the audit trail included, and change nothing; nobody else reads
    -- the trail. Analysts read the views only.
    GRANT SELECT ON ALL TABLES IN SCHEMA nps TO nps_auditor;
    GRANT EXECUTE ON FUNCTION nps.verify_audit(bigint, jsonb), nps._audit_verify(text, jsonb), nps.audit_heads(),
                              nps._audit_flush_heads(), nps.run_history(bigint, boolean) TO nps_auditor;
    GRANT EXECUTE ON FUNCTION nps._audit_capture(), nps._audit_no_truncate() TO nps_admin;
    GRANT SELECT ON nps.run_progress, nps.overdue_tasks TO nps_analyst;
    GRANT SELECT ON nps.my_tasks, nps.pending_approvals, nps.run_progress, nps.overdue_tasks
        TO nps_admin, nps_csm, nps_approver;
    IF NOT pg_has_role('nps_admin', 'nps_csm', 'MEMBER') THEN
        GRANT nps_csm TO nps_admin;
    END IF;
    IF NOT pg_has_role('nps_admin', 'nps_approver', 'MEMBER') THEN
        GRANT nps_approver TO nps_admin;
    END IF;
END;
$$;
COMMENT ON FUNCTION nps.setup_roles() IS
    'Create (if missing) the group roles nps_admin, nps_csm, nps_approver, nps_analyst, nps_auditor and grant them their privileges (only nps_auditor reads the audit trail). Idempotent; CREATE EXTENSION calls it. GRANT these roles to login roles.';
SELECT nps.setup_roles();
