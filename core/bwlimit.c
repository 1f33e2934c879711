/*
 * bwlimit.c: the token bucket of bwlimit.h, kept as a virtual clock: `next`
 * is the instant at which everything charged so far may have passed. A
 * charge moves it on by n/rate and sleeps until it, so charges from many
 * threads queue behind each other; an idle bucket lets `next` lag at most
 * one burst behind now, which is the credit a fresh transfer starts with.
 */
#include "bwlimit.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "alloc.h"
#include "error.h"

#define BW_NS 1000000000LL
#define BW_BURST_NS (BW_NS / 10) /* idle credit: 0.1 s worth of bytes */

struct duet_bwlimit {
	pthread_mutex_t mu;
	int64_t rate; /* bytes/s; 0: unlimited */
	int64_t next; /* CLOCK_MONOTONIC ns when the charged bytes are paid */
};

static struct duet_bwlimit bw_global = {PTHREAD_MUTEX_INITIALIZER, 0, 0};

static int64_t
bw_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * BW_NS + ts.tv_nsec;
}

int
duet_bwlimit_new(int64_t rate, struct duet_bwlimit **out)
{
	struct duet_bwlimit *b;

	*out = NULL;
	b = duet_calloc(1, sizeof(*b));
	if (b == NULL)
		return duet_err_set(DUET_E_NOMEM, "bwlimit: out of memory");
	if (pthread_mutex_init(&b->mu, NULL) != 0) {
		duet_free(b);
		return duet_err_set(DUET_E_NOMEM, "bwlimit: cannot create a mutex");
	}
	b->rate = rate > 0 ? rate : 0;
	*out = b;
	return 0;
}

void
duet_bwlimit_free(struct duet_bwlimit *b)
{
	if (b == NULL || b == &bw_global)
		return;
	pthread_mutex_destroy(&b->mu);
	duet_free(b);
}

struct duet_bwlimit *
duet_bwlimit_global(void)
{
	return &bw_global;
}

void
duet_bwlimit_set(struct duet_bwlimit *b, int64_t rate)
{
	pthread_mutex_lock(&b->mu);
	b->rate = rate > 0 ? rate : 0;
	b->next = 0;
	pthread_mutex_unlock(&b->mu);
}

int64_t
duet_bwlimit_rate(struct duet_bwlimit *b)
{
	int64_t r;

	pthread_mutex_lock(&b->mu);
	r = b->rate;
	pthread_mutex_unlock(&b->mu);
	return r;
}

/* ns that n bytes take at rate, without overflow for any n and rate > 0. */
static int64_t
bw_cost(size_t n, int64_t rate)
{
	uint64_t bytes = (uint64_t)n, r = (uint64_t)rate;
	uint64_t whole = bytes / r, part = bytes % r;

	if (whole >= (uint64_t)(INT64_MAX / BW_NS) - 1)
		return INT64_MAX / 2;
	return (int64_t)(whole * (uint64_t)BW_NS + part * (uint64_t)BW_NS / r);
}

void
duet_bwlimit_charge(struct duet_bwlimit *b, size_t n)
{
	int64_t now, until;
	struct timespec ts;

	if (b == NULL || n == 0)
		return;
	pthread_mutex_lock(&b->mu);
	if (b->rate == 0) {
		pthread_mutex_unlock(&b->mu);
		return;
	}
	now = bw_now();
	if (b->next < now - BW_BURST_NS)
		b->next = now - BW_BURST_NS;
	b->next += bw_cost(n, b->rate);
	until = b->next;
	pthread_mutex_unlock(&b->mu);
	if (until <= now)
		return;
	ts.tv_sec = (time_t)(until / BW_NS);
	ts.tv_nsec = (long)(until % BW_NS);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
