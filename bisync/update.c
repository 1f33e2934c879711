/*
 * update.c: the new listings of a run are the listings walked at its start
 * plus what the run itself did (copies with the version it copied, deletes,
 * renames), never a second walk: a file that appears during the run is not
 * in them, so the next run sees it as new (rclone's §1.12).
 */
#include "run_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

/* Deleted entries are recorded with this type. */
#define BUPD_GONE 0

static int
bupd_add(struct brun *b, int side, const struct duet_entry *e)
{
	/* The insertion order breaks ties: the last word on a path wins. */
	return duet_listing_add(&b->upd[side - 1], e);
}

int
brun_upd_put(struct brun *b, int side, const struct duet_entry *e)
{
	struct duet_entry c = *e;
	c.type = e->type == DUET_T_DIR ? DUET_T_DIR : DUET_T_FILE;
	c.pathlen = (uint32_t)strlen(c.path);
	return bupd_add(b, side, &c);
}

int
brun_upd_del(struct brun *b, int side, const char *path)
{
	struct duet_entry c;
	memset(&c, 0, sizeof(c));
	c.path = path;
	c.pathlen = (uint32_t)strlen(path);
	c.type = BUPD_GONE;
	c.size = -1;
	return bupd_add(b, side, &c);
}

struct bupd_ref {
	const struct duet_entry *e;
	size_t seq;
};

static int
bupd_cmp(const void *a, const void *b)
{
	const struct bupd_ref *x = a, *y = b;
	int c = duet_path_cmp(x->e->path, y->e->path);
	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static size_t
bupd_index(const struct duet_listing *l, const char *path, int *found)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = duet_path_cmp(l->v[mid].path, path);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

/* Merges the k sorted entries of add into the sorted cur (which has room
 * for them after its n entries), from the back. */
static void
bupd_merge(struct duet_listing *cur, size_t n, const struct duet_entry *add, size_t k)
{
	size_t i = n, j = k, o = n + k;
	while (j > 0) {
		if (i > 0 && duet_path_cmp(cur->v[i - 1].path, add[j - 1].path) > 0)
			cur->v[--o] = cur->v[--i];
		else
			cur->v[--o] = add[--j];
	}
}

/* Applies side's updates to cur in place. Entries keep pointing into the
 * update listing, which lives until the run ends. */
static int
bupd_apply_side(struct duet_listing *cur, const struct duet_listing *u)
{
	struct bupd_ref *r = NULL;
	struct duet_entry *add = NULL;
	size_t nr = 0, nadd = 0, n0 = cur->n, w = 0;
	int rc = 0, found, gone = 0;

	if (u->n == 0)
		return 0;
	if ((r = duet_calloc(u->n, sizeof(*r))) == NULL || (add = duet_calloc(u->n, sizeof(*add))) == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < u->n; i++)
		r[i] = (struct bupd_ref){&u->v[i], i};
	qsort(r, u->n, sizeof(*r), bupd_cmp);
	for (size_t i = 0; i < u->n; i++) /* keep the last update of each path */
		if (i + 1 == u->n || strcmp(r[i].e->path, r[i + 1].e->path) != 0)
			r[nr++] = r[i];
	for (size_t i = 0; i < nr; i++) {
		const struct duet_entry *e = r[i].e;
		size_t at = bupd_index(cur, e->path, &found);
		if (found && e->type == BUPD_GONE) {
			cur->v[at].type = BUPD_GONE;
			gone = 1;
		} else if (found) {
			cur->v[at] = *e;
		} else if (e->type != BUPD_GONE) {
			add[nadd++] = *e;
		}
	}
	if (gone) {
		for (size_t i = 0; i < cur->n; i++)
			if (cur->v[i].type != BUPD_GONE)
				cur->v[w++] = cur->v[i];
		cur->n = n0 = w;
	}
	if (nadd > 0) {
		/* Grow through the listing's own append, then merge over it. */
		for (size_t i = 0; i < nadd && rc == 0; i++)
			rc = duet_listing_add(cur, &add[i]);
		if (rc == 0)
			bupd_merge(cur, n0, add, nadd);
	}
out:
	duet_free(r);
	duet_free(add);
	return rc;
}

int
brun_upd_apply(struct brun *b)
{
	int rc = bupd_apply_side(&b->cur1, &b->upd[0]);
	return rc != 0 ? rc : bupd_apply_side(&b->cur2, &b->upd[1]);
}
