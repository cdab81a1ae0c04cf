/*
 * geocode.h — a street address to coordinates, through a geocoder's HTTP
 * API (libcurl).
 *
 * The default is the US Census geocoder's "onelineaddress" JSON endpoint;
 * ONRAMP_GEOCODER_URL names another with the same request (?address=…&
 * benchmark=Public_AR_Current&format=json) and answer
 * ({"result":{"addressMatches":[{"coordinates":{"x":LON,"y":LAT},
 * "matchedAddress":"…"}]}}). One request, no redirects, http(s) only, a
 * hard timeout and answer size (lib/limits.h): a slow or absent geocoder
 * costs the visitor a few seconds, never a hung page.
 *
 * Threading: reentrant after geocode_global_init() (call it once before
 * threads start).
 */
#ifndef ONRAMP_GEOCODE_H
#define ONRAMP_GEOCODE_H

#include <stddef.h>

#define GEOCODE_DEFAULT_URL \
	"https://geocoding.geo.census.gov/geocoder/locations/onelineaddress"

/* Initialises libcurl once for the process. Returns 0 or -1. */
int geocode_global_init(void);

/* Geocodes address with the API at url. Returns 1 with *lon, *lat and the
 * geocoder's matched address in matched (may be ""), 0 when the geocoder
 * found no match, -1 when it could not be asked or answered nonsense
 * (reason in err). */
int geocode_address(const char *url, const char *address, double *lon, double *lat,
                    char *matched, size_t matchedlen, char *err, size_t errlen);

#endif
