/*
 * s3_sign.h: AWS Signature Version 4 for S3 requests (header form, one
 * chunk), our own implementation over OpenSSL. One call per request,
 * duet_s3_sign, yields the encoded path and query to put in the URL and
 * the header lines to send, both from the same encoding the signature
 * used, so the URL and the signature cannot disagree. The lower-level
 * steps are exported for the test vectors. Secrets (the secret key and
 * every derived key) are never logged or put in a message, and the
 * temporary copies are wiped.
 */
#ifndef DUET_BACKENDS_S3_S3_SIGN_H
#define DUET_BACKENDS_S3_S3_SIGN_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"

/* Hex SHA-256 of the empty body. */
#define DUET_S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* Payload hash of a body that is sent without being hashed first. */
#define DUET_S3_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

#define DUET_S3_HEX_LEN 65      /* 64 hex digits + NUL */
#define DUET_S3_AMZ_DATE_LEN 17 /* "20130524T000000Z" + NUL */
#define DUET_S3_KEY_LEN 32      /* bytes of a signing key */
#define DUET_S3_REGION_MAX 63   /* bytes of a region name */
#define DUET_S3_SECRET_MAX 1024 /* bytes of a secret access key */
#define DUET_S3_HEADERS_MAX 64  /* caller headers of one request */
#define DUET_S3_QUERY_MAX 256   /* query parameters of one request */

/* Credentials, borrowed for the duration of a call. */
struct duet_s3_creds {
	const char *access_key_id;     /* printable ASCII, no '/', ',' or space */
	const char *secret_access_key; /* secret: never logged */
	const char *session_token;     /* NULL or "" when none; secret too */
};

/* A name and a value: a query parameter or a header. Raw (unencoded). */
struct duet_s3_kv {
	const char *name;
	const char *value; /* NULL means "": a valueless parameter such as
	                      `uploads` is canonicalised as `uploads=` */
};

/*
 * One request to sign. Every pointer is borrowed for the call.
 */
struct duet_s3_sigreq {
	/* "GET", "PUT", "HEAD", "POST", "DELETE" */
	const char *method;
	/* the Host header exactly as it will be sent, with ":port" when the
	   port is not the scheme's default (curl adds it then) */
	const char *host;
	/* raw bytes, '/'-rooted: "/bucket/key" (path style) or "/key"; NULL
	   or "" means "/". Encoded once; "//" and "." segments are kept as
	   they are (send with CURLOPT_PATH_AS_IS) */
	const char *path;
	/* nquery parameters, in any order */
	const struct duet_s3_kv *query;
	size_t nquery;
	/* nheaders more headers to sign, which the caller also sends with the
	   same values: x-amz-*, content-md5, content-type, range, date...
	   Never host, authorization, x-amz-date, x-amz-content-sha256 or
	   x-amz-security-token: those are ours */
	const struct duet_s3_kv *headers;
	size_t nheaders;
	/* 64 lower-case hex digits (see duet_s3_payload_hash) or
	   DUET_S3_UNSIGNED_PAYLOAD; NULL means DUET_S3_EMPTY_SHA256 */
	const char *payload_hash;
};

#define DUET_S3_SIGNED_LINES 4

/*
 * What duet_s3_sign yields. Owned by the caller: duet_s3_signed_init
 * before the first use, duet_s3_signed_dispose after the last (it wipes
 * the header lines, which may hold the session token). Signing into a
 * used struct resets it first.
 */
struct duet_s3_signed {
	/* encoded path, then '?' and the query (sorted, encoded) when there
	   is one: append to "scheme://host" as it is */
	struct duet_buf target;
	/* bytes of target that are the path */
	size_t path_len;
	/* the canonical request (no secret in it), to compare with the one
	   S3 returns in a SignatureDoesNotMatch error */
	struct duet_buf canonical;
	/* the string to sign */
	struct duet_buf sts;
	/* "YYYYMMDDTHHMMSSZ" */
	char amz_date[DUET_S3_AMZ_DATE_LEN];
	/* lower-case hex */
	char signature[DUET_S3_HEX_LEN];
	/* storage of line[] */
	struct duet_buf lines;
	/* nline "Name: value" lines to send, pointing into `lines`:
	   x-amz-date, x-amz-content-sha256, x-amz-security-token (when a
	   token is given), Authorization */
	const char *line[DUET_S3_SIGNED_LINES];
	size_t nline;
};

/*
 * A signing key kept for reuse: it depends only on the credentials, the
 * day and the region. Caller-owned, zeroed (or duet_s3_keycache_wipe'd)
 * before first use; not thread-safe (one per connection or thread).
 */
struct duet_s3_keycache {
	int valid;                           /* key is usable */
	char date[9];                        /* YYYYMMDD of the key */
	char region[DUET_S3_REGION_MAX + 1]; /* region of the key */
	unsigned char who[32];               /* SHA-256 of key id NUL secret */
	unsigned char key[DUET_S3_KEY_LEN];  /* the signing key: secret */
};

void duet_s3_signed_init(struct duet_s3_signed *s);
void duet_s3_signed_dispose(struct duet_s3_signed *s);

/* Wipes and invalidates a key cache. NULL-safe. */
void duet_s3_keycache_wipe(struct duet_s3_keycache *kc);

/*
 * Signs request r for S3 in `region` at time `now` (UTC seconds) with
 * credentials c, filling *out (see struct duet_s3_signed). The signed
 * headers are host, x-amz-content-sha256, x-amz-date, x-amz-security-token
 * when c has a token, and r->headers. Errors (message set, no secret in
 * it): DUET_E_INVAL for a missing or malformed field (empty key id or
 * secret, a secret over DUET_S3_SECRET_MAX bytes, a bad region, a path
 * not starting with '/', a header name that is not an HTTP token or is
 * one of ours, a duplicate header, a value with a control character, a
 * bad payload hash, too many headers or parameters, a time before 1970
 * or after 9999); DUET_E_NOMEM; DUET_E_IO when OpenSSL fails. On error
 * *out holds nothing useful but must still be disposed.
 */
int duet_s3_sign(const struct duet_s3_creds *c, const char *region, const struct duet_s3_sigreq *r,
                 time_t now, struct duet_s3_signed *out);

/*
 * duet_s3_sign, with the signing key taken from *kc when it was derived
 * for the same credentials, day and region, and stored there otherwise.
 */
int duet_s3_sign_cached(struct duet_s3_keycache *kc, const struct duet_s3_creds *c,
                        const char *region, const struct duet_s3_sigreq *r, time_t now,
                        struct duet_s3_signed *out);

/*
 * Appends the encoding of n bytes of s to out: every byte but A-Z a-z
 * 0-9 - _ . ~ as %XX (upper-case hex); '/' too unless keep_slash (the
 * path keeps it, query names and values do not). Errors: DUET_E_NOMEM.
 */
int duet_s3_uri_encode(struct duet_buf *out, const char *s, size_t n, int keep_slash);

/*
 * Appends the canonical request to out and the signed header list
 * ("host;range;x-amz-date") to signed_headers (which may be NULL):
 *   METHOD \n encoded path \n sorted query \n
 *   name:value \n ... \n (names lower-cased, sorted; values trimmed,
 *   inner runs of blanks made one space) \n signed headers \n payload hash
 * Exactly the headers given are signed (host included, if wanted), so
 * this also serves other services' test vectors. Errors: DUET_E_INVAL as
 * for duet_s3_sign, DUET_E_NOMEM.
 */
int duet_s3_canonical_request(const char *method, const char *path, const struct duet_s3_kv *query,
                              size_t nquery, const struct duet_s3_kv *headers, size_t nheaders,
                              const char *payload_hash, struct duet_buf *out,
                              struct duet_buf *signed_headers);

/*
 * Appends the string to sign to out: "AWS4-HMAC-SHA256\n" amz_date "\n"
 * scope "\n" hex(SHA-256(canonical)). scope is "DATE/REGION/SERVICE/
 * aws4_request". Errors: DUET_E_NOMEM, DUET_E_IO.
 */
int duet_s3_string_to_sign(const char *amz_date, const char *scope, const char *canonical,
                           size_t len, struct duet_buf *out);

/*
 * Derives the signing key HMAC(HMAC(HMAC(HMAC("AWS4" secret, date8),
 * region), service), "aws4_request") into key. date8 is "YYYYMMDD". The
 * key is secret; it stays valid for that day. Errors: DUET_E_INVAL
 * (empty or over-long secret, bad date), DUET_E_IO.
 */
int duet_s3_signing_key(const char *secret, const char *date8, const char *region,
                        const char *service, unsigned char key[DUET_S3_KEY_LEN]);

/* Lower-case hex HMAC-SHA256 of the string to sign. Errors: DUET_E_IO. */
int duet_s3_signature(const unsigned char key[DUET_S3_KEY_LEN], const char *sts, size_t len,
                      char hex[DUET_S3_HEX_LEN]);

/* Lower-case hex SHA-256 of a body held in memory, the payload hash to
 * sign. Errors: DUET_E_IO. */
int duet_s3_payload_hash(const void *data, size_t n, char hex[DUET_S3_HEX_LEN]);

/* Writes t as "YYYYMMDDTHHMMSSZ". Errors: DUET_E_INVAL outside years
 * 1970..9999. */
int duet_s3_amz_date(time_t t, char out[DUET_S3_AMZ_DATE_LEN]);

#endif
