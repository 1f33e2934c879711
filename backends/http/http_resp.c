/*
 * http_resp.c: the small data types around a request: the header list a
 * signer adds to, and the response with its captured headers, kept as
 * "Name: value\0" lines in one buffer and looked up by name in any case.
 */
#include "http_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/error.h"

int
duet_http_hdrs_add(struct duet_http_hdrs *h, const char *line)
{
	struct curl_slist *t;

	if (strpbrk(line, "\r\n") != NULL || strchr(line, ':') == NULL || line[0] == ':')
		return duet_err_set(DUET_E_INVAL, "http: malformed header line");
	t = curl_slist_append(h->list, line);
	if (t == NULL)
		return duet_err_set(DUET_E_NOMEM, "http: out of memory");
	h->list = t;
	return 0;
}

int
duet_http_hdrs_addf(struct duet_http_hdrs *h, const char *fmt, ...)
{
	struct duet_buf b = DUET_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = duet_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = duet_http_hdrs_add(h, b.p != NULL ? b.p : "");
	else
		rc = duet_err_set(DUET_E_NOMEM, "http: out of memory");
	duet_buf_dispose(&b);
	return rc;
}

void
duet_http_resp_init(struct duet_http_resp *r)
{
	memset(r, 0, sizeof(*r));
}

void
duet_http_resp_dispose(struct duet_http_resp *r)
{
	if (r == NULL)
		return;
	duet_buf_dispose(&r->body);
	duet_buf_dispose(&r->hdrs);
	memset(r, 0, sizeof(*r));
}

int
duet_http_resp_header_next(const struct duet_http_resp *r, size_t *pos,
    const char *prefix, const char **name, size_t *namelen, const char **value)
{
	size_t plen = strlen(prefix), len, nl;
	const char *line, *colon, *v;

	while (*pos < r->hdrs.len) {
		line = r->hdrs.p + *pos;
		len = strlen(line);
		*pos += len + 1;
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		nl = (size_t)(colon - line);
		while (nl > 0 && (line[nl - 1] == ' ' || line[nl - 1] == '\t'))
			nl--;
		if (nl < plen || strncasecmp(line, prefix, plen) != 0)
			continue;
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		*name = line;
		*namelen = nl;
		*value = v;
		return 1;
	}
	return 0;
}

const char *
duet_http_resp_header(const struct duet_http_resp *r, const char *name)
{
	size_t pos = 0, nl, want = strlen(name);
	const char *n, *v;

	while (duet_http_resp_header_next(r, &pos, name, &n, &nl, &v))
		if (nl == want)
			return v;
	return NULL;
}
