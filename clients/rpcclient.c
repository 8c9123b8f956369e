/*
 * JSON-RPC 2.0 over one TCP connection, one JSON text per line (SPEC
 * section 5). The first call goes in a batch behind `auth`, so a one-shot
 * command costs one round trip. Notifications that arrive while waiting
 * for an answer (pushed events) are queued, not lost.
 *
 * With TLS the same lines go through OpenSSL on a non-blocking socket; the
 * server's certificate must chain to the CA file (or the system's CAs) and
 * name the host of the address, a DNS name or an IP address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "../lib/config.h"
#include "../lib/xmalloc.h"
#include "ogi.h"

#define RPC_CONNECT_TIMEOUT 10 /* seconds */
#define RPC_CALL_TIMEOUT 120   /* seconds */
#define RPC_LINE_MAX (256u << 20)

struct rpc {
	int fd;
	char *token; /* sent with the first call, then freed */
	int timeout;
	json_int_t next_id;
	char *buf; /* received bytes not yet consumed */
	size_t len, cap;
	bool eof;
	json_t *events; /* queued event params */

	SSL_CTX *tls_ctx; /* NULL: plain TCP */
	SSL *ssl;
	short tls_wait; /* POLLIN or POLLOUT: what OpenSSL waits for */
};

static void rpc_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
rpc_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Split "HOST:PORT", "[V6]:PORT" or "HOST" into allocated host and port. */
static int
rpc_split_addr_parts(const char *addr, char **host, char **port)
{
	const char *colon, *end;

	if (addr[0] == '[') {
		if ((end = strchr(addr, ']')) == NULL)
			return -1;
		*host = xstrndup(addr + 1, (size_t)(end - addr - 1));
		if (end[1] == '\0')
			*port = xstrdup("7420");
		else if (end[1] == ':' && end[2] != '\0')
			*port = xstrdup(end + 2);
		else {
			free(*host);
			return -1;
		}
		return 0;
	}
	colon = strrchr(addr, ':');
	if (colon != NULL && strchr(addr, ':') != colon)
		colon = NULL; /* a bare IPv6 literal */
	if (colon == NULL) {
		*host = xstrdup(addr);
		*port = xstrdup("7420");
	} else {
		if (colon[1] == '\0')
			return -1;
		*host = colon == addr ? xstrdup("127.0.0.1")
		                      : xstrndup(addr, (size_t)(colon - addr));
		*port = xstrdup(colon + 1);
	}
	return 0;
}

/*
 * HOST:PORT, [IPv6]:PORT, :PORT (127.0.0.1) or a host alone (port 7420).
 * A bare number is refused, not read as an IPv4 address: "17604" is a
 * port without its host far more often than the host 0.0.68.196.
 */
static int
rpc_split_addr(const char *addr, char **host, char **port)
{
	if (rpc_split_addr_parts(addr, host, port) == -1)
		return -1;
	if (config_port(*port) < 1 ||
	    strspn(*host, "0123456789") == strlen(*host)) {
		free(*host);
		free(*port);
		return -1;
	}
	return 0;
}

/* connect(2) with a timeout; fd is blocking again afterwards. */
static int
rpc_connect_fd(int fd, const struct sockaddr *sa, socklen_t salen)
{
	struct pollfd pfd;
	int flags, soerr, n;
	socklen_t len = sizeof soerr;

	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	if (connect(fd, sa, salen) == -1) {
		if (errno != EINPROGRESS)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			n = poll(&pfd, 1, RPC_CONNECT_TIMEOUT * 1000);
		while (n == -1 && errno == EINTR);
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (n == -1)
			return -1;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			return -1;
		if (soerr != 0) {
			errno = soerr;
			return -1;
		}
	}
	return fcntl(fd, F_SETFL, flags);
}

/*
 * The reason OpenSSL gives, the first queued; the queue is emptied. A
 * system call's failure (a file that is not there) is queued with errno
 * as its reason and no text of its own.
 */
static const char *
rpc_tls_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *s = e != 0 ? ERR_reason_error_string(e) : NULL;

#ifdef ERR_SYSTEM_ERROR
	if (e != 0 && ERR_SYSTEM_ERROR(e))
		s = strerror(ERR_GET_REASON(e));
#endif
	ERR_clear_error();
	return s != NULL ? s : "connection closed";
}

/*
 * OpenSSL writes with write(2): a server that has gone must not kill us
 * with SIGPIPE. Block it around TLS calls and discard one it raised.
 */
static void
rpc_sigpipe_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void
rpc_sigpipe_restore(const sigset_t *old)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (!sigismember(old, SIGPIPE) && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE))
		sigtimedwait(&set, NULL, &zero);
	sigprocmask(SIG_SETMASK, old, NULL);
}

/*
 * After a TLS call returned r <= 0: 1 when it is to be called again once
 * the socket is ready (rpc->tls_wait says for what), 0 at the end of the
 * stream, -1 on an error.
 */
static int
rpc_tls_again(struct rpc *rpc, int r)
{
	switch (SSL_get_error(rpc->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		rpc->tls_wait = POLLIN;
		return 1;
	case SSL_ERROR_WANT_WRITE:
		rpc->tls_wait = POLLOUT;
		return 1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		/* r == 0: EOF without close_notify (OpenSSL 1.1). */
		return ERR_peek_error() == 0 && r == 0 ? 0 : -1;
	default:
		return -1;
	}
}

/* Wait until the socket is ready for what OpenSSL waits for. */
static int
rpc_tls_poll(struct rpc *rpc, int ms)
{
	struct pollfd pfd;
	int n;

	pfd.fd = rpc->fd;
	pfd.events = rpc->tls_wait;
	do
		n = poll(&pfd, 1, ms);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n == 1 ? 0 : -1;
}

/* The TLS handshake on rpc->fd, verifying the server as host. */
static int
rpc_tls_start(struct rpc *rpc, const char *host, const struct rpc_tls *tls,
              char *err, size_t errlen)
{
	const char *cafile = tls->cafile;
	unsigned char ip[sizeof(struct in6_addr)];
	X509_VERIFY_PARAM *param;
	sigset_t old;
	long v;
	int r, flags;

	ERR_clear_error();
	if ((rpc->tls_ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(rpc->tls_ctx, TLS1_2_VERSION) != 1) {
		rpc_err(err, errlen, "TLS: %s", rpc_tls_reason());
		return -1;
	}
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* The last answer is a whole JSON text or fails to parse. */
	SSL_CTX_set_options(rpc->tls_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (cafile != NULL
	        ? SSL_CTX_load_verify_locations(rpc->tls_ctx, cafile, NULL) != 1
	        : SSL_CTX_set_default_verify_paths(rpc->tls_ctx) != 1) {
		rpc_err(err, errlen, "%s: %s",
		        cafile != NULL ? cafile
		                       : "the system's CA certificates",
		        rpc_tls_reason());
		return -1;
	}
	SSL_CTX_set_verify(rpc->tls_ctx, SSL_VERIFY_PEER, NULL);
	if (tls->cert != NULL &&
	    (SSL_CTX_use_certificate_chain_file(rpc->tls_ctx, tls->cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(rpc->tls_ctx,
	                                 tls->key ? tls->key : tls->cert,
	                                 SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_check_private_key(rpc->tls_ctx) != 1)) {
		rpc_err(err, errlen, "%s: %s", tls->cert, rpc_tls_reason());
		return -1;
	}
	if ((rpc->ssl = SSL_new(rpc->tls_ctx)) == NULL ||
	    SSL_set_fd(rpc->ssl, rpc->fd) != 1) {
		rpc_err(err, errlen, "TLS: %s", rpc_tls_reason());
		return -1;
	}
	param = SSL_get0_param(rpc->ssl);
	if (inet_pton(AF_INET, host, ip) == 1 ||
	    inet_pton(AF_INET6, host, ip) == 1)
		r = X509_VERIFY_PARAM_set1_ip_asc(param, host);
	else {
		/* SNI carries names only, never an address. */
		X509_VERIFY_PARAM_set_hostflags(
		    param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		r = SSL_set1_host(rpc->ssl, host) == 1 &&
		    SSL_set_tlsext_host_name(rpc->ssl, host) == 1;
	}
	if (r != 1) {
		rpc_err(err, errlen, "TLS: cannot verify the name %s", host);
		return -1;
	}
	flags = fcntl(rpc->fd, F_GETFL);
	if (flags == -1 || fcntl(rpc->fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		rpc_err(err, errlen, "fcntl: %s", strerror(errno));
		return -1;
	}
	rpc_sigpipe_block(&old);
	while ((r = SSL_connect(rpc->ssl)) != 1) {
		if (rpc_tls_again(rpc, r) != 1 ||
		    rpc_tls_poll(rpc, RPC_CONNECT_TIMEOUT * 1000) == -1)
			break;
	}
	rpc_sigpipe_restore(&old);
	rpc->tls_wait = POLLIN;
	if (r == 1)
		return 0;
	if ((v = SSL_get_verify_result(rpc->ssl)) != X509_V_OK) {
		ERR_clear_error();
		rpc_err(err, errlen, "TLS: the server's certificate: %s",
		        X509_verify_cert_error_string(v));
	} else if (errno == ETIMEDOUT && ERR_peek_error() == 0)
		rpc_err(err, errlen, "TLS: no handshake in %d seconds",
		        RPC_CONNECT_TIMEOUT);
	else
		rpc_err(err, errlen, "TLS: %s", rpc_tls_reason());
	return -1;
}

struct rpc *
rpc_connect(const char *addr, const struct rpc_tls *tls, char *err,
            size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct rpc *rpc;
	char *host, *port, why[256];
	int fd = -1, gai, saved = 0;

	if (rpc_split_addr(addr, &host, &port) == -1) {
		rpc_err(err, errlen, "%s: expected HOST:PORT", addr);
		return NULL;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		rpc_err(err, errlen, "%s: %s", addr, gai_strerror(gai));
		free(host);
		free(port);
		return NULL;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (rpc_connect_fd(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	free(port);
	if (fd == -1) {
		rpc_err(err, errlen, "cannot connect to %s: %s", addr,
		        strerror(saved));
		free(host);
		return NULL;
	}
	rpc = xcalloc(1, sizeof *rpc);
	rpc->fd = fd;
	rpc->timeout = RPC_CALL_TIMEOUT;
	rpc->next_id = 1;
	rpc->events = json_array();
	if (tls->on && rpc_tls_start(rpc, host, tls, why, sizeof why) == -1) {
		rpc_err(err, errlen, "cannot connect to %s: %s", addr, why);
		rpc_close(rpc);
		rpc = NULL;
	}
	free(host);
	return rpc;
}

void
rpc_close(struct rpc *rpc)
{
	sigset_t old;

	if (rpc == NULL)
		return;
	if (rpc->ssl != NULL) {
		rpc_sigpipe_block(&old);
		if (SSL_is_init_finished(rpc->ssl))
			(void)SSL_shutdown(
			    rpc->ssl); /* close_notify, no wait */
		rpc_sigpipe_restore(&old);
		SSL_free(rpc->ssl);
		ERR_clear_error();
	}
	SSL_CTX_free(rpc->tls_ctx);
	close(rpc->fd);
	if (rpc->token != NULL) {
		explicit_bzero(rpc->token, strlen(rpc->token));
		free(rpc->token);
	}
	free(rpc->buf);
	json_decref(rpc->events);
	free(rpc);
}

void
rpc_set_token(struct rpc *rpc, const char *token)
{
	free(rpc->token);
	rpc->token = token != NULL ? xstrdup(token) : NULL;
}

void
rpc_set_timeout(struct rpc *rpc, int seconds)
{
	rpc->timeout = seconds;
}

/* All of buf over TLS; -1 with err on failure. */
static int
rpc_tls_write(struct rpc *rpc, const char *buf, size_t len, char *err,
              size_t errlen)
{
	size_t off = 0;
	sigset_t old;
	int r;

	rpc_sigpipe_block(&old);
	while (off < len) {
		/* After a WANT_*, the same bytes are offered again. */
		r = SSL_write(rpc->ssl, buf + off,
		              len - off > INT_MAX ? INT_MAX : (int)(len - off));
		if (r > 0)
			off += (size_t)r;
		else if (rpc_tls_again(rpc, r) != 1 ||
		         rpc_tls_poll(rpc, -1) == -1)
			break;
	}
	rpc_sigpipe_restore(&old);
	rpc->tls_wait = POLLIN;
	if (off < len) {
		rpc_err(err, errlen, "sending: %s",
		        ERR_peek_error() != 0 ? rpc_tls_reason()
		                              : strerror(errno));
		return -1;
	}
	return 0;
}

static int
rpc_send(struct rpc *rpc, json_t *msg, char *err, size_t errlen)
{
	char *text;
	size_t len, off = 0;
	ssize_t n;
	int r;

	/* Without JSON_INDENT a dump holds no newline: one text, one line. */
	text = json_dumps(msg, JSON_COMPACT);
	if (text == NULL) {
		rpc_err(err, errlen, "cannot encode the request");
		return -1;
	}
	len = strlen(text);
	text[len++] = '\n'; /* replaces the NUL; len excludes it now */
	if (rpc->ssl != NULL) {
		r = rpc_tls_write(rpc, text, len, err, errlen);
		free(text);
		return r;
	}
	while (off < len) {
		n = send(rpc->fd, text + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rpc_err(err, errlen, "sending: %s", strerror(errno));
			free(text);
			return -1;
		}
		off += (size_t)n;
	}
	free(text);
	return 0;
}

/* Bytes read over TLS into the buffer, 0 at the end, -2 to wait, -1. */
static ssize_t
rpc_tls_read(struct rpc *rpc, char *err, size_t errlen)
{
	size_t room = rpc->cap - rpc->len;
	sigset_t old;
	int r, again;

	rpc_sigpipe_block(&old);
	r = SSL_read(rpc->ssl, rpc->buf + rpc->len,
	             room > INT_MAX ? INT_MAX : (int)room);
	again = r > 0 ? 0 : rpc_tls_again(rpc, r);
	rpc_sigpipe_restore(&old);
	if (r > 0)
		return r;
	if (again == 1)
		return -2;
	if (again == 0)
		return 0;
	rpc_err(err, errlen, "receiving: %s",
	        ERR_peek_error() != 0 ? rpc_tls_reason() : strerror(errno));
	return -1;
}

/*
 * The next line, NUL-terminated in place; NULL at end of stream, on error
 * or on a signal (err "" then). The line stays valid until the next read.
 */
static char *
rpc_read_line(struct rpc *rpc, size_t *consumed, char *err, size_t errlen)
{
	struct pollfd pfd;
	char *nl;
	ssize_t n;
	int r;

	for (;;) {
		nl = rpc->len > 0 ? memchr(rpc->buf, '\n', rpc->len) : NULL;
		if (nl != NULL) {
			*nl = '\0';
			*consumed = (size_t)(nl - rpc->buf) + 1;
			return rpc->buf;
		}
		if (rpc->eof) {
			if (rpc->len > 0) { /* a last text without "\n" */
				if (rpc->len == rpc->cap)
					rpc->buf = xreallocarray(rpc->buf,
					                         ++rpc->cap, 1);
				rpc->buf[rpc->len] = '\0';
				*consumed = rpc->len;
				return rpc->buf;
			}
			rpc_err(err, errlen, "connection closed by the server");
			return NULL;
		}
		if (rpc->len == rpc->cap) {
			if (rpc->cap >= RPC_LINE_MAX) {
				rpc_err(err, errlen, "answer too long");
				return NULL;
			}
			rpc->cap = rpc->cap == 0 ? 65536 : rpc->cap * 2;
			rpc->buf = xreallocarray(rpc->buf, rpc->cap, 1);
		}
		pfd.fd = rpc->fd;
		pfd.events = rpc->ssl != NULL ? rpc->tls_wait : POLLIN;
		/* OpenSSL may hold what was read already. */
		if (rpc->ssl != NULL && SSL_has_pending(rpc->ssl))
			r = 1;
		else
			r = poll(&pfd, 1,
			         rpc->timeout > 0    ? rpc->timeout * 1000
			         : rpc->timeout == 0 ? -1
			                             : 1000);
		if ((r == -1 && errno == EINTR) ||
		    (r == 0 && rpc->timeout < 0)) {
			err[0] = '\0';
			return NULL;
		}
		if (r == -1) {
			rpc_err(err, errlen, "poll: %s", strerror(errno));
			return NULL;
		}
		if (r == 0) {
			rpc_err(err, errlen,
			        "no answer from the server in %d "
			        "seconds",
			        rpc->timeout);
			return NULL;
		}
		if (rpc->ssl != NULL) {
			if ((n = rpc_tls_read(rpc, err, errlen)) == -2)
				continue; /* not a whole record yet */
			if (n == -1)
				return NULL;
			rpc->len += (size_t)n;
			rpc->eof = n == 0;
			continue;
		}
		n = recv(rpc->fd, rpc->buf + rpc->len, rpc->cap - rpc->len, 0);
		if (n == -1 && errno == EINTR) {
			err[0] = '\0';
			return NULL;
		}
		if (n == -1) {
			rpc_err(err, errlen, "receiving: %s", strerror(errno));
			return NULL;
		}
		if (n == 0)
			rpc->eof = true;
		rpc->len += (size_t)n;
	}
}

/* The next JSON text from the server (new reference), or NULL. */
static json_t *
rpc_read(struct rpc *rpc, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *msg;
	size_t consumed;
	char *line;

	do {
		line = rpc_read_line(rpc, &consumed, err, errlen);
		if (line == NULL)
			return NULL;
		msg = NULL;
		if (line[strspn(line, " \t\r")] != '\0') {
			msg = json_loads(line, JSON_DISABLE_EOF_CHECK, &jerr);
			if (msg == NULL)
				rpc_err(err, errlen,
				        "the server sent invalid JSON: %s",
				        jerr.text);
		}
		memmove(rpc->buf, rpc->buf + consumed, rpc->len - consumed);
		rpc->len -= consumed;
		if (msg == NULL && err[0] != '\0')
			return NULL;
	} while (msg == NULL);
	return msg;
}

static bool
rpc_is_event(const json_t *msg)
{
	const char *m = js(msg, "method");

	return json_is_object(msg) && m != NULL && strcmp(m, "event") == 0 &&
	       json_object_get(msg, "id") == NULL;
}

static json_t *
rpc_request(const char *method, json_t *params, json_int_t id)
{
	json_t *req;

	req = json_pack("{s:s, s:s, s:I}", "jsonrpc", "2.0", "method", method,
	                "id", id);
	if (params != NULL)
		json_object_set(req, "params", params);
	return req;
}

/* The response with this id out of a message or a batch answer. */
static json_t *
rpc_find(json_t *msg, json_int_t id)
{
	json_t *r;
	size_t i;

	if (json_is_object(msg)) {
		r = json_object_get(msg, "id");
		return json_is_integer(r) && json_integer_value(r) == id ? msg
		                                                         : NULL;
	}
	json_array_foreach(msg, i, r)
	{
		if (rpc_find(r, id) != NULL)
			return r;
	}
	return NULL;
}

/* A response with id null: the server could not read the request. */
static json_t *
rpc_find_null(json_t *msg)
{
	json_t *r;
	size_t i;

	if (json_is_object(msg))
		return json_is_null(json_object_get(msg, "id")) &&
		               json_object_get(msg, "error") != NULL
		           ? msg
		           : NULL;
	json_array_foreach(msg, i, r)
	{
		if (rpc_find_null(r) != NULL)
			return r;
	}
	return NULL;
}

/* Result or error of one response object. */
static enum rpc_status
rpc_outcome(json_t *resp, json_t **result, json_t **error, char *err,
            size_t errlen)
{
	json_t *v;

	if ((v = json_object_get(resp, "error")) != NULL) {
		*error = json_incref(v);
		return RPC_REFUSED;
	}
	if ((v = json_object_get(resp, "result")) != NULL) {
		*result = json_incref(v);
		return RPC_OK;
	}
	rpc_err(err, errlen, "the server sent a response without result");
	return RPC_FAILED;
}

enum rpc_status
rpc_call(struct rpc *rpc, const char *method, json_t *params, json_t **result,
         json_t **error, char *err, size_t errlen)
{
	enum rpc_status st = RPC_FAILED;
	json_t *req, *msg = NULL, *resp, *auth;
	json_int_t auth_id = 0, id;

	*result = *error = NULL;
	err[0] = '\0';
	id = rpc->next_id++;
	req = rpc_request(method, params, id);
	if (rpc->token != NULL) {
		auth_id = rpc->next_id++;
		auth = rpc_request("auth", NULL, auth_id);
		json_object_set_new(auth, "params",
		                    json_pack("{s:s}", "token", rpc->token));
		msg = json_pack("[o, o]", auth, req);
		explicit_bzero(rpc->token, strlen(rpc->token));
		free(rpc->token);
		rpc->token = NULL;
		req = msg;
		msg = NULL;
	}
	if (rpc_send(rpc, req, err, errlen) == -1)
		goto done;
	for (;;) {
		json_decref(msg);
		if ((msg = rpc_read(rpc, err, errlen)) == NULL) {
			if (err[0] == '\0')
				rpc_err(err, errlen, "interrupted");
			goto done;
		}
		if (rpc_is_event(msg)) {
			json_array_append(rpc->events,
			                  json_object_get(msg, "params"));
			continue;
		}
		/* A refused auth explains the call's -32001 better. */
		if (auth_id != 0 && (resp = rpc_find(msg, auth_id)) != NULL &&
		    json_object_get(resp, "error") != NULL) {
			st = rpc_outcome(resp, result, error, err, errlen);
			goto done;
		}
		if ((resp = rpc_find(msg, id)) != NULL) {
			st = rpc_outcome(resp, result, error, err, errlen);
			goto done;
		}
		if ((resp = rpc_find_null(msg)) != NULL) {
			st = rpc_outcome(resp, result, error, err, errlen);
			goto done;
		}
		/* An answer to the auth alone: the call's answer follows. */
	}
done:
	json_decref(msg);
	json_decref(req);
	return st;
}

enum rpc_status
rpc_next_event(struct rpc *rpc, json_t **params, char *err, size_t errlen)
{
	json_t *msg;

	err[0] = '\0';
	for (;;) {
		if (json_array_size(rpc->events) > 0) {
			*params = json_incref(json_array_get(rpc->events, 0));
			json_array_remove(rpc->events, 0);
			return RPC_OK;
		}
		if ((msg = rpc_read(rpc, err, errlen)) == NULL)
			return RPC_FAILED;
		if (rpc_is_event(msg))
			json_array_append(rpc->events,
			                  json_object_get(msg, "params"));
		json_decref(msg);
	}
}
