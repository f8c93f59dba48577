/*-------------------------------------------------------------------------
 *
 * parse.c
 *		Turn a migration file into a list of statements with exact
 *		line:column positions, using libpg_query's PostgreSQL 15 grammar.
 *		DO bodies and their EXECUTE strings are opened with the PL/pgSQL
 *		parser so that the classifier sees the statements inside them.
 *
 * Ownership: a gk_file owns every libpg_query tree it points into and
 * every string it holds; gk_file_free releases all of it.  Nothing here
 * prints or exits; errors come back in a gk_error.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gatekeeper.h"

/* How deep DO blocks may nest inside EXECUTE strings before we give up */
#define GK_MAX_DO_DEPTH 4

/* Files larger than this are parsed in chunks of about this size */
#ifndef GK_CHUNK_BYTES
#define GK_CHUNK_BYTES ((size_t) 64 * 1024)
#endif

/* Largest string we build when resolving a dynamic EXECUTE */
#define GK_MAX_DYNAMIC_SQL (1024 * 1024)

/* Forward position cursor: turns byte offsets into line:col cheaply */
typedef struct linecol_cursor
{
	const char *source;
	size_t		offset;
	int			line;
	int			col;
} linecol_cursor;

/* Growable string used to resolve EXECUTE expressions */
typedef struct strbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;
} strbuf;

static int	parse_sql_into(gk_file *file, const char *sql, int base_line,
						   gk_origin origin, int parent, int depth,
						   bool synthetic, gk_error *err);

/*
 * Fill in an error; the message is formatted by the caller.
 */
static void
set_error(gk_error *err, gk_error_kind kind, const char *file, int line,
		  int col, const char *message)
{
	if (err == NULL)
		return;
	err->kind = kind;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	err->col = col;
	snprintf(err->message, sizeof(err->message), "%s", message);
}

/*
 * Move the cursor forward (or restart it) to the given byte offset.
 */
static void
cursor_seek(linecol_cursor *cur, size_t offset)
{
	if (offset < cur->offset)
	{
		cur->offset = 0;
		cur->line = 1;
		cur->col = 1;
	}
	while (cur->offset < offset && cur->source[cur->offset] != '\0')
	{
		unsigned char c = (unsigned char) cur->source[cur->offset];

		if (c == '\n')
		{
			cur->line++;
			cur->col = 1;
		}
		else if ((c & 0xC0) != 0x80)
			cur->col++;
		cur->offset++;
	}
}

/*
 * Convert a byte offset into a 1-based line and character column.
 */
void
gk_offset_to_linecol(const char *source, size_t offset, int *line, int *col)
{
	linecol_cursor cur = {source, 0, 1, 1};

	cursor_seek(&cur, offset);
	*line = cur.line;
	*col = cur.col;
}

/*
 * Skip whitespace and comments starting at offset; returns the offset of
 * the first real token.  Block comments nest, as in PostgreSQL.
 */
static size_t
skip_blank(const char *s, size_t offset, size_t limit)
{
	while (offset < limit)
	{
		char		c = s[offset];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
			c == '\v')
			offset++;
		else if (c == '-' && offset + 1 < limit && s[offset + 1] == '-')
		{
			while (offset < limit && s[offset] != '\n')
				offset++;
		}
		else if (c == '/' && offset + 1 < limit && s[offset + 1] == '*')
		{
			int			depth = 1;

			offset += 2;
			while (offset < limit && depth > 0)
			{
				if (s[offset] == '/' && offset + 1 < limit && s[offset + 1] == '*')
				{
					depth++;
					offset += 2;
				}
				else if (s[offset] == '*' && offset + 1 < limit && s[offset + 1] == '/')
				{
					depth--;
					offset += 2;
				}
				else
					offset++;
			}
		}
		else
			break;
	}
	return offset;
}

/*
 * Copy len bytes into a fresh NUL-terminated string, trimming trailing
 * whitespace.  Returns NULL when out of memory.
 */
static char *
copy_trimmed(const char *s, size_t len)
{
	char	   *out;

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
					   s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

/*
 * Append a statement slot to the file; returns its index or -1.
 */
static int
add_stmt(gk_file *file)
{
	if (file->nstmts == file->stmts_cap)
	{
		int			cap = file->stmts_cap ? file->stmts_cap * 2 : 16;
		gk_stmt    *grown = realloc(file->stmts, sizeof(gk_stmt) * cap);

		if (grown == NULL)
			return -1;
		file->stmts = grown;
		file->stmts_cap = cap;
	}
	memset(&file->stmts[file->nstmts], 0, sizeof(gk_stmt));
	file->stmts[file->nstmts].parent = -1;
	return file->nstmts++;
}

/*
 * Remember a libpg_query tree so gk_file_free can release it.
 */
static bool
keep_tree(gk_file *file, PgQuery__ParseResult *tree)
{
	if (file->ntrees == file->trees_cap)
	{
		int			cap = file->trees_cap ? file->trees_cap * 2 : 4;
		void	  **grown = realloc(file->trees, sizeof(void *) * cap);

		if (grown == NULL)
			return false;
		file->trees = grown;
		file->trees_cap = cap;
	}
	file->trees[file->ntrees++] = tree;
	return true;
}

/*
 * Build the line index of the file (offset of every line start) once; DO
 * blocks need positions of lines inside them.  False when out of memory.
 */
static bool
build_line_index(gk_file *file)
{
	size_t		i;
	int			n = 1;

	if (file->line_starts != NULL)
		return true;
	for (i = 0; i < file->source_len; i++)
		if (file->source[i] == '\n')
			n++;
	file->line_starts = malloc(sizeof(size_t) * n);
	if (file->line_starts == NULL)
		return false;
	file->line_starts[0] = 0;
	file->nlines = 1;
	for (i = 0; i < file->source_len; i++)
		if (file->source[i] == '\n')
			file->line_starts[file->nlines++] = i + 1;
	return true;
}

/*
 * Column of the first non-blank character on the given line (1-based).
 */
static int
first_col_of_line(gk_file *file, int line)
{
	const char *p;
	int			col = 1;

	if (!build_line_index(file) || line < 1 || line > file->nlines)
		return 1;
	p = file->source + file->line_starts[line - 1];
	while (*p == ' ' || *p == '\t')
	{
		p++;
		col++;
	}
	return col;
}

/*
 * Line and column of a byte offset, using the line index.
 */
static void
file_linecol(gk_file *file, size_t offset, int *line, int *col)
{
	int			lo = 0;
	int			hi;
	const char *p;

	if (!build_line_index(file))
	{
		gk_offset_to_linecol(file->source, offset, line, col);
		return;
	}
	hi = file->nlines - 1;
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (file->line_starts[mid] <= offset)
			lo = mid;
		else
			hi = mid - 1;
	}
	*line = lo + 1;
	*col = 1;
	for (p = file->source + file->line_starts[lo]; p < file->source + offset && *p; p++)
		if (((unsigned char) *p & 0xC0) != 0x80)
			(*col)++;
}

/* Append n bytes; on overflow or OOM the buffer is marked failed */
static void
sb_append(strbuf *sb, const char *s, size_t n)
{
	if (sb->failed)
		return;
	if (sb->len + n + 1 > GK_MAX_DYNAMIC_SQL)
	{
		sb->failed = true;
		return;
	}
	if (sb->len + n + 1 > sb->cap)
	{
		size_t		cap = sb->cap ? sb->cap : 256;
		char	   *grown;

		while (cap < sb->len + n + 1)
			cap *= 2;
		grown = realloc(sb->data, cap);
		if (grown == NULL)
		{
			sb->failed = true;
			return;
		}
		sb->data = grown;
		sb->cap = cap;
	}
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

/* Append a NUL-terminated string */
static void
sb_puts(strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

/* Last name component of a qualified function name */
static const char *
func_name(PgQuery__FuncCall *fc)
{
	PgQuery__Node *n;

	if (fc->n_funcname == 0)
		return "";
	n = fc->funcname[fc->n_funcname - 1];
	if (n->node_case == PG_QUERY__NODE__NODE_STRING)
		return n->string->sval;
	return "";
}

/*
 * Expand a format() template, standing in a placeholder identifier for
 * every argument: the statement's shape is what the classifier needs.
 */
static void
expand_format(strbuf *sb, const char *fmt)
{
	const char *p = fmt;

	while (*p)
	{
		if (*p != '%')
		{
			sb_append(sb, p, 1);
			p++;
			continue;
		}
		p++;
		if (*p == '%')
		{
			sb_append(sb, "%", 1);
			p++;
			continue;
		}
		while ((*p >= '0' && *p <= '9') || *p == '$' || *p == '-' || *p == '*')
			p++;
		if (*p == 'L')
			sb_puts(sb, "'gk_dynamic'");
		else if (*p != '\0')
			sb_puts(sb, "gk_dynamic");
		if (*p != '\0')
			p++;
	}
}

/*
 * Rebuild the SQL text an EXECUTE expression evaluates to, as far as it is
 * made of literals, concatenation and format().  Anything computed at run
 * time becomes a placeholder identifier.
 */
static void
resolve_dynamic(strbuf *sb, PgQuery__Node *n, int depth)
{
	if (n == NULL || depth > 64)
	{
		sb->failed = true;
		return;
	}
	switch (n->node_case)
	{
		case PG_QUERY__NODE__NODE_A_CONST:
			if (n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
				sb_puts(sb, n->a_const->sval->sval);
			else
				sb_puts(sb, "0");
			break;
		case PG_QUERY__NODE__NODE_A_EXPR:
			{
				PgQuery__AExpr *e = n->a_expr;

				if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
					e->n_name == 1 &&
					e->name[0]->node_case == PG_QUERY__NODE__NODE_STRING &&
					strcmp(e->name[0]->string->sval, "||") == 0)
				{
					resolve_dynamic(sb, e->lexpr, depth + 1);
					resolve_dynamic(sb, e->rexpr, depth + 1);
				}
				else
					sb->failed = true;
				break;
			}
		case PG_QUERY__NODE__NODE_FUNC_CALL:
			{
				PgQuery__FuncCall *fc = n->func_call;
				const char *name = func_name(fc);

				if (strcmp(name, "format") == 0 && fc->n_args >= 1 &&
					fc->args[0]->node_case == PG_QUERY__NODE__NODE_A_CONST &&
					fc->args[0]->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
					expand_format(sb, fc->args[0]->a_const->sval->sval);
				else if (strcmp(name, "quote_literal") == 0 ||
						 strcmp(name, "quote_nullable") == 0)
					sb_puts(sb, "'gk_dynamic'");
				else
					sb_puts(sb, "gk_dynamic");
				break;
			}
		case PG_QUERY__NODE__NODE_TYPE_CAST:
			resolve_dynamic(sb, n->type_cast->arg, depth + 1);
			break;
		default:
			sb_puts(sb, "gk_dynamic");
			break;
	}
}

/*
 * Add a statement that could not be resolved (dynamic SQL built at run
 * time); the classifier reports it as unverifiable.
 */
static int
add_opaque(gk_file *file, const char *expr, int line, gk_origin origin,
		   int parent, gk_error *err)
{
	int			i = add_stmt(file);
	gk_stmt    *st;

	if (i < 0)
		goto nomem;
	st = &file->stmts[i];
	st->line = line;
	st->col = first_col_of_line(file, line);
	st->origin = origin;
	st->parent = parent;
	st->opaque = true;
	st->text = copy_trimmed(expr, strlen(expr));
	if (st->text == NULL)
		goto nomem;
	return 0;
nomem:
	set_error(err, GK_ERR_NOMEM, file->path, 0, 0, "out of memory");
	return -1;
}

/*
 * Handle one EXECUTE inside a DO block: resolve the string if we can and
 * parse it, otherwise record an opaque statement.
 */
static int
handle_dynexecute(gk_file *file, const char *expr, int line, int parent,
				  int depth, gk_error *err)
{
	PgQueryProtobufParseResult pr;
	PgQuery__ParseResult *tree;
	strbuf		wrap = {0};
	strbuf		sql = {0};
	int			rc = 0;
	bool		resolved = false;

	sb_puts(&wrap, "SELECT ");
	sb_puts(&wrap, expr);
	if (wrap.failed)
	{
		free(wrap.data);
		return add_opaque(file, expr, line, GK_ORIGIN_EXECUTE, parent, err);
	}
	pr = pg_query_parse_protobuf(wrap.data);
	free(wrap.data);
	if (pr.error == NULL)
	{
		tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len,
											  (const uint8_t *) pr.parse_tree.data);
		if (tree != NULL && tree->n_stmts == 1 &&
			tree->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
			tree->stmts[0]->stmt->select_stmt->n_target_list == 1)
		{
			PgQuery__Node *t = tree->stmts[0]->stmt->select_stmt->target_list[0];

			if (t->node_case == PG_QUERY__NODE__NODE_RES_TARGET)
			{
				resolve_dynamic(&sql, t->res_target->val, 0);
				resolved = !sql.failed && sql.data != NULL;
			}
		}
		if (tree != NULL)
			pg_query__parse_result__free_unpacked(tree, NULL);
	}
	pg_query_free_protobuf_parse_result(pr);

	if (resolved)
	{
		gk_error	inner = {0};
		int			before = file->nstmts;

		rc = parse_sql_into(file, sql.data, line, GK_ORIGIN_EXECUTE, parent,
							depth, false, &inner);
		if (rc != 0 && inner.kind == GK_ERR_NOMEM)
		{
			*err = inner;
			free(sql.data);
			return -1;
		}
		if (rc != 0 || file->nstmts == before)
		{
			/* the string does not parse as SQL once filled in */
			rc = add_opaque(file, expr, line, GK_ORIGIN_EXECUTE, parent, err);
		}
	}
	else
		rc = add_opaque(file, expr, line, GK_ORIGIN_EXECUTE, parent, err);
	free(sql.data);
	return rc;
}

/* JSON helpers: the query text of a PLpgSQL_expr member, or NULL */
static const char *
plpgsql_expr_query(json_t *holder, const char *member)
{
	json_t	   *e = json_object_get(holder, member);

	if (e == NULL)
		return NULL;
	e = json_object_get(e, "PLpgSQL_expr");
	if (e == NULL)
		return NULL;
	return json_string_value(json_object_get(e, "query"));
}

/* Line number of a PL/pgSQL statement (1 when absent or absurd) */
static int
plpgsql_lineno(json_t *holder)
{
	json_int_t	n = json_integer_value(json_object_get(holder, "lineno"));

	return n > 0 && n < 10000000 ? (int) n : 1;
}

/*
 * Walk the PL/pgSQL JSON tree in source order, adding every SQL statement,
 * PERFORM, assignment, EXECUTE and COMMIT/ROLLBACK found.
 */
static int
walk_plpgsql(gk_file *file, json_t *v, int body_line, int parent, int depth,
			 gk_error *err)
{
	if (json_is_array(v))
	{
		size_t		i;
		json_t	   *item;

		json_array_foreach(v, i, item)
		{
			if (walk_plpgsql(file, item, body_line, parent, depth, err) != 0)
				return -1;
		}
		return 0;
	}
	if (json_is_object(v))
	{
		const char *key;
		json_t	   *val;

		json_object_foreach(v, key, val)
		{
			int			line = body_line;
			const char *q = NULL;

			if (json_is_object(val))
				line = body_line + plpgsql_lineno(val) - 1;
			if (strcmp(key, "PLpgSQL_stmt_execsql") == 0)
			{
				q = plpgsql_expr_query(val, "sqlstmt");
				if (q && parse_sql_into(file, q, line, GK_ORIGIN_DO, parent,
										depth, false, err) != 0)
					return -1;
				continue;
			}
			if (strcmp(key, "PLpgSQL_stmt_perform") == 0)
			{
				q = plpgsql_expr_query(val, "expr");
				if (q && parse_sql_into(file, q, line, GK_ORIGIN_DO, parent,
										depth, true, err) != 0)
					return -1;
				continue;
			}
			if (strcmp(key, "PLpgSQL_stmt_assign") == 0)
			{
				q = plpgsql_expr_query(val, "expr");
				if (q && strstr(q, ":=") != NULL)
				{
					strbuf		sb = {0};
					int			rc;

					sb_puts(&sb, "SELECT ");
					sb_puts(&sb, strstr(q, ":=") + 2);
					rc = sb.failed ? 0 :
						parse_sql_into(file, sb.data, line, GK_ORIGIN_DO,
									   parent, depth, true, err);
					free(sb.data);
					if (rc != 0)
						return -1;
				}
				continue;
			}
			if (strcmp(key, "PLpgSQL_stmt_dynexecute") == 0)
			{
				q = plpgsql_expr_query(val, "query");
				if (q && handle_dynexecute(file, q, line, parent, depth,
										   err) != 0)
					return -1;
				continue;
			}
			if (strcmp(key, "PLpgSQL_stmt_commit") == 0 ||
				strcmp(key, "PLpgSQL_stmt_rollback") == 0)
			{
				int			i = add_stmt(file);

				if (i < 0)
				{
					set_error(err, GK_ERR_NOMEM, file->path, 0, 0, "out of memory");
					return -1;
				}
				file->stmts[i].line = line;
				file->stmts[i].col = first_col_of_line(file, line);
				file->stmts[i].origin = GK_ORIGIN_DO;
				file->stmts[i].parent = parent;
				file->stmts[i].plpgsql_commit = true;
				file->stmts[i].text = copy_trimmed(key + 13, strlen(key + 13));
				if (file->stmts[i].text == NULL)
				{
					set_error(err, GK_ERR_NOMEM, file->path, 0, 0, "out of memory");
					return -1;
				}
				continue;
			}
			if (walk_plpgsql(file, val, body_line, parent, depth, err) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * Open a DO block: wrap its body in a throw-away function definition for
 * the PL/pgSQL parser and add the statements it contains.
 */
static int
parse_do_body(gk_file *file, PgQuery__DoStmt *d, int parent, int depth,
			  gk_error *err)
{
	const char *body = NULL;
	int			body_loc = -1;
	size_t		i;
	char		tag[32];
	int			tagn = 0;
	strbuf		sb = {0};
	PgQueryPlpgsqlParseResult pr;
	json_t	   *root;
	json_error_t jerr;
	int			body_line;
	int			body_col;
	int			rc;

	for (i = 0; i < d->n_args; i++)
	{
		PgQuery__Node *a = d->args[i];
		PgQuery__DefElem *de;

		if (a->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			continue;
		de = a->def_elem;
		if (strcmp(de->defname, "language") == 0 && de->arg &&
			de->arg->node_case == PG_QUERY__NODE__NODE_STRING &&
			strcmp(de->arg->string->sval, "plpgsql") != 0)
			return 0;			/* not PL/pgSQL: nothing we can open */
		if (strcmp(de->defname, "as") == 0 && de->arg &&
			de->arg->node_case == PG_QUERY__NODE__NODE_STRING)
		{
			body = de->arg->string->sval;
			body_loc = de->location;
		}
	}
	if (body == NULL)
		return 0;

	if (depth == 0 && body_loc >= 0 && file->top_base + body_loc < file->source_len)
		file_linecol(file, file->top_base + body_loc, &body_line, &body_col);
	else
	{
		body_line = file->stmts[parent].line;
		body_col = file->stmts[parent].col;
	}

	/* pick a dollar-quote tag that does not occur in the body */
	snprintf(tag, sizeof(tag), "$gk$");
	while (strstr(body, tag) != NULL)
		snprintf(tag, sizeof(tag), "$gk%d$", ++tagn);
	sb_puts(&sb, "CREATE FUNCTION gk_do_block() RETURNS void LANGUAGE plpgsql AS ");
	sb_puts(&sb, tag);
	sb_puts(&sb, body);
	sb_puts(&sb, tag);
	if (sb.failed)
	{
		free(sb.data);
		set_error(err, GK_ERR_PARSE, file->path, body_line, body_col,
				  "DO block is too large to analyse");
		return -1;
	}
	pr = pg_query_parse_plpgsql(sb.data);
	free(sb.data);
	if (pr.error != NULL)
	{
		char		msg[512];

		snprintf(msg, sizeof(msg), "in DO block: %s", pr.error->message);
		set_error(err, GK_ERR_PARSE, file->path, file->stmts[parent].line,
				  file->stmts[parent].col, msg);
		pg_query_free_plpgsql_parse_result(pr);
		return -1;
	}
	root = json_loads(pr.plpgsql_funcs, 0, &jerr);
	pg_query_free_plpgsql_parse_result(pr);
	if (root == NULL)
	{
		set_error(err, GK_ERR_PARSE, file->path, file->stmts[parent].line,
				  file->stmts[parent].col,
				  "in DO block: the PL/pgSQL parser returned unreadable output");
		return -1;
	}
	rc = walk_plpgsql(file, root, body_line, parent, depth + 1, err);
	json_decref(root);
	return rc;
}

/*
 * Convert a libpg_query error position (1-based characters, 0 = unknown)
 * into a byte offset into sql.
 */
static size_t
cursorpos_to_offset(const char *sql, int cursorpos)
{
	size_t		off = 0;
	int			chars = 0;

	if (cursorpos <= 0)
		return strlen(sql);
	while (sql[off] != '\0')
	{
		if (((unsigned char) sql[off] & 0xC0) != 0x80)
		{
			chars++;
			if (chars == cursorpos)
				return off;
		}
		off++;
	}
	return off;
}

/*
 * Parse sql and append its statements to file.  For top-level text
 * (origin GK_ORIGIN_TOP) positions come from the tree; nested statements
 * are placed at base_line.  synthetic marks SQL we built ourselves
 * (PERFORM, assignments): a parse failure there is not the user's error.
 */
static int
parse_sql_into(gk_file *file, const char *sql, int base_line,
			   gk_origin origin, int parent, int depth, bool synthetic,
			   gk_error *err)
{
	PgQueryProtobufParseResult pr;
	PgQuery__ParseResult *tree;
	size_t		sql_len = strlen(sql);
	size_t		i;

	pr = pg_query_parse_protobuf(sql);
	if (pr.error != NULL)
	{
		int			line;
		int			col;
		char		msg[512];

		if (synthetic)
		{
			pg_query_free_protobuf_parse_result(pr);
			return 0;
		}
		if (origin == GK_ORIGIN_TOP)
			file_linecol(file, file->top_base + cursorpos_to_offset(sql, pr.error->cursorpos),
						 &line, &col);
		else
		{
			line = base_line;
			col = first_col_of_line(file, base_line);
		}
		snprintf(msg, sizeof(msg), "%s%s", origin == GK_ORIGIN_TOP ? "" : "in DO block: ",
				 pr.error->message);
		set_error(err, GK_ERR_PARSE, file->path, line, col, msg);
		pg_query_free_protobuf_parse_result(pr);
		return -1;
	}
	tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len,
										  (const uint8_t *) pr.parse_tree.data);
	pg_query_free_protobuf_parse_result(pr);
	if (tree == NULL || !keep_tree(file, tree))
	{
		if (tree != NULL)
			pg_query__parse_result__free_unpacked(tree, NULL);
		set_error(err, GK_ERR_NOMEM, file->path, 0, 0, "out of memory");
		return -1;
	}

	for (i = 0; i < tree->n_stmts; i++)
	{
		PgQuery__RawStmt *raw = tree->stmts[i];
		size_t		start = raw->stmt_location > 0 ? (size_t) raw->stmt_location : 0;
		size_t		end = raw->stmt_len > 0 ? start + (size_t) raw->stmt_len : sql_len;
		int			idx;
		gk_stmt    *st;

		if (end > sql_len)
			end = sql_len;
		if (start > end)
			start = end;
		start = skip_blank(sql, start, end);
		idx = add_stmt(file);
		if (idx < 0)
			goto nomem;
		st = &file->stmts[idx];
		st->node = raw->stmt;
		st->origin = origin;
		st->parent = parent;
		if (origin == GK_ORIGIN_TOP)
		{
			st->offset = file->top_base + start;
			file_linecol(file, st->offset, &st->line, &st->col);
		}
		else
		{
			st->line = base_line;
			st->col = first_col_of_line(file, base_line);
		}
		st->text = copy_trimmed(sql + start, end - start);
		if (st->text == NULL)
			goto nomem;
		if (raw->stmt != NULL &&
			raw->stmt->node_case == PG_QUERY__NODE__NODE_DO_STMT &&
			depth < GK_MAX_DO_DEPTH)
		{
			if (parse_do_body(file, raw->stmt->do_stmt, idx, depth, err) != 0)
				return -1;
		}
	}
	return 0;

nomem:
	set_error(err, GK_ERR_NOMEM, file->path, 0, 0, "out of memory");
	return -1;
}

/*
 * Forget the statements and trees parsed so far (before a retry).
 */
static void
reset_parsed(gk_file *file)
{
	int			i;

	for (i = 0; i < file->nstmts; i++)
		free((char *) file->stmts[i].text);
	file->nstmts = 0;
	for (i = 0; i < file->ntrees; i++)
		pg_query__parse_result__free_unpacked(file->trees[i], NULL);
	file->ntrees = 0;
	file->top_base = 0;
}

/*
 * Parse a large file in chunks of whole statements, so that libpg_query's
 * working memory stays proportional to a chunk rather than to the file.
 * Boundaries come from the scanner; should one fall inside a statement
 * the scanner cannot delimit (a BEGIN ATOMIC body), the chunk fails to
 * parse and the file is parsed again in one piece, which also gives the
 * exact error for a genuinely broken file.
 */
static int
parse_top_chunked(gk_file *file, gk_error *err)
{
	PgQuerySplitResult sr = pg_query_split_with_scanner(file->source);
	int			first = 0;
	int			rc = 0;

	if (sr.error != NULL || sr.n_stmts < 2)
	{
		pg_query_free_split_result(sr);
		file->top_base = 0;
		return parse_sql_into(file, file->source, 1, GK_ORIGIN_TOP, -1, 0, false, err);
	}
	while (first < sr.n_stmts && rc == 0)
	{
		size_t		start = sr.stmts[first]->stmt_location;
		int			next = first + 1;
		size_t		end;
		char	   *chunk;

		while (next < sr.n_stmts &&
			   (size_t) sr.stmts[next]->stmt_location - start < GK_CHUNK_BYTES)
			next++;
		end = next < sr.n_stmts ? (size_t) sr.stmts[next]->stmt_location : file->source_len;
		if (start > end || end > file->source_len)
		{
			rc = -1;
			err->kind = GK_ERR_PARSE;
			break;
		}
		chunk = malloc(end - start + 1);
		if (chunk == NULL)
		{
			set_error(err, GK_ERR_NOMEM, file->path, 0, 0, "out of memory");
			pg_query_free_split_result(sr);
			return -1;
		}
		memcpy(chunk, file->source + start, end - start);
		chunk[end - start] = '\0';
		file->top_base = start;
		rc = parse_sql_into(file, chunk, 1, GK_ORIGIN_TOP, -1, 0, false, err);
		free(chunk);
		first = next;
	}
	pg_query_free_split_result(sr);
	file->top_base = 0;
	if (rc != 0 && err->kind == GK_ERR_PARSE)
	{
		reset_parsed(file);
		memset(err, 0, sizeof(*err));
		return parse_sql_into(file, file->source, 1, GK_ORIGIN_TOP, -1, 0, false, err);
	}
	return rc;
}

/*
 * Find the top-level statement a directive at offset covers: the statement
 * that ends on the same line before the comment, otherwise the next one.
 */
static int
directive_target(const gk_file *file, size_t offset, int line)
{
	int			i;
	int			prev = -1;

	for (i = 0; i < file->nstmts; i++)
	{
		const gk_stmt *st = &file->stmts[i];

		if (st->origin != GK_ORIGIN_TOP)
			continue;
		if (st->offset > offset)
		{
			if (prev >= 0)
			{
				const gk_stmt *p = &file->stmts[prev];
				int			end_line = p->line;
				const char *t;

				for (t = p->text; *t; t++)
					if (*t == '\n')
						end_line++;
				if (end_line == line)
					return prev;
			}
			return i;
		}
		prev = i;
	}
	if (prev >= 0)
	{
		const gk_stmt *p = &file->stmts[prev];
		int			end_line = p->line;
		const char *t;

		for (t = p->text; *t; t++)
			if (*t == '\n')
				end_line++;
		if (end_line == line)
			return prev;
	}
	return -1;
}

/*
 * Parse one "-- gatekeeper:..." comment into a directive.
 */
static int
parse_directive(gk_file *file, const char *comment, size_t len, size_t offset,
				gk_error *err)
{
	char	   *text = copy_trimmed(comment, len);
	char	   *p;
	char	   *rule;
	char	   *reason;
	int			line;
	int			col;
	char		msg[512];
	gk_directive *grown;
	gk_directive *d;

	if (text == NULL)
		goto nomem;
	file_linecol(file, offset, &line, &col);
	p = text + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "gatekeeper:", 11) != 0)
	{
		free(text);
		return 0;
	}
	p += 11;
	if (strncmp(p, "allow", 5) != 0 || (p[5] != ' ' && p[5] != '\t' && p[5] != '\0'))
	{
		snprintf(msg, sizeof(msg),
				 "unknown gatekeeper directive \"%.40s\" (expected \"gatekeeper:allow RULE reason\")", p);
		set_error(err, GK_ERR_USAGE, file->path, line, col, msg);
		free(text);
		return -1;
	}
	p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	rule = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	reason = p;
	if (*rule == '\0')
	{
		set_error(err, GK_ERR_USAGE, file->path, line, col,
				  "gatekeeper:allow needs a rule id and a reason");
		free(text);
		return -1;
	}
	if (gk_rule_lookup(rule) == NULL)
	{
		snprintf(msg, sizeof(msg), "gatekeeper:allow names unknown rule \"%.100s\"", rule);
		set_error(err, GK_ERR_USAGE, file->path, line, col, msg);
		free(text);
		return -1;
	}
	if (*reason == '\0')
	{
		snprintf(msg, sizeof(msg), "gatekeeper:allow %.100s needs a reason", rule);
		set_error(err, GK_ERR_USAGE, file->path, line, col, msg);
		free(text);
		return -1;
	}
	grown = realloc(file->directives, sizeof(gk_directive) * (file->ndirectives + 1));
	if (grown == NULL)
	{
		free(text);
		goto nomem;
	}
	file->directives = grown;
	d = &file->directives[file->ndirectives];
	d->rule = strdup(rule);
	d->reason = strdup(reason);
	free(text);
	if (d->rule == NULL || d->reason == NULL)
	{
		free(d->rule);
		free(d->reason);
		goto nomem;
	}
	d->line = line;
	d->col = col;
	d->stmt = directive_target(file, offset, line);
	file->ndirectives++;
	if (d->stmt < 0)
	{
		set_error(err, GK_ERR_USAGE, file->path, line, col,
				  "gatekeeper:allow is not attached to any statement");
		return -1;
	}
	return 0;

nomem:
	set_error(err, GK_ERR_NOMEM, file->path, 0, 0, "out of memory");
	return -1;
}

/*
 * Find gatekeeper directives in SQL comments.  The scanner tells comments
 * from string literals, so a directive quoted in a string is ignored.
 */
static int
parse_directives(gk_file *file, gk_error *err)
{
	PgQueryScanResult sr;
	PgQuery__ScanResult *scan;
	size_t		i;
	int			rc = 0;

	if (strstr(file->source, "gatekeeper:") == NULL)
		return 0;
	sr = pg_query_scan(file->source);
	if (sr.error != NULL)
	{
		pg_query_free_scan_result(sr);
		return 0;				/* the parser already accepted the text */
	}
	scan = pg_query__scan_result__unpack(NULL, sr.pbuf.len, (const uint8_t *) sr.pbuf.data);
	pg_query_free_scan_result(sr);
	if (scan == NULL)
	{
		set_error(err, GK_ERR_NOMEM, file->path, 0, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < scan->n_tokens && rc == 0; i++)
	{
		PgQuery__ScanToken *t = scan->tokens[i];

		if (t->token != PG_QUERY__TOKEN__SQL_COMMENT)
			continue;
		if (t->start < 0 || t->end <= t->start || (size_t) t->end > file->source_len)
			continue;
		rc = parse_directive(file, file->source + t->start, t->end - t->start,
							 t->start, err);
	}
	pg_query__scan_result__free_unpacked(scan, NULL);
	return rc;
}

/*
 * Parse a migration held in memory.  On failure the file is left empty
 * (already freed) and err says why; GK_ERR_PARSE carries file:line:col.
 */
int
gk_parse_source(const char *path, const char *source, size_t len,
				gk_file *out, gk_error *err)
{
	const char *nul;
	char	   *down;

	memset(out, 0, sizeof(*out));
	out->path = strdup(path);
	out->source = malloc(len + 1);
	if (out->path == NULL || out->source == NULL)
	{
		gk_file_free(out);
		set_error(err, GK_ERR_NOMEM, path, 0, 0, "out of memory");
		return -1;
	}
	memcpy(out->source, source, len);
	out->source[len] = '\0';
	out->source_len = len;

	nul = memchr(source, '\0', len);
	if (nul != NULL)
	{
		int			line;
		int			col;

		gk_offset_to_linecol(out->source, nul - source, &line, &col);
		set_error(err, GK_ERR_PARSE, path, line, col, "file contains a NUL byte");
		gk_file_free(out);
		return -1;
	}

	/* dbmate keeps the rollback in the same file: only "up" is pending */
	down = strstr(out->source, "-- migrate:down");
	if (down != NULL && (down == out->source || down[-1] == '\n'))
	{
		*down = '\0';
		out->source_len = down - out->source;
	}

	if ((out->source_len > GK_CHUNK_BYTES ? parse_top_chunked(out, err) :
		 parse_sql_into(out, out->source, 1, GK_ORIGIN_TOP, -1, 0, false, err)) != 0 ||
		parse_directives(out, err) != 0)
	{
		gk_file_free(out);
		return -1;
	}
	return 0;
}

/*
 * Read and parse a migration file.
 */
int
gk_parse_path(const char *path, gk_file *out, gk_error *err)
{
	FILE	   *f;
	char	   *buf = NULL;
	size_t		len = 0;
	size_t		cap = 0;
	size_t		n;
	int			rc;
	char		msg[512];

	memset(out, 0, sizeof(*out));
	f = fopen(path, "rb");
	if (f == NULL)
	{
		snprintf(msg, sizeof(msg), "cannot read \"%s\": %s", path, strerror(errno));
		set_error(err, GK_ERR_USAGE, NULL, 0, 0, msg);
		return -1;
	}
	for (;;)
	{
		if (len + 65536 > cap)
		{
			char	   *grown;

			cap = cap ? cap * 2 : 131072;
			grown = realloc(buf, cap);
			if (grown == NULL)
			{
				free(buf);
				fclose(f);
				set_error(err, GK_ERR_NOMEM, path, 0, 0, "out of memory");
				return -1;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
	{
		snprintf(msg, sizeof(msg), "cannot read \"%s\": %s", path, strerror(errno));
		set_error(err, GK_ERR_USAGE, NULL, 0, 0, msg);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	rc = gk_parse_source(path, buf ? buf : "", len, out, err);
	free(buf);
	return rc;
}

/*
 * Free the libpg_query trees once the file has been classified: results
 * keep only positions and text, so a run over many files holds one tree at
 * a time.  Statement nodes are NULL afterwards.
 */
void
gk_file_drop_trees(gk_file *file)
{
	int			i;

	for (i = 0; i < file->nstmts; i++)
		file->stmts[i].node = NULL;
	for (i = 0; i < file->ntrees; i++)
		pg_query__parse_result__free_unpacked(file->trees[i], NULL);
	free(file->trees);
	file->trees = NULL;
	file->ntrees = 0;
	file->trees_cap = 0;
}

/*
 * Release everything a gk_file owns.  Safe on a zeroed or freed file.
 */
void
gk_file_free(gk_file *file)
{
	int			i;

	for (i = 0; i < file->nstmts; i++)
		free((char *) file->stmts[i].text);
	free(file->stmts);
	for (i = 0; i < file->ntrees; i++)
		pg_query__parse_result__free_unpacked(file->trees[i], NULL);
	free(file->trees);
	for (i = 0; i < file->ndirectives; i++)
	{
		free(file->directives[i].rule);
		free(file->directives[i].reason);
	}
	free(file->directives);
	free(file->line_starts);
	free(file->path);
	free(file->source);
	memset(file, 0, sizeof(*file));
}
