/*
 * test_name_enc.c: rclone's name encodings as the object stores use them
 * (backends/azure/az_enc.h): Azure's default and S3's, each name encoded
 * as rclone stores it and decoded back to the same bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "backends/azure/az_enc.h"
#include "core/error.h"

static void
enc_is(const char *path, unsigned mask, const char *want)
{
	struct duet_buf b = DUET_BUF_INIT, d = DUET_BUF_INIT;

	assert_int_equal(duet_name_enc_path(&b, path, mask), 0);
	assert_int_equal(duet_buf_puts(&b, ""), 0);
	if (strcmp(b.p, want) != 0)
		fail_msg("encoding \"%s\": got \"%s\", want \"%s\"", path, b.p, want);
	/* every segment decodes back */
	for (const char *p = b.p;;) {
		size_t n = strcspn(p, "/");
		assert_int_equal(duet_name_enc_decode(&d, p, n, mask), 0);
		if (p[n] == '\0')
			break;
		assert_int_equal(duet_buf_putc(&d, '/'), 0);
		p += n + 1;
	}
	assert_int_equal(duet_buf_puts(&d, ""), 0);
	assert_string_equal(d.p, path);
	duet_buf_dispose(&b);
	duet_buf_dispose(&d);
}

static void
test_azure(void **state)
{
	(void)state;
	enc_is("plain/name.txt", DUET_ENC_AZURE, "plain/name.txt");
	/* what rclone 1.60 stored for these names (seen in Azurite) */
	enc_is("nl\nx", DUET_ENC_AZURE, "nl\xe2\x90\x8ax");
	enc_is("raw_\x19_\x81_\xfe", DUET_ENC_AZURE, "raw_\xe2\x90\x99_\xe2\x80\x9b" "81_\xe2\x80\x9b" "FE");
	enc_is("back\\slash", DUET_ENC_AZURE, "back\xef\xbc\xbcslash");
	enc_is("dot.", DUET_ENC_AZURE, "dot\xef\xbc\x8e");
	enc_is("del\x7f", DUET_ENC_AZURE, "del\xe2\x90\xa1");
	/* the symbols themselves are quoted */
	enc_is("q\xe2\x80\x9b" "81", DUET_ENC_AZURE, "q\xe2\x80\x9b\xe2\x80\x9b" "81");
	enc_is("sym\xe2\x90\x8a", DUET_ENC_AZURE, "sym\xe2\x80\x9b\xe2\x90\x8a");
}

static void
test_s3(void **state)
{
	struct duet_buf d = DUET_BUF_INIT;
	(void)state;

	enc_is("plain/name.txt", DUET_ENC_S3, "plain/name.txt");
	/* S3 keeps control characters, backslashes and final dots */
	enc_is("nl\nx\\y.", DUET_ENC_S3, "nl\nx\\y.");
	/* invalid UTF-8 as rclone's s3 encoding stores it */
	enc_is("raw_\x81_\xfe", DUET_ENC_S3, "raw_\xe2\x80\x9b" "81_\xe2\x80\x9b" "FE");
	enc_is("q\xe2\x80\x9b" "81", DUET_ENC_S3, "q\xe2\x80\x9b\xe2\x80\x9b" "81");
	/* "." and ".." names, and names that look like their encoding */
	enc_is("a/./b/../c", DUET_ENC_S3, "a/\xef\xbc\x8e/b/\xef\xbc\x8e\xef\xbc\x8e/c");
	enc_is("\xef\xbc\x8e", DUET_ENC_S3, "\xe2\x80\x9b\xef\xbc\x8e");
	enc_is("x\xef\xbc\x8e", DUET_ENC_S3, "x\xef\xbc\x8e");
	/* a stored "‛00" would decode to NUL: refused */
	assert_int_equal(duet_name_enc_decode(&d, "a\xe2\x80\x9b" "00", 6, DUET_ENC_S3), DUET_E_BADNAME);
	duet_buf_dispose(&d);
}

/* A recursive listing's stored paths: decoded segment by segment; a
 * segment that decodes to a '/' or to ".." or is empty is refused. */
static void
test_decode_path(void **state)
{
	struct duet_buf b = DUET_BUF_INIT;
	(void)state;

	assert_int_equal(duet_name_enc_decode_path(&b, "a/b/c\xe2\x80\x9b" "FF",
	    strlen("a/b/c\xe2\x80\x9b" "FF"), DUET_ENC_S3), 0);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.p, "a/b/c\xff", 6);
	duet_buf_reset(&b);
	/* "." stored as a full-width dot decodes to a name no file has */
	assert_int_equal(duet_name_enc_decode_path(&b, "a/\xef\xbc\x8e/c", 7, DUET_ENC_S3),
	    DUET_E_BADNAME);
	duet_buf_reset(&b);
	assert_int_equal(duet_buf_puts(&b, "dir"), 0);
	assert_int_equal(duet_name_enc_decode_path(&b, "x/y", 3, DUET_ENC_AZURE), 0);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.p, "dir/x/y", 7);
	duet_buf_reset(&b);
	assert_int_equal(duet_name_enc_decode_path(&b, "a/b\xef\xbc\x8f" "c", 8, DUET_ENC_S3),
	    DUET_E_BADNAME);
	duet_buf_reset(&b);
	assert_int_equal(duet_name_enc_decode_path(&b, "a//b", 4, DUET_ENC_S3), DUET_E_BADNAME);
	duet_buf_reset(&b);
	assert_int_equal(duet_name_enc_decode_path(&b, "a/../b", 6, DUET_ENC_AZURE), DUET_E_BADNAME);
	duet_buf_dispose(&b);
}

struct emitted {
	char v[8][32];
	int n;
};

static int
emit_dir(void *ctx, const char *rel, size_t n)
{
	struct emitted *e = ctx;
	assert_true(e->n < 8 && n < 32);
	memcpy(e->v[e->n], rel, n);
	e->v[e->n++][n] = '\0';
	return 0;
}

/* Each directory once, however many names it holds, across names that
 * sort between a directory and its children. */
static void
test_new_parents(void **state)
{
	static const char *const names[] = {"a/b/x", "a/b/y", "a/b!", "a/c/d/z", "e"};
	struct duet_buf last = DUET_BUF_INIT;
	struct emitted e;
	(void)state;

	memset(&e, 0, sizeof(e));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *sl = strrchr(names[i], '/');
		size_t plen = sl != NULL ? (size_t)(sl - names[i]) + 1 : 0;
		assert_int_equal(duet_name_new_parents(&last, names[i], plen, emit_dir, &e), 0);
	}
	assert_int_equal(e.n, 4);
	assert_string_equal(e.v[0], "a");
	assert_string_equal(e.v[1], "a/b");
	assert_string_equal(e.v[2], "a/c");
	assert_string_equal(e.v[3], "a/c/d");
	duet_buf_dispose(&last);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_azure),
		cmocka_unit_test(test_s3),
		cmocka_unit_test(test_decode_path),
		cmocka_unit_test(test_new_parents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
