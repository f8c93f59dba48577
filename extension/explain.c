/*-------------------------------------------------------------------------
 *
 * explain.c
 *		flag_explain(): why a flag has the value it has for a context.
 *
 * What a release manager reads when a customer asks "why don't I see it?":
 * the value, the variant, an OpenFeature resolution reason and error code,
 * the strategy that decided, and a sentence.  It evaluates exactly as
 * flag_enabled() and flag_variant() do (same cache, same code), but never
 * raises an error for a malformed context: that is a PARSE_ERROR result.
 *
 * Reasons (OpenFeature): STATIC (on for everyone), TARGETING_MATCH (a
 * strategy with targeting matched), SPLIT (a percentage rollout let the
 * caller in), DEFAULT (no strategy matched, or a parent flag is unmet),
 * DISABLED (switched off), ERROR with FLAG_NOT_FOUND, TARGETING_KEY_MISSING
 * or PARSE_ERROR.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "pg_release.h"

PG_FUNCTION_INFO_V1(flag_explain);

static const char *
explain_strategy_name(StrategyKind kind)
{
	switch (kind)
	{
		case STRATEGY_DEFAULT:
			return "default";
		case STRATEGY_USER_WITH_ID:
			return "userWithId";
		case STRATEGY_GRADUAL_ROLLOUT_USER_ID:
			return "gradualRolloutUserId";
		case STRATEGY_GRADUAL_ROLLOUT_SESSION_ID:
			return "gradualRolloutSessionId";
		case STRATEGY_GRADUAL_ROLLOUT_RANDOM:
			return "gradualRolloutRandom";
		case STRATEGY_FLEXIBLE_ROLLOUT:
			return "flexibleRollout";
		case STRATEGY_REMOTE_ADDRESS:
			return "remoteAddress";
		case STRATEGY_APPLICATION_HOSTNAME:
			return "applicationHostname";
		case STRATEGY_UNKNOWN:
			break;
	}
	return "unknown";
}

/* Is this a percentage rollout below 100 %? */
static bool
explain_is_split(const CompiledStrategy *s)
{
	switch (s->kind)
	{
		case STRATEGY_FLEXIBLE_ROLLOUT:
		case STRATEGY_GRADUAL_ROLLOUT_USER_ID:
		case STRATEGY_GRADUAL_ROLLOUT_SESSION_ID:
		case STRATEGY_GRADUAL_ROLLOUT_RANDOM:
			return s->rollout < 100;
		default:
			return false;
	}
}

/* Why a strategy did not match, in a phrase. */
static char *
explain_no_match(const CompiledStrategy *s)
{
	switch (s->kind)
	{
		case STRATEGY_FLEXIBLE_ROLLOUT:
		case STRATEGY_GRADUAL_ROLLOUT_USER_ID:
		case STRATEGY_GRADUAL_ROLLOUT_SESSION_ID:
			return psprintf("the caller is outside its %d %% rollout", s->rollout);
		case STRATEGY_GRADUAL_ROLLOUT_RANDOM:
			return psprintf("the random draw fell outside its %d %%", s->rollout);
		case STRATEGY_USER_WITH_ID:
			return pstrdup("userId is not one of its user ids");
		case STRATEGY_REMOTE_ADDRESS:
			return pstrdup("remoteAddress is not one of its addresses or blocks");
		case STRATEGY_APPLICATION_HOSTNAME:
			return pstrdup("the host name is not one of its host names");
		default:
			return pstrdup("it does not match");
	}
}

/* Append [{index, name, matched, why}] for every strategy of the flag. */
static void
explain_append_strategies(StringInfo buf, const CompiledFlag *flag,
						  const EvalContext *ctx)
{
	int			i;

	appendStringInfoChar(buf, '[');
	for (i = 0; flag != NULL && i < flag->n_strategies; i++)
	{
		const CompiledStrategy *s = &flag->strategies[i];
		int			failed;
		StrategyVerdict verdict = flag_eval_strategy_verdict(s, ctx, &failed);
		char	   *why = NULL;

		switch (verdict)
		{
			case VERDICT_MATCHED:
				why = pstrdup("matches");
				break;
			case VERDICT_UNUSABLE:
				why = pstrdup("never matches: unknown strategy, marked disabled, names a missing segment, or malformed");
				break;
			case VERDICT_FAILED_CONSTRAINT:
				why = psprintf("%s (%s %s%s) is false",
							   failed < s->n_own_constraints
							   ? psprintf("constraint %d", failed)
							   : pstrdup("a constraint of its segments"),
							   s->constraints[failed].field.name,
							   constraint_op_name(s->constraints[failed].op),
							   s->constraints[failed].inverted ? ", inverted" : "");
				break;
			case VERDICT_KEY_MISSING:
				why = pstrdup("the context has no stickiness id for its rollout");
				break;
			case VERDICT_NOT_MATCHED:
				why = explain_no_match(s);
				break;
		}
		if (i > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfo(buf, "{\"index\": %d, \"name\": ", i);
		escape_json(buf, explain_strategy_name(s->kind));
		appendStringInfo(buf, ", \"matched\": %s, \"why\": ",
						 verdict == VERDICT_MATCHED ? "true" : "false");
		escape_json(buf, why);
		appendStringInfoChar(buf, '}');
	}
	appendStringInfoChar(buf, ']');
}

/* Append the result object; detail is a full sentence. */
static void
explain_append(StringInfo buf, const char *key, bool value,
			   const CompiledVariant *variant, bool feature_enabled,
			   const char *reason, const char *error_code,
			   const CompiledFlag *flag, int strategy, const char *detail,
			   const EvalContext *ctx)
{
	appendStringInfoString(buf, "{\"key\": ");
	escape_json(buf, key);
	appendStringInfo(buf, ", \"value\": %s, \"variant\": ", value ? "true" : "false");
	variant_append_json(buf, variant, feature_enabled);
	appendStringInfoString(buf, ", \"reason\": ");
	escape_json(buf, reason);
	if (error_code != NULL)
	{
		appendStringInfoString(buf, ", \"errorCode\": ");
		escape_json(buf, error_code);
	}
	appendStringInfoString(buf, ", \"strategy\": ");
	if (flag != NULL && strategy >= 0)
	{
		appendStringInfo(buf, "{\"index\": %d, \"name\": ", strategy);
		escape_json(buf, explain_strategy_name(flag->strategies[strategy].kind));
		appendStringInfoChar(buf, '}');
	}
	else
		appendStringInfoString(buf, "null");
	appendStringInfoString(buf, ", \"strategies\": ");
	explain_append_strategies(buf, ctx ? flag : NULL, ctx);
	appendStringInfoString(buf, ", \"detail\": ");
	escape_json(buf, detail);
	appendStringInfoChar(buf, '}');
}

/* A sentence about the first unmet parent. */
static char *
explain_dependency(const CompiledFlag *flag, int i)
{
	const CompiledDependency *d = &flag->dependencies[i];

	if (d->parent == NULL)
		return psprintf("It depends on feature flag \"%s\", which does not exist, is archived or has dependencies of its own (only one level is allowed).",
						d->parent_key ? d->parent_key : "");
	if (!d->want_enabled)
		return psprintf("It requires feature flag \"%s\" to be off for this context, and it is on.",
						d->parent_key);
	if (d->n_variants > 0)
		return psprintf("It requires feature flag \"%s\" to be on with one of %d listed variants for this context, and it is not.",
						d->parent_key, d->n_variants);
	return psprintf("It requires feature flag \"%s\" to be on for this context, and it is off.",
					d->parent_key);
}

/*
 * flag_explain(key text, context jsonb) -> jsonb
 * {key, value, variant, reason, errorCode?, strategy: {index, name}|null, detail}
 */
Datum
flag_explain(PG_FUNCTION_ARGS)
{
	char	   *key;
	CompiledFlag *flag;
	EvalContext ctx;
	EvalResult	res;
	StringInfoData buf;
	const char *err = NULL;
	const CompiledVariant *variant;
	const CompiledStrategy *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	key = text_to_cstring(PG_GETARG_TEXT_PP(0));
	initStringInfo(&buf);

	memset(&ctx, 0, sizeof(ctx));
	if (!PG_ARGISNULL(1))
		err = context_parse(PG_GETARG_JSONB_P(1), &ctx);
	if (err != NULL)
	{
		explain_append(&buf, key, false, NULL, false, "ERROR", "PARSE_ERROR",
					   NULL, -1, psprintf("The context is malformed: %s.", err), NULL);
		PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
	}

	flag = flag_eval_resolve(fcinfo, PG_GETARG_TEXT_PP(0));
	if (flag == NULL)
	{
		explain_append(&buf, key, false, NULL, false, "ERROR", "FLAG_NOT_FOUND",
					   NULL, -1, "No live feature flag has this key (unknown or archived); it evaluates to false.", NULL);
		PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
	}

	flag_eval_detail(flag, &ctx, &res);
	variant = flag_select_variant(flag, &ctx, &res);

	if (!flag->enabled)
		explain_append(&buf, key, false, NULL, false, "DISABLED", NULL, flag, -1,
					   "The flag is switched off for everyone.", NULL);
	else if (res.failed_dependency >= 0)
		explain_append(&buf, key, false, NULL, false, "DEFAULT", NULL, flag, -1,
					   explain_dependency(flag, res.failed_dependency), &ctx);
	else if (res.enabled && res.strategy < 0)
		explain_append(&buf, key, true, variant, true, "STATIC", NULL, flag, -1,
					   "The flag is on for everyone: it has no strategies.", &ctx);
	else if (res.enabled)
	{
		s = &flag->strategies[res.strategy];
		if (explain_is_split(s))
			explain_append(&buf, key, true, variant, true, "SPLIT", NULL, flag, res.strategy,
						   psprintf("The caller falls inside the %d %% rollout of strategy %d%s.",
									s->rollout, res.strategy,
									s->n_constraints > 0 ? ", and its constraints match" : ""), &ctx);
		else if (s->n_constraints == 0 &&
				 (s->kind == STRATEGY_DEFAULT ||
				  (s->kind != STRATEGY_USER_WITH_ID && s->kind != STRATEGY_REMOTE_ADDRESS &&
				   s->kind != STRATEGY_APPLICATION_HOSTNAME && s->rollout >= 100)))
			explain_append(&buf, key, true, variant, true, "STATIC", NULL, flag, res.strategy,
						   psprintf("Strategy %d turns the flag on for everyone.", res.strategy), &ctx);
		else
			explain_append(&buf, key, true, variant, true, "TARGETING_MATCH", NULL, flag, res.strategy,
						   psprintf("Strategy %d (%s) matches this context.", res.strategy,
									explain_strategy_name(s->kind)), &ctx);
	}
	else if (res.key_missing)
		explain_append(&buf, key, false, NULL, false, "ERROR", "TARGETING_KEY_MISSING", flag, -1,
					   "A percentage rollout needs a stickiness id (userId, sessionId or its custom field) and the context has none; no other strategy matched.", &ctx);
	else
		explain_append(&buf, key, false, NULL, false, "DEFAULT", NULL, flag, -1,
					   psprintf("No strategy matches this context (%d checked).",
								flag->n_strategies), &ctx);

	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
