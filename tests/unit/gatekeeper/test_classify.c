/*-------------------------------------------------------------------------
 *
 * test_classify.c
 *		cmocka suite for the classifier: for every rule at least one risky
 *		and one safe migration, asserting verdict, rule id and lock mode;
 *		plus the transaction and lock_timeout state machine.
 *
 *-------------------------------------------------------------------------
 */
#include "gk_test.h"

#define LT "SET lock_timeout = '2s';\n"

/* ---------------------------------------------------------------- lock_timeout */

static void
lock_timeout__alter_without_timeout__risky_access_exclusive(void **state)
{
	gk_case		c;

	gk_case_run(&c, "ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_risky(&c, 0, "missing-lock-timeout");
	gk_assert_lock(&c, 0, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
lock_timeout__set_before_alter__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_safe(&c, 1);
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
lock_timeout__integer_milliseconds__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "SET lock_timeout = 2000; ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
lock_timeout__one_minute__risky_too_long(void **state)
{
	gk_case		c;

	gk_case_run(&c, "SET lock_timeout = '1min'; ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_risky(&c, 1, "missing-lock-timeout");
	gk_case_free(&c);
}

static void
lock_timeout__reset_after_set__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "RESET lock_timeout; ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_risky(&c, 2, "missing-lock-timeout");
	gk_case_free(&c);
}

static void
lock_timeout__set_to_default__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "SET lock_timeout TO DEFAULT; ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_risky(&c, 2, "missing-lock-timeout");
	gk_case_free(&c);
}

static void
lock_timeout__set_local_in_transaction__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "SET LOCAL lock_timeout = '2s'; ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
lock_timeout__set_local_gone_after_commit__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "BEGIN; SET LOCAL lock_timeout = '2s'; COMMIT;\n"
				"ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_risky(&c, 2, "early-commit");
	gk_assert_risky(&c, 3, "missing-lock-timeout");
	gk_case_free(&c);
}

static void
lock_timeout__session_set_survives_commit__safe_alter(void **state)
{
	gk_case		c;

	gk_case_run(&c, "BEGIN; SET lock_timeout = '2s'; COMMIT;\n"
				"ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_no_rule(&c, 3, "missing-lock-timeout");
	gk_case_free(&c);
}

static void
lock_timeout__rollback_undoes_session_set__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "BEGIN; SET lock_timeout = '2s'; ROLLBACK;\n"
				"ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_risky(&c, 3, "missing-lock-timeout");
	gk_case_free(&c);
}

static void
lock_timeout__set_config_session__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "SELECT set_config('lock_timeout', '3s', false);\n"
				"ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
lock_timeout__set_config_zero__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "SELECT set_config('lock_timeout', '0', true);\n"
				"ALTER TABLE users ADD COLUMN bio text;");
	gk_assert_risky(&c, 2, "missing-lock-timeout");
	gk_case_free(&c);
}

static void
lock_timeout__set_config_inside_do__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "DO $$ BEGIN PERFORM set_config('lock_timeout', '2s', false); END $$;\n"
				"ALTER TABLE users ADD COLUMN bio text;");
	assert_int_equal(c.result.nresults, 3);
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
lock_timeout__new_table__safe_without_timeout(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE notes (id bigint);\n"
				"ALTER TABLE notes ADD COLUMN body text;\n"
				"CREATE INDEX notes_body ON notes (body);");
	gk_assert_safe(&c, 0);
	gk_assert_safe(&c, 1);
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
lock_timeout__new_table_references_existing__risky_share_row_exclusive(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE orders (id bigint, user_id bigint REFERENCES users (id));");
	gk_assert_risky(&c, 0, "missing-lock-timeout");
	gk_assert_lock(&c, 0, GK_LOCK_SHARE_ROW_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
lock_timeout__create_trigger__risky_share_row_exclusive(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f();");
	gk_assert_risky(&c, 0, "missing-lock-timeout");
	gk_assert_lock(&c, 0, GK_LOCK_SHARE_ROW_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
lock_timeout__set_statistics__safe_share_update_exclusive(void **state)
{
	gk_case		c;

	gk_case_run(&c, "ALTER TABLE users ALTER COLUMN email SET STATISTICS 500;");
	gk_assert_safe(&c, 0);
	gk_assert_lock(&c, 0, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, "users");
	gk_case_free(&c);
}

/* ---------------------------------------------------------------- indexes */

static void
create_index__existing_table__risky_share_lock(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "CREATE INDEX users_email ON users (email);");
	gk_assert_risky(&c, 1, "create-index-not-concurrently");
	gk_assert_lock(&c, 1, GK_LOCK_SHARE, "users");
	assert_true(gk_case_stmt(&c, 1)->scan);
	gk_case_free(&c);
}

static void
create_index__concurrently_alone__safe_autocommit(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "CREATE INDEX CONCURRENTLY users_email ON users (email);");
	assert_int_equal(c.result.mode, GK_MODE_AUTOCOMMIT);
	gk_assert_safe(&c, 1);
	gk_assert_lock(&c, 1, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
create_index__on_only_partitioned_parent__safe_no_scan(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "CREATE INDEX events_at ON ONLY events (at);");
	gk_assert_no_rule(&c, 1, "create-index-not-concurrently");
	gk_assert_lock(&c, 1, GK_LOCK_SHARE, "events");
	gk_case_free(&c);
}

static void
reindex__plain__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "REINDEX TABLE users;");
	gk_assert_risky(&c, 1, "reindex-not-concurrently");
	gk_assert_lock(&c, 1, GK_LOCK_SHARE, "users");
	gk_case_free(&c);
}

static void
reindex__concurrently__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "REINDEX TABLE CONCURRENTLY users;");
	gk_assert_safe(&c, 0);
	assert_int_equal(c.result.mode, GK_MODE_AUTOCOMMIT);
	gk_case_free(&c);
}

/* ---------------------------------------------------------------- transaction mode */

static void
txn_mode__concurrently_mixed_with_ddl__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "CREATE INDEX CONCURRENTLY users_email ON users (email);\n"
				"ALTER TABLE users ADD COLUMN bio text;");
	assert_int_equal(c.result.mode, GK_MODE_TRANSACTION);
	gk_assert_risky(&c, 1, "non-transactional-in-transaction");
	gk_case_free(&c);
}

static void
txn_mode__concurrently_wrapped_in_begin__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "BEGIN;\nCREATE INDEX CONCURRENTLY users_email ON users (email);\nCOMMIT;");
	gk_assert_risky(&c, 1, "non-transactional-in-transaction");
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
txn_mode__concurrently_inside_do__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "DO $$ BEGIN EXECUTE 'CREATE INDEX CONCURRENTLY i ON users (email)'; END $$;");
	assert_int_equal(c.result.nresults, 2);
	gk_assert_risky(&c, 1, "non-transactional-in-transaction");
	gk_case_free(&c);
}

static void
txn_mode__concurrent_drop_create_and_vacuum__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "DROP INDEX CONCURRENTLY users_email_old;\n"
				"CREATE UNIQUE INDEX CONCURRENTLY users_email_new ON users (email);\n"
				"VACUUM (ANALYZE) users;");
	assert_int_equal(c.result.mode, GK_MODE_AUTOCOMMIT);
	gk_assert_safe(&c, 1);
	gk_assert_safe(&c, 2);
	gk_assert_safe(&c, 3);
	assert_false(c.result.risky);
	gk_case_free(&c);
}

static void
txn_mode__vacuum_in_transaction_file__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE n (id bigint);\nVACUUM users;");
	gk_assert_risky(&c, 1, "non-transactional-in-transaction");
	gk_case_free(&c);
}

static void
early_commit__commit_mid_file__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN a text;\nCOMMIT;\nALTER TABLE users ADD COLUMN b text;");
	gk_assert_risky(&c, 2, "early-commit");
	gk_case_free(&c);
}

static void
early_commit__begin_commit_around_file__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "BEGIN;\n" LT "ALTER TABLE users ADD COLUMN a text;\nCOMMIT;");
	gk_assert_safe(&c, 0);
	gk_assert_safe(&c, 3);
	assert_false(c.result.risky);
	gk_case_free(&c);
}

static void
early_commit__commit_inside_do__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "DO $$ BEGIN UPDATE users SET a = 1 WHERE id = 1; COMMIT; END $$;");
	assert_int_equal(c.result.nresults, 3);
	gk_assert_risky(&c, 2, "early-commit");
	gk_case_free(&c);
}

/* ---------------------------------------------------------------- constraints */

static void
add_constraint__foreign_key_validated__risky_share_row_exclusive_both(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE orders ADD CONSTRAINT orders_user_fk "
				"FOREIGN KEY (user_id) REFERENCES users (id);");
	gk_assert_risky(&c, 1, "add-constraint-validates");
	gk_assert_lock(&c, 1, GK_LOCK_SHARE_ROW_EXCLUSIVE, "orders");
	gk_assert_lock(&c, 1, GK_LOCK_SHARE_ROW_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
add_constraint__foreign_key_not_valid__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE orders ADD CONSTRAINT orders_user_fk "
				"FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;");
	gk_assert_safe(&c, 1);
	gk_assert_lock(&c, 1, GK_LOCK_SHARE_ROW_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
add_constraint__check_validated__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0);");
	gk_assert_risky(&c, 1, "add-constraint-validates");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
add_constraint__check_not_valid__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0) NOT VALID;");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
add_unique__builds_index__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);");
	gk_assert_risky(&c, 1, "add-unique-builds-index");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
add_unique__using_index__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
validate__after_not_valid_same_file__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
				"ALTER TABLE orders VALIDATE CONSTRAINT fk;");
	gk_assert_risky(&c, 2, "validate-in-same-transaction");
	gk_assert_lock(&c, 2, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, "orders");
	gk_case_free(&c);
}

static void
validate__alone__safe_share_update_exclusive(void **state)
{
	gk_case		c;

	gk_case_run(&c, "ALTER TABLE orders VALIDATE CONSTRAINT fk;");
	gk_assert_safe(&c, 0);
	gk_assert_lock(&c, 0, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, "orders");
	gk_case_free(&c);
}

static void
validate__after_not_valid_autocommit_split__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;");
	gk_assert_safe(&c, 1);
	gk_case_next_file(&c, "ALTER TABLE orders VALIDATE CONSTRAINT fk;");
	gk_assert_safe(&c, 0);
	gk_case_free(&c);
}

static void
lock_held__backfill_after_alter__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN score int;\n"
				"UPDATE users SET score = 0 WHERE id BETWEEN 1 AND 1000;");
	gk_assert_risky(&c, 2, "lock-held-during-scan");
	gk_assert_no_rule(&c, 2, "unbatched-update");
	gk_case_free(&c);
}

static void
lock_held__batched_backfill_alone__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "UPDATE users SET score = 0 WHERE id BETWEEN 1 AND 1000;");
	gk_assert_safe(&c, 0);
	gk_assert_lock(&c, 0, GK_LOCK_ROW_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
set_not_null__no_check__risky_scan(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ALTER COLUMN email SET NOT NULL;");
	gk_assert_risky(&c, 1, "set-not-null-scans");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
set_not_null__validated_check_earlier_files__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;");
	gk_assert_safe(&c, 1);
	gk_case_next_file(&c, "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;");
	gk_assert_safe(&c, 0);
	gk_case_next_file(&c, LT "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
					  "ALTER TABLE users DROP CONSTRAINT users_email_nn;");
	gk_assert_safe(&c, 1);
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
set_not_null__validated_check_pg11__risky(void **state)
{
	gk_case		c;
	gk_options	o;

	gk_options_init(&o);
	o.pg_version = 11;
	gk_case_run_opts(&c, LT "ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL);\n", &o);
	assert_int_equal(c.rc, 0);
	gk_case_next_file(&c, LT "ALTER TABLE users ALTER COLUMN email SET NOT NULL;");
	gk_assert_risky(&c, 1, "set-not-null-scans");
	gk_case_free(&c);
}

static void
attach_partition__no_check__risky_access_exclusive_partition(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');");
	gk_assert_risky(&c, 1, "attach-partition-scans");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "events_2024");
	gk_assert_lock(&c, 1, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, "events");
	gk_case_free(&c);
}

static void
attach_partition__validated_check__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE events_2024 ADD CONSTRAINT bound CHECK (at >= '2024-01-01' AND at < '2025-01-01') NOT VALID;");
	gk_case_next_file(&c, "ALTER TABLE events_2024 VALIDATE CONSTRAINT bound;");
	gk_case_next_file(&c, LT "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
detach_partition__existing__risky_data_loss(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE events DETACH PARTITION events_2020;");
	gk_assert_risky(&c, 1, "detach-partition");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "events");
	assert_true(gk_case_stmt(&c, 1)->data_loss);
	gk_case_free(&c);
}

static void
detach_partition__created_in_same_file__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "CREATE TABLE events_tmp PARTITION OF events FOR VALUES FROM (1) TO (2);\n"
				"ALTER TABLE events DETACH PARTITION events_tmp;");
	gk_assert_no_rule(&c, 2, "detach-partition");
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

/* ---------------------------------------------------------------- columns */

static void
add_column__not_null_without_default__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN level int NOT NULL;");
	gk_assert_risky(&c, 1, "add-column-not-null-scans");
	gk_case_free(&c);
}

static void
add_column__not_null_constant_default__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN level int NOT NULL DEFAULT 0;");
	gk_assert_safe(&c, 1);
	assert_false(gk_case_stmt(&c, 1)->rewrite);
	gk_case_free(&c);
}

static void
add_column__volatile_default__risky_rewrite(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();");
	gk_assert_risky(&c, 1, "add-column-rewrite");
	assert_true(gk_case_stmt(&c, 1)->rewrite);
	gk_case_free(&c);
}

static void
add_column__now_default__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now();\n"
				"ALTER TABLE users ADD COLUMN seen2 timestamptz DEFAULT CURRENT_TIMESTAMP;");
	gk_assert_safe(&c, 1);
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
add_column__identity__risky_rewrite(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;");
	gk_assert_risky(&c, 1, "add-column-rewrite");
	gk_case_free(&c);
}

static void
add_column__serial__risky_rewrite(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN n bigserial;");
	gk_assert_risky(&c, 1, "add-column-rewrite");
	gk_case_free(&c);
}

static void
add_column__stored_generated__risky_rewrite(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN lower_email text GENERATED ALWAYS AS (lower(email)) STORED;");
	gk_assert_risky(&c, 1, "add-column-rewrite");
	gk_case_free(&c);
}

static void
add_column__constant_default_pg10__risky_rewrite(void **state)
{
	gk_case		c;
	gk_options	o;

	gk_options_init(&o);
	o.pg_version = 10;
	gk_case_run_opts(&c, LT "ALTER TABLE users ADD COLUMN level int DEFAULT 0;", &o);
	assert_int_equal(c.rc, 0);
	gk_assert_risky(&c, 1, "add-column-rewrite");
	gk_case_free(&c);
}

static void
alter_type__int_to_bigint_known__risky_rewrite(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE items (id int, name varchar(50));");
	gk_case_next_file(&c, LT "ALTER TABLE items ALTER COLUMN id TYPE bigint;");
	gk_assert_risky(&c, 1, "alter-column-type-rewrite");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "items");
	gk_case_free(&c);
}

static void
alter_type__varchar_widening_known__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE items (id bigint, name varchar(50));");
	gk_case_next_file(&c, LT "ALTER TABLE items ALTER COLUMN name TYPE varchar(100);\n"
					  "ALTER TABLE items ALTER COLUMN name TYPE text;");
	gk_assert_safe(&c, 1);
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
alter_type__varchar_shrinking_known__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE items (id bigint, name varchar(50));");
	gk_case_next_file(&c, LT "ALTER TABLE items ALTER COLUMN name TYPE varchar(20);");
	gk_assert_risky(&c, 1, "alter-column-type-rewrite");
	gk_case_free(&c);
}

static void
alter_type__numeric_precision_growth__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE prices (amount numeric(10,2));");
	gk_case_next_file(&c, LT "ALTER TABLE prices ALTER COLUMN amount TYPE numeric(12,2);");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
alter_type__using_clause__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ALTER COLUMN age TYPE text USING age::text;");
	gk_assert_risky(&c, 1, "alter-column-type-rewrite");
	gk_case_free(&c);
}

static void
table_rewrite__set_unlogged__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users SET UNLOGGED;");
	gk_assert_risky(&c, 1, "table-rewrite");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
table_rewrite__set_fillfactor__safe_share_update_exclusive(void **state)
{
	gk_case		c;

	gk_case_run(&c, "ALTER TABLE users SET (fillfactor = 70);");
	gk_assert_safe(&c, 0);
	gk_assert_lock(&c, 0, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, "users");
	gk_case_free(&c);
}

/* ---------------------------------------------------------------- rewrites and data */

static void
cluster__existing__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "CLUSTER users USING users_pkey;");
	gk_assert_risky(&c, 1, "cluster");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
cluster__new_table__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE n (id bigint);\nCREATE INDEX n_id ON n (id);\nCLUSTER n USING n_id;");
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
vacuum_full__existing__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "VACUUM FULL users;");
	gk_assert_risky(&c, 1, "vacuum-full");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
vacuum_full__plain_vacuum__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "VACUUM (VERBOSE) users;");
	gk_assert_safe(&c, 0);
	gk_assert_lock(&c, 0, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
refresh_matview__plain__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "REFRESH MATERIALIZED VIEW stats;");
	gk_assert_risky(&c, 1, "refresh-matview-not-concurrently");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "stats");
	gk_case_free(&c);
}

static void
refresh_matview__concurrently__safe_exclusive(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "REFRESH MATERIALIZED VIEW CONCURRENTLY stats;");
	gk_assert_safe(&c, 1);
	gk_assert_lock(&c, 1, GK_LOCK_EXCLUSIVE, "stats");
	gk_case_free(&c);
}

static void
truncate__existing__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "TRUNCATE users;");
	gk_assert_risky(&c, 1, "truncate");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	assert_true(gk_case_stmt(&c, 1)->data_loss);
	gk_case_free(&c);
}

static void
truncate__new_table__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE staging (id bigint);\nTRUNCATE staging;");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
delete__with_where__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "DELETE FROM users WHERE id = 42;");
	gk_assert_risky(&c, 0, "delete-rows");
	gk_assert_lock(&c, 0, GK_LOCK_ROW_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
delete__new_table__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE staging (id bigint);\nINSERT INTO staging VALUES (1);\n"
				"DELETE FROM staging WHERE id = 1;");
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
update__no_where__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "UPDATE users SET active = true;");
	gk_assert_risky(&c, 0, "unbatched-update");
	gk_case_free(&c);
}

static void
update__is_null_backfill__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "UPDATE users SET score = 0 WHERE score IS NULL;");
	gk_assert_risky(&c, 0, "unbatched-update");
	gk_case_free(&c);
}

static void
update__limited_subquery__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "UPDATE users SET score = 0 WHERE id IN (SELECT id FROM users WHERE score IS NULL LIMIT 1000);\n"
				"UPDATE users SET name = 'x' WHERE id = 7;");
	gk_assert_safe(&c, 0);
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

/* ---------------------------------------------------------------- removals and renames */

static void
drop_table__existing__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "DROP TABLE IF EXISTS legacy;");
	gk_assert_risky(&c, 1, "drop-object");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "legacy");
	gk_case_free(&c);
}

static void
drop_table__created_in_same_file__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE tmp (id bigint);\nDROP TABLE tmp;");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
drop_function__existing__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "DROP FUNCTION old_score(int);");
	gk_assert_risky(&c, 0, "drop-object");
	gk_case_free(&c);
}

static void
drop_column__existing__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users DROP COLUMN nickname;");
	gk_assert_risky(&c, 1, "drop-column");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
drop_column__added_in_same_file__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN tmp int;\nALTER TABLE users DROP COLUMN tmp;");
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
drop_constraint__primary_key__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users DROP CONSTRAINT users_pkey;");
	gk_assert_risky(&c, 1, "drop-constraint");
	gk_case_free(&c);
}

static void
drop_constraint__check__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users DROP CONSTRAINT users_age_check;");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
drop_index__known_unique__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE t (id bigint);\nCREATE UNIQUE INDEX t_code ON t (id);");
	gk_case_next_file(&c, "DROP INDEX CONCURRENTLY t_code;");
	gk_assert_risky(&c, 0, "drop-constraint");
	gk_case_free(&c);
}

static void
drop_index__plain_concurrently__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "DROP INDEX CONCURRENTLY users_created_idx;");
	gk_assert_safe(&c, 0);
	gk_case_free(&c);
}

static void
rename_table__no_view__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users RENAME TO accounts;");
	gk_assert_risky(&c, 1, "rename-object");
	gk_assert_lock(&c, 1, GK_LOCK_ACCESS_EXCLUSIVE, "users");
	gk_case_free(&c);
}

static void
rename_table__compatibility_view__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;");
	gk_assert_safe(&c, 1);
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
rename_column__existing__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users RENAME COLUMN email TO mail;");
	gk_assert_risky(&c, 1, "rename-column");
	gk_case_free(&c);
}

static void
rename_column__added_in_same_file__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN mial text;\nALTER TABLE users RENAME COLUMN mial TO mail;");
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

static void
rename_index__existing__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "ALTER INDEX users_email RENAME TO users_email_idx;");
	gk_assert_safe(&c, 0);
	gk_assert_lock(&c, 0, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, "users_email");
	gk_case_free(&c);
}

static void
set_schema__existing__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users SET SCHEMA archive;");
	gk_assert_risky(&c, 1, "rename-object");
	gk_case_free(&c);
}

static void
enum_rename__existing__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';");
	gk_assert_risky(&c, 0, "enum-rename-value");
	gk_case_free(&c);
}

static void
enum_rename__new_type__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TYPE mood AS ENUM ('sad', 'ok');\nALTER TYPE mood RENAME VALUE 'sad' TO 'blue';");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
enum_add__used_in_same_transaction__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "ALTER TYPE mood ADD VALUE 'meh';\nUPDATE users SET mood = 'meh' WHERE id = 1;");
	gk_assert_safe(&c, 0);
	gk_assert_risky(&c, 1, "enum-add-value-in-transaction");
	gk_case_free(&c);
}

static void
enum_add__alone__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'ok';");
	gk_assert_safe(&c, 0);
	gk_case_free(&c);
}

static void
enum_add__pg11_in_transaction__risky(void **state)
{
	gk_case		c;
	gk_options	o;

	gk_options_init(&o);
	o.pg_version = 11;
	gk_case_run_opts(&c, "ALTER TYPE mood ADD VALUE 'meh';", &o);
	assert_int_equal(c.rc, 0);
	gk_assert_risky(&c, 0, "enum-add-value-in-transaction");
	gk_case_free(&c);
}

static void
revoke__existing_table__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "REVOKE SELECT ON users FROM reporting;");
	gk_assert_risky(&c, 0, "revoke");
	gk_case_free(&c);
}

static void
revoke__grant_instead__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "GRANT SELECT ON users TO reporting;\n"
				"CREATE TABLE n (id bigint);\nREVOKE ALL ON n FROM PUBLIC;");
	gk_assert_safe(&c, 0);
	gk_assert_safe(&c, 2);
	gk_case_free(&c);
}

/* ---------------------------------------------------------------- DO and EXECUTE */

static void
dynamic_sql__unresolvable_execute__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "DO $$ DECLARE q text := 'x'; BEGIN EXECUTE q; END $$;");
	assert_int_equal(c.result.nresults, 2);
	gk_assert_risky(&c, 1, "dynamic-sql-unresolved");
	gk_case_free(&c);
}

static void
dynamic_sql__literal_execute__classified_inside(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD COLUMN a text'; "
				"EXECUTE 'CREATE INDEX users_a ON users (a)'; END $$;");
	assert_int_equal(c.result.nresults, 4);
	gk_assert_safe(&c, 2);
	gk_assert_risky(&c, 3, "create-index-not-concurrently");
	gk_case_free(&c);
}

static void
dynamic_sql__ddl_in_do_body__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "DO $$\nBEGIN\n  IF true THEN\n    DROP TABLE legacy;\n  END IF;\nEND $$;");
	assert_int_equal(c.result.nresults, 2);
	gk_assert_risky(&c, 1, "drop-object");
	assert_int_equal(gk_case_stmt(&c, 1)->stmt->line, 4);
	gk_case_free(&c);
}

/* ---------------------------------------------------------------- notes and allows */

static void
notes__style_advice__never_risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE n (id int PRIMARY KEY, name varchar(20), at timestamp);");
	gk_assert_safe(&c, 0);
	assert_non_null(gk_case_finding(&c, 0, "prefer-bigint"));
	assert_non_null(gk_case_finding(&c, 0, "prefer-text"));
	assert_non_null(gk_case_finding(&c, 0, "prefer-timestamptz"));
	assert_false(c.result.risky);
	gk_case_free(&c);
}

static void
notes__bigint_text_timestamptz__no_notes(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE n (id bigint PRIMARY KEY, name text, at timestamptz);");
	assert_int_equal(gk_case_stmt(&c, 0)->nfindings, 0);
	gk_case_free(&c);
}

static void
allow__directive_with_reason__safe_and_reason_kept(void **state)
{
	gk_case		c;
	const gk_finding *f;

	gk_case_run(&c, "-- gatekeeper:allow delete-rows removing the seed row added by V3\n"
				"DELETE FROM users WHERE id = 0;");
	f = gk_case_finding(&c, 0, "delete-rows");
	assert_non_null(f);
	assert_true(f->allowed);
	assert_string_equal(f->allow_reason, "removing the seed row added by V3");
	gk_assert_safe(&c, 0);
	assert_false(c.result.risky);
	gk_case_free(&c);
}

static void
allow__directive_other_rule__still_risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "-- gatekeeper:allow truncate wrong rule\nDELETE FROM users WHERE id = 0;");
	gk_assert_risky(&c, 0, "delete-rows");
	gk_case_free(&c);
}

static void
allow__command_line__safe(void **state)
{
	gk_case		c;
	gk_options	o;
	const char *allow[] = {"delete-rows"};

	gk_options_init(&o);
	o.allow = allow;
	o.nallow = 1;
	gk_case_run_opts(&c, "DELETE FROM users WHERE id = 0;", &o);
	assert_int_equal(c.rc, 0);
	gk_assert_safe(&c, 0);
	gk_case_free(&c);
}

static void
duration__units__parsed(void **state)
{
	long		ms;

	assert_true(gk_parse_duration_ms("2s", &ms));
	assert_int_equal(ms, 2000);
	assert_true(gk_parse_duration_ms("1500", &ms));
	assert_int_equal(ms, 1500);
	assert_true(gk_parse_duration_ms(" 1 min", &ms));
	assert_int_equal(ms, 60000);
	assert_true(gk_parse_duration_ms("250ms", &ms));
	assert_int_equal(ms, 250);
	assert_false(gk_parse_duration_ms("fast", &ms));
	assert_false(gk_parse_duration_ms("2 parsecs", &ms));
}

static void
revoke__function_defined_in_file__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
				"REVOKE ALL ON FUNCTION audit_row() FROM PUBLIC;");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
add_column__immutable_function_default__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, LT "ALTER TABLE users ADD COLUMN tag text DEFAULT md5('seed');");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
update__time_bound_against_now__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "UPDATE sessions SET expired = true WHERE expires_at < now() - interval '30 days';");
	gk_assert_safe(&c, 0);
	gk_case_free(&c);
}

static void
update__join_on_columns__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "UPDATE orders SET region = u.region FROM users u WHERE orders.user_id = u.id;");
	gk_assert_risky(&c, 0, "unbatched-update");
	gk_case_free(&c);
}

static void
drop_role__existing__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "DROP ROLE legacy_app;");
	gk_assert_risky(&c, 0, "drop-object");
	gk_case_free(&c);
}

static void
select_into__new_table_indexed__safe(void **state)
{
	gk_case		c;

	gk_case_run(&c, "SELECT * INTO users_copy FROM users;\nCREATE INDEX users_copy_id ON users_copy (id);");
	gk_assert_safe(&c, 0);
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
early_commit__final_rollback__risky(void **state)
{
	gk_case		c;

	gk_case_run(&c, "BEGIN;\n" LT "ALTER TABLE users ADD COLUMN a text;\nROLLBACK;");
	gk_assert_risky(&c, 3, "early-commit");
	gk_case_free(&c);
}

static void
create_if_not_exists__table_from_earlier_file__stays_existing(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE users (id bigint PRIMARY KEY, email text);");
	gk_case_next_file(&c, LT "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);\n"
					  "CREATE INDEX users_email ON users (email);");
	gk_assert_risky(&c, 2, "create-index-not-concurrently");
	gk_case_free(&c);
}

static void
create_if_not_exists__unknown_table__new(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE TABLE IF NOT EXISTS audit (id bigint);\nCREATE INDEX audit_id ON audit (id);");
	gk_assert_safe(&c, 1);
	gk_case_free(&c);
}

static void
notes__concurrently_without_if_not_exists__note_only(void **state)
{
	gk_case		c;

	gk_case_run(&c, "CREATE INDEX CONCURRENTLY users_a ON users (a);\n"
				"CREATE INDEX CONCURRENTLY IF NOT EXISTS users_b ON users (b);\n"
				"DROP INDEX CONCURRENTLY users_old;");
	gk_assert_safe(&c, 0);
	assert_non_null(gk_case_finding(&c, 0, "prefer-if-not-exists"));
	assert_null(gk_case_finding(&c, 1, "prefer-if-not-exists"));
	assert_non_null(gk_case_finding(&c, 2, "prefer-if-not-exists"));
	assert_false(c.result.risky);
	gk_case_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lock_timeout__alter_without_timeout__risky_access_exclusive),
		cmocka_unit_test(lock_timeout__set_before_alter__safe),
		cmocka_unit_test(lock_timeout__integer_milliseconds__safe),
		cmocka_unit_test(lock_timeout__one_minute__risky_too_long),
		cmocka_unit_test(lock_timeout__reset_after_set__risky),
		cmocka_unit_test(lock_timeout__set_to_default__risky),
		cmocka_unit_test(lock_timeout__set_local_in_transaction__safe),
		cmocka_unit_test(lock_timeout__set_local_gone_after_commit__risky),
		cmocka_unit_test(lock_timeout__session_set_survives_commit__safe_alter),
		cmocka_unit_test(lock_timeout__rollback_undoes_session_set__risky),
		cmocka_unit_test(lock_timeout__set_config_session__safe),
		cmocka_unit_test(lock_timeout__set_config_zero__risky),
		cmocka_unit_test(lock_timeout__set_config_inside_do__safe),
		cmocka_unit_test(lock_timeout__new_table__safe_without_timeout),
		cmocka_unit_test(lock_timeout__new_table_references_existing__risky_share_row_exclusive),
		cmocka_unit_test(lock_timeout__create_trigger__risky_share_row_exclusive),
		cmocka_unit_test(lock_timeout__set_statistics__safe_share_update_exclusive),
		cmocka_unit_test(create_index__existing_table__risky_share_lock),
		cmocka_unit_test(create_index__concurrently_alone__safe_autocommit),
		cmocka_unit_test(create_index__on_only_partitioned_parent__safe_no_scan),
		cmocka_unit_test(reindex__plain__risky),
		cmocka_unit_test(reindex__concurrently__safe),
		cmocka_unit_test(txn_mode__concurrently_mixed_with_ddl__risky),
		cmocka_unit_test(txn_mode__concurrently_wrapped_in_begin__risky),
		cmocka_unit_test(txn_mode__concurrently_inside_do__risky),
		cmocka_unit_test(txn_mode__concurrent_drop_create_and_vacuum__safe),
		cmocka_unit_test(txn_mode__vacuum_in_transaction_file__risky),
		cmocka_unit_test(early_commit__commit_mid_file__risky),
		cmocka_unit_test(early_commit__begin_commit_around_file__safe),
		cmocka_unit_test(early_commit__commit_inside_do__risky),
		cmocka_unit_test(early_commit__final_rollback__risky),
		cmocka_unit_test(add_constraint__foreign_key_validated__risky_share_row_exclusive_both),
		cmocka_unit_test(add_constraint__foreign_key_not_valid__safe),
		cmocka_unit_test(add_constraint__check_validated__risky),
		cmocka_unit_test(add_constraint__check_not_valid__safe),
		cmocka_unit_test(add_unique__builds_index__risky),
		cmocka_unit_test(add_unique__using_index__safe),
		cmocka_unit_test(validate__after_not_valid_same_file__risky),
		cmocka_unit_test(validate__alone__safe_share_update_exclusive),
		cmocka_unit_test(validate__after_not_valid_autocommit_split__safe),
		cmocka_unit_test(lock_held__backfill_after_alter__risky),
		cmocka_unit_test(lock_held__batched_backfill_alone__safe),
		cmocka_unit_test(set_not_null__no_check__risky_scan),
		cmocka_unit_test(set_not_null__validated_check_earlier_files__safe),
		cmocka_unit_test(set_not_null__validated_check_pg11__risky),
		cmocka_unit_test(attach_partition__no_check__risky_access_exclusive_partition),
		cmocka_unit_test(attach_partition__validated_check__safe),
		cmocka_unit_test(detach_partition__existing__risky_data_loss),
		cmocka_unit_test(detach_partition__created_in_same_file__safe),
		cmocka_unit_test(add_column__not_null_without_default__risky),
		cmocka_unit_test(add_column__not_null_constant_default__safe),
		cmocka_unit_test(add_column__volatile_default__risky_rewrite),
		cmocka_unit_test(add_column__now_default__safe),
		cmocka_unit_test(add_column__identity__risky_rewrite),
		cmocka_unit_test(add_column__serial__risky_rewrite),
		cmocka_unit_test(add_column__stored_generated__risky_rewrite),
		cmocka_unit_test(add_column__constant_default_pg10__risky_rewrite),
		cmocka_unit_test(alter_type__int_to_bigint_known__risky_rewrite),
		cmocka_unit_test(alter_type__varchar_widening_known__safe),
		cmocka_unit_test(alter_type__varchar_shrinking_known__risky),
		cmocka_unit_test(alter_type__numeric_precision_growth__safe),
		cmocka_unit_test(alter_type__using_clause__risky),
		cmocka_unit_test(table_rewrite__set_unlogged__risky),
		cmocka_unit_test(table_rewrite__set_fillfactor__safe_share_update_exclusive),
		cmocka_unit_test(cluster__existing__risky),
		cmocka_unit_test(cluster__new_table__safe),
		cmocka_unit_test(vacuum_full__existing__risky),
		cmocka_unit_test(vacuum_full__plain_vacuum__safe),
		cmocka_unit_test(refresh_matview__plain__risky),
		cmocka_unit_test(refresh_matview__concurrently__safe_exclusive),
		cmocka_unit_test(truncate__existing__risky),
		cmocka_unit_test(truncate__new_table__safe),
		cmocka_unit_test(delete__with_where__risky),
		cmocka_unit_test(delete__new_table__safe),
		cmocka_unit_test(update__no_where__risky),
		cmocka_unit_test(update__is_null_backfill__risky),
		cmocka_unit_test(update__limited_subquery__safe),
		cmocka_unit_test(drop_table__existing__risky),
		cmocka_unit_test(drop_table__created_in_same_file__safe),
		cmocka_unit_test(drop_function__existing__risky),
		cmocka_unit_test(drop_column__existing__risky),
		cmocka_unit_test(drop_column__added_in_same_file__safe),
		cmocka_unit_test(drop_constraint__primary_key__risky),
		cmocka_unit_test(drop_constraint__check__safe),
		cmocka_unit_test(drop_index__known_unique__risky),
		cmocka_unit_test(drop_index__plain_concurrently__safe),
		cmocka_unit_test(rename_table__no_view__risky),
		cmocka_unit_test(rename_table__compatibility_view__safe),
		cmocka_unit_test(rename_column__existing__risky),
		cmocka_unit_test(rename_column__added_in_same_file__safe),
		cmocka_unit_test(rename_index__existing__safe),
		cmocka_unit_test(set_schema__existing__risky),
		cmocka_unit_test(enum_rename__existing__risky),
		cmocka_unit_test(enum_rename__new_type__safe),
		cmocka_unit_test(enum_add__used_in_same_transaction__risky),
		cmocka_unit_test(enum_add__alone__safe),
		cmocka_unit_test(enum_add__pg11_in_transaction__risky),
		cmocka_unit_test(revoke__existing_table__risky),
		cmocka_unit_test(revoke__grant_instead__safe),
		cmocka_unit_test(dynamic_sql__unresolvable_execute__risky),
		cmocka_unit_test(dynamic_sql__literal_execute__classified_inside),
		cmocka_unit_test(dynamic_sql__ddl_in_do_body__risky),
		cmocka_unit_test(notes__style_advice__never_risky),
		cmocka_unit_test(notes__bigint_text_timestamptz__no_notes),
		cmocka_unit_test(notes__concurrently_without_if_not_exists__note_only),
		cmocka_unit_test(allow__directive_with_reason__safe_and_reason_kept),
		cmocka_unit_test(allow__directive_other_rule__still_risky),
		cmocka_unit_test(allow__command_line__safe),
		cmocka_unit_test(duration__units__parsed),
		cmocka_unit_test(revoke__function_defined_in_file__safe),
		cmocka_unit_test(add_column__immutable_function_default__safe),
		cmocka_unit_test(update__time_bound_against_now__safe),
		cmocka_unit_test(update__join_on_columns__risky),
		cmocka_unit_test(drop_role__existing__risky),
		cmocka_unit_test(select_into__new_table_indexed__safe),
		cmocka_unit_test(create_if_not_exists__table_from_earlier_file__stays_existing),
		cmocka_unit_test(create_if_not_exists__unknown_table__new),
	};

	return cmocka_run_group_tests_name("gatekeeper classify", tests, NULL, NULL);
}
