-- pg_nps audit trail, shipped registration (install only): the registry records its own changes.

SELECT nps.enable_audit('nps.audit_registry');
