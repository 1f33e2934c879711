/*
 * bwlimit.h: a token bucket limiting bytes per second (rclone --bwlimit),
 * shared by every transfer that charges it. Charging n bytes returns at
 * once while the bucket has tokens and otherwise sleeps the caller until
 * the rate allows them, so N bytes through a bucket of rate L take at
 * least about N/L seconds, minus one burst (a tenth of a second's worth).
 * Thread-safe. One process-wide bucket exists, off until given a rate.
 */
#ifndef DUET_CORE_BWLIMIT_H
#define DUET_CORE_BWLIMIT_H

#include <stddef.h>
#include <stdint.h>

struct duet_bwlimit;

/* Creates a bucket of `rate` bytes/s (0: unlimited). DUET_E_NOMEM. */
int duet_bwlimit_new(int64_t rate, struct duet_bwlimit **out);
/* Frees a bucket nobody charges any more. NULL-safe; the global one is
 * never freed. */
void duet_bwlimit_free(struct duet_bwlimit *b);

/* The process-wide bucket (--bwlimit); unlimited until set. Never NULL. */
struct duet_bwlimit *duet_bwlimit_global(void);

/* Changes the rate (bytes/s; 0 or less: unlimited), effective for the
 * next charge. Thread-safe. */
void duet_bwlimit_set(struct duet_bwlimit *b, int64_t rate);
/* The current rate (0: unlimited). */
int64_t duet_bwlimit_rate(struct duet_bwlimit *b);

/* Charges n bytes, sleeping as long as the rate requires. NULL-safe (no
 * limit). Thread-safe; concurrent callers share the rate. */
void duet_bwlimit_charge(struct duet_bwlimit *b, size_t n);

#endif
