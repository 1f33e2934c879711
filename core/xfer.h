/*
 * xfer.h: the one-way transfer engine. Given two sorted listings (or an
 * explicit plan, as bisync gives), it decides per entry with rclone's rules
 * and executes the copies, deletes and backups with a pool of workers.
 * Every finished item is reported to a callback (bisync records from it).
 *
 * Phases of duet_xfer_run: march (plan) -> checks (--checkers threads:
 * hash comparisons, destination stats) -> deletes when --delete-before ->
 * transfers (--transfers threads) -> deletes (after; never when the run
 * saw errors) -> directory clean-up.
 */
#ifndef DUET_CORE_XFER_H
#define DUET_CORE_XFER_H

#include <stdatomic.h>
#include <stdint.h>

#include "backend.h"
#include "filter.h"
#include "listing.h"

enum duet_xfer_mode {
	DUET_XFER_COPY = 0, /* copy new and changed files */
	DUET_XFER_SYNC = 1, /* copy, then delete what the source lacks */
	DUET_XFER_MOVE = 2, /* copy, then delete the source file */
};

enum duet_delete_mode {
	DUET_DELETE_AFTER = 0,
	DUET_DELETE_DURING = 1,
	DUET_DELETE_BEFORE = 2,
};

enum duet_cutoff {
	DUET_CUTOFF_HARD = 0,     /* stop at once, abort transfers in flight */
	DUET_CUTOFF_SOFT = 1,     /* start no new transfer */
	DUET_CUTOFF_CAUTIOUS = 2, /* start none that would pass the limit */
};

/* What happened to one item. */
enum duet_xfer_op {
	DUET_OP_COPY = 1,      /* copied (new or replaced) to the destination */
	DUET_OP_DELETE = 2,    /* deleted from the destination */
	DUET_OP_MOVE_SRC = 3,  /* source removed after copy (move) */
	DUET_OP_SETMTIME = 4,  /* destination mtime updated, content equal */
	DUET_OP_EQUAL = 5,     /* checked: equal, nothing done */
	DUET_OP_BACKUP = 6,    /* destination version moved to the backup */
	DUET_OP_MKDIR = 7,     /* directory created */
	DUET_OP_RMDIR = 8,     /* directory removed */
	DUET_OP_SKIP = 9,      /* skipped by a rule (--update, -i, dry-run...) */
};

struct duet_xfer_item {
	enum duet_xfer_op op;
	const char *path;            /* destination-relative path */
	int err;                     /* 0 or the DUET_E_* code it failed with */
	const char *msg;             /* error text when err != 0 */
	int64_t size;                /* resulting size at the destination */
	int64_t mtime;               /* resulting mtime at the destination */
	const struct duet_hashes *hashes; /* digests of the content, or NULL */
};

/* Live counters; read any time (atomics) for --progress and --stats. */
struct duet_stats {
	atomic_llong bytes;        /* bytes transferred */
	atomic_llong total_bytes;  /* bytes planned */
	atomic_long transfers;     /* files copied */
	atomic_long total_transfers;
	atomic_long checks;        /* files compared */
	atomic_long total_checks;
	atomic_long deletes;       /* files deleted */
	atomic_long dir_deletes;   /* directories removed */
	atomic_long renames;       /* server-side moves */
	atomic_long errors;        /* failed items */
	atomic_int fatal;          /* a fatal error stopped the run */
	atomic_int cancelled;      /* a limit or signal stopped the run */
	int64_t start_ns;          /* monotonic start time */
};

struct duet_xfer_opts {
	enum duet_xfer_mode mode;
	/* Comparison (rclone's flags). */
	int checksum;          /* --checksum: hash instead of mtime */
	int size_only;         /* --size-only */
	int ignore_size;       /* --ignore-size */
	int ignore_times;      /* -I: transfer all */
	int update;            /* -u: skip files newer on the destination */
	int ignore_existing;   /* --ignore-existing */
	int immutable;         /* --immutable */
	int no_update_modtime; /* --no-update-modtime */
	int no_check_dest;     /* --no-check-dest */
	int no_traverse;       /* --no-traverse */
	int ignore_checksum;   /* --ignore-checksum: no post-copy verify */
	int fast_list;         /* --fast-list: recursive listings with filters too
	                          (duet_walk_opts.fast_list) */
	int64_t modify_window; /* ns; -1: the coarser precision of the two */
	/* Concurrency and retries. */
	int transfers;         /* --transfers (default 4) */
	int checkers;          /* --checkers (default 8) */
	int low_level_retries; /* --low-level-retries (default 10) */
	int check_first;       /* --check-first */
	int max_backlog;       /* --max-backlog (accepted; see docs) */
	const char *order_by;  /* --order-by "size|name|modtime[,asc|desc]" */
	/* Limits. */
	int64_t max_transfer;  /* bytes; -1 off */
	int64_t max_duration;  /* ns; 0 off */
	enum duet_cutoff cutoff;
	long max_delete;       /* files; -1 off */
	enum duet_delete_mode delete_mode;
	int delete_excluded;   /* --delete-excluded */
	/* Backups and alternate destinations. */
	struct duet_fs *backup_fs;   /* --backup-dir root (or the destination
	                                when only --suffix is set); borrowed */
	const char *suffix;          /* --suffix or NULL */
	int suffix_keep_extension;   /* --suffix-keep-extension */
	struct duet_fs *compare_fs;  /* --compare-dest; borrowed */
	struct duet_fs *copy_fs;     /* --copy-dest; borrowed */
	/* Behaviour. */
	int dry_run;
	int create_empty_src_dirs;
	const struct duet_filter *filter; /* for --delete-excluded decisions */
	/* Callbacks (may be NULL). on_item is called from worker threads, one
	 * call at a time (the engine serialises). confirm (for -i) returns 1
	 * to go ahead, 0 to skip, negative to quit. */
	void (*on_item)(void *ctx, const struct duet_xfer_item *it);
	int (*confirm)(void *ctx, const char *action, const char *path);
	/* copy_list and delete_list only: called from a worker just before a
	 * copy replaces (or creates) path at the destination, or a delete
	 * removes it, with what is there now (now->type 0 when nothing is).
	 * Non-zero skips the item (reported as DUET_OP_SKIP): the caller's
	 * own check that the destination is still what it planned for. */
	int (*dst_check)(void *ctx, const char *path, const struct duet_entry *now);
	void *ctx;
};

/* rclone's defaults. */
void duet_xfer_opts_init(struct duet_xfer_opts *o);
void duet_stats_init(struct duet_stats *s);

/*
 * Runs one transfer between two listings: src (sorted, filtered) and dst
 * (sorted; filtered unless delete_excluded). dst may list nothing when the
 * destination is new. Errors per item are logged and counted in stats;
 * the return value is 0 when every item succeeded, otherwise the code of
 * the run's outcome (the last serious error, DUET_E_MAXTRANSFER,
 * DUET_E_MAXDURATION, DUET_E_CANCELLED), with the message set.
 */
int duet_xfer_run(struct duet_fs *src, const struct duet_listing *sl,
    struct duet_fs *dst, const struct duet_listing *dl,
    const struct duet_xfer_opts *o, struct duet_stats *st);

/*
 * Copies the listed source files unconditionally to the given destination
 * paths (dst_paths[i] NULL means the same path), each replacing whatever is
 * there (after a backup when set). This is what bisync and copyto use.
 * Same errors and callbacks as duet_xfer_run.
 */
int duet_xfer_copy_list(struct duet_fs *src, const struct duet_entry *const *files,
    const char *const *dst_paths, size_t n, struct duet_fs *dst,
    const struct duet_xfer_opts *o, struct duet_stats *st);

/*
 * Deletes the listed destination paths (files), with backups when set,
 * honouring max_delete and dry_run. Used by bisync and the delete command.
 */
int duet_xfer_delete_list(struct duet_fs *dst, const struct duet_entry *const *files,
    size_t n, const struct duet_xfer_opts *o, struct duet_stats *st);

/* Decision rules, exposed for tests. Window in ns. */
enum duet_need {
	DUET_NEED_NONE = 0,     /* equal: nothing to do */
	DUET_NEED_COPY = 1,     /* transfer */
	DUET_NEED_HASH = 2,     /* compare hashes to decide */
	DUET_NEED_IMMUTABLE = 3,/* differs but --immutable: error */
};
enum duet_need duet_xfer_need(const struct duet_xfer_opts *o, const struct duet_entry *s,
    const struct duet_entry *d, int64_t window, int have_common_hash);

/* Monotonic clock in ns. */
int64_t duet_now_mono(void);
/* Wall clock in ns since the epoch. */
int64_t duet_now_real(void);

#endif
