/*-------------------------------------------------------------------------
 *
 * flag_compile.c
 *		Turn a flag's stored Unleash strategy list (jsonb) into the compiled
 *		form that evaluation reads.
 *
 * Runs only while the flag cache loads.  Everything an evaluation needs is
 * computed here once: rollout percentages as integers, stickiness as an enum,
 * the murmur3 state of the "<groupId>:" prefix, user id lists.  Compilation
 * never fails on content: targeting this build does not understand makes the
 * strategy evaluate to false (an unknown strategy is false in Unleash too).
 * The management functions validate what they write, so that is rare.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "pg_release.h"

/* Fetch object member "name" of a jsonb container; false when absent. */
static bool
compile_get_member(JsonbContainer *obj, const char *name, JsonbValue *out)
{
	if (obj == NULL || !JsonContainerIsObject(obj))
		return false;
	return getKeyJsonValueFromContainer(obj, name, strlen(name), out) != NULL;
}

/*
 * A parameter value as a C string in cxt.  Unleash stores every parameter as
 * a string, but hand-written JSON often has numbers: accept both.
 */
static char *
compile_param_string(JsonbContainer *params, const char *name, MemoryContext cxt)
{
	JsonbValue	v;

	if (!compile_get_member(params, name, &v))
		return NULL;
	if (v.type == jbvString)
		return MemoryContextStrdup(cxt,
								   pnstrdup(v.val.string.val, v.val.string.len));
	if (v.type == jbvNumeric)
		return MemoryContextStrdup(cxt,
								   DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v.val.numeric))));
	return NULL;
}

/* A percentage parameter as 0..100; Number() semantics, anything else 0. */
static int
compile_percentage(JsonbContainer *params, const char *name)
{
	char	   *s = compile_param_string(params, name, CurrentMemoryContext);
	char	   *end;
	double		d;

	if (s == NULL)
		return 0;
	d = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (end == s || *end != '\0' || isnan(d))
		return 0;
	if (d <= 0)
		return 0;
	if (d >= 100)
		return 100;
	/* buckets are integers, so bucket <= 10.5 is bucket <= 10 */
	return (int) floor(d);
}

static StrategyKind
compile_strategy_kind(const char *name, int len)
{
	static const struct
	{
		const char *name;
		StrategyKind kind;
	}			kinds[] =
	{
		{"default", STRATEGY_DEFAULT},
		{"userWithId", STRATEGY_USER_WITH_ID},
		{"gradualRolloutUserId", STRATEGY_GRADUAL_ROLLOUT_USER_ID},
		{"gradualRolloutSessionId", STRATEGY_GRADUAL_ROLLOUT_SESSION_ID},
		{"gradualRolloutRandom", STRATEGY_GRADUAL_ROLLOUT_RANDOM},
		{"flexibleRollout", STRATEGY_FLEXIBLE_ROLLOUT},
	};
	size_t		i;

	for (i = 0; i < lengthof(kinds); i++)
		if (strlen(kinds[i].name) == (size_t) len && memcmp(kinds[i].name, name, len) == 0)
			return kinds[i].kind;
	return STRATEGY_UNKNOWN;
}

/* Split Unleash's comma-separated "userIds" parameter, trimming blanks. */
static void
compile_user_ids(CompiledStrategy *s, const char *list, MemoryContext cxt)
{
	const char *p = list;
	int			cap = 8;

	s->user_ids = MemoryContextAlloc(cxt, cap * sizeof(char *));
	s->n_user_ids = 0;
	while (*p)
	{
		const char *start;
		const char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > start)
		{
			if (s->n_user_ids == cap)
			{
				cap *= 2;
				s->user_ids = repalloc(s->user_ids, cap * sizeof(char *));
			}
			s->user_ids[s->n_user_ids++] =
				MemoryContextStrdup(cxt, pnstrdup(start, end - start));
		}
		if (*p == ',')
			p++;
	}
}

/* True when a member is present and is a non-empty array. */
static bool
compile_has_nonempty_array(JsonbContainer *obj, const char *name)
{
	JsonbValue	v;

	if (!compile_get_member(obj, name, &v))
		return false;
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		return false;
	return JsonContainerSize(v.val.binary.data) > 0;
}

/* Compile one strategy object. */
static void
compile_strategy(CompiledStrategy *s, JsonbContainer *obj, const char *flag_key,
				 MemoryContext cxt)
{
	JsonbValue	v;
	JsonbContainer *params = NULL;
	char	   *group_id;
	char	   *stickiness;
	char	   *user_ids;

	memset(s, 0, sizeof(*s));
	if (!compile_get_member(obj, "name", &v) || v.type != jbvString)
	{
		s->kind = STRATEGY_UNKNOWN;
		return;
	}
	s->kind = compile_strategy_kind(v.val.string.val, v.val.string.len);

	if (compile_get_member(obj, "parameters", &v) && v.type == jbvBinary &&
		JsonContainerIsObject(v.val.binary.data))
		params = v.val.binary.data;

	/* constraints and segments are evaluated by the targeting module */
	if (compile_has_nonempty_array(obj, "constraints") ||
		compile_has_nonempty_array(obj, "segments"))
		s->unsupported = true;

	switch (s->kind)
	{
		case STRATEGY_FLEXIBLE_ROLLOUT:
			s->rollout = compile_percentage(params, "rollout");
			break;
		case STRATEGY_GRADUAL_ROLLOUT_USER_ID:
		case STRATEGY_GRADUAL_ROLLOUT_SESSION_ID:
		case STRATEGY_GRADUAL_ROLLOUT_RANDOM:
			s->rollout = compile_percentage(params, "percentage");
			break;
		default:
			break;
	}

	stickiness = compile_param_string(params, "stickiness", CurrentMemoryContext);
	if (s->kind == STRATEGY_GRADUAL_ROLLOUT_USER_ID)
		s->stickiness = STICKINESS_USER_ID;
	else if (s->kind == STRATEGY_GRADUAL_ROLLOUT_SESSION_ID)
		s->stickiness = STICKINESS_SESSION_ID;
	else if (s->kind == STRATEGY_GRADUAL_ROLLOUT_RANDOM)
		s->stickiness = STICKINESS_RANDOM;
	else if (stickiness == NULL || strcmp(stickiness, "default") == 0)
		s->stickiness = STICKINESS_DEFAULT;
	else if (strcmp(stickiness, "userId") == 0)
		s->stickiness = STICKINESS_USER_ID;
	else if (strcmp(stickiness, "sessionId") == 0)
		s->stickiness = STICKINESS_SESSION_ID;
	else if (strcmp(stickiness, "random") == 0)
		s->stickiness = STICKINESS_RANDOM;
	else
	{
		s->stickiness = STICKINESS_CUSTOM;
		s->stickiness_field = MemoryContextStrdup(cxt, stickiness);
	}

	/*
	 * groupId defaults to the flag key, as the Unleash UI fills it in; the
	 * prefix "<groupId>:" is hashed here once for every later call.
	 */
	group_id = compile_param_string(params, "groupId", CurrentMemoryContext);
	if (group_id == NULL)
		group_id = (char *) flag_key;
	murmur3_init(&s->group_prefix, BUCKET_STRATEGY_SEED);
	murmur3_update(&s->group_prefix, group_id, strlen(group_id));
	murmur3_update(&s->group_prefix, ":", 1);

	if (s->kind == STRATEGY_USER_WITH_ID)
	{
		user_ids = compile_param_string(params, "userIds", CurrentMemoryContext);
		compile_user_ids(s, user_ids ? user_ids : "", cxt);
	}
}

/*
 * Compile a flag's strategy list into flag->strategies, allocated in cxt.
 * Anything but an array leaves the flag with no strategies.
 */
void
flag_compile_strategies(CompiledFlag *flag, Jsonb *strategies, MemoryContext cxt)
{
	JsonbContainer *arr = &strategies->root;
	int			n;
	int			i;

	flag->n_strategies = 0;
	flag->strategies = NULL;
	if (!JsonContainerIsArray(arr) || JsonContainerIsScalar(arr))
		return;
	n = JsonContainerSize(arr);
	if (n == 0)
		return;

	flag->strategies = MemoryContextAllocZero(cxt, n * sizeof(CompiledStrategy));
	for (i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(arr, i);
		CompiledStrategy *s = &flag->strategies[flag->n_strategies++];

		if (elem == NULL || elem->type != jbvBinary ||
			!JsonContainerIsObject(elem->val.binary.data))
		{
			memset(s, 0, sizeof(*s));
			s->kind = STRATEGY_UNKNOWN;
			continue;
		}
		compile_strategy(s, elem->val.binary.data, flag->key, cxt);
	}
}
