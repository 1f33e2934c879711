/*
 * run_int.h: the state of one bisync run, shared by run.c (set-up, lock,
 * resync, listings) and normal.c (the normal run). Private to bisync/.
 */
#ifndef DUET_BISYNC_RUN_INT_H
#define DUET_BISYNC_RUN_INT_H

#include <pthread.h>

#include "bisync/run.h"
#include "core/listing.h"
#include "listing/delta.h"
#include "listing/names.h"
#include "workdir/workdir.h"

/* lockkeep.c: renews a finite (--max-lock) lock while the run lives. */
struct brun_keeper {
	struct duet_workdir *w;
	uint32_t pair;
	int64_t max_lock;              /* ns */
	struct duet_lock_holder *me;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, running;
};
int brun_keeper_start(struct brun_keeper *k, struct duet_workdir *w, uint32_t pair,
    int64_t max_lock, struct duet_lock_holder *me);
void brun_keeper_stop(struct brun_keeper *k);

struct brun {
	const struct duet_bisync_opts *o;
	struct duet_fs *fs1, *fs2;
	struct duet_fs *bfs[2];          /* --backup-dir1/2 (or --backup-dir), or NULL */
	struct duet_workdir *w;
	uint32_t pair;
	struct duet_listing cur1, cur2;  /* current listings (walked) */
	struct duet_run_rec rec;         /* counters of this run */
	uint64_t run;                    /* this run's id once journaled, else 0 */
	uint64_t recovering;             /* interrupted run being finished, or 0 */
	long items;                      /* engine items finished (failpoint) */
	long kill_after;                 /* DUET_FAILPOINT_KILL_AFTER, or 0 */
	char name1[4096], name2[4096];   /* "root/" as logged */
	struct duet_listing upd[2];      /* what the run did to each side */
	int hash_kind;                   /* listing hashes (enum), or -1 */
	int retryable;                   /* a critical error --resilient may retry */
	unsigned char filters_md5[16];   /* of --filters-file, when given */
	int has_filters_md5;
	struct duet_names names;         /* spellings that differ (alias.c) */
	/* The directories each side has, when the listings leave them out
	 * (no --create-empty-src-dirs), and their spellings that differ: a
	 * new file joins the other side's spelling of its directory. */
	struct duet_listing dirs[2];
	struct duet_names dnames;
	struct duet_arena spell;         /* names brun_spelling made up */
	/* items.c: destination paths of the current batch the engine
	 * finished (kept with -i only) and skipped (by -i or because the
	 * destination changed since the walk); conflicts declined at -i;
	 * names the run itself renamed from or to on each side (the check of
	 * the destination lets them pass); the user quit. */
	struct duet_listing done, skipped, declined, touched[2];
	int sorted, quit;
	struct brun_xctx {
		struct brun *b;
		int side;                /* the destination side of the batch */
	} xctx[2];                   /* the engine's callback context */
};

/* Walks both roots (at the same time) into cur1/cur2. DUET_E_* on a
 * listing error (logged). */
int brun_list(struct brun *b);
/* How brun_store gets the new listings. */
enum brun_new {
	BRUN_ASIS = 0,   /* cur1/cur2 as walked (nothing was done) */
	BRUN_UPDATES,    /* cur1/cur2 with the run's updates applied */
};
/* Stores both listings, the run record and the pair state in one
 * transaction. */
int brun_store(struct brun *b, uint8_t outcome, enum brun_new how);
/* update.c: records that the run left entry e (path, size, mtime, hashes)
 * on side 1 or 2, or removed path there; applied by brun_store. The last
 * record of a path wins. DUET_E_NOMEM. */
int brun_upd_put(struct brun *b, int side, const struct duet_entry *e);
int brun_upd_del(struct brun *b, int side, const char *path);
int brun_upd_apply(struct brun *b);
/* dirs.c: makes (copies) or removes (deletes, deepest first) the
 * directory entries among v on side dside of fs dst, recording them for
 * the new listings; files among v are left alone. */
int brun_dirs_make(struct brun *b, struct duet_fs *dst, int dside, const struct duet_entry *const *v,
    size_t n);
int brun_dirs_remove(struct brun *b, struct duet_fs *dst, int dside,
    const struct duet_entry *const *v, size_t n);
/* --remove-empty-dirs: every empty directory below both roots, at the end. */
int brun_remove_empty_dirs(struct brun *b);
/* Counts one finished action for DUET_FAILPOINT_KILL_AFTER (tests). */
void brun_failpoint(struct brun *b);
/* Runs $DUET_TEST_HOOK_BEFORE_SYNC (tests only) before a copy phase. */
void brun_test_hook(void);
/* Records the plan in the journal and marks the pair INTERRUPTED, in one
 * transaction, before the first action. */
int brun_journal(struct brun *b, const struct duet_plan *p);
/* hashes.c: the kind of listing hashes for these options and backends
 * (-1: none), and hashing every file of cur1/cur2 with it. */
int brun_hash_kind(const struct duet_bisync_opts *o, const struct duet_fs *fs1, const struct duet_fs *fs2);
int brun_hash_listings(struct brun *b);
/* resync.c: --resync with its --resync-mode. */
enum duet_bisync_result brun_resync(struct brun *b);
/* The normal run (prior listings exist). */
enum duet_bisync_result brun_normal(struct brun *b);
/* checks.c: --check-access on cur1/cur2 (logs; DUET_E_CHANGED "check
 * file check failed"), the --filters-file md5 against the pair's (sets
 * b->filters_md5; errors as rclone's, critical), the all-files-changed
 * trap (unless --force). */
int brun_check_access(struct brun *b);
/* What tells two entries apart under the compare settings (size, then
 * time beyond the window, then listing hash); BDIFF_NONE when nothing
 * does. Resync and check-sync share it, so a resync never leaves a
 * difference check-sync would report. */
enum bdiff { BDIFF_NONE = 0, BDIFF_SIZE, BDIFF_MODTIME, BDIFF_HASH };
enum bdiff brun_differ(const struct brun *b, const struct duet_entry *a, const struct duet_entry *c);
/* --check-sync: l1 and l2 (new or stored listings) must name the same
 * files, of the same size and time where those are compared; logs each
 * difference; DUET_E_CORRUPT "path1 and path2 are out of sync". */
int brun_check_sync(const struct brun *b, const struct duet_listing *l1, const struct duet_listing *l2);
/* --check-sync=only: the stored listings checked, nothing walked. */
enum duet_bisync_result brun_check_sync_only(struct brun *b);
int brun_check_filters(struct brun *b);
int brun_filters_md5(const char *path, unsigned char md5[16]);
int brun_all_changed(const struct brun *b, const size_t nprior[2], const struct duet_deltas *d1,
    const struct duet_deltas *d2);
/* alias.c: the DUET_NAME_* flags of this run; the alias map of cur1/cur2
 * and the names deleted in d1/d2 (either may be NULL) into b->names; the
 * spelling of plan name `path` on side 1 or 2 (Path1's spelling is the
 * plan's; Path2's where it differs and exists); a --fix-case rename of
 * `from` to `to` on side (recorded; skipped with --dry-run). */
unsigned brun_name_flags(const struct brun *b);
int brun_alias_build(struct brun *b, const struct duet_deltas *d1, const struct duet_deltas *d2);
const char *brun_spelling(struct brun *b, int side, const char *path);
int brun_fix_case(struct brun *b, struct duet_fs *fs, int side, const char *from, const char *to);
/* Walks two sorted listings file by file: fn gets (e1, e2) for one file
 * (through m when spelt differently), (e1, NULL) or (NULL, e2) for a file
 * of one side. Stops at fn's first non-zero return, which it returns. */
typedef int (*brun_pair_fn)(void *ctx, const struct duet_entry *e1, const struct duet_entry *e2);
int brun_pairs(const struct duet_listing *l1, const struct duet_listing *l2,
    const struct duet_names *m, brun_pair_fn fn, void *ctx);
/* items.c: -i asks (b->o->confirm) before an action the engine does not
 * ask about; 1 go, 0 skip (also once the user quit). */
int brun_ask(struct brun *b, const char *action, const char *path);
/* 1 when the engine did the item of destination path in the current
 * batch: not skipped (-i, or its destination changed since the walk), and
 * with -i reported done. brun_batch_reset starts the next batch. */
int brun_done(struct brun *b, const char *path);
/* 1 when done items are recorded one by one (-i, or --resilient with
 * --retries: a step run again takes only what is not done yet). */
int brun_tracking(const struct brun *b);
void brun_batch_reset(struct brun *b);
/* The run renamed a file from or to path on side: no longer what the walk
 * saw, and no reason to skip a copy or delete there. DUET_E_NOMEM. */
int brun_touched(struct brun *b, int side, const char *path);
/* Copy options for copies and deletes on side dst (1 or 2): that side's
 * backup dir, -i, the check that the destination is still as walked. */
void brun_xfer_opts(struct brun *b, int dst, struct duet_xfer_opts *x);

#endif
