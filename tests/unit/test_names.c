/*
 * test_names.c: listing/names, name keys and the alias map (reference
 * sections 1.5, 1.8, 1.21): NFC against NFD (also in a directory), case
 * only with folding, no NFC with DUET_NAME_NO_NFC, names that are not
 * UTF-8, exact names winning, ambiguous keys, added (deleted) names, an
 * ASCII listing building nothing without allocating, allocation failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "listing/names.h"

#define E_NFC "\xc3\xa9"    /* U+00E9 */
#define E_NFD "e\xcc\x81"   /* e + U+0301 */
#define EU_NFC "\xc3\x89"   /* U+00C9 */

/* Fills l with the NULL-terminated names, sorted. */
static void
fill(struct duet_listing *l, const char *const *names)
{
	duet_listing_init(l);
	for (; names != NULL && *names != NULL; names++) {
		struct duet_entry e;
		memset(&e, 0, sizeof(e));
		e.path = *names;
		e.pathlen = (uint32_t)strlen(*names);
		e.size = 1;
		e.type = DUET_T_FILE;
		assert_int_equal(duet_listing_add(l, &e), 0);
	}
	duet_listing_sort(l);
}

/* Builds m from two name lists; returns what build returned. */
static int
build(struct duet_names *m, const char *const *n1, const char *const *n2, unsigned flags)
{
	struct duet_listing l1, l2;
	int rc;
	fill(&l1, n1);
	fill(&l2, n2);
	rc = duet_names_build(m, &l1, &l2, flags);
	/* The map must not borrow from the listings. */
	duet_listing_dispose(&l1);
	duet_listing_dispose(&l2);
	return rc;
}

static void
assert_alias(const struct duet_names *m, const char *p1, const char *p2)
{
	const char *a = duet_names_alias(m, 1, p1), *b = duet_names_alias(m, 2, p2);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, p2);
	assert_string_equal(b, p1);
}

/* Key of s as a fresh C string in out; returns 1 when s is its own key. */
static int
key_of(const char *s, unsigned flags, struct duet_buf *out, char *dst, size_t cap)
{
	const char *k;
	size_t klen;
	assert_int_equal(duet_name_key(s, strlen(s), flags, out, &k, &klen), 0);
	assert_true(klen < cap);
	memcpy(dst, k, klen);
	dst[klen] = '\0';
	return k == s;
}

static void
test_key_ascii(void **state)
{
	struct duet_buf b = DUET_BUF_INIT;
	char k[64];
	(void)state;
	assert_int_equal(key_of("Dir/File.TXT", 0, &b, k, sizeof(k)), 1);
	assert_null(b.p); /* fast path: out never allocated */
	assert_int_equal(key_of("dir/file.txt", DUET_NAME_FOLD, &b, k, sizeof(k)), 1);
	assert_null(b.p);
	assert_int_equal(key_of("Dir/File.TXT", DUET_NAME_FOLD, &b, k, sizeof(k)), 0);
	assert_string_equal(k, "dir/file.txt");
	/* Every ASCII byte at every position of a word-sized scan. */
	for (int pos = 0; pos < 19; pos++) {
		for (int c = 1; c < 128; c++) {
			char name[20], want[20];
			int up = c >= 'A' && c <= 'Z';
			memset(name, 'a', 19);
			name[19] = '\0';
			name[pos] = (char)c;
			memcpy(want, name, sizeof(want));
			want[pos] = (char)(up ? c - 'A' + 'a' : c);
			assert_int_equal(key_of(name, DUET_NAME_FOLD, &b, k, sizeof(k)), !up);
			assert_string_equal(k, want);
		}
	}
	duet_buf_dispose(&b);
}

static void
test_key_unicode(void **state)
{
	struct duet_buf b = DUET_BUF_INIT;
	char k[1200];
	(void)state;
	/* NFD composes, in every component. */
	assert_int_equal(key_of("caf" E_NFD "/r" E_NFD "sum" E_NFD, 0, &b, k, sizeof(k)), 0);
	assert_string_equal(k, "caf" E_NFC "/r" E_NFC "sum" E_NFC);
	assert_int_equal(key_of("caf" E_NFC, 0, &b, k, sizeof(k)), 1);
	/* No NFC: NFD stays as it is. */
	assert_int_equal(key_of("caf" E_NFD, DUET_NAME_NO_NFC, &b, k, sizeof(k)), 1);
	/* Folding after NFC; full folding. */
	assert_int_equal(key_of("CAF" EU_NFC, DUET_NAME_FOLD, &b, k, sizeof(k)), 0);
	assert_string_equal(k, "caf" E_NFC);
	assert_int_equal(key_of("Stra\xc3\x9f" "e", DUET_NAME_FOLD, &b, k, sizeof(k)), 0);
	assert_string_equal(k, "strasse");
	/* Canonically equal, marks in either order: one key (U+1FB4, and
	 * alpha + U+0345 + U+0301, whose U+0345 folds to a letter). */
	assert_int_equal(key_of("\xe1\xbe\xb4", DUET_NAME_FOLD, &b, k, sizeof(k)), 0);
	assert_string_equal(k, "\xce\xac\xce\xb9");
	assert_int_equal(key_of("\xce\xb1\xcd\x85\xcc\x81", DUET_NAME_FOLD, &b, k, sizeof(k)),
	    0);
	assert_string_equal(k, "\xce\xac\xce\xb9");
	/* Long enough for the NFD pass to spill to the heap. */
	{
		char longname[1200];
		memset(longname, 'x', 1000);
		memcpy(longname + 1000, "CAF" EU_NFC, sizeof("CAF" EU_NFC));
		assert_int_equal(key_of(longname, DUET_NAME_FOLD, &b, k, sizeof(k)), 0);
		assert_string_equal(k + 1000, "caf" E_NFC);
	}
	/* Folding without NFC leaves the decomposition alone. */
	assert_int_equal(key_of("CAFE\xcc\x81", DUET_NAME_FOLD | DUET_NAME_NO_NFC, &b, k,
	    sizeof(k)), 0);
	assert_string_equal(k, "caf" E_NFD);
	assert_int_equal(key_of("caf" E_NFD, DUET_NAME_FOLD | DUET_NAME_NO_NFC, &b, k,
	    sizeof(k)), 1);
	duet_buf_dispose(&b);
}

static void
test_key_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"A\xff", "Caf\xc3", "x/\xc0\xaf", "S\xed\xa0\x80", "E\xcc", "\xf8\x88\x80\x80\x80",
	};
	static const unsigned fl[] = {
		0, DUET_NAME_FOLD, DUET_NAME_NO_NFC, DUET_NAME_FOLD | DUET_NAME_NO_NFC,
	};
	struct duet_buf b = DUET_BUF_INIT;
	char k[64];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (size_t f = 0; f < sizeof(fl) / sizeof(fl[0]); f++)
			assert_int_equal(key_of(bad[i], fl[f], &b, k, sizeof(k)), 1);
	duet_buf_dispose(&b);
}

static void
test_nfc_nfd_match(void **state)
{
	static const char *const n1[] = {"caf" E_NFD, "r" E_NFD "sum" E_NFD "/notes.txt",
		"same.txt", NULL};
	static const char *const n2[] = {"caf" E_NFC, "r" E_NFC "sum" E_NFC "/notes.txt",
		"same.txt", NULL};
	struct duet_names m;
	(void)state;
	duet_names_init(&m);
	assert_int_equal(build(&m, n1, n2, 0), 0);
	assert_int_equal(m.n, 2);
	assert_alias(&m, "caf" E_NFD, "caf" E_NFC);
	assert_alias(&m, "r" E_NFD "sum" E_NFD "/notes.txt", "r" E_NFC "sum" E_NFC "/notes.txt");
	assert_null(duet_names_alias(&m, 1, "same.txt"));
	assert_null(duet_names_alias(&m, 2, "same.txt"));
	/* A side's own spelling looked up as the other side's finds nothing. */
	assert_null(duet_names_alias(&m, 2, "caf" E_NFD));
	duet_names_dispose(&m);
}

static void
test_case_needs_fold(void **state)
{
	static const char *const n1[] = {"Docs/ReadMe.TXT", "CAF" EU_NFC, NULL};
	static const char *const n2[] = {"docs/readme.txt", "cafe\xcc\x81", NULL};
	struct duet_names m;
	(void)state;
	duet_names_init(&m);
	assert_int_equal(build(&m, n1, n2, 0), 0);
	assert_int_equal(m.n, 0);
	assert_null(duet_names_alias(&m, 1, "Docs/ReadMe.TXT"));
	duet_names_dispose(&m);

	duet_names_init(&m);
	assert_int_equal(build(&m, n1, n2, DUET_NAME_FOLD), 0);
	assert_int_equal(m.n, 2);
	assert_alias(&m, "Docs/ReadMe.TXT", "docs/readme.txt");
	assert_alias(&m, "CAF" EU_NFC, "cafe\xcc\x81");
	duet_names_dispose(&m);
}

static void
test_no_nfc(void **state)
{
	static const char *const n1[] = {"caf" E_NFD, NULL};
	static const char *const n2[] = {"caf" E_NFC, NULL};
	struct duet_names m;
	(void)state;
	duet_names_init(&m);
	assert_int_equal(build(&m, n1, n2, DUET_NAME_NO_NFC), 0);
	assert_int_equal(m.n, 0);
	assert_null(duet_names_alias(&m, 1, "caf" E_NFD));
	duet_names_dispose(&m);
	duet_names_init(&m);
	assert_int_equal(build(&m, n1, n2, DUET_NAME_NO_NFC | DUET_NAME_FOLD), 0);
	assert_int_equal(m.n, 0);
	duet_names_dispose(&m);
}

static void
test_invalid_utf8_names(void **state)
{
	static const char *const n1[] = {"bad\xff", "X\xfe", "caf\xc3", "d\xff/E\xcc\x81", NULL};
	static const char *const n2[] = {"bad\xff", "x\xfe", "CAF\xc3", "D\xff/e\xcc\x81", NULL};
	struct duet_names m;
	(void)state;
	duet_names_init(&m);
	assert_int_equal(build(&m, n1, n2, DUET_NAME_FOLD), 0);
	assert_int_equal(m.n, 0);
	assert_null(duet_names_alias(&m, 1, "X\xfe"));
	assert_null(duet_names_alias(&m, 2, "bad\xff"));
	duet_names_dispose(&m);
}

static void
test_exact_wins(void **state)
{
	static const char *const n1[] = {"A.txt", "a.txt", "caf" E_NFC, "caf" E_NFD, NULL};
	static const char *const n2[] = {"a.txt", "caf" E_NFC, NULL};
	struct duet_names m;
	(void)state;
	duet_names_init(&m);
	assert_int_equal(build(&m, n1, n2, DUET_NAME_FOLD), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(m.ambiguous, 0);
	assert_null(duet_names_alias(&m, 1, "A.txt"));
	assert_null(duet_names_alias(&m, 1, "caf" E_NFD));
	assert_null(duet_names_alias(&m, 2, "a.txt"));
	duet_names_dispose(&m);
	/* Mirror image: the collision is on Path2. */
	duet_names_init(&m);
	assert_int_equal(build(&m, n2, n1, DUET_NAME_FOLD), 0);
	assert_int_equal(m.n, 0);
	duet_names_dispose(&m);
}

static void
test_ambiguous(void **state)
{
	static const char *const n1[] = {"A.txt", "a.txt", "ok/" E_NFD, NULL};
	static const char *const n2[] = {"A.TXT", "ok/" E_NFC, NULL};
	static const char *const none[] = {NULL};
	struct duet_names m;
	(void)state;
	duet_names_init(&m);
	assert_int_equal(build(&m, n1, n2, DUET_NAME_FOLD), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.ambiguous, 1);
	assert_alias(&m, "ok/" E_NFD, "ok/" E_NFC);
	assert_null(duet_names_alias(&m, 1, "A.txt"));
	assert_null(duet_names_alias(&m, 1, "a.txt"));
	assert_null(duet_names_alias(&m, 2, "A.TXT"));
	duet_names_dispose(&m);
	/* Two names of one side are never aliased to each other. */
	duet_names_init(&m);
	assert_int_equal(build(&m, n1, none, DUET_NAME_FOLD), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(m.ambiguous, 0);
	duet_names_dispose(&m);
}

static void
test_added_names(void **state)
{
	static const char *const n1[] = {"keep", NULL};
	static const char *const n2[] = {"caf" E_NFD, "keep", NULL};
	struct duet_names m;
	(void)state;
	duet_names_init(&m);
	/* Deleted on Path1 (NFC) against current Path2 (NFD); deleted on
	 * both sides with a case difference; a repeat is harmless. */
	assert_int_equal(duet_names_add(&m, 1, "caf" E_NFC), 0);
	assert_int_equal(duet_names_add(&m, 1, "Old/Gone.txt"), 0);
	assert_int_equal(duet_names_add(&m, 1, "caf" E_NFC), 0);
	assert_int_equal(duet_names_add(&m, 2, "old/gone.TXT"), 0);
	/* A name both listed and added is one name, not a collision. */
	assert_int_equal(duet_names_add(&m, 2, "caf" E_NFD), 0);
	assert_int_equal(build(&m, n1, n2, DUET_NAME_FOLD), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.ambiguous, 0);
	assert_alias(&m, "caf" E_NFC, "caf" E_NFD);
	assert_alias(&m, "Old/Gone.txt", "old/gone.TXT");
	assert_null(duet_names_alias(&m, 1, "keep"));
	duet_names_dispose(&m);
}

static void
test_many_pairs_sorted_both_ways(void **state)
{
	static char s1[300][24], s2[300][24];
	const char *n1[301], *n2[301];
	struct duet_names m;
	(void)state;
	/* Even i: "N%03d" <-> "n%03d"; odd i: "m%03d" <-> "M%03d", so the
	 * pairs sort differently by Path1's and by Path2's spelling. */
	for (int i = 0; i < 300; i++) {
		snprintf(s1[i], sizeof(s1[i]), "%c%03d", i % 2 ? 'm' : 'N', i);
		snprintf(s2[i], sizeof(s2[i]), "%c%03d", i % 2 ? 'M' : 'n', i);
		n1[i] = s1[i];
		n2[i] = s2[i];
	}
	n1[300] = n2[300] = NULL;
	duet_names_init(&m);
	assert_int_equal(build(&m, n1, n2, DUET_NAME_FOLD), 0);
	assert_int_equal(m.n, 300);
	for (int i = 0; i < 300; i++)
		assert_alias(&m, s1[i], s2[i]);
	assert_null(duet_names_alias(&m, 2, "N000"));
	assert_null(duet_names_alias(&m, 1, "n000"));
	duet_names_dispose(&m);
}

/* A set of names for the brute-force check: up to 16, each in a slot. */
struct bf_set {
	char v[16][16];
	int n;
};

static int
bf_has(const struct bf_set *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 1;
	return 0;
}

static unsigned bf_seed = 12345;

static unsigned
bf_rand(unsigned n)
{
	bf_seed = bf_seed * 1103515245u + 12345u;
	return (bf_seed >> 16) % n;
}

/* A random name of 1-3 tokens chosen to collide under NFC and folding. */
static void
bf_name(char *out)
{
	static const char *const tok[] = {"a", "A", E_NFC, E_NFD, EU_NFC, "E\xcc\x81", "/",
		"\xff", "\xc3\x9f", "ss", "SS", "e"};
	int k = 1 + (int)bf_rand(3);
	out[0] = '\0';
	while (k-- > 0)
		strcat(out, tok[bf_rand(sizeof(tok) / sizeof(tok[0]))]);
}

static void
bf_key(const char *name, unsigned flags, char *dst)
{
	struct duet_buf b = DUET_BUF_INIT;
	key_of(name, flags, &b, dst, 64);
	duet_buf_dispose(&b);
}

/* The alias the documented rule gives `name` of set a (other side b). */
static const char *
bf_expect(const struct bf_set *a, const struct bf_set *b, const char *name, unsigned flags)
{
	char k[64], kq[64];
	const char *only = NULL;
	int left_a = 0, left_b = 0;
	if (bf_has(b, name))
		return NULL;
	bf_key(name, flags, k);
	for (int i = 0; i < a->n; i++) {
		bf_key(a->v[i], flags, kq);
		left_a += strcmp(k, kq) == 0 && !bf_has(b, a->v[i]);
	}
	for (int i = 0; i < b->n; i++) {
		bf_key(b->v[i], flags, kq);
		if (strcmp(k, kq) == 0 && !bf_has(a, b->v[i])) {
			left_b++;
			only = b->v[i];
		}
	}
	return left_a == 1 && left_b == 1 ? only : NULL;
}

static void
bf_check_side(const struct duet_names *m, const struct bf_set *a, const struct bf_set *b,
    int side, unsigned flags, int *pairs)
{
	for (int i = 0; i < a->n; i++) {
		const char *want = bf_expect(a, b, a->v[i], flags);
		const char *got = duet_names_alias(m, side, a->v[i]);
		if (want == NULL) {
			assert_null(got);
		} else {
			assert_non_null(got);
			assert_string_equal(got, want);
			*pairs += 1;
		}
	}
}

/* Random small listings and added names against a quadratic oracle. */
static void
test_random_against_brute_force(void **state)
{
	static const unsigned fl[] = {0, DUET_NAME_FOLD, DUET_NAME_NO_NFC,
		DUET_NAME_NO_NFC | DUET_NAME_FOLD};
	(void)state;
	for (int iter = 0; iter < 3000; iter++) {
		struct bf_set s[2];
		struct duet_listing l[2];
		struct duet_names m;
		unsigned flags = fl[iter % 4];
		int pairs = 0;
		duet_names_init(&m);
		for (int side = 0; side < 2; side++) {
			int nlist = (int)bf_rand(10), nextra = (int)bf_rand(4);
			s[side].n = 0;
			duet_listing_init(&l[side]);
			for (int i = 0; i < nlist + nextra; i++) {
				char name[16];
				struct duet_entry e;
				bf_name(name);
				if (bf_has(&s[side], name))
					continue;
				strcpy(s[side].v[s[side].n++], name);
				if (i >= nlist) {
					assert_int_equal(duet_names_add(&m, side + 1, name), 0);
					continue;
				}
				memset(&e, 0, sizeof(e));
				e.path = name;
				e.pathlen = (uint32_t)strlen(name);
				e.type = DUET_T_FILE;
				assert_int_equal(duet_listing_add(&l[side], &e), 0);
			}
			duet_listing_sort(&l[side]);
		}
		assert_int_equal(duet_names_build(&m, &l[0], &l[1], flags), 0);
		bf_check_side(&m, &s[0], &s[1], 1, flags, &pairs);
		bf_check_side(&m, &s[1], &s[0], 2, flags, &pairs);
		assert_int_equal((size_t)pairs, 2 * m.n);
		duet_names_dispose(&m);
		duet_listing_dispose(&l[0]);
		duet_listing_dispose(&l[1]);
	}
}

static void
test_ascii_10k_empty_no_alloc(void **state)
{
	static char names[10000][32];
	struct duet_listing l1, l2;
	struct duet_names m;
	long before;
	(void)state;
	duet_listing_init(&l1);
	duet_listing_init(&l2);
	for (int i = 0; i < 10000; i++) {
		struct duet_entry e;
		memset(&e, 0, sizeof(e));
		snprintf(names[i], sizeof(names[i]), "Dir%02d/File-%05d.TXT", i % 37, i);
		e.path = names[i];
		e.pathlen = (uint32_t)strlen(names[i]);
		e.type = DUET_T_FILE;
		assert_int_equal(duet_listing_add(&l1, &e), 0);
		if (i % 3 != 0)
			assert_int_equal(duet_listing_add(&l2, &e), 0);
	}
	duet_listing_sort(&l1);
	duet_listing_sort(&l2);
	duet_names_init(&m);
	before = duet_alloc_count();
	assert_int_equal(duet_names_build(&m, &l1, &l2, 0), 0);
	assert_int_equal(duet_alloc_count() - before, 0);
	assert_int_equal(m.n, 0);
	assert_null(duet_names_alias(&m, 1, names[5]));
	duet_names_dispose(&m);
	duet_listing_dispose(&l1);
	duet_listing_dispose(&l2);
}

static void
test_alloc_failures(void **state)
{
	static const char *const n1[] = {"caf" E_NFD, "Docs/A.txt", "x", NULL};
	static const char *const n2[] = {"caf" E_NFC, "docs/a.TXT", "x", NULL};
	struct duet_listing l1, l2;
	struct duet_names m;
	int rc = -1, fails = 0;
	(void)state;
	fill(&l1, n1);
	fill(&l2, n2);
	for (long k = 1; k < 200 && rc != 0; k++) {
		duet_names_init(&m);
		rc = duet_names_add(&m, 2, "Gone");
		duet_alloc_fail_at(k);
		if (rc == 0)
			rc = duet_names_build(&m, &l1, &l2, DUET_NAME_FOLD);
		duet_alloc_fail_at(0);
		if (rc != 0) {
			assert_int_equal(rc, DUET_E_NOMEM);
			assert_int_equal(m.n, 0);
			assert_null(duet_names_alias(&m, 1, "caf" E_NFD));
			fails++;
		} else {
			assert_int_equal(m.n, 2);
			assert_alias(&m, "Docs/A.txt", "docs/a.TXT");
		}
		duet_names_dispose(&m);
	}
	assert_int_equal(rc, 0);
	assert_true(fails > 3);
	duet_listing_dispose(&l1);
	duet_listing_dispose(&l2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_ascii),
		cmocka_unit_test(test_key_unicode),
		cmocka_unit_test(test_key_invalid_utf8),
		cmocka_unit_test(test_nfc_nfd_match),
		cmocka_unit_test(test_case_needs_fold),
		cmocka_unit_test(test_no_nfc),
		cmocka_unit_test(test_invalid_utf8_names),
		cmocka_unit_test(test_exact_wins),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_added_names),
		cmocka_unit_test(test_many_pairs_sorted_both_ways),
		cmocka_unit_test(test_random_against_brute_force),
		cmocka_unit_test(test_ascii_10k_empty_no_alloc),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
