/*-------------------------------------------------------------------------
 *
 * main.c
 *		The gatekeeper command line: option parsing, help, subcommand
 *		dispatch and exit codes.
 *
 * This is the only file of the gatekeeper that prints or exits.  Library
 * modules report problems through gk_error; here they become messages on
 * stderr and one of the documented exit codes:
 *   0 all safe, 1 risky found, 2 unparsable SQL, 3 usage, 4 database;
 *   apply adds 5 awaiting approval, 6 migration failed, 7 drift.
 * Later subcommands (apply, approve, status, alerts, serve) plug into the
 * command table below.
 *
 *-------------------------------------------------------------------------
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "apply.h"
#include "db.h"
#include "gatekeeper.h"
#include "serve.h"

static const char *progname = "gatekeeper";

typedef int (*command_fn) (int argc, char **argv);

typedef struct command
{
	const char *name;
	command_fn	fn;
	const char *summary;
} command;

static int	cmd_check(int argc, char **argv);
static int	cmd_rules(int argc, char **argv);
static int	cmd_alerts(int argc, char **argv);
static int	cmd_apply(int argc, char **argv);
static int	cmd_decide(int argc, char **argv);
static int	cmd_status(int argc, char **argv);
static int	cmd_serve(int argc, char **argv);

static const command commands[] = {
	{"check", cmd_check, "classify migration files as safe or risky"},
	{"rules", cmd_rules, "list the rule catalogue"},
	{"alerts", cmd_alerts, "deliver the guard's alerts to Slack or a command"},
	{"apply", cmd_apply, "apply pending migrations; risky ones wait for approval"},
	{"approve", cmd_decide, "approve a risky migration (DBA)"},
	{"reject", cmd_decide, "reject a risky migration (DBA)"},
	{"status", cmd_status, "show the migration ledger"},
	{"serve", cmd_serve, "tracker webhooks and the release board over HTTP"},
	{NULL, NULL, NULL}
};

/*
 * Report a usage error and return the usage exit code.
 */
static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: error: ", progname);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry \"%s --help\" for more information.\n", progname);
	return GK_EXIT_USAGE;
}

/* gatekeeper --help */
static void
help_main(void)
{
	int			i;

	printf("%s keeps risky schema migrations away from production.\n\n", progname);
	printf("Usage:\n  %s [--help] [--version] COMMAND [OPTIONS] [ARGS]\n\n", progname);
	printf("Commands:\n");
	for (i = 0; commands[i].name != NULL; i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].summary);
	printf("\nRun \"%s COMMAND --help\" for the options of a command.\n", progname);
	printf("\nExit codes:\n"
		   "  0  all migrations safe\n"
		   "  1  at least one risky statement\n"
		   "  2  unparsable SQL (reported as file:line:col: message)\n"
		   "  3  usage error (bad option, unreadable path, bad directive)\n"
		   "  4  database error\n"
		   "  5  apply: a risky migration awaits approval (or was rejected)\n"
		   "  6  apply: a migration failed (rolled back, recorded failed)\n"
		   "  7  apply: an applied migration changed (drift); nothing ran\n");
	printf("\nDocumentation: docs/gatekeeper.md\n");
}

/* gatekeeper check --help */
static void
help_check(void)
{
	printf("Classify pending migrations as safe or risky.\n\n");
	printf("Usage:\n  %s check [OPTIONS] PATH...\n\n", progname);
	printf("PATH is a migration file or a directory; directories are read\n"
		   "recursively, *.sql files in lexical order (*.down.sql skipped).\n\n");
	printf("Options:\n"
		   "  -f, --format=FORMAT          text (default), json, github or sarif\n"
		   "      --pg-version=VERSION     target PostgreSQL major version (default 15)\n"
		   "  -a, --allow=RULE[,RULE...]   do not count these rules as risky (repeatable)\n"
		   "      --max-lock-timeout=TIME  largest lock_timeout accepted as safe (default 5s)\n"
		   "  -V, --version                print the version and exit\n"
		   "  -h, --help                   show this help and exit\n\n");
	printf("In a migration, \"-- gatekeeper:allow RULE reason\" before a statement\n"
		   "allows one rule for that statement; the reason is mandatory and printed.\n\n");
	printf("Exit codes: 0 all safe, 1 risky found, 2 unparsable SQL, 3 usage, 4 database.\n");
}

/*
 * Parse --pg-version: "15", "15.4", "9.6" -> major version.
 */
static bool
parse_pg_version(const char *s, int *major)
{
	char	   *end;
	long		v = strtol(s, &end, 10);

	if (end == s || (*end != '\0' && *end != '.') || v < 9 || v > 99)
		return false;
	if (*end == '.')
	{
		char	   *end2;

		(void) strtol(end + 1, &end2, 10);
		if (end2 == end + 1 || *end2 != '\0')
			return false;
	}
	*major = (int) v;
	return true;
}

/*
 * Add a comma-separated list of rule ids to the allow list.
 */
static int
add_allows(gk_options *opts, const char ***list, int *cap, char *arg)
{
	char	   *tok;
	char	   *save = NULL;

	for (tok = strtok_r(arg, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
	{
		if (gk_rule_lookup(tok) == NULL)
			return usage_error("unknown rule \"%s\" in --allow (see \"gatekeeper rules\")", tok);
		if (opts->nallow == *cap)
		{
			int			ncap = *cap ? *cap * 2 : 8;
			const char **grown = realloc(*list, sizeof(char *) * ncap);

			if (grown == NULL)
			{
				fprintf(stderr, "%s: error: out of memory\n", progname);
				return GK_EXIT_USAGE;
			}
			*list = grown;
			*cap = ncap;
		}
		(*list)[opts->nallow++] = tok;
	}
	opts->allow = *list;
	return 0;
}

/*
 * gatekeeper check [options] PATH...
 */
static int
cmd_check(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"pg-version", required_argument, NULL, 'p'},
		{"allow", required_argument, NULL, 'a'},
		{"max-lock-timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	gk_options	opts;
	gk_format	format = GK_FORMAT_TEXT;
	const char **allow = NULL;
	int			allow_cap = 0;
	gk_pathlist paths;
	gk_error	err;
	gk_catalog *catalog = NULL;
	gk_file    *files = NULL;
	gk_file_result *results = NULL;
	int			nresults = 0;
	int			exit_code = GK_EXIT_SAFE;
	bool		parse_failed = false;
	bool		usage_failed = false;
	char	   *report;
	int			c;
	int			i;

	gk_options_init(&opts);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+f:a:hV", long_opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'f':
				if (!gk_format_parse(optarg, &format))
				{
					free(allow);
					return usage_error("unknown format \"%s\" (expected text, json, github or sarif)",
									   optarg);
				}
				break;
			case 'p':
				if (!parse_pg_version(optarg, &opts.pg_version))
				{
					free(allow);
					return usage_error("invalid --pg-version \"%s\" (expected e.g. 15 or 15.4)", optarg);
				}
				break;
			case 'a':
				if ((c = add_allows(&opts, &allow, &allow_cap, optarg)) != 0)
				{
					free(allow);
					return c;
				}
				break;
			case 't':
				if (!gk_parse_duration_ms(optarg, &opts.max_lock_timeout_ms) ||
					opts.max_lock_timeout_ms <= 0)
				{
					free(allow);
					return usage_error("invalid --max-lock-timeout \"%s\" (expected e.g. 5s or 2000ms)",
									   optarg);
				}
				break;
			case 'h':
				help_check();
				free(allow);
				return GK_EXIT_SAFE;
			case 'V':
				printf("%s %s\n", progname, GK_VERSION);
				free(allow);
				return GK_EXIT_SAFE;
			default:
				free(allow);
				if (optopt && strchr("fa", optopt))
					return usage_error("option -%s needs an argument", (char[]) {(char) optopt, '\0'});
				return usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc)
	{
		free(allow);
		return usage_error("%s", "check needs at least one PATH");
	}

	if (gk_expand_paths(argv + optind, argc - optind, &paths, &err) != 0)
	{
		free(allow);
		if (err.kind == GK_ERR_USAGE)
			return usage_error("%s", err.message);
		fprintf(stderr, "%s: error: %s\n", progname, err.message);
		return GK_EXIT_USAGE;
	}

	catalog = gk_catalog_new();
	files = calloc(paths.n ? paths.n : 1, sizeof(gk_file));
	results = calloc(paths.n ? paths.n : 1, sizeof(gk_file_result));
	if (catalog == NULL || files == NULL || results == NULL)
	{
		fprintf(stderr, "%s: error: out of memory\n", progname);
		exit_code = GK_EXIT_USAGE;
		goto done;
	}

	for (i = 0; i < paths.n; i++)
	{
		memset(&err, 0, sizeof(err));
		if (gk_parse_path(paths.paths[i], &files[i], &err) != 0)
		{
			if (format == GK_FORMAT_GITHUB && err.file[0] != '\0' &&
				(err.kind == GK_ERR_PARSE || err.kind == GK_ERR_USAGE))
			{
				char	   *note = gk_report_github_error(&err);

				if (note != NULL)
					fputs(note, stdout);
				free(note);
			}
			if (err.kind == GK_ERR_PARSE)
			{
				fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.message);
				parse_failed = true;
			}
			else if (err.kind == GK_ERR_USAGE && err.file[0] != '\0')
			{
				fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.message);
				usage_failed = true;
			}
			else
			{
				fprintf(stderr, "%s: error: %s\n", progname, err.message);
				usage_failed = true;
			}
			continue;
		}
		if (gk_classify_file(&files[i], &opts, catalog, &results[nresults], &err) != 0)
		{
			fprintf(stderr, "%s: error: %s: %s\n", progname, paths.paths[i], err.message);
			usage_failed = true;
			continue;
		}
		gk_file_drop_trees(&files[i]);
		if (results[nresults].risky)
			exit_code = GK_EXIT_RISKY;
		nresults++;
	}

	report = gk_report_render(format, results, nresults, &opts, &err);
	if (report == NULL)
	{
		fprintf(stderr, "%s: error: %s\n", progname, err.message);
		usage_failed = true;
	}
	else
	{
		fputs(report, stdout);
		free(report);
	}
	if (parse_failed)
		exit_code = GK_EXIT_PARSE;
	if (usage_failed)
		exit_code = GK_EXIT_USAGE;

done:
	for (i = 0; i < nresults; i++)
		gk_file_result_free(&results[i]);
	for (i = 0; files != NULL && i < paths.n; i++)
		gk_file_free(&files[i]);
	free(results);
	free(files);
	gk_catalog_free(catalog);
	gk_pathlist_free(&paths);
	free(allow);
	if (fflush(stdout) != 0)
	{
		fprintf(stderr, "%s: error: cannot write the report\n", progname);
		return GK_EXIT_USAGE;
	}
	return exit_code;
}

/*
 * Set by SIGINT/SIGTERM for the long-running commands: alerts finishes the
 * alert in hand, serve stops listening; both then exit.
 */
static volatile sig_atomic_t stop_requested = 0;

static void
on_stop_signal(int signo)
{
	stop_requested = 1;
}

/*
 * Route SIGINT/SIGTERM to stop_requested, without SA_RESTART so that a
 * signal interrupts a wait; ignore SIGPIPE (a peer that went away is an
 * error result, not a reason to die).
 */
static void
catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Progress of gatekeeper alerts, on stderr with a timestamp. */
static void
alerts_log(const char *fmt,...)
{
	va_list		ap;
	time_t		now = time(NULL);
	char		stamp[32];

	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&now));
	fprintf(stderr, "%s %s: ", stamp, progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
help_alerts(void)
{
	printf("Usage:\n  %s alerts [OPTIONS] (--slack-webhook URL | --exec COMMAND)\n\n", progname);
	printf("Deliver the pg_release guard's alerts, at least once: every stored,\n"
		   "undelivered alert on start, then each one as NOTIFY pg_release_alerts\n"
		   "announces it.  An alert is marked delivered only after the sink accepted it.\n\n");
	printf("Options:\n"
		   "  --dsn DSN              libpq connection string (default: PG* environment)\n"
		   "  --slack-webhook URL    POST a Slack incoming-webhook message (text + blocks);\n"
		   "                         or set PG_RELEASE_SLACK_WEBHOOK to keep the URL out of ps\n"
		   "  --exec COMMAND         run COMMAND with the alert's JSON on standard input;\n"
		   "                         exit status 0 means delivered\n"
		   "  --once                 deliver what is pending, then exit\n"
		   "  --poll SECONDS         look for alerts at least this often (default 30)\n"
		   "  --max-backoff SECONDS  cap of the retry and reconnect backoff (default 60)\n"
		   "  --timeout SECONDS      per delivery (default 10)\n"
		   "  -h, --help             show this help\n\n");
	printf("Exit codes (--once): 0 all delivered, 1 some still pending, 3 usage, 4 database.\n"
		   "Without --once it runs until SIGINT or SIGTERM and exits 0.\n");
}

/* A whole number in [min, max] for an option. */
static bool
parse_bounded(const char *arg, long min, long max, long *out)
{
	char	   *end;
	long		v = strtol(arg, &end, 10);

	if (end == arg || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* A number of seconds, 1 to 86400, for an option. */
static bool
parse_seconds(const char *arg, int *out)
{
	long		v;

	if (!parse_bounded(arg, 1, 86400, &v))
		return false;
	*out = (int) v;
	return true;
}

/*
 * gatekeeper alerts [options] (--slack-webhook URL | --exec COMMAND)
 */
static int
cmd_alerts(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dsn", required_argument, NULL, 'd'},
		{"slack-webhook", required_argument, NULL, 's'},
		{"exec", required_argument, NULL, 'e'},
		{"once", no_argument, NULL, 'o'},
		{"poll", required_argument, NULL, 'p'},
		{"max-backoff", required_argument, NULL, 'b'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	alerts_options ao;
	const char *slack = getenv("PG_RELEASE_SLACK_WEBHOOK");
	const char *command = NULL;
	alerts_status status;
	int			c;

	memset(&ao, 0, sizeof(ao));
	ao.dsn = "";
	ao.poll_s = 30;
	ao.max_backoff_s = 60;
	ao.timeout_s = 10;
	if (slack != NULL && slack[0] == '\0')
		slack = NULL;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				ao.dsn = optarg;
				break;
			case 's':
				slack = optarg;
				break;
			case 'e':
				command = optarg;
				break;
			case 'o':
				ao.once = true;
				break;
			case 'p':
				if (!parse_seconds(optarg, &ao.poll_s))
					return usage_error("invalid --poll \"%s\" (expected seconds, 1 to 86400)", optarg);
				break;
			case 'b':
				if (!parse_seconds(optarg, &ao.max_backoff_s))
					return usage_error("invalid --max-backoff \"%s\" (expected seconds, 1 to 86400)", optarg);
				break;
			case 't':
				if (!parse_seconds(optarg, &ao.timeout_s))
					return usage_error("invalid --timeout \"%s\" (expected seconds, 1 to 86400)", optarg);
				break;
			case 'h':
				help_alerts();
				return GK_EXIT_SAFE;
			default:
				if (optopt)
					return usage_error("option -%s needs an argument", (char[]) {(char) optopt, '\0'});
				return usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if ((slack == NULL) == (command == NULL))
		return usage_error("%s", "alerts needs exactly one of --slack-webhook and --exec");
	if (slack != NULL && strncmp(slack, "https://", 8) != 0 && strncmp(slack, "http://", 7) != 0)
		return usage_error("%s", "--slack-webhook must be an http:// or https:// URL");
	ao.sink = slack ? ALERTS_SINK_SLACK : ALERTS_SINK_EXEC;
	ao.target = slack ? slack : command;
	ao.log = alerts_log;
	ao.stop = &stop_requested;
	catch_stop_signals();

	status = alerts_run(&ao);
	if (status == ALERTS_UNDELIVERED)
		return GK_EXIT_RISKY;
	if (status == ALERTS_DATABASE)
		return GK_EXIT_DATABASE;
	return GK_EXIT_SAFE;
}

/*
 * gatekeeper rules: the catalogue, one rule per line.
 */
static int
cmd_rules(int argc, char **argv)
{
	int			i;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
	{
		printf("Usage:\n  %s rules\n\nList every rule id, its severity and what it catches.\n",
			   progname);
		return GK_EXIT_SAFE;
	}
	if (argc > 1)
		return usage_error("rules takes no arguments, got \"%s\"", argv[1]);
	for (i = 0; i < gk_rule_count(); i++)
	{
		const gk_rule *r = gk_rule_at(i);

		printf("%-34s %-5s %s\n", r->id, r->severity == GK_SEV_RISKY ? "risky" : "note",
			   r->summary);
	}
	return GK_EXIT_SAFE;
}

static void
help_serve(void)
{
	printf("Usage:\n  %s serve [OPTIONS]\n\n", progname);
	printf("Serve the tracker webhooks and the release board over HTTP (put a TLS\n"
		   "reverse proxy in front of it; see docs/dashboard.md).\n\n");
	printf("Options:\n"
		   "  --listen ADDR              IPv4 or IPv6 address (default 127.0.0.1)\n"
		   "  --port PORT                TCP port (default 8080)\n"
		   "  --dsn DSN                  webhook connection, a member of release_tracker\n"
		   "                             (default: PG* environment)\n"
		   "  --board-dsn DSN            where board logins connect; user and password come\n"
		   "                             from the browser (default: --dsn)\n"
		   "  --no-board                 webhooks only\n"
		   "  --jira-secret SECRET       enable POST /hooks/jira (or PG_RELEASE_JIRA_SECRET)\n"
		   "  --trello-secret SECRET     enable POST /hooks/trello (or PG_RELEASE_TRELLO_SECRET)\n"
		   "  --trello-callback-url URL  the callback URL registered with Trello (it signs it)\n"
		   "  --origin ORIGIN            the board's public origin, e.g. https://release.example.com\n"
		   "                             (default: http://<Host header>)\n"
		   "  --max-body BYTES           larger requests get 413 (default 1048576)\n"
		   "  --max-age SECONDS          refuse deliveries sent longer ago (default 86400, 0 = off)\n"
		   "  --history N                audit entries shown per flag (default 5)\n"
		   "  -h, --help                 show this help\n\n");
	printf("Secrets given as options are visible in ps: prefer the environment variables.\n"
		   "Exit codes: 0 stopped by SIGINT or SIGTERM, 3 usage or cannot listen,\n"
		   "4 the webhook connection failed at start.\n");
}

/*
 * gatekeeper serve [options]
 */
static int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"port", required_argument, NULL, 'p'},
		{"dsn", required_argument, NULL, 'd'},
		{"board-dsn", required_argument, NULL, 'B'},
		{"no-board", no_argument, NULL, 'n'},
		{"jira-secret", required_argument, NULL, 'j'},
		{"trello-secret", required_argument, NULL, 't'},
		{"trello-callback-url", required_argument, NULL, 'u'},
		{"origin", required_argument, NULL, 'o'},
		{"max-body", required_argument, NULL, 'm'},
		{"max-age", required_argument, NULL, 'a'},
		{"history", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	serve_options so;
	serve_status status;
	char		errbuf[512];
	long		v;
	int			c;

	memset(&so, 0, sizeof(so));
	so.listen = "127.0.0.1";
	so.port = 8080;
	so.dsn = "";
	so.board = true;
	so.max_body = 1048576;
	so.max_age_s = 86400;
	so.history = 5;
	so.jira_secret = getenv("PG_RELEASE_JIRA_SECRET");
	so.trello_secret = getenv("PG_RELEASE_TRELLO_SECRET");

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'l':
				so.listen = optarg;
				break;
			case 'p':
				if (!parse_bounded(optarg, 1, 65535, &v))
					return usage_error("invalid --port \"%s\" (expected 1 to 65535)", optarg);
				so.port = (int) v;
				break;
			case 'd':
				so.dsn = optarg;
				break;
			case 'B':
				so.board_dsn = optarg;
				break;
			case 'n':
				so.board = false;
				break;
			case 'j':
				so.jira_secret = optarg;
				break;
			case 't':
				so.trello_secret = optarg;
				break;
			case 'u':
				so.trello_callback_url = optarg;
				break;
			case 'o':
				so.origin = optarg;
				break;
			case 'm':
				if (!parse_bounded(optarg, 1024, 64L * 1024 * 1024, &v))
					return usage_error("invalid --max-body \"%s\" (expected 1024 to 67108864 bytes)", optarg);
				so.max_body = (size_t) v;
				break;
			case 'a':
				if (!parse_bounded(optarg, 0, 365L * 86400, &v))
					return usage_error("invalid --max-age \"%s\" (expected seconds, 0 to 31536000)", optarg);
				so.max_age_s = (int) v;
				break;
			case 'H':
				if (!parse_bounded(optarg, 0, 100, &v))
					return usage_error("invalid --history \"%s\" (expected 0 to 100)", optarg);
				so.history = (int) v;
				break;
			case 'h':
				help_serve();
				return GK_EXIT_SAFE;
			default:
				if (optopt)
					return usage_error("option -%s needs an argument", (char[]) {(char) optopt, '\0'});
				return usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if (so.jira_secret != NULL && so.jira_secret[0] == '\0')
		so.jira_secret = NULL;
	if (so.trello_secret != NULL && so.trello_secret[0] == '\0')
		so.trello_secret = NULL;
	if (so.trello_secret != NULL && so.trello_callback_url == NULL)
		return usage_error("%s", "the Trello webhook needs --trello-callback-url (Trello signs it)");
	if (!so.board && so.jira_secret == NULL && so.trello_secret == NULL)
		return usage_error("%s", "--no-board and no webhook secret: nothing to serve");
	if (so.origin != NULL && strncmp(so.origin, "https://", 8) != 0 && strncmp(so.origin, "http://", 7) != 0)
		return usage_error("%s", "--origin must start with http:// or https://");
	if (so.board_dsn == NULL)
		so.board_dsn = so.dsn;
	so.log = alerts_log;
	so.stop = &stop_requested;
	catch_stop_signals();

	status = serve_run(&so, errbuf, sizeof(errbuf));
	if (status == SERVE_DATABASE)
	{
		fprintf(stderr, "%s: error: %s\n", progname, errbuf);
		return GK_EXIT_DATABASE;
	}
	if (status == SERVE_LISTEN)
	{
		fprintf(stderr, "%s: error: %s\n", progname, errbuf);
		return GK_EXIT_USAGE;
	}
	return GK_EXIT_SAFE;
}

/* ----------------------------------------------------------------
 * gatekeeper apply, approve, reject, status (the migration ledger)
 * ----------------------------------------------------------------
 */

static void
help_apply(void)
{
	printf("Apply pending migrations: safe ones now, risky ones after a DBA approved them.\n\n");
	printf("Usage:\n  %s apply --dsn DSN [OPTIONS] PATH...\n\n", progname);
	printf("Files are taken in lexical order.  A safe file runs in one transaction (or\n"
		   "statement by statement for a file of CONCURRENTLY statements) and is recorded\n"
		   "in pg_release's ledger (release.migrations) in that same transaction.  The first\n"
		   "risky file without an approval for its exact content is recorded as awaiting\n"
		   "approval and apply stops there.  One apply at a time per database.\n\n");
	printf("Options:\n"
		   "  -d, --dsn=DSN                libpq connection string (default: PG* environment)\n"
		   "  -n, --dry-run                classify and compare with the ledger; change nothing\n"
		   "      --lock-timeout=TIME      lock_timeout for every migration (default 5s)\n"
		   "      --statement-timeout=TIME statement_timeout for every migration (default 30min,\n"
		   "                               0 = none)\n"
		   "      --wait=SECONDS           wait this long for another apply to finish (default 0)\n"
		   "      --small-table=SIZE       tables below SIZE (default 10MB, 0 = off) are not risky\n"
		   "                               for locking rules, lock_timeout being set\n"
		   "  -f, --format=FORMAT          text (default) or json (progress then goes to stderr)\n"
		   "      --pg-version=VERSION     --max-lock-timeout=TIME  as for check (no --allow:\n"
		   "                               use in-file gatekeeper:allow directives)\n"
		   "  -h, --help                   show this help and exit\n\n");
	printf("Exit codes: 0 all applied, 2 unparsable SQL, 3 usage, 4 database (cannot connect,\n"
		   "pg_release missing, another apply running), 5 a risky file awaits approval (or\n"
		   "was rejected), 6 a migration failed (rolled back, recorded failed), 7 drift (an\n"
		   "applied migration changed; nothing ran).\n");
}

/* Progress of apply: stdout for text, stderr when stdout carries JSON */
static void
apply_progress(void *ctx, const char *line)
{
	FILE	   *out = ctx ? (FILE *) ctx : stdout;

	fprintf(out, "%s\n", line);
	fflush(out);
}

/* Parse a duration option ("5s", "2000ms", "0") into ms */
static bool
parse_timeout_opt(const char *arg, long *ms, bool zero_ok)
{
	if (!gk_parse_duration_ms(arg, ms))
		return false;
	return zero_ok ? *ms >= 0 : *ms > 0;
}

/*
 * gatekeeper apply --dsn DSN [options] PATH...
 */
static int
cmd_apply(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"dsn", required_argument, NULL, 'd'},
		{"dry-run", no_argument, NULL, 'n'},
		{"lock-timeout", required_argument, NULL, 'L'},
		{"statement-timeout", required_argument, NULL, 'S'},
		{"wait", required_argument, NULL, 'w'},
		{"small-table", required_argument, NULL, 's'},
		{"format", required_argument, NULL, 'f'},
		{"pg-version", required_argument, NULL, 'p'},
		{"allow", required_argument, NULL, 'a'},
		{"max-lock-timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	gk_apply_options ao;
	gk_apply_result res;
	const char **allow = NULL;
	bool		json = false;
	char	   *end;
	long		v;
	int			c;
	int			rc;

	gk_apply_options_init(&ao);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+d:nf:a:h", long_opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				ao.dsn = optarg;
				break;
			case 'n':
				ao.dry_run = true;
				break;
			case 'L':
				if (!parse_timeout_opt(optarg, &ao.lock_timeout_ms, false))
				{
					free(allow);
					return usage_error("invalid --lock-timeout \"%s\" (expected e.g. 5s or 2000ms, not 0)", optarg);
				}
				break;
			case 'S':
				if (!parse_timeout_opt(optarg, &ao.statement_timeout_ms, true))
				{
					free(allow);
					return usage_error("invalid --statement-timeout \"%s\" (expected e.g. 30min, 60s or 0)", optarg);
				}
				break;
			case 'w':
				v = strtol(optarg, &end, 10);
				if (end == optarg || *end != '\0' || v < 0 || v > 86400)
				{
					free(allow);
					return usage_error("invalid --wait \"%s\" (expected seconds, 0 to 86400)", optarg);
				}
				ao.wait_s = (int) v;
				break;
			case 's':
				if (!gk_parse_size_bytes(optarg, &ao.small_table_bytes))
				{
					free(allow);
					return usage_error("invalid --small-table \"%s\" (expected e.g. 10MB, 512kB or 0)", optarg);
				}
				break;
			case 'f':
				if (strcmp(optarg, "json") == 0)
					json = true;
				else if (strcmp(optarg, "text") != 0)
				{
					free(allow);
					return usage_error("unknown format \"%s\" (expected text or json)", optarg);
				}
				break;
			case 'p':
				if (!parse_pg_version(optarg, &ao.check.pg_version))
				{
					free(allow);
					return usage_error("invalid --pg-version \"%s\" (expected e.g. 15 or 15.4)", optarg);
				}
				break;
			case 'a':
				/*
				 * The ledger trusts the verdict apply sends: an allow list on
				 * the pipeline's command line would turn a risky file safe
				 * without anyone reviewing it.  In-file directives are part
				 * of the reviewed file (and of its checksum).
				 */
				free(allow);
				return usage_error("%s", "apply does not take --allow: put \"-- gatekeeper:allow RULE reason\" "
								   "in the migration, where review sees it");
			case 't':
				if (!parse_timeout_opt(optarg, &ao.check.max_lock_timeout_ms, false))
				{
					free(allow);
					return usage_error("invalid --max-lock-timeout \"%s\" (expected e.g. 5s or 2000ms)", optarg);
				}
				break;
			case 'h':
				help_apply();
				free(allow);
				return GK_EXIT_SAFE;
			default:
				free(allow);
				if (optopt)
					return usage_error("option -%s needs an argument", (char[]) {(char) optopt, '\0'});
				return usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc)
	{
		free(allow);
		return usage_error("%s", "apply needs at least one PATH");
	}
	ao.progress = apply_progress;
	ao.progress_ctx = json ? stderr : NULL;

	rc = gk_apply_run(&ao, argv + optind, argc - optind, &res);
	if (json)
	{
		json_t	   *root = json_object();
		char	   *text;

		json_object_set_new(root, "tool", json_string("gatekeeper"));
		json_object_set_new(root, "command", json_string("apply"));
		json_object_set_new(root, "dry_run", json_boolean(ao.dry_run));
		json_object_set_new(root, "exit_code", json_integer(rc));
		json_object_set_new(root, "message", json_string(res.message));
		json_object_set_new(root, "applied", json_integer(res.applied));
		json_object_set_new(root, "already_applied", json_integer(res.skipped));
		json_object_set_new(root, "files", json_incref(res.files));
		text = json_dumps(root, JSON_INDENT(2));
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(root);
	}
	else if (rc == GK_EXIT_SAFE)
		printf("%s: %s%d applied, %d already applied\n", progname,
			   ao.dry_run ? "dry run: would have " : "", res.applied, res.skipped);
	if (rc == GK_EXIT_WAITING)
		fprintf(stderr, "%s: %s\n", progname, res.message);
	else if (rc != GK_EXIT_SAFE)
		fprintf(stderr, "%s: error: %s\n", progname, res.message);
	gk_apply_result_free(&res);
	free(allow);
	if (fflush(stdout) != 0)
		return GK_EXIT_USAGE;
	return rc;
}

static void
help_decide(const char *cmd)
{
	bool		approve = strcmp(cmd, "approve") == 0;

	printf("%s a migration waiting in pg_release's ledger (role migration_approver).\n\n",
		   approve ? "Approve" : "Reject");
	printf("Usage:\n  %s %s --dsn DSN %s [--note TEXT] NAME\n\n", progname, cmd,
		   approve ? "--checksum SHA256" : "[--checksum SHA256]");
	printf("NAME is the migration's file name as shown by \"gatekeeper status\".  The %s\n"
		   "binds to the file's checksum: pass --checksum with the checksum of the report\n"
		   "you reviewed (required for approve; a reject without it uses the ledger's).\n\n",
		   approve ? "approval" : "decision");
	printf("Options:\n"
		   "  -d, --dsn=DSN        libpq connection string (default: PG* environment)\n"
		   "  -c, --checksum=HEX   the SHA-256 of the file you reviewed (64 hex digits)\n"
		   "  -m, --note=TEXT      the reason, kept in the ledger and the audit log\n"
		   "  -h, --help           show this help and exit\n\n");
	printf("Exit codes: 0 done, 3 usage, 4 database (including a refusal by the server,\n"
		   "e.g. a checksum that is not the ledger's).\n");
}

/*
 * gatekeeper approve|reject --dsn DSN [--checksum HEX] [--note TEXT] NAME
 */
static int
cmd_decide(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"dsn", required_argument, NULL, 'd'},
		{"checksum", required_argument, NULL, 'c'},
		{"note", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	bool		approve = strcmp(argv[0], "approve") == 0;
	const char *dsn = "";
	const char *checksum = NULL;
	const char *note = NULL;
	char		errbuf[1024];
	char		schema[128];
	char		used[GK_SHA256_HEX_LEN + 1];
	gk_sql_error e;
	gk_db	   *db;
	int			c;
	int			found;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+d:c:m:h", long_opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				dsn = optarg;
				break;
			case 'c':
				checksum = optarg;
				break;
			case 'm':
				note = optarg;
				break;
			case 'h':
				help_decide(argv[0]);
				return GK_EXIT_SAFE;
			default:
				if (optopt)
					return usage_error("option -%s needs an argument", (char[]) {(char) optopt, '\0'});
				return usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s needs the NAME of a migration", argv[0]);
	if (optind + 1 < argc)
		return usage_error("unexpected argument \"%s\" (one NAME at a time)", argv[optind + 1]);
	if (checksum != NULL && (strlen(checksum) != GK_SHA256_HEX_LEN ||
							 strspn(checksum, "0123456789abcdef") != GK_SHA256_HEX_LEN))
		return usage_error("invalid --checksum \"%s\" (expected 64 lower-case hex digits)", checksum);
	/* an approval names what was reviewed, never "whatever the ledger holds now" */
	if (approve && checksum == NULL)
		return usage_error("%s", "approve needs --checksum: the SHA-256 of the file you reviewed "
						   "(gatekeeper status shows it)");

	db = db_connect_app(dsn, approve ? "gatekeeper approve" : "gatekeeper reject", errbuf, sizeof(errbuf));
	if (db == NULL)
	{
		fprintf(stderr, "%s: error: %s\n", progname, errbuf);
		return GK_EXIT_DATABASE;
	}
	found = db_release_schema(db, schema, sizeof(schema), &e);
	if (found != 1)
	{
		fprintf(stderr, "%s: error: %s\n", progname,
				found < 0 ? e.message : "pg_release (with its migration ledger) is not installed in this database");
		db_close(db);
		return GK_EXIT_DATABASE;
	}
	if (!db_migration_decide(db, schema, approve, argv[optind], checksum, note, used, &e))
	{
		fprintf(stderr, "%s: error: %s%s%s\n", progname, e.sqlstate[0] ? e.sqlstate : "",
				e.sqlstate[0] ? ": " : "", e.message);
		db_close(db);
		return GK_EXIT_DATABASE;
	}
	printf("%s %s (checksum %s)%s\n", approve ? "approved" : "rejected", argv[optind], used,
		   approve ? "; the next gatekeeper apply runs it" : "");
	db_close(db);
	return GK_EXIT_SAFE;
}

static void
help_status(void)
{
	printf("Show pg_release's migration ledger: applied, waiting, approved, failed, rejected.\n\n");
	printf("Usage:\n  %s status --dsn DSN [--format text|json]\n\n", progname);
	printf("Options:\n"
		   "  -d, --dsn=DSN        libpq connection string (default: PG* environment)\n"
		   "  -f, --format=FORMAT  text (default) or json\n"
		   "  -h, --help           show this help and exit\n\n");
	printf("Exit codes: 0 shown, 3 usage, 4 database.\n");
}

/*
 * gatekeeper status --dsn DSN [--format text|json]
 */
static int
cmd_status(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"dsn", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	static const char *const states[] = {
		"applied", "awaiting_approval", "approved", "applying", "failed", "rejected", NULL
	};
	const char *dsn = "";
	bool		json = false;
	char		errbuf[1024];
	char		schema[128];
	gk_sql_error e;
	gk_db	   *db;
	char	   *text;
	json_t	   *rows;
	json_t	   *summary;
	size_t		i;
	int			c;
	int			s;
	int			found;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+d:f:h", long_opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				dsn = optarg;
				break;
			case 'f':
				if (strcmp(optarg, "json") == 0)
					json = true;
				else if (strcmp(optarg, "text") != 0)
					return usage_error("unknown format \"%s\" (expected text or json)", optarg);
				break;
			case 'h':
				help_status();
				return GK_EXIT_SAFE;
			default:
				if (optopt)
					return usage_error("option -%s needs an argument", (char[]) {(char) optopt, '\0'});
				return usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);

	db = db_connect_app(dsn, "gatekeeper status", errbuf, sizeof(errbuf));
	if (db == NULL)
	{
		fprintf(stderr, "%s: error: %s\n", progname, errbuf);
		return GK_EXIT_DATABASE;
	}
	found = db_release_schema(db, schema, sizeof(schema), &e);
	text = found == 1 ? db_migrations_json(db, &e) : NULL;
	db_close(db);
	if (text == NULL)
	{
		fprintf(stderr, "%s: error: %s\n", progname,
				found == 1 || found < 0 ? e.message :
				"pg_release (with its migration ledger) is not installed in this database");
		return GK_EXIT_DATABASE;
	}
	rows = json_loads(text, 0, NULL);
	free(text);
	if (rows == NULL || !json_is_array(rows))
	{
		fprintf(stderr, "%s: error: unreadable ledger\n", progname);
		json_decref(rows);
		return GK_EXIT_DATABASE;
	}
	summary = json_object();
	for (s = 0; states[s] != NULL; s++)
	{
		int			n = 0;

		for (i = 0; i < json_array_size(rows); i++)
			if (strcmp(json_string_value(json_object_get(json_array_get(rows, i), "status")) ?
					   json_string_value(json_object_get(json_array_get(rows, i), "status")) : "",
					   states[s]) == 0)
				n++;
		json_object_set_new(summary, states[s], json_integer(n));
	}
	if (json)
	{
		json_t	   *root = json_object();
		char	   *out;

		json_object_set_new(root, "migrations", json_incref(rows));
		json_object_set_new(root, "summary", json_incref(summary));
		out = json_dumps(root, JSON_INDENT(2));
		if (out)
			printf("%s\n", out);
		free(out);
		json_decref(root);
	}
	else
	{
		printf("%-40s %-18s %-6s %-12s %s\n", "migration", "status", "risk", "checksum", "by / note / error");
		for (i = 0; i < json_array_size(rows); i++)
		{
			json_t	   *r = json_array_get(rows, i);
			const char *st = json_string_value(json_object_get(r, "status"));
			const char *who = NULL;
			const char *why = json_string_value(json_object_get(r, "note"));
			const char *error = json_string_value(json_object_get(r, "error"));
			const char *sum = json_string_value(json_object_get(r, "checksum"));
			char		extra[512];

			st = st ? st : "?";
			if (strcmp(st, "applied") == 0)
				who = json_string_value(json_object_get(r, "applied_by"));
			else if (strcmp(st, "approved") == 0)
				who = json_string_value(json_object_get(r, "approved_by"));
			else if (strcmp(st, "rejected") == 0)
				who = json_string_value(json_object_get(r, "rejected_by"));
			else
				who = json_string_value(json_object_get(r, "requested_by"));
			snprintf(extra, sizeof(extra), "%s%s%s", who ? who : "", why ? ": " : "", why ? why : "");
			if (strcmp(st, "failed") == 0 && error)
			{
				size_t		n = strcspn(error, "\n");

				snprintf(extra, sizeof(extra), "%.*s", (int) (n < 400 ? n : 400), error);
			}
			else if (strcmp(st, "applying") == 0)
				snprintf(extra, sizeof(extra), "%lld statements done",
						 (long long) json_integer_value(json_object_get(r, "statements_done")));
			printf("%-40s %-18s %-6s %.12s %s\n",
				   json_string_value(json_object_get(r, "name")), st,
				   json_string_value(json_object_get(r, "verdict")) ?
				   json_string_value(json_object_get(r, "verdict")) : "", sum ? sum : "", extra);
		}
		printf("\n");
		for (s = 0; states[s] != NULL; s++)
			printf("%s%s %lld", s ? ", " : "", states[s],
				   (long long) json_integer_value(json_object_get(summary, states[s])));
		printf("\n");
	}
	json_decref(summary);
	json_decref(rows);
	return fflush(stdout) == 0 ? GK_EXIT_SAFE : GK_EXIT_USAGE;
}

/* Global options, then dispatch to the subcommand */
int
main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int			c;
	int			i;
	int			rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", long_opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				help_main();
				return GK_EXIT_SAFE;
			case 'V':
				printf("%s %s\n", progname, GK_VERSION);
				return GK_EXIT_SAFE;
			default:
				return usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no command given");
	for (i = 0; commands[i].name != NULL; i++)
	{
		if (strcmp(argv[optind], commands[i].name) == 0)
		{
			rc = commands[i].fn(argc - optind, argv + optind);
			return rc;
		}
	}
	return usage_error("unknown command \"%s\"", argv[optind]);
}
