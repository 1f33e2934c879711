/*
 * glob.h: rclone's path glob patterns, compiled once into a matcher that is
 * queried many times. A pattern is matched against a whole path relative
 * to the root ("dir/file.jpg"): with a leading '/' it is anchored there,
 * otherwise it must match a tail of the path that starts at the beginning
 * or after a '/'. Plain globs become a tiny NFA run over UTF-8 runes (no
 * allocation, linear time); a pattern holding {{regexp}} becomes a POSIX
 * extended regex (libc regexec). A compiled glob is immutable and may be
 * matched from many threads at once.
 */
#ifndef DUET_CORE_GLOB_H
#define DUET_CORE_GLOB_H

#include <stddef.h>

struct duet_glob;

#define DUET_GLOB_ICASE 0x01 /* case-insensitive, as rclone's --ignore-case */
#define DUET_GLOB_ERE 0x02   /* always use the POSIX regex engine (tests,
                                fuzzing: cross-checks the NFA) */

/* Longest program a plain glob may compile to (about that many runes). */
#define DUET_GLOB_MAX_INSNS 2048

/*
 * Compiles `pattern` (rclone's glob syntax, see docs/filtering.md). On a
 * bad pattern returns DUET_E_INVAL and writes a one-line reason ("mismatched
 * '[' and ']'") into why[0..whylen) without setting the thread's error
 * message, so the caller can name where the pattern came from. Returns
 * DUET_E_NOMEM (message set) when out of memory. On success *out is owned
 * by the caller and freed with duet_glob_free.
 */
int duet_glob_compile(const char *pattern, unsigned flags, struct duet_glob **out,
    char *why, size_t whylen);

/* Frees a compiled glob; NULL is a no-op. */
void duet_glob_free(struct duet_glob *g);

/*
 * 1 when path[0..len) matches, followed by one '/' when `dir` is 1 (rclone
 * matches directories as "dir/"). path need not be NUL-terminated for a
 * plain glob. Thread-safe. Does not allocate, except that {{regexp}}
 * patterns run libc's regexec (which may); if that copy fails the answer
 * is 0.
 */
int duet_glob_match(const struct duet_glob *g, const char *path, size_t len, int dir);

/* 1 when the pattern used {{regexp}} (and so runs on the regex engine). */
int duet_glob_is_regexp(const struct duet_glob *g);

#endif
