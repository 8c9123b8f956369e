/* The history hash chain. */
#include <openssl/evp.h>

#include "audit.h"
#include "log.h"

void
audit_hash(const uint8_t prev[32], const char *content, size_t len,
           uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 32;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, prev, 32) != 1 ||
	    EVP_DigestUpdate(ctx, content, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1)
		fatalx("audit: SHA-256 failed");
	EVP_MD_CTX_free(ctx);
}

void
audit_hex(const uint8_t h[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[h[i] >> 4];
		out[2 * i + 1] = hex[h[i] & 15];
	}
	out[64] = '\0';
}
