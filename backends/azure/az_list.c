/*
 * az_list.c: the Azure Blob backend's listings and stat. A directory is a
 * List Blobs by prefix with delimiter "/" and include=metadata, so each
 * blob's mtime (rclone's "mtime" metadata) and Content-MD5 come with the
 * listing and no blob needs a HEAD. Pages (marker paging) are parsed as
 * they stream in, kept until the page is whole (so a retried request
 * starts the page again), then handed to the caller: memory stays one
 * page, whatever the directory's size. Directory markers (a zero-size
 * "dir/" blob, or hdi_isfolder=true metadata as ADLS and rclone write)
 * are directories, never files.
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include "az_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "az_enc.h"
#include "az_time.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"

/* ---- properties (HEAD) ---- */

void
az_props_read(const struct duet_http_resp *resp, struct az_props *p)
{
	const char *v;
	size_t n;

	memset(p, 0, sizeof(*p));
	v = duet_http_resp_header(resp, "content-length");
	p->size = v != NULL ? strtoll(v, NULL, 10) : -1;
	v = duet_http_resp_header(resp, "x-ms-meta-mtime");
	if (v == NULL || duet_az_time_parse_rfc3339(v, &p->mtime) != 0) {
		v = duet_http_resp_header(resp, "last-modified");
		if (v == NULL || duet_az_time_parse_http(v, &p->mtime) != 0)
			p->mtime = 0;
	}
	/* A ranged GET answers the blob's MD5 in x-ms-blob-content-md5. */
	if ((v = duet_http_resp_header(resp, "content-md5")) == NULL)
		v = duet_http_resp_header(resp, "x-ms-blob-content-md5");
	if (v != NULL && duet_az_base64_decode(v, strlen(v), p->md5, 16, &n) == 0 && n == 16)
		p->has_md5 = 1;
	v = duet_http_resp_header(resp, "x-ms-meta-hdi_isfolder");
	p->folder = v != NULL && strcasecmp(v, "true") == 0;
	v = duet_http_resp_header(resp, "x-ms-copy-status");
	if (v != NULL)
		snprintf(p->copy_status, sizeof(p->copy_status), "%s", v);
}

int
az_head(struct az_fs *fs, const char *container, const char *blob, const char *what,
    struct az_props *props, struct duet_http_resp *keep)
{
	struct duet_http_resp own, *resp = keep != NULL ? keep : &own;
	struct az_call c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.method = "HEAD";
	c.container = container != NULL ? container : fs->container;
	c.blob = blob;
	c.what = what;
	if (keep == NULL)
		duet_http_resp_init(&own);
	rc = az_do(fs, &c, resp);
	if (rc == DUET_E_NOTFOUND)
		rc = duet_err_set(rc, "azureblob: %s: not found", what);
	if (rc == 0 && props != NULL)
		az_props_read(resp, props);
	if (keep == NULL)
		duet_http_resp_dispose(&own);
	return rc;
}

/* ---- one page of List Blobs ---- */

struct az_item {
	size_t off;            /* of the path in az_page.names */
	int dir;
	int marker;            /* a directory from a folder-marker blob */
	int64_t size, mtime;
	int has_md5;
	unsigned char md5[16];
};

struct az_page {
	struct az_fs *fs;
	const char *dir;       /* the listed directory, root-relative */
	const char *prefix;    /* the listed blob prefix */
	size_t skip;           /* strlen(prefix) */
	struct duet_az_xml *x; /* parser of the page being received */
	struct duet_buf names; /* item paths, each NUL-terminated */
	struct az_item *v;
	size_t n, cap;
	int bad;               /* a name was refused on this page */
	int marker;            /* a blob named exactly prefix was seen */
	int count_only;        /* only count the items (names not checked) */
	struct duet_buf dec;   /* scratch: a decoded name */
	struct duet_buf next;  /* NextMarker of the last page */
	int flat;              /* recursive listing: names hold '/' */
	struct duet_buf last;  /* flat: the stored parent of the previous blob
	                          ("a/b/" or ""): its directories went out */
	struct duet_buf last0; /* last as the page began (a retry restarts) */
};

static int
az_page_add(struct az_page *pg, const char *name, size_t nl, const struct az_item *it)
{
	size_t dl = strlen(pg->dir);
	int rc;

	if (pg->count_only) {
		pg->n++;
		return 0;
	}
	duet_buf_reset(&pg->dec);
	/* flat: segment by segment, each checked there. */
	rc = pg->flat ? duet_name_enc_decode_path(&pg->dec, name, nl, DUET_ENC_AZURE)
	              : duet_az_enc_decode(&pg->dec, name, nl);
	if (rc == DUET_E_NOMEM)
		return duet_err_set(rc, "azureblob: out of memory listing");
	if (rc == 0 && pg->dec.len == 0 && duet_buf_puts(&pg->dec, "") != 0)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory listing");
	name = pg->dec.p;
	nl = pg->dec.len;
	if (rc != 0 || (!pg->flat && duet_name_check(name, nl) != 0)) {
		if (rc == DUET_E_BADNAME && pg->flat)
			duet_err_set(rc, "a segment that cannot be a file name");
		if (rc != 0)
			duet_err_set(rc, "a NUL byte in a name");
		duet_log(DUET_LOG_ERROR, "azureblob: %s: skipping a blob whose name cannot be a file: %s",
		    pg->fs->base.name, duet_err_msg());
		pg->bad = 1;
		return 0;
	}
	if (pg->n == pg->cap) {
		size_t cap = pg->cap ? pg->cap * 2 : 256;
		struct az_item *v = duet_reallocarray(pg->v, cap, sizeof(*v));
		if (v == NULL)
			return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory listing");
		pg->v = v;
		pg->cap = cap;
	}
	pg->v[pg->n] = *it;
	pg->v[pg->n].off = pg->names.len;
	rc = dl > 0 ? duet_buf_append(&pg->names, pg->dir, dl) : 0;
	if (rc == 0 && dl > 0)
		rc = duet_buf_putc(&pg->names, '/');
	if (rc == 0)
		rc = duet_buf_append(&pg->names, name, nl);
	if (rc == 0)
		rc = duet_buf_putc(&pg->names, '\0');
	if (rc != 0)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory listing");
	pg->n++;
	return 0;
}

static int
az_is_folder(const struct duet_az_blob *b)
{
	for (size_t i = 0; i < b->nmeta; i++)
		if (strcasecmp(b->meta[i].name, "hdi_isfolder") == 0)
			return strcasecmp(b->meta[i].value, "true") == 0;
	return 0;
}

static int
az_flat_parent(void *ctx, const char *rel, size_t n)
{
	struct az_item it;

	memset(&it, 0, sizeof(it));
	it.dir = 1;
	it.size = -1;
	return az_page_add(ctx, rel, n, &it);
}

/* flat: the directories on rel's way that went out with no earlier blob
 * (the walk drops repeats an odd order could still make). */
static int
az_flat_parents(struct az_page *pg, const char *rel, size_t plen)
{
	int rc = duet_name_new_parents(&pg->last, rel, plen, az_flat_parent, pg);
	return rc == DUET_E_NOMEM ? duet_err_set(rc, "azureblob: out of memory listing") : rc;
}

/* flat: one blob, after the directories on its way. */
static int
az_flat_blob(struct az_page *pg, const struct duet_az_blob *b, const char *name, size_t nl)
{
	int folder = name[nl - 1] == '/' || az_is_folder(b);
	size_t en = name[nl - 1] == '/' ? nl - 1 : nl, plen = 0;
	struct az_item it;
	int rc;

	for (size_t i = en; i > 0 && plen == 0; i--)
		if (name[i - 1] == '/')
			plen = i;
	if (en == 0)
		return 0;
	if ((rc = az_flat_parents(pg, name, plen)) != 0)
		return rc;
	memset(&it, 0, sizeof(it));
	it.mtime = b->mtime != 0 ? b->mtime : b->last_modified;
	if (folder) {
		/* A folder marker is its directory: its children follow. */
		it.dir = 1;
		it.size = -1;
		if ((rc = az_page_add(pg, name, en, &it)) == 0 &&
		    (duet_buf_append(&pg->last, name + plen, en - plen) != 0 ||
		     duet_buf_putc(&pg->last, '/') != 0))
			rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory listing");
		return rc;
	}
	it.size = b->size;
	it.has_md5 = b->has_md5;
	memcpy(it.md5, b->md5, 16);
	return az_page_add(pg, name, nl, &it);
}

static int
az_page_blob(void *ctx, const struct duet_az_blob *b)
{
	struct az_page *pg = ctx;
	const char *name = b->name + pg->skip;
	size_t nl = b->namelen - pg->skip;
	struct az_item it;

	if (b->namelen < pg->skip || memcmp(b->name, pg->prefix, pg->skip) != 0)
		return 0; /* not under the prefix: a server's mistake */
	if (nl == 0) {
		pg->marker = 1; /* the directory's own marker */
		return 0;
	}
	if (pg->flat)
		return az_flat_blob(pg, b, name, nl);
	memset(&it, 0, sizeof(it));
	if (name[nl - 1] == '/' || az_is_folder(b)) {
		/* A marker of a subdirectory: its BlobPrefix may follow too,
		 * which the delivery drops as a repeat. */
		it.dir = 1;
		it.marker = 1;
		it.size = -1;
		it.mtime = b->mtime != 0 ? b->mtime : b->last_modified;
		return az_page_add(pg, name, name[nl - 1] == '/' ? nl - 1 : nl, &it);
	}
	it.size = b->size;
	it.mtime = b->mtime != 0 ? b->mtime : b->last_modified;
	it.has_md5 = b->has_md5;
	memcpy(it.md5, b->md5, 16);
	return az_page_add(pg, name, nl, &it);
}

static int
az_page_prefix(void *ctx, const char *name, size_t len)
{
	struct az_page *pg = ctx;
	struct az_item it;

	if (len <= pg->skip || memcmp(name, pg->prefix, pg->skip) != 0)
		return 0;
	memset(&it, 0, sizeof(it));
	it.dir = 1;
	it.size = -1;
	return az_page_add(pg, name + pg->skip, len - pg->skip - 1, &it);
}

/* Forgets a partly received page (before the http layer retries). */
static int
az_page_reset(void *ctx)
{
	struct az_page *pg = ctx;
	struct duet_az_list_cb cb = {az_page_blob, az_page_prefix, pg};

	duet_az_xml_free(pg->x);
	pg->x = NULL;
	pg->n = 0;
	pg->bad = 0;
	duet_buf_reset(&pg->names);
	duet_buf_reset(&pg->last);
	if (pg->last0.len > 0 && duet_buf_append(&pg->last, pg->last0.p, pg->last0.len) != 0)
		return DUET_E_NOMEM;
	return duet_az_xml_list_new(&cb, &pg->x);
}

static int
az_page_sink(void *ctx, const void *data, size_t n)
{
	struct az_page *pg = ctx;
	return duet_az_xml_feed(pg->x, data, n);
}

static void
az_page_dispose(struct az_page *pg)
{
	duet_az_xml_free(pg->x);
	duet_buf_dispose(&pg->names);
	duet_buf_dispose(&pg->next);
	duet_buf_dispose(&pg->dec);
	duet_buf_dispose(&pg->last);
	duet_buf_dispose(&pg->last0);
	duet_free(pg->v);
}

/* Fetches the next page (after pg->next) into pg. delim: by directory.
 * *more: another page follows. */
static int
az_page_get(struct az_page *pg, int delim, int maxresults, int *more)
{
	struct az_fs *fs = pg->fs;
	struct duet_buf q = DUET_BUF_INIT, what = DUET_BUF_INIT;
	struct duet_http_resp resp;
	struct az_call c;
	char mr[16];
	int rc;

	snprintf(mr, sizeof(mr), "%d", maxresults);
	rc = duet_buf_puts(&q, "restype=container&comp=list&include=metadata");
	if (rc == 0)
		rc = duet_az_query_add(&q, "maxresults", mr);
	if (rc == 0 && delim)
		rc = duet_az_query_add(&q, "delimiter", "/");
	/* Azurite drops empty values: send prefix and marker only when set. */
	if (rc == 0 && pg->prefix[0] != '\0')
		rc = duet_az_query_add(&q, "prefix", pg->prefix);
	if (rc == 0 && pg->next.len > 0)
		rc = duet_az_query_add(&q, "marker", pg->next.p);
	if (rc == 0)
		rc = duet_buf_printf(&what, "list %s/%s", fs->container, pg->prefix);
	duet_buf_reset(&pg->last0);
	if (rc == 0 && pg->last.len > 0)
		rc = duet_buf_append(&pg->last0, pg->last.p, pg->last.len);
	if (rc == 0)
		rc = az_page_reset(pg);
	if (rc != 0) {
		rc = rc == DUET_E_NOMEM ? duet_err_set(rc, "azureblob: out of memory listing") : rc;
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.method = "GET";
	c.container = fs->container;
	c.query = q.p;
	c.sink = az_page_sink;
	c.sink_reset = az_page_reset;
	c.sink_ctx = pg;
	c.what = what.p;
	duet_http_resp_init(&resp);
	rc = az_do(fs, &c, &resp);
	if (rc == 0)
		rc = duet_az_xml_end(pg->x);
	duet_buf_reset(&pg->next);
	if (rc == 0 && duet_buf_puts(&pg->next, duet_az_xml_next_marker(pg->x)) != 0)
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory listing");
	*more = rc == 0 && pg->next.len > 0;
	duet_http_resp_dispose(&resp);
out:
	duet_buf_dispose(&q);
	duet_buf_dispose(&what);
	return rc;
}

/*
 * A directory may come twice: as a BlobPrefix and as a folder-marker blob
 * of the same name (hdi_isfolder), in either order, on one page or two
 * (Azurite puts prefixes before blobs). Prefixes are handed on at once
 * and their names kept; markers wait in held until the listing ends and
 * go out only when no prefix had their name. Markers are rare; the kept
 * names are one directory's subdirectories.
 */
struct az_dirs {
	struct duet_buf prefixes; /* NUL-separated names of BlobPrefix dirs */
	struct duet_buf held;     /* per marker: int64 mtime, then the name + NUL */
};

static void
az_dirs_dispose(struct az_dirs *d)
{
	duet_buf_dispose(&d->prefixes);
	duet_buf_dispose(&d->held);
}

static int
az_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Hands the held markers whose name no prefix had to fn. */
static int
az_dirs_flush(struct az_dirs *d, duet_list_fn fn, void *ctx)
{
	const char **v = NULL;
	size_t n = 0, i = 0;
	int rc = 0;

	if (d->held.len == 0)
		return 0;
	for (size_t o = 0; o < d->prefixes.len; o += strlen(d->prefixes.p + o) + 1)
		n++;
	if (n > 0 && (v = duet_reallocarray(NULL, n, sizeof(*v))) == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory listing");
	for (size_t o = 0; o < d->prefixes.len; o += strlen(d->prefixes.p + o) + 1)
		v[i++] = d->prefixes.p + o;
	if (n > 1)
		qsort(v, n, sizeof(*v), az_cmp_str);
	for (size_t o = 0; o < d->held.len && rc == 0;) {
		struct duet_entry e;
		int64_t mtime;
		memcpy(&mtime, d->held.p + o, sizeof(mtime));
		o += sizeof(mtime);
		memset(&e, 0, sizeof(e));
		e.path = d->held.p + o;
		e.pathlen = (uint32_t)strlen(e.path);
		o += e.pathlen + 1;
		if (n > 0 && bsearch(&e.path, v, n, sizeof(*v), az_cmp_str) != NULL)
			continue;
		e.type = DUET_T_DIR;
		e.size = -1;
		e.mtime = mtime;
		rc = fn(ctx, &e);
	}
	duet_free(v);
	return rc;
}

/* 1 when a marker of that name is held already. */
static int
az_dirs_held(const struct az_dirs *d, const char *name)
{
	for (size_t o = 0; o < d->held.len;) {
		const char *h = d->held.p + o + sizeof(int64_t);
		if (strcmp(h, name) == 0)
			return 1;
		o += sizeof(int64_t) + strlen(h) + 1;
	}
	return 0;
}

/* Hands a page's items to fn; markers wait in d (see struct az_dirs). */
static int
az_page_deliver(struct az_page *pg, struct az_dirs *d, duet_list_fn fn, void *ctx)
{
	struct duet_hashes hs;
	int rc = 0;

	for (size_t i = 0; i < pg->n && rc == 0; i++) {
		const struct az_item *it = &pg->v[i];
		struct duet_entry e;
		memset(&e, 0, sizeof(e));
		e.path = pg->names.p + it->off;
		e.pathlen = (uint32_t)strlen(e.path);
		e.size = it->size;
		e.mtime = it->mtime;
		e.type = it->dir ? DUET_T_DIR : DUET_T_FILE;
		if (it->marker) {
			if (az_dirs_held(d, e.path))
				continue;
			if (duet_buf_append(&d->held, &e.mtime, sizeof(e.mtime)) != 0 ||
			    duet_buf_append(&d->held, e.path, e.pathlen + 1) != 0)
				return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory listing");
			continue;
		}
		if (it->dir && duet_buf_append(&d->prefixes, e.path, e.pathlen + 1) != 0)
			return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory listing");
		if (it->has_md5) {
			memset(&hs, 0, sizeof(hs));
			hs.mask = DUET_HASH_BIT(DUET_HASH_MD5);
			memcpy(hs.v[DUET_HASH_MD5], it->md5, 16);
			e.hashes = &hs;
		}
		rc = fn(ctx, &e);
	}
	return rc;
}

/* ---- the account's containers ---- */

/* The text of the next <tag>...</tag> at or after *p, advancing *p. */
static const char *
az_tag(const char **p, const char *tag, size_t *len)
{
	char open[32], close[32];
	const char *s, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if (*p == NULL || (s = strstr(*p, open)) == NULL)
		return NULL;
	s += strlen(open);
	if ((e = strstr(s, close)) == NULL)
		return NULL;
	*len = (size_t)(e - s);
	*p = e + strlen(close);
	return s;
}

/* One page of List Containers: names go to fn as directories. Container
 * names are lower-case letters, digits and '-', so they need no XML
 * decoding; anything else is refused by the name check. */
static int
az_containers_page(struct az_fs *fs, struct duet_buf *marker, duet_list_fn fn, void *ctx, int *bad)
{
	struct duet_buf q = DUET_BUF_INIT;
	struct duet_http_resp resp;
	struct az_call c;
	const char *p, *v;
	char name[256];
	size_t n;
	int rc = duet_buf_puts(&q, "comp=list");

	if (rc == 0 && marker->len > 0)
		rc = duet_az_query_add(&q, "marker", marker->p);
	if (rc != 0) {
		duet_buf_dispose(&q);
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	}
	memset(&c, 0, sizeof(c));
	c.method = "GET";
	c.query = q.p;
	c.what = "list containers";
	duet_http_resp_init(&resp);
	rc = az_do(fs, &c, &resp);
	if (rc == 0 && (resp.body.p == NULL || strstr(resp.body.p, "</EnumerationResults>") == NULL))
		rc = duet_err_set(DUET_E_CORRUPT, "azureblob: list containers: the answer is not a "
		    "whole EnumerationResults document");
	for (p = resp.body.p; rc == 0 && (v = az_tag(&p, "Name", &n)) != NULL;) {
		struct duet_entry e;
		if (n >= sizeof(name) || duet_name_check(v, n) != 0) {
			duet_log(DUET_LOG_ERROR, "azureblob: %s: skipping a container name", fs->base.name);
			*bad = 1;
			continue;
		}
		memcpy(name, v, n);
		name[n] = '\0';
		memset(&e, 0, sizeof(e));
		e.path = name;
		e.pathlen = (uint32_t)n;
		e.type = DUET_T_DIR;
		e.size = -1;
		rc = fn(ctx, &e);
	}
	duet_buf_reset(marker);
	p = resp.body.p;
	if (rc == 0 && (v = az_tag(&p, "NextMarker", &n)) != NULL && n > 0 &&
	    duet_buf_append(marker, v, n) != 0)
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	duet_http_resp_dispose(&resp);
	duet_buf_dispose(&q);
	return rc;
}

static int
az_list_containers(struct az_fs *fs, duet_list_fn fn, void *ctx)
{
	struct duet_buf marker = DUET_BUF_INIT;
	int rc, bad = 0;

	do
		rc = az_containers_page(fs, &marker, fn, ctx, &bad);
	while (rc == 0 && marker.len > 0);
	duet_buf_dispose(&marker);
	if (rc == 0 && bad)
		rc = duet_err_set(DUET_E_BADNAME, "azureblob: list %s: some names were skipped",
		    fs->base.name);
	return rc;
}

/* ---- list, stat ---- */

/* One directory (its children), or with flat everything below it. */
static int
az_list_any(struct duet_fs *dfs, const char *dir, duet_list_fn fn, void *ctx, int flat)
{
	struct az_fs *fs = (struct az_fs *)dfs;
	struct duet_buf prefix = DUET_BUF_INIT;
	struct az_dirs dirs;
	struct az_page pg;
	int rc, more = 1, any = 0, bad = 0;

	if (fs->container == NULL && flat)
		return duet_err_set(DUET_E_UNSUPPORTED, "azureblob: no recursive listing of containers");
	if (fs->container == NULL)
		return dir[0] != '\0' ? az_need_container(fs, "list") : az_list_containers(fs, fn, ctx);
	memset(&pg, 0, sizeof(pg));
	memset(&dirs, 0, sizeof(dirs));
	/* The blob prefix of dir: its segments encoded as stored. */
	rc = duet_buf_puts(&prefix, fs->prefix);
	if (rc == 0 && dir[0] != '\0' &&
	    ((rc = duet_az_enc_path(&prefix, dir)) != 0 || (rc = duet_buf_putc(&prefix, '/')) != 0))
		rc = DUET_E_NOMEM;
	if (rc != 0)
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory listing");
	pg.fs = fs;
	pg.dir = dir;
	pg.prefix = prefix.p;
	pg.skip = prefix.len;
	pg.flat = flat;
	while (rc == 0 && more) {
		rc = az_page_get(&pg, !flat, fs->list_chunk, &more);
		any |= pg.n > 0 || pg.marker;
		bad |= pg.bad;
		if (rc == 0)
			rc = az_page_deliver(&pg, &dirs, fn, ctx);
	}
	if (rc == 0)
		rc = az_dirs_flush(&dirs, fn, ctx);
	if (rc == 0 && !any && dir[0] != '\0') {
		/* Nothing under it: an empty folder marker, a file, or nothing. */
		struct duet_entry e;
		rc = az_stat(dfs, dir, &e);
		if (rc == 0 && e.type != DUET_T_DIR)
			rc = duet_err_set(DUET_E_NOTDIR, "azureblob: list %s: not a directory", dir);
		else if (rc == DUET_E_NOTFOUND)
			rc = duet_err_set(rc, "azureblob: list %s: directory not found", dir);
	} else if (rc == 0 && bad) {
		rc = duet_err_set(DUET_E_BADNAME, "azureblob: list %s: some names were skipped",
		    dir[0] != '\0' ? dir : fs->base.name);
	}
	az_page_dispose(&pg);
	duet_buf_dispose(&prefix);
	az_dirs_dispose(&dirs);
	return rc;
}

int
az_list(struct duet_fs *dfs, const char *dir, duet_list_fn fn, void *ctx)
{
	return az_list_any(dfs, dir, fn, ctx, 0);
}

int
az_list_r(struct duet_fs *dfs, const char *dir, duet_list_fn fn, void *ctx)
{
	return az_list_any(dfs, dir, fn, ctx, 1);
}

int
az_children(struct az_fs *fs, const char *prefix, int *other, int *marker)
{
	struct az_page pg;
	int rc, more = 0;

	memset(&pg, 0, sizeof(pg));
	pg.fs = fs;
	pg.dir = "";
	pg.prefix = prefix;
	pg.skip = strlen(prefix);
	pg.count_only = 1;
	/* No delimiter: the marker sorts first, so two results tell. */
	rc = az_page_get(&pg, 0, 2, &more);
	if (other != NULL)
		*other = rc == 0 && (pg.n > 0 || more);
	if (marker != NULL)
		*marker = rc == 0 && pg.marker;
	az_page_dispose(&pg);
	return rc;
}

int
az_stat(struct duet_fs *dfs, const char *path, struct duet_entry *e)
{
	struct az_fs *fs = (struct az_fs *)dfs;
	struct duet_buf what = DUET_BUF_INIT;
	struct az_props pr;
	char *blob = NULL;
	int rc, other = 0, marker = 0;

	e->type = DUET_T_DIR;
	e->size = -1;
	e->mtime = 0;
	if (fs->container == NULL)
		return path[0] != '\0' ? az_need_container(fs, "stat") : 0;
	if (path[0] == '\0' && fs->prefix[0] == '\0') /* the container: NOTFOUND when missing */
		return az_children(fs, "", &other, &marker);
	if ((blob = az_blob(fs, path)) == NULL || duet_buf_printf(&what, "stat %s", path) != 0) {
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
		goto out;
	}
	rc = path[0] != '\0' ? az_head(fs, NULL, blob, what.p, &pr, NULL) : DUET_E_NOTFOUND;
	if (rc == 0 && !pr.folder) {
		e->type = DUET_T_FILE;
		e->size = pr.size;
		e->mtime = pr.mtime;
	} else if (rc == 0) {
		e->mtime = pr.mtime;
	} else if (rc == DUET_E_NOTFOUND) {
		/* A directory when some blob's name starts with its name + '/'. */
		duet_buf_reset(&what);
		if (duet_buf_printf(&what, "%s/", blob) != 0)
			rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
		else
			rc = az_children(fs, what.p, &other, &marker);
		if (rc == 0 && !other && !marker && path[0] != '\0')
			rc = duet_err_set(DUET_E_NOTFOUND, "azureblob: stat %s: not found", path);
	}
out:
	duet_free(blob);
	duet_buf_dispose(&what);
	return rc;
}
