/*-------------------------------------------------------------------------
 *
 * constraint.c
 *		Unleash strategy constraints: compile once at cache load, evaluate
 *		per call without allocating.
 *
 * Semantics follow the Unleash Node SDK (see docs/reference.md, Targeting):
 * an unknown operator is false whatever "inverted" says; a value that cannot
 * be used (invalid regex, semver, date, number) makes the operator false and
 * "inverted" then applies; a missing context field is false for every
 * operator but NOT_IN; IN/NOT_IN compare exactly, "caseInsensitive" applies
 * to STR_* and REGEX.  Values are cleaned as Unleash does (empty ones
 * dropped, blanks trimmed).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/formatting.h"

#include "pg_release.h"

/* Set by an operator that could not decide (a regex over its budget). */
static bool constraint_undecided = false;

static const struct
{
	const char *name;
	ConstraintOp op;
}			constraint_ops[] =
{
	{"IN", OP_IN},
	{"NOT_IN", OP_NOT_IN},
	{"STR_STARTS_WITH", OP_STR_STARTS_WITH},
	{"STR_ENDS_WITH", OP_STR_ENDS_WITH},
	{"STR_CONTAINS", OP_STR_CONTAINS},
	{"NUM_EQ", OP_NUM_EQ},
	{"NUM_GT", OP_NUM_GT},
	{"NUM_GTE", OP_NUM_GTE},
	{"NUM_LT", OP_NUM_LT},
	{"NUM_LTE", OP_NUM_LTE},
	{"DATE_AFTER", OP_DATE_AFTER},
	{"DATE_BEFORE", OP_DATE_BEFORE},
	{"SEMVER_EQ", OP_SEMVER_EQ},
	{"SEMVER_GT", OP_SEMVER_GT},
	{"SEMVER_GTE", OP_SEMVER_GTE},
	{"SEMVER_LT", OP_SEMVER_LT},
	{"SEMVER_LTE", OP_SEMVER_LTE},
	{"REGEX", OP_REGEX},
	{"IN_CIDR", OP_IN_CIDR},
};

static ConstraintOp
constraint_op(const char *name, int len)
{
	size_t		i;

	for (i = 0; i < lengthof(constraint_ops); i++)
		if (strlen(constraint_ops[i].name) == (size_t) len &&
			memcmp(constraint_ops[i].name, name, len) == 0)
			return constraint_ops[i].op;
	return OP_UNKNOWN;
}

/* The Unleash name of an operator, for messages. */
const char *
constraint_op_name(ConstraintOp op)
{
	if (op <= OP_UNKNOWN || op > (ConstraintOp) lengthof(constraint_ops))
		return "unknown";
	return constraint_ops[op - 1].name;
}

/*
 * Parse a number as JavaScript's Number() would for the cases that matter:
 * surrounding blanks allowed, the whole text must be a finite number.
 */
static bool
constraint_parse_number(const char *s, int len, double *out)
{
	char		buf[64];
	char	   *end;
	int			i = 0;

	while (len > 0 && isspace((unsigned char) s[0]))
	{
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	if (len == 0 || len >= (int) sizeof(buf))
		return false;

	/* fast path: a plain integer small enough to be exact in a double */
	if (len <= 15)
	{
		int64		v = 0;

		for (i = (s[0] == '-') ? 1 : 0; i < len && isdigit((unsigned char) s[i]); i++)
			v = v * 10 + (s[i] - '0');
		if (i == len && len > (s[0] == '-' ? 1 : 0))
		{
			*out = (s[0] == '-') ? -(double) v : (double) v;
			return true;
		}
	}

	for (i = 0; i < len; i++)
		buf[i] = s[i];
	buf[len] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	return end == buf + len && !isnan(*out) && !isinf(*out);
}

/*
 * Parse an ISO 8601 timestamp ("2022-01-29T13:00:00.000Z") with
 * PostgreSQL's own datetime decoder, without raising errors.  A timestamp
 * without a zone is in the session's TimeZone.
 */
static bool
constraint_parse_date(const char *s, int len, TimestampTz *out)
{
	char		text[MAXDATELEN + 1];
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	struct pg_tm tt;
	fsec_t		fsec;
	int			tz;

	if (len <= 0 || len > MAXDATELEN || !isdigit((unsigned char) s[0]))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	if (ParseDateTime(text, workbuf, sizeof(workbuf), field, ftype,
					  MAXDATEFIELDS, &nf) != 0)
		return false;
	if (DecodeDateTime(field, ftype, nf, &dtype, &tt, &fsec, &tz) != 0)
		return false;
	if (dtype != DTK_DATE)
		return false;
	return tm2timestamp(&tt, fsec, &tz, out) == 0 && IS_VALID_TIMESTAMP(*out);
}

/* Lower-case a value as Unleash's toLocaleLowerCase would (palloc'd). */
static char *
constraint_lower(const char *s, int len)
{
	return str_tolower(s, len, DEFAULT_COLLATION_OID);
}

/* Compile "values": strings (numbers accepted), cleaned; into c->values. */
static void
constraint_compile_values(CompiledConstraint *c, JsonbContainer *obj,
						  CompileReport *report, MemoryContext cxt)
{
	JsonbValue	v;
	int			n;
	int			i;

	c->n_values = 0;
	if (!compile_get_member(obj, "values", &v) || v.type == jbvNull)
		return;
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
	{
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"constraint \"values\" must be an array of strings");
		return;
	}
	n = JsonContainerSize(v.val.binary.data);
	c->values = MemoryContextAlloc(cxt, Max(n, 1) * sizeof(char *));
	c->value_lens = MemoryContextAlloc(cxt, Max(n, 1) * sizeof(int));
	for (i = 0; i < n; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(v.val.binary.data, i);
		char	   *s = compile_string(e, CurrentMemoryContext);
		char	   *start;
		int			len;

		if (s == NULL)
		{
			if (e->type != jbvNull)
				compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
								"constraint \"values\" must be an array of strings");
			continue;
		}
		start = s;
		while (*start && isspace((unsigned char) *start))
			start++;
		len = strlen(start);
		while (len > 0 && isspace((unsigned char) start[len - 1]))
			len--;
		if (len == 0)
			continue;
		if (c->case_insensitive)
		{
			start = constraint_lower(start, len);
			len = strlen(start);
		}
		c->values[c->n_values] = MemoryContextStrdup(cxt, pnstrdup(start, len));
		c->value_lens[c->n_values] = len;
		c->n_values++;
	}
}

/* The single "value" (numbers accepted) as a string, or NULL. */
static char *
constraint_single_value(JsonbContainer *obj, CompileReport *report)
{
	JsonbValue	v;
	char	   *s;

	if (!compile_get_member(obj, "value", &v) || v.type == jbvNull)
		return NULL;
	s = compile_string(&v, CurrentMemoryContext);
	if (s == NULL)
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"constraint \"value\" must be a string");
	return s;
}

/* A boolean member, default false; anything but a boolean is a shape error. */
static bool
constraint_flag(JsonbContainer *obj, const char *name, CompileReport *report)
{
	JsonbValue	v;

	if (!compile_get_member(obj, name, &v) || v.type == jbvNull)
		return false;
	if (v.type != jbvBool)
	{
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"constraint \"%s\" must be a boolean", name);
		return false;
	}
	return v.val.boolean;
}

/* Report a missing or unusable single "value" of the operator. */
static void
constraint_bad_value(CompiledConstraint *c, const char *value, int sqlerrcode,
					 const char *what, CompileReport *report)
{
	c->invalid = true;
	if (value == NULL)
		compile_problem(report, false, ERRCODE_INVALID_PARAMETER_VALUE,
						"operator %s needs a \"value\"", constraint_ops[c->op - 1].name);
	else
		compile_problem(report, false, sqlerrcode, "invalid %s \"%s\" for operator %s",
						what, value, constraint_ops[c->op - 1].name);
}

/* Compile one constraint object into c. */
static void
constraint_compile(JsonbContainer *obj, CompiledConstraint *c,
				   CompileReport *report, MemoryContext cxt)
{
	JsonbValue	v;
	char	   *value;
	char	   *why;
	int			i;

	memset(c, 0, sizeof(*c));
	if (obj == NULL || !JsonContainerIsObject(obj))
	{
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"a constraint must be a JSON object");
		return;
	}
	if (!compile_get_member(obj, "contextName", &v) || v.type != jbvString ||
		v.val.string.len == 0)
	{
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"a constraint needs a non-empty string \"contextName\"");
		return;
	}
	compile_field_ref(&c->field, v.val.string.val, v.val.string.len, cxt);

	if (!compile_get_member(obj, "operator", &v) || v.type != jbvString)
	{
		compile_problem(report, true, ERRCODE_INVALID_PARAMETER_VALUE,
						"a constraint needs a string \"operator\"");
		return;
	}
	c->op = constraint_op(v.val.string.val, v.val.string.len);
	if (c->op == OP_UNKNOWN)
	{
		compile_problem(report, false, ERRCODE_INVALID_PARAMETER_VALUE,
						"unknown constraint operator \"%s\"",
						pnstrdup(v.val.string.val, v.val.string.len));
		return;
	}
	c->inverted = constraint_flag(obj, "inverted", report);
	c->case_insensitive = constraint_flag(obj, "caseInsensitive", report);

	switch (c->op)
	{
		case OP_IN:
		case OP_NOT_IN:
			/* Unleash compares IN/NOT_IN exactly, caseInsensitive or not */
			c->case_insensitive = false;
			constraint_compile_values(c, obj, report, cxt);
			break;
		case OP_STR_STARTS_WITH:
		case OP_STR_ENDS_WITH:
		case OP_STR_CONTAINS:
			constraint_compile_values(c, obj, report, cxt);
			break;
		case OP_IN_CIDR:
			constraint_compile_values(c, obj, report, cxt);
			c->cidrs = MemoryContextAlloc(cxt, Max(c->n_values, 1) * sizeof(CidrBlock));
			for (i = 0; i < c->n_values; i++)
			{
				if (cidr_parse(c->values[i], c->value_lens[i], &c->cidrs[c->n_cidrs]))
					c->n_cidrs++;
				else
					compile_problem(report, false, ERRCODE_INVALID_TEXT_REPRESENTATION,
									"invalid CIDR block \"%s\"", c->values[i]);
			}
			break;
		case OP_NUM_EQ:
		case OP_NUM_GT:
		case OP_NUM_GTE:
		case OP_NUM_LT:
		case OP_NUM_LTE:
			value = constraint_single_value(obj, report);
			if (value == NULL || !constraint_parse_number(value, strlen(value), &c->number))
				constraint_bad_value(c, value, ERRCODE_INVALID_TEXT_REPRESENTATION,
									 "number", report);
			break;
		case OP_DATE_AFTER:
		case OP_DATE_BEFORE:
			value = constraint_single_value(obj, report);
			if (value == NULL || !constraint_parse_date(value, strlen(value), &c->date))
				constraint_bad_value(c, value, ERRCODE_INVALID_DATETIME_FORMAT,
									 "date", report);
			break;
		case OP_SEMVER_EQ:
		case OP_SEMVER_GT:
		case OP_SEMVER_GTE:
		case OP_SEMVER_LT:
		case OP_SEMVER_LTE:
			value = constraint_single_value(obj, report);
			if (value != NULL)
				c->semver_text = MemoryContextStrdup(cxt, value);
			if (value == NULL ||
				!semver_parse(c->semver_text, strlen(c->semver_text), &c->semver))
				constraint_bad_value(c, value, ERRCODE_INVALID_TEXT_REPRESENTATION,
									 "semantic version", report);
			break;
		case OP_REGEX:
			value = constraint_single_value(obj, report);
			if (value == NULL)
			{
				constraint_bad_value(c, value, 0, NULL, report);
				break;
			}
			c->pattern = pattern_compile(value, strlen(value),
										 c->case_insensitive, cxt, &why);
			if (c->pattern == NULL)
			{
				c->invalid = true;
				compile_problem(report, false, ERRCODE_INVALID_REGULAR_EXPRESSION,
								"invalid regular expression \"%s\": %s",
								value, why);
			}
			break;
		case OP_UNKNOWN:
			break;
	}
}

/*
 * Compile a JSON array of constraints into out[], which has room for all of
 * them.  A non-array is a shape problem and compiles to nothing.
 */
void
constraint_compile_list(JsonbContainer *list, CompiledConstraint *out,
						CompileReport *report, MemoryContext cxt)
{
	int			n = JsonContainerSize(list);
	int			i;
	size_t		pathlen = strlen(report->path);

	for (i = 0; i < n; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(list, i);

		snprintf(report->path + pathlen, sizeof(report->path) - pathlen, "[%d]", i);
		constraint_compile(e->type == jbvBinary ? e->val.binary.data : NULL,
						   &out[i], report, cxt);
	}
	report->path[pathlen] = '\0';
}

/* Case-insensitive prefix/suffix/substring tests against lower-case needles. */
static bool
constraint_ascii_ieq(const char *hay, const char *lower_needle, int len)
{
	int			i;

	for (i = 0; i < len; i++)
		if (pg_ascii_tolower((unsigned char) hay[i]) != (unsigned char) lower_needle[i])
			return false;
	return true;
}

static bool
constraint_str_match(ConstraintOp op, const char *val, int len,
					 const char *needle, int nlen, bool ci)
{
	int			i;

	if (nlen > len)
		return false;
	switch (op)
	{
		case OP_STR_STARTS_WITH:
			return ci ? constraint_ascii_ieq(val, needle, nlen)
				: memcmp(val, needle, nlen) == 0;
		case OP_STR_ENDS_WITH:
			return ci ? constraint_ascii_ieq(val + len - nlen, needle, nlen)
				: memcmp(val + len - nlen, needle, nlen) == 0;
		case OP_STR_CONTAINS:
			for (i = 0; i + nlen <= len; i++)
				if (ci ? constraint_ascii_ieq(val + i, needle, nlen)
					: memcmp(val + i, needle, nlen) == 0)
					return true;
			return false;
		default:
			return false;
	}
}

static bool
constraint_is_ascii(const char *s, int len)
{
	int			i;

	for (i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			return false;
	return true;
}

/* The operator's verdict before "inverted". */
static bool
constraint_eval_op(const CompiledConstraint *c, const EvalContext *ctx)
{
	const char *val;
	int			len;
	bool		found;
	int			i;
	int			cmp;

	if (c->op == OP_DATE_AFTER || c->op == OP_DATE_BEFORE)
	{
		TimestampTz now;

		if (c->invalid)
			return false;
		if (context_get(ctx, &c->field, &val, &len))
		{
			if (!constraint_parse_date(val, len, &now))
				return false;
		}
		else if (c->field.field == CONTEXT_CURRENT_TIME)
			now = GetCurrentStatementStartTimestamp();
		else
			return false;
		return c->op == OP_DATE_AFTER ? now > c->date : now < c->date;
	}

	found = context_get(ctx, &c->field, &val, &len);
	switch (c->op)
	{
		case OP_IN:
		case OP_NOT_IN:
			{
				bool		in = false;

				if (found)
					for (i = 0; i < c->n_values && !in; i++)
						in = c->value_lens[i] == len &&
							memcmp(c->values[i], val, len) == 0;
				return c->op == OP_IN ? in : !in;
			}
		case OP_STR_STARTS_WITH:
		case OP_STR_ENDS_WITH:
		case OP_STR_CONTAINS:
			if (!found)
				return false;
			if (c->case_insensitive && !constraint_is_ascii(val, len))
			{
				val = constraint_lower(val, len);
				len = strlen(val);
				for (i = 0; i < c->n_values; i++)
					if (constraint_str_match(c->op, val, len, c->values[i],
											 c->value_lens[i], false))
						return true;
				return false;
			}
			for (i = 0; i < c->n_values; i++)
				if (constraint_str_match(c->op, val, len, c->values[i],
										 c->value_lens[i], c->case_insensitive))
					return true;
			return false;
		case OP_NUM_EQ:
		case OP_NUM_GT:
		case OP_NUM_GTE:
		case OP_NUM_LT:
		case OP_NUM_LTE:
			{
				double		d;

				if (!found || c->invalid || !constraint_parse_number(val, len, &d))
					return false;
				switch (c->op)
				{
					case OP_NUM_EQ:
						return d == c->number;
					case OP_NUM_GT:
						return d > c->number;
					case OP_NUM_GTE:
						return d >= c->number;
					case OP_NUM_LT:
						return d < c->number;
					default:
						return d <= c->number;
				}
			}
		case OP_SEMVER_EQ:
		case OP_SEMVER_GT:
		case OP_SEMVER_GTE:
		case OP_SEMVER_LT:
		case OP_SEMVER_LTE:
			{
				Semver		sv;

				if (!found || c->invalid || !semver_parse(val, len, &sv))
					return false;
				cmp = semver_compare(&sv, &c->semver);
				switch (c->op)
				{
					case OP_SEMVER_EQ:
						return cmp == 0;
					case OP_SEMVER_GT:
						return cmp > 0;
					case OP_SEMVER_GTE:
						return cmp >= 0;
					case OP_SEMVER_LT:
						return cmp < 0;
					default:
						return cmp <= 0;
				}
			}
		case OP_REGEX:
			if (!found || c->invalid)
				return false;
			switch (pattern_match(c->pattern, val, len))
			{
				case 1:
					return true;
				case 0:
					return false;
				default:
					/* undecided: false even when inverted (fail closed) */
					constraint_undecided = true;
					return false;
			}
		case OP_IN_CIDR:
			{
				CidrBlock	addr;

				if (!found || !cidr_parse_address(val, len, &addr))
					return false;
				for (i = 0; i < c->n_cidrs; i++)
					if (cidr_contains(&c->cidrs[i], &addr))
						return true;
				return false;
			}
		default:
			return false;
	}
}

/* Is the constraint satisfied by the context? */
bool
constraint_eval(const CompiledConstraint *c, const EvalContext *ctx)
{
	bool		r;

	if (c->op == OP_UNKNOWN)
		return false;
	constraint_undecided = false;
	r = constraint_eval_op(c, ctx);
	if (unlikely(constraint_undecided))
		return false;
	return c->inverted ? !r : r;
}
