/*
 * names.c: name keys (NFC, case folding) and the alias map between the two
 * sides' listings (reference sections 1.5, 1.8, 1.21). If two different
 * spellings share a key, at most one of them can equal that key, so the map
 * is built from the names that are not their own key alone: they are
 * collected with their keys, sorted by key, and each key is then looked up
 * among the plain names of both sides. Plain names are never copied.
 */
#include "names.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/log.h"

/* Code points one code point case-folds to at most (Unicode: 3). */
#define NM_FOLD_MAX 16

/* A name that is not its own key. */
struct nm_rec {
	const char *key;  /* in nm_build.keys */
	const char *name; /* borrowed from a listing or m->arena */
	int side;         /* 0: Path1, 1: Path2 */
};

/* Scratch state of one duet_names_build. */
struct nm_build {
	struct duet_names *m;
	const struct duet_listing *l[2]; /* may be NULL */
	unsigned flags;
	struct nm_rec *r;         /* owned */
	size_t nr, capr;
	struct duet_arena keys;   /* keys of r */
	struct duet_buf kb;       /* key scratch */
	const char **s[2];        /* one key's names per side; owned */
	size_t ns[2];
	size_t capp;              /* pairs allocated in m->v */
};

static int
nm_own(const char *name, size_t len, const char **key, size_t *keylen)
{
	*key = name;
	*keylen = len;
	return 0;
}

/* Reserves room in out for `cps` code points (plus the byte reencode
 * needs); out is reset. */
static int
nm_reserve_cps(struct duet_buf *out, size_t cps)
{
	duet_buf_reset(out);
	if (cps > (SIZE_MAX / 2 - 8) / sizeof(utf8proc_int32_t))
		return duet_err_set(DUET_E_INVAL, "name too long to normalise");
	return duet_buf_reserve(out, (cps + 1) * sizeof(utf8proc_int32_t));
}

/* One utf8proc pass over name into out as UTF-8: decompose with `dopt`
 * (which also puts combining marks in canonical order), re-encode with
 * `ropt`. *own = 1 when utf8proc rejects the name (not UTF-8). */
static int
nm_pass(const char *name, size_t len, utf8proc_option_t dopt, utf8proc_option_t ropt,
    struct duet_buf *out, int *own)
{
	utf8proc_ssize_t n, cap;
	utf8proc_int32_t *cp;
	int rc;

	if (len > (SIZE_MAX / 2 - 16) / sizeof(utf8proc_int32_t))
		return duet_err_set(DUET_E_INVAL, "name too long to normalise");
	/* One code point per byte is enough unless folding expands. */
	cap = (utf8proc_ssize_t)len + 8;
	for (;;) {
		if ((rc = nm_reserve_cps(out, (size_t)cap)) != 0)
			return rc;
		cp = (utf8proc_int32_t *)(void *)out->p;
		n = utf8proc_decompose((const utf8proc_uint8_t *)name, (utf8proc_ssize_t)len, cp,
		    cap, dopt);
		if (n < 0) {
			*own = 1;
			return 0;
		}
		if (n <= cap)
			break;
		cap = n;
	}
	n = utf8proc_reencode(cp, n, ropt);
	if (n < 0) {
		*own = 1;
		return 0;
	}
	out->len = (size_t)n;
	out->p[out->len] = '\0';
	return 0;
}

/* NFC of name into out; with `fold`, NFC(casefold(NFD(name))). utf8proc
 * folds before it orders combining marks, so folding U+0345 (a mark) to
 * U+03B9 (a letter) would make canonically equal names differ: the NFD
 * pass orders them first. */
static int
nm_key_nfc(const char *name, size_t len, int fold, struct duet_buf *out, int *own)
{
	const utf8proc_option_t nfc = (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	char small[512], *nfd = small;
	size_t nlen;
	int rc;

	if (!fold)
		return nm_pass(name, len, nfc, nfc, out, own);
	rc = nm_pass(name, len, (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE),
	    UTF8PROC_STABLE, out, own);
	if (rc != 0 || *own)
		return rc;
	nlen = out->len;
	if (nlen >= sizeof(small) && (nfd = duet_malloc(nlen)) == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	memcpy(nfd, out->p, nlen);
	rc = nm_pass(nfd, nlen, (utf8proc_option_t)(nfc | UTF8PROC_CASEFOLD), nfc, out, own);
	if (nfd != small)
		duet_free(nfd);
	return rc;
}

/* Case folding alone (DUET_NAME_NO_NFC): code point by code point, so
 * combining marks keep their order and composition. */
static int
nm_key_fold(const char *name, size_t len, struct duet_buf *out, int *own)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)name;
	utf8proc_int32_t c, m[NM_FOLD_MAX];
	utf8proc_uint8_t enc[4];
	utf8proc_ssize_t w, k, e;
	size_t i = 0;
	int rc;

	duet_buf_reset(out);
	while (i < len) {
		w = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (w <= 0) {
			*own = 1;
			return 0;
		}
		k = utf8proc_decompose_char(c, m, NM_FOLD_MAX, UTF8PROC_CASEFOLD, NULL);
		if (k < 0 || k > NM_FOLD_MAX) {
			*own = 1;
			return 0;
		}
		for (utf8proc_ssize_t j = 0; j < k; j++) {
			e = utf8proc_encode_char(m[j], enc);
			if ((rc = duet_buf_append(out, enc, (size_t)e)) != 0)
				return rc;
		}
		i += (size_t)w;
	}
	return 0;
}

/* ASCII lower-casing of a pure-ASCII name into out. */
static int
nm_key_ascii_fold(const char *name, size_t len, struct duet_buf *out)
{
	int rc;
	duet_buf_reset(out);
	if ((rc = duet_buf_append(out, name, len)) != 0)
		return rc;
	for (size_t i = 0; i < len; i++) {
		char ch = out->p[i];
		if (ch >= 'A' && ch <= 'Z')
			out->p[i] = (char)(ch - 'A' + 'a');
	}
	return 0;
}

/* Eight bytes at a time: the ASCII scan is the whole cost of a build over
 * plain names. Bytes below 0x80 cannot carry between lanes when adding. */
#define NM_ONES UINT64_C(0x0101010101010101)
#define NM_HIGH (NM_ONES * 0x80)

/* Length of the pure-ASCII prefix of name[0..len); *upper is set when
 * that prefix holds a letter A-Z. */
static size_t
nm_ascii_span(const char *name, size_t len, int *upper)
{
	uint64_t w, up = 0;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, name + i, 8);
		if (w & NM_HIGH)
			break;
		/* High bit of a lane: byte >= 'A' and not >= 'Z' + 1. */
		up |= (w + NM_ONES * (0x80 - 'A')) & ~(w + NM_ONES * (0x80 - 'Z' - 1));
	}
	*upper = (up & NM_HIGH) != 0;
	for (; i < len && (unsigned char)name[i] < 0x80; i++)
		*upper |= name[i] >= 'A' && name[i] <= 'Z';
	return i;
}

int
duet_name_key(const char *name, size_t len, unsigned flags, struct duet_buf *out,
    const char **key, size_t *keylen)
{
	int fold = (flags & DUET_NAME_FOLD) != 0, nfc = !(flags & DUET_NAME_NO_NFC);
	int upper, own = 0, rc;

	if (nm_ascii_span(name, len, &upper) == len) {
		/* ASCII is NFC already; only folding can change it. */
		if (!fold || !upper)
			return nm_own(name, len, key, keylen);
		rc = nm_key_ascii_fold(name, len, out);
	} else if (nfc) {
		rc = nm_key_nfc(name, len, fold, out, &own);
	} else if (fold) {
		rc = nm_key_fold(name, len, out, &own);
	} else {
		return nm_own(name, len, key, keylen);
	}
	if (rc != 0)
		return rc;
	if (own || (out->len == len && memcmp(out->p, name, len) == 0))
		return nm_own(name, len, key, keylen);
	*key = out->p;
	*keylen = out->len;
	return 0;
}

void
duet_names_init(struct duet_names *m)
{
	memset(m, 0, sizeof(*m));
	duet_arena_init(&m->arena);
}

void
duet_names_dispose(struct duet_names *m)
{
	if (m == NULL)
		return;
	duet_free(m->v);
	duet_free(m->by2);
	duet_free(m->extra[0]);
	duet_free(m->extra[1]);
	duet_arena_dispose(&m->arena);
	duet_names_init(m);
}

int
duet_names_add(struct duet_names *m, int side, const char *path)
{
	int s = side - 1;
	char *copy;

	assert(side == 1 || side == 2);
	if (m->nextra[s] == m->capextra[s]) {
		size_t cap = m->capextra[s] ? m->capextra[s] * 2 : 16;
		const char **v = duet_reallocarray(m->extra[s], cap, sizeof(*v));
		if (v == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory for %zu names", cap);
		m->extra[s] = v;
		m->capextra[s] = cap;
	}
	copy = duet_arena_strndup(&m->arena, path, strlen(path));
	if (copy == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	m->extra[s][m->nextra[s]++] = copy;
	return 0;
}

static int
nm_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts side s's added names and drops repeats. */
static void
nm_sort_extras(struct duet_names *m, int s)
{
	size_t j = 0;
	if (m->nextra[s] < 2)
		return;
	qsort(m->extra[s], m->nextra[s], sizeof(*m->extra[s]), nm_str_cmp);
	for (size_t i = 1; i < m->nextra[s]; i++)
		if (strcmp(m->extra[s][i], m->extra[s][j]) != 0)
			m->extra[s][++j] = m->extra[s][i];
	m->nextra[s] = j + 1;
}

/* Computes name's key; remembers the name when the key differs. */
static int
nm_collect(struct nm_build *b, int side, const char *name, size_t len)
{
	const char *key;
	size_t klen;
	int rc;

	if ((rc = duet_name_key(name, len, b->flags, &b->kb, &key, &klen)) != 0)
		return rc;
	if (key == name)
		return 0;
	if (b->nr == b->capr) {
		size_t cap = b->capr ? b->capr * 2 : 64;
		struct nm_rec *v = duet_reallocarray(b->r, cap, sizeof(*v));
		if (v == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory for %zu names", cap);
		b->r = v;
		b->capr = cap;
	}
	b->r[b->nr].key = duet_arena_strndup(&b->keys, key, klen);
	if (b->r[b->nr].key == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	b->r[b->nr].name = name;
	b->r[b->nr].side = side;
	b->nr++;
	return 0;
}

static int
nm_collect_side(struct nm_build *b, int s)
{
	const struct duet_listing *l = b->l[s];
	int rc;

	for (size_t i = 0; l != NULL && i < l->n; i++)
		if ((rc = nm_collect(b, s, l->v[i].path, l->v[i].pathlen)) != 0)
			return rc;
	for (size_t i = 0; i < b->m->nextra[s]; i++) {
		const char *p = b->m->extra[s][i];
		if ((rc = nm_collect(b, s, p, strlen(p))) != 0)
			return rc;
	}
	return 0;
}

static int
nm_rec_cmp(const void *a, const void *b)
{
	const struct nm_rec *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c != 0)
		return c;
	if (x->side != y->side)
		return x->side < y->side ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* *has = 1 when `key` is itself a name of side s whose key is itself. */
static int
nm_plain_has(struct nm_build *b, int s, const char *key, int *has)
{
	const char *k;
	size_t klen, len = strlen(key);
	int rc;

	*has = 0;
	if ((b->l[s] == NULL || duet_listing_find(b->l[s], key) == NULL) &&
	    (b->m->nextra[s] == 0 ||
		bsearch(&key, b->m->extra[s], b->m->nextra[s], sizeof(*b->m->extra[s]),
		    nm_str_cmp) == NULL))
		return 0;
	/* Keys are stable for all but a few folding corner cases; check. */
	if ((rc = duet_name_key(key, len, b->flags, &b->kb, &k, &klen)) != 0)
		return rc;
	*has = k == key;
	return 0;
}

/* Inserts name into the sorted array v of *n names (room for one more). */
static void
nm_insert_sorted(const char **v, size_t *n, const char *name)
{
	size_t i = *n;
	while (i > 0 && strcmp(v[i - 1], name) > 0) {
		v[i] = v[i - 1];
		i--;
	}
	v[i] = name;
	(*n)++;
}

/* Counts the names of each side with no byte-equal name on the other
 * (both arrays sorted), remembering the last such name of each. */
static void
nm_unmatched(struct nm_build *b, size_t left[2], const char *only[2])
{
	size_t i = 0, j = 0;
	left[0] = left[1] = 0;
	only[0] = only[1] = NULL;
	while (i < b->ns[0] || j < b->ns[1]) {
		int c = i == b->ns[0] ? 1 : j == b->ns[1] ? -1 : strcmp(b->s[0][i], b->s[1][j]);
		if (c < 0) {
			only[0] = b->s[0][i++];
			left[0]++;
		} else if (c > 0) {
			only[1] = b->s[1][j++];
			left[1]++;
		} else {
			i++;
			j++;
		}
	}
}

static int
nm_push_pair(struct nm_build *b, const char *p1, const char *p2)
{
	struct duet_names *m = b->m;
	struct duet_name_pair *pr;

	if (m->n == b->capp) {
		size_t cap = b->capp ? b->capp * 2 : 16;
		pr = duet_reallocarray(m->v, cap, sizeof(*pr));
		if (pr == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory for %zu aliases", cap);
		m->v = pr;
		b->capp = cap;
	}
	pr = &m->v[m->n];
	pr->path[0] = duet_arena_strndup(&m->arena, p1, strlen(p1));
	pr->path[1] = duet_arena_strndup(&m->arena, p2, strlen(p2));
	if (pr->path[0] == NULL || pr->path[1] == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	m->n++;
	return 0;
}

/* Pairs the names of one key: records [from, to) of b->r. */
static int
nm_pair_key(struct nm_build *b, size_t from, size_t to)
{
	const char *key = b->r[from].key, *only[2];
	size_t left[2];
	int rc, has;

	b->ns[0] = b->ns[1] = 0;
	for (size_t k = from; k < to; k++) {
		int s = b->r[k].side;
		const char *name = b->r[k].name;
		if (b->ns[s] == 0 || strcmp(b->s[s][b->ns[s] - 1], name) != 0)
			b->s[s][b->ns[s]++] = name;
	}
	for (int s = 0; s < 2; s++) {
		if ((rc = nm_plain_has(b, s, key, &has)) != 0)
			return rc;
		if (has)
			nm_insert_sorted(b->s[s], &b->ns[s], key);
	}
	nm_unmatched(b, left, only);
	if (left[0] == 1 && left[1] == 1)
		return nm_push_pair(b, only[0], only[1]);
	if (left[0] > 0 && left[1] > 0) {
		b->m->ambiguous++;
		duet_log(DUET_LOG_DEBUG,
		    "names: %zu Path1 and %zu Path2 names match \"%s\", none aliased", left[0],
		    left[1], key);
	}
	return 0;
}

static int
nm_pair_cmp1(const void *a, const void *b)
{
	const struct duet_name_pair *x = a, *y = b;
	return strcmp(x->path[0], y->path[0]);
}

static int
nm_pair_cmp2(const void *a, const void *b)
{
	const struct duet_name_pair *const *x = a, *const *y = b;
	return strcmp((*x)->path[1], (*y)->path[1]);
}

/* Sorts the pairs both ways. */
static int
nm_index(struct duet_names *m)
{
	if (m->n == 0)
		return 0;
	qsort(m->v, m->n, sizeof(*m->v), nm_pair_cmp1);
	m->by2 = duet_reallocarray(NULL, m->n, sizeof(*m->by2));
	if (m->by2 == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory for %zu aliases", m->n);
	for (size_t i = 0; i < m->n; i++)
		m->by2[i] = &m->v[i];
	qsort(m->by2, m->n, sizeof(*m->by2), nm_pair_cmp2);
	return 0;
}

static int
nm_pair_all(struct nm_build *b)
{
	size_t i = 0, j;
	int rc = 0;

	qsort(b->r, b->nr, sizeof(*b->r), nm_rec_cmp);
	for (int s = 0; s < 2; s++) {
		b->s[s] = duet_reallocarray(NULL, b->nr + 1, sizeof(*b->s[s]));
		if (b->s[s] == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory for %zu names", b->nr);
	}
	while (i < b->nr && rc == 0) {
		for (j = i + 1; j < b->nr && strcmp(b->r[j].key, b->r[i].key) == 0; j++)
			;
		rc = nm_pair_key(b, i, j);
		i = j;
	}
	return rc;
}

int
duet_names_build(struct duet_names *m, const struct duet_listing *l1,
    const struct duet_listing *l2, unsigned flags)
{
	struct nm_build b;
	int rc = 0;

	assert(m->n == 0 && m->by2 == NULL);
	memset(&b, 0, sizeof(b));
	b.m = m;
	b.l[0] = l1;
	b.l[1] = l2;
	b.flags = m->flags = flags;
	duet_arena_init(&b.keys);
	for (int s = 0; s < 2 && rc == 0; s++) {
		nm_sort_extras(m, s);
		rc = nm_collect_side(&b, s);
	}
	if (rc == 0 && b.nr > 0)
		rc = nm_pair_all(&b);
	if (rc == 0)
		rc = nm_index(m);
	if (rc != 0)
		m->n = 0;
	duet_free(b.s[0]);
	duet_free(b.s[1]);
	duet_buf_dispose(&b.kb);
	duet_arena_dispose(&b.keys);
	duet_free(b.r);
	return rc;
}

const char *
duet_names_alias(const struct duet_names *m, int side, const char *path)
{
	size_t lo = 0, hi = m->n;

	assert(side == 1 || side == 2);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct duet_name_pair *p = side == 1 ? &m->v[mid] : m->by2[mid];
		int c = strcmp(p->path[side - 1], path);
		if (c == 0)
			return p->path[2 - side];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
