/*
 * test_delta.c: listing/delta, one side's changes (reference section 1.6):
 * every delta kind, the modify window's boundary, zero times, unknown
 * sizes, directories, hash kinds, found_same, counters, the sorted merge,
 * the per-file log lines and rclone's two stats lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/hash.h"
#include "core/log.h"
#include "listing/delta.h"

#define S 1000000000LL

static char logbuf[16384];

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

static void
add(struct duet_listing *l, const char *path, int64_t size, int64_t mtime,
    const char *md5hex)
{
	struct duet_entry e;
	struct duet_hashes h;
	memset(&e, 0, sizeof(e));
	memset(&h, 0, sizeof(h));
	e.path = path;
	e.pathlen = (uint32_t)strlen(path);
	e.size = size;
	e.mtime = mtime;
	e.type = DUET_T_FILE;
	if (md5hex != NULL) {
		assert_int_equal(duet_hash_from_hex(&h, DUET_HASH_MD5, md5hex), 0);
		e.hashes = &h;
	}
	assert_int_equal(duet_listing_add(l, &e), 0);
}

static void
add_dir(struct duet_listing *l, const char *path, int64_t mtime)
{
	struct duet_entry e;
	memset(&e, 0, sizeof(e));
	e.path = path;
	e.pathlen = (uint32_t)strlen(path);
	e.size = -1;
	e.mtime = mtime;
	e.type = DUET_T_DIR;
	assert_int_equal(duet_listing_add(l, &e), 0);
}

static const struct duet_compare cmp_all = {1, 1, 1, DUET_HASH_MD5, 1};

#define H1 "900150983cd24fb0d6963f7d28e17f72"
#define H2 "d41d8cd98f00b204e9800998ecf8427e"

/* Bits of the delta for path, 0 when it has none. */
static unsigned
bits_of(const struct duet_deltas *d, const char *path)
{
	const struct duet_delta *x = duet_deltas_find_path(d, path);
	return x != NULL ? x->bits : 0;
}

static void
test_every_kind(void **state)
{
	struct duet_listing prior, cur;
	struct duet_deltas d;
	(void)state;
	duet_listing_init(&prior);
	duet_listing_init(&cur);
	add(&prior, "deleted", 1, 10 * S, NULL);
	add(&prior, "hash", 5, 10 * S, H1);
	add(&prior, "larger", 1, 10 * S, NULL);
	add(&prior, "newer", 1, 10 * S, NULL);
	add(&prior, "older", 1, 10 * S, NULL);
	add(&prior, "same", 1, 10 * S, H1);
	add(&prior, "smaller", 9, 10 * S, NULL);
	add(&prior, "three", 1, 10 * S, H1);
	add(&cur, "a-new", 1, 10 * S, NULL);
	add(&cur, "hash", 5, 10 * S, H2);
	add(&cur, "larger", 2, 10 * S, NULL);
	add(&cur, "newer", 1, 11 * S, NULL);
	add(&cur, "older", 1, 9 * S, NULL);
	add(&cur, "same", 1, 10 * S, H1);
	add(&cur, "smaller", 8, 10 * S, NULL);
	add(&cur, "three", 2, 11 * S, H2);
	add(&cur, "zz-new", 1, 10 * S, NULL);
	assert_int_equal(duet_deltas_find(&prior, &cur, &cmp_all, 1, &d), 0);
	assert_int_equal(d.n, 9);
	assert_int_equal(bits_of(&d, "a-new"), DUET_D_NEW);
	assert_int_equal(bits_of(&d, "deleted"), DUET_D_DELETED);
	assert_int_equal(bits_of(&d, "hash"), DUET_D_HASH);
	assert_int_equal(bits_of(&d, "larger"), DUET_D_LARGER);
	assert_int_equal(bits_of(&d, "newer"), DUET_D_NEWER);
	assert_int_equal(bits_of(&d, "older"), DUET_D_OLDER);
	assert_null(duet_deltas_find_path(&d, "same"));
	assert_int_equal(bits_of(&d, "smaller"), DUET_D_SMALLER);
	assert_int_equal(bits_of(&d, "three"), DUET_D_LARGER | DUET_D_NEWER | DUET_D_HASH);
	assert_int_equal(bits_of(&d, "zz-new"), DUET_D_NEW);
	/* Sorted by path, and each delta points at the right entries. */
	for (size_t i = 1; i < d.n; i++)
		assert_true(strcmp(duet_delta_path(&d.v[i - 1]), duet_delta_path(&d.v[i])) < 0);
	assert_null(duet_deltas_find_path(&d, "a-new")->prior);
	assert_null(duet_deltas_find_path(&d, "deleted")->cur);
	assert_int_equal(duet_deltas_find_path(&d, "larger")->prior->size, 1);
	assert_int_equal(duet_deltas_find_path(&d, "larger")->cur->size, 2);
	/* Counters. */
	assert_int_equal(d.n_new, 2);
	assert_int_equal(d.n_deleted, 1);
	assert_int_equal(d.n_modified, 6);
	assert_int_equal(d.n_newer, 2);
	assert_int_equal(d.n_older, 1);
	assert_int_equal(d.n_larger, 2);
	assert_int_equal(d.n_smaller, 1);
	assert_int_equal(d.n_hash, 2);
	assert_int_equal(d.found_same, 1);
	/* Log lines, spaced as rclone's. */
	assert_non_null(strstr(logbuf, "INFO: - Path1    File is new               - a-new\n"));
	assert_non_null(strstr(logbuf, "INFO: - Path1    File was deleted          - deleted\n"));
	assert_non_null(strstr(logbuf,
	    "INFO: - Path1    File changed: size (larger), time (newer), hash - three\n"));
	assert_non_null(strstr(logbuf, "INFO: - Path1    File changed: time (older) - older\n"));
	assert_non_null(strstr(logbuf, "INFO: - Path1    File changed: size (smaller) - smaller\n"));
	assert_null(strstr(logbuf, "same"));
	duet_deltas_dispose(&d);
	duet_listing_dispose(&prior);
	duet_listing_dispose(&cur);
}

/* One file compared under c; returns its bits (and found_same in *same). */
static unsigned
one(const struct duet_compare *c, int64_t ps, int64_t pt, const char *ph, int64_t cs,
    int64_t ct, const char *ch, int *same)
{
	struct duet_listing prior, cur;
	struct duet_deltas d;
	unsigned bits;
	duet_listing_init(&prior);
	duet_listing_init(&cur);
	add(&prior, "f", ps, pt, ph);
	add(&cur, "f", cs, ct, ch);
	assert_int_equal(duet_deltas_find(&prior, &cur, c, 2, &d), 0);
	bits = d.n > 0 ? d.v[0].bits : 0;
	assert_int_equal(d.n_modified, bits != 0);
	if (same != NULL)
		*same = d.found_same;
	duet_deltas_dispose(&d);
	duet_listing_dispose(&prior);
	duet_listing_dispose(&cur);
	return bits;
}

static void
test_window(void **state)
{
	struct duet_compare c = {1, 1, 0, -1, 2 * S};
	(void)state;
	/* |diff| < window is the same; == window differs. */
	assert_int_equal(one(&c, 1, 10 * S, NULL, 1, 12 * S - 1, NULL, NULL), 0);
	assert_int_equal(one(&c, 1, 10 * S, NULL, 1, 12 * S, NULL, NULL), DUET_D_NEWER);
	assert_int_equal(one(&c, 1, 10 * S, NULL, 1, 8 * S + 1, NULL, NULL), 0);
	assert_int_equal(one(&c, 1, 10 * S, NULL, 1, 8 * S, NULL, NULL), DUET_D_OLDER);
	/* The default window, 1 ns: any difference counts. */
	c.window = 1;
	assert_int_equal(one(&c, 1, 10 * S, NULL, 1, 10 * S + 1, NULL, NULL), DUET_D_NEWER);
	assert_int_equal(one(&c, 1, 10 * S, NULL, 1, 10 * S - 1, NULL, NULL), DUET_D_OLDER);
	/* Extremes do not overflow the difference. */
	assert_int_equal(one(&c, 1, INT64_MIN, NULL, 1, INT64_MAX, NULL, NULL), DUET_D_NEWER);
	c.window = INT64_MAX;
	assert_int_equal(one(&c, 1, -1, NULL, 1, INT64_MAX - 1, NULL, NULL), DUET_D_NEWER);
	assert_int_equal(one(&c, 1, 1, NULL, 1, INT64_MAX - 1, NULL, NULL), 0);
}

static void
test_zero_and_unknown(void **state)
{
	struct duet_compare c = {1, 1, 0, -1, 1};
	int same = 0;
	(void)state;
	/* A zero (unknown) time on either side is never a difference. */
	assert_int_equal(one(&c, 1, 0, NULL, 1, 10 * S, NULL, &same), 0);
	assert_int_equal(same, 1);
	assert_int_equal(one(&c, 1, 10 * S, NULL, 1, 0, NULL, NULL), 0);
	/* Nor is an unknown size (-1). */
	assert_int_equal(one(&c, -1, 10 * S, NULL, 5, 10 * S, NULL, NULL), 0);
	assert_int_equal(one(&c, 5, 10 * S, NULL, -1, 10 * S, NULL, NULL), 0);
	/* Zero is a real size. */
	assert_int_equal(one(&c, 0, 10 * S, NULL, 5, 10 * S, NULL, NULL), DUET_D_LARGER);
	/* Switched-off comparisons say nothing. */
	c.size = 0;
	assert_int_equal(one(&c, 1, 10 * S, NULL, 5, 10 * S, NULL, NULL), 0);
	c.size = 1;
	c.modtime = 0;
	assert_int_equal(one(&c, 1, 10 * S, NULL, 1, 99 * S, NULL, NULL), 0);
}

static void
test_hash_kinds(void **state)
{
	struct duet_compare c = {0, 0, 1, DUET_HASH_MD5, 1};
	int same = 1;
	(void)state;
	assert_int_equal(one(&c, 1, S, H1, 1, S, H2, &same), DUET_D_HASH);
	assert_int_equal(same, 0);
	/* Blank hashes never differ. */
	assert_int_equal(one(&c, 1, S, H1, 1, S, NULL, NULL), 0);
	assert_int_equal(one(&c, 1, S, NULL, 1, S, H2, NULL), 0);
	/* The compared kind must be the one both carry. */
	c.hash_kind = DUET_HASH_SHA1;
	assert_int_equal(one(&c, 1, S, H1, 1, S, H2, NULL), 0);
	c.hash_kind = -1;
	assert_int_equal(one(&c, 1, S, H1, 1, S, H2, NULL), 0);
	/* Checksum comparison off. */
	c.hash_kind = DUET_HASH_MD5;
	c.checksum = 0;
	assert_int_equal(one(&c, 1, S, H1, 1, S, H2, NULL), 0);
}

static void
test_directories(void **state)
{
	struct duet_listing prior, cur;
	struct duet_deltas d;
	(void)state;
	duet_listing_init(&prior);
	duet_listing_init(&cur);
	add_dir(&prior, "d-gone", 10 * S);
	add_dir(&prior, "d-kept", 10 * S);
	add_dir(&cur, "d-kept", 99 * S);
	add_dir(&cur, "d-new", 10 * S);
	assert_int_equal(duet_deltas_find(&prior, &cur, &cmp_all, 2, &d), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(bits_of(&d, "d-gone"), DUET_D_DELETED);
	assert_int_equal(bits_of(&d, "d-new"), DUET_D_NEW);
	assert_null(duet_deltas_find_path(&d, "d-kept"));
	assert_int_equal(d.n_modified, 0);
	/* An unchanged directory is not an unchanged file. */
	assert_int_equal(d.found_same, 0);
	assert_non_null(strstr(logbuf, "INFO: - Path2    File is new               - d-new\n"));
	duet_deltas_dispose(&d);
	duet_listing_dispose(&prior);
	duet_listing_dispose(&cur);
}

static void
test_empty_and_interleaved(void **state)
{
	struct duet_listing prior, cur;
	struct duet_deltas d;
	static const char *const want[] = {"a", "a/b", "a0", "b", "c"};
	(void)state;
	duet_listing_init(&prior);
	duet_listing_init(&cur);
	assert_int_equal(duet_deltas_find(&prior, &cur, &cmp_all, 1, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.found_same, 0);
	duet_deltas_dispose(&d);
	add(&prior, "a/b", 1, S, NULL);
	add(&prior, "b", 1, S, NULL);
	add(&cur, "a", 1, S, NULL);
	add(&cur, "a0", 1, S, NULL);
	add(&cur, "c", 1, S, NULL);
	assert_int_equal(duet_deltas_find(&prior, &cur, &cmp_all, 1, &d), 0);
	assert_int_equal(d.n, 5);
	for (size_t i = 0; i < d.n; i++)
		assert_string_equal(duet_delta_path(&d.v[i]), want[i]);
	assert_int_equal(d.n_new, 3);
	assert_int_equal(d.n_deleted, 2);
	assert_null(duet_deltas_find_path(&d, "a/"));
	duet_deltas_dispose(&d);
	duet_deltas_dispose(&d); /* idempotent */
	duet_listing_dispose(&prior);
	duet_listing_dispose(&cur);
}

static void
test_stats_lines(void **state)
{
	struct duet_deltas d;
	char l1[DUET_DELTAS_STATS_MAX], l2[DUET_DELTAS_STATS_MAX];
	(void)state;
	memset(&d, 0, sizeof(d));
	d.n_new = 1;
	d.n_deleted = 3;
	assert_int_equal(duet_deltas_stats_lines(&d, 2, l1, l2, sizeof(l1)), 1);
	assert_string_equal(l1, "Path2:    4 changes:    1 new,    0 modified,    3 deleted");
	assert_string_equal(l2, "");
	/* Lines from rclone's golden logs (colours removed). */
	d.n_modified = 3;
	d.n_newer = 3;
	d.n_larger = 3;
	assert_int_equal(duet_deltas_stats_lines(&d, 1, l1, l2, sizeof(l1)), 2);
	assert_string_equal(l1, "Path1:    7 changes:    1 new,    3 modified,    3 deleted");
	assert_string_equal(l2, "(Modified:    3 newer,    0 older,    3 larger,    0 smaller)");
	memset(&d, 0, sizeof(d));
	d.n_modified = 1;
	d.n_hash = 1;
	duet_deltas_stats_lines(&d, 1, l1, l2, sizeof(l1));
	assert_string_equal(l2, "(Modified:    1 hash differs)");
	d.n_smaller = 1;
	duet_deltas_stats_lines(&d, 1, l1, l2, sizeof(l1));
	assert_string_equal(l2, "(Modified:    0 larger,    1 smaller,    1 hash differs)");
	d.n_older = 1;
	d.n_hash = 0;
	duet_deltas_stats_lines(&d, 1, l1, l2, sizeof(l1));
	assert_string_equal(l2, "(Modified:    0 newer,    1 older,    0 larger,    1 smaller)");
	d.n_new = 51;
	d.n_modified = 0;
	logbuf[0] = '\0';
	duet_deltas_log_stats(&d, 1);
	assert_string_equal(logbuf, "INFO: Path1:   51 changes:   51 new,    0 modified,    0 deleted\n");
	d.n_modified = 1;
	logbuf[0] = '\0';
	duet_deltas_log_stats(&d, 1);
	assert_string_equal(logbuf,
	    "INFO: Path1:   52 changes:   51 new,    1 modified,    0 deleted\n"
	    "INFO: (Modified:    0 newer,    1 older,    0 larger,    1 smaller)\n");
}

/* The streamed merge (prior entries fed one by one, each valid only
 * during its call) gives the same deltas as the in-memory one. */
static void
test_stream_matches(void **state)
{
	struct duet_listing prior, cur;
	struct duet_deltas a, b;
	struct duet_deltas_stream s;
	(void)state;
	duet_listing_init(&prior);
	duet_listing_init(&cur);
	add(&prior, "a", 1, 10 * S, H1);
	add(&prior, "b-deleted", 1, 10 * S, NULL);
	add(&prior, "c-same", 3, 10 * S, H1);
	add(&prior, "d/e-newer", 1, 10 * S, NULL);
	add(&prior, "z-deleted", 1, 10 * S, NULL);
	add(&cur, "0-new", 1, 10 * S, NULL);
	add(&cur, "a", 1, 10 * S, H2);
	add(&cur, "c-same", 3, 10 * S, H1);
	add(&cur, "d/e-newer", 1, 12 * S, NULL);
	add(&cur, "d/f-new", 4, 10 * S, NULL);
	add(&cur, "zz-new", 4, 10 * S, NULL);
	duet_listing_sort(&prior);
	duet_listing_sort(&cur);
	assert_int_equal(duet_deltas_find(&prior, &cur, &cmp_all, 1, &a), 0);
	duet_deltas_stream_begin(&s, &cur, &cmp_all, 1, &b);
	for (size_t i = 0; i < prior.n; i++) {
		/* A copy that dies after the call, as a cursor's entry does. */
		struct duet_entry e = prior.v[i];
		char path[64];
		snprintf(path, sizeof(path), "%s", prior.v[i].path);
		e.path = path;
		assert_int_equal(duet_deltas_stream_prior(&s, &e), 0);
		memset(path, 'X', sizeof(path) - 1);
	}
	assert_int_equal(duet_deltas_stream_end(&s), 0);
	assert_int_equal(s.nprior, prior.n);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(duet_delta_path(&a.v[i]), duet_delta_path(&b.v[i]));
		assert_int_equal(a.v[i].bits, b.v[i].bits);
		if (a.v[i].prior != NULL)
			assert_string_equal(a.v[i].prior->path, b.v[i].prior->path);
	}
	assert_int_equal(a.n_new, b.n_new);
	assert_int_equal(a.n_deleted, b.n_deleted);
	assert_int_equal(a.n_modified, b.n_modified);
	assert_int_equal(a.found_same, b.found_same);
	assert_int_equal(b.n_new, 3);
	assert_int_equal(b.n_deleted, 2);
	duet_deltas_dispose(&a);
	duet_deltas_dispose(&b);
	duet_deltas_stream_dispose(&s);
	duet_listing_dispose(&prior);
	duet_listing_dispose(&cur);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_every_kind, setup),
		cmocka_unit_test_setup(test_window, setup),
		cmocka_unit_test_setup(test_zero_and_unknown, setup),
		cmocka_unit_test_setup(test_hash_kinds, setup),
		cmocka_unit_test_setup(test_directories, setup),
		cmocka_unit_test_setup(test_empty_and_interleaved, setup),
		cmocka_unit_test_setup(test_stats_lines, setup),
		cmocka_unit_test_setup(test_stream_matches, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
