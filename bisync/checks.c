/*
 * checks.c: bisync's guards that need no transfer: --check-access (the
 * check files must be on both sides), the --filters-file fingerprint (a
 * changed filter set demands --resync) and the all-files-changed trap.
 */
#include "run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"

static const char *
bcheck_base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static size_t
bcheck_count(const struct duet_listing *l, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].type == DUET_T_FILE && strcmp(bcheck_base(l->v[i].path), name) == 0;
	return n;
}

/* Reports the check files of `from` that `to` lacks; returns how many. */
static size_t
bcheck_missing(const struct duet_listing *from, const struct duet_listing *to, const char *name,
    int side)
{
	size_t bad = 0;
	for (size_t i = 0; i < from->n; i++) {
		const struct duet_entry *e = &from->v[i];
		if (e->type != DUET_T_FILE || strcmp(bcheck_base(e->path), name) != 0)
			continue;
		if (duet_listing_find(to, e->path) != NULL)
			continue;
		duet_log(DUET_LOG_ERROR, "Access test failed: Path%d file not found in Path%d - %s", side,
		    3 - side, e->path);
		bad++;
	}
	return bad;
}

int
brun_check_access(struct brun *b)
{
	const char *name = b->o->check_filename ? b->o->check_filename : "RCLONE_TEST";
	size_t n1, n2, bad;

	if (!b->o->check_access)
		return 0;
	n1 = bcheck_count(&b->cur1, name);
	n2 = bcheck_count(&b->cur2, name);
	bad = n1 == 0 || n1 != n2;
	if (bad) {
		duet_log(DUET_LOG_ERROR, "Access test failed: Path1 count %zu, Path2 count %zu - %s", n1,
		    n2, name);
		if (n1 == 0 && n2 == 0)
			duet_log(DUET_LOG_NOTICE, "--check-access needs a file named %s in both roots "
			    "(create it on both, e.g. with `duet touch`), or give --check-filename", name);
	}
	bad += bcheck_missing(&b->cur1, &b->cur2, name, 1);
	bad += bcheck_missing(&b->cur2, &b->cur1, name, 2);
	if (bad)
		return duet_err_set(DUET_E_CHANGED, "check file check failed");
	duet_log(DUET_LOG_INFO, "Found %zu matching \"%s\" files on both paths", n1, name);
	return 0;
}

int
brun_filters_md5(const char *path, unsigned char md5[16])
{
	struct duet_hashes h;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return duet_err_set(DUET_E_NOTFOUND, "specified filters file does not exist: %s", path);
		return duet_err_errno(errno, "cannot read filters file %s", path);
	}
	memset(&h, 0, sizeof(h));
	rc = duet_hash_fd(fd, DUET_HASH_BIT(DUET_HASH_MD5), &h);
	close(fd);
	if (rc != 0)
		return duet_err_set(rc, "cannot read filters file %s: %s", path, duet_err_msg());
	memcpy(md5, h.v[DUET_HASH_MD5], 16);
	return 0;
}

int
brun_check_filters(struct brun *b)
{
	const char *f = b->o->filters_file;
	struct duet_workdir_txn *t = NULL;
	struct duet_pair_rec pr;
	int rc, has = 0, same = 0;

	if (f == NULL)
		return 0;
	if ((rc = brun_filters_md5(f, b->filters_md5)) != 0)
		return rc;
	b->has_filters_md5 = 1;
	duet_log(DUET_LOG_INFO, "Using filters file %s", f);
	if (b->o->resync)
		return 0; /* stored with the new listings */
	if ((rc = duet_workdir_txn_begin(b->w, 1, &t)) == 0 &&
	    (rc = duet_workdir_pair_get(t, b->pair, &pr)) == 0) {
		has = pr.has_filters_md5;
		same = has && memcmp(pr.filters_md5, b->filters_md5, 16) == 0;
		duet_workdir_pair_dispose(&pr);
	}
	duet_workdir_txn_abort(t);
	if (rc != 0)
		return rc;
	if (!has)
		return duet_err_set(DUET_E_CHANGED, "filters file md5 hash not found (must run --resync): %s", f);
	if (!same)
		return duet_err_set(DUET_E_CHANGED, "filters file has changed (must run --resync): %s", f);
	return 0;
}

int
brun_all_changed(const struct brun *b, const size_t nprior[2], const struct duet_deltas *d1,
    const struct duet_deltas *d2)
{
	const struct duet_deltas *d[] = {d1, d2};
	const char *names[] = {b->name1, b->name2};
	int bad = 0;

	if (b->o->force)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (nprior[i] == 0 || d[i]->n_deleted + d[i]->n_modified < nprior[i])
			continue;
		duet_logo(DUET_LOG_ERROR, "Safety abort", "all files were changed on Path%d \"%s\". "
		    "Run with --force if desired.", i + 1, names[i]);
		bad = 1;
	}
	return bad ? duet_err_set(DUET_E_CHANGED, "all files were changed") : 0;
}

enum bdiff
brun_differ(const struct brun *b, const struct duet_entry *a, const struct duet_entry *c)
{
	const struct duet_conflict_opts *o = &b->o->conflict;
	int64_t d = a->mtime - c->mtime;
	int k = o->hash_kind;

	if (o->compare_size && a->size >= 0 && c->size >= 0 && a->size != c->size)
		return BDIFF_SIZE;
	if (o->compare_modtime && a->mtime != 0 && c->mtime != 0 && (d >= o->window || -d >= o->window))
		return BDIFF_MODTIME;
	if (o->compare_checksum && k >= 0 && a->hashes && c->hashes &&
	    (a->hashes->mask & c->hashes->mask & DUET_HASH_BIT(k)) &&
	    !duet_hash_equal(a->hashes, c->hashes, (enum duet_hash_kind)k))
		return BDIFF_HASH;
	return BDIFF_NONE;
}

/* One pair of entries of the same name; 1 when they disagree. */
static int
bcheck_pair(const struct brun *b, const struct duet_entry *a, const struct duet_entry *c)
{
	if (a->type == DUET_T_DIR && c->type == DUET_T_DIR)
		return 0;
	switch (brun_differ(b, a, c)) {
	case BDIFF_SIZE:
		duet_logo(DUET_LOG_ERROR, a->path, "Size not equal in listing. Path1: %lld, Path2: %lld",
		    (long long)a->size, (long long)c->size);
		return 1;
	case BDIFF_MODTIME:
		duet_logo(DUET_LOG_ERROR, a->path, "Modtime not equal in listing. Path1: %lld, Path2: %lld",
		    (long long)a->mtime, (long long)c->mtime);
		return 1;
	case BDIFF_HASH:
		duet_logo(DUET_LOG_ERROR, a->path, "Checksum not equal in listing.");
		return 1;
	case BDIFF_NONE:
		break;
	}
	return 0;
}

struct bcheck {
	const struct brun *b;
	size_t bad;
};

static int
bcheck_one(void *ctx, const struct duet_entry *e1, const struct duet_entry *e2)
{
	struct bcheck *c = ctx;
	if (e2 == NULL) {
		duet_log(DUET_LOG_ERROR, "-          Path1 file not found in Path2      - %s", e1->path);
		c->bad++;
	} else if (e1 == NULL) {
		duet_log(DUET_LOG_ERROR, "-          Path2 file not found in Path1      - %s", e2->path);
		c->bad++;
	} else
		c->bad += (size_t)bcheck_pair(c->b, e1, e2);
	return 0;
}

int
brun_check_sync(const struct brun *b, const struct duet_listing *l1, const struct duet_listing *l2)
{
	struct bcheck c = {b, 0};
	struct duet_names m;
	int rc;

	duet_log(DUET_LOG_INFO, "Validating listings for Path1 \"%s\" vs Path2 \"%s\"", b->name1, b->name2);
	/* The same file may be spelt differently on each side (section 1.21). */
	duet_names_init(&m);
	if ((rc = duet_names_build(&m, l1, l2, brun_name_flags(b))) == 0)
		rc = brun_pairs(l1, l2, &m, bcheck_one, &c);
	duet_names_dispose(&m);
	if (rc != 0)
		return rc;
	if (c.bad == 0)
		return 0;
	duet_log(DUET_LOG_ERROR, "Bisync critical error: path1 and path2 are out of sync, run --resync to recover");
	return duet_err_set(DUET_E_CORRUPT, "path1 and path2 are out of sync, run --resync to recover");
}

enum duet_bisync_result
brun_check_sync_only(struct brun *b)
{
	struct duet_workdir_txn *t = NULL;
	struct duet_pair_rec pr;
	struct duet_listing l1, l2;
	int rc, clean = 0;
	enum duet_bisync_result r = DUET_BISYNC_CRITICAL;

	duet_listing_init(&l1);
	duet_listing_init(&l2);
	if ((rc = duet_workdir_txn_begin(b->w, 1, &t)) == 0 &&
	    (rc = duet_workdir_pair_get(t, b->pair, &pr)) == 0) {
		clean = pr.state == DUET_PAIR_CLEAN;
		duet_workdir_pair_dispose(&pr);
		if (clean && (rc = duet_workdir_listing_load_txn(t, b->pair, 1, &l1)) == 0)
			rc = duet_workdir_listing_load_txn(t, b->pair, 2, &l2);
	}
	duet_workdir_txn_abort(t);
	if (rc != 0)
		duet_log(DUET_LOG_ERROR, "Bisync critical error: cannot read the workdir: %s", duet_err_msg());
	else if (!clean)
		duet_log(DUET_LOG_ERROR, "Bisync critical error: cannot find prior Path1 or Path2 "
		    "listings, likely due to critical error on prior run (run with --resync to make a "
		    "new baseline)");
	else if (brun_check_sync(b, &l1, &l2) == 0)
		r = DUET_BISYNC_OK;
	duet_listing_dispose(&l1);
	duet_listing_dispose(&l2);
	return r;
}
