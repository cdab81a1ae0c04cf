/*
 * arena.h — per-request bump allocator.
 *
 * Everything a request handler allocates comes from the request's arena and
 * is released at once when the request ends, so handlers never free() and
 * never leak. Allocation failure returns NULL and sets a sticky flag.
 * Not thread-safe: an arena belongs to one request (one thread).
 */
#ifndef ONRAMP_ARENA_H
#define ONRAMP_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;
typedef struct arena {
	arena_block *head;
	size_t       used_total;
	size_t       max;    /* hard maximum of bytes handed out */
	int          failed; /* sticky: an allocation failed */
} arena;

/* Initialises an empty arena that may hand out up to max bytes in all. */
void  arena_init(arena *a, size_t max);
/* Frees every block; the arena may be reused after arena_init(). */
void  arena_free(arena *a);
/* Returns n zeroed bytes aligned for any type, or NULL. Owned by the arena. */
void *arena_alloc(arena *a, size_t n);
/* Copies len bytes and a NUL; NULL s gives NULL. Owned by the arena. */
char *arena_strndup(arena *a, const char *s, size_t len);
char *arena_strdup(arena *a, const char *s);
/* printf into arena memory; NULL on failure. */
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
