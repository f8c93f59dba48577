-- targeting: Unleash strategies, constraints, segments, variants, dependencies,
-- flag_variant(), flag_explain() and flag_import_unleash()
CREATE EXTENSION pg_release;

-- evaluate one flag for a list of contexts: context -> result
CREATE FUNCTION pg_temp.eval(flag text, VARIADIC contexts jsonb[])
RETURNS TABLE (context jsonb, enabled boolean) LANGUAGE sql AS $$
	SELECT c, flag_enabled(flag, c) FROM unnest(contexts) WITH ORDINALITY AS u(c, n) ORDER BY n
$$;

-- ---------------------------------------------------------------------------
-- Constraints: every operator, inverted and caseInsensitive
-- ---------------------------------------------------------------------------
SELECT flag_create('TGT-IN');
SELECT flag_set_strategies('TGT-IN', '[{"name": "default", "constraints": [
	{"contextName": "environment", "operator": "IN", "values": ["prod", " stage "]},
	{"contextName": "country", "operator": "NOT_IN", "values": ["FR"]}]}]');
SELECT * FROM pg_temp.eval('TGT-IN',
	'{"environment": "prod"}', '{"environment": "stage"}',
	'{"environment": "prod", "properties": {"country": "FR"}}',
	'{"environment": "prod", "country": "FR"}', '{"environment": "PROD"}', '{}');

SELECT flag_create('TGT-STR');
SELECT flag_set_strategies('TGT-STR', '[{"name": "default", "constraints": [
	{"contextName": "email", "operator": "STR_ENDS_WITH", "values": ["@example.com"], "caseInsensitive": true},
	{"contextName": "email", "operator": "STR_STARTS_WITH", "values": ["qa-"], "inverted": true},
	{"contextName": "email", "operator": "STR_CONTAINS", "values": ["."]}]}]');
SELECT * FROM pg_temp.eval('TGT-STR',
	'{"properties": {"email": "ann@example.com"}}', '{"properties": {"email": "ANN@EXAMPLE.COM"}}',
	'{"properties": {"email": "qa-ann@example.com"}}', '{"properties": {"email": "ann@example.org"}}',
	'{"properties": {"email": "ÅSA@EXAMPLE.COM"}}', '{}');

SELECT flag_create('TGT-NUM');
SELECT flag_set_strategies('TGT-NUM', '[{"name": "default", "constraints": [
	{"contextName": "age", "operator": "NUM_GTE", "value": "18"},
	{"contextName": "age", "operator": "NUM_LT", "value": "65.5"}]}]');
SELECT * FROM pg_temp.eval('TGT-NUM',
	'{"properties": {"age": "18"}}', '{"properties": {"age": 65}}', '{"properties": {"age": "65.5"}}',
	'{"properties": {"age": "17.9"}}', '{"properties": {"age": "old"}}', '{}');

SELECT flag_create('TGT-DATE');
SELECT flag_set_strategies('TGT-DATE', '[{"name": "default", "constraints": [
	{"contextName": "currentTime", "operator": "DATE_AFTER", "value": "2030-01-01T00:00:00Z"},
	{"contextName": "currentTime", "operator": "DATE_BEFORE", "value": "2030-02-01T00:00:00+01:00"}]}]');
SELECT * FROM pg_temp.eval('TGT-DATE',
	'{"currentTime": "2030-01-15T12:00:00Z"}', '{"currentTime": "2030-01-01T00:00:00Z"}',
	'{"currentTime": "2030-01-31T23:30:00Z"}', '{"currentTime": "2030-01-31T22:30:00Z"}',
	'{"currentTime": "not a date"}', '{}');

SELECT flag_create('TGT-SEMVER');
SELECT flag_set_strategies('TGT-SEMVER', '[{"name": "default", "constraints": [
	{"contextName": "appVersion", "operator": "SEMVER_GTE", "value": "2.3.0-rc.2"},
	{"contextName": "appVersion", "operator": "SEMVER_LT", "value": "3.0.0"}]}]');
SELECT * FROM pg_temp.eval('TGT-SEMVER',
	'{"properties": {"appVersion": "2.3.0"}}', '{"properties": {"appVersion": "2.3.0-rc.10"}}',
	'{"properties": {"appVersion": "2.3.0-rc.1"}}', '{"properties": {"appVersion": "2.10.1+build.5"}}',
	'{"properties": {"appVersion": "3.0.0-alpha"}}', '{"properties": {"appVersion": "v2.4.0"}}',
	'{"properties": {"appVersion": "2.04.0"}}');

SELECT flag_create('TGT-REGEX');
SELECT flag_set_strategies('TGT-REGEX', '[
	{"name": "default", "constraints": [{"contextName": "userId", "operator": "REGEX", "value": "^(?i)team-[a-z]+\\d{2}$"}]},
	{"name": "default", "constraints": [{"contextName": "userId", "operator": "REGEX", "value": "\\bvip\\b", "caseInsensitive": true}]}]');
SELECT * FROM pg_temp.eval('TGT-REGEX',
	'{"userId": "team-Blue42"}', '{"userId": "TEAM-blue42"}', '{"userId": "team-blue420"}',
	'{"userId": "a VIP user"}', '{"userId": "vipers"}', E'{"userId": "team-red01\\n"}');

SELECT flag_create('TGT-CIDR');
SELECT flag_set_strategies('TGT-CIDR', '[{"name": "default", "constraints": [
	{"contextName": "remoteAddress", "operator": "IN_CIDR", "values": ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"]}]}]');
SELECT * FROM pg_temp.eval('TGT-CIDR',
	'{"remoteAddress": "10.200.3.4"}', '{"remoteAddress": "11.0.0.1"}', '{"remoteAddress": "2001:db8:1::9"}',
	'{"remoteAddress": "192.168.1.7"}', '{"remoteAddress": "192.168.1.8"}', '{"remoteAddress": "not-an-ip"}');

-- ---------------------------------------------------------------------------
-- Other strategies: userWithId, remoteAddress, applicationHostname, rollouts
-- ---------------------------------------------------------------------------
SELECT flag_create('TGT-STRAT');
SELECT flag_set_strategies('TGT-STRAT', '[
	{"name": "userWithId", "parameters": {"userIds": "alice, bob"}},
	{"name": "remoteAddress", "parameters": {"IPs": "172.16.0.0/12, 127.0.0.1"}},
	{"name": "applicationHostname", "parameters": {"hostNames": "Build-Box"}}]');
SELECT * FROM pg_temp.eval('TGT-STRAT',
	'{"userId": "bob"}', '{"userId": "carol"}', '{"remoteAddress": "172.20.1.1"}',
	'{"remoteAddress": "127.0.0.1"}', '{"properties": {"hostname": "build-box"}}', '{"hostname": "other"}');
-- the text overload sees the same targeting
SELECT flag_enabled('TGT-STRAT', 'alice'::text) AS alice, flag_enabled('TGT-STRAT', 'carol'::text) AS carol;

-- a rollout combined with constraints: 10 % of the pro plan, sticky per user
SELECT flag_create('TGT-CANARY');
SELECT flag_set_strategies('TGT-CANARY', '[{"name": "flexibleRollout",
	"parameters": {"rollout": "10", "stickiness": "userId", "groupId": "TGT-CANARY"},
	"constraints": [{"contextName": "plan", "operator": "IN", "values": ["pro"]}]}]');
SELECT count(*) FILTER (WHERE flag_enabled('TGT-CANARY', jsonb_build_object('userId', g::text, 'properties', '{"plan": "pro"}'::jsonb))) AS pro_in,
	   count(*) FILTER (WHERE flag_enabled('TGT-CANARY', jsonb_build_object('userId', g::text, 'properties', '{"plan": "free"}'::jsonb))) AS free_in
  FROM generate_series(1, 10000) g;
-- the same users as a plain 10 % rollout of that groupId
SELECT flag_create('TGT-PLAIN');
SELECT flag_set_strategies('TGT-PLAIN', '[{"name": "flexibleRollout", "parameters": {"rollout": "10", "stickiness": "userId", "groupId": "TGT-CANARY"}}]');
SELECT count(*) AS disagreements FROM generate_series(1, 10000) g
 WHERE flag_enabled('TGT-PLAIN', g::text)
	IS DISTINCT FROM flag_enabled('TGT-CANARY', jsonb_build_object('userId', g::text, 'properties', '{"plan": "pro"}'::jsonb));

-- a strategy Unleash marks "disabled" lets no one in
SELECT flag_create('TGT-DIS');
SELECT flag_set_strategies('TGT-DIS', '[{"name": "default", "disabled": true}, {"name": "userWithId", "parameters": {"userIds": "ann"}}]');
SELECT flag_enabled('TGT-DIS', 'ann'::text) AS ann, flag_enabled('TGT-DIS', 'bob'::text) AS bob;

-- enable => false sets the targeting but leaves the switch alone
SELECT flag_create('TGT-PREP');
SELECT flag_set_strategies('TGT-PREP', '[{"name": "default"}]', enable => false);
SELECT enabled, strategies FROM release.flags WHERE key = 'TGT-PREP';

-- ---------------------------------------------------------------------------
-- Segments: shared constraint lists; changing one reloads the cache
-- ---------------------------------------------------------------------------
SELECT segment_create('beta-testers', '[{"contextName": "userId", "operator": "IN", "values": ["u1", "u2"]}]',
					  'people who signed up for betas') AS beta \gset
SELECT flag_create('TGT-SEG');
SELECT flag_set_strategies('TGT-SEG', format('[{"name": "default", "segments": [%s]}]', :beta)::jsonb);
SELECT * FROM pg_temp.eval('TGT-SEG', '{"userId": "u1"}', '{"userId": "u3"}');
SELECT segment_set_constraints('beta-testers', '[{"contextName": "userId", "operator": "IN", "values": ["u3"]}]');
SELECT * FROM pg_temp.eval('TGT-SEG', '{"userId": "u1"}', '{"userId": "u3"}');
SELECT id = :beta AS same_id, name, constraints FROM release.segments;

-- ---------------------------------------------------------------------------
-- Variants: feature variants, overrides, strategy variants
-- ---------------------------------------------------------------------------
SELECT flag_create('TGT-VAR');
SELECT flag_enable('TGT-VAR');
SELECT flag_variant('TGT-VAR', '{"userId": "1"}') AS no_variants;
SELECT flag_set_variants('TGT-VAR', '[
	{"name": "red", "weight": 500, "payload": {"type": "string", "value": "#f00"},
	 "overrides": [{"contextName": "userId", "values": ["vip"]}]},
	{"name": "blue", "weight": 500, "payload": {"type": "json", "value": "{\"hex\": \"#00f\"}"}}]');
SELECT flag_variant('TGT-VAR', '{"userId": "vip"}') AS override;
SELECT flag_variant('TGT-VAR', jsonb_build_object('userId', g::text))->>'name' AS variant, count(*)
  FROM generate_series(1, 1000) g GROUP BY 1 ORDER BY 1;
-- sticky: the same user gets the same variant every time
SELECT count(DISTINCT flag_variant('TGT-VAR', '{"userId": "42"}')) AS distinct_variants FROM generate_series(1, 20);
-- a strategy's own variants win over the feature's
SELECT flag_set_strategies('TGT-VAR', '[
	{"name": "default", "constraints": [{"contextName": "environment", "operator": "IN", "values": ["dev"]}],
	 "variants": [{"name": "dev-build", "weight": 1, "stickiness": "default"}]},
	{"name": "default"}]');
SELECT flag_variant('TGT-VAR', '{"userId": "vip", "environment": "dev"}') AS strategy_variant,
	   flag_variant('TGT-VAR', '{"userId": "vip", "environment": "prod"}') AS feature_variant;
SELECT flag_disable('TGT-VAR');
SELECT flag_variant('TGT-VAR', '{"userId": "vip"}') AS switched_off,
	   flag_variant('TGT-NOPE', '{}') AS unknown;

-- ---------------------------------------------------------------------------
-- Dependencies (one level)
-- ---------------------------------------------------------------------------
SELECT flag_create('TGT-PARENT');
SELECT flag_create('TGT-CHILD');
SELECT flag_enable('TGT-CHILD');
SELECT flag_set_dependencies('TGT-CHILD', '[{"feature": "TGT-PARENT"}]');
SELECT flag_enabled('TGT-CHILD') AS parent_off;
SELECT flag_enable('TGT-PARENT');
SELECT flag_enabled('TGT-CHILD') AS parent_on;
SELECT flag_set_dependencies('TGT-CHILD', '[{"feature": "TGT-PARENT", "enabled": false}]');
SELECT flag_enabled('TGT-CHILD') AS wants_parent_off;
SELECT flag_set_variants('TGT-PARENT', '[{"name": "new-ui", "weight": 1}]');
SELECT flag_set_dependencies('TGT-CHILD', '[{"feature": "TGT-PARENT", "variants": ["new-ui"]}]');
SELECT flag_enabled('TGT-CHILD') AS parent_variant_matches;
SELECT flag_set_dependencies('TGT-CHILD', '[{"feature": "TGT-PARENT", "variants": ["old-ui"]}]');
SELECT flag_enabled('TGT-CHILD') AS parent_variant_differs;
-- archiving the parent leaves the child unsatisfied
SELECT flag_set_dependencies('TGT-CHILD', '[{"feature": "TGT-PARENT"}]');
SELECT flag_archive('TGT-PARENT');
SELECT flag_enabled('TGT-CHILD') AS parent_archived;

-- ---------------------------------------------------------------------------
-- flag_explain: every reason
-- ---------------------------------------------------------------------------
SELECT flag_create('TGT-OFF');
SELECT flag_create('TGT-ON');
SELECT flag_enable('TGT-ON');
SELECT flag_create('TGT-PCT');
SELECT flag_set_rollout('TGT-PCT', 10);
SELECT k, c, flag_explain(k, c::jsonb) AS explain
  FROM (VALUES ('TGT-ON', '{}'), ('TGT-IN', '{"environment": "prod"}'), ('TGT-IN', '{"environment": "dev"}'),
			   ('TGT-PCT', '{"userId": "2"}'), ('TGT-PCT', '{"userId": "1"}'), ('TGT-PCT', '{}'),
			   ('TGT-OFF', '{}'), ('TGT-CHILD', '{}'), ('TGT-NOPE', '{}'),
			   ('TGT-ON', '{"userId": ["not", "a", "string"]}'), ('TGT-ON', '[1]')) AS t(k, c);
-- per strategy: why each one did or did not match
SELECT k, s->>'index' AS i, s->>'name' AS strategy, s->>'matched' AS matched, s->>'why' AS why
  FROM (VALUES ('TGT-STRAT', '{"userId": "carol", "remoteAddress": "8.8.8.8"}'),
			   ('TGT-SEG', '{"userId": "u1"}'),
			   ('TGT-CANARY', '{"userId": "1", "properties": {"plan": "free"}}'),
			   ('TGT-STR', '{"properties": {"email": "qa-ann@example.com"}}'),
			   ('TGT-DIS', '{"userId": "bob"}')) AS t(k, c),
	   jsonb_array_elements(flag_explain(k, c::jsonb)->'strategies') AS s;

-- ---------------------------------------------------------------------------
-- flag_import_unleash: a full state, then a delta document
-- ---------------------------------------------------------------------------
SELECT flag_import_unleash('{
  "version": 2,
  "segments": [{"id": 70, "name": "nordics", "constraints": [{"contextName": "country", "operator": "IN", "values": ["NO", "SE"]}]}],
  "features": [
	{"name": "IMP-1", "enabled": true, "description": "imported",
	 "strategies": [{"name": "default", "segments": [70]}],
	 "variants": [{"name": "a", "weight": 1}]},
	{"name": "IMP-2", "enabled": true, "strategies": [], "dependencies": [{"feature": "IMP-1"}]},
	{"name": "IMP-3", "enabled": true, "strategies": [{"name": "default", "constraints": [{"contextName": "x", "operator": "NOT_A_VALID_OPERATOR"}]}]}
  ]}');
SELECT key, enabled, description, strategies, dependencies FROM release.flags WHERE key LIKE 'IMP-%' ORDER BY key;
SELECT * FROM pg_temp.eval('IMP-1', '{"properties": {"country": "NO"}}', '{"properties": {"country": "DK"}}');
SELECT * FROM pg_temp.eval('IMP-2', '{"properties": {"country": "SE"}}', '{"properties": {"country": "DK"}}');
SELECT * FROM pg_temp.eval('IMP-3', '{"x": "1"}');
-- the imported segment id is taken: the next segment gets a fresh one
SELECT segment_create('after-import') > 70 AS fresh_id;
SELECT flag_import_unleash('{"events": [
	{"eventId": 1, "type": "feature-removed", "featureName": "IMP-3"},
	{"eventId": 2, "type": "segment-updated", "segment": {"id": 70, "name": "nordics", "constraints": [{"contextName": "country", "operator": "IN", "values": ["DK"]}]}},
	{"eventId": 3, "type": "feature-updated", "feature": {"name": "IMP-4", "enabled": true, "strategies": [{"name": "default"}]}}]}');
SELECT key, archived_at IS NOT NULL AS archived FROM release.flags WHERE key LIKE 'IMP-%' ORDER BY key;
SELECT * FROM pg_temp.eval('IMP-1', '{"properties": {"country": "NO"}}', '{"properties": {"country": "DK"}}');
SELECT flag_enabled('IMP-4') AS imp4;
-- an import is audited like any change, with its note
SELECT flag_import_unleash('{"features": [{"name": "IMP-5", "enabled": false}]}', note => 'migrating from Unleash');
SELECT action, target, flag_key, note FROM release.audit_log
 WHERE note = 'migrating from Unleash' ORDER BY id;
SELECT segment_set_constraints('nordics', '[]', note => 'open to all');
SELECT action, target, note FROM release.audit_log WHERE note = 'open to all' ORDER BY id;

-- malformed targeting written behind the API's back never widens the audience
UPDATE release.flags SET enabled = true,
	   strategies = '[{"name": "default", "constraints": {"contextName": "userId", "operator": "IN", "values": ["x"]}}]'
 WHERE key = 'TGT-OFF';
SELECT flag_enabled('TGT-OFF', 'x'::text) AS x, flag_enabled('TGT-OFF', 'y'::text) AS y;

-- a regex that exhausts its backtracking budget is undecided: false, even
-- inverted (RE2 would have matched; we must not open a blocked audience)
SELECT flag_create('TGT-REDOS');
SELECT flag_set_strategies('TGT-REDOS', '[{"name": "default", "constraints": [
	{"contextName": "email", "operator": "REGEX", "value": "^(\\w+\\.?)*$|@blocked\\.com", "inverted": true}]}]');
SELECT flag_enabled('TGT-REDOS', '{"properties": {"email": "ann@example.org"}}'::jsonb) AS normal_address,
       flag_enabled('TGT-REDOS', '{"properties": {"email": "x@blocked.com"}}'::jsonb) AS blocked_short,
       flag_enabled('TGT-REDOS', '{"properties": {"email": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!x@blocked.com"}}'::jsonb) AS blocked_hostile;

DROP EXTENSION pg_release;
