/*
 * backend.h: the interface every storage backend implements (local, sftp,
 * s3, azureblob, and the fake backend of the tests). One const table of
 * function pointers per backend, an fs object per opened root whose struct
 * embeds `struct duet_fs` first, and two stream types.
 *
 * Contracts (every backend, checked by tests/backends/conformance):
 * - Paths are relative to the fs root, '/'-separated, never start with '/'
 *   and never contain "." or ".." segments. "" names the root itself.
 * - list() streams one directory's direct children to a callback; it keeps
 *   no memory proportional to the tree. Names from a server are validated
 *   (no empty segment, ".", "..", NUL, '/') before the callback sees them;
 *   an invalid one is skipped with an ERROR log and makes list return
 *   DUET_E_BADNAME after the others were delivered.
 * - Writes go through a write stream: only commit() makes the data visible
 *   under its final name, abort() leaves nothing behind.
 * - Every failure sets the message with duet_err_set (naming the operation
 *   and path) and returns a DUET_E_* code. Secrets never reach a message.
 * - An fs may be used from several threads at once; streams from one thread.
 */
#ifndef DUET_CORE_BACKEND_H
#define DUET_CORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "entry.h"
#include "remote.h"

/* Capability bits of an fs. */
#define DUET_CAP_MOVE 0x01        /* move() renames within the fs */
#define DUET_CAP_COPY 0x02        /* copy() copies within the fs */
#define DUET_CAP_SETMTIME 0x04    /* set_mtime() works */
#define DUET_CAP_DIRS 0x08        /* real directories (empty ones exist) */
#define DUET_CAP_CASEINS 0x10     /* names are case-insensitive */
#define DUET_CAP_LOCAL 0x20       /* a local filesystem (streams expose fds) */
#define DUET_CAP_SLOW_HASH 0x40   /* hash() reads the whole file (local, SFTP) */
#define DUET_CAP_BWLIMIT 0x80     /* its requests charge --bwlimit themselves
                                     (HTTP); else the engine charges copies */

/* How symbolic links are treated (local backend). */
enum duet_links {
	DUET_LINKS_SKIP = 0,   /* skip with a NOTICE (default) */
	DUET_LINKS_FOLLOW = 1, /* -L/--copy-links: follow */
	DUET_LINKS_STORE = 2,  /* -l/--links: NAME.rclonelink holding the target */
};

/* Options every backend receives at open (from global flags). */
struct duet_fs_opts {
	enum duet_links links;      /* symlink mode */
	int inplace;                /* --inplace: write the final name directly */
	const char *partial_suffix; /* --partial-suffix; NULL means ".partial" */
	int no_fsync;               /* skip fsync before rename (--local-no-sync) */
	duet_remote_lookup lookup;  /* resolves name:path (config file); NULL: none */
	void *lookup_ctx;           /* passed to lookup */
	int parallel;               /* most operations run at once (max of --transfers,
	                             * --checkers): sizes connection pools; 0 unknown */
	/* Network backends (S3, Azure Blob); zero values mean the defaults. */
	const char *ca_cert;        /* --ca-cert: PEM file of trusted CAs; NULL: system */
	int insecure;               /* --no-check-certificate */
	const char *user_agent;     /* --user-agent; NULL: "duet/VERSION" */
	int low_level_retries;      /* --low-level-retries; 0: default (10) */
	long connect_timeout_ms;    /* --contimeout; 0: default */
	long idle_timeout_ms;       /* --timeout; 0: default */
	int ignore_checksum;        /* --ignore-checksum: skip the backend's own
	                             * check of downloads (Azure's Content-MD5) */
};

struct duet_fs;
struct duet_remote;

/* Called once per directory child; return 0 to go on, a negative code to
 * stop list() (which then returns that code). `e` is valid only during the
 * call. */
typedef int (*duet_list_fn)(void *ctx, const struct duet_entry *e);

struct duet_rstream;
struct duet_rstream_ops {
	/* Reads up to n bytes into buf: bytes read, 0 at the end, or a negative
	 * DUET_E_* code. */
	ssize_t (*read)(struct duet_rstream *s, void *buf, size_t n);
	/* Releases the stream. NULL-safe. */
	void (*close)(struct duet_rstream *s);
};
struct duet_rstream {
	const struct duet_rstream_ops *ops;
	int fd;       /* a readable fd at the stream's position, or -1 */
	int64_t size; /* size of the object when opened, or -1 */
	int64_t mtime; /* the object's mtime as its answer gave it, or 0 */
};

struct duet_wstream;
struct duet_wstream_ops {
	/* Writes all n bytes or fails with a code (the stream then only aborts). */
	int (*write)(struct duet_wstream *s, const void *buf, size_t n);
	/* Makes the data visible under its final name, sets the mtime (ns; 0
	 * leaves it) where the backend can, and frees the stream, success or not.
	 * On failure nothing new is visible. */
	int (*commit)(struct duet_wstream *s, int64_t mtime);
	/* Discards the data, leaves nothing behind, frees the stream. */
	void (*abort)(struct duet_wstream *s);
	/* Optional group commit (with the fs's flush): like commit, but the
	 * data may stay under its temporary name until the next flush() of
	 * the fs, which reports this commit by calling its done() with `tag`.
	 * Returns 0 once queued (done() will follow) or a code (then done()
	 * will not be called). Frees the stream either way. */
	int (*commit_later)(struct duet_wstream *s, int64_t mtime, void *tag);
	/* Optional: called before the first write() when the caller knows the
	 * mtime (ns) the commit will set and digests of the data to come
	 * (h may be NULL or have no bits). Object stores send metadata with
	 * the start of an upload (S3 multipart, a streamed PUT) and use this;
	 * commit's mtime still wins. Returns 0 or a code (the stream then only
	 * aborts). */
	int (*hint)(struct duet_wstream *s, int64_t mtime, const struct duet_hashes *h);
};

/* Called by flush() once per queued commit: code 0 when the data is now
 * durable and visible under its final name. */
typedef void (*duet_flush_fn)(void *ctx, void *tag, int code);
struct duet_wstream {
	const struct duet_wstream_ops *ops;
	int fd; /* a writable fd at offset 0 (copy_file_range target), or -1 */
};

struct duet_backend {
	const char *name; /* type as in the config file: "local", "sftp", ... */

	/* Opens the root named by r. A root that does not exist yet is not an
	 * error (it is created by the first write); one that is a file opens
	 * the parent with fs->file set to the file's name. */
	int (*open)(const struct duet_remote *r, const struct duet_fs_opts *o,
	    struct duet_fs **out);
	void (*close)(struct duet_fs *fs);

	/* Lists dir's children. DUET_E_NOTFOUND if dir does not exist,
	 * DUET_E_NOTDIR if it is a file. Entry paths are relative to the root
	 * (dir + "/" + name). */
	int (*list)(struct duet_fs *fs, const char *dir, duet_list_fn fn, void *ctx);
	/* Fills size, mtime, type of path; e->path is left to the caller. */
	int (*stat)(struct duet_fs *fs, const char *path, struct duet_entry *e);

	int (*open_read)(struct duet_fs *fs, const char *path, int64_t offset,
	    struct duet_rstream **out);
	/* size: expected bytes or -1. Parent directories are created. */
	int (*open_write)(struct duet_fs *fs, const char *path, int64_t size,
	    struct duet_wstream **out);

	/* Creates dir and missing parents; an existing directory is success. */
	int (*mkdir)(struct duet_fs *fs, const char *dir);
	/* Removes an empty directory. DUET_E_NOTEMPTY otherwise. */
	int (*rmdir)(struct duet_fs *fs, const char *dir);
	/* Removes a file. */
	int (*remove)(struct duet_fs *fs, const char *path);

	/* Optional (NULL when the capability bit is clear). */
	int (*move)(struct duet_fs *fs, const char *src, const char *dst);
	int (*copy)(struct duet_fs *fs, const char *src, const char *dst);
	int (*set_mtime)(struct duet_fs *fs, const char *path, int64_t mtime);
	/* Moves src (a path of src_fs, an fs of the same backend) to dst in
	 * fs, replacing dst and creating its parents. DUET_E_XDEV when the two
	 * cannot be joined by a rename; the caller then copies and removes. */
	int (*move_from)(struct duet_fs *fs, struct duet_fs *src_fs, const char *src,
	    const char *dst);
	/* Copies src of src_fs (same backend) to dst in fs on the server
	 * (two roots of one store): content, mtime and hashes as the source
	 * keeps them. DUET_E_XDEV when the server cannot join the two (other
	 * host, other credentials); the caller then streams. */
	int (*copy_from)(struct duet_fs *fs, struct duet_fs *src_fs, const char *src,
	    const char *dst);
	/* Optional: everything below dir in as few requests as the server
	 * allows (a recursive listing: S3 without delimiter, Azure without
	 * delimiter): files, and each directory, implied by names or a
	 * marker, with its path relative to the root; in any order, a
	 * directory possibly more than once. Errors as list();
	 * DUET_E_UNSUPPORTED where it cannot (the caller walks instead). */
	int (*list_r)(struct duet_fs *fs, const char *dir, duet_list_fn fn, void *ctx);
	/* Optional: removes what interrupted runs left on the server below
	 * dir and cannot be seen in a listing (S3: multipart uploads started
	 * more than max_age ns ago). With dry_run only says what it would do.
	 * *done gets the count. */
	int (*cleanup)(struct duet_fs *fs, const char *dir, int64_t max_age, int dry_run,
	    long *done);
	/* Optional, with commit_later: makes every commit queued so far
	 * durable (one flush for all) and visible, and calls done(ctx, tag,
	 * code) for each. Thread-safe; concurrent commit_later calls go to the
	 * next flush. */
	int (*flush)(struct duet_fs *fs, duet_flush_fn done, void *ctx);
	/* Optional: removes the n files paths[] in as few requests as the
	 * server allows (S3 DeleteObjects, 1000 a request). codes[i] gets each
	 * file's outcome: 0 (also when it did not exist) or a code. Returns 0
	 * when every request went through (look at codes), else the code of
	 * the first that failed (codes of paths it covered are set to it). */
	int (*remove_batch)(struct duet_fs *fs, const char *const *paths, size_t n, int *codes);
	/* The digest of kind k for path, from the server or by reading. */
	int (*hash)(struct duet_fs *fs, const char *path, enum duet_hash_kind k,
	    struct duet_hashes *out);
	/* Optional: a token (a NUL-terminated string of at most n - 1 bytes)
	 * that dates the listings this fs has made, for the caller to keep
	 * with them and hand back in duet_fs.known next time. DUET_E_NOTFOUND
	 * when nothing was listed. */
	int (*list_token)(struct duet_fs *fs, char *buf, size_t n);
};

/*
 * What the caller knew of the root from an earlier listing (bisync's
 * stored listing of that side), so a backend whose listing lacks a field
 * it would otherwise ask for per entry (S3: the mtime kept as metadata,
 * one HEAD per object) can take it from there for entries that have not
 * changed since. lookup fills out (path left alone; hashes may point
 * into ctx's storage) and returns 0, or DUET_E_NOTFOUND; it is called
 * from listing threads. token: what list_token gave for that listing.
 */
struct duet_listing;

struct duet_fs_known {
	int (*lookup)(void *ctx, const char *path, struct duet_entry *out);
	void *ctx;
	const char *token;
};

/* The part every backend's fs struct embeds first. */
struct duet_fs {
	const struct duet_backend *ops;
	char *name;        /* for messages: "/abs/root" or "remote:path"; owned */
	char *root;        /* backend's root string; owned */
	char *file;        /* set when the root named a file: its base name */
	unsigned caps;     /* DUET_CAP_* */
	unsigned hashes;   /* kinds hash() supplies (DUET_HASH_BIT set) */
	int64_t precision; /* mtime precision in ns (1 = exact) */
	char *canon;       /* canonical identity for overlap checks, e.g.
	                      "local:/real/path"; owned */
	int64_t md5_first; /* writes of at least this many bytes want hint() to
	                      carry the MD5 (S3 keeps it as metadata of a
	                      multipart upload); 0: never */
	char *ident;       /* identity for stored state (bisync pairs) when it
	                      must not follow all of canon (sftp: not the
	                      port); NULL: canon. Owned */
	const struct duet_fs_known *known; /* set by the caller before listing
	                      when it has one (backends with list_token); not
	                      owned */
	/* Set by duet cleanup before listing: a backend that hides the temp
	 * files of unfinished writes (duet_tmpname_is) hands each one's path
	 * and mtime here instead. NULL: they are only skipped. */
	void (*on_temp)(void *ctx, const char *path, int64_t mtime);
	void *on_temp_ctx;
	const struct duet_listing *exact_only; /* set by a caller that copies
	                      what the listing gives and takes the mtime of a
	                      copy from its read stream: a store may then skip
	                      the metadata read (S3's HEAD) of a file whose path
	                      is not in this sorted listing and flag it
	                      DUET_EF_LAZY; NULL: every entry exact. Not owned */
};

/* Fills the common fields; returns DUET_E_NOMEM on failure. */
int duet_fs_init(struct duet_fs *fs, const struct duet_backend *ops,
    const char *name, const char *root);
/* Frees the common fields (not fs itself). */
void duet_fs_dispose(struct duet_fs *fs);
/* The root's identity for stored state: ident, else canon (maybe NULL). */
const char *duet_fs_ident(const struct duet_fs *fs);
/* fs->ops->close(fs); NULL-safe. */
void duet_fs_close(struct duet_fs *fs);

/*
 * Checks a name delivered by a server or a directory read: non-empty, not
 * "." or "..", no '/' and no NUL within namelen bytes. Returns 0 or
 * DUET_E_BADNAME with the message set.
 */
int duet_name_check(const char *name, size_t namelen);

/*
 * 1 when the name (nl bytes) is one of the temporary names writes use
 * before their rename (NAME.xxxxxxxx<suffix> or .duet-xxxxxxxx<suffix>, x
 * lower-case hex; suffix e.g. ".partial"): the leftover of a killed
 * transfer, which backends do not list, so a sync never carries it on.
 */
int duet_tmpname_is(const char *name, size_t nl, const char *suffix);

/* Joins dir and name into a new string ("" dir gives name). NULL on no
 * memory. Caller frees with duet_free. */
char *duet_path_join(const char *dir, const char *name);

#endif
