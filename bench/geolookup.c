/*
 * geolookup.c — the race finder's point lookups against their reference:
 * the same boundaries and the same points through (a) a raw GEOS loop — an
 * STRtree of the geometries, then GEOSPreparedIntersects on each candidate
 * — and (b) Onramp's index (src/domain/geoindex.c), in the same process,
 * one after the other, several rounds each (the best round counts).
 *
 * The points: a fixed pseudo-random sequence, each inside the envelope of
 * a county picked at random (so most hit one county, some hit none, a few
 * fall on shared edges). Both loops must find the same number of
 * divisions for every point, or the program fails.
 *
 * Usage: geolookup FILE.geojson [POINTS] [ROUNDS]
 * Prints "boundaries N", "points N", "raw_per_s R", "onramp_per_s O",
 * "hits H". Exit 1 on a mismatch or a load failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>

#include "domain/geoindex.h"

struct raw {
	GEOSContextHandle_t           h;
	GEOSGeometry                **geoms;
	const GEOSPreparedGeometry  **prep;
	size_t                        n;
	GEOSSTRtree                  *tree;
};

struct hit_count {
	struct raw         *raw;
	const GEOSGeometry *pt;
	int                 found;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift: the same points every run */
static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;
static double rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / (double)(1ULL << 53);
}

static void raw_visit(void *item, void *userdata)
{
	struct hit_count *q = userdata;
	size_t i = (size_t)((const GEOSGeometry **)item - (const GEOSGeometry **)q->raw->geoms);

	if (GEOSPreparedIntersects_r(q->raw->h, q->raw->prep[i], q->pt) == 1)
		q->found++;
}

int main(int argc, char **argv)
{
	size_t npoints = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
	int rounds = 3;
	struct raw raw = { 0 };
	struct geo_builder *b;
	struct geo_index *idx;
	GDALDatasetH ds;
	OGRLayerH layer;
	OGRFeatureH f;
	unsigned char *wkb;
	double *px, *py, t, best_raw = 1e30, best_ours = 1e30, x0, y0, x1, y1;
	int *want, size, r, mismatch = 0;
	long long hits = 0;
	const char *ids[64];
	size_t i, cap = 4096;
	char err[200], name[32];

	if (argc > 3) {
		char *end;
		long v = strtol(argv[3], &end, 10);

		if (*end == '\0' && v > 0 && v < 100)
			rounds = (int)v;
	}
	if (argc < 2 || npoints == 0) {
		fprintf(stderr, "usage: geolookup FILE.geojson [POINTS] [ROUNDS]\n");
		return 2;
	}
	GDALAllRegister();
	ds = GDALOpenEx(argv[1], GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
	if (!ds) {
		fprintf(stderr, "geolookup: cannot read %s\n", argv[1]);
		return 1;
	}
	layer = GDALDatasetGetLayer(ds, 0);
	raw.h = GEOS_init_r();
	raw.geoms = malloc(cap * sizeof(*raw.geoms));
	b = geo_builder_new();
	if (!raw.h || !raw.geoms || !b)
		return 1;
	OGR_L_ResetReading(layer);
	while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
		OGRGeometryH g = OGR_F_GetGeometryRef(f);

		if (g) {
			size = OGR_G_WkbSize(g);
			wkb = malloc((size_t)size);
			if (!wkb || OGR_G_ExportToWkb(g, wkbNDR, wkb) != OGRERR_NONE)
				return 1;
			if (raw.n == cap) {
				cap *= 2;
				raw.geoms = realloc(raw.geoms, cap * sizeof(*raw.geoms));
				if (!raw.geoms)
					return 1;
			}
			raw.geoms[raw.n] = GEOSGeomFromWKB_buf_r(raw.h, wkb, (size_t)size);
			snprintf(name, sizeof(name), "county-%zu", raw.n);
			if (!raw.geoms[raw.n] ||
			    geo_builder_add_wkb(b, name, wkb, (size_t)size, err, sizeof(err)) < 0) {
				fprintf(stderr, "geolookup: feature %zu: %s\n", raw.n, err);
				return 1;
			}
			raw.n++;
			free(wkb);
		}
		OGR_F_Destroy(f);
	}
	GDALClose(ds);
	idx = geo_builder_finish(b);
	raw.prep = malloc(raw.n * sizeof(*raw.prep));
	raw.tree = GEOSSTRtree_create_r(raw.h, 10);
	if (!idx || !raw.prep || !raw.tree)
		return 1;
	for (i = 0; i < raw.n; i++) {
		raw.prep[i] = GEOSPrepare_r(raw.h, raw.geoms[i]);
		GEOSSTRtree_insert_r(raw.h, raw.tree, raw.geoms[i], &raw.geoms[i]);
	}
	/* the points */
	px = malloc(npoints * sizeof(*px));
	py = malloc(npoints * sizeof(*py));
	want = malloc(npoints * sizeof(*want));
	if (!px || !py || !want)
		return 1;
	for (i = 0; i < npoints; i++) {
		const GEOSGeometry *g = raw.geoms[(size_t)(rnd() * (double)raw.n) % raw.n];

		GEOSGeom_getXMin_r(raw.h, g, &x0);
		GEOSGeom_getYMin_r(raw.h, g, &y0);
		GEOSGeom_getXMax_r(raw.h, g, &x1);
		GEOSGeom_getYMax_r(raw.h, g, &y1);
		px[i] = x0 + rnd() * (x1 - x0);
		py[i] = y0 + rnd() * (y1 - y0);
	}
	for (r = 0; r < rounds; r++) {
		/* (a) raw GEOS: a point geometry, the tree query, prepared tests */
		t = now_s();
		for (i = 0; i < npoints; i++) {
			struct hit_count q = { &raw, NULL, 0 };
			GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(raw.h, px[i], py[i]);

			q.pt = pt;
			GEOSSTRtree_query_r(raw.h, raw.tree, pt, raw_visit, &q);
			GEOSGeom_destroy_r(raw.h, pt);
			want[i] = q.found;
		}
		t = now_s() - t;
		if (t < best_raw)
			best_raw = t;
		/* (b) onramp's index */
		t = now_s();
		hits = 0;
		for (i = 0; i < npoints; i++) {
			int n = geo_index_lookup(idx, px[i], py[i], ids, 64);

			if (n != want[i])
				mismatch++;
			hits += n;
		}
		t = now_s() - t;
		if (t < best_ours)
			best_ours = t;
	}
	printf("boundaries %zu\npoints %zu\nraw_per_s %.0f\nonramp_per_s %.0f\nhits %lld\n", raw.n,
	       npoints, (double)npoints / best_raw, (double)npoints / best_ours, hits);
	if (mismatch) {
		fprintf(stderr, "geolookup: %d lookups disagree with the raw GEOS loop\n", mismatch);
		return 1;
	}
	geo_index_unref(idx);
	for (i = 0; i < raw.n; i++) {
		GEOSPreparedGeom_destroy_r(raw.h, raw.prep[i]);
		GEOSGeom_destroy_r(raw.h, raw.geoms[i]);
	}
	GEOSSTRtree_destroy_r(raw.h, raw.tree);
	GEOS_finish_r(raw.h);
	free(raw.prep);
	free(raw.geoms);
	free(px);
	free(py);
	free(want);
	return 0;
}
