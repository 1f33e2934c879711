/*
 * run.c: set-up and tear-down of one bisync run (roots, workdir, pair,
 * lock, final words), the listing walk, storing new listings, and
 * --resync.
 */
#include "run_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/registry.h"
#include "core/error.h"
#include "core/log.h"
#include "core/walk.h"

void
duet_bisync_opts_init(struct duet_bisync_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_delete = 50;
	o->check_sync = 1;
	o->conflict.suffix1 = o->conflict.suffix2 = ".conflict";
	o->conflict.compare_size = o->conflict.compare_modtime = 1;
	o->conflict.hash_kind = -1;
	o->conflict.window = 1;
	duet_xfer_opts_init(&o->x);
}

int
duet_bisync_default_workdir(char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;
	if (state != NULL && state[0] == '/')
		n = snprintf(buf, len, "%s/duet/bisync", state);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(buf, len, "%s/.local/state/duet/bisync", home);
	else
		return duet_err_set(DUET_E_NOTFOUND,
		    "no HOME or XDG_STATE_HOME to place the workdir: give --workdir DIR");
	if (n < 0 || (size_t)n >= len)
		return duet_err_set(DUET_E_NAMETOOLONG, "workdir path too long: give --workdir DIR");
	return 0;
}

/*
 * A side whose backend dates its listings (list_token: S3) gets the
 * stored listing of that side and its token before the walk, so objects
 * unchanged since that listing need no request of their own (see
 * duet_fs_known). Not at --resync (the stored listing is not trusted),
 * nor without a token (a first run, an imported listing).
 */
struct bknown {
	struct duet_listing l;
	struct duet_fs_known k;
	char tok[256];
};

static int
bknown_lookup(void *ctx, const char *path, struct duet_entry *out)
{
	const struct duet_entry *e = duet_listing_find(ctx, path);

	if (e == NULL)
		return DUET_E_NOTFOUND;
	*out = *e;
	return 0;
}

static void
bknown_set(struct brun *b, struct duet_fs *fs, int side, struct bknown *k)
{
	struct duet_workdir_txn *t;
	int rc;

	duet_listing_init(&k->l);
	if (b->o->resync || fs->ops->list_token == NULL)
		return;
	if (duet_workdir_txn_begin(b->w, 1, &t) != 0)
		return;
	rc = duet_workdir_token_get(t, b->pair, side, k->tok, sizeof(k->tok));
	duet_workdir_txn_abort(t);
	if (rc != 0 || duet_workdir_listing_load(b->w, b->pair, side, &k->l) != 0)
		return;
	k->k.lookup = bknown_lookup;
	k->k.ctx = &k->l;
	k->k.token = k->tok;
	fs->known = &k->k;
	duet_log(DUET_LOG_DEBUG, "Path%d: objects unchanged since the stored listing (%s) are "
	    "taken from it", side, k->tok);
}

/* Moves side i's directory entries from its listing to b->dirs[i]. */
static int
brun_split_dirs(struct brun *b, int i)
{
	struct duet_listing *l = i == 0 ? &b->cur1 : &b->cur2;
	size_t k = 0;
	duet_listing_dispose(&b->dirs[i]);
	for (size_t n = 0; n < l->n; n++) {
		if (l->v[n].type != DUET_T_DIR)
			l->v[k++] = l->v[n];
		else if (duet_listing_add(&b->dirs[i], &l->v[n]) != 0)
			return DUET_E_NOMEM;
	}
	l->n = k;
	return 0;
}

int
brun_list(struct brun *b)
{
	struct duet_walk_job j[2];
	struct duet_listing *out[2] = {&b->cur1, &b->cur2};
	struct duet_fs *fs[2] = {b->fs1, b->fs2};
	struct bknown known[2];
	int rc = 0;

	for (int i = 0; i < 2; i++)
		bknown_set(b, fs[i], i + 1, &known[i]);

	for (int i = 0; i < 2; i++) {
		memset(&j[i], 0, sizeof(j[i]));
		duet_listing_dispose(out[i]);
		j[i].fs = fs[i];
		j[i].out = out[i];
		j[i].o.filter = b->o->filter && duet_filter_active(b->o->filter) ? b->o->filter : NULL;
		j[i].o.checkers = b->o->x.checkers > 0 ? b->o->x.checkers : 8;
		j[i].o.max_depth = -1;
		j[i].o.dirs = 1; /* split off below without --create-empty-src-dirs */
		j[i].o.fast_list = b->o->x.fast_list;
	}
	duet_walk_both(&j[0], &j[1]);
	for (int i = 0; i < 2; i++)
		if (j[i].rc == 0 && !b->o->create_empty_src_dirs && (j[i].rc = brun_split_dirs(b, i)) != 0)
			snprintf(j[i].msg, sizeof(j[i].msg), "%s", duet_err_msg());
	for (int i = 0; i < 2; i++) {
		fs[i]->known = NULL;
		duet_listing_dispose(&known[i].l);
	}
	for (int i = 0; i < 2; i++) {
		if (j[i].rc != 0)
			duet_logo(DUET_LOG_ERROR, fs[i]->name, "cannot list: %s", j[i].msg);
		else if (out[i]->errors > 0)
			j[i].rc = duet_err_set(DUET_E_IO, "%ld directories could not be read",
			    out[i]->errors);
		rc = rc ? rc : j[i].rc;
	}
	if (rc != 0)
		duet_log(DUET_LOG_ERROR,
		    "There were errors while building listings. Aborting as it is too dangerous to continue.");
	else
		rc = brun_hash_listings(b);
	return rc;
}

void
brun_test_hook(void)
{
	const char *cmd = getenv("DUET_TEST_HOOK_BEFORE_SYNC");
	if (cmd != NULL && cmd[0] != '\0' && system(cmd) != 0)
		duet_log(DUET_LOG_ERROR, "test hook failed: %s", cmd);
}

/* Test failpoint: DUET_FAILPOINT_KILL_AFTER=N kills the process (SIGKILL,
 * no clean-up at all) once N actions (conflict renames, copies, deletes)
 * have finished, so the crash tests can stop a run at every point of its
 * plan. */
void
brun_failpoint(struct brun *b)
{
	if (b->kill_after > 0 && ++b->items >= b->kill_after)
		raise(SIGKILL);
}

struct bjournal {
	struct brun *b;
	const struct duet_plan *p;
};

static int
bjournal_txn(struct duet_workdir_txn *t, void *ctx)
{
	struct bjournal *j = ctx;
	struct brun *b = j->b;
	struct duet_run_rec rec = b->rec;
	struct duet_pair_rec pr;
	char buf[8200];
	int rc;

	rec.outcome = DUET_RUN_RUNNING;
	if ((rc = duet_workdir_run_new(t, b->pair, &rec, &b->run)) != 0)
		return rc;
	for (size_t i = 0; i < j->p->n && rc == 0; i++) {
		const struct duet_action *a = &j->p->v[i];
		/* kind, path, NUL, new path: enough to tell what was planned. */
		int n = snprintf(buf, sizeof(buf), "%c%s%c%s", (char)a->kind, a->path, 0,
		    a->new_path ? a->new_path : "");
		if (n < 0 || (size_t)n >= sizeof(buf))
			n = (int)sizeof(buf) - 1;
		rc = duet_workdir_journal_put(t, b->pair, b->run, (uint32_t)i, buf, (size_t)n, 0);
	}
	if (rc == 0 && (rc = duet_workdir_pair_get(t, b->pair, &pr)) == 0) {
		pr.state = DUET_PAIR_INTERRUPTED;
		pr.last_run = b->run;
		rc = duet_workdir_pair_put(t, b->pair, &pr);
		duet_workdir_pair_dispose(&pr);
	}
	return rc;
}

int
brun_journal(struct brun *b, const struct duet_plan *p)
{
	struct bjournal j = {b, p};
	if (b->o->dry_run)
		return 0;
	return duet_workdir_write(b->w, bjournal_txn, &j);
}

struct bstore {
	struct brun *b;
	uint8_t outcome;
};

static int
bstore_txn(struct duet_workdir_txn *t, void *ctx)
{
	struct bstore *s = ctx;
	struct brun *b = s->b;
	struct duet_pair_rec pr;
	uint64_t run;
	int rc;

	/* Without modtime compare, listings hold no times (as rclone's). */
	if (!b->o->conflict.compare_modtime) {
		for (size_t i = 0; i < b->cur1.n; i++)
			b->cur1.v[i].mtime = 0;
		for (size_t i = 0; i < b->cur2.n; i++)
			b->cur2.v[i].mtime = 0;
	}
	if ((rc = duet_workdir_listing_update(t, b->pair, 1, &b->cur1, NULL)) != 0 ||
	    (rc = duet_workdir_listing_update(t, b->pair, 2, &b->cur2, NULL)) != 0)
		return rc;
	/* Each side's listing token goes with its listing (none: removed). */
	for (int side = 1; side <= 2 && rc == 0; side++) {
		struct duet_fs *fs = side == 1 ? b->fs1 : b->fs2;
		char tok[256] = "";
		if (fs->ops->list_token != NULL && b->o->conflict.compare_modtime &&
		    fs->ops->list_token(fs, tok, sizeof(tok)) != 0)
			tok[0] = '\0';
		rc = duet_workdir_token_put(t, b->pair, side, tok);
	}
	if (rc != 0)
		return rc;
	if ((rc = duet_workdir_pair_get(t, b->pair, &pr)) != 0)
		return rc;
	b->rec.end = duet_now_real();
	b->rec.outcome = s->outcome;
	/* A journaled run is closed: its record final, its journal cleared, in
	 * the transaction that stores what it did. */
	if (b->run != 0) {
		run = b->run;
		if ((rc = duet_workdir_run_put(t, b->pair, run, &b->rec)) == 0)
			rc = duet_workdir_journal_clear(t, b->pair, run);
	} else {
		rc = duet_workdir_run_new(t, b->pair, &b->rec, &run);
	}
	if (rc == 0 && b->recovering != 0) /* the interrupted run is finished too */
		rc = duet_workdir_journal_clear(t, b->pair, b->recovering);
	/* A --resync over an interrupted run replaces what that run planned. */
	if (rc == 0 && pr.state == DUET_PAIR_INTERRUPTED && pr.last_run != 0 && pr.last_run != run)
		rc = duet_workdir_journal_clear(t, b->pair, pr.last_run);
	if (rc == 0 && b->o->resync && b->has_filters_md5) {
		memcpy(pr.filters_md5, b->filters_md5, sizeof(pr.filters_md5));
		pr.has_filters_md5 = 1;
	}
	if (rc == 0) {
		pr.state = DUET_PAIR_CLEAN;
		pr.last_run = run;
		rc = duet_workdir_pair_put(t, b->pair, &pr);
	}
	duet_workdir_pair_dispose(&pr);
	return rc;
}

int
brun_store(struct brun *b, uint8_t outcome, enum brun_new how)
{
	struct bstore s = {b, outcome};
	int rc;
	duet_log(DUET_LOG_INFO, "Updating listings");
	if (how == BRUN_UPDATES && (rc = brun_upd_apply(b)) != 0) {
		duet_log(DUET_LOG_ERROR, "cannot update listings: %s", duet_err_msg());
		return rc;
	}
	if ((rc = duet_workdir_write(b->w, bstore_txn, &s)) != 0)
		duet_log(DUET_LOG_ERROR, "cannot store listings: %s", duet_err_msg());
	return rc;
}

static int
bmark_txn(struct duet_workdir_txn *t, void *ctx)
{
	struct brun *b = ctx;
	struct duet_pair_rec pr;
	int rc = duet_workdir_pair_get(t, b->pair, &pr);
	if (rc == 0) {
		pr.state = DUET_PAIR_NEEDS_RESYNC;
		rc = duet_workdir_pair_put(t, b->pair, &pr);
		duet_workdir_pair_dispose(&pr);
	}
	return rc;
}

/* Marks the pair as needing --resync. */
static int
brun_mark(struct brun *b)
{
	return duet_workdir_write(b->w, bmark_txn, b);
}

/* 1 when one canonical root contains the other. */
static int
brun_overlap(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
	if (strncmp(a, b, n) != 0)
		return 0;
	return la == lb || (la > lb ? a[n] : b[n]) == '/';
}

/* --backup-dir1/2: on the same backend as their side, outside its root
 * (rclone's check, a critical error there). */
/* A root that cannot be opened: a bad spec is the user's to fix (2); a
 * server down or refusing the login is worth another try (1). */
static enum duet_bisync_result
brun_open_failed(int rc)
{
	return rc == DUET_E_USAGE || rc == DUET_E_INVAL ? DUET_BISYNC_USAGE : DUET_BISYNC_RETRY;
}

static enum duet_bisync_result
brun_open_backups(struct brun *b)
{
	const struct duet_bisync_opts *o = b->o;
	struct duet_fs *side[2] = {b->fs1, b->fs2};
	int rc;

	for (int i = 0; i < 2; i++) {
		struct duet_fs *f;
		if (o->backup_dir[i] == NULL)
			continue;
		if ((rc = duet_fs_open(o->backup_dir[i], &o->fs, &b->bfs[i])) != 0) {
			duet_log(DUET_LOG_ERROR, "--backup-dir%d: %s", i + 1, duet_err_msg());
			return brun_open_failed(rc);
		}
		f = b->bfs[i];
		if (f->ops != side[i]->ops) {
			duet_log(DUET_LOG_ERROR, "--backup-dir%d %s must be on the same remote as Path%d "
			    "(%s)", i + 1, o->backup_dir[i], i + 1, side[i]->name);
			return DUET_BISYNC_USAGE;
		}
		if (f->canon && side[i]->canon && brun_overlap(f->canon, side[i]->canon)) {
			/* rclone makes this critical (--resync needed); nothing was
			 * touched, so duet keeps the listings: a usage error. */
			duet_log(DUET_LOG_ERROR, "destination and parameter to --backup-dir mustn't "
			    "overlap: --backup-dir%d %s overlaps Path%d %s: choose a directory outside it",
			    i + 1, o->backup_dir[i], i + 1, side[i]->name);
			return DUET_BISYNC_USAGE;
		}
	}
	return DUET_BISYNC_OK;
}

/* The root's identity in the workdir (see duet_fs_ident). */
static const char *
brun_ident(const struct duet_fs *fs, const char *name)
{
	return duet_fs_ident(fs) != NULL ? duet_fs_ident(fs) : name;
}

static enum duet_bisync_result
brun_open(struct brun *b)
{
	const struct duet_bisync_opts *o = b->o;
	enum duet_bisync_result r;
	char wd[4096];
	int rc;

	if ((rc = duet_fs_open(o->path1, &o->fs, &b->fs1)) != 0 ||
	    (rc = duet_fs_open(o->path2, &o->fs, &b->fs2)) != 0) {
		duet_log(DUET_LOG_ERROR, "%s", duet_err_msg());
		return brun_open_failed(rc);
	}
	if (b->fs1->file != NULL || b->fs2->file != NULL) {
		duet_log(DUET_LOG_ERROR, "paths must be existing directories: %s is a file",
		    b->fs1->file ? o->path1 : o->path2);
		return DUET_BISYNC_USAGE;
	}
	if (b->fs1->canon && b->fs2->canon && brun_overlap(b->fs1->canon, b->fs2->canon)) {
		duet_log(DUET_LOG_ERROR, "Overlapping paths detected. Cannot bisync between paths that "
		    "overlap (%s and %s): choose two separate directories", o->path1, o->path2);
		return DUET_BISYNC_USAGE;
	}
	if ((r = brun_open_backups(b)) != DUET_BISYNC_OK)
		return r;
	snprintf(b->name1, sizeof(b->name1), "%s/", b->fs1->name);
	snprintf(b->name2, sizeof(b->name2), "%s/", b->fs2->name);
	if (o->workdir != NULL)
		snprintf(wd, sizeof(wd), "%s", o->workdir);
	else if ((rc = duet_bisync_default_workdir(wd, sizeof(wd))) != 0) {
		duet_log(DUET_LOG_ERROR, "%s", duet_err_msg());
		return DUET_BISYNC_USAGE;
	}
	if ((rc = duet_workdir_open(wd, &b->w)) != 0 ||
	    (rc = duet_workdir_pair(b->w, brun_ident(b->fs1, b->name1),
	        brun_ident(b->fs2, b->name2), 1, &b->pair)) != 0) {
		duet_log(DUET_LOG_ERROR, "workdir: %s", duet_err_msg());
		return rc == DUET_E_CORRUPT ? DUET_BISYNC_CRITICAL : DUET_BISYNC_RETRY;
	}
	return DUET_BISYNC_OK;
}

static void
brun_final(enum duet_bisync_result r)
{
	switch (r) {
	case DUET_BISYNC_OK:
		duet_log(DUET_LOG_NOTICE, "Bisync successful");
		break;
	case DUET_BISYNC_RETRY:
		duet_log(DUET_LOG_ERROR, "Bisync aborted. Please try again.");
		break;
	case DUET_BISYNC_CRITICAL:
		duet_log(DUET_LOG_ERROR, "Bisync aborted. Must run --resync to recover.");
		break;
	case DUET_BISYNC_CRITICAL_KEEP:
		duet_log(DUET_LOG_ERROR, "Bisync aborted. Run again with --recover to finish.");
		break;
	case DUET_BISYNC_CRITICAL_RESILIENT:
		duet_log(DUET_LOG_ERROR, "Bisync aborted. Error is retryable without --resync due to "
		    "--resilient mode.");
		break;
	case DUET_BISYNC_USAGE:
		break;
	}
}

/* Settles the compare settings against what both backends can do. */
static void
brun_compare(struct brun *b, struct duet_bisync_opts *o)
{
	struct duet_conflict_opts *c = &o->conflict;
	/* Times closer than this are the same: --modify-window, or the
	 * coarser precision of the two backends. */
	c->window = b->fs1->precision > b->fs2->precision ? b->fs1->precision : b->fs2->precision;
	if (o->x.modify_window > c->window)
		c->window = o->x.modify_window;
	if (c->window < 1)
		c->window = 1;
	b->hash_kind = c->hash_kind = brun_hash_kind(o, b->fs1, b->fs2);
	if (!c->compare_checksum)
		duet_log(DUET_LOG_INFO, "Setting --ignore-listing-checksum as neither --checksum nor "
		    "--compare checksum are set.");
	if (c->compare_checksum && c->hash_kind < 0) {
		if (!o->ignore_listing_checksum && !o->no_slow_hash)
			duet_log(DUET_LOG_NOTICE, "WARNING: Checksum compare was requested but Path1 and "
			    "Path2 have no common hash (add --download-hash): using size and modtime");
		c->compare_checksum = 0;
		if (!c->compare_size && !c->compare_modtime)
			c->compare_size = c->compare_modtime = 1;
	}
	/* rclone says nothing and keeps both versions of every conflict. */
	if ((c->resolve == DUET_RESOLVE_NEWER || c->resolve == DUET_RESOLVE_OLDER) &&
	    !c->compare_modtime)
		duet_log(DUET_LOG_NOTICE, "WARNING: --conflict-resolve %s needs modtimes, which are "
		    "not compared here (--checksum or --compare without modtime): conflicts keep "
		    "both versions; use --compare size,modtime,checksum to resolve them",
		    c->resolve == DUET_RESOLVE_NEWER ? "newer" : "older");
	if ((c->resolve == DUET_RESOLVE_LARGER || c->resolve == DUET_RESOLVE_SMALLER) &&
	    !c->compare_size)
		duet_log(DUET_LOG_NOTICE, "WARNING: --conflict-resolve %s needs sizes, which are "
		    "not compared here (--ignore-size or --compare without size): conflicts keep "
		    "both versions", c->resolve == DUET_RESOLVE_LARGER ? "larger" : "smaller");
}

enum duet_bisync_result
duet_bisync_run(const struct duet_bisync_opts *orig)
{
	struct duet_bisync_opts opts = *orig, *o = &opts;
	struct brun b;
	struct duet_lock_holder me, held;
	struct brun_keeper keep;
	enum duet_bisync_result r;
	int locked = 0;

	memset(&b, 0, sizeof(b));
	b.o = o;
	duet_listing_init(&b.cur1);
	duet_listing_init(&b.cur2);
	duet_listing_init(&b.upd[0]);
	duet_listing_init(&b.upd[1]);
	duet_names_init(&b.names);
	duet_names_init(&b.dnames);
	duet_listing_init(&b.dirs[0]);
	duet_listing_init(&b.dirs[1]);
	duet_arena_init(&b.spell);
	duet_listing_init(&b.done);
	duet_listing_init(&b.skipped);
	duet_listing_init(&b.declined);
	duet_listing_init(&b.touched[0]);
	duet_listing_init(&b.touched[1]);
	for (int i = 0; i < 2; i++) {
		b.xctx[i].b = &b;
		b.xctx[i].side = i + 1;
	}
	b.rec.start = duet_now_real();
	if (getenv("DUET_FAILPOINT_KILL_AFTER") != NULL)
		b.kill_after = atol(getenv("DUET_FAILPOINT_KILL_AFTER"));
	r = brun_open(&b);
	if (r == DUET_BISYNC_OK)
		brun_compare(&b, o);
	if (r == DUET_BISYNC_OK && !o->dry_run) {
		if (duet_workdir_lock_take(b.w, b.pair, o->max_lock, &me, &held) != 0) {
			duet_log(DUET_LOG_ERROR, "prior lock found: pair held by %s pid %d (%s)%s", held.host,
			    (int)held.pid, duet_err_msg(), held.expires ? "; it expires at the end of its "
			    "--max-lock" : "; wait for that run, or end it if it hangs");
			r = DUET_BISYNC_RETRY;
		} else if (brun_keeper_start(&keep, b.w, b.pair, o->max_lock, &me) != 0) {
			duet_log(DUET_LOG_ERROR, "%s", duet_err_msg());
			locked = 1;
			r = DUET_BISYNC_RETRY;
		} else {
			locked = 1;
		}
	}
	if (r == DUET_BISYNC_OK && o->check_sync == DUET_CHECK_SYNC_ONLY) {
		r = brun_check_sync_only(&b);
	} else if (r == DUET_BISYNC_OK) {
		duet_log(DUET_LOG_NOTICE, "%s Path1 \"%s\" with Path2 \"%s\"",
		    o->resync ? "Resyncing" : "Synching", b.name1, b.name2);
		if (brun_check_filters(&b) != 0) {
			duet_log(DUET_LOG_ERROR, "Bisync critical error: %s", duet_err_msg());
			b.retryable = 1;
			r = DUET_BISYNC_CRITICAL;
		} else {
			r = o->resync ? brun_resync(&b) : brun_normal(&b);
		}
	}
	/* --resilient: an error that says nothing against the stored listings
	 * (listing failed, access check, empty side...) leaves them in place. */
	if (r == DUET_BISYNC_CRITICAL && b.retryable && o->resilient && !o->resync)
		r = DUET_BISYNC_CRITICAL_RESILIENT;
	/* After a critical error the stored listings are not trusted. */
	if (r == DUET_BISYNC_CRITICAL && b.w != NULL && !o->dry_run && brun_mark(&b) != 0)
		duet_log(DUET_LOG_ERROR, "cannot mark the pair for --resync: %s", duet_err_msg());
	if (locked)
		brun_keeper_stop(&keep);
	if (locked && duet_workdir_lock_release(b.w, b.pair, &me) != 0)
		duet_log(DUET_LOG_ERROR, "cannot release the lock: %s", duet_err_msg());
	brun_final(r);
	duet_listing_dispose(&b.cur1);
	duet_listing_dispose(&b.cur2);
	duet_listing_dispose(&b.upd[0]);
	duet_listing_dispose(&b.upd[1]);
	duet_names_dispose(&b.names);
	duet_names_dispose(&b.dnames);
	duet_listing_dispose(&b.dirs[0]);
	duet_listing_dispose(&b.dirs[1]);
	duet_arena_dispose(&b.spell);
	duet_listing_dispose(&b.done);
	duet_listing_dispose(&b.skipped);
	duet_listing_dispose(&b.declined);
	duet_listing_dispose(&b.touched[0]);
	duet_listing_dispose(&b.touched[1]);
	duet_workdir_close(b.w);
	duet_fs_close(b.bfs[0]);
	duet_fs_close(b.bfs[1]);
	duet_fs_close(b.fs1);
	duet_fs_close(b.fs2);
	return r;
}
