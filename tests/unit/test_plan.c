/*
 * test_plan.c: bisync's decision table and conflict resolution
 * (conflict/plan.c) on hand-made deltas: every row of rclone's table, the
 * cheap pre-filter with its recorded-values quirk, winners, loser modes
 * and conflict names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "conflict/plan.h"
#include "core/alloc.h"

#define S 1000000000LL

/* A pool of entries and deltas the tests point into. */
static struct duet_entry ents[64];
static int nents;

static const struct duet_entry *
ent(const char *path, int64_t size, int64_t mtime, int dir)
{
	struct duet_entry *e = &ents[nents++];
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->pathlen = (uint32_t)strlen(path);
	e->size = dir ? -1 : size;
	e->mtime = mtime;
	e->type = dir ? DUET_T_DIR : DUET_T_FILE;
	return e;
}

static void
add(struct duet_deltas *d, const struct duet_entry *prior, const struct duet_entry *cur,
    unsigned bits)
{
	d->v = duet_reallocarray(d->v, d->n + 1, sizeof(*d->v));
	assert_non_null(d->v);
	d->v[d->n].prior = prior;
	d->v[d->n].cur = cur;
	d->v[d->n].bits = bits;
	d->n++;
}

static void
listing_of(struct duet_listing *l, const char *const *names)
{
	struct duet_entry e;
	duet_listing_init(l);
	for (; *names; names++) {
		memset(&e, 0, sizeof(e));
		e.path = *names;
		e.pathlen = (uint32_t)strlen(*names);
		e.type = DUET_T_FILE;
		assert_int_equal(duet_listing_add(l, &e), 0);
	}
	duet_listing_sort(l);
}

static struct duet_conflict_opts
opts(void)
{
	struct duet_conflict_opts o;
	memset(&o, 0, sizeof(o));
	o.suffix1 = o.suffix2 = ".conflict";
	o.compare_size = o.compare_modtime = 1;
	o.hash_kind = -1;
	o.window = 1;
	return o;
}

static int
has(const struct duet_plan *p, enum duet_act k, const char *path, const char *new_path)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].kind == k && strcmp(p->v[i].path, path) == 0 &&
		    (new_path == NULL ? p->v[i].new_path == NULL
		                      : p->v[i].new_path && strcmp(p->v[i].new_path, new_path) == 0))
			return 1;
	return 0;
}

static void
test_table(void **state)
{
	struct duet_deltas d1, d2;
	struct duet_listing c1, c2;
	struct duet_conflict_opts o = opts();
	struct duet_plan p;
	const char *none[] = {NULL};
	(void)state;
	nents = 0;
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	listing_of(&c1, none);
	listing_of(&c2, none);
	/* Sorted by path on each side. */
	add(&d1, NULL, ent("a_new1", 1, S, 0), DUET_D_NEW);              /* new / none */
	add(&d1, ent("b", 1, S, 0), ent("b", 2, 2 * S, 0), DUET_D_NEWER | DUET_D_LARGER); /* mod / del */
	add(&d2, ent("b", 1, S, 0), NULL, DUET_D_DELETED);
	add(&d1, NULL, ent("c", 3, S, 0), DUET_D_NEW);                   /* new / new */
	add(&d2, NULL, ent("c", 4, S, 0), DUET_D_NEW);
	add(&d1, ent("d", 1, S, 0), NULL, DUET_D_DELETED);               /* del / none */
	add(&d1, ent("e", 1, S, 0), NULL, DUET_D_DELETED);               /* del / mod */
	add(&d2, ent("e", 1, S, 0), ent("e", 1, 5 * S, 0), DUET_D_NEWER);
	add(&d1, ent("f", 1, S, 0), NULL, DUET_D_DELETED);               /* del / del */
	add(&d2, ent("f", 1, S, 0), NULL, DUET_D_DELETED);
	add(&d2, NULL, ent("g_new2", 1, S, 0), DUET_D_NEW);               /* none / new */
	add(&d2, ent("h", 1, S, 0), NULL, DUET_D_DELETED);               /* none / del */
	add(&d1, NULL, ent("i", 0, S, 1), DUET_D_NEW);                   /* dir on both */
	add(&d2, NULL, ent("i", 0, S, 1), DUET_D_NEW);
	/* keep each side sorted: i before? sort by path */
	duet_plan_init(&p);
	assert_int_equal(duet_plan_build(&d1, &d2, &c1, &c2, NULL, &o, &p), 0);
	assert_true(has(&p, DUET_ACT_COPY_1TO2, "a_new1", NULL));
	assert_true(has(&p, DUET_ACT_COPY_1TO2, "b", NULL)); /* changed beats deleted */
	assert_true(has(&p, DUET_ACT_CHECK, "c", NULL));
	assert_true(has(&p, DUET_ACT_DELETE2, "d", NULL));
	assert_true(has(&p, DUET_ACT_COPY_2TO1, "e", NULL));
	assert_true(has(&p, DUET_ACT_COPY_2TO1, "g_new2", NULL));
	assert_true(has(&p, DUET_ACT_DELETE1, "h", NULL));
	assert_true(has(&p, DUET_ACT_SKIP_DIR, "i", NULL));
	assert_int_equal(p.n, 8); /* f (deleted on both) plans nothing */
	duet_plan_dispose(&p);
	duet_free(d1.v);
	duet_free(d2.v);
	duet_listing_dispose(&c1);
	duet_listing_dispose(&c2);
}

/* Names the sides spell differently (section 1.21): planned once, under
 * Path1's spelling, with the other side's entry found through the map. */
static void
test_aliases(void **state)
{
	struct duet_deltas d1, d2;
	struct duet_listing c1, c2;
	struct duet_conflict_opts o = opts();
	struct duet_plan p;
	struct duet_names m;
	const char *n1[] = {"A.txt", "C.txt", "D.txt", NULL};
	const char *n2[] = {"a.txt", "b.txt", "c.txt", NULL};
	(void)state;
	nents = 0;
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	listing_of(&c1, n1);
	listing_of(&c2, n2);
	add(&d1, NULL, ent("A.txt", 1, S, 0), DUET_D_NEW);           /* new on both */
	add(&d1, ent("B.txt", 1, S, 0), NULL, DUET_D_DELETED);       /* deleted, b.txt on 2 */
	add(&d2, NULL, ent("a.txt", 1, S, 0), DUET_D_NEW);
	add(&d2, ent("c.txt", 1, S, 0), ent("c.txt", 1, 2 * S, 0), DUET_D_NEWER); /* C.txt on 1 */
	add(&d2, ent("d.txt", 1, S, 0), NULL, DUET_D_DELETED);       /* D.txt on 1 */

	/* Without the map every spelling is a file of its own. */
	duet_plan_init(&p);
	assert_int_equal(duet_plan_build(&d1, &d2, &c1, &c2, NULL, &o, &p), 0);
	assert_true(has(&p, DUET_ACT_COPY_1TO2, "A.txt", NULL));
	assert_true(has(&p, DUET_ACT_COPY_2TO1, "a.txt", NULL));
	assert_true(has(&p, DUET_ACT_COPY_2TO1, "c.txt", NULL));
	duet_plan_dispose(&p);

	duet_names_init(&m);
	assert_int_equal(duet_names_add(&m, 1, "B.txt"), 0);
	assert_int_equal(duet_names_add(&m, 2, "d.txt"), 0);
	assert_int_equal(duet_names_build(&m, &c1, &c2, DUET_NAME_FOLD), 0);
	duet_plan_init(&p);
	assert_int_equal(duet_plan_build(&d1, &d2, &c1, &c2, &m, &o, &p), 0);
	assert_true(has(&p, DUET_ACT_CHECK, "A.txt", NULL));
	assert_true(has(&p, DUET_ACT_DELETE2, "B.txt", NULL));
	assert_true(has(&p, DUET_ACT_COPY_2TO1, "C.txt", NULL));
	assert_true(has(&p, DUET_ACT_DELETE1, "D.txt", NULL));
	assert_int_equal(p.n, 4);
	for (size_t i = 0; i < p.n; i++) { /* deletes know what they remove */
		assert_non_null(p.v[i].expect);
		if (p.v[i].kind == DUET_ACT_DELETE2)
			assert_string_equal(p.v[i].expect->path, "b.txt");
		if (p.v[i].kind == DUET_ACT_DELETE1)
			assert_string_equal(p.v[i].expect->path, "D.txt");
	}
	duet_plan_dispose(&p);
	duet_names_dispose(&m);
	duet_free(d1.v);
	duet_free(d2.v);
	duet_listing_dispose(&c1);
	duet_listing_dispose(&c2);
}

static void
test_fix_case(void **state)
{
	struct duet_conflict_opts o = opts();
	struct duet_plan p;
	struct duet_delta a = {NULL, NULL, DUET_D_NEW}, b = {NULL, NULL, DUET_D_NEW};
	int w;
	(void)state;
	nents = 0;
	a.cur = ent("X.txt", 5, S, 0);
	b.cur = ent("x.txt", 5, 2 * S, 0);
	/* Equal, spelt differently: the newer time is copied, no rename. */
	duet_plan_init(&p);
	assert_int_equal(duet_plan_resolve(&a, &b, 1, NULL, NULL, &o, &p, &w), 0);
	assert_true(has(&p, DUET_ACT_COPY_2TO1, "X.txt", NULL));
	duet_plan_dispose(&p);
	/* --fix-case: Path1's spelling wins, copied to Path2. */
	o.fix_case = 1;
	duet_plan_init(&p);
	assert_int_equal(duet_plan_resolve(&a, &b, 1, NULL, NULL, &o, &p, &w), 0);
	assert_int_equal(p.n, 1);
	assert_true(has(&p, DUET_ACT_COPY_1TO2, "X.txt", NULL));
	duet_plan_dispose(&p);
}

static void
test_cheap_prefilter(void **state)
{
	struct duet_conflict_opts o = opts();
	struct duet_delta a = {NULL, NULL, DUET_D_NEW}, b = {NULL, NULL, DUET_D_NEW};
	(void)state;
	nents = 0;
	a.cur = ent("x", 5, S, 0);
	b.cur = ent("x", 6, S, 0);
	assert_true(duet_plan_differ_cheap(&a, &b, &o));
	b.cur = ent("x", 5, 2 * S, 0);
	assert_false(duet_plan_differ_cheap(&a, &b, &o));
	/* The quirk: a time-only change records size 0, which "differs". */
	b.bits = DUET_D_NEWER;
	assert_true(duet_plan_differ_cheap(&a, &b, &o));
	o.compare_size = 0;
	assert_false(duet_plan_differ_cheap(&a, &b, &o));
}

static void
test_resolve(void **state)
{
	struct duet_conflict_opts o = opts();
	struct duet_delta a = {NULL, NULL, DUET_D_NEW}, b = {NULL, NULL, DUET_D_NEW};
	struct duet_listing c1, c2;
	const char *l1[] = {"f.txt", "f.txt.conflict1", NULL}, *l2[] = {"f.txt", NULL};
	struct duet_plan p;
	int w;
	(void)state;
	nents = 0;
	a.cur = ent("f.txt", 5, 10 * S, 0);
	b.cur = ent("f.txt", 6, 20 * S, 0);
	listing_of(&c1, l1);
	listing_of(&c2, l2);

	/* Default: no winner, both renamed with the lowest free numbers. */
	duet_plan_init(&p);
	assert_int_equal(duet_plan_resolve(&a, &b, 0, &c1, &c2, &o, &p, &w), 0);
	assert_int_equal(w, 0);
	assert_true(has(&p, DUET_ACT_RENAME1, "f.txt", "f.txt.conflict2"));
	assert_true(has(&p, DUET_ACT_RENAME2, "f.txt", "f.txt.conflict3"));
	assert_true(has(&p, DUET_ACT_COPY_1TO2, "f.txt.conflict2", NULL));
	assert_true(has(&p, DUET_ACT_COPY_2TO1, "f.txt.conflict3", NULL));
	duet_plan_dispose(&p);

	/* newer wins: Path2; Path1's copy renamed, Path2's copied over. */
	o.resolve = DUET_RESOLVE_NEWER;
	duet_plan_init(&p);
	assert_int_equal(duet_plan_resolve(&a, &b, 0, &c1, &c2, &o, &p, &w), 0);
	assert_int_equal(w, 2);
	assert_true(has(&p, DUET_ACT_RENAME1, "f.txt", "f.txt.conflict2"));
	assert_true(has(&p, DUET_ACT_COPY_2TO1, "f.txt", NULL));
	assert_true(has(&p, DUET_ACT_COPY_1TO2, "f.txt.conflict2", NULL));
	duet_plan_dispose(&p);

	/* smaller wins: Path1; with loser delete, Path2's copy goes. */
	o.resolve = DUET_RESOLVE_SMALLER;
	o.loser = DUET_LOSER_DELETE;
	duet_plan_init(&p);
	assert_int_equal(duet_plan_resolve(&a, &b, 0, &c1, &c2, &o, &p, &w), 0);
	assert_int_equal(w, 1);
	assert_false(has(&p, DUET_ACT_DELETE2, "f.txt", NULL)); /* the copy replaces it */
	assert_true(has(&p, DUET_ACT_COPY_1TO2, "f.txt", NULL));
	assert_int_equal(p.n, 1);
	duet_plan_dispose(&p);

	/* pathname with two suffixes: no numbers; keep-extension. */
	o.resolve = DUET_RESOLVE_NONE;
	o.loser = DUET_LOSER_PATHNAME;
	o.suffix1 = ".laptop";
	o.suffix2 = ".server";
	o.keep_extension = 1;
	duet_plan_init(&p);
	assert_int_equal(duet_plan_resolve(&a, &b, 0, &c1, &c2, &o, &p, &w), 0);
	assert_true(has(&p, DUET_ACT_RENAME1, "f.txt", "f.laptop.txt"));
	assert_true(has(&p, DUET_ACT_RENAME2, "f.txt", "f.server.txt"));
	duet_plan_dispose(&p);

	/* Equal content: newer time copied over the older, no rename. */
	duet_plan_init(&p);
	assert_int_equal(duet_plan_resolve(&a, &b, 1, &c1, &c2, &o, &p, &w), 0);
	assert_true(has(&p, DUET_ACT_COPY_2TO1, "f.txt", NULL));
	assert_int_equal(p.n, 1);
	duet_plan_dispose(&p);
	b.cur = ent("f.txt", 6, 10 * S, 0);
	duet_plan_init(&p);
	assert_int_equal(duet_plan_resolve(&a, &b, 1, &c1, &c2, &o, &p, &w), 0);
	assert_int_equal(p.n, 0);
	duet_plan_dispose(&p);
	duet_listing_dispose(&c1);
	duet_listing_dispose(&c2);
}

static void
test_names(void **state)
{
	struct duet_arena a;
	(void)state;
	duet_arena_init(&a);
	assert_string_equal(duet_plan_conflict_name(&a, "d/f.txt", ".conflict", 1, 0),
	    "d/f.txt.conflict1");
	assert_string_equal(duet_plan_conflict_name(&a, "d/f.txt", ".conflict", 2, 1),
	    "d/f.conflict2.txt");
	assert_string_equal(duet_plan_conflict_name(&a, "d.x/.hidden", ".c", 0, 1), "d.x/.hidden.c");
	assert_string_equal(duet_plan_conflict_name(&a, "noext", "..path", 1, 1), "noext..path1");
	duet_arena_dispose(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_fix_case),
		cmocka_unit_test(test_cheap_prefilter),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
