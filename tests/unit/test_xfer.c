/*
 * test_xfer.c: the one-way engine on the fake backend: planning, the
 * per-item callback, failures injected into the Nth call of an operation
 * (errors counted, deletes withheld), low-level retries, max-delete,
 * backups, verification against listed hashes, and the explicit lists
 * bisync will use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/walk.h"
#include "core/xfer.h"
#include "tests/support/fakefs.h"

#define S 1000000000LL

struct fx {
	struct duet_fs *src, *dst;
	struct duet_listing sl, dl;
	struct duet_xfer_opts o;
	struct duet_stats st;
	int items[16];      /* count per enum duet_xfer_op */
	int failed_items;
};

static void
on_item(void *ctx, const struct duet_xfer_item *it)
{
	struct fx *f = ctx;
	f->items[it->op]++;
	if (it->err)
		f->failed_items++;
}

static int
setup(void **state)
{
	struct fx *f = duet_calloc(1, sizeof(*f));
	assert_int_equal(duet_fakefs_new("src", &f->src), 0);
	assert_int_equal(duet_fakefs_new("dst", &f->dst), 0);
	duet_xfer_opts_init(&f->o);
	f->o.on_item = on_item;
	f->o.ctx = f;
	f->o.transfers = 3;
	duet_stats_init(&f->st);
	duet_listing_init(&f->sl);
	duet_listing_init(&f->dl);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	duet_listing_dispose(&f->sl);
	duet_listing_dispose(&f->dl);
	duet_fs_close(f->src);
	duet_fs_close(f->dst);
	duet_free(f);
	return 0;
}

static void
put(struct duet_fs *fs, const char *path, const char *data, int64_t mtime)
{
	assert_int_equal(duet_fakefs_put(fs, path, data, strlen(data), mtime), 0);
}

static int
content_is(struct duet_fs *fs, const char *path, const char *want)
{
	void *d;
	size_t n;
	int ok;
	if (duet_fakefs_get(fs, path, &d, &n, NULL) != 0)
		return 0;
	ok = n == strlen(want) && memcmp(d, want, n) == 0;
	duet_free(d);
	return ok;
}

/* Lists both sides and runs the engine. */
static int
run(struct fx *f, enum duet_xfer_mode mode)
{
	struct duet_walk_opts w = {NULL, 2, 1, -1, 0, 0};
	duet_listing_dispose(&f->sl);
	duet_listing_dispose(&f->dl);
	assert_int_equal(duet_walk(f->src, "", &w, &f->sl), 0);
	assert_int_equal(duet_walk(f->dst, "", &w, &f->dl), 0);
	memset(f->items, 0, sizeof(f->items));
	f->failed_items = 0;
	f->o.mode = mode;
	duet_stats_init(&f->st);
	return duet_xfer_run(f->src, &f->sl, f->dst, &f->dl, &f->o, &f->st);
}

static void
test_sync_basic(void **state)
{
	struct fx *f = *state;
	put(f->src, "a", "one", 10 * S);
	put(f->src, "d/b", "two", 20 * S);
	put(f->src, "d/e/c", "three", 30 * S);
	put(f->dst, "a", "one", 10 * S);       /* equal */
	put(f->dst, "d/b", "TWO!", 20 * S);    /* differs in size */
	put(f->dst, "stale", "x", 5 * S);      /* only on dst */
	assert_int_equal(run(f, DUET_XFER_SYNC), 0);
	assert_true(content_is(f->dst, "d/b", "two"));
	assert_true(content_is(f->dst, "d/e/c", "three"));
	assert_false(content_is(f->dst, "stale", "x"));
	assert_int_equal(f->items[DUET_OP_COPY], 2);
	assert_int_equal(f->items[DUET_OP_DELETE], 1);
	assert_int_equal(f->items[DUET_OP_EQUAL], 1);
	assert_int_equal(atomic_load(&f->st.transfers), 2);
	assert_int_equal(atomic_load(&f->st.deletes), 1);
	/* A second run finds nothing to do. */
	assert_int_equal(run(f, DUET_XFER_SYNC), 0);
	assert_int_equal(f->items[DUET_OP_COPY], 0);
	assert_int_equal(f->items[DUET_OP_EQUAL], 3);
}

static void
test_failure_withholds_deletes(void **state)
{
	struct fx *f = *state;
	put(f->src, "a", "1", S);
	put(f->src, "b", "2", S);
	put(f->dst, "stale", "x", S);
	f->o.low_level_retries = 1;
	duet_fakefs_fail(f->dst, DUET_FAKEFS_OPEN_WRITE, 2, DUET_E_PERM);
	assert_int_equal(run(f, DUET_XFER_SYNC), DUET_E_PERM);
	assert_int_equal(atomic_load(&f->st.errors), 1);
	assert_int_equal(f->failed_items, 1);
	assert_int_equal(f->items[DUET_OP_COPY], 2); /* one ok, one failed */
	assert_true(content_is(f->dst, "stale", "x")); /* not deleted */
	assert_int_equal(f->items[DUET_OP_DELETE], 0);
}

static void
test_listing_error_withholds_deletes(void **state)
{
	struct fx *f = *state;
	put(f->src, "a", "1", S);
	put(f->src, "sub/x", "2", S);
	put(f->dst, "stale", "x", S);
	/* The second list call (the source's "sub") fails. */
	duet_fakefs_fail(f->src, DUET_FAKEFS_LIST, 2, DUET_E_IO);
	assert_int_not_equal(run(f, DUET_XFER_SYNC), 0);
	assert_int_equal(f->sl.errors, 1);
	assert_true(content_is(f->dst, "a", "1"));
	assert_true(content_is(f->dst, "stale", "x"));
}

static void
test_low_level_retry(void **state)
{
	struct fx *f = *state;
	put(f->src, "a", "retry me", S);
	f->o.low_level_retries = 3;
	duet_fakefs_fail(f->src, DUET_FAKEFS_READ, 1, DUET_E_NET);
	assert_int_equal(run(f, DUET_XFER_COPY), 0);
	assert_true(content_is(f->dst, "a", "retry me"));
	assert_int_equal(atomic_load(&f->st.errors), 0);
	assert_int_equal(atomic_load(&f->st.bytes), 8);
	/* Without retries the same failure is an error. */
	put(f->src, "b", "again", S);
	f->o.low_level_retries = 1;
	duet_fakefs_fail(f->src, DUET_FAKEFS_READ, 1, DUET_E_NET);
	assert_int_equal(run(f, DUET_XFER_COPY), DUET_E_NET);
}

static void
test_max_delete(void **state)
{
	struct fx *f = *state;
	put(f->src, "keep", "k", S);
	put(f->dst, "keep", "k", S);
	put(f->dst, "x1", "1", S);
	put(f->dst, "x2", "2", S);
	put(f->dst, "x3", "3", S);
	f->o.max_delete = 2;
	f->o.checkers = 1;
	assert_int_not_equal(run(f, DUET_XFER_SYNC), 0);
	assert_true(atomic_load(&f->st.fatal));
	assert_int_equal(atomic_load(&f->st.deletes), 2);
}

/* Says yes slowly, so that every worker has taken its job (and passed the
 * check for a fatal error) before the first one spends the budget. */
static int
slow_yes(void *ctx, const char *action, const char *path)
{
	struct timespec ts = { 0, 2000000 };
	(void)ctx, (void)action, (void)path;
	nanosleep(&ts, NULL);
	return 1;
}

/* Many workers racing for the --max-delete budget: once it is spent no
 * worker may take the exhausted counter for "unlimited". */
static void
test_max_delete_parallel(void **state)
{
	struct fx *f = *state;
	char name[32];

	put(f->src, "keep", "k", S);
	put(f->dst, "keep", "k", S);
	for (int i = 0; i < 400; i++) {
		snprintf(name, sizeof(name), "x%03d", i);
		put(f->dst, name, "x", S);
	}
	f->o.max_delete = 2;
	f->o.checkers = 8;
	f->o.transfers = 8;
	f->o.confirm = slow_yes;
	assert_int_not_equal(run(f, DUET_XFER_SYNC), 0);
	assert_int_equal(atomic_load(&f->st.deletes), 2);
}

/* A destination with remove_batch (S3's DeleteObjects) gets its deletes
 * in batches of at most 1000; max-delete, dry-run and the per-path
 * outcome stay as with single removes. */
static void
test_batched_deletes(void **state)
{
	struct fx *f = *state;
	char name[32];

	duet_fakefs_set_batch(f->dst, 1000);
	put(f->src, "keep", "k", S);
	put(f->dst, "keep", "k", S);
	for (int i = 0; i < 2500; i++) {
		snprintf(name, sizeof(name), "d%d/x%04d", i % 7, i);
		put(f->dst, name, "x", S);
	}
	f->o.checkers = 4;
	f->o.dry_run = 1;
	assert_int_equal(run(f, DUET_XFER_SYNC), 0);
	assert_int_equal(duet_fakefs_calls(f->dst, DUET_FAKEFS_REMOVE_BATCH), 0);
	assert_true(content_is(f->dst, "d0/x0000", "x"));
	f->o.dry_run = 0;
	/* The 7th single remove inside a batch fails once: tried again alone. */
	duet_fakefs_fail(f->dst, DUET_FAKEFS_REMOVE, 7, DUET_E_TEMP);
	assert_int_equal(run(f, DUET_XFER_SYNC), 0);
	assert_int_equal(atomic_load(&f->st.deletes), 2500);
	assert_int_equal(f->items[DUET_OP_DELETE], 2500);
	assert_int_equal(duet_fakefs_calls(f->dst, DUET_FAKEFS_REMOVE_BATCH), 3);
	assert_int_equal(duet_fakefs_batch_max(f->dst), 1000);
	assert_int_equal(duet_fakefs_calls(f->dst, DUET_FAKEFS_REMOVE), 2501);
	assert_false(content_is(f->dst, "d6/x2499", "x"));
	assert_true(content_is(f->dst, "keep", "k"));
}

/* A batch that fails whole fails each of its paths, nothing is lost. */
static void
test_batched_deletes_fail(void **state)
{
	struct fx *f = *state;

	duet_fakefs_set_batch(f->dst, 1000);
	put(f->dst, "a", "1", S);
	put(f->dst, "b", "2", S);
	put(f->src, "c", "3", S);
	duet_fakefs_fail(f->dst, DUET_FAKEFS_REMOVE_BATCH, 1, DUET_E_NET);
	assert_int_equal(run(f, DUET_XFER_SYNC), DUET_E_NET);
	assert_int_equal(atomic_load(&f->st.errors), 2);
	assert_true(content_is(f->dst, "a", "1"));
	assert_true(content_is(f->dst, "b", "2"));
	/* --max-delete still counts each path. */
	f->o.max_delete = 1;
	f->o.checkers = 1;
	assert_int_not_equal(run(f, DUET_XFER_SYNC), 0);
	assert_int_equal(atomic_load(&f->st.deletes), 1);
}

/* Write streams are told the mtime before the first byte, and a
 * destination that wants the MD5 of large writes up front (S3 multipart)
 * gets it from the source. */
static void
test_hint_md5_first(void **state)
{
	struct fx *f = *state;
	struct duet_hashes want, got;
	struct duet_hasher *h;

	f->dst->md5_first = 8;
	put(f->src, "big", "0123456789", 10 * S);
	assert_int_equal(run(f, DUET_XFER_COPY), 0);
	assert_int_equal(duet_fakefs_last_hint(f->dst, &got), 10 * S);
	assert_int_equal(duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &h), 0);
	duet_hasher_update(h, "0123456789", 10);
	duet_hasher_final(h, &want);
	duet_hasher_free(h);
	assert_true(got.mask & DUET_HASH_BIT(DUET_HASH_MD5));
	assert_true(duet_hash_equal(&want, &got, DUET_HASH_MD5));
	/* Below the size: the mtime only, no extra read of the source. */
	put(f->src, "small", "0123", 20 * S);
	assert_int_equal(run(f, DUET_XFER_COPY), 0);
	assert_int_equal(duet_fakefs_last_hint(f->dst, &got), 20 * S);
	assert_false(got.mask & DUET_HASH_BIT(DUET_HASH_MD5));
}

static void
test_backup_and_move(void **state)
{
	struct fx *f = *state;
	struct duet_fs *bak;
	assert_int_equal(duet_fakefs_new("bak", &bak), 0);
	put(f->src, "a", "new", 2 * S);
	put(f->dst, "a", "old!", S);
	put(f->dst, "gone", "g", S);
	f->o.backup_fs = bak;
	assert_int_equal(run(f, DUET_XFER_SYNC), 0);
	assert_true(content_is(f->dst, "a", "new"));
	assert_true(content_is(bak, "a", "old!"));
	assert_true(content_is(bak, "gone", "g"));
	assert_int_equal(f->items[DUET_OP_BACKUP], 2);
	f->o.backup_fs = NULL;
	/* move: source files go once copied (or found equal). */
	put(f->src, "m", "moved", S);
	assert_int_equal(run(f, DUET_XFER_MOVE), 0);
	assert_true(content_is(f->dst, "m", "moved"));
	assert_false(content_is(f->src, "m", "moved"));
	assert_false(content_is(f->src, "a", "new"));
	duet_fs_close(bak);
}

static void
test_verify_listed_hash(void **state)
{
	struct fx *f = *state;
	struct duet_hashes wrong;
	const struct duet_entry *e;
	put(f->src, "a", "content", S);
	struct duet_walk_opts w = {NULL, 1, 0, -1, 0, 0};
	assert_int_equal(duet_walk(f->src, "", &w, &f->sl), 0);
	memset(&wrong, 0, sizeof(wrong));
	assert_int_equal(duet_hash_from_hex(&wrong, DUET_HASH_MD5,
	    "00000000000000000000000000000000"), 0);
	e = &f->sl.v[0];
	/* The source listed a hash the bytes do not have: corruption. */
	f->sl.v[0].hashes = &wrong;
	f->o.low_level_retries = 1;
	assert_int_equal(duet_xfer_copy_list(f->src, &e, NULL, 1, f->dst, &f->o, &f->st),
	    DUET_E_HASH);
	assert_false(content_is(f->dst, "a", "content"));
	/* --ignore-checksum skips the verification. */
	f->o.ignore_checksum = 1;
	assert_int_equal(duet_xfer_copy_list(f->src, &e, NULL, 1, f->dst, &f->o, &f->st), 0);
	assert_true(content_is(f->dst, "a", "content"));
	f->sl.v[0].hashes = NULL;
}

static void
test_copy_and_delete_lists(void **state)
{
	struct fx *f = *state;
	const struct duet_entry *files[2];
	const char *names[2] = {"renamed", NULL};
	struct duet_walk_opts w = {NULL, 1, 0, -1, 0, 0};
	put(f->src, "a", "A", S);
	put(f->src, "b", "B", S);
	assert_int_equal(duet_walk(f->src, "", &w, &f->sl), 0);
	files[0] = &f->sl.v[0];
	files[1] = &f->sl.v[1];
	assert_int_equal(duet_xfer_copy_list(f->src, files, names, 2, f->dst, &f->o, &f->st), 0);
	assert_true(content_is(f->dst, "renamed", "A"));
	assert_true(content_is(f->dst, "b", "B"));
	assert_int_equal(f->items[DUET_OP_COPY], 2);
	assert_int_equal(duet_xfer_delete_list(f->src, files, 2, &f->o, &f->st), 0);
	assert_false(content_is(f->src, "a", "A"));
	assert_int_equal(f->items[DUET_OP_DELETE], 2);
}

static void
test_dry_run(void **state)
{
	struct fx *f = *state;
	put(f->src, "a", "1", S);
	put(f->dst, "z", "2", S);
	f->o.dry_run = 1;
	assert_int_equal(run(f, DUET_XFER_SYNC), 0);
	assert_false(content_is(f->dst, "a", "1"));
	assert_true(content_is(f->dst, "z", "2"));
	assert_int_equal(duet_fakefs_calls(f->dst, DUET_FAKEFS_OPEN_WRITE), 0);
	assert_int_equal(duet_fakefs_calls(f->dst, DUET_FAKEFS_REMOVE), 0);
}

static void
test_alloc_failures(void **state)
{
	struct fx *f = *state;
	put(f->src, "a", "1", S);
	put(f->src, "d/b", "2", S);
	put(f->dst, "z", "3", S);
	/* Every allocation of a run, failed in turn: an error or success,
	 * never a crash or a leak (ASan checks the latter). */
	for (long n = 1; n < 400; n++) {
		struct duet_walk_opts w = {NULL, 2, 1, -1, 0, 0};
		struct duet_listing sl, dl;
		int rc;
		duet_listing_init(&sl);
		duet_listing_init(&dl);
		duet_alloc_fail_at(n);
		rc = duet_walk(f->src, "", &w, &sl);
		if (rc == 0)
			rc = duet_walk(f->dst, "", &w, &dl);
		if (rc == 0)
			rc = duet_xfer_run(f->src, &sl, f->dst, &dl, &f->o, &f->st);
		duet_alloc_fail_at(0);
		duet_listing_dispose(&sl);
		duet_listing_dispose(&dl);
		(void)rc;
	}
	assert_int_equal(run(f, DUET_XFER_SYNC), 0);
	assert_true(content_is(f->dst, "d/b", "2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_withholds_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listing_error_withholds_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_low_level_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_delete_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batched_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batched_deletes_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hint_md5_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_listed_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_and_delete_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
