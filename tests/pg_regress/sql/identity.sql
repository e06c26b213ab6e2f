-- Who is a person: every way of acting, and every way of posing as someone else, refused with
-- NP012 and the reason. (The cast is in setup.sql.)
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

-- A person acting as their own role, by login or SET ROLE.
SET ROLE r_ava;
SELECT nps.current_person(), nps.current_actor(), nps._acting_kind();
RESET ROLE;

-- A capability role is never a person: SET ROLE to it makes nobody a second approver.
SET ROLE r_dual;
SET ROLE nps_approver;
SELECT * FROM regress.error_of('SELECT nps.current_person()');
SELECT nps._person_or_null() IS NULL AS nobody, nps._acting_kind() IS NULL AS no_kind;
RESET ROLE;
-- Nor is any other group role a person.
SET ROLE r_group;
SELECT state, message FROM regress.error_of('SELECT nps.current_person()');
RESET ROLE;

-- A login nobody registered, and a person who left.
SET ROLE r_stranger;
SELECT * FROM regress.error_of('SELECT nps.current_person()');
SELECT state, message FROM regress.error_of($$SELECT nps.start_run('NPS Detractor', subject => '{"csm": "r_ava"}')$$);
RESET ROLE;
SET ROLE r_gone;
SELECT * FROM regress.error_of('SELECT nps.current_person()');
RESET ROLE;

-- One person cannot act as another: SET ROLE between people needs a superuser session.
SET SESSION AUTHORIZATION r_dual;
SELECT state, message FROM regress.error_of('SET ROLE r_ava');
RESET SESSION AUTHORIZATION;
GRANT r_ava TO r_dual;
SET SESSION AUTHORIZATION r_dual;
SET ROLE r_ava;
SELECT * FROM regress.error_of('SELECT nps.current_person()');
RESET ROLE;
RESET SESSION AUTHORIZATION;
REVOKE r_ava FROM r_dual;

-- A person cannot name someone else in nps.actor: only a registered application names people.
SET ROLE r_ava;
SET nps.actor = 'r_ben';
SELECT * FROM regress.error_of('SELECT nps.current_person()');
RESET nps.actor;
RESET ROLE;

-- The pooled application names its end users; the name is normalized as it was registered.
SET SESSION AUTHORIZATION r_app;
SET nps.actor = '  ALICE@app.example ';
SELECT nps.current_person(), nps.current_actor(), nps._acting_kind();
SELECT nps.has_role(nps.current_person(), 'nps_csm') AS csm, nps.has_role(nps.current_person(), 'nps_approver') AS approver;
SET nps.actor = 'bob@app.example';
SELECT nps.current_person(), nps.has_role(nps.current_person(), 'nps_approver') AS approver;
-- It may not name someone it did not register, a person of their own role, or nobody at all.
SET nps.actor = 'mallory@app.example';
SELECT * FROM regress.error_of('SELECT nps.current_person()');
SET nps.actor = 'r_appr1';
SELECT * FROM regress.error_of('SELECT nps.current_person()');
SET nps.actor = E'alice@app.example\u200b';
SELECT * FROM regress.error_of('SELECT nps.current_person()');
RESET nps.actor;
SELECT * FROM regress.error_of('SELECT nps.current_person()');
-- Naming nobody, it acts as itself (service work only), and is never a person.
SELECT nps.current_actor(), nps._acting_kind();
RESET SESSION AUTHORIZATION;
-- Another application may not name the portal's users.
SET SESSION AUTHORIZATION r_intake;
SET nps.actor = 'alice@app.example';
SELECT * FROM regress.error_of('SELECT nps.current_person()');
RESET nps.actor;
RESET SESSION AUTHORIZATION;

-- The answer follows SET ROLE and nps.actor inside one transaction.
BEGIN;
SET LOCAL ROLE r_ava;
SELECT nps.current_person() AS first;
SET LOCAL ROLE r_ben;
SELECT nps.current_person() AS second;
COMMIT;

-- The registers: capability roles, applications and unknown roles are never people; people and
-- applications are deactivated, never deleted; identities never change.
SET ROLE r_admin;
SELECT * FROM regress.error_of($$SELECT nps.add_person('nps_approver', 'The approvers')$$);
SELECT * FROM regress.error_of($$SELECT nps.add_person('r_app', 'The portal')$$);
SELECT * FROM regress.error_of($$SELECT nps.add_person('r_nobody_at_all', 'Nobody')$$);
SELECT * FROM regress.error_of($$SELECT nps.add_person('dan@app.example', 'Dan', application => 'r_app', roles => '{nps_admin}')$$);
SELECT * FROM regress.error_of($$SELECT nps.add_person('r_stranger', E'\t ')$$);
SELECT * FROM regress.error_of($$SELECT nps.add_person('r_stranger', 'Stan', time_zone => 'Mars/Olympus')$$);
SELECT * FROM regress.error_of($$SELECT nps.add_person('r_stranger', 'Stan', email => 'stan at example')$$);
SELECT * FROM regress.error_of($$UPDATE nps.people SET lead = 'r_ava' WHERE identity = 'r_lead'$$);
SELECT * FROM regress.error_of($$DELETE FROM nps.people WHERE identity = 'r_gone'$$);
SELECT * FROM regress.error_of($$UPDATE nps.people SET identity = 'r_gone2' WHERE identity = 'r_gone'$$);
SELECT * FROM regress.error_of($$SELECT nps.add_application('nps_csm', 'A capability')$$);
SELECT * FROM regress.error_of($$SELECT nps.add_application('r_ava', 'A person')$$);
SELECT * FROM regress.error_of($$DELETE FROM nps.applications WHERE login = 'r_mailer'$$);
RESET ROLE;
-- Only an nps_admin writes the registers.
SET ROLE r_ava;
SELECT state FROM regress.error_of($$SELECT nps.add_person('r_stranger', 'Stan')$$);
SELECT state FROM regress.error_of($$UPDATE nps.people SET lead = NULL WHERE identity = 'r_ava'$$);
RESET ROLE;
SELECT count(*) AS people, count(*) FILTER (WHERE active) AS active FROM nps.people;

-- A role granted or revoked earlier in the transaction counts at once: nothing a check learned
-- outlives the transaction's next write.
BEGIN;
SET LOCAL ROLE r_ben;
SELECT nps._actor_has_role('nps_admin') AS ben_is_admin;
RESET ROLE;
GRANT nps_admin TO r_ben;
SET LOCAL ROLE r_ben;
SELECT nps._actor_has_role('nps_admin') AS ben_is_admin;
RESET ROLE;
REVOKE nps_admin FROM r_ben;
SET LOCAL ROLE r_ben;
SELECT nps._actor_has_role('nps_admin') AS ben_is_admin;
RESET ROLE;
SET LOCAL ROLE r_app;
SET LOCAL nps.actor = 'bob@app.example';
SELECT nps._actor_has_role('nps_csm') AS bob_is_csm;
RESET ROLE;
RESET nps.actor;
UPDATE nps.people SET roles = '{nps_approver,nps_csm}' WHERE identity = 'bob@app.example';
SET LOCAL ROLE r_app;
SET LOCAL nps.actor = 'bob@app.example';
SELECT nps._actor_has_role('nps_csm') AS bob_is_csm, nps._actor_has_role('nps_admin') AS bob_is_admin;
ROLLBACK;
-- A register change rolled back to a savepoint takes what was learned from it along.
BEGIN;
SAVEPOINT before_roles;
UPDATE nps.people SET roles = '{nps_approver,nps_csm}' WHERE identity = 'bob@app.example';
SET LOCAL ROLE r_app;
SET LOCAL nps.actor = 'bob@app.example';
SELECT nps._actor_has_role('nps_csm') AS bob_is_csm;
RESET ROLE;
RESET nps.actor;
ROLLBACK TO SAVEPOINT before_roles;
SET LOCAL ROLE r_app;
SET LOCAL nps.actor = 'bob@app.example';
SELECT nps._actor_has_role('nps_csm') AS bob_is_csm;
ROLLBACK;
-- An application acts only through its own login: a person who was made a member of its role
-- and switched to it names nobody, and is not the application either.
BEGIN;
GRANT r_app TO r_ben;
SET LOCAL SESSION AUTHORIZATION r_ben;
SET LOCAL ROLE r_app;
SET LOCAL nps.actor = 'bob@app.example';
SELECT * FROM regress.error_of('SELECT nps.current_person()');
RESET nps.actor;
SELECT state, message FROM regress.error_of('SELECT nps.current_actor()');
ROLLBACK;
