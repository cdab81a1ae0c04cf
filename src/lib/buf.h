/*
 * buf.h — growable byte buffers with a hard maximum (after curl's dynbuf).
 *
 * A buf always holds a NUL-terminated string (b->data[b->len] == 0) once
 * anything was added, so it can be passed to C APIs. Every buf has a max:
 * an append past it fails and sets the sticky error flag, so a caller may
 * append many times and check once with buf_failed() (after SQLite).
 *
 * Memory: buf_free() releases data; buf_take() hands it to the caller,
 * who frees it with free().
 */
#ifndef ONRAMP_BUF_H
#define ONRAMP_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
	char  *data;   /* NUL-terminated, or NULL when empty */
	size_t len;
	size_t cap;
	size_t max;    /* hard maximum of len */
	int    failed; /* sticky: an append failed (too long or out of memory) */
} buf;

/* Initialises an empty buffer that may grow to max bytes. */
void buf_init(buf *b, size_t max);
/* Releases the memory; the buf may be reused after buf_init(). */
void buf_free(buf *b);
/* Empties the buffer, keeping its memory and clearing the error flag. */
void buf_reset(buf *b);

/* Appends; each returns 0, or -1 (and sets failed) when over max or out of memory. */
int buf_add(buf *b, const void *data, size_t len);
int buf_adds(buf *b, const char *s);
int buf_addc(buf *b, char c);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf *b, const char *fmt, va_list ap);

/* Appends s escaped for HTML text and attribute values (& < > " ' ` =). */
int buf_add_html(buf *b, const char *s, size_t len);

/* Returns the contents ("" when empty); owned by the buf. */
const char *buf_str(const buf *b);
/* Returns 1 if an append failed since init/reset. */
int buf_failed(const buf *b);
/* Hands the malloc'd string to the caller (free() it) and empties the buf.
 * Returns NULL if an append failed; never NULL otherwise (empty gives ""). */
char *buf_take(buf *b);

#endif
