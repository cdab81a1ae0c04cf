/*
 * funnel_chart.c — the funnel chart's geometry. See funnel_chart.h.
 *
 * Integer SVG units only, so the output is the same on every machine and
 * a test can compare it exactly.
 */
#include "web/funnel_chart.h"

json_t *funnel_chart_layout(json_t *steps)
{
	json_t *out, *bars, *st, *bar;
	long long max = 0, n;
	size_t i;
	int y;

	json_array_foreach(steps, i, st) {
		n = json_integer_value(json_object_get(st, "reached"));
		if (n > max)
			max = n;
	}
	bars = json_array();
	if (bars == NULL)
		return NULL;
	json_array_foreach(steps, i, st) {
		long long w;

		n = json_integer_value(json_object_get(st, "reached"));
		w = max > 0 && n > 0 ? (n * FUNNEL_CHART_BAR + max / 2) / max : 0;
		if (n > 0 && w == 0)
			w = 1;  /* someone is there: show a sliver */
		y = (int)i * FUNNEL_CHART_ROW;
		bar = json_pack("{s:O, s:I, s:i, s:i, s:I, s:i, s:i, s:I}",
		                "label", json_object_get(st, "label") ? json_object_get(st, "label") : json_null(),
		                "reached", (json_int_t)n,
		                "x", FUNNEL_CHART_LABELS, "y", y + 4, "w", (json_int_t)w,
		                "h", FUNNEL_CHART_ROW - 8, "text_y", y + FUNNEL_CHART_ROW / 2 + 5,
		                "value_x", (json_int_t)(FUNNEL_CHART_LABELS + w + 8));
		if (bar == NULL || json_array_append_new(bars, bar) < 0) {
			json_decref(bars);
			return NULL;
		}
	}
	out = json_pack("{s:i, s:i, s:o}", "width", FUNNEL_CHART_WIDTH,
	                "height", (int)json_array_size(bars) * FUNNEL_CHART_ROW + 4, "bars", bars);
	return out;
}
