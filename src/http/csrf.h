/*
 * csrf.h — CSRF tokens bound to the visitor.
 *
 * Every visitor has a random cookie (onramp_csrf, HttpOnly, SameSite=Lax);
 * the token a form must echo is HMAC-SHA256(key, "csrf:" cookie), so it
 * cannot be forged without the server key and holds across server processes
 * sharing the key. Checked in constant time.
 */
#ifndef ONRAMP_CSRF_H
#define ONRAMP_CSRF_H

#include <stddef.h>

#define CSRF_COOKIE "onramp_csrf"
#define CSRF_FIELD  "csrf"
#define CSRF_TOKEN_LEN 64  /* buffer size for a token or cookie value */

/* Makes a new random cookie value (base64url, NUL-terminated) in out. */
void csrf_new_cookie(char out[CSRF_TOKEN_LEN]);
/* Derives the form token for a cookie value. Returns 0, or -1 if the cookie
 * value is malformed. */
int csrf_token(const unsigned char key[32], const char *cookie, char out[CSRF_TOKEN_LEN]);
/* Returns 1 if token is the right one for cookie, else 0. */
int csrf_verify(const unsigned char key[32], const char *cookie, const char *token);

#endif
