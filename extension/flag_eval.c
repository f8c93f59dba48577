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
 * Semantics are Unleash's (see docs/reference.md), with two deliberate
 * choices: a partial rollout without a stickiness id is off, not random,
 * and an unknown or archived key is false, never an error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

#if PG_VERSION_NUM >= 150000
#include "common/pg_prng.h"
#endif

#include "pg_release.h"

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

/* Look up a custom stickiness field: top-level context names, then properties. */
static bool
eval_custom_field(const EvalContext *ctx, const char *field,
				  const char **val, int *len)
{
	JsonbValue	v;

	if (strcmp(field, "remoteAddress") == 0 && ctx->remote_address)
	{
		*val = ctx->remote_address;
		*len = ctx->remote_address_len;
		return true;
	}
	if (strcmp(field, "environment") == 0 && ctx->environment)
	{
		*val = ctx->environment;
		*len = ctx->environment_len;
		return true;
	}
	if (strcmp(field, "appName") == 0 && ctx->app_name)
	{
		*val = ctx->app_name;
		*len = ctx->app_name_len;
		return true;
	}
	if (ctx->properties == NULL ||
		getKeyJsonValueFromContainer(ctx->properties, field, strlen(field), &v) == NULL)
		return false;
	if (v.type == jbvString)
	{
		*val = v.val.string.val;
		*len = v.val.string.len;
		return true;
	}
	if (v.type == jbvNumeric)
	{
		*val = DatumGetCString(DirectFunctionCall1(numeric_out,
												   NumericGetDatum(v.val.numeric)));
		*len = strlen(*val);
		return true;
	}
	return false;
}

/* Evaluate a rollout strategy: pick the sticky id, then compare its bucket. */
static bool
eval_rollout(const CompiledStrategy *s, const EvalContext *ctx)
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
				return s->rollout >= 100;
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
			if (!eval_custom_field(ctx, s->stickiness_field, &id, &len))
				id = NULL;
			break;
	}
	if (id == NULL)
		return false;
	return eval_in_rollout(s, id, len);
}

/* Evaluate one strategy against the context. */
static bool
eval_strategy(const CompiledStrategy *s, const EvalContext *ctx)
{
	int			i;

	if (s->unsupported)
		return false;

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
			return eval_rollout(s, ctx);
		case STRATEGY_GRADUAL_ROLLOUT_RANDOM:
			return s->rollout > 0 && eval_random_bucket() <= (uint32) s->rollout;
		case STRATEGY_UNKNOWN:
			return false;
	}
	return false;
}

/*
 * Is the flag on for this context?  Off unless enabled; an empty strategy
 * list means on for everyone; otherwise strategies are OR-ed.
 */
bool
flag_eval(const CompiledFlag *flag, const EvalContext *ctx)
{
	int			i;

	if (!flag->enabled)
		return false;
	if (flag->n_strategies == 0)
		return true;
	for (i = 0; i < flag->n_strategies; i++)
		if (eval_strategy(&flag->strategies[i], ctx))
			return true;
	return false;
}

/*
 * Resolve the key argument to a compiled flag, remembering the answer in
 * fn_extra until the key or the cache generation changes.  The first call of
 * a call site (once per statement) also syncs the cache with committed
 * changes.
 */
static CompiledFlag *
eval_resolve(FunctionCallInfo fcinfo, text *key)
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

/* Evaluate with only a user id (possibly absent). */
static bool
eval_for_user(FunctionCallInfo fcinfo, const char *user_id, int user_id_len)
{
	CompiledFlag *flag;
	EvalContext ctx;

	if (PG_ARGISNULL(0))
		return false;
	flag = eval_resolve(fcinfo, PG_GETARG_TEXT_PP(0));
	if (flag == NULL)
		return false;
	memset(&ctx, 0, sizeof(ctx));
	ctx.user_id = user_id;
	ctx.user_id_len = user_id_len;
	return flag_eval(flag, &ctx);
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

/*
 * Read one string-valued context field.  Numbers are accepted in their
 * canonical text form (so {"userId": 42} equals {"userId": "42"}); JSON null
 * means absent; anything else is a malformed context.
 */
static void
eval_context_field(Jsonb *jb, const char *name, const char **val, int *len)
{
	JsonbValue	v;

	*val = NULL;
	*len = 0;
	if (getKeyJsonValueFromContainer(&jb->root, name, strlen(name), &v) == NULL)
		return;
	switch (v.type)
	{
		case jbvNull:
			return;
		case jbvString:
			*val = v.val.string.val;
			*len = v.val.string.len;
			return;
		case jbvNumeric:
			*val = DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v.val.numeric)));
			*len = strlen(*val);
			return;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("context field \"%s\" must be a string or a number", name),
					 errhint("An evaluation context looks like {\"userId\": \"42\", \"properties\": {\"plan\": \"pro\"}}.")));
	}
}

/* Parse an Unleash-style context object into ctx; errors on malformed input. */
static void
eval_context_from_jsonb(Jsonb *jb, EvalContext *ctx)
{
	JsonbValue	v;

	memset(ctx, 0, sizeof(*ctx));
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("evaluation context must be a JSON object"),
				 errhint("An evaluation context looks like {\"userId\": \"42\", \"properties\": {\"plan\": \"pro\"}}.")));

	eval_context_field(jb, "userId", &ctx->user_id, &ctx->user_id_len);
	eval_context_field(jb, "sessionId", &ctx->session_id, &ctx->session_id_len);
	eval_context_field(jb, "remoteAddress", &ctx->remote_address, &ctx->remote_address_len);
	eval_context_field(jb, "environment", &ctx->environment, &ctx->environment_len);
	eval_context_field(jb, "appName", &ctx->app_name, &ctx->app_name_len);

	if (getKeyJsonValueFromContainer(&jb->root, "currentTime", 11, &v) != NULL &&
		v.type != jbvString && v.type != jbvNull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("context field \"currentTime\" must be an ISO 8601 timestamp string")));

	if (getKeyJsonValueFromContainer(&jb->root, "properties", 10, &v) != NULL &&
		v.type != jbvNull)
	{
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("context field \"properties\" must be a JSON object")));
		ctx->properties = v.val.binary.data;
	}
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
		eval_context_from_jsonb(PG_GETARG_JSONB_P(1), &ctx);

	flag = eval_resolve(fcinfo, PG_GETARG_TEXT_PP(0));
	if (flag == NULL)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(flag_eval(flag, &ctx));
}
