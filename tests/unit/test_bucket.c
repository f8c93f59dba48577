/*-------------------------------------------------------------------------
 *
 * test_bucket.c
 *		cmocka suite for bucket.c: MurmurHash3 x86_32 and Unleash buckets.
 *
 * Checks the published reference values, that the streaming hash equals
 * the one-shot hash at every split point (the cache relies on resuming a
 * precomputed "<groupId>:" prefix), and every vector of
 * ../shared/conformance/unleash/bucket-vectors.json (as a TSV made by jq).
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bucket.h"

static const char *vectors_path = NULL;

static void
murmur3__reference_values__match(void **state)
{
	assert_int_equal(murmur3_32("", 0, 0), 0);
	assert_int_equal(murmur3_32("", 0, 1), 0x514E28B7);
	assert_int_equal(murmur3_32("hello", 5, 0), 613153351);
	assert_int_equal(murmur3_32("The quick brown fox jumps over the lazy dog", 43, 0),
					 0x2e4ff723);
}

static void
murmur3__streamed_at_every_split__equals_one_shot(void **state)
{
	const char *input = "feature/oauth-login:TASK-123:user-4711";
	size_t		len = strlen(input);
	uint32_t	expected = murmur3_32(input, len, BUCKET_VARIANT_SEED);
	size_t		a,
				b;

	for (a = 0; a <= len; a++)
		for (b = a; b <= len; b++)
		{
			Murmur3State s;

			murmur3_init(&s, BUCKET_VARIANT_SEED);
			murmur3_update(&s, input, a);
			murmur3_update(&s, input + a, b - a);
			murmur3_update(&s, input + b, len - b);
			assert_int_equal(murmur3_final(&s), expected);
		}
}

static void
murmur3__forked_prefix_state__is_reusable(void **state)
{
	Murmur3State prefix;
	Murmur3State fork1;
	Murmur3State fork2;

	murmur3_init(&prefix, 0);
	murmur3_update(&prefix, "TASK-123:", 9);
	fork1 = prefix;
	fork2 = prefix;
	murmur3_update(&fork1, "1", 1);
	murmur3_update(&fork2, "2", 1);
	assert_int_equal(murmur3_final(&fork1), murmur3_32("TASK-123:1", 10, 0));
	assert_int_equal(murmur3_final(&fork2), murmur3_32("TASK-123:2", 10, 0));
	/* final() must not consume the state */
	assert_int_equal(murmur3_final(&fork2), murmur3_32("TASK-123:2", 10, 0));
}

static void
bucket__documented_examples__match_unleash(void **state)
{
	/* user 2 is inside a 10 % rollout of TASK-123, user 1 is not */
	assert_int_equal(bucket_for("TASK-123", 8, "2", 1), 5);
	assert_true(bucket_for("TASK-123", 8, "1", 1) > 10);
	assert_int_equal(bucket_normalize(0, 0), 0);
	assert_int_equal(bucket_normalize(99, 100), 100);
	assert_int_equal(bucket_normalize(100, 100), 1);
}

static void
bucket__range__is_one_to_hundred(void **state)
{
	char		id[16];
	int			counts[101] = {0};
	int			i;

	for (i = 0; i < 100000; i++)
	{
		uint32_t	b;

		snprintf(id, sizeof(id), "%d", i);
		b = bucket_for("TASK-1", 6, id, strlen(id));
		assert_in_range(b, 1, 100);
		counts[b]++;
	}
	/* roughly uniform: every bucket within 20 % of the mean of 1000 */
	for (i = 1; i <= 100; i++)
		assert_in_range(counts[i], 800, 1200);
}

/* Split "a\tb\tc" in place into at most n fields. */
static int
split_tabs(char *line, char **fields, int n)
{
	int			k = 0;
	char	   *p = line;

	while (k < n)
	{
		fields[k++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	return k;
}

static void
bucket__conformance_vectors__all_match(void **state)
{
	FILE	   *f;
	char		line[1024];
	int			checked = 0;

	if (vectors_path == NULL || (f = fopen(vectors_path, "r")) == NULL)
	{
		print_message("bucket vectors not available (../shared/conformance absent): skipped\n");
		skip();
	}

	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *fields[6];
		char		key[512];

		line[strcspn(line, "\n")] = '\0';
		assert_int_equal(split_tabs(line, fields, 6), 6);

		if (fields[3][0] == '\0')
		{
			/* non-ASCII key: fields[0] is the whole key, UTF-8 hash only */
			assert_int_equal(murmur3_32(fields[0], strlen(fields[0]), 0),
							 strtoul(fields[2], NULL, 10));
		}
		else
		{
			uint32_t	total = 1000;

			snprintf(key, sizeof(key), "%s:%s", fields[0], fields[1]);
			assert_int_equal(murmur3_32(key, strlen(key), BUCKET_STRATEGY_SEED),
							 strtoul(fields[2], NULL, 10));
			assert_int_equal(bucket_for(fields[0], strlen(fields[0]),
										fields[1], strlen(fields[1])),
							 strtoul(fields[3], NULL, 10));
			assert_int_equal(murmur3_32(key, strlen(key), BUCKET_VARIANT_SEED),
							 strtoul(fields[4], NULL, 10));
			assert_int_equal(bucket_normalize(murmur3_32(key, strlen(key), BUCKET_VARIANT_SEED), total),
							 strtoul(fields[5], NULL, 10));
		}
		checked++;
	}
	fclose(f);
	assert_true(checked >= 60);
	print_message("checked %d bucket vectors\n", checked);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(murmur3__reference_values__match),
		cmocka_unit_test(murmur3__streamed_at_every_split__equals_one_shot),
		cmocka_unit_test(murmur3__forked_prefix_state__is_reusable),
		cmocka_unit_test(bucket__documented_examples__match_unleash),
		cmocka_unit_test(bucket__range__is_one_to_hundred),
		cmocka_unit_test(bucket__conformance_vectors__all_match),
	};

	if (argc > 1)
		vectors_path = argv[1];
	return cmocka_run_group_tests_name("bucket", tests, NULL, NULL);
}
