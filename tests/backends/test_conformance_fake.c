/*
 * test_conformance_fake.c: the backend conformance suite against the fake
 * backend, in the configurations engine tests use: the defaults, a server
 * with 1 s mtimes and every hash, a bucket (no directories, no server-side
 * move/copy/set_mtime), and a case-insensitive one.
 */
#include <stdint.h>

#include "core/entry.h"
#include "tests/backends/conformance.h"
#include "tests/support/fakefs.h"

struct fake_conf {
	unsigned caps;     /* DUET_CAP_* */
	int64_t precision; /* ns */
	unsigned hashes;   /* DUET_HASH_BIT set */
};

static int
fake_conf_open(void *ctx, struct duet_fs **out)
{
	const struct fake_conf *c = ctx;
	int rc = duet_fakefs_new("fake:", out);
	if (rc != 0)
		return rc;
	duet_fakefs_set_caps(*out, c->caps);
	duet_fakefs_set_precision(*out, c->precision);
	duet_fakefs_set_hashes(*out, c->hashes);
	return 0;
}

int
main(void)
{
	static struct fake_conf defaults = {
		DUET_FAKEFS_DEFAULT_CAPS, 1, DUET_HASH_BIT(DUET_HASH_MD5)};
	static struct fake_conf coarse = {
		DUET_FAKEFS_DEFAULT_CAPS, 1000000000, DUET_HASH_ALL};
	static struct fake_conf bucket = {0, 1000000, DUET_HASH_BIT(DUET_HASH_MD5)};
	static struct fake_conf caseins = {
		DUET_FAKEFS_DEFAULT_CAPS | DUET_CAP_CASEINS, 1, 0};
	const struct duet_conf_target targets[] = {
		{"fake (defaults)", fake_conf_open, NULL, &defaults},
		{"fake (1 s mtimes, all hashes)", fake_conf_open, NULL, &coarse},
		{"fake (bucket: no dirs, move, copy, set_mtime)", fake_conf_open, NULL, &bucket},
		{"fake (case-insensitive, no hashes)", fake_conf_open, NULL, &caseins},
	};
	size_t i;
	int failed = 0;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		failed += duet_conformance_run(&targets[i]);
	return failed != 0;
}
