/*
 * systemd's notify and socket-activation protocols, after systemd's
 * man/notify-selfcontained-example.c: a datagram of "KEY=value" lines to
 * the socket named by $NOTIFY_SOCKET, and listening sockets from fd 3 on.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/log.h"
#include "notify.h"

#define NOTIFY_LISTEN_FDS_START 3

void
notify_send(const char *state)
{
	struct sockaddr_un sa;
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;
	socklen_t salen;
	int fd;

	if (path == NULL || *path == '\0')
		return;
	/* Only AF_UNIX: a path or an abstract name ('@' stands for NUL). */
	if (*path != '/' && *path != '@') {
		log_warnx(
		    "notify: NOTIFY_SOCKET is not a unix socket: ignored");
		return;
	}
	len = strlen(path);
	if (len >= sizeof sa.sun_path) {
		log_warnx("notify: NOTIFY_SOCKET too long: ignored");
		return;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	/* Abstract names are length-delimited: no trailing NUL counted. */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	                    (path[0] == '/' ? 1 : 0));

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("notify: socket");
		return;
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	           (struct sockaddr *)&sa, salen) == -1)
		log_warn("notify: sendto %s", path);
	close(fd);
}

void
notify_ready(void)
{
	notify_send("READY=1");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}

void
notify_reloading(void)
{
	struct timespec ts;
	char buf[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof buf, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	         (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	notify_send(buf);
}

void
notify_status(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	char *p;

	memcpy(buf, "STATUS=", 7);
	va_start(ap, fmt);
	vsnprintf(buf + 7, sizeof buf - 7, fmt, ap);
	va_end(ap);
	/* One line: a newline would start another assignment. */
	for (p = buf; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	notify_send(buf);
}

/* A whole decimal number > 0; -1 otherwise. */
static int
notify_number(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0)
		return -1;
	*out = n;
	return 0;
}

int
notify_watchdog_usec(uint64_t *usec)
{
	const char *s = getenv("WATCHDOG_USEC"), *p = getenv("WATCHDOG_PID");
	uint64_t n, pid;

	*usec = 0;
	if (s == NULL)
		return 0;
	if (notify_number(s, &n) == -1) {
		log_warnx("notify: bad WATCHDOG_USEC: ignored");
		return -1;
	}
	if (p != NULL) {
		if (notify_number(p, &pid) == -1) {
			log_warnx("notify: bad WATCHDOG_PID: ignored");
			return -1;
		}
		if (pid != (uint64_t)getpid())
			return 0; /* meant for another process */
	}
	*usec = n;
	return 1;
}

void
notify_watchdog(void)
{
	notify_send("WATCHDOG=1");
}

int
notify_listen_fd(void)
{
	uint64_t pid, nfds, i;
	int type = 0, listening = 0, fd = NOTIFY_LISTEN_FDS_START;
	socklen_t len;

	if (notify_number(getenv("LISTEN_PID"), &pid) == -1 ||
	    pid != (uint64_t)getpid())
		return -1;
	if (notify_number(getenv("LISTEN_FDS"), &nfds) == -1 || nfds > 1024) {
		log_warnx("notify: bad LISTEN_FDS: ignored");
		return -1;
	}
	/* Ours alone: nothing we start should inherit them. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (i = 0; i < nfds; i++) {
		int f = fd + (int)i;
		int flags = fcntl(f, F_GETFD);
		if (flags != -1)
			fcntl(f, F_SETFD, flags | FD_CLOEXEC);
	}
	if (nfds > 1)
		log_warnx("notify: %" PRIu64 " sockets passed; using fd 3 only",
		          nfds);

	len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM) {
		log_warnx("notify: fd 3 is not a stream socket");
		return -1;
	}
	len = sizeof listening;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == -1 ||
	    !listening) {
		log_warnx("notify: fd 3 is not listening");
		return -1;
	}
	return fd;
}
