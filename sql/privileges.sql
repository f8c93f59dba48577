-- privileges: who may call what (every management function x every role),
-- SECURITY DEFINER hygiene, search_path tricks, SQL-looking text
-- start from a fresh extension whatever the suite before left behind
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pg_release CASCADE;
RESET client_min_messages;
CREATE EXTENSION pg_release;

CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
-- may role r run stmt?  yes / no (insufficient_privilege); yes (SQLSTATE)
-- when the privilege check passed and a business rule refused.  The call is
-- always rolled back, so every cell starts from the same data.
CREATE FUNCTION pg_temp.can(r text, stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		IF r <> 'owner' THEN
			EXECUTE format('SET LOCAL ROLE %I', r);
		END IF;
		EXECUTE stmt;
		RAISE EXCEPTION 'undo' USING ERRCODE = 'ZZ000';
	EXCEPTION
		WHEN SQLSTATE 'ZZ000' THEN RETURN 'yes';
		WHEN insufficient_privilege THEN RETURN 'no';
		WHEN OTHERS THEN RETURN 'yes (' || SQLSTATE || ')';
	END;
END
$$;
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
	SELECT md5(coalesce(string_agg(f::text, '|' ORDER BY key), '') ||
			   (SELECT count(*) FROM release.approvals)::text ||
			   (SELECT count(*) FROM release.audit_log)::text)
	  FROM (SELECT key, enabled, strategies, regulated, archived_at, updated_at FROM release.flags) f
$$;

-- the extension's roles exist and cannot log in
SELECT rolname, rolcanlogin, rolsuper, rolinherit
  FROM pg_roles WHERE rolname IN ('release_reader', 'release_operator', 'release_approver', 'migration_approver')
 ORDER BY rolname;
SELECT r.rolname AS role, m.rolname AS member_of
  FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.member JOIN pg_roles m ON m.oid = am.roleid
 WHERE r.rolname LIKE 'release\_%' OR r.rolname = 'migration_approver'
 ORDER BY 1, 2;

-- a plain application role: it may evaluate, nothing else
CREATE ROLE regress_app;

-- ===========================================================================
-- The matrix: every management and reading function x every role
-- ===========================================================================

SELECT flag_create('M-1');
SELECT flag_create('M-REG', regulated => true);
SELECT flag_approve('M-REG', 'for the matrix');
SELECT pg_temp.fingerprint() AS before \gset

SET client_min_messages = warning;
SELECT call,
	   pg_temp.can('release_reader', call) AS reader,
	   pg_temp.can('release_operator', call) AS operator,
	   pg_temp.can('release_approver', call) AS approver,
	   pg_temp.can('migration_approver', call) AS migration_appr,
	   pg_temp.can('regress_app', call) AS app,
	   pg_temp.can('owner', call) AS owner
  FROM (VALUES
	(1, $$SELECT flag_create('M-NEW')$$),
	(2, $$SELECT flag_enable('M-1')$$),
	(3, $$SELECT flag_enable(ARRAY['M-1'], 'why')$$),
	(4, $$SELECT flag_disable('M-1')$$),
	(5, $$SELECT flag_disable(ARRAY['M-1'], 'why')$$),
	(6, $$SELECT flag_set_rollout('M-1', 10)$$),
	(7, $$SELECT flag_archive('M-1')$$),
	(8, $$SELECT flag_set_regulated('M-1', true)$$),
	(9, $$SELECT flag_approve('M-REG', 'why')$$),
	(10, $$SELECT flag_revoke_approval('M-REG', 'why')$$),
	(11, $$SELECT * FROM flag_history('M-1')$$),
	(12, $$SELECT * FROM flag_audit_verify()$$),
	(13, $$SELECT * FROM flag_stale()$$),
	(14, $$SELECT * FROM release_board$$),
	(15, $$SELECT * FROM flag_lifecycle$$),
	(16, $$SELECT * FROM flag_list$$),
	(17, $$SELECT * FROM release.audit_log$$),
	(18, $$SELECT * FROM release.approvals$$),
	(19, $$SELECT flag_enabled('M-1', 'user-1')$$),
	(20, $$SELECT flag_enabled('M-1')$$),
	(21, $$UPDATE release.flags SET description = 'changed behind the API'$$),
	(22, $$UPDATE release.approvals SET approved_by = 'someone_else'$$),
	(23, $$DELETE FROM release.audit_log$$),
	(24, $$TRUNCATE release.audit_log$$)
  ) AS calls(n, call)
 ORDER BY n;
RESET client_min_messages;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- table privileges, as granted
SELECT t AS relation,
	   has_table_privilege('release_reader', t, 'SELECT') AS reader_select,
	   has_table_privilege('release_operator', t, 'SELECT') AS operator_select,
	   has_table_privilege('release_operator', t, 'INSERT, UPDATE, DELETE, TRUNCATE') AS operator_write,
	   has_table_privilege('release_approver', t, 'INSERT, UPDATE, DELETE, TRUNCATE') AS approver_write,
	   has_table_privilege('regress_app', t, 'SELECT') AS app_select
  FROM unnest(ARRAY['release.flags', 'release.audit_log', 'release.approvals',
					'flag_list', 'flag_lifecycle', 'release_board']) AS t
 ORDER BY t;

-- ===========================================================================
-- SECURITY DEFINER hygiene, checked over the whole extension
-- ===========================================================================

CREATE FUNCTION pg_temp.extension_functions() RETURNS SETOF oid LANGUAGE sql AS $$
	SELECT d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
	 WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass
	   AND d.deptype = 'e' AND e.extname = 'pg_release'
$$;
-- every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp (expect none)
SELECT p.oid::regprocedure AS unpinned, p.proconfig
  FROM pg_proc p WHERE p.oid IN (SELECT pg_temp.extension_functions())
   AND p.prosecdef
   AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false);
-- no SECURITY DEFINER function is executable by a plain role (expect none)
SELECT p.oid::regprocedure AS open_to_public
  FROM pg_proc p WHERE p.oid IN (SELECT pg_temp.extension_functions())
   AND p.prosecdef AND has_function_privilege('regress_app', p.oid, 'EXECUTE');
-- every SECURITY DEFINER function of the API is for the managing roles only
-- (migration_approve/reject for migration_approver and nobody else), and
-- those in schema release (triggers, internals) for nobody (expect none)
SELECT p.oid::regprocedure AS misgranted
  FROM pg_proc p WHERE p.oid IN (SELECT pg_temp.extension_functions())
   AND p.prosecdef
   AND CASE WHEN p.pronamespace = 'release'::regnamespace
			THEN has_function_privilege('release_operator', p.oid, 'EXECUTE')
			  OR has_function_privilege('release_approver', p.oid, 'EXECUTE')
			  OR has_function_privilege('release_reader', p.oid, 'EXECUTE')
			WHEN p.proname LIKE 'migration\_%'
			THEN has_function_privilege('release_reader', p.oid, 'EXECUTE')
			  OR has_function_privilege('release_operator', p.oid, 'EXECUTE')
			  OR has_function_privilege('release_approver', p.oid, 'EXECUTE')
			  OR NOT has_function_privilege('migration_approver', p.oid, 'EXECUTE')
			ELSE has_function_privilege('release_reader', p.oid, 'EXECUTE')
			  OR has_function_privilege('migration_approver', p.oid, 'EXECUTE')
			  OR NOT (has_function_privilege('release_operator', p.oid, 'EXECUTE')
					  OR has_function_privilege('release_approver', p.oid, 'EXECUTE'))
	   END;
-- the management functions of this issue are SECURITY DEFINER
SELECT p.oid::regprocedure AS function, p.prosecdef AS security_definer
  FROM pg_proc p WHERE p.oid IN (SELECT pg_temp.extension_functions())
   AND p.proname IN ('flag_create', 'flag_enable', 'flag_disable', 'flag_set_rollout', 'flag_archive',
					 'flag_set_regulated', 'flag_approve', 'flag_revoke_approval')
 ORDER BY p.oid::regprocedure::text;
-- evaluation is for everyone
SELECT p.oid::regprocedure AS evaluation, has_function_privilege('regress_app', p.oid, 'EXECUTE') AS app_may
  FROM pg_proc p WHERE p.oid IN (SELECT pg_temp.extension_functions())
   AND p.proname = 'flag_enabled'
 ORDER BY p.oid::regprocedure::text;

-- ===========================================================================
-- search_path tricks against the SECURITY DEFINER code
-- ===========================================================================

-- an attacker's schema shadowing what the four-eyes and audit code calls
CREATE SCHEMA regress_evil;
CREATE FUNCTION regress_evil.pg_has_role(oid, text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION regress_evil.pg_has_role(name, text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION regress_evil.sha256(bytea) RETURNS bytea LANGUAGE sql AS $$SELECT '\x00'::bytea$$;
CREATE FUNCTION regress_evil.current_setting(text) RETURNS text LANGUAGE sql AS $$SELECT 'release_approver'$$;
CREATE FUNCTION regress_evil.always(name, name) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR regress_evil.<> (LEFTARG = name, RIGHTARG = name, FUNCTION = regress_evil.always);
GRANT USAGE ON SCHEMA regress_evil TO PUBLIC;

CREATE ROLE regress_mallory LOGIN IN ROLE release_operator, release_approver;
SELECT flag_create('EVIL-1', regulated => true);
SELECT flag_create('EVIL-2', regulated => true);
SET SESSION AUTHORIZATION regress_mallory;
SET search_path = regress_evil, pg_catalog, pg_temp, public;
-- the trap is armed in mallory's own session ...
SELECT pg_has_role('nobody', 'release_approver', 'MEMBER') AS shadowed_pg_has_role,
       'a'::name <> 'a'::name AS shadowed_operator;
-- ... and a temp table shadows a catalog for unqualified names
CREATE TEMP TABLE approvals (flag_key text, approved_by name);
INSERT INTO approvals VALUES ('EVIL-1', 'someone_else');
CREATE TEMP TABLE pg_roles (rolname name);
SELECT pg_temp.fingerprint() AS before \gset
-- self-approval and switching on: still four eyes
SELECT flag_approve('EVIL-1', 'approving my own change');
SELECT pg_temp.try($$SELECT flag_enable('EVIL-1')$$);
SELECT pg_temp.try($$SELECT flag_set_rollout('EVIL-1', 1)$$);
RESET search_path;
SELECT pg_temp.fingerprint() <> :'before' AS only_the_approval_changed;
SELECT pg_temp.fingerprint() AS before \gset
SET search_path = regress_evil, pg_catalog, pg_temp, public;
-- clearing the regulated mark needs a real release_approver acting
SET ROLE release_operator;
SELECT pg_temp.try($$SELECT flag_set_regulated('EVIL-2', false)$$);
RESET ROLE;
RESET search_path;
DROP TABLE pg_temp.approvals, pg_temp.pg_roles;
RESET SESSION AUTHORIZATION;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;
-- the audit chain was computed with the real sha256
SELECT intact, broken_id FROM flag_audit_verify();
SELECT action, flag_key, session_user_name, note FROM release.audit_log ORDER BY id DESC LIMIT 1;

-- ===========================================================================
-- SQL-looking text in keys and notes: refused as keys, kept verbatim as notes
-- ===========================================================================

SELECT pg_temp.fingerprint() AS before \gset
SELECT pg_temp.try($$SELECT flag_create('x''); DROP TABLE release.audit_log; --')$$);
SELECT pg_temp.try($$SELECT flag_enable('M-1', 'M-1'' OR key <> ''')$$);
SELECT pg_temp.try($$SELECT flag_approve('M-REG''--', 'ok')$$);
SELECT pg_temp.try($$SELECT * FROM flag_history('x'' OR ''1''=''1')$$);
SELECT pg_temp.try($$SELECT flag_set_regulated('M-1; DROP TABLE release.flags', false)$$);
-- an unknown key in a batch: nothing in the batch changes
SELECT pg_temp.try($$SELECT flag_enable(ARRAY['M-1', 'NOPE'], 'batch')$$);
SELECT pg_temp.try($$SELECT flag_disable(ARRAY['M-1', 'NOPE'], 'batch')$$);
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

SELECT flag_create('M-SQL', note => $$'); DROP TABLE release.audit_log; --$$);
SET SESSION AUTHORIZATION regress_mallory;
SELECT flag_approve('EVIL-2', $$1'; UPDATE release.approvals SET revoked_at = NULL; --$$);
RESET SESSION AUTHORIZATION;
SET pg_release.note = $$'); DELETE FROM release.flags; --$$;
UPDATE release.flags SET description = 'Robert''); DROP TABLE release.flags;--' WHERE key = 'M-SQL';
RESET pg_release.note;
SELECT action, flag_key, note FROM release.audit_log ORDER BY id DESC LIMIT 3;
SELECT count(*) AS flags_still_there FROM release.flags;
SELECT intact FROM flag_audit_verify();

DROP EXTENSION pg_release;
DROP SCHEMA regress_evil CASCADE;
DROP ROLE regress_app;
DROP ROLE regress_mallory;
