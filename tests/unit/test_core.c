/*
 * test_core.c: unit tests of core's small pieces: errors, buffers,
 * arenas, listings, remote specs and the allocation-failure hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/backend.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/listing.h"
#include "core/remote.h"

static void
test_err(void **state)
{
	(void)state;
	assert_int_equal(duet_err_set(DUET_E_IO, "open %s", "x"), DUET_E_IO);
	assert_string_equal(duet_err_msg(), "open x");
	assert_int_equal(duet_err_errno(ENOSPC, "write %s", "f"), DUET_E_NOSPC);
	assert_string_equal(duet_err_msg(), "write f: No space left on device");
	assert_int_equal(duet_err_from_errno(EACCES), DUET_E_PERM);
	assert_int_equal(duet_err_from_errno(ENOENT), DUET_E_NOTFOUND);
	duet_err_clear();
	assert_string_equal(duet_err_msg(), "success");
	assert_true(duet_err_retryable(DUET_E_NET));
	assert_false(duet_err_retryable(DUET_E_PERM));
}

static void
test_buf(void **state)
{
	struct duet_buf b = DUET_BUF_INIT;
	(void)state;
	assert_int_equal(duet_buf_puts(&b, "abc"), 0);
	assert_int_equal(duet_buf_printf(&b, "-%d-", 42), 0);
	assert_string_equal(b.p, "abc-42-");
	assert_int_equal(b.len, 7);
	duet_buf_reset(&b);
	assert_string_equal(b.p, "");
	b.max = 4;
	assert_int_equal(duet_buf_puts(&b, "12345"), DUET_E_INVAL);
	assert_int_equal(duet_buf_puts(&b, "1234"), 0);
	duet_buf_dispose(&b);
	/* An allocation failure is reported, not a crash. */
	duet_alloc_fail_at(1);
	assert_int_equal(duet_buf_puts(&b, "x"), DUET_E_NOMEM);
	duet_alloc_fail_at(0);
	duet_buf_dispose(&b);
}

static void
test_arena(void **state)
{
	struct duet_arena a;
	char *p, *big;
	(void)state;
	duet_arena_init(&a);
	p = duet_arena_strndup(&a, "hello world", 5);
	assert_string_equal(p, "hello");
	assert_int_equal((uintptr_t)p % 8, 0);
	big = duet_arena_alloc(&a, 1 << 20);
	assert_non_null(big);
	memset(big, 1, 1 << 20);
	for (int i = 0; i < 10000; i++)
		assert_non_null(duet_arena_strndup(&a, "0123456789", 10));
	assert_string_equal(p, "hello");
	duet_arena_dispose(&a);
}

static void
test_listing(void **state)
{
	struct duet_listing l, m;
	struct duet_entry e;
	const char *names[] = {"b", "a/c", "a.txt", "a", "a/b"};
	(void)state;
	duet_listing_init(&l);
	duet_listing_init(&m);
	memset(&e, 0, sizeof(e));
	for (int i = 0; i < 5; i++) {
		e.path = names[i];
		e.pathlen = (uint32_t)strlen(names[i]);
		e.size = i;
		assert_int_equal(duet_listing_add(i < 3 ? &l : &m, &e), 0);
	}
	assert_int_equal(duet_listing_absorb(&l, &m), 0);
	duet_listing_sort(&l);
	assert_int_equal(l.n, 5);
	/* Byte order: '.' (0x2e) sorts before '/' (0x2f). */
	assert_string_equal(l.v[0].path, "a");
	assert_string_equal(l.v[1].path, "a.txt");
	assert_string_equal(l.v[2].path, "a/b");
	assert_string_equal(l.v[3].path, "a/c");
	assert_string_equal(l.v[4].path, "b");
	assert_non_null(duet_listing_find(&l, "a/b"));
	assert_int_equal(duet_listing_find(&l, "a/c")->size, 1);
	assert_null(duet_listing_find(&l, "a/d"));
	duet_listing_dispose(&l);
	duet_listing_dispose(&m);
}

static int
lookup_one(void *ctx, const char *name, struct duet_remote *r)
{
	(void)ctx;
	if (strcmp(name, "mine") != 0)
		return DUET_E_NOTFOUND;
	r->type = duet_strdup("sftp");
	return duet_remote_add(r, "host", "example");
}

static void
test_remote(void **state)
{
	struct duet_remote r;
	(void)state;
	assert_int_equal(duet_remote_parse("/abs/path", NULL, NULL, &r), 0);
	assert_string_equal(r.type, "local");
	assert_string_equal(r.path, "/abs/path");
	assert_null(r.name);
	duet_remote_dispose(&r);
	assert_int_equal(duet_remote_parse("rel/a:b", NULL, NULL, &r), 0);
	assert_string_equal(r.type, "local");
	assert_string_equal(r.path, "rel/a:b");
	duet_remote_dispose(&r);
	assert_int_equal(duet_remote_parse(":local:some/dir", NULL, NULL, &r), 0);
	assert_string_equal(r.type, "local");
	assert_string_equal(r.path, "some/dir");
	duet_remote_dispose(&r);
	assert_int_equal(duet_remote_parse(":sftp,host=h,user=u,port=22:/data", NULL, NULL, &r), 0);
	assert_string_equal(r.type, "sftp");
	assert_string_equal(duet_remote_get(&r, "host"), "h");
	assert_string_equal(duet_remote_get(&r, "port"), "22");
	assert_string_equal(r.path, "/data");
	duet_remote_dispose(&r);
	assert_int_equal(duet_remote_parse("mine:dir/x", lookup_one, NULL, &r), 0);
	assert_string_equal(r.name, "mine");
	assert_string_equal(r.type, "sftp");
	assert_string_equal(r.path, "dir/x");
	duet_remote_dispose(&r);
	assert_int_equal(duet_remote_parse("other:x", lookup_one, NULL, &r), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), "\"other\""));
	assert_int_equal(duet_remote_parse(":sftp,host=h", NULL, NULL, &r), DUET_E_USAGE);
	assert_int_equal(duet_remote_parse("", NULL, NULL, &r), DUET_E_USAGE);
	assert_int_equal(duet_remote_parse(":,a=b:x", NULL, NULL, &r), DUET_E_USAGE);
	/* rclone's quoting: a value with ':' or ',' in quotes, quotes doubled */
	assert_int_equal(duet_remote_parse(":s3,endpoint='http://h:9000',x=\"a,\"\"b\",y=1:bkt/k",
	    NULL, NULL, &r), 0);
	assert_string_equal(duet_remote_get(&r, "endpoint"), "http://h:9000");
	assert_string_equal(duet_remote_get(&r, "x"), "a,\"b");
	assert_string_equal(duet_remote_get(&r, "y"), "1");
	assert_string_equal(r.path, "bkt/k");
	duet_remote_dispose(&r);
	assert_int_equal(duet_remote_parse(":s3,endpoint='http://h:9000", NULL, NULL, &r), DUET_E_USAGE);
	/* option values: sizes as rclone's SizeSuffix, booleans */
	assert_int_equal(duet_remote_parse(":s3,a=5M,b=1.5Gi,c=10,d=3x,e=TRUE,f=no,g=:k", NULL, NULL,
	    &r), 0);
	assert_true(duet_remote_get_size(&r, "a", 0) == 5 << 20);
	assert_true(duet_remote_get_size(&r, "b", 0) == (int64_t)3 << 29);
	assert_true(duet_remote_get_size(&r, "c", 0) == 10 << 10);
	assert_true(duet_remote_get_size(&r, "d", 0) == -1);
	assert_true(duet_remote_get_size(&r, "g", 7) == 7);
	assert_true(duet_remote_get_size(&r, "none", 42) == 42);
	assert_int_equal(duet_remote_get_bool(&r, "e", 0), 1);
	assert_int_equal(duet_remote_get_bool(&r, "f", 1), 0);
	assert_int_equal(duet_remote_get_bool(&r, "g", 1), 1);
	assert_int_equal(duet_remote_get_bool(&r, "none", 0), 0);
	duet_remote_dispose(&r);
	{
		int64_t v;
		assert_int_equal(duet_parse_size("1P", &v), 0);
		assert_true(v == (int64_t)1 << 50);
		assert_int_equal(duet_parse_size("100B", &v), 0);
		assert_true(v == 100);
		assert_int_equal(duet_parse_size("-1", &v), -1);
		assert_int_equal(duet_parse_size("9E", &v), -1);
		assert_int_equal(duet_parse_size("99999999P", &v), -1);
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_int_equal(duet_name_check("ok name", 7), 0);
	assert_int_equal(duet_name_check("new\nline", 8), 0);
	assert_int_equal(duet_name_check("", 0), DUET_E_BADNAME);
	assert_int_equal(duet_name_check(".", 1), DUET_E_BADNAME);
	assert_int_equal(duet_name_check("..", 2), DUET_E_BADNAME);
	assert_int_equal(duet_name_check("a/b", 3), DUET_E_BADNAME);
	assert_int_equal(duet_name_check("a\0b", 3), DUET_E_BADNAME);
	assert_int_equal(duet_name_check("...", 3), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_listing),
		cmocka_unit_test(test_remote),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
