/*
 * listings.h: moving a bisync pair's prior listings between duet's LMDB
 * workdir and rclone's `.lst` files (`<dir>/<session>.path1.lst` and
 * `.path2.lst`, reference §1.4 and §2.4), so an rclone bisync user can
 * switch to duet without --resync, and tests can compare duet's baseline
 * with rclone's. Files are named by rclone's session name of the two roots
 * as rclone spells them ("/abs/path/", "remote:path/"); the pair inside the
 * workdir is found exactly as `duet bisync` finds it.
 */
#ifndef DUET_BISYNC_LISTINGS_H
#define DUET_BISYNC_LISTINGS_H

#include "core/backend.h"

/* Outcomes; each value is the exit code the CLI returns. */
enum duet_bislst_result {
	DUET_BISLST_OK = 0,
	DUET_BISLST_ERROR = 1,    /* I/O, workdir, unusable listing file */
	DUET_BISLST_USAGE = 2,    /* bad paths */
	DUET_BISLST_NOTFOUND = 3, /* no stored listings / no listing files */
};

struct duet_bislst_opts {
	const char *path1, *path2; /* remote specs as given to `duet bisync` */
	const char *workdir;       /* duet's workdir; NULL: the default one */
	const char *dir;           /* export: where to write; import: rclone's
	                              workdir to read from */
	struct duet_fs_opts fs;    /* backend options */
	const char *filters_file;  /* import: the --filters-file of rclone's runs,
	                              whose FILE.md5 (rclone's fingerprint) is
	                              checked and carried over; NULL: none */
};

/*
 * Writes dir/<session>.path1.lst and .path2.lst (dir is created when
 * missing, its parent must exist) from the pair's stored listings, in one
 * read transaction. Each file's hashes are md5 when any entry has md5,
 * else the first kind an entry has, else "-". The header time is the end
 * of the pair's last run. Logs what it did or why not (never prints).
 * DUET_BISLST_NOTFOUND when there is no workdir, no such pair or the pair
 * has no trusted listings (never --resync'ed, or after a critical error).
 */
enum duet_bislst_result duet_bislst_export(const struct duet_bislst_opts *o);

/*
 * Reads dir/<session>.path1.lst and .path2.lst (rclone's format; incorrect
 * lines are skipped with a NOTICE; directory lines, from
 * --create-empty-src-dirs runs, are kept) and, holding the pair's lock, stores them as
 * the pair's listings and marks the pair CLEAN in one write transaction.
 * The workdir and the pair are created when missing. Returns
 * DUET_BISLST_NOTFOUND when a file is missing (the message names it, lists
 * any other sessions' listings in dir and the way out: --resync),
 * DUET_BISLST_ERROR when a file cannot be read, has no valid entry, or the
 * workdir fails (another pair with the same session name, lock held).
 * With filters_file, the fingerprint rclone left in FILE.md5 must match
 * the file (else ERROR: the filters changed after rclone's last run) and
 * is stored with the pair; without FILE.md5 a NOTICE says the first run
 * will ask for --resync, as rclone's would.
 */
enum duet_bislst_result duet_bislst_import(const struct duet_bislst_opts *o);

/*
 * Drops the pair's stored listings and marks it as needing --resync, under
 * its lock (rclone's equivalent: deleting the .lst files). dir is unused.
 * DUET_BISLST_NOTFOUND when there is no such workdir or pair.
 */
enum duet_bislst_result duet_bislst_forget(const struct duet_bislst_opts *o);

#endif
