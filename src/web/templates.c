/*
 * templates.c — the template, static-file and wording registry. See templates.h.
 *
 * Built from embedded_files[] (the files compiled into the binary). For each
 * embedded file the theme folder is consulted first; a theme file is read
 * whole (up to LIMIT_TEMPLATE_MAX for templates, LIMIT_STATIC_FILE_MAX for
 * static files) into memory owned by the registry, so nothing touches the
 * disk after start-up and request-time names are only ever compared with
 * registered names.
 *
 * Invariants: every registered template compiled; names are unique (the
 * first embedded file of a name wins, which tools/embed.c never repeats).
 * Threading: written only inside templates_load; read-only afterwards.
 */
#include "web/templates.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/limits.h"
#include "lib/log.h"
#include "lib/mustache.h"
#include "web/embedded.h"

#define TEMPLATES_DIR      "templates/"
#define TEMPLATES_EXT      ".mustache"
#define STATIC_DIR         "static/"
#define TEMPLATES_NAME_MAX 128
#define THEME_PATH_MAX     2048

struct tmpl_entry {
	char                  name[TEMPLATES_NAME_MAX];
	struct mustache_tmpl *tmpl;
};

struct static_entry {
	char        name[TEMPLATES_NAME_MAX];
	const char *data;          /* embedded data, or owned when themed */
	size_t      len;
	char       *owned;         /* malloc'd theme copy, or NULL */
	const char *content_type;
};

struct templates {
	struct tmpl_entry   *tmpls;
	size_t               n_tmpls;
	struct static_entry *statics;
	size_t               n_statics;
	json_t              *strings;
};

static const struct {
	const char *ext;
	const char *type;
} content_types[] = {
	{ ".css",   "text/css; charset=utf-8" },
	{ ".svg",   "image/svg+xml" },
	{ ".png",   "image/png" },
	{ ".jpg",   "image/jpeg" },
	{ ".jpeg",  "image/jpeg" },
	{ ".gif",   "image/gif" },
	{ ".ico",   "image/x-icon" },
	{ ".webp",  "image/webp" },
	{ ".woff2", "font/woff2" },
	{ ".woff",  "font/woff" },
	{ ".txt",   "text/plain; charset=utf-8" },
	{ ".js",    "text/javascript; charset=utf-8" },
	{ ".json",  "application/json" },
};

static const char *static_content_type(const char *name)
{
	size_t i, n = strlen(name), e;

	for (i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
		e = strlen(content_types[i].ext);
		if (n > e && strcasecmp(name + n - e, content_types[i].ext) == 0)
			return content_types[i].type;
	}
	return "application/octet-stream";
}

/* Reads THEME/rel whole into a malloc'd NUL-terminated buffer. Returns 1 and
 * *out and *len when the file exists, 0 when it does not, -1 with a reason. */
static int theme_read(const char *theme_dir, const char *rel, size_t max, char **out,
                      size_t *len, char *err, size_t errlen)
{
	char path[THEME_PATH_MAX];
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, n;

	n = snprintf(path, sizeof(path), "%s/%s", theme_dir, rel);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "theme: %s: path too long", rel);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "theme: %s: %s", rel, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "theme: %s: not a regular file", rel);
		goto fail;
	}
	if ((unsigned long long)st.st_size > max) {
		snprintf(err, errlen, "theme: %s: larger than %zu bytes", rel, max);
		goto fail;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		snprintf(err, errlen, "theme: %s: out of memory", rel);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, data + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "theme: %s: read failed", rel);
			goto fail;
		}
		got += (size_t)r;
	}
	data[got] = '\0';
	close(fd);
	*out = data;
	*len = got;
	return 1;
fail:
	free(data);
	close(fd);
	return -1;
}

/* Loads THEME/strings.json when present: an object whose values are strings. */
static int strings_load(const char *theme_dir, json_t **out, char *err, size_t errlen)
{
	char *data = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *obj = NULL, *v;
	const char *key;
	int rc;

	*out = NULL;
	if (theme_dir && *theme_dir) {
		rc = theme_read(theme_dir, "strings.json", LIMIT_TEMPLATE_MAX, &data, &len, err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			obj = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
			free(data);
			if (!obj) {
				snprintf(err, errlen, "theme: strings.json line %d: %s", jerr.line, jerr.text);
				return -1;
			}
			if (!json_is_object(obj)) {
				snprintf(err, errlen, "theme: strings.json: must be an object of strings");
				goto fail;
			}
			json_object_foreach(obj, key, v) {
				if (!json_is_string(v) || json_string_length(v) > LIMIT_LONG_TEXT) {
					snprintf(err, errlen, "theme: strings.json: \"%s\" must be a string of at most %d bytes",
					         key, LIMIT_LONG_TEXT);
					goto fail;
				}
			}
		}
	}
	if (!obj)
		obj = json_object();
	if (!obj) {
		snprintf(err, errlen, "templates: out of memory");
		return -1;
	}
	*out = obj;
	return 0;
fail:
	json_decref(obj);
	return -1;
}

/* Copies the part of path between prefix and suffix into name. Returns 0, or
 * -1 if path does not have that shape. */
static int embedded_name(const char *path, const char *prefix, const char *suffix, char *name)
{
	size_t pl = strlen(prefix), sl = strlen(suffix), n = strlen(path);

	if (n <= pl + sl || strncmp(path, prefix, pl) != 0 || strcmp(path + n - sl, suffix) != 0)
		return -1;
	n -= pl + sl;
	if (n >= TEMPLATES_NAME_MAX || memchr(path + pl, '/', n))
		return -1;
	memcpy(name, path + pl, n);
	name[n] = '\0';
	return 0;
}

static int template_add(struct templates *t, const char *theme_dir, const struct embedded_file *f,
                        const char *name, char *err, size_t errlen)
{
	char cerr[256];
	char *themed = NULL;
	const char *src = f->data;
	size_t len = f->len;
	struct mustache_tmpl *m;
	int rc = 0;

	if (templates_get(t, name))
		return 0;
	if (theme_dir && *theme_dir) {
		rc = theme_read(theme_dir, f->path, LIMIT_TEMPLATE_MAX, &themed, &len, err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 1)
			src = themed;
		else
			len = f->len;
	}
	m = mustache_compile(src, len, cerr, sizeof(cerr));
	free(themed);
	if (!m) {
		snprintf(err, errlen, "%s%s %s", rc == 1 ? "theme: " : "built-in ", f->path, cerr);
		return -1;
	}
	snprintf(t->tmpls[t->n_tmpls].name, TEMPLATES_NAME_MAX, "%s", name);
	t->tmpls[t->n_tmpls].tmpl = m;
	t->n_tmpls++;
	return 0;
}

static int static_add(struct templates *t, const char *theme_dir, const struct embedded_file *f,
                      const char *name, char *err, size_t errlen)
{
	struct static_entry *s;
	char *themed = NULL;
	size_t len = 0;
	int rc;

	if (templates_static(t, name, NULL, NULL, NULL) == 0)
		return 0;
	s = &t->statics[t->n_statics];
	snprintf(s->name, TEMPLATES_NAME_MAX, "%s", name);
	s->data = f->data;
	s->len = f->len;
	s->owned = NULL;
	s->content_type = static_content_type(name);
	if (theme_dir && *theme_dir) {
		rc = theme_read(theme_dir, f->path, LIMIT_STATIC_FILE_MAX, &themed, &len, err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			s->owned = themed;
			s->data = themed;
			s->len = len;
		}
	}
	t->n_statics++;
	return 0;
}

struct templates *templates_load(const char *theme_dir, char *err, size_t errlen)
{
	struct templates *t;
	struct stat st;
	char name[TEMPLATES_NAME_MAX];
	size_t n = 0, i;

	if (theme_dir && *theme_dir && (stat(theme_dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		snprintf(err, errlen, "theme: %s is not a folder", theme_dir);
		return NULL;
	}
	while (embedded_files[n].path)
		n++;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto oom;
	t->tmpls = calloc(n ? n : 1, sizeof(*t->tmpls));
	t->statics = calloc(n ? n : 1, sizeof(*t->statics));
	if (!t->tmpls || !t->statics)
		goto oom;
	for (i = 0; i < n; i++) {
		const struct embedded_file *f = &embedded_files[i];

		if (embedded_name(f->path, TEMPLATES_DIR, TEMPLATES_EXT, name) == 0) {
			if (template_add(t, theme_dir, f, name, err, errlen) < 0)
				goto fail;
		} else if (embedded_name(f->path, STATIC_DIR, "", name) == 0) {
			if (static_add(t, theme_dir, f, name, err, errlen) < 0)
				goto fail;
		} else {
			log_warn("templates: ignoring embedded file %s", f->path);
		}
	}
	if (strings_load(theme_dir, &t->strings, err, errlen) < 0)
		goto fail;
	if (theme_dir && *theme_dir)
		log_info("templates: theme %s loaded", theme_dir);
	return t;
oom:
	snprintf(err, errlen, "templates: out of memory");
fail:
	templates_free(t);
	return NULL;
}

void templates_free(struct templates *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; t->tmpls && i < t->n_tmpls; i++)
		mustache_free(t->tmpls[i].tmpl);
	for (i = 0; t->statics && i < t->n_statics; i++)
		free(t->statics[i].owned);
	free(t->tmpls);
	free(t->statics);
	json_decref(t->strings);
	free(t);
}

const struct mustache_tmpl *templates_get(const struct templates *t, const char *name)
{
	size_t i;

	if (!t || !name)
		return NULL;
	for (i = 0; i < t->n_tmpls; i++)
		if (strcmp(t->tmpls[i].name, name) == 0)
			return t->tmpls[i].tmpl;
	return NULL;
}

/* mustache_partial_fn: partials and parents resolve by registered name. */
static const struct mustache_tmpl *templates_partial(void *ud, const char *name)
{
	return templates_get(ud, name);
}

int templates_render(const struct templates *t, const char *name, json_t *ctx, buf *out)
{
	const struct mustache_tmpl *m = templates_get(t, name);

	if (!m) {
		log_error("templates: no template named %s", name ? name : "(null)");
		return -1;
	}
	/* The registry is immutable; the callback only reads it. */
	return mustache_render(m, ctx, templates_partial, (void *)t, out);
}

int templates_static(const struct templates *t, const char *name, const char **data,
                     size_t *len, const char **content_type)
{
	size_t i;

	if (!t || !name || !*name || name[0] == '.' || strchr(name, '/') || strchr(name, '\\'))
		return -1;
	for (i = 0; i < t->n_statics; i++) {
		if (strcmp(t->statics[i].name, name) != 0)
			continue;
		if (data)
			*data = t->statics[i].data;
		if (len)
			*len = t->statics[i].len;
		if (content_type)
			*content_type = t->statics[i].content_type;
		return 0;
	}
	return -1;
}

const json_t *templates_strings(const struct templates *t)
{
	return t->strings;
}
