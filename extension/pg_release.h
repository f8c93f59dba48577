/*-------------------------------------------------------------------------
 *
 * pg_release.h
 *		Private declarations shared by the pg_release extension's C files.
 *
 * The flag cache (flag_cache.c) owns every CompiledFlag: they live in one
 * memory context that is replaced wholesale on reload.  Callers must not keep
 * a CompiledFlag pointer across a change of flag_cache_generation.
 *
 * Targeting (constraints, segments, variants, dependencies) is compiled by
 * the same code in three modes (CompileMode): quietly for the cache,
 * strictly when the management functions validate what they write, and
 * leniently for an Unleash import.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RELEASE_H
#define PG_RELEASE_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "bucket.h"
#include "cidr.h"
#include "semver.h"

/* Longest flag key in bytes (100 characters of up to 4 UTF-8 bytes each). */
#define FLAG_KEY_MAX_CHARS	100
#define FLAG_KEY_MAX_BYTES	(FLAG_KEY_MAX_CHARS * 4)

/* The Unleash strategies we know; anything else evaluates to false. */
typedef enum StrategyKind
{
	STRATEGY_UNKNOWN = 0,
	STRATEGY_DEFAULT,
	STRATEGY_USER_WITH_ID,
	STRATEGY_GRADUAL_ROLLOUT_USER_ID,
	STRATEGY_GRADUAL_ROLLOUT_SESSION_ID,
	STRATEGY_GRADUAL_ROLLOUT_RANDOM,
	STRATEGY_FLEXIBLE_ROLLOUT,
	STRATEGY_REMOTE_ADDRESS,
	STRATEGY_APPLICATION_HOSTNAME
} StrategyKind;

/* Which context field a rollout hashes ("stickiness" in Unleash terms). */
typedef enum Stickiness
{
	STICKINESS_DEFAULT = 0,		/* userId, then sessionId */
	STICKINESS_USER_ID,
	STICKINESS_SESSION_ID,
	STICKINESS_RANDOM,
	STICKINESS_CUSTOM			/* any other context field */
} Stickiness;

/* The context fields with a slot of their own in EvalContext. */
typedef enum ContextField
{
	CONTEXT_USER_ID = 0,
	CONTEXT_SESSION_ID,
	CONTEXT_REMOTE_ADDRESS,
	CONTEXT_ENVIRONMENT,
	CONTEXT_APP_NAME,
	CONTEXT_CURRENT_TIME,
	CONTEXT_OTHER				/* top-level member, then context.properties */
} ContextField;

/* A context field named by a constraint, an override or a stickiness. */
typedef struct ContextFieldRef
{
	ContextField field;
	char	   *name;			/* NUL-terminated, for CONTEXT_OTHER */
	int			name_len;
} ContextFieldRef;

/* Constraint operators (Unleash names); OP_UNKNOWN evaluates to false. */
typedef enum ConstraintOp
{
	OP_UNKNOWN = 0,
	OP_IN,
	OP_NOT_IN,
	OP_STR_STARTS_WITH,
	OP_STR_ENDS_WITH,
	OP_STR_CONTAINS,
	OP_NUM_EQ,
	OP_NUM_GT,
	OP_NUM_GTE,
	OP_NUM_LT,
	OP_NUM_LTE,
	OP_DATE_AFTER,
	OP_DATE_BEFORE,
	OP_SEMVER_EQ,
	OP_SEMVER_GT,
	OP_SEMVER_GTE,
	OP_SEMVER_LT,
	OP_SEMVER_LTE,
	OP_REGEX,
	OP_IN_CIDR
} ConstraintOp;

/* A compiled regular expression (pattern.c). */
typedef struct Pattern Pattern;

/* One constraint, its value parsed once at cache load. */
typedef struct CompiledConstraint
{
	ConstraintOp op;
	ContextFieldRef field;
	bool		inverted;
	bool		case_insensitive;	/* values are stored lower-cased */
	bool		invalid;		/* value unusable: the operator yields false */
	int			n_values;		/* IN, NOT_IN, STR_* */
	char	  **values;
	int		   *value_lens;
	double		number;			/* NUM_* */
	TimestampTz date;			/* DATE_* */
	Semver		semver;			/* SEMVER_* (points into semver_text) */
	char	   *semver_text;
	Pattern    *pattern;		/* REGEX */
	int			n_cidrs;		/* IN_CIDR */
	CidrBlock  *cidrs;
} CompiledConstraint;

/* One variant of a variant list. */
typedef struct VariantOverride
{
	ContextFieldRef field;
	int			n_values;
	char	  **values;
	int		   *value_lens;
} VariantOverride;

typedef struct CompiledVariant
{
	char	   *name;
	int			weight;
	char	   *payload;		/* JSON text of {type, value}, or NULL */
	int			n_overrides;
	VariantOverride *overrides;
} CompiledVariant;

/* A variant list (feature-level or strategy-level). */
typedef struct CompiledVariants
{
	int			n;
	CompiledVariant *variants;
	int			total_weight;
	Stickiness	stickiness;		/* variants[0].stickiness or inherited */
	ContextFieldRef stickiness_field;	/* STICKINESS_CUSTOM only */
	Murmur3State group_prefix;	/* variant seed, after "<groupId>:" */
} CompiledVariants;

/* One strategy of a flag, compiled from its jsonb form. */
typedef struct CompiledStrategy
{
	StrategyKind kind;
	int			rollout;		/* 0..100 for the rollout strategies */
	Stickiness	stickiness;
	ContextFieldRef stickiness_field;	/* STICKINESS_CUSTOM only */
	Murmur3State group_prefix;	/* murmur3 state after "<groupId>:" */
	int			n_user_ids;		/* userWithId */
	char	  **user_ids;
	int			n_ips;			/* remoteAddress: exact texts and blocks */
	char	  **ips;
	int			n_cidrs;
	CidrBlock  *cidrs;
	int			n_hostnames;	/* applicationHostname, lower-case */
	char	  **hostnames;
	int			n_constraints;	/* own constraints, then its segments' */
	int			n_own_constraints;	/* how many of them are its own */
	CompiledConstraint *constraints;
	CompiledVariants *variants; /* strategy variants, or NULL */
	bool		unsupported;	/* always false: unknown segment or shape */
} CompiledStrategy;

/* A segment as the cache loader hands it to compilation. */
typedef struct SegmentEntry
{
	int32		id;				/* hash key */
	Jsonb	   *constraints;	/* its constraint list */
} SegmentEntry;

/* One parent a flag depends on. */
typedef struct CompiledDependency
{
	char	   *parent_key;
	struct CompiledFlag *parent;	/* resolved at load; NULL = unsatisfiable */
	bool		want_enabled;	/* "enabled" (default true) */
	int			n_variants;		/* parent's variant must be one of these */
	char	  **variants;
} CompiledDependency;

/* A flag as evaluation sees it. */
typedef struct CompiledFlag
{
	char		key[FLAG_KEY_MAX_BYTES + 1];	/* hash key: must be first */
	bool		enabled;
	int			n_strategies;
	CompiledStrategy *strategies;
	CompiledVariants *variants; /* feature variants, or NULL */
	int			n_dependencies;
	CompiledDependency *dependencies;
	struct FlagStats *stats;	/* shared-memory counters, NULL if none */
} CompiledFlag;

/*
 * The evaluation context: who is asking.  Strings point into the caller's
 * arguments and are not NUL-terminated; a NULL pointer means "absent".
 */
typedef struct EvalContext
{
	const char *user_id;
	int			user_id_len;
	const char *session_id;
	int			session_id_len;
	const char *remote_address;
	int			remote_address_len;
	const char *environment;
	int			environment_len;
	const char *app_name;
	int			app_name_len;
	const char *current_time;
	int			current_time_len;
	JsonbContainer *root;		/* the whole context object, or NULL */
	JsonbContainer *properties; /* context.properties object, or NULL */
} EvalContext;

/* What decided an evaluation (flag_eval_detail), for variants and explain. */
typedef struct EvalResult
{
	bool		enabled;
	int			strategy;		/* index of the deciding strategy, or -1 */
	int			failed_dependency;	/* index of the first unmet parent, or -1 */
	bool		key_missing;	/* a rollout found no stickiness id */
} EvalResult;

/* One strategy's verdict, for flag_explain. */
typedef enum StrategyVerdict
{
	VERDICT_MATCHED = 0,
	VERDICT_UNUSABLE,			/* unknown, disabled, missing segment, malformed */
	VERDICT_FAILED_CONSTRAINT, /* a constraint (own or a segment's) is false */
	VERDICT_KEY_MISSING,		/* a rollout found no stickiness id */
	VERDICT_NOT_MATCHED		/* the strategy itself said no */
} StrategyVerdict;

/*
 * How compilation reports what it cannot use.  The cache compiles quietly
 * (anything unusable evaluates to false, as in Unleash); the management
 * functions validate strictly (every problem is an error); an import is
 * lenient (shape errors are errors, content Unleash itself would evaluate
 * to false is reported as a NOTICE and kept).
 */
typedef enum CompileMode
{
	COMPILE_CACHE = 0,
	COMPILE_STRICT,
	COMPILE_LENIENT
} CompileMode;

typedef struct CompileReport
{
	CompileMode mode;
	const char *flag_key;		/* for messages; may be NULL */
	char		path[128];		/* JSON path of the element being compiled */
	int			problems;		/* content problems seen (lenient) */
	int			shape_problems; /* shape problems seen (any mode) */
} CompileReport;

/* flag_cache.c */
extern uint64 flag_cache_generation;
extern void flag_cache_register_callbacks(void);
extern void flag_cache_begin_statement(void);
extern void flag_cache_ensure_loaded(void);
extern CompiledFlag *flag_cache_lookup(const char *key, int keylen);

/* flag_compile.c */
extern void compile_problem(CompileReport *report, bool shape, int sqlerrcode,
							const char *fmt,...) pg_attribute_printf(4, 5);
extern bool compile_get_member(JsonbContainer *obj, const char *name, JsonbValue *out);
extern char *compile_string(const JsonbValue *v, MemoryContext cxt);
extern void compile_field_ref(ContextFieldRef *ref, const char *name, int len,
							  MemoryContext cxt);
extern void flag_compile_strategies(CompiledFlag *flag, Jsonb *strategies,
									HTAB *segments, CompileReport *report,
									MemoryContext cxt);
extern void flag_compile_dependencies(CompiledFlag *flag, Jsonb *deps,
									  CompileReport *report, MemoryContext cxt);
extern void flag_compile_resolve_dependencies(HTAB *flags);

/* constraint.c */
extern void constraint_compile_list(JsonbContainer *list, CompiledConstraint *out,
									CompileReport *report, MemoryContext cxt);
extern bool constraint_eval(const CompiledConstraint *c, const EvalContext *ctx);
extern const char *constraint_op_name(ConstraintOp op);

/* variant.c */
extern CompiledVariants *variant_compile_list(JsonbContainer *list,
											  const char *group_id,
											  const char *inherited_stickiness,
											  CompileReport *report,
											  MemoryContext cxt);
extern const CompiledVariant *variant_select(const CompiledVariants *vs,
											 const EvalContext *ctx);
extern const CompiledVariant *flag_select_variant(const CompiledFlag *flag,
												  const EvalContext *ctx,
												  const EvalResult *res);
extern void variant_append_json(StringInfo buf, const CompiledVariant *v,
								bool feature_enabled);

/* pattern.c */
extern Pattern *pattern_compile(const char *src, int len, bool caseless,
								MemoryContext cxt, char **why);
extern int	pattern_match(const Pattern *pat, const char *subject, int len);

/* context.c */
extern const char *context_parse(Jsonb *jb, EvalContext *ctx);
extern bool context_get(const EvalContext *ctx, const ContextFieldRef *ref,
						const char **val, int *len);

/* flag_eval.c */
extern bool flag_eval(const CompiledFlag *flag, const EvalContext *ctx);
extern void flag_eval_detail(const CompiledFlag *flag, const EvalContext *ctx,
							 EvalResult *res);
extern CompiledFlag *flag_eval_resolve(FunctionCallInfo fcinfo, text *key);
extern StrategyVerdict flag_eval_strategy_verdict(const CompiledStrategy *s,
												  const EvalContext *ctx,
												  int *failed_constraint);

#endif							/* PG_RELEASE_H */
