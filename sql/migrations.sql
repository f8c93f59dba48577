-- migrations: the ledger of gatekeeper apply — state machine, approvals bound
-- to the checksum, privileges, audit, bad input (SQLSTATE, nothing changed)
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
-- the ledger and the audit log's length, to show refused calls change nothing
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
	SELECT md5(coalesce(string_agg(m::text, '|' ORDER BY name), '') ||
			   (SELECT count(*) FROM release.audit_log)::text)
	  FROM release.migrations m
$$;
CREATE FUNCTION pg_temp.ledger() RETURNS TABLE (name text, status text, verdict text, sum text,
												approved text, by name, note text, done int,
												attempts int, error text)
LANGUAGE sql AS $$
	SELECT name, status, verdict, left(checksum, 4), left(approved_checksum, 4),
		   coalesce(approved_by, rejected_by, applied_by), note, statements_done, attempts, error
	  FROM release.migrations ORDER BY name
$$;
-- the audit rows of the ledger from id on
CREATE FUNCTION pg_temp.audit(from_id bigint) RETURNS TABLE (action text, name text, status text, session_user_name name, note text)
LANGUAGE sql AS $$
	SELECT a.action, coalesce(a.new_state, a.old_state)->>'name', a.new_state->>'status',
		   a.session_user_name, a.note
	  FROM release.audit_log a WHERE a.id > from_id AND a.target = 'migrations' ORDER BY a.id
$$;
CREATE FUNCTION pg_temp.last_id() RETURNS bigint LANGUAGE sql AS $$
	SELECT coalesce(max(id), 0) FROM release.audit_log
$$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

-- a deploy pipeline, a DBA, an application and a release manager
CREATE ROLE regress_deploy LOGIN IN ROLE migration_deployer;
CREATE ROLE regress_dba LOGIN IN ROLE migration_approver;
CREATE ROLE regress_app LOGIN;
CREATE ROLE regress_rm LOGIN IN ROLE release_operator;

-- the roles exist and cannot log in
SELECT rolname, rolcanlogin FROM pg_roles
 WHERE rolname IN ('migration_approver', 'migration_deployer') ORDER BY 1;

\set a1 '''aaaa000000000000000000000000000000000000000000000000000000000001'''
\set a2 '''aaaa000000000000000000000000000000000000000000000000000000000002'''
\set b1 '''bbbb000000000000000000000000000000000000000000000000000000000001'''
\set c1 '''cccc000000000000000000000000000000000000000000000000000000000001'''
\set r '''{"files": [{"verdict": "risky", "statements": [{"origin": "top"}, {"origin": "do"}, {"origin": "top"}]}]}'''
\set s '''{"files": [{"verdict": "safe", "statements": [{"origin": "top"}, {"origin": "top"}]}]}'''
SELECT pg_temp.last_id() AS start \gset

-- ===========================================================================
-- The deploy pipeline's side
-- ===========================================================================
SET SESSION AUTHORIZATION regress_deploy;
-- a safe transactional file: recorded applied in one call
SELECT release.migration_applied('V1__create.sql', :a1, 'safe', 'transaction', :s);
-- a risky file: parked, and asking again changes nothing
SELECT release.migration_request('V2__drop.sql', :b1, 'risky', 'transaction', :r);
SELECT release.migration_request('V2__drop.sql', :b1, 'risky', 'transaction', :r);
-- a risky file cannot be recorded started or applied without an approval
SELECT pg_temp.try($$SELECT release.migration_applied('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'risky', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_started('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'risky', 'autocommit', '{}')$$);
-- ... and a client that calls it safe (other options, other catalog) changes nothing
SELECT pg_temp.try($$SELECT release.migration_started('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_applied('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', '{}')$$);
-- nor can the pipeline approve its own request, or write the ledger directly
SELECT pg_temp.try($$SELECT migration_approve('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'me')$$);
SELECT pg_temp.try($$UPDATE release.migrations SET status = 'approved'$$);
SELECT pg_temp.try($$INSERT INTO release.migrations (name, checksum, status, verdict, mode, report) VALUES ('x', repeat('a', 64), 'applied', 'safe', 'transaction', '{}')$$);
-- drift: an applied file asked about with another checksum
SELECT pg_temp.try($$SELECT release.migration_request('V1__create.sql', 'aaaa000000000000000000000000000000000000000000000000000000000002', 'risky', 'transaction', '{}')$$);
SELECT release.migration_request('V1__create.sql', :a1, 'risky', 'transaction', :r);
RESET SESSION AUTHORIZATION;
SELECT * FROM pg_temp.ledger();

-- ===========================================================================
-- The DBA's side: approvals bind to the checksum
-- ===========================================================================
SELECT pg_temp.fingerprint() AS before \gset
SET SESSION AUTHORIZATION regress_dba;
-- a checksum that is not the ledger's: the file changed since the DBA looked
SELECT pg_temp.try($$SELECT migration_approve('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000002', 'ok')$$);
-- unknown names, applied files
SELECT pg_temp.try($$SELECT migration_approve('V9__nope.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'ok')$$);
SELECT pg_temp.try($$SELECT migration_approve('V1__create.sql', 'aaaa000000000000000000000000000000000000000000000000000000000001', 'ok')$$);
SELECT pg_temp.try($$SELECT migration_reject('V1__create.sql', 'aaaa000000000000000000000000000000000000000000000000000000000001', 'no')$$);
-- the DBA cannot record applies
SELECT pg_temp.try($$SELECT release.migration_applied('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'risky', 'transaction', '{}')$$);
RESET SESSION AUTHORIZATION;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;
SET SESSION AUTHORIZATION regress_dba;
SELECT migration_approve('V2__drop.sql', :b1, 'reviewed: column unused since v2.3');
SELECT pg_temp.try($$SELECT migration_approve('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'again')$$);
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_deploy;
-- the pipeline sees the approval; the file changed after it: back to waiting
SELECT release.migration_request('V2__drop.sql', :b1, 'risky', 'transaction', :r);
SELECT release.migration_request('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000002', 'risky', 'transaction', :r);
SELECT pg_temp.try($$SELECT release.migration_applied('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000002', 'risky', 'transaction', '{}')$$);
RESET SESSION AUTHORIZATION;
SELECT * FROM pg_temp.ledger() WHERE name = 'V2__drop.sql';

-- the DBA rejects the changed file; apply stops at it until it changes again
SET SESSION AUTHORIZATION regress_dba;
SELECT migration_reject('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000002', 'drops too much');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_deploy;
SELECT release.migration_request('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000002', 'risky', 'transaction', :r);
SELECT release.migration_request('V2__drop.sql', :b1, 'risky', 'transaction', :r);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_dba;
SELECT migration_approve('V2__drop.sql', :b1, 'the first version is fine');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- Failures, retries, autocommit progress
-- ===========================================================================
SET SESSION AUTHORIZATION regress_deploy;
-- an approved file fails (e.g. lock timeout): the approval survives the retry
SELECT release.migration_failed('V2__drop.sql', :b1, 'risky', 'transaction', :r, 'V2__drop.sql:1:1: SQLSTATE 55P03: canceling statement due to lock timeout');
SELECT release.migration_request('V2__drop.sql', :b1, 'risky', 'transaction', :r);
SELECT release.migration_applied('V2__drop.sql', :b1, 'risky', 'transaction', :r);
-- an applied file cannot fail, start or be applied again
SELECT pg_temp.try($$SELECT release.migration_failed('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'risky', 'transaction', '{}', 'x')$$);
SELECT pg_temp.try($$SELECT release.migration_applied('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'risky', 'transaction', '{}')$$);
-- an autocommit file: started, one statement done, interrupted, resumed
SELECT release.migration_started('V3__index.sql', :c1, 'safe', 'autocommit', :s);
SELECT release.migration_progress('V3__index.sql', :c1, 1);
SELECT release.migration_started('V3__index.sql', :c1, 'safe', 'autocommit', :s);
-- progress for another checksum, or a file not being applied, is refused
SELECT pg_temp.try($$SELECT release.migration_progress('V3__index.sql', 'cccc000000000000000000000000000000000000000000000000000000000002', 2)$$);
SELECT pg_temp.try($$SELECT release.migration_progress('V1__create.sql', 'aaaa000000000000000000000000000000000000000000000000000000000001', 2)$$);
SELECT pg_temp.try($$SELECT release.migration_progress('V3__index.sql', 'cccc000000000000000000000000000000000000000000000000000000000001', 0)$$);
SELECT pg_temp.try($$SELECT release.migration_progress('V3__index.sql', 'cccc000000000000000000000000000000000000000000000000000000000001', NULL)$$);
-- a half-applied file whose content changed cannot be requested, started or failed over
SELECT pg_temp.try($$SELECT release.migration_started('V3__index.sql', 'cccc000000000000000000000000000000000000000000000000000000000002', 'safe', 'autocommit', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request('V3__index.sql', 'cccc000000000000000000000000000000000000000000000000000000000002', 'risky', 'autocommit', '{}')$$);
SELECT release.migration_failed('V3__index.sql', :c1, 'safe', 'autocommit', :s, 'V3__index.sql:2:1: SQLSTATE 23505: could not create unique index "i"');
SELECT release.migration_started('V3__index.sql', :c1, 'safe', 'autocommit', :s);
SELECT release.migration_progress('V3__index.sql', :c1, 2);
SELECT release.migration_applied('V3__index.sql', :c1, 'safe', 'autocommit', :s);
-- interrupted before its first statement ran, a file may still change
SELECT release.migration_started('V4__idx.sql', :a2, 'safe', 'autocommit', :s);
SELECT release.migration_started('V4__idx.sql', :c1, 'safe', 'autocommit', :s);
SELECT release.migration_applied('V4__idx.sql', :c1, 'safe', 'autocommit', :s);
RESET SESSION AUTHORIZATION;
SELECT * FROM pg_temp.ledger();

-- ===========================================================================
-- Audit: every ledger change, with the person and the note
-- ===========================================================================
SELECT * FROM pg_temp.audit(:start);
SELECT intact, checked > 0 AS checked FROM flag_audit_verify();
-- direct DML by the owner is audited too, TRUNCATE included
SELECT pg_temp.last_id() AS mark \gset
UPDATE release.migrations SET note = 'owner edit' WHERE name = 'V1__create.sql';
BEGIN;
TRUNCATE release.migrations;
SELECT action, old_state->>'name' AS name FROM release.audit_log WHERE id > :mark ORDER BY id;
ROLLBACK;
-- the CHECK constraints hold even for the owner
SELECT pg_temp.try($$UPDATE release.migrations SET status = 'approved', approved_checksum = NULL WHERE name = 'V1__create.sql'$$);
SELECT pg_temp.try($$UPDATE release.migrations SET status = 'applied', verdict = 'risky', approved_checksum = NULL WHERE name = 'V1__create.sql'$$);
SELECT pg_temp.try($$UPDATE release.migrations SET status = 'done' WHERE name = 'V1__create.sql'$$);
SELECT status, verdict, approved_checksum FROM release.migrations WHERE name = 'V1__create.sql';

-- ===========================================================================
-- Privileges
-- ===========================================================================
SELECT r.rolname AS role,
	   has_function_privilege(r.rolname, 'migration_approve(text, text, text)', 'EXECUTE') AS approve,
	   has_function_privilege(r.rolname, 'migration_reject(text, text, text)', 'EXECUTE') AS reject,
	   has_function_privilege(r.rolname, 'release.migration_request(text, text, text, text, jsonb)', 'EXECUTE') AS request,
	   has_function_privilege(r.rolname, 'release.migration_started(text, text, text, text, jsonb)', 'EXECUTE') AS started,
	   has_function_privilege(r.rolname, 'release.migration_progress(text, text, integer)', 'EXECUTE') AS progress,
	   has_function_privilege(r.rolname, 'release.migration_applied(text, text, text, text, jsonb)', 'EXECUTE') AS applied,
	   has_function_privilege(r.rolname, 'release.migration_failed(text, text, text, text, jsonb, text)', 'EXECUTE') AS failed,
	   has_table_privilege(r.rolname, 'release.migrations', 'SELECT') AS read,
	   has_table_privilege(r.rolname, 'release.migrations', 'INSERT, UPDATE, DELETE, TRUNCATE') AS write
  FROM pg_roles r
 WHERE r.rolname IN ('regress_deploy', 'regress_dba', 'regress_app', 'regress_rm', 'release_reader')
 ORDER BY 1;
-- an application and a release manager are refused
SET SESSION AUTHORIZATION regress_app;
SELECT pg_temp.try($$SELECT migration_approve('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'x')$$);
SELECT pg_temp.try($$SELECT count(*) FROM release.migrations$$);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_rm;
SELECT pg_temp.try($$SELECT release.migration_applied('V9.sql', 'aaaa000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT migration_reject('V2__drop.sql', 'bbbb000000000000000000000000000000000000000000000000000000000001', 'x')$$);
RESET SESSION AUTHORIZATION;
-- SECURITY DEFINER functions of the ledger pin search_path
SELECT p.oid::regprocedure AS function, p.prosecdef AS definer,
	   p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'] AS pinned
  FROM pg_proc p WHERE p.proname LIKE 'migration%' ORDER BY 1::text;

-- ===========================================================================
-- Bad input: a clear error with a SQLSTATE, and nothing changes
-- ===========================================================================
SELECT pg_temp.fingerprint() AS before \gset
SET SESSION AUTHORIZATION regress_deploy;
SELECT pg_temp.try($$SELECT release.migration_request(NULL, 'aaaa000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request('', 'aaaa000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request('dir/V1.sql', 'aaaa000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request(E'V1\n.sql', 'aaaa000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request(repeat('x', 256), 'aaaa000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request('V1''; DROP TABLE release.migrations; --', 'aaaa', 'safe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request('V5.sql', NULL, 'safe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request('V5.sql', 'AAAA000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request('V5.sql', 'aaaa000000000000000000000000000000000000000000000000000000000001', 'maybe', 'transaction', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request('V5.sql', 'aaaa000000000000000000000000000000000000000000000000000000000001', 'safe', 'sometimes', '{}')$$);
SELECT pg_temp.try($$SELECT release.migration_request('V5.sql', 'aaaa000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', NULL)$$);
SELECT pg_temp.try($$SELECT release.migration_failed('V5.sql', 'aaaa000000000000000000000000000000000000000000000000000000000001', 'safe', 'transaction', '[]', 'x')$$);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_dba;
SELECT pg_temp.try($$SELECT migration_approve(NULL, NULL, NULL)$$);
SELECT pg_temp.try($$SELECT migration_reject('V2__drop.sql', 'not a checksum', 'x')$$);
RESET SESSION AUTHORIZATION;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- four eyes: one person holding both roles cannot approve their own request
CREATE ROLE regress_both LOGIN IN ROLE migration_deployer, migration_approver;
SET SESSION AUTHORIZATION regress_both;
SELECT release.migration_request('V8__drop_both.sql', 'eeee000000000000000000000000000000000000000000000000000000000001', 'risky', 'transaction', '{}');
SELECT pg_temp.try($$SELECT migration_approve('V8__drop_both.sql', 'eeee000000000000000000000000000000000000000000000000000000000001', 'mine')$$);
RESET SESSION AUTHORIZATION;
SELECT status FROM release.migrations WHERE name = 'V8__drop_both.sql';

DROP EXTENSION pg_release;
DROP ROLE regress_deploy, regress_dba, regress_app, regress_rm, regress_both;
