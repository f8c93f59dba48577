/*-------------------------------------------------------------------------
 *
 * classify.c
 *		The classifier: statements in, verdicts out.  Pure code, no I/O.
 *
 * Each file is replayed statement by statement against a small model of
 * what PostgreSQL 15 will do when the gatekeeper applies it: the
 * transaction mode (one transaction, or autocommit for a file of
 * CONCURRENTLY statements), objects created earlier in the file, the
 * lock_timeout really in effect, and the write-blocking locks still held
 * by the open transaction.  Lock levels follow AlterTableGetLockLevel()
 * and the "Explicit Locking" chapter of the PostgreSQL documentation.
 *
 * A gk_catalog carries what earlier files of the same run created
 * (column types, constraints, unique indexes) so that, for instance, a
 * varchar widening or a SET NOT NULL backed by a validated CHECK can be
 * recognised.  Results live in a per-file arena released by
 * gk_file_result_free.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatekeeper.h"

#define MAX_LOCKS		16
#define MAX_FINDINGS	16
#define MAX_SCANS		16

/* ----------------------------------------------------------------
 * Arena: every string and array of a file result is carved from it
 * ----------------------------------------------------------------
 */
typedef struct arena_block
{
	struct arena_block *next;
	size_t		used;
	size_t		cap;
	char		data[];
} arena_block;

typedef struct gk_arena
{
	arena_block *head;
	bool		oom;
} gk_arena;

/* Carve n bytes (16-aligned) from the arena; NULL and oom set on failure */
static void *
arena_alloc(gk_arena *a, size_t n)
{
	arena_block *b = a->head;
	void	   *p;

	n = (n + 15) & ~(size_t) 15;
	if (b == NULL || b->used + n > b->cap)
	{
		size_t		cap = n > 32768 ? n : 32768;

		b = malloc(sizeof(arena_block) + cap);
		if (b == NULL)
		{
			a->oom = true;
			return NULL;
		}
		b->cap = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

/* Copy a string into the arena */
static char *
arena_strdup(gk_arena *a, const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *p = arena_alloc(a, n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

/* Format into the arena (truncated at 1 kB) */
static char *
arena_printf(gk_arena *a, const char *fmt,...)
{
	char		buf[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return arena_strdup(a, buf);
}

/* Release every block of an arena and the arena itself */
static void
arena_free(gk_arena *a)
{
	arena_block *b = a->head;

	while (b != NULL)
	{
		arena_block *next = b->next;

		free(b);
		b = next;
	}
	free(a);
}

/* ----------------------------------------------------------------
 * String set (open addressing), keys owned by the caller's arena
 * ----------------------------------------------------------------
 */
typedef struct strset
{
	const char **keys;
	int		   *vals;
	size_t		cap;
	size_t		n;
} strset;

/* FNV-1a hash of a string */
static uint32_t
hash_str(const char *s)
{
	uint32_t	h = 2166136261u;

	while (*s)
	{
		h ^= (unsigned char) *s++;
		h *= 16777619u;
	}
	return h;
}

/* Insert key (not copied) with val; false when out of memory */
static bool
strset_put(strset *s, const char *key, int val)
{
	size_t		i;

	if ((s->n + 1) * 2 > s->cap)
	{
		size_t		cap = s->cap ? s->cap * 2 : 64;
		const char **keys = calloc(cap, sizeof(char *));
		int		   *vals = calloc(cap, sizeof(int));
		size_t		j;

		if (keys == NULL || vals == NULL)
		{
			free(keys);
			free(vals);
			return false;
		}
		for (j = 0; j < s->cap; j++)
		{
			if (s->keys[j] == NULL)
				continue;
			i = hash_str(s->keys[j]) & (cap - 1);
			while (keys[i] != NULL)
				i = (i + 1) & (cap - 1);
			keys[i] = s->keys[j];
			vals[i] = s->vals[j];
		}
		free(s->keys);
		free(s->vals);
		s->keys = keys;
		s->vals = vals;
		s->cap = cap;
	}
	i = hash_str(key) & (s->cap - 1);
	while (s->keys[i] != NULL)
	{
		if (strcmp(s->keys[i], key) == 0)
			return true;		/* first value wins */
		i = (i + 1) & (s->cap - 1);
	}
	s->keys[i] = key;
	s->vals[i] = val;
	s->n++;
	return true;
}

/* Look key up; true and *val when present */
static bool
strset_get(const strset *s, const char *key, int *val)
{
	size_t		i;

	if (s->cap == 0)
		return false;
	i = hash_str(key) & (s->cap - 1);
	while (s->keys[i] != NULL)
	{
		if (strcmp(s->keys[i], key) == 0)
		{
			if (val)
				*val = s->vals[i];
			return true;
		}
		i = (i + 1) & (s->cap - 1);
	}
	return false;
}

/* Release the table (keys belong to an arena) */
static void
strset_free(strset *s)
{
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof(*s));
}

/* ----------------------------------------------------------------
 * Catalog knowledge from earlier statements and files of the run
 * ----------------------------------------------------------------
 */
typedef struct cat_column
{
	char	   *key;			/* "table.column" */
	char	   *type;			/* canonical base type name */
	int			typmod[2];		/* -1 when absent */
	bool		is_array;
	bool		not_null;
} cat_column;

typedef struct cat_constraint
{
	char	   *key;			/* "table.constraint" */
	char		kind;			/* c, f, u, p, x */
	char	   *notnull_col;	/* CHECK (col IS NOT NULL): the column */
	bool		validated;
} cat_constraint;

struct gk_catalog
{
	gk_arena	arena;
	cat_column *columns;
	int			ncolumns;
	int			columns_cap;
	strset		column_index;	/* key -> index into columns */
	cat_constraint *constraints;
	int			nconstraints;
	int			constraints_cap;
	strset		constraint_index;
	strset		unique_indexes;
	strset		relations;		/* tables created by earlier statements of the run */
};

/* An empty catalog for one run of the gatekeeper */
gk_catalog *
gk_catalog_new(void)
{
	return calloc(1, sizeof(gk_catalog));
}

/* Release a catalog and everything it holds; NULL is fine */
void
gk_catalog_free(gk_catalog *c)
{
	arena_block *b;

	if (c == NULL)
		return;
	b = c->arena.head;
	while (b != NULL)
	{
		arena_block *next = b->next;

		free(b);
		b = next;
	}
	free(c->columns);
	free(c->constraints);
	strset_free(&c->column_index);
	strset_free(&c->constraint_index);
	strset_free(&c->unique_indexes);
	strset_free(&c->relations);
	free(c);
}

/* The known definition of table.column, or NULL */
static cat_column *
cat_get_column(gk_catalog *c, const char *table, const char *column)
{
	char		key[512];
	int			i;

	snprintf(key, sizeof(key), "%s.%s", table, column);
	if (strset_get(&c->column_index, key, &i))
		return &c->columns[i];
	return NULL;
}

/* Find or create the entry for table.column; NULL when out of memory */
static cat_column *
cat_put_column(gk_catalog *c, const char *table, const char *column)
{
	cat_column *col = cat_get_column(c, table, column);
	char	   *key;

	if (col != NULL)
		return col;
	if (c->ncolumns == c->columns_cap)
	{
		int			cap = c->columns_cap ? c->columns_cap * 2 : 64;
		cat_column *grown = realloc(c->columns, sizeof(cat_column) * cap);

		if (grown == NULL)
			return NULL;
		c->columns = grown;
		c->columns_cap = cap;
	}
	key = arena_printf(&c->arena, "%s.%s", table, column);
	if (key == NULL || !strset_put(&c->column_index, key, c->ncolumns))
		return NULL;
	col = &c->columns[c->ncolumns++];
	memset(col, 0, sizeof(*col));
	col->key = key;
	col->typmod[0] = col->typmod[1] = -1;
	return col;
}

/* The known constraint table.name, or NULL */
static cat_constraint *
cat_get_constraint(gk_catalog *c, const char *table, const char *name)
{
	char		key[512];
	int			i;

	snprintf(key, sizeof(key), "%s.%s", table, name);
	if (strset_get(&c->constraint_index, key, &i))
		return &c->constraints[i];
	return NULL;
}

/* Find or create the entry for constraint table.name; NULL when out of memory */
static cat_constraint *
cat_put_constraint(gk_catalog *c, const char *table, const char *name)
{
	cat_constraint *con = cat_get_constraint(c, table, name);
	char	   *key;

	if (con != NULL)
		return con;
	if (c->nconstraints == c->constraints_cap)
	{
		int			cap = c->constraints_cap ? c->constraints_cap * 2 : 32;
		cat_constraint *grown = realloc(c->constraints, sizeof(cat_constraint) * cap);

		if (grown == NULL)
			return NULL;
		c->constraints = grown;
		c->constraints_cap = cap;
	}
	key = arena_printf(&c->arena, "%s.%s", table, name);
	if (key == NULL || !strset_put(&c->constraint_index, key, c->nconstraints))
		return NULL;
	con = &c->constraints[c->nconstraints++];
	memset(con, 0, sizeof(*con));
	con->key = key;
	return con;
}

/* ----------------------------------------------------------------
 * Per-file replay state
 * ----------------------------------------------------------------
 */
typedef struct held_lock
{
	const char *relation;
	gk_lock		mode;
	int			stmt;			/* statement that took it */
	const char *not_valid;		/* constraint added NOT VALID, or NULL */
} held_lock;

typedef struct cls_state
{
	gk_arena   *arena;
	const gk_options *opts;
	gk_catalog *cat;
	const gk_file *file;
	strset		new_objs;		/* names created earlier in this file */
	strset		views;			/* view name -> first statement creating it */
	gk_txn_mode mode;
	bool		in_txn;
	int			last_top;
	long		lt_session;		/* lock_timeout in ms; 0 = disabled */
	long		lt_local;
	bool		lt_local_set;
	long		lt_at_begin;
	bool		set_local_ignored;
	held_lock  *held;
	int			nheld;
	int			held_cap;
	const char **enum_labels;	/* enum values added in this transaction */
	int			nenum;
	int			enum_cap;
} cls_state;

/* Working area for one statement */
typedef struct stmt_ctx
{
	cls_state  *st;
	const gk_stmt *stmt;
	int			idx;
	gk_lockreq	locks[MAX_LOCKS];
	int			nlocks;
	gk_finding	findings[MAX_FINDINGS];
	int			nfindings;
	const char *scans[MAX_SCANS];
	int			nscans;
	bool		rewrite;
	bool		scan;
	bool		data_loss;
	bool		own_validate;	/* VALIDATE already judged against held locks */
} stmt_ctx;

/* ----------------------------------------------------------------
 * Small helpers
 * ----------------------------------------------------------------
 */
static const char *
str_node(PgQuery__Node *n)
{
	if (n != NULL && n->node_case == PG_QUERY__NODE__NODE_STRING)
		return n->string->sval;
	return NULL;
}

/* "schema.name" or "name" for a RangeVar */
static const char *
rv_name(cls_state *st, PgQuery__RangeVar *rv)
{
	if (rv == NULL)
		return "?";
	/* copied: results outlive the parse tree (see gk_file_drop_trees) */
	if (rv->schemaname && rv->schemaname[0])
		return arena_printf(st->arena, "%s.%s", rv->schemaname, rv->relname);
	return arena_strdup(st->arena, rv->relname ? rv->relname : "?");
}

/* Dotted name from a list of String nodes */
static const char *
list_name(cls_state *st, PgQuery__Node **items, size_t n)
{
	char		buf[512];
	size_t		len = 0;
	size_t		i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
	{
		const char *s = str_node(items[i]);

		if (s == NULL)
			continue;
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "." : "", s);
		if (len >= sizeof(buf))
			break;
	}
	return arena_strdup(st->arena, buf);
}

/* Name of a DROP/RENAME object node, whatever its shape */
static const char *
object_name(cls_state *st, PgQuery__Node *n)
{
	if (n == NULL)
		return "?";
	switch (n->node_case)
	{
		case PG_QUERY__NODE__NODE_STRING:
			return arena_strdup(st->arena, n->string->sval);
		case PG_QUERY__NODE__NODE_LIST:
			return list_name(st, n->list->items, n->list->n_items);
		case PG_QUERY__NODE__NODE_TYPE_NAME:
			return list_name(st, n->type_name->names, n->type_name->n_names);
		case PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS:
			return list_name(st, n->object_with_args->objname,
							 n->object_with_args->n_objname);
		default:
			return "?";
	}
}

/* Last component of a dotted name */
static const char *
base_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

/* Was the object created earlier in this file? */
static bool
is_new(cls_state *st, const char *name)
{
	if (name == NULL)
		return false;
	return strset_get(&st->new_objs, name, NULL) ||
		strset_get(&st->new_objs, base_name(name), NULL);
}

/* Record an object created by this file (qualified and bare name) */
static void
mark_new(cls_state *st, const char *name)
{
	if (name == NULL)
		return;
	if (!strset_put(&st->new_objs, name, 0))
		st->arena->oom = true;
	if (strchr(name, '.') && !strset_put(&st->new_objs, base_name(name), 0))
		st->arena->oom = true;
}

/* Was the column (or its table) created earlier in this file? */
static bool
column_is_new(cls_state *st, const char *table, const char *column)
{
	char	   *key = arena_printf(st->arena, "%s.%s", base_name(table), column);

	return is_new(st, table) || (key != NULL && strset_get(&st->new_objs, key, NULL));
}

/* Record a column added by this file */
static void
mark_column_new(cls_state *st, const char *table, const char *column)
{
	char	   *key = arena_printf(st->arena, "%s.%s", base_name(table), column);

	if (key != NULL && !strset_put(&st->new_objs, key, 0))
		st->arena->oom = true;
}

/* Record a lock request; the strongest mode per relation wins */
static void
add_lock(stmt_ctx *c, gk_lock mode, const char *rel)
{
	int			i;

	if (rel == NULL)
		return;
	for (i = 0; i < c->nlocks; i++)
	{
		if (strcmp(c->locks[i].relation, rel) == 0)
		{
			if (mode > c->locks[i].mode)
				c->locks[i].mode = mode;
			return;
		}
	}
	if (c->nlocks == MAX_LOCKS)
		return;
	c->locks[c->nlocks].mode = mode;
	c->locks[c->nlocks].relation = (char *) rel;
	c->locks[c->nlocks].existing = !is_new(c->st, rel);
	c->nlocks++;
}

/* Record a finding; one per rule per statement (first detail kept) */
static void
add_finding(stmt_ctx *c, const char *rule_id, const char *fmt,...)
{
	const gk_rule *rule = gk_rule_lookup(rule_id);
	char		buf[1024];
	va_list		ap;
	int			i;

	if (rule == NULL)
		return;
	for (i = 0; i < c->nfindings; i++)
		if (c->findings[i].rule == rule)
			return;
	if (c->nfindings == MAX_FINDINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->findings[c->nfindings].rule = rule;
	c->findings[c->nfindings].detail = arena_strdup(c->st->arena, buf);
	c->findings[c->nfindings].allowed = false;
	c->findings[c->nfindings].allow_reason = NULL;
	c->nfindings++;
}

/* Relation whose rows this statement reads or rewrites */
static void
add_scan(stmt_ctx *c, const char *rel)
{
	int			i;

	if (rel == NULL)
		return;
	for (i = 0; i < c->nscans; i++)
		if (strcmp(c->scans[i], rel) == 0)
			return;
	if (c->nscans < MAX_SCANS)
		c->scans[c->nscans++] = rel;
}

/* Is n a DefElem with this name? */
static bool
defelem_named(PgQuery__Node *n, const char *name)
{
	return n != NULL && n->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		strcmp(n->def_elem->defname, name) == 0;
}

/* Is a DefElem option present and not explicitly false? */
static bool
option_on(PgQuery__Node **opts, size_t n, const char *name)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		PgQuery__Node *arg;

		if (!defelem_named(opts[i], name))
			continue;
		arg = opts[i]->def_elem->arg;
		if (arg == NULL)
			return true;
		if (arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN)
			return arg->boolean->boolval;
		if (arg->node_case == PG_QUERY__NODE__NODE_INTEGER)
			return arg->integer->ival != 0;
		if (arg->node_case == PG_QUERY__NODE__NODE_STRING)
			return strcmp(arg->string->sval, "false") != 0 &&
				strcmp(arg->string->sval, "off") != 0 &&
				strcmp(arg->string->sval, "0") != 0;
		return true;
	}
	return false;
}

/* ----------------------------------------------------------------
 * lock_timeout values
 * ----------------------------------------------------------------
 */

/*
 * Parse a PostgreSQL time setting whose base unit is milliseconds
 * ("2s", "500", "1min", "1.5 s").  False when it is not a valid value.
 */
bool
gk_parse_duration_ms(const char *text, long *ms)
{
	char	   *end;
	double		v;
	double		mult = 1.0;

	while (isspace((unsigned char) *text))
		text++;
	if (*text == '\0')
		return false;
	v = strtod(text, &end);
	if (end == text || v < 0)
		return false;
	while (isspace((unsigned char) *end))
		end++;
	if (*end == '\0' || strcmp(end, "ms") == 0)
		mult = 1.0;
	else if (strcmp(end, "us") == 0)
		mult = 0.001;
	else if (strcmp(end, "s") == 0)
		mult = 1000.0;
	else if (strcmp(end, "min") == 0)
		mult = 60000.0;
	else if (strcmp(end, "h") == 0)
		mult = 3600000.0;
	else if (strcmp(end, "d") == 0)
		mult = 86400000.0;
	else
		return false;
	v *= mult;
	if (v > 2147483647.0)
		v = 2147483647.0;
	*ms = (long) (v + 0.5);
	if (*ms == 0 && v > 0)
		*ms = 1;
	return true;
}

/* Value of an A_Const SET argument as a duration in ms */
static bool
const_duration(PgQuery__Node *n, long *ms)
{
	char		buf[64];

	if (n == NULL)
		return false;
	if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return false;
	switch (n->a_const->val_case)
	{
		case PG_QUERY__A__CONST__VAL_IVAL:
			*ms = n->a_const->ival->ival;
			return *ms >= 0;
		case PG_QUERY__A__CONST__VAL_FVAL:
			return gk_parse_duration_ms(n->a_const->fval->fval, ms);
		case PG_QUERY__A__CONST__VAL_SVAL:
			snprintf(buf, sizeof(buf), "%s", n->a_const->sval->sval);
			return gk_parse_duration_ms(buf, ms);
		default:
			return false;
	}
}

/* Apply SET / SET LOCAL of lock_timeout */
static void
apply_lock_timeout(cls_state *st, long ms, bool is_local)
{
	if (is_local)
	{
		if (st->in_txn)
		{
			st->lt_local = ms;
			st->lt_local_set = true;
		}
		else
			st->set_local_ignored = true;
	}
	else
	{
		st->lt_session = ms;
		st->lt_local_set = false;
	}
}

/* The lock_timeout in effect now, in ms (0 = none) */
static long
lock_timeout_now(cls_state *st)
{
	return st->lt_local_set ? st->lt_local : st->lt_session;
}

/* Transaction boundaries */
static void
txn_end(cls_state *st, bool rollback)
{
	st->lt_local_set = false;
	if (rollback)
		st->lt_session = st->lt_at_begin;
	st->nheld = 0;
	st->nenum = 0;
}

/* Start of a transaction: remember the session value for ROLLBACK */
static void
txn_begin(cls_state *st)
{
	st->lt_at_begin = st->lt_session;
	st->nheld = 0;
	st->nenum = 0;
}

/* ----------------------------------------------------------------
 * Expression analysis
 * ----------------------------------------------------------------
 */

/* Functions that are not volatile, so a default using them is evaluated once */
static const char *const stable_functions[] = {
	"now", "transaction_timestamp", "statement_timestamp", "current_setting",
	"lower", "upper", "length", "concat", "coalesce", "jsonb_build_object",
	"json_build_object", "jsonb_build_array", "json_build_array", "to_jsonb",
	"to_json", "array_fill", "make_interval", "make_date", "date_trunc",
	"timezone", "current_database", "current_schema", "current_user",
	"session_user", "int4", "int8", "numeric", "text", "abs", "round",
	"md5", "concat_ws", "substr", "substring", "replace", "trim", "btrim",
	"ltrim", "rtrim", "lpad", "rpad", "left", "right", "to_char", "to_date",
	"to_timestamp", "to_number", "greatest", "least", "nullif", "format",
	"char_length", "octet_length", "array_length", "cardinality", "age",
	"date_part", "extract", "make_timestamp", "make_timestamptz", "jsonb_object",
	"json_object", "row_to_json", "array_to_json", "uuid_nil", "localtimestamp",
	NULL
};

/* Is name in the NULL-terminated list? */
static bool
name_in(const char *name, const char *const *list)
{
	int			i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/*
 * Does a default expression contain a volatile function?  Unknown
 * functions count as volatile: PostgreSQL would rewrite the table if they
 * are, and we cannot see their definition.
 */
static bool
expr_is_volatile(PgQuery__Node *n, int depth)
{
	size_t		i;

	if (n == NULL || depth > 100)
		return false;
	switch (n->node_case)
	{
		case PG_QUERY__NODE__NODE_FUNC_CALL:
			{
				PgQuery__FuncCall *fc = n->func_call;
				const char *fname = fc->n_funcname ?
				str_node(fc->funcname[fc->n_funcname - 1]) : NULL;

				if (fname == NULL || !name_in(fname, stable_functions))
					return true;
				for (i = 0; i < fc->n_args; i++)
					if (expr_is_volatile(fc->args[i], depth + 1))
						return true;
				return false;
			}
		case PG_QUERY__NODE__NODE_TYPE_CAST:
			return expr_is_volatile(n->type_cast->arg, depth + 1);
		case PG_QUERY__NODE__NODE_A_EXPR:
			return expr_is_volatile(n->a_expr->lexpr, depth + 1) ||
				expr_is_volatile(n->a_expr->rexpr, depth + 1);
		case PG_QUERY__NODE__NODE_BOOL_EXPR:
			for (i = 0; i < n->bool_expr->n_args; i++)
				if (expr_is_volatile(n->bool_expr->args[i], depth + 1))
					return true;
			return false;
		case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
			for (i = 0; i < n->a_array_expr->n_elements; i++)
				if (expr_is_volatile(n->a_array_expr->elements[i], depth + 1))
					return true;
			return false;
		case PG_QUERY__NODE__NODE_COALESCE_EXPR:
			for (i = 0; i < n->coalesce_expr->n_args; i++)
				if (expr_is_volatile(n->coalesce_expr->args[i], depth + 1))
					return true;
			return false;
		case PG_QUERY__NODE__NODE_SUB_LINK:
			return true;
		default:
			return false;
	}
}

/*
 * A value that does not depend on the row: constants, parameters, casts,
 * now() - interval '1 day' and the like.  Column references make it a
 * per-row expression.
 */
static bool
is_const_like_depth(PgQuery__Node *n, int depth)
{
	size_t		i;

	if (n == NULL || depth > 50)
		return false;
	switch (n->node_case)
	{
		case PG_QUERY__NODE__NODE_A_CONST:
		case PG_QUERY__NODE__NODE_PARAM_REF:
		case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
			return true;
		case PG_QUERY__NODE__NODE_TYPE_CAST:
			return is_const_like_depth(n->type_cast->arg, depth + 1);
		case PG_QUERY__NODE__NODE_A_EXPR:
			return (n->a_expr->lexpr == NULL || is_const_like_depth(n->a_expr->lexpr, depth + 1)) &&
				is_const_like_depth(n->a_expr->rexpr, depth + 1);
		case PG_QUERY__NODE__NODE_FUNC_CALL:
			for (i = 0; i < n->func_call->n_args; i++)
				if (!is_const_like_depth(n->func_call->args[i], depth + 1))
					return false;
			return true;
		case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
			for (i = 0; i < n->a_array_expr->n_elements; i++)
				if (!is_const_like_depth(n->a_array_expr->elements[i], depth + 1))
					return false;
			return true;
		default:
			return false;
	}
}

/* Row-independent value? (see is_const_like_depth) */
static bool
is_const_like(PgQuery__Node *n)
{
	return is_const_like_depth(n, 0);
}

/* Operator name of an A_Expr ("=" for a = b) */
static const char *
op_name(PgQuery__AExpr *e)
{
	if (e->n_name >= 1)
	{
		const char *s = str_node(e->name[e->n_name - 1]);

		if (s)
			return s;
	}
	return "";
}

/*
 * Does a WHERE clause bound the rows touched to a batch?  Equality, IN
 * lists, ranges against constants and LIMITed subqueries do; IS NULL
 * (the classic backfill), <>, NOT and tautologies do not.
 */
static bool
where_is_batched(PgQuery__Node *n, int depth)
{
	size_t		i;

	if (n == NULL || depth > 100)
		return false;
	switch (n->node_case)
	{
		case PG_QUERY__NODE__NODE_BOOL_EXPR:
			{
				PgQuery__BoolExpr *b = n->bool_expr;

				if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR)
				{
					for (i = 0; i < b->n_args; i++)
						if (where_is_batched(b->args[i], depth + 1))
							return true;
					return false;
				}
				if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR)
				{
					for (i = 0; i < b->n_args; i++)
						if (!where_is_batched(b->args[i], depth + 1))
							return false;
					return b->n_args > 0;
				}
				return false;
			}
		case PG_QUERY__NODE__NODE_A_EXPR:
			{
				PgQuery__AExpr *e = n->a_expr;
				const char *op = op_name(e);

				switch (e->kind)
				{
					case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
						if (strcmp(op, "=") == 0 || strcmp(op, "<") == 0 ||
							strcmp(op, "<=") == 0 || strcmp(op, ">") == 0 ||
							strcmp(op, ">=") == 0)
						{
							bool		lc = is_const_like(e->lexpr);
							bool		rc = is_const_like(e->rexpr);

							/* column compared with a value, not value with value */
							if (lc && rc)
								return false;
							return lc || rc ||
								(e->rexpr && e->rexpr->node_case == PG_QUERY__NODE__NODE_SUB_LINK);
						}
						return false;
					case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
					case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
					case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
					case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM:
						return strcmp(op, "<>") != 0;
					case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
						return strcmp(op, "~~") == 0;
					default:
						return false;
				}
			}
		case PG_QUERY__NODE__NODE_SUB_LINK:
			{
				PgQuery__SubLink *s = n->sub_link;

				if (s->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK &&
					s->subselect &&
					s->subselect->node_case == PG_QUERY__NODE__NODE_SELECT_STMT)
					return s->subselect->select_stmt->limit_count != NULL;
				return false;
			}
		default:
			return false;
	}
}

/* Collect relations read through a FROM list */
static void
scan_from(stmt_ctx *c, PgQuery__Node **items, size_t n, int depth)
{
	size_t		i;

	if (depth > 50)
		return;
	for (i = 0; i < n; i++)
	{
		PgQuery__Node *it = items[i];

		if (it == NULL)
			continue;
		if (it->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			add_scan(c, rv_name(c->st, it->range_var));
		else if (it->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR)
		{
			PgQuery__Node *pair[2] = {it->join_expr->larg, it->join_expr->rarg};

			scan_from(c, pair, 2, depth + 1);
		}
		else if (it->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT &&
				 it->range_subselect->subquery &&
				 it->range_subselect->subquery->node_case == PG_QUERY__NODE__NODE_SELECT_STMT)
		{
			PgQuery__SelectStmt *s = it->range_subselect->subquery->select_stmt;

			scan_from(c, s->from_clause, s->n_from_clause, depth + 1);
		}
	}
}

/* ----------------------------------------------------------------
 * Types
 * ----------------------------------------------------------------
 */
typedef struct type_info
{
	const char *name;			/* canonical base name */
	int			typmod[2];
	bool		is_array;
} type_info;

/* Canonical name, typmods and array-ness of a TypeName */
static void
type_of(PgQuery__TypeName *tn, type_info *ti)
{
	size_t		i;

	ti->name = "";
	ti->typmod[0] = ti->typmod[1] = -1;
	ti->is_array = false;
	if (tn == NULL || tn->n_names == 0)
		return;
	ti->name = str_node(tn->names[tn->n_names - 1]);
	if (ti->name == NULL)
		ti->name = "";
	if (strcmp(ti->name, "integer") == 0 || strcmp(ti->name, "int") == 0)
		ti->name = "int4";
	else if (strcmp(ti->name, "bigint") == 0)
		ti->name = "int8";
	else if (strcmp(ti->name, "smallint") == 0)
		ti->name = "int2";
	else if (strcmp(ti->name, "decimal") == 0)
		ti->name = "numeric";
	for (i = 0; i < tn->n_typmods && i < 2; i++)
	{
		PgQuery__Node *m = tn->typmods[i];

		if (m->node_case == PG_QUERY__NODE__NODE_A_CONST &&
			m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			ti->typmod[i] = m->a_const->ival->ival;
	}
	ti->is_array = tn->n_array_bounds > 0;
}

/*
 * Can PostgreSQL change old into new without rewriting the table?
 * Mirrors the binary-coercible casts and length-coercion shortcuts:
 * varchar/varbit widening, varchar <-> text, numeric precision growth
 * with the same scale, timestamp precision growth, cidr -> inet.
 */
static bool
type_change_is_free(const cat_column *old, const type_info *new)
{
	const char *o = old->type;
	const char *n = new->name;

	if (old->is_array != new->is_array)
		return false;
	if ((strcmp(o, "varchar") == 0 || strcmp(o, "text") == 0) &&
		strcmp(n, "text") == 0)
		return true;
	if (strcmp(o, "text") == 0 && strcmp(n, "varchar") == 0)
		return new->typmod[0] < 0;
	if ((strcmp(o, "varchar") == 0 && strcmp(n, "varchar") == 0) ||
		(strcmp(o, "varbit") == 0 && strcmp(n, "varbit") == 0))
		return new->typmod[0] < 0 ||
			(old->typmod[0] >= 0 && new->typmod[0] >= old->typmod[0]);
	if (strcmp(o, "numeric") == 0 && strcmp(n, "numeric") == 0)
	{
		int			oscale = old->typmod[1] < 0 ? 0 : old->typmod[1];
		int			nscale = new->typmod[1] < 0 ? 0 : new->typmod[1];

		if (new->typmod[0] < 0)
			return true;
		return old->typmod[0] >= 0 && new->typmod[0] >= old->typmod[0] &&
			oscale == nscale;
	}
	if ((strcmp(o, "timestamp") == 0 || strcmp(o, "timestamptz") == 0 ||
		 strcmp(o, "time") == 0 || strcmp(o, "interval") == 0) &&
		strcmp(o, n) == 0)
		return new->typmod[0] < 0 ||
			(old->typmod[0] >= 0 && new->typmod[0] >= old->typmod[0]);
	if (strcmp(o, "cidr") == 0 && strcmp(n, "inet") == 0)
		return true;
	if (strcmp(o, n) == 0 && old->typmod[0] == new->typmod[0] &&
		old->typmod[1] == new->typmod[1])
		return true;
	return false;
}

/* Is this one of the serial pseudo-types? */
static bool
is_serial(const char *t)
{
	return strcmp(t, "serial") == 0 || strcmp(t, "bigserial") == 0 ||
		strcmp(t, "smallserial") == 0 || strcmp(t, "serial4") == 0 ||
		strcmp(t, "serial8") == 0 || strcmp(t, "serial2") == 0;
}

/* Style notes on a column type; never make a statement risky */
static void
type_notes(stmt_ctx *c, const char *col, const type_info *ti, bool is_key)
{
	bool		idlike;
	size_t		len = strlen(col);

	idlike = is_key || strcmp(col, "id") == 0 ||
		(len > 3 && strcmp(col + len - 3, "_id") == 0);
	if (idlike && (strcmp(ti->name, "int4") == 0 || strcmp(ti->name, "int2") == 0 ||
				   strcmp(ti->name, "serial") == 0 || strcmp(ti->name, "serial4") == 0 ||
				   strcmp(ti->name, "smallserial") == 0))
		add_finding(c, "prefer-bigint", "column \"%s\" is %s", col, ti->name);
	if (strcmp(ti->name, "varchar") == 0 && ti->typmod[0] >= 0)
		add_finding(c, "prefer-text", "column \"%s\" is varchar(%d)", col, ti->typmod[0]);
	if (strcmp(ti->name, "timestamp") == 0)
		add_finding(c, "prefer-timestamptz", "column \"%s\" is timestamp without time zone", col);
}

/* ----------------------------------------------------------------
 * Constraints and columns
 * ----------------------------------------------------------------
 */

/* "col IS NOT NULL" -> col, else NULL */
static const char *
notnull_check_column(PgQuery__Node *expr)
{
	PgQuery__NullTest *nt;
	PgQuery__ColumnRef *cr;

	if (expr == NULL || expr->node_case != PG_QUERY__NODE__NODE_NULL_TEST)
		return NULL;
	nt = expr->null_test;
	if (nt->nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL || nt->arg == NULL ||
		nt->arg->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return NULL;
	cr = nt->arg->column_ref;
	if (cr->n_fields == 0)
		return NULL;
	return str_node(cr->fields[cr->n_fields - 1]);
}

/* Catalog letter for a constraint type (as pg_constraint.contype) */
static char
constraint_kind(PgQuery__ConstrType t)
{
	switch (t)
	{
		case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
			return 'c';
		case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
			return 'f';
		case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
			return 'u';
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
			return 'p';
		case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
			return 'x';
		default:
			return '?';
	}
}

/* Remember a named table constraint in the catalog */
static void
remember_constraint(cls_state *st, const char *table, PgQuery__Constraint *con,
					bool validated)
{
	cat_constraint *cc;

	if (con->conname == NULL || con->conname[0] == '\0')
		return;
	cc = cat_put_constraint(st->cat, base_name(table), con->conname);
	if (cc == NULL)
	{
		st->arena->oom = true;
		return;
	}
	cc->kind = constraint_kind(con->contype);
	cc->validated = validated;
	cc->notnull_col = NULL;
	if (con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
	{
		const char *col = notnull_check_column(con->raw_expr);

		if (col)
			cc->notnull_col = arena_strdup(&st->cat->arena, col);
	}
	if ((cc->kind == 'u' || cc->kind == 'p') &&
		!strset_put(&st->cat->unique_indexes,
					arena_strdup(&st->cat->arena, con->conname), 0))
		st->arena->oom = true;
}

/* Remember a column definition in the catalog */
static void
remember_column(cls_state *st, const char *table, const char *column,
				const type_info *ti, bool not_null)
{
	cat_column *cc = cat_put_column(st->cat, base_name(table), column);

	if (cc == NULL)
	{
		st->arena->oom = true;
		return;
	}
	cc->type = arena_strdup(&st->cat->arena, ti->name);
	cc->typmod[0] = ti->typmod[0];
	cc->typmod[1] = ti->typmod[1];
	cc->is_array = ti->is_array;
	cc->not_null = not_null;
}

/* Is there a validated CHECK (col IS NOT NULL) on table.col? */
static bool
has_validated_notnull_check(cls_state *st, const char *table, const char *col)
{
	int			i;
	size_t		tl;
	const char *t = base_name(table);

	tl = strlen(t);
	for (i = 0; i < st->cat->nconstraints; i++)
	{
		cat_constraint *cc = &st->cat->constraints[i];

		if (strncmp(cc->key, t, tl) != 0 || cc->key[tl] != '.' || !cc->validated)
			continue;
		if (cc->kind == 'c' && cc->notnull_col && strcmp(cc->notnull_col, col) == 0)
			return true;
		/* validated constraint defined outside the run: trust its name */
		if (cc->kind == '?' && strstr(cc->key + tl + 1, col) != NULL)
			return true;
	}
	return false;
}

/* Is there any validated CHECK constraint on table (ATTACH PARTITION)? */
static bool
has_validated_check(cls_state *st, const char *table)
{
	int			i;
	const char *t = base_name(table);
	size_t		tl = strlen(t);

	for (i = 0; i < st->cat->nconstraints; i++)
	{
		cat_constraint *cc = &st->cat->constraints[i];

		if (strncmp(cc->key, t, tl) == 0 && cc->key[tl] == '.' &&
			(cc->kind == 'c' || cc->kind == '?') && cc->validated)
			return true;
	}
	return false;
}

/* Kind of an existing constraint: catalog first, then naming convention */
static char
existing_constraint_kind(cls_state *st, const char *table, const char *name)
{
	cat_constraint *cc = cat_get_constraint(st->cat, base_name(table), name);
	size_t		len = strlen(name);

	if (cc != NULL && cc->kind != '?')
		return cc->kind;
	if (len > 5 && strcmp(name + len - 5, "_pkey") == 0)
		return 'p';
	if (len > 4 && strcmp(name + len - 4, "_key") == 0)
		return 'u';
	if (len > 6 && strcmp(name + len - 6, "_check") == 0)
		return 'c';
	if (len > 5 && strcmp(name + len - 5, "_fkey") == 0)
		return 'f';
	if (len > 5 && strcmp(name + len - 5, "_excl") == 0)
		return 'x';
	/* common hand-written names */
	if (strstr(name, "not_null") || strstr(name, "notnull") ||
		(len > 3 && strcmp(name + len - 3, "_nn") == 0) || strstr(name, "check"))
		return 'c';
	if (strstr(name, "fkey") || (len > 3 && strcmp(name + len - 3, "_fk") == 0))
		return 'f';
	return '?';
}

/*
 * Analyse a column definition being added to table (ADD COLUMN or a
 * column of a new table when table_is_new).
 */
static void
analyze_column_def(stmt_ctx *c, const char *table, PgQuery__ColumnDef *cd,
				   bool existing_table)
{
	cls_state  *st = c->st;
	type_info	ti;
	size_t		i;
	bool		has_default = false;
	bool		volatile_default = false;
	bool		null_default = false;
	bool		not_null = cd->is_not_null;
	bool		is_key = false;
	const char *rewrite_why = NULL;

	type_of(cd->type_name, &ti);
	if (is_serial(ti.name))
		rewrite_why = "a serial column fills every existing row from a sequence";
	for (i = 0; i < cd->n_constraints; i++)
	{
		PgQuery__Node *n = cd->constraints[i];
		PgQuery__Constraint *con;

		if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		con = n->constraint;
		switch (con->contype)
		{
			case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
				has_default = true;
				if (con->raw_expr && con->raw_expr->node_case == PG_QUERY__NODE__NODE_A_CONST &&
					con->raw_expr->a_const->isnull)
					null_default = true;
				else if (expr_is_volatile(con->raw_expr, 0))
					volatile_default = true;
				break;
			case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
				not_null = true;
				break;
			case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
				rewrite_why = "an identity column fills every existing row from a sequence";
				not_null = true;
				break;
			case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
				rewrite_why = "a stored generated column is computed for every existing row";
				break;
			case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
				is_key = true;
				not_null = true;
				/* fall through */
			case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
			case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
				if (existing_table)
				{
					add_finding(c, "add-unique-builds-index",
								"column \"%s\" gets a %s index built on \"%s\" under ACCESS EXCLUSIVE",
								cd->colname, con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ?
								"primary key" : "unique", table);
					c->scan = true;
				}
				break;
			case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
				if (existing_table)
				{
					add_finding(c, "add-constraint-validates",
								"the CHECK on new column \"%s\" is verified against every row of \"%s\"",
								cd->colname, table);
					c->scan = true;
				}
				break;
			case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
				if (con->pktable)
				{
					const char *pk = rv_name(st, con->pktable);

					add_lock(c, GK_LOCK_SHARE_ROW_EXCLUSIVE, pk);
					if (existing_table)
					{
						add_finding(c, "add-constraint-validates",
									"the foreign key on new column \"%s\" is validated against \"%s\" "
									"while both tables are locked SHARE ROW EXCLUSIVE",
									cd->colname, pk);
						c->scan = true;
						add_scan(c, pk);
					}
				}
				break;
			default:
				break;
		}
	}
	if (existing_table)
	{
		if (rewrite_why == NULL && volatile_default)
			rewrite_why = "the default is volatile, so it is evaluated for every existing row";
		if (rewrite_why == NULL && has_default && !null_default && st->opts->pg_version < 11)
			rewrite_why = "before PostgreSQL 11 any non-null default fills every existing row";
		if (rewrite_why != NULL)
		{
			add_finding(c, "add-column-rewrite",
						"adding column \"%s\" rewrites \"%s\": %s",
						cd->colname, table, rewrite_why);
			c->rewrite = true;
		}
		else if (not_null && (!has_default || null_default))
		{
			add_finding(c, "add-column-not-null-scans",
						"column \"%s\" is NOT NULL without a default: \"%s\" is scanned and the "
						"statement fails if it has rows", cd->colname, table);
			c->scan = true;
		}
	}
	type_notes(c, cd->colname, &ti, is_key);
	remember_column(st, table, cd->colname, &ti, not_null);
}

/* ----------------------------------------------------------------
 * Statement analysers
 * ----------------------------------------------------------------
 */

/* Relation options settable under SHARE UPDATE EXCLUSIVE */
static bool
reloption_is_light(PgQuery__Node *n)
{
	static const char *const light[] = {
		"fillfactor", "parallel_workers", "vacuum_index_cleanup",
		"vacuum_truncate", "toast_tuple_target", "log_autovacuum_min_duration",
		"autovacuum_enabled", NULL
	};
	const char *name;

	if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
		return false;
	name = n->def_elem->defname;
	return strncmp(name, "autovacuum_", 11) == 0 || name_in(name, light);
}

/* Flag a statement that cannot run in a transaction block when it would */
static void
note_nontransactional(stmt_ctx *c, const char *what)
{
	if (c->stmt->origin != GK_ORIGIN_TOP)
		add_finding(c, "non-transactional-in-transaction",
					"%s cannot run inside a DO block (a function always runs in a transaction)", what);
	else if (c->st->in_txn)
		add_finding(c, "non-transactional-in-transaction",
					"%s cannot run inside a transaction block; this file %s", what,
					c->st->mode == GK_MODE_TRANSACTION ?
					"mixes it with transactional statements, so it is applied in one transaction" :
					"opens a transaction with BEGIN");
}

/* CREATE INDEX: SHARE (or SHARE UPDATE EXCLUSIVE when concurrent) on the table */
static void
analyze_index(stmt_ctx *c, PgQuery__IndexStmt *s)
{
	cls_state  *st = c->st;
	const char *rel = rv_name(st, s->relation);
	bool		existing = !is_new(st, rel);

	if (s->concurrent)
	{
		note_nontransactional(c, "CREATE INDEX CONCURRENTLY");
		add_lock(c, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, rel);
		if (!s->if_not_exists && existing)
			add_finding(c, "prefer-if-not-exists",
						"CREATE INDEX CONCURRENTLY without IF NOT EXISTS cannot simply be retried");
	}
	else
	{
		add_lock(c, GK_LOCK_SHARE, rel);
		if (existing && s->relation && s->relation->inh)
		{
			add_finding(c, "create-index-not-concurrently",
						"CREATE INDEX holds a SHARE lock on \"%s\" and blocks its writes while the index is built",
						rel);
			c->scan = true;
		}
	}
	if (existing && s->relation && s->relation->inh)
		add_scan(c, rel);
	if (s->idxname && s->idxname[0])
	{
		mark_new(st, s->idxname);
		if (s->unique &&
			!strset_put(&st->cat->unique_indexes,
						arena_strdup(&st->cat->arena, s->idxname), 0))
			st->arena->oom = true;
	}
}

/*
 * ALTER TABLE/INDEX/VIEW: lock level per subcommand, as in
 * AlterTableGetLockLevel(), and what each one scans, rewrites or removes.
 */
static void
analyze_alter_table(stmt_ctx *c, PgQuery__AlterTableStmt *s)
{
	cls_state  *st = c->st;
	const char *rel = rv_name(st, s->relation);
	bool		existing = !is_new(st, rel);
	bool		is_index = s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX;
	size_t		i;

	for (i = 0; i < s->n_cmds; i++)
	{
		PgQuery__AlterTableCmd *cmd;
		gk_lock		mode = GK_LOCK_ACCESS_EXCLUSIVE;

		if (s->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		cmd = s->cmds[i]->alter_table_cmd;
		switch (cmd->subtype)
		{
			case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnToView:
				if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				{
					analyze_column_def(c, rel, cmd->def->column_def, existing);
					mark_column_new(st, rel, cmd->def->column_def->colname);
				}
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
				if (existing && cmd->name && !column_is_new(st, rel, cmd->name))
				{
					if (st->opts->pg_version < 12 ||
						!has_validated_notnull_check(st, rel, cmd->name))
					{
						add_finding(c, "set-not-null-scans",
									"SET NOT NULL on \"%s\".\"%s\" scans the table under ACCESS EXCLUSIVE%s",
									rel, cmd->name, st->opts->pg_version < 12 ?
									" (before PostgreSQL 12 a CHECK constraint does not help)" :
									": no validated CHECK (col IS NOT NULL) is known");
						c->scan = true;
					}
				}
				if (cmd->name)
				{
					cat_column *cc = cat_get_column(st->cat, base_name(rel), cmd->name);

					if (cc)
						cc->not_null = true;
				}
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize:
				mode = GK_LOCK_SHARE_UPDATE_EXCLUSIVE;
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse:
				if (existing && cmd->name && !column_is_new(st, rel, cmd->name))
				{
					add_finding(c, "drop-column", "drops column \"%s\" of \"%s\"", cmd->name, rel);
					c->data_loss = true;
				}
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndex:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddConstraint:
				if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
				{
					PgQuery__Constraint *con = cmd->def->constraint;
					const char *cname = con->conname ? con->conname : "(unnamed)";

					switch (con->contype)
					{
						case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
						case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
						case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
							if (existing && (con->indexname == NULL || con->indexname[0] == '\0'))
							{
								add_finding(c, "add-unique-builds-index",
											"constraint \"%s\" builds an index on \"%s\" under ACCESS EXCLUSIVE",
											cname, rel);
								c->scan = true;
							}
							remember_constraint(st, rel, con, true);
							break;
						case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
							mode = GK_LOCK_SHARE_ROW_EXCLUSIVE;
							if (con->pktable)
							{
								const char *pk = rv_name(st, con->pktable);

								add_lock(c, GK_LOCK_SHARE_ROW_EXCLUSIVE, pk);
								if (existing && !con->skip_validation)
								{
									add_finding(c, "add-constraint-validates",
												"foreign key \"%s\" is validated by scanning \"%s\" while \"%s\" and \"%s\" "
												"are locked SHARE ROW EXCLUSIVE", cname, rel, rel, pk);
									c->scan = true;
									add_scan(c, pk);
								}
							}
							remember_constraint(st, rel, con, !con->skip_validation);
							break;
						case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
							if (existing && !con->skip_validation)
							{
								add_finding(c, "add-constraint-validates",
											"CHECK constraint \"%s\" is verified against every row of \"%s\" under ACCESS EXCLUSIVE",
											cname, rel);
								c->scan = true;
							}
							remember_constraint(st, rel, con, !con->skip_validation);
							break;
						default:
							break;
					}
					if (con->skip_validation && existing && con->conname && st->in_txn)
					{
						/* remember it: validating in this transaction is a mistake */
						if (st->nheld == st->held_cap)
						{
							int			cap = st->held_cap ? st->held_cap * 2 : 16;
							held_lock  *grown = realloc(st->held, sizeof(held_lock) * cap);

							if (grown == NULL)
							{
								st->arena->oom = true;
								break;
							}
							st->held = grown;
							st->held_cap = cap;
						}
						st->held[st->nheld].relation = rel;
						st->held[st->nheld].mode = mode;
						st->held[st->nheld].stmt = c->idx;
						st->held[st->nheld].not_valid = con->conname;
						st->nheld++;
					}
				}
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse:
				mode = GK_LOCK_SHARE_UPDATE_EXCLUSIVE;
				if (existing)
					c->scan = true;
				if (cmd->name)
				{
					int			h;
					cat_constraint *cc = cat_get_constraint(st->cat, base_name(rel), cmd->name);

					for (h = 0; h < st->nheld; h++)
					{
						if (st->held[h].not_valid &&
							strcmp(st->held[h].not_valid, cmd->name) == 0 &&
							strcmp(base_name(st->held[h].relation), base_name(rel)) == 0)
						{
							add_finding(c, "validate-in-same-transaction",
										"constraint \"%s\" was added NOT VALID earlier in this transaction; "
										"its %s lock on \"%s\" is held during the validation scan",
										cmd->name, gk_lock_name(st->held[h].mode), rel);
							c->own_validate = true;
							break;
						}
					}
					if (cc)
						cc->validated = true;
					else
					{
						cc = cat_put_constraint(st->cat, base_name(rel), cmd->name);
						if (cc)
						{
							cc->kind = '?';
							cc->validated = true;
						}
					}
				}
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraintRecurse:
				if (existing && cmd->name)
				{
					char		kind = existing_constraint_kind(st, rel, cmd->name);

					if (kind == 'p' || kind == 'u' || kind == 'x' || kind == '?')
					{
						add_finding(c, "drop-constraint",
									"drops constraint \"%s\" of \"%s\" (%s)", cmd->name, rel,
									kind == 'p' ? "primary key" : kind == 'u' ? "unique key" :
									kind == 'x' ? "exclusion constraint" : "kind unknown");
						c->data_loss = true;
					}
				}
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
				if (existing && cmd->name && !column_is_new(st, rel, cmd->name) &&
					cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				{
					PgQuery__ColumnDef *cd = cmd->def->column_def;
					type_info	ti;
					cat_column *old = cat_get_column(st->cat, base_name(rel), cmd->name);
					bool		free_change;
					const char *why;

					type_of(cd->type_name, &ti);
					if (cd->raw_default != NULL)
					{
						free_change = false;
						why = "a USING expression recomputes every row";
					}
					else if (old != NULL)
					{
						free_change = type_change_is_free(old, &ti);
						why = "the new type is not binary-coercible from the old one";
					}
					else
					{
						/*
						 * Old type unknown: widening to text/varchar/unbounded
						 * numeric is the binary-coercible case in practice.
						 */
						free_change = !ti.is_array &&
							(strcmp(ti.name, "text") == 0 ||
							 (strcmp(ti.name, "varchar") == 0) ||
							 (strcmp(ti.name, "numeric") == 0 && ti.typmod[0] < 0));
						why = "the old type is not known and the new one is not a widening type";
					}
					if (!free_change)
					{
						add_finding(c, "alter-column-type-rewrite",
									"changing \"%s\".\"%s\" to %s rewrites the table: %s",
									rel, cmd->name, ti.name, why);
						c->rewrite = true;
					}
					if (old)
					{
						old->type = arena_strdup(&st->cat->arena, ti.name);
						old->typmod[0] = ti.typmod[0];
						old->typmod[1] = ti.typmod[1];
						old->is_array = ti.is_array;
					}
				}
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
				if (existing)
				{
					add_finding(c, "table-rewrite", "%s rewrites \"%s\"",
								cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged ? "SET LOGGED" :
								cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged ? "SET UNLOGGED" :
								cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod ?
								"SET ACCESS METHOD" : "SET TABLESPACE", rel);
					c->rewrite = true;
				}
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions:
				mode = GK_LOCK_SHARE_UPDATE_EXCLUSIVE;
				if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_LIST)
				{
					size_t		k;

					for (k = 0; k < cmd->def->list->n_items; k++)
						if (!reloption_is_light(cmd->def->list->items[k]))
							mode = GK_LOCK_ACCESS_EXCLUSIVE;
				}
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser:
			case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser:
				mode = GK_LOCK_SHARE_ROW_EXCLUSIVE;
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
				mode = GK_LOCK_SHARE_UPDATE_EXCLUSIVE;
				if (!is_index && cmd->def &&
					cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
					cmd->def->partition_cmd->name)
				{
					const char *part = rv_name(st, cmd->def->partition_cmd->name);

					add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, part);
					if (!is_new(st, part) && !has_validated_check(st, part))
					{
						add_finding(c, "attach-partition-scans",
									"ATTACH PARTITION scans \"%s\" under ACCESS EXCLUSIVE to check the partition bound",
									part);
						c->scan = true;
						add_scan(c, part);
					}
				}
				break;
			case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
				if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD)
				{
					PgQuery__PartitionCmd *pc = cmd->def->partition_cmd;
					const char *part = pc->name ? rv_name(st, pc->name) : "?";

					if (pc->concurrent)
					{
						mode = GK_LOCK_SHARE_UPDATE_EXCLUSIVE;
						note_nontransactional(c, "DETACH PARTITION CONCURRENTLY");
						add_lock(c, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, part);
					}
					else
						add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, part);
					if (existing && !is_new(st, part))
					{
						add_finding(c, "detach-partition",
									"detaching \"%s\" removes its rows from \"%s\"", part, rel);
						c->data_loss = true;
					}
				}
				break;
			default:
				/* everything else is ACCESS EXCLUSIVE and metadata-only */
				break;
		}
		if (is_index && cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace)
			mode = mode < GK_LOCK_SHARE_UPDATE_EXCLUSIVE ? mode : GK_LOCK_SHARE_UPDATE_EXCLUSIVE;
		add_lock(c, mode, rel);
	}
	/* a scan or rewrite of the table itself (VALIDATE, SET NOT NULL, ...) */
	if (existing && (c->scan || c->rewrite))
		add_scan(c, rel);
}

/* DROP of any object kind */
static void
analyze_drop(stmt_ctx *c, PgQuery__DropStmt *s)
{
	cls_state  *st = c->st;
	size_t		i;

	if (s->concurrent)
	{
		note_nontransactional(c, "DROP INDEX CONCURRENTLY");
		if (!s->missing_ok)
			add_finding(c, "prefer-if-not-exists",
						"DROP INDEX CONCURRENTLY without IF EXISTS cannot simply be retried");
	}
	for (i = 0; i < s->n_objects; i++)
	{
		const char *name = object_name(st, s->objects[i]);

		switch (s->remove_type)
		{
			case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
				add_lock(c, s->concurrent ? GK_LOCK_SHARE_UPDATE_EXCLUSIVE :
						 GK_LOCK_ACCESS_EXCLUSIVE, name);
				if (!is_new(st, name))
				{
					size_t		len = strlen(base_name(name));
					const char *b = base_name(name);
					bool		unique = strset_get(&st->cat->unique_indexes, b, NULL) ||
						(len > 5 && strcmp(b + len - 5, "_pkey") == 0) ||
						(len > 4 && strcmp(b + len - 4, "_key") == 0);

					if (unique)
					{
						add_finding(c, "drop-constraint",
									"drops unique index \"%s\", which enforces a key", name);
						c->data_loss = true;
					}
				}
				break;
			case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
			case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
			case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
			case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
			case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
				add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, name);
				if (!is_new(st, name))
				{
					add_finding(c, "drop-object", "drops \"%s\" and its data", name);
					c->data_loss = true;
				}
				break;
			case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
			case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
			case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
				{
					/* objects are (schema.)table.name: the table is locked */
					PgQuery__Node *o = s->objects[i];

					if (o->node_case == PG_QUERY__NODE__NODE_LIST && o->list->n_items >= 2)
						add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE,
								 list_name(st, o->list->items, o->list->n_items - 1));
					break;
				}
			default:
				if (!is_new(st, name))
				{
					add_finding(c, "drop-object", "drops \"%s\", which running code may use", name);
					c->data_loss = true;
				}
				break;
		}
	}
}

/* RENAME of relations, columns, constraints and other objects */
static void
analyze_rename(stmt_ctx *c, PgQuery__RenameStmt *s)
{
	cls_state  *st = c->st;
	const char *rel = s->relation ? rv_name(st, s->relation) : NULL;
	const char *obj;
	int			view_at;

	switch (s->rename_type)
	{
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
			if (rel == NULL)
				return;
			add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rel);
			if (is_new(st, rel))
			{
				mark_new(st, s->newname);
				return;
			}
			if (strset_get(&st->views, base_name(rel), &view_at) && view_at > c->idx)
				return;			/* a compatibility view keeps the old name */
			add_finding(c, "rename-object",
						"renames \"%s\" to \"%s\" with no view left under the old name", rel, s->newname);
			return;
		case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		case PG_QUERY__OBJECT_TYPE__OBJECT_ATTRIBUTE:
			if (rel == NULL)
				return;
			add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rel);
			if (s->subname && !column_is_new(st, rel, s->subname))
				add_finding(c, "rename-column", "renames column \"%s\".\"%s\" to \"%s\"",
							rel, s->subname, s->newname);
			else if (s->subname)
				mark_column_new(st, rel, s->newname);
			return;
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
			if (rel == NULL)
				return;
			add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rel);
			if (!is_new(st, rel) && s->subname)
			{
				char		kind = existing_constraint_kind(st, rel, s->subname);

				if (kind == 'p' || kind == 'u' || kind == 'x' || kind == '?')
					add_finding(c, "rename-object",
								"renames key constraint \"%s\" of \"%s\"; ON CONFLICT ON CONSTRAINT uses the name",
								s->subname, rel);
			}
			return;
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
			if (rel)
				add_lock(c, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, rel);
			return;
		case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
		case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
		case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
			if (rel)
				add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rel);
			return;
		case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
		case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
			obj = s->object ? object_name(st, s->object) : (s->subname ? s->subname : "?");
			if (s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA && s->subname)
				obj = s->subname;
			if (!is_new(st, obj))
				add_finding(c, "rename-object", "renames \"%s\" to \"%s\"", obj, s->newname);
			else
				mark_new(st, s->newname);
			return;
		default:
			return;
	}
}

/* ALTER ... SET SCHEMA, which moves the object like a rename */
static void
analyze_set_schema(stmt_ctx *c, PgQuery__AlterObjectSchemaStmt *s)
{
	cls_state  *st = c->st;
	const char *name;

	if (s->relation)
	{
		name = rv_name(st, s->relation);
		add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, name);
	}
	else
		name = object_name(st, s->object);
	if (!is_new(st, name))
		add_finding(c, "rename-object", "moves \"%s\" to schema \"%s\"; code using the old "
					"qualified name breaks", name, s->newschema);
}

/* GRANT is safe; REVOKE on anything not created in this file is not */
static void
analyze_grant(stmt_ctx *c, PgQuery__GrantStmt *s)
{
	cls_state  *st = c->st;
	size_t		i;
	bool		all_new = s->n_objects > 0 &&
		s->targtype == PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_OBJECT;

	if (s->is_grant)
		return;
	for (i = 0; i < s->n_objects && all_new; i++)
	{
		PgQuery__Node *o = s->objects[i];
		const char *name = o->node_case == PG_QUERY__NODE__NODE_RANGE_VAR ?
		rv_name(st, o->range_var) : object_name(st, o);

		if (!is_new(st, name))
			all_new = false;
	}
	if (!all_new)
		add_finding(c, "revoke", "REVOKE removes privileges from existing objects");
}

/* SET / SET LOCAL / RESET of lock_timeout */
static void
analyze_set(stmt_ctx *c, PgQuery__VariableSetStmt *s)
{
	cls_state  *st = c->st;
	long		ms;

	if (s->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL)
	{
		st->lt_session = 0;
		st->lt_local_set = false;
		return;
	}
	if (s->name == NULL || strcmp(s->name, "lock_timeout") != 0)
		return;
	switch (s->kind)
	{
		case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE:
			if (s->n_args >= 1 && const_duration(s->args[0], &ms))
				apply_lock_timeout(st, ms, s->is_local);
			break;
		case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
			apply_lock_timeout(st, 0, s->is_local);
			break;
		case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
			st->lt_session = 0;
			st->lt_local_set = false;
			break;
		default:
			break;
	}
}

/* SELECT set_config('lock_timeout', value, is_local) */
static void
analyze_select(stmt_ctx *c, PgQuery__SelectStmt *s)
{
	size_t		i;

	scan_from(c, s->from_clause, s->n_from_clause, 0);
	if (s->into_clause && s->into_clause->rel)
		mark_new(c->st, rv_name(c->st, s->into_clause->rel));	/* SELECT INTO */
	for (i = 0; i < s->n_target_list; i++)
	{
		PgQuery__Node *t = s->target_list[i];
		PgQuery__FuncCall *fc;
		const char *fname;
		PgQuery__Node *a0;
		long		ms;
		bool		is_local = false;

		if (t->node_case != PG_QUERY__NODE__NODE_RES_TARGET || t->res_target->val == NULL ||
			t->res_target->val->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
			continue;
		fc = t->res_target->val->func_call;
		fname = fc->n_funcname ? str_node(fc->funcname[fc->n_funcname - 1]) : NULL;
		if (fname == NULL || strcmp(fname, "set_config") != 0 || fc->n_args != 3)
			continue;
		a0 = fc->args[0];
		if (a0->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
			a0 = a0->type_cast->arg;
		if (a0 == NULL || a0->node_case != PG_QUERY__NODE__NODE_A_CONST ||
			a0->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL ||
			strcmp(a0->a_const->sval->sval, "lock_timeout") != 0)
			continue;
		if (!const_duration(fc->args[1], &ms))
			continue;
		if (fc->args[2]->node_case == PG_QUERY__NODE__NODE_A_CONST)
		{
			PgQuery__AConst *k = fc->args[2]->a_const;

			if (k->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
				is_local = k->boolval->boolval;
			else if (k->val_case == PG_QUERY__A__CONST__VAL_SVAL)
				is_local = strcmp(k->sval->sval, "true") == 0 || strcmp(k->sval->sval, "t") == 0 ||
					strcmp(k->sval->sval, "on") == 0;
			else if (k->val_case == PG_QUERY__A__CONST__VAL_IVAL)
				is_local = k->ival->ival != 0;
		}
		apply_lock_timeout(c->st, ms, is_local);
	}
}

/* CREATE TABLE: new relation, plus locks on parents and referenced tables */
static void
analyze_create(stmt_ctx *c, PgQuery__CreateStmt *s)
{
	cls_state  *st = c->st;
	const char *rel = rv_name(st, s->relation);
	size_t		i;

	/*
	 * CREATE TABLE IF NOT EXISTS of a table an earlier file created is a
	 * no-op: the table keeps its rows and stays "existing".
	 */
	if (!(s->if_not_exists && strset_get(&st->cat->relations, base_name(rel), NULL)))
		mark_new(st, rel);
	if (!strset_put(&st->cat->relations, arena_strdup(&st->cat->arena, base_name(rel)), 0))
		st->arena->oom = true;
	if (s->partbound && s->n_inh_relations >= 1 &&
		s->inh_relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
		add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rv_name(st, s->inh_relations[0]->range_var));
	else
		for (i = 0; i < s->n_inh_relations; i++)
			if (s->inh_relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
				add_lock(c, GK_LOCK_SHARE_UPDATE_EXCLUSIVE,
						 rv_name(st, s->inh_relations[i]->range_var));
	for (i = 0; i < s->n_table_elts; i++)
	{
		PgQuery__Node *e = s->table_elts[i];

		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			analyze_column_def(c, rel, e->column_def, false);
		else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
		{
			PgQuery__Constraint *con = e->constraint;

			if (con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN && con->pktable)
				add_lock(c, GK_LOCK_SHARE_ROW_EXCLUSIVE, rv_name(st, con->pktable));
			if (con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
			{
				size_t		k;

				for (k = 0; k < con->n_keys; k++)
				{
					const char *col = str_node(con->keys[k]);
					cat_column *cc = col ? cat_get_column(st->cat, base_name(rel), col) : NULL;

					if (cc)
						cc->not_null = true;
				}
			}
			remember_constraint(st, rel, con, true);
		}
	}
	/* the new table's own lock is irrelevant: nobody else can see it */
	for (i = 0; i < (size_t) c->nlocks; i++)
		if (strcmp(c->locks[i].relation, rel) == 0)
			c->locks[i].existing = false;
}

/* ALTER TYPE ... ADD VALUE / RENAME VALUE */
static void
analyze_alter_enum(stmt_ctx *c, PgQuery__AlterEnumStmt *s)
{
	cls_state  *st = c->st;
	const char *type = list_name(st, s->type_name, s->n_type_name);

	if (s->old_val && s->old_val[0])
	{
		if (!is_new(st, type))
			add_finding(c, "enum-rename-value", "renames label '%s' of enum \"%s\" to '%s'",
						s->old_val, type, s->new_val);
		return;
	}
	if (s->new_val == NULL || is_new(st, type))
		return;
	if (st->opts->pg_version < 12 && (st->in_txn || c->stmt->origin != GK_ORIGIN_TOP))
	{
		add_finding(c, "enum-add-value-in-transaction",
					"before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block");
		return;
	}
	if (st->in_txn)
	{
		if (st->nenum == st->enum_cap)
		{
			int			cap = st->enum_cap ? st->enum_cap * 2 : 8;
			const char **grown = realloc(st->enum_labels, sizeof(char *) * cap);

			if (grown == NULL)
			{
				st->arena->oom = true;
				return;
			}
			st->enum_labels = grown;
			st->enum_cap = cap;
		}
		st->enum_labels[st->nenum++] = s->new_val;
	}
}

/* Does this statement use an enum label added earlier in the transaction? */
static void
check_enum_use(stmt_ctx *c)
{
	cls_state  *st = c->st;
	int			i;
	char		quoted[256];

	if (c->stmt->text == NULL || c->stmt->node == NULL ||
		c->stmt->node->node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT)
		return;
	for (i = 0; i < st->nenum; i++)
	{
		snprintf(quoted, sizeof(quoted), "'%s'", st->enum_labels[i]);
		if (strstr(c->stmt->text, quoted) != NULL)
		{
			add_finding(c, "enum-add-value-in-transaction",
						"uses enum label %s added earlier in the same transaction "
						"(\"unsafe use of new value\")", quoted);
			return;
		}
	}
}

/* BEGIN, COMMIT, ROLLBACK and friends */
static void
analyze_transaction(stmt_ctx *c, PgQuery__TransactionStmt *s)
{
	cls_state  *st = c->st;

	switch (s->kind)
	{
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
			if (!st->in_txn)
			{
				st->in_txn = true;
				txn_begin(st);
			}
			break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
			if (s->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK &&
				c->idx == st->last_top)
				add_finding(c, "early-commit",
							"ROLLBACK at the end discards the whole migration: nothing would be applied");
			else if (c->idx != st->last_top)
				add_finding(c, "early-commit",
							"%s ends the migration's transaction before the end of the file",
							s->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK ? "ROLLBACK" :
							s->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE ?
							"PREPARE TRANSACTION" : "COMMIT");
			txn_end(st, s->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK);
			st->in_txn = s->chain;
			if (s->chain)
				txn_begin(st);
			break;
		default:
			break;
	}
}

/* The statements the issue lists as not runnable in a transaction block */
static bool
is_autocommit_stmt(PgQuery__Node *n)
{
	size_t		i;

	if (n == NULL)
		return false;
	switch (n->node_case)
	{
		case PG_QUERY__NODE__NODE_INDEX_STMT:
			return n->index_stmt->concurrent;
		case PG_QUERY__NODE__NODE_DROP_STMT:
			return n->drop_stmt->concurrent;
		case PG_QUERY__NODE__NODE_REINDEX_STMT:
			return option_on(n->reindex_stmt->params, n->reindex_stmt->n_params, "concurrently");
		case PG_QUERY__NODE__NODE_VACUUM_STMT:
			return n->vacuum_stmt->is_vacuumcmd;
		case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
			for (i = 0; i < n->alter_table_stmt->n_cmds; i++)
			{
				PgQuery__Node *cn = n->alter_table_stmt->cmds[i];

				if (cn->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
					cn->alter_table_cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition &&
					cn->alter_table_cmd->def &&
					cn->alter_table_cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
					cn->alter_table_cmd->def->partition_cmd->concurrent)
					return true;
			}
			return false;
		default:
			return false;
	}
}

/* Dispatch one statement to its analyser */
static void
analyze_stmt(stmt_ctx *c)
{
	cls_state  *st = c->st;
	PgQuery__Node *n = c->stmt->node;
	size_t		i;

	if (c->stmt->opaque)
	{
		add_finding(c, "dynamic-sql-unresolved", "EXECUTE %s", c->stmt->text);
		return;
	}
	if (c->stmt->plpgsql_commit)
	{
		add_finding(c, "early-commit",
					"%s inside a DO block fails in a transaction block and splits the migration",
					strcmp(c->stmt->text, "rollback") == 0 ? "ROLLBACK" : "COMMIT");
		return;
	}
	if (n == NULL)
		return;
	switch (n->node_case)
	{
		case PG_QUERY__NODE__NODE_INDEX_STMT:
			analyze_index(c, n->index_stmt);
			break;
		case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
			analyze_alter_table(c, n->alter_table_stmt);
			break;
		case PG_QUERY__NODE__NODE_DROP_STMT:
			analyze_drop(c, n->drop_stmt);
			break;
		case PG_QUERY__NODE__NODE_RENAME_STMT:
			analyze_rename(c, n->rename_stmt);
			break;
		case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
			analyze_set_schema(c, n->alter_object_schema_stmt);
			break;
		case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
			for (i = 0; i < n->truncate_stmt->n_relations; i++)
			{
				PgQuery__Node *r = n->truncate_stmt->relations[i];
				const char *rel;

				if (r->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
					continue;
				rel = rv_name(st, r->range_var);
				add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rel);
				if (!is_new(st, rel))
				{
					add_finding(c, "truncate", "TRUNCATE empties \"%s\"", rel);
					c->data_loss = true;
					c->rewrite = true;
				}
			}
			break;
		case PG_QUERY__NODE__NODE_DELETE_STMT:
			{
				PgQuery__DeleteStmt *d = n->delete_stmt;
				const char *rel = rv_name(st, d->relation);

				add_lock(c, GK_LOCK_ROW_EXCLUSIVE, rel);
				add_scan(c, rel);
				scan_from(c, d->using_clause, d->n_using_clause, 0);
				if (!is_new(st, rel))
				{
					add_finding(c, "delete-rows", "DELETE removes existing rows of \"%s\"%s", rel,
								d->where_clause ? "" : " (all of them: no WHERE clause)");
					c->data_loss = true;
				}
				break;
			}
		case PG_QUERY__NODE__NODE_UPDATE_STMT:
			{
				PgQuery__UpdateStmt *u = n->update_stmt;
				const char *rel = rv_name(st, u->relation);

				add_lock(c, GK_LOCK_ROW_EXCLUSIVE, rel);
				add_scan(c, rel);
				scan_from(c, u->from_clause, u->n_from_clause, 0);
				if (!is_new(st, rel) && !where_is_batched(u->where_clause, 0))
					add_finding(c, "unbatched-update",
								"UPDATE of \"%s\" %s", rel, u->where_clause ?
								"has a WHERE clause that does not bound the batch (e.g. IS NULL)" :
								"has no WHERE clause and touches every row");
				break;
			}
		case PG_QUERY__NODE__NODE_INSERT_STMT:
			{
				PgQuery__InsertStmt *ins = n->insert_stmt;

				add_lock(c, GK_LOCK_ROW_EXCLUSIVE, rv_name(st, ins->relation));
				if (ins->select_stmt &&
					ins->select_stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT)
					scan_from(c, ins->select_stmt->select_stmt->from_clause,
							  ins->select_stmt->select_stmt->n_from_clause, 0);
				break;
			}
		case PG_QUERY__NODE__NODE_SELECT_STMT:
			analyze_select(c, n->select_stmt);
			break;
		case PG_QUERY__NODE__NODE_GRANT_STMT:
			analyze_grant(c, n->grant_stmt);
			break;
		case PG_QUERY__NODE__NODE_GRANT_ROLE_STMT:
			if (!n->grant_role_stmt->is_grant)
				add_finding(c, "revoke", "REVOKE removes role membership that running code may rely on");
			break;
		case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
			analyze_alter_enum(c, n->alter_enum_stmt);
			break;
		case PG_QUERY__NODE__NODE_CLUSTER_STMT:
			{
				const char *rel = n->cluster_stmt->relation ?
				rv_name(st, n->cluster_stmt->relation) : NULL;

				if (rel == NULL)
				{
					note_nontransactional(c, "CLUSTER without a table name");
					add_finding(c, "cluster", "CLUSTER rewrites every previously clustered table");
					c->rewrite = true;
					break;
				}
				add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rel);
				if (!is_new(st, rel))
				{
					add_finding(c, "cluster", "CLUSTER rewrites \"%s\"", rel);
					c->rewrite = true;
				}
				break;
			}
		case PG_QUERY__NODE__NODE_VACUUM_STMT:
			{
				PgQuery__VacuumStmt *v = n->vacuum_stmt;
				bool		full = option_on(v->options, v->n_options, "full");

				if (v->is_vacuumcmd)
					note_nontransactional(c, "VACUUM");
				for (i = 0; i < v->n_rels; i++)
				{
					PgQuery__Node *r = v->rels[i];
					const char *rel;

					if (r->node_case != PG_QUERY__NODE__NODE_VACUUM_RELATION ||
						r->vacuum_relation->relation == NULL)
						continue;
					rel = rv_name(st, r->vacuum_relation->relation);
					add_lock(c, full ? GK_LOCK_ACCESS_EXCLUSIVE : GK_LOCK_SHARE_UPDATE_EXCLUSIVE, rel);
					if (full && !is_new(st, rel))
						add_finding(c, "vacuum-full", "VACUUM FULL rewrites \"%s\"", rel);
				}
				if (full && v->n_rels == 0)
					add_finding(c, "vacuum-full", "VACUUM FULL rewrites every table of the database");
				if (full)
					c->rewrite = true;
				break;
			}
		case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
			{
				PgQuery__RefreshMatViewStmt *r = n->refresh_mat_view_stmt;
				const char *rel = rv_name(st, r->relation);

				if (r->concurrent)
					add_lock(c, GK_LOCK_EXCLUSIVE, rel);
				else
				{
					add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rel);
					if (!is_new(st, rel))
					{
						add_finding(c, "refresh-matview-not-concurrently",
									"REFRESH MATERIALIZED VIEW \"%s\" blocks its readers while it runs", rel);
						c->rewrite = true;
					}
				}
				break;
			}
		case PG_QUERY__NODE__NODE_REINDEX_STMT:
			{
				PgQuery__ReindexStmt *r = n->reindex_stmt;
				bool		conc = option_on(r->params, r->n_params, "concurrently");
				const char *rel = r->relation ? rv_name(st, r->relation) :
				arena_strdup(st->arena, r->name ? r->name : "?");
				bool		whole = r->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX &&
					r->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE;

				if (conc)
				{
					note_nontransactional(c, "REINDEX CONCURRENTLY");
					add_lock(c, GK_LOCK_SHARE_UPDATE_EXCLUSIVE, rel);
					break;
				}
				if (whole)
					note_nontransactional(c, "REINDEX SCHEMA/DATABASE/SYSTEM");
				add_lock(c, r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX ?
						 GK_LOCK_ACCESS_EXCLUSIVE : GK_LOCK_SHARE, rel);
				if (!is_new(st, rel))
				{
					add_finding(c, "reindex-not-concurrently",
								"REINDEX of \"%s\" blocks writes (and reads using the index) while it rebuilds", rel);
					c->scan = true;
				}
				break;
			}
		case PG_QUERY__NODE__NODE_LOCK_STMT:
			{
				PgQuery__LockStmt *l = n->lock_stmt;
				gk_lock		mode = l->mode >= 1 && l->mode <= 8 ? (gk_lock) l->mode :
				GK_LOCK_ACCESS_EXCLUSIVE;

				for (i = 0; i < l->n_relations; i++)
					if (l->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
						add_lock(c, mode, rv_name(st, l->relations[i]->range_var));
				break;
			}
		case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
			add_lock(c, GK_LOCK_SHARE_ROW_EXCLUSIVE, rv_name(st, n->create_trig_stmt->relation));
			break;
		case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
			add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rv_name(st, n->create_policy_stmt->table));
			break;
		case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
			add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rv_name(st, n->alter_policy_stmt->table));
			break;
		case PG_QUERY__NODE__NODE_RULE_STMT:
			add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rv_name(st, n->rule_stmt->relation));
			break;
		case PG_QUERY__NODE__NODE_VIEW_STMT:
			{
				const char *rel = rv_name(st, n->view_stmt->view);

				if (n->view_stmt->replace)
					add_lock(c, GK_LOCK_ACCESS_EXCLUSIVE, rel);
				mark_new(st, rel);
				break;
			}
		case PG_QUERY__NODE__NODE_CREATE_STMT:
			analyze_create(c, n->create_stmt);
			break;
		case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
			if (n->create_table_as_stmt->into && n->create_table_as_stmt->into->rel)
				mark_new(st, rv_name(st, n->create_table_as_stmt->into->rel));
			if (n->create_table_as_stmt->query &&
				n->create_table_as_stmt->query->node_case == PG_QUERY__NODE__NODE_SELECT_STMT)
				scan_from(c, n->create_table_as_stmt->query->select_stmt->from_clause,
						  n->create_table_as_stmt->query->select_stmt->n_from_clause, 0);
			break;
		case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
			mark_new(st, rv_name(st, n->create_seq_stmt->sequence));
			break;
		case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
			add_lock(c, GK_LOCK_SHARE_ROW_EXCLUSIVE, rv_name(st, n->alter_seq_stmt->sequence));
			break;
		case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
			mark_new(st, list_name(st, n->create_enum_stmt->type_name,
								   n->create_enum_stmt->n_type_name));
			break;
		case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
			mark_new(st, rv_name(st, n->composite_type_stmt->typevar));
			break;
		case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
			mark_new(st, list_name(st, n->create_domain_stmt->domainname,
								   n->create_domain_stmt->n_domainname));
			break;
		case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
			/* defined by this file, with or without OR REPLACE */
			mark_new(st, list_name(st, n->create_function_stmt->funcname,
								   n->create_function_stmt->n_funcname));
			break;
		case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
			if (n->create_schema_stmt->schemaname)
				mark_new(st, n->create_schema_stmt->schemaname);
			break;
		case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
			mark_new(st, n->create_extension_stmt->extname);
			break;
		case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
			{
				PgQuery__AlterDomainStmt *d = n->alter_domain_stmt;
				const char *dom = list_name(st, d->type_name, d->n_type_name);

				if (is_new(st, dom) || d->subtype == NULL)
					break;
				if (d->subtype[0] == 'C' && d->def &&
					d->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
					!d->def->constraint->skip_validation)
				{
					add_finding(c, "add-constraint-validates",
								"the new constraint on domain \"%s\" is checked against every column using it", dom);
					c->scan = true;
				}
				else if (d->subtype[0] == 'O')
				{
					add_finding(c, "set-not-null-scans",
								"SET NOT NULL on domain \"%s\" scans every column using it", dom);
					c->scan = true;
				}
				break;
			}
		case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
			analyze_transaction(c, n->transaction_stmt);
			break;
		case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
			analyze_set(c, n->variable_set_stmt);
			break;
		case PG_QUERY__NODE__NODE_DROP_ROLE_STMT:
			add_finding(c, "drop-object", "drops a role that running code may log in as");
			break;
		case PG_QUERY__NODE__NODE_DROP_OWNED_STMT:
			add_finding(c, "drop-object", "DROP OWNED drops every object the role owns");
			c->data_loss = true;
			break;
		case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		case PG_QUERY__NODE__NODE_DROPDB_STMT:
		case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
		case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
			if (st->in_txn || c->stmt->origin != GK_ORIGIN_TOP)
				add_finding(c, "non-transactional-in-transaction",
							"this statement cannot run inside a transaction block");
			if (n->node_case == PG_QUERY__NODE__NODE_DROPDB_STMT)
			{
				add_finding(c, "drop-object", "drops a whole database");
				c->data_loss = true;
			}
			break;
		default:
			break;
	}
}

/*
 * Checks that depend on the replay state rather than the statement alone:
 * lock_timeout in effect, locks held from earlier statements of the
 * transaction, enum labels added earlier.
 */
static void
state_checks(stmt_ctx *c)
{
	cls_state  *st = c->st;
	long		lt = lock_timeout_now(st);
	bool		lt_ok = lt > 0 && lt <= st->opts->max_lock_timeout_ms;
	int			i;
	int			h;

	for (i = 0; i < c->nlocks; i++)
	{
		gk_lockreq *l = &c->locks[i];

		if (!l->existing || !gk_lock_blocks_writes(l->mode) || lt_ok)
			continue;
		if (lt == 0)
			add_finding(c, "missing-lock-timeout",
						"%s lock on \"%s\" with no lock_timeout in effect%s", gk_lock_name(l->mode),
						l->relation, st->set_local_ignored ?
						" (SET LOCAL outside a transaction block has no effect)" : "");
		else
			add_finding(c, "missing-lock-timeout",
						"%s lock on \"%s\" with lock_timeout = %ldms, above the %ldms limit",
						gk_lock_name(l->mode), l->relation, lt, st->opts->max_lock_timeout_ms);
		break;
	}

	if (st->in_txn && !c->own_validate)
	{
		for (i = 0; i < c->nscans; i++)
		{
			if (is_new(st, c->scans[i]))
				continue;
			for (h = 0; h < st->nheld; h++)
			{
				if (st->held[h].stmt < c->idx && gk_lock_blocks_writes(st->held[h].mode) &&
					strcmp(base_name(st->held[h].relation), base_name(c->scans[i])) == 0)
				{
					add_finding(c, "lock-held-during-scan",
								"\"%s\" is read or rewritten while the %s lock taken at line %d is still held",
								c->scans[i], gk_lock_name(st->held[h].mode),
								st->file->stmts[st->held[h].stmt].line);
					break;
				}
			}
		}
	}
	if (st->in_txn && st->nenum > 0)
		check_enum_use(c);
}

/* After a statement: its write-blocking locks stay held until commit */
static void
remember_locks(stmt_ctx *c)
{
	cls_state  *st = c->st;
	int			i;

	if (!st->in_txn)
		return;
	for (i = 0; i < c->nlocks; i++)
	{
		gk_lockreq *l = &c->locks[i];

		int			h;
		bool		known = false;

		if (!l->existing || !gk_lock_blocks_writes(l->mode))
			continue;
		/* keep the first statement that took the lock; it is what is held */
		for (h = 0; h < st->nheld && !known; h++)
			known = st->held[h].not_valid == NULL && st->held[h].mode >= l->mode &&
				strcmp(st->held[h].relation, l->relation) == 0;
		if (known)
			continue;
		if (st->nheld == st->held_cap)
		{
			int			cap = st->held_cap ? st->held_cap * 2 : 16;
			held_lock  *grown = realloc(st->held, sizeof(held_lock) * cap);

			if (grown == NULL)
			{
				st->arena->oom = true;
				return;
			}
			st->held = grown;
			st->held_cap = cap;
		}
		st->held[st->nheld].relation = l->relation;
		st->held[st->nheld].mode = l->mode;
		st->held[st->nheld].stmt = c->idx;
		st->held[st->nheld].not_valid = NULL;
		st->nheld++;
	}
}

/* Apply --allow options and in-file directives to the findings */
static void
apply_allows(stmt_ctx *c)
{
	cls_state  *st = c->st;
	const gk_file *f = st->file;
	int			top = c->idx;
	int			i;
	int			j;

	while (top >= 0 && f->stmts[top].parent >= 0)
		top = f->stmts[top].parent;
	for (i = 0; i < c->nfindings; i++)
	{
		gk_finding *fd = &c->findings[i];

		for (j = 0; j < st->opts->nallow; j++)
			if (strcmp(st->opts->allow[j], fd->rule->id) == 0)
			{
				fd->allowed = true;
				fd->allow_reason = "allowed by --allow";
			}
		for (j = 0; j < f->ndirectives; j++)
			if (f->directives[j].stmt == top &&
				strcmp(f->directives[j].rule, fd->rule->id) == 0)
			{
				fd->allowed = true;
				fd->allow_reason = f->directives[j].reason;
			}
	}
}

/* ----------------------------------------------------------------
 * Entry points
 * ----------------------------------------------------------------
 */
void
gk_options_init(gk_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->pg_version = 15;
	opts->max_lock_timeout_ms = 5000;
}

/*
 * Classify every statement of a parsed file.  catalog may be NULL; when
 * given, it carries knowledge to later files of the same run.
 */
int
gk_classify_file(const gk_file *file, const gk_options *opts,
				 gk_catalog *catalog, gk_file_result *out, gk_error *err)
{
	cls_state	st;
	gk_arena   *arena;
	gk_catalog *own_cat = NULL;
	bool		any_nontxn = false;
	bool		all_autocommit = true;
	int			i;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	arena = calloc(1, sizeof(gk_arena));
	if (arena == NULL)
		goto nomem;
	if (catalog == NULL)
	{
		own_cat = gk_catalog_new();
		if (own_cat == NULL)
		{
			free(arena);
			goto nomem;
		}
		catalog = own_cat;
	}
	st.arena = arena;
	st.opts = opts;
	st.cat = catalog;
	st.file = file;
	st.last_top = -1;

	/* transaction mode: only CONCURRENTLY-style statements plus SETs */
	for (i = 0; i < file->nstmts; i++)
	{
		const gk_stmt *s = &file->stmts[i];

		if (s->origin != GK_ORIGIN_TOP)
			continue;
		st.last_top = i;
		if (is_autocommit_stmt(s->node))
			any_nontxn = true;
		else if (s->node == NULL ||
				 s->node->node_case != PG_QUERY__NODE__NODE_VARIABLE_SET_STMT)
			all_autocommit = false;
		if (s->node && s->node->node_case == PG_QUERY__NODE__NODE_VIEW_STMT &&
			s->node->view_stmt->view &&
			!strset_put(&st.views, s->node->view_stmt->view->relname, i))
			arena->oom = true;
	}
	st.mode = any_nontxn && all_autocommit ? GK_MODE_AUTOCOMMIT : GK_MODE_TRANSACTION;
	st.in_txn = st.mode == GK_MODE_TRANSACTION;

	out->file = file;
	out->mode = st.mode;
	out->arena = arena;
	out->nresults = file->nstmts;
	out->results = arena_alloc(arena, sizeof(gk_stmt_result) * (file->nstmts ? file->nstmts : 1));
	if (out->results == NULL)
		goto fail;

	for (i = 0; i < file->nstmts; i++)
	{
		stmt_ctx	c;
		gk_stmt_result *r = &out->results[i];
		int			k;

		memset(&c, 0, sizeof(c));
		c.st = &st;
		c.stmt = &file->stmts[i];
		c.idx = i;
		if (!st.in_txn && c.stmt->origin == GK_ORIGIN_TOP)
		{
			/* autocommit: every statement is its own transaction */
			txn_end(&st, false);
		}
		analyze_stmt(&c);
		state_checks(&c);
		remember_locks(&c);
		apply_allows(&c);

		memset(r, 0, sizeof(*r));
		r->stmt = c.stmt;
		r->rewrite = c.rewrite;
		r->scan = c.scan;
		r->data_loss = c.data_loss;
		r->nlocks = c.nlocks;
		r->nfindings = c.nfindings;
		if (c.nlocks > 0)
		{
			r->locks = arena_alloc(arena, sizeof(gk_lockreq) * c.nlocks);
			if (r->locks == NULL)
				goto fail;
			memcpy(r->locks, c.locks, sizeof(gk_lockreq) * c.nlocks);
		}
		if (c.nfindings > 0)
		{
			r->findings = arena_alloc(arena, sizeof(gk_finding) * c.nfindings);
			if (r->findings == NULL)
				goto fail;
			memcpy(r->findings, c.findings, sizeof(gk_finding) * c.nfindings);
		}
		for (k = 0; k < c.nfindings; k++)
			if (c.findings[k].rule->severity == GK_SEV_RISKY && !c.findings[k].allowed)
				r->risky = true;
		if (r->risky)
		{
			out->risky = true;
			out->nrisky++;
		}
	}
	if (arena->oom)
		goto fail;

	strset_free(&st.new_objs);
	strset_free(&st.views);
	free(st.held);
	free(st.enum_labels);
	gk_catalog_free(own_cat);
	return 0;

fail:
	strset_free(&st.new_objs);
	strset_free(&st.views);
	free(st.held);
	free(st.enum_labels);
	gk_catalog_free(own_cat);
	gk_file_result_free(out);
nomem:
	if (err)
	{
		memset(err, 0, sizeof(*err));
		err->kind = GK_ERR_NOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
	}
	return -1;
}

/* Release a file result (its arena); safe on a zeroed result */
void
gk_file_result_free(gk_file_result *result)
{
	if (result->arena)
		arena_free(result->arena);
	memset(result, 0, sizeof(*result));
}
