/*
 * store_shim: what the VFSes over SQLite's "unix" one share
 * (lib/store_wal.c, lib/store_trickle.c). Their file begins with a struct
 * store_shim_file: its sqlite3_file, and the unix VFS's own file, which
 * lives right after theirs (szOsFile is the sum of both). The methods
 * here pass a call through to that file unchanged; a shim's own methods
 * do their part and call these. store_shim_register registers such a VFS
 * once: everything but opening a file is the unix VFS's own.
 */
#include <string.h>

#include "store_int.h"

static sqlite3_vfs *unix_vfs;

#define REAL(f) (((struct store_shim_file *)(f))->real)

int
store_shim_open(struct store_shim_file *s, size_t size, const char *name,
                int flags, int *out_flags)
{
	memset(s, 0, size);
	s->real = (sqlite3_file *)((char *)s + size);
	return unix_vfs->xOpen(unix_vfs, name, s->real, flags, out_flags);
}

int
store_shim_open_plain(sqlite3_file *f, const char *name, int flags,
                      int *out_flags)
{
	return unix_vfs->xOpen(unix_vfs, name, f, flags, out_flags);
}

const char *
store_shim_register(sqlite3_vfs *vfs, const char *name, size_t size,
                    int (*open)(sqlite3_vfs *, sqlite3_filename, sqlite3_file *,
                                int, int *))
{
	if (vfs->zName != NULL)
		return name;
	if (unix_vfs == NULL && (unix_vfs = sqlite3_vfs_find("unix")) == NULL)
		return NULL;
	*vfs = *unix_vfs;
	vfs->pNext = NULL;
	vfs->zName = name;
	vfs->szOsFile = (int)size + unix_vfs->szOsFile;
	vfs->xOpen = open;
	if (sqlite3_vfs_register(vfs, 0) != SQLITE_OK) {
		vfs->zName = NULL;
		return NULL;
	}
	return name;
}

int
store_shim_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

int
store_shim_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), p, amt, off);
}

int
store_shim_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xWrite(REAL(f), p, amt, off);
}

int
store_shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

int
store_shim_sync(sqlite3_file *f, int flags)
{
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

int
store_shim_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

int
store_shim_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

int
store_shim_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

int
store_shim_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

int
store_shim_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

int
store_shim_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

int
store_shim_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

int
store_shim_shm_map(sqlite3_file *f, int region, int size, int extend,
                   void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, pp);
}

int
store_shim_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

void
store_shim_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

int
store_shim_shm_unmap(sqlite3_file *f, int delete)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete);
}

int
store_shim_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, amt, pp);
}

int
store_shim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}
