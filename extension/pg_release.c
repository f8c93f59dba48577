/*-------------------------------------------------------------------------
 *
 * pg_release.c
 *		Module entry point of the pg_release extension.
 *
 * Feature flags and a migration gatekeeper inside PostgreSQL.  _PG_init
 * registers the flag cache's relcache callback.  The extension works without
 * shared_preload_libraries: the library is loaded by the first call of one
 * of its functions in each backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "pg_release.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Called once per backend when the library is loaded. */
void
_PG_init(void)
{
	flag_cache_register_callbacks();

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("pg_release");
#else
	EmitWarningsOnPlaceholders("pg_release");
#endif
}
