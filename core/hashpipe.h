/*
 * hashpipe.h: hashing on a second thread while the caller moves the same
 * bytes on, so that a transfer's digest costs no time on its critical
 * path (an MD5 of a large file takes about as long as sending it).
 */
#ifndef DUET_CORE_HASHPIPE_H
#define DUET_CORE_HASHPIPE_H

#include <stddef.h>

#include "hash.h"

struct duet_hashpipe;

/*
 * Starts a thread that feeds chunks to h (borrowed; the caller finalises
 * it after duet_hashpipe_finish). Errors: DUET_E_NOMEM, DUET_E_IO when no
 * thread can be started (the caller then hashes inline).
 */
int duet_hashpipe_start(struct duet_hasher *h, struct duet_hashpipe **out);

/*
 * Waits until the previous chunk is hashed, then hands buf[0:n] to the
 * thread and returns at once. buf must stay unchanged until the next
 * feed or finish returns, so a caller alternates two buffers.
 */
void duet_hashpipe_feed(struct duet_hashpipe *p, const void *buf, size_t n);

/*
 * For a caller whose buffer does not stay put (a read stream that hands
 * the bytes on): copies buf[0:n] into one of two buffers the pipe owns
 * (of chunk bytes each, allocated on first use) and feeds that. Returns 0
 * or DUET_E_NOMEM (nothing fed then; the caller may hash inline).
 */
int duet_hashpipe_feed_copy(struct duet_hashpipe *p, const void *buf, size_t n, size_t chunk);

/* Waits for the last chunk, stops the thread, frees p. NULL-safe. */
void duet_hashpipe_finish(struct duet_hashpipe *p);

#endif
