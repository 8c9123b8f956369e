/*
 * store_wal: the "unix" VFS, except that a write-ahead log gathers the frames
 * of a commit and writes them at the sync, in pieces of 124 KiB.
 *
 * SQLite writes each frame of a commit with two pwrite(2) calls, its
 * 24-byte header and its page; a commit of 64 submits is some 120 frames,
 * so 240 system calls, each copying into the page cache on its own. That
 * was a tenth of the loop thread's time (perf). Gathered, a commit is a
 * few calls, and the kernel copies whole pages: 0.47 µs a frame against 2.67
 * on the bench machine.
 *
 * Only for synchronous = FULL, where SQLite syncs the log at every commit
 * before it publishes the commit in the log's index (wal-index): until
 * then no other connection reads those frames, and the sync writes them
 * out first. Under NORMAL the commit is published without a sync, so the
 * store opens its writer with this VFS only under FULL (lib/store.c).
 *
 * A write that does not follow the gathered bytes, a read, a truncate, a
 * size, a file control or a close write them out first, in order. A write
 * that fails keeps what it could not write: every later flush, and the
 * commit's sync, tries again or fails, so a full disk fails the commit as
 * the write itself would have. After a rollback the store drops what the
 * transaction gathered (store_wal_discard): those frames are past every
 * commit, and once the write lock is let go another writer (a sqlite3
 * shell) may write where they would have gone. Commits padded to a sector
 * (psow=0) write the padding's tail after the sync, so such a log is
 * written as it comes. Other files (the database, its journals) are opened
 * by the unix VFS in place, untouched.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define GATHER_MAX (8 << 20) /* bytes held at most */
/* Bytes per xWrite: the unix VFS masks a length with 0x1ffff. */
#define WRITE_MAX ((1 << 17) - (1 << 12))

struct wal_file {
	struct store_shim_file shim; /* first: lib/store_shim.c */
	char *buf; /* bytes not yet written, for [off, off + len) */
	size_t len, cap;
	sqlite3_int64 off;
	bool through; /* commits padded to sectors: write as they come */
};

static sqlite3_vfs wal_vfs;

/*
 * Write out what is gathered. The unix VFS writes at most 128 KiB - 1 in
 * one call (it masks the length with 0x1ffff, for pages of up to 64 KiB):
 * a commit goes in pieces of WRITE_MAX.
 */
static int
gather_flush(struct wal_file *w)
{
	size_t done = 0, n;
	int rc = SQLITE_OK;

	while (done < w->len) {
		n = w->len - done < WRITE_MAX ? w->len - done : WRITE_MAX;
		rc = store_shim_write(&w->shim.base, w->buf + done, (int)n,
		                      w->off + (sqlite3_int64)done);
		if (rc != SQLITE_OK) {
			/*
			 * SQLite was told these bytes were written: keep
			 * them, so that every later flush (and the commit's
			 * sync) writes them or fails. Dropped, a commit could
			 * publish frames that are not in the file.
			 */
			memmove(w->buf, w->buf + done, w->len - done);
			w->len -= done;
			w->off += (sqlite3_int64)done;
			return rc;
		}
		done += n;
	}
	w->len = 0;
	return rc;
}

static int
wal_close(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = gather_flush(w), rc2;

	w->len = 0;
	rc2 = store_shim_close(f);
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
wal_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = gather_flush(w);

	if (rc != SQLITE_OK)
		return rc;
	return store_shim_read(f, p, amt, off);
}

static int
wal_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	size_t n = (size_t)amt;
	int rc;

	if (amt <= 0 || w->through) {
		/* Bytes a failed flush kept go first (wal_sector_size). */
		if (w->len > 0 && (rc = gather_flush(w)) != SQLITE_OK)
			return rc;
		return store_shim_write(f, p, amt, off);
	}
	if (w->len == 0 || off != w->off + (sqlite3_int64)w->len ||
	    w->len + n > GATHER_MAX) {
		if ((rc = gather_flush(w)) != SQLITE_OK)
			return rc;
		w->off = off;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 64 * 1024;
		char *b;

		while (cap < w->len + n)
			cap *= 2;
		if ((b = realloc(w->buf, cap)) == NULL) {
			/* Write what is gathered and this one as they come. */
			if ((rc = gather_flush(w)) != SQLITE_OK)
				return rc;
			return store_shim_write(f, p, amt, off);
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return SQLITE_OK;
}

static int
wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = gather_flush(w);

	if (rc != SQLITE_OK)
		return rc;
	return store_shim_truncate(f, size);
}

static int
wal_sync(sqlite3_file *f, int flags)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = gather_flush(w);

	if (rc != SQLITE_OK)
		return rc;
	return store_shim_sync(f, flags);
}

static int
wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = gather_flush(w);

	if (rc != SQLITE_OK)
		return rc;
	return store_shim_file_size(f, size);
}

static int
wal_file_control(sqlite3_file *f, int op, void *arg)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = gather_flush(w);

	if (rc != SQLITE_OK)
		return rc;
	return store_shim_file_control(f, op, arg);
}

/*
 * SQLite asks a log's sector size only to pad a commit to it, when the
 * database has no powersafe overwrite (psow=0): then the tail of the
 * padding is written after the sync, and published with the commit. From
 * then on this log is written as it comes, whether or not this flush
 * succeeds: bytes it could not write are kept and go out before the next
 * write (wal_write) or fail it, never after the commit is published.
 */
static int
wal_sector_size(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;

	if (!w->through) {
		(void)gather_flush(w);
		w->through = true;
	}
	return store_shim_sector_size(f);
}

/* Version 1: a log has no shared memory and is not memory-mapped. */
static const sqlite3_io_methods wal_methods = {
	1,
	wal_close,
	wal_read,
	wal_write,
	wal_truncate,
	wal_sync,
	wal_file_size,
	store_shim_lock,
	store_shim_unlock,
	store_shim_check_reserved,
	wal_file_control,
	wal_sector_size,
	store_shim_device_characteristics,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
};

static int
wal_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
         int *out_flags)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc;

	/* Anything but a log: the unix VFS's file, in place. */
	if (!(flags & SQLITE_OPEN_WAL))
		return store_shim_open_plain(f, name, flags, out_flags);
	rc = store_shim_open(&w->shim, sizeof(*w), name, flags, out_flags);
	w->shim.base.pMethods =
	    w->shim.real->pMethods != NULL ? &wal_methods : NULL;
	return rc;
}

const char *
store_wal_register(void)
{
	return store_shim_register(&wal_vfs, STORE_WAL_VFS,
	                           sizeof(struct wal_file), wal_open);
}

void
store_wal_discard(sqlite3 *db)
{
	sqlite3_file *f = NULL;

	if (sqlite3_get_autocommit(db) == 0 ||
	    sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	                         &f) != SQLITE_OK ||
	    f == NULL || f->pMethods != &wal_methods)
		return;
	((struct wal_file *)f)->len = 0;
}
