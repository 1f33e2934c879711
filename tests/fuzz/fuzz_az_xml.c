/*
 * fuzz_az_xml.c: libFuzzer target for the Azure XML parsers
 * (backends/azure/az_xml.c). Byte 0 picks the parser (bit 0: List Blobs
 * or error document) and where the rest is split in two chunks (bits
 * 1-7). Any input must parse or be refused with an error, without a crash
 * or leak; what the callbacks see must hold the documented limits; and
 * the outcome must not depend on the split. Real fuzzing:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *     -D_POSIX_C_SOURCE=200809L -I. core/{alloc,error,buf,log}.c \
 *     backends/http/{xml,pct}.c backends/azure/{az_time,az_auth,az_sas,az_xml}.c \
 *     tests/fuzz/fuzz_az_xml.c \
 *     $(pkg-config --cflags --libs openssl expat) -lpthread
 *   ./a.out tests/fuzz/corpus/az_xml
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/azure/az_xml.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digest of everything the callbacks saw (FNV-1a). */
struct fz_seen {
	uint64_t h;
	size_t blobs, prefixes;
};

static void
fz_mix(struct fz_seen *s, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		s->h = (s->h ^ b[i]) * 1099511628211ULL;
}

static void
fz_check_name(const char *name, size_t len)
{
	if (name == NULL || len == 0 || len > DUET_AZ_NAME_MAX || strlen(name) != len)
		abort();
}

static int
fz_blob(void *ctx, const struct duet_az_blob *b)
{
	struct fz_seen *s = ctx;

	fz_check_name(b->name, b->namelen);
	if (b->size < -1 || b->etag == NULL || b->blob_type == NULL || b->access_tier == NULL ||
	    b->nmeta > DUET_AZ_META_COUNT || (b->nmeta > 0 && b->meta == NULL))
		abort();
	fz_mix(s, b->name, b->namelen + 1);
	fz_mix(s, &b->size, sizeof(b->size));
	fz_mix(s, &b->last_modified, sizeof(b->last_modified));
	fz_mix(s, &b->mtime, sizeof(b->mtime));
	if (b->has_md5)
		fz_mix(s, b->md5, sizeof(b->md5));
	fz_mix(s, b->etag, strlen(b->etag) + 1);
	fz_mix(s, b->blob_type, strlen(b->blob_type) + 1);
	fz_mix(s, b->access_tier, strlen(b->access_tier) + 1);
	for (size_t i = 0; i < b->nmeta; i++) {
		fz_mix(s, b->meta[i].name, strlen(b->meta[i].name) + 1);
		fz_mix(s, b->meta[i].value, strlen(b->meta[i].value) + 1);
	}
	s->blobs++;
	return 0;
}

static int
fz_prefix(void *ctx, const char *name, size_t len)
{
	struct fz_seen *s = ctx;

	fz_check_name(name, len);
	fz_mix(s, name, len + 1);
	s->prefixes++;
	return 0;
}

/* Parses data[0..n) fed as [0,split) + [split,n); returns the code and
 * folds the marker or error fields into *s. */
static int
fz_parse(int errdoc, const uint8_t *data, size_t n, size_t split, struct fz_seen *s)
{
	struct duet_az_list_cb cb = {fz_blob, fz_prefix, s};
	struct duet_az_xml *x = NULL;
	int rc = errdoc ? duet_az_xml_error_new(&x) : duet_az_xml_list_new(&cb, &x);

	if (rc != 0)
		return rc;
	rc = duet_az_xml_feed(x, data, split);
	if (rc == 0)
		rc = duet_az_xml_feed(x, data + split, n - split);
	if (rc == 0)
		rc = duet_az_xml_end(x);
	if (rc == 0 && errdoc) {
		const struct duet_az_error *e = duet_az_xml_error(x);
		if (strlen(e->code) >= sizeof(e->code) || strlen(e->message) >= sizeof(e->message))
			abort();
		fz_mix(s, e, sizeof(*e));
	} else if (rc == 0) {
		const char *m = duet_az_xml_next_marker(x);
		if (strlen(m) > DUET_AZ_TEXT_MAX)
			abort();
		fz_mix(s, m, strlen(m) + 1);
	}
	duet_az_xml_free(x);
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
	struct fz_seen whole = {14695981039346656037ULL, 0, 0};
	struct fz_seen split = {14695981039346656037ULL, 0, 0};
	int errdoc, rc1, rc2;
	size_t n, at;

	duet_log_set_sink(fz_sink, NULL);
	if (size == 0)
		return 0;
	errdoc = data[0] & 1;
	n = size - 1;
	at = n * (size_t)(data[0] >> 1) / 127;
	rc1 = fz_parse(errdoc, data + 1, n, n, &whole);
	rc2 = fz_parse(errdoc, data + 1, n, at, &split);
	if (rc1 != rc2 || (rc1 == 0 && (whole.h != split.h || whole.blobs != split.blobs ||
	                                whole.prefixes != split.prefixes)))
		abort();
	return 0;
}
