/*-------------------------------------------------------------------------
 *
 * stats.c
 *		Shared-memory counters per feature flag: evaluations (on/off),
 *		outcome reports (requests/errors) and unknown-key lookups.
 *
 * Available only when pg_release is in shared_preload_libraries.  The
 * counters are plain atomics: no WAL, no lock held across calls.  They are
 * per server (a hot standby keeps its own) and start from zero at restart;
 * the guard (guard.sql) turns them into windows and minute aggregates.
 *
 * Locking: the hash table is protected by one LWLock of the named tranche
 * "pg_release".  Lookups take it shared; creating an entry takes it
 * exclusive.  Entries are never removed (a reset zeroes them), so pointers
 * to entries stay valid for the life of the server and counters are updated
 * without the lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "stats.h"

/* The fixed part of the shared state. */
typedef struct ReleaseSharedState
{
	LWLock	   *lock;			/* protects the hash table's structure */
	pg_atomic_uint64 unknown_lookups;	/* evaluations of unknown keys */
	pg_atomic_uint64 untracked;	/* counts lost because the table was full */
	TimestampTz reset_at;		/* last reset (or server start) */
} ReleaseSharedState;

int			stats_max_flags = 1000;

/*
 * Largest count one report may add.  It keeps the 64-bit counters (and the
 * guard's sums of them) far from overflow for the life of any server.
 */
#define STATS_MAX_REPORT INT64CONST(1000000000)

static ReleaseSharedState *release_shared = NULL;
static HTAB *release_stats_hash = NULL;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

PG_FUNCTION_INFO_V1(flag_report_counts);
PG_FUNCTION_INFO_V1(flag_report_event);
PG_FUNCTION_INFO_V1(flag_counters);
PG_FUNCTION_INFO_V1(flag_counters_reset);

static Size
stats_memsize(void)
{
	return add_size(MAXALIGN(sizeof(ReleaseSharedState)),
					hash_estimate_size(stats_max_flags, sizeof(FlagStats)));
}

/* Ask for our shared memory and lock (PG15: only allowed in this hook). */
static void
stats_shmem_request(void)
{
#if PG_VERSION_NUM >= 150000
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
#endif
	RequestAddinShmemSpace(stats_memsize());
	RequestNamedLWLockTranche("pg_release", 1);
}

/* Create or attach to the shared state (postmaster, and EXEC_BACKEND children). */
static void
stats_shmem_startup(void)
{
	bool		found;
	HASHCTL		info;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	/* reset in case this is a restart within the postmaster */
	release_shared = NULL;
	release_stats_hash = NULL;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	release_shared = ShmemInitStruct("pg_release", sizeof(ReleaseSharedState), &found);
	if (!found)
	{
		release_shared->lock = &(GetNamedLWLockTranche("pg_release"))->lock;
		pg_atomic_init_u64(&release_shared->unknown_lookups, 0);
		pg_atomic_init_u64(&release_shared->untracked, 0);
		release_shared->reset_at = GetCurrentTimestamp();
	}

	memset(&info, 0, sizeof(info));
	info.keysize = FLAG_KEY_MAX_BYTES + 1;
	info.entrysize = sizeof(FlagStats);
	/* keys are zero-padded fixed arrays, so binary hashing is exact */
	release_stats_hash = ShmemInitHash("pg_release flag stats",
									   stats_max_flags, stats_max_flags,
									   &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Called from _PG_init while shared_preload_libraries is processed: define
 * the size setting and install the shared-memory hooks.
 */
void
stats_init(void)
{
	DefineCustomIntVariable("pg_release.max_tracked_flags",
							"Maximum number of flags with shared-memory counters.",
							"Flags beyond this are evaluated normally but not counted.",
							&stats_max_flags,
							1000, 16, 1000000,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = stats_shmem_request;
#else
	stats_shmem_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = stats_shmem_startup;
}

bool
stats_available(void)
{
	return release_shared != NULL;
}

/* Raise a clear error when the counters are not there. */
static void
stats_require(void)
{
	if (!stats_available())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_release counters need shared memory"),
				 errdetail("pg_release is not in shared_preload_libraries."),
				 errhint("Add pg_release to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/*
 * The counters of a flag, created on first use; NULL without shared memory
 * or when the table is full (the loss is counted in "untracked").
 */
FlagStats *
stats_entry(const char *key, int keylen)
{
	char		keybuf[FLAG_KEY_MAX_BYTES + 1];
	FlagStats  *e;
	bool		found;

	if (!stats_available() || keylen <= 0 || keylen > FLAG_KEY_MAX_BYTES)
		return NULL;
	memset(keybuf, 0, sizeof(keybuf));
	memcpy(keybuf, key, keylen);

	LWLockAcquire(release_shared->lock, LW_SHARED);
	e = hash_search(release_stats_hash, keybuf, HASH_FIND, NULL);
	LWLockRelease(release_shared->lock);
	if (e != NULL)
		return e;

	/*
	 * A shared hash table grows into the shared-memory slack other
	 * subsystems need (the lock table): stop at the configured size.
	 */
	LWLockAcquire(release_shared->lock, LW_EXCLUSIVE);
	e = hash_search(release_stats_hash, keybuf, HASH_FIND, NULL);
	if (e == NULL && hash_get_num_entries(release_stats_hash) < stats_max_flags)
		e = hash_search(release_stats_hash, keybuf, HASH_ENTER_NULL, &found);
	else
		found = true;
	if (e != NULL && !found)
	{
		pg_atomic_init_u64(&e->evaluations_on, 0);
		pg_atomic_init_u64(&e->evaluations_off, 0);
		pg_atomic_init_u64(&e->requests, 0);
		pg_atomic_init_u64(&e->errors, 0);
	}
	LWLockRelease(release_shared->lock);
	if (e == NULL)
		pg_atomic_fetch_add_u64(&release_shared->untracked, 1);
	return e;
}

void
stats_count_unknown(void)
{
	if (release_shared != NULL)
		pg_atomic_fetch_add_u64(&release_shared->unknown_lookups, 1);
}

/*
 * Record outcomes for a known, live flag.  Returns false (and records
 * nothing) for unknown or archived keys, like flag_enabled(): reporting
 * must never break the application.
 */
static bool
stats_report(text *key, int64 requests, int64 errors)
{
	CompiledFlag *flag;
	FlagStats  *e;

	stats_require();
	if (requests < 0 || errors < 0 || errors > requests ||
		requests > STATS_MAX_REPORT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid outcome report: %lld requests, %lld errors",
						(long long) requests, (long long) errors),
				 errdetail("Counts must be between 0 and %lld, and errors cannot exceed requests.",
						   (long long) STATS_MAX_REPORT)));

	flag_cache_ensure_loaded();
	flag = flag_cache_lookup(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
	if (flag == NULL)
		return false;
	e = stats_entry(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
	if (e == NULL)
		return false;
	pg_atomic_fetch_add_u64(&e->requests, (uint64) requests);
	pg_atomic_fetch_add_u64(&e->errors, (uint64) errors);
	return true;
}

/* Set up a materialized set-returning call (SetSingleFuncCall before PG15). */
static void
stats_materialize(FunctionCallInfo fcinfo)
{
#if PG_VERSION_NUM >= 150000
	SetSingleFuncCall(fcinfo, 0);
#else
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	tupdesc;
	MemoryContext oldcxt;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(oldcxt);
#endif
}

/* flag_report(key text, requests bigint, errors bigint) → boolean */
Datum
flag_report_counts(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("requests and errors must not be null")));
	PG_RETURN_BOOL(stats_report(PG_GETARG_TEXT_PP(0), PG_GETARG_INT64(1), PG_GETARG_INT64(2)));
}

/* flag_report(key text, ok boolean) → boolean: one request, failed unless ok */
Datum
flag_report_event(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ok must not be null")));
	PG_RETURN_BOOL(stats_report(PG_GETARG_TEXT_PP(0), 1, PG_GETARG_BOOL(1) ? 0 : 1));
}

/*
 * release.flag_counters(): one row per counted flag (key, evaluations_on,
 * evaluations_off, requests, errors), plus a row with a NULL key holding the
 * unknown-key lookups in evaluations_off and the untracked counts in errors.
 */
Datum
flag_counters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS status;
	FlagStats  *e;
	Datum		values[6];
	bool		nulls[6];
	TimestampTz reset_at;

	stats_require();
	stats_materialize(fcinfo);

	LWLockAcquire(release_shared->lock, LW_SHARED);
	reset_at = release_shared->reset_at;
	hash_seq_init(&status, release_stats_hash);
	while ((e = hash_seq_search(&status)) != NULL)
	{
		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(e->key);
		values[1] = Int64GetDatum((int64) pg_atomic_read_u64(&e->evaluations_on));
		values[2] = Int64GetDatum((int64) pg_atomic_read_u64(&e->evaluations_off));
		values[3] = Int64GetDatum((int64) pg_atomic_read_u64(&e->requests));
		values[4] = Int64GetDatum((int64) pg_atomic_read_u64(&e->errors));
		values[5] = TimestampTzGetDatum(reset_at);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	memset(nulls, 0, sizeof(nulls));
	nulls[0] = true;
	values[1] = Int64GetDatum(0);
	values[2] = Int64GetDatum((int64) pg_atomic_read_u64(&release_shared->unknown_lookups));
	values[3] = Int64GetDatum(0);
	values[4] = Int64GetDatum((int64) pg_atomic_read_u64(&release_shared->untracked));
	values[5] = TimestampTzGetDatum(reset_at);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	LWLockRelease(release_shared->lock);

	return (Datum) 0;
}

/* flag_counters_reset(): zero every counter (entries stay). */
Datum
flag_counters_reset(PG_FUNCTION_ARGS)
{
	HASH_SEQ_STATUS status;
	FlagStats  *e;

	stats_require();
	LWLockAcquire(release_shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&status, release_stats_hash);
	while ((e = hash_seq_search(&status)) != NULL)
	{
		pg_atomic_write_u64(&e->evaluations_on, 0);
		pg_atomic_write_u64(&e->evaluations_off, 0);
		pg_atomic_write_u64(&e->requests, 0);
		pg_atomic_write_u64(&e->errors, 0);
	}
	pg_atomic_write_u64(&release_shared->unknown_lookups, 0);
	pg_atomic_write_u64(&release_shared->untracked, 0);
	release_shared->reset_at = GetCurrentTimestamp();
	LWLockRelease(release_shared->lock);
	PG_RETURN_VOID();
}
