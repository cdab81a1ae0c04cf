/*
 * races_import.c — the imports (see races_import.h).
 *
 * Each record is checked and turned into a json row here (the rules: valid
 * OCD ids, known levels and kinds, real dates, a filing window that closes
 * before the election, coordinates in range); rows are then written in
 * batches of RACES_IMPORT_BATCH by one writer job each, every row in a
 * nested savepoint, so a row the database refuses (an office in an unknown
 * division) is reported without undoing its neighbours.
 */
#include "domain/races_import.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <jansson.h>

#include "domain/ocd.h"
#include "lib/csv.h"
#include "lib/limits.h"
#include "store/store_audit.h"
#include "store/store_races.h"

#define RACES_IMPORT_BATCH 500

static const char *const import_names[] = {
	"divisions", "offices", "elections", "races", "zips", "boundaries",
};

static const char *const import_levels[] = {
	"school_board", "city_council", "county", "judicial", "state_legislature",
	"election_admin", "special_district", "other", NULL,
};
static const char *const import_kinds[] = {
	"general", "primary", "special", "municipal", "runoff", NULL,
};

int races_import_kind_parse(const char *name, enum races_import_kind *kind)
{
	size_t i;

	for (i = 0; i < sizeof(import_names) / sizeof(import_names[0]); i++)
		if (strcmp(name, import_names[i]) == 0) {
			*kind = (enum races_import_kind)i;
			return 0;
		}
	return -1;
}

/* ---- batches ---- */

struct import_batch {
	struct db                  *db;
	enum races_import_kind      kind;
	json_t                     *rows;   /* [{line, …fields}] */
	struct races_import_report *rep;
	long long                   at;
	int                         boundaries_changed;
};

struct import_row_job {
	enum races_import_kind kind;
	json_t                *row;
	long long              at;
};

static const char *jstr(json_t *row, const char *k)
{
	return json_string_value(json_object_get(row, k));
}

static long long jint(json_t *row, const char *k)
{
	return json_integer_value(json_object_get(row, k));
}

/* Writes one row (in its own nested savepoint). Returns >= 0, or < 0 with
 * the row's changes undone. 0 means "nothing to attach it to". */
static int import_row_job(struct db_conn *c, void *arg)
{
	struct import_row_job *j = arg;
	json_t *r = j->row;
	size_t len;
	int rc;

	switch (j->kind) {
	case RACES_IMPORT_DIVISIONS:
		rc = store_division_upsert(c, jstr(r, "id"), jstr(r, "name"), jstr(r, "type"),
		                           jstr(r, "parent"), jstr(r, "state"), j->at);
		return rc < 0 ? rc : 1;
	case RACES_IMPORT_OFFICES: {
		struct store_office o = {
			jstr(r, "code"), jstr(r, "name"), jstr(r, "level"), jstr(r, "division_id"),
			jint(r, "seats"), jint(r, "term_years"), jint(r, "partisan"), jint(r, "min_age"),
			jstr(r, "salary"), jstr(r, "residency"), jstr(r, "filing_requirements"),
		};
		rc = store_office_upsert(c, &o, j->at);
		return rc < 0 ? rc : 1;
	}
	case RACES_IMPORT_ELECTIONS: {
		struct store_election e = {
			jstr(r, "code"), jstr(r, "state"), jstr(r, "name"), jstr(r, "kind"),
			jint(r, "election_day"), jint(r, "filing_opens"), jint(r, "filing_closes"),
			jstr(r, "filing_where"), jstr(r, "filing_how"),
		};
		rc = store_election_upsert(c, &e, j->at);
		return rc < 0 ? rc : 1;
	}
	case RACES_IMPORT_RACES: {
		struct store_race x = {
			jstr(r, "office_code"), jstr(r, "election_code"), jstr(r, "incumbent"),
			jstr(r, "candidates"), jint(r, "candidate_count"), (int)jint(r, "uncontested_last"),
		};
		return store_race_upsert(c, &x, j->at);
	}
	case RACES_IMPORT_ZIPS:
		rc = store_zip_upsert(c, jstr(r, "zip"), jint(r, "lat_e6"), jint(r, "lon_e6"),
		                      jstr(r, "state"), j->at);
		return rc < 0 ? rc : 1;
	case RACES_IMPORT_BOUNDARIES: {
		unsigned char *wkb = NULL;
		const char *hex = jstr(r, "wkb_hex");

		len = hex ? strlen(hex) / 2 : 0;
		wkb = malloc(len ? len : 1);
		if (!wkb)
			return -1;
		for (size_t i = 0; i < len; i++) {
			unsigned v;

			sscanf(hex + 2 * i, "%2x", &v);
			wkb[i] = (unsigned char)v;
		}
		rc = store_division_set_boundary(c, jstr(r, "id"), wkb, len, j->at);
		free(wkb);
		return rc;
	}
	}
	return -1;
}

static void import_error(struct races_import_report *rep, long long line, const char *why)
{
	rep->failed++;
	if (rep->on_error)
		rep->on_error(rep->arg, line, why);
}

static int import_batch_job(struct db_conn *c, void *arg)
{
	struct import_batch *b = arg;
	struct import_row_job j;
	json_t *row, *after;
	size_t i;
	long long done = 0;
	int rc;

	/* counts are redone if the whole job is retried */
	json_array_foreach(b->rows, i, row)
		json_object_del(row, "result");
	json_array_foreach(b->rows, i, row) {
		j.kind = b->kind;
		j.row = row;
		j.at = b->at;
		rc = store_races_write(b->db, import_row_job, &j);
		json_object_set_new(row, "result", json_integer(rc));
		if (rc > 0)
			done++;
	}
	if (b->kind == RACES_IMPORT_BOUNDARIES && done > 0 && (rc = store_boundaries_bump(c)) < 0)
		return rc;
	after = json_pack("{s:s, s:I}", "kind", import_names[b->kind], "rows", (json_int_t)done);
	rc = store_audit_append(c, 0, "races.import", "races", 0, NULL, after);
	json_decref(after);
	return rc < 0 ? rc : 0;
}

/* Writes the batch and reports its rows. Returns 0 or -1 (database). */
static int import_flush(struct import_batch *b, char *err, size_t errlen)
{
	json_t *row;
	size_t i;
	int rc;

	if (json_array_size(b->rows) == 0)
		return 0;
	b->at = (long long)time(NULL);
	rc = store_races_write(b->db, import_batch_job, b);
	if (rc < 0) {
		snprintf(err, errlen, "the database refused the batch (error %d)", rc);
		return -1;
	}
	json_array_foreach(b->rows, i, row) {
		long long res = jint(row, "result"), line = jint(row, "line");

		if (res > 0) {
			b->rep->imported++;
		} else if (res == 0) {
			import_error(b->rep, line, b->kind == RACES_IMPORT_RACES
			             ? "unknown office_code or election_code (import offices and elections first)"
			             : "unknown division (import divisions first)");
		} else {
			import_error(b->rep, line, b->kind == RACES_IMPORT_OFFICES
			             ? "the database refused the row: is division_id imported?"
			             : "the database refused the row");
		}
	}
	json_array_clear(b->rows);
	return 0;
}

/* ---- checking values ---- */

/* Trims spaces in place; returns s. */
static char *import_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int import_one_of(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(v, *list) == 0)
			return 1;
	return 0;
}

/* "YYYY-MM-DD" to the epoch second of its 00:00 UTC. Returns 0 or -1. */
static int import_date(const char *s, long long *out)
{
	struct tm tm = { 0 };
	int y, m, d;
	char tail;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || strlen(s) != 10)
		return -1;
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	if (tm.tm_mday != d || tm.tm_mon != m - 1)  /* 2026-02-31 */
		return -1;
	*out = (long long)t;
	return 0;
}

static int import_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno || !*s || *end || *out < lo || *out > hi) ? -1 : 0;
}

static int import_bool(const char *s, long long *out)
{
	if (!*s || !strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no")) {
		*out = 0;
		return 0;
	}
	if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes")) {
		*out = 1;
		return 0;
	}
	return -1;
}

/* Degrees as text to millionths. */
static int import_degrees(const char *s, double limit, long long *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || !*s || *end || !isfinite(v) || fabs(v) > limit)
		return -1;
	*out = llround(v * 1e6);
	return 0;
}

/* The columns of each CSV kind: name, required. */
struct import_col {
	const char *name;
	int         required;
};
static const struct import_col cols_offices[] = {
	{ "code", 1 }, { "name", 1 }, { "level", 1 }, { "division_id", 1 }, { "seats", 0 },
	{ "term_years", 0 }, { "salary", 0 }, { "partisan", 0 }, { "min_age", 0 },
	{ "residency", 0 }, { "filing_requirements", 0 }, { NULL, 0 },
};
static const struct import_col cols_elections[] = {
	{ "code", 1 }, { "state", 1 }, { "name", 1 }, { "kind", 1 }, { "election_day", 1 },
	{ "filing_opens", 1 }, { "filing_closes", 1 }, { "filing_where", 0 }, { "filing_how", 0 },
	{ NULL, 0 },
};
static const struct import_col cols_races[] = {
	{ "office_code", 1 }, { "election_code", 1 }, { "incumbent", 0 }, { "candidates", 0 },
	{ "uncontested_last", 0 }, { NULL, 0 },
};
static const struct import_col cols_zips[] = {
	{ "zip", 1 }, { "lat", 1 }, { "lon", 1 }, { "state", 0 }, { NULL, 0 },
};
static const struct import_col cols_divisions[] = {
	{ "id", 1 }, { "name", 1 }, { NULL, 0 },
};

static const struct import_col *import_cols(enum races_import_kind k)
{
	switch (k) {
	case RACES_IMPORT_DIVISIONS: return cols_divisions;
	case RACES_IMPORT_OFFICES:   return cols_offices;
	case RACES_IMPORT_ELECTIONS: return cols_elections;
	case RACES_IMPORT_RACES:     return cols_races;
	case RACES_IMPORT_ZIPS:      return cols_zips;
	default:                     return NULL;
	}
}

/* Header aliases a common source uses. */
static const char *import_alias(const char *h)
{
	if (!strcmp(h, "zcta") || !strcmp(h, "zipcode") || !strcmp(h, "zip_code")) return "zip";
	if (!strcmp(h, "latitude")) return "lat";
	if (!strcmp(h, "longitude") || !strcmp(h, "lng")) return "lon";
	return h;
}

/* A json string, or null for "". */
static json_t *import_text(const char *v)
{
	return *v ? json_string(v) : json_null();
}

/* Checks one record; returns a row, or NULL with *why. */
static json_t *import_check(enum races_import_kind k, const char **v, const char **why)
{
	struct ocd_id id;
	long long a, b2, c2, n;
	char type[64], parent[OCD_ID_MAX + 1], state[8];
	json_t *row = json_object();

	*why = "out of memory";
	if (!row)
		return NULL;
#define SET_S(key, val) json_object_set_new(row, key, import_text(val))
#define SET_I(key, val) json_object_set_new(row, key, json_integer(val))
	switch (k) {
	case RACES_IMPORT_DIVISIONS:
		if (ocd_parse(v[0], &id, why) < 0)
			goto bad;
		if (!*v[1]) {
			*why = "the name is empty";
			goto bad;
		}
		ocd_type(&id, type, sizeof(type));
		ocd_parent(&id, parent, sizeof(parent));
		ocd_state(&id, state, sizeof(state));
		SET_S("id", v[0]); SET_S("name", v[1]); SET_S("type", type);
		SET_S("parent", parent); SET_S("state", state);
		break;
	case RACES_IMPORT_OFFICES:
		if (!ocd_valid(v[3])) {
			*why = "division_id is not a valid OCD division id";
			goto bad;
		}
		if (!import_one_of(v[2], import_levels)) {
			*why = "level must be school_board, city_council, county, judicial, state_legislature, election_admin, special_district or other";
			goto bad;
		}
		if (import_int(*v[4] ? v[4] : "1", 1, 1000, &a) < 0) {
			*why = "seats must be a whole number from 1";
			goto bad;
		}
		if (import_int(*v[5] ? v[5] : "0", 0, 100, &b2) < 0) {
			*why = "term_years must be a whole number";
			goto bad;
		}
		if (import_bool(v[7], &c2) < 0) {
			*why = "partisan must be yes or no";
			goto bad;
		}
		if (import_int(*v[8] ? v[8] : "18", 16, 99, &n) < 0) {
			*why = "min_age must be a whole number from 16 to 99";
			goto bad;
		}
		SET_S("code", v[0]); SET_S("name", v[1]); SET_S("level", v[2]);
		SET_S("division_id", v[3]); SET_I("seats", a); SET_I("term_years", b2);
		SET_S("salary", v[6]); SET_I("partisan", c2); SET_I("min_age", n);
		SET_S("residency", v[9]); SET_S("filing_requirements", v[10]);
		break;
	case RACES_IMPORT_ELECTIONS:
		if (strlen(v[1]) != 2 || !islower((unsigned char)v[1][0]) ||
		    !islower((unsigned char)v[1][1])) {
			*why = "state must be a two-letter lowercase code (va)";
			goto bad;
		}
		if (!import_one_of(v[3], import_kinds)) {
			*why = "kind must be general, primary, special, municipal or runoff";
			goto bad;
		}
		if (import_date(v[4], &a) < 0 || import_date(v[5], &b2) < 0 ||
		    import_date(v[6], &c2) < 0) {
			*why = "dates must be real dates written YYYY-MM-DD";
			goto bad;
		}
		if (b2 > c2 || c2 > a) {
			*why = "the filing window must open before it closes, and close before the election";
			goto bad;
		}
		SET_S("code", v[0]); SET_S("state", v[1]); SET_S("name", v[2]); SET_S("kind", v[3]);
		SET_I("election_day", a); SET_I("filing_opens", b2); SET_I("filing_closes", c2);
		SET_S("filing_where", v[7]); SET_S("filing_how", v[8]);
		break;
	case RACES_IMPORT_RACES: {
		const char *p;

		if (import_bool(v[4], &a) < 0) {
			*why = "uncontested_last must be yes or no";
			goto bad;
		}
		n = 0;
		for (p = v[3]; *p; p++)
			if (*p == ';')
				n++;
		if (*v[3])
			n++;
		SET_S("office_code", v[0]); SET_S("election_code", v[1]); SET_S("incumbent", v[2]);
		SET_S("candidates", v[3]); SET_I("candidate_count", n); SET_I("uncontested_last", a);
		break;
	}
	case RACES_IMPORT_ZIPS:
		if (strlen(v[0]) != 5 || strspn(v[0], "0123456789") != 5) {
			*why = "zip must be five digits";
			goto bad;
		}
		if (import_degrees(v[1], 90, &a) < 0 || import_degrees(v[2], 180, &b2) < 0) {
			*why = "lat and lon must be decimal degrees in range";
			goto bad;
		}
		SET_S("zip", v[0]); SET_I("lat_e6", a); SET_I("lon_e6", b2); SET_S("state", v[3]);
		break;
	default:
		goto bad;
	}
#undef SET_S
#undef SET_I
	return row;
bad:
	json_decref(row);
	return NULL;
}

int races_import_csv(struct db *db, enum races_import_kind kind, const char *path,
                     struct races_import_report *rep, char *err, size_t errlen)
{
	const struct import_col *cols = import_cols(kind);
	struct csv_reader *r = NULL;
	struct import_batch b = { 0 };
	int map[LIMIT_IMPORT_FIELDS];
	const char *v[LIMIT_IMPORT_FIELDS], *why;
	struct stat st;
	FILE *f = NULL;
	json_t *row;
	size_t ncols = 0, i, k;
	int rc = -1, got, header = 1;

	if (!cols) {
		snprintf(err, errlen, "not a CSV import");
		return -1;
	}
	while (cols[ncols].name)
		ncols++;
	f = fopen(path, "r");
	if (!f || fstat(fileno(f), &st) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto done;
	}
	r = malloc(sizeof(*r));
	b.rows = json_array();
	if (!r || !b.rows) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	b.db = db;
	b.kind = kind;
	b.rep = rep;
	csv_init(r, f);
	for (;;) {
		got = csv_next(r, &why);
		if (got == 0)
			break;
		if (got == -2) {
			snprintf(err, errlen, "reading %s failed", path);
			goto done;
		}
		if (got == -1) {
			if (header) {
				snprintf(err, errlen, "line %lld: %s", r->line, why);
				goto done;
			}
			rep->rows++;
			import_error(rep, r->line, why);
			continue;
		}
		if (header) {
			/* map each wanted column to its position in the header */
			for (k = 0; k < ncols; k++) {
				map[k] = -1;
				for (i = 0; i < r->nfields; i++)
					if (strcmp(import_alias(import_trim((char *)r->fields[i])),
					           cols[k].name) == 0)
						map[k] = (int)i;
				if (map[k] < 0 && cols[k].required) {
					snprintf(err, errlen, "line 1: the header has no column \"%s\"",
					         cols[k].name);
					goto done;
				}
			}
			header = 0;
			continue;
		}
		if (r->nfields == 1 && r->fields[0][0] == '\0')
			continue;  /* a blank line */
		rep->rows++;
		for (k = 0; k < ncols; k++)
			v[k] = map[k] >= 0 && (size_t)map[k] < r->nfields
			       ? import_trim((char *)r->fields[map[k]]) : "";
		why = NULL;
		for (k = 0; k < ncols; k++)
			if (cols[k].required && !*v[k]) {
				why = "a required field is empty";
				break;
			}
		row = why ? NULL : import_check(kind, v, &why);
		if (!row) {
			import_error(rep, r->line, why);
			continue;
		}
		json_object_set_new(row, "line", json_integer(r->line));
		json_array_append_new(b.rows, row);
		if (json_array_size(b.rows) >= RACES_IMPORT_BATCH) {
			if (import_flush(&b, err, errlen) < 0)
				goto done;
			if (rep->on_progress && st.st_size > 0)
				rep->on_progress(rep->arg, (double)ftell(f) / (double)st.st_size);
		}
	}
	if (header) {
		snprintf(err, errlen, "%s is empty (a header row is needed)", path);
		goto done;
	}
	if (import_flush(&b, err, errlen) < 0)
		goto done;
	if (rep->on_progress)
		rep->on_progress(rep->arg, 1.0);
	rc = 0;
done:
	json_decref(b.rows);
	free(r);
	if (f)
		fclose(f);
	return rc;
}

/* ---- boundaries through GDAL/OGR ---- */

static void import_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int races_import_boundaries(struct db *db, const char *path, const char *field,
                            const char *prefix, struct races_import_report *rep, char *err,
                            size_t errlen)
{
	struct import_batch b = { 0 };
	GDALDatasetH ds = NULL;
	OGRLayerH layer;
	OGRFeatureH feat;
	OGRSpatialReferenceH wgs = NULL, src;
	OGRCoordinateTransformationH ct = NULL;
	OGRGeometryH g;
	char name[1200], idbuf[OCD_ID_MAX + 1], *hex;
	unsigned char *wkb;
	long long n = 0, total;
	int fidx, rc = -1, size;
	const char *val;
	json_t *row;
	size_t i;

	if (!field || !*field)
		field = "ocd_id";
	GDALAllRegister();
	snprintf(name, sizeof(name), "%s%s",
	         strlen(path) > 4 && strcmp(path + strlen(path) - 4, ".zip") == 0 ? "/vsizip/" : "",
	         path);
	ds = GDALOpenEx(name, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
	if (!ds || GDALDatasetGetLayerCount(ds) < 1) {
		snprintf(err, errlen, "cannot read %s as a shapefile, GeoJSON or GeoPackage", path);
		goto done;
	}
	layer = GDALDatasetGetLayer(ds, 0);
	fidx = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), field);
	if (fidx < 0) {
		snprintf(err, errlen, "the layer has no attribute \"%s\" (use --field)", field);
		goto done;
	}
	src = OGR_L_GetSpatialRef(layer);
	wgs = OSRNewSpatialReference(NULL);
	if (!wgs || OSRImportFromEPSG(wgs, 4326) != OGRERR_NONE) {
		snprintf(err, errlen, "the lon/lat reference system is unavailable");
		goto done;
	}
	OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
	if (src && !OSRIsSame(src, wgs)) {
		ct = OCTNewCoordinateTransformation(src, wgs);
		if (!ct) {
			snprintf(err, errlen, "cannot reproject the layer to lon/lat");
			goto done;
		}
	}
	total = OGR_L_GetFeatureCount(layer, 1);
	b.rows = json_array();
	if (!b.rows)
		goto done;
	b.db = db;
	b.kind = RACES_IMPORT_BOUNDARIES;
	b.rep = rep;
	OGR_L_ResetReading(layer);
	while ((feat = OGR_L_GetNextFeature(layer)) != NULL) {
		n++;
		rep->rows++;
		val = OGR_F_IsFieldSetAndNotNull(feat, fidx) ? OGR_F_GetFieldAsString(feat, fidx) : "";
		snprintf(idbuf, sizeof(idbuf), "%s%s", prefix ? prefix : "", val);
		for (i = 0; idbuf[i]; i++)
			idbuf[i] = (char)tolower((unsigned char)idbuf[i]);
		g = OGR_F_GetGeometryRef(feat);
		if (!*val) {
			import_error(rep, n, "the feature has no division id");
		} else if (!ocd_valid(idbuf)) {
			import_error(rep, n, "the feature's division id is not a valid OCD id");
		} else if (!g || (wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPolygon &&
		                  wkbFlatten(OGR_G_GetGeometryType(g)) != wkbMultiPolygon)) {
			import_error(rep, n, "the feature is not a polygon or multipolygon");
		} else if (ct && OGR_G_Transform(g, ct) != OGRERR_NONE) {
			import_error(rep, n, "the feature could not be reprojected");
		} else {
			OGR_G_FlattenTo2D(g);
			size = OGR_G_WkbSize(g);
			if (size <= 0 || size > LIMIT_BOUNDARY_WKB) {
				import_error(rep, n, "the boundary is too large");
			} else {
				wkb = malloc((size_t)size);
				hex = malloc((size_t)size * 2 + 1);
				if (!wkb || !hex || OGR_G_ExportToWkb(g, wkbNDR, wkb) != OGRERR_NONE) {
					import_error(rep, n, "the boundary could not be converted");
				} else {
					import_hex(wkb, (size_t)size, hex);
					row = json_pack("{s:I, s:s, s:s}", "line", (json_int_t)n, "id", idbuf,
					                "wkb_hex", hex);
					if (row)
						json_array_append_new(b.rows, row);
				}
				free(wkb);
				free(hex);
			}
		}
		OGR_F_Destroy(feat);
		if (json_array_size(b.rows) >= 100) {
			if (import_flush(&b, err, errlen) < 0)
				goto done;
			if (rep->on_progress && total > 0)
				rep->on_progress(rep->arg, (double)n / (double)total);
		}
	}
	if (import_flush(&b, err, errlen) < 0)
		goto done;
	if (rep->on_progress)
		rep->on_progress(rep->arg, 1.0);
	rc = 0;
done:
	json_decref(b.rows);
	if (ct)
		OCTDestroyCoordinateTransformation(ct);
	if (wgs)
		OSRDestroySpatialReference(wgs);
	if (ds)
		GDALClose(ds);
	return rc;
}
