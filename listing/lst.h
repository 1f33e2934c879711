/*
 * lst.h: rclone bisync's listing file format (".lst", reference section
 * 2.1), read into and written from a struct duet_listing, so duet can
 * import an rclone workdir and tests can compare with rclone's golden
 * listings. Also the Go-compatible name quoting the queue files share.
 * Times in files are UTC with nanoseconds; duet's mtime 0 ("unknown") is
 * written as Go's zero time 0001-01-01T00:00:00.000000000+0000.
 */
#ifndef DUET_LISTING_LST_H
#define DUET_LISTING_LST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/listing.h"

/* Length of a formatted time, "2006-01-02T15:04:05.000000000+0000". */
#define DUET_LST_TIME_LEN 34

/* What reading a file found besides its entries. */
struct duet_lst_info {
	int hash_kind;      /* duet kind of the file's hashes; -1 when the file
	                       has no typed hash or one duet does not know
	                       (crc32, quickxor, ...: entries then carry none) */
	char hash_name[32]; /* the hash name of the first typed line, lower
	                       case as read; "" when none */
	long bad_lines;     /* lines ignored as incorrect (NOTICE logged) */
	long dup_lines;     /* duplicate names dropped (NOTICE logged) */
	long mixed_lines;   /* lines ignored for another hash type (NOTICE) */
};

/*
 * Parses a listing file held in memory (data[0..len), need not be NUL
 * terminated) and appends its entries to *out, which must be empty or
 * initialised with duet_listing_init. Lines that are empty or start with
 * '#' are skipped; a line that does not match rclone's format exactly is
 * skipped with NOTICE `Ignoring incorrect line: "<line>"`. Of duplicate
 * names the line with the later modtime is kept (a tie keeps the line read
 * last). The result is sorted by path. `what` names the file in messages
 * (may be NULL). *info may be NULL.
 * Errors: DUET_E_NOMEM (*out then holds what was added; dispose it).
 */
int duet_lst_parse(const char *data, size_t len, const char *what,
    struct duet_listing *out, struct duet_lst_info *info);
/* As duet_lst_parse, reading all of f. Errors also: DUET_E_IO. */
int duet_lst_read(FILE *f, const char *what, struct duet_listing *out,
    struct duet_lst_info *info);
/* As duet_lst_read on the file at path. Errors also: DUET_E_NOTFOUND,
 * DUET_E_PERM (from fopen). */
int duet_lst_read_path(const char *path, struct duet_listing *out,
    struct duet_lst_info *info);

/*
 * Writes l (sorted by path) to f in rclone's format: the header
 * "# bisync listing v1 from <saved_ns as UTC time>", then one line per
 * entry. Entries carrying hash_kind (a duet kind, or -1 for none) get
 * "<name>:<hex>", others "-". Errors: DUET_E_IO, DUET_E_NOMEM.
 */
int duet_lst_write(FILE *f, const struct duet_listing *l, int hash_kind,
    int64_t saved_ns);
/* Writes to "<path>.tmp", fsyncs, renames over path. Errors as
 * duet_lst_write plus those of fopen/rename, mapped from errno. */
int duet_lst_write_path(const char *path, const struct duet_listing *l,
    int hash_kind, int64_t saved_ns);
/* Appends one entry line (with '\n') as duet_lst_write would write it. */
int duet_lst_format_entry(struct duet_buf *b, const struct duet_entry *e,
    int hash_kind);

/*
 * Appends s[0..n) quoted like Go's strconv.Quote: in double quotes, `"`
 * and `\` escaped, \a \b \f \n \r \t \v, other control bytes and bytes
 * that are not valid UTF-8 as \xHH, other non-printable runes as \uHHHH
 * or \UHHHHHHHH, printable runes as they are. "Printable" follows Go's
 * unicode.IsPrint: Unicode categories L, M, N, P, S plus U+0020, taken
 * from utf8proc's tables. That is an approximation: Go and utf8proc may
 * ship different Unicode versions, so a code point assigned in one and
 * not the other is quoted differently. Errors: DUET_E_NOMEM.
 */
int duet_lst_quote(struct duet_buf *b, const char *s, size_t n);
/*
 * Reverses Go's strconv.Unquote for a double-quoted string: q[0..n) must
 * start and end with '"'. The bytes between go to *out (reset first). Go's
 * rules: escapes \a \b \f \n \r \t \v \\ \" \xHH \NNN (octal <= 0377)
 * \uHHHH \UHHHHHHHH (valid runes only); an unescaped '"' or newline, or
 * any other escape, is an error; a raw byte that is not valid UTF-8
 * becomes U+FFFD. Errors: DUET_E_INVAL (message not set, the caller
 * knows the context), DUET_E_NOMEM.
 */
int duet_lst_unquote(const char *q, size_t n, struct duet_buf *out);

/* Formats ns since the epoch (UTC) into out (DUET_LST_TIME_LEN + 1
 * bytes); 0 gives the zero time 0001-01-01T00:00:00.000000000+0000. */
void duet_lst_format_time(int64_t ns, char *out);
/*
 * Parses exactly DUET_LST_TIME_LEN bytes of "YYYY-MM-DDTHH:MM:SS.nnnnnnnnn
 * +HHMM" (any numeric zone) into ns since the epoch, UTC. The zero time
 * gives 0. Errors: DUET_E_INVAL for a malformed or out-of-range date, or
 * one outside the int64 nanosecond range (years 1677..2262).
 */
int duet_lst_parse_time(const char *s, size_t n, int64_t *ns);

#endif
