/*
 * appcache.c: app.get's rendered results. An entry is the JSON text of one
 * application as one kind of reader sees it (with or without personal
 * data) on one day under one calendar; any write to the application drops
 * it, and so does the commit that makes the write visible, so a reader
 * never gets a state older than the last commit.
 */
#ifndef OGI_APPCACHE_H
#define OGI_APPCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/date.h"

/* The cached text or NULL; valid until the next appcache call. */
const char *appcache_get(const char *id, day_t today, bool personal,
                         size_t *len);
/* Keep a copy of text (unless the application has a write in flight). */
void appcache_put(const char *id, day_t today, bool personal, const char *text,
                  size_t len);
/* The application is written in the open transaction. */
void appcache_dirty(const char *id);
/* The transaction ended (committed or not): drop what it wrote. */
void appcache_txn_done(void);
/* The calendar changed: drop everything. */
void appcache_clear(void);
/* Everything is written in the open transaction (calendar.set). */
void appcache_dirty_all(void);
void appcache_free(void);

#endif
