/*
 * plan.h: bisync's decision table (rclone's applyDeltas) and conflict
 * resolution. Pure logic, no I/O: deltas of both sides and the current
 * listings in, a plan of actions out. Names changed on both sides come
 * out as CHECK actions; the caller compares the two files (I/O) and hands
 * each result to duet_plan_resolve, which adds copies or renames.
 */
#ifndef DUET_CONFLICT_PLAN_H
#define DUET_CONFLICT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/listing.h"
#include "listing/delta.h"
#include "listing/names.h"

enum duet_act {
	DUET_ACT_COPY_1TO2 = 1, /* copy path from Path1 to Path2 */
	DUET_ACT_COPY_2TO1 = 2,
	DUET_ACT_DELETE1 = 3,   /* delete path on Path1 */
	DUET_ACT_DELETE2 = 4,
	DUET_ACT_RENAME1 = 5,   /* rename path to new_path on Path1 */
	DUET_ACT_RENAME2 = 6,
	DUET_ACT_CHECK = 7,     /* changed on both sides: compare, then resolve */
	DUET_ACT_SKIP_DIR = 8,  /* a directory on both sides: keep, no rename */
};

struct duet_action {
	enum duet_act kind;
	const char *path;      /* the name acted on; borrowed (listing/arena) */
	const char *new_path;  /* RENAME: the new name; arena-owned */
	/* The state the source had when planned (size, mtime), so the executor
	 * can re-check before it overwrites or deletes (Unison's rule). */
	const struct duet_entry *expect;
};

struct duet_plan {
	struct duet_action *v; /* in decision order; owned */
	size_t n, cap;
	struct duet_arena arena; /* new names */
};

enum duet_resolve {
	DUET_RESOLVE_NONE = 0, DUET_RESOLVE_PATH1, DUET_RESOLVE_PATH2, DUET_RESOLVE_NEWER,
	DUET_RESOLVE_OLDER, DUET_RESOLVE_LARGER, DUET_RESOLVE_SMALLER,
};
enum duet_loser { DUET_LOSER_NUM = 0, DUET_LOSER_PATHNAME, DUET_LOSER_DELETE };

struct duet_conflict_opts {
	enum duet_resolve resolve;
	enum duet_loser loser;
	const char *suffix1;      /* with the leading '.', e.g. ".conflict" */
	const char *suffix2;      /* the same string when one suffix was given */
	int keep_extension;       /* --suffix-keep-extension */
	int compare_size;         /* --compare includes size */
	int compare_modtime;      /* --compare includes modtime */
	int compare_checksum;     /* --compare includes checksum */
	int hash_kind;            /* kind compared with checksum, or -1 */
	int64_t window;           /* modify window in ns (equal files) */
	int fix_case;             /* --fix-case: equal files spelt differently
	                             are copied 1->2 (the copy renames) */
};

void duet_plan_init(struct duet_plan *p);
void duet_plan_dispose(struct duet_plan *p);

/*
 * The decision table over both sides' deltas (rclone §1.8). cur1/cur2 are
 * the current listings (to tell directories). m (NULL: none) links names
 * the two sides spell differently (section 1.21): such a file is planned
 * under Path1's spelling, and the executor maps it to Path2's. Appends
 * COPY, DELETE and CHECK actions. Errors: DUET_E_NOMEM.
 */
int duet_plan_build(const struct duet_deltas *d1, const struct duet_deltas *d2,
    const struct duet_listing *cur1, const struct duet_listing *cur2,
    const struct duet_names *m, const struct duet_conflict_opts *o, struct duet_plan *p);

/*
 * 1 when the cheap pre-filter (rclone §1.9 step 2, on the deltas' recorded
 * values) already proves the two versions differ; 0 when they must be
 * compared.
 */
int duet_plan_differ_cheap(const struct duet_delta *a, const struct duet_delta *b,
    const struct duet_conflict_opts *o);

/*
 * Resolves one CHECK: `equal` is the comparison's result. Equal files with
 * different times get the newer copied over the older; different files go
 * through --conflict-resolve / --conflict-loser / --conflict-suffix
 * (rclone §1.10), adding RENAME, DELETE and COPY actions. *winner is set to
 * 0, 1 or 2. Errors: DUET_E_NOMEM.
 */
int duet_plan_resolve(const struct duet_delta *a, const struct duet_delta *b, int equal,
    const struct duet_listing *cur1, const struct duet_listing *cur2,
    const struct duet_conflict_opts *o, struct duet_plan *p, int *winner);

/*
 * The conflict name of path with suffix and number n (n = 0: no number):
 * "a.txt" + ".conflict" + 1 -> "a.txt.conflict1", or "a.conflict1.txt"
 * with keep_extension. Arena-owned; NULL on no memory.
 */
char *duet_plan_conflict_name(struct duet_arena *a, const char *path, const char *suffix,
    int n, int keep_extension);

#endif
