/*
 * funnel.c — the funnel report's arithmetic. See funnel.h.
 *
 * Integer maths throughout (counts and seconds), so the numbers on the
 * page are exact and the same on every machine.
 */
#include "domain/funnel.h"

#include <stdio.h>

void funnel_reached(const long long *positions, size_t nsteps, const long long *hist_pos,
                    const long long *hist_count, size_t nhist, long long *reached)
{
	size_t k, j;

	for (k = 0; k < nsteps; k++) {
		reached[k] = 0;
		for (j = 0; j < nhist; j++)
			if (hist_pos[j] >= positions[k] && hist_count[j] > 0)
				reached[k] += hist_count[j];
	}
}

long long funnel_median(const long long *sorted, size_t n)
{
	long long a, b;

	if (n == 0)
		return 0;
	if (n % 2)
		return sorted[n / 2];
	a = sorted[n / 2 - 1];
	b = sorted[n / 2];
	return a + (b - a) / 2;
}

int funnel_conversion_permille(long long from, long long to)
{
	if (from <= 0 || to < 0)
		return -1;
	if (to >= from)
		return 1000;
	return (int)((to * 1000 + from / 2) / from);
}

const char *funnel_percent_text(int permille, char *out, size_t outlen)
{
	if (permille < 0)
		snprintf(out, outlen, "—");
	else
		snprintf(out, outlen, "%d.%d%%", permille / 10, permille % 10);
	return out;
}

const char *funnel_duration_text(long long seconds, long long count, char *out, size_t outlen)
{
	long long d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60;

	if (count <= 0 || seconds < 0)
		snprintf(out, outlen, "—");
	else if (d > 0)
		snprintf(out, outlen, "%lld d %lld h", d, h);
	else if (h > 0)
		snprintf(out, outlen, "%lld h %lld min", h, m);
	else
		snprintf(out, outlen, "%lld min", m);
	return out;
}
