/*
 * test_funnel.c — the funnel report's arithmetic (domain/funnel.c) and its
 * SVG chart (web/funnel_chart.c laid out, templates/funnel_chart.mustache
 * drawn): reached counts from a histogram of highest positions,
 * conversions, the texts shown, bar lengths, and that the rendered SVG is
 * well-formed XML whose labels are escaped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "domain/funnel.h"
#include "lib/buf.h"
#include "web/funnel_chart.h"
#include "web/templates.h"

static void test_reached_is_cumulative(void **state)
{
	(void)state;
	/* Steps at 10, 20, 30, 40; people whose highest position is 10 (5 of
	 * them), 20 (3), 30 (2), and 85 (1: a later step). Unsorted on purpose. */
	const long long steps[] = { 10, 20, 30, 40 };
	const long long hp[] = { 30, 10, 85, 20 };
	const long long hc[] = { 2, 5, 1, 3 };
	long long reached[4];

	funnel_reached(steps, 4, hp, hc, 4, reached);
	assert_int_equal(reached[0], 11);
	assert_int_equal(reached[1], 6);
	assert_int_equal(reached[2], 3);
	assert_int_equal(reached[3], 1);
	/* an empty histogram reaches nothing */
	funnel_reached(steps, 4, hp, hc, 0, reached);
	assert_int_equal(reached[0], 0);
	assert_int_equal(reached[3], 0);
}

static void test_conversion(void **state)
{
	(void)state;
	assert_int_equal(funnel_conversion_permille(4, 3), 750);
	assert_int_equal(funnel_conversion_permille(3, 2), 667);  /* 666.67 rounds up */
	assert_int_equal(funnel_conversion_permille(3, 1), 333);
	assert_int_equal(funnel_conversion_permille(7, 0), 0);
	assert_int_equal(funnel_conversion_permille(0, 0), -1);    /* nobody to convert */
	assert_int_equal(funnel_conversion_permille(5, 5), 1000);
	assert_int_equal(funnel_conversion_permille(100000, 1), 0); /* 0.01 rounds to 0.0% */
	assert_int_equal(funnel_conversion_permille(2000, 1), 1);   /* 0.05% rounds up to 0.1% */
}

static void test_texts(void **state)
{
	(void)state;
	char out[32];

	assert_string_equal(funnel_percent_text(750, out, sizeof(out)), "75.0%");
	assert_string_equal(funnel_percent_text(667, out, sizeof(out)), "66.7%");
	assert_string_equal(funnel_percent_text(1000, out, sizeof(out)), "100.0%");
	assert_string_equal(funnel_percent_text(0, out, sizeof(out)), "0.0%");
	assert_string_equal(funnel_percent_text(-1, out, sizeof(out)), "—");
	assert_string_equal(funnel_duration_text(0, 0, out, sizeof(out)), "—");
	assert_string_equal(funnel_duration_text(59, 3, out, sizeof(out)), "0 min");
	assert_string_equal(funnel_duration_text(2 * 3600 + 5 * 60, 1, out, sizeof(out)), "2 h 5 min");
	assert_string_equal(funnel_duration_text(3 * 86400 + 4 * 3600 + 59, 9, out, sizeof(out)),
	                    "3 d 4 h");
}

static json_t *steps_of(const char *const *labels, const long long *reached, size_t n)
{
	json_t *steps = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(steps, json_pack("{s:s, s:I}", "label", labels[i],
		                                       "reached", (json_int_t)reached[i]));
	return steps;
}

static void test_chart_layout(void **state)
{
	(void)state;
	const char *labels[] = { "Signed up", "Contacted", "Won" };
	const long long reached[] = { 1000, 250, 1 };
	json_t *steps = steps_of(labels, reached, 3);
	json_t *chart = funnel_chart_layout(steps), *bars;

	assert_non_null(chart);
	bars = json_object_get(chart, "bars");
	assert_int_equal(json_array_size(bars), 3);
	assert_int_equal(json_integer_value(json_object_get(chart, "width")), FUNNEL_CHART_WIDTH);
	assert_int_equal(json_integer_value(json_object_get(chart, "height")), 3 * FUNNEL_CHART_ROW + 4);
	/* the largest fills the bar; others in proportion; a non-zero count is never invisible */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 0), "w")), FUNNEL_CHART_BAR);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 1), "w")), FUNNEL_CHART_BAR / 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 2), "w")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 1), "y")),
	                 FUNNEL_CHART_ROW + 4);
	json_decref(chart);
	json_decref(steps);

	/* nobody at all: zero-width bars, no division by zero */
	const long long none[] = { 0, 0, 0 };
	steps = steps_of(labels, none, 3);
	chart = funnel_chart_layout(steps);
	assert_non_null(chart);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(chart, "bars"), 0), "w")), 0);
	json_decref(chart);
	json_decref(steps);
}

/* A small well-formedness check for the markup our templates produce:
 * tags nest and close, attribute values are quoted, & starts only an
 * entity, < appears only to start a tag. Returns 1 if well-formed. */
static int xml_well_formed(const char *s)
{
	char stack[32][32];
	int depth = 0;
	size_t n;

	while (*s) {
		if (*s == '&') {
			if (strncmp(s, "&amp;", 5) && strncmp(s, "&lt;", 4) && strncmp(s, "&gt;", 4) &&
			    strncmp(s, "&quot;", 6) && strncmp(s, "&#", 2))
				return 0;
			s++;
			continue;
		}
		if (*s != '<') {
			if (*s == '>')
				return 0;
			s++;
			continue;
		}
		s++;
		if (*s == '/') {
			s++;
			n = strcspn(s, ">");
			if (depth == 0 || strncmp(stack[depth - 1], s, n) != 0 || stack[depth - 1][n] != '\0')
				return 0;
			depth--;
			s += n + 1;
			continue;
		}
		n = strcspn(s, " \t\n/>");
		if (n == 0 || n >= sizeof(stack[0]) || depth >= 32)
			return 0;
		memcpy(stack[depth], s, n);
		stack[depth][n] = '\0';
		s += n;
		for (;;) {  /* attributes */
			while (*s == ' ' || *s == '\t' || *s == '\n')
				s++;
			if (*s == '/' && s[1] == '>') {
				s += 2;
				break;
			}
			if (*s == '>') {
				s++;
				depth++;
				break;
			}
			n = strcspn(s, "=> \t\n");
			if (n == 0 || s[n] != '=' || s[n + 1] != '"')
				return 0;
			s += n + 2;
			n = strcspn(s, "\"<");
			if (s[n] != '"')
				return 0;
			s += n + 1;
		}
	}
	return depth == 0;
}

static void test_chart_svg_is_xml_and_escapes_labels(void **state)
{
	(void)state;
	char err[256];
	struct templates *t = templates_load(NULL, err, sizeof(err));
	const char *labels[] = { "Signed up", "Tom & Jerry's <b>\"stage\"</b>", "Won" };
	const long long reached[] = { 12, 7, 3 };
	json_t *steps = steps_of(labels, reached, 3), *ctx;
	buf out;

	assert_non_null(t);
	ctx = json_pack("{s:o}", "chart", funnel_chart_layout(steps));
	buf_init(&out, 64 * 1024);
	assert_int_equal(templates_render(t, "funnel_chart", ctx, &out), 0);
	assert_false(buf_failed(&out));
	assert_true(strncmp(buf_str(&out), "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
	if (!xml_well_formed(buf_str(&out)))
		fail_msg("not well-formed: %s", buf_str(&out));
	assert_null(strstr(buf_str(&out), "<b>"));
	assert_non_null(strstr(buf_str(&out), "Tom &amp; Jerry&#39;s &lt;b&gt;&quot;stage&quot;&lt;/b&gt;"));
	assert_non_null(strstr(buf_str(&out), "width=\"380\""));
	assert_non_null(strstr(buf_str(&out), ">12</text>"));
	/* the checker itself refuses broken markup */
	assert_false(xml_well_formed("<svg><g></svg>"));
	assert_false(xml_well_formed("<svg>a < b</svg>"));
	assert_false(xml_well_formed("<svg x=1></svg>"));
	assert_false(xml_well_formed("<svg>Tom & Jerry</svg>"));
	assert_true(xml_well_formed("<svg x=\"1\"><rect/><text>a &amp; b</text></svg>"));
	buf_free(&out);
	json_decref(ctx);
	json_decref(steps);
	templates_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reached_is_cumulative),
		cmocka_unit_test(test_conversion),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_chart_layout),
		cmocka_unit_test(test_chart_svg_is_xml_and_escapes_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
