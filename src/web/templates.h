/*
 * templates.h — the registry of page templates, static files and theme
 * wording, built once at start-up.
 *
 * Every file compiled into the binary (web/embedded.h: "templates/NAME.mustache"
 * and "static/FILE") is registered by its short name ("signup", "style.css").
 * When a theme folder is given (ONRAMP_THEME), THEME/templates/NAME.mustache or
 * THEME/static/FILE replaces the built-in file of the same name, and the
 * optional THEME/strings.json (an object of strings) becomes the `t` object
 * every page sees (org_name, tagline, signup_intro, thanks_next_steps …; the
 * templates keep their built-in wording when a key is absent). A theme file
 * that cannot be read or compiled makes templates_load fail with the file and
 * line, so a broken theme stops start-up instead of showing broken pages.
 *
 * Only names in the registry can be looked up: a static name is never turned
 * into a file path at request time, so "../x" cannot reach the disk.
 *
 * Threading: built by one thread before the server starts; immutable after,
 * so any number of request threads may read and render concurrently.
 */
#ifndef ONRAMP_TEMPLATES_H
#define ONRAMP_TEMPLATES_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"

struct templates;
struct mustache_tmpl;

/* Compiles every embedded template (theme overrides first) and registers the
 * static files and strings. theme_dir may be NULL or "" for built-in only.
 * Returns the registry (free with templates_free), or NULL with a one-line
 * reason in err, e.g. "theme: templates/signup.mustache line 3: unclosed
 * section 'x'". */
struct templates *templates_load(const char *theme_dir, char *err, size_t errlen);
void templates_free(struct templates *t);

/* Returns the compiled template NAME (e.g. "signup"), or NULL. Owned by t. */
const struct mustache_tmpl *templates_get(const struct templates *t, const char *name);

/* Renders template name with ctx into out, resolving partials and parents
 * ({{>x}}, {{<layout}}) by name through the registry. Returns 0, or -1 if
 * there is no such template or rendering failed (too deep, out too big). */
int templates_render(const struct templates *t, const char *name, json_t *ctx, buf *out);

/* Finds static file name (e.g. "style.css": a bare registered name, never a
 * path). Returns 0 and sets *data, *len and *content_type (all owned by t),
 * or -1 if there is no such file. */
int templates_static(const struct templates *t, const char *name, const char **data,
                     size_t *len, const char **content_type);

/* The theme's wording overrides (an object, empty without strings.json).
 * Borrowed and shared between threads: never modify it; json_deep_copy() it
 * to put it in a request's context. */
const json_t *templates_strings(const struct templates *t);

#endif
