/*
 * http_int.h: what the files of the HTTP layer share and nothing outside
 * uses. http.c owns the client, the connection pool and the retry loop;
 * http_xfer.c runs one attempt on a pooled handle (curl callbacks, the
 * multi loop); http_err.c classifies and maps failures and redacts URLs;
 * http_stream.c turns an attempt into a pull stream.
 *
 * Every request runs on a pooled slot: an easy handle inside its own multi
 * handle, which keeps the slot's connections alive between requests (one
 * thread reusing a slot reuses its connection). DNS and TLS sessions are
 * shared by all slots of a client through a CURLSH.
 */
#ifndef DUET_BACKENDS_HTTP_HTTP_INT_H
#define DUET_BACKENDS_HTTP_HTTP_INT_H

#include <curl/curl.h>
#include <pthread.h>

#include "http.h"

struct http_slot {
	CURL *easy;
	CURLM *multi;
	struct http_slot *next;        /* in the idle list */
	char errbuf[CURL_ERROR_SIZE];  /* curl's detail of the last failure */
};

struct duet_http {
	struct duet_http_opts o;       /* strings point into the copies below */
	char *user_agent;              /* owned */
	char *ca_cert;                 /* owned, or NULL */
	struct duet_bwlimit *bw;       /* borrowed (maybe the global one) */
	CURLSH *share;
	pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
	int share_mu_n;                /* how many of share_mu are initialised */
	int pool_ok;                   /* pool_mu and pool_cv are initialised */
	pthread_mutex_t pool_mu;
	pthread_cond_t pool_cv;
	struct http_slot *idle;        /* LIFO: the warmest connection first */
	int nslots;                    /* slots created (busy or idle) */
};

struct duet_http_hdrs {
	struct curl_slist *list;       /* owned */
};

/* One attempt of a request on a slot. */
struct http_xfer {
	struct duet_http *c;
	const struct duet_http_req *req;
	struct duet_http_resp *resp;
	struct http_slot *slot;
	struct curl_slist *hdrs;       /* this attempt's header list, owned */
	int attempt;                   /* 1 for the first */
	int added;                     /* the easy handle is in the multi */
	/* request body */
	size_t mem_pos;                /* next byte of a memory body */
	int64_t sent;                  /* body bytes handed to curl */
	/* response */
	int hdr_done;                  /* the final response's headers are in */
	int to_sink;                   /* body of this 2xx goes to the sink */
	int sink_dirty;                /* the sink got bytes this request */
	int code;                      /* a callback's failure, or 0 */
	int done;                      /* curl finished the transfer */
	CURLcode cc;                   /* its result when done */
	/* pull stream (http_stream.c) */
	int stream;                    /* nonzero: 2xx body into sbuf */
	int paused;                    /* curl is paused on a full sbuf */
	struct duet_buf sbuf;          /* received, unread body bytes */
	size_t spos;                   /* next unread byte of sbuf */
};

/* A pull stream (http_stream.c). */
struct duet_http_stream {
	struct http_xfer x;
	int err;                       /* sticky failure of read, or 0 */
};

/* Unread bytes at which a stream pauses its transfer: its buffer never
 * holds much more (one curl write, at most HTTP_STREAM_RECV, beyond). */
#define HTTP_STREAM_HIGH (256 << 10)
/* curl's receive buffer for streamed bodies (its default is 16 KiB). */
#define HTTP_STREAM_RECV (256L << 10)

/* A verdict on a finished attempt (http_err.c). */
struct http_verdict {
	int code;                      /* 0: success, else the DUET_E_* code */
	int retry;                     /* worth another attempt */
};

/* http.c */
int http_slot_get(struct duet_http *c, struct http_slot **out);
void http_slot_put(struct duet_http *c, struct http_slot *s);
/* Runs attempts of x (already bound to its slot) until one succeeds, one
 * fails for good, or the tries run out; with stop_at_headers, an attempt
 * that gets a 2xx stops after its headers. Sets the message on failure. */
int http_run(struct http_xfer *x, int stop_at_headers);

/* http_xfer.c */
/* Sets up attempt x->attempt of x on its slot and adds it to the multi. */
int http_xfer_start(struct http_xfer *x);
/* Drives x until done, or until enough(x) holds (NULL: until done). */
int http_xfer_drive(struct http_xfer *x, int (*enough)(struct http_xfer *));
/* Takes x's easy handle out of the multi (if in) and frees the attempt's
 * headers. An unfinished transfer loses its connection. */
void http_xfer_end(struct http_xfer *x);
/* Before a retry: restarts the body and the sink. 0, or a code when the
 * attempt cannot be resent (message not set). */
int http_xfer_rewind(struct http_xfer *x);

/* http_err.c */
/* The verdict on a finished attempt (x->done). */
struct http_verdict http_verdict(const struct http_xfer *x);
/* Sets the message and returns the code of a failed request. */
int http_fail(const struct http_xfer *x, struct http_verdict v);
/* ns to wait before attempt `attempt + 1` (Retry-After or backoff). */
int64_t http_retry_wait(const struct duet_http *c,
    const struct duet_http_resp *resp, int attempt);
/* A short description of the attempt's failure for the retry log. */
void http_describe(const struct http_xfer *x, char *out, size_t outsz);

#endif
