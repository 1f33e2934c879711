/*
 * stats.c: the statistics block rclone users know, the -P live line and
 * the --stats ticker (a thread that wakes at the interval).
 */
#include "cli.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static pthread_t stats_tid;
static int stats_running;
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stats_cv = PTHREAD_COND_INITIALIZER;
static int stats_stop_flag;

static void
fmt_bytes(double v, char *out, size_t len)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int u = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%.0f %s", v, units[u]);
	else
		snprintf(out, len, "%.3f %s", v, units[u]);
}

static int
pct(long long a, long long b)
{
	return b > 0 ? (int)(a * 100 / b) : 0;
}

void
cli_stats_text(const struct duet_stats *st, int one_line, char *out, size_t len)
{
	long long bytes = atomic_load(&st->bytes), total = atomic_load(&st->total_bytes);
	long tr = atomic_load(&st->transfers), ttr = atomic_load(&st->total_transfers);
	long ck = atomic_load(&st->checks), tck = atomic_load(&st->total_checks);
	double secs = (double)(duet_now_mono() - st->start_ns) / 1e9;
	double speed = secs > 0 ? (double)bytes / secs : 0;
	char b1[32], b2[32], sp[32], eta[32] = "-";

	if (total < bytes)
		total = bytes;
	if (ttr < tr)
		ttr = tr;
	if (tck < ck)
		tck = ck;
	fmt_bytes((double)bytes, b1, sizeof(b1));
	fmt_bytes((double)total, b2, sizeof(b2));
	fmt_bytes(speed, sp, sizeof(sp));
	if (speed > 0 && total > bytes)
		snprintf(eta, sizeof(eta), "%.0fs", (double)(total - bytes) / speed);
	if (one_line) {
		snprintf(out, len, "%s / %s, %d%%, %s/s, ETA %s", b1, b2, pct(bytes, total), sp, eta);
		return;
	}
	snprintf(out, len,
	    "Transferred:   \t%15s / %s, %d%%, %s/s, ETA %s\n"
	    "Errors:        %10ld\n"
	    "Checks:        %10ld / %ld, %d%%\n"
	    "Deleted:       %10ld (files), %ld (dirs)\n"
	    "Transferred:   %10ld / %ld, %d%%\n"
	    "Elapsed time:  %9.1fs",
	    b1, b2, pct(bytes, total), sp, eta, (long)atomic_load(&st->errors), ck, tck,
	    pct(ck, tck), (long)atomic_load(&st->deletes), (long)atomic_load(&st->dir_deletes),
	    tr, ttr, pct(tr, ttr), secs);
}

struct stats_ctx {
	const struct cli_opts *o;
	struct duet_stats *st;
};
static struct stats_ctx stats_ctx;

static void
stats_print(int final)
{
	char text[1024];
	const struct cli_opts *o = stats_ctx.o;
	if (o->progress) {
		cli_stats_text(stats_ctx.st, 1, text, sizeof(text));
		fprintf(stderr, "\r\033[KTransferred: %s, checks %ld, transfers %ld%s", text,
		    (long)atomic_load(&stats_ctx.st->checks),
		    (long)atomic_load(&stats_ctx.st->transfers), final ? "\n" : "");
		fflush(stderr);
		return;
	}
	cli_stats_text(stats_ctx.st, o->stats_one_line, text, sizeof(text));
	duet_log(DUET_LOG_INFO, "%s%s", o->stats_one_line ? "" : "\n", text);
}

static void *
stats_thread(void *arg)
{
	int64_t every = *(int64_t *)arg;
	struct timespec ts;
	pthread_mutex_lock(&stats_mu);
	while (!stats_stop_flag) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(every / 1000000000);
		ts.tv_nsec += (long)(every % 1000000000);
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&stats_cv, &stats_mu, &ts);
		if (!stats_stop_flag) {
			pthread_mutex_unlock(&stats_mu);
			stats_print(0);
			pthread_mutex_lock(&stats_mu);
		}
	}
	pthread_mutex_unlock(&stats_mu);
	return NULL;
}

void
cli_stats_start(const struct cli_opts *o, struct duet_stats *st)
{
	static int64_t every;
	stats_ctx.o = o;
	stats_ctx.st = st;
	every = o->stats_interval;
	if (o->progress && every == 0)
		every = 500000000; /* -P: twice a second */
	if (every <= 0 || (!o->progress && !duet_log_enabled(DUET_LOG_INFO)))
		return;
	stats_stop_flag = 0;
	if (pthread_create(&stats_tid, NULL, stats_thread, &every) == 0)
		stats_running = 1;
}

void
cli_stats_stop(const struct cli_opts *o, struct duet_stats *st)
{
	(void)st;
	if (stats_running) {
		pthread_mutex_lock(&stats_mu);
		stats_stop_flag = 1;
		pthread_cond_signal(&stats_cv);
		pthread_mutex_unlock(&stats_mu);
		pthread_join(stats_tid, NULL);
		stats_running = 0;
	}
	if (stats_ctx.st != NULL && (o->progress || duet_log_enabled(DUET_LOG_INFO)))
		stats_print(1);
}
