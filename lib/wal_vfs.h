#ifndef OGI_WAL_VFS_H
#define OGI_WAL_VFS_H

#include <sqlite3.h>

#define WAL_VFS_NAME "ogi-wal"

/*
 * Register the VFS (once; not the default): its name for sqlite3_open_v2,
 * or NULL. For connections with synchronous = FULL only (lib/wal_vfs.c).
 */
const char *wal_vfs_register(void);

/*
 * After a rollback, with no transaction open: drop what the log of db
 * gathered (frames spilled by the transaction rolled back). They are past
 * every commit, and another writer may write there once the lock is let
 * go; written out later, they would overwrite its frames.
 */
void wal_vfs_discard(sqlite3 *db);

#endif
