/*
 * lib/memcache.c: a per-thread cache of malloc(3) blocks by size. What
 * memcache_alloc returns is an ordinary malloc block (free(3) may take
 * it), and memcache_free takes any malloc block; on a thread whose cache
 * is off they are malloc and free.
 */
#ifndef OGI_MEMCACHE_H
#define OGI_MEMCACHE_H

#include <stdbool.h>
#include <stddef.h>

void *memcache_alloc(size_t);
void memcache_free(void *);
/* This thread's cache on, or off and emptied. */
void memcache_enable(bool on);
/* Blocks in this thread's cache, and their bytes (at most 1 MiB). */
size_t memcache_blocks(void);
size_t memcache_bytes(void);

#endif
