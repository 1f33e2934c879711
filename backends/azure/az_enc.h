/*
 * az_enc.h: the name encoding rclone's azureblob backend applies by
 * default (its "encoding" option: Slash, BackSlash, Del, Ctl,
 * RightPeriod, InvalidUtf8), so duet and rclone store and list the same
 * names. Azure turns '\' into '/' and drops a trailing '.', and XML
 * cannot carry most control bytes, so these become look-alike symbols:
 *   '\' -> U+FF3C  '/' -> U+FF0F  DEL -> U+2421  0x01..0x1F -> U+2401..
 *   a final '.' -> U+FF0E  an invalid UTF-8 byte B -> U+201B + "%02X"
 * and a name that already holds one of those symbols (or U+2400, or the
 * quote U+201B) gets U+201B before it, so decoding gives it back.
 * Applied per path segment: blob names are the encoded segments joined
 * by '/'. Pure functions, thread-safe.
 */
#ifndef DUET_BACKENDS_AZURE_AZ_ENC_H
#define DUET_BACKENDS_AZURE_AZ_ENC_H

#include <stddef.h>

#include "core/buf.h"

/* The parts of rclone's name encoding (its lib/encoder flags) that the
 * stores use; a mask of them picks one. */
#define DUET_ENC_SLASH 0x01        /* '/' in a name -> U+FF0F */
#define DUET_ENC_BACKSLASH 0x02    /* '\\' -> U+FF3C */
#define DUET_ENC_DEL 0x04          /* DEL -> U+2421 */
#define DUET_ENC_CTL 0x08          /* 0x01..0x1F -> U+2401.. */
#define DUET_ENC_RIGHT_PERIOD 0x10 /* a final '.' -> U+FF0E */
#define DUET_ENC_INVALID_UTF8 0x20 /* an invalid byte B -> U+201B + "%02X" */
#define DUET_ENC_DOT 0x40          /* a name "." or ".." -> U+FF0E once or twice */
/* rclone's azureblob default, and its s3 default. */
#define DUET_ENC_AZURE (DUET_ENC_SLASH | DUET_ENC_BACKSLASH | DUET_ENC_DEL | DUET_ENC_CTL | \
    DUET_ENC_RIGHT_PERIOD | DUET_ENC_INVALID_UTF8)
#define DUET_ENC_S3 (DUET_ENC_SLASH | DUET_ENC_INVALID_UTF8 | DUET_ENC_DOT)

/* As the two below, for the encodings of mask. */
int duet_name_enc_path(struct duet_buf *out, const char *path, unsigned mask);
int duet_name_enc_decode(struct duet_buf *out, const char *name, size_t n, unsigned mask);

/*
 * Appends the decoding of a stored relative path (segments joined by
 * '/', as a recursive listing gives them) to out, segment by segment.
 * DUET_E_BADNAME (no message; duet_name_check's when it set one) when a
 * segment decodes to a name that cannot be a file (empty, "..", a '/'
 * or NUL inside); DUET_E_NOMEM. out must be empty or hold the parent.
 */
int duet_name_enc_decode_path(struct duet_buf *out, const char *path, size_t n, unsigned mask);

/*
 * For a recursive listing, which gives names, not directories: calls
 * emit(ctx, rel, n) for each directory rel[0..n) of the parent
 * rel[0..plen) (empty, or ending in '/') that *last (the previous name's
 * parent) did not have, then makes rel[0..plen) the last. Names come
 * sorted and all names below one directory are one run of that order,
 * so each directory is emitted once. Returns emit's first nonzero value,
 * or DUET_E_NOMEM (no message).
 */
int duet_name_new_parents(struct duet_buf *last, const char *rel, size_t plen,
    int (*emit)(void *ctx, const char *rel, size_t n), void *ctx);

/*
 * Appends path ('/'-separated segments, any bytes but NUL) encoded
 * segment by segment to out. Errors: DUET_E_NOMEM (no message).
 */
int duet_az_enc_path(struct duet_buf *out, const char *path);

/*
 * Appends the decoding of one stored segment name[0..n) to out. Errors:
 * DUET_E_BADNAME (no message) when the result would hold a NUL byte;
 * DUET_E_NOMEM. A '/' may result (from U+FF0F): callers check names.
 */
int duet_az_enc_decode(struct duet_buf *out, const char *name, size_t n);

#endif
