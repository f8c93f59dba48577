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

-- a segment cannot be deleted under a flag that is starting to use it:
-- the delete waits for the flag's transaction, then sees the new user
SELECT segment_create('beta', '[]') AS beta \gset
SELECT flag_create('TASK-RACE');
BEGIN;
SELECT flag_set_strategies('TASK-RACE', format('[{"name": "default", "segments": [%s]}]', :beta)::jsonb);
SELECT dblink_send_query('app', $$SELECT segment_delete('beta')$$);
SELECT pg_sleep(0.3);
SELECT dblink_is_busy('app') AS delete_waits;
COMMIT;
SELECT * FROM dblink_get_result('app', false) AS t(r text);
SELECT * FROM dblink_get_result('app', false) AS t(r text);
SELECT dblink_error_message('app') LIKE '%is used by feature flag "TASK-RACE"%' AS delete_refused;
SELECT count(*) AS beta_still_there FROM release.segments WHERE name = 'beta';

SELECT dblink_disconnect('app');
DROP EXTENSION dblink;
DROP EXTENSION pg_release;
