/*
 * items.c: what the one-way engine did with each item of a bisync batch.
 * Its callbacks count finished actions for the crash tests, ask the -i
 * questions, and check, just before a copy overwrites or a delete removes
 * a destination file, that the file is still what the walk saw (Unison's
 * rule: a file changed during the run is never clobbered; the item is
 * skipped and the next run sees both changes as a conflict). Skipped items
 * are remembered so the caller records them as not done.
 */
#include "run_int.h"

#include <string.h>

#include "core/error.h"
#include "core/error.h"
#include "core/log.h"

static void
bitem_add(struct duet_listing *l, const char *path)
{
	struct duet_entry e;
	memset(&e, 0, sizeof(e));
	e.path = path;
	e.pathlen = (uint32_t)strlen(path);
	e.type = DUET_T_FILE;
	/* No memory: a done item then counts as not done and is found
	 * already done by the next run; a skipped one... see brun_done. */
	(void)duet_listing_add(l, &e);
}

/* Called one at a time (the engine serialises on_item). */
static void
brun_on_item(void *ctx, const struct duet_xfer_item *it)
{
	struct brun *b = ((struct brun_xctx *)ctx)->b;
	if (it->op == DUET_OP_SKIP) {
		bitem_add(&b->skipped, it->path);
		b->sorted = 0;
		return;
	}
	if (it->err != 0 || (it->op != DUET_OP_COPY && it->op != DUET_OP_DELETE))
		return;
	if (brun_tracking(b)) {
		bitem_add(&b->done, it->path);
		b->sorted = 0;
	}
	brun_failpoint(b);
}

/* The engine's -i question, through the caller's; a quit is remembered. */
static int
brun_confirm(void *ctx, const char *action, const char *path)
{
	struct brun *b = ((struct brun_xctx *)ctx)->b;
	int r = b->quit ? -1 : b->o->confirm(b->o->confirm_ctx, action, path);
	if (r < 0 && !b->quit) {
		b->quit = 1;
		duet_log(DUET_LOG_NOTICE, "Quit was chosen: nothing more is done this run; the rest "
		    "is found again by the next run");
	}
	return r;
}

/* Is the destination still what the walk saw? 0: go ahead. */
static int
brun_dst_check(void *ctx, const char *path, const struct duet_entry *now)
{
	struct brun_xctx *x = ctx;
	struct brun *b = x->b;
	const struct duet_entry *was = duet_listing_find(x->side == 1 ? &b->cur1 : &b->cur2, path);
	const char *what;

	if (b->touched[x->side - 1].n > 0 && duet_listing_find(&b->touched[x->side - 1], path))
		return 0; /* this run renamed a file from or to it */
	if (was == NULL && now->type == 0)
		return 0;
	if (was != NULL && now->type == was->type && now->size == was->size &&
	    now->mtime == was->mtime)
		return 0;
	what = was == NULL ? "appeared" : now->type == 0 ? "vanished" : "changed";
	duet_logo(DUET_LOG_NOTICE, path, "Path%d file %s since it was listed: left alone; the next "
	    "run sees it", x->side, what);
	return 1;
}

int
brun_touched(struct brun *b, int side, const char *path)
{
	struct duet_listing *l = &b->touched[side - 1];
	size_t n = l->n;
	bitem_add(l, path);
	if (l->n == n)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	duet_listing_sort(l); /* few: conflicts and case fixes */
	return 0;
}

int
brun_ask(struct brun *b, const char *action, const char *path)
{
	return brun_confirm(&b->xctx[0], action, path) > 0;
}

int
brun_done(struct brun *b, const char *path)
{
	if (!b->sorted) {
		duet_listing_sort(&b->done);
		duet_listing_sort(&b->skipped);
		b->sorted = 1;
	}
	if (b->skipped.n > 0 && duet_listing_find(&b->skipped, path) != NULL)
		return 0;
	return !brun_tracking(b) || duet_listing_find(&b->done, path) != NULL;
}

int
brun_tracking(const struct brun *b)
{
	return b->o->confirm != NULL || (b->o->resilient && b->o->retries > 1);
}

void
brun_batch_reset(struct brun *b)
{
	duet_listing_dispose(&b->done);
	duet_listing_init(&b->done);
	duet_listing_dispose(&b->skipped);
	duet_listing_init(&b->skipped);
	b->sorted = 0;
}

void
brun_xfer_opts(struct brun *b, int dst, struct duet_xfer_opts *x)
{
	*x = b->o->x;
	x->backup_fs = b->bfs[dst - 1];
	if (x->backup_fs == NULL && x->suffix != NULL) /* --suffix alone: beside the file */
		x->backup_fs = dst == 1 ? b->fs1 : b->fs2;
	x->mode = DUET_XFER_COPY;
	x->dry_run = b->o->dry_run;
	x->max_delete = -1; /* bisync checks its own percentage */
	x->on_item = brun_on_item;
	x->confirm = b->o->confirm != NULL ? brun_confirm : NULL;
	x->dst_check = brun_dst_check;
	x->ctx = &b->xctx[dst - 1];
}
