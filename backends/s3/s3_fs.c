/*
 * s3_fs.c: the S3 backend's fs: rclone's s3 config keys (credentials from
 * the config, the AWS environment or the shared credentials file), open
 * and close, and the request helper: URL building, a fresh SigV4
 * signature for every attempt of the http layer, and S3's XML error
 * documents turned into codes and one-line messages.
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include "s3.h"
#include "s3_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "backends/azure/az_enc.h" /* rclone's name encodings */
#include "core/error.h"
#include "core/hash.h"
#include "s3_util.h"

/* ---- options ---- */

static char *
s3_dup(const char *s)
{
	return s != NULL && *s != '\0' ? duet_strdup(s) : NULL;
}

/* Reads KEY = value of [profile] from an AWS shared credentials file. */
static void
s3_shared_creds(struct s3_fs *fs)
{
	const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE"), *home = getenv("HOME");
	const char *prof = getenv("AWS_PROFILE");
	char path[1024], line[2048], want[256];
	int in = 0;
	FILE *f;

	if (file == NULL && home == NULL)
		return;
	if (file == NULL)
		snprintf(path, sizeof(path), "%s/.aws/credentials", home);
	else
		snprintf(path, sizeof(path), "%s", file);
	snprintf(want, sizeof(want), "[%s]", prof != NULL && *prof ? prof : "default");
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *k = line, *v, *e;
		line[strcspn(line, "\r\n")] = '\0';
		while (isspace((unsigned char)*k))
			k++;
		if (*k == '[') {
			in = strcmp(k, want) == 0;
			continue;
		}
		if (!in || (v = strchr(k, '=')) == NULL)
			continue;
		for (e = v; e > k && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		for (v++; isspace((unsigned char)*v); v++)
			;
		if (strcmp(k, "aws_access_key_id") == 0 && fs->akid == NULL)
			fs->akid = s3_dup(v);
		else if (strcmp(k, "aws_secret_access_key") == 0 && fs->secret == NULL)
			fs->secret = s3_dup(v);
		else if (strcmp(k, "aws_session_token") == 0 && fs->token == NULL)
			fs->token = s3_dup(v);
	}
	fclose(f);
}

/* Providers that want virtual-hosted requests (rclone does the same). */
static int
s3_vhost_provider(const char *p)
{
	return p == NULL || strcmp(p, "AWS") == 0 || strcmp(p, "Alibaba") == 0 ||
	    strcmp(p, "TencentCOS") == 0 || strcmp(p, "Netease") == 0;
}

static int
s3_opts(struct s3_fs *fs, const struct duet_remote *r)
{
	const char *g, *ep = duet_remote_get(r, "endpoint"), *prov = duet_remote_get(r, "provider");
	const char *region = duet_remote_get(r, "region");
	char buf[1024];
	const char *host;
	int path_style;

	fs->akid = s3_dup(duet_remote_get(r, "access_key_id"));
	fs->secret = s3_dup(duet_remote_get(r, "secret_access_key"));
	fs->token = s3_dup(duet_remote_get(r, "session_token"));
	if (duet_remote_get_bool(r, "env_auth", 0) && fs->akid == NULL) {
		fs->akid = s3_dup(getenv("AWS_ACCESS_KEY_ID"));
		fs->secret = s3_dup(getenv("AWS_SECRET_ACCESS_KEY"));
		fs->token = s3_dup(getenv("AWS_SESSION_TOKEN"));
		if (fs->akid == NULL)
			s3_shared_creds(fs);
		if (region == NULL || *region == '\0')
			region = getenv("AWS_REGION") ? getenv("AWS_REGION") : getenv("AWS_DEFAULT_REGION");
	}
	if ((fs->akid == NULL) != (fs->secret == NULL))
		return duet_err_set(DUET_E_USAGE, "s3: %s: access_key_id and secret_access_key go "
		    "together (or set env_auth = true)", fs->base.name);
	fs->region = duet_strdup(region != NULL && *region ? region : "us-east-1");
	fs->acl = s3_dup(duet_remote_get(r, "acl"));
	fs->storage_class = s3_dup(duet_remote_get(r, "storage_class"));
	fs->chunk_size = duet_remote_get_size(r, "chunk_size", 5 << 20);
	fs->copy_cutoff = duet_remote_get_size(r, "copy_cutoff", (int64_t)4995 << 20);
	g = duet_remote_get(r, "upload_concurrency");
	fs->concurrency = g != NULL ? atoi(g) : 4;
	g = duet_remote_get(r, "list_chunk");
	fs->list_chunk = g != NULL ? atoi(g) : 1000;
	fs->no_check_bucket = duet_remote_get_bool(r, "no_check_bucket", 0);
	fs->markers = duet_remote_get_bool(r, "directory_markers", 0);
	if (fs->chunk_size < S3_MIN_PART || fs->copy_cutoff < S3_MIN_PART)
		return duet_err_set(DUET_E_USAGE, "s3: %s: chunk_size and copy_cutoff must be sizes "
		    "of at least 5Mi (S3's smallest part)", fs->base.name);
	if (duet_remote_get_size(r, "upload_cutoff", 0) < 0)
		return duet_err_set(DUET_E_USAGE, "s3: %s: upload_cutoff: not a size", fs->base.name);
	if (fs->concurrency < 1 || fs->concurrency > 64 || fs->list_chunk < 1 || fs->list_chunk > 1000)
		return duet_err_set(DUET_E_USAGE, "s3: %s: upload_concurrency wants 1..64 and "
		    "list_chunk 1..1000", fs->base.name);
	if (ep != NULL && *ep != '\0')
		snprintf(buf, sizeof(buf), "%s%s", strstr(ep, "://") ? "" : "https://", ep);
	else if (strcmp(fs->region, "us-east-1") == 0)
		snprintf(buf, sizeof(buf), "https://s3.amazonaws.com");
	else
		snprintf(buf, sizeof(buf), "https://s3.%s.amazonaws.com", fs->region);
	while (strlen(buf) > 8 && buf[strlen(buf) - 1] == '/')
		buf[strlen(buf) - 1] = '\0';
	fs->scheme_host = duet_strdup(buf);
	host = strstr(buf, "://") + 3;
	fs->host = duet_strndup(host, strcspn(host, "/"));
	path_style = duet_remote_get_bool(r, "force_path_style",
	    !(s3_vhost_provider(prov) && ep == NULL));
	if (fs->region == NULL || fs->scheme_host == NULL || fs->host == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory opening %s", fs->base.name);
	fs->vhost = NULL;
	if (!path_style && fs->bucket != NULL) {
		size_t n = strlen(fs->bucket) + strlen(fs->host) + 2;
		if ((fs->vhost = duet_malloc(n)) == NULL)
			return duet_err_set(DUET_E_NOMEM, "s3: out of memory opening %s", fs->base.name);
		snprintf(fs->vhost, n, "%s.%s", fs->bucket, fs->host);
	}
	return 0;
}

/* ---- requests ---- */

struct s3_signctx {
	struct s3_fs *fs;
	struct duet_s3_sigreq sr;
};

static int
s3_sign_cb(void *ctx, const struct duet_http_req *req, struct duet_http_hdrs *add)
{
	struct s3_signctx *s = ctx;
	struct s3_fs *fs = s->fs;
	struct duet_s3_creds cr = {fs->akid, fs->secret, fs->token};
	struct duet_s3_signed out;
	int rc;

	(void)req;
	duet_s3_signed_init(&out);
	pthread_mutex_lock(&fs->kc_mu);
	rc = duet_s3_sign_cached(&fs->kc, &cr, fs->region, &s->sr, time(NULL), &out);
	pthread_mutex_unlock(&fs->kc_mu);
	for (size_t i = 0; rc == 0 && i < out.nline; i++)
		rc = duet_http_hdrs_add(add, out.line[i]);
	duet_s3_signed_dispose(&out);
	return rc;
}

/* Builds the URL (into p->url) and the raw path (p->path). */
static int
s3_url(struct s3_prep *p)
{
	struct s3_fs *fs = p->fs;
	const struct s3_call *c = p->c;
	const char *scheme_end = strstr(fs->scheme_host, "://") + 3;
	int vh = fs->vhost != NULL && c->bucket != NULL && strcmp(c->bucket, fs->bucket) == 0;
	int rc = 0;

	if (!vh && c->bucket != NULL)
		rc = duet_buf_printf(&p->path, "/%s", c->bucket);
	if (rc == 0 && c->key != NULL)
		rc = duet_buf_printf(&p->path, "/%s", c->key);
	if (rc == 0 && p->path.len == 0)
		rc = duet_buf_putc(&p->path, '/');
	if (rc == 0)
		rc = duet_buf_printf(&p->url, "%.*s%s", (int)(scheme_end - fs->scheme_host),
		    fs->scheme_host, vh ? fs->vhost : fs->host);
	if (rc == 0)
		rc = duet_s3_uri_encode(&p->url, p->path.p, p->path.len, 1);
	for (size_t i = 0; rc == 0 && i < c->nquery; i++) {
		const char *v = c->query[i].value ? c->query[i].value : "";
		rc = duet_buf_putc(&p->url, i == 0 ? '?' : '&');
		if (rc == 0)
			rc = duet_s3_uri_encode(&p->url, c->query[i].name, strlen(c->query[i].name), 0);
		if (rc == 0)
			rc = duet_buf_putc(&p->url, '=');
		if (rc == 0)
			rc = duet_s3_uri_encode(&p->url, v, strlen(v), 0);
	}
	return rc != 0 ? duet_err_set(DUET_E_NOMEM, "s3: out of memory") : 0;
}

void
s3_prep_dispose(struct s3_prep *p)
{
	duet_buf_dispose(&p->url);
	duet_buf_dispose(&p->path);
	duet_buf_dispose(&p->hbuf);
	duet_free(p->req.sign_ctx);
}

static int
s3_prep(struct s3_fs *fs, const struct s3_call *c, struct s3_prep *p)
{
	struct s3_signctx *s;
	size_t off[DUET_S3_HEADERS_MAX];
	int rc;

	memset(p, 0, sizeof(*p));
	p->fs = fs;
	p->c = c;
	if (c->nheaders > DUET_S3_HEADERS_MAX)
		return duet_err_set(DUET_E_INVAL, "s3: too many headers");
	if ((rc = s3_url(p)) != 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < c->nheaders; i++) {
		off[i] = p->hbuf.len;
		rc = duet_buf_printf(&p->hbuf, "%s: %s", c->headers[i].name, c->headers[i].value);
		if (rc == 0)
			rc = duet_buf_putc(&p->hbuf, '\0');
	}
	if (rc != 0)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	for (size_t i = 0; i < c->nheaders; i++)
		p->hdr[i] = p->hbuf.p + off[i];
	p->req.method = c->method;
	p->req.url = p->url.p;
	p->req.headers = p->hdr;
	p->req.nheaders = c->nheaders;
	p->req.body = c->body;
	p->req.body_len = c->body_len;
	p->req.sink = c->sink;
	p->req.sink_reset = c->sink_reset;
	p->req.sink_ctx = c->sink_ctx;
	if (fs->akid == NULL)
		return 0; /* anonymous */
	if ((s = duet_calloc(1, sizeof(*s))) == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	if (c->payload_hash != NULL)
		snprintf(p->phash, sizeof(p->phash), "%s", c->payload_hash);
	else if (c->body != NULL && (rc = duet_s3_payload_hash(c->body, c->body_len, p->phash)) != 0)
		return rc;
	s->fs = fs;
	s->sr.method = c->method;
	s->sr.host = fs->vhost != NULL && c->bucket != NULL && strcmp(c->bucket, fs->bucket) == 0
	    ? fs->vhost : fs->host;
	s->sr.path = p->path.p;
	s->sr.query = c->query;
	s->sr.nquery = c->nquery;
	s->sr.headers = c->headers;
	s->sr.nheaders = c->nheaders;
	s->sr.payload_hash = p->phash[0] != '\0' ? p->phash : NULL;
	p->req.sign = s3_sign_cb;
	p->req.sign_ctx = s;
	return 0;
}

/* Refines a failed request's message from S3's error document. */
static int
s3_fail(struct s3_fs *fs, const struct s3_call *c, struct duet_http_resp *resp, int rc)
{
	struct duet_s3_error e;
	const char *what = c->what != NULL ? c->what : c->method;

	if (resp->status < 300)
		return rc; /* no answer, or a 2xx whose body failed (a sink's
		              own code and message, such as malformed XML) */
	memset(&e, 0, sizeof(e));
	if (resp->body.len > 0 && duet_s3_error_parse(resp->body.p, resp->body.len, &e) == DUET_E_NOMEM)
		return DUET_E_NOMEM;
	rc = duet_s3_error_set((int)resp->status, e.code[0] != '\0' ? &e : NULL, what);
	if (rc == DUET_E_AUTH)
		duet_err_set(rc, "%s; check access_key_id and secret_access_key (or env_auth) of %s",
		    duet_err_msg(), fs->base.name);
	return rc;
}

int
s3_do(struct s3_fs *fs, const struct s3_call *c, struct duet_http_resp *resp)
{
	struct s3_prep p;
	int rc;

	if ((rc = s3_prep(fs, c, &p)) == 0) {
		rc = duet_http_do(fs->http, &p.req, resp);
		if (rc != 0)
			rc = s3_fail(fs, c, resp, rc);
	}
	s3_prep_dispose(&p);
	return rc;
}

int
s3_stream(struct s3_fs *fs, const struct s3_call *c, struct s3_prep *p,
    struct duet_http_resp *resp, struct duet_http_stream **out)
{
	int rc = s3_prep(fs, c, p);
	if (rc == 0 && (rc = duet_http_stream_open(fs->http, &p->req, resp, out)) != 0)
		rc = s3_fail(fs, c, resp, rc);
	return rc;
}

/* ---- helpers shared by the operations ---- */

char *
s3_key(const struct s3_fs *fs, const char *path)
{
	struct duet_buf b = DUET_BUF_INIT;
	size_t pl = strlen(fs->prefix);

	if (path[0] == '\0') /* the root's own name: no trailing '/' */
		return pl > 0 ? duet_strndup(fs->prefix, pl - 1) : duet_strdup("");
	/* Names are stored as rclone's s3 encoding has them. */
	if (duet_buf_puts(&b, fs->prefix) != 0 || duet_name_enc_path(&b, path, DUET_ENC_S3) != 0) {
		duet_buf_dispose(&b);
		return NULL;
	}
	return duet_buf_detach(&b);
}

char *
s3_dir_prefix(const struct s3_fs *fs, const char *dir)
{
	struct duet_buf b = DUET_BUF_INIT;

	if (dir[0] == '\0')
		return duet_strdup(fs->prefix);
	if (duet_buf_puts(&b, fs->prefix) != 0 || duet_name_enc_path(&b, dir, DUET_ENC_S3) != 0 ||
	    duet_buf_putc(&b, '/') != 0) {
		duet_buf_dispose(&b);
		return NULL;
	}
	return duet_buf_detach(&b);
}

int
s3_need_bucket(const struct s3_fs *fs, const char *op)
{
	return duet_err_set(DUET_E_INVAL, "s3: %s at %s: name a bucket (remote:bucket/path)", op,
	    fs->base.name);
}

int
s3_bucket_ensure(struct s3_fs *fs)
{
	struct duet_http_resp resp;
	struct duet_buf body = DUET_BUF_INIT;
	struct duet_s3_kv h[1];
	struct s3_call c = {0};
	char what[300];
	int rc;

	if (fs->bucket == NULL)
		return s3_need_bucket(fs, "mkdir");
	if (fs->no_check_bucket || atomic_load(&fs->bucket_ok))
		return 0;
	snprintf(what, sizeof(what), "create bucket %s", fs->bucket);
	c.method = "PUT";
	c.bucket = fs->bucket;
	c.what = what;
	if (strcmp(fs->region, "us-east-1") != 0 &&
	    duet_buf_printf(&body, "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\"><LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
	    fs->region) == 0) {
		c.body = body.p;
		c.body_len = body.len;
	}
	if (fs->acl != NULL) {
		h[0].name = "x-amz-acl";
		h[0].value = fs->acl;
		c.headers = h;
		c.nheaders = 1;
	}
	duet_http_resp_init(&resp);
	rc = s3_do(fs, &c, &resp);
	if (rc == DUET_E_EXIST) /* BucketAlreadyOwnedByYou, or a race */
		rc = 0;
	if (rc == 0)
		atomic_store(&fs->bucket_ok, 1);
	duet_http_resp_dispose(&resp);
	duet_buf_dispose(&body);
	return rc;
}

int
s3_md5(const void *data, size_t n, unsigned char out[16])
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
s3_mtime_format(int64_t ns, char *out, size_t n)
{
	int64_t s = ns / 1000000000, f = ns % 1000000000;
	if (f < 0) {
		f += 1000000000;
		s--;
	}
	snprintf(out, n, "%lld.%09lld", (long long)s, (long long)f);
}

int
s3_mtime_parse(const char *s, int64_t *ns)
{
	int64_t sec = 0, frac = 0, scale = 100000000;
	int neg = 0, digits = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	for (; *s >= '0' && *s <= '9' && digits < 12; s++, digits++)
		sec = sec * 10 + (*s - '0');
	if (digits == 0)
		return -1;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			frac += scale > 0 ? (*s - '0') * scale : 0;
	if (*s != '\0')
		return -1;
	*ns = (neg ? -1 : 1) * (sec * 1000000000 + frac);
	return 0;
}

/* ---- open / close ---- */

static void
s3_close(struct duet_fs *dfs)
{
	struct s3_fs *fs = (struct s3_fs *)dfs;

	if (fs == NULL)
		return;
	duet_http_free(fs->http);
	duet_s3_keycache_wipe(&fs->kc);
	pthread_mutex_destroy(&fs->kc_mu);
	if (fs->secret != NULL)
		memset(fs->secret, 0, strlen(fs->secret));
	if (fs->token != NULL)
		memset(fs->token, 0, strlen(fs->token));
	duet_free(fs->scheme_host);
	duet_free(fs->host);
	duet_free(fs->vhost);
	duet_free(fs->region);
	duet_free(fs->bucket);
	duet_free(fs->prefix);
	duet_free(fs->akid);
	duet_free(fs->secret);
	duet_free(fs->token);
	duet_free(fs->acl);
	duet_free(fs->storage_class);
	duet_fs_dispose(&fs->base);
	duet_free(fs);
}

/* Splits "bucket/a/b" into bucket and prefix "a/b/". */
static int
s3_root(struct s3_fs *fs, const char *path)
{
	size_t n, bl;
	const char *p = path;

	while (*p == '/')
		p++;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	bl = strcspn(p, "/");
	if (bl > n)
		bl = n;
	if (bl > 0 && (fs->bucket = duet_strndup(p, bl)) == NULL)
		return DUET_E_NOMEM;
	if (bl < n) { /* the root's path, stored encoded as every name */
		struct duet_buf b = DUET_BUF_INIT;
		char *raw = duet_strndup(p + bl + 1, n - bl - 1);
		if (raw == NULL || duet_name_enc_path(&b, raw, DUET_ENC_S3) != 0 ||
		    duet_buf_putc(&b, '/') != 0) {
			duet_free(raw);
			duet_buf_dispose(&b);
			return DUET_E_NOMEM;
		}
		duet_free(raw);
		fs->prefix = duet_buf_detach(&b);
	} else {
		fs->prefix = duet_strdup("");
	}
	return fs->prefix == NULL ? DUET_E_NOMEM : 0;
}

static int
s3_http(struct s3_fs *fs, const struct duet_fs_opts *o)
{
	struct duet_http_opts ho;
	char ua[64];

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
	ho.max_conns = (o->parallel > 0 ? o->parallel : 8) + fs->concurrency * 2;
	return duet_http_new(&ho, &fs->http);
}

/* A root that names an object opens its parent with fs->file set. */
static int
s3_root_file(struct s3_fs *fs)
{
	struct s3_head h;
	char *key, *slash;
	size_t pl = strlen(fs->prefix);
	int rc;

	if (fs->bucket == NULL || pl == 0)
		return 0;
	if ((key = s3_key(fs, "")) == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory");
	rc = s3_head(fs, key, &h);
	duet_free(key);
	if (rc == DUET_E_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	fs->prefix[pl - 1] = '\0';
	slash = strrchr(fs->prefix, '/');
	{
		struct duet_buf name = DUET_BUF_INIT;
		const char *enc = slash != NULL ? slash + 1 : fs->prefix;
		rc = duet_name_enc_decode(&name, enc, strlen(enc), DUET_ENC_S3);
		if (rc == 0 && (fs->base.file = duet_buf_detach(&name)) == NULL)
			rc = DUET_E_NOMEM;
		duet_buf_dispose(&name);
	}
	if (slash != NULL)
		slash[1] = '\0';
	else
		fs->prefix[0] = '\0';
	return rc == 0 ? 0 : duet_err_set(rc, "s3: open %s: the name of the object it names cannot "
	    "be a file name", fs->base.name);
}

static int
s3_open(const struct duet_remote *r, const struct duet_fs_opts *o, struct duet_fs **out)
{
	struct duet_fs_opts none;
	struct duet_buf name = DUET_BUF_INIT;
	struct s3_fs *fs;
	int rc;

	*out = NULL;
	if (o == NULL) {
		memset(&none, 0, sizeof(none));
		o = &none;
	}
	if ((fs = duet_calloc(1, sizeof(*fs))) == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: out of memory opening %s", r->path);
	pthread_mutex_init(&fs->kc_mu, NULL);
	/* Not the spec: a connection string may hold the secret key. */
	if (duet_buf_printf(&name, "%s:%s", r->name != NULL ? r->name : ":s3", r->path) != 0)
		rc = duet_err_set(DUET_E_NOMEM, "s3: out of memory opening %s", r->path);
	else
		rc = duet_fs_init(&fs->base, &duet_s3_backend, name.p, r->path);
	duet_buf_dispose(&name);
	if (rc == 0 && s3_root(fs, r->path) != 0)
		rc = duet_err_set(DUET_E_NOMEM, "s3: out of memory opening %s", r->path);
	if (rc == 0)
		rc = s3_opts(fs, r);
	if (rc == 0)
		rc = s3_http(fs, o);
	if (rc == 0) {
		size_t n = strlen(fs->scheme_host) + strlen(fs->bucket ? fs->bucket : "") +
		    strlen(fs->prefix) + 8;
		if ((fs->base.canon = duet_malloc(n)) == NULL)
			rc = duet_err_set(DUET_E_NOMEM, "s3: out of memory opening %s", r->path);
		else
			snprintf(fs->base.canon, n, "s3:%s/%s/%s", fs->scheme_host,
			    fs->bucket ? fs->bucket : "", fs->prefix);
	}
	fs->base.caps = DUET_CAP_COPY | DUET_CAP_MOVE | DUET_CAP_SETMTIME | DUET_CAP_BWLIMIT;
	fs->base.hashes = DUET_HASH_BIT(DUET_HASH_MD5);
	fs->base.precision = 1;
	fs->base.md5_first = fs->chunk_size + 1;
	if (rc == 0)
		rc = s3_root_file(fs);
	if (rc != 0) {
		s3_close(&fs->base);
		return rc;
	}
	*out = &fs->base;
	return 0;
}

const struct duet_backend duet_s3_backend = {
	.name = "s3",
	.open = s3_open,
	.close = s3_close,
	.list = s3_list,
	.stat = s3_stat,
	.open_read = s3_open_read,
	.open_write = s3_open_write,
	.mkdir = s3_mkdir,
	.rmdir = s3_rmdir,
	.remove = s3_remove,
	.move = s3_move,
	.copy = s3_copy,
	.set_mtime = s3_set_mtime,
	.move_from = s3_move_from,
	.copy_from = s3_copy_from,
	.cleanup = s3_cleanup,
	.list_r = s3_list_r,
	.remove_batch = s3_remove_batch,
	.hash = s3_hash,
	.list_token = s3_list_token,
};
