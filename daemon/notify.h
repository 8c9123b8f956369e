/*
 * The systemd service protocol by hand, without libsystemd: readiness and
 * status datagrams to $NOTIFY_SOCKET, the watchdog, and socket activation
 * through LISTEN_FDS. Everything is a silent no-op outside systemd.
 */
#ifndef OGI_NOTIFY_H
#define OGI_NOTIFY_H

#include <stdint.h>

/*
 * Send one datagram of "KEY=value" lines to $NOTIFY_SOCKET (a path, or an
 * abstract socket when it starts with '@'). Nothing when it is unset;
 * a failure is logged, never fatal.
 */
void notify_send(const char *state);
void notify_ready(void);    /* READY=1 */
void notify_stopping(void); /* STOPPING=1 */
/* RELOADING=1 with MONOTONIC_USEC=; send notify_ready() when done. */
void notify_reloading(void);
/* STATUS=...; newlines in the text become spaces. */
void notify_status(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * The watchdog interval from WATCHDOG_USEC, if it is meant for this
 * process (WATCHDOG_PID unset or equal to getpid()). Returns 1 with *usec
 * set, 0 when there is no watchdog, -1 when the variables are malformed.
 * Call notify_watchdog() every *usec / 2.
 */
int notify_watchdog_usec(uint64_t *usec);
void notify_watchdog(void); /* WATCHDOG=1 */

/*
 * The listening socket inherited by socket activation: 3 when
 * LISTEN_PID == getpid() and LISTEN_FDS >= 1 and fd 3 is a listening
 * stream socket (LISTEN_* are then unset and fd 3 made close-on-exec),
 * else -1.
 */
int notify_listen_fd(void);

#endif
