-- Every object of the extension, one line each, with what defines it: signatures and bodies,
-- columns, constraints, row security and policies, indexes, triggers (and whether they fire),
-- views, types, comments, privileges and the tables pg_dump saves. An upgraded database and a
-- fresh install of the same version must print the same lines.
WITH members AS (
    SELECT d.classid, d.objid FROM pg_depend d
    WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
      AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_nps')
),
rels AS (SELECT c.* FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid),
lines AS (
    SELECT 'member ' || pg_describe_object(m.classid, m.objid, 0) AS line FROM members m
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure || ' ' ||
           CASE WHEN p.prokind = 'a'
                THEN (SELECT format('agg sfunc=%s stype=%s final=%s combine=%s serial=%s deserial=%s init=%s',
                                    a.aggtransfn, format_type(a.aggtranstype, NULL), a.aggfinalfn, a.aggcombinefn,
                                    a.aggserialfn, a.aggdeserialfn, a.agginitval)
                      FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
                ELSE md5(pg_get_functiondef(p.oid)) END
           || ' acl=' || coalesce(p.proacl::text, '-')
           || ' comment=' || coalesce(md5(obj_description(p.oid, 'pg_proc')), '-')
    FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT format('relation %s kind=%s acl=%s comment=%s', c.oid::regclass, c.relkind, coalesce(c.relacl::text, '-'),
                  coalesce(md5(obj_description(c.oid, 'pg_class')), '-'))
    FROM rels c
    UNION ALL
    SELECT format('column %s.%s #%s %s notnull=%s default=%s identity=%s comment=%s', c.oid::regclass, a.attname,
                  row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), format_type(a.atttypid, a.atttypmod),
                  a.attnotnull, coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-'), a.attidentity,
                  coalesce(md5(col_description(c.oid, a.attnum)), '-'))
    FROM rels c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
    WHERE c.relkind IN ('r', 'v', 'c', 'p')
    UNION ALL
    SELECT format('constraint %s %s %s', x.conrelid::regclass, x.conname, pg_get_constraintdef(x.oid))
    FROM pg_constraint x JOIN rels c ON c.oid = x.conrelid
    UNION ALL
    SELECT format('row security %s enabled=%s forced=%s', c.oid::regclass, c.relrowsecurity, c.relforcerowsecurity)
    FROM rels c WHERE c.relkind IN ('r', 'p')
    UNION ALL
    SELECT format('policy %s %s cmd=%s permissive=%s roles=%s using=%s check=%s', x.polrelid::regclass, x.polname,
                  x.polcmd, x.polpermissive, (SELECT string_agg(r::regrole::text, ',' ORDER BY r::regrole::text) FROM unnest(x.polroles) r),
                  coalesce(pg_get_expr(x.polqual, x.polrelid), '-'), coalesce(pg_get_expr(x.polwithcheck, x.polrelid), '-'))
    FROM pg_policy x JOIN rels c ON c.oid = x.polrelid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN rels c ON c.oid = i.indrelid
    UNION ALL
    SELECT format('trigger %s enabled=%s', pg_get_triggerdef(t.oid), t.tgenabled)
    FROM pg_trigger t JOIN rels c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal
    UNION ALL
    SELECT format('view %s %s', c.oid::regclass, md5(pg_get_viewdef(c.oid))) FROM rels c WHERE c.relkind = 'v'
    UNION ALL
    SELECT format('sequence %s %s %s %s', s.seqrelid::regclass, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement)
    FROM pg_sequence s JOIN rels c ON c.oid = s.seqrelid
    UNION ALL
    SELECT format('type %s enum=%s comment=%s', t.oid::regtype,
                  (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
                  coalesce(md5(obj_description(t.oid, 'pg_type')), '-'))
    FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    UNION ALL
    SELECT format('dumped %s where=%s', cfg::regclass, cond)
    FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(cfg, cond) WHERE e.extname = 'pg_nps'
    UNION ALL
    SELECT format('schema %s acl=%s comment=%s', n.nspname, coalesce(n.nspacl::text, '-'),
                  coalesce(md5(obj_description(n.oid, 'pg_namespace')), '-'))
    FROM pg_namespace n WHERE n.nspname = 'nps'
)
SELECT line FROM lines ORDER BY line COLLATE "C";
