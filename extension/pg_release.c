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

/*
 * pg_release.on_behalf_of: the person a change is made for, when someone
 * else carries it out (the guard applying a schedule or a ramp step).  The
 * four-eyes trigger excludes this person as well as the session user from
 * approving the change, so setting it can only make the rule stricter.
 */
static char *release_on_behalf_of = NULL;

/*
 * Tracker webhooks (install/tracker.sql reads them with current_setting()):
 * the Jira status and the Trello list that mean "ready for release", and
 * the key prefix for Trello cards whose name carries no task key.
 */
static char *jira_release_status = NULL;
static char *trello_release_list = NULL;
static char *trello_key_prefix = NULL;

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
	DefineCustomStringVariable("pg_release.on_behalf_of",
							   "Person a change to flag data is made for, besides the session user.",
							   "Set by the guard when it applies a schedule or a ramp step; that person "
							   "cannot count as the second pair of eyes either.",
							   &release_on_behalf_of,
							   NULL,
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("pg_release.jira_release_status",
							   "Jira status that creates a task's feature flag (flag_tracker_event).",
							   "Compared case-insensitively with the toString of a status change.",
							   &jira_release_status,
							   "Release",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("pg_release.trello_release_list",
							   "Trello list that creates a card's feature flag (flag_tracker_event).",
							   "Compared case-insensitively with the name of the list a card moved to.",
							   &trello_release_list,
							   "Release",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("pg_release.trello_key_prefix",
							   "Key prefix for Trello cards whose name has no task key.",
							   "The flag key is this prefix followed by the card's idShort.",
							   &trello_key_prefix,
							   "TRELLO-",
							   PGC_SUSET,
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
