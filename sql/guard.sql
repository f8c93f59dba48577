-- guard: outcome counters, canary rollback, ramps, schedules, alerts
-- (runs with shared_preload_libraries = pg_release; release.guard_tick() is
-- called here with explicit times, exactly as the worker calls it with now)
CREATE EXTENSION pg_release;

CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

SELECT flag_create('TASK-1', 'failing canary');
SELECT flag_create('TASK-2', 'healthy canary');
SELECT flag_create('TASK-3', 'ramp');
SELECT flag_create('TASK-4', 'scheduled');
SELECT flag_set_rollout('TASK-1', 10);
SELECT flag_set_rollout('TASK-2', 10);

-- outcome reports: batches and single events; unknown keys are ignored
SELECT flag_report('TASK-1', 1000, 80) AS batch, flag_report('TASK-2', true) AS ok_event,
       flag_report('TASK-2', false) AS failed_event, flag_report('NOPE', 5, 1) AS unknown_key,
       flag_report(NULL, 5, 1) AS null_key;
SELECT key, requests, errors, guard_state FROM flag_stats ORDER BY key;

-- bad reports are refused and count nothing
SELECT pg_temp.try($$SELECT flag_report('TASK-1', -1, 0)$$);
SELECT pg_temp.try($$SELECT flag_report('TASK-1', 10, 11)$$);
SELECT pg_temp.try($$SELECT flag_report('TASK-1', 10, -1)$$);
SELECT pg_temp.try($$SELECT flag_report('TASK-1', NULL, 1)$$);
SELECT pg_temp.try($$SELECT flag_report('TASK-1', NULL::boolean)$$);
SELECT pg_temp.try($$SELECT flag_report('TASK-1', 1000000001, 0)$$);
SELECT pg_temp.try($$SELECT flag_report('TASK-1', 9223372036854775807, 9223372036854775807)$$);
SELECT key, requests, errors FROM flag_stats WHERE key = 'TASK-1';

SELECT flag_stats_reset();
SELECT sum(requests) AS requests_after_reset FROM flag_stats;

-- every evaluation is counted, on and off; unknown keys apart
SELECT count(*) FILTER (WHERE flag_enabled('TASK-1', g::text)) AS users_on
  FROM generate_series(1, 1000) g;
SELECT flag_enabled('NOPE-1', 'u1') AS unknown_1, flag_enabled('NOPE-2', '{}'::jsonb) AS unknown_2;
SELECT key, evaluations, evaluations_on, evaluations_off FROM flag_stats WHERE key = 'TASK-1';
SELECT evaluations_off AS unknown_lookups FROM release.flag_counters() WHERE key IS NULL;

-- the default policy: > 5 % errors with >= 100 requests in 2 consecutive windows
CREATE TEMP TABLE clock (t0 timestamptz);
INSERT INTO clock VALUES (now());
SELECT release.guard_tick('1 minute', t0) AS actions FROM clock;   -- opens the windows
SELECT key, state, bad_windows FROM release.guard_state ORDER BY key;

-- window 1: TASK-1 8 % errors, TASK-2 2 %
SELECT flag_report('TASK-1', 1000, 80), flag_report('TASK-2', 1000, 20);
SELECT release.guard_tick('1 minute', t0 + interval '30 seconds') AS actions FROM clock;  -- window still open
SELECT release.guard_tick('1 minute', t0 + interval '61 seconds') AS actions FROM clock;
SELECT key, state, bad_windows, last_window_requests, last_window_errors,
       round(last_error_rate::numeric, 3) AS last_error_rate
  FROM release.guard_state ORDER BY key;
SELECT key, status, rollout FROM flag_list WHERE key IN ('TASK-1', 'TASK-2') ORDER BY key;

-- window 2: TASK-1 fails again and is rolled back; TASK-2 stays
SELECT flag_report('TASK-1', 1000, 80), flag_report('TASK-2', 1000, 20);
SELECT release.guard_tick('1 minute', t0 + interval '122 seconds') AS actions FROM clock;
SELECT key, state, bad_windows, reason FROM release.guard_state ORDER BY key;
SELECT key, status, rollout FROM flag_list WHERE key IN ('TASK-1', 'TASK-2') ORDER BY key;
SELECT flag_enabled('TASK-1', '2') AS user_2_after_rollback;

-- the alert is stored (and was sent with NOTIFY pg_release_alerts)
SELECT flag_key, action, payload->>'flag' AS flag, payload->>'action' AS payload_action,
       round((payload->>'error_rate')::numeric, 3) AS error_rate, payload->>'threshold' AS threshold,
       payload->>'requests' AS requests, payload->>'windows' AS windows, payload ? 'time' AS has_time,
       delivered_at IS NULL AS undelivered
  FROM release.alerts ORDER BY id;

-- minute history adds up to what was reported
SELECT key, sum(requests) AS requests, sum(errors) AS errors
  FROM release.flag_minutes GROUP BY key ORDER BY key;

-- too few requests: the window stays open, no verdict yet, whatever the rate
SELECT flag_set_rollout('TASK-2', 20);
SELECT flag_report('TASK-2', 50, 40);
SELECT release.guard_tick('1 minute', t0 + interval '183 seconds') AS actions FROM clock;
SELECT key, state, bad_windows, last_window_requests,
       window_start = (SELECT t0 FROM clock) + interval '122 seconds' AS window_still_open
  FROM release.guard_state WHERE key = 'TASK-2';

-- a per-flag policy: 1 window, 30 % threshold
SELECT flag_guard('TASK-2', 0.3, 10, 1);
SELECT flag_report('TASK-2', 50, 40);
SELECT release.guard_tick('1 minute', t0 + interval '244 seconds') AS actions FROM clock;
SELECT key, state, rollout FROM release.guard_state JOIN flag_list USING (key) WHERE key = 'TASK-2';

-- bad policies are refused
SELECT pg_temp.try($$SELECT flag_guard('TASK-2', 0, 10, 1)$$);
SELECT pg_temp.try($$SELECT flag_guard('TASK-2', 1.5, 10, 1)$$);
SELECT pg_temp.try($$SELECT flag_guard('TASK-2', 0.1, 0, 1)$$);
SELECT pg_temp.try($$SELECT flag_guard('TASK-2', 0.1, 10, 0)$$);
SELECT pg_temp.try($$SELECT flag_guard('NOPE', 0.1, 10, 1)$$);

-- a ramp: the first step now, then one step per interval while healthy
SELECT flag_ramp('TASK-3', '{1,5,25}', '1 minute');
SELECT key, status, rollout FROM flag_list WHERE key = 'TASK-3';
SELECT steps, step, state FROM release.ramps WHERE key = 'TASK-3';
SELECT release.guard_tick('1 minute', now() + interval '30 seconds') AS actions;  -- not due yet
SELECT release.guard_tick('1 minute', now() + interval '61 seconds') AS actions;
SELECT key, rollout FROM flag_list WHERE key = 'TASK-3';
SELECT release.guard_tick('1 minute', now() + interval '200 seconds') AS actions;
SELECT key, rollout FROM flag_list WHERE key = 'TASK-3';
SELECT steps, step, state, next_at IS NULL AS finished FROM release.ramps WHERE key = 'TASK-3';

-- a ramp stops when its canary is rolled back
SELECT flag_ramp('TASK-3', '{10,50,100}', '1 hour');
SELECT flag_guard('TASK-3', 0.05, 100, 1);
SELECT release.guard_tick('1 minute', now() + interval '300 seconds');
SELECT flag_report('TASK-3', 1000, 500);
SELECT release.guard_tick('1 minute', now() + interval '361 seconds') AS actions;
SELECT state, reason IS NOT NULL AS has_reason FROM release.ramps WHERE key = 'TASK-3';
SELECT key, rollout FROM flag_list WHERE key = 'TASK-3';
SELECT release.guard_tick('1 minute', now() + interval '2 hours') AS actions;
SELECT key, rollout FROM flag_list WHERE key = 'TASK-3';

-- the kill switch wins over a running ramp, and so does a manual rollout
SELECT flag_ramp('TASK-3', '{5,50,100}', '1 minute');
SELECT flag_disable('TASK-3');
SELECT release.guard_tick('1 minute', now() + interval '3 hours') AS actions;
SELECT key, status, rollout FROM flag_list WHERE key = 'TASK-3';
SELECT state, reason FROM release.ramps WHERE key = 'TASK-3';
SELECT flag_ramp('TASK-3', '{5,50,100}', '1 minute');
SELECT flag_set_rollout('TASK-3', 20);
SELECT release.guard_tick('1 minute', now() + interval '4 hours') AS actions;
SELECT key, rollout FROM flag_list WHERE key = 'TASK-3';
SELECT state FROM release.ramps WHERE key = 'TASK-3';

-- two passes in one transaction are fine
BEGIN;
SELECT release.guard_tick('1 minute', now() + interval '5 hours') AS first,
       release.guard_tick('1 minute', now() + interval '5 hours 1 second') AS second;
COMMIT;

-- bad ramps are refused
SELECT pg_temp.try($$SELECT flag_ramp('TASK-3', '{}', '1 minute')$$);
SELECT pg_temp.try($$SELECT flag_ramp('TASK-3', '{5,5}', '1 minute')$$);
SELECT pg_temp.try($$SELECT flag_ramp('TASK-3', '{0,10}', '1 minute')$$);
SELECT pg_temp.try($$SELECT flag_ramp('TASK-3', '{10,101}', '1 minute')$$);
SELECT pg_temp.try($$SELECT flag_ramp('TASK-3', '{10,20}', '0 seconds')$$);
SELECT pg_temp.try($$SELECT flag_ramp('NOPE', '{10,20}', '1 minute')$$);

-- a schedule is applied once it is due
SELECT flag_schedule('TASK-4', now() + interval '1 hour', 50) > 0 AS scheduled;
SELECT release.guard_tick('1 minute', now() + interval '59 minutes') AS actions;
SELECT key, status, rollout FROM flag_list WHERE key = 'TASK-4';
SELECT release.guard_tick('1 minute', now() + interval '61 minutes') AS actions;
SELECT key, status, rollout FROM flag_list WHERE key = 'TASK-4';
SELECT percent, result FROM release.schedules;
-- a schedule made before the kill switch was used does not undo it
SELECT flag_schedule('TASK-4', now() + interval '2 hours', 100) > 0 AS scheduled;
SELECT flag_disable('TASK-4');
SELECT release.guard_tick('1 minute', now() + interval '3 hours') AS actions;
SELECT key, status, rollout FROM flag_list WHERE key = 'TASK-4';
SELECT percent, result FROM release.schedules ORDER BY id;
SELECT action, payload->>'reason' AS reason FROM release.alerts WHERE flag_key IN ('TASK-3', 'TASK-4') ORDER BY id;
SELECT pg_temp.try($$SELECT flag_schedule('TASK-4', NULL, 50)$$);
SELECT pg_temp.try($$SELECT flag_schedule('TASK-4', now(), 101)$$);
SELECT pg_temp.try($$SELECT flag_schedule('NOPE', now(), 10)$$);

-- policies, ramps and schedules are audited like flags
SELECT action, target, flag_key, count(*)
  FROM release.audit_log WHERE target IN ('guard_policies', 'ramps', 'schedules')
 GROUP BY action, target, flag_key ORDER BY target, flag_key, action;
SELECT intact, broken_id FROM flag_audit_verify();

-- a rollback to 0 % also cancels what was scheduled before it
SELECT flag_create('TASK-6');
SELECT flag_set_rollout('TASK-6', 10);
SELECT flag_schedule('TASK-6', now() + interval '1 hour', 50) > 0 AS scheduled;
SELECT flag_set_rollout('TASK-6', 0, 'guard: error rate too high');
SELECT release.guard_tick('1 minute', now() + interval '2 hours') AS actions;
SELECT key, status, rollout FROM flag_list WHERE key = 'TASK-6';
SELECT result FROM release.schedules WHERE key = 'TASK-6';

-- four eyes hold for what the guard carries out: the person who scheduled
-- a regulated flag cannot be its approver, even holding both roles
CREATE ROLE regress_alice IN ROLE release_operator, release_approver;
SET SESSION AUTHORIZATION regress_alice;
SELECT flag_create('REG-1', 'regulated', regulated => true);
SELECT flag_approve('REG-1', 'approving my own change');
SELECT pg_temp.try($$SELECT flag_enable('REG-1')$$);
SELECT flag_schedule('REG-1', now() + interval '1 hour', 100) > 0 AS scheduled;
RESET SESSION AUTHORIZATION;
SELECT release.guard_tick('1 minute', now() + interval '2 hours') AS actions;
SELECT key, status, rollout FROM flag_list WHERE key = 'REG-1';
SELECT result LIKE 'failed: feature flag "REG-1" is regulated and has no valid approval%' AS refused
  FROM release.schedules WHERE key = 'REG-1';
DROP OWNED BY regress_alice;
DROP ROLE regress_alice;

-- privileges: applications report, operators steer, nobody else ticks
CREATE ROLE regress_guard_app IN ROLE release_reporter;
CREATE ROLE regress_guard_other;
SET ROLE regress_guard_other;
SELECT pg_temp.try($$SELECT flag_report('TASK-4', 10, 0)$$);
RESET ROLE;
SET ROLE regress_guard_app;
SELECT flag_report('TASK-4', 10, 0) AS app_can_report;
SELECT pg_temp.try($$SELECT flag_guard('TASK-4', 0.1, 10, 1)$$);
SELECT pg_temp.try($$SELECT release.guard_tick()$$);
SELECT pg_temp.try($$SELECT * FROM flag_stats$$);
RESET ROLE;
DROP ROLE regress_guard_app;
DROP ROLE regress_guard_other;

DROP EXTENSION pg_release;
