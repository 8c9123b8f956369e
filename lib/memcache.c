/*
 * A per-thread cache of malloc(3) blocks by size, for the loop thread's
 * short-lived blocks: a submit allocates and frees some 90 blocks of
 * jansson's (its request and reply trees) and SQLite's, then the next
 * submit does the same. glibc's own per-thread cache keeps 7 blocks of a
 * size; the rest went through its bins, and every larger request merged
 * its fast bins first (malloc_consolidate): malloc and free were ~26k of
 * the loop thread's ~195k instructions a submit (callgrind).
 *
 * Blocks are ordinary malloc(3) blocks, taken from malloc and given back
 * to free when the cache is off or full: a block may be freed with free(3)
 * or by another thread, and a block malloc'ed anywhere may come here. A
 * block's class is its usable size in 16-byte steps (glibc's chunk
 * sizes), so a block of class c holds at least 16c - 8 bytes.
 *
 * The cache is per thread and without locks; a thread turns its own on
 * and off (emptying it). Threads that never turn it on use malloc(3).
 */
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "memcache.h"

/* Under AddressSanitizer a cached block is poisoned: a use after free
 * stays an error even though the block is not given back to malloc. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p) ASAN_UNPOISON_MEMORY_REGION((p), malloc_usable_size(p))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p) ((void)(p))
#endif

#define CLASSES 259           /* up to 4128-byte chunks: a reply's buffer */
#define CACHE_BYTES (1 << 20) /* cached per thread at most */

struct block {
	struct block *next;
};

static _Thread_local struct {
	bool on;
	size_t bytes, n;
	struct block *head[CLASSES];
} mc;

void *
memcache_alloc(size_t n)
{
	size_t c = n < 16 * CLASSES ? (n + 8 + 15) >> 4 : CLASSES;
	struct block *b;

	if (c < 2)
		c = 2; /* malloc's least chunk, 32 bytes */
	if (c < CLASSES && (b = mc.head[c]) != NULL) {
		UNPOISON(b);
		mc.head[c] = b->next;
		mc.bytes -= 16 * c;
		mc.n--;
		return b;
	}
	return malloc(n);
}

/* Every cached block back to malloc. */
static void
flush(void)
{
	struct block *b;
	size_t c;

	for (c = 0; c < CLASSES; c++)
		while ((b = mc.head[c]) != NULL) {
			UNPOISON(b);
			mc.head[c] = b->next;
			free(b);
		}
	mc.bytes = mc.n = 0;
}

void
memcache_free(void *p)
{
	struct block *b = p;
	size_t u, c;

	if (p == NULL)
		return;
	if (!mc.on) {
		free(p);
		return;
	}
	u = malloc_usable_size(p);
	c = (u + 8) >> 4;
	/* Under AddressSanitizer a block's usable size is what was asked:
	 * one of less than 24 bytes is not kept. */
	if (c < 2 || c >= CLASSES) {
		free(p);
		return;
	}
	/*
	 * Full: emptied, to fill again with what is freed now. Kept full, it
	 * would hold on to the sizes of some past burst (a migration, a
	 * report) and take no more of the ones in use.
	 */
	if (mc.bytes + 16 * c > CACHE_BYTES)
		flush();
	b->next = mc.head[c];
	POISON(b, u);
	mc.head[c] = b;
	mc.bytes += 16 * c;
	mc.n++;
}

static void
memcache_at_exit(void)
{
	memcache_enable(false);
}

void
memcache_enable(bool on)
{
	static bool registered;

	mc.on = on;
	if (on) {
		/* A process that exits without closing its store (a fatal
		 * error) gives the exiting thread's blocks back, so that leak
		 * checkers see none unaccounted for. */
		if (!registered && atexit(memcache_at_exit) == 0)
			registered = true;
		return;
	}
	flush();
}

size_t
memcache_blocks(void)
{
	return mc.n;
}

size_t
memcache_bytes(void)
{
	return mc.bytes;
}
