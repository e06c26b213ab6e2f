-- pg_nps NPS cycle, shipped data (install only): the cycle plugged into its shipped template, and
-- the secret respondents are pseudonymized with. A restore (in replica mode, as docs/audit.md
-- says) brings the dumped key instead of making a new one, so pseudonyms survive it.

SELECT nps._plug_cycle('NPS Survey & Action Plan');

INSERT INTO nps.pseudonym_key (id, key)
SELECT true, nps._random_bytes(32)
WHERE current_setting('session_replication_role') <> 'replica';
