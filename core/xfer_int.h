/*
 * xfer_int.h: state shared by the engine's files (xfer.c: march and
 * phases; xfer_ops.c: one copy, one delete, one backup). Private to core.
 */
#ifndef DUET_CORE_XFER_INT_H
#define DUET_CORE_XFER_INT_H

#include <pthread.h>

#include "arena.h"
#include "xfer.h"

enum xjob_kind {
	XJ_COPY = 1,     /* copy s to dst_path */
	XJ_CHECK = 2,    /* decide with hashes or a destination stat */
	XJ_DELETE = 3,   /* delete d */
	XJ_MOVE_SRC = 4, /* move mode: source equal at dst, remove it */
	XJ_MKDIR = 5,
	XJ_RMDIR = 6,
};

#define XJ_DST_UNKNOWN 2 /* xjob.dst_exists: not known yet */

struct xjob {
	const struct duet_entry *s; /* source entry or NULL; borrowed */
	const struct duet_entry *d; /* destination entry or NULL; borrowed */
	const char *dst_path;       /* destination path (s->path when NULL) */
	unsigned char kind;         /* enum xjob_kind */
	unsigned char dst_exists;   /* the destination holds a file there, or
	                               XJ_DST_UNKNOWN: the worker looks */
};

struct xjobs {
	struct xjob *v;
	size_t n, cap;
};

struct xrun {
	struct duet_fs *src, *dst;
	const struct duet_xfer_opts *o;
	struct duet_stats *st;
	int64_t window;        /* modify window in ns (0 when mtimes unusable) */
	int hash_kind;         /* common hash kind of src and dst, or -1 */
	int verify;            /* hash the stream and check the destination */
	int64_t deadline;      /* monotonic ns for --max-duration, or 0 */
	pthread_mutex_t mu;    /* guards: copies, arena, callbacks, last_* */
	struct xjobs copies;   /* transfers found by the checks */
	struct duet_arena arena; /* entries made by checks (stat results) */
	atomic_long deletes_left; /* --max-delete budget, or -1 */
	atomic_int stop;       /* 1: start nothing new */
	pthread_mutex_t flush_mu; /* one group-commit flush at a time */
	atomic_int pending;    /* copies queued for the destination's flush */
	int last_err;          /* code of the last item error */
	char last_msg[512];
	pthread_mutex_t del_mu; /* guards del, ndel, del_fs */
	struct xdel *del;      /* removes waiting for del_fs's remove_batch */
	size_t ndel;
	struct duet_fs *del_fs;
};

/* A remove held for a batch: paths are borrowed from the run's entries. */
struct xdel {
	const char *path;
	int src; /* the source's file (move mode) */
};
/* Removes sent in one remove_batch (S3 DeleteObjects takes 1000). */
#define XFER_DEL_BATCH 1000

int xjobs_push(struct xjobs *j, const struct xjob *job);
void xjobs_dispose(struct xjobs *j);

const char *xjob_path(const struct xjob *j);
/* One item, as the workers run it; errors are counted, not returned. */
void xrun_copy(struct xrun *xr, const struct xjob *j);
void xrun_delete(struct xrun *xr, const struct xjob *j);
void xrun_check(struct xrun *xr, const struct xjob *j);
/* Sends the removes still held for a batch and reports them. */
void xrun_del_flush(struct xrun *xr);
/* Group commit: makes the queued copies durable and reports them. */
void xrun_flush(struct xrun *xr);
/* Copies queued before a flush (one syncfs per batch on local disks). */
#define XFER_BATCH 128
/* A pair found equal: report it; in move mode remove the source. */
void xrun_equal(struct xrun *xr, const struct xjob *j, int64_t size, int64_t mtime,
    const struct duet_hashes *h);
/* Each worker thread's copy buffer (XFER_BUF bytes), set by the pool. */
#define XFER_BUF (256 * 1024)
/* Files from this size on are hashed on a second thread while copied. */
#define XFER_HASH_THREAD_MIN (8 * 1024 * 1024)
extern _Thread_local char *xfer_tls_buf;
/* Records an item failure (log, stats, last error). */
void xrun_fail(struct xrun *xr, const char *path, const char *what, int code);
/* Reports an item to the callback, serialised. */
void xrun_report(struct xrun *xr, enum duet_xfer_op op, const char *path, int err,
    int64_t size, int64_t mtime, const struct duet_hashes *h);
/* rclone's size text for dry-run notices ("1.500Ki"). */
void xfer_size_text(int64_t n, char *out, size_t len);

#endif
