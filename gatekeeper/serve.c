/*-------------------------------------------------------------------------
 *
 * serve.c
 *		`gatekeeper serve`: the HTTP side of the tracker webhooks and of the
 *		release board, on libmicrohttpd (all HTTP parsing is the library's:
 *		headers, basic auth, cookies, query and form fields).
 *
 * Webhooks: POST /hooks/jira (X-Hub-Signature: sha256=<hex HMAC-SHA256 of
 * the body>) and POST /hooks/trello (X-Trello-Webhook: base64 HMAC-SHA1 of
 * body + callback URL; HEAD/GET answer 200 for Trello's registration
 * check).  A bad or missing signature gets 401 before anything reaches the
 * database; bodies over max_body get 413; deliveries older than max_age_s
 * get 400 (the signature covers the timestamp, so it cannot be renewed).
 * The database keeps each event's id, so a replay inside the window
 * creates nothing either.
 *
 * Board: every request carries HTTP basic credentials, which are checked
 * by a libpq login as that PostgreSQL role (a server that did not check
 * the password is refused), and actions run on that connection, so the
 * role's privileges decide and the audit log names the person.  Posts need
 * a CSRF token bound to the user (hidden field equal to a SameSite=Strict
 * cookie, HMAC-signed with a per-process key) and, when the browser sends
 * one, a matching Origin.
 *
 * Threading: one internal libmicrohttpd thread runs every handler, so the
 * webhook connection and the request state need no locks.  Secrets,
 * passwords, Authorization headers and bodies are never logged.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "board.h"
#include "db.h"
#include "hmac.h"
#include "serve.h"

#define CSRF_COOKIE "gk_csrf"
#define REALM "pg_release board"

/*
 * Failed board sign-ins per client address and role name, so the board is
 * no password oracle: after LOGIN_MAX_FAILURES failures within
 * LOGIN_WINDOW_S seconds that pair gets 429 without a database login until
 * the window has passed.  Keyed by the pair, not the address alone: behind a
 * reverse proxy every browser has the proxy's address, and one person's
 * typos must not lock everybody out.  A fixed table: when full, the oldest
 * entry is reused (bounded memory).
 */
#define LOGIN_MAX_FAILURES	5
#define LOGIN_WINDOW_S		300
#define LOGIN_TRACKED		256

typedef struct login_failures
{
	char		addr[192];		/* "<client address> <role>"; "" = free */
	int			count;
	time_t		since;
} login_failures;

typedef struct server
{
	const serve_options *opts;
	gk_db	   *hook_db;		/* webhook connection, reconnected on demand */
	char		csrf_key[65];	/* per-process key signing CSRF tokens */
	login_failures failures[LOGIN_TRACKED];
} server;

/* A form field being received (values may arrive in pieces). */
typedef struct form
{
	gk_buf		csrf;
	gk_buf		note;
	gk_buf		percent;
	gk_buf	   *keys;			/* every "key" field, in order */
	int			nkeys;
	bool		bad;
} form;

/* Per-request state, kept by libmicrohttpd between handler calls. */
typedef struct request
{
	gk_buf		body;
	size_t		received;
	bool		too_large;
	struct MHD_PostProcessor *pp;
	form		form;
} request;

/* ------------------------------------------------------------------------
 * Responses
 * ------------------------------------------------------------------------
 */

/*
 * Replace control characters (newlines included) in s by '?', so text that
 * came from a request or from the database cannot forge log lines.
 */
static char *
log_safe(char *s)
{
	char	   *p;

	for (p = s; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* Queue a response with the security headers every answer carries. */
static enum MHD_Result
respond(struct MHD_Connection *c, unsigned int status, const char *type,
		char *body, const char *set_cookie, const char *location)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *text = body ? body : "";

	r = MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_MUST_COPY);
	free(body);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	MHD_add_response_header(r, "Content-Security-Policy",
							"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
							"frame-ancestors 'none'; base-uri 'none'");
	if (set_cookie != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, set_cookie);
	if (location != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A JSON answer {"status": ..., field: value} for webhook callers. */
static enum MHD_Result
respond_json(struct MHD_Connection *c, unsigned int status, const char *field, const char *value)
{
	json_t	   *o = json_object();
	char	   *text;

	json_object_set_new(o, "status", json_integer(status));
	json_object_set_new(o, field, value ? json_string(value) : json_null());
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text != NULL)
	{
		size_t		n = strlen(text);
		char	   *withnl = realloc(text, n + 2);

		if (withnl != NULL)
		{
			withnl[n] = '\n';
			withnl[n + 1] = '\0';
			text = withnl;
		}
	}
	return respond(c, status, "application/json", text, NULL, NULL);
}

/* A small HTML page with a title and a sentence. */
static enum MHD_Result
respond_page(struct MHD_Connection *c, unsigned int status, const char *title, const char *text)
{
	return respond(c, status, "text/html; charset=utf-8", board_render_message(title, text),
				   NULL, NULL);
}

/* 401 asking the browser for basic credentials. */
static enum MHD_Result
respond_login(struct MHD_Connection *c, const char *why)
{
	char	   *page = board_render_message("Sign in", why);
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *text = page ? page : "";

	r = MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_MUST_COPY);
	free(page);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_basic_auth_fail_response(c, REALM, r);
	MHD_destroy_response(r);
	return ret;
}

/* ------------------------------------------------------------------------
 * Webhooks
 * ------------------------------------------------------------------------
 */

/* Seconds since the epoch of an ISO 8601 UTC time ("2026-11-19T09:30:00.000Z"). */
static bool
parse_iso_utc(const char *s, time_t *out)
{
	struct tm	tm;
	const char *rest;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (rest == NULL)
		return false;
	*out = timegm(&tm);
	return true;
}

/*
 * When the tracker sent the delivery (Jira: "timestamp" in ms; Trello:
 * action.date); false when the payload carries no time.
 */
static bool
delivery_time(json_t *payload, bool jira, time_t *out)
{
	if (jira)
	{
		json_t	   *ts = json_object_get(payload, "timestamp");

		if (!json_is_integer(ts))
			return false;
		*out = (time_t) (json_integer_value(ts) / 1000);
		return true;
	}
	else
	{
		json_t	   *date = json_object_get(json_object_get(payload, "action"), "date");

		return json_is_string(date) && parse_iso_utc(json_string_value(date), out);
	}
}

/* The webhook connection, (re)connected when needed; NULL when down. */
static gk_db *
hook_db(server *srv)
{
	char		err[512];

	if (srv->hook_db != NULL && db_ok(srv->hook_db))
		return srv->hook_db;
	db_close(srv->hook_db);
	srv->hook_db = db_connect_as(srv->opts->dsn, NULL, NULL, "gatekeeper serve webhooks",
								 false, err, sizeof(err));
	if (srv->hook_db == NULL)
		srv->opts->log("webhooks: %s", err);
	return srv->hook_db;
}

/* POST /hooks/jira and /hooks/trello, the body complete. */
static enum MHD_Result
handle_hook(server *srv, struct MHD_Connection *c, request *req, bool jira)
{
	const serve_options *o = srv->opts;
	const char *name = jira ? "jira" : "trello";
	const char *secret = jira ? o->jira_secret : o->trello_secret;
	const char *body = req->body.data ? req->body.data : "";
	bool		valid;
	json_t	   *payload;
	json_error_t jerr;
	time_t		sent;
	gk_db	   *db;
	gk_db_error dberr;
	char	   *key = NULL;
	enum MHD_Result ret;

	if (secret == NULL)
		return respond_json(c, MHD_HTTP_NOT_FOUND, "error", "this webhook is not configured");
	if (req->too_large)
	{
		o->log("%s delivery refused: body larger than %zu bytes", name, o->max_body);
		return respond_json(c, MHD_HTTP_CONTENT_TOO_LARGE, "error", "body too large");
	}
	if (jira)
		valid = hmac_jira_valid(secret, body, req->body.len,
								MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Hub-Signature"));
	else
		valid = hmac_trello_valid(secret, body, req->body.len, o->trello_callback_url,
								  MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Trello-Webhook"));
	if (!valid)
	{
		o->log("%s delivery refused: missing or bad signature", name);
		return respond_json(c, MHD_HTTP_UNAUTHORIZED, "error", "missing or bad signature");
	}

	payload = json_loadb(body, req->body.len, 0, &jerr);
	if (payload == NULL || !json_is_object(payload))
	{
		json_decref(payload);
		return respond_json(c, MHD_HTTP_BAD_REQUEST, "error", "the body is not a JSON object");
	}
	if (o->max_age_s > 0 && delivery_time(payload, jira, &sent))
	{
		time_t		now = time(NULL);

		if (sent < now - o->max_age_s || sent > now + 300)
		{
			json_decref(payload);
			o->log("%s delivery refused: sent %lld s ago, outside the replay window of %d s",
				   name, (long long) (now - sent), o->max_age_s);
			return respond_json(c, MHD_HTTP_BAD_REQUEST, "error",
								"delivery outside the replay window (--max-age)");
		}
	}
	json_decref(payload);

	db = hook_db(srv);
	if (db == NULL)
		return respond_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, "error", "database unavailable");
	if (!db_tracker_event(db, body, &key, &dberr))
	{
		unsigned int status;

		if (strncmp(dberr.sqlstate, "22", 2) == 0)
			status = MHD_HTTP_BAD_REQUEST;	/* malformed: a retry will not help */
		else if (strncmp(dberr.sqlstate, "08", 2) == 0 || strncmp(dberr.sqlstate, "40", 2) == 0 ||
				 strncmp(dberr.sqlstate, "57", 2) == 0)
			status = MHD_HTTP_SERVICE_UNAVAILABLE;	/* the tracker retries */
		else
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		ret = respond_json(c, status, "error", dberr.message);
		o->log("%s delivery failed (SQLSTATE %s): %s", name, dberr.sqlstate, log_safe(dberr.message));
		return ret;
	}
	if (key != NULL)
		o->log("%s delivery: flag %s", name, key);	/* a valid key: no control characters */
	else
		o->log("%s delivery: not a move into the release column, ignored", name);
	ret = respond_json(c, MHD_HTTP_OK, "flag", key);
	free(key);
	return ret;
}

/* ------------------------------------------------------------------------
 * Board: login, CSRF, pages and actions
 * ------------------------------------------------------------------------
 */

/*
 * The CSRF token of user: nonce "." HMAC(key, user "\n" nonce).  With a
 * nonce given, recompute it for checking; without, make a fresh one.
 */
static bool
csrf_token(server *srv, const char *user, const char *nonce, char *out, size_t outlen)
{
	char		fresh[33];
	char		mac[65];
	gk_buf		msg = {0};
	bool		ok;

	if (nonce == NULL)
	{
		if (!hmac_random_hex(fresh, 16))
			return false;
		nonce = fresh;
	}
	buf_append(&msg, user);
	buf_append(&msg, "\n");
	buf_append(&msg, nonce);
	ok = !msg.failed && hmac_sha256_hex(srv->csrf_key, strlen(srv->csrf_key), msg.data, msg.len, mac);
	buf_free(&msg);
	if (!ok)
		return false;
	snprintf(out, outlen, "%s.%s", nonce, mac);
	return true;
}

/* Is token a valid CSRF token for user? */
static bool
csrf_valid(server *srv, const char *user, const char *token)
{
	char		nonce[33];
	char		expect[128];
	const char *dot;

	if (token == NULL || (dot = strchr(token, '.')) == NULL || dot - token != 32)
		return false;
	memcpy(nonce, token, 32);
	nonce[32] = '\0';
	if (!csrf_token(srv, user, nonce, expect, sizeof(expect)))
		return false;
	return hmac_equal(expect, token);
}

/* Does the request's Origin (when sent) match the board's own origin? */
static bool
origin_ok(server *srv, struct MHD_Connection *c)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	char		expect[512];

	if (origin == NULL)
		return true;			/* older browsers; token and SameSite still hold */
	if (srv->opts->origin != NULL)
		return strcmp(origin, srv->opts->origin) == 0;
	if (host == NULL)
		return false;
	snprintf(expect, sizeof(expect), "http://%s", host);
	return strcmp(origin, expect) == 0;
}

/* The client's numeric address ("" when unknown). */
static void
client_address(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	buf[0] = '\0';
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (getnameinfo(ci->client_addr,
					ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					: sizeof(struct sockaddr_in),
					buf, len, NULL, 0, NI_NUMERICHOST) != 0)
		buf[0] = '\0';
}

/* The failure record of an address, creating (or recycling) one if asked. */
static login_failures *
login_record(server *srv, const char *addr, bool create)
{
	login_failures *oldest = &srv->failures[0];
	int			i;

	for (i = 0; i < LOGIN_TRACKED; i++)
	{
		login_failures *f = &srv->failures[i];

		if (strcmp(f->addr, addr) == 0)
			return f;
		if (f->since < oldest->since)
			oldest = f;
	}
	if (!create)
		return NULL;
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
	oldest->count = 0;
	oldest->since = time(NULL);
	return oldest;
}

/* Has this address failed too often lately? */
static bool
login_throttled(server *srv, const char *addr)
{
	login_failures *f = addr[0] ? login_record(srv, addr, false) : NULL;

	if (f == NULL)
		return false;
	if (time(NULL) - f->since >= LOGIN_WINDOW_S)
	{
		f->count = 0;
		f->since = time(NULL);
		return false;
	}
	return f->count >= LOGIN_MAX_FAILURES;
}

/* Count a failed sign-in of this address. */
static void
login_failed(server *srv, const char *addr)
{
	login_failures *f;

	if (addr[0] == '\0')
		return;
	f = login_record(srv, addr, true);
	if (time(NULL) - f->since >= LOGIN_WINDOW_S)
	{
		f->count = 0;
		f->since = time(NULL);
	}
	f->count++;
}

/*
 * Log the browser's basic credentials into PostgreSQL.  NULL after a 401
 * was queued (*ret set); the caller owns *user.
 */
static gk_db *
board_login(server *srv, struct MHD_Connection *c, char **user, enum MHD_Result *ret)
{
	char	   *pass = NULL;
	char	   *name = MHD_basic_auth_get_username_password(c, &pass);
	char		err[512];
	char		host[64];
	char		addr[192];
	gk_db	   *db = NULL;

	*user = NULL;
	client_address(c, host, sizeof(host));
	snprintf(addr, sizeof(addr), "%s %s", host, name ? name : "");
	if (name != NULL && login_throttled(srv, addr))
	{
		struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);

		srv->opts->log("board: sign-in from %s refused: too many failures", host);
		*ret = MHD_NO;
		if (r != NULL)
		{
			MHD_add_response_header(r, "Retry-After", "300");
			*ret = MHD_queue_response(c, MHD_HTTP_TOO_MANY_REQUESTS, r);
			MHD_destroy_response(r);
		}
		goto done;
	}
	if (name == NULL || name[0] == '\0' || pass == NULL || pass[0] == '\0')
	{
		*ret = respond_login(c, "Sign in with your PostgreSQL role and password.");
		goto done;
	}
	if (strcspn(name, "\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12"
				"\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f") != strlen(name))
	{
		*ret = respond_login(c, "A role name has no control characters.");
		goto done;
	}
	db = db_connect_as(srv->opts->board_dsn, name, pass, "gatekeeper serve board", true,
					   err, sizeof(err));
	if (db == NULL)
	{
		login_failed(srv, addr);
		srv->opts->log("board: login of \"%s\" refused: %s", name, log_safe(err));
		*ret = respond_login(c, "The database refused this role and password.");
		goto done;
	}
	/*
	 * Only roles meant for the board may use it: members of release_reader
	 * (operators and approvers are), never superusers, so the board cannot
	 * be used to guess the password of any role pg_hba.conf lets in.
	 */
	if (!db_board_role_allowed(db, err, sizeof(err)))
	{
		login_failed(srv, addr);
		srv->opts->log("board: login of \"%s\" refused: %s", name, log_safe(err));
		db_close(db);
		db = NULL;
		*ret = respond_login(c, "The database refused this role and password.");
		goto done;
	}
	*user = strdup(name);
	if (*user == NULL)
	{
		db_close(db);
		db = NULL;
		*ret = MHD_NO;
	}
done:
	if (pass != NULL)
	{
		memset(pass, 0, strlen(pass));
		MHD_free(pass);
	}
	if (name != NULL)
		MHD_free(name);
	return db;
}

/* Render the board for user with an optional message; queue it with status. */
static enum MHD_Result
board_page(server *srv, struct MHD_Connection *c, gk_db *db, const char *user,
		   unsigned int status, const char *message, bool is_error)
{
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, CSRF_COOKIE);
	char		token[128];
	char		set_cookie[256];
	bool		new_token = false;
	gk_rows		flags = {0};
	gk_rows		stats = {0};
	gk_rows		history = {0};
	gk_db_error err;
	gk_db_error stats_err;
	board_view	view;
	bool		have_stats;
	char	   *html;

	if (cookie != NULL && csrf_valid(srv, user, cookie))
		snprintf(token, sizeof(token), "%s", cookie);
	else if (csrf_token(srv, user, NULL, token, sizeof(token)))
		new_token = true;
	else
		return respond_page(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error", "no random numbers available");

	if (!db_board_flags(db, &flags, &err))
	{
		srv->opts->log("board: reading release_board as \"%s\" failed: %s", user, log_safe(err.message));
		return respond_page(c, strcmp(err.sqlstate, "42501") == 0 ? MHD_HTTP_FORBIDDEN
							: MHD_HTTP_INTERNAL_SERVER_ERROR,
							"The board cannot be shown", err.message);
	}
	have_stats = db_board_stats(db, &stats, &stats_err);
	if (!db_board_history(db, srv->opts->history, &history, &err))
		db_rows_free(&history);

	memset(&view, 0, sizeof(view));
	view.user = user;
	view.csrf = token;
	view.message = message;
	view.message_is_error = is_error;
	view.flags = &flags;
	view.stats = have_stats ? &stats : NULL;
	view.stats_error = have_stats ? NULL : stats_err.message;
	view.history = history.cells ? &history : NULL;
	html = board_render(&view);
	db_rows_free(&flags);
	db_rows_free(&stats);
	db_rows_free(&history);
	if (html == NULL)
		return MHD_NO;
	snprintf(set_cookie, sizeof(set_cookie), CSRF_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s",
			 token, (srv->opts->origin && strncmp(srv->opts->origin, "https://", 8) == 0)
			 ? "; Secure" : "");
	return respond(c, status, "text/html; charset=utf-8", html, new_token ? set_cookie : NULL, NULL);
}

/* Collect the board's form fields (the post processor hands them over). */
static enum MHD_Result
form_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
		   const char *content_type, const char *transfer_encoding,
		   const char *data, uint64_t off, size_t size)
{
	form	   *f = cls;
	gk_buf	   *target = NULL;

	if (strcmp(key, "csrf") == 0)
		target = &f->csrf;
	else if (strcmp(key, "note") == 0)
		target = &f->note;
	else if (strcmp(key, "percent") == 0)
		target = &f->percent;
	else if (strcmp(key, "key") == 0)
	{
		if (off == 0)
		{
			gk_buf	   *grown = realloc(f->keys, sizeof(gk_buf) * (f->nkeys + 1));

			if (grown == NULL)
			{
				f->bad = true;
				return MHD_NO;
			}
			f->keys = grown;
			memset(&f->keys[f->nkeys], 0, sizeof(gk_buf));
			f->nkeys++;
		}
		if (f->nkeys == 0)
		{
			f->bad = true;		/* a continuation of a field never started */
			return MHD_NO;
		}
		target = &f->keys[f->nkeys - 1];
	}
	if (target != NULL)
	{
		buf_append_len(target, data ? data : "", size);
		/* make an empty value a present, empty string */
		if (target->data == NULL)
			buf_append(target, "");
	}
	return MHD_YES;
}

/* Free the collected form fields. */
static void
form_free(form *f)
{
	int			i;

	buf_free(&f->csrf);
	buf_free(&f->note);
	buf_free(&f->percent);
	for (i = 0; i < f->nkeys; i++)
		buf_free(&f->keys[i]);
	free(f->keys);
}

/* The note for the audit log: the form's, else a default naming the board. */
static const char *
form_note(const form *f, const char *fallback)
{
	return (f->note.data && f->note.data[0]) ? f->note.data : fallback;
}

/* POST /enable and /rollout, the form complete. */
static enum MHD_Result
handle_action(server *srv, struct MHD_Connection *c, request *req, bool enable)
{
	enum MHD_Result ret = MHD_NO;
	char	   *user = NULL;
	gk_db	   *db;
	const char *cookie;
	gk_db_error err;
	bool		ok;
	char		summary[256];

	if (req->too_large)
		return respond_page(c, MHD_HTTP_CONTENT_TOO_LARGE, "Too large", "The form is too large.");
	db = board_login(srv, c, &user, &ret);
	if (db == NULL)
		return ret;
	cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, CSRF_COOKIE);
	if (!origin_ok(srv, c) || req->pp == NULL || req->form.bad ||
		!csrf_valid(srv, user, req->form.csrf.data) || !hmac_equal(cookie, req->form.csrf.data))
	{
		srv->opts->log("board: %s by \"%s\" refused: CSRF check failed", enable ? "enable" : "rollout", user);
		ret = respond_page(c, MHD_HTTP_FORBIDDEN, "Forbidden",
						   "The request did not come from the board (CSRF check failed). Reload the board and try again.");
		goto done;
	}

	if (enable)
	{
		json_t	   *keys = json_array();
		char	   *keys_json = NULL;
		bool		keys_ok = keys != NULL;
		int			i;

		/* every key or none: one that is not UTF-8 text fails the batch */
		for (i = 0; keys_ok && i < req->form.nkeys; i++)
			keys_ok = json_array_append_new(keys, json_string(req->form.keys[i].data ? req->form.keys[i].data : "")) == 0;
		if (keys_ok)
			keys_json = json_dumps(keys, JSON_COMPACT);
		json_decref(keys);
		if (req->form.nkeys == 0 || keys_json == NULL)
		{
			free(keys_json);
			ret = board_page(srv, c, db, user, MHD_HTTP_BAD_REQUEST,
							 req->form.nkeys == 0 ? "Select at least one flag."
							 : "A selected key is not valid text; nothing was changed.", true);
			goto done;
		}
		ok = db_enable_flags(db, keys_json, form_note(&req->form, "enabled from the release board"), &err);
		snprintf(summary, sizeof(summary), "%d flag%s", req->form.nkeys, req->form.nkeys == 1 ? "" : "s");
		free(keys_json);
	}
	else
	{
		char	   *end = NULL;
		long		pct = req->form.percent.data ? strtol(req->form.percent.data, &end, 10) : -1;

		if (req->form.nkeys != 1 || end == NULL || end == req->form.percent.data || *end != '\0' ||
			pct < 0 || pct > 100)
		{
			ret = board_page(srv, c, db, user, MHD_HTTP_BAD_REQUEST,
							 "A rollout is one flag and a percentage from 0 to 100.", true);
			goto done;
		}
		ok = db_set_rollout(db, req->form.keys[0].data, (int) pct,
							form_note(&req->form, "rollout set on the release board"), &err);
		snprintf(summary, sizeof(summary), "%.100s to %ld %%", req->form.keys[0].data, pct);
	}

	log_safe(summary);
	if (ok)
	{
		srv->opts->log("board: %s %s by \"%s\"", enable ? "enabled" : "rollout of", summary, user);
		ret = respond(c, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", NULL, NULL,
					  enable ? "/?done=enabled" : "/?done=rollout");
	}
	else
	{
		srv->opts->log("board: %s %s by \"%s\" refused (SQLSTATE %s)", enable ? "enable of" : "rollout of",
					   summary, user, err.sqlstate);
		ret = board_page(srv, c, db, user,
						 strcmp(err.sqlstate, "42501") == 0 ? MHD_HTTP_FORBIDDEN : MHD_HTTP_CONFLICT,
						 err.message, true);
	}
done:
	db_close(db);
	free(user);
	return ret;
}

/* GET /: the board. */
static enum MHD_Result
handle_board(server *srv, struct MHD_Connection *c)
{
	enum MHD_Result ret = MHD_NO;
	char	   *user = NULL;
	gk_db	   *db = board_login(srv, c, &user, &ret);
	const char *done = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "done");
	const char *message = NULL;

	if (db == NULL)
		return ret;
	if (done != NULL && strcmp(done, "enabled") == 0)
		message = "Enabled. The audit log records the change under your name.";
	else if (done != NULL && strcmp(done, "rollout") == 0)
		message = "Rollout set. The audit log records the change under your name.";
	ret = board_page(srv, c, db, user, MHD_HTTP_OK, message, false);
	db_close(db);
	free(user);
	return ret;
}

/* ------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------
 */

typedef enum route
{
	ROUTE_NONE, ROUTE_BOARD, ROUTE_ENABLE, ROUTE_ROLLOUT, ROUTE_JIRA, ROUTE_TRELLO
} route;

static route
route_of(const char *url)
{
	if (strcmp(url, "/") == 0)
		return ROUTE_BOARD;
	if (strcmp(url, "/enable") == 0)
		return ROUTE_ENABLE;
	if (strcmp(url, "/rollout") == 0)
		return ROUTE_ROLLOUT;
	if (strcmp(url, "/hooks/jira") == 0)
		return ROUTE_JIRA;
	if (strcmp(url, "/hooks/trello") == 0)
		return ROUTE_TRELLO;
	return ROUTE_NONE;
}

/*
 * libmicrohttpd's access handler: called once when the headers are in (set
 * up the request, refuse a declared oversized body), then for each piece of
 * the body, then once more to answer.
 */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	server	   *srv = cls;
	const serve_options *o = srv->opts;
	request    *req = *con_cls;
	route		rt = route_of(url);
	bool		post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	bool		get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	if (req == NULL)
	{
		const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
														 MHD_HTTP_HEADER_CONTENT_LENGTH);

		req = calloc(1, sizeof(*req));
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		if (post && length != NULL && strtoull(length, NULL, 10) > o->max_body)
		{
			/* refuse before the body is sent (no 100 Continue) */
			/* the URL and header are the client's text: not logged (log injection) */
			o->log("request refused: Content-Length over %zu bytes", o->max_body);
			return respond_json(c, MHD_HTTP_CONTENT_TOO_LARGE, "error", "body too large");
		}
		if (post && (rt == ROUTE_ENABLE || rt == ROUTE_ROLLOUT))
			req->pp = MHD_create_post_processor(c, 4096, form_field, &req->form);
		return MHD_YES;
	}

	if (*upload_data_size > 0)
	{
		req->received += *upload_data_size;
		if (req->received > o->max_body)
			req->too_large = true;
		else if (req->pp != NULL)
		{
			if (MHD_post_process(req->pp, upload_data, *upload_data_size) != MHD_YES)
				req->form.bad = true;
		}
		else if (post)
			buf_append_len(&req->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->body.failed)
		return respond_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "error", "out of memory");

	switch (rt)
	{
		case ROUTE_JIRA:
		case ROUTE_TRELLO:
			if (post)
				return handle_hook(srv, c, req, rt == ROUTE_JIRA);
			if (get && rt == ROUTE_TRELLO && o->trello_secret != NULL)
				return respond_json(c, MHD_HTTP_OK, "status_text", "ready");	/* Trello's HEAD check */
			return respond_json(c, MHD_HTTP_METHOD_NOT_ALLOWED, "error", "use POST");
		case ROUTE_BOARD:
			if (!o->board)
				break;
			if (get)
				return handle_board(srv, c);
			return respond_page(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed", "Use GET.");
		case ROUTE_ENABLE:
		case ROUTE_ROLLOUT:
			if (!o->board)
				break;
			if (post)
				return handle_action(srv, c, req, rt == ROUTE_ENABLE);
			return respond_page(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed", "Use POST.");
		case ROUTE_NONE:
			break;
	}
	return respond_page(c, MHD_HTTP_NOT_FOUND, "Not found", "There is nothing here.");
}

/* Free a request's state and log its outcome. */
static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	request    *req = *con_cls;

	if (req == NULL)
		return;
	if (req->pp != NULL)
		MHD_destroy_post_processor(req->pp);
	form_free(&req->form);
	buf_free(&req->body);
	free(req);
	*con_cls = NULL;
}

/*
 * Listen and serve until *opts->stop is set.  SERVE_LISTEN or
 * SERVE_DATABASE with a message when it cannot start.
 */
serve_status
serve_run(const serve_options *opts, char *errbuf, size_t errlen)
{
	server		srv;
	struct MHD_Daemon *d;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
	char		err[512];

	memset(&srv, 0, sizeof(srv));
	srv.opts = opts;
	if (!hmac_random_hex(srv.csrf_key, 32))
	{
		snprintf(errbuf, errlen, "no random numbers available for the CSRF key");
		return SERVE_LISTEN;
	}

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, opts->listen, &sin.sin_addr) == 1)
	{
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t) opts->port);
		sa = (struct sockaddr *) &sin;
	}
	else if (inet_pton(AF_INET6, opts->listen, &sin6.sin6_addr) == 1)
	{
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t) opts->port);
		sa = (struct sockaddr *) &sin6;
		flags |= MHD_USE_IPv6;
	}
	else
	{
		snprintf(errbuf, errlen, "--listen \"%s\" is not an IPv4 or IPv6 address", opts->listen);
		return SERVE_LISTEN;
	}

	/* webhooks need the database: check the connection once at start */
	if (opts->jira_secret != NULL || opts->trello_secret != NULL)
	{
		srv.hook_db = db_connect_as(opts->dsn, NULL, NULL, "gatekeeper serve webhooks", false,
									err, sizeof(err));
		if (srv.hook_db == NULL)
		{
			snprintf(errbuf, errlen, "webhooks: %s", err);
			return SERVE_DATABASE;
		}
	}

	d = MHD_start_daemon(flags, (uint16_t) opts->port, NULL, NULL, handle, &srv,
						 MHD_OPTION_SOCK_ADDR, sa,
						 MHD_OPTION_NOTIFY_COMPLETED, completed, &srv,
						 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 30,
						 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 64,
						 MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int) 16,
						 MHD_OPTION_END);
	if (d == NULL)
	{
		db_close(srv.hook_db);
		snprintf(errbuf, errlen, "cannot listen on %s port %d", opts->listen, opts->port);
		return SERVE_LISTEN;
	}
	opts->log("listening on %s port %d (board %s, jira webhook %s, trello webhook %s)",
			  opts->listen, opts->port, opts->board ? "on" : "off",
			  opts->jira_secret ? "on" : "off", opts->trello_secret ? "on" : "off");
	while (!*opts->stop)
		(void) poll(NULL, 0, 200);
	MHD_stop_daemon(d);
	db_close(srv.hook_db);
	opts->log("stopped");
	return SERVE_DONE;
}
