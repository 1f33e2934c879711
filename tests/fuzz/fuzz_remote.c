/*
 * fuzz_remote.c: libFuzzer target for remote spec parsing and the
 * rclone-style size and duration parsers' neighbour, the path join. Any
 * input must parse or be refused with a message, never crash or leak.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *     -D_POSIX_C_SOURCE=200809L -I. core/{alloc,error,remote,backend}.c \
 *     tests/fuzz/fuzz_remote.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/backend.h"
#include "core/error.h"
#include "core/remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fz_lookup(void *ctx, const char *name, struct duet_remote *r)
{
	(void)ctx;
	if (name[0] == 'x')
		return DUET_E_NOTFOUND;
	r->type = duet_strdup("sftp");
	return r->type ? duet_remote_add(r, "host", name) : DUET_E_NOMEM;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct duet_remote r;
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (duet_remote_parse(s, fz_lookup, NULL, &r) == 0) {
		if (r.type == NULL || r.path == NULL)
			abort(); /* a parsed remote always has both */
		for (size_t i = 0; i < r.nkv; i++)
			(void)duet_remote_get(&r, r.kv[i].key);
		duet_remote_dispose(&r);
	} else if (duet_err_msg()[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	(void)duet_name_check(s, strlen(s));
	free(s);
	return 0;
}
