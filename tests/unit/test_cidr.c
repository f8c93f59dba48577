/*-------------------------------------------------------------------------
 *
 * test_cidr.c
 *		cmocka suite for cidr.c: addresses, CIDR blocks and containment.
 *
 * Covers the IN_CIDR cases of the Unleash suite (IPv4, IPv6, invalid
 * entries) and the edges: /0, odd prefix lengths, host bits set, families
 * that must not mix.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cidr.h"

static bool
in(const char *net, const char *addr)
{
	CidrBlock	n;
	CidrBlock	a;

	assert_true(cidr_parse(net, strlen(net), &n));
	if (!cidr_parse_address(addr, strlen(addr), &a))
		return false;
	return cidr_contains(&n, &a);
}

static bool
valid_block(const char *s)
{
	CidrBlock	b;

	return cidr_parse(s, strlen(s), &b);
}

static void
cidr_contains__ipv4_blocks__match_by_prefix(void **state)
{
	assert_true(in("160.33.0.0/16", "160.33.0.33"));
	assert_false(in("160.33.0.0/16", "160.34.0.1"));
	assert_true(in("127.0.0.1", "127.0.0.1"));
	assert_false(in("127.0.0.1", "127.0.0.2"));
	assert_true(in("10.0.0.0/9", "10.127.255.255"));
	assert_false(in("10.0.0.0/9", "10.128.0.0"));
	assert_true(in("0.0.0.0/0", "203.0.113.9"));
	assert_true(in("10.1.2.3/8", "10.200.0.1"));	/* host bits ignored */
}

static void
cidr_contains__ipv6_blocks__match_by_prefix(void **state)
{
	assert_true(in("2001:db8::/32", "2001:db8:0:1::42"));
	assert_false(in("2001:db8::/32", "2001:db9::1"));
	assert_true(in("2001:db8::1", "2001:db8::1"));
	assert_false(in("2001:db8::1", "2001:db8::2"));
	assert_true(in("::/0", "::1"));
}

static void
cidr_contains__mixed_families__never_match(void **state)
{
	assert_false(in("0.0.0.0/0", "::1"));
	assert_false(in("::/0", "127.0.0.1"));
}

static void
cidr_parse__invalid_text__rejected(void **state)
{
	assert_false(valid_block("127.invalid"));
	assert_false(valid_block("bad::cidr"));
	assert_false(valid_block("10.0.0.0/33"));
	assert_false(valid_block("2001:db8::/129"));
	assert_false(valid_block("10.0.0.0/"));
	assert_false(valid_block("10.0.0.0/8a"));
	assert_false(valid_block("10.0.0.300"));
	assert_false(valid_block(""));
	assert_false(in("10.0.0.0/8", "10.0.0.0/8"));	/* a block is not an address */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cidr_contains__ipv4_blocks__match_by_prefix),
		cmocka_unit_test(cidr_contains__ipv6_blocks__match_by_prefix),
		cmocka_unit_test(cidr_contains__mixed_families__never_match),
		cmocka_unit_test(cidr_parse__invalid_text__rejected),
	};

	return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
