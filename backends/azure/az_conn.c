/*
 * az_conn.c: the azureblob config turned into a base URL and credentials,
 * and the per-request URL and signing path built from it. URLs are split
 * by hand into origin, path and query (a URL here is config, never a
 * server's answer); whether the host is an IP address or localhost
 * decides between host style and path style.
 */
#include "az_conn.h"

#include <openssl/crypto.h>
#include <string.h>

#include "az_sas.h"
#include "core/alloc.h"
#include "core/error.h"

/* The parts of an http(s) URL, as views into it. */
struct conn_url {
	size_t origin_len; /* "scheme://authority" */
	const char *host;  /* without port; IPv6 keeps its brackets */
	size_t host_len;
	const char *path; /* "" or starting with '/' */
	size_t path_len;
	const char *query; /* after '?', or NULL */
};

static int
conn_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static int
conn_prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++) {
		char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
		if (c != *prefix)
			return 0;
	}
	return 1;
}

/* Splits an absolute http(s) URL without userinfo, fragment, blanks or
 * control bytes; 0 or -1 (no message). */
static int
conn_split(const char *s, struct conn_url *u)
{
	const char *a, *end, *h;
	size_t alen;

	memset(u, 0, sizeof(*u));
	for (const char *c = s; *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -1;
	if (conn_prefix_ci(s, "https://"))
		a = s + 8;
	else if (conn_prefix_ci(s, "http://"))
		a = s + 7;
	else
		return -1;
	alen = strcspn(a, "/?#");
	if (memchr(a, '@', alen) != NULL)
		return -1;
	h = a;
	if (*h == '[') {
		end = memchr(h, ']', alen);
		if (end == NULL)
			return -1;
		u->host_len = (size_t)(end - h) + 1;
	} else {
		u->host_len = strcspn(h, ":/?#");
	}
	for (size_t i = u->host_len; i < alen; i++)
		if (!(i == u->host_len && a[i] == ':') && (a[i] < '0' || a[i] > '9'))
			return -1;
	if (u->host_len == 0 || strchr(a, '#') != NULL)
		return -1;
	u->host = h;
	u->origin_len = (size_t)(a - s) + alen;
	u->path = a + alen;
	u->path_len = strcspn(u->path, "?");
	if (u->path[u->path_len] == '?')
		u->query = u->path + u->path_len + 1;
	return 0;
}

/* localhost, a dotted IPv4 address or a bracketed IPv6 one. */
static int
conn_host_is_ip(const char *h, size_t n)
{
	int dots = 0;

	if (n == 9 && conn_prefix_ci(h, "localhost"))
		return 1;
	if (h[0] == '[')
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (h[i] == '.')
			dots++;
		else if (h[i] < '0' || h[i] > '9')
			return 0;
	}
	return dots == 3;
}

/* Account names: letters, digits, '-', '_'; container names may also
 * hold '$' ($root, $web). Both go into URLs unencoded. */
static int
conn_check_name(const char *a, size_t n, int container)
{
	if (n == 0 || n > 63)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || (c == '$' && container)))
			return -1;
	}
	return 0;
}

/* The next path segment after *p (skipping one '/'), advancing *p. */
static size_t
conn_segment(const char **p, const char *end, const char **seg)
{
	size_t n;

	if (*p < end && **p == '/')
		(*p)++;
	*seg = *p;
	n = strcspn(*p, "/?");
	if (*p + n > end)
		n = (size_t)(end - *p);
	*p += n;
	return n;
}

/* Sets c->base (origin + optional "/account") and c->origin_len. */
static int
conn_set_base(struct duet_az_conn *c, const char *origin, size_t olen, const char *path,
              size_t plen)
{
	struct duet_buf b = DUET_BUF_INIT;
	int rc = duet_buf_append(&b, origin, olen);

	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	if (rc == 0)
		rc = duet_buf_append(&b, path, plen);
	if (rc != 0) {
		duet_buf_dispose(&b);
		return rc;
	}
	c->base = duet_buf_detach(&b);
	c->origin_len = olen;
	return 0;
}

static int
conn_sas_bad(const char *sas_url, const char *why)
{
	struct duet_buf r = DUET_BUF_INIT;
	int rc;

	if (duet_az_redact(sas_url, &r) != 0)
		return duet_err_set(DUET_E_INVAL, "azureblob: sas_url %s", why);
	rc = duet_err_set(DUET_E_INVAL, "azureblob: sas_url %s: %.200s", why, r.p);
	duet_buf_dispose(&r);
	return rc;
}

static int
conn_has_sig(const char *q)
{
	for (const char *p = q; *p != '\0'; p += strcspn(p, "&"), p += *p == '&')
		if (conn_prefix_ci(p, "sig="))
			return 1;
	return 0;
}

/* Reads account, container, base and token out of a SAS URL. */
static int
conn_sas(struct duet_az_conn *c, const char *sas_url)
{
	struct conn_url u;
	const char *p, *end, *acc, *ctr, *rest;
	size_t alen, clen;
	int rc;

	if (conn_split(sas_url, &u) != 0)
		return conn_sas_bad(sas_url, "is not an http(s) URL without a fragment");
	if (u.query == NULL || !conn_has_sig(u.query))
		return conn_sas_bad(sas_url, "has no signature (sig=)");
	p = u.path;
	end = u.path + u.path_len;
	if (conn_host_is_ip(u.host, u.host_len)) {
		alen = conn_segment(&p, end, &acc);
	} else {
		acc = u.host;
		alen = strcspn(u.host, ".:");
	}
	clen = conn_segment(&p, end, &ctr);
	if (conn_segment(&p, end, &rest) > 0)
		return conn_sas_bad(sas_url, "must name an account or a container, not a blob");
	if (conn_check_name(acc, alen, 0) != 0 || (clen > 0 && conn_check_name(ctr, clen, 1) != 0))
		return conn_sas_bad(sas_url, "has a bad account or container name");
	c->account = duet_strndup(acc, alen);
	c->container = clen > 0 ? duet_strndup(ctr, clen) : NULL;
	c->sas = duet_strdup(u.query);
	if (c->account == NULL || (clen > 0 && c->container == NULL) || c->sas == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory reading sas_url");
	if (conn_host_is_ip(u.host, u.host_len))
		rc = conn_set_base(c, sas_url, u.origin_len, acc - 1, alen + 1);
	else
		rc = conn_set_base(c, sas_url, u.origin_len, "", 0);
	c->auth = DUET_AZ_AUTH_SAS;
	return rc;
}

/* The base URL from the endpoint key (see az_conn.h). */
static int
conn_endpoint(struct duet_az_conn *c, const char *endpoint)
{
	struct duet_buf b = DUET_BUF_INIT;
	struct conn_url u;
	int rc;

	if (!conn_set(endpoint))
		endpoint = DUET_AZ_DEFAULT_DOMAIN;
	if (strstr(endpoint, "://") == NULL) {
		rc = duet_buf_printf(&b, "https://%s.%s", c->account, endpoint);
		if (rc == 0 && (conn_split(b.p, &u) != 0 || u.path_len > 0 || u.query != NULL))
			rc = duet_err_set(DUET_E_INVAL, "azureblob: bad endpoint %.200s", endpoint);
		if (rc == 0)
			rc = conn_set_base(c, b.p, b.len, "", 0);
		duet_buf_dispose(&b);
		return rc;
	}
	if (conn_split(endpoint, &u) != 0 || u.query != NULL)
		return duet_err_set(
		    DUET_E_INVAL,
		    "azureblob: endpoint %.200s is not an http(s) URL without a query", endpoint);
	if (u.path_len <= 1 && conn_host_is_ip(u.host, u.host_len)) {
		rc = duet_buf_printf(&b, "/%s", c->account);
		if (rc == 0)
			rc = conn_set_base(c, endpoint, u.origin_len, b.p, b.len);
		duet_buf_dispose(&b);
		return rc;
	}
	return conn_set_base(c, endpoint, u.origin_len, u.path, u.path_len);
}

/* Account + key, or account alone. */
static int
conn_account(struct duet_az_conn *c, const char *account, const char *key, const char *endpoint)
{
	int rc;

	if (conn_check_name(account, strlen(account), 0) != 0)
		return duet_err_set(DUET_E_INVAL, "azureblob: bad account name \"%.64s\"", account);
	c->account = duet_strdup(account);
	if (c->account == NULL)
		return duet_err_set(DUET_E_NOMEM, "azureblob: out of memory");
	c->auth = DUET_AZ_AUTH_ANON;
	if (conn_set(key)) {
		rc = duet_az_key_decode(key, &c->key);
		if (rc != 0)
			return rc;
		c->auth = DUET_AZ_AUTH_KEY;
	}
	return conn_endpoint(c, endpoint);
}

int
duet_az_conn_init(struct duet_az_conn *c, const struct duet_az_conf *conf)
{
	const char *account = conf->account, *key = conf->key, *endpoint = conf->endpoint;
	int rc;

	memset(c, 0, sizeof(*c));
	if (conf->use_emulator) {
		account = conn_set(account) ? account : DUET_AZ_DEV_ACCOUNT;
		key = conn_set(key) ? key : DUET_AZ_DEV_KEY;
		endpoint = conn_set(endpoint) ? endpoint : DUET_AZ_DEV_ENDPOINT;
	}
	if (conn_set(account) && conn_set(key))
		rc = conn_account(c, account, key, endpoint);
	else if (conn_set(conf->sas_url))
		rc = conn_sas(c, conf->sas_url);
	else if (conn_set(account))
		rc = conn_account(c, account, NULL, endpoint);
	else
		rc = duet_err_set(DUET_E_INVAL, "azureblob: no credentials: set account and key, "
		                                "sas_url, or use_emulator");
	if (rc != 0)
		duet_az_conn_dispose(c);
	return rc;
}

void
duet_az_conn_dispose(struct duet_az_conn *c)
{
	if (c == NULL)
		return;
	if (c->sas != NULL)
		OPENSSL_cleanse(c->sas, strlen(c->sas));
	duet_free(c->sas);
	duet_free(c->base);
	duet_free(c->account);
	duet_free(c->container);
	duet_az_key_wipe(&c->key);
	memset(c, 0, sizeof(*c));
}

/* Appends the base's path, then "/container[/blob]" encoded. */
static int
conn_path(const struct duet_az_conn *c, const char *container, const char *blob,
          struct duet_buf *path)
{
	int rc = duet_buf_puts(path, c->base + c->origin_len);
	if (rc == 0)
		rc = duet_buf_putc(path, '/');
	if (rc == 0 && container != NULL)
		rc = duet_az_path_encode(path, container);
	if (rc == 0 && container != NULL && blob != NULL)
		rc = duet_buf_putc(path, '/');
	if (rc == 0 && container != NULL && blob != NULL)
		rc = duet_az_path_encode(path, blob);
	return rc;
}

int
duet_az_conn_url(const struct duet_az_conn *c, const char *container, const char *blob,
                 const char *query, struct duet_buf *url, struct duet_buf *path)
{
	struct duet_buf p = DUET_BUF_INIT;
	int rc = conn_path(c, container, blob, &p);
	int hasq = conn_set(query);

	if (rc == 0 && path != NULL)
		rc = duet_buf_append(path, p.p, p.len);
	if (rc == 0 && url != NULL) {
		rc = duet_buf_append(url, c->base, c->origin_len);
		if (rc == 0)
			rc = duet_buf_append(url, p.p, p.len);
		if (rc == 0 && hasq)
			rc = duet_buf_printf(url, "?%s", query);
		if (rc == 0 && c->sas != NULL)
			rc = duet_buf_printf(url, "%c%s", hasq ? '&' : '?', c->sas);
	}
	duet_buf_dispose(&p);
	return rc;
}

int
duet_az_conn_authorize(const struct duet_az_conn *c, const char *method, const char *path,
                       const char *query, const struct duet_az_header *h, size_t nh,
                       struct duet_buf *line)
{
	if (c->auth != DUET_AZ_AUTH_KEY)
		return 0;
	return duet_az_sign(c->account, &c->key, method, path, query, h, nh, line);
}
