/*-------------------------------------------------------------------------
 *
 * gatekeeper.h
 *		Public interface of the gatekeeper library: parse migration files,
 *		classify their statements, render reports.
 *
 * Everything here is pure library code: no function prints or exits.
 * Errors come back as a gk_error filled in by the callee; main.c decides
 * what to print and which exit code to use.  Memory handed out by a
 * module is released by the matching *_free function of that module.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEKEEPER_H
#define GATEKEEPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#define GK_VERSION "0.1.0"

/* Stable exit codes, documented in docs/gatekeeper.md */
#define GK_EXIT_SAFE		0
#define GK_EXIT_RISKY		1
#define GK_EXIT_PARSE		2
#define GK_EXIT_USAGE		3
#define GK_EXIT_DATABASE	4
#define GK_EXIT_WAITING		5	/* apply: a risky file awaits approval (or was rejected) */
#define GK_EXIT_FAILED		6	/* apply: a migration failed, was rolled back and recorded */
#define GK_EXIT_DRIFT		7	/* apply: an applied migration changed; nothing ran */

/* Error kinds; each maps onto one exit code */
typedef enum gk_error_kind
{
	GK_OK = 0,
	GK_ERR_PARSE,				/* unparsable SQL: exit 2 */
	GK_ERR_USAGE,				/* bad option, bad directive, missing file: exit 3 */
	GK_ERR_NOMEM				/* out of memory */
} gk_error_kind;

typedef struct gk_error
{
	gk_error_kind kind;
	char		file[512];		/* empty when not tied to a file */
	int			line;			/* 1-based, 0 when not tied to a position */
	int			col;
	char		message[512];
} gk_error;

/* PostgreSQL table-level lock modes, weakest first (same order as lockdefs.h) */
typedef enum gk_lock
{
	GK_LOCK_NONE = 0,
	GK_LOCK_ACCESS_SHARE,
	GK_LOCK_ROW_SHARE,
	GK_LOCK_ROW_EXCLUSIVE,
	GK_LOCK_SHARE_UPDATE_EXCLUSIVE,
	GK_LOCK_SHARE,
	GK_LOCK_SHARE_ROW_EXCLUSIVE,
	GK_LOCK_EXCLUSIVE,
	GK_LOCK_ACCESS_EXCLUSIVE
} gk_lock;

/* Where a statement came from */
typedef enum gk_origin
{
	GK_ORIGIN_TOP = 0,			/* a top-level statement of the file */
	GK_ORIGIN_DO,				/* a statement inside a DO block */
	GK_ORIGIN_EXECUTE			/* an EXECUTE string inside a DO block */
} gk_origin;

/* One statement, with its exact position in the file */
typedef struct gk_stmt
{
	PgQuery__Node *node;		/* NULL for opaque or PL/pgSQL-only items */
	int			line;			/* 1-based line of the first token */
	int			col;			/* 1-based column (characters) */
	size_t		offset;			/* byte offset of the first token */
	const char *text;			/* statement text (NUL-terminated copy) */
	gk_origin	origin;
	int			parent;			/* index of the enclosing DO statement, -1 */
	bool		plpgsql_commit; /* COMMIT/ROLLBACK inside a DO block */
	bool		opaque;			/* EXECUTE string that could not be resolved */
} gk_stmt;

/* An in-file "-- gatekeeper:allow RULE reason" directive */
typedef struct gk_directive
{
	char	   *rule;
	char	   *reason;
	int			line;
	int			col;
	int			stmt;			/* index of the top-level statement it covers */
} gk_directive;

/* A parsed migration file; owns the libpg_query trees */
typedef struct gk_file
{
	char	   *path;
	char	   *source;			/* NUL-terminated file contents */
	size_t		source_len;
	gk_stmt    *stmts;
	int			nstmts;
	gk_directive *directives;
	int			ndirectives;
	/* private to parse.c */
	void	  **trees;
	int			ntrees;
	int			trees_cap;
	int			stmts_cap;
	size_t	   *line_starts;	/* byte offset of each line, built on demand */
	int			nlines;
	size_t		top_base;		/* offset of the chunk being parsed */
} gk_file;

/* Rule catalogue entry */
typedef enum gk_severity
{
	GK_SEV_RISKY = 0,
	GK_SEV_NOTE
} gk_severity;

typedef struct gk_rule
{
	const char *id;
	gk_severity severity;
	const char *summary;		/* one line: what goes wrong */
	const char *alternative;	/* the safe way to write it */
} gk_rule;

/* One rule hit on one statement */
typedef struct gk_finding
{
	const gk_rule *rule;
	char	   *detail;			/* statement-specific explanation */
	bool		allowed;		/* suppressed by --allow or a directive */
	const char *allow_reason;	/* reason from the directive or option */
} gk_finding;

/* One relation lock a statement takes */
typedef struct gk_lockreq
{
	gk_lock		mode;
	char	   *relation;
	bool		existing;		/* false when created earlier in the file */
} gk_lockreq;

/* Classification of one statement */
typedef struct gk_stmt_result
{
	const gk_stmt *stmt;
	bool		risky;
	gk_lockreq *locks;
	int			nlocks;
	bool		rewrite;
	bool		scan;
	bool		data_loss;
	gk_finding *findings;
	int			nfindings;
} gk_stmt_result;

/* Transaction mode the apply step will use for a file */
typedef enum gk_txn_mode
{
	GK_MODE_TRANSACTION = 0,
	GK_MODE_AUTOCOMMIT
} gk_txn_mode;

/* Classification of one file */
typedef struct gk_file_result
{
	const gk_file *file;
	gk_txn_mode mode;
	bool		risky;
	int			nrisky;			/* statements with a risky, unallowed finding */
	gk_stmt_result *results;	/* one per gk_file.stmts entry */
	int			nresults;
	void	   *arena;			/* private: owns detail strings and arrays */
} gk_file_result;

/* Options that shape classification */
typedef struct gk_options
{
	int			pg_version;		/* major version, e.g. 15 */
	long		max_lock_timeout_ms;	/* largest lock_timeout considered safe */
	const char **allow;			/* rule ids allowed everywhere */
	int			nallow;
} gk_options;

/* Knowledge carried from earlier files of the same run (private layout) */
typedef struct gk_catalog gk_catalog;

/* rules.c */
extern const gk_rule *gk_rule_lookup(const char *id);
extern const gk_rule *gk_rule_at(int i);
extern int	gk_rule_count(void);
extern int	gk_rule_index(const gk_rule *rule);
extern const char *gk_lock_name(gk_lock mode);
extern bool gk_lock_blocks_writes(gk_lock mode);

/* parse.c */
extern int	gk_parse_source(const char *path, const char *source, size_t len,
							gk_file *out, gk_error *err);
extern int	gk_parse_path(const char *path, gk_file *out, gk_error *err);
extern void gk_file_drop_trees(gk_file *file);
extern void gk_file_free(gk_file *file);
extern void gk_offset_to_linecol(const char *source, size_t offset,
								 int *line, int *col);

/* classify.c */
extern void gk_options_init(gk_options *opts);
extern gk_catalog *gk_catalog_new(void);
extern void gk_catalog_free(gk_catalog *catalog);
extern int	gk_classify_file(const gk_file *file, const gk_options *opts,
							 gk_catalog *catalog, gk_file_result *out,
							 gk_error *err);
extern void gk_file_result_free(gk_file_result *result);
extern bool gk_parse_duration_ms(const char *text, long *ms);

/* files.c */
typedef struct gk_pathlist
{
	char	  **paths;
	int			n;
	int			cap;
} gk_pathlist;

extern int	gk_expand_paths(char *const *args, int nargs, gk_pathlist *out,
							gk_error *err);
extern void gk_pathlist_free(gk_pathlist *list);

/* report.c */
typedef enum gk_format
{
	GK_FORMAT_TEXT = 0,
	GK_FORMAT_JSON,
	GK_FORMAT_GITHUB,
	GK_FORMAT_SARIF
} gk_format;

extern bool gk_format_parse(const char *name, gk_format *out);
extern char *gk_report_render(gk_format format, const gk_file_result *results,
							  int nresults, const gk_options *opts,
							  gk_error *err);
extern char *gk_report_json_file(const gk_file_result *result,
								 const gk_options *opts);
extern char *gk_report_github_error(const gk_error *err);

#endif							/* GATEKEEPER_H */
