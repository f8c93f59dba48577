/*-------------------------------------------------------------------------
 *
 * semver.h
 *		Semantic Versioning 2.0.0 parsing and precedence, as the Unleash
 *		SEMVER_* constraint operators need them.
 *
 * Pure C with no PostgreSQL dependency, so the cmocka suites can link it
 * directly.  A parsed version points into the text it was parsed from: the
 * caller keeps that text alive as long as the Semver.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RELEASE_SEMVER_H
#define PG_RELEASE_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Semver
{
	uint64_t	major;
	uint64_t	minor;
	uint64_t	patch;
	const char *pre;			/* pre-release identifiers, NULL when absent */
	size_t		pre_len;
} Semver;

/* Strict semver 2.0.0: no leading "v", no leading zeros, build ignored. */
extern bool semver_parse(const char *text, size_t len, Semver *out);

/* Precedence: <0, 0 or >0 as a is lower than, equal to or higher than b. */
extern int	semver_compare(const Semver *a, const Semver *b);

#endif							/* PG_RELEASE_SEMVER_H */
