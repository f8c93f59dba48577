/*-------------------------------------------------------------------------
 *
 * cidr.h
 *		IPv4/IPv6 addresses and CIDR blocks for the IN_CIDR operator and the
 *		remoteAddress strategy.
 *
 * Pure C with no PostgreSQL dependency, so the cmocka suites can link it
 * directly.  Parsing never allocates.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RELEASE_CIDR_H
#define PG_RELEASE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct CidrBlock
{
	uint8_t		family;			/* 4 or 6 */
	uint8_t		bits;			/* prefix length: 0..32 or 0..128 */
	uint8_t		addr[16];		/* network byte order, host bits kept */
} CidrBlock;

/* "a.b.c.d", "a.b.c.d/n", "x:y::z", "x:y::/n"; an address is a full-length block. */
extern bool cidr_parse(const char *text, size_t len, CidrBlock *out);

/* A plain address (no prefix), e.g. the caller's remoteAddress. */
extern bool cidr_parse_address(const char *text, size_t len, CidrBlock *out);

/* Is addr (a full-length block) inside net?  Families must match. */
extern bool cidr_contains(const CidrBlock *net, const CidrBlock *addr);

#endif							/* PG_RELEASE_CIDR_H */
