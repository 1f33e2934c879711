/*
 * walk.h: list a whole tree of an fs into a sorted listing, several
 * directories in flight at once, applying the filter. Used by every
 * one-way command and by bisync.
 */
#ifndef DUET_CORE_WALK_H
#define DUET_CORE_WALK_H

#include "backend.h"
#include "filter.h"
#include "listing.h"

struct duet_walk_opts {
	const struct duet_filter *filter; /* NULL: everything */
	int checkers;    /* directories listed in parallel (>= 1) */
	int dirs;        /* 1: include directory entries in the listing */
	int max_depth;   /* -1: unlimited; 1: direct children of dir only */
	int no_filter_dirs; /* 1: directories are not subject to filter rules
	                       (the destination of a sync, with filters) */
	int fast_list;   /* a backend's recursive listing (list_r), when it has
	                    one: 0 when no filter is active (a filtered walk
	                    skips excluded directories, a recursive listing
	                    reads them), 1 always (--fast-list), -1 never */
};

/*
 * Lists everything below `dir` ("" for the root) into *out (initialised
 * by the caller with duet_listing_init), sorted. A subdirectory that
 * cannot be read is logged as an ERROR, counted in out->errors, and
 * skipped. When dir itself does not exist, out->root_missing is set and 0
 * returned; the caller decides whether that is an error. Other failures of
 * dir itself return their code. Entry paths are relative to the fs root.
 */
int duet_walk(struct duet_fs *fs, const char *dir, const struct duet_walk_opts *o,
    struct duet_listing *out);

/* One walk of duet_walk_both: inputs fs, o, out; outputs rc and msg. */
struct duet_walk_job {
	struct duet_fs *fs;          /* borrowed */
	struct duet_walk_opts o;
	struct duet_listing *out;    /* initialised by the caller */
	int rc;                      /* duet_walk's result */
	char msg[512];               /* its error message when rc != 0 */
};

/* Runs both walks at the same time (b on a thread of its own, or after a
 * when no thread can be made). b may be NULL: only a runs. */
void duet_walk_both(struct duet_walk_job *a, struct duet_walk_job *b);

#endif
