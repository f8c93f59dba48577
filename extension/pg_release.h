/*-------------------------------------------------------------------------
 *
 * pg_release.h
 *		Private declarations shared by the pg_release extension's C files.
 *
 * The flag cache (flag_cache.c) owns every CompiledFlag: they live in one
 * memory context that is replaced wholesale on reload.  Callers must not keep
 * a CompiledFlag pointer across a change of flag_cache_generation.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RELEASE_H
#define PG_RELEASE_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "bucket.h"

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
	STRATEGY_FLEXIBLE_ROLLOUT
} StrategyKind;

/* Which context field a rollout hashes ("stickiness" in Unleash terms). */
typedef enum Stickiness
{
	STICKINESS_DEFAULT = 0,		/* userId, then sessionId */
	STICKINESS_USER_ID,
	STICKINESS_SESSION_ID,
	STICKINESS_RANDOM,
	STICKINESS_CUSTOM			/* a field of context.properties */
} Stickiness;

/* One strategy of a flag, compiled from its jsonb form. */
typedef struct CompiledStrategy
{
	StrategyKind kind;
	int			rollout;		/* 0..100 for the rollout strategies */
	Stickiness	stickiness;
	char	   *stickiness_field;	/* STICKINESS_CUSTOM only */
	Murmur3State group_prefix;	/* murmur3 state after "<groupId>:" */
	int			n_user_ids;		/* userWithId */
	char	  **user_ids;
	bool		unsupported;	/* uses targeting this build cannot evaluate */
} CompiledStrategy;

/* A flag as evaluation sees it. */
typedef struct CompiledFlag
{
	char		key[FLAG_KEY_MAX_BYTES + 1];	/* hash key: must be first */
	bool		enabled;
	int			n_strategies;
	CompiledStrategy *strategies;
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
	JsonbContainer *properties; /* context.properties object, or NULL */
} EvalContext;

/* flag_cache.c */
extern uint64 flag_cache_generation;
extern void flag_cache_register_callbacks(void);
extern void flag_cache_begin_statement(void);
extern void flag_cache_ensure_loaded(void);
extern CompiledFlag *flag_cache_lookup(const char *key, int keylen);

/* flag_compile.c */
extern void flag_compile_strategies(CompiledFlag *flag, Jsonb *strategies,
									MemoryContext cxt);

/* flag_eval.c */
extern bool flag_eval(const CompiledFlag *flag, const EvalContext *ctx);

#endif							/* PG_RELEASE_H */
