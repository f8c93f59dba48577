/*-------------------------------------------------------------------------
 *
 * flag_cache.c
 *		Backend-local cache of compiled feature flags.
 *
 * Evaluation must not run SQL per call, so each backend keeps every live
 * flag compiled in a hash table, segments inlined into the strategies that
 * use them and dependency parents resolved to pointers.  A statement-level
 * C trigger on the flag tables (release.flags and release.segments,
 * flag_cache_invalidate) sends a relcache invalidation for release.flags; our relcache callback marks the cache stale and the next
 * evaluation reloads it.  Invalidations are transactional and WAL-logged,
 * so aborted changes are never seen and hot standbys follow replay.
 *
 * Ownership: the cache lives in its own context under CacheMemoryContext.
 * A reload builds a complete new copy and swaps it in only once it loaded;
 * flag_cache_generation changes on every swap, and callers holding a
 * CompiledFlag pointer must re-resolve it when the generation moved.
 *
 * The relcache callback runs inside invalidation processing: it only sets
 * variables, never errors and never touches catalogs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "pg_release.h"
#include "stats.h"

/* String keys are the default hashing before PostgreSQL 14. */
#if PG_VERSION_NUM >= 140000
#define FLAG_HASH_STRINGS HASH_STRINGS
#else
#define FLAG_HASH_STRINGS 0
#endif

/* Bumped whenever a new cache copy is swapped in. */
uint64		flag_cache_generation = 0;

static MemoryContext flag_cache_cxt = NULL;
static HTAB *flag_cache_hash = NULL;
static bool flag_cache_valid = false;

/* release.flags as last resolved; InvalidOid until the first load. */
static Oid	flag_cache_relid = InvalidOid;

/* Counts callbacks, so a load can tell whether one arrived while it ran. */
static uint64 flag_cache_inval_count = 0;

/*
 * A cache loaded with the statement's snapshot instead of the latest one
 * (only in parallel mode, where no new snapshot may be taken) may miss
 * commits whose invalidations this backend has already consumed; it is
 * trusted only until the next statement.
 */
static bool flag_cache_provisional = false;

PG_FUNCTION_INFO_V1(flag_cache_invalidate);

/*
 * Relcache callback.  InvalidOid means "all relations" (e.g. after a sinval
 * queue overflow).  While the table OID is unknown, any relcache event may
 * concern it, so we invalidate too.  Dropping the OID on a hit makes the next
 * load resolve the table again, which matters after DROP/CREATE EXTENSION.
 */
static void
flag_cache_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || flag_cache_relid == InvalidOid ||
		relid == flag_cache_relid)
	{
		flag_cache_valid = false;
		flag_cache_inval_count++;
		if (relid != InvalidOid)
			flag_cache_relid = InvalidOid;
	}
}

/*
 * Register the callback.  The process-wide slots are few
 * (MAX_RELCACHE_CALLBACKS), so this must run once per backend: _PG_init.
 */
void
flag_cache_register_callbacks(void)
{
	CacheRegisterRelcacheCallback(flag_cache_relcache_callback, (Datum) 0);
}

/* Find release.flags; InvalidOid when the extension is not installed here. */
static Oid
flag_cache_flags_relid(void)
{
	Oid			nsp = get_namespace_oid("release", true);

	if (!OidIsValid(nsp))
		return InvalidOid;
	return get_relname_relid("flags", nsp);
}

/* Column number of a release.flags column, found by name (upgrade-proof). */
static int
flag_cache_attnum(TupleDesc desc, const char *name)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return i + 1;
	}
	elog(ERROR, "release.flags has no column \"%s\"", name);
	return 0;					/* keep compiler quiet */
}

/*
 * Read release.segments into a hash id -> constraint list, copied into
 * tmpcxt: the flags' strategies inline them while they compile.  Empty
 * when the table does not exist.
 */
static HTAB *
flag_cache_read_segments(Oid nsp, Snapshot snapshot, MemoryContext tmpcxt)
{
	HASHCTL		ctl;
	HTAB	   *hash;
	Oid			relid;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	TupleDesc	desc;
	int			att_id,
				att_constraints;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int32);
	ctl.entrysize = sizeof(SegmentEntry);
	ctl.hcxt = tmpcxt;
	hash = hash_create("pg_release segments", 16, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	relid = OidIsValid(nsp) ? get_relname_relid("segments", nsp) : InvalidOid;
	if (!OidIsValid(relid))
		return hash;

	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	att_id = flag_cache_attnum(desc, "id");
	att_constraints = flag_cache_attnum(desc, "constraints");
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d;
		int32		id;
		SegmentEntry *seg;
		MemoryContext oldcxt;

		d = heap_getattr(tuple, att_id, desc, &isnull);
		if (isnull)
			continue;
		id = DatumGetInt32(d);
		d = heap_getattr(tuple, att_constraints, desc, &isnull);
		if (isnull)
			continue;
		seg = hash_search(hash, &id, HASH_ENTER, NULL);
		oldcxt = MemoryContextSwitchTo(tmpcxt);
		seg->constraints = DatumGetJsonbPCopy(d);
		MemoryContextSwitchTo(oldcxt);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return hash;
}

/*
 * Read release.flags into a fresh hash table in newcxt.  Archived flags are
 * left out: to evaluation they are unknown keys.  Scanning the heap directly
 * (as pg_cron does) skips SQL permission checks on purpose: any role may
 * evaluate flags, but only flag readers may SELECT their metadata.
 */
static HTAB *
flag_cache_read_flags(Oid relid, Snapshot snapshot, MemoryContext newcxt)
{
	HASHCTL		ctl;
	HTAB	   *hash;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	TupleDesc	desc;
	int			att_key,
				att_enabled,
				att_strategies,
				att_variants,
				att_dependencies,
				att_archived;
	MemoryContext tmpcxt;
	MemoryContext segcxt;
	MemoryContext oldcxt;
	HTAB	   *segments;
	CompileReport report;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = FLAG_KEY_MAX_BYTES + 1;
	ctl.entrysize = sizeof(CompiledFlag);
	ctl.hcxt = newcxt;
	hash = hash_create("pg_release flags", 64, &ctl,
					   HASH_ELEM | FLAG_HASH_STRINGS | HASH_CONTEXT);

	if (!OidIsValid(relid))
		return hash;

	/* children of newcxt: an error during the load frees them with it */
	tmpcxt = AllocSetContextCreate(newcxt,
								   "pg_release flag load",
								   ALLOCSET_DEFAULT_SIZES);
	segcxt = AllocSetContextCreate(newcxt,
								   "pg_release segment load",
								   ALLOCSET_DEFAULT_SIZES);
	segments = flag_cache_read_segments(get_rel_namespace(relid), snapshot, segcxt);
	memset(&report, 0, sizeof(report));
	report.mode = COMPILE_CACHE;

	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	att_key = flag_cache_attnum(desc, "key");
	att_enabled = flag_cache_attnum(desc, "enabled");
	att_strategies = flag_cache_attnum(desc, "strategies");
	att_variants = flag_cache_attnum(desc, "variants");
	att_dependencies = flag_cache_attnum(desc, "dependencies");
	att_archived = flag_cache_attnum(desc, "archived_at");

	scan = table_beginscan(rel, snapshot, 0, NULL);
	oldcxt = MemoryContextSwitchTo(tmpcxt);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d;
		text	   *key;
		int			keylen;
		char		keybuf[FLAG_KEY_MAX_BYTES + 1];
		CompiledFlag *flag;
		bool		found;

		(void) heap_getattr(tuple, att_archived, desc, &isnull);
		if (!isnull)
			continue;

		d = heap_getattr(tuple, att_key, desc, &isnull);
		if (isnull)
			continue;
		key = DatumGetTextPP(d);
		keylen = VARSIZE_ANY_EXHDR(key);
		if (keylen == 0 || keylen > FLAG_KEY_MAX_BYTES)
			continue;			/* the table's CHECK forbids it */
		memcpy(keybuf, VARDATA_ANY(key), keylen);
		keybuf[keylen] = '\0';

		flag = hash_search(hash, keybuf, HASH_ENTER, &found);
		d = heap_getattr(tuple, att_enabled, desc, &isnull);
		flag->enabled = !isnull && DatumGetBool(d);
		flag->n_strategies = 0;
		flag->strategies = NULL;
		flag->variants = NULL;
		flag->n_dependencies = 0;
		flag->dependencies = NULL;
		/* counters live as long as the server: the pointer stays valid */
		flag->stats = stats_entry(keybuf, keylen);

		d = heap_getattr(tuple, att_strategies, desc, &isnull);
		if (!isnull)
			flag_compile_strategies(flag, DatumGetJsonbP(d), segments, &report, newcxt);
		d = heap_getattr(tuple, att_variants, desc, &isnull);
		if (!isnull)
		{
			Jsonb	   *variants = DatumGetJsonbP(d);

			if (JB_ROOT_IS_ARRAY(variants) && !JB_ROOT_IS_SCALAR(variants))
				flag->variants = variant_compile_list(&variants->root, flag->key,
													  NULL, &report, newcxt);
		}
		d = heap_getattr(tuple, att_dependencies, desc, &isnull);
		if (!isnull)
			flag_compile_dependencies(flag, DatumGetJsonbP(d), &report, newcxt);

		MemoryContextReset(tmpcxt);
	}
	MemoryContextSwitchTo(oldcxt);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	MemoryContextDelete(tmpcxt);
	MemoryContextDelete(segcxt);

	flag_compile_resolve_dependencies(hash);
	return hash;
}

/*
 * Build a new cache copy and swap it in.  The copy is marked valid only if
 * no invalidation arrived between taking the lock (which processes pending
 * invalidations) and the end of the scan; otherwise the next call reloads.
 */
static void
flag_cache_reload(void)
{
	MemoryContext newcxt;
	HTAB	   *volatile newhash = NULL;
	volatile Oid relid;
	uint64		inval_count;
	Snapshot	snapshot;
	bool		provisional;

	relid = flag_cache_flags_relid();
	if (OidIsValid(relid))
		LockRelationOid(relid, AccessShareLock);
	inval_count = flag_cache_inval_count;

	/*
	 * The latest snapshot, not the transaction's: a REPEATABLE READ
	 * transaction must not leave behind a cache that misses commits whose
	 * invalidations it has already consumed.
	 */
	provisional = IsInParallelMode();
	if (provisional)
		snapshot = RegisterSnapshot(GetActiveSnapshot());
	else
		snapshot = RegisterSnapshot(GetLatestSnapshot());

	newcxt = AllocSetContextCreate(CacheMemoryContext,
								   "pg_release flag cache",
								   ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		newhash = flag_cache_read_flags(relid, snapshot, newcxt);
	}
	PG_CATCH();
	{
		MemoryContextDelete(newcxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	UnregisterSnapshot(snapshot);

	if (flag_cache_cxt != NULL)
		MemoryContextDelete(flag_cache_cxt);
	flag_cache_cxt = newcxt;
	flag_cache_hash = newhash;
	flag_cache_generation++;
	flag_cache_relid = relid;
	flag_cache_provisional = provisional;
	flag_cache_valid = (inval_count == flag_cache_inval_count);
}

/*
 * Make the cache current.  Called at the first evaluation of each statement:
 * it also consumes pending invalidations, so that inside an explicit READ
 * COMMITTED transaction the next statement sees flags committed meanwhile.
 */
void
flag_cache_begin_statement(void)
{
	AcceptInvalidationMessages();

	/*
	 * A copy loaded with an earlier statement's snapshot may miss commits
	 * whose invalidations were consumed meanwhile: never trust it past that
	 * statement.
	 */
	if (flag_cache_provisional)
		flag_cache_valid = false;
	flag_cache_ensure_loaded();
}

/* Reload when stale; cheap enough for every call. */
void
flag_cache_ensure_loaded(void)
{
	if (unlikely(!flag_cache_valid))
		flag_cache_reload();
}

/*
 * Look a key up in the current cache copy; NULL for unknown or archived
 * keys.  The caller must have called flag_cache_ensure_loaded().
 */
CompiledFlag *
flag_cache_lookup(const char *key, int keylen)
{
	char		keybuf[FLAG_KEY_MAX_BYTES + 1];

	if (keylen <= 0 || keylen > FLAG_KEY_MAX_BYTES || flag_cache_hash == NULL)
		return NULL;
	memcpy(keybuf, key, keylen);
	keybuf[keylen] = '\0';
	return (CompiledFlag *) hash_search(flag_cache_hash, keybuf, HASH_FIND, NULL);
}

/*
 * Statement-level AFTER trigger on the tables the cache reads.  It queues a
 * relcache invalidation of release.flags: applied locally at the next command
 * boundary, broadcast (and WAL-logged) at commit, dropped on abort.
 */
Datum
flag_cache_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("flag_cache_invalidate() must be called as a trigger")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("flag_cache_invalidate() must be fired AFTER ... FOR EACH STATEMENT")));

	relid = flag_cache_flags_relid();
	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);

	return PointerGetDatum(NULL);
}
