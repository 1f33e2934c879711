/*
 * longpath.c: listing entries whose path is too long for an LMDB key
 * (header + path over mdb_env_get_maxkeysize, 511 bytes). They live in a
 * range of their own, side | WD_LONG, keyed by the XXH128 of the path with
 * the path in the value, so the main range keeps its one-merge update in
 * path order. Such paths are rare: they are reconciled one by one and
 * loaded whole, sorted, for store.c to interleave with the main range.
 */
#include "workdir_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/listing.h"

#define WD_LONG_KEY (WD_LKEY_HDR + 16) /* header + XXH128 */
#define WD_LONG_MAX 65535              /* a be16 holds the path length */

int
wd_long_path(const struct duet_workdir *w, size_t n)
{
	return WD_LKEY_HDR + n > (size_t)mdb_env_get_maxkeysize(w->env);
}

/* The key of a long path. */
static int
wd_long_key(uint32_t id, int side, const char *path, size_t n, unsigned char *key)
{
	struct duet_hasher *h;
	struct duet_hashes d;
	int rc;

	if ((rc = duet_hasher_new(DUET_HASH_BIT(DUET_HASH_XXH128), &h)) != 0)
		return rc;
	duet_hasher_update(h, path, n);
	duet_hasher_final(h, &d);
	duet_hasher_free(h);
	wd_lprefix(key, id, side | WD_LONG);
	memcpy(key + WD_LKEY_HDR, d.v[DUET_HASH_XXH128], 16);
	return 0;
}

/* The value of a long entry into buf (2 + pathlen + WD_LVAL_MAX bytes). */
static size_t
wd_long_val(const struct duet_entry *e, unsigned char *buf)
{
	buf[0] = (unsigned char)(e->pathlen >> 8);
	buf[1] = (unsigned char)e->pathlen;
	memcpy(buf + 2, e->path, e->pathlen);
	return 2 + e->pathlen + wd_lval_encode(e, buf + 2 + e->pathlen);
}

/* Splits a stored long value into its path and entry value. */
static int
wd_long_split(const MDB_val *v, const char **path, size_t *n, MDB_val *rest)
{
	const unsigned char *p = v->mv_data;

	if (v->mv_size < 2)
		return -1;
	*n = (size_t)p[0] << 8 | p[1];
	if (v->mv_size < 2 + *n || memchr(p + 2, '\0', *n) != NULL)
		return -1;
	*path = (const char *)p + 2;
	rest->mv_data = (void *)(p + 2 + *n);
	rest->mv_size = v->mv_size - 2 - *n;
	return 0;
}

/* Index of path in the sorted listing l, or -1. */
static long
wd_long_find(const struct duet_listing *l, const char *path, size_t n)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct duet_entry *e = &l->v[mid];
		size_t m = e->pathlen < n ? e->pathlen : n;
		int c = memcmp(e->path, path, m);
		if (c == 0)
			c = e->pathlen < n ? -1 : e->pathlen > n;
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Pass 1: stored long entries no longer listed go, changed ones are
 * rewritten. Pass 2 (wd_long_update) adds the new ones. */
static int
wd_long_sweep(struct duet_workdir_txn *t, uint32_t id, int side, const struct duet_listing *newl,
              struct duet_workdir_ustats *st)
{
	unsigned char prefix[WD_LKEY_HDR], key[WD_LONG_KEY], *val = NULL;
	MDB_cursor *c = NULL;
	MDB_val k, v, rest, nv;
	const char *path;
	size_t n;
	long i;
	int rc, more;

	wd_lprefix(prefix, id, side | WD_LONG);
	if ((rc = wd_cursor(t, t->w->listings, &c)) != 0)
		return rc;
	for (more = wd_first(t, c, prefix, sizeof(prefix), &k, &v, &rc); more;
	     more = wd_next(t, c, prefix, sizeof(prefix), &k, &v, &rc)) {
		if (k.mv_size != WD_LONG_KEY || wd_long_split(&v, &path, &n, &rest) != 0) {
			rc = wd_bad(t->w, "long listing");
			break;
		}
		if ((i = wd_long_find(newl, path, n)) < 0) {
			st->dels++;
			if ((rc = mdb_cursor_del(c, 0)) != 0) {
				rc = wd_terr(t, rc, "delete listing entry");
				break;
			}
			continue;
		}
		val = duet_realloc(val, 2 + n + WD_LVAL_MAX);
		if (val == NULL) {
			rc = duet_err_set(DUET_E_NOMEM, "out of memory updating a listing");
			break;
		}
		nv.mv_size = wd_long_val(&newl->v[i], val);
		nv.mv_data = val;
		if (nv.mv_size == v.mv_size && memcmp(v.mv_data, val, nv.mv_size) == 0) {
			st->same++;
			continue;
		}
		st->puts++;
		/* k points into the page, which a put of another size moves. */
		memcpy(key, k.mv_data, sizeof(key));
		k.mv_data = key;
		if ((rc = mdb_cursor_put(c, &k, &nv, MDB_CURRENT)) != 0) {
			rc = wd_terr(t, rc, "write listing entry");
			break;
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(c);
	duet_free(val);
	return rc;
}

int
wd_long_update(struct duet_workdir_txn *t, uint32_t id, int side, const struct duet_listing *newl,
               struct duet_workdir_ustats *st)
{
	unsigned char key[WD_LONG_KEY], *val = NULL;
	MDB_val k = {sizeof(key), key}, v, nv;
	int rc;

	if ((rc = wd_long_sweep(t, id, side, newl, st)) != 0)
		return rc;
	for (size_t i = 0; i < newl->n && rc == 0; i++) {
		const struct duet_entry *e = &newl->v[i];
		if (!wd_long_path(t->w, e->pathlen))
			continue;
		if (e->pathlen > WD_LONG_MAX)
			return duet_err_set(DUET_E_NAMETOOLONG,
			                    "workdir: path too long to store (%u bytes, limit %d): %.200s...",
			                    (unsigned)e->pathlen, WD_LONG_MAX, e->path);
		if ((rc = wd_long_key(id, side, e->path, e->pathlen, key)) != 0)
			break;
		rc = mdb_get(t->txn, t->w->listings, &k, &v);
		if (rc == 0)
			continue; /* there: pass 1 saw to it */
		if (rc != MDB_NOTFOUND) {
			rc = wd_terr(t, rc, "read listing entry");
			break;
		}
		if ((val = duet_realloc(val, 2 + e->pathlen + WD_LVAL_MAX)) == NULL) {
			rc = duet_err_set(DUET_E_NOMEM, "out of memory updating a listing");
			break;
		}
		nv.mv_size = wd_long_val(e, val);
		nv.mv_data = val;
		st->puts++;
		if ((rc = mdb_put(t->txn, t->w->listings, &k, &nv, 0)) != 0)
			rc = wd_terr(t, rc, "write listing entry");
	}
	duet_free(val);
	return rc;
}

static int
wd_long_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wd_long *)a)->e.path, ((const struct wd_long *)b)->e.path);
}

void
wd_longs_dispose(struct wd_longs *l)
{
	for (size_t i = 0; i < l->n; i++)
		duet_free((char *)l->v[i].e.path);
	duet_free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Appends one stored long entry to out. */
static int
wd_long_take(struct duet_workdir_txn *t, const MDB_val *v, struct wd_longs *out, size_t *cap)
{
	struct wd_long *l;
	MDB_val rest;
	const char *path;
	size_t n;
	char *copy;

	if (out->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		struct wd_long *nv = duet_reallocarray(out->v, nc, sizeof(*nv));
		if (nv == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory reading a listing");
		out->v = nv;
		*cap = nc;
	}
	l = &out->v[out->n];
	memset(l, 0, sizeof(*l));
	if (wd_long_split(v, &path, &n, &rest) != 0 || wd_lval_decode(&rest, &l->e, &l->h) != 0)
		return wd_bad(t->w, "long listing");
	if ((copy = duet_malloc(n + 1)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory reading a listing");
	memcpy(copy, path, n);
	copy[n] = '\0';
	l->e.path = copy;
	l->e.pathlen = (uint32_t)n;
	out->n++;
	return 0;
}

int
wd_long_load(struct duet_workdir_txn *t, uint32_t id, int side, struct wd_longs *out)
{
	unsigned char prefix[WD_LKEY_HDR];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	size_t cap = 0;
	int rc, more;

	memset(out, 0, sizeof(*out));
	wd_lprefix(prefix, id, side | WD_LONG);
	if ((rc = wd_cursor(t, t->w->listings, &c)) != 0)
		return rc;
	for (more = wd_first(t, c, prefix, sizeof(prefix), &k, &v, &rc); more;
	     more = wd_next(t, c, prefix, sizeof(prefix), &k, &v, &rc))
		if ((rc = wd_long_take(t, &v, out, &cap)) != 0)
			break;
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(c);
	if (rc != 0) {
		wd_longs_dispose(out);
		return rc;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), wd_long_cmp);
	for (size_t i = 0; i < out->n; i++)
		out->v[i].e.hashes = out->v[i].h.mask ? &out->v[i].h : NULL;
	return 0;
}
