/*
 * funnel.h — the arithmetic of the funnel report, kept apart from the
 * database so it is tested with hand-made numbers (tests/unit/test_funnel.c).
 *
 * The funnel counts people who REACHED a step (ever got that far), not who
 * is in it now: someone now "Won" has also passed "Filed". Each person
 * carries the highest funnel position they ever reached; a step's count is
 * the number of people whose highest position is at least the step's.
 * Pure functions; thread-safe.
 */
#ifndef ONRAMP_FUNNEL_H
#define ONRAMP_FUNNEL_H

#include <stddef.h>

/* Fills reached[k] (k < nsteps) with the number of people whose highest
 * position is >= positions[k], from a histogram: hist_count[j] people have
 * highest position hist_pos[j]. positions and hist_pos need not be sorted. */
void funnel_reached(const long long *positions, size_t nsteps, const long long *hist_pos,
                    const long long *hist_count, size_t nhist, long long *reached);

/* The median of n values sorted ascending: the middle one, or for an even n
 * the mean of the two middle ones rounded down (as store_funnel_median
 * computes it in SQL). 0 for n == 0. */
long long funnel_median(const long long *sorted, size_t n);

/* Conversion from a step reached by from people to the next, reached by to
 * people, in thousandths, rounded to nearest: 1000 * to / from. Returns -1
 * when from is 0 (no conversion to speak of). */
int funnel_conversion_permille(long long from, long long to);

/* Formats a conversion (permille, -1 for none) as "42.5%" or "—" into out
 * (at least 12 bytes). Returns out. */
const char *funnel_percent_text(int permille, char *out, size_t outlen);

/* Formats a duration in seconds as "3 d 4 h", "5 h 10 min", "40 min" or
 * "—" for a count of 0 into out (at least 24 bytes). Returns out. */
const char *funnel_duration_text(long long seconds, long long count, char *out, size_t outlen);

#endif
