/* verify.c: ogid verify --db FILE (SPEC sections 6 and 8), and the checks
 * ogid restore makes of a backup. */
#ifndef OGI_VERIFY_H
#define OGI_VERIFY_H

/* Exit status: 0 if the chain and the database are intact, else 1. */
int verify_db(const char *path);

struct store;
/*
 * Open path read-only for ogid cmd ("verify", "restore"): 0, or -1 with
 * the reason printed (its schema is not this ogid's, say).
 */
int verify_open(const char *path, const char *cmd, struct store **);
/*
 * verify_db's checks: 0 if intact, with the number of events and the
 * head's hash (hex); 1 if not, the reason printed.
 */
int verify_store(struct store *, long long *events, char head[65]);

#endif
