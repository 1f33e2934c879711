/*
 * http.h: the HTTP client the S3 and Azure Blob backends share, a thin
 * layer over libcurl. One client (struct duet_http) per opened remote holds
 * a pool of connections that every worker thread borrows from (keep-alive
 * connections and TLS sessions persist across requests), retries requests
 * as rclone does (--low-level-retries, Retry-After, backoff with jitter),
 * applies the process-wide --bwlimit, and maps failures to DUET_E_* codes
 * with one-line messages whose URLs have their secrets redacted.
 *
 * No secret reaches a log or a message: URLs go through duet_http_redact()
 * and header values are never logged.
 */
#ifndef DUET_BACKENDS_HTTP_HTTP_H
#define DUET_BACKENDS_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/bwlimit.h"
#include "core/buf.h"

/* Defaults of struct duet_http_opts (set by duet_http_opts_init). */
#define DUET_HTTP_DEF_RETRIES 10          /* rclone --low-level-retries */
#define DUET_HTTP_DEF_CONNECT_MS 60000    /* rclone --contimeout 1m */
#define DUET_HTTP_DEF_IDLE_MS 300000      /* rclone --timeout 5m */
#define DUET_HTTP_DEF_MAX_CONNS 16
#define DUET_HTTP_DEF_BACKOFF_MS 20       /* first retry waits about this */
#define DUET_HTTP_DEF_BACKOFF_MAX_MS 3000 /* no backoff wait is longer */
#define DUET_HTTP_DEF_RETRY_AFTER_MAX_MS 300000 /* cap on a Retry-After */
#define DUET_HTTP_DEF_MAX_BODY (16 << 20) /* cap on a buffered response body */
#define DUET_HTTP_ERR_BODY_MAX (64 << 10) /* an error body keeps this much */

/* Sleeps ns nanoseconds (the retry waits); see duet_http_opts.sleep. */
typedef void (*duet_http_sleep_fn)(void *ctx, int64_t ns);

/* Options of a client. Strings are copied by duet_http_new. */
struct duet_http_opts {
	const char *user_agent; /* User-Agent; NULL: "duet" */
	const char *ca_cert;    /* PEM file of the CAs to trust instead of
	                           the system's; NULL: the system store */
	int insecure;           /* nonzero: no TLS verification (tests only) */
	long connect_timeout_ms;/* TCP+TLS connect; 0: no limit */
	long idle_timeout_ms;   /* abort a transfer idle this long (rclone
	                           --timeout); 0: no limit. Second granularity */
	int low_level_retries;  /* attempts per request (rclone's flag: 10 means
	                           up to 10 tries); values below 1 act as 1 */
	int max_conns;          /* most requests in flight (pool size) */
	struct duet_bwlimit *bwlimit; /* bucket charged with every body byte
	                           up and down; NULL: duet_bwlimit_global() */
	long backoff_ms;        /* first backoff wait (doubles each retry) */
	long backoff_max_ms;    /* cap on a backoff wait */
	long retry_after_max_ms;/* cap on a server's Retry-After */
	duet_http_sleep_fn sleep; /* retry waits; NULL: nanosleep (tests
	                           record the waits instead) */
	void *sleep_ctx;        /* passed to sleep */
};

/* Fills o with the defaults above (and NULL / 0 elsewhere). */
void duet_http_opts_init(struct duet_http_opts *o);

struct duet_http;

/*
 * Creates a client. Initialises libcurl once per process (thread-safe).
 * Errors: DUET_E_NOMEM, DUET_E_IO (libcurl could not be set up).
 * Free with duet_http_free once no request is in flight.
 */
int duet_http_new(const struct duet_http_opts *o, struct duet_http **out);
/* Frees the client and closes its connections. NULL-safe. Every stream
 * must be closed and no request running. */
void duet_http_free(struct duet_http *c);

/* Headers the sign callback adds to one attempt (owned by the request). */
struct duet_http_hdrs;
/* Appends one "Name: value" line (copied). DUET_E_NOMEM, or DUET_E_INVAL
 * for a line with CR or LF or no ':'. */
int duet_http_hdrs_add(struct duet_http_hdrs *h, const char *line);
int duet_http_hdrs_addf(struct duet_http_hdrs *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct duet_http_req;
/*
 * Called before EVERY attempt (a retry needs a fresh date and signature),
 * on the requesting thread. It sees the request (method, URL, the caller's
 * headers) and adds what it computes (x-amz-date, Authorization, ...) to
 * add, which starts empty each attempt. Returns 0 or a DUET_E_* code with
 * the message set; the request then fails with that code, untried.
 */
typedef int (*duet_http_sign_fn)(void *ctx, const struct duet_http_req *req,
    struct duet_http_hdrs *add);
/* Request body reader: fills up to n bytes of buf and returns how many
 * (>0), 0 at the end, or a negative DUET_E_* code (message set). */
typedef ssize_t (*duet_http_read_fn)(void *ctx, void *buf, size_t n);
/* Starts the request body again from its first byte: 0 or a code. */
typedef int (*duet_http_rewind_fn)(void *ctx);
/* Response body sink: consumes n bytes; returns 0 or a DUET_E_* code
 * (message set), which stops the request and is returned by it. */
typedef int (*duet_http_sink_fn)(void *ctx, const void *data, size_t n);
/* Forgets what the sink received, before a retry resends the body. */
typedef int (*duet_http_reset_fn)(void *ctx);

/*
 * One request. Everything is borrowed for the duration of the call.
 * The body is either memory (body, body_len) or a reader (body_read,
 * body_size bytes exactly); with neither, none is sent (PUT and POST
 * then send Content-Length: 0). A memory body is always resent on a
 * retry; a reader only if body_rewind is set or none of its bytes had
 * been sent. curl adds no Content-Type and no Expect of its own.
 */
struct duet_http_req {
	const char *method;         /* "GET", "HEAD", "PUT", "POST", "DELETE"... */
	const char *url;            /* full URL, already encoded; its query may
	                               hold secrets (redacted in messages) */
	const char *const *headers; /* "Name: value" lines, or NULL */
	size_t nheaders;
	const void *body;           /* memory body or NULL */
	size_t body_len;
	duet_http_read_fn body_read;     /* reader body or NULL */
	duet_http_rewind_fn body_rewind; /* NULL: the reader cannot rewind */
	void *body_ctx;
	int64_t body_size;          /* bytes body_read yields */
	duet_http_sign_fn sign;     /* NULL: unsigned */
	void *sign_ctx;
	/* A 2xx response body goes to sink when set, else into resp->body
	 * (at most max_body bytes: more fails with DUET_E_IO). */
	duet_http_sink_fn sink;
	duet_http_reset_fn sink_reset; /* NULL: no retry once sink got bytes */
	void *sink_ctx;
	size_t max_body;            /* 0: DUET_HTTP_DEF_MAX_BODY */
};

/* The outcome of a request; init before use, dispose after. */
struct duet_http_resp {
	long status;          /* final HTTP status; 0 when none arrived */
	char reason[64];      /* its reason phrase ("Not Found"), maybe "" */
	struct duet_buf body; /* the body when no sink took it; the error body
	                         (status not 2xx, DUET_HTTP_ERR_BODY_MAX bytes
	                         at most) in any case */
	int tries;            /* attempts made */
	int64_t received;     /* body bytes of the final attempt */
	struct duet_buf hdrs; /* private: the final response's headers */
};

void duet_http_resp_init(struct duet_http_resp *r);
void duet_http_resp_dispose(struct duet_http_resp *r); /* NULL-safe */

/*
 * The value of the final response's header `name` (any case), without
 * surrounding blanks; the first one if repeated. NULL when absent.
 * Valid until the resp is reused or disposed.
 */
const char *duet_http_resp_header(const struct duet_http_resp *r, const char *name);
/*
 * Iterates the final response's headers whose name starts with prefix (any
 * case; "" for all), e.g. "x-amz-meta-". *pos starts at 0. Returns 1 with
 * *name (namelen bytes, not NUL-terminated) and *value (NUL-terminated)
 * set, 0 at the end. Pointers valid as for duet_http_resp_header.
 */
int duet_http_resp_header_next(const struct duet_http_resp *r, size_t *pos,
    const char *prefix, const char **name, size_t *namelen, const char **value);

/*
 * Performs req on c, retrying as rclone does, and fills resp (which the
 * caller has initialised; earlier content is replaced).
 *
 * Retried (up to low_level_retries attempts in all): connection failures
 * (refused, reset, timed out, cut short, transient TLS handshake errors)
 * and HTTP 408, 429, 500, 502, 503, 504, waiting Retry-After (seconds or
 * an HTTP date) when the server sent one, else an exponential backoff
 * with jitter. Not retried: other statuses, a body that cannot be resent,
 * a sink that cannot be reset, errors of the callbacks.
 *
 * Returns 0 for a 2xx status. Otherwise a code, with the message "METHOD
 * URL: ..." (URL redacted) and resp->status / resp->body left for the
 * caller to refine (e.g. from the XML error code):
 *   401, 403              DUET_E_AUTH
 *   404                   DUET_E_NOTFOUND
 *   409, 412              DUET_E_EXIST
 *   405, 501              DUET_E_UNSUPPORTED
 *   400, 411, 413-416     DUET_E_INVAL
 *   507                   DUET_E_NOSPC
 *   408, 429, other 5xx   DUET_E_TEMP (after the retries)
 *   other statuses        DUET_E_IO
 *   connect, cut, DNS     DUET_E_NET (a DNS failure is not retried)
 *   TLS not trusted       DUET_E_NET, "TLS certificate of HOST not
 *                         trusted: ...; set ca_cert or fix the server's
 *                         certificate" (never retried)
 *   bad URL, ca_cert      DUET_E_INVAL
 *   callbacks             their own code
 * Thread-safe: any number of threads may call it on one client; each
 * waits for a free connection when max_conns are busy.
 */
int duet_http_do(struct duet_http *c, const struct duet_http_req *req,
    struct duet_http_resp *resp);

/*
 * A response read as a pull stream (for a backend's open_read). Opening
 * performs req with the retries above up to the response headers; a 2xx
 * gives a stream (req->sink is ignored), anything else fails as
 * duet_http_do does. A failure in the middle of the body is not retried:
 * read returns DUET_E_NET and the caller may reopen with a Range. The
 * stream holds one pooled connection until closed and belongs to one
 * thread at a time. req (with everything it points to) and resp must
 * stay valid until close; resp's headers are those of the stream's
 * response.
 */
struct duet_http_stream;
int duet_http_stream_open(struct duet_http *c, const struct duet_http_req *req,
    struct duet_http_resp *resp, struct duet_http_stream **out);
/* Reads up to n bytes: bytes read, 0 at the end of the body, or a code
 * (DUET_E_NET when the connection broke or the body ended short; the
 * failure sticks, later reads return it again). */
ssize_t duet_http_stream_read(struct duet_http_stream *s, void *buf, size_t n);
/* Ends the stream (an unfinished body closes its connection). NULL-safe. */
void duet_http_stream_close(struct duet_http_stream *s);

/*
 * Copies url to out (size outsz, always NUL-terminated, truncated with
 * "..." when short) with its secrets replaced by "REDACTED": the value of
 * the query parameters sig, X-Amz-Signature, X-Amz-Credential,
 * X-Amz-Security-Token (any case), and a password in user:password@.
 * Returns out.
 */
char *duet_http_redact(const char *url, char *out, size_t outsz);

/* 1 when the header `name` (any case) carries a secret and its value must
 * never be logged: Authorization, Proxy-Authorization,
 * x-amz-security-token, x-ms-copy-source-authorization, Cookie. */
int duet_http_header_secret(const char *name);

#endif
