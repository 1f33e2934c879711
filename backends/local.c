/*
 * local.c: the local filesystem backend. All access is relative to one
 * directory fd on the root (opened lazily when the root does not exist
 * yet), walking paths one component at a time with openat(O_NOFOLLOW), so
 * a symlink inside the tree is never followed unless links == FOLLOW.
 * Invariants: a write is visible under its final name only after commit
 * (temp file, futimens, fsync, renameat); a failed or aborted write leaves
 * no file behind; errno is turned into DUET_E_* only in lfs_err().
 */
#define _GNU_SOURCE /* O_PATH */
#include "local.h"

#include <dirent.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"
#include "core/remote.h"
#include "local_int.h"

int
lfs_err(const struct local_fs *fs, int e, const char *op, const char *path, int len)
{
	const char *dir = fs != NULL ? fs->dir : "", *why;
	char what[768];
	int code, full;

	if (path == NULL)
		path = "";
	full = (int)strnlen(path, INT_MAX);
	if (len < 0 || len > full)
		len = full;
	/* "local: OP /root/PATH", and the segment at fault when it is a
	 * parent: ": at \"a/b\"". */
	snprintf(what, sizeof(what), "local: %s%s%s%s%s%s%.*s%s", op,
	         dir[0] != '\0' || full > 0 ? " " : "", dir,
	         full > 0 && fs != NULL && strcmp(dir, "/") != 0 ? "/" : "", path,
	         len < full ? ": at \"" : "", len < full ? len : 0, path, len < full ? "\"" : "");
	switch (e) {
	case ELOOP:
		code = DUET_E_LOOP;
		why = fs != NULL && fs->links == DUET_LINKS_FOLLOW
		          ? "too many levels of symbolic links"
		          : "is a symbolic link, not followed without -L/--copy-links";
		break;
	case ENOSPC:
		code = DUET_E_NOSPC;
		why = "disk full (no space left on device)";
		break;
	case EDQUOT:
		code = DUET_E_NOSPC;
		why = "disk quota exceeded";
		break;
	default:
		code = duet_err_errno(e, "%s", what);
		return code < 0 ? code : DUET_E_IO; /* callers rely on non-zero */
	}
	return duet_err_set(code, "%s: %s", what, why);
}

static int
lfs_follow(const struct local_fs *fs)
{
	return fs->links == DUET_LINKS_FOLLOW;
}

int
lfs_nofollow(const struct local_fs *fs, int dfd, const char *base)
{
	if (lfs_follow(fs))
		return 0;
	if (fs->root_is_link && dfd == atomic_load(&fs->rootfd) && strcmp(base, fs->base.file) == 0)
		return 0;
	return O_NOFOLLOW;
}

void
lfs_close(const struct local_fs *fs, int fd)
{
	if (fd >= 0 && fd != atomic_load(&fs->rootfd))
		close(fd);
}

int64_t
lfs_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

void
lfs_times(int64_t mtime, struct timespec ts[2])
{
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = (time_t)(mtime / 1000000000);
	ts[1].tv_nsec = (long)(mtime % 1000000000);
	if (ts[1].tv_nsec < 0) {
		ts[1].tv_sec--;
		ts[1].tv_nsec += 1000000000;
	}
}

int
lfs_is_link(int dfd, const char *name)
{
	struct stat st;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

/* mkdir -p of an absolute path, outside the tree (symlinks followed). */
static int
lfs_mkdir_p(const char *abs)
{
	char *p = duet_strdup(abs);
	int e = 0;
	if (p == NULL)
		return ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			e = errno;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	duet_free(p);
	return e;
}

int
lfs_root(struct local_fs *fs, int create, int *out)
{
	int fd = atomic_load(&fs->rootfd), e = 0, rc = 0;

	if (fd >= 0) {
		*out = fd;
		return 0;
	}
	pthread_mutex_lock(&fs->mu);
	fd = atomic_load(&fs->rootfd);
	if (fd < 0) {
		fd = open(fs->dir, LFS_O_SEARCH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create && (e = lfs_mkdir_p(fs->dir)) == 0)
			fd = open(fs->dir, LFS_O_SEARCH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			rc = lfs_err(fs, e != 0 ? e : errno, create ? "create root" : "open root",
			             "", 0);
		else
			atomic_store(&fs->rootfd, fd);
	}
	pthread_mutex_unlock(&fs->mu);
	*out = fd;
	return rc;
}

/* After openat failed with e on dfd/name: ENOTDIR from a symlink that was
 * not followed reads better as ELOOP. */
static int
lfs_open_errno(const struct local_fs *fs, int dfd, const char *name, int e)
{
	struct stat st;
	if (e == ENOTDIR && !lfs_follow(fs) && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		return ELOOP;
	return e;
}

/* Checks one segment of a path given to us (the engine's or a listing's). */
static int
lfs_seg_check(const struct local_fs *fs, const char *path, const char *seg, size_t len)
{
	if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
		return duet_err_set(DUET_E_BADNAME, "local: invalid path \"%s\" in %s", path,
		                    fs->dir);
	if (len > NAME_MAX)
		return lfs_err(fs, ENAMETOOLONG, "open", path, (int)(seg - path + len));
	return 0;
}

int
lfs_step(struct local_fs *fs, int cur, const char *path, const char *seg, size_t len, int create,
         int *out)
{
	int flags = LFS_O_SEARCH | O_DIRECTORY | O_CLOEXEC, fd, rc;
	char name[NAME_MAX + 1];

	if ((rc = lfs_seg_check(fs, path, seg, len)) != 0)
		return rc;
	memcpy(name, seg, len);
	name[len] = '\0';
	if (!lfs_follow(fs))
		flags |= O_NOFOLLOW;
	fd = openat(cur, name, flags);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(cur, name, 0777) != 0 && errno != EEXIST)
			return lfs_err(fs, errno, "create directories for", path,
			               (int)(seg - path + len));
		fd = openat(cur, name, flags);
	}
	if (fd < 0)
		return lfs_err(fs, lfs_open_errno(fs, cur, name, errno),
		               create ? "create directories for" : "open", path,
		               (int)(seg - path + len));
	*out = fd;
	return 0;
}

/* openat2(2) resolves a whole relative path in one call while refusing
 * symlinks and escapes (RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH): the fast
 * path. Any failure returns -1 and the caller walks component by component,
 * which creates missing directories and gives the precise message. */
static atomic_int lfs_no_openat2;

static int
lfs_parent_fast(struct local_fs *fs, int root, const char *path, int *dfd, const char **base)
{
	struct open_how how;
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	long fd;

	if (slash == NULL || lfs_follow(fs) || atomic_load(&lfs_no_openat2) ||
	    (size_t)(slash - path) >= sizeof(dir))
		return -1;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	memset(&how, 0, sizeof(how));
	how.flags = LFS_O_SEARCH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, root, dir, &how, sizeof(how));
	if (fd < 0) {
		if (errno == ENOSYS || errno == EPERM)
			atomic_store(&lfs_no_openat2, 1);
		return -1;
	}
	*dfd = (int)fd;
	*base = slash + 1;
	return 0;
}

int
lfs_parent(struct local_fs *fs, const char *path, int create, int *dfd, const char **base)
{
	const char *p = path, *slash;
	char name[NAME_MAX + 1];
	int cur, next = -1, rc;

	*dfd = -1;
	/* Check every segment before touching anything. */
	for (const char *s = path;; s = slash + 1) {
		slash = strchr(s, '/');
		if (slash == NULL && lfs_linkname(fs, s, name))
			break; /* "X.rclonelink" may be longer than a name */
		if ((rc = lfs_seg_check(fs, path, s, slash ? (size_t)(slash - s) : strlen(s))) != 0)
			return rc;
		if (slash == NULL)
			break;
	}
	if ((rc = lfs_root(fs, create, &cur)) != 0)
		return rc;
	if (lfs_parent_fast(fs, cur, path, dfd, base) == 0)
		return 0;
	while ((slash = strchr(p, '/')) != NULL) {
		rc = lfs_step(fs, cur, path, p, (size_t)(slash - p), create, &next);
		lfs_close(fs, cur);
		if (rc != 0)
			return rc;
		cur = next;
		p = slash + 1;
	}
	*dfd = cur;
	*base = p;
	return 0;
}

int
lfs_linkname(const struct local_fs *fs, const char *base, char out[NAME_MAX + 1])
{
	size_t n = strlen(base);
	if (fs->links != DUET_LINKS_STORE || n <= LFS_LINK_SUFLEN ||
	    n - LFS_LINK_SUFLEN > NAME_MAX ||
	    memcmp(base + n - LFS_LINK_SUFLEN, LFS_LINK_SUFFIX, LFS_LINK_SUFLEN) != 0)
		return 0;
	memcpy(out, base, n - LFS_LINK_SUFLEN);
	out[n - LFS_LINK_SUFLEN] = '\0';
	return strcmp(out, ".") != 0 && strcmp(out, "..") != 0;
}

/* 1 when the directory st is dfd itself or one of its ancestors: a symlink
 * to it would make a -L walk endless. */
static int
lfs_is_ancestor(int dfd, const struct stat *st)
{
	char up[PATH_MAX] = ".";
	struct stat a, prev = {0};
	size_t n = 1;

	for (int i = 0; n + 3 < sizeof(up); i++) {
		if (fstatat(dfd, up, &a, 0) != 0)
			return 0;
		if (a.st_dev == st->st_dev && a.st_ino == st->st_ino)
			return 1;
		if (i > 0 && a.st_dev == prev.st_dev && a.st_ino == prev.st_ino)
			return 0; /* "/.." is "/": the top */
		prev = a;
		memcpy(up + (i == 0 ? 0 : n), i == 0 ? ".." : "/..", i == 0 ? 3 : 4);
		n = i == 0 ? 2 : n + 3;
	}
	return 0;
}

/*
 * Resolves a symlink met in a listing by the links mode: 1 to report *st
 * (replaced by the target's stat in FOLLOW mode; in STORE mode the suffix
 * is appended to path and *flags set), 0 to skip it.
 */
static int
lfs_list_link(struct local_fs *fs, int dfd, const char *name, struct stat *st, char *path,
              size_t *len, uint8_t *flags)
{
	struct stat t;

	switch (fs->links) {
	case DUET_LINKS_STORE:
		memcpy(path + *len, LFS_LINK_SUFFIX, LFS_LINK_SUFLEN + 1);
		*len += LFS_LINK_SUFLEN;
		*flags = DUET_EF_LINK;
		st->st_mode = S_IFREG;
		return 1;
	case DUET_LINKS_FOLLOW:
		if (fstatat(dfd, name, &t, 0) != 0) {
			duet_logo(DUET_LOG_NOTICE, path, "Can't follow symlink: %s",
			          errno == ENOENT ? "broken symlink"
			                          : duet_err_str(duet_err_from_errno(errno)));
			return 0;
		}
		if (S_ISDIR(t.st_mode) && lfs_is_ancestor(dfd, &t)) {
			duet_logo(DUET_LOG_NOTICE, path,
			          "Not following symlink to a parent directory (loop)");
			return 0;
		}
		*st = t;
		return 1;
	case DUET_LINKS_SKIP:
		break;
	}
	duet_logo(DUET_LOG_NOTICE, path, "Can't follow symlink without -L/--copy-links");
	return 0;
}

/* Stats one child and hands it to fn. Errors that concern only this child
 * are logged and stored in *soft; the return is fn's. */
static int
lfs_list_one(struct local_fs *fs, int dfd, const char *name, char *path, size_t plen,
             duet_list_fn fn, void *ctx, int *soft)
{
	size_t nl = strlen(name), len = plen + nl;
	struct duet_entry e;
	struct stat st;
	uint8_t flags = 0;

	memcpy(path + plen, name, nl + 1);
	if (duet_tmpname_is(name, nl, fs->suffix)) {
		duet_logo(DUET_LOG_DEBUG, path, "skipping a temporary file of an unfinished transfer");
		if (fs->base.on_temp != NULL && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			fs->base.on_temp(fs->base.on_temp_ctx, path,
			    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
		return 0;
	}
	if (duet_name_check(name, nl) != 0) {
		duet_logo(DUET_LOG_ERROR, path, "%s", duet_err_msg());
		*soft = *soft ? *soft : DUET_E_BADNAME;
		return 0;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0; /* removed since readdir */
		int rc = lfs_err(fs, errno, "stat", path, -1);
		duet_logo(DUET_LOG_ERROR, path, "%s", duet_err_msg());
		*soft = *soft ? *soft : rc;
		return 0;
	}
	if (S_ISLNK(st.st_mode) && !lfs_list_link(fs, dfd, name, &st, path, &len, &flags))
		return 0;
	memset(&e, 0, sizeof(e));
	if (S_ISREG(st.st_mode)) {
		e.type = DUET_T_FILE;
		e.size = st.st_size;
	} else if (S_ISDIR(st.st_mode)) {
		e.type = DUET_T_DIR;
		e.size = -1;
	} else {
		duet_logo(DUET_LOG_NOTICE, path,
		          "Can't transfer: not a regular file, directory or symlink");
		return 0;
	}
	e.path = path;
	e.pathlen = (uint32_t)len;
	e.mtime = lfs_ns(&st.st_mtim);
	e.flags = flags;
	return fn(ctx, &e);
}

/* Opens dir for reading its entries. */
static int
lfs_opendir(struct local_fs *fs, const char *dir, int *out)
{
	const char *base = ".";
	int pfd, fd, rc;

	if (dir[0] == '\0')
		rc = lfs_root(fs, 0, &pfd);
	else
		rc = lfs_parent(fs, dir, 0, &pfd, &base);
	if (rc != 0)
		return rc;
	fd = openat(pfd, base,
	            O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	                (dir[0] != '\0' ? lfs_nofollow(fs, pfd, base) : 0));
	if (fd < 0)
		rc = lfs_err(fs, lfs_open_errno(fs, pfd, base, errno), "list", dir, -1);
	lfs_close(fs, pfd);
	*out = fd;
	return rc;
}

static int
local_list(struct duet_fs *dfs, const char *dir, duet_list_fn fn, void *ctx)
{
	struct local_fs *fs = (struct local_fs *)dfs;
	size_t dl = strlen(dir), plen = dl + (dl > 0);
	struct dirent *de;
	char *path = NULL;
	DIR *d = NULL;
	int fd = -1, rc, soft = 0;

	if ((rc = lfs_opendir(fs, dir, &fd)) != 0)
		goto out;
	/* One buffer for every child's path: dir/ + a name + ".rclonelink". */
	if ((path = duet_malloc(plen + NAME_MAX + LFS_LINK_SUFLEN + 2)) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "local: out of memory listing %s", dir);
		goto out;
	}
	memcpy(path, dir, dl);
	path[dl] = '/';
	if ((d = fdopendir(fd)) == NULL) {
		rc = lfs_err(fs, errno, "list", dir, -1);
		goto out;
	}
	fd = -1;
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = lfs_err(fs, errno, "read directory", dir, -1);
			break;
		}
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		rc = lfs_list_one(fs, dirfd(d), de->d_name, path, plen, fn, ctx, &soft);
		if (rc != 0)
			break;
	}
	if (rc == 0 && soft != 0)
		rc = soft;
out:
	if (d != NULL)
		closedir(d);
	if (fd >= 0)
		close(fd);
	duet_free(path);
	return rc;
}

/* Fills e from st; links (STORE) are files whose size is the target's. */
static void
lfs_fill(struct duet_entry *e, const struct stat *st, int islink)
{
	e->type = S_ISDIR(st->st_mode) ? DUET_T_DIR : DUET_T_FILE;
	e->size = S_ISDIR(st->st_mode) ? -1 : st->st_size;
	e->mtime = lfs_ns(&st->st_mtim);
	e->flags = islink ? DUET_EF_LINK : 0;
}

static int
local_stat(struct duet_fs *dfs, const char *path, struct duet_entry *e)
{
	struct local_fs *fs = (struct local_fs *)dfs;
	char link[NAME_MAX + 1];
	const char *base;
	struct stat st;
	int dfd = -1, rc;

	if (path[0] == '\0') {
		if ((rc = lfs_root(fs, 0, &dfd)) == 0 && fstat(dfd, &st) != 0)
			rc = lfs_err(fs, errno, "stat", "", 0);
		if (rc == 0)
			lfs_fill(e, &st, 0);
		return rc;
	}
	if ((rc = lfs_parent(fs, path, 0, &dfd, &base)) != 0)
		return rc;
	if (lfs_linkname(fs, base, link) && fstatat(dfd, link, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		lfs_fill(e, &st, 1);
		goto out;
	}
	if (fstatat(dfd, base, &st, lfs_nofollow(fs, dfd, base) ? AT_SYMLINK_NOFOLLOW : 0) != 0)
		rc = lfs_err(fs, errno, "stat", path, -1);
	else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		rc = duet_err_set(DUET_E_NOTFOUND, "local: stat %s/%s: %s", fs->dir, path,
		                  S_ISLNK(st.st_mode) ? "a symbolic link, not a file (see -L, -l)"
		                                      : "not a regular file or directory");
	else
		lfs_fill(e, &st, 0);
out:
	lfs_close(fs, dfd);
	return rc;
}

/* Absolute, lexically clean form of path (".", "..", "//" resolved as
 * rclone does), relative paths against the current directory. */
static int
lfs_abspath(const char *path, char **out)
{
	char cwd[PATH_MAX], *p, *q;
	size_t cl = 0, pl = strlen(path);

	if (path[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return lfs_err(NULL, errno, "getcwd for", path, -1);
		cl = strlen(cwd);
	}
	if ((p = duet_malloc(cl + pl + 3)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "local: out of memory opening %s", path);
	memcpy(p, cwd, cl);
	p[cl] = '/';
	memcpy(p + cl + 1, path, pl + 1);
	q = p; /* write position: p[0..q) is clean, without a trailing '/' */
	for (const char *s = p; *s != '\0';) {
		const char *e;
		while (*s == '/')
			s++;
		e = s + strcspn(s, "/");
		if (e == s || (e - s == 1 && s[0] == '.')) {
			s = e;
			continue;
		}
		if (e - s == 2 && s[0] == '.' && s[1] == '.') {
			while (q > p && *--q != '/')
				;
		} else {
			*q++ = '/';
			memmove(q, s, (size_t)(e - s));
			q += e - s;
		}
		s = e;
	}
	if (q == p)
		*q++ = '/';
	*q = '\0';
	*out = p;
	return 0;
}

/* fs->canon: "local:" + realpath of abs, or of its nearest existing
 * ancestor followed by the rest while abs does not exist. */
static int
lfs_canon(struct local_fs *fs, const char *abs)
{
	char *cut = duet_strdup(abs), *real = NULL, *slash;
	const char *rest = "";
	size_t rl;

	if (cut == NULL)
		return duet_err_set(DUET_E_NOMEM, "local: out of memory opening %s", abs);
	/* realpath("/") succeeds, so this ends. */
	while ((real = realpath(cut, NULL)) == NULL && (slash = strrchr(cut, '/')) != NULL) {
		rest = abs + (slash - cut);
		slash[slash == cut] = '\0';
	}
	if (real == NULL)
		rest = abs; /* a relative abs cannot happen; keep it as given */
	rl = real != NULL ? strlen(real) : 0;
	if (rl == 1 && rest[0] == '/')
		rl = 0; /* "/" + "/rest" */
	fs->base.canon = duet_malloc(6 + rl + strlen(rest) + 1);
	if (fs->base.canon != NULL)
		snprintf(fs->base.canon, 6 + rl + strlen(rest) + 1, "local:%.*s%s", (int)rl,
		         real != NULL ? real : "", rest);
	free(real);
	duet_free(cut);
	return fs->base.canon == NULL
	           ? duet_err_set(DUET_E_NOMEM, "local: out of memory opening %s", abs)
	           : 0;
}

/* Decides what the root names: a directory (maybe missing) or a file, in
 * which case fs->dir is its parent and fs->base.file its name. */
static int
lfs_place_root(struct local_fs *fs, char *abs)
{
	struct stat st;
	char *slash;

	fs->dir = abs;
	if (stat(abs, &st) != 0)
		return errno == ENOENT ? 0 : lfs_err(NULL, errno, "open root", abs, -1);
	if (S_ISDIR(st.st_mode))
		return 0;
	slash = strrchr(abs, '/');
	if ((fs->base.file = duet_strdup(slash + 1)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "local: out of memory opening %s", abs);
	fs->root_is_link = lstat(abs, &st) == 0 && S_ISLNK(st.st_mode);
	slash[slash == abs] = '\0'; /* a file in "/" keeps "/" */
	return 0;
}

static void
local_close(struct duet_fs *dfs)
{
	struct local_fs *fs = (struct local_fs *)dfs;
	int fd;

	if (fs == NULL)
		return;
	/* Commits never flushed are discarded, never made visible. */
	while (fs->pending != NULL) {
		struct lfs_pending *q = fs->pending;
		fs->pending = q->next;
		if (q->tmp[0] != '\0')
			unlinkat(q->dfd, q->tmp, 0);
		lfs_close(fs, q->dfd);
		duet_free(q);
	}
	if ((fd = atomic_load(&fs->rootfd)) >= 0)
		close(fd);
	pthread_mutex_destroy(&fs->mu);
	pthread_mutex_destroy(&fs->pmu);
	pthread_mutex_destroy(&fs->flush_mu);
	duet_free(fs->dir);
	duet_free(fs->suffix);
	duet_fs_dispose(&fs->base);
	duet_free(fs);
}

static int
local_open(const struct duet_remote *r, const struct duet_fs_opts *o, struct duet_fs **out)
{
	struct local_fs *fs = NULL;
	char *abs = NULL;
	int rc, fd;

	*out = NULL;
	if ((rc = lfs_abspath(r->path, &abs)) != 0)
		return rc;
	if ((fs = duet_calloc(1, sizeof(*fs))) == NULL) {
		duet_free(abs);
		return duet_err_set(DUET_E_NOMEM, "local: out of memory opening %s", r->path);
	}
	atomic_init(&fs->rootfd, -1);
	pthread_mutex_init(&fs->mu, NULL);
	pthread_mutex_init(&fs->pmu, NULL);
	pthread_mutex_init(&fs->flush_mu, NULL);
	if ((rc = duet_fs_init(&fs->base, &duet_local_backend, abs, r->path)) != 0) {
		duet_free(abs);
		goto out;
	}
	fs->base.caps =
	    DUET_CAP_MOVE | DUET_CAP_COPY | DUET_CAP_SETMTIME | DUET_CAP_DIRS | DUET_CAP_LOCAL |
	    DUET_CAP_SLOW_HASH;
	fs->base.hashes = DUET_HASH_ALL;
	fs->base.precision = 1;
	if (o != NULL) {
		fs->links = o->links;
		fs->inplace = o->inplace;
		fs->no_fsync = o->no_fsync;
	}
	fs->suffix =
	    duet_strdup(o != NULL && o->partial_suffix != NULL ? o->partial_suffix : ".partial");
	if (fs->suffix == NULL) {
		duet_free(abs);
		rc = duet_err_set(DUET_E_NOMEM, "local: out of memory opening %s", r->path);
		goto out;
	}
	if ((rc = lfs_canon(fs, abs)) != 0) {
		duet_free(abs);
		goto out;
	}
	if ((rc = lfs_place_root(fs, abs)) != 0)
		goto out;
	/* A missing root is fine: the first write creates it. */
	if ((rc = lfs_root(fs, 0, &fd)) == DUET_E_NOTFOUND)
		rc = 0;
out:
	if (rc != 0)
		local_close(&fs->base);
	else
		*out = &fs->base;
	return rc;
}

const struct duet_backend duet_local_backend = {
    .name = "local",
    .open = local_open,
    .close = local_close,
    .list = local_list,
    .stat = local_stat,
    .open_read = local_open_read,
    .open_write = local_open_write,
    .flush = local_flush,
    .mkdir = local_mkdir,
    .rmdir = local_rmdir,
    .remove = local_remove,
    .move = local_move,
    .copy = local_copy,
    .set_mtime = local_set_mtime,
    .move_from = local_move_from,
    .hash = local_hash,
};
