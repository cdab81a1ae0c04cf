/*
 * demo.h — a realistic, deterministic demo dataset (`onramp demo`).
 *
 * Every demo person goes through the real signup path (person_validate()
 * then people_signup()), so what a demo shows — dedupe of repeat
 * submissions, duplicate flags, the people list's filters — is what the
 * product does, not a picture of it. The names, cities and texts are made
 * up from built-in lists; phones are in the fictional 555 range.
 */
#ifndef ONRAMP_DEMO_H
#define ONRAMP_DEMO_H

#include <stddef.h>

struct db;
struct keys;

/* Submits `people` demo signups (>= 0) received over the last 18 months,
 * most of them recent: about 94.5% new people, 5% repeat submissions of
 * one of them (the email in other letter case or the phone in another
 * format, so dedupe merges them) and 0.5% (at least one from 20 on) with
 * one person's email and another's phone (so a duplicate flag is raised).
 * The same seed gives the same people, submissions and outcomes (the times
 * are relative to now). Runs several threads so group commit batches the
 * writes. Returns 0, or -1 with a one-line reason in err (signups made
 * before the failure stay). Thread-safe for one call at a time per db. */
int demo_load(struct db *db, const struct keys *keys, int people, unsigned seed, char *err,
              size_t errlen);

#endif
