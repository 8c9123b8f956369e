#ifndef OGI_SQLITE_MEM_H
#define OGI_SQLITE_MEM_H

#include <stdbool.h>

/* SQLITE_CONFIG_MALLOC: before SQLite initialises. An SQLite result code. */
int sqlite_mem_install(void);
/* Cache journal chunks on this thread (on), or stop and free them (off). */
void sqlite_mem_cache(bool on);
/* Blocks in this thread's cache now. */
int sqlite_mem_cached(void);

#endif
