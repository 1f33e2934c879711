/*
 * test_hash.c: core/hash against known digests. MD5/SHA-1/SHA-256 vectors
 * are the published ones; the xxh3/xxh128 ones (and the 100003-byte
 * pattern's digests) were computed with `xxhsum -H3` / `xxhsum -H2`
 * (xxhash 0.8.1, Debian 12) and md5sum/sha1sum/sha256sum when this test was
 * written, and hard-coded below.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/hashpipe.h"

#define PAT_LEN 100003

/* Expected digests, indexed by kind. */
struct vec {
	const char *hex[DUET_HASH_COUNT];
};

static const struct vec vec_empty = {{
	"d41d8cd98f00b204e9800998ecf8427e",
	"da39a3ee5e6b4b0d3255bfef95601890afd80709",
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"2d06800538d394c2",                 /* printf '' | xxhsum -H3 */
	"99aa06d3014798d86001c324468d497f", /* printf '' | xxhsum -H2 */
}};

static const struct vec vec_abc = {{
	"900150983cd24fb0d6963f7d28e17f72",
	"a9993e364706816aba3e25717850c26c9cd0d89d",
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	"78af5f94892f3950",                 /* printf abc | xxhsum -H3 */
	"06b05ab6733a618578af5f94892f3950", /* printf abc | xxhsum -H2 */
}};

/* pat_fill's 100003 bytes, written to a file by an equivalent Python
 * one-liner and hashed with the command-line tools. */
static const struct vec vec_pat = {{
	"e07f4febddea50a8bde329c772b0df02",
	"ed1cedd57cfd931f37c51cff9cf02dc6ea2d3937",
	"c06f53971c7943fafd45b744804b7c7480642a5f81fdac2c2400537dcbe9c962",
	"25ba638a3c66d20f",
	"19bacb7bf95a97ea25ba638a3c66d20f",
}};

static void
pat_fill(unsigned char *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)((((uint64_t)i * 2654435761u) & 0xffffffffu) >> 13);
}

static void
check_vec(const struct duet_hashes *h, const struct vec *v, unsigned mask)
{
	char hex[2 * DUET_HASH_MAXLEN + 1];
	int k;

	assert_int_equal(h->mask, mask);
	for (k = 0; k < DUET_HASH_COUNT; k++) {
		duet_hash_hex(h, k, hex);
		if (mask & DUET_HASH_BIT(k))
			assert_string_equal(hex, v->hex[k]);
		else
			assert_string_equal(hex, "");
	}
}

static void
hash_bytes(unsigned mask, const void *p, size_t n, struct duet_hashes *out)
{
	struct duet_hasher *h = NULL;
	assert_int_equal(duet_hasher_new(mask, &h), 0);
	assert_non_null(h);
	duet_hasher_update(h, p, n);
	duet_hasher_final(h, out);
	duet_hasher_free(h);
}

static void
test_vectors_all_kinds_one_pass(void **state)
{
	struct duet_hashes h;
	(void)state;
	hash_bytes(DUET_HASH_ALL, "", 0, &h);
	check_vec(&h, &vec_empty, DUET_HASH_ALL);
	hash_bytes(DUET_HASH_ALL, "abc", 3, &h);
	check_vec(&h, &vec_abc, DUET_HASH_ALL);
}

static void
test_each_kind_alone(void **state)
{
	struct duet_hashes h;
	int k;
	(void)state;
	for (k = 0; k < DUET_HASH_COUNT; k++) {
		hash_bytes(DUET_HASH_BIT(k), "abc", 3, &h);
		check_vec(&h, &vec_abc, DUET_HASH_BIT(k));
	}
	hash_bytes(0, "abc", 3, &h);
	check_vec(&h, &vec_abc, 0);
}

static void
test_streaming_odd_chunks(void **state)
{
	static const size_t chunks[] = {1, 2, 3, 7, 63, 64, 65, 255, 4093, 65537};
	unsigned char *pat = malloc(PAT_LEN);
	struct duet_hasher *h = NULL;
	struct duet_hashes one, many;
	size_t off = 0, i = 0, n;
	(void)state;

	assert_non_null(pat);
	pat_fill(pat, PAT_LEN);
	hash_bytes(DUET_HASH_ALL, pat, PAT_LEN, &one);
	check_vec(&one, &vec_pat, DUET_HASH_ALL);

	assert_int_equal(duet_hasher_new(DUET_HASH_ALL, &h), 0);
	while (off < PAT_LEN) {
		n = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))];
		if (n > PAT_LEN - off)
			n = PAT_LEN - off;
		duet_hasher_update(h, pat + off, n);
		duet_hasher_update(h, pat + off, 0);
		off += n;
	}
	duet_hasher_final(h, &many);
	duet_hasher_free(h);
	assert_memory_equal(&one, &many, sizeof(one));
	free(pat);
}

static void
test_reset_reuses(void **state)
{
	struct duet_hasher *h = NULL;
	struct duet_hashes out;
	(void)state;
	assert_int_equal(duet_hasher_new(DUET_HASH_ALL, &h), 0);
	duet_hasher_update(h, "abc", 3);
	duet_hasher_final(h, &out);
	check_vec(&out, &vec_abc, DUET_HASH_ALL);
	duet_hasher_reset(h);
	duet_hasher_final(h, &out);
	check_vec(&out, &vec_empty, DUET_HASH_ALL);
	duet_hasher_reset(h);
	duet_hasher_update(h, "ab", 2);
	duet_hasher_update(h, "c", 1);
	duet_hasher_final(h, &out);
	check_vec(&out, &vec_abc, DUET_HASH_ALL);
	duet_hasher_free(h);
	duet_hasher_free(NULL);
}

static void
test_names(void **state)
{
	static const char *names[] = {"md5", "sha1", "sha256", "xxh3", "xxh128"};
	static const size_t sizes[] = {16, 20, 32, 8, 16};
	int k;
	(void)state;
	for (k = 0; k < DUET_HASH_COUNT; k++) {
		assert_string_equal(duet_hash_name(k), names[k]);
		assert_int_equal(duet_hash_parse(duet_hash_name(k)), k);
		assert_int_equal(duet_hash_size(k), sizes[k]);
	}
	assert_int_equal(duet_hash_parse("MD5"), DUET_HASH_MD5);
	assert_int_equal(duet_hash_parse("Sha256"), DUET_HASH_SHA256);
	assert_int_equal(duet_hash_parse("XXH128"), DUET_HASH_XXH128);
	assert_int_equal(duet_hash_parse("SHA-1"), DUET_HASH_SHA1);
	assert_int_equal(duet_hash_parse("sha-256"), DUET_HASH_SHA256);
	assert_int_equal(duet_hash_parse("crc32"), -1);
	assert_int_equal(duet_hash_parse("md"), -1);
	assert_int_equal(duet_hash_parse("md55"), -1);
	assert_int_equal(duet_hash_parse(""), -1);
}

static void
test_hex_round_trip(void **state)
{
	struct duet_hashes a, b;
	char hex[2 * DUET_HASH_MAXLEN + 1];
	int k;
	(void)state;

	hash_bytes(DUET_HASH_ALL, "abc", 3, &a);
	memset(&b, 0, sizeof(b));
	for (k = 0; k < DUET_HASH_COUNT; k++) {
		duet_hash_hex(&a, k, hex);
		assert_int_equal(duet_hash_from_hex(&b, k, hex), 0);
		assert_true(b.mask & DUET_HASH_BIT(k));
		assert_true(duet_hash_equal(&a, &b, k));
	}
	assert_int_equal(b.mask, DUET_HASH_ALL);
	assert_memory_equal(&a, &b, sizeof(a));

	/* Upper case parses to the same digest. */
	memset(&b, 0, sizeof(b));
	assert_int_equal(duet_hash_from_hex(&b, DUET_HASH_MD5,
	    "900150983CD24FB0D6963F7D28E17F72"), 0);
	assert_true(duet_hash_equal(&a, &b, DUET_HASH_MD5));
}

static void
test_from_hex_rejects(void **state)
{
	struct duet_hashes b;
	(void)state;
	memset(&b, 0, sizeof(b));
	/* Too short, too long, a sha1 given as md5, non-hex, empty. */
	assert_int_equal(duet_hash_from_hex(&b, DUET_HASH_MD5, "900150983cd24fb0"),
	    DUET_E_INVAL);
	assert_int_equal(duet_hash_from_hex(&b, DUET_HASH_XXH3, "78af5f94892f39500"),
	    DUET_E_INVAL);
	assert_int_equal(duet_hash_from_hex(&b, DUET_HASH_MD5, vec_abc.hex[DUET_HASH_SHA1]),
	    DUET_E_INVAL);
	assert_int_equal(duet_hash_from_hex(&b, DUET_HASH_XXH3, "78af5f94892f395g"),
	    DUET_E_INVAL);
	assert_int_equal(duet_err_code(), DUET_E_INVAL);
	assert_int_equal(duet_hash_from_hex(&b, DUET_HASH_XXH3, " 8af5f94892f3950"),
	    DUET_E_INVAL);
	assert_int_equal(duet_hash_from_hex(&b, DUET_HASH_SHA1, ""), DUET_E_INVAL);
	assert_int_equal(b.mask, 0);
}

static void
test_equal(void **state)
{
	struct duet_hashes a, b, c;
	(void)state;
	hash_bytes(DUET_HASH_BIT(DUET_HASH_MD5) | DUET_HASH_BIT(DUET_HASH_XXH3), "abc", 3, &a);
	hash_bytes(DUET_HASH_BIT(DUET_HASH_MD5), "abc", 3, &b);
	hash_bytes(DUET_HASH_ALL, "abd", 3, &c);
	assert_true(duet_hash_equal(&a, &b, DUET_HASH_MD5));
	assert_true(duet_hash_equal(&a, &a, DUET_HASH_XXH3));
	/* Missing on one side is not equal. */
	assert_false(duet_hash_equal(&a, &b, DUET_HASH_XXH3));
	assert_false(duet_hash_equal(&a, &b, DUET_HASH_SHA1));
	assert_false(duet_hash_equal(&a, &c, DUET_HASH_MD5));
	assert_false(duet_hash_equal(&a, &c, DUET_HASH_XXH3));
}

static void
test_first(void **state)
{
	(void)state;
	assert_int_equal(duet_hash_first(0), -1);
	assert_int_equal(duet_hash_first(DUET_HASH_ALL), DUET_HASH_MD5);
	assert_int_equal(duet_hash_first(DUET_HASH_BIT(DUET_HASH_XXH128) |
	    DUET_HASH_BIT(DUET_HASH_SHA1)), DUET_HASH_SHA1);
	assert_int_equal(duet_hash_first(DUET_HASH_BIT(DUET_HASH_XXH128) |
	    DUET_HASH_BIT(DUET_HASH_XXH3)), DUET_HASH_XXH3);
	assert_int_equal(duet_hash_first(DUET_HASH_BIT(DUET_HASH_SHA256)), DUET_HASH_SHA256);
}

static int
tmpfile_with(const void *p, size_t n)
{
	char name[] = "/tmp/duet_test_hash_XXXXXX";
	int fd = mkstemp(name);
	assert_true(fd >= 0);
	unlink(name);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	return fd;
}

static void
test_hash_fd(void **state)
{
	unsigned char *pat = malloc(PAT_LEN);
	struct duet_hashes h;
	int fd;
	(void)state;

	assert_non_null(pat);
	pat_fill(pat, PAT_LEN);
	fd = tmpfile_with(pat, PAT_LEN);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(duet_hash_fd(fd, DUET_HASH_ALL, &h), 0);
	check_vec(&h, &vec_pat, DUET_HASH_ALL);
	close(fd);
	free(pat);

	/* From the current offset, not from the start. */
	fd = tmpfile_with("xxabc", 5);
	assert_int_equal(lseek(fd, 2, SEEK_SET), 2);
	assert_int_equal(duet_hash_fd(fd, DUET_HASH_ALL, &h), 0);
	check_vec(&h, &vec_abc, DUET_HASH_ALL);
	/* At the end: the empty digest. */
	assert_int_equal(duet_hash_fd(fd, DUET_HASH_BIT(DUET_HASH_SHA1), &h), 0);
	check_vec(&h, &vec_empty, DUET_HASH_BIT(DUET_HASH_SHA1));
	close(fd);
}

static void
test_hash_fd_error(void **state)
{
	struct duet_hashes h;
	int fd, rc;
	(void)state;
	fd = tmpfile_with("abc", 3);
	close(fd);
	/* fd is closed now: read fails with EBADF. */
	rc = duet_hash_fd(fd, DUET_HASH_ALL, &h);
	assert_true(rc < 0);
	assert_int_equal(duet_err_code(), rc);
	assert_non_null(strstr(duet_err_msg(), "read"));
}

static void
test_alloc_failure(void **state)
{
	struct duet_hasher *h = (struct duet_hasher *)1;
	struct duet_hashes out;
	int fd, n;
	(void)state;

	duet_alloc_fail_at(1);
	assert_int_equal(duet_hasher_new(DUET_HASH_ALL, &h), DUET_E_NOMEM);
	assert_null(h);
	assert_int_equal(duet_err_code(), DUET_E_NOMEM);
	duet_alloc_fail_at(0);

	/* Every allocation duet_hash_fd makes, failed in turn. */
	fd = tmpfile_with("abc", 3);
	for (n = 1; n <= 2; n++) {
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		duet_alloc_fail_at(n);
		assert_int_equal(duet_hash_fd(fd, DUET_HASH_ALL, &out), DUET_E_NOMEM);
		duet_alloc_fail_at(0);
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(duet_hash_fd(fd, DUET_HASH_ALL, &out), 0);
	check_vec(&out, &vec_abc, DUET_HASH_ALL);
	close(fd);
}

/* The hashing thread gives the digests of hashing inline, chunk order
 * kept, with the caller alternating two buffers as xfer_pump does. */
static void
test_hashpipe_same_digests(void **state)
{
	enum { CHUNK = 4099, N = 300 };
	static unsigned char data[CHUNK * N];
	unsigned char bufs[2][CHUNK];
	struct duet_hasher *a = NULL, *b = NULL;
	struct duet_hashpipe *p = NULL;
	struct duet_hashes ha, hb;
	unsigned x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (unsigned char)(x >> 16);
	}
	assert_int_equal(duet_hasher_new(DUET_HASH_ALL, &a), 0);
	assert_int_equal(duet_hasher_new(DUET_HASH_ALL, &b), 0);
	duet_hasher_update(a, data, sizeof(data));
	assert_int_equal(duet_hashpipe_start(b, &p), 0);
	for (size_t off = 0, n, k = 0; off < sizeof(data); off += n, k ^= 1) {
		/* Odd sizes, and each buffer refilled as soon as the feed of the
		 * other returns: a race or a lost chunk changes the digest. */
		n = off % 7 == 3 ? CHUNK / 3 : CHUNK;
		if (n > sizeof(data) - off)
			n = sizeof(data) - off;
		memcpy(bufs[k], data + off, n);
		duet_hashpipe_feed(p, bufs[k], n);
		memcpy(bufs[k ^ 1], "garbage", 7); /* fed before: hashed by now */
	}
	duet_hashpipe_finish(p);
	duet_hasher_final(a, &ha);
	duet_hasher_final(b, &hb);
	for (int k = 0; k < DUET_HASH_COUNT; k++)
		assert_true(duet_hash_equal(&ha, &hb, (enum duet_hash_kind)k));
	duet_hasher_free(a);
	duet_hasher_free(b);
	duet_hashpipe_finish(NULL);
}

/* feed_copy: the caller reuses one buffer at once (a read stream's);
 * pieces smaller and larger than the pipe's chunk, and a partial last
 * chunk flushed by finish, give the inline digests. */
static void
test_hashpipe_feed_copy(void **state)
{
	enum { CHUNK = 1000, TOTAL = 123457 };
	static unsigned char data[TOTAL];
	unsigned char buf[2600];
	struct duet_hasher *a = NULL, *b = NULL;
	struct duet_hashpipe *p = NULL;
	struct duet_hashes ha, hb;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + (i >> 9));
	assert_int_equal(duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &a), 0);
	assert_int_equal(duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &b), 0);
	duet_hasher_update(a, data, sizeof(data));
	assert_int_equal(duet_hashpipe_start(b, &p), 0);
	for (size_t off = 0, n, i = 0; off < sizeof(data); off += n, i++) {
		n = (i * 379) % sizeof(buf) + 1;
		if (n > sizeof(data) - off)
			n = sizeof(data) - off;
		memcpy(buf, data + off, n);
		assert_int_equal(duet_hashpipe_feed_copy(p, buf, n, CHUNK), 0);
		memset(buf, 0xA5, sizeof(buf)); /* the caller's buffer, reused */
	}
	duet_hashpipe_finish(p);
	duet_hasher_final(a, &ha);
	duet_hasher_final(b, &hb);
	assert_true(duet_hash_equal(&ha, &hb, DUET_HASH_MD5));
	duet_hasher_free(a);
	duet_hasher_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashpipe_same_digests),
		cmocka_unit_test(test_hashpipe_feed_copy),
		cmocka_unit_test(test_vectors_all_kinds_one_pass),
		cmocka_unit_test(test_each_kind_alone),
		cmocka_unit_test(test_streaming_odd_chunks),
		cmocka_unit_test(test_reset_reuses),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_from_hex_rejects),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_first),
		cmocka_unit_test(test_hash_fd),
		cmocka_unit_test(test_hash_fd_error),
		cmocka_unit_test(test_alloc_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
