/*-------------------------------------------------------------------------
 *
 * guard.c
 *		The guard: a background worker that watches canaries and ramps.
 *
 * Every pg_release.guard_interval it runs one transaction calling
 * release.guard_tick(window) in pg_release.database.  All policy lives in
 * that SQL function (install/guard.sql), so the rollback is an ordinary
 * audited UPDATE that fires the cache trigger, and the logic is testable
 * without the worker.  The worker starts after recovery, so never on a hot
 * standby; on an error it exits and the postmaster restarts it after
 * GUARD_RESTART_SECONDS.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "guard.h"

#define GUARD_RESTART_SECONDS 5

/* A pass that runs longer is cancelled (and the worker restarted). */
#define GUARD_PASS_TIMEOUT_MS (60 * 1000)

static char *guard_database = NULL;
static int	guard_interval_ms = 10000;
static int	guard_window_ms = 60000;

PGDLLEXPORT void guard_main(Datum main_arg);

/* Define the guard's settings and register the worker (preload only). */
void
guard_init(void)
{
	BackgroundWorker worker;

	DefineCustomStringVariable("pg_release.database",
							   "Database in which the pg_release guard worker runs.",
							   NULL,
							   &guard_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("pg_release.guard_interval",
							"Time between two passes of the pg_release guard.",
							NULL,
							&guard_interval_ms,
							10000, 100, 3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_release.guard_window",
							"Window over which the guard computes a canary's error rate.",
							NULL,
							&guard_window_ms,
							60000, 100, 24 * 3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = GUARD_RESTART_SECONDS;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_release");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "guard_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_release guard");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_release guard");
	RegisterBackgroundWorker(&worker);
}

/*
 * One pass: call release.guard_tick() if the extension is installed in this
 * database.  Runs in its own transaction, so everything it allocates lives in
 * transaction contexts and is gone at commit.
 */
static void
guard_run_pass(void)
{
	const char *sql = "SELECT release.guard_tick($1)";
	Oid			argtypes[1] = {INTERVALOID};
	Datum		args[1];
	Interval   *window;
	int			ret;
	bool		installed;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());

	ret = SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_release'",
					  true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "guard: extension lookup failed: %s", SPI_result_code_string(ret));
	installed = SPI_processed > 0;

	if (installed)
	{
		pgstat_report_activity(STATE_RUNNING, sql);
		window = palloc0(sizeof(Interval));
		window->time = (int64) guard_window_ms * 1000;
		args[0] = IntervalPGetDatum(window);
		/* bgworkers get no statement_timeout of their own: arm it by hand */
		enable_timeout_after(STATEMENT_TIMEOUT, GUARD_PASS_TIMEOUT_MS);
		ret = SPI_execute_with_args(sql, 1, argtypes, args, NULL, false, 0);
		disable_timeout(STATEMENT_TIMEOUT, false);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "guard: release.guard_tick() failed: %s", SPI_result_code_string(ret));
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* Entry point of the guard worker. */
void
guard_main(Datum main_arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(guard_database, NULL, 0);
	pgstat_report_appname("pg_release guard");
	/* the audit log names the guard as the actor */
	SetConfigOption("application_name", "pg_release guard", PGC_USERSET, PGC_S_SESSION);

	ereport(LOG,
			(errmsg("pg_release guard started in database \"%s\", interval %d ms, window %d ms",
					guard_database, guard_interval_ms, guard_window_ms)));

	for (;;)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 guard_interval_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		guard_run_pass();
	}
}
