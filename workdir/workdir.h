/*
 * workdir.h: bisync's prior-run state in one LMDB environment (data.mdb in
 * the workdir): pairs, per-side listings, run records, the action journal
 * and the per-pair lock. LMDB values never leave this module: every read
 * copies into caller-owned memory. Writes go through a transaction so that
 * both listings, the run record and the journal clear commit together.
 * The on-disk format is described in docs/workdir.md.
 */
#ifndef DUET_WORKDIR_WORKDIR_H
#define DUET_WORKDIR_WORKDIR_H

#include <stddef.h>
#include <stdint.h>

#include "core/listing.h"

#define DUET_WORKDIR_FORMAT 1         /* format version written in `meta` */
#define DUET_WORKDIR_SESSION_MAX 4096 /* buffer size for a session name */

struct duet_workdir;
struct duet_workdir_txn;

/*
 * Opens (creating when needed: mkdir -p with mode 0700, then data.mdb) the
 * workdir `dir`. Runs mdb_reader_check to clear slots of dead readers.
 * Errors: DUET_E_PERM (dir not creatable/writable), DUET_E_UNSUPPORTED (dir
 * on a network filesystem), DUET_E_CORRUPT (data.mdb damaged, not LMDB, or
 * written by a newer duet; the message names the file and the way out),
 * DUET_E_NOMEM, DUET_E_IO. On success *out is owned by the caller; free it
 * with duet_workdir_close. One handle per process per directory; it may be
 * shared by threads (each thread uses its own transactions).
 */
int duet_workdir_open(const char *dir, struct duet_workdir **out);
/* Closes a workdir; any transaction must be finished first. NULL is ok. */
void duet_workdir_close(struct duet_workdir *w);
/* The directory given to open (owned by w). */
const char *duet_workdir_dir(const struct duet_workdir *w);

/*
 * rclone's session name of a pair (reference §2.4) from the two canonical
 * root strings ("/home/u/My Docs/", "gdrive:Backup/Docs"): trim '/' and '\'
 * at both ends, replace whitespace, '\', '/', ':', '?', '*' by '_', drop the
 * first "{...}" group, join with "..". buf holds DUET_WORKDIR_SESSION_MAX
 * bytes. DUET_E_NAMETOOLONG when the name does not fit.
 */
int duet_workdir_session_name(const char *canon1, const char *canon2, char *buf);

/* ---- transactions ------------------------------------------------ */

/*
 * Starts a transaction (read-only when rdonly). A write transaction blocks
 * while another (thread or process) holds one; a thread must not start a
 * second write transaction while it holds one, nor call duet_workdir_write,
 * duet_workdir_pair(create) or the lock functions while it holds any
 * transaction (they need the map quiescent to grow it). Errors: DUET_E_*
 * mapped from LMDB. A call that fails inside LMDB (I/O, full map,
 * corruption, no memory) poisons the transaction: commit then aborts and
 * returns that first error. "Not found" answers and refused arguments
 * (DUET_E_NOTFOUND, DUET_E_INVAL, DUET_E_NAMETOOLONG) change nothing and
 * do not poison it. Data read through a transaction is copied out.
 */
int duet_workdir_txn_begin(struct duet_workdir *w, int rdonly, struct duet_workdir_txn **out);
/* Commits (durably, fsync) and frees t. Returns the first error of t, or the
 * commit's. DUET_E_NOSPC when the map was full (see duet_workdir_write). */
int duet_workdir_txn_commit(struct duet_workdir_txn *t);
/* Discards t's changes and frees it. NULL is ok. */
void duet_workdir_txn_abort(struct duet_workdir_txn *t);

/*
 * Runs fn in a write transaction and commits it. When the LMDB map fills
 * up, the transaction is aborted, the map is doubled and fn runs again from
 * the start, so fn must only depend on what it reads through t. Returns fn's
 * error (the transaction is then aborted) or the commit's.
 */
int duet_workdir_write(struct duet_workdir *w, int (*fn)(struct duet_workdir_txn *t, void *ctx),
                       void *ctx);

/* ---- pairs -------------------------------------------------------- */

enum duet_pair_state {
	DUET_PAIR_NEEDS_RESYNC = 0, /* no trusted listings (new pair, failure) */
	DUET_PAIR_CLEAN = 1,        /* last run finished, listings trusted */
	DUET_PAIR_INTERRUPTED = 2,  /* a run stopped midway; journal is valid */
};

/* A pair's record. Strings are owned by the record when it was filled by
 * duet_workdir_pair_get (free with duet_workdir_pair_dispose); borrowed
 * when passed to duet_workdir_pair_put. */
struct duet_pair_rec {
	char *root1;                   /* canonical root of path1 */
	char *root2;                   /* canonical root of path2 */
	char *compare;                 /* compare settings, free text; may be NULL */
	unsigned char filters_md5[16]; /* md5 of the filters file */
	int has_filters_md5;           /* 1 when filters_md5 is set */
	uint8_t state;                 /* enum duet_pair_state */
	uint64_t last_run;             /* id of the last run; 0 none */
};

/*
 * Finds the pair named by the session name of canon1, canon2 and stores its
 * id in *id. With create, a missing pair gets the next free id and a record
 * (state NEEDS_RESYNC). Errors: DUET_E_NOTFOUND (absent, !create),
 * DUET_E_EXIST (another pair with different roots has the same session
 * name), DUET_E_NAMETOOLONG, LMDB errors.
 */
int duet_workdir_pair(struct duet_workdir *w, const char *canon1, const char *canon2, int create,
                      uint32_t *id);
/* Reads pair id's record into *out (caller disposes). DUET_E_NOTFOUND. */
int duet_workdir_pair_get(struct duet_workdir_txn *t, uint32_t id, struct duet_pair_rec *out);
/* Overwrites pair id's record (which must exist: DUET_E_NOTFOUND). */
int duet_workdir_pair_put(struct duet_workdir_txn *t, uint32_t id, const struct duet_pair_rec *rec);
/* Frees the strings of a record filled by pair_get. */
void duet_workdir_pair_dispose(struct duet_pair_rec *rec);

/*
 * A side's listing token (what the backend's list_token gave for the
 * listing stored with it; see duet_fs_known), kept beside the pair:
 * token_put stores tok (NULL or "" removes it), token_get copies it into
 * buf (n bytes with the NUL). Errors: DUET_E_NOTFOUND (none),
 * DUET_E_CORRUPT, LMDB errors.
 */
int duet_workdir_token_put(struct duet_workdir_txn *t, uint32_t id, int side, const char *tok);
int duet_workdir_token_get(struct duet_workdir_txn *t, uint32_t id, int side, char *buf, size_t n);

/* ---- listings ----------------------------------------------------- */

/* What a listing update did (for logs and tests). */
struct duet_workdir_ustats {
	size_t puts; /* keys written (new or changed) */
	size_t dels; /* keys deleted (no longer listed) */
	size_t same; /* keys left untouched */
};

/*
 * Loads side (1 or 2) of pair id into out, which must be initialised and
 * empty; entries come sorted by path. Errors: DUET_E_CORRUPT (bad stored
 * value), DUET_E_NOMEM, LMDB errors; out is then left empty.
 */
int duet_workdir_listing_load(struct duet_workdir *w, uint32_t id, int side,
                              struct duet_listing *out);
/*
 * Streams side `side` of pair id to fn in path order, without keeping it:
 * e (its path and hashes) is valid only during the call, which may not
 * touch the transaction. fn's non-zero return stops the walk and is
 * returned. Errors as duet_workdir_listing_load.
 */
int duet_workdir_listing_iter_txn(struct duet_workdir_txn *t, uint32_t id, int side,
                                  int (*fn)(void *ctx, const struct duet_entry *e), void *ctx);
/* The same inside an existing transaction. */
int duet_workdir_listing_load_txn(struct duet_workdir_txn *t, uint32_t id, int side,
                                  struct duet_listing *out);
/*
 * Makes the stored listing of (id, side) equal newl (sorted by path, no
 * duplicate paths: DUET_E_INVAL), writing only keys that changed and
 * deleting keys no longer present. st may be NULL. Paths longer than the
 * LMDB key limit (about 500 bytes) give DUET_E_NAMETOOLONG.
 */
int duet_workdir_listing_update(struct duet_workdir_txn *t, uint32_t id, int side,
                                const struct duet_listing *newl, struct duet_workdir_ustats *st);
/* Deletes the stored listing of (id, side). */
int duet_workdir_listing_clear(struct duet_workdir_txn *t, uint32_t id, int side);

/* ---- runs --------------------------------------------------------- */

enum duet_run_outcome {
	DUET_RUN_RUNNING = 0,
	DUET_RUN_OK = 1,
	DUET_RUN_FAILED = 2,   /* retry possible */
	DUET_RUN_CRITICAL = 3, /* must --resync */
	DUET_RUN_INTERRUPTED = 4,
};

struct duet_run_rec {
	int64_t start;   /* ns since the epoch */
	int64_t end;     /* ns since the epoch; 0 while running */
	uint8_t outcome; /* enum duet_run_outcome */
	uint64_t copied12, copied21, deleted1, deleted2, conflicts, errors;
};

/* Allocates the pair's next run id (last + 1, starting at 1) and stores rec
 * under it. */
int duet_workdir_run_new(struct duet_workdir_txn *t, uint32_t id, const struct duet_run_rec *rec,
                         uint64_t *run);
/* Overwrites run `run` of pair id. */
int duet_workdir_run_put(struct duet_workdir_txn *t, uint32_t id, uint64_t run,
                         const struct duet_run_rec *rec);
/* Reads run `run` of pair id. DUET_E_NOTFOUND. */
int duet_workdir_run_get(struct duet_workdir_txn *t, uint32_t id, uint64_t run,
                         struct duet_run_rec *out);

/* ---- journal ------------------------------------------------------ */

/* Stores action `no` of (id, run): opaque bytes (the caller's encoding of a
 * planned action) and a status byte the caller defines. */
int duet_workdir_journal_put(struct duet_workdir_txn *t, uint32_t id, uint64_t run, uint32_t no,
                             const void *data, size_t len, uint8_t status);
/* Changes the status of a stored action (DUET_E_NOTFOUND). */
int duet_workdir_journal_set_status(struct duet_workdir_txn *t, uint32_t id, uint64_t run,
                                    uint32_t no, uint8_t status);
/*
 * Calls fn for each action of (id, run) in action-number order. data is
 * valid only during the call. A non-zero return from fn stops the walk and
 * is returned.
 */
int duet_workdir_journal_iter(struct duet_workdir_txn *t, uint32_t id, uint64_t run,
                              int (*fn)(uint32_t no, uint8_t status, const void *data, size_t len,
                                        void *ctx),
                              void *ctx);
/* Deletes every action of (id, run). */
int duet_workdir_journal_clear(struct duet_workdir_txn *t, uint32_t id, uint64_t run);

/* ---- lock --------------------------------------------------------- */

#define DUET_LOCK_HOSTMAX 256

/* Who holds a pair's lock. */
struct duet_lock_holder {
	char host[DUET_LOCK_HOSTMAX]; /* gethostname() of the holder */
	int32_t pid;                  /* 0 in a zeroed record: no holder */
	uint64_t pstart;              /* /proc/PID/stat starttime (ticks); 0 unknown */
	uint64_t token;               /* unique per take; proves ownership */
	int64_t taken;                /* ns since the epoch */
	int64_t renewed;              /* ns since the epoch */
	int64_t expires;              /* ns since the epoch; 0 never */
};

/*
 * Takes pair id's lock in one write transaction. Free, expired (expires in
 * the past) or held by a dead process on this host (no such pid, or the pid
 * was reused: its start time differs) → taken; *me gets our record (keep it
 * for renew/release). Reclaiming a stale lock logs a NOTICE and copies the
 * old holder into *held_by (NULL allowed); otherwise *held_by is zeroed.
 * max_lock_ns 0: never expires. Errors: DUET_E_EXIST when a live holder
 * (even this process) has it; *held_by then describes that holder.
 */
int duet_workdir_lock_take(struct duet_workdir *w, uint32_t id, int64_t max_lock_ns,
                           struct duet_lock_holder *me, struct duet_lock_holder *held_by);
/* Pushes the expiry to now + max_lock_ns (0 never). DUET_E_PERM if me no
 * longer holds the lock (then it was taken over). */
int duet_workdir_lock_renew(struct duet_workdir *w, uint32_t id, int64_t max_lock_ns,
                            struct duet_lock_holder *me);
/* Releases the lock if me holds it; DUET_E_PERM if someone else does,
 * 0 when nobody does. */
int duet_workdir_lock_release(struct duet_workdir *w, uint32_t id,
                              const struct duet_lock_holder *me);
/* Reads the current holder (*out zeroed and DUET_E_NOTFOUND when free). */
int duet_workdir_lock_get(struct duet_workdir *w, uint32_t id, struct duet_lock_holder *out);

#endif
