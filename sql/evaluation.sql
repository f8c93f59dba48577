-- evaluation: flag_enabled() semantics, Unleash-compatible bucketing
CREATE EXTENSION pg_release;

-- unknown and NULL keys are false, never an error
SELECT flag_enabled('NOPE'), flag_enabled('NOPE', 'u1'), flag_enabled('NOPE', 1::bigint),
       flag_enabled(NULL), flag_enabled(NULL, 'u1'), flag_enabled('NOPE', '{}'::jsonb);

-- a new flag is off for everyone
SELECT flag_create('TASK-123');
SELECT flag_enabled('TASK-123'), flag_enabled('TASK-123', '2'),
       count(*) FILTER (WHERE flag_enabled('TASK-123', g::text)) AS users_on
  FROM generate_series(1, 1000) g;

-- 10 % canary: Unleash's documented example, user 2 (bucket 5) is in, user 1 is not
SELECT flag_set_rollout('TASK-123', 10);
SELECT flag_enabled('TASK-123', '2') AS user_2, flag_enabled('TASK-123', '1') AS user_1,
       flag_enabled('TASK-123', '3') AS user_3, flag_enabled('TASK-123', '9') AS user_9;
-- about 10 % of 10,000 users
SELECT count(*) FILTER (WHERE flag_enabled('TASK-123', g::text)) BETWEEN 900 AND 1100 AS about_ten_percent
  FROM generate_series(1, 10000) g;
-- no user, NULL user, no stickiness id: off under a partial rollout
SELECT flag_enabled('TASK-123') AS no_user, flag_enabled('TASK-123', NULL::text) AS null_user,
       flag_enabled('TASK-123', '{"appName": "web"}'::jsonb) AS no_id;

-- the same id in every type gives the same answer
SELECT count(*) AS disagreements
  FROM generate_series(1, 5000) g
 WHERE flag_enabled('TASK-123', g::bigint) <> flag_enabled('TASK-123', g::text)
    OR flag_enabled('TASK-123', jsonb_build_object('userId', g)) <> flag_enabled('TASK-123', g::text)
    OR flag_enabled('TASK-123', jsonb_build_object('userId', g::text)) <> flag_enabled('TASK-123', g::text);
SELECT count(*) AS disagreements
  FROM (SELECT md5(g::text)::uuid AS u FROM generate_series(1, 5000) g) s
 WHERE flag_enabled('TASK-123', u) <> flag_enabled('TASK-123', u::text);
SELECT flag_enabled('TASK-123', 2::bigint) AS bigint_2, flag_enabled('TASK-123', 2) AS int_2;

-- sticky: raising 10 % -> 25 % only adds users
CREATE TEMP TABLE at10 AS
SELECT g AS uid FROM generate_series(1, 10000) g WHERE flag_enabled('TASK-123', g::text);
SELECT flag_set_rollout('TASK-123', 25);
SELECT count(*) AS lost_users FROM at10 WHERE NOT flag_enabled('TASK-123', uid::text);
SELECT count(*) FILTER (WHERE flag_enabled('TASK-123', g::text)) BETWEEN 2300 AND 2700 AS about_quarter
  FROM generate_series(1, 10000) g;

-- fully on: everyone, with or without a user
SELECT flag_enable('TASK-123');
SELECT flag_enabled('TASK-123'), flag_enabled('TASK-123', NULL::text),
       count(*) FILTER (WHERE flag_enabled('TASK-123', g::text)) AS users_on
  FROM generate_series(1, 1000) g;
SELECT flag_set_rollout('TASK-123', 100);
SELECT flag_enabled('TASK-123') AS anonymous_at_100;
SELECT flag_set_rollout('TASK-123', 0);
SELECT count(*) FILTER (WHERE flag_enabled('TASK-123', g::text)) AS users_at_0
  FROM generate_series(1, 1000) g;

-- context: sessionId is the fallback stickiness; unknown fields are ignored
SELECT flag_set_rollout('TASK-123', 10);
SELECT flag_enabled('TASK-123', '{"sessionId": "2"}'::jsonb) AS session_2,
       flag_enabled('TASK-123', '{"sessionId": "1"}'::jsonb) AS session_1,
       flag_enabled('TASK-123', '{"userId": "2", "sessionId": "1", "shoeSize": 44}'::jsonb) AS user_wins,
       flag_enabled('TASK-123', '{"userId": null, "properties": {"plan": "pro"}}'::jsonb) AS null_user;

-- stored Unleash strategies (written directly by the owner)
SELECT flag_create('TASK-200');
UPDATE release.flags SET enabled = true, strategies = '[]' WHERE key = 'TASK-200';
SELECT flag_enabled('TASK-200') AS empty_list_is_on;
UPDATE release.flags SET strategies = '[{"name": "userWithId", "parameters": {"userIds": "alice, bob,carol"}}]'
 WHERE key = 'TASK-200';
SELECT flag_enabled('TASK-200', 'alice') AS alice, flag_enabled('TASK-200', 'bob') AS bob,
       flag_enabled('TASK-200', 'carol') AS carol, flag_enabled('TASK-200', 'dave') AS dave,
       flag_enabled('TASK-200') AS nobody;
-- strategies are OR-ed; an unknown strategy is false
UPDATE release.flags SET strategies = '[{"name": "noSuchStrategy"},
    {"name": "gradualRolloutUserId", "parameters": {"percentage": "10", "groupId": "TASK-123"}}]'
 WHERE key = 'TASK-200';
SELECT flag_enabled('TASK-200', '2') AS user_2_via_group, flag_enabled('TASK-200', '1') AS user_1;
SELECT count(*) AS disagreements FROM generate_series(1, 2000) g
 WHERE flag_enabled('TASK-200', g::text) <> flag_enabled('TASK-123', g::text);
-- sessionId rollout ignores userId; custom stickiness reads context.properties
UPDATE release.flags SET strategies = '[{"name": "gradualRolloutSessionId", "parameters": {"percentage": "10", "groupId": "TASK-123"}}]'
 WHERE key = 'TASK-200';
SELECT flag_enabled('TASK-200', '2') AS user_only, flag_enabled('TASK-200', '{"sessionId": 2}'::jsonb) AS session_2;
UPDATE release.flags SET strategies = '[{"name": "flexibleRollout", "parameters": {"rollout": 10, "stickiness": "tenant", "groupId": "TASK-123"}}]'
 WHERE key = 'TASK-200';
SELECT flag_enabled('TASK-200', '{"userId": "1", "properties": {"tenant": "2"}}'::jsonb) AS tenant_2,
       flag_enabled('TASK-200', '{"userId": "2", "properties": {"tenant": "1"}}'::jsonb) AS tenant_1,
       flag_enabled('TASK-200', '{"userId": "2"}'::jsonb) AS no_tenant;
-- a switched-off flag ignores its strategies
UPDATE release.flags SET enabled = false, strategies = '[{"name": "default"}]' WHERE key = 'TASK-200';
SELECT flag_enabled('TASK-200') AS disabled;

-- a change is visible to the same transaction, and gone after rollback
BEGIN;
SELECT flag_enable('TASK-200');
SELECT flag_enabled('TASK-200') AS inside_transaction;
ROLLBACK;
SELECT flag_enabled('TASK-200') AS after_rollback;
-- ... and with a savepoint rolled back
BEGIN;
SAVEPOINT s;
SELECT flag_enable('TASK-200');
SELECT flag_enabled('TASK-200') AS inside_savepoint;
ROLLBACK TO SAVEPOINT s;
SELECT flag_enabled('TASK-200') AS after_savepoint_rollback;
COMMIT;

-- works in read-only transactions
BEGIN READ ONLY;
SELECT flag_enabled('TASK-123', '2') AS read_only_user_2;
COMMIT;

-- flag key per row (a join) resolves each key
SELECT k, flag_enabled(k, '2') FROM (VALUES ('TASK-123'), ('TASK-200'), ('NOPE'), ('TASK-123')) v(k);

-- parallel workers evaluate the same way as the leader
CREATE TABLE users AS SELECT g AS uid FROM generate_series(1, 20000) g;
ANALYZE users;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT count(*) FROM users WHERE flag_enabled('TASK-123', uid::text);
SELECT count(*) AS parallel_count FROM users WHERE flag_enabled('TASK-123', uid::text);
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS serial_count FROM users WHERE flag_enabled('TASK-123', uid::text);
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- the functions are STABLE and PARALLEL SAFE
SELECT p.oid::regprocedure, p.provolatile, p.proparallel, p.proisstrict
  FROM pg_proc p WHERE p.proname = 'flag_enabled' ORDER BY p.oid::regprocedure::text;

DROP TABLE users;
DROP EXTENSION pg_release;
