-- no_preload: without shared_preload_libraries flags work and whatever
-- needs shared memory says so clearly
CREATE EXTENSION pg_release;
SELECT flag_create('TASK-1');
SELECT flag_set_rollout('TASK-1', 10);
SELECT flag_enabled('TASK-1', '2') AS user_2, flag_enabled('TASK-1', '1') AS user_1;
\set VERBOSITY default
SELECT flag_report('TASK-1', 10, 1);
SELECT flag_report('TASK-1', true);
SELECT * FROM flag_stats;
SELECT current_setting('shared_preload_libraries') AS preloaded;
DROP EXTENSION pg_release;
