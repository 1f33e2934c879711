/*
 * xfer.c: the engine's plan and phases. The march merges two sorted
 * listings into job lists; a pool of threads runs each list; deletes only
 * happen when nothing failed before them. See xfer.h for the phases.
 */
#include "xfer_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "error.h"
#include "hash.h"
#include "log.h"

void
duet_xfer_opts_init(struct duet_xfer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->modify_window = -1;
	o->transfers = 4;
	o->checkers = 8;
	o->low_level_retries = 10;
	o->max_backlog = 10000;
	o->max_transfer = -1;
	o->max_delete = -1;
}

void
duet_stats_init(struct duet_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->start_ns = duet_now_mono();
}

int
xjobs_push(struct xjobs *j, const struct xjob *job)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 64;
		struct xjob *v = duet_reallocarray(j->v, cap, sizeof(*v));
		if (v == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory planning transfers");
		j->v = v;
		j->cap = cap;
	}
	j->v[j->n++] = *job;
	return 0;
}

void
xjobs_dispose(struct xjobs *j)
{
	duet_free(j->v);
	memset(j, 0, sizeof(*j));
}

/* ---- worker pool ---- */

struct xpool {
	struct xrun *xr;
	const struct xjobs *jobs;
	atomic_size_t next;
};

static void
xpool_one(struct xrun *xr, const struct xjob *j)
{
	switch (j->kind) {
	case XJ_COPY:
		xrun_copy(xr, j);
		break;
	case XJ_CHECK:
		xrun_check(xr, j);
		break;
	case XJ_DELETE:
	case XJ_MOVE_SRC:
		xrun_delete(xr, j);
		break;
	default:
		break;
	}
}

static void *
xpool_thread(void *arg)
{
	struct xpool *p = arg;
	size_t i;
	xfer_tls_buf = duet_malloc(XFER_BUF);
	while ((i = atomic_fetch_add(&p->next, 1)) < p->jobs->n) {
		if (atomic_load(&p->xr->st->fatal))
			break;
		xpool_one(p->xr, &p->jobs->v[i]);
	}
	duet_free(xfer_tls_buf);
	xfer_tls_buf = NULL;
	return NULL;
}

/* Runs every job of the list with up to n threads. */
static void
xpool_run(struct xrun *xr, const struct xjobs *jobs, int n)
{
	pthread_t tids[64];
	struct xpool p;
	int started = 0;

	if (jobs->n == 0)
		return;
	p.xr = xr;
	p.jobs = jobs;
	atomic_init(&p.next, 0);
	if (n < 1)
		n = 1;
	if (n > 64)
		n = 64;
	if ((size_t)n > jobs->n)
		n = (int)jobs->n;
	for (int i = 0; i < n; i++) {
		if (pthread_create(&tids[i], NULL, xpool_thread, &p) != 0)
			break;
		started++;
	}
	if (started == 0)
		xpool_thread(&p);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	xrun_del_flush(xr);
}

/* ---- the plan ---- */

struct xplan {
	struct xjobs checks, copies, deletes, mkdirs, rmdirs;
};

static void
xplan_dispose(struct xplan *p)
{
	xjobs_dispose(&p->checks);
	xjobs_dispose(&p->copies);
	xjobs_dispose(&p->deletes);
	xjobs_dispose(&p->mkdirs);
	xjobs_dispose(&p->rmdirs);
}

/* Decides one pair present on both sides. */
static int
xplan_both(struct xrun *xr, struct xplan *p, const struct duet_entry *s,
    const struct duet_entry *d)
{
	struct xjob j = {s, d, NULL, XJ_CHECK, 1};
	enum duet_need need;

	if (s->type != d->type) {
		duet_err_set(DUET_E_ISDIR, "can't replace a %s with a %s",
		    d->type == DUET_T_DIR ? "directory" : "file",
		    s->type == DUET_T_DIR ? "directory" : "file");
		xrun_fail(xr, s->path, "Not copying", DUET_E_ISDIR);
		return 0;
	}
	if (s->type == DUET_T_DIR)
		return 0;
	if (s->flags & DUET_EF_LAZY) {
		/* The store skipped this file's metadata as if the destination
		 * had no such path (a name matched in another form): read it
		 * now. The listing is the run's; the entry is updated in place. */
		struct duet_entry r, *w = (struct duet_entry *)s;
		memset(&r, 0, sizeof(r));
		if (xr->src->ops->stat(xr->src, s->path, &r) == 0 && r.type == DUET_T_FILE) {
			w->mtime = r.mtime;
			w->flags &= (uint8_t)~DUET_EF_LAZY;
		}
	}
	need = duet_xfer_need(xr->o, s, d, xr->window, xr->hash_kind >= 0);
	if (need == DUET_NEED_NONE) {
		if (duet_log_enabled(DUET_LOG_DEBUG))
			duet_logo(DUET_LOG_DEBUG, s->path, "Unchanged skipping");
		/* Equal: a job only when someone must hear of it. */
		if (xr->o->mode == DUET_XFER_MOVE || xr->o->on_item != NULL)
			return xjobs_push(&p->checks, &j);
		atomic_fetch_add(&xr->st->checks, 1);
		return 0;
	}
	if (need == DUET_NEED_COPY) {
		j.kind = XJ_COPY;
		atomic_fetch_add(&xr->st->total_bytes, s->size > 0 ? s->size : 0);
		return xjobs_push(&p->copies, &j);
	}
	return xjobs_push(&p->checks, &j); /* hash or immutable: the check decides */
}

static int
xplan_src_only(struct xrun *xr, struct xplan *p, const struct duet_entry *s)
{
	struct xjob j = {s, NULL, NULL, XJ_COPY, 0};
	if (s->type == DUET_T_DIR) {
		if (!xr->o->create_empty_src_dirs)
			return 0;
		j.kind = XJ_MKDIR;
		return xjobs_push(&p->mkdirs, &j);
	}
	if (xr->o->no_traverse && !xr->o->no_check_dest) {
		j.kind = XJ_CHECK;
		return xjobs_push(&p->checks, &j);
	}
	atomic_fetch_add(&xr->st->total_bytes, s->size > 0 ? s->size : 0);
	return xjobs_push(&p->copies, &j);
}

static int
xplan_dst_only(struct xrun *xr, struct xplan *p, const struct duet_entry *d)
{
	struct xjob j = {NULL, d, NULL, XJ_DELETE, 1};
	if (xr->o->mode != DUET_XFER_SYNC)
		return 0;
	if (d->type == DUET_T_DIR) {
		j.kind = XJ_RMDIR;
		return xjobs_push(&p->rmdirs, &j);
	}
	return xjobs_push(&p->deletes, &j);
}

/* Merges the two sorted listings into the plan. */
static int
xplan_march(struct xrun *xr, const struct duet_listing *sl, const struct duet_listing *dl,
    struct xplan *p)
{
	size_t i = 0, k = 0;
	int rc = 0;
	while (rc == 0 && (i < sl->n || k < dl->n)) {
		int c = i == sl->n ? 1 : k == dl->n ? -1 : strcmp(sl->v[i].path, dl->v[k].path);
		if (c < 0)
			rc = xplan_src_only(xr, p, &sl->v[i++]);
		else if (c > 0)
			rc = xplan_dst_only(xr, p, &dl->v[k++]);
		else
			rc = xplan_both(xr, p, &sl->v[i++], &dl->v[k++]);
	}
	return rc;
}

/* ---- ordering (--order-by) ---- */

static int xorder_desc;
static int xorder_key; /* 0 size, 1 name, 2 modtime */

static int
xorder_cmp(const void *a, const void *b)
{
	const struct duet_entry *x = ((const struct xjob *)a)->s, *y = ((const struct xjob *)b)->s;
	int c;
	if (xorder_key == 0)
		c = (x->size > y->size) - (x->size < y->size);
	else if (xorder_key == 2)
		c = (x->mtime > y->mtime) - (x->mtime < y->mtime);
	else
		c = strcmp(x->path, y->path);
	return xorder_desc ? -c : c;
}

static void
xorder_sort(const char *spec, struct xjobs *j)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	const char *comma = strchr(spec, ',');
	size_t kl = comma ? (size_t)(comma - spec) : strlen(spec);
	pthread_mutex_lock(&mu);
	xorder_key = strncasecmp(spec, "size", kl) == 0 ? 0 : strncasecmp(spec, "modtime", kl) == 0 ? 2 : 1;
	xorder_desc = comma && (strncasecmp(comma + 1, "desc", 4) == 0);
	if (j->n > 1)
		qsort(j->v, j->n, sizeof(*j->v), xorder_cmp);
	pthread_mutex_unlock(&mu);
}

/* ---- phases ---- */

static int
xrun_init(struct xrun *xr, struct duet_fs *src, struct duet_fs *dst,
    const struct duet_xfer_opts *o, struct duet_stats *st)
{
	unsigned common = src->hashes & dst->hashes;
	memset(xr, 0, sizeof(*xr));
	xr->src = src;
	xr->dst = dst;
	xr->o = o;
	xr->st = st;
	xr->window = src->precision > dst->precision ? src->precision : dst->precision;
	if (o->modify_window >= 0 && o->modify_window > xr->window)
		xr->window = o->modify_window;
	if (src->precision <= 0 || dst->precision <= 0)
		xr->window = -1; /* one side keeps no times */
	/* Prefer the fastest kind for local pairs; rclone's order otherwise. */
	if ((src->caps & dst->caps & DUET_CAP_LOCAL) && (common & DUET_HASH_BIT(DUET_HASH_XXH3)))
		xr->hash_kind = DUET_HASH_XXH3;
	else
		xr->hash_kind = duet_hash_first(common);
	/* Verify where the destination reports a hash of its own. A local
	 * destination would hash back the page cache just written, which
	 * proves nothing and costs a second read: the byte count and the
	 * fsync'd rename stand for it there (docs/design.md). */
	xr->verify = !o->ignore_checksum && xr->hash_kind >= 0 && !(dst->caps & DUET_CAP_LOCAL);
	xr->deadline = o->max_duration > 0 ? duet_now_mono() + o->max_duration : 0;
	atomic_init(&xr->deletes_left, o->max_delete);
	atomic_init(&xr->stop, 0);
	duet_arena_init(&xr->arena);
	atomic_init(&xr->pending, 0);
	if (pthread_mutex_init(&xr->mu, NULL) != 0 || pthread_mutex_init(&xr->flush_mu, NULL) != 0 ||
	    pthread_mutex_init(&xr->del_mu, NULL) != 0)
		return duet_err_set(DUET_E_NOMEM, "cannot create a mutex");
	return 0;
}

static void
xrun_dispose(struct xrun *xr)
{
	xjobs_dispose(&xr->copies);
	duet_arena_dispose(&xr->arena);
	pthread_mutex_destroy(&xr->mu);
	pthread_mutex_destroy(&xr->flush_mu);
	pthread_mutex_destroy(&xr->del_mu);
	duet_free(xr->del);
}

/* Deletes are allowed only after an error-free run so far. */
static int
xrun_may_delete(struct xrun *xr, long listing_errors, const char *what)
{
	if (listing_errors == 0 && atomic_load(&xr->st->errors) == 0 &&
	    !atomic_load(&xr->st->fatal))
		return 1;
	duet_logo(DUET_LOG_ERROR, xr->dst->name, "not deleting %s as there were IO errors", what);
	duet_err_set(DUET_E_IO, "not deleting %s as there were IO errors", what);
	if (xr->last_err == 0)
		xr->last_err = DUET_E_IO;
	return 0;
}

static void
xrun_mkdirs(struct xrun *xr, const struct xjobs *j)
{
	for (size_t i = 0; i < j->n; i++) {
		const char *path = j->v[i].s->path;
		int rc;
		if (xr->o->dry_run) {
			duet_logo(DUET_LOG_NOTICE, path, "Skipped make directory as --dry-run is set");
			continue;
		}
		rc = xr->dst->ops->mkdir(xr->dst, path);
		if (rc != 0)
			xrun_fail(xr, path, "Failed to make directory", rc);
		else
			xrun_report(xr, DUET_OP_MKDIR, path, 0, -1, 0, NULL);
	}
}

/* Removes destination directories the source lacks, deepest first; a
 * directory still holding (excluded) files stays. */
static void
xrun_rmdirs(struct xrun *xr, const struct xjobs *j)
{
	for (size_t i = j->n; i-- > 0;) {
		const char *path = j->v[i].d->path;
		int rc;
		if (xr->o->dry_run) {
			duet_logo(DUET_LOG_NOTICE, path, "Skipped remove directory as --dry-run is set");
			continue;
		}
		rc = xr->dst->ops->rmdir(xr->dst, path);
		if (rc == 0) {
			atomic_fetch_add(&xr->st->dir_deletes, 1);
			duet_logo(DUET_LOG_INFO, path, "Removing directory");
			xrun_report(xr, DUET_OP_RMDIR, path, 0, -1, 0, NULL);
		} else {
			duet_logo(DUET_LOG_DEBUG, path, "not removing directory: %s", duet_err_msg());
		}
	}
}

static int
xrun_outcome(struct xrun *xr)
{
	int c = atomic_load(&xr->st->cancelled);
	if (atomic_load(&xr->st->fatal))
		return duet_err_set(xr->last_err ? xr->last_err : DUET_E_CANCELLED, "%s",
		    xr->last_msg[0] ? xr->last_msg : "fatal error");
	if (c == DUET_E_MAXTRANSFER)
		return duet_err_set(c, "max transfer limit reached as set by --max-transfer");
	if (c == DUET_E_MAXDURATION)
		return duet_err_set(c, "max transfer duration reached as set by --max-duration");
	if (c)
		return duet_err_set(DUET_E_CANCELLED, "stopped: quit was chosen at an --interactive prompt");
	if (xr->last_err)
		return duet_err_set(xr->last_err, "%s", xr->last_msg[0] ? xr->last_msg : duet_err_str(xr->last_err));
	return 0;
}

static void
xrun_phases(struct xrun *xr, struct xplan *p, long listing_errors)
{
	const struct duet_xfer_opts *o = xr->o;
	int del_first = o->delete_mode != DUET_DELETE_AFTER;

	atomic_fetch_add(&xr->st->total_checks, (long)p->checks.n);
	if (del_first && p->deletes.n && xrun_may_delete(xr, listing_errors, "files"))
		xpool_run(xr, &p->deletes, o->checkers);
	xpool_run(xr, &p->checks, o->checkers);
	/* Copies found by the checks join the planned ones. */
	for (size_t i = 0; i < xr->copies.n; i++)
		if (xjobs_push(&p->copies, &xr->copies.v[i]) != 0)
			atomic_store(&xr->st->fatal, 1);
	atomic_fetch_add(&xr->st->total_transfers, (long)p->copies.n);
	if (o->order_by != NULL && o->order_by[0])
		xorder_sort(o->order_by, &p->copies);
	xrun_mkdirs(xr, &p->mkdirs);
	xpool_run(xr, &p->copies, o->transfers);
	xrun_flush(xr);
	if (!del_first && p->deletes.n && !atomic_load(&xr->stop) &&
	    xrun_may_delete(xr, listing_errors, "files"))
		xpool_run(xr, &p->deletes, o->checkers);
	if (p->rmdirs.n && !atomic_load(&xr->stop) &&
	    xrun_may_delete(xr, listing_errors, "directories"))
		xrun_rmdirs(xr, &p->rmdirs);
}

int
duet_xfer_run(struct duet_fs *src, const struct duet_listing *sl, struct duet_fs *dst,
    const struct duet_listing *dl, const struct duet_xfer_opts *o, struct duet_stats *st)
{
	struct xrun xr;
	struct xplan p;
	int rc;

	memset(&p, 0, sizeof(p));
	if ((rc = xrun_init(&xr, src, dst, o, st)) != 0)
		return rc;
	rc = xplan_march(&xr, sl, dl, &p);
	if (rc == 0) {
		xrun_phases(&xr, &p, sl->errors + dl->errors);
		rc = xrun_outcome(&xr);
	}
	xplan_dispose(&p);
	xrun_dispose(&xr);
	return rc;
}

int
duet_xfer_copy_list(struct duet_fs *src, const struct duet_entry *const *files,
    const char *const *dst_paths, size_t n, struct duet_fs *dst,
    const struct duet_xfer_opts *o, struct duet_stats *st)
{
	struct xrun xr;
	struct xjobs jobs = {0};
	int rc;

	if ((rc = xrun_init(&xr, src, dst, o, st)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		/* Whether a file is there is looked at by the worker, in parallel. */
		struct xjob j = {files[i], NULL, dst_paths ? dst_paths[i] : NULL, XJ_COPY,
			XJ_DST_UNKNOWN};
		atomic_fetch_add(&st->total_bytes, files[i]->size > 0 ? files[i]->size : 0);
		rc = xjobs_push(&jobs, &j);
	}
	if (rc == 0) {
		atomic_fetch_add(&st->total_transfers, (long)n);
		xpool_run(&xr, &jobs, o->transfers);
		xrun_flush(&xr);
		rc = xrun_outcome(&xr);
	}
	xjobs_dispose(&jobs);
	xrun_dispose(&xr);
	return rc;
}

int
duet_xfer_delete_list(struct duet_fs *dst, const struct duet_entry *const *files, size_t n,
    const struct duet_xfer_opts *o, struct duet_stats *st)
{
	struct xrun xr;
	struct xjobs jobs = {0};
	int rc;

	if ((rc = xrun_init(&xr, dst, dst, o, st)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct xjob j = {NULL, files[i], NULL, XJ_DELETE, 1};
		rc = xjobs_push(&jobs, &j);
	}
	if (rc == 0) {
		xpool_run(&xr, &jobs, o->checkers);
		rc = xrun_outcome(&xr);
	}
	xjobs_dispose(&jobs);
	xrun_dispose(&xr);
	return rc;
}
