/*-------------------------------------------------------------------------
 *
 * report.c
 *		Render classification results as text, JSON, GitHub workflow
 *		annotations or SARIF 2.1.0.
 *
 * Renderers build a string and hand it back; the caller (main.c) writes
 * it.  Output is deterministic (no timestamps, paths as given) so that
 * golden files can compare it byte for byte.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gatekeeper.h"

typedef struct outbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;
} outbuf;

/* Append n bytes; on OOM the buffer is marked failed */
static void
ob_append(outbuf *ob, const char *s, size_t n)
{
	if (ob->failed)
		return;
	if (ob->len + n + 1 > ob->cap)
	{
		size_t		cap = ob->cap ? ob->cap : 4096;
		char	   *grown;

		while (cap < ob->len + n + 1)
			cap *= 2;
		grown = realloc(ob->data, cap);
		if (grown == NULL)
		{
			ob->failed = true;
			return;
		}
		ob->data = grown;
		ob->cap = cap;
	}
	memcpy(ob->data + ob->len, s, n);
	ob->len += n;
	ob->data[ob->len] = '\0';
}

/* Append a NUL-terminated string */
static void
ob_puts(outbuf *ob, const char *s)
{
	ob_append(ob, s, strlen(s));
}

/* Append formatted text of any length */
static void
ob_printf(outbuf *ob, const char *fmt,...)
{
	char		small[1024];
	char	   *big;
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n < sizeof(small))
	{
		ob_append(ob, small, n);
		return;
	}
	big = malloc(n + 1);
	if (big == NULL)
	{
		ob->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, n + 1, fmt, ap);
	va_end(ap);
	ob_append(ob, big, n);
	free(big);
}

static int	utf8_seq_len(const unsigned char *p);

/*
 * A JSON string from text that may not be valid UTF-8 (migration files
 * are bytes): invalid sequences become U+FFFD so nothing is dropped.
 */
static json_t *
jstr(const char *s)
{
	json_t	   *j = json_string(s);
	outbuf		ob = {0};
	const unsigned char *p = (const unsigned char *) s;

	if (j != NULL || s == NULL)
		return j;
	while (*p)
	{
		int			len = utf8_seq_len(p);

		if (len == 0)
		{
			ob_puts(&ob, "\xEF\xBF\xBD");
			p++;
			continue;
		}
		ob_append(&ob, (const char *) p, len);
		p += len;
	}
	j = json_string(ob.data ? ob.data : "");
	free(ob.data);
	return j;
}

/*
 * Parse a --format value.
 */
bool
gk_format_parse(const char *name, gk_format *out)
{
	if (strcmp(name, "text") == 0)
		*out = GK_FORMAT_TEXT;
	else if (strcmp(name, "json") == 0)
		*out = GK_FORMAT_JSON;
	else if (strcmp(name, "github") == 0)
		*out = GK_FORMAT_GITHUB;
	else if (strcmp(name, "sarif") == 0)
		*out = GK_FORMAT_SARIF;
	else
		return false;
	return true;
}

/* First line of a statement, shortened for one-line display */
static void
short_text(const char *text, char *buf, size_t size)
{
	size_t		n = 0;
	const char *p = text ? text : "";

	while (*p && *p != '\n' && n + 4 < size)
		buf[n++] = *p++;
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\r' || buf[n - 1] == '\t'))
		n--;
	if (*p)
	{
		/* do not cut a UTF-8 sequence in half */
		while (n > 0 && ((unsigned char) buf[n] & 0xC0) == 0x80)
			n--;
		buf[n++] = '.';
		buf[n++] = '.';
		buf[n++] = '.';
	}
	buf[n] = '\0';
}

/* JSON name of a statement origin */
static const char *
origin_name(gk_origin o)
{
	return o == GK_ORIGIN_DO ? "do" : o == GK_ORIGIN_EXECUTE ? "execute" : "top";
}

/* JSON name of a transaction mode */
static const char *
mode_name(gk_txn_mode m)
{
	return m == GK_MODE_AUTOCOMMIT ? "autocommit" : "transaction";
}

/* Statement count of a file, and how many are risky */
static int
count_statements(const gk_file_result *r, int *risky)
{
	*risky = r->nrisky;
	return r->nresults;
}

/* ---------------------------------------------------------------- text */
static void
render_text(outbuf *ob, const gk_file_result *results, int n)
{
	int			f;
	int			nrisky_files = 0;

	for (f = 0; f < n; f++)
	{
		const gk_file_result *fr = &results[f];
		const char *path = fr->file->path;
		int			i;
		int			risky;
		int			total = count_statements(fr, &risky);

		for (i = 0; i < fr->nresults; i++)
		{
			const gk_stmt_result *r = &fr->results[i];
			char		shown[128];
			int			k;

			short_text(r->stmt->text, shown, sizeof(shown));
			ob_printf(ob, "%s:%d:%d: %s: %s%s\n", path, r->stmt->line, r->stmt->col,
					  r->risky ? "risky" : "safe",
					  r->stmt->origin == GK_ORIGIN_DO ? "(in DO) " :
					  r->stmt->origin == GK_ORIGIN_EXECUTE ? "(EXECUTE in DO) " : "",
					  shown);
			if (r->nlocks > 0 || r->rewrite || r->scan || r->data_loss)
			{
				ob_puts(ob, "    lock:");
				for (k = 0; k < r->nlocks; k++)
					ob_printf(ob, "%s %s on %s%s", k ? ";" : "",
							  gk_lock_name(r->locks[k].mode), r->locks[k].relation,
							  r->locks[k].existing ? "" : " (new)");
				if (r->nlocks == 0)
					ob_puts(ob, " none");
				if (r->rewrite)
					ob_puts(ob, "; rewrites table");
				if (r->scan)
					ob_puts(ob, "; scans table");
				if (r->data_loss)
					ob_puts(ob, "; loses data");
				ob_puts(ob, "\n");
			}
			for (k = 0; k < r->nfindings; k++)
			{
				const gk_finding *fd = &r->findings[k];

				if (fd->allowed)
					ob_printf(ob, "    allowed [%s]: %s\n        reason: %s\n",
							  fd->rule->id, fd->detail, fd->allow_reason);
				else if (fd->rule->severity == GK_SEV_NOTE)
					ob_printf(ob, "    note [%s]: %s; consider %s\n",
							  fd->rule->id, fd->detail, fd->rule->alternative);
				else
					ob_printf(ob, "    risky [%s]: %s\n        why: %s\n        safe alternative: %s\n",
							  fd->rule->id, fd->detail, fd->rule->summary, fd->rule->alternative);
			}
		}
		if (fr->risky)
			nrisky_files++;
		ob_printf(ob, "%s: %s (%d statement%s, %d risky; applied %s)\n", path,
				  fr->risky ? "RISKY" : "SAFE", total, total == 1 ? "" : "s", risky,
				  fr->mode == GK_MODE_AUTOCOMMIT ?
				  "in autocommit, one statement at a time" : "in one transaction");
	}
	ob_printf(ob, "gatekeeper: %d file%s checked, %d safe, %d risky\n", n,
			  n == 1 ? "" : "s", n - nrisky_files, nrisky_files);
}

/* ---------------------------------------------------------------- JSON */

/*
 * Length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes there
 * are not one: overlong forms, surrogates and values above U+10FFFF are
 * rejected, as jansson does.
 */
static int
utf8_seq_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		return (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xE0 && p[0] <= 0xEF)
	{
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0))
			return 0;
		return 3;
	}
	if (p[0] >= 0xF0 && p[0] <= 0xF4)
	{
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
			return 0;
		if ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * Streaming JSON writer.  It produces exactly jansson's layout
 * (JSON_INDENT(2), or JSON_COMPACT) without building a document in
 * memory, which matters for files of thousands of statements.
 */
typedef struct jwriter
{
	outbuf	   *ob;
	bool		compact;
	int			depth;
	bool		first[64];		/* no member written yet at this depth */
} jwriter;

/* Newline and indentation before a member or a closing bracket */
static void
jw_newline(jwriter *w, int depth)
{
	int			i;

	if (w->compact)
		return;
	ob_puts(w->ob, "\n");
	for (i = 0; i < depth; i++)
		ob_puts(w->ob, "  ");
}

/* A JSON string literal; invalid UTF-8 becomes U+FFFD */
static void
jw_string(jwriter *w, const char *s)
{
	const unsigned char *p = (const unsigned char *) (s ? s : "");
	const unsigned char *run = p;

	ob_puts(w->ob, "\"");
	while (*p)
	{
		int			len = utf8_seq_len(p);
		const char *esc = NULL;
		char		ubuf[8];

		if (len == 1 && *p >= 0x20 && *p != '"' && *p != '\\')
		{
			p++;
			continue;
		}
		ob_append(w->ob, (const char *) run, p - run);
		if (len == 0)
		{
			ob_puts(w->ob, "\xEF\xBF\xBD");
			p++;
		}
		else if (len > 1)
		{
			ob_append(w->ob, (const char *) p, len);
			p += len;
		}
		else
		{
			switch (*p)
			{
				case '"':
					esc = "\\\"";
					break;
				case '\\':
					esc = "\\\\";
					break;
				case '\b':
					esc = "\\b";
					break;
				case '\f':
					esc = "\\f";
					break;
				case '\n':
					esc = "\\n";
					break;
				case '\r':
					esc = "\\r";
					break;
				case '\t':
					esc = "\\t";
					break;
				default:
					snprintf(ubuf, sizeof(ubuf), "\\u%04X", *p);
					esc = ubuf;
			}
			ob_puts(w->ob, esc);
			p++;
		}
		run = p;
	}
	ob_append(w->ob, (const char *) run, p - run);
	ob_puts(w->ob, "\"");
}

/* Separator and key of the next member of the current object or array */
static void
jw_key(jwriter *w, const char *key)
{
	if (!w->first[w->depth])
		ob_puts(w->ob, ",");
	w->first[w->depth] = false;
	jw_newline(w, w->depth);
	if (key != NULL)
	{
		jw_string(w, key);
		ob_puts(w->ob, w->compact ? ":" : ": ");
	}
}

static void
jw_open(jwriter *w, const char *key, char bracket)
{
	jw_key(w, key);
	ob_append(w->ob, &bracket, 1);
	if (w->depth < 62)
		w->depth++;
	w->first[w->depth] = true;
}

static void
jw_close(jwriter *w, char bracket)
{
	bool		empty = w->first[w->depth];

	w->depth--;
	if (!empty)
		jw_newline(w, w->depth);
	ob_append(w->ob, &bracket, 1);
}

static void
jw_kstr(jwriter *w, const char *key, const char *value)
{
	jw_key(w, key);
	jw_string(w, value);
}

static void
jw_kint(jwriter *w, const char *key, long value)
{
	jw_key(w, key);
	ob_printf(w->ob, "%ld", value);
}

static void
jw_kbool(jwriter *w, const char *key, bool value)
{
	jw_key(w, key);
	ob_puts(w->ob, value ? "true" : "false");
}

/* One file of the JSON report */
static void
write_file_json(jwriter *w, const gk_file_result *fr)
{
	int			i;
	int			risky;
	int			total = count_statements(fr, &risky);

	jw_open(w, NULL, '{');
	jw_kstr(w, "path", fr->file->path);
	jw_kstr(w, "verdict", fr->risky ? "risky" : "safe");
	jw_kstr(w, "mode", mode_name(fr->mode));
	jw_kint(w, "statements_total", total);
	jw_kint(w, "statements_risky", risky);
	jw_open(w, "statements", '[');
	for (i = 0; i < fr->nresults; i++)
	{
		const gk_stmt_result *r = &fr->results[i];
		int			k;

		jw_open(w, NULL, '{');
		jw_kint(w, "line", r->stmt->line);
		jw_kint(w, "column", r->stmt->col);
		jw_kstr(w, "origin", origin_name(r->stmt->origin));
		jw_kstr(w, "sql", r->stmt->text ? r->stmt->text : "");
		jw_kstr(w, "verdict", r->risky ? "risky" : "safe");
		jw_open(w, "locks", '[');
		for (k = 0; k < r->nlocks; k++)
		{
			jw_open(w, NULL, '{');
			jw_kstr(w, "mode", gk_lock_name(r->locks[k].mode));
			jw_kstr(w, "relation", r->locks[k].relation);
			jw_kbool(w, "existing", r->locks[k].existing);
			jw_kbool(w, "blocks_writes", gk_lock_blocks_writes(r->locks[k].mode));
			jw_close(w, '}');
		}
		jw_close(w, ']');
		jw_kbool(w, "rewrite", r->rewrite);
		jw_kbool(w, "scan", r->scan);
		jw_kbool(w, "data_loss", r->data_loss);
		jw_open(w, "findings", '[');
		for (k = 0; k < r->nfindings; k++)
		{
			const gk_finding *fd = &r->findings[k];

			jw_open(w, NULL, '{');
			jw_kstr(w, "rule", fd->rule->id);
			jw_kstr(w, "severity", fd->rule->severity == GK_SEV_RISKY ? "risky" : "note");
			jw_kstr(w, "message", fd->detail ? fd->detail : "");
			jw_kstr(w, "why", fd->rule->summary);
			jw_kstr(w, "safe_alternative", fd->rule->alternative);
			jw_kbool(w, "allowed", fd->allowed);
			if (fd->allowed)
				jw_kstr(w, "allow_reason", fd->allow_reason);
			jw_close(w, '}');
		}
		jw_close(w, ']');
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

/* The JSON document for all files */
static void
write_report_json(outbuf *ob, bool compact, const gk_file_result *results, int n,
				  const gk_options *opts)
{
	jwriter		w;
	int			f;
	int			nrisky = 0;

	memset(&w, 0, sizeof(w));
	w.ob = ob;
	w.compact = compact;
	w.first[0] = true;
	ob_puts(ob, "{");
	w.depth = 1;
	w.first[1] = true;
	jw_kstr(&w, "tool", "gatekeeper");
	jw_kstr(&w, "version", GK_VERSION);
	jw_kint(&w, "pg_version", opts->pg_version);
	jw_open(&w, "files", '[');
	for (f = 0; f < n; f++)
	{
		write_file_json(&w, &results[f]);
		if (results[f].risky)
			nrisky++;
	}
	jw_close(&w, ']');
	jw_open(&w, "summary", '{');
	jw_kint(&w, "files", n);
	jw_kint(&w, "safe", n - nrisky);
	jw_kint(&w, "risky", nrisky);
	jw_close(&w, '}');
	jw_kstr(&w, "verdict", nrisky ? "risky" : "safe");
	jw_close(&w, '}');
}

/*
 * The JSON report of one file, compact, as stored in the migration ledger
 * by "gatekeeper apply".  Caller frees with free(); NULL when out of memory.
 */
char *
gk_report_json_file(const gk_file_result *result, const gk_options *opts)
{
	outbuf		ob = {0};

	write_report_json(&ob, true, result, 1, opts);
	if (ob.failed)
	{
		free(ob.data);
		return NULL;
	}
	return ob.data;
}

/* ---------------------------------------------------------------- GitHub */
static void
gh_escape(outbuf *ob, const char *s, bool property)
{
	for (; *s; s++)
	{
		switch (*s)
		{
			case '%':
				ob_puts(ob, "%25");
				break;
			case '\r':
				ob_puts(ob, "%0D");
				break;
			case '\n':
				ob_puts(ob, "%0A");
				break;
			case ':':
				if (property)
					ob_puts(ob, "%3A");
				else
					ob_append(ob, s, 1);
				break;
			case ',':
				if (property)
					ob_puts(ob, "%2C");
				else
					ob_append(ob, s, 1);
				break;
			default:
				ob_append(ob, s, 1);
		}
	}
}

/* GitHub workflow commands, one per finding, then a summary line */
static void
render_github(outbuf *ob, const gk_file_result *results, int n)
{
	int			f;
	int			nrisky = 0;

	for (f = 0; f < n; f++)
	{
		const gk_file_result *fr = &results[f];
		int			i;

		if (fr->risky)
			nrisky++;
		for (i = 0; i < fr->nresults; i++)
		{
			const gk_stmt_result *r = &fr->results[i];
			int			k;

			for (k = 0; k < r->nfindings; k++)
			{
				const gk_finding *fd = &r->findings[k];
				const char *level = fd->allowed || fd->rule->severity == GK_SEV_NOTE ?
				"notice" : "error";
				char		title[160];
				outbuf		msg = {0};

				snprintf(title, sizeof(title), "gatekeeper %s%s", fd->rule->id,
						 fd->allowed ? " (allowed)" : "");
				ob_printf(ob, "::%s file=", level);
				gh_escape(ob, fr->file->path, true);
				ob_printf(ob, ",line=%d,col=%d,title=", r->stmt->line, r->stmt->col);
				gh_escape(ob, title, true);
				ob_puts(ob, "::");
				if (fd->allowed)
					ob_printf(&msg, "%s\nallowed: %s", fd->detail, fd->allow_reason);
				else if (fd->rule->severity == GK_SEV_NOTE)
					ob_printf(&msg, "%s; consider %s", fd->detail, fd->rule->alternative);
				else
					ob_printf(&msg, "%s\n%s\nSafe alternative: %s", fd->detail,
							  fd->rule->summary, fd->rule->alternative);
				if (msg.failed)
					ob->failed = true;
				else
					gh_escape(ob, msg.data ? msg.data : "", false);
				free(msg.data);
				ob_puts(ob, "\n");
			}
		}
	}
	ob_printf(ob, "gatekeeper: %d file%s checked, %d safe, %d risky\n", n,
			  n == 1 ? "" : "s", n - nrisky, nrisky);
}

/*
 * A GitHub annotation for an error tied to a file position (unparsable SQL,
 * a bad directive), so that it shows on the pull request like a finding.
 * Caller frees; NULL when out of memory.
 */
char *
gk_report_github_error(const gk_error *err)
{
	outbuf		ob = {0};

	ob_puts(&ob, "::error file=");
	gh_escape(&ob, err->file, true);
	ob_printf(&ob, ",line=%d,col=%d,title=", err->line, err->col);
	gh_escape(&ob, err->kind == GK_ERR_PARSE ? "gatekeeper unparsable SQL" :
			  "gatekeeper usage error", true);
	ob_puts(&ob, "::");
	gh_escape(&ob, err->message, false);
	ob_puts(&ob, "\n");
	if (ob.failed)
	{
		free(ob.data);
		return NULL;
	}
	return ob.data;
}

/* ---------------------------------------------------------------- SARIF */
static json_t *
report_sarif(const gk_file_result *results, int n)
{
	json_t	   *root = json_object();
	json_t	   *runs = json_array();
	json_t	   *run = json_object();
	json_t	   *tool = json_object();
	json_t	   *driver = json_object();
	json_t	   *rules = json_array();
	json_t	   *res = json_array();
	int			i;
	int			f;

	json_object_set_new(root, "$schema",
						json_string("https://json.schemastore.org/sarif-2.1.0.json"));
	json_object_set_new(root, "version", json_string("2.1.0"));
	json_object_set_new(driver, "name", json_string("gatekeeper"));
	json_object_set_new(driver, "version", json_string(GK_VERSION));
	json_object_set_new(driver, "semanticVersion", json_string(GK_VERSION));
	json_object_set_new(driver, "informationUri",
						json_string("https://github.com/pg-release/pg_release/blob/main/docs/gatekeeper.md"));
	for (i = 0; i < gk_rule_count(); i++)
	{
		const gk_rule *rule = gk_rule_at(i);
		json_t	   *jr = json_object();
		json_t	   *sd = json_object();
		json_t	   *help = json_object();
		json_t	   *cfg = json_object();

		json_object_set_new(jr, "id", json_string(rule->id));
		json_object_set_new(sd, "text", json_string(rule->summary));
		json_object_set_new(jr, "shortDescription", sd);
		json_object_set_new(help, "text", json_string(rule->alternative));
		json_object_set_new(jr, "help", help);
		json_object_set_new(cfg, "level",
							json_string(rule->severity == GK_SEV_RISKY ? "error" : "note"));
		json_object_set_new(jr, "defaultConfiguration", cfg);
		json_array_append_new(rules, jr);
	}
	json_object_set_new(driver, "rules", rules);
	json_object_set_new(tool, "driver", driver);
	json_object_set_new(run, "tool", tool);

	for (f = 0; f < n; f++)
	{
		const gk_file_result *fr = &results[f];

		for (i = 0; i < fr->nresults; i++)
		{
			const gk_stmt_result *r = &fr->results[i];
			int			k;

			for (k = 0; k < r->nfindings; k++)
			{
				const gk_finding *fd = &r->findings[k];
				json_t	   *jr = json_object();
				json_t	   *msg = json_object();
				json_t	   *locs = json_array();
				json_t	   *loc = json_object();
				json_t	   *phys = json_object();
				json_t	   *art = json_object();
				json_t	   *region = json_object();
				char		text[2048];

				json_object_set_new(jr, "ruleId", json_string(fd->rule->id));
				json_object_set_new(jr, "ruleIndex", json_integer(gk_rule_index(fd->rule)));
				json_object_set_new(jr, "level",
									json_string(fd->rule->severity == GK_SEV_RISKY ? "error" : "note"));
				snprintf(text, sizeof(text), "%s. Safe alternative: %s", fd->detail,
						 fd->rule->alternative);
				json_object_set_new(msg, "text", jstr(text));
				json_object_set_new(jr, "message", msg);
				json_object_set_new(art, "uri", jstr(fr->file->path));
				json_object_set_new(phys, "artifactLocation", art);
				json_object_set_new(region, "startLine", json_integer(r->stmt->line));
				json_object_set_new(region, "startColumn", json_integer(r->stmt->col));
				json_object_set_new(phys, "region", region);
				json_object_set_new(loc, "physicalLocation", phys);
				json_array_append_new(locs, loc);
				json_object_set_new(jr, "locations", locs);
				if (fd->allowed)
				{
					json_t	   *sups = json_array();
					json_t	   *sup = json_object();

					json_object_set_new(sup, "kind", json_string("inSource"));
					json_object_set_new(sup, "justification", jstr(fd->allow_reason));
					json_array_append_new(sups, sup);
					json_object_set_new(jr, "suppressions", sups);
				}
				json_array_append_new(res, jr);
			}
		}
	}
	json_object_set_new(run, "results", res);
	json_array_append_new(runs, run);
	json_object_set_new(root, "runs", runs);
	return root;
}

/*
 * Render the report for all files.  Returns a malloc'd string the caller
 * frees, or NULL (err set) when out of memory.
 */
char *
gk_report_render(gk_format format, const gk_file_result *results, int nresults,
				 const gk_options *opts, gk_error *err)
{
	outbuf		ob = {0};
	json_t	   *root = NULL;
	char	   *s;

	switch (format)
	{
		case GK_FORMAT_TEXT:
			render_text(&ob, results, nresults);
			break;
		case GK_FORMAT_GITHUB:
			render_github(&ob, results, nresults);
			break;
		case GK_FORMAT_JSON:
			write_report_json(&ob, false, results, nresults, opts);
			ob_puts(&ob, "\n");
			break;
		case GK_FORMAT_SARIF:
			root = report_sarif(results, nresults);
			break;
	}
	if (root != NULL)
	{
		s = json_dumps(root, JSON_INDENT(2));
		json_decref(root);
		if (s != NULL)
		{
			ob_puts(&ob, s);
			ob_puts(&ob, "\n");
			free(s);
		}
		else
			ob.failed = true;
	}
	if (ob.failed || ob.data == NULL)
	{
		free(ob.data);
		if (err)
		{
			memset(err, 0, sizeof(*err));
			err->kind = GK_ERR_NOMEM;
			snprintf(err->message, sizeof(err->message), "out of memory while rendering the report");
		}
		return NULL;
	}
	return ob.data;
}
