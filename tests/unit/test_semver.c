/*-------------------------------------------------------------------------
 *
 * test_semver.c
 *		cmocka suite for semver.c: strict semver 2.0.0 parsing and precedence.
 *
 * Checks the precedence chain of semver.org §11, the loose forms Unleash
 * treats as invalid (leading "v", leading zeros, missing parts), and that
 * build metadata never affects precedence.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "semver.h"

static int
cmp(const char *a, const char *b)
{
	Semver		sa;
	Semver		sb;

	assert_true(semver_parse(a, strlen(a), &sa));
	assert_true(semver_parse(b, strlen(b), &sb));
	return semver_compare(&sa, &sb);
}

static bool
valid(const char *s)
{
	Semver		v;

	return semver_parse(s, strlen(s), &v);
}

static void
semver_compare__spec_precedence_chain__strictly_increasing(void **state)
{
	static const char *chain[] = {
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1",
		"1.1.0", "1.10.0", "2.0.0-0", "2.0.0", "10.0.0",
	};
	size_t		i;
	size_t		j;

	for (i = 0; i < sizeof(chain) / sizeof(chain[0]); i++)
		for (j = 0; j < sizeof(chain) / sizeof(chain[0]); j++)
		{
			int			c = cmp(chain[i], chain[j]);

			if (i < j)
				assert_true(c < 0);
			else if (i > j)
				assert_true(c > 0);
			else
				assert_int_equal(c, 0);
		}
}

static void
semver_compare__build_metadata__ignored(void **state)
{
	assert_int_equal(cmp("1.2.3+build.7", "1.2.3"), 0);
	assert_int_equal(cmp("1.2.3-rc.1+a", "1.2.3-rc.1+b"), 0);
}

static void
semver_parse__strict_forms__accepted(void **state)
{
	assert_true(valid("0.0.0"));
	assert_true(valid("1.2.3-alpha-1.0.x-y"));
	assert_true(valid("1.2.3+001"));
	assert_true(valid("999999999999999.0.0"));
}

static void
semver_parse__loose_forms__rejected(void **state)
{
	assert_false(valid("v1.2.3"));
	assert_false(valid("1.2"));
	assert_false(valid("1.2.3."));
	assert_false(valid("01.2.3"));
	assert_false(valid("1.2.3-01"));
	assert_false(valid("1.2.3-"));
	assert_false(valid("1.2.3-a..b"));
	assert_false(valid("1.2.3+"));
	assert_false(valid(" 1.2.3"));
	assert_false(valid("1.2.3 "));
	assert_false(valid("not a semver"));
	assert_false(valid("1234567890123456.0.0"));
	assert_false(valid(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(semver_compare__spec_precedence_chain__strictly_increasing),
		cmocka_unit_test(semver_compare__build_metadata__ignored),
		cmocka_unit_test(semver_parse__strict_forms__accepted),
		cmocka_unit_test(semver_parse__loose_forms__rejected),
	};

	return cmocka_run_group_tests_name("semver", tests, NULL, NULL);
}
