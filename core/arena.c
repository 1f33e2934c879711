/*
 * arena.c: bump allocator in 64 KiB blocks (larger requests get their own).
 */
#include "arena.h"

#include <string.h>

#include "alloc.h"

#define ARENA_BLOCK (64 * 1024)

struct duet_arena_block {
	struct duet_arena_block *next;
	size_t size;
	_Alignas(8) unsigned char data[];
};

void
duet_arena_init(struct duet_arena *a)
{
	a->head = NULL;
	a->used = 0;
	a->total = 0;
}

void
duet_arena_dispose(struct duet_arena *a)
{
	struct duet_arena_block *b, *next;
	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		duet_free(b);
	}
	duet_arena_init(a);
}

void *
duet_arena_alloc(struct duet_arena *a, size_t n)
{
	struct duet_arena_block *b;
	size_t size;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (a->head == NULL || a->head->size - a->used < n) {
		size = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
		b = duet_malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->size = size;
		if (size == n && a->head != NULL) {
			/* Big request: keep the current head block for small ones. */
			b->next = a->head->next;
			a->head->next = b;
			a->total += size;
			return b->data;
		}
		b->next = a->head;
		a->head = b;
		a->used = 0;
		a->total += size;
	}
	p = a->head->data + a->used;
	a->used += n;
	return p;
}

char *
duet_arena_strndup(struct duet_arena *a, const char *s, size_t n)
{
	char *d = duet_arena_alloc(a, n + 1);
	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}
