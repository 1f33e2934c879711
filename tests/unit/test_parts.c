/*
 * test_parts.c: the parallel part uploader (backends/http/parts.c): parts
 * carry the right bytes in the right slots, run in parallel but never more
 * than `concurrency` at once, small streams come back whole, failures of
 * begin() and put() reach the writer with their message, and the part
 * limit is enforced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backends/http/parts.h"
#include "core/alloc.h"
#include "core/error.h"

#define MAXP 64

struct rec {
	pthread_mutex_t mu;
	int begun;
	int begin_rc;
	int fail_at;              /* index whose put fails, or -1 */
	int running, peak;        /* puts running now, most at once */
	unsigned seen;            /* puts called */
	size_t len[MAXP];
	uint32_t sum[MAXP];       /* checksum of each part's bytes */
};

static uint32_t
sum_of(const unsigned char *d, size_t n, size_t start)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31u + (uint32_t)(d[i] ^ (unsigned char)((start + i) % 251));
	return s;
}

static int
rec_begin(void *ctx)
{
	struct rec *r = ctx;
	r->begun++;
	if (r->begin_rc != 0)
		return duet_err_set(r->begin_rc, "begin refused");
	return 0;
}

static int
rec_put(void *ctx, unsigned index, const void *data, size_t n, char **tag)
{
	struct rec *r = ctx;
	struct timespec ts = {0, 2000000};
	char t[32];

	pthread_mutex_lock(&r->mu);
	r->seen++;
	if (++r->running > r->peak)
		r->peak = r->running;
	pthread_mutex_unlock(&r->mu);
	nanosleep(&ts, NULL); /* long enough for the others to overlap */
	pthread_mutex_lock(&r->mu);
	r->running--;
	pthread_mutex_unlock(&r->mu);
	if ((int)index == r->fail_at)
		return duet_err_set(DUET_E_NET, "part %u: connection reset", index);
	if (index < MAXP) {
		r->len[index] = n;
		r->sum[index] = sum_of(data, n, 0);
	}
	snprintf(t, sizeof(t), "etag-%u", index);
	*tag = duet_strdup(t);
	return 0;
}

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	r->fail_at = -1;
}

static struct duet_parts *
mk(struct rec *r, size_t part, unsigned maxp, int conc)
{
	struct duet_parts_opts o = {part, maxp, conc, rec_begin, rec_put, r};
	struct duet_parts *p = NULL;
	assert_int_equal(duet_parts_new(&o, &p), 0);
	return p;
}

/* Writes `total` pattern bytes in writes of `step`; returns the first
 * failure. */
static int
feed(struct duet_parts *p, size_t total, size_t step)
{
	unsigned char buf[4096];
	size_t off = 0;
	int rc;
	while (off < total) {
		size_t k = total - off < step ? total - off : step;
		for (size_t i = 0; i < k; i++)
			buf[i] = (unsigned char)((off + i) % 251);
		if ((rc = duet_parts_write(p, buf, k)) != 0)
			return rc;
		off += k;
	}
	return 0;
}

static void
t_parts_in_order_and_parallel(void **state)
{
	struct rec r;
	struct duet_parts *p;
	const void *d;
	size_t n;
	int single;
	unsigned char expect[1000];
	(void)state;

	rec_init(&r);
	p = mk(&r, 1000, 100, 3);
	assert_int_equal(feed(p, 10500, 333), 0);
	assert_int_equal(duet_parts_finish(p, &single, &d, &n), 0);
	assert_int_equal(single, 0);
	assert_int_equal(r.begun, 1);
	assert_int_equal(duet_parts_count(p), 11);
	assert_int_equal(duet_parts_total(p), 10500);
	for (unsigned i = 0; i < 11; i++) {
		size_t len = i < 10 ? 1000 : 500;
		char t[32];
		for (size_t j = 0; j < len; j++)
			expect[j] = (unsigned char)((i * 1000 + j) % 251);
		assert_int_equal(r.len[i], len);
		assert_int_equal(r.sum[i], sum_of(expect, len, 0));
		snprintf(t, sizeof(t), "etag-%u", i);
		assert_string_equal(duet_parts_tag(p, i), t);
	}
	assert_true(r.peak >= 2);  /* parts overlapped */
	assert_true(r.peak <= 3);  /* never more than concurrency */
	duet_parts_free(p);
}

static void
t_small_stream_is_single(void **state)
{
	struct rec r;
	struct duet_parts *p;
	const void *d;
	size_t n;
	int single;
	(void)state;

	rec_init(&r);
	p = mk(&r, 1000, 100, 4);
	assert_int_equal(feed(p, 1000, 100), 0); /* exactly one part: still single */
	assert_int_equal(duet_parts_finish(p, &single, &d, &n), 0);
	assert_int_equal(single, 1);
	assert_int_equal(n, 1000);
	assert_int_equal(((const unsigned char *)d)[999], 999 % 251);
	assert_int_equal(r.begun, 0);
	assert_int_equal(r.seen, 0);
	duet_parts_free(p);

	rec_init(&r);
	p = mk(&r, 1000, 100, 4);
	assert_int_equal(duet_parts_finish(p, &single, &d, &n), 0); /* empty */
	assert_int_equal(single, 1);
	assert_int_equal(n, 0);
	duet_parts_free(p);
}

static void
t_put_failure_reaches_writer(void **state)
{
	struct rec r;
	struct duet_parts *p;
	const void *d;
	size_t n;
	int single, rc;
	(void)state;

	rec_init(&r);
	r.fail_at = 2;
	p = mk(&r, 100, 1000, 2);
	rc = feed(p, 100 * 50, 64);
	if (rc == 0)
		rc = duet_parts_finish(p, &single, &d, &n);
	assert_int_equal(rc, DUET_E_NET);
	assert_non_null(strstr(duet_err_msg(), "part 2: connection reset"));
	/* Parts after the failure are not all started. */
	assert_true(r.seen < 50);
	duet_parts_free(p);
}

static void
t_begin_failure(void **state)
{
	struct rec r;
	struct duet_parts *p;
	(void)state;

	rec_init(&r);
	r.begin_rc = DUET_E_AUTH;
	p = mk(&r, 100, 1000, 2);
	assert_int_equal(feed(p, 250, 50), DUET_E_AUTH);
	assert_string_equal(duet_err_msg(), "begin refused");
	assert_int_equal(r.seen, 0);
	duet_parts_free(p);
}

static void
t_too_many_parts(void **state)
{
	struct rec r;
	struct duet_parts *p;
	const void *d;
	size_t n;
	int single;
	(void)state;

	rec_init(&r);
	p = mk(&r, 10, 3, 2);
	assert_int_equal(feed(p, 30, 7), 0); /* 3 parts: allowed */
	assert_int_equal(duet_parts_finish(p, &single, &d, &n), 0);
	assert_int_equal(duet_parts_count(p), 3);
	duet_parts_free(p);

	rec_init(&r);
	p = mk(&r, 10, 3, 2);
	assert_int_equal(feed(p, 31, 7), DUET_E_INVAL);
	assert_non_null(strstr(duet_err_msg(), "more than 3 parts"));
	duet_parts_free(p);
}

static void
t_free_midway(void **state)
{
	struct rec r;
	struct duet_parts *p;
	(void)state;

	rec_init(&r);
	p = mk(&r, 100, 1000, 3);
	assert_int_equal(feed(p, 1234, 100), 0);
	duet_parts_free(p); /* no finish: workers stop, nothing leaks */
	assert_true(r.seen <= 12);
}

static void
t_bad_options(void **state)
{
	struct rec r;
	struct duet_parts_opts o = {0, 10, 1, NULL, rec_put, &r};
	struct duet_parts *p = NULL;
	(void)state;
	assert_int_equal(duet_parts_new(&o, &p), DUET_E_INVAL);
	assert_null(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_parts_in_order_and_parallel),
		cmocka_unit_test(t_small_stream_is_single),
		cmocka_unit_test(t_put_failure_reaches_writer),
		cmocka_unit_test(t_begin_failure),
		cmocka_unit_test(t_too_many_parts),
		cmocka_unit_test(t_free_midway),
		cmocka_unit_test(t_bad_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
