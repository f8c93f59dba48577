/*-------------------------------------------------------------------------
 *
 * gk_test.h
 *		Helpers shared by the gatekeeper cmocka suites: classify an SQL
 *		string and make assertions about one statement's result.
 *
 * Each helper works on a gk_case that owns the parsed file, the result
 * and the catalog; gk_case_free releases all of it so that the suites
 * stay clean under valgrind.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GK_TEST_H
#define GK_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gatekeeper.h"

typedef struct gk_case
{
	gk_options	opts;
	gk_catalog *catalog;
	gk_file		file;
	gk_file_result result;
	gk_error	err;
	int			rc;
} gk_case;

/* Parse and classify sql with default options (or *opts when given) */
static inline void
gk_case_run_opts(gk_case *c, const char *sql, const gk_options *opts)
{
	memset(c, 0, sizeof(*c));
	if (opts)
		c->opts = *opts;
	else
		gk_options_init(&c->opts);
	c->catalog = gk_catalog_new();
	assert_non_null(c->catalog);
	c->rc = gk_parse_source("test.sql", sql, strlen(sql), &c->file, &c->err);
	if (c->rc != 0)
		return;
	c->rc = gk_classify_file(&c->file, &c->opts, c->catalog, &c->result, &c->err);
}

static inline void
gk_case_run(gk_case *c, const char *sql)
{
	gk_case_run_opts(c, sql, NULL);
	if (c->rc != 0)
		fail_msg("unexpected error %d at %d:%d: %s", c->err.kind, c->err.line,
				 c->err.col, c->err.message);
}

/* Classify a second file against the catalog the first one filled */
static inline void
gk_case_next_file(gk_case *c, const char *sql)
{
	gk_file_result_free(&c->result);
	gk_file_free(&c->file);
	c->rc = gk_parse_source("test2.sql", sql, strlen(sql), &c->file, &c->err);
	assert_int_equal(c->rc, 0);
	c->rc = gk_classify_file(&c->file, &c->opts, c->catalog, &c->result, &c->err);
	assert_int_equal(c->rc, 0);
}

static inline void
gk_case_free(gk_case *c)
{
	gk_file_result_free(&c->result);
	gk_file_free(&c->file);
	gk_catalog_free(c->catalog);
	memset(c, 0, sizeof(*c));
}

static inline const gk_stmt_result *
gk_case_stmt(gk_case *c, int i)
{
	if (i < 0 || i >= c->result.nresults)
		fail_msg("statement %d out of range (file has %d)", i, c->result.nresults);
	return &c->result.results[i];
}

static inline const gk_finding *
gk_case_finding(gk_case *c, int i, const char *rule)
{
	const gk_stmt_result *r = gk_case_stmt(c, i);
	int			k;

	for (k = 0; k < r->nfindings; k++)
		if (strcmp(r->findings[k].rule->id, rule) == 0)
			return &r->findings[k];
	return NULL;
}

/* Statement i is risky and carries rule */
static inline void
gk_assert_risky(gk_case *c, int i, const char *rule)
{
	const gk_finding *f = gk_case_finding(c, i, rule);

	if (f == NULL)
		fail_msg("statement %d (%s) lacks rule %s", i, gk_case_stmt(c, i)->stmt->text, rule);
	assert_false(f->allowed);
	assert_true(gk_case_stmt(c, i)->risky);
}

/* Statement i does not carry rule */
static inline void
gk_assert_no_rule(gk_case *c, int i, const char *rule)
{
	const gk_finding *f = gk_case_finding(c, i, rule);

	if (f != NULL)
		fail_msg("statement %d (%s) unexpectedly has rule %s: %s", i,
				 gk_case_stmt(c, i)->stmt->text, rule, f->detail);
}

/* Statement i has no risky finding at all */
static inline void
gk_assert_safe(gk_case *c, int i)
{
	const gk_stmt_result *r = gk_case_stmt(c, i);
	int			k;

	for (k = 0; k < r->nfindings; k++)
		if (r->findings[k].rule->severity == GK_SEV_RISKY && !r->findings[k].allowed)
			fail_msg("statement %d (%s) unexpectedly risky: %s: %s", i, r->stmt->text,
					 r->findings[k].rule->id, r->findings[k].detail);
	assert_false(r->risky);
}

/* Statement i locks relation in exactly this mode */
static inline void
gk_assert_lock(gk_case *c, int i, gk_lock mode, const char *relation)
{
	const gk_stmt_result *r = gk_case_stmt(c, i);
	int			k;

	for (k = 0; k < r->nlocks; k++)
		if (strcmp(r->locks[k].relation, relation) == 0)
		{
			if (r->locks[k].mode != mode)
				fail_msg("statement %d locks %s in %s, expected %s", i, relation,
						 gk_lock_name(r->locks[k].mode), gk_lock_name(mode));
			return;
		}
	fail_msg("statement %d (%s) takes no lock on %s", i, r->stmt->text, relation);
}

#endif							/* GK_TEST_H */
