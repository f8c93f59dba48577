/*-------------------------------------------------------------------------
 *
 * cidr.c
 *		Parse IPv4/IPv6 addresses and CIDR blocks; test containment.
 *
 * inet_pton does the address syntax (strict: "127.invalid" and "bad::cidr"
 * are refused); the prefix length is ours.  Host bits of a block are
 * ignored, as Unleash's SDKs do ("10.1.2.3/8" means 10.0.0.0/8).
 *
 *-------------------------------------------------------------------------
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <string.h>

/* Longest text we accept: an IPv6 address with an IPv4 tail plus "/128". */
#define CIDR_TEXT_MAX	64

/* Parse the address part into out; text must be NUL-terminated. */
static bool
cidr_parse_addr_cstring(const char *text, CidrBlock *out)
{
	if (strchr(text, ':') != NULL)
	{
		if (inet_pton(AF_INET6, text, out->addr) != 1)
			return false;
		out->family = 6;
		out->bits = 128;
		return true;
	}
	if (inet_pton(AF_INET, text, out->addr) != 1)
		return false;
	out->family = 4;
	out->bits = 32;
	return true;
}

bool
cidr_parse_address(const char *text, size_t len, CidrBlock *out)
{
	char		buf[CIDR_TEXT_MAX];

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf) || memchr(text, '\0', len) != NULL)
		return false;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return cidr_parse_addr_cstring(buf, out);
}

bool
cidr_parse(const char *text, size_t len, CidrBlock *out)
{
	char		buf[CIDR_TEXT_MAX];
	char	   *slash;
	unsigned	bits = 0;
	const char *p;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf) || memchr(text, '\0', len) != NULL)
		return false;
	memcpy(buf, text, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (!cidr_parse_addr_cstring(buf, out))
		return false;
	if (slash == NULL)
		return true;

	p = slash + 1;
	if (*p == '\0' || strlen(p) > 3)
		return false;
	for (; *p; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		bits = bits * 10 + (unsigned) (*p - '0');
	}
	if (bits > out->bits)
		return false;
	out->bits = (uint8_t) bits;
	return true;
}

bool
cidr_contains(const CidrBlock *net, const CidrBlock *addr)
{
	unsigned	full = net->bits / 8;
	unsigned	rest = net->bits % 8;

	if (net->family != addr->family)
		return false;
	if (memcmp(net->addr, addr->addr, full) != 0)
		return false;
	if (rest != 0)
	{
		uint8_t		mask = (uint8_t) (0xFF << (8 - rest));

		if ((net->addr[full] & mask) != (addr->addr[full] & mask))
			return false;
	}
	return true;
}
