/*
 * test_fakefs.c: what the fake backend adds beyond the backend contract
 * (which tests/backends/test_conformance_fake.c checks): direct put/get,
 * failure injection and call counters, precision, fixed clock, the
 * bucket-like mode without DUET_CAP_DIRS, case-insensitivity, hostile
 * names planted with put_raw, and allocation failure on every path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/remote.h"
#include "tests/support/fakefs.h"

#define T0 1600000000123456789LL /* an mtime with every digit used */

static int
setup(void **state)
{
	struct duet_fs *fs = NULL;
	if (duet_fakefs_new("fake:", &fs) != 0)
		return -1;
	*state = fs;
	return 0;
}

static int
teardown(void **state)
{
	duet_fs_close(*state);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names {
	char *v[64];
	size_t n;
};

static int
names_add(void *ctx, const struct duet_entry *e)
{
	struct names *nm = ctx;
	size_t len = strlen(e->path);
	char *s = malloc(len + 3);
	assert_non_null(s);
	assert_true(nm->n < 64);
	assert_int_equal(e->pathlen, len);
	memcpy(s, e->path, len);
	s[len] = '/';
	s[len + 1] = e->type == DUET_T_DIR ? 'D' : 'F';
	s[len + 2] = '\0';
	nm->v[nm->n++] = s;
	return 0;
}

/* dir's children as "path/D path/F ..." sorted; *rc gets list's code. */
static char *
listing(struct duet_fs *fs, const char *dir, int *rc)
{
	static char out[2048];
	struct names nm = {{NULL}, 0};
	size_t i;

	*rc = fs->ops->list(fs, dir, names_add, &nm);
	qsort(nm.v, nm.n, sizeof(nm.v[0]), cmp_str);
	out[0] = '\0';
	for (i = 0; i < nm.n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, nm.v[i]);
		free(nm.v[i]);
	}
	return out;
}

static int
stat_type(struct duet_fs *fs, const char *path)
{
	struct duet_entry e;
	int rc = fs->ops->stat(fs, path, &e);
	return rc != 0 ? rc : e.type;
}

static int
write_file(struct duet_fs *fs, const char *path, const char *data, int64_t mtime)
{
	struct duet_wstream *w = NULL;
	int rc = fs->ops->open_write(fs, path, -1, &w);
	if (rc != 0)
		return rc;
	rc = w->ops->write(w, data, strlen(data));
	if (rc != 0) {
		w->ops->abort(w);
		return rc;
	}
	return w->ops->commit(w, mtime);
}

static void
assert_content(struct duet_fs *fs, const char *path, const char *want)
{
	void *data = NULL;
	size_t len = 0;
	assert_int_equal(duet_fakefs_get(fs, path, &data, &len, NULL), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	duet_free(data);
}

static void
test_defaults_and_caps(void **state)
{
	struct duet_fs *fs = *state;
	assert_int_equal(fs->caps, DUET_FAKEFS_DEFAULT_CAPS);
	assert_int_equal(fs->precision, 1);
	assert_int_equal(fs->hashes, DUET_HASH_BIT(DUET_HASH_MD5));
	assert_string_equal(fs->name, "fake:");
	assert_non_null(fs->canon);
	assert_non_null(fs->ops->move);
	assert_non_null(fs->ops->move_from);
	assert_non_null(fs->ops->copy);
	assert_non_null(fs->ops->set_mtime);
	duet_fakefs_set_caps(fs, DUET_CAP_DIRS);
	assert_int_equal(fs->caps, DUET_CAP_DIRS);
	assert_null(fs->ops->move);
	assert_null(fs->ops->move_from);
	assert_null(fs->ops->copy);
	assert_null(fs->ops->set_mtime);
	/* The shared table is untouched. */
	assert_non_null(duet_fakefs_backend.move);
	duet_fakefs_set_caps(fs, DUET_CAP_COPY | DUET_CAP_DIRS);
	assert_non_null(fs->ops->copy);
	assert_null(fs->ops->move);
}

static void
test_put_get(void **state)
{
	struct duet_fs *fs = *state;
	void *data = (void *)1;
	size_t len;
	int64_t mtime;
	int rc;

	assert_int_equal(duet_fakefs_put(fs, "a/b/c.txt", "hello", 5, T0), 0);
	assert_int_equal(duet_fakefs_get(fs, "a/b/c.txt", &data, &len, &mtime), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "hello", 5);
	assert_int_equal(mtime, T0);
	duet_free(data);
	assert_int_equal(stat_type(fs, "a/b"), DUET_T_DIR);
	assert_string_equal(listing(fs, "a", &rc), "a/b/D");
	/* Replace, zero bytes. */
	assert_int_equal(duet_fakefs_put(fs, "a/b/c.txt", "", 0, T0), 0);
	assert_content(fs, "a/b/c.txt", "");
	assert_int_equal(duet_fakefs_get(fs, "nope", &data, &len, NULL), DUET_E_NOTFOUND);
	assert_null(data);
	assert_int_equal(duet_fakefs_get(fs, "a/b", &data, NULL, NULL), DUET_E_ISDIR);
	assert_int_equal(duet_fakefs_put(fs, "a/b", "x", 1, T0), DUET_E_ISDIR);
	assert_int_equal(duet_fakefs_put(fs, "a/b/c.txt/d", "x", 1, T0), DUET_E_NOTDIR);
	assert_int_equal(duet_fakefs_put(fs, "a/../x", "x", 1, T0), DUET_E_BADNAME);
	assert_int_equal(duet_fakefs_put(fs, "/x", "x", 1, T0), DUET_E_BADNAME);
	assert_int_equal(duet_fakefs_put(fs, "x/", "x", 1, T0), DUET_E_BADNAME);
	assert_string_equal(listing(fs, "", &rc), "a/D");
	/* put and get are not counted. */
	assert_int_equal(duet_fakefs_calls(fs, DUET_FAKEFS_ANY), 2 + 1);
}

static int
list_none(void *ctx, const struct duet_entry *e)
{
	(void)ctx;
	(void)e;
	return 0;
}

/* One call of op that succeeds when nothing is injected. */
static int
do_op(struct duet_fs *fs, enum duet_fakefs_op op)
{
	struct duet_rstream *r = NULL;
	struct duet_entry e;
	struct duet_hashes h;
	int rc;

	switch (op) {
	case DUET_FAKEFS_LIST: return fs->ops->list(fs, "", list_none, NULL);
	case DUET_FAKEFS_STAT: return fs->ops->stat(fs, "f", &e);
	case DUET_FAKEFS_OPEN_READ:
		rc = fs->ops->open_read(fs, "f", 0, &r);
		if (rc == 0)
			r->ops->close(r);
		return rc;
	case DUET_FAKEFS_MKDIR: return fs->ops->mkdir(fs, "d/e");
	case DUET_FAKEFS_RMDIR:
		assert_int_equal(duet_fakefs_put(fs, "r/x", "", 0, T0), 0);
		assert_int_equal(fs->ops->remove(fs, "r/x"), 0);
		return fs->ops->rmdir(fs, "r");
	case DUET_FAKEFS_REMOVE:
		assert_int_equal(duet_fakefs_put(fs, "g", "", 0, T0), 0);
		return fs->ops->remove(fs, "g");
	case DUET_FAKEFS_MOVE:
		assert_int_equal(duet_fakefs_put(fs, "m", "", 0, T0), 0);
		return fs->ops->move(fs, "m", "m2");
	case DUET_FAKEFS_COPY: return fs->ops->copy(fs, "f", "sub/f2");
	case DUET_FAKEFS_SET_MTIME: return fs->ops->set_mtime(fs, "f", T0);
	case DUET_FAKEFS_HASH: return fs->ops->hash(fs, "f", DUET_HASH_MD5, &h);
	case DUET_FAKEFS_MOVE_FROM:
		assert_int_equal(duet_fakefs_put(fs, "m", "", 0, T0), 0);
		return fs->ops->move_from(fs, fs, "m", "m3");
	default: fail_msg("not a plain op: %d", (int)op);
	}
	return -1;
}

static void
test_fail_each_op(void **state)
{
	static const enum duet_fakefs_op ops[] = {
		DUET_FAKEFS_LIST, DUET_FAKEFS_STAT, DUET_FAKEFS_OPEN_READ,
		DUET_FAKEFS_MKDIR, DUET_FAKEFS_RMDIR, DUET_FAKEFS_REMOVE,
		DUET_FAKEFS_MOVE, DUET_FAKEFS_COPY, DUET_FAKEFS_SET_MTIME,
		DUET_FAKEFS_HASH, DUET_FAKEFS_MOVE_FROM,
	};
	struct duet_fs *fs = *state;
	size_t i;
	long before;

	assert_int_equal(duet_fakefs_put(fs, "f", "abc", 3, T0), 0);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		before = duet_fakefs_calls(fs, ops[i]);
		duet_fakefs_fail(fs, ops[i], 2, DUET_E_NET);
		assert_int_equal(do_op(fs, ops[i]), 0);
		assert_int_equal(do_op(fs, ops[i]), DUET_E_NET);
		assert_int_equal(duet_err_code(), DUET_E_NET);
		assert_non_null(strstr(duet_err_msg(), "injected"));
		/* One shot. */
		assert_int_equal(do_op(fs, ops[i]), 0);
		assert_int_equal(duet_fakefs_calls(fs, ops[i]), before + 3);
	}
	/* Disarmed before it fires. */
	duet_fakefs_fail(fs, DUET_FAKEFS_STAT, 1, DUET_E_NET);
	duet_fakefs_fail(fs, DUET_FAKEFS_STAT, 0, 0);
	assert_int_equal(do_op(fs, DUET_FAKEFS_STAT), 0);
}

static void
test_fail_has_no_effect(void **state)
{
	struct duet_fs *fs = *state;
	int rc;

	assert_int_equal(duet_fakefs_put(fs, "f", "abc", 3, T0), 0);
	duet_fakefs_fail(fs, DUET_FAKEFS_REMOVE, 1, DUET_E_PERM);
	assert_int_equal(fs->ops->remove(fs, "f"), DUET_E_PERM);
	duet_fakefs_fail(fs, DUET_FAKEFS_MOVE, 1, DUET_E_PERM);
	assert_int_equal(fs->ops->move(fs, "f", "x/g"), DUET_E_PERM);
	duet_fakefs_fail(fs, DUET_FAKEFS_COPY, 1, DUET_E_PERM);
	assert_int_equal(fs->ops->copy(fs, "f", "x/g"), DUET_E_PERM);
	duet_fakefs_fail(fs, DUET_FAKEFS_MKDIR, 1, DUET_E_PERM);
	assert_int_equal(fs->ops->mkdir(fs, "x"), DUET_E_PERM);
	duet_fakefs_fail(fs, DUET_FAKEFS_SET_MTIME, 1, DUET_E_PERM);
	assert_int_equal(fs->ops->set_mtime(fs, "f", 5), DUET_E_PERM);
	duet_fakefs_fail(fs, DUET_FAKEFS_COMMIT, 1, DUET_E_NOSPC);
	assert_int_equal(write_file(fs, "f", "new", T0), DUET_E_NOSPC);
	assert_int_equal(write_file(fs, "y/z", "new", T0), 0);
	duet_fakefs_fail(fs, DUET_FAKEFS_RMDIR, 1, DUET_E_PERM);
	assert_int_equal(fs->ops->remove(fs, "y/z"), 0);
	assert_int_equal(fs->ops->rmdir(fs, "y"), DUET_E_PERM);
	assert_string_equal(listing(fs, "", &rc), "f/F y/D");
	assert_content(fs, "f", "abc");
}

static void
test_fail_any_and_counters(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_entry e;
	struct duet_hashes h;

	assert_int_equal(duet_fakefs_put(fs, "f", "abc", 3, T0), 0);
	duet_fakefs_fail(fs, DUET_FAKEFS_ANY, 3, DUET_E_TEMP);
	assert_int_equal(fs->ops->stat(fs, "f", &e), 0);
	assert_int_equal(fs->ops->list(fs, "", list_none, NULL), 0);
	assert_int_equal(fs->ops->hash(fs, "f", DUET_HASH_MD5, &h), DUET_E_TEMP);
	assert_int_equal(fs->ops->hash(fs, "f", DUET_HASH_MD5, &h), 0);
	assert_int_equal(duet_fakefs_calls(fs, DUET_FAKEFS_STAT), 1);
	assert_int_equal(duet_fakefs_calls(fs, DUET_FAKEFS_LIST), 1);
	assert_int_equal(duet_fakefs_calls(fs, DUET_FAKEFS_HASH), 2);
	assert_int_equal(duet_fakefs_calls(fs, DUET_FAKEFS_REMOVE), 0);
	assert_int_equal(duet_fakefs_calls(fs, DUET_FAKEFS_ANY), 4);
	/* An own arming and ANY at once: either fires. */
	duet_fakefs_fail(fs, DUET_FAKEFS_STAT, 2, DUET_E_IO);
	duet_fakefs_fail(fs, DUET_FAKEFS_ANY, 1, DUET_E_TEMP);
	assert_int_equal(fs->ops->stat(fs, "f", &e), DUET_E_TEMP);
	assert_int_equal(fs->ops->stat(fs, "f", &e), DUET_E_IO);
	assert_int_equal(fs->ops->stat(fs, "f", &e), 0);
}

static void
test_stream_failures(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_wstream *w = NULL;
	struct duet_rstream *r = NULL;
	char buf[8];
	int rc;

	/* open_write */
	duet_fakefs_fail(fs, DUET_FAKEFS_OPEN_WRITE, 1, DUET_E_AUTH);
	assert_int_equal(fs->ops->open_write(fs, "w", -1, &w), DUET_E_AUTH);
	assert_null(w);
	/* write: the second one fails, later writes and commit fail too. */
	assert_int_equal(fs->ops->open_write(fs, "w", -1, &w), 0);
	duet_fakefs_fail(fs, DUET_FAKEFS_WRITE, 2, DUET_E_NET);
	assert_int_equal(w->ops->write(w, "ab", 2), 0);
	assert_int_equal(w->ops->write(w, "cd", 2), DUET_E_NET);
	assert_int_equal(w->ops->write(w, "ef", 2), DUET_E_NET);
	assert_int_equal(w->ops->commit(w, T0), DUET_E_NET);
	assert_int_equal(stat_type(fs, "w"), DUET_E_NOTFOUND);
	/* read: the second one fails. */
	assert_int_equal(duet_fakefs_put(fs, "r", "0123456789", 10, T0), 0);
	assert_int_equal(fs->ops->open_read(fs, "r", 0, &r), 0);
	duet_fakefs_fail(fs, DUET_FAKEFS_READ, 2, DUET_E_NET);
	assert_int_equal(r->ops->read(r, buf, 4), 4);
	assert_int_equal(r->ops->read(r, buf, 4), DUET_E_NET);
	assert_int_equal(r->ops->read(r, buf, 4), 4);
	assert_memory_equal(buf, "4567", 4);
	r->ops->close(r);
	/* open_read */
	duet_fakefs_fail(fs, DUET_FAKEFS_OPEN_READ, 1, DUET_E_NET);
	r = (struct duet_rstream *)buf;
	assert_int_equal(fs->ops->open_read(fs, "r", 0, &r), DUET_E_NET);
	assert_null(r);
	assert_string_equal(listing(fs, "", &rc), "r/F");
}

static void
test_size_announced(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_wstream *w = NULL;

	assert_int_equal(fs->ops->open_write(fs, "s", 5, &w), 0);
	assert_int_equal(w->ops->write(w, "abc", 3), 0);
	assert_int_equal(w->ops->commit(w, T0), DUET_E_IO);
	assert_int_equal(stat_type(fs, "s"), DUET_E_NOTFOUND);
	assert_int_equal(fs->ops->open_write(fs, "s", 3, &w), 0);
	assert_int_equal(w->ops->write(w, "abc", 3), 0);
	assert_int_equal(w->ops->commit(w, T0), 0);
	assert_content(fs, "s", "abc");
}

static void
test_precision_and_clock(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_entry e;
	int64_t mtime;
	void *data;

	duet_fakefs_set_precision(fs, 1000000000);
	assert_int_equal(fs->precision, 1000000000);
	assert_int_equal(duet_fakefs_put(fs, "p", "x", 1, T0), 0);
	assert_int_equal(duet_fakefs_get(fs, "p", &data, NULL, &mtime), 0);
	duet_free(data);
	assert_int_equal(mtime, 1600000000000000000LL);
	assert_int_equal(write_file(fs, "q", "x", T0 + 999999999), 0);
	assert_int_equal(fs->ops->stat(fs, "q", &e), 0);
	assert_int_equal(e.mtime, 1600000001000000000LL);
	/* Before the epoch: truncated downwards, as a floor. */
	assert_int_equal(fs->ops->set_mtime(fs, "q", -1), 0);
	assert_int_equal(fs->ops->stat(fs, "q", &e), 0);
	assert_int_equal(e.mtime, -1000000000LL);
	/* mtime 0 at commit takes "now", also truncated. */
	duet_fakefs_set_now(fs, T0 + 5000000000LL);
	assert_int_equal(write_file(fs, "n", "x", 0), 0);
	assert_int_equal(fs->ops->stat(fs, "n", &e), 0);
	assert_int_equal(e.mtime, 1600000005000000000LL);
	assert_int_equal(fs->ops->mkdir(fs, "dir"), 0);
	assert_int_equal(fs->ops->stat(fs, "dir", &e), 0);
	assert_int_equal(e.mtime, 1600000005000000000LL);
	/* The real clock: something after 2020. */
	duet_fakefs_set_now(fs, 0);
	assert_int_equal(write_file(fs, "n", "x", 0), 0);
	assert_int_equal(fs->ops->stat(fs, "n", &e), 0);
	assert_true(e.mtime > 1577836800000000000LL);
	assert_int_equal(e.mtime % 1000000000, 0);
}

static void
test_bucket_mode(void **state)
{
	struct duet_fs *fs = *state;
	int rc;

	duet_fakefs_set_caps(fs, DUET_CAP_COPY);
	assert_int_equal(fs->ops->mkdir(fs, "d"), 0);
	assert_int_equal(stat_type(fs, "d"), DUET_E_NOTFOUND);
	listing(fs, "d", &rc);
	assert_int_equal(rc, DUET_E_NOTFOUND);
	assert_string_equal(listing(fs, "", &rc), "");
	assert_int_equal(rc, 0);
	assert_int_equal(write_file(fs, "d/e/x", "x", T0), 0);
	assert_int_equal(stat_type(fs, "d"), DUET_T_DIR);
	assert_string_equal(listing(fs, "d", &rc), "d/e/D");
	assert_int_equal(fs->ops->rmdir(fs, "d"), DUET_E_NOTEMPTY);
	assert_int_equal(fs->ops->mkdir(fs, "d/e/x/y"), DUET_E_NOTDIR);
	assert_int_equal(fs->ops->remove(fs, "d/e/x"), 0);
	/* The last file gone, its directories are gone too. */
	assert_int_equal(stat_type(fs, "d"), DUET_E_NOTFOUND);
	assert_string_equal(listing(fs, "", &rc), "");
	assert_int_equal(fs->ops->rmdir(fs, "d"), 0);
}

static void
test_case_insensitive(void **state)
{
	struct duet_fs *fs = *state;
	int rc;

	assert_int_equal(write_file(fs, "Dir/A.txt", "1", T0), 0);
	assert_int_equal(write_file(fs, "dir/a.txt", "2", T0), 0);
	assert_string_equal(listing(fs, "", &rc), "Dir/D dir/D");
	duet_fs_close(fs);
	assert_int_equal(duet_fakefs_new("ci:", &fs), 0);
	*state = fs;
	duet_fakefs_set_caps(fs, DUET_FAKEFS_DEFAULT_CAPS | DUET_CAP_CASEINS);
	assert_int_equal(write_file(fs, "Dir/A.txt", "1", T0), 0);
	assert_int_equal(write_file(fs, "dir/a.TXT", "2", T0), 0);
	assert_string_equal(listing(fs, "", &rc), "Dir/D");
	assert_string_equal(listing(fs, "DIR", &rc), "DIR/A.txt/F");
	assert_content(fs, "dIR/a.txt", "2");
	/* A case-only rename keeps one file under the new spelling. */
	assert_int_equal(fs->ops->move(fs, "Dir/A.txt", "Dir/a.txt"), 0);
	assert_string_equal(listing(fs, "Dir", &rc), "Dir/a.txt/F");
	assert_content(fs, "Dir/a.txt", "2");
}

static int log_errors;

static void
count_sink(enum duet_log_level level, const char *object, const char *msg, void *ctx)
{
	(void)object;
	(void)msg;
	(void)ctx;
	if (level == DUET_LOG_ERROR)
		log_errors++;
}

static void
test_hostile_names_skipped(void **state)
{
	struct duet_fs *fs = *state;
	int rc;

	duet_log_set_sink(count_sink, NULL);
	log_errors = 0;
	assert_int_equal(duet_fakefs_put(fs, "d/ok", "x", 1, T0), 0);
	assert_int_equal(duet_fakefs_put_raw(fs, "d/..", "x", 1, T0), 0);
	assert_int_equal(duet_fakefs_put_raw(fs, "d//x", "x", 1, T0), 0);
	assert_string_equal(listing(fs, "d", &rc), "d/ok/F");
	assert_int_equal(rc, DUET_E_BADNAME);
	assert_int_equal(duet_err_code(), DUET_E_BADNAME);
	assert_int_equal(log_errors, 2);
	duet_log_set_sink(NULL, NULL);
}

static int
list_reenter(void *ctx, const struct duet_entry *e)
{
	struct duet_fs *fs = ctx;
	struct duet_entry st;
	/* Would deadlock if list held the lock while calling back. */
	assert_int_equal(fs->ops->stat(fs, e->path, &st), 0);
	assert_int_equal(st.type, e->type);
	return fs->ops->remove(fs, e->path) == 0 ? 0 : DUET_E_IO;
}

static void
test_list_callback_reenters(void **state)
{
	struct duet_fs *fs = *state;
	int rc;

	assert_int_equal(duet_fakefs_put(fs, "a", "1", 1, T0), 0);
	assert_int_equal(duet_fakefs_put(fs, "b", "2", 1, T0), 0);
	assert_int_equal(fs->ops->list(fs, "", list_reenter, fs), 0);
	assert_string_equal(listing(fs, "", &rc), "");
}

static void
test_move_copy_details(void **state)
{
	struct duet_fs *fs = *state, *other = NULL;
	struct duet_entry e;
	int rc;

	assert_int_equal(duet_fakefs_put(fs, "f", "abc", 3, T0), 0);
	assert_int_equal(fs->ops->mkdir(fs, "d"), 0);
	assert_int_equal(fs->ops->move(fs, "d", "e"), DUET_E_ISDIR);
	assert_int_equal(fs->ops->copy(fs, "d", "e"), DUET_E_ISDIR);
	assert_int_equal(fs->ops->copy(fs, "f", "d"), DUET_E_ISDIR);
	assert_int_equal(fs->ops->move(fs, "f", "f/x"), DUET_E_NOTDIR);
	assert_int_equal(fs->ops->move(fs, "f", "../x"), DUET_E_BADNAME);
	/* copy keeps the mtime and does not share the bytes. */
	assert_int_equal(fs->ops->copy(fs, "f", "c/f"), 0);
	assert_int_equal(fs->ops->stat(fs, "c/f", &e), 0);
	assert_int_equal(e.mtime, T0);
	assert_int_equal(duet_fakefs_put(fs, "f", "xyz", 3, T0), 0);
	assert_content(fs, "c/f", "abc");
	/* move_from joins only the same fs. */
	assert_int_equal(duet_fakefs_new("other:", &other), 0);
	assert_int_equal(duet_fakefs_put(other, "o", "1", 1, T0), 0);
	assert_int_equal(fs->ops->move_from(fs, other, "o", "o"), DUET_E_XDEV);
	assert_content(other, "o", "1");
	assert_int_equal(fs->ops->move_from(fs, fs, "c/f", "m/f"), 0);
	assert_string_equal(listing(fs, "", &rc), "c/D d/D f/F m/D");
	assert_content(fs, "m/f", "abc");
	duet_fs_close(other);
}

static void
test_hash_kinds(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_hashes got, want;
	struct duet_hasher *h = NULL;
	int k;

	assert_int_equal(duet_fakefs_put(fs, "f", "abc", 3, T0), 0);
	assert_int_equal(fs->ops->hash(fs, "f", DUET_HASH_SHA1, &got), DUET_E_UNSUPPORTED);
	duet_fakefs_set_hashes(fs, DUET_HASH_ALL);
	assert_int_equal(duet_hasher_new(DUET_HASH_ALL, &h), 0);
	duet_hasher_update(h, "abc", 3);
	duet_hasher_final(h, &want);
	duet_hasher_free(h);
	for (k = 0; k < DUET_HASH_COUNT; k++) {
		assert_int_equal(fs->ops->hash(fs, "f", k, &got), 0);
		assert_int_equal(got.mask, DUET_HASH_BIT(k));
		assert_true(duet_hash_equal(&got, &want, k));
	}
	assert_int_equal(fs->ops->mkdir(fs, "d"), 0);
	assert_int_equal(fs->ops->hash(fs, "d", DUET_HASH_MD5, &got), DUET_E_ISDIR);
	assert_int_equal(fs->ops->hash(fs, "x", DUET_HASH_MD5, &got), DUET_E_NOTFOUND);
}

static void
test_open_through_table(void **state)
{
	struct duet_remote r;
	struct duet_fs *fs = NULL;
	(void)state;
	memset(&r, 0, sizeof(r));
	r.spec = (char *)":fake:";
	assert_int_equal(duet_fakefs_backend.open(&r, NULL, &fs), 0);
	assert_string_equal(fs->name, ":fake:");
	assert_ptr_equal(fs->ops->close, duet_fakefs_backend.close);
	assert_int_equal(duet_fakefs_put(fs, "x", "1", 1, T0), 0);
	duet_fs_close(fs);
	duet_fs_close(NULL);
}

/* One full round of every allocating path; returns the first failure. */
static int
alloc_round(struct duet_fs *fs)
{
	struct duet_rstream *r = NULL;
	struct duet_hashes h;
	char buf[8];
	int rc;

	if ((rc = write_file(fs, "a/b/c", "abc", T0)) != 0 ||
	    (rc = fs->ops->copy(fs, "a/b/c", "x/y")) != 0 ||
	    (rc = fs->ops->move(fs, "x/y", "z/y")) != 0 ||
	    (rc = fs->ops->mkdir(fs, "m/n")) != 0 ||
	    (rc = fs->ops->list(fs, "a", list_none, NULL)) != 0 ||
	    (rc = fs->ops->hash(fs, "a/b/c", DUET_HASH_MD5, &h)) != 0 ||
	    (rc = fs->ops->open_read(fs, "a/b/c", 1, &r)) != 0)
		return rc;
	rc = r->ops->read(r, buf, sizeof(buf)) == 2 ? 0 : DUET_E_IO;
	r->ops->close(r);
	return rc;
}

static void
test_alloc_failures(void **state)
{
	struct duet_fs *fs;
	long n, before;
	int rc, done = 0;
	(void)state;

	for (n = 1; !done; n++) {
		fs = NULL;
		assert_int_equal(duet_fakefs_new("alloc:", &fs), 0);
		before = duet_alloc_count();
		duet_alloc_fail_at(n);
		rc = alloc_round(fs);
		duet_alloc_fail_at(0);
		done = duet_alloc_count() - before < n;
		if (done)
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, DUET_E_NOMEM);
		duet_fs_close(fs);
	}
	assert_true(n > 10);
	/* duet_fakefs_new itself. */
	for (n = 1; n <= 4; n++) {
		fs = (struct duet_fs *)1;
		duet_alloc_fail_at(n);
		rc = duet_fakefs_new("alloc:", &fs);
		duet_alloc_fail_at(0);
		assert_int_equal(rc, DUET_E_NOMEM);
		assert_null(fs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_each_op, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_has_no_effect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_any_and_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_announced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precision_and_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_insensitive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_names_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_callback_reenters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_copy_details, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_kinds, setup, teardown),
		cmocka_unit_test(test_open_through_table),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
