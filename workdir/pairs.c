/*
 * pairs.c: rclone's session name of a pair and the `pairs` database.
 * Keys: 'n' + session name -> be32 id; 'i' + be32 id -> record (format in
 * docs/workdir.md). Ids come from the `meta` counter "next_pair" and are
 * never reused. Two pairs whose roots differ but whose session names are
 * the same are refused rather than sharing listings.
 */
#include "workdir.h"

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "workdir_int.h"

#define WD_PAIR_FIXED 27 /* ver, state, flags, last_run(8), md5(16) */

/* Appends the canonical form of one root to buf at *n. */
static int
wd_canon(const char *s, char *buf, size_t *n)
{
	size_t a = 0, b = strlen(s);
	const char *open, *close;

	while (a < b && (s[a] == '/' || s[a] == '\\'))
		a++;
	while (b > a && (s[b - 1] == '/' || s[b - 1] == '\\'))
		b--;
	/* drop the first {...} group (rclone's config-override suffix) */
	open = memchr(s + a, '{', b - a);
	close = open ? memchr(open, '}', (size_t)(s + b - open)) : NULL;
	for (size_t i = a; i < b; i++) {
		char c = s[i];
		if (close != NULL && s + i >= open && s + i <= close)
			continue;
		if (*n + 1 >= DUET_WORKDIR_SESSION_MAX)
			return duet_err_set(DUET_E_NAMETOOLONG, "session name of %s is too long",
			                    s);
		if (strchr(" \t\n\f\r\\/:?*", c) != NULL)
			c = '_';
		buf[(*n)++] = c;
	}
	buf[*n] = '\0';
	return 0;
}

int
duet_workdir_session_name(const char *canon1, const char *canon2, char *buf)
{
	size_t n = 0;
	int rc;

	buf[0] = '\0';
	if ((rc = wd_canon(canon1, buf, &n)) != 0)
		return rc;
	if (n + 3 >= DUET_WORKDIR_SESSION_MAX)
		return duet_err_set(DUET_E_NAMETOOLONG, "session name of %s is too long", canon1);
	buf[n++] = '.';
	buf[n++] = '.';
	buf[n] = '\0';
	return wd_canon(canon2, buf, &n);
}

static int
wd_str_out(const unsigned char **p, const unsigned char *end, char **out)
{
	uint32_t len;

	if (end - *p < 4)
		return DUET_E_CORRUPT;
	len = wd_get32(*p);
	*p += 4;
	if ((size_t)(end - *p) < len)
		return DUET_E_CORRUPT;
	*out = duet_strndup((const char *)*p, len);
	*p += len;
	return *out == NULL ? duet_err_set(DUET_E_NOMEM, "out of memory") : 0;
}

static int
wd_pair_decode(struct duet_workdir *w, const MDB_val *v, struct duet_pair_rec *out)
{
	const unsigned char *p = v->mv_data, *end = p + v->mv_size;
	int rc;

	memset(out, 0, sizeof(*out));
	if (v->mv_size < WD_PAIR_FIXED || p[0] != WD_VERSION_BYTE)
		goto bad;
	out->state = p[1];
	out->has_filters_md5 = p[2] & 1;
	out->last_run = wd_get64(p + 3);
	memcpy(out->filters_md5, p + 11, 16);
	p += WD_PAIR_FIXED;
	if ((rc = wd_str_out(&p, end, &out->root1)) != 0 ||
	    (rc = wd_str_out(&p, end, &out->root2)) != 0 ||
	    (rc = wd_str_out(&p, end, &out->compare)) != 0) {
		duet_workdir_pair_dispose(out);
		if (rc == DUET_E_CORRUPT)
			goto bad;
		return rc;
	}
	return 0;
bad:
	return duet_err_set(DUET_E_CORRUPT,
	                    "workdir file %s: bad pair record; move it away and run with --resync",
	                    w->file);
}

static void
wd_str_in(unsigned char **p, const char *s)
{
	uint32_t len = s ? (uint32_t)strlen(s) : 0;
	wd_be32(*p, len);
	if (len > 0)
		memcpy(*p + 4, s, len);
	*p += 4 + len;
}

static int
wd_pair_write(struct duet_workdir_txn *t, uint32_t id, const struct duet_pair_rec *r)
{
	size_t l1 = r->root1 ? strlen(r->root1) : 0, l2 = r->root2 ? strlen(r->root2) : 0;
	size_t l3 = r->compare ? strlen(r->compare) : 0;
	size_t n = WD_PAIR_FIXED + 12 + l1 + l2 + l3;
	unsigned char key[5] = {'i'}, *buf, *p;
	MDB_val k = {sizeof(key), key}, v;
	int rc;

	if (l1 > UINT32_MAX / 4 || l2 > UINT32_MAX / 4 || l3 > UINT32_MAX / 4)
		return duet_err_set(DUET_E_INVAL, "pair record too large");
	if ((buf = duet_malloc(n)) == NULL)
		return t->err = duet_err_set(DUET_E_NOMEM, "out of memory");
	buf[0] = WD_VERSION_BYTE;
	buf[1] = r->state;
	buf[2] = r->has_filters_md5 ? 1 : 0;
	wd_be64(buf + 3, r->last_run);
	if (r->has_filters_md5)
		memcpy(buf + 11, r->filters_md5, 16);
	else
		memset(buf + 11, 0, 16);
	p = buf + WD_PAIR_FIXED;
	wd_str_in(&p, r->root1);
	wd_str_in(&p, r->root2);
	wd_str_in(&p, r->compare);
	wd_be32(key + 1, id);
	v.mv_size = n;
	v.mv_data = buf;
	rc = mdb_put(t->txn, t->w->pairs, &k, &v, 0);
	duet_free(buf);
	return rc ? wd_terr(t, rc, "write pair") : 0;
}

int
duet_workdir_pair_get(struct duet_workdir_txn *t, uint32_t id, struct duet_pair_rec *out)
{
	unsigned char key[5] = {'i'};
	MDB_val k = {sizeof(key), key}, v;
	int rc;

	memset(out, 0, sizeof(*out));
	wd_be32(key + 1, id);
	rc = mdb_get(t->txn, t->w->pairs, &k, &v);
	if (rc == MDB_NOTFOUND)
		return duet_err_set(DUET_E_NOTFOUND, "workdir: no pair %u", (unsigned)id);
	if (rc != 0)
		return wd_terr(t, rc, "read pair");
	return wd_pair_decode(t->w, &v, out);
}

int
duet_workdir_pair_put(struct duet_workdir_txn *t, uint32_t id, const struct duet_pair_rec *rec)
{
	unsigned char key[5] = {'i'};
	MDB_val k = {sizeof(key), key}, v;
	int rc;

	if (t->err != 0)
		return t->err;
	wd_be32(key + 1, id);
	rc = mdb_get(t->txn, t->w->pairs, &k, &v);
	if (rc == MDB_NOTFOUND)
		return duet_err_set(DUET_E_NOTFOUND, "workdir: no pair %u", (unsigned)id);
	if (rc != 0)
		return wd_terr(t, rc, "read pair");
	return wd_pair_write(t, id, rec);
}

/* Key of a side's token: 't', be32 id, side. */
static void
wd_token_key(unsigned char key[6], uint32_t id, int side)
{
	key[0] = 't';
	wd_be32(key + 1, id);
	key[5] = (unsigned char)side;
}

int
duet_workdir_token_put(struct duet_workdir_txn *t, uint32_t id, int side, const char *tok)
{
	unsigned char key[6], buf[256];
	MDB_val k = {sizeof(key), key}, v;
	size_t n = tok != NULL ? strlen(tok) : 0;
	int rc;

	if (t->err != 0)
		return t->err;
	wd_token_key(key, id, side);
	if (n == 0) {
		rc = mdb_del(t->txn, t->w->pairs, &k, NULL);
		return rc != 0 && rc != MDB_NOTFOUND ? wd_terr(t, rc, "remove listing token") : 0;
	}
	if (n + 1 > sizeof(buf))
		return duet_err_set(DUET_E_INVAL, "listing token too long");
	buf[0] = WD_VERSION_BYTE;
	memcpy(buf + 1, tok, n);
	v.mv_size = n + 1;
	v.mv_data = buf;
	rc = mdb_put(t->txn, t->w->pairs, &k, &v, 0);
	return rc ? wd_terr(t, rc, "write listing token") : 0;
}

int
duet_workdir_token_get(struct duet_workdir_txn *t, uint32_t id, int side, char *buf, size_t n)
{
	unsigned char key[6];
	MDB_val k = {sizeof(key), key}, v;
	int rc;

	wd_token_key(key, id, side);
	rc = mdb_get(t->txn, t->w->pairs, &k, &v);
	if (rc == MDB_NOTFOUND)
		return DUET_E_NOTFOUND;
	if (rc != 0)
		return wd_terr(t, rc, "read listing token");
	if (v.mv_size < 2 || ((const unsigned char *)v.mv_data)[0] != WD_VERSION_BYTE ||
	    memchr((const char *)v.mv_data + 1, '\0', v.mv_size - 1) != NULL)
		return wd_bad(t->w, "listing token");
	if (v.mv_size > n)
		return duet_err_set(DUET_E_INVAL, "listing token too long");
	memcpy(buf, (const char *)v.mv_data + 1, v.mv_size - 1);
	buf[v.mv_size - 1] = '\0';
	return 0;
}

void
duet_workdir_pair_dispose(struct duet_pair_rec *rec)
{
	if (rec == NULL)
		return;
	duet_free(rec->root1);
	duet_free(rec->root2);
	duet_free(rec->compare);
	memset(rec, 0, sizeof(*rec));
}

struct wd_pair_ctx {
	const char *c1, *c2;
	const char *session;
	int create;
	uint32_t id;
};

/* Allocates the next pair id from meta "next_pair". */
static int
wd_next_id(struct duet_workdir_txn *t, uint32_t *id)
{
	MDB_val k = {9, (void *)"next_pair"}, v;
	unsigned char buf[5];
	int rc = mdb_get(t->txn, t->w->meta, &k, &v);

	*id = 1;
	if (rc == 0 && v.mv_size == 5)
		*id = wd_get32((const unsigned char *)v.mv_data + 1);
	else if (rc != MDB_NOTFOUND)
		return rc ? wd_terr(t, rc, "read next_pair")
		          : duet_err_set(DUET_E_CORRUPT,
		                         "workdir file %s: bad next_pair; "
		                         "move it away and run with --resync",
		                         t->w->file);
	buf[0] = WD_VERSION_BYTE;
	wd_be32(buf + 1, *id + 1);
	v.mv_size = sizeof(buf);
	v.mv_data = buf;
	rc = mdb_put(t->txn, t->w->meta, &k, &v, 0);
	return rc ? wd_terr(t, rc, "write next_pair") : 0;
}

static int
wd_pair_same(struct duet_workdir_txn *t, struct wd_pair_ctx *c)
{
	struct duet_pair_rec r;
	int rc = duet_workdir_pair_get(t, c->id, &r);

	if (rc != 0)
		return rc;
	if (strcmp(r.root1, c->c1) != 0 || strcmp(r.root2, c->c2) != 0)
		rc = duet_err_set(
		    DUET_E_EXIST,
		    "workdir %s: pair \"%s\" \"%s\" has the same session name %s as \"%s\" "
		    "\"%s\"; use another --workdir",
		    t->w->dir, c->c1, c->c2, c->session, r.root1, r.root2);
	duet_workdir_pair_dispose(&r);
	return rc;
}

static int
wd_pair_fn(struct duet_workdir_txn *t, void *ctx)
{
	struct wd_pair_ctx *c = ctx;
	size_t sl = strlen(c->session);
	unsigned char key[DUET_WORKDIR_SESSION_MAX + 1], idb[4];
	MDB_val k = {sl + 1, key}, v;
	struct duet_pair_rec r = {0};
	int rc;

	key[0] = 'n';
	memcpy(key + 1, c->session, sl);
	rc = mdb_get(t->txn, t->w->pairs, &k, &v);
	if (rc == 0 && v.mv_size == 4) {
		c->id = wd_get32(v.mv_data);
		return wd_pair_same(t, c);
	}
	if (rc == 0)
		return duet_err_set(DUET_E_CORRUPT,
		                    "workdir file %s: bad pair name record; "
		                    "move it away and run with --resync",
		                    t->w->file);
	if (rc != MDB_NOTFOUND)
		return wd_terr(t, rc, "read pair name");
	if (!c->create)
		return duet_err_set(DUET_E_NOTFOUND, "workdir %s: no pair %s", t->w->dir,
		                    c->session);
	if ((rc = wd_next_id(t, &c->id)) != 0)
		return rc;
	wd_be32(idb, c->id);
	v.mv_size = 4;
	v.mv_data = idb;
	if ((rc = mdb_put(t->txn, t->w->pairs, &k, &v, 0)) != 0)
		return wd_terr(t, rc, "write pair name");
	r.root1 = (char *)c->c1;
	r.root2 = (char *)c->c2;
	r.state = DUET_PAIR_NEEDS_RESYNC;
	return wd_pair_write(t, c->id, &r);
}

int
duet_workdir_pair(struct duet_workdir *w, const char *canon1, const char *canon2, int create,
                  uint32_t *id)
{
	char session[DUET_WORKDIR_SESSION_MAX];
	struct wd_pair_ctx c = {canon1, canon2, session, create, 0};
	int rc;

	*id = 0;
	if ((rc = duet_workdir_session_name(canon1, canon2, session)) != 0)
		return rc;
	if (strlen(session) + 1 > 511)
		return duet_err_set(DUET_E_NAMETOOLONG,
		                    "workdir: session name %s is longer than 510 bytes", session);
	if (create)
		rc = duet_workdir_write(w, wd_pair_fn, &c);
	else {
		struct duet_workdir_txn *t;
		if ((rc = duet_workdir_txn_begin(w, 1, &t)) != 0)
			return rc;
		rc = wd_pair_fn(t, &c);
		duet_workdir_txn_abort(t);
	}
	if (rc == 0)
		*id = c.id;
	return rc;
}
