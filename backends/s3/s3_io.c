/*
 * s3_io.c: the S3 backend's streams. Reads are one GET (with a Range from
 * an offset) streamed through the http layer. Writes go through the part
 * uploader (backends/http/parts.h): a stream that fits in one chunk_size
 * part is one PutObject with its Content-MD5; a larger one is a multipart
 * upload whose parts go up in parallel, completed at commit and aborted
 * on any failure, so nothing partial is ever visible. The mtime and MD5
 * live in rclone's metadata (X-Amz-Meta-Mtime, X-Amz-Meta-Md5chksum).
 */
#define _DEFAULT_SOURCE /* strncasecmp */
#include "s3_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backends/azure/az_auth.h" /* base64 */
#include "backends/azure/az_time.h" /* HTTP dates */
#include "backends/http/parts.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"

/* ---- reading ---- */

struct s3_rs {
	struct duet_rstream s;
	struct s3_call c;
	struct s3_prep p;
	struct duet_http_resp resp;
	struct duet_http_stream *st;
	struct duet_s3_kv h[1];
	char range[48];
	char *key;
	char what[300];
};

static ssize_t
s3_read(struct duet_rstream *ds, void *buf, size_t n)
{
	struct s3_rs *r = (struct s3_rs *)ds;
	return r->st != NULL ? duet_http_stream_read(r->st, buf, n) : 0;
}

static void
s3_rclose(struct duet_rstream *ds)
{
	struct s3_rs *r = (struct s3_rs *)ds;
	if (r == NULL)
		return;
	duet_http_stream_close(r->st);
	duet_http_resp_dispose(&r->resp);
	s3_prep_dispose(&r->p);
	duet_free(r->key);
	duet_free(r);
}

static const struct duet_rstream_ops s3_rops = {
	.read = s3_read,
	.close = s3_rclose,
};

int
s3_open_read(struct duet_fs *dfs, const char *path, int64_t offset, struct duet_rstream **out)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	struct s3_rs *r;
	const char *v;
	int rc;

	*out = NULL;
	if (fs->bucket == NULL)
		return s3_need_bucket(fs, "read");
	if ((r = duet_calloc(1, sizeof(*r))) == NULL || (r->key = s3_key(fs, path)) == NULL) {
		duet_free(r);
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	}
	snprintf(r->what, sizeof(r->what), "read %.280s", path);
	r->c.method = "GET";
	r->c.bucket = fs->bucket;
	r->c.key = r->key;
	r->c.what = r->what;
	if (offset > 0) {
		snprintf(r->range, sizeof(r->range), "bytes=%lld-", (long long)offset);
		r->h[0] = (struct duet_s3_kv){"range", r->range};
		r->c.headers = r->h;
		r->c.nheaders = 1;
	}
	duet_http_resp_init(&r->resp);
	rc = s3_stream(fs, &r->c, &r->p, &r->resp, &r->st);
	if (rc == DUET_E_INVAL && r->resp.status == 416) {
		/* a range from the very end: S3 refuses it, a file reads nothing */
		struct s3_head h;
		if ((rc = s3_head(fs, r->key, &h)) == 0 && h.size != offset)
			rc = duet_err_set(DUET_E_INVAL, "s3: read %s from %lld: past the end (%lld bytes)",
			    path, (long long)offset, (long long)h.size);
		r->st = NULL;
		if (rc == 0) {
			r->s.ops = &s3_rops;
			r->s.fd = -1;
			r->s.size = offset;
			*out = &r->s;
			return 0;
		}
	}
	if (rc != 0) {
		s3_rclose(&r->s);
		return rc;
	}
	r->s.ops = &s3_rops;
	r->s.fd = -1;
	v = duet_http_resp_header(&r->resp, "content-length");
	r->s.size = v != NULL ? strtoll(v, NULL, 10) + offset : -1;
	/* The kept mtime comes with every GET (see duet_fs.exact_only). */
	v = duet_http_resp_header(&r->resp, "x-amz-meta-mtime");
	if (v == NULL || s3_mtime_parse(v, &r->s.mtime) != 0) {
		v = duet_http_resp_header(&r->resp, "last-modified");
		if (v == NULL || duet_az_time_parse_http(v, &r->s.mtime) != 0)
			r->s.mtime = 0;
	}
	*out = &r->s;
	return 0;
}

/* ---- writing ---- */

struct s3_ws {
	struct duet_wstream s;
	struct s3_fs *fs;
	char *key;
	struct duet_parts *parts;
	struct duet_hasher *md5; /* of the whole stream */
	int64_t hint_mtime;      /* 0: not told */
	char hint_md5[32];       /* base64, "" when not told */
	char *upload_id;
	int err;
};

static void
s3_wfree(struct s3_ws *w)
{
	duet_parts_free(w->parts);
	duet_hasher_free(w->md5);
	duet_free(w->upload_id);
	duet_free(w->key);
	duet_free(w);
}

/* Headers of a new object: mtime, md5chksum, acl, class. */
static size_t
s3_put_headers(struct s3_ws *w, int64_t mtime, const char *md5b64, struct duet_s3_kv *h,
    char *tbuf, size_t tn)
{
	size_t n = 0;
	if (mtime != 0) {
		s3_mtime_format(mtime, tbuf, tn);
		h[n++] = (struct duet_s3_kv){"x-amz-meta-mtime", tbuf};
	}
	if (md5b64 != NULL && md5b64[0] != '\0')
		h[n++] = (struct duet_s3_kv){"x-amz-meta-md5chksum", md5b64};
	if (w->fs->acl != NULL)
		h[n++] = (struct duet_s3_kv){"x-amz-acl", w->fs->acl};
	if (w->fs->storage_class != NULL)
		h[n++] = (struct duet_s3_kv){"x-amz-storage-class", w->fs->storage_class};
	return n;
}

static int
s3_sink_xml(void *ctx, const void *data, size_t n)
{
	return duet_s3_xml_feed(ctx, data, n);
}

/* parts begin(): CreateMultipartUpload. */
static int
s3_mp_begin(void *ctx)
{
	struct s3_ws *w = ctx;
	struct duet_s3_kv q[1] = {{"uploads", ""}}, h[6];
	struct duet_http_resp resp;
	struct duet_s3_xml *x = NULL;
	struct s3_call c = {0};
	char t[40];
	int rc;

	if ((rc = duet_s3_xml_new(DUET_S3_XML_INITIATE, &x)) != 0)
		return rc;
	c.method = "POST";
	c.bucket = w->fs->bucket;
	c.key = w->key;
	c.query = q;
	c.nquery = 1;
	c.headers = h;
	c.nheaders = s3_put_headers(w, w->hint_mtime, w->hint_md5, h, t, sizeof(t));
	c.body = "";
	c.sink = s3_sink_xml;
	c.sink_ctx = x;
	c.what = "start multipart upload";
	duet_http_resp_init(&resp);
	rc = s3_do(w->fs, &c, &resp);
	if (rc == 0)
		rc = duet_s3_xml_end(x);
	if (rc == 0 && duet_s3_xml_result(x)->upload_id[0] == '\0')
		rc = duet_err_set(DUET_E_CORRUPT, "s3: start multipart upload of %s: no UploadId", w->key);
	if (rc == 0 && (w->upload_id = duet_strdup(duet_s3_xml_result(x)->upload_id)) == NULL)
		rc = duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	duet_http_resp_dispose(&resp);
	duet_s3_xml_free(x);
	return rc;
}

/* parts put(): UploadPart, with the part's Content-MD5. */
static int
s3_mp_put(void *ctx, unsigned index, const void *data, size_t n, char **tag)
{
	struct s3_ws *w = ctx;
	struct duet_buf m = DUET_BUF_INIT;
	struct duet_s3_kv q[2], h[1];
	struct duet_http_resp resp;
	struct s3_call c = {0};
	unsigned char md5[16];
	char num[16], what[64];
	const char *etag;
	int rc;

	snprintf(num, sizeof(num), "%u", index + 1);
	snprintf(what, sizeof(what), "upload part %u", index + 1);
	q[0] = (struct duet_s3_kv){"partNumber", num};
	q[1] = (struct duet_s3_kv){"uploadId", w->upload_id};
	if ((rc = s3_md5(data, n, md5)) != 0 || (rc = duet_az_base64_encode(md5, 16, &m)) != 0)
		return rc;
	h[0] = (struct duet_s3_kv){"content-md5", m.p};
	c.method = "PUT";
	c.bucket = w->fs->bucket;
	c.key = w->key;
	c.query = q;
	c.nquery = 2;
	c.headers = h;
	c.nheaders = 1;
	c.body = data;
	c.body_len = n;
	c.what = what;
	duet_http_resp_init(&resp);
	rc = s3_do(w->fs, &c, &resp);
	if (rc == 0 && ((etag = duet_http_resp_header(&resp, "etag")) == NULL ||
	    (*tag = duet_strdup(etag)) == NULL))
		rc = duet_err_set(DUET_E_IO, "s3: %s of %s: no ETag in the answer", what, w->key);
	duet_http_resp_dispose(&resp);
	duet_buf_dispose(&m);
	return rc;
}

static int
s3_write(struct duet_wstream *ds, const void *buf, size_t n)
{
	struct s3_ws *w = (struct s3_ws *)ds;
	int rc;
	if (w->err != 0)
		return w->err;
	duet_hasher_update(w->md5, buf, n);
	if ((rc = duet_parts_write(w->parts, buf, n)) != 0)
		w->err = rc;
	return rc;
}

static int
s3_hint(struct duet_wstream *ds, int64_t mtime, const struct duet_hashes *h)
{
	struct s3_ws *w = (struct s3_ws *)ds;
	struct duet_buf b = DUET_BUF_INIT;

	w->hint_mtime = mtime;
	if (h != NULL && (h->mask & DUET_HASH_BIT(DUET_HASH_MD5)) &&
	    duet_az_base64_encode(h->v[DUET_HASH_MD5], 16, &b) == 0)
		snprintf(w->hint_md5, sizeof(w->hint_md5), "%s", b.p);
	duet_buf_dispose(&b);
	return 0;
}

static void
s3_mp_abort(struct s3_ws *w)
{
	struct duet_s3_kv q[1] = {{"uploadId", w->upload_id}};
	struct duet_http_resp resp;
	struct s3_call c = {0};

	if (w->upload_id == NULL)
		return;
	c.method = "DELETE";
	c.bucket = w->fs->bucket;
	c.key = w->key;
	c.query = q;
	c.nquery = 1;
	c.what = "abort multipart upload";
	duet_http_resp_init(&resp);
	if (s3_do(w->fs, &c, &resp) != 0)
		duet_log(DUET_LOG_ERROR, "s3: %s: %s (its parts stay until the bucket's lifecycle "
		    "rules remove them)", w->key, duet_err_msg());
	duet_http_resp_dispose(&resp);
}

/* One PutObject of the whole (small) body. */
static int
s3_put_single(struct s3_ws *w, const void *data, size_t n, int64_t mtime, const unsigned char md5[16])
{
	struct duet_buf m = DUET_BUF_INIT;
	struct duet_s3_kv h[6];
	struct duet_http_resp resp;
	struct s3_call c = {0};
	struct duet_hashes sent;
	const char *etag;
	char t[40], hex[2 * DUET_HASH_MAXLEN + 1];
	int rc;

	if ((rc = duet_az_base64_encode(md5, 16, &m)) != 0)
		return rc;
	h[0] = (struct duet_s3_kv){"content-md5", m.p};
	c.nheaders = 1 + s3_put_headers(w, mtime, NULL, h + 1, t, sizeof(t));
	c.method = "PUT";
	c.bucket = w->fs->bucket;
	c.key = w->key;
	c.headers = h;
	c.body = data;
	c.body_len = n;
	c.what = "upload";
	duet_http_resp_init(&resp);
	rc = s3_do(w->fs, &c, &resp);
	etag = rc == 0 ? duet_http_resp_header(&resp, "etag") : NULL;
	sent.mask = DUET_HASH_BIT(DUET_HASH_MD5);
	memcpy(sent.v[DUET_HASH_MD5], md5, 16);
	duet_hash_hex(&sent, DUET_HASH_MD5, hex);
	/* A plain single-part ETag is the MD5 of what the store kept. */
	if (etag != NULL && strlen(etag) == 34 && etag[0] == '"' && strchr(etag, '-') == NULL &&
	    strncasecmp(etag + 1, hex, 32) != 0)
		rc = duet_err_set(DUET_E_HASH, "s3: upload %s: the store's MD5 (ETag %s) differs from "
		    "the data sent (%s)", w->key, etag, hex);
	duet_http_resp_dispose(&resp);
	duet_buf_dispose(&m);
	return rc;
}

static int
s3_mp_complete(struct s3_ws *w)
{
	struct duet_buf body = DUET_BUF_INIT;
	struct duet_s3_kv q[1] = {{"uploadId", w->upload_id}};
	struct duet_http_resp resp;
	struct duet_s3_xml *x = NULL;
	struct s3_call c = {0};
	unsigned n = duet_parts_count(w->parts);
	int rc = duet_buf_puts(&body, "<CompleteMultipartUpload>");

	for (unsigned i = 0; rc == 0 && i < n; i++)
		rc = duet_buf_printf(&body, "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>",
		    i + 1, duet_parts_tag(w->parts, i));
	if (rc == 0)
		rc = duet_buf_puts(&body, "</CompleteMultipartUpload>");
	if (rc != 0)
		rc = duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	if (rc == 0)
		rc = duet_s3_xml_new(DUET_S3_XML_COMPLETE, &x);
	if (rc == 0) {
		c.method = "POST";
		c.bucket = w->fs->bucket;
		c.key = w->key;
		c.query = q;
		c.nquery = 1;
		c.body = body.p;
		c.body_len = body.len;
		c.sink = s3_sink_xml;
		c.sink_ctx = x;
		c.what = "complete multipart upload";
		duet_http_resp_init(&resp);
		rc = s3_do(w->fs, &c, &resp);
		if (rc == 0)
			rc = duet_s3_xml_end(x); /* S3 may put an <Error> inside a 200 */
		duet_http_resp_dispose(&resp);
	}
	duet_s3_xml_free(x);
	duet_buf_dispose(&body);
	return rc;
}

/* After a multipart upload: the metadata it could not carry at its start
 * (the mtime when none was told, the MD5 when none was known) is set with
 * a server-side copy onto itself, as small objects have it. */
static int
s3_mp_fix_meta(struct s3_ws *w, int64_t mtime, const unsigned char md5[16])
{
	struct duet_buf m = DUET_BUF_INIT;
	struct duet_s3_kv meta[2];
	char t[40];
	size_t nm = 0;
	int64_t total = duet_parts_total(w->parts);
	int rc;

	if ((mtime == 0 || mtime == w->hint_mtime) && w->hint_md5[0] != '\0')
		return 0;
	if (total > w->fs->copy_cutoff)
		return 0; /* would need a multipart copy: leave it */
	if ((rc = duet_az_base64_encode(md5, 16, &m)) != 0)
		return rc;
	s3_mtime_format(mtime != 0 ? mtime : w->hint_mtime, t, sizeof(t));
	if (mtime != 0 || w->hint_mtime != 0)
		meta[nm++] = (struct duet_s3_kv){"x-amz-meta-mtime", t};
	meta[nm++] = (struct duet_s3_kv){"x-amz-meta-md5chksum",
	    w->hint_md5[0] != '\0' ? w->hint_md5 : m.p};
	rc = s3_copy_object(w->fs, w->fs->bucket, w->key, w->key, meta, nm, total);
	duet_buf_dispose(&m);
	return rc;
}

static int
s3_commit(struct duet_wstream *ds, int64_t mtime)
{
	struct s3_ws *w = (struct s3_ws *)ds;
	struct duet_hashes all;
	const void *data;
	size_t n;
	int single = 0, rc = w->err;

	if (rc == 0)
		rc = duet_parts_finish(w->parts, &single, &data, &n);
	duet_hasher_final(w->md5, &all);
	if (rc == 0 && single)
		rc = s3_put_single(w, data, n, mtime != 0 ? mtime : w->hint_mtime, all.v[DUET_HASH_MD5]);
	else if (rc == 0)
		rc = s3_mp_complete(w);
	if (rc == 0 && !single) {
		duet_free(w->upload_id); /* completed: nothing to abort */
		w->upload_id = NULL;
		rc = s3_mp_fix_meta(w, mtime, all.v[DUET_HASH_MD5]);
	}
	if (rc != 0 && !single)
		s3_mp_abort(w);
	s3_wfree(w);
	return rc;
}

static void
s3_abort(struct duet_wstream *ds)
{
	struct s3_ws *w = (struct s3_ws *)ds;
	if (w == NULL)
		return;
	duet_parts_free(w->parts); /* waits for parts in flight */
	w->parts = NULL;
	s3_mp_abort(w);
	s3_wfree(w);
}

static const struct duet_wstream_ops s3_wops = {
	.write = s3_write,
	.commit = s3_commit,
	.abort = s3_abort,
	.hint = s3_hint,
};

int
s3_open_write(struct duet_fs *dfs, const char *path, int64_t size, struct duet_wstream **out)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;
	struct duet_parts_opts po;
	struct s3_ws *w;
	int rc;

	(void)size;
	*out = NULL;
	if (fs->bucket == NULL)
		return s3_need_bucket(fs, "write");
	if ((rc = s3_bucket_ensure(fs)) != 0)
		return rc;
	if ((w = duet_calloc(1, sizeof(*w))) == NULL || (w->key = s3_key(fs, path)) == NULL) {
		duet_free(w);
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	}
	w->fs = fs;
	memset(&po, 0, sizeof(po));
	po.part_size = (size_t)fs->chunk_size;
	po.max_parts = S3_MAX_PARTS;
	po.concurrency = fs->concurrency;
	po.begin = s3_mp_begin;
	po.put = s3_mp_put;
	po.ctx = w;
	if ((rc = duet_parts_new(&po, &w->parts)) != 0 ||
	    (rc = duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &w->md5)) != 0) {
		s3_wfree(w);
		return rc;
	}
	w->s.ops = &s3_wops;
	w->s.fd = -1;
	*out = &w->s;
	return 0;
}
