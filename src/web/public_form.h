/*
 * public_form.h — what the public forms (/signup, /nominate) share: the
 * keyed hash of the client's address kept with a submission, and the
 * per-IP limit they count against together.
 *
 * Threading: reentrant; the rate limiter locks internally.
 */
#ifndef ONRAMP_PUBLIC_FORM_H
#define ONRAMP_PUBLIC_FORM_H

#include "http/http.h"

/* hex(keyed BLAKE2b(client IP)) of 16 bytes, in req->arena: lets staff see
 * that many submissions came from one place without storing where. NULL
 * on failure. */
const char *public_form_ip_hash(struct request *req);

/* Counts one public form post from the client against the per-IP limit
 * (ONRAMP_SIGNUP_RATE). Returns 0 if allowed; else the seconds to wait,
 * having added Retry-After to res. */
unsigned public_form_limit(struct request *req, struct response *res);

/* A hidden tracking value (source, ref) from p if it is short enough to
 * keep, else NULL. */
const char *public_form_tag(const struct http_params *p, const char *name);

#endif
