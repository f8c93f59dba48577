/*-------------------------------------------------------------------------
 *
 * db.c
 *		libpq access for the gatekeeper: connect, LISTEN, read and mark the
 *		guard's stored alerts.
 *
 * The only file of the gatekeeper that uses libpq.  Statements are fixed
 * text with parameters ($1, $2): nothing user-supplied is spliced into SQL.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"

struct gk_db
{
	PGconn	   *conn;
};

/* Copy a libpq message into errbuf, without the trailing newline. */
static void
db_set_error(char *errbuf, size_t errlen, const char *prefix, const char *msg)
{
	size_t		n;

	snprintf(errbuf, errlen, "%s%s", prefix, msg ? msg : "");
	n = strlen(errbuf);
	while (n > 0 && (errbuf[n - 1] == '\n' || errbuf[n - 1] == ' '))
		errbuf[--n] = '\0';
}

/* Connect; NULL with a message on failure.  The DSN is never echoed. */
gk_db *
db_connect(const char *dsn, char *errbuf, size_t errlen)
{
	gk_db	   *db;
	PGconn	   *conn = PQconnectdb(dsn ? dsn : "");

	if (conn == NULL)
	{
		db_set_error(errbuf, errlen, "out of memory connecting to the database", NULL);
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		db_set_error(errbuf, errlen, "could not connect to the database: ", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL)
	{
		PQfinish(conn);
		db_set_error(errbuf, errlen, "out of memory", NULL);
		return NULL;
	}
	db->conn = conn;
	return db;
}

void
db_close(gk_db *db)
{
	if (db == NULL)
		return;
	PQfinish(db->conn);
	free(db);
}

/* LISTEN on a channel (the name is a fixed identifier chosen by the caller). */
bool
db_listen(gk_db *db, const char *channel, char *errbuf, size_t errlen)
{
	char	   *ident = PQescapeIdentifier(db->conn, channel, strlen(channel));
	char		sql[256];
	PGresult   *res;
	bool		ok;

	if (ident == NULL)
	{
		db_set_error(errbuf, errlen, "LISTEN failed: ", PQerrorMessage(db->conn));
		return false;
	}
	snprintf(sql, sizeof(sql), "LISTEN %s", ident);
	PQfreemem(ident);
	res = PQexec(db->conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		db_set_error(errbuf, errlen, "LISTEN failed: ", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

/*
 * Wait up to timeout_ms for a notification.  1: one or more arrived (all
 * consumed), 0: timeout or interrupted by a signal, -1: the connection is
 * broken (message in errbuf).
 */
int
db_wait_notify(gk_db *db, int timeout_ms, char *errbuf, size_t errlen)
{
	struct pollfd pfd;
	PGnotify   *n;
	int			got = 0;
	int			rc;

	/* notifications may already be buffered from an earlier result */
	while ((n = PQnotifies(db->conn)) != NULL)
	{
		PQfreemem(n);
		got = 1;
	}
	if (got)
		return 1;

	pfd.fd = PQsocket(db->conn);
	pfd.events = POLLIN;
	if (pfd.fd < 0)
	{
		db_set_error(errbuf, errlen, "connection lost", NULL);
		return -1;
	}
	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0)
	{
		if (errno == EINTR)
			return 0;
		db_set_error(errbuf, errlen, "poll failed: ", strerror(errno));
		return -1;
	}
	if (rc == 0)
		return 0;
	if (!PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK)
	{
		db_set_error(errbuf, errlen, "connection lost: ", PQerrorMessage(db->conn));
		return -1;
	}
	while ((n = PQnotifies(db->conn)) != NULL)
	{
		PQfreemem(n);
		got = 1;
	}
	return got;
}

/*
 * Read up to max undelivered alerts, oldest first.  Returns how many, or -1
 * with a message (also when pg_release is not installed).
 */
int
db_fetch_alerts(gk_db *db, gk_alert *out, int max, char *errbuf, size_t errlen)
{
	char		limit[16];
	const char *params[1];
	PGresult   *res;
	int			n;
	int			i;

	snprintf(limit, sizeof(limit), "%d", max);
	params[0] = limit;
	res = PQexecParams(db->conn,
					   "SELECT id, payload::text FROM release.alerts "
					   "WHERE delivered_at IS NULL ORDER BY id LIMIT $1::int",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		if (state && strcmp(state, "42P01") == 0)
			db_set_error(errbuf, errlen,
						 "pg_release is not installed in this database (no release.alerts table)", NULL);
		else
			db_set_error(errbuf, errlen, "reading alerts failed: ", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++)
	{
		out[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		out[i].payload = strdup(PQgetvalue(res, i, 1));
		if (out[i].payload == NULL)
		{
			db_free_alerts(out, i);
			PQclear(res);
			db_set_error(errbuf, errlen, "out of memory", NULL);
			return -1;
		}
	}
	PQclear(res);
	return n;
}

void
db_free_alerts(gk_alert *alerts, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		free(alerts[i].payload);
		alerts[i].payload = NULL;
	}
}

/*
 * Record a delivery attempt: delivered when failure is NULL, otherwise the
 * failure text is kept in last_error and the alert stays pending.
 */
bool
db_mark_alert(gk_db *db, long long id, const char *failure, char *errbuf, size_t errlen)
{
	char		idbuf[32];
	const char *params[2];
	PGresult   *res;
	bool		ok;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	params[1] = failure;
	res = PQexecParams(db->conn,
					   "UPDATE release.alerts "
					   "SET attempts = attempts + 1, last_error = $2::text, "
					   "    delivered_at = CASE WHEN $2::text IS NULL THEN now() END "
					   "WHERE id = $1::bigint AND delivered_at IS NULL",
					   2, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		db_set_error(errbuf, errlen, "recording the delivery failed: ", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

/* ------------------------------------------------------------------------
 * gatekeeper serve: tracker webhooks and the release board
 * ------------------------------------------------------------------------
 */

/*
 * Connect as user with password on top of the connection string dsn (the
 * user and password given here override any in dsn).  With
 * require_password, a server that let the login in without checking the
 * password (trust authentication) is refused: the board's logins must
 * prove who the person is.  Messages never contain the password.
 */
gk_db *
db_connect_as(const char *dsn, const char *user, const char *password,
			  const char *application_name, bool require_password,
			  char *errbuf, size_t errlen)
{
	const char *keys[5];
	const char *vals[5];
	int			n = 0;
	PGconn	   *conn;
	gk_db	   *db;

	keys[n] = "dbname";
	vals[n++] = dsn ? dsn : "";
	if (user != NULL)
	{
		keys[n] = "user";
		vals[n++] = user;
	}
	if (password != NULL)
	{
		keys[n] = "password";
		vals[n++] = password;
	}
	keys[n] = "application_name";
	vals[n++] = application_name;
	keys[n] = NULL;
	vals[n] = NULL;

	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL)
	{
		db_set_error(errbuf, errlen, "out of memory connecting to the database", NULL);
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		db_set_error(errbuf, errlen, "could not connect to the database: ", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	if (require_password && !PQconnectionUsedPassword(conn))
	{
		db_set_error(errbuf, errlen,
					 "the server accepted the login without checking its password "
					 "(use password authentication in pg_hba.conf for the board)", NULL);
		PQfinish(conn);
		return NULL;
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL)
	{
		PQfinish(conn);
		db_set_error(errbuf, errlen, "out of memory", NULL);
		return NULL;
	}
	db->conn = conn;
	return db;
}

/* Is the connection still usable? */
bool
db_ok(gk_db *db)
{
	return db != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

/* Fill err from a failed result (or the connection when res is NULL). */
static void
db_result_error(gk_db *db, PGresult *res, gk_db_error *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;

	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state ? state : "08006");
	if (primary != NULL)
		snprintf(err->message, sizeof(err->message), "%s%s%s", primary,
				 detail ? ". " : "", detail ? detail : "");
	else
		db_set_error(err->message, sizeof(err->message), "",
					 res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
}

/* Run a fixed statement with text parameters; rows may be NULL. */
static bool
db_exec_rows(gk_db *db, const char *sql, int nparams, const char *const *params,
			 gk_rows *rows, gk_db_error *err)
{
	PGresult   *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	int			r;
	int			c;

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
	{
		db_result_error(db, res, err);
		PQclear(res);
		return false;
	}
	if (rows != NULL)
	{
		rows->nrows = PQntuples(res);
		rows->ncols = PQnfields(res);
		rows->cells = calloc((size_t) rows->nrows * rows->ncols + 1, sizeof(char *));
		if (rows->cells == NULL)
		{
			PQclear(res);
			snprintf(err->sqlstate, sizeof(err->sqlstate), "53200");
			snprintf(err->message, sizeof(err->message), "out of memory");
			return false;
		}
		for (r = 0; r < rows->nrows; r++)
			for (c = 0; c < rows->ncols; c++)
				if (!PQgetisnull(res, r, c))
				{
					rows->cells[r * rows->ncols + c] = strdup(PQgetvalue(res, r, c));
					if (rows->cells[r * rows->ncols + c] == NULL)
					{
						PQclear(res);
						db_rows_free(rows);
						snprintf(err->sqlstate, sizeof(err->sqlstate), "53200");
						snprintf(err->message, sizeof(err->message), "out of memory");
						return false;
					}
				}
	}
	PQclear(res);
	return true;
}

/* A cell of a result, NULL for SQL NULL or out of range. */
const char *
db_cell(const gk_rows *rows, int row, int col)
{
	if (rows == NULL || rows->cells == NULL || row < 0 || row >= rows->nrows ||
		col < 0 || col >= rows->ncols)
		return NULL;
	return rows->cells[row * rows->ncols + col];
}

void
db_rows_free(gk_rows *rows)
{
	int			i;

	if (rows == NULL || rows->cells == NULL)
		return;
	for (i = 0; i < rows->nrows * rows->ncols; i++)
		free(rows->cells[i]);
	free(rows->cells);
	rows->cells = NULL;
	rows->nrows = rows->ncols = 0;
}

/*
 * Hand a webhook delivery to flag_tracker_event().  *key is the flag's key
 * (malloc'd) or NULL when the event is not a move into the release column.
 */
bool
db_tracker_event(gk_db *db, const char *payload, char **key, gk_db_error *err)
{
	const char *params[1];
	gk_rows		rows = {0};
	const char *k;

	*key = NULL;
	params[0] = payload;
	if (!db_exec_rows(db, "SELECT flag_tracker_event($1::jsonb)", 1, params, &rows, err))
		return false;
	k = db_cell(&rows, 0, 0);
	if (k != NULL)
		*key = strdup(k);
	db_rows_free(&rows);
	return true;
}

/*
 * The release board's flags (release_board view, governance part):
 * key, description, release, branch, state, rollout, regulated, approval,
 * approved_by, age, tracker_url.
 */
bool
db_board_flags(gk_db *db, gk_rows *rows, gk_db_error *err)
{
	return db_exec_rows(db,
						"SELECT key, description, release, branch, state, rollout::text, "
						"       CASE WHEN regulated THEN 'yes' ELSE 'no' END, approval, approved_by, "
						"       age::text, tracker_url "
						"FROM release_board",
						0, NULL, rows, err);
}

/*
 * Guard state and error rate per flag (flag_stats, guard part): key,
 * guard_state, error rate (current window, else last window) in percent,
 * requests, errors.  Fails when the counters are not available.
 */
bool
db_board_stats(gk_db *db, gk_rows *rows, gk_db_error *err)
{
	return db_exec_rows(db,
						"SELECT key, guard_state, "
						"       to_char(100 * coalesce(window_error_rate, last_error_rate), 'FM990.0'), "
						"       requests::text, errors::text "
						"FROM flag_stats",
						0, NULL, rows, err);
}

/*
 * The newest per_flag audit entries of each flag on the board: key,
 * logged_at, action, session_user_name, note.
 */
bool
db_board_history(gk_db *db, int per_flag, gk_rows *rows, gk_db_error *err)
{
	char		limit[16];
	const char *params[1];

	snprintf(limit, sizeof(limit), "%d", per_flag);
	params[0] = limit;
	return db_exec_rows(db,
						"SELECT b.key, to_char(h.logged_at, 'YYYY-MM-DD HH24:MI:SS TZ'), h.action, "
						"       h.session_user_name, h.note "
						"FROM release_board b "
						"CROSS JOIN LATERAL (SELECT * FROM flag_history(b.key) LIMIT $1::int) h "
						"ORDER BY b.key, h.id DESC",
						1, params, rows, err);
}

/* "Enable selected": flag_enable(keys, note), all or none; keys a JSON array. */
bool
db_enable_flags(gk_db *db, const char *keys_json, const char *note, gk_db_error *err)
{
	const char *params[2];

	params[0] = keys_json;
	params[1] = note;
	return db_exec_rows(db,
						"SELECT flag_enable(ARRAY(SELECT jsonb_array_elements_text($1::jsonb)), $2::text)",
						2, params, NULL, err);
}

/* The rollout control: flag_set_rollout(key, percent, note). */
bool
db_set_rollout(gk_db *db, const char *key, int percent, const char *note, gk_db_error *err)
{
	char		pct[16];
	const char *params[3];

	snprintf(pct, sizeof(pct), "%d", percent);
	params[0] = key;
	params[1] = pct;
	params[2] = note;
	return db_exec_rows(db, "SELECT flag_set_rollout($1::text, $2::int, $3::text)",
						3, params, NULL, err);
}
