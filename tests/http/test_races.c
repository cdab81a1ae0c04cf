/*
 * test_races.c — the race finder end to end against the real server:
 *
 *  - data arrives through the command line (`onramp import` of divisions,
 *    boundaries as GeoJSON through GDAL, offices, elections, races, ZIP
 *    centroids) while the server runs; the server notices the new
 *    boundaries and rebuilds its index; importing again changes nothing,
 *    a bad row is reported with its line and skipped;
 *  - GET /races by ZIP (approximate, said so), by address through a stub
 *    geocoder of this test's own on loopback (ONRAMP_GEOCODER_URL) — a
 *    point inside, on a shared edge, outside every boundary, no match,
 *    the geocoder failing or too slow — soonest deadline first, closed
 *    filing windows left out;
 *  - a target seat creates the recruiter's deadline tasks and the reminder
 *    mail once: setting it again, or another seat and back, duplicates
 *    nothing;
 *  - the state and person iCalendar feeds parse (CRLF, folded at 75
 *    octets, balanced BEGIN/END, UID/DTSTAMP/DTSTART in every event);
 *  - the staff coverage page, map and call list.
 *
 * The made-up map (lon/lat squares, real-looking Virginia ids):
 *   state:va        -80..-76, 36..39
 *   county:henrico  -78..-77, 37..38
 *   place:richmond  -77.6..-77.3, 37.4..37.7   (inside henrico)
 *   sldl:68         -77.6..-77.45, 37.4..37.7  (west part of richmond)
 *   county:fairfax  -77.5..-77, 38.6..39
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define VA "ocd-division/country:us/state:va"

static struct server *srv;

/* ---- the stub geocoder ---- */

static struct {
	int             fd;
	int             port;
	pthread_t       thread;
	int             stop;
	pthread_mutex_t mu;
	char            last_target[1024];  /* the last request's path and query */
	int             requests;
} geo = { .fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER };

static void geo_answer(int c, int status, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	                 status, strlen(body));

	if (write(c, head, (size_t)n) < 0 || write(c, body, strlen(body)) < 0)
		return;
}

static void geo_match(int c, double lon, double lat, const char *matched)
{
	char body[512];

	snprintf(body, sizeof(body),
	         "{\"result\":{\"input\":{},\"addressMatches\":[{\"matchedAddress\":\"%s\","
	         "\"coordinates\":{\"x\":%.6f,\"y\":%.6f}}]}}", matched, lon, lat);
	geo_answer(c, 200, body);
}

static void *geo_serve(void *arg)
{
	char req[4096], *sp, *end;
	struct pollfd p;
	ssize_t n;
	int c;

	(void)arg;
	while (!geo.stop) {
		p.fd = geo.fd;
		p.events = POLLIN;
		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept(geo.fd, NULL, NULL);
		if (c < 0)
			continue;
		n = read(c, req, sizeof(req) - 1);
		if (n <= 0) {
			close(c);
			continue;
		}
		req[n] = '\0';
		sp = strchr(req, ' ');
		end = sp ? strchr(sp + 1, ' ') : NULL;
		pthread_mutex_lock(&geo.mu);
		geo.requests++;
		if (sp && end)
			snprintf(geo.last_target, sizeof(geo.last_target), "%.*s", (int)(end - sp - 1),
			         sp + 1);
		pthread_mutex_unlock(&geo.mu);
		if (strstr(req, "Legislative"))
			geo_match(c, -77.50, 37.55, "900 E BROAD ST, RICHMOND, VA, 23219");
		else if (strstr(req, "Edge"))       /* on the line between sldl:68 and the rest */
			geo_match(c, -77.45, 37.55, "1 EDGE ST, RICHMOND, VA, 23219");
		else if (strstr(req, "Outside"))
			geo_match(c, 2.35, 48.85, "PARIS");
		else if (strstr(req, "Broken"))
			geo_answer(c, 500, "{}");
		else if (strstr(req, "Garbled"))
			geo_answer(c, 200, "<html>not json</html>");
		else if (strstr(req, "Slow"))
			sleep(5);  /* beyond the client's 3 s limit */
		else
			geo_answer(c, 200, "{\"result\":{\"addressMatches\":[]}}");
		close(c);
	}
	return NULL;
}

static int geo_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	geo.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (geo.fd < 0 || bind(geo.fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(geo.fd, 16) < 0 || getsockname(geo.fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	geo.port = ntohs(a.sin_port);
	return pthread_create(&geo.thread, NULL, geo_serve, NULL) == 0 ? 0 : -1;
}

static void geo_stop(void)
{
	geo.stop = 1;
	pthread_join(geo.thread, NULL);
	close(geo.fd);
}

/* ---- fixtures ---- */

static char day_text[8][32];  /* YYYY-MM-DD of today + offsets below */
static const int day_offsets[8] = { -10, -1, 20, 30, 60, 200, 0, 0 };
enum { D_OPENED = 0, D_YESTERDAY, D_SOON, D_MONTH, D_LATER, D_ELECTION };

static void make_days(void)
{
	time_t now = time(NULL), t;
	struct tm tm;
	int i;

	for (i = 0; i < 6; i++) {
		t = now + (time_t)day_offsets[i] * 86400;
		gmtime_r(&t, &tm);
		strftime(day_text[i], sizeof(day_text[i]), "%Y-%m-%d", &tm);
	}
}

static void write_file(const char *name, const char *text, char *path, size_t pathlen)
{
	FILE *f;
	int n = snprintf(path, pathlen, "%s/%s", srv->dir, name);

	assert_true(n > 0 && (size_t)n < pathlen);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static const char divisions_csv[] =
	"id,name\n"
	VA ",Virginia\n"
	VA "/county:henrico,Henrico County\n"
	VA "/place:richmond,Richmond city\n"
	VA "/sldl:68,Virginia State House district 68\n"
	VA "/county:fairfax,Fairfax County\n";

#define SQUARE(x0, y0, x1, y1) \
	"[[[" #x0 "," #y0 "],[" #x1 "," #y0 "],[" #x1 "," #y1 "],[" #x0 "," #y1 "],[" #x0 "," #y0 "]]]"
#define FEATURE(id, coords) \
	"{\"type\":\"Feature\",\"properties\":{\"ocd_id\":\"" id "\"}," \
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":" coords "}}"

static const char boundaries_geojson[] =
	"{\"type\":\"FeatureCollection\",\"features\":["
	FEATURE(VA, SQUARE(-80, 36, -76, 39)) ","
	FEATURE(VA "/county:henrico", SQUARE(-78, 37, -77, 38)) ","
	FEATURE(VA "/place:richmond", SQUARE(-77.6, 37.4, -77.3, 37.7)) ","
	FEATURE(VA "/sldl:68", SQUARE(-77.6, 37.4, -77.45, 37.7)) ","
	FEATURE(VA "/county:fairfax", SQUARE(-77.5, 38.6, -77, 39)) ","
	/* not a division we know: reported, skipped */
	FEATURE(VA "/county:atlantis", SQUARE(-70, 30, -69, 31))
	"]}";

static const char offices_csv[] =
	"code,name,level,division_id,seats,term_years,salary,partisan,min_age,residency,filing_requirements\n"
	"ric-sb-1,\"Richmond School Board, District 1\",school_board," VA "/place:richmond,1,4,"
	"\"$10,000 a year\",no,18,Live in the district,125 signatures\n"
	"hen-bos,Henrico Board of Supervisors,county," VA "/county:henrico,5,4,,no,18,,\n"
	"ric-cc,Richmond City Council,city_council," VA "/place:richmond,1,4,,no,18,,\n"
	"hod-68,House of Delegates District 68,state_legislature," VA "/sldl:68,1,2,,yes,21,,\n"
	"ffx-sb,Fairfax School Board,school_board," VA "/county:fairfax,12,4,,no,18,,\n";

static char elections_csv[1024], races_csv[512];

static void make_csvs(void)
{
	snprintf(elections_csv, sizeof(elections_csv),
	         "code,state,name,kind,election_day,filing_opens,filing_closes,filing_where,filing_how\n"
	         "va-gen,va,Virginia general election,general,%s,%s,%s,\"Office of elections, Richmond\",In person or by mail\n"
	         "va-spec,va,Virginia special election,special,%s,%s,%s,,\n"
	         "va-shut,va,Virginia closed filing,special,%s,%s,%s,,\n",
	         day_text[D_ELECTION], day_text[D_OPENED], day_text[D_LATER],
	         day_text[D_ELECTION], day_text[D_OPENED], day_text[D_SOON],
	         day_text[D_MONTH], day_text[D_OPENED], day_text[D_YESTERDAY]);
	snprintf(races_csv, sizeof(races_csv),
	         "office_code,election_code,incumbent,candidates,uncontested_last\n"
	         "ric-sb-1,va-gen,Pat Incumbent,Pat Incumbent,yes\n"
	         "hen-bos,va-spec,,,no\n"
	         "ric-cc,va-shut,,,no\n"
	         "hod-68,va-gen,,A; B,no\n"
	         "ffx-sb,va-gen,,,no\n");
}

static const char zips_csv[] =
	"zip,lat,lon,state\n"
	"23219,37.5407,-77.4360,va\n"   /* richmond, outside sldl:68 */
	"22030,38.8462,-77.3064,va\n";  /* fairfax */

static struct cli_result cli;

static void import(const char *kind, const char *path, int want_status)
{
	const char *argv[] = { "import", kind, path, NULL };

	harness_cli(srv, NULL, NULL, &cli, argv);
	if (cli.status != want_status)
		fprintf(stderr, "# import %s: status %d\n# out: %s\n# err: %s\n", kind, cli.status,
		        cli.out, cli.err);
	assert_int_equal(cli.status, want_status);
}

static long long race_id(const char *office_code)
{
	return harness_db_int(srv, "SELECT r.id FROM races r JOIN offices o ON o.id = r.office_id"
	                           " WHERE o.code = ?1", office_code);
}

/* Waits (up to 15 s) until the server's index finds ZIP 23219's races. */
static void wait_for_index(void)
{
	struct client *c = client_new(srv);
	int i;

	for (i = 0; i < 150; i++) {
		client_get(c, "/races?zip=23219");
		if (client_status(c) == 200 && strstr(client_body(c), "Richmond School Board"))
			break;
		usleep(100 * 1000);
	}
	assert_true(i < 150);
	client_free(c);
}

static int setup(void **state)
{
	static char geourl[128];
	struct harness_opts o = { 0 };
	char path[H_PATH_MAX];

	(void)state;
	if (geo_start() < 0)
		return -1;
	snprintf(geourl, sizeof(geourl),
	         "ONRAMP_GEOCODER_URL=http://127.0.0.1:%d/geocoder/locations/onelineaddress",
	         geo.port);
	o.extra_env[0] = geourl;
	srv = harness_start(&o);
	if (!srv)
		return -1;
	make_days();
	make_csvs();
	/* the whole import, in dependency order, while the server runs */
	write_file("divisions.csv", divisions_csv, path, sizeof(path));
	import("divisions", path, 0);
	write_file("boundaries.geojson", boundaries_geojson, path, sizeof(path));
	import("boundaries", path, 1);  /* atlantis is unknown: reported */
	write_file("offices.csv", offices_csv, path, sizeof(path));
	import("offices", path, 0);
	write_file("elections.csv", elections_csv, path, sizeof(path));
	import("elections", path, 0);
	write_file("races.csv", races_csv, path, sizeof(path));
	import("races", path, 0);
	write_file("zips.csv", zips_csv, path, sizeof(path));
	import("zips", path, 0);
	return 0;
}

static int teardown(void **state)
{
	int rc;

	(void)state;
	rc = harness_stop(srv);
	srv = NULL;
	geo_stop();
	return rc;
}

/* ---- imports ---- */

static void test_import_counts_and_idempotence(void **state)
{
	char path[H_PATH_MAX];

	(void)state;
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM divisions", NULL), 5);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM divisions"
	                                     " WHERE boundary IS NOT NULL", NULL), 5);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM offices", NULL), 5);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM elections", NULL), 3);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM races", NULL), 5);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM zip_centroids", NULL), 2);
	/* the derived columns of a division */
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM divisions WHERE id = ?1"
	                                     " AND type = 'sldl' AND state = 'va'"
	                                     " AND parent_id = '" VA "'", VA "/sldl:68"), 1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM divisions WHERE id = ?1"
	                                     " AND parent_id IS NULL AND state = 'va'", VA), 0);
	/* CSV text with quotes and commas arrives whole */
	char text[128];
	assert_int_equal(harness_db_text(srv, "SELECT salary FROM offices WHERE code = ?1",
	                                 "ric-sb-1", text, sizeof(text)), 0);
	assert_string_equal(text, "$10,000 a year");

	/* again: same rows, nothing duplicated */
	write_file("offices.csv", offices_csv, path, sizeof(path));
	import("offices", path, 0);
	assert_non_null(strstr(cli.out, "imported 5 of 5"));
	write_file("races.csv", races_csv, path, sizeof(path));
	import("races", path, 0);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM offices", NULL), 5);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM races", NULL), 5);
}

static void test_import_bad_rows(void **state)
{
	char path[H_PATH_MAX];

	(void)state;
	write_file("bad_offices.csv",
	           "code,name,level,division_id\n"
	           "ok-1,Fine Office,county," VA "/county:henrico\n"
	           "bad-1,Unknown Division,county," VA "/county:nowhere\n"
	           "bad-2,Bad Level,mayor," VA "/county:henrico\n"
	           "bad-3,Bad Id,county,ocd-division/country:US\n"
	           "bad-4,\"never closed,county\n",
	           path, sizeof(path));
	import("offices", path, 1);
	/* each bad row by its line, the good one kept */
	assert_non_null(strstr(cli.err, "bad_offices.csv:3:"));
	assert_non_null(strstr(cli.err, "bad_offices.csv:4:"));
	assert_non_null(strstr(cli.err, "bad_offices.csv:5:"));
	assert_non_null(strstr(cli.err, "bad_offices.csv:6:"));
	assert_null(strstr(cli.err, "bad_offices.csv:2:"));
	assert_non_null(strstr(cli.out, "imported 1 of 5"));
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM offices WHERE code = ?1",
	                                "ok-1"), 1);
	assert_int_equal(harness_db_int(srv, "SELECT count(*) FROM offices WHERE code LIKE 'bad-%'",
	                                NULL), 0);
	/* an election whose filing closes after election day */
	write_file("bad_elections.csv",
	           "code,state,name,kind,election_day,filing_opens,filing_closes\n"
	           "x,va,Backwards,general,2027-01-01,2026-12-01,2027-02-01\n"
	           "y,va,No such day,general,2027-02-31,2026-12-01,2027-01-01\n",
	           path, sizeof(path));
	import("elections", path, 1);
	assert_non_null(strstr(cli.err, "filing window"));
	assert_non_null(strstr(cli.err, "real dates"));
	/* a missing column is an error for the whole file */
	write_file("no_column.csv", "zip,lat\n23219,37.5\n", path, sizeof(path));
	import("zips", path, 1);
	assert_non_null(strstr(cli.err, "lon"));
	/* a usage error */
	const char *argv[] = { "import", "planets", path, NULL };
	assert_int_equal(harness_cli(srv, NULL, NULL, &cli, argv), 2);
}

/* ---- the public page ---- */

/* Position of needle in the body, or -1. */
static long body_pos(struct client *c, const char *needle)
{
	const char *p = strstr(client_body(c), needle);

	return p ? (long)(p - client_body(c)) : -1;
}

static void test_find_by_zip(void **state)
{
	struct client *c = client_new(srv);
	char path[64];

	(void)state;
	wait_for_index();
	client_get(c, "/races?zip=23219");
	H_ASSERT_STATUS(c, 200);
	/* approximate, and said so */
	assert_true(body_pos(c, "id=\"approximate\"") >= 0);
	/* richmond's and henrico's races; henrico's filing closes first */
	assert_true(body_pos(c, "Henrico Board of Supervisors") >= 0);
	assert_true(body_pos(c, "Henrico Board of Supervisors") <
	            body_pos(c, "Richmond School Board, District 1"));
	assert_true(body_pos(c, "Filing closes in 20 days") >= 0);
	/* escaped, requirements and pay shown */
	assert_true(body_pos(c, "$10,000 a year") >= 0);
	assert_true(body_pos(c, "At least 18 years old; Live in the district; 125 signatures") >= 0);
	/* not the delegate (the ZIP's centre is outside sldl:68), not fairfax,
	 * not the race whose filing closed yesterday */
	assert_int_equal(body_pos(c, "House of Delegates"), -1);
	assert_int_equal(body_pos(c, "Fairfax"), -1);
	assert_int_equal(body_pos(c, "Richmond City Council"), -1);
	/* the "I'm interested" link carries the race into the signup form */
	snprintf(path, sizeof(path), "/signup?race=%lld", race_id("ric-sb-1"));
	assert_true(body_pos(c, path) >= 0);
	assert_true(body_pos(c, "/races/calendar?state=va") >= 0);

	client_get(c, "/races?zip=22030");
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "Fairfax School Board") >= 0);
	assert_int_equal(body_pos(c, "Henrico"), -1);

	/* a ZIP we have no centre for; a malformed one */
	client_get(c, "/races?zip=99999");
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "We don&#39;t know that ZIP code yet") >= 0 ||
	            body_pos(c, "We don&#x27;t know that ZIP code yet") >= 0 ||
	            body_pos(c, "We don't know that ZIP code yet") >= 0);
	client_get(c, "/races?zip=2321");
	H_ASSERT_STATUS(c, 422);
	/* the form alone, before a search */
	client_get(c, "/races");
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "name=\"zip\"") >= 0);
	assert_int_equal(body_pos(c, "results-title"), -1);
	client_free(c);
}

static void test_find_by_address(void **state)
{
	struct client *c = client_new(srv);
	char target[1024];

	(void)state;
	wait_for_index();
	client_get(c, "/races?address=900+E+Legislative+St%2C+Richmond");
	H_ASSERT_STATUS(c, 200);
	/* the address was passed on, encoded */
	pthread_mutex_lock(&geo.mu);
	snprintf(target, sizeof(target), "%s", geo.last_target);
	pthread_mutex_unlock(&geo.mu);
	assert_non_null(strstr(target, "/geocoder/locations/onelineaddress?address=900%20E%20Legislative%20St%2C%20Richmond"));
	assert_non_null(strstr(target, "format=json"));
	/* exact: the point is in sldl:68 */
	assert_int_equal(body_pos(c, "id=\"approximate\""), -1);
	assert_true(body_pos(c, "Showing results for 900 E BROAD ST, RICHMOND, VA, 23219") >= 0);
	assert_true(body_pos(c, "House of Delegates District 68") >= 0);
	assert_true(body_pos(c, "Richmond School Board") >= 0);
	assert_true(body_pos(c, "Henrico Board of Supervisors") >= 0);

	/* a point on the edge of sldl:68 belongs to it */
	client_get(c, "/races?address=1+Edge+St");
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "House of Delegates District 68") >= 0);

	/* outside every boundary */
	client_get(c, "/races?address=1+Outside+Rd");
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "outside the areas we have maps for") >= 0);
	assert_int_equal(body_pos(c, "race-list\">\n<li"), -1);

	/* no match; no match but a ZIP (falls back, approximate) */
	client_get(c, "/races?address=1+Nowhere+Ln");
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "find that address") >= 0);
	client_get(c, "/races?address=1+Nowhere+Ln&zip=23219");
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "find that address") >= 0);
	assert_true(body_pos(c, "id=\"approximate\"") >= 0);
	assert_true(body_pos(c, "Richmond School Board") >= 0);

	/* the geocoder failing, answering nonsense, too slow: the page still
	 * answers, says address search is unavailable, and uses the ZIP */
	client_get(c, "/races?address=Broken&zip=23219");
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "Address search is unavailable") >= 0);
	assert_true(body_pos(c, "Richmond School Board") >= 0);
	client_get(c, "/races?address=Garbled");
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "Address search is unavailable") >= 0);
	time_t t0 = time(NULL);
	client_get(c, "/races?address=Slow");
	H_ASSERT_STATUS(c, 200);
	assert_true(time(NULL) - t0 <= 5);
	assert_true(body_pos(c, "Address search is unavailable") >= 0);

	/* an address over the limit is refused before any request */
	char longq[400] = "/races?address=";
	memset(longq + strlen(longq), 'a', 250);
	client_get(c, longq);
	H_ASSERT_STATUS(c, 422);
	client_free(c);
}

/* ---- target seat and deadline tasks ---- */

static long long signup_with_race(long long race)
{
	struct client *c = client_new(srv);
	char path[64], csrf[256];
	struct form f;

	snprintf(path, sizeof(path), "/signup?race=%lld", race);
	client_get(c, path);
	H_ASSERT_STATUS(c, 200);
	assert_int_equal(csrf_from(client_body(c), csrf, sizeof(csrf)), 0);
	form_init(&f);
	form_add(&f, "csrf", csrf);
	form_add(&f, "race", path + strlen("/signup?race="));
	form_add(&f, "first_name", "Rosa");
	form_add(&f, "last_name", "Racer");
	form_add(&f, "email", "rosa.racer@example.org");
	form_add(&f, "state", "VA");
	form_add(&f, "zip", "23219");
	client_post(c, "/signup", &f);
	H_ASSERT_REDIRECT(c, 303, "/signup/thanks");
	form_free(&f);
	client_free(c);
	return harness_person_by_email(srv, "rosa.racer@example.org");
}

static long long count_for(const char *sql, long long id)
{
	char text[32];

	snprintf(text, sizeof(text), "%lld", id);
	return harness_db_int(srv, sql, text);
}

static void set_target(struct client *staff, long long person, long long race)
{
	char path[64], csrf[256], r[32], want[80];

	snprintf(path, sizeof(path), "/staff/people/%lld/races", person);
	client_get(staff, path);
	H_ASSERT_STATUS(staff, 200);
	assert_int_equal(csrf_from(client_body(staff), csrf, sizeof(csrf)), 0);
	snprintf(r, sizeof(r), "%lld", race);
	client_post_form(staff, path, "csrf", csrf, "race", r, "target", "1", NULL);
	snprintf(want, sizeof(want), "/staff/people/%lld/races?saved=1", person);
	H_ASSERT_REDIRECT(staff, 303, want);
}

#define TASKS_OF "SELECT count(*) FROM tasks WHERE person_id = ?1"
#define MAILS_OF "SELECT count(*) FROM mail_outbox WHERE person_id = ?1" \
	" AND template_code = 'filing_deadline'"

static void test_target_seat_tasks_once(void **state)
{
	long long sb = race_id("ric-sb-1"), hen = race_id("hen-bos"), person;
	struct client *staff = client_new(srv);
	char path[64], csrf[256], vol[32];

	(void)state;
	/* the signup came from the race finder: the race is one of interest */
	person = signup_with_race(sb);
	assert_true(person > 0);
	assert_int_equal(count_for("SELECT count(*) FROM person_races WHERE person_id = ?1"
	                           " AND source = 'signup' AND target = 0", person), 1);
	assert_int_equal(client_login(staff, H_STAFF_EMAIL, H_STAFF_PASS), 303);
	/* a recruiter: the volunteer */
	snprintf(path, sizeof(path), "/staff/people/%lld", person);
	client_get(staff, path);
	assert_int_equal(csrf_from(client_body(staff), csrf, sizeof(csrf)), 0);
	snprintf(vol, sizeof(vol), "%lld", harness_db_int(srv, "SELECT id FROM users WHERE email = ?1",
	                                                  H_VOLUNTEER_EMAIL));
	snprintf(path, sizeof(path), "/staff/people/%lld/assign", person);
	client_post_form(staff, path, "csrf", csrf, "assignee", vol, NULL);
	assert_int_equal(client_status(staff), 303);

	/* filing closes in 60 days: reminders 30, 14 and 3 days before */
	set_target(staff, person, sb);
	assert_int_equal(count_for(TASKS_OF, person), 3);
	assert_int_equal(count_for(TASKS_OF " AND assignee_id = (SELECT id FROM users WHERE"
	                           " email = 'volunteer@example.org')", person), 3);
	assert_int_equal(count_for(MAILS_OF, person), 1);
	assert_int_equal(count_for("SELECT count(*) FROM person_races WHERE person_id = ?1"
	                           " AND target = 1", person), 1);
	/* again: nothing new */
	set_target(staff, person, sb);
	assert_int_equal(count_for(TASKS_OF, person), 3);
	assert_int_equal(count_for(MAILS_OF, person), 1);
	/* another seat (closes in 20 days: the 30-day reminder is already past) */
	set_target(staff, person, hen);
	assert_int_equal(count_for(TASKS_OF, person), 5);
	assert_int_equal(count_for(MAILS_OF, person), 2);
	assert_int_equal(count_for("SELECT count(*) FROM person_races WHERE person_id = ?1"
	                           " AND target = 1", person), 1);
	/* and back: still one target, no duplicates */
	set_target(staff, person, sb);
	assert_int_equal(count_for(TASKS_OF, person), 5);
	assert_int_equal(count_for(MAILS_OF, person), 2);
	assert_int_equal(count_for("SELECT race_id FROM person_races WHERE person_id = ?1"
	                           " AND target = 1", person), sb);
	/* audited */
	assert_true(count_for("SELECT count(*) FROM audit_log WHERE action = 'person.race_target'"
	                      " AND entity_id = ?1", person) >= 3);
	/* the person page shows the target seat */
	snprintf(path, sizeof(path), "/staff/people/%lld/races", person);
	client_get(staff, path);
	H_ASSERT_STATUS(staff, 200);
	assert_non_null(strstr(client_body(staff), "target seat"));
	/* a race that does not exist */
	assert_int_equal(csrf_from(client_body(staff), csrf, sizeof(csrf)), 0);
	client_post_form(staff, path, "csrf", csrf, "race", "999999", "target", "1", NULL);
	H_ASSERT_STATUS(staff, 422);
	client_free(staff);
}

/* ---- calendars ---- */

/* Checks an iCalendar body; returns the number of VEVENTs. */
static int check_ics(const char *body, size_t len)
{
	size_t pos = 0, n;
	int depth = 0, events = 0, uid = 0, stamp = 0, start = 0;
	char line[128];
	const char *crlf;

	assert_true(len > 0);
	assert_int_equal(strncmp(body, "BEGIN:VCALENDAR\r\n", 17), 0);
	while (pos < len) {
		crlf = strstr(body + pos, "\r\n");
		assert_non_null(crlf);
		n = (size_t)(crlf - (body + pos));
		assert_true(n <= 75);
		assert_null(memchr(body + pos, '\n', n));
		snprintf(line, sizeof(line), "%.*s", (int)(n < 100 ? n : 100), body + pos);
		if (line[0] != ' ') {
			if (!strcmp(line, "BEGIN:VCALENDAR") || !strcmp(line, "BEGIN:VEVENT"))
				depth++;
			if (!strcmp(line, "END:VCALENDAR") || !strcmp(line, "END:VEVENT"))
				depth--;
			if (!strcmp(line, "BEGIN:VEVENT")) {
				events++;
				uid = stamp = start = 0;
			}
			if (!strncmp(line, "UID:", 4))
				uid = 1;
			if (!strncmp(line, "DTSTAMP:", 8))
				stamp = 1;
			if (!strncmp(line, "DTSTART;VALUE=DATE:", 19))
				start = 1;
			if (!strcmp(line, "END:VEVENT"))
				assert_true(uid && stamp && start);
			assert_true(depth >= 0);
		}
		pos += n + 2;
	}
	assert_int_equal(depth, 0);
	assert_int_equal(strcmp(body + len - 15, "END:VCALENDAR\r\n"), 0);
	return events;
}

static void test_calendars(void **state)
{
	struct client *c = client_new(srv);
	long long person = harness_person_by_email(srv, "rosa.racer@example.org");
	char path[64];

	(void)state;
	client_get(c, "/races/calendar?state=VA");
	H_ASSERT_STATUS(c, 200);
	assert_non_null(strstr(client_header(c, "Content-Type"), "text/calendar"));
	/* three upcoming elections: a filing close and an election day each */
	assert_int_equal(check_ics(client_body(c), client_body_len(c)), 6);
	/* escaped text */
	assert_non_null(strstr(client_body(c), "Office of elections\\, Richmond"));
	client_get(c, "/races/calendar?state=zz");
	H_ASSERT_STATUS(c, 200);
	assert_int_equal(check_ics(client_body(c), client_body_len(c)), 0);
	client_get(c, "/races/calendar?state=virginia");
	H_ASSERT_STATUS(c, 400);
	client_get(c, "/races/calendar");
	H_ASSERT_STATUS(c, 400);
	/* the person's feed: staff only */
	assert_true(person > 0);
	snprintf(path, sizeof(path), "/staff/people/%lld/calendar", person);
	client_get(c, path);
	H_ASSERT_STATUS(c, 303);
	assert_int_equal(client_login(c, H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS), 303);
	client_get(c, path);
	H_ASSERT_STATUS(c, 200);
	/* two races of theirs */
	assert_int_equal(check_ics(client_body(c), client_body_len(c)), 4);
	client_free(c);
}

/* ---- staff pages ---- */

static void test_staff_coverage(void **state)
{
	struct client *c = client_new(srv);
	char path[64];

	(void)state;
	wait_for_index();
	assert_int_equal(client_login(c, H_VOLUNTEER_EMAIL, H_VOLUNTEER_PASS), 303);
	client_get(c, "/staff/races?state=va");
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "Fairfax School Board") >= 0);
	assert_true(body_pos(c, "/staff/races/map?state=va") >= 0);
	/* uncovered seats first: the school board has a target-seat candidate */
	assert_true(body_pos(c, "Fairfax School Board") < body_pos(c, "Richmond School Board"));
	client_get(c, "/staff/races/map?state=va");
	H_ASSERT_STATUS(c, 200);
	assert_non_null(strstr(client_header(c, "Content-Type"), "image/svg+xml"));
	/* two county boundaries: two shapes */
	assert_true(body_pos(c, "<svg") >= 0);
	assert_true(body_pos(c, "Henrico County: ") >= 0);
	assert_true(body_pos(c, "Fairfax County: ") >= 0);
	client_get(c, "/staff/races/map?state=tx");
	H_ASSERT_STATUS(c, 404);
	/* who to call about the school board seat: Rosa, from 23219 */
	snprintf(path, sizeof(path), "/staff/races/%lld", race_id("ric-sb-1"));
	client_get(c, path);
	H_ASSERT_STATUS(c, 200);
	assert_true(body_pos(c, "Rosa Racer") >= 0);
	snprintf(path, sizeof(path), "/staff/races/%lld", race_id("ffx-sb"));
	client_get(c, path);
	H_ASSERT_STATUS(c, 200);
	assert_int_equal(body_pos(c, "Rosa Racer"), -1);
	client_get(c, "/staff/races/987654");
	H_ASSERT_STATUS(c, 404);
	client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_counts_and_idempotence),
		cmocka_unit_test(test_import_bad_rows),
		cmocka_unit_test(test_find_by_zip),
		cmocka_unit_test(test_find_by_address),
		cmocka_unit_test(test_target_seat_tasks_once),
		cmocka_unit_test(test_calendars),
		cmocka_unit_test(test_staff_coverage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
