/*
 * fuzz_config.c: libFuzzer target for the config file parser
 * (config/config.c). Any bytes must parse or be refused with an error,
 * without a crash or leak; what parses must format to text that parses
 * again to the same text (the save path keeps what it read). Real fuzzing:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *     -D_POSIX_C_SOURCE=200809L -I. core/{alloc,error,buf,log,remote}.c \
 *     config/{config,config_env,obscure}.c tests/fuzz/fuzz_config.c -lcrypto -lpthread
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	struct duet_config *a = NULL, *b = NULL;
	struct duet_buf t1, t2;

	duet_log_set_sink(fz_sink, NULL);
	memset(&t1, 0, sizeof(t1));
	memset(&t2, 0, sizeof(t2));
	if (duet_config_parse("fuzz.conf", (const char *)data, size, &a) != 0)
		return 0;
	if (duet_config_format(a, NULL, &t1) != 0 ||
	    duet_config_parse("again.conf", t1.p ? t1.p : "", t1.len, &b) != 0 ||
	    duet_config_format(b, NULL, &t2) != 0 || t1.len != t2.len ||
	    (t1.len > 0 && memcmp(t1.p, t2.p, t1.len) != 0))
		abort();
	duet_config_free(a);
	duet_config_free(b);
	duet_buf_dispose(&t1);
	duet_buf_dispose(&t2);
	return 0;
}
