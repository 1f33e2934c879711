/*
 * test_local.c: the local backend on real files under a fresh mkdtemp
 * directory per test: open (missing root, file root, relative root, canon),
 * list with nanosecond mtimes and the three symlink modes, the refusal to
 * walk through a symlinked directory, write streams (temp naming, commit
 * atomicity, abort, inplace, disk full on a small tmpfs), odd names,
 * permission denied (as an unprivileged child when run as root), the tree
 * operations and core's duet_copy_fd.
 */
#define _GNU_SOURCE /* mount, setresuid, nftw, pipe2 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/local.h"
#include "core/alloc.h"
#include "core/copyfd.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/remote.h"
#include "tests/backends/conformance.h"

#define T0 1600000000123456789LL /* an mtime with every digit used */
#define MAXE 64

static char g_dir[PATH_MAX]; /* this test's scratch directory */

/* Log capture. */
static struct {
	int notices;
	char msg[512];
	char object[PATH_MAX];
} g_log;

static void
capture(enum duet_log_level level, const char *object, const char *msg, void *ctx)
{
	(void)ctx;
	if (level != DUET_LOG_NOTICE)
		return;
	g_log.notices++;
	snprintf(g_log.msg, sizeof(g_log.msg), "%s", msg);
	snprintf(g_log.object, sizeof(g_log.object), "%s", object ? object : "");
}

/* g_dir + "/" + rel, in a static ring of buffers. */
static const char *
P(const char *rel)
{
	static char ring[8][PATH_MAX];
	static int i;
	char *b = ring[i++ % 8];
	int n = snprintf(b, PATH_MAX, "%s%s%s", g_dir, rel[0] ? "/" : "", rel);
	assert_true(n > 0 && n < PATH_MAX);
	return b;
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/duet-local-XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	memset(&g_log, 0, sizeof(g_log));
	duet_log_set_sink(capture, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	duet_log_set_sink(NULL, NULL);
	umount2(P("small"), MNT_DETACH); /* left mounted by a failed test */
	chmod(g_dir, 0700);
	return nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
put(const char *rel, const char *data, int64_t mtime)
{
	int fd = open(P(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	if (mtime != 0) {
		struct timespec ts[2] = {{0, UTIME_OMIT}, {mtime / 1000000000, mtime % 1000000000}};
		assert_int_equal(futimens(fd, ts), 0);
	}
	close(fd);
}

/* Whole content of rel, or NULL; caller frees. */
static char *
get(const char *rel)
{
	char *b = calloc(1, 1 << 20);
	int fd = open(P(rel), O_RDONLY);
	if (fd < 0) {
		free(b);
		return NULL;
	}
	assert_true(read(fd, b, (1 << 20) - 1) >= 0);
	close(fd);
	return b;
}

static int
exists(const char *rel)
{
	struct stat st;
	return lstat(P(rel), &st) == 0;
}

/* Number of entries in directory rel (without . and ..). */
static int
count_dir(const char *rel)
{
	struct dirent *de;
	DIR *d = opendir(P(rel));
	int n = 0;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static struct duet_fs *
fs_open_at(const char *path, enum duet_links links, int inplace, const char *suffix)
{
	struct duet_remote r = {0};
	struct duet_fs_opts o = {.links = links, .inplace = inplace, .partial_suffix = suffix, .no_fsync = 1};
	struct duet_fs *fs = NULL;
	r.path = (char *)path;
	assert_int_equal(duet_local_backend.open(&r, &o, &fs), 0);
	assert_non_null(fs);
	return fs;
}

static struct duet_fs *
fs_open(enum duet_links links)
{
	return fs_open_at(g_dir, links, 0, NULL);
}

struct ent {
	char path[PATH_MAX];
	int64_t size, mtime;
	int type, flags;
};

struct ents {
	struct ent v[MAXE];
	int n;
};

static int
collect(void *ctx, const struct duet_entry *e)
{
	struct ents *es = ctx;
	assert_true(es->n < MAXE);
	assert_int_equal(e->pathlen, strlen(e->path));
	memcpy(es->v[es->n].path, e->path, e->pathlen + 1);
	es->v[es->n].size = e->size;
	es->v[es->n].mtime = e->mtime;
	es->v[es->n].type = e->type;
	es->v[es->n].flags = e->flags;
	es->n++;
	return 0;
}

static const struct ent *
find(const struct ents *es, const char *path)
{
	for (int i = 0; i < es->n; i++)
		if (strcmp(es->v[i].path, path) == 0)
			return &es->v[i];
	return NULL;
}

static int
list(struct duet_fs *fs, const char *dir, struct ents *es)
{
	memset(es, 0, sizeof(*es));
	return fs->ops->list(fs, dir, collect, es);
}

/* Writes data to path through a stream and commits it with mtime. */
static int
wput(struct duet_fs *fs, const char *path, const char *data, int64_t mtime)
{
	struct duet_wstream *ws;
	int rc = fs->ops->open_write(fs, path, (int64_t)strlen(data), &ws);
	if (rc != 0)
		return rc;
	if ((rc = ws->ops->write(ws, data, strlen(data))) != 0) {
		ws->ops->abort(ws);
		return rc;
	}
	return ws->ops->commit(ws, mtime);
}

/* Reads all of path through a stream into buf (NUL-terminated). */
static int
rget(struct duet_fs *fs, const char *path, int64_t off, char *buf, size_t cap)
{
	struct duet_rstream *rs;
	size_t n = 0;
	ssize_t r;
	int rc = fs->ops->open_read(fs, path, off, &rs);
	if (rc != 0)
		return rc;
	while ((r = rs->ops->read(rs, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	rs->ops->close(rs);
	return r < 0 ? (int)r : 0;
}

static void
test_open_caps_canon(void **state)
{
	struct duet_fs *fs;
	char *real = realpath(g_dir, NULL), want[PATH_MAX + 16];
	(void)state;
	fs = fs_open(DUET_LINKS_SKIP);
	assert_string_equal(duet_local_backend.name, "local");
	assert_int_equal(fs->caps, DUET_CAP_MOVE | DUET_CAP_COPY | DUET_CAP_SETMTIME |
	                               DUET_CAP_DIRS | DUET_CAP_LOCAL | DUET_CAP_SLOW_HASH);
	assert_int_equal(fs->precision, 1);
	assert_int_equal(fs->hashes, DUET_HASH_ALL);
	assert_null(fs->file);
	assert_string_equal(fs->name, g_dir);
	snprintf(want, sizeof(want), "local:%s", real);
	assert_string_equal(fs->canon, want);
	duet_fs_close(fs);
	/* A root given through a symlink: canon is the real directory. */
	assert_int_equal(symlink(g_dir, P("self")), 0);
	fs = fs_open_at(P("self"), DUET_LINKS_SKIP, 0, NULL);
	assert_string_equal(fs->canon, want);
	duet_fs_close(fs);
	free(real);
}

static void
test_open_relative_and_missing(void **state)
{
	char cwd[PATH_MAX], want[PATH_MAX + 32], *real = realpath(g_dir, NULL);
	struct duet_entry e;
	struct ents es;
	struct duet_fs *fs;
	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(g_dir), 0);
	fs = fs_open_at("./new//deep/../root/", DUET_LINKS_SKIP, 0, NULL);
	assert_int_equal(chdir(cwd), 0);
	/* Relative and unclean: made absolute and clean, not created yet. */
	assert_string_equal(fs->name, P("new/root"));
	snprintf(want, sizeof(want), "local:%s/new/root", real);
	assert_string_equal(fs->canon, want);
	assert_false(exists("new"));
	assert_int_equal(list(fs, "", &es), DUET_E_NOTFOUND);
	assert_int_equal(fs->ops->stat(fs, "", &e), DUET_E_NOTFOUND);
	assert_int_equal(fs->ops->stat(fs, "x", &e), DUET_E_NOTFOUND);
	/* The first write creates the root (mkdir -p) and the file's parents. */
	assert_int_equal(wput(fs, "sub/x", "hi", T0), 0);
	assert_true(exists("new/root/sub/x"));
	assert_int_equal(fs->ops->stat(fs, "sub/x", &e), 0);
	assert_int_equal(e.size, 2);
	assert_int_equal(list(fs, "", &es), 0);
	assert_int_equal(es.n, 1);
	duet_fs_close(fs);
	/* mkdir("") creates a missing root too. */
	fs = fs_open_at(P("other/root"), DUET_LINKS_SKIP, 0, NULL);
	assert_int_equal(fs->ops->mkdir(fs, ""), 0);
	assert_true(exists("other/root"));
	duet_fs_close(fs);
	free(real);
}

static void
test_root_is_file(void **state)
{
	struct duet_entry e;
	struct duet_fs *fs;
	char buf[64];
	(void)state;
	put("file.txt", "content", T0);
	put("sibling", "s", T0);
	fs = fs_open_at(P("file.txt"), DUET_LINKS_SKIP, 0, NULL);
	assert_string_equal(fs->file, "file.txt");
	assert_int_equal(fs->ops->stat(fs, "file.txt", &e), 0);
	assert_int_equal(e.type, DUET_T_FILE);
	assert_int_equal(e.size, 7);
	assert_int_equal(e.mtime, T0);
	assert_int_equal(rget(fs, "file.txt", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "content");
	assert_int_equal(fs->ops->rmdir(fs, ""), DUET_E_NOTDIR); /* not the parent */
	duet_fs_close(fs);
	/* Named through a symlink: the root itself may be followed. */
	assert_int_equal(symlink("file.txt", P("link.txt")), 0);
	fs = fs_open_at(P("link.txt"), DUET_LINKS_SKIP, 0, NULL);
	assert_string_equal(fs->file, "link.txt");
	assert_int_equal(fs->ops->stat(fs, "link.txt", &e), 0);
	assert_int_equal(e.size, 7);
	assert_int_equal(rget(fs, "link.txt", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "content");
	duet_fs_close(fs);
}

static void
test_list_and_mtime_ns(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP);
	const struct ent *x;
	struct duet_entry e;
	struct ents es;
	(void)state;
	assert_int_equal(mkdir(P("d"), 0755), 0);
	put("a", "12345", T0);
	put("d/b", "", T0 + 1);
	assert_int_equal(list(fs, "", &es), 0);
	assert_int_equal(es.n, 2);
	x = find(&es, "a");
	assert_non_null(x);
	assert_int_equal(x->type, DUET_T_FILE);
	assert_int_equal(x->size, 5);
	assert_int_equal(x->mtime, T0);
	assert_int_equal(x->flags, 0);
	x = find(&es, "d");
	assert_non_null(x);
	assert_int_equal(x->type, DUET_T_DIR);
	assert_int_equal(x->size, -1);
	assert_int_equal(list(fs, "d", &es), 0);
	assert_int_equal(es.n, 1);
	assert_string_equal(es.v[0].path, "d/b");
	assert_int_equal(es.v[0].mtime, T0 + 1);
	assert_int_equal(list(fs, "a", &es), DUET_E_NOTDIR);
	assert_int_equal(list(fs, "nope", &es), DUET_E_NOTFOUND);
	assert_non_null(strstr(duet_err_msg(), P("nope")));
	/* Round trip through a stream, set_mtime, and before 1970. */
	assert_int_equal(wput(fs, "w", "x", T0 + 987654321), 0);
	assert_int_equal(fs->ops->stat(fs, "w", &e), 0);
	assert_int_equal(e.mtime, T0 + 987654321);
	assert_int_equal(fs->ops->set_mtime(fs, "w", 1234567890000000001LL), 0);
	assert_int_equal(fs->ops->stat(fs, "w", &e), 0);
	assert_int_equal(e.mtime, 1234567890000000001LL);
	assert_int_equal(fs->ops->set_mtime(fs, "w", -1500000001), 0);
	assert_int_equal(fs->ops->stat(fs, "w", &e), 0);
	assert_int_equal(e.mtime, -1500000001);
	assert_int_equal(fs->ops->set_mtime(fs, "d", T0 + 5), 0);
	assert_int_equal(fs->ops->stat(fs, "d", &e), 0);
	assert_int_equal(e.type, DUET_T_DIR);
	assert_int_equal(e.mtime, T0 + 5);
	duet_fs_close(fs);
}

static int
stop_at_first(void *ctx, const struct duet_entry *e)
{
	(void)e;
	++*(int *)ctx;
	return DUET_E_CANCELLED;
}

static void
test_list_callback_stops(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP);
	int calls = 0;
	(void)state;
	put("a", "1", T0);
	put("b", "2", T0);
	assert_int_equal(fs->ops->list(fs, "", stop_at_first, &calls), DUET_E_CANCELLED);
	assert_int_equal(calls, 1);
	duet_fs_close(fs);
}

static void
test_symlink_skip(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP);
	struct duet_entry e;
	struct ents es;
	(void)state;
	assert_int_equal(mkdir(P("d"), 0755), 0);
	put("d/f", "x", T0);
	assert_int_equal(symlink("d/f", P("lf")), 0);
	assert_int_equal(mkdir(P("sub"), 0755), 0);
	assert_int_equal(symlink("../d", P("sub/ld")), 0);
	assert_int_equal(list(fs, "", &es), 0);
	assert_int_equal(es.n, 2); /* d and sub */
	assert_null(find(&es, "lf"));
	assert_int_equal(g_log.notices, 1);
	assert_string_equal(g_log.object, "lf");
	assert_string_equal(g_log.msg, "Can't follow symlink without -L/--copy-links");
	assert_int_equal(list(fs, "sub", &es), 0);
	assert_int_equal(es.n, 0);
	assert_int_equal(g_log.notices, 2);
	assert_string_equal(g_log.object, "sub/ld");
	/* stat agrees with the listing: there is no file "lf". */
	assert_int_equal(fs->ops->stat(fs, "lf", &e), DUET_E_NOTFOUND);
	assert_int_equal(fs->ops->open_read(fs, "lf", 0, &(struct duet_rstream *){0}), DUET_E_LOOP);
	duet_fs_close(fs);
}

/* A symlinked directory inside the tree is never walked through. */
static void
test_symlinked_dir_not_followed(void **state)
{
	struct duet_fs *fs;
	struct duet_rstream *rs;
	struct duet_wstream *ws;
	struct duet_entry e;
	struct ents es;
	(void)state;
	assert_int_equal(mkdir(P("outside"), 0755), 0);
	put("outside/secret", "s", T0);
	assert_int_equal(mkdir(P("root"), 0755), 0);
	assert_int_equal(symlink("../outside", P("root/ld")), 0);
	fs = fs_open_at(P("root"), DUET_LINKS_SKIP, 0, NULL);
	assert_int_equal(list(fs, "ld", &es), DUET_E_LOOP);
	assert_int_equal(es.n, 0);
	assert_int_equal(duet_err_code(), DUET_E_LOOP);
	assert_non_null(strstr(duet_err_msg(), "root/ld"));
	assert_int_equal(fs->ops->stat(fs, "ld/secret", &e), DUET_E_LOOP);
	assert_int_equal(fs->ops->open_read(fs, "ld/secret", 0, &rs), DUET_E_LOOP);
	assert_int_equal(fs->ops->open_write(fs, "ld/new", 1, &ws), DUET_E_LOOP);
	assert_int_equal(fs->ops->open_write(fs, "ld/secret", 1, &ws), DUET_E_LOOP);
	assert_int_equal(fs->ops->mkdir(fs, "ld/x"), DUET_E_LOOP);
	assert_int_equal(fs->ops->remove(fs, "ld/secret"), DUET_E_LOOP);
	assert_int_equal(fs->ops->move(fs, "ld/secret", "stolen"), DUET_E_LOOP);
	assert_int_equal(fs->ops->set_mtime(fs, "ld/secret", T0 + 1), DUET_E_LOOP);
	assert_int_equal(count_dir("outside"), 1);
	assert_int_equal(fs->ops->stat(fs, "ld", &e), DUET_E_NOTFOUND);
	duet_fs_close(fs);
	/* STORE mode does not walk through it either. */
	fs = fs_open_at(P("root"), DUET_LINKS_STORE, 0, NULL);
	assert_int_equal(list(fs, "ld", &es), DUET_E_LOOP);
	duet_fs_close(fs);
	/* FOLLOW does. */
	fs = fs_open_at(P("root"), DUET_LINKS_FOLLOW, 0, NULL);
	assert_int_equal(list(fs, "ld", &es), 0);
	assert_int_equal(es.n, 1);
	assert_string_equal(es.v[0].path, "ld/secret");
	duet_fs_close(fs);
}

static void
test_symlink_follow(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_FOLLOW);
	const struct ent *x;
	struct ents es;
	char buf[16];
	(void)state;
	assert_int_equal(mkdir(P("d"), 0755), 0);
	put("d/f", "hello", T0);
	assert_int_equal(symlink("d/f", P("lf")), 0);
	assert_int_equal(symlink("d", P("ld")), 0);
	assert_int_equal(symlink("nowhere", P("broken")), 0);
	assert_int_equal(symlink("..", P("d/up")), 0); /* a loop back to the root */
	assert_int_equal(list(fs, "", &es), 0);
	assert_int_equal(es.n, 3); /* d, lf, ld */
	x = find(&es, "lf");
	assert_non_null(x);
	assert_int_equal(x->type, DUET_T_FILE);
	assert_int_equal(x->size, 5);
	assert_int_equal(x->mtime, T0);
	assert_int_equal(x->flags, 0);
	x = find(&es, "ld");
	assert_non_null(x);
	assert_int_equal(x->type, DUET_T_DIR);
	assert_int_equal(g_log.notices, 1);
	assert_string_equal(g_log.object, "broken");
	assert_int_equal(list(fs, "ld", &es), 0);
	assert_int_equal(es.n, 1); /* f; up is a loop */
	assert_string_equal(es.v[0].path, "ld/f");
	assert_int_equal(g_log.notices, 2);
	assert_string_equal(g_log.object, "ld/up");
	assert_int_equal(rget(fs, "ld/f", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "hello");
	assert_int_equal(rget(fs, "lf", 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ello");
	duet_fs_close(fs);
}

static void
test_symlink_store(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_STORE);
	struct timespec ts[2] = {{0, UTIME_OMIT}, {1500000000, 42}};
	static const unsigned char md5_target[16] = {/* md5("d/f") */
	                                             0x4a, 0xbb, 0x9b, 0x2c, 0x53, 0xb4,
	                                             0xab, 0x8a, 0x11, 0xa7, 0x38, 0xf6,
	                                             0x61, 0xa6, 0xb6, 0x08};
	struct duet_hashes h;
	const struct ent *x;
	struct duet_entry e;
	struct ents es;
	char buf[64];
	struct stat st;
	(void)state;
	assert_int_equal(mkdir(P("d"), 0755), 0);
	put("d/f", "hello", T0);
	assert_int_equal(symlink("d/f", P("lf")), 0);
	assert_int_equal(utimensat(AT_FDCWD, P("lf"), ts, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(list(fs, "", &es), 0);
	assert_int_equal(es.n, 2);
	x = find(&es, "lf.rclonelink");
	assert_non_null(x);
	assert_int_equal(x->type, DUET_T_FILE);
	assert_int_equal(x->size, 3);
	assert_int_equal(x->mtime, 1500000000000000042LL);
	assert_int_equal(x->flags, DUET_EF_LINK);
	assert_int_equal(g_log.notices, 0);
	assert_int_equal(fs->ops->stat(fs, "lf.rclonelink", &e), 0);
	assert_int_equal(e.size, 3);
	assert_int_equal(e.flags, DUET_EF_LINK);
	assert_int_equal(rget(fs, "lf.rclonelink", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "d/f");
	assert_int_equal(fs->ops->hash(fs, "lf.rclonelink", DUET_HASH_MD5, &h), 0);
	assert_memory_equal(h.v[DUET_HASH_MD5], md5_target, 16);
	/* Writing NAME.rclonelink makes the symlink NAME at commit. */
	assert_int_equal(wput(fs, "sub/new.rclonelink", "../d/f", T0), 0);
	assert_int_equal(lstat(P("sub/new"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal((int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, T0);
	assert_int_equal(readlink(P("sub/new"), buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "../d/f", 6);
	assert_false(exists("sub/new.rclonelink"));
	assert_int_equal(count_dir("sub"), 1);
	/* Replacing it, copying, moving and removing act on the link. */
	assert_int_equal(wput(fs, "sub/new.rclonelink", "elsewhere", 0), 0);
	assert_int_equal(readlink(P("sub/new"), buf, sizeof(buf)), 9);
	assert_int_equal(fs->ops->copy(fs, "lf.rclonelink", "c.rclonelink"), 0);
	assert_int_equal(readlink(P("c"), buf, sizeof(buf)), 3);
	assert_int_equal(fs->ops->move(fs, "sub/new.rclonelink", "m.rclonelink"), 0);
	assert_int_equal(lstat(P("m"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(fs->ops->remove(fs, "m.rclonelink"), 0);
	assert_false(exists("m"));
	/* A NUL in the target cannot be a symlink; nothing is left behind. */
	{
		struct duet_wstream *ws;
		assert_int_equal(fs->ops->open_write(fs, "bad.rclonelink", 3, &ws), 0);
		assert_int_equal(ws->fd, -1);
		assert_int_equal(ws->ops->write(ws, "a\0b", 3), 0);
		assert_int_equal(ws->ops->commit(ws, 0), DUET_E_BADNAME);
	}
	assert_int_equal(count_dir(""), 4); /* d lf sub c; nothing of "bad" */
	duet_fs_close(fs);
}

/* Finds the one temp file in rel and checks its name shape. */
static void
check_temp(const char *rel, const char *prefix, const char *suffix)
{
	struct dirent *de;
	DIR *d = opendir(P(rel));
	int n = 0;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t pl = strlen(prefix), sl = strlen(suffix), l = strlen(de->d_name);
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		n++;
		assert_int_equal(l, pl + 8 + sl);
		assert_memory_equal(de->d_name, prefix, pl);
		assert_int_equal(strspn(de->d_name + pl, "0123456789abcdef"), 8);
		assert_string_equal(de->d_name + pl + 8, suffix);
	}
	closedir(d);
	assert_int_equal(n, 1);
}

static void
test_write_temp_names(void **state)
{
	struct duet_fs *fs = fs_open_at(g_dir, DUET_LINKS_SKIP, 0, ".part");
	char name[300], path[310], *s;
	struct duet_wstream *ws;
	(void)state;
	assert_int_equal(fs->ops->open_write(fs, "d/f", 2, &ws), 0);
	assert_true(ws->fd >= 0);
	assert_int_equal(write(ws->fd, "ab", 2), 2); /* the engine writes to the fd */
	check_temp("d", "f.", ".part");
	assert_false(exists("d/f"));
	assert_int_equal(ws->ops->commit(ws, T0), 0);
	assert_int_equal(count_dir("d"), 1);
	assert_string_equal((s = get("d/f")), "ab");
	free(s);
	duet_fs_close(fs);
	/* Default suffix; a 255-byte name gets a short temp name. */
	fs = fs_open(DUET_LINKS_SKIP);
	assert_int_equal(fs->ops->open_write(fs, "e/g", 0, &ws), 0);
	check_temp("e", "g.", ".partial");
	ws->ops->abort(ws);
	memset(name, 'n', 255);
	name[255] = '\0';
	snprintf(path, sizeof(path), "e/%s", name);
	assert_int_equal(fs->ops->open_write(fs, path, 0, &ws), 0);
	check_temp("e", ".duet-", ".partial");
	assert_int_equal(ws->ops->commit(ws, 0), 0);
	assert_true(exists(path));
	strcat(path, "x"); /* 256 bytes */
	assert_int_equal(fs->ops->open_write(fs, path, 0, &ws), DUET_E_NAMETOOLONG);
	duet_fs_close(fs);
}

static void
test_commit_atomic_and_abort(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP);
	struct duet_wstream *ws;
	struct duet_entry e;
	char *s;
	(void)state;
	put("f", "old", T0);
	assert_int_equal(fs->ops->open_write(fs, "f", 11, &ws), 0);
	assert_int_equal(ws->ops->write(ws, "new content", 11), 0);
	assert_string_equal((s = get("f")), "old"); /* until commit */
	free(s);
	assert_int_equal(ws->ops->commit(ws, T0 + 7), 0);
	assert_string_equal((s = get("f")), "new content");
	free(s);
	assert_int_equal(fs->ops->stat(fs, "f", &e), 0);
	assert_int_equal(e.mtime, T0 + 7);
	/* Abort: the old content stays, no temp file, also in new dirs. */
	assert_int_equal(fs->ops->open_write(fs, "f", 3, &ws), 0);
	assert_int_equal(ws->ops->write(ws, "xyz", 3), 0);
	ws->ops->abort(ws);
	assert_string_equal((s = get("f")), "new content");
	free(s);
	assert_int_equal(count_dir(""), 1);
	assert_int_equal(fs->ops->open_write(fs, "n/m", 3, &ws), 0);
	ws->ops->abort(ws);
	assert_int_equal(count_dir("n"), 0);
	/* A commit that cannot rename (a directory is in the way) removes the
	 * temp file. */
	assert_int_equal(mkdir(P("n/dir"), 0755), 0);
	put("n/dir/x", "x", 0);
	assert_int_equal(fs->ops->open_write(fs, "n/dir", 1, &ws), 0);
	assert_int_equal(ws->ops->write(ws, "z", 1), 0);
	assert_true(ws->ops->commit(ws, 0) < 0);
	assert_int_equal(count_dir("n"), 1);
	duet_fs_close(fs);
}

static void
test_inplace(void **state)
{
	struct duet_fs *fs = fs_open_at(g_dir, DUET_LINKS_SKIP, 1, NULL);
	struct duet_wstream *ws;
	struct duet_entry e;
	char *s;
	(void)state;
	put("f", "old content", T0);
	assert_int_equal(fs->ops->open_write(fs, "f", 3, &ws), 0);
	assert_int_equal(count_dir(""), 1); /* no temp file */
	assert_int_equal(ws->ops->write(ws, "new", 3), 0);
	assert_string_equal((s = get("f")), "new"); /* written directly */
	free(s);
	assert_int_equal(ws->ops->commit(ws, T0 + 3), 0);
	assert_int_equal(fs->ops->stat(fs, "f", &e), 0);
	assert_int_equal(e.mtime, T0 + 3);
	assert_int_equal(e.size, 3);
	/* Aborting a file the stream created removes it. */
	assert_int_equal(fs->ops->open_write(fs, "g", 1, &ws), 0);
	assert_true(exists("g"));
	ws->ops->abort(ws);
	assert_false(exists("g"));
	duet_fs_close(fs);
}

static void
test_odd_names(void **state)
{
	static const char *names[] = {"a\nb", "\xff\xfe", " lead and trail ", "\x01"};
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP);
	char name255[256], buf[32];
	struct duet_entry e;
	struct ents es;
	(void)state;
	memset(name255, 'z', 255);
	name255[255] = '\0';
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(wput(fs, names[i], names[i], T0), 0);
	assert_int_equal(wput(fs, name255, "long", T0), 0);
	assert_int_equal(list(fs, "", &es), 0);
	assert_int_equal(es.n, 5);
	for (size_t i = 0; i < 4; i++) {
		assert_non_null(find(&es, names[i]));
		assert_true(exists(names[i]));
		assert_int_equal(rget(fs, names[i], 0, buf, sizeof(buf)), 0);
		assert_string_equal(buf, names[i]);
	}
	assert_non_null(find(&es, name255));
	assert_int_equal(fs->ops->stat(fs, name255, &e), 0);
	assert_int_equal(e.size, 4);
	duet_fs_close(fs);
}

static void
test_bad_paths(void **state)
{
	static const char *bad[] = {"..", "../x", "a/../b", "a//b", "./a", "a/", "/a", ""};
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP);
	struct duet_rstream *rs;
	struct duet_wstream *ws;
	(void)state;
	put("a", "1", 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fs->ops->open_read(fs, bad[i], 0, &rs), DUET_E_BADNAME);
		assert_int_equal(fs->ops->open_write(fs, bad[i], 0, &ws), DUET_E_BADNAME);
		assert_int_equal(fs->ops->remove(fs, bad[i]), DUET_E_BADNAME);
	}
	assert_int_equal(count_dir(""), 1);
	duet_fs_close(fs);
}

/* Runs the permission checks; returns a failing step's number or 0. */
static int
perm_checks(void)
{
	struct duet_fs *fs = NULL;
	struct duet_remote r = {0};
	struct duet_wstream *ws;
	struct duet_entry e;
	struct ents es;
	int step = 0;
	r.path = g_dir;
	if (duet_local_backend.open(&r, NULL, &fs) != 0)
		return 1;
	if (++step, list(fs, "locked", &es) != DUET_E_PERM)
		goto out;
	if (++step, strstr(duet_err_msg(), "locked") == NULL)
		goto out;
	if (++step, fs->ops->stat(fs, "locked/f", &e) != DUET_E_PERM)
		goto out;
	if (++step, fs->ops->open_write(fs, "locked/g", 0, &ws) != DUET_E_PERM)
		goto out;
	if (++step, fs->ops->open_write(fs, "ro", 0, &ws) != DUET_E_PERM)
		goto out;
	step = 0;
out:
	duet_fs_close(fs);
	return step;
}

/* Permission denied needs an unprivileged process: as root, the checks run
 * in a child that drops to nobody (65534) first. */
static void
test_permission_denied(void **state)
{
	pid_t pid;
	int status;
	(void)state;
	assert_int_equal(mkdir(P("locked"), 0755), 0);
	put("locked/f", "x", 0);
	assert_int_equal(chmod(P("locked"), 0), 0);
	assert_int_equal(mkdir(P("ro"), 0755), 0);
	assert_int_equal(chmod(P("ro"), 0555), 0);
	assert_int_equal(chmod(g_dir, 0555), 0); /* nobody may write here either */
	if (geteuid() != 0) {
		assert_int_equal(perm_checks(), 0);
	} else {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
			    setresuid(65534, 65534, 65534) != 0)
				_exit(100);
			_exit(perm_checks());
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(chmod(g_dir, 0700), 0);
	assert_int_equal(chmod(P("locked"), 0755), 0);
	assert_int_equal(count_dir("ro"), 0);
}

static void
test_disk_full(void **state)
{
	struct duet_fs *fs;
	struct duet_wstream *ws;
	static char chunk[64 * 1024];
	int rc = 0;
	(void)state;
	assert_int_equal(mkdir(P("small"), 0755), 0);
	if (mount("tmpfs", P("small"), "tmpfs", 0, "size=1m") != 0) {
		print_message("disk full test skipped: cannot mount tmpfs (%s)\n", strerror(errno));
		skip();
	}
	fs = fs_open_at(P("small"), DUET_LINKS_SKIP, 0, NULL);
	memset(chunk, 'q', sizeof(chunk));
	assert_int_equal(fs->ops->open_write(fs, "big", 2 << 20, &ws), 0);
	for (int i = 0; i < 32 && rc == 0; i++)
		rc = ws->ops->write(ws, chunk, sizeof(chunk));
	assert_int_equal(rc, DUET_E_NOSPC);
	assert_non_null(strstr(duet_err_msg(), "disk full"));
	assert_non_null(strstr(duet_err_msg(), "small/big"));
	assert_int_equal(count_dir("small"), 0);                    /* removed at once */
	assert_int_equal(ws->ops->write(ws, "x", 1), DUET_E_NOSPC); /* sticky */
	assert_int_equal(ws->ops->commit(ws, 0), DUET_E_NOSPC);
	assert_int_equal(count_dir("small"), 0);
	duet_fs_close(fs);
	assert_int_equal(umount(P("small")), 0);
}

static void
test_tree_ops(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP), *fs2;
	struct duet_entry e;
	char *s;
	(void)state;
	assert_int_equal(fs->ops->mkdir(fs, "a/b/c"), 0);
	assert_int_equal(fs->ops->mkdir(fs, "a/b/c"), 0);
	assert_int_equal(fs->ops->stat(fs, "a/b/c", &e), 0);
	assert_int_equal(e.type, DUET_T_DIR);
	put("a/file", "f", T0);
	assert_int_equal(fs->ops->mkdir(fs, "a/file/x"), DUET_E_NOTDIR);
	assert_int_equal(fs->ops->mkdir(fs, "a/file"), DUET_E_NOTDIR);
	assert_int_equal(fs->ops->rmdir(fs, "a/b"), DUET_E_NOTEMPTY);
	assert_int_equal(fs->ops->rmdir(fs, "a/b/c"), 0);
	assert_false(exists("a/b/c"));
	assert_int_equal(fs->ops->rmdir(fs, "a/file"), DUET_E_NOTDIR);
	assert_int_equal(fs->ops->remove(fs, "a/b"), DUET_E_ISDIR);
	assert_int_equal(fs->ops->remove(fs, "a/nope"), DUET_E_NOTFOUND);
	assert_non_null(strstr(duet_err_msg(), "remove"));
	assert_non_null(strstr(duet_err_msg(), P("a/nope")));
	/* move: creates dst's parents and replaces dst, keeps the mtime. */
	assert_int_equal(mkdir(P("x"), 0755), 0);
	put("x/old", "old", T0 + 9);
	assert_int_equal(fs->ops->move(fs, "a/file", "x/y/z"), 0);
	assert_int_equal(fs->ops->move(fs, "x/y/z", "x/old"), 0);
	assert_string_equal((s = get("x/old")), "f");
	free(s);
	assert_int_equal(fs->ops->stat(fs, "x/old", &e), 0);
	assert_int_equal(e.mtime, T0);
	assert_int_equal(fs->ops->move(fs, "missing", "q/r"), DUET_E_NOTFOUND);
	assert_false(exists("q"));
	/* copy: content and mtime, source kept. */
	assert_int_equal(fs->ops->copy(fs, "x/old", "c/copy"), 0);
	assert_string_equal((s = get("c/copy")), "f");
	free(s);
	assert_int_equal(fs->ops->stat(fs, "c/copy", &e), 0);
	assert_int_equal(e.mtime, T0);
	assert_true(exists("x/old"));
	assert_int_equal(count_dir("c"), 1);
	/* move_from another local fs. */
	assert_int_equal(mkdir(P("other"), 0755), 0);
	fs2 = fs_open_at(P("other"), DUET_LINKS_SKIP, 0, NULL);
	assert_int_equal(fs2->ops->move_from(fs2, fs, "c/copy", "in/moved"), 0);
	assert_true(exists("other/in/moved"));
	assert_false(exists("c/copy"));
	duet_fs_close(fs2);
	/* rmdir of the root itself. */
	fs2 = fs_open_at(P("c"), DUET_LINKS_SKIP, 0, NULL);
	assert_int_equal(fs2->ops->rmdir(fs2, ""), 0);
	assert_false(exists("c"));
	duet_fs_close(fs2);
	duet_fs_close(fs);
}

static void
test_read_offset_and_specials(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP);
	struct duet_rstream *rs;
	struct ents es;
	char buf[32];
	(void)state;
	put("f", "0123456789", T0);
	assert_int_equal(fs->ops->open_read(fs, "f", 4, &rs), 0);
	assert_true(rs->fd >= 0);
	assert_int_equal(rs->size, 10);
	assert_int_equal(lseek(rs->fd, 0, SEEK_CUR), 4);
	assert_int_equal(rs->ops->read(rs, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "456789", 6);
	assert_int_equal(rs->ops->read(rs, buf, sizeof(buf)), 0);
	rs->ops->close(rs);
	assert_int_equal(mkdir(P("d"), 0755), 0);
	assert_int_equal(fs->ops->open_read(fs, "d", 0, &rs), DUET_E_ISDIR);
	assert_int_equal(fs->ops->open_read(fs, "nope", 0, &rs), DUET_E_NOTFOUND);
	/* A fifo: skipped by list with a NOTICE, and opening it does not block. */
	assert_int_equal(mkfifo(P("fifo"), 0644), 0);
	assert_int_equal(list(fs, "", &es), 0);
	assert_int_equal(es.n, 2);
	assert_int_equal(g_log.notices, 1);
	assert_string_equal(g_log.object, "fifo");
	assert_int_equal(fs->ops->open_read(fs, "fifo", 0, &rs), DUET_E_UNSUPPORTED);
	duet_fs_close(fs);
}

static void
test_hash(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP);
	struct duet_hashes h;
	char hex[2 * DUET_HASH_MAXLEN + 1];
	(void)state;
	put("f", "hello", T0);
	assert_int_equal(fs->ops->hash(fs, "f", DUET_HASH_MD5, &h), 0);
	assert_true(h.mask & DUET_HASH_BIT(DUET_HASH_MD5));
	duet_hash_hex(&h, DUET_HASH_MD5, hex);
	assert_string_equal(hex, "5d41402abc4b2a76b9719d911017c592");
	assert_int_equal(fs->ops->hash(fs, "f", DUET_HASH_SHA1, &h), 0);
	duet_hash_hex(&h, DUET_HASH_SHA1, hex);
	assert_string_equal(hex, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
	assert_int_equal(fs->ops->hash(fs, "nope", DUET_HASH_MD5, &h), DUET_E_NOTFOUND);
	duet_fs_close(fs);
}

static void
test_copy_fd(void **state)
{
	int in, out, p[2];
	char *s;
	(void)state;
	put("src", "abcdefghij", 0);
	in = open(P("src"), O_RDONLY);
	out = open(P("dst"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(duet_copy_fd(in, out, NULL), 10);
	assert_string_equal((s = get("dst")), "abcdefghij");
	free(s);
	/* From the current offsets to the end. */
	assert_int_equal(lseek(in, 7, SEEK_SET), 7);
	assert_int_equal(duet_copy_fd(in, out, NULL), 3);
	assert_string_equal((s = get("dst")), "abcdefghijhij");
	free(s);
	close(in);
	close(out);
	/* A pipe cannot be joined by copy_file_range: read/write fallback. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "piped", 5), 5);
	close(p[1]);
	out = open(P("dst2"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(duet_copy_fd(p[0], out, NULL), 5);
	close(p[0]);
	close(out);
	assert_string_equal((s = get("dst2")), "piped");
	free(s);
	/* A read-only destination fd is an error, with a message. */
	in = open(P("src"), O_RDONLY);
	out = open(P("dst2"), O_RDONLY);
	assert_true(duet_copy_fd(in, out, NULL) < 0);
	close(in);
	close(out);
}

/* One pass over every operation; each either works or fails cleanly with
 * DUET_E_NOMEM. Returns the first NOMEM step or 0. */
static int
alloc_pass(void)
{
	struct duet_fs *fs = NULL;
	struct duet_remote r = {0};
	struct duet_fs_opts o = {.links = DUET_LINKS_STORE, .no_fsync = 1};
	struct duet_hashes h;
	struct ents es;
	char buf[16];
	int rc, step = 0;

	r.path = (char *)P("root");
	if ((rc = duet_local_backend.open(&r, &o, &fs)) != 0)
		goto out;
#define STEP(x)                                                                                    \
	do {                                                                                       \
		step++;                                                                            \
		if ((rc = (x)) != 0)                                                               \
			goto out;                                                                  \
	} while (0)
	STEP(wput(fs, "d/f", "data", T0));
	STEP(list(fs, "d", &es));
	STEP(rget(fs, "d/f", 0, buf, sizeof(buf)));
	STEP(wput(fs, "l.rclonelink", "d/f", T0));
	STEP(rget(fs, "l.rclonelink", 0, buf, sizeof(buf)));
	STEP(fs->ops->copy(fs, "d/f", "e/f"));
	STEP(fs->ops->hash(fs, "d/f", DUET_HASH_SHA256, &h));
	STEP(fs->ops->move(fs, "e/f", "g"));
#undef STEP
out:
	duet_fs_close(fs);
	assert_true(rc == 0 || rc == DUET_E_NOMEM);
	return rc == 0 ? 0 : step + 1;
}

static int
is_temp(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	return strstr(p + ftw->base, ".partial") != NULL;
}

/* Failing the Nth allocation, for every N, leaks nothing (ASan) and
 * leaves no temp file. */
static void
test_alloc_failures(void **state)
{
	long n, before;
	(void)state;
	for (n = 1;; n++) {
		before = duet_alloc_count();
		duet_alloc_fail_at(n);
		alloc_pass();
		duet_alloc_fail_at(0);
		if (duet_alloc_count() - before < n)
			break; /* no allocation failed: all paths covered */
		if (!exists("root"))
			continue;
		assert_int_equal(nftw(P("root"), is_temp, 16, FTW_PHYS), 0);
		assert_int_equal(nftw(P("root"), rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	}
	assert_true(n > 5);
	assert_int_equal(alloc_pass(), 0);
	assert_int_equal(count_dir("root"), 4); /* d l e g: no temp files */
}

/* The conformance suite on a fresh scratch directory per test. */
static char g_conf_dir[PATH_MAX];

static int
conf_open(void *ctx, struct duet_fs **out)
{
	struct duet_remote r = {0};
	(void)ctx;
	snprintf(g_conf_dir, sizeof(g_conf_dir), "/tmp/duet-local-conf-XXXXXX");
	if (mkdtemp(g_conf_dir) == NULL)
		return DUET_E_IO;
	r.path = g_conf_dir;
	return duet_local_backend.open(&r, NULL, out);
}

static void
conf_cleanup(void *ctx)
{
	(void)ctx;
	nftw(g_conf_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Leftovers of killed transfers (our temp names) are never listed;
 * look-alike names that are not ours are. */
static void
test_list_skips_temp_leftovers(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP);
	struct ents *es = calloc(1, sizeof(*es));
	(void)state;
	put("f.txt", "x", T0);
	put("f.txt.0a1b2c3d.partial", "half", T0);
	put(".duet-deadbeef.partial", "half", T0);
	put("f.txt.0A1B2C3D.partial", "upper hex: not ours", T0);
	put("f.txt.0a1b2c3.partial", "7 digits: not ours", T0);
	put("notes.partial", "a user's file", T0);
	list(fs, "", es);
	assert_non_null(find(es, "f.txt"));
	assert_null(find(es, "f.txt.0a1b2c3d.partial"));
	assert_null(find(es, ".duet-deadbeef.partial"));
	assert_non_null(find(es, "f.txt.0A1B2C3D.partial"));
	assert_non_null(find(es, "f.txt.0a1b2c3.partial"));
	assert_non_null(find(es, "notes.partial"));
	free(es);
	duet_fs_close(fs);
}

/* Group commit: queued files stay invisible until flush, which renames
 * them all and reports each tag; closing without a flush discards them. */
struct flushed {
	int calls;
	void *tags[4];
	int codes[4];
};

static void
on_flushed(void *ctx, void *tag, int code)
{
	struct flushed *f = ctx;
	if (f->calls < 4) {
		f->tags[f->calls] = tag;
		f->codes[f->calls] = code;
	}
	f->calls++;
}

static void
test_group_commit(void **state)
{
	struct duet_fs *fs = fs_open(DUET_LINKS_SKIP);
	struct duet_wstream *ws;
	struct flushed fl = {0};
	struct duet_entry e;
	int a, b;
	char *s;
	(void)state;
	put("old", "old", T0);
	assert_int_equal(fs->ops->open_write(fs, "old", 3, &ws), 0);
	assert_int_equal(ws->ops->write(ws, "new", 3), 0);
	assert_int_equal(ws->ops->commit_later(ws, T0 + 5, &a), 0);
	assert_int_equal(fs->ops->open_write(fs, "e/fresh", 2, &ws), 0);
	assert_int_equal(ws->ops->write(ws, "hi", 2), 0);
	assert_int_equal(ws->ops->commit_later(ws, T0 + 6, &b), 0);
	/* Queued: the old content and no new name are visible yet. */
	assert_string_equal((s = get("old")), "old");
	free(s);
	assert_false(exists("e/fresh"));
	assert_int_equal(fs->ops->flush(fs, on_flushed, &fl), 0);
	assert_int_equal(fl.calls, 2);
	assert_ptr_equal(fl.tags[0], &a); /* in commit order */
	assert_ptr_equal(fl.tags[1], &b);
	assert_int_equal(fl.codes[0], 0);
	assert_string_equal((s = get("old")), "new");
	free(s);
	assert_int_equal(fs->ops->stat(fs, "e/fresh", &e), 0);
	assert_int_equal(e.mtime, T0 + 6);
	assert_int_equal(count_dir(""), 2);  /* old, e: no temp files left */
	assert_int_equal(count_dir("e"), 1);
	/* An empty flush calls nothing. */
	assert_int_equal(fs->ops->flush(fs, on_flushed, &fl), 0);
	assert_int_equal(fl.calls, 2);
	/* Closing with a commit still queued leaves no trace of it. */
	assert_int_equal(fs->ops->open_write(fs, "never", 1, &ws), 0);
	assert_int_equal(ws->ops->write(ws, "x", 1), 0);
	assert_int_equal(ws->ops->commit_later(ws, T0, &a), 0);
	duet_fs_close(fs);
	assert_false(exists("never"));
	assert_int_equal(count_dir(""), 2);
}

int
main(void)
{
	const struct duet_conf_target local = {"local", conf_open, conf_cleanup, NULL};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_caps_canon, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_skips_temp_leftovers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_relative_and_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_root_is_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_and_mtime_ns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_callback_stops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_skip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlinked_dir_not_followed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_follow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_temp_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_atomic_and_abort, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inplace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_odd_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_permission_denied, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_ops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_offset_and_specials, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hash, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_fd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	return (failed + duet_conformance_run(&local)) != 0;
}
