/*
 * test_timeglob.c: the {...} time globs of --conflict-suffix
 * (conflict/timeglob.c) on a fixed time: named layouts, Go reference-time
 * layouts, text around them, overflow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "conflict/timeglob.h"
#include "core/error.h"

/* 2024-03-07 14:05:09.123456789, a Thursday, UTC. */
static struct tm
fixed(void)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 124;
	tm.tm_mon = 2;
	tm.tm_mday = 7;
	tm.tm_hour = 14;
	tm.tm_min = 5;
	tm.tm_sec = 9;
	tm.tm_wday = 4;
	tm.tm_yday = 66;
	return tm;
}

static void
expect(const char *in, const char *want)
{
	struct tm tm = fixed();
	char out[128];
	assert_int_equal(duet_timeglob_expand(in, &tm, 123456789L, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void
test_named(void **state)
{
	(void)state;
	expect("conflict", "conflict");
	expect("{DateOnly}", "2024-03-07");
	expect("{TimeOnly}", "14:05:09");
	expect("{DateTime}", "2024-03-07 14:05:09");
	expect("{MacFriendlyTime}", "2024-03-07 0205PM");
	expect("{mac}", "2024-03-07 0205PM");
	expect("{YYYYMMDD}", "20240307");
	expect("{Kitchen}", "2:05PM");
	expect("{RFC3339}", "2024-03-07T14:05:09Z");
	expect("{ANSIC}", "Thu Mar  7 14:05:09 2024");
}

static void
test_layouts(void **state)
{
	(void)state;
	expect("conflict-{2006-01-02_150405}", "conflict-2024-03-07_140509");
	expect("{Jan 2, 06}", "Mar 7, 24");
	expect("{Monday January}", "Thursday March");
	expect("{15h04.000}", "14h05.123");
	expect("a{DateOnly},b{YYYYMMDD}", "a2024-03-07,b20240307");
	expect("open{brace", "open{brace");
}

static void
test_overflow(void **state)
{
	struct tm tm = fixed();
	char out[8];
	(void)state;
	assert_int_equal(duet_timeglob_expand("{DateTime}", &tm, 0, out, sizeof(out)), DUET_E_INVAL);
	assert_int_equal(strlen(out), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
