/*
 * delta.h: one side's changes since the prior run (rclone bisync's
 * findDeltas): the prior listing (from the workdir) and the current one
 * (from the walk), both sorted by path, merged into a sorted delta array.
 */
#ifndef DUET_LISTING_DELTA_H
#define DUET_LISTING_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/entry.h"
#include "core/listing.h"

/* Delta bits (rclone's names). */
#define DUET_D_NEW 0x01
#define DUET_D_NEWER 0x02
#define DUET_D_OLDER 0x04
#define DUET_D_LARGER 0x08
#define DUET_D_SMALLER 0x10
#define DUET_D_HASH 0x20
#define DUET_D_DELETED 0x40
#define DUET_D_TIME (DUET_D_NEWER | DUET_D_OLDER)
#define DUET_D_SIZE (DUET_D_LARGER | DUET_D_SMALLER)
#define DUET_D_MODIFIED (DUET_D_TIME | DUET_D_SIZE | DUET_D_HASH)
#define DUET_D_OTHER (DUET_D_NEW | DUET_D_MODIFIED)

/* What the comparison looks at (--compare, --modify-window, hashes). */
struct duet_compare {
	int size;          /* compare sizes */
	int modtime;       /* compare modification times */
	int checksum;      /* compare hashes */
	int hash_kind;     /* the kind compared (-1: none) */
	int64_t window;    /* ns; |a-b| < window counts as equal (>= 1) */
};

struct duet_delta {
	const struct duet_entry *prior; /* entry in the prior listing, or NULL (new) */
	const struct duet_entry *cur;   /* entry in the current listing, or NULL (deleted) */
	unsigned bits;                  /* DUET_D_* */
};

struct duet_deltas {
	struct duet_delta *v;  /* sorted by path; owned */
	size_t n, cap;
	/* Counters for the stats lines and the safety checks. */
	size_t n_new, n_modified, n_deleted;
	size_t n_newer, n_older, n_larger, n_smaller, n_hash;
	int found_same;        /* at least one prior file is unchanged */
};

/*
 * Merges prior and cur (both sorted by path; entries stay owned by the
 * listings, which must outlive *out) into *out. Directories are never
 * "modified", only new or deleted. Logs rclone's per-file lines at INFO
 * with `side` 1 or 2, spaced as rclone's (colours aside):
 *   "- Path1    File is new               - name"
 *   "- Path1    File was deleted          - name"
 *   "- Path1    File changed: size (larger), time (newer), hash - name"
 * Counters are filled; found_same is set when a file (not a directory)
 * is present in both and unchanged. Errors: DUET_E_NOMEM (*out is then
 * empty). Dispose *out with duet_deltas_dispose.
 */
int duet_deltas_find(const struct duet_listing *prior, const struct duet_listing *cur,
    const struct duet_compare *c, int side, struct duet_deltas *out);
void duet_deltas_dispose(struct duet_deltas *d);
/* Binary search by path; NULL when that path has no delta. */
const struct duet_delta *duet_deltas_find_path(const struct duet_deltas *d, const char *path);
/* The path a delta is about. */
const char *duet_delta_path(const struct duet_delta *d);

/* Enough for either stats line. */
#define DUET_DELTAS_STATS_MAX 192

/*
 * Formats rclone's stats lines for side 1 or 2 into line1 and line2 (each
 * `cap` bytes, DUET_DELTAS_STATS_MAX is enough):
 *   "Path1:    3 changes:    1 new,    1 modified,    1 deleted"
 *   "(Modified:    1 newer,    0 older,    1 larger,    0 smaller)"
 * The second names the newer/older pair, the larger/smaller pair and
 * "hash differs" only when that group is non-zero; it is "" when nothing
 * was modified. Returns the number of lines (1 or 2). Cannot fail.
 */
int duet_deltas_stats_lines(const struct duet_deltas *d, int side, char *line1,
    char *line2, size_t cap);
/* Logs those lines at INFO. */
void duet_deltas_log_stats(const struct duet_deltas *d, int side);

/*
 * The same merge with the prior listing streamed (from an LMDB cursor)
 * instead of held in memory: begin, then prior entries one by one in path
 * order (each valid only during its call), then end. Only the prior
 * entries a delta needs are copied (into s->kept), so memory is the
 * current listing plus the changes. Errors: DUET_E_NOMEM. *out stays
 * valid until the stream is disposed.
 */
struct duet_deltas_stream {
	const struct duet_listing *cur;
	const struct duet_compare *c;
	int side;
	size_t ci;                 /* next current entry */
	size_t nprior;             /* prior entries fed so far */
	struct duet_deltas *out;
	struct duet_arena kept;    /* copies of prior entries deltas point at */
};
void duet_deltas_stream_begin(struct duet_deltas_stream *s, const struct duet_listing *cur,
    const struct duet_compare *c, int side, struct duet_deltas *out);
int duet_deltas_stream_prior(struct duet_deltas_stream *s, const struct duet_entry *p);
int duet_deltas_stream_end(struct duet_deltas_stream *s);
void duet_deltas_stream_dispose(struct duet_deltas_stream *s);

#endif
