/*
 * pct.h: percent-decoding, shared by the object-store backends (S3's
 * encoding-type=url listings, Azure's encoded names and SAS queries).
 */
#ifndef DUET_BACKENDS_HTTP_PCT_H
#define DUET_BACKENDS_HTTP_PCT_H

#include <stddef.h>

#include "core/buf.h"

/*
 * Appends the decoding of s[0..n) to out: %XX is that byte; '+' is a space
 * when plus is set (form encoding), else itself. Nothing is reserved
 * first, so a capped out fails only if the result does not fit. Errors:
 * DUET_E_INVAL without a message for '%' not followed by two hex digits
 * (callers say what they were decoding); out's own errors (DUET_E_NOMEM,
 * DUET_E_INVAL over its cap).
 */
int duet_pct_decode(const char *s, size_t n, int plus, struct duet_buf *out);

#endif
