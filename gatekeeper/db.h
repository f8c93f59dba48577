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

#endif							/* GATEKEEPER_DB_H */
