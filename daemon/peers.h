/*
 * peers: live connections per client address (max_connections_per_address).
 */
#ifndef OGID_PEERS_H
#define OGID_PEERS_H

struct sockaddr;
struct peer;

/*
 * Count one more connection from sa's address; the entry is the caller's
 * until peers_release. IPv4 and IPv4-mapped IPv6 are one address; every
 * local (AF_UNIX) client is one.
 */
/*
 * The address as 16 bytes: IPv4 as its IPv4-mapped IPv6 form, other IPv6
 * by its /64 (but ::1 and link-local whole), AF_UNIX and others all zero.
 */
void peers_key(const struct sockaddr *sa, unsigned char key[16]);
struct peer *peers_hold(const struct sockaddr *sa);
/* Connections the address holds, this one included. */
unsigned peers_count(const struct peer *p);
/* One connection fewer; the entry is freed with the address's last. */
void peers_release(struct peer *p);
/* At exit, once every connection is gone. */
void peers_free(void);

#endif
