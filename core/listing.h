/*
 * listing.h: a sorted array of entries plus the arenas that own their
 * strings. Sort order is the byte order of the path, the order LMDB keys
 * sort in, so comparing two listings is a merge.
 */
#ifndef DUET_CORE_LISTING_H
#define DUET_CORE_LISTING_H

#include <stddef.h>

#include "arena.h"
#include "entry.h"

struct duet_listing {
	struct duet_entry *v;       /* entries; owned */
	size_t n;                   /* entries used */
	size_t cap;                 /* entries allocated */
	struct duet_arena *arenas;  /* own every path and hash record; owned */
	size_t narenas;
	long errors;                /* directories that could not be read */
	int root_missing;           /* 1 when the root itself does not exist */
};

void duet_listing_init(struct duet_listing *l);
void duet_listing_dispose(struct duet_listing *l);

/* Appends a copy of e (path and hashes copied into the listing's first
 * arena). DUET_E_NOMEM on failure. */
int duet_listing_add(struct duet_listing *l, const struct duet_entry *e);
/* Sorts by path bytes. */
void duet_listing_sort(struct duet_listing *l);
/* Binary search (listing must be sorted); NULL when absent. */
const struct duet_entry *duet_listing_find(const struct duet_listing *l, const char *path);
/* Moves all of src's entries and arenas into dst (src is left empty). */
int duet_listing_absorb(struct duet_listing *dst, struct duet_listing *src);
/* Byte-order comparison of two paths, as used for sorting. */
int duet_path_cmp(const char *a, const char *b);

#endif
