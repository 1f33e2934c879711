/*
 * test_filter.c: rclone's filter language (core/filter.c, core/glob.c).
 * The documented pattern examples are data in filter_examples.txt; the
 * directory, ordering, file-reading, --files-from and limit behaviours
 * are spelled out here, each as rclone's docs or code define it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/filter.h"
#include "core/glob.h"

#define NS 1000000000LL

static struct duet_filter *
mk(void)
{
	struct duet_filter *f = NULL;
	assert_int_equal(duet_filter_new(&f), 0);
	return f;
}

static int
fl(const struct duet_filter *f, const char *path)
{
	return duet_filter_file(f, path, 0, 0);
}

static void
add(struct duet_filter *f, enum duet_filter_kind kind, const char *pattern)
{
	int rc = duet_filter_add(f, kind, pattern, NULL);
	if (rc != 0)
		print_error("add %s: %s\n", pattern, duet_err_msg());
	assert_int_equal(rc, 0);
}

/* Writes n bytes to a new temporary file; the caller unlinks and frees. */
static char *
tmp_with(const char *content, size_t n)
{
	char *path = strdup("/tmp/duet-filter-test-XXXXXX");
	int fd;
	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, n), (ssize_t)n);
	close(fd);
	return path;
}

static char *
tmp_text(const char *content)
{
	return tmp_with(content, strlen(content));
}

static void
rm(char *path)
{
	unlink(path);
	free(path);
}

/* ---- the documented pattern examples ---- */

static void
check_example(const char *kind, const char *pat, const char *path, int *bad)
{
	struct duet_filter *f = mk();
	int rc, want, got;

	duet_filter_set_ignore_case(f, kind[0] == 'i');
	rc = duet_filter_add(f, DUET_FILTER_EXCLUDE, pat, "example");
	if (strcmp(kind, "error") == 0) {
		if (rc != DUET_E_USAGE) {
			print_error("pattern %s: want an error, got %d\n", pat, rc);
			(*bad)++;
		}
	} else if (rc != 0) {
		print_error("pattern %s: %s\n", pat, duet_err_msg());
		(*bad)++;
	} else {
		want = strstr(kind, "nomatch") == NULL;
		got = !fl(f, path[0] == '/' ? path + 1 : path);
		if (got != want) {
			print_error("%s: pattern %s on %s gave %s\n", kind, pat, path,
			    got ? "match" : "no match");
			(*bad)++;
		}
	}
	duet_filter_free(f);
}

static void
test_documented_examples(void **state)
{
	char path[4096], line[1024];
	const char *slash = strrchr(__FILE__, '/');
	int rows = 0, bad = 0;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%.*s/filter_examples.txt",
	    slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	fp = fopen(path, "r");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *kind = line, *pat, *p;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		pat = strchr(kind, '\t');
		assert_non_null(pat);
		*pat++ = '\0';
		p = strchr(pat, '\t');
		assert_non_null(p);
		*p++ = '\0';
		check_example(kind, pat, p, &bad);
		rows++;
	}
	fclose(fp);
	assert_true(rows > 180);
	assert_int_equal(bad, 0);
}

/* ---- directories ---- */

static void
test_dir_include_files_in_one_dir(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	add(f, DUET_FILTER_INCLUDE, "/a/*.jpg"); /* implies the dir rule /a/ */
	assert_int_equal(duet_filter_dir(f, ""), 1);
	assert_int_equal(duet_filter_dir(f, "a"), 1);
	assert_int_equal(duet_filter_dir(f, "a/b"), 0);
	assert_int_equal(duet_filter_dir(f, "b"), 0);
	assert_int_equal(fl(f, "a/x.jpg"), 1);
	assert_int_equal(fl(f, "a/b/x.jpg"), 0);
	assert_int_equal(fl(f, "x.jpg"), 0);
	duet_filter_free(f);
}

static void
test_dir_include_tree(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	add(f, DUET_FILTER_INCLUDE, "/a/**");
	assert_int_equal(duet_filter_dir(f, "a"), 1);
	assert_int_equal(duet_filter_dir(f, "a/b"), 1);
	assert_int_equal(duet_filter_dir(f, "a/b/c"), 1);
	assert_int_equal(duet_filter_dir(f, "b"), 0);
	assert_int_equal(duet_filter_dir(f, "ab"), 0);
	assert_int_equal(fl(f, "a/x"), 1);
	assert_int_equal(fl(f, "a/b/c/x"), 1);
	assert_int_equal(fl(f, "x"), 0);
	assert_int_equal(fl(f, "b/x"), 0);
	duet_filter_free(f);
}

static void
test_dir_include_dir_rule_only(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	/* Matches no file: it only narrows the walk, and "- **" is implied. */
	add(f, DUET_FILTER_INCLUDE, "/directory/");
	assert_int_equal(fl(f, "directory/file"), 0);
	assert_int_equal(fl(f, "file"), 0);
	assert_int_equal(duet_filter_dir(f, "directory"), 1);
	assert_int_equal(duet_filter_dir(f, "/directory/"), 1);
	assert_int_equal(duet_filter_dir(f, "other"), 0);
	duet_filter_free(f);
}

static void
test_dir_filter_from_example(void **state)
{
	char *p = tmp_text("- /dir1/\n- /dir2/\n+ *.pdf\n- **\n");
	struct duet_filter *f = mk();
	(void)state;
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), 0);
	assert_int_equal(duet_filter_dir(f, "dir1"), 0);
	assert_int_equal(duet_filter_dir(f, "dir2/sub"), 0);
	assert_int_equal(duet_filter_dir(f, "dir3"), 1);
	assert_int_equal(duet_filter_dir(f, "x/dir1"), 1);
	assert_int_equal(fl(f, "a.pdf"), 1);
	assert_int_equal(fl(f, "dir3/sub/a.pdf"), 1);
	assert_int_equal(fl(f, "dir1/a.pdf"), 0);
	assert_int_equal(fl(f, "a.txt"), 0);
	duet_filter_free(f);
	rm(p);
}

static void
test_dir_pattern_lists(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	/* '/' or "**" inside braces: rclone cannot derive dir rules, walks all */
	add(f, DUET_FILTER_INCLUDE, "{dir1/**,dir2/**}");
	assert_int_equal(duet_filter_dir(f, "dir3"), 1);
	assert_int_equal(fl(f, "dir1/x"), 1);
	assert_int_equal(fl(f, "dir3/x"), 0);
	duet_filter_free(f);

	f = mk();
	add(f, DUET_FILTER_INCLUDE, "{dir1,dir2}/**");
	assert_int_equal(duet_filter_dir(f, "dir3"), 0);
	assert_int_equal(duet_filter_dir(f, "dir1"), 1);
	assert_int_equal(duet_filter_dir(f, "dir2/deep/er"), 1);
	assert_int_equal(fl(f, "dir2/x"), 1);
	duet_filter_free(f);
}

static void
test_dir_exclude_rules(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	add(f, DUET_FILTER_EXCLUDE, "/dir/**");
	assert_int_equal(duet_filter_dir(f, "dir"), 0);
	assert_int_equal(duet_filter_dir(f, "other"), 1);
	assert_int_equal(duet_filter_dir(f, "other/dir"), 1);
	assert_int_equal(fl(f, "dir/x"), 0);
	assert_int_equal(fl(f, "dir"), 1);
	duet_filter_free(f);

	f = mk(); /* excluding "tmp/" excludes its whole tree, at any depth */
	add(f, DUET_FILTER_EXCLUDE, "tmp/");
	assert_int_equal(duet_filter_dir(f, "tmp"), 0);
	assert_int_equal(duet_filter_dir(f, "a/tmp"), 0);
	assert_int_equal(duet_filter_dir(f, "a/tmpx"), 1);
	assert_int_equal(fl(f, "a/tmp/x"), 0);
	assert_int_equal(fl(f, "tmp"), 1); /* a file named tmp */
	duet_filter_free(f);

	f = mk(); /* "*" is the one exclude that also excludes directories */
	add(f, DUET_FILTER_EXCLUDE, "*");
	assert_int_equal(duet_filter_dir(f, "a"), 0);
	assert_int_equal(fl(f, "a"), 0);
	duet_filter_free(f);

	f = mk(); /* other file excludes leave directories alone */
	add(f, DUET_FILTER_EXCLUDE, "*.bak");
	assert_int_equal(duet_filter_dir(f, "x.bak"), 1);
	duet_filter_free(f);
}

static void
test_dir_unanchored_include(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	/* rclone derives "dir/" and "dir/ ** /" dir rules from this, so a
	 * "dir" below another directory is never reached: same here. */
	add(f, DUET_FILTER_INCLUDE, "dir/**");
	assert_int_equal(duet_filter_dir(f, "dir"), 1);
	assert_int_equal(duet_filter_dir(f, "dir/sub"), 1);
	assert_int_equal(duet_filter_dir(f, "x"), 0);
	assert_int_equal(fl(f, "x/dir/f"), 1); /* the file rule itself matches */
	duet_filter_free(f);

	f = mk(); /* a rule without '/' may match in any directory */
	add(f, DUET_FILTER_INCLUDE, "*.jpg");
	assert_int_equal(duet_filter_dir(f, "any/where"), 1);
	duet_filter_free(f);

	f = mk(); /* {{regexp}} stops the optimisation: walk everything */
	add(f, DUET_FILTER_INCLUDE, "/a/{{b.*}}");
	assert_int_equal(duet_filter_dir(f, "zzz"), 1);
	duet_filter_free(f);
}

static void
test_dir_mixed_rules(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	add(f, DUET_FILTER_RULE, "+ cleared");
	add(f, DUET_FILTER_RULE, "!");
	add(f, DUET_FILTER_RULE, "- /file1.jpg");
	add(f, DUET_FILTER_RULE, "+ /file2.png");
	add(f, DUET_FILTER_RULE, "+ /*.jpg");
	add(f, DUET_FILTER_RULE, "- /*.png");
	add(f, DUET_FILTER_RULE, "+ /sausage1");
	add(f, DUET_FILTER_RULE, "+ /sausage2*");
	add(f, DUET_FILTER_RULE, "+ /sausage3**");
	add(f, DUET_FILTER_RULE, "+ /a/*.jpg");
	add(f, DUET_FILTER_RULE, "- *");
	assert_int_equal(fl(f, "cleared"), 0);
	assert_int_equal(fl(f, "file1.jpg"), 0);
	assert_int_equal(fl(f, "file2.png"), 1);
	assert_int_equal(fl(f, "FILE2.png"), 0);
	assert_int_equal(fl(f, "file3.jpg"), 1);
	assert_int_equal(fl(f, "file4.png"), 0);
	assert_int_equal(fl(f, "sausage1"), 1);
	assert_int_equal(fl(f, "sausage1/potato"), 0);
	assert_int_equal(fl(f, "sausage2potato"), 1);
	assert_int_equal(fl(f, "sausage2/potato"), 0);
	assert_int_equal(fl(f, "sausage3/potato"), 1);
	assert_int_equal(fl(f, "a/one.jpg"), 1);
	assert_int_equal(fl(f, "a/one.png"), 0);
	assert_int_equal(duet_filter_dir(f, "sausage1"), 0);
	assert_int_equal(duet_filter_dir(f, "sausage2"), 0);
	assert_int_equal(duet_filter_dir(f, "sausage3"), 1);
	assert_int_equal(duet_filter_dir(f, "SAUSAGE3"), 0);
	assert_int_equal(duet_filter_dir(f, "sausage3/sub/dir"), 1);
	assert_int_equal(duet_filter_dir(f, "a"), 1);
	assert_int_equal(duet_filter_dir(f, "b"), 0);
	duet_filter_free(f);
}

/* ---- order of rules ---- */

static void
test_order_includes_first(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	add(f, DUET_FILTER_EXCLUDE, "a*"); /* given first, applied after */
	add(f, DUET_FILTER_INCLUDE, "abc");
	assert_int_equal(fl(f, "abc"), 1);
	assert_int_equal(fl(f, "axe"), 0);
	assert_int_equal(fl(f, "b"), 0); /* the implied "- **" */
	duet_filter_free(f);
}

static void
test_order_first_match_wins(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	add(f, DUET_FILTER_RULE, "- secret*.jpg");
	add(f, DUET_FILTER_RULE, "+ *.jpg");
	add(f, DUET_FILTER_RULE, "+ *.png");
	add(f, DUET_FILTER_RULE, "+ file2.avi");
	add(f, DUET_FILTER_RULE, "- *");
	assert_int_equal(fl(f, "file1.jpg"), 1);
	assert_int_equal(fl(f, "file3.png"), 1);
	assert_int_equal(fl(f, "file2.avi"), 1);
	assert_int_equal(fl(f, "secret17.jpg"), 0);
	assert_int_equal(fl(f, "file.gif"), 0);
	duet_filter_free(f);

	f = mk(); /* a --filter "+" implies nothing: unmatched stays included */
	add(f, DUET_FILTER_RULE, "+ *.jpg");
	assert_int_equal(fl(f, "file.gif"), 1);
	duet_filter_free(f);
}

static void
test_order_filter_before_filter_from(void **state)
{
	char *p = tmp_text("- x\n");
	struct duet_filter *f = mk();
	(void)state;
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), 0);
	add(f, DUET_FILTER_RULE, "+ x"); /* --filter is applied before --filter-from */
	assert_int_equal(fl(f, "x"), 1);
	duet_filter_free(f);
	rm(p);
}

static void
test_bang_clears(void **state)
{
	char *p = tmp_text("+ *.jpg\n+ *.gif\n!\n+ 42.doc\n- *\n");
	struct duet_filter *f = mk();
	(void)state;
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), 0);
	assert_int_equal(fl(f, "42.doc"), 1);
	assert_int_equal(fl(f, "a.jpg"), 0);
	assert_int_equal(fl(f, "b.gif"), 0);
	duet_filter_free(f);
	rm(p);
}

static void
test_bang_in_file_clears_later_flag(void **state)
{
	char *p = tmp_text("!\n+ y\n");
	struct duet_filter *f = mk();
	(void)state;
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), 0);
	add(f, DUET_FILTER_RULE, "- z"); /* applied before the file's "!" */
	add(f, DUET_FILTER_EXCLUDE, "w");
	assert_int_equal(fl(f, "z"), 1);
	assert_int_equal(fl(f, "w"), 1);
	assert_int_equal(duet_filter_active(f), 1);
	duet_filter_free(f);
	rm(p);
}

static void
test_bang_keeps_implied_exclude(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	add(f, DUET_FILTER_INCLUDE, "a");
	add(f, DUET_FILTER_RULE, "!");
	assert_int_equal(fl(f, "a"), 0);
	assert_int_equal(fl(f, "b"), 0);
	duet_filter_free(f);
}

static void
test_empty_filter(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	duet_filter_set_ignore_case(f, 1);
	assert_int_equal(duet_filter_active(f), 0);
	assert_int_equal(fl(f, "anything/at/all"), 1);
	assert_int_equal(duet_filter_dir(f, "anything"), 1);
	assert_null(duet_filter_files_from(f));
	assert_null(duet_filter_if_present(f)[0]);
	duet_filter_free(f);
	duet_filter_free(NULL);
}

/* ---- files of rules ---- */

static void
test_rule_file_syntax(void **state)
{
	/* the bisync test data style: indented rules, comments, blank lines */
	char *p = tmp_text("# a comment\n  # another\n\t; and another\n\t\t\t\n"
	    "\t- /subdir/subdirA/\r\n\t + /subdir/**  \n- .DS_Store\n+ /*\n"
	    "- /dir/tmp/** # not a comment\n- /iPad 1/**\n- **");
	struct duet_filter *f = mk();
	(void)state;
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), 0);
	assert_int_equal(fl(f, "subdir/subdirA/x"), 0);
	assert_int_equal(duet_filter_dir(f, "subdir/subdirA"), 0);
	assert_int_equal(fl(f, "subdir/x"), 1);
	assert_int_equal(fl(f, ".DS_Store"), 0);
	assert_int_equal(fl(f, "top"), 1);
	assert_int_equal(fl(f, "other/x"), 0);
	assert_int_equal(fl(f, "dir/tmp/x # not a comment"), 0); /* "- **" anyway */
	duet_filter_free(f);
	rm(p);

	/* Unicode white space is trimmed too, but not a byte that only looks
	 * like the start of one */
	p = tmp_text("\xc2\xa0- nbsp\xe3\x80\x80\n");
	f = mk();
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), 0);
	assert_int_equal(fl(f, "nbsp"), 0);
	assert_int_equal(fl(f, "x"), 1);
	duet_filter_free(f);
	rm(p);
	p = tmp_text("- x\xe2\x80" "a\n");
	f = mk();
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), "invalid UTF-8"));
	duet_filter_free(f);
	rm(p);

	p = tmp_text("- /dir/tmp/** # note\n+ **\n");
	f = mk();
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), 0);
	assert_int_equal(fl(f, "dir/tmp/x"), 1); /* no inline comments */
	assert_int_equal(fl(f, "dir/tmp/x # note"), 0);
	duet_filter_free(f);
	rm(p);
}

static void
test_include_exclude_files(void **state)
{
	char *inc = tmp_text("# a sample include rule file\n*.jpg\nfile2.avi\n");
	char *exc = tmp_text("; exclude\nbad*\n");
	char *empty = tmp_text("# nothing\n");
	struct duet_filter *f = mk();
	(void)state;
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_INCLUDE, inc), 0);
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_EXCLUDE, exc), 0);
	assert_int_equal(fl(f, "x.jpg"), 1);
	assert_int_equal(fl(f, "bad.jpg"), 1); /* includes come first */
	assert_int_equal(fl(f, "d/file2.avi"), 1);
	assert_int_equal(fl(f, "x.png"), 0);
	duet_filter_free(f);

	f = mk(); /* an --include-from with no rules still implies "- **" */
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_INCLUDE, empty), 0);
	assert_int_equal(fl(f, "x"), 0);
	duet_filter_free(f);
	rm(inc);
	rm(exc);
	rm(empty);
}

static void
test_bad_pattern_names_file_line(void **state)
{
	char *p = tmp_text("+ ok\n\n# c\n- [abc\n+ fine\n");
	struct duet_filter *f = mk();
	char want[256];
	(void)state;
	snprintf(want, sizeof(want), "%s:4: bad filter pattern \"[abc\"", p);
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), want));
	assert_non_null(strstr(duet_err_msg(), "mismatched '[' and ']'"));
	assert_null(strchr(duet_err_msg(), '\n'));
	duet_filter_free(f);
	rm(p);

	p = tmp_text("ok\n{a,b\n");
	f = mk();
	snprintf(want, sizeof(want), "%s:2: bad filter pattern \"{a,b\"", p);
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_EXCLUDE, p), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), want));
	duet_filter_free(f);
	rm(p);

	f = mk();
	assert_int_equal(duet_filter_add(f, DUET_FILTER_INCLUDE, "x{y", "--include"),
	    DUET_E_USAGE);
	assert_string_equal(duet_err_msg(),
	    "--include: bad filter pattern \"x{y\": mismatched '{' and '}'");
	assert_int_equal(duet_filter_add(f, DUET_FILTER_RULE, "- ***", NULL), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), "--filter: bad filter pattern \"***\""));
	duet_filter_free(f);
}

static void
test_malformed_rules(void **state)
{
	char *p = tmp_text("+ a\n+b\n");
	struct duet_filter *f = mk();
	char want[256];
	(void)state;
	snprintf(want, sizeof(want), "%s:2: malformed filter rule \"+b\"", p);
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), want));
	assert_int_equal(duet_filter_add(f, DUET_FILTER_RULE, "*.jpg", NULL), DUET_E_USAGE);
	assert_int_equal(duet_filter_add(f, DUET_FILTER_RULE, "-", NULL), DUET_E_USAGE);
	assert_int_equal(duet_filter_add(f, DUET_FILTER_RULE, "! ", NULL), DUET_E_USAGE);
	duet_filter_free(f);
	rm(p);
}

static void
test_missing_file(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, "/nonexistent/duet/x"),
	    DUET_E_NOTFOUND);
	assert_non_null(strstr(duet_err_msg(), "/nonexistent/duet/x"));
	assert_int_equal(duet_filter_add_files_from(f, "/nonexistent/duet/y", 0),
	    DUET_E_NOTFOUND);
	duet_filter_free(f);
}

/* ---- --files-from ---- */

static void
test_files_from(void **state)
{
	char *p = tmp_text("# comment\nfile1.jpg\n  subdir/file2.jpg  \n/lead/slash/\n;x\n\n"
	    "file1.jpg\r\n");
	char *q = tmp_text("a/b/c/d\n");
	struct duet_filter *f = mk();
	const char *const *v;
	(void)state;
	assert_int_equal(duet_filter_add_files_from(f, p, 0), 0);
	assert_int_equal(duet_filter_add_files_from(f, q, 0), 0);
	v = duet_filter_files_from(f);
	assert_non_null(v);
	assert_string_equal(v[0], "a/b/c/d");
	assert_string_equal(v[1], "file1.jpg");
	assert_string_equal(v[2], "lead/slash");
	assert_string_equal(v[3], "subdir/file2.jpg");
	assert_null(v[4]);
	assert_int_equal(duet_filter_active(f), 1);
	assert_int_equal(fl(f, "file1.jpg"), 1);
	assert_int_equal(fl(f, "subdir/file2.jpg"), 1);
	assert_int_equal(fl(f, "potato/file1.jpg"), 0);
	assert_int_equal(fl(f, "file3.jpg"), 0);
	assert_int_equal(duet_filter_dir(f, ""), 1);
	assert_int_equal(duet_filter_dir(f, "subdir"), 1);
	assert_int_equal(duet_filter_dir(f, "/a/b/"), 1);
	assert_int_equal(duet_filter_dir(f, "a/b/c"), 1);
	assert_int_equal(duet_filter_dir(f, "a/b/c/d"), 0);
	assert_int_equal(duet_filter_dir(f, "a/bb"), 0);
	assert_int_equal(duet_filter_dir(f, "other"), 0);
	duet_filter_free(f);
	rm(p);
	rm(q);
}

static void
test_files_from_raw(void **state)
{
	char *p = tmp_text("# c\n x \n;y\n");
	char *z = tmp_with("one\0two\nthree\0/four/\0", 22);
	char *e = tmp_text("");
	struct duet_filter *f = mk();
	const char *const *v;
	(void)state;
	assert_int_equal(duet_filter_add_files_from(f, p, 1), 0);
	v = duet_filter_files_from(f);
	assert_string_equal(v[0], " x ");
	assert_string_equal(v[1], "# c");
	assert_string_equal(v[2], ";y");
	assert_null(v[3]);
	duet_filter_free(f);

	f = mk();
	assert_int_equal(duet_filter_add_files_from(f, z, 2), 0);
	v = duet_filter_files_from(f);
	assert_string_equal(v[0], "four");
	assert_string_equal(v[1], "one");
	assert_string_equal(v[2], "two\nthree");
	assert_null(v[3]);
	duet_filter_free(f);

	f = mk(); /* an empty list includes nothing */
	assert_int_equal(duet_filter_add_files_from(f, e, 0), 0);
	assert_non_null(duet_filter_files_from(f));
	assert_null(duet_filter_files_from(f)[0]);
	assert_int_equal(fl(f, "x"), 0);
	assert_int_equal(duet_filter_dir(f, "x"), 0);
	duet_filter_free(f);
	rm(p);
	rm(z);
	rm(e);
}

static void
test_files_from_conflicts(void **state)
{
	char *p = tmp_text("a\n");
	struct duet_filter *f = mk();
	struct duet_filter_limits lim = {10, -1, -1, -1, -1, 0};
	(void)state;
	add(f, DUET_FILTER_RULE, "- x");
	assert_int_equal(duet_filter_add_files_from(f, p, 0), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), "--files-from"));
	duet_filter_free(f);

	f = mk();
	assert_int_equal(duet_filter_add_files_from(f, p, 0), 0);
	assert_int_equal(duet_filter_add(f, DUET_FILTER_EXCLUDE, "x", NULL), DUET_E_USAGE);
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), DUET_E_USAGE);
	assert_int_equal(duet_filter_add_exclude_if_present(f, ".ignore"), DUET_E_USAGE);
	assert_int_equal(duet_filter_set_limits(f, &lim), DUET_E_USAGE);
	lim.min_size = -1;
	lim.max_depth = 2; /* depth is a walk limit, not a filter: allowed */
	assert_int_equal(duet_filter_set_limits(f, &lim), 0);
	assert_int_equal(duet_filter_add_files_from(f, p, 1), 0);
	duet_filter_free(f);

	f = mk();
	lim.min_size = 10;
	assert_int_equal(duet_filter_set_limits(f, &lim), 0);
	assert_int_equal(duet_filter_add_files_from(f, p, 0), DUET_E_USAGE);
	duet_filter_free(f);
	rm(p);
}

/* ---- limits ---- */

static void
test_sizes(void **state)
{
	struct duet_filter *f = mk();
	struct duet_filter_limits lim = {100, 200, -1, -1, -1, 0};
	(void)state;
	assert_int_equal(duet_filter_set_limits(f, &lim), 0);
	assert_int_equal(duet_filter_active(f), 1);
	assert_int_equal(duet_filter_file(f, "a", 99, 0), 0);
	assert_int_equal(duet_filter_file(f, "a", 100, 0), 1);
	assert_int_equal(duet_filter_file(f, "a", 200, 0), 1);
	assert_int_equal(duet_filter_file(f, "a", 201, 0), 0);
	assert_int_equal(duet_filter_file(f, "a", -1, 0), 0); /* unknown < min */
	assert_int_equal(duet_filter_dir(f, "a"), 1);
	duet_filter_free(f);
}

static void
test_ages(void **state)
{
	struct duet_filter *f = mk();
	int64_t now = 1440000010 * NS;
	struct duet_filter_limits lim = {-1, -1, 2 * NS, 8 * NS, -1, now};
	(void)state;
	/* keeps files modified in [now - 8s, now - 2s] */
	assert_int_equal(duet_filter_set_limits(f, &lim), 0);
	assert_int_equal(duet_filter_file(f, "a", 0, now - 8 * NS - 1), 0);
	assert_int_equal(duet_filter_file(f, "a", 0, now - 8 * NS), 1);
	assert_int_equal(duet_filter_file(f, "a", 0, now - 5 * NS), 1);
	assert_int_equal(duet_filter_file(f, "a", 0, now - 2 * NS), 1);
	assert_int_equal(duet_filter_file(f, "a", 0, now - 2 * NS + 1), 0);
	assert_int_equal(duet_filter_file(f, "a", 0, now + NS), 0);
	lim.min_age = 9 * NS;
	assert_int_equal(duet_filter_set_limits(f, &lim), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), "--min-age"));
	/* now - max_age saturates instead of overflowing */
	lim = (struct duet_filter_limits){-1, -1, -1, INT64_MAX, -1, -5};
	assert_int_equal(duet_filter_set_limits(f, &lim), 0);
	assert_int_equal(duet_filter_file(f, "a", 0, INT64_MIN), 1);
	lim.now = 0;
	assert_int_equal(duet_filter_set_limits(f, &lim), 0);
	assert_int_equal(duet_filter_file(f, "a", 0, INT64_MIN), 0);
	duet_filter_free(f);
}

static void
test_depth(void **state)
{
	struct duet_filter *f = mk();
	struct duet_filter_limits lim = {-1, -1, -1, -1, 1, 0};
	(void)state;
	assert_int_equal(duet_filter_set_limits(f, &lim), 0);
	assert_int_equal(duet_filter_active(f), 1);
	assert_int_equal(fl(f, "a"), 1);
	assert_int_equal(fl(f, "d/a"), 0);
	assert_int_equal(duet_filter_dir(f, "d"), 1); /* listed, not descended */
	assert_int_equal(duet_filter_dir(f, "d/e"), 0);
	lim.max_depth = 2;
	assert_int_equal(duet_filter_set_limits(f, &lim), 0);
	assert_int_equal(fl(f, "d/a"), 1);
	assert_int_equal(fl(f, "d/e/a"), 0);
	assert_int_equal(duet_filter_dir(f, "d/e"), 1);
	assert_int_equal(duet_filter_dir(f, "d/e/f"), 0);
	lim.max_depth = 0; /* as rclone's sync: the top level only */
	assert_int_equal(duet_filter_set_limits(f, &lim), 0);
	assert_int_equal(fl(f, "a"), 1);
	assert_int_equal(fl(f, "d/a"), 0);
	duet_filter_free(f);
}

/* ---- other flags ---- */

static void
test_ignore_case(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	duet_filter_set_ignore_case(f, 1);
	add(f, DUET_FILTER_RULE, "+ /file2.png");
	add(f, DUET_FILTER_RULE, "+ /sausage3**");
	add(f, DUET_FILTER_RULE, "- *");
	assert_int_equal(fl(f, "file2.png"), 1);
	assert_int_equal(fl(f, "FILE2.PNG"), 1);
	assert_int_equal(fl(f, "file3.png"), 0);
	assert_int_equal(duet_filter_dir(f, "SAUSAGE3"), 1);
	assert_int_equal(duet_filter_dir(f, "sausage4"), 0);
	duet_filter_free(f);

	f = mk(); /* the file list is exact even with --ignore-case */
	duet_filter_set_ignore_case(f, 1);
	add(f, DUET_FILTER_INCLUDE, "/A/*.{{jpe?g}}");
	assert_int_equal(fl(f, "a/X.JPEG"), 1);
	assert_int_equal(fl(f, "b/x.jpg"), 0);
	duet_filter_free(f);
}

static void
test_exclude_if_present(void **state)
{
	struct duet_filter *f = mk();
	const char *const *v;
	(void)state;
	assert_int_equal(duet_filter_add_exclude_if_present(f, ".ignore"), 0);
	assert_int_equal(duet_filter_add_exclude_if_present(f, "dir3/"), 0);
	assert_int_equal(duet_filter_add_exclude_if_present(f, ""), DUET_E_USAGE);
	assert_int_equal(duet_filter_add_exclude_if_present(f, "a/b"), DUET_E_USAGE);
	assert_int_equal(duet_filter_add_exclude_if_present(f, "/"), DUET_E_USAGE);
	assert_int_equal(duet_filter_add_exclude_if_present(f, "/x"), DUET_E_USAGE);
	assert_int_equal(duet_filter_add_exclude_if_present(f, "x"), 0);
	v = duet_filter_if_present(f);
	assert_string_equal(v[0], ".ignore");
	assert_string_equal(v[1], "dir3/");
	assert_string_equal(v[2], "x");
	assert_null(v[3]);
	assert_int_equal(duet_filter_active(f), 1);
	duet_filter_free(f);
}

/* ---- matching details ---- */

static void
test_runes_and_bytes(void **state)
{
	struct duet_filter *f = mk();
	(void)state;
	add(f, DUET_FILTER_EXCLUDE, "/**");
	add(f, DUET_FILTER_EXCLUDE, "/a/**x");
	assert_int_equal(fl(f, "a/b"), 0);
	assert_int_equal(fl(f, "a\nb"), 1); /* Go's ".*" stops at newlines */
	assert_int_equal(fl(f, "b/a/\nx"), 1);
	assert_int_equal(fl(f, "a/\nx"), 1);
	assert_int_equal(fl(f, "a/\n/x"), 1);
	duet_filter_free(f);

	f = mk();
	add(f, DUET_FILTER_EXCLUDE, "a?c");
	assert_int_equal(fl(f, "a\nc"), 0); /* but [^/] does not */
	assert_int_equal(fl(f, "a\xff" "c"), 0); /* a byte that is not UTF-8 */
	assert_int_equal(fl(f, "a\xc3\xa9" "c"), 0);
	assert_int_equal(fl(f, "a\xc3" "c"), 0);
	assert_int_equal(fl(f, "a\xc3\xa9\xa9" "c"), 1);
	duet_filter_free(f);

	f = mk();
	assert_int_equal(duet_filter_add(f, DUET_FILTER_EXCLUDE, "a\xff", NULL), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), "invalid UTF-8"));
	add(f, DUET_FILTER_EXCLUDE, "x\\sy");
	assert_int_equal(fl(f, "x\ty"), 0);
	assert_int_equal(fl(f, "x y"), 0);
	assert_int_equal(fl(f, "x_y"), 1);
	duet_filter_free(f);
}

static void
test_long_patterns_and_paths(void **state)
{
	char pat[5000], path[20000];
	struct duet_filter *f = mk();
	(void)state;
	memset(pat, 'a', sizeof(pat) - 1);
	pat[sizeof(pat) - 1] = '\0';
	assert_int_equal(duet_filter_add(f, DUET_FILTER_EXCLUDE, pat, NULL), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), "too long"));
	add(f, DUET_FILTER_EXCLUDE, "*{a,b}*{a,b}*{a,b}*{a,b}*{a,b}*{a,b}*x");
	for (size_t i = 0; i < sizeof(path) - 1; i++)
		path[i] = i % 100 == 99 ? '/' : "ab"[i % 2];
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(fl(f, path), 1);
	path[sizeof(path) - 2] = 'x';
	assert_int_equal(fl(f, path), 0);
	duet_filter_free(f);
}

/* Queries on plain globs never allocate (the walker calls them per file). */
static void
test_queries_do_not_allocate(void **state)
{
	char *p = tmp_text("- *.{bak,tmp}\n- node_modules/\n+ /src/**/*.c\n+ [Dd]ocs/**\n- **\n");
	struct duet_filter *f = mk();
	long before;
	int n = 0;
	(void)state;
	duet_filter_set_ignore_case(f, 1);
	assert_int_equal(duet_filter_add_file(f, DUET_FILTER_RULE, p), 0);
	before = duet_alloc_count();
	n += fl(f, "src/a/b/x.c");
	n += fl(f, "Docs/\xc3\xa9t\xc3\xa9.txt");
	n += fl(f, "x/node_modules/y");
	n += fl(f, "a.bak");
	n += duet_filter_dir(f, "src/deep/er");
	n += duet_filter_dir(f, "other");
	assert_int_equal(duet_alloc_count(), before);
	assert_int_equal(n, 3);
	duet_filter_free(f);
	rm(p);
}

/* The NFA and the POSIX-regex translation must agree on plain globs. */
static void
test_nfa_agrees_with_regex(void **state)
{
	static const char *const pats[] = {
		"*", "**", "/*", "/**", "a*", "*a", "a**b", "*/b", "**/b", "a/**/b",
		"{a,b}*", "*{a,ab}b", "/a{b,c/d}**", "?", "?\?/?", "{,a}{,b}", "a?*b",
		"*.{jpg,png}", "/x/*/y", "**a**", "{a,{b,c}}/", "\\*x", "x,y", "",
	};
	static const char *const paths[] = {
		"", "a", "b", "ab", "abb", "a/b", "b/a/b", "a/x/y/b", "x/a/y", "ab/ab",
		"c/d", "ac/dx", "x.jpg", "d/x.png", "x/q/y", "x/q/r/y", "*x", "a*x", "x,y",
		"aab", "a/b/c/ab",
	};
	char why[160];
	(void)state;
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		struct duet_glob *n = NULL, *r = NULL;
		assert_int_equal(duet_glob_compile(pats[i], 0, &n, why, sizeof(why)), 0);
		assert_int_equal(duet_glob_compile(pats[i], DUET_GLOB_ERE, &r, why, sizeof(why)),
		    0);
		assert_int_equal(duet_glob_is_regexp(n), 0);
		assert_int_equal(duet_glob_is_regexp(r), 1);
		for (size_t j = 0; j < sizeof(paths) / sizeof(paths[0]); j++)
			for (int d = 0; d <= 1; d++) {
				size_t len = strlen(paths[j]);
				int a = duet_glob_match(n, paths[j], len, d);
				int b = duet_glob_match(r, paths[j], len, d);
				if (a != b)
					fail_msg("%s on %s%s: nfa %d, regex %d", pats[i], paths[j],
					    d ? "/" : "", a, b);
			}
		duet_glob_free(n);
		duet_glob_free(r);
	}
}

/* Every allocation failure while building is reported and leaks nothing. */
static void
test_alloc_failures(void **state)
{
	char *rules = tmp_text("+ /a/b/*.jpg\n- {x,y}/**\n+ [a-z]*\n- **\n");
	char *list = tmp_text("a/b/c\nd/e\n");
	int ok = 0;
	(void)state;
	for (long n = 1; n < 200 && !ok; n++) {
		struct duet_filter *f = NULL, *g = NULL;
		int rc;
		duet_alloc_fail_at(n);
		rc = duet_filter_new(&f);
		if (rc == 0)
			rc = duet_filter_add(f, DUET_FILTER_INCLUDE, "/q/**", NULL);
		if (rc == 0)
			rc = duet_filter_add_file(f, DUET_FILTER_RULE, rules);
		if (rc == 0)
			rc = duet_filter_add_exclude_if_present(f, ".ignore");
		if (rc == 0)
			rc = duet_filter_new(&g);
		if (rc == 0)
			rc = duet_filter_add_files_from(g, list, 0);
		duet_alloc_fail_at(0);
		if (rc == 0) {
			ok = 1;
			assert_int_equal(fl(f, "a/b/x.jpg"), 1);
			assert_int_equal(fl(g, "d/e"), 1);
		} else {
			assert_int_equal(rc, DUET_E_NOMEM);
		}
		duet_filter_free(f);
		duet_filter_free(g);
	}
	assert_true(ok);
	rm(rules);
	rm(list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documented_examples),
		cmocka_unit_test(test_dir_include_files_in_one_dir),
		cmocka_unit_test(test_dir_include_tree),
		cmocka_unit_test(test_dir_include_dir_rule_only),
		cmocka_unit_test(test_dir_filter_from_example),
		cmocka_unit_test(test_dir_pattern_lists),
		cmocka_unit_test(test_dir_exclude_rules),
		cmocka_unit_test(test_dir_unanchored_include),
		cmocka_unit_test(test_dir_mixed_rules),
		cmocka_unit_test(test_order_includes_first),
		cmocka_unit_test(test_order_first_match_wins),
		cmocka_unit_test(test_order_filter_before_filter_from),
		cmocka_unit_test(test_bang_clears),
		cmocka_unit_test(test_bang_in_file_clears_later_flag),
		cmocka_unit_test(test_bang_keeps_implied_exclude),
		cmocka_unit_test(test_empty_filter),
		cmocka_unit_test(test_rule_file_syntax),
		cmocka_unit_test(test_include_exclude_files),
		cmocka_unit_test(test_bad_pattern_names_file_line),
		cmocka_unit_test(test_malformed_rules),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_files_from),
		cmocka_unit_test(test_files_from_raw),
		cmocka_unit_test(test_files_from_conflicts),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_ages),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_ignore_case),
		cmocka_unit_test(test_exclude_if_present),
		cmocka_unit_test(test_runes_and_bytes),
		cmocka_unit_test(test_long_patterns_and_paths),
		cmocka_unit_test(test_queries_do_not_allocate),
		cmocka_unit_test(test_nfa_agrees_with_regex),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
