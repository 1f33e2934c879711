/*
 * test_xfer_need.c: rclone's per-file decision rules (duet_xfer_need).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/xfer.h"

#define S 1000000000LL

static struct duet_entry
ent(int64_t size, int64_t mtime)
{
	struct duet_entry e;
	memset(&e, 0, sizeof(e));
	e.path = "f";
	e.type = DUET_T_FILE;
	e.size = size;
	e.mtime = mtime;
	return e;
}

static void
test_default(void **state)
{
	struct duet_xfer_opts o;
	struct duet_entry s = ent(10, 100 * S), d = ent(10, 100 * S);
	(void)state;
	duet_xfer_opts_init(&o);
	assert_int_equal(duet_xfer_need(&o, &s, NULL, 1, 1), DUET_NEED_COPY);
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_NONE);
	d.size = 11;
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_COPY);
	d.size = 10;
	d.mtime = 101 * S;
	/* Same size, other time: hashes decide when there are any. */
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_HASH);
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 0), DUET_NEED_COPY);
	/* Within the modify window counts as equal. */
	assert_int_equal(duet_xfer_need(&o, &s, &d, 2 * S, 1), DUET_NEED_NONE);
	/* No usable times (window < 0): size decides. */
	assert_int_equal(duet_xfer_need(&o, &s, &d, -1, 0), DUET_NEED_NONE);
}

static void
test_flags(void **state)
{
	struct duet_xfer_opts o;
	struct duet_entry s = ent(10, 100 * S), d = ent(12, 200 * S);
	(void)state;
	duet_xfer_opts_init(&o);
	o.size_only = 1;
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_COPY);
	d.size = 10;
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_NONE);
	o.size_only = 0;
	o.checksum = 1;
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_HASH);
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 0), DUET_NEED_NONE);
	o.checksum = 0;
	o.ignore_times = 1;
	assert_int_equal(duet_xfer_need(&o, &s, &s, 1, 1), DUET_NEED_COPY);
	o.ignore_times = 0;
	o.ignore_existing = 1;
	d.size = 99;
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_NONE);
	o.ignore_existing = 0;
	o.ignore_size = 1;
	d.mtime = s.mtime;
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_NONE);
	o.ignore_size = 0;
	o.immutable = 1;
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_IMMUTABLE);
}

static void
test_update(void **state)
{
	struct duet_xfer_opts o;
	struct duet_entry s = ent(10, 100 * S), d = ent(99, 200 * S);
	(void)state;
	duet_xfer_opts_init(&o);
	o.update = 1;
	/* Destination newer: skipped whatever the size. */
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_NONE);
	/* Destination older: transferred. */
	d.mtime = 50 * S;
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_COPY);
	/* Same time: size decides. */
	d.mtime = s.mtime;
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_COPY);
	d.size = 10;
	assert_int_equal(duet_xfer_need(&o, &s, &d, 1, 1), DUET_NEED_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_update),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
