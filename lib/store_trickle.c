/*
 * store_trickle: the "unix" VFS, except that what a background connection
 * writes into a database or a log is handed to the kernel's writeback as it
 * is written (sync_file_range(2), SYNC_FILE_RANGE_WRITE, every
 * TRICKLE_BYTES), not left in the page cache until a sync or the kernel's
 * own flush. PostgreSQL's checkpointer does the same (checkpoint_flush_after).
 *
 * The checkpointer (lib/store_ckpt.c) copies megabytes into the database
 * and then syncs it; the search indexer (lib/store_search.c) writes
 * megabytes of index into its log, which it does not sync at each commit.
 * Left in the page cache, those bytes reached the disk in one burst, and
 * the loop thread's sync of its own log (a commit: a few hundred kilobytes
 * every two milliseconds under load) waited behind the burst. On the bench
 * machine, 3-7% of the loop's time went to log syncs of over 5 ms (up to
 * 330 ms), most of them during an index commit or a checkpoint. Trickled,
 * together with fewer, larger checkpoints, app.submit ran ~10% faster and
 * its p99 fell by a fifth (interleaved runs against the previous build),
 * and held up best when the machine was slow.
 *
 * Nothing here changes what is durable: SQLite syncs where it did; the
 * writeback only starts sooner. Only a database or a log opened with a
 * name for writing is wrapped; other files are the unix VFS's, untouched.
 *
 * The hand-over uses the unix VFS's own descriptor of the file, never one
 * of ours: closing any descriptor of a file lets go of every POSIX lock
 * the process holds on it (the shared lock each connection to a database
 * in WAL mode keeps), and another process could then take the database
 * for itself, checkpoint it and delete the log under the daemon (SQLite's
 * "How To Corrupt", 2.2; the unix VFS defers its own closes for this). The
 * descriptor is the fourth member of the unix VFS's file (struct unixFile
 * in sqlite3.c, in every release since 3.8); it is taken only if it is
 * open on the very file that was opened (same device and inode as the
 * name), else the writes go through as they are. So they do where
 * sync_file_range does not exist.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"

#define TRICKLE_BYTES (256 << 10) /* written between two hand-overs */

struct trickle_file {
	struct store_shim_file shim; /* first: lib/store_shim.c */
	int fd;                /* the unix VFS's descriptor of it, or -1 */
	sqlite3_int64 written; /* bytes since the last hand-over */
};

/* The head of the unix VFS's file (struct unixFile). */
struct unix_file_head {
	const sqlite3_io_methods *methods;
	sqlite3_vfs *vfs;
	void *inode;
	int h;
};

static sqlite3_vfs trickle_vfs;
static _Atomic uint64_t handed;  /* hand-overs done, for the tests */
static _Atomic uint64_t wrapped; /* files given a descriptor, for the tests */

static int
trickle_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct trickle_file *t = (struct trickle_file *)f;
	int rc = store_shim_write(f, p, amt, off);

	if (rc != SQLITE_OK || t->fd == -1)
		return rc;
	t->written += amt;
	if (t->written >= TRICKLE_BYTES) {
		t->written = 0;
#ifdef SYNC_FILE_RANGE_WRITE
		/* Advice only: a failure leaves the bytes to the sync. */
		if (sync_file_range(t->fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0)
			atomic_fetch_add(&handed, 1);
#endif
	}
	return rc;
}

static int
trickle_sync(sqlite3_file *f, int flags)
{
	((struct trickle_file *)f)->written = 0;
	return store_shim_sync(f, flags);
}

/* The descriptor is the unix VFS's: closed by it. */
static const sqlite3_io_methods trickle_methods = {
	3,
	store_shim_close,
	store_shim_read,
	trickle_write,
	store_shim_truncate,
	trickle_sync,
	store_shim_file_size,
	store_shim_lock,
	store_shim_unlock,
	store_shim_check_reserved,
	store_shim_file_control,
	store_shim_sector_size,
	store_shim_device_characteristics,
	store_shim_shm_map,
	store_shim_shm_lock,
	store_shim_shm_barrier,
	store_shim_shm_unmap,
	store_shim_fetch,
	store_shim_unfetch,
};
/* The same for a file without shared memory ("nolock": every log). */
static sqlite3_io_methods trickle_methods_v1;

/* The unix VFS's descriptor of the file at name, or -1. */
static int
unix_descriptor(sqlite3_file *real, const char *name)
{
	int fd = ((struct unix_file_head *)real)->h;
	struct stat a, b;

	if (fd < 0 || fstat(fd, &a) == -1 || stat(name, &b) == -1 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return -1;
	return fd;
}

static int
trickle_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f,
             int flags, int *out_flags)
{
	struct trickle_file *t = (struct trickle_file *)f;
	const sqlite3_io_methods *real;
	int rc, got = 0;

	/* Anything but a named database or log: the unix VFS's, in place. */
	if (name == NULL || !(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
		return store_shim_open_plain(f, name, flags, out_flags);
	rc = store_shim_open(&t->shim, sizeof(*t), name, flags, &got);
	t->fd = -1;
	if (out_flags != NULL)
		*out_flags = got;
	if ((real = t->shim.real->pMethods) == NULL) {
		t->shim.base.pMethods = NULL;
		return rc;
	}
	t->shim.base.pMethods = real->iVersion >= 3 && real->xShmMap != NULL
	                            ? &trickle_methods
	                            : &trickle_methods_v1;
	if (rc == SQLITE_OK && !(got & SQLITE_OPEN_READONLY) &&
	    (t->fd = unix_descriptor(t->shim.real, name)) != -1)
		atomic_fetch_add(&wrapped, 1);
	return rc;
}

const char *
store_trickle_register(void)
{
	if (trickle_vfs.zName != NULL)
		return STORE_TRICKLE_VFS;
	trickle_methods_v1 = trickle_methods;
	trickle_methods_v1.iVersion = 1;
	trickle_methods_v1.xShmMap = NULL;
	trickle_methods_v1.xShmLock = NULL;
	trickle_methods_v1.xShmBarrier = NULL;
	trickle_methods_v1.xShmUnmap = NULL;
	trickle_methods_v1.xFetch = NULL;
	trickle_methods_v1.xUnfetch = NULL;
	return store_shim_register(&trickle_vfs, STORE_TRICKLE_VFS,
	                           sizeof(struct trickle_file), trickle_open);
}

uint64_t
store_trickle_handed(void)
{
	return atomic_load(&handed);
}

uint64_t
store_trickle_wrapped(void)
{
	return atomic_load(&wrapped);
}
