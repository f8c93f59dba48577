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
