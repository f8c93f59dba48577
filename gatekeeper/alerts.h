/*-------------------------------------------------------------------------
 *
 * alerts.h
 *		`gatekeeper alerts`: deliver the guard's alerts, at least once.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEKEEPER_ALERTS_H
#define GATEKEEPER_ALERTS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum alerts_sink
{
	ALERTS_SINK_SLACK,			/* POST a Slack incoming-webhook message */
	ALERTS_SINK_EXEC			/* run a command with the JSON on stdin */
} alerts_sink;

/* How alerts_run() ended. */
typedef enum alerts_status
{
	ALERTS_DONE = 0,			/* stopped by a signal, or --once delivered everything */
	ALERTS_UNDELIVERED,			/* --once: some alerts are still pending */
	ALERTS_DATABASE				/* --once: the database could not be used */
} alerts_status;

typedef struct alerts_options
{
	const char *dsn;			/* libpq connection string; "" = PG* variables */
	alerts_sink sink;
	const char *target;			/* webhook URL or shell command */
	bool		once;			/* deliver what is pending, then return */
	int			max_backoff_s;	/* cap of the retry/reconnect backoff */
	int			poll_s;			/* look for alerts at least this often */
	int			timeout_s;		/* per delivery */
	/* progress messages go through the caller (main.c prints) */
	void		(*log) (const char *fmt,...);
	volatile sig_atomic_t *stop;	/* set by the caller's signal handler */
} alerts_options;

extern alerts_status alerts_run(const alerts_options *opts);

/* The Slack message (text + blocks) for an alert payload; malloc'd, or NULL. */
extern char *alerts_slack_message(const char *payload_json, char *errbuf, size_t errlen);

/* Deliver one payload; false with a message on failure (never the URL). */
extern bool alerts_deliver(const alerts_options *opts, const char *payload_json,
						   char *errbuf, size_t errlen);

#endif							/* GATEKEEPER_ALERTS_H */
