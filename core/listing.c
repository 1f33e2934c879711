/*
 * listing.c: sorted entry arrays with arena-owned strings.
 */
#include "listing.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

void
duet_listing_init(struct duet_listing *l)
{
	memset(l, 0, sizeof(*l));
}

void
duet_listing_dispose(struct duet_listing *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->narenas; i++)
		duet_arena_dispose(&l->arenas[i]);
	duet_free(l->arenas);
	duet_free(l->v);
	duet_listing_init(l);
}

static int
listing_grow(struct duet_listing *l, size_t need)
{
	size_t cap;
	struct duet_entry *v;
	if (need <= l->cap)
		return 0;
	cap = l->cap ? l->cap : 256;
	while (cap < need)
		cap += cap / 2;
	v = duet_reallocarray(l->v, cap, sizeof(*v));
	if (v == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory growing a listing to %zu entries", cap);
	l->v = v;
	l->cap = cap;
	return 0;
}

int
duet_listing_add(struct duet_listing *l, const struct duet_entry *e)
{
	struct duet_entry *d;
	struct duet_arena *a;

	if (l->narenas == 0) {
		duet_free(l->arenas); /* an empty array left by absorb, if any */
		l->arenas = duet_calloc(1, sizeof(*l->arenas));
		if (l->arenas == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory");
		duet_arena_init(&l->arenas[0]);
		l->narenas = 1;
	}
	if (listing_grow(l, l->n + 1) != 0)
		return DUET_E_NOMEM;
	a = &l->arenas[0];
	d = &l->v[l->n];
	*d = *e;
	d->path = duet_arena_strndup(a, e->path, e->pathlen);
	if (d->path == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	if (e->hashes != NULL) {
		d->hashes = duet_arena_alloc(a, sizeof(*d->hashes));
		if (d->hashes == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory");
		*d->hashes = *e->hashes;
	}
	l->n++;
	return 0;
}

int
duet_path_cmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

static int
listing_entry_cmp(const void *a, const void *b)
{
	const struct duet_entry *x = a, *y = b;
	return strcmp(x->path, y->path);
}

void
duet_listing_sort(struct duet_listing *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), listing_entry_cmp);
}

const struct duet_entry *
duet_listing_find(const struct duet_listing *l, const char *path)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->v[mid].path, path);
		if (c == 0)
			return &l->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
duet_listing_absorb(struct duet_listing *dst, struct duet_listing *src)
{
	struct duet_arena *ar;
	if (listing_grow(dst, dst->n + src->n) != 0)
		return DUET_E_NOMEM;
	ar = duet_reallocarray(dst->arenas, dst->narenas + src->narenas, sizeof(*ar));
	if (ar == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	dst->arenas = ar;
	if (src->n > 0)
		memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	if (src->narenas > 0)
		memcpy(dst->arenas + dst->narenas, src->arenas, src->narenas * sizeof(*ar));
	dst->narenas += src->narenas;
	dst->errors += src->errors;
	duet_free(src->arenas);
	duet_free(src->v);
	duet_listing_init(src);
	return 0;
}
