/*
 * lib/memcache.c: a freed block comes back for a request of its class,
 * holds what is asked, the cache is bounded and per thread, and what it
 * gives is an ordinary malloc block.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/memcache.h"
#include "tap.h"

static void *
other_thread(void *p)
{
	/* This thread's cache is off: the block goes back to free(3). */
	memcache_free(p);
	return (void *)memcache_blocks();
}

int
main(void)
{
	void *p, *q, *blocks[4096];
	size_t n, i, most = 0;
	pthread_t t;
	void *res;
	int all_fit = 1, reused = 0;

	p = memcache_alloc(100);
	memcache_free(p);
	ok(memcache_blocks() == 0, "off: a freed block goes back to malloc");

	memcache_enable(true);
	/* 104 bytes: class 7 (a 112-byte chunk), under AddressSanitizer too,
	 * where a block's usable size is what was asked. */
	p = memcache_alloc(104);
	memset(p, 'x', 104);
	memcache_free(p);
	ok(memcache_blocks() == 1, "on: a freed block is kept");
	q = memcache_alloc(97);
	ok(q == p && memcache_blocks() == 0,
	   "and given again for a request of its class");
	memcache_free(q);
	q = memcache_alloc(300);
	ok(q != p && memcache_blocks() == 1, "not for a bigger one");
	free(q); /* an ordinary malloc block */

	/* Every size up to 4200 bytes: what is given holds what is asked. */
	for (n = 1; n <= 4200; n++) {
		p = memcache_alloc(n);
		if (malloc_usable_size(p) < n)
			all_fit = 0;
		memset(p, 0xa5, n);
		memcache_free(p);
	}
	ok(all_fit, "every block holds the size asked for");
	memcache_enable(false);
	memcache_enable(true);
	/* A block of a class's size (16c - 8) comes back for that size. */
	for (n = 24; n <= 4120; n += 16) {
		p = memcache_alloc(n);
		memcache_free(p);
		q = memcache_alloc(n);
		if (q == p)
			reused++;
		free(q);
	}
	ok(reused == 257, "a block freed is the next of its size (%d of 257)",
	   reused);

	/* Bounded: 1 MiB of blocks at most. */
	for (i = 0; i < 4096; i++)
		blocks[i] = memcache_alloc(1000);
	for (i = 0; i < 4096; i++) {
		memcache_free(blocks[i]);
		if (memcache_bytes() > most)
			most = memcache_bytes();
	}
	ok(most <= 1 << 20 && most > (1 << 20) - 1024,
	   "the cache fills up to 1 MiB and no more (%zu bytes)", most);

	/* Full, the next block freed empties it first: blocks of a size no
	 * longer asked for do not keep out the ones in use. */
	memcache_enable(false);
	memcache_enable(true);
	for (i = 0; i < 1040; i++)
		blocks[i] = memcache_alloc(1000);
	for (i = 0; i < 1040; i++)
		memcache_free(blocks[i]);
	ok(memcache_blocks() == 1040 && memcache_bytes() == 1040 * 1008,
	   "1040 blocks of 1000 bytes fill it (%zu bytes)", memcache_bytes());
	p = malloc(312); /* a class's size, under AddressSanitizer too */
	memcache_free(p);
	ok(memcache_blocks() == 1 && memcache_bytes() == 320,
	   "a 312-byte block freed then: emptied, and that one kept (%zu"
	   " blocks, %zu bytes)",
	   memcache_blocks(), memcache_bytes());
	q = memcache_alloc(312);
	ok(q == p, "and given again");
	free(q);

	/* Another thread: its own cache, off. */
	p = malloc(64);
	n = memcache_blocks();
	pthread_create(&t, NULL, other_thread, p);
	pthread_join(t, &res);
	ok((uintptr_t)res == 0 && memcache_blocks() == n,
	   "another thread's free goes to free(3), not this cache");

	memcache_enable(false);
	ok(memcache_blocks() == 0, "turned off: emptied");
	return tap_done();
}
