/*
 * s3_ops.c: the S3 backend's operations on keys: listing (ListObjectsV2
 * by delimiter, then the objects' metadata read in parallel, since the
 * modification time rclone keeps is not in listings), HEAD, server-side
 * copy and move, batch delete, and the virtual directories of a bucket.
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include "s3_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backends/azure/az_auth.h" /* base64 */
#include "backends/azure/az_enc.h" /* rclone's name encodings */
#include "backends/azure/az_time.h" /* HTTP dates */
#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/listing.h"
#include "core/log.h"
#include "s3_util.h"

/* ---- HEAD ---- */

static void
s3_hex16(const char *hex, unsigned char *out, int *ok)
{
	struct duet_hashes h;
	*ok = duet_hash_from_hex(&h, DUET_HASH_MD5, hex) == 0;
	if (*ok)
		memcpy(out, h.v[DUET_HASH_MD5], 16);
}

int
s3_head(struct s3_fs *fs, const char *key, struct s3_head *h)
{
	struct duet_http_resp resp;
	struct s3_call c = {0};
	const char *v;
	char what[4200];
	size_t n;
	int rc;

	memset(h, 0, sizeof(*h));
	snprintf(what, sizeof(what), "stat %s", key);
	c.method = "HEAD";
	c.bucket = fs->bucket;
	c.key = key;
	c.what = what;
	duet_http_resp_init(&resp);
	if ((rc = s3_do(fs, &c, &resp)) != 0)
		goto out;
	v = duet_http_resp_header(&resp, "content-length");
	h->size = v != NULL ? strtoll(v, NULL, 10) : -1;
	v = duet_http_resp_header(&resp, "x-amz-meta-mtime");
	if (v == NULL || s3_mtime_parse(v, &h->mtime) != 0) {
		v = duet_http_resp_header(&resp, "last-modified");
		if (v == NULL || duet_az_time_parse_http(v, &h->mtime) != 0)
			h->mtime = 0;
	}
	v = duet_http_resp_header(&resp, "etag");
	if (v != NULL) {
		char e[40];
		n = strlen(v);
		if (n == 34 && v[0] == '"') {
			memcpy(e, v + 1, 32);
			e[32] = '\0';
			s3_hex16(e, h->md5, &h->has_md5);
		}
	}
	v = duet_http_resp_header(&resp, "x-amz-meta-md5chksum");
	if (v != NULL && strlen(v) < sizeof(h->md5chksum)) {
		snprintf(h->md5chksum, sizeof(h->md5chksum), "%s", v);
		if (!h->has_md5 && duet_az_base64_decode(v, strlen(v), h->md5, 16, &n) == 0 && n == 16)
			h->has_md5 = 1;
	}
	v = duet_http_resp_header(&resp, "content-type");
	if (v != NULL)
		snprintf(h->content_type, sizeof(h->content_type), "%s", v);
out:
	duet_http_resp_dispose(&resp);
	return rc;
}

/* ---- listing ---- */

struct s3_item {
	char *path;  /* relative to the root */
	char *key;   /* full key */
	int dir;
	int64_t size, lmod;
	struct s3_head h;
	int rc;
	int lazy;    /* no HEAD: the caller takes the mtime when it reads */
};

struct s3_lst {
	struct s3_fs *fs;
	const char *dir;
	size_t skip;          /* bytes of the listed prefix */
	struct s3_item *v;
	size_t n, cap;
	int bad;              /* a name was refused */
	int buckets;          /* listing the buckets */
	struct duet_buf next;
	size_t work;          /* next item for a HEAD worker */
	size_t heads;         /* HEADs the page needed */
	pthread_mutex_t mu;
	int flat;             /* a recursive listing (no delimiter) */
	struct duet_buf last; /* flat: the stored parent ("a/b/" or "") of the
	                         previous key: its directories went out */
};

static int s3_lst_add_name(struct s3_lst *l, const char *name, size_t nl, int dir, int64_t size,
    int64_t lmod, const char *key);

static int
s3_lst_add(struct s3_lst *l, const char *name, size_t nl, int dir, int64_t size, int64_t lmod,
    const char *key)
{
	struct duet_buf dec = DUET_BUF_INIT;
	int rc;

	/* Names are stored as rclone's s3 encoding has them. */
	if (!l->buckets) {
		rc = duet_name_enc_decode(&dec, name, nl, DUET_ENC_S3);
		if (rc == DUET_E_NOMEM || (rc == 0 && duet_buf_puts(&dec, "") != 0)) {
			duet_buf_dispose(&dec);
			return duet_err_set(DUET_E_NOMEM, "s3: out of memory listing");
		}
		if (rc != 0) {
			duet_buf_dispose(&dec);
			duet_log(DUET_LOG_ERROR, "s3: %s: skipping an object whose name cannot be a file: "
			    "a NUL byte in \"%.*s\"", l->fs->base.name, (int)(nl > 200 ? 200 : nl), name);
			l->bad = 1;
			return 0;
		}
		rc = s3_lst_add_name(l, dec.p, dec.len, dir, size, lmod, key);
		duet_buf_dispose(&dec);
		return rc;
	}
	return s3_lst_add_name(l, name, nl, dir, size, lmod, key);
}

/* s3_lst_add for a decoded name. */
static int
s3_lst_add_name(struct s3_lst *l, const char *name, size_t nl, int dir, int64_t size, int64_t lmod,
    const char *key)
{
	struct s3_item *it;

	if (!l->flat && duet_name_check(name, nl) != 0) {
		duet_log(DUET_LOG_ERROR, "s3: %s: skipping an object whose name cannot be a file: %s",
		    l->fs->base.name, duet_err_msg());
		l->bad = 1;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct s3_item *v = duet_reallocarray(l->v, cap, sizeof(*v));
		if (v == NULL)
			return duet_err_set(DUET_E_NOMEM, "s3: out of memory listing");
		l->v = v;
		l->cap = cap;
	}
	it = &l->v[l->n];
	memset(it, 0, sizeof(*it));
	it->dir = dir;
	it->size = size;
	it->lmod = lmod;
	if (l->dir[0] != '\0') {
		size_t dl = strlen(l->dir);
		if ((it->path = duet_malloc(dl + nl + 2)) != NULL) {
			memcpy(it->path, l->dir, dl);
			it->path[dl] = '/';
			memcpy(it->path + dl + 1, name, nl);
			it->path[dl + nl + 1] = '\0';
		}
	} else {
		it->path = duet_strndup(name, nl);
	}
	it->key = key != NULL ? duet_strdup(key) : NULL;
	if (it->path == NULL || (key != NULL && it->key == NULL)) {
		duet_free(it->path);
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory listing");
	}
	l->n++;
	return 0;
}

/* flat: a stored relative path (segments) decoded and checked, then
 * added as s3_lst_add does. */
static int
s3_lst_add_rel(struct s3_lst *l, const char *rel, size_t n, int dir, int64_t size, int64_t lmod,
    const char *key)
{
	struct duet_buf dec = DUET_BUF_INIT;
	int rc = duet_name_enc_decode_path(&dec, rel, n, DUET_ENC_S3);

	if (rc == 0 && duet_buf_puts(&dec, "") != 0)
		rc = DUET_E_NOMEM;
	if (rc == DUET_E_NOMEM) {
		duet_buf_dispose(&dec);
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory listing");
	}
	if (rc != 0) {
		duet_log(DUET_LOG_ERROR, "s3: %s: skipping an object whose name cannot be a file: "
		    "\"%.*s\"", l->fs->base.name, (int)(n > 200 ? 200 : n), rel);
		l->bad = 1;
		rc = 0;
	} else {
		rc = s3_lst_add_name(l, dec.p, dec.len, dir, size, lmod, key);
	}
	duet_buf_dispose(&dec);
	return rc;
}

static int
s3_lst_parent(void *ctx, const char *rel, size_t n)
{
	return s3_lst_add_rel(ctx, rel, n, 1, -1, 0, NULL);
}

/* flat: the directories on rel's way that went out with no earlier key
 * (the walk drops repeats a server's odd order could still make). */
static int
s3_lst_parents(struct s3_lst *l, const char *rel, size_t plen)
{
	int rc = duet_name_new_parents(&l->last, rel, plen, s3_lst_parent, l);
	return rc == DUET_E_NOMEM ? duet_err_set(rc, "s3: out of memory listing") : rc;
}

static int
s3_lst_object(void *ctx, const struct duet_s3_object *o)
{
	struct s3_lst *l = ctx;
	const char *name = o->key + l->skip;
	size_t nl = o->keylen - l->skip;

	if (o->keylen < l->skip || nl == 0)
		return 0; /* the directory's own marker */
	if (l->flat) {
		const char *sl;
		size_t plen;
		int rc, marker = name[nl - 1] == '/';
		size_t en = marker ? nl - 1 : nl;
		/* A marker "a/b/" is the directory a/b: its children follow. */
		if (en == 0)
			return 0;
		for (sl = NULL, plen = en; plen > 0 && sl == NULL; plen--)
			if (name[plen - 1] == '/')
				sl = name + plen - 1;
		plen = sl != NULL ? (size_t)(sl - name) + 1 : 0;
		if ((rc = s3_lst_parents(l, name, marker ? nl : plen)) != 0)
			return rc;
		if (marker)
			return 0; /* went out as a parent just now (or before) */
		return s3_lst_add_rel(l, name, nl, 0, o->size, o->mtime, o->key);
	}
	if (name[nl - 1] == '/') /* a marker of a subdirectory */
		return s3_lst_add(l, name, nl - 1, 1, -1, o->mtime, NULL);
	return s3_lst_add(l, name, nl, 0, o->size, o->mtime, o->key);
}

static int
s3_lst_prefix(void *ctx, const char *p, size_t len)
{
	struct s3_lst *l = ctx;
	if (len <= l->skip + 1)
		return 0;
	return s3_lst_add(l, p + l->skip, len - l->skip - 1, 1, -1, 0, NULL);
}

static int
s3_sink_xml(void *ctx, const void *data, size_t n)
{
	return duet_s3_xml_feed(ctx, data, n);
}

/* Runs c with its 2xx body parsed by x (resp initialised here, disposed
 * by the caller); the parse's end is checked too. */
static int
s3_do_xml(struct s3_fs *fs, struct s3_call *c, struct duet_s3_xml *x, struct duet_http_resp *resp)
{
	int rc;

	c->sink = s3_sink_xml;
	c->sink_ctx = x;
	duet_http_resp_init(resp);
	rc = s3_do(fs, c, resp);
	return rc == 0 ? duet_s3_xml_end(x) : rc;
}

/* Keeps the earliest Date of a listing answer (the server's clock, the
 * one its LastModified times use): see s3_known. */
static void
s3_note_list_date(struct s3_fs *fs, const struct duet_http_resp *resp)
{
	const char *v = duet_http_resp_header(resp, "date");
	int64_t ns;
	long long cur, d;

	if (v == NULL || duet_az_time_parse_http(v, &ns) != 0 || ns <= 0)
		return;
	d = (long long)(ns / 1000000000);
	cur = atomic_load(&fs->list_date);
	while ((cur == 0 || d < cur) && !atomic_compare_exchange_weak(&fs->list_date, &cur, d))
		;
}

int
s3_list_token(struct duet_fs *dfs, char *buf, size_t n)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	long long d = atomic_load(&fs->list_date);

	if (d == 0)
		return DUET_E_NOTFOUND;
	snprintf(buf, n, "s3-date=%lld", d);
	return 0;
}

/*
 * An object's metadata from the caller's earlier listing instead of a
 * HEAD: when that listing began (token: the server's Date then) after
 * the object was last written (its LastModified, one second of margin for
 * the Date's precision), the object is the version that listing saw, and
 * every write, copy or metadata change gives a new LastModified. The
 * size must agree and the known mtime be set. 1 when filled.
 */
static int
s3_known(struct s3_fs *fs, struct s3_item *it)
{
	const struct duet_fs_known *k = fs->base.known;
	struct duet_entry e;
	long long d;

	if (k == NULL || k->lookup == NULL || k->token == NULL ||
	    sscanf(k->token, "s3-date=%lld", &d) != 1 || d <= 1 || it->lmod <= 0 ||
	    it->lmod >= (int64_t)(d - 1) * 1000000000)
		return 0;
	memset(&e, 0, sizeof(e));
	if (k->lookup(k->ctx, it->path, &e) != 0 || e.type != DUET_T_FILE || e.size != it->size ||
	    e.mtime == 0)
		return 0;
	memset(&it->h, 0, sizeof(it->h));
	it->h.size = e.size;
	it->h.mtime = e.mtime;
	if (e.hashes != NULL && (e.hashes->mask & DUET_HASH_BIT(DUET_HASH_MD5))) {
		memcpy(it->h.md5, e.hashes->v[DUET_HASH_MD5], 16);
		it->h.has_md5 = 1;
	}
	it->rc = 0;
	return 1;
}

/* One page of ListObjectsV2. *more: there is another. */
static int
s3_list_page(struct s3_lst *l, const char *prefix, int maxkeys, int *more)
{
	struct s3_fs *fs = l->fs;
	struct duet_s3_list_cb cb = {s3_lst_object, s3_lst_prefix, l};
	struct duet_s3_kv q[6];
	struct duet_http_resp resp;
	struct duet_s3_xml *x = NULL;
	struct s3_call c = {0};
	char mk[16], what[4200];
	size_t nq = 0;
	int rc;

	snprintf(mk, sizeof(mk), "%d", maxkeys);
	q[nq++] = (struct duet_s3_kv){"list-type", "2"};
	if (!l->flat)
		q[nq++] = (struct duet_s3_kv){"delimiter", "/"};
	q[nq++] = (struct duet_s3_kv){"encoding-type", "url"};
	q[nq++] = (struct duet_s3_kv){"max-keys", mk};
	q[nq++] = (struct duet_s3_kv){"prefix", prefix};
	if (l->next.len > 0)
		q[nq++] = (struct duet_s3_kv){"continuation-token", l->next.p};
	snprintf(what, sizeof(what), "list %s/%s", fs->bucket, prefix);
	if ((rc = duet_s3_xml_list_new(&cb, &x)) != 0)
		return rc;
	c.method = "GET";
	c.bucket = fs->bucket;
	c.query = q;
	c.nquery = nq;
	c.what = what;
	rc = s3_do_xml(fs, &c, x, &resp);
	if (rc == 0)
		s3_note_list_date(fs, &resp);
	if (rc == 0) {
		const struct duet_s3_result *r = duet_s3_xml_result(x);
		*more = r->truncated && r->next_token[0] != '\0';
		duet_buf_reset(&l->next);
		if (*more && duet_buf_puts(&l->next, r->next_token) != 0)
			rc = duet_err_set(DUET_E_NOMEM, "s3: out of memory listing");
	}
	duet_http_resp_dispose(&resp);
	duet_s3_xml_free(x);
	return rc;
}

/* HEAD worker: reads the metadata of the listed objects. */
static void *
s3_head_worker(void *arg)
{
	struct s3_lst *l = arg;
	for (;;) {
		size_t i;
		pthread_mutex_lock(&l->mu);
		i = l->work++;
		pthread_mutex_unlock(&l->mu);
		if (i >= l->n)
			break;
		if (l->v[i].dir)
			continue;
		if (l->fs->base.exact_only != NULL &&
		    duet_listing_find(l->fs->base.exact_only, l->v[i].path) == NULL) {
			l->v[i].lazy = 1;
			continue;
		}
		if (!s3_known(l->fs, &l->v[i])) {
			l->v[i].rc = s3_head(l->fs, l->v[i].key, &l->v[i].h);
			pthread_mutex_lock(&l->mu);
			l->heads++;
			pthread_mutex_unlock(&l->mu);
		}
	}
	return NULL;
}

static int
s3_heads(struct s3_lst *l)
{
	pthread_t t[32];
	int n = l->fs->base.caps ? 16 : 1, started = 0;

	l->work = 0;
	l->heads = 0;
	if ((size_t)n > l->n)
		n = (int)l->n;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, s3_head_worker, l) == 0)
			started++;
	if (started == 0)
		s3_head_worker(l);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	if (l->n > 0)
		duet_log(DUET_LOG_DEBUG, "s3: list %s/%s: %zu entries, %zu of them needed a HEAD",
		    l->fs->base.name, l->dir, l->n, l->heads);
	return 0;
}

static void
s3_lst_dispose(struct s3_lst *l)
{
	for (size_t i = 0; i < l->n; i++) {
		duet_free(l->v[i].path);
		duet_free(l->v[i].key);
	}
	duet_free(l->v);
	duet_buf_dispose(&l->next);
	duet_buf_dispose(&l->last);
	pthread_mutex_destroy(&l->mu);
}

/* Hands a page's items to fn (after their HEADs). */
static int
s3_lst_deliver(struct s3_lst *l, duet_list_fn fn, void *ctx)
{
	struct duet_hashes hs;
	int rc = 0;

	s3_heads(l);
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		struct s3_item *it = &l->v[i];
		struct duet_entry e;
		memset(&e, 0, sizeof(e));
		e.path = it->path;
		e.pathlen = (uint32_t)strlen(it->path);
		if (it->dir) {
			e.type = DUET_T_DIR;
			e.size = -1;
			e.mtime = it->lmod;
		} else if (it->lazy) {
			e.type = DUET_T_FILE;
			e.size = it->size;
			e.mtime = it->lmod;
			e.flags = DUET_EF_LAZY;
		} else if (it->rc == DUET_E_NOTFOUND) {
			continue; /* deleted since it was listed */
		} else if (it->rc != 0) {
			rc = it->rc;
			break;
		} else {
			e.type = DUET_T_FILE;
			e.size = it->h.size >= 0 ? it->h.size : it->size;
			e.mtime = it->h.mtime != 0 ? it->h.mtime : it->lmod;
			if (it->h.has_md5) {
				memset(&hs, 0, sizeof(hs));
				hs.mask = DUET_HASH_BIT(DUET_HASH_MD5);
				memcpy(hs.v[DUET_HASH_MD5], it->h.md5, 16);
				e.hashes = &hs;
			}
		}
		rc = fn(ctx, &e);
	}
	for (size_t i = 0; i < l->n; i++) {
		duet_free(l->v[i].path);
		duet_free(l->v[i].key);
	}
	l->n = 0;
	return rc;
}

/* The buckets, as directories of the remote's root. */
static int
s3_list_buckets(struct s3_fs *fs, duet_list_fn fn, void *ctx)
{
	struct duet_http_resp resp;
	struct s3_call c = {0};
	const char *p, *e;
	int rc;

	c.method = "GET";
	c.what = "list buckets";
	duet_http_resp_init(&resp);
	rc = s3_do(fs, &c, &resp);
	/* <Bucket><Name>x</Name>...: the names, nothing else is needed. */
	for (p = resp.body.p; rc == 0 && p != NULL && (p = strstr(p, "<Name>")) != NULL; p = e) {
		struct duet_entry en;
		p += 6;
		if ((e = strstr(p, "</Name>")) == NULL)
			break;
		if (duet_name_check(p, (size_t)(e - p)) != 0)
			continue;
		memset(&en, 0, sizeof(en));
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(e - p), p);
		en.path = name;
		en.pathlen = (uint32_t)strlen(name);
		en.type = DUET_T_DIR;
		en.size = -1;
		rc = fn(ctx, &en);
	}
	duet_http_resp_dispose(&resp);
	return rc;
}

/* One directory (its children), or with flat everything below it. */
static int
s3_list_any(struct duet_fs *dfs, const char *dir, duet_list_fn fn, void *ctx, int flat)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	struct s3_lst l;
	char *prefix;
	int rc = 0, more = 1, pages = 0, any = 0;

	if (fs->bucket == NULL) {
		if (flat)
			return duet_err_set(DUET_E_UNSUPPORTED, "s3: no recursive listing of buckets");
		if (dir[0] != '\0')
			return s3_need_bucket(fs, "list");
		return s3_list_buckets(fs, fn, ctx);
	}
	memset(&l, 0, sizeof(l));
	pthread_mutex_init(&l.mu, NULL);
	l.fs = fs;
	l.dir = dir;
	l.flat = flat;
	prefix = s3_dir_prefix(fs, dir);
	if (prefix == NULL) {
		s3_lst_dispose(&l);
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory listing");
	}
	l.skip = strlen(prefix);
	while (rc == 0 && more) {
		rc = s3_list_page(&l, prefix, fs->list_chunk, &more);
		pages++;
		any |= l.n > 0;
		if (rc == 0)
			rc = s3_lst_deliver(&l, fn, ctx);
	}
	if (rc == DUET_E_NOTFOUND)
		rc = duet_err_set(DUET_E_NOTFOUND, "s3: list %s: bucket %s not found", dir[0] ? dir : "/",
		    fs->bucket);
	else if (rc == 0 && !any && dir[0] != '\0') {
		/* no key under it: maybe a file, else nothing */
		struct duet_entry e;
		rc = s3_stat(dfs, dir, &e);
		if (rc == 0)
			rc = e.type == DUET_T_DIR ? 0 : duet_err_set(DUET_E_NOTDIR, "s3: list %s: not a "
			    "directory", dir);
	} else if (rc == 0 && l.bad) {
		rc = duet_err_set(DUET_E_BADNAME, "s3: list %s: some names were skipped", dir);
	}
	duet_free(prefix);
	s3_lst_dispose(&l);
	return rc;
}

int
s3_list(struct duet_fs *dfs, const char *dir, duet_list_fn fn, void *ctx)
{
	return s3_list_any(dfs, dir, fn, ctx, 0);
}

int
s3_list_r(struct duet_fs *dfs, const char *dir, duet_list_fn fn, void *ctx)
{
	return s3_list_any(dfs, dir, fn, ctx, 1);
}

/* 1 when something is stored under key + "/" (a virtual directory). */
static int
s3_has_children(struct s3_fs *fs, const char *key, int *yes)
{
	struct s3_lst l;
	char *prefix = duet_malloc(strlen(key) + 2);
	int more, rc;

	if (prefix == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	sprintf(prefix, "%s%s", key, key[0] != '\0' ? "/" : "");
	memset(&l, 0, sizeof(l));
	pthread_mutex_init(&l.mu, NULL);
	l.fs = fs;
	l.dir = "";
	l.skip = strlen(prefix);
	rc = s3_list_page(&l, prefix, 2, &more);
	*yes = l.n > 0;
	duet_free(prefix);
	s3_lst_dispose(&l);
	return rc;
}

int
s3_stat(struct duet_fs *dfs, const char *path, struct duet_entry *e)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	struct s3_head h;
	char *key;
	int rc, yes = 0;

	e->type = DUET_T_DIR;
	e->size = -1;
	e->mtime = 0;
	if (fs->bucket == NULL)
		return path[0] != '\0' ? s3_need_bucket(fs, "stat") : 0;
	if (path[0] == '\0' && fs->prefix[0] == '\0') /* the bucket: NOTFOUND when missing */
		return s3_has_children(fs, "", &yes);
	if ((key = s3_key(fs, path)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	rc = path[0] != '\0' ? s3_head(fs, key, &h) : DUET_E_NOTFOUND;
	if (rc == 0) {
		e->type = DUET_T_FILE;
		e->size = h.size;
		e->mtime = h.mtime;
	} else if (rc == DUET_E_NOTFOUND) {
		rc = s3_has_children(fs, key, &yes);
		if (rc == 0 && !yes && path[0] != '\0')
			rc = duet_err_set(DUET_E_NOTFOUND, "s3: stat %s: not found", path);
	}
	duet_free(key);
	return rc;
}

/* ---- directories ---- */

static int
s3_simple(struct s3_fs *fs, const char *method, const char *key, const char *what_op)
{
	struct duet_http_resp resp;
	struct s3_call c = {0};
	char what[4200];
	int rc;

	snprintf(what, sizeof(what), "%s %s", what_op, key);
	c.method = method;
	c.bucket = fs->bucket;
	c.key = key;
	c.what = what;
	if (strcmp(method, "PUT") == 0) {
		c.body = "";
		c.body_len = 0;
	}
	duet_http_resp_init(&resp);
	rc = s3_do(fs, &c, &resp);
	duet_http_resp_dispose(&resp);
	return rc;
}

int
s3_mkdir(struct duet_fs *dfs, const char *dir)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	char *key;
	int rc;

	if ((rc = s3_bucket_ensure(fs)) != 0 || !fs->markers || dir[0] == '\0')
		return rc;
	if ((key = s3_dir_prefix(fs, dir)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	rc = s3_simple(fs, "PUT", key, "mkdir");
	duet_free(key);
	return rc;
}

int
s3_rmdir(struct duet_fs *dfs, const char *dir)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	struct s3_lst l;
	char *prefix;
	int more, rc, other = 0;

	if (fs->bucket == NULL)
		return s3_need_bucket(fs, "rmdir");
	if ((prefix = s3_dir_prefix(fs, dir)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	memset(&l, 0, sizeof(l));
	pthread_mutex_init(&l.mu, NULL);
	l.fs = fs;
	l.dir = "";
	l.skip = strlen(prefix);
	rc = s3_list_page(&l, prefix, 2, &more);
	other = l.n > 0 || more;
	s3_lst_dispose(&l);
	if (rc == 0 && other)
		rc = duet_err_set(DUET_E_NOTEMPTY, "s3: rmdir %s: directory not empty", dir);
	if (rc == 0 && dir[0] != '\0') {
		struct s3_head h;
		prefix[strlen(prefix) - 1] = '\0';
		rc = s3_head(fs, prefix, &h);
		rc = rc == 0 ? duet_err_set(DUET_E_NOTDIR, "s3: rmdir %s: not a directory", dir)
		     : rc == DUET_E_NOTFOUND ? 0 : rc;
		prefix[strlen(prefix)] = '/';
	}
	if (rc == 0 && prefix[0] != '\0') {
		rc = s3_simple(fs, "DELETE", prefix, "rmdir"); /* its marker, if any */
		if (rc == DUET_E_NOTFOUND)
			rc = 0;
	}
	duet_free(prefix);
	return rc;
}

/* ---- files ---- */

int
s3_remove(struct duet_fs *dfs, const char *path)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	struct s3_head h;
	char *key;
	int rc, dir = 0;

	if (fs->bucket == NULL)
		return s3_need_bucket(fs, "delete");
	if ((key = s3_key(fs, path)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	/* S3 deletes a missing key without a word: look first, so a file
	 * that is not there (or a directory) is an error as on a disk. */
	rc = s3_head(fs, key, &h);
	if (rc == DUET_E_NOTFOUND && s3_has_children(fs, key, &dir) == 0)
		rc = dir ? duet_err_set(DUET_E_ISDIR, "s3: delete %s: is a directory", path)
		         : duet_err_set(DUET_E_NOTFOUND, "s3: delete %s: not found", path);
	if (rc == 0)
		rc = s3_simple(fs, "DELETE", key, "delete");
	duet_free(key);
	return rc;
}

struct s3_delres {
	const char *const *paths;
	char **keys;
	size_t n;
	int *codes;
};

static int
s3_del_result(void *ctx, const char *key, size_t keylen, const char *code, const char *message)
{
	struct s3_delres *d = ctx;
	if (code == NULL)
		return 0;
	for (size_t i = 0; i < d->n; i++)
		if (strlen(d->keys[i]) == keylen && memcmp(d->keys[i], key, keylen) == 0) {
			d->codes[i] = duet_s3_error_code(200, code);
			duet_log(DUET_LOG_DEBUG, "s3: delete %s: %s (%s)", d->paths[i], message, code);
		}
	return 0;
}

static int
s3_xml_escape(struct duet_buf *b, const char *s)
{
	int rc = 0;
	for (; rc == 0 && *s; s++) {
		switch (*s) {
		case '&': rc = duet_buf_puts(b, "&amp;"); break;
		case '<': rc = duet_buf_puts(b, "&lt;"); break;
		case '>': rc = duet_buf_puts(b, "&gt;"); break;
		case '"': rc = duet_buf_puts(b, "&quot;"); break;
		case '\'': rc = duet_buf_puts(b, "&apos;"); break;
		default:
			if ((unsigned char)*s < 0x20)
				rc = duet_buf_printf(b, "&#x%x;", (unsigned char)*s);
			else
				rc = duet_buf_putc(b, *s);
		}
	}
	return rc;
}

/* One DeleteObjects request for at most 1000 paths. */
static int
s3_del_chunk(struct s3_fs *fs, const char *const *paths, size_t n, int *codes)
{
	struct duet_buf body = DUET_BUF_INIT, md5b = DUET_BUF_INIT;
	struct s3_delres d = {paths, NULL, n, codes};
	struct duet_s3_delete_cb cb = {s3_del_result, &d};
	struct duet_s3_kv q[1] = {{"delete", ""}}, h[1];
	struct duet_http_resp resp;
	struct duet_hashes hs;
	struct duet_s3_xml *x = NULL;
	struct s3_call c = {0};
	int rc = 0;

	d.keys = duet_calloc(n, sizeof(*d.keys));
	if (d.keys == NULL || duet_buf_puts(&body, "<Delete><Quiet>true</Quiet>") != 0)
		rc = duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		codes[i] = 0;
		if ((d.keys[i] = s3_key(fs, paths[i])) == NULL || duet_buf_puts(&body, "<Object><Key>") ||
		    s3_xml_escape(&body, d.keys[i]) || duet_buf_puts(&body, "</Key></Object>"))
			rc = duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	}
	if (rc == 0 && duet_buf_puts(&body, "</Delete>") != 0)
		rc = duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	if (rc == 0)
		rc = s3_md5(body.p, body.len, hs.v[DUET_HASH_MD5]);
	if (rc == 0)
		rc = duet_az_base64_encode(hs.v[DUET_HASH_MD5], 16, &md5b);
	if (rc == 0)
		rc = duet_s3_xml_delete_new(&cb, &x);
	if (rc == 0) {
		h[0] = (struct duet_s3_kv){"content-md5", md5b.p};
		c.method = "POST";
		c.bucket = fs->bucket;
		c.query = q;
		c.nquery = 1;
		c.headers = h;
		c.nheaders = 1;
		c.body = body.p;
		c.body_len = body.len;
		c.what = "delete objects";
		rc = s3_do_xml(fs, &c, x, &resp);
		duet_http_resp_dispose(&resp);
	}
	if (rc != 0)
		for (size_t i = 0; i < n; i++)
			codes[i] = rc;
	for (size_t i = 0; d.keys != NULL && i < n; i++)
		duet_free(d.keys[i]);
	duet_free(d.keys);
	duet_s3_xml_free(x);
	duet_buf_dispose(&body);
	duet_buf_dispose(&md5b);
	return rc;
}

int
s3_remove_batch(struct duet_fs *dfs, const char *const *paths, size_t n, int *codes)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	int rc = 0;

	if (fs->bucket == NULL)
		return s3_need_bucket(fs, "delete");
	for (size_t i = 0; i < n; i += 1000) {
		size_t k = n - i < 1000 ? n - i : 1000;
		int r = s3_del_chunk(fs, paths + i, k, codes + i);
		if (r != 0 && rc == 0)
			rc = r;
	}
	return rc;
}

/* ---- copy, move, mtime ---- */

int
s3_copy_object(struct s3_fs *fs, const char *src_bucket, const char *src_key, const char *key,
    const struct duet_s3_kv *meta, size_t nmeta, int64_t size)
{
	struct duet_buf src = DUET_BUF_INIT;
	struct duet_s3_kv h[DUET_S3_HEADERS_MAX];
	struct duet_http_resp resp;
	struct duet_s3_xml *x = NULL;
	struct s3_call c = {0};
	char what[4200];
	size_t nh = 0;
	int rc;

	if (size > fs->copy_cutoff)
		return duet_err_set(DUET_E_UNSUPPORTED, "s3: copy %s: objects over copy_cutoff are "
		    "copied through this machine", key);
	rc = duet_buf_printf(&src, "/%s/", src_bucket);
	if (rc == 0)
		rc = duet_s3_uri_encode(&src, src_key, strlen(src_key), 1);
	if (rc != 0)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	h[nh++] = (struct duet_s3_kv){"x-amz-copy-source", src.p};
	h[nh++] = (struct duet_s3_kv){"x-amz-metadata-directive", meta != NULL ? "REPLACE" : "COPY"};
	if (fs->acl != NULL)
		h[nh++] = (struct duet_s3_kv){"x-amz-acl", fs->acl};
	if (fs->storage_class != NULL)
		h[nh++] = (struct duet_s3_kv){"x-amz-storage-class", fs->storage_class};
	for (size_t i = 0; i < nmeta && nh < DUET_S3_HEADERS_MAX; i++)
		h[nh++] = meta[i];
	snprintf(what, sizeof(what), "copy %s to %s", src_key, key);
	if ((rc = duet_s3_xml_new(DUET_S3_XML_COPY, &x)) != 0)
		goto out;
	c.method = "PUT";
	c.bucket = fs->bucket;
	c.key = key;
	c.headers = h;
	c.nheaders = nh;
	c.body = "";
	c.sink = s3_sink_xml;
	c.sink_ctx = x;
	c.what = what;
	duet_http_resp_init(&resp);
	rc = s3_do(fs, &c, &resp);
	if (rc == 0)
		rc = duet_s3_xml_end(x); /* an <Error> inside a 200 */
	duet_http_resp_dispose(&resp);
out:
	duet_s3_xml_free(x);
	duet_buf_dispose(&src);
	return rc;
}

/* An object over copy_cutoff (a single CopyObject's limit): its bytes go
 * through this machine, GET into a (multipart) upload, with its mtime. */
static int
s3_copy_stream(struct s3_fs *fs, struct s3_fs *sfs, const char *src, const char *dst,
    const struct s3_head *h)
{
	struct duet_rstream *r = NULL;
	struct duet_wstream *w = NULL;
	const size_t bufsz = 1 << 20;
	char *buf = duet_malloc(bufsz);
	ssize_t k = 0;
	int rc = buf != NULL ? 0 : duet_err_set(DUET_E_NOMEM, "s3: out of memory");

	if (rc == 0)
		rc = s3_open_read(&sfs->base, src, 0, &r);
	if (rc == 0)
		rc = s3_open_write(&fs->base, dst, h->size, &w);
	if (rc == 0) { /* the mtime and MD5 go up with the upload's start */
		struct duet_hashes hs;
		memset(&hs, 0, sizeof(hs));
		if (h->has_md5) {
			hs.mask = DUET_HASH_BIT(DUET_HASH_MD5);
			memcpy(hs.v[DUET_HASH_MD5], h->md5, 16);
		}
		rc = w->ops->hint(w, h->mtime, h->has_md5 ? &hs : NULL);
	}
	while (rc == 0 && (k = r->ops->read(r, buf, bufsz)) > 0)
		rc = w->ops->write(w, buf, (size_t)k);
	if (rc == 0 && k < 0)
		rc = (int)k;
	if (rc == 0) {
		rc = w->ops->commit(w, h->mtime);
		w = NULL;
	}
	if (w != NULL)
		w->ops->abort(w);
	if (r != NULL)
		r->ops->close(r);
	duet_free(buf);
	return rc;
}

/* Copies a path of src_fs (same credentials) onto dst of fs. */
static int
s3_copy_between(struct s3_fs *fs, struct s3_fs *sfs, const char *src, const char *dst)
{
	struct s3_head h;
	char *sk = s3_key(sfs, src), *dk = s3_key(fs, dst);
	int rc = sk == NULL || dk == NULL ? duet_err_set(DUET_E_NOMEM, "s3: out of memory") : 0;

	if (rc == 0 && fs->bucket == NULL)
		rc = s3_need_bucket(fs, "copy");
	if (rc == 0)
		rc = s3_head(sfs, sk, &h);
	if (rc == 0)
		rc = s3_bucket_ensure(fs);
	if (rc == 0 && h.size > fs->copy_cutoff)
		rc = s3_copy_stream(fs, sfs, src, dst, &h);
	else if (rc == 0)
		rc = s3_copy_object(fs, sfs->bucket, sk, dk, NULL, 0, h.size);
	duet_free(sk);
	duet_free(dk);
	return rc;
}

int
s3_copy(struct duet_fs *dfs, const char *src, const char *dst)
{
	return s3_copy_between((struct s3_fs *)dfs, (struct s3_fs *)dfs, src, dst);
}

int
s3_move(struct duet_fs *dfs, const char *src, const char *dst)
{
	int rc = s3_copy(dfs, src, dst);
	return rc == 0 ? s3_remove(dfs, src) : rc;
}

/* 1 when requests signed for a can name b's objects as copy sources. */
static int
s3_same_store(const struct s3_fs *a, const struct s3_fs *b)
{
	return strcmp(a->scheme_host, b->scheme_host) == 0 && (a->akid == NULL) == (b->akid == NULL) &&
	    (a->akid == NULL || (strcmp(a->akid, b->akid) == 0 && strcmp(a->secret, b->secret) == 0));
}

int
s3_copy_from(struct duet_fs *dfs, struct duet_fs *src_fs, const char *src, const char *dst)
{
	struct s3_fs *fs = (struct s3_fs *)dfs, *sfs = (struct s3_fs *)src_fs;

	if (src_fs->ops != dfs->ops || !s3_same_store(fs, sfs))
		return DUET_E_XDEV;
	return s3_copy_between(fs, sfs, src, dst);
}

int
s3_move_from(struct duet_fs *dfs, struct duet_fs *src_fs, const char *src, const char *dst)
{
	int rc = s3_copy_from(dfs, src_fs, src, dst);
	return rc == 0 ? s3_remove(src_fs, src) : rc;
}

int
s3_set_mtime(struct duet_fs *dfs, const char *path, int64_t mtime)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	struct duet_s3_kv meta[3];
	struct s3_head h;
	char t[40], *key;
	size_t nm = 0;
	int rc;

	if ((key = s3_key(fs, path)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	if ((rc = s3_head(fs, key, &h)) == 0) {
		s3_mtime_format(mtime, t, sizeof(t));
		meta[nm++] = (struct duet_s3_kv){"x-amz-meta-mtime", t};
		if (h.md5chksum[0] != '\0')
			meta[nm++] = (struct duet_s3_kv){"x-amz-meta-md5chksum", h.md5chksum};
		if (h.content_type[0] != '\0')
			meta[nm++] = (struct duet_s3_kv){"content-type", h.content_type};
		rc = s3_copy_object(fs, fs->bucket, key, key, meta, nm, h.size);
	}
	duet_free(key);
	return rc;
}

int
s3_hash(struct duet_fs *dfs, const char *path, enum duet_hash_kind k, struct duet_hashes *out)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	struct s3_head h;
	char *key;
	int rc;

	if (k != DUET_HASH_MD5)
		return duet_err_set(DUET_E_UNSUPPORTED, "s3: %s hashes are not kept", duet_hash_name(k));
	if ((key = s3_key(fs, path)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	rc = s3_head(fs, key, &h);
	duet_free(key);
	if (rc == 0 && !h.has_md5)
		rc = duet_err_set(DUET_E_UNSUPPORTED, "s3: %s: no MD5 known (a multipart upload "
		    "without X-Amz-Meta-Md5chksum)", path);
	if (rc == 0) {
		out->mask |= DUET_HASH_BIT(DUET_HASH_MD5);
		memcpy(out->v[DUET_HASH_MD5], h.md5, 16);
	}
	return rc;
}

/* ---- cleanup: multipart uploads a killed run left ---- */

struct s3_stale {
	struct duet_buf keys; /* per upload: key NUL upload id NUL */
	int64_t cutoff;       /* initiated before this (ns) is stale */
	size_t n, young;
};

static int
s3_stale_upload(void *ctx, const char *key, size_t keylen, const char *upload_id,
    int64_t initiated)
{
	struct s3_stale *st = ctx;

	if (initiated == 0 || initiated > st->cutoff) {
		st->young++;
		return 0;
	}
	if (duet_buf_append(&st->keys, key, keylen) != 0 || duet_buf_putc(&st->keys, '\0') != 0 ||
	    duet_buf_append(&st->keys, upload_id, strlen(upload_id) + 1) != 0)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory listing uploads");
	st->n++;
	return 0;
}

/* Every ListMultipartUploads page under prefix into st. */
static int
s3_stale_list(struct s3_fs *fs, const char *prefix, struct s3_stale *st)
{
	struct duet_s3_uploads_cb cb = {s3_stale_upload, st};
	struct duet_buf km = DUET_BUF_INIT, um = DUET_BUF_INIT;
	struct duet_http_resp resp;
	struct duet_s3_xml *x = NULL;
	int rc = 0, more = 1;

	while (rc == 0 && more) {
		struct duet_s3_kv q[4];
		struct s3_call c = {0};
		size_t nq = 0;
		q[nq++] = (struct duet_s3_kv){"uploads", ""};
		q[nq++] = (struct duet_s3_kv){"prefix", prefix};
		if (km.len > 0) {
			q[nq++] = (struct duet_s3_kv){"key-marker", km.p};
			q[nq++] = (struct duet_s3_kv){"upload-id-marker", um.len > 0 ? um.p : ""};
		}
		if ((rc = duet_s3_xml_uploads_new(&cb, &x)) != 0)
			break;
		c.method = "GET";
		c.bucket = fs->bucket;
		c.query = q;
		c.nquery = nq;
		c.what = "list multipart uploads";
		rc = s3_do_xml(fs, &c, x, &resp);
		if (rc == 0) {
			const struct duet_s3_result *r = duet_s3_xml_result(x);
			more = r->truncated && r->next_key_marker[0] != '\0';
			/* A marker that does not move would loop for ever. */
			if (more && km.len > 0 && strcmp(km.p, r->next_key_marker) == 0 &&
			    strcmp(um.len > 0 ? um.p : "", r->next_upload_id_marker) == 0)
				rc = duet_err_set(DUET_E_CORRUPT, "s3: list multipart uploads: the "
				    "server repeats its marker");
			duet_buf_reset(&km);
			duet_buf_reset(&um);
			if (rc == 0 && more && (duet_buf_puts(&km, r->next_key_marker) != 0 ||
			    duet_buf_puts(&um, r->next_upload_id_marker) != 0))
				rc = duet_err_set(DUET_E_NOMEM, "s3: out of memory listing uploads");
		}
		duet_http_resp_dispose(&resp);
		duet_s3_xml_free(x);
		x = NULL;
	}
	duet_buf_dispose(&km);
	duet_buf_dispose(&um);
	return rc;
}

int
s3_cleanup(struct duet_fs *dfs, const char *dir, int64_t max_age, int dry_run, long *done)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	struct s3_stale st;
	struct timespec now;
	char *prefix;
	long failed = 0;
	int rc;

	*done = 0;
	if (fs->bucket == NULL)
		return s3_need_bucket(fs, "cleanup");
	if ((prefix = s3_dir_prefix(fs, dir)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	memset(&st, 0, sizeof(st));
	clock_gettime(CLOCK_REALTIME, &now);
	st.cutoff = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - max_age;
	rc = s3_stale_list(fs, prefix, &st);
	if (rc == 0 && st.young > 0)
		duet_log(DUET_LOG_INFO, "s3: %s: %zu multipart upload(s) younger than the cut-off "
		    "left alone (they may be running)", fs->base.name, st.young);
	for (size_t o = 0, i = 0; rc == 0 && i < st.n; i++) {
		const char *key = st.keys.p + o, *id = key + strlen(key) + 1;
		struct duet_s3_kv q[1] = {{"uploadId", id}};
		struct duet_http_resp resp;
		struct s3_call c = {0};
		o = (size_t)(id - st.keys.p) + strlen(id) + 1;
		if (dry_run) {
			duet_log(DUET_LOG_NOTICE, "%s: Skipped abort of an unfinished multipart upload "
			    "as --dry-run is set", key);
			(*done)++;
			continue;
		}
		c.method = "DELETE";
		c.bucket = fs->bucket;
		c.key = key;
		c.query = q;
		c.nquery = 1;
		c.what = "abort multipart upload";
		duet_http_resp_init(&resp);
		/* Gone already (aborted or completed meanwhile) is as good. */
		if (s3_do(fs, &c, &resp) == 0 || resp.status == 404) {
			duet_log(DUET_LOG_INFO, "%s: Aborted an unfinished multipart upload", key);
			(*done)++;
		} else {
			duet_log(DUET_LOG_ERROR, "%s: %s", key, duet_err_msg());
			failed++;
		}
		duet_http_resp_dispose(&resp);
	}
	if (rc == 0 && failed > 0)
		rc = duet_err_set(DUET_E_IO, "s3: cleanup %s: %ld multipart upload(s) could not be "
		    "aborted", fs->base.name, failed);
	duet_buf_dispose(&st.keys);
	duet_free(prefix);
	return rc;
}
