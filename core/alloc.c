/*
 * alloc.c: allocation wrappers with failure injection for tests.
 */
#include "alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_long alloc_countdown;
static atomic_long alloc_total;

static int
alloc_should_fail(void)
{
	atomic_fetch_add(&alloc_total, 1);
	if (atomic_load(&alloc_countdown) <= 0)
		return 0;
	return atomic_fetch_sub(&alloc_countdown, 1) == 1;
}

void
duet_alloc_fail_at(long n)
{
	atomic_store(&alloc_countdown, n);
}

long
duet_alloc_count(void)
{
	return atomic_load(&alloc_total);
}

void *
duet_malloc(size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return malloc(n == 0 ? 1 : n);
}

void *
duet_calloc(size_t count, size_t size)
{
	if (alloc_should_fail())
		return NULL;
	return calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
}

void *
duet_realloc(void *p, size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return realloc(p, n == 0 ? 1 : n);
}

void *
duet_reallocarray(void *p, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		return NULL;
	return duet_realloc(p, count * size);
}

char *
duet_strndup(const char *s, size_t n)
{
	char *d = duet_malloc(n + 1);
	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
duet_strdup(const char *s)
{
	return duet_strndup(s, strlen(s));
}

void
duet_free(void *p)
{
	free(p);
}
