/*
 * One client connection: newline framing, limits, timeouts, output, and the
 * hand-off of each line to rpc.c. A connection runs one line at a time, in
 * order; a write stops it until the group commit reports (conn_commit_done).
 *
 * Limits (SPEC section 5, DESIGN "Errors and limits"):
 * - a line, or an unterminated tail, over max_request_bytes: -32600 with
 *   id null, then close after flushing;
 * - at most requests_per_event calls per turn of the loop, then a
 *   zero-timeout event continues, so one client cannot starve the others;
 * - output over max_output_bytes: stop reading and running requests until
 *   it has drained; over twice that: drop the client; no write progress for
 *   request_timeout seconds: drop the client (it does not read);
 * - not authenticated within idle_timeout seconds, or half a request
 *   waiting request_timeout seconds: close.
 *
 * A connection is never freed inside one of its own callbacks: conn_close
 * marks it dead and the reaper event frees it from the loop (tmux's
 * server_client_unref). Closing after an error response shuts down the
 * sending side and drains what the client still sends for a moment
 * ("lingering close"), so the kernel does not answer unread input with a
 * reset that would destroy the response.
 *
 * With TLS (tls.c) the bufferevent is a bufferevent_openssl: the same
 * framing and limits run over the decrypted stream, a close_notify is the
 * client's EOF, and ours goes out before our FIN. Such a bufferevent
 * writes inside bufferevent_write and may call the write and event
 * callbacks from there: they never run requests themselves.
 */
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "../lib/log.h"
#include "../lib/xmalloc.h"
#include "events.h"
#include "jsonr.h"
#include "ogid.h"
#include "peers.h"
#include "rpc.h"

#define CONN_LINGER_MS 2000         /* lingering close: drain input this long */
#define CONN_SHUTDOWN_GRACE_MS 5000 /* SIGTERM: then close what is left */
#define CONN_MOVE_LINE 16384        /* response lines this long are moved */

struct conn {
	uint64_t id;
	struct bufferevent *bev;
	struct ssl_st *ssl; /* owned by bev; NULL: plain TCP */
	/* Plain TCP: the socket read by conn_recv_cb, not by the bufferevent
	 * (into its input all the same); on while !read_off && !read_full. */
	struct event *rev;
	bool read_off;  /* reading stopped: paused, closing, EOF, shutdown */
	bool read_full; /* the input holds a whole request's worth */
	bool rev_on;    /* rev is added */
	struct session session;
	struct peer *peer;     /* its address's count (peers.c), until closed */
	struct event *resume;  /* zero timeout: continue after the budget */
	struct event *timer;   /* idle, request and linger timeouts */
	struct evbuffer *line; /* the response line being built */
	struct rpc_work work;
	bool working;    /* work holds a line being run */
	bool waiting;    /* waiting for conn_commit_done */
	bool eof;        /* the client closed its sending side */
	bool paused;     /* output over the limit: not reading or running */
	bool closing;    /* close once the output is flushed */
	bool linger;     /* linger even when no input is seen (oversize) */
	bool lingering;  /* output flushed, draining input before close */
	bool dead;       /* closed: the reaper frees it */
	bool tls_failed; /* no close_notify after a TLS error */
	/* The line being read begins [auth with a valid token: its limits
	 * are an authenticated connection's (conn_auth_head). */
	bool auth_head;
	unsigned long long dropped_events; /* pushes dropped: output full */
	const char *reason;                /* why it is closing */
	size_t scanned;         /* input bytes known to hold no "\n" */
	uint64_t unauth_since;  /* ms: since when not authenticated */
	uint64_t partial_since; /* ms: half a request waiting, or 0 */
	uint64_t linger_since;
	uint64_t requests;
	TAILQ_ENTRY(conn) entry;
	TAILQ_ENTRY(conn) unauth_entry; /* on unauth_list if in_unauth */
	bool in_unauth;
};

static TAILQ_HEAD(, conn) conn_list = TAILQ_HEAD_INITIALIZER(conn_list);
/*
 * The connections in the order they last became unauthenticated (opened,
 * or their user disabled): those that authenticated since are dropped
 * lazily, when they come to the head (conn_evict_unauthenticated), so an
 * eviction costs O(1) amortized, not a walk over max_connections.
 */
static TAILQ_HEAD(, conn) unauth_list = TAILQ_HEAD_INITIALIZER(unauth_list);
static struct event *conn_reaper;
static struct event *conn_grace;
static uint64_t conn_next_id;
static unsigned conn_live;
static bool conn_shutting_down;
static void (*conn_shutdown_done)(void);

static void conn_process(struct conn *);
static void conn_close(struct conn *, const char *);
static void conn_linger(struct conn *);

static uint64_t
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned conn_npaused; /* paused for output: see max_output_total */

static size_t
conn_max_output(void)
{
	return ogid->cfg.max_output_bytes > 0 ? ogid->cfg.max_output_bytes
	                                      : 4 << 20;
}

/*
 * What a line may hold. Before auth: 64 KiB and 1024 values; so 1,024
 * clients that never log in hold at most some 64 MiB of input and nothing
 * like a tree of a megabyte of "[{},{},...]" each (~80 MB: jansson takes
 * some 200 bytes a value). After it, or on a line that begins with an
 * auth whose token is valid ([auth, call], SPEC section 5: checked once
 * the line passes a limit, conn_auth_head): max_request_bytes and 65,536
 * values (a batch of a few thousand calls).
 */
#define CONN_UNAUTH_BYTES 65536
#define CONN_UNAUTH_VALUES 1024
#define CONN_VALUES 65536

static size_t
conn_max_request(const struct conn *c)
{
	size_t max = ogid->cfg.max_request_bytes > 0
	                 ? (size_t)ogid->cfg.max_request_bytes
	                 : 1 << 20;

	return !c->session.authed && !c->auth_head && max > CONN_UNAUTH_BYTES
	           ? CONN_UNAUTH_BYTES
	           : max;
}

/* An auth call is far shorter: a longer first element is not parsed. */
#define CONN_AUTH_HEAD_MAX 4096

/*
 * Before auth, a line over a limit: does it begin with an auth whose
 * token is valid? Its first element is looked for in the line's first
 * linelen bytes (at most 64 KiB), and if it is short enough, parsed and
 * checked (methods_auth_head). 1: the line gets an authenticated
 * connection's limits; 0: no auth at its head; -1: an auth whose token is
 * wrong (counted against the address): the caller refuses the line and
 * ends the connection, so a guess costs a connection as in m_auth.
 */
static int
conn_auth_head(struct conn *c, struct evbuffer *in, size_t linelen)
{
	size_t n = linelen, off, len;
	const char *data;
	json_t *call;
	int rc = 0;

	if (c->session.authed || c->auth_head)
		return c->auth_head ? 1 : 0;
	if (n > CONN_UNAUTH_BYTES)
		n = CONN_UNAUTH_BYTES;
	data = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	if (data == NULL || jr_first_element(data, n, &off, &len) != 1 ||
	    len > CONN_AUTH_HEAD_MAX)
		return 0;
	call = json_loadb(data + off, len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(call))
		rc = methods_auth_head(&c->session, call);
	json_decref(call);
	c->auth_head = rc == 1;
	log_info("conn=%llu peer=%s event=auth_head ok=%s",
	         (unsigned long long)c->id, c->session.peer,
	         rc == 1   ? "yes"
	         : rc == 0 ? "no_auth"
	                   : "no");
	return rc;
}

static size_t
conn_output_len(struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

static void
conn_rev_sync(struct conn *c)
{
	bool on = !c->read_off && !c->read_full && !c->dead;

	if (c->rev == NULL || on == c->rev_on)
		return;
	if (on)
		event_add(c->rev, NULL);
	else
		event_del(c->rev);
	c->rev_on = on;
}

/* Start or stop reading the client's input. */
static void
conn_reading(struct conn *c, bool on)
{
	if (c->rev == NULL) {
		if (on)
			bufferevent_enable(c->bev, EV_READ);
		else
			bufferevent_disable(c->bev, EV_READ);
		return;
	}
	c->read_off = !on;
	conn_rev_sync(c);
}

static void
conn_timer_update(struct conn *c)
{
	const struct ogi_config *cfg = &ogid->cfg;
	uint64_t deadline = 0, d, now;
	struct timeval tv;

	if (c->dead)
		return;
	if (c->lingering)
		deadline = c->linger_since + CONN_LINGER_MS;
	else if (!c->closing) {
		if (!c->session.authed && cfg->idle_timeout > 0)
			deadline = c->unauth_since +
			           (uint64_t)cfg->idle_timeout * 1000;
		if (c->partial_since != 0 && cfg->request_timeout > 0) {
			d = c->partial_since +
			    (uint64_t)cfg->request_timeout * 1000;
			if (deadline == 0 || d < deadline)
				deadline = d;
		}
	}
	if (deadline == 0) {
		evtimer_del(c->timer);
		return;
	}
	now = conn_now_ms();
	d = deadline > now ? deadline - now : 0;
	tv.tv_sec = d / 1000;
	tv.tv_usec = (d % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

static void
conn_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c = arg;
	const struct ogi_config *cfg = &ogid->cfg;
	uint64_t now = conn_now_ms();

	if (c->lingering) {
		conn_close(c, c->reason);
		return;
	}
	if (c->closing)
		return;
	if (!c->session.authed && cfg->idle_timeout > 0 &&
	    now >= c->unauth_since + (uint64_t)cfg->idle_timeout * 1000) {
		conn_close(c, "idle_timeout");
		return;
	}
	if (c->partial_since != 0 && cfg->request_timeout > 0 &&
	    now >= c->partial_since + (uint64_t)cfg->request_timeout * 1000) {
		conn_close(c, "request_timeout");
		return;
	}
	conn_timer_update(c);
}

/* Continue from the loop: after the budget, or after a commit. */
static void
conn_schedule(struct conn *c)
{
	static const struct timeval zero = { 0, 0 };

	if (!c->dead && !c->closing)
		event_add(c->resume, &zero);
}

static void
conn_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	conn_process(arg);
}

static void
conn_reaper_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c, *c1;
	void (*done)(void);

	for (c = TAILQ_FIRST(&conn_list); c != NULL; c = c1) {
		c1 = TAILQ_NEXT(c, entry);
		if (!c->dead)
			continue;
		TAILQ_REMOVE(&conn_list, c, entry);
		if (c->paused)
			conn_npaused--;
		rpc_work_free(&c->work);
		if (c->rev != NULL)
			event_free(c->rev);
		bufferevent_free(c->bev);
		event_free(c->resume);
		event_free(c->timer);
		evbuffer_free(c->line);
		free(c);
	}
	if (conn_shutting_down && conn_live == 0 &&
	    conn_shutdown_done != NULL) {
		done = conn_shutdown_done;
		conn_shutdown_done = NULL;
		if (conn_grace != NULL)
			event_del(conn_grace);
		done();
	}
}

static void
unauth_leave(struct conn *c)
{
	if (c->in_unauth) {
		TAILQ_REMOVE(&unauth_list, c, unauth_entry);
		c->in_unauth = false;
	}
}

/* Unauthenticated from now on: at the tail of unauth_list. */
static void
unauth_enter(struct conn *c)
{
	unauth_leave(c);
	TAILQ_INSERT_TAIL(&unauth_list, c, unauth_entry);
	c->in_unauth = true;
	c->unauth_since = conn_now_ms();
}

/* Close now (the reaper frees it from the loop). */
static void
conn_close(struct conn *c, const char *reason)
{
	if (c->dead)
		return;
	c->dead = true;
	unauth_leave(c);
	events_subscribe(&c->session, 0);
	log_info("conn=%llu peer=%s event=close reason=%s requests=%llu",
	         (unsigned long long)c->id, c->session.peer, reason,
	         (unsigned long long)c->requests);
	if (c->waiting) {
		commit_forget(c);
		c->waiting = false;
	}
	if (c->ssl != NULL && !c->tls_failed && conn_output_len(c) == 0)
		tls_close_notify(c->ssl);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	conn_reading(c, false);
	event_del(c->resume);
	event_del(c->timer);
	peers_release(c->peer);
	c->peer = NULL;
	conn_live--;
	ogid->nconns = conn_live;
	event_active(conn_reaper, EV_TIMEOUT, 0);
}

/* Close once the output is flushed; nothing more is read or run. */
static void
conn_finish(struct conn *c, const char *reason)
{
	if (c->dead || c->closing)
		return;
	c->closing = true;
	c->reason = reason;
	conn_reading(c, false);
	event_del(c->resume);
	evtimer_del(c->timer);
	if (conn_output_len(c) == 0)
		conn_linger(c); /* else from the write callback */
}

/*
 * The output is flushed. If the client may still be sending, closing now
 * would answer its data with a reset that can destroy our last response:
 * send FIN and drain the input for a moment first.
 */
static void
conn_linger(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	int unread = 0;

	if (c->dead || c->lingering)
		return;
	if (c->eof ||
	    (!c->linger && evbuffer_get_length(in) == 0 &&
	     (ioctl(bufferevent_getfd(c->bev), FIONREAD, &unread) != 0 ||
	      unread == 0))) {
		conn_close(c, c->reason);
		return;
	}
	c->lingering = true;
	c->linger_since = conn_now_ms();
	if (c->ssl != NULL)
		tls_close_notify(c->ssl);
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	evbuffer_drain(in, evbuffer_get_length(in));
	c->read_full = false;
	if (c->rev == NULL)
		bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	conn_reading(c, true);
	conn_timer_update(c);
}

/*
 * A reply to a connection with nothing queued goes straight to the socket.
 * Through the bufferevent it would cost two epoll_ctl calls (add, then
 * remove, the interest in writing) and a loop pass before the write.
 * Plain TCP only: TLS writes through OpenSSL. Returns the bytes sent; what
 * is left goes the usual way, in order, and so do errors (the bufferevent
 * meets them again).
 */
static size_t
conn_send_now(struct conn *c, const char *buf, size_t len)
{
	ssize_t n;

	if (c->ssl != NULL || c->closing || c->eof || conn_output_len(c) != 0)
		return 0;
	n = send(bufferevent_getfd(c->bev), buf, len,
	         MSG_DONTWAIT | MSG_NOSIGNAL);
	return n > 0 ? (size_t)n : 0;
}

/*
 * A whole response line with nothing before it is sent from the caller's
 * buffer: copied into c->line it cost a 4 KiB chain malloc'ed and freed
 * per reply (and glibc's consolidation of its small free blocks with it).
 * The rest, and the pieces of a batch, gather in c->line for
 * conn_line_done.
 */
static int
conn_emit(const char *buf, size_t size, void *arg)
{
	struct conn *c = arg;
	size_t n = 0;

	if (size > 0 && size < CONN_MOVE_LINE && buf[size - 1] == '\n' &&
	    evbuffer_get_length(c->line) == 0)
		n = conn_send_now(c, buf, size);
	if (n == size)
		return 0;
	return evbuffer_add(c->line, buf + n, size - n);
}

/* The line's response is complete: send it. */
static void
conn_line_done(struct conn *c)
{
	bool close_after = c->work.close;
	size_t len = evbuffer_get_length(c->line);

	rpc_work_free(&c->work);
	c->working = false;
	if (len > 0 && len < CONN_MOVE_LINE) {
		size_t n = conn_send_now(
		    c, (const char *)evbuffer_pullup(c->line, -1), len);

		evbuffer_drain(c->line, n);
		len -= n;
	}
	/*
	 * Moving chains would keep a mostly empty chain per small response
	 * (memory several times the bytes queued): copy small lines.
	 */
	if (len >= CONN_MOVE_LINE) {
		bufferevent_write_buffer(c->bev, c->line);
	} else if (len > 0) {
		bufferevent_write(c->bev, evbuffer_pullup(c->line, -1), len);
		evbuffer_drain(c->line, len);
	}
	if (conn_output_len(c) > 2 * conn_max_output()) {
		conn_close(c, "output_limit");
		return;
	}
	if (close_after)
		conn_finish(c, "auth_failures");
}

static void
conn_pause(struct conn *c)
{
	if (c->paused)
		return;
	c->paused = true;
	conn_npaused++;
	conn_reading(c, false);
	log_debug("conn=%llu event=pause output=%zu", (unsigned long long)c->id,
	          conn_output_len(c));
}

/*
 * c holds more unsent output than max_output_bytes: pause it, or close it
 * if one more paused connection would pass max_output_total (clients that
 * never read, answers or pushed events, hold memory: the sum is capped).
 * false if closed.
 */
static bool
conn_budget_pause(struct conn *c)
{
	if (!c->paused && (size_t)(conn_npaused + 1) * conn_max_output() >
	                      ogid->cfg.max_output_total) {
		conn_close(c, "output_budget");
		return false;
	}
	conn_pause(c);
	return true;
}

static bool
conn_blank(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	}
	return true;
}

/* A -32600 with id null for a line that was not read (too large). */
static void
conn_invalid_request(struct conn *c, const char *msg)
{
	char *line = rpc_error_line(RPC_INVALID_REQUEST, msg);

	bufferevent_write(c->bev, line, strlen(line));
	free(line);
}

static void
conn_oversize(struct conn *c, size_t len)
{
	log_info("conn=%llu peer=%s event=oversize bytes>=%zu",
	         (unsigned long long)c->id, c->session.peer, len);
	conn_invalid_request(c, "request too large");
	c->linger = true;
	conn_finish(c, "oversize");
}

/* A line with more values than it may hold: one -32600, then the next. */
static void
conn_too_many_values(struct conn *c, size_t max)
{
	char msg[96];

	log_info("conn=%llu peer=%s event=too_many_values max=%zu",
	         (unsigned long long)c->id, c->session.peer, max);
	snprintf(msg, sizeof(msg), "request too large: more than %zu values%s",
	         max, c->session.authed ? "" : " before auth");
	conn_invalid_request(c, msg);
}

/*
 * Take the next complete line from the input and start it. Returns 1 when
 * the caller should go on, 0 when there is nothing to do now.
 */
static int
conn_next_line(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in), max = conn_max_request(c),
	       linelen, drain, values, nvalues;
	struct evbuffer_ptr p;
	int head;
	unsigned char *data;

	if (len == 0) {
		c->partial_since = 0;
		c->scanned = 0;
		if (c->eof || conn_shutting_down) {
			conn_finish(c, conn_shutting_down ? "shutdown" : "eof");
			return 0;
		}
		return 0;
	}
	p.pos = -1;
	if (c->scanned < len) {
		evbuffer_ptr_set(in, &p, c->scanned, EVBUFFER_PTR_SET);
		p = evbuffer_search(in, "\n", 1, &p);
	}
	if (p.pos < 0) {
		c->scanned = len;
		if (len > max && conn_auth_head(c, in, len) == 1)
			max = conn_max_request(c);
		if (len > max) {
			conn_oversize(c, len);
			return 0;
		}
		if (conn_shutting_down) {
			/* Half a request is not in flight: drop it. */
			conn_finish(c, "shutdown");
			return 0;
		}
		if (!c->eof) {
			if (c->partial_since == 0)
				c->partial_since = conn_now_ms();
			return 0;
		}
		linelen = drain = len; /* the final request, ended by EOF */
	} else {
		linelen = (size_t)p.pos;
		drain = linelen + 1;
		if (linelen > max && conn_auth_head(c, in, linelen) == 1)
			max = conn_max_request(c);
		if (linelen > max) {
			conn_oversize(c, linelen);
			return 0;
		}
	}
	c->scanned = 0;
	c->partial_since = 0;
	data = evbuffer_pullup(in, (ev_ssize_t)linelen);
	values = c->session.authed || c->auth_head ? CONN_VALUES
	                                           : CONN_UNAUTH_VALUES;
	nvalues = linelen >= 2 * values
	              ? jr_values((const char *)data, linelen, values)
	              : 0;
	head = 0;
	if (nvalues > values && values == CONN_UNAUTH_VALUES &&
	    (head = conn_auth_head(c, in, linelen)) == 1) {
		values = CONN_VALUES;
		data = evbuffer_pullup(in, (ev_ssize_t)linelen);
		nvalues = linelen >= 2 * values
		              ? jr_values((const char *)data, linelen, values)
		              : 0;
	}
	if (nvalues > values) {
		conn_too_many_values(c, values);
		if (head == -1) {
			/* A wrong token at its head: as a failed auth over the
			 * address's limit, the connection ends. */
			c->linger = true;
			conn_finish(c, "auth_head_failed");
			return 0;
		}
	} else if (linelen != 0 && !conn_blank(data, linelen)) {
		rpc_work_start(&c->work, (const char *)data, linelen,
		               conn_shutting_down, conn_emit, c);
		c->working = true;
	}
	c->auth_head = false;
	evbuffer_drain(in, drain);
	if (c->read_full) {
		c->read_full = false;
		conn_rev_sync(c);
	}
	return 1;
}

/* Run lines and calls until the budget is spent or something blocks. */
static void
conn_process(struct conn *c)
{
	int budget = ogid->cfg.requests_per_event > 0
	                 ? ogid->cfg.requests_per_event
	                 : 64;
	enum rpc_step st;

	if (c->dead || c->closing)
		return;
	for (;;) {
		if (c->dead || c->closing)
			return;
		if (c->working && c->waiting)
			break;
		if (conn_output_len(c) > conn_max_output()) {
			if (!conn_budget_pause(c))
				return;
			break;
		}
		if (!c->working) {
			if (conn_next_line(c) == 0)
				break;
			continue;
		}
		if (budget-- <= 0) {
			conn_schedule(c);
			break;
		}
		c->requests++;
		st = rpc_work_step(&c->work, &c->session);
		if (st == RPC_WAIT) {
			/* Set first: commit_wait may report at once. */
			c->waiting = true;
			commit_wait(c);
			continue;
		}
		if (evbuffer_get_length(c->line) + conn_output_len(c) >
		    2 * conn_max_output()) {
			conn_close(c, "output_limit");
			return;
		}
		if (st == RPC_DONE)
			conn_line_done(c);
	}
	conn_timer_update(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->lingering) {
		evbuffer_drain(bufferevent_get_input(bev),
		               evbuffer_get_length(bufferevent_get_input(bev)));
		return;
	}
	conn_process(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (conn_output_len(c) != 0)
		return;
	if (c->closing) {
		conn_linger(c);
		return;
	}
	if (c->paused) {
		c->paused = false;
		conn_npaused--;
		if (!c->eof && !conn_shutting_down)
			conn_reading(c, true);
		conn_schedule(c); /* may be inside bufferevent_write */
	}
}

/* Log the OpenSSL error that ended the connection; NULL if there is none. */
static const char *
conn_tls_error(struct conn *c)
{
	unsigned long e, first = 0;

	/* Popped newest first: keep the oldest, the cause. */
	while ((e = bufferevent_get_openssl_error(c->bev)) != 0) {
		if (tls_error_text(e) != NULL)
			first = e;
	}
	if (first == 0)
		return NULL;
	log_info("conn=%llu peer=%s event=tls_error error=\"%s\"",
	         (unsigned long long)c->id, c->session.peer,
	         tls_error_text(first));
	return "tls_error";
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	const char *reason;
	char buf[512];

	if (what & BEV_EVENT_CONNECTED) {
		if (c->ssl != NULL) {
			tls_describe(c->ssl, buf, sizeof buf);
			log_info("conn=%llu peer=%s event=tls %s",
			         (unsigned long long)c->id, c->session.peer,
			         buf);
		}
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->eof = true;
		/* bufferevent_openssl stops writing at EOF: restart it. */
		if (c->ssl != NULL && conn_output_len(c) > 0)
			bufferevent_enable(c->bev, EV_WRITE);
		if (c->lingering) {
			conn_close(c, c->reason);
			return;
		}
		if (!c->closing) {
			conn_process(c);
			return;
		}
		if (conn_output_len(c) == 0)
			conn_close(c, c->reason);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		reason = errno == ECONNRESET ? "reset" : "error";
		if (c->ssl != NULL) {
			c->tls_failed = true;
			if (conn_tls_error(c) != NULL)
				reason = "tls_error";
		}
		if (c->lingering)
			conn_close(c, c->reason);
		else
			conn_close(c, reason);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		conn_close(c, "write_timeout");
}

/*
 * Plain TCP: one recv into the bufferevent's input, where conn_read_cb
 * finds it. The bufferevent's own read asked the kernel how much was
 * readable first (FIONREAD), a second system call for each request.
 * Reading stops while the input holds a whole request's worth
 * (max_request_bytes + 1, the bufferevent's high-water mark before) and
 * goes on once a line is taken from it.
 */
static void
conn_recv_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in), max = conn_max_request(c) + 1,
	       room = len < max ? max - len : 0;
	struct evbuffer_iovec v;
	ssize_t n;

	if (c->dead)
		return;
	if (room == 0 && !c->lingering) {
		c->read_full = true;
		conn_rev_sync(c);
		return;
	}
	if (room > 16384 || c->lingering)
		room = 16384;
	/* bufferevent_socket keeps the input's end frozen but to itself */
	evbuffer_unfreeze(in, 0);
	if (evbuffer_reserve_space(in, (ev_ssize_t)room, &v, 1) < 1) {
		evbuffer_freeze(in, 0);
		conn_close(c, "error");
		return;
	}
	if (v.iov_len > room)
		v.iov_len = room;
	n = recv(fd, v.iov_base, v.iov_len, 0);
	if (n > 0) {
		v.iov_len = (size_t)n;
		evbuffer_commit_space(in, &v, 1);
	}
	evbuffer_freeze(in, 0);
	if (n < 0) {
		int e = errno;

		if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
			return;
		conn_reading(c, false);
		errno = e; /* for the reason conn_event_cb gives */
		conn_event_cb(c->bev, BEV_EVENT_READING | BEV_EVENT_ERROR, c);
		return;
	}
	if (n == 0) {
		conn_reading(c, false);
		conn_event_cb(c->bev, BEV_EVENT_READING | BEV_EVENT_EOF, c);
		return;
	}
	conn_read_cb(c->bev, c);
}

static void
conn_grace_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c;

	for (c = TAILQ_FIRST(&conn_list); c != NULL; c = TAILQ_NEXT(c, entry)) {
		if (!c->dead)
			conn_close(c, "shutdown_grace");
	}
}

void
conn_accept(evutil_socket_t fd, struct sockaddr *sa, int socklen,
            struct peer *peer)
{
	const struct ogi_config *cfg = &ogid->cfg;
	struct conn *c;
	char host[INET6_ADDRSTRLEN], serv[8];
	struct timeval tv;

	if (conn_reaper == NULL) {
		conn_reaper =
		    event_new(ogid->base, -1, 0, conn_reaper_cb, NULL);
		event_priority_set(conn_reaper, 0);
	}
	c = xcalloc(1, sizeof *c);
	c->id = ++conn_next_id;
	if (getnameinfo(sa, (socklen_t)socklen, host, sizeof host, serv,
	                sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(c->session.peer, sizeof c->session.peer, "unknown");
	else if (sa->sa_family == AF_INET6)
		snprintf(c->session.peer, sizeof c->session.peer, "[%s]:%s",
		         host, serv);
	else
		snprintf(c->session.peer, sizeof c->session.peer, "%s:%s", host,
		         serv);
	peers_key(sa, c->session.addr_key);
	c->session.loopback = server_loopback(sa);
	if (!tls_enabled())
		c->bev = bufferevent_socket_new(ogid->base, fd,
		                                BEV_OPT_CLOSE_ON_FREE);
	else if ((c->ssl = tls_ssl_new()) != NULL)
		/* On failure libevent has freed the SSL, not closed fd. */
		c->bev = bufferevent_openssl_socket_new(
		    ogid->base, fd, c->ssl, BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("conn=%llu peer=%s event=error what=bufferevent_new",
		          (unsigned long long)c->id, c->session.peer);
		close(fd);
		free(c);
		peers_release(peer);
		return;
	}
	bufferevent_priority_set(c->bev, 0);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	                  c);
	if (c->ssl == NULL) {
		c->rev = event_new(ogid->base, fd, EV_READ | EV_PERSIST,
		                   conn_recv_cb, c);
		if (c->rev == NULL) {
			log_warnx(
			    "conn=%llu peer=%s event=error what=event_new",
			    (unsigned long long)c->id, c->session.peer);
			bufferevent_free(c->bev);
			free(c);
			peers_release(peer);
			return;
		}
		event_priority_set(c->rev, 0);
	}
	/*
	 * No high-water mark on the bufferevent: plain TCP stops at a whole
	 * request's worth itself (conn_recv_cb), and at its mark
	 * bufferevent_openssl stops reading with bytes left decrypted inside
	 * OpenSSL, which no socket event brings out again. conn_next_line
	 * bounds a line either way.
	 */
	if (cfg->request_timeout > 0) {
		tv.tv_sec = cfg->request_timeout;
		tv.tv_usec = 0;
		bufferevent_set_timeouts(c->bev, NULL, &tv);
	}
	c->resume = event_new(ogid->base, -1, 0, conn_resume_cb, c);
	/* Continuations yield to fresh I/O, alongside the commit. */
	event_priority_set(c->resume,
	                   event_base_get_npriorities(ogid->base) - 1);
	c->timer = evtimer_new(ogid->base, conn_timer_cb, c);
	event_priority_set(c->timer, 0);
	c->line = evbuffer_new();
	c->work.done = true;
	c->session.conn_id = c->id;
	c->session.conn = c;
	c->peer = peer;
	unauth_enter(c);
	TAILQ_INSERT_TAIL(&conn_list, c, entry);
	conn_live++;
	ogid->nconns = conn_live;
	log_info("conn=%llu peer=%s event=open", (unsigned long long)c->id,
	         c->session.peer);
	conn_reading(c, true);
	conn_timer_update(c);
}

void
conn_commit_done(struct conn *c, bool ok, const char *why)
{
	if (c->dead || !c->waiting)
		return;
	c->waiting = false;
	if (rpc_work_commit_done(&c->work, ok, why))
		conn_line_done(c);
	conn_schedule(c);
}

void
conn_push(struct conn *c, const char *line, size_t linelen)
{
	struct evbuffer *out;
	size_t len;

	if (c->dead || c->closing)
		return;
	out = bufferevent_get_output(c->bev);
	len = evbuffer_get_length(out);
	if (len > 2 * conn_max_output()) {
		conn_close(c, "output_limit");
		return;
	}
	if (len > conn_max_output()) {
		/*
		 * A slow subscriber loses events, not the daemon memory: it is
		 * paused as a client that does not read its answers is, and
		 * counts against max_output_total with them.
		 */
		if (!conn_budget_pause(c))
			return;
		if (c->dropped_events++ % 1000 == 0)
			log_warnx("conn=%llu peer=%s event=push_dropped "
			          "output=%zu dropped=%llu",
			          (unsigned long long)c->id, c->session.peer,
			          len, c->dropped_events);
		return;
	}
	/* Whole or nothing: a half-written line would break the framing. */
	if (evbuffer_add(out, line, linelen) == -1)
		log_warnx("conn=%llu event=push_failed",
		          (unsigned long long)c->id);
}

struct session *
conn_session(struct conn *c)
{
	return &c->session;
}

void
conn_deauthed(struct conn *c)
{
	if (c == NULL || c->dead)
		return;
	log_info("conn=%llu peer=%s event=deauth", (unsigned long long)c->id,
	         c->session.peer);
	events_subscribe(&c->session, 0);
	unauth_enter(c);
	conn_timer_update(c);
}

unsigned
conn_count(void)
{
	return conn_live;
}

/*
 * At max_connections, a new client takes the place of the one that has
 * gone longest without authenticating: a client sends auth first thing,
 * so only connections that never do are closed, and a flood of them
 * cannot lock every user out for idle_timeout. Those at the head of
 * unauth_list that have authenticated since, or are closing, leave it.
 */
bool
conn_evict_unauthenticated(void)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&unauth_list)) != NULL) {
		unauth_leave(c);
		if (!c->dead && !c->session.authed && !c->closing) {
			conn_close(c, "evicted");
			return true;
		}
	}
	return false;
}

void
conn_shutdown(void (*done)(void))
{
	struct conn *c;
	struct timeval tv = { CONN_SHUTDOWN_GRACE_MS / 1000,
		              (CONN_SHUTDOWN_GRACE_MS % 1000) * 1000 };

	conn_shutting_down = true;
	conn_shutdown_done = done;
	if (conn_reaper == NULL) {
		conn_reaper =
		    event_new(ogid->base, -1, 0, conn_reaper_cb, NULL);
		event_priority_set(conn_reaper, 0);
	}
	if (conn_grace == NULL) {
		conn_grace = evtimer_new(ogid->base, conn_grace_cb, NULL);
		evtimer_add(conn_grace, &tv);
	}
	for (c = TAILQ_FIRST(&conn_list); c != NULL; c = TAILQ_NEXT(c, entry)) {
		if (c->dead || c->closing)
			continue;
		conn_reading(c, false);
		c->partial_since = 0;
		conn_schedule(c);
	}
	/* With no connection left, done runs from the reaper. */
	event_active(conn_reaper, EV_TIMEOUT, 0);
}

void
conn_close_all(void)
{
	struct conn *c;

	for (c = TAILQ_FIRST(&conn_list); c != NULL; c = TAILQ_NEXT(c, entry)) {
		if (!c->dead)
			conn_close(c, "exit");
	}
	conn_shutdown_done = NULL;
	if (conn_reaper != NULL) {
		conn_reaper_cb(-1, 0, NULL);
		event_free(conn_reaper);
		conn_reaper = NULL;
	}
	if (conn_grace != NULL) {
		event_free(conn_grace);
		conn_grace = NULL;
	}
}
