/*
 * geocode.c — the geocoder client (see geocode.h).
 */
#include "domain/geocode.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/limits.h"

static pthread_once_t geocode_once = PTHREAD_ONCE_INIT;
static int geocode_init_rc = -1;

static void geocode_init(void)
{
	geocode_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int geocode_global_init(void)
{
	pthread_once(&geocode_once, geocode_init);
	return geocode_init_rc;
}

static size_t geocode_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	buf *b = userdata;
	size_t n = size * nmemb;

	return buf_add(b, data, n) == 0 ? n : 0;  /* 0 aborts the transfer */
}

static void geocode_err(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
}

int geocode_address(const char *url, const char *address, double *lon, double *lat,
                    char *matched, size_t matchedlen, char *err, size_t errlen)
{
	CURL *h = NULL;
	char *esc = NULL;
	buf full, body;
	json_t *root = NULL, *m, *coords;
	json_error_t jerr;
	long status = 0;
	CURLcode cc;
	int rc = -1;

	matched[0] = '\0';
	buf_init(&full, LIMIT_URL_MAX * 2);
	buf_init(&body, LIMIT_GEOCODER_RESPONSE);
	if (geocode_global_init() < 0 || !(h = curl_easy_init())) {
		geocode_err(err, errlen, "the HTTP client could not start");
		goto done;
	}
	esc = curl_easy_escape(h, address, 0);
	if (!esc) {
		geocode_err(err, errlen, "out of memory");
		goto done;
	}
	buf_adds(&full, url);
	buf_adds(&full, strchr(url, '?') ? "&address=" : "?address=");
	buf_adds(&full, esc);
	buf_adds(&full, "&benchmark=Public_AR_Current&format=json");
	if (buf_failed(&full)) {
		geocode_err(err, errlen, "the geocoder URL is too long");
		goto done;
	}
	curl_easy_setopt(h, CURLOPT_URL, buf_str(&full));
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)LIMIT_GEOCODER_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)LIMIT_GEOCODER_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE, (long)LIMIT_GEOCODER_RESPONSE);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "onramp-race-finder");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, geocode_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "the geocoder did not answer: %s", curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		snprintf(err, errlen, "the geocoder answered HTTP %ld", status);
		goto done;
	}
	root = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
	m = json_object_get(json_object_get(root, "result"), "addressMatches");
	if (!json_is_array(m)) {
		geocode_err(err, errlen, "the geocoder's answer was not understood");
		goto done;
	}
	if (json_array_size(m) == 0) {
		rc = 0;
		goto done;
	}
	coords = json_object_get(json_array_get(m, 0), "coordinates");
	if (!json_is_number(json_object_get(coords, "x")) ||
	    !json_is_number(json_object_get(coords, "y"))) {
		geocode_err(err, errlen, "the geocoder's answer had no coordinates");
		goto done;
	}
	*lon = json_number_value(json_object_get(coords, "x"));
	*lat = json_number_value(json_object_get(coords, "y"));
	if (!isfinite(*lon) || !isfinite(*lat) || fabs(*lon) > 180 || fabs(*lat) > 90) {
		geocode_err(err, errlen, "the geocoder's coordinates are out of range");
		goto done;
	}
	snprintf(matched, matchedlen, "%s",
	         json_string_value(json_object_get(json_array_get(m, 0), "matchedAddress"))
	                 ? json_string_value(json_object_get(json_array_get(m, 0), "matchedAddress"))
	                 : "");
	rc = 1;
done:
	json_decref(root);
	if (esc)
		curl_free(esc);
	if (h)
		curl_easy_cleanup(h);
	buf_free(&full);
	buf_free(&body);
	return rc;
}
