/*
 * s3_util.c: S3 error codes and HTTP statuses to DUET_E_* (the only place
 * this backend translates them), the failure message built from an error
 * document, the %-decoding of listed keys, and ISO 8601 times as S3
 * writes them. Pure arithmetic and
 * tables: no locale, no time zone.
 */
#include "s3_util.h"

#include <stdio.h>
#include <string.h>

#include "backends/http/pct.h"
#include "core/buf.h"
#include "core/error.h"

/* S3 error codes we know; anything else falls back to the HTTP status. */
static const struct {
	const char *code;
	int err;
} ut_codes[] = {
    {"NoSuchKey", DUET_E_NOTFOUND},
    {"NoSuchBucket", DUET_E_NOTFOUND},
    {"NoSuchUpload", DUET_E_NOTFOUND},
    {"NoSuchVersion", DUET_E_NOTFOUND},
    {"AccessDenied", DUET_E_AUTH},
    {"InvalidAccessKeyId", DUET_E_AUTH},
    {"SignatureDoesNotMatch", DUET_E_AUTH},
    {"ExpiredToken", DUET_E_AUTH},
    {"InvalidToken", DUET_E_AUTH},
    {"TokenRefreshRequired", DUET_E_AUTH},
    {"AccountProblem", DUET_E_AUTH},
    {"AllAccessDisabled", DUET_E_AUTH},
    {"InvalidSecurity", DUET_E_AUTH},
    {"MissingSecurityHeader", DUET_E_AUTH},
    {"RequestTimeTooSkewed", DUET_E_AUTH},
    {"AuthorizationHeaderMalformed", DUET_E_AUTH},
    {"SlowDown", DUET_E_TEMP},
    {"InternalError", DUET_E_TEMP},
    {"ServiceUnavailable", DUET_E_TEMP},
    {"RequestTimeout", DUET_E_TEMP},
    {"OperationAborted", DUET_E_TEMP},
    {"TemporaryRedirect", DUET_E_TEMP},
    {"IncompleteBody", DUET_E_TEMP},
    {"BucketAlreadyExists", DUET_E_EXIST},
    {"BucketAlreadyOwnedByYou", DUET_E_EXIST},
    {"BucketNotEmpty", DUET_E_NOTEMPTY},
    {"PreconditionFailed", DUET_E_CHANGED},
    {"BadDigest", DUET_E_HASH},
    {"InvalidDigest", DUET_E_HASH},
    {"XAmzContentSHA256Mismatch", DUET_E_HASH},
    {"KeyTooLongError", DUET_E_NAMETOOLONG},
    {"QuotaExceeded", DUET_E_NOSPC},
    {"NotImplemented", DUET_E_UNSUPPORTED},
    {"MethodNotAllowed", DUET_E_UNSUPPORTED},
    {"InvalidObjectState", DUET_E_PERM},
    {"PermanentRedirect", DUET_E_INVAL},
    {"IllegalLocationConstraintException", DUET_E_INVAL},
    {"InvalidArgument", DUET_E_INVAL},
    {"InvalidRequest", DUET_E_INVAL},
    {"InvalidRange", DUET_E_INVAL},
    {"InvalidBucketName", DUET_E_INVAL},
    {"InvalidPart", DUET_E_INVAL},
    {"InvalidPartOrder", DUET_E_INVAL},
    {"EntityTooLarge", DUET_E_INVAL},
    {"EntityTooSmall", DUET_E_INVAL},
    {"MalformedXML", DUET_E_INVAL},
    {"MissingContentLength", DUET_E_INVAL},
};

int
duet_s3_error_code(int http_status, const char *code)
{
	if (code != NULL && code[0] != '\0')
		for (size_t i = 0; i < sizeof(ut_codes) / sizeof(ut_codes[0]); i++)
			if (strcmp(ut_codes[i].code, code) == 0)
				return ut_codes[i].err;
	if (http_status == 404)
		return DUET_E_NOTFOUND;
	if (http_status == 401 || http_status == 403)
		return DUET_E_AUTH;
	if (http_status == 408 || http_status == 429 || (http_status >= 500 && http_status <= 599))
		return DUET_E_TEMP;
	if (http_status == 409)
		return DUET_E_EXIST;
	if (http_status == 412)
		return DUET_E_CHANGED;
	if (http_status >= 300 && http_status <= 499)
		return DUET_E_INVAL;
	return DUET_E_IO;
}

int
duet_s3_error_set(int http_status, const struct duet_s3_error *e, const char *what)
{
	int code = duet_s3_error_code(http_status, e ? e->code : NULL);
	char hint[320] = "";

	if (what == NULL)
		what = "request";
	if (e != NULL && e->endpoint[0] != '\0')
		snprintf(hint, sizeof(hint), "; use endpoint %s", e->endpoint);
	else if (e != NULL && e->region[0] != '\0')
		snprintf(hint, sizeof(hint), "; the bucket is in region %s", e->region);
	if (e == NULL || (e->code[0] == '\0' && e->message[0] == '\0'))
		return duet_err_set(code, "s3: %s: HTTP %d%s", what, http_status, hint);
	if (e->message[0] == '\0')
		return duet_err_set(code, "s3: %s: %s (HTTP %d)%s", what, e->code, http_status,
		                    hint);
	return duet_err_set(code, "s3: %s: %s (%s, HTTP %d)%s", what, e->message,
	                    e->code[0] != '\0' ? e->code : "no code", http_status, hint);
}

int
duet_s3_url_decode(const char *s, size_t n, struct duet_buf *out)
{
	int rc = duet_pct_decode(s, n, 1, out);
	if (rc == DUET_E_INVAL)
		return duet_err_set(DUET_E_INVAL, "s3: bad %%-escape in \"%.*s\"",
		                    n > 40 ? 40 : (int)n, s);
	return rc;
}

/* n decimal digits at s, or -1. */
static int
ut_num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
ut_days(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
ut_mdays(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : days[m - 1];
}

/* Parses the fraction and zone after the seconds; adds them to *ns. */
static int
ut_tail(const char *s, size_t n, int64_t *ns)
{
	size_t i = 0;
	int64_t frac = 0, scale = 1000000000;

	if (i < n && s[i] == '.') {
		if (++i == n || s[i] < '0' || s[i] > '9')
			return -1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (scale > 1) {
				scale /= 10;
				frac += (s[i] - '0') * scale;
			}
	}
	*ns += frac;
	if (i + 1 == n && s[i] == 'Z')
		return 0;
	if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int hh = ut_num(s + i + 1, 2), mm = ut_num(s + i + 4, 2);
		if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
			return -1;
		*ns -= (s[i] == '+' ? 1 : -1) * (int64_t)(hh * 3600 + mm * 60) * 1000000000;
		return 0;
	}
	return -1;
}

int
duet_s3_time_parse(const char *s, size_t n, int64_t *ns)
{
	int y, mo, d, h, mi, se;

	*ns = 0;
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		goto bad;
	y = ut_num(s, 4);
	mo = ut_num(s + 5, 2);
	d = ut_num(s + 8, 2);
	h = ut_num(s + 11, 2);
	mi = ut_num(s + 14, 2);
	se = ut_num(s + 17, 2);
	if (y < 1678 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > ut_mdays(y, mo) || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
		goto bad;
	*ns = ((ut_days(y, mo, d) * 86400) + h * 3600 + mi * 60 + se) * (int64_t)1000000000;
	if (ut_tail(s + 19, n - 19, ns) != 0)
		goto bad;
	return 0;
bad:
	*ns = 0;
	return duet_err_set(DUET_E_INVAL, "s3: bad time \"%.*s\"", n > 40 ? 40 : (int)n, s);
}
