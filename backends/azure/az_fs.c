/*
 * az_fs.c: the Azure Blob backend's fs: rclone's azureblob config keys,
 * open and close, and the request helper: URL building through az_conn,
 * a fresh x-ms-date and SharedKey signature for every attempt of the
 * http layer (SAS tokens ride in the URL instead), and Azure's error
 * answers turned into codes and one-line messages that never hold a
 * secret (az_xml redacts SAS signatures; keys are never printed).
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include "az.h"
#include "az_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "az_enc.h"
#include "az_time.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"

/* ---- options ---- */

/* An int option in lo..hi; def when unset, -1 when malformed. */
static int
az_int(const char *s, int def, int lo, int hi)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= lo && v <= hi ? (int)v : -1;
}

/* access_tier: hot, cool, cold or archive in any case, sent capitalised. */
static int
az_tier(struct az_fs *fs, const char *t)
{
	static const char *const tiers[] = {"Hot", "Cool", "Cold", "Archive"};

	if (t == NULL || *t == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++)
		if (strcasecmp(t, tiers[i]) == 0) {
			fs->tier = duet_strdup(tiers[i]);
			return fs->tier != NULL ? 0 : duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
		}
	return duet_err_set(DUET_E_USAGE, "azureblob: %s: access_tier must be hot, cool, cold or "
	    "archive, not \"%.32s\"", fs->base.name, t);
}

static int
az_opts(struct az_fs *fs, const struct duet_remote *r)
{
	struct duet_az_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	conf.account = duet_remote_get(r, "account");
	conf.key = duet_remote_get(r, "key");
	conf.sas_url = duet_remote_get(r, "sas_url");
	conf.endpoint = duet_remote_get(r, "endpoint");
	conf.use_emulator = duet_remote_get_bool(r, "use_emulator", 0);
	if ((rc = duet_az_conn_init(&fs->conn, &conf)) != 0)
		return rc;
	fs->chunk_size = duet_remote_get_size(r, "chunk_size", AZ_DEF_CHUNK);
	fs->concurrency = az_int(duet_remote_get(r, "upload_concurrency"), AZ_DEF_CONCURRENCY, 1, 256);
	fs->list_chunk = az_int(duet_remote_get(r, "list_chunk"), AZ_LIST_MAX, 1, AZ_LIST_MAX);
	if (fs->chunk_size < 1 || fs->chunk_size > AZ_MAX_BLOCK)
		return duet_err_set(DUET_E_USAGE, "azureblob: %s: chunk_size must be a size from 1 "
		    "byte to 4000Mi (Azure's largest block)", fs->base.name);
	if (fs->concurrency < 1 || fs->list_chunk < 1)
		return duet_err_set(DUET_E_USAGE, "azureblob: %s: upload_concurrency wants 1..256 and "
		    "list_chunk 1..5000", fs->base.name);
	/* rclone keeps upload_cutoff only for old configs (deprecated, no
	 * effect): a stream that fits in one chunk is one Put Blob. */
	if (duet_remote_get_size(r, "upload_cutoff", 0) < 0)
		return duet_err_set(DUET_E_USAGE, "azureblob: %s: upload_cutoff: not a size", fs->base.name);
	return az_tier(fs, duet_remote_get(r, "access_tier"));
}

/* ---- requests ---- */

/* Adds x-ms-date and, for SharedKey, the Authorization line. */
static int
az_sign_cb(void *ctx, const struct duet_http_req *req, struct duet_http_hdrs *add)
{
	struct az_prep *p = ctx;
	struct duet_az_header h[AZ_HEADERS_MAX + 3];
	struct duet_buf auth = DUET_BUF_INIT;
	char date[DUET_AZ_DATE_LEN];
	int rc;

	(void)req;
	duet_az_time_format_http(time(NULL), date);
	memcpy(h, p->sh, p->nsh * sizeof(h[0]));
	h[p->nsh] = (struct duet_az_header){"x-ms-date", date};
	rc = duet_http_hdrs_addf(add, "x-ms-date: %s", date);
	if (rc == 0)
		rc = duet_az_conn_authorize(&p->fs->conn, p->c->method, p->path.p, p->c->query, h,
		    p->nsh + 1, &auth);
	if (rc == 0 && auth.len > 0)
		rc = duet_http_hdrs_add(add, auth.p);
	if (auth.p != NULL)
		memset(auth.p, 0, auth.len);
	duet_buf_dispose(&auth);
	return rc;
}

void
az_prep_dispose(struct az_prep *p)
{
	if (p->url.p != NULL) /* it may hold the SAS token */
		memset(p->url.p, 0, p->url.len);
	duet_buf_dispose(&p->url);
	duet_buf_dispose(&p->path);
	duet_buf_dispose(&p->hbuf);
}

static int
az_prep(struct az_fs *fs, const struct az_call *c, struct az_prep *p)
{
	size_t off[AZ_HEADERS_MAX + 1];
	size_t n = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	p->fs = fs;
	p->c = c;
	if (c->nheaders > AZ_HEADERS_MAX)
		return duet_err_set(DUET_E_INVAL, "azureblob: too many headers");
	rc = duet_az_conn_url(&fs->conn, c->container, c->blob, c->query, &p->url, &p->path);
	for (size_t i = 0; rc == 0 && i <= c->nheaders; i++) {
		const char *name = i < c->nheaders ? c->headers[i].name : "x-ms-version";
		const char *value = i < c->nheaders ? c->headers[i].value : DUET_AZ_API_VERSION;
		off[n++] = p->hbuf.len;
		rc = duet_buf_printf(&p->hbuf, "%s: %s", name, value);
		if (rc == 0)
			rc = duet_buf_putc(&p->hbuf, '\0');
		p->sh[p->nsh++] = (struct duet_az_header){name, value};
	}
	if (rc != 0)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	for (size_t i = 0; i < n; i++)
		p->hdr[i] = p->hbuf.p + off[i];
	/* curl sends Content-Length itself; SharedKey signs it. */
	snprintf(p->clen, sizeof(p->clen), "%zu", c->body_len);
	p->sh[p->nsh++] = (struct duet_az_header){"Content-Length", p->clen};
	p->req.method = c->method;
	p->req.url = p->url.p;
	p->req.headers = p->hdr;
	p->req.nheaders = n;
	p->req.body = c->body;
	p->req.body_len = c->body_len;
	p->req.sink = c->sink;
	p->req.sink_reset = c->sink_reset;
	p->req.sink_ctx = c->sink_ctx;
	p->req.sign = az_sign_cb;
	p->req.sign_ctx = p;
	return 0;
}

/* Refines a failed request's message from Azure's error answer. */
static int
az_fail(struct az_fs *fs, const struct az_call *c, struct duet_http_resp *resp, int rc)
{
	struct duet_az_error e;
	const char *hc;

	if (resp->status < 300)
		return rc; /* no answer, or a 2xx whose body failed (a sink's
		              own code and message, such as malformed XML) */
	memset(&e, 0, sizeof(e));
	if (resp->body.len > 0 && duet_az_error_parse(resp->body.p, resp->body.len, &e) != 0)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	if (e.code[0] == '\0' && (hc = duet_http_resp_header(resp, "x-ms-error-code")) != NULL)
		snprintf(e.code, sizeof(e.code), "%s", hc);
	rc = duet_az_error_set((int)resp->status, &e, c->what != NULL ? c->what : c->method);
	if (rc == DUET_E_AUTH) {
		char first[768]; /* the message is copied: it is the buffer written */
		snprintf(first, sizeof(first), "%s", duet_err_msg());
		duet_err_set(rc, "%s; check account/key or sas_url (container %s of %s)", first,
		    c->container != NULL ? c->container : "(none)", fs->base.name);
	}
	return rc;
}

int
az_do(struct az_fs *fs, const struct az_call *c, struct duet_http_resp *resp)
{
	struct az_prep p;
	int rc;

	if ((rc = az_prep(fs, c, &p)) == 0) {
		rc = duet_http_do(fs->http, &p.req, resp);
		if (rc != 0)
			rc = az_fail(fs, c, resp, rc);
	}
	az_prep_dispose(&p);
	return rc;
}

int
az_stream(struct az_fs *fs, const struct az_call *c, struct az_prep *p,
    struct duet_http_resp *resp, struct duet_http_stream **out)
{
	int rc = az_prep(fs, c, p);
	if (rc == 0 && (rc = duet_http_stream_open(fs->http, &p->req, resp, out)) != 0)
		rc = az_fail(fs, c, resp, rc);
	return rc;
}

/* ---- helpers shared by the operations ---- */

char *
az_blob(const struct az_fs *fs, const char *path)
{
	struct duet_buf b = DUET_BUF_INIT;
	size_t pl = strlen(fs->prefix);

	if (path[0] == '\0') /* the root's own name: no trailing '/' */
		return pl > 0 ? duet_strndup(fs->prefix, pl - 1) : duet_strdup("");
	if (duet_buf_puts(&b, fs->prefix) != 0 || duet_az_enc_path(&b, path) != 0) {
		duet_buf_dispose(&b);
		return NULL;
	}
	return duet_buf_detach(&b);
}

int
az_need_container(const struct az_fs *fs, const char *op)
{
	return duet_err_set(DUET_E_INVAL, "azureblob: %s at %s: name a container "
	    "(remote:container/path)", op, fs->base.name);
}

int
az_container_ensure(struct az_fs *fs)
{
	struct duet_http_resp resp;
	struct az_call c;
	char what[128];
	int rc;

	if (fs->container == NULL)
		return az_need_container(fs, "mkdir");
	if (atomic_load(&fs->container_ok))
		return 0;
	snprintf(what, sizeof(what), "create container %.64s", fs->container);
	memset(&c, 0, sizeof(c));
	c.method = "PUT";
	c.container = fs->container;
	c.query = "restype=container";
	c.what = what;
	duet_http_resp_init(&resp);
	rc = az_do(fs, &c, &resp);
	/* ContainerAlreadyExists, or a race with another writer. A SAS
	 * without the right to create containers gets 403 on an existing
	 * one: then the container exists if it can be listed, which the
	 * first real request finds out. */
	if (rc == DUET_E_EXIST || (rc == DUET_E_AUTH && fs->conn.auth == DUET_AZ_AUTH_SAS))
		rc = 0;
	if (rc == 0)
		atomic_store(&fs->container_ok, 1);
	duet_http_resp_dispose(&resp);
	return rc;
}

int
az_md5(const void *data, size_t n, unsigned char out[16])
{
	struct duet_hasher *h;
	struct duet_hashes d;
	int rc = duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &h);

	if (rc != 0)
		return rc;
	duet_hasher_update(h, data, n);
	duet_hasher_final(h, &d);
	duet_hasher_free(h);
	memcpy(out, d.v[DUET_HASH_MD5], 16);
	return 0;
}

void
az_md5_b64(const unsigned char md5[16], char out[AZ_B64_MD5])
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < 15; i += 3) {
		unsigned v = (unsigned)md5[i] << 16 | (unsigned)md5[i + 1] << 8 | md5[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	out[o++] = tab[md5[15] >> 2];
	out[o++] = tab[(md5[15] & 3) << 4];
	out[o++] = '=';
	out[o++] = '=';
	out[o] = '\0';
}

/* ---- open / close ---- */

static void
az_close(struct duet_fs *dfs)
{
	struct az_fs *fs = (struct az_fs *)dfs;

	if (fs == NULL)
		return;
	duet_http_free(fs->http);
	duet_az_conn_dispose(&fs->conn);
	duet_free(fs->container);
	duet_free(fs->prefix);
	duet_free(fs->tier);
	duet_fs_dispose(&fs->base);
	duet_free(fs);
}

/* Splits the path into container and prefix "a/b/"; a container-level
 * sas_url names the container itself, and the path is then all prefix. */
static int
az_root(struct az_fs *fs, const char *path)
{
	struct duet_buf b = DUET_BUF_INIT;
	const char *p = path;
	size_t n, cl = 0;

	while (*p == '/')
		p++;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	if (fs->conn.container != NULL) {
		fs->container = duet_strdup(fs->conn.container);
	} else {
		cl = strcspn(p, "/");
		if (cl > n)
			cl = n;
		if (cl > 0)
			fs->container = duet_strndup(p, cl);
		p += cl;
		n -= cl;
		if (n > 0) { /* the '/' after the container */
			p++;
			n--;
		}
	}
	if ((fs->conn.container != NULL || cl > 0) && fs->container == NULL)
		return DUET_E_NOMEM;
	/* The root's path is stored encoded, as rclone stores it. */
	if ((path = duet_strndup(p, n)) == NULL)
		return DUET_E_NOMEM;
	if ((n > 0 && (duet_az_enc_path(&b, path) != 0 || duet_buf_putc(&b, '/') != 0)) ||
	    duet_buf_puts(&b, "") != 0) {
		duet_free((char *)path);
		duet_buf_dispose(&b);
		return DUET_E_NOMEM;
	}
	duet_free((char *)path);
	fs->prefix = duet_buf_detach(&b);
	return 0;
}

static int
az_http(struct az_fs *fs, const struct duet_fs_opts *o)
{
	struct duet_http_opts ho;
	char ua[64];
	int par = o->parallel > 0 ? o->parallel : 4;

	duet_http_opts_init(&ho);
	snprintf(ua, sizeof(ua), "duet/%s", DUET_VERSION);
	ho.user_agent = o->user_agent != NULL ? o->user_agent : ua;
	ho.ca_cert = o->ca_cert;
	ho.insecure = o->insecure;
	if (o->low_level_retries > 0)
		ho.low_level_retries = o->low_level_retries;
	if (o->connect_timeout_ms > 0)
		ho.connect_timeout_ms = o->connect_timeout_ms;
	if (o->idle_timeout_ms > 0)
		ho.idle_timeout_ms = o->idle_timeout_ms;
	/* Every transfer may have its blocks in flight at once; more
	 * connections than that only wait. */
	ho.max_conns = par + fs->concurrency;
	if (ho.max_conns > 128)
		ho.max_conns = 128;
	return duet_http_new(&ho, &fs->http);
}

/* A root that names a blob opens its parent with fs->file set. */
static int
az_root_file(struct az_fs *fs)
{
	struct duet_buf name = DUET_BUF_INIT;
	struct az_props pr;
	char *blob, *slash, what[64];
	size_t pl = strlen(fs->prefix);
	int rc;

	if (fs->container == NULL || pl == 0)
		return 0;
	if ((blob = az_blob(fs, "")) == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	snprintf(what, sizeof(what), "open %.40s", fs->base.name);
	rc = az_head(fs, NULL, blob, what, &pr, NULL);
	duet_free(blob);
	if (rc == DUET_E_NOTFOUND || (rc == 0 && pr.folder))
		return 0;
	if (rc != 0)
		return rc;
	fs->prefix[pl - 1] = '\0';
	slash = strrchr(fs->prefix, '/');
	rc = duet_az_enc_decode(&name, slash != NULL ? slash + 1 : fs->prefix,
	    strlen(slash != NULL ? slash + 1 : fs->prefix));
	if (slash != NULL)
		slash[1] = '\0';
	else
		fs->prefix[0] = '\0';
	if (rc == 0 && (fs->base.file = duet_buf_detach(&name)) == NULL)
		rc = DUET_E_NOMEM;
	duet_buf_dispose(&name);
	return rc == 0 ? 0 : duet_err_set(rc, "azureblob: open %s: the name of the blob it names "
	    "cannot be a file name", fs->base.name);
}

static int
az_canon(struct az_fs *fs)
{
	struct duet_buf b = DUET_BUF_INIT;
	int rc = duet_buf_printf(&b, "azureblob:%s/%s/%s", fs->conn.base,
	    fs->container != NULL ? fs->container : "", fs->prefix);

	if (rc != 0)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	fs->base.canon = duet_buf_detach(&b);
	return 0;
}

static int
az_open(const struct duet_remote *r, const struct duet_fs_opts *o, struct duet_fs **out)
{
	struct duet_fs_opts none;
	struct duet_buf name = DUET_BUF_INIT;
	struct az_fs *fs;
	int rc;

	*out = NULL;
	if (o == NULL) {
		memset(&none, 0, sizeof(none));
		o = &none;
	}
	if ((fs = duet_calloc(1, sizeof(*fs))) == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory opening %s", r->path);
	/* Not the spec: a connection string may hold the key or a SAS. */
	if (duet_buf_printf(&name, "%s:%s", r->name != NULL ? r->name : ":azureblob", r->path) != 0)
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory opening %s", r->path);
	else
		rc = duet_fs_init(&fs->base, &duet_azure_backend, name.p, r->path);
	duet_buf_dispose(&name);
	if (rc == 0)
		rc = az_opts(fs, r);
	fs->no_md5_check = o->ignore_checksum;
	if (rc == 0 && az_root(fs, r->path) != 0)
		rc = duet_err_set(DUET_E_NOMEM, "azureblob: out of memory opening %s", r->path);
	if (rc == 0)
		rc = az_http(fs, o);
	if (rc == 0)
		rc = az_canon(fs);
	fs->base.caps = DUET_CAP_COPY | DUET_CAP_MOVE | DUET_CAP_SETMTIME | DUET_CAP_BWLIMIT;
	fs->base.hashes = DUET_HASH_BIT(DUET_HASH_MD5);
	fs->base.precision = 1;
	if (rc == 0)
		rc = az_root_file(fs);
	if (rc != 0) {
		az_close(&fs->base);
		return rc;
	}
	*out = &fs->base;
	return 0;
}

const struct duet_backend duet_azure_backend = {
	.name = "azureblob",
	.open = az_open,
	.close = az_close,
	.list = az_list,
	.stat = az_stat,
	.open_read = az_open_read,
	.open_write = az_open_write,
	.mkdir = az_mkdir,
	.rmdir = az_rmdir,
	.remove = az_remove,
	.move = az_move,
	.copy = az_copy,
	.set_mtime = az_set_mtime,
	.move_from = az_move_from,
	.copy_from = az_copy_from,
	.list_r = az_list_r,
	.hash = az_hash,
};
