/* test_template: the template engine on the cases the admin pages rely on. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L	/* mkdtemp */
#endif

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "template.h"
#include "tap.h"

static struct tmpl_set	*set;
static struct buf	 out;
static char		 err[256];

/*
 * Compiles text as template name; the return code of tmpl_set_add().
 * (tap.h's ok() evaluates its condition twice: no side effects inside it.)
 */
static int
add(const char *name, const char *text)
{
	return tmpl_set_add(set, name, text, strlen(text), err, sizeof(err));
}

/* Renders name with the JSON text ctx (NULL: none); the output or "(error)". */
static const char *
render(const char *name, const char *ctx)
{
	cJSON	*c = NULL;
	int	 rc;

	if (ctx != NULL && (c = cJSON_Parse(ctx)) == NULL)
		return "(bad test JSON)";
	buf_reset(&out);
	rc = tmpl_render(set, name, c, &out);
	cJSON_Delete(c);
	if (rc < 0)
		return "(error)";
	return out.p != NULL ? out.p : "";
}

/* Compiles text under "t" and renders it with ctx. */
static const char *
run(const char *text, const char *ctx)
{
	if (add("t", text) < 0)
		return err;
	return render("t", ctx);
}

static void
test_escaping(void)
{
	is_str(run("<p>{{s}}</p>", "{\"s\":\"<script>alert(1)</script>\"}"),
	    "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
	    "{{s}} escapes a script tag");
	is_str(run("{{s}}", "{\"s\":\"\\\"'&<>\"}"),
	    "&quot;&#39;&amp;&lt;&gt;", "{{s}} escapes \" ' & < >");
	is_str(run("<a title=\"{{s}}\">", "{\"s\":\"x\\\" onmouseover=\\\"y\"}"),
	    "<a title=\"x&quot; onmouseover=&quot;y\">",
	    "an attribute value cannot be closed early");
	is_str(run("{{#l}}{{.}}{{/l}}", "{\"l\":[\"<b>\",\"&\"]}"),
	    "&lt;b&gt;&amp;", "{{.}} escapes too");
}

static void
test_raw(void)
{
	is_str(run("{{{s}}}", "{\"s\":\"<b>\\\"'&</b>\"}"), "<b>\"'&</b>",
	    "{{{s}}} is raw");
	is_str(run("{{& s}}", "{\"s\":\"<i>\"}"), "<i>", "{{& s}} is raw");
	is_str(run("{{{ a.b }}}", "{\"a\":{\"b\":\"<u>\"}}"), "<u>",
	    "raw dotted name with padding");
}

static void
test_values(void)
{
	is_str(run("{{i}} {{f}} {{n}} {{t}} {{F}} {{z}} {{big}}",
	    "{\"i\":42,\"f\":1.21,\"n\":-0.5,\"t\":true,\"F\":false,"
	    "\"z\":null,\"big\":9007199254740993}"),
	    "42 1.21 -0.5 true false  9007199254740992",
	    "numbers, booleans and null");
	is_str(run("[{{o}}][{{a}}]", "{\"o\":{\"x\":1},\"a\":[1,2]}"), "[][]",
	    "objects and arrays print nothing");
	is_str(run("{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}"), "deep",
	    "dotted names");
}

static void
test_missing(void)
{
	is_str(run("[{{nope}}][{{{nope}}}][{{a.nope}}][{{nope.x}}]",
	    "{\"a\":{}}"), "[][][][]", "missing keys print nothing");
	is_str(run("[{{#nope}}x{{/nope}}][{{^nope}}y{{/nope}}]", "{}"),
	    "[][y]", "a missing section is falsey");
	is_str(run("[{{a}}]{{#a}}x{{/a}}", NULL), "[]",
	    "no context at all");
	is_str(run("[{{a}}][{{.}}]{{#.}}<{{.}}>{{/.}}", "\"str\""),
	    "[][str]<str>", "a string as the whole context");
	is_str(run("[{{a}}]{{#.}}{{.}},{{/.}}", "[1,[2],{\"a\":3}]"),
	    "[]1,,,", "an array as the whole context");
}

static void
test_sections(void)
{
	is_str(run("{{#a}}{{#b}}{{x}}{{y}}{{/b}}{{/a}}",
	    "{\"x\":1,\"a\":{\"y\":2,\"b\":{\"x\":3}}}"), "32",
	    "nested sections see the whole context stack");
	is_str(run("<ul>{{#users}}<li>{{name}} ({{role}})</li>{{/users}}</ul>",
	    "{\"role\":\"member\",\"users\":[{\"name\":\"ann\",\"role\":\"admin\"},"
	    "{\"name\":\"bob\"}]}"),
	    "<ul><li>ann (admin)</li><li>bob (member)</li></ul>",
	    "a list of objects, with lookups falling back to the parent");
	is_str(run("{{#lists}}{{title}}:{{#tasks}} {{t}}{{/tasks}};{{/lists}}",
	    "{\"lists\":[{\"title\":\"A\",\"tasks\":[{\"t\":1},{\"t\":2}]},"
	    "{\"title\":\"B\",\"tasks\":[]}]}"), "A: 1 2;B:;",
	    "lists of lists");
	is_str(run("{{#e}}1{{/e}}{{#z}}2{{/z}}{{#f}}3{{/f}}{{#n}}4{{/n}}"
	    "{{#l}}5{{/l}}{{#o}}6{{/o}}{{#s}}7{{/s}}{{#i}}8{{/i}}",
	    "{\"e\":\"\",\"z\":0,\"f\":false,\"n\":null,\"l\":[],\"o\":{},"
	    "\"s\":\"x\",\"i\":3}"), "678",
	    "falsey: \"\", 0, false, null, []; truthy: {}, \"x\", 3");
	is_str(run("{{^l}}none{{/l}}{{#l}}{{.}}{{/l}}", "{\"l\":[]}"), "none",
	    "inverted section on an empty list");
	is_str(run("<ul>\n  {{#l}}\n  <li>{{.}}</li>\n  {{/l}}\n</ul>\n",
	    "{\"l\":[\"a\",\"b\"]}"), "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n",
	    "standalone section lines leave no blank lines");
	is_str(run("{{=<% %>=}}<% a %> {{a}} <%={{ }}=%>{{a}}", "{\"a\":1}"),
	    "1 {{a}} 1", "set delimiters");
}

static void
test_partials(void)
{
	int	 rc;

	is_int(add("row", "<td>{{name}}</td>"), 0, "partial compiles");
	is_str(run("<tr>{{#rows}}{{> row}}{{/rows}}</tr>",
	    "{\"rows\":[{\"name\":\"a\"},{\"name\":\"<b>\"}]}"),
	    "<tr><td>a</td><td>&lt;b&gt;</td></tr>", "partials see the context");
	is_str(run("[{{> nosuch}}]", "{}"), "[]", "a missing partial is empty");
	is_int(add("late", "{{> later}}!"), 0,
	    "a partial may be used before it exists");
	is_int(add("later", "L"), 0, "and added afterwards");
	is_str(render("late", NULL), "L!", "the late partial is found");
	is_int(add("later", "M"), 0, "replacing a template");
	is_str(render("late", NULL), "M!", "uses the replacement");
	is_int(add("later", "{{#x}}"), -1, "a broken replacement is refused");
	is_str(render("late", NULL), "M!", "and the old template stays");
	rc = add("box", "<div>\n  {{> inner}}\n</div>\n");
	rc |= add("inner", "<p>\n{{{t}}}\n</p>\n");
	is_int(rc, 0, "indented partials");
	is_str(run("<body>\n  {{> box}}\n</body>\n", "{\"t\":\"a\\nb\"}"),
	    "<body>\n  <div>\n    <p>\n    a\nb\n    </p>\n  </div>\n</body>\n",
	    "standalone partial indentation adds up, values are not indented");
}

static void
test_recursion(void)
{
	cJSON		*root, *node, *kids;
	const char	*s;
	int		 i, rc;

	is_int(add("self", "x{{> self}}"), 0,
	    "a self-recursive partial compiles");
	s = render("self", "{}");
	is_int(strlen(s), TMPL_MAX_PARTIAL_DEPTH + 1,
	    "self recursion stops after %d partials", TMPL_MAX_PARTIAL_DEPTH);
	rc = add("ping", "p{{> pong}}");
	rc |= add("pong", "q{{> ping}}");
	is_int(rc, 0, "mutually recursive partials compile");
	is_int(strlen(render("ping", NULL)), TMPL_MAX_PARTIAL_DEPTH + 1,
	    "mutual recursion is bounded too");

	/* A tree much deeper than any limit, rendered by a recursive partial. */
	root = node = cJSON_CreateObject();
	for (i = 0; i < 5000 && node != NULL; i++) {
		cJSON_AddNumberToObject(node, "id", i);
		kids = cJSON_AddArrayToObject(node, "kids");
		cJSON_AddItemToArray(kids, cJSON_CreateObject());
		node = cJSON_GetArrayItem(kids, 0);
	}
	is_int(add("tree", "({{id}}{{#kids}}{{> tree}}{{/kids}})"), 0,
	    "tree partial compiles");
	buf_reset(&out);
	is_int(tmpl_render(set, "tree", root, &out), 0,
	    "rendering a 5000-deep tree does not crash");
	ok(out.len > 0 && strncmp(out.p, "(0(1(2", 6) == 0,
	    "and renders its top levels");
	cJSON_Delete(root);

	/* Leaves without "kids" find their parent's: exponential, so cut off. */
	is_int(add("fan", "{{#kids}}{{> fan}}{{> fan}}{{/kids}}"), 0,
	    "a fan-out partial compiles");
	is_str(render("fan", "{\"kids\":[{\"id\":1}]}"), "(error)",
	    "a runaway render stops at TMPL_MAX_STEPS and fails");
}

static void
test_errors(void)
{
	is_int(add("list", "<ul>{{#items}}<li>{{name}}</li></ul>"), -1,
	    "unclosed section fails");
	is_str(err, "list:1: unclosed section 'items'",
	    "unclosed section message");
	add("page", "<html>\n<body>\n{{#a}}\n{{#b}}\n{{/b}}\n</body>\n");
	is_str(err, "page:3: unclosed section 'a'", "message names the line");
	add("m", "{{#a}}\n{{/b}}");
	is_str(err, "m:2: close tag 'b' does not match section 'a'",
	    "mismatched close tag");
	add("u", "x\n{{/a}}");
	is_str(err, "u:2: close tag 'a' without an open section",
	    "stray close tag");
	add("o", "a {{b");
	is_str(err, "o:1: unclosed tag", "unclosed tag");
	add("e", "{{}}");
	is_str(err, "e:1: invalid tag name ''", "empty tag");
	add("w", "{{a b}}");
	is_str(err, "w:1: invalid tag name 'a b'", "space inside a name");
	add("d", "{{a..b}}");
	is_str(err, "d:1: invalid tag name 'a..b'", "empty dotted part");
	add("s", "{{=<%=}}");
	is_str(err, "s:1: invalid set-delimiter tag", "bad set delimiter");
	is_str(render("list", "{}"), "(error)",
	    "a template that failed to compile does not exist");
	is_int(tmpl_render(set, "nosuch", NULL, &out), -1, "unknown template");
	out.oom = 1;
	is_int(tmpl_render(set, "late", NULL, &out), -1, "failed buffer");
	buf_free(&out);
}

/* Writes text to dir/file. */
static int
write_file(const char *dir, const char *file, const char *text)
{
	char	 path[512];
	FILE	*f;
	int	 rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

/* Removes dir/file, ignoring errors. */
static void
rm(const char *dir, const char *file)
{
	char	 path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (unlink(path) < 0)
		rmdir(path);
}

static void
test_load_dir(void)
{
	char		 dir[] = "/tmp/test_template.XXXXXX", sub[600];
	struct tmpl_set	*saved = set;
	int		 rc;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(sub, sizeof(sub), "%s/sub.html", dir);
	rc = write_file(dir, "page.html",
	    "{{> header}}<p>{{msg}}</p>\n{{> footer}}");
	rc |= write_file(dir, "header.html", "<h1>{{title}}</h1>\n");
	rc |= write_file(dir, "footer.html", "<footer>{{{raw}}}</footer>");
	rc |= write_file(dir, "notes.txt", "{{#broken");
	rc |= mkdir(sub, 0700);
	is_int(rc, 0, "template directory written");
	set = tmpl_set_new();
	is_int(tmpl_set_load_dir(set, dir, err, sizeof(err)), 0, "load_dir");
	is_str(render("page", "{\"title\":\"T&C\",\"msg\":\"hi\",\"raw\":\"<b>\"}"),
	    "<h1>T&amp;C</h1>\n<p>hi</p>\n<footer><b></footer>",
	    "loaded templates render with their partials");
	is_str(render("notes", NULL), "(error)", "non-.html files are skipped");
	is_str(render("sub", NULL), "(error)", "directories are skipped");
	is_int(write_file(dir, "bad.html", "ok\n{{#open}}\n"), 0,
	    "bad template written");
	is_int(tmpl_set_load_dir(set, dir, err, sizeof(err)), -1,
	    "load_dir reports a compile error");
	is_str(err, "bad:2: unclosed section 'open'", "with its name and line");
	tmpl_set_free(set);

	set = tmpl_set_new();
	rm(dir, "bad.html");
	rm(dir, "page.html");
	rm(dir, "header.html");
	rm(dir, "footer.html");
	rm(dir, "notes.txt");
	rm(dir, "sub.html");
	is_int(rmdir(dir), 0, "temporary directory removed");
	is_int(tmpl_set_load_dir(set, dir, err, sizeof(err)), -1,
	    "a missing directory fails");
	ok(strstr(err, dir) != NULL, "naming the directory: %s", err);
	tmpl_set_free(set);
	set = saved;
}

static void
test_odd_contexts(void)
{
	cJSON	*c = cJSON_CreateObject(), *s = cJSON_CreateNull();

	/* A string item without a string, and a key-less child, built by hand. */
	s->type = cJSON_String;
	cJSON_AddItemToObject(c, "s", s);
	is_int(add("odd", "[{{s}}{{{s}}}{{#s}}x{{/s}}{{^s}}y{{/s}}]"), 0,
	    "template compiles");
	buf_reset(&out);
	is_int(tmpl_render(set, "odd", c, &out), 0, "NULL valuestring renders");
	is_str(out.p, "[y]", "and counts as empty");
	cJSON_Delete(c);
	is_int(tmpl_set_add(set, NULL, "x", 1, err, sizeof(err)), -1,
	    "NULL name refused");
	is_int(tmpl_set_add(set, "nul", "a\0b{{x}}", 8, NULL, 0), 0,
	    "text with a NUL byte compiles, no err buffer needed");
	is_int(tmpl_render(set, "nul", NULL, &out), 0, "and renders");
	tmpl_set_free(NULL);
}

int
main(void)
{
	if ((set = tmpl_set_new()) == NULL)
		return 1;
	test_escaping();
	test_raw();
	test_values();
	test_missing();
	test_sections();
	test_partials();
	test_recursion();
	test_errors();
	test_load_dir();
	test_odd_contexts();
	tmpl_set_free(set);
	buf_free(&out);
	return tap_done();
}
