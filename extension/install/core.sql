\echo Use "CREATE EXTENSION pg_release" to load this file. \quit

/*
 * install/core.sql — the flag store, its management API and flag_enabled().
 *
 * Tables live in schema "release"; the API lives in the extension's schema,
 * so applications call flag_enabled(...) unqualified.  Management functions
 * are SECURITY DEFINER with a pinned search_path and are executable only by
 * the roles granted below.
 */

-- Roles are cluster-wide: create them only if missing, never drop them.
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'release_reader') THEN
		CREATE ROLE release_reader NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'release_operator') THEN
		CREATE ROLE release_operator NOLOGIN;
	END IF;
END
$roles$;
GRANT release_reader TO release_operator;

CREATE SCHEMA release;
COMMENT ON SCHEMA release IS 'pg_release: feature flag tables (use the API functions to change them)';

/*
 * Is this a valid flag key?  1 to 100 characters, no whitespace, control
 * characters, quotes, backslashes, semicolons or angle brackets: tracker
 * keys such as TASK-123 and Unleash's URL-friendly names (Unicode included).
 */
CREATE FUNCTION release.is_valid_key(key text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT key IS NOT NULL
	   AND pg_catalog.char_length(key) BETWEEN 1 AND 100
	   AND key !~ '[[:space:][:cntrl:]''"\\;`<>]'
$$;
COMMENT ON FUNCTION release.is_valid_key(text) IS 'true when the text is a valid feature flag key';

/*
 * The percentage of users a strategy list reaches, when it is a plain
 * on/rollout list; NULL for richer targeting.
 */
CREATE FUNCTION release.strategies_rollout(strategies jsonb)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN jsonb_typeof(strategies) IS DISTINCT FROM 'array' THEN NULL
		WHEN jsonb_array_length(strategies) = 0 THEN 100
		WHEN jsonb_array_length(strategies) > 1 THEN NULL
		WHEN coalesce(strategies->0->'constraints', '[]') <> '[]'
		  OR coalesce(strategies->0->'segments', '[]') <> '[]' THEN NULL
		WHEN strategies->0->>'name' = 'default' THEN 100
		WHEN strategies->0->>'name' = 'flexibleRollout'
		 AND coalesce(strategies->0->'parameters'->>'stickiness', 'default') IN ('default', 'userId')
		 AND strategies->0->'parameters'->>'rollout' ~ '^[0-9]{1,3}$'
			THEN least((strategies->0->'parameters'->>'rollout')::integer, 100)
		ELSE NULL
	END
$$;
COMMENT ON FUNCTION release.strategies_rollout(jsonb) IS 'percentage of users a plain on/rollout strategy list reaches; NULL for richer targeting';

/*
 * Percentage of users a flag state reaches: 0 when off or archived, 0..100
 * for a plain on/rollout list, NULL for richer targeting (some users).
 */
CREATE FUNCTION release.reach(enabled boolean, archived_at timestamptz, strategies jsonb)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN enabled IS NOT TRUE OR archived_at IS NOT NULL THEN 0
				ELSE release.strategies_rollout(strategies)
		   END
$$;
COMMENT ON FUNCTION release.reach(boolean, timestamptz, jsonb) IS 'percent of users a flag reaches: 0 off, 0..100 plain rollout, NULL targeted';

CREATE TABLE release.flags (
	key			text PRIMARY KEY
				CONSTRAINT flags_key_valid CHECK (release.is_valid_key(key)),
	description	text,
	branch		text,
	release		text,
	tracker_url	text,
	enabled		boolean NOT NULL DEFAULT false,
	strategies	jsonb NOT NULL DEFAULT '[]'
				CONSTRAINT flags_strategies_array CHECK (jsonb_typeof(strategies) = 'array'),
	variants	jsonb NOT NULL DEFAULT '[]'
				CONSTRAINT flags_variants_array CHECK (jsonb_typeof(variants) = 'array'),
	dependencies jsonb NOT NULL DEFAULT '[]'
				CONSTRAINT flags_dependencies_array CHECK (jsonb_typeof(dependencies) = 'array'),
	created_at	timestamptz NOT NULL DEFAULT now(),
	created_by	name NOT NULL DEFAULT session_user,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	updated_by	name NOT NULL DEFAULT session_user,
	archived_at	timestamptz
);
COMMENT ON TABLE release.flags IS 'feature flags: one row per tracker task, targeting stored as an Unleash strategy list';
COMMENT ON COLUMN release.flags.key IS 'the tracker''s task key, e.g. TASK-123';
COMMENT ON COLUMN release.flags.enabled IS 'the on/off switch (Unleash: environment enabled)';
COMMENT ON COLUMN release.flags.strategies IS 'Unleash strategy list; [] means on for everyone when enabled';
COMMENT ON COLUMN release.flags.variants IS 'Unleash feature variants';
COMMENT ON COLUMN release.flags.dependencies IS 'Unleash feature dependencies';
COMMENT ON COLUMN release.flags.archived_at IS 'set when archived; archived flags evaluate as unknown (false)';

SELECT pg_catalog.pg_extension_config_dump('release.flags', '');

-- Keep who/when columns honest whatever path the change took.
CREATE FUNCTION release.flags_touch()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	NEW.created_at := OLD.created_at;
	NEW.created_by := OLD.created_by;
	NEW.updated_at := now();
	NEW.updated_by := session_user;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION release.flags_touch() IS 'trigger: maintains updated_at/updated_by on release.flags';

CREATE TRIGGER flags_touch
	BEFORE UPDATE ON release.flags
	FOR EACH ROW EXECUTE FUNCTION release.flags_touch();

-- The C trigger that tells every backend's flag cache to reload.
CREATE FUNCTION release.flag_cache_invalidate()
RETURNS trigger
AS 'MODULE_PATHNAME', 'flag_cache_invalidate'
LANGUAGE C;
COMMENT ON FUNCTION release.flag_cache_invalidate() IS 'trigger: invalidates the backend-local flag caches (relcache invalidation, WAL-logged)';

CREATE TRIGGER flags_cache_invalidate
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON release.flags
	FOR EACH STATEMENT EXECUTE FUNCTION release.flag_cache_invalidate();
-- also when rows arrive by logical replication (session_replication_role = replica)
ALTER TABLE release.flags ENABLE ALWAYS TRIGGER flags_cache_invalidate;

/*
 * Raise a clear error unless key is a valid flag key.
 */
CREATE FUNCTION release.check_key(key text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF key IS NULL THEN
		RAISE EXCEPTION 'feature flag key must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT release.is_valid_key(key) THEN
		RAISE EXCEPTION USING
			MESSAGE = format('invalid feature flag key %L', pg_catalog.left(key, 120)),
			DETAIL = 'A key is 1 to 100 characters with no whitespace, control characters, quotes, backslashes, semicolons or angle brackets.',
			HINT = 'Use the tracker''s task key, such as TASK-123.',
			ERRCODE = 'invalid_parameter_value';
	END IF;
END
$$;
COMMENT ON FUNCTION release.check_key(text) IS 'raises invalid_parameter_value unless the key is valid';

/*
 * The management functions' note argument: set pg_release.note (the reason
 * the audit log records) for the rest of the transaction when note is given,
 * and return the previous value for the caller to put back with set_config.
 */
CREATE FUNCTION release.note_push(note text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	prev text := coalesce(current_setting('pg_release.note', true), '');
BEGIN
	IF note IS NOT NULL THEN
		PERFORM set_config('pg_release.note', note, true);
	END IF;
	RETURN prev;
END
$$;
COMMENT ON FUNCTION release.note_push(text) IS 'sets pg_release.note for the transaction when note is not NULL; returns the previous value';

/*
 * Lock the listed flags (in key order, so concurrent batches cannot
 * deadlock) and fail on the first key, in the caller's order, that is
 * missing or, when live_only, archived.
 */
CREATE FUNCTION release.lock_flags(keys text[], live_only boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k text;
	archived timestamptz;
BEGIN
	IF keys IS NULL OR cardinality(keys) = 0 THEN
		RAISE EXCEPTION 'no feature flag keys given'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass one or more keys, e.g. flag_enable(''TASK-1'', ''TASK-2'').';
	END IF;
	PERFORM 1 FROM release.flags f WHERE f.key = ANY (keys) ORDER BY f.key FOR UPDATE;
	FOREACH k IN ARRAY keys LOOP
		PERFORM release.check_key(k);
		SELECT f.archived_at INTO archived FROM release.flags f WHERE f.key = k;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'feature flag "%" does not exist', k
				USING ERRCODE = 'undefined_object',
					  DETAIL = 'No flag in the batch was changed.';
		END IF;
		IF live_only AND archived IS NOT NULL THEN
			RAISE EXCEPTION 'feature flag "%" is archived', k
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  DETAIL = format('It was archived at %s. No flag in the batch was changed.', archived);
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION release.lock_flags(text[], boolean) IS 'locks flags for a batch change; errors on the first missing (or archived) key';

-- ---------------------------------------------------------------------------
-- Management API (release_operator)
-- ---------------------------------------------------------------------------

CREATE FUNCTION flag_create(key text,
							description text DEFAULT NULL,
							branch text DEFAULT NULL,
							release text DEFAULT NULL,
							tracker_url text DEFAULT NULL,
							regulated boolean DEFAULT false,
							note text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	prev_note text := release.note_push(note);
BEGIN
	PERFORM release.check_key(flag_create.key);
	INSERT INTO release.flags AS f (key, description, branch, release, tracker_url, regulated)
	VALUES (flag_create.key, flag_create.description, flag_create.branch,
			flag_create.release, flag_create.tracker_url, coalesce(flag_create.regulated, false))
	ON CONFLICT ON CONSTRAINT flags_pkey DO NOTHING;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'feature flag "%" already exists', flag_create.key
			USING ERRCODE = 'duplicate_object';
	END IF;
	PERFORM set_config('pg_release.note', prev_note, true);
END
$$;
COMMENT ON FUNCTION flag_create(text, text, text, text, text, boolean, text) IS 'create a feature flag, disabled; regulated flags need four eyes to reach users';

CREATE FUNCTION flag_enable(VARIADIC keys text[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
BEGIN
	PERFORM release.lock_flags(keys, true);
	UPDATE release.flags f
	   SET enabled = true,
		   strategies = '[{"name": "default", "parameters": {}, "constraints": []}]'
	 WHERE f.key = ANY (keys);
END
$$;
COMMENT ON FUNCTION flag_enable(text[]) IS 'switch the listed flags fully on, all or none ("enable selected")';

CREATE FUNCTION flag_disable(VARIADIC keys text[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
BEGIN
	PERFORM release.lock_flags(keys, false);
	UPDATE release.flags f SET enabled = false WHERE f.key = ANY (keys) AND f.enabled;
END
$$;
COMMENT ON FUNCTION flag_disable(text[]) IS 'switch the listed flags off for everyone (the kill switch)';

CREATE FUNCTION flag_set_rollout(key text, percent integer, note text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	prev_note text := release.note_push(note);
BEGIN
	IF percent IS NULL OR percent < 0 OR percent > 100 THEN
		RAISE EXCEPTION 'rollout percentage must be between 0 and 100'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('Got %s.', coalesce(percent::text, 'NULL'));
	END IF;
	PERFORM release.lock_flags(ARRAY[flag_set_rollout.key], true);
	UPDATE release.flags f
	   SET enabled = true,
		   strategies = jsonb_build_array(jsonb_build_object(
				'name', 'flexibleRollout',
				'parameters', jsonb_build_object(
					'rollout', percent::text,
					'stickiness', 'default',
					'groupId', f.key),
				'constraints', '[]'::jsonb))
	 WHERE f.key = flag_set_rollout.key;
	PERFORM set_config('pg_release.note', prev_note, true);
END
$$;
COMMENT ON FUNCTION flag_set_rollout(text, integer, text) IS 'canary: switch the flag on for percent % of users, sticky per user';

CREATE FUNCTION flag_archive(key text, note text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = origin
AS $$
DECLARE
	prev_note text := release.note_push(note);
BEGIN
	PERFORM release.lock_flags(ARRAY[flag_archive.key], false);
	UPDATE release.flags f
	   SET archived_at = now(), enabled = false
	 WHERE f.key = flag_archive.key AND f.archived_at IS NULL;
	PERFORM set_config('pg_release.note', prev_note, true);
END
$$;
COMMENT ON FUNCTION flag_archive(text, text) IS 'retire a flag: it evaluates as unknown (false) from now on; idempotent';

-- ---------------------------------------------------------------------------
-- Evaluation (PUBLIC): no SQL per call, backend-local compiled cache
-- ---------------------------------------------------------------------------

CREATE FUNCTION flag_enabled(key text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flag_enabled_nouser'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION flag_enabled(text) IS 'is the flag on for everyone? false for unknown keys';

CREATE FUNCTION flag_enabled(key text, user_id text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flag_enabled_text'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION flag_enabled(text, text) IS 'is the flag on for this user? false for unknown keys';

CREATE FUNCTION flag_enabled(key text, user_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flag_enabled_bigint'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION flag_enabled(text, bigint) IS 'is the flag on for this user? hashes the decimal text of the id';

CREATE FUNCTION flag_enabled(key text, user_id uuid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flag_enabled_uuid'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION flag_enabled(text, uuid) IS 'is the flag on for this user? hashes the canonical text of the uuid';

CREATE FUNCTION flag_enabled(key text, context jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flag_enabled_context'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION flag_enabled(text, jsonb) IS 'is the flag on for this Unleash context (userId, sessionId, properties, ...)?';

-- ---------------------------------------------------------------------------
-- For humans
-- ---------------------------------------------------------------------------

CREATE VIEW flag_list AS
SELECT f.key,
	   CASE
		   WHEN f.archived_at IS NOT NULL THEN 'archived'
		   WHEN r.reach = 100 THEN 'on'
		   WHEN r.reach IS NULL THEN 'targeted'
		   WHEN r.reach = 0 THEN 'off'		-- switched off, or on for nobody (rolled back)
		   ELSE 'canary'
	   END AS status,
	   r.reach AS rollout,
	   f.description, f.branch, f.release, f.tracker_url,
	   f.created_at, f.created_by, f.updated_at, f.updated_by, f.archived_at
  FROM release.flags f
 CROSS JOIN LATERAL (SELECT release.reach(f.enabled, f.archived_at, f.strategies) AS reach) r
 ORDER BY f.archived_at IS NOT NULL, f.key;
COMMENT ON VIEW flag_list IS 'feature flags for humans: status off (or on for nobody)/canary/on/targeted/archived and rollout %';

-- ---------------------------------------------------------------------------
-- Privileges: granted, never assumed
-- ---------------------------------------------------------------------------

GRANT USAGE ON SCHEMA release TO release_reader;
GRANT SELECT ON release.flags TO release_reader;
GRANT SELECT ON flag_list TO release_reader;

REVOKE ALL ON FUNCTION flag_create(text, text, text, text, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_enable(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_disable(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_set_rollout(text, integer, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION flag_archive(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION flag_create(text, text, text, text, text, boolean, text) TO release_operator;
GRANT EXECUTE ON FUNCTION flag_enable(text[]) TO release_operator;
GRANT EXECUTE ON FUNCTION flag_disable(text[]) TO release_operator;
GRANT EXECUTE ON FUNCTION flag_set_rollout(text, integer, text) TO release_operator;
GRANT EXECUTE ON FUNCTION flag_archive(text, text) TO release_operator;

REVOKE ALL ON FUNCTION release.lock_flags(text[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION release.flag_cache_invalidate() FROM PUBLIC;
REVOKE ALL ON FUNCTION release.flags_touch() FROM PUBLIC;
