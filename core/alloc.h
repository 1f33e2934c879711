/*
 * alloc.h: allocation wrappers. All duet code allocates through these, so a
 * test can make the Nth allocation fail (duet_alloc_fail_at) and prove that
 * every error path cleans up. They return NULL on failure and never abort.
 */
#ifndef DUET_CORE_ALLOC_H
#define DUET_CORE_ALLOC_H

#include <stddef.h>

void *duet_malloc(size_t n);
void *duet_calloc(size_t count, size_t size);
void *duet_realloc(void *p, size_t n);
/* Multiplies count*size with an overflow check; NULL on overflow. */
void *duet_reallocarray(void *p, size_t count, size_t size);
char *duet_strdup(const char *s);
char *duet_strndup(const char *s, size_t n);
void duet_free(void *p);

/*
 * Make the n-th allocation from now fail (1 = the next one); 0 disarms.
 * Thread-safe. Returns nothing; duet_alloc_count() says how many happened.
 */
void duet_alloc_fail_at(long n);
long duet_alloc_count(void);

#endif
