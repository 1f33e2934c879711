/*
 * http_xfer.c: one attempt of a request on a pooled slot. Sets the easy
 * handle up from the request (method, body, headers plus what the signer
 * adds), runs it inside the slot's multi handle, and holds the curl
 * callbacks: the request body reader (charged to the bandwidth limit),
 * the response header collector and the body writer (sink, buffer or
 * pull-stream buffer, also charged).
 */
#include "http_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"

#define XFER_HDRS_MAX (256 << 10) /* response header bytes kept */

static size_t
xfer_read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	struct http_xfer *x = ud;
	const struct duet_http_req *r = x->req;
	size_t room = size * nitems, n = 0;
	ssize_t got;
	char u[512];

	if (r->body != NULL) {
		n = r->body_len - x->mem_pos;
		if (n > room)
			n = room;
		memcpy(buf, (const char *)r->body + x->mem_pos, n);
		x->mem_pos += n;
	} else if (r->body_read != NULL && x->sent < r->body_size) {
		if ((uint64_t)room > (uint64_t)(r->body_size - x->sent))
			room = (size_t)(r->body_size - x->sent);
		got = r->body_read(r->body_ctx, buf, room);
		if (got < 0) {
			x->code = (int)got;
			return CURL_READFUNC_ABORT;
		}
		if (got == 0 || (size_t)got > room) {
			x->code = duet_err_set(DUET_E_IO,
			    "%s %s: request body ended after %lld of %lld bytes",
			    r->method, duet_http_redact(r->url, u, sizeof(u)),
			    (long long)x->sent, (long long)r->body_size);
			return CURL_READFUNC_ABORT;
		}
		n = (size_t)got;
	}
	x->sent += (int64_t)n;
	duet_bwlimit_charge(x->c->bw, n);
	return n;
}

/* curl rewinds the body itself when it resends on a fresh connection. */
static int
xfer_seek_cb(void *ud, curl_off_t offset, int origin)
{
	struct http_xfer *x = ud;
	const struct duet_http_req *r = x->req;

	if (offset != 0 || origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	if (r->body_read != NULL && x->sent > 0) {
		if (r->body_rewind == NULL)
			return CURL_SEEKFUNC_CANTSEEK;
		if (r->body_rewind(r->body_ctx) != 0)
			return CURL_SEEKFUNC_FAIL;
	}
	x->mem_pos = 0;
	x->sent = 0;
	return CURL_SEEKFUNC_OK;
}

/* A status line "HTTP/1.1 404 Not Found" starts a response afresh. */
static void
xfer_status_line(struct http_xfer *x, const char *line, size_t n)
{
	struct duet_http_resp *resp = x->resp;
	size_t i = 0, j;
	long st = 0;

	while (i < n && line[i] != ' ')
		i++;
	while (i < n && line[i] == ' ')
		i++;
	for (j = 0; j < 3 && i < n && line[i] >= '0' && line[i] <= '9'; j++, i++)
		st = st * 10 + (line[i] - '0');
	while (i < n && line[i] == ' ')
		i++;
	j = 0;
	while (i < n && line[i] != '\r' && line[i] != '\n' && j + 1 < sizeof(resp->reason))
		resp->reason[j++] = line[i++];
	resp->reason[j] = '\0';
	resp->status = st;
	duet_buf_reset(&resp->hdrs);
	x->hdr_done = 0;
}

static size_t
xfer_header_cb(char *line, size_t size, size_t nitems, void *ud)
{
	struct http_xfer *x = ud;
	struct duet_http_resp *resp = x->resp;
	size_t n = size * nitems, len = n;

	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		xfer_status_line(x, line, n);
		return n;
	}
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
	    line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len == 0) {
		if (resp->status >= 200 && !x->hdr_done) {
			x->hdr_done = 1;
			x->to_sink = resp->status < 300 && x->req->sink != NULL &&
			    !x->stream;
		}
		return n;
	}
	/* Continuation lines (obsolete folding), lines with a NUL and overflow
	 * are dropped; lines are kept as "Name: value\0". */
	if (line[0] == ' ' || line[0] == '\t' || memchr(line, ':', len) == NULL ||
	    memchr(line, '\0', len) != NULL ||
	    resp->hdrs.len + len + 1 > XFER_HDRS_MAX)
		return n;
	if (duet_buf_append(&resp->hdrs, line, len) != 0 ||
	    duet_buf_append(&resp->hdrs, "", 1) != 0) {
		x->code = duet_err_set(DUET_E_NOMEM, "%s: out of memory", x->req->method);
		return 0;
	}
	return n;
}

static size_t
xfer_write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct http_xfer *x = ud;
	struct duet_http_resp *resp = x->resp;
	size_t n = size * nmemb, cap;
	int ok2xx = resp->status >= 200 && resp->status < 300;
	int rc;
	char u[512];

	if (x->to_sink) {
		duet_bwlimit_charge(x->c->bw, n);
		x->sink_dirty = 1;
		rc = x->req->sink(x->req->sink_ctx, data, n);
		if (rc != 0) {
			x->code = rc;
			return 0;
		}
	} else if (x->stream && ok2xx) {
		if (x->sbuf.len - x->spos >= HTTP_STREAM_HIGH) {
			x->paused = 1;
			return CURL_WRITEFUNC_PAUSE;
		}
		duet_bwlimit_charge(x->c->bw, n);
		if (duet_buf_append(&x->sbuf, data, n) != 0) {
			x->code = duet_err_set(DUET_E_NOMEM, "%s: out of memory", x->req->method);
			return 0;
		}
	} else {
		duet_bwlimit_charge(x->c->bw, n);
		cap = !ok2xx ? DUET_HTTP_ERR_BODY_MAX :
		    x->req->max_body ? x->req->max_body : DUET_HTTP_DEF_MAX_BODY;
		if (resp->body.len + n > cap && ok2xx) {
			x->code = duet_err_set(DUET_E_IO, "%s %s: response body larger than %zu bytes",
			    x->req->method, duet_http_redact(x->req->url, u, sizeof(u)), cap);
			return 0;
		}
		if (resp->body.len < cap &&
		    duet_buf_append(&resp->body, data, n < cap - resp->body.len ? n :
		    cap - resp->body.len) != 0) {
			x->code = duet_err_set(DUET_E_NOMEM, "%s: out of memory", x->req->method);
			return 0;
		}
	}
	resp->received += (int64_t)n;
	return n;
}

/* Makes this attempt's header list: the caller's, the signer's, and two
 * blanks that stop curl adding Expect and a form Content-Type itself. */
static int
xfer_headers(struct http_xfer *x)
{
	const struct duet_http_req *r = x->req;
	struct duet_http_hdrs add = {NULL};
	struct curl_slist *l = NULL, *t, *p;
	int have_ctype = 0, rc = 0;
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		if (strncasecmp(r->headers[i], "Content-Type:", 13) == 0)
			have_ctype = 1;
		if ((t = curl_slist_append(l, r->headers[i])) == NULL)
			goto nomem;
		l = t;
	}
	if ((t = curl_slist_append(l, "Expect:")) == NULL)
		goto nomem;
	l = t;
	if (!have_ctype) {
		if ((t = curl_slist_append(l, "Content-Type:")) == NULL)
			goto nomem;
		l = t;
	}
	if (r->sign != NULL) {
		rc = r->sign(r->sign_ctx, r, &add);
		if (rc != 0)
			goto out;
		for (p = add.list; p != NULL; p = p->next) {
			if ((t = curl_slist_append(l, p->data)) == NULL)
				goto nomem;
			l = t;
		}
	}
	x->hdrs = l;
	l = NULL;
	goto out;
nomem:
	rc = duet_err_set(DUET_E_NOMEM, "%s: out of memory", r->method);
out:
	curl_slist_free_all(add.list);
	curl_slist_free_all(l);
	return rc;
}

/* Options every attempt gets. curl_easy_setopt of these cannot fail for
 * valid values except on memory, which the first perform reports. */
static void
xfer_common(struct http_xfer *x, CURL *e)
{
	const struct duet_http *c = x->c;

	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->slot->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SHARE, c->share);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	if (c->o.connect_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
	if (c->o.idle_timeout_ms > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
		    (c->o.idle_timeout_ms + 999) / 1000);
	}
	if (c->o.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (c->ca_cert != NULL) {
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_cert);
	}
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, xfer_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, xfer_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	/* A streamed body comes in large pieces: fewer reads from the socket
	 * and fewer hand-overs to the reader. */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, x->stream ? HTTP_STREAM_RECV : 0L);
}

static void
xfer_method(struct http_xfer *x, CURL *e)
{
	const struct duet_http_req *r = x->req;
	int has_body = r->body != NULL || r->body_read != NULL;
	curl_off_t size = r->body != NULL ? (curl_off_t)r->body_len :
	    r->body_read != NULL ? (curl_off_t)r->body_size : 0;

	if (has_body || strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_READFUNCTION, xfer_read_cb);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, xfer_seek_cb);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
	}
	if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, size);
	} else if (has_body || strcmp(r->method, "PUT") == 0) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, size);
		if (strcmp(r->method, "PUT") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	} else if (strcmp(r->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	}
}

int
http_xfer_start(struct http_xfer *x)
{
	CURL *e = x->slot->easy;
	struct duet_http_resp *resp = x->resp;
	CURLMcode mc;
	int rc;

	x->mem_pos = 0;
	x->sent = 0;
	x->hdr_done = x->to_sink = x->code = x->done = x->paused = 0;
	x->cc = CURLE_OK;
	x->spos = 0;
	duet_buf_reset(&x->sbuf);
	resp->status = 0;
	resp->reason[0] = '\0';
	resp->received = 0;
	duet_buf_reset(&resp->body);
	duet_buf_reset(&resp->hdrs);
	x->slot->errbuf[0] = '\0';
	rc = xfer_headers(x);
	if (rc != 0)
		return rc;
	curl_easy_reset(e);
	xfer_common(x, e);
	xfer_method(x, e);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	if (curl_easy_setopt(e, CURLOPT_URL, x->req->url) != CURLE_OK)
		return duet_err_set(DUET_E_INVAL, "%s: invalid or overlong URL", x->req->method);
	mc = curl_multi_add_handle(x->slot->multi, e);
	if (mc != CURLM_OK)
		return duet_err_set(DUET_E_IO, "%s: curl: %s", x->req->method,
		    curl_multi_strerror(mc));
	x->added = 1;
	return 0;
}

int
http_xfer_drive(struct http_xfer *x, int (*enough)(struct http_xfer *))
{
	CURLM *m = x->slot->multi;
	CURLMsg *msg;
	CURLMcode mc;
	int running, left;

	while (!x->done) {
		mc = curl_multi_perform(m, &running);
		if (mc != CURLM_OK)
			return duet_err_set(DUET_E_IO, "%s: curl: %s", x->req->method,
			    curl_multi_strerror(mc));
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg == CURLMSG_DONE) {
				x->done = 1;
				x->cc = msg->data.result;
			}
		}
		if (x->done || (enough != NULL && enough(x)))
			break;
		mc = curl_multi_poll(m, NULL, 0, 1000, NULL);
		if (mc != CURLM_OK)
			return duet_err_set(DUET_E_IO, "%s: curl: %s", x->req->method,
			    curl_multi_strerror(mc));
	}
	return 0;
}

void
http_xfer_end(struct http_xfer *x)
{
	if (x->added)
		curl_multi_remove_handle(x->slot->multi, x->slot->easy);
	x->added = 0;
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
}

int
http_xfer_rewind(struct http_xfer *x)
{
	const struct duet_http_req *r = x->req;
	int rc;

	if (r->body_read != NULL && x->sent > 0) {
		if (r->body_rewind == NULL)
			return 1;
		rc = r->body_rewind(r->body_ctx);
		if (rc != 0)
			return rc;
	}
	if (x->sink_dirty) {
		if (r->sink_reset == NULL)
			return 1;
		rc = r->sink_reset(r->sink_ctx);
		if (rc != 0)
			return rc;
		x->sink_dirty = 0;
	}
	return 0;
}
