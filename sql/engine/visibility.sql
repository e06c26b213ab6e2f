-- pg_nps workflow engine, row-level security of tasks.

-------------------------------------------------------------------------------------------------
-- Roles, grants, row-level security
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._may_see_task(owner regrole, previous_owner regrole, run_id bigint) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_has_role(current_user, owner, 'MEMBER')
        OR coalesce(pg_has_role(current_user, previous_owner, 'MEMBER'), false)
        OR pg_has_role(current_user, 'nps_admin', 'MEMBER')
        OR pg_has_role(current_user, 'nps_auditor', 'MEMBER')
        OR pg_has_role(current_user, 'nps_approver', 'MEMBER')
        OR EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = run_id AND pg_has_role(current_user, r.owner, 'MEMBER'));
END;
COMMENT ON FUNCTION nps._may_see_task(regrole, regrole, bigint) IS
    'Row-level security: a task is visible to its owner and previous owner, the run''s owner, approvers, auditors and admins.';
CREATE POLICY tasks_visible ON nps.tasks FOR SELECT USING (nps._may_see_task(owner, previous_owner, run_id));
CREATE POLICY tasks_changeable ON nps.tasks FOR UPDATE
    USING (pg_has_role(current_user, owner, 'MEMBER') OR nps._is_admin()
           OR EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = run_id AND pg_has_role(current_user, r.owner, 'MEMBER')))
    WITH CHECK (true);
COMMENT ON POLICY tasks_visible ON nps.tasks IS 'Owners (and the owner who handed a task over) see their tasks; run owners, approvers, auditors and admins see all of a run''s.';
COMMENT ON POLICY tasks_changeable ON nps.tasks IS 'Owners, run owners and admins may change a task; the guard trigger decides what change is allowed.';
