/* The history hash chain. */
#include <openssl/evp.h>

#include "audit.h"
#include "log.h"

/*
 * One digest context and one fetched SHA-256, kept for the process: making
 * and fetching them per event cost a third of the hashing. Not for
 * concurrent use; only the thread that writes history hashes.
 */
void
audit_hash(const uint8_t prev[32], const char *content, size_t len,
           uint8_t out[32])
{
	static EVP_MD_CTX *ctx;
	static EVP_MD *md;
	unsigned int n = 32;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		fatalx("audit: no SHA-256");
	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("audit: EVP_MD_CTX_new");
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, prev, 32) != 1 ||
	    EVP_DigestUpdate(ctx, content, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1)
		fatalx("audit: SHA-256 failed");
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
