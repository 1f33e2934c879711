/*
 * az_auth.c: the SharedKey StringToSign and signature of Azure Blob
 * requests, and the encoders they depend on. The signer never encodes:
 * it takes the path and query exactly as they go on the wire, so the URL
 * and the signature cannot disagree about an escape.
 */
#include "az_auth.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "backends/http/pct.h"
#include "core/alloc.h"
#include "core/error.h"

/* The standard headers of the StringToSign, in its order. */
static const char *const auth_std[] = {"Content-Encoding",
                                       "Content-Language",
                                       "Content-Length",
                                       "Content-MD5",
                                       "Content-Type",
                                       "Date",
                                       "If-Modified-Since",
                                       "If-Match",
                                       "If-None-Match",
                                       "If-Unmodified-Since",
                                       "Range"};
#define AUTH_NSTD (sizeof(auth_std) / sizeof(auth_std[0]))
#define AUTH_CLEN 2 /* index of Content-Length */
#define AUTH_DATE 5 /* index of Date */

/* One decoded query parameter, in the decode buffer: offsets while the
 * buffer grows, then pointers. */
struct auth_qp {
	size_t noff, voff;
	const char *name;
	const char *value;
};

static char
auth_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive comparison, ordering as the lower-cased bytes. */
static int
auth_lc_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)auth_lower(*a), y = (unsigned char)auth_lower(*b);
		if (x != y || x == '\0')
			return (int)x - (int)y;
	}
}

static int
auth_is_xms(const char *name)
{
	static const char p[] = "x-ms-";
	for (size_t i = 0; i < sizeof(p) - 1; i++)
		if (auth_lower(name[i]) != p[i])
			return 0;
	return 1;
}

static int
auth_has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* The value without leading and trailing blanks: start and length. */
static const char *
auth_trim(const char *v, size_t *len)
{
	size_t n;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	*len = n;
	return v;
}

static int
auth_hdr_cmp(const void *a, const void *b)
{
	const struct duet_az_header *x = *(const struct duet_az_header *const *)a;
	const struct duet_az_header *y = *(const struct duet_az_header *const *)b;
	return auth_lc_cmp(x->name, y->name);
}

/* Sorts the headers into standard slots (std) and x-ms-* (xms, *nx). */
static int
auth_classify(const struct duet_az_header *h, size_t nh, const char **std,
              const struct duet_az_header **xms, size_t *nx)
{
	*nx = 0;
	for (size_t i = 0; i < nh; i++) {
		if (h[i].value == NULL)
			continue;
		if (auth_has_crlf(h[i].name) || auth_has_crlf(h[i].value))
			return duet_err_set(DUET_E_INVAL,
			                    "azureblob: header %.64s has a line break", h[i].name);
		if (auth_is_xms(h[i].name)) {
			xms[(*nx)++] = &h[i];
			continue;
		}
		for (size_t k = 0; k < AUTH_NSTD; k++) {
			if (auth_lc_cmp(h[i].name, auth_std[k]) != 0)
				continue;
			if (std[k] != NULL)
				return duet_err_set(
				    DUET_E_INVAL, "azureblob: header %s given twice", auth_std[k]);
			std[k] = h[i].value;
		}
	}
	if (*nx > 1)
		qsort(xms, *nx, sizeof(*xms), auth_hdr_cmp);
	for (size_t i = 1; i < *nx; i++)
		if (auth_lc_cmp(xms[i - 1]->name, xms[i]->name) == 0)
			return duet_err_set(DUET_E_INVAL, "azureblob: header %.64s given twice",
			                    xms[i]->name);
	return 0;
}

/* Appends the VERB line, the eleven standard lines and the x-ms-* lines. */
static int
auth_put_headers(struct duet_buf *out, const char *method, const char **std,
                 const struct duet_az_header **xms, size_t nx)
{
	int rc = duet_buf_puts(out, method);
	int has_date = 0;

	for (size_t i = 0; i < nx; i++)
		if (auth_lc_cmp(xms[i]->name, "x-ms-date") == 0)
			has_date = 1;
	for (size_t k = 0; rc == 0 && k < AUTH_NSTD; k++) {
		size_t n = 0;
		const char *v = std[k] != NULL ? auth_trim(std[k], &n) : "";
		if ((k == AUTH_CLEN && n == 1 && v[0] == '0') || (k == AUTH_DATE && has_date))
			n = 0;
		rc = duet_buf_putc(out, '\n');
		if (rc == 0)
			rc = duet_buf_append(out, v, n);
	}
	if (rc == 0)
		rc = duet_buf_putc(out, '\n');
	for (size_t i = 0; rc == 0 && i < nx; i++) {
		size_t n;
		const char *v = auth_trim(xms[i]->value, &n);
		for (const char *c = xms[i]->name; rc == 0 && *c != '\0'; c++)
			rc = duet_buf_putc(out, auth_lower(*c));
		if (rc == 0)
			rc = duet_buf_putc(out, ':');
		if (rc == 0)
			rc = duet_buf_append(out, v, n);
		if (rc == 0)
			rc = duet_buf_putc(out, '\n');
	}
	return rc;
}

int
duet_az_pct_decode(const char *s, size_t n, struct duet_buf *out)
{
	return duet_pct_decode(s, n, 0, out);
}

static int
auth_qp_cmp(const void *a, const void *b)
{
	const struct auth_qp *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c != 0 ? c : strcmp(x->value, y->value);
}

/* Decodes one "name=value" (value optional) into buf as two C strings,
 * the name lower-cased. */
static int
auth_qp_decode(const char *p, size_t seg, struct duet_buf *buf, struct auth_qp *q)
{
	size_t eq = strcspn(p, "=");
	int rc;

	if (eq > seg)
		eq = seg;
	q->noff = buf->len;
	rc = duet_pct_decode(p, eq, 1, buf);
	for (size_t i = q->noff; rc == 0 && i < buf->len; i++)
		buf->p[i] = auth_lower(buf->p[i]);
	if (rc == 0)
		rc = duet_buf_putc(buf, '\0');
	q->voff = buf->len;
	if (rc == 0 && eq < seg)
		rc = duet_pct_decode(p + eq + 1, seg - eq - 1, 1, buf);
	/* Both strings are C strings from here on: %00 would cut them. */
	if (rc == 0 && (strlen(buf->p + q->noff) != q->voff - q->noff - 1 ||
	                memchr(buf->p + q->voff, '\0', buf->len - q->voff) != NULL))
		rc = DUET_E_INVAL;
	if (rc == 0)
		rc = duet_buf_putc(buf, '\0');
	if (rc == DUET_E_INVAL)
		rc = duet_err_set(DUET_E_INVAL,
		                  "azureblob: bad %%-escape or %%00 in query parameter %.*s",
		                  (int)(eq < 64 ? eq : 64), p);
	return rc;
}

/* Decodes and sorts the parameters of query into *qp (caller frees), their
 * strings in buf. */
static int
auth_query_split(const char *query, struct duet_buf *buf, struct auth_qp **qp, size_t *nq)
{
	size_t max = 1, n = 0;
	const char *p;
	int rc = 0;

	for (p = query; *p != '\0'; p++)
		max += *p == '&';
	*qp = duet_calloc(max, sizeof(**qp));
	if (*qp == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory signing a request");
	for (p = query; rc == 0 && *p != '\0';) {
		size_t seg = strcspn(p, "&");
		if (seg > 0)
			rc = auth_qp_decode(p, seg, buf, &(*qp)[n++]);
		p += seg + (p[seg] == '&');
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		(*qp)[i].name = buf->p + (*qp)[i].noff;
		(*qp)[i].value = buf->p + (*qp)[i].voff;
	}
	if (rc == 0)
		qsort(*qp, n, sizeof(**qp), auth_qp_cmp);
	*nq = n;
	return rc;
}

/* Appends "/account" path and the "\nname:v1,v2" lines. */
static int
auth_put_resource(struct duet_buf *out, const char *account, const char *path, const char *query)
{
	struct duet_buf dec = DUET_BUF_INIT;
	struct auth_qp *qp = NULL;
	size_t nq = 0;
	int rc;

	rc = duet_buf_printf(out, "/%s%s", account, path);
	if (rc == 0 && query != NULL)
		rc = auth_query_split(query, &dec, &qp, &nq);
	for (size_t i = 0; rc == 0 && i < nq; i++) {
		int first = i == 0 || strcmp(qp[i - 1].name, qp[i].name) != 0;
		if (first)
			rc = duet_buf_printf(out, "\n%s:%s", qp[i].name, qp[i].value);
		else
			rc = duet_buf_printf(out, ",%s", qp[i].value);
	}
	duet_free(qp);
	duet_buf_dispose(&dec);
	return rc;
}

int
duet_az_string_to_sign(const char *account, const char *method, const char *path, const char *query,
                       const struct duet_az_header *h, size_t nh, struct duet_buf *out)
{
	const char *std[AUTH_NSTD] = {NULL};
	const struct duet_az_header **xms = NULL;
	size_t nx = 0;
	int rc;

	if (account == NULL || account[0] == '\0' || path == NULL || path[0] != '/')
		return duet_err_set(
		    DUET_E_INVAL,
		    "azureblob: signing needs an account and a path starting with '/'");
	xms = duet_calloc(nh > 0 ? nh : 1, sizeof(*xms));
	if (xms == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory signing a request");
	rc = auth_classify(h, nh, std, xms, &nx);
	if (rc == 0)
		rc = auth_put_headers(out, method, std, xms, nx);
	if (rc == 0)
		rc = auth_put_resource(out, account, path, query);
	duet_free(xms);
	return rc;
}

int
duet_az_hmac_b64(const struct duet_az_key *key, const void *msg, size_t n, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (key->len > INT_MAX ||
	    HMAC(EVP_sha256(), key->b, (int)key->len, msg, n, md, &mdlen) == NULL || mdlen != 32)
		return duet_err_set(DUET_E_IO, "azureblob: HMAC-SHA256 failed in OpenSSL");
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int
duet_az_sign(const char *account, const struct duet_az_key *key, const char *method,
             const char *path, const char *query, const struct duet_az_header *h, size_t nh,
             struct duet_buf *line)
{
	struct duet_buf sts = DUET_BUF_INIT;
	char sig[DUET_AZ_SIG_LEN];
	int rc;

	if (key->len == 0)
		return duet_err_set(DUET_E_INVAL, "azureblob: no account key to sign with");
	rc = duet_az_string_to_sign(account, method, path, query, h, nh, &sts);
	if (rc == 0)
		rc = duet_az_hmac_b64(key, sts.p, sts.len, sig);
	if (rc == 0)
		rc = duet_buf_printf(line, "Authorization: SharedKey %s:%s", account, sig);
	duet_buf_dispose(&sts);
	return rc;
}

/* Appends s with every byte but the unreserved ones (and '/' when
 * keep_slash) as %XX. */
static int
auth_encode(struct duet_buf *out, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = duet_buf_reserve(out, strlen(s));

	for (; rc == 0 && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash)) {
			rc = duet_buf_putc(out, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			rc = duet_buf_append(out, e, 3);
		}
	}
	return rc;
}

int
duet_az_path_encode(struct duet_buf *out, const char *name)
{
	return auth_encode(out, name, 1);
}

int
duet_az_query_add(struct duet_buf *q, const char *name, const char *value)
{
	int rc = 0;
	if (q->len > 0)
		rc = duet_buf_putc(q, '&');
	if (rc == 0)
		rc = duet_buf_puts(q, name);
	if (rc == 0)
		rc = duet_buf_putc(q, '=');
	if (rc == 0)
		rc = auth_encode(q, value, 0);
	return rc;
}

int
duet_az_base64_encode(const void *data, size_t n, struct duet_buf *out)
{
	size_t need;
	int rc;

	if (n > (size_t)INT_MAX / 2)
		return duet_err_set(DUET_E_INVAL, "azureblob: %zu bytes too many for base64", n);
	need = 4 * ((n + 2) / 3);
	rc = duet_buf_reserve(out, need);
	if (rc != 0)
		return rc;
	EVP_EncodeBlock((unsigned char *)out->p + out->len, data, (int)n);
	out->len += need;
	out->p[out->len] = '\0';
	return 0;
}

static int
auth_b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
duet_az_base64_decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *outlen)
{
	size_t pad = 0, len;

	*outlen = 0;
	if (n % 4 != 0)
		return DUET_E_INVAL;
	if (n > 0 && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	len = n / 4 * 3 - pad;
	if (len > cap)
		return DUET_E_INVAL;
	for (size_t i = 0, o = 0; i < n; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++) {
			v[k] = i + (size_t)k >= n - pad ? 0 : auth_b64val(s[i + (size_t)k]);
			if (v[k] < 0)
				return DUET_E_INVAL;
		}
		unsigned long w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
		                  (unsigned long)v[2] << 6 | (unsigned long)v[3];
		for (int k = 0; k < 3 && o < len; k++)
			out[o++] = (unsigned char)(w >> (16 - 8 * k));
	}
	*outlen = len;
	return 0;
}

int
duet_az_key_decode(const char *b64, struct duet_az_key *out)
{
	duet_az_key_wipe(out);
	if (b64 == NULL || b64[0] == '\0')
		return duet_err_set(DUET_E_AUTH, "azureblob: the account key is empty");
	if (duet_az_base64_decode(b64, strlen(b64), out->b, sizeof(out->b), &out->len) != 0 ||
	    out->len == 0) {
		duet_az_key_wipe(out);
		return duet_err_set(
		    DUET_E_AUTH,
		    "azureblob: the account key is not base64 (or longer than %d bytes)",
		    DUET_AZ_KEY_MAX);
	}
	return 0;
}

void
duet_az_key_wipe(struct duet_az_key *k)
{
	if (k == NULL)
		return;
	OPENSSL_cleanse(k->b, sizeof(k->b));
	k->len = 0;
}
