/*
 * load: a closed-loop JSON-RPC load generator and the probes of run.sh.
 * No JSON library in the hot path: requests are formatted with snprintf,
 * a response is one line, and it counts as an error when it carries
 * "error". One thread, epoll, every connection with one request in flight.
 *
 *   load run   --port P [--token T] --workload W [--conns C] [--seconds S]
 *              [--warmup S] [--ids FILE] [--id ID]
 *       W: ping (reference server), cheap (calendar.is_workday), get
 *       (app.get --id), submit (app.submit, unique client_ref), mixed
 *       (80% app.get of --ids "get" lines, 20% app.assign of "review"
 *       lines, review -> review). Prints one line:
 *       "rps=R p50_ms=A p99_ms=B p999_ms=C max_ms=D n=N errors=E"
 *   load call  --port P [--token T] METHOD [JSON]   one call, the raw line
 *   load probe --port P --token T --repeat K METHOD [JSON]
 *       K sequential calls: "min_ms=.. med_ms=.. max_ms=.. bytes=.. items=.."
 *       or "error=..." (the error message)
 *   load idle  --port P --token T --conns C --pid PID
 *       opens C connections, authenticates each, then reports the RSS the
 *       daemon (PID) gained: "conns=C rss_before_kb=.. rss_after_kb=..
 *       added_kb=.. per_conn_kb=.."; raises RLIMIT_NOFILE itself.
 *   load spawn --log FILE [--nofile N] [--timeout S] -- CMD ARGS...
 *       starts CMD (stdout and stderr to FILE), waits for its "listening on
 *       ADDR:PORT" line: "pid=.. port=.. startup_ms=..". CMD keeps running.
 *   load rss PID     "rss_kb=.. hwm_kb=.."
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "load: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rs = 88172645463325252ull;

static uint64_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static int port;
static const char *token;

static int
dial(int nonblock)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect 127.0.0.1:%d: %s", port, strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (nonblock)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write: %s", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

/* Blocking: read one line (allocated, without the newline). */
struct lbuf {
	char *b;
	size_t len, cap;
};

static char *
read_line(int fd, struct lbuf *lb)
{
	char *nl, *line;
	size_t n;

	for (;;) {
		if (lb->len > 0 &&
		    (nl = memchr(lb->b, '\n', lb->len)) != NULL) {
			n = (size_t)(nl - lb->b);
			line = malloc(n + 1);
			memcpy(line, lb->b, n);
			line[n] = '\0';
			memmove(lb->b, nl + 1, lb->len - n - 1);
			lb->len -= n + 1;
			return line;
		}
		if (lb->cap - lb->len < 65536) {
			lb->cap = lb->cap ? lb->cap * 2 : 131072;
			lb->b = realloc(lb->b, lb->cap);
		}
		ssize_t r = read(fd, lb->b + lb->len, lb->cap - lb->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		lb->len += (size_t)r;
	}
}

static char *
call_line(int fd, struct lbuf *lb, const char *method, const char *params)
{
	static int id;
	char *req;
	int n;

	n = asprintf(&req,
	             "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\","
	             "\"params\":%s}\n",
	             ++id, method, params ? params : "{}");
	if (n < 0)
		die("asprintf");
	write_all(fd, req, (size_t)n);
	free(req);
	return read_line(fd, lb);
}

static void
auth_blocking(int fd, struct lbuf *lb)
{
	char params[512], *r;

	if (token == NULL)
		return;
	snprintf(params, sizeof(params), "{\"token\":\"%s\"}", token);
	r = call_line(fd, lb, "auth", params);
	if (r == NULL)
		die("auth: connection closed");
	if (strstr(r, "\"error\"") != NULL)
		die("auth: %s", r);
	free(r);
}

/* ---- run: the closed loop ---- */

enum workload { W_PING, W_CHEAP, W_GET, W_SUBMIT, W_MIXED };

struct conn {
	int fd;
	int n; /* index */
	int authed;
	uint64_t seq; /* requests sent */
	uint64_t t0;  /* send time of the request in flight */
	char *rb;
	size_t rlen, rcap;
	char wb[2048];
	size_t wlen, woff;
};

struct ids {
	char **get, **review, **reviewer;
	size_t nget, nreview, nreviewer;
};

static struct ids ids;

static void
ids_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256], kind[32], val[200];

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char ***arr;
		size_t *n;

		if (sscanf(line, "%31s %199s", kind, val) != 2)
			continue;
		if (strcmp(kind, "get") == 0)
			arr = &ids.get, n = &ids.nget;
		else if (strcmp(kind, "review") == 0)
			arr = &ids.review, n = &ids.nreview;
		else if (strcmp(kind, "reviewer") == 0)
			arr = &ids.reviewer, n = &ids.nreviewer;
		else
			continue;
		*arr = realloc(*arr, (*n + 1) * sizeof(char *));
		(*arr)[(*n)++] = strdup(val);
	}
	fclose(f);
}

static enum workload wl;
static const char *get_id;
static unsigned run_tag;

static const char *
pick(char **arr, size_t n)
{
	return arr[rnd() % n];
}

static void
make_request(struct conn *c)
{
	int n = 0;
	uint64_t id = c->seq + 1;

	if (!c->authed) {
		n = snprintf(
		    c->wb, sizeof(c->wb),
		    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"auth\","
		    "\"params\":{\"token\":\"%s\"}}\n",
		    token ? token : "");
		goto done;
	}
	switch (wl) {
	case W_PING:
		n = snprintf(
		    c->wb, sizeof(c->wb),
		    "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"ping\","
		    "\"params\":{\"date\":\"2026-05-01\"}}\n",
		    (unsigned long long)id);
		break;
	case W_CHEAP:
		n = snprintf(c->wb, sizeof(c->wb),
		             "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":"
		             "\"calendar.is_workday\",\"params\":{\"date\":"
		             "\"2026-05-01\"}}\n",
		             (unsigned long long)id);
		break;
	case W_GET:
		n = snprintf(
		    c->wb, sizeof(c->wb),
		    "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"app.get\","
		    "\"params\":{\"id\":\"%s\"}}\n",
		    (unsigned long long)id, get_id);
		break;
	case W_SUBMIT:
		n = snprintf(
		    c->wb, sizeof(c->wb),
		    "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":"
		    "\"app.submit\",\"params\":{\"applicant\":{\"kind\":"
		    "\"natural_person\",\"name\":\"压测用户%d\",\"phone\":"
		    "\"13800000000\"},\"channel\":\"online\","
		    "\"description\":\"请求公开2025年度朝阳区住房和城乡建设局"
		    "关于老旧小区改造的批准文件及会议纪要\",\"form\":"
		    "\"electronic\",\"delivery\":\"email\",\"client_ref\":"
		    "\"bench-%x-%d-%llu\"}}\n",
		    (unsigned long long)id, c->n, run_tag, c->n,
		    (unsigned long long)id);
		break;
	case W_MIXED:
		if (rnd() % 100 < 80 || ids.nreview == 0)
			n = snprintf(
			    c->wb, sizeof(c->wb),
			    "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":"
			    "\"app.get\",\"params\":{\"id\":\"%s\"}}\n",
			    (unsigned long long)id, pick(ids.get, ids.nget));
		else
			n = snprintf(
			    c->wb, sizeof(c->wb),
			    "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":"
			    "\"app.assign\",\"params\":{\"id\":\"%s\","
			    "\"reviewer\":\"%s\"}}\n",
			    (unsigned long long)id,
			    pick(ids.review, ids.nreview),
			    pick(ids.reviewer, ids.nreviewer));
		break;
	}
done:
	if (n <= 0 || (size_t)n >= sizeof(c->wb))
		die("request too long");
	c->wlen = (size_t)n;
	c->woff = 0;
}

static int epfd;

static void
try_write(struct conn *c)
{
	struct epoll_event ev;

	while (c->woff < c->wlen) {
		ssize_t n = write(c->fd, c->wb + c->woff, c->wlen - c->woff);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			ev.events = EPOLLIN | EPOLLOUT;
			ev.data.ptr = c;
			epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0)
			die("write: %s", strerror(errno));
		c->woff += (size_t)n;
	}
}

static void
send_next(struct conn *c)
{
	make_request(c);
	c->t0 = now_ns();
	try_write(c);
}

static uint32_t *samples;
static size_t nsamples, capsamples;
static uint64_t nerrors, ndone;
static char first_error[512];

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	size_t i;

	if (nsamples == 0)
		return 0;
	i = (size_t)(p * (double)(nsamples - 1) + 0.5);
	return samples[i] / 1000.0; /* samples are in microseconds */
}

static int
cmd_run(int argc, char **argv)
{
	int conns = 64, i, k;
	double seconds = 3, warmup = 1;
	const char *w = "cheap", *ids_path = NULL;
	struct conn *cs;
	struct epoll_event ev, evs[256];
	uint64_t t_start, t_measure, t_end, now;
	int measuring = 0, stopping = 0, inflight = 0, authed = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--conns") == 0 && i + 1 < argc)
			conns = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
			warmup = atof(argv[++i]);
		else if (strcmp(argv[i], "--workload") == 0 && i + 1 < argc)
			w = argv[++i];
		else if (strcmp(argv[i], "--ids") == 0 && i + 1 < argc)
			ids_path = argv[++i];
		else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc)
			get_id = argv[++i];
		else
			die("run: unknown argument %s", argv[i]);
	}
	if (strcmp(w, "ping") == 0)
		wl = W_PING;
	else if (strcmp(w, "cheap") == 0)
		wl = W_CHEAP;
	else if (strcmp(w, "get") == 0)
		wl = W_GET;
	else if (strcmp(w, "submit") == 0)
		wl = W_SUBMIT;
	else if (strcmp(w, "mixed") == 0)
		wl = W_MIXED;
	else
		die("unknown workload %s", w);
	if (wl == W_GET && get_id == NULL)
		die("get: --id is required");
	if (wl == W_MIXED) {
		if (ids_path == NULL)
			die("mixed: --ids is required");
		ids_load(ids_path);
		if (ids.nget == 0 || ids.nreviewer == 0)
			die("mixed: no get/reviewer lines in %s", ids_path);
	}
	run_tag = (unsigned)(now_ns() ^ (uint64_t)getpid());
	rs ^= now_ns();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	cs = calloc((size_t)conns, sizeof(*cs));
	for (i = 0; i < conns; i++) {
		struct conn *c = &cs[i];

		c->fd = dial(1);
		c->n = i;
		c->authed = token == NULL;
		c->rcap = 65536;
		c->rb = malloc(c->rcap);
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
			die("epoll_ctl: %s", strerror(errno));
		if (c->authed)
			authed++;
	}
	capsamples = 1 << 20;
	samples = malloc(capsamples * sizeof(*samples));
	t_start = now_ns();
	t_measure = t_start + (uint64_t)(warmup * 1e9);
	t_end = t_measure + (uint64_t)(seconds * 1e9);
	for (i = 0; i < conns; i++) {
		send_next(&cs[i]);
		inflight++;
	}
	while (inflight > 0) {
		int n = epoll_wait(epfd, evs, 256, 1000);

		now = now_ns();
		if (!measuring && now >= t_measure && authed == conns)
			measuring = 1;
		if (now >= t_end)
			stopping = 1;
		if (now > t_end + 30ull * 1000000000ull)
			die("responses still missing 30 s after the end");
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			char *p, *nl;

			if (evs[k].events & EPOLLOUT) {
				try_write(c);
				if (c->woff == c->wlen) {
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd,
					          &ev);
				}
			}
			if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			for (;;) {
				ssize_t r;

				if (c->rcap - c->rlen < 16384) {
					c->rcap *= 2;
					c->rb = realloc(c->rb, c->rcap);
				}
				r = read(c->fd, c->rb + c->rlen,
				         c->rcap - c->rlen);
				if (r == -1 && errno == EINTR)
					continue;
				if (r == -1 && errno == EAGAIN)
					break;
				if (r <= 0)
					die("connection %d closed by the server"
					    " (%s)",
					    c->n,
					    r == 0 ? "EOF" : strerror(errno));
				c->rlen += (size_t)r;
			}
			p = c->rb;
			while ((nl = memchr(p, '\n',
			                    c->rlen - (size_t)(p - c->rb))) !=
			       NULL) {
				uint64_t lat = now_ns() - c->t0;
				int is_err;

				*nl = '\0';
				is_err = strstr(p, "\"error\"") != NULL;
				if (!c->authed) {
					if (is_err)
						die("auth: %s", p);
					c->authed = 1;
					authed++;
				} else {
					c->seq++;
					if (measuring && !stopping) {
						if (nsamples == capsamples) {
							capsamples *= 2;
							samples = realloc(
							    samples,
							    capsamples *
							        sizeof(
							            *samples));
						}
						samples[nsamples++] =
						    (uint32_t)(lat / 1000);
						ndone++;
						if (is_err) {
							if (nerrors++ == 0)
								snprintf(
								    first_error,
								    sizeof(
								        first_error),
								    "%.500s",
								    p);
						}
					}
				}
				p = nl + 1;
				inflight--;
				if (!stopping) {
					send_next(c);
					inflight++;
				}
			}
			if (p != c->rb) {
				memmove(c->rb, p,
				        c->rlen - (size_t)(p - c->rb));
				c->rlen -= (size_t)(p - c->rb);
			}
		}
	}
	qsort(samples, nsamples, sizeof(*samples), cmp_u32);
	printf(
	    "rps=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f n=%llu"
	    " errors=%llu\n",
	    (double)ndone / seconds, pct(0.5), pct(0.99), pct(0.999),
	    nsamples ? samples[nsamples - 1] / 1000.0 : 0.0,
	    (unsigned long long)ndone, (unsigned long long)nerrors);
	if (nerrors > 0)
		fprintf(stderr, "load: first error: %s\n", first_error);
	for (i = 0; i < conns; i++)
		close(cs[i].fd);
	return 0;
}

/* ---- call, probe ---- */

static int
cmd_call(int argc, char **argv)
{
	struct lbuf lb = { 0 };
	int fd;
	char *r;

	if (argc < 1)
		die("call: METHOD [JSON]");
	fd = dial(0);
	auth_blocking(fd, &lb);
	r = call_line(fd, &lb, argv[0], argc > 1 ? argv[1] : NULL);
	if (r == NULL)
		die("call: connection closed");
	printf("%s\n", r);
	free(r);
	close(fd);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
count_items(const char *r)
{
	const char *p = strstr(r, "\"items\":[");
	int depth = 0, n = 0, instr = 0;

	if (p == NULL)
		return -1;
	for (p += 9; *p; p++) {
		if (instr) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				instr = 0;
			continue;
		}
		if (*p == '"')
			instr = 1;
		else if (*p == '{' || *p == '[') {
			if (depth++ == 0 && *p == '{')
				n++;
		} else if (*p == '}' || *p == ']') {
			if (depth-- == 0)
				break;
		}
	}
	return n;
}

static int
cmd_probe(int argc, char **argv)
{
	struct lbuf lb = { 0 };
	int fd, repeat = 5, i;
	double *t;
	size_t bytes = 0;
	int items = -1;
	double first = 0;
	char *r;

	while (argc > 0 && argv[0][0] == '-') {
		if (strcmp(argv[0], "--repeat") == 0 && argc > 1) {
			repeat = atoi(argv[1]);
			argc -= 2;
			argv += 2;
		} else
			die("probe: unknown argument %s", argv[0]);
	}
	if (argc < 1 || repeat < 1)
		die("probe: [--repeat K] METHOD [JSON]");
	t = calloc((size_t)repeat, sizeof(*t));
	fd = dial(0);
	auth_blocking(fd, &lb);
	for (i = 0; i < repeat; i++) {
		uint64_t t0 = now_ns();

		r = call_line(fd, &lb, argv[0], argc > 1 ? argv[1] : NULL);
		t[i] = (double)(now_ns() - t0) / 1e6;
		if (i == 0)
			first = t[0];
		if (r == NULL)
			die("probe: connection closed");
		if (strstr(r, "\"error\"") != NULL &&
		    strstr(r, "\"result\"") == NULL) {
			const char *m = strstr(r, "\"message\":\"");
			char msg[200];
			size_t j = 0;

			if (m != NULL)
				for (m += 11;
				     *m && *m != '"' && j < sizeof(msg) - 1;)
					msg[j++] = *m++;
			msg[j] = '\0';
			printf("error=\"%s\" ms=%.3f\n", msg, t[i]);
			free(r);
			return 0;
		}
		bytes = strlen(r);
		items = count_items(r);
		free(r);
	}
	qsort(t, (size_t)repeat, sizeof(*t), cmp_double);
	printf("min_ms=%.3f med_ms=%.3f max_ms=%.3f first_ms=%.3f bytes=%zu "
	       "items=%d\n",
	       t[0], t[repeat / 2], t[repeat - 1], first, bytes, items);
	close(fd);
	return 0;
}

/* ---- idle connections and RSS ---- */

static int
rss_of(int pid, long *rss, long *hwm)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	*rss = *hwm = -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = atol(line + 6);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm = atol(line + 6);
	}
	fclose(f);
	return 0;
}

static void
raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (rl.rlim_max < want)
			rl.rlim_max = want; /* root only */
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
}

static int
cmd_idle(int argc, char **argv)
{
	int conns = 10000, pid = 0, i, *fds, opened = 0;
	long rss0, hwm0, rss1, hwm1;
	struct rlimit rl;
	struct lbuf lb = { 0 };
	uint64_t t0;
	double secs;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--conns") == 0 && i + 1 < argc)
			conns = atoi(argv[++i]);
		else if (strcmp(argv[i], "--pid") == 0 && i + 1 < argc)
			pid = atoi(argv[++i]);
		else
			die("idle: unknown argument %s", argv[i]);
	}
	if (pid <= 0)
		die("idle: --pid is required");
	raise_nofile((rlim_t)conns + 64);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)conns + 16) {
		fprintf(stderr,
		        "load: idle: RLIMIT_NOFILE is %llu: %d connections"
		        " only\n",
		        (unsigned long long)rl.rlim_cur, (int)rl.rlim_cur - 16);
		conns = (int)rl.rlim_cur - 16;
	}
	if (rss_of(pid, &rss0, &hwm0) == -1)
		die("idle: no process %d", pid);
	fds = calloc((size_t)conns, sizeof(int));
	t0 = now_ns();
	for (i = 0; i < conns; i++) {
		fds[i] = dial(0);
		auth_blocking(fds[i], &lb);
		opened++;
	}
	secs = (double)(now_ns() - t0) / 1e9;
	usleep(500000);
	rss_of(pid, &rss1, &hwm1);
	printf("conns=%d rss_before_kb=%ld rss_after_kb=%ld added_kb=%ld"
	       " per_conn_kb=%.2f open_auth_s=%.2f\n",
	       opened, rss0, rss1, rss1 - rss0, (double)(rss1 - rss0) / opened,
	       secs);
	for (i = 0; i < opened; i++)
		close(fds[i]);
	return 0;
}

static int
cmd_rss(int argc, char **argv)
{
	long rss, hwm;

	if (argc < 1 || rss_of(atoi(argv[0]), &rss, &hwm) == -1)
		die("rss: PID");
	printf("rss_kb=%ld hwm_kb=%ld\n", rss, hwm);
	return 0;
}

/* ---- spawn ---- */

static int
cmd_spawn(int argc, char **argv)
{
	const char *log = NULL;
	long nofile = 0;
	double timeout = 60;
	int i, fd, pid, status;
	uint64_t t0;
	char buf[65536];

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			log = argv[++i];
		else if (strcmp(argv[i], "--nofile") == 0 && i + 1 < argc)
			nofile = atol(argv[++i]);
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout = atof(argv[++i]);
		else
			die("spawn: unknown argument %s", argv[i]);
	}
	if (log == NULL || i + 1 >= argc)
		die("spawn: --log FILE -- CMD ...");
	argv += i + 1;
	if (nofile > 0)
		raise_nofile((rlim_t)nofile);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		die("%s: %s", log, strerror(errno));
	t0 = now_ns();
	pid = fork();
	if (pid == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		setpgid(0, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd);
	for (;;) {
		int rfd = open(log, O_RDONLY);
		ssize_t n = rfd == -1 ? -1 : read(rfd, buf, sizeof(buf) - 1);
		char *p;

		if (rfd != -1)
			close(rfd);
		if (n > 0) {
			buf[n] = '\0';
			if ((p = strstr(buf, "listening on ")) != NULL &&
			    strchr(p, '\n') != NULL) {
				double ms = (double)(now_ns() - t0) / 1e6;
				char *colon =
				    strrchr(strtok(p + 13, "\n"), ':');

				printf("pid=%d port=%s startup_ms=%.1f\n", pid,
				       colon ? colon + 1 : "0", ms);
				return 0;
			}
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr,
			        "load: spawn: %s exited before"
			        " listening:\n%s\n",
			        argv[0], n > 0 ? buf : "");
			return 1;
		}
		if ((double)(now_ns() - t0) / 1e9 > timeout) {
			kill(pid, SIGKILL);
			die("spawn: %s not listening after %.0f s", argv[0],
			    timeout);
		}
		usleep(200);
	}
}

int
main(int argc, char **argv)
{
	int i;
	const char *cmd;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		die("usage: load run|call|probe|idle|spawn|rss ...");
	cmd = argv[1];
	argc -= 2;
	argv += 2;
	if (strcmp(cmd, "spawn") == 0)
		return cmd_spawn(argc, argv);
	if (strcmp(cmd, "rss") == 0)
		return cmd_rss(argc, argv);
	/* Common: --port P --token T first. */
	for (i = 0; i < argc;) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			port = atoi(argv[i + 1]);
		} else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc) {
			token = argv[i + 1][0] ? argv[i + 1] : NULL;
		} else {
			i++;
			continue;
		}
		memmove(&argv[i], &argv[i + 2],
		        (size_t)(argc - i - 2) * sizeof(char *));
		argc -= 2;
	}
	if (port <= 0)
		die("--port is required");
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv);
	if (strcmp(cmd, "call") == 0)
		return cmd_call(argc, argv);
	if (strcmp(cmd, "probe") == 0)
		return cmd_probe(argc, argv);
	if (strcmp(cmd, "idle") == 0)
		return cmd_idle(argc, argv);
	die("unknown command %s", cmd);
}
