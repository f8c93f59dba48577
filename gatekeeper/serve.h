/*-------------------------------------------------------------------------
 *
 * serve.h
 *		`gatekeeper serve`: tracker webhooks (Jira, Trello) and the release
 *		board over HTTP, on libmicrohttpd.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEKEEPER_SERVE_H
#define GATEKEEPER_SERVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum serve_status
{
	SERVE_DONE = 0,				/* stopped by a signal */
	SERVE_LISTEN,				/* could not listen on the address */
	SERVE_DATABASE				/* the webhook connection failed at start */
} serve_status;

typedef struct serve_options
{
	const char *listen;			/* IPv4 or IPv6 address */
	int			port;
	const char *dsn;			/* webhook connection (a release_tracker member) */
	const char *board_dsn;		/* base of the board's logins (user, password from the browser) */
	bool		board;			/* serve the board at all */
	const char *jira_secret;	/* NULL: /hooks/jira is off */
	const char *trello_secret;	/* NULL: /hooks/trello is off */
	const char *trello_callback_url;	/* the URL Trello was given (it signs body + URL) */
	const char *origin;			/* expected Origin of board posts; NULL: http://<Host> */
	size_t		max_body;		/* bytes; larger requests get 413 */
	int			max_age_s;		/* deliveries older than this are refused; 0 = no limit */
	int			history;		/* audit entries shown per flag */
	/* progress messages go through the caller (main.c prints); never secrets */
	void		(*log) (const char *fmt,...);
	volatile sig_atomic_t *stop;	/* set by the caller's signal handler */
} serve_options;

extern serve_status serve_run(const serve_options *opts, char *errbuf, size_t errlen);

#endif							/* GATEKEEPER_SERVE_H */
