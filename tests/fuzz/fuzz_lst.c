/*
 * fuzz_lst.c: libFuzzer target for rclone's .lst listing format. Any bytes
 * must parse or be refused line by line without a crash or leak; what
 * parses must write out and read back to the same entries (path, type,
 * size, mtime, hash). ctest links fuzz targets with duet_core only, so the
 * listing sources are compiled into this file. Real fuzzing:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *     -D_POSIX_C_SOURCE=200809L -I. core/{alloc,error,buf,arena,log,listing,hash}.c \
 *     tests/fuzz/fuzz_lst.c -lutf8proc -lcrypto -lxxhash -lpthread
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/log.h"
#include "listing/lst.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_sink(enum duet_log_level level, const char *object, const char *msg, void *ctx)
{
	(void)level;
	(void)object;
	(void)msg;
	(void)ctx;
}

static void
fz_same(const struct duet_listing *a, const struct duet_listing *b, int kind)
{
	if (a->n != b->n)
		abort();
	for (size_t i = 0; i < a->n; i++) {
		const struct duet_entry *x = &a->v[i], *y = &b->v[i];
		int hx = kind >= 0 && x->hashes != NULL && (x->hashes->mask & DUET_HASH_BIT(kind));
		int hy = kind >= 0 && y->hashes != NULL && (y->hashes->mask & DUET_HASH_BIT(kind));
		if (strcmp(x->path, y->path) != 0 || x->pathlen != y->pathlen ||
		    x->type != y->type || x->size != y->size || x->mtime != y->mtime || hx != hy)
			abort();
		if (hx && !duet_hash_equal(x->hashes, y->hashes, (enum duet_hash_kind)kind))
			abort();
		if (i > 0 && strcmp(a->v[i - 1].path, x->path) >= 0)
			abort(); /* sorted, no duplicates */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct duet_listing l, back;
	struct duet_lst_info info, info2;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	duet_log_set_sink(fz_sink, NULL);
	duet_listing_init(&l);
	duet_listing_init(&back);
	if (duet_lst_parse((const char *)data, size, "fuzz", &l, &info) != 0)
		goto out;
	f = open_memstream(&out, &outlen);
	if (f == NULL)
		goto out;
	if (duet_lst_write(f, &l, info.hash_kind, 0) != 0)
		abort();
	fclose(f);
	if (duet_lst_parse(out, outlen, "fuzz2", &back, &info2) != 0)
		abort();
	if (info2.bad_lines != 0 || info2.dup_lines != 0 || info2.mixed_lines != 0)
		abort();
	fz_same(&l, &back, info.hash_kind);
out:
	free(out);
	duet_listing_dispose(&l);
	duet_listing_dispose(&back);
	return 0;
}
