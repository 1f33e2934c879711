/*
 * names.h: matching names across the two sides of a bisync (reference
 * sections 1.5, 1.8 and 1.21). Two spellings are the same file when their
 * keys are equal: the path NFC-normalised (unless DUET_NAME_NO_NFC), then
 * case-folded (with DUET_NAME_FOLD). Each side keeps its raw spelling; the
 * alias map links a Path1 spelling to the different Path2 spelling it
 * matches. A name that is not valid UTF-8 is its own key, byte for byte.
 */
#ifndef DUET_LISTING_NAMES_H
#define DUET_LISTING_NAMES_H

#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/listing.h"

/* Key flags. */
#define DUET_NAME_NO_NFC 0x01u /* --no-unicode-normalization: no NFC */
#define DUET_NAME_FOLD 0x02u   /* case-fold (--ignore-case-sync, or a
                                  case-insensitive side) */

/*
 * The matching key of the path `name` (`len` bytes, need not be
 * NUL-terminated), the whole '/'-separated path at once. On success *key
 * and *keylen describe the key:
 *   - *key == name when the name is its own key; out's content is then
 *     unspecified. Pure-ASCII names get here without touching out (with
 *     DUET_NAME_FOLD, those with no upper-case letter). Names that are
 *     not valid UTF-8 (raw bytes like 0xFF, overlong forms, encoded
 *     surrogates) are their own key too: they match only byte-equal
 *     names, folded or not.
 *   - else *key == out->p: out is reset and holds the key, NUL-terminated,
 *     valid until out is next changed.
 * The key is NFC(name), NFC(casefold(NFD(name))) with DUET_NAME_FOLD, and
 * with DUET_NAME_NO_NFC each code point is folded on its own (nothing
 * composed or reordered). Folding is Unicode's full case folding
 * (utf8proc's CASEFOLD: "ß" keys as "ss"); ASCII letters fold to lower
 * case.
 * Errors: DUET_E_NOMEM, or DUET_E_INVAL when out->max is too small or the
 * name too long to normalise (over SIZE_MAX/8 bytes).
 */
int duet_name_key(const char *name, size_t len, unsigned flags, struct duet_buf *out,
    const char **key, size_t *keylen);

/* One alias: the two spellings of one file. */
struct duet_name_pair {
	const char *path[2]; /* [0] Path1's, [1] Path2's spelling; differ
	                        byte-wise; owned by the map's arena */
};

/* The alias map. Embed it, duet_names_init, then add, build, look up. */
struct duet_names {
	unsigned flags;               /* DUET_NAME_* given to build */
	struct duet_name_pair *v;     /* pairs sorted by path[0]; owned */
	size_t n;                     /* pairs */
	const struct duet_name_pair **by2; /* the pairs of v sorted by path[1];
	                                      owned array */
	const char **extra[2];        /* names added per side (arena); owned arrays */
	size_t nextra[2], capextra[2];
	size_t ambiguous;             /* keys build left unpaired as ambiguous */
	struct duet_arena arena;      /* every string above */
};

void duet_names_init(struct duet_names *m);
/* Frees everything the map owns; NULL-safe. The map is left initialised. */
void duet_names_dispose(struct duet_names *m);

/*
 * Adds a name of side 1 or 2 that is in no listing given to build: the
 * names deleted on that side since the prior run, so a deletion can be
 * matched with a differently spelt name on the other side (section 1.8).
 * The path is copied. Call before duet_names_build. Errors: DUET_E_NOMEM.
 */
int duet_names_add(struct duet_names *m, int side, const char *path);

/*
 * Finds every pair of a Path1 name (in l1 or added for side 1) and a
 * Path2 name (in l2 or added for side 2) that differ byte-wise but have
 * equal keys under `flags`, and records them. l1 and l2 must be sorted
 * (duet_listing_sort), either may be NULL (no listed names); they are
 * only read and may be freed afterwards. Names added after build are
 * ignored.
 *
 * Per key, the names of each side holding it are collected; a name that
 * has a byte-equal name on the other side is matched to that name and
 * never aliased (an exact name wins). Of the rest, a pair is recorded only
 * when exactly one name is left on each side. When more are left on a
 * side (e.g. "A.txt" and "a.txt" both on Path1 with DUET_NAME_FOLD, and
 * "A.TXT" on Path2), none of them is aliased: each stays a name of its own
 * side only, the key is counted in m->ambiguous and logged at DEBUG. Two
 * names of one side are never aliased to each other.
 *
 * Cost: one pass over both listings computing keys; only names that are
 * not their own key are copied or sorted, so pure-ASCII listings without
 * DUET_NAME_FOLD build an empty map with no allocation.
 * One set of flags serves the whole map; the caller picks it (section
 * 1.21: DUET_NAME_FOLD for --ignore-case-sync or a case-insensitive side).
 * Call once per init. Errors: DUET_E_NOMEM, DUET_E_INVAL for a name too
 * long to normalise (the map then holds no pairs; dispose it).
 */
int duet_names_build(struct duet_names *m, const struct duet_listing *l1,
    const struct duet_listing *l2, unsigned flags);

/*
 * The other side's spelling of `path`, a name of side 1 or 2, or NULL
 * when it has none that differs. The result is owned by the map and valid
 * until duet_names_dispose. O(log n). Thread-safe once built.
 */
const char *duet_names_alias(const struct duet_names *m, int side, const char *path);

#endif
