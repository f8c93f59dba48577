-- bad_input: every bad input gets a clear error with a SQLSTATE and changes nothing
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
-- a fingerprint of all flag data, to show that failed calls change nothing
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
	SELECT md5(coalesce(string_agg(f::text, '|' ORDER BY key), ''))
	  FROM (SELECT key, description, enabled, strategies, archived_at, updated_at FROM release.flags) f
$$;

SELECT flag_create('TASK-1');
SELECT flag_create('TASK-2');
SELECT flag_set_rollout('TASK-2', 30);
SELECT flag_create('TASK-OLD');
SELECT flag_archive('TASK-OLD');
SELECT pg_temp.fingerprint() AS before \gset

-- invalid keys
SELECT pg_temp.try($$SELECT flag_create(NULL)$$);
SELECT pg_temp.try($$SELECT flag_create('')$$);
SELECT pg_temp.try($$SELECT flag_create('TASK 1')$$);
SELECT pg_temp.try($$SELECT flag_create(E'TASK-1\n')$$);
SELECT pg_temp.try($$SELECT flag_create(E'TASK\t1')$$);
SELECT pg_temp.try($$SELECT flag_create('TASK-1''; DROP TABLE release.flags; --')$$);
SELECT pg_temp.try($$SELECT flag_create('<script>')$$);
SELECT pg_temp.try($$SELECT flag_create(repeat('x', 101))$$);
-- the limit itself and non-ASCII keys are fine
SELECT pg_temp.try($$SELECT flag_create(repeat('x', 100))$$);
SELECT pg_temp.try($$SELECT flag_create('Feature.UTF-8.Hellø_Wørld')$$);
SELECT key FROM release.flags WHERE key NOT LIKE 'TASK-%' ORDER BY key;
DELETE FROM release.flags WHERE key NOT LIKE 'TASK-%';
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- duplicates, including an archived key
SELECT pg_temp.try($$SELECT flag_create('TASK-1')$$);
SELECT pg_temp.try($$SELECT flag_create('TASK-OLD')$$);

-- unknown flags in management calls; a batch with one bad key changes nothing
SELECT pg_temp.try($$SELECT flag_enable('NOPE')$$);
SELECT pg_temp.try($$SELECT flag_enable('TASK-1', 'NOPE', 'ALSO-NOPE')$$);
SELECT pg_temp.try($$SELECT flag_enable('TASK-1', 'TASK-OLD')$$);
SELECT pg_temp.try($$SELECT flag_enable('TASK-1', NULL)$$);
SELECT pg_temp.try($$SELECT flag_enable('TASK-1', 'bad key')$$);
SELECT pg_temp.try($$SELECT flag_enable(VARIADIC ARRAY[]::text[])$$);
SELECT pg_temp.try($$SELECT flag_enable(VARIADIC NULL::text[])$$);
SELECT pg_temp.try($$SELECT flag_disable('TASK-2', 'NOPE')$$);
SELECT pg_temp.try($$SELECT flag_archive('NOPE')$$);
SELECT pg_temp.try($$SELECT flag_set_rollout('NOPE', 10)$$);
SELECT pg_temp.try($$SELECT flag_set_rollout('TASK-OLD', 10)$$);
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- percentages outside 0..100
SELECT pg_temp.try($$SELECT flag_set_rollout('TASK-1', -1)$$);
SELECT pg_temp.try($$SELECT flag_set_rollout('TASK-1', 101)$$);
SELECT pg_temp.try($$SELECT flag_set_rollout('TASK-1', NULL)$$);
SELECT pg_temp.fingerprint() = :'before' AS unchanged;

-- malformed evaluation contexts
SELECT pg_temp.try($$SELECT flag_enabled('TASK-2', '[1, 2]'::jsonb)$$);
SELECT pg_temp.try($$SELECT flag_enabled('TASK-2', '"u1"'::jsonb)$$);
SELECT pg_temp.try($$SELECT flag_enabled('TASK-2', '{"userId": {"id": 1}}'::jsonb)$$);
SELECT pg_temp.try($$SELECT flag_enabled('TASK-2', '{"userId": true}'::jsonb)$$);
SELECT pg_temp.try($$SELECT flag_enabled('TASK-2', '{"sessionId": [1]}'::jsonb)$$);
SELECT pg_temp.try($$SELECT flag_enabled('TASK-2', '{"properties": [1]}'::jsonb)$$);
SELECT pg_temp.try($$SELECT flag_enabled('TASK-2', '{"currentTime": 5}'::jsonb)$$);
-- ... even for an unknown key
SELECT pg_temp.try($$SELECT flag_enabled('NOPE', '[]'::jsonb)$$);
-- NULL context is an empty context, not an error
SELECT flag_enabled('TASK-2', NULL::jsonb);

-- the table's own checks stop direct DML with bad data
SELECT pg_temp.try($$INSERT INTO release.flags (key) VALUES ('bad key')$$);
SELECT pg_temp.try($$UPDATE release.flags SET strategies = '{}' WHERE key = 'TASK-1'$$);

-- the cache trigger refuses to be misused
SELECT pg_temp.try($$SELECT release.flag_cache_invalidate()$$);
CREATE TABLE t (a int);
CREATE TRIGGER wrong BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION release.flag_cache_invalidate();
SELECT pg_temp.try($$INSERT INTO t VALUES (1)$$);
DROP TABLE t;

SELECT pg_temp.fingerprint() = :'before' AS unchanged;
DROP EXTENSION pg_release;
