/*
 * SQLite's allocator: malloc(3) through the thread's block cache
 * (lib/memcache.c), on the threads that turn it on (the writer's).
 *
 * Every write runs in its own SAVEPOINT (daemon/commit.c), and SQLite keeps
 * the original of every page a savepoint changes in an in-memory journal
 * built of 1 KiB chunks, all freed when the savepoint is released. A submit
 * journals a dozen pages: some fifty chunks malloc'ed and freed again, a
 * size glibc's per-thread cache does not take (it stops at 1032 bytes, a
 * chunk needs 1040). That was a tenth of the loop thread's instructions
 * per submit (callgrind).
 */
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>

#include "memcache.h"
#include "store_int.h"

static void *
mem_malloc(int n)
{
	return n > 0 ? memcache_alloc((size_t)n) : NULL;
}

static void
mem_free(void *p)
{
	memcache_free(p);
}

static void *
mem_realloc(void *p, int n)
{
	if (n <= 0)
		return NULL;
	return realloc(p, (size_t)n);
}

static int
mem_size(void *p)
{
	return p == NULL ? 0 : (int)malloc_usable_size(p);
}

static int
mem_roundup(int n)
{
	return (n + 7) & ~7;
}

static int
mem_init(void *arg)
{
	return SQLITE_OK;
}

static void
mem_shutdown(void *arg)
{
}

int
store_mem_install(void)
{
	static const sqlite3_mem_methods methods = {
		mem_malloc,  mem_free, mem_realloc,  mem_size,
		mem_roundup, mem_init, mem_shutdown, NULL,
	};

	return sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
}
