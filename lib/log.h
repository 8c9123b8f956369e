/*
 * One way to log, after OpenBSD's log.c: log_warn adds strerror(errno),
 * log_warnx does not; fatal/fatalx log and exit(1). Lines go to stderr (or
 * the reopened log file) as "ogid: LEVEL key=value ...".
 */
#ifndef OGI_LOG_H
#define OGI_LOG_H

#include <stdbool.h>

#include <stdarg.h>
#include <stddef.h>

void log_init(const char *progname, int debug);
/* Reopen the log file given to log_set_file, if any (SIGHUP). */
int log_set_file(const char *path);
int log_reopen(void);
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Whether log_debug writes: to skip building its arguments. */
bool log_debug_on(void);
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/*
 * Escape a client-supplied string for a key=value log line: printable ASCII
 * kept, quotes, backslashes, controls and bytes >= 0x80 as \xNN, at most
 * 64 input bytes. Writes into buf (size >= 4 * 64 + 8) and returns it.
 */
const char *log_escape(const char *s, char *buf, size_t bufsize);

#endif
