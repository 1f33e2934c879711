/*
 * xfer_ops.c: the engine's single-item operations: copy one file (stream
 * or kernel copy, hash while streaming, verify, retry), back up the
 * destination version, delete one file, and the hash/stat check that
 * decides a doubtful pair. Failures are counted, never returned.
 */
#include "xfer_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "copyfd.h"
#include "error.h"
#include "hash.h"
#include "bwlimit.h"
#include "hashpipe.h"
#include "log.h"

_Thread_local char *xfer_tls_buf;

const char *
xjob_path(const struct xjob *j)
{
	if (j->dst_path != NULL)
		return j->dst_path;
	return j->s != NULL ? j->s->path : j->d->path;
}

void
xfer_size_text(int64_t n, char *out, size_t len)
{
	static const char *units[] = {"Ki", "Mi", "Gi", "Ti", "Pi"};
	double v = (double)n;
	int u = -1;
	if (n < 1024) {
		snprintf(out, len, "%" PRId64, n);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, "%.3f%s", v, units[u]);
}

void
xrun_report(struct xrun *xr, enum duet_xfer_op op, const char *path, int err,
    int64_t size, int64_t mtime, const struct duet_hashes *h)
{
	struct duet_xfer_item it;
	if (xr->o->on_item == NULL)
		return;
	memset(&it, 0, sizeof(it));
	it.op = op;
	it.path = path;
	it.err = err;
	it.msg = err ? duet_err_msg() : NULL;
	it.size = size;
	it.mtime = mtime;
	it.hashes = h;
	pthread_mutex_lock(&xr->mu);
	xr->o->on_item(xr->o->ctx, &it);
	pthread_mutex_unlock(&xr->mu);
}

void
xrun_fail(struct xrun *xr, const char *path, const char *what, int code)
{
	const char *msg = duet_err_msg();
	duet_logo(DUET_LOG_ERROR, path, "%s: %s", what, msg);
	atomic_fetch_add(&xr->st->errors, 1);
	pthread_mutex_lock(&xr->mu);
	xr->last_err = code;
	snprintf(xr->last_msg, sizeof(xr->last_msg), "%s: %s", path, msg);
	pthread_mutex_unlock(&xr->mu);
}

/* -i: 1 go, 0 skip; a quit request stops the run. */
static int
xfer_confirm(struct xrun *xr, const char *action, const char *path)
{
	int r;
	if (xr->o->confirm == NULL)
		return 1;
	pthread_mutex_lock(&xr->mu);
	r = xr->o->confirm(xr->o->ctx, action, path);
	pthread_mutex_unlock(&xr->mu);
	if (r < 0) {
		atomic_store(&xr->stop, 1);
		atomic_store(&xr->st->cancelled, 1);
		return 0;
	}
	return r;
}

/* The name of the backup copy of path ("a.txt" + "-bak" = "a.txt-bak", or
 * "a-bak.txt" with --suffix-keep-extension). Caller frees. */
static char *
xfer_backup_name(const struct duet_xfer_opts *o, const char *path)
{
	const char *suf = o->suffix ? o->suffix : "";
	size_t pl = strlen(path), sl = strlen(suf);
	const char *base = strrchr(path, '/'), *dot;
	char *out = duet_malloc(pl + sl + 1);
	size_t cut = pl;
	if (out == NULL)
		return NULL;
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (o->suffix_keep_extension && dot != NULL && dot != base)
		cut = (size_t)(dot - path);
	memcpy(out, path, cut);
	memcpy(out + cut, suf, sl);
	memcpy(out + cut + sl, path + cut, pl - cut + 1);
	return out;
}

/* What one stream copy should do besides moving bytes. */
struct xpipe {
	atomic_llong *progress;       /* bytes are added here, or NULL */
	int64_t limit;                /* --max-transfer HARD cut-off, or -1 */
	unsigned hash_mask;           /* kinds to hash while streaming, or 0 */
	const struct duet_hashes *expect; /* listed source hashes, or NULL */
	int64_t size;                 /* bytes the source should have, or -1 */
	void *tag;                    /* group commit: queue with this tag */
	int queued;                   /* out: 1 when queued for a flush */
	int lazy;                     /* the listed mtime is the store's: take
	                                 the read stream's (DUET_EF_LAZY) */
};

/* --bwlimit for a copy between two backends that do not charge it
 * themselves (local, SFTP); NULL when there is no limit or one side's
 * requests are charged already (S3, Azure). */
static struct duet_bwlimit *
xfer_bw(const struct duet_fs *from, const struct duet_fs *to)
{
	struct duet_bwlimit *bw = duet_bwlimit_global();

	if (duet_bwlimit_rate(bw) <= 0 || ((from->caps | to->caps) & DUET_CAP_BWLIMIT))
		return NULL;
	return bw;
}

/* Moves bytes from rs to ws, through the kernel when nothing needs to see
 * them. Returns bytes moved or a negative code. */
static int64_t
xfer_pump(struct duet_rstream *rs, struct duet_wstream *ws, const struct xpipe *p,
    struct duet_hasher *hs, struct duet_bwlimit *bw)
{
	char *bufs[2] = {xfer_tls_buf, NULL}, *buf;
	struct duet_hashpipe *hp = NULL;
	int64_t n = 0, rc = 0, size = p->size >= 0 ? p->size : rs->size;

	if (hs == NULL && bw == NULL && rs->fd >= 0 && ws->fd >= 0 && p->limit < 0)
		return duet_copy_fd(rs->fd, ws->fd, p->progress);
	if (bufs[0] == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	/* A large file is hashed on a second thread, one chunk behind the
	 * copy, in two alternating buffers; a small one (or no thread) inline. */
	if (hs != NULL && size >= XFER_HASH_THREAD_MIN && (bufs[1] = duet_malloc(XFER_BUF)) != NULL &&
	    duet_hashpipe_start(hs, &hp) != 0)
		hp = NULL;
	for (int i = 0;; i ^= hp != NULL) {
		ssize_t r = rs->ops->read(rs, buf = bufs[i], XFER_BUF);
		if (r <= 0) {
			rc = r < 0 ? r : n;
			break;
		}
		duet_bwlimit_charge(bw, (size_t)r);
		if (hp != NULL)
			duet_hashpipe_feed(hp, buf, (size_t)r);
		else if (hs != NULL)
			duet_hasher_update(hs, buf, (size_t)r);
		if ((rc = ws->ops->write(ws, buf, (size_t)r)) != 0)
			break;
		n += r;
		if (p->progress != NULL && atomic_fetch_add(p->progress, r) + r > p->limit &&
		    p->limit >= 0) {
			rc = duet_err_set(DUET_E_MAXTRANSFER, "max transfer limit reached");
			break;
		}
	}
	duet_hashpipe_finish(hp);
	duet_free(bufs[1]);
	return rc;
}

/* Tells ws the mtime and the digests known before the first byte. A
 * destination that wants the MD5 of a large write up front (md5_first)
 * gets it from the source when the listing had none, as rclone does: a
 * local file is read twice then. */
static int
xfer_hint(struct duet_fs *from, const char *path, struct duet_fs *to, struct duet_wstream *ws,
    int64_t mtime, const struct xpipe *p)
{
	const unsigned md5 = DUET_HASH_BIT(DUET_HASH_MD5);
	struct duet_hashes h;

	if (to->md5_first > 0 && p->size >= to->md5_first && (from->hashes & md5) &&
	    (p->expect == NULL || !(p->expect->mask & md5))) {
		memset(&h, 0, sizeof(h));
		if (p->expect != NULL)
			h = *p->expect;
		if (from->ops->hash(from, path, DUET_HASH_MD5, &h) == 0)
			return ws->ops->hint(ws, mtime, &h);
	}
	return ws->ops->hint(ws, mtime, p->expect);
}

/* Copies path of `from` to dst of `to` (write stream, commit with mtime).
 * With p->hash_mask, *h receives the digests of the bytes; bytes that do
 * not match p->expect never become visible (checked before the commit).
 * *copied (may be NULL) receives the bytes moved. */
static int
xfer_pipe(struct duet_fs *from, const char *path, struct duet_fs *to, const char *dst,
    int64_t mtime, struct xpipe *p, struct duet_hashes *h, int64_t *copied)
{
	struct duet_rstream *rs = NULL;
	struct duet_wstream *ws = NULL;
	struct duet_hasher *hs = NULL;
	int64_t n = 0;
	int rc, k;

	if ((rc = from->ops->open_read(from, path, 0, &rs)) != 0)
		goto out;
	if (p->lazy && rs->mtime != 0)
		mtime = rs->mtime;
	if ((rc = to->ops->open_write(to, dst, p->size >= 0 ? p->size : rs->size, &ws)) != 0)
		goto out;
	if (ws->ops->hint != NULL && (rc = xfer_hint(from, path, to, ws, mtime, p)) != 0)
		goto out;
	if (p->hash_mask && (rc = duet_hasher_new(p->hash_mask, &hs)) != 0)
		goto out;
	n = xfer_pump(rs, ws, p, hs, xfer_bw(from, to));
	rc = n < 0 ? (int)n : 0;
	if (rc == 0 && p->size >= 0 && n != p->size)
		rc = duet_err_set(DUET_E_CHANGED,
		    "source changed during copy: expected %" PRId64 " bytes, read %" PRId64, p->size, n);
	if (rc == 0 && hs != NULL) {
		duet_hasher_final(hs, h);
		k = duet_hash_first(p->hash_mask);
		if (p->expect && (p->expect->mask & h->mask & DUET_HASH_BIT(k)) &&
		    !duet_hash_equal(p->expect, h, (enum duet_hash_kind)k))
			rc = duet_err_set(DUET_E_HASH, "corrupted on transfer: %s hash differs from source",
			    duet_hash_name((enum duet_hash_kind)k));
	}
	if (rc == 0 && p->tag != NULL && ws->ops->commit_later != NULL && to->ops->flush != NULL) {
		rc = ws->ops->commit_later(ws, mtime, p->tag);
		ws = NULL;
		p->queued = rc == 0;
	} else if (rc == 0) {
		rc = ws->ops->commit(ws, mtime);
		ws = NULL;
	}
out:
	if (copied != NULL)
		*copied = n > 0 ? n : 0;
	if (ws != NULL)
		ws->ops->abort(ws);
	if (rs != NULL)
		rs->ops->close(rs);
	duet_hasher_free(hs);
	return rc;
}

/* A plain copy between two fs (backups across roots, --copy-dest). */
static int
xfer_stream_plain(struct duet_fs *from, const char *path, struct duet_fs *to,
    const char *dst, int64_t mtime)
{
	struct xpipe p = {NULL, -1, 0, NULL, -1, NULL, 0, 0};
	return xfer_pipe(from, path, to, dst, mtime, &p, NULL, NULL);
}

/* Moves dst's version of path to the backup location before it is
 * replaced or deleted. 0 when done (or nothing to do). */
static int
xfer_backup(struct xrun *xr, const char *path)
{
	const struct duet_xfer_opts *o = xr->o;
	struct duet_fs *bfs = o->backup_fs;
	struct duet_entry e;
	char *name;
	int rc;

	if (bfs == NULL)
		return 0;
	name = xfer_backup_name(o, path);
	if (name == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	if (bfs == xr->dst)
		rc = bfs->ops->move(bfs, path, name);
	else if (bfs->ops == xr->dst->ops && bfs->ops->move_from != NULL)
		rc = bfs->ops->move_from(bfs, xr->dst, path, name);
	else
		rc = DUET_E_XDEV;
	if (rc == DUET_E_XDEV) {
		memset(&e, 0, sizeof(e));
		rc = xr->dst->ops->stat(xr->dst, path, &e);
		if (rc == 0)
			rc = xfer_stream_plain(xr->dst, path, bfs, name, e.mtime);
		if (rc == 0)
			rc = xr->dst->ops->remove(xr->dst, path);
	}
	if (rc == 0) {
		duet_logo(DUET_LOG_INFO, path, "Moved into backup dir as %s", name);
		xrun_report(xr, DUET_OP_BACKUP, path, 0, -1, 0, NULL);
	}
	duet_free(name);
	return rc;
}

/* One attempt: stream s into dst_path, hashing when verifying. */
static int
xfer_stream(struct xrun *xr, const struct duet_entry *s, const char *dst_path,
    struct duet_hashes *h, int64_t *copied, void *tag, int *queued)
{
	struct xpipe p;
	int rc;
	p.progress = &xr->st->bytes;
	p.limit = xr->o->cutoff == DUET_CUTOFF_HARD ? xr->o->max_transfer : -1;
	p.hash_mask = xr->verify ? DUET_HASH_BIT(xr->hash_kind) : 0;
	p.expect = s->hashes;
	p.size = s->size;
	/* Verification reads the final name, so it rules out queueing. */
	p.tag = xr->verify ? NULL : tag;
	p.queued = 0;
	p.lazy = (s->flags & DUET_EF_LAZY) != 0;
	rc = xfer_pipe(xr->src, s->path, xr->dst, dst_path, s->mtime, &p, h, copied);
	*queued = p.queued;
	return rc;
}

/*
 * Both roots on one store (two buckets or prefixes of one S3 or Azure
 * account): the server copies, nothing passes through this machine.
 * Returns 1 when it was tried (its code in *rc), 0 to stream instead.
 * *h gets the source's listed digest for the post-copy check; the mtime
 * is set when the copy did not carry it (an object whose time was its
 * LastModified).
 */
static int
xfer_server_copy(struct xrun *xr, const struct duet_entry *s, const char *dst_path,
    struct duet_hashes *h, int *rc)
{
	struct duet_fs *src = xr->src, *dst = xr->dst;
	struct duet_entry e;
	int64_t d;

	if (src->ops != dst->ops || dst->ops->copy_from == NULL)
		return 0;
	*rc = dst->ops->copy_from(dst, src, s->path, dst_path);
	if (*rc == DUET_E_XDEV)
		return 0;
	if (*rc != 0)
		return 1;
	duet_logo(DUET_LOG_DEBUG, dst_path, "Copied on the server");
	atomic_fetch_add(&xr->st->bytes, s->size > 0 ? s->size : 0);
	if (s->hashes != NULL && xr->hash_kind >= 0 && (s->hashes->mask & DUET_HASH_BIT(xr->hash_kind)))
		*h = *s->hashes;
	if (xr->window < 0 || s->mtime == 0 || xr->o->no_update_modtime || dst->ops->set_mtime == NULL)
		return 1;
	memset(&e, 0, sizeof(e));
	if ((*rc = dst->ops->stat(dst, dst_path, &e)) != 0)
		return 1;
	d = e.mtime - s->mtime;
	if (d > xr->window || -d > xr->window)
		*rc = dst->ops->set_mtime(dst, dst_path, s->mtime);
	return 1;
}

/* Post-copy check: the destination's hash must equal the streamed one. */
static int
xfer_verify(struct xrun *xr, const char *dst_path, const struct duet_hashes *h)
{
	struct duet_hashes dh;
	enum duet_hash_kind k = (enum duet_hash_kind)xr->hash_kind;
	int rc;
	if (!(h->mask & DUET_HASH_BIT(k)) || xr->dst->ops->hash == NULL)
		return 0;
	memset(&dh, 0, sizeof(dh));
	rc = xr->dst->ops->hash(xr->dst, dst_path, k, &dh);
	if (rc != 0)
		return rc;
	if (!duet_hash_equal(h, &dh, k)) {
		xr->dst->ops->remove(xr->dst, dst_path);
		return duet_err_set(DUET_E_HASH, "corrupted on transfer: %s hashes differ",
		    duet_hash_name(k));
	}
	return 0;
}

/* Limits checked before a transfer starts: 1 to skip it. */
static int
xfer_limited(struct xrun *xr, const struct duet_entry *s)
{
	const struct duet_xfer_opts *o = xr->o;
	long long done;
	if (atomic_load(&xr->stop))
		return 1;
	if (xr->deadline && duet_now_mono() > xr->deadline) {
		atomic_store(&xr->stop, 1);
		atomic_store(&xr->st->cancelled, DUET_E_MAXDURATION);
		return 1;
	}
	if (o->max_transfer < 0)
		return 0;
	done = atomic_load(&xr->st->bytes);
	if (done >= o->max_transfer ||
	    (o->cutoff == DUET_CUTOFF_CAUTIOUS && done + (s->size > 0 ? s->size : 0) > o->max_transfer)) {
		if (o->cutoff != DUET_CUTOFF_CAUTIOUS)
			atomic_store(&xr->stop, 1);
		atomic_store(&xr->st->cancelled, DUET_E_MAXTRANSFER);
		return 1;
	}
	return 0;
}

/* --compare-dest / --copy-dest: 1 when the file was satisfied from there. */
static int
xfer_alt_dest(struct xrun *xr, const struct duet_entry *s, const char *dst_path)
{
	struct duet_fs *alt = xr->o->compare_fs ? xr->o->compare_fs : xr->o->copy_fs;
	struct duet_entry e;
	if (alt == NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	e.path = s->path;
	if (alt->ops->stat(alt, s->path, &e) != 0 || e.type != DUET_T_FILE)
		return 0;
	if (duet_xfer_need(xr->o, s, &e, xr->window, 0) != DUET_NEED_NONE)
		return 0;
	if (xr->o->compare_fs != NULL) {
		duet_logo(DUET_LOG_DEBUG, s->path, "Unchanged skipping (same as --compare-dest)");
		return 1;
	}
	if (xfer_stream_plain(alt, s->path, xr->dst, dst_path, s->mtime) != 0)
		return 0;
	duet_logo(DUET_LOG_INFO, dst_path, "Copied (from --copy-dest)");
	atomic_fetch_add(&xr->st->transfers, 1);
	xrun_report(xr, DUET_OP_COPY, dst_path, 0, s->size, s->mtime, NULL);
	return 1;
}

static void
xfer_dry(const char *path, const char *what, int64_t size)
{
	char sz[32];
	xfer_size_text(size < 0 ? 0 : size, sz, sizeof(sz));
	duet_logo(DUET_LOG_NOTICE, path, "Skipped %s as --dry-run is set (size %s)", what, sz);
}

/* A copy waiting for the destination's group commit. */
struct xpend {
	struct xjob job;
	struct duet_hashes h;
	char path[]; /* destination path (the job's may be borrowed) */
};

/* The end of one copy: counted, logged, reported; move removes the source. */
static void
xrun_copied(struct xrun *xr, const struct xjob *j, const char *dst_path,
    const struct duet_hashes *h, int rc)
{
	if (rc != 0) {
		xrun_fail(xr, dst_path, "Failed to copy", rc);
		if (rc == DUET_E_MAXTRANSFER)
			atomic_store(&xr->stop, 1);
		xrun_report(xr, DUET_OP_COPY, dst_path, rc, -1, 0, NULL);
		return;
	}
	atomic_fetch_add(&xr->st->transfers, 1);
	duet_logo(DUET_LOG_INFO, dst_path, j->dst_exists ? "Copied (replaced existing)" : "Copied (new)");
	xrun_report(xr, DUET_OP_COPY, dst_path, 0, j->s->size, j->s->mtime,
	    h != NULL && h->mask ? h : NULL);
	if (xr->o->mode == DUET_XFER_MOVE) {
		struct xjob m = *j;
		m.kind = XJ_MOVE_SRC;
		xrun_delete(xr, &m);
	}
}

static void
xrun_flushed(void *ctx, void *tag, int code)
{
	struct xpend *p = tag;
	xrun_copied(ctx, &p->job, p->path, &p->h, code);
	duet_free(p);
}

void
xrun_flush(struct xrun *xr)
{
	if (xr->dst->ops->flush == NULL)
		return;
	pthread_mutex_lock(&xr->flush_mu);
	atomic_store(&xr->pending, 0);
	xr->dst->ops->flush(xr->dst, xrun_flushed, xr);
	pthread_mutex_unlock(&xr->flush_mu);
}

/* A pending record when the destination group-commits, else NULL. */
static struct xpend *
xrun_pend_new(struct xrun *xr, const struct xjob *j, const char *dst_path)
{
	size_t n = strlen(dst_path);
	struct xpend *p;
	if (xr->dst->ops->flush == NULL || xr->verify)
		return NULL;
	if ((p = duet_calloc(1, sizeof(*p) + n + 1)) == NULL)
		return NULL; /* commit at once instead */
	p->job = *j;
	memcpy(p->path, dst_path, n + 1);
	return p;
}

void
xrun_copy(struct xrun *xr, const struct xjob *j)
{
	const char *dst_path = xjob_path(j);
	struct xpend *pend;
	struct xjob known;
	struct duet_hashes h;
	int64_t copied = 0;
	int rc = 0, queued = 0, tries = xr->o->low_level_retries > 0 ? xr->o->low_level_retries : 1;

	if (xfer_limited(xr, j->s))
		return;
	if (!xfer_confirm(xr, "copy", dst_path)) {
		xrun_report(xr, DUET_OP_SKIP, dst_path, 0, -1, 0, NULL);
		return;
	}
	if (xr->o->dry_run) {
		xfer_dry(dst_path, "copy", j->s->size);
		atomic_fetch_add(&xr->st->transfers, 1);
		return;
	}
	if (xfer_alt_dest(xr, j->s, dst_path))
		return;
	if (j->dst_exists == XJ_DST_UNKNOWN) {
		struct duet_entry e;
		memset(&e, 0, sizeof(e));
		known = *j;
		known.dst_exists = xr->dst->ops->stat(xr->dst, dst_path, &e) == 0;
		j = &known;
		if (!known.dst_exists)
			memset(&e, 0, sizeof(e));
		if (xr->o->dst_check != NULL && xr->o->dst_check(xr->o->ctx, dst_path, &e) != 0) {
			xrun_report(xr, DUET_OP_SKIP, dst_path, 0, -1, 0, NULL);
			return;
		}
	}
	if (j->dst_exists && (rc = xfer_backup(xr, dst_path)) != 0) {
		xrun_fail(xr, dst_path, "Failed to back up", rc);
		return;
	}
	pend = xrun_pend_new(xr, j, dst_path);
	for (int t = 1; t <= tries; t++) {
		memset(&h, 0, sizeof(h));
		if (!xfer_server_copy(xr, j->s, dst_path, &h, &rc))
			rc = xfer_stream(xr, j->s, dst_path, &h, &copied, pend, &queued);
		if (rc == 0 && xr->verify)
			rc = xfer_verify(xr, dst_path, &h);
		if (rc == 0 || !duet_err_retryable(rc) || t == tries)
			break;
		atomic_fetch_sub(&xr->st->bytes, copied);
		duet_logo(DUET_LOG_DEBUG, dst_path, "low level retry %d/%d: %s", t, tries,
		    duet_err_msg());
	}
	if (queued) { /* reported by the flush */
		pend->h = h;
		if (atomic_fetch_add(&xr->pending, 1) + 1 >= XFER_BATCH)
			xrun_flush(xr);
		return;
	}
	duet_free(pend);
	xrun_copied(xr, j, dst_path, &h, rc);
}

/* The end of a remove: counted, logged and reported, or failed. */
static void
xrun_removed(struct xrun *xr, const char *path, int src, int rc)
{
	if (rc != 0) {
		xrun_fail(xr, path, "Couldn't delete", rc);
		return;
	}
	atomic_fetch_add(&xr->st->deletes, 1);
	duet_logo(DUET_LOG_INFO, path, "Deleted");
	xrun_report(xr, src ? DUET_OP_MOVE_SRC : DUET_OP_DELETE, path, 0, -1, 0, NULL);
}

/* Sends n held removes of fs in one remove_batch. A path the batch could
 * not remove is tried once more alone, for its own message. */
static void
xrun_del_send(struct xrun *xr, struct duet_fs *fs, const struct xdel *v, size_t n)
{
	const char **paths = duet_calloc(n, sizeof(*paths));
	int *codes = duet_calloc(n, sizeof(*codes));
	size_t i;

	if (paths == NULL || codes == NULL) {
		for (i = 0; i < n; i++)
			xrun_removed(xr, v[i].path, v[i].src, fs->ops->remove(fs, v[i].path));
		goto out;
	}
	for (i = 0; i < n; i++)
		paths[i] = v[i].path;
	/* A batch that failed as a whole (server gone, refused) fails each
	 * path with its message; one that went through but refused a path
	 * gets that path tried alone. */
	if (fs->ops->remove_batch(fs, paths, n, codes) != 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", duet_err_msg());
		for (i = 0; i < n; i++) {
			duet_err_set(codes[i] != 0 ? codes[i] : DUET_E_IO, "%s", msg);
			xrun_removed(xr, v[i].path, v[i].src, codes[i] != 0 ? codes[i] : DUET_E_IO);
		}
		goto out;
	}
	for (i = 0; i < n; i++)
		xrun_removed(xr, v[i].path, v[i].src,
		    codes[i] != 0 ? fs->ops->remove(fs, v[i].path) : 0);
out:
	duet_free(paths);
	duet_free(codes);
}

/* Takes what is held (under del_mu) and sends it. */
static void
xrun_del_take(struct xrun *xr)
{
	struct xdel *v = xr->del;
	size_t n = xr->ndel;
	struct duet_fs *fs = xr->del_fs;

	xr->del = NULL;
	xr->ndel = 0;
	xr->del_fs = NULL;
	pthread_mutex_unlock(&xr->del_mu);
	if (n > 0)
		xrun_del_send(xr, fs, v, n);
	duet_free(v);
	pthread_mutex_lock(&xr->del_mu);
}

void
xrun_del_flush(struct xrun *xr)
{
	pthread_mutex_lock(&xr->del_mu);
	xrun_del_take(xr);
	pthread_mutex_unlock(&xr->del_mu);
}

/* Holds a remove for fs's remove_batch; a full batch is sent at once. */
static void
xrun_del_hold(struct xrun *xr, struct duet_fs *fs, const char *path, int src)
{
	pthread_mutex_lock(&xr->del_mu);
	if (xr->del_fs != NULL && xr->del_fs != fs)
		xrun_del_take(xr);
	if (xr->del == NULL && (xr->del = duet_calloc(XFER_DEL_BATCH, sizeof(*xr->del))) == NULL) {
		pthread_mutex_unlock(&xr->del_mu);
		xrun_removed(xr, path, src, fs->ops->remove(fs, path));
		return;
	}
	xr->del_fs = fs;
	xr->del[xr->ndel].path = path;
	xr->del[xr->ndel].src = src;
	if (++xr->ndel == XFER_DEL_BATCH)
		xrun_del_take(xr);
	pthread_mutex_unlock(&xr->del_mu);
}

/* Deletes the destination file of j (or, for XJ_MOVE_SRC, the source). */
void
xrun_delete(struct xrun *xr, const struct xjob *j)
{
	int src = j->kind == XJ_MOVE_SRC;
	struct duet_fs *fs = src ? xr->src : xr->dst;
	const char *path = src ? j->s->path : j->d->path;
	int64_t size = src ? j->s->size : j->d->size;
	int rc;

	if (!src) {
		if (!xfer_confirm(xr, "delete", path)) {
			xrun_report(xr, DUET_OP_SKIP, path, 0, -1, 0, NULL);
			return;
		}
		/* The budget goes below zero once spent: test the option, not
		 * the counter, or a later worker would take -1 for unlimited. */
		if (xr->o->max_delete >= 0 &&
		    atomic_fetch_sub(&xr->deletes_left, 1) <= 0) {
			duet_err_set(DUET_E_CANCELLED, "--max-delete threshold reached");
			if (!atomic_exchange(&xr->st->fatal, 1))
				xrun_fail(xr, path, "Not deleting", DUET_E_CANCELLED);
			return;
		}
	}
	if (xr->o->dry_run) {
		xfer_dry(path, "delete", size);
		atomic_fetch_add(&xr->st->deletes, 1);
		return;
	}
	if (!src && xr->o->dst_check != NULL) {
		struct duet_entry e;
		memset(&e, 0, sizeof(e));
		if (fs->ops->stat(fs, path, &e) != 0)
			memset(&e, 0, sizeof(e));
		if (xr->o->dst_check(xr->o->ctx, path, &e) != 0) {
			xrun_report(xr, DUET_OP_SKIP, path, 0, -1, 0, NULL);
			return;
		}
	}
	if (!src && xr->o->backup_fs != NULL) {
		rc = xfer_backup(xr, path);
	} else if (fs->ops->remove_batch != NULL) {
		xrun_del_hold(xr, fs, path, src);
		return;
	} else {
		rc = fs->ops->remove(fs, path);
	}
	xrun_removed(xr, path, src, rc);
}

void
xrun_equal(struct xrun *xr, const struct xjob *j, int64_t size, int64_t mtime,
    const struct duet_hashes *h)
{
	xrun_report(xr, DUET_OP_EQUAL, xjob_path(j), 0, size, mtime, h);
	if (xr->o->mode == DUET_XFER_MOVE) {
		struct xjob m = *j;
		m.kind = XJ_MOVE_SRC;
		xrun_delete(xr, &m);
	}
}

/* Adds a copy found by a check to the transfer list. */
static void
xrun_queue_copy(struct xrun *xr, const struct xjob *j, int exists)
{
	struct xjob c = *j;
	c.kind = XJ_COPY;
	c.dst_exists = (unsigned char)exists;
	pthread_mutex_lock(&xr->mu);
	if (xjobs_push(&xr->copies, &c) != 0)
		atomic_store(&xr->st->fatal, 1);
	else
		atomic_fetch_add(&xr->st->total_bytes, j->s->size > 0 ? j->s->size : 0);
	pthread_mutex_unlock(&xr->mu);
}

/* Compares the two files' hashes; mtime-only differences are fixed. */
static void
xrun_check_hash(struct xrun *xr, const struct xjob *j, const struct duet_entry *d)
{
	enum duet_hash_kind k = (enum duet_hash_kind)xr->hash_kind;
	struct duet_hashes a, b;
	const char *path = xjob_path(j);
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (j->s->hashes && (j->s->hashes->mask & DUET_HASH_BIT(k)))
		a = *j->s->hashes;
	else if ((rc = xr->src->ops->hash(xr->src, j->s->path, k, &a)) != 0)
		goto fail;
	if (d->hashes && (d->hashes->mask & DUET_HASH_BIT(k)))
		b = *d->hashes;
	else if ((rc = xr->dst->ops->hash(xr->dst, path, k, &b)) != 0)
		goto fail;
	if (!duet_hash_equal(&a, &b, k)) {
		if (xr->o->immutable) {
			duet_err_set(DUET_E_INVAL, "Source and destination exist but do not match: immutable file modified");
			xrun_fail(xr, path, "Not copying", DUET_E_INVAL);
			return;
		}
		xrun_queue_copy(xr, j, 1);
		return;
	}
	if (!xr->o->checksum && !xr->o->no_update_modtime && j->s->mtime != 0 &&
	    !xr->o->dry_run && (xr->dst->caps & DUET_CAP_SETMTIME)) {
		rc = xr->dst->ops->set_mtime(xr->dst, path, j->s->mtime);
		if (rc == 0) {
			duet_logo(DUET_LOG_INFO, path, "Updated modification time in destination");
			xrun_report(xr, DUET_OP_SETMTIME, path, 0, j->s->size, j->s->mtime, &a);
			return;
		}
		if (rc != DUET_E_UNSUPPORTED)
			goto fail;
	}
	xrun_equal(xr, j, j->s->size, j->s->mtime, &a);
	return;
fail:
	xrun_fail(xr, path, "Failed to check hashes", rc);
}

void
xrun_check(struct xrun *xr, const struct xjob *j)
{
	struct duet_entry st;
	const struct duet_entry *d = j->d;
	enum duet_need need;
	int rc;

	atomic_fetch_add(&xr->st->checks, 1);
	if (d == NULL) {
		memset(&st, 0, sizeof(st));
		st.path = xjob_path(j);
		rc = xr->dst->ops->stat(xr->dst, st.path, &st);
		if (rc == DUET_E_NOTFOUND) {
			xrun_queue_copy(xr, j, 0);
			return;
		}
		if (rc != 0) {
			xrun_fail(xr, st.path, "Failed to stat", rc);
			return;
		}
		d = &st;
	}
	need = duet_xfer_need(xr->o, j->s, d, xr->window, xr->hash_kind >= 0);
	switch (need) {
	case DUET_NEED_NONE:
		xrun_equal(xr, j, d->size, d->mtime, NULL);
		break;
	case DUET_NEED_COPY:
		xrun_queue_copy(xr, j, 1);
		break;
	case DUET_NEED_HASH:
		xrun_check_hash(xr, j, d);
		break;
	case DUET_NEED_IMMUTABLE:
		duet_err_set(DUET_E_INVAL, "Source and destination exist but do not match: immutable file modified");
		xrun_fail(xr, xjob_path(j), "Not copying", DUET_E_INVAL);
		break;
	}
}
