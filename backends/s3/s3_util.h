/*
 * s3_util.h: small helpers around S3 responses that need no parser: the
 * fields of an error document, the mapping of S3 error codes and HTTP
 * statuses to DUET_E_* (the one place that does it), the failure message,
 * the %-decoding of listed keys and the ISO 8601 times S3 writes. No
 * state: thread-safe.
 */
#ifndef DUET_BACKENDS_S3_S3_UTIL_H
#define DUET_BACKENDS_S3_S3_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* An S3 error document's fields, NUL-terminated, truncated to fit. */
struct duet_s3_error {
	char code[128];       /* <Code>, e.g. "NoSuchKey"; "" when none */
	char message[1024];   /* <Message>; "" when none */
	char request_id[128]; /* <RequestId> */
	char region[64];      /* <Region>, on a wrong-region error */
	char endpoint[256];   /* <Endpoint>, on PermanentRedirect */
};

/*
 * The DUET_E_* code for a failed request, from the S3 error code (NULL or
 * "" when the body had none, as for HEAD) when it is one we know, else
 * from the HTTP status:
 *   NoSuchKey, NoSuchBucket, NoSuchUpload, NoSuchVersion -> NOTFOUND;
 *   AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, ExpiredToken,
 *   InvalidToken, AccountProblem, AllAccessDisabled, RequestTimeTooSkewed,
 *   AuthorizationHeaderMalformed -> AUTH;
 *   SlowDown, InternalError, ServiceUnavailable, RequestTimeout,
 *   OperationAborted, TemporaryRedirect -> TEMP;
 *   BucketAlreadyExists, BucketAlreadyOwnedByYou -> EXIST;
 *   BucketNotEmpty -> NOTEMPTY; PreconditionFailed -> CHANGED;
 *   BadDigest, InvalidDigest, XAmzContentSHA256Mismatch -> HASH;
 *   KeyTooLongError -> NAMETOOLONG; QuotaExceeded -> NOSPC;
 *   NotImplemented, MethodNotAllowed -> UNSUPPORTED;
 *   InvalidObjectState -> PERM; other known client errors -> INVAL.
 * Status: 404 -> NOTFOUND, 401/403 -> AUTH, 408/429/5xx -> TEMP, 409 ->
 * EXIST, 412 -> CHANGED, other 3xx/4xx -> INVAL, anything else (an
 * unknown code in a 200) -> IO.
 */
int duet_s3_error_code(int http_status, const char *code);

/*
 * Sets this thread's error message for a failed request and returns the
 * mapped code: "s3: WHAT: MESSAGE (CODE, HTTP NNN)", plus the region or
 * endpoint S3 names for a redirect. `what` names the operation and
 * object ("get dir/a.txt"); e may be NULL (status only).
 */
int duet_s3_error_set(int http_status, const struct duet_s3_error *e, const char *what);

/*
 * Appends the decoding of n bytes of s (S3's encoding-type=url, which is
 * form encoding: %XX is a byte, '+' a space) to out. Errors: DUET_E_INVAL
 * (message set) for a '%' not followed by two hex digits; DUET_E_NOMEM.
 */
int duet_s3_url_decode(const char *s, size_t n, struct duet_buf *out);

/*
 * Parses an ISO 8601 time as S3 writes it ("2009-10-12T17:50:30.000Z";
 * any fraction up to ns, 'Z' or a +hh:mm offset) into *ns. Errors:
 * DUET_E_INVAL (message set, quoting at most 40 bytes) for anything else
 * or a year outside 1678..2261.
 */
int duet_s3_time_parse(const char *s, size_t n, int64_t *ns);

#endif
