/*-------------------------------------------------------------------------
 *
 * flag_compile.c
 *		Turn a flag's stored Unleash targeting (jsonb strategies, variants,
 *		dependencies) into the compiled form that evaluation reads, and
 *		validate targeting before it is written.
 *
 * Everything an evaluation needs is computed here once, while the cache
 * loads: rollout percentages as integers, stickiness as an enum, the murmur3
 * state of the "<groupId>:" prefix, id lists, constraints (constraint.c)
 * with their segments inlined, variants (variant.c) and dependency parents.
 *
 * One code path, three modes (CompileReport): the cache compiles quietly,
 * and whatever it cannot use evaluates to false, as in Unleash; the
 * management functions call release.targeting_validate(), which compiles
 * the same JSON strictly and turns the first problem into an error; an
 * import compiles leniently (see pg_release.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <unistd.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "pg_release.h"

PG_FUNCTION_INFO_V1(targeting_validate);

/*
 * Report something compilation cannot use.  shape: the JSON does not have
 * the documented form (an error whenever validating); otherwise content
 * Unleash would evaluate to false (an error when strict, a NOTICE when
 * lenient).  The cache ignores both: the element evaluates to false.
 */
void
compile_problem(CompileReport *report, bool shape, int sqlerrcode,
				const char *fmt,...)
{
	char		msg[1024];
	char		where[FLAG_KEY_MAX_BYTES + 200];
	va_list		args;

	if (report == NULL)
		return;
	if (shape)
		report->shape_problems++;
	if (report->mode == COMPILE_CACHE)
		return;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	if (report->flag_key != NULL)
		snprintf(where, sizeof(where), "At %s of feature flag \"%s\".",
				 report->path[0] ? report->path : "the top level", report->flag_key);
	else
		snprintf(where, sizeof(where), "At %s.",
				 report->path[0] ? report->path : "the top level");

	if (report->mode == COMPILE_STRICT || shape)
		ereport(ERROR,
				(errcode(sqlerrcode),
				 errmsg("%s", msg),
				 errdetail("%s", where)));

	report->problems++;
	ereport(NOTICE,
			(errcode(sqlerrcode),
			 errmsg("%s", msg),
			 errdetail("%s", where),
			 errhint("Unleash evaluates this as false, and so does pg_release.")));
}

/* Fetch object member "name" of a jsonb container; false when absent. */
bool
compile_get_member(JsonbContainer *obj, const char *name, JsonbValue *out)
{
	if (obj == NULL || !JsonContainerIsObject(obj))
		return false;
	return getKeyJsonValueFromContainer(obj, name, strlen(name), out) != NULL;
}

/*
 * A scalar as a C string in cxt: strings as they are, numbers in canonical
 * form (Unleash stores parameters as strings, hand-written JSON often has
 * numbers).  NULL for anything else.
 */
char *
compile_string(const JsonbValue *v, MemoryContext cxt)
{
	if (v == NULL)
		return NULL;
	if (v->type == jbvString)
		return MemoryContextStrdup(cxt, pnstrdup(v->val.string.val, v->val.string.len));
	if (v->type == jbvNumeric)
		return MemoryContextStrdup(cxt,
								   DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v->val.numeric))));
	return NULL;
}

/* Resolve a context field name to its slot once, at compile time. */
void
compile_field_ref(ContextFieldRef *ref, const char *name, int len,
				  MemoryContext cxt)
{
	static const struct
	{
		const char *name;
		ContextField field;
	}			fields[] =
	{
		{"userId", CONTEXT_USER_ID},
		{"sessionId", CONTEXT_SESSION_ID},
		{"remoteAddress", CONTEXT_REMOTE_ADDRESS},
		{"environment", CONTEXT_ENVIRONMENT},
		{"appName", CONTEXT_APP_NAME},
		{"currentTime", CONTEXT_CURRENT_TIME},
	};
	size_t		i;

	ref->name = MemoryContextStrdup(cxt, pnstrdup(name, len));
	ref->name_len = len;
	ref->field = CONTEXT_OTHER;
	for (i = 0; i < lengthof(fields); i++)
		if (strlen(fields[i].name) == (size_t) len && memcmp(fields[i].name, name, len) == 0)
			ref->field = fields[i].field;
}

/* A parameter value as a C string in cxt; NULL when absent or not scalar. */
static char *
compile_param_string(JsonbContainer *params, const char *name, MemoryContext cxt)
{
	JsonbValue	v;

	if (!compile_get_member(params, name, &v))
		return NULL;
	return compile_string(&v, cxt);
}

/*
 * A percentage parameter as 0..100; Number() semantics.  Anything that is
 * not a number is 0 (and a problem when validating).
 */
static int
compile_percentage(JsonbContainer *params, const char *name, CompileReport *report)
{
	char	   *s = compile_param_string(params, name, CurrentMemoryContext);
	char	   *end;
	double		d;

	if (s == NULL)
	{
		compile_problem(report, false, ERRCODE_INVALID_PARAMETER_VALUE,
						"strategy parameter \"%s\" is missing", name);
		return 0;
	}
	d = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (end == s || *end != '\0' || isnan(d) || d < 0 || d > 100)
	{
		compile_problem(report, false, ERRCODE_INVALID_PARAMETER_VALUE,
						"strategy parameter \"%s\" must be a number between 0 and 100, not \"%s\"",
						name, s);
		return 0;
	}
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
		{"remoteAddress", STRATEGY_REMOTE_ADDRESS},
		{"applicationHostname", STRATEGY_APPLICATION_HOSTNAME},
	};
	size_t		i;

	for (i = 0; i < lengthof(kinds); i++)
		if (strlen(kinds[i].name) == (size_t) len && memcmp(kinds[i].name, name, len) == 0)
			return kinds[i].kind;
	return STRATEGY_UNKNOWN;
}

/*
 * Split one of Unleash's comma-separated list parameters ("userIds", "IPs",
 * "hostNames"), trimming blanks and dropping empty items.
 */
static int
compile_split_list(const char *list, char ***out, MemoryContext cxt)
{
	const char *p = list;
	int			cap = 8;
	int			n = 0;

	*out = MemoryContextAlloc(cxt, cap * sizeof(char *));
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
			if (n == cap)
			{
				cap *= 2;
				*out = repalloc(*out, cap * sizeof(char *));
			}
			(*out)[n++] = MemoryContextStrdup(cxt, pnstrdup(start, end - start));
		}
		if (*p == ',')
			p++;
	}
	return n;
}

/* Parse stickiness text into the enum (plus the field for custom ones). */
static void
compile_stickiness(const char *text, Stickiness *out, ContextFieldRef *field,
				   MemoryContext cxt)
{
	if (text == NULL || strcmp(text, "default") == 0)
		*out = STICKINESS_DEFAULT;
	else if (strcmp(text, "userId") == 0)
		*out = STICKINESS_USER_ID;
	else if (strcmp(text, "sessionId") == 0)
		*out = STICKINESS_SESSION_ID;
	else if (strcmp(text, "random") == 0)
		*out = STICKINESS_RANDOM;
	else
	{
		*out = STICKINESS_CUSTOM;
		compile_field_ref(field, text, strlen(text), cxt);
	}
}

/* A member that must be an array when present; NULL when absent or null. */
static JsonbContainer *
compile_array_member(JsonbContainer *obj, const char *name, CompileReport *report)
{
	JsonbValue	v;

	if (!compile_get_member(obj, name, &v) || v.type == jbvNull)
		return NULL;
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
	{
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"strategy member \"%s\" must be an array", name);
		return NULL;
	}
	return v.val.binary.data;
}

/*
 * Compile a strategy's constraints and those of the segments it names.
 * segments is the loaded segment table (cache mode) or NULL (validation:
 * the caller checks that the ids exist).  A missing segment makes the
 * strategy always false.
 */
static void
compile_strategy_constraints(CompiledStrategy *s, JsonbContainer *obj,
							 HTAB *segments, CompileReport *report,
							 MemoryContext cxt)
{
	JsonbContainer *own = compile_array_member(obj, "constraints", report);
	JsonbContainer *segs = compile_array_member(obj, "segments", report);
	int			n_own = own ? JsonContainerSize(own) : 0;
	int			n_segs = segs ? JsonContainerSize(segs) : 0;
	int			total = n_own;
	Jsonb	  **seg_lists = NULL;
	size_t		pathlen = strlen(report->path);
	int			i;

	if (n_segs > 0)
		seg_lists = palloc0(n_segs * sizeof(Jsonb *));
	for (i = 0; i < n_segs; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(segs, i);
		int32		id;
		double		d = 0;
		SegmentEntry *seg;

		snprintf(report->path + pathlen, sizeof(report->path) - pathlen,
				 ".segments[%d]", i);
		if (e->type == jbvNumeric)
			d = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
												   NumericGetDatum(e->val.numeric)));
		if (e->type != jbvNumeric || d != floor(d) || d < 0 || d > PG_INT32_MAX)
		{
			report->path[pathlen] = '\0';
			compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"strategy \"segments\" must be an array of segment ids");
			s->unsupported = true;
			continue;
		}
		id = (int32) d;
		if (segments == NULL)
			continue;
		seg = hash_search(segments, &id, HASH_FIND, NULL);
		if (seg == NULL)
		{
			s->unsupported = true;
			continue;
		}
		seg_lists[i] = seg->constraints;
		if (JB_ROOT_IS_ARRAY(seg->constraints) && !JB_ROOT_IS_SCALAR(seg->constraints))
			total += JsonContainerSize(&seg->constraints->root);
	}
	report->path[pathlen] = '\0';

	s->n_constraints = total;
	s->n_own_constraints = n_own;
	if (total == 0)
		return;
	s->constraints = MemoryContextAllocZero(cxt, total * sizeof(CompiledConstraint));
	if (own != NULL)
	{
		strlcat(report->path, ".constraints", sizeof(report->path));
		constraint_compile_list(own, s->constraints, report, cxt);
		report->path[pathlen] = '\0';
	}
	total = n_own;
	for (i = 0; i < n_segs; i++)
	{
		if (seg_lists[i] == NULL || !JB_ROOT_IS_ARRAY(seg_lists[i]) ||
			JB_ROOT_IS_SCALAR(seg_lists[i]))
			continue;
		constraint_compile_list(&seg_lists[i]->root, s->constraints + total,
								report, cxt);
		total += JsonContainerSize(&seg_lists[i]->root);
	}
}

/* Compile one strategy object. */
static void
compile_strategy(CompiledStrategy *s, JsonbContainer *obj, const char *flag_key,
				 HTAB *segments, CompileReport *report, MemoryContext cxt)
{
	JsonbValue	v;
	JsonbContainer *params = NULL;
	JsonbContainer *variants;
	char	   *group_id;
	char	   *stickiness;
	char	   *list;
	int			i;
	int			shape_before = report->shape_problems;

	memset(s, 0, sizeof(*s));
	if (!compile_get_member(obj, "name", &v) || v.type != jbvString)
	{
		s->kind = STRATEGY_UNKNOWN;
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"a strategy needs a string \"name\"");
		return;
	}
	s->kind = compile_strategy_kind(v.val.string.val, v.val.string.len);
	if (s->kind == STRATEGY_UNKNOWN)
		compile_problem(report, false, ERRCODE_INVALID_PARAMETER_VALUE,
						"unknown strategy \"%s\"",
						pnstrdup(v.val.string.val, v.val.string.len));

	if (compile_get_member(obj, "parameters", &v) && v.type != jbvNull)
	{
		if (v.type == jbvBinary && JsonContainerIsObject(v.val.binary.data))
			params = v.val.binary.data;
		else
			compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"strategy \"parameters\" must be a JSON object");
	}

	switch (s->kind)
	{
		case STRATEGY_FLEXIBLE_ROLLOUT:
			s->rollout = compile_percentage(params, "rollout", report);
			break;
		case STRATEGY_GRADUAL_ROLLOUT_USER_ID:
		case STRATEGY_GRADUAL_ROLLOUT_SESSION_ID:
		case STRATEGY_GRADUAL_ROLLOUT_RANDOM:
			s->rollout = compile_percentage(params, "percentage", report);
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
	else
		compile_stickiness(stickiness, &s->stickiness, &s->stickiness_field, cxt);

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

	switch (s->kind)
	{
		case STRATEGY_USER_WITH_ID:
			list = compile_param_string(params, "userIds", CurrentMemoryContext);
			s->n_user_ids = compile_split_list(list ? list : "", &s->user_ids, cxt);
			break;
		case STRATEGY_REMOTE_ADDRESS:
			list = compile_param_string(params, "IPs", CurrentMemoryContext);
			s->n_ips = compile_split_list(list ? list : "", &s->ips, cxt);
			s->cidrs = MemoryContextAlloc(cxt, Max(s->n_ips, 1) * sizeof(CidrBlock));
			for (i = 0; i < s->n_ips; i++)
			{
				if (cidr_parse(s->ips[i], strlen(s->ips[i]), &s->cidrs[s->n_cidrs]))
					s->n_cidrs++;
				else
					compile_problem(report, false, ERRCODE_INVALID_TEXT_REPRESENTATION,
									"invalid IP address or CIDR block \"%s\" in parameter \"IPs\"",
									s->ips[i]);
			}
			break;
		case STRATEGY_APPLICATION_HOSTNAME:
			list = compile_param_string(params, "hostNames", CurrentMemoryContext);
			s->n_hostnames = compile_split_list(list ? list : "", &s->hostnames, cxt);
			for (i = 0; i < s->n_hostnames; i++)
			{
				char	   *p;

				for (p = s->hostnames[i]; *p; p++)
					*p = pg_ascii_tolower((unsigned char) *p);
			}
			break;
		default:
			break;
	}

	compile_strategy_constraints(s, obj, segments, report, cxt);

	variants = compile_array_member(obj, "variants", report);
	if (variants != NULL && JsonContainerSize(variants) > 0)
	{
		size_t		pathlen = strlen(report->path);

		strlcat(report->path, ".variants", sizeof(report->path));
		s->variants = variant_compile_list(variants, group_id, stickiness,
										   report, cxt);
		report->path[pathlen] = '\0';
	}

	/*
	 * Unleash keeps switched-off strategies in its admin API with
	 * "disabled": true and leaves them out of what clients see: an imported
	 * disabled strategy must not let anyone in.
	 */
	if (compile_get_member(obj, "disabled", &v) && v.type == jbvBool && v.val.boolean)
		s->unsupported = true;

	/*
	 * Malformed targeting (possible only through direct table writes, since
	 * the management functions validate) must not widen the audience: a
	 * strategy whose constraints could not be read is never true.
	 */
	if (report->shape_problems != shape_before)
		s->unsupported = true;
}

/*
 * Compile a flag's strategy list into flag->strategies, allocated in cxt.
 * Anything but an array leaves the flag with no strategies.
 */
void
flag_compile_strategies(CompiledFlag *flag, Jsonb *strategies, HTAB *segments,
						CompileReport *report, MemoryContext cxt)
{
	JsonbContainer *arr = &strategies->root;
	int			n;
	int			i;

	flag->n_strategies = 0;
	flag->strategies = NULL;
	if (!JsonContainerIsArray(arr) || JsonContainerIsScalar(arr))
	{
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"strategies must be a JSON array");
		return;
	}
	n = JsonContainerSize(arr);
	if (n == 0)
		return;

	flag->strategies = MemoryContextAllocZero(cxt, n * sizeof(CompiledStrategy));
	for (i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(arr, i);
		CompiledStrategy *s = &flag->strategies[flag->n_strategies++];

		snprintf(report->path, sizeof(report->path), "strategies[%d]", i);
		if (elem == NULL || elem->type != jbvBinary ||
			!JsonContainerIsObject(elem->val.binary.data))
		{
			memset(s, 0, sizeof(*s));
			s->kind = STRATEGY_UNKNOWN;
			compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"a strategy must be a JSON object");
			continue;
		}
		compile_strategy(s, elem->val.binary.data, flag->key, segments, report, cxt);
	}
	report->path[0] = '\0';
}

/*
 * Compile a flag's dependency list [{feature, enabled?, variants?}].  The
 * parents are resolved later, once every flag is loaded.
 */
void
flag_compile_dependencies(CompiledFlag *flag, Jsonb *deps, CompileReport *report,
						  MemoryContext cxt)
{
	JsonbContainer *arr = &deps->root;
	int			n;
	int			i;

	flag->n_dependencies = 0;
	flag->dependencies = NULL;
	if (!JsonContainerIsArray(arr) || JsonContainerIsScalar(arr))
	{
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"dependencies must be a JSON array");
		return;
	}
	n = JsonContainerSize(arr);
	if (n == 0)
		return;
	flag->dependencies = MemoryContextAllocZero(cxt, n * sizeof(CompiledDependency));
	for (i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(arr, i);
		CompiledDependency *d = &flag->dependencies[flag->n_dependencies++];
		JsonbContainer *obj;
		JsonbValue	v;

		snprintf(report->path, sizeof(report->path), "dependencies[%d]", i);
		d->want_enabled = true;
		if (elem == NULL || elem->type != jbvBinary ||
			!JsonContainerIsObject(elem->val.binary.data))
		{
			compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"a dependency must be a JSON object");
			continue;
		}
		obj = elem->val.binary.data;
		if (!compile_get_member(obj, "feature", &v) || v.type != jbvString ||
			v.val.string.len == 0)
		{
			compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"a dependency needs a non-empty string \"feature\"");
			continue;
		}
		d->parent_key = MemoryContextStrdup(cxt, pnstrdup(v.val.string.val,
														  v.val.string.len));
		if (compile_get_member(obj, "enabled", &v) && v.type != jbvNull)
		{
			if (v.type != jbvBool)
				compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
								"dependency \"enabled\" must be a boolean");
			else
				d->want_enabled = v.val.boolean;
		}
		if (compile_get_member(obj, "variants", &v) && v.type != jbvNull)
		{
			int			nv;
			int			j;

			if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
			{
				compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
								"dependency \"variants\" must be an array of variant names");
				continue;
			}
			nv = JsonContainerSize(v.val.binary.data);
			d->variants = MemoryContextAlloc(cxt, Max(nv, 1) * sizeof(char *));
			for (j = 0; j < nv; j++)
			{
				JsonbValue *e = getIthJsonbValueFromContainer(v.val.binary.data, j);

				if (e->type != jbvString)
				{
					compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
									"dependency \"variants\" must be an array of variant names");
					continue;
				}
				d->variants[d->n_variants++] =
					MemoryContextStrdup(cxt, pnstrdup(e->val.string.val, e->val.string.len));
			}
		}
	}
	report->path[0] = '\0';
}

/*
 * Point every dependency at its parent in the loaded hash.  Only one level
 * is allowed (Unleash): a missing parent, or one that has dependencies
 * itself, leaves parent NULL, which never satisfies.  dynahash entries do
 * not move, so the pointers stay valid for the life of the cache copy.
 */
void
flag_compile_resolve_dependencies(HTAB *flags)
{
	HASH_SEQ_STATUS status;
	CompiledFlag *flag;
	int			i;

	hash_seq_init(&status, flags);
	while ((flag = hash_seq_search(&status)) != NULL)
	{
		for (i = 0; i < flag->n_dependencies; i++)
		{
			CompiledDependency *d = &flag->dependencies[i];
			CompiledFlag *parent;

			d->parent = NULL;
			if (d->parent_key == NULL || strlen(d->parent_key) > FLAG_KEY_MAX_BYTES)
				continue;
			parent = hash_search(flags, d->parent_key, HASH_FIND, NULL);
			if (parent != NULL && parent->n_dependencies == 0)
				d->parent = parent;
		}
	}
}

/*
 * release.targeting_validate(what text, doc jsonb, key text, strict bool)
 * Compile doc (what: strategies, variants, dependencies or constraints) in
 * strict or lenient mode; returns the number of content problems reported
 * as NOTICEs (always 0 when strict: the first one is an error).
 */
Datum
targeting_validate(PG_FUNCTION_ARGS)
{
	char	   *what;
	Jsonb	   *doc;
	CompileReport report;
	CompiledFlag *flag;
	MemoryContext cxt;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("targeting to validate must not be null")));
	what = text_to_cstring(PG_GETARG_TEXT_PP(0));
	doc = PG_GETARG_JSONB_P(1);

	memset(&report, 0, sizeof(report));
	report.mode = (!PG_ARGISNULL(3) && !PG_GETARG_BOOL(3)) ? COMPILE_LENIENT : COMPILE_STRICT;
	report.flag_key = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_release validation",
								ALLOCSET_DEFAULT_SIZES);
	flag = palloc0(sizeof(CompiledFlag));
	strlcpy(flag->key, report.flag_key ? report.flag_key : "", sizeof(flag->key));

	if (strcmp(what, "strategies") == 0)
		flag_compile_strategies(flag, doc, NULL, &report, cxt);
	else if (strcmp(what, "dependencies") == 0)
		flag_compile_dependencies(flag, doc, &report, cxt);
	else if (strcmp(what, "variants") == 0)
	{
		if (!JB_ROOT_IS_ARRAY(doc) || JB_ROOT_IS_SCALAR(doc))
			compile_problem(&report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"variants must be a JSON array");
		else
		{
			strlcpy(report.path, "variants", sizeof(report.path));
			(void) variant_compile_list(&doc->root, flag->key, NULL, &report, cxt);
		}
	}
	else if (strcmp(what, "constraints") == 0)
	{
		if (!JB_ROOT_IS_ARRAY(doc) || JB_ROOT_IS_SCALAR(doc))
			compile_problem(&report, true, ERRCODE_INVALID_PARAMETER_VALUE,
							"constraints must be a JSON array");
		else
		{
			CompiledConstraint *cc;

			cc = palloc0(Max(JsonContainerSize(&doc->root), 1) * sizeof(CompiledConstraint));
			strlcpy(report.path, "constraints", sizeof(report.path));
			constraint_compile_list(&doc->root, cc, &report, cxt);
		}
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown kind of targeting \"%s\"", what),
				 errhint("Use strategies, variants, dependencies or constraints.")));

	MemoryContextDelete(cxt);
	PG_RETURN_INT32(report.problems);
}
