/*
 * funnel_chart.h — the geometry of the funnel report's SVG chart.
 *
 * The chart is drawn by a template (templates/funnel_chart.mustache, which
 * escapes every label like any page), from numbers computed here: one
 * horizontal bar per funnel step, its length proportional to how many
 * people reached the step. Keeping the arithmetic in C and the markup in
 * the template means no C code writes markup.
 * Pure function; thread-safe.
 */
#ifndef ONRAMP_FUNNEL_CHART_H
#define ONRAMP_FUNNEL_CHART_H

#include <jansson.h>

/* Width of the chart, the label column and the longest bar, in SVG units. */
#define FUNNEL_CHART_WIDTH  720
#define FUNNEL_CHART_LABELS 260
#define FUNNEL_CHART_BAR    380
#define FUNNEL_CHART_ROW    30   /* height of one step's row */

/* Lays out steps ([{label, reached}], borrowed) as a new object:
 * {width, height, bars: [{label, reached, x, y, w, h, text_y, value_x}]}.
 * A step with 0 people gets a bar of width 0; the largest count fills
 * FUNNEL_CHART_BAR. Returns NULL out of memory. */
json_t *funnel_chart_layout(json_t *steps);

#endif
