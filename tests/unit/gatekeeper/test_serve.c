/*-------------------------------------------------------------------------
 *
 * test_serve.c
 *		cmocka suite for the pure parts of `gatekeeper serve`: webhook
 *		signatures (hmac.c, against RFC 4231 / RFC 2202 vectors) and the
 *		board's HTML (board.c: escaping, links, CSRF fields).
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

#include "board.h"
#include "hmac.h"

/* RFC 4231 test case 2 and RFC 2202 test case 2: key "Jefe" */
static const char *jefe_data = "what do ya want for nothing?";
static const char *jefe_sha256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
static const char *jefe_sha1_b64 = "7/zfauXrL6LSdBbV8YTfnCWafHk=";

static void
sha256_hex__rfc4231_case2__matches(void **state)
{
	char		out[65];

	assert_true(hmac_sha256_hex("Jefe", 4, jefe_data, strlen(jefe_data), out));
	assert_string_equal(out, jefe_sha256);
}

static void
jira_valid__correct_signature_either_case__accepted(void **state)
{
	char		header[80];
	size_t		i;

	snprintf(header, sizeof(header), "sha256=%s", jefe_sha256);
	assert_true(hmac_jira_valid("Jefe", jefe_data, strlen(jefe_data), header));
	for (i = 7; header[i]; i++)
		if (header[i] >= 'a' && header[i] <= 'f')
			header[i] = (char) (header[i] - 'a' + 'A');
	assert_true(hmac_jira_valid("Jefe", jefe_data, strlen(jefe_data), header));
}

static void
jira_valid__wrong_secret_body_or_form__refused(void **state)
{
	char		header[80];

	snprintf(header, sizeof(header), "sha256=%s", jefe_sha256);
	assert_false(hmac_jira_valid("jefe", jefe_data, strlen(jefe_data), header));
	assert_false(hmac_jira_valid("Jefe", jefe_data, strlen(jefe_data) - 1, header));
	assert_false(hmac_jira_valid("Jefe", jefe_data, strlen(jefe_data), NULL));
	assert_false(hmac_jira_valid("Jefe", jefe_data, strlen(jefe_data), jefe_sha256));
	assert_false(hmac_jira_valid("Jefe", jefe_data, strlen(jefe_data), "sha256="));
	assert_false(hmac_jira_valid("", jefe_data, strlen(jefe_data), header));
	snprintf(header, sizeof(header), "sha1=%s", jefe_sha256);
	assert_false(hmac_jira_valid("Jefe", jefe_data, strlen(jefe_data), header));
}

static void
trello_valid__signs_body_then_callback_url(void **state)
{
	/* body + callback URL is the RFC 2202 message */
	const char *body = "what do ya want ";
	const char *url = "for nothing?";

	assert_true(hmac_trello_valid("Jefe", body, strlen(body), url, jefe_sha1_b64));
	assert_false(hmac_trello_valid("Jefe", body, strlen(body), "for nothing!", jefe_sha1_b64));
	assert_false(hmac_trello_valid("Jefe", jefe_data, strlen(jefe_data), "", "7/zfauXrL6LSdBbV8YTfnCWafHk"));
	assert_false(hmac_trello_valid("Jefe", body, strlen(body), url, NULL));
}

static void
equal__lengths_and_empty__never_equal(void **state)
{
	assert_true(hmac_equal("abc", "abc"));
	assert_false(hmac_equal("abc", "abd"));
	assert_false(hmac_equal("abc", "abcd"));
	assert_false(hmac_equal("", ""));
	assert_false(hmac_equal(NULL, "abc"));
}

static void
random_hex__two_draws__differ(void **state)
{
	char		a[33];
	char		b[33];

	assert_true(hmac_random_hex(a, 16));
	assert_true(hmac_random_hex(b, 16));
	assert_int_equal(strlen(a), 32);
	assert_string_not_equal(a, b);
}

/* one flag row as db_board_flags() returns it */
static char *flag_cells[] = {
	"TASK-1", "<script>alert(1)</script> & \"x\" 'y'", "2026.12", NULL, "new", "0", "yes",
	"missing", NULL, "00:01:00", "javascript:alert(1)"
};

static void
render__hostile_text__escaped_and_no_script_link(void **state)
{
	gk_rows		flags = {1, 11, flag_cells};
	board_view	v;
	char	   *html;

	memset(&v, 0, sizeof(v));
	v.user = "ada<b>";
	v.csrf = "n.\"tok\"";
	v.flags = &flags;
	v.stats_error = "counters <off>";
	html = board_render(&v);
	assert_non_null(html);
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;"));
	assert_null(strstr(html, "javascript:"));
	assert_non_null(strstr(html, "ada&lt;b&gt;"));
	assert_non_null(strstr(html, "name=\"csrf\" value=\"n.&quot;tok&quot;\""));
	assert_non_null(strstr(html, "counters &lt;off&gt;"));
	assert_non_null(strstr(html, "<span class=\"tag missing\">missing</span>"));
	free(html);
}

static void
render__https_tracker_url__linked(void **state)
{
	char	   *cells[11];
	gk_rows		flags = {1, 11, cells};
	board_view	v;
	char	   *html;

	memcpy(cells, flag_cells, sizeof(cells));
	cells[10] = "https://example.atlassian.net/browse/TASK-1?a=1&b=2";
	memset(&v, 0, sizeof(v));
	v.user = "ada";
	v.csrf = "t";
	v.flags = &flags;
	html = board_render(&v);
	assert_non_null(strstr(html, "<a href=\"https://example.atlassian.net/browse/TASK-1?a=1&amp;b=2\""));
	free(html);
}

static void
render__empty_board__says_so(void **state)
{
	gk_rows		flags = {0, 11, NULL};
	board_view	v;
	char	   *html;

	memset(&v, 0, sizeof(v));
	v.user = "ada";
	v.csrf = "t";
	v.flags = &flags;
	html = board_render(&v);
	assert_non_null(strstr(html, "No flags are waiting for release."));
	free(html);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha256_hex__rfc4231_case2__matches),
		cmocka_unit_test(jira_valid__correct_signature_either_case__accepted),
		cmocka_unit_test(jira_valid__wrong_secret_body_or_form__refused),
		cmocka_unit_test(trello_valid__signs_body_then_callback_url),
		cmocka_unit_test(equal__lengths_and_empty__never_equal),
		cmocka_unit_test(random_hex__two_draws__differ),
		cmocka_unit_test(render__hostile_text__escaped_and_no_script_link),
		cmocka_unit_test(render__https_tracker_url__linked),
		cmocka_unit_test(render__empty_board__says_so),
	};

	return cmocka_run_group_tests_name("serve", tests, NULL, NULL);
}
