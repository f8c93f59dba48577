-- governance: the hash-chained audit trail, four-eyes approval of regulated
-- flags, the release board, lifecycle and flag debt
-- start from a fresh extension whatever the suite before left behind
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pg_release CASCADE;
RESET client_min_messages;
CREATE EXTENSION pg_release;
CREATE EXTENSION dblink;
-- times in error details are shown, and masked, in one format
SET datestyle = ISO;
SET timezone = UTC;

-- show SQLSTATE and message of a statement, without aborting the script
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
-- the same with the error's detail: why an approval does not count
CREATE FUNCTION pg_temp.why(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	detail text;
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || SQLERRM || CASE WHEN detail <> '' THEN E'\n' ||
		regexp_replace(detail, '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+\d\d', '<time>', 'g') ELSE '' END;
END
$$;
-- the audit log without the columns that change from run to run
CREATE FUNCTION pg_temp.log(from_id bigint DEFAULT 0)
RETURNS TABLE (id bigint, action text, target text, flag_key text, who name, acting name, note text)
LANGUAGE sql AS $$
	SELECT a.id, a.action, a.target, a.flag_key, a.session_user_name, a.current_role_name, a.note
	  FROM release.audit_log a WHERE a.id > from_id ORDER BY a.id
$$;
CREATE FUNCTION pg_temp.last_id() RETURNS bigint LANGUAGE sql AS $$
	SELECT coalesce(max(id), 0) FROM release.audit_log
$$;
-- a fingerprint of all flag data, to show that refused calls change nothing
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
	SELECT md5(coalesce(string_agg(f::text, '|' ORDER BY key), '') ||
			   (SELECT count(*) FROM release.approvals)::text ||
			   (SELECT count(*) FROM release.audit_log)::text)
	  FROM (SELECT key, enabled, strategies, regulated, archived_at, updated_at FROM release.flags) f
$$;

-- three people: a release manager, a compliance officer, and one with both hats
CREATE ROLE regress_alice LOGIN IN ROLE release_operator;
CREATE ROLE regress_bob LOGIN IN ROLE release_approver;
CREATE ROLE regress_carol LOGIN IN ROLE release_operator, release_approver;

-- ===========================================================================
-- Audit: every change, through the API or by direct SQL, with who and why
-- ===========================================================================

SET SESSION AUTHORIZATION regress_alice;
SELECT flag_create('TASK-1', 'Dark mode', 'feature/dark-mode', 'v1.2', note => 'from the tracker');
SELECT flag_set_rollout('TASK-1', 10, 'canary for staff');
SELECT flag_set_rollout('TASK-1', 50);
SELECT flag_enable(ARRAY['TASK-1'], 'canary healthy');
SELECT flag_disable(ARRAY['TASK-1'], 'incident INC-42');
-- the VARIADIC forms take their reason from pg_release.note
BEGIN;
SET LOCAL pg_release.note = 'INC-42 fixed';
SELECT flag_enable('TASK-1');
COMMIT;
-- a note given to one call does not leak into the next one
SELECT flag_create('TASK-2', note => 'second flag');
SELECT flag_create('TASK-3');
-- SET ROLE is recorded as the acting role, the login as the person
SET ROLE release_operator;
SELECT flag_archive('TASK-3', 'never shipped');
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT * FROM pg_temp.log();

-- direct DML is audited too, with pg_release.note as its reason
SELECT pg_temp.last_id() AS start \gset
BEGIN;
SET LOCAL pg_release.note = 'DBA fix: typo';
UPDATE release.flags SET description = 'Dark mode for everyone' WHERE key = 'TASK-1';
-- the record of a change: when, who, where from, which transaction, old and new state
SELECT txid = txid_current() AS this_transaction, application_name,
       logged_at BETWEEN now() AND clock_timestamp() AS logged_now,
       old_state->>'description' AS old_description, new_state->>'description' AS new_description
  FROM release.audit_log WHERE id = :start + 1;
COMMIT;
DELETE FROM release.flags WHERE key = 'TASK-3';
SELECT * FROM pg_temp.log(:start);
SELECT old_state->>'key' AS deleted_key, new_state IS NULL AS no_new_state
  FROM release.audit_log WHERE id = :start + 2;

-- flag_history: one flag's trail, newest first, with what changed
SELECT id, action, session_user_name, note, changes
  FROM flag_history('TASK-1');
SELECT count(*) AS history_of_unknown_flag FROM flag_history('NOPE');

-- the chain is intact
SELECT intact, checked, broken_id, detail, last_id FROM flag_audit_verify();

-- ===========================================================================
-- Append-only: nobody edits the log; a superuser who forces it is caught
-- ===========================================================================

SELECT pg_temp.fingerprint() AS before \gset
-- even the owner is refused by the trigger
SELECT pg_temp.try($$UPDATE release.audit_log SET note = 'nothing happened' WHERE id = 5$$);
SELECT pg_temp.try($$DELETE FROM release.audit_log WHERE id = 5$$);
SELECT pg_temp.try($$DELETE FROM release.audit_log WHERE false$$);
SELECT pg_temp.try($$TRUNCATE release.audit_log$$);
-- an operator has no privilege on it at all, not even to append a forged row
SET SESSION AUTHORIZATION regress_alice;
SELECT pg_temp.try($$UPDATE release.audit_log SET note = 'nothing happened' WHERE id = 5$$);
SELECT pg_temp.try($$DELETE FROM release.audit_log$$);
SELECT pg_temp.try($$TRUNCATE release.audit_log$$);
SELECT pg_temp.try($$INSERT INTO release.audit_log SELECT * FROM release.audit_log WHERE id = 1$$);
SELECT pg_temp.try($$SELECT release.audit_append('enable', 'flags', 'TASK-1', NULL, NULL)$$);
-- nor on the flags table: the API is the way in
SELECT pg_temp.try($$UPDATE release.flags SET enabled = false$$);
RESET SESSION AUTHORIZATION;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- keep the newest hash somewhere else: it anchors the tail
SELECT last_hash AS anchor FROM flag_audit_verify() \gset

-- a superuser edits a row: caught at that row
BEGIN;
ALTER TABLE release.audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE release.audit_log SET note = 'nothing happened' WHERE id = 5;
SELECT intact, checked, broken_id, detail FROM flag_audit_verify();
-- ... and recomputes its hash: caught at the next row
UPDATE release.audit_log a SET hash = release.audit_hash(a) WHERE id = 5;
SELECT intact, checked, broken_id, detail FROM flag_audit_verify();
ROLLBACK;

-- a row removed from the middle
BEGIN;
ALTER TABLE release.audit_log DISABLE TRIGGER audit_log_append_only;
DELETE FROM release.audit_log WHERE id = 4;
SELECT intact, checked, broken_id, detail FROM flag_audit_verify();
ROLLBACK;

-- the tail cut off: the chain left is intact, but it no longer ends at the anchor
BEGIN;
ALTER TABLE release.audit_log DISABLE TRIGGER audit_log_append_only;
DELETE FROM release.audit_log WHERE id >= 9;
SELECT intact, last_id, last_hash = :'anchor' AS ends_at_anchor FROM flag_audit_verify();
ROLLBACK;

SELECT intact, last_hash = :'anchor' AS ends_at_anchor FROM flag_audit_verify();

-- ===========================================================================
-- Four eyes: a regulated flag reaches users only with someone else's approval
-- ===========================================================================

SET SESSION AUTHORIZATION regress_alice;
SELECT flag_create('REG-1', 'Instant payouts', release => 'v1.3', regulated => true);
SELECT flag_create('REG-2', 'Crypto wallet', release => 'v1.3', regulated => true);
SELECT pg_temp.fingerprint() AS before \gset
-- switching on, or raising the rollout above 0, needs an approval
SELECT pg_temp.why($$SELECT flag_enable('REG-1')$$);
SELECT pg_temp.why($$SELECT flag_set_rollout('REG-1', 10)$$);
-- "enable selected" refuses the whole batch, naming the flag
SELECT flag_create('TASK-4', release => 'v1.3');
SELECT pg_temp.fingerprint() AS before \gset
SELECT pg_temp.why($$SELECT flag_enable('TASK-4', 'REG-2')$$);
SELECT key, enabled FROM release.flags WHERE key IN ('TASK-4', 'REG-2') ORDER BY key;
-- an operator cannot approve
SELECT pg_temp.try($$SELECT flag_approve('REG-1', 'looks fine to me')$$);
SELECT pg_temp.fingerprint() = :'before' AS unchanged;
-- reaching nobody needs no approval: rollout 0 and the kill switch
SELECT flag_set_rollout('REG-1', 0, 'prepared, reaches nobody');
SELECT flag_disable('REG-1');
RESET SESSION AUTHORIZATION;

-- the compliance officer approves, with a reason
SET SESSION AUTHORIZATION regress_bob;
SELECT pg_temp.try($$SELECT flag_approve('REG-1', NULL)$$);
SELECT pg_temp.try($$SELECT flag_approve('REG-1', '  ')$$);
SELECT pg_temp.try($$SELECT flag_approve('TASK-4', 'not regulated')$$);
SELECT pg_temp.try($$SELECT flag_approve('NOPE', 'unknown')$$);
SELECT pg_temp.try($$SELECT flag_approve('TASK-3', 'deleted')$$);
SELECT flag_approve('REG-1', 'CR-7: payouts reviewed by legal');
-- an approver is not an operator
SELECT pg_temp.try($$SELECT flag_enable('REG-1')$$);
RESET SESSION AUTHORIZATION;
SELECT flag_key, approved_by, approved_role, note, revoked_at IS NULL AS live FROM release.approvals;

-- now the release manager may switch it on, step by step
SET SESSION AUTHORIZATION regress_alice;
SELECT flag_set_rollout('REG-1', 10, 'canary, approved in CR-7');
SELECT flag_set_rollout('REG-1', 50);
SELECT flag_enable(ARRAY['TASK-4', 'REG-1'], 'v1.3 release');
SELECT key, enabled, release.strategies_rollout(strategies) AS rollout
  FROM release.flags WHERE key IN ('TASK-4', 'REG-1') ORDER BY key;
RESET SESSION AUTHORIZATION;

-- approving one's own switch: a person with both hats, with or without SET ROLE
SET SESSION AUTHORIZATION regress_carol;
SELECT flag_approve('REG-2', 'I checked it myself');
SELECT pg_temp.fingerprint() AS before \gset
SELECT pg_temp.why($$SELECT flag_enable('REG-2')$$);
SET ROLE release_operator;
SELECT pg_temp.why($$SELECT flag_set_rollout('REG-2', 5)$$);
RESET ROLE;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;
RESET SESSION AUTHORIZATION;
-- carol's approval counts for anybody else
SET SESSION AUTHORIZATION regress_alice;
SELECT flag_set_rollout('REG-2', 5, 'approved by carol');
RESET SESSION AUTHORIZATION;

-- an approval binds to the targeting it approved: REG-3 is for German users only
SELECT flag_create('REG-3', 'Tax export', regulated => true);
UPDATE release.flags
   SET strategies = '[{"name": "flexibleRollout", "parameters": {"rollout": "100", "stickiness": "default", "groupId": "REG-3"},
                       "constraints": [{"contextName": "country", "operator": "IN", "values": ["DE"]}]}]'
 WHERE key = 'REG-3';
SET SESSION AUTHORIZATION regress_bob;
SELECT flag_approve('REG-3', 'CR-9: Germany only');
RESET SESSION AUTHORIZATION;
SELECT release.approval_status('REG-3');
-- the targeting is widened afterwards (by direct SQL, audited): the approval is void
SET pg_release.note = 'add France';
UPDATE release.flags
   SET strategies = jsonb_set(strategies, '{0,constraints,0,values}', '["DE", "FR"]')
 WHERE key = 'REG-3';
RESET pg_release.note;
SELECT release.approval_status('REG-3');
SELECT pg_temp.fingerprint() AS before \gset
SELECT pg_temp.why($$UPDATE release.flags SET enabled = true WHERE key = 'REG-3'$$);
SET SESSION AUTHORIZATION regress_alice;
SELECT pg_temp.why($$SELECT flag_enable('REG-3')$$);
RESET SESSION AUTHORIZATION;
SELECT pg_temp.fingerprint() = :'before' AS unchanged;
-- approved again as it is now: switching on keeps the approved targeting ...
SET SESSION AUTHORIZATION regress_bob;
SELECT flag_approve('REG-3', 'CR-10: Germany and France');
RESET SESSION AUTHORIZATION;
SELECT release.approval_status('REG-3');
-- ... but "fully on for everyone" is other targeting, not what was approved
SET SESSION AUTHORIZATION regress_alice;
SELECT pg_temp.why($$SELECT flag_enable('REG-3')$$);
RESET SESSION AUTHORIZATION;
UPDATE release.flags SET enabled = true WHERE key = 'REG-3';
-- raising the percentage within the approved targeting is fine; a live
-- flag's targeting cannot be edited into an unapproved one
UPDATE release.flags SET strategies = jsonb_set(strategies, '{0,parameters,rollout}', '"50"') WHERE key = 'REG-3';
UPDATE release.flags SET strategies = jsonb_set(strategies, '{0,parameters,rollout}', '"100"') WHERE key = 'REG-3';
SELECT pg_temp.why($$UPDATE release.flags SET strategies = jsonb_set(strategies, '{0,constraints,0,values}', '["DE", "FR", "IT"]') WHERE key = 'REG-3'$$);
SELECT strategies->0->'constraints'->0->'values' AS countries FROM release.flags WHERE key = 'REG-3';

-- revoking: the flag stays as it is (with a notice), but cannot go up again
SET SESSION AUTHORIZATION regress_bob;
SELECT flag_revoke_approval('REG-1', 'CR-7 withdrawn');
SELECT pg_temp.try($$SELECT flag_revoke_approval('REG-1', 'again')$$);
SELECT pg_temp.try($$SELECT flag_revoke_approval('REG-1', NULL)$$);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_alice;
SELECT flag_set_rollout('REG-1', 10, 'going down is always allowed');
SELECT pg_temp.why($$SELECT flag_set_rollout('REG-1', 20)$$);
SELECT flag_disable('REG-1');
SELECT pg_temp.why($$SELECT flag_enable('REG-1')$$);
RESET SESSION AUTHORIZATION;
SELECT release.approval_status('REG-1');

-- an approver who loses the role takes the approval's weight with them
SET SESSION AUTHORIZATION regress_bob;
SELECT flag_approve('REG-1', 'CR-11: payouts, second review');
RESET SESSION AUTHORIZATION;
REVOKE release_approver FROM regress_bob;
SELECT release.approval_status('REG-1');
SET SESSION AUTHORIZATION regress_alice;
SELECT pg_temp.why($$SELECT flag_enable('REG-1')$$);
RESET SESSION AUTHORIZATION;
GRANT release_approver TO regress_bob;
SET SESSION AUTHORIZATION regress_alice;
SELECT flag_enable('REG-1');
RESET SESSION AUTHORIZATION;

-- the regulated mark: anyone managing flags sets it, only an approver clears it
SET SESSION AUTHORIZATION regress_alice;
SELECT flag_set_regulated('TASK-2', true, 'handles personal data');
SELECT pg_temp.try($$SELECT flag_set_regulated('TASK-2', false)$$);
SELECT pg_temp.try($$SELECT flag_set_regulated('TASK-2', NULL)$$);
SELECT pg_temp.why($$SELECT flag_enable('TASK-2')$$);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_bob;
SELECT flag_set_regulated('TASK-2', false, 'no personal data after all');
-- carol has both hats: she may clear the mark, but then not switch the flag on herself
SELECT flag_set_regulated('TASK-4', true, 'handles payments');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_carol;
SELECT flag_disable('TASK-4');
SELECT flag_set_regulated('TASK-4', false, 'no payments after all');
SELECT pg_temp.why($$SELECT flag_enable('TASK-4')$$);
RESET SESSION AUTHORIZATION;
-- nor in one step, whoever does it
SELECT flag_create('REG-5', regulated => true);
SELECT pg_temp.why($$UPDATE release.flags SET regulated = false, enabled = true WHERE key = 'REG-5'$$);
SET SESSION AUTHORIZATION regress_alice;
SELECT flag_enable('TASK-4');
RESET SESSION AUTHORIZATION;
SELECT key, regulated, enabled FROM release.flags WHERE key IN ('TASK-2', 'TASK-4', 'REG-5') ORDER BY key;

-- a flag deleted and created again under the same key starts without approvals
DELETE FROM release.flags WHERE key = 'REG-2';
SELECT flag_create('REG-2', regulated => true);
SET SESSION AUTHORIZATION regress_alice;
SELECT pg_temp.why($$SELECT flag_enable('REG-2')$$);
RESET SESSION AUTHORIZATION;

-- segments are part of the approved targeting: their contents count too
SET SESSION AUTHORIZATION regress_alice;
SELECT segment_create('staff', '[{"contextName": "email", "operator": "STR_ENDS_WITH", "values": ["@example.com"]}]') AS staff \gset
SELECT flag_create('REG-6', 'Payroll export', regulated => true);
SELECT flag_set_strategies('REG-6', format('[{"name": "flexibleRollout", "parameters": {"rollout": "100", "stickiness": "default", "groupId": "REG-6"}, "constraints": [], "segments": [%s]}]', :staff)::jsonb,
                           enable => false);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_bob;
SELECT flag_approve('REG-6', 'CR-12: staff only');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_alice;
SELECT flag_set_strategies('REG-6', strategies, enable => true) FROM release.flags WHERE key = 'REG-6';
SELECT key, enabled, release.approval_status(key) FROM release.flags WHERE key = 'REG-6';
-- while the flag is live its segment cannot be widened, nor removed
SELECT pg_temp.why($$SELECT segment_set_constraints('staff', '[]')$$);
SELECT pg_temp.why($$SELECT segment_delete('staff')$$);
RESET SESSION AUTHORIZATION;
SELECT pg_temp.why($$TRUNCATE release.segments$$);
SELECT pg_temp.why($$UPDATE release.segments SET constraints = '[]'$$);
SET SESSION AUTHORIZATION regress_alice;
-- switched off, it can; the approval is void, so switching on again is refused
SELECT flag_disable('REG-6');
SELECT segment_set_constraints('staff', '[{"contextName": "email", "operator": "STR_ENDS_WITH", "values": ["@example.com", "@partner.example"]}]');
SELECT release.approval_status('REG-6');
SELECT pg_temp.why($$SELECT flag_set_strategies('REG-6', strategies) FROM release.flags WHERE key = 'REG-6'$$);
RESET SESSION AUTHORIZATION;
SELECT action, target, flag_key, who FROM pg_temp.log() WHERE target = 'segments';

-- all of it is in the log
SELECT id, action, who, acting, note FROM pg_temp.log() WHERE flag_key = 'REG-1';
SELECT id, action, session_user_name, note, changes - 'targeting_hash' - 'strategies' - 'revoked_at' AS changes
  FROM flag_history('REG-2');

-- ===========================================================================
-- The release board, lifecycle and flag debt
-- ===========================================================================

SELECT flag_create('L-NEW', 'not started', release => 'v1.4');
SELECT flag_create('L-CANARY', 'at 10 %', release => 'v1.4');
SELECT flag_set_rollout('L-CANARY', 10);
SELECT flag_create('L-ON', 'shipped', release => 'v1.4');
SELECT flag_set_rollout('L-ON', 25);
SELECT flag_enable('L-ON');
SELECT flag_create('L-BACK', 'rolled back', release => 'v1.4');
SELECT flag_set_rollout('L-BACK', 10);
SELECT flag_set_rollout('L-BACK', 0, 'error rate 8 %');
SELECT flag_create('L-ARCHIVED', 'retired', release => 'v1.4');
SELECT flag_enable('L-ARCHIVED');
SELECT flag_archive('L-ARCHIVED');

SELECT key, state, rollout, regulated, approval,
       first_live_at IS NOT NULL AS was_live, fully_on_since IS NOT NULL AS fully_on,
       rolled_back_at IS NOT NULL AS rolled_back
  FROM flag_lifecycle ORDER BY key;

-- the release column: created, not fully on, not archived
SELECT key, description, release, state, rollout, regulated, approval, approved_by,
       age >= interval '0' AS has_age
  FROM release_board;

-- flag debt: fully on for longer than the limit
SET client_min_messages = warning;
SELECT * FROM flag_stale() WHERE reason = 'fully on' ORDER BY key;
SELECT key, reason, since IS NOT NULL AS has_since FROM flag_stale('0 seconds')
 WHERE reason = 'fully on' ORDER BY key;
RESET client_min_messages;
SELECT pg_temp.try($$SELECT * FROM flag_stale(NULL)$$);
SELECT pg_temp.try($$SELECT * FROM flag_stale('-1 day')$$);
-- and flags nobody evaluates, from the shared-memory counters (flag_stats)
-- when the library is preloaded; stand-ins for the counters here, so the
-- result does not depend on how this server was started
BEGIN;
CREATE OR REPLACE FUNCTION release.evaluated_keys() RETURNS text[] LANGUAGE sql
AS $$ SELECT ARRAY['L-ON', 'TASK-1'] $$;
SELECT key, reason FROM flag_stale('0 seconds') ORDER BY reason, key;
SELECT count(*) AS not_evaluated_for_a_month FROM flag_stale() WHERE reason = 'not evaluated';
ROLLBACK;
-- without counters it says so
BEGIN;
CREATE OR REPLACE FUNCTION release.evaluated_keys() RETURNS text[] LANGUAGE sql
AS $$ SELECT NULL::text[] $$;
SELECT key, reason FROM flag_stale('0 seconds') ORDER BY reason, key;
ROLLBACK;
-- the real source answers without error either way: counts when preloaded,
-- NULL without shared memory
SELECT pg_temp.try($$SELECT release.evaluated_keys()$$) AS evaluated_keys;

-- ===========================================================================
-- Concurrent writers queue on the log: the chain stays linear
-- ===========================================================================

SELECT dblink_connect('w1', format('dbname=%s port=%s host=%s', current_database(),
       current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT dblink_connect('w2', format('dbname=%s port=%s host=%s', current_database(),
       current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT pg_temp.last_id() AS start \gset
SELECT dblink_exec('w1', 'BEGIN');
SELECT * FROM dblink('w1', $$SELECT flag_create('C-1')::text$$) AS t(r text);
-- w2 writes too and has to wait for w1's transaction
SELECT dblink_send_query('w2', $$SELECT flag_create('C-2')::text$$);
DO $$
BEGIN
	FOR i IN 1..500 LOOP
		EXIT WHEN EXISTS (SELECT FROM pg_locks
						   WHERE relation = 'release.audit_log'::regclass AND NOT granted);
		PERFORM pg_sleep(0.01);
	END LOOP;
END
$$;
SELECT count(*) AS waiting_writers FROM pg_locks
 WHERE relation = 'release.audit_log'::regclass AND NOT granted;
SELECT dblink_exec('w1', 'COMMIT');
SELECT * FROM dblink_get_result('w2') AS t(r text);
SELECT id - :start AS n, action, flag_key FROM release.audit_log WHERE id > :start ORDER BY id;
SELECT intact, broken_id FROM flag_audit_verify();
SELECT dblink_disconnect('w1');
SELECT dblink_disconnect('w2');

-- ===========================================================================
-- TRUNCATE is recorded row by row, and the chain survives it
-- ===========================================================================

SELECT pg_temp.last_id() AS start \gset
SELECT count(*) AS flags FROM release.flags \gset
SET pg_release.note = 'reset staging';
SET client_min_messages = warning;
TRUNCATE release.flags CASCADE;
RESET client_min_messages;
RESET pg_release.note;
SELECT count(*) = :flags AS one_row_per_flag, min(action) AS action, min(note) AS note,
       bool_and(old_state IS NOT NULL) AS old_state_kept
  FROM release.audit_log WHERE id > :start AND target = 'flags';
SELECT count(*) AS open_approvals FROM release.approvals WHERE revoked_at IS NULL;
SELECT intact, broken_id FROM flag_audit_verify();

-- a role allowed to set session_replication_role still cannot switch the
-- triggers off under the management functions (they pin it to origin)
CREATE ROLE regress_dave IN ROLE release_operator;
GRANT SET ON PARAMETER session_replication_role TO regress_dave;
SELECT flag_create('REG-REPLICA', 'regulated', regulated => true);
SELECT count(*) AS audit_rows_before FROM release.audit_log \gset
SET SESSION AUTHORIZATION regress_dave;
SET session_replication_role = replica;
SELECT pg_temp.try($$SELECT flag_enable('REG-REPLICA')$$) AS replica_mode_enable;
SELECT flag_set_rollout('REG-REPLICA', 0, 'replica-mode attempt');
RESET session_replication_role;
RESET SESSION AUTHORIZATION;
SELECT flag_enabled('REG-REPLICA') AS enabled, count(*) - :audit_rows_before AS audited_changes
  FROM release.audit_log;
REVOKE SET ON PARAMETER session_replication_role FROM regress_dave;

DROP EXTENSION pg_release;
DROP EXTENSION dblink;
DROP ROLE regress_dave;
DROP ROLE regress_alice;
DROP ROLE regress_bob;
DROP ROLE regress_carol;
