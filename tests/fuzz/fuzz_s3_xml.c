/*
 * fuzz_s3_xml.c: libFuzzer target for the S3 XML parsers (s3_xml.c). The
 * first byte picks the document kind and how the rest is split into
 * chunks; any bytes must parse or be refused with an error, without a
 * crash or leak, and a split must never change the outcome. Every key
 * handed to a callback must be non-empty, NUL-free and within the cap.
 * Real fuzzing:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *     -D_POSIX_C_SOURCE=200809L -I. core/{alloc,error,buf,log}.c \
 *     backends/http/{xml,pct}.c backends/s3/{s3_xml,s3_util}.c tests/fuzz/fuzz_s3_xml.c \
 *     $(pkg-config --cflags --libs openssl expat) -lpthread
 *   ./a.out -max_len=4096 tests/fuzz/corpus/s3_xml
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/s3/s3_xml.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one parse saw: a running hash of every callback's arguments. */
struct fz_seen {
	uint64_t h;
	unsigned long n;
};

static void
fz_mix(struct fz_seen *s, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		s->h = (s->h ^ b[i]) * 1099511628211u;
	s->n++;
}

static void
fz_key(const char *k, size_t n)
{
	if (n == 0 || n > DUET_S3_NAME_MAX || strlen(k) != n)
		abort();
}

static int
fz_object(void *ctx, const struct duet_s3_object *o)
{
	fz_key(o->key, o->keylen);
	fz_mix(ctx, o->key, o->keylen);
	fz_mix(ctx, &o->size, sizeof(o->size));
	fz_mix(ctx, &o->mtime, sizeof(o->mtime));
	fz_mix(ctx, o->etag, strlen(o->etag));
	fz_mix(ctx, o->storage_class, strlen(o->storage_class));
	return 0;
}

static int
fz_prefix(void *ctx, const char *p, size_t n)
{
	fz_key(p, n);
	fz_mix(ctx, p, n);
	return 0;
}

static int
fz_deleted(void *ctx, const char *key, size_t n, const char *code, const char *msg)
{
	fz_key(key, n);
	fz_mix(ctx, key, n);
	if (code != NULL) {
		fz_mix(ctx, code, strlen(code));
		fz_mix(ctx, msg, strlen(msg));
	}
	return 0;
}

/* Parses data as document kind k, fed in chunks of `chunk` bytes. */
static int
fz_upload(void *ctx, const char *key, size_t n, const char *id, int64_t initiated)
{
	fz_key(key, n);
	if (id[0] == '\0')
		abort();
	fz_mix(ctx, key, n);
	fz_mix(ctx, id, strlen(id));
	fz_mix(ctx, &initiated, sizeof(initiated));
	return 0;
}

static int
fz_parse(unsigned k, const uint8_t *data, size_t size, size_t chunk, struct fz_seen *seen)
{
	const struct duet_s3_list_cb lcb = {fz_object, fz_prefix, seen};
	const struct duet_s3_delete_cb dcb = {fz_deleted, seen};
	const struct duet_s3_uploads_cb ucb = {fz_upload, seen};
	struct duet_s3_xml *x = NULL;
	int rc;

	if (k == 0)
		rc = duet_s3_xml_list_new(&lcb, &x);
	else if (k == 1)
		rc = duet_s3_xml_delete_new(&dcb, &x);
	else if (k == 6)
		rc = duet_s3_xml_uploads_new(&ucb, &x);
	else
		rc = duet_s3_xml_new((enum duet_s3_xml_kind)(k - 2), &x);
	if (rc != 0)
		return rc;
	for (size_t at = 0; rc == 0 && at < size; at += chunk)
		rc = duet_s3_xml_feed(x, data + at, size - at < chunk ? size - at : chunk);
	if (rc == 0)
		rc = duet_s3_xml_end(x);
	if (rc == 0) {
		const struct duet_s3_result *r = duet_s3_xml_result(x);
		fz_mix(seen, r->next_token, strlen(r->next_token));
		fz_mix(seen, r->upload_id, strlen(r->upload_id));
		fz_mix(seen, r->etag, strlen(r->etag));
		fz_mix(seen, &r->truncated, sizeof(r->truncated));
		fz_mix(seen, &r->key_count, sizeof(r->key_count));
		fz_mix(seen, &r->last_modified, sizeof(r->last_modified));
		fz_mix(seen, r->next_key_marker, strlen(r->next_key_marker));
		fz_mix(seen, r->next_upload_id_marker, strlen(r->next_upload_id_marker));
	}
	duet_s3_xml_free(x);
	return rc;
}

static void
fz_sink(enum duet_log_level level, const char *object, const char *msg, void *ctx)
{
	(void)level;
	(void)object;
	(void)msg;
	(void)ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_seen whole = {14695981039346656037u, 0}, split = whole;
	struct duet_s3_error e;
	unsigned k;
	size_t chunk;
	int a, b;

	duet_log_set_sink(fz_sink, NULL);
	if (size == 0)
		return 0;
	k = data[0] % 7u;
	chunk = (size_t)(data[0] / 7u) % 7u + 1;
	data++;
	size--;
	a = fz_parse(k, data, size, size ? size : 1, &whole);
	b = fz_parse(k, data, size, chunk, &split);
	/* splitting may only change how far a failing parse got */
	if (a != b || (a == 0 && (whole.h != split.h || whole.n != split.n)))
		abort();
	if (duet_s3_error_parse(data, size, &e) != 0)
		abort();
	return 0;
}
