/*
 * local_io.c: the local backend's file contents and tree changes: read and
 * write streams (temp file in the target's directory, futimens, fsync,
 * renameat at commit; the temp file removed on any failure), stored
 * symlinks (-l), copy, hash, mkdir, rmdir, remove, move and set_mtime.
 * Paths are resolved through the access layer of local.c (local_int.h).
 */
#define _GNU_SOURCE /* copy_file_range, getrandom */
#include "local.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/copyfd.h"
#include "core/error.h"
#include "core/hash.h"
#include "local_int.h"

#define LFS_RWBUF (256 * 1024) /* read/write fallback buffer */

static const struct duet_rstream_ops lfs_rstream_ops;
static const struct duet_wstream_ops lfs_wstream_ops;

struct lfs_wstream {
	struct duet_wstream base;
	struct local_fs *fs;
	int dfd;     /* parent directory; owned unless the root */
	int err;     /* first write error (sticky), 0 if none */
	int created; /* the file at `tmp` is ours to remove */
	int islink;  /* collecting a symlink target */
	char *link;  /* symlink target so far; owned */
	size_t linklen;
	char tmp[NAME_MAX + 1];   /* temp name in dfd ("" when inplace) */
	char final[NAME_MAX + 1]; /* final name in dfd */
	char path[];              /* relative path, for messages */
};

/* A read stream on a symlink's target text (STORE mode). 1 when dfd/link
 * is a symlink and *out was made, 0 when it is not a symlink. */
static int
lfs_read_link(struct local_fs *fs, int dfd, const char *link, const char *path,
              struct lfs_rstream *s)
{
	struct stat st;
	ssize_t n;

	if (fstatat(dfd, link, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode))
		return 0;
	if ((s->mem = duet_malloc(LFS_LINK_MAX)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "local: out of memory reading %s", path);
	if ((n = readlinkat(dfd, link, s->mem, LFS_LINK_MAX)) < 0)
		return lfs_err(fs, errno, "readlink", path, -1);
	s->len = (size_t)n;
	s->base.size = n;
	s->mtime = lfs_ns(&st.st_mtim);
	return 1;
}

/* Opens path as a regular file for reading into s. */
static int
lfs_read_file(struct local_fs *fs, int dfd, const char *base, const char *path,
              struct lfs_rstream *s)
{
	struct stat st;
	int fd;

	fd = openat(dfd, base, O_RDONLY | O_CLOEXEC | O_NONBLOCK | lfs_nofollow(fs, dfd, base));
	if (fd < 0)
		return lfs_err(fs, errno, "open", path, -1);
	s->base.fd = fd;
	if (fstat(fd, &st) != 0)
		return lfs_err(fs, errno, "stat", path, -1);
	if (S_ISDIR(st.st_mode))
		return lfs_err(fs, EISDIR, "open", path, -1);
	if (!S_ISREG(st.st_mode))
		return duet_err_set(DUET_E_UNSUPPORTED, "local: open %s/%s: not a regular file",
		                    fs->dir, path);
	/* O_NONBLOCK only kept a fifo from blocking the open. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
		return lfs_err(fs, errno, "open", path, -1);
	s->base.size = st.st_size;
	s->mtime = lfs_ns(&st.st_mtim);
	return 0;
}

void
lfs_rclose(struct duet_rstream *ds)
{
	struct lfs_rstream *s = (struct lfs_rstream *)ds;
	if (s == NULL)
		return;
	if (s->base.fd >= 0)
		close(s->base.fd);
	duet_free(s->mem);
	duet_free(s);
}

int
lfs_open_read(struct local_fs *fs, const char *path, int64_t offset, struct lfs_rstream **out)
{
	size_t pl = strlen(path);
	struct lfs_rstream *s;
	char link[NAME_MAX + 1];
	const char *base;
	int dfd = -1, rc;

	*out = NULL;
	if ((s = duet_calloc(1, sizeof(*s) + pl + 1)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "local: out of memory opening %s", path);
	s->base.ops = &lfs_rstream_ops;
	s->base.fd = -1;
	s->fs = fs;
	memcpy(s->path, path, pl + 1);
	if ((rc = lfs_parent(fs, path, 0, &dfd, &base)) != 0)
		goto out;
	rc = lfs_linkname(fs, base, link) ? lfs_read_link(fs, dfd, link, path, s) : 0;
	if (rc == 1) {
		s->pos = offset < 0 ? 0 : (size_t)offset < s->len ? (size_t)offset : s->len;
		rc = 0;
	} else if (rc == 0 && (rc = lfs_read_file(fs, dfd, base, path, s)) == 0 && offset > 0 &&
	           lseek(s->base.fd, offset, SEEK_SET) < 0) {
		rc = lfs_err(fs, errno, "seek", path, -1);
	}
out:
	lfs_close(fs, dfd);
	if (rc != 0)
		lfs_rclose(&s->base);
	else
		*out = s;
	return rc;
}

int
local_open_read(struct duet_fs *dfs, const char *path, int64_t offset, struct duet_rstream **out)
{
	struct lfs_rstream *s;
	int rc = lfs_open_read((struct local_fs *)dfs, path, offset, &s);
	*out = rc == 0 ? &s->base : NULL;
	return rc;
}

ssize_t
lfs_read(struct duet_rstream *ds, void *buf, size_t n)
{
	struct lfs_rstream *s = (struct lfs_rstream *)ds;
	ssize_t r;

	if (s->base.fd < 0) {
		size_t k = s->len - s->pos < n ? s->len - s->pos : n;
		memcpy(buf, s->mem + s->pos, k);
		s->pos += k;
		return (ssize_t)k;
	}
	do
		r = read(s->base.fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return lfs_err(s->fs, errno, "read", s->path, -1);
	return r;
}

static const struct duet_rstream_ops lfs_rstream_ops = {
    .read = lfs_read,
    .close = lfs_rclose,
};

/* Temp name for final: "<final>.<8 hex><suffix>", or a short hidden one
 * when that would not fit in a name. */
static void
lfs_tmpname(const struct local_fs *fs, const char *final, char out[NAME_MAX + 1])
{
	static atomic_uint counter;
	size_t sl = strlen(fs->suffix);
	unsigned r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL) ^
		    atomic_fetch_add(&counter, 0x9e3779b9u);
	if (strlen(final) + 9 + sl <= NAME_MAX)
		snprintf(out, NAME_MAX + 1, "%s.%08x%s", final, r, fs->suffix);
	else if (14 + sl <= NAME_MAX)
		snprintf(out, NAME_MAX + 1, ".duet-%08x%s", r, fs->suffix);
	else
		snprintf(out, NAME_MAX + 1, ".duet-%08x.partial", r);
}

/* Creates the file the stream writes: a fresh temp name, or the final name
 * when inplace (created = 0 when it already existed). */
static int
lfs_wcreate(struct lfs_wstream *s)
{
	struct local_fs *fs = s->fs;
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fd = -1;

	if (fs->inplace) {
		fd = openat(s->dfd, s->final, flags, 0666);
		s->created = fd >= 0;
		if (fd < 0 && errno == EEXIST)
			fd = openat(s->dfd, s->final,
			            O_WRONLY | O_TRUNC | O_CLOEXEC |
			                lfs_nofollow(fs, s->dfd, s->final));
	} else {
		for (int i = 0; i < 16 && fd < 0; i++) {
			lfs_tmpname(fs, s->final, s->tmp);
			fd = openat(s->dfd, s->tmp, flags, 0666);
			if (fd < 0 && errno != EEXIST)
				break;
		}
		s->created = fd >= 0;
	}
	if (fd < 0)
		return lfs_err(fs, errno, "create", s->path, -1);
	s->base.fd = fd;
	return 0;
}

/* Removes what the stream created and closes its fd. */
static void
lfs_wdiscard(struct lfs_wstream *s)
{
	if (s->base.fd >= 0)
		close(s->base.fd);
	s->base.fd = -1;
	if (s->created)
		unlinkat(s->dfd, s->fs->inplace && !s->islink ? s->final : s->tmp, 0);
	s->created = 0;
}

static void
lfs_wfree(struct lfs_wstream *s)
{
	lfs_wdiscard(s);
	lfs_close(s->fs, s->dfd);
	duet_free(s->link);
	duet_free(s);
}

int
local_open_write(struct duet_fs *dfs, const char *path, int64_t size, struct duet_wstream **out)
{
	struct local_fs *fs = (struct local_fs *)dfs;
	size_t pl = strlen(path);
	struct lfs_wstream *s;
	const char *base;
	int rc;

	(void)size;
	*out = NULL;
	if ((s = duet_calloc(1, sizeof(*s) + pl + 1)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "local: out of memory writing %s", path);
	s->base.ops = &lfs_wstream_ops;
	s->base.fd = -1;
	s->fs = fs;
	memcpy(s->path, path, pl + 1);
	if ((rc = lfs_parent(fs, path, 1, &s->dfd, &base)) != 0)
		goto out;
	if ((s->islink = lfs_linkname(fs, base, s->final)) == 0) {
		memcpy(s->final, base, strlen(base) + 1);
		rc = lfs_wcreate(s);
	} else if ((s->link = duet_malloc(LFS_LINK_MAX + 1)) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "local: out of memory writing %s", path);
	}
out:
	if (rc != 0)
		lfs_wfree(s);
	else
		*out = &s->base;
	return rc;
}

static int
lfs_write(struct duet_wstream *ds, const void *buf, size_t n)
{
	struct lfs_wstream *s = (struct lfs_wstream *)ds;
	const char *p = buf;

	if (s->err != 0)
		return s->err;
	if (s->islink) {
		if (n > LFS_LINK_MAX - s->linklen)
			return s->err = lfs_err(s->fs, ENAMETOOLONG, "symlink", s->path, -1);
		memcpy(s->link + s->linklen, buf, n);
		s->linklen += n;
		return 0;
	}
	while (n > 0) {
		ssize_t w = write(s->base.fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->err = lfs_err(s->fs, errno, "write", s->path, -1);
			lfs_wdiscard(s); /* free the space now (disk full) */
			return s->err;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Commits a symlink: made under a temp name, then renamed over final. */
static int
lfs_commit_link(struct lfs_wstream *s, const struct timespec ts[2])
{
	struct local_fs *fs = s->fs;
	int rc = 0;

	if (s->linklen == 0 || memchr(s->link, '\0', s->linklen) != NULL)
		return duet_err_set(DUET_E_BADNAME, "local: symlink %s/%s: invalid target", fs->dir,
		                    s->path);
	s->link[s->linklen] = '\0';
	for (int i = 0; i < 16; i++) {
		lfs_tmpname(fs, s->final, s->tmp);
		if ((rc = symlinkat(s->link, s->dfd, s->tmp)) == 0 || errno != EEXIST)
			break;
	}
	if (rc != 0)
		return lfs_err(fs, errno, "symlink", s->path, -1);
	s->created = 1;
	if (utimensat(s->dfd, s->tmp, ts, AT_SYMLINK_NOFOLLOW) != 0 ||
	    renameat(s->dfd, s->tmp, s->dfd, s->final) != 0)
		rc = lfs_err(fs, errno, "symlink", s->path, -1);
	else
		s->created = 0;
	return rc;
}

static int
lfs_commit(struct duet_wstream *ds, int64_t mtime)
{
	struct lfs_wstream *s = (struct lfs_wstream *)ds;
	struct local_fs *fs = s->fs;
	struct timespec ts[2];
	int rc = s->err, fd = s->base.fd;

	lfs_times(mtime, ts);
	if (mtime == 0)
		ts[1].tv_nsec = UTIME_OMIT;
	if (rc != 0)
		goto out;
	if (s->islink) {
		rc = lfs_commit_link(s, ts);
		goto out;
	}
	/* mtime before fsync, so the fsync makes it durable too. */
	if (mtime != 0 && futimens(fd, ts) != 0)
		rc = lfs_err(fs, errno, "set modification time", s->path, -1);
	else if (!fs->no_fsync && fsync(fd) != 0)
		rc = lfs_err(fs, errno, "fsync", s->path, -1);
	if (rc != 0)
		goto out;
	s->base.fd = -1;
	if (close(fd) != 0)
		rc = lfs_err(fs, errno, "close", s->path, -1);
	else if (!fs->inplace && renameat(s->dfd, s->tmp, s->dfd, s->final) != 0)
		rc = lfs_err(fs, errno, "rename into place", s->path, -1);
	if (rc == 0)
		s->created = 0;
out:
	lfs_wfree(s);
	return rc;
}

/* Queues a finished temp file for the next flush: the mtime is set and
 * the fd closed now; syncfs and the rename come with the batch. Inplace
 * writes and symlinks commit at once and are queued as already final. */
static int
lfs_commit_later(struct duet_wstream *ds, int64_t mtime, void *tag)
{
	struct lfs_wstream *s = (struct lfs_wstream *)ds;
	struct local_fs *fs = s->fs;
	size_t pl = strlen(s->path);
	struct lfs_pending *q = duet_calloc(1, sizeof(*q) + pl + 1);
	struct timespec ts[2];
	int rc = s->err, fd = s->base.fd;

	if (q == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "local: out of memory committing %s", s->path);
		lfs_wfree(s);
		return rc;
	}
	memcpy(q->path, s->path, pl + 1);
	if (rc != 0 || s->islink || fs->inplace) {
		if ((rc = lfs_commit(ds, mtime)) != 0) {
			duet_free(q);
			return rc;
		}
		q->dfd = -1;
	} else {
		lfs_times(mtime, ts);
		if (mtime != 0 && futimens(fd, ts) != 0)
			rc = lfs_err(fs, errno, "set modification time", s->path, -1);
		s->base.fd = -1;
		if (close(fd) != 0 && rc == 0)
			rc = lfs_err(fs, errno, "close", s->path, -1);
		if (rc != 0) {
			duet_free(q);
			lfs_wfree(s);
			return rc;
		}
		/* The pending record takes the directory fd and the temp file. */
		q->dfd = s->dfd;
		s->dfd = atomic_load(&fs->rootfd);
		s->created = 0;
		memcpy(q->tmp, s->tmp, sizeof(q->tmp));
		memcpy(q->final, s->final, sizeof(q->final));
		lfs_wfree(s);
	}
	q->tag = tag;
	pthread_mutex_lock(&fs->pmu);
	q->next = fs->pending;
	fs->pending = q;
	pthread_mutex_unlock(&fs->pmu);
	return 0;
}

int
local_flush(struct duet_fs *dfs, duet_flush_fn done, void *ctx)
{
	struct local_fs *fs = (struct local_fs *)dfs;
	struct lfs_pending *list, *rev = NULL, *q;
	int root, rc = 0, sync_rc = 0;

	pthread_mutex_lock(&fs->flush_mu);
	pthread_mutex_lock(&fs->pmu);
	list = fs->pending;
	fs->pending = NULL;
	pthread_mutex_unlock(&fs->pmu);
	while (list != NULL) { /* oldest first */
		q = list;
		list = q->next;
		q->next = rev;
		rev = q;
	}
	/* syncfs needs a real fd (the root fd is O_PATH). */
	root = atomic_load(&fs->rootfd);
	if (rev != NULL && !fs->no_fsync && root >= 0) {
		int sfd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sfd < 0 || syncfs(sfd) != 0)
			sync_rc = lfs_err(fs, errno, "sync", "", 0);
		if (sfd >= 0)
			close(sfd);
	}
	while ((q = rev) != NULL) {
		int code = sync_rc;
		rev = q->next;
		if (code == 0 && q->tmp[0] != '\0' && renameat(q->dfd, q->tmp, q->dfd, q->final) != 0)
			code = lfs_err(fs, errno, "rename into place", q->path, -1);
		if (code != 0 && q->tmp[0] != '\0')
			unlinkat(q->dfd, q->tmp, 0);
		if (code != 0 && rc == 0)
			rc = code;
		lfs_close(fs, q->dfd);
		done(ctx, q->tag, code);
		duet_free(q);
	}
	pthread_mutex_unlock(&fs->flush_mu);
	return rc;
}

static void
lfs_abort(struct duet_wstream *ds)
{
	if (ds != NULL)
		lfs_wfree((struct lfs_wstream *)ds);
}

static const struct duet_wstream_ops lfs_wstream_ops = {
    .write = lfs_write,
    .commit = lfs_commit,
    .abort = lfs_abort,
    .commit_later = lfs_commit_later,
};

int
local_mkdir(struct duet_fs *dfs, const char *dir)
{
	struct local_fs *fs = (struct local_fs *)dfs;
	const char *base;
	int dfd, fd = -1, rc;

	if (dir[0] == '\0')
		return lfs_root(fs, 1, &dfd);
	if ((rc = lfs_parent(fs, dir, 1, &dfd, &base)) != 0)
		return rc;
	rc = lfs_step(fs, dfd, dir, base, strlen(base), 1, &fd);
	lfs_close(fs, fd);
	lfs_close(fs, dfd);
	return rc;
}

int
local_rmdir(struct duet_fs *dfs, const char *dir)
{
	struct local_fs *fs = (struct local_fs *)dfs;
	const char *base;
	int dfd, rc = 0, r;

	/* The root fd stays open on the removed directory: later writes fail. */
	if (dir[0] == '\0' && fs->base.file != NULL)
		return lfs_err(fs, ENOTDIR, "rmdir", fs->base.file, -1);
	if (dir[0] == '\0')
		r = rmdir(fs->dir);
	else if ((rc = lfs_parent(fs, dir, 0, &dfd, &base)) != 0)
		return rc;
	else {
		r = unlinkat(dfd, base, AT_REMOVEDIR);
		lfs_close(fs, dfd);
	}
	if (r != 0)
		rc = lfs_err(fs, errno == EEXIST ? ENOTEMPTY : errno, "rmdir", dir, -1);
	return rc;
}

int
local_remove(struct duet_fs *dfs, const char *path)
{
	struct local_fs *fs = (struct local_fs *)dfs;
	char link[NAME_MAX + 1];
	const char *base;
	int dfd, rc;

	if ((rc = lfs_parent(fs, path, 0, &dfd, &base)) != 0)
		return rc;
	if (lfs_linkname(fs, base, link) && lfs_is_link(dfd, link))
		base = link;
	if (unlinkat(dfd, base, 0) != 0)
		rc = lfs_err(fs, errno, "remove", path, -1);
	lfs_close(fs, dfd);
	return rc;
}

/* Renames src of sfs to dst of fs (creating dst's parents), replacing dst.
 * In STORE mode a stored link moves as the symlink it is. */
static int
lfs_rename(struct local_fs *fs, struct local_fs *sfs, const char *src, const char *dst)
{
	char slink[NAME_MAX + 1], dlink[NAME_MAX + 1], op[512];
	const char *sbase, *dbase;
	int sfd = -1, dfd = -1, rc;
	struct stat st;

	if ((rc = lfs_parent(sfs, src, 0, &sfd, &sbase)) != 0)
		goto out;
	if (lfs_linkname(sfs, sbase, slink) && lfs_is_link(sfd, slink))
		sbase = slink;
	else if (fstatat(sfd, sbase, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		rc = lfs_err(sfs, errno, "move", src, -1);
		goto out;
	}
	if ((rc = lfs_parent(fs, dst, 1, &dfd, &dbase)) != 0)
		goto out;
	if (sbase == slink && lfs_linkname(fs, dbase, dlink))
		dbase = dlink;
	if (renameat(sfd, sbase, dfd, dbase) != 0) {
		snprintf(op, sizeof(op), "move %s%s%s to", sfs != fs ? sfs->dir : "",
		         sfs != fs ? "/" : "", src);
		rc = lfs_err(fs, errno, op, dst, -1);
	}
out:
	lfs_close(sfs, sfd);
	lfs_close(fs, dfd);
	return rc;
}

int
local_move(struct duet_fs *dfs, const char *src, const char *dst)
{
	return lfs_rename((struct local_fs *)dfs, (struct local_fs *)dfs, src, dst);
}

int
local_move_from(struct duet_fs *dfs, struct duet_fs *src_fs, const char *src, const char *dst)
{
	if (src_fs->ops != &duet_local_backend)
		return duet_err_set(DUET_E_XDEV, "local: move %s: not a local source", src);
	return lfs_rename((struct local_fs *)dfs, (struct local_fs *)src_fs, src, dst);
}

int
local_copy(struct duet_fs *dfs, const char *src, const char *dst)
{
	struct local_fs *fs = (struct local_fs *)dfs;
	struct lfs_rstream *rs = NULL;
	struct duet_wstream *ws = NULL;
	char buf[4096];
	ssize_t n;
	int rc;

	if ((rc = lfs_open_read(fs, src, 0, &rs)) != 0)
		goto out;
	if ((rc = local_open_write(dfs, dst, rs->base.size, &ws)) != 0)
		goto out;
	if (rs->base.fd >= 0 && ws->fd >= 0) {
		int64_t got = duet_copy_fd(rs->base.fd, ws->fd, NULL);
		rc = got < 0 ? (int)got
		   : rs->base.size >= 0 && got != rs->base.size
		       ? duet_err_set(DUET_E_CHANGED, "local: copy %s: source changed size", src)
		       : 0;
	} else {
		/* A stored symlink: a few bytes in memory. */
		while ((n = lfs_read(&rs->base, buf, sizeof(buf))) > 0)
			if ((rc = ws->ops->write(ws, buf, (size_t)n)) != 0)
				break;
		if (n < 0)
			rc = (int)n;
	}
	if (rc == 0) {
		rc = ws->ops->commit(ws, rs->mtime);
		ws = NULL;
	}
out:
	if (ws != NULL)
		ws->ops->abort(ws);
	lfs_rclose(rs != NULL ? &rs->base : NULL);
	return rc;
}

int
local_set_mtime(struct duet_fs *dfs, const char *path, int64_t mtime)
{
	struct local_fs *fs = (struct local_fs *)dfs;
	struct timespec ts[2];
	char link[NAME_MAX + 1];
	const char *base;
	int dfd, rc, flags;

	lfs_times(mtime, ts);
	if (path[0] == '\0')
		return utimensat(AT_FDCWD, fs->dir, ts, 0) != 0
		           ? lfs_err(fs, errno, "set modification time", "", 0)
		           : 0;
	if ((rc = lfs_parent(fs, path, 0, &dfd, &base)) != 0)
		return rc;
	flags = lfs_nofollow(fs, dfd, base) ? AT_SYMLINK_NOFOLLOW : 0;
	if (lfs_linkname(fs, base, link) && lfs_is_link(dfd, link)) {
		base = link;
		flags = AT_SYMLINK_NOFOLLOW;
	}
	if (utimensat(dfd, base, ts, flags) != 0)
		rc = lfs_err(fs, errno, "set modification time", path, -1);
	lfs_close(fs, dfd);
	return rc;
}

int
local_hash(struct duet_fs *dfs, const char *path, enum duet_hash_kind k, struct duet_hashes *out)
{
	struct lfs_rstream *rs;
	struct duet_hasher *h;
	char why[256];
	int rc;

	if ((rc = lfs_open_read((struct local_fs *)dfs, path, 0, &rs)) != 0)
		return rc;
	if (rs->base.fd >= 0) {
		rc = duet_hash_fd(rs->base.fd, DUET_HASH_BIT(k), out);
	} else if ((rc = duet_hasher_new(DUET_HASH_BIT(k), &h)) == 0) {
		duet_hasher_update(h, rs->mem, rs->len);
		duet_hasher_final(h, out);
		duet_hasher_free(h);
	}
	if (rc != 0) {
		/* core/hash's message does not know the path. */
		snprintf(why, sizeof(why), "%s", duet_err_msg());
		rc = duet_err_set(rc, "local: hash %s/%s: %s", rs->fs->dir, path, why);
	}
	lfs_rclose(&rs->base);
	return rc;
}

