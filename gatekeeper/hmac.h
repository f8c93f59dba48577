/*-------------------------------------------------------------------------
 *
 * hmac.h
 *		Webhook signatures (OpenSSL libcrypto): HMAC-SHA256 hex as Jira's
 *		X-Hub-Signature, base64 HMAC-SHA1 as Trello's X-Trello-Webhook,
 *		constant-time comparison, random tokens.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEKEEPER_HMAC_H
#define GATEKEEPER_HMAC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Does header ("sha256=<hex>", hex in either case) carry the HMAC-SHA256 of
 * body under secret?  False for a missing or malformed header.
 */
extern bool hmac_jira_valid(const char *secret, const char *body, size_t len,
							const char *header);

/*
 * Does header carry base64(HMAC-SHA1(secret, body || callback_url)), as
 * Trello signs its webhook deliveries?
 */
extern bool hmac_trello_valid(const char *secret, const char *body, size_t len,
							  const char *callback_url, const char *header);

/* Lower-case hex HMAC-SHA256 of data under key into out (65 bytes). */
extern bool hmac_sha256_hex(const void *key, size_t keylen, const void *data,
							size_t len, char out[65]);

/* Constant-time equality of two strings (false when lengths differ). */
extern bool hmac_equal(const char *a, const char *b);

/* nbytes random bytes as lower-case hex into out (2 * nbytes + 1). */
extern bool hmac_random_hex(char *out, size_t nbytes);

#endif							/* GATEKEEPER_HMAC_H */
