/*
 * resync.c: --resync and --resync-mode (rclone §1.15): a new baseline.
 * Files on one side only are copied to the other; where both sides have a
 * file and the two differ (by the compare settings), the mode picks the
 * side that wins: path1 (default), path2, newer, older, larger, smaller;
 * where the mode cannot tell (equal times or sizes), Path2 wins, as with
 * rclone, whose Path2-to-Path1 pass runs first. Nothing is deleted or
 * renamed. The new listings are the walked ones plus the copies.
 */
#include "run_int.h"

#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"

static const char *const bresync_names[] = {"none", "path1", "path2", "newer", "older", "larger",
	"smaller"};

int
duet_bisync_resync_mode(const char *s)
{
	for (int i = 0; i < (int)(sizeof(bresync_names) / sizeof(bresync_names[0])); i++)
		if (strcasecmp(s, bresync_names[i]) == 0)
			return i;
	return -1;
}

/* Which side wins a difference: 1 or 2. */
static int
bresync_winner(const struct brun *b, int mode, const struct duet_entry *e1,
    const struct duet_entry *e2)
{
	int64_t w = b->o->conflict.window, d = e1->mtime - e2->mtime;
	int times = e1->mtime != 0 && e2->mtime != 0 && (d >= w || -d >= w);
	int sizes = e1->size >= 0 && e2->size >= 0 && e1->size != e2->size;

	switch (mode) {
	case DUET_RESYNC_PATH2:
		return 2;
	case DUET_RESYNC_NEWER:
		return times ? (d > 0 ? 1 : 2) : 2;
	case DUET_RESYNC_OLDER:
		return times ? (d < 0 ? 1 : 2) : 2;
	case DUET_RESYNC_LARGER:
		return sizes ? (e1->size > e2->size ? 1 : 2) : 2;
	case DUET_RESYNC_SMALLER:
		return sizes ? (e1->size < e2->size ? 1 : 2) : 2;
	default:
		return 1;
	}
}

/* newer/older need times, larger/smaller sizes; else Path1 (warned). */
static int
bresync_effective(const struct brun *b)
{
	int mode = b->o->resync_mode;
	const struct duet_conflict_opts *c = &b->o->conflict;
	if (mode == DUET_RESYNC_NONE)
		mode = DUET_RESYNC_PATH1;
	if (((mode == DUET_RESYNC_NEWER || mode == DUET_RESYNC_OLDER) && !c->compare_modtime) ||
	    ((mode == DUET_RESYNC_LARGER || mode == DUET_RESYNC_SMALLER) && !c->compare_size)) {
		duet_log(DUET_LOG_NOTICE, "WARNING: --resync-mode %s needs %s to be compared; using "
		    "path1 instead", bresync_names[mode], mode <= DUET_RESYNC_OLDER ? "modtime" : "size");
		mode = DUET_RESYNC_PATH1;
	}
	return mode;
}

struct bresync_q {
	const struct duet_entry **v[2]; /* [0]: to copy 1->2, [1]: 2->1 */
	const char **dst[2];            /* the destination's spelling, when it
	                                   differs, else NULL */
	size_t n[2];
	struct brun *b;
	int mode;
};

static void
bresync_push(struct bresync_q *q, int dir, const struct duet_entry *e, const char *dst)
{
	q->dst[dir][q->n[dir]] = dst != NULL && strcmp(dst, e->path) != 0 ? dst : NULL;
	q->v[dir][q->n[dir]++] = e;
}

/* One file (through the alias map when spelt differently). */
static int
bresync_pair(void *ctx, const struct duet_entry *e1, const struct duet_entry *e2)
{
	struct bresync_q *q = ctx;
	/* On one side only: into the other side's spelling of its directory. */
	if (e2 == NULL)
		bresync_push(q, 0, e1, brun_spelling(q->b, 2, e1->path));
	else if (e1 == NULL)
		bresync_push(q, 1, e2, brun_spelling(q->b, 1, e2->path));
	else if (e1->type != DUET_T_FILE || e2->type != DUET_T_FILE)
		return 0;
	else if (brun_differ(q->b, e1, e2) == BDIFF_NONE) {
		/* Equal, spelt differently: --fix-case gives Path2 Path1's name. */
		if (q->b->o->fix_case && strcmp(e1->path, e2->path) != 0)
			bresync_push(q, 0, e1, e2->path);
	} else if (bresync_winner(q->b, q->mode, e1, e2) == 1)
		bresync_push(q, 0, e1, e2->path);
	else
		bresync_push(q, 1, e2, e1->path);
	return 0;
}

static int
bresync_plan(struct brun *b, struct bresync_q *q)
{
	size_t max = b->cur1.n + b->cur2.n + 1;
	int rc;

	for (int s = 0; s < 2; s++)
		if ((q->v[s] = duet_calloc(max, sizeof(*q->v[s]))) == NULL ||
		    (q->dst[s] = duet_calloc(max, sizeof(*q->dst[s]))) == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory");
	q->b = b;
	q->mode = bresync_effective(b);
	if ((rc = brun_alias_build(b, NULL, NULL)) != 0)
		return rc;
	return brun_pairs(&b->cur1, &b->cur2, &b->names, bresync_pair, q);
}

/* One direction: dir 0 copies Path1 to Path2, dir 1 Path2 to Path1. */
static int
bresync_copy(struct brun *b, struct bresync_q *q, int dir)
{
	struct duet_fs *src = dir == 0 ? b->fs1 : b->fs2, *dst = dir == 0 ? b->fs2 : b->fs1;
	int sside = dir == 0 ? 1 : 2, dside = 3 - sside;
	int asking = b->o->confirm != NULL && !b->o->dry_run;
	const struct duet_entry **v = q->v[dir];
	const char **dp = q->dst[dir];
	size_t nfiles = 0;
	struct duet_xfer_opts x;
	struct duet_stats st;
	int rc = 0;

	duet_log(DUET_LOG_INFO, "- Path%d    Resync is copying files to         - Path%d", sside,
	    dside);
	brun_xfer_opts(b, dside, &x);
	duet_stats_init(&st);
	rc = brun_dirs_make(b, dst, dside, v, q->n[dir]);
	for (size_t i = 0; i < q->n[dir]; i++)
		if (v[i]->type != DUET_T_DIR) {
			dp[nfiles] = dp[i];
			v[nfiles++] = v[i];
		}
	/* --fix-case: the destination takes the source's spelling first (a
	 * new file then goes under the source's spelling of its directory). */
	for (size_t i = 0; rc == 0 && b->o->fix_case && i < nfiles; i++)
		if (dp[i] != NULL) {
			if (duet_listing_find(dside == 1 ? &b->cur1 : &b->cur2, dp[i]) != NULL)
				rc = brun_fix_case(b, dst, dside, dp[i], v[i]->path);
			dp[i] = NULL;
		}
	brun_batch_reset(b);
	if (rc == 0 && nfiles > 0 && !b->quit) {
		rc = duet_xfer_copy_list(src, v, dp, nfiles, dst, &x, &st);
		if (asking && b->quit && rc == DUET_E_CANCELLED)
			rc = 0; /* the user quit: what is left waits for the next run */
	} else if (rc == 0 && nfiles == 0)
		duet_log(DUET_LOG_INFO, "There was nothing to transfer");
	if (dir == 0)
		b->rec.copied12 = (uint64_t)atomic_load(&st.transfers);
	else
		b->rec.copied21 = (uint64_t)atomic_load(&st.transfers);
	for (size_t i = 0; rc == 0 && !b->o->dry_run && i < nfiles; i++) {
		struct duet_entry e = *v[i];
		/* -i, skipped: in neither listing, so the next run sees the
		 * file as new (on both sides when both have it: a conflict
		 * there keeps both versions). */
		if (!brun_done(b, dp[i] != NULL ? dp[i] : e.path)) {
			if ((rc = brun_upd_del(b, sside, e.path)) == 0)
				rc = brun_upd_del(b, dside, dp[i] != NULL ? dp[i] : e.path);
			continue;
		}
		if (dp[i] != NULL) { /* recorded under the destination's spelling */
			e.path = dp[i];
			e.pathlen = (uint32_t)strlen(e.path);
		}
		rc = brun_upd_put(b, dside, &e);
	}
	return rc;
}

enum duet_bisync_result
brun_resync(struct brun *b)
{
	struct bresync_q q;
	int rc;

	memset(&q, 0, sizeof(q));
	duet_log(DUET_LOG_INFO, "Copying Path2 files to Path1");
	if (brun_list(b) != 0)
		return DUET_BISYNC_CRITICAL;
	if (brun_check_access(b) != 0) {
		duet_log(DUET_LOG_ERROR, "Bisync critical error: %s", duet_err_msg());
		return DUET_BISYNC_CRITICAL;
	}
	/* rclone's order: Path2 to Path1 first, then Path1 to Path2. */
	if ((rc = bresync_plan(b, &q)) == 0 && (rc = bresync_copy(b, &q, 1)) == 0)
		rc = bresync_copy(b, &q, 0);
	for (int s = 0; s < 2; s++) {
		duet_free(q.v[s]);
		duet_free(q.dst[s]);
	}
	if (rc != 0) {
		duet_log(DUET_LOG_ERROR, "Bisync critical error: %s", duet_err_msg());
		return DUET_BISYNC_CRITICAL;
	}
	if (b->o->dry_run)
		return DUET_BISYNC_OK;
	duet_log(DUET_LOG_INFO, "Resync updating listings");
	if (brun_store(b, DUET_RUN_OK, BRUN_UPDATES) != 0 ||
	    (b->o->check_sync && brun_check_sync(b, &b->cur1, &b->cur2) != 0) ||
	    brun_remove_empty_dirs(b) != 0)
		return DUET_BISYNC_CRITICAL;
	return DUET_BISYNC_OK;
}
