-- visibility: a change committed in one session is seen by another session's
-- next statement (its cache is warm); an uncommitted or aborted one never
CREATE EXTENSION pg_release;
CREATE EXTENSION dblink;

SELECT dblink_connect('app', format('dbname=%s port=%s host=%s', current_database(),
       current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
CREATE FUNCTION pg_temp.app_sees(key text, uid text) RETURNS boolean LANGUAGE sql AS $$
	SELECT v FROM dblink('app', format('SELECT flag_enabled(%L, %L)', key, uid)) AS t(v boolean)
$$;

SELECT flag_create('TASK-123');
-- the other session warms its cache
SELECT pg_temp.app_sees('TASK-123', '2') AS app_before;

-- committed: visible at the other session's next statement
SELECT flag_enable('TASK-123');
SELECT pg_temp.app_sees('TASK-123', '2') AS app_after_enable;

-- uncommitted: invisible; rolled back: never visible
BEGIN;
SELECT flag_disable('TASK-123');
SELECT flag_enabled('TASK-123', '2') AS me_inside;
SELECT pg_temp.app_sees('TASK-123', '2') AS app_while_uncommitted;
ROLLBACK;
SELECT pg_temp.app_sees('TASK-123', '2') AS app_after_rollback;

-- the other session inside an explicit READ COMMITTED transaction sees the
-- commit at its next statement, and so does a REPEATABLE READ one (flags are
-- configuration: the kill switch acts at once, see docs/reference.md)
SELECT dblink_exec('app', 'BEGIN');
SELECT pg_temp.app_sees('TASK-123', '2') AS app_in_txn_before;
SELECT flag_disable('TASK-123');
SELECT pg_temp.app_sees('TASK-123', '2') AS app_in_txn_after;
SELECT dblink_exec('app', 'COMMIT');

SELECT dblink_exec('app', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT pg_temp.app_sees('TASK-123', '2') AS app_rr_before;
SELECT flag_set_rollout('TASK-123', 10);
SELECT pg_temp.app_sees('TASK-123', '2') AS app_rr_user_2, pg_temp.app_sees('TASK-123', '1') AS app_rr_user_1;
SELECT dblink_exec('app', 'COMMIT');

-- a read-only transaction in the other session evaluates fine
SELECT dblink_exec('app', 'BEGIN READ ONLY');
SELECT flag_enable('TASK-123');
SELECT pg_temp.app_sees('TASK-123', '1') AS app_read_only;
SELECT dblink_exec('app', 'COMMIT');

-- rows applied by logical replication (replica mode) invalidate caches too
SET session_replication_role = replica;
UPDATE release.flags SET enabled = false WHERE key = 'TASK-123';
RESET session_replication_role;
SELECT pg_temp.app_sees('TASK-123', '1') AS app_after_replica_mode_update;
SELECT flag_enable('TASK-123');

-- TRUNCATE fires the cache trigger too (CASCADE: guard policies refer to flags)
SET client_min_messages = warning;
TRUNCATE release.flags CASCADE;
RESET client_min_messages;
SELECT pg_temp.app_sees('TASK-123', '1') AS app_after_truncate;

-- DROP and CREATE EXTENSION in this session: the cache follows the new table
DROP EXTENSION pg_release;
CREATE EXTENSION pg_release;
SELECT flag_create('TASK-123');
SELECT flag_enable('TASK-123');
SELECT flag_enabled('TASK-123', '1') AS after_recreate;
SELECT pg_temp.app_sees('TASK-123', '1') AS app_after_recreate;

SELECT dblink_disconnect('app');
DROP EXTENSION dblink;
DROP EXTENSION pg_release;
