/*
 * http_err.c: what a finished attempt means. Classifies curl results and
 * HTTP statuses as success, retryable or final, maps them to DUET_E_*
 * codes with one-line messages, computes the wait before a retry
 * (Retry-After, else exponential backoff with jitter), and redacts the
 * secrets of URLs, which every message and log line goes through.
 */
#include "http_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/error.h"

#define ERR_MS 1000000LL /* ns per ms */

/* The query parameters whose values are secret (any case). */
static const char *const err_secret_params[] = {
	"sig", "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token",
};

static const char *const err_secret_headers[] = {
	"Authorization", "Proxy-Authorization", "x-amz-security-token",
	"x-ms-copy-source-authorization", "Cookie",
};

/* An output cursor that truncates with "..." instead of overflowing. */
struct err_out {
	char *p;
	size_t cap, len;
	int cut;
};

static void
err_put(struct err_out *o, const char *s, size_t n)
{
	size_t room;

	if (o->cut)
		return;
	room = o->cap - 1 - o->len;
	if (n > room) {
		o->cut = 1;
		n = room;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static int
err_param_secret(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(err_secret_params) / sizeof(err_secret_params[0]); i++)
		if (strlen(err_secret_params[i]) == n &&
		    strncasecmp(err_secret_params[i], name, n) == 0)
			return 1;
	return 0;
}

/* Copies the query q (up to '#' or its end) with secret values replaced;
 * returns the bytes of the query consumed. */
static size_t
err_redact_query(struct err_out *o, const char *q)
{
	size_t i = 0, start, name_end;

	while (q[i] != '\0' && q[i] != '#') {
		start = i;
		while (q[i] != '\0' && q[i] != '#' && q[i] != '&' && q[i] != '=')
			i++;
		name_end = i;
		if (q[i] == '=') {
			while (q[i] != '\0' && q[i] != '#' && q[i] != '&')
				i++;
			if (err_param_secret(q + start, name_end - start)) {
				err_put(o, q + start, name_end - start);
				err_put(o, "=REDACTED", 9);
			} else {
				err_put(o, q + start, i - start);
			}
		} else {
			err_put(o, q + start, i - start);
		}
		if (q[i] == '&') {
			err_put(o, "&", 1);
			i++;
		}
	}
	return i;
}

char *
duet_http_redact(const char *url, char *out, size_t outsz)
{
	struct err_out o = {out, outsz, 0, 0};
	const char *auth, *end, *at, *colon, *q;

	if (outsz == 0)
		return out;
	auth = strstr(url, "://");
	auth = auth != NULL ? auth + 3 : url;
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon != NULL) {
		err_put(&o, url, (size_t)(colon - url));
		err_put(&o, ":REDACTED", 9);
		url = at;
	}
	q = strchr(url, '?');
	if (q == NULL) {
		err_put(&o, url, strlen(url));
	} else {
		err_put(&o, url, (size_t)(q - url) + 1);
		q += 1 + err_redact_query(&o, q + 1);
		err_put(&o, q, strlen(q));
	}
	out[o.len] = '\0';
	if (o.cut && outsz > 4)
		memcpy(out + outsz - 4, "...", 4);
	return out;
}

int
duet_http_header_secret(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(err_secret_headers) / sizeof(err_secret_headers[0]); i++)
		if (strcasecmp(err_secret_headers[i], name) == 0)
			return 1;
	return 0;
}

/* The host of url (no user info, no port) into out. */
static void
err_host(const char *url, char *out, size_t outsz)
{
	const char *h = strstr(url, "://"), *end, *at;
	size_t n;

	h = h != NULL ? h + 3 : url;
	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	if (at != NULL)
		h = at + 1;
	if (*h == '[')
		n = strcspn(h, "]") + (h[strcspn(h, "]")] == ']');
	else
		n = strcspn(h, ":/?#");
	if (n > (size_t)(end - h))
		n = (size_t)(end - h);
	snprintf(out, outsz, "%.*s", (int)n, h);
}

static struct http_verdict
err_curl_verdict(CURLcode cc)
{
	struct http_verdict v = {DUET_E_NET, 0};

	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
		v.retry = 1;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SEND_FAIL_REWIND:
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		v.code = DUET_E_INVAL;
		break;
	case CURLE_OUT_OF_MEMORY:
		v.code = DUET_E_NOMEM;
		break;
	default:
		v.code = DUET_E_IO;
		break;
	}
	return v;
}

static struct http_verdict
err_status_verdict(long st)
{
	struct http_verdict v = {DUET_E_IO, 0};

	if (st >= 200 && st < 300)
		v.code = 0;
	else if (st == 401 || st == 403)
		v.code = DUET_E_AUTH;
	else if (st == 404)
		v.code = DUET_E_NOTFOUND;
	else if (st == 409 || st == 412)
		v.code = DUET_E_EXIST;
	else if (st == 405 || st == 501)
		v.code = DUET_E_UNSUPPORTED;
	else if (st == 400 || st == 411 || (st >= 413 && st <= 416))
		v.code = DUET_E_INVAL;
	else if (st == 507)
		v.code = DUET_E_NOSPC;
	else if (st == 408 || st == 429 || st == 500 || st == 502 || st == 503 || st == 504)
		v = (struct http_verdict){DUET_E_TEMP, 1};
	else if (st >= 500)
		v.code = DUET_E_TEMP;
	return v;
}

struct http_verdict
http_verdict(const struct http_xfer *x)
{
	struct http_verdict v = {0, 0};

	if (x->code != 0)
		v.code = x->code;
	else if (x->cc != CURLE_OK)
		v = err_curl_verdict(x->cc);
	else
		v = err_status_verdict(x->resp->status);
	return v;
}

void
http_describe(const struct http_xfer *x, char *out, size_t outsz)
{
	const char *detail = x->slot->errbuf;

	if (x->cc == CURLE_OK && x->code == 0) {
		snprintf(out, outsz, "HTTP %ld%s%s", x->resp->status,
		    x->resp->reason[0] ? " " : "", x->resp->reason);
		return;
	}
	if (detail[0] == '\0')
		detail = curl_easy_strerror(x->cc);
	snprintf(out, outsz, "%s", detail);
}

int
http_fail(const struct http_xfer *x, struct http_verdict v)
{
	char url[512], host[256], what[CURL_ERROR_SIZE + 64], after[48] = "";

	if (x->code != 0)
		return x->code; /* a callback set its own message */
	duet_http_redact(x->req->url, url, sizeof(url));
	if (x->attempt > 1)
		snprintf(after, sizeof(after), " (after %d tries)", x->attempt);
	if (x->cc == CURLE_PEER_FAILED_VERIFICATION) {
		err_host(x->req->url, host, sizeof(host));
		return duet_err_set(v.code, "%s %s: TLS certificate of %s not trusted: %s; "
		    "set ca_cert or fix the server's certificate", x->req->method, url,
		    host, x->slot->errbuf[0] ? x->slot->errbuf : "verification failed");
	}
	if (x->cc == CURLE_SSL_CACERT_BADFILE)
		return duet_err_set(v.code, "%s %s: cannot use ca_cert %s: %s", x->req->method,
		    url, x->c->ca_cert ? x->c->ca_cert : "(system)", x->slot->errbuf);
	http_describe(x, what, sizeof(what));
	return duet_err_set(v.code, "%s %s: %s%s", x->req->method, url, what, after);
}

/* A pseudo-random 64-bit number for jitter; thread-safe without locks. */
static uint64_t
err_rand(void)
{
	static _Atomic uint64_t state;
	uint64_t z;

	z = atomic_fetch_add(&state, 0x9e3779b97f4a7c15ULL) + (uint64_t)time(NULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ns a Retry-After value asks for: seconds or an HTTP date. -1 if bad. */
static int64_t
err_retry_after(const char *v)
{
	int64_t s = 0;
	time_t t;
	const char *p;

	if (*v >= '0' && *v <= '9') {
		for (p = v; *p >= '0' && *p <= '9'; p++)
			if (s < 1000000000)
				s = s * 10 + (*p - '0');
		return *p == '\0' ? s * 1000 * ERR_MS : -1;
	}
	t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	s = (int64_t)t - (int64_t)time(NULL);
	return s > 0 ? s * 1000 * ERR_MS : 0;
}

int64_t
http_retry_wait(const struct duet_http *c, const struct duet_http_resp *resp, int attempt)
{
	const char *ra = duet_http_resp_header(resp, "Retry-After");
	int64_t w = -1, cap, base;
	int i;

	if (ra != NULL && resp->status != 0)
		w = err_retry_after(ra);
	if (w >= 0) {
		cap = (int64_t)c->o.retry_after_max_ms * ERR_MS;
		return w < cap ? w : cap;
	}
	cap = (int64_t)c->o.backoff_max_ms * ERR_MS;
	base = (int64_t)c->o.backoff_ms * ERR_MS;
	for (i = 1; i < attempt && base < cap; i++)
		base *= 2;
	if (base > cap)
		base = cap;
	/* Equal jitter: half fixed, half random, so waits never collapse. */
	return base / 2 + (int64_t)(err_rand() % (uint64_t)(base / 2 + 1));
}
