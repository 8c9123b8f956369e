/*
 * Live connections per client address, so that one host cannot take every
 * slot of max_connections (server_accept refuses past
 * max_connections_per_address). An entry exists only while its address
 * holds a connection: at most one per live connection.
 *
 * The address: IPv4 as its IPv4-mapped IPv6 form; other IPv6 by its /64
 * prefix, since a host may pick any source address in its /64 (SLAAC,
 * privacy addresses), but for ::1 and link-local addresses (fe80::/64 is
 * every host's on the link); every local (AF_UNIX) client is one address.
 *
 * A chained hash table of those 16-byte keys, grown when it holds more
 * entries than buckets. The hash mixes the key's two words with a random
 * seed through a non-linear finaliser: not cryptographic, but a client
 * cannot compute offline which addresses share a bucket. At worst a chain
 * is as long as the live connections.
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

void
peers_key(const struct sockaddr *sa, unsigned char key[16])
{
	const struct in6_addr *a6;

	memset(key, 0, 16);
	if (sa->sa_family == AF_INET6) {
		a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		/* IPv4-mapped, loopback, link-local (whose /64 is every
		 * host's on the link): the whole address; else its /64. */
		memcpy(key, a6,
		       IN6_IS_ADDR_V4MAPPED(a6) || IN6_IS_ADDR_LOOPBACK(a6) ||
		               IN6_IS_ADDR_LINKLOCAL(a6)
		           ? 16
		           : 8);
	} else if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr,
		       4);
	}
}

/* MurmurHash3's 64-bit finaliser: a bijection that mixes every bit. */
static uint64_t
peer_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static size_t
peer_hash(const unsigned char key[16])
{
	uint64_t w0, w1;

	memcpy(&w0, key, 8);
	memcpy(&w1, key + 8, 8);
	return (size_t)peer_mix(peer_mix(seed ^ w0) ^ w1) & (nbuckets - 1);
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
	peers_key(sa, key);
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
