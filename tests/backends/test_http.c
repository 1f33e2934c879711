/*
 * test_http.c: the HTTP layer against a real local server (http_server.py,
 * started by support_http.c in plain HTTP and in TLS with a self-signed
 * certificate): requests and headers, connection reuse, the retry policy
 * (statuses, Retry-After, backoff, the signer per attempt), error mapping,
 * redaction and TLS verification. Timing is only checked as a lower bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/http/http.h"
#include "backends/http/http_int.h"
#include "tests/support/support_http.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"

/* ---- basic requests ---- */

static void
test_methods_and_headers(void **state)
{
	struct duet_http *c = ht_client(1, NULL, NULL);
	struct duet_http_resp r;
	struct duet_http_req q = {0};
	const char *hdrs[] = {"X-One: 1", "x-amz-meta-color: blue"};
	const char *name, *value;
	size_t pos = 0, nl;
	char u[128], sha[65];

	(void)state;
	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/echo");
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.reason, "OK");
	assert_int_equal(r.tries, 1);
	assert_non_null(strstr(r.body.p, "\"method\": \"GET\""));
	/* Header lookup ignores case and trims. */
	assert_string_equal(duet_http_resp_header(&r, "etag"), "\"etag-200\"");
	assert_string_equal(duet_http_resp_header(&r, "X-TEST-META"), "Some Value");
	assert_null(duet_http_resp_header(&r, "X-Test"));
	assert_int_equal(duet_http_resp_header_next(&r, &pos, "x-test-", &name, &nl, &value), 1);
	assert_int_equal(nl, 11);
	assert_memory_equal(name, "X-Test-Meta", 11);
	assert_int_equal(duet_http_resp_header_next(&r, &pos, "x-test-", &name, &nl, &value), 0);

	/* PUT from memory, with headers; no Expect, no form Content-Type. */
	q.method = "PUT";
	q.url = u;
	q.headers = hdrs;
	q.nheaders = 2;
	q.body = "hello";
	q.body_len = 5;
	assert_int_equal(duet_http_do(c, &q, &r), 0);
	ht_sha256_hex("hello", 5, sha);
	assert_int_equal(ht_json_num(r.body.p, "len", 0), 5);
	assert_non_null(strstr(r.body.p, sha));
	assert_non_null(strstr(r.body.p, "[\"X-One\", \"1\"]"));
	assert_non_null(strstr(r.body.p, "[\"x-amz-meta-color\", \"blue\"]"));
	assert_null(strstr(r.body.p, "Expect"));
	assert_null(strstr(r.body.p, "Content-Type"));

	q.method = "POST";
	assert_int_equal(duet_http_do(c, &q, &r), 0);
	assert_non_null(strstr(r.body.p, "\"method\": \"POST\""));
	assert_int_equal(ht_json_num(r.body.p, "len", 0), 5);
	assert_null(strstr(r.body.p, "Content-Type"));

	/* A body-less PUT still says Content-Length: 0. */
	q.method = "PUT";
	q.body = NULL;
	q.body_len = 0;
	assert_int_equal(duet_http_do(c, &q, &r), 0);
	assert_non_null(strstr(r.body.p, "[\"Content-Length\", \"0\"]"));

	assert_int_equal(ht_req(c, "DELETE", u, &r), 0);
	assert_non_null(strstr(r.body.p, "\"method\": \"DELETE\""));
	assert_int_equal(ht_req(c, "HEAD", u, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

static void
test_hdrs_add_rejects_bad_lines(void **state)
{
	struct duet_http_hdrs h = {NULL};

	(void)state;
	assert_int_equal(duet_http_hdrs_add(&h, "X-A: 1\r\nX-Evil: 2"), DUET_E_INVAL);
	assert_int_equal(duet_http_hdrs_add(&h, "no colon"), DUET_E_INVAL);
	assert_int_equal(duet_http_hdrs_addf(&h, "X-N: %d", 7), 0);
	assert_string_equal(h.list->data, "X-N: 7");
	curl_slist_free_all(h.list);
}

/* Every allocation of a client and a request may fail: the failure is
 * DUET_E_NOMEM, never a crash or a leak (ASan builds check the latter). */
static void
test_allocation_failures(void **state)
{
	struct duet_http_opts o;
	struct duet_http *c;
	struct duet_http_resp r;
	char u[128];
	int n, rc, nomem = 0;

	(void)state;
	duet_http_opts_init(&o);
	o.ca_cert = "/etc/ssl/certs/ca-certificates.crt";
	ht_url(u, sizeof(u), &ht_plain, "/echo");
	for (n = 1; n <= 30; n++) {
		duet_http_resp_init(&r);
		c = NULL;
		duet_alloc_fail_at(n);
		rc = duet_http_new(&o, &c);
		if (rc == 0)
			rc = ht_req(c, "GET", u, &r);
		duet_alloc_fail_at(0);
		/* A success is complete: no header silently dropped (the
		 * server sends Server, Date, Content-Type, Content-Length,
		 * ETag and X-Test-Meta). */
		if (rc == 0) {
			size_t pos = 0, nl, nh = 0;
			const char *name, *value;
			while (duet_http_resp_header_next(&r, &pos, "", &name, &nl, &value))
				nh++;
			assert_int_equal(nh, 6);
		}
		duet_http_free(c);
		duet_http_resp_dispose(&r);
		assert_true(rc == 0 || rc == DUET_E_NOMEM);
		if (rc == DUET_E_NOMEM)
			nomem++;
	}
	assert_true(nomem >= 4); /* user agent, ca_cert, client, body, headers */
}

/* ---- connection reuse ---- */

static void
test_reuse_one_thread(void **state)
{
	struct duet_http *c = ht_client(1, NULL, NULL);
	struct duet_http_resp r;
	char u[128];
	long before, after;
	int i;

	(void)state;
	duet_http_resp_init(&r);
	before = ht_conns(c); /* opens the connection the rest reuse */
	ht_url(u, sizeof(u), &ht_plain, "/echo");
	for (i = 0; i < 20; i++)
		assert_int_equal(ht_req(c, "GET", u, &r), 0);
	after = ht_conns(c);
	assert_int_equal(after, before);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

struct par {
	struct duet_http *c;
	int fails;
};

static void *
par_worker(void *arg)
{
	struct par *p = arg;
	struct duet_http_resp r;
	char u[128];
	int i;

	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/echo");
	for (i = 0; i < 15; i++)
		if (ht_req(p->c, "GET", u, &r) != 0 || r.status != 200)
			__atomic_add_fetch(&p->fails, 1, __ATOMIC_SEQ_CST);
	duet_http_resp_dispose(&r);
	return NULL;
}

static void
test_reuse_threads_bounded(void **state)
{
	struct duet_http_opts o;
	struct duet_http *c = NULL;
	struct par p = {NULL, 0};
	pthread_t th[6];
	long before, after;
	int i;

	(void)state;
	duet_http_opts_init(&o);
	o.max_conns = 3;
	assert_int_equal(duet_http_new(&o, &c), 0);
	p.c = c;
	before = ht_conns(c);
	for (i = 0; i < 6; i++)
		assert_int_equal(pthread_create(&th[i], NULL, par_worker, &p), 0);
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	after = ht_conns(c);
	assert_int_equal(p.fails, 0);
	/* 90 requests on 6 threads, at most 3 connections (one was open). */
	assert_true(after - before <= 2);
	duet_http_free(c);
}

/* ---- retries ---- */

struct signer {
	int calls;
	int fail; /* return this code instead */
};

static int
sign_cb(void *ctx, const struct duet_http_req *req, struct duet_http_hdrs *add)
{
	struct signer *s = ctx;

	assert_non_null(req->url);
	if (s->fail != 0)
		return duet_err_set(s->fail, "signer refuses");
	s->calls++;
	return duet_http_hdrs_addf(add, "X-Sig: attempt-%d", s->calls);
}

static void
test_retry_503_then_ok_signs_each_attempt(void **state)
{
	struct ht_waits w = {0};
	struct duet_http *c = ht_client(10, &w, NULL);
	struct signer sg = {0, 0};
	struct duet_http_req q = {0};
	struct duet_http_resp r;
	char u[128], sig[32], *log;
	int i;

	(void)state;
	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/fail/r503/3");
	q.method = "GET";
	q.url = u;
	q.sign = sign_cb;
	q.sign_ctx = &sg;
	assert_int_equal(duet_http_do(c, &q, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.tries, 4);
	assert_int_equal(sg.calls, 4);
	assert_int_equal(w.n, 3);
	log = ht_log("r503");
	assert_int_equal(ht_count(log, "\"method\""), 4);
	for (i = 0; i < 4; i++) {
		char want[32];
		ht_json_str(log, "sig", i, sig, sizeof(sig));
		snprintf(want, sizeof(want), "attempt-%d", i + 1);
		assert_string_equal(sig, want);
	}
	duet_free(log);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

static void
test_retry_429_and_gives_up_on_500(void **state)
{
	struct ht_waits w = {0};
	struct duet_http *c = ht_client(4, &w, NULL);
	struct duet_http_resp r;
	char u[160], *log;

	(void)state;
	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/fail/r429/1?code=429");
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	assert_int_equal(r.tries, 2);

	ht_url(u, sizeof(u), &ht_plain, "/status/r500/500");
	assert_int_equal(ht_req(c, "GET", u, &r), DUET_E_TEMP);
	assert_int_equal(r.status, 500);
	assert_int_equal(r.tries, 4);
	assert_non_null(strstr(duet_err_msg(), "GET "));
	assert_non_null(strstr(duet_err_msg(), "HTTP 500"));
	assert_non_null(strstr(duet_err_msg(), "after 4 tries"));
	assert_string_equal(r.body.p, "status 500");
	log = ht_log("r500");
	assert_int_equal(ht_count(log, "\"method\""), 4);
	duet_free(log);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

static void
test_no_retry_on_4xx(void **state)
{
	static const struct {
		int status;
		int code;
	} cases[] = {
		{404, DUET_E_NOTFOUND}, {403, DUET_E_AUTH}, {401, DUET_E_AUTH},
		{409, DUET_E_EXIST}, {412, DUET_E_EXIST}, {400, DUET_E_INVAL},
	};
	struct ht_waits w = {0};
	struct duet_http *c = ht_client(10, &w, NULL);
	struct duet_http_req q = {0};
	struct duet_http_resp r;
	char u[128], key[32], *log;
	size_t got = 0, i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		duet_http_resp_init(&r);
		snprintf(key, sizeof(key), "n%d", cases[i].status);
		ht_url(u, sizeof(u), &ht_plain, "/status/%s/%d", key, cases[i].status);
		q.method = "GET";
		q.url = u;
		q.sink = ht_sink_count;
		q.sink_ctx = &got;
		assert_int_equal(duet_http_do(c, &q, &r), cases[i].code);
		assert_int_equal(r.status, cases[i].status);
		assert_int_equal(r.tries, 1);
		/* The error body is kept for the caller, not given to the sink. */
		assert_non_null(strstr(r.body.p, "status"));
		assert_int_equal(got, 0);
		log = ht_log(key);
		assert_int_equal(ht_count(log, "\"method\""), 1);
		duet_free(log);
		duet_http_resp_dispose(&r);
	}
	assert_int_equal(w.n, 0);
	duet_http_free(c);
}

static void
test_retry_after_seconds_honoured(void **state)
{
	struct duet_http *c = ht_client(3, NULL, NULL); /* real sleeps, 1 ms backoff */
	struct duet_http_resp r;
	char u[160];
	double t0;

	(void)state;
	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/fail/ra1/1?after=1");
	t0 = ht_now();
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	assert_true(ht_now() - t0 >= 0.9);
	assert_int_equal(r.tries, 2);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

static void
test_retry_after_date_and_cap(void **state)
{
	struct ht_waits w = {0};
	struct duet_http_opts o;
	struct duet_http *c = NULL;
	struct duet_http_resp r;
	char u[160];

	(void)state;
	duet_http_resp_init(&r);
	duet_http_opts_init(&o);
	o.sleep = ht_record_sleep;
	o.sleep_ctx = &w;
	assert_int_equal(duet_http_new(&o, &c), 0);
	ht_url(u, sizeof(u), &ht_plain, "/fail/rad/1?after=4&date=1");
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	assert_int_equal(w.n, 1);
	assert_true(w.ns[0] >= 2000000000LL); /* 3-4 s by the server's clock */
	duet_http_free(c);

	o.retry_after_max_ms = 500;
	w.n = 0;
	assert_int_equal(duet_http_new(&o, &c), 0);
	ht_url(u, sizeof(u), &ht_plain, "/fail/racap/1?after=60");
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.ns[0], 500000000LL);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

static void
test_backoff_doubles_with_jitter_and_cap(void **state)
{
	struct ht_waits w = {0};
	struct duet_http_opts o;
	struct duet_http *c = NULL;
	struct duet_http_resp r;
	char u[128];
	int64_t base = 100000000LL, want;
	int i;

	(void)state;
	duet_http_resp_init(&r);
	duet_http_opts_init(&o);
	o.low_level_retries = 6;
	o.backoff_ms = 100;
	o.backoff_max_ms = 400;
	o.sleep = ht_record_sleep;
	o.sleep_ctx = &w;
	assert_int_equal(duet_http_new(&o, &c), 0);
	ht_url(u, sizeof(u), &ht_plain, "/status/boff/503");
	assert_int_equal(ht_req(c, "GET", u, &r), DUET_E_TEMP);
	assert_int_equal(w.n, 5);
	for (i = 0; i < 5; i++) {
		want = base << i;
		if (want > 400000000LL)
			want = 400000000LL;
		assert_true(w.ns[i] >= want / 2);
		assert_true(w.ns[i] <= want);
	}
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

static void
test_connect_refused_retried_then_net(void **state)
{
	struct ht_waits w = {0};
	struct duet_http *c = ht_client(3, &w, NULL);
	struct duet_http_resp r;
	struct sockaddr_in a = {0};
	socklen_t al = sizeof(a);
	char u[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	duet_http_resp_init(&r);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd); /* nobody listens there now */
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/x", ntohs(a.sin_port));
	assert_int_equal(ht_req(c, "GET", u, &r), DUET_E_NET);
	assert_int_equal(r.tries, 3);
	assert_int_equal(w.n, 2);
	assert_non_null(strstr(duet_err_msg(), u));
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

static void
test_sign_failure_stops_request(void **state)
{
	struct duet_http *c = ht_client(5, NULL, NULL);
	struct signer sg = {0, DUET_E_AUTH};
	struct duet_http_req q = {0};
	struct duet_http_resp r;
	char u[128], *log;

	(void)state;
	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/status/nosign/200");
	q.method = "GET";
	q.url = u;
	q.sign = sign_cb;
	q.sign_ctx = &sg;
	assert_int_equal(duet_http_do(c, &q, &r), DUET_E_AUTH);
	assert_string_equal(duet_err_msg(), "signer refuses");
	log = ht_log("nosign");
	assert_int_equal(ht_count(log, "\"method\""), 0);
	duet_free(log);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

/* ---- redaction ---- */

static void
test_redact(void **state)
{
	char out[256], small[20];

	(void)state;
	assert_string_equal(duet_http_redact("https://a.blob.core.windows.net/c/b?sv=2021"
	    "&sp=r&sig=abc%2Bdef&se=2030", out, sizeof(out)),
	    "https://a.blob.core.windows.net/c/b?sv=2021&sp=r&sig=REDACTED&se=2030");
	assert_string_equal(duet_http_redact("https://s3.x/b/k?X-Amz-Algorithm=AWS4"
	    "&X-Amz-Credential=AKIA%2F2026&x-amz-signature=ff00&X-Amz-Security-Token=t0k"
	    "&uploadId=7#frag", out, sizeof(out)),
	    "https://s3.x/b/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=REDACTED"
	    "&x-amz-signature=REDACTED&X-Amz-Security-Token=REDACTED&uploadId=7#frag");
	assert_string_equal(duet_http_redact("http://user:pw@h:1/p?a&sig=", out, sizeof(out)),
	    "http://user:REDACTED@h:1/p?a&sig=REDACTED");
	assert_string_equal(duet_http_redact("http://h/p?signature=x&asig=y", out, sizeof(out)),
	    "http://h/p?signature=x&asig=y");
	/* Truncation keeps the redaction. */
	duet_http_redact("http://h/p?sig=0123456789abcdef", small, sizeof(small));
	assert_string_equal(small, "http://h/p?sig=R...");
	assert_true(duet_http_header_secret("authorization"));
	assert_true(duet_http_header_secret("X-Amz-Security-Token"));
	assert_false(duet_http_header_secret("x-amz-date"));
}

struct logcap {
	char text[8192];
	size_t len;
};

static void
log_capture(enum duet_log_level level, const char *object, const char *msg, void *ctx)
{
	struct logcap *l = ctx;
	int n;

	(void)level;
	(void)object;
	n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s\n", msg);
	if (n > 0 && (size_t)n < sizeof(l->text) - l->len)
		l->len += (size_t)n;
}

static void
test_no_secret_in_logs_or_messages(void **state)
{
	struct ht_waits w = {0};
	struct duet_http *c = ht_client(2, &w, NULL);
	struct duet_http_resp r;
	struct logcap l = {{0}, 0};
	char u[256];

	(void)state;
	duet_http_resp_init(&r);
	duet_log_set_sink(log_capture, &l);
	duet_log_set_level(DUET_LOG_DEBUG);
	ht_url(u, sizeof(u), &ht_plain, "/status/sec/503?sig=SECRET1&X-Amz-Signature=SECRET2"
	    "&X-Amz-Credential=SECRET3");
	assert_int_equal(ht_req(c, "GET", u, &r), DUET_E_TEMP);
	duet_log_set_level(DUET_LOG_NOTICE);
	duet_log_set_sink(NULL, NULL);
	assert_non_null(strstr(l.text, "retry 2/2"));
	assert_non_null(strstr(l.text, "sig=REDACTED"));
	assert_null(strstr(l.text, "SECRET"));
	assert_non_null(strstr(duet_err_msg(), "X-Amz-Signature=REDACTED"));
	assert_null(strstr(duet_err_msg(), "SECRET"));
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

/* ---- TLS ---- */

static void
test_tls_verification(void **state)
{
	struct duet_http_opts o;
	struct duet_http *c = NULL;
	struct duet_http_resp r;
	char u[128], ca[128];

	(void)state;
	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_tls, "/echo");
	duet_http_opts_init(&o);
	o.backoff_ms = 1;
	assert_int_equal(duet_http_new(&o, &c), 0);
	assert_int_equal(ht_req(c, "GET", u, &r), DUET_E_NET);
	assert_int_equal(r.tries, 1);
	assert_non_null(strstr(duet_err_msg(), "TLS certificate of 127.0.0.1 not trusted"));
	assert_non_null(strstr(duet_err_msg(), "set ca_cert or fix the server's certificate"));
	duet_http_free(c);

	snprintf(ca, sizeof(ca), "%s/cert.pem", ht_tls_dir);
	o.ca_cert = ca;
	assert_int_equal(duet_http_new(&o, &c), 0);
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	assert_int_equal(r.status, 200);
	duet_http_free(c);

	o.ca_cert = "/nonexistent/ca.pem";
	assert_int_equal(duet_http_new(&o, &c), 0);
	assert_int_equal(ht_req(c, "GET", u, &r), DUET_E_INVAL);
	assert_non_null(strstr(duet_err_msg(), "/nonexistent/ca.pem"));
	duet_http_free(c);

	o.ca_cert = NULL;
	o.insecure = 1;
	assert_int_equal(duet_http_new(&o, &c), 0);
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_methods_and_headers),
		cmocka_unit_test(test_hdrs_add_rejects_bad_lines),
		cmocka_unit_test(test_allocation_failures),
		cmocka_unit_test(test_reuse_one_thread),
		cmocka_unit_test(test_reuse_threads_bounded),
		cmocka_unit_test(test_retry_503_then_ok_signs_each_attempt),
		cmocka_unit_test(test_retry_429_and_gives_up_on_500),
		cmocka_unit_test(test_no_retry_on_4xx),
		cmocka_unit_test(test_retry_after_seconds_honoured),
		cmocka_unit_test(test_retry_after_date_and_cap),
		cmocka_unit_test(test_backoff_doubles_with_jitter_and_cap),
		cmocka_unit_test(test_connect_refused_retried_then_net),
		cmocka_unit_test(test_sign_failure_stops_request),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_no_secret_in_logs_or_messages),
		cmocka_unit_test(test_tls_verification),
	};

	return cmocka_run_group_tests(tests, ht_group_setup, ht_group_teardown);
}
