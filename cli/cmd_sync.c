/*
 * cmd_sync.c: sync, copy, move (directory to directory) and copyto,
 * moveto (one file to a named file). All go through core's engine.
 */
#include "cli.h"
#include "cmds.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/filter.h"
#include "core/log.h"
#include "core/walk.h"

/* Everything one transfer command holds open. */
struct xcmd {
	struct cli_opts *o;
	struct duet_fs *src, *dst, *backup, *cmp, *cpy;
	struct duet_filter *filter;
	struct duet_listing sl, dl;
};

static void
xcmd_dispose(struct xcmd *c)
{
	duet_listing_dispose(&c->sl);
	duet_listing_dispose(&c->dl);
	if (c->backup != c->dst)
		duet_fs_close(c->backup);
	duet_fs_close(c->cmp);
	duet_fs_close(c->cpy);
	duet_fs_close(c->src);
	duet_fs_close(c->dst);
	duet_filter_free(c->filter);
}

/* 1 when one canonical root contains the other. */
static int
roots_overlap(const struct duet_fs *a, const struct duet_fs *b)
{
	size_t la, lb, n;
	if (a->canon == NULL || b->canon == NULL)
		return 0;
	la = strlen(a->canon);
	lb = strlen(b->canon);
	n = la < lb ? la : lb;
	if (strncmp(a->canon, b->canon, n) != 0)
		return 0;
	return la == lb || (la > lb ? a->canon[n] : b->canon[n]) == '/' ||
	    (n > 0 && a->canon[n - 1] == '/');
}

/*
 * 1 when the destination is listed first and the source told which of
 * its files have a counterpart there (duet_fs.exact_only): a store then
 * reads no metadata for the others, which are copied anyway and whose
 * mtime comes with their download (S3 keeps it as metadata: one HEAD per
 * object saved). Only where nothing else looks at those mtimes: a local
 * destination (fast to list), no age filter, no --checksum, no
 * --compare-dest or --copy-dest, and a destination that is listed.
 */
static int
xcmd_lazy_source(const struct xcmd *c)
{
	const struct cli_opts *o = c->o;
	return (c->dst->caps & DUET_CAP_LOCAL) && !(c->src->caps & DUET_CAP_LOCAL) &&
	    !o->x.no_traverse && !o->x.no_check_dest && !o->x.checksum &&
	    o->limits.min_age < 0 && o->limits.max_age < 0 && o->compare_dest == NULL &&
	    o->copy_dest == NULL;
}

/* Lists source and destination at the same time (or, see
 * xcmd_lazy_source, the destination first). */
static int
xcmd_list(struct xcmd *c)
{
	struct duet_walk_job js, jd;

	memset(&js, 0, sizeof(js));
	memset(&jd, 0, sizeof(jd));
	js.fs = c->src;
	js.out = &c->sl;
	cli_walk_opts(c->o, c->filter, &js.o);
	js.o.dirs = 1;
	jd.fs = c->dst;
	jd.out = &c->dl;
	/* --delete-excluded: see everything on the destination. */
	cli_walk_opts(c->o, c->o->x.delete_excluded ? NULL : c->filter, &jd.o);
	jd.o.dirs = 1;
	duet_listing_dispose(&c->sl);
	duet_listing_dispose(&c->dl);
	/* --no-traverse, --no-check-dest: the destination is not listed; the
	 * checks look each file up instead. */
	if (xcmd_lazy_source(c)) {
		duet_walk_both(&jd, NULL);
		if (jd.rc == 0)
			c->src->exact_only = &c->dl;
		duet_walk_both(&js, NULL);
		c->src->exact_only = NULL;
	} else {
		duet_walk_both(&js, c->o->x.no_traverse || c->o->x.no_check_dest ? NULL : &jd);
	}
	if (js.rc != 0) {
		duet_logo(DUET_LOG_ERROR, c->src->name, "error reading source root directory: %s", js.msg);
		return js.rc;
	}
	if (c->sl.root_missing) {
		duet_err_set(DUET_E_NOTFOUND, "directory not found: %s", c->src->name);
		duet_log(DUET_LOG_ERROR, "%s", duet_err_msg());
		return DUET_E_NOTFOUND;
	}
	if (jd.rc != 0) {
		duet_logo(DUET_LOG_ERROR, c->dst->name, "error reading destination root directory: %s", jd.msg);
		return jd.rc;
	}
	return 0;
}

/* The source root named a file: list just that file. */
static int
xcmd_list_file(struct xcmd *c)
{
	struct duet_entry e;
	int rc;
	memset(&e, 0, sizeof(e));
	e.path = c->src->file;
	e.pathlen = (uint32_t)strlen(e.path);
	rc = c->src->ops->stat(c->src, e.path, &e);
	if (rc == 0 && (c->filter == NULL || !duet_filter_active(c->filter) ||
	    duet_filter_file(c->filter, e.path, e.size, e.mtime)))
		rc = duet_listing_add(&c->sl, &e);
	if (rc == 0) {
		memset(&e, 0, sizeof(e));
		e.path = c->src->file;
		e.pathlen = (uint32_t)strlen(e.path);
		if (c->dst->ops->stat(c->dst, e.path, &e) == 0)
			rc = duet_listing_add(&c->dl, &e);
	}
	if (rc != 0)
		duet_log(DUET_LOG_ERROR, "%s", duet_err_msg());
	return rc;
}

/* Opens --backup-dir, --compare-dest, --copy-dest and checks overlaps. */
static int
xcmd_open_extra(struct xcmd *c)
{
	struct cli_opts *o = c->o;
	int ec;
	if (o->backup_dir != NULL) {
		if ((ec = cli_open(o, o->backup_dir, &c->backup)) != 0)
			return ec;
		if (roots_overlap(c->backup, c->dst) || roots_overlap(c->backup, c->src)) {
			fprintf(stderr, "Error: --backup-dir %s overlaps the source or destination: "
			    "choose a directory outside both\n", o->backup_dir);
			return EXIT_FATAL;
		}
		if (o->suffix == NULL)
			o->x.suffix = NULL;
	} else if (o->suffix != NULL) {
		c->backup = c->dst; /* --suffix alone: backups beside the files */
	}
	o->x.suffix = o->suffix;
	o->x.backup_fs = c->backup;
	if (o->compare_dest && (ec = cli_open(o, o->compare_dest, &c->cmp)) != 0)
		return ec;
	if (o->copy_dest && (ec = cli_open(o, o->copy_dest, &c->cpy)) != 0)
		return ec;
	o->x.compare_fs = c->cmp;
	o->x.copy_fs = c->cpy;
	return 0;
}

static int
xcmd_open(struct xcmd *c, const char *src, const char *dst, enum duet_xfer_mode mode)
{
	struct cli_opts *o = c->o;
	int ec;

	if ((ec = cli_interactive_check(o)) != 0)
		return ec;
	if ((ec = cli_build_filter(o, &c->filter)) != 0)
		return ec;
	if ((ec = cli_open(o, src, &c->src)) != 0 || (ec = cli_open(o, dst, &c->dst)) != 0)
		return ec;
	if (c->dst->file != NULL) {
		fprintf(stderr, "Error: destination %s is a file, not a directory: "
		    "use copyto/moveto to write a single file\n", dst);
		return EXIT_USAGE;
	}
	if (c->src->file == NULL && roots_overlap(c->src, c->dst)) {
		fprintf(stderr, "Error: can't %s files on overlapping remotes %s and %s "
		    "(choose a destination outside the source)\n",
		    mode == DUET_XFER_COPY ? "copy" : mode == DUET_XFER_SYNC ? "sync" : "move", src, dst);
		return EXIT_FATAL;
	}
	o->x.mode = mode;
	o->x.dry_run = o->dry_run;
	o->x.create_empty_src_dirs = o->create_empty_src_dirs;
	o->x.filter = c->filter;
	if (o->interactive) {
		o->x.confirm = cli_confirm;
		o->x.ctx = NULL;
	}
	return xcmd_open_extra(c);
}

static void
retry_sleep(int64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
	if (ns > 0)
		nanosleep(&ts, NULL);
}

/* The retry loop of rclone: the whole run again while errors remain. */
static int
xcmd_run(struct xcmd *c, struct duet_stats *st)
{
	struct cli_opts *o = c->o;
	int rc = 0, tries = o->retries > 0 ? o->retries : 1;

	for (int t = 1; t <= tries; t++) {
		duet_stats_init(st);
		rc = c->src->file ? xcmd_list_file(c) : xcmd_list(c);
		if (rc == DUET_E_NOTFOUND || rc == DUET_E_NOTDIR || rc == DUET_E_NOMEM)
			return rc;
		if (rc == 0)
			rc = duet_xfer_run(c->src, &c->sl, c->dst, &c->dl, &o->x, st);
		if (rc == 0 || t == tries || rc == DUET_E_MAXTRANSFER || rc == DUET_E_MAXDURATION ||
		    atomic_load(&st->fatal) || atomic_load(&st->cancelled))
			break;
		duet_log(DUET_LOG_ERROR, "Attempt %d/%d failed with %ld errors and: %s", t, tries,
		    (long)atomic_load(&st->errors), duet_err_msg());
		retry_sleep(o->retries_sleep);
	}
	if (rc != 0 && tries > 1 && !atomic_load(&st->fatal) && !atomic_load(&st->cancelled))
		duet_log(DUET_LOG_ERROR, "Attempt %d/%d failed with %ld errors and: %s", tries, tries,
		    (long)atomic_load(&st->errors), duet_err_msg());
	return rc;
}

static int
xcmd_finish(struct xcmd *c, struct duet_stats *st, int rc)
{
	int ec;
	if (rc == 0 && atomic_load(&st->transfers) == 0)
		duet_log(DUET_LOG_INFO, "There was nothing to transfer"); /* as rclone */
	cli_stats_stop(c->o, st);
	if (rc != 0) {
		if (!atomic_load(&st->fatal))
			fprintf(stderr, "Error: %s\n", duet_err_msg());
		ec = rc == DUET_E_NOTFOUND ? EXIT_DIR_NOT_FOUND
		   : atomic_load(&st->fatal) ? EXIT_FATAL : cli_exit_code(rc);
		if (atomic_load(&st->fatal))
			fprintf(stderr, "Error: %s\n", duet_err_msg());
		return ec;
	}
	if (c->o->error_on_no_transfer && atomic_load(&st->transfers) == 0)
		return EXIT_NO_TRANSFER;
	return EXIT_OK;
}

static int
run_transfer(struct cli_opts *o, enum duet_xfer_mode mode)
{
	struct xcmd c;
	struct duet_stats st;
	int ec, rc;

	memset(&c, 0, sizeof(c));
	c.o = o;
	duet_stats_init(&st);
	ec = xcmd_open(&c, o->args[0], o->args[1], mode);
	if (ec == 0) {
		cli_stats_start(o, &st);
		rc = xcmd_run(&c, &st);
		ec = xcmd_finish(&c, &st, rc);
	}
	xcmd_dispose(&c);
	return ec;
}

int
cmd_sync(struct cli_opts *o)
{
	return run_transfer(o, DUET_XFER_SYNC);
}

int
cmd_copy(struct cli_opts *o)
{
	return run_transfer(o, DUET_XFER_COPY);
}

int
cmd_move(struct cli_opts *o)
{
	return run_transfer(o, DUET_XFER_MOVE);
}
