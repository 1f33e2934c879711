/*
 * workdir_int.h: private to workdir/: the handle and transaction structs,
 * the one LMDB error mapping, and big-endian helpers for keys and values.
 * Tests may include it to reach the LMDB environment.
 */
#ifndef DUET_WORKDIR_WORKDIR_INT_H
#define DUET_WORKDIR_WORKDIR_INT_H

#include <lmdb.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/entry.h"
#include "workdir.h"

#define WD_VERSION_BYTE 1 /* first byte of every value we write */

struct duet_workdir {
	MDB_env *env; /* owned */
	char *dir;    /* owned copy of the directory */
	char *file;   /* owned: dir/data.mdb, for messages */
	MDB_dbi meta, pairs, listings, journal, runs, lock;
	pthread_rwlock_t grow; /* txns hold it shared; map growth exclusive */
};

struct duet_workdir_txn {
	struct duet_workdir *w; /* borrowed */
	MDB_txn *txn;           /* owned until commit/abort */
	int err;                /* first error; sticky */
	int map_full;           /* 1 when err came from MDB_MAP_FULL */
	int rdonly;
};

/*
 * The one mapping of LMDB return codes to DUET_E_* codes. Sets the error
 * message "<what>: <lmdb text>" (naming w's file for corruption, with the
 * way out) and returns the code. rc must not be 0.
 */
int wd_err(const struct duet_workdir *w, int rc, const char *what);
/* Like wd_err, and records the error as t's sticky error. */
int wd_terr(struct duet_workdir_txn *t, int rc, const char *what);

static inline void
wd_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline void
wd_be64(unsigned char *p, uint64_t v)
{
	wd_be32(p, (uint32_t)(v >> 32));
	wd_be32(p + 4, (uint32_t)v);
}

static inline uint32_t
wd_get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
wd_get64(const unsigned char *p)
{
	return (uint64_t)wd_get32(p) << 32 | wd_get32(p + 4);
}

/* ---- listings (store.c, longpath.c) ---- */

#define WD_LKEY_HDR 5    /* be32 id + side */
#define WD_LVAL_FIXED 20 /* ver type flags size mtime mask */
#define WD_LVAL_MAX (WD_LVAL_FIXED + DUET_HASH_COUNT * DUET_HASH_MAXLEN)
#define WD_LONG 0x80     /* side bit of the range of paths too long for a key */

struct duet_entry;
struct duet_hashes;
struct duet_listing;

/* Key prefix of (id, side). */
void wd_lprefix(unsigned char *p, uint32_t id, int side);
/* Positions c at the first key starting with prefix / moves it on: 1
 * while there is one (*rc 0), else 0 with *rc MDB_NOTFOUND or a code. */
int wd_first(struct duet_workdir_txn *t, MDB_cursor *c, const unsigned char *prefix, size_t plen,
             MDB_val *k, MDB_val *v, int *rc);
int wd_next(struct duet_workdir_txn *t, MDB_cursor *c, const unsigned char *prefix, size_t plen,
            MDB_val *k, MDB_val *v, int *rc);
int wd_cursor(struct duet_workdir_txn *t, MDB_dbi dbi, MDB_cursor **c);
/* A listing value of e into buf (WD_LVAL_MAX bytes); its size. */
size_t wd_lval_encode(const struct duet_entry *e, unsigned char *buf);
/* Decodes a listing value (hashes into h); -1 when malformed. */
int wd_lval_decode(const MDB_val *v, struct duet_entry *e, struct duet_hashes *h);
/* DUET_E_CORRUPT naming the file, the record kind and the way out. */
int wd_bad(struct duet_workdir *w, const char *what);

/*
 * Paths too long for a key (header + path > LMDB's key limit) live in a
 * second range of the side (side | WD_LONG): key = header + XXH128 of the
 * path, value = be16 path length + path + the usual value.
 */
/* 1 when a path of n bytes does not fit a key. */
int wd_long_path(const struct duet_workdir *w, size_t n);
/* Brings the long range of (id, side) to the long paths of newl (sorted),
 * counting into st. */
int wd_long_update(struct duet_workdir_txn *t, uint32_t id, int side,
                   const struct duet_listing *newl, struct duet_workdir_ustats *st);
/* The stored long paths of (id, side), sorted by path. */
struct wd_long {
	struct duet_entry e;   /* path owned; hashes points to h (or NULL) */
	struct duet_hashes h;
};
struct wd_longs {
	struct wd_long *v;
	size_t n;
};
int wd_long_load(struct duet_workdir_txn *t, uint32_t id, int side, struct wd_longs *out);
void wd_longs_dispose(struct wd_longs *l);

/* Current time, ns since the epoch. */
int64_t wd_now(void);

/* Refuses network filesystems by statfs f_type (DUET_E_UNSUPPORTED). */
int wd_fs_check(long type, const char *dir);

/* Map size of a new environment (bytes); tests lower it. */
extern size_t wd_map_initial;

#endif
