/*
 * ogid: the daemon. Subcommands init, verify, backup and restore; otherwise
 * run in
 * the foreground: one libevent loop, the store, the timers, the server.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "../lib/calendar.h"
#include "../lib/config.h"
#include "../lib/log.h"
#include "../lib/memcache.h"
#include "../lib/store.h"
#include "../lib/tz.h"
#include "../lib/xmalloc.h"
#include "appcache.h"
#include "events.h"
#include "methods.h"
#include "notify.h"
#include "peers.h"
#include "rpc.h"
#include "ogid.h"
#include "timers.h"
#include "verify.h"
#include "view.h"

static struct daemon the_daemon;
struct daemon *ogid = &the_daemon;
static struct event *ev_term, *ev_int, *ev_hup, *ev_watchdog;
static const char *config_path;

static void reload_config(void);
static bool tls_from_flags; /* TLS set on the command line: not the file's */
static bool listen_from_flag, db_from_flag; /* likewise */
#define DEFAULT_CONFIG "/etc/ogi/ogid.conf"

int64_t
daemon_now(void)
{
	if (ogid->fake_clock)
		return ogid->fake_now;
	return (int64_t)time(NULL);
}

day_t
daemon_today(void)
{
	return tz_day(daemon_now());
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	        "usage: ogid init --db FILE\n"
	        "       ogid --db FILE [--listen ADDR:PORT] [--config FILE]"
	        " [--fake-clock T] [--check-config]\n"
	        "            [--allow-root] [--tls-cert FILE --tls-key FILE"
	        " [--tls-ca FILE]]\n"
	        "       ogid verify --db FILE\n"
	        "       ogid backup --db FILE OUT\n"
	        "       ogid restore --db FILE BACKUP\n");
	exit(2);
}

/* The calendar this ogid ships (data/holidays-cn.txt). */
static struct cal *
calendar_shipped(void)
{
	struct cal *cal = cal_new();
	const char *why;
	int line;

	if (cal_load_text(cal, cal_builtin_text, &why, &line) == -1)
		fatalx("built-in calendar, line %d: %s", line, why);
	return cal;
}

/*
 * Store the years of from that have (if not NULL) does not know, and set
 * them in have too; the number stored, or -1.
 */
static int
calendar_store_new(struct store *st, const struct cal *from, struct cal *have)
{
	day_t *hol, *wd;
	size_t nh, nw;
	int y, rc, n = 0;

	for (y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++) {
		if (!cal_year_known(from, y) ||
		    (have != NULL && cal_year_known(have, y)))
			continue;
		cal_get_year(from, y, &hol, &nh, &wd, &nw);
		rc = store_calendar_set(st, y, hol, nh, wd, nw);
		if (rc == 0 && have != NULL &&
		    cal_set_year(have, y, hol, nh, wd, nw, NULL, NULL) == -1)
			fatalx("built-in calendar: year %d refused", y);
		free(hol);
		free(wd);
		if (rc == -1)
			return -1;
		if (have != NULL)
			log_info("event=calendar_year year=%d from=shipped", y);
		n++;
	}
	return n;
}

/*
 * Put next in force in one commit of its own, with every open deadline
 * and the timers recomputed under it (and, if ship is given, its years
 * next did not know stored and set in next first). If anything fails,
 * the commit included, the running calendar stays (next is freed) and
 * -1 is returned; what says where in the log.
 */
static int
calendar_switch(struct cal *next, const struct cal *ship, const char *what)
{
	struct cal *old = ogid->cal;

	if (commit_begin() == -1) {
		log_warnx("%s: %s; keeping the running calendar", what,
		          store_error(ogid->store));
		cal_free(next);
		return -1;
	}
	ogid->cal = next;
	if ((ship != NULL &&
	     calendar_store_new(ogid->store, ship, next) == -1) ||
	    timers_recompute_all() == -1) {
		log_warnx("%s: %s; keeping the running calendar", what,
		          store_error(ogid->store));
		ogid->cal = old;
		cal_free(next);
		commit_end(false);
		return -1;
	}
	commit_end(true);
	if (commit_now() == -1) {
		/*
		 * commit_restore_memory read the table's calendar back in
		 * place of next; the deadlines were not moved, so the old
		 * one stays (a SIGHUP finds the table different again).
		 */
		log_warnx("%s: the commit failed; keeping the running"
		          " calendar",
		          what);
		cal_free(ogid->cal);
		ogid->cal = old;
		appcache_clear();
		return -1;
	}
	cal_free(old);
	appcache_clear();
	return 0;
}

/*
 * At start: a year this ogid ships that the database does not know yet (a
 * newer release with next year's notice) is added, and every open
 * deadline follows, in one commit. A year the database knows is never
 * replaced: an admin's calendar.set stands.
 */
static void
calendar_add_shipped(void)
{
	struct cal *ship = calendar_shipped();
	int y;

	for (y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++)
		if (cal_year_known(ship, y) && !cal_year_known(ogid->cal, y))
			break;
	/* Nothing new: no commit. */
	if (y <= DATE_MAX_YEAR)
		calendar_switch(cal_copy(ogid->cal), ship,
		                "calendar: the shipped years");
	cal_free(ship);
}
/* ogid init: a new database with the shipped calendar and a first admin. */
static int
cmd_init(const char *db)
{
	struct store *st;
	struct cal *cal = calendar_shipped();
	char token[65];
	uint8_t h[32];

	if (store_create(db, &st) == -1) {
		fprintf(stderr, "ogid: init: %s\n", store_error(st));
		store_close(st);
		cal_free(cal);
		return 1;
	}
	if (store_begin(st) == -1 || calendar_store_new(st, cal, NULL) == -1)
		goto fail;
	methods_token_new(token, h);
	if (store_user_create(st, "admin", ROLE_ALL, h, (int64_t)time(NULL),
	                      NULL) == -1 ||
	    store_meta_set(st, "created_by", "ogid " OGI_VERSION) == -1 ||
	    store_commit(st) == -1)
		goto fail;
	store_close(st);
	cal_free(cal);
	/*
	 * The token is shown once: if it cannot be written whole (a full
	 * disk, a closed pipe), nobody has it, so the database goes too and
	 * init can be run again.
	 */
	errno = 0;
	if (printf("%s\n", token) < 0 || fflush(stdout) == EOF ||
	    ferror(stdout)) {
		fprintf(stderr,
		        "ogid: init: writing the token: %s; %s not created\n",
		        errno != 0 ? strerror(errno) : "write failed", db);
		explicit_bzero(token, sizeof(token));
		store_unlink_db(db);
		return 1;
	}
	explicit_bzero(token, sizeof(token));
	fprintf(stderr,
	        "ogid: created %s; the token of user \"admin\" is the line"
	        " written to standard output (shown once)\n",
	        db);
	return 0;
fail:
	fprintf(stderr, "ogid: init: %s\n", store_error(st));
	store_close(st);
	cal_free(cal);
	store_unlink_db(db);
	return 1;
}

static int
cmd_backup(const char *db, const char *out)
{
	struct store *st;

	/*
	 * Read-only (store_open_source): a backup never changes its source,
	 * whatever its schema. An older ogid still running on it goes on,
	 * and the copy is of the schema that ogid wrote.
	 */
	if (store_open_source(db, &st) == -1) {
		fprintf(stderr, "ogid: backup: %s\n", store_error(st));
		store_close(st);
		return 1;
	}
	if (store_backup(st, out) == -1) {
		fprintf(stderr, "ogid: backup: %s\n", store_error(st));
		store_close(st);
		return 1;
	}
	store_close(st);
	fprintf(stderr, "ogid: backup of %s written to %s\n", db, out);
	return 0;
}

/*
 * The lock a running ogid holds on its database (lock_database), taken
 * to write it, on the file made 0600 if missing (*made): its fd, or -1
 * with the reason printed. The same file as backup is refused.
 */
static int
restore_lock(const char *db, const char *backup, bool *made)
{
	struct stat a, b;
	int fd;

	*made = false;
	fd = open(db, O_RDWR | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		fd = open(db, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		*made = fd != -1;
	}
	if (fd == -1) {
		fprintf(stderr, "ogid: restore: %s: %s\n", db, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		fprintf(stderr, "ogid: restore: %s: %s\n", db,
		        errno == EWOULDBLOCK ? "in use by an ogid: stop it"
		                               " first"
		                             : strerror(errno));
	else if (fstat(fd, &a) == 0 && stat(backup, &b) == 0 &&
	         a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		fprintf(stderr, "ogid: restore: %s is %s\n", backup, db);
	else
		return fd;
	close(fd);
	if (*made)
		unlink(db);
	return -1;
}

/*
 * ogid restore: backup, checked read-only as ogid verify checks, written
 * into db through SQLite (store_restore), under the daemon's lock. The
 * search index is removed, to be made anew at start. db is left as it
 * was (or not made) if anything fails.
 */
static int
cmd_restore(const char *db, const char *backup)
{
	struct store *src;
	char head[65];
	long long n;
	bool made;
	int fd, rc = 1;

	if ((fd = restore_lock(db, backup, &made)) == -1)
		return 1;
	if (verify_open(backup, "restore", &src) == 0) {
		if (verify_store(src, &n, head) != 0)
			fprintf(stderr,
			        "ogid: restore: %s does not verify: %s left"
			        " unchanged\n",
			        backup, db);
		else if (fchmod(fd, 0600) == -1)
			fprintf(stderr, "ogid: restore: %s: %s\n", db,
			        strerror(errno));
		else if (store_search_remove(db) == -1)
			fprintf(stderr,
			        "ogid: restore: %s.search cannot be removed:"
			        " %s left unchanged\n",
			        db, db);
		else if (store_restore(src, db) == -1)
			fprintf(stderr, "ogid: restore: %s\n",
			        store_error(src));
		else
			rc = 0;
		store_close(src);
	}
	if (rc != 0 && made)
		store_unlink_db(db);
	close(fd);
	if (rc == 0)
		fprintf(stderr,
		        "ogid: restored %s into %s: %lld events, head %s\n",
		        backup, db, n, head);
	return rc;
}

static void
shutdown_done(void)
{
	event_base_loopexit(ogid->base, NULL);
}

/*
 * SIGHUP found the calendar table changed outside calendar.set (by hand,
 * a restored year): every open deadline and the timers follow it, as
 * calendar.set makes them, committed at once; if that cannot be
 * committed, the old calendar stays.
 */
static void
reload_calendar(struct cal *cal)
{
	if (calendar_switch(cal, NULL, "reload: calendar") == 0)
		log_info("event=reload_calendar");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (ogid->shutting_down)
			return;
		log_info("event=shutdown signal=%d", (int)sig);
		notify_stopping();
		ogid->shutting_down = true;
		server_stop_accepting();
		timers_rearm(); /* disarms */
		conn_shutdown(shutdown_done);
		break;
	case SIGHUP: {
		struct cal *cal = cal_new();

		notify_reloading();
		/*
		 * A write in the open batch (a calendar.set) is committed
		 * first: the table read below is then the one ogid->cal
		 * was made from, not older.
		 */
		if (store_in_txn(ogid->store))
			commit_now();
		reload_config();
		log_reopen();
		if (store_calendar_load(ogid->rstore, cal) == 0 &&
		    !cal_equal(cal, ogid->cal))
			reload_calendar(cal);
		else
			cal_free(cal);
		{
			char buf[16];
			day_t until = cal_known_until(
			    ogid->cal, date_year(daemon_today()));

			log_info("event=reload calendar_known_until=%s",
			         until == DAY_NONE ? "none"
			                           : date_format(until, buf));
		}
		notify_ready();
		break;
	}
	}
}

/*
 * SIGHUP: re-read the config file and apply what can change live (limits,
 * periods, the log file); what cannot (listen, db, timezone, TLS,
 * synchronous) is kept, with a warning if the file changed it.
 */
static void
reload_config(void)
{
	struct ogi_config c, *cur = &ogid->cfg;
	char err[512];
	int old_due_soon = cur->due_soon_days;

	/* A file put in place since the start is read as at a start. */
	if (config_path == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
		config_path = DEFAULT_CONFIG;
	if (config_path == NULL)
		return;
	config_defaults(&c);
	if (config_load(&c, config_path, err, sizeof(err)) == -1) {
		log_warnx("reload: %s; keeping the running configuration", err);
		return;
	}
	if ((!listen_from_flag && strcmp(c.listen, cur->listen) != 0) ||
	    (!db_from_flag && strcmp(c.db, cur->db) != 0))
		log_warnx("reload: listen and db change only at restart");
	if (strcmp(c.timezone, cur->timezone) != 0 ||
	    c.synchronous_full != cur->synchronous_full ||
	    (!tls_from_flags && (strcmp(c.tls_cert, cur->tls_cert) != 0 ||
	                         strcmp(c.tls_key, cur->tls_key) != 0 ||
	                         strcmp(c.tls_ca, cur->tls_ca) != 0)))
		log_warnx("reload: timezone, synchronous and TLS settings"
		          " change only at restart");
	cur->due_soon_days = c.due_soon_days;
	cur->correction_days = c.correction_days;
	cur->max_request_bytes = c.max_request_bytes;
	cur->max_connections = c.max_connections;
	cur->max_connections_per_address = c.max_connections_per_address;
	cur->requests_per_event = c.requests_per_event;
	cur->max_output_bytes = c.max_output_bytes;
	cur->max_output_total = c.max_output_total;
	cur->idle_timeout = c.idle_timeout;
	cur->request_timeout = c.request_timeout;
	cur->auth_max_failures = c.auth_max_failures;
	cur->auth_limit_loopback = c.auth_limit_loopback;
	if (strcmp(c.log_file, cur->log_file) != 0) {
		/* Empty: standard error again. */
		if (log_set_file(c.log_file) == 0) {
			memcpy(cur->log_file, c.log_file,
			       sizeof(cur->log_file));
			log_info("event=log_file file=%s",
			         c.log_file[0] != '\0' ? c.log_file : "stderr");
		} else
			log_warn("reload: log_file %s; logging stays where it"
			         " was",
			         c.log_file);
	}
	if (cur->due_soon_days != old_due_soon) {
		/* Due-soon instants follow the new setting; if its commit
		 * fails, the setting goes back (commit_restore_memory). */
		int rc = commit_begin();

		if (rc == 0) {
			rc = timers_recompute_all();
			commit_end(rc == 0);
		}
		if (rc != 0) {
			log_warnx("reload: due_soon_days stays %d: %s",
			          old_due_soon, store_error(ogid->store));
			cur->due_soon_days = old_due_soon;
		}
	}
	log_info("event=reload_config file=%s", config_path);
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	notify_watchdog();
}

static void
check_calendar(void)
{
	day_t today = daemon_today();
	day_t until = cal_known_until(ogid->cal, date_year(today));
	char buf[16];

	if (until == DAY_NONE)
		log_warnx("calendar: no holiday calendar loaded: counting"
		          " weekends only");
	else if (!cal_year_known(ogid->cal, date_year(today)))
		log_warnx("calendar: no holiday calendar for %d (known until"
		          " %s): counting weekends only",
		          date_year(today), date_format(until, buf));
}

/* After tls_init's reason: the verdict, and where the settings came from. */
static void
tls_refused(void)
{
	fprintf(stderr,
	        "ogid: %s: the TLS settings cannot be used; not"
	        " starting\n",
	        config_path != NULL ? config_path : "--tls-cert/--tls-key");
}

/*
 * One daemon a database: what it keeps in memory (the recent client_refs,
 * the chain's last hash, the armed timer) holds only if it is the only
 * writer. An flock(2) lock, held until exit, which SQLite's fcntl(2) locks
 * do not meet. A database that cannot be opened is left to store_open.
 */
static void
lock_database(const char *path)
{
	static int fd = -1;

	if (fd != -1 || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			fatalx("%s: in use by another ogid", path);
		log_warn("%s: flock", path);
		close(fd);
		fd = -1;
	}
}

/*
 * --check-config: could the start open path for appending (an existing
 * file writable, or a new one in a writable directory)? Nothing is made;
 * -1, said on stderr, if not.
 */
static int
log_file_check(const char *path)
{
	char dir[PATH_MAX];
	const char *slash;

	if (path[0] == '\0' || access(path, W_OK) == 0)
		return 0;
	if (errno == ENOENT) {
		slash = strrchr(path, '/');
		if (slash == NULL)
			snprintf(dir, sizeof(dir), ".");
		else
			snprintf(dir, sizeof(dir), "%.*s",
			         (int)(slash == path ? 1 : slash - path), path);
		if (access(dir, W_OK | X_OK) == 0)
			return 0;
	}
	fprintf(stderr, "ogid: log_file %s: %s\n", path, strerror(errno));
	return -1;
}

/*
 * Personal data: the database is the owner's alone. Group and other bits
 * are taken away; the owner's are left as they are.
 */
static void
db_private(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) == 0 && (sb.st_mode & 077) != 0 &&
	    chmod(path, sb.st_mode & 0700) == -1)
		log_warn("%s: chmod", path);
}

/*
 * Root without --allow-root: refused on any address but loopback, where
 * it runs with a warning (a machine where everything is root, as a test
 * box, starts ogid as SPEC section 8 says). Decided before anything is
 * bound or written (the log file, the database's files).
 */
static int
run_listen_socket(bool root_unasked)
{
	int rc = server_open(root_unasked);

	if (rc == -2)
		fprintf(stderr, "ogid: refusing to run as root on an address"
		                " that is not loopback: run it as a dedicated"
		                " user (the systemd unit uses DynamicUser), or"
		                " pass --allow-root\n");
	else if (rc == 0 && root_unasked)
		log_warnx("running as root, on loopback only: run it as a"
		          " dedicated user (the systemd unit uses DynamicUser),"
		          " or pass --allow-root to say it is meant");
	return rc;
}

static int
run(const char *listen, const char *fake, bool root_unasked)
{
	uint64_t wd_usec;

	if (listen != NULL)
		snprintf(ogid->cfg.listen, sizeof(ogid->cfg.listen), "%s",
		         listen);
	/* Another ogid on the database is told so before a port clash. */
	lock_database(ogid->cfg.db);
	if (run_listen_socket(root_unasked) != 0)
		return 1;
	if (ogid->cfg.log_file[0] != '\0' &&
	    log_set_file(ogid->cfg.log_file) == -1)
		fatal("%s", ogid->cfg.log_file);

	/* TLS: the SSL_CTX is made once, before the database is opened. */
	if (tls_init(&ogid->cfg) == -1) {
		tls_refused();
		return 1;
	}
	if (fake != NULL) {
		if (tz_parse(fake, &ogid->fake_now) == -1)
			fatalx("--fake-clock: not a time like"
			       " 2026-01-05T09:00:00+08:00: %s",
			       fake);
		ogid->fake_clock = true;
		ogid->fake_committed = ogid->fake_now;
	}
	if (store_open(ogid->cfg.db, false, ogid->cfg.synchronous_full != 0,
	               &ogid->store) == -1)
		fatalx("%s: %s", ogid->cfg.db, store_error(ogid->store));
	if (store_readonly(ogid->store))
		fatalx("%s: the database can only be read (its mode, owner or"
		       " filesystem): ogid must write it",
		       ogid->cfg.db);
	db_private(ogid->cfg.db);
	if (store_open(ogid->cfg.db, true, ogid->cfg.synchronous_full != 0,
	               &ogid->rstore) == -1)
		fatalx("%s: %s", ogid->cfg.db, store_error(ogid->rstore));
	/* Without the search index, searches scan the text: slower, same. */
	if (store_search_start(ogid->store) == -1)
		log_warnx("%s", store_error(ogid->store));
	else if (store_search_attach(ogid->rstore) == -1)
		log_warnx("%s", store_error(ogid->rstore));
	ogid->db_path = ogid->cfg.db;
	ogid->due_soon_committed = ogid->cfg.due_soon_days;
	ogid->cal = cal_new();
	if (store_calendar_load(ogid->store, ogid->cal) == -1)
		fatalx("calendar: %s", store_error(ogid->store));

	ogid->base = event_base_new();
	if (ogid->base == NULL || event_base_priority_init(ogid->base, 2) == -1)
		fatalx("event_base_new");
	commit_init(ogid->base);
	timers_init(ogid->base);
	calendar_add_shipped();
	check_calendar();

	/* Catch up on every deadline that passed while we were down. */
	timers_catch_up();

	ev_term = evsignal_new(ogid->base, SIGTERM, on_signal, NULL);
	ev_int = evsignal_new(ogid->base, SIGINT, on_signal, NULL);
	ev_hup = evsignal_new(ogid->base, SIGHUP, on_signal, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_hup, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (server_listen() == -1)
		return 1;
	timers_rearm();
	notify_ready();
	if (cal_known_until(ogid->cal, date_year(daemon_today())) != DAY_NONE)
		notify_status("serving %s; calendar known until %d",
		              ogid->db_path,
		              date_year(cal_known_until(
		                  ogid->cal, date_year(daemon_today()))));
	else
		notify_status("serving %s; no holiday calendar", ogid->db_path);
	if (notify_watchdog_usec(&wd_usec) == 1) {
		struct timeval tv = { (time_t)(wd_usec / 2000000),
			              (suseconds_t)(wd_usec / 2 % 1000000) };

		ev_watchdog =
		    event_new(ogid->base, -1, EV_PERSIST, on_watchdog, NULL);
		event_add(ev_watchdog, &tv);
	}
	event_base_dispatch(ogid->base);

	/* Finish what is in flight, then tear down. */
	if (store_in_txn(ogid->store))
		commit_now();
	conn_close_all();
	peers_free();
	if (ev_watchdog)
		event_free(ev_watchdog);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	timers_free();
	commit_free();
	events_free();
	rpc_free_buffers();
	view_text_free();
	appcache_free();
	store_close(ogid->rstore);
	store_close(ogid->store);
	cal_free(ogid->cal);
	event_base_free(ogid->base);
	tls_free(); /* TLS */
	log_info("event=exit");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *listen = NULL, *fake = NULL, *cmd = NULL;
	const char *out = NULL;
	const char *tls[3] = { NULL, NULL, NULL }; /* TLS: cert, key, ca */
	static const char *const tls_keys[3] = { "tls_cert", "tls_key",
		                                 "tls_ca" };
	bool check_only = false, allow_root = false, root_unasked;
	char err[512];
	int i;

	log_init("ogid", 0);
	/* A closed pipe is an error to report (init's token), not death. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * jansson's blocks through the loop thread's block cache (turned on
	 * with the writer's store, lib/memcache.c): a submit's request and
	 * reply trees are some fifty of them.
	 */
	json_set_alloc_funcs(memcache_alloc, memcache_free);
	if (argc > 1 && argv[1][0] != '-')
		cmd = argv[1];
	for (i = cmd ? 2 : 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(a, "--listen") == 0 && i + 1 < argc)
			listen = argv[++i];
		else if (strcmp(a, "--config") == 0 && i + 1 < argc)
			config_path = argv[++i];
		else if (strcmp(a, "--fake-clock") == 0 && i + 1 < argc)
			fake = argv[++i];
		else if (strcmp(a, "--check-config") == 0)
			check_only = true;
		else if (strcmp(a, "--allow-root") == 0)
			allow_root = true;
		else if (strcmp(a, "--tls-cert") == 0 && i + 1 < argc)
			tls[0] = argv[++i];
		else if (strcmp(a, "--tls-key") == 0 && i + 1 < argc)
			tls[1] = argv[++i];
		else if (strcmp(a, "--tls-ca") == 0 && i + 1 < argc)
			tls[2] = argv[++i];
		else if (cmd != NULL &&
		         (strcmp(cmd, "backup") == 0 ||
		          strcmp(cmd, "restore") == 0) &&
		         a[0] != '-' && out == NULL)
			out = a;
		else
			usage();
	}
	config_defaults(&ogid->cfg);
	/* Present but unreadable is an error, not the defaults in silence. */
	if (config_path == NULL && access(DEFAULT_CONFIG, F_OK) == 0 &&
	    cmd == NULL)
		config_path = DEFAULT_CONFIG;
	listen_from_flag = listen != NULL;
	db_from_flag = db != NULL;
	if (config_path != NULL &&
	    config_load(&ogid->cfg, config_path, err, sizeof(err)) == -1) {
		fprintf(stderr, "ogid: %s\n", err);
		return 1;
	}
	if (db != NULL)
		snprintf(ogid->cfg.db, sizeof(ogid->cfg.db), "%s", db);
	if (listen != NULL &&
	    config_set(&ogid->cfg, "listen", listen, err, sizeof(err)) == -1) {
		fprintf(stderr, "ogid: --listen: %s\n", err);
		return 2;
	}
	/* TLS: the flags override tls_cert, tls_key and tls_ca. */
	tls_from_flags = tls[0] != NULL || tls[1] != NULL || tls[2] != NULL;
	for (i = 0; i < 3; i++) {
		if (tls[i] != NULL &&
		    config_set(&ogid->cfg, tls_keys[i], tls[i], err,
		               sizeof(err)) == -1) {
			fprintf(stderr, "ogid: --%s: %s\n", tls_keys[i], err);
			return 2;
		}
	}
	if (check_only) {
		/* The log file as the start will open it; TLS's files too. */
		if (log_file_check(ogid->cfg.log_file) == -1)
			return 1;
		if (tls_init(&ogid->cfg) == -1) {
			tls_refused();
			return 1;
		}
		tls_free();
		printf("ogid: configuration %s is valid\n",
		       config_path ? config_path : "(defaults)");
		return 0;
	}
	root_unasked = geteuid() == 0 && !ogid->cfg.allow_root && !allow_root &&
	               getenv("OGID_ALLOW_ROOT") == NULL;
	if (tz_set(ogid->cfg.timezone) == -1)
		fatal("timezone");
	if (cmd != NULL) {
		if (ogid->cfg.log_file[0] != '\0' &&
		    log_set_file(ogid->cfg.log_file) == -1)
			fatal("%s", ogid->cfg.log_file);
		if (db == NULL)
			usage();
		if (strcmp(cmd, "init") == 0)
			return cmd_init(db);
		if (strcmp(cmd, "verify") == 0)
			return verify_db(db);
		if (strcmp(cmd, "backup") == 0) {
			if (out == NULL)
				usage();
			return cmd_backup(db, out);
		}
		if (strcmp(cmd, "restore") == 0) {
			if (out == NULL)
				usage();
			return cmd_restore(db, out);
		}
		usage();
	}
	return run(listen, fake, root_unasked);
}
