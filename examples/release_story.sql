-- release_story.sql — the pg_release release story, end to end.
-- Run by `make demo` on a throwaway cluster; readable on its own as a tour
-- of the SQL API.
\set ON_ERROR_STOP on
\pset footer off
\pset null '-'
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE EXTENSION pg_release;

\echo
\echo '== 1. Two tasks reach the "Release" column: their code ships with flags created DISABLED'
SELECT flag_create('TASK-123', 'OAuth login', branch => 'feature/oauth-login', release => 'v1.2',
                   tracker_url => 'https://tracker.example/browse/TASK-123') \g /dev/null
SELECT flag_create('TASK-456', 'Dark mode', branch => 'feature/dark-mode', release => 'v1.2',
                   tracker_url => 'https://tracker.example/browse/TASK-456') \g /dev/null
SELECT key, status, rollout || ' %' AS rollout, description, branch, release FROM flag_list;

\echo
\echo '   The application asks on every request:  SELECT flag_enabled(''TASK-123'', user_id)'
SELECT count(*) FILTER (WHERE flag_enabled('TASK-123', u::text)) AS "users seeing TASK-123",
       count(*) AS "of users"
  FROM generate_series(1, 10000) u;

\echo
\echo '== 2. Canary: TASK-123 goes to 10 % of users (sticky per user, no deploy)'
SELECT flag_set_rollout('TASK-123', 10) \g /dev/null
SELECT count(*) FILTER (WHERE flag_enabled('TASK-123', u::text)) AS "users seeing TASK-123",
       count(*) AS "of users",
       round(100.0 * count(*) FILTER (WHERE flag_enabled('TASK-123', u::text)) / count(*), 1) AS "percent"
  FROM generate_series(1, 10000) u;
SELECT string_agg(u::text, ', ' ORDER BY u) AS "first canary users (ids 1..50)"
  FROM generate_series(1, 50) u WHERE flag_enabled('TASK-123', u::text);

\echo
\echo '   Raising the canary to 25 % only adds users: nobody who had it loses it'
CREATE TEMP TABLE canary10 AS
SELECT u FROM generate_series(1, 10000) u WHERE flag_enabled('TASK-123', u::text);
SELECT flag_set_rollout('TASK-123', 25) \g /dev/null
SELECT count(*) FILTER (WHERE flag_enabled('TASK-123', u::text)) AS "users at 25 %",
       (SELECT count(*) FROM canary10 c WHERE NOT flag_enabled('TASK-123', c.u::text)) AS "canary users lost"
  FROM generate_series(1, 10000) u;

\echo
\echo '== 3. The release manager ticks both tasks and presses "Enable selected"'
SELECT flag_enable('TASK-123', 'TASK-456') \g /dev/null
SELECT key, status, rollout || ' %' AS rollout,
       (SELECT count(*) FROM generate_series(1, 10000) u WHERE flag_enabled(key, u::text)) AS "users of 10,000"
  FROM flag_list;

\echo
\echo '   A batch with one unknown task changes nothing and names the offender:'
\set ON_ERROR_STOP off
SELECT flag_enable('TASK-456', 'TASK-999');
\set ON_ERROR_STOP on

\echo
\echo '== 4. Dark mode misbehaves: the kill switch, effective at every session''s next statement'
SELECT flag_disable('TASK-456') \g /dev/null
SELECT key, status, rollout || ' %' AS rollout,
       (SELECT count(*) FROM generate_series(1, 10000) u WHERE flag_enabled(key, u::text)) AS "users of 10,000"
  FROM flag_list;

\echo
\echo '== 5. TASK-900 (credit scoring) is regulated: switching it on needs a second person, legal.'
CREATE ROLE rob LOGIN IN ROLE release_operator;     -- the release manager
CREATE ROLE lena LOGIN IN ROLE release_approver;    -- legal
SET SESSION AUTHORIZATION rob;
SELECT flag_create('TASK-900', 'Credit scoring v2', release => 'v1.3', regulated => true) \g /dev/null
\echo '   rob presses "Enable selected" before legal has looked:'
\set ON_ERROR_STOP off
SELECT flag_enable('TASK-900');
\set ON_ERROR_STOP on
SET SESSION AUTHORIZATION lena;
SELECT flag_approve('TASK-900', 'LEGAL-42: reviewed with compliance') \g /dev/null
SET SESSION AUTHORIZATION rob;
SELECT flag_enable(ARRAY['TASK-900'], 'approved in LEGAL-42') \g /dev/null
RESET SESSION AUTHORIZATION;
\echo '   after lena''s approval rob switches it on; the audit log says who did what, and why:'
SELECT logged_at::time(0) AS "at", session_user_name AS "who", action, note
  FROM flag_history('TASK-900') ORDER BY id;
SELECT intact AS "audit chain intact", checked AS "rows checked" FROM flag_audit_verify();

\echo
\echo '== 6. TASK-789 goes out as a 10 % canary, but its code path fails 8 % of requests.'
\echo '   The application reports outcomes; the guard worker watches 1-second windows here.'
SELECT flag_create('TASK-789', 'New checkout', branch => 'feature/checkout', release => 'v1.3') \g /dev/null
SELECT flag_set_rollout('TASK-789', 10) \g /dev/null
DO $$
BEGIN
	FOR i IN 1 .. 50 LOOP
		PERFORM flag_report('TASK-789', 200, 16);     -- 8 % errors
		PERFORM pg_sleep(0.2);
		EXIT WHEN (SELECT state FROM release.guard_state WHERE key = 'TASK-789') = 'rolled_back';
	END LOOP;
END
$$;
SELECT key, state, rollout || ' %' AS rollout, rolled_back_at IS NOT NULL AS "rolled back by the guard" FROM flag_lifecycle WHERE key = 'TASK-789';
SELECT key, requests, errors, guard_state, round(100 * last_error_rate::numeric, 1) || ' %' AS "last window"
  FROM flag_stats WHERE key = 'TASK-789';
\echo '   The alert that goes to Slack (gatekeeper alerts), stored until delivered:'
SELECT payload->>'action' AS action, payload->>'flag' AS flag,
       round(100 * (payload->>'error_rate')::numeric, 1) || ' %' AS "error rate",
       payload->>'requests' AS requests
  FROM release.alerts WHERE flag_key = 'TASK-789';

\echo
\echo '== 7. OAuth login is fully released; once its code path is the only one, the flag is archived'
SELECT flag_archive('TASK-123') \g /dev/null
SELECT key, state, rollout || ' %' AS rollout, regulated, approval FROM flag_lifecycle ORDER BY key;
\echo
\echo 'Done: no deploy was needed for any of these switches.'
