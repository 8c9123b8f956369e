/*
 * peers: connections are counted per address as SPEC-silent policy says
 * (README, max_connections_per_address): IPv4 and its IPv4-mapped IPv6
 * form are one address, IPv6 counts by /64, AF_UNIX clients are one; an
 * entry lives while it has a connection; the table grows and empties.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string.h>

#include "../../daemon/peers.h"
#include "tap.h"

static struct sockaddr_storage
v4(const char *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof ss);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(40000);
	inet_pton(AF_INET, a, &sin->sin_addr);
	return ss;
}

static struct sockaddr_storage
v6(const char *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(40001);
	inet_pton(AF_INET6, a, &sin6->sin6_addr);
	return ss;
}

static struct peer *
hold(struct sockaddr_storage ss)
{
	return peers_hold((struct sockaddr *)&ss);
}

static void
test_same_and_different(void)
{
	struct peer *a, *b, *c, *d, *e, *f, *u1, *u2;
	struct sockaddr_storage un;

	a = hold(v4("192.0.2.7"));
	b = hold(v6("::ffff:192.0.2.7"));
	ok(a == b && peers_count(a) == 2,
	   "IPv4 and its IPv4-mapped form are one address");
	c = hold(v4("192.0.2.8"));
	ok(c != a && peers_count(c) == 1, "another IPv4 address counts alone");
	d = hold(v6("2001:db8:1:2::10"));
	e = hold(v6("2001:db8:1:2:ffff:1:2:3"));
	ok(d == e && peers_count(d) == 2, "IPv6 in one /64 is one address");
	f = hold(v6("2001:db8:1:3::10"));
	ok(f != d && peers_count(f) == 1, "another /64 counts alone");
	{
		struct peer *l1 = hold(v6("fe80::1")),
		            *l2 = hold(v6("fe80::2"));

		ok(l1 != l2,
		   "link-local addresses count apart (one /64 for all)");
		peers_release(l1);
		peers_release(l2);
	}

	memset(&un, 0, sizeof un);
	un.ss_family = AF_UNIX;
	u1 = peers_hold((struct sockaddr *)&un);
	u2 = peers_hold((struct sockaddr *)&un);
	ok(u1 == u2 && peers_count(u1) == 2, "local clients are one address");

	peers_release(b);
	ok(peers_count(a) == 1, "a release counts one connection down");
	peers_release(a);
	a = hold(v4("192.0.2.7"));
	ok(peers_count(a) == 1,
	   "after its last release an address counts from one");
	peers_release(a);
	peers_release(c);
	peers_release(d);
	peers_release(e);
	peers_release(f);
	peers_release(u1);
	peers_release(u2);
	peers_release(NULL);
	ok(1, "releasing NULL does nothing");
}

/* Many addresses, held twice each: the table grows; all go again. */
static void
test_many(void)
{
	enum { N = 5000 };
	static struct peer *p[N];
	char buf[64];
	int i, bad = 0;

	for (i = 0; i < N; i++) {
		snprintf(buf, sizeof buf, "10.%d.%d.1", i / 256, i % 256);
		p[i] = hold(v4(buf));
		if (hold(v4(buf)) != p[i] || peers_count(p[i]) != 2)
			bad++;
	}
	ok(bad == 0, "%d addresses each found again (%d wrong)", N, bad);
	for (i = 0; i < N; i++)
		peers_release(p[i]);
	for (i = 0; i < N; i++) {
		snprintf(buf, sizeof buf, "10.%d.%d.1", i / 256, i % 256);
		if (hold(v4(buf)) != p[i] || peers_count(p[i]) != 2)
			bad++;
		peers_release(p[i]);
	}
	ok(bad == 0, "and still counted after the table grew (%d wrong)", bad);
	for (i = 0; i < N; i++)
		peers_release(p[i]);
	/* A fresh entry for a released address: it starts from one. */
	p[0] = hold(v4("10.0.0.1"));
	ok(peers_count(p[0]) == 1, "a released address counts from one again");
	peers_release(p[0]);
}

int
main(void)
{
	test_same_and_different();
	test_many();
	peers_free();
	return tap_done();
}
