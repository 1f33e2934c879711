/*
 * test_lst.c: listing/lst, rclone's .lst format. Go's strconv.Quote edge
 * cases, times (zero time, zones, ranges), every kind of incorrect line,
 * duplicates, hash types, and a byte-for-byte round trip of every golden
 * listing in ../shared/rclone-bisync-testdata (DUET_SHARED overrides the
 * location of "shared").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "listing/lst.h"

static char logbuf[65536];

static void
cap_sink(enum duet_log_level level, const char *object, const char *msg, void *ctx)
{
	size_t len = strlen(logbuf);
	(void)object;
	(void)ctx;
	snprintf(logbuf + len, sizeof(logbuf) - len, "%s: %s\n", duet_log_level_name(level), msg);
}

static int
setup(void **state)
{
	(void)state;
	logbuf[0] = '\0';
	duet_log_set_sink(cap_sink, NULL);
	duet_log_set_level(DUET_LOG_INFO);
	return 0;
}

/* Quotes n bytes of s; returns a static copy. */
static const char *
q(const char *s, size_t n)
{
	static char out[512];
	struct duet_buf b = DUET_BUF_INIT;
	assert_int_equal(duet_lst_quote(&b, s, n), 0);
	snprintf(out, sizeof(out), "%s", b.p);
	duet_buf_dispose(&b);
	return out;
}

#define Q(lit) q(lit, sizeof(lit) - 1)

static void
test_quote(void **state)
{
	(void)state;
	assert_string_equal(Q("plain name.txt"), "\"plain name.txt\"");
	assert_string_equal(Q("a\nb"), "\"a\\nb\"");
	assert_string_equal(Q("a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(Q("\t\a\b\f\r\v"), "\"\\t\\a\\b\\f\\r\\v\"");
	assert_string_equal(Q("\x01\x1f\x7f"), "\"\\x01\\x1f\\x7f\"");
	/* Invalid UTF-8: each byte on its own, as Go's decoder steps. */
	assert_string_equal(Q("_\x81_\xfe"), "\"_\\x81_\\xfe\"");
	assert_string_equal(Q("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");  /* surrogate */
	assert_string_equal(Q("\xc0\xaf"), "\"\\xc0\\xaf\"");          /* overlong */
	assert_string_equal(Q("\xf0\x9f\x91"), "\"\\xf0\\x9f\\x91\"");  /* truncated */
	/* Valid but not printable. */
	assert_string_equal(Q("a\xe2\x80\x8d" "b"), "\"a\\u200db\"");    /* ZWJ */
	assert_string_equal(Q("\xc2\x85"), "\"\\u0085\"");               /* C1 control */
	assert_string_equal(Q("\xc2\xa0"), "\"\\u00a0\"");               /* NBSP */
	assert_string_equal(Q("\xc2\xad"), "\"\\u00ad\"");               /* soft hyphen */
	assert_string_equal(Q("\xf3\xa0\x80\x81"), "\"\\U000e0001\"");   /* tag, Cf */
	assert_string_equal(Q("\xf4\x8f\xbf\xbf"), "\"\\U0010ffff\"");   /* unassigned */
	/* Printable: kept as is. */
	assert_string_equal(Q("\xf0\x9f\x91\xb8\xf0\x9f\x8f\xbc"), "\"\xf0\x9f\x91\xb8\xf0\x9f\x8f\xbc\"");
	assert_string_equal(Q("\xe2\x90\x99"), "\"\xe2\x90\x99\"");      /* U+2419 symbol */
	assert_string_equal(Q("\xef\xb8\x8f"), "\"\xef\xb8\x8f\"");      /* VS16, Mn */
	assert_string_equal(Q("\xc3\xa9\xc2\xa1"), "\"\xc3\xa9\xc2\xa1\"");
	assert_string_equal(Q("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");      /* U+FFFD itself */
}

static int
uq(const char *quoted, struct duet_buf *b)
{
	return duet_lst_unquote(quoted, strlen(quoted), b);
}

static void
test_unquote(void **state)
{
	struct duet_buf b = DUET_BUF_INIT;
	static const char *const round[] = {"a\nb", "a\"b\\c", "\t\a\b\f\r\v", "\x01\x7f",
	    "_\x81_\xfe", "a\xe2\x80\x8d" "b", "\xf3\xa0\x80\x81", "\xc2\x85x"};
	(void)state;
	for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		const char *quoted = q(round[i], strlen(round[i]));
		assert_int_equal(uq(quoted, &b), 0);
		assert_int_equal(b.len, strlen(round[i]));
		assert_memory_equal(b.p, round[i], b.len);
	}
	assert_int_equal(uq("\"\\101\\x42\\u0043\\U00000044\"", &b), 0);
	assert_string_equal(b.p, "ABCD");
	/* A raw invalid byte becomes U+FFFD, as Go's Unquote does. */
	assert_int_equal(uq("\"a\xff" "b\"", &b), 0);
	assert_string_equal(b.p, "a\xef\xbf\xbd" "b");
	assert_int_equal(uq("\"\"", &b), 0);
	assert_int_equal(b.len, 0);
	/* Refused. */
	assert_int_equal(uq("\"a\\qb\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"a\\'\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"a\"b\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"\\400\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"\\12\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"\\ud800\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"\\U00110000\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"\\x4\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"\\xg0\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"abc\\\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"abc", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"a\nb\"", &b), DUET_E_INVAL);
	assert_int_equal(uq("\"", &b), DUET_E_INVAL);
	duet_buf_dispose(&b);
}

static void
test_time(void **state)
{
	char t[DUET_LST_TIME_LEN + 1];
	int64_t ns = 42;
	(void)state;
	duet_lst_format_time(0, t);
	assert_string_equal(t, "0001-01-01T00:00:00.000000000+0000");
	assert_int_equal(duet_lst_parse_time(t, strlen(t), &ns), 0);
	assert_int_equal(ns, 0);
	duet_lst_format_time(1136214245000000000LL, t);
	assert_string_equal(t, "2006-01-02T15:04:05.000000000+0000");
	duet_lst_format_time(1, t);
	assert_string_equal(t, "1970-01-01T00:00:00.000000001+0000");
	duet_lst_format_time(-1, t);
	assert_string_equal(t, "1969-12-31T23:59:59.999999999+0000");
	assert_int_equal(duet_lst_parse_time(t, strlen(t), &ns), 0);
	assert_int_equal(ns, -1);
	duet_lst_format_time(INT64_MAX, t);
	assert_string_equal(t, "2262-04-11T23:47:16.854775807+0000");
	assert_int_equal(duet_lst_parse_time(t, strlen(t), &ns), 0);
	assert_true(ns == INT64_MAX);
	duet_lst_format_time(INT64_MIN, t);
	assert_string_equal(t, "1677-09-21T00:12:43.145224192+0000");
	assert_int_equal(duet_lst_parse_time(t, strlen(t), &ns), 0);
	assert_true(ns == INT64_MIN);
#define PT(s) duet_lst_parse_time(s, strlen(s), &ns)
	assert_int_equal(PT("2006-01-02T16:04:05.123456789+0100"), 0);
	assert_int_equal(ns, 1136214245123456789LL);
	assert_int_equal(PT("2006-01-02T14:34:05.000000000-0030"), 0);
	assert_int_equal(ns, 1136214245000000000LL);
	assert_int_equal(PT("2000-02-29T00:00:00.000000000+0000"), 0);
	assert_int_equal(PT("2001-02-29T00:00:00.000000000+0000"), DUET_E_INVAL);
	assert_int_equal(PT("2001-13-01T00:00:00.000000000+0000"), DUET_E_INVAL);
	assert_int_equal(PT("2001-00-01T00:00:00.000000000+0000"), DUET_E_INVAL);
	assert_int_equal(PT("2001-01-01T24:00:00.000000000+0000"), DUET_E_INVAL);
	assert_int_equal(PT("2001-01-01T00:60:00.000000000+0000"), DUET_E_INVAL);
	assert_int_equal(PT("2001-01-01T00:00:60.000000000+0000"), DUET_E_INVAL);
	assert_int_equal(PT("2001-01-01T00:00:00.00000000+00000"), DUET_E_INVAL);
	assert_int_equal(PT("2001-01-01 00:00:00.000000000+0000"), DUET_E_INVAL);
	assert_int_equal(PT("2001-01-01T00:00:00.000000000Z0000"), DUET_E_INVAL);
	assert_int_equal(PT("2262-04-11T23:47:16.854775808+0000"), DUET_E_INVAL);
	assert_int_equal(PT("1600-01-01T00:00:00.000000000+0000"), DUET_E_INVAL);
	assert_int_equal(PT("1677-09-21T00:12:43.145224191+0000"), DUET_E_INVAL);
	assert_int_equal(PT("2001-01-01T00:00:00.000000000+0000 "), DUET_E_INVAL);
#undef PT
}

static int
parse(const char *text, struct duet_listing *l, struct duet_lst_info *info)
{
	duet_listing_init(l);
	return duet_lst_parse(text, strlen(text), "t.lst", l, info);
}

/* Writes l with kind k into a static string (header dropped). */
static const char *
write_entries(const struct duet_listing *l, int k)
{
	static char out[8192];
	struct duet_buf b = DUET_BUF_INIT;
	out[0] = '\0';
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(duet_lst_format_entry(&b, &l->v[i], k), 0);
	snprintf(out, sizeof(out), "%s", b.p != NULL ? b.p : "");
	duet_buf_dispose(&b);
	return out;
}

static void
test_parse_fields(void **state)
{
	static const char text[] =
	    "# bisync listing v1 from 2026-08-21T16:53:41.123456789+0000\n"
	    "\n"
	    "-     3009805 md5:378840336ab14afa9c6b8d887e68a340 - 2006-01-02T15:04:05.000000000+0000 \"dir/12 - Wait.mp3\"\r\n"
	    "d       -1 - - 2001-01-02T00:00:00.000000000+0000 \"subdir\"\n"
	    "- 123456789012 - - 0001-01-01T00:00:00.000000000+0000 \"big\"\n"
	    "-       -7 - - 2001-01-02T01:00:00.000000000+0100 \"a\\tb\\u200d\"";
	struct duet_listing l;
	struct duet_lst_info info;
	(void)state;
	assert_int_equal(parse(text, &l, &info), 0);
	assert_int_equal(info.bad_lines, 0);
	assert_int_equal(info.hash_kind, DUET_HASH_MD5);
	assert_string_equal(info.hash_name, "md5");
	assert_int_equal(l.n, 4);
	/* Sorted by raw bytes: "a\tb..." < "big" < "dir/..." < "subdir". */
	assert_string_equal(l.v[0].path, "a\tb\xe2\x80\x8d");
	assert_int_equal(l.v[0].size, -7);
	assert_int_equal(l.v[0].mtime, 978393600LL * 1000000000LL);
	assert_string_equal(l.v[1].path, "big");
	assert_int_equal(l.v[1].size, 123456789012LL);
	assert_int_equal(l.v[1].mtime, 0);
	assert_string_equal(l.v[2].path, "dir/12 - Wait.mp3");
	assert_non_null(l.v[2].hashes);
	assert_true(l.v[2].hashes->mask == DUET_HASH_BIT(DUET_HASH_MD5));
	assert_int_equal(l.v[3].type, DUET_T_DIR);
	assert_int_equal(l.v[3].size, -1);
	assert_null(l.v[3].hashes);
	assert_string_equal(write_entries(&l, DUET_HASH_MD5),
	    "-       -7 - - 2001-01-02T00:00:00.000000000+0000 \"a\\tb\\u200d\"\n"
	    "- 123456789012 - - 0001-01-01T00:00:00.000000000+0000 \"big\"\n"
	    "-  3009805 md5:378840336ab14afa9c6b8d887e68a340 - 2006-01-02T15:04:05.000000000+0000 \"dir/12 - Wait.mp3\"\n"
	    "d       -1 - - 2001-01-02T00:00:00.000000000+0000 \"subdir\"\n");
	/* Without the kind, the hash column is "-". */
	assert_non_null(strstr(write_entries(&l, -1), "-  3009805 - - 2006"));
	duet_listing_dispose(&l);
}

static void
test_bad_lines(void **state)
{
	static const char *const bad[] = {
	    "x       1 - - 2001-01-02T00:00:00.000000000+0000 \"flag\"",
	    "--      1 - - 2001-01-02T00:00:00.000000000+0000 \"flag2\"",
	    "-1 - - 2001-01-02T00:00:00.000000000+0000 \"nospace\"",
	    "-       1 - x 2001-01-02T00:00:00.000000000+0000 \"id\"",
	    "-       1 - -- 2001-01-02T00:00:00.000000000+0000 \"id2\"",
	    "-       1x - - 2001-01-02T00:00:00.000000000+0000 \"size\"",
	    "-       - - - 2001-01-02T00:00:00.000000000+0000 \"size2\"",
	    "- 9223372036854775808 - - 2001-01-02T00:00:00.000000000+0000 \"overflow\"",
	    "-       1 md5: - 2001-01-02T00:00:00.000000000+0000 \"hashname\"",
	    "-       1 :abc - 2001-01-02T00:00:00.000000000+0000 \"hashvalue\"",
	    "-       1 md5 - 2001-01-02T00:00:00.000000000+0000 \"nocolon\"",
	    "-       1 md5:zz - 2001-01-02T00:00:00.000000000+0000 \"badhex\"",
	    "-       1 - - 2001-01-02T00:00:00.00000000+0000 \"frac8\"",
	    "-       1 - - 2001-01-02T00:00:00.000000000Z \"zone\"",
	    "-       1 - - 2001-02-30T00:00:00.000000000+0000 \"feb30\"",
	    "-\t      1 - - 2001-01-02T00:00:00.000000000+0000 \"tab\"",
	    "-       1 -  - 2001-01-02T00:00:00.000000000+0000 \"twospaces\"",
	    "-       1 - - 2001-01-02T00:00:00.000000000+0000 noquotes",
	    "-       1 - - 2001-01-02T00:00:00.000000000+0000 \"\"",
	    "-       1 - - 2001-01-02T00:00:00.000000000+0000 \"a\\qb\"",
	    "-       1 - - 2001-01-02T00:00:00.000000000+0000 \"nul\\x00\"",
	    "-       1 - - 2001-01-02T00:00:00.000000000+0000 \"tail\" ",
	    "-       1 - - 2001-01-02T00:00:00.000000000+0000",
	};
	struct duet_listing l;
	struct duet_lst_info info;
	struct duet_buf text = DUET_BUF_INIT;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &l, &info), 0);
		if (l.n != 0 || info.bad_lines != 1)
			fail_msg("accepted: %s", bad[i]);
		duet_listing_dispose(&l);
		assert_int_equal(duet_buf_printf(&text, "%s\n", bad[i]), 0);
	}
	assert_int_equal(duet_buf_puts(&text,
	    "-       1 - - 2001-01-02T00:00:00.000000000+0000 \"good\"\n"), 0);
	logbuf[0] = '\0';
	assert_int_equal(parse(text.p, &l, &info), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].path, "good");
	assert_int_equal(info.bad_lines, (long)(sizeof(bad) / sizeof(bad[0])));
	/* The line is quoted in the message, tab and all. */
	assert_non_null(strstr(logbuf,
	    "NOTICE: Ignoring incorrect line: \"-\\t      1 - - 2001"));
	assert_non_null(strstr(logbuf, "NOTICE: Ignoring incorrect line: \"x       1 -"));
	duet_listing_dispose(&l);
	duet_buf_dispose(&text);
}

static void
test_duplicates(void **state)
{
	static const char text[] =
	    "-       5 - - 2001-01-03T00:00:00.000000000+0000 \"b\"\n"
	    "-       1 - - 2001-01-02T00:00:00.000000000+0000 \"a\"\n"
	    "-       2 - - 2001-01-01T00:00:00.000000000+0000 \"a\"\n"
	    "-       3 - - 2001-01-04T00:00:00.000000000+0000 \"c\"\n"
	    "-       4 - - 2001-01-04T00:00:00.000000000+0000 \"c\"\n"
	    "-       6 - - 2001-01-01T00:00:00.000000000+0000 \"b\"\n";
	struct duet_listing l;
	struct duet_lst_info info;
	(void)state;
	logbuf[0] = '\0';
	assert_int_equal(parse(text, &l, &info), 0);
	assert_int_equal(info.dup_lines, 3);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].path, "a");
	assert_int_equal(l.v[0].size, 1);  /* the later modtime, though read first */
	assert_string_equal(l.v[1].path, "b");
	assert_int_equal(l.v[1].size, 5);
	assert_string_equal(l.v[2].path, "c");
	assert_int_equal(l.v[2].size, 4);  /* a tie keeps the line read last */
	assert_non_null(strstr(logbuf, "NOTICE: Duplicate line (keeping latest): a"));
	duet_listing_dispose(&l);
}

static void
test_hash_types(void **state)
{
	static const char mixed[] =
	    "-       1 - - 2001-01-02T00:00:00.000000000+0000 \"a\"\n"
	    "-       1 sha1:a9993e364706816aba3e25717850c26c9cd0d89d - 2001-01-02T00:00:00.000000000+0000 \"b\"\n"
	    "-       1 md5:900150983cd24fb0d6963f7d28e17f72 - 2001-01-02T00:00:00.000000000+0000 \"c\"\n";
	static const char crc[] =
	    "-       1 crc32:352441c2 - 2001-01-02T00:00:00.000000000+0000 \"a\"\n"
	    "-       1 quickxor:AAAA - 2001-01-02T00:00:00.000000000+0000 \"b\"\n";
	struct duet_listing l;
	struct duet_lst_info info;
	(void)state;
	logbuf[0] = '\0';
	assert_int_equal(parse(mixed, &l, &info), 0);
	assert_int_equal(info.hash_kind, DUET_HASH_SHA1);
	assert_int_equal(info.mixed_lines, 1);
	assert_int_equal(l.n, 2);
	assert_null(l.v[0].hashes);
	assert_true(l.v[1].hashes->mask == DUET_HASH_BIT(DUET_HASH_SHA1));
	assert_non_null(strstr(logbuf, "NOTICE: Inconsistent hash type in line: "));
	assert_non_null(strstr(write_entries(&l, DUET_HASH_SHA1),
	    " sha1:a9993e364706816aba3e25717850c26c9cd0d89d - "));
	duet_listing_dispose(&l);

	/* Kinds duet does not know: kept as entries without a hash. */
	assert_int_equal(parse(crc, &l, &info), 0);
	assert_int_equal(info.hash_kind, -1);
	assert_string_equal(info.hash_name, "crc32");
	assert_int_equal(info.mixed_lines, 1);
	assert_int_equal(l.n, 1);
	assert_null(l.v[0].hashes);
	duet_listing_dispose(&l);
}

static void
test_write_read_path(void **state)
{
	char dir[] = "/tmp/test_lst.XXXXXX", path[64];
	struct duet_listing l, back;
	struct duet_lst_info info;
	struct duet_entry e;
	struct duet_hashes h;
	FILE *f;
	char line[128];
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.lst", dir);
	duet_listing_init(&l);
	memset(&e, 0, sizeof(e));
	memset(&h, 0, sizeof(h));
	assert_int_equal(duet_hash_from_hex(&h, DUET_HASH_MD5, "900150983cd24fb0d6963f7d28e17f72"), 0);
	e.path = "f\"1";
	e.pathlen = 3;
	e.size = 3;
	e.mtime = 1136214245000000001LL;
	e.type = DUET_T_FILE;
	e.hashes = &h;
	assert_int_equal(duet_listing_add(&l, &e), 0);
	assert_int_equal(duet_lst_write_path(path, &l, DUET_HASH_MD5, 1136214245000000000LL), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "# bisync listing v1 from 2006-01-02T15:04:05.000000000+0000\n");
	fclose(f);
	duet_listing_init(&back);
	assert_int_equal(duet_lst_read_path(path, &back, &info), 0);
	assert_int_equal(back.n, 1);
	assert_string_equal(back.v[0].path, "f\"1");
	assert_int_equal(back.v[0].mtime, e.mtime);
	assert_true(duet_hash_equal(back.v[0].hashes, &h, DUET_HASH_MD5));
	duet_listing_dispose(&back);
	duet_listing_dispose(&l);
	unlink(path);
	assert_int_equal(duet_lst_read_path(path, &back, &info), DUET_E_NOTFOUND);
	rmdir(dir);
}

/* ---- golden round trip -------------------------------------------------- */

static void
shared_dir(char *out, size_t cap)
{
	const char *env = getenv("DUET_SHARED");
	const char *slash;
	if (env != NULL && env[0] != '\0') {
		snprintf(out, cap, "%s", env);
		return;
	}
	/* <repo>/tests/unit/test_lst.c -> <repo>/../shared */
	slash = strrchr(__FILE__, '/');
	snprintf(out, cap, "%.*s/../../../shared", slash != NULL ? (int)(slash - __FILE__) : 1,
	    slash != NULL ? __FILE__ : ".");
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* The file's entry lines (no header, no empty lines) into b. */
static void
entry_lines(const char *p, size_t len, struct duet_buf *b)
{
	size_t i = 0;
	duet_buf_reset(b);
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - p - i) : len - i;
		if (n > 0 && p[i] != '#') {
			assert_int_equal(duet_buf_append(b, p + i, n), 0);
			assert_int_equal(duet_buf_putc(b, '\n'), 0);
		}
		i += n + 1;
	}
}

static void
golden_one(const char *path)
{
	struct duet_buf want = DUET_BUF_INIT, got = DUET_BUF_INIT;
	struct duet_listing l;
	struct duet_lst_info info;
	char *text, *out = NULL;
	size_t len, outlen = 0;
	FILE *f;

	text = slurp(path, &len);
	duet_listing_init(&l);
	assert_int_equal(duet_lst_parse(text, len, path, &l, &info), 0);
	if (info.bad_lines != 0 || info.dup_lines != 0 || info.mixed_lines != 0)
		fail_msg("%s: %ld bad, %ld duplicate lines", path, info.bad_lines, info.dup_lines);
	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	assert_int_equal(duet_lst_write(f, &l, info.hash_kind, 0), 0);
	fclose(f);
	entry_lines(text, len, &want);
	entry_lines(out, outlen, &got);
	if (want.len != got.len || (want.len > 0 && memcmp(want.p, got.p, want.len) != 0))
		fail_msg("%s: round trip differs:\n%s---\n%s", path, want.p, got.p);
	free(out);
	free(text);
	duet_buf_dispose(&want);
	duet_buf_dispose(&got);
	duet_listing_dispose(&l);
}

static void
test_golden_round_trip(void **state)
{
	char base[1024], golden[1300], file[1600];
	DIR *top, *d;
	struct dirent *t, *g;
	int files = 0;
	(void)state;
	shared_dir(base, sizeof(base));
	strncat(base, "/rclone-bisync-testdata", sizeof(base) - strlen(base) - 1);
	top = opendir(base);
	if (top == NULL)
		fail_msg("cannot open %s (set DUET_SHARED)", base);
	duet_log_set_level(DUET_LOG_ERROR);
	while ((t = readdir(top)) != NULL) {
		if (strncmp(t->d_name, "test_", 5) != 0)
			continue;
		snprintf(golden, sizeof(golden), "%s/%s/golden", base, t->d_name);
		d = opendir(golden);
		if (d == NULL)
			continue;
		while ((g = readdir(d)) != NULL) {
			if (strstr(g->d_name, ".lst") == NULL)
				continue;
			snprintf(file, sizeof(file), "%s/%s", golden, g->d_name);
			golden_one(file);
			files++;
		}
		closedir(d);
	}
	closedir(top);
	/* 308 when this test was written; fewer means the data went missing. */
	assert_true(files >= 300);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_quote, setup),
		cmocka_unit_test_setup(test_unquote, setup),
		cmocka_unit_test_setup(test_time, setup),
		cmocka_unit_test_setup(test_parse_fields, setup),
		cmocka_unit_test_setup(test_bad_lines, setup),
		cmocka_unit_test_setup(test_duplicates, setup),
		cmocka_unit_test_setup(test_hash_types, setup),
		cmocka_unit_test_setup(test_write_read_path, setup),
		cmocka_unit_test_setup(test_golden_round_trip, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
