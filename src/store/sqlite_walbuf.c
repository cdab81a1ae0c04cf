/*
 * sqlite_walbuf.c — the VFS of SQLite's writer connection: the WAL frames
 * of one commit reach the kernel in one write() instead of two per page.
 *
 * SQLite appends each page of a commit to the WAL as two pwrite() calls
 * (the 24-byte frame header, then the page). Profiled under the intake
 * load, those calls were an eighth of the writer thread's time: a group
 * of leads dirties a hundred or more pages, and each call costs more in
 * the kernel than copying its bytes. SQLite has no setting that gathers
 * them, so this VFS wraps the default one and, for WAL files only, keeps
 * contiguous appends in a buffer; everything else passes straight through.
 *
 * When the buffer is written (its bytes handed to the kernel, in order):
 * - as soon as the frame that ends a commit is complete — its header
 *   carries the database size, non-zero only on a commit frame — so the
 *   commit is in the file before SQLite publishes it to readers in the
 *   WAL index, and before the writer hands the group to the syncer, whose
 *   fdatasync (on its own descriptor) must cover it;
 * - before any other operation on the file: a read (SQLite reads back its
 *   own frames during a checkpoint), a sync, a truncate, a size query, a
 *   file-control, a lock, or close;
 * - when a write is not contiguous with the buffer, or would overflow it.
 * A failed flush is reported as that operation's I/O error, so SQLite
 * sees it exactly where it would have seen the failed pwrite().
 *
 * Durability is unchanged: nothing is acknowledged before the syncer's
 * fsync, which only ever runs after COMMIT returned, i.e. after the flush.
 * A crash with frames still buffered loses only an uncommitted tail, which
 * SQLite ignores anyway (frames after the last commit frame).
 *
 * Threading: a WAL file handle belongs to its connection (the writer
 * thread); the VFS object itself is registered once and is read-only.
 */
#include "store/sqlite_walbuf.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* The size of a WAL frame header (SQLite's file format). */
#define WALBUF_FRAME_HEADER 24
/* The buffer: a group commit of a few hundred pages fits. */
#define WALBUF_CAP ((size_t)4 << 20)
/* The unix VFS writes at most 128 KiB - 1 bytes per call (it masks the
 * length): the buffer goes out in pieces of 120 KiB, 30 frames of 4 KiB
 * pages per write() instead of 60. */
#define WALBUF_WRITE_MAX ((size_t)120 << 10)

struct walbuf_file {
	sqlite3_file   base;        /* pMethods: walbuf_methods */
	sqlite3_file  *real;        /* the wrapped VFS's file, right after this struct */
	unsigned char *buf;         /* allocated at the first write */
	size_t         len;
	sqlite3_int64  start;       /* file offset of buf[0] */
	int            commit_frame; /* the last header written was a commit frame's */
};

static sqlite3_vfs *walbuf_real;
static sqlite3_vfs  walbuf_vfs;
static sqlite3_io_methods walbuf_methods;

/* Hands the buffer to the kernel. SQLITE_OK or the wrapped write's error. */
static int walbuf_flush(struct walbuf_file *p)
{
	size_t done, n;
	int rc = SQLITE_OK;

	for (done = 0; done < p->len && rc == SQLITE_OK; done += n) {
		n = p->len - done < WALBUF_WRITE_MAX ? p->len - done : WALBUF_WRITE_MAX;
		rc = p->real->pMethods->xWrite(p->real, p->buf + done, (int)n,
		                               p->start + (sqlite3_int64)done);
	}
	p->len = 0;
	return rc;
}

static int walbuf_close(sqlite3_file *f)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	int rc = walbuf_flush(p), rc2;

	rc2 = p->real->pMethods->xClose(p->real);
	free(p->buf);
	p->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int walbuf_read(sqlite3_file *f, void *out, int amt, sqlite3_int64 off)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	int rc = walbuf_flush(p);

	return rc != SQLITE_OK ? rc : p->real->pMethods->xRead(p->real, out, amt, off);
}

/* 1 if data is a WAL frame header of a commit (its second word, the
 * database size in pages after the commit, is non-zero). */
static int walbuf_is_commit_header(const unsigned char *data)
{
	return (data[4] | data[5] | data[6] | data[7]) != 0;
}

static int walbuf_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	size_t n = (size_t)amt;
	int rc, header = amt == WALBUF_FRAME_HEADER, ends_commit;

	/* A frame header is followed by its page: the commit frame is
	 * complete with the write after its header. */
	ends_commit = !header && p->commit_frame;
	p->commit_frame = header && walbuf_is_commit_header(data);
	if (p->len && (off != p->start + (sqlite3_int64)p->len || p->len + n > WALBUF_CAP) &&
	    (rc = walbuf_flush(p)) != SQLITE_OK)
		return rc;
	if (p->buf == NULL && (p->buf = malloc(WALBUF_CAP)) == NULL)
		return p->real->pMethods->xWrite(p->real, data, amt, off);
	if (n > WALBUF_CAP)
		return p->real->pMethods->xWrite(p->real, data, amt, off);
	if (p->len == 0)
		p->start = off;
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	return ends_commit ? walbuf_flush(p) : SQLITE_OK;
}

/* The pass-through methods: each flushes first, so the file is as SQLite
 * believes it to be. */
static int walbuf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	int rc = walbuf_flush(p);

	return rc != SQLITE_OK ? rc : p->real->pMethods->xTruncate(p->real, size);
}

static int walbuf_sync(sqlite3_file *f, int flags)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	int rc = walbuf_flush(p);

	return rc != SQLITE_OK ? rc : p->real->pMethods->xSync(p->real, flags);
}

static int walbuf_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	int rc = walbuf_flush(p);

	return rc != SQLITE_OK ? rc : p->real->pMethods->xFileSize(p->real, size);
}

static int walbuf_lock(sqlite3_file *f, int level)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	int rc = walbuf_flush(p);

	return rc != SQLITE_OK ? rc : p->real->pMethods->xLock(p->real, level);
}

static int walbuf_unlock(sqlite3_file *f, int level)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	int rc = walbuf_flush(p);

	return rc != SQLITE_OK ? rc : p->real->pMethods->xUnlock(p->real, level);
}

static int walbuf_check_lock(sqlite3_file *f, int *out)
{
	struct walbuf_file *p = (struct walbuf_file *)f;

	return p->real->pMethods->xCheckReservedLock(p->real, out);
}

static int walbuf_file_control(sqlite3_file *f, int op, void *arg)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	int rc = walbuf_flush(p);

	return rc != SQLITE_OK ? rc : p->real->pMethods->xFileControl(p->real, op, arg);
}

static int walbuf_sector_size(sqlite3_file *f)
{
	struct walbuf_file *p = (struct walbuf_file *)f;

	return p->real->pMethods->xSectorSize(p->real);
}

static int walbuf_device_characteristics(sqlite3_file *f)
{
	struct walbuf_file *p = (struct walbuf_file *)f;

	return p->real->pMethods->xDeviceCharacteristics(p->real);
}

/* A WAL file never maps shared memory or pages (the database file does),
 * but a version-3 method table has these slots: pass them on. */
static int walbuf_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **out)
{
	struct walbuf_file *p = (struct walbuf_file *)f;

	return p->real->pMethods->xShmMap(p->real, pg, pgsz, extend, out);
}

static int walbuf_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	struct walbuf_file *p = (struct walbuf_file *)f;

	return p->real->pMethods->xShmLock(p->real, offset, n, flags);
}

static void walbuf_shm_barrier(sqlite3_file *f)
{
	struct walbuf_file *p = (struct walbuf_file *)f;

	p->real->pMethods->xShmBarrier(p->real);
}

static int walbuf_shm_unmap(sqlite3_file *f, int del)
{
	struct walbuf_file *p = (struct walbuf_file *)f;

	return p->real->pMethods->xShmUnmap(p->real, del);
}

static int walbuf_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	int rc = walbuf_flush(p);

	return rc != SQLITE_OK ? rc : p->real->pMethods->xFetch(p->real, off, amt, out);
}

static int walbuf_unfetch(sqlite3_file *f, sqlite3_int64 off, void *page)
{
	struct walbuf_file *p = (struct walbuf_file *)f;

	return p->real->pMethods->xUnfetch(p->real, off, page);
}

static int walbuf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                       int *out_flags)
{
	struct walbuf_file *p = (struct walbuf_file *)f;
	int rc;

	(void)vfs;
	/* Anything but a WAL is the wrapped VFS's own file, in place. */
	if (!(flags & SQLITE_OPEN_WAL))
		return walbuf_real->xOpen(walbuf_real, name, f, flags, out_flags);
	memset(p, 0, sizeof(*p));
	p->real = (sqlite3_file *)(void *)(p + 1);
	rc = walbuf_real->xOpen(walbuf_real, name, p->real, flags, out_flags);
	if (rc != SQLITE_OK || p->real->pMethods == NULL)
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	/* A method table newer than ours has slots we would not pass on. */
	if (p->real->pMethods->iVersion > walbuf_methods.iVersion) {
		(void)p->real->pMethods->xClose(p->real);
		return SQLITE_CANTOPEN;
	}
	p->base.pMethods = &walbuf_methods;
	return SQLITE_OK;
}

/* The rest of the VFS is the wrapped one's. */
static int walbuf_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return walbuf_real->xDelete(walbuf_real, name, sync_dir);
}

static int walbuf_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return walbuf_real->xAccess(walbuf_real, name, flags, out);
}

static int walbuf_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return walbuf_real->xFullPathname(walbuf_real, name, n, out);
}

static void *walbuf_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return walbuf_real->xDlOpen(walbuf_real, name);
}

static void walbuf_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	walbuf_real->xDlError(walbuf_real, n, out);
}

static void (*walbuf_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return walbuf_real->xDlSym(walbuf_real, h, sym);
}

static void walbuf_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	walbuf_real->xDlClose(walbuf_real, h);
}

static int walbuf_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return walbuf_real->xRandomness(walbuf_real, n, out);
}

static int walbuf_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return walbuf_real->xSleep(walbuf_real, us);
}

static int walbuf_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return walbuf_real->xCurrentTime(walbuf_real, out);
}

static int walbuf_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return walbuf_real->xGetLastError(walbuf_real, n, out);
}

static int walbuf_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return walbuf_real->xCurrentTimeInt64(walbuf_real, out);
}

static pthread_once_t walbuf_once = PTHREAD_ONCE_INIT;
static int walbuf_ok;

static void walbuf_register(void)
{
	walbuf_real = sqlite3_vfs_find(NULL);
	/* Version 2 of the VFS object is the newest whose every slot the
	 * default unix VFS fills (version 3 adds the system-call overrides,
	 * which only tests use). */
	if (walbuf_real == NULL || walbuf_real->iVersion < 2)
		return;
	walbuf_methods = (sqlite3_io_methods){
		.iVersion = 3,
		.xClose = walbuf_close,
		.xRead = walbuf_read,
		.xWrite = walbuf_write,
		.xTruncate = walbuf_truncate,
		.xSync = walbuf_sync,
		.xFileSize = walbuf_file_size,
		.xLock = walbuf_lock,
		.xUnlock = walbuf_unlock,
		.xCheckReservedLock = walbuf_check_lock,
		.xFileControl = walbuf_file_control,
		.xSectorSize = walbuf_sector_size,
		.xDeviceCharacteristics = walbuf_device_characteristics,
		.xShmMap = walbuf_shm_map,
		.xShmLock = walbuf_shm_lock,
		.xShmBarrier = walbuf_shm_barrier,
		.xShmUnmap = walbuf_shm_unmap,
		.xFetch = walbuf_fetch,
		.xUnfetch = walbuf_unfetch,
	};
	walbuf_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct walbuf_file) + walbuf_real->szOsFile,
		.mxPathname = walbuf_real->mxPathname,
		.zName = SQLITE_WALBUF_VFS,
		.xOpen = walbuf_open,
		.xDelete = walbuf_delete,
		.xAccess = walbuf_access,
		.xFullPathname = walbuf_full_pathname,
		.xDlOpen = walbuf_dl_open,
		.xDlError = walbuf_dl_error,
		.xDlSym = walbuf_dl_sym,
		.xDlClose = walbuf_dl_close,
		.xRandomness = walbuf_randomness,
		.xSleep = walbuf_sleep,
		.xCurrentTime = walbuf_current_time,
		.xGetLastError = walbuf_last_error,
		.xCurrentTimeInt64 = walbuf_current_time64,
	};
	walbuf_ok = sqlite3_vfs_register(&walbuf_vfs, 0) == SQLITE_OK;
}

const char *sqlite_walbuf_vfs(void)
{
	(void)pthread_once(&walbuf_once, walbuf_register);
	return walbuf_ok ? SQLITE_WALBUF_VFS : NULL;
}
