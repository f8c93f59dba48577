/*-------------------------------------------------------------------------
 *
 * flag_eval.c
 *		flag_enabled(): evaluate a feature flag for a user or a context.
 *
 * This is the hot path that applications call on every request, so it runs
 * no SQL and allocates nothing for the common forms: the compiled flag is
 * resolved once per call site (cached in fn_extra, keyed by the flag key
 * and the cache generation) and the rollout bucket reuses the murmur3 state
 * of the "<groupId>:" prefix computed when the cache loaded.
 *
 * A flag is on when it is enabled, its parents (dependencies, one level,
 * resolved to pointers at load) are satisfied, and any strategy matches: the
 * strategy's constraints (its segments inlined at load, constraint.c) AND
 * the strategy itself.  Targeting costs nothing to flags without it: one
 * predictable branch per flag and per strategy.
 *
 * Semantics are Unleash's (see docs/reference.md), with two deliberate
 * choices: a partial rollout without a stickiness id is off, not random,
 * and an unknown or archived key is false, never an error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

#if PG_VERSION_NUM >= 150000
#include "common/pg_prng.h"
#endif

#include "pg_release.h"
#include "stats.h"

/* What a call site remembers between calls (fn_extra). */
typedef struct FlagCallCache
{
	uint64		generation;		/* flag_cache_generation when resolved */
	CompiledFlag *flag;			/* NULL: unknown or archived key */
	int			keylen;			/* -1: nothing resolved yet */
	char		key[FLAG_KEY_MAX_BYTES];
} FlagCallCache;

PG_FUNCTION_INFO_V1(flag_enabled_nouser);
PG_FUNCTION_INFO_V1(flag_enabled_text);
PG_FUNCTION_INFO_V1(flag_enabled_bigint);
PG_FUNCTION_INFO_V1(flag_enabled_uuid);
PG_FUNCTION_INFO_V1(flag_enabled_context);

/* A uniformly random bucket in 1..100, for "random" stickiness. */
static uint32
eval_random_bucket(void)
{
#if PG_VERSION_NUM >= 150000
	return pg_prng_uint32(&pg_global_prng_state) % 100 + 1;
#else
	return (uint32) random() % 100 + 1;
#endif
}

/* Is the id inside the strategy's rollout? */
static inline bool
eval_in_rollout(const CompiledStrategy *s, const char *id, int len)
{
	Murmur3State state = s->group_prefix;

	murmur3_update(&state, id, len);
	return bucket_normalize(murmur3_final(&state), 100) <= (uint32) s->rollout;
}

/* The server's host name, lower-case, for applicationHostname. */
static const char *
eval_server_hostname(void)
{
	static char hostname[256];
	static bool done = false;

	if (!done)
	{
		char	   *p;

		if (gethostname(hostname, sizeof(hostname) - 1) != 0)
			hostname[0] = '\0';
		hostname[sizeof(hostname) - 1] = '\0';
		for (p = hostname; *p; p++)
			*p = pg_ascii_tolower((unsigned char) *p);
		done = true;
	}
	return hostname;
}

/* Evaluate a rollout strategy: pick the sticky id, then compare its bucket. */
static bool
eval_rollout(const CompiledStrategy *s, const EvalContext *ctx, bool *key_missing)
{
	const char *id = NULL;
	int			len = 0;

	if (s->rollout <= 0)
		return false;

	switch (s->stickiness)
	{
		case STICKINESS_DEFAULT:
			if (ctx->user_id)
			{
				id = ctx->user_id;
				len = ctx->user_id_len;
			}
			else if (ctx->session_id)
			{
				id = ctx->session_id;
				len = ctx->session_id_len;
			}
			else
			{
				/*
				 * Unleash would hash a random number here.  We stay
				 * deterministic: only a 100 % rollout includes anonymous
				 * callers, which is also what that random draw gives at 0
				 * and 100.
				 */
				if (s->rollout >= 100)
					return true;
				*key_missing = true;
				return false;
			}
			break;
		case STICKINESS_USER_ID:
			id = ctx->user_id;
			len = ctx->user_id_len;
			break;
		case STICKINESS_SESSION_ID:
			id = ctx->session_id;
			len = ctx->session_id_len;
			break;
		case STICKINESS_RANDOM:
			return eval_random_bucket() <= (uint32) s->rollout;
		case STICKINESS_CUSTOM:
			if (!context_get(ctx, &s->stickiness_field, &id, &len))
				id = NULL;
			break;
	}
	if (id == NULL)
	{
		*key_missing = true;
		return false;
	}
	return eval_in_rollout(s, id, len);
}

/* remoteAddress: the caller's address is one of the IPs or in one of the blocks. */
static bool
eval_remote_address(const CompiledStrategy *s, const EvalContext *ctx)
{
	CidrBlock	addr;
	int			i;

	if (ctx->remote_address == NULL)
		return false;
	for (i = 0; i < s->n_ips; i++)
		if (strlen(s->ips[i]) == (size_t) ctx->remote_address_len &&
			memcmp(s->ips[i], ctx->remote_address, ctx->remote_address_len) == 0)
			return true;
	if (!cidr_parse_address(ctx->remote_address, ctx->remote_address_len, &addr))
		return false;
	for (i = 0; i < s->n_cidrs; i++)
		if (cidr_contains(&s->cidrs[i], &addr))
			return true;
	return false;
}

/*
 * applicationHostname: the context's "hostname" field (top level or
 * properties) when given, else this database server's host name.
 */
static bool
eval_application_hostname(const CompiledStrategy *s, const EvalContext *ctx)
{
	static const ContextFieldRef hostname_field = {CONTEXT_OTHER, "hostname", 8};
	const char *host;
	int			len;
	int			i;
	int			j;

	if (!context_get(ctx, &hostname_field, &host, &len))
	{
		host = eval_server_hostname();
		len = strlen(host);
	}
	for (i = 0; i < s->n_hostnames; i++)
	{
		if (strlen(s->hostnames[i]) != (size_t) len)
			continue;
		for (j = 0; j < len; j++)
			if (pg_ascii_tolower((unsigned char) host[j]) != (unsigned char) s->hostnames[i][j])
				break;
		if (j == len)
			return true;
	}
	return false;
}

/* The strategy itself, its constraints aside. */
static inline bool
eval_strategy_kind(const CompiledStrategy *s, const EvalContext *ctx, bool *key_missing)
{
	int			i;

	switch (s->kind)
	{
		case STRATEGY_DEFAULT:
			return true;
		case STRATEGY_USER_WITH_ID:
			if (ctx->user_id == NULL)
				return false;
			for (i = 0; i < s->n_user_ids; i++)
				if (strlen(s->user_ids[i]) == (size_t) ctx->user_id_len &&
					memcmp(s->user_ids[i], ctx->user_id, ctx->user_id_len) == 0)
					return true;
			return false;
		case STRATEGY_FLEXIBLE_ROLLOUT:
		case STRATEGY_GRADUAL_ROLLOUT_USER_ID:
		case STRATEGY_GRADUAL_ROLLOUT_SESSION_ID:
			return eval_rollout(s, ctx, key_missing);
		case STRATEGY_GRADUAL_ROLLOUT_RANDOM:
			return s->rollout > 0 && eval_random_bucket() <= (uint32) s->rollout;
		case STRATEGY_REMOTE_ADDRESS:
			return eval_remote_address(s, ctx);
		case STRATEGY_APPLICATION_HOSTNAME:
			return eval_application_hostname(s, ctx);
		case STRATEGY_UNKNOWN:
			return false;
	}
	return false;
}

/* Index of the first constraint (segments included) the context fails, or -1. */
static inline int
eval_failed_constraint(const CompiledStrategy *s, const EvalContext *ctx)
{
	int			i;

	for (i = 0; i < s->n_constraints; i++)
		if (!constraint_eval(&s->constraints[i], ctx))
			return i;
	return -1;
}

/*
 * Evaluate one strategy against the context: the strategy itself AND its
 * constraints (segments included).  Both are pure, so the order is ours:
 * the strategy first, because it is cheap (a hash for a rollout) and a
 * canary turns most callers away before any constraint runs.  key_missing
 * is set when a rollout had no id to hash and the constraints held, so
 * that it names the reason a caller was refused.
 */
static inline bool
eval_strategy(const CompiledStrategy *s, const EvalContext *ctx, bool *key_missing)
{
	bool		missing = false;

	if (unlikely(s->unsupported))
		return false;
	if (!eval_strategy_kind(s, ctx, &missing))
	{
		if (unlikely(missing) &&
			(s->n_constraints == 0 || eval_failed_constraint(s, ctx) < 0))
			*key_missing = true;
		return false;
	}
	return likely(s->n_constraints == 0) || eval_failed_constraint(s, ctx) < 0;
}

/*
 * One strategy's verdict for flag_explain, with the same code as
 * evaluation; *failed_constraint is set for VERDICT_FAILED_CONSTRAINT.
 */
StrategyVerdict
flag_eval_strategy_verdict(const CompiledStrategy *s, const EvalContext *ctx,
						   int *failed_constraint)
{
	bool		key_missing = false;

	*failed_constraint = -1;
	if (s->unsupported || s->kind == STRATEGY_UNKNOWN)
		return VERDICT_UNUSABLE;
	*failed_constraint = eval_failed_constraint(s, ctx);
	if (*failed_constraint >= 0)
		return VERDICT_FAILED_CONSTRAINT;
	if (eval_strategy_kind(s, ctx, &key_missing))
		return VERDICT_MATCHED;
	return key_missing ? VERDICT_KEY_MISSING : VERDICT_NOT_MATCHED;
}

/*
 * Are the flag's parents satisfied (Unleash dependencies, one level)?
 * Returns the index of the first unmet one, or -1.  A parent never has
 * dependencies itself (flag_compile_resolve_dependencies), so this does
 * not recurse further.
 */
static int
eval_dependencies(const CompiledFlag *flag, const EvalContext *ctx)
{
	int			i;
	int			j;

	for (i = 0; i < flag->n_dependencies; i++)
	{
		const CompiledDependency *d = &flag->dependencies[i];
		const CompiledFlag *parent = d->parent;

		if (parent == NULL)
			return i;
		if (!d->want_enabled)
		{
			if (flag_eval(parent, ctx))
				return i;
			continue;
		}
		if (!parent->enabled)
			return i;
		if (d->n_variants > 0)
		{
			EvalResult	res;
			const CompiledVariant *v;
			const char *name;
			bool		match = false;

			flag_eval_detail(parent, ctx, &res);
			v = flag_select_variant(parent, ctx, &res);
			name = v ? v->name : "disabled";
			for (j = 0; j < d->n_variants && !match; j++)
				match = strcmp(d->variants[j], name) == 0;
			if (!match)
				return i;
		}
		else if (!flag_eval(parent, ctx))
			return i;
	}
	return -1;
}

/*
 * Is the flag on for this context?  Off unless enabled and its parents are
 * satisfied; an empty strategy list means on for everyone; otherwise
 * strategies are OR-ed.
 */
bool
flag_eval(const CompiledFlag *flag, const EvalContext *ctx)
{
	bool		key_missing = false;
	int			i;

	if (!flag->enabled)
		return false;
	if (unlikely(flag->n_dependencies > 0) && eval_dependencies(flag, ctx) >= 0)
		return false;
	if (flag->n_strategies == 0)
		return true;
	for (i = 0; i < flag->n_strategies; i++)
		if (eval_strategy(&flag->strategies[i], ctx, &key_missing))
			return true;
	return false;
}

/*
 * flag_eval() that also says why: which strategy decided, which parent
 * failed, whether a rollout lacked its id.  For variants and explain.
 */
void
flag_eval_detail(const CompiledFlag *flag, const EvalContext *ctx, EvalResult *res)
{
	int			i;

	memset(res, 0, sizeof(*res));
	res->strategy = -1;
	res->failed_dependency = -1;
	if (!flag->enabled)
		return;
	if (flag->n_dependencies > 0)
	{
		res->failed_dependency = eval_dependencies(flag, ctx);
		if (res->failed_dependency >= 0)
			return;
	}
	if (flag->n_strategies == 0)
	{
		res->enabled = true;
		return;
	}
	for (i = 0; i < flag->n_strategies; i++)
		if (eval_strategy(&flag->strategies[i], ctx, &res->key_missing))
		{
			res->enabled = true;
			res->strategy = i;
			return;
		}
}

/*
 * Resolve the key argument to a compiled flag, remembering the answer in
 * fn_extra until the key or the cache generation changes.  The first call of
 * a call site (once per statement) also syncs the cache with committed
 * changes.
 */
CompiledFlag *
flag_eval_resolve(FunctionCallInfo fcinfo, text *key)
{
	FlagCallCache *cc = (FlagCallCache *) fcinfo->flinfo->fn_extra;
	const char *kp = VARDATA_ANY(key);
	int			klen = VARSIZE_ANY_EXHDR(key);

	if (unlikely(cc == NULL))
	{
		cc = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(FlagCallCache));
		cc->keylen = -1;
		cc->flag = NULL;
		cc->generation = 0;
		fcinfo->flinfo->fn_extra = cc;
		flag_cache_begin_statement();
	}
	else
		flag_cache_ensure_loaded();

	if (unlikely(cc->generation != flag_cache_generation ||
				 cc->keylen != klen ||
				 memcmp(cc->key, kp, klen) != 0))
	{
		if (klen > FLAG_KEY_MAX_BYTES)
		{
			cc->keylen = -1;
			return NULL;
		}
		cc->flag = flag_cache_lookup(kp, klen);
		cc->generation = flag_cache_generation;
		cc->keylen = klen;
		memcpy(cc->key, kp, klen);
	}
	return cc->flag;
}

/*
 * Count an evaluation in shared memory (one atomic add; nothing without
 * shared_preload_libraries) and pass the result through.
 */
static inline bool
eval_counted(CompiledFlag *flag, bool result)
{
	stats_count_evaluation(flag->stats, result);
	return result;
}

/* Evaluate with only a user id (possibly absent). */
static bool
eval_for_user(FunctionCallInfo fcinfo, const char *user_id, int user_id_len)
{
	CompiledFlag *flag;
	EvalContext ctx;

	if (PG_ARGISNULL(0))
		return false;
	flag = flag_eval_resolve(fcinfo, PG_GETARG_TEXT_PP(0));
	if (flag == NULL)
	{
		stats_count_unknown();
		return false;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.user_id = user_id;
	ctx.user_id_len = user_id_len;
	return eval_counted(flag, flag_eval(flag, &ctx));
}

/* flag_enabled(key text): no user, so true only when fully on. */
Datum
flag_enabled_nouser(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(eval_for_user(fcinfo, NULL, 0));
}

/* flag_enabled(key text, user_id text) */
Datum
flag_enabled_text(PG_FUNCTION_ARGS)
{
	text	   *user_id;

	if (PG_ARGISNULL(1))
		PG_RETURN_BOOL(eval_for_user(fcinfo, NULL, 0));
	user_id = PG_GETARG_TEXT_PP(1);
	PG_RETURN_BOOL(eval_for_user(fcinfo, VARDATA_ANY(user_id),
								 VARSIZE_ANY_EXHDR(user_id)));
}

/* flag_enabled(key text, user_id bigint): hashes the decimal text form. */
Datum
flag_enabled_bigint(PG_FUNCTION_ARGS)
{
	char		buf[MAXINT8LEN + 1];

	if (PG_ARGISNULL(1))
		PG_RETURN_BOOL(eval_for_user(fcinfo, NULL, 0));
	pg_lltoa(PG_GETARG_INT64(1), buf);
	PG_RETURN_BOOL(eval_for_user(fcinfo, buf, strlen(buf)));
}

/* flag_enabled(key text, user_id uuid): hashes the canonical lower-case form. */
Datum
flag_enabled_uuid(PG_FUNCTION_ARGS)
{
	static const char hex[] = "0123456789abcdef";
	pg_uuid_t  *uuid;
	char		buf[37];
	int			i;
	int			j = 0;

	if (PG_ARGISNULL(1))
		PG_RETURN_BOOL(eval_for_user(fcinfo, NULL, 0));
	uuid = PG_GETARG_UUID_P(1);
	for (i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[j++] = '-';
		buf[j++] = hex[uuid->data[i] >> 4];
		buf[j++] = hex[uuid->data[i] & 0x0F];
	}
	buf[j] = '\0';
	PG_RETURN_BOOL(eval_for_user(fcinfo, buf, 36));
}

/* flag_enabled(key text, context jsonb) */
Datum
flag_enabled_context(PG_FUNCTION_ARGS)
{
	CompiledFlag *flag;
	EvalContext ctx;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);

	/* validate the context even for unknown keys: bad input is an error */
	if (PG_ARGISNULL(1))
		memset(&ctx, 0, sizeof(ctx));
	else
	{
		const char *err = context_parse(PG_GETARG_JSONB_P(1), &ctx);

		if (err != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s", err),
					 errhint("An evaluation context looks like {\"userId\": \"42\", \"properties\": {\"plan\": \"pro\"}}.")));
	}

	flag = flag_eval_resolve(fcinfo, PG_GETARG_TEXT_PP(0));
	if (flag == NULL)
	{
		stats_count_unknown();
		PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(eval_counted(flag, flag_eval(flag, &ctx)));
}
