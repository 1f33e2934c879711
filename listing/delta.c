/*
 * delta.c: one side's changes since the prior run (reference section 1.6).
 * A single merge pass over the prior and current listings, both sorted by
 * path bytes, so the output is sorted too and no hash table is needed.
 * Entries are borrowed from the listings; only the delta array is owned.
 */
#include "delta.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"

/* Width rclone pads "File is new" / "File was deleted" to in its log. */
#define DL_PAD 26

static int
dl_push(struct duet_deltas *d, const struct duet_entry *prior,
    const struct duet_entry *cur, unsigned bits)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct duet_delta *v = duet_reallocarray(d->v, cap, sizeof(*v));
		if (v == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory for %zu deltas", cap);
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n].prior = prior;
	d->v[d->n].cur = cur;
	d->v[d->n].bits = bits;
	d->n++;
	return 0;
}

/* 1 when the two times differ by at least the window; zero times never
 * differ (the backend reported no time for one of them). */
static int
dl_time_differs(int64_t a, int64_t b, int64_t window)
{
	uint64_t diff;
	if (a == 0 || b == 0)
		return 0;
	if (window < 1)
		window = 1;
	/* Unsigned difference: a - b may overflow int64 when signs differ. */
	diff = a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
	return diff >= (uint64_t)window;
}

/* Modified bits of a file present in both listings. */
static unsigned
dl_compare(const struct duet_entry *p, const struct duet_entry *c,
    const struct duet_compare *cmp)
{
	unsigned bits = 0;
	if (p->type == DUET_T_DIR || c->type == DUET_T_DIR)
		return 0;
	if (cmp->size && p->size >= 0 && c->size >= 0 && p->size != c->size)
		bits |= p->size < c->size ? DUET_D_LARGER : DUET_D_SMALLER;
	if (cmp->modtime && dl_time_differs(p->mtime, c->mtime, cmp->window))
		bits |= p->mtime < c->mtime ? DUET_D_NEWER : DUET_D_OLDER;
	if (cmp->checksum && cmp->hash_kind >= 0 && cmp->hash_kind < DUET_HASH_COUNT &&
	    p->hashes != NULL && c->hashes != NULL) {
		unsigned bit = DUET_HASH_BIT(cmp->hash_kind);
		if ((p->hashes->mask & bit) && (c->hashes->mask & bit) &&
		    !duet_hash_equal(p->hashes, c->hashes, (enum duet_hash_kind)cmp->hash_kind))
			bits |= DUET_D_HASH;
	}
	return bits;
}

static void
dl_log_changed(int side, unsigned bits, const char *path)
{
	char parts[80] = "";
	if (!duet_log_enabled(DUET_LOG_INFO))
		return;
	if (bits & DUET_D_SIZE)
		strcat(parts, bits & DUET_D_LARGER ? "size (larger)" : "size (smaller)");
	if (bits & DUET_D_TIME) {
		if (parts[0] != '\0')
			strcat(parts, ", ");
		strcat(parts, bits & DUET_D_NEWER ? "time (newer)" : "time (older)");
	}
	if (bits & DUET_D_HASH) {
		if (parts[0] != '\0')
			strcat(parts, ", ");
		strcat(parts, "hash");
	}
	duet_logo(DUET_LOG_INFO, NULL, "- Path%d    File changed: %s - %s", side, parts, path);
}

static void
dl_count(struct duet_deltas *d, unsigned bits)
{
	if (bits & DUET_D_NEW)
		d->n_new++;
	if (bits & DUET_D_DELETED)
		d->n_deleted++;
	if (bits & DUET_D_MODIFIED)
		d->n_modified++;
	d->n_newer += (bits & DUET_D_NEWER) != 0;
	d->n_older += (bits & DUET_D_OLDER) != 0;
	d->n_larger += (bits & DUET_D_LARGER) != 0;
	d->n_smaller += (bits & DUET_D_SMALLER) != 0;
	d->n_hash += (bits & DUET_D_HASH) != 0;
}

/* One merge step; *pi and *ci advance past what was consumed. */
static int
dl_step(const struct duet_listing *prior, const struct duet_listing *cur,
    const struct duet_compare *c, int side, size_t *pi, size_t *ci,
    struct duet_deltas *out)
{
	const struct duet_entry *p = *pi < prior->n ? &prior->v[*pi] : NULL;
	const struct duet_entry *e = *ci < cur->n ? &cur->v[*ci] : NULL;
	int order;
	unsigned bits;

	if (p == NULL)
		order = 1;
	else if (e == NULL)
		order = -1;
	else
		order = duet_path_cmp(p->path, e->path);
	if (order < 0) {
		(*pi)++;
		duet_logo(DUET_LOG_INFO, NULL, "- Path%d    %-*s- %s", side, DL_PAD,
		    "File was deleted", p->path);
		dl_count(out, DUET_D_DELETED);
		return dl_push(out, p, NULL, DUET_D_DELETED);
	}
	if (order > 0) {
		(*ci)++;
		duet_logo(DUET_LOG_INFO, NULL, "- Path%d    %-*s- %s", side, DL_PAD,
		    "File is new", e->path);
		dl_count(out, DUET_D_NEW);
		return dl_push(out, NULL, e, DUET_D_NEW);
	}
	(*pi)++;
	(*ci)++;
	bits = dl_compare(p, e, c);
	if (bits == 0) {
		/* Directories are unchanged but say nothing about files. */
		if (p->type != DUET_T_DIR && e->type != DUET_T_DIR)
			out->found_same = 1;
		return 0;
	}
	dl_log_changed(side, bits, e->path);
	dl_count(out, bits);
	return dl_push(out, p, e, bits);
}

int
duet_deltas_find(const struct duet_listing *prior, const struct duet_listing *cur,
    const struct duet_compare *c, int side, struct duet_deltas *out)
{
	size_t pi = 0, ci = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (pi < prior->n || ci < cur->n) {
		rc = dl_step(prior, cur, c, side, &pi, &ci, out);
		if (rc != 0)
			goto out;
	}
out:
	if (rc != 0)
		duet_deltas_dispose(out);
	return rc;
}

void
duet_deltas_dispose(struct duet_deltas *d)
{
	if (d == NULL)
		return;
	duet_free(d->v);
	memset(d, 0, sizeof(*d));
}

const char *
duet_delta_path(const struct duet_delta *d)
{
	return d->cur != NULL ? d->cur->path : d->prior->path;
}

const struct duet_delta *
duet_deltas_find_path(const struct duet_deltas *d, const char *path)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = duet_path_cmp(duet_delta_path(&d->v[mid]), path);
		if (c == 0)
			return &d->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Appends "%4zu name", preceded by ", " unless it is the first term. */
static void
dl_term(char *buf, size_t cap, size_t *len, int *first, size_t n, const char *name)
{
	int w;
	if (*len >= cap)
		return;
	w = snprintf(buf + *len, cap - *len, "%s%4zu %s", *first ? "" : ", ", n, name);
	*first = 0;
	if (w > 0)
		*len += (size_t)w;
}

int
duet_deltas_stats_lines(const struct duet_deltas *d, int side, char *line1,
    char *line2, size_t cap)
{
	size_t total = d->n_new + d->n_modified + d->n_deleted;
	size_t len;
	int first = 1;

	snprintf(line1, cap, "Path%d: %4zu changes: %4zu new, %4zu modified, %4zu deleted",
	    side, total, d->n_new, d->n_modified, d->n_deleted);
	line2[0] = '\0';
	if (d->n_modified == 0)
		return 1;
	len = (size_t)snprintf(line2, cap, "(Modified: ");
	if (d->n_newer + d->n_older > 0) {
		dl_term(line2, cap, &len, &first, d->n_newer, "newer");
		dl_term(line2, cap, &len, &first, d->n_older, "older");
	}
	if (d->n_larger + d->n_smaller > 0) {
		dl_term(line2, cap, &len, &first, d->n_larger, "larger");
		dl_term(line2, cap, &len, &first, d->n_smaller, "smaller");
	}
	if (d->n_hash > 0)
		dl_term(line2, cap, &len, &first, d->n_hash, "hash differs");
	if (len + 1 < cap) {
		line2[len] = ')';
		line2[len + 1] = '\0';
	}
	return 2;
}

void
duet_deltas_log_stats(const struct duet_deltas *d, int side)
{
	char l1[DUET_DELTAS_STATS_MAX], l2[DUET_DELTAS_STATS_MAX];
	if (!duet_log_enabled(DUET_LOG_INFO))
		return;
	if (duet_deltas_stats_lines(d, side, l1, l2, sizeof(l1)) >= 1)
		duet_log(DUET_LOG_INFO, "%s", l1);
	if (l2[0] != '\0')
		duet_log(DUET_LOG_INFO, "%s", l2);
}

/* ---- streamed prior listing ---- */

void
duet_deltas_stream_begin(struct duet_deltas_stream *s, const struct duet_listing *cur,
    const struct duet_compare *c, int side, struct duet_deltas *out)
{
	memset(s, 0, sizeof(*s));
	memset(out, 0, sizeof(*out));
	s->cur = cur;
	s->c = c;
	s->side = side;
	s->out = out;
	duet_arena_init(&s->kept);
}

/* Current entries before `path` (all when NULL) are new. */
static int
dl_stream_new(struct duet_deltas_stream *s, const char *path)
{
	while (s->ci < s->cur->n &&
	    (path == NULL || duet_path_cmp(s->cur->v[s->ci].path, path) < 0)) {
		const struct duet_entry *e = &s->cur->v[s->ci++];
		int rc;
		duet_logo(DUET_LOG_INFO, NULL, "- Path%d    %-*s- %s", s->side, DL_PAD,
		    "File is new", e->path);
		dl_count(s->out, DUET_D_NEW);
		if ((rc = dl_push(s->out, NULL, e, DUET_D_NEW)) != 0)
			return rc;
	}
	return 0;
}

/* A lasting copy of a prior entry (path and hashes in the arena). */
static const struct duet_entry *
dl_keep(struct duet_deltas_stream *s, const struct duet_entry *p)
{
	struct duet_entry *k = duet_arena_alloc(&s->kept, sizeof(*k));
	if (k == NULL)
		return NULL;
	*k = *p;
	k->path = duet_arena_strndup(&s->kept, p->path, p->pathlen);
	k->hashes = NULL;
	if (p->hashes != NULL) {
		struct duet_hashes *h = duet_arena_alloc(&s->kept, sizeof(*h));
		if (h == NULL)
			return NULL;
		*h = *p->hashes;
		k->hashes = h;
	}
	return k->path ? k : NULL;
}

int
duet_deltas_stream_prior(struct duet_deltas_stream *s, const struct duet_entry *p)
{
	const struct duet_entry *e, *k;
	unsigned bits;
	int rc;

	s->nprior++;
	if ((rc = dl_stream_new(s, p->path)) != 0)
		return rc;
	e = s->ci < s->cur->n && duet_path_cmp(s->cur->v[s->ci].path, p->path) == 0
	    ? &s->cur->v[s->ci] : NULL;
	bits = e == NULL ? DUET_D_DELETED : dl_compare(p, e, s->c);
	if (e != NULL)
		s->ci++;
	if (bits == 0) {
		if (p->type != DUET_T_DIR && e->type != DUET_T_DIR)
			s->out->found_same = 1;
		return 0;
	}
	if ((k = dl_keep(s, p)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory keeping %s", p->path);
	if (e == NULL)
		duet_logo(DUET_LOG_INFO, NULL, "- Path%d    %-*s- %s", s->side, DL_PAD,
		    "File was deleted", p->path);
	else
		dl_log_changed(s->side, bits, e->path);
	dl_count(s->out, bits);
	return dl_push(s->out, k, e, bits);
}

int
duet_deltas_stream_end(struct duet_deltas_stream *s)
{
	return dl_stream_new(s, NULL);
}

void
duet_deltas_stream_dispose(struct duet_deltas_stream *s)
{
	duet_arena_dispose(&s->kept);
}
