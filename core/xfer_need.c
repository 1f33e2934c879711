/*
 * xfer_need.c: rclone's decision rules for one source/destination pair:
 * size, mtime within the modify window, --checksum, --size-only,
 * --ignore-size, -I, -u, --ignore-existing, --immutable.
 */
#include "xfer.h"

#include <time.h>

int64_t
duet_now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
duet_now_real(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
need_size_differs(const struct duet_xfer_opts *o, const struct duet_entry *s,
    const struct duet_entry *d)
{
	if (o->ignore_size || s->size < 0 || d->size < 0)
		return 0;
	return s->size != d->size;
}

/* The equality test when neither -u nor -I decides. */
static enum duet_need
need_equal(const struct duet_xfer_opts *o, const struct duet_entry *s,
    const struct duet_entry *d, int64_t window, int have_hash)
{
	int64_t dt;

	if (need_size_differs(o, s, d))
		return DUET_NEED_COPY;
	if (o->size_only)
		return DUET_NEED_NONE;
	if (o->checksum)
		return have_hash ? DUET_NEED_HASH : DUET_NEED_NONE;
	if (window < 0 || s->mtime == 0 || d->mtime == 0)
		return DUET_NEED_NONE; /* no usable times: size decides */
	dt = s->mtime - d->mtime;
	if (dt < 0)
		dt = -dt;
	if (dt <= window)
		return DUET_NEED_NONE;
	/* Times differ: equal hashes mean only the mtime needs fixing. */
	return have_hash ? DUET_NEED_HASH : DUET_NEED_COPY;
}

enum duet_need
duet_xfer_need(const struct duet_xfer_opts *o, const struct duet_entry *s,
    const struct duet_entry *d, int64_t window, int have_hash)
{
	enum duet_need n;

	if (d == NULL)
		return DUET_NEED_COPY;
	if (o->ignore_existing)
		return DUET_NEED_NONE;
	if (o->update && !o->ignore_times && window >= 0 && s->mtime && d->mtime) {
		int64_t dt = d->mtime - s->mtime;
		if (dt > window)
			return DUET_NEED_NONE; /* destination is newer */
		if (dt < -window && !o->checksum && !o->size_only)
			return DUET_NEED_COPY; /* destination is older */
		if (dt >= -window && dt <= window)
			return need_size_differs(o, s, d) ? DUET_NEED_COPY : DUET_NEED_NONE;
	}
	if (o->ignore_times)
		n = DUET_NEED_COPY;
	else
		n = need_equal(o, s, d, window, have_hash);
	if (n == DUET_NEED_COPY && o->immutable)
		return DUET_NEED_IMMUTABLE;
	return n;
}
