#ifndef OGI_WAL_VFS_H
#define OGI_WAL_VFS_H

#define WAL_VFS_NAME "ogi-wal"

/*
 * Register the VFS (once; not the default): its name for sqlite3_open_v2,
 * or NULL. For connections with synchronous = FULL only (lib/wal_vfs.c).
 */
const char *wal_vfs_register(void);

#endif
