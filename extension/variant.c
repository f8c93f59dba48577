/*-------------------------------------------------------------------------
 *
 * variant.c
 *		Unleash variants: compile variant lists, pick a variant, and the
 *		SQL function flag_variant().
 *
 * Selection is Unleash's selectVariantDefinition: overrides first, then
 * murmur3 (seed 86028157) of "<groupId>:<stickiness value>" mod the total
 * weight, plus 1, walked through the running sum of the weights.  Feature
 * variants use the flag key as groupId, strategy variants the strategy's
 * groupId; stickiness is variants[0].stickiness, else the strategy's, else
 * "default" (userId, sessionId, remoteAddress, then random).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/json.h"

#include "pg_release.h"

/* Largest sum of a variant list's weights (Unleash uses 1000 per list). */
#define VARIANT_MAX_TOTAL_WEIGHT 100000000

PG_FUNCTION_INFO_V1(flag_variant);

/* Compile a variant's "overrides": [{contextName, values: [...]}]. */
static void
variant_compile_overrides(CompiledVariant *var, JsonbContainer *obj,
						  CompileReport *report, MemoryContext cxt)
{
	JsonbValue	v;
	int			n;
	int			i;

	if (!compile_get_member(obj, "overrides", &v) || v.type == jbvNull)
		return;
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
	{
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"variant \"overrides\" must be an array");
		return;
	}
	n = JsonContainerSize(v.val.binary.data);
	var->overrides = MemoryContextAllocZero(cxt, Max(n, 1) * sizeof(VariantOverride));
	for (i = 0; i < n; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(v.val.binary.data, i);
		VariantOverride *o = &var->overrides[var->n_overrides];
		JsonbValue	name;
		JsonbValue	values;
		int			nv;
		int			j;

		if (e->type != jbvBinary || !JsonContainerIsObject(e->val.binary.data) ||
			!compile_get_member(e->val.binary.data, "contextName", &name) ||
			name.type != jbvString ||
			!compile_get_member(e->val.binary.data, "values", &values) ||
			values.type != jbvBinary || !JsonContainerIsArray(values.val.binary.data))
		{
			compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"a variant override must look like {\"contextName\": \"userId\", \"values\": [\"42\"]}");
			continue;
		}
		compile_field_ref(&o->field, name.val.string.val, name.val.string.len, cxt);
		nv = JsonContainerSize(values.val.binary.data);
		o->values = MemoryContextAlloc(cxt, Max(nv, 1) * sizeof(char *));
		o->value_lens = MemoryContextAlloc(cxt, Max(nv, 1) * sizeof(int));
		for (j = 0; j < nv; j++)
		{
			char	   *s = compile_string(getIthJsonbValueFromContainer(values.val.binary.data, j), cxt);

			if (s == NULL)
				continue;
			o->values[o->n_values] = s;
			o->value_lens[o->n_values] = strlen(s);
			o->n_values++;
		}
		var->n_overrides++;
	}
}

/*
 * Compile a variant list in cxt.  group_id is the hashing group (flag key
 * or the strategy's groupId); inherited_stickiness is the strategy's
 * stickiness parameter, or NULL.  Returns NULL for an empty list.
 */
CompiledVariants *
variant_compile_list(JsonbContainer *list, const char *group_id,
					 const char *inherited_stickiness, CompileReport *report,
					 MemoryContext cxt)
{
	CompiledVariants *vs;
	char	   *stickiness = NULL;
	int			n = JsonContainerSize(list);
	size_t		pathlen = strlen(report->path);
	int			i;

	if (n == 0)
		return NULL;
	vs = MemoryContextAllocZero(cxt, sizeof(CompiledVariants));
	vs->variants = MemoryContextAllocZero(cxt, n * sizeof(CompiledVariant));
	for (i = 0; i < n; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(list, i);
		CompiledVariant *var = &vs->variants[vs->n];
		JsonbContainer *obj;
		JsonbValue	v;

		snprintf(report->path + pathlen, sizeof(report->path) - pathlen, "[%d]", i);
		if (e->type != jbvBinary || !JsonContainerIsObject(e->val.binary.data))
		{
			compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"a variant must be a JSON object");
			continue;
		}
		obj = e->val.binary.data;
		if (!compile_get_member(obj, "name", &v) || v.type != jbvString ||
			v.val.string.len == 0)
		{
			compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"a variant needs a non-empty string \"name\"");
			continue;
		}
		var->name = MemoryContextStrdup(cxt, pnstrdup(v.val.string.val, v.val.string.len));

		if (compile_get_member(obj, "weight", &v) && v.type != jbvNull)
		{
			char	   *w = compile_string(&v, CurrentMemoryContext);
			char	   *end = NULL;
			long		weight = w ? strtol(w, &end, 10) : -1;

			if (w == NULL || *end != '\0' || weight < 0 || weight > 1000000)
			{
				compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
								"variant \"weight\" must be an integer between 0 and 1000000");
				weight = 0;
			}
			var->weight = (int) weight;
		}
		else
			compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"variant \"%s\" needs a \"weight\"", var->name);

		if (compile_get_member(obj, "payload", &v) && v.type != jbvNull)
		{
			JsonbValue	t;

			if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data) ||
				!compile_get_member(v.val.binary.data, "type", &t) || t.type != jbvString ||
				!compile_get_member(v.val.binary.data, "value", &t))
				compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
								"variant \"payload\" must look like {\"type\": \"string\", \"value\": \"...\"}");
			else
				var->payload = MemoryContextStrdup(cxt,
												   JsonbToCString(NULL, v.val.binary.data,
																  v.val.binary.len));
		}

		if (i == 0 && compile_get_member(obj, "stickiness", &v) && v.type != jbvNull)
			stickiness = compile_string(&v, CurrentMemoryContext);

		variant_compile_overrides(var, obj, report, cxt);
		/* weights are at most 1,000,000 each: keep their sum an int */
		if ((int64) vs->total_weight + var->weight > VARIANT_MAX_TOTAL_WEIGHT)
		{
			compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"variant weights add up to more than %d", VARIANT_MAX_TOTAL_WEIGHT);
			var->weight = 0;
		}
		vs->total_weight += var->weight;
		vs->n++;
	}
	report->path[pathlen] = '\0';

	if (stickiness == NULL)
		stickiness = (char *) inherited_stickiness;
	if (stickiness == NULL || strcmp(stickiness, "default") == 0)
		vs->stickiness = STICKINESS_DEFAULT;
	else if (strcmp(stickiness, "random") == 0)
		vs->stickiness = STICKINESS_RANDOM;
	else
	{
		/* userId and sessionId too: looked up like any context field */
		vs->stickiness = STICKINESS_CUSTOM;
		compile_field_ref(&vs->stickiness_field, stickiness, strlen(stickiness), cxt);
	}
	murmur3_init(&vs->group_prefix, BUCKET_VARIANT_SEED);
	murmur3_update(&vs->group_prefix, group_id, strlen(group_id));
	murmur3_update(&vs->group_prefix, ":", 1);
	return vs;
}

/* Does an override of this variant match the context? */
static bool
variant_override_matches(const CompiledVariant *var, const EvalContext *ctx)
{
	int			i;
	int			j;

	for (i = 0; i < var->n_overrides; i++)
	{
		const VariantOverride *o = &var->overrides[i];
		const char *val;
		int			len;

		if (!context_get(ctx, &o->field, &val, &len))
			continue;
		for (j = 0; j < o->n_values; j++)
			if (o->value_lens[j] == len && memcmp(o->values[j], val, len) == 0)
				return true;
	}
	return false;
}

/* Pick a variant from a list; NULL when none (zero total weight). */
const CompiledVariant *
variant_select(const CompiledVariants *vs, const EvalContext *ctx)
{
	const char *val = NULL;
	int			len = 0;
	uint32		target;
	int			counter = 0;
	int			i;

	if (vs == NULL || vs->total_weight <= 0)
		return NULL;
	for (i = 0; i < vs->n; i++)
		if (vs->variants[i].n_overrides > 0 &&
			variant_override_matches(&vs->variants[i], ctx))
			return &vs->variants[i];

	switch (vs->stickiness)
	{
		case STICKINESS_DEFAULT:
			if (ctx->user_id && ctx->user_id_len > 0)
			{
				val = ctx->user_id;
				len = ctx->user_id_len;
			}
			else if (ctx->session_id && ctx->session_id_len > 0)
			{
				val = ctx->session_id;
				len = ctx->session_id_len;
			}
			else if (ctx->remote_address && ctx->remote_address_len > 0)
			{
				val = ctx->remote_address;
				len = ctx->remote_address_len;
			}
			break;
		case STICKINESS_CUSTOM:
			if (!context_get(ctx, &vs->stickiness_field, &val, &len) || len == 0)
				val = NULL;
			break;
		default:
			break;
	}
	if (val != NULL)
	{
		Murmur3State state = vs->group_prefix;

		murmur3_update(&state, val, len);
		target = bucket_normalize(murmur3_final(&state), (uint32) vs->total_weight);
	}
	else
	{
		/* no stickiness value: a random draw, as Unleash does */
		target = pg_prng_uint32(&pg_global_prng_state) % (uint32) vs->total_weight + 1;
	}

	for (i = 0; i < vs->n; i++)
	{
		if (vs->variants[i].weight == 0)
			continue;
		counter += vs->variants[i].weight;
		if ((uint32) counter >= target)
			return &vs->variants[i];
	}
	return NULL;
}

/*
 * The variant of an evaluated flag: the deciding strategy's variants, else
 * the feature's; NULL ("disabled") when the flag is off or has none.
 */
const CompiledVariant *
flag_select_variant(const CompiledFlag *flag, const EvalContext *ctx,
					const EvalResult *res)
{
	const CompiledVariant *v = NULL;

	if (!res->enabled)
		return NULL;
	if (res->strategy >= 0 && flag->strategies[res->strategy].variants != NULL)
		v = variant_select(flag->strategies[res->strategy].variants, ctx);
	if (v == NULL)
		v = variant_select(flag->variants, ctx);
	return v;
}

/* Append Unleash's variant object {name, enabled, feature_enabled, payload?}. */
void
variant_append_json(StringInfo buf, const CompiledVariant *v, bool feature_enabled)
{
	appendStringInfoString(buf, "{\"name\": ");
	escape_json(buf, v ? v->name : "disabled");
	appendStringInfo(buf, ", \"enabled\": %s, \"feature_enabled\": %s",
					 v ? "true" : "false", feature_enabled ? "true" : "false");
	if (v && v->payload)
		appendStringInfo(buf, ", \"payload\": %s", v->payload);
	appendStringInfoChar(buf, '}');
}

/*
 * flag_variant(key text, context jsonb) -> jsonb
 * Unleash's getVariant(): {name, enabled, feature_enabled, payload}; an
 * unknown key gives the "disabled" variant, a malformed context an error.
 */
Datum
flag_variant(PG_FUNCTION_ARGS)
{
	CompiledFlag *flag = NULL;
	EvalContext ctx;
	EvalResult	res;
	StringInfoData buf;
	const char *err;

	memset(&ctx, 0, sizeof(ctx));
	if (!PG_ARGISNULL(1) && (err = context_parse(PG_GETARG_JSONB_P(1), &ctx)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", err),
				 errhint("An evaluation context looks like {\"userId\": \"42\", \"properties\": {\"plan\": \"pro\"}}.")));
	if (!PG_ARGISNULL(0))
		flag = flag_eval_resolve(fcinfo, PG_GETARG_TEXT_PP(0));

	memset(&res, 0, sizeof(res));
	res.strategy = -1;
	if (flag != NULL)
		flag_eval_detail(flag, &ctx, &res);

	initStringInfo(&buf);
	variant_append_json(&buf, flag ? flag_select_variant(flag, &ctx, &res) : NULL,
						res.enabled);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
