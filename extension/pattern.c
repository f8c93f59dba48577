/*-------------------------------------------------------------------------
 *
 * pattern.c
 *		Regular expressions for the REGEX constraint operator, with RE2
 *		semantics, on PCRE2.
 *
 * Unleash evaluates REGEX with RE2: inline flags anywhere ((?i), (?m), (?s),
 * (?U)), Perl classes (\d, \w, \b, ASCII only), POSIX classes, lazy
 * quantifiers, and no lookaround, backreferences, atomic groups, possessive
 * quantifiers, recursion or conditionals (linear-time matching).  PCRE2 is a
 * superset of that syntax, so a pattern is first checked against RE2's
 * grammar (pattern_check_re2) and then compiled with options that give RE2's
 * meaning: $ matches only at the very end unless (?m), no \C.
 *
 * Memory: the compiled code and its match data are allocated through a
 * PCRE2 general context that routes to palloc in the caller's memory
 * context, so a compiled pattern lives and dies with the flag cache; a reset
 * callback on that context frees the JIT code, which PCRE2 maps itself.  The
 * match data and match context are made once per pattern: matching
 * allocates nothing once the first match has sized its backtracking frames.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "pg_release.h"

/*
 * RE2 matches in linear time; PCRE2 backtracks, so a pattern such as
 * (a+)+$ could take exponential time on a hostile input.  Every evaluation
 * runs this, so the backtracking budget is capped: a match that runs out of
 * it counts as no match (false) instead of stalling the caller.
 */
#define PATTERN_MATCH_LIMIT		100000

struct Pattern
{
	pcre2_code *code;
	pcre2_match_data *match;
	pcre2_match_context *mctx;
	MemoryContextCallback free_cb;	/* releases JIT code with the context */
};

/*
 * Memory context callback: release the compiled code.  Its ordinary memory
 * is palloc'd and would go with the context anyway, but JIT-compiled
 * machine code lives in pages PCRE2 maps itself.  Runs before the
 * context's memory is released, so the pfree calls inside are valid.
 */
static void
pattern_free_code(void *arg)
{
	Pattern    *pat = (Pattern *) arg;

	if (pat->code != NULL)
		pcre2_code_free(pat->code);
	pat->code = NULL;
}

/* PCRE2 allocator: palloc in the memory context passed as memory_data. */
static void *
pattern_malloc(PCRE2_SIZE size, void *memory_data)
{
	return MemoryContextAllocExtended((MemoryContext) memory_data, size,
									  MCXT_ALLOC_NO_OOM);
}

static void
pattern_free(void *ptr, void *memory_data)
{
	if (ptr != NULL)
		pfree(ptr);
}

/*
 * Reject what RE2 does not accept but PCRE2 would.  Returns NULL when the
 * pattern stays inside RE2's grammar, else the reason.
 */
static const char *
pattern_check_re2(const char *p, int len)
{
	int			i = 0;
	bool		after_quantifier = false;

	while (i < len)
	{
		char		c = p[i];

		if (c == '\\')
		{
			char		e;

			if (i + 1 >= len)
				return "trailing backslash";
			e = p[i + 1];
			if (e >= '1' && e <= '9')
				return "backreferences are not supported";
			if (strchr("gkKGRXZcNEQ", e) != NULL)
				return psprintf("escape \\%c is not supported", e);
			i += 2;
			after_quantifier = false;
			continue;
		}
		if (c == '[')
		{
			/* skip the class: a leading ] or ^] is literal, [:x:] nests */
			i++;
			if (i < len && p[i] == '^')
				i++;
			if (i < len && p[i] == ']')
				i++;
			while (i < len && p[i] != ']')
			{
				if (p[i] == '\\')
					i++;
				else if (p[i] == '[' && i + 1 < len && p[i + 1] == ':')
				{
					const char *close = NULL;
					int			j;

					for (j = i + 2; j + 1 < len; j++)
						if (p[j] == ':' && p[j + 1] == ']')
						{
							close = p + j;
							break;
						}
					if (close != NULL)
						i = (int) (close - p) + 1;
				}
				i++;
			}
			i++;
			after_quantifier = false;
			continue;
		}
		if (c == '(' && i + 1 < len && p[i + 1] == '*')
			return "backtracking control verbs are not supported";
		if (c == '(' && i + 1 < len && p[i + 1] == '?')
		{
			const char *g = p + i + 2;
			int			rest = len - i - 2;
			int			j;

			if (rest >= 1 && g[0] == ':')
				;
			else if (rest >= 2 && g[0] == 'P' && g[1] == '<')
				;
			else if (rest >= 2 && g[0] == '<' && g[1] != '=' && g[1] != '!')
				;
			else if (rest >= 1 && (g[0] == '=' || g[0] == '!' ||
								   (g[0] == '<' && rest >= 2)))
				return "lookaround assertions are not supported";
			else
			{
				/* only flag groups remain: (?flags) or (?flags:...) */
				for (j = 0; j < rest && strchr("imsU-", g[j]) != NULL; j++)
					;
				if (j == 0 || j >= rest || (g[j] != ')' && g[j] != ':'))
					return "only (?:...), named groups and the flags i, m, s and U are supported after (?";
			}
			i += 2;
			after_quantifier = false;
			continue;
		}
		if (c == '*' || c == '+' || c == '?')
		{
			if (after_quantifier && c == '+')
				return "possessive quantifiers are not supported";
			/* a lazy marker "?" after a quantifier ends the quantifier */
			after_quantifier = !(after_quantifier && c == '?');
			i++;
			continue;
		}
		if (c == '{')
		{
			/* a counted repetition {n}, {n,} or {n,m}; otherwise a literal */
			int			j = i + 1;

			while (j < len && isdigit((unsigned char) p[j]))
				j++;
			if (j > i + 1 && j < len && p[j] == ',')
				for (j++; j < len && isdigit((unsigned char) p[j]); j++)
					;
			if (j > i + 1 && j < len && p[j] == '}')
			{
				after_quantifier = true;
				i = j + 1;
				continue;
			}
		}
		after_quantifier = false;
		i++;
	}
	return NULL;
}

/*
 * Compile an RE2-syntax pattern in cxt.  Returns NULL and sets *why (a
 * palloc'd reason in the current context) when it is not valid RE2.
 */
Pattern *
pattern_compile(const char *src, int len, bool caseless, MemoryContext cxt,
				char **why)
{
	pcre2_general_context *gcx;
	pcre2_compile_context *ccx;
	pcre2_code *code;
	Pattern    *pat;
	const char *reason;
	uint32		options = PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C;
	uint32		backrefmax = 0;
	int			pcre_error;
	PCRE2_SIZE	erroffset;

	*why = NULL;
	reason = pattern_check_re2(src, len);
	if (reason != NULL)
	{
		*why = pstrdup(reason);
		return NULL;
	}
	if (caseless)
		options |= PCRE2_CASELESS;
	if (GetDatabaseEncoding() == PG_UTF8)
		options |= PCRE2_UTF;

	gcx = pcre2_general_context_create(pattern_malloc, pattern_free, cxt);
	if (gcx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	ccx = pcre2_compile_context_create(gcx);
	code = pcre2_compile((PCRE2_SPTR) src, (PCRE2_SIZE) len, options,
						 &pcre_error, &erroffset, ccx);
	if (ccx != NULL)
		pcre2_compile_context_free(ccx);
	if (code == NULL)
	{
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(pcre_error, msg, sizeof(msg));
		*why = psprintf("%s at offset %d", (char *) msg, (int) erroffset);
		pcre2_general_context_free(gcx);
		return NULL;
	}
	/* belt and braces: the grammar check should have caught these */
	if (pcre2_pattern_info(code, PCRE2_INFO_BACKREFMAX, &backrefmax) == 0 &&
		backrefmax > 0)
	{
		*why = pstrdup("backreferences are not supported");
		pcre2_code_free(code);
		pcre2_general_context_free(gcx);
		return NULL;
	}

	pat = MemoryContextAllocZero(cxt, sizeof(Pattern));
	pat->code = code;
	pat->free_cb.func = pattern_free_code;
	pat->free_cb.arg = pat;
	MemoryContextRegisterResetCallback(cxt, &pat->free_cb);

	/*
	 * JIT-compile when the library can (a few times faster per match); when
	 * it cannot (no JIT in this build, no executable memory), the
	 * interpreter runs the same pattern.
	 */
	(void) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	pat->match = pcre2_match_data_create(1, gcx);
	pat->mctx = pcre2_match_context_create(gcx);
	pcre2_general_context_free(gcx);
	if (pat->match == NULL || pat->mctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	pcre2_set_match_limit(pat->mctx, PATTERN_MATCH_LIMIT);
	return pat;
}

/*
 * Does the pattern match anywhere in the subject (RE2's PartialMatch, JS's
 * test())?  1 yes, 0 no, -1 undecided: the backtracking budget ran out
 * (RE2 is linear and would have answered; callers must fail closed).  The
 * subject is database text, already valid in its encoding.
 */
int
pattern_match(const Pattern *pat, const char *subject, int len)
{
	int			rc;

	rc = pcre2_match(pat->code, (PCRE2_SPTR) subject, (PCRE2_SIZE) len, 0,
					 PCRE2_NO_UTF_CHECK, pat->match, pat->mctx);
	/* the JIT's small stack ran out: the interpreter has a bigger budget */
	if (unlikely(rc == PCRE2_ERROR_JIT_STACKLIMIT))
		rc = pcre2_match(pat->code, (PCRE2_SPTR) subject, (PCRE2_SIZE) len, 0,
						 PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, pat->match, pat->mctx);
	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}
