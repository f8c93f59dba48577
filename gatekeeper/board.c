/*-------------------------------------------------------------------------
 *
 * board.c
 *		Server-rendered HTML of the release board: the flags waiting for
 *		release with checkboxes, "Enable selected", a rollout control per
 *		flag, regulation and approval status, guard state, error rate and
 *		each flag's recent history.
 *
 * Every value from the database is HTML-escaped on output, links are
 * written only for http(s) URLs, and the page carries no script at all
 * (serve.c sends a Content-Security-Policy that forbids scripts).  Pure:
 * no I/O, prints nothing.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "board.h"

/* columns of db_board_flags() */
enum
{
	F_KEY, F_DESCRIPTION, F_RELEASE, F_BRANCH, F_STATE, F_ROLLOUT, F_REGULATED,
	F_APPROVAL, F_APPROVED_BY, F_AGE, F_TRACKER_URL
};

/* columns of db_board_stats() and db_board_history() */
enum
{
	S_KEY, S_GUARD, S_ERROR_RATE, S_REQUESTS, S_ERRORS
};
enum
{
	H_KEY, H_AT, H_ACTION, H_WHO, H_NOTE
};

/* Append n bytes of s, growing the buffer (doubling) as needed. */
void
buf_append_len(gk_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap)
	{
		size_t		ncap = b->cap ? b->cap : 4096;
		char	   *grown;

		while (b->len + n + 1 > ncap)
			ncap *= 2;
		grown = realloc(b->data, ncap);
		if (grown == NULL)
		{
			b->failed = true;
			return;
		}
		b->data = grown;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Append the string s. */
void
buf_append(gk_buf *b, const char *s)
{
	buf_append_len(b, s, strlen(s));
}

/* s with & < > " ' replaced by entities: safe in text and quoted attributes. */
void
buf_append_html(gk_buf *b, const char *s)
{
	const char *p;
	const char *run = s;

	if (s == NULL)
		return;
	for (p = s; *p; p++)
	{
		const char *ent = NULL;

		switch (*p)
		{
			case '&':
				ent = "&amp;";
				break;
			case '<':
				ent = "&lt;";
				break;
			case '>':
				ent = "&gt;";
				break;
			case '"':
				ent = "&quot;";
				break;
			case '\'':
				ent = "&#39;";
				break;
		}
		if (ent != NULL)
		{
			buf_append_len(b, run, (size_t) (p - run));
			buf_append(b, ent);
			run = p + 1;
		}
	}
	buf_append_len(b, run, (size_t) (p - run));
}

/* Release the buffer's memory. */
void
buf_free(gk_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Take the buffer's text, or NULL (and free it) when it failed. */
static char *
buf_take(gk_buf *b)
{
	if (b->failed)
	{
		buf_free(b);
		return NULL;
	}
	return b->data;
}

static const char page_head[] =
"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
"<title>%TITLE%</title>\n<style>\n"
"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem;color:#1d2433;background:#f6f7f9}\n"
"h1{font-size:1.5rem;margin:0 0 .3rem}\n"
"header p{margin:.2rem 0 1rem;color:#4a5568}\n"
"table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08)}\n"
"th,td{border-bottom:1px solid #e2e8f0;padding:.45rem .55rem;text-align:left;vertical-align:top;font-size:.9rem}\n"
"th{background:#edf2f7;font-weight:600}\n"
".actions{display:flex;gap:.8rem;align-items:center;margin:0 0 1rem}\n"
"button{background:#2b6cb0;color:#fff;border:0;border-radius:4px;padding:.45rem .9rem;font-size:.9rem;cursor:pointer}\n"
"form.rollout button{background:#4a5568;padding:.25rem .6rem}\n"
"input[type=number]{width:4.2rem}\n"
".msg{padding:.6rem .8rem;border-radius:4px;margin:0 0 1rem}\n"
".ok{background:#e6fffa;border:1px solid #38b2ac}\n"
".err{background:#fff5f5;border:1px solid #e53e3e}\n"
".tag{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.8rem;background:#edf2f7}\n"
".tag.regulated{background:#fefcbf}\n.tag.approved{background:#c6f6d5}\n.tag.missing,.tag.void,.tag.revoked{background:#fed7d7}\n"
".tag.healthy{background:#c6f6d5}\n.tag.failing{background:#feebc8}\n.tag.rolled_back{background:#fed7d7}\n"
"ul.history{margin:0;padding-left:1rem;font-size:.8rem;color:#4a5568}\n"
"small{color:#718096}\n"
"</style>\n</head>\n<body>\n";

/* The page head with title (escaped). */
static void
append_head(gk_buf *b, const char *title)
{
	const char *mark = strstr(page_head, "%TITLE%");

	buf_append_len(b, page_head, (size_t) (mark - page_head));
	buf_append_html(b, title);
	buf_append(b, mark + strlen("%TITLE%"));
}

/* A small page (errors, the sign-in prompt); both texts are escaped. */
char *
board_render_message(const char *title, const char *text)
{
	gk_buf		b = {0};

	append_head(&b, title);
	buf_append(&b, "<h1>");
	buf_append_html(&b, title);
	buf_append(&b, "</h1>\n<p>");
	buf_append_html(&b, text);
	buf_append(&b, "</p>\n</body>\n</html>\n");
	return buf_take(&b);
}

/* The row of rows whose column col equals key, or -1. */
static int
find_row(const gk_rows *rows, int col, const char *key)
{
	int			r;

	for (r = 0; rows != NULL && r < rows->nrows; r++)
	{
		const char *v = db_cell(rows, r, col);

		if (v != NULL && strcmp(v, key) == 0)
			return r;
	}
	return -1;
}

/* A status word as a tag whose class is its first word (a fixed set). */
static void
append_tag(gk_buf *b, const char *text)
{
	static const char *const known[] = {
		"regulated", "approved", "missing", "void", "revoked", "healthy", "failing",
		"rolled_back", NULL
	};
	const char *cls = "";
	int			i;

	for (i = 0; known[i] != NULL; i++)
		if (strncmp(text, known[i], strlen(known[i])) == 0)
			cls = known[i];
	buf_append(b, "<span class=\"tag ");
	buf_append(b, cls);
	buf_append(b, "\">");
	buf_append_html(b, text);
	buf_append(b, "</span>");
}

/* One flag's hidden CSRF field. */
static void
append_csrf(gk_buf *b, const char *csrf)
{
	buf_append(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	buf_append_html(b, csrf);
	buf_append(b, "\">");
}

/* One row of the board. */
static void
append_flag(gk_buf *b, const board_view *v, int r)
{
	const gk_rows *f = v->flags;
	const char *key = db_cell(f, r, F_KEY);
	const char *url = db_cell(f, r, F_TRACKER_URL);
	const char *rollout = db_cell(f, r, F_ROLLOUT);
	const char *approval = db_cell(f, r, F_APPROVAL);
	const char *approved_by = db_cell(f, r, F_APPROVED_BY);
	int			s = v->stats ? find_row(v->stats, S_KEY, key) : -1;
	int			h;
	int			shown = 0;

	buf_append(b, "<tr data-key=\"");
	buf_append_html(b, key);
	buf_append(b, "\">\n<td><input type=\"checkbox\" name=\"key\" form=\"enable\" value=\"");
	buf_append_html(b, key);
	buf_append(b, "\" aria-label=\"select ");
	buf_append_html(b, key);
	buf_append(b, "\"></td>\n<td><b>");
	if (url != NULL && (strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0))
	{
		buf_append(b, "<a href=\"");
		buf_append_html(b, url);
		buf_append(b, "\" rel=\"noopener noreferrer\">");
		buf_append_html(b, key);
		buf_append(b, "</a>");
	}
	else
		buf_append_html(b, key);
	buf_append(b, "</b><br><small>");
	buf_append_html(b, db_cell(f, r, F_DESCRIPTION));
	buf_append(b, "</small></td>\n<td>");
	buf_append_html(b, db_cell(f, r, F_RELEASE));
	if (db_cell(f, r, F_BRANCH) != NULL)
	{
		buf_append(b, "<br><small>");
		buf_append_html(b, db_cell(f, r, F_BRANCH));
		buf_append(b, "</small>");
	}
	buf_append(b, "</td>\n<td>");
	buf_append_html(b, db_cell(f, r, F_STATE));
	buf_append(b, "</td>\n<td><form class=\"rollout\" method=\"post\" action=\"/rollout\">");
	append_csrf(b, v->csrf);
	buf_append(b, "<input type=\"hidden\" name=\"key\" value=\"");
	buf_append_html(b, key);
	buf_append(b, "\"><input type=\"number\" name=\"percent\" min=\"0\" max=\"100\" value=\"");
	buf_append_html(b, rollout ? rollout : "");
	buf_append(b, "\" aria-label=\"rollout percent of ");
	buf_append_html(b, key);
	buf_append(b, "\"> % <button type=\"submit\">Set</button></form>");
	if (rollout == NULL)
		buf_append(b, "<small>targeted</small>");
	buf_append(b, "</td>\n<td>");
	if (strcmp(db_cell(f, r, F_REGULATED) ? db_cell(f, r, F_REGULATED) : "no", "yes") == 0)
	{
		append_tag(b, "regulated");
		buf_append(b, "<br>");
		append_tag(b, approval ? approval : "missing");
		if (approved_by != NULL)
		{
			buf_append(b, "<br><small>by ");
			buf_append_html(b, approved_by);
			buf_append(b, "</small>");
		}
	}
	else
		buf_append(b, "no");
	buf_append(b, "</td>\n<td>");
	if (s >= 0)
	{
		append_tag(b, db_cell(v->stats, s, S_GUARD) ? db_cell(v->stats, s, S_GUARD) : "healthy");
		buf_append(b, "</td>\n<td>");
		if (db_cell(v->stats, s, S_ERROR_RATE) != NULL)
		{
			buf_append_html(b, db_cell(v->stats, s, S_ERROR_RATE));
			buf_append(b, " %<br><small>");
			buf_append_html(b, db_cell(v->stats, s, S_ERRORS));
			buf_append(b, " errors / ");
			buf_append_html(b, db_cell(v->stats, s, S_REQUESTS));
			buf_append(b, " requests</small>");
		}
		else
			buf_append(b, "&ndash;<br><small>no requests reported</small>");
	}
	else
		buf_append(b, "n/a</td>\n<td>n/a");
	buf_append(b, "</td>\n<td>");
	buf_append_html(b, db_cell(f, r, F_AGE));
	buf_append(b, "</td>\n<td><ul class=\"history\">");
	for (h = 0; v->history != NULL && h < v->history->nrows; h++)
	{
		if (strcmp(db_cell(v->history, h, H_KEY), key) != 0)
			continue;
		buf_append(b, "<li>");
		buf_append_html(b, db_cell(v->history, h, H_AT));
		buf_append(b, " <b>");
		buf_append_html(b, db_cell(v->history, h, H_ACTION));
		buf_append(b, "</b> by ");
		buf_append_html(b, db_cell(v->history, h, H_WHO));
		if (db_cell(v->history, h, H_NOTE) != NULL)
		{
			buf_append(b, ": ");
			buf_append_html(b, db_cell(v->history, h, H_NOTE));
		}
		buf_append(b, "</li>");
		shown++;
	}
	if (shown == 0)
		buf_append(b, "<li>no history</li>");
	buf_append(b, "</ul></td>\n</tr>\n");
}

/* The whole board page; see board_view for what it shows. */
char *
board_render(const board_view *v)
{
	gk_buf		b = {0};
	int			r;

	append_head(&b, "Release board");
	buf_append(&b, "<header><h1>Release board</h1><p>Signed in as <b id=\"user\">");
	buf_append_html(&b, v->user);
	buf_append(&b, "</b>: actions run as this PostgreSQL role and the audit log names it.</p></header>\n");
	if (v->message != NULL)
	{
		buf_append(&b, v->message_is_error ? "<div class=\"msg err\" role=\"alert\">"
				   : "<div class=\"msg ok\" role=\"status\">");
		buf_append_html(&b, v->message);
		buf_append(&b, "</div>\n");
	}
	buf_append(&b, "<form id=\"enable\" class=\"actions\" method=\"post\" action=\"/enable\">");
	append_csrf(&b, v->csrf);
	buf_append(&b, "<label>Reason for the audit log <input type=\"text\" name=\"note\" maxlength=\"200\" "
			   "placeholder=\"e.g. release 2026.12\"></label>"
			   "<button type=\"submit\" id=\"enable-selected\">Enable selected</button></form>\n");
	if (v->stats == NULL && v->stats_error != NULL)
	{
		buf_append(&b, "<p><small>Guard state and error rates are not available: ");
		buf_append_html(&b, v->stats_error);
		buf_append(&b, "</small></p>\n");
	}
	buf_append(&b, "<table>\n<thead><tr><th>Select</th><th>Flag</th><th>Release</th><th>State</th>"
			   "<th>Rollout</th><th>Regulated / approval</th><th>Guard</th><th>Error rate</th>"
			   "<th>Age</th><th>Recent history</th></tr></thead>\n<tbody>\n");
	for (r = 0; v->flags != NULL && r < v->flags->nrows; r++)
		append_flag(&b, v, r);
	if (v->flags == NULL || v->flags->nrows == 0)
		buf_append(&b, "<tr><td colspan=\"10\">No flags are waiting for release.</td></tr>\n");
	buf_append(&b, "</tbody>\n</table>\n</body>\n</html>\n");
	return buf_take(&b);
}
