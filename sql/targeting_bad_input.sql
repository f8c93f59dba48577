-- targeting_bad_input: targeting is validated when written; every refusal has
-- a SQLSTATE and a clear message, and changes nothing
CREATE EXTENSION pg_release;

-- show SQLSTATE and message of a statement, without aborting the script
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
-- the same, with the DETAIL that says where the problem is
CREATE FUNCTION pg_temp.try_detail(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	d text;
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || SQLERRM || ' | ' || d;
END
$$;
-- a fingerprint of all targeting data, to show that failed calls change nothing
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
	SELECT md5(coalesce((SELECT string_agg(f::text, '|' ORDER BY key)
						   FROM (SELECT key, enabled, strategies, variants, dependencies, archived_at
								   FROM release.flags) f), '') ||
			   coalesce((SELECT string_agg(s::text, '|' ORDER BY id)
						   FROM (SELECT id, name, constraints FROM release.segments) s), ''))
$$;

SELECT flag_create('T-1');
SELECT flag_create('T-PARENT');
SELECT flag_create('T-CHILD');
SELECT flag_set_dependencies('T-CHILD', '[{"feature": "T-PARENT"}]');
SELECT flag_create('T-OLD');
SELECT flag_archive('T-OLD');
SELECT segment_create('staff', '[{"contextName": "email", "operator": "STR_ENDS_WITH", "values": ["@corp.example"]}]') AS staff \gset
SELECT flag_set_strategies('T-1', format('[{"name": "default", "segments": [%s]}]', :staff)::jsonb);
SELECT pg_temp.fingerprint() AS before \gset

-- strategies: shape
SELECT pg_temp.try($$SELECT flag_set_strategies('T-1', '{"name": "default"}')$$);
SELECT pg_temp.try($$SELECT flag_set_strategies('T-1', NULL)$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '["default"]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"parameters": {}}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "parameters": "rollout=10"}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": {"contextName": "x"}}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"operator": "IN", "values": ["a"]}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "x", "operator": "IN", "values": "a"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "x", "operator": "IN", "values": ["a"], "inverted": "yes"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "segments": ["staff"]}]')$$);
-- strategies: content Unleash would evaluate as false
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default"}, {"name": "gradualRolloutFancy"}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "flexibleRollout", "parameters": {"rollout": "150"}}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "flexibleRollout", "parameters": {"rollout": "ten"}}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "remoteAddress", "parameters": {"IPs": "10.0.0.1, 10.0.0.300"}}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "x", "operator": "LIKE", "values": ["a%"]}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "userId", "operator": "REGEX", "value": "^(?=admin)"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "userId", "operator": "REGEX", "value": "(?<!x)y"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "userId", "operator": "REGEX", "value": "^(a)\\1$"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "userId", "operator": "REGEX", "value": "a++"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "userId", "operator": "REGEX", "value": "(regex"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "remoteAddress", "operator": "IN_CIDR", "values": ["10.0.0.0/8", "10.0.0.0/33"]}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "v", "operator": "SEMVER_GT", "value": "v1.2.3"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "v", "operator": "SEMVER_EQ", "value": "1.2"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "currentTime", "operator": "DATE_AFTER", "value": "next tuesday"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "n", "operator": "NUM_GT", "value": "12abc"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "constraints": [{"contextName": "n", "operator": "NUM_GT"}]}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_strategies('T-1', '[{"name": "default", "segments": [404]}]')$$);
-- REGEX follows RE2's grammar: what RE2 refuses is refused, what it accepts passes
SELECT pattern, pg_temp.try(format($$SELECT release.targeting_validate('constraints', %L)$$,
		jsonb_build_array(jsonb_build_object('contextName', 'userId', 'operator', 'REGEX', 'value', pattern)))) AS verdict
  FROM unnest(ARRAY['(?P=name)', '(*SKIP)a', 'a\Kb', '(?>atomic)', 'a{2}+', '(?|a|b)', '(?#note)a', '(?1)', '\Z', '\g1',
					'(?P<name>x)', '(?<name>x)', '(?i:abc)', '[^]a]+', '[[:alpha:]]+', 'a*?b', 'a{2,3}?', '\d+\.\w*', '(?s-m:.)', '\\']) AS pattern;

-- strategies: the flag itself
SELECT pg_temp.try($$SELECT flag_set_strategies('T-NOPE', '[]')$$);
SELECT pg_temp.try($$SELECT flag_set_strategies('T-OLD', '[]')$$);
SELECT pg_temp.try($$SELECT flag_set_strategies('bad key', '[]')$$);

-- variants
SELECT pg_temp.try($$SELECT flag_set_variants('T-1', '{}')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_variants('T-1', '[{"weight": 1}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_variants('T-1', '[{"name": "a", "weight": -5}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_variants('T-1', '[{"name": "a"}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_variants('T-1', '[{"name": "a", "weight": 1, "payload": "red"}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_variants('T-1', '[{"name": "a", "weight": 1, "overrides": [{"contextName": "userId", "values": "1"}]}]')$$);

-- dependencies
SELECT pg_temp.try($$SELECT flag_set_dependencies('T-1', '[{"feature": "T-1"}]')$$);
SELECT pg_temp.try($$SELECT flag_set_dependencies('T-1', '[{"feature": "T-MISSING"}]')$$);
SELECT pg_temp.try($$SELECT flag_set_dependencies('T-1', '[{"feature": "T-OLD"}]')$$);
SELECT pg_temp.try($$SELECT flag_set_dependencies('T-1', '[{"feature": "T-CHILD"}]')$$);
SELECT pg_temp.try($$SELECT flag_set_dependencies('T-PARENT', '[{"feature": "T-1"}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_dependencies('T-1', '[{"feature": "T-PARENT", "enabled": "no"}]')$$);
SELECT pg_temp.try_detail($$SELECT flag_set_dependencies('T-1', '[{"flag": "T-PARENT"}]')$$);

-- segments
SELECT pg_temp.try($$SELECT segment_create('staff')$$);
SELECT pg_temp.try($$SELECT segment_create('')$$);
SELECT pg_temp.try_detail($$SELECT segment_create('bad', '[{"contextName": "ip", "operator": "IN_CIDR", "values": ["nope"]}]')$$);
SELECT pg_temp.try($$SELECT segment_set_constraints('nope', '[]')$$);
SELECT pg_temp.try_detail($$SELECT segment_set_constraints('staff', '[{"contextName": "x", "operator": "STR_CONTAINS", "values": [1, {}]}]')$$);
SELECT pg_temp.try($$SELECT segment_delete('staff')$$);
SELECT pg_temp.try($$SELECT segment_delete('nope')$$);

-- import: a document of the wrong shape is refused as a whole
SELECT pg_temp.try($$SELECT flag_import_unleash('[]')$$);
SELECT pg_temp.try($$SELECT flag_import_unleash('{"toggles": []}')$$);
SELECT pg_temp.try($$SELECT flag_import_unleash('{"features": {"name": "X"}}')$$);
SELECT pg_temp.try($$SELECT flag_import_unleash('{"features": [{"name": "OK-1", "enabled": true}, {"enabled": true}]}')$$);
SELECT pg_temp.try($$SELECT flag_import_unleash('{"features": [{"name": "OK-1", "enabled": true}, {"name": "bad key", "enabled": true}]}')$$);
SELECT pg_temp.try($$SELECT flag_import_unleash('{"features": [{"name": "OK-1", "enabled": true}, {"name": "OK-2"}]}')$$);
SELECT pg_temp.try_detail($$SELECT flag_import_unleash('{"features": [{"name": "OK-1", "enabled": true}, {"name": "OK-2", "enabled": true, "strategies": [{"name": "default", "constraints": [{"operator": "IN"}]}]}]}')$$);
SELECT pg_temp.try($$SELECT flag_import_unleash('{"segments": [{"name": "no id"}], "features": []}')$$);
SELECT pg_temp.try($$SELECT flag_import_unleash('{"events": [{"type": "feature-updated", "feature": {"name": "OK-1", "enabled": true}}, {"type": "feature-exploded"}]}')$$);
SELECT count(*) AS imported_nothing FROM release.flags WHERE key LIKE 'OK-%';

-- evaluation: a malformed context is an error for flag_variant as for flag_enabled
SELECT pg_temp.try($$SELECT flag_variant('T-1', '"user-1"')$$);
SELECT pg_temp.try($$SELECT flag_variant('T-1', '{"properties": [1]}')$$);
SELECT pg_temp.try($$SELECT flag_enabled('T-1', '{"currentTime": 1700000000}'::jsonb)$$);

SELECT pg_temp.fingerprint() = :'before' AS unchanged;

DROP EXTENSION pg_release;
