/*
 * Logging after OpenBSD's log.c. One line per call, written with a single
 * write(2) so lines from a crashing daemon are not torn: to stderr, or to
 * the file given to log_set_file (reopened on SIGHUP with log_reopen).
 */
#include <errno.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 4096

static const char *log_progname = "ogid";
static int log_debugging;
static int log_fd = -1; /* -1: stderr */
static char *log_path;
static int log_journal = -1; /* stderr is journald's stream: -1 unknown */

static void log_vwrite(const char *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

void
log_init(const char *progname, int debug)
{
	if (progname != NULL)
		log_progname = progname;
	log_debugging = debug;
}

static int
log_open(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_set_file(const char *path)
{
	char *copy = NULL;
	int fd = -1;

	if (path != NULL && *path != '\0') {
		if ((fd = log_open(path)) == -1)
			return -1;
		if ((copy = strdup(path)) == NULL) {
			close(fd);
			return -1;
		}
	}
	if (log_fd != -1)
		close(log_fd);
	free(log_path);
	log_fd = fd;
	log_path = copy;
	return 0;
}

int
log_reopen(void)
{
	int fd;

	if (log_path == NULL)
		return 0;
	if ((fd = log_open(log_path)) == -1)
		return -1; /* keep writing to the old file */
	close(log_fd);
	log_fd = fd;
	return 0;
}

/* A log line stays one line whatever the message holds. */
static void
log_sanitise(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

static size_t
log_stamp(char *buf, size_t size)
{
	struct tm tm;
	time_t now;

	if (log_fd == -1)
		return 0; /* stderr: journald or the terminal adds its own */
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL)
		return 0;
	return strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z ", &tm);
}

/*
 * Is stderr the stream systemd connected to the journal (JOURNAL_STREAM,
 * "device:inode", names it)? Then each line starts with its syslog
 * priority, "<4>", which journald reads (SyslogLevelPrefix=, on by
 * default), so that journalctl -p warning finds the warnings.
 */
static bool
log_to_journal(void)
{
	const char *js;
	unsigned long long dev, ino;
	struct stat sb;

	if (log_journal == -1) {
		log_journal = 0;
		if ((js = getenv("JOURNAL_STREAM")) != NULL &&
		    sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		    fstat(STDERR_FILENO, &sb) == 0 &&
		    (unsigned long long)sb.st_dev == dev &&
		    (unsigned long long)sb.st_ino == ino)
			log_journal = 1;
	}
	return log_journal == 1;
}

/* syslog(3)'s priorities: crit, warning, info, debug. */
static const char *
log_priority(const char *level)
{
	switch (level[0]) {
	case 'f':
		return "<2>";
	case 'w':
		return "<4>";
	case 'd':
		return "<7>";
	default:
		return "<6>";
	}
}

static void
log_vwrite(const char *level, int with_errno, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], msg[LOG_LINE_MAX];
	int saved = errno, len;
	size_t off;

	vsnprintf(msg, sizeof msg, fmt, ap);
	log_sanitise(msg);
	off = log_stamp(line, sizeof line);
	if (log_fd == -1 && log_to_journal())
		off = (size_t)snprintf(line, sizeof line, "%s",
		                       log_priority(level));
	if (with_errno)
		len = snprintf(line + off, sizeof line - off, "%s: %s %s: %s\n",
		               log_progname, level, msg, strerror(saved));
	else
		len = snprintf(line + off, sizeof line - off, "%s: %s %s\n",
		               log_progname, level, msg);
	if (len < 0)
		goto out;
	if ((size_t)len >= sizeof line - off) {
		len = (int)(sizeof line - off - 1);
		line[sizeof line - 2] = '\n';
	}
	if (write(log_fd == -1 ? STDERR_FILENO : log_fd, line,
	          off + (size_t)len) == -1)
		goto out; /* nowhere left to complain */
out:
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite("info", 0, fmt, ap);
	va_end(ap);
}

bool
log_debug_on(void)
{
	return log_debugging != 0;
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debugging)
		return;
	va_start(ap, fmt);
	log_vwrite("debug", 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite("warn", 1, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite("warn", 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite("fatal", errno != 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite("fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}

const char *
log_escape(const char *s, char *buf, size_t bufsize)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, o = 0;

	if (bufsize == 0)
		return buf;
	if (s == NULL) {
		snprintf(buf, bufsize, "(null)");
		return buf;
	}
	for (i = 0; p[i] != '\0' && i < 64; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' &&
		    p[i] != '\\') {
			if (o + 1 >= bufsize)
				break;
			buf[o++] = (char)p[i];
			continue;
		}
		if (o + 4 >= bufsize)
			break;
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[p[i] >> 4];
		buf[o++] = hex[p[i] & 0xf];
	}
	if (p[i] != '\0' && o + 3 < bufsize) {
		memcpy(buf + o, "...", 3); /* cut at 64 bytes */
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}
