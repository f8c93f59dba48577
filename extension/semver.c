/*-------------------------------------------------------------------------
 *
 * semver.c
 *		Semantic Versioning 2.0.0 parsing and precedence (semver.org, §2-§11).
 *
 * Strict on purpose: Unleash's SEMVER_* operators treat "v1.2.3" and other
 * loose forms as invalid (false), and pg_release refuses them at write time.
 * Pure C, no allocation: a Semver points into the parsed text.
 *
 *-------------------------------------------------------------------------
 */
#include "semver.h"

#include <string.h>

/* Versions above this are refused rather than risk overflow (npm: 2^53-1). */
#define SEMVER_MAX_DIGITS	15

static bool
semver_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
semver_is_ident_char(char c)
{
	return semver_is_digit(c) || (c >= 'a' && c <= 'z') ||
		(c >= 'A' && c <= 'Z') || c == '-';
}

/* A numeric identifier (no leading zero) at *p; advances *p. */
static bool
semver_parse_number(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t	v = 0;
	int			n = 0;

	while (s < end && semver_is_digit(*s))
	{
		if (++n > SEMVER_MAX_DIGITS)
			return false;
		v = v * 10 + (uint64_t) (*s - '0');
		s++;
	}
	if (n == 0 || (n > 1 && **p == '0'))
		return false;
	*out = v;
	*p = s;
	return true;
}

/*
 * Dot-separated identifiers from *p up to stop (or end); each non-empty,
 * [0-9A-Za-z-], numeric ones without leading zeros when numeric_rules.
 */
static bool
semver_parse_idents(const char **p, const char *end, char stop, bool numeric_rules)
{
	const char *s = *p;

	for (;;)
	{
		const char *start = s;
		bool		all_digits = true;

		while (s < end && semver_is_ident_char(*s))
		{
			if (!semver_is_digit(*s))
				all_digits = false;
			s++;
		}
		if (s == start)
			return false;
		if (numeric_rules && all_digits && s - start > 1 && *start == '0')
			return false;
		if (s < end && *s == '.')
		{
			s++;
			continue;
		}
		if (s == end || *s == stop)
			break;
		return false;
	}
	*p = s;
	return true;
}

bool
semver_parse(const char *text, size_t len, Semver *out)
{
	const char *p = text;
	const char *end = text + len;

	memset(out, 0, sizeof(*out));
	if (!semver_parse_number(&p, end, &out->major) || p == end || *p++ != '.')
		return false;
	if (!semver_parse_number(&p, end, &out->minor) || p == end || *p++ != '.')
		return false;
	if (!semver_parse_number(&p, end, &out->patch))
		return false;
	if (p < end && *p == '-')
	{
		const char *start = ++p;

		if (!semver_parse_idents(&p, end, '+', true))
			return false;
		out->pre = start;
		out->pre_len = (size_t) (p - start);
	}
	if (p < end && *p == '+')
	{
		p++;
		if (!semver_parse_idents(&p, end, '\0', false))
			return false;
	}
	return p == end;
}

/* Compare one pre-release identifier each (§11.4). */
static int
semver_compare_ident(const char *a, size_t alen, const char *b, size_t blen)
{
	bool		anum = true;
	bool		bnum = true;
	size_t		i;
	int			c;

	for (i = 0; i < alen; i++)
		if (!semver_is_digit(a[i]))
			anum = false;
	for (i = 0; i < blen; i++)
		if (!semver_is_digit(b[i]))
			bnum = false;
	if (anum && bnum)
	{
		/* no leading zeros, so the longer number is the larger */
		if (alen != blen)
			return alen < blen ? -1 : 1;
		return memcmp(a, b, alen);
	}
	if (anum)
		return -1;				/* numeric identifiers sort first */
	if (bnum)
		return 1;
	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c;
	return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

int
semver_compare(const Semver *a, const Semver *b)
{
	const char *pa;
	const char *pb;
	const char *ea;
	const char *eb;

	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	/* a version without pre-release ranks above one with (§11.3) */
	if (a->pre == NULL || b->pre == NULL)
		return (a->pre == NULL) - (b->pre == NULL);

	pa = a->pre;
	ea = a->pre + a->pre_len;
	pb = b->pre;
	eb = b->pre + b->pre_len;
	while (pa < ea && pb < eb)
	{
		const char *da = memchr(pa, '.', (size_t) (ea - pa));
		const char *db = memchr(pb, '.', (size_t) (eb - pb));
		int			c;

		if (da == NULL)
			da = ea;
		if (db == NULL)
			db = eb;
		c = semver_compare_ident(pa, (size_t) (da - pa), pb, (size_t) (db - pb));
		if (c != 0)
			return c < 0 ? -1 : 1;
		pa = da < ea ? da + 1 : ea;
		pb = db < eb ? db + 1 : eb;
	}
	/* a larger set of identifiers ranks higher when all before are equal */
	if (pa < ea)
		return 1;
	if (pb < eb)
		return -1;
	return 0;
}
