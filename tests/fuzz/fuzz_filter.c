/*
 * fuzz_filter.c: libFuzzer target for the filter language. The first
 * byte picks options, the first line is a pattern (or a "+ "/"- " rule),
 * the other lines are paths. Every pattern must compile or be refused
 * cleanly, every query must answer without crashing, and on ASCII input
 * the NFA must agree with the POSIX-regex form of the same glob.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *     -D_POSIX_C_SOURCE=200809L -I. core/{alloc,error,buf,arena,log}.c \
 *     core/glob.c core/filter.c tests/fuzz/fuzz_filter.c -lutf8proc -lpthread
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/filter.h"
#include "core/glob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fz_ascii(const char *s, int no_newline)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80 || (no_newline && *s == '\n'))
			return 0;
	return 1;
}

/* NFA and regex forms of pat must agree on path (ASCII, no newline). */
static void
fz_compare(const char *pat, unsigned flags, char **paths, size_t n)
{
	struct duet_glob *a = NULL, *b = NULL;
	char why[160];

	if (strstr(pat, "{{") != NULL || !fz_ascii(pat, 0))
		return;
	if (duet_glob_compile(pat, flags, &a, why, sizeof(why)) == 0 &&
	    duet_glob_compile(pat, flags | DUET_GLOB_ERE, &b, why, sizeof(why)) == 0) {
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(paths[i]);
			if (!fz_ascii(paths[i], 1))
				continue;
			for (int d = 0; d <= 1; d++)
				if (duet_glob_match(a, paths[i], len, d) !=
				    duet_glob_match(b, paths[i], len, d))
					abort();
		}
	}
	duet_glob_free(a);
	duet_glob_free(b);
}

static void
fz_filter(const char *pat, uint8_t opt, char **paths, size_t n)
{
	static const enum duet_filter_kind kinds[] = {
		DUET_FILTER_INCLUDE, DUET_FILTER_EXCLUDE, DUET_FILTER_RULE, DUET_FILTER_RULE};
	struct duet_filter *f = NULL;

	if (duet_filter_new(&f) != 0)
		return;
	duet_filter_set_ignore_case(f, opt & 1);
	(void)duet_filter_add(f, kinds[(opt >> 1) & 3], pat, "fuzz");
	if (opt & 8)
		(void)duet_filter_add(f, DUET_FILTER_RULE, "- **", NULL);
	for (size_t i = 0; i < n; i++) {
		(void)duet_filter_file(f, paths[i], (int64_t)i, 0);
		(void)duet_filter_dir(f, paths[i]);
	}
	duet_filter_free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *paths[64];
	size_t n = 0;
	uint8_t opt;

	if (size < 1 || size > 4096)
		return 0;
	opt = data[0];
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (char *s = strchr(buf, '\n'); s != NULL && n < 64; s = strchr(s, '\n')) {
		*s++ = '\0';
		paths[n++] = s;
	}
	fz_filter(buf, opt, paths, n);
	fz_compare(buf, opt & 1 ? DUET_GLOB_ICASE : 0, paths, n);
	free(buf);
	return 0;
}
