/*
 * fakefs.h: an in-memory backend for tests. It implements struct
 * duet_backend over a tree of files (bytes, mtime in ns) and directories
 * held in memory behind one mutex, and adds what a real server cannot
 * offer: direct access to the tree, per-operation call counters, failure
 * injection on the Nth call of an operation, and switchable capabilities,
 * mtime precision and hash kinds, so engine tests can play S3-like or
 * coarse-clock servers without a network.
 */
#ifndef DUET_TESTS_FAKEFS_H
#define DUET_TESTS_FAKEFS_H

#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"

/* Operations that can be counted and made to fail. */
enum duet_fakefs_op {
	DUET_FAKEFS_LIST = 0,
	DUET_FAKEFS_STAT,
	DUET_FAKEFS_OPEN_READ,
	DUET_FAKEFS_READ,       /* each rstream read() call */
	DUET_FAKEFS_OPEN_WRITE,
	DUET_FAKEFS_WRITE,      /* each wstream write() call */
	DUET_FAKEFS_COMMIT,
	DUET_FAKEFS_MKDIR,
	DUET_FAKEFS_RMDIR,
	DUET_FAKEFS_REMOVE,
	DUET_FAKEFS_MOVE,
	DUET_FAKEFS_COPY,
	DUET_FAKEFS_SET_MTIME,
	DUET_FAKEFS_HASH,
	DUET_FAKEFS_MOVE_FROM,
	DUET_FAKEFS_REMOVE_BATCH, /* each remove_batch() call (see set_batch) */
	DUET_FAKEFS_ANY,        /* every call of any operation above */
	DUET_FAKEFS_OP_COUNT,
};

/* Capabilities of a new fake fs: everything but CASEINS and LOCAL. */
#define DUET_FAKEFS_DEFAULT_CAPS \
	(DUET_CAP_MOVE | DUET_CAP_COPY | DUET_CAP_SETMTIME | DUET_CAP_DIRS)

/*
 * Behaviour beyond backend.h: list() delivers children in no particular
 * order and without hashes; read streams read a copy taken at open (fd
 * -1), so later writes do not show through; parents of a written file
 * appear at commit, not at open_write; a write stream opened with size >= 0
 * fails commit with DUET_E_IO when another number of bytes was written (as
 * an object store does); move and copy take files only (DUET_E_ISDIR for a
 * directory), replace a file at dst, make dst's parents and keep the
 * mtime; move_from joins only the same fs and returns DUET_E_XDEV for any
 * other; hash() of a kind not in fs->hashes is DUET_E_UNSUPPORTED.
 *
 * The ops table. Its open() makes a new, empty fake fs named by the
 * remote's spec (every open gives a separate tree); tests normally call
 * duet_fakefs_new instead.
 */
extern const struct duet_backend duet_fakefs_backend;

/*
 * Makes a new, empty fake fs named `name` (used in messages), with
 * DUET_FAKEFS_DEFAULT_CAPS, exact mtimes (precision 1 ns), MD5 as the only
 * hash, and the real clock for "now". Errors: DUET_E_NOMEM. The caller
 * closes *out with duet_fs_close, after closing every stream of it.
 */
int duet_fakefs_new(const char *name, struct duet_fs **out);

/*
 * Configuration; call these before the fs is shared with other threads.
 *
 * set_caps: the DUET_CAP_* bits. The fs's ops table follows them: move,
 * move_from, copy and set_mtime are NULL when their bit is clear. Without
 * DUET_CAP_DIRS the fake behaves like a bucket: directories exist only
 * while a file lies below them, mkdir creates nothing, and stat/list of a
 * directory with no files below is DUET_E_NOTFOUND (the root excepted).
 * With DUET_CAP_CASEINS names compare ignoring ASCII case.
 *
 * set_precision: mtime precision in ns (>= 1). Stored mtimes are truncated
 * to a multiple of it, as a server with a coarse clock does.
 *
 * set_hashes: the DUET_HASH_BIT set hash() supplies (fs->hashes).
 *
 * set_now: the mtime given to files committed with mtime 0 and to new
 * directories; 0 (the default) uses the real clock.
 */
void duet_fakefs_set_caps(struct duet_fs *fs, unsigned caps);
void duet_fakefs_set_precision(struct duet_fs *fs, int64_t ns);
void duet_fakefs_set_hashes(struct duet_fs *fs, unsigned mask);
void duet_fakefs_set_now(struct duet_fs *fs, int64_t ns);
/*
 * set_batch: with max > 0 the fs offers remove_batch, as S3's
 * DeleteObjects: each path goes through remove (counted, and injected
 * failures of DUET_FAKEFS_REMOVE land on single paths, reported in
 * codes[]), a missing file is success, and a call with more than max
 * paths fails whole with DUET_E_INVAL. An injected failure of
 * DUET_FAKEFS_REMOVE_BATCH fails the whole call. 0 removes the op.
 * duet_fakefs_batch_max() tells the most paths one call got.
 */
void duet_fakefs_set_batch(struct duet_fs *fs, size_t max);
size_t duet_fakefs_batch_max(struct duet_fs *fs);
/* Write streams take hint(); this gives the mtime the last one was told
 * (0 when none) and its digests into *h (may be NULL). */
int64_t duet_fakefs_last_hint(struct duet_fs *fs, struct duet_hashes *h);

/*
 * Stores a file directly (no write stream, not counted, never injected to
 * fail): path is validated like every other path, missing parent
 * directories are made, an existing file is replaced, mtime is truncated
 * to the precision. Copies data. Errors: DUET_E_BADNAME, DUET_E_NOTDIR (a
 * parent is a file), DUET_E_ISDIR (path is a directory), DUET_E_NOMEM.
 */
int duet_fakefs_put(struct duet_fs *fs, const char *path, const void *data,
    size_t len, int64_t mtime);
/*
 * Like duet_fakefs_put without validating the path, so a test can plant
 * names a hostile server would send ("..", "a//b"); list() must then skip
 * them. The parents of such a path are not made.
 */
int duet_fakefs_put_raw(struct duet_fs *fs, const char *path, const void *data,
    size_t len, int64_t mtime);

/*
 * Reads a file directly (not counted). *data is a new copy the caller
 * frees with duet_free (never NULL on success, even for 0 bytes); len and
 * mtime may be NULL. Errors: DUET_E_NOTFOUND, DUET_E_ISDIR, DUET_E_NOMEM.
 */
int duet_fakefs_get(struct duet_fs *fs, const char *path, void **data,
    size_t *len, int64_t *mtime);

/*
 * Makes the nth call (1-based, counted from now) of op fail with `code` (a
 * negative DUET_E_*) before it has any effect; one shot. With
 * DUET_FAKEFS_ANY the nth call of any operation fails. nth <= 0 disarms.
 * Each op has its own arming; re-arming replaces it. Thread-safe.
 */
void duet_fakefs_fail(struct duet_fs *fs, enum duet_fakefs_op op, long nth, int code);
/* Calls of op since the fs was made (DUET_FAKEFS_ANY: of all). Thread-safe. */
long duet_fakefs_calls(struct duet_fs *fs, enum duet_fakefs_op op);

#endif
