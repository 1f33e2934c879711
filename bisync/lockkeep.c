/*
 * lockkeep.c: --max-lock. A finite lock expires max-lock after it was last
 * renewed, so a run that dies on another host does not block the pair for
 * ever; a live run renews its lock every max-lock minus one minute from a
 * thread of its own, so it never holds an expired lock (rclone §1.3).
 */
#include "run_int.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "core/error.h"
#include "core/log.h"

#define BKEEP_MARGIN_NS (60LL * 1000000000LL)

static void *
bkeep_main(void *arg)
{
	struct brun_keeper *k = arg;
	struct timespec at;
	int64_t every = k->max_lock - BKEEP_MARGIN_NS;
	const char *test = getenv("DUET_TEST_LOCK_RENEW_MS");

	if (test != NULL && atol(test) > 0) /* tests cannot wait a minute */
		every = atol(test) * 1000000LL;
	pthread_mutex_lock(&k->mu);
	while (!k->stop) {
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_sec += (time_t)(every / 1000000000LL);
		at.tv_nsec += (long)(every % 1000000000LL);
		if (at.tv_nsec >= 1000000000L) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000L;
		}
		while (!k->stop && pthread_cond_timedwait(&k->cv, &k->mu, &at) != ETIMEDOUT)
			;
		if (k->stop)
			break;
		pthread_mutex_unlock(&k->mu);
		if (duet_workdir_lock_renew(k->w, k->pair, k->max_lock, k->me) != 0)
			duet_log(DUET_LOG_ERROR, "cannot renew the lock: %s", duet_err_msg());
		else
			duet_log(DUET_LOG_INFO, "lock renewed for %llds. New expiration in %llds",
			    (long long)(k->max_lock / 1000000000LL), (long long)(k->max_lock / 1000000000LL));
		pthread_mutex_lock(&k->mu);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

int
brun_keeper_start(struct brun_keeper *k, struct duet_workdir *w, uint32_t pair, int64_t max_lock,
    struct duet_lock_holder *me)
{
	k->w = w;
	k->pair = pair;
	k->max_lock = max_lock;
	k->me = me;
	k->stop = 0;
	k->running = 0;
	if (max_lock <= 0)
		return 0; /* never expires: nothing to renew */
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	if (pthread_create(&k->tid, NULL, bkeep_main, k) != 0) {
		pthread_cond_destroy(&k->cv);
		pthread_mutex_destroy(&k->mu);
		return duet_err_set(DUET_E_NOMEM, "cannot start the lock renewal thread");
	}
	k->running = 1;
	return 0;
}

void
brun_keeper_stop(struct brun_keeper *k)
{
	if (!k->running)
		return;
	pthread_mutex_lock(&k->mu);
	k->stop = 1;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->tid, NULL);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	k->running = 0;
}
