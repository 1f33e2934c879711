/*
 * store.c: the `listings`, `runs` and `journal` databases. Listing keys are
 * be32 pair id + side byte + path bytes, so a side's entries are one
 * contiguous key range in path order and an update is one merge of that
 * range with the new sorted listing: only changed keys are written.
 * Run keys: be32 id + be64 run; journal keys: be32 id + be64 run + be32 no.
 */
#include "workdir.h"

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "workdir_int.h"

#define WD_RUN_VAL 66

int
wd_bad(struct duet_workdir *w, const char *what)
{
	return duet_err_set(DUET_E_CORRUPT,
	                    "workdir file %s: bad %s record; move it away and run with --resync",
	                    w->file, what);
}

int
wd_first(struct duet_workdir_txn *t, MDB_cursor *c, const unsigned char *prefix, size_t plen,
         MDB_val *k, MDB_val *v, int *rc)
{
	k->mv_size = plen;
	k->mv_data = (void *)prefix;
	*rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);
	if (*rc != 0 && *rc != MDB_NOTFOUND)
		*rc = wd_terr(t, *rc, "cursor");
	else if (*rc == 0 && (k->mv_size < plen || memcmp(k->mv_data, prefix, plen) != 0))
		*rc = MDB_NOTFOUND;
	return *rc == 0;
}

int
wd_next(struct duet_workdir_txn *t, MDB_cursor *c, const unsigned char *prefix, size_t plen,
        MDB_val *k, MDB_val *v, int *rc)
{
	*rc = mdb_cursor_get(c, k, v, MDB_NEXT);
	if (*rc != 0 && *rc != MDB_NOTFOUND)
		*rc = wd_terr(t, *rc, "cursor");
	else if (*rc == 0 && (k->mv_size < plen || memcmp(k->mv_data, prefix, plen) != 0))
		*rc = MDB_NOTFOUND;
	return *rc == 0;
}

int
wd_cursor(struct duet_workdir_txn *t, MDB_dbi dbi, MDB_cursor **c)
{
	int rc;
	if (t->err != 0)
		return t->err;
	rc = mdb_cursor_open(t->txn, dbi, c);
	return rc ? wd_terr(t, rc, "open cursor") : 0;
}

/* ---- listings ----------------------------------------------------- */

size_t
wd_lval_encode(const struct duet_entry *e, unsigned char *buf)
{
	unsigned mask = e->hashes ? e->hashes->mask & DUET_HASH_ALL : 0;
	size_t n = WD_LVAL_FIXED;

	buf[0] = WD_VERSION_BYTE;
	buf[1] = e->type;
	buf[2] = e->flags;
	wd_be64(buf + 3, (uint64_t)e->size);
	wd_be64(buf + 11, (uint64_t)e->mtime);
	buf[19] = (unsigned char)mask;
	for (int k = 0; k < DUET_HASH_COUNT; k++) {
		if (!(mask & DUET_HASH_BIT(k)))
			continue;
		memcpy(buf + n, e->hashes->v[k], duet_hash_size((enum duet_hash_kind)k));
		n += duet_hash_size((enum duet_hash_kind)k);
	}
	return n;
}

int
wd_lval_decode(const MDB_val *v, struct duet_entry *e, struct duet_hashes *h)
{
	const unsigned char *p = v->mv_data;
	size_t n = WD_LVAL_FIXED;

	if (v->mv_size < WD_LVAL_FIXED || p[0] != WD_VERSION_BYTE)
		return -1;
	e->type = p[1];
	e->flags = p[2];
	e->size = (int64_t)wd_get64(p + 3);
	e->mtime = (int64_t)wd_get64(p + 11);
	h->mask = p[19];
	e->hashes = h->mask ? h : NULL;
	if (h->mask & ~DUET_HASH_ALL)
		return -1;
	for (int k = 0; k < DUET_HASH_COUNT; k++) {
		size_t hl = duet_hash_size((enum duet_hash_kind)k);
		if (!(h->mask & DUET_HASH_BIT(k)))
			continue;
		if (v->mv_size < n + hl)
			return -1;
		memcpy(h->v[k], p + n, hl);
		n += hl;
	}
	return n == v->mv_size ? 0 : -1;
}

void
wd_lprefix(unsigned char *p, uint32_t id, int side)
{
	wd_be32(p, id);
	p[4] = (unsigned char)side;
}

int
duet_workdir_listing_iter_txn(struct duet_workdir_txn *t, uint32_t id, int side,
                              int (*fn)(void *ctx, const struct duet_entry *e), void *ctx)
{
	unsigned char prefix[WD_LKEY_HDR];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	struct duet_entry e;
	struct duet_hashes h;
	char path[512]; /* keys are at most 511 bytes: the path, NUL-terminated */
	struct wd_longs longs;
	size_t li = 0; /* next long entry to hand out, in path order */
	int rc, more;

	if ((rc = wd_long_load(t, id, side, &longs)) != 0)
		return rc;
	wd_lprefix(prefix, id, side);
	if ((rc = wd_cursor(t, t->w->listings, &c)) != 0) {
		wd_longs_dispose(&longs);
		return rc;
	}
	for (more = wd_first(t, c, prefix, sizeof(prefix), &k, &v, &rc); more;
	     more = wd_next(t, c, prefix, sizeof(prefix), &k, &v, &rc)) {
		memset(&e, 0, sizeof(e));
		e.pathlen = (uint32_t)(k.mv_size - WD_LKEY_HDR);
		if (e.pathlen >= sizeof(path)) {
			rc = wd_bad(t->w, "listing");
			break;
		}
		memcpy(path, (const char *)k.mv_data + WD_LKEY_HDR, e.pathlen);
		path[e.pathlen] = '\0';
		e.path = path;
		if (wd_lval_decode(&v, &e, &h) != 0 || memchr(e.path, '\0', e.pathlen)) {
			rc = wd_bad(t->w, "listing");
			break;
		}
		while (li < longs.n && strcmp(longs.v[li].e.path, path) < 0)
			if ((rc = fn(ctx, &longs.v[li++].e)) != 0)
				goto out;
		if ((rc = fn(ctx, &e)) != 0)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	while (rc == 0 && li < longs.n)
		rc = fn(ctx, &longs.v[li++].e);
out:
	mdb_cursor_close(c);
	wd_longs_dispose(&longs);
	return rc;
}

static int
wd_load_one(void *ctx, const struct duet_entry *e)
{
	return duet_listing_add(ctx, e);
}

int
duet_workdir_listing_load_txn(struct duet_workdir_txn *t, uint32_t id, int side,
                              struct duet_listing *out)
{
	int rc = duet_workdir_listing_iter_txn(t, id, side, wd_load_one, out);
	if (rc != 0)
		duet_listing_dispose(out);
	return rc;
}

int
duet_workdir_listing_load(struct duet_workdir *w, uint32_t id, int side, struct duet_listing *out)
{
	struct duet_workdir_txn *t;
	int rc;

	if ((rc = duet_workdir_txn_begin(w, 1, &t)) != 0)
		return rc;
	rc = duet_workdir_listing_load_txn(t, id, side, out);
	duet_workdir_txn_abort(t);
	return rc;
}

static int
wd_keycmp(const MDB_val *k, const struct duet_entry *e)
{
	size_t sl = k->mv_size - WD_LKEY_HDR;
	size_t m = sl < e->pathlen ? sl : e->pathlen;
	int r = memcmp((const char *)k->mv_data + WD_LKEY_HDR, e->path, m);

	if (r != 0 || sl == e->pathlen)
		return r;
	return sl < e->pathlen ? -1 : 1;
}

/* One step of the merge for a new entry e against stored key k (or none). */
static int
wd_merge_one(struct duet_workdir_txn *t, MDB_cursor *c, const unsigned char *prefix,
             const struct duet_entry *e, MDB_val *k, MDB_val *v, int have,
             struct duet_workdir_ustats *st)
{
	unsigned char key[512], val[WD_LVAL_MAX];
	MDB_val nk = {WD_LKEY_HDR + e->pathlen, key}, nv = {0, val};
	int cmp = have ? wd_keycmp(k, e) : 1, rc;

	if (cmp < 0) {
		st->dels++;
		rc = mdb_cursor_del(c, 0);
		return rc ? wd_terr(t, rc, "delete listing entry") : 1;
	}
	nv.mv_size = wd_lval_encode(e, val);
	if (cmp == 0) {
		if (v->mv_size == nv.mv_size && memcmp(v->mv_data, val, nv.mv_size) == 0) {
			st->same++;
			return 0;
		}
		st->puts++;
		/* k points into the page; a put of another size moves it. */
		memcpy(key, k->mv_data, k->mv_size);
		nk.mv_size = k->mv_size;
		rc = mdb_cursor_put(c, &nk, &nv, MDB_CURRENT);
		return rc ? wd_terr(t, rc, "write listing entry") : 0;
	}
	memcpy(key, prefix, WD_LKEY_HDR);
	memcpy(key + WD_LKEY_HDR, e->path, e->pathlen);
	st->puts++;
	rc = mdb_cursor_put(c, &nk, &nv, 0);
	return rc ? wd_terr(t, rc, "write listing entry") : 0;
}

static int
wd_check_new(struct duet_workdir *w, const struct duet_listing *l)
{
	(void)w;
	for (size_t i = 0; i < l->n; i++) {
		if (i > 0 && strcmp(l->v[i - 1].path, l->v[i].path) >= 0)
			return duet_err_set(DUET_E_INVAL,
			                    "workdir: listing not sorted or has duplicates at %s",
			                    l->v[i].path);
	}
	return 0;
}

int
duet_workdir_listing_update(struct duet_workdir_txn *t, uint32_t id, int side,
                            const struct duet_listing *newl, struct duet_workdir_ustats *st)
{
	struct duet_workdir_ustats dummy;
	unsigned char prefix[WD_LKEY_HDR];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	size_t i = 0;
	int rc, have, step;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if ((rc = wd_check_new(t->w, newl)) != 0 || (rc = wd_cursor(t, t->w->listings, &c)) != 0)
		return rc;
	wd_lprefix(prefix, id, side);
	have = wd_first(t, c, prefix, sizeof(prefix), &k, &v, &rc);
	while (rc == 0 || rc == MDB_NOTFOUND) {
		/* Long paths are not in this range: wd_long_update below. */
		while (i < newl->n && wd_long_path(t->w, newl->v[i].pathlen))
			i++;
		if (i == newl->n && !have)
			break;
		if (i == newl->n) {
			st->dels++;
			step = mdb_cursor_del(c, 0);
			step = step ? wd_terr(t, step, "delete listing entry") : 1;
		} else {
			step = wd_merge_one(t, c, prefix, &newl->v[i], &k, &v, have, st);
		}
		if (step < 0) {
			rc = step;
			break;
		}
		if (step == 0)
			i++;
		have = wd_next(t, c, prefix, sizeof(prefix), &k, &v, &rc);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(c);
	if (rc == 0)
		rc = wd_long_update(t, id, side, newl, st);
	return rc;
}

int
duet_workdir_listing_clear(struct duet_workdir_txn *t, uint32_t id, int side)
{
	struct duet_listing empty;
	duet_listing_init(&empty);
	return duet_workdir_listing_update(t, id, side, &empty, NULL);
}

/* ---- runs --------------------------------------------------------- */

static int
wd_run_write(struct duet_workdir_txn *t, uint32_t id, uint64_t run, const struct duet_run_rec *r)
{
	unsigned char key[12], val[WD_RUN_VAL];
	const uint64_t cnt[6] = {r->copied12, r->copied21,  r->deleted1,
	                         r->deleted2, r->conflicts, r->errors};
	MDB_val k = {sizeof(key), key}, v = {sizeof(val), val};
	int rc;

	if (t->err != 0)
		return t->err;
	wd_be32(key, id);
	wd_be64(key + 4, run);
	val[0] = WD_VERSION_BYTE;
	val[1] = r->outcome;
	wd_be64(val + 2, (uint64_t)r->start);
	wd_be64(val + 10, (uint64_t)r->end);
	for (int i = 0; i < 6; i++)
		wd_be64(val + 18 + 8 * i, cnt[i]);
	rc = mdb_put(t->txn, t->w->runs, &k, &v, 0);
	return rc ? wd_terr(t, rc, "write run") : 0;
}

int
duet_workdir_run_put(struct duet_workdir_txn *t, uint32_t id, uint64_t run,
                     const struct duet_run_rec *rec)
{
	return wd_run_write(t, id, run, rec);
}

int
duet_workdir_run_new(struct duet_workdir_txn *t, uint32_t id, const struct duet_run_rec *rec,
                     uint64_t *run)
{
	unsigned char prefix[4];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint64_t last = 0;
	int rc, more;

	wd_be32(prefix, id);
	if ((rc = wd_cursor(t, t->w->runs, &c)) != 0)
		return rc;
	/* runs of a pair are contiguous and sorted: the last one wins */
	for (more = wd_first(t, c, prefix, 4, &k, &v, &rc); more;
	     more = wd_next(t, c, prefix, 4, &k, &v, &rc))
		if (k.mv_size == 12)
			last = wd_get64((const unsigned char *)k.mv_data + 4);
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return rc;
	*run = last + 1;
	return wd_run_write(t, id, *run, rec);
}

int
duet_workdir_run_get(struct duet_workdir_txn *t, uint32_t id, uint64_t run,
                     struct duet_run_rec *out)
{
	unsigned char key[12];
	const unsigned char *p;
	MDB_val k = {sizeof(key), key}, v;
	uint64_t *cnt[6] = {&out->copied12, &out->copied21,  &out->deleted1,
	                    &out->deleted2, &out->conflicts, &out->errors};
	int rc;

	memset(out, 0, sizeof(*out));
	wd_be32(key, id);
	wd_be64(key + 4, run);
	rc = mdb_get(t->txn, t->w->runs, &k, &v);
	if (rc == MDB_NOTFOUND)
		return duet_err_set(DUET_E_NOTFOUND, "workdir: no run %llu of pair %u",
		                    (unsigned long long)run, (unsigned)id);
	if (rc != 0)
		return wd_terr(t, rc, "read run");
	p = v.mv_data;
	if (v.mv_size != WD_RUN_VAL || p[0] != WD_VERSION_BYTE)
		return wd_bad(t->w, "run");
	out->outcome = p[1];
	out->start = (int64_t)wd_get64(p + 2);
	out->end = (int64_t)wd_get64(p + 10);
	for (int i = 0; i < 6; i++)
		*cnt[i] = wd_get64(p + 18 + 8 * i);
	return 0;
}

/* ---- journal ------------------------------------------------------ */

static void
wd_jkey(unsigned char *key, uint32_t id, uint64_t run, uint32_t no)
{
	wd_be32(key, id);
	wd_be64(key + 4, run);
	wd_be32(key + 12, no);
}

int
duet_workdir_journal_put(struct duet_workdir_txn *t, uint32_t id, uint64_t run, uint32_t no,
                         const void *data, size_t len, uint8_t status)
{
	unsigned char key[16];
	MDB_val k = {sizeof(key), key}, v = {len + 2, NULL};
	unsigned char *p;
	int rc;

	if (t->err != 0)
		return t->err;
	if (len > ((size_t)1 << 30))
		return duet_err_set(DUET_E_INVAL, "workdir: journal entry too large");
	wd_jkey(key, id, run, no);
	/* MDB_RESERVE: LMDB hands out the space, we fill it before any other call */
	rc = mdb_put(t->txn, t->w->journal, &k, &v, MDB_RESERVE);
	if (rc != 0)
		return wd_terr(t, rc, "write journal");
	p = v.mv_data;
	p[0] = WD_VERSION_BYTE;
	p[1] = status;
	if (len > 0)
		memcpy(p + 2, data, len);
	return 0;
}

int
duet_workdir_journal_set_status(struct duet_workdir_txn *t, uint32_t id, uint64_t run, uint32_t no,
                                uint8_t status)
{
	unsigned char key[16];
	MDB_val k = {sizeof(key), key}, v;
	unsigned char *copy;
	int rc;

	if (t->err != 0)
		return t->err;
	wd_jkey(key, id, run, no);
	rc = mdb_get(t->txn, t->w->journal, &k, &v);
	if (rc == MDB_NOTFOUND)
		return duet_err_set(DUET_E_NOTFOUND, "workdir: no journal action %u", (unsigned)no);
	if (rc != 0)
		return wd_terr(t, rc, "read journal");
	if (v.mv_size < 2)
		return wd_bad(t->w, "journal");
	if ((copy = duet_malloc(v.mv_size)) == NULL)
		return t->err = duet_err_set(DUET_E_NOMEM, "out of memory");
	memcpy(copy, v.mv_data, v.mv_size);
	copy[1] = status;
	v.mv_data = copy;
	rc = mdb_put(t->txn, t->w->journal, &k, &v, 0);
	duet_free(copy);
	return rc ? wd_terr(t, rc, "write journal") : 0;
}

int
duet_workdir_journal_iter(struct duet_workdir_txn *t, uint32_t id, uint64_t run,
                          int (*fn)(uint32_t no, uint8_t status, const void *data, size_t len,
                                    void *ctx),
                          void *ctx)
{
	unsigned char prefix[12];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	const unsigned char *p;
	int rc, more;

	wd_be32(prefix, id);
	wd_be64(prefix + 4, run);
	if ((rc = wd_cursor(t, t->w->journal, &c)) != 0)
		return rc;
	for (more = wd_first(t, c, prefix, 12, &k, &v, &rc); more;
	     more = wd_next(t, c, prefix, 12, &k, &v, &rc)) {
		p = v.mv_data;
		if (k.mv_size != 16 || v.mv_size < 2 || p[0] != WD_VERSION_BYTE) {
			rc = wd_bad(t->w, "journal");
			break;
		}
		rc = fn(wd_get32((const unsigned char *)k.mv_data + 12), p[1], p + 2, v.mv_size - 2,
		        ctx);
		if (rc != 0)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(c);
	return rc;
}

int
duet_workdir_journal_clear(struct duet_workdir_txn *t, uint32_t id, uint64_t run)
{
	unsigned char prefix[12];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc, more;

	wd_be32(prefix, id);
	wd_be64(prefix + 4, run);
	if ((rc = wd_cursor(t, t->w->journal, &c)) != 0)
		return rc;
	for (more = wd_first(t, c, prefix, 12, &k, &v, &rc); more;
	     more = wd_next(t, c, prefix, 12, &k, &v, &rc)) {
		if ((rc = mdb_cursor_del(c, 0)) != 0) {
			rc = wd_terr(t, rc, "delete journal");
			break;
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(c);
	return rc;
}
