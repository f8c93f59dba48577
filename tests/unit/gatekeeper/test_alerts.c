/*-------------------------------------------------------------------------
 *
 * test_alerts.c
 *		cmocka suite for gatekeeper/alerts.c: the Slack message built from an
 *		alert payload, and delivery to a command (exit status decides).
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
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "alerts.h"

static volatile sig_atomic_t never_stop = 0;

static void
quiet_log(const char *fmt,...)
{
}

static const char *rollback_payload =
"{\"id\": 7, \"flag\": \"TASK-1\", \"action\": \"rolled_back\", \"time\": \"2026-11-26T10:00:00+00:00\","
" \"error_rate\": 0.08, \"threshold\": 0.05, \"requests\": 1000, \"errors\": 80, \"windows\": 2}";

static void
slack_message__rollback__states_flag_rate_and_threshold(void **state)
{
	char		err[256];
	char	   *msg = alerts_slack_message(rollback_payload, err, sizeof(err));
	json_t	   *root;
	json_error_t jerr;

	assert_non_null(msg);
	root = json_loads(msg, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "text")),
						":rotating_light: pg_release rolled back TASK-1: error rate 8.0% over 1000 requests (threshold 5.0%)");
	assert_true(json_is_array(json_object_get(root, "blocks")));
	assert_int_equal(json_array_size(json_object_get(root, "blocks")), 2);
	assert_non_null(strstr(msg, "*Flag*\\nTASK-1"));
	assert_non_null(strstr(msg, "*Time*\\n2026-11-26T10:00:00+00:00"));
	json_decref(root);
	free(msg);
}

static void
slack_message__other_action__uses_reason(void **state)
{
	char		err[256];
	char	   *msg = alerts_slack_message("{\"flag\": \"TASK-2\", \"action\": \"ramp_stopped\", \"reason\": \"approval missing\"}",
										   err, sizeof(err));

	assert_non_null(msg);
	assert_non_null(strstr(msg, "\"text\":\":warning: pg_release ramp_stopped for TASK-2: approval missing\""));
	free(msg);
}

static void
slack_message__not_an_object__is_refused(void **state)
{
	char		err[256];

	assert_null(alerts_slack_message("[1, 2]", err, sizeof(err)));
	assert_non_null(strstr(err, "not a JSON object"));
	assert_null(alerts_slack_message("{oops", err, sizeof(err)));
	assert_non_null(strstr(err, "not a JSON object"));
}

static void
slack_message__long_non_ascii_reason__stays_valid_utf8(void **state)
{
	char		err[256];
	char	   *payload;
	char	   *msg;
	size_t		len = 0;
	int			i;
	json_t	   *root;
	json_error_t jerr;

	/* 600 x "é": far beyond the 1 kB text, cut mid-character by snprintf */
	payload = malloc(64 + 600 * 2);
	len += sprintf(payload, "{\"flag\": \"TASK-3\", \"action\": \"ramp_stopped\", \"reason\": \"");
	for (i = 0; i < 600; i++)
		len += sprintf(payload + len, "\xc3\xa9");
	sprintf(payload + len, "\"}");
	msg = alerts_slack_message(payload, err, sizeof(err));
	assert_non_null(msg);
	root = json_loads(msg, 0, &jerr);
	assert_non_null(root);
	assert_true(strlen(json_string_value(json_object_get(root, "text"))) < 1024);
	json_decref(root);
	free(msg);
	free(payload);
}

static void
deliver__command_hangs__is_terminated_after_timeout(void **state)
{
	char		err[256];
	alerts_options opts;

	memset(&opts, 0, sizeof(opts));
	opts.sink = ALERTS_SINK_EXEC;
	opts.target = "sleep 30";
	opts.timeout_s = 1;
	opts.log = quiet_log;
	opts.stop = &never_stop;
	assert_false(alerts_deliver(&opts, rollback_payload, err, sizeof(err)));
	assert_string_equal(err, "command did not finish within 1 s and was terminated");
}

static void
deliver__command_reads_stdin__is_delivered(void **state)
{
	char		path[] = "/tmp/gk_alerts_XXXXXX";
	char		cmd[128];
	char		buf[1024] = {0};
	char		err[256];
	alerts_options opts;
	FILE	   *f;
	int			fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "cat > %s", path);
	memset(&opts, 0, sizeof(opts));
	opts.sink = ALERTS_SINK_EXEC;
	opts.target = cmd;
	opts.log = quiet_log;
	opts.stop = &never_stop;
	assert_true(alerts_deliver(&opts, rollback_payload, err, sizeof(err)));
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	unlink(path);
	/* the JSON exactly, one line */
	assert_int_equal(strlen(buf), strlen(rollback_payload) + 1);
	assert_memory_equal(buf, rollback_payload, strlen(rollback_payload));
	assert_int_equal(buf[strlen(rollback_payload)], '\n');
}

static void
deliver__command_fails__reports_exit_status(void **state)
{
	char		err[256];
	alerts_options opts;

	memset(&opts, 0, sizeof(opts));
	opts.sink = ALERTS_SINK_EXEC;
	opts.target = "cat > /dev/null; exit 3";
	opts.log = quiet_log;
	opts.stop = &never_stop;
	assert_false(alerts_deliver(&opts, rollback_payload, err, sizeof(err)));
	assert_string_equal(err, "command exited with status 3");
}

static void
deliver__webhook_unreachable__fails_without_the_url(void **state)
{
	char		err[256];
	alerts_options opts;

	memset(&opts, 0, sizeof(opts));
	opts.sink = ALERTS_SINK_SLACK;
	/* port 1 on loopback: refused at once */
	opts.target = "http://127.0.0.1:1/services/secret-token";
	opts.timeout_s = 5;
	opts.log = quiet_log;
	opts.stop = &never_stop;
	assert_false(alerts_deliver(&opts, rollback_payload, err, sizeof(err)));
	assert_non_null(strstr(err, "webhook request failed"));
	assert_null(strstr(err, "secret-token"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slack_message__rollback__states_flag_rate_and_threshold),
		cmocka_unit_test(slack_message__other_action__uses_reason),
		cmocka_unit_test(slack_message__not_an_object__is_refused),
		cmocka_unit_test(slack_message__long_non_ascii_reason__stays_valid_utf8),
		cmocka_unit_test(deliver__command_hangs__is_terminated_after_timeout),
		cmocka_unit_test(deliver__command_reads_stdin__is_delivered),
		cmocka_unit_test(deliver__command_fails__reports_exit_status),
		cmocka_unit_test(deliver__webhook_unreachable__fails_without_the_url),
	};

	return cmocka_run_group_tests_name("alerts", tests, NULL, NULL);
}
