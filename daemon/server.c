/*
 * The listening socket: bind cfg.listen ("ADDR:PORT", "[V6]:PORT"; port 0
 * picks a free one) or take the socket systemd passes (notify_listen_fd),
 * accept, and hand each connection to conn.c.
 *
 * Out of descriptors (EMFILE, ENFILE), accepting stops for a second
 * instead of spinning on a readable socket it cannot accept (tmux's
 * server_accept). At cfg.max_connections a new client takes the place of
 * the oldest that has not authenticated (conn_evict_unauthenticated); if
 * every one has, or past cfg.max_connections_per_address from its
 * address (peers.c), it gets one -32005 line and is closed; with TLS it
 * is only closed, as it could not read the line.
 *
 * Listening in the clear on an address other than loopback works but is
 * logged as a warning: tokens would cross the network readable by anyone.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "../lib/log.h"
#include "../lib/xmalloc.h"
#include "notify.h"
#include "ogid.h"
#include "peers.h"
#include "rpc.h"

#define SERVER_ACCEPTS_PER_EVENT 64
#define SERVER_BACKOFF_SEC 1

static int server_fd = -1;
static struct event *server_ev;
static struct event *server_backoff;

/* "ADDR:PORT" in the form the tests and clients parse. */
static void
server_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv,
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, size, "?");
	else if (sa->sa_family == AF_INET6)
		snprintf(buf, size, "[%s]:%s", host, serv);
	else
		snprintf(buf, size, "%s:%s", host, serv);
}

static void
server_busy(int fd, const char *why)
{
	char *line;

	if (tls_enabled()) {
		close(fd);
		return;
	}
	line = rpc_error_line(RPC_BUSY, why);
	/* A fresh socket's buffer takes one short line; if not, never mind. */
	if (send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("server: busy line not sent: %s", strerror(errno));
	free(line);
	close(fd);
}

/*
 * Log a refused connection, at most one line a second for each reason: a
 * client refused over and over would otherwise write the log (maybe on
 * the database's disk) as fast as it reconnects. The next line of the
 * reason counts those not logged.
 */
struct refusals {
	const char *reason;
	time_t last;
	unsigned long long quiet;
};
static struct refusals refused_all = { "max_connections", 0, 0 };
static struct refusals refused_addr = { "max_connections_per_address", 0, 0 };

static void
server_refused(struct refusals *r, int limit, const struct sockaddr *sa,
               socklen_t len)
{
	time_t now = time(NULL);
	char addr[80];

	if (now == r->last) {
		r->quiet++;
		return;
	}
	r->last = now;
	server_format(sa, len, addr, sizeof addr);
	log_warnx("server: event=refused peer=%s reason=%s limit=%d"
	          " not_logged=%llu",
	          addr, r->reason, limit, r->quiet);
	r->quiet = 0;
}

static void
server_backoff_cb(evutil_socket_t fd, short events, void *arg)
{
	if (server_ev != NULL)
		event_add(server_ev, NULL);
}

static void
server_accept(evutil_socket_t lfd, short events, void *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct timeval tv = { SERVER_BACKOFF_SEC, 0 };
	struct peer *peer;
	int fd, i, one = 1, per = ogid->cfg.max_connections_per_address;

	for (i = 0; i < SERVER_ACCEPTS_PER_EVENT; i++) {
		len = sizeof ss;
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			switch (errno) {
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return;
			case EINTR:
			case ECONNABORTED:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				log_warn("server: accept; pausing %d s",
				         SERVER_BACKOFF_SEC);
				event_del(server_ev);
				evtimer_add(server_backoff, &tv);
				return;
			default:
				log_warn("server: accept");
				return;
			}
		}
		if (ogid->shutting_down) {
			close(fd);
			continue;
		}
		/* The address's cap first: a client it refuses must not
		 * have evicted anyone to make room. */
		peer = peers_hold((struct sockaddr *)&ss);
		if (per > 0 && peers_count(peer) > (unsigned)per) {
			peers_release(peer);
			server_refused(&refused_addr, per,
			               (struct sockaddr *)&ss, len);
			server_busy(fd,
			            "too many connections from your address;"
			            " retry");
			continue;
		}
		if (ogid->cfg.max_connections > 0 &&
		    conn_count() >= (unsigned)ogid->cfg.max_connections &&
		    !conn_evict_unauthenticated()) {
			peers_release(peer);
			server_refused(&refused_all, ogid->cfg.max_connections,
			               (struct sockaddr *)&ss, len);
			server_busy(fd, "too many connections; retry");
			continue;
		}
		if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			           sizeof one);
		conn_accept(fd, (struct sockaddr *)&ss, (int)len, peer);
	}
}

bool
server_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		        sin6->sin6_addr.s6_addr[12] == 127);
	return sa->sa_family == AF_UNIX;
}

/*
 * The ready line, "ogid: listening on ADDR:PORT", on standard output and,
 * unless it is the same file, on standard error: SPEC section 8 has ogid
 * log to stderr and be ready when it prints the line, and a supervisor
 * may read either stream.
 */
static void
server_ready(const char *addr)
{
	struct stat out, err;

	/* stderr first: whoever sees the line on stdout finds it there. */
	if (fstat(STDOUT_FILENO, &out) == -1 ||
	    fstat(STDERR_FILENO, &err) == -1 || out.st_dev != err.st_dev ||
	    out.st_ino != err.st_ino) {
		fprintf(stderr, "ogid: listening on %s\n", addr);
		fflush(stderr);
	}
	printf("ogid: listening on %s\n", addr);
	fflush(stdout);
}

/*
 * Bind to "ADDR:PORT" (server_listen listens, once ogid is ready: until
 * then a client is refused, not left waiting); -1 with a log line on
 * failure. With loopback_only, -2 and nothing bound if any of its
 * addresses is not a loopback one.
 */
static int
server_bind(const char *spec, bool loopback_only)
{
	struct addrinfo hints, *res, *ai;
	char host[sizeof ogid->cfg.listen], *port;
	int fd = -1, one = 1, rc;

	snprintf(host, sizeof host, "%s", spec);
	port = strrchr(host, ':');
	if (port == NULL) {
		log_warnx("server: listen address \"%s\": expected ADDR:PORT",
		          spec);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[' && port - host >= 3 && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host + 1) + 1);
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc =
	    getaddrinfo(host[0] != '\0' && strcmp(host, "*") != 0 ? host : NULL,
	                port, &hints, &res);
	if (rc != 0) {
		log_warnx("server: listen address \"%s\": %s", spec,
		          gai_strerror(rc));
		return -1;
	}
	for (ai = res; loopback_only && ai != NULL; ai = ai->ai_next) {
		if (!server_loopback(ai->ai_addr)) {
			freeaddrinfo(res);
			return -2;
		}
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		            ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		log_warn("server: bind %s", spec);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* The listening socket's address, once server_open has it. */
static struct sockaddr_storage server_ss;
static socklen_t server_sslen;
static bool server_inherited; /* listening already (socket activation) */

/*
 * The listening socket: inherited (socket activation) or bound to the
 * listen address; before the database is opened. With loopback_only (root
 * without --allow-root), -2 if it is not on a loopback address, and
 * nothing bound.
 */
int
server_open(bool loopback_only)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int fd, flags;

	if ((fd = notify_listen_fd()) != -1) {
		server_inherited = true;
		flags = fcntl(fd, F_GETFL);
		if (flags == -1 ||
		    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
			log_warn("server: inherited socket");
			return -1;
		}
	} else if ((fd = server_bind(ogid->cfg.listen, loopback_only)) < 0)
		return fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		log_warn("server: getsockname");
		close(fd);
		return -1;
	}
	if (loopback_only && !server_loopback((struct sockaddr *)&ss)) {
		close(fd);
		return -2;
	}
	server_fd = fd;
	server_ss = ss;
	server_sslen = len;
	return 0;
}

/* Accept on the socket server_open made, and say so. */
int
server_listen(void)
{
	const struct sockaddr *sa = (const struct sockaddr *)&server_ss;
	char addr[NI_MAXHOST + NI_MAXSERV + 4];

	if (server_fd == -1)
		return -1;
	if (!server_inherited && listen(server_fd, SOMAXCONN) == -1) {
		log_warn("server: listen %s", ogid->cfg.listen);
		return -1;
	}
	server_ev = event_new(ogid->base, server_fd, EV_READ | EV_PERSIST,
	                      server_accept, NULL);
	event_priority_set(server_ev, 0);
	server_backoff = evtimer_new(ogid->base, server_backoff_cb, NULL);
	event_add(server_ev, NULL);
	server_format(sa, server_sslen, addr, sizeof addr);
	log_info("server: event=listening addr=%s tls=%s", addr,
	         tls_enabled() ? "yes" : "no");
	if (!tls_enabled() && !server_loopback(sa))
		log_warnx("server: listening in the clear on %s: tokens and "
		          "data cross the network unencrypted; set tls_cert "
		          "and tls_key",
		          addr);
	server_ready(addr);
	return 0;
}

void
server_stop_accepting(void)
{
	if (server_ev != NULL) {
		event_free(server_ev);
		server_ev = NULL;
	}
	if (server_backoff != NULL) {
		event_free(server_backoff);
		server_backoff = NULL;
	}
	if (server_fd != -1) {
		close(server_fd);
		server_fd = -1;
	}
}
