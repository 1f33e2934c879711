/*
 * az_time.h: the two time formats the Azure Blob backend meets. RFC 1123
 * ("Sun, 06 Nov 1994 08:49:37 GMT") in x-ms-date, Last-Modified headers
 * and List Blobs properties; RFC 3339 in the "mtime" metadata rclone
 * writes. Times are ns since the Unix epoch, UTC, as in core/entry.h.
 * Pure arithmetic: no locale, no time zone, thread-safe.
 */
#ifndef DUET_BACKENDS_AZURE_AZ_TIME_H
#define DUET_BACKENDS_AZURE_AZ_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DUET_AZ_DATE_LEN 30    /* "Sun, 06 Nov 1994 08:49:37 GMT" + NUL */
#define DUET_AZ_RFC3339_LEN 31 /* "2006-01-02T15:04:05.000000000Z" + NUL */

/*
 * Parses an RFC 1123 date in GMT, exactly as HTTP and Azure write it
 * (day name, two-digit day, English month, four-digit year, "GMT"), into
 * *ns. Errors: DUET_E_INVAL, with no message (the caller knows what it was
 * reading), when the text is not such a date or lies outside the years
 * 1678..2261 that int64 ns can hold.
 */
int duet_az_time_parse_http(const char *s, int64_t *ns);

/*
 * Parses an RFC 3339 time ("2006-01-02T15:04:05.123456789+01:00"; 'Z' or
 * a numeric offset; 0-9 fraction digits, more are truncated) into *ns.
 * Errors: DUET_E_INVAL without a message, as above.
 */
int duet_az_time_parse_rfc3339(const char *s, int64_t *ns);

/* Writes t (seconds, UTC) as an RFC 1123 date into out, which holds at
 * least DUET_AZ_DATE_LEN bytes. For x-ms-date. Cannot fail for years
 * 0..9999; out is "" otherwise. */
void duet_az_time_format_http(time_t t, char *out);

/* Writes ns as RFC 3339 UTC with nine fraction digits, the layout rclone
 * stores in the "mtime" metadata, into out (at least DUET_AZ_RFC3339_LEN
 * bytes). */
void duet_az_time_format_rfc3339(int64_t ns, char *out);

#endif
