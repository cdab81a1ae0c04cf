/*
 * ocd.c — Open Civic Data division ids (see ocd.h).
 *
 * One left-to-right pass over the bytes; no allocation. A value's non-ASCII
 * bytes must form valid UTF-8 (checked by lib/utf8), and must not be
 * upper case in ASCII — the canonical-spelling rule that lets ids be
 * compared as text.
 */
#include "domain/ocd.h"

#include <string.h>

#include "lib/utf8.h"

static int ocd_is_type_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || ch == '_';
}

static int ocd_is_value_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
	       ch == '~' || ch == '-' || ch >= 0x80;
}

int ocd_parse(const char *s, struct ocd_id *out, const char **why)
{
	size_t len, i, plen = sizeof(OCD_PREFIX) - 1;
	struct ocd_segment *sg;

	*why = NULL;
	memset(out, 0, sizeof(*out));
	if (!s) {
		*why = "the id is empty";
		return -1;
	}
	len = strlen(s);
	if (len == 0) {
		*why = "the id is empty";
		return -1;
	}
	if (len > OCD_ID_MAX) {
		*why = "the id is too long";
		return -1;
	}
	if (!utf8_valid(s, len)) {
		*why = "the id is not valid UTF-8";
		return -1;
	}
	if (len < plen || memcmp(s, OCD_PREFIX, plen) != 0) {
		*why = "the id must start with ocd-division/";
		return -1;
	}
	out->text = s;
	out->len = len;
	i = plen;
	while (i < len || out->n == 0) {
		if (out->n == OCD_SEGMENTS_MAX) {
			*why = "the id has too many segments";
			return -1;
		}
		sg = &out->seg[out->n];
		sg->type_off = i;
		while (i < len && ocd_is_type_char((unsigned char)s[i]))
			i++;
		sg->type_len = i - sg->type_off;
		if (sg->type_len == 0 || i >= len || s[i] != ':') {
			*why = "each segment must be type:value with a lowercase type";
			return -1;
		}
		i++;
		sg->value_off = i;
		while (i < len && ocd_is_value_char((unsigned char)s[i]))
			i++;
		sg->value_len = i - sg->value_off;
		if (sg->value_len == 0) {
			*why = "a segment has an empty value";
			return -1;
		}
		if (i < len && s[i] != '/') {
			*why = "a value may hold only lowercase letters, digits and . _ ~ -";
			return -1;
		}
		out->n++;
		if (i < len) {
			i++;
			if (i == len) {
				*why = "the id must not end with /";
				return -1;
			}
		}
	}
	sg = &out->seg[0];
	if (sg->type_len != 7 || memcmp(s + sg->type_off, "country", 7) != 0) {
		*why = "the first segment must be country:";
		return -1;
	}
	if (sg->value_len != 2 || !(s[sg->value_off] >= 'a' && s[sg->value_off] <= 'z') ||
	    !(s[sg->value_off + 1] >= 'a' && s[sg->value_off + 1] <= 'z')) {
		*why = "the country must be a two-letter code";
		return -1;
	}
	return 0;
}

int ocd_valid(const char *s)
{
	struct ocd_id id;
	const char *why;

	return ocd_parse(s, &id, &why) == 0;
}

/* Copies n bytes of src into out as a string. Returns 0 or -1. */
static int ocd_copy(char *out, size_t outlen, const char *src, size_t n)
{
	if (outlen == 0)
		return -1;
	if (n >= outlen) {
		out[0] = '\0';
		return -1;
	}
	memcpy(out, src, n);
	out[n] = '\0';
	return 0;
}

int ocd_type(const struct ocd_id *id, char *out, size_t outlen)
{
	const struct ocd_segment *sg = &id->seg[id->n - 1];

	return ocd_copy(out, outlen, id->text + sg->type_off, sg->type_len);
}

int ocd_parent(const struct ocd_id *id, char *out, size_t outlen)
{
	if (id->n <= 1)
		return ocd_copy(out, outlen, "", 0);
	/* the parent ends just before the '/' that starts the last segment */
	if (ocd_copy(out, outlen, id->text, id->seg[id->n - 1].type_off - 1) < 0)
		return -1;
	return 1;
}

int ocd_state(const struct ocd_id *id, char *out, size_t outlen)
{
	static const char *const kinds[] = { "state", "district", "territory" };
	const struct ocd_segment *sg;
	size_t k;

	if (id->n < 2)
		return ocd_copy(out, outlen, "", 0);
	sg = &id->seg[1];
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (sg->type_len == strlen(kinds[k]) &&
		    memcmp(id->text + sg->type_off, kinds[k], sg->type_len) == 0) {
			if (ocd_copy(out, outlen, id->text + sg->value_off, sg->value_len) < 0)
				return -1;
			return 1;
		}
	}
	return ocd_copy(out, outlen, "", 0);
}
