/*
 * normal.c: a normal (non-resync) bisync run: deltas of each side against
 * its stored listing, the safety checks, the decision table with its
 * conflict resolution, then renames, copies (2->1 first, then 1->2) and
 * deletes through the one-way engine, and the new listings.
 */
#include "run_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "listing/delta.h"

struct bnormal {
	struct brun *b;
	struct duet_deltas_stream s1, s2; /* keep what d1/d2 point at */
	size_t nprior[2];                 /* entries of each prior listing */
	struct duet_deltas d1, d2;
	struct duet_plan plan;
	struct duet_listing renamed[2];   /* conflict copies' new names, per side */
};

static void
bn_dispose(struct bnormal *n)
{
	duet_plan_dispose(&n->plan);
	duet_listing_dispose(&n->renamed[0]);
	duet_listing_dispose(&n->renamed[1]);
	duet_deltas_dispose(&n->d1);
	duet_deltas_dispose(&n->d2);
	duet_deltas_stream_dispose(&n->s1);
	duet_deltas_stream_dispose(&n->s2);
}

static int
bn_count(uint32_t no, uint8_t status, const void *data, size_t len, void *ctx)
{
	(void)no;
	(void)status;
	(void)data;
	(void)len;
	(*(unsigned *)ctx)++;
	return 0;
}

/* Stored listings: both must be there (the pair is CLEAN), or the pair was
 * interrupted and --recover finishes it: the stored listings still describe
 * the state before that run (they are only written at its end), so a
 * normal run against them completes what it had begun. Whatever it had
 * already copied is found equal on both sides, not as a conflict; what it
 * deleted is deleted on both sides. */
static enum duet_bisync_result
bn_load(struct bnormal *n)
{
	struct brun *b = n->b;
	struct duet_workdir_txn *t = NULL;
	struct duet_pair_rec pr;
	uint64_t last_run = 0;
	unsigned planned = 0;
	int rc, clean = 0, interrupted = 0;

	if ((rc = duet_workdir_txn_begin(b->w, 1, &t)) == 0 &&
	    (rc = duet_workdir_pair_get(t, b->pair, &pr)) == 0) {
		interrupted = pr.state == DUET_PAIR_INTERRUPTED;
		clean = pr.state == DUET_PAIR_CLEAN || interrupted;
		last_run = pr.last_run;
		duet_workdir_pair_dispose(&pr);
		if (interrupted)
			rc = duet_workdir_journal_iter(t, b->pair, last_run, bn_count, &planned);
	}
	duet_workdir_txn_abort(t);
	if (rc != 0) {
		duet_log(DUET_LOG_ERROR, "Bisync critical error: cannot read the workdir: %s", duet_err_msg());
		return DUET_BISYNC_CRITICAL;
	}
	if (!clean) {
		duet_log(DUET_LOG_ERROR, "Bisync critical error: cannot find prior Path1 or Path2 "
		    "listings, likely due to critical error on prior run (run with --resync to make a "
		    "new baseline)");
		return DUET_BISYNC_CRITICAL;
	}
	if (interrupted && !b->o->recover) {
		duet_log(DUET_LOG_ERROR, "Bisync critical error: the previous run (run %llu) was "
		    "interrupted after planning %u actions. Run again with --recover to finish it "
		    "(no --resync needed)", (unsigned long long)last_run, planned);
		return DUET_BISYNC_CRITICAL_KEEP;
	}
	if (interrupted) {
		duet_log(DUET_LOG_NOTICE, "Recovering: the previous run (run %llu) was interrupted "
		    "after planning %u actions; finishing it from the stored listings", 
		    (unsigned long long)last_run, planned);
		b->recovering = last_run;
	}
	return DUET_BISYNC_OK;
}

/* A root that is gone (an unmounted disk, a removed folder) stops the run
 * before anything is compared; the listings stay, so once it is back the
 * next run goes on as if nothing happened (rclone would demand --resync). */
static enum duet_bisync_result
bn_roots(struct brun *b)
{
	const struct duet_listing *l[] = {&b->cur1, &b->cur2};
	const char *names[] = {b->name1, b->name2};
	enum duet_bisync_result r = DUET_BISYNC_OK;
	for (int i = 0; i < 2; i++)
		if (l[i]->root_missing) {
			duet_log(DUET_LOG_ERROR, "Path%d \"%s\" does not exist (removed, or not mounted?): "
			    "nothing was changed. Restore or mount it and run again, or run --resync to "
			    "start over", i + 1, names[i]);
			r = DUET_BISYNC_RETRY;
		}
	return r;
}

/* Empty listings never propagate as "delete everything". */
static enum duet_bisync_result
bn_empty(struct bnormal *n)
{
	static const char *which[] = {"prior Path1", "prior Path2", "current Path1", "current Path2"};
	size_t count[] = {n->nprior[0], n->nprior[1], n->b->cur1.n, n->b->cur2.n};
	for (int i = 0; i < 4; i++)
		if (count[i] == 0) {
			duet_log(DUET_LOG_ERROR, "Empty %s listing. Cannot sync to an empty directory.",
			    which[i]);
			duet_log(DUET_LOG_ERROR, "Bisync critical error: empty %s listing", which[i]);
			return DUET_BISYNC_CRITICAL;
		}
	return DUET_BISYNC_OK;
}

struct bn_feedctx {
	struct duet_deltas_stream *s;
	int dirs; /* directories count (--create-empty-src-dirs) */
};

static int
bn_feed(void *ctx, const struct duet_entry *e)
{
	struct bn_feedctx *f = ctx;
	/* Stored directories of a run with --create-empty-src-dirs are not
	 * deleted because this run goes without it. */
	if (!f->dirs && e->type == DUET_T_DIR)
		return 0;
	return duet_deltas_stream_prior(f->s, e);
}

/* Both sides' deltas, the stored listings streamed from one read
 * transaction (never held in memory whole). */
static int
bn_deltas(struct bnormal *n, const struct duet_compare *cmp)
{
	struct brun *b = n->b;
	struct duet_workdir_txn *t = NULL;
	struct bn_feedctx f1 = {&n->s1, b->o->create_empty_src_dirs};
	struct bn_feedctx f2 = {&n->s2, b->o->create_empty_src_dirs};
	int rc;

	duet_deltas_stream_begin(&n->s1, &b->cur1, cmp, 1, &n->d1);
	duet_deltas_stream_begin(&n->s2, &b->cur2, cmp, 2, &n->d2);
	if ((rc = duet_workdir_txn_begin(b->w, 1, &t)) != 0)
		return rc;
	duet_log(DUET_LOG_INFO, "Path1 checking for diffs");
	rc = duet_workdir_listing_iter_txn(t, b->pair, 1, bn_feed, &f1);
	if (rc == 0 && (rc = duet_deltas_stream_end(&n->s1)) == 0) {
		duet_deltas_log_stats(&n->d1, 1);
		duet_log(DUET_LOG_INFO, "Path2 checking for diffs");
		rc = duet_workdir_listing_iter_txn(t, b->pair, 2, bn_feed, &f2);
	}
	if (rc == 0 && (rc = duet_deltas_stream_end(&n->s2)) == 0)
		duet_deltas_log_stats(&n->d2, 2);
	duet_workdir_txn_abort(t);
	n->nprior[0] = n->s1.nprior;
	n->nprior[1] = n->s2.nprior;
	return rc;
}

/* --max-delete as a percentage of each prior listing, unless --force. */
static enum duet_bisync_result
bn_max_delete(struct bnormal *n)
{
	const struct duet_bisync_opts *o = n->b->o;
	const struct duet_deltas *d[] = {&n->d1, &n->d2};
	const char *names[] = {n->b->name1, n->b->name2};
	if (o->force)
		return DUET_BISYNC_OK;
	for (int i = 0; i < 2; i++) {
		/* deleted/total > max/100, in integers. */
		if (d[i]->n_deleted * 100 > (size_t)o->max_delete * n->nprior[i]) {
			duet_logo(DUET_LOG_ERROR, "Safety abort",
			    "too many deletes (>%d%%, %zu of %zu) on Path%d \"%s\". Run with --force if desired.",
			    o->max_delete, d[i]->n_deleted, n->nprior[i], i + 1, names[i]);
			return DUET_BISYNC_RETRY;
		}
	}
	return DUET_BISYNC_OK;
}

/* Equality of two versions: same size and, when both sides can hash (and
 * neither --size-only nor --ignore-checksum), the same digest (rclone's
 * check; times never decide it). */
static int
bn_equal(struct brun *b, const char *path)
{
	const char *path2 = brun_spelling(b, 2, path);
	const struct duet_entry *a = duet_listing_find(&b->cur1, path);
	const struct duet_entry *c = duet_listing_find(&b->cur2, path2);
	struct duet_hashes h1, h2;
	int k = duet_hash_first(b->fs1->hashes & b->fs2->hashes);
	if (a == NULL || c == NULL || (a->size >= 0 && c->size >= 0 && a->size != c->size))
		return 0;
	/* --size-only and --ignore-checksum: sizes decide, as rclone's check. */
	if (k < 0 || b->fs1->ops->hash == NULL || b->fs2->ops->hash == NULL ||
	    b->o->x.size_only || b->o->x.ignore_checksum)
		return 1;
	memset(&h1, 0, sizeof(h1));
	memset(&h2, 0, sizeof(h2));
	if (b->fs1->ops->hash(b->fs1, path, (enum duet_hash_kind)k, &h1) != 0 ||
	    b->fs2->ops->hash(b->fs2, path2, (enum duet_hash_kind)k, &h2) != 0)
		return 0; /* cannot tell: treat as a conflict, which keeps both */
	return duet_hash_equal(&h1, &h2, (enum duet_hash_kind)k);
}

/* Resolves each CHECK of the plan (the plan grows while we walk it). */
static int
bn_checks(struct bnormal *n)
{
	struct brun *b = n->b;
	size_t planned = n->plan.n;
	int rc = 0, winner;
	for (size_t i = 0; i < planned && rc == 0; i++) {
		const char *path = n->plan.v[i].path;
		const struct duet_delta *a, *c;
		int equal;
		if (n->plan.v[i].kind != DUET_ACT_CHECK)
			continue;
		a = duet_deltas_find_path(&n->d1, path);
		c = duet_deltas_find_path(&n->d2, brun_spelling(b, 2, path));
		equal = !duet_plan_differ_cheap(a, c, &b->o->conflict) && bn_equal(b, path);
		rc = duet_plan_resolve(a, c, equal, &b->cur1, &b->cur2, &b->o->conflict, &n->plan,
		    &winner);
		b->rec.conflicts += !equal;
	}
	return rc;
}

/* The listing of side knows the file under its new name. */
static int
bn_renamed(struct brun *b, int side, const char *from, const char *to)
{
	const struct duet_entry *e = duet_listing_find(side == 1 ? &b->cur1 : &b->cur2, from);
	struct duet_entry c;
	int rc = brun_upd_del(b, side, from);
	if (rc == 0)
		rc = brun_touched(b, side, from);
	if (rc != 0 || e == NULL)
		return rc;
	c = *e;
	c.path = to;
	c.pathlen = (uint32_t)strlen(to);
	return brun_upd_put(b, side, &c);
}

/* A conflict rename onto a name that is taken (--conflict-loser pathname,
 * an older conflict copy) first moves that file to the side's backup dir,
 * when there is one, as rclone does. */
static int
bn_rename_backup(struct brun *b, struct duet_fs *fs, int side, const char *target)
{
	struct duet_entry e;
	const struct duet_entry *v[1] = {&e};
	struct duet_xfer_opts x;
	struct duet_stats st;

	if (b->bfs[side - 1] == NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	if (fs->ops->stat(fs, target, &e) != 0 || e.type != DUET_T_FILE)
		return 0;
	e.path = target;
	e.pathlen = (uint32_t)strlen(target);
	brun_xfer_opts(b, side, &x);
	x.on_item = NULL;
	duet_stats_init(&st);
	return duet_xfer_delete_list(fs, v, 1, &x, &st);
}

static int bn_revert(struct bnormal *n, int side, const char *name, const char *other);

/* -i: the user said no to a conflict: nothing of it is done (its renames
 * and copies are skipped) and the name is left for the next run. */
static int
bn_decline(struct bnormal *n, const char *path)
{
	struct brun *b = n->b;
	struct duet_entry e;
	int rc = 0;
	memset(&e, 0, sizeof(e));
	e.type = DUET_T_FILE;
	for (size_t i = 0; i <= n->plan.n && rc == 0; i++) {
		const struct duet_action *a = i < n->plan.n ? &n->plan.v[i] : NULL;
		const char *p = a == NULL ? path : a->new_path;
		if (a != NULL && (a->new_path == NULL || strcmp(a->path, path) != 0))
			continue;
		e.path = p;
		e.pathlen = (uint32_t)strlen(p);
		rc = duet_listing_add(&b->declined, &e);
	}
	if (rc == 0)
		rc = bn_revert(n, 1, path, brun_spelling(b, 2, path));
	return rc;
}

/* -i: asks once per conflict, before its first rename. */
static int
bn_ask_rename(struct bnormal *n, const struct duet_action *a, const char *from,
    const char **asked, int *go)
{
	char q[8300];
	if (n->b->o->confirm == NULL || n->b->o->dry_run ||
	    (*asked != NULL && strcmp(*asked, a->path) == 0))
		return 0;
	*asked = a->path;
	/* Shown as: rename "from" to "new"? */
	snprintf(q, sizeof(q), "%s\" to \"%s", from, a->new_path);
	*go = brun_ask(n->b, "rename", q);
	return *go ? 0 : bn_decline(n, a->path);
}

/* Remembers a conflict copy's name, for its NOTICE when it is queued. */
static void
bn_note_renamed(struct bnormal *n, int side, const char *to)
{
	struct duet_entry e;
	memset(&e, 0, sizeof(e));
	e.path = to;
	e.pathlen = (uint32_t)strlen(to);
	e.type = DUET_T_FILE;
	(void)duet_listing_add(&n->renamed[side - 1], &e); /* no memory: an INFO line */
}

/* Renames of conflict losers, on each side's own backend. */
static int
bn_renames(struct bnormal *n)
{
	struct brun *b = n->b;
	const char *asked = NULL;
	int go = 1, rc;
	for (size_t i = 0; i < n->plan.n; i++) {
		const struct duet_action *a = &n->plan.v[i];
		struct duet_fs *fs = a->kind == DUET_ACT_RENAME1 ? b->fs1 : b->fs2;
		int side = a->kind == DUET_ACT_RENAME1 ? 1 : 2;
		const char *from, *to;
		if (a->kind != DUET_ACT_RENAME1 && a->kind != DUET_ACT_RENAME2)
			continue;
		from = brun_spelling(b, side, a->path);
		to = brun_spelling(b, side, a->new_path);
		if ((rc = bn_ask_rename(n, a, from, &asked, &go)) != 0)
			return rc;
		if (!go)
			continue;
		duet_log(DUET_LOG_NOTICE, "- %-18s%-43s - %s%s", side == 1 ? "Path1" : "Path2",
		    side == 1 ? "Renaming Path1 copy" : "Renaming Path2 copy",
		    side == 1 ? b->name1 : b->name2, a->new_path);
		bn_note_renamed(n, side, to);
		if (b->o->dry_run)
			continue;
		if ((rc = bn_rename_backup(b, fs, side, to)) != 0)
			return rc;
		if ((rc = fs->ops->move(fs, from, to)) != 0) {
			duet_log(DUET_LOG_ERROR, "%s rename failed for %s: %s", fs->name, from,
			    duet_err_msg());
			return rc;
		}
		if ((rc = bn_renamed(b, side, from, to)) != 0)
			return rc;
		brun_failpoint(b);
	}
	duet_listing_sort(&b->declined);
	duet_listing_sort(&n->renamed[0]);
	duet_listing_sort(&n->renamed[1]);
	return 0;
}

/* A source about to be copied is looked at again: the version copied (and
 * recorded) is the one there now, which may have changed since the walk.
 * 1: copy it; 0: it is gone (dropped from both listings, so whatever the
 * other side has (as `other`) shows up as new next run: nothing is lost);
 * <0: error. */
static int
bn_restat(struct bnormal *n, struct duet_fs *src, struct duet_entry *s, int sside,
    const char *other)
{
	struct duet_entry now;
	int rc;
	memset(&now, 0, sizeof(now));
	if ((rc = src->ops->stat(src, s->path, &now)) == DUET_E_NOTFOUND) {
		duet_logo(DUET_LOG_NOTICE, s->path, "Path%d file vanished before it could be copied: "
		    "left for the next run", sside);
		if ((rc = brun_upd_del(n->b, sside, s->path)) == 0)
			rc = brun_upd_del(n->b, 3 - sside, other);
		return rc;
	}
	if (rc != 0)
		return rc;
	if (now.type != DUET_T_FILE)
		return duet_err_set(DUET_E_CHANGED, "%s: Path%d file became a directory during the run",
		    s->path, sside);
	if (now.size != s->size || now.mtime != s->mtime) {
		duet_logo(DUET_LOG_INFO, s->path, "Path%d file changed since it was listed: copying "
		    "the new version", sside);
		s->size = now.size;
		s->mtime = now.mtime;
		s->hashes = NULL;
	}
	return 1;
}

/* -i: an action the user skipped is left for the next run: each side's
 * listing gets back its prior entry where the side changed (so the change
 * is seen again), and loses a name this run made (a conflict copy not
 * copied, so it shows up as new). */
static int
bn_revert(struct bnormal *n, int side, const char *name, const char *other)
{
	struct brun *b = n->b;
	int rc = 0;
	for (int k = 0; k < 2 && rc == 0; k++) {
		int s = k == 0 ? side : 3 - side;
		const char *p = k == 0 ? name : other;
		const struct duet_delta *d = duet_deltas_find_path(s == 1 ? &n->d1 : &n->d2, p);
		if (d != NULL)
			rc = d->prior != NULL ? brun_upd_put(b, s, d->prior) : brun_upd_del(b, s, p);
		else if (duet_listing_find(s == 1 ? &b->cur1 : &b->cur2, p) == NULL)
			rc = brun_upd_del(b, s, p);
	}
	return rc;
}

/* One batch of copies or deletes. */
struct bn_batch {
	const struct duet_entry **v; /* to copy or delete */
	struct duet_entry *s;        /* what v points at */
	const char **dst;            /* copies: the destination's spelling where
	                                it differs, else NULL */
	size_t n;
};

static void
bn_batch_dispose(struct bn_batch *t)
{
	duet_free(t->v);
	duet_free(t->s);
	duet_free(t->dst);
}

/* Entries to copy or delete for one action kind, each spelt as on side
 * eside (a copy's source, a delete's side); renamed files are given as
 * copies of their entry under the new name. With src (copies), each source
 * is looked at again first (bn_restat). */
static int
bn_collect(struct bnormal *n, enum duet_act kind, struct duet_fs *src, int eside,
    struct bn_batch *t)
{
	struct brun *b = n->b;
	int rc;
	size_t cnt = 0;
	for (size_t i = 0; i < n->plan.n; i++)
		cnt += n->plan.v[i].kind == kind;
	t->v = duet_calloc(cnt + 1, sizeof(*t->v));
	t->s = duet_calloc(cnt + 1, sizeof(*t->s));
	t->dst = duet_calloc(cnt + 1, sizeof(*t->dst));
	if (t->v == NULL || t->s == NULL || t->dst == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	t->n = 0;
	for (size_t i = 0; i < n->plan.n; i++) {
		const struct duet_action *a = &n->plan.v[i];
		struct duet_entry *e = &t->s[t->n];
		const char *sp, *dp;
		if (a->kind != kind || a->expect == NULL ||
		    (b->declined.n > 0 && duet_listing_find(&b->declined, a->path) != NULL))
			continue;
		sp = brun_spelling(b, eside, a->path);
		dp = brun_spelling(b, 3 - eside, a->path);
		*e = *a->expect;
		e->path = sp;
		e->pathlen = (uint32_t)strlen(sp);
		if (src != NULL && !b->o->dry_run && e->type == DUET_T_FILE &&
		    (rc = bn_restat(n, src, e, eside, dp)) <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		t->dst[t->n] = strcmp(sp, dp) != 0 ? dp : NULL;
		t->v[t->n] = e;
		t->n++;
	}
	return 0;
}

/* --fix-case: a destination spelt differently takes the source's spelling
 * before the copy (the copy then writes that name). */
static int
bn_fix_case(struct bnormal *n, struct duet_fs *dst, int dside, struct bn_batch *t)
{
	const struct duet_listing *l = dside == 1 ? &n->b->cur1 : &n->b->cur2;
	int rc;
	for (size_t i = 0; i < t->n; i++) {
		if (t->dst[i] == NULL)
			continue;
		if (duet_listing_find(l, t->dst[i]) != NULL &&
		    (rc = brun_fix_case(n->b, dst, dside, t->dst[i], t->v[i]->path)) != 0)
			return rc;
		t->dst[i] = NULL;
	}
	return 0;
}

static int
bn_rmdirs(struct bnormal *n, struct duet_fs *dst, int dside, const struct duet_entry *s, size_t cnt)
{
	const struct duet_entry **d = duet_calloc(cnt + 1, sizeof(*d));
	int rc;
	if (d == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	for (size_t i = 0; i < cnt; i++)
		d[i] = &s[i];
	rc = brun_dirs_remove(n->b, dst, dside, d, cnt);
	duet_free(d);
	return rc;
}

/* rclone's lines for a step: each queued item (a conflict's renamed copy
 * at NOTICE), then "Do queued copies to" / "Do queued deletes on". */
static void
bn_queue_log(struct bnormal *n, enum duet_act kind, const struct bn_batch *t)
{
	struct brun *b = n->b;
	int del = kind == DUET_ACT_DELETE1 || kind == DUET_ACT_DELETE2;
	int sside = kind == DUET_ACT_COPY_1TO2 || kind == DUET_ACT_DELETE1 ? 1 : 2;
	int dside = del ? sside : 3 - sside;
	enum duet_log_level lv = b->o->dry_run ? DUET_LOG_NOTICE : DUET_LOG_INFO;
	const char *tag = sside == 1 ? "Path1" : "Path2";
	const char *root = dside == 1 ? b->name1 : b->name2;
	const char *what = del ? "Queue delete" : dside == 1 ? "Queue copy to Path1" : "Queue copy to Path2";

	if (t->n == 0)
		return;
	for (size_t i = 0; i < t->n; i++) {
		const char *p = !del && t->dst[i] != NULL ? t->dst[i] : t->v[i]->path;
		int renamed = !del && n->renamed[sside - 1].n > 0 &&
		    duet_listing_find(&n->renamed[sside - 1], t->v[i]->path) != NULL;
		duet_log(renamed ? DUET_LOG_NOTICE : lv, "- %-18s%-43s - %s%s", tag, what, root, p);
	}
	if (del)
		duet_log(lv, "- %-18s%-43s - %s", "", "Do queued deletes on", tag);
	else
		duet_log(lv, "- %-18s%-43s - %s", tag, "Do queued copies to", dside == 1 ? "Path1" : "Path2");
}

static void
bn_sleep(int64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
	if (ns > 0)
		nanosleep(&ts, NULL);
}

/* Runs one step's copies or deletes. With --resilient and --retries, a
 * step that failed runs again on what is not done yet, as rclone does. */
static int
bn_xfer(struct bnormal *n, int del, struct duet_fs *src, struct duet_fs *dst,
    const struct bn_batch *t, const struct duet_xfer_opts *x, struct duet_stats *st)
{
	const struct duet_bisync_opts *o = n->b->o;
	int tries = o->resilient && o->retries > 1 ? o->retries + 1 : 1, rc;
	const struct duet_entry **v = t->v;
	const char **dp = t->dst;
	const struct duet_entry **rv = NULL;
	const char **rd = NULL;
	size_t nv = t->n;

	for (int i = 1;; i++) {
		rc = del ? duet_xfer_delete_list(dst, v, nv, x, st)
		         : duet_xfer_copy_list(src, v, dp, nv, dst, x, st);
		if (rc == 0 || i >= tries || rc == DUET_E_CANCELLED || n->b->quit)
			break;
		duet_log(DUET_LOG_NOTICE, "Received error: %s - retrying as --resilient is set. "
		    "Retry %d/%d", duet_err_msg(), i, tries - 1);
		bn_sleep(o->retries_sleep);
		if (rv == NULL && ((rv = duet_calloc(t->n, sizeof(*rv))) == NULL ||
		    (rd = duet_calloc(t->n, sizeof(*rd))) == NULL))
			break;
		nv = 0;
		for (size_t k = 0; k < t->n; k++) {
			const char *p = del || t->dst[k] == NULL ? t->v[k]->path : t->dst[k];
			if (brun_done(n->b, p))
				continue;
			rv[nv] = t->v[k];
			rd[nv++] = t->dst[k];
		}
		v = rv;
		dp = rd;
		duet_stats_init(st);
		if (nv == 0) {
			rc = 0;
			break;
		}
	}
	duet_free(rv);
	duet_free(rd);
	return rc;
}

static int
bn_do(struct bnormal *n, enum duet_act kind, struct duet_fs *src, struct duet_fs *dst,
    uint64_t *count)
{
	struct bn_batch t;
	struct duet_xfer_opts x;
	struct duet_stats st;
	size_t nfiles, cnt;
	int del = kind == DUET_ACT_DELETE1 || kind == DUET_ACT_DELETE2;
	int sside = kind == DUET_ACT_COPY_1TO2 ? 1 : 2;
	int dside = kind == DUET_ACT_DELETE1 ? 1 : kind == DUET_ACT_DELETE2 ? 2 : 3 - sside;
	int asking = n->b->o->confirm != NULL && !n->b->o->dry_run, rc;

	memset(&t, 0, sizeof(t));
	if (!del)
		brun_test_hook();
	rc = bn_collect(n, kind, del ? NULL : src, del ? dside : sside, &t);
	cnt = t.n;
	/* Directories first when made, after the files when removed. */
	if (rc == 0 && !del)
		rc = brun_dirs_make(n->b, dst, dside, t.v, cnt);
	nfiles = 0;
	for (size_t i = 0; rc == 0 && i < cnt; i++)
		if (t.v[i]->type != DUET_T_DIR) {
			t.dst[nfiles] = t.dst[i];
			t.v[nfiles++] = t.v[i];
		}
	t.n = nfiles;
	if (rc == 0 && !del && n->b->o->fix_case && !n->b->quit)
		rc = bn_fix_case(n, dst, dside, &t);
	bn_queue_log(n, kind, &t);
	brun_xfer_opts(n->b, dside, &x);
	duet_stats_init(&st);
	brun_batch_reset(n->b);
	if (rc == 0 && nfiles > 0 && !n->b->quit) {
		rc = bn_xfer(n, del, src, dst, &t, &x, &st);
		*count += (uint64_t)(atomic_load(&st.transfers) + atomic_load(&st.deletes));
		if (asking && n->b->quit && rc == DUET_E_CANCELLED)
			rc = 0; /* the user quit: what is left waits for the next run */
	}
	if (rc == 0 && del) /* the directories, still in t.s */
		rc = bn_rmdirs(n, dst, dside, t.s, cnt);
	/* All done (a failure fails the run, which --recover finishes): both
	 * sides now hold the copied version, each under its own spelling;
	 * deleted files are gone. */
	for (size_t i = 0; rc == 0 && i < nfiles; i++) {
		struct duet_entry e = *t.v[i];
		const char *other = t.dst[i] != NULL ? t.dst[i] : e.path;
		if (!brun_done(n->b, del ? e.path : other)) {
			rc = bn_revert(n, del ? dside : sside, e.path, other);
			continue;
		}
		if (del) {
			rc = brun_upd_del(n->b, dside, e.path);
			continue;
		}
		if ((rc = brun_upd_put(n->b, sside, &e)) != 0)
			break;
		if (t.dst[i] != NULL) {
			e.path = t.dst[i];
			e.pathlen = (uint32_t)strlen(e.path);
		}
		rc = brun_upd_put(n->b, dside, &e);
	}
	bn_batch_dispose(&t);
	return rc;
}

static int
bn_apply(struct bnormal *n)
{
	struct brun *b = n->b;
	int rc;
	duet_log(DUET_LOG_INFO, "Applying changes");
	if ((rc = brun_alias_build(b, &n->d1, &n->d2)) != 0 ||
	    (rc = duet_plan_build(&n->d1, &n->d2, &b->cur1, &b->cur2, &b->names, &b->o->conflict,
	    &n->plan)) != 0 ||
	    (rc = bn_checks(n)) != 0 || (rc = brun_journal(b, &n->plan)) != 0 ||
	    (rc = bn_renames(n)) != 0)
		return rc;
	if ((rc = bn_do(n, DUET_ACT_COPY_2TO1, b->fs2, b->fs1, &b->rec.copied21)) != 0 ||
	    (rc = bn_do(n, DUET_ACT_COPY_1TO2, b->fs1, b->fs2, &b->rec.copied12)) != 0 ||
	    (rc = bn_do(n, DUET_ACT_DELETE1, NULL, b->fs1, &b->rec.deleted1)) != 0)
		return rc;
	return bn_do(n, DUET_ACT_DELETE2, NULL, b->fs2, &b->rec.deleted2);
}

enum duet_bisync_result
brun_normal(struct brun *b)
{
	struct bnormal n;
	struct duet_compare cmp;
	enum duet_bisync_result r;
	int changed;

	memset(&n, 0, sizeof(n));
	n.b = b;
	duet_plan_init(&n.plan);
	duet_listing_init(&n.renamed[0]);
	duet_listing_init(&n.renamed[1]);
	if ((r = bn_load(&n)) != DUET_BISYNC_OK)
		goto out;
	duet_log(DUET_LOG_INFO, "Building Path1 and Path2 listings");
	if (brun_list(b) != 0) {
		b->retryable = 1;
		r = DUET_BISYNC_CRITICAL;
		goto out;
	}
	if ((r = bn_roots(b)) != DUET_BISYNC_OK)
		goto out;
	memset(&cmp, 0, sizeof(cmp));
	cmp.size = b->o->conflict.compare_size;
	cmp.modtime = b->o->conflict.compare_modtime;
	cmp.checksum = b->o->conflict.compare_checksum;
	cmp.hash_kind = b->o->conflict.hash_kind;
	cmp.window = b->o->conflict.window;
	if (bn_deltas(&n, &cmp) != 0) {
		duet_log(DUET_LOG_ERROR, "Bisync critical error: %s", duet_err_msg());
		b->retryable = 1;
		r = DUET_BISYNC_CRITICAL;
		goto out;
	}
	if ((r = bn_empty(&n)) != DUET_BISYNC_OK) {
		b->retryable = 1;
		goto out;
	}
	if (brun_check_access(b) != 0) {
		duet_log(DUET_LOG_ERROR, "Bisync critical error: %s", duet_err_msg());
		b->retryable = 1;
		r = DUET_BISYNC_CRITICAL;
		goto out;
	}
	if ((r = bn_max_delete(&n)) != DUET_BISYNC_OK)
		goto out;
	if (brun_all_changed(b, n.nprior, &n.d1, &n.d2) != 0) {
		r = DUET_BISYNC_RETRY;
		goto out;
	}
	changed = n.d1.n != 0 || n.d2.n != 0;
	if (!changed)
		duet_log(DUET_LOG_INFO, "No changes found");
	else if (bn_apply(&n) != 0) {
		duet_log(DUET_LOG_ERROR, "Bisync critical error: %s", duet_err_msg());
		/* Once the plan is journaled the stored listings still hold: the
		 * next run with --recover finishes the work. */
		r = b->run != 0 ? DUET_BISYNC_CRITICAL_KEEP : DUET_BISYNC_CRITICAL;
		goto out;
	}
	if (b->o->dry_run)
		goto out;
	bn_dispose(&n); /* the plan and prior listings are done with: less peak memory */
	/* The listings walked at the start, with what the run did. */
	if (brun_store(b, DUET_RUN_OK, changed ? BRUN_UPDATES : BRUN_ASIS) != 0 ||
	    (b->o->check_sync && brun_check_sync(b, &b->cur1, &b->cur2) != 0) ||
	    brun_remove_empty_dirs(b) != 0)
		r = DUET_BISYNC_CRITICAL;
out:
	bn_dispose(&n);
	return r;
}
