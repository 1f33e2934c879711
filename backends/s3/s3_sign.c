/*
 * s3_sign.c: AWS Signature Version 4 for S3, written from AWS's
 * description of the algorithm. The request's path and query are encoded
 * here once; the same bytes go into the canonical request and into the
 * URL the caller sends. Every buffer that held key material is cleansed
 * before it goes out of scope.
 */
#include "s3_sign.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/alloc.h"
#include "core/error.h"

/* A canonicalised name and value; both point into one store buffer. */
struct sg_pair {
	const char *name;
	const char *value;
};

static int
sg_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

int
duet_s3_uri_encode(struct duet_buf *out, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc;

	if (n > SIZE_MAX / 4)
		return duet_err_set(DUET_E_NOMEM, "s3: string too long to encode");
	rc = duet_buf_reserve(out, 3 * n);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (sg_unreserved(c) || (keep_slash && c == '/')) {
			out->p[out->len++] = (char)c;
		} else {
			out->p[out->len++] = '%';
			out->p[out->len++] = hex[c >> 4];
			out->p[out->len++] = hex[c & 15];
		}
	}
	out->p[out->len] = '\0';
	return 0;
}

static void
sg_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* An HTTP header name (RFC 9110 token). */
static int
sg_is_token(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (c != '\0' && strchr(extra, c) != NULL)))
			return 0;
	}
	return 1;
}

/* A header value we can send: no control character but tab. */
static int
sg_value_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

static int
sg_cmp_pair(const void *a, const void *b)
{
	const struct sg_pair *x = a, *y = b;
	int d = strcmp(x->name, y->name);
	return d != 0 ? d : strcmp(x->value, y->value);
}

/* Appends a header value trimmed, with inner runs of blanks as one space. */
static int
sg_put_value(struct duet_buf *b, const char *v)
{
	int rc = 0, blank = 0, any = 0;

	for (; *v != '\0' && rc == 0; v++) {
		if (*v == ' ' || *v == '\t') {
			blank = any;
			continue;
		}
		if (blank)
			rc = duet_buf_putc(b, ' ');
		if (rc == 0)
			rc = duet_buf_putc(b, *v);
		blank = 0;
		any = 1;
	}
	return rc;
}

/*
 * Fills pairs[0..n) from the stored strings: store holds, for each pair,
 * name NUL value NUL. Called once the store no longer grows.
 */
static void
sg_point(const struct duet_buf *store, struct sg_pair *pairs, size_t n)
{
	const char *p = store->p;
	for (size_t i = 0; i < n; i++) {
		pairs[i].name = p;
		p += strlen(p) + 1;
		pairs[i].value = p;
		p += strlen(p) + 1;
	}
}

/* Appends the sorted, encoded query (no leading '?') to out. */
static int
sg_canon_query(const struct duet_s3_kv *q, size_t n, struct duet_buf *out)
{
	struct duet_buf store = DUET_BUF_INIT;
	struct sg_pair *pairs = NULL;
	int rc = 0;

	if (n == 0)
		return 0;
	if (n > DUET_S3_QUERY_MAX)
		return duet_err_set(DUET_E_INVAL, "s3: sign: more than %d query parameters",
		                    DUET_S3_QUERY_MAX);
	pairs = duet_reallocarray(NULL, n, sizeof(*pairs));
	if (pairs == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "s3: sign: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *v = q[i].value ? q[i].value : "";
		if (q[i].name == NULL || q[i].name[0] == '\0') {
			rc = duet_err_set(DUET_E_INVAL, "s3: sign: query parameter without a name");
			break;
		}
		rc = duet_s3_uri_encode(&store, q[i].name, strlen(q[i].name), 0);
		if (rc == 0)
			rc = duet_buf_putc(&store, '\0');
		if (rc == 0)
			rc = duet_s3_uri_encode(&store, v, strlen(v), 0);
		if (rc == 0)
			rc = duet_buf_putc(&store, '\0');
	}
	if (rc != 0)
		goto out;
	sg_point(&store, pairs, n);
	qsort(pairs, n, sizeof(*pairs), sg_cmp_pair);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = duet_buf_printf(out, "%s%s=%s", i ? "&" : "", pairs[i].name, pairs[i].value);
out:
	duet_free(pairs);
	duet_buf_dispose(&store);
	return rc;
}

/* Lower-cases and checks the header names, canonicalises the values. */
static int
sg_store_headers(const struct duet_s3_kv *h, size_t n, struct duet_buf *store)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t start = store->len;
		if (h[i].name == NULL || !sg_is_token(h[i].name))
			return duet_err_set(DUET_E_INVAL, "s3: sign: bad header name \"%.64s\"",
			                    h[i].name ? h[i].name : "(null)");
		if (h[i].value != NULL && !sg_value_ok(h[i].value))
			return duet_err_set(DUET_E_INVAL,
			                    "s3: sign: header %.64s has a control character",
			                    h[i].name);
		rc = duet_buf_puts(store, h[i].name);
		for (size_t j = start; rc == 0 && j < store->len; j++)
			if (store->p[j] >= 'A' && store->p[j] <= 'Z')
				store->p[j] = (char)(store->p[j] - 'A' + 'a');
		if (rc == 0)
			rc = duet_buf_putc(store, '\0');
		if (rc == 0)
			rc = sg_put_value(store, h[i].value ? h[i].value : "");
		if (rc == 0)
			rc = duet_buf_putc(store, '\0');
	}
	return rc;
}

/* Appends "name:value\n"... "\n" to out and "a;b;c" to sig. */
static int
sg_canon_headers(const struct duet_s3_kv *h, size_t n, struct duet_buf *out, struct duet_buf *sig)
{
	struct duet_buf store = DUET_BUF_INIT;
	struct sg_pair *pairs = NULL;
	int rc = 0;

	if (n > DUET_S3_HEADERS_MAX + 4)
		return duet_err_set(DUET_E_INVAL, "s3: sign: too many headers");
	pairs = duet_reallocarray(NULL, n ? n : 1, sizeof(*pairs));
	if (pairs == NULL) {
		rc = duet_err_set(DUET_E_NOMEM, "s3: sign: out of memory");
		goto out;
	}
	rc = sg_store_headers(h, n, &store);
	if (rc != 0)
		goto out;
	sg_point(&store, pairs, n);
	qsort(pairs, n, sizeof(*pairs), sg_cmp_pair);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0 && strcmp(pairs[i].name, pairs[i - 1].name) == 0) {
			rc = duet_err_set(DUET_E_INVAL, "s3: sign: header %s given twice",
			                  pairs[i].name);
			break;
		}
		rc = duet_buf_printf(out, "%s:%s\n", pairs[i].name, pairs[i].value);
		if (rc == 0)
			rc = duet_buf_printf(sig, "%s%s", i ? ";" : "", pairs[i].name);
	}
	if (rc == 0)
		rc = duet_buf_putc(out, '\n');
out:
	duet_free(pairs);
	duet_buf_dispose(&store);
	return rc;
}

static int
sg_hash_ok(const char *h)
{
	size_t n = 0;
	if (strcmp(h, DUET_S3_UNSIGNED_PAYLOAD) == 0)
		return 1;
	for (; h[n] != '\0'; n++)
		if (!((h[n] >= '0' && h[n] <= '9') || (h[n] >= 'a' && h[n] <= 'f')))
			return 0;
	return n == 64;
}

static int
sg_method_ok(const char *m)
{
	if (m == NULL || *m == '\0')
		return 0;
	for (; *m != '\0'; m++)
		if (*m < 'A' || *m > 'Z')
			return 0;
	return 1;
}

/*
 * The canonical request into canon, the signed header list into sig, and
 * the encoded path and query into target (path_len = the path's bytes).
 */
static int
sg_canonical(const char *method, const char *path, const struct duet_s3_kv *q, size_t nq,
             const struct duet_s3_kv *h, size_t nh, const char *hash, struct duet_buf *canon,
             struct duet_buf *sig, struct duet_buf *target, size_t *path_len)
{
	int rc;

	if (!sg_method_ok(method))
		return duet_err_set(DUET_E_INVAL, "s3: sign: bad method");
	if (path == NULL || *path == '\0')
		path = "/";
	if (*path != '/')
		return duet_err_set(DUET_E_INVAL, "s3: sign: path does not start with '/'");
	if (hash == NULL)
		hash = DUET_S3_EMPTY_SHA256;
	if (!sg_hash_ok(hash))
		return duet_err_set(DUET_E_INVAL, "s3: sign: bad payload hash");
	rc = duet_s3_uri_encode(target, path, strlen(path), 1);
	*path_len = target->len;
	if (rc == 0)
		rc = duet_buf_printf(canon, "%s\n%s\n", method, target->p);
	if (rc == 0 && nq > 0)
		rc = duet_buf_putc(target, '?');
	if (rc == 0)
		rc = sg_canon_query(q, nq, target);
	if (rc == 0 && nq > 0)
		rc = duet_buf_puts(canon, target->p + *path_len + 1);
	if (rc == 0)
		rc = duet_buf_putc(canon, '\n');
	if (rc == 0)
		rc = sg_canon_headers(h, nh, canon, sig);
	if (rc == 0)
		rc = duet_buf_append(canon, sig->p, sig->len);
	if (rc == 0)
		rc = duet_buf_printf(canon, "\n%s", hash);
	return rc;
}

int
duet_s3_canonical_request(const char *method, const char *path, const struct duet_s3_kv *query,
                          size_t nquery, const struct duet_s3_kv *headers, size_t nheaders,
                          const char *payload_hash, struct duet_buf *out,
                          struct duet_buf *signed_headers)
{
	struct duet_buf target = DUET_BUF_INIT, sig = DUET_BUF_INIT;
	size_t plen = 0;
	int rc;

	rc = sg_canonical(method, path, query, nquery, headers, nheaders, payload_hash, out, &sig,
	                  &target, &plen);
	if (rc == 0 && signed_headers != NULL)
		rc = duet_buf_append(signed_headers, sig.p ? sig.p : "", sig.len);
	duet_buf_dispose(&target);
	duet_buf_dispose(&sig);
	return rc;
}

static int
sg_sha256_hex(const void *data, size_t n, char hex[DUET_S3_HEX_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return duet_err_set(DUET_E_IO, "s3: SHA-256 failed (OpenSSL)");
	sg_hex(md, 32, hex);
	return 0;
}

int
duet_s3_payload_hash(const void *data, size_t n, char hex[DUET_S3_HEX_LEN])
{
	return sg_sha256_hex(n > 0 ? data : "", n, hex);
}

int
duet_s3_string_to_sign(const char *amz_date, const char *scope, const char *canonical, size_t len,
                       struct duet_buf *out)
{
	char hex[DUET_S3_HEX_LEN];
	int rc = sg_sha256_hex(canonical, len, hex);

	if (rc == 0)
		rc = duet_buf_printf(out, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, hex);
	return rc;
}

/* One HMAC-SHA256 step; out may not alias key. */
static int
sg_hmac(const unsigned char *key, size_t klen, const void *data, size_t n,
        unsigned char out[DUET_S3_KEY_LEN])
{
	unsigned int len = 0;

	if (klen > INT_MAX || HMAC(EVP_sha256(), key, (int)klen, data, n, out, &len) == NULL ||
	    len != 32)
		return duet_err_set(DUET_E_IO, "s3: HMAC-SHA256 failed (OpenSSL)");
	return 0;
}

static int
sg_date8_ok(const char *d)
{
	for (int i = 0; i < 8; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	return d[8] == '\0';
}

int
duet_s3_signing_key(const char *secret, const char *date8, const char *region, const char *service,
                    unsigned char key[DUET_S3_KEY_LEN])
{
	unsigned char k1[DUET_S3_KEY_LEN], k2[DUET_S3_KEY_LEN];
	unsigned char ks[4 + DUET_S3_SECRET_MAX];
	size_t n = secret ? strlen(secret) : 0;
	int rc;

	if (n == 0 || n > DUET_S3_SECRET_MAX)
		return duet_err_set(DUET_E_INVAL, "s3: secret access key is %s",
		                    n == 0 ? "empty" : "too long");
	if (date8 == NULL || !sg_date8_ok(date8))
		return duet_err_set(DUET_E_INVAL, "s3: bad signing date");
	memcpy(ks, "AWS4", 4);
	memcpy(ks + 4, secret, n);
	rc = sg_hmac(ks, 4 + n, date8, 8, k1);
	if (rc == 0)
		rc = sg_hmac(k1, sizeof(k1), region, strlen(region), k2);
	if (rc == 0)
		rc = sg_hmac(k2, sizeof(k2), service, strlen(service), k1);
	if (rc == 0)
		rc = sg_hmac(k1, sizeof(k1), "aws4_request", 12, key);
	OPENSSL_cleanse(ks, sizeof(ks));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	return rc;
}

int
duet_s3_signature(const unsigned char key[DUET_S3_KEY_LEN], const char *sts, size_t len,
                  char hex[DUET_S3_HEX_LEN])
{
	unsigned char mac[DUET_S3_KEY_LEN];
	int rc = sg_hmac(key, DUET_S3_KEY_LEN, sts, len, mac);

	if (rc == 0)
		sg_hex(mac, sizeof(mac), hex);
	return rc;
}

int
duet_s3_amz_date(time_t t, char out[DUET_S3_AMZ_DATE_LEN])
{
	struct tm tm;

	out[0] = '\0';
	if (t < 0 || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999)
		return duet_err_set(DUET_E_INVAL, "s3: sign: time out of range");
	/* the year is at most 4 digits, so this always fits */
	if (strftime(out, DUET_S3_AMZ_DATE_LEN, "%Y%m%dT%H%M%SZ", &tm) != DUET_S3_AMZ_DATE_LEN - 1)
		return duet_err_set(DUET_E_INVAL, "s3: sign: time out of range");
	return 0;
}

void
duet_s3_signed_init(struct duet_s3_signed *s)
{
	memset(s, 0, sizeof(*s));
}

static void
sg_signed_reset(struct duet_s3_signed *s)
{
	if (s->lines.p != NULL)
		OPENSSL_cleanse(s->lines.p, s->lines.cap);
	duet_buf_reset(&s->target);
	duet_buf_reset(&s->canonical);
	duet_buf_reset(&s->sts);
	duet_buf_reset(&s->lines);
	s->path_len = 0;
	s->amz_date[0] = s->signature[0] = '\0';
	memset(s->line, 0, sizeof(s->line));
	s->nline = 0;
}

void
duet_s3_signed_dispose(struct duet_s3_signed *s)
{
	if (s == NULL)
		return;
	sg_signed_reset(s);
	duet_buf_dispose(&s->target);
	duet_buf_dispose(&s->canonical);
	duet_buf_dispose(&s->sts);
	duet_buf_dispose(&s->lines);
}

void
duet_s3_keycache_wipe(struct duet_s3_keycache *kc)
{
	if (kc != NULL)
		OPENSSL_cleanse(kc, sizeof(*kc));
}

/* Printable ASCII without the characters that would break the header. */
static int
sg_id_ok(const char *s, const char *bad)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f || strchr(bad, *s) != NULL)
			return 0;
	return 1;
}

static int
sg_check(const struct duet_s3_creds *c, const char *region, const struct duet_s3_sigreq *r)
{
	if (!sg_id_ok(c->access_key_id, "/,;="))
		return duet_err_set(DUET_E_INVAL, "s3: access key id is empty or malformed");
	if (c->secret_access_key == NULL || c->secret_access_key[0] == '\0')
		return duet_err_set(DUET_E_INVAL, "s3: secret access key is empty");
	if (c->session_token != NULL && !sg_value_ok(c->session_token))
		return duet_err_set(DUET_E_INVAL, "s3: session token has a control character");
	if (!sg_id_ok(region, "/,;=") || strlen(region) > DUET_S3_REGION_MAX)
		return duet_err_set(DUET_E_INVAL, "s3: region is empty or malformed");
	if (!sg_id_ok(r->host, ""))
		return duet_err_set(DUET_E_INVAL, "s3: sign: host is empty or malformed");
	if (r->nheaders > DUET_S3_HEADERS_MAX)
		return duet_err_set(DUET_E_INVAL, "s3: sign: more than %d headers",
		                    DUET_S3_HEADERS_MAX);
	for (size_t i = 0; i < r->nheaders; i++) {
		static const char *const ours[] = {"host", "authorization", "x-amz-date",
		                                   "x-amz-content-sha256", "x-amz-security-token"};
		for (size_t j = 0; j < sizeof(ours) / sizeof(ours[0]); j++)
			if (r->headers[i].name != NULL &&
			    strcasecmp(r->headers[i].name, ours[j]) == 0)
				return duet_err_set(DUET_E_INVAL,
				                    "s3: sign: header %s is set by the signer",
				                    ours[j]);
	}
	return 0;
}

/* The signing key for c, day and region: from kc, or derived into it. */
static int
sg_key(struct duet_s3_keycache *kc, const struct duet_s3_creds *c, const char *date8,
       const char *region)
{
	struct duet_buf who = DUET_BUF_INIT;
	unsigned char fp[32];
	unsigned int len = 0;
	int rc;

	rc = duet_buf_printf(&who, "%s%c%s", c->access_key_id, '\0', c->secret_access_key);
	if (rc == 0 && EVP_Digest(who.p, who.len, fp, &len, EVP_sha256(), NULL) != 1)
		rc = duet_err_set(DUET_E_IO, "s3: SHA-256 failed (OpenSSL)");
	if (who.p != NULL)
		OPENSSL_cleanse(who.p, who.cap);
	duet_buf_dispose(&who);
	if (rc != 0)
		return rc;
	if (kc->valid && strcmp(kc->date, date8) == 0 && strcmp(kc->region, region) == 0 &&
	    memcmp(kc->who, fp, sizeof(fp)) == 0)
		return 0;
	duet_s3_keycache_wipe(kc);
	rc = duet_s3_signing_key(c->secret_access_key, date8, region, "s3", kc->key);
	if (rc != 0) {
		duet_s3_keycache_wipe(kc);
		return rc;
	}
	memcpy(kc->date, date8, 9);
	memcpy(kc->region, region, strlen(region) + 1);
	memcpy(kc->who, fp, sizeof(fp));
	kc->valid = 1;
	return 0;
}

/* The request's headers plus ours, into *all (caller frees). */
static int
sg_all_headers(const struct duet_s3_creds *c, const struct duet_s3_sigreq *r, const char *hash,
               const char *amz_date, struct duet_s3_kv **all, size_t *n)
{
	struct duet_s3_kv *h = duet_reallocarray(NULL, r->nheaders + 4, sizeof(*h));
	size_t k = r->nheaders;

	if (h == NULL)
		return duet_err_set(DUET_E_NOMEM, "s3: sign: out of memory");
	if (k > 0)
		memcpy(h, r->headers, k * sizeof(*h));
	h[k++] = (struct duet_s3_kv){"host", r->host};
	h[k++] = (struct duet_s3_kv){"x-amz-content-sha256", hash};
	h[k++] = (struct duet_s3_kv){"x-amz-date", amz_date};
	if (c->session_token != NULL && c->session_token[0] != '\0')
		h[k++] = (struct duet_s3_kv){"x-amz-security-token", c->session_token};
	*all = h;
	*n = k;
	return 0;
}

/* Writes the header lines to send into out->lines and points line[] in. */
static int
sg_lines(const struct duet_s3_creds *c, const char *scope, const char *hash,
         const struct duet_buf *sig, struct duet_s3_signed *out)
{
	size_t off[DUET_S3_SIGNED_LINES];
	int rc = 0;

	off[0] = out->lines.len;
	rc = duet_buf_printf(&out->lines, "x-amz-date: %s%c", out->amz_date, '\0');
	off[1] = out->lines.len;
	if (rc == 0)
		rc = duet_buf_printf(&out->lines, "x-amz-content-sha256: %s%c", hash, '\0');
	out->nline = 2;
	if (rc == 0 && c->session_token != NULL && c->session_token[0] != '\0') {
		off[out->nline++] = out->lines.len;
		rc = duet_buf_printf(&out->lines, "x-amz-security-token: %s%c", c->session_token,
		                     '\0');
	}
	off[out->nline++] = out->lines.len;
	if (rc == 0)
		rc = duet_buf_printf(
		    &out->lines,
		    "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
		    "Signature=%s",
		    c->access_key_id, scope, sig->p, out->signature);
	if (rc != 0) {
		out->nline = 0;
		return rc;
	}
	for (size_t i = 0; i < out->nline; i++)
		out->line[i] = out->lines.p + off[i];
	return 0;
}

int
duet_s3_sign_cached(struct duet_s3_keycache *kc, const struct duet_s3_creds *c, const char *region,
                    const struct duet_s3_sigreq *r, time_t now, struct duet_s3_signed *out)
{
	struct duet_buf sig = DUET_BUF_INIT;
	struct duet_s3_kv *all = NULL;
	const char *hash = r->payload_hash ? r->payload_hash : DUET_S3_EMPTY_SHA256;
	char scope[9 + DUET_S3_REGION_MAX + 20];
	size_t nall = 0;
	int rc;

	sg_signed_reset(out);
	rc = sg_check(c, region, r);
	if (rc == 0)
		rc = duet_s3_amz_date(now, out->amz_date);
	if (rc == 0)
		rc = sg_all_headers(c, r, hash, out->amz_date, &all, &nall);
	if (rc == 0)
		rc = sg_canonical(r->method, r->path, r->query, r->nquery, all, nall, hash,
		                  &out->canonical, &sig, &out->target, &out->path_len);
	if (rc != 0)
		goto out;
	snprintf(scope, sizeof(scope), "%.8s/%s/s3/aws4_request", out->amz_date, region);
	rc = duet_s3_string_to_sign(out->amz_date, scope, out->canonical.p, out->canonical.len,
	                            &out->sts);
	if (rc == 0) {
		char date8[9];
		memcpy(date8, out->amz_date, 8);
		date8[8] = '\0';
		rc = sg_key(kc, c, date8, region);
	}
	if (rc == 0)
		rc = duet_s3_signature(kc->key, out->sts.p, out->sts.len, out->signature);
	if (rc == 0)
		rc = sg_lines(c, scope, hash, &sig, out);
out:
	duet_free(all);
	duet_buf_dispose(&sig);
	return rc;
}

int
duet_s3_sign(const struct duet_s3_creds *c, const char *region, const struct duet_s3_sigreq *r,
             time_t now, struct duet_s3_signed *out)
{
	struct duet_s3_keycache kc;
	int rc;

	memset(&kc, 0, sizeof(kc));
	rc = duet_s3_sign_cached(&kc, c, region, r, now, out);
	duet_s3_keycache_wipe(&kc);
	return rc;
}
