/*-------------------------------------------------------------------------
 *
 * test_report.c
 *		cmocka suite for the report renderers: JSON and SARIF structure,
 *		GitHub annotation escaping, text summary, allowed findings.
 *		Byte-for-byte golden comparisons live in golden.sh.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include <jansson.h>

#include "gk_test.h"

#define LT_SAMPLE "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN bio text;\n"

static const char *sample =
"SET lock_timeout = '2s';\n"
"CREATE INDEX users_email ON users (email);\n"
"-- gatekeeper:allow delete-rows removing the fixture row\n"
"DELETE FROM users WHERE id = 0;\n"
"CREATE TABLE n (id int);\n";

static char *
render(gk_case *c, gk_format fmt)
{
	gk_error	e;
	char	   *s = gk_report_render(fmt, &c->result, 1, &c->opts, &e);

	assert_non_null(s);
	return s;
}

static void
report__json__parses_with_verdicts_and_locks(void **state)
{
	gk_case		c;
	char	   *s;
	json_t	   *root;
	json_error_t je;
	json_t	   *stmts;
	json_t	   *st1;

	gk_case_run(&c, sample);
	s = render(&c, GK_FORMAT_JSON);
	root = json_loads(s, 0, &je);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "verdict")), "risky");
	stmts = json_object_get(json_array_get(json_object_get(root, "files"), 0), "statements");
	assert_int_equal(json_array_size(stmts), 4);
	st1 = json_array_get(stmts, 1);
	assert_string_equal(json_string_value(json_object_get(st1, "verdict")), "risky");
	assert_int_equal(json_integer_value(json_object_get(st1, "line")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(st1, "locks"), 0), "mode")),
						"SHARE");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(st1, "findings"), 0), "rule")),
						"create-index-not-concurrently");
	json_decref(root);
	free(s);
	gk_case_free(&c);
}

static void
report__json_file__compact_single_file(void **state)
{
	gk_case		c;
	char	   *s;
	json_t	   *root;
	json_error_t je;

	gk_case_run(&c, sample);
	s = gk_report_json_file(&c.result, &c.opts);
	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	root = json_loads(s, 0, &je);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "files")), 1);
	json_decref(root);
	free(s);
	gk_case_free(&c);
}

static void
report__sarif__version_rules_and_suppression(void **state)
{
	gk_case		c;
	char	   *s;
	json_t	   *root;
	json_error_t je;
	json_t	   *run;
	json_t	   *results;
	json_t	   *rules;
	size_t		i;
	bool		saw_suppression = false;

	gk_case_run(&c, sample);
	s = render(&c, GK_FORMAT_SARIF);
	root = json_loads(s, 0, &je);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "version")), "2.1.0");
	run = json_array_get(json_object_get(root, "runs"), 0);
	rules = json_object_get(json_object_get(json_object_get(run, "tool"), "driver"), "rules");
	assert_int_equal(json_array_size(rules), gk_rule_count());
	results = json_object_get(run, "results");
	assert_true(json_array_size(results) >= 2);
	for (i = 0; i < json_array_size(results); i++)
	{
		json_t	   *r = json_array_get(results, i);
		json_int_t	idx = json_integer_value(json_object_get(r, "ruleIndex"));

		assert_string_equal(json_string_value(json_object_get(r, "ruleId")),
							json_string_value(json_object_get(json_array_get(rules, idx), "id")));
		if (json_object_get(r, "suppressions"))
		{
			saw_suppression = true;
			assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "suppressions"), 0),
																  "justification")),
								"removing the fixture row");
		}
	}
	assert_true(saw_suppression);
	json_decref(root);
	free(s);
	gk_case_free(&c);
}

static void
report__github__escapes_properties_and_newlines(void **state)
{
	gk_case		c;
	gk_error	e;
	char	   *s;

	memset(&c, 0, sizeof(c));
	gk_options_init(&c.opts);
	c.catalog = gk_catalog_new();
	assert_int_equal(gk_parse_source("db/a,b:c.sql", "TRUNCATE t;", 11, &c.file, &e), 0);
	assert_int_equal(gk_classify_file(&c.file, &c.opts, c.catalog, &c.result, &e), 0);
	s = render(&c, GK_FORMAT_GITHUB);
	assert_non_null(strstr(s, "::error file=db/a%2Cb%3Ac.sql,line=1,col=1,title=gatekeeper truncate::"));
	assert_non_null(strstr(s, "%0ASafe alternative: "));
	free(s);
	gk_case_free(&c);
}

static void
report__github__allowed_finding_is_notice(void **state)
{
	gk_case		c;
	char	   *s;

	gk_case_run(&c, sample);
	s = render(&c, GK_FORMAT_GITHUB);
	assert_non_null(strstr(s, "::notice file=test.sql,line=4,col=1,title=gatekeeper delete-rows (allowed)::"));
	assert_non_null(strstr(s, "allowed: removing the fixture row"));
	free(s);
	gk_case_free(&c);
}

static void
report__text__verdict_lines_and_summary(void **state)
{
	gk_case		c;
	char	   *s;

	gk_case_run(&c, sample);
	s = render(&c, GK_FORMAT_TEXT);
	assert_non_null(strstr(s, "test.sql:2:1: risky: CREATE INDEX users_email ON users (email)\n"));
	assert_non_null(strstr(s, "    lock: SHARE on users; scans table\n"));
	assert_non_null(strstr(s, "        reason: removing the fixture row\n"));
	assert_non_null(strstr(s, "gatekeeper: 1 file checked, 0 safe, 1 risky\n"));
	free(s);
	gk_case_free(&c);
}

static void
report__invalid_utf8__json_still_valid(void **state)
{
	gk_case		c;
	char	   *s;
	json_t	   *root;
	json_error_t je;

	gk_case_run(&c, "SELECT '\xff\xfe';");
	s = render(&c, GK_FORMAT_JSON);
	root = json_loads(s, 0, &je);
	assert_non_null(root);
	json_decref(root);
	free(s);
	gk_case_free(&c);
}

static void
report__format_names__parsed(void **state)
{
	gk_format	f;

	assert_true(gk_format_parse("sarif", &f));
	assert_int_equal(f, GK_FORMAT_SARIF);
	assert_true(gk_format_parse("github", &f));
	assert_int_equal(f, GK_FORMAT_GITHUB);
	assert_false(gk_format_parse("xml", &f));
}

static void
rules__catalogue__ids_unique_and_documented(void **state)
{
	int			i;
	int			j;

	assert_true(gk_rule_count() > 30);
	for (i = 0; i < gk_rule_count(); i++)
	{
		const gk_rule *r = gk_rule_at(i);

		assert_true(strlen(r->summary) > 10);
		assert_true(strlen(r->alternative) > 3);
		assert_ptr_equal(gk_rule_lookup(r->id), r);
		assert_int_equal(gk_rule_index(r), i);
		for (j = i + 1; j < gk_rule_count(); j++)
			assert_string_not_equal(r->id, gk_rule_at(j)->id);
	}
	assert_null(gk_rule_lookup("no-such-rule"));
	assert_true(gk_lock_blocks_writes(GK_LOCK_SHARE));
	assert_false(gk_lock_blocks_writes(GK_LOCK_SHARE_UPDATE_EXCLUSIVE));
}

static void
report__json_writer__same_bytes_as_jansson(void **state)
{
	gk_case		c;
	char	   *s;
	char	   *again;
	json_t	   *root;
	json_error_t je;

	gk_case_run(&c, "SELECT 'tab\there \\ \"q\" \x01 caf\xc3\xa9';\n"
				"DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$;\n" LT_SAMPLE);
	s = gk_report_json_file(&c.result, &c.opts);
	assert_non_null(s);
	root = json_loads(s, 0, &je);
	assert_non_null(root);
	again = json_dumps(root, JSON_COMPACT);
	assert_string_equal(s, again);
	free(again);
	json_decref(root);
	free(s);
	gk_case_free(&c);
}

static void
report__github_error__annotation_with_position(void **state)
{
	gk_error	e;
	char	   *s;

	memset(&e, 0, sizeof(e));
	e.kind = GK_ERR_PARSE;
	snprintf(e.file, sizeof(e.file), "db/V2,x.sql");
	e.line = 3;
	e.col = 7;
	snprintf(e.message, sizeof(e.message), "syntax error at or near \"100%%\"");
	s = gk_report_github_error(&e);
	assert_non_null(s);
	assert_string_equal(s, "::error file=db/V2%2Cx.sql,line=3,col=7,title=gatekeeper unparsable SQL::"
						"syntax error at or near \"100%25\"\n");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(report__json__parses_with_verdicts_and_locks),
		cmocka_unit_test(report__json_file__compact_single_file),
		cmocka_unit_test(report__sarif__version_rules_and_suppression),
		cmocka_unit_test(report__github__escapes_properties_and_newlines),
		cmocka_unit_test(report__github__allowed_finding_is_notice),
		cmocka_unit_test(report__text__verdict_lines_and_summary),
		cmocka_unit_test(report__invalid_utf8__json_still_valid),
		cmocka_unit_test(report__format_names__parsed),
		cmocka_unit_test(report__json_writer__same_bytes_as_jansson),
		cmocka_unit_test(report__github_error__annotation_with_position),
		cmocka_unit_test(rules__catalogue__ids_unique_and_documented),
	};

	return cmocka_run_group_tests_name("gatekeeper report", tests, NULL, NULL);
}
