/*
 * ocd.h — Open Civic Data division identifiers: parsing and validation.
 *
 * An OCD division id names a political division by its path from the
 * country down: "ocd-division/country:us/state:va/sldl:12". Each segment is
 * type:value; a type is lowercase ASCII letters and underscores, a value
 * lowercase letters (ASCII or other UTF-8), digits and . _ ~ - . The first
 * segment is always country:XX (two letters). Ids are compared as text, so
 * a valid id has exactly one spelling: no upper case, no empty segment, no
 * trailing slash.
 *
 * Threading: pure functions, no state.
 */
#ifndef ONRAMP_OCD_H
#define ONRAMP_OCD_H

#include <stddef.h>

#define OCD_ID_MAX       256  /* bytes in a whole id */
#define OCD_SEGMENTS_MAX 8    /* segments after "ocd-division/" */
#define OCD_PREFIX       "ocd-division/"

/* One type:value segment, as offsets into the parsed text. */
struct ocd_segment {
	size_t type_off, type_len;
	size_t value_off, value_len;
};

/* A parsed id. text points at the caller's string (not copied). */
struct ocd_id {
	const char        *text;
	size_t             len;
	size_t             n;                          /* segments, >= 1 */
	struct ocd_segment seg[OCD_SEGMENTS_MAX];
};

/* Parses s (NUL-terminated). Returns 0 and fills *out, or -1 with a short
 * reason a person can act on in *why (a static string). */
int ocd_parse(const char *s, struct ocd_id *out, const char **why);

/* Returns 1 if s is a valid division id, else 0. */
int ocd_valid(const char *s);

/* Copies the type of the last segment ("country", "state", "sldl" …) into
 * out (outlen bytes). Returns 0, or -1 if it does not fit. */
int ocd_type(const struct ocd_id *id, char *out, size_t outlen);

/* Copies the parent's id (the id without its last segment) into out.
 * Returns 1 if there is a parent, 0 for a country (no parent; out is ""),
 * -1 if it does not fit. */
int ocd_parent(const struct ocd_id *id, char *out, size_t outlen);

/* Copies the value of the "state" (or "district"/"territory") segment,
 * e.g. "va", into out (at least 3 bytes). Returns 1, 0 if the id has none
 * (out is ""), -1 if out is too small. */
int ocd_state(const struct ocd_id *id, char *out, size_t outlen);

#endif
