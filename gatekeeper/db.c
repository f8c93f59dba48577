/*-------------------------------------------------------------------------
 *
 * db.c
 *		libpq access for the gatekeeper: connect, LISTEN, read and mark the
 *		guard's stored alerts.
 *
 * The only file of the gatekeeper that uses libpq.  Statements are fixed
 * text with parameters ($1, $2): nothing user-supplied is spliced into SQL.
 * The one deliberate exception is db_exec(), which gatekeeper apply uses to
 * run the statements of migration files (and names the server quoted).
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
 * Read up to max undelivered alerts, the least tried first and then the
 * oldest, so one alert that keeps failing cannot starve newer ones.  Returns
 * how many, or -1 with a message (also when pg_release is not installed).
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
					   "WHERE delivered_at IS NULL ORDER BY attempts, id LIMIT $1::int",
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
	const char *keys[7];
	const char *vals[7];
	int			n = 0;
	PGconn	   *conn;
	gk_db	   *db;

	/* a default the DSN may override: a dead server must not hang the service */
	keys[n] = "connect_timeout";
	vals[n++] = "10";
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
	/*
	 * The service answers one request at a time: no statement may hold it
	 * for long, and a row lock held elsewhere must not freeze it.
	 */
	keys[n] = "options";
	vals[n++] = "-c statement_timeout=5s -c lock_timeout=2s";
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

/*
 * May this login use the board?  Members of release_reader (operators and
 * approvers are) that are not superusers.
 */
bool
db_board_role_allowed(gk_db *db, char *errbuf, size_t errlen)
{
	PGresult   *res = PQexec(db->conn,
							 "SELECT r.rolsuper, pg_catalog.pg_has_role(r.oid, 'release_reader', 'MEMBER') "
							 "FROM pg_catalog.pg_roles r WHERE r.rolname = pg_catalog.session_user()");
	bool		ok = false;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		db_set_error(errbuf, errlen, "checking the role failed: ", PQresultErrorMessage(res));
	else if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		db_set_error(errbuf, errlen, "superusers may not use the board", NULL);
	else if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
		db_set_error(errbuf, errlen, "the role is not a member of release_reader", NULL);
	else
		ok = true;
	PQclear(res);
	return ok;
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

/* Free a result's cells (safe on an empty or already freed one). */
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
 * guard_state, error rate in percent (of the current window, else of the
 * last one, else since the counters started), requests, errors.  Fails when
 * the counters are not available (pg_release not preloaded).
 */
bool
db_board_stats(gk_db *db, gk_rows *rows, gk_db_error *err)
{
	return db_exec_rows(db,
						"SELECT key, guard_state, "
						"       to_char(100 * coalesce(window_error_rate, last_error_rate, "
						"                                  errors::float8 / nullif(requests, 0)), 'FM990.0'), "
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

/* ------------------------------------------------------------------------
 * gatekeeper apply, approve, reject, status: the migration ledger
 * (release.migrations) and what apply needs from the catalog.  Ledger
 * changes go through the extension's functions, never direct DML, so the
 * server checks approvals and audits every change.
 * ------------------------------------------------------------------------
 */

/* Fill err from a failed result (or the connection when res is NULL). */
static void
sql_error_set(gk_db *db, PGresult *res, const char *prefix, gk_sql_error *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	size_t		n;

	memset(err, 0, sizeof(*err));
	if (state)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
	if (primary == NULL)
		primary = res ? PQresultErrorMessage(res) : NULL;
	if (primary == NULL || primary[0] == '\0')
		primary = PQerrorMessage(db->conn);
	snprintf(err->message, sizeof(err->message), "%s%s%s%s%s%s", prefix ? prefix : "",
			 primary ? primary : "unknown error",
			 detail ? "\nDETAIL:  " : "", detail ? detail : "",
			 hint ? "\nHINT:  " : "", hint ? hint : "");
	n = strlen(err->message);
	while (n > 0 && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
		err->message[--n] = '\0';
	err->position = pos ? atoi(pos) : 0;
	err->connection_lost = PQstatus(db->conn) != CONNECTION_OK;
}

/*
 * Run one parameterised statement; the result when its status is want,
 * else NULL with err filled (prefix names what was being done).
 */
static PGresult *
sql_run(gk_db *db, const char *sql, int nparams, const char *const *params,
		ExecStatusType want, const char *prefix, gk_sql_error *err)
{
	PGresult   *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);

	if (res != NULL && PQresultStatus(res) == want)
		return res;
	sql_error_set(db, res, prefix, err);
	PQclear(res);
	return NULL;
}

/* Connect with a fallback application_name (a DSN's own one wins). */
gk_db *
db_connect_app(const char *dsn, const char *application_name, char *errbuf, size_t errlen)
{
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *vals[] = {dsn ? dsn : "", application_name, NULL};
	PGconn	   *conn = PQconnectdbParams(keys, vals, 1);
	gk_db	   *db;

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

/*
 * Where pg_release lives: 1 with its schema in schema, 0 when it is not
 * installed, 2 when it is installed without the migration ledger (an older
 * version), -1 on error.
 */
int
db_release_schema(gk_db *db, char *schema, size_t len, gk_sql_error *err)
{
	PGresult   *res = sql_run(db,
							  "SELECT n.nspname, pg_catalog.to_regclass('release.migrations') IS NOT NULL "
							  "FROM pg_catalog.pg_extension e "
							  "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
							  "WHERE e.extname = 'pg_release'",
							  0, NULL, PGRES_TUPLES_OK, "looking for pg_release failed: ", err);
	int			rc;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
		rc = 0;
	else
	{
		snprintf(schema, len, "%s", PQgetvalue(res, 0, 0));
		rc = strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? 1 : 2;
	}
	PQclear(res);
	return rc;
}

/* Describe the session holding the apply lock into holder. */
static void
apply_lock_holder(gk_db *db, char *holder, size_t len)
{
	char		key[32];
	const char *params[1];
	PGresult   *res;
	gk_sql_error ignored;

	snprintf(key, sizeof(key), "%lld", GK_APPLY_LOCK_KEY);
	params[0] = key;
	res = sql_run(db,
				  "SELECT a.pid, coalesce(nullif(a.application_name, ''), '?'), "
				  "       coalesce(a.client_addr::text, 'local'), "
				  "       pg_catalog.to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') "
				  "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
				  "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
				  "  AND l.classid::bigint = ($1::bigint >> 32) "
				  "  AND l.objid::bigint = ($1::bigint & 4294967295)",
				  1, params, PGRES_TUPLES_OK, "", &ignored);
	if (res != NULL && PQntuples(res) > 0)
		snprintf(holder, len, "pid %s, application %s, client %s, connected since %s",
				 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
				 PQgetvalue(res, 0, 3));
	else
		snprintf(holder, len, "a session that just finished");
	PQclear(res);
}

/*
 * Take the session-level advisory lock that makes apply one at a time per
 * database, trying every 200 ms for up to wait_s seconds.  1: held (until
 * the session ends), 0: another session holds it (described in holder),
 * -1: error.
 */
int
db_apply_lock(gk_db *db, int wait_s, char *holder, size_t holder_len, gk_sql_error *err)
{
	char		key[32];
	const char *params[1];
	struct timespec start;
	struct timespec now;
	struct timespec pause = {0, 200 * 1000 * 1000};

	snprintf(key, sizeof(key), "%lld", GK_APPLY_LOCK_KEY);
	params[0] = key;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;)
	{
		PGresult   *res = sql_run(db, "SELECT pg_catalog.pg_try_advisory_lock($1::bigint)",
								  1, params, PGRES_TUPLES_OK, "taking the apply lock failed: ", err);
		bool		got;

		if (res == NULL)
			return -1;
		got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (got)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= wait_s)
		{
			apply_lock_holder(db, holder, holder_len);
			return 0;
		}
		nanosleep(&pause, NULL);
	}
}

/* Is the session inside a transaction block (idle in transaction)? */
bool
db_in_transaction(gk_db *db)
{
	return PQtransactionStatus(db->conn) == PQTRANS_INTRANS;
}

/* Run sql (one statement or several, simple protocol); false with err. */
bool
db_exec(gk_db *db, const char *sql, gk_sql_error *err)
{
	PGresult   *res = PQexec(db->conn, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	bool		ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;

	if (!ok)
		sql_error_set(db, res, NULL, err);
	PQclear(res);
	/* a multi-statement string may leave further results; drain them */
	while ((res = PQgetResult(db->conn)) != NULL)
		PQclear(res);
	return ok;
}

/* SET [LOCAL] lock_timeout and statement_timeout (numbers only: no user text). */
bool
db_set_timeouts(gk_db *db, bool local, long lock_timeout_ms, long statement_timeout_ms,
				gk_sql_error *err)
{
	char		sql[160];

	snprintf(sql, sizeof(sql), "SET %s lock_timeout = '%ldms'; SET %s statement_timeout = '%ldms'",
			 local ? "LOCAL" : "SESSION", lock_timeout_ms,
			 local ? "LOCAL" : "SESSION", statement_timeout_ms);
	return db_exec(db, sql, err);
}

/* Every ledger row, by name; returns how many (*rows malloc'd) or -1. */
int
db_ledger_load(gk_db *db, gk_ledger_row **rows, gk_sql_error *err)
{
	PGresult   *res = sql_run(db,
							  "SELECT name, checksum, status, coalesce(approved_checksum, ''), "
							  "       coalesce(note, ''), coalesce(approved_by, rejected_by, ''), "
							  "       statements_done "
							  "FROM release.migrations ORDER BY name",
							  0, NULL, PGRES_TUPLES_OK, "reading the migration ledger failed: ", err);
	int			n;
	int			i;

	*rows = NULL;
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	*rows = calloc(n ? n : 1, sizeof(gk_ledger_row));
	if (*rows == NULL)
	{
		PQclear(res);
		snprintf(err->message, sizeof(err->message), "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
	{
		gk_ledger_row *r = &(*rows)[i];

		r->name = strdup(PQgetvalue(res, i, 0));
		if (r->name == NULL)
		{
			db_ledger_free(*rows, i);
			*rows = NULL;
			PQclear(res);
			snprintf(err->message, sizeof(err->message), "out of memory");
			return -1;
		}
		snprintf(r->checksum, sizeof(r->checksum), "%s", PQgetvalue(res, i, 1));
		snprintf(r->status, sizeof(r->status), "%s", PQgetvalue(res, i, 2));
		snprintf(r->approved_checksum, sizeof(r->approved_checksum), "%s", PQgetvalue(res, i, 3));
		snprintf(r->note, sizeof(r->note), "%s", PQgetvalue(res, i, 4));
		snprintf(r->decided_by, sizeof(r->decided_by), "%s", PQgetvalue(res, i, 5));
		r->statements_done = atoi(PQgetvalue(res, i, 6));
	}
	PQclear(res);
	return n;
}

void
db_ledger_free(gk_ledger_row *rows, int n)
{
	int			i;

	for (i = 0; rows != NULL && i < n; i++)
		free(rows[i].name);
	free(rows);
}

/* release.migration_request(): park a risky file; its status into status. */
bool
db_migration_request(gk_db *db, const char *name, const char *checksum, const char *verdict,
					 const char *mode, const char *report, char *status, size_t status_len,
					 gk_sql_error *err)
{
	const char *params[5] = {name, checksum, verdict, mode, report};
	PGresult   *res = sql_run(db,
							  "SELECT release.migration_request($1, $2, $3, $4, $5::jsonb)",
							  5, params, PGRES_TUPLES_OK, "", err);

	if (res == NULL)
		return false;
	snprintf(status, status_len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

/* release.migration_started(): statements already done, or -1. */
int
db_migration_started(gk_db *db, const char *name, const char *checksum, const char *verdict,
					 const char *mode, const char *report, gk_sql_error *err)
{
	const char *params[5] = {name, checksum, verdict, mode, report};
	PGresult   *res = sql_run(db,
							  "SELECT release.migration_started($1, $2, $3, $4, $5::jsonb)",
							  5, params, PGRES_TUPLES_OK, "", err);
	int			done;

	if (res == NULL)
		return -1;
	done = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return done;
}

bool
db_migration_progress(gk_db *db, const char *name, const char *checksum, int done,
					  gk_sql_error *err)
{
	char		buf[16];
	const char *params[3] = {name, checksum, buf};
	PGresult   *res;

	snprintf(buf, sizeof(buf), "%d", done);
	res = sql_run(db, "SELECT release.migration_progress($1, $2, $3::int)",
				  3, params, PGRES_TUPLES_OK, "", err);
	PQclear(res);
	return res != NULL;
}

bool
db_migration_applied(gk_db *db, const char *name, const char *checksum, const char *verdict,
					 const char *mode, const char *report, gk_sql_error *err)
{
	const char *params[5] = {name, checksum, verdict, mode, report};
	PGresult   *res = sql_run(db,
							  "SELECT release.migration_applied($1, $2, $3, $4, $5::jsonb)",
							  5, params, PGRES_TUPLES_OK, "", err);

	PQclear(res);
	return res != NULL;
}

bool
db_migration_failed(gk_db *db, const char *name, const char *checksum, const char *verdict,
					const char *mode, const char *report, const char *error, gk_sql_error *err)
{
	const char *params[6] = {name, checksum, verdict, mode, report, error};
	PGresult   *res = sql_run(db,
							  "SELECT release.migration_failed($1, $2, $3, $4, $5::jsonb, $6)",
							  6, params, PGRES_TUPLES_OK, "", err);

	PQclear(res);
	return res != NULL;
}

/*
 * migration_approve() or migration_reject() in pg_release's schema.  With
 * checksum NULL the ledger's current checksum is used.  The checksum
 * decided on is copied to used (65 bytes).
 */
bool
db_migration_decide(gk_db *db, const char *schema, bool approve, const char *name,
					const char *checksum, const char *note, char *used, gk_sql_error *err)
{
	char	   *ident = PQescapeIdentifier(db->conn, schema, strlen(schema));
	char		sql[256];
	const char *params[3];
	PGresult   *res;

	if (ident == NULL)
	{
		sql_error_set(db, NULL, "", err);
		return false;
	}
	snprintf(sql, sizeof(sql), "SELECT %s.%s($1, $2, $3)", ident,
			 approve ? "migration_approve" : "migration_reject");
	PQfreemem(ident);
	if (checksum == NULL)
	{
		params[0] = name;
		res = sql_run(db, "SELECT checksum FROM release.migrations WHERE name = $1",
					  1, params, PGRES_TUPLES_OK, "", err);
		if (res == NULL)
			return false;
		if (PQntuples(res) == 0)
		{
			PQclear(res);
			memset(err, 0, sizeof(*err));
			snprintf(err->sqlstate, sizeof(err->sqlstate), "42704");
			snprintf(err->message, sizeof(err->message),
					 "migration \"%s\" is not in the ledger", name);
			return false;
		}
		snprintf(used, 65, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	else
		snprintf(used, 65, "%s", checksum);
	params[0] = name;
	params[1] = used;
	params[2] = note;
	res = sql_run(db, sql, 3, params, PGRES_TUPLES_OK, "", err);
	PQclear(res);
	return res != NULL;
}

/* One ledger row as JSON text (malloc'd), NULL when absent (err.message empty) or on error. */
char *
db_migration_row_json(gk_db *db, const char *name, gk_sql_error *err)
{
	const char *params[1] = {name};
	PGresult   *res = sql_run(db,
							  "SELECT pg_catalog.to_jsonb(m)::text FROM release.migrations m WHERE m.name = $1",
							  1, params, PGRES_TUPLES_OK, "reading the migration ledger failed: ", err);
	char	   *out = NULL;

	if (res == NULL)
		return NULL;
	memset(err, 0, sizeof(*err));
	if (PQntuples(res) > 0)
		out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

/* The whole ledger as a JSON array (malloc'd), without the reports. */
char *
db_migrations_json(gk_db *db, gk_sql_error *err)
{
	PGresult   *res = sql_run(db,
							  "SELECT coalesce(pg_catalog.jsonb_agg((pg_catalog.to_jsonb(m) - 'report') "
							  "         || pg_catalog.jsonb_build_object('risky_statements', "
							  "              m.report #> '{files,0,statements_risky}') ORDER BY m.name), '[]')::text "
							  "FROM release.migrations m",
							  0, NULL, PGRES_TUPLES_OK, "reading the migration ledger failed: ", err);
	char	   *out;

	if (res == NULL)
		return NULL;
	out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (out == NULL)
		snprintf(err->message, sizeof(err->message), "out of memory");
	return out;
}

/*
 * Size of a relation by name (resolved with the session's search_path):
 * 1 with *bytes, 0 when no such relation, -1 on error.  A name the server
 * cannot even parse counts as existing and huge: no verdict is softened.
 */
int
db_relation_size(gk_db *db, const char *relation, long long *bytes, gk_sql_error *err)
{
	const char *params[1] = {relation};
	PGresult   *res = PQexecParams(db->conn,
								   "SELECT pg_catalog.pg_total_relation_size(c.oid) "
								   "FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)",
								   1, NULL, params, NULL, NULL, 0);
	int			rc;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (res != NULL && PQstatus(db->conn) == CONNECTION_OK)
		{
			PQclear(res);
			*bytes = (long long) 1 << 62;
			return 1;
		}
		sql_error_set(db, res, "reading the catalog failed: ", err);
		PQclear(res);
		return -1;
	}
	rc = PQntuples(res) > 0 ? 1 : 0;
	if (rc == 1)
		*bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return rc;
}

/* Every invalid index of the database (schema-qualified names); count or -1. */
int
db_invalid_indexes(gk_db *db, gk_invalid_index **out, gk_sql_error *err)
{
	PGresult   *res = sql_run(db,
							  "SELECT i.indexrelid::oid, pg_catalog.format('%I.%I', n.nspname, c.relname) "
							  "FROM pg_catalog.pg_index i "
							  "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
							  "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
							  "WHERE NOT i.indisvalid ORDER BY 1",
							  0, NULL, PGRES_TUPLES_OK, "looking for invalid indexes failed: ", err);
	int			n;
	int			i;

	*out = NULL;
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	*out = calloc(n ? n : 1, sizeof(gk_invalid_index));
	if (*out == NULL)
	{
		PQclear(res);
		snprintf(err->message, sizeof(err->message), "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
	{
		(*out)[i].oid = (unsigned int) strtoul(PQgetvalue(res, i, 0), NULL, 10);
		snprintf((*out)[i].name, sizeof((*out)[i].name), "%s", PQgetvalue(res, i, 1));
	}
	PQclear(res);
	return n;
}

/*
 * State of index schema.name (schema NULL: found through the search_path):
 * 1 valid, 0 invalid, 2 missing, -1 error.  When it exists its
 * schema-qualified, quoted name is copied to qualified.
 */
int
db_index_valid(gk_db *db, const char *schema, const char *name, char *qualified, size_t len,
			   gk_sql_error *err)
{
	const char *params[2] = {schema, name};
	PGresult   *res = sql_run(db,
							  "SELECT i.indisvalid, pg_catalog.format('%I.%I', n.nspname, c.relname) "
							  "FROM pg_catalog.pg_index i "
							  "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
							  "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
							  "WHERE i.indexrelid = pg_catalog.to_regclass(CASE WHEN $1::text IS NULL "
							  "  THEN pg_catalog.quote_ident($2) "
							  "  ELSE pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident($2) END)",
							  2, params, PGRES_TUPLES_OK, "looking up an index failed: ", err);
	int			rc;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
		rc = 2;
	else
	{
		rc = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 1 : 0;
		snprintf(qualified, len, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return rc;
}
