/*
 * http_stream.c: a response body read on demand. Opening runs the request
 * (with its retries) until a 2xx's headers are in; the transfer then stays
 * in its slot's multi handle and read() drives it just far enough to have
 * bytes, pausing curl while a buffer of unread bytes is full, so memory
 * stays bounded whatever the object's size.
 */
#include "http_int.h"

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

static int
stream_has_data(struct http_xfer *x)
{
	return x->sbuf.len > x->spos;
}

int
duet_http_stream_open(struct duet_http *c, const struct duet_http_req *req,
    struct duet_http_resp *resp, struct duet_http_stream **out)
{
	struct duet_http_stream *s;
	int rc;

	*out = NULL;
	s = duet_calloc(1, sizeof(*s));
	if (s == NULL)
		return duet_err_set(DUET_E_NOMEM, "http: out of memory");
	s->x.c = c;
	s->x.req = req;
	s->x.resp = resp;
	s->x.stream = 1;
	rc = http_slot_get(c, &s->x.slot);
	if (rc != 0) {
		duet_free(s);
		return rc;
	}
	rc = http_run(&s->x, 1);
	if (rc != 0) {
		http_slot_put(c, s->x.slot);
		duet_buf_dispose(&s->x.sbuf);
		duet_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* The end of the transfer: 0 for a complete body, else the failure. */
static int
stream_finish(struct duet_http_stream *s)
{
	struct http_xfer *x = &s->x;
	struct http_verdict v = http_verdict(x);

	http_xfer_end(x);
	if (v.code == 0)
		return 0;
	return http_fail(x, v);
}

ssize_t
duet_http_stream_read(struct duet_http_stream *s, void *buf, size_t n)
{
	struct http_xfer *x = &s->x;
	size_t avail;
	int rc;

	while (s->err == 0 && !stream_has_data(x)) {
		if (x->done) {
			s->err = stream_finish(s);
			if (s->err == 0)
				return 0;
			break;
		}
		duet_buf_reset(&x->sbuf);
		x->spos = 0;
		if (x->paused) {
			x->paused = 0;
			curl_easy_pause(x->slot->easy, CURLPAUSE_CONT);
		}
		rc = http_xfer_drive(x, stream_has_data);
		if (rc != 0)
			s->err = rc;
	}
	if (s->err != 0)
		return s->err;
	avail = x->sbuf.len - x->spos;
	if (n > avail)
		n = avail;
	memcpy(buf, x->sbuf.p + x->spos, n);
	x->spos += n;
	return (ssize_t)n;
}

void
duet_http_stream_close(struct duet_http_stream *s)
{
	if (s == NULL)
		return;
	/* Removing an unfinished transfer makes curl close its connection. */
	http_xfer_end(&s->x);
	http_slot_put(s->x.c, s->x.slot);
	duet_buf_dispose(&s->x.sbuf);
	duet_free(s);
}
