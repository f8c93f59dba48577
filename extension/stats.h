/*-------------------------------------------------------------------------
 *
 * stats.h
 *		Shared-memory counters per feature flag (needs shared_preload_libraries).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RELEASE_STATS_H
#define PG_RELEASE_STATS_H

#include "port/atomics.h"

#include "pg_release.h"

/*
 * One flag's counters.  Entries are created once and never removed while
 * the server runs (a reset only zeroes them), so a backend may keep a
 * pointer to an entry for as long as it likes.
 */
typedef struct FlagStats
{
	char		key[FLAG_KEY_MAX_BYTES + 1];	/* hash key: must be first */
	pg_atomic_uint64 evaluations_on;
	pg_atomic_uint64 evaluations_off;
	pg_atomic_uint64 requests;
	pg_atomic_uint64 errors;
} FlagStats;

extern int	stats_max_flags;

extern void stats_init(void);
extern bool stats_available(void);
extern FlagStats *stats_entry(const char *key, int keylen);
extern void stats_count_unknown(void);

/* Count one evaluation; e may be NULL (no shared memory, or table full). */
static inline void
stats_count_evaluation(FlagStats *e, bool result)
{
	if (e != NULL)
		pg_atomic_fetch_add_u64(result ? &e->evaluations_on : &e->evaluations_off, 1);
}

#endif							/* PG_RELEASE_STATS_H */
