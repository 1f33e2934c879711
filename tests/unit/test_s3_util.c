/*
 * test_s3_util.c: the S3 error-code mapping, the %-decoding of listed
 * keys and the ISO 8601 time parser (s3_util). The expected times were
 * computed with Python's calendar.timegm (Python 3.11, Debian 12).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "backends/s3/s3_util.h"
#include "core/buf.h"
#include "core/error.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
test_error_map(void **state)
{
	static const struct {
		int status;
		const char *code;
		int want;
	} t[] = {
	    /* in a 200 (embedded errors) only the code can decide */
	    {200, "NoSuchKey", DUET_E_NOTFOUND},
	    {200, "NoSuchBucket", DUET_E_NOTFOUND},
	    {200, "NoSuchUpload", DUET_E_NOTFOUND},
	    {200, "AccessDenied", DUET_E_AUTH},
	    {200, "InvalidAccessKeyId", DUET_E_AUTH},
	    {200, "SignatureDoesNotMatch", DUET_E_AUTH},
	    {400, "ExpiredToken", DUET_E_AUTH},
	    {200, "RequestTimeTooSkewed", DUET_E_AUTH},
	    {200, "SlowDown", DUET_E_TEMP},
	    {200, "InternalError", DUET_E_TEMP},
	    {200, "ServiceUnavailable", DUET_E_TEMP},
	    {400, "RequestTimeout", DUET_E_TEMP},
	    {409, "OperationAborted", DUET_E_TEMP},
	    {200, "BucketAlreadyOwnedByYou", DUET_E_EXIST},
	    {409, "BucketNotEmpty", DUET_E_NOTEMPTY},
	    {200, "PreconditionFailed", DUET_E_CHANGED},
	    {400, "BadDigest", DUET_E_HASH},
	    {400, "XAmzContentSHA256Mismatch", DUET_E_HASH},
	    {400, "KeyTooLongError", DUET_E_NAMETOOLONG},
	    {403, "QuotaExceeded", DUET_E_NOSPC},
	    {501, "NotImplemented", DUET_E_UNSUPPORTED},
	    {403, "InvalidObjectState", DUET_E_PERM},
	    {200, "InvalidArgument", DUET_E_INVAL},
	    {200, "InvalidRange", DUET_E_INVAL},
	    /* status only */
	    {404, NULL, DUET_E_NOTFOUND},
	    {403, "", DUET_E_AUTH},
	    {401, NULL, DUET_E_AUTH},
	    {429, NULL, DUET_E_TEMP},
	    {408, NULL, DUET_E_TEMP},
	    {502, "Whatever", DUET_E_TEMP},
	    {409, NULL, DUET_E_EXIST},
	    {412, NULL, DUET_E_CHANGED},
	    {400, "Novel", DUET_E_INVAL},
	    {301, NULL, DUET_E_INVAL},
	    {200, "Novel", DUET_E_IO},
	    {0, NULL, DUET_E_IO},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++)
		if (duet_s3_error_code(t[i].status, t[i].code) != t[i].want)
			fail_msg("%d %s -> %d, want %d", t[i].status,
			         t[i].code ? t[i].code : "(null)",
			         duet_s3_error_code(t[i].status, t[i].code), t[i].want);
}

static void
test_time_parse(void **state)
{
	static const struct {
		const char *s;
		int64_t ns;
	} good[] = {
	    {"1970-01-01T00:00:00Z", 0},
	    {"1970-01-01T00:00:00.000Z", 0},
	    {"2009-10-12T17:50:30.000Z", 1255369830000000000},
	    {"2000-02-29T23:59:59.5Z", 951868799500000000},
	    {"2023-01-02T03:04:05.1234567891Z", 1672628645123456789},
	    {"2023-01-02T05:04:05+02:00", 1672628645000000000},
	    {"2023-01-01T23:04:05-04:00", 1672628645000000000},
	    {"1969-12-31T23:59:59Z", -1000000000},
	    {"1678-01-01T00:00:00Z", -9214560000000000000},
	    {"2261-12-31T23:59:59Z", 9214646399000000000},
	};
	static const char *const bad[] = {
	    "",
	    "2009-10-12",
	    "2009-10-12 17:50:30Z",
	    "2009-10-12T17:50:30",
	    "2009-13-12T17:50:30Z",
	    "2009-02-29T17:50:30Z",
	    "2009-10-12T24:00:00Z",
	    "2009-10-12T17:60:30Z",
	    "2009-10-12T17:50:30.Z",
	    "2009-10-12T17:50:30ZZ",
	    "2009-10-12T17:50:30+0200",
	    "1677-12-31T23:59:59Z",
	    "2262-01-01T00:00:00Z",
	    "+009-10-12T17:50:30Z",
	    "2009-10-12T17:50:30+24:00",
	};
	int64_t ns;

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		assert_int_equal(duet_s3_time_parse(good[i].s, strlen(good[i].s), &ns), 0);
		if (ns != good[i].ns)
			fail_msg("%s -> %lld, want %lld", good[i].s, (long long)ns,
			         (long long)good[i].ns);
	}
	for (size_t i = 0; i < NELEM(bad); i++)
		if (duet_s3_time_parse(bad[i], strlen(bad[i]), &ns) != DUET_E_INVAL)
			fail_msg("%s parsed", bad[i]);
}

static void
test_url_decode(void **state)
{
	static const struct {
		const char *in;
		const char *out;
		size_t outlen;
	} good[] = {
	    {"", "", 0},
	    {"plain-_.~", "plain-_.~", 9},
	    {"a+b%20c", "a b c", 5},
	    {"%2B%2b%25", "++%", 3},
	    {"caf%C3%A9%2Fx", "caf\xc3\xa9/x", 7},
	    {"a%00b", "a\0b", 3},
	};
	static const char *const bad[] = {"%", "%4", "a%zz", "%g0", "x%2"};

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		struct duet_buf b = DUET_BUF_INIT;
		assert_int_equal(duet_s3_url_decode(good[i].in, strlen(good[i].in), &b), 0);
		assert_int_equal(b.len, good[i].outlen);
		assert_memory_equal(b.p ? b.p : "", good[i].out, good[i].outlen);
		duet_buf_dispose(&b);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		struct duet_buf b = DUET_BUF_INIT;
		assert_int_equal(duet_s3_url_decode(bad[i], strlen(bad[i]), &b), DUET_E_INVAL);
		assert_non_null(strstr(duet_err_msg(), "bad %-escape"));
		duet_buf_dispose(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_map),
	    cmocka_unit_test(test_time_parse),
	    cmocka_unit_test(test_url_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
