/*
 * refserver: the ceiling for JSON-RPC over TCP on this machine. The same
 * framing and libraries as ogid (libevent bufferevents, newline-delimited
 * lines, jansson), and no work: each line is parsed, and a small result
 * {"jsonrpc":"2.0","result":true,"id":ID} is written back.
 *
 * usage: refserver [--seconds S]   (exits after S seconds, default 600)
 * Prints "refserver: listening on 127.0.0.1:PORT".
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line, out[4096];
	size_t len, n;
	json_t *req, *resp, *id;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		req = json_loadb(line, len, 0, NULL);
		free(line);
		id = req ? json_object_get(req, "id") : NULL;
		resp = json_object();
		json_object_set_new(resp, "jsonrpc", json_string("2.0"));
		json_object_set_new(resp, "result", json_true());
		json_object_set(resp, "id", id ? id : json_null());
		/* One write per response, as ogid does. */
		n = json_dumpb(resp, out, sizeof(out) - 1, JSON_COMPACT);
		if (n > 0 && n < sizeof(out) - 1) {
			out[n++] = '\n';
			bufferevent_write(bev, out, n);
		}
		json_decref(resp);
		json_decref(req);
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
          int len, void *arg)
{
	struct bufferevent *bev;
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bev = bufferevent_socket_new(arg, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, NULL);
	bufferevent_enable(bev, EV_READ);
}

static void
quit_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evconnlistener *l;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct timeval tv = { 600, 0 };
	struct event *quit, *term;

	if (argc == 3 && strcmp(argv[1], "--seconds") == 0)
		tv.tv_sec = atoi(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = evconnlistener_new_bind(base, accept_cb, base,
	                            LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE,
	                            1024, (struct sockaddr *)&sin, sizeof(sin));
	if (l == NULL) {
		perror("refserver: bind");
		return 1;
	}
	getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &slen);
	printf("refserver: listening on 127.0.0.1:%d\n", ntohs(sin.sin_port));
	fflush(stdout);
	quit = evtimer_new(base, quit_cb, base);
	evtimer_add(quit, &tv);
	term = evsignal_new(base, SIGTERM, quit_cb, base);
	evsignal_add(term, NULL);
	event_base_dispatch(base);
	evconnlistener_free(l);
	event_free(quit);
	event_free(term);
	event_base_free(base);
	return 0;
}
