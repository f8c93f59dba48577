/*-------------------------------------------------------------------------
 *
 * alerts.c
 *		Deliver the guard's alerts (release.alerts) to Slack or a command.
 *
 * At-least-once: an alert is marked delivered only after the sink accepted
 * it, and everything still pending is read again on start, on every
 * NOTIFY pg_release_alerts, and at least every poll_s seconds.  Failed
 * deliveries and lost connections are retried with exponential backoff.
 * A crash between delivery and marking means one duplicate, never a loss.
 *
 * The webhook URL is a secret (it authorises posting): it is never logged
 * or put in an error message.  Library code: it prints nothing itself.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "alerts.h"
#include "db.h"

#define ALERTS_BATCH 100
#define ALERTS_CHANNEL "pg_release_alerts"

/* Sleep up to seconds, returning early when asked to stop. */
static void
alerts_sleep(const alerts_options *opts, int seconds)
{
	int			i;

	for (i = 0; i < seconds * 10 && !*opts->stop; i++)
		(void) poll(NULL, 0, 100);
}

/*
 * snprintf() may cut a UTF-8 character in half; drop such a tail so the
 * text stays valid (jansson refuses invalid UTF-8).
 */
static void
utf8_clip(char *buf)
{
	size_t		len = strlen(buf);
	size_t		start = len;
	size_t		need;
	unsigned char lead;

	/* find the start of the last character */
	while (start > 0 && ((unsigned char) buf[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0)
		return;
	lead = (unsigned char) buf[start - 1];
	if (lead < 0x80)
		return;
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (len - (start - 1) < need)
		buf[start - 1] = '\0';
}

/* snprintf into a fixed buffer, keeping the result valid UTF-8 */
#define SNPRINTF_UTF8(buf, ...) \
	do { snprintf((buf), sizeof(buf), __VA_ARGS__); utf8_clip(buf); } while (0)

/* A number field of the payload as a double; false when absent. */
static bool
payload_number(json_t *obj, const char *name, double *out)
{
	json_t	   *v = json_object_get(obj, name);

	if (json_is_number(v))
	{
		*out = json_number_value(v);
		return true;
	}
	if (json_is_string(v))
	{
		char	   *end;

		*out = strtod(json_string_value(v), &end);
		return end != json_string_value(v);
	}
	return false;
}

/*
 * Build a Slack incoming-webhook message: a one-line `text` (used by
 * notifications) and `blocks` with the details.
 */
char *
alerts_slack_message(const char *payload_json, char *errbuf, size_t errlen)
{
	json_error_t jerr;
	json_t	   *payload = json_loads(payload_json, 0, &jerr);
	json_t	   *msg;
	json_t	   *blocks;
	json_t	   *fields;
	const char *flag;
	const char *action;
	const char *reason;
	char		text[1024];
	char		buf[128];
	double		rate,
				threshold,
				requests;
	char	   *out;

	if (payload == NULL || !json_is_object(payload))
	{
		snprintf(errbuf, errlen, "alert payload is not a JSON object: %s",
				 payload ? "wrong type" : jerr.text);
		json_decref(payload);
		return NULL;
	}
	flag = json_string_value(json_object_get(payload, "flag"));
	action = json_string_value(json_object_get(payload, "action"));
	reason = json_string_value(json_object_get(payload, "reason"));
	if (flag == NULL)
		flag = "?";
	if (action == NULL)
		action = "alert";

	if (strcmp(action, "rolled_back") == 0 &&
		payload_number(payload, "error_rate", &rate) &&
		payload_number(payload, "threshold", &threshold) &&
		payload_number(payload, "requests", &requests))
		SNPRINTF_UTF8(text,
					  ":rotating_light: pg_release rolled back %s: error rate %.1f%% over %.0f requests (threshold %.1f%%)",
					  flag, 100 * rate, requests, 100 * threshold);
	else if (reason)
		SNPRINTF_UTF8(text, ":warning: pg_release %s for %s: %s", action, flag, reason);
	else
		SNPRINTF_UTF8(text, ":warning: pg_release %s for %s", action, flag);

	fields = json_array();
	SNPRINTF_UTF8(buf, "*Flag*\n%s", flag);
	json_array_append_new(fields, json_pack("{s:s, s:s}", "type", "mrkdwn", "text", buf));
	SNPRINTF_UTF8(buf, "*Action*\n%s", action);
	json_array_append_new(fields, json_pack("{s:s, s:s}", "type", "mrkdwn", "text", buf));
	if (json_is_string(json_object_get(payload, "time")))
	{
		SNPRINTF_UTF8(buf, "*Time*\n%s", json_string_value(json_object_get(payload, "time")));
		json_array_append_new(fields, json_pack("{s:s, s:s}", "type", "mrkdwn", "text", buf));
	}

	blocks = json_array();
	json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "section",
											"text", "type", "mrkdwn", "text", text));
	json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "section", "fields", fields));
	msg = json_pack("{s:s, s:o}", "text", text, "blocks", blocks);
	out = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	json_decref(payload);
	if (out == NULL)
		snprintf(errbuf, errlen, "could not build the Slack message for this alert");
	return out;
}

/* libcurl write callback: discard the response body. */
static size_t
alerts_discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

/* POST the Slack message; success means an HTTP 2xx answer. */
static bool
alerts_post_slack(const alerts_options *opts, const char *payload_json,
				  char *errbuf, size_t errlen)
{
	char	   *body = alerts_slack_message(payload_json, errbuf, errlen);
	CURL	   *curl;
	struct curl_slist *headers = NULL;
	CURLcode	rc;
	long		status = 0;
	bool		ok = false;

	if (body == NULL)
		return false;
	curl = curl_easy_init();
	if (curl == NULL)
	{
		free(body);
		snprintf(errbuf, errlen, "could not initialise libcurl");
		return false;
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, opts->target);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long) opts->timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, alerts_discard);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		snprintf(errbuf, errlen, "webhook request failed: %s", curl_easy_strerror(rc));
	else
	{
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		ok = status >= 200 && status < 300;
		if (!ok)
			snprintf(errbuf, errlen, "webhook answered HTTP %ld", status);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	free(body);
	return ok;
}

/*
 * Wait for the command, at most timeout_s seconds and not past a stop
 * request: then its process group is terminated (SIGTERM, SIGKILL a second
 * later) and the delivery counts as failed.
 */
static bool
alerts_wait_child(const alerts_options *opts, pid_t pid, int *status,
				  char *errbuf, size_t errlen)
{
	int			waited_ms = 0;
	int			limit_ms = (opts->timeout_s > 0 ? opts->timeout_s : 10) * 1000;
	bool		terminated = false;

	for (;;)
	{
		pid_t		r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
		{
			snprintf(errbuf, errlen, "waitpid failed: %s", strerror(errno));
			return false;
		}
		if (!terminated && (waited_ms >= limit_ms || *opts->stop))
		{
			kill(-pid, SIGTERM);
			terminated = true;
			waited_ms = limit_ms;
		}
		else if (terminated && waited_ms >= limit_ms + 1000)
			kill(-pid, SIGKILL);
		(void) poll(NULL, 0, 20);
		waited_ms += 20;
	}
	if (terminated)
	{
		snprintf(errbuf, errlen, "command did not finish within %d s and was terminated",
				 limit_ms / 1000);
		return false;
	}
	return true;
}

/* Run the command with the payload on stdin; success means exit status 0. */
static bool
alerts_run_command(const alerts_options *opts, const char *payload_json,
				   char *errbuf, size_t errlen)
{
	int			fds[2];
	pid_t		pid;
	int			status;
	char	   *line;
	size_t		len;
	size_t		off = 0;

	/* one JSON document per line, for line-oriented readers */
	if (asprintf(&line, "%s\n", payload_json) < 0)
	{
		snprintf(errbuf, errlen, "out of memory");
		return false;
	}
	len = strlen(line);
	if (pipe(fds) != 0)
	{
		snprintf(errbuf, errlen, "pipe failed: %s", strerror(errno));
		free(line);
		return false;
	}
	pid = fork();
	if (pid < 0)
	{
		snprintf(errbuf, errlen, "fork failed: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		free(line);
		return false;
	}
	if (pid == 0)
	{
		/* our SIGPIPE is ignored; the command gets the default back */
		signal(SIGPIPE, SIG_DFL);
		/* its own process group, so a timeout ends everything it started */
		setpgid(0, 0);
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", opts->target, (char *) NULL);
		_exit(127);
	}
	close(fds[0]);
	/* a command that stops reading early is judged by its exit status alone */
	while (off < len)
	{
		ssize_t		w = write(fds[1], line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t) w;
	}
	close(fds[1]);
	free(line);
	if (!alerts_wait_child(opts, pid, &status, errbuf, errlen))
		return false;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFEXITED(status))
		snprintf(errbuf, errlen, "command exited with status %d", WEXITSTATUS(status));
	else
		snprintf(errbuf, errlen, "command was killed by signal %d", WTERMSIG(status));
	return false;
}

bool
alerts_deliver(const alerts_options *opts, const char *payload_json,
			   char *errbuf, size_t errlen)
{
	if (opts->sink == ALERTS_SINK_SLACK)
		return alerts_post_slack(opts, payload_json, errbuf, errlen);
	return alerts_run_command(opts, payload_json, errbuf, errlen);
}

/*
 * Deliver every pending alert once.  Returns the number that failed, or -1
 * when the database failed (the connection should be dropped).
 */
static int
alerts_deliver_pending(const alerts_options *opts, gk_db *db, bool *more)
{
	gk_alert	batch[ALERTS_BATCH];
	char		errbuf[512];
	char		dberr[512];
	int			n;
	int			i;
	int			failed = 0;

	*more = false;
	n = db_fetch_alerts(db, batch, ALERTS_BATCH, dberr, sizeof(dberr));
	if (n < 0)
	{
		opts->log("%s", dberr);
		return -1;
	}
	for (i = 0; i < n && !*opts->stop; i++)
	{
		bool		ok = alerts_deliver(opts, batch[i].payload, errbuf, sizeof(errbuf));

		if (ok)
			opts->log("alert %lld delivered", batch[i].id);
		else
		{
			failed++;
			opts->log("alert %lld not delivered: %s", batch[i].id, errbuf);
		}
		if (!db_mark_alert(db, batch[i].id, ok ? NULL : errbuf, dberr, sizeof(dberr)))
		{
			opts->log("%s", dberr);
			db_free_alerts(batch, n);
			return -1;
		}
	}
	*more = (n == ALERTS_BATCH);
	db_free_alerts(batch, n);
	return failed;
}

alerts_status
alerts_run(const alerts_options *opts)
{
	gk_db	   *db = NULL;
	char		errbuf[512];
	int			backoff = 1;
	alerts_status result = ALERTS_DONE;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	while (!*opts->stop)
	{
		int			failed;
		bool		more;

		if (db == NULL)
		{
			db = db_connect(opts->dsn, errbuf, sizeof(errbuf));
			if (db == NULL || !db_listen(db, ALERTS_CHANNEL, errbuf, sizeof(errbuf)))
			{
				db_close(db);
				db = NULL;
				opts->log("%s", errbuf);
				if (opts->once)
				{
					result = ALERTS_DATABASE;
					break;
				}
				opts->log("reconnecting in %d s", backoff);
				alerts_sleep(opts, backoff);
				backoff = backoff * 2 > opts->max_backoff_s ? opts->max_backoff_s : backoff * 2;
				continue;
			}
			opts->log("listening on %s", ALERTS_CHANNEL);
		}

		failed = alerts_deliver_pending(opts, db, &more);
		if (failed < 0)
		{
			db_close(db);
			db = NULL;
			if (opts->once)
			{
				result = ALERTS_DATABASE;
				break;
			}
			/* e.g. pg_release missing or no privilege: don't hammer the server */
			opts->log("retrying in %d s", backoff);
			alerts_sleep(opts, backoff);
			backoff = backoff * 2 > opts->max_backoff_s ? opts->max_backoff_s : backoff * 2;
			continue;
		}
		if (opts->once)
		{
			if (failed > 0)
			{
				result = ALERTS_UNDELIVERED;
				break;
			}
			if (!more)
				break;
			continue;
		}
		if (failed > 0)
		{
			opts->log("retrying undelivered alerts in %d s", backoff);
			alerts_sleep(opts, backoff);
			backoff = backoff * 2 > opts->max_backoff_s ? opts->max_backoff_s : backoff * 2;
			continue;
		}
		backoff = 1;
		if (more)
			continue;
		if (db_wait_notify(db, opts->poll_s * 1000, errbuf, sizeof(errbuf)) < 0)
		{
			opts->log("%s", errbuf);
			db_close(db);
			db = NULL;
		}
	}
	db_close(db);
	curl_global_cleanup();
	return result;
}
