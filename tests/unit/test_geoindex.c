/*
 * test_geoindex.c — which divisions hold a point (src/domain/geoindex.c).
 *
 * A small made-up map in lon/lat, drawn so every rule has a case:
 *
 *   west  (0,0)-(10,10) and east (10,0)-(20,10): they share the edge x=10
 *   state (0,0)-(20,10): holds west and east, overlapping both
 *   ring  (30,0)-(40,10) with a hole (33,3)-(37,7); the hole is its own
 *         division "lake" (a point in the hole is in lake, not in ring)
 *   islands: a multipolygon of (50,0)-(52,2) and (56,0)-(58,2)
 *
 * Points on an edge or a vertex belong to every division they touch; points
 * in a hole or between islands belong to none of them; far points to none.
 * Results come sorted by id. The last tests run lookups from several
 * threads at once against one index (each with its own GEOS context) and
 * check the builder's refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/geoindex.h"

#define ID_WEST    "ocd-division/country:xx/state:aa/county:west"
#define ID_EAST    "ocd-division/country:xx/state:aa/county:east"
#define ID_STATE   "ocd-division/country:xx/state:aa"
#define ID_RING    "ocd-division/country:xx/state:bb/county:ring"
#define ID_LAKE    "ocd-division/country:xx/state:bb/county:lake"
#define ID_ISLANDS "ocd-division/country:xx/state:cc/county:islands"

static const struct {
	const char *id, *wkt;
} shapes[] = {
	{ ID_WEST, "POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))" },
	{ ID_EAST, "POLYGON((10 0, 20 0, 20 10, 10 10, 10 0))" },
	{ ID_RING, "POLYGON((30 0, 40 0, 40 10, 30 10, 30 0), (33 3, 37 3, 37 7, 33 7, 33 3))" },
	{ ID_LAKE, "POLYGON((33 3, 37 3, 37 7, 33 7, 33 3))" },
	{ ID_ISLANDS,
	  "MULTIPOLYGON(((50 0, 52 0, 52 2, 50 2, 50 0)), ((56 0, 58 0, 58 2, 56 2, 56 0)))" },
	{ ID_STATE, "POLYGON((0 0, 20 0, 20 10, 0 10, 0 0))" },
};
#define N_SHAPES (sizeof(shapes) / sizeof(shapes[0]))

struct point_case {
	double      lon, lat;
	const char *want[4];  /* sorted by id, NULL-terminated */
};

static const struct point_case points[] = {
	/* inside one county (and the state) */
	{ 5, 5, { ID_STATE, ID_WEST, NULL } },
	{ 15, 5, { ID_STATE, ID_EAST, NULL } },
	/* on the shared edge: both counties */
	{ 10, 5, { ID_STATE, ID_EAST, ID_WEST, NULL } },
	/* on the shared corner, which is also on the state's outer edge */
	{ 10, 0, { ID_STATE, ID_EAST, ID_WEST, NULL } },
	/* a hair either side of the shared edge */
	{ 9.999999, 5, { ID_STATE, ID_WEST, NULL } },
	{ 10.000001, 5, { ID_STATE, ID_EAST, NULL } },
	/* on the state's outer edge, with west */
	{ 0, 5, { ID_STATE, ID_WEST, NULL } },
	{ 0, 0, { ID_STATE, ID_WEST, NULL } },
	/* the polygon with a hole: in the ring; in the hole; on the hole's edge */
	{ 31, 1, { ID_RING, NULL } },
	{ 38.5, 8.5, { ID_RING, NULL } },
	{ 35, 5, { ID_LAKE, NULL } },
	{ 33, 5, { ID_LAKE, ID_RING, NULL } },
	{ 37, 7, { ID_LAKE, ID_RING, NULL } },
	/* the multipolygon: each part; between the parts (inside the envelope);
	 * on a part's edge */
	{ 51, 1, { ID_ISLANDS, NULL } },
	{ 57, 1.5, { ID_ISLANDS, NULL } },
	{ 54, 1, { NULL } },
	{ 52, 1, { ID_ISLANDS, NULL } },
	/* outside everything: beside, above, far away, the antimeridian */
	{ 25, 5, { NULL } },
	{ 5, 10.000001, { NULL } },
	{ -5, -5, { NULL } },
	{ 179.9, -89.9, { NULL } },
	{ -180, 90, { NULL } },
};

static struct geo_index *build_index(void)
{
	struct geo_builder *b = geo_builder_new();
	char err[200];
	size_t i;
	int rc;

	assert_non_null(b);
	/* by WKB for some, WKT for others: both paths build the same index */
	for (i = 0; i < N_SHAPES; i++) {
		if (i % 2 == 0) {
			size_t len = 0;
			unsigned char *wkb = geo_wkt_to_wkb(shapes[i].wkt, &len);

			assert_non_null(wkb);
			rc = geo_builder_add_wkb(b, shapes[i].id, wkb, len, err, sizeof(err));
			free(wkb);
		} else {
			rc = geo_builder_add_wkt(b, shapes[i].id, shapes[i].wkt, err, sizeof(err));
		}
		if (rc != 0)
			fprintf(stderr, "# %s: %s\n", shapes[i].id, err);
		assert_int_equal(rc, 0);
	}
	return geo_builder_finish(b);
}

static int setup(void **state)
{
	*state = build_index();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	geo_index_unref(*state);
	return 0;
}

static int quiet;  /* set while threads run: count failures, don't print each */

/* Looks (lon, lat) up and compares with want. Returns 0 when equal. */
static int check_point(const struct geo_index *idx, const struct point_case *pc)
{
	const char *ids[8];
	int n, k, want = 0;

	while (pc->want[want])
		want++;
	n = geo_index_lookup(idx, pc->lon, pc->lat, ids, 8);
	if (n != want) {
		if (!quiet)
			fprintf(stderr, "# (%g, %g): %d divisions, expected %d\n", pc->lon, pc->lat, n, want);
		return -1;
	}
	for (k = 0; k < n; k++)
		if (strcmp(ids[k], pc->want[k]) != 0) {
			if (!quiet)
				fprintf(stderr, "# (%g, %g): #%d is %s, expected %s\n", pc->lon, pc->lat, k,
			        ids[k], pc->want[k]);
			return -1;
		}
	return 0;
}

static void test_geo_points(void **state)
{
	const struct geo_index *idx = *state;
	size_t i;

	assert_int_equal(geo_index_size(idx), N_SHAPES);
	for (i = 0; i < sizeof(points) / sizeof(points[0]); i++)
		assert_int_equal(check_point(idx, &points[i]), 0);
}

static void test_geo_max(void **state)
{
	const struct geo_index *idx = *state;
	const char *ids[3] = { NULL, NULL, "untouched" };

	/* three divisions hold the shared edge; room for two: the count is
	 * still three, only two are written, in id order */
	assert_int_equal(geo_index_lookup(idx, 10, 5, ids, 2), 3);
	assert_string_equal(ids[0], ID_STATE);
	assert_string_equal(ids[1], ID_EAST);
	assert_string_equal(ids[2], "untouched");
	assert_int_equal(geo_index_lookup(idx, 10, 5, ids, 0), 3);
}

static void test_geo_empty_index(void **state)
{
	struct geo_index *empty = geo_builder_finish(geo_builder_new());
	const char *ids[2];

	(void)state;
	assert_non_null(empty);
	assert_int_equal(geo_index_size(empty), 0);
	assert_int_equal(geo_index_lookup(empty, 5, 5, ids, 2), 0);
	geo_index_unref(empty);
	geo_index_unref(NULL);
	geo_builder_free(NULL);
	assert_null(geo_builder_finish(NULL));
}

static void test_geo_refusals(void **state)
{
	struct geo_builder *b = geo_builder_new();
	static const unsigned char junk[] = { 1, 3, 0, 0, 0, 9, 9 };
	char err[200];

	(void)state;
	assert_non_null(b);
	err[0] = '\0';
	assert_int_equal(geo_builder_add_wkt(b, "x", "POINT(1 1)", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "polygon"));
	assert_int_equal(geo_builder_add_wkt(b, "x", "LINESTRING(0 0, 1 1)", err, sizeof(err)), -1);
	assert_int_equal(geo_builder_add_wkt(b, "x", "POLYGON EMPTY", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(geo_builder_add_wkt(b, "x", "POLYGON((0 0, 1 0", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "WKT"));
	assert_int_equal(geo_builder_add_wkb(b, "x", junk, sizeof(junk), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "WKB"));
	assert_int_equal(geo_builder_add_wkb(b, "x", junk, 0, err, sizeof(err)), -1);
	/* a tiny error buffer is still terminated */
	assert_int_equal(geo_builder_add_wkt(b, "x", "POINT(1 1)", err, 4), -1);
	assert_int_equal(strlen(err), 3);
	geo_builder_free(b);
	assert_null(geo_wkt_to_wkb("not wkt", &(size_t){ 0 }));
}

/* The reference count: an index outlives its first owner while referenced. */
static void test_geo_refs(void **state)
{
	struct geo_index *idx = build_index(), *more;

	(void)state;
	assert_non_null(idx);
	more = geo_index_ref(idx);
	assert_ptr_equal(more, idx);
	geo_index_unref(idx);
	assert_int_equal(check_point(more, &points[2]), 0);
	geo_index_unref(more);
	assert_null(geo_index_ref(NULL));
}

struct worker {
	const struct geo_index *idx;
	int                     failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	size_t i, round;

	for (round = 0; round < 200; round++)
		for (i = 0; i < sizeof(points) / sizeof(points[0]); i++)
			if (check_point(w->idx, &points[i]) != 0)
				w->failures++;
	return NULL;
}

static void test_geo_threads(void **state)
{
	pthread_t t[8];
	struct worker w[8];
	size_t i;

	quiet = 1;
	for (i = 0; i < 8; i++) {
		w[i].idx = *state;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	quiet = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geo_points),
		cmocka_unit_test(test_geo_max),
		cmocka_unit_test(test_geo_empty_index),
		cmocka_unit_test(test_geo_refusals),
		cmocka_unit_test(test_geo_refs),
		cmocka_unit_test(test_geo_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
