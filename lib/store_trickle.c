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
	sqlite3_file base;
	sqlite3_file *real;    /* the unix VFS's file, right after this */
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
static sqlite3_vfs *unix_vfs;
static _Atomic uint64_t handed;  /* hand-overs done, for the tests */
static _Atomic uint64_t wrapped; /* files given a descriptor, for the tests */

#define REAL(f) (((struct trickle_file *)(f))->real)

/* The descriptor is the unix VFS's: closed by it, not here. */
static int
trickle_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
trickle_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), p, amt, off);
}

static int
trickle_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct trickle_file *t = (struct trickle_file *)f;
	int rc = t->real->pMethods->xWrite(t->real, p, amt, off);

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
trickle_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
trickle_sync(sqlite3_file *f, int flags)
{
	((struct trickle_file *)f)->written = 0;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
trickle_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
trickle_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
trickle_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
trickle_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
trickle_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
trickle_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
trickle_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
trickle_shm_map(sqlite3_file *f, int region, int size, int extend,
                void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, pp);
}

static int
trickle_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void
trickle_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
trickle_shm_unmap(sqlite3_file *f, int delete)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete);
}

static int
trickle_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, amt, pp);
}

static int
trickle_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

/* For a file without shared memory (the unix VFS's "nolock" methods). */
static const sqlite3_io_methods trickle_methods_v1 = {
	1,
	trickle_close,
	trickle_read,
	trickle_write,
	trickle_truncate,
	trickle_sync,
	trickle_file_size,
	trickle_lock,
	trickle_unlock,
	trickle_check_reserved,
	trickle_file_control,
	trickle_sector_size,
	trickle_device_characteristics,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
};

static const sqlite3_io_methods trickle_methods = {
	3,
	trickle_close,
	trickle_read,
	trickle_write,
	trickle_truncate,
	trickle_sync,
	trickle_file_size,
	trickle_lock,
	trickle_unlock,
	trickle_check_reserved,
	trickle_file_control,
	trickle_sector_size,
	trickle_device_characteristics,
	trickle_shm_map,
	trickle_shm_lock,
	trickle_shm_barrier,
	trickle_shm_unmap,
	trickle_fetch,
	trickle_unfetch,
};

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
	int rc, got = 0;

	/* Anything but a named database or log: the unix VFS's, in place. */
	if (name == NULL || !(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
		return unix_vfs->xOpen(unix_vfs, name, f, flags, out_flags);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->real = (sqlite3_file *)(t + 1);
	rc = unix_vfs->xOpen(unix_vfs, name, t->real, flags, &got);
	if (out_flags != NULL)
		*out_flags = got;
	if (t->real->pMethods == NULL) {
		t->base.pMethods = NULL;
		return rc;
	}
	t->base.pMethods = t->real->pMethods->iVersion >= 3 &&
	                           t->real->pMethods->xShmMap != NULL
	                       ? &trickle_methods
	                       : &trickle_methods_v1;
	if (rc == SQLITE_OK && !(got & SQLITE_OPEN_READONLY) &&
	    (t->fd = unix_descriptor(t->real, name)) != -1)
		atomic_fetch_add(&wrapped, 1);
	return rc;
}

const char *
store_trickle_register(void)
{
	if (unix_vfs != NULL)
		return STORE_TRICKLE_VFS;
	if ((unix_vfs = sqlite3_vfs_find("unix")) == NULL)
		return NULL;
	/* Everything but opening a file is the unix VFS's own. */
	trickle_vfs = *unix_vfs;
	trickle_vfs.pNext = NULL;
	trickle_vfs.zName = STORE_TRICKLE_VFS;
	trickle_vfs.szOsFile =
	    (int)sizeof(struct trickle_file) + unix_vfs->szOsFile;
	trickle_vfs.xOpen = trickle_open;
	if (sqlite3_vfs_register(&trickle_vfs, 0) != SQLITE_OK) {
		unix_vfs = NULL;
		return NULL;
	}
	return STORE_TRICKLE_VFS;
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
