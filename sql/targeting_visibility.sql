-- targeting_visibility: another session's warm cache follows committed
-- changes to segments and to dependency parents, never aborted ones
CREATE EXTENSION pg_release;
CREATE EXTENSION dblink;

SELECT dblink_connect('app', format('dbname=%s port=%s host=%s', current_database(),
       current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
CREATE FUNCTION pg_temp.app_sees(key text, context jsonb) RETURNS boolean LANGUAGE sql AS $$
	SELECT v FROM dblink('app', format('SELECT flag_enabled(%L, %L::jsonb)', key, context)) AS t(v boolean)
$$;

SELECT segment_create('vip', '[{"contextName": "userId", "operator": "IN", "values": ["ann"]}]') AS vip \gset
SELECT flag_create('TASK-SEG');
SELECT flag_set_strategies('TASK-SEG', format('[{"name": "default", "segments": [%s]}]', :vip)::jsonb);
-- the other session warms its cache
SELECT pg_temp.app_sees('TASK-SEG', '{"userId": "ann"}') AS ann_before,
	   pg_temp.app_sees('TASK-SEG', '{"userId": "bob"}') AS bob_before;

-- a committed segment change: visible at the other session's next statement
SELECT segment_set_constraints('vip', '[{"contextName": "userId", "operator": "IN", "values": ["bob"]}]');
SELECT pg_temp.app_sees('TASK-SEG', '{"userId": "ann"}') AS ann_after,
	   pg_temp.app_sees('TASK-SEG', '{"userId": "bob"}') AS bob_after;

-- an aborted one: never
BEGIN;
SELECT segment_set_constraints('vip', '[]');
SELECT flag_enabled('TASK-SEG', '{"userId": "ann"}'::jsonb) AS me_inside;
SELECT pg_temp.app_sees('TASK-SEG', '{"userId": "ann"}') AS app_while_uncommitted;
ROLLBACK;
SELECT pg_temp.app_sees('TASK-SEG', '{"userId": "ann"}') AS ann_after_rollback,
	   flag_enabled('TASK-SEG', '{"userId": "ann"}'::jsonb) AS me_after_rollback;

-- a parent switched off elsewhere turns the child off there too
SELECT flag_create('TASK-PARENT');
SELECT flag_enable('TASK-PARENT');
SELECT flag_create('TASK-CHILD');
SELECT flag_enable('TASK-CHILD');
SELECT flag_set_dependencies('TASK-CHILD', '[{"feature": "TASK-PARENT"}]');
SELECT pg_temp.app_sees('TASK-CHILD', '{}') AS child_before;
SELECT flag_disable('TASK-PARENT');
SELECT pg_temp.app_sees('TASK-CHILD', '{}') AS child_after_parent_off;

SELECT dblink_disconnect('app');
DROP EXTENSION dblink;
DROP EXTENSION pg_release;
