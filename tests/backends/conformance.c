/*
 * conformance.c: the backend conformance suite of conformance.h. Every
 * test gets a fresh, empty fs from the target, acts only through the ops
 * table (never through a backend's own helpers), and checks one contract
 * of core/backend.h. Tests of optional operations skip themselves when the
 * fs's capability bit is clear. Helpers assert as they go, so a failing
 * contract is reported at the line that checks it.
 */
#include "conformance.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/filter.h"
#include "core/hash.h"
#include "core/walk.h"

#define T1 1600000000123456789LL /* mtimes with every digit used */
#define T2 1500000000987654321LL
#define BIG (5 * 1024 * 1024 + 3)
#define READ_CHUNK 7919 /* a prime, so reads straddle every boundary */
#define NTHREADS 4
#define NPERTHREAD 20

static const struct duet_conf_target *conf_t;

static int
conf_setup(void **state)
{
	struct duet_fs *fs = NULL;
	if (conf_t->open(conf_t->ctx, &fs) != 0) {
		print_error("%s: open failed: %s\n", conf_t->name, duet_err_msg());
		return -1;
	}
	*state = fs;
	return 0;
}

static int
conf_teardown(void **state)
{
	duet_fs_close(*state);
	if (conf_t->cleanup != NULL)
		conf_t->cleanup(conf_t->ctx);
	return 0;
}

static void
conf_pattern(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 131 + i / 251 + seed);
}

/* The call failed with `want` (or any code when want is 0), and the
 * thread's error names the failure and `needle`. */
static void
conf_err(int rc, int want, const char *needle)
{
	if (want != 0)
		assert_int_equal(rc, want);
	assert_true(rc < 0);
	assert_int_equal(duet_err_code(), rc);
	if (strstr(duet_err_msg(), needle) == NULL)
		fail_msg("message \"%s\" does not name \"%s\"", duet_err_msg(), needle);
}

static void
conf_mtime_ok(const struct duet_fs *fs, int64_t got, int64_t want)
{
	int64_t d = got > want ? got - want : want - got;
	if (d >= fs->precision && !(fs->precision <= 1 && d == 0))
		fail_msg("mtime %lld, want %lld within %lld ns", (long long)got,
		    (long long)want, (long long)fs->precision);
}

/* Writes data to path, commits. chunked: in writes of varying odd sizes,
 * else in one write. */
static void
conf_write_chunked(struct duet_fs *fs, const char *path, const void *data, size_t len,
    int64_t mtime, int chunked)
{
	static const size_t sizes[] = {4093, 1, 65521, 7, 100003, 333};
	const unsigned char *p = data;
	struct duet_wstream *w = NULL;
	size_t off = 0, n, i = 0;

	assert_int_equal(fs->ops->open_write(fs, path, (int64_t)len, &w), 0);
	assert_non_null(w);
	while (off < len) {
		n = chunked ? sizes[i++ % (sizeof(sizes) / sizeof(sizes[0]))] : len;
		if (n > len - off)
			n = len - off;
		assert_int_equal(w->ops->write(w, p + off, n), 0);
		off += n;
	}
	assert_int_equal(w->ops->commit(w, mtime), 0);
}

static void
conf_write(struct duet_fs *fs, const char *path, const char *s, int64_t mtime)
{
	conf_write_chunked(fs, path, s, strlen(s), mtime, 0);
}

/* Reads path from offset to the end; the caller frees the result. */
static unsigned char *
conf_read(struct duet_fs *fs, const char *path, int64_t offset, size_t *len)
{
	struct duet_rstream *r = NULL;
	unsigned char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	*len = 0;
	assert_int_equal(fs->ops->open_read(fs, path, offset, &r), 0);
	assert_non_null(r);
	for (;;) {
		if (cap - *len < READ_CHUNK) {
			cap = cap * 2 + READ_CHUNK;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = r->ops->read(r, buf + *len, READ_CHUNK);
		assert_true(n >= 0);
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	/* At the end, reads keep returning 0. */
	assert_int_equal(r->ops->read(r, buf, READ_CHUNK), 0);
	if (r->size != -1)
		assert_int_equal(r->size, (int64_t)*len + offset);
	r->ops->close(r);
	return buf;
}

static void
conf_expect(struct duet_fs *fs, const char *path, const void *want, size_t wantlen)
{
	size_t len;
	unsigned char *got = conf_read(fs, path, 0, &len);
	assert_int_equal(len, wantlen);
	if (len > 0)
		assert_memory_equal(got, want, len);
	free(got);
}

static void
conf_expect_str(struct duet_fs *fs, const char *path, const char *want)
{
	conf_expect(fs, path, want, strlen(want));
}

static int
conf_stat_type(struct duet_fs *fs, const char *path)
{
	struct duet_entry e;
	int rc;
	memset(&e, 0, sizeof(e));
	rc = fs->ops->stat(fs, path, &e);
	return rc != 0 ? rc : e.type;
}

/* --- listings --- */

struct conf_ent {
	char *path;
	int64_t size, mtime;
	int type;
	struct duet_hashes h; /* h.mask 0 when the entry had none */
};

struct conf_list {
	const char *dir;
	struct conf_ent *v;
	size_t n;
	int stop_after; /* > 0: return DUET_E_CANCELLED at that entry */
};

static int
conf_collect(void *ctx, const struct duet_entry *e)
{
	struct conf_list *l = ctx;
	struct conf_ent *x;
	size_t dl = strlen(l->dir);
	const char *name = dl == 0 ? e->path : e->path + dl + 1;

	/* dir + "/" + name, a direct child. */
	assert_int_equal(e->pathlen, strlen(e->path));
	if (dl > 0) {
		assert_memory_equal(e->path, l->dir, dl);
		assert_int_equal(e->path[dl], '/');
	}
	assert_true(name[0] != '\0');
	assert_null(strchr(name, '/'));
	assert_true(e->type == DUET_T_FILE || e->type == DUET_T_DIR);
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	assert_non_null(l->v);
	x = &l->v[l->n++];
	memset(x, 0, sizeof(*x));
	x->path = strdup(e->path);
	assert_non_null(x->path);
	x->size = e->size;
	x->mtime = e->mtime;
	x->type = e->type;
	if (e->hashes != NULL)
		x->h = *e->hashes;
	if (l->stop_after > 0 && (int)l->n == l->stop_after)
		return DUET_E_CANCELLED;
	return 0;
}

static void
conf_list_free(struct conf_list *l)
{
	size_t i;
	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
conf_list(struct duet_fs *fs, const char *dir, struct conf_list *l)
{
	memset(l, 0, sizeof(*l));
	l->dir = dir;
	return fs->ops->list(fs, dir, conf_collect, l);
}

static const struct conf_ent *
conf_find(const struct conf_list *l, const char *path)
{
	size_t i;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return &l->v[i];
	return NULL;
}

/* Files anywhere below dir. */
static size_t
conf_count_files(struct duet_fs *fs, const char *dir)
{
	struct conf_list l;
	size_t i, n = 0;

	assert_int_equal(conf_list(fs, dir, &l), 0);
	for (i = 0; i < l.n; i++)
		n += l.v[i].type == DUET_T_FILE ? 1 : conf_count_files(fs, l.v[i].path);
	conf_list_free(&l);
	return n;
}

/* --- the tests --- */

static void
t_fields(void **state)
{
	struct duet_fs *fs = *state;
	const struct duet_backend *o = fs->ops;

	assert_non_null(fs->name);
	assert_true(fs->precision >= 1);
	assert_int_equal(fs->hashes & ~DUET_HASH_ALL, 0);
	assert_non_null(o->close);
	assert_non_null(o->list);
	assert_non_null(o->stat);
	assert_non_null(o->open_read);
	assert_non_null(o->open_write);
	assert_non_null(o->mkdir);
	assert_non_null(o->rmdir);
	assert_non_null(o->remove);
	assert_int_equal((fs->caps & DUET_CAP_MOVE) != 0, o->move != NULL);
	assert_int_equal((fs->caps & DUET_CAP_COPY) != 0, o->copy != NULL);
	assert_int_equal((fs->caps & DUET_CAP_SETMTIME) != 0, o->set_mtime != NULL);
	if (fs->hashes != 0)
		assert_non_null(o->hash);
}

static void
t_list_empty(void **state)
{
	struct duet_fs *fs = *state;
	struct conf_list l;
	assert_int_equal(conf_list(fs, "", &l), 0);
	assert_int_equal(l.n, 0);
	if (fs->caps & DUET_CAP_DIRS) {
		assert_int_equal(fs->ops->mkdir(fs, "empty"), 0);
		assert_int_equal(conf_list(fs, "empty", &l), 0);
		assert_int_equal(l.n, 0);
	}
}

static void
t_list_errors(void **state)
{
	struct duet_fs *fs = *state;
	struct conf_list l;
	conf_err(conf_list(fs, "nope", &l), DUET_E_NOTFOUND, "nope");
	conf_err(conf_list(fs, "nope/deeper", &l), DUET_E_NOTFOUND, "nope/deeper");
	conf_write(fs, "file", "x", T1);
	conf_err(conf_list(fs, "file", &l), DUET_E_NOTDIR, "file");
	conf_list_free(&l);
}

static void
t_list_children(void **state)
{
	struct duet_fs *fs = *state;
	const struct conf_ent *x;
	struct conf_list l;

	conf_write(fs, "a.txt", "abc", T1);
	conf_write(fs, "sub/b.txt", "hello", T2);
	conf_write(fs, "sub/deeper/c.txt", "c", T1);
	if (fs->caps & DUET_CAP_DIRS)
		assert_int_equal(fs->ops->mkdir(fs, "emptydir"), 0);

	assert_int_equal(conf_list(fs, "", &l), 0);
	assert_int_equal(l.n, (fs->caps & DUET_CAP_DIRS) ? 3 : 2);
	assert_non_null(x = conf_find(&l, "a.txt"));
	assert_int_equal(x->type, DUET_T_FILE);
	assert_int_equal(x->size, 3);
	conf_mtime_ok(fs, x->mtime, T1);
	assert_non_null(x = conf_find(&l, "sub"));
	assert_int_equal(x->type, DUET_T_DIR);
	assert_int_equal(x->size, -1);
	if (fs->caps & DUET_CAP_DIRS) {
		assert_non_null(x = conf_find(&l, "emptydir"));
		assert_int_equal(x->type, DUET_T_DIR);
	}
	conf_list_free(&l);

	assert_int_equal(conf_list(fs, "sub", &l), 0);
	assert_int_equal(l.n, 2);
	assert_non_null(x = conf_find(&l, "sub/b.txt"));
	assert_int_equal(x->type, DUET_T_FILE);
	assert_int_equal(x->size, 5);
	conf_mtime_ok(fs, x->mtime, T2);
	if (x->h.mask != 0) {
		/* Hashes a listing carries are the content's. */
		struct duet_hasher *h = NULL;
		struct duet_hashes want;
		int k;
		assert_int_equal(duet_hasher_new(x->h.mask, &h), 0);
		duet_hasher_update(h, "hello", 5);
		duet_hasher_final(h, &want);
		duet_hasher_free(h);
		for (k = 0; k < DUET_HASH_COUNT; k++)
			if (x->h.mask & DUET_HASH_BIT(k))
				assert_true(duet_hash_equal(&x->h, &want, k));
	}
	assert_non_null(x = conf_find(&l, "sub/deeper"));
	assert_int_equal(x->type, DUET_T_DIR);
	conf_list_free(&l);
}

/* Walks dir with the recursive listing (fast = 1) or without (-1). */
static void
conf_walk(struct duet_fs *fs, const char *dir, const struct duet_filter *f, int fast,
    struct duet_listing *out)
{
	struct duet_walk_opts o;

	memset(&o, 0, sizeof(o));
	o.filter = f;
	o.checkers = 4;
	o.dirs = 1;
	o.max_depth = -1;
	o.fast_list = fast;
	duet_listing_init(out);
	assert_int_equal(duet_walk(fs, dir, &o, out), 0);
	assert_int_equal(out->errors, 0);
}

static void
conf_same_listing(const struct duet_listing *a, const struct duet_listing *b)
{
	for (size_t i = 0; i < a->n || i < b->n; i++) {
		const struct duet_entry *x = i < a->n ? &a->v[i] : NULL, *y = i < b->n ? &b->v[i] : NULL;
		if (x == NULL || y == NULL || strcmp(x->path, y->path) != 0 || x->type != y->type)
			fail_msg("entry %zu: walked \"%s\", listed recursively \"%s\"", i,
			    x ? x->path : "(none)", y ? y->path : "(none)");
		if (x->type != DUET_T_FILE)
			continue;
		assert_int_equal(x->size, y->size);
		assert_int_equal(x->mtime, y->mtime);
		assert_int_equal(x->hashes != NULL, y->hashes != NULL);
		if (x->hashes != NULL)
			assert_memory_equal(x->hashes, y->hashes, sizeof(*x->hashes));
	}
}

/* A backend's recursive listing (list_r, fewer requests) gives what the
 * walk directory by directory gives: every file with its size, mtime and
 * hashes, every directory once (implied by names or made by mkdir), from
 * the root and from a subdirectory, and with a filter that excludes a
 * directory. Names that sort between a directory and its children ('!'
 * before '/') and a name stored encoded are in the tree. */
static void
t_list_recursive(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_listing a, b;
	struct duet_filter *f = NULL;
	static const char *const files[] = {
	    "top.txt", "d/x.txt", "d!x.txt", "d/e/deep.txt", "d/e/f/deeper.txt", "d/e!/y",
	    "sp ace/ü+%.txt", "sp ace/sub/t.txt", "z/1", "z/2", "w\\back/q",
	};

	if (fs->ops->list_r == NULL)
		skip(); /* local, SFTP, the fake: no recursive listing to compare */
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		conf_write(fs, files[i], files[i], T1 + (int64_t)i * 1000000000);
	assert_int_equal(fs->ops->mkdir(fs, "d/empty"), 0);
	conf_walk(fs, "", NULL, -1, &a);
	conf_walk(fs, "", NULL, 1, &b);
	assert_true(a.n >= sizeof(files) / sizeof(files[0]) + 6);
	conf_same_listing(&a, &b);
	duet_listing_dispose(&a);
	duet_listing_dispose(&b);
	conf_walk(fs, "d", NULL, -1, &a);
	conf_walk(fs, "d", NULL, 1, &b);
	conf_same_listing(&a, &b);
	duet_listing_dispose(&a);
	duet_listing_dispose(&b);
	assert_int_equal(duet_filter_new(&f), 0);
	assert_int_equal(duet_filter_add(f, DUET_FILTER_EXCLUDE, "e/", NULL), 0);
	assert_int_equal(duet_filter_add(f, DUET_FILTER_EXCLUDE, "*.txt", NULL), 0);
	conf_walk(fs, "", f, -1, &a);
	conf_walk(fs, "", f, 1, &b);
	conf_same_listing(&a, &b);
	for (size_t i = 0; i < b.n; i++)
		if (strstr(b.v[i].path, "deep") != NULL || strstr(b.v[i].path, ".txt") != NULL)
			fail_msg("%s passed the filter", b.v[i].path);
	duet_listing_dispose(&a);
	duet_listing_dispose(&b);
	duet_filter_free(f);
}

static void
t_list_stop(void **state)
{
	struct duet_fs *fs = *state;
	struct conf_list l;

	conf_write(fs, "a", "1", T1);
	conf_write(fs, "b", "2", T1);
	conf_write(fs, "c", "3", T1);
	memset(&l, 0, sizeof(l));
	l.dir = "";
	l.stop_after = 1;
	assert_int_equal(fs->ops->list(fs, "", conf_collect, &l), DUET_E_CANCELLED);
	assert_int_equal(l.n, 1);
	conf_list_free(&l);
}

static void
t_stat(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_entry e;

	conf_write(fs, "f", "abc", T1);
	conf_write(fs, "d/inner", "x", T1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(fs->ops->stat(fs, "f", &e), 0);
	assert_int_equal(e.type, DUET_T_FILE);
	assert_int_equal(e.size, 3);
	conf_mtime_ok(fs, e.mtime, T1);
	assert_int_equal(fs->ops->stat(fs, "d", &e), 0);
	assert_int_equal(e.type, DUET_T_DIR);
	assert_int_equal(e.size, -1);
	assert_int_equal(conf_stat_type(fs, ""), DUET_T_DIR);
	conf_err(fs->ops->stat(fs, "missing", &e), DUET_E_NOTFOUND, "missing");
	conf_err(fs->ops->stat(fs, "d/missing", &e), DUET_E_NOTFOUND, "d/missing");
	/* Through a file: NOTFOUND or NOTDIR. */
	conf_err(fs->ops->stat(fs, "f/x", &e), 0, "f/x");
}

static void
t_write_small(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_wstream *w = NULL;

	conf_write(fs, "small", "hello, world\n", T1);
	conf_expect_str(fs, "small", "hello, world\n");
	/* Unknown size announced. */
	assert_int_equal(fs->ops->open_write(fs, "unsized", -1, &w), 0);
	assert_int_equal(w->ops->write(w, "ab", 2), 0);
	assert_int_equal(w->ops->write(w, "c", 1), 0);
	assert_int_equal(w->ops->commit(w, T1), 0);
	conf_expect_str(fs, "unsized", "abc");
}

static void
t_write_empty(void **state)
{
	struct duet_fs *fs = *state;
	struct conf_list l;

	conf_write(fs, "empty", "", T1);
	conf_expect_str(fs, "empty", "");
	assert_int_equal(conf_list(fs, "", &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].type, DUET_T_FILE);
	assert_int_equal(l.v[0].size, 0);
	conf_list_free(&l);
}

static void
t_write_big(void **state)
{
	struct duet_fs *fs = *state;
	unsigned char *data = malloc(BIG), *got;
	struct duet_entry e;
	size_t len;

	assert_non_null(data);
	conf_pattern(data, BIG, 7);
	conf_write_chunked(fs, "dir/big.bin", data, BIG, T1, 1);
	assert_int_equal(fs->ops->stat(fs, "dir/big.bin", &e), 0);
	assert_int_equal(e.size, BIG);
	got = conf_read(fs, "dir/big.bin", 0, &len);
	assert_int_equal(len, BIG);
	assert_memory_equal(got, data, BIG);
	free(got);
	free(data);
}

static void
t_invisible_until_commit(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_wstream *w = NULL;
	struct duet_entry e;
	struct conf_list l;

	assert_int_equal(fs->ops->open_write(fs, "f", 5, &w), 0);
	assert_int_equal(w->ops->write(w, "hello", 5), 0);
	conf_err(fs->ops->stat(fs, "f", &e), DUET_E_NOTFOUND, "f");
	assert_int_equal(conf_list(fs, "", &l), 0);
	assert_null(conf_find(&l, "f"));
	conf_list_free(&l);
	assert_int_equal(w->ops->commit(w, T1), 0);
	conf_expect_str(fs, "f", "hello");

	assert_int_equal(fs->ops->open_write(fs, "s/g", 2, &w), 0);
	assert_int_equal(w->ops->write(w, "hi", 2), 0);
	conf_err(fs->ops->stat(fs, "s/g", &e), DUET_E_NOTFOUND, "s/g");
	assert_int_equal(w->ops->commit(w, T1), 0);
	conf_expect_str(fs, "s/g", "hi");
}

static void
t_abort(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_wstream *w = NULL;
	struct duet_entry e;

	assert_int_equal(fs->ops->open_write(fs, "x", -1, &w), 0);
	assert_int_equal(w->ops->write(w, "data", 4), 0);
	w->ops->abort(w);
	assert_int_equal(fs->ops->open_write(fs, "deep/er/x", -1, &w), 0);
	assert_int_equal(w->ops->write(w, "data", 4), 0);
	w->ops->abort(w);
	assert_int_equal(fs->ops->open_write(fs, "y", 0, &w), 0);
	w->ops->abort(w);
	/* No file under any name, temporary ones included. */
	assert_int_equal(conf_count_files(fs, ""), 0);
	conf_err(fs->ops->stat(fs, "x", &e), DUET_E_NOTFOUND, "x");
	/* An aborted replacement keeps the old content. */
	conf_write(fs, "keep", "old", T1);
	assert_int_equal(fs->ops->open_write(fs, "keep", 3, &w), 0);
	assert_int_equal(w->ops->write(w, "new", 3), 0);
	w->ops->abort(w);
	conf_expect_str(fs, "keep", "old");
	assert_int_equal(conf_count_files(fs, ""), 1);
}

static void
t_commit_replaces(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_wstream *w = NULL;
	struct conf_list l;

	conf_write(fs, "f", "old content", T1);
	assert_int_equal(fs->ops->open_write(fs, "f", 4, &w), 0);
	assert_int_equal(w->ops->write(w, "new!", 4), 0);
	conf_expect_str(fs, "f", "old content");
	assert_int_equal(w->ops->commit(w, T2), 0);
	conf_expect_str(fs, "f", "new!");
	assert_int_equal(conf_list(fs, "", &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].path, "f");
	assert_int_equal(l.v[0].size, 4);
	conf_mtime_ok(fs, l.v[0].mtime, T2);
	conf_list_free(&l);
}

static void
t_commit_mtime(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_entry e;

	conf_write(fs, "t1", "x", T1);
	conf_write(fs, "t2", "x", T2);
	assert_int_equal(fs->ops->stat(fs, "t1", &e), 0);
	conf_mtime_ok(fs, e.mtime, T1);
	assert_int_equal(fs->ops->stat(fs, "t2", &e), 0);
	conf_mtime_ok(fs, e.mtime, T2);
	/* mtime 0 leaves the backend's own time, which is known. */
	conf_write(fs, "t0", "x", 0);
	assert_int_equal(fs->ops->stat(fs, "t0", &e), 0);
	assert_true(e.mtime > 0);
}

static void
t_write_onto_dir_or_under_file(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_wstream *w = NULL;
	int rc;

	/* An object store can hold "d" and "d/inner" side by side, as
	 * rclone's backends allow: only real directories refuse. */
	if (!(fs->caps & DUET_CAP_DIRS))
		skip();
	conf_write(fs, "d/inner", "x", T1);
	rc = fs->ops->open_write(fs, "d", 1, &w);
	if (rc == 0) {
		assert_int_equal(w->ops->write(w, "x", 1), 0);
		rc = w->ops->commit(w, T1);
	}
	conf_err(rc, 0, "d");
	assert_int_equal(conf_stat_type(fs, "d"), DUET_T_DIR);
	conf_expect_str(fs, "d/inner", "x");

	conf_write(fs, "file", "abc", T1);
	w = NULL;
	rc = fs->ops->open_write(fs, "file/x", 1, &w);
	if (rc == 0) {
		assert_int_equal(w->ops->write(w, "x", 1), 0);
		rc = w->ops->commit(w, T1);
	}
	conf_err(rc, 0, "file");
	conf_expect_str(fs, "file", "abc");
}

static void
t_mkdir(void **state)
{
	struct duet_fs *fs = *state;
	struct conf_list l;

	assert_int_equal(fs->ops->mkdir(fs, "p/q/r"), 0);
	assert_int_equal(fs->ops->mkdir(fs, "p/q/r"), 0);
	assert_int_equal(fs->ops->mkdir(fs, ""), 0);
	if (!(fs->caps & DUET_CAP_DIRS))
		return;
	assert_int_equal(fs->ops->mkdir(fs, "p"), 0);
	assert_int_equal(conf_stat_type(fs, "p"), DUET_T_DIR);
	assert_int_equal(conf_stat_type(fs, "p/q"), DUET_T_DIR);
	assert_int_equal(conf_stat_type(fs, "p/q/r"), DUET_T_DIR);
	assert_int_equal(conf_list(fs, "p", &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].path, "p/q");
	conf_list_free(&l);
	conf_write(fs, "f", "abc", T1);
	conf_err(fs->ops->mkdir(fs, "f"), 0, "f");
	conf_err(fs->ops->mkdir(fs, "f/g"), 0, "f");
	conf_expect_str(fs, "f", "abc");
}

static void
t_rmdir(void **state)
{
	struct duet_fs *fs = *state;

	if (fs->caps & DUET_CAP_DIRS) {
		assert_int_equal(fs->ops->mkdir(fs, "e"), 0);
		assert_int_equal(fs->ops->rmdir(fs, "e"), 0);
		assert_int_equal(conf_stat_type(fs, "e"), DUET_E_NOTFOUND);
		conf_err(fs->ops->rmdir(fs, "missing"), DUET_E_NOTFOUND, "missing");
	}
	conf_write(fs, "n/f", "x", T1);
	conf_err(fs->ops->rmdir(fs, "n"), DUET_E_NOTEMPTY, "n");
	conf_expect_str(fs, "n/f", "x");
	conf_err(fs->ops->rmdir(fs, "n/f"), 0, "n/f");
	conf_expect_str(fs, "n/f", "x");
	assert_int_equal(fs->ops->remove(fs, "n/f"), 0);
	assert_int_equal(fs->ops->rmdir(fs, "n"), 0);
	assert_int_equal(conf_stat_type(fs, "n"), DUET_E_NOTFOUND);
}

static void
t_remove(void **state)
{
	struct duet_fs *fs = *state;

	conf_write(fs, "a", "x", T1);
	conf_write(fs, "d/b", "y", T1);
	assert_int_equal(fs->ops->remove(fs, "a"), 0);
	assert_int_equal(conf_stat_type(fs, "a"), DUET_E_NOTFOUND);
	conf_err(fs->ops->remove(fs, "a"), DUET_E_NOTFOUND, "a");
	conf_err(fs->ops->remove(fs, "d"), 0, "d");
	conf_expect_str(fs, "d/b", "y");
	assert_int_equal(fs->ops->remove(fs, "d/b"), 0);
	assert_int_equal(conf_count_files(fs, ""), 0);
}

static void
t_move(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_entry e;
	struct conf_list l;

	if (!(fs->caps & DUET_CAP_MOVE))
		skip();
	conf_write(fs, "a", "aaa", T1);
	conf_write(fs, "c", "ccc", T2);
	assert_int_equal(fs->ops->move(fs, "a", "b"), 0);
	assert_int_equal(conf_stat_type(fs, "a"), DUET_E_NOTFOUND);
	conf_expect_str(fs, "b", "aaa");
	assert_int_equal(fs->ops->stat(fs, "b", &e), 0);
	conf_mtime_ok(fs, e.mtime, T1);
	/* Onto an existing file: replaced. */
	assert_int_equal(fs->ops->move(fs, "b", "c"), 0);
	conf_expect_str(fs, "c", "aaa");
	assert_int_equal(conf_list(fs, "", &l), 0);
	assert_int_equal(l.n, 1);
	conf_list_free(&l);
	/* Into directories that do not exist yet. */
	assert_int_equal(fs->ops->move(fs, "c", "x/y/z"), 0);
	conf_expect_str(fs, "x/y/z", "aaa");
	assert_int_equal(conf_count_files(fs, ""), 1);
	conf_err(fs->ops->move(fs, "missing", "q"), DUET_E_NOTFOUND, "missing");
}

static void
t_copy(void **state)
{
	struct duet_fs *fs = *state;

	if (!(fs->caps & DUET_CAP_COPY))
		skip();
	conf_write(fs, "a", "aaa", T1);
	conf_write(fs, "c", "ccc", T2);
	assert_int_equal(fs->ops->copy(fs, "a", "b"), 0);
	conf_expect_str(fs, "a", "aaa");
	conf_expect_str(fs, "b", "aaa");
	assert_int_equal(fs->ops->copy(fs, "a", "c"), 0);
	conf_expect_str(fs, "c", "aaa");
	assert_int_equal(fs->ops->copy(fs, "a", "x/y/z"), 0);
	conf_expect_str(fs, "x/y/z", "aaa");
	/* The copy is independent of its source. */
	conf_write(fs, "a", "changed", T1);
	conf_expect_str(fs, "b", "aaa");
	assert_int_equal(conf_count_files(fs, ""), 4);
	conf_err(fs->ops->copy(fs, "missing", "q"), DUET_E_NOTFOUND, "missing");
}

static void
t_set_mtime(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_entry e;
	struct conf_list l;

	if (!(fs->caps & DUET_CAP_SETMTIME))
		skip();
	conf_write(fs, "f", "abc", T1);
	assert_int_equal(fs->ops->set_mtime(fs, "f", T2), 0);
	assert_int_equal(fs->ops->stat(fs, "f", &e), 0);
	conf_mtime_ok(fs, e.mtime, T2);
	assert_int_equal(conf_list(fs, "", &l), 0);
	assert_int_equal(l.n, 1);
	conf_mtime_ok(fs, l.v[0].mtime, T2);
	conf_list_free(&l);
	conf_expect_str(fs, "f", "abc");
	conf_err(fs->ops->set_mtime(fs, "missing", T2), DUET_E_NOTFOUND, "missing");
}

static void
conf_check_hash(struct duet_fs *fs, const char *path, const void *data, size_t len)
{
	struct duet_hasher *h = NULL;
	struct duet_hashes want, got;
	int k;

	assert_int_equal(duet_hasher_new(fs->hashes, &h), 0);
	duet_hasher_update(h, data, len);
	duet_hasher_final(h, &want);
	duet_hasher_free(h);
	for (k = 0; k < DUET_HASH_COUNT; k++) {
		if (!(fs->hashes & DUET_HASH_BIT(k)))
			continue;
		memset(&got, 0, sizeof(got));
		assert_int_equal(fs->ops->hash(fs, path, k, &got), 0);
		if (!duet_hash_equal(&got, &want, k))
			fail_msg("%s of %s differs from core/hash", duet_hash_name(k), path);
	}
}

static void
t_hash(void **state)
{
	struct duet_fs *fs = *state;
	unsigned char data[100000];
	struct duet_hashes got;

	if (fs->hashes == 0)
		skip();
	conf_pattern(data, sizeof(data), 3);
	conf_write_chunked(fs, "h", data, sizeof(data), T1, 0);
	conf_write(fs, "e", "", T1);
	conf_check_hash(fs, "h", data, sizeof(data));
	conf_check_hash(fs, "e", "", 0);
	/* After a replacement, the new content's. */
	conf_write(fs, "h", "abc", T1);
	conf_check_hash(fs, "h", "abc", 3);
	conf_err(fs->ops->hash(fs, "missing", duet_hash_first(fs->hashes), &got),
	    DUET_E_NOTFOUND, "missing");
}

static void
t_read_offset(void **state)
{
	static const int64_t offs[] = {0, 1, 37, 99, 100};
	struct duet_fs *fs = *state;
	unsigned char data[100], *got;
	size_t i, len;

	conf_pattern(data, sizeof(data), 11);
	conf_write_chunked(fs, "r", data, sizeof(data), T1, 0);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		got = conf_read(fs, "r", offs[i], &len);
		assert_int_equal(len, 100 - offs[i]);
		if (len > 0)
			assert_memory_equal(got, data + offs[i], len);
		free(got);
	}
	conf_err(fs->ops->open_read(fs, "missing", 0, &(struct duet_rstream *){NULL}),
	    DUET_E_NOTFOUND, "missing");
}

static const char *const conf_names[] = {
	"with space.txt", " leading space", "trailing space ", "ünïcødé 日本.txt",
	"e\xcc\x81 (e + combining acute)", "new\nline", "q?&=#%+;.txt",
	"back\\slash", "100%", "quote'\"", "-dash", ".hidden", "tab\there",
};
#define CONF_NNAMES (sizeof(conf_names) / sizeof(conf_names[0]))

static void
t_names(void **state)
{
	struct duet_fs *fs = *state;
	char path[256];
	struct conf_list l;
	size_t i;

	for (i = 0; i < CONF_NNAMES; i++) {
		conf_write(fs, conf_names[i], conf_names[i], T1);
		snprintf(path, sizeof(path), "dir with space/%s", conf_names[i]);
		conf_write(fs, path, conf_names[i], T1);
	}
	assert_int_equal(conf_list(fs, "", &l), 0);
	assert_int_equal(l.n, CONF_NNAMES + 1);
	for (i = 0; i < CONF_NNAMES; i++) {
		if (conf_find(&l, conf_names[i]) == NULL)
			fail_msg("name \"%s\" missing from the listing", conf_names[i]);
		assert_int_equal(conf_stat_type(fs, conf_names[i]), DUET_T_FILE);
		conf_expect_str(fs, conf_names[i], conf_names[i]);
	}
	conf_list_free(&l);
	assert_int_equal(conf_list(fs, "dir with space", &l), 0);
	assert_int_equal(l.n, CONF_NNAMES);
	for (i = 0; i < CONF_NNAMES; i++) {
		snprintf(path, sizeof(path), "dir with space/%s", conf_names[i]);
		assert_non_null(conf_find(&l, path));
		conf_expect_str(fs, path, conf_names[i]);
	}
	conf_list_free(&l);
}

static void
t_deep(void **state)
{
	static const char *const levels[] = {"a", "a/b", "a/b/c", "a/b/c/d", "a/b/c/d/e"};
	struct duet_fs *fs = *state;
	struct conf_list l;
	size_t i;

	conf_write(fs, "a/b/c/d/e/f.txt", "deep", T1);
	assert_int_equal(conf_list(fs, "", &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].path, "a");
	conf_list_free(&l);
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		assert_int_equal(conf_stat_type(fs, levels[i]), DUET_T_DIR);
		assert_int_equal(conf_list(fs, levels[i], &l), 0);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.v[0].type, i + 1 < 5 ? DUET_T_DIR : DUET_T_FILE);
		conf_list_free(&l);
	}
	conf_expect_str(fs, "a/b/c/d/e/f.txt", "deep");
}

static void
t_case(void **state)
{
	struct duet_fs *fs = *state;

	conf_write(fs, "Case.txt", "1", T1);
	if (fs->caps & DUET_CAP_CASEINS) {
		assert_int_equal(conf_stat_type(fs, "CASE.TXT"), DUET_T_FILE);
		return;
	}
	conf_err(fs->ops->stat(fs, "case.txt", &(struct duet_entry){0}), DUET_E_NOTFOUND,
	    "case.txt");
	conf_write(fs, "case.txt", "22", T1);
	conf_expect_str(fs, "Case.txt", "1");
	conf_expect_str(fs, "case.txt", "22");
	assert_int_equal(conf_count_files(fs, ""), 2);
}

struct conf_thr {
	struct duet_fs *fs;
	int id;
	int errors; /* contract violations seen by this thread */
};

static int
conf_thr_ignore(void *ctx, const struct duet_entry *e)
{
	(void)ctx;
	(void)e;
	return 0;
}

/* One file written, stat'ed, read back; 0 or 1 (a violation). */
static int
conf_thr_one(struct duet_fs *fs, const char *path)
{
	struct duet_wstream *w = NULL;
	struct duet_rstream *r = NULL;
	struct duet_entry e;
	size_t len = strlen(path);
	char buf[64];
	ssize_t n;

	if (fs->ops->open_write(fs, path, -1, &w) != 0)
		return 1;
	if (w->ops->write(w, path, len) != 0) {
		w->ops->abort(w);
		return 1;
	}
	if (w->ops->commit(w, T1) != 0 || fs->ops->stat(fs, path, &e) != 0 ||
	    e.size != (int64_t)len || fs->ops->open_read(fs, path, 0, &r) != 0)
		return 1;
	n = r->ops->read(r, buf, sizeof(buf));
	r->ops->close(r);
	return n != (ssize_t)len || memcmp(buf, path, len) != 0;
}

/* No cmocka asserts off the main thread: violations are counted. */
static void *
conf_thread(void *arg)
{
	struct conf_thr *t = arg;
	char path[64];
	int j;

	for (j = 0; j < NPERTHREAD; j++) {
		snprintf(path, sizeof(path), "shared/t%d-%02d", t->id, j);
		t->errors += conf_thr_one(t->fs, path);
		if (t->fs->ops->list(t->fs, "shared", conf_thr_ignore, NULL) != 0)
			t->errors++;
	}
	return NULL;
}

static void
t_threads(void **state)
{
	struct duet_fs *fs = *state;
	struct conf_thr thr[NTHREADS];
	pthread_t tid[NTHREADS];
	struct conf_list l;
	int i;

	conf_write(fs, "shared/seed", "", T1);
	for (i = 0; i < NTHREADS; i++) {
		thr[i] = (struct conf_thr){fs, i, 0};
		assert_int_equal(pthread_create(&tid[i], NULL, conf_thread, &thr[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(thr[i].errors, 0);
	}
	assert_int_equal(conf_list(fs, "shared", &l), 0);
	assert_int_equal(l.n, NTHREADS * NPERTHREAD + 1);
	conf_list_free(&l);
}

static void
t_local_fds(void **state)
{
	struct duet_fs *fs = *state;
	struct duet_rstream *r = NULL;
	struct duet_wstream *w = NULL;

	if (!(fs->caps & DUET_CAP_LOCAL))
		skip();
	conf_write(fs, "f", "abc", T1);
	assert_int_equal(fs->ops->open_read(fs, "f", 0, &r), 0);
	assert_true(r->fd >= 0);
	r->ops->close(r);
	assert_int_equal(fs->ops->open_write(fs, "g", -1, &w), 0);
	assert_true(w->fd >= 0);
	w->ops->abort(w);
}

#define CONF_TEST(f) cmocka_unit_test_setup_teardown(f, conf_setup, conf_teardown)

int
duet_conformance_run(const struct duet_conf_target *t)
{
	const struct CMUnitTest tests[] = {
		CONF_TEST(t_fields),
		CONF_TEST(t_list_empty),
		CONF_TEST(t_list_errors),
		CONF_TEST(t_list_children),
		CONF_TEST(t_list_stop),
		CONF_TEST(t_list_recursive),
		CONF_TEST(t_stat),
		CONF_TEST(t_write_small),
		CONF_TEST(t_write_empty),
		CONF_TEST(t_write_big),
		CONF_TEST(t_invisible_until_commit),
		CONF_TEST(t_abort),
		CONF_TEST(t_commit_replaces),
		CONF_TEST(t_commit_mtime),
		CONF_TEST(t_write_onto_dir_or_under_file),
		CONF_TEST(t_mkdir),
		CONF_TEST(t_rmdir),
		CONF_TEST(t_remove),
		CONF_TEST(t_move),
		CONF_TEST(t_copy),
		CONF_TEST(t_set_mtime),
		CONF_TEST(t_hash),
		CONF_TEST(t_read_offset),
		CONF_TEST(t_names),
		CONF_TEST(t_deep),
		CONF_TEST(t_case),
		CONF_TEST(t_threads),
		CONF_TEST(t_local_fds),
	};
	conf_t = t;
	print_message("backend conformance: %s\n", t->name);
	return cmocka_run_group_tests_name(t->name, tests, NULL, NULL);
}
