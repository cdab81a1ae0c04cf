/*
 * mustache.h — a Mustache template engine (https://mustache.github.io/).
 *
 * Conforms to the official specification's core modules (interpolation,
 * sections, inverted sections, comments, partials, set delimiters) and the
 * optional inheritance module (parents {{<name}} and blocks {{$name}}), as
 * checked by `make conformance`. Lambdas are not supported. The data model
 * is jansson (json_t). {{name}} escapes HTML; {{{name}}} and {{&name}} do not.
 *
 * A template is compiled once (at start-up) and rendered many times; a
 * compiled template is immutable, so many threads may render it at once.
 */
#ifndef ONRAMP_MUSTACHE_H
#define ONRAMP_MUSTACHE_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"

struct mustache_tmpl;

/* Returns the compiled template of a partial or parent by name, or NULL if
 * there is none (which renders as empty text, as the spec says). */
typedef const struct mustache_tmpl *(*mustache_partial_fn)(void *ud, const char *name);

/* Compiles src (len bytes, up to LIMIT_TEMPLATE_MAX). Returns a template the
 * caller frees with mustache_free(), or NULL with a one-line reason in err
 * (e.g. "line 3: unclosed section 'people'"). */
struct mustache_tmpl *mustache_compile(const char *src, size_t len, char *err, size_t errlen);
void mustache_free(struct mustache_tmpl *t);

/* Renders t with data into out, resolving partials through partials(ud, name)
 * (partials may be NULL). Nesting deeper than LIMIT_TEMPLATE_DEPTH fails.
 * Returns 0, or -1 (too deep, or out grew past its max). */
/* Also fails past LIMIT_TEMPLATE_STEPS visited nodes (a partial including
 * itself twice would otherwise take 2^depth steps). Sections treat as falsey,
 * like the spec's `!!data`: a missing name, null, false, "", 0 and [].
 * Values print as: strings as is, integers in decimal, reals in the shortest
 * form that reads back the same (1.5, not 1.50000), true/false as words;
 * null, objects and arrays as nothing. On -1, out holds partial output. */
int mustache_render(const struct mustache_tmpl *t, json_t *data,
                    mustache_partial_fn partials, void *ud, buf *out);

/* Renders t as plain text (an email body or subject): like
 * mustache_render without partials, except that {{name}} is not
 * HTML-escaped — the output is not HTML, and "&" must stay "&". */
int mustache_render_text(const struct mustache_tmpl *t, json_t *data, buf *out);

#endif
