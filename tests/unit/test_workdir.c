/*
 * test_workdir.c: the LMDB workdir against real environments in mkdtemp
 * directories: open/create, newer format, damaged files, unwritable dirs,
 * session names, pairs, listings (round trip, only changed keys written,
 * map growth), runs, journal, and the lock (races between threads and
 * between processes, dead holders, expiry).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/listing.h"
#include "core/log.h"
#include "workdir/workdir.h"
#include "workdir/workdir_int.h"

#define ROUNDS 200

static char *
mktmp(void)
{
	char *d = strdup("/tmp/duet-wd-XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void
rmtree(const char *d)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
}

static char *
join(const char *a, const char *b)
{
	char *p = malloc(strlen(a) + strlen(b) + 2);
	assert_non_null(p);
	sprintf(p, "%s/%s", a, b);
	return p;
}

static struct duet_workdir *
open_ok(const char *dir)
{
	struct duet_workdir *w = NULL;
	int rc = duet_workdir_open(dir, &w);
	if (rc != 0)
		fail_msg("open %s: %s", dir, duet_err_msg());
	return w;
}

/* Log capture: counts NOTICEs and keeps the last one. */
static int notices;
static char last_notice[512];

static void
capture(enum duet_log_level level, const char *object, const char *msg, void *ctx)
{
	(void)object;
	(void)ctx;
	if (level == DUET_LOG_NOTICE) {
		notices++;
		snprintf(last_notice, sizeof(last_notice), "%s", msg);
	}
}

/* ---- open --------------------------------------------------------- */

static void
test_open_create(void **state)
{
	char *base = mktmp(), *dir = join(base, "a/b/c");
	struct duet_workdir *w;
	struct stat st;
	char *file = join(dir, "data.mdb");
	(void)state;

	w = open_ok(dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(file, &st), 0);
	assert_string_equal(duet_workdir_dir(w), dir);
	duet_workdir_close(w);
	w = open_ok(dir); /* reopen an existing one */
	duet_workdir_close(w);
	duet_workdir_close(NULL);
	rmtree(base);
	free(file);
	free(dir);
	free(base);
}

/* Writes meta "format" = ver through raw LMDB. */
static void
set_format(const char *dir, uint32_t ver)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	unsigned char buf[5] = {1};
	MDB_val k = {6, (void *)"format"}, v = {5, buf};

	wd_be32(buf + 1, ver);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void
test_newer_format(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = NULL;
	char want[600];
	(void)state;

	duet_workdir_close(open_ok(dir));
	set_format(dir, 99);
	assert_int_equal(duet_workdir_open(dir, &w), DUET_E_CORRUPT);
	assert_null(w);
	snprintf(want, sizeof(want),
	         "workdir %s was written by a newer duet (format 99); upgrade duet or use "
	         "--workdir elsewhere",
	         dir);
	assert_string_equal(duet_err_msg(), want);
	/* the current format opens */
	set_format(dir, DUET_WORKDIR_FORMAT);
	duet_workdir_close(open_ok(dir));
	rmtree(dir);
	free(dir);
}

static void
expect_corrupt(const char *dir, const char *file)
{
	struct duet_workdir *w = NULL;
	assert_int_equal(duet_workdir_open(dir, &w), DUET_E_CORRUPT);
	assert_null(w);
	assert_non_null(strstr(duet_err_msg(), file));
	assert_non_null(strstr(duet_err_msg(), "move it away and run with --resync"));
	assert_null(strchr(duet_err_msg(), '\n'));
}

static void
test_corrupt_garbage(void **state)
{
	char *dir = mktmp(), *file = join(dir, "data.mdb");
	char junk[65536];
	FILE *f;
	(void)state;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	f = fopen(file, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	fclose(f);
	expect_corrupt(dir, file);
	/* shorter than one page: still not LMDB */
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("not a database\n", f);
	fclose(f);
	expect_corrupt(dir, file);
	rmtree(dir);
	free(file);
	free(dir);
}

static void
fill_listing(struct duet_listing *l, size_t n, const char *prefix)
{
	char path[128];
	struct duet_hashes h;

	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < n; i++) {
		struct duet_entry e = {0};
		snprintf(path, sizeof(path), "%s%08zu", prefix, i);
		e.path = path;
		e.pathlen = (uint32_t)strlen(path);
		e.type = DUET_T_FILE;
		e.size = (int64_t)i;
		e.mtime = 1700000000000000000ll + (int64_t)i;
		if (i % 3 == 0) {
			h.mask = DUET_HASH_BIT(DUET_HASH_MD5);
			memset(h.v[DUET_HASH_MD5], (int)(i & 0xff), 16);
			e.hashes = &h;
		}
		assert_int_equal(duet_listing_add(l, &e), 0);
	}
	duet_listing_sort(l);
}

static int
store_listing(struct duet_workdir *w, uint32_t id, int side, const struct duet_listing *l)
{
	struct duet_workdir_txn *t;
	int rc = duet_workdir_txn_begin(w, 0, &t);
	assert_int_equal(rc, 0);
	rc = duet_workdir_listing_update(t, id, side, l, NULL);
	if (rc != 0) {
		duet_workdir_txn_abort(t);
		return rc;
	}
	return duet_workdir_txn_commit(t);
}

static void
test_corrupt_truncated(void **state)
{
	char *dir = mktmp(), *file = join(dir, "data.mdb");
	struct duet_workdir *w = open_ok(dir);
	struct duet_listing l;
	struct stat st;
	(void)state;

	duet_listing_init(&l);
	fill_listing(&l, 5000, "dir/file-");
	assert_int_equal(store_listing(w, 1, 1, &l), 0);
	duet_workdir_close(w);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(truncate(file, st.st_size / 2), 0);
	expect_corrupt(dir, file);
	duet_listing_dispose(&l);
	rmtree(dir);
	free(file);
	free(dir);
}

/* Runs in a child as uid 65534 when we are root: root ignores modes. */
static int
child_unwritable(const char *ro)
{
	struct duet_workdir *w = NULL;
	char *sub = join(ro, "wd");
	int ok = 1;

	if (geteuid() == 0 && setuid(65534) != 0)
		return 3;
	/* cannot create inside a read-only directory */
	ok &= duet_workdir_open(sub, &w) == DUET_E_PERM && w == NULL;
	ok &= strstr(duet_err_msg(), sub) != NULL;
	/* an existing directory that is not writable */
	ok &= duet_workdir_open(ro, &w) == DUET_E_PERM && w == NULL;
	ok &= strstr(duet_err_msg(), ro) != NULL && strstr(duet_err_msg(), "not writable") != NULL;
	free(sub);
	return ok ? 0 : 1;
}

static void
test_unwritable(void **state)
{
	char *base = mktmp(), *ro = join(base, "ro");
	int status;
	pid_t pid;
	(void)state;

	assert_int_equal(chmod(base, 0755), 0);
	assert_int_equal(mkdir(ro, 0555), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_unwritable(ro));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	rmtree(base);
	free(ro);
	free(base);
}

static void
test_netfs(void **state)
{
	(void)state;
	assert_int_equal(wd_fs_check(0x6969, "/mnt/x"), DUET_E_UNSUPPORTED);
	assert_non_null(strstr(duet_err_msg(), "/mnt/x"));
	assert_non_null(strstr(duet_err_msg(), "NFS"));
	assert_int_equal(wd_fs_check((long)0xFF534D42, "/m"), DUET_E_UNSUPPORTED);
	assert_int_equal(wd_fs_check((long)0xFE534D42, "/m"), DUET_E_UNSUPPORTED);
	assert_int_equal(wd_fs_check(0x517B, "/m"), DUET_E_UNSUPPORTED);
	assert_int_equal(wd_fs_check(0x01021997, "/m"), DUET_E_UNSUPPORTED);
	assert_int_equal(wd_fs_check(0xEF53, "/m"), 0);     /* ext4 */
	assert_int_equal(wd_fs_check(0x01021994, "/m"), 0); /* tmpfs */
	notices = 0;
	duet_log_set_sink(capture, NULL);
	assert_int_equal(wd_fs_check(0x65735546, "/fuse"), 0); /* FUSE: warn */
	assert_int_equal(notices, 1);
	assert_non_null(strstr(last_notice, "/fuse"));
	duet_log_set_sink(NULL, NULL);
}

/* ---- session names and pairs ------------------------------------- */

static void
test_session_names(void **state)
{
	char buf[DUET_WORKDIR_SESSION_MAX];
	(void)state;

	assert_int_equal(duet_workdir_session_name("/home/u/My Docs/", "gdrive:Backup/Docs/", buf),
	                 0);
	assert_string_equal(buf, "home_u_My_Docs..gdrive_Backup_Docs");
	assert_int_equal(duet_workdir_session_name("/testdir/path1/", "gdrive:", buf), 0);
	assert_string_equal(buf, "testdir_path1..gdrive_");
	assert_int_equal(duet_workdir_session_name("/home/u/sync/", "gdrive:sync/", buf), 0);
	assert_string_equal(buf, "home_u_sync..gdrive_sync");
	/* the first {...} group is dropped */
	assert_int_equal(duet_workdir_session_name("gdrive{AbCdE}:x/", "/a", buf), 0);
	assert_string_equal(buf, "gdrive_x..a");
	assert_int_equal(duet_workdir_session_name("\\\\srv\\a b?c*d\t:", "x", buf), 0);
	assert_string_equal(buf, "srv_a_b_c_d__..x");
}

static void
test_pairs(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	struct duet_workdir_txn *t;
	struct duet_pair_rec r, r2;
	uint32_t a, b, c;
	(void)state;

	assert_int_equal(duet_workdir_pair(w, "/x/", "/y/", 0, &a), DUET_E_NOTFOUND);
	assert_int_equal(duet_workdir_pair(w, "/x/", "/y/", 1, &a), 0);
	assert_int_equal(duet_workdir_pair(w, "/x/", "remote:y/", 1, &b), 0);
	assert_int_not_equal(a, b);
	assert_int_equal(duet_workdir_pair(w, "/x/", "/y/", 0, &c), 0);
	assert_int_equal(c, a);
	/* same session name, other roots: refused */
	assert_int_equal(duet_workdir_pair(w, "/x", "/y", 1, &c), DUET_E_EXIST);
	assert_int_equal(duet_workdir_pair(w, "/a b/", "/y/", 1, &c), 0);
	assert_int_equal(duet_workdir_pair(w, "/a_b/", "/y/", 1, &c), DUET_E_EXIST);

	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_pair_get(t, a, &r), 0);
	assert_string_equal(r.root1, "/x/");
	assert_string_equal(r.root2, "/y/");
	assert_int_equal(r.state, DUET_PAIR_NEEDS_RESYNC);
	assert_int_equal(r.has_filters_md5, 0);
	memset(r.filters_md5, 0xAB, 16);
	r.has_filters_md5 = 1;
	duet_free(r.compare);
	r.compare = duet_strdup("size,modtime,checksum");
	r.state = DUET_PAIR_CLEAN;
	r.last_run = 42;
	assert_int_equal(duet_workdir_pair_put(t, a, &r), 0);
	assert_int_equal(duet_workdir_pair_put(t, 999, &r), DUET_E_NOTFOUND);
	assert_int_equal(duet_workdir_txn_commit(t), 0);
	duet_workdir_pair_dispose(&r);
	duet_workdir_close(w);

	w = open_ok(dir);
	assert_int_equal(duet_workdir_txn_begin(w, 1, &t), 0);
	assert_int_equal(duet_workdir_pair_get(t, a, &r2), 0);
	assert_int_equal(duet_workdir_pair_get(t, 999, &r), DUET_E_NOTFOUND);
	duet_workdir_txn_abort(t);
	assert_string_equal(r2.compare, "size,modtime,checksum");
	assert_int_equal(r2.state, DUET_PAIR_CLEAN);
	assert_int_equal(r2.last_run, 42);
	assert_int_equal(r2.has_filters_md5, 1);
	assert_memory_equal(r2.filters_md5,
	                    "\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB", 16);
	duet_workdir_pair_dispose(&r2);
	/* ids survive reopen */
	assert_int_equal(duet_workdir_pair(w, "/x/", "remote:y/", 0, &c), 0);
	assert_int_equal(c, b);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

/* ---- listings ----------------------------------------------------- */

static void
assert_same_listing(const struct duet_listing *a, const struct duet_listing *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct duet_entry *x = &a->v[i], *y = &b->v[i];
		assert_string_equal(x->path, y->path);
		assert_int_equal(x->pathlen, y->pathlen);
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->flags, y->flags);
		assert_int_equal(x->size, y->size);
		assert_int_equal(x->mtime, y->mtime);
		assert_int_equal(x->hashes == NULL, y->hashes == NULL);
		if (x->hashes == NULL)
			continue;
		assert_int_equal(x->hashes->mask, y->hashes->mask);
		for (int k = 0; k < DUET_HASH_COUNT; k++)
			if (x->hashes->mask & DUET_HASH_BIT(k))
				assert_memory_equal(x->hashes->v[k], y->hashes->v[k],
				                    duet_hash_size((enum duet_hash_kind)k));
	}
}

/* Listing tokens: per pair and side, replaced, removed, kept across
 * opens; a value not in the format is corrupt. */
static void
test_tokens(void **state)
{
	char *dir = mktmp(), buf[64], small[4];
	struct duet_workdir *w = open_ok(dir);
	struct duet_workdir_txn *t;
	uint32_t a, b;
	(void)state;

	assert_int_equal(duet_workdir_pair(w, "/x/", "s3:h/b/", 1, &a), 0);
	assert_int_equal(duet_workdir_pair(w, "/z/", "s3:h/b/", 1, &b), 0);
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_token_get(t, a, 2, buf, sizeof(buf)), DUET_E_NOTFOUND);
	assert_int_equal(duet_workdir_token_put(t, a, 2, "s3-date=1700000000"), 0);
	assert_int_equal(duet_workdir_token_put(t, b, 2, "s3-date=5"), 0);
	assert_int_equal(duet_workdir_token_put(t, a, 1, NULL), 0); /* none: fine */
	assert_int_equal(duet_workdir_txn_commit(t), 0);
	duet_workdir_close(w);

	w = open_ok(dir);
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_token_get(t, a, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "s3-date=1700000000");
	assert_int_equal(duet_workdir_token_get(t, a, 2, small, sizeof(small)), DUET_E_INVAL);
	assert_int_equal(duet_workdir_token_get(t, a, 1, buf, sizeof(buf)), DUET_E_NOTFOUND);
	assert_int_equal(duet_workdir_token_get(t, b, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "s3-date=5");
	assert_int_equal(duet_workdir_token_put(t, a, 2, "s3-date=1700000099"), 0);
	assert_int_equal(duet_workdir_token_get(t, a, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "s3-date=1700000099");
	assert_int_equal(duet_workdir_token_put(t, b, 2, ""), 0);
	assert_int_equal(duet_workdir_token_get(t, b, 2, buf, sizeof(buf)), DUET_E_NOTFOUND);
	assert_int_equal(duet_workdir_txn_commit(t), 0);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

static void
test_listing_roundtrip(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	struct duet_listing l, got, other;
	struct duet_hashes h;
	const char *paths[] = {"b", "a", "a/b c", "\xc3\xa9t\xc3\xa9", "z/y/x.txt", "a.", "A"};
	(void)state;

	duet_listing_init(&l);
	duet_listing_init(&got);
	duet_listing_init(&other);
	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct duet_entry e = {0};
		e.path = paths[i];
		e.pathlen = (uint32_t)strlen(paths[i]);
		e.type = i == 1 ? DUET_T_DIR : DUET_T_FILE;
		e.flags = i == 4 ? DUET_EF_LINK : 0;
		e.size = i == 1 ? -1 : (int64_t)i * 1000000007ll;
		e.mtime = i == 2 ? 0 : -5 + (int64_t)i * 1234567891234ll;
		h.mask = (unsigned)i & DUET_HASH_ALL;
		for (int k = 0; k < DUET_HASH_COUNT; k++)
			memset(h.v[k], (int)(i * 16 + (size_t)k), DUET_HASH_MAXLEN);
		e.hashes = h.mask ? &h : NULL;
		assert_int_equal(duet_listing_add(&l, &e), 0);
	}
	h.mask = DUET_HASH_ALL;
	l.v[0].hashes = &h; /* all five kinds on one entry */
	duet_listing_sort(&l);
	assert_int_equal(store_listing(w, 7, 1, &l), 0);
	fill_listing(&other, 10, "side2-");
	assert_int_equal(store_listing(w, 7, 2, &other), 0);
	assert_int_equal(store_listing(w, 8, 1, &other), 0);
	assert_int_equal(duet_workdir_listing_load(w, 7, 1, &got), 0);
	assert_same_listing(&l, &got);
	duet_listing_dispose(&got);
	duet_listing_init(&got);
	assert_int_equal(duet_workdir_listing_load(w, 7, 2, &got), 0);
	assert_same_listing(&other, &got);
	duet_listing_dispose(&got);
	duet_listing_init(&got);
	assert_int_equal(duet_workdir_listing_load(w, 9, 1, &got), 0);
	assert_int_equal(got.n, 0);
	duet_listing_dispose(&l);
	duet_listing_dispose(&other);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

/* Updating entries whose stored value changes size (hashes dropped or
 * added) keeps every key: a put must not reuse the cursor's key pointer,
 * which the page shuffle invalidates. */
static void
test_listing_update_value_size(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	struct duet_listing l, got;
	struct duet_hashes h;
	(void)state;
	duet_listing_init(&l);
	duet_listing_init(&got);
	memset(&h, 0x5a, sizeof(h));
	h.mask = DUET_HASH_BIT(DUET_HASH_MD5) | DUET_HASH_BIT(DUET_HASH_SHA256);
	fill_listing(&l, 50, "f");
	for (size_t i = 0; i < l.n; i++)
		l.v[i].hashes = &h;
	assert_int_equal(store_listing(w, 3, 1, &l), 0);
	for (int round = 0; round < 3; round++) {
		/* Every other entry loses (or regains) its hashes. */
		for (size_t i = 0; i < l.n; i += 2)
			l.v[i].hashes = round % 2 == 0 ? NULL : &h;
		assert_int_equal(store_listing(w, 3, 1, &l), 0);
		assert_int_equal(duet_workdir_listing_load(w, 3, 1, &got), 0);
		assert_same_listing(&l, &got);
		duet_listing_dispose(&got);
		duet_listing_init(&got);
	}
	for (size_t i = 0; i < l.n; i++)
		l.v[i].hashes = NULL;
	duet_listing_dispose(&l);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

static size_t
last_pgno(struct duet_workdir *w)
{
	MDB_envinfo info;
	assert_int_equal(mdb_env_info(w->env, &info), 0);
	return info.me_last_pgno;
}

static void
test_listing_update_changed_only(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	struct duet_workdir_txn *snap, *t;
	struct duet_workdir_ustats st;
	struct duet_listing l, got, bad;
	MDB_stat ms;
	size_t before, grow_small, grow_full;
	(void)state;

	duet_listing_init(&l);
	duet_listing_init(&got);
	fill_listing(&l, 5000, "photos/2024/img-");
	assert_int_equal(store_listing(w, 1, 1, &l), 0);
	/* one changed, one deleted (index 10), one new (sorts last) */
	l.v[100].size = 99999;
	l.v[10] = l.v[l.n - 1];
	l.n--;
	duet_listing_sort(&l);
	{
		struct duet_entry e = {
		    .path = "zzz-new", .pathlen = 7, .type = DUET_T_FILE, .size = 1};
		assert_int_equal(duet_listing_add(&l, &e), 0);
	}
	/* a reader keeps the old pages in use, so every written page is new */
	assert_int_equal(duet_workdir_txn_begin(w, 1, &snap), 0);
	before = last_pgno(w);
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_listing_update(t, 1, 1, &l, &st), 0);
	assert_int_equal(duet_workdir_txn_commit(t), 0);
	grow_small = last_pgno(w) - before;
	assert_int_equal(st.puts, 2);
	assert_int_equal(st.dels, 1);
	assert_int_equal(st.same, 4998);
	assert_true(grow_small < 16);
	/* control: rewriting every key dirties every leaf page */
	before = last_pgno(w);
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_listing_clear(t, 1, 1), 0);
	assert_int_equal(duet_workdir_listing_update(t, 1, 1, &l, &st), 0);
	assert_int_equal(st.puts, 5000);
	assert_int_equal(duet_workdir_txn_commit(t), 0);
	grow_full = last_pgno(w) - before;
	assert_true(grow_full > 4 * grow_small + 16);
	duet_workdir_txn_abort(snap);

	assert_int_equal(duet_workdir_listing_load(w, 1, 1, &got), 0);
	assert_same_listing(&l, &got);
	assert_int_equal(duet_workdir_txn_begin(w, 1, &t), 0);
	assert_int_equal(mdb_stat(t->txn, w->listings, &ms), 0);
	assert_int_equal(ms.ms_entries, 5000);
	duet_workdir_txn_abort(t);
	/* unsorted input is refused and leaves the stored listing alone */
	duet_listing_init(&bad);
	fill_listing(&bad, 3, "u");
	bad.v[0] = bad.v[2];
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_listing_update(t, 1, 1, &bad, NULL), DUET_E_INVAL);
	duet_workdir_txn_abort(t);
	duet_listing_dispose(&bad);
	duet_listing_dispose(&got);
	duet_listing_init(&got);
	assert_int_equal(duet_workdir_listing_load(w, 1, 1, &got), 0);
	assert_int_equal(got.n, 5000);
	/* updating to empty deletes everything */
	duet_listing_dispose(&l);
	duet_listing_init(&l);
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_listing_update(t, 1, 1, &l, &st), 0);
	assert_int_equal(st.dels, 5000);
	assert_int_equal(duet_workdir_txn_commit(t), 0);
	duet_listing_dispose(&got);
	duet_listing_init(&got);
	assert_int_equal(duet_workdir_listing_load(w, 1, 1, &got), 0);
	assert_int_equal(got.n, 0);
	duet_listing_dispose(&got);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

struct big_ctx {
	struct duet_listing *l;
	int calls;
	int side;
};

static int
write_big(struct duet_workdir_txn *t, void *ctx)
{
	struct big_ctx *c = ctx;
	c->calls++;
	return duet_workdir_listing_update(t, 3, c->side ? c->side : 2, c->l, NULL);
}

static void
test_map_growth(void **state)
{
	char *dir = mktmp();
	size_t saved = wd_map_initial;
	struct duet_workdir *w;
	struct duet_workdir_txn *t;
	struct duet_listing l, got;
	struct big_ctx c;
	MDB_envinfo info;
	(void)state;

	wd_map_initial = 128 * 1024;
	w = open_ok(dir);
	wd_map_initial = saved;
	duet_listing_init(&l);
	duet_listing_init(&got);
	fill_listing(&l, 20000, "some/deeper/directory/name/file-");
	/* a plain transaction reports the full map */
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_listing_update(t, 3, 2, &l, NULL), DUET_E_NOSPC);
	assert_int_equal(duet_workdir_txn_commit(t), DUET_E_NOSPC);
	/* duet_workdir_write grows the map and runs the function again */
	c = (struct big_ctx){.l = &l};
	assert_int_equal(duet_workdir_write(w, write_big, &c), 0);
	assert_true(c.calls > 1);
	assert_int_equal(mdb_env_info(w->env, &info), 0);
	assert_true(info.me_mapsize > 128 * 1024);
	assert_int_equal(duet_workdir_listing_load(w, 3, 2, &got), 0);
	assert_same_listing(&l, &got);
	duet_listing_dispose(&got);
	duet_listing_dispose(&l);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

/* Adds a file entry whose path is `len` bytes: prefix, then `fill`. */
static void
add_len(struct duet_listing *l, const char *prefix, char fill, size_t len, int64_t size)
{
	char *p = malloc(len + 1);
	struct duet_entry e = {0};
	struct duet_hashes h;

	assert_non_null(p);
	memset(p, fill, len);
	memcpy(p, prefix, strlen(prefix));
	p[len] = '\0';
	e.path = p;
	e.pathlen = (uint32_t)len;
	e.type = DUET_T_FILE;
	e.size = size;
	e.mtime = 1700000000000000000ll + size;
	memset(&h, 0, sizeof(h));
	h.mask = DUET_HASH_BIT(DUET_HASH_MD5);
	memset(h.v[DUET_HASH_MD5], (int)(size & 0xff), 16);
	e.hashes = &h;
	assert_int_equal(duet_listing_add(l, &e), 0);
	free(p);
}

/* Paths past LMDB's key limit (511 bytes with the header) are kept, come
 * back in path order among the others, and update like the rest. */
static void
test_long_paths(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w;
	struct duet_workdir_txn *t;
	struct duet_workdir_ustats st;
	struct duet_listing l, got;
	(void)state;

	w = open_ok(dir);
	duet_listing_init(&l);
	duet_listing_init(&got);
	add_len(&l, "a/", 'x', 100, 1);
	add_len(&l, "a/", 'x', 600, 2);  /* long */
	add_len(&l, "a/", 'x', 4000, 3); /* long, same first 600 bytes */
	add_len(&l, "a/", 'y', 700, 4);  /* long, after the x ones */
	add_len(&l, "a/", 'x', 506, 5);  /* the longest that fits a key */
	add_len(&l, "a/", 'x', 507, 6);  /* the shortest that does not */
	add_len(&l, "b", 'z', 50, 7);
	add_len(&l, "a/", 'w', 900, 8);  /* long, before everything under a/x */
	duet_listing_sort(&l);
	assert_int_equal(store_listing(w, 9, 1, &l), 0);
	assert_int_equal(duet_workdir_listing_load(w, 9, 1, &got), 0);
	assert_same_listing(&l, &got);
	duet_listing_dispose(&got);
	/* the other side is apart */
	assert_int_equal(duet_workdir_listing_load(w, 9, 2, &got), 0);
	assert_int_equal(got.n, 0);
	duet_listing_dispose(&got);

	/* no change: nothing written */
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_listing_update(t, 9, 1, &l, &st), 0);
	assert_int_equal(duet_workdir_txn_commit(t), 0);
	assert_int_equal(st.puts, 0);
	assert_int_equal(st.dels, 0);
	assert_int_equal(st.same, 8);

	/* one long path goes, one changes, one comes */
	duet_listing_dispose(&l);
	duet_listing_init(&l);
	add_len(&l, "a/", 'x', 100, 1);
	add_len(&l, "a/", 'x', 4000, 33); /* changed */
	add_len(&l, "a/", 'y', 700, 4);
	add_len(&l, "a/", 'x', 506, 5);
	add_len(&l, "a/", 'x', 507, 6);
	add_len(&l, "b", 'z', 50, 7);
	add_len(&l, "a/", 'w', 900, 8);
	add_len(&l, "c/", 'q', 2000, 9); /* new */
	duet_listing_sort(&l);
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_listing_update(t, 9, 1, &l, &st), 0);
	assert_int_equal(duet_workdir_txn_commit(t), 0);
	assert_int_equal(st.puts, 2);
	assert_int_equal(st.dels, 1);
	assert_int_equal(st.same, 6);
	assert_int_equal(duet_workdir_listing_load(w, 9, 1, &got), 0);
	assert_same_listing(&l, &got);
	duet_listing_dispose(&got);

	/* clear takes the long ones too */
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_listing_clear(t, 9, 1), 0);
	assert_int_equal(duet_workdir_txn_commit(t), 0);
	assert_int_equal(duet_workdir_listing_load(w, 9, 1, &got), 0);
	assert_int_equal(got.n, 0);
	duet_listing_dispose(&got);

	/* beyond 64 KiB a path is refused with a clear error */
	duet_listing_dispose(&l);
	duet_listing_init(&l);
	add_len(&l, "a/", 'x', 70000, 1);
	assert_int_equal(store_listing(w, 9, 1, &l), DUET_E_NAMETOOLONG);
	assert_non_null(strstr(duet_err_msg(), "path too long to store"));
	duet_listing_dispose(&l);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

/* Another process grows the map; this one adopts the new size. */
static void
test_map_resized_elsewhere(void **state)
{
	char *dir = mktmp();
	size_t saved = wd_map_initial;
	struct duet_workdir *w;
	struct duet_listing l, got;
	struct big_ctx c;
	int status;
	pid_t pid;
	(void)state;

	wd_map_initial = 128 * 1024;
	w = open_ok(dir);
	duet_listing_init(&l);
	duet_listing_init(&got);
	fill_listing(&l, 20000, "x/");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct duet_workdir *w2;
		c = (struct big_ctx){.l = &l};
		_exit(duet_workdir_open(dir, &w2) == 0 && duet_workdir_write(w2, write_big, &c) == 0
		          ? 0
		          : 1);
	}
	wd_map_initial = saved;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* both a reader and a writer of this process see the bigger map */
	assert_int_equal(duet_workdir_listing_load(w, 3, 2, &got), 0);
	assert_same_listing(&l, &got);
	c = (struct big_ctx){.l = &l, .side = 1};
	assert_int_equal(duet_workdir_write(w, write_big, &c), 0);
	duet_listing_dispose(&got);
	duet_listing_init(&got);
	assert_int_equal(duet_workdir_listing_load(w, 3, 1, &got), 0);
	assert_int_equal(got.n, 20000);
	duet_listing_dispose(&got);
	duet_listing_dispose(&l);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

/* ---- runs and journal --------------------------------------------- */

static void
test_runs(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	struct duet_workdir_txn *t;
	struct duet_run_rec r = {.start = 100, .outcome = DUET_RUN_RUNNING}, got;
	uint64_t run;
	(void)state;

	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_run_new(t, 2, &r, &run), 0);
	assert_int_equal(run, 1);
	assert_int_equal(duet_workdir_run_new(t, 1, &r, &run), 0);
	assert_int_equal(run, 1);
	assert_int_equal(duet_workdir_run_new(t, 1, &r, &run), 0);
	assert_int_equal(run, 2);
	assert_int_equal(duet_workdir_run_new(t, 3, &r, &run), 0);
	assert_int_equal(run, 1);
	assert_int_equal(duet_workdir_txn_commit(t), 0);

	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_run_new(t, 1, &r, &run), 0);
	assert_int_equal(run, 3);
	r.end = 200;
	r.outcome = DUET_RUN_OK;
	r.copied12 = 1;
	r.copied21 = 2;
	r.deleted1 = 3;
	r.deleted2 = 4;
	r.conflicts = 5;
	r.errors = 6;
	assert_int_equal(duet_workdir_run_put(t, 1, 2, &r), 0);
	assert_int_equal(duet_workdir_txn_commit(t), 0);

	assert_int_equal(duet_workdir_txn_begin(w, 1, &t), 0);
	assert_int_equal(duet_workdir_run_get(t, 1, 2, &got), 0);
	assert_memory_equal(&got, &r, sizeof(r));
	assert_int_equal(duet_workdir_run_get(t, 1, 3, &got), 0);
	assert_int_equal(got.outcome, DUET_RUN_RUNNING);
	assert_int_equal(got.start, 100);
	assert_int_equal(duet_workdir_run_get(t, 1, 9, &got), DUET_E_NOTFOUND);
	duet_workdir_txn_abort(t);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

struct jseen {
	uint32_t no[8];
	uint8_t status[8];
	char data[8][16];
	int n;
};

static int
jcollect(uint32_t no, uint8_t status, const void *data, size_t len, void *ctx)
{
	struct jseen *s = ctx;
	assert_true(s->n < 8 && len < 16);
	s->no[s->n] = no;
	s->status[s->n] = status;
	memcpy(s->data[s->n], data, len);
	s->data[s->n][len] = '\0';
	s->n++;
	return 0;
}

static int
jstop(uint32_t no, uint8_t status, const void *data, size_t len, void *ctx)
{
	(void)no, (void)status, (void)data, (void)len;
	++*(int *)ctx;
	return 77;
}

static void
test_journal(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	struct duet_workdir_txn *t;
	struct duet_listing l;
	struct jseen s = {.n = 0};
	int calls = 0;
	(void)state;

	duet_listing_init(&l);
	fill_listing(&l, 3, "f");
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_journal_put(t, 1, 5, 300, "copy c", 6, 0), 0);
	assert_int_equal(duet_workdir_journal_put(t, 1, 5, 2, "copy a", 6, 0), 0);
	assert_int_equal(duet_workdir_journal_put(t, 1, 5, 256, "del b", 5, 0), 0);
	assert_int_equal(duet_workdir_journal_put(t, 1, 6, 1, "other", 5, 0), 0);
	assert_int_equal(duet_workdir_journal_put(t, 2, 5, 1, "pair2", 5, 0), 0);
	assert_int_equal(duet_workdir_journal_put(t, 1, 5, 7, "", 0, 9), 0);
	assert_int_equal(duet_workdir_txn_commit(t), 0);

	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_journal_set_status(t, 1, 5, 256, 2), 0);
	assert_int_equal(duet_workdir_journal_set_status(t, 1, 5, 3, 2), DUET_E_NOTFOUND);
	assert_int_equal(duet_workdir_txn_commit(t), 0);

	assert_int_equal(duet_workdir_txn_begin(w, 1, &t), 0);
	assert_int_equal(duet_workdir_journal_iter(t, 1, 5, jcollect, &s), 0);
	assert_int_equal(duet_workdir_journal_iter(t, 1, 5, jstop, &calls), 77);
	duet_workdir_txn_abort(t);
	assert_int_equal(calls, 1);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.no[0], 2);
	assert_string_equal(s.data[0], "copy a");
	assert_int_equal(s.no[1], 7);
	assert_int_equal(s.status[1], 9);
	assert_string_equal(s.data[1], "");
	assert_int_equal(s.no[2], 256);
	assert_int_equal(s.status[2], 2);
	assert_string_equal(s.data[2], "del b");
	assert_int_equal(s.no[3], 300);
	assert_int_equal(s.status[3], 0);

	/* listings and journal clear commit together */
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_listing_update(t, 1, 1, &l, NULL), 0);
	assert_int_equal(duet_workdir_journal_clear(t, 1, 5), 0);
	duet_workdir_txn_abort(t); /* aborted: nothing happened */
	s.n = 0;
	assert_int_equal(duet_workdir_txn_begin(w, 1, &t), 0);
	assert_int_equal(duet_workdir_journal_iter(t, 1, 5, jcollect, &s), 0);
	duet_workdir_txn_abort(t);
	assert_int_equal(s.n, 4);

	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(duet_workdir_listing_update(t, 1, 1, &l, NULL), 0);
	assert_int_equal(duet_workdir_journal_clear(t, 1, 5), 0);
	assert_int_equal(duet_workdir_txn_commit(t), 0);
	s.n = 0;
	assert_int_equal(duet_workdir_txn_begin(w, 1, &t), 0);
	assert_int_equal(duet_workdir_journal_iter(t, 1, 5, jcollect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(duet_workdir_journal_iter(t, 1, 6, jcollect, &s), 0);
	assert_int_equal(duet_workdir_journal_iter(t, 2, 5, jcollect, &s), 0);
	assert_int_equal(s.n, 2);
	duet_workdir_txn_abort(t);
	duet_listing_dispose(&l);
	assert_int_equal(duet_workdir_listing_load(w, 1, 1, &l), 0);
	assert_int_equal(l.n, 3);
	duet_listing_dispose(&l);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

/* One pass over the allocating paths; 0 or the first error. */
static int
alloc_scenario(const char *dir, const struct duet_listing *l)
{
	struct duet_workdir *w = NULL;
	struct duet_workdir_txn *t = NULL;
	struct duet_listing got;
	struct duet_pair_rec r;
	uint32_t id;
	int rc;

	duet_listing_init(&got);
	if ((rc = duet_workdir_open(dir, &w)) != 0)
		return rc;
	if ((rc = duet_workdir_pair(w, "/p/", "/q/", 1, &id)) != 0)
		goto out;
	if ((rc = duet_workdir_txn_begin(w, 0, &t)) != 0)
		goto out;
	if ((rc = duet_workdir_pair_get(t, id, &r)) == 0) {
		rc = duet_workdir_pair_put(t, id, &r);
		duet_workdir_pair_dispose(&r);
	}
	if (rc == 0)
		rc = duet_workdir_journal_put(t, id, 1, 1, "x", 1, 0);
	if (rc == 0)
		rc = duet_workdir_journal_set_status(t, id, 1, 1, 1);
	if (rc == 0)
		rc = duet_workdir_listing_update(t, id, 1, l, NULL);
	if (rc == 0)
		rc = duet_workdir_txn_commit(t);
	else
		duet_workdir_txn_abort(t);
	if (rc == 0)
		rc = duet_workdir_listing_load(w, id, 1, &got);
out:
	duet_listing_dispose(&got);
	duet_workdir_close(w);
	return rc;
}

static void
test_alloc_failures(void **state)
{
	char *dir = mktmp();
	struct duet_listing l;
	int rc = -1, n;
	(void)state;

	duet_listing_init(&l);
	fill_listing(&l, 50, "a");
	for (n = 1; n < 500 && rc != 0; n++) {
		duet_alloc_fail_at(n);
		rc = alloc_scenario(dir, &l);
		duet_alloc_fail_at(0);
		assert_true(rc == 0 || rc == DUET_E_NOMEM);
	}
	assert_int_equal(rc, 0);
	assert_true(n > 5); /* some allocations did fail on the way */
	duet_listing_dispose(&l);
	rmtree(dir);
	free(dir);
}

/* ---- lock --------------------------------------------------------- */

static void
test_lock_basic(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	struct duet_lock_holder me, other, got, fake;
	int64_t t0;
	(void)state;

	assert_int_equal(duet_workdir_lock_get(w, 1, &got), DUET_E_NOTFOUND);
	assert_int_equal(duet_workdir_lock_take(w, 1, 0, &me, &other), 0);
	assert_int_equal(other.pid, 0);
	assert_int_equal(me.pid, getpid());
	assert_int_equal(me.expires, 0);
	assert_true(me.pstart != 0);
	assert_int_equal(duet_workdir_lock_get(w, 1, &got), 0);
	assert_memory_equal(&got, &me, sizeof(me));
	/* held, even by this very process: refused, holder described */
	assert_int_equal(duet_workdir_lock_take(w, 1, 0, &fake, &other), DUET_E_EXIST);
	assert_int_equal(other.pid, getpid());
	assert_int_equal(other.token, me.token);
	assert_non_null(strstr(duet_err_msg(), "locked by pid"));
	/* another pair is independent */
	assert_int_equal(duet_workdir_lock_take(w, 2, 0, &fake, NULL), 0);
	assert_int_equal(duet_workdir_lock_release(w, 2, &fake), 0);
	/* renew moves the expiry */
	t0 = wd_now();
	assert_int_equal(duet_workdir_lock_renew(w, 1, 3600 * 1000000000ll, &me), 0);
	assert_true(me.expires >= t0 + 3600 * 1000000000ll);
	assert_int_equal(duet_workdir_lock_get(w, 1, &got), 0);
	assert_int_equal(got.expires, me.expires);
	/* only the holder may release */
	fake = me;
	fake.token++;
	assert_int_equal(duet_workdir_lock_release(w, 1, &fake), DUET_E_PERM);
	assert_int_equal(duet_workdir_lock_renew(w, 1, 0, &fake), DUET_E_PERM);
	assert_int_equal(duet_workdir_lock_release(w, 1, &me), 0);
	assert_int_equal(duet_workdir_lock_get(w, 1, &got), DUET_E_NOTFOUND);
	assert_int_equal(duet_workdir_lock_release(w, 1, &me), 0);
	assert_int_equal(duet_workdir_lock_take(w, 1, 0, &me, NULL), 0);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

static void
test_lock_expiry(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	struct duet_lock_holder a, b, old;
	struct timespec ms20 = {0, 20000000};
	(void)state;

	assert_int_equal(duet_workdir_lock_take(w, 1, 5000000, &a, NULL), 0); /* 5 ms */
	assert_true(a.expires > a.taken);
	nanosleep(&ms20, NULL);
	notices = 0;
	duet_log_set_sink(capture, NULL);
	assert_int_equal(duet_workdir_lock_take(w, 1, 0, &b, &old), 0);
	duet_log_set_sink(NULL, NULL);
	assert_int_equal(old.token, a.token);
	assert_int_equal(notices, 1);
	assert_non_null(strstr(last_notice, "expired"));
	/* the first holder lost it */
	assert_int_equal(duet_workdir_lock_renew(w, 1, 0, &a), DUET_E_PERM);
	assert_int_equal(duet_workdir_lock_release(w, 1, &a), DUET_E_PERM);
	/* a long max_lock does not expire */
	assert_int_equal(duet_workdir_lock_release(w, 1, &b), 0);
	assert_int_equal(duet_workdir_lock_take(w, 1, 3600 * 1000000000ll, &a, NULL), 0);
	assert_int_equal(duet_workdir_lock_take(w, 1, 0, &b, NULL), DUET_E_EXIST);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

/* Child: opens dir, takes pair 1's lock, reports through fd, then waits for
 * EOF on hold (if >= 0) before exiting without releasing. */
static void
child_take(const char *dir, int report, int hold)
{
	struct duet_workdir *w;
	struct duet_lock_holder me;
	char c = 'x', buf;

	if (duet_workdir_open(dir, &w) == 0)
		c = duet_workdir_lock_take(w, 1, 0, &me, NULL) == 0 ? 'W' : 'L';
	if (write(report, &c, 1) != 1)
		_exit(2);
	if (hold >= 0)
		while (read(hold, &buf, 1) > 0)
			;
	_exit(0);
}

/* Stores a lock record for pair 1 through raw LMDB. */
static void
put_raw_lock(struct duet_workdir *w, const char *host, int32_t pid, uint64_t pstart)
{
	struct duet_workdir_txn *t;
	unsigned char key[4] = {0, 0, 0, 1}, val[64] = {1};
	size_t hl = strlen(host);
	MDB_val k = {4, key}, v = {46 + hl, val};

	wd_be32(val + 1, (uint32_t)pid);
	wd_be64(val + 5, pstart);
	wd_be64(val + 13, 12345);
	wd_be64(val + 21, (uint64_t)wd_now());
	val[45] = (unsigned char)hl;
	memcpy(val + 46, host, hl);
	assert_int_equal(duet_workdir_txn_begin(w, 0, &t), 0);
	assert_int_equal(mdb_put(t->txn, w->lock, &k, &v, 0), 0);
	assert_int_equal(duet_workdir_txn_commit(t), 0);
}

static void
test_lock_dead_holder(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	struct duet_lock_holder me, old;
	int rep[2], hold[2], status;
	char c;
	pid_t pid;
	(void)state;

	/* a holder that exited (and was reaped) */
	assert_int_equal(pipe(rep), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_take(dir, rep[1], -1);
	assert_int_equal(read(rep[0], &c, 1), 1);
	assert_int_equal(c, 'W');
	assert_int_equal(waitpid(pid, &status, 0), pid);
	notices = 0;
	duet_log_set_sink(capture, NULL);
	assert_int_equal(duet_workdir_lock_take(w, 1, 0, &me, &old), 0);
	assert_int_equal(old.pid, pid);
	assert_int_equal(notices, 1);
	assert_non_null(strstr(last_notice, "no longer running"));
	assert_int_equal(duet_workdir_lock_release(w, 1, &me), 0);

	/* a holder that exited but is not reaped yet (zombie) */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_take(dir, rep[1], -1);
	assert_int_equal(read(rep[0], &c, 1), 1);
	assert_int_equal(c, 'W');
	for (int i = 0; i < 200 && duet_workdir_lock_take(w, 1, 0, &me, &old) != 0; i++) {
		struct timespec ms5 = {0, 5000000};
		nanosleep(&ms5, NULL); /* until the child has exited */
	}
	assert_int_equal(old.pid, pid);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(duet_workdir_lock_release(w, 1, &me), 0);

	/* a live holder in another process keeps it */
	assert_int_equal(pipe(hold), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(hold[1]);
		child_take(dir, rep[1], hold[0]);
	}
	close(hold[0]);
	assert_int_equal(read(rep[0], &c, 1), 1);
	assert_int_equal(c, 'W');
	assert_int_equal(duet_workdir_lock_take(w, 1, 0, &me, &old), DUET_E_EXIST);
	assert_int_equal(old.pid, pid);
	close(hold[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);

	/* our own pid with another start time: the pid was reused */
	put_raw_lock(w, me.host, (int32_t)getpid(), 1);
	assert_int_equal(duet_workdir_lock_take(w, 1, 0, &me, &old), 0);
	assert_int_equal(old.pstart, 1);
	/* a process on another host is never judged dead from here */
	put_raw_lock(w, "some-other-host", 999999, 1);
	assert_int_equal(duet_workdir_lock_take(w, 1, 0, &me, &old), DUET_E_EXIST);
	assert_string_equal(old.host, "some-other-host");
	duet_log_set_sink(NULL, NULL);
	close(rep[0]);
	close(rep[1]);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

struct race {
	struct duet_workdir *w;
	pthread_barrier_t *bar;
	uint32_t id;
	int rc;
	struct duet_lock_holder me;
};

static void *
race_thread(void *arg)
{
	struct race *r = arg;
	pthread_barrier_wait(r->bar);
	r->rc = duet_workdir_lock_take(r->w, r->id, 0, &r->me, NULL);
	return NULL;
}

static void
test_lock_race_threads(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	pthread_barrier_t bar;
	pthread_t th[2];
	struct race r[2];
	(void)state;

	assert_int_equal(pthread_barrier_init(&bar, NULL, 2), 0);
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < 2; i++) {
			r[i] = (struct race){.w = w, .bar = &bar, .id = 5};
			assert_int_equal(pthread_create(&th[i], NULL, race_thread, &r[i]), 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		assert_int_equal((r[0].rc == 0) + (r[1].rc == 0), 1);
		assert_int_equal(r[r[0].rc == 0 ? 1 : 0].rc, DUET_E_EXIST);
		assert_int_equal(duet_workdir_lock_release(w, 5, &r[r[0].rc == 0 ? 0 : 1].me), 0);
	}
	pthread_barrier_destroy(&bar);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

/* Child of the process race: ready, wait for go, take, report, hold. */
static void
race_child(const char *dir, uint32_t id, int ready, int go, int report, int hold)
{
	struct duet_workdir *w;
	struct duet_lock_holder me;
	char c = 'x', buf;

	if (duet_workdir_open(dir, &w) != 0)
		_exit(2);
	if (write(ready, "r", 1) != 1 || read(go, &buf, 1) != 0)
		_exit(2);
	c = duet_workdir_lock_take(w, id, 0, &me, NULL) == 0 ? 'W' : 'L';
	if (write(report, &c, 1) != 1)
		_exit(2);
	while (read(hold, &buf, 1) > 0)
		;
	_exit(0);
}

static void
test_lock_race_procs(void **state)
{
	char *dir = mktmp();
	struct duet_workdir *w = open_ok(dir);
	int ready[2], go[2], rep[2], hold[2], status, wins;
	pid_t pid[2];
	char c;
	(void)state;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(rep), 0);
	for (int round = 0; round < ROUNDS; round++) {
		uint32_t id = 1000 + (uint32_t)round;
		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(hold), 0);
		for (int i = 0; i < 2; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				close(go[1]);
				close(hold[1]);
				race_child(dir, id, ready[1], go[0], rep[1], hold[0]);
			}
		}
		close(go[0]);
		close(hold[0]);
		for (int i = 0; i < 2; i++)
			assert_int_equal(read(ready[0], &c, 1), 1);
		close(go[1]); /* both children wake on the same EOF */
		wins = 0;
		for (int i = 0; i < 2; i++) {
			assert_int_equal(read(rep[0], &c, 1), 1);
			assert_true(c == 'W' || c == 'L');
			wins += c == 'W';
		}
		assert_int_equal(wins, 1);
		close(hold[1]);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
			assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
	}
	close(ready[0]);
	close(ready[1]);
	close(rep[0]);
	close(rep[1]);
	duet_workdir_close(w);
	rmtree(dir);
	free(dir);
}

int
main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_create),
		cmocka_unit_test(test_newer_format),
		cmocka_unit_test(test_corrupt_garbage),
		cmocka_unit_test(test_corrupt_truncated),
		cmocka_unit_test(test_unwritable),
		cmocka_unit_test(test_netfs),
		cmocka_unit_test(test_session_names),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_listing_roundtrip),
		cmocka_unit_test(test_listing_update_changed_only),
		cmocka_unit_test(test_listing_update_value_size),
		cmocka_unit_test(test_map_growth),
		cmocka_unit_test(test_long_paths),
	    cmocka_unit_test(test_map_resized_elsewhere),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_lock_basic),
		cmocka_unit_test(test_lock_expiry),
		cmocka_unit_test(test_lock_dead_holder),
		cmocka_unit_test(test_lock_race_threads),
		cmocka_unit_test(test_lock_race_procs),
	};
	/* clang-format on */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
