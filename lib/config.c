/*
 * ogid's settings: defaults, the config file and single-key overrides.
 * Plain C library only: no libevent, no sqlite.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

enum config_type {
	CONFIG_STRING,
	CONFIG_INT,
	CONFIG_SIZE,
	CONFIG_CHOICE, /* a word mapped to an int */
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	size_t size;   /* CONFIG_STRING: buffer size */
	long long min; /* CONFIG_INT, CONFIG_SIZE */
	long long max;
	int (*check)(const char *, char *, size_t); /* CONFIG_STRING */
	const char *words[2]; /* CONFIG_CHOICE: for 1, 0 */
};

static int config_check_listen(const char *, char *, size_t);
static int config_check_timezone(const char *, char *, size_t);
static int config_check_db(const char *, char *, size_t);

#define OFF(f) offsetof(struct ogi_config, f)
#define LEN(f) sizeof(((struct ogi_config *)0)->f)

static const struct config_key config_keys[] = {
	{ "listen", CONFIG_STRING, OFF(listen), LEN(listen),
	  .check = config_check_listen },
	{ "db", CONFIG_STRING, OFF(db), LEN(db), .check = config_check_db },
	{ "timezone", CONFIG_STRING, OFF(timezone), LEN(timezone),
	  .check = config_check_timezone },
	{ "log_file", CONFIG_STRING, OFF(log_file), .size = LEN(log_file) },
	{ "due_soon_days", CONFIG_INT, OFF(due_soon_days), .min = 0,
	  .max = CONFIG_MAX_PERIOD_DAYS },
	{ "correction_days", CONFIG_INT, OFF(correction_days), .min = 1,
	  .max = CONFIG_MAX_PERIOD_DAYS },
	{ "max_request_bytes", CONFIG_SIZE, OFF(max_request_bytes), .min = 1024,
	  .max = 1LL << 30 },
	{ "max_connections", CONFIG_INT, OFF(max_connections), .min = 1,
	  .max = 1000000 },
	{ "max_connections_per_address", CONFIG_INT,
	  OFF(max_connections_per_address), .min = 0, .max = 1000000 },
	{ "requests_per_event", CONFIG_INT, OFF(requests_per_event), .min = 1,
	  .max = 1000000 },
	{ "max_output_bytes", CONFIG_SIZE, OFF(max_output_bytes), .min = 65536,
	  .max = 1LL << 32 },
	{ "max_output_total", CONFIG_SIZE, OFF(max_output_total),
	  .min = 1LL << 20, .max = 1LL << 36 },
	{ "idle_timeout", CONFIG_INT, OFF(idle_timeout), .min = 1,
	  .max = 86400 },
	{ "request_timeout", CONFIG_INT, OFF(request_timeout), .min = 1,
	  .max = 86400 },
	{ "auth_max_failures", CONFIG_INT, OFF(auth_max_failures), .min = 1,
	  .max = 1000 },
	{ "synchronous", CONFIG_CHOICE, OFF(synchronous_full),
	  .words = { "full", "normal" } },
	{ "tls_cert", CONFIG_STRING, OFF(tls_cert), .size = LEN(tls_cert) },
	{ "tls_key", CONFIG_STRING, OFF(tls_key), .size = LEN(tls_key) },
	{ "tls_ca", CONFIG_STRING, OFF(tls_ca), .size = LEN(tls_ca) },
	{ "allow_root", CONFIG_CHOICE, OFF(allow_root),
	  .words = { "yes", "no" } },
	{ "auth_limit_loopback", CONFIG_CHOICE, OFF(auth_limit_loopback),
	  .words = { "yes", "no" } },
};

#undef OFF
#undef LEN

static void config_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
config_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A value quoted for an error message: printable ASCII, at most 64 bytes. */
static const char *
config_quote(const char *s, char *buf, size_t bufsize)
{
	size_t i, n = 0;

	for (i = 0; s[i] != '\0' && n + 5 < bufsize; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == 64) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, bufsize - n, "\\x%02x",
			                      c);
	}
	buf[n] = '\0';
	return buf;
}

void
config_defaults(struct ogi_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->listen, sizeof cfg->listen, "%s", "127.0.0.1:7420");
	snprintf(cfg->db, sizeof cfg->db, "%s", "/var/lib/ogid/ogi.db");
	snprintf(cfg->timezone, sizeof cfg->timezone, "%s", "Asia/Shanghai");
	cfg->due_soon_days = 3;
	cfg->correction_days = 15;
	cfg->max_request_bytes = 1048576;
	cfg->max_connections = 1024;
	cfg->max_connections_per_address = 0;
	cfg->requests_per_event = 64;
	cfg->max_output_bytes = 4194304;
	cfg->max_output_total = 268435456;
	cfg->idle_timeout = 30;
	cfg->request_timeout = 30;
	cfg->auth_max_failures = 5;
	cfg->synchronous_full = 1;
	cfg->allow_root = 0;
	cfg->auth_limit_loopback = 0;
}

static int
config_check_db(const char *v, char *err, size_t errlen)
{
	if (*v == '\0') {
		config_err(err, errlen, "db: empty path");
		return -1;
	}
	return 0;
}

int
config_port(const char *p)
{
	long port = 0;

	if (*p == '\0' || strlen(p) > 5)
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (*p - '0');
	}
	return port > 65535 ? -1 : (int)port;
}

/* "A.B.C.D:PORT" or "[IPv6]:PORT", PORT 0..65535 (0: any free port). */
static int
config_check_listen(const char *v, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	unsigned char addr[sizeof(struct in6_addr)];
	const char *colon;
	size_t hlen;
	int family = AF_INET;

	if (*v == '[') {
		colon = strstr(v, "]:");
		if (colon == NULL)
			goto bad;
		v++;
		hlen = (size_t)(colon - v);
		colon++;
		family = AF_INET6;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL)
			goto bad;
		hlen = (size_t)(colon - v);
	}
	if (hlen == 0 || hlen >= sizeof host)
		goto bad;
	memcpy(host, v, hlen);
	host[hlen] = '\0';
	if (inet_pton(family, host, addr) != 1)
		goto bad;

	if (config_port(colon + 1) == -1)
		goto bad;
	return 0;
bad:
	config_err(err, errlen,
	           "listen: expected IPv4:PORT or [IPv6]:PORT with an address "
	           "literal");
	return -1;
}

/* A name under the zoneinfo directory (TZDIR, as the C library honours it). */
/*
 * A zone file begins "TZif" (tzfile(5)). Other files live beside the zones
 * (zone.tab, iso3166.tab, leapseconds): glibc would take one silently as
 * UTC.
 */
static bool
config_tzif(const char *path)
{
	char magic[4];
	FILE *fp = fopen(path, "rb");
	bool ok;

	if (fp == NULL)
		return false;
	ok = fread(magic, 1, sizeof(magic), fp) == sizeof(magic) &&
	     memcmp(magic, "TZif", 4) == 0;
	fclose(fp);
	return ok;
}

static int
config_check_timezone(const char *v, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *dir, *p;
	struct stat st;

	if (*v == '\0' || *v == '/')
		goto bad;
	for (p = v; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("/_+-.", *p) == NULL)
			goto bad;
	}
	if (strstr(v, "..") != NULL)
		goto bad;
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, v) >= sizeof path)
		goto bad;
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    !config_tzif(path)) {
		config_err(err, errlen, "timezone: no zone %s under %s", v,
		           dir);
		return -1;
	}
	return 0;
bad:
	config_err(err, errlen,
	           "timezone: expected a zone name such as Asia/Shanghai");
	return -1;
}

/* Decimal digits only, no sign, no trailing text. */
static int
config_number(const char *v, long long *out)
{
	char *end;
	long long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = n;
	return 0;
}

int
config_set(struct ogi_config *cfg, const char *key, const char *value,
           char *err, size_t errlen)
{
	const struct config_key *k = NULL;
	char *field, q[300];
	long long n;
	size_t i;

	for (i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
		if (strcmp(config_keys[i].name, key) == 0) {
			k = &config_keys[i];
			break;
		}
	}
	if (k == NULL) {
		config_err(err, errlen, "unknown key \"%s\"",
		           config_quote(key, q, sizeof q));
		return -1;
	}
	field = (char *)cfg + k->offset;

	switch (k->type) {
	case CONFIG_STRING:
		if (strlen(value) >= k->size) {
			config_err(err, errlen,
			           "%s: value too long (at most %zu bytes)",
			           k->name, k->size - 1);
			return -1;
		}
		if (k->check != NULL && k->check(value, err, errlen) == -1)
			return -1;
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CONFIG_INT:
	case CONFIG_SIZE:
		if (config_number(value, &n) == -1) {
			config_err(err, errlen, "%s: bad number \"%s\"",
			           k->name, config_quote(value, q, sizeof q));
			return -1;
		}
		if (n < k->min || n > k->max) {
			config_err(err, errlen,
			           "%s: %lld out of range %lld..%lld", k->name,
			           n, k->min, k->max);
			return -1;
		}
		if (k->type == CONFIG_INT)
			*(int *)(void *)field = (int)n;
		else
			*(size_t *)(void *)field = (size_t)n;
		return 0;
	case CONFIG_CHOICE:
		if (strcmp(value, k->words[0]) == 0)
			*(int *)(void *)field = 1;
		else if (strcmp(value, k->words[1]) == 0)
			*(int *)(void *)field = 0;
		else {
			config_err(err, errlen,
			           "%s: expected %s or %s, not \"%s\"", k->name,
			           k->words[0], k->words[1],
			           config_quote(value, q, sizeof q));
			return -1;
		}
		return 0;
	}
	config_err(err, errlen, "%s: internal error", k->name);
	return -1;
}

static char *
config_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	                 e[-1] == '\n'))
		e--;
	*e = '\0';
	return s;
}

/*
 * One line: blank, "# comment", or "key = value". A '#' that starts a
 * word also starts a comment, so "key = value  # note" works while a '#'
 * inside a path does not.
 */
static int
config_line(struct ogi_config *cfg, char *line, size_t len, char *err,
            size_t errlen)
{
	char *p, *eq, *key, *value;

	if (memchr(line, '\0', len) != NULL) {
		config_err(err, errlen, "NUL byte in line");
		return -1;
	}
	for (p = line; *p != '\0'; p++) {
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	key = config_trim(line);
	if (*key == '\0')
		return 0;
	if ((eq = strchr(key, '=')) == NULL) {
		config_err(err, errlen, "expected \"key = value\"");
		return -1;
	}
	*eq = '\0';
	key = config_trim(key);
	value = config_trim(eq + 1);
	if (*key == '\0') {
		config_err(err, errlen, "missing key before \"=\"");
		return -1;
	}
	return config_set(cfg, key, value, err, errlen);
}

int
config_load(struct ogi_config *cfg, const char *path, char *err, size_t errlen)
{
	struct ogi_config next = *cfg; /* all or nothing */
	char reason[512];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		config_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (config_line(&next, line, (size_t)len, reason,
		                sizeof reason) == -1) {
			config_err(err, errlen, "%s:%lu: %s", path, lineno,
			           reason);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		config_err(err, errlen, "%s:%lu: %s", path, lineno + 1,
		           strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	if (rc == 0)
		*cfg = next;
	return rc;
}
