/*
 * http.c: the client of http.h: options, libcurl's one-time setup, the
 * share (DNS cache and TLS sessions for every handle of the client, with
 * its lock callbacks), the pool of slots that worker threads borrow (at
 * most max_conns; idle ones stack LIFO so a thread finds its warm
 * connection again), and the retry loop around attempts.
 */
#include "http_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_rc = CURLE_FAILED_INIT;

static void
http_global_init(void)
{
	http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
duet_http_opts_init(struct duet_http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = DUET_HTTP_DEF_CONNECT_MS;
	o->idle_timeout_ms = DUET_HTTP_DEF_IDLE_MS;
	o->low_level_retries = DUET_HTTP_DEF_RETRIES;
	o->max_conns = DUET_HTTP_DEF_MAX_CONNS;
	o->backoff_ms = DUET_HTTP_DEF_BACKOFF_MS;
	o->backoff_max_ms = DUET_HTTP_DEF_BACKOFF_MAX_MS;
	o->retry_after_max_ms = DUET_HTTP_DEF_RETRY_AFTER_MAX_MS;
}

static void
http_share_lock(CURL *h, curl_lock_data data, curl_lock_access acc, void *ud)
{
	struct duet_http *c = ud;

	(void)h;
	(void)acc;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->share_mu[data]);
}

static void
http_share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct duet_http *c = ud;

	(void)h;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->share_mu[data]);
}

static int
http_share_new(struct duet_http *c)
{
	CURLSHcode sc = CURLSHE_OK;

	while (c->share_mu_n < CURL_LOCK_DATA_LAST) {
		if (pthread_mutex_init(&c->share_mu[c->share_mu_n], NULL) != 0)
			return duet_err_set(DUET_E_NOMEM, "http: cannot create a mutex");
		c->share_mu_n++;
	}
	c->share = curl_share_init();
	if (c->share == NULL)
		return duet_err_set(DUET_E_NOMEM, "http: cannot create a curl share");
	if (sc == CURLSHE_OK)
		sc = curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, http_share_lock);
	if (sc == CURLSHE_OK)
		sc = curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, http_share_unlock);
	if (sc == CURLSHE_OK)
		sc = curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	if (sc == CURLSHE_OK)
		sc = curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	if (sc == CURLSHE_OK)
		sc = curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	if (sc != CURLSHE_OK)
		return duet_err_set(DUET_E_IO, "http: curl share: %s", curl_share_strerror(sc));
	return 0;
}

/* Releases whatever of c was set up (duet_http_new's failures too). */
static void
http_teardown(struct duet_http *c)
{
	struct http_slot *s;
	int i;

	while ((s = c->idle) != NULL) {
		c->idle = s->next;
		curl_multi_cleanup(s->multi);
		curl_easy_cleanup(s->easy);
		duet_free(s);
	}
	if (c->share != NULL)
		curl_share_cleanup(c->share);
	for (i = 0; i < c->share_mu_n; i++)
		pthread_mutex_destroy(&c->share_mu[i]);
	if (c->pool_ok) {
		pthread_cond_destroy(&c->pool_cv);
		pthread_mutex_destroy(&c->pool_mu);
	}
	duet_free(c->user_agent);
	duet_free(c->ca_cert);
	duet_free(c);
}

int
duet_http_new(const struct duet_http_opts *o, struct duet_http **out)
{
	struct duet_http *c;
	int rc = 0;

	*out = NULL;
	pthread_once(&http_once, http_global_init);
	if (http_global_rc != CURLE_OK)
		return duet_err_set(DUET_E_IO, "http: curl_global_init: %s",
		    curl_easy_strerror(http_global_rc));
	c = duet_calloc(1, sizeof(*c));
	if (c == NULL)
		return duet_err_set(DUET_E_NOMEM, "http: out of memory");
	c->o = *o;
	if (c->o.max_conns < 1)
		c->o.max_conns = 1;
	c->bw = o->bwlimit != NULL ? o->bwlimit : duet_bwlimit_global();
	c->user_agent = duet_strdup(o->user_agent != NULL ? o->user_agent : "duet");
	c->ca_cert = o->ca_cert != NULL ? duet_strdup(o->ca_cert) : NULL;
	c->o.user_agent = c->user_agent;
	c->o.ca_cert = c->ca_cert;
	if (c->user_agent == NULL || (o->ca_cert != NULL && c->ca_cert == NULL)) {
		rc = duet_err_set(DUET_E_NOMEM, "http: out of memory");
		goto out;
	}
	if (pthread_mutex_init(&c->pool_mu, NULL) != 0) {
		rc = duet_err_set(DUET_E_NOMEM, "http: cannot create a mutex");
		goto out;
	}
	if (pthread_cond_init(&c->pool_cv, NULL) != 0) {
		pthread_mutex_destroy(&c->pool_mu);
		rc = duet_err_set(DUET_E_NOMEM, "http: cannot create a condition");
		goto out;
	}
	c->pool_ok = 1;
	rc = http_share_new(c);
out:
	if (rc != 0)
		http_teardown(c);
	else
		*out = c;
	return rc;
}

void
duet_http_free(struct duet_http *c)
{
	if (c != NULL)
		http_teardown(c);
}

static int
http_slot_new(struct http_slot **out)
{
	struct http_slot *s;

	*out = NULL;
	s = duet_calloc(1, sizeof(*s));
	if (s == NULL)
		return duet_err_set(DUET_E_NOMEM, "http: out of memory");
	s->easy = curl_easy_init();
	s->multi = curl_multi_init();
	if (s->easy == NULL || s->multi == NULL) {
		curl_multi_cleanup(s->multi);
		curl_easy_cleanup(s->easy);
		duet_free(s);
		return duet_err_set(DUET_E_NOMEM, "http: cannot create a curl handle");
	}
	*out = s;
	return 0;
}

int
http_slot_get(struct duet_http *c, struct http_slot **out)
{
	struct http_slot *s;
	int rc;

	pthread_mutex_lock(&c->pool_mu);
	while (c->idle == NULL && c->nslots >= c->o.max_conns)
		pthread_cond_wait(&c->pool_cv, &c->pool_mu);
	s = c->idle;
	if (s != NULL)
		c->idle = s->next;
	else
		c->nslots++;
	pthread_mutex_unlock(&c->pool_mu);
	if (s != NULL) {
		*out = s;
		return 0;
	}
	rc = http_slot_new(out);
	if (rc != 0) {
		pthread_mutex_lock(&c->pool_mu);
		c->nslots--;
		pthread_cond_signal(&c->pool_cv);
		pthread_mutex_unlock(&c->pool_mu);
	}
	return rc;
}

void
http_slot_put(struct duet_http *c, struct http_slot *s)
{
	pthread_mutex_lock(&c->pool_mu);
	s->next = c->idle;
	c->idle = s;
	pthread_cond_signal(&c->pool_cv);
	pthread_mutex_unlock(&c->pool_mu);
}

static void
http_sleep(const struct duet_http *c, int64_t ns)
{
	struct timespec ts;

	if (c->o.sleep != NULL) {
		c->o.sleep(c->o.sleep_ctx, ns);
		return;
	}
	ts.tv_sec = (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The stream's stop condition: a 2xx whose headers are in. */
static int
http_headers_2xx(struct http_xfer *x)
{
	return x->hdr_done && x->resp->status >= 200 && x->resp->status < 300;
}

/* Logs a retry at DEBUG: method, redacted URL, why, when. */
static void
http_log_retry(const struct http_xfer *x, int max, int64_t wait)
{
	char url[512], why[CURL_ERROR_SIZE + 64];

	if (!duet_log_enabled(DUET_LOG_DEBUG))
		return;
	duet_http_redact(x->req->url, url, sizeof(url));
	http_describe(x, why, sizeof(why));
	duet_log(DUET_LOG_DEBUG, "http: %s %s: %s; retry %d/%d in %lld ms",
	    x->req->method, url, why, x->attempt + 1, max, (long long)(wait / 1000000));
}

int
http_run(struct http_xfer *x, int stop_at_headers)
{
	struct duet_http *c = x->c;
	int max = c->o.low_level_retries < 1 ? 1 : c->o.low_level_retries;
	struct http_verdict v;
	int64_t wait;
	int rc;

	for (x->attempt = 1;; x->attempt++) {
		rc = http_xfer_start(x);
		if (rc == 0)
			rc = http_xfer_drive(x, stop_at_headers ? http_headers_2xx : NULL);
		x->resp->tries = x->attempt;
		if (rc != 0) {
			http_xfer_end(x);
			return rc;
		}
		if (!x->done)
			return 0; /* a stream's 2xx: the body follows */
		v = http_verdict(x);
		http_xfer_end(x);
		if (v.code == 0)
			return 0;
		if (!v.retry || x->attempt >= max)
			return http_fail(x, v);
		rc = http_xfer_rewind(x);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			duet_log(DUET_LOG_DEBUG, "http: %s: not retried, the body "
			    "cannot be sent again", x->req->method);
			return http_fail(x, v);
		}
		wait = http_retry_wait(c, x->resp, x->attempt);
		http_log_retry(x, max, wait);
		http_sleep(c, wait);
	}
}

int
duet_http_do(struct duet_http *c, const struct duet_http_req *req,
    struct duet_http_resp *resp)
{
	struct http_xfer x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.req = req;
	x.resp = resp;
	rc = http_slot_get(c, &x.slot);
	if (rc != 0)
		return rc;
	rc = http_run(&x, 0);
	http_slot_put(c, x.slot);
	duet_buf_dispose(&x.sbuf);
	return rc;
}
