/*-------------------------------------------------------------------------
 *
 * test_parse.c
 *		cmocka suite for the parser front end: statement positions, parse
 *		errors, DO bodies and EXECUTE strings, gatekeeper directives.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "gk_test.h"

static int
parse(const char *sql, gk_file *f, gk_error *err)
{
	memset(err, 0, sizeof(*err));
	return gk_parse_source("m.sql", sql, strlen(sql), f, err);
}

static void
parse__two_statements__exact_line_col(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("SELECT 1;\n  \n   ALTER TABLE t ADD COLUMN c int;", &f, &e), 0);
	assert_int_equal(f.nstmts, 2);
	assert_int_equal(f.stmts[0].line, 1);
	assert_int_equal(f.stmts[0].col, 1);
	assert_int_equal(f.stmts[1].line, 3);
	assert_int_equal(f.stmts[1].col, 4);
	assert_string_equal(f.stmts[1].text, "ALTER TABLE t ADD COLUMN c int");
	gk_file_free(&f);
}

static void
parse__leading_comments__position_of_first_token(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("/* header /* nested */ */ -- note\n  SELECT 1;", &f, &e), 0);
	assert_int_equal(f.nstmts, 1);
	assert_int_equal(f.stmts[0].line, 2);
	assert_int_equal(f.stmts[0].col, 3);
	gk_file_free(&f);
}

static void
parse__multibyte_text__column_counts_characters(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("SELECT 'é'; SELECT 2;", &f, &e), 0);
	assert_int_equal(f.nstmts, 2);
	assert_int_equal(f.stmts[1].col, 13);
	gk_file_free(&f);
}

static void
parse__syntax_error__reports_line_and_column(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("SELECT 1;\nALTER TABLE t ADD COLUMN;", &f, &e), -1);
	assert_int_equal(e.kind, GK_ERR_PARSE);
	assert_string_equal(e.file, "m.sql");
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 25);
	assert_non_null(strstr(e.message, "syntax error"));
	assert_int_equal(f.nstmts, 0);
}

static void
parse__syntax_error_at_end__reports_parse_error(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("SELECT (1,\n", &f, &e), -1);
	assert_int_equal(e.kind, GK_ERR_PARSE);
	assert_true(e.line >= 1);
}

static void
parse__nul_byte__parse_error(void **state)
{
	gk_file		f;
	gk_error	e;
	const char	sql[] = "SELECT 1;\nSEL\0ECT 2;";

	assert_int_equal(gk_parse_source("m.sql", sql, sizeof(sql) - 1, &f, &e), -1);
	assert_int_equal(e.kind, GK_ERR_PARSE);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 4);
}

static void
parse__empty_file__no_statements(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("  -- nothing here\n", &f, &e), 0);
	assert_int_equal(f.nstmts, 0);
	gk_file_free(&f);
}

static void
parse__do_body__nested_statement_lines(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("SELECT 1;\nDO $$\nBEGIN\n  ALTER TABLE t ADD COLUMN c int;\nEND $$;", &f, &e), 0);
	assert_int_equal(f.nstmts, 3);
	assert_int_equal(f.stmts[2].origin, GK_ORIGIN_DO);
	assert_int_equal(f.stmts[2].parent, 1);
	assert_int_equal(f.stmts[2].line, 4);
	assert_int_equal(f.stmts[2].col, 3);
	assert_int_equal(f.stmts[2].node->node_case, PG_QUERY__NODE__NODE_ALTER_TABLE_STMT);
	gk_file_free(&f);
}

static void
parse__do_execute_format__resolved_statement(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("DO $$ DECLARE t text := 'x'; BEGIN EXECUTE format('DROP TABLE %I', t); END $$;",
						   &f, &e), 0);
	assert_int_equal(f.nstmts, 2);
	assert_int_equal(f.stmts[1].origin, GK_ORIGIN_EXECUTE);
	assert_false(f.stmts[1].opaque);
	assert_int_equal(f.stmts[1].node->node_case, PG_QUERY__NODE__NODE_DROP_STMT);
	gk_file_free(&f);
}

static void
parse__do_execute_concatenation__resolved_statement(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("DO $$ DECLARE t text := 'x'; BEGIN EXECUTE 'TRUNCATE ' || quote_ident(t); END $$;",
						   &f, &e), 0);
	assert_int_equal(f.nstmts, 2);
	assert_int_equal(f.stmts[1].node->node_case, PG_QUERY__NODE__NODE_TRUNCATE_STMT);
	gk_file_free(&f);
}

static void
parse__do_execute_variable__opaque(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("DO $$ DECLARE q text; BEGIN SELECT s INTO q FROM cfg; EXECUTE q; END $$;",
						   &f, &e), 0);
	assert_int_equal(f.nstmts, 3);
	assert_true(f.stmts[2].opaque);
	assert_null(f.stmts[2].node);
	gk_file_free(&f);
}

static void
parse__do_syntax_error__reported_at_do(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("SELECT 1;\n  DO $$ BEGIN ALTER TABLE; END $$;", &f, &e), -1);
	assert_int_equal(e.kind, GK_ERR_PARSE);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 3);
	assert_non_null(strstr(e.message, "in DO block"));
}

static void
parse__do_other_language__not_opened(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("DO LANGUAGE plperl $$ my $x = 1; $$;", &f, &e), 0);
	assert_int_equal(f.nstmts, 1);
	gk_file_free(&f);
}

static void
parse__directive_before_statement__attached_to_it(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("SELECT 1;\n-- gatekeeper:allow truncate staging table only\nTRUNCATE s;", &f, &e), 0);
	assert_int_equal(f.ndirectives, 1);
	assert_string_equal(f.directives[0].rule, "truncate");
	assert_string_equal(f.directives[0].reason, "staging table only");
	assert_int_equal(f.directives[0].stmt, 1);
	assert_int_equal(f.directives[0].line, 2);
	gk_file_free(&f);
}

static void
parse__directive_trailing_same_line__attached_to_previous(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("TRUNCATE s; -- gatekeeper:allow truncate staging only\nSELECT 1;", &f, &e), 0);
	assert_int_equal(f.ndirectives, 1);
	assert_int_equal(f.directives[0].stmt, 0);
	gk_file_free(&f);
}

static void
parse__directive_missing_reason__usage_error_with_position(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("SELECT 1;\n  -- gatekeeper:allow truncate\nTRUNCATE s;", &f, &e), -1);
	assert_int_equal(e.kind, GK_ERR_USAGE);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 3);
	assert_non_null(strstr(e.message, "needs a reason"));
}

static void
parse__directive_unknown_rule__usage_error(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("-- gatekeeper:allow no-such-rule because\nTRUNCATE s;", &f, &e), -1);
	assert_int_equal(e.kind, GK_ERR_USAGE);
	assert_non_null(strstr(e.message, "unknown rule"));
}

static void
parse__directive_unknown_verb__usage_error(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("-- gatekeeper:ignore truncate because\nTRUNCATE s;", &f, &e), -1);
	assert_int_equal(e.kind, GK_ERR_USAGE);
}

static void
parse__directive_inside_string__ignored(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("SELECT '-- gatekeeper:allow truncate';", &f, &e), 0);
	assert_int_equal(f.ndirectives, 0);
	gk_file_free(&f);
}

static void
parse__dbmate_down_section__ignored(void **state)
{
	gk_file		f;
	gk_error	e;

	assert_int_equal(parse("-- migrate:up\nCREATE TABLE a (id bigint);\n-- migrate:down\nDROP TABLE a;\n",
						   &f, &e), 0);
	assert_int_equal(f.nstmts, 1);
	assert_int_equal(f.stmts[0].node->node_case, PG_QUERY__NODE__NODE_CREATE_STMT);
	gk_file_free(&f);
}

static void
parse__missing_file__usage_error(void **state)
{
	gk_file		f;
	gk_error	e;

	memset(&e, 0, sizeof(e));
	assert_int_equal(gk_parse_path("/nonexistent/V1__x.sql", &f, &e), -1);
	assert_int_equal(e.kind, GK_ERR_USAGE);
	assert_non_null(strstr(e.message, "cannot read"));
}

static void
linecol__offsets__lines_and_columns(void **state)
{
	int			line;
	int			col;

	gk_offset_to_linecol("ab\ncd\n\nxé y", 11, &line, &col);
	assert_int_equal(line, 4);
	assert_int_equal(col, 4);
	gk_offset_to_linecol("ab", 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
}

static void
parse__large_file_in_chunks__same_positions(void **state)
{
	gk_file		f;
	gk_error	e;
	char	   *sql;
	size_t		len = 0;
	int			i;

	sql = malloc(200000);
	assert_non_null(sql);
	for (i = 0; i < 8000; i++)
		len += sprintf(sql + len, "SELECT %d;\n", 1000 + i);
	len += sprintf(sql + len, "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC SELECT 1; SELECT 2; END;\n");
	len += sprintf(sql + len, "DO $$\nBEGIN\n  DROP TABLE legacy;\nEND $$;\n");
	assert_true(len > 100000);
	assert_int_equal(gk_parse_source("big.sql", sql, len, &f, &e), 0);
	assert_int_equal(f.nstmts, 8003);
	assert_int_equal(f.stmts[7999].line, 8000);
	assert_int_equal(f.stmts[8000].line, 8001);
	assert_int_equal(f.stmts[8000].node->node_case, PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT);
	assert_int_equal(f.stmts[8001].line, 8003);
	assert_int_equal(f.stmts[8002].line, 8005);
	assert_int_equal(f.stmts[8002].origin, GK_ORIGIN_DO);
	gk_file_free(&f);
	free(sql);
}

static void
parse__large_file_syntax_error__exact_position(void **state)
{
	gk_file		f;
	gk_error	e;
	char	   *sql;
	size_t		len = 0;
	int			i;

	sql = malloc(200000);
	assert_non_null(sql);
	for (i = 0; i < 8000; i++)
		len += sprintf(sql + len, "SELECT %d;\n", 1000 + i);
	len += sprintf(sql + len, "SELECT (1;\n");
	assert_int_equal(gk_parse_source("big.sql", sql, len, &f, &e), -1);
	assert_int_equal(e.kind, GK_ERR_PARSE);
	assert_int_equal(e.line, 8001);
	assert_int_equal(e.col, 10);
	free(sql);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__two_statements__exact_line_col),
		cmocka_unit_test(parse__leading_comments__position_of_first_token),
		cmocka_unit_test(parse__multibyte_text__column_counts_characters),
		cmocka_unit_test(parse__syntax_error__reports_line_and_column),
		cmocka_unit_test(parse__syntax_error_at_end__reports_parse_error),
		cmocka_unit_test(parse__nul_byte__parse_error),
		cmocka_unit_test(parse__empty_file__no_statements),
		cmocka_unit_test(parse__do_body__nested_statement_lines),
		cmocka_unit_test(parse__do_execute_format__resolved_statement),
		cmocka_unit_test(parse__do_execute_concatenation__resolved_statement),
		cmocka_unit_test(parse__do_execute_variable__opaque),
		cmocka_unit_test(parse__do_syntax_error__reported_at_do),
		cmocka_unit_test(parse__do_other_language__not_opened),
		cmocka_unit_test(parse__directive_before_statement__attached_to_it),
		cmocka_unit_test(parse__directive_trailing_same_line__attached_to_previous),
		cmocka_unit_test(parse__directive_missing_reason__usage_error_with_position),
		cmocka_unit_test(parse__directive_unknown_rule__usage_error),
		cmocka_unit_test(parse__directive_unknown_verb__usage_error),
		cmocka_unit_test(parse__directive_inside_string__ignored),
		cmocka_unit_test(parse__dbmate_down_section__ignored),
		cmocka_unit_test(parse__missing_file__usage_error),
		cmocka_unit_test(linecol__offsets__lines_and_columns),
		cmocka_unit_test(parse__large_file_in_chunks__same_positions),
		cmocka_unit_test(parse__large_file_syntax_error__exact_position),
	};

	return cmocka_run_group_tests_name("gatekeeper parse", tests, NULL, NULL);
}
