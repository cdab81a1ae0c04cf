/*
 * app.h — the application context every handler reaches through req->app.
 *
 * Built once by `onramp serve` (cli/cli_serve.c) before the server starts;
 * read-only afterwards except for the internally locked parts (db, rate
 * limits), so handlers on many threads share it safely.
 */
#ifndef ONRAMP_APP_H
#define ONRAMP_APP_H

struct config;
struct db;
struct keys;
struct templates;
struct ratelimit;
struct races;

struct app {
	const struct config *cfg;
	struct db           *db;
	struct keys         *keys;
	struct templates    *templates;    /* web/templates.h */
	struct ratelimit    *signup_limit; /* http/ratelimit.h: per-IP signups */
	struct ratelimit    *intake_limit; /* per intake form, each with its own rate (page_intake.c) */
	struct races        *races;        /* domain/races.h: the race finder and its boundary index */
};

#endif
