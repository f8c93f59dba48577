/*-------------------------------------------------------------------------
 *
 * db.h
 *		The gatekeeper's database access (libpq): the only module that talks
 *		to PostgreSQL.
 *
 * Like the rest of the library it never prints or exits: failures come back
 * as a message in the caller's buffer.  Messages never contain the DSN,
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

#endif							/* GATEKEEPER_DB_H */
