/*
 * sqlite_walbuf.h — the writer connection's VFS, which gathers each
 * commit's WAL frames into one write (sqlite_walbuf.c). Store layer,
 * SQLite engine only (db_sqlite.c).
 */
#ifndef ONRAMP_SQLITE_WALBUF_H
#define ONRAMP_SQLITE_WALBUF_H

#define SQLITE_WALBUF_VFS "onramp-walbuf"

/* Registers the VFS on first use (not as the default). Returns its name
 * for sqlite3_open_v2, or NULL if it could not be set up (then the
 * default VFS serves, one write per frame header and page as before). */
const char *sqlite_walbuf_vfs(void);

#endif
