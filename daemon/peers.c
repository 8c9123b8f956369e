/*
 * Live connections per client address, so that one host cannot take every
 * slot of max_connections (server_accept refuses past
 * max_connections_per_address). An entry exists only while its address
 * holds a connection, so there are at most max_connections of them.
 *
 * A chained hash table keyed by the 16-byte address (IPv4 as IPv4-mapped
 * IPv6), grown when it holds more entries than buckets. The hash is keyed
 * with a random seed: an IPv6 host choosing its source addresses within
 * its prefix cannot aim them all at one bucket.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/xmalloc.h"
#include "peers.h"

#define PEERS_MIN_BUCKETS 256

struct peer {
	struct peer *next;
	unsigned char addr[16];
	unsigned n; /* live connections */
};

static struct peer **buckets;
static size_t nbuckets; /* a power of two, or 0 before the first hold */
static size_t npeers;
static uint64_t seed;

/* The address as 16 bytes: IPv4 mapped into IPv6, AF_UNIX all zero. */
static void
peer_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr,
		       4);
	}
}

/* FNV-1a from a random seed, then a 64-bit finaliser (MurmurHash3's). */
static size_t
peer_hash(const unsigned char key[16])
{
	uint64_t h = 14695981039346656037ULL ^ seed;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (size_t)h & (nbuckets - 1);
}

static void
peers_grow(void)
{
	struct peer **old = buckets, *p, *next;
	size_t oldn = nbuckets, i, b;

	nbuckets = oldn ? oldn * 2 : PEERS_MIN_BUCKETS;
	buckets = xcalloc(nbuckets, sizeof(*buckets));
	for (i = 0; i < oldn; i++)
		for (p = old[i]; p != NULL; p = next) {
			next = p->next;
			b = peer_hash(p->addr);
			p->next = buckets[b];
			buckets[b] = p;
		}
	free(old);
}

struct peer *
peers_hold(const struct sockaddr *sa)
{
	unsigned char key[16];
	struct peer *p;
	size_t b;

	if (nbuckets == 0) {
		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(seed))
			seed =
			    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		peers_grow();
	}
	peer_key(sa, key);
	b = peer_hash(key);
	for (p = buckets[b]; p != NULL; p = p->next)
		if (memcmp(p->addr, key, 16) == 0) {
			p->n++;
			return p;
		}
	if (npeers >= nbuckets) {
		peers_grow();
		b = peer_hash(key);
	}
	p = xcalloc(1, sizeof(*p));
	memcpy(p->addr, key, 16);
	p->n = 1;
	p->next = buckets[b];
	buckets[b] = p;
	npeers++;
	return p;
}

unsigned
peers_count(const struct peer *p)
{
	return p->n;
}

void
peers_release(struct peer *p)
{
	struct peer **pp;

	if (p == NULL || --p->n > 0)
		return;
	for (pp = &buckets[peer_hash(p->addr)]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	npeers--;
	free(p);
}

void
peers_free(void)
{
	struct peer *p, *next;
	size_t i;

	for (i = 0; i < nbuckets; i++)
		for (p = buckets[i]; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	free(buckets);
	buckets = NULL;
	nbuckets = npeers = 0;
}
