/*
 * geoindex.h — which divisions contain a point: an immutable in-memory
 * index of boundaries (GEOS prepared geometries in an STRtree).
 *
 * Built once from WKB boundaries (geo_builder_*), then only read: any
 * number of threads may look points up at the same time. Each lookup uses
 * its calling thread's own GEOS context (the reentrant _r API), created on
 * first use and freed when the thread exits. GEOS 3.11 builds parts of a
 * prepared geometry and of the tree lazily on their first query; the
 * builder runs one query through every geometry before handing the index
 * out, so nothing is built while threads share it.
 *
 * A point on a shared edge lies in both divisions (intersects, not
 * contains): the honest answer on a boundary line. Holes are honoured.
 *
 * Lifetime: an index is reference counted (geo_index_ref / _unref), so a
 * server can swap in a rebuilt one while lookups still hold the old one.
 */
#ifndef ONRAMP_GEOINDEX_H
#define ONRAMP_GEOINDEX_H

#include <stddef.h>

struct geo_builder;
struct geo_index;

/* A new, empty builder, or NULL out of memory. */
struct geo_builder *geo_builder_new(void);
/* Adds division id's boundary from WKB (a Polygon or MultiPolygon in
 * lon/lat). Returns 0, or -1 with a reason in err (bad WKB, not polygonal,
 * invalid ring). The builder copies id. */
int geo_builder_add_wkb(struct geo_builder *b, const char *id, const void *wkb, size_t len,
                        char *err, size_t errlen);
/* The same from WKT text (tests, tools). */
int geo_builder_add_wkt(struct geo_builder *b, const char *id, const char *wkt, char *err,
                        size_t errlen);
/* Turns the builder into an index (the builder is consumed, even on
 * failure). Returns the index with one reference, or NULL out of memory. */
struct geo_index *geo_builder_finish(struct geo_builder *b);
/* Frees a builder that was not finished. NULL is a no-op. */
void geo_builder_free(struct geo_builder *b);

/* Takes / drops a reference; the last unref frees the index. */
struct geo_index *geo_index_ref(struct geo_index *idx);
void geo_index_unref(struct geo_index *idx);
/* How many boundaries the index holds. */
size_t geo_index_size(const struct geo_index *idx);

/* Writes into ids (room for max) the division ids whose boundary contains
 * or touches (lon, lat), sorted by id; the strings belong to idx and live
 * as long as the caller's reference. Returns how many were found (may
 * exceed max: only max are written), or -1 on a GEOS failure. */
int geo_index_lookup(const struct geo_index *idx, double lon, double lat, const char **ids,
                     size_t max);

/* Converts WKT to WKB (for tests and tools). Returns a malloc'd buffer the
 * caller free()s and its length in *len, or NULL on bad WKT. */
unsigned char *geo_wkt_to_wkb(const char *wkt, size_t *len);

/* The calling thread's GEOS context (GEOSContextHandle_t), for the other
 * domain files that read geometries (the map). NULL out of memory. */
void *geo_thread_context(void);

#endif
