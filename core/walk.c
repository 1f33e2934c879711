/*
 * walk.c: parallel tree walk. A queue of directories is served by
 * `checkers` threads; each thread collects its entries into a listing of
 * its own (no sharing on the hot path); the lists are joined and sorted
 * at the end. Memory is the listing itself plus the queue.
 */
#include "walk.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "log.h"

struct walk_dir {
	struct walk_dir *next;
	int depth;   /* depth of the entries inside: 1 = children of the start */
	char path[]; /* relative to the fs root */
};

struct walk {
	struct duet_fs *fs;
	const struct duet_walk_opts *o;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct walk_dir *queue;  /* LIFO: depth-first keeps the queue short */
	int active;              /* threads working on a directory */
	int fatal;               /* first fatal error code (out of memory) */
};

/* Per-thread state: a listing and the entries of the directory at hand. */
struct walk_worker {
	struct walk *w;
	struct duet_listing out;
	struct duet_listing cur;   /* children of the directory being listed */
	pthread_t tid;
};

static int
walk_push(struct walk *w, const char *path, size_t len, int depth)
{
	struct walk_dir *d = duet_malloc(sizeof(*d) + len + 1);
	if (d == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory walking %s", path);
	memcpy(d->path, path, len);
	d->path[len] = '\0';
	d->depth = depth;
	pthread_mutex_lock(&w->mu);
	d->next = w->queue;
	w->queue = d;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static int
walk_collect(void *ctx, const struct duet_entry *e)
{
	struct walk_worker *ww = ctx;
	return duet_listing_add(&ww->cur, e);
}

static const char *
walk_base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* 1 when a child of the current directory is an --exclude-if-present
 * marker: a file of that name, or with "NAME/" a directory of that name. */
static int
walk_has_marker(const struct walk_worker *ww)
{
	const char *const *names;
	if (ww->w->o->filter == NULL)
		return 0;
	names = duet_filter_if_present(ww->w->o->filter);
	for (; names != NULL && *names != NULL; names++) {
		size_t nl = strlen(*names);
		int dir = nl > 1 && (*names)[nl - 1] == '/';
		if (dir)
			nl--;
		for (size_t i = 0; i < ww->cur.n; i++) {
			const char *base = walk_base(ww->cur.v[i].path);
			if (ww->cur.v[i].type == (dir ? DUET_T_DIR : DUET_T_FILE) &&
			    strlen(base) == nl && strncmp(base, *names, nl) == 0)
				return 1;
		}
	}
	return 0;
}

/* Files and dirs of the listed directory go to the output or the queue. */
static int
walk_keep(struct walk_worker *ww, int depth)
{
	const struct duet_walk_opts *o = ww->w->o;
	const struct duet_filter *f = o->filter;
	int rc = 0;

	for (size_t i = 0; i < ww->cur.n && rc == 0; i++) {
		const struct duet_entry *e = &ww->cur.v[i];
		if (e->type == DUET_T_DIR) {
			if (f != NULL && !o->no_filter_dirs && !duet_filter_dir(f, e->path))
				continue;
			if (o->dirs)
				rc = duet_listing_add(&ww->out, e);
			if (rc == 0 && (o->max_depth < 0 || depth < o->max_depth))
				rc = walk_push(ww->w, e->path, e->pathlen, depth + 1);
		} else if (f == NULL || duet_filter_file(f, e->path, e->size, e->mtime)) {
			rc = duet_listing_add(&ww->out, e);
		}
	}
	return rc;
}

/* Lists one directory. Returns only fatal errors; others are counted. */
static int
walk_one(struct walk_worker *ww, struct walk_dir *d)
{
	struct walk *w = ww->w;
	int rc;

	duet_listing_dispose(&ww->cur);
	rc = w->fs->ops->list(w->fs, d->path, walk_collect, ww);
	if (rc == DUET_E_NOMEM)
		return rc;
	if (rc != 0) {
		duet_logo(DUET_LOG_ERROR, d->path[0] ? d->path : w->fs->name,
		    "error listing directory: %s", duet_err_msg());
		ww->out.errors++;
		if (rc != DUET_E_BADNAME)
			return 0;
	}
	if (walk_has_marker(ww)) {
		duet_logo(DUET_LOG_DEBUG, d->path, "excluded by --exclude-if-present");
		return 0;
	}
	return walk_keep(ww, d->depth);
}

/* ---- one recursive listing (list_r) instead of a walk ---- */

struct walk_flat {
	const struct duet_walk_opts *o;
	struct duet_listing *out;
	size_t skip;            /* strlen of the start dir: not filtered */
	struct duet_buf parent; /* the parent checked last */
	int parent_ok;          /* its verdict: every ancestor passes */
};

/* 1 when no directory on the way to path (its ancestors) is excluded. */
static int
walk_flat_ancestors(struct walk_flat *w, const char *path, size_t plen)
{
	const struct duet_filter *f = w->o->filter;
	char *p;

	if (plen == 0 || f == NULL || w->o->no_filter_dirs)
		return 1;
	if (plen == w->parent.len && memcmp(w->parent.p, path, plen) == 0)
		return w->parent_ok;
	duet_buf_reset(&w->parent);
	if (duet_buf_append(&w->parent, path, plen) != 0 || duet_buf_putc(&w->parent, '\0') != 0)
		return -1;
	w->parent.len = plen;
	w->parent_ok = 1;
	p = w->parent.p;
	for (size_t i = 1; i <= plen && w->parent_ok; i++) {
		if ((i < plen && p[i] != '/') || i <= w->skip)
			continue;
		p[i] = '\0';
		w->parent_ok = duet_filter_dir(f, p);
		p[i] = i < plen ? '/' : '\0';
	}
	return w->parent_ok;
}

static int
walk_flat_entry(void *ctx, const struct duet_entry *e)
{
	struct walk_flat *w = ctx;
	const struct duet_filter *f = w->o->filter;
	const char *sl = NULL;
	int ok;

	for (size_t i = e->pathlen; i > 0 && sl == NULL; i--)
		if (e->path[i - 1] == '/')
			sl = e->path + i - 1;
	ok = walk_flat_ancestors(w, e->path, sl != NULL ? (size_t)(sl - e->path) : 0);
	if (ok < 0)
		return duet_err_set(DUET_E_NOMEM, "out of memory walking %s", e->path);
	if (!ok)
		return 0;
	if (e->type == DUET_T_DIR) {
		if (!w->o->dirs || (f != NULL && !w->o->no_filter_dirs && !duet_filter_dir(f, e->path)))
			return 0;
	} else if (f != NULL && !duet_filter_file(f, e->path, e->size, e->mtime)) {
		return 0;
	}
	return duet_listing_add(w->out, e);
}

/* Drops repeated directories of a sorted listing (list_r may repeat). */
static void
walk_flat_dedup(struct duet_listing *l)
{
	size_t j = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (j > 0 && l->v[i].type == DUET_T_DIR && l->v[j - 1].type == DUET_T_DIR &&
		    l->v[i].pathlen == l->v[j - 1].pathlen &&
		    memcmp(l->v[i].path, l->v[j - 1].path, l->v[i].pathlen) == 0)
			continue;
		l->v[j++] = l->v[i];
	}
	l->n = j;
}

/* 1 when this walk may be one recursive listing. */
static int
walk_flat_fits(const struct duet_fs *fs, const struct duet_walk_opts *o)
{
	const char *const *marks = o->filter != NULL ? duet_filter_if_present(o->filter) : NULL;

	if (fs->ops->list_r == NULL || o->fast_list < 0 || o->max_depth >= 0)
		return 0;
	if (marks != NULL && marks[0] != NULL)
		return 0; /* --exclude-if-present needs each directory's children */
	return o->fast_list > 0 || o->filter == NULL || !duet_filter_active(o->filter);
}

/* The walk as one list_r. DUET_E_UNSUPPORTED: walk instead. */
static int
walk_flat(struct duet_fs *fs, const char *dir, const struct duet_walk_opts *o,
    struct duet_listing *out)
{
	struct walk_flat w;
	size_t before = out->n;
	int rc;

	memset(&w, 0, sizeof(w));
	w.o = o;
	w.out = out;
	w.skip = strlen(dir);
	rc = fs->ops->list_r(fs, dir, walk_flat_entry, &w);
	duet_buf_dispose(&w.parent);
	if (rc == DUET_E_UNSUPPORTED && out->n == before)
		return rc;
	if (rc != 0 && rc != DUET_E_NOMEM) {
		duet_logo(DUET_LOG_ERROR, dir[0] ? dir : fs->name, "error listing directory: %s",
		    duet_err_msg());
		out->errors++;
		rc = 0;
	}
	if (rc == 0) {
		duet_listing_sort(out);
		walk_flat_dedup(out);
	}
	return rc;
}

static void *
walk_thread(void *arg)
{
	struct walk_worker *ww = arg;
	struct walk *w = ww->w;
	struct walk_dir *d;
	int rc;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->queue == NULL && w->active > 0 && !w->fatal)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->queue == NULL || w->fatal) {
			pthread_cond_broadcast(&w->cv);
			pthread_mutex_unlock(&w->mu);
			break;
		}
		d = w->queue;
		w->queue = d->next;
		w->active++;
		pthread_mutex_unlock(&w->mu);

		rc = walk_one(ww, d);
		duet_free(d);

		pthread_mutex_lock(&w->mu);
		w->active--;
		if (rc != 0 && !w->fatal)
			w->fatal = rc;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	duet_listing_dispose(&ww->cur);
	return NULL;
}

/* Checks the start directory: missing root, a file, or a directory. */
static int
walk_start(struct duet_fs *fs, const char *dir, struct duet_listing *out)
{
	struct duet_entry e;
	int rc;
	if (dir[0] == '\0' && fs->file != NULL)
		return duet_err_set(DUET_E_NOTDIR, "%s is a file, not a directory", fs->name);
	memset(&e, 0, sizeof(e));
	rc = fs->ops->stat(fs, dir, &e);
	if (rc == DUET_E_NOTFOUND) {
		out->root_missing = 1;
		return 1;
	}
	if (rc != 0)
		return rc;
	if (e.type != DUET_T_DIR)
		return duet_err_set(DUET_E_NOTDIR, "%s%s%s is not a directory", fs->name,
		    dir[0] ? "/" : "", dir);
	return 0;
}

static void
walk_drain(struct walk *w)
{
	while (w->queue != NULL) {
		struct walk_dir *d = w->queue;
		w->queue = d->next;
		duet_free(d);
	}
}

int
duet_walk(struct duet_fs *fs, const char *dir, const struct duet_walk_opts *o,
    struct duet_listing *out)
{
	struct walk w;
	struct walk_worker *ww = NULL;
	int n = o->checkers > 0 ? o->checkers : 1, started = 0, rc;

	rc = walk_start(fs, dir, out);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (walk_flat_fits(fs, o) && (rc = walk_flat(fs, dir, o, out)) != DUET_E_UNSUPPORTED)
		return rc;
	memset(&w, 0, sizeof(w));
	w.fs = fs;
	w.o = o;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	rc = walk_push(&w, dir, strlen(dir), 1);
	if (rc == 0)
		ww = duet_calloc((size_t)n, sizeof(*ww));
	if (ww == NULL) {
		rc = rc ? rc : duet_err_set(DUET_E_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		ww[i].w = &w;
		if (pthread_create(&ww[i].tid, NULL, walk_thread, &ww[i]) != 0)
			break;
		started++;
	}
	if (started == 0)
		walk_thread(&ww[0]);
	for (int i = 0; i < started; i++)
		pthread_join(ww[i].tid, NULL);
	rc = w.fatal;
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = duet_listing_absorb(out, &ww[i].out);
		duet_listing_dispose(&ww[i].out);
	}
	if (rc == 0)
		duet_listing_sort(out);
out:
	walk_drain(&w);
	duet_free(ww);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return rc;
}

static void *
walk_job_run(void *arg)
{
	struct duet_walk_job *j = arg;
	j->rc = duet_walk(j->fs, "", &j->o, j->out);
	j->msg[0] = '\0';
	if (j->rc != 0)
		snprintf(j->msg, sizeof(j->msg), "%s", duet_err_msg());
	return NULL;
}

void
duet_walk_both(struct duet_walk_job *a, struct duet_walk_job *b)
{
	pthread_t t;
	int threaded;
	if (b == NULL) {
		walk_job_run(a);
		return;
	}
	threaded = pthread_create(&t, NULL, walk_job_run, b) == 0;
	walk_job_run(a);
	if (threaded)
		pthread_join(t, NULL);
	else
		walk_job_run(b);
}
