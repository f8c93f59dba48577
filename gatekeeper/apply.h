/*-------------------------------------------------------------------------
 *
 * apply.h
 *		gatekeeper apply: run pending migrations against a database, with
 *		the ledger of pg_release (release.migrations) deciding what runs.
 *
 * Library code like the rest: nothing here prints or exits.  Progress
 * goes through a callback supplied by main.c; the outcome comes back as a
 * gk_apply_result with the exit code, a message and a JSON list of files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEKEEPER_APPLY_H
#define GATEKEEPER_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "gatekeeper.h"

/* sha256.c */
#define GK_SHA256_HEX_LEN 64
extern void gk_sha256_hex(const void *data, size_t len, char *hex);

/* livecat.c: verdicts from the live catalog */

/*
 * Size lookup the catalog pass calls for every relation a statement locks:
 * 1 and *bytes set when the relation exists, 0 when it does not, -1 when
 * the lookup failed (the pass then gives up and keeps the static verdicts).
 */
typedef int (*gk_relsize_fn) (void *ctx, const char *relation, long long *bytes);

/* Strings owned by the caller of the catalog pass (allow reasons) */
typedef struct gk_strlist
{
	char	  **items;
	int			n;
	int			cap;
} gk_strlist;

extern int	gk_catalog_verdicts(gk_file_result *result, gk_relsize_fn relsize, void *ctx,
								long long small_bytes, long lock_timeout_ms,
								gk_strlist *notes, int *lifted);
extern void gk_strlist_free(gk_strlist *list);
extern bool gk_parse_size_bytes(const char *text, long long *bytes);

/* apply.c */
typedef void (*gk_progress_fn) (void *ctx, const char *line);

typedef struct gk_apply_options
{
	const char *dsn;
	bool		dry_run;
	long		lock_timeout_ms;	/* SET lock_timeout for every file; > 0 */
	long		statement_timeout_ms;	/* SET statement_timeout; 0 = none */
	int			wait_s;			/* wait this long for another apply */
	long long	small_table_bytes;	/* catalog: below this a lock is short; 0 = off */
	gk_options	check;			/* classification options */
	gk_progress_fn progress;	/* one line per step; may be NULL */
	void	   *progress_ctx;
} gk_apply_options;

typedef struct gk_apply_result
{
	int			exit_code;		/* GK_EXIT_* */
	char		message[2048];	/* why apply stopped; empty when all went well */
	json_t	   *files;			/* one object per file looked at */
	int			applied;
	int			skipped;		/* already applied */
} gk_apply_result;

extern void gk_apply_options_init(gk_apply_options *opts);
extern int	gk_apply_run(const gk_apply_options *opts, char *const *paths, int npaths,
						 gk_apply_result *out);
extern void gk_apply_result_free(gk_apply_result *result);

#endif							/* GATEKEEPER_APPLY_H */
