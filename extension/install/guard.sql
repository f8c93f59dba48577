/*
 * install/guard.sql — counters, the canary guard, ramps, schedules, alerts.
 *
 * The counters live in shared memory (stats.c; needs shared_preload_libraries).
 * The guard worker (guard.c) calls release.guard_tick() every
 * pg_release.guard_interval; all policy is in that function, so rollbacks are
 * ordinary audited UPDATEs and the logic can be tested without the worker.
 */

-- Outcome reports steer rollbacks, so reporting is a privilege: applications
-- get it with GRANT release_reporter TO app_role.
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'release_reporter') THEN
		CREATE ROLE release_reporter NOLOGIN;
	END IF;
END
$roles$;

-- ---------------------------------------------------------------------------
-- Counters (C, shared memory)
-- ---------------------------------------------------------------------------

CREATE FUNCTION flag_report(key text, requests bigint, errors bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flag_report_counts'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION flag_report(text, bigint, bigint) IS 'report a batch of request outcomes for a flag; false for unknown keys';

CREATE FUNCTION flag_report(key text, ok boolean)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flag_report_event'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION flag_report(text, boolean) IS 'report one request outcome for a flag; false for unknown keys';

CREATE FUNCTION release.flag_counters(OUT key text, OUT evaluations_on bigint,
									  OUT evaluations_off bigint, OUT requests bigint,
									  OUT errors bigint, OUT reset_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'flag_counters'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION release.flag_counters() IS 'raw shared-memory counters; the NULL-key row holds unknown-key lookups (evaluations_off) and untracked counts (errors)';

CREATE FUNCTION flag_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'flag_counters_reset'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION flag_stats_reset() IS 'zero every shared-memory counter of this server';

-- ---------------------------------------------------------------------------
-- Guard state and history
-- ---------------------------------------------------------------------------

CREATE TABLE release.guard_policies (
	key			text PRIMARY KEY REFERENCES release.flags (key) ON DELETE CASCADE,
	max_error_rate real NOT NULL CHECK (max_error_rate > 0 AND max_error_rate < 1),
	min_requests integer NOT NULL CHECK (min_requests >= 1),
	windows		integer NOT NULL CHECK (windows >= 1),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	updated_by	name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE release.guard_policies IS 'per-flag guard policy; flags without a row use 5 %, 100 requests, 2 windows';

CREATE TABLE release.guard_state (
	key			text PRIMARY KEY REFERENCES release.flags (key) ON DELETE CASCADE,
	state		text NOT NULL DEFAULT 'healthy'
				CHECK (state IN ('healthy', 'failing', 'rolled_back')),
	window_start timestamptz NOT NULL,
	window_requests bigint NOT NULL,	-- counters when the window started
	window_errors bigint NOT NULL,
	counters_reset_at timestamptz,
	bad_windows	integer NOT NULL DEFAULT 0,
	last_window_requests bigint,
	last_window_errors bigint,
	last_error_rate double precision,
	rolled_back_at timestamptz,
	reason		text,
	last_seen_at timestamptz		-- last pass that saw the flag as a canary
);
COMMENT ON TABLE release.guard_state IS 'the guard''s view of each canary: current window and consecutive bad windows';

CREATE TABLE release.guard_runs (
	id			integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	last_tick_at timestamptz NOT NULL
);
COMMENT ON TABLE release.guard_runs IS 'when the guard last completed a pass (one row)';

CREATE TABLE release.counter_marks (
	key			text PRIMARY KEY,
	at			timestamptz NOT NULL,
	reset_at	timestamptz,
	evaluations_on bigint NOT NULL,
	evaluations_off bigint NOT NULL,
	requests	bigint NOT NULL,
	errors		bigint NOT NULL
);
COMMENT ON TABLE release.counter_marks IS 'counters as last seen by the guard, to turn them into minute deltas';

CREATE TABLE release.flag_minutes (
	key			text NOT NULL,
	minute		timestamptz NOT NULL,
	evaluations_on bigint NOT NULL DEFAULT 0,
	evaluations_off bigint NOT NULL DEFAULT 0,
	requests	bigint NOT NULL DEFAULT 0,
	errors		bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (key, minute)
);
CREATE INDEX flag_minutes_minute ON release.flag_minutes (minute);
COMMENT ON TABLE release.flag_minutes IS 'per-minute evaluation and outcome counts, kept 30 days (history, charts)';

CREATE TABLE release.alerts (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	created_at	timestamptz NOT NULL DEFAULT now(),
	flag_key	text NOT NULL,
	action		text NOT NULL,
	payload		jsonb NOT NULL,
	delivered_at timestamptz,
	attempts	integer NOT NULL DEFAULT 0,
	last_error	text
);
CREATE INDEX alerts_undelivered ON release.alerts (id) WHERE delivered_at IS NULL;
COMMENT ON TABLE release.alerts IS 'guard alerts; also sent with NOTIFY pg_release_alerts; delivered at least once by gatekeeper alerts';

CREATE TABLE release.ramps (
	key			text PRIMARY KEY REFERENCES release.flags (key) ON DELETE CASCADE,
	steps		integer[] NOT NULL,
	every		interval NOT NULL,
	step		integer NOT NULL,		-- 1-based index of the step in force
	next_at		timestamptz,
	state		text NOT NULL CHECK (state IN ('running', 'done', 'stopped')),
	reason		text,
	started_at	timestamptz NOT NULL DEFAULT now(),
	started_by	name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE release.ramps IS 'progressive rollouts advanced by the guard while the canary is healthy';

CREATE TABLE release.schedules (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	key			text NOT NULL REFERENCES release.flags (key) ON DELETE CASCADE,
	at			timestamptz NOT NULL,
	percent		integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
	created_at	timestamptz NOT NULL DEFAULT now(),
	created_by	name NOT NULL DEFAULT session_user,
	done_at		timestamptz,
	result		text
);
CREATE INDEX schedules_due ON release.schedules (at) WHERE done_at IS NULL;
COMMENT ON TABLE release.schedules IS 'scheduled rollout changes applied by the guard';

SELECT pg_catalog.pg_extension_config_dump('release.guard_policies', '');
SELECT pg_catalog.pg_extension_config_dump('release.ramps', '');
SELECT pg_catalog.pg_extension_config_dump('release.schedules', '');
SELECT pg_catalog.pg_extension_config_dump('release.alerts', '');
-- their identity sequences too, or a restored database would reuse ids
SELECT pg_catalog.pg_extension_config_dump('release.schedules_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('release.alerts_id_seq', '');

/*
 * Wilson score lower bound of an error rate (one-sided 95 %).  A window is
 * bad only when even this bound exceeds the threshold: a healthy canary with
 * a few unlucky requests does not trip the guard (docs/guard.md).
 */
CREATE FUNCTION release.error_rate_lower_bound(errors bigint, requests bigint)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN requests <= 0 THEN 0 ELSE
		(p + z * z / (2 * n) - z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
	END
	FROM (SELECT errors::double precision / nullif(requests, 0) AS p,
				 requests::double precision AS n, 1.6449 AS z) s
$$;
COMMENT ON FUNCTION release.error_rate_lower_bound(bigint, bigint) IS 'one-sided 95 % Wilson lower bound of errors/requests';

-- Record an alert and tell listeners (the NOTIFY is sent at commit).
CREATE FUNCTION release.raise_alert(flag_key text, action text, details jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	alert_id bigint;
	payload jsonb;
BEGIN
	payload := jsonb_build_object('flag', flag_key, 'action', action,
								  'time', now()) || coalesce(details, '{}');
	INSERT INTO release.alerts (flag_key, action, payload)
	VALUES (raise_alert.flag_key, raise_alert.action, payload)
	RETURNING id INTO alert_id;
	PERFORM pg_notify('pg_release_alerts', (payload || jsonb_build_object('id', alert_id))::text);
END
$$;
COMMENT ON FUNCTION release.raise_alert(text, text, jsonb) IS 'store an alert in release.alerts and NOTIFY pg_release_alerts (at commit)';

/*
 * One guard pass (called by the worker; callable by hand, with an explicit
 * time for tests).
 * 1. Fold counter deltas into per-minute history.
 * 2. For every canary (enabled, rollout 1..99 %) close the error-rate window
 *    when it is over; roll back after `windows` consecutive bad windows.
 * 3. Advance healthy ramps; 4. apply due schedules.
 */
CREATE FUNCTION release.guard_tick(window_length interval DEFAULT '1 minute',
								   as_of timestamptz DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	now_ts timestamptz := coalesce(as_of, clock_timestamp());
	f record;
	r record;
	s record;
	d_requests bigint;
	d_errors bigint;
	rate double precision;
	bad boolean;
	actions integer := 0;
	rollback_reason text;
	counters_reset timestamptz;
	prev_tick timestamptz;
BEGIN
	PERFORM set_config('lock_timeout', '5s', true);
	IF window_length IS NULL OR window_length <= interval '0' THEN
		RAISE EXCEPTION 'guard window must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;

	IF to_regclass('pg_temp.pg_release_guard_counters') IS NULL THEN
		CREATE TEMP TABLE pg_release_guard_counters
			(LIKE release.counter_marks) ON COMMIT DELETE ROWS;
		ALTER TABLE pg_release_guard_counters ALTER COLUMN key DROP NOT NULL;
	END IF;
	DELETE FROM pg_release_guard_counters;	-- a second pass in one transaction
	SELECT last_tick_at INTO prev_tick FROM release.guard_runs;
	-- one snapshot of the counters; flags without an entry yet count zero
	-- since the same (server-wide) reset time
	INSERT INTO pg_release_guard_counters
	SELECT c.key, now_ts, c.reset_at, c.evaluations_on, c.evaluations_off, c.requests, c.errors
	  FROM release.flag_counters() c;
	SELECT k.reset_at INTO counters_reset FROM pg_release_guard_counters k WHERE k.key IS NULL;
	DELETE FROM pg_release_guard_counters k WHERE k.key IS NULL;

	-- 1. history: deltas since the last pass (all of it after a reset)
	INSERT INTO release.flag_minutes AS m (key, minute, evaluations_on, evaluations_off, requests, errors)
	SELECT c.key, date_trunc('minute', now_ts),
		   c.evaluations_on - CASE WHEN fresh THEN 0 ELSE k.evaluations_on END,
		   c.evaluations_off - CASE WHEN fresh THEN 0 ELSE k.evaluations_off END,
		   c.requests - CASE WHEN fresh THEN 0 ELSE k.requests END,
		   c.errors - CASE WHEN fresh THEN 0 ELSE k.errors END
	  FROM pg_release_guard_counters c
	  LEFT JOIN release.counter_marks k ON k.key = c.key
	 CROSS JOIN LATERAL (SELECT k.key IS NULL OR k.reset_at IS DISTINCT FROM c.reset_at
								OR c.requests < k.requests OR c.evaluations_on < k.evaluations_on
								OR c.evaluations_off < k.evaluations_off AS fresh) x
	 WHERE c.evaluations_on::numeric + c.evaluations_off + c.requests + c.errors
		   <> coalesce(CASE WHEN fresh THEN 0 ELSE k.evaluations_on::numeric + k.evaluations_off + k.requests + k.errors END, 0)
	ON CONFLICT (key, minute) DO UPDATE
	   SET evaluations_on = m.evaluations_on + EXCLUDED.evaluations_on,
		   evaluations_off = m.evaluations_off + EXCLUDED.evaluations_off,
		   requests = m.requests + EXCLUDED.requests,
		   errors = m.errors + EXCLUDED.errors;
	INSERT INTO release.counter_marks AS k SELECT * FROM pg_release_guard_counters
	ON CONFLICT (key) DO UPDATE
	   SET at = EXCLUDED.at, reset_at = EXCLUDED.reset_at,
		   evaluations_on = EXCLUDED.evaluations_on, evaluations_off = EXCLUDED.evaluations_off,
		   requests = EXCLUDED.requests, errors = EXCLUDED.errors;
	DELETE FROM release.flag_minutes WHERE minute < now_ts - interval '30 days';

	-- 2. canaries
	FOR f IN
		SELECT fl.key,
			   coalesce(p.max_error_rate, 0.05) AS max_error_rate,
			   coalesce(p.min_requests, 100) AS min_requests,
			   coalesce(p.windows, 2) AS windows,
			   coalesce(c.requests, 0) AS requests, coalesce(c.errors, 0) AS errors,
			   counters_reset AS reset_at,
			   g.key IS NOT NULL AS has_state, g.window_start, g.window_requests,
			   g.window_errors, g.counters_reset_at, g.bad_windows, g.state, g.last_seen_at
		  FROM release.flags fl
		  LEFT JOIN release.guard_policies p ON p.key = fl.key
		  LEFT JOIN pg_release_guard_counters c ON c.key = fl.key
		  LEFT JOIN release.guard_state g ON g.key = fl.key
		 WHERE release.reach(fl.enabled, fl.archived_at, fl.strategies) BETWEEN 1 AND 99
		 ORDER BY fl.key
	LOOP
		IF NOT f.has_state OR f.last_seen_at IS NULL OR prev_tick IS NULL
		   OR f.last_seen_at < prev_tick
		   OR f.counters_reset_at IS DISTINCT FROM f.reset_at THEN
			/*
			 * First sight, or the previous pass did not watch this flag as a
			 * canary, or the counters were reset: start a fresh window.
			 */
			INSERT INTO release.guard_state AS g (key, state, window_start, window_requests,
												  window_errors, counters_reset_at, bad_windows,
												  last_seen_at)
			VALUES (f.key, 'healthy', now_ts, f.requests, f.errors, f.reset_at, 0, now_ts)
			ON CONFLICT (key) DO UPDATE
			   SET state = CASE WHEN g.state = 'rolled_back' THEN 'healthy' ELSE g.state END,
				   window_start = EXCLUDED.window_start, window_requests = EXCLUDED.window_requests,
				   window_errors = EXCLUDED.window_errors,
				   counters_reset_at = EXCLUDED.counters_reset_at, bad_windows = 0,
				   last_seen_at = EXCLUDED.last_seen_at;
			CONTINUE;
		END IF;
		/*
		 * A window closes once it is long enough and has enough requests
		 * to judge: a low-traffic canary is judged over a longer window,
		 * never waved through for lack of data.
		 */
		IF now_ts - f.window_start < window_length
		   OR f.requests - f.window_requests < f.min_requests THEN
			UPDATE release.guard_state SET last_seen_at = now_ts WHERE key = f.key;
			CONTINUE;			-- window still open
		END IF;

		d_requests := f.requests - f.window_requests;
		d_errors := f.errors - f.window_errors;
		rate := d_errors::double precision / nullif(d_requests, 0);
		bad := d_requests >= f.min_requests AND rate > f.max_error_rate
			   AND release.error_rate_lower_bound(d_errors, d_requests) > f.max_error_rate;

		UPDATE release.guard_state
		   SET window_start = now_ts, window_requests = f.requests, window_errors = f.errors,
			   bad_windows = CASE WHEN bad THEN f.bad_windows + 1 ELSE 0 END,
			   state = CASE WHEN bad THEN 'failing' ELSE 'healthy' END,
			   last_window_requests = d_requests, last_window_errors = d_errors,
			   last_error_rate = rate, last_seen_at = now_ts
		 WHERE key = f.key;

		IF bad AND f.bad_windows + 1 >= f.windows THEN
			rollback_reason := format('guard: error rate %s%% over %s requests in %s consecutive window(s) of %s exceeds %s%%',
							 round((100 * rate)::numeric, 2), d_requests, f.windows,
							 window_length, round((100 * f.max_error_rate)::numeric, 2));
			BEGIN
				PERFORM @extschema@.flag_set_rollout(f.key, 0, rollback_reason);
				UPDATE release.guard_state
				   SET state = 'rolled_back', rolled_back_at = now_ts, reason = rollback_reason,
					   bad_windows = 0
				 WHERE key = f.key;
				UPDATE release.ramps SET state = 'stopped', next_at = NULL, reason = rollback_reason
				 WHERE key = f.key AND state = 'running';
				PERFORM release.raise_alert(f.key, 'rolled_back', jsonb_build_object(
					'error_rate', rate, 'threshold', f.max_error_rate, 'requests', d_requests,
					'errors', d_errors, 'windows', f.windows,
					'window_seconds', extract(epoch FROM window_length), 'reason', rollback_reason));
			EXCEPTION WHEN OTHERS THEN
				-- e.g. the row is locked by an operator: alert, retry next pass
				PERFORM release.raise_alert(f.key, 'rollback_failed', jsonb_build_object(
					'error_rate', rate, 'threshold', f.max_error_rate, 'requests', d_requests,
					'reason', rollback_reason || '; the rollback failed: ' || SQLERRM));
			END;
			actions := actions + 1;
		END IF;
	END LOOP;

	-- 3. ramps: advance when due and the canary is not failing
	FOR r IN
		SELECT rp.*, g.state AS guard_state,
			   release.reach(fl.enabled, fl.archived_at, fl.strategies) IS NOT DISTINCT FROM rp.steps[rp.step]
			   AS as_left
		  FROM release.ramps rp
		  JOIN release.flags fl ON fl.key = rp.key
		  LEFT JOIN release.guard_state g ON g.key = rp.key
		 WHERE rp.state = 'running' AND rp.next_at <= now_ts
		 ORDER BY rp.key
	LOOP
		IF NOT r.as_left THEN
			-- switched off, archived or set by hand: the ramp must not undo that
			UPDATE release.ramps
			   SET state = 'stopped', next_at = NULL,
				   reason = 'the flag was changed outside the ramp'
			 WHERE key = r.key;
			PERFORM release.raise_alert(r.key, 'ramp_stopped',
										jsonb_build_object('reason', 'the flag was changed outside the ramp'));
			actions := actions + 1;
			CONTINUE;
		END IF;
		IF r.guard_state = 'failing' THEN
			CONTINUE;			-- wait: the next healthy window decides
		END IF;
		BEGIN
			/* four eyes count the person who started the ramp, not the guard */
			PERFORM set_config('pg_release.on_behalf_of', r.started_by, true);
			PERFORM @extschema@.flag_set_rollout(r.key, r.steps[r.step + 1],
				format('guard: ramp step %s of %s to %s%%', r.step + 1,
					   cardinality(r.steps), r.steps[r.step + 1]));
			UPDATE release.ramps
			   SET step = r.step + 1,
				   state = CASE WHEN r.step + 1 >= cardinality(r.steps) THEN 'done' ELSE 'running' END,
				   next_at = CASE WHEN r.step + 1 >= cardinality(r.steps) THEN NULL ELSE now_ts + r.every END
			 WHERE key = r.key;
		EXCEPTION WHEN OTHERS THEN
			UPDATE release.ramps SET state = 'stopped', next_at = NULL, reason = SQLERRM
			 WHERE key = r.key;
			PERFORM release.raise_alert(r.key, 'ramp_stopped', jsonb_build_object('reason', SQLERRM));
		END;
		PERFORM set_config('pg_release.on_behalf_of', '', true);
		actions := actions + 1;
	END LOOP;

	-- 4. schedules
	FOR s IN
		SELECT sc.*,
			   EXISTS (SELECT 1 FROM release.audit_log a
						WHERE a.flag_key = sc.key AND a.target = 'flags'
						  AND a.logged_at > sc.created_at
						  AND release.state_reach(a.new_state) = 0
						  AND release.state_reach(a.old_state) IS DISTINCT FROM 0) AS killed
		  FROM release.schedules sc
		 WHERE sc.done_at IS NULL AND sc.at <= now_ts ORDER BY sc.at, sc.id
	LOOP
		IF s.killed THEN
			-- switched off or rolled back after this was scheduled: that wins
			UPDATE release.schedules
			   SET done_at = now_ts, result = 'skipped: the flag was switched off or rolled back after it was scheduled'
			 WHERE id = s.id;
			PERFORM release.raise_alert(s.key, 'schedule_skipped', jsonb_build_object(
				'schedule', s.id, 'reason', 'the flag was switched off or rolled back after it was scheduled'));
			actions := actions + 1;
			CONTINUE;
		END IF;
		BEGIN
			PERFORM set_config('pg_release.on_behalf_of', s.created_by, true);
			PERFORM @extschema@.flag_set_rollout(s.key, s.percent,
				format('guard: schedule %s by %s: rollout %s%%', s.id, s.created_by, s.percent));
			UPDATE release.schedules SET done_at = now_ts, result = 'applied' WHERE id = s.id;
		EXCEPTION WHEN OTHERS THEN
			UPDATE release.schedules SET done_at = now_ts, result = 'failed: ' || SQLERRM WHERE id = s.id;
			PERFORM release.raise_alert(s.key, 'schedule_failed',
										jsonb_build_object('schedule', s.id, 'reason', SQLERRM));
		END;
		PERFORM set_config('pg_release.on_behalf_of', '', true);
		actions := actions + 1;
	END LOOP;

	INSERT INTO release.guard_runs AS gr (id, last_tick_at) VALUES (1, now_ts)
	ON CONFLICT (id) DO UPDATE SET last_tick_at = EXCLUDED.last_tick_at;
	RETURN actions;
END
$$;
COMMENT ON FUNCTION release.guard_tick(interval, timestamptz) IS 'one pass of the guard (as_of = now unless given, for tests): history, canary rollbacks, ramps, schedules; returns the number of actions';

-- ---------------------------------------------------------------------------
-- Management (release_operator)
-- ---------------------------------------------------------------------------

CREATE FUNCTION flag_guard(key text, max_error_rate real, min_requests integer, windows integer)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
BEGIN
	IF max_error_rate IS NULL OR max_error_rate <= 0 OR max_error_rate >= 1 THEN
		RAISE EXCEPTION 'max_error_rate must be between 0 and 1 (exclusive)'
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Use 0.05 for 5 %.';
	END IF;
	IF min_requests IS NULL OR min_requests < 1 THEN
		RAISE EXCEPTION 'min_requests must be at least 1' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF windows IS NULL OR windows < 1 THEN
		RAISE EXCEPTION 'windows must be at least 1' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM release.lock_flags(ARRAY[flag_guard.key], false);
	INSERT INTO release.guard_policies AS p (key, max_error_rate, min_requests, windows)
	VALUES (flag_guard.key, flag_guard.max_error_rate, flag_guard.min_requests, flag_guard.windows)
	ON CONFLICT ON CONSTRAINT guard_policies_pkey DO UPDATE
	   SET max_error_rate = EXCLUDED.max_error_rate, min_requests = EXCLUDED.min_requests,
		   windows = EXCLUDED.windows, updated_at = now(), updated_by = session_user;
END
$$;
COMMENT ON FUNCTION flag_guard(text, real, integer, integer) IS 'set the guard policy of a flag (default: 0.05, 100 requests, 2 windows)';

CREATE FUNCTION flag_ramp(key text, steps integer[], every interval)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	i integer;
BEGIN
	IF steps IS NULL OR cardinality(steps) = 0 THEN
		RAISE EXCEPTION 'a ramp needs at least one step' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'For example flag_ramp(''TASK-1'', ''{1,5,25,50,100}'', ''10 minutes'').';
	END IF;
	FOR i IN 1 .. cardinality(steps) LOOP
		IF steps[i] IS NULL OR steps[i] < 1 OR steps[i] > 100
		   OR (i > 1 AND steps[i] <= steps[i - 1]) THEN
			RAISE EXCEPTION 'ramp steps must be increasing percentages between 1 and 100'
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = format('Got %s.', steps);
		END IF;
	END LOOP;
	IF every IS NULL OR every <= interval '0' THEN
		RAISE EXCEPTION 'ramp interval must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- the first step goes out now, through the same checks as any rollout
	PERFORM @extschema@.flag_set_rollout(flag_ramp.key, steps[1]);
	INSERT INTO release.ramps AS r (key, steps, every, step, next_at, state)
	VALUES (flag_ramp.key, flag_ramp.steps, flag_ramp.every, 1,
			CASE WHEN cardinality(steps) > 1 THEN now() + every END,
			CASE WHEN cardinality(steps) > 1 THEN 'running' ELSE 'done' END)
	ON CONFLICT ON CONSTRAINT ramps_pkey DO UPDATE
	   SET steps = EXCLUDED.steps, every = EXCLUDED.every, step = 1, next_at = EXCLUDED.next_at,
		   state = EXCLUDED.state, reason = NULL, started_at = now(), started_by = session_user;
END
$$;
COMMENT ON FUNCTION flag_ramp(text, integer[], interval) IS 'progressive delivery: roll out step by step while the guard is healthy';

CREATE FUNCTION flag_schedule(key text, at timestamptz, percent integer)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	schedule_id bigint;
BEGIN
	IF at IS NULL THEN
		RAISE EXCEPTION 'schedule time must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF percent IS NULL OR percent < 0 OR percent > 100 THEN
		RAISE EXCEPTION 'rollout percentage must be between 0 and 100'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Got %s.', coalesce(percent::text, 'NULL'));
	END IF;
	PERFORM release.lock_flags(ARRAY[flag_schedule.key], true);
	INSERT INTO release.schedules (key, at, percent)
	VALUES (flag_schedule.key, flag_schedule.at, flag_schedule.percent)
	RETURNING id INTO schedule_id;
	RETURN schedule_id;
END
$$;
COMMENT ON FUNCTION flag_schedule(text, timestamptz, integer) IS 'schedule a rollout change; the guard applies it at the given time (approvals honoured)';

-- ---------------------------------------------------------------------------
-- For dashboards and scrapers
-- ---------------------------------------------------------------------------

CREATE VIEW flag_stats AS
SELECT f.key,
	   coalesce(c.evaluations_on + c.evaluations_off, 0) AS evaluations,
	   coalesce(c.evaluations_on, 0) AS evaluations_on,
	   coalesce(c.evaluations_off, 0) AS evaluations_off,
	   coalesce(c.requests, 0) AS requests,
	   coalesce(c.errors, 0) AS errors,
	   CASE WHEN g.counters_reset_at IS NOT DISTINCT FROM c.reset_at
				 AND c.requests > g.window_requests
			THEN (c.errors - g.window_errors)::double precision / (c.requests - g.window_requests)
	   END AS window_error_rate,
	   g.last_error_rate,
	   coalesce(g.state, 'healthy') AS guard_state,
	   coalesce(g.bad_windows, 0) AS bad_windows,
	   c.reset_at AS counters_since
  FROM release.flags f
  LEFT JOIN release.flag_counters() c ON c.key = f.key
  LEFT JOIN release.guard_state g ON g.key = f.key
 WHERE f.archived_at IS NULL;
COMMENT ON VIEW flag_stats IS 'per-flag counters of this server (evaluations, outcomes), current-window error rate and guard state';

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------

REVOKE ALL ON FUNCTION flag_report(text, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_report(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION flag_report(text, bigint, bigint) TO release_reporter;
GRANT EXECUTE ON FUNCTION flag_report(text, boolean) TO release_reporter;
REVOKE ALL ON FUNCTION release.flag_counters() FROM PUBLIC;
REVOKE ALL ON FUNCTION release.guard_tick(interval, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.raise_alert(text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_stats_reset() FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_guard(text, real, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_ramp(text, integer[], interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_schedule(text, timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release.flag_counters() TO release_reader;
GRANT EXECUTE ON FUNCTION flag_stats_reset() TO release_operator;
GRANT EXECUTE ON FUNCTION flag_guard(text, real, integer, integer) TO release_operator;
GRANT EXECUTE ON FUNCTION flag_ramp(text, integer[], interval) TO release_operator;
GRANT EXECUTE ON FUNCTION flag_schedule(text, timestamptz, integer) TO release_operator;
GRANT SELECT ON flag_stats TO release_reader;
GRANT SELECT ON release.guard_policies, release.guard_state, release.flag_minutes,
	release.alerts, release.ramps, release.schedules TO release_reader;
-- Policies, ramps and schedules are flag data: audited like flags (the
-- guard's own bookkeeping in guard_state, counter_marks and flag_minutes is not).
CREATE TRIGGER guard_policies_audit
	AFTER INSERT OR UPDATE OR DELETE ON release.guard_policies
	FOR EACH ROW EXECUTE FUNCTION release.audit_row();
CREATE TRIGGER ramps_audit
	AFTER INSERT OR UPDATE OR DELETE ON release.ramps
	FOR EACH ROW EXECUTE FUNCTION release.audit_row();
CREATE TRIGGER schedules_audit
	AFTER INSERT OR UPDATE OR DELETE ON release.schedules
	FOR EACH ROW EXECUTE FUNCTION release.audit_row();
CREATE TRIGGER guard_policies_audit_truncate
	BEFORE TRUNCATE ON release.guard_policies
	FOR EACH STATEMENT EXECUTE FUNCTION release.audit_truncate();
CREATE TRIGGER ramps_audit_truncate
	BEFORE TRUNCATE ON release.ramps
	FOR EACH STATEMENT EXECUTE FUNCTION release.audit_truncate();
CREATE TRIGGER schedules_audit_truncate
	BEFORE TRUNCATE ON release.schedules
	FOR EACH STATEMENT EXECUTE FUNCTION release.audit_truncate();

-- gatekeeper alerts marks what it delivered
GRANT UPDATE (delivered_at, attempts, last_error) ON release.alerts TO release_operator;
