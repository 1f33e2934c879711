/*
 * timeglob.h: expanding the {...} time globs of --conflict-suffix.
 */
#ifndef DUET_CONFLICT_TIMEGLOB_H
#define DUET_CONFLICT_TIMEGLOB_H

#include <stddef.h>
#include <time.h>

/*
 * Copies in to out (len bytes, NUL-terminated), each {...} group replaced
 * by the time tm (with nsec nanoseconds) formatted by the group: a named
 * layout (DateOnly, TimeOnly, DateTime, RFC3339, Kitchen, ANSIC, UnixDate,
 * RFC822, RFC1123, Stamp, MacFriendlyTime or mac, YYYYMMDD) or a layout in
 * Go's reference-time form ({2006-01-02_150405}); text the layout does
 * not recognise is kept. A '{' without a '}' is kept as is.
 * Errors: DUET_E_INVAL when the result does not fit (out is truncated).
 */
int duet_timeglob_expand(const char *in, const struct tm *tm, long nsec, char *out, size_t len);

#endif
