/*
 * hashpipe.c: one hashing thread per large transfer, fed one chunk at a
 * time through a single slot (see hashpipe.h). The slot is the only
 * shared state; the mutex and condition variable order the hand-overs.
 */
#include "hashpipe.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

struct duet_hashpipe {
	struct duet_hasher *h;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const void *buf; /* the chunk waiting to be hashed, or NULL */
	size_t n;
	int stop;
	char *own[2];    /* feed_copy's alternating buffers */
	size_t own_cap;
	size_t own_len;  /* bytes in own[cur], not fed yet */
	int cur;         /* the one being filled (not being hashed) */
};

static void *
hp_main(void *arg)
{
	struct duet_hashpipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->buf == NULL && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->buf == NULL)
			break;
		pthread_mutex_unlock(&p->mu);
		duet_hasher_update(p->h, p->buf, p->n);
		pthread_mutex_lock(&p->mu);
		p->buf = NULL;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
duet_hashpipe_start(struct duet_hasher *h, struct duet_hashpipe **out)
{
	struct duet_hashpipe *p = duet_calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	p->h = h;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->tid, NULL, hp_main, p) != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		duet_free(p);
		return duet_err_set(DUET_E_IO, "cannot start a hashing thread");
	}
	*out = p;
	return 0;
}

void
duet_hashpipe_feed(struct duet_hashpipe *p, const void *buf, size_t n)
{
	pthread_mutex_lock(&p->mu);
	while (p->buf != NULL)
		pthread_cond_wait(&p->cv, &p->mu);
	p->buf = buf;
	p->n = n;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

int
duet_hashpipe_feed_copy(struct duet_hashpipe *p, const void *buf, size_t n, size_t chunk)
{
	const char *b = buf;

	if (p->own[0] == NULL) {
		p->own_cap = chunk > 0 ? chunk : 1;
		p->own[0] = duet_malloc(p->own_cap);
		p->own[1] = duet_malloc(p->own_cap);
		if (p->own[0] == NULL || p->own[1] == NULL) {
			duet_free(p->own[0]);
			duet_free(p->own[1]);
			p->own[0] = p->own[1] = NULL;
			return duet_err_set(DUET_E_NOMEM, "out of memory");
		}
	}
	/* Small reads gather into whole chunks (one hand-over per chunk).
	 * The thread hashes at most one chunk, the one fed last: the other
	 * buffer is free to fill. */
	while (n > 0) {
		size_t k = p->own_cap - p->own_len;
		if (k > n)
			k = n;
		memcpy(p->own[p->cur] + p->own_len, b, k);
		p->own_len += k;
		b += k;
		n -= k;
		if (p->own_len == p->own_cap) {
			duet_hashpipe_feed(p, p->own[p->cur], p->own_len);
			p->cur ^= 1;
			p->own_len = 0;
		}
	}
	return 0;
}

void
duet_hashpipe_finish(struct duet_hashpipe *p)
{
	if (p == NULL)
		return;
	if (p->own_len > 0)
		duet_hashpipe_feed(p, p->own[p->cur], p->own_len);
	pthread_mutex_lock(&p->mu);
	while (p->buf != NULL)
		pthread_cond_wait(&p->cv, &p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->tid, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	duet_free(p->own[0]);
	duet_free(p->own[1]);
	duet_free(p);
}
