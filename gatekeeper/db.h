/*-------------------------------------------------------------------------
 *
 * db.h
 *		The gatekeeper's database access (libpq): the only module that talks
 *		to PostgreSQL.
 *
 * Like the rest of the library it never prints or exits: failures come back
 * as a message in the caller's buffer (or a gk_sql_error, which keeps the
 * server's SQLSTATE and error position).  Messages never contain the DSN,
 * which may hold a password.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEKEEPER_DB_H
#define GATEKEEPER_DB_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gk_db gk_db;

/* A stored alert waiting for delivery. */
typedef struct gk_alert
{
	long long	id;
	char	   *payload;		/* JSON text, malloc'd */
} gk_alert;

extern gk_db *db_connect(const char *dsn, char *errbuf, size_t errlen);
extern void db_close(gk_db *db);
extern bool db_listen(gk_db *db, const char *channel, char *errbuf, size_t errlen);
extern int	db_wait_notify(gk_db *db, int timeout_ms, char *errbuf, size_t errlen);
extern int	db_fetch_alerts(gk_db *db, gk_alert *out, int max, char *errbuf, size_t errlen);
extern bool db_mark_alert(gk_db *db, long long id, const char *failure,
						  char *errbuf, size_t errlen);
extern void db_free_alerts(gk_alert *alerts, int n);

/* ---- migration ledger and apply (gatekeeper apply, approve, reject, status) */

/* A server error, kept apart so the caller can say where it happened */
typedef struct gk_sql_error
{
	char		sqlstate[6];	/* empty when not from the server */
	char		message[1536];	/* primary message; detail and hint follow on new lines */
	int			position;		/* 1-based character in the statement, 0 if none */
	bool		connection_lost;
} gk_sql_error;

/* One row of release.migrations, as apply needs it */
typedef struct gk_ledger_row
{
	char	   *name;
	char		checksum[65];
	char		status[24];
	char		approved_checksum[65];	/* empty when none */
	char		note[512];
	char		decided_by[64];	/* approved_by or rejected_by */
	int			statements_done;
} gk_ledger_row;

/* An index left invalid (a failed CREATE INDEX CONCURRENTLY) */
typedef struct gk_invalid_index
{
	unsigned int oid;
	char		name[160];		/* schema-qualified, quoted as needed */
} gk_invalid_index;

extern gk_db *db_connect_app(const char *dsn, const char *application_name,
							  char *errbuf, size_t errlen);
/* the advisory lock key of gatekeeper apply: ASCII "gatkeepr" */
#define GK_APPLY_LOCK_KEY 7449363263258980466LL

extern int	db_release_schema(gk_db *db, char *schema, size_t len, gk_sql_error *err);
extern int	db_apply_lock(gk_db *db, int wait_s, char *holder, size_t holder_len,
						  gk_sql_error *err);
extern bool db_exec(gk_db *db, const char *sql, gk_sql_error *err);
extern bool db_in_transaction(gk_db *db);
extern bool db_set_timeouts(gk_db *db, bool local, long lock_timeout_ms,
							long statement_timeout_ms, gk_sql_error *err);
extern int	db_ledger_load(gk_db *db, gk_ledger_row **rows, gk_sql_error *err);
extern void db_ledger_free(gk_ledger_row *rows, int n);
extern bool db_migration_request(gk_db *db, const char *name, const char *checksum,
								 const char *verdict, const char *mode, const char *report,
								 char *status, size_t status_len, gk_sql_error *err);
extern int	db_migration_started(gk_db *db, const char *name, const char *checksum,
								 const char *verdict, const char *mode, const char *report,
								 gk_sql_error *err);
extern bool db_migration_progress(gk_db *db, const char *name, const char *checksum,
								  int done, gk_sql_error *err);
extern bool db_migration_applied(gk_db *db, const char *name, const char *checksum,
								 const char *verdict, const char *mode, const char *report,
								 gk_sql_error *err);
extern bool db_migration_failed(gk_db *db, const char *name, const char *checksum,
								const char *verdict, const char *mode, const char *report,
								const char *error, gk_sql_error *err);
extern bool db_migration_decide(gk_db *db, const char *schema, bool approve,
								const char *name, const char *checksum, const char *note,
								char *used, gk_sql_error *err);
extern char *db_migration_row_json(gk_db *db, const char *name, gk_sql_error *err);
extern char *db_migrations_json(gk_db *db, gk_sql_error *err);
extern int	db_relation_size(gk_db *db, const char *relation, long long *bytes,
							 gk_sql_error *err);
extern int	db_invalid_indexes(gk_db *db, gk_invalid_index **out, gk_sql_error *err);
extern int	db_index_valid(gk_db *db, const char *schema, const char *name,
						   char *qualified, size_t len, gk_sql_error *err);

/*
 * `gatekeeper serve`: the tracker webhooks and the release board.
 */

/* A query result as text: cells[row * ncols + col], NULL for SQL NULL. */
typedef struct gk_rows
{
	int			nrows;
	int			ncols;
	char	  **cells;
} gk_rows;

/* Why a statement failed: SQLSTATE and the server's message and detail. */
typedef struct gk_db_error
{
	char		sqlstate[6];
	char		message[512];
} gk_db_error;

extern gk_db *db_connect_as(const char *dsn, const char *user, const char *password,
							const char *application_name, bool require_password,
							char *errbuf, size_t errlen);
extern bool db_ok(gk_db *db);
extern const char *db_cell(const gk_rows *rows, int row, int col);
extern void db_rows_free(gk_rows *rows);
extern bool db_tracker_event(gk_db *db, const char *payload, char **key, gk_db_error *err);
extern bool db_board_flags(gk_db *db, gk_rows *rows, gk_db_error *err);
extern bool db_board_stats(gk_db *db, gk_rows *rows, gk_db_error *err);
extern bool db_board_history(gk_db *db, int per_flag, gk_rows *rows, gk_db_error *err);
extern bool db_enable_flags(gk_db *db, const char *keys_json, const char *note, gk_db_error *err);
extern bool db_set_rollout(gk_db *db, const char *key, int percent, const char *note,
						   gk_db_error *err);

extern bool db_board_role_allowed(gk_db *db, char *errbuf, size_t errlen);

#endif							/* GATEKEEPER_DB_H */
