/*-------------------------------------------------------------------------
 *
 * livecat.c
 *		Verdicts from the live catalog: with a connection, `gatekeeper
 *		apply` knows how big each relation is and whether it exists yet.
 *
 * The static classifier (classify.c) cannot see the database, so it
 * treats every relation not created earlier in the file as a big, busy
 * table.  This pass revisits its findings with a size lookup supplied by
 * the caller (db.c in production, a table in the unit tests):
 *  - a statement whose locked relations are all below small_bytes holds its
 *    lock only briefly, so the locking rules (scans and rewrites under a
 *    write-blocking lock, a missing lock_timeout) are not risky for it,
 *    provided apply itself sets a lock_timeout;
 *  - a statement whose locked relations do not exist yet works on objects
 *    an earlier file of the same run will create: they are new, so nothing
 *    running can be hurt (except rules about how the file is run).
 * Such findings are marked allowed with a reason starting "catalog:", so
 * every report says which verdicts came from the catalog.  Pure code: no I/O.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apply.h"

/* Rules whose risk is a write-blocking lock held for long on a big relation */
static const char *const locking_rules[] = {
	"missing-lock-timeout",
	"create-index-not-concurrently",
	"reindex-not-concurrently",
	"add-constraint-validates",
	"add-unique-builds-index",
	"validate-in-same-transaction",
	"lock-held-during-scan",
	"set-not-null-scans",
	"add-column-not-null-scans",
	"add-column-rewrite",
	"alter-column-type-rewrite",
	"table-rewrite",
	"cluster",
	"vacuum-full",
	"refresh-matview-not-concurrently",
	"attach-partition-scans",
	NULL
};

/* Rules about how the file runs: no relation can make them safe */
static const char *const file_rules[] = {
	"early-commit",
	"non-transactional-in-transaction",
	"dynamic-sql-unresolved",
	"enum-add-value-in-transaction",
	NULL
};

static bool
rule_in(const char *id, const char *const *list)
{
	int			i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], id) == 0)
			return true;
	return false;
}

/* Keep a formatted string in list; NULL when out of memory */
static const char *
strlist_printf(gk_strlist *list, const char *fmt,...)
{
	char		buf[1024];
	va_list		ap;
	char	   *s;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (list->n == list->cap)
	{
		int			cap = list->cap ? list->cap * 2 : 16;
		char	  **grown = realloc(list->items, sizeof(char *) * cap);

		if (grown == NULL)
			return NULL;
		list->items = grown;
		list->cap = cap;
	}
	s = strdup(buf);
	if (s == NULL)
		return NULL;
	list->items[list->n++] = s;
	return s;
}

/* Release every string of the list; the list itself may be reused */
void
gk_strlist_free(gk_strlist *list)
{
	int			i;

	for (i = 0; i < list->n; i++)
		free(list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* A byte count for people: 8192 -> "8 kB" (PostgreSQL's pg_size_pretty units) */
static void
pretty_size(long long bytes, char *buf, size_t len)
{
	if (bytes < 10 * 1024)
		snprintf(buf, len, "%lld bytes", bytes);
	else if (bytes < 10LL * 1024 * 1024)
		snprintf(buf, len, "%lld kB", (bytes + 512) / 1024);
	else if (bytes < 10LL * 1024 * 1024 * 1024)
		snprintf(buf, len, "%lld MB", (bytes + 512 * 1024) / (1024 * 1024));
	else
		snprintf(buf, len, "%lld GB", (bytes + 512LL * 1024 * 1024) / (1024LL * 1024 * 1024));
}

/*
 * Parse a size: a number with an optional unit B, kB, MB, GB, TB (powers
 * of 1024, case-insensitive, as in postgresql.conf).  "10MB" -> 10485760.
 */
bool
gk_parse_size_bytes(const char *text, long long *bytes)
{
	char	   *end;
	long long	v;
	long long	mult = 1;

	if (text == NULL || !isdigit((unsigned char) text[0]))
		return false;
	v = strtoll(text, &end, 10);
	while (*end == ' ')
		end++;
	if (*end == '\0' || strcasecmp(end, "B") == 0)
		mult = 1;
	else if (strcasecmp(end, "kB") == 0)
		mult = 1024LL;
	else if (strcasecmp(end, "MB") == 0)
		mult = 1024LL * 1024;
	else if (strcasecmp(end, "GB") == 0)
		mult = 1024LL * 1024 * 1024;
	else if (strcasecmp(end, "TB") == 0)
		mult = 1024LL * 1024 * 1024 * 1024;
	else
		return false;
	if (v < 0 || v > (1LL << 50) / mult)
		return false;
	*bytes = v * mult;
	return true;
}

/*
 * Revisit the findings of one classified file with the live catalog (see
 * the file header).  small_bytes 0 turns the size rule off; so does a
 * lock_timeout_ms of 0, because a short lock is only short when a queue
 * behind it cannot form.  *lifted counts the findings now allowed.
 * Reasons are kept in notes, which must outlive the result.  Returns 0, or
 * -1 when a lookup failed or memory ran out (verdicts changed so far stay).
 */
int
gk_catalog_verdicts(gk_file_result *result, gk_relsize_fn relsize, void *ctx,
					long long small_bytes, long lock_timeout_ms,
					gk_strlist *notes, int *lifted)
{
	bool		file_all_small = true;
	int			i;
	int			k;

	*lifted = 0;

	/* does every existing relation the file locks exist and is it small? */
	for (i = 0; i < result->nresults; i++)
	{
		gk_stmt_result *r = &result->results[i];

		for (k = 0; k < r->nlocks; k++)
		{
			long long	bytes = 0;
			int			rc;

			if (!r->locks[k].existing)
				continue;
			rc = relsize(ctx, r->locks[k].relation, &bytes);
			if (rc < 0)
				return -1;
			if (rc == 1 && (small_bytes <= 0 || bytes >= small_bytes))
				file_all_small = false;
		}
	}

	result->risky = false;
	result->nrisky = 0;
	for (i = 0; i < result->nresults; i++)
	{
		gk_stmt_result *r = &result->results[i];
		int			nexisting = 0;
		int			nmissing = 0;
		int			nsmall = 0;
		long long	largest = 0;
		const char *largest_rel = NULL;
		const char *missing_rel = NULL;
		const char *reason_small = NULL;
		const char *reason_new = NULL;

		for (k = 0; k < r->nlocks; k++)
		{
			long long	bytes = 0;
			int			rc;

			if (!r->locks[k].existing)
				continue;
			nexisting++;
			rc = relsize(ctx, r->locks[k].relation, &bytes);
			if (rc < 0)
				return -1;
			if (rc == 0)
			{
				nmissing++;
				missing_rel = r->locks[k].relation;
			}
			else if (small_bytes > 0 && bytes < small_bytes)
			{
				nsmall++;
				if (largest_rel == NULL || bytes >= largest)
				{
					largest = bytes;
					largest_rel = r->locks[k].relation;
				}
			}
		}

		for (k = 0; k < r->nfindings; k++)
		{
			gk_finding *fd = &r->findings[k];

			if (fd->allowed || fd->rule->severity != GK_SEV_RISKY || nexisting == 0)
				continue;
			if (nmissing == nexisting && !rule_in(fd->rule->id, file_rules))
			{
				if (reason_new == NULL)
				{
					if (nexisting == 1)
						reason_new = strlist_printf(notes,
													"catalog: %s does not exist yet, so it is new (created by an earlier file)",
													missing_rel);
					else
						reason_new = strlist_printf(notes,
													"catalog: none of the %d relations it locks exists yet, so they are new",
													nexisting);
					if (reason_new == NULL)
						return -1;
				}
				fd->allowed = true;
				fd->allow_reason = reason_new;
				(*lifted)++;
			}
			else if (nsmall + nmissing == nexisting && nsmall > 0 && lock_timeout_ms > 0 &&
					 rule_in(fd->rule->id, locking_rules) &&
					 (strcmp(fd->rule->id, "lock-held-during-scan") != 0 || file_all_small))
			{
				if (reason_small == NULL)
				{
					char		size[32];
					char		limit[32];

					pretty_size(largest, size, sizeof(size));
					pretty_size(small_bytes, limit, sizeof(limit));
					reason_small = strlist_printf(notes,
												  "catalog: %s is %s, below the small-table limit of %s, and apply sets lock_timeout = %ldms",
												  largest_rel, size, limit, lock_timeout_ms);
					if (reason_small == NULL)
						return -1;
				}
				fd->allowed = true;
				fd->allow_reason = reason_small;
				(*lifted)++;
			}
		}

		r->risky = false;
		for (k = 0; k < r->nfindings; k++)
			if (r->findings[k].rule->severity == GK_SEV_RISKY && !r->findings[k].allowed)
				r->risky = true;
		if (r->risky)
		{
			result->risky = true;
			result->nrisky++;
		}
	}
	return 0;
}
