/*
 * remote.c: remote spec parsing (local paths, :type,k=v:path, name:path).
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include "remote.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "error.h"

const char *
duet_remote_get(const struct duet_remote *r, const char *key)
{
	for (size_t i = 0; i < r->nkv; i++)
		if (strcmp(r->kv[i].key, key) == 0)
			return r->kv[i].value;
	return NULL;
}

int
duet_remote_get_bool(const struct duet_remote *r, const char *key, int def)
{
	const char *s = duet_remote_get(r, key);

	if (s == NULL || *s == '\0')
		return def;
	return strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 || strcmp(s, "1") == 0;
}

int64_t
duet_remote_get_size(const struct duet_remote *r, const char *key, int64_t def)
{
	const char *s = duet_remote_get(r, key);
	int64_t v;

	if (s == NULL || *s == '\0')
		return def;
	return duet_parse_size(s, &v) == 0 ? v : -1;
}

int
duet_parse_size(const char *s, int64_t *out)
{
	static const char units[] = "BKMGTP";
	const char *u;
	char *end;
	double v, mult = 1024; /* rclone: a bare number is KiB */

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !(v >= 0))
		return -1;
	if (*end != '\0') {
		if ((u = strchr(units, toupper((unsigned char)*end))) == NULL)
			return -1;
		mult = pow(1024.0, (double)(u - units));
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if ((*end == 'B' || *end == 'b') && mult > 1)
			end++;
		if (*end != '\0')
			return -1;
	}
	if (v * mult > 9.2e18)
		return -1;
	*out = (int64_t)llround(v * mult);
	return 0;
}

int
duet_remote_add(struct duet_remote *r, const char *key, const char *value)
{
	struct duet_remote_kv *kv;
	kv = duet_reallocarray(r->kv, r->nkv + 1, sizeof(*kv));
	if (kv == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory parsing remote");
	r->kv = kv;
	kv[r->nkv].key = duet_strdup(key);
	kv[r->nkv].value = duet_strdup(value);
	if (kv[r->nkv].key == NULL || kv[r->nkv].value == NULL) {
		duet_free(kv[r->nkv].key);
		duet_free(kv[r->nkv].value);
		return duet_err_set(DUET_E_NOMEM, "out of memory parsing remote");
	}
	r->nkv++;
	return 0;
}

void
duet_remote_dispose(struct duet_remote *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nkv; i++) {
		duet_free(r->kv[i].key);
		duet_free(r->kv[i].value);
	}
	duet_free(r->kv);
	duet_free(r->spec);
	duet_free(r->name);
	duet_free(r->type);
	duet_free(r->path);
	memset(r, 0, sizeof(*r));
}

/* A config name as rclone allows: letters, digits, '_', '-', '.', ' ', '+', '@'. */
static int
remote_name_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '-' || s[0] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
		    c == ' ' || c == '+' || c == '@'))
			return 0;
	}
	return 1;
}

/* The end of a connection string's options: the ':' after spec[0],
 * outside quotes. NULL when there is none (or a quote is not closed). */
static const char *
remote_inline_end(const char *s)
{
	char q = 0;
	for (s++; *s != '\0'; s++) {
		if (q != 0) {
			if (*s == q && s[1] == q)
				s++; /* a doubled quote is one literal quote */
			else if (*s == q)
				q = 0;
		} else if ((*s == '\'' || *s == '"') && (s[-1] == '=')) {
			q = *s;
		} else if (*s == ':') {
			return s;
		}
	}
	return NULL;
}

/* Reads one value at *p up to ',' or end (quoted as rclone: 'v' or "v",
 * the quote doubled inside). New string or NULL (no memory). */
static char *
remote_inline_value(const char **p, const char *end)
{
	const char *s = *p;
	char *out = duet_malloc((size_t)(end - s) + 1), *o = out;

	if (out == NULL)
		return NULL;
	if (s < end && (*s == '\'' || *s == '"')) {
		char q = *s++;
		for (; s < end; s++) {
			if (*s == q && s + 1 < end && s[1] == q)
				*o++ = *s++;
			else if (*s == q) {
				s++;
				break;
			} else
				*o++ = *s;
		}
	}
	for (; s < end && *s != ','; s++)
		*o++ = *s;
	*o = '\0';
	*p = s;
	return out;
}

/* Parses ":type,k=v,k2='v:2':" options (text between the colons). */
static int
remote_parse_inline(struct duet_remote *r, const char *s, size_t n)
{
	const char *end = s + n, *p = s, *comma;
	int rc;

	comma = memchr(p, ',', (size_t)(end - p));
	if (comma == NULL)
		comma = end;
	r->type = duet_strndup(p, (size_t)(comma - p));
	if (r->type == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory parsing remote");
	if (r->type[0] == '\0')
		return duet_err_set(DUET_E_USAGE, "remote %s: missing backend type after ':'", r->spec);
	p = comma;
	while (p < end) {
		const char *eq, *k = p + 1, *v;
		char *key, *val;
		comma = memchr(k, ',', (size_t)(end - k));
		if (comma == NULL)
			comma = end;
		eq = memchr(k, '=', (size_t)(comma - k));
		if (eq == NULL)
			eq = comma;
		key = duet_strndup(k, (size_t)(eq - k));
		v = eq + 1;
		val = eq < comma ? remote_inline_value(&v, end) : duet_strdup("true");
		if (eq < comma)
			comma = v;
		if (key == NULL || val == NULL) {
			duet_free(key);
			duet_free(val);
			return duet_err_set(DUET_E_NOMEM, "out of memory parsing remote");
		}
		rc = key[0] == '\0' ? duet_err_set(DUET_E_USAGE,
		    "remote %s: empty option name in connection string", r->spec)
		    : duet_remote_add(r, key, val);
		duet_free(key);
		duet_free(val);
		if (rc != 0)
			return rc;
		p = comma;
	}
	return 0;
}

static int
remote_parse_in(const char *spec, duet_remote_lookup lookup, void *ctx,
    struct duet_remote *r)
{
	const char *colon;
	size_t n;
	int rc;

	if (spec[0] == '\0')
		return duet_err_set(DUET_E_USAGE, "empty path: give a directory or remote:path");
	if (spec[0] == ':') {
		colon = remote_inline_end(spec);
		if (colon == NULL)
			return duet_err_set(DUET_E_USAGE,
			    "remote %s: connection string needs a closing ':' (:TYPE,key=value:path)", spec);
		n = (size_t)(colon - spec - 1);
		if (remote_parse_inline(r, spec + 1, n) != 0)
			return duet_err_code();
		r->path = duet_strdup(colon + 1);
		return r->path ? 0 : duet_err_set(DUET_E_NOMEM, "out of memory");
	}
	colon = strchr(spec, ':');
	/* A '/' before the first ':' (or no ':') makes it a local path. */
	if (colon == NULL || memchr(spec, '/', (size_t)(colon - spec)) != NULL ||
	    !remote_name_ok(spec, (size_t)(colon - spec))) {
		r->type = duet_strdup("local");
		r->path = duet_strdup(spec);
		if (r->type == NULL || r->path == NULL)
			return duet_err_set(DUET_E_NOMEM, "out of memory");
		return 0;
	}
	n = (size_t)(colon - spec);
	r->name = duet_strndup(spec, n);
	r->path = duet_strdup(colon + 1);
	if (r->name == NULL || r->path == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	rc = lookup != NULL ? lookup(ctx, r->name, r) : DUET_E_NOTFOUND;
	if (rc != 0 && rc != DUET_E_NOTFOUND)
		return rc; /* the lookup's own message: a broken config file */
	if (rc != 0 || r->type == NULL)
		return duet_err_set(DUET_E_USAGE,
		    "didn't find section in config file (\"%s\"): define it with "
		    "'duet config create %s TYPE ...', or write ./%s for a local path",
		    r->name, r->name, spec);
	return 0;
}

int
duet_remote_parse(const char *spec, duet_remote_lookup lookup, void *ctx,
    struct duet_remote *r)
{
	int rc;
	memset(r, 0, sizeof(*r));
	r->spec = duet_strdup(spec);
	if (r->spec == NULL)
		return duet_err_set(DUET_E_NOMEM, "out of memory");
	rc = remote_parse_in(spec, lookup, ctx, r);
	if (rc != 0)
		duet_remote_dispose(r);
	return rc;
}
