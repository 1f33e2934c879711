/*
 * local_int.h: private to the local backend (local.c, local_io.c). The fs
 * struct and the access layer every operation goes through: the root fd,
 * the component-by-component path walk that refuses symlinks, the
 * .rclonelink name rule and the one errno mapping. Nothing else includes it.
 */
#ifndef DUET_BACKENDS_LOCAL_INT_H
#define DUET_BACKENDS_LOCAL_INT_H

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "core/backend.h"

#define LFS_LINK_SUFFIX ".rclonelink"
#define LFS_LINK_SUFLEN (sizeof(LFS_LINK_SUFFIX) - 1)
#define LFS_LINK_MAX PATH_MAX /* longest symlink target we store */

/* Directory fds used only as bases for *at() calls need search permission
 * only, which O_PATH asks for. */
#ifdef O_PATH
#define LFS_O_SEARCH O_PATH
#else
#define LFS_O_SEARCH O_RDONLY
#endif

struct local_fs {
	struct duet_fs base;
	char *dir;          /* absolute, lexically clean directory rootfd names
	                       (the parent when the root is a file); owned */
	atomic_int rootfd;  /* fd on dir, -1 until it exists; once set it stays
	                       until close, so comparing with it is safe */
	pthread_mutex_t mu; /* serialises opening/creating the root */
	enum duet_links links;
	int inplace;      /* write final names directly (--inplace) */
	int no_fsync;     /* skip fsync at commit */
	int root_is_link; /* the root named a file through a symlink */
	char *suffix;     /* partial suffix of temp names; owned */
	pthread_mutex_t pmu;          /* guards pending */
	pthread_mutex_t flush_mu;     /* one flush at a time */
	struct lfs_pending *pending;  /* queued commits, newest first; owned */
};

/* A commit queued by commit_later: data written and closed under `tmp`,
 * renamed to `final` by the next flush, after one syncfs for the batch. */
struct lfs_pending {
	struct lfs_pending *next;
	int dfd;                  /* parent directory; owned unless the root */
	void *tag;                /* the caller's, handed back to done() */
	char tmp[NAME_MAX + 1];   /* "" when already final (inplace, links) */
	char final[NAME_MAX + 1];
	char path[];              /* relative path, for messages */
};

/* A read stream: an fd on a file, or a stored symlink's target in memory. */
struct lfs_rstream {
	struct duet_rstream base;
	struct local_fs *fs;
	char *mem;     /* symlink target (STORE mode), else NULL; owned */
	size_t len;    /* bytes in mem */
	size_t pos;    /* read position in mem */
	int64_t mtime; /* ns, of the file or link when opened */
	char path[];   /* relative path, for messages */
};

/*
 * The errno mapping: sets "local: OP /root/PATH: why" (len bytes of path;
 * len < 0 means all; fs may be NULL) and returns the DUET_E_* code.
 */
int lfs_err(const struct local_fs *fs, int e, const char *op, const char *path, int len);

/* O_NOFOLLOW for opening base in dfd, or 0 where links are followed (-L,
 * or base is the root file given through a symlink). */
int lfs_nofollow(const struct local_fs *fs, int dfd, const char *base);
/* Closes a directory fd from lfs_parent/lfs_step unless it is the root. */
void lfs_close(const struct local_fs *fs, int fd);
int64_t lfs_ns(const struct timespec *ts);
/* ts[0] = UTIME_OMIT (atime kept), ts[1] = mtime ns. */
void lfs_times(int64_t mtime, struct timespec ts[2]);

/* The root fd (not to be closed); with create, mkdir -p of the root first
 * when it is missing. DUET_E_NOTFOUND without create when it is missing. */
int lfs_root(struct local_fs *fs, int create, int *out);
/* Opens directory seg (len bytes; path holds it, for messages) inside cur
 * as a search fd, creating it with create. Refuses symlinks unless -L. */
int lfs_step(struct local_fs *fs, int cur, const char *path, const char *seg, size_t len,
             int create, int *out);
/* Opens the parent of path (creating it with create) into *dfd and points
 * *base at the last segment. Rejects empty, "." and ".." segments
 * (DUET_E_BADNAME) and names over NAME_MAX. */
int lfs_parent(struct local_fs *fs, const char *path, int create, int *dfd, const char **base);
/* 1 in STORE mode when base is "X.rclonelink" (X is copied to out). */
int lfs_linkname(const struct local_fs *fs, const char *base, char out[NAME_MAX + 1]);
/* 1 when dfd/name is a symlink (not followed). */
int lfs_is_link(int dfd, const char *name);

/* Opens path for reading at offset; *out is freed with lfs_rclose. */
int lfs_open_read(struct local_fs *fs, const char *path, int64_t offset, struct lfs_rstream **out);
void lfs_rclose(struct duet_rstream *s);
ssize_t lfs_read(struct duet_rstream *s, void *buf, size_t n);

/* The operations local_io.c implements for the backend table. */
int local_open_read(struct duet_fs *fs, const char *path, int64_t offset,
                    struct duet_rstream **out);
int local_open_write(struct duet_fs *fs, const char *path, int64_t size, struct duet_wstream **out);
/* Group commit: renames every queued commit after one syncfs. */
int local_flush(struct duet_fs *fs, duet_flush_fn done, void *ctx);
int local_mkdir(struct duet_fs *fs, const char *dir);
int local_rmdir(struct duet_fs *fs, const char *dir);
int local_remove(struct duet_fs *fs, const char *path);
int local_move(struct duet_fs *fs, const char *src, const char *dst);
int local_move_from(struct duet_fs *fs, struct duet_fs *src_fs, const char *src, const char *dst);
int local_copy(struct duet_fs *fs, const char *src, const char *dst);
int local_set_mtime(struct duet_fs *fs, const char *path, int64_t mtime);
int local_hash(struct duet_fs *fs, const char *path, enum duet_hash_kind k,
               struct duet_hashes *out);

#endif
