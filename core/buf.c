/*
 * buf.c: growable buffer with a hard cap.
 */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

int
duet_buf_reserve(struct duet_buf *b, size_t n)
{
	size_t max = b->max ? b->max : SIZE_MAX / 2;
	size_t need, cap;
	char *p;

	if (n > max || b->len > max - n)
		return duet_err_set(DUET_E_INVAL, "buffer limit of %zu bytes exceeded", max);
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	p = duet_realloc(b->p, cap);
	if (p == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory growing a buffer to %zu bytes", cap);
	b->p = p;
	b->cap = cap;
	return 0;
}

int
duet_buf_append(struct duet_buf *b, const void *data, size_t n)
{
	int rc = duet_buf_reserve(b, n);
	if (rc != 0)
		return rc;
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
duet_buf_puts(struct duet_buf *b, const char *s)
{
	return duet_buf_append(b, s, strlen(s));
}

int
duet_buf_putc(struct duet_buf *b, char c)
{
	return duet_buf_append(b, &c, 1);
}

int
duet_buf_vprintf(struct duet_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, rc;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return duet_err_set(DUET_E_INVAL, "bad format");
	rc = duet_buf_reserve(b, (size_t)n);
	if (rc != 0)
		return rc;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
duet_buf_printf(struct duet_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = duet_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
duet_buf_reset(struct duet_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
duet_buf_dispose(struct duet_buf *b)
{
	if (b == NULL)
		return;
	duet_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *
duet_buf_detach(struct duet_buf *b)
{
	char *p = b->p;
	if (p == NULL)
		p = duet_strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}
