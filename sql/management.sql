-- management: creating, switching, rolling out and archiving flags
CREATE EXTENSION pg_release;

-- a new flag is created disabled, with its tracker metadata
SELECT flag_create('TASK-123', 'OAuth login', 'feature/oauth-login', 'v1.2');
SELECT flag_create(key => 'TASK-456', description => 'Dark mode',
                   tracker_url => 'https://tracker.example/browse/TASK-456');
SELECT key, status, rollout, description, branch, release, tracker_url,
       created_by = session_user AS created_by_me
  FROM flag_list ORDER BY key;
SELECT key, enabled, strategies FROM release.flags ORDER BY key;

-- a canary: 10 % of users, sticky, group id = flag key
SELECT flag_set_rollout('TASK-123', 10);
SELECT key, status, rollout FROM flag_list ORDER BY key;
SELECT strategies FROM release.flags WHERE key = 'TASK-123';

-- raising the percentage keeps the same group: users are only added
SELECT flag_set_rollout('TASK-123', 25);
SELECT strategies->0->'parameters' FROM release.flags WHERE key = 'TASK-123';

-- "enable selected": both fully on, in one call
SELECT flag_enable('TASK-123', 'TASK-456');
SELECT key, status, rollout FROM flag_list ORDER BY key;
SELECT flag_enable(VARIADIC ARRAY['TASK-456']);

-- the kill switch keeps the targeting, only the switch goes off
SELECT flag_disable('TASK-123');
SELECT key, status, rollout, enabled, strategies->0->>'name' AS strategy
  FROM flag_list JOIN release.flags USING (key) ORDER BY key;
-- disabling twice is harmless
SELECT flag_disable('TASK-123');

-- rollout 0 switches the flag on for nobody (listed as off); 100 for everyone
SELECT flag_set_rollout('TASK-123', 0);
SELECT key, status, rollout FROM flag_list WHERE key = 'TASK-123';
SELECT flag_set_rollout('TASK-123', 100);
SELECT key, status, rollout FROM flag_list WHERE key = 'TASK-123';

-- updated_at/updated_by follow every change; created_* never move
UPDATE release.flags SET created_by = 'somebody', description = 'OAuth 2 login'
 WHERE key = 'TASK-123';
SELECT created_by = session_user AS created_by_kept, updated_by = session_user AS updated_by_me,
       updated_at >= created_at AS updated_after_created
  FROM release.flags WHERE key = 'TASK-123';

-- archiving retires a flag: off, listed last, evaluates as unknown; idempotent
SELECT flag_archive('TASK-456');
SELECT flag_archive('TASK-456');
SELECT key, status, rollout, archived_at IS NOT NULL AS archived FROM flag_list;
SELECT flag_enabled('TASK-456'), flag_enabled('TASK-456', 'u1');

-- richer targeting written directly shows as "targeted"
UPDATE release.flags SET strategies = '[{"name": "userWithId", "parameters": {"userIds": "1,2"}}]'
 WHERE key = 'TASK-123';
SELECT key, status, rollout FROM flag_list WHERE key = 'TASK-123';

-- flag data is dumped by pg_dump
SELECT 'release.flags'::regclass::oid = ANY (extconfig) AS flags_dumped
  FROM pg_extension WHERE extname = 'pg_release';
-- ... and so is every sequence behind a dumped table (ids go on after a restore)
SELECT s.oid::regclass AS undumped_sequence
  FROM pg_class s
  JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
  JOIN pg_extension e ON e.extname = 'pg_release'
 WHERE s.relkind = 'S' AND d.refobjid = ANY (e.extconfig) AND NOT s.oid = ANY (e.extconfig);

-- privileges: managing needs release_operator, evaluating needs nothing
CREATE ROLE regress_app;
CREATE ROLE regress_operator IN ROLE release_operator;
SET ROLE regress_app;
SELECT flag_create('TASK-789');
SELECT flag_enable('TASK-123');
SELECT count(*) FROM release.flags;
SELECT flag_enabled('TASK-123', '1') AS app_can_evaluate;
RESET ROLE;
SET ROLE regress_operator;
SELECT flag_create('TASK-789', 'created by an operator');
SELECT key, created_by = session_user AS by_login_role FROM release.flags WHERE key = 'TASK-789';
SELECT key, status FROM flag_list WHERE key = 'TASK-789';
RESET ROLE;

DROP EXTENSION pg_release;
DROP ROLE regress_app;
DROP ROLE regress_operator;
