/* lib/config: defaults, a good file, and each error with its file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/config.h"
#include "tap.h"

static char tmp_path[64];

/* Write text to a fresh temporary file; its name is left in tmp_path. */
static const char *
write_tmp(const char *text)
{
	int fd;
	size_t len = strlen(text);

	snprintf(tmp_path, sizeof tmp_path, "/tmp/ogi-test-config.XXXXXX");
	if ((fd = mkstemp(tmp_path)) == -1) {
		perror("mkstemp");
		exit(1);
	}
	if (write(fd, text, len) != (ssize_t)len) {
		perror("write");
		exit(1);
	}
	close(fd);
	return tmp_path;
}

/* Load text over the defaults; returns config_load's result, err filled. */
static int
load(const char *text, struct ogi_config *cfg, char *err, size_t errlen)
{
	const char *path = write_tmp(text);
	int rc;

	config_defaults(cfg);
	err[0] = '\0';
	rc = config_load(cfg, path, err, errlen);
	unlink(path);
	return rc;
}

static void
test_defaults(void)
{
	struct ogi_config c;

	config_defaults(&c);
	ok(strcmp(c.listen, "127.0.0.1:7420") == 0, "default listen");
	ok(strcmp(c.db, "/var/lib/ogid/ogi.db") == 0, "default db");
	ok(strcmp(c.timezone, "Asia/Shanghai") == 0, "default timezone");
	ok(c.log_file[0] == '\0', "default log_file is stderr");
	ok(c.due_soon_days == 3, "default due_soon_days");
	ok(c.correction_days == 15, "default correction_days");
	ok(c.max_request_bytes == 1048576, "default max_request_bytes");
	ok(c.max_connections == 1024, "default max_connections");
	ok(c.max_connections_per_address == 0,
	   "default max_connections_per_address: no cap");
	ok(c.requests_per_event == 64, "default requests_per_event");
	ok(c.max_output_bytes == 4194304, "default max_output_bytes");
	ok(c.idle_timeout == 30, "default idle_timeout");
	ok(c.request_timeout == 30, "default request_timeout");
	ok(c.auth_max_failures == 5, "default auth_max_failures");
	ok(c.synchronous_full == 1, "default synchronous full");
	ok(c.tls_cert[0] == '\0' && c.tls_key[0] == '\0' && c.tls_ca[0] == '\0',
	   "default no TLS");
	ok(c.allow_root == 0, "default allow_root no");
}

static void
test_good_file(void)
{
	struct ogi_config c;
	char err[512];
	int rc;

	rc = load("# ogid test config\n"
	          "\n"
	          "listen = [::1]:8000\n"
	          "  db=/tmp/x#1.db   \n"
	          "timezone = UTC\n"
	          "log_file = /tmp/ogid.log # trailing comment\n"
	          "due_soon_days = 5\n"
	          "correction_days = 10\n"
	          "max_request_bytes = 65536\n"
	          "max_connections = 10\n"
	          "max_connections_per_address = 3\n"
	          "requests_per_event = 1\n"
	          "max_output_bytes = 131072\n"
	          "idle_timeout = 5\n"
	          "request_timeout = 7\n"
	          "auth_max_failures = 2\n"
	          "synchronous = normal\r\n"
	          "\ttls_cert = /etc/ogi/cert.pem\n"
	          "tls_key = /etc/ogi/key.pem\n"
	          "tls_ca = /etc/ogi/ca.pem\n"
	          "allow_root = yes", /* no final newline */
	          &c, err, sizeof err);
	ok(rc == 0, "good file loads (%s)", err);
	ok(strcmp(c.listen, "[::1]:8000") == 0, "listen set");
	ok(strcmp(c.db, "/tmp/x#1.db") == 0, "db set, '#' inside a word kept");
	ok(strcmp(c.timezone, "UTC") == 0, "timezone set");
	ok(strcmp(c.log_file, "/tmp/ogid.log") == 0,
	   "trailing comment stripped");
	ok(c.due_soon_days == 5 && c.correction_days == 10, "day counts set");
	ok(c.max_request_bytes == 65536 && c.max_output_bytes == 131072,
	   "sizes set");
	ok(c.max_connections == 10 && c.requests_per_event == 1 &&
	       c.max_connections_per_address == 3,
	   "limits set");
	ok(c.idle_timeout == 5 && c.request_timeout == 7, "timeouts set");
	ok(c.auth_max_failures == 2, "auth_max_failures set");
	ok(c.synchronous_full == 0, "synchronous normal, CRLF tolerated");
	ok(strcmp(c.tls_cert, "/etc/ogi/cert.pem") == 0 &&
	       strcmp(c.tls_key, "/etc/ogi/key.pem") == 0 &&
	       strcmp(c.tls_ca, "/etc/ogi/ca.pem") == 0,
	   "tls paths set");
	ok(c.allow_root == 1, "allow_root yes, last line without newline");

	rc = load("", &c, err, sizeof err);
	ok(rc == 0 && c.due_soon_days == 3, "empty file keeps defaults");
	rc = load("max_connections_per_address = 0\n", &c, err, sizeof err);
	ok(rc == 0 && c.max_connections_per_address == 0,
	   "max_connections_per_address 0: no cap");
	rc = load("listen = 0.0.0.0:0\n", &c, err, sizeof err);
	ok(rc == 0 && strcmp(c.listen, "0.0.0.0:0") == 0, "port 0 allowed");
}

/* Each bad file must fail with "PATH:LINE: ..." containing want. */
static const struct {
	const char *text;
	int line;
	const char *want;
	const char *what;
} bad[] = {
	{ "listen = 127.0.0.1:1\nfrobnicate = 1\n", 2, "unknown key",
	  "unknown key" },
	{ "# c\n\nDB = /x\n", 3, "unknown key", "keys are case-sensitive" },
	{ "due_soon_days = 3x\n", 1, "bad number",
	  "bad number: trailing text" },
	{ "due_soon_days = -1\n", 1, "bad number", "bad number: sign" },
	{ "idle_timeout =\n", 1, "bad number", "bad number: empty" },
	{ "max_request_bytes = 99999999999999999999999\n", 1, "bad number",
	  "bad number: overflow" },
	{ "\n\nmax_connections = 0\n", 3, "out of range",
	  "out of range: too small" },
	{ "correction_days = 400\n", 1, "out of range",
	  "out of range: too large" },
	{ "max_connections_per_address = 1000001\n", 1, "out of range",
	  "out of range: cap per address" },
	{ "max_connections_per_address = -1\n", 1, "bad number",
	  "bad number: negative cap per address" },
	{ "max_output_bytes = 1024\n", 1, "out of range",
	  "out of range: size" },
	{ "listen = 127.0.0.1\n", 1, "listen", "bad listen: no port" },
	{ "listen = localhost:7420\n", 1, "listen", "bad listen: a name" },
	{ "listen = 127.0.0.1:65536\n", 1, "listen",
	  "bad listen: port too large" },
	{ "listen = 127.0.0.1:7x\n", 1, "listen",
	  "bad listen: port not a number" },
	{ "listen = ::1:7420\n", 1, "listen",
	  "bad listen: IPv6 without brackets" },
	{ "listen = [127.0.0.1]:7420\n", 1, "listen",
	  "bad listen: IPv4 in brackets" },
	{ "listen = 256.1.1.1:1\n", 1, "listen", "bad listen: bad octet" },
	{ "timezone = Mars/Olympus_Mons\n", 1, "timezone",
	  "bad timezone: unknown" },
	{ "timezone = ../../etc/passwd\n", 1, "timezone", "bad timezone: .." },
	{ "timezone = /etc/localtime\n", 1, "timezone",
	  "bad timezone: absolute" },
	{ "timezone = Asia\n", 1, "timezone", "bad timezone: a directory" },
	{ "timezone = zone.tab\n", 1, "timezone",
	  "bad timezone: a file beside the zones, not one" },
	{ "synchronous = off\n", 1, "full or normal", "bad synchronous" },
	{ "allow_root = true\n", 1, "yes or no", "bad allow_root" },
	{ "just some words\n", 1, "key = value", "line without =" },
	{ " = 3\n", 1, "missing key", "empty key" },
	{ "db =\n", 1, "db: empty", "empty db" },
};

static void
test_errors(void)
{
	struct ogi_config c;
	char err[512], want[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rc = load(bad[i].text, &c, err, sizeof err);
		snprintf(want, sizeof want, "%s:%d: ", tmp_path, bad[i].line);
		ok(rc == -1 && strncmp(err, want, strlen(want)) == 0 &&
		       strstr(err, bad[i].want) != NULL,
		   "%s: \"%s\"", bad[i].what, err);
	}
}

static void
test_atomic_and_set(void)
{
	struct ogi_config c;
	char err[512];
	int rc;

	rc = load("due_soon_days = 9\nnope = 1\n", &c, err, sizeof err);
	ok(rc == -1 && c.due_soon_days == 3, "a failed load changes nothing");

	config_defaults(&c);
	ok(config_load(&c, "/nonexistent/ogid.conf", err, sizeof err) == -1 &&
	       strstr(err, "/nonexistent/ogid.conf") != NULL,
	   "missing file reported: \"%s\"", err);

	ok(config_set(&c, "listen", "[::]:7420", err, sizeof err) == 0 &&
	       strcmp(c.listen, "[::]:7420") == 0,
	   "config_set listen [::]:7420");
	ok(config_set(&c, "listen", "1.2.3.4", err, sizeof err) == -1 &&
	       strcmp(c.listen, "[::]:7420") == 0,
	   "config_set rejects and keeps the old value");
	ok(config_set(&c, "nope\x01", "1", err, sizeof err) == -1 &&
	       strstr(err, "\\x01") != NULL,
	   "unknown key escaped in the message: \"%s\"", err);

	char longv[2000];
	memset(longv, 'a', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	ok(config_set(&c, "db", longv, err, sizeof err) == -1 &&
	       strstr(err, "too long") != NULL,
	   "overlong db rejected");
	ok(config_set(&c, "tls_cert", "", err, sizeof err) == 0,
	   "empty tls_cert allowed");
}

int
main(void)
{
	test_defaults();
	test_good_file();
	test_errors();
	test_atomic_and_set();
	return tap_done();
}
