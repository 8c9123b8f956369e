/*
 * A direct-mapped cache of app.get results (see appcache.h): a fixed
 * number of slots, a collision replaces, so memory stays bounded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/app.h"
#include "../lib/xmalloc.h"
#include "appcache.h"

#define APPCACHE_SLOTS 4096
#define APPCACHE_MAX_TEXT (64 * 1024) /* larger results are not kept */
#define APPCACHE_MAX_DIRTY 4096

struct slot {
	char id[APP_ID_LEN];
	day_t today;
	bool personal;
	char *text; /* owned; NULL when empty */
	size_t len;
};

static struct slot slots[APPCACHE_SLOTS * 2]; /* [personal][hash] */
static char dirty[APPCACHE_MAX_DIRTY][APP_ID_LEN];
static size_t ndirty;
static bool dirty_overflow; /* too many writes: drop everything at the end */

static struct slot *
slot_for(const char *id, bool personal)
{
	uint32_t h = 2166136261u;

	for (; *id != '\0'; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return &slots[(personal ? APPCACHE_SLOTS : 0) + h % APPCACHE_SLOTS];
}

static void
slot_empty(struct slot *s)
{
	free(s->text);
	memset(s, 0, sizeof(*s));
}

static void
drop(const char *id)
{
	struct slot *s;
	int personal;

	for (personal = 0; personal < 2; personal++) {
		s = slot_for(id, personal);
		if (s->text != NULL && strcmp(s->id, id) == 0)
			slot_empty(s);
	}
}

static bool
is_dirty(const char *id)
{
	size_t i;

	if (dirty_overflow)
		return true;
	for (i = 0; i < ndirty; i++)
		if (strcmp(dirty[i], id) == 0)
			return true;
	return false;
}

const char *
appcache_get(const char *id, day_t today, bool personal, size_t *len)
{
	struct slot *s = slot_for(id, personal);

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

	if (len > APPCACHE_MAX_TEXT || strlen(id) >= APP_ID_LEN || is_dirty(id))
		return;
	s = slot_for(id, personal);
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
	drop(id);
	if (is_dirty(id))
		return;
	if (ndirty == APPCACHE_MAX_DIRTY) {
		dirty_overflow = true;
		return;
	}
	memcpy(dirty[ndirty++], id, APP_ID_LEN - 1);
	dirty[ndirty - 1][APP_ID_LEN - 1] = '\0';
}

void
appcache_dirty_all(void)
{
	appcache_clear();
	dirty_overflow = true;
}

void
appcache_txn_done(void)
{
	size_t i;

	if (dirty_overflow)
		appcache_clear();
	for (i = 0; i < ndirty; i++)
		drop(dirty[i]);
	ndirty = 0;
	dirty_overflow = false;
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
