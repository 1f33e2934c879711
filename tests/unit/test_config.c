/*
 * test_config.c: unit tests of the config file (config/config.h) and of
 * rclone-compatible obscure/reveal (config/obscure.h): parsing, each
 * parse error with its PATH:LINE message, atomic saving, the environment
 * overrides, lookup through duet_remote_parse, and vectors made with
 * rclone v1.60 (`rclone obscure`), so that both directions interoperate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config/config.h"
#include "config/obscure.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/remote.h"

/* ---- helpers ---- */

static struct duet_config *
parse_ok(const char *text)
{
	struct duet_config *c = NULL;
	int rc = duet_config_parse("t.conf", text, strlen(text), &c);
	if (rc != 0)
		fail_msg("parse failed: %s", duet_err_msg());
	return c;
}

/* The whole file as duet_config_format writes it; caller frees. */
static char *
format_all(const struct duet_config *c, const char *section)
{
	struct duet_buf b = DUET_BUF_INIT;
	assert_int_equal(duet_config_format(c, section, &b), 0);
	return duet_buf_detach(&b);
}

static char *
slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Number of directory entries other than . and .. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static char tmpdir[64];

static int
setup_tmp(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/duet-test-config-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_tmp(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- parsing ---- */

static void
test_parse_good(void **state)
{
	const char *text = "\xEF\xBB\xBF# top note\n"
	                   "; second note\n"
	                   "[nas]\n"
	                   "type = sftp\n"
	                   "\n"
	                   "   host   =   example.com   \r\n"
	                   "\t# about the remote\n"
	                   "remote = other:path=x\n"
	                   "user: bob\n"
	                   "empty =\n"
	                   "[ spaced name ]\n"
	                   "type=local\n"
	                   "# trailing comment\n";
	struct duet_config *c = parse_ok(text);
	struct duet_config_section *s;
	(void)state;

	assert_int_equal(c->nsec, 2);
	s = &c->sec[0];
	assert_string_equal(s->name, "nas");
	assert_int_equal(s->line, 3);
	assert_string_equal(s->comment, "# top note\n; second note\n");
	assert_int_equal(s->nkv, 5);
	assert_string_equal(s->kv[0].key, "type");
	assert_string_equal(s->kv[1].key, "host");
	assert_string_equal(s->kv[1].value, "example.com");
	assert_int_equal(s->kv[1].line, 6);
	/* The first '=' or ':' separates, as in rclone. */
	assert_string_equal(s->kv[2].key, "remote");
	assert_string_equal(s->kv[2].value, "other:path=x");
	assert_string_equal(s->kv[2].comment, "# about the remote\n");
	assert_string_equal(s->kv[3].key, "user");
	assert_string_equal(s->kv[3].value, "bob");
	assert_string_equal(s->kv[4].value, "");
	assert_string_equal(c->sec[1].name, "spaced name");
	assert_string_equal(duet_config_get(c, "spaced name", "type"), "local");
	assert_null(duet_config_get(c, "nas", "nope"));
	assert_null(duet_config_get(c, "nope", "type"));
	assert_string_equal(c->tail, "# trailing comment\n");
	assert_ptr_equal(duet_config_find(c, "nas"), &c->sec[0]);
	assert_null(duet_config_find(c, "NAS")); /* names are case-sensitive */
	duet_config_free(c);
}

static char logged[512];

static void
log_capture(enum duet_log_level level, const char *object, const char *msg, void *ctx)
{
	(void)object, (void)ctx;
	snprintf(logged, sizeof(logged), "%s %s", duet_log_level_name(level), msg);
}

static void
test_parse_repeated_key(void **state)
{
	struct duet_config *c;
	(void)state;
	logged[0] = '\0';
	duet_log_set_sink(log_capture, NULL);
	c = parse_ok("[a]\nk = 1\nx = y\n# why\nk = 2\n");
	duet_log_set_sink(NULL, NULL);
	/* The last value wins and keeps the first one's place. */
	assert_int_equal(c->sec[0].nkv, 2);
	assert_string_equal(c->sec[0].kv[0].key, "k");
	assert_string_equal(c->sec[0].kv[0].value, "2");
	assert_string_equal(c->sec[0].kv[0].comment, "# why\n");
	assert_string_equal(logged,
	                    "NOTICE t.conf:5: key \"k\" repeats line 2; the last value is used");
	duet_config_free(c);
}

struct bad_case {
	const char *text;
	const char *msg;
};

static void
test_parse_errors(void **state)
{
	static const struct bad_case cases[] = {
	    {"[a]\ntype = local\nnonsense\n",
	     "t.conf:3: can't parse \"nonsense\": expected [name], key = value or a # "
	     "comment; fix or delete the line"},
	    {"# c\nkey = v\n[a]\n",
	     "t.conf:2: key \"key\" comes before any [section]; put a [name] line above it "
	     "or delete it"},
	    {"[a]\nk = v\n\n[b]\n[a]\n",
	     "t.conf:5: section [a] is already defined at line 1; merge the two or rename one"},
	    {"[a]\n[  ]\n",
	     "t.conf:2: empty section name []; put the remote's name between the brackets "
	     "or delete the line"},
	    {"[a]\n= value\n",
	     "t.conf:2: can't parse \"= value\": expected [name], key = value or a # "
	     "comment; fix or delete the line"},
	    {"[a\nk = v\n",
	     "t.conf:1: section header \"[a\" lacks its closing ']'; write it as [name]"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct duet_config *c = (struct duet_config *)1;
		assert_int_equal(
		    duet_config_parse("t.conf", cases[i].text, strlen(cases[i].text), &c),
		    DUET_E_INVAL);
		assert_null(c);
		assert_string_equal(duet_err_msg(), cases[i].msg);
	}
	{
		static const char nul[] = "[a]\nk = v\0w\n";
		struct duet_config *c = NULL;
		assert_int_equal(duet_config_parse("t.conf", nul, sizeof(nul) - 1, &c),
		                 DUET_E_INVAL);
		assert_string_equal(duet_err_msg(),
		                    "t.conf:2: NUL byte in the line; this is not "
		                    "a text config file, give the right one with --config");
	}
}

static void
test_load_missing_and_dir(void **state)
{
	struct duet_config *c = NULL;
	char path[128];
	(void)state;
	snprintf(path, sizeof(path), "%s/none/duet.conf", tmpdir);
	assert_int_equal(duet_config_load(path, &c), 0);
	assert_non_null(c);
	assert_int_equal(c->nsec, 0);
	assert_string_equal(c->path, path);
	duet_config_free(c);
	c = NULL;
	assert_int_equal(duet_config_load(tmpdir, &c), DUET_E_ISDIR);
	assert_null(c);
	assert_non_null(strstr(duet_err_msg(), "is a directory"));
}

static void
test_load_file(void **state)
{
	struct duet_config *c = NULL;
	char path[128];
	(void)state;
	snprintf(path, sizeof(path), "%s/l.conf", tmpdir);
	spit(path, "[x]\ntype = local\nbad line\n");
	assert_int_equal(duet_config_load(path, &c), DUET_E_INVAL);
	assert_non_null(strstr(duet_err_msg(), "/l.conf:3: can't parse \"bad line\""));
	spit(path, "[x]\ntype = local\n");
	assert_int_equal(duet_config_load(path, &c), 0);
	assert_string_equal(duet_config_get(c, "x", "type"), "local");
	duet_config_free(c);
}

/* ---- editing and formatting ---- */

static void
test_edit(void **state)
{
	struct duet_config *c = parse_ok("[a]\ntype = local\n");
	char *text;
	(void)state;

	assert_int_equal(duet_config_add(c, "a"), DUET_E_EXIST);
	assert_int_equal(duet_config_add(c, "-bad"), DUET_E_BADNAME);
	assert_int_equal(duet_config_add(c, "b"), 0);
	assert_int_equal(duet_config_set(c, "b", "type", "sftp"), 0);
	assert_int_equal(duet_config_set(c, "b", "host", "h"), 0);
	assert_int_equal(duet_config_set(c, "b", "type", "s3"), 0); /* replaced in place */
	assert_int_equal(duet_config_set(c, "zz", "k", "v"), DUET_E_NOTFOUND);
	assert_int_equal(duet_config_set(c, "b", "", "v"), DUET_E_INVAL);
	assert_int_equal(duet_config_set(c, "b", "k=x", "v"), DUET_E_INVAL);
	assert_int_equal(duet_config_set(c, "b", "k:x", "v"), DUET_E_INVAL);
	assert_int_equal(duet_config_set(c, "b", "#k", "v"), DUET_E_INVAL);
	assert_int_equal(duet_config_set(c, "b", "[k", "v"), DUET_E_INVAL);
	assert_int_equal(duet_config_set(c, "b", " k", "v"), DUET_E_INVAL);
	assert_int_equal(duet_config_set(c, "b", "k", "two\nlines"), DUET_E_INVAL);
	assert_int_equal(duet_config_set(c, "b", "k", " padded"), DUET_E_INVAL);
	assert_non_null(strstr(duet_err_msg(), "begins or ends with a space"));
	text = format_all(c, NULL);
	assert_string_equal(text, "[a]\ntype = local\n\n[b]\ntype = s3\nhost = h\n\n");
	duet_free(text);
	assert_int_equal(duet_config_unset(c, "b", "host"), 0);
	assert_int_equal(duet_config_unset(c, "b", "host"), DUET_E_NOTFOUND);
	assert_int_equal(duet_config_delete(c, "a"), 0);
	assert_int_equal(duet_config_delete(c, "a"), DUET_E_NOTFOUND);
	text = format_all(c, NULL);
	assert_string_equal(text, "[b]\ntype = s3\n\n");
	duet_free(text);
	duet_config_free(c);
}

static void
test_format(void **state)
{
	const char *text = "# note\n[a]\n# k note\nk = v\nempty = \n\n[b]\ntype = local\n\n# end\n";
	struct duet_config *c = parse_ok(text);
	struct duet_buf b = DUET_BUF_INIT;
	char *out;
	(void)state;

	/* The whole file keeps comments; this text is already normal form. */
	out = format_all(c, NULL);
	assert_string_equal(out, text);
	duet_free(out);
	/* One section: no comments, no blank line after it. */
	out = format_all(c, "a");
	assert_string_equal(out, "[a]\nk = v\nempty = \n");
	duet_free(out);
	assert_int_equal(duet_config_format(c, "zz", &b), DUET_E_NOTFOUND);
	duet_buf_dispose(&b);
	duet_config_free(c);
	c = parse_ok("");
	out = format_all(c, NULL);
	assert_string_equal(out, "");
	duet_free(out);
	duet_config_free(c);
}

static void
test_name_ok(void **state)
{
	(void)state;
	assert_true(duet_config_name_ok("nas"));
	assert_true(duet_config_name_ok("My_Remote-2.b+c@d e"));
	assert_false(duet_config_name_ok(""));
	assert_false(duet_config_name_ok("-x"));
	assert_false(duet_config_name_ok(" x"));
	assert_false(duet_config_name_ok("x "));
	assert_false(duet_config_name_ok("a/b"));
	assert_false(duet_config_name_ok("a:b"));
	assert_false(duet_config_name_ok("a]b"));
}

/* ---- saving ---- */

static void
test_save_roundtrip(void **state)
{
	const char *text = "# note\n[nas]\ntype = sftp\nhost = h\n\n[l]\ntype = local\n\n";
	struct duet_config *c = NULL, *back = NULL;
	char path[160], dir[140], *a, *b;
	struct stat st;
	(void)state;

	snprintf(dir, sizeof(dir), "%s/new/sub", tmpdir);
	snprintf(path, sizeof(path), "%s/duet.conf", dir);
	assert_int_equal(duet_config_parse(path, text, strlen(text), &c), 0);
	assert_int_equal(duet_config_set(c, "l", "links", "true"), 0);
	assert_int_equal(duet_config_save(c), 0);
	/* Parents made with 0700, the file with 0600, nothing else left. */
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(dir), 1);
	assert_string_equal(
	    slurp(path),
	    "# note\n[nas]\ntype = sftp\nhost = h\n\n[l]\ntype = local\nlinks = true\n\n");
	assert_int_equal(duet_config_load(path, &back), 0);
	a = format_all(c, NULL);
	b = format_all(back, NULL);
	assert_string_equal(a, b);
	duet_free(a);
	duet_free(b);
	/* Saving again replaces the file (mode reset to 0600 too). */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(duet_config_delete(back, "nas"), 0);
	assert_int_equal(duet_config_save(back), 0);
	assert_string_equal(slurp(path), "[l]\ntype = local\nlinks = true\n\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(dir), 1);
	duet_config_free(c);
	duet_config_free(back);
}

static void
test_save_symlink(void **state)
{
	struct duet_config *c = NULL;
	char link[140], real[140];
	struct stat st;
	(void)state;

	snprintf(real, sizeof(real), "%s/real.conf", tmpdir);
	snprintf(link, sizeof(link), "%s/link.conf", tmpdir);
	spit(real, "[a]\ntype = local\n");
	assert_int_equal(symlink("real.conf", link), 0); /* relative target */
	assert_int_equal(duet_config_load(link, &c), 0);
	assert_int_equal(duet_config_set(c, "a", "k", "v"), 0);
	assert_int_equal(duet_config_save(c), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_string_equal(slurp(real), "[a]\ntype = local\nk = v\n\n");
	duet_config_free(c);
}

static void
test_save_failure_leaves_nothing(void **state)
{
	struct duet_config *c = NULL;
	char dir[140], path[160];
	(void)state;

	/* The target is a directory: the rename fails, the temp file goes. */
	snprintf(dir, sizeof(dir), "%s/fail", tmpdir);
	snprintf(path, sizeof(path), "%s/fail/duet.conf", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(duet_config_parse(path, "[a]\ntype=local\n", 15, &c), 0);
	assert_int_not_equal(duet_config_save(c), 0);
	assert_non_null(strstr(duet_err_msg(), "can't rename"));
	assert_int_equal(count_entries(dir), 1);
	duet_config_free(c);
}

/* ---- location and environment ---- */

static void
test_path(void **state)
{
	char *p = NULL, *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	(void)state;
	setenv("HOME", "/home/u", 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("DUET_CONFIG");
	assert_int_equal(duet_config_path(NULL, &p), 0);
	assert_string_equal(p, "/home/u/.config/duet/duet.conf");
	duet_free(p);
	setenv("XDG_CONFIG_HOME", "relative/ignored", 1);
	assert_int_equal(duet_config_path(NULL, &p), 0);
	assert_string_equal(p, "/home/u/.config/duet/duet.conf");
	duet_free(p);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	assert_int_equal(duet_config_path(NULL, &p), 0);
	assert_string_equal(p, "/xdg/duet/duet.conf");
	duet_free(p);
	setenv("DUET_CONFIG", "/etc/d.conf", 1);
	assert_int_equal(duet_config_path(NULL, &p), 0);
	assert_string_equal(p, "/etc/d.conf");
	duet_free(p);
	assert_int_equal(duet_config_path("my.conf", &p), 0);
	assert_string_equal(p, "my.conf");
	duet_free(p);
	assert_int_equal(duet_config_path("", &p), DUET_E_USAGE);
	unsetenv("DUET_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	assert_int_equal(duet_config_path(NULL, &p), DUET_E_NOTFOUND);
	assert_null(p);
	if (home != NULL)
		setenv("HOME", home, 1);
	free(home);
}

static void
test_getenv(void **state)
{
	(void)state;
	setenv("DUET_CONFIG_MY_NAS_KEY_FILE", "/k", 1);
	assert_string_equal(duet_config_getenv("my-nas", "key_file"), "/k");
	assert_string_equal(duet_config_getenv("My_Nas", "KEY-FILE"), "/k");
	assert_null(duet_config_getenv("mynas", "key_file"));
	unsetenv("DUET_CONFIG_MY_NAS_KEY_FILE");
	assert_null(duet_config_getenv("my-nas", "key_file"));
}

static void
test_lookup_env(void **state)
{
	struct duet_config *c = parse_ok("[nas]\ntype = sftp\nhost = file-host\nuser = bob\n"
	                                 "[nas_b]\ntype = local\n");
	struct duet_remote r;
	(void)state;

	setenv("DUET_CONFIG_NAS_HOST", "env-host", 1);
	setenv("DUET_CONFIG_NAS_ZPORT", "2222", 1);
	setenv("DUET_CONFIG_NAS_APORT", "1", 1);
	setenv("DUET_CONFIG_NAS_B_LINKS", "true", 1); /* belongs to nas_b, not nas */
	setenv("DUET_CONFIG_ONLY_TYPE", "s3", 1);
	setenv("DUET_CONFIG_ONLY_REGION", "eu", 1);
	setenv("DUET_CONFIG_NOTYPE_HOST", "x", 1);

	memset(&r, 0, sizeof(r));
	assert_int_equal(duet_config_lookup(c, "nas", &r), 0);
	assert_string_equal(r.type, "sftp");
	assert_int_equal(r.nkv, 4);
	/* File order first, env overriding; then env-only keys, sorted. */
	assert_string_equal(r.kv[0].key, "host");
	assert_string_equal(r.kv[0].value, "env-host");
	assert_string_equal(r.kv[1].key, "user");
	assert_string_equal(r.kv[2].key, "aport");
	assert_string_equal(r.kv[3].key, "zport");
	assert_string_equal(r.kv[3].value, "2222");
	duet_remote_dispose(&r);

	/* Defined only by the environment, in any case of the name. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(duet_config_lookup(c, "only", &r), 0);
	assert_string_equal(r.type, "s3");
	assert_int_equal(r.nkv, 1);
	assert_string_equal(r.kv[0].key, "region");
	duet_remote_dispose(&r);
	memset(&r, 0, sizeof(r));
	assert_int_equal(duet_config_lookup(NULL, "ONLY", &r), 0);
	assert_string_equal(r.type, "s3");
	duet_remote_dispose(&r);
	/* Without DUET_CONFIG_<NAME>_TYPE there is no remote. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(duet_config_lookup(c, "notype", &r), DUET_E_NOTFOUND);
	duet_remote_dispose(&r);
	/* The type variable overrides the file's. */
	setenv("DUET_CONFIG_NAS_TYPE", "local", 1);
	memset(&r, 0, sizeof(r));
	assert_int_equal(duet_config_lookup(c, "nas", &r), 0);
	assert_string_equal(r.type, "local");
	duet_remote_dispose(&r);

	unsetenv("DUET_CONFIG_NAS_TYPE");
	unsetenv("DUET_CONFIG_NAS_HOST");
	unsetenv("DUET_CONFIG_NAS_ZPORT");
	unsetenv("DUET_CONFIG_NAS_APORT");
	unsetenv("DUET_CONFIG_NAS_B_LINKS");
	unsetenv("DUET_CONFIG_ONLY_TYPE");
	unsetenv("DUET_CONFIG_ONLY_REGION");
	unsetenv("DUET_CONFIG_NOTYPE_HOST");
	duet_config_free(c);
}

static void
test_lookup_parse(void **state)
{
	struct duet_config *c = parse_ok("[nas]\ntype = sftp\nhost = h\npass = x\n\n"
	                                 "[broken]\nhost = y\n");
	struct duet_remote r;
	(void)state;

	assert_int_equal(duet_remote_parse("nas:dir/f", duet_config_lookup, c, &r), 0);
	assert_string_equal(r.name, "nas");
	assert_string_equal(r.type, "sftp");
	assert_string_equal(r.path, "dir/f");
	assert_int_equal(r.nkv, 2);
	assert_string_equal(duet_remote_get(&r, "host"), "h");
	assert_string_equal(duet_remote_get(&r, "pass"), "x");
	assert_null(duet_remote_get(&r, "type"));
	duet_remote_dispose(&r);

	assert_int_equal(duet_remote_parse("ghost:x", duet_config_lookup, c, &r), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), "didn't find section in config file (\"ghost\")"));

	/* A section without a type: the lookup names file, line and section. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(duet_config_lookup(c, "broken", &r), DUET_E_INVAL);
	assert_string_equal(
	    duet_err_msg(),
	    "t.conf:6: remote [broken] has no \"type\" key; add one, e.g. with 'duet config "
	    "update broken type local'");
	duet_remote_dispose(&r);
	assert_int_not_equal(duet_remote_parse("broken:x", duet_config_lookup, c, &r), 0);
	duet_config_free(c);
}

/* Allocation failures anywhere in parse, format and lookup are reported. */
static void
test_alloc_failures(void **state)
{
	const char *text = "# c\n[nas]\ntype = sftp\n# k\nhost = h\n[b]\ntype = local\n# t\n";
	int done = 0;
	(void)state;
	setenv("DUET_CONFIG_NAS_PORT", "22", 1);
	for (long n = 1; !done && n < 500; n++) {
		struct duet_config *c = NULL;
		struct duet_remote r;
		struct duet_buf b = DUET_BUF_INIT;
		int rc;
		memset(&r, 0, sizeof(r));
		duet_alloc_fail_at(n);
		rc = duet_config_parse("t.conf", text, strlen(text), &c);
		if (rc == 0)
			rc = duet_config_format(c, NULL, &b);
		if (rc == 0)
			rc = duet_config_lookup(c, "nas", &r);
		if (rc == 0)
			rc = duet_config_set(c, "b", "k", "v");
		duet_alloc_fail_at(0);
		if (rc == 0) {
			/* Success must be complete, not a silently shortened result. */
			assert_int_equal(c->nsec, 2);
			assert_string_equal(c->tail, "# t\n");
			assert_int_equal(b.len, strlen(text) + 2); /* a blank line per section */
			assert_string_equal(r.type, "sftp");
			assert_int_equal(r.nkv, 2);
			assert_string_equal(duet_remote_get(&r, "port"), "22");
			assert_string_equal(duet_config_get(c, "b", "k"), "v");
			done = 1;
		} else {
			assert_int_equal(rc, DUET_E_NOMEM);
		}
		duet_remote_dispose(&r);
		duet_buf_dispose(&b);
		duet_config_free(c);
	}
	unsetenv("DUET_CONFIG_NAS_PORT");
	assert_true(done);
}

/* ---- obscure / reveal ---- */

/* Made with `rclone obscure` v1.60.1. */
static const struct {
	const char *plain, *obscured;
} vectors[] = {
    {"secret", "DsCPIXRS7NesbUySEwN2mQIFRYY4qw"},
    {"", "ICNgCOhoT7mzaGgqmuQV5A"},
    {"p\xc3\xa4ssw\xc3\xb6rd with spaces", "bhKB_-7S6KtAkUHlLbF-tNsdTRKlfdwSFJJ_4Li7zSLmfp-tGZs"},
    {"abc", "7yQiWsnlAtia0IFrdnQkFnn2AA"},
    {"a-longer-password-that-spans-more-than-one-aes-block-of-16-bytes",
     "MMMTU4DiS_7KBPLrhqz2GDDA8BTlBzqITwioWVwmm8w5y63FuXhMEPdIa3wXThouLR6SjQUcoDOOrd"
     "HzJlzf3CYFyqSUr1JPlJDjVkSRTao"},
};

/* Decodes unpadded URL-safe base64 with OpenSSL's standard decoder. */
static size_t
b64url_decode(const char *s, unsigned char *out)
{
	char tmp[512];
	size_t n = strlen(s);
	int len;
	assert_true(n + 4 < sizeof(tmp));
	for (size_t i = 0; i < n; i++)
		tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (n % 4 != 0)
		tmp[n++] = '=';
	tmp[n] = '\0';
	len = EVP_DecodeBlock(out, (const unsigned char *)tmp, (int)n);
	assert_true(len >= 0);
	return (size_t)len - (tmp[n - 1] == '=') - (tmp[n - 2] == '=');
}

static void
b64url_encode(const unsigned char *p, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	for (int i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
}

static void
test_reveal_rclone_vectors(void **state)
{
	char *out = NULL;
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		assert_int_equal(duet_obscure_reveal(vectors[i].obscured, &out), 0);
		assert_string_equal(out, vectors[i].plain);
		duet_free(out);
	}
	/* A line break inside is skipped, as rclone's base64 decoder does. */
	assert_int_equal(
	    duet_obscure_reveal("bhKB_-7S6KtAkUHlLbF-tNsdTRKlfdwSFJJ_4Li7zSLm\r\nfp-tGZs", &out),
	    0);
	assert_string_equal(out, "p\xc3\xa4ssw\xc3\xb6rd with spaces");
	duet_free(out);
}

static void
test_hide_matches_rclone(void **state)
{
	unsigned char raw[256];
	char *out = NULL;
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		/* With rclone's IV (the first 16 bytes) we must produce its exact text. */
		assert_true(b64url_decode(vectors[i].obscured, raw) >= DUET_OBSCURE_IV_LEN);
		assert_int_equal(duet_obscure_hide_iv(vectors[i].plain, raw, &out), 0);
		assert_string_equal(out, vectors[i].obscured);
		duet_free(out);
	}
}

static void
test_hide_random(void **state)
{
	char *a = NULL, *b = NULL, *plain = NULL;
	(void)state;
	assert_int_equal(duet_obscure_hide("hunter2", &a), 0);
	assert_int_equal(duet_obscure_hide("hunter2", &b), 0);
	assert_string_not_equal(a, b);   /* a fresh IV each time */
	assert_int_equal(strlen(a), 31); /* 16 + 7 bytes, unpadded base64 */
	assert_null(strpbrk(a, "+/="));
	assert_int_equal(duet_obscure_reveal(a, &plain), 0);
	assert_string_equal(plain, "hunter2");
	duet_free(plain);
	duet_free(a);
	duet_free(b);
}

static void
test_reveal_garbage(void **state)
{
	static const struct bad_case cases[] = {
	    {"", "can't reveal: the value is too short to be an obscured password - was it "
	         "obscured?"},
	    {"ZZZ", "can't reveal: the value is too short to be an obscured password - was it "
	            "obscured?"},
	    {"a!b", "can't reveal: byte 2 of the value is not URL-safe base64 - was it "
	            "obscured?"},
	    {"DsCPIXRS7NesbUySEwN2mQIFRYY4qw==", "can't reveal: byte 31 of the value is not "
	                                         "URL-safe base64 - was it obscured?"},
	    {"abc+def/", "can't reveal: byte 4 of the value is not URL-safe base64 - was it "
	                 "obscured?"},
	    {"DsCPIXRS7NesbUySEwN2mQIFRYY4q", "can't reveal: the value's base64 is cut short "
	                                      "- was it obscured?"},
	};
	unsigned char raw[64];
	char text[128], *out = (char *)1;
	size_t n;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(duet_obscure_reveal(cases[i].text, &out), DUET_E_INVAL);
		assert_null(out);
		assert_string_equal(duet_err_msg(), cases[i].msg);
	}
	/* Ciphertext that decrypts to a NUL byte: flip "A" to "\0" (CTR is XOR). */
	assert_int_equal(duet_obscure_hide("A", &out), 0);
	n = b64url_decode(out, raw);
	duet_free(out);
	assert_int_equal(n, 17);
	raw[16] ^= 'A';
	b64url_encode(raw, n, text);
	assert_int_equal(duet_obscure_reveal(text, &out), DUET_E_INVAL);
	assert_non_null(strstr(duet_err_msg(), "NUL byte"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_repeated_key),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_load_missing_and_dir),
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_edit),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_name_ok),
	    cmocka_unit_test(test_save_roundtrip),
	    cmocka_unit_test(test_save_symlink),
	    cmocka_unit_test(test_save_failure_leaves_nothing),
	    cmocka_unit_test(test_path),
	    cmocka_unit_test(test_getenv),
	    cmocka_unit_test(test_lookup_env),
	    cmocka_unit_test(test_lookup_parse),
	    cmocka_unit_test(test_alloc_failures),
	    cmocka_unit_test(test_reveal_rclone_vectors),
	    cmocka_unit_test(test_hide_matches_rclone),
	    cmocka_unit_test(test_hide_random),
	    cmocka_unit_test(test_reveal_garbage),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
