/*
 * mustache.c — the Mustache engine behind mustache.h.
 *
 * Compilation turns the source into a flat array of nodes. A container node
 * (section, inverted section, parent, block) records the index one past its
 * last child, so rendering walks ranges of the array and skips a container
 * by jumping to its end; there are no tree pointers to free or to get wrong.
 *
 * Whitespace. The spec's whitespace rules are settled at compile time:
 * standalone lines (a line holding only whitespace and one section, inverted,
 * close, comment, partial, parent, block or set-delimiter tag) vanish; the
 * whitespace before a standalone partial or parent becomes the indentation of
 * every line of what it includes; a block's body loses its own indentation
 * where it is written ("intrinsic" indentation, stripped from each of its
 * lines) and gets the indentation of the place it is expanded. Text is split
 * into one node per line so that stripping touches only line starts.
 * Indentation is emitted lazily at render time, before the first byte of each
 * template line, so interpolated values that contain newlines are never
 * indented — the spec's "Standalone Indentation" case.
 *
 * Inheritance. Rendering a parent pushes a frame (the parent node: its direct
 * block children are the arguments) on a chain that lives on the C stack. A
 * block looks its name up along the whole chain and the outermost frame wins,
 * so the top-level template's substitutions take precedence.
 *
 * Invariants: a compiled template is never written after mustache_compile()
 * returns; every pointer in its nodes points into its own copy of the source
 * or its own name pool. Rendering keeps all of its state (context stack,
 * indentation stack, counters) in a struct on the caller's stack, bounded by
 * LIMIT_TEMPLATE_DEPTH, and counts the nodes it visits against
 * LIMIT_TEMPLATE_STEPS so that a tiny template (a partial that includes itself
 * twice) cannot make exponential work.
 *
 * Threading: compile and render use no global state; one compiled template may
 * be rendered by many threads at once (the partial callback must allow that).
 */
#include "lib/mustache.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/limits.h"

enum node_kind {
	NODE_TEXT,     /* literal text (s, n), never longer than one line */
	NODE_VAR,      /* {{name}}: HTML-escaped */
	NODE_RAW,      /* {{{name}}} or {{&name}}: not escaped */
	NODE_SECTION,  /* {{#name}} … {{/name}} */
	NODE_INVERTED, /* {{^name}} … {{/name}} */
	NODE_PARTIAL,  /* {{>name}} */
	NODE_PARENT,   /* {{<name}} … {{/name}}: direct block children are arguments */
	NODE_BLOCK     /* {{$name}} … {{/name}} */
};

#define NODE_BOL 0x01 /* a text node that begins a template line */

struct node {
	unsigned char kind;
	unsigned char flags;
	size_t        end;  /* containers: index one past the last child */
	const char   *s;    /* text, or the NUL-terminated name */
	size_t        n;
	const char   *ind;  /* partial, parent, block: indentation of the expansion;
	                     * sections: the stripped whitespace of a standalone
	                     * opening tag (only used to measure block bodies) */
	size_t        indn;
};

struct mustache_tmpl {
	char        *src;   /* copy of the source: text nodes point into it */
	char        *names; /* NUL-terminated names, one after another */
	struct node *nodes;
	size_t       count;
};

/* ---------------------------------------------------------------------- */
/* Compilation                                                             */
/* ---------------------------------------------------------------------- */

/* One open container while compiling. */
struct open_tag {
	size_t      node;        /* index of the container node */
	size_t      pos;         /* source offset of the opening tag */
	int         standalone;  /* blocks: the opening tag was standalone */
	int         ws_only;     /* only whitespace precedes the tag on its line */
	const char *ws;          /* that whitespace (when ws_only) */
	size_t      wsn;
	size_t      prefix_node; /* parents: text node holding ws, or SIZE_MAX */
};

struct compiler {
	struct mustache_tmpl *t;
	const char *src;         /* t->src */
	size_t      len;
	size_t      cap;         /* nodes allocated */
	size_t      names_used;
	size_t      names_cap;
	const char *otag;
	size_t      otagn;
	const char *ctag;
	size_t      ctagn;
	struct open_tag open[LIMIT_TEMPLATE_DEPTH];
	int         nopen;
	char       *err;
	size_t      errlen;
};

/* A parsed tag: [start, end) is the whole tag in the source. */
struct tag {
	char        sigil;      /* 0 for a plain variable */
	const char *body;       /* content, trimmed (comments: untrimmed) */
	size_t      bodyn;
	size_t      start;
	size_t      end;
};

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' ||
	       ch == '\f' || ch == '\v';
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Finds needle in hay[from, hayn); returns its offset or SIZE_MAX. */
static size_t mustache_find(const char *hay, size_t hayn, size_t from,
                            const char *needle, size_t needlen)
{
	const char *p;

	while (from < hayn && hayn - from >= needlen) {
		p = memchr(hay + from, needle[0], hayn - from - needlen + 1);
		if (!p)
			return SIZE_MAX;
		if (memcmp(p, needle, needlen) == 0)
			return (size_t)(p - hay);
		from = (size_t)(p - hay) + 1;
	}
	return SIZE_MAX;
}

/* Writes "line N: <message>" into the caller's err. A long name in the
 * message may be cut short: err is a human-readable hint, not data. */
static int compile_fail(struct compiler *c, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int compile_fail(struct compiler *c, size_t pos, const char *fmt, ...)
{
	va_list ap;
	size_t i;
	unsigned line = 1;
	int n;

	if (!c->err || c->errlen == 0)
		return -1;
	for (i = 0; i < pos && i < c->len; i++)
		if (c->src[i] == '\n')
			line++;
	n = snprintf(c->err, c->errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends a node; returns its index, or SIZE_MAX when out of memory. */
static size_t compile_add_node(struct compiler *c, unsigned char kind)
{
	struct node *nodes;
	size_t cap;

	if (c->t->count == c->cap) {
		cap = c->cap ? c->cap * 2 : 64;
		nodes = realloc(c->t->nodes, cap * sizeof *nodes);
		if (!nodes)
			return SIZE_MAX;
		c->t->nodes = nodes;
		c->cap = cap;
	}
	memset(&c->t->nodes[c->t->count], 0, sizeof c->t->nodes[0]);
	c->t->nodes[c->t->count].kind = kind;
	c->t->nodes[c->t->count].ind = "";
	return c->t->count++;
}

/* Copies a name into the pool, NUL-terminated. The pool holds len + 1
 * bytes, which always suffices: a name of n bytes sits in a tag of at least
 * n + 2 bytes, and only opening tags are copied. */
static const char *compile_add_name(struct compiler *c, const char *s, size_t n)
{
	char *p;

	if (n + 1 > c->names_cap - c->names_used)
		return NULL;
	p = c->t->names + c->names_used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->names_used += n + 1;
	return p;
}

static int compile_in_parent(const struct compiler *c)
{
	return c->nopen > 0 &&
	       c->t->nodes[c->open[c->nopen - 1].node].kind == NODE_PARENT;
}

/* Adds src[a, b) as text nodes, one per line. Text directly inside a parent
 * tag is dropped: only the parent's blocks mean anything there. */
static int compile_text(struct compiler *c, size_t a, size_t b)
{
	const char *nl;
	size_t e, i;

	if (compile_in_parent(c))
		return 0;
	while (a < b) {
		nl = memchr(c->src + a, '\n', b - a);
		e = nl ? (size_t)(nl - c->src) + 1 : b;
		i = compile_add_node(c, NODE_TEXT);
		if (i == SIZE_MAX)
			return compile_fail(c, a, "out of memory");
		c->t->nodes[i].s = c->src + a;
		c->t->nodes[i].n = e - a;
		if (a == 0 || c->src[a - 1] == '\n')
			c->t->nodes[i].flags |= NODE_BOL;
		a = e;
	}
	return 0;
}

/* Reads the tag that starts at offset ts (at the open delimiter). */
static int compile_parse_tag(struct compiler *c, size_t ts, struct tag *tg)
{
	char needle[LIMIT_TEMPLATE_DELIM + 1];
	size_t p = ts + c->otagn, needlen, found;
	const char *b, *e;

	memset(tg, 0, sizeof *tg);
	tg->start = ts;
	if (p < c->len && c->src[p] != '\0' && strchr("#^/!><$=&{", c->src[p])) {
		tg->sigil = c->src[p];
		p++;
	}
	needlen = 0;
	if (tg->sigil == '{')
		needle[needlen++] = '}';
	else if (tg->sigil == '=')
		needle[needlen++] = '=';
	memcpy(needle + needlen, c->ctag, c->ctagn);
	needlen += c->ctagn;
	found = mustache_find(c->src, c->len, p, needle, needlen);
	if (found == SIZE_MAX)
		return compile_fail(c, ts, "unclosed tag");
	tg->end = found + needlen;
	b = c->src + p;
	e = c->src + found;
	if (tg->sigil != '!') {
		while (b < e && is_space(*b))
			b++;
		while (e > b && is_space(e[-1]))
			e--;
	}
	tg->body = b;
	tg->bodyn = (size_t)(e - b);
	return 0;
}

/* Checks a tag's name: not empty, no whitespace; for data names ("dotted"),
 * either "." or non-empty parts separated by single dots. */
static int compile_check_name(struct compiler *c, const struct tag *tg, int dotted)
{
	size_t i;

	if (tg->bodyn == 0)
		return compile_fail(c, tg->start, "empty tag");
	for (i = 0; i < tg->bodyn; i++)
		if (is_space(tg->body[i]))
			goto bad;
	if (!dotted || (tg->bodyn == 1 && tg->body[0] == '.'))
		return 0;
	if (tg->body[0] == '.' || tg->body[tg->bodyn - 1] == '.')
		goto bad;
	for (i = 1; i < tg->bodyn; i++)
		if (tg->body[i] == '.' && tg->body[i - 1] == '.')
			goto bad;
	return 0;
bad:
	return compile_fail(c, tg->start, "bad tag name '%.*s'",
	                    (int)(tg->bodyn > 64 ? 64 : tg->bodyn), tg->body);
}

/* {{=<% %>=}}: two non-empty delimiters without whitespace. */
static int compile_set_delims(struct compiler *c, const struct tag *tg)
{
	const char *s = tg->body, *end = tg->body + tg->bodyn, *o, *cl;
	size_t on, cn;

	o = s;
	while (s < end && !is_space(*s))
		s++;
	on = (size_t)(s - o);
	while (s < end && is_space(*s))
		s++;
	cl = s;
	while (s < end && !is_space(*s))
		s++;
	cn = (size_t)(s - cl);
	if (on == 0 || cn == 0 || s != end ||
	    on > LIMIT_TEMPLATE_DELIM || cn > LIMIT_TEMPLATE_DELIM)
		return compile_fail(c, tg->start, "bad delimiter");
	c->otag = o;
	c->otagn = on;
	c->ctag = cl;
	c->ctagn = cn;
	return 0;
}

/* The indentation of the first line of nodes [from, to), for a block whose
 * opening tag is standalone. Returns 0 if the range renders nothing. */
static int compile_first_indent(const struct compiler *c, size_t from, size_t to,
                                const char **ws, size_t *wsn)
{
	const struct node *x;
	size_t i, k;

	for (i = from; i < to; i++) {
		x = &c->t->nodes[i];
		if (x->kind == NODE_TEXT) {
			if (x->n == 0)
				continue;
			for (k = 0; k < x->n && is_blank(x->s[k]); k++)
				;
			*ws = x->s;
			*wsn = k;
			return 1;
		}
		*ws = x->ind;
		*wsn = x->indn;
		return 1;
	}
	return 0;
}

static void strip_blanks(const char **s, size_t *n, size_t max)
{
	size_t k = 0;

	while (k < max && k < *n && is_blank((*s)[k]))
		k++;
	*s += k;
	*n -= k;
}

/* Removes up to strip blanks from the start of every line of a block body
 * [from, to). Nested block bodies and parent arguments keep theirs: they are
 * re-indented where they are expanded, relative to their own first line; only
 * the indentation recorded for their expansion shrinks. */
static void compile_strip(struct compiler *c, size_t from, size_t to, size_t strip)
{
	struct node *x;
	size_t i = from;

	if (strip == 0)
		return;
	while (i < to) {
		x = &c->t->nodes[i];
		switch (x->kind) {
		case NODE_TEXT:
			if (x->flags & NODE_BOL)
				strip_blanks(&x->s, &x->n, strip);
			i++;
			break;
		case NODE_PARENT:
		case NODE_BLOCK:
			strip_blanks(&x->ind, &x->indn, strip);
			i = x->end;
			break;
		default:
			strip_blanks(&x->ind, &x->indn, strip);
			i++;
			break;
		}
	}
}

/* Called when a block closes: settles the indentation of its expansion and
 * strips its body's own indentation. args is set for a block written
 * directly inside a parent tag (an argument, never expanded in place). */
static void compile_block_done(struct compiler *c, const struct open_tag *o, int args)
{
	struct node *b = &c->t->nodes[o->node];
	const char *ws = "";
	size_t wsn = 0;
	int some;

	if (o->standalone) {
		some = compile_first_indent(c, o->node + 1, b->end, &ws, &wsn);
		if (!args) {
			b->ind = some ? ws : o->ws;
			b->indn = some ? wsn : o->wsn;
		}
	} else if (o->ws_only && !args) {
		ws = o->ws;
		wsn = o->wsn;
		b->ind = ws;
		b->indn = wsn;
	}
	compile_strip(c, o->node + 1, b->end, wsn);
}

/* Handles a closing tag {{/name}}; sets *next to where text resumes. */
static int compile_close(struct compiler *c, const struct tag *tg, size_t pos,
                         int ws_only, size_t ls, int blank, size_t *next, size_t nl)
{
	struct open_tag *o;
	struct node *x;
	int standalone, args;

	if (tg->bodyn == 0)
		return compile_fail(c, tg->start, "empty tag");
	if (c->nopen == 0)
		return compile_fail(c, tg->start, "unopened section '%.*s'",
		                    (int)(tg->bodyn > 64 ? 64 : tg->bodyn), tg->body);
	o = &c->open[c->nopen - 1];
	x = &c->t->nodes[o->node];
	if (x->n != tg->bodyn || memcmp(x->s, tg->body, tg->bodyn) != 0)
		return compile_fail(c, tg->start, "mismatched close '%.*s' for '%.*s'",
		                    (int)(tg->bodyn > 64 ? 64 : tg->bodyn), tg->body,
		                    (int)(x->n > 64 ? 64 : x->n), x->s);
	args = x->kind == NODE_BLOCK && c->nopen >= 2 &&
	       c->t->nodes[c->open[c->nopen - 2].node].kind == NODE_PARENT;
	if (x->kind == NODE_PARENT)
		/* The parent tag pair is one unit: standalone when only blanks
		 * precede the opening tag and follow the closing one. */
		standalone = o->ws_only && blank;
	else if (args)
		/* What follows an argument is ignored text of the parent. */
		standalone = ws_only;
	else
		standalone = ws_only && blank;

	if (compile_text(c, pos, standalone && x->kind != NODE_PARENT ? ls : tg->start) < 0)
		return -1;
	x = &c->t->nodes[o->node]; /* compile_text may have moved the array */
	x->end = c->t->count;
	if (x->kind == NODE_PARENT && standalone) {
		if (o->prefix_node != SIZE_MAX)
			c->t->nodes[o->prefix_node].n = 0;
		x->ind = o->ws;
		x->indn = o->wsn;
	}
	c->nopen--;
	if (x->kind == NODE_BLOCK)
		compile_block_done(c, o, args);
	*next = standalone && blank ? nl : tg->end;
	return 0;
}

/* Handles an opening tag: section, inverted, parent or block. */
static int compile_open(struct compiler *c, const struct tag *tg, unsigned char kind,
                        size_t pos, int ws_only, size_t ls, int blank,
                        size_t *next, size_t nl)
{
	struct open_tag *o;
	const char *name;
	size_t i, prefix = SIZE_MAX;
	int standalone, args = compile_in_parent(c);

	if (compile_check_name(c, tg, kind == NODE_SECTION || kind == NODE_INVERTED) < 0)
		return -1;
	if (c->nopen >= LIMIT_TEMPLATE_DEPTH)
		return compile_fail(c, tg->start, "sections nested deeper than %d",
		                    LIMIT_TEMPLATE_DEPTH);
	if (kind == NODE_PARENT) {
		/* Standalone is known only at the closing tag; keep the
		 * line's leading blanks in their own node until then. */
		standalone = 0;
		if (compile_text(c, pos, ws_only ? ls : tg->start) < 0)
			return -1;
		if (ws_only && ls < tg->start && !args) {
			prefix = c->t->count;
			if (compile_text(c, ls, tg->start) < 0)
				return -1;
		}
	} else {
		if (kind == NODE_BLOCK && args)
			standalone = blank; /* what precedes is ignored text */
		else
			standalone = ws_only && blank;
		if (compile_text(c, pos, standalone ? ls : tg->start) < 0)
			return -1;
	}
	i = compile_add_node(c, kind);
	if (i == SIZE_MAX)
		return compile_fail(c, tg->start, "out of memory");
	name = compile_add_name(c, tg->body, tg->bodyn);
	if (!name)
		return compile_fail(c, tg->start, "out of memory");
	c->t->nodes[i].s = name;
	c->t->nodes[i].n = tg->bodyn;
	if (standalone && ws_only) {
		c->t->nodes[i].ind = c->src + ls;
		c->t->nodes[i].indn = tg->start - ls;
	}
	o = &c->open[c->nopen++];
	o->node = i;
	o->pos = tg->start;
	o->standalone = standalone;
	o->ws_only = ws_only;
	o->ws = ws_only ? c->src + ls : "";
	o->wsn = ws_only ? tg->start - ls : 0;
	o->prefix_node = prefix;
	*next = standalone ? nl : tg->end;
	return 0;
}

/* Handles one tag; sets *next to where text resumes. */
static int compile_tag(struct compiler *c, const struct tag *tg, size_t pos, size_t *next)
{
	size_t k, q, nl, i;
	int ws_only, blank, standalone;
	const char *name;

	/* Blanks before the tag, back to the start of its line? */
	for (k = tg->start; k > 0 && is_blank(c->src[k - 1]); k--)
		;
	ws_only = k == 0 || c->src[k - 1] == '\n';
	/* Blanks after it, to the end of its line? */
	for (q = tg->end; q < c->len && is_blank(c->src[q]); q++)
		;
	blank = 1;
	if (q == c->len)
		nl = q;
	else if (c->src[q] == '\n')
		nl = q + 1;
	else if (c->src[q] == '\r' && q + 1 < c->len && c->src[q + 1] == '\n')
		nl = q + 2;
	else {
		blank = 0;
		nl = q;
	}

	switch (tg->sigil) {
	case '#':
		return compile_open(c, tg, NODE_SECTION, pos, ws_only, k, blank, next, nl);
	case '^':
		return compile_open(c, tg, NODE_INVERTED, pos, ws_only, k, blank, next, nl);
	case '<':
		return compile_open(c, tg, NODE_PARENT, pos, ws_only, k, blank, next, nl);
	case '$':
		return compile_open(c, tg, NODE_BLOCK, pos, ws_only, k, blank, next, nl);
	case '/':
		return compile_close(c, tg, pos, ws_only, k, blank, next, nl);
	case '!':
	case '=':
		standalone = ws_only && blank;
		if (compile_text(c, pos, standalone ? k : tg->start) < 0)
			return -1;
		if (tg->sigil == '=' && compile_set_delims(c, tg) < 0)
			return -1;
		*next = standalone ? nl : tg->end;
		return 0;
	case '>':
		if (compile_check_name(c, tg, 0) < 0)
			return -1;
		standalone = ws_only && blank;
		if (compile_text(c, pos, standalone ? k : tg->start) < 0)
			return -1;
		i = compile_add_node(c, NODE_PARTIAL);
		name = compile_add_name(c, tg->body, tg->bodyn);
		if (i == SIZE_MAX || !name)
			return compile_fail(c, tg->start, "out of memory");
		c->t->nodes[i].s = name;
		c->t->nodes[i].n = tg->bodyn;
		if (standalone) {
			c->t->nodes[i].ind = c->src + k;
			c->t->nodes[i].indn = tg->start - k;
		}
		*next = standalone ? nl : tg->end;
		return 0;
	default: /* variables: never standalone */
		if (compile_check_name(c, tg, 1) < 0)
			return -1;
		if (compile_text(c, pos, tg->start) < 0)
			return -1;
		i = compile_add_node(c, tg->sigil ? NODE_RAW : NODE_VAR);
		name = compile_add_name(c, tg->body, tg->bodyn);
		if (i == SIZE_MAX || !name)
			return compile_fail(c, tg->start, "out of memory");
		c->t->nodes[i].s = name;
		c->t->nodes[i].n = tg->bodyn;
		*next = tg->end;
		return 0;
	}
}

struct mustache_tmpl *mustache_compile(const char *src, size_t len, char *err, size_t errlen)
{
	struct compiler c;
	struct tag tg;
	size_t pos = 0, ts, next;
	const struct node *x;

	memset(&c, 0, sizeof c);
	c.err = err;
	c.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	if (!src && len) {
		if (err && errlen)
			snprintf(err, errlen, "no template");
		return NULL;
	}
	if (len > LIMIT_TEMPLATE_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "template larger than %d bytes", LIMIT_TEMPLATE_MAX);
		return NULL;
	}
	c.t = calloc(1, sizeof *c.t);
	if (!c.t)
		goto oom;
	c.t->src = malloc(len + 1);
	c.t->names = malloc(len + 1);
	if (!c.t->src || !c.t->names)
		goto oom;
	if (len)
		memcpy(c.t->src, src, len);
	c.t->src[len] = '\0';
	c.src = c.t->src;
	c.len = len;
	c.names_cap = len + 1;
	c.otag = "{{";
	c.otagn = 2;
	c.ctag = "}}";
	c.ctagn = 2;

	while (pos < len) {
		ts = mustache_find(c.src, len, pos, c.otag, c.otagn);
		if (ts == SIZE_MAX) {
			if (compile_text(&c, pos, len) < 0)
				goto fail;
			break;
		}
		if (compile_parse_tag(&c, ts, &tg) < 0)
			goto fail;
		if (compile_tag(&c, &tg, pos, &next) < 0)
			goto fail;
		pos = next;
	}
	if (c.nopen > 0) {
		x = &c.t->nodes[c.open[c.nopen - 1].node];
		compile_fail(&c, c.open[c.nopen - 1].pos, "unclosed %s '%.*s'",
		             x->kind == NODE_PARENT ? "parent" :
		             x->kind == NODE_BLOCK ? "block" : "section",
		             (int)(x->n > 64 ? 64 : x->n), x->s);
		goto fail;
	}
	return c.t;
oom:
	if (err && errlen)
		snprintf(err, errlen, "out of memory");
fail:
	mustache_free(c.t);
	return NULL;
}

void mustache_free(struct mustache_tmpl *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->names);
	free(t->src);
	free(t);
}

/* ---------------------------------------------------------------------- */
/* Rendering                                                               */
/* ---------------------------------------------------------------------- */

struct seg {
	const char *p;
	size_t      n;
};

struct render {
	buf                *out;
	mustache_partial_fn partials;
	void               *ud;
	json_t             *ctx[LIMIT_TEMPLATE_DEPTH + 1]; /* context stack */
	int                 nctx;
	struct seg          ind[LIMIT_TEMPLATE_DEPTH + 1]; /* indentation stack */
	int                 nind;
	int                 depth;
	int                 line_start; /* the next template byte begins a line */
	int                 plain;      /* plain text output: {{name}} is not HTML-escaped */
	unsigned long       steps;
};

/* The arguments of one parent expansion, innermost first. */
struct chain {
	const struct mustache_tmpl *t;
	size_t                      parent; /* index of the parent node in t */
	const struct chain         *outer;
};

static int render_range(struct render *r, const struct mustache_tmpl *t,
                        size_t from, size_t to, const struct chain *ch);

static int render_step(struct render *r)
{
	if (++r->steps > LIMIT_TEMPLATE_STEPS || buf_failed(r->out))
		return -1;
	return 0;
}

static int render_indent(struct render *r)
{
	int i;

	r->line_start = 0;
	for (i = 0; i < r->nind; i++)
		if (buf_add(r->out, r->ind[i].p, r->ind[i].n) < 0)
			return -1;
	return 0;
}

/* Template text: indentation goes before the first byte of each line. */
static int render_text(struct render *r, const char *s, size_t n)
{
	const char *nl;
	size_t k;

	while (n > 0) {
		if (r->line_start && render_indent(r) < 0)
			return -1;
		nl = memchr(s, '\n', n);
		k = nl ? (size_t)(nl - s) + 1 : n;
		if (buf_add(r->out, s, k) < 0)
			return -1;
		s += k;
		n -= k;
		if (nl)
			r->line_start = 1;
	}
	return 0;
}

/* Shortest text that reads back as the same double (1.5 → "1.5"). */
static size_t render_real(double d, char *tmp, size_t size)
{
	int prec, n = 0;

	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, size, "%.*g", prec, d);
		if (n < 0 || (size_t)n >= size)
			return 0;
		if (strtod(tmp, NULL) == d)
			break;
	}
	return (size_t)n;
}

static int render_value(struct render *r, json_t *v, int escape)
{
	char tmp[64];
	const char *s = tmp;
	size_t n = 0;
	int k;

	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		break;
	case JSON_INTEGER:
		k = snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		n = k > 0 && (size_t)k < sizeof tmp ? (size_t)k : 0;
		break;
	case JSON_REAL:
		n = render_real(json_real_value(v), tmp, sizeof tmp);
		break;
	case JSON_TRUE:
		s = "true";
		n = 4;
		break;
	case JSON_FALSE:
		s = "false";
		n = 5;
		break;
	default: /* null, objects and arrays render as nothing */
		return 0;
	}
	if (n == 0)
		return 0;
	if (r->line_start && render_indent(r) < 0)
		return -1;
	return escape ? buf_add_html(r->out, s, n) : buf_add(r->out, s, n);
}

/* Resolves a (dotted) name against the context stack; NULL if missing. */
static json_t *render_lookup(const struct render *r, const char *name, size_t n)
{
	const char *dot, *part = name, *end = name + n;
	size_t pn;
	json_t *v = NULL;
	int i;

	if (n == 1 && name[0] == '.')
		return r->ctx[r->nctx - 1];
	dot = memchr(name, '.', n);
	pn = dot ? (size_t)(dot - name) : n;
	for (i = r->nctx - 1; i >= 0 && !v; i--)
		if (json_is_object(r->ctx[i]))
			v = json_object_getn(r->ctx[i], name, pn);
	while (v && dot) {
		part = dot + 1;
		dot = memchr(part, '.', (size_t)(end - part));
		pn = dot ? (size_t)(dot - part) : (size_t)(end - part);
		v = json_is_object(v) ? json_object_getn(v, part, pn) : NULL;
	}
	return v;
}

/* Falsey, as in JavaScript's !!value: missing, null, false, "", 0 and []. */
static int render_truthy(json_t *v)
{
	if (!v)
		return 0;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_TRUE:
		return 1;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	default:
		return 0;
	}
}

/* Renders a section body once with v on top of the context stack. */
static int render_with(struct render *r, json_t *v, const struct mustache_tmpl *t,
                       size_t from, size_t to, const struct chain *ch)
{
	int rc;

	/* Each pass counts, even over an empty body: {{#a}}{{#a}}{{/a}}{{/a}}
	 * over a long list must not spin for free. */
	if (r->depth >= LIMIT_TEMPLATE_DEPTH || render_step(r) < 0)
		return -1;
	r->depth++;
	r->ctx[r->nctx++] = v;
	rc = render_range(r, t, from, to, ch);
	r->nctx--;
	r->depth--;
	return rc;
}

/* Renders nodes [from, to) of t (a partial, parent or block body) with
 * indentation ind pushed, one level deeper. */
static int render_nested(struct render *r, const char *ind, size_t indn,
                         const struct mustache_tmpl *t, size_t from, size_t to,
                         const struct chain *ch)
{
	int rc;

	if (r->depth >= LIMIT_TEMPLATE_DEPTH)
		return -1;
	r->depth++;
	if (indn > 0) {
		r->ind[r->nind].p = ind;
		r->ind[r->nind].n = indn;
		r->nind++;
	}
	rc = render_range(r, t, from, to, ch);
	if (indn > 0)
		r->nind--;
	r->depth--;
	return rc;
}

static int node_is_container(const struct node *x)
{
	return x->kind == NODE_SECTION || x->kind == NODE_INVERTED ||
	       x->kind == NODE_PARENT || x->kind == NODE_BLOCK;
}

/* Finds the body of block b: the argument of the outermost parent on the
 * chain that overrides it, else b's own default. */
static int render_find_block(struct render *r, const struct chain *ch,
                             const struct node *b,
                             const struct mustache_tmpl **bt, size_t *bi)
{
	const struct node *p, *x;
	size_t j;

	for (; ch; ch = ch->outer) {
		p = &ch->t->nodes[ch->parent];
		for (j = ch->parent + 1; j < p->end; j = node_is_container(x) ? x->end : j + 1) {
			if (render_step(r) < 0)
				return -1;
			x = &ch->t->nodes[j];
			if (x->kind == NODE_BLOCK && x->n == b->n && memcmp(x->s, b->s, b->n) == 0) {
				*bt = ch->t;
				*bi = j;
				break;
			}
		}
	}
	return 0;
}

static const struct mustache_tmpl *render_resolve(const struct render *r, const char *name)
{
	return r->partials ? r->partials(r->ud, name) : NULL;
}

static int render_range(struct render *r, const struct mustache_tmpl *t,
                        size_t from, size_t to, const struct chain *ch)
{
	const struct mustache_tmpl *sub;
	const struct node *x;
	struct chain link;
	json_t *v;
	size_t i = from, j;

	while (i < to) {
		x = &t->nodes[i];
		if (render_step(r) < 0)
			return -1;
		switch (x->kind) {
		case NODE_TEXT:
			if (render_text(r, x->s, x->n) < 0)
				return -1;
			i++;
			break;
		case NODE_VAR:
		case NODE_RAW:
			v = render_lookup(r, x->s, x->n);
			if (v && render_value(r, v, x->kind == NODE_VAR && !r->plain) < 0)
				return -1;
			i++;
			break;
		case NODE_SECTION:
			v = render_lookup(r, x->s, x->n);
			if (json_is_array(v)) {
				for (j = 0; j < json_array_size(v); j++)
					if (render_with(r, json_array_get(v, j), t, i + 1, x->end, ch) < 0)
						return -1;
			} else if (render_truthy(v)) {
				if (render_with(r, v, t, i + 1, x->end, ch) < 0)
					return -1;
			}
			i = x->end;
			break;
		case NODE_INVERTED:
			v = render_lookup(r, x->s, x->n);
			if (!render_truthy(v) &&
			    render_nested(r, "", 0, t, i + 1, x->end, ch) < 0)
				return -1;
			i = x->end;
			break;
		case NODE_PARTIAL:
			sub = render_resolve(r, x->s);
			if (sub && render_nested(r, x->ind, x->indn, sub, 0, sub->count, ch) < 0)
				return -1;
			i++;
			break;
		case NODE_PARENT:
			sub = render_resolve(r, x->s);
			if (sub) {
				link.t = t;
				link.parent = i;
				link.outer = ch;
				if (render_nested(r, x->ind, x->indn, sub, 0, sub->count, &link) < 0)
					return -1;
			}
			i = x->end;
			break;
		case NODE_BLOCK:
			sub = t;
			j = i;
			if (render_find_block(r, ch, x, &sub, &j) < 0 ||
			    render_nested(r, x->ind, x->indn, sub, j + 1, sub->nodes[j].end, ch) < 0)
				return -1;
			i = x->end;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static int mustache_render_mode(const struct mustache_tmpl *t, json_t *data,
                                mustache_partial_fn partials, void *ud, buf *out, int plain)
{
	struct render r;

	if (!t || !out || buf_failed(out))
		return -1;
	memset(&r, 0, sizeof r);
	r.plain = plain;
	r.out = out;
	r.partials = partials;
	r.ud = ud;
	r.ctx[0] = data;
	r.nctx = 1;
	r.line_start = 1;
	if (render_range(&r, t, 0, t->count, NULL) < 0 || buf_failed(out))
		return -1;
	return 0;
}

int mustache_render(const struct mustache_tmpl *t, json_t *data,
                    mustache_partial_fn partials, void *ud, buf *out)
{
	return mustache_render_mode(t, data, partials, ud, out, 0);
}

int mustache_render_text(const struct mustache_tmpl *t, json_t *data, buf *out)
{
	return mustache_render_mode(t, data, NULL, NULL, out, 1);
}
