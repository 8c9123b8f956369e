/* verify.c: ogid verify --db FILE (SPEC sections 6 and 8). */
#ifndef OGI_VERIFY_H
#define OGI_VERIFY_H

/* Exit status: 0 if the chain and the database are intact, else 1. */
int verify_db(const char *path);

#endif
