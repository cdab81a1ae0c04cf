/*
 * geoindex.c — the boundary index (see geoindex.h).
 *
 * Layout: an array of entries (id, geometry, prepared geometry); the
 * STRtree holds pointers to entries, keyed by each geometry's envelope.
 * A lookup asks the tree for the entries whose envelope holds the point,
 * then tests each candidate's prepared geometry exactly.
 *
 * Threading: the per-thread GEOS contexts live under a pthread key whose
 * destructor finishes them when a thread ends. The index itself is never
 * changed after geo_builder_finish() except for its atomic reference count.
 */
#include "domain/geoindex.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <geos_c.h>

#include "lib/log.h"

struct geo_entry {
	char                        *id;
	GEOSGeometry                *geom;
	const GEOSPreparedGeometry  *prep;
};

struct geo_builder {
	GEOSContextHandle_t ctx;    /* the building thread's context */
	struct geo_entry   *items;
	size_t              n, cap;
};

struct geo_index {
	atomic_long         refs;
	GEOSContextHandle_t ctx;    /* owns the geometries and the tree */
	GEOSSTRtree        *tree;
	struct geo_entry   *items;
	size_t              n;
};

/* ---- per-thread contexts ---- */

static pthread_key_t geo_key;
static pthread_once_t geo_once = PTHREAD_ONCE_INIT;
static int geo_key_ok;

static void geo_ctx_destroy(void *p)
{
	GEOS_finish_r((GEOSContextHandle_t)p);
}

static void geo_key_init(void)
{
	geo_key_ok = pthread_key_create(&geo_key, geo_ctx_destroy) == 0;
}

void *geo_thread_context(void)
{
	GEOSContextHandle_t h;

	pthread_once(&geo_once, geo_key_init);
	if (!geo_key_ok)
		return NULL;
	h = pthread_getspecific(geo_key);
	if (h)
		return h;
	h = GEOS_init_r();
	if (!h)
		return NULL;
	if (pthread_setspecific(geo_key, h) != 0) {
		GEOS_finish_r(h);
		return NULL;
	}
	return h;
}

/* A context owned by one index or builder (freed with it), with GEOS's
 * messages going nowhere: geometry problems are reported by return values. */
static GEOSContextHandle_t geo_own_context(void)
{
	return GEOS_init_r();
}

/* ---- building ---- */

struct geo_builder *geo_builder_new(void)
{
	struct geo_builder *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->ctx = geo_own_context();
	if (!b->ctx) {
		free(b);
		return NULL;
	}
	return b;
}

static void geo_entries_free(GEOSContextHandle_t ctx, struct geo_entry *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (items[i].prep)
			GEOSPreparedGeom_destroy_r(ctx, items[i].prep);
		if (items[i].geom)
			GEOSGeom_destroy_r(ctx, items[i].geom);
		free(items[i].id);
	}
	free(items);
}

void geo_builder_free(struct geo_builder *b)
{
	if (!b)
		return;
	geo_entries_free(b->ctx, b->items, b->n);
	GEOS_finish_r(b->ctx);
	free(b);
}

static void geo_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen) {
		strncpy(err, msg, errlen - 1);
		err[errlen - 1] = '\0';
	}
}

/* Takes ownership of g (destroyed on failure). */
static int geo_builder_add_geom(struct geo_builder *b, const char *id, GEOSGeometry *g,
                                char *err, size_t errlen)
{
	struct geo_entry *e, *grown;
	int type;
	size_t cap;

	type = GEOSGeomTypeId_r(b->ctx, g);
	if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
		GEOSGeom_destroy_r(b->ctx, g);
		geo_err(err, errlen, "the boundary is not a polygon or multipolygon");
		return -1;
	}
	if (GEOSisEmpty_r(b->ctx, g) != 0) {
		GEOSGeom_destroy_r(b->ctx, g);
		geo_err(err, errlen, "the boundary is empty");
		return -1;
	}
	if (b->n == b->cap) {
		cap = b->cap ? b->cap * 2 : 64;
		grown = realloc(b->items, cap * sizeof(*grown));
		if (!grown) {
			GEOSGeom_destroy_r(b->ctx, g);
			geo_err(err, errlen, "out of memory");
			return -1;
		}
		b->items = grown;
		b->cap = cap;
	}
	e = &b->items[b->n];
	memset(e, 0, sizeof(*e));
	e->id = strdup(id);
	e->geom = g;
	e->prep = GEOSPrepare_r(b->ctx, g);
	if (!e->id || !e->prep) {
		if (e->prep)
			GEOSPreparedGeom_destroy_r(b->ctx, e->prep);
		free(e->id);
		GEOSGeom_destroy_r(b->ctx, g);
		geo_err(err, errlen, "out of memory preparing the boundary");
		return -1;
	}
	b->n++;
	return 0;
}

int geo_builder_add_wkb(struct geo_builder *b, const char *id, const void *wkb, size_t len,
                        char *err, size_t errlen)
{
	GEOSWKBReader *r = GEOSWKBReader_create_r(b->ctx);
	GEOSGeometry *g;

	if (!r) {
		geo_err(err, errlen, "out of memory");
		return -1;
	}
	g = GEOSWKBReader_read_r(b->ctx, r, wkb, len);
	GEOSWKBReader_destroy_r(b->ctx, r);
	if (!g) {
		geo_err(err, errlen, "the boundary is not valid WKB");
		return -1;
	}
	return geo_builder_add_geom(b, id, g, err, errlen);
}

int geo_builder_add_wkt(struct geo_builder *b, const char *id, const char *wkt, char *err,
                        size_t errlen)
{
	GEOSWKTReader *r = GEOSWKTReader_create_r(b->ctx);
	GEOSGeometry *g;

	if (!r) {
		geo_err(err, errlen, "out of memory");
		return -1;
	}
	g = GEOSWKTReader_read_r(b->ctx, r, wkt);
	GEOSWKTReader_destroy_r(b->ctx, r);
	if (!g) {
		geo_err(err, errlen, "the boundary is not valid WKT");
		return -1;
	}
	return geo_builder_add_geom(b, id, g, err, errlen);
}

static void geo_noop_visit(void *item, void *userdata)
{
	(void)item;
	(void)userdata;
}

static int geo_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct geo_entry *)a)->id, ((const struct geo_entry *)b)->id);
}

struct geo_index *geo_builder_finish(struct geo_builder *b)
{
	struct geo_index *idx;
	GEOSGeometry *probe;
	size_t i;

	if (!b)
		return NULL;
	idx = calloc(1, sizeof(*idx));
	if (!idx) {
		geo_builder_free(b);
		return NULL;
	}
	/* sorted by id, so lookups answer in id order without sorting */
	if (b->n > 1)
		qsort(b->items, b->n, sizeof(*b->items), geo_entry_cmp);
	idx->ctx = b->ctx;
	idx->items = b->items;
	idx->n = b->n;
	free(b);
	atomic_init(&idx->refs, 1);
	idx->tree = GEOSSTRtree_create_r(idx->ctx, 10);
	if (!idx->tree)
		goto fail;
	for (i = 0; i < idx->n; i++)
		GEOSSTRtree_insert_r(idx->ctx, idx->tree, idx->items[i].geom, &idx->items[i]);
	/* Build every lazy structure now, on this thread (see geoindex.h). */
	probe = GEOSGeom_createPointFromXY_r(idx->ctx, 0.0, 0.0);
	if (!probe)
		goto fail;
	GEOSSTRtree_query_r(idx->ctx, idx->tree, probe, geo_noop_visit, NULL);
	GEOSGeom_destroy_r(idx->ctx, probe);
	/* a point inside each boundary passes the envelope test and so builds
	 * the prepared geometry's point locator */
	for (i = 0; i < idx->n; i++) {
		probe = GEOSPointOnSurface_r(idx->ctx, idx->items[i].geom);
		if (!probe)
			goto fail;
		(void)GEOSPreparedIntersects_r(idx->ctx, idx->items[i].prep, probe);
		GEOSGeom_destroy_r(idx->ctx, probe);
	}
	return idx;
fail:
	geo_index_unref(idx);
	return NULL;
}

/* ---- using ---- */

struct geo_index *geo_index_ref(struct geo_index *idx)
{
	if (idx)
		atomic_fetch_add(&idx->refs, 1);
	return idx;
}

void geo_index_unref(struct geo_index *idx)
{
	if (!idx || atomic_fetch_sub(&idx->refs, 1) != 1)
		return;
	if (idx->tree)
		GEOSSTRtree_destroy_r(idx->ctx, idx->tree);
	geo_entries_free(idx->ctx, idx->items, idx->n);
	GEOS_finish_r(idx->ctx);
	free(idx);
}

size_t geo_index_size(const struct geo_index *idx)
{
	return idx ? idx->n : 0;
}

/* Candidates from the tree, collected before the exact test. */
#define GEO_CANDIDATES_MAX 256
struct geo_query {
	const struct geo_entry *cand[GEO_CANDIDATES_MAX];
	size_t n;
	int overflow;
};

static void geo_collect(void *item, void *userdata)
{
	struct geo_query *q = userdata;

	if (q->n < GEO_CANDIDATES_MAX)
		q->cand[q->n++] = item;
	else
		q->overflow = 1;
}

static int geo_cand_cmp(const void *a, const void *b)
{
	const struct geo_entry *x = *(const struct geo_entry *const *)a;
	const struct geo_entry *y = *(const struct geo_entry *const *)b;

	return x < y ? -1 : x > y;
}

int geo_index_lookup(const struct geo_index *idx, double lon, double lat, const char **ids,
                     size_t max)
{
	GEOSContextHandle_t h = geo_thread_context();
	GEOSGeometry *pt;
	struct geo_query q;
	size_t i;
	int found = 0;
	char r;

	if (!h || !idx)
		return -1;
	if (idx->n == 0)
		return 0;
	pt = GEOSGeom_createPointFromXY_r(h, lon, lat);
	if (!pt)
		return -1;
	q.n = 0;
	q.overflow = 0;
	GEOSSTRtree_query_r(h, idx->tree, pt, geo_collect, &q);
	if (q.overflow)
		log_warn("geoindex: more than %d boundaries overlap one point; some were skipped",
		         GEO_CANDIDATES_MAX);
	/* entries are sorted by id, so address order is id order; a point has
	 * a handful of candidates, where an insertion sort beats qsort's calls */
	if (q.n > 16) {
		qsort(q.cand, q.n, sizeof(q.cand[0]), geo_cand_cmp);
	} else {
		for (i = 1; i < q.n; i++) {
			const struct geo_entry *e = q.cand[i];
			size_t k = i;

			for (; k > 0 && q.cand[k - 1] > e; k--)
				q.cand[k] = q.cand[k - 1];
			q.cand[k] = e;
		}
	}
	for (i = 0; i < q.n; i++) {
		r = GEOSPreparedIntersects_r(h, q.cand[i]->prep, pt);
		if (r == 2) {
			found = -1;
			break;
		}
		if (r == 1) {
			if ((size_t)found < max)
				ids[found] = q.cand[i]->id;
			found++;
		}
	}
	GEOSGeom_destroy_r(h, pt);
	return found;
}

unsigned char *geo_wkt_to_wkb(const char *wkt, size_t *len)
{
	GEOSContextHandle_t h = geo_thread_context();
	GEOSWKTReader *r;
	GEOSWKBWriter *w;
	GEOSGeometry *g;
	unsigned char *out = NULL, *copy;

	*len = 0;
	if (!h)
		return NULL;
	r = GEOSWKTReader_create_r(h);
	if (!r)
		return NULL;
	g = GEOSWKTReader_read_r(h, r, wkt);
	GEOSWKTReader_destroy_r(h, r);
	if (!g)
		return NULL;
	w = GEOSWKBWriter_create_r(h);
	if (w) {
		out = GEOSWKBWriter_write_r(h, w, g, len);
		GEOSWKBWriter_destroy_r(h, w);
	}
	GEOSGeom_destroy_r(h, g);
	if (!out)
		return NULL;
	/* GEOS memory is freed with GEOSFree; hand the caller plain malloc memory */
	copy = malloc(*len ? *len : 1);
	if (copy)
		memcpy(copy, out, *len);
	GEOSFree_r(h, out);
	return copy;
}
