/*
 * test_http_body.c: the HTTP layer's handling of bodies against a real
 * local server (http_server.py, started by support_http.c): request
 * bodies resent or not on a retry, sinks reset, bodies cut short, the
 * idle timeout, streaming (sink and pull stream, bounded memory), size
 * caps and the bandwidth limit. Timing is only checked as a lower bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/http/http.h"
#include "backends/http/http_int.h"
#include "tests/support/support_http.h"
#include "core/alloc.h"
#include "core/error.h"

/* ---- request bodies and sinks across retries ---- */

struct reader {
	unsigned char *data;
	size_t len, pos;
	int rewinds;
};

static ssize_t
reader_read(void *ctx, void *buf, size_t n)
{
	struct reader *rd = ctx;

	if (n > rd->len - rd->pos)
		n = rd->len - rd->pos;
	if (n > 7000)
		n = 7000; /* short reads on purpose */
	memcpy(buf, rd->data + rd->pos, n);
	rd->pos += n;
	return (ssize_t)n;
}

static int
reader_rewind(void *ctx)
{
	struct reader *rd = ctx;

	rd->pos = 0;
	rd->rewinds++;
	return 0;
}

static void
put_reader(const char *key, int rewindable, int want_rc, int want_seen)
{
	struct ht_waits w = {0};
	struct duet_http *c = ht_client(5, &w, NULL);
	struct reader rd = {NULL, 100000, 0, 0};
	struct duet_http_req q = {0};
	struct duet_http_resp r;
	char u[128], sha[65], got[80], *log;
	int i;

	duet_http_resp_init(&r);
	rd.data = malloc(rd.len);
	ht_pattern(rd.data, rd.len, 3);
	ht_sha256_hex(rd.data, rd.len, sha);
	ht_url(u, sizeof(u), &ht_plain, "/fail/%s/2", key);
	q.method = "PUT";
	q.url = u;
	q.body_read = reader_read;
	q.body_rewind = rewindable ? reader_rewind : NULL;
	q.body_ctx = &rd;
	q.body_size = (int64_t)rd.len;
	assert_int_equal(duet_http_do(c, &q, &r), want_rc);
	log = ht_log(key);
	assert_int_equal(ht_count(log, "\"method\""), want_seen);
	for (i = 0; i < want_seen; i++) {
		assert_int_equal(ht_json_num(log, "len", i), (long)rd.len);
		ht_json_str(log, "sha256", i, got, sizeof(got));
		assert_string_equal(got, sha);
	}
	if (rewindable)
		assert_true(rd.rewinds >= 2);
	duet_free(log);
	free(rd.data);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

static void
test_body_rewound_on_retry(void **state)
{
	(void)state;
	put_reader("rw", 1, 0, 3);
}

static void
test_unrewindable_body_not_retried(void **state)
{
	(void)state;
	put_reader("norw", 0, DUET_E_TEMP, 1);
}

static void
test_memory_body_resent(void **state)
{
	struct ht_waits w = {0};
	struct duet_http *c = ht_client(5, &w, NULL);
	struct duet_http_req q = {0};
	struct duet_http_resp r;
	char u[128], *log;

	(void)state;
	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/fail/memb/1");
	q.method = "POST";
	q.url = u;
	q.body = "0123456789";
	q.body_len = 10;
	assert_int_equal(duet_http_do(c, &q, &r), 0);
	log = ht_log("memb");
	assert_int_equal(ht_json_num(log, "len", 0), 10);
	assert_int_equal(ht_json_num(log, "len", 1), 10);
	duet_free(log);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

struct collect {
	struct duet_buf b;
	int resets;
};

static int
collect_sink(void *ctx, const void *data, size_t n)
{
	return duet_buf_append(&((struct collect *)ctx)->b, data, n);
}

static int
collect_reset(void *ctx)
{
	struct collect *k = ctx;

	duet_buf_reset(&k->b);
	k->resets++;
	return 0;
}

static void
test_cut_body_retried_with_sink_reset(void **state)
{
	struct ht_waits w = {0};
	struct duet_http *c = ht_client(5, &w, NULL);
	struct collect k = {DUET_BUF_INIT, 0};
	struct duet_http_req q = {0};
	struct duet_http_resp r;
	unsigned char *want = malloc(200000);
	char u[160];

	(void)state;
	duet_http_resp_init(&r);
	ht_pattern(want, 200000, 0);
	ht_url(u, sizeof(u), &ht_plain, "/cut/cut1/1?size=200000");
	q.method = "GET";
	q.url = u;
	q.sink = collect_sink;
	q.sink_reset = collect_reset;
	q.sink_ctx = &k;
	assert_int_equal(duet_http_do(c, &q, &r), 0);
	assert_int_equal(r.tries, 2);
	assert_int_equal(k.resets, 1);
	assert_int_equal(k.b.len, 200000);
	assert_memory_equal(k.b.p, want, 200000);

	/* Without a reset the sink's bytes cannot be taken back: no retry. */
	duet_buf_reset(&k.b);
	ht_url(u, sizeof(u), &ht_plain, "/cut/cut2/1?size=200000");
	q.sink_reset = NULL;
	assert_int_equal(duet_http_do(c, &q, &r), DUET_E_NET);
	assert_int_equal(r.tries, 1);

	/* Into memory: the buffer restarts by itself. */
	ht_url(u, sizeof(u), &ht_plain, "/cut/cut3/1?size=200000");
	q.sink = NULL;
	assert_int_equal(duet_http_do(c, &q, &r), 0);
	assert_int_equal(r.tries, 2);
	assert_int_equal(r.body.len, 200000);
	assert_memory_equal(r.body.p, want, 200000);

	/* Cut every time: a network error after all the tries. */
	ht_url(u, sizeof(u), &ht_plain, "/cut/cut4/100?size=1000");
	assert_int_equal(duet_http_do(c, &q, &r), DUET_E_NET);
	assert_int_equal(r.tries, 5);
	free(want);
	duet_buf_dispose(&k.b);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

static void
test_idle_timeout(void **state)
{
	struct duet_http_opts o;
	struct duet_http *c = NULL;
	struct duet_http_resp r;
	char u[128];

	(void)state;
	duet_http_resp_init(&r);
	duet_http_opts_init(&o);
	o.low_level_retries = 1;
	o.idle_timeout_ms = 1000;
	assert_int_equal(duet_http_new(&o, &c), 0);
	ht_url(u, sizeof(u), &ht_plain, "/slow/10?delay=3");
	assert_int_equal(ht_req(c, "GET", u, &r), DUET_E_NET);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

/* ---- streaming and size caps ---- */

static void
test_big_body_streams(void **state)
{
	struct duet_http *c = ht_client(1, NULL, NULL);
	struct duet_http_req q = {0};
	struct duet_http_resp r;
	struct duet_http_stream *s = NULL;
	unsigned char buf[65536], want[65536];
	size_t total = 0, got = 0, size = 20u << 20;
	ssize_t n;
	char u[128];

	(void)state;
	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/bytes/%zu", size);
	q.method = "GET";
	q.url = u;
	/* A sink sees all 20 MiB although the memory cap is 1 KiB. */
	q.sink = ht_sink_count;
	q.sink_ctx = &got;
	q.max_body = 1024;
	assert_int_equal(duet_http_do(c, &q, &r), 0);
	assert_int_equal(got, size);
	assert_int_equal(r.body.len, 0);
	/* Without a sink the cap holds. */
	q.sink = NULL;
	assert_int_equal(duet_http_do(c, &q, &r), DUET_E_IO);
	assert_non_null(strstr(duet_err_msg(), "larger than 1024"));

	assert_int_equal(duet_http_stream_open(c, &q, &r, &s), 0);
	assert_int_equal(r.status, 200);
	while ((n = duet_http_stream_read(s, buf, sizeof(buf))) > 0) {
		ht_pattern(want, (size_t)n, total);
		assert_memory_equal(buf, want, (size_t)n);
		total += (size_t)n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(total, size);
	/* Paused while full: the buffer never grew far past its mark. */
	assert_true(s->x.sbuf.cap <= 2 * HTTP_STREAM_HIGH);
	duet_http_stream_close(s);

	/* Closed half-way: the next request still works. */
	assert_int_equal(duet_http_stream_open(c, &q, &r, &s), 0);
	assert_true(duet_http_stream_read(s, buf, 100) > 0);
	duet_http_stream_close(s);
	ht_url(u, sizeof(u), &ht_plain, "/echo");
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

static void
test_stream_errors(void **state)
{
	struct ht_waits w = {0};
	struct duet_http *c = ht_client(3, &w, NULL);
	struct duet_http_req q = {0};
	struct duet_http_resp r;
	struct duet_http_stream *s = NULL;
	unsigned char buf[4096];
	char u[160];
	ssize_t n;
	size_t total = 0;

	(void)state;
	duet_http_resp_init(&r);
	q.method = "GET";
	q.url = u;
	ht_url(u, sizeof(u), &ht_plain, "/status/s404/404");
	assert_int_equal(duet_http_stream_open(c, &q, &r, &s), DUET_E_NOTFOUND);
	assert_null(s);
	/* Retried before the body starts. */
	ht_url(u, sizeof(u), &ht_plain, "/fail/s503/2");
	assert_int_equal(duet_http_stream_open(c, &q, &r, &s), 0);
	assert_int_equal(r.tries, 3);
	while ((n = duet_http_stream_read(s, buf, sizeof(buf))) > 0)
		;
	assert_int_equal(n, 0);
	duet_http_stream_close(s);
	/* A cut in the body is the reader's to handle. */
	ht_url(u, sizeof(u), &ht_plain, "/cut/scut/5?size=1000000");
	assert_int_equal(duet_http_stream_open(c, &q, &r, &s), 0);
	while ((n = duet_http_stream_read(s, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	assert_int_equal(n, DUET_E_NET);
	assert_int_equal(total, 500000);
	assert_int_equal(duet_http_stream_read(s, buf, sizeof(buf)), DUET_E_NET);
	duet_http_stream_close(s);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
}

/* ---- bandwidth limit ---- */

static void
test_bwlimit_download_and_upload(void **state)
{
	struct duet_bwlimit *bw = NULL;
	struct duet_http *c;
	struct duet_http_req q = {0};
	struct duet_http_resp r;
	unsigned char *body = malloc(200000);
	char u[128];
	double t0;

	(void)state;
	assert_int_equal(duet_bwlimit_new(200000, &bw), 0);
	c = ht_client(1, NULL, bw);
	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/bytes/300000");
	t0 = ht_now();
	assert_int_equal(ht_req(c, "GET", u, &r), 0);
	assert_int_equal(r.body.len, 300000);
	assert_true(ht_now() - t0 >= 300000.0 / 200000 * 0.8);

	ht_pattern(body, 200000, 0);
	ht_url(u, sizeof(u), &ht_plain, "/echo");
	q.method = "PUT";
	q.url = u;
	q.body = body;
	q.body_len = 200000;
	t0 = ht_now();
	assert_int_equal(duet_http_do(c, &q, &r), 0);
	assert_int_equal(ht_json_num(r.body.p, "len", 0), 200000);
	assert_true(ht_now() - t0 >= 200000.0 / 200000 * 0.8);
	free(body);
	duet_http_resp_dispose(&r);
	duet_http_free(c);
	duet_bwlimit_free(bw);
}

static void *
bw_worker(void *arg)
{
	struct duet_http *c = arg;
	struct duet_http_resp r;
	char u[128];
	int rc;

	duet_http_resp_init(&r);
	ht_url(u, sizeof(u), &ht_plain, "/bytes/150000");
	rc = ht_req(c, "GET", u, &r);
	if (rc == 0 && r.body.len != 150000)
		rc = -1;
	duet_http_resp_dispose(&r);
	return rc == 0 ? NULL : arg;
}

static void
test_bwlimit_shared_by_threads_and_clients(void **state)
{
	struct duet_http *c1 = ht_client(1, NULL, NULL), *c2 = ht_client(1, NULL, NULL);
	pthread_t t1, t2;
	void *r1, *r2;
	double t0;

	(void)state;
	/* Two clients on the process-wide bucket: 300000 bytes at 200000/s. */
	duet_bwlimit_set(duet_bwlimit_global(), 200000);
	t0 = ht_now();
	assert_int_equal(pthread_create(&t1, NULL, bw_worker, c1), 0);
	assert_int_equal(pthread_create(&t2, NULL, bw_worker, c2), 0);
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	duet_bwlimit_set(duet_bwlimit_global(), 0);
	assert_null(r1);
	assert_null(r2);
	assert_true(ht_now() - t0 >= 300000.0 / 200000 * 0.8);
	duet_http_free(c1);
	duet_http_free(c2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_rewound_on_retry),
		cmocka_unit_test(test_unrewindable_body_not_retried),
		cmocka_unit_test(test_memory_body_resent),
		cmocka_unit_test(test_cut_body_retried_with_sink_reset),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_big_body_streams),
		cmocka_unit_test(test_stream_errors),
		cmocka_unit_test(test_bwlimit_download_and_upload),
		cmocka_unit_test(test_bwlimit_shared_by_threads_and_clients),
	};

	return cmocka_run_group_tests(tests, ht_group_setup, ht_group_teardown);
}
