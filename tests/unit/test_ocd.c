/*
 * test_ocd.c — Open Civic Data division ids (src/domain/ocd.c).
 *
 * Data-driven from the identifier rules of the OCD division id spec
 * (ocd-division/country:xx/type:value/…, lowercase types, values of
 * lowercase letters, digits and . _ ~ -, UTF-8 letters allowed) and from a
 * sample of real ids committed under tests/data/ (copied from the
 * opencivicdata/ocd-division-ids list, CC0): every one must parse, and its
 * parts must put the id back together byte for byte.
 *
 * Run from the repository's root (tests/run.sh does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "domain/ocd.h"

#define OCD_SAMPLE "tests/data/ocd_ids_sample.txt"

struct ocd_case {
	const char *in;
	int         valid;
	const char *type;    /* of the last segment, when valid */
	const char *parent;  /* "" for a country */
	const char *state;   /* "" when none */
	size_t      segments;
};

static const struct ocd_case cases[] = {
	{ "ocd-division/country:us", 1, "country", "", "", 1 },
	{ "ocd-division/country:us/state:va", 1, "state", "ocd-division/country:us", "va", 2 },
	{ "ocd-division/country:us/state:va/sldl:12", 1, "sldl",
	  "ocd-division/country:us/state:va", "va", 3 },
	{ "ocd-division/country:us/district:dc", 1, "district", "ocd-division/country:us", "dc", 2 },
	{ "ocd-division/country:us/territory:pr/municipio:bayam\xC3\xB3n", 1, "municipio",
	  "ocd-division/country:us/territory:pr", "pr", 3 },
	{ "ocd-division/country:us/state:pa/county:adams/place:liberty", 1, "place",
	  "ocd-division/country:us/state:pa/county:adams", "pa", 4 },
	{ "ocd-division/country:us/state:va/place:richmond/school_district:mcv~va_treatment_ctr", 1,
	  "school_district", "ocd-division/country:us/state:va/place:richmond", "va", 4 },
	{ "ocd-division/country:us/state:ak/cd:at-large", 1, "cd",
	  "ocd-division/country:us/state:ak", "ak", 3 },
	{ "ocd-division/country:us/state:va/county:albemarle/school_district:piedmont_regional_ed.",
	  1, "school_district", "ocd-division/country:us/state:va/county:albemarle", "va", 4 },
	{ "ocd-division/country:ca/province:on", 1, "province", "ocd-division/country:ca", "", 2 },
	/* the prefix */
	{ "", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/", 0, NULL, NULL, NULL, 0 },
	{ "OCD-division/country:us", 0, NULL, NULL, NULL, 0 },
	{ "ocd-jurisdiction/country:us", 0, NULL, NULL, NULL, 0 },
	{ "country:us/state:va", 0, NULL, NULL, NULL, 0 },
	{ " ocd-division/country:us", 0, NULL, NULL, NULL, 0 },
	/* the country */
	{ "ocd-division/state:va", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:usa", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:u", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:US", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:u1", 0, NULL, NULL, NULL, 0 },
	/* segments */
	{ "ocd-division/country:us/", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us//state:va", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/:va", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/State:va", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:VA", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:va/place:new york", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:va/place:a,b", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:va/place:a:b", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:va/sl1dl:3", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:va/place:richmond/", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:va/place:rich\tmond", 0, NULL, NULL, NULL, 0 },
	/* UTF-8 must be valid: a lone continuation byte, an overlong form, a
	 * surrogate, a truncated sequence */
	{ "ocd-division/country:us/state:nm/county:do\xB1" "a_ana", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:nm/county:do\xC1\xB1" "a", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:nm/county:\xED\xA0\x80", 0, NULL, NULL, NULL, 0 },
	{ "ocd-division/country:us/state:nm/county:do\xC3", 0, NULL, NULL, NULL, 0 },
	/* too many segments (8 is the most) */
	{ "ocd-division/country:us/a:1/b:2/c:3/d:4/e:5/f:6/g:7", 1, "g", NULL, "", 8 },
	{ "ocd-division/country:us/a:1/b:2/c:3/d:4/e:5/f:6/g:7/h:8", 0, NULL, NULL, NULL, 0 },
};

static void test_ocd_table(void **state)
{
	struct ocd_id id;
	const char *why;
	char out[OCD_ID_MAX + 1];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ocd_case *c = &cases[i];

		why = "unset";
		rc = ocd_parse(c->in, &id, &why);
		if ((rc == 0) != c->valid)
			fprintf(stderr, "# case %zu \"%s\": got %d (%s)\n", i, c->in, rc,
			        why ? why : "-");
		assert_int_equal(rc == 0, c->valid);
		assert_int_equal(ocd_valid(c->in), c->valid);
		if (!c->valid) {
			/* every refusal says why, in words */
			assert_non_null(why);
			assert_true(strlen(why) > 5);
			continue;
		}
		assert_null(why);
		assert_int_equal(id.n, c->segments);
		assert_int_equal(ocd_type(&id, out, sizeof(out)), 0);
		assert_string_equal(out, c->type);
		if (c->parent) {
			assert_int_equal(ocd_parent(&id, out, sizeof(out)), c->segments > 1 ? 1 : 0);
			assert_string_equal(out, c->parent);
		}
		assert_int_equal(ocd_state(&id, out, sizeof(out)), c->state[0] ? 1 : 0);
		assert_string_equal(out, c->state);
	}
}

static void test_ocd_null_and_length(void **state)
{
	char longid[OCD_ID_MAX + 40];
	struct ocd_id id;
	const char *why;
	size_t n;

	(void)state;
	assert_int_equal(ocd_parse(NULL, &id, &why), -1);
	assert_non_null(why);
	/* exactly OCD_ID_MAX bytes passes; one more is refused */
	n = (size_t)snprintf(longid, sizeof(longid), "ocd-division/country:us/place:");
	memset(longid + n, 'a', OCD_ID_MAX - n);
	longid[OCD_ID_MAX] = '\0';
	assert_int_equal(ocd_valid(longid), 1);
	longid[OCD_ID_MAX] = 'a';
	longid[OCD_ID_MAX + 1] = '\0';
	assert_int_equal(ocd_parse(longid, &id, &why), -1);
	assert_string_equal(why, "the id is too long");
}

static void test_ocd_small_buffers(void **state)
{
	struct ocd_id id;
	const char *why;
	char out[4];

	(void)state;
	assert_int_equal(ocd_parse("ocd-division/country:us/state:va/sldl:12", &id, &why), 0);
	/* "sldl" needs 5 bytes */
	assert_int_equal(ocd_type(&id, out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(ocd_parent(&id, out, sizeof(out)), -1);
	assert_int_equal(ocd_state(&id, out, 3), 1);
	assert_string_equal(out, "va");
	assert_int_equal(ocd_state(&id, out, 2), -1);
}

/* The parent chain of a real id ends at the country, one segment fewer at
 * each step, each parent itself valid. */
static void ocd_check_chain(const char *s)
{
	char cur[OCD_ID_MAX + 1], parent[OCD_ID_MAX + 1];
	struct ocd_id id;
	const char *why;
	size_t n;
	int rc;

	assert_true(strlen(s) <= OCD_ID_MAX);
	memcpy(cur, s, strlen(s) + 1);
	assert_int_equal(ocd_parse(cur, &id, &why), 0);
	n = id.n;
	for (;;) {
		rc = ocd_parent(&id, parent, sizeof(parent));
		assert_true(rc >= 0);
		if (rc == 0)
			break;
		assert_int_equal(strncmp(cur, parent, strlen(parent)), 0);
		assert_int_equal(cur[strlen(parent)], '/');
		memcpy(cur, parent, sizeof(cur));
		assert_int_equal(ocd_parse(cur, &id, &why), 0);
		assert_int_equal(id.n, --n);
	}
	assert_int_equal(n, 1);
	assert_string_equal(cur, "ocd-division/country:us");
}

static void test_ocd_real_ids(void **state)
{
	FILE *f = fopen(OCD_SAMPLE, "r");
	char line[512], rebuilt[OCD_ID_MAX + 1], st[8];
	struct ocd_id id;
	const char *why;
	size_t len, k, pos, checked = 0, utf8 = 0;

	(void)state;
	if (!f)
		fprintf(stderr, "# cannot open %s (run from the repository root)\n", OCD_SAMPLE);
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		why = NULL;
		if (ocd_parse(line, &id, &why) != 0)
			fprintf(stderr, "# real id refused: %s (%s)\n", line, why);
		assert_int_equal(ocd_parse(line, &id, &why), 0);
		/* the segments put the id back together exactly */
		pos = (size_t)snprintf(rebuilt, sizeof(rebuilt), "%s", OCD_PREFIX);
		for (k = 0; k < id.n; k++) {
			pos += (size_t)snprintf(rebuilt + pos, sizeof(rebuilt) - pos, "%s%.*s:%.*s",
			                        k ? "/" : "", (int)id.seg[k].type_len,
			                        line + id.seg[k].type_off, (int)id.seg[k].value_len,
			                        line + id.seg[k].value_off);
		}
		assert_string_equal(rebuilt, line);
		/* every US id below the country names its state, district or territory */
		if (id.n > 1) {
			assert_int_equal(ocd_state(&id, st, sizeof(st)), 1);
			assert_int_equal(strlen(st), 2);
		}
		ocd_check_chain(line);
		for (k = 0; k < len; k++)
			if ((unsigned char)line[k] >= 0x80) {
				utf8++;
				break;
			}
		checked++;
	}
	fclose(f);
	fprintf(stderr, "# %zu real ids checked (%zu with non-ASCII letters)\n", checked, utf8);
	assert_true(checked >= 300);
	assert_true(utf8 >= 10);
}

/* Changing one byte of a real id to a character no id may hold makes it
 * invalid, wherever it is. */
static void test_ocd_mutations(void **state)
{
	static const char base[] = "ocd-division/country:us/state:pa/county:adams/place:liberty";
	static const char bad[] = { ' ', 'A', '?', '#', '%', ',', '\\', '"', 0x7f };
	char s[sizeof(base)];
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(base) - 1; i++) {
		for (k = 0; k < sizeof(bad); k++) {
			memcpy(s, base, sizeof(base));
			s[i] = bad[k];
			assert_int_equal(ocd_valid(s), 0);
		}
	}
	/* cut anywhere, it stays valid only when it ends inside or at the end
	 * of a value (never in a type, at a ':' or a '/'), past the country */
	for (i = 0; i < sizeof(base); i++) {
		const char *colon, *slash;
		int want;

		memcpy(s, base, sizeof(base));
		s[i] = '\0';
		colon = strrchr(s, ':');
		slash = strrchr(s, '/');
		want = i >= 23 && colon && slash && colon > slash && s[i - 1] != ':';
		assert_int_equal(ocd_valid(s), want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ocd_table),
		cmocka_unit_test(test_ocd_null_and_length),
		cmocka_unit_test(test_ocd_small_buffers),
		cmocka_unit_test(test_ocd_real_ids),
		cmocka_unit_test(test_ocd_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
