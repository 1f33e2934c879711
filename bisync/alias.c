/*
 * alias.c: names the two sides spell differently (reference section 1.21)
 * within one run: which matching applies (NFC unless
 * --no-unicode-normalization; case folded with --ignore-case-sync or a
 * case-insensitive side), the run's alias map, each side's spelling of a
 * planned name, --fix-case renames, and walking two listings file by file.
 */
#include "run_int.h"

#include <string.h>

#include "core/error.h"
#include "core/log.h"

unsigned
brun_name_flags(const struct brun *b)
{
	unsigned f = 0;
	if (b->o->no_unicode_normalization)
		f |= DUET_NAME_NO_NFC;
	if (b->o->ignore_case_sync || ((b->fs1->caps | b->fs2->caps) & DUET_CAP_CASEINS))
		f |= DUET_NAME_FOLD;
	return f;
}

int
brun_alias_build(struct brun *b, const struct duet_deltas *d1, const struct duet_deltas *d2)
{
	const struct duet_deltas *d[] = {d1, d2};
	int rc = 0;
	/* Names deleted since the prior run match a spelling the other side
	 * still has, so the delete reaches it. */
	for (int s = 0; s < 2 && rc == 0; s++)
		for (size_t i = 0; d[s] != NULL && i < d[s]->n && rc == 0; i++)
			if (d[s]->v[i].bits & DUET_D_DELETED)
				rc = duet_names_add(&b->names, s + 1, duet_delta_path(&d[s]->v[i]));
	if (rc == 0)
		rc = duet_names_build(&b->names, &b->cur1, &b->cur2, brun_name_flags(b));
	duet_names_dispose(&b->dnames);
	if (rc == 0 && b->dirs[0].n > 0 && b->dirs[1].n > 0)
		rc = duet_names_build(&b->dnames, &b->dirs[0], &b->dirs[1], brun_name_flags(b));
	if (rc == 0 && b->names.n > 0)
		duet_log(DUET_LOG_INFO, "%zu name%s spelt differently on Path1 and Path2 (matched as "
		    "one file each)", b->names.n, b->names.n == 1 ? " is" : "s are");
	return rc;
}

/* The pair of the map whose spelling on side `from` (1 or 2) is the first
 * to start with dir + "/", or NULL. */
static const struct duet_name_pair *
balias_under(const struct duet_names *m, int from, const char *dir, size_t len)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) { /* first pair not below dir + "/" */
		size_t mid = lo + (hi - lo) / 2;
		const char *p = from == 1 ? m->v[mid].path[0] : m->by2[mid]->path[1];
		int c = strncmp(p, dir, len);
		if (c == 0)
			c = (unsigned char)p[len] < '/' ? -1 : (unsigned char)p[len] > '/' ? 1 : 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->n)
		return NULL;
	{
		const struct duet_name_pair *x = from == 1 ? &m->v[lo] : m->by2[lo];
		const char *p = x->path[from - 1];
		return strncmp(p, dir, len) == 0 && p[len] == '/' ? x : NULL;
	}
}

/* The pair of the map whose spelling on side `from` is dir (len bytes),
 * or NULL. */
static const struct duet_name_pair *
balias_exact(const struct duet_names *m, int from, const char *dir, size_t len)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct duet_name_pair *x = from == 1 ? &m->v[mid] : m->by2[mid];
		const char *p = x->path[from - 1];
		int c = strncmp(p, dir, len);
		if (c == 0 && p[len] != '\0')
			c = 1;
		if (c == 0)
			return x;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A name not on side `to` yet, in a directory that side spells
 * differently (the directories themselves, or a file of it both sides
 * have): that directory's spelling on `to`, so a new file joins it rather
 * than making a second directory. NULL when there is none (or no
 * memory). */
static const char *
balias_dir(struct brun *b, int to, const char *path)
{
	const char *slash = strrchr(path, '/');
	while (slash != NULL) {
		size_t len = (size_t)(slash - path), cut = 0, segs = 1;
		const struct duet_name_pair *x = balias_exact(&b->dnames, 3 - to, path, len);
		int exact = 1;
		if (x == NULL)
			x = balias_exact(&b->names, 3 - to, path, len);
		if (x == NULL) {
			x = balias_under(&b->names, 3 - to, path, len);
			exact = 0;
		}
		if (x != NULL) {
			const char *o = x->path[to - 1];
			if (exact) {
				cut = strlen(o);
			} else {
				for (size_t i = 0; i < len; i++)
					segs += path[i] == '/';
				while (segs > 0 && o[cut] != '\0')
					segs -= o[cut++] == '/';
				cut--; /* at that '/' */
			}
			if (cut == len && memcmp(o, path, len) == 0)
				return NULL; /* spelt the same: nothing to map */
			{
				size_t rest = strlen(slash);
				char *out = duet_arena_alloc(&b->spell, cut + rest + 1);
				if (out == NULL)
					return NULL; /* no memory: Path1's spelling, still correct */
				memcpy(out, o, cut);
				memcpy(out + cut, slash, rest + 1);
				return out;
			}
		}
		while (slash > path && *--slash != '/')
			;
		if (slash == path)
			slash = NULL;
	}
	return NULL;
}

const char *
brun_spelling(struct brun *b, int side, const char *path)
{
	const struct duet_listing *l = side == 1 ? &b->cur1 : &b->cur2;
	const char *q;
	if (b->names.n == 0 && b->dnames.n == 0)
		return path;
	/* Plan names are Path1's spelling wherever Path1 has the file. */
	q = side == 2 ? duet_names_alias(&b->names, 1, path) : NULL;
	if (q != NULL && duet_listing_find(l, q) != NULL)
		return q;
	if (duet_listing_find(l, path) != NULL || (q = balias_dir(b, side, path)) == NULL)
		return path;
	return q;
}

int
brun_fix_case(struct brun *b, struct duet_fs *fs, int side, const char *from, const char *to)
{
	int rc;
	if (b->o->dry_run) {
		duet_logo(DUET_LOG_NOTICE, from, "Skipped fix case to %s as --dry-run is set", to);
		return 0;
	}
	if (fs->ops->move == NULL)
		return duet_err_set(DUET_E_UNSUPPORTED, "%s: cannot fix case to %s: Path%d cannot "
		    "rename; run without --fix-case", from, to, side);
	if ((rc = fs->ops->move(fs, from, to)) != 0) {
		duet_log(DUET_LOG_ERROR, "%s: fix case to %s failed on Path%d: %s", from, to, side,
		    duet_err_msg());
		return rc;
	}
	duet_logo(DUET_LOG_INFO, from, "Fixed case by renaming to: %s", to);
	if ((rc = brun_touched(b, side, to)) != 0)
		return rc;
	return brun_upd_del(b, side, from);
}

static const char *
balias(const struct duet_names *m, int side, const char *path)
{
	return m->n > 0 ? duet_names_alias(m, side, path) : NULL;
}

int
brun_pairs(const struct duet_listing *l1, const struct duet_listing *l2, const struct duet_names *m,
    brun_pair_fn fn, void *ctx)
{
	size_t i = 0, k = 0;
	int rc = 0;
	while (rc == 0 && (i < l1->n || k < l2->n)) {
		const struct duet_entry *e1 = i < l1->n ? &l1->v[i] : NULL;
		const struct duet_entry *e2 = k < l2->n ? &l2->v[k] : NULL, *x;
		const char *q;
		int c;
		/* Met with its Path1 spelling instead. */
		if (e2 != NULL && (q = balias(m, 2, e2->path)) != NULL && duet_listing_find(l1, q)) {
			k++;
			continue;
		}
		c = e1 == NULL ? 1 : e2 == NULL ? -1 : duet_path_cmp(e1->path, e2->path);
		if (c < 0) {
			q = balias(m, 1, e1->path);
			x = q != NULL ? duet_listing_find(l2, q) : NULL;
			rc = fn(ctx, e1, x);
			i++;
		} else if (c > 0) {
			rc = fn(ctx, NULL, e2);
			k++;
		} else {
			rc = fn(ctx, e1, e2);
			i++;
			k++;
		}
	}
	return rc;
}
