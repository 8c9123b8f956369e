/*
 * A direct-mapped cache of app.get results (see appcache.h): a fixed
 * number of slots, a collision replaces, so memory stays bounded.
 *
 * A write marks its application's slot with the transaction's number
 * (txn_gen): until the commit, the slot takes no text (the reader still
 * sees the old row), and the commit empties it. One mark a slot, checked
 * in one load: a list of the written ids was searched through at every
 * write, ~32 comparisons a submit in a batch of 64.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/app.h"
#include "../lib/xmalloc.h"
#include "appcache.h"

#define APPCACHE_SLOTS 4096
#define APPCACHE_MAX_TEXT (64 * 1024) /* larger results are not kept */

struct slot {
	char id[APP_ID_LEN];
	day_t today;
	bool personal;
	char *text; /* owned; NULL when empty */
	size_t len;
};

static struct slot slots[APPCACHE_SLOTS * 2]; /* [personal][hash] */
static uint32_t dirty_gen[APPCACHE_SLOTS];    /* txn_gen of a write, by hash */
static uint16_t dirty[APPCACHE_SLOTS];        /* the hashes marked */
_Static_assert(APPCACHE_SLOTS <= 65536, "a hash fits dirty[]");
static size_t ndirty;
static uint32_t txn_gen = 1; /* the open transaction's number */
static bool all_dirty;       /* calendar.set: everything, until the end */

static size_t
slot_hash(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id != '\0'; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return h % APPCACHE_SLOTS;
}

static struct slot *
slot_at(size_t h, bool personal)
{
	return &slots[(personal ? APPCACHE_SLOTS : 0) + h];
}

static void
slot_empty(struct slot *s)
{
	free(s->text);
	memset(s, 0, sizeof(*s));
}

/* Both kinds of reader's slots for hash h. */
static void
drop(size_t h)
{
	if (slots[h].text != NULL)
		slot_empty(&slots[h]);
	if (slots[APPCACHE_SLOTS + h].text != NULL)
		slot_empty(&slots[APPCACHE_SLOTS + h]);
}

const char *
appcache_get(const char *id, day_t today, bool personal, size_t *len)
{
	struct slot *s = slot_at(slot_hash(id), personal);

	if (s->text == NULL || s->today != today || strcmp(s->id, id) != 0)
		return NULL;
	*len = s->len;
	return s->text;
}

void
appcache_put(const char *id, day_t today, bool personal, const char *text,
             size_t len)
{
	struct slot *s;
	size_t h;

	if (len > APPCACHE_MAX_TEXT || strlen(id) >= APP_ID_LEN || all_dirty)
		return;
	h = slot_hash(id);
	if (dirty_gen[h] == txn_gen)
		return;
	s = slot_at(h, personal);
	slot_empty(s);
	memcpy(s->id, id, strlen(id) + 1);
	s->today = today;
	s->personal = personal;
	s->text = xmalloc(len + 1);
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->len = len;
}

void
appcache_dirty(const char *id)
{
	size_t h = slot_hash(id);

	drop(h);
	if (dirty_gen[h] != txn_gen) {
		dirty_gen[h] = txn_gen;
		dirty[ndirty++] = (uint16_t)h;
	}
}

void
appcache_dirty_all(void)
{
	appcache_clear();
	all_dirty = true;
}

void
appcache_txn_done(void)
{
	size_t i;

	if (all_dirty)
		appcache_clear();
	for (i = 0; i < ndirty; i++)
		drop(dirty[i]);
	ndirty = 0;
	all_dirty = false;
	/* A new number; after 2^32 transactions, the marks made anew. */
	if (++txn_gen == 0) {
		memset(dirty_gen, 0, sizeof(dirty_gen));
		txn_gen = 1;
	}
}

void
appcache_clear(void)
{
	size_t i;

	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (slots[i].text != NULL)
			slot_empty(&slots[i]);
}

void
appcache_free(void)
{
	appcache_clear();
}
