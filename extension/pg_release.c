/*-------------------------------------------------------------------------
 *
 * pg_release.c
 *		Module entry point of the pg_release extension.
 *
 * Feature flags and a migration gatekeeper inside PostgreSQL.  _PG_init
 * registers the flag cache's relcache callback.  Flags work without
 * shared_preload_libraries: the library is loaded by the first call of one
 * of its functions in each backend.  Preloaded, it also sets up the
 * shared-memory counters (stats.c) and the guard worker (guard.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "guard.h"
#include "pg_release.h"
#include "stats.h"

PG_MODULE_MAGIC;

/*
 * pg_release.note: the reason recorded in release.audit_log for changes made
 * by direct SQL (the management functions take a note argument instead and
 * set it for the duration of the call).  Read by the audit trigger through
 * current_setting(); the C code only has to define it, because the reserved
 * "pg_release" prefix refuses undefined names once the library is loaded.
 */
static char *release_note = NULL;

void		_PG_init(void);

/* Called once per backend when the library is loaded. */
void
_PG_init(void)
{
	flag_cache_register_callbacks();

	DefineCustomStringVariable("pg_release.note",
							   "Reason recorded in the audit log for changes to flag data.",
							   "Set it (preferably with SET LOCAL) before changing flag data with direct SQL; "
							   "the management functions take a note argument instead.",
							   &release_note,
							   NULL,
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	/*
	 * Counters and the guard need shared memory and a worker, so only when
	 * preloaded; pg_upgrade's binary-upgrade server needs neither.
	 */
	if (process_shared_preload_libraries_in_progress && !IsBinaryUpgrade)
	{
		stats_init();
		guard_init();
	}

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("pg_release");
#else
	EmitWarningsOnPlaceholders("pg_release");
#endif
}
