/*
 * run.h: one bisync run (rclone bisync's semantics): open both roots and
 * the workdir, take the pair's lock, then either --resync (a new baseline:
 * both sides end up with the union, Path1 winning) or a normal run
 * (deltas against the stored listings, safety checks, the decision table,
 * conflicts, the copies and deletes, new listings stored in one LMDB
 * transaction). Ends with rclone's final words.
 */
#ifndef DUET_BISYNC_RUN_H
#define DUET_BISYNC_RUN_H

#include <stdint.h>

#include "conflict/plan.h"
#include "core/backend.h"
#include "core/filter.h"
#include "core/xfer.h"

/* Outcomes, mapped to exit codes by the CLI (rclone's: 0, 1, 2, 7). */
enum duet_bisync_result {
	DUET_BISYNC_OK = 0,
	DUET_BISYNC_RETRY = 1,    /* "Bisync aborted. Please try again." */
	DUET_BISYNC_USAGE = 2,    /* bad paths or options */
	DUET_BISYNC_CRITICAL = 7, /* "Bisync aborted. Must run --resync to recover." */
	DUET_BISYNC_CRITICAL_KEEP = 8, /* exit 7, but the pair stays recoverable
	                                 (interrupted run, run --recover) */
	DUET_BISYNC_CRITICAL_RESILIENT = 9, /* exit 7, listings kept (--resilient) */
};

/* --resync-mode values, in rclone's names. */
enum duet_resync_mode {
	DUET_RESYNC_NONE = 0, DUET_RESYNC_PATH1, DUET_RESYNC_PATH2, DUET_RESYNC_NEWER,
	DUET_RESYNC_OLDER, DUET_RESYNC_LARGER, DUET_RESYNC_SMALLER,
};

/* The mode named s (case-insensitive), or -1. */
int duet_bisync_resync_mode(const char *s);

/* --check-sync values. */
enum duet_check_sync { DUET_CHECK_SYNC_FALSE = 0, DUET_CHECK_SYNC_TRUE, DUET_CHECK_SYNC_ONLY };

struct duet_bisync_opts {
	const char *path1, *path2;   /* remote specs as given */
	const char *workdir;         /* NULL: the default location */
	int resync;                  /* --resync */
	int resync_mode;             /* enum duet_resync_mode; who wins a difference */
	int dry_run;                 /* --dry-run */
	int force;                   /* --force: no max-delete check */
	int max_delete;              /* percentage, 0..100 (default 50) */
	int check_sync;              /* enum duet_check_sync (default true) */
	int recover;                 /* --recover: finish an interrupted run */
	int resilient;               /* --resilient: retryable errors keep the listings,
	                                and a failed copy or delete step is run again */
	int retries;                 /* --retries: with resilient, a failed step runs
	                                up to this many more times (0, 1: not again) */
	int64_t retries_sleep;       /* --retries-sleep: ns between those attempts */
	int64_t max_lock;            /* --max-lock in ns (0: never expires) */
	struct duet_conflict_opts conflict; /* resolution, loser, suffixes */
	struct duet_fs_opts fs;      /* backend options */
	struct duet_xfer_opts x;     /* copy options (transfers, checkers...) */
	const struct duet_filter *filter; /* NULL: everything */
	const char *filters_file;    /* --filters-file (its rules are in filter) */
	const char *backup_dir[2];   /* --backup-dir1/2 (--backup-dir for both), or NULL */
	int check_access;            /* --check-access */
	int create_empty_src_dirs;   /* directories in listings, travel as files */
	int remove_empty_dirs;       /* --remove-empty-dirs at the end */
	int download_hash;           /* --download-hash: md5 by reading where none */
	int ignore_listing_checksum; /* --ignore-listing-checksum */
	int no_slow_hash;            /* --no-slow-hash */
	const char *check_filename;  /* NULL: RCLONE_TEST */
	int no_unicode_normalization; /* names match byte for byte, not NFC */
	int ignore_case_sync;        /* names match ignoring case */
	int fix_case;                /* copies rename the destination to the
	                                source's spelling (conflict.fix_case too) */
	/* -i: asked before each copy, delete and conflict rename: 1 go, 0
	 * skip, negative quit (the rest is skipped). A skipped action is left
	 * for the next run. NULL: never ask. */
	int (*confirm)(void *ctx, const char *action, const char *path);
	void *confirm_ctx;
};

/* Fills rclone's defaults (max-delete 50, check-sync on, suffix
 * ".conflict", compare size+modtime). */
void duet_bisync_opts_init(struct duet_bisync_opts *o);

/* The default workdir, ${XDG_STATE_HOME:-$HOME/.local/state}/duet/bisync,
 * into buf (len bytes). 0 or DUET_E_NAMETOOLONG / DUET_E_NOTFOUND (no
 * HOME). */
int duet_bisync_default_workdir(char *buf, size_t len);

/* Runs bisync once. Logs everything (ending with the final words). */
enum duet_bisync_result duet_bisync_run(const struct duet_bisync_opts *o);

#endif
