/*
 * workdir.c: opening the LMDB environment of a workdir (directory checks,
 * network filesystem refusal, format version, damaged files), the one LMDB
 * error mapping, transactions with map growth, session names and pairs.
 * Invariant: every value written starts with WD_VERSION_BYTE; a transaction
 * that saw an error is never committed.
 */
#include "workdir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"
#include "workdir_int.h"

size_t wd_map_initial = (size_t)64 << 20;
static const size_t WD_MAP_MAX = (size_t)1 << 40;

int64_t
wd_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
wd_corrupt(const struct duet_workdir *w, const char *what, const char *why)
{
	return duet_err_set(DUET_E_CORRUPT,
	                    "workdir file %s is damaged or not a duet workdir (%s: %s); "
	                    "move it away and run with --resync",
	                    w->file, what, why);
}

int
wd_err(const struct duet_workdir *w, int rc, const char *what)
{
	switch (rc) {
	case MDB_NOTFOUND:
		return duet_err_set(DUET_E_NOTFOUND, "%s: not found", what);
	case MDB_KEYEXIST:
		return duet_err_set(DUET_E_EXIST, "%s: key exists", what);
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case MDB_PAGE_FULL:
	case MDB_CURSOR_FULL:
	case MDB_DBS_FULL:
		return duet_err_set(DUET_E_NOSPC, "workdir %s: %s: %s", w->dir, what,
		                    mdb_strerror(rc));
	case MDB_READERS_FULL:
	case MDB_MAP_RESIZED:
	case MDB_TLS_FULL:
		return duet_err_set(DUET_E_TEMP, "workdir %s: %s: %s", w->dir, what,
		                    mdb_strerror(rc));
	case MDB_INVALID:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_VERSION_MISMATCH:
	case MDB_INCOMPATIBLE:
		return wd_corrupt(w, what, mdb_strerror(rc));
	case MDB_BAD_VALSIZE:
		return duet_err_set(DUET_E_NAMETOOLONG, "workdir: %s: key or value too long", what);
	case MDB_BAD_RSLOT:
	case MDB_BAD_TXN:
	case MDB_BAD_DBI:
	case MDB_PANIC:
		return duet_err_set(DUET_E_IO, "workdir %s: %s: %s", w->dir, what,
		                    mdb_strerror(rc));
	default:
		break;
	}
	if (rc > 0) {
		if (rc == EACCES || rc == EPERM || rc == EROFS)
			return duet_err_set(DUET_E_PERM, "workdir %s: %s: %s", w->dir, what,
			                    strerror(rc));
		return duet_err_errno(rc, "workdir %s: %s", w->dir, what);
	}
	return duet_err_set(DUET_E_IO, "workdir %s: %s: lmdb error %d", w->dir, what, rc);
}

int
wd_terr(struct duet_workdir_txn *t, int rc, const char *what)
{
	int code = wd_err(t->w, rc, what);
	if (t->err == 0) {
		t->err = code;
		t->map_full = rc == MDB_MAP_FULL;
	}
	return code;
}

/* Network filesystems break LMDB's locking and mmap coherence. Returns 0,
 * or DUET_E_UNSUPPORTED with a message; FUSE only warns (it is often local). */
int
wd_fs_check(long type, const char *dir)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} net[] = {
	    {0x6969, "NFS"},    {0x517B, "SMB"},        {0xFF534D42, "CIFS"}, {0xFE534D42, "SMB2"},
	    {0x01021997, "9P"}, {0x5346414F, "AFS"},    {0x00C36400, "Ceph"}, {0x73757245, "Coda"},
	    {0x564C, "NCP"},    {0x0BD00BD0, "Lustre"}, {0x01161970, "GFS2"}, {0x7461636F, "OCFS2"},
	};
	unsigned long t = (unsigned long)type & 0xFFFFFFFFul;

	for (size_t i = 0; i < sizeof(net) / sizeof(net[0]); i++)
		if (t == net[i].magic)
			return duet_err_set(
			    DUET_E_UNSUPPORTED,
			    "workdir %s is on a network filesystem (%s); LMDB needs a local "
			    "disk: use --workdir on a local filesystem",
			    dir, net[i].name);
	if (t == 0x65735546)
		duet_log(DUET_LOG_NOTICE,
		         "workdir %s is on a FUSE filesystem; if it is a network mount, "
		         "use --workdir on a local disk",
		         dir);
	return 0;
}

static int
wd_mkdirs(char *path)
{
	size_t n = strlen(path);
	int rc = 0;

	for (size_t i = 1; i <= n && rc == 0; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			int e = errno;
			rc = duet_err_set(e == EACCES || e == EPERM || e == EROFS
			                      ? DUET_E_PERM
			                      : duet_err_from_errno(e),
			                  "cannot create workdir %s: %s", path, strerror(e));
		}
		if (i < n)
			path[i] = '/';
	}
	return rc;
}

static int
wd_check_dir(struct duet_workdir *w)
{
	struct stat st;
	struct statfs sfs;
	int rc;

	if ((rc = wd_mkdirs(w->dir)) != 0)
		return rc;
	if (stat(w->dir, &st) != 0)
		return duet_err_errno(errno, "workdir %s", w->dir);
	if (!S_ISDIR(st.st_mode))
		return duet_err_set(DUET_E_NOTDIR, "workdir %s is not a directory", w->dir);
	if (access(w->dir, W_OK | X_OK) != 0)
		return duet_err_set(DUET_E_PERM, "workdir %s is not writable: %s", w->dir,
		                    strerror(errno));
	if (statfs(w->dir, &sfs) != 0)
		return duet_err_errno(errno, "workdir %s: statfs", w->dir);
	return wd_fs_check((long)sfs.f_type, w->dir);
}

/* A data.mdb shorter than its own meta page claims would make LMDB fault
 * (SIGBUS) on the first read past the end: refuse it. */
static int
wd_check_size(struct duet_workdir *w)
{
	MDB_envinfo info;
	MDB_stat ms;
	struct stat st;
	int rc;

	if ((rc = mdb_env_info(w->env, &info)) != 0 || (rc = mdb_env_stat(w->env, &ms)) != 0)
		return wd_err(w, rc, "env info");
	if (stat(w->file, &st) != 0)
		return duet_err_errno(errno, "workdir file %s", w->file);
	if ((uint64_t)st.st_size < ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize)
		return wd_corrupt(w, "size", "file is shorter than its pages (truncated)");
	return 0;
}

static int
wd_check_format(struct duet_workdir *w, MDB_txn *txn)
{
	MDB_val k = {6, (void *)"format"}, v;
	unsigned char buf[5];
	uint32_t ver;
	int rc = mdb_get(txn, w->meta, &k, &v);

	if (rc == MDB_NOTFOUND) {
		buf[0] = WD_VERSION_BYTE;
		wd_be32(buf + 1, DUET_WORKDIR_FORMAT);
		v.mv_size = sizeof(buf);
		v.mv_data = buf;
		rc = mdb_put(txn, w->meta, &k, &v, 0);
		return rc ? wd_err(w, rc, "write format") : 0;
	}
	if (rc != 0)
		return wd_err(w, rc, "read format");
	if (v.mv_size != 5)
		return wd_corrupt(w, "meta", "bad format record");
	ver = wd_get32((const unsigned char *)v.mv_data + 1);
	if (ver > DUET_WORKDIR_FORMAT)
		return duet_err_set(
		    DUET_E_CORRUPT,
		    "workdir %s was written by a newer duet (format %u); upgrade duet "
		    "or use --workdir elsewhere",
		    w->dir, (unsigned)ver);
	return 0;
}

static int
wd_open_dbs(struct duet_workdir *w)
{
	static const char *names[] = {"meta", "pairs", "listings", "journal", "runs", "lock"};
	MDB_dbi *dbis[] = {&w->meta, &w->pairs, &w->listings, &w->journal, &w->runs, &w->lock};
	MDB_txn *txn = NULL;
	int rc;

	if ((rc = mdb_txn_begin(w->env, NULL, 0, &txn)) != 0)
		return wd_err(w, rc, "begin");
	for (size_t i = 0; i < 6; i++)
		if ((rc = mdb_dbi_open(txn, names[i], MDB_CREATE, dbis[i])) != 0) {
			rc = wd_err(w, rc, names[i]);
			goto out;
		}
	if ((rc = wd_check_format(w, txn)) != 0)
		goto out;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		rc = wd_err(w, rc, "commit");
out:
	mdb_txn_abort(txn);
	return rc;
}

static int
wd_open_env(struct duet_workdir *w)
{
	int rc, dead = 0;

	if ((rc = mdb_env_create(&w->env)) != 0) {
		w->env = NULL;
		return wd_err(w, rc, "create env");
	}
	if ((rc = mdb_env_set_maxdbs(w->env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(w->env, wd_map_initial)) != 0)
		return wd_err(w, rc, "configure env");
	if ((rc = mdb_env_open(w->env, w->dir, MDB_NOTLS, 0600)) != 0)
		return wd_err(w, rc, "open");
	if ((rc = wd_check_size(w)) != 0)
		return rc;
	if ((rc = mdb_reader_check(w->env, &dead)) != 0)
		return wd_err(w, rc, "reader check");
	if (dead > 0)
		duet_log(DUET_LOG_DEBUG, "workdir %s: cleared %d stale reader slots", w->dir, dead);
	return wd_open_dbs(w);
}

int
duet_workdir_open(const char *dir, struct duet_workdir **out)
{
	struct duet_workdir *w;
	size_t n = strlen(dir);
	int rc = DUET_E_NOMEM;

	*out = NULL;
	while (n > 1 && dir[n - 1] == '/')
		n--;
	w = duet_calloc(1, sizeof(*w));
	if (w == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	if (pthread_rwlock_init(&w->grow, NULL) != 0) {
		duet_free(w);
		return duet_err_set(DUET_E_NOMEM, "out of memory (rwlock)");
	}
	w->dir = duet_strndup(dir, n);
	w->file = duet_malloc(n + sizeof("/data.mdb"));
	if (w->dir == NULL || w->file == NULL) {
		duet_err_set(rc, "out of memory");
		goto out;
	}
	snprintf(w->file, n + sizeof("/data.mdb"), "%s/data.mdb", w->dir);
	if ((rc = wd_check_dir(w)) != 0 || (rc = wd_open_env(w)) != 0)
		goto out;
	*out = w;
	w = NULL;
out:
	duet_workdir_close(w);
	return rc;
}

void
duet_workdir_close(struct duet_workdir *w)
{
	if (w == NULL)
		return;
	if (w->env != NULL)
		mdb_env_close(w->env);
	pthread_rwlock_destroy(&w->grow);
	duet_free(w->file);
	duet_free(w->dir);
	duet_free(w);
}

const char *
duet_workdir_dir(const struct duet_workdir *w)
{
	return w->dir;
}

/* ---- transactions ------------------------------------------------ */

/*
 * Takes the map lock exclusively: waits for this process's other
 * transactions to end. A thread that itself holds one would wait forever,
 * hence the timeout (DUET_E_TEMP).
 */
static int
wd_excl(struct duet_workdir *w)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	if (pthread_rwlock_timedwrlock(&w->grow, &until) != 0)
		return duet_err_set(DUET_E_TEMP,
		                    "workdir %s: another transaction of this process stays open; "
		                    "cannot resize the map",
		                    w->dir);
	return 0;
}

int
duet_workdir_txn_begin(struct duet_workdir *w, int rdonly, struct duet_workdir_txn **out)
{
	struct duet_workdir_txn *t;
	int rc;

	*out = NULL;
	t = duet_calloc(1, sizeof(*t));
	if (t == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	t->w = w;
	t->rdonly = rdonly;
	pthread_rwlock_rdlock(&w->grow);
	rc = mdb_txn_begin(w->env, NULL, rdonly ? MDB_RDONLY : 0, &t->txn);
	if (rc == MDB_MAP_RESIZED) {
		/* Another process grew the map: adopt its size. Safe only with
		 * no transaction of ours open, hence the exclusive lock. */
		pthread_rwlock_unlock(&w->grow);
		if ((rc = wd_excl(w)) != 0) {
			duet_free(t);
			return rc;
		}
		rc = mdb_env_set_mapsize(w->env, 0);
		pthread_rwlock_unlock(&w->grow);
		pthread_rwlock_rdlock(&w->grow);
		if (rc == 0)
			rc = mdb_txn_begin(w->env, NULL, rdonly ? MDB_RDONLY : 0, &t->txn);
	}
	if (rc != 0) {
		rc = wd_err(w, rc, "begin transaction");
		pthread_rwlock_unlock(&w->grow);
		duet_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

static void
wd_txn_free(struct duet_workdir_txn *t)
{
	pthread_rwlock_unlock(&t->w->grow);
	duet_free(t);
}

int
duet_workdir_txn_commit(struct duet_workdir_txn *t)
{
	int rc = t->err;

	if (rc != 0) {
		mdb_txn_abort(t->txn);
	} else if ((rc = mdb_txn_commit(t->txn)) != 0) {
		rc = wd_terr(t, rc, "commit");
	}
	wd_txn_free(t);
	return rc;
}

void
duet_workdir_txn_abort(struct duet_workdir_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	wd_txn_free(t);
}

static int
wd_grow(struct duet_workdir *w)
{
	MDB_envinfo info;
	int rc;

	if ((rc = wd_excl(w)) != 0)
		return rc;
	mdb_env_info(w->env, &info);
	if (info.me_mapsize >= WD_MAP_MAX) {
		rc = duet_err_set(DUET_E_NOSPC, "workdir %s: map size limit reached", w->dir);
	} else if ((rc = mdb_env_set_mapsize(w->env, info.me_mapsize * 2)) != 0) {
		rc = wd_err(w, rc, "grow map");
	} else {
		duet_log(DUET_LOG_DEBUG, "workdir %s: map grown to %zu bytes", w->dir,
		         info.me_mapsize * 2);
	}
	pthread_rwlock_unlock(&w->grow);
	return rc;
}

int
duet_workdir_write(struct duet_workdir *w, int (*fn)(struct duet_workdir_txn *t, void *ctx),
                   void *ctx)
{
	struct duet_workdir_txn *t;
	int rc, full;

	for (;;) {
		if ((rc = duet_workdir_txn_begin(w, 0, &t)) != 0)
			return rc;
		rc = fn(t, ctx);
		if (rc == 0) {
			/* commit frees t; a full map at commit still counts */
			full = 0;
			rc = t->err;
			if (rc == 0) {
				rc = mdb_txn_commit(t->txn);
				full = rc == MDB_MAP_FULL;
				if (rc != 0)
					rc = wd_err(w, rc, "commit");
				wd_txn_free(t);
			} else {
				full = t->map_full;
				duet_workdir_txn_abort(t);
			}
		} else {
			full = t->map_full;
			duet_workdir_txn_abort(t);
		}
		if (!full)
			return rc;
		if ((rc = wd_grow(w)) != 0)
			return rc;
	}
}
