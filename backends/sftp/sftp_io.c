/*
 * sftp_io.c: the SFTP backend's read and write streams. A stream keeps
 * its handle on one pooled connection and holds that connection's mutex
 * only during each call. Reads go through a buffer large enough for
 * libssh2 1.10's read-ahead (it keeps 4x the buffer requested), and a
 * read whose connection broke reopens the file at its offset once. Writes
 * keep `concurrency` chunks in flight (libssh2 sends everything it is
 * given, and returns after the first acknowledgement); they go to a temp
 * name in the target's directory, renamed over the target at commit.
 */
#include "sftp.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"
#include "sftp_int.h"

static const struct duet_rstream_ops sftp_rstream_ops;
static const struct duet_wstream_ops sftp_wstream_ops;

struct sftp_rs {
	struct duet_rstream base;
	struct sftp_fs *fs;
	struct sftp_conn *c; /* the connection holding hd */
	struct sftp_hnd hd;
	char *rpath;         /* remote path; owned */
	int64_t pos;         /* file offset of buf[len] (next byte to fetch) */
	char *buf;           /* buf[off..len) is read but not handed out; owned */
	size_t cap, len, off;
	int eof;
	char path[];         /* relative path, for messages */
};

struct sftp_ws {
	struct duet_wstream base;
	struct sftp_fs *fs;
	struct sftp_conn *c;
	struct sftp_hnd hd;
	char *rfinal;        /* remote path of the target; owned */
	char *rtmp;          /* remote path written (rfinal when inplace); owned */
	int created;         /* rtmp is ours to remove on failure */
	int err;             /* first failure (sticky) */
	char *buf;           /* buf[ack..end) not yet acknowledged; owned */
	size_t cap, ack, end;
	size_t window;       /* bytes kept in flight */
	char path[];
};

/* --- reading --- */

/* Opens s->rpath at s->pos on c (mu held); size and type from fstat. */
static int
sftp_ropen(struct sftp_rs *s, struct sftp_conn *c)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	LIBSSH2_SFTP_HANDLE *h;

	h = libssh2_sftp_open_ex(c->sftp, s->rpath, (unsigned)strlen(s->rpath), LIBSSH2_FXF_READ,
	    0, LIBSSH2_SFTP_OPENFILE);
	if (h == NULL)
		return sftp_err(c, "open", s->path);
	sftp_hnd_add(c, &s->hd, h);
	s->c = c;
	if (libssh2_sftp_fstat_ex(h, &a, 0) != 0)
		return sftp_err(c, "stat", s->path);
	if ((a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return sftp_errx(s->fs, DUET_E_ISDIR, "open", s->path, "is a directory");
	if (s->base.size < 0 && (a.flags & LIBSSH2_SFTP_ATTR_SIZE))
		s->base.size = (int64_t)a.filesize;
	libssh2_sftp_seek64(h, (libssh2_uint64_t)s->pos);
	return 0;
}

static int
sftp_ropen_fn(struct sftp_conn *c, void *arg)
{
	return sftp_ropen(arg, c);
}

static void
sftp_rclose(struct duet_rstream *ds)
{
	struct sftp_rs *s = (struct sftp_rs *)ds;

	if (s == NULL)
		return;
	if (s->c != NULL) {
		pthread_mutex_lock(&s->c->mu);
		(void)sftp_hnd_close(s->c, &s->hd);
		pthread_mutex_unlock(&s->c->mu);
	}
	duet_free(s->rpath);
	duet_free(s->buf);
	duet_free(s);
}

int
sftp_op_open_read(struct duet_fs *dfs, const char *path, int64_t offset,
    struct duet_rstream **out)
{
	struct sftp_fs *fs = (struct sftp_fs *)dfs;
	size_t pl = strlen(path);
	struct sftp_rs *s;
	int rc;

	*out = NULL;
	if ((s = duet_calloc(1, sizeof(*s) + pl + 1)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory opening %s", path);
	s->base.ops = &sftp_rstream_ops;
	s->base.fd = -1;
	s->base.size = -1;
	s->fs = fs;
	s->pos = offset > 0 ? offset : 0;
	memcpy(s->path, path, pl + 1);
	/* libssh2 asks for 4x this ahead: concurrency chunks in flight. */
	s->cap = (size_t)fs->o.concurrency * SFTP_CHUNK / 4;
	if (s->cap < 65536)
		s->cap = 65536;
	if ((rc = sftp_rpath(fs, path, &s->rpath)) == 0 &&
	    (s->buf = duet_malloc(s->cap)) == NULL)
		rc = duet_err_set(DUET_E_NOMEM, "sftp: out of memory opening %s", path);
	if (rc == 0)
		rc = sftp_run(fs, "open", path, sftp_ropen_fn, s);
	if (rc != 0) {
		sftp_rclose(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

/* Refills the buffer (c->mu held). A broken connection is reopened at
 * the current offset, once. */
static int
sftp_refill(struct sftp_rs *s)
{
	struct sftp_conn *c = s->c;
	ssize_t n;
	int rc;

	for (int attempt = 0;; attempt++) {
		if (s->hd.h == NULL) {
			/* Closed by a reset of the connection (ours or another
			 * user's): a fresh session, the file at our offset. */
			if ((rc = sftp_conn_ready(c)) != 0)
				return sftp_err_wrap(s->fs, rc, "read", s->path);
			if ((rc = sftp_ropen(s, c)) != 0)
				return rc;
		}
		n = libssh2_sftp_read(s->hd.h, s->buf, s->cap);
		if (n >= 0) {
			s->off = 0;
			s->len = (size_t)n;
			s->pos += n;
			s->eof = n == 0;
			return 0;
		}
		rc = sftp_err(c, "read", s->path);
		if (!c->broken || attempt > 0)
			return rc;
		duet_log(DUET_LOG_DEBUG, "sftp: %s: reopening after: %s", s->path, duet_err_msg());
		sftp_conn_reset(c); /* closes s->hd too: reopened above */
	}
}

static ssize_t
sftp_read(struct duet_rstream *ds, void *buf, size_t n)
{
	struct sftp_rs *s = (struct sftp_rs *)ds;
	size_t k;
	int rc;

	if (s->off == s->len && !s->eof) {
		pthread_mutex_lock(&s->c->mu);
		rc = sftp_refill(s);
		s->c->last_used = sftp_now();
		pthread_mutex_unlock(&s->c->mu);
		if (rc != 0)
			return rc;
	}
	k = s->len - s->off < n ? s->len - s->off : n;
	memcpy(buf, s->buf + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

static const struct duet_rstream_ops sftp_rstream_ops = {
	.read = sftp_read,
	.close = sftp_rclose,
};

/* --- writing --- */

/* Opens the file written: a new temp name next to the target (or the
 * target itself with --inplace), creating the parents when missing. */
static int
sftp_wopen_try(struct sftp_ws *s, struct sftp_conn *c)
{
	unsigned long flags = LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL |
	    LIBSSH2_FXF_TRUNC;
	LIBSSH2_SFTP_HANDLE *h;
	const char *base = strrchr(s->rfinal, '/');
	size_t dl = base != NULL ? (size_t)(base - s->rfinal + 1) : 0;
	char tmp[300];

	for (int i = 0; i < 4; i++) {
		if (!s->fs->inplace) {
			sftp_tmpname(s->fs, base != NULL ? base + 1 : s->rfinal, tmp, sizeof(tmp));
			duet_free(s->rtmp);
			if ((s->rtmp = duet_malloc(dl + strlen(tmp) + 1)) == NULL)
				return duet_err_set(DUET_E_NOMEM, "sftp: out of memory writing %s", s->path);
			memcpy(s->rtmp, s->rfinal, dl);
			memcpy(s->rtmp + dl, tmp, strlen(tmp) + 1);
		}
		h = libssh2_sftp_open_ex(c->sftp, s->rtmp, (unsigned)strlen(s->rtmp), flags, 0666,
		    LIBSSH2_SFTP_OPENFILE);
		if (h != NULL) {
			sftp_hnd_add(c, &s->hd, h);
			s->c = c;
			s->created = 1;
			return 0;
		}
		if (sftp_status(c) != (long)LIBSSH2_FX_FAILURE &&
		    sftp_status(c) != (long)LIBSSH2_FX_FILE_ALREADY_EXISTS)
			break;
		if (s->fs->inplace) {
			/* The target exists: truncate it in place. */
			h = libssh2_sftp_open_ex(c->sftp, s->rtmp, (unsigned)strlen(s->rtmp),
			    LIBSSH2_FXF_WRITE | LIBSSH2_FXF_TRUNC, 0666, LIBSSH2_SFTP_OPENFILE);
			if (h == NULL)
				break;
			sftp_hnd_add(c, &s->hd, h);
			s->c = c;
			return 0;
		}
	}
	return sftp_err(c, "create", s->path);
}

static int
sftp_wopen_fn(struct sftp_conn *c, void *arg)
{
	struct sftp_ws *s = arg;
	const char *slash = strrchr(s->path, '/');
	char *parent;
	int rc;

	if ((rc = sftp_wopen_try(s, c)) != DUET_E_NOTFOUND)
		return rc;
	if ((parent = duet_strndup(s->path, slash ? (size_t)(slash - s->path) : 0)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory writing %s", s->path);
	rc = sftp_mkdir_c(c, parent);
	duet_free(parent);
	return rc != 0 ? rc : sftp_wopen_try(s, c);
}

/* Removes what the stream created (c->mu held); after a broken transport
 * on a fresh session. Best effort: a leftover temp name is never listed. */
static void
sftp_wdiscard(struct sftp_ws *s)
{
	struct sftp_conn *c = s->c;
	struct sftp_errsave save;

	if (c == NULL)
		return;
	sftp_err_save(&save);
	(void)sftp_hnd_close(c, &s->hd);
	if (s->created && c->broken)
		(void)sftp_conn_ready(c);
	if (s->created && c->ses != NULL && !c->broken)
		(void)libssh2_sftp_unlink_ex(c->sftp, s->rtmp, (unsigned)strlen(s->rtmp));
	s->created = 0;
	sftp_err_restore(&save);
}

static void
sftp_wfree(struct sftp_ws *s)
{
	if (s->c != NULL) {
		pthread_mutex_lock(&s->c->mu);
		sftp_wdiscard(s);
		sftp_conn_put(s->c);
	}
	duet_free(s->rfinal);
	duet_free(s->rtmp);
	duet_free(s->buf);
	duet_free(s);
}

int
sftp_op_open_write(struct duet_fs *dfs, const char *path, int64_t size,
    struct duet_wstream **out)
{
	struct sftp_fs *fs = (struct sftp_fs *)dfs;
	size_t pl = strlen(path);
	struct sftp_ws *s;
	int rc;

	*out = NULL;
	if ((s = duet_calloc(1, sizeof(*s) + pl + 1)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "sftp: out of memory writing %s", path);
	s->base.ops = &sftp_wstream_ops;
	s->base.fd = -1;
	s->fs = fs;
	memcpy(s->path, path, pl + 1);
	s->window = (size_t)fs->o.concurrency * SFTP_CHUNK;
	/* The buffer grows to 2 windows; small files need less. */
	s->cap = size >= 0 && (uint64_t)size < 2 * s->window ? (size_t)size + 1 : 2 * s->window;
	if ((rc = sftp_rpath(fs, path, &s->rfinal)) != 0)
		goto out;
	if (fs->inplace && (s->rtmp = duet_strdup(s->rfinal)) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "sftp: out of memory writing %s", path);
		goto out;
	}
	if ((s->buf = duet_malloc(s->cap)) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "sftp: out of memory writing %s", path);
		goto out;
	}
	rc = sftp_run(fs, "create", path, sftp_wopen_fn, s);
out:
	if (rc != 0) {
		sftp_wfree(s);
		return rc;
	}
	*out = &s->base;
	return 0;
}

/* Sends buffered data until at most `keep` bytes are unacknowledged
 * (c->mu held). */
static int
sftp_push(struct sftp_ws *s, size_t keep)
{
	ssize_t w;

	while (s->end - s->ack > keep) {
		if (s->hd.h == NULL)
			return sftp_errx(s->fs, DUET_E_NET, "write", s->path,
			    "connection lost during the upload");
		w = libssh2_sftp_write(s->hd.h, s->buf + s->ack, s->end - s->ack);
		if (w < 0)
			return sftp_err(s->c, "write", s->path);
		s->ack += (size_t)w;
	}
	return 0;
}

/* Room at the end of the buffer: compact, grow, or wait for acks. */
static int
sftp_room(struct sftp_ws *s)
{
	char *nb;
	size_t ncap;

	if (s->end < s->cap)
		return 0;
	if (s->ack > 0) {
		memmove(s->buf, s->buf + s->ack, s->end - s->ack);
		s->end -= s->ack;
		s->ack = 0;
		return 0;
	}
	if (s->cap < 2 * s->window) {
		ncap = s->cap * 2 < 2 * s->window ? s->cap * 2 + 4096 : 2 * s->window;
		if ((nb = duet_realloc(s->buf, ncap)) == NULL)
			return duet_err_set(DUET_E_NOMEM, "sftp: out of memory writing %s", s->path);
		s->buf = nb;
		s->cap = ncap;
		return 0;
	}
	return sftp_push(s, s->window / 2);
}

static int
sftp_write(struct duet_wstream *ds, const void *data, size_t n)
{
	struct sftp_ws *s = (struct sftp_ws *)ds;
	const char *p = data;
	int rc = 0;

	if (s->err != 0)
		return s->err;
	pthread_mutex_lock(&s->c->mu);
	while (n > 0 && rc == 0) {
		size_t k;
		if ((rc = sftp_room(s)) != 0)
			break;
		k = s->cap - s->end < n ? s->cap - s->end : n;
		memcpy(s->buf + s->end, p, k);
		s->end += k;
		p += k;
		n -= k;
		/* A window in flight; send once a chunk more has gathered. */
		if (s->end - s->ack >= s->window + SFTP_CHUNK)
			rc = sftp_push(s, s->window);
	}
	s->c->last_used = sftp_now();
	pthread_mutex_unlock(&s->c->mu);
	return s->err = rc;
}

/* With c->mu held: the rest of the data, the mtime, close, rename. */
static int
sftp_commit_locked(struct sftp_ws *s, int64_t mtime)
{
	struct sftp_conn *c = s->c;
	LIBSSH2_SFTP_ATTRIBUTES a;
	int64_t sec = mtime / 1000000000 - (mtime % 1000000000 < 0);
	int rc;

	if (s->hd.h == NULL)
		return sftp_errx(s->fs, DUET_E_NET, "commit", s->path,
		    "connection lost during the upload");
	if ((rc = sftp_push(s, 0)) != 0)
		return rc;
	if (mtime != 0 && s->fs->o.set_modtime) {
		memset(&a, 0, sizeof(a));
		a.flags = LIBSSH2_SFTP_ATTR_ACMODTIME;
		a.atime = a.mtime = (unsigned long)sec;
		if (libssh2_sftp_fstat_ex(s->hd.h, &a, 1) != 0)
			return sftp_err(c, "set modification time", s->path);
	}
	if (sftp_hnd_close(c, &s->hd) != 0)
		return sftp_err(c, "close", s->path);
	if (s->fs->inplace)
		return 0;
	return sftp_replace_c(c, s->rtmp, s->rfinal, s->path);
}

static int
sftp_commit(struct duet_wstream *ds, int64_t mtime)
{
	struct sftp_ws *s = (struct sftp_ws *)ds;
	int rc = s->err;

	pthread_mutex_lock(&s->c->mu);
	if (rc == 0 && (rc = sftp_commit_locked(s, mtime)) == 0)
		s->created = 0;
	pthread_mutex_unlock(&s->c->mu);
	sftp_wfree(s);
	return rc;
}

static void
sftp_abort(struct duet_wstream *ds)
{
	if (ds != NULL)
		sftp_wfree((struct sftp_ws *)ds);
}

static const struct duet_wstream_ops sftp_wstream_ops = {
	.write = sftp_write,
	.commit = sftp_commit,
	.abort = sftp_abort,
};
