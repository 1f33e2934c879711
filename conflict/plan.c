/*
 * plan.c: the decision table over two delta sets and the resolution of
 * names changed on both sides. Follows rclone's bisync (reference §1.8 to
 * §1.10), including its quirk of judging conflicts on the values the
 * deltas recorded (an unchanged attribute of a modified file reads as 0).
 */
#include "plan.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"
#include "listing/names.h"

void
duet_plan_init(struct duet_plan *p)
{
	memset(p, 0, sizeof(*p));
	duet_arena_init(&p->arena);
}

void
duet_plan_dispose(struct duet_plan *p)
{
	if (p == NULL)
		return;
	duet_free(p->v);
	duet_arena_dispose(&p->arena);
	memset(p, 0, sizeof(*p));
}

static int
plan_add(struct duet_plan *p, enum duet_act kind, const char *path, const char *new_path,
    const struct duet_entry *expect)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct duet_action *v = duet_reallocarray(p->v, cap, sizeof(*v));
		if (v == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory planning bisync");
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n].kind = kind;
	p->v[p->n].path = path;
	p->v[p->n].new_path = new_path;
	p->v[p->n].expect = expect;
	p->n++;
	return 0;
}

/* The values a delta recorded (rclone's quirk): only changed attributes,
 * all of them for a new file; 0 / none otherwise. */
static int64_t
rec_size(const struct duet_delta *d)
{
	return d->cur && (d->bits & (DUET_D_NEW | DUET_D_SIZE)) ? d->cur->size : 0;
}

static int64_t
rec_time(const struct duet_delta *d)
{
	return d->cur && (d->bits & (DUET_D_NEW | DUET_D_TIME)) ? d->cur->mtime : 0;
}

static const struct duet_hashes *
rec_hash(const struct duet_delta *d, int kind)
{
	if (kind < 0 || d->cur == NULL || d->cur->hashes == NULL ||
	    !(d->bits & (DUET_D_NEW | DUET_D_HASH)) ||
	    !(d->cur->hashes->mask & DUET_HASH_BIT(kind)))
		return NULL;
	return d->cur->hashes;
}

int
duet_plan_differ_cheap(const struct duet_delta *a, const struct duet_delta *b,
    const struct duet_conflict_opts *o)
{
	const struct duet_hashes *ha, *hb;
	int64_t sa = rec_size(a), sb = rec_size(b);
	if (o->compare_size && sa >= 0 && sb >= 0 && sa != sb)
		return 1;
	if (o->compare_checksum && o->hash_kind >= 0) {
		ha = rec_hash(a, o->hash_kind);
		hb = rec_hash(b, o->hash_kind);
		if (ha && hb && memcmp(ha->v[o->hash_kind], hb->v[o->hash_kind], DUET_HASH_MAXLEN) != 0)
			return 1;
	}
	return 0;
}

static int
is_dir(const struct duet_delta *d)
{
	return d->cur != NULL && d->cur->type == DUET_T_DIR;
}

/* Both sides changed the same name (path: the plan's spelling). */
static int
plan_both(const char *path, const struct duet_delta *a, const struct duet_delta *b,
    struct duet_plan *p)
{
	duet_logo(DUET_LOG_NOTICE, NULL, "- %-18s%-43s - %s", "WARNING", "New or changed in both paths",
	    path);
	if (is_dir(a) && is_dir(b))
		return plan_add(p, DUET_ACT_SKIP_DIR, path, NULL, a->cur);
	return plan_add(p, DUET_ACT_CHECK, path, NULL, a->cur);
}

/* A name with a delta a on one side and b (or NULL) on the other. path is
 * the name the plan uses (Path1's spelling where the sides differ), opath
 * the same file's spelling in `other`, the other side's listing. */
static int
plan_one(const char *path, const char *opath, const struct duet_delta *a,
    const struct duet_delta *b, const struct duet_listing *other, enum duet_act copy,
    enum duet_act del, struct duet_plan *p)
{
	if (a->bits & DUET_D_OTHER) {
		if (b != NULL && (b->bits & DUET_D_OTHER))
			return plan_both(path, copy == DUET_ACT_COPY_1TO2 ? a : b,
			    copy == DUET_ACT_COPY_1TO2 ? b : a, p);
		return plan_add(p, copy, path, NULL, a->cur);
	}
	/* a deleted */
	if (b == NULL)
		return plan_add(p, del, path, NULL, duet_listing_find(other, opath));
	if (b->bits & DUET_D_OTHER)
		return plan_add(p, copy == DUET_ACT_COPY_1TO2 ? DUET_ACT_COPY_2TO1 : DUET_ACT_COPY_1TO2,
		    path, NULL, b->cur);
	return 0; /* deleted on both sides */
}

static const char *
plan_alias(const struct duet_names *m, int side, const char *path)
{
	return m != NULL && m->n > 0 ? duet_names_alias(m, side, path) : NULL;
}

int
duet_plan_build(const struct duet_deltas *d1, const struct duet_deltas *d2,
    const struct duet_listing *cur1, const struct duet_listing *cur2,
    const struct duet_names *m, const struct duet_conflict_opts *o, struct duet_plan *p)
{
	size_t i = 0, k = 0;
	int rc = 0;
	(void)o;
	while (rc == 0 && (i < d1->n || k < d2->n)) {
		const char *q, *x = i < d1->n ? duet_delta_path(&d1->v[i]) : NULL;
		const char *y = k < d2->n ? duet_delta_path(&d2->v[k]) : NULL;
		int c;
		/* A Path2 name Path1 spells differently goes under Path1's
		 * spelling, with Path1's delta when it has one. */
		if (y != NULL && (q = plan_alias(m, 2, y)) != NULL) {
			if (duet_deltas_find_path(d1, q) == NULL)
				rc = plan_one(q, q, &d2->v[k], NULL, cur1, DUET_ACT_COPY_2TO1,
				    DUET_ACT_DELETE1, p);
			k++;
			continue;
		}
		c = x == NULL ? 1 : y == NULL ? -1 : strcmp(x, y);
		if (c < 0) {
			q = plan_alias(m, 1, x);
			rc = plan_one(x, q ? q : x, &d1->v[i++], q ? duet_deltas_find_path(d2, q) : NULL,
			    cur2, DUET_ACT_COPY_1TO2, DUET_ACT_DELETE2, p);
		} else if (c > 0) {
			rc = plan_one(y, y, &d2->v[k++], NULL, cur1, DUET_ACT_COPY_2TO1, DUET_ACT_DELETE1, p);
		} else {
			rc = plan_one(x, x, &d1->v[i++], &d2->v[k++], cur2, DUET_ACT_COPY_1TO2,
			    DUET_ACT_DELETE2, p);
		}
	}
	return rc;
}

/* Writes the conflict name into buf (len bytes); the length it needs. */
static size_t
plan_name_into(char *buf, size_t len, const char *path, const char *suffix, int n,
    int keep_extension)
{
	const char *base = strrchr(path, '/'), *dot;
	size_t cut = strlen(path);
	char num[16] = "";
	int w;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (keep_extension && dot != NULL && dot != base)
		cut = (size_t)(dot - path);
	if (n > 0)
		snprintf(num, sizeof(num), "%d", n);
	w = snprintf(buf, len, "%.*s%s%s%s", (int)cut, path, suffix, num, path + cut);
	return w < 0 ? 0 : (size_t)w;
}

char *
duet_plan_conflict_name(struct duet_arena *a, const char *path, const char *suffix, int n,
    int keep_extension)
{
	size_t need = plan_name_into(NULL, 0, path, suffix, n, keep_extension);
	char *out = duet_arena_alloc(a, need + 1);
	if (out != NULL)
		plan_name_into(out, need + 1, path, suffix, n, keep_extension);
	return out;
}

/* 1 when name+suffix+n is free in both current listings. */
static int
plan_free(const char *path, const char *suffix, int n, const struct duet_conflict_opts *o,
    const struct duet_listing *c1, const struct duet_listing *c2)
{
	char buf[8192];
	if (plan_name_into(buf, sizeof(buf), path, suffix, n, o->keep_extension) >= sizeof(buf))
		return 1; /* too long to be listed anywhere */
	return duet_listing_find(c1, buf) == NULL && duet_listing_find(c2, buf) == NULL;
}

/* Lowest n >= from with name+S1+n and name+S2+n free on both sides. */
static int
plan_lowest(const char *path, const char *s1, const char *s2, int from,
    const struct duet_conflict_opts *o, const struct duet_listing *c1,
    const struct duet_listing *c2)
{
	int n = from;
	while (!plan_free(path, s1, n, o, c1, c2) || !plan_free(path, s2, n, o, c1, c2))
		n++;
	return n;
}

static int
plan_winner(const struct duet_delta *a, const struct duet_delta *b,
    const struct duet_conflict_opts *o)
{
	int64_t x, y;
	switch (o->resolve) {
	case DUET_RESOLVE_PATH1: return 1;
	case DUET_RESOLVE_PATH2: return 2;
	case DUET_RESOLVE_NEWER:
	case DUET_RESOLVE_OLDER:
		if (!o->compare_modtime)
			return 0;
		x = rec_time(a);
		y = rec_time(b);
		if (x == 0 || y == 0 || x == y)
			return 0;
		return (x > y) == (o->resolve == DUET_RESOLVE_NEWER) ? 1 : 2;
	case DUET_RESOLVE_LARGER:
	case DUET_RESOLVE_SMALLER:
		if (!o->compare_size)
			return 0;
		x = rec_size(a);
		y = rec_size(b);
		if (x < 0 || y < 0 || x == y)
			return 0;
		return (x > y) == (o->resolve == DUET_RESOLVE_LARGER) ? 1 : 2;
	case DUET_RESOLVE_NONE:
		break;
	}
	return 0;
}

/* The two new names (NULL: keeps its name) for a conflict with winner w. */
static int
plan_names(struct duet_plan *p, const char *path, int w, const struct duet_conflict_opts *o,
    const struct duet_listing *c1, const struct duet_listing *c2, char **n1, char **n2)
{
	const char *s1 = o->suffix1, *s2 = o->suffix2;
	int same = strcmp(s1, s2) == 0, k1, k2;

	*n1 = *n2 = NULL;
	if (o->loser == DUET_LOSER_PATHNAME) {
		k1 = same ? 1 : 0;
		k2 = same ? 2 : 0;
	} else if (w != 0 || same) {
		k1 = plan_lowest(path, s1, s2, 1, o, c1, c2);
		k2 = w != 0 ? k1 : plan_lowest(path, s1, s2, k1 + 1, o, c1, c2);
	} else {
		k1 = plan_lowest(path, s1, s1, 1, o, c1, c2);
		k2 = plan_lowest(path, s2, s2, 1, o, c1, c2);
	}
	if (w != 1 && (*n1 = duet_plan_conflict_name(&p->arena, path, s1, k1, o->keep_extension)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	if (w != 2 && (*n2 = duet_plan_conflict_name(&p->arena, path, s2, k2, o->keep_extension)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	return 0;
}

static int
plan_equal(const struct duet_delta *a, const struct duet_delta *b,
    const struct duet_conflict_opts *o, struct duet_plan *p)
{
	const char *path = duet_delta_path(a), *path2 = duet_delta_path(b);
	int64_t dt;
	/* --fix-case: Path1's spelling is the right one; the copy renames. */
	if (o->fix_case && strcmp(path, path2) != 0) {
		duet_logo(DUET_LOG_INFO, path2, "Files are equal but will copy anyway to fix case to %s",
		    path);
		return plan_add(p, DUET_ACT_COPY_1TO2, path, NULL, a->cur);
	}
	if (o->compare_modtime && a->cur->mtime && b->cur->mtime) {
		dt = a->cur->mtime - b->cur->mtime;
		if (dt >= o->window || -dt >= o->window) {
			duet_logo(DUET_LOG_INFO, path,
			    "Files are equal but will copy anyway to update modtime (will not rename)");
			return dt > 0 ? plan_add(p, DUET_ACT_COPY_1TO2, path, NULL, a->cur)
			              : plan_add(p, DUET_ACT_COPY_2TO1, path, NULL, b->cur);
		}
	}
	duet_logo(DUET_LOG_INFO, NULL, "Files are equal! Skipping: %s", path);
	return 0;
}

int
duet_plan_resolve(const struct duet_delta *a, const struct duet_delta *b, int equal,
    const struct duet_listing *cur1, const struct duet_listing *cur2,
    const struct duet_conflict_opts *o, struct duet_plan *p, int *winner)
{
	const char *path = duet_delta_path(a);
	char *n1, *n2;
	int w, rc;

	*winner = 0;
	if (equal)
		return plan_equal(a, b, o, p);
	w = plan_winner(a, b, o);
	*winner = w;
	if (w != 0)
		duet_logo(DUET_LOG_INFO, NULL, "The winner is: Path%d", w);
	else
		duet_logo(DUET_LOG_INFO, NULL, "A winner could not be determined.");
	/* Loser "delete": the winner is copied over the loser, which replaces
	 * it (through the side's backup dir when one is set). rclone deletes
	 * first and then copies; one overwrite does both and never leaves the
	 * name missing on the loser's side. */
	if (o->loser == DUET_LOSER_DELETE && w != 0)
		return plan_add(p, w == 1 ? DUET_ACT_COPY_1TO2 : DUET_ACT_COPY_2TO1, path, NULL,
		    w == 1 ? a->cur : b->cur);
	if ((rc = plan_names(p, path, w, o, cur1, cur2, &n1, &n2)) != 0)
		return rc;
	if (n1 != NULL && (rc = plan_add(p, DUET_ACT_RENAME1, path, n1, a->cur)) != 0)
		return rc;
	if (n2 != NULL && (rc = plan_add(p, DUET_ACT_RENAME2, path, n2, b->cur)) != 0)
		return rc;
	if ((rc = plan_add(p, DUET_ACT_COPY_1TO2, n1 ? n1 : path, NULL, a->cur)) != 0)
		return rc;
	return plan_add(p, DUET_ACT_COPY_2TO1, n2 ? n2 : path, NULL, b->cur);
}
