/*
 * test_s3_sign.c: SigV4 for S3 (s3_sign). Vectors: the four examples of
 * AWS's "Signature Calculations for the Authorization Header: Transferring
 * Payload in a Single Chunk" (S3 API reference, sig-v4-header-based-auth;
 * canonical requests, strings to sign and signatures as published), the
 * IAM ListUsers example of the general SigV4 documentation (canonical
 * request hash, signing key, signature) and get-vanilla-query-order-key-case
 * of AWS's SigV4 test suite. The edge cases' expected canonical requests
 * are written out by hand; their signatures were computed from those
 * strings with an independent few-line Python hmac/hashlib script
 * (Python 3.11, Debian 12) and are hard-coded below.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "backends/s3/s3_sign.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define EMPTY DUET_S3_EMPTY_SHA256
#define T20130524 ((time_t)1369353600) /* 2013-05-24T00:00:00Z */
#define T20150830 ((time_t)1440938160) /* 2015-08-30T12:36:00Z */

static const struct duet_s3_creds s3_creds = {"AKIAIOSFODNN7EXAMPLE",
                                              "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL};
static const char host[] = "examplebucket.s3.amazonaws.com";

/* Signs r with the S3 example credentials on 2013-05-24; checks rc 0. */
static void
sign_ok(const struct duet_s3_sigreq *r, struct duet_s3_signed *out)
{
	duet_s3_signed_init(out);
	assert_int_equal(duet_s3_sign(&s3_creds, "us-east-1", r, T20130524, out), 0);
}

static void
assert_auth(const struct duet_s3_signed *s, const char *signed_headers, const char *sig)
{
	char want[512];
	snprintf(want, sizeof(want),
	         "Authorization: AWS4-HMAC-SHA256 "
	         "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
	         "SignedHeaders=%s, Signature=%s",
	         signed_headers, sig);
	assert_string_equal(s->signature, sig);
	assert_string_equal(s->line[s->nline - 1], want);
}

static void
test_aws_get_object(void **state)
{
	const struct duet_s3_kv h[] = {{"Range", "bytes=0-9"}};
	struct duet_s3_sigreq r = {"GET", host, "/test.txt", NULL, 0, h, 1, NULL};
	struct duet_s3_signed s;

	(void)state;
	sign_ok(&r, &s);
	assert_string_equal(
	    s.canonical.p,
	    "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
	    "x-amz-content-sha256:" EMPTY "\nx-amz-date:20130524T000000Z\n\n"
	    "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY);
	assert_string_equal(
	    s.sts.p, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
	             "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	assert_auth(&s, "host;range;x-amz-content-sha256;x-amz-date",
	            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	assert_string_equal(s.target.p, "/test.txt");
	assert_int_equal(s.path_len, 9);
	assert_int_equal(s.nline, 3);
	assert_string_equal(s.line[0], "x-amz-date: 20130524T000000Z");
	assert_string_equal(s.line[1], "x-amz-content-sha256: " EMPTY);
	assert_string_equal(s.amz_date, "20130524T000000Z");
	duet_s3_signed_dispose(&s);
}

static void
test_aws_put_object(void **state)
{
	const char body[] = "Welcome to Amazon S3.";
	char hash[DUET_S3_HEX_LEN];
	const struct duet_s3_kv h[] = {
	    {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
	    {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
	};
	struct duet_s3_sigreq r = {"PUT", host, "/test$file.text", NULL, 0, h, 2, hash};
	struct duet_s3_signed s;

	(void)state;
	assert_int_equal(duet_s3_payload_hash(body, strlen(body), hash), 0);
	assert_string_equal(hash,
	                    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	sign_ok(&r, &s);
	assert_string_equal(
	    s.canonical.p, "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
	                   "host:examplebucket.s3.amazonaws.com\n"
	                   "x-amz-content-sha256:"
	                   "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
	                   "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
	                   "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
	                   "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	assert_string_equal(
	    s.sts.p, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
	             "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
	assert_auth(&s, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
	            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	assert_string_equal(s.target.p, "/test%24file.text");
	assert_string_equal(s.line[1],
	                    "x-amz-content-sha256: "
	                    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	duet_s3_signed_dispose(&s);
}

static void
test_aws_get_lifecycle(void **state)
{
	const struct duet_s3_kv q[] = {{"lifecycle", NULL}};
	struct duet_s3_sigreq r = {"GET", host, "/", q, 1, NULL, 0, EMPTY};
	struct duet_s3_signed s;

	(void)state;
	sign_ok(&r, &s);
	assert_string_equal(s.canonical.p,
	                    "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n"
	                    "x-amz-content-sha256:" EMPTY "\nx-amz-date:20130524T000000Z\n\n"
	                    "host;x-amz-content-sha256;x-amz-date\n" EMPTY);
	assert_string_equal(
	    s.sts.p, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
	             "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
	assert_auth(&s, "host;x-amz-content-sha256;x-amz-date",
	            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
	assert_string_equal(s.target.p, "/?lifecycle=");
	assert_int_equal(s.path_len, 1);
	duet_s3_signed_dispose(&s);
}

static void
test_aws_list_objects(void **state)
{
	/* given out of order: the canonical query sorts them */
	const struct duet_s3_kv q[] = {{"prefix", "J"}, {"max-keys", "2"}};
	struct duet_s3_sigreq r = {"GET", host, NULL, q, 2, NULL, 0, NULL};
	struct duet_s3_signed s;

	(void)state;
	sign_ok(&r, &s);
	assert_string_equal(s.canonical.p,
	                    "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\n"
	                    "x-amz-content-sha256:" EMPTY "\nx-amz-date:20130524T000000Z\n\n"
	                    "host;x-amz-content-sha256;x-amz-date\n" EMPTY);
	assert_string_equal(
	    s.sts.p, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
	             "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
	assert_auth(&s, "host;x-amz-content-sha256;x-amz-date",
	            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	assert_string_equal(s.target.p, "/?max-keys=2&prefix=J");
	duet_s3_signed_dispose(&s);
}

static void
hex32(const unsigned char *k, char *out)
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", k[i]);
}

/* Canonical request, string to sign, key and signature of another
 * service through the lower-level steps. */
static void
check_generic(const char *method, const struct duet_s3_kv *q, size_t nq, const struct duet_s3_kv *h,
              size_t nh, const char *service, const char *want_canon, const char *want_key,
              const char *want_sig)
{
	const char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	struct duet_buf canon = DUET_BUF_INIT, sig = DUET_BUF_INIT, sts = DUET_BUF_INIT;
	unsigned char key[DUET_S3_KEY_LEN];
	char scope[64], hex[DUET_S3_HEX_LEN];

	assert_int_equal(duet_s3_canonical_request(method, "/", q, nq, h, nh, EMPTY, &canon, &sig),
	                 0);
	assert_string_equal(canon.p, want_canon);
	snprintf(scope, sizeof(scope), "20150830/us-east-1/%s/aws4_request", service);
	assert_int_equal(
	    duet_s3_string_to_sign("20150830T123600Z", scope, canon.p, canon.len, &sts), 0);
	assert_int_equal(duet_s3_signing_key(secret, "20150830", "us-east-1", service, key), 0);
	if (want_key != NULL) {
		hex32(key, hex);
		assert_string_equal(hex, want_key);
	}
	assert_int_equal(duet_s3_signature(key, sts.p, sts.len, hex), 0);
	assert_string_equal(hex, want_sig);
	duet_buf_dispose(&canon);
	duet_buf_dispose(&sig);
	duet_buf_dispose(&sts);
}

static void
test_aws_iam_list_users(void **state)
{
	const struct duet_s3_kv q[] = {{"Version", "2010-05-08"}, {"Action", "ListUsers"}};
	const struct duet_s3_kv h[] = {
	    {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
	    {"Host", "iam.amazonaws.com"},
	    {"X-Amz-Date", "20150830T123600Z"},
	};
	const char canon[] = "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
	                     "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
	                     "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	                     "content-type;host;x-amz-date\n" EMPTY;
	struct duet_buf sts = DUET_BUF_INIT;

	(void)state;
	check_generic("GET", q, 2, h, 3, "iam", canon,
	              "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
	              "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
	assert_int_equal(duet_s3_string_to_sign("20150830T123600Z",
	                                        "20150830/us-east-1/iam/aws4_request", canon,
	                                        strlen(canon), &sts),
	                 0);
	assert_string_equal(
	    sts.p, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
	           "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
	duet_buf_dispose(&sts);
}

static void
test_aws_suite_query_order(void **state)
{
	const struct duet_s3_kv q[] = {{"Param2", "value2"}, {"Param1", "value1"}};
	const struct duet_s3_kv h[] = {{"Host", "example.amazonaws.com"},
	                               {"X-Amz-Date", "20150830T123600Z"}};

	(void)state;
	check_generic("GET", q, 2, h, 2, "service",
	              "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
	              "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY,
	              NULL, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

static void
test_uri_encode(void **state)
{
	static const struct {
		const char *in;
		int keep_slash;
		const char *out;
	} t[] = {
	    {"AZaz09-_.~", 0, "AZaz09-_.~"},
	    {"a b", 1, "a%20b"},
	    {"a+b", 1, "a%2Bb"},
	    {"100%", 1, "100%25"},
	    {"q?x#y", 1, "q%3Fx%23y"},
	    {"a/b//c", 1, "a/b//c"},
	    {"a/b", 0, "a%2Fb"},
	    {"=&;,:@$!*'()", 0, "%3D%26%3B%2C%3A%40%24%21%2A%27%28%29"},
	    {"\xc3\xa9", 1, "%C3%A9"},
	    {"\x01\x7f\xff", 1, "%01%7F%FF"},
	    {"", 1, ""},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		struct duet_buf b = DUET_BUF_INIT;
		assert_int_equal(duet_s3_uri_encode(&b, t[i].in, strlen(t[i].in), t[i].keep_slash),
		                 0);
		assert_string_equal(b.p ? b.p : "", t[i].out);
		duet_buf_dispose(&b);
	}
}

static void
test_key_edge_chars(void **state)
{
	struct duet_s3_sigreq r = {"GET", host, "/a b+c%d?e#f~g/\xc3\xa9//x", NULL, 0, NULL,
	                           0,     NULL};
	struct duet_s3_signed s;

	(void)state;
	sign_ok(&r, &s);
	assert_string_equal(s.target.p, "/a%20b%2Bc%25d%3Fe%23f~g/%C3%A9//x");
	assert_string_equal(
	    s.canonical.p,
	    "GET\n/a%20b%2Bc%25d%3Fe%23f~g/%C3%A9//x\n\n"
	    "host:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" EMPTY
	    "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY);
	assert_auth(&s, "host;x-amz-content-sha256;x-amz-date",
	            "7464164ca95bd3f41112780d0a0c1a04d7a661fff2882bb11aceee32249718db");
	duet_s3_signed_dispose(&s);
}

static void
test_empty_key(void **state)
{
	struct duet_s3_sigreq r = {"GET", host, "/bucket/", NULL, 0, NULL, 0, NULL};
	struct duet_s3_signed s;

	(void)state;
	sign_ok(&r, &s);
	assert_string_equal(s.target.p, "/bucket/");
	assert_memory_equal(s.canonical.p, "GET\n/bucket/\n\n", 14);
	r.path = "";
	assert_int_equal(duet_s3_sign(&s3_creds, "us-east-1", &r, T20130524, &s), 0);
	assert_string_equal(s.target.p, "/");
	assert_memory_equal(s.canonical.p, "GET\n/\n\n", 7);
	duet_s3_signed_dispose(&s);
}

static void
test_query_values(void **state)
{
	const struct duet_s3_kv q[] = {
	    {"prefix", "a/b=c&d"},
	    {"list-type", "2"},
	    {"delimiter", "/"},
	    {"continuation-token", "x+y/z=="},
	};
	struct duet_s3_sigreq r = {"GET", "s3.example.com:9000", "/bucket", q, 4, NULL, 0, NULL};
	struct duet_s3_signed s;
	const char query[] =
	    "continuation-token=x%2By%2Fz%3D%3D&delimiter=%2F&list-type=2&prefix=a%2Fb%3Dc%26d";

	(void)state;
	sign_ok(&r, &s);
	assert_string_equal(s.target.p, "/bucket?"
	                                "continuation-token=x%2By%2Fz%3D%3D&"
	                                "delimiter=%2F&list-type=2&prefix=a%2Fb%3Dc%26d");
	assert_int_equal(s.path_len, 7);
	assert_non_null(strstr(s.canonical.p, query));
	assert_string_equal(
	    s.canonical.p + strlen("GET\n/bucket\n") + strlen(query),
	    "\nhost:s3.example.com:9000\nx-amz-content-sha256:" EMPTY
	    "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY);
	assert_auth(&s, "host;x-amz-content-sha256;x-amz-date",
	            "59b946708cdccd13dbbb555cecb16dfc745f99c1cb47ff2b6e12a704e9a3b7e4");
	duet_s3_signed_dispose(&s);
}

static void
test_session_token(void **state)
{
	const char tok[] = "FQoGZXIvYXdzEXAMPLE//token+/=";
	struct duet_s3_creds c = s3_creds;
	struct duet_s3_sigreq r = {"PUT", "s3.eu-west-1.amazonaws.com", "/bucket/k", NULL, 0, NULL,
	                           0,     DUET_S3_UNSIGNED_PAYLOAD};
	struct duet_s3_signed s;

	(void)state;
	c.session_token = tok;
	duet_s3_signed_init(&s);
	assert_int_equal(duet_s3_sign(&c, "eu-west-1", &r, T20150830, &s), 0);
	assert_string_equal(
	    s.canonical.p,
	    "PUT\n/bucket/k\n\nhost:s3.eu-west-1.amazonaws.com\n"
	    "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20150830T123600Z\n"
	    "x-amz-security-token:FQoGZXIvYXdzEXAMPLE//token+/=\n\n"
	    "host;x-amz-content-sha256;x-amz-date;x-amz-security-token\nUNSIGNED-PAYLOAD");
	assert_int_equal(s.nline, 4);
	assert_string_equal(s.line[0], "x-amz-date: 20150830T123600Z");
	assert_string_equal(s.line[1], "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	assert_string_equal(s.line[2], "x-amz-security-token: FQoGZXIvYXdzEXAMPLE//token+/=");
	assert_string_equal(
	    s.line[3],
	    "Authorization: AWS4-HMAC-SHA256 "
	    "Credential=AKIAIOSFODNN7EXAMPLE/20150830/eu-west-1/s3/aws4_request, "
	    "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
	    "Signature=dd126a4039514724c679a78c96bd7d46d96724711c7ffe3542a00ab076183a68");
	/* an empty token is no token */
	c.session_token = "";
	assert_int_equal(duet_s3_sign(&c, "eu-west-1", &r, T20150830, &s), 0);
	assert_int_equal(s.nline, 3);
	assert_null(strstr(s.canonical.p, "security-token"));
	duet_s3_signed_dispose(&s);
}

static void
test_header_canon(void **state)
{
	const struct duet_s3_kv h[] = {
	    {"X-Amz-Meta-Mtime", "  1369353600.5  "},
	    {"Content-Type", "text/plain;  charset=utf-8"},
	    {"x-amz-meta-note", "a \t  b\tc"},
	    {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="},
	    {"x-amz-meta-empty", "   "},
	};
	struct duet_buf canon = DUET_BUF_INIT, sig = DUET_BUF_INIT;

	(void)state;
	assert_int_equal(
	    duet_s3_canonical_request("PUT", "/k", NULL, 0, h, NELEM(h), EMPTY, &canon, &sig), 0);
	assert_string_equal(
	    canon.p,
	    "PUT\n/k\n\ncontent-md5:1B2M2Y8AsgTpgAmY7PhCfg==\n"
	    "content-type:text/plain; charset=utf-8\nx-amz-meta-empty:\n"
	    "x-amz-meta-mtime:1369353600.5\nx-amz-meta-note:a b c\n\n"
	    "content-md5;content-type;x-amz-meta-empty;x-amz-meta-mtime;x-amz-meta-note\n" EMPTY);
	assert_string_equal(
	    sig.p, "content-md5;content-type;x-amz-meta-empty;x-amz-meta-mtime;x-amz-meta-note");
	duet_buf_dispose(&canon);
	duet_buf_dispose(&sig);
}

/* Each bad request fails with DUET_E_INVAL, and no message names the secret. */
static void
test_refused(void **state)
{
	const struct duet_s3_kv reserved[] = {{"Authorization", "x"}};
	const struct duet_s3_kv host_h[] = {{"HOST", "x"}};
	const struct duet_s3_kv dup[] = {{"Range", "bytes=0-1"}, {"range", "bytes=2-3"}};
	const struct duet_s3_kv crlf[] = {{"x-amz-meta-a", "b\r\nInjected: yes"}};
	const struct duet_s3_kv badname[] = {{"bad name", "x"}};
	const struct duet_s3_kv noname[] = {{"", "x"}};
	struct duet_s3_creds c = {"AKID", "SeCrEtKeY123", NULL};
	struct {
		struct duet_s3_sigreq r;
		const char *region;
		time_t t;
	} t[] = {
	    {{"GET", host, "/k", NULL, 0, reserved, 1, NULL}, "us-east-1", T20130524},
	    {{"GET", host, "/k", NULL, 0, host_h, 1, NULL}, "us-east-1", T20130524},
	    {{"GET", host, "/k", NULL, 0, dup, 2, NULL}, "us-east-1", T20130524},
	    {{"GET", host, "/k", NULL, 0, crlf, 1, NULL}, "us-east-1", T20130524},
	    {{"GET", host, "/k", NULL, 0, badname, 1, NULL}, "us-east-1", T20130524},
	    {{"GET", host, "/k", noname, 1, NULL, 0, NULL}, "us-east-1", T20130524},
	    {{"GET", host, "k", NULL, 0, NULL, 0, NULL}, "us-east-1", T20130524},
	    {{"get", host, "/k", NULL, 0, NULL, 0, NULL}, "us-east-1", T20130524},
	    {{"GET", host, "/k", NULL, 0, NULL, 0, "E3B0"}, "us-east-1", T20130524},
	    {{"GET", host, "/k", NULL, 0, NULL, 0, NULL}, "us/east", T20130524},
	    {{"GET", host, "/k", NULL, 0, NULL, 0, NULL}, "", T20130524},
	    {{"GET", "", "/k", NULL, 0, NULL, 0, NULL}, "us-east-1", T20130524},
	    {{"GET", "a b", "/k", NULL, 0, NULL, 0, NULL}, "us-east-1", T20130524},
	    {{"GET", host, "/k", NULL, 0, NULL, 0, NULL}, "us-east-1", (time_t)-1},
	};
	struct duet_s3_signed s;

	(void)state;
	duet_s3_signed_init(&s);
	for (size_t i = 0; i < NELEM(t); i++) {
		assert_int_equal(duet_s3_sign(&c, t[i].region, &t[i].r, t[i].t, &s), DUET_E_INVAL);
		assert_null(strstr(duet_err_msg(), c.secret_access_key));
		if (i < 2) /* ours, not merely given twice */
			assert_non_null(strstr(duet_err_msg(), "is set by the signer"));
		assert_int_equal(s.nline, 0);
	}
	c.access_key_id = "AK/ID";
	assert_int_equal(duet_s3_sign(&c, "us-east-1", &t[7].r, T20130524, &s), DUET_E_INVAL);
	c.access_key_id = "AKID";
	c.secret_access_key = "";
	assert_int_equal(duet_s3_sign(&c, "us-east-1", &t[7].r, T20130524, &s), DUET_E_INVAL);
	c.secret_access_key = "SeCrEtKeY123";
	c.session_token = "tok\nen";
	assert_int_equal(duet_s3_sign(&c, "us-east-1", &t[7].r, T20130524, &s), DUET_E_INVAL);
	duet_s3_signed_dispose(&s);
}

static void
test_signing_key_refused(void **state)
{
	unsigned char key[DUET_S3_KEY_LEN];
	char longsecret[DUET_S3_SECRET_MAX + 2];

	(void)state;
	memset(longsecret, 'k', sizeof(longsecret) - 1);
	longsecret[sizeof(longsecret) - 1] = '\0';
	assert_int_equal(duet_s3_signing_key("", "20150830", "r", "s3", key), DUET_E_INVAL);
	assert_int_equal(duet_s3_signing_key(longsecret, "20150830", "r", "s3", key), DUET_E_INVAL);
	assert_null(strstr(duet_err_msg(), "kkkk"));
	assert_int_equal(duet_s3_signing_key("s", "2015083", "r", "s3", key), DUET_E_INVAL);
	assert_int_equal(duet_s3_signing_key("s", "2015083x", "r", "s3", key), DUET_E_INVAL);
	longsecret[DUET_S3_SECRET_MAX] = '\0';
	assert_int_equal(duet_s3_signing_key(longsecret, "20150830", "r", "s3", key), 0);
}

/* The cache gives the same signatures, keeps a key for the day, and
 * derives anew for another day, region or secret. */
static void
test_key_cache(void **state)
{
	struct duet_s3_keycache kc;
	struct duet_s3_sigreq r = {"GET", host, "/k", NULL, 0, NULL, 0, NULL};
	struct duet_s3_signed a, b;
	struct duet_s3_creds c = s3_creds;
	unsigned char want[DUET_S3_KEY_LEN], zero[sizeof(kc)];

	(void)state;
	memset(&kc, 0, sizeof(kc));
	memset(zero, 0, sizeof(zero));
	duet_s3_signed_init(&a);
	duet_s3_signed_init(&b);
	assert_int_equal(duet_s3_sign_cached(&kc, &c, "us-east-1", &r, T20130524, &a), 0);
	assert_int_equal(duet_s3_sign(&c, "us-east-1", &r, T20130524, &b), 0);
	assert_string_equal(a.signature, b.signature);
	assert_true(kc.valid);
	assert_string_equal(kc.date, "20130524");
	assert_int_equal(
	    duet_s3_signing_key(c.secret_access_key, "20130524", "us-east-1", "s3", want), 0);
	assert_memory_equal(kc.key, want, sizeof(want));

	/* later the same day: same key */
	assert_int_equal(duet_s3_sign_cached(&kc, &c, "us-east-1", &r, T20130524 + 3600, &a), 0);
	assert_memory_equal(kc.key, want, sizeof(want));
	/* next day */
	assert_int_equal(duet_s3_sign_cached(&kc, &c, "us-east-1", &r, T20130524 + 86400, &a), 0);
	assert_string_equal(kc.date, "20130525");
	assert_memory_not_equal(kc.key, want, sizeof(want));
	assert_int_equal(duet_s3_sign(&c, "us-east-1", &r, T20130524 + 86400, &b), 0);
	assert_string_equal(a.signature, b.signature);
	/* another region */
	assert_int_equal(duet_s3_sign_cached(&kc, &c, "eu-west-1", &r, T20130524 + 86400, &a), 0);
	assert_int_equal(duet_s3_sign(&c, "eu-west-1", &r, T20130524 + 86400, &b), 0);
	assert_string_equal(a.signature, b.signature);
	/* a rotated secret with the same key id */
	c.secret_access_key = "another-secret";
	assert_int_equal(duet_s3_sign_cached(&kc, &c, "eu-west-1", &r, T20130524 + 86400, &a), 0);
	assert_int_equal(duet_s3_sign(&c, "eu-west-1", &r, T20130524 + 86400, &b), 0);
	assert_string_equal(a.signature, b.signature);

	duet_s3_keycache_wipe(&kc);
	assert_memory_equal(&kc, zero, sizeof(kc));
	duet_s3_signed_dispose(&a);
	duet_s3_signed_dispose(&b);
}

/* Signing into a used struct starts afresh. */
static void
test_reuse(void **state)
{
	const struct duet_s3_kv q[] = {{"uploads", NULL}};
	struct duet_s3_sigreq r1 = {"POST", host, "/big", q, 1, NULL, 0, NULL};
	struct duet_s3_sigreq r2 = {"GET", host, "/test.txt", NULL, 0, NULL, 0, NULL};
	struct duet_s3_signed s, fresh;

	(void)state;
	sign_ok(&r1, &s);
	assert_string_equal(s.target.p, "/big?uploads=");
	sign_ok(&r2, &fresh);
	assert_int_equal(duet_s3_sign(&s3_creds, "us-east-1", &r2, T20130524, &s), 0);
	assert_string_equal(s.target.p, fresh.target.p);
	assert_string_equal(s.canonical.p, fresh.canonical.p);
	assert_string_equal(s.sts.p, fresh.sts.p);
	assert_int_equal(s.nline, fresh.nline);
	for (size_t i = 0; i < s.nline; i++)
		assert_string_equal(s.line[i], fresh.line[i]);
	duet_s3_signed_dispose(&s);
	duet_s3_signed_dispose(&fresh);
	duet_s3_signed_dispose(NULL);
}

static void
test_small_helpers(void **state)
{
	char d[DUET_S3_AMZ_DATE_LEN], hex[DUET_S3_HEX_LEN];

	(void)state;
	assert_int_equal(duet_s3_amz_date(T20150830, d), 0);
	assert_string_equal(d, "20150830T123600Z");
	assert_int_equal(duet_s3_amz_date(0, d), 0);
	assert_string_equal(d, "19700101T000000Z");
	assert_int_equal(duet_s3_payload_hash(NULL, 0, hex), 0);
	assert_string_equal(hex, DUET_S3_EMPTY_SHA256);
	assert_int_equal(duet_s3_payload_hash("abc", 3, hex), 0);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_alloc_failures(void **state)
{
	const struct duet_s3_kv q[] = {{"prefix", "a/b"}, {"list-type", "2"}};
	const struct duet_s3_kv h[] = {{"Range", "bytes=0-9"}};
	struct duet_s3_creds c = s3_creds;
	struct duet_s3_sigreq r = {"GET", host, "/a b/c", q, 2, h, 1, NULL};
	struct duet_s3_signed want;
	int done = 0;

	(void)state;
	c.session_token = "token";
	duet_s3_signed_init(&want);
	assert_int_equal(duet_s3_sign(&c, "us-east-1", &r, T20130524, &want), 0);
	for (long n = 1; !done && n < 500; n++) {
		struct duet_s3_signed s;
		int rc;
		duet_s3_signed_init(&s);
		duet_alloc_fail_at(n);
		rc = duet_s3_sign(&c, "us-east-1", &r, T20130524, &s);
		duet_alloc_fail_at(0);
		if (rc == 0) {
			assert_string_equal(s.line[s.nline - 1], want.line[want.nline - 1]);
			done = 1;
		} else {
			assert_int_equal(rc, DUET_E_NOMEM);
		}
		duet_s3_signed_dispose(&s);
	}
	assert_true(done);
	duet_s3_signed_dispose(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aws_get_object),
	    cmocka_unit_test(test_aws_put_object),
	    cmocka_unit_test(test_aws_get_lifecycle),
	    cmocka_unit_test(test_aws_list_objects),
	    cmocka_unit_test(test_aws_iam_list_users),
	    cmocka_unit_test(test_aws_suite_query_order),
	    cmocka_unit_test(test_uri_encode),
	    cmocka_unit_test(test_key_edge_chars),
	    cmocka_unit_test(test_empty_key),
	    cmocka_unit_test(test_query_values),
	    cmocka_unit_test(test_session_token),
	    cmocka_unit_test(test_header_canon),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_signing_key_refused),
	    cmocka_unit_test(test_key_cache),
	    cmocka_unit_test(test_reuse),
	    cmocka_unit_test(test_small_helpers),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
