/*
 * test_az_conn.c: from rclone's azureblob config keys to base URL and
 * credentials, SAS URL parsing and redaction, the account SAS generator
 * and the RFC 1123 / RFC 3339 times (az_conn, az_sas, az_time). The
 * account SAS vector is the one of shared/reference/test-servers.md
 * (checked there against Azurite), its signature computed independently:
 *   printf '%s\n' devstoreaccount1 rwdlacu b sco "" 2030-01-01T00:00:00Z "" \
 *     https,http 2021-08-06 "" | openssl dgst -sha256 -mac HMAC \
 *     -macopt hexkey:$(printf %s "$KEY" | base64 -d | xxd -p -c256) -binary | base64
 * Times were checked with GNU date (date -u -d @784111777 and so on).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "backends/azure/az_auth.h"
#include "backends/azure/az_conn.h"
#include "backends/azure/az_sas.h"
#include "backends/azure/az_time.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

#define NH(a) (sizeof(a) / sizeof((a)[0]))

static struct duet_az_key dev_key;

static int
setup(void **state)
{
	(void)state;
	return duet_az_key_decode(DUET_AZ_DEV_KEY, &dev_key);
}

/* StringToSign of one request, as a NUL-terminated string the test frees. */
static char *
sts(const char *account, const char *method, const char *path, const char *query,
    const struct duet_az_header *h, size_t nh)
{
	struct duet_buf b = DUET_BUF_INIT;
	assert_int_equal(duet_az_string_to_sign(account, method, path, query, h, nh, &b), 0);
	return duet_buf_detach(&b);
}

static void
test_conn_default(void **state)
{
	struct duet_az_conf conf = {.account = "myacct", .key = DUET_AZ_DEV_KEY};
	struct duet_az_conn c;
	struct duet_buf url = DUET_BUF_INIT, path = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(duet_az_conn_init(&c, &conf), 0);
	assert_int_equal(c.auth, DUET_AZ_AUTH_KEY);
	assert_string_equal(c.base, "https://myacct.blob.core.windows.net");
	assert_int_equal(c.origin_len, strlen(c.base));
	assert_memory_equal(c.key.b, dev_key.b, 64);
	assert_int_equal(duet_az_conn_url(&c, NULL, NULL, "comp=list", &url, &path), 0);
	assert_string_equal(url.p, "https://myacct.blob.core.windows.net/?comp=list");
	assert_string_equal(path.p, "/");
	duet_buf_reset(&url);
	duet_buf_reset(&path);
	assert_int_equal(duet_az_conn_url(&c, "ctr", NULL, "restype=container", &url, &path), 0);
	assert_string_equal(url.p, "https://myacct.blob.core.windows.net/ctr?restype=container");
	assert_string_equal(path.p, "/ctr");
	duet_buf_dispose(&url);
	duet_buf_dispose(&path);
	duet_az_conn_dispose(&c);
	assert_null(c.base);
	assert_int_equal(c.key.len, 0);
}

static void
test_conn_emulator(void **state)
{
	struct duet_az_conf conf = {.use_emulator = 1};
	struct duet_az_header h[] = {{"x-ms-date", "D"}};
	struct duet_az_conn c;
	struct duet_buf path = DUET_BUF_INIT;
	char *s;

	(void)state;
	assert_int_equal(duet_az_conn_init(&c, &conf), 0);
	assert_int_equal(c.auth, DUET_AZ_AUTH_KEY);
	assert_string_equal(c.account, "devstoreaccount1");
	assert_string_equal(c.base, "http://127.0.0.1:10000/devstoreaccount1");
	assert_int_equal(c.origin_len, strlen("http://127.0.0.1:10000"));
	assert_memory_equal(c.key.b, dev_key.b, 64);
	assert_int_equal(duet_az_conn_url(&c, "ctr1", NULL, NULL, NULL, &path), 0);
	s = sts(c.account, "PUT", path.p, "restype=container", h, NH(h));
	assert_non_null(strstr(s, "\n/devstoreaccount1/devstoreaccount1/ctr1\nrestype:container"));
	duet_free(s);
	duet_buf_dispose(&path);
	duet_az_conn_dispose(&c);
}

static void
check_base(const char *account, const char *endpoint, int emu, const char *want)
{
	struct duet_az_conf conf = {
	    .account = account, .key = "QUJD", .endpoint = endpoint, .use_emulator = emu};
	struct duet_az_conn c;

	assert_int_equal(duet_az_conn_init(&c, &conf), 0);
	assert_string_equal(c.base, want);
	duet_az_conn_dispose(&c);
}

static void
test_conn_endpoint(void **state)
{
	struct duet_az_conf conf = {.account = "a", .key = "QUJD"};
	struct duet_az_conn c;

	(void)state;
	check_base("acct", "http://127.0.0.1:10000", 0, "http://127.0.0.1:10000/acct");
	check_base("acct", "http://localhost:10000/", 0, "http://localhost:10000/acct");
	check_base("acct", "http://[::1]:10000", 0, "http://[::1]:10000/acct");
	check_base("acct", "http://127.0.0.1:10000/devstoreaccount1/", 0,
	           "http://127.0.0.1:10000/devstoreaccount1");
	check_base("acct", "http://azurite:10000/acct", 0, "http://azurite:10000/acct");
	check_base("acct", "https://acct.blob.example.org/", 0, "https://acct.blob.example.org");
	check_base("acct", "blob.core.chinacloudapi.cn", 0,
	           "https://acct.blob.core.chinacloudapi.cn");
	check_base("mine", "http://127.0.0.1:10999", 1, "http://127.0.0.1:10999/mine");
	check_base("mine", NULL, 1, "http://127.0.0.1:10000/devstoreaccount1");
	conf.endpoint = "ftp://x";
	assert_int_equal(duet_az_conn_init(&c, &conf), DUET_E_INVAL);
	assert_null(c.base);
	conf.endpoint = "https://a.example.org/?x=1";
	assert_int_equal(duet_az_conn_init(&c, &conf), DUET_E_INVAL);
	conf.endpoint = "https://user@a.example.org";
	assert_int_equal(duet_az_conn_init(&c, &conf), DUET_E_INVAL);
	conf.endpoint = "https://a.example.org:80x";
	assert_int_equal(duet_az_conn_init(&c, &conf), DUET_E_INVAL);
	conf.endpoint = "http://127.0.0.1:10000/dev store";
	assert_int_equal(duet_az_conn_init(&c, &conf), DUET_E_INVAL);
	conf.endpoint = "http://127.0.0.1:10000/dev\r\nX: y";
	assert_int_equal(duet_az_conn_init(&c, &conf), DUET_E_INVAL);
}

static void
test_conn_choice(void **state)
{
	struct duet_az_conf conf = {.account = "a b", .key = "QUJD"};
	struct duet_az_conn c;
	struct duet_buf line = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(duet_az_conn_init(&c, &conf), DUET_E_INVAL);
	conf.account = "acct";
	conf.key = "c2VjcmV0LWtleQ#";
	assert_int_equal(duet_az_conn_init(&c, &conf), DUET_E_AUTH);
	assert_null(strstr(duet_err_msg(), "c2VjcmV0"));
	conf.key = NULL;
	assert_int_equal(duet_az_conn_init(&c, &conf), 0);
	assert_int_equal(c.auth, DUET_AZ_AUTH_ANON);
	assert_int_equal(duet_az_conn_authorize(&c, "GET", "/c", NULL, NULL, 0, &line), 0);
	assert_int_equal(line.len, 0);
	duet_az_conn_dispose(&c);
	memset(&conf, 0, sizeof(conf));
	assert_int_equal(duet_az_conn_init(&c, &conf), DUET_E_INVAL);
	/* account + key beat a sas_url, as in rclone */
	conf.account = "acct";
	conf.key = "QUJD";
	conf.sas_url = "https://other.blob.core.windows.net/c?sv=1&sig=x";
	assert_int_equal(duet_az_conn_init(&c, &conf), 0);
	assert_int_equal(c.auth, DUET_AZ_AUTH_KEY);
	assert_string_equal(c.account, "acct");
	duet_az_conn_dispose(&c);
	duet_buf_dispose(&line);
}

static const char secret_sig[] = "Zm9vYmFyc2VjcmV0c2lnbmF0dXJl%2Bx%3D";

static void
test_conn_sas_container(void **state)
{
	struct duet_az_conf conf = {0};
	struct duet_az_conn c;
	struct duet_buf url = DUET_BUF_INIT, path = DUET_BUF_INIT, line = DUET_BUF_INIT,
	                u = DUET_BUF_INIT;

	(void)state;
	duet_buf_printf(&u,
	                "https://acct.blob.core.windows.net/ctr?sv=2021-12-02&sr=c&sp=rl&sig=%s",
	                secret_sig);
	conf.sas_url = u.p;
	assert_int_equal(duet_az_conn_init(&c, &conf), 0);
	assert_int_equal(c.auth, DUET_AZ_AUTH_SAS);
	assert_string_equal(c.account, "acct");
	assert_string_equal(c.container, "ctr");
	assert_string_equal(c.base, "https://acct.blob.core.windows.net");
	assert_non_null(strstr(c.sas, secret_sig));
	assert_int_equal(c.key.len, 0);
	assert_int_equal(duet_az_conn_url(&c, "ctr", "a b", "comp=metadata", &url, &path), 0);
	assert_string_equal(url.p + strlen("https://acct.blob.core.windows.net"),
	                    "/ctr/a%20b?comp=metadata&sv=2021-12-02&sr=c&sp=rl&sig="
	                    "Zm9vYmFyc2VjcmV0c2lnbmF0dXJl%2Bx%3D");
	assert_string_equal(path.p, "/ctr/a%20b");
	duet_buf_reset(&url);
	assert_int_equal(duet_az_conn_url(&c, "ctr", "a", NULL, &url, NULL), 0);
	assert_non_null(strstr(url.p, "/ctr/a?sv=2021-12-02&"));
	assert_int_equal(duet_az_conn_authorize(&c, "GET", path.p, NULL, NULL, 0, &line), 0);
	assert_int_equal(line.len, 0);
	duet_buf_dispose(&url);
	duet_buf_dispose(&path);
	duet_buf_dispose(&line);
	duet_buf_dispose(&u);
	duet_az_conn_dispose(&c);
}

static void
check_sas(const char *sas_url, const char *account, const char *container, const char *base)
{
	struct duet_az_conf conf = {.sas_url = sas_url};
	struct duet_az_conn c;

	assert_int_equal(duet_az_conn_init(&c, &conf), 0);
	assert_string_equal(c.account, account);
	if (container == NULL)
		assert_null(c.container);
	else
		assert_string_equal(c.container, container);
	assert_string_equal(c.base, base);
	duet_az_conn_dispose(&c);
}

static void
test_conn_sas_shapes(void **state)
{
	(void)state;
	check_sas("https://acct.blob.core.windows.net?sv=1&ss=b&sig=x", "acct", NULL,
	          "https://acct.blob.core.windows.net");
	check_sas("https://acct.blob.core.windows.net/?sv=1&ss=b&sig=x", "acct", NULL,
	          "https://acct.blob.core.windows.net");
	check_sas("https://acct.blob.core.windows.net/ctr/?sv=1&SIG=x", "acct", "ctr",
	          "https://acct.blob.core.windows.net");
	check_sas("http://127.0.0.1:10000/devstoreaccount1/ctr?sv=1&sig=x", "devstoreaccount1",
	          "ctr", "http://127.0.0.1:10000/devstoreaccount1");
	check_sas("http://localhost:10000/devstoreaccount1?sv=1&sig=x", "devstoreaccount1", NULL,
	          "http://localhost:10000/devstoreaccount1");
	check_sas("https://acct.blob.core.windows.net/$root?sig=x", "acct", "$root",
	          "https://acct.blob.core.windows.net");
}

/* Refused, and the message shows the URL only with sig redacted. */
static void
check_sas_refused(const char *sas_url)
{
	struct duet_az_conf conf = {.sas_url = sas_url};
	struct duet_az_conn c;

	assert_int_equal(duet_az_conn_init(&c, &conf), DUET_E_INVAL);
	assert_null(strstr(duet_err_msg(), "c2VjcmV0"));
	assert_non_null(strstr(duet_err_msg(), "sas_url"));
	assert_null(c.sas);
}

static void
test_conn_sas_refused(void **state)
{
	(void)state;
	check_sas_refused("https://acct.blob.core.windows.net/ctr/blob.txt?sv=1&sig=c2VjcmV0");
	check_sas_refused("https://acct.blob.core.windows.net/ctr?sv=1&sign=x");
	assert_non_null(strstr(duet_err_msg(), "no signature"));
	check_sas_refused("https://acct.blob.core.windows.net/ctr");
	check_sas_refused("https://acct.blob.core.windows.net/ctr?sv=1&sig=c2VjcmV0#frag");
	check_sas_refused("acct.blob.core.windows.net/ctr?sv=1&sig=c2VjcmV0");
	check_sas_refused("https://acct.blob.core.windows.net/c%20t?sv=1&sig=c2VjcmV0");
	check_sas_refused("https://acct.blob.core.windows.net/ctr?sv=1&sig=c2VjcmV0\n");
	check_sas_refused("http://127.0.0.1:10000/?sv=1&sig=c2VjcmV0");
	assert_non_null(strstr(duet_err_msg(), "sig=REDACTED"));
}

static void
check_redact(const char *in, const char *want)
{
	struct duet_buf b = DUET_BUF_INIT;
	assert_int_equal(duet_az_redact(in, &b), 0);
	assert_string_equal(b.p, want);
	duet_buf_dispose(&b);
}

static void
test_redact(void **state)
{
	(void)state;
	check_redact("https://a.blob.core.windows.net/c?sv=1&sig=abc%2B&se=2030",
	             "https://a.blob.core.windows.net/c?sv=1&sig=REDACTED&se=2030");
	check_redact("sig=abc", "sig=REDACTED");
	check_redact("?SiG=abc", "?SiG=REDACTED");
	check_redact("x?a=1&sig=s1 and 'y?sig=s2' and <z?sig=s3>",
	             "x?a=1&sig=REDACTED and 'y?sig=REDACTED' and <z?sig=REDACTED>");
	check_redact("design=1&xsig=2&sig=", "design=1&xsig=2&sig=REDACTED");
	check_redact("no secrets", "no secrets");
}

/* The account SAS of shared/reference/test-servers.md, with openssl's
 * signature of the same StringToSign. */
static void
test_account_sas(void **state)
{
	struct duet_az_account_sas p = {.version = "2021-08-06",
	                                .services = "b",
	                                .resource_types = "sco",
	                                .permissions = "rwdlacu",
	                                .expiry = "2030-01-01T00:00:00Z",
	                                .protocol = "https,http"};
	struct duet_buf s = DUET_BUF_INIT, t = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(duet_az_account_sas_string("devstoreaccount1", &p, &s), 0);
	assert_string_equal(s.p, "devstoreaccount1\nrwdlacu\nb\nsco\n\n2030-01-01T00:00:00Z\n\n"
	                         "https,http\n2021-08-06\n\n");
	assert_int_equal(duet_az_account_sas_token("devstoreaccount1", &dev_key, &p, &t), 0);
	assert_string_equal(
	    t.p, "sv=2021-08-06&ss=b&srt=sco&sp=rwdlacu&se=2030-01-01T00%3A00%3A"
	         "00Z&spr=https%2Chttp&sig=m8KthXx6a86MUg%2BsivYEr182ZDUTtvGGE13EMTTD0jE%3D");
	duet_buf_dispose(&s);
	duet_buf_dispose(&t);
}

static void
test_account_sas_versions(void **state)
{
	struct duet_az_account_sas p = {.version = "2019-12-12",
	                                .services = "b",
	                                .resource_types = "c",
	                                .permissions = "r",
	                                .start = "2024-01-01T00:00:00Z",
	                                .expiry = "2030-01-01T00:00:00Z",
	                                .ip = "127.0.0.1",
	                                .encryption_scope = "scope"};
	struct duet_buf s = DUET_BUF_INIT;
	struct duet_az_key none = {{0}, 0};

	(void)state;
	assert_int_equal(duet_az_account_sas_string("a", &p, &s), 0);
	assert_string_equal(s.p, "a\nr\nb\nc\n2024-01-01T00:00:00Z\n2030-01-01T00:00:00Z\n"
	                         "127.0.0.1\n\n2019-12-12\n");
	duet_buf_reset(&s);
	p.version = "2020-12-06";
	assert_int_equal(duet_az_account_sas_string("a", &p, &s), 0);
	assert_string_equal(s.p, "a\nr\nb\nc\n2024-01-01T00:00:00Z\n2030-01-01T00:00:00Z\n"
	                         "127.0.0.1\n\n2020-12-06\nscope\n");
	duet_buf_reset(&s);
	p.expiry = NULL;
	assert_int_equal(duet_az_account_sas_string("a", &p, &s), DUET_E_INVAL);
	p.expiry = "2030\n";
	assert_int_equal(duet_az_account_sas_string("a", &p, &s), DUET_E_INVAL);
	p.expiry = "2030";
	assert_int_equal(duet_az_account_sas_token("a", &none, &p, &s), DUET_E_INVAL);
	duet_buf_dispose(&s);
}

static void
test_http_date(void **state)
{
	char out[DUET_AZ_DATE_LEN];
	int64_t ns;

	(void)state;
	duet_az_time_format_http(784111777, out);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	duet_az_time_format_http(0, out);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	duet_az_time_format_http(-1, out);
	assert_string_equal(out, "Wed, 31 Dec 1969 23:59:59 GMT");
	duet_az_time_format_http(1709251199, out);
	assert_string_equal(out, "Thu, 29 Feb 2024 23:59:59 GMT");
	assert_int_equal(duet_az_time_parse_http("Sun, 06 Nov 1994 08:49:37 GMT", &ns), 0);
	assert_int_equal(ns, 784111777LL * 1000000000LL);
	assert_int_equal(duet_az_time_parse_http("Thu, 29 Feb 2024 23:59:59 GMT", &ns), 0);
	assert_int_equal(ns, 1709251199LL * 1000000000LL);
	assert_int_equal(duet_az_time_parse_http("Fri, 29 Feb 2023 00:00:00 GMT", &ns),
	                 DUET_E_INVAL);
	assert_int_equal(duet_az_time_parse_http("Sun, 06 Nov 1994 08:49:37 UTC", &ns),
	                 DUET_E_INVAL);
	assert_int_equal(duet_az_time_parse_http("Sun, 6 Nov 1994 08:49:37 GMT", &ns),
	                 DUET_E_INVAL);
	assert_int_equal(duet_az_time_parse_http("Sun, 06 Nov 1994 24:00:00 GMT", &ns),
	                 DUET_E_INVAL);
	assert_int_equal(duet_az_time_parse_http("Sun, 06 Nov 1994 08:49:37 GMTx", &ns),
	                 DUET_E_INVAL);
	assert_int_equal(duet_az_time_parse_http("Sun, 06 Nov 9999 08:49:37 GMT", &ns),
	                 DUET_E_INVAL);
}

static void
test_rfc3339(void **state)
{
	char out[DUET_AZ_RFC3339_LEN];
	int64_t ns;

	(void)state;
	assert_int_equal(duet_az_time_parse_rfc3339("2024-11-30T09:08:07.123456789Z", &ns), 0);
	assert_int_equal(ns, 1732957687123456789LL);
	duet_az_time_format_rfc3339(ns, out);
	assert_string_equal(out, "2024-11-30T09:08:07.123456789Z");
	assert_int_equal(duet_az_time_parse_rfc3339("2024-11-30T10:08:07.5+01:00", &ns), 0);
	assert_int_equal(ns, 1732957687500000000LL);
	assert_int_equal(duet_az_time_parse_rfc3339("2024-11-30T09:08:07Z", &ns), 0);
	assert_int_equal(ns, 1732957687000000000LL);
	assert_int_equal(duet_az_time_parse_rfc3339("2024-11-30t09:08:07.1234567891z", &ns), 0);
	assert_int_equal(ns, 1732957687123456789LL);
	duet_az_time_format_rfc3339(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999999999Z");
	assert_int_equal(duet_az_time_parse_rfc3339("2024-11-30 09:08:07Z", &ns), DUET_E_INVAL);
	assert_int_equal(duet_az_time_parse_rfc3339("2024-11-30T09:08:07", &ns), DUET_E_INVAL);
	assert_int_equal(duet_az_time_parse_rfc3339("2024-11-30T09:08:07.Z", &ns), DUET_E_INVAL);
	assert_int_equal(duet_az_time_parse_rfc3339("2024-13-30T09:08:07Z", &ns), DUET_E_INVAL);
	assert_int_equal(duet_az_time_parse_rfc3339("1677-01-01T00:00:00Z", &ns), DUET_E_INVAL);
	assert_int_equal(duet_az_time_parse_rfc3339("2024-11-30T09:08:07+0100", &ns), DUET_E_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conn_default),       cmocka_unit_test(test_conn_emulator),
	    cmocka_unit_test(test_conn_endpoint),      cmocka_unit_test(test_conn_choice),
	    cmocka_unit_test(test_conn_sas_container), cmocka_unit_test(test_conn_sas_shapes),
	    cmocka_unit_test(test_conn_sas_refused),   cmocka_unit_test(test_redact),
	    cmocka_unit_test(test_account_sas),        cmocka_unit_test(test_account_sas_versions),
	    cmocka_unit_test(test_http_date),          cmocka_unit_test(test_rfc3339),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
