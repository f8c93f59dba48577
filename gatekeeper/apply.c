/*-------------------------------------------------------------------------
 *
 * apply.c
 *		gatekeeper apply: safe migrations go out, risky ones wait for a DBA.
 *
 * Order of work, so that nothing runs unless all of it can be trusted:
 * parse every file, connect, check pg_release, take the apply lock (a
 * session advisory lock: one apply per database), read the ledger, refuse
 * on drift (an applied file whose checksum changed), then take pending
 * files in lexical order.  A transactional file runs in one transaction
 * with SET LOCAL lock_timeout/statement_timeout, and its ledger row is
 * written in that same transaction; an autocommit file (CONCURRENTLY
 * statements and SETs) runs statement by statement with its progress in
 * the ledger, so a rerun resumes where an interrupted run stopped.  The
 * first risky file without an approval for its checksum is recorded as
 * awaiting approval and apply stops there.  A failing file is rolled back,
 * recorded failed with the server error, and stops the run; an index a
 * failed CREATE INDEX CONCURRENTLY left invalid is dropped (or the exact
 * DROP INDEX CONCURRENTLY to run is reported).
 *
 * Library code: never prints or exits.  Progress lines go to the caller's
 * callback; the outcome is a gk_apply_result.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "db.h"

/* One migration file of the run */
typedef struct apply_file
{
	const char *path;
	const char *name;			/* file name, the ledger key */
	gk_file		file;
	bool		parsed;
	char		checksum[GK_SHA256_HEX_LEN + 1];
	gk_ledger_row *row;			/* its ledger row, NULL when new */
} apply_file;

/* A relation size looked up once per run */
typedef struct relsize_entry
{
	char	   *relation;
	int			rc;
	long long	bytes;
} relsize_entry;

typedef struct apply_ctx
{
	const gk_apply_options *opts;
	gk_apply_result *out;
	gk_db	   *db;
	char		schema[128];	/* where pg_release's API lives */
	gk_sql_error serr;
	relsize_entry *sizes;
	int			nsizes;
	int			sizes_cap;
	bool		size_failed;
} apply_ctx;

/* One progress line to the caller */
static void
progress(apply_ctx *ctx, const char *fmt,...)
{
	char		buf[2048];
	va_list		ap;

	if (ctx->opts->progress == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx->opts->progress(ctx->opts->progress_ctx, buf);
}

/* Stop the run with an exit code and a message (the first one wins) */
static void
stop(apply_ctx *ctx, int code, const char *fmt,...)
{
	va_list		ap;

	if (ctx->out->exit_code != GK_EXIT_SAFE)
		return;
	ctx->out->exit_code = code;
	va_start(ap, fmt);
	vsnprintf(ctx->out->message, sizeof(ctx->out->message), fmt, ap);
	va_end(ap);
}

/* Defaults: lock_timeout 5s, statement_timeout 30min, wait 0s, small table 10MB */
void
gk_apply_options_init(gk_apply_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->dsn = "";
	opts->lock_timeout_ms = 5000;
	opts->statement_timeout_ms = 30L * 60 * 1000;
	opts->wait_s = 0;
	opts->small_table_bytes = 10LL * 1024 * 1024;
	gk_options_init(&opts->check);
}

/* Size lookup for the catalog pass, cached per run */
static int
relsize_cached(void *arg, const char *relation, long long *bytes)
{
	apply_ctx  *ctx = arg;
	relsize_entry *e;
	int			i;

	for (i = 0; i < ctx->nsizes; i++)
		if (strcmp(ctx->sizes[i].relation, relation) == 0)
		{
			*bytes = ctx->sizes[i].bytes;
			return ctx->sizes[i].rc;
		}
	if (ctx->nsizes == ctx->sizes_cap)
	{
		int			cap = ctx->sizes_cap ? ctx->sizes_cap * 2 : 32;
		relsize_entry *grown = realloc(ctx->sizes, sizeof(relsize_entry) * cap);

		if (grown == NULL)
			return -1;
		ctx->sizes = grown;
		ctx->sizes_cap = cap;
	}
	e = &ctx->sizes[ctx->nsizes];
	e->bytes = 0;
	e->rc = db_relation_size(ctx->db, relation, &e->bytes, &ctx->serr);
	if (e->rc < 0)
	{
		ctx->size_failed = true;
		return -1;
	}
	e->relation = strdup(relation);
	if (e->relation == NULL)
		return -1;
	ctx->nsizes++;
	*bytes = e->bytes;
	return e->rc;
}

/* Forget cached sizes: a file just changed the schema */
static void
relsize_forget(apply_ctx *ctx)
{
	int			i;

	for (i = 0; i < ctx->nsizes; i++)
		free(ctx->sizes[i].relation);
	ctx->nsizes = 0;
}

/* Byte offset of the pos-th (1-based) character of s, for UTF-8 text */
static size_t
char_to_byte(const char *s, size_t len, int pos)
{
	size_t		i;
	int			chars = 0;

	for (i = 0; i < len; i++)
	{
		if (((unsigned char) s[i] & 0xC0) != 0x80)
		{
			chars++;
			if (chars == pos)
				return i;
		}
	}
	return len;
}

/*
 * The server error of a statement as "path:line:col: message", the
 * position taken from the error (relative to the text sent, which starts at
 * byte base of the file) or else the statement's own position.
 */
static void
format_server_error(const apply_file *f, size_t base, const char *sent, int line, int col,
					const gk_sql_error *e, char *buf, size_t len)
{
	if (e->position > 0)
	{
		size_t		off = base + char_to_byte(sent, strlen(sent), e->position);

		gk_offset_to_linecol(f->file.source, off, &line, &col);
	}
	snprintf(buf, len, "%s:%d:%d: %s%s%s", f->path, line, col,
			 e->sqlstate[0] ? "SQLSTATE " : "", e->sqlstate, e->sqlstate[0] ? ": " : "");
	strncat(buf, e->message, len - strlen(buf) - 1);
}

/* The JSON entry of a file, added to the result */
static json_t *
file_entry(apply_ctx *ctx, const apply_file *f, const char *action)
{
	json_t	   *o = json_object();

	json_object_set_new(o, "name", json_string(f->name));
	json_object_set_new(o, "path", json_string(f->path));
	json_object_set_new(o, "checksum", json_string(f->checksum));
	json_object_set_new(o, "action", json_string(action));
	json_array_append_new(ctx->out->files, o);
	return o;
}

/* Summaries of the risky statements of a classified file, as progress lines */
static void
progress_findings(apply_ctx *ctx, const apply_file *f, const gk_file_result *r)
{
	int			i;
	int			k;

	for (i = 0; i < r->nresults; i++)
	{
		const gk_stmt_result *sr = &r->results[i];

		for (k = 0; k < sr->nfindings; k++)
		{
			const gk_finding *fd = &sr->findings[k];

			if (fd->rule->severity != GK_SEV_RISKY)
				continue;
			if (fd->allowed)
				progress(ctx, "  %s:%d:%d: allowed [%s]: %s", f->path, sr->stmt->line, sr->stmt->col,
						 fd->rule->id, fd->allow_reason);
			else
				progress(ctx, "  %s:%d:%d: risky [%s]: %s", f->path, sr->stmt->line, sr->stmt->col,
						 fd->rule->id, fd->detail ? fd->detail : fd->rule->summary);
		}
	}
}

/*
 * After a failed CREATE INDEX CONCURRENTLY: drop the indexes that became
 * invalid during it (the failed build leaves one), or say exactly what to
 * run.  The account is appended to note.
 */
static void
clean_invalid_indexes(apply_ctx *ctx, const gk_invalid_index *before, int nbefore,
					  char *note, size_t len)
{
	gk_invalid_index *after = NULL;
	gk_sql_error e;
	int			nafter = db_invalid_indexes(ctx->db, &after, &e);
	int			i;
	int			j;

	if (nafter < 0)
	{
		snprintf(note + strlen(note), len - strlen(note),
				 "\ncould not look for invalid indexes: %s", e.message);
		free(after);
		return;
	}
	for (i = 0; i < nafter; i++)
	{
		char		sql[256];
		bool		old = false;

		for (j = 0; j < nbefore; j++)
			if (before[j].oid == after[i].oid)
				old = true;
		if (old)
			continue;
		/* the name comes from the server's format('%I.%I'): already quoted */
		snprintf(sql, sizeof(sql), "DROP INDEX CONCURRENTLY IF EXISTS %s", after[i].name);
		progress(ctx, "  invalid index %s left by the failed statement", after[i].name);
		if (db_exec(ctx->db, sql, &e))
		{
			progress(ctx, "  dropped it: %s", sql);
			snprintf(note + strlen(note), len - strlen(note),
					 "\nthe invalid index %s it left was dropped (%s)", after[i].name, sql);
		}
		else
		{
			progress(ctx, "  could not drop it (%s); run: %s;", e.message, sql);
			snprintf(note + strlen(note), len - strlen(note),
					 "\nthe invalid index %s it left is still there; run: %s;", after[i].name, sql);
		}
	}
	free(after);
}

/* Is this statement CREATE INDEX CONCURRENTLY (named or not)? */
static bool
stmt_is_cic(const gk_stmt *s)
{
	return s->node != NULL && s->node->node_case == PG_QUERY__NODE__NODE_INDEX_STMT &&
		s->node->index_stmt->concurrent;
}

/* Is this statement CREATE INDEX CONCURRENTLY with a name?  Schema and name out. */
static bool
named_cic(const gk_stmt *s, const char **schema, const char **name)
{
	PgQuery__IndexStmt *ix;

	if (s->node == NULL || s->node->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
		return false;
	ix = s->node->index_stmt;
	if (!ix->concurrent || ix->idxname == NULL || ix->idxname[0] == '\0')
		return false;
	*name = ix->idxname;
	*schema = ix->relation && ix->relation->schemaname && ix->relation->schemaname[0] ?
		ix->relation->schemaname : NULL;
	return true;
}

/*
 * Is this statement DROP INDEX CONCURRENTLY of one index (without IF
 * EXISTS)?  Schema (NULL when unqualified) and name out.
 */
static bool
single_drop_index_cc(const gk_stmt *s, const char **schema, const char **name)
{
	PgQuery__DropStmt *d;
	PgQuery__List *l;
	size_t		i;

	if (s->node == NULL || s->node->node_case != PG_QUERY__NODE__NODE_DROP_STMT)
		return false;
	d = s->node->drop_stmt;
	if (!d->concurrent || d->missing_ok || d->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ||
		d->n_objects != 1 || d->objects[0]->node_case != PG_QUERY__NODE__NODE_LIST)
		return false;
	l = d->objects[0]->list;
	if (l->n_items < 1 || l->n_items > 2)
		return false;
	for (i = 0; i < l->n_items; i++)
		if (l->items[i]->node_case != PG_QUERY__NODE__NODE_STRING)
			return false;
	*schema = l->n_items == 2 ? l->items[0]->string->sval : NULL;
	*name = l->items[l->n_items - 1]->string->sval;
	return true;
}

/* Record a failure in the ledger; a ledger error is added to the message */
static void
record_failure(apply_ctx *ctx, const apply_file *f, const char *verdict, const char *mode,
			   const char *report, const char *error)
{
	gk_sql_error e;

	if (!db_migration_failed(ctx->db, f->name, f->checksum, verdict, mode, report, error, &e))
		progress(ctx, "  could not record the failure in the ledger: %s", e.message);
}

/*
 * Undo a file's session settings before the next file and the ledger calls:
 * RESET ALL leaves the role and the session authorization alone.
 */
#define APPLY_RESET_SESSION "RESET SESSION AUTHORIZATION; RESET ROLE; RESET ALL"

/*
 * A file's own BEGIN / START TRANSACTION / COMMIT / END wrapping: apply runs
 * the file in its own transaction, so these are skipped there (running them
 * would commit the file before its ledger row).
 */
static bool
apply_is_txn_wrapper(const gk_stmt *s)
{
	PgQuery__TransactionStmtKind kind;

	if (s->node == NULL || s->node->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return false;
	kind = s->node->transaction_stmt->kind;
	return kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN ||
		kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START ||
		kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT;
}

/*
 * Run a transactional file: one transaction with SET LOCAL timeouts, its
 * statements one by one (so an error names the statement), the ledger row
 * written before COMMIT.  Returns true when applied.
 */
static bool
run_transaction(apply_ctx *ctx, apply_file *f, const char *verdict, const char *mode,
				const char *report)
{
	const gk_apply_options *o = ctx->opts;
	const gk_stmt *failed = NULL;
	gk_sql_error e;
	char		error[4096];
	int			i;

	if (!db_exec(ctx->db, "BEGIN", &e) ||
		!db_set_timeouts(ctx->db, true, o->lock_timeout_ms, o->statement_timeout_ms, &e))
	{
		stop(ctx, GK_EXIT_DATABASE, "%s: could not start its transaction: %s", f->name, e.message);
		return false;
	}
	for (i = 0; i < f->file.nstmts; i++)
	{
		failed = &f->file.stmts[i];
		if (failed->origin == GK_ORIGIN_TOP && !apply_is_txn_wrapper(failed) &&
			!db_exec(ctx->db, failed->text, &e))
			break;
		failed = NULL;
	}
	/*
	 * The file's changes and its ledger row must commit together: if
	 * anything in the file ended our transaction, stop before writing the
	 * ledger outside it.
	 */
	if (failed == NULL && !db_in_transaction(ctx->db))
	{
		stop(ctx, GK_EXIT_FAILED,
			 "%s ended gatekeeper's transaction itself (COMMIT or ROLLBACK): what it did may be "
			 "committed without a ledger row; check the database, then record or fix it by hand",
			 f->name);
		return false;
	}
	if (failed != NULL)
	{
		format_server_error(f, failed->offset, failed->text, failed->line, failed->col, &e,
							error, sizeof(error));
		if (e.connection_lost)
		{
			stop(ctx, GK_EXIT_DATABASE,
				 "%s: connection lost while applying it; the server rolled its transaction back "
				 "and the ledger is unchanged: run apply again\n%s", f->name, error);
			return false;
		}
		(void) db_exec(ctx->db, "ROLLBACK", &ctx->serr);
		record_failure(ctx, f, verdict, mode, report, error);
		stop(ctx, GK_EXIT_FAILED, "%s failed and was rolled back (recorded failed in the ledger):\n%s",
			 f->name, error);
		return false;
	}
	/*
	 * The ledger row is written as the deployer, not as a role the file
	 * chose with SET ROLE (still inside the file's transaction).
	 */
	if (!db_exec(ctx->db, "RESET SESSION AUTHORIZATION; RESET ROLE", &e) ||
		!db_migration_applied(ctx->db, f->name, f->checksum, verdict, mode, report, &e))
	{
		bool		lost = e.connection_lost;

		if (!lost)
			(void) db_exec(ctx->db, "ROLLBACK", &ctx->serr);
		stop(ctx, GK_EXIT_DATABASE, "%s: recording it in the ledger failed, so it was rolled back: %s",
			 f->name, e.message);
		return false;
	}
	if (!db_exec(ctx->db, "COMMIT", &e))
	{
		snprintf(error, sizeof(error), "%s: COMMIT failed: %s", f->path, e.message);
		if (e.connection_lost)
		{
			stop(ctx, GK_EXIT_DATABASE,
				 "%s: connection lost at COMMIT; run apply again (the ledger tells whether it committed)",
				 f->name);
			return false;
		}
		record_failure(ctx, f, verdict, mode, report, error);
		stop(ctx, GK_EXIT_FAILED, "%s failed at COMMIT and was rolled back:\n%s", f->name, error);
		return false;
	}
	/* session-level SETs (and SET ROLE) of the file must not leak into the next one */
	if (!db_exec(ctx->db, APPLY_RESET_SESSION, &e))
	{
		stop(ctx, GK_EXIT_DATABASE, "%s: RESET ALL after it failed: %s", f->name, e.message);
		return true;
	}
	return true;
}

/*
 * Run an autocommit file statement by statement, resuming after the
 * statements an interrupted run completed.  Returns true when applied.
 */
static bool
run_autocommit(apply_ctx *ctx, apply_file *f, const char *verdict, const char *mode,
			   const char *report)
{
	const gk_apply_options *o = ctx->opts;
	gk_sql_error e;
	gk_invalid_index *before = NULL;
	int			nbefore;
	int			done;
	int			top = 0;
	int			i;
	bool		resumed;
	bool		progress_failed = false;
	char		error[4096];

	done = db_migration_started(ctx->db, f->name, f->checksum, verdict, mode, report, &e);
	if (done < 0)
	{
		stop(ctx, GK_EXIT_DATABASE, "%s: could not start it: %s", f->name, e.message);
		return false;
	}
	resumed = f->row != NULL && strcmp(f->row->checksum, f->checksum) == 0 &&
		(strcmp(f->row->status, "applying") == 0 || strcmp(f->row->status, "failed") == 0);
	if (done > 0)
		progress(ctx, "  resuming after statement %d (done by an earlier run)", done);
	if (!db_set_timeouts(ctx->db, false, o->lock_timeout_ms, o->statement_timeout_ms, &e))
	{
		stop(ctx, GK_EXIT_DATABASE, "%s: could not set the timeouts: %s", f->name, e.message);
		return false;
	}
	nbefore = db_invalid_indexes(ctx->db, &before, &e);
	if (nbefore < 0)
	{
		stop(ctx, GK_EXIT_DATABASE, "%s: %s", f->name, e.message);
		return false;
	}

	for (i = 0; i < f->file.nstmts; i++)
	{
		const gk_stmt *s = &f->file.stmts[i];
		const char *schema;
		const char *idx;
		bool		is_cic;

		if (s->origin != GK_ORIGIN_TOP)
			continue;
		top++;
		if (top <= done)
			continue;
		/*
		 * The statement an interrupted run may have been in: a CREATE INDEX
		 * CONCURRENTLY that finished counts as done; one that left an
		 * invalid index is dropped and built again.
		 */
		if (resumed && top == done + 1 && named_cic(s, &schema, &idx))
		{
			char		qualified[256];
			int			state = db_index_valid(ctx->db, schema, idx, qualified, sizeof(qualified), &e);

			if (state == 1)
			{
				progress(ctx, "  index %s was built by the interrupted run", qualified);
				if (!db_migration_progress(ctx->db, f->name, f->checksum, top, &e))
				{
					progress_failed = true;
					break;
				}
				continue;
			}
			if (state == 0)
			{
				char		sql[320];

				snprintf(sql, sizeof(sql), "DROP INDEX CONCURRENTLY IF EXISTS %s", qualified);
				progress(ctx, "  dropping the invalid index %s the interrupted run left", qualified);
				if (!db_exec(ctx->db, sql, &e))
				{
					snprintf(error, sizeof(error),
							 "%s:%d:%d: the interrupted run left the invalid index %s and dropping it failed: %s\n"
							 "run: %s;", f->path, s->line, s->col, qualified, e.message, sql);
					record_failure(ctx, f, verdict, mode, report, error);
					stop(ctx, GK_EXIT_FAILED, "%s failed:\n%s", f->name, error);
					free(before);
					return false;
				}
			}
		}
		/* a DROP INDEX CONCURRENTLY the interrupted run completed counts as done */
		if (resumed && top == done + 1 && single_drop_index_cc(s, &schema, &idx))
		{
			char		qualified[256];

			if (db_index_valid(ctx->db, schema, idx, qualified, sizeof(qualified), &e) == 2)
			{
				progress(ctx, "  index %s was already dropped by the interrupted run", idx);
				if (!db_migration_progress(ctx->db, f->name, f->checksum, top, &e))
				{
					progress_failed = true;
					break;
				}
				continue;
			}
		}
		/*
		 * Before a CREATE INDEX CONCURRENTLY, list the invalid indexes anew:
		 * if it fails, only an index that became invalid during it is its
		 * leftover (others' builds in progress are invalid too).
		 */
		is_cic = stmt_is_cic(s);
		if (is_cic)
		{
			free(before);
			before = NULL;
			nbefore = db_invalid_indexes(ctx->db, &before, &e);
			if (nbefore < 0)
			{
				stop(ctx, GK_EXIT_DATABASE, "%s: %s", f->name, e.message);
				return false;
			}
		}
		if (!db_exec(ctx->db, s->text, &e))
		{
			format_server_error(f, s->offset, s->text, s->line, s->col, &e, error, sizeof(error));
			if (e.connection_lost)
			{
				stop(ctx, GK_EXIT_DATABASE,
					 "%s: connection lost at statement %d; statements 1-%d are recorded done and a "
					 "rerun resumes there\n%s", f->name, top, top - 1, error);
				free(before);
				return false;
			}
			if (is_cic)
				clean_invalid_indexes(ctx, before, nbefore, error, sizeof(error));
			snprintf(error + strlen(error), sizeof(error) - strlen(error),
					 "\nstatements before it (%d of this file) stay applied; a rerun resumes at statement %d",
					 top - 1, top);
			record_failure(ctx, f, verdict, mode, report, error);
			(void) db_exec(ctx->db, APPLY_RESET_SESSION, &ctx->serr);
			stop(ctx, GK_EXIT_FAILED, "%s failed at statement %d:\n%s", f->name, top, error);
			free(before);
			return false;
		}
		if (!db_migration_progress(ctx->db, f->name, f->checksum, top, &e))
		{
			progress_failed = true;
			break;
		}
	}
	free(before);
	if (progress_failed)
	{
		stop(ctx, GK_EXIT_DATABASE, "%s: recording progress failed: %s", f->name, e.message);
		return false;
	}
	if (!db_exec(ctx->db, APPLY_RESET_SESSION, &e) ||
		!db_migration_applied(ctx->db, f->name, f->checksum, verdict, mode, report, &e))
	{
		stop(ctx, GK_EXIT_DATABASE, "%s: recording it applied failed: %s", f->name, e.message);
		return false;
	}
	return true;
}

/* Milliseconds since t0 */
static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long) ((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

/*
 * A risky file: ask the ledger (or, in a dry run, read it).  Returns true
 * when the file may run (approved for this checksum); otherwise the run is
 * stopped with GK_EXIT_WAITING and the reason.
 */
static bool
risky_gate(apply_ctx *ctx, apply_file *f, const char *mode, const char *report, json_t *entry)
{
	const gk_ledger_row *row = f->row;
	bool		voided = row != NULL && row->approved_checksum[0] != '\0' &&
		strcmp(row->approved_checksum, f->checksum) != 0;
	char		status[32];
	char		voided_note[160] = "";
	gk_sql_error e;

	if (ctx->opts->dry_run)
	{
		if (row != NULL && strcmp(row->checksum, f->checksum) == 0 &&
			strcmp(row->approved_checksum, f->checksum) == 0 &&
			strcmp(row->status, "rejected") != 0)
			snprintf(status, sizeof(status), "approved");
		else if (row != NULL && strcmp(row->checksum, f->checksum) == 0 &&
				 strcmp(row->status, "rejected") == 0)
			snprintf(status, sizeof(status), "rejected");
		else
			snprintf(status, sizeof(status), "awaiting_approval");
	}
	else if (!db_migration_request(ctx->db, f->name, f->checksum, "risky", mode, report,
								   status, sizeof(status), &e))
	{
		stop(ctx, GK_EXIT_DATABASE,
			 "%s: recording the approval request failed: %s", f->name, e.message);
		return false;
	}

	if (strcmp(status, "applied") == 0)
	{
		/* recorded applied since this run read the ledger: nothing to do */
		json_object_set_new(entry, "action", json_string("already_applied"));
		return false;
	}
	if (strcmp(status, "approved") == 0)
	{
		progress(ctx, "%s: risky, approved by %s for checksum %.12s", f->name,
				 row && row->decided_by[0] ? row->decided_by : "a migration_approver", f->checksum);
		json_object_set_new(entry, "approved", json_true());
		return true;
	}
	json_object_set_new(entry, "action", json_string(strcmp(status, "rejected") == 0 ?
													 "rejected" : "awaiting_approval"));
	if (strcmp(status, "rejected") == 0)
	{
		progress(ctx, "%s: rejected by %s%s%s", f->name, row ? row->decided_by : "a DBA",
				 row && row->note[0] ? ": " : "", row ? row->note : "");
		stop(ctx, GK_EXIT_WAITING,
			 "%s was rejected by %s%s%s; apply stops here until the file changes "
			 "(later files wait, because order matters)",
			 f->name, row ? row->decided_by : "a DBA", row && row->note[0] ? ": " : "",
			 row ? row->note : "");
		return false;
	}
	json_object_set_new(entry, "approval_voided", json_boolean(voided));
	if (voided)
		snprintf(voided_note, sizeof(voided_note),
				 " (it changed after its approval, which was for checksum %s)", row->approved_checksum);
	progress(ctx, "%s: risky, %s awaiting approval (checksum %s)%s", f->name,
			 ctx->opts->dry_run ? "would be recorded as" : "recorded as", f->checksum,
			 voided ? "; it changed after its approval, which no longer holds" : "");
	stop(ctx, GK_EXIT_WAITING,
		 "%s is risky and %s approval%s; apply stops here (later files wait, because order matters).\n"
		 "A DBA reviews it (gatekeeper status --dsn ...) and approves this exact content with\n"
		 "  gatekeeper approve --dsn ... --checksum %s %s\n"
		 "or in SQL (role migration_approver):\n"
		 "  SELECT %s%smigration_approve('%s', '%s', 'reason');",
		 f->name, ctx->opts->dry_run ? "would wait for" : "waits for", voided_note,
		 f->checksum, f->name,
		 ctx->schema, ctx->schema[0] ? "." : "", f->name, f->checksum);
	return false;
}

/* Find a ledger row by name */
static gk_ledger_row *
ledger_find(gk_ledger_row *rows, int n, const char *name)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

/*
 * Apply the migrations under paths (see the file header).  out->exit_code
 * is the documented exit code; returns it too.
 */
int
gk_apply_run(const gk_apply_options *opts, char *const *paths, int npaths, gk_apply_result *out)
{
	apply_ctx	ctx;
	gk_pathlist list;
	gk_error	err;
	apply_file *files = NULL;
	gk_ledger_row *rows = NULL;
	int			nrows = 0;
	gk_catalog *catalog = NULL;
	char		errbuf[1024];
	char		holder[512];
	int			ndrift = 0;
	int			i;
	int			j;

	memset(out, 0, sizeof(*out));
	memset(&ctx, 0, sizeof(ctx));
	memset(&list, 0, sizeof(list));
	ctx.opts = opts;
	ctx.out = out;
	out->files = json_array();
	if (out->files == NULL)
	{
		stop(&ctx, GK_EXIT_USAGE, "out of memory");
		return out->exit_code;
	}

	/* every file, parsed, before the database is touched */
	memset(&err, 0, sizeof(err));
	if (gk_expand_paths(paths, npaths, &list, &err) != 0)
	{
		stop(&ctx, GK_EXIT_USAGE, "%s", err.message);
		return out->exit_code;
	}
	files = calloc(list.n ? list.n : 1, sizeof(apply_file));
	catalog = gk_catalog_new();
	if (files == NULL || catalog == NULL)
	{
		stop(&ctx, GK_EXIT_USAGE, "out of memory");
		goto done;
	}
	for (i = 0; i < list.n; i++)
	{
		const char *slash = strrchr(list.paths[i], '/');

		files[i].path = list.paths[i];
		files[i].name = slash ? slash + 1 : list.paths[i];
		for (j = 0; j < i; j++)
			if (strcmp(files[j].name, files[i].name) == 0)
			{
				stop(&ctx, GK_EXIT_USAGE,
					 "two migrations are named %s (%s and %s): the ledger keys files by name",
					 files[i].name, files[j].path, files[i].path);
				goto done;
			}
		memset(&err, 0, sizeof(err));
		if (gk_parse_path(list.paths[i], &files[i].file, &err) != 0)
		{
			if (err.kind == GK_ERR_PARSE)
				stop(&ctx, GK_EXIT_PARSE, "%s:%d:%d: %s", err.file, err.line, err.col, err.message);
			else
				stop(&ctx, GK_EXIT_USAGE, "%s%s%s", err.file, err.file[0] ? ": " : "", err.message);
			goto done;
		}
		files[i].parsed = true;
		gk_sha256_hex(files[i].file.source, files[i].file.source_len, files[i].checksum);
	}

	ctx.db = db_connect_app(opts->dsn, "gatekeeper apply", errbuf, sizeof(errbuf));
	if (ctx.db == NULL)
	{
		stop(&ctx, GK_EXIT_DATABASE, "%s", errbuf);
		goto done;
	}
	switch (db_release_schema(ctx.db, ctx.schema, sizeof(ctx.schema), &ctx.serr))
	{
		case 1:
			break;
		case 0:
			stop(&ctx, GK_EXIT_DATABASE,
				 "pg_release is not installed in this database: apply keeps its ledger there "
				 "(run CREATE EXTENSION pg_release as a superuser)");
			goto done;
		case 2:
			stop(&ctx, GK_EXIT_DATABASE,
				 "the installed pg_release has no migration ledger (release.migrations): "
				 "update the extension (ALTER EXTENSION pg_release UPDATE)");
			goto done;
		default:
			stop(&ctx, GK_EXIT_DATABASE, "%s", ctx.serr.message);
			goto done;
	}
	if (!opts->dry_run)
	{
		int			rc = db_apply_lock(ctx.db, opts->wait_s, holder, sizeof(holder), &ctx.serr);

		if (rc < 0)
		{
			stop(&ctx, GK_EXIT_DATABASE, "%s", ctx.serr.message);
			goto done;
		}
		if (rc == 0)
		{
			stop(&ctx, GK_EXIT_DATABASE,
				 "another gatekeeper apply is running on this database (%s); gave up after waiting %d s "
				 "(--wait SECONDS waits longer)", holder, opts->wait_s);
			goto done;
		}
	}
	nrows = db_ledger_load(ctx.db, &rows, &ctx.serr);
	if (nrows < 0)
	{
		nrows = 0;
		stop(&ctx, GK_EXIT_DATABASE, "%s", ctx.serr.message);
		goto done;
	}

	/* drift: an applied (or half-applied) file whose content changed */
	for (i = 0; i < list.n; i++)
	{
		gk_ledger_row *row = ledger_find(rows, nrows, files[i].name);

		files[i].row = row;
		if (row != NULL && strcmp(row->checksum, files[i].checksum) != 0 &&
			(strcmp(row->status, "applied") == 0 ||
			 (strcmp(row->status, "applying") == 0 && row->statements_done > 0) ||
			 (strcmp(row->status, "failed") == 0 && row->statements_done > 0)))
		{
			json_t	   *entry = file_entry(&ctx, &files[i], "drift");

			json_object_set_new(entry, "ledger_checksum", json_string(row->checksum));
			progress(&ctx, "%s: %s with checksum %s, but the file now has checksum %s",
					 files[i].name, strcmp(row->status, "applied") == 0 ? "applied" : "partly applied",
					 row->checksum, files[i].checksum);
			ndrift++;
		}
	}
	if (ndrift > 0)
	{
		stop(&ctx, GK_EXIT_DRIFT,
			 "%d applied migration%s changed since %s applied (see above); nothing was run. "
			 "Restore the applied content and put new changes in new files.",
			 ndrift, ndrift == 1 ? "" : "s", ndrift == 1 ? "it was" : "they were");
		goto done;
	}

	for (i = 0; i < list.n && out->exit_code == GK_EXIT_SAFE; i++)
	{
		apply_file *f = &files[i];
		gk_file_result result;
		gk_strlist notes;
		int			lifted = 0;
		char	   *report = NULL;
		const char *verdict;
		const char *mode;
		json_t	   *entry;
		json_t	   *jreport;
		struct timespec t0;
		bool		applied_before = f->row != NULL && strcmp(f->row->status, "applied") == 0;

		memset(&notes, 0, sizeof(notes));
		memset(&err, 0, sizeof(err));
		/* classify every file, applied ones too, so the catalog follows the schema */
		if (gk_classify_file(&f->file, &opts->check, catalog, &result, &err) != 0)
		{
			stop(&ctx, GK_EXIT_USAGE, "%s: %s", f->path, err.message);
			break;
		}
		if (applied_before)
		{
			file_entry(&ctx, f, "already_applied");
			out->skipped++;
			gk_file_result_free(&result);
			continue;
		}
		if (gk_catalog_verdicts(&result, relsize_cached, &ctx, opts->small_table_bytes,
								opts->lock_timeout_ms, &notes, &lifted) != 0)
		{
			stop(&ctx, GK_EXIT_DATABASE, "%s: reading the catalog failed: %s", f->name,
				 ctx.size_failed ? ctx.serr.message : "out of memory");
			gk_file_result_free(&result);
			gk_strlist_free(&notes);
			break;
		}
		report = gk_report_json_file(&result, &opts->check);
		verdict = result.risky ? "risky" : "safe";
		mode = result.mode == GK_MODE_AUTOCOMMIT ? "autocommit" : "transaction";
		entry = file_entry(&ctx, f, opts->dry_run ? "would_apply" : "applied");
		json_object_set_new(entry, "verdict", json_string(verdict));
		json_object_set_new(entry, "mode", json_string(mode));
		json_object_set_new(entry, "catalog_verdicts", json_integer(lifted));
		jreport = report ? json_loads(report, 0, NULL) : NULL;
		if (jreport)
			json_object_set_new(entry, "report", jreport);
		if (report == NULL)
			stop(&ctx, GK_EXIT_USAGE, "%s: out of memory", f->name);
		else
		{
			if (lifted > 0 || result.risky)
				progress_findings(&ctx, f, &result);
			if (!result.risky || risky_gate(&ctx, f, mode, report, entry))
			{
				if (opts->dry_run)
				{
					out->applied++;
					progress(&ctx, "%s: would apply (%s, %s%s)", f->name, verdict, mode,
							 lifted ? ", with verdicts from the catalog" : "");
				}
				else
				{
					bool		ok;

					progress(&ctx, "%s: applying (%s, %s%s)", f->name, verdict, mode,
							 lifted ? ", with verdicts from the catalog" : "");
					clock_gettime(CLOCK_MONOTONIC, &t0);
					if (result.mode == GK_MODE_AUTOCOMMIT)
						ok = run_autocommit(&ctx, f, verdict, mode, report);
					else
						ok = run_transaction(&ctx, f, verdict, mode, report);
					relsize_forget(&ctx);
					if (ok)
					{
						long		ms = elapsed_ms(&t0);

						out->applied++;
						json_object_set_new(entry, "duration_ms", json_integer(ms));
						progress(&ctx, "%s: applied in %ld ms", f->name, ms);
					}
					else
					{
						json_object_set_new(entry, "action", json_string("failed"));
						json_object_set_new(entry, "error", json_string(out->message));
					}
				}
			}
		}
		free(report);
		gk_file_result_free(&result);
		gk_strlist_free(&notes);
	}

done:
	db_ledger_free(rows, nrows);
	relsize_forget(&ctx);
	free(ctx.sizes);
	if (ctx.db)
		db_close(ctx.db);
	for (i = 0; files != NULL && i < list.n; i++)
		if (files[i].parsed)
			gk_file_free(&files[i].file);
	free(files);
	gk_catalog_free(catalog);
	gk_pathlist_free(&list);
	return out->exit_code;
}

/* Release what gk_apply_run handed out */
void
gk_apply_result_free(gk_apply_result *result)
{
	if (result->files)
		json_decref(result->files);
	result->files = NULL;
}
