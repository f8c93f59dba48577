/*-------------------------------------------------------------------------
 *
 * test_apply.c
 *		cmocka suite for the pure parts of gatekeeper apply: the SHA-256
 *		checksum of migration files, --small-table sizes, and verdicts from
 *		the live catalog (a size table stands in for the database).
 *
 *-------------------------------------------------------------------------
 */
#include "gk_test.h"
#include "apply.h"

/* ---------------------------------------------------------------- SHA-256 */

static void
expect_sha256(const char *data, size_t len, const char *want)
{
	char		hex[GK_SHA256_HEX_LEN + 1];

	gk_sha256_hex(data, len, hex);
	assert_string_equal(hex, want);
}

/* FIPS 180-4 examples */
static void
sha256__fips_examples__match_published_digests(void **state)
{
	expect_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	expect_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	expect_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
				  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* Lengths around the padding boundaries (55/56 bytes need one or two blocks) */
static void
sha256__padding_boundaries__match_reference(void **state)
{
	static const struct
	{
		size_t		n;
		const char *digest;
	}			cases[] = {
		{55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
		{56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
		{64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
		{119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
		{120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
	};
	char		buf[128];
	size_t		i;

	memset(buf, 'a', sizeof(buf));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_sha256(buf, cases[i].n, cases[i].digest);
}

/* One changed byte changes the checksum: a tampered file is noticed */
static void
sha256__one_byte_changed__differs(void **state)
{
	char		a[GK_SHA256_HEX_LEN + 1];
	char		b[GK_SHA256_HEX_LEN + 1];

	gk_sha256_hex("ALTER TABLE t DROP COLUMN a;\n", 29, a);
	gk_sha256_hex("ALTER TABLE t DROP COLUMN b;\n", 29, b);
	assert_string_not_equal(a, b);
	assert_int_equal(strspn(a, "0123456789abcdef"), GK_SHA256_HEX_LEN);
}

/* ---------------------------------------------------------------- sizes */

static void
parse_size__units__powers_of_1024(void **state)
{
	long long	b;

	assert_true(gk_parse_size_bytes("10MB", &b));
	assert_int_equal(b, 10LL * 1024 * 1024);
	assert_true(gk_parse_size_bytes("512kB", &b));
	assert_int_equal(b, 512LL * 1024);
	assert_true(gk_parse_size_bytes("2 GB", &b));
	assert_int_equal(b, 2LL * 1024 * 1024 * 1024);
	assert_true(gk_parse_size_bytes("8192", &b));
	assert_int_equal(b, 8192);
	assert_true(gk_parse_size_bytes("0", &b));
	assert_int_equal(b, 0);
}

static void
parse_size__garbage__is_refused(void **state)
{
	long long	b = 7;

	assert_false(gk_parse_size_bytes("MB", &b));
	assert_false(gk_parse_size_bytes("-1MB", &b));
	assert_false(gk_parse_size_bytes("10XB", &b));
	assert_false(gk_parse_size_bytes("", &b));
	assert_false(gk_parse_size_bytes("99999999999TB", &b));
	assert_int_equal(b, 7);
}

/* ---------------------------------------------------------------- catalog */

/* A stand-in for the database: relation -> size, or missing */
typedef struct fake_rel
{
	const char *name;
	long long	bytes;			/* -1: the relation does not exist */
} fake_rel;

static fake_rel fake_db[8];
static int	lookups;

static int
fake_relsize(void *ctx, const char *relation, long long *bytes)
{
	int			i;

	lookups++;
	if (ctx != NULL)
		return -1;				/* a failing lookup */
	for (i = 0; fake_db[i].name != NULL; i++)
		if (strcmp(fake_db[i].name, relation) == 0)
		{
			if (fake_db[i].bytes < 0)
				return 0;
			*bytes = fake_db[i].bytes;
			return 1;
		}
	*bytes = 1LL << 40;			/* unknown: treat as huge */
	return 1;
}

static void
fake_set(const char *name, long long bytes)
{
	memset(fake_db, 0, sizeof(fake_db));
	fake_db[0].name = name;
	fake_db[0].bytes = bytes;
	lookups = 0;
}

/* Classify sql, then run the catalog pass; returns findings lifted */
static int
run_catalog(gk_case *c, gk_strlist *notes, const char *sql, long long small, long lock_timeout_ms)
{
	int			lifted = -1;

	gk_case_run(c, sql);
	memset(notes, 0, sizeof(*notes));
	assert_int_equal(gk_catalog_verdicts(&c->result, fake_relsize, NULL, small, lock_timeout_ms,
										 notes, &lifted), 0);
	return lifted;
}

static void
catalog__small_table__index_build_not_risky(void **state)
{
	gk_case		c;
	gk_strlist	notes;
	const gk_finding *f;

	fake_set("accounts", 48 * 1024);
	assert_true(run_catalog(&c, &notes, "CREATE INDEX accounts_email ON accounts (email);",
							10LL * 1024 * 1024, 5000) >= 1);
	gk_assert_safe(&c, 0);
	assert_false(c.result.risky);
	f = gk_case_finding(&c, 0, "create-index-not-concurrently");
	assert_non_null(f);
	assert_true(f->allowed);
	assert_non_null(strstr(f->allow_reason, "catalog: accounts is 48 kB, below the small-table limit of 10 MB"));
	gk_strlist_free(&notes);
	gk_case_free(&c);
}

static void
catalog__big_table__index_build_stays_risky(void **state)
{
	gk_case		c;
	gk_strlist	notes;

	fake_set("accounts", 2LL * 1024 * 1024 * 1024);
	assert_int_equal(run_catalog(&c, &notes, "CREATE INDEX accounts_email ON accounts (email);",
								 10LL * 1024 * 1024, 5000), 0);
	gk_assert_risky(&c, 0, "create-index-not-concurrently");
	assert_true(c.result.risky);
	assert_int_equal(c.result.nrisky, 1);
	gk_strlist_free(&notes);
	gk_case_free(&c);
}

static void
catalog__no_lock_timeout__small_table_stays_risky(void **state)
{
	gk_case		c;
	gk_strlist	notes;

	fake_set("accounts", 8192);
	assert_int_equal(run_catalog(&c, &notes, "CREATE INDEX accounts_email ON accounts (email);",
								 10LL * 1024 * 1024, 0), 0);
	gk_assert_risky(&c, 0, "create-index-not-concurrently");
	gk_strlist_free(&notes);
	gk_case_free(&c);
}

static void
catalog__size_rule_off__small_table_stays_risky(void **state)
{
	gk_case		c;
	gk_strlist	notes;

	fake_set("accounts", 8192);
	assert_int_equal(run_catalog(&c, &notes, "CREATE INDEX accounts_email ON accounts (email);",
								 0, 5000), 0);
	assert_true(c.result.risky);
	gk_strlist_free(&notes);
	gk_case_free(&c);
}

/* Data loss is not a locking problem: a small table loses its column all the same */
static void
catalog__small_table__drop_column_stays_risky(void **state)
{
	gk_case		c;
	gk_strlist	notes;

	fake_set("accounts", 8192);
	run_catalog(&c, &notes, "ALTER TABLE accounts DROP COLUMN note;", 10LL * 1024 * 1024, 5000);
	gk_assert_risky(&c, 0, "drop-column");
	assert_true(c.result.risky);
	gk_strlist_free(&notes);
	gk_case_free(&c);
}

/* A relation that does not exist yet is new: an earlier file of the run creates it */
static void
catalog__missing_relation__treated_as_new(void **state)
{
	gk_case		c;
	gk_strlist	notes;
	const gk_finding *f;

	fake_set("orders", -1);
	assert_true(run_catalog(&c, &notes, "ALTER TABLE orders DROP COLUMN note;",
							10LL * 1024 * 1024, 5000) >= 1);
	assert_false(c.result.risky);
	f = gk_case_finding(&c, 0, "drop-column");
	assert_non_null(f);
	assert_true(f->allowed);
	assert_non_null(strstr(f->allow_reason, "catalog: orders does not exist yet"));
	gk_strlist_free(&notes);
	gk_case_free(&c);
}

/* Rules about how the file runs are not softened by the catalog */
static void
catalog__missing_relation__early_commit_stays_risky(void **state)
{
	gk_case		c;
	gk_strlist	notes;

	fake_set("orders", -1);
	run_catalog(&c, &notes, "BEGIN;\nALTER TABLE orders ADD COLUMN x int;\nCOMMIT;\nCREATE TABLE y (a int);\n",
				10LL * 1024 * 1024, 5000);
	assert_true(c.result.risky);
	gk_strlist_free(&notes);
	gk_case_free(&c);
}

static void
catalog__lookup_fails__returns_error_and_keeps_verdict(void **state)
{
	gk_case		c;
	gk_strlist	notes;
	int			lifted = 0;
	int			failing = 1;

	fake_set("accounts", 8192);
	gk_case_run(&c, "CREATE INDEX accounts_email ON accounts (email);");
	memset(&notes, 0, sizeof(notes));
	assert_int_equal(gk_catalog_verdicts(&c.result, fake_relsize, &failing, 10LL * 1024 * 1024,
										 5000, &notes, &lifted), -1);
	gk_assert_risky(&c, 0, "create-index-not-concurrently");
	gk_strlist_free(&notes);
	gk_case_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha256__fips_examples__match_published_digests),
		cmocka_unit_test(sha256__padding_boundaries__match_reference),
		cmocka_unit_test(sha256__one_byte_changed__differs),
		cmocka_unit_test(parse_size__units__powers_of_1024),
		cmocka_unit_test(parse_size__garbage__is_refused),
		cmocka_unit_test(catalog__small_table__index_build_not_risky),
		cmocka_unit_test(catalog__big_table__index_build_stays_risky),
		cmocka_unit_test(catalog__no_lock_timeout__small_table_stays_risky),
		cmocka_unit_test(catalog__size_rule_off__small_table_stays_risky),
		cmocka_unit_test(catalog__small_table__drop_column_stays_risky),
		cmocka_unit_test(catalog__missing_relation__treated_as_new),
		cmocka_unit_test(catalog__missing_relation__early_commit_stays_risky),
		cmocka_unit_test(catalog__lookup_fails__returns_error_and_keeps_verdict),
	};

	return cmocka_run_group_tests_name("apply", tests, NULL, NULL);
}
