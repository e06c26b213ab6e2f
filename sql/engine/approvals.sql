-- pg_nps workflow engine, approvals: requests by the run's owner, decisions by people holding the
-- required role (never the requester; once each, so a quorum counts distinct people), withdrawal,
-- and the procedures.

CREATE OR REPLACE FUNCTION nps._approvals_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me    text;
    step  nps.steps;
    run   nps.runs;
    more  jsonb;
    facts jsonb;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.approvals', 'nps._approvals_guard()');
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'approval #% cannot be deleted', OLD.id
            USING ERRCODE = 'NP009', HINT = 'Withdraw it with a reason (nps.withdraw_approval); the trail keeps it.';
    END IF;
    IF TG_OP = 'INSERT' THEN
        me := nps.current_person();
        SELECT * INTO step FROM nps.steps s WHERE s.id = NEW.step_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'step % does not exist', NEW.step_id
                USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs and their current steps.';
        END IF;
        SELECT * INTO run FROM nps.runs r WHERE r.id = step.run_id;
        IF step.status = 'active' AND run.status = 'active' AND step.approval_role IS NOT NULL
           AND nps._may_manage(run.owner) THEN
            -- A module's conditions for asking, in their declared order; what they return is
            -- evidence the step records before the request is checked.
            more := nps._run_hooks(step, 'approval_requesting');
            IF more <> '{}' THEN
                UPDATE nps.steps s SET evidence = s.evidence || more WHERE s.id = step.id RETURNING * INTO step;
            END IF;
        END IF;
        facts := jsonb_build_object(
            'step', nps._step_label(step),
            'run', format('run #%s', step.run_id),
            'run_status', run.status,
            'step_status', step.status,
            'has_approval', step.approval_role IS NOT NULL,
            'pending_exists', EXISTS (SELECT 1 FROM nps.approvals a WHERE a.step_id = step.id AND a.status = 'pending'),
            'open_tasks', nps._open_tasks(step.id),
            'evidence_spec', step.evidence_spec,
            'evidence', step.evidence,
            'may_manage', nps._may_manage(run.owner));
        PERFORM nps._check('request', facts);
        NEW.run_id := step.run_id;
        NEW.required_role := step.approval_role;
        NEW.min_approvers := step.min_approvers;
        NEW.requested_by := me;
        NEW.requested_at := now();
        NEW.status := 'pending';
        NEW.approvals := 0;
        NEW.rejections := 0;
        NEW.decided_at := NULL;
        NEW.reason := NULL;
        IF NEW.note IS NOT NULL THEN
            NEW.note := nps._text('the note of an approval request', NEW.note, 'text');
        END IF;
        RETURN NEW;
    END IF;
    PERFORM nps._immutable(format('approval #%s', OLD.id), to_jsonb(OLD), to_jsonb(NEW),
                           '{id,step_id,run_id,required_role,min_approvers,requested_by,requested_at,note}',
                           'Decide with nps.decide; request a new approval to change what is asked.');
    SELECT count(*) FILTER (WHERE d.decision = 'approve'), count(*) FILTER (WHERE d.decision = 'reject')
      INTO NEW.approvals, NEW.rejections
      FROM nps.approval_decisions d WHERE d.approval_id = OLD.id;
    facts := jsonb_build_object(
        'approval', format('approval #%s', OLD.id),
        'from', OLD.status, 'to', NEW.status,
        'approvals', NEW.approvals, 'rejections', NEW.rejections,
        'min_approvers', OLD.min_approvers,
        'may_withdraw', coalesce(OLD.requested_by = nps._person_or_null(), false) OR nps._is_admin()
                        OR (SELECT r.status <> 'active' FROM nps.runs r WHERE r.id = OLD.run_id),
        'reason', NEW.reason);
    PERFORM nps._check('approval', facts);
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.decided_at := now();
        IF NEW.reason IS NOT NULL THEN
            NEW.reason := nps._text(format('the reason of approval #%s', OLD.id), NEW.reason, 'reason');
        END IF;
    ELSE
        NEW.decided_at := OLD.decided_at;
        NEW.reason := OLD.reason;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._approvals_guard() IS
    'Trigger: an approval is requested by the run''s owner (or an nps_admin) for an active gate whose tasks are finished, after the approval_requesting hooks of the step ran and recorded their evidence; its status follows only from its decisions (or a withdrawal by the requester or an nps_admin); approvals are never deleted.';
CREATE OR REPLACE TRIGGER approvals_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.approvals
    FOR EACH ROW EXECUTE FUNCTION nps._approvals_guard();

-- A new request moves its step to awaiting_approval; a settled one completes the step (approved)
-- or sends it back to active (rejected, withdrawn).
CREATE OR REPLACE FUNCTION nps._approvals_after() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.approvals', 'nps._approvals_after()');
    IF TG_OP = 'INSERT' THEN
        UPDATE nps.steps SET status = 'awaiting_approval' WHERE id = NEW.step_id;
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = NEW.run_id AND r.status = 'active') THEN
        RETURN NULL;  -- withdrawn because the run was cancelled: its steps stay as they are
    END IF;
    IF NEW.status = 'approved' THEN
        UPDATE nps.steps SET status = 'done' WHERE id = NEW.step_id AND status = 'awaiting_approval';
    ELSIF NEW.status IN ('rejected', 'withdrawn') THEN
        UPDATE nps.steps SET status = 'active' WHERE id = NEW.step_id AND status = 'awaiting_approval';
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._approvals_after() IS
    'Trigger: a new approval request moves its step to awaiting_approval; an approved request completes its step; a rejected or withdrawn one sends it back to active (revise and resubmit).';
CREATE OR REPLACE TRIGGER approvals_requested AFTER INSERT ON nps.approvals
    FOR EACH ROW EXECUTE FUNCTION nps._approvals_after();
CREATE OR REPLACE TRIGGER approvals_settled AFTER UPDATE OF status ON nps.approvals
    FOR EACH ROW WHEN (OLD.status = 'pending' AND NEW.status <> 'pending')
    EXECUTE FUNCTION nps._approvals_after();

CREATE OR REPLACE FUNCTION nps._decisions_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me    text;
    a     nps.approvals;
    facts jsonb;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.approval_decisions', 'nps._decisions_guard()');
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'decisions are final: % on nps.approval_decisions is refused', TG_OP
            USING ERRCODE = 'NP006', HINT = 'Record a new approval request instead of changing a decision.';
    END IF;
    me := nps.current_person();
    IF NEW.approval_id IS NULL THEN
        RAISE EXCEPTION 'no approval named: the approval id is NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'nps.pending_approvals lists the approvals you can decide.';
    END IF;
    IF NEW.decision IS NULL THEN
        RAISE EXCEPTION 'the decision on approval % is NULL', NEW.approval_id
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Decide approve or reject: nps.decide(approval, ''approve'').';
    END IF;
    -- The approval row lock orders concurrent decisions: the second sees the first.
    SELECT * INTO a FROM nps.approvals ap WHERE ap.id = NEW.approval_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'approval % does not exist', NEW.approval_id
            USING ERRCODE = 'undefined_object', HINT = 'nps.pending_approvals lists the approvals you can decide.';
    END IF;
    NEW.run_id := a.run_id;
    NEW.approver := me;
    NEW.decided_at := now();
    IF NEW.reason IS NOT NULL THEN
        NEW.reason := nps._text(format('the reason of a decision on approval #%s', a.id), NEW.reason, 'reason');
    END IF;
    facts := jsonb_build_object(
        'approval', format('approval #%s of step #%s', a.id, a.step_id),
        'status', a.status,
        'required_role', a.required_role,
        'approver', me,
        'requester', a.requested_by,
        'is_member', nps.has_role(me, a.required_role),
        'decided_before', EXISTS (SELECT 1 FROM nps.approval_decisions d
                                  WHERE d.approval_id = a.id AND d.approver = me),
        'decision', NEW.decision,
        'reason', NEW.reason);
    PERFORM nps._check('decision', facts);
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._decisions_guard() IS
    'Trigger: a decision comes from a person holding the required role, never the requester, once per person, on a pending approval; decisions never change.';
CREATE OR REPLACE TRIGGER decisions_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.approval_decisions
    FOR EACH ROW EXECUTE FUNCTION nps._decisions_guard();

CREATE OR REPLACE FUNCTION nps._decision_made() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.approval_decisions', 'nps._decision_made()');
    UPDATE nps.approvals a
       SET status = CASE WHEN NEW.decision = 'reject' THEN 'rejected'::nps.approval_status
                         WHEN a.approvals + 1 >= a.min_approvers THEN 'approved'::nps.approval_status
                         ELSE a.status END,
           reason = CASE WHEN NEW.decision = 'reject' THEN NEW.reason ELSE a.reason END
     WHERE a.id = NEW.approval_id;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._decision_made() IS 'Trigger: a decision recounts its approval and settles it when enough people approved or one rejected.';
CREATE OR REPLACE TRIGGER decisions_made AFTER INSERT ON nps.approval_decisions
    FOR EACH ROW EXECUTE FUNCTION nps._decision_made();

-------------------------------------------------------------------------------------------------
-- Procedures
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps.request_approval(step bigint, note text DEFAULT NULL) RETURNS nps.approvals
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO nps.approvals (step_id, run_id, required_role, min_approvers, requested_by, note)
    VALUES (step, 0, '', 1, '', note) RETURNING *;
END;
COMMENT ON FUNCTION nps.request_approval(bigint, text) IS
    'Ask the people holding the step''s approval role to approve an active step whose tasks are finished and evidence recorded (the run''s owner or an nps_admin asks); the step becomes awaiting_approval. Returns the request.';

CREATE OR REPLACE FUNCTION nps.decide(approval bigint, decision nps.decision, reason text DEFAULT NULL)
    RETURNS nps.approvals
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a nps.approvals;
BEGIN
    INSERT INTO nps.approval_decisions (approval_id, run_id, approver, decision, reason)
    VALUES (approval, 0, '', decision, reason);
    SELECT * INTO a FROM nps.approvals x WHERE x.id = approval;
    RETURN a;
END;
$$;
COMMENT ON FUNCTION nps.decide(bigint, nps.decision, text) IS
    'Approve or reject (with a reason) an approval request as yourself: a person holding the required role, not the requester, once. Returns the approval after the decision.';

CREATE OR REPLACE FUNCTION nps.withdraw_approval(approval bigint, reason text) RETURNS nps.approvals
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a nps.approvals;
BEGIN
    UPDATE nps.approvals x SET status = 'withdrawn', reason = withdraw_approval.reason
     WHERE x.id = approval RETURNING * INTO a;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'approval % does not exist', approval
            USING ERRCODE = 'undefined_object', HINT = 'nps.pending_approvals lists open requests.';
    END IF;
    RETURN a;
END;
$$;
COMMENT ON FUNCTION nps.withdraw_approval(bigint, text) IS 'Withdraw a pending approval request (its requester or an nps_admin), with a reason; the step returns to active.';
