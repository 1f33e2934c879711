/*
 * arena.h: a bump allocator for many small objects with one lifetime
 * (listing paths, hash records). Not thread-safe: one arena per thread or
 * per listing. Everything is freed at once by duet_arena_dispose.
 */
#ifndef DUET_CORE_ARENA_H
#define DUET_CORE_ARENA_H

#include <stddef.h>

struct duet_arena_block;

struct duet_arena {
	struct duet_arena_block *head; /* newest block; owned */
	size_t used;                   /* bytes used in head */
	size_t total;                  /* bytes allocated in all blocks */
};

void duet_arena_init(struct duet_arena *a);
void duet_arena_dispose(struct duet_arena *a);
/* Returns n bytes aligned to 8, valid until dispose; NULL on no memory. */
void *duet_arena_alloc(struct duet_arena *a, size_t n);
/* Copies n bytes and adds a NUL. */
char *duet_arena_strndup(struct duet_arena *a, const char *s, size_t n);

#endif
