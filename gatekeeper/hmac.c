/*-------------------------------------------------------------------------
 *
 * hmac.c
 *		Signatures of tracker webhooks and random tokens, on OpenSSL's
 *		libcrypto.
 *
 * Every comparison of a signature or token goes through hmac_equal(),
 * which takes the same time whatever the position of the first
 * difference (CRYPTO_memcmp), so a forger learns nothing from timing.
 * Library code: prints nothing, keeps no secret beyond the call.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "hmac.h"

static const char hexdigits[] = "0123456789abcdef";

/* bytes as lower-case hex, NUL-terminated */
static void
to_hex(const unsigned char *in, size_t n, char *out)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* Equal, non-empty strings?  Constant time for strings of equal length. */
bool
hmac_equal(const char *a, const char *b)
{
	size_t		la;
	size_t		lb;

	if (a == NULL || b == NULL)
		return false;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb || la == 0)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* HMAC-SHA256 of data under key, as 64 lower-case hex digits. */
bool
hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), key, (int) keylen, data, len, md, &mdlen) == NULL || mdlen != 32)
		return false;
	to_hex(md, mdlen, out);
	OPENSSL_cleanse(md, sizeof(md));
	return true;
}

/* Check Jira's X-Hub-Signature ("sha256=" + hex, either case). */
bool
hmac_jira_valid(const char *secret, const char *body, size_t len, const char *header)
{
	char		expect[65];
	char		given[65];
	size_t		i;
	bool		ok;

	if (secret == NULL || secret[0] == '\0' || header == NULL)
		return false;
	if (strncmp(header, "sha256=", 7) != 0 || strlen(header + 7) != 64)
		return false;
	for (i = 0; i < 64; i++)
		given[i] = (char) tolower((unsigned char) header[7 + i]);
	given[64] = '\0';
	if (!hmac_sha256_hex(secret, strlen(secret), body, len, expect))
		return false;
	ok = hmac_equal(expect, given);
	OPENSSL_cleanse(expect, sizeof(expect));
	return ok;
}

/* Check Trello's X-Trello-Webhook: base64 HMAC-SHA1 of body + callback URL. */
bool
hmac_trello_valid(const char *secret, const char *body, size_t len,
				  const char *callback_url, const char *header)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	size_t		urllen;
	unsigned char *signed_text;
	bool		ok;

	if (secret == NULL || secret[0] == '\0' || callback_url == NULL || header == NULL)
		return false;
	/* Trello signs the body followed by the callback URL it was given */
	urllen = strlen(callback_url);
	signed_text = malloc(len + urllen + 1);
	if (signed_text == NULL)
		return false;
	memcpy(signed_text, body, len);
	memcpy(signed_text + len, callback_url, urllen);
	ok = HMAC(EVP_sha1(), secret, (int) strlen(secret), signed_text, len + urllen,
			  md, &mdlen) != NULL;
	free(signed_text);
	if (!ok)
		return false;
	EVP_EncodeBlock(b64, md, (int) mdlen);
	ok = hmac_equal((const char *) b64, header);
	OPENSSL_cleanse(md, sizeof(md));
	OPENSSL_cleanse(b64, sizeof(b64));
	return ok;
}

/* nbytes from OpenSSL's CSPRNG as hex; false when it cannot seed. */
bool
hmac_random_hex(char *out, size_t nbytes)
{
	unsigned char *buf = malloc(nbytes);
	bool		ok;

	if (buf == NULL)
		return false;
	ok = RAND_bytes(buf, (int) nbytes) == 1;
	if (ok)
		to_hex(buf, nbytes, out);
	OPENSSL_cleanse(buf, nbytes);
	free(buf);
	return ok;
}
