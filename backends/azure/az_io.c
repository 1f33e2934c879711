/*
 * az_io.c: the Azure Blob backend's streams. A read is one Get Blob (with
 * x-ms-range from an offset) streamed through the http layer; from offset
 * 0 the bytes are hashed and checked against the blob's Content-MD5, as
 * rclone does, so a corrupted download fails at its end. A write goes
 * through the part uploader (backends/http/parts.h): a stream that fits
 * in one chunk_size block is one Put Blob with its Content-MD5, which the
 * service verifies; a larger one is Put Block per block, in parallel,
 * then one Put Block List at commit carrying the whole stream's MD5 and
 * the mtime. Until that commit nothing is visible under the name.
 */
#include "az_int.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "az_time.h"
#include "backends/http/parts.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/hashpipe.h"
#include "core/log.h"

/* A checked read of at least this size hashes on a second thread, in
 * chunks of AZ_HASH_CHUNK bytes. */
#define AZ_HASH_THREAD_MIN (8 << 20)
#define AZ_HASH_CHUNK (1 << 20)

/* ---- reading ---- */

struct az_rs {
	struct duet_rstream s;
	struct az_call c;
	struct az_prep p;
	struct duet_http_resp resp;
	struct duet_http_stream *st;   /* NULL: an empty read at the end */
	struct duet_az_header h[1];
	char range[48];
	char *blob;
	struct duet_buf what;
	struct duet_hasher *md5;       /* set when the read is checked */
	struct duet_hashpipe *hp;      /* hashes a large read on a thread */
	unsigned char want[16];        /* the blob's Content-MD5 */
	int err;                       /* sticky failure */
	int ended;                     /* the end was seen (and checked) */
};

/* At the end of a checked read: the bytes' MD5 against Content-MD5. */
static int
az_read_check(struct az_rs *r)
{
	struct duet_hashes got, want;
	char hg[2 * DUET_HASH_MAXLEN + 1], hw[2 * DUET_HASH_MAXLEN + 1];

	duet_hashpipe_finish(r->hp);
	r->hp = NULL;
	duet_hasher_final(r->md5, &got);
	if (memcmp(got.v[DUET_HASH_MD5], r->want, 16) == 0)
		return 0;
	memset(&want, 0, sizeof(want));
	want.mask = DUET_HASH_BIT(DUET_HASH_MD5);
	memcpy(want.v[DUET_HASH_MD5], r->want, 16);
	duet_hash_hex(&got, DUET_HASH_MD5, hg);
	duet_hash_hex(&want, DUET_HASH_MD5, hw);
	return duet_err_set(DUET_E_HASH, "azureblob: %s: corrupted on download: MD5 differs "
	    "(got %s, the blob's Content-MD5 is %s)", r->what.p, hg, hw);
}

static ssize_t
az_read(struct duet_rstream *ds, void *buf, size_t n)
{
	struct az_rs *r = (struct az_rs *)ds;
	ssize_t k;

	if (r->err != 0)
		return r->err;
	if (r->st == NULL || r->ended)
		return 0;
	k = duet_http_stream_read(r->st, buf, n);
	/* The caller reuses buf at once: the hashing thread gets a copy. */
	if (k > 0 && r->md5 != NULL &&
	    (r->hp == NULL || duet_hashpipe_feed_copy(r->hp, buf, (size_t)k, AZ_HASH_CHUNK) != 0))
		duet_hasher_update(r->md5, buf, (size_t)k);
	if (k == 0) {
		r->ended = 1;
		if (r->md5 != NULL && (r->err = az_read_check(r)) != 0)
			return r->err;
	}
	if (k < 0)
		r->err = (int)k;
	return k;
}

static void
az_rclose(struct duet_rstream *ds)
{
	struct az_rs *r = (struct az_rs *)ds;
	if (r == NULL)
		return;
	duet_http_stream_close(r->st);
	duet_http_resp_dispose(&r->resp);
	az_prep_dispose(&r->p);
	duet_hashpipe_finish(r->hp);
	duet_hasher_free(r->md5);
	duet_buf_dispose(&r->what);
	duet_free(r->blob);
	duet_free(r);
}

static const struct duet_rstream_ops az_rops = {
	.read = az_read,
	.close = az_rclose,
};

/* Azure refuses a range that starts at the very end: a file of that size
 * reads nothing. */
static int
az_read_at_end(struct az_fs *fs, struct az_rs *r, const char *path, int64_t offset)
{
	struct az_props pr;
	int rc = az_head(fs, NULL, r->blob, r->what.p, &pr, NULL);

	if (rc == 0 && pr.size != offset)
		rc = duet_err_set(DUET_E_INVAL, "azureblob: read %s from %lld: past the end (%lld "
		    "bytes)", path, (long long)offset, (long long)pr.size);
	r->s.size = offset;
	return rc;
}

int
az_open_read(struct duet_fs *dfs, const char *path, int64_t offset, struct duet_rstream **out)
{
	struct az_fs *fs = (struct az_fs *)dfs;
	struct az_props pr;
	struct az_rs *r;
	const char *v;
	int rc;

	*out = NULL;
	if (fs->container == NULL)
		return az_need_container(fs, "read");
	if ((r = duet_calloc(1, sizeof(*r))) == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	r->s.ops = &az_rops;
	r->s.fd = -1;
	if ((r->blob = az_blob(fs, path)) == NULL || duet_buf_printf(&r->what, "read %s", path) != 0) {
		az_rclose(&r->s);
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	}
	r->c.method = "GET";
	r->c.container = fs->container;
	r->c.blob = r->blob;
	r->c.what = r->what.p;
	if (offset > 0) {
		snprintf(r->range, sizeof(r->range), "bytes=%lld-", (long long)offset);
		r->h[0] = (struct duet_az_header){"x-ms-range", r->range};
		r->c.headers = r->h;
		r->c.nheaders = 1;
	}
	duet_http_resp_init(&r->resp);
	rc = az_stream(fs, &r->c, &r->p, &r->resp, &r->st);
	if (rc != 0 && offset > 0 && r->resp.status == 416) {
		r->st = NULL;
		rc = az_read_at_end(fs, r, path, offset);
	} else if (rc == 0) {
		v = duet_http_resp_header(&r->resp, "content-length");
		r->s.size = v != NULL ? strtoll(v, NULL, 10) + offset : -1;
		az_props_read(&r->resp, &pr);
		if (offset == 0 && pr.has_md5 && !fs->no_md5_check) {
			memcpy(r->want, pr.md5, 16);
			rc = duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &r->md5);
			/* A large blob's MD5 costs as much CPU as receiving it:
			 * off the receiving thread (no thread: inline). */
			if (rc == 0 && r->s.size >= AZ_HASH_THREAD_MIN &&
			    duet_hashpipe_start(r->md5, &r->hp) != 0)
				r->hp = NULL;
		}
	}
	if (rc != 0) {
		az_rclose(&r->s);
		return rc;
	}
	*out = &r->s;
	return 0;
}

/* ---- writing ---- */

struct az_ws {
	struct duet_wstream s;
	struct az_fs *fs;
	char *blob;
	struct duet_buf what;    /* "upload PATH" */
	struct duet_parts *parts;
	struct duet_hasher *md5; /* of the whole stream */
	int64_t hint_mtime;      /* 0: not told */
	unsigned char idbase[8]; /* random: this upload's block ids */
	int err;
};

static void
az_wfree(struct az_ws *w)
{
	duet_parts_free(w->parts);
	duet_hasher_free(w->md5);
	duet_buf_dispose(&w->what);
	duet_free(w->blob);
	duet_free(w);
}

/* Block i's id: base64 of 8 random bytes and i as 8 big-endian bytes, so
 * every id of a blob has the same length, as Azure requires, and a
 * concurrent upload of the same name uses other ids. */
static void
az_block_id(const struct az_ws *w, unsigned i, char out[AZ_B64_MD5])
{
	unsigned char raw[16];

	memcpy(raw, w->idbase, 8);
	for (int k = 0; k < 8; k++)
		raw[8 + k] = (unsigned char)((uint64_t)i >> (56 - 8 * k));
	az_md5_b64(raw, out);
}

/* parts put(): Put Block, with the block's Content-MD5. */
static int
az_put_block(void *ctx, unsigned index, const void *data, size_t n, char **tag)
{
	struct az_ws *w = ctx;
	struct duet_buf q = DUET_BUF_INIT, what = DUET_BUF_INIT;
	struct duet_az_header h[1];
	struct duet_http_resp resp;
	struct az_call c;
	unsigned char md5[16];
	char id[AZ_B64_MD5], m[AZ_B64_MD5];
	int rc;

	(void)tag;
	az_block_id(w, index, id);
	if ((rc = az_md5(data, n, md5)) != 0)
		return rc;
	az_md5_b64(md5, m);
	if (duet_buf_puts(&q, "comp=block") != 0 || duet_az_query_add(&q, "blockid", id) != 0 ||
	    duet_buf_printf(&what, "%s (block %u)", w->what.p, index) != 0) {
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
		goto out;
	}
	h[0] = (struct duet_az_header){"Content-MD5", m};
	memset(&c, 0, sizeof(c));
	c.method = "PUT";
	c.container = w->fs->container;
	c.blob = w->blob;
	c.query = q.p;
	c.headers = h;
	c.nheaders = 1;
	c.body = data;
	c.body_len = n;
	c.what = what.p;
	duet_http_resp_init(&resp);
	rc = az_do(w->fs, &c, &resp);
	duet_http_resp_dispose(&resp);
out:
	duet_buf_dispose(&q);
	duet_buf_dispose(&what);
	return rc;
}

static int
az_write(struct duet_wstream *ds, const void *buf, size_t n)
{
	struct az_ws *w = (struct az_ws *)ds;
	int rc;

	if (w->err != 0)
		return w->err;
	duet_hasher_update(w->md5, buf, n);
	if ((rc = duet_parts_write(w->parts, buf, n)) != 0)
		w->err = rc;
	return rc;
}

static int
az_hint(struct duet_wstream *ds, int64_t mtime, const struct duet_hashes *h)
{
	struct az_ws *w = (struct az_ws *)ds;

	(void)h; /* the MD5 is computed while the bytes pass */
	w->hint_mtime = mtime;
	return 0;
}

/* The headers every new blob gets: its MD5, mtime and tier. */
static size_t
az_blob_headers(const struct az_ws *w, const char *md5, const char *t, struct duet_az_header *h)
{
	size_t n = 0;

	h[n++] = (struct duet_az_header){"x-ms-blob-content-md5", md5};
	if (t[0] != '\0')
		h[n++] = (struct duet_az_header){"x-ms-meta-mtime", t};
	if (w->fs->tier != NULL)
		h[n++] = (struct duet_az_header){"x-ms-access-tier", w->fs->tier};
	return n;
}

/* The Put Block List body naming every block in order. */
static int
az_block_list(const struct az_ws *w, struct duet_buf *body)
{
	unsigned n = duet_parts_count(w->parts);
	char (*ids)[AZ_B64_MD5] = duet_calloc(n, sizeof(*ids));
	const char **v = duet_calloc(n, sizeof(*v));
	int rc;

	if (ids == NULL || v == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	} else {
		for (unsigned i = 0; i < n; i++) {
			az_block_id(w, i, ids[i]);
			v[i] = ids[i];
		}
		rc = duet_az_blocklist_xml(v, n, body);
	}
	duet_free(ids);
	duet_free(v);
	return rc;
}

/* Put Blob of the whole (small) body, or Put Block List of the blocks
 * (data NULL). */
static int
az_put_final(struct az_ws *w, const void *data, size_t len, int single, int64_t mtime,
    const unsigned char md5[16])
{
	struct duet_buf body = DUET_BUF_INIT;
	struct duet_az_header h[6];
	struct duet_http_resp resp;
	struct az_call c;
	char m[AZ_B64_MD5], t[DUET_AZ_RFC3339_LEN] = "";
	size_t nh;
	int rc = 0;

	az_md5_b64(md5, m);
	if (mtime != 0)
		duet_az_time_format_rfc3339(mtime, t);
	nh = az_blob_headers(w, m, t, h);
	memset(&c, 0, sizeof(c));
	c.method = "PUT";
	c.container = w->fs->container;
	c.blob = w->blob;
	c.what = w->what.p;
	if (single) {
		/* Content-MD5 makes the service check what it received. */
		h[nh++] = (struct duet_az_header){"x-ms-blob-type", "BlockBlob"};
		h[nh++] = (struct duet_az_header){"Content-MD5", m};
		c.body = len > 0 ? data : NULL;
		c.body_len = len;
	} else {
		rc = az_block_list(w, &body);
		c.query = "comp=blocklist";
		c.body = body.p;
		c.body_len = body.len;
	}
	c.headers = h;
	c.nheaders = nh;
	if (rc == 0) {
		duet_http_resp_init(&resp);
		rc = az_do(w->fs, &c, &resp);
		duet_http_resp_dispose(&resp);
	}
	duet_buf_dispose(&body);
	return rc;
}

static int
az_commit(struct duet_wstream *ds, int64_t mtime)
{
	struct az_ws *w = (struct az_ws *)ds;
	struct duet_hashes all;
	const void *data = NULL;
	size_t n = 0;
	int single = 0, rc = w->err;

	if (rc == 0)
		rc = duet_parts_finish(w->parts, &single, &data, &n);
	duet_hasher_final(w->md5, &all);
	if (rc == 0)
		rc = az_put_final(w, data, n, single, mtime != 0 ? mtime : w->hint_mtime,
		    all.v[DUET_HASH_MD5]);
	/* A failed block upload leaves only uncommitted blocks, which are
	 * never visible and which Azure discards (after a week, or at the
	 * next commit of that name): nothing to clean up. */
	az_wfree(w);
	return rc;
}

static void
az_abort(struct duet_wstream *ds)
{
	struct az_ws *w = (struct az_ws *)ds;

	/* Waits for blocks in flight; without a Put Block List they stay
	 * uncommitted and invisible, and expire (see az_commit). */
	if (w != NULL)
		az_wfree(w);
}

static const struct duet_wstream_ops az_wops = {
	.write = az_write,
	.commit = az_commit,
	.abort = az_abort,
	.hint = az_hint,
};

int
az_open_write(struct duet_fs *dfs, const char *path, int64_t size, struct duet_wstream **out)
{
	struct az_fs *fs = (struct az_fs *)dfs;
	struct duet_parts_opts po;
	struct az_ws *w;
	int rc;

	(void)size;
	*out = NULL;
	if (fs->container == NULL)
		return az_need_container(fs, "write");
	if ((rc = az_container_ensure(fs)) != 0)
		return rc;
	if ((w = duet_calloc(1, sizeof(*w))) == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	w->fs = fs;
	if ((w->blob = az_blob(fs, path)) == NULL || duet_buf_printf(&w->what, "upload %s", path) != 0)
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	if (rc == 0 && RAND_bytes(w->idbase, sizeof(w->idbase)) != 1)
		rc = duet_err_set(DUET_E_IO, "azureblob: no random bytes for block ids");
	memset(&po, 0, sizeof(po));
	po.part_size = (size_t)fs->chunk_size;
	po.max_parts = DUET_AZ_BLOCKS_MAX;
	po.concurrency = fs->concurrency;
	po.put = az_put_block;
	po.ctx = w;
	if (rc == 0)
		rc = duet_parts_new(&po, &w->parts);
	if (rc == 0)
		rc = duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &w->md5);
	if (rc != 0) {
		az_wfree(w);
		return rc;
	}
	w->s.ops = &az_wops;
	w->s.fd = -1;
	*out = &w->s;
	return 0;
}
