/*
 * buf.h: the one growable byte buffer: pointer, length, capacity and a hard
 * cap. Always NUL-terminated after a successful append, so `p` can be used
 * as a C string when the content has no NUL of its own.
 */
#ifndef DUET_CORE_BUF_H
#define DUET_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct duet_buf {
	char *p;     /* owned; NULL until the first append */
	size_t len;  /* bytes used, excluding the terminating NUL */
	size_t cap;  /* bytes allocated */
	size_t max;  /* hard cap on len; 0 means SIZE_MAX/2 */
};

#define DUET_BUF_INIT {NULL, 0, 0, 0}

/* Appends; DUET_E_NOMEM on allocation failure, DUET_E_INVAL past the cap. */
int duet_buf_append(struct duet_buf *b, const void *data, size_t n);
int duet_buf_puts(struct duet_buf *b, const char *s);
int duet_buf_putc(struct duet_buf *b, char c);
int duet_buf_printf(struct duet_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int duet_buf_vprintf(struct duet_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Makes room for n more bytes without changing len. */
int duet_buf_reserve(struct duet_buf *b, size_t n);
void duet_buf_reset(struct duet_buf *b);       /* len = 0, keeps memory */
void duet_buf_dispose(struct duet_buf *b);     /* frees; NULL-safe */
/* Hands the string to the caller (who frees with duet_free); b is reset. */
char *duet_buf_detach(struct duet_buf *b);

#endif
