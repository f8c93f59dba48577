/*-------------------------------------------------------------------------
 *
 * bucket.h
 *		MurmurHash3 (x86, 32-bit) and Unleash-compatible rollout buckets.
 *
 * Pure C with no PostgreSQL dependency, so the cmocka suites can link it
 * directly.  The streaming form lets the cache hash a flag's "groupId:"
 * prefix once and finish the hash per call with only the user id.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RELEASE_BUCKET_H
#define PG_RELEASE_BUCKET_H

#include <stddef.h>
#include <stdint.h>

/* Seeds used by Unleash: strategies hash with 0, variant selection with this. */
#define BUCKET_STRATEGY_SEED	0
#define BUCKET_VARIANT_SEED		86028157

/*
 * Incremental MurmurHash3 x86_32 state.  Copying the struct forks the hash,
 * which is how a precomputed prefix is reused.
 */
typedef struct Murmur3State
{
	uint32_t	h1;				/* running hash over complete 4-byte blocks */
	uint32_t	tail;			/* pending bytes, little-endian packed */
	uint32_t	ntail;			/* number of pending bytes, 0..3 */
	uint32_t	length;			/* total bytes fed so far */
} Murmur3State;

extern void murmur3_init(Murmur3State *state, uint32_t seed);
extern void murmur3_update(Murmur3State *state, const void *data, size_t len);
extern uint32_t murmur3_final(const Murmur3State *state);
extern uint32_t murmur3_32(const void *data, size_t len, uint32_t seed);

/* (hash mod normalizer) + 1: a bucket in 1..normalizer; 0 if normalizer is 0 */
extern uint32_t bucket_normalize(uint32_t hash, uint32_t normalizer);

/* Unleash's normalizedValue(id, groupId, 100, seed 0) for one user id */
extern uint32_t bucket_for(const char *group_id, size_t group_len,
						   const char *id, size_t id_len);

#endif							/* PG_RELEASE_BUCKET_H */
