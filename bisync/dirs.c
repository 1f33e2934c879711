/*
 * dirs.c: directories in bisync. With --create-empty-src-dirs they are in
 * the listings and travel like files (created with mkdir, removed with
 * rmdir, deepest first); --remove-empty-dirs removes every empty directory
 * below both roots at the end of a run (rclone §1.14).
 */
#include "run_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"
#include "core/walk.h"

int
brun_dirs_make(struct brun *b, struct duet_fs *dst, int dside, const struct duet_entry *const *v,
    size_t n)
{
	int rc;
	for (size_t i = 0; i < n; i++) {
		struct duet_entry e;
		if (v[i]->type != DUET_T_DIR)
			continue;
		e = *v[i]; /* under the destination's spelling of its parent */
		e.path = brun_spelling(b, dside, v[i]->path);
		e.pathlen = (uint32_t)strlen(e.path);
		if (b->o->dry_run) {
			duet_logo(DUET_LOG_NOTICE, e.path, "Skipped make directory as --dry-run is set");
			continue;
		}
		if ((rc = dst->ops->mkdir(dst, e.path)) != 0) {
			duet_logo(DUET_LOG_ERROR, e.path, "cannot make directory on Path%d: %s", dside,
			    duet_err_msg());
			return rc;
		}
		if ((rc = brun_upd_put(b, dside, &e)) != 0)
			return rc;
	}
	return 0;
}

static int
bdirs_desc(const void *a, const void *c)
{
	const struct duet_entry *const *x = a, *const *y = c;
	return -duet_path_cmp((*x)->path, (*y)->path);
}

int
brun_dirs_remove(struct brun *b, struct duet_fs *dst, int dside, const struct duet_entry *const *v,
    size_t n)
{
	const struct duet_entry **d;
	size_t nd = 0;
	int rc = 0;

	if ((d = duet_calloc(n + 1, sizeof(*d))) == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (v[i]->type == DUET_T_DIR)
			d[nd++] = v[i];
	qsort(d, nd, sizeof(*d), bdirs_desc); /* children before parents */
	for (size_t i = 0; i < nd && rc == 0; i++) {
		if (b->o->dry_run) {
			duet_logo(DUET_LOG_NOTICE, d[i]->path, "Skipped remove directory as --dry-run is set");
			continue;
		}
		if ((rc = dst->ops->rmdir(dst, d[i]->path)) == DUET_E_NOTFOUND)
			rc = 0;
		else if (rc != 0)
			duet_logo(DUET_LOG_ERROR, d[i]->path, "cannot remove directory on Path%d: %s", dside,
			    duet_err_msg());
		if (rc == 0)
			rc = brun_upd_del(b, dside, d[i]->path);
	}
	duet_free(d);
	return rc;
}

/* Removes the empty directories of one side, deepest first. */
static int
bdirs_prune(struct brun *b, struct duet_fs *fs)
{
	struct duet_walk_opts wo;
	struct duet_listing l;
	size_t removed = 0;
	int rc;

	memset(&wo, 0, sizeof(wo));
	wo.filter = b->o->filter && duet_filter_active(b->o->filter) ? b->o->filter : NULL;
	wo.checkers = b->o->x.checkers > 0 ? b->o->x.checkers : 8;
	wo.dirs = 1;
	wo.max_depth = -1;
	wo.fast_list = b->o->x.fast_list;
	duet_listing_init(&l);
	if ((rc = duet_walk(fs, "", &wo, &l)) == 0) {
		/* Sorted order puts a directory before its children: walk back. */
		for (size_t i = l.n; i-- > 0 && rc == 0;) {
			int r;
			if (l.v[i].type != DUET_T_DIR)
				continue;
			r = fs->ops->rmdir(fs, l.v[i].path);
			if (r == 0)
				removed++;
			else if (r != DUET_E_NOTEMPTY && r != DUET_E_NOTFOUND)
				rc = r;
		}
	}
	if (rc != 0)
		duet_log(DUET_LOG_ERROR, "cannot remove empty directories of %s: %s", fs->name,
		    duet_err_msg());
	else if (removed > 0)
		duet_log(DUET_LOG_INFO, "Removed %zu empty directories of %s", removed, fs->name);
	duet_listing_dispose(&l);
	return rc;
}

int
brun_remove_empty_dirs(struct brun *b)
{
	int rc;
	if (!b->o->remove_empty_dirs || b->o->dry_run)
		return 0;
	duet_log(DUET_LOG_INFO, "Removing empty directories");
	if ((rc = bdirs_prune(b, b->fs1)) == 0)
		rc = bdirs_prune(b, b->fs2);
	return rc;
}
