/*-------------------------------------------------------------------------
 *
 * bucket.c
 *		MurmurHash3 x86_32 and the Unleash rollout bucket.
 *
 * Unleash places a user in bucket (murmur3_x86_32("<groupId>:<userId>", 0)
 * mod 100) + 1 and enables the flag when bucket <= rollout percentage.
 * Because the bucket depends only on the group and the user, raising the
 * percentage adds users and never swaps them.  We hash UTF-8 bytes; the
 * reference node SDK hashes the low byte of each UTF-16 unit, so the two
 * differ only for non-ASCII ids (documented in docs/reference.md).
 *
 * This file has no PostgreSQL dependency: the cmocka suites link it as is.
 *
 *-------------------------------------------------------------------------
 */
#include "bucket.h"

#define MURMUR3_C1	0xcc9e2d51U
#define MURMUR3_C2	0x1b873593U

static inline uint32_t
rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* Scramble one 4-byte block (or the zero-padded tail) before mixing. */
static inline uint32_t
murmur3_scramble(uint32_t k)
{
	k *= MURMUR3_C1;
	k = rotl32(k, 15);
	k *= MURMUR3_C2;
	return k;
}

static inline uint32_t
murmur3_mix_block(uint32_t h1, uint32_t k)
{
	h1 ^= murmur3_scramble(k);
	h1 = rotl32(h1, 13);
	return h1 * 5 + 0xe6546b64U;
}

/* Start a hash with the given seed. */
void
murmur3_init(Murmur3State *state, uint32_t seed)
{
	state->h1 = seed;
	state->tail = 0;
	state->ntail = 0;
	state->length = 0;
}

/*
 * Feed bytes.  Blocks are read byte by byte in little-endian order, which is
 * the reference algorithm's definition, so the result does not depend on the
 * host's endianness or on where the caller split its input.
 */
void
murmur3_update(Murmur3State *state, const void *data, size_t len)
{
	const unsigned char *p = data;
	const unsigned char *end = p + len;
	uint32_t	h1 = state->h1;

	state->length += (uint32_t) len;

	/* finish a partial block left by the previous call */
	while (state->ntail != 0 && p < end)
	{
		state->tail |= (uint32_t) *p++ << (8 * state->ntail);
		if (++state->ntail == 4)
		{
			h1 = murmur3_mix_block(h1, state->tail);
			state->tail = 0;
			state->ntail = 0;
		}
	}

	while (end - p >= 4)
	{
		uint32_t	k = (uint32_t) p[0] | (uint32_t) p[1] << 8 |
			(uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;

		h1 = murmur3_mix_block(h1, k);
		p += 4;
	}

	while (p < end)
		state->tail |= (uint32_t) *p++ << (8 * state->ntail++);

	state->h1 = h1;
}

/* Finish the hash; the state itself is left untouched and can be extended. */
uint32_t
murmur3_final(const Murmur3State *state)
{
	uint32_t	h1 = state->h1;

	if (state->ntail != 0)
		h1 ^= murmur3_scramble(state->tail);

	h1 ^= state->length;
	h1 ^= h1 >> 16;
	h1 *= 0x85ebca6bU;
	h1 ^= h1 >> 13;
	h1 *= 0xc2b2ae35U;
	h1 ^= h1 >> 16;
	return h1;
}

/* One-shot hash of a buffer. */
uint32_t
murmur3_32(const void *data, size_t len, uint32_t seed)
{
	Murmur3State state;

	murmur3_init(&state, seed);
	murmur3_update(&state, data, len);
	return murmur3_final(&state);
}

uint32_t
bucket_normalize(uint32_t hash, uint32_t normalizer)
{
	if (normalizer == 0)
		return 0;
	return hash % normalizer + 1;
}

uint32_t
bucket_for(const char *group_id, size_t group_len, const char *id, size_t id_len)
{
	Murmur3State state;

	murmur3_init(&state, BUCKET_STRATEGY_SEED);
	murmur3_update(&state, group_id, group_len);
	murmur3_update(&state, ":", 1);
	murmur3_update(&state, id, id_len);
	return bucket_normalize(murmur3_final(&state), 100);
}
