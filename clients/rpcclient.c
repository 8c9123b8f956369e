/*
 * JSON-RPC 2.0 over one TCP connection, one JSON text per line (SPEC
 * section 5). The first call goes in a batch behind `auth`, so a one-shot
 * command costs one round trip. Notifications that arrive while waiting
 * for an answer (pushed events) are queued, not lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

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
rpc_split_addr(const char *addr, char **host, char **port)
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

struct rpc *
rpc_connect(const char *addr, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct rpc *rpc;
	char *host, *port;
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
	free(host);
	free(port);
	if (fd == -1) {
		rpc_err(err, errlen, "cannot connect to %s: %s", addr,
		        strerror(saved));
		return NULL;
	}
	rpc = xcalloc(1, sizeof *rpc);
	rpc->fd = fd;
	rpc->timeout = RPC_CALL_TIMEOUT;
	rpc->next_id = 1;
	rpc->events = json_array();
	return rpc;
}

void
rpc_close(struct rpc *rpc)
{
	if (rpc == NULL)
		return;
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

static int
rpc_send(struct rpc *rpc, json_t *msg, char *err, size_t errlen)
{
	char *text;
	size_t len, off = 0;
	ssize_t n;

	/* Without JSON_INDENT a dump holds no newline: one text, one line. */
	text = json_dumps(msg, JSON_COMPACT);
	if (text == NULL) {
		rpc_err(err, errlen, "cannot encode the request");
		return -1;
	}
	len = strlen(text);
	text[len++] = '\n'; /* replaces the NUL; len excludes it now */
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
		pfd.events = POLLIN;
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
