/*
 * parts.h: the parallel part uploader that S3 multipart uploads and Azure
 * block uploads share. A write stream's bytes are cut into parts of
 * part_size bytes; each full part goes to one of `concurrency` worker
 * threads, which call the backend's put(). write() blocks while every
 * worker is busy, so memory stays near (concurrency + 1) * part_size.
 * A stream that never fills its first part is handed back whole at the
 * end, for a single PUT.
 */
#ifndef DUET_BACKENDS_HTTP_PARTS_H
#define DUET_BACKENDS_HTTP_PARTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Called once, on the writer's thread, before the first part is handed
 * to a worker (S3: CreateMultipartUpload). Returns 0 or a code with the
 * message set; the stream then fails with it. Not called when the whole
 * stream fits in one part (duet_parts_finish reports it as single).
 */
typedef int (*duet_parts_begin_fn)(void *ctx);

/*
 * Uploads part `index` (0-based; S3's part number is index + 1): n bytes
 * (n > 0) at data, which stays valid during the call only. May set *tag to
 * a string from duet_strdup (S3: the part's ETag), which the uploader owns
 * from then on. Runs on a worker thread, several at once. Returns 0 or a
 * code with the message set; after a failure no further part is started.
 */
typedef int (*duet_parts_put_fn)(void *ctx, unsigned index, const void *data, size_t n,
    char **tag);

struct duet_parts_opts {
	size_t part_size;  /* bytes of each part but the last (> 0) */
	unsigned max_parts; /* most parts (S3 10000, Azure 50000); writing
	                       beyond part_size * max_parts fails */
	int concurrency;   /* worker threads, >= 1 */
	duet_parts_begin_fn begin;
	duet_parts_put_fn put;
	void *ctx;         /* passed to begin and put */
};

struct duet_parts;

/* Creates an uploader (no thread starts until a second part is needed).
 * Errors: DUET_E_INVAL for a zero part_size or max_parts, DUET_E_NOMEM. */
int duet_parts_new(const struct duet_parts_opts *o, struct duet_parts **out);

/*
 * Appends n bytes. Returns 0, the code of a part that failed (message as
 * it set), the code of begin(), or DUET_E_INVAL ("too large: more than
 * max_parts parts of part_size bytes") once the stream outgrows max_parts.
 * After a failure the uploader only finishes (with that code) or frees.
 */
int duet_parts_write(struct duet_parts *p, const void *buf, size_t n);

/*
 * Ends the stream. When begin() was never called (the stream fits in one
 * part, maybe empty), returns 0 with *single = 1 and *data, *n the whole
 * body (owned by the uploader, valid until duet_parts_free); nothing was
 * uploaded. Otherwise uploads the last part, waits for every worker and
 * returns 0 with *single = 0 when all parts succeeded, else the first
 * failure's code. Call once.
 */
int duet_parts_finish(struct duet_parts *p, int *single, const void **data, size_t *n);

/* After a successful finish with *single == 0: how many parts there are,
 * and the tag put() gave part i (NULL when it gave none). */
unsigned duet_parts_count(const struct duet_parts *p);
const char *duet_parts_tag(const struct duet_parts *p, unsigned i);

/* Bytes written so far. */
int64_t duet_parts_total(const struct duet_parts *p);

/* Waits for running workers (no new part starts), frees everything.
 * NULL-safe. The caller then aborts the upload server-side if needed. */
void duet_parts_free(struct duet_parts *p);

#endif
