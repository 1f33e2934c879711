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

/* Current time, ns since the epoch. */
int64_t wd_now(void);

/* Refuses network filesystems by statfs f_type (DUET_E_UNSUPPORTED). */
int wd_fs_check(long type, const char *dir);

/* Map size of a new environment (bytes); tests lower it. */
extern size_t wd_map_initial;

#endif
