/*
 * sftp_ops.c: the SFTP backend's tree operations: paths, stat, list (one
 * directory read in batches, callbacks made with no connection held),
 * mkdir -p, rmdir, remove, move (server-side rename replacing the target)
 * and set_mtime. OpenSSH speaks SFTP v3, which reports most failures as
 * the generic FAILURE: where the reason matters (not empty, not a
 * directory) a stat after the failure tells it.
 */
#include "sftp.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "sftp_int.h"

#define SFTP_BATCH 256 /* directory entries read before the callbacks run */

int
sftp_rpath(const struct sftp_fs *fs, const char *rel, char **out)
{
	const char *dir = fs->dir, *s = rel;
	size_t dl = strlen(dir), rl = strlen(rel);
	char *p;

	*out = NULL;
	while (rl > 0) {
		size_t n = strcspn(s, "/");
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return duet_err_set(DUET_E_BADNAME, "sftp: invalid path \"%s\" on %s", rel,
			    fs->base.name);
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	if ((p = duet_malloc(dl + rl + 3)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory for %s", rel);
	if (rl == 0)
		snprintf(p, dl + 3, "%s", dl > 0 ? dir : ".");
	else if (dl == 0)
		memcpy(p, rel, rl + 1);
	else
		snprintf(p, dl + rl + 3, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", rel);
	*out = p;
	return 0;
}

int64_t
sftp_attr_ns(const LIBSSH2_SFTP_ATTRIBUTES *a)
{
	if (!(a->flags & LIBSSH2_SFTP_ATTR_ACMODTIME))
		return 0;
	return (int64_t)a->mtime * 1000000000;
}

/* DUET_T_FILE, DUET_T_DIR, -1 for a symlink, 0 for anything else. Without
 * permissions in the attributes the entry counts as a file. */
static int
sftp_attr_type(const LIBSSH2_SFTP_ATTRIBUTES *a)
{
	if (!(a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS))
		return DUET_T_FILE;
	if (LIBSSH2_SFTP_S_ISREG(a->permissions))
		return DUET_T_FILE;
	if (LIBSSH2_SFTP_S_ISDIR(a->permissions))
		return DUET_T_DIR;
	return LIBSSH2_SFTP_S_ISLNK(a->permissions) ? -1 : 0;
}

static void
sftp_fill(struct duet_entry *e, const LIBSSH2_SFTP_ATTRIBUTES *a, int type)
{
	e->type = (uint8_t)type;
	e->size = type == DUET_T_DIR || !(a->flags & LIBSSH2_SFTP_ATTR_SIZE) ? -1
	                                                                  : (int64_t)a->filesize;
	e->mtime = sftp_attr_ns(a);
	e->flags = 0;
	e->hashes = NULL;
}

int
sftp_stat_c(struct sftp_conn *c, const char *rel, int follow, LIBSSH2_SFTP_ATTRIBUTES *a)
{
	char *p;
	int rc;

	if ((rc = sftp_rpath(c->fs, rel, &p)) != 0)
		return rc;
	if (libssh2_sftp_stat_ex(c->sftp, p, (unsigned)strlen(p),
	        follow ? LIBSSH2_SFTP_STAT : LIBSSH2_SFTP_LSTAT, a) != 0)
		rc = sftp_err(c, "stat", rel);
	duet_free(p);
	return rc;
}

/* --- stat --- */

struct sftp_stat_arg {
	const char *path;
	int follow;
	LIBSSH2_SFTP_ATTRIBUTES a;
};

static int
sftp_stat_fn(struct sftp_conn *c, void *arg)
{
	struct sftp_stat_arg *x = arg;
	return sftp_stat_c(c, x->path, x->follow, &x->a);
}

int
sftp_op_stat(struct duet_fs *dfs, const char *path, struct duet_entry *e)
{
	struct sftp_fs *fs = (struct sftp_fs *)dfs;
	struct sftp_stat_arg x = {path, 0, {0}};
	int rc, type;

	/* The root and a root naming a file are followed, as they were at
	 * open; inside the tree only with -L. */
	x.follow = fs->links == DUET_LINKS_FOLLOW || path[0] == '\0' ||
	    (fs->base.file != NULL && strcmp(path, fs->base.file) == 0);
	if ((rc = sftp_run(fs, "stat", path, sftp_stat_fn, &x)) != 0)
		return rc;
	type = sftp_attr_type(&x.a);
	if (type <= 0)
		return sftp_errx(fs, DUET_E_NOTFOUND, "stat", path,
		    type < 0 ? "a symbolic link, not a file (see -L)"
		             : "not a regular file or directory");
	sftp_fill(e, &x.a, type);
	return 0;
}

/* --- list --- */

int
sftp_list_entry(struct sftp_listctx *lc, const char *name, size_t nl,
    const LIBSSH2_SFTP_ATTRIBUTES *a)
{
	struct sftp_fs *fs = lc->fs;
	struct duet_entry e;
	char *path;
	int type, rc;

	/* "." and ".." come with every directory (OpenSSH sends them). */
	if ((nl == 1 && name[0] == '.') || (nl == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	if (duet_tmpname_is(name, nl, fs->suffix)) {
		if (fs->base.on_temp != NULL && sftp_attr_type(a) == DUET_T_FILE &&
		    (path = duet_path_join(lc->dir, name)) != NULL) {
			fs->base.on_temp(fs->base.on_temp_ctx, path, sftp_attr_ns(a));
			duet_free(path);
		}
		return 0;
	}
	if (duet_name_check(name, nl) != 0) {
		duet_logo(DUET_LOG_ERROR, lc->dir, "sftp: %s: a name from the server is refused: %s",
		    fs->base.name, duet_err_msg());
		lc->soft = lc->soft != 0 ? lc->soft : DUET_E_BADNAME;
		return 0;
	}
	if ((path = duet_path_join(lc->dir, name)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory listing %s", lc->dir);
	type = sftp_attr_type(a);
	rc = 0;
	if (type < 0) {
		if (!fs->o.skip_links)
			duet_logo(DUET_LOG_NOTICE, path, "Can't follow symlink without -L/--copy-links");
	} else if (type == 0) {
		if (!fs->o.skip_links)
			duet_logo(DUET_LOG_NOTICE, path,
			    "Can't transfer: not a regular file, directory or symlink");
	} else {
		sftp_fill(&e, a, type);
		e.path = path;
		e.pathlen = (uint32_t)strlen(path);
		rc = lc->fn(lc->ctx, &e);
	}
	duet_free(path);
	return rc;
}

/* One batch of a directory read: names in one buffer, attributes. */
struct sftp_batch {
	struct duet_buf names;
	size_t off[SFTP_BATCH], len[SFTP_BATCH];
	LIBSSH2_SFTP_ATTRIBUTES a[SFTP_BATCH];
	int skip[SFTP_BATCH]; /* a symlink that could not be followed */
	int n;
	int eof;
};

struct sftp_lister {
	struct sftp_listctx lc;
	struct sftp_conn *c;
	struct sftp_hnd hd;
	char *rdir;    /* remote path of the directory; owned */
	char *real;    /* its realpath, for -L loop checks, or NULL; owned */
	char name[SFTP_NAME_MAX];
	struct sftp_batch b;
};

/* -L: replaces a symlink's attributes with its target's. 0 when the entry
 * is to be skipped (broken link, loop to an ancestor), 1 otherwise. */
static int
sftp_list_follow(struct sftp_lister *l, const char *name, LIBSSH2_SFTP_ATTRIBUTES *a)
{
	struct sftp_conn *c = l->c;
	char *p = duet_path_join(l->rdir, name), *rel = NULL, real[PATH_MAX];
	LIBSSH2_SFTP_ATTRIBUTES t;
	size_t n;
	int ok = 0;

	if (p == NULL || (rel = duet_path_join(l->lc.dir, name)) == NULL)
		goto out;
	if (libssh2_sftp_stat_ex(c->sftp, p, (unsigned)strlen(p), LIBSSH2_SFTP_STAT, &t) != 0) {
		duet_logo(DUET_LOG_NOTICE, rel, "Can't follow symlink: %s",
		    sftp_status(c) == (long)LIBSSH2_FX_NO_SUCH_FILE ? "broken symlink" : "stat failed");
		goto out;
	}
	if (LIBSSH2_SFTP_S_ISDIR(t.permissions) && l->real != NULL &&
	    libssh2_sftp_realpath(c->sftp, p, real, sizeof(real)) > 0) {
		n = strlen(real);
		if (strncmp(l->real, real, n) == 0 && (l->real[n] == '\0' || l->real[n] == '/' ||
		                                          strcmp(real, "/") == 0)) {
			duet_logo(DUET_LOG_NOTICE, rel,
			    "Not following symlink to a parent directory (loop)");
			goto out;
		}
	}
	*a = t;
	ok = 1;
out:
	duet_free(p);
	duet_free(rel);
	return ok;
}

/* Reads up to SFTP_BATCH entries (c->mu held). */
static int
sftp_list_read(struct sftp_lister *l)
{
	struct sftp_batch *b = &l->b;
	struct sftp_conn *c = l->c;
	ssize_t n;
	int rc;

	b->n = 0;
	duet_buf_reset(&b->names);
	while (b->n < SFTP_BATCH) {
		if (l->hd.h == NULL)
			return sftp_errx(l->lc.fs, DUET_E_NET, "list", l->lc.dir,
			    "connection lost while listing");
		/* libssh2 returns 0 both at the end and for an empty name (which
		 * a hostile server could send to cut the listing short): only a
		 * name entry writes the buffer. */
		l->name[0] = 'x';
		n = libssh2_sftp_readdir_ex(l->hd.h, l->name, sizeof(l->name), NULL, 0, &b->a[b->n]);
		if (n == 0 && l->name[0] != '\0') {
			b->eof = 1;
			break;
		}
		if (n == LIBSSH2_ERROR_BUFFER_TOO_SMALL)
			return sftp_errx(l->lc.fs, DUET_E_BADNAME, "list", l->lc.dir,
			    "the server sent a name longer than 4096 bytes");
		if (n < 0)
			return sftp_err(c, "list", l->lc.dir);
		b->off[b->n] = b->names.len;
		b->len[b->n] = (size_t)n;
		if ((rc = duet_buf_append(&b->names, l->name, (size_t)n)) != 0 ||
		    (rc = duet_buf_putc(&b->names, '\0')) != 0)
			return rc;
		b->skip[b->n] = 0;
		if (l->lc.fs->links == DUET_LINKS_FOLLOW &&
		    sftp_attr_type(&b->a[b->n]) < 0 && duet_name_check(l->name, (size_t)n) == 0)
			b->skip[b->n] = !sftp_list_follow(l, l->name, &b->a[b->n]);
		b->n++;
	}
	return 0;
}

/* Opens the directory (c->mu held); NOTDIR and NOTFOUND told apart. */
static int
sftp_list_open(struct sftp_lister *l)
{
	struct sftp_conn *c = l->c;
	LIBSSH2_SFTP_ATTRIBUTES a;
	LIBSSH2_SFTP_HANDLE *h;
	char real[PATH_MAX];
	long st;
	int rc;

	h = libssh2_sftp_open_ex(c->sftp, l->rdir, (unsigned)strlen(l->rdir), 0, 0,
	    LIBSSH2_SFTP_OPENDIR);
	if (h == NULL) {
		/* OpenSSH reports ENOTDIR as NO_SUCH_FILE, others as FAILURE. */
		st = sftp_status(c);
		rc = sftp_err(c, "list", l->lc.dir);
		if ((st == (long)LIBSSH2_FX_FAILURE || st == (long)LIBSSH2_FX_NO_SUCH_FILE) &&
		    libssh2_sftp_stat_ex(c->sftp, l->rdir, (unsigned)strlen(l->rdir),
		        LIBSSH2_SFTP_STAT, &a) == 0 && !LIBSSH2_SFTP_S_ISDIR(a.permissions))
			rc = sftp_errx(l->lc.fs, DUET_E_NOTDIR, "list", l->lc.dir, "not a directory");
		return rc;
	}
	sftp_hnd_add(c, &l->hd, h);
	if (l->lc.fs->links == DUET_LINKS_FOLLOW && l->real == NULL &&
	    libssh2_sftp_realpath(c->sftp, l->rdir, real, sizeof(real)) > 0)
		l->real = duet_strdup(real);
	return 0;
}

/* Hands a batch to the callbacks (no connection held). */
static int
sftp_list_deliver(struct sftp_lister *l)
{
	struct sftp_batch *b = &l->b;
	int rc = 0;

	for (int i = 0; i < b->n && rc == 0; i++)
		if (!b->skip[i])
			rc = sftp_list_entry(&l->lc, b->names.p + b->off[i], b->len[i], &b->a[i]);
	return rc;
}

static int
sftp_list_run(struct sftp_lister *l)
{
	int rc, delivered = 0;

	for (int attempt = 0;; attempt++) {
		if ((rc = sftp_list_open(l)) == 0)
			rc = sftp_list_read(l);
		if (rc == 0 || !l->c->broken || attempt > 0 || delivered)
			break;
		if ((rc = sftp_conn_ready(l->c)) != 0)
			break;
	}
	while (rc == 0) {
		sftp_conn_put(l->c);
		rc = sftp_list_deliver(l);
		delivered = 1;
		pthread_mutex_lock(&l->c->mu);
		if (rc != 0 || l->b.eof)
			break;
		rc = sftp_list_read(l);
	}
	return rc;
}

int
sftp_op_list(struct duet_fs *dfs, const char *dir, duet_list_fn fn, void *ctx)
{
	struct sftp_fs *fs = (struct sftp_fs *)dfs;
	struct sftp_lister *l = duet_calloc(1, sizeof(*l));
	int rc;

	if (l == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory listing %s", dir);
	l->lc = (struct sftp_listctx){fs, dir, fn, ctx, 0};
	if ((rc = sftp_rpath(fs, dir, &l->rdir)) != 0)
		goto out;
	if ((rc = sftp_conn_get(fs, &l->c)) != 0) {
		rc = sftp_err_wrap(fs, rc, "list", dir);
		goto out;
	}
	rc = sftp_list_run(l);
	(void)sftp_hnd_close(l->c, &l->hd);
	sftp_conn_put(l->c);
	if (rc == 0)
		rc = l->lc.soft;
out:
	duet_buf_dispose(&l->b.names);
	duet_free(l->rdir);
	duet_free(l->real);
	duet_free(l);
	return rc;
}

/* --- mkdir, rmdir, remove --- */

/* mkdir -p of the remote path p (len bytes); rel names it in messages. */
static int
sftp_mkdir_p(struct sftp_conn *c, const char *p, size_t len, const char *rel)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	long st, st2;
	size_t cut;
	int rc;

	if (libssh2_sftp_mkdir_ex(c->sftp, p, (unsigned)len, 0777) == 0)
		return 0;
	st = sftp_status(c);
	rc = sftp_err(c, "mkdir", rel);
	if (st < 0)
		return rc;
	if (libssh2_sftp_stat_ex(c->sftp, p, (unsigned)len, LIBSSH2_SFTP_STAT, &a) == 0)
		return LIBSSH2_SFTP_S_ISDIR(a.permissions)
		           ? 0
		           : sftp_errx(c->fs, DUET_E_NOTDIR, "mkdir", rel,
		                 "a file is in the way (not a directory)");
	if ((st2 = sftp_status(c)) < 0)
		return sftp_err(c, "mkdir", rel);
	if (st2 == (long)LIBSSH2_FX_FAILURE)
		return sftp_errx(c->fs, DUET_E_NOTDIR, "mkdir", rel,
		    "a file is in the way (not a directory)");
	if (st != (long)LIBSSH2_FX_NO_SUCH_FILE)
		return rc;
	/* The parent is missing: make it, then this one. */
	for (cut = len; cut > 0 && p[cut - 1] != '/'; cut--)
		;
	while (cut > 1 && p[cut - 1] == '/')
		cut--;
	if (cut == 0 || (cut == 1 && p[0] == '/'))
		return sftp_errx(c->fs, DUET_E_NOTFOUND, "mkdir", rel, "no such file or directory");
	if ((rc = sftp_mkdir_p(c, p, cut, rel)) != 0)
		return rc;
	if (libssh2_sftp_mkdir_ex(c->sftp, p, (unsigned)len, 0777) == 0)
		return 0;
	if (libssh2_sftp_stat_ex(c->sftp, p, (unsigned)len, LIBSSH2_SFTP_STAT, &a) == 0 &&
	    LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return 0; /* made by someone else meanwhile */
	return sftp_err(c, "mkdir", rel);
}

int
sftp_mkdir_c(struct sftp_conn *c, const char *rel)
{
	char *p;
	int rc;

	if (rel[0] == '\0' && c->fs->dir[0] == '\0')
		return 0; /* the login directory */
	if ((rc = sftp_rpath(c->fs, rel, &p)) != 0)
		return rc;
	rc = sftp_mkdir_p(c, p, strlen(p), rel);
	duet_free(p);
	return rc;
}

static int
sftp_mkdir_fn(struct sftp_conn *c, void *arg)
{
	return sftp_mkdir_c(c, arg);
}

int
sftp_op_mkdir(struct duet_fs *fs, const char *dir)
{
	return sftp_run((struct sftp_fs *)fs, "mkdir", dir, sftp_mkdir_fn, (void *)(uintptr_t)dir);
}

static int
sftp_rmdir_fn(struct sftp_conn *c, void *arg)
{
	const char *rel = arg;
	LIBSSH2_SFTP_ATTRIBUTES a;
	char *p;
	int rc;

	if ((rc = sftp_rpath(c->fs, rel, &p)) != 0)
		return rc;
	if (libssh2_sftp_rmdir_ex(c->sftp, p, (unsigned)strlen(p)) != 0) {
		if (sftp_status(c) != (long)LIBSSH2_FX_FAILURE)
			rc = sftp_err(c, "rmdir", rel);
		else if (libssh2_sftp_stat_ex(c->sftp, p, (unsigned)strlen(p), LIBSSH2_SFTP_LSTAT,
		             &a) == 0 && !LIBSSH2_SFTP_S_ISDIR(a.permissions))
			rc = sftp_errx(c->fs, DUET_E_NOTDIR, "rmdir", rel, "not a directory");
		else
			rc = sftp_errx(c->fs, DUET_E_NOTEMPTY, "rmdir", rel, "directory not empty");
	}
	duet_free(p);
	return rc;
}

int
sftp_op_rmdir(struct duet_fs *fs, const char *dir)
{
	return sftp_run((struct sftp_fs *)fs, "rmdir", dir, sftp_rmdir_fn, (void *)(uintptr_t)dir);
}

int
sftp_remove_c(struct sftp_conn *c, const char *rel)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	char *p;
	int rc;

	if ((rc = sftp_rpath(c->fs, rel, &p)) != 0)
		return rc;
	if (libssh2_sftp_unlink_ex(c->sftp, p, (unsigned)strlen(p)) != 0) {
		long st = sftp_status(c);
		rc = sftp_err(c, "remove", rel);
		if (st == (long)LIBSSH2_FX_FAILURE &&
		    libssh2_sftp_stat_ex(c->sftp, p, (unsigned)strlen(p), LIBSSH2_SFTP_LSTAT, &a) == 0 &&
		    LIBSSH2_SFTP_S_ISDIR(a.permissions))
			rc = sftp_errx(c->fs, DUET_E_ISDIR, "remove", rel, "is a directory");
	}
	duet_free(p);
	return rc;
}

static int
sftp_remove_fn(struct sftp_conn *c, void *arg)
{
	return sftp_remove_c(c, arg);
}

int
sftp_op_remove(struct duet_fs *fs, const char *path)
{
	return sftp_run((struct sftp_fs *)fs, "remove", path, sftp_remove_fn, (void *)(uintptr_t)path);
}

/* --- renames --- */

void
sftp_tmpname(const struct sftp_fs *fs, const char *final, char *out, size_t outlen)
{
	static atomic_uint counter;
	uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
	    ((uint64_t)atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15ull) ^ (uintptr_t)out;
	size_t sl = strlen(fs->suffix);

	/* splitmix64: distinct inputs, well spread outputs */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	if (strlen(final) + 9 + sl <= 255)
		snprintf(out, outlen, "%s.%08x%s", final, (unsigned)x, fs->suffix);
	else
		snprintf(out, outlen, ".duet-%08x%s", (unsigned)x, sl + 14 <= 255 ? fs->suffix : "");
}

/* Without posix-rename a rename onto an existing file fails (OpenSSH):
 * the old file is renamed aside, the new one into place, then the old
 * one removed; if the second rename fails, the old one comes back. The
 * name is missing for one round trip, and no data is lost at any point. */
static int
sftp_replace_aside(struct sftp_conn *c, const char *src, const char *dst, const char *rel)
{
	const char *base = strrchr(dst, '/');
	char aside[PATH_MAX], tmp[300];
	size_t dl = base != NULL ? (size_t)(base - dst + 1) : 0;
	LIBSSH2_SFTP_ATTRIBUTES a;

	if (libssh2_sftp_stat_ex(c->sftp, dst, (unsigned)strlen(dst), LIBSSH2_SFTP_LSTAT, &a) != 0)
		return sftp_err(c, "rename onto", rel);
	if (LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return sftp_errx(c->fs, DUET_E_ISDIR, "rename onto", rel, "is a directory");
	sftp_tmpname(c->fs, base != NULL ? base + 1 : dst, tmp, sizeof(tmp));
	if (dl + strlen(tmp) + 1 > sizeof(aside))
		return sftp_errx(c->fs, DUET_E_NAMETOOLONG, "rename onto", rel, "path too long");
	memcpy(aside, dst, dl);
	memcpy(aside + dl, tmp, strlen(tmp) + 1);
	if (libssh2_sftp_rename_ex(c->sftp, dst, (unsigned)strlen(dst), aside,
	        (unsigned)strlen(aside), LIBSSH2_SFTP_RENAME_NATIVE) != 0)
		return sftp_err(c, "rename aside", rel);
	if (libssh2_sftp_rename_ex(c->sftp, src, (unsigned)strlen(src), dst, (unsigned)strlen(dst),
	        LIBSSH2_SFTP_RENAME_NATIVE) != 0) {
		int rc = sftp_err(c, "rename onto", rel);
		(void)libssh2_sftp_rename_ex(c->sftp, aside, (unsigned)strlen(aside), dst,
		    (unsigned)strlen(dst), LIBSSH2_SFTP_RENAME_NATIVE);
		return rc;
	}
	(void)libssh2_sftp_unlink_ex(c->sftp, aside, (unsigned)strlen(aside));
	return 0;
}

int
sftp_replace_c(struct sftp_conn *c, const char *src, const char *dst, const char *rel)
{
	long st;
	int rc;

	if (atomic_load(&c->fs->ext) & SFTP_EXT_POSIX_RENAME) {
		rc = sftp_raw_posix_rename(c, src, dst, rel);
		if (rc != DUET_E_UNSUPPORTED)
			return rc;
	}
	if (libssh2_sftp_rename_ex(c->sftp, src, (unsigned)strlen(src), dst, (unsigned)strlen(dst),
	        LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
	            LIBSSH2_SFTP_RENAME_NATIVE) == 0)
		return 0;
	st = sftp_status(c);
	if (st != (long)LIBSSH2_FX_FAILURE && st != (long)LIBSSH2_FX_FILE_ALREADY_EXISTS)
		return sftp_err(c, "rename onto", rel);
	return sftp_replace_aside(c, src, dst, rel);
}

/* The parent of rel ("" for a top-level name), new string. */
static char *
sftp_parent(const char *rel)
{
	const char *slash = strrchr(rel, '/');
	return duet_strndup(rel, slash != NULL ? (size_t)(slash - rel) : 0);
}

struct sftp_move_arg {
	struct sftp_fs *sfs; /* the source's fs (same server) */
	const char *src, *dst;
};

static int
sftp_move_fn(struct sftp_conn *c, void *arg)
{
	struct sftp_move_arg *x = arg;
	LIBSSH2_SFTP_ATTRIBUTES a;
	char *sp = NULL, *dp = NULL, *parent = NULL;
	int rc;

	if ((rc = sftp_rpath(x->sfs, x->src, &sp)) != 0 || (rc = sftp_rpath(c->fs, x->dst, &dp)) != 0)
		goto out;
	rc = sftp_replace_c(c, sp, dp, x->dst);
	if (rc != DUET_E_NOTFOUND)
		goto out;
	/* The source is missing, or the target's directory is. */
	if (libssh2_sftp_stat_ex(c->sftp, sp, (unsigned)strlen(sp), LIBSSH2_SFTP_LSTAT, &a) != 0) {
		rc = sftp_errx(x->sfs, DUET_E_NOTFOUND, "move", x->src, "no such file or directory");
		goto out;
	}
	if ((parent = sftp_parent(x->dst)) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "sftp: out of memory moving %s", x->src);
		goto out;
	}
	if ((rc = sftp_mkdir_c(c, parent)) == 0)
		rc = sftp_replace_c(c, sp, dp, x->dst);
out:
	duet_free(sp);
	duet_free(dp);
	duet_free(parent);
	return rc;
}

int
sftp_op_move(struct duet_fs *dfs, const char *src, const char *dst)
{
	struct sftp_fs *fs = (struct sftp_fs *)dfs;
	struct sftp_move_arg x = {fs, src, dst};
	return sftp_run(fs, "move", src, sftp_move_fn, &x);
}

int
sftp_op_move_from(struct duet_fs *dfs, struct duet_fs *src_fs, const char *src, const char *dst)
{
	struct sftp_fs *fs = (struct sftp_fs *)dfs, *sfs = (struct sftp_fs *)src_fs;
	struct sftp_move_arg x = {sfs, src, dst};

	if (!sftp_is_sftp(src_fs->ops) || strcmp(sfs->o.host, fs->o.host) != 0 ||
	    sfs->o.port != fs->o.port || strcmp(sfs->o.user, fs->o.user) != 0)
		return duet_err_set(DUET_E_XDEV, "sftp: move %s: not on the same server as %s", src,
		    fs->base.name);
	return sftp_run(fs, "move", src, sftp_move_fn, &x);
}

/* --- set_mtime --- */

struct sftp_mtime_arg {
	const char *path;
	int64_t mtime;
};

static int
sftp_mtime_fn(struct sftp_conn *c, void *arg)
{
	struct sftp_mtime_arg *x = arg;
	LIBSSH2_SFTP_ATTRIBUTES a;
	int64_t s = x->mtime / 1000000000 - (x->mtime % 1000000000 < 0);
	char *p;
	int rc;

	if ((rc = sftp_rpath(c->fs, x->path, &p)) != 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.flags = LIBSSH2_SFTP_ATTR_ACMODTIME;
	a.atime = a.mtime = (unsigned long)s; /* SFTP v3: both, in seconds */
	if (libssh2_sftp_stat_ex(c->sftp, p, (unsigned)strlen(p), LIBSSH2_SFTP_SETSTAT, &a) != 0)
		rc = sftp_err(c, "set modification time", x->path);
	duet_free(p);
	return rc;
}

int
sftp_op_set_mtime(struct duet_fs *fs, const char *path, int64_t mtime)
{
	struct sftp_mtime_arg x = {path, mtime};
	return sftp_run((struct sftp_fs *)fs, "set modification time", path, sftp_mtime_fn, &x);
}
