/*
 * ogid's settings: defaults, the config file ("key = value" lines, '#'
 * comments), and command-line overrides. Every limit is a named setting.
 */
#ifndef OGI_CONFIG_H
#define OGI_CONFIG_H

/* The longest due-soon window and correction period, in working days:
 * the bound of the config keys and of the methods' within_days alike. */
#define CONFIG_MAX_PERIOD_DAYS 366

#include <stddef.h>

struct ogi_config {
	char listen[128];                /* "127.0.0.1:7420" */
	char db[1024];                   /* database file */
	char timezone[64];               /* "Asia/Shanghai" */
	char log_file[1024];             /* empty: stderr */
	int due_soon_days;               /* 3 */
	int correction_days;             /* 15: applicant's correction period */
	size_t max_request_bytes;        /* 1 MiB */
	int max_connections;             /* 1024 */
	int max_connections_per_address; /* 0: no cap */
	int requests_per_event;          /* 64 */
	size_t max_output_bytes; /* 4 MiB: then stop reading; 2x: drop */
	size_t max_output_total; /* 256 MiB: held by all paused clients */
	int idle_timeout; /* seconds a connection may sit unauthenticated: 30 */
	int request_timeout;   /* seconds a half-sent request may wait: 30 */
	int auth_max_failures; /* 5 */
	int synchronous_full;  /* 1 */
	char tls_cert[1024];
	char tls_key[1024];
	char tls_ca[1024];
	int allow_root;
	int auth_limit_loopback; /* 0: failed auths from loopback not counted */
};

void config_defaults(struct ogi_config *);
/*
 * Read a config file over the current values. Returns 0, or -1 with a
 * message "FILE:LINE: reason" in err.
 */
/* A port in decimal digits, 0..65535, or -1. */
int config_port(const char *);
int config_load(struct ogi_config *, const char *path, char *err,
                size_t errlen);
/* Set one key from a string; -1 with reason in err. */
int config_set(struct ogi_config *, const char *key, const char *value,
               char *err, size_t errlen);

#endif
