/*
 * test_mustache.c — unit tests of lib/mustache.c that need nothing outside
 * the repository (the official spec runs in tests/conformance/).
 *
 * Covers escaping, raw output, sections and inverted sections over every JSON
 * type, context lookup, dotted names, number formatting, partials with
 * indentation, parents and blocks as the web layer's page layout uses them,
 * the depth and work limits, the output limit, compile errors with their line
 * numbers, and one template rendered by four threads at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/mustache.h"

/* A table of named partials for the callback. */
struct table {
	const char                 *names[8];
	const struct mustache_tmpl *tmpls[8];
	int                         count;
};

static const struct mustache_tmpl *table_get(void *ud, const char *name)
{
	const struct table *tb = ud;
	int i;

	for (i = 0; i < tb->count; i++)
		if (strcmp(tb->names[i], name) == 0)
			return tb->tmpls[i];
	return NULL;
}

static struct mustache_tmpl *compile_ok(const char *src)
{
	char err[128] = "";
	struct mustache_tmpl *t = mustache_compile(src, strlen(src), err, sizeof err);

	if (!t)
		fail_msg("compile failed: %s", err);
	return t;
}

static void table_add(struct table *tb, const char *name, const char *src)
{
	assert_true(tb->count < 8);
	tb->names[tb->count] = name;
	tb->tmpls[tb->count] = compile_ok(src);
	tb->count++;
}

static void table_free(struct table *tb)
{
	int i;

	for (i = 0; i < tb->count; i++)
		mustache_free((struct mustache_tmpl *)tb->tmpls[i]);
	tb->count = 0;
}

/* Renders src with the JSON text data (and partials tb, may be NULL) and
 * checks the output equals expected. */
static void check_with(const char *src, const char *data, struct table *tb,
                       const char *expected)
{
	struct mustache_tmpl *t = compile_ok(src);
	json_error_t jerr;
	json_t *d = json_loads(data, JSON_DECODE_ANY, &jerr);
	buf out;

	if (!d)
		fail_msg("bad test JSON: %s", jerr.text);
	buf_init(&out, 1 << 20);
	assert_int_equal(mustache_render(t, d, tb ? table_get : NULL, tb, &out), 0);
	assert_string_equal(buf_str(&out), expected);
	buf_free(&out);
	json_decref(d);
	mustache_free(t);
}

static void check(const char *src, const char *data, const char *expected)
{
	check_with(src, data, NULL, expected);
}

/* Compiling src must fail with exactly this reason. */
static void check_error(const char *src, const char *reason)
{
	char err[128] = "";

	assert_null(mustache_compile(src, strlen(src), err, sizeof err));
	assert_string_equal(err, reason);
}

static void test_escape_each_character(void **state)
{
	(void)state;
	check("{{x}}", "{\"x\": \"&\"}", "&amp;");
	check("{{x}}", "{\"x\": \"<\"}", "&lt;");
	check("{{x}}", "{\"x\": \">\"}", "&gt;");
	check("{{x}}", "{\"x\": \"\\\"\"}", "&quot;");
	check("{{x}}", "{\"x\": \"'\"}", "&#39;");
	check("{{x}}", "{\"x\": \"`\"}", "&#96;");
	check("{{x}}", "{\"x\": \"=\"}", "&#61;");
	check("<a title=\"{{x}}\">", "{\"x\": \"\\\" onmouseover=alert(1) x=\\\"\"}",
	      "<a title=\"&quot; onmouseover&#61;alert(1) x&#61;&quot;\">");
	check("{{x}}", "{\"x\": \"plain text é\"}", "plain text é");
}

static void test_raw_output(void **state)
{
	(void)state;
	check("{{{x}}}|{{&x}}|{{& x }}|{{{ x }}}", "{\"x\": \"<b>&</b>\"}",
	      "<b>&</b>|<b>&</b>|<b>&</b>|<b>&</b>");
	/* Raw output with changed delimiters. */
	check("{{=<% %>=}}<%{x}%><%&x%>", "{\"x\": \"<i>\"}", "<i><i>");
}

static void test_values(void **state)
{
	(void)state;
	check("{{i}} {{n}} {{big}}", "{\"i\": 42, \"n\": -7, \"big\": 9007199254740993}",
	      "42 -7 9007199254740993");
	check("{{a}} {{b}} {{c}} {{d}}", "{\"a\": 1.5, \"b\": 0.1, \"c\": 3.0, \"d\": 1e300}",
	      "1.5 0.1 3 1e+300");
	check("[{{t}}][{{f}}][{{z}}][{{o}}][{{l}}][{{missing}}]",
	      "{\"t\": true, \"f\": false, \"z\": null, \"o\": {\"k\": 1}, \"l\": [1]}",
	      "[true][false][][][][]");
	/* A value is never parsed as a template. */
	check("{{x}}", "{\"x\": \"{{y}}\", \"y\": \"no\"}", "{{y}}");
	/* NULL data renders like no data. */
	{
		struct mustache_tmpl *t = compile_ok("a{{x}}b{{#x}}c{{/x}}{{^x}}d{{/x}}{{.}}");
		buf out;

		buf_init(&out, 100);
		assert_int_equal(mustache_render(t, NULL, NULL, NULL, &out), 0);
		assert_string_equal(buf_str(&out), "abd");
		buf_free(&out);
		mustache_free(t);
	}
}

static void test_sections(void **state)
{
	(void)state;
	/* Arrays of objects, of scalars, of arrays. */
	check("{{#people}}<{{name}}>{{/people}}",
	      "{\"people\": [{\"name\": \"Ana\"}, {\"name\": \"Bo\"}]}", "<Ana><Bo>");
	check("{{#l}}({{.}}){{/l}}", "{\"l\": [1, \"two\", 3.5]}", "(1)(two)(3.5)");
	check("{{#l}}[{{#.}}{{.}}{{/.}}]{{/l}}", "{\"l\": [[1, 2], [3]]}", "[12][3]");
	/* An object is pushed as the context. */
	check("{{#p}}{{name}} {{age}}{{/p}}", "{\"p\": {\"name\": \"Ana\", \"age\": 30}}",
	      "Ana 30");
	/* Booleans, null, empty list, missing. */
	check("{{#b}}yes{{/b}}", "{\"b\": true}", "yes");
	check("{{#b}}yes{{/b}}", "{\"b\": false}", "");
	check("{{#b}}yes{{/b}}", "{\"b\": null}", "");
	check("{{#b}}yes{{/b}}", "{\"b\": []}", "");
	check("{{#b}}yes{{/b}}", "{}", "");
	/* Falsey as JavaScript's !!: "" and 0 too; {} is truthy. */
	check("{{#s}}yes{{/s}}{{#z}}yes{{/z}}{{#r}}yes{{/r}}", "{\"s\": \"\", \"z\": 0, \"r\": 0.0}", "");
	check("{{#s}}{{.}}{{/s}}{{#z}}{{.}}{{/z}}{{#o}}o{{/o}}", "{\"s\": \"x\", \"z\": 5, \"o\": {}}",
	      "x5o");
	/* Root-level list. */
	check("{{#.}}{{v}},{{/.}}", "[{\"v\": 1}, {\"v\": 2}]", "1,2,");
}

static void test_inverted(void **state)
{
	(void)state;
	check("{{^b}}none{{/b}}", "{\"b\": false}", "none");
	check("{{^b}}none{{/b}}", "{\"b\": null}", "none");
	check("{{^b}}none{{/b}}", "{\"b\": []}", "none");
	check("{{^b}}none{{/b}}", "{}", "none");
	check("{{^b}}none{{/b}}", "{\"b\": true}", "");
	check("{{^b}}none{{/b}}", "{\"b\": {}}", "");
	check("{{^b}}none{{/b}}", "{\"b\": [0]}", "");
	/* The typical "empty list" message. */
	check("<ul>{{#rows}}<li>{{n}}</li>{{/rows}}{{^rows}}<li>No one yet.</li>{{/rows}}</ul>",
	      "{\"rows\": []}", "<ul><li>No one yet.</li></ul>");
}

static void test_nested_contexts(void **state)
{
	(void)state;
	/* Names missing in the inner context come from outer ones; inner wins. */
	check("{{#a}}{{#b}}{{x}}{{y}}{{z}}{{/b}}{{/a}}",
	      "{\"x\": 1, \"y\": 1, \"z\": 1, \"a\": {\"y\": 2, \"z\": 2, \"b\": {\"z\": 3}}}", "123");
	/* Inside a list, each item, then the outer context. */
	check("{{#rows}}{{name}}@{{org}};{{/rows}}",
	      "{\"org\": \"RFS\", \"rows\": [{\"name\": \"a\"}, {\"name\": \"b\", \"org\": \"X\"}]}",
	      "a@RFS;b@X;");
}

static void test_dotted_names(void **state)
{
	(void)state;
	check("{{a.b.c}}", "{\"a\": {\"b\": {\"c\": \"deep\"}}}", "deep");
	/* Broken chain: later parts never fall back to outer contexts. */
	check("[{{a.b.c}}]", "{\"a\": {\"b\": {}}, \"c\": \"no\"}", "[]");
	check("[{{a.b}}]", "{\"a\": 5}", "[]");
	check("{{#a.b}}yes{{/a.b}}{{^a.x}}none{{/a.x}}", "{\"a\": {\"b\": true}}", "yesnone");
	/* "a.b" is never one key. */
	check("[{{a.b}}]", "{\"a.b\": \"no\"}", "[]");
	/* The first part resolves through the stack like any name. */
	check("{{#in}}{{p.name}}{{/in}}", "{\"p\": {\"name\": \"outer\"}, \"in\": {\"q\": 1}}", "outer");
}

static void test_comments_and_delimiters(void **state)
{
	(void)state;
	check("a{{! a comment }}b", "{}", "ab");
	check("a\n  {{! standalone }}\nb\n", "{}", "a\nb\n");
	check("{{=<% %>=}}<% x %>{{x}}<%={{ }}=%>{{x}}", "{\"x\": 1}", "1{{x}}1");
	check("[\n{{=| |=}}\n|x|\n]", "{\"x\": 2}", "[\n2\n]");
}

static void test_standalone_lines(void **state)
{
	(void)state;
	check("<ul>\n  {{#l}}\n  <li>{{.}}</li>\n  {{/l}}\n</ul>\n", "{\"l\": [1, 2]}",
	      "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n");
	check("a\r\n{{#b}}\r\nx\r\n{{/b}}\r\nc", "{\"b\": true}", "a\r\nx\r\nc");
	/* Interpolation tags are never standalone. */
	check("  {{x}}\n", "{\"x\": \"\"}", "  \n");
}

static void test_partials(void **state)
{
	struct table tb = { 0 };

	(void)state;
	table_add(&tb, "item", "<li>{{name}}</li>");
	table_add(&tb, "block", "<p>\n  {{text}}\n</p>\n");
	table_add(&tb, "tree", "{{name}}({{#kids}}{{>tree}}{{/kids}})");
	check_with("<ul>{{#people}}{{>item}}{{/people}}</ul>",
	           "{\"people\": [{\"name\": \"Ana\"}, {\"name\": \"<Bo>\"}]}", &tb,
	           "<ul><li>Ana</li><li>&lt;Bo&gt;</li></ul>");
	/* A missing partial renders as nothing. */
	check_with("[{{>nope}}]", "{}", &tb, "[]");
	check("[{{>nope}}]", "{}", "[]");
	/* A standalone partial indents each of its lines, not the values. */
	check_with("<div>\n    {{>block}}\n</div>\n", "{\"text\": \"a\\nb\"}", &tb,
	           "<div>\n    <p>\n      a\nb\n    </p>\n</div>\n");
	/* An inline partial inside an indented one keeps the enclosing
	 * indentation on its later lines. */
	table_add(&tb, "outer", "<p>{{>inner}}</p>\n");
	table_add(&tb, "inner", "x\ny");
	check_with("<div>\n    {{>outer}}\n</div>", "{}", &tb,
	           "<div>\n    <p>x\n    y</p>\n</div>");
	/* Recursion that ends because the data does. */
	check_with("{{>tree}}",
	           "{\"name\": \"r\", \"kids\": [{\"name\": \"a\", \"kids\": []}, "
	           "{\"name\": \"b\", \"kids\": [{\"name\": \"c\", \"kids\": []}]}]}", &tb,
	           "r(a()b(c()))");
	table_free(&tb);
}

/* The page layout as the web layer uses it. */
static const char layout_src[] =
	"<!doctype html>\n"
	"<title>{{$title}}Onramp{{/title}}</title>\n"
	"<main>\n"
	"  {{$content}}\n"
	"  <p>Nothing here.</p>\n"
	"  {{/content}}\n"
	"</main>\n";

static void test_layout_parent_and_blocks(void **state)
{
	struct table tb = { 0 };

	(void)state;
	table_add(&tb, "layout", layout_src);
	/* Both blocks overridden; the content is indented where it lands. */
	check_with("{{<layout}}\n"
	           "{{$title}}Sign up{{/title}}\n"
	           "{{$content}}\n"
	           "<form method=\"post\">\n"
	           "  <input name=\"first_name\" value=\"{{first_name}}\">\n"
	           "</form>\n"
	           "{{/content}}\n"
	           "{{/layout}}\n",
	           "{\"first_name\": \"Ana <b>\"}", &tb,
	           "<!doctype html>\n"
	           "<title>Sign up</title>\n"
	           "<main>\n"
	           "  <form method=\"post\">\n"
	           "    <input name=\"first_name\" value=\"Ana &lt;b&gt;\">\n"
	           "  </form>\n"
	           "</main>\n");
	/* Nothing overridden: the defaults. */
	check_with("{{<layout}}{{/layout}}", "{}", &tb,
	           "<!doctype html>\n<title>Onramp</title>\n<main>\n"
	           "  <p>Nothing here.</p>\n</main>\n");
	/* One-line form; text between the blocks is ignored. */
	check_with("{{<layout}}{{$title}}Sign up{{/title}} ignored "
	           "{{$content}}<p>{{msg}}</p>{{/content}}{{/layout}}",
	           "{\"msg\": \"hi\"}", &tb,
	           "<!doctype html>\n<title>Sign up</title>\n<main>\n  <p>hi</p></main>\n");
	/* Blocks are rendered in the context of the parent's call site, and
	 * context data never overrides a block. */
	check_with("{{#user}}{{<layout}}{{$title}}{{name}}{{/title}}{{/layout}}{{/user}}",
	           "{\"user\": {\"name\": \"Ana\"}, \"title\": \"data\"}", &tb,
	           "<!doctype html>\n<title>Ana</title>\n<main>\n"
	           "  <p>Nothing here.</p>\n</main>\n");
	table_free(&tb);
}

static void test_multilevel_inheritance(void **state)
{
	struct table tb = { 0 };

	(void)state;
	table_add(&tb, "base", "[{{$a}}base-a{{/a}}|{{$b}}base-b{{/b}}]");
	table_add(&tb, "mid", "{{<base}}{{$a}}mid-a{{/a}}{{$b}}mid-b{{/b}}{{/base}}");
	/* The outermost substitution wins; the rest falls back level by level. */
	check_with("{{<mid}}{{$a}}top-a{{/a}}{{/mid}}", "{}", &tb, "[top-a|mid-b]");
	check_with("{{<mid}}{{/mid}}", "{}", &tb, "[mid-a|mid-b]");
	check_with("{{<base}}{{/base}}", "{}", &tb, "[base-a|base-b]");
	/* A missing parent renders as nothing. */
	check_with("x{{<nope}}{{$a}}1{{/a}}{{/nope}}y", "{}", &tb, "xy");
	table_free(&tb);
}

static void test_block_reindentation(void **state)
{
	struct table tb = { 0 };

	(void)state;
	table_add(&tb, "page", "<body>\n    {{$main}}\n    {{/main}}\n</body>\n");
	/* The block's own indentation (2) is replaced by the site's (4). */
	check_with("{{<page}}{{$main}}\n  <h1>Hi</h1>\n    <p>x</p>\n{{/main}}{{/page}}",
	           "{}", &tb, "<body>\n    <h1>Hi</h1>\n      <p>x</p>\n</body>\n");
	table_free(&tb);
}

static void test_depth_limit(void **state)
{
	struct table tb = { 0 };
	struct mustache_tmpl *t;
	buf src, out;
	json_t *d;
	int i;

	(void)state;
	/* A partial that includes itself forever stops at the depth limit. */
	table_add(&tb, "self", "x{{>self}}");
	t = compile_ok("{{>self}}");
	buf_init(&out, 1 << 20);
	assert_int_equal(mustache_render(t, NULL, table_get, &tb, &out), -1);
	assert_true(out.len <= LIMIT_TEMPLATE_DEPTH); /* one x per level reached */
	buf_free(&out);
	mustache_free(t);

	/* So does a parent that is its own parent. */
	table_add(&tb, "loop", "{{<loop}}{{/loop}}");
	t = compile_ok("{{<loop}}{{/loop}}");
	buf_init(&out, 1 << 20);
	assert_int_equal(mustache_render(t, NULL, table_get, &tb, &out), -1);
	buf_free(&out);
	mustache_free(t);
	/* A tree whose leaf lacks "kids" finds its parent's kids through the
	 * context stack and recurses forever: a clean -1, not a crash. */
	table_add(&tb, "tree", "{{name}}({{#kids}}{{>tree}}{{/kids}})");
	t = compile_ok("{{>tree}}");
	d = json_loads("{\"name\": \"r\", \"kids\": [{\"name\": \"leaf\"}]}", 0, NULL);
	assert_non_null(d);
	buf_init(&out, 1 << 20);
	assert_int_equal(mustache_render(t, d, table_get, &tb, &out), -1);
	buf_free(&out);
	json_decref(d);
	mustache_free(t);
	table_free(&tb);

	/* LIMIT_TEMPLATE_DEPTH nested sections render; one more fails to
	 * compile. */
	buf_init(&src, 1 << 16);
	for (i = 0; i < LIMIT_TEMPLATE_DEPTH; i++)
		buf_adds(&src, "{{#a}}");
	buf_adds(&src, "{{v}}");
	for (i = 0; i < LIMIT_TEMPLATE_DEPTH; i++)
		buf_adds(&src, "{{/a}}");
	assert_false(buf_failed(&src));
	t = compile_ok(buf_str(&src));
	d = json_pack("{s:b, s:s}", "a", 1, "v", "deep");
	buf_init(&out, 100);
	assert_int_equal(mustache_render(t, d, NULL, NULL, &out), 0);
	assert_string_equal(buf_str(&out), "deep");
	buf_free(&out);
	mustache_free(t);
	json_decref(d);

	buf_reset(&src);
	for (i = 0; i < LIMIT_TEMPLATE_DEPTH + 1; i++)
		buf_adds(&src, "{{#a}}");
	for (i = 0; i < LIMIT_TEMPLATE_DEPTH + 1; i++)
		buf_adds(&src, "{{/a}}");
	{
		char err[128];

		assert_null(mustache_compile(buf_str(&src), src.len, err, sizeof err));
		assert_non_null(strstr(err, "nested deeper"));
	}
	buf_free(&src);
}

static void test_work_limit(void **state)
{
	struct mustache_tmpl *t;
	json_t *d, *a;
	buf out;
	int i;

	(void)state;
	/* 1000^3 iterations would take minutes: the step budget stops it. */
	a = json_array();
	for (i = 0; i < 1000; i++)
		json_array_append_new(a, json_integer(i));
	d = json_pack("{s:o}", "a", a);
	t = compile_ok("{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}");
	buf_init(&out, 1 << 20);
	assert_int_equal(mustache_render(t, d, NULL, NULL, &out), -1);
	buf_free(&out);
	mustache_free(t);
	json_decref(d);
}

static void test_output_limit(void **state)
{
	struct mustache_tmpl *t = compile_ok("{{#l}}{{x}}{{/l}}");
	json_t *d = json_pack("{s:[i,i,i,i], s:s}", "l", 1, 2, 3, 4, "x", "<>");
	buf out;

	(void)state;
	/* 4 × "&lt;&gt;" = 32 bytes. */
	buf_init(&out, 32);
	assert_int_equal(mustache_render(t, d, NULL, NULL, &out), 0);
	assert_int_equal(out.len, 32);
	buf_free(&out);
	buf_init(&out, 31);
	assert_int_equal(mustache_render(t, d, NULL, NULL, &out), -1);
	assert_true(buf_failed(&out));
	assert_true(out.len <= 31);
	buf_free(&out);
	/* A buffer that already failed is refused. */
	buf_init(&out, 2);
	buf_adds(&out, "too long");
	assert_int_equal(mustache_render(t, d, NULL, NULL, &out), -1);
	buf_free(&out);
	json_decref(d);
	mustache_free(t);
}

static void test_compile_errors(void **state)
{
	char err[16];
	char *big;

	(void)state;
	check_error("<ul>\n<li>\n{{#people}}\n{{name}}\n", "line 3: unclosed section 'people'");
	check_error("a\n{{/people}}", "line 2: unopened section 'people'");
	check_error("{{#a}}\n{{#b}}\n{{/a}}", "line 3: mismatched close 'a' for 'b'");
	check_error("x {{}} y", "line 1: empty tag");
	check_error("\n\n{{ }}", "line 3: empty tag");
	check_error("{{#}}{{/}}", "line 1: empty tag");
	check_error("a\n{{=<% =}}", "line 2: bad delimiter");
	check_error("{{=a b c=}}", "line 1: bad delimiter");
	check_error("{{=<%%%%%%%%%%%%%%%%%%%% %>=}}", "line 1: bad delimiter");
	check_error("{{x", "line 1: unclosed tag");
	check_error("{{{x}}", "line 1: unclosed tag");
	check_error("{{a b}}", "line 1: bad tag name 'a b'");
	check_error("{{a..b}}", "line 1: bad tag name 'a..b'");
	check_error("{{.a}}", "line 1: bad tag name '.a'");
	check_error("{{<layout}}{{$title}}x{{/title}}", "line 1: unclosed parent 'layout'");
	check_error("{{$title}}\n", "line 1: unclosed block 'title'");
	/* The reason is cut to the caller's buffer, never overflowing it. */
	assert_null(mustache_compile("{{#averyveryverylongname}}", 26, err, sizeof err));
	assert_int_equal(strlen(err), sizeof err - 1);
	/* No err buffer at all is fine. */
	assert_null(mustache_compile("{{#a}}", 6, NULL, 0));
	/* Too large. */
	big = malloc(LIMIT_TEMPLATE_MAX + 1);
	assert_non_null(big);
	memset(big, 'x', LIMIT_TEMPLATE_MAX + 1);
	{
		char e[128];
		struct mustache_tmpl *t;

		assert_null(mustache_compile(big, LIMIT_TEMPLATE_MAX + 1, e, sizeof e));
		assert_non_null(strstr(e, "larger"));
		t = mustache_compile(big, LIMIT_TEMPLATE_MAX, e, sizeof e);
		assert_non_null(t);
		mustache_free(t);
	}
	free(big);
	mustache_free(NULL);
}

/* Four threads render one compiled template (with a partial and a parent)
 * many times; every output must equal the single-threaded one. */
struct job {
	const struct mustache_tmpl *t;
	struct table               *tb;
	json_t                     *data;
	const char                 *expected;
	int                         mismatches;
};

static void *render_many(void *arg)
{
	struct job *j = arg;
	buf out;
	int i;

	buf_init(&out, 1 << 20);
	for (i = 0; i < 300; i++) {
		buf_reset(&out);
		if (mustache_render(j->t, j->data, table_get, j->tb, &out) < 0 ||
		    strcmp(buf_str(&out), j->expected) != 0)
			j->mismatches++;
	}
	buf_free(&out);
	return NULL;
}

static void test_concurrent_render(void **state)
{
	struct table tb = { 0 };
	struct mustache_tmpl *t;
	struct job jobs[4];
	pthread_t th[4];
	json_t *d, *rows;
	char *expected;
	buf out;
	int i;

	(void)state;
	table_add(&tb, "layout", layout_src);
	table_add(&tb, "row", "<tr><td>{{name}}</td><td>{{city}}</td></tr>\n");
	t = compile_ok("{{<layout}}{{$title}}People{{/title}}{{$content}}\n<table>\n"
	               "{{#rows}}\n  {{>row}}\n{{/rows}}\n</table>\n{{/content}}{{/layout}}");
	rows = json_array();
	for (i = 0; i < 50; i++)
		json_array_append_new(rows, json_pack("{s:s, s:i}", "name", "A & B", "city", i));
	d = json_pack("{s:o}", "rows", rows);
	buf_init(&out, 1 << 20);
	assert_int_equal(mustache_render(t, d, table_get, &tb, &out), 0);
	assert_non_null(strstr(buf_str(&out), "  <table>\n    <tr><td>A &amp; B</td><td>0</td></tr>\n"));
	expected = buf_take(&out);
	for (i = 0; i < 4; i++) {
		jobs[i] = (struct job){ t, &tb, d, expected, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, render_many, &jobs[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(jobs[i].mismatches, 0);
	}
	free(expected);
	json_decref(d);
	mustache_free(t);
	table_free(&tb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_each_character),
		cmocka_unit_test(test_raw_output),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_inverted),
		cmocka_unit_test(test_nested_contexts),
		cmocka_unit_test(test_dotted_names),
		cmocka_unit_test(test_comments_and_delimiters),
		cmocka_unit_test(test_standalone_lines),
		cmocka_unit_test(test_partials),
		cmocka_unit_test(test_layout_parent_and_blocks),
		cmocka_unit_test(test_multilevel_inheritance),
		cmocka_unit_test(test_block_reindentation),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_work_limit),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_concurrent_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
