/*
 * SQLite's allocator: malloc(3), with a small cache of the 1 KiB blocks that
 * in-memory journals are made of, on the threads that ask for it.
 *
 * Every write runs in its own SAVEPOINT (daemon/commit.c), and SQLite keeps
 * the original of every page a savepoint changes in an in-memory journal
 * built of 1 KiB chunks, all freed when the savepoint is released. A submit
 * journals a dozen pages: some fifty chunks malloc'ed and freed again, a
 * size glibc's per-thread cache does not take (it stops at 1032 bytes, a
 * chunk needs 1040). That was a tenth of the loop thread's instructions
 * per submit (callgrind).
 *
 * The cache is per thread, without locks: a thread turns it on with
 * store_mem_cache(true) and empties it with store_mem_cache(false) before
 * it ends. Blocks are ordinary malloc(3) blocks, so a block freed on
 * another thread, or when the cache is full, goes back to malloc.
 */
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "store_int.h"

/* Under AddressSanitizer a cached block is poisoned: a use after free
 * stays an error even though the block is not given back to malloc. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CACHE_MAX 256 /* blocks per thread: 264 KiB at most */

struct block {
	struct block *next;
};

static _Thread_local struct {
	bool on;
	int n;
	struct block *head;
} cache;

static size_t block_size; /* usable size of a malloc(1024): the class */

/* Only the journal's chunks: other sizes would waste the difference. */
static bool
cached_size(size_t n)
{
	return n + 64 > block_size && n <= block_size;
}

static void *
mem_malloc(int n)
{
	struct block *b;

	if (n <= 0)
		return NULL;
	if (cache.head != NULL && cached_size((size_t)n)) {
		b = cache.head;
		UNPOISON(b, block_size);
		cache.head = b->next;
		cache.n--;
		return b;
	}
	return malloc(cached_size((size_t)n) ? block_size : (size_t)n);
}

static void
mem_free(void *p)
{
	struct block *b = p;

	if (p == NULL)
		return;
	if (cache.on && cache.n < CACHE_MAX &&
	    malloc_usable_size(p) == block_size) {
		b->next = cache.head;
		POISON(b, block_size);
		cache.head = b;
		cache.n++;
		return;
	}
	free(p);
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
	void *p = malloc(1024);

	if (p == NULL)
		return SQLITE_NOMEM;
	block_size = malloc_usable_size(p);
	free(p);
	return sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
}

void
store_mem_cache(bool on)
{
	struct block *b;

	cache.on = on;
	if (on)
		return;
	while ((b = cache.head) != NULL) {
		UNPOISON(b, block_size);
		cache.head = b->next;
		free(b);
	}
	cache.n = 0;
}

int
store_mem_cached(void)
{
	return cache.n;
}
