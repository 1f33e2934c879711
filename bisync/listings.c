/*
 * listings.c: export of a pair's stored listings to rclone's `.lst` files
 * and import of rclone's files as the pair's listings. Both open the roots
 * the way `duet bisync` does, so the pair found (or created) is the one the
 * next run uses; the file names come from rclone's session name. Import
 * writes both listings and the CLEAN state in one transaction, under the
 * pair's lock, so a concurrent run never sees half of it.
 */
#include "listings.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "backends/registry.h"
#include "bisync/run.h"
#include "bisync/run_int.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/xfer.h"
#include "listing/lst.h"
#include "workdir/workdir.h"

#define BL_PATHMAX 4096

/* What both commands set up: the roots, the names and the workdir. */
struct bl {
	const struct duet_bislst_opts *o;
	struct duet_fs *fs1, *fs2;              /* owned */
	char name1[BL_PATHMAX], name2[BL_PATHMAX]; /* rclone's "/abs/root/" */
	char session[DUET_WORKDIR_SESSION_MAX];  /* rclone's session name */
	char wd[BL_PATHMAX];                    /* duet's workdir */
	char file1[BL_PATHMAX], file2[BL_PATHMAX]; /* dir/<session>.pathN.lst */
	struct duet_workdir *w;                 /* owned; NULL until opened */
	uint32_t pair;
	struct duet_listing l1, l2;             /* the two listings */
	unsigned char fmd5[16];                 /* import: the filters file's md5 */
	int has_fmd5;                           /* rclone's FILE.md5 matched it */
};

static void
bl_dispose(struct bl *b)
{
	duet_listing_dispose(&b->l1);
	duet_listing_dispose(&b->l2);
	duet_workdir_close(b->w);
	duet_fs_close(b->fs1);
	duet_fs_close(b->fs2);
}

/* buf = a + c + d; logs and fails when it does not fit. */
static int
bl_join(char *buf, size_t len, const char *what, const char *a, const char *c, const char *d)
{
	int n = snprintf(buf, len, "%s%s%s", a, c, d);
	if (n < 0 || (size_t)n >= len) {
		duet_log(DUET_LOG_ERROR, "%s path too long: %s", what, a);
		return -1;
	}
	return 0;
}

/* Opens both roots and computes every name. */
static enum duet_bislst_result
bl_open(struct bl *b, const struct duet_bislst_opts *o)
{
	memset(b, 0, sizeof(*b));
	b->o = o;
	duet_listing_init(&b->l1);
	duet_listing_init(&b->l2);
	if (duet_fs_open(o->path1, &o->fs, &b->fs1) != 0 || duet_fs_open(o->path2, &o->fs, &b->fs2) != 0) {
		duet_log(DUET_LOG_ERROR, "%s", duet_err_msg());
		return DUET_BISLST_USAGE;
	}
	if (b->fs1->file != NULL || b->fs2->file != NULL) {
		duet_log(DUET_LOG_ERROR, "paths must be directories: %s is a file",
		    b->fs1->file ? o->path1 : o->path2);
		return DUET_BISLST_USAGE;
	}
	if (bl_join(b->name1, sizeof(b->name1), "Path1", b->fs1->name, "/", "") != 0 ||
	    bl_join(b->name2, sizeof(b->name2), "Path2", b->fs2->name, "/", "") != 0)
		return DUET_BISLST_USAGE;
	if (duet_workdir_session_name(b->name1, b->name2, b->session) != 0) {
		duet_log(DUET_LOG_ERROR, "%s", duet_err_msg());
		return DUET_BISLST_USAGE;
	}
	if (o->workdir != NULL) {
		if (bl_join(b->wd, sizeof(b->wd), "workdir", o->workdir, "", "") != 0)
			return DUET_BISLST_USAGE;
	} else if (duet_bisync_default_workdir(b->wd, sizeof(b->wd)) != 0) {
		duet_log(DUET_LOG_ERROR, "%s", duet_err_msg());
		return DUET_BISLST_USAGE;
	}
	if (bl_join(b->file1, sizeof(b->file1), "listing", o->dir, "/", b->session) != 0 ||
	    bl_join(b->file1 + strlen(b->file1), sizeof(b->file1) - strlen(b->file1), "listing", ".path1.lst", "", "") != 0 ||
	    bl_join(b->file2, sizeof(b->file2), "listing", o->dir, "/", b->session) != 0 ||
	    bl_join(b->file2 + strlen(b->file2), sizeof(b->file2) - strlen(b->file2), "listing", ".path2.lst", "", "") != 0)
		return DUET_BISLST_USAGE;
	return DUET_BISLST_OK;
}

/* ---- rclone's name encoding ---------------------------------------- */

/*
 * rclone shows (and lists in .lst files) local names in its "standard"
 * encoding: control bytes 0x01-0x1f as U+2401-U+241F, DEL as U+2421, and a
 * literal U+201B, U+2400-U+241F or U+2421 behind a U+201B quote. duet keeps
 * the bytes on disk, so names cross over through these two mappings.
 */
#define BL_QUOTE "\xe2\x80\x9b" /* U+201B */

/* 1 when s starts with a replacement rune (U+2400-U+241F, U+2421). */
static int
bl_is_repl(const unsigned char *s, size_t n)
{
	return n >= 3 && s[0] == 0xe2 && s[1] == 0x90 && (s[2] <= 0x9f || s[2] == 0xa1) && s[2] >= 0x80;
}

/* duet's name -> rclone's. */
static int
bl_encode(struct duet_buf *b, const char *path, size_t n)
{
	const unsigned char *s = (const unsigned char *)path;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			char r[4] = {(char)0xe2, (char)0x90, (char)(s[i] == 0x7f ? 0xa1 : 0x80 + s[i]), 0};
			rc = duet_buf_append(b, r, 3);
		} else if (bl_is_repl(s + i, n - i) || (n - i >= 3 && memcmp(s + i, BL_QUOTE, 3) == 0)) {
			if ((rc = duet_buf_append(b, BL_QUOTE, 3)) == 0)
				rc = duet_buf_append(b, s + i, 3);
			i += 2;
		} else {
			rc = duet_buf_putc(b, (char)s[i]);
		}
	}
	return rc;
}

/* rclone's name -> duet's. */
static int
bl_decode(struct duet_buf *b, const char *path, size_t n)
{
	const unsigned char *s = (const unsigned char *)path;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (n - i >= 6 && memcmp(s + i, BL_QUOTE, 3) == 0 &&
		    (bl_is_repl(s + i + 3, n - i - 3) || memcmp(s + i + 3, BL_QUOTE, 3) == 0)) {
			rc = duet_buf_append(b, s + i + 3, 3);
			i += 5;
		} else if (bl_is_repl(s + i, n - i) && s[i + 2] != 0x80) {
			rc = duet_buf_putc(b, (char)(s[i + 2] == 0xa1 ? 0x7f : s[i + 2] - 0x80));
			i += 2;
		} else {
			rc = duet_buf_putc(b, (char)s[i]);
		}
	}
	return rc;
}

/* *out (empty) = in with every path mapped, sorted; *dirs counts directories. */
static int
bl_map(const struct duet_listing *in, int encode, struct duet_listing *out, size_t *dirs)
{
	struct duet_buf b = DUET_BUF_INIT;
	struct duet_entry e;
	int rc = 0;

	*dirs = 0;
	for (size_t i = 0; rc == 0 && i < in->n; i++) {
		*dirs += in->v[i].type == DUET_T_DIR;
		duet_buf_reset(&b);
		e = in->v[i];
		rc = encode ? bl_encode(&b, e.path, e.pathlen) : bl_decode(&b, e.path, e.pathlen);
		if (rc == 0) {
			e.path = b.p != NULL ? b.p : "";
			e.pathlen = (uint32_t)b.len;
			rc = duet_listing_add(out, &e);
		}
	}
	duet_buf_dispose(&b);
	if (rc == 0)
		duet_listing_sort(out);
	return rc;
}

/* The pair's key in the workdir, exactly as `duet bisync` computes it. */
static int
bl_pair(struct bl *b, int create)
{
	return duet_workdir_pair(b->w,
	    duet_fs_ident(b->fs1) != NULL ? duet_fs_ident(b->fs1) : b->name1,
	    duet_fs_ident(b->fs2) != NULL ? duet_fs_ident(b->fs2) : b->name2, create, &b->pair);
}

/* ---- export ------------------------------------------------------- */

/* md5 when any entry has it, else the first kind any entry has, else -1. */
static int
bl_hash_kind(const struct duet_listing *l)
{
	int first = -1;
	for (size_t i = 0; i < l->n; i++) {
		const struct duet_hashes *h = l->v[i].hashes;
		if (h == NULL || h->mask == 0)
			continue;
		if (h->mask & DUET_HASH_BIT(DUET_HASH_MD5))
			return DUET_HASH_MD5;
		if (first < 0)
			first = duet_hash_first(h->mask);
	}
	return first;
}

/* Loads both listings of a CLEAN pair and the end of its last run. */
static enum duet_bislst_result
bl_export_load(struct bl *b, int64_t *saved)
{
	struct duet_workdir_txn *t = NULL;
	struct duet_pair_rec pr;
	struct duet_run_rec run;
	int rc, state = -1;

	*saved = 0;
	if ((rc = duet_workdir_txn_begin(b->w, 1, &t)) == 0 &&
	    (rc = duet_workdir_pair_get(t, b->pair, &pr)) == 0) {
		state = pr.state;
		if (state == DUET_PAIR_CLEAN && pr.last_run != 0 &&
		    duet_workdir_run_get(t, b->pair, pr.last_run, &run) == 0)
			*saved = run.end;
		duet_workdir_pair_dispose(&pr);
		if (state == DUET_PAIR_CLEAN && (rc = duet_workdir_listing_load_txn(t, b->pair, 1, &b->l1)) == 0)
			rc = duet_workdir_listing_load_txn(t, b->pair, 2, &b->l2);
	}
	duet_workdir_txn_abort(t);
	if (rc != 0) {
		duet_log(DUET_LOG_ERROR, "workdir %s: %s", b->wd, duet_err_msg());
		return DUET_BISLST_ERROR;
	}
	if (state != DUET_PAIR_CLEAN) {
		duet_log(DUET_LOG_ERROR, "the pair %s and %s has no trusted listings in %s (a prior "
		    "run failed or was interrupted): run `duet bisync --resync` first",
		    b->name1, b->name2, b->wd);
		return DUET_BISLST_NOTFOUND;
	}
	if (*saved == 0)
		*saved = duet_now_real();
	return DUET_BISLST_OK;
}

static enum duet_bislst_result
bl_export_open(struct bl *b)
{
	char mdb[BL_PATHMAX];
	struct stat st;
	int rc;

	if (bl_join(mdb, sizeof(mdb), "workdir", b->wd, "/", "data.mdb") != 0)
		return DUET_BISLST_USAGE;
	/* Opening would create an empty workdir: look first. */
	if (stat(mdb, &st) != 0 && errno == ENOENT) {
		duet_log(DUET_LOG_ERROR, "no bisync listings: no workdir at %s (the pair never ran "
		    "`duet bisync --resync`, or give --workdir)", b->wd);
		return DUET_BISLST_NOTFOUND;
	}
	if (duet_workdir_open(b->wd, &b->w) != 0) {
		duet_log(DUET_LOG_ERROR, "workdir: %s", duet_err_msg());
		return DUET_BISLST_ERROR;
	}
	if ((rc = bl_pair(b, 0)) == DUET_E_NOTFOUND) {
		duet_log(DUET_LOG_ERROR, "no bisync listings for Path1 \"%s\" and Path2 \"%s\" in %s: "
		    "run `duet bisync PATH1 PATH2 --resync` first", b->name1, b->name2, b->wd);
		return DUET_BISLST_NOTFOUND;
	} else if (rc != 0) {
		duet_log(DUET_LOG_ERROR, "workdir: %s", duet_err_msg());
		return DUET_BISLST_ERROR;
	}
	return DUET_BISLST_OK;
}

static int
bl_write(const char *file, const struct duet_listing *l, int64_t saved, const char *side)
{
	struct duet_listing enc;
	size_t dirs;
	int kind = bl_hash_kind(l), rc;

	duet_listing_init(&enc);
	if ((rc = bl_map(l, 1, &enc, &dirs)) == 0 && (rc = duet_lst_write_path(file, &enc, kind, saved)) == 0)
		duet_log(DUET_LOG_NOTICE, "Exported %zu %s entries (hash %s) to %s", enc.n, side,
		    kind >= 0 ? duet_hash_name((enum duet_hash_kind)kind) : "none", file);
	else
		duet_log(DUET_LOG_ERROR, "cannot write %s: %s", file, duet_err_msg());
	duet_listing_dispose(&enc);
	return rc;
}

enum duet_bislst_result
duet_bislst_export(const struct duet_bislst_opts *o)
{
	struct bl b;
	enum duet_bislst_result r;
	int64_t saved;

	if ((r = bl_open(&b, o)) != DUET_BISLST_OK || (r = bl_export_open(&b)) != DUET_BISLST_OK ||
	    (r = bl_export_load(&b, &saved)) != DUET_BISLST_OK)
		goto out;
	if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
		duet_log(DUET_LOG_ERROR, "cannot create %s: %s", o->dir, strerror(errno));
		r = DUET_BISLST_ERROR;
		goto out;
	}
	if (bl_write(b.file1, &b.l1, saved, "Path1") != 0 || bl_write(b.file2, &b.l2, saved, "Path2") != 0)
		r = DUET_BISLST_ERROR;
out:
	bl_dispose(&b);
	return r;
}

/* ---- import ------------------------------------------------------- */

/* Names the listing files of other sessions in dir, to help a user whose
 * paths are spelled differently from rclone's run. */
static void
bl_other_sessions(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < 10) {
		size_t len = strlen(de->d_name);
		if (len > 10 && strcmp(de->d_name + len - 10, ".path1.lst") == 0) {
			duet_log(DUET_LOG_ERROR, "%s holds listings of another session: %.*s "
			    "(other paths than the ones given?)", dir, (int)(len - 10), de->d_name);
			n++;
		}
	}
	closedir(d);
}

/* Both files must be there before anything is touched. */
static enum duet_bislst_result
bl_import_check(const struct bl *b)
{
	const char *f[2] = {b->file1, b->file2};
	struct stat st;
	int missing = 0;

	for (int i = 0; i < 2; i++)
		if (stat(f[i], &st) != 0) {
			duet_log(DUET_LOG_ERROR, "cannot import: %s: %s", f[i], strerror(errno));
			missing = 1;
		}
	if (!missing)
		return DUET_BISLST_OK;
	bl_other_sessions(b->o->dir);
	duet_log(DUET_LOG_ERROR, "no rclone bisync listings for session %s in %s: give rclone's "
	    "--workdir (default ~/.cache/rclone/bisync), or make a new baseline with "
	    "`rclone bisync --resync` or `duet bisync --resync`", b->session, b->o->dir);
	return DUET_BISLST_NOTFOUND;
}

/* Reads one file into *out, files only. */
static enum duet_bislst_result
bl_read(const char *file, struct duet_listing *out)
{
	struct duet_listing raw;
	struct duet_lst_info info;
	size_t dirs = 0;
	enum duet_bislst_result r = DUET_BISLST_ERROR;

	duet_listing_init(&raw);
	if (duet_lst_read_path(file, &raw, &info) != 0) {
		duet_log(DUET_LOG_ERROR, "cannot read %s: %s", file, duet_err_msg());
		goto out;
	}
	if (bl_map(&raw, 0, out, &dirs) != 0) {
		duet_log(DUET_LOG_ERROR, "reading %s: %s", file, duet_err_msg());
		goto out;
	}
	if (dirs > 0)
		duet_log(DUET_LOG_INFO, "%s: %zu directory lines (from --create-empty-src-dirs)", file, dirs);
	if (out->n == 0) {
		duet_log(DUET_LOG_ERROR, "cannot import %s: no file entry in it%s; bisync cannot "
		    "start from an empty listing: run `duet bisync --resync`", file,
		    info.bad_lines > 0 ? " (every line was incorrect)" : "");
		goto out;
	}
	r = DUET_BISLST_OK;
out:
	duet_listing_dispose(&raw);
	return r;
}

static int
bl_import_txn(struct duet_workdir_txn *t, void *ctx)
{
	struct bl *b = ctx;
	struct duet_pair_rec pr;
	int rc;

	/* No listing token: rclone's listings say nothing of when they were
	 * taken, so the first run reads every object's metadata. */
	if ((rc = duet_workdir_listing_update(t, b->pair, 1, &b->l1, NULL)) != 0 ||
	    (rc = duet_workdir_listing_update(t, b->pair, 2, &b->l2, NULL)) != 0 ||
	    (rc = duet_workdir_token_put(t, b->pair, 1, NULL)) != 0 ||
	    (rc = duet_workdir_token_put(t, b->pair, 2, NULL)) != 0 ||
	    (rc = duet_workdir_pair_get(t, b->pair, &pr)) != 0)
		return rc;
	pr.state = DUET_PAIR_CLEAN;
	if (b->has_fmd5) {
		memcpy(pr.filters_md5, b->fmd5, 16);
		pr.has_filters_md5 = 1;
	}
	rc = duet_workdir_pair_put(t, b->pair, &pr);
	duet_workdir_pair_dispose(&pr);
	return rc;
}

/* Opens (creating) the workdir and the pair, then stores under the lock. */
static enum duet_bislst_result
bl_import_store(struct bl *b)
{
	struct duet_lock_holder me, held;
	int rc;

	if (duet_workdir_open(b->wd, &b->w) != 0 || bl_pair(b, 1) != 0) {
		duet_log(DUET_LOG_ERROR, "workdir: %s", duet_err_msg());
		return DUET_BISLST_ERROR;
	}
	if (duet_workdir_lock_take(b->w, b->pair, 0, &me, &held) != 0) {
		duet_log(DUET_LOG_ERROR, "prior lock found: pair held by %s pid %d (%s)", held.host,
		    (int)held.pid, duet_err_msg());
		return DUET_BISLST_ERROR;
	}
	if ((rc = duet_workdir_write(b->w, bl_import_txn, b)) != 0)
		duet_log(DUET_LOG_ERROR, "cannot store listings in %s: %s", b->wd, duet_err_msg());
	if (duet_workdir_lock_release(b->w, b->pair, &me) != 0) {
		duet_log(DUET_LOG_ERROR, "cannot release the lock: %s", duet_err_msg());
		rc = rc ? rc : DUET_E_IO;
	}
	return rc == 0 ? DUET_BISLST_OK : DUET_BISLST_ERROR;
}

/* Checks rclone's fingerprint of --filters-file (FILE.md5, hex) against
 * the file, to carry it over. */
static enum duet_bislst_result
bl_import_filters(struct bl *b)
{
	const char *f = b->o->filters_file;
	char md5file[BL_PATHMAX], hex[33], want[40];
	struct duet_hashes h;
	FILE *fp;
	size_t n;

	if (f == NULL)
		return DUET_BISLST_OK;
	if (brun_filters_md5(f, b->fmd5) != 0) {
		duet_log(DUET_LOG_ERROR, "%s", duet_err_msg());
		return DUET_BISLST_ERROR;
	}
	snprintf(md5file, sizeof(md5file), "%s.md5", f);
	if ((fp = fopen(md5file, "r")) == NULL) {
		duet_log(DUET_LOG_NOTICE, "no %s (rclone's fingerprint of the filters file): the "
		    "first `duet bisync --filters-file %s` will ask for --resync, as rclone's would",
		    md5file, f);
		return DUET_BISLST_OK;
	}
	n = fread(want, 1, sizeof(want) - 1, fp);
	fclose(fp);
	want[n] = '\0';
	want[strcspn(want, " \r\n")] = '\0';
	memset(&h, 0, sizeof(h));
	h.mask = DUET_HASH_BIT(DUET_HASH_MD5);
	memcpy(h.v[DUET_HASH_MD5], b->fmd5, 16);
	duet_hash_hex(&h, DUET_HASH_MD5, hex);
	if (strcasecmp(want, hex) != 0) {
		duet_log(DUET_LOG_ERROR, "filters file %s has changed since rclone's last run (%s "
		    "differs): its listings do not fit the filters; run `duet bisync --resync "
		    "--filters-file %s` instead of importing", f, md5file, f);
		return DUET_BISLST_ERROR;
	}
	b->has_fmd5 = 1;
	return DUET_BISLST_OK;
}

enum duet_bislst_result
duet_bislst_import(const struct duet_bislst_opts *o)
{
	struct bl b;
	enum duet_bislst_result r;

	if ((r = bl_open(&b, o)) != DUET_BISLST_OK || (r = bl_import_check(&b)) != DUET_BISLST_OK ||
	    (r = bl_import_filters(&b)) != DUET_BISLST_OK ||
	    (r = bl_read(b.file1, &b.l1)) != DUET_BISLST_OK ||
	    (r = bl_read(b.file2, &b.l2)) != DUET_BISLST_OK ||
	    (r = bl_import_store(&b)) != DUET_BISLST_OK)
		goto out;
	duet_log(DUET_LOG_NOTICE, "Imported %zu Path1 and %zu Path2 entries of session %s into %s; "
	    "the pair is ready for `duet bisync` without --resync", b.l1.n, b.l2.n, b.session, b.wd);
out:
	bl_dispose(&b);
	return r;
}

/* ---- forget --------------------------------------------------------- */

static int
bl_forget_txn(struct duet_workdir_txn *t, void *ctx)
{
	struct bl *b = ctx;
	struct duet_pair_rec pr;
	int rc;

	if ((rc = duet_workdir_listing_clear(t, b->pair, 1)) != 0 ||
	    (rc = duet_workdir_listing_clear(t, b->pair, 2)) != 0 ||
	    (rc = duet_workdir_token_put(t, b->pair, 1, NULL)) != 0 ||
	    (rc = duet_workdir_token_put(t, b->pair, 2, NULL)) != 0 ||
	    (rc = duet_workdir_pair_get(t, b->pair, &pr)) != 0)
		return rc;
	pr.state = DUET_PAIR_NEEDS_RESYNC;
	rc = duet_workdir_pair_put(t, b->pair, &pr);
	duet_workdir_pair_dispose(&pr);
	return rc;
}

enum duet_bislst_result
duet_bislst_forget(const struct duet_bislst_opts *o)
{
	struct duet_lock_holder me, held;
	struct bl b;
	enum duet_bislst_result r;
	int rc;

	if ((r = bl_open(&b, o)) != DUET_BISLST_OK || (r = bl_export_open(&b)) != DUET_BISLST_OK)
		goto out;
	if (duet_workdir_lock_take(b.w, b.pair, 0, &me, &held) != 0) {
		duet_log(DUET_LOG_ERROR, "prior lock found: pair held by %s pid %d (%s)", held.host,
		    (int)held.pid, duet_err_msg());
		r = DUET_BISLST_ERROR;
		goto out;
	}
	if ((rc = duet_workdir_write(b.w, bl_forget_txn, &b)) != 0) {
		duet_log(DUET_LOG_ERROR, "cannot forget the listings in %s: %s", b.wd, duet_err_msg());
		r = DUET_BISLST_ERROR;
	} else {
		duet_log(DUET_LOG_NOTICE, "Forgot the listings of Path1 \"%s\" and Path2 \"%s\"; the "
		    "next `duet bisync` needs --resync", b.name1, b.name2);
	}
	if (duet_workdir_lock_release(b.w, b.pair, &me) != 0 && r == DUET_BISLST_OK) {
		duet_log(DUET_LOG_ERROR, "cannot release the lock: %s", duet_err_msg());
		r = DUET_BISLST_ERROR;
	}
out:
	bl_dispose(&b);
	return r;
}
