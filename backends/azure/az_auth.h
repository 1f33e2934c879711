/*
 * az_auth.h: SharedKey authentication of Azure Blob requests, with no
 * network code: the StringToSign of the Blob service (version 2015-02-21
 * and later), its HMAC-SHA256 with the account key, the percent-encoding
 * of blob names and query values, and the base64 and percent-decoding
 * helpers the rest of backends/azure shares. SAS tokens are in az_sas.h;
 * the remote's config becomes a base URL in az_conn.h.
 *
 * Secrets: an account key lives only in struct duet_az_key and is wiped by
 * duet_az_key_wipe; no message set here ever contains a key or signature.
 */
#ifndef DUET_BACKENDS_AZURE_AZ_AUTH_H
#define DUET_BACKENDS_AZURE_AZ_AUTH_H

#include <stddef.h>

#include "core/buf.h"

/*
 * The x-ms-version every request sends. 2021-12-02 is the first version
 * with the Cold access tier (rclone's access_tier takes hot, cool, cold,
 * archive). Azurite 3.35.0 accepts it; checked there with requests signed
 * by this file: create container, Put Blob, Put Block, Put Block List
 * with x-ms-blob-content-md5 and x-ms-access-tier, List Blobs with
 * include=metadata, ranged Get, and an account SAS from az_sas.h.
 */
#define DUET_AZ_API_VERSION "2021-12-02"

#define DUET_AZ_KEY_MAX 256 /* bytes of a decoded account key (Azure: 64) */
#define DUET_AZ_SIG_LEN 45  /* base64 of an HMAC-SHA256 (44) + NUL */

/* One request header as it will be sent. Names in any case. */
struct duet_az_header {
	const char *name;  /* "Content-MD5", "x-ms-meta-mtime"; borrowed */
	const char *value; /* borrowed; NULL counts as absent */
};

/* A decoded account key. Embedded by value; wipe it when done. */
struct duet_az_key {
	unsigned char b[DUET_AZ_KEY_MAX]; /* raw key bytes */
	size_t len;                       /* bytes used; 0 = no key */
};

/*
 * Decodes a base64 account key (standard alphabet, padding required, no
 * whitespace) into *out. Errors: DUET_E_AUTH when it is not base64, is
 * empty or decodes to more than DUET_AZ_KEY_MAX bytes; the message never
 * quotes the key.
 */
int duet_az_key_decode(const char *b64, struct duet_az_key *out);

/* Overwrites the key bytes (OPENSSL_cleanse) and sets len to 0. NULL-safe. */
void duet_az_key_wipe(struct duet_az_key *k);

/*
 * Appends to `out` the SharedKey StringToSign of one request:
 *   VERB, Content-Encoding, Content-Language, Content-Length ("" when 0),
 *   Content-MD5, Content-Type, Date ("" when x-ms-date is sent),
 *   If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since, Range,
 *   each + "\n", then the x-ms-* headers (names lower-cased, sorted by
 *   byte, values trimmed, "name:value\n"), then "/" account path, then each
 *   query parameter: name lower-cased, sorted, "\nname:value", values
 *   URL-decoded ('+' as a space, as Azure and Azurite read it), repeated
 *   names' values sorted and comma-joined.
 * `path` is the URL path exactly as sent (already encoded, starting with
 * '/'; for a path-style emulator it begins with "/account", so the account
 * appears twice). `query` is the query string as sent, without '?' and
 * without a SAS token; NULL or "" for none. h/nh: the headers that will be
 * sent; other headers (Host, User-Agent, Expect) do not matter.
 *
 * Caveats: Azurite drops query parameters with an empty value and keeps
 * the last of repeated names, so requests should send neither; it sorts
 * x-ms-* names with localeCompare, so metadata names that differ only in
 * '-' against '_' may sign differently there.
 *
 * Values are trimmed at both ends but inner runs of blanks are kept (as
 * Azurite and the Azure SDKs sign them), so send values without them.
 *
 * Errors: DUET_E_INVAL when a header name or value holds CR or LF, a
 * header is given twice, the query has a bad %-escape or a %00, path does
 * not start with '/' or account is empty. DUET_E_NOMEM. On error `out`
 * may hold part of the string.
 */
int duet_az_string_to_sign(const char *account, const char *method, const char *path,
                           const char *query, const struct duet_az_header *h, size_t nh,
                           struct duet_buf *out);

/*
 * Signs a request as above and appends the whole header line
 * "Authorization: SharedKey account:base64(HMAC-SHA256(key, StringToSign))"
 * (no CRLF) to `line`, ready for curl_slist_append. Errors as
 * duet_az_string_to_sign; DUET_E_INVAL for an empty key; DUET_E_IO when
 * OpenSSL fails.
 */
int duet_az_sign(const char *account, const struct duet_az_key *key, const char *method,
                 const char *path, const char *query, const struct duet_az_header *h, size_t nh,
                 struct duet_buf *line);

/* base64(HMAC-SHA256(key, msg)) into out (DUET_AZ_SIG_LEN bytes).
 * Errors: DUET_E_IO when OpenSSL fails. */
int duet_az_hmac_b64(const struct duet_az_key *key, const void *msg, size_t n, char *out);

/*
 * Appends a blob (or container) name percent-encoded for a URL path:
 * A-Z a-z 0-9 - . _ ~ and '/' stay, every other byte becomes %XX (upper
 * case hex), so ' ' is %20, '+' %2B, '%' %25, '?' %3F, '#' %23 and UTF-8
 * is encoded byte by byte. The result is both the URL path and the path
 * the signature covers. Errors: DUET_E_NOMEM.
 */
int duet_az_path_encode(struct duet_buf *out, const char *name);

/*
 * Appends "name=value" to a query string (with '&' first unless q is
 * empty), the value encoded as duet_az_path_encode does but with '/' as
 * %2F too. `name` is appended as is (ASCII names only). Errors: NOMEM.
 */
int duet_az_query_add(struct duet_buf *q, const char *name, const char *value);

/*
 * Decodes %XX escapes of s[0..n) into out (appended); other bytes, '+'
 * included, are copied. Errors: DUET_E_INVAL for '%' not followed by two
 * hex digits (no message: callers set their own); DUET_E_NOMEM.
 */
int duet_az_pct_decode(const char *s, size_t n, struct duet_buf *out);

/* Appends standard base64 (with padding) of data[0..n). Errors: NOMEM. */
int duet_az_base64_encode(const void *data, size_t n, struct duet_buf *out);

/*
 * Decodes standard base64 s[0..n) (padding required, no whitespace) into
 * out (cap bytes), setting *outlen. Errors: DUET_E_INVAL (no message) when
 * s is not base64 or the result exceeds cap.
 */
int duet_az_base64_decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *outlen);

#endif
