/*
 * The history chain (SPEC section 6): each event's hash is
 * SHA-256(previous hash || canonical content). The first event's previous
 * hash is 32 zero bytes.
 */
#ifndef OGI_AUDIT_H
#define OGI_AUDIT_H

#include <stddef.h>
#include <stdint.h>

void audit_hash(const uint8_t prev[32], const char *content, size_t len,
                uint8_t out[32]);
/* Lower-case hex of 32 bytes into out (65 bytes). */
void audit_hex(const uint8_t h[32], char out[65]);

#endif
